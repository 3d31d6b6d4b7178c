"""The readers' contract on hostile bytes (issue 14 §1): ``read_dbf`` / ``read_table`` return a DataFrame or
raise a ``XuejiError`` whose message names the file and what is wrong — never another exception, a hang, a
crash, or memory out of proportion to the file. Files that would allocate gigabytes or hang are read in a
child process under a memory limit (``RLIMIT_AS``) and a time limit (``tests.fuzz``)."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

import xueji_lib as xj
from tests import fuzz
from tests.dbfbytes import build_dbf, build_dbt4

# ----------------------------------------------------------------------------------------------- builders


def _xlsx(sheet=None, strings=None, raw_member=None, member=None, method=None) -> bytes:
    """The small workbook of ``tests.fuzz`` with its sheet XML / shared strings changed by the given functions;
    ``raw_member`` stores the sheet XML with a damaged deflate stream."""
    src = zipfile.ZipFile(io.BytesIO(fuzz._xlsx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            if name == "xl/worksheets/sheet1.xml" and sheet:
                body = sheet(body.decode()).encode()
            if name == "xl/sharedStrings.xml" and strings:
                body = strings(body.decode()).encode()
            if member and name in member:
                body = member[name](body.decode()).encode()
            dst.writestr(name, body)
    data = out.getvalue()
    if method is not None:  # the sheet's compression method in the central directory (99: none zipfile reads)
        b = bytearray(data)
        pos = 0
        while (pos := data.find(b"PK\x01\x02", pos + 1)) >= 0:
            (nlen,) = struct.unpack_from("<H", data, pos + 28)
            if data[pos + 46 : pos + 46 + nlen] == b"xl/worksheets/sheet1.xml":
                struct.pack_into("<H", b, pos + 10, method)
        data = bytes(b)
    if raw_member:  # flip bytes in the middle of the sheet's compressed stream (the CRC is then wrong too)
        info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        b = bytearray(data)
        for k in range(start + 20, start + 40):
            b[k] ^= 0x5A
        data = bytes(b)
    return data


def _whitespace_xlsx(path: Path, megabytes: int) -> None:
    """A workbook whose <sheetData> holds ``megabytes`` MB of blanks inside the first row (about 1 MB zipped)."""
    good = zipfile.ZipFile(io.BytesIO(fuzz._xlsx_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for name in good.namelist():
            body = good.read(name)
            if name != "xl/worksheets/sheet1.xml":
                dst.writestr(name, body)
                continue
            head, tail = body.split(b'<c r="B1"', 1)
            with dst.open(name, "w", force_zip64=True) as fh:
                fh.write(head)
                block = b" " * (1 << 20)
                for _ in range(megabytes):
                    fh.write(block)
                fh.write(b'<c r="B1"' + tail)


def _memo_dbf(folder: Path, kind: str) -> Path:
    """A DBF whose first memo block says its length is 0xFFFFFFFF (4 GiB) in a memo file of a few KB."""
    if kind == "fpt":
        fpt = bytearray(512)
        struct.pack_into(">LHH", fpt, 0, 9, 0, 64)
        fpt += struct.pack(">LL", 1, 0xFFFFFFFF) + b"text".ljust(56, b"\0")
        rows = [[b"A", struct.pack("<L", 8)]]
        (folder / "f.fpt").write_bytes(bytes(fpt))
        (folder / "f.dbf").write_bytes(build_dbf([("XM", "C", 8, 0), ("BZ", "M", 4, 0)], rows, version=0x30))
        return folder / "f.dbf"
    if kind == "dbt4":
        dbt, blocks = build_dbt4([b"memo text"])
        b = bytearray(dbt)
        struct.pack_into("<L", b, blocks[0] * 512 + 4, 0xFFFFFFFF)
        (folder / "g.dbt").write_bytes(bytes(b))
        rows = [[b"A", str(blocks[0]).encode()]]
        (folder / "g.dbf").write_bytes(build_dbf([("XM", "C", 8, 0), ("BZ", "M", 10, 0)], rows, version=0x8B))
        return folder / "g.dbf"
    # a dBase III DBT (plain text blocks) under a dBase IV header: bytes 4-7 of the text are read as a length
    dbt3 = bytearray(512) + b"memo\xff\xff\xff\xff text\x1a\x1a"
    (folder / "h.dbt").write_bytes(bytes(dbt3.ljust(1024, b"\0")))
    rows = [[b"A", b"1"]]
    (folder / "h.dbf").write_bytes(build_dbf([("XM", "C", 8, 0), ("BZ", "M", 10, 0)], rows, version=0x8B))
    return folder / "h.dbf"


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """The files that allocated gigabytes, hung or aborted, each read once in a child under the limits:
    name → the child's result (``ok``: DataFrame or XuejiError naming the file; ``what``: which)."""
    folder = tmp_path_factory.mktemp("hostile")
    cases: dict[str, tuple[Path, str]] = {}
    for kind in ("fpt", "dbt4", "dbt3_as_4"):
        sub = folder / kind
        sub.mkdir()
        cases[f"memo_{kind}"] = (_memo_dbf(sub, kind), "dbf")
    (folder / "zzz_cell.xlsx").write_bytes(
        _xlsx(sheet=lambda x: x.replace('<c r="A3" t="s"><v>9</v></c>', '<c r="ZZZZZZ3" t="s"><v>9</v></c>'))
    )
    cases["xlsx_cell_ZZZZZZ"] = (folder / "zzz_cell.xlsx", "table")
    (folder / "zzz_dim.xlsx").write_bytes(
        _xlsx(sheet=lambda x: x.replace('<dimension ref="A1:F3"/>', '<dimension ref="A1:ZZZZZZ2"/>'))
    )
    cases["xlsx_dimension_ZZZZZZ"] = (folder / "zzz_dim.xlsx", "table")
    _whitespace_xlsx(folder / "blanks.xlsx", 1024)
    cases["xlsx_1GB_blanks"] = (folder / "blanks.xlsx", "table")
    (folder / "wide.csv").write_bytes("姓名,性别\n".encode() + b"1," * 5_000_000 + b"\n")
    cases["csv_5M_cells"] = (folder / "wide.csv", "table")
    names = list(cases)
    results = fuzz.run([(str(cases[n][0]), cases[n][1], None) for n in names])
    return {n: (cases[n][0], r) for n, r in zip(names, results)}


# ------------------------------------------------------------------------------------------------- DBF


@pytest.mark.parametrize("ftype", ["C", "N", "M"])
def test_dbf_field_of_width_zero_is_a_format_error(tmp_path, ftype):
    path = tmp_path / "零宽.dbf"
    fields = [("XM", "C", 8, 0), ("BAD", ftype, 0, 0), ("NL", "N", 3, 0)]
    path.write_bytes(build_dbf(fields, [[b"A", b"", b"18"]]))
    if ftype == "M":
        (tmp_path / "零宽.dbt").write_bytes(build_dbt4([b"x"])[0])
    with pytest.raises(xj.FileFormatError, match="BAD.*宽度为 0") as exc:
        xj.read_dbf(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("kind", ["fpt", "dbt4", "dbt3_as_4"])
def test_dbf_memo_length_of_4gib_allocates_nothing(limited, kind):
    path, res = limited[f"memo_{kind}"]
    assert res["ok"], res["what"]  # under a 3 GB address-space limit: no MemoryError, no signal
    df = xj.read_dbf(path)
    if kind == "fpt":  # a length past the end of the file: the memo reads as empty and is reported
        assert df["BZ"].isna().all()
        assert [w.code for w in xj.load_report(df).warnings] == ["MEMO_OUT_OF_RANGE"]
    else:  # dBase memos end at their 0x1F / 0x1A mark (as dbfread reads them): up to the end of the file at most
        assert df["BZ"].str.contains("text").all()


def test_dbf_missing_path_directory_and_device(tmp_path):
    with pytest.raises(xj.XuejiError, match="找不到文件") as exc:
        xj.read_dbf(tmp_path / "没有.dbf")
    assert isinstance(exc.value, FileNotFoundError) and "没有.dbf" in str(exc.value)
    with pytest.raises(xj.FileFormatError, match="文件夹") as exc:
        xj.read_dbf(tmp_path)
    assert "找不到" not in str(exc.value)
    with pytest.raises(xj.FileFormatError, match="不是普通文件") as exc:
        xj.read_dbf("/dev/null")
    assert "/dev/null" in str(exc.value)


def test_table_missing_path_and_device(tmp_path):
    with pytest.raises(xj.XuejiError, match="找不到文件") as exc:
        xj.read_table(tmp_path / "没有.xlsx")
    assert isinstance(exc.value, FileNotFoundError)
    with pytest.raises(xj.FileFormatError, match="不是普通文件"):
        xj.read_table("/dev/null")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-le"])
def test_dbf_encoding_that_cannot_read_a_dbf_is_refused(tmp_path, encoding):
    path = tmp_path / "a.dbf"
    path.write_bytes(build_dbf([("XM", "C", 8, 0)], [["张三".encode("gbk")], ["李四".encode("gbk")]]))
    with pytest.raises(xj.FileFormatError, match=f"编码 {encoding} 不能用于 DBF") as exc:
        xj.read_dbf(path, encoding=encoding)
    assert str(path) in str(exc.value)
    with pytest.raises(xj.FileFormatError, match="不认识的编码"):
        xj.read_dbf(path, encoding="utf-99")
    assert xj.read_dbf(path, encoding="gbk")["XM"].tolist() == ["张三", "李四"]


def test_cli_dbf_with_utf16_fails_with_a_message(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "a.dbf"
    path.write_bytes(build_dbf([("XM", "C", 8, 0)], [["张三".encode("gbk")]]))
    xueji = Path(sys.executable).with_name("xueji")
    proc = subprocess.run([str(xueji), "info", str(path), "--encoding", "utf-16"], capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "utf-16" in out and "Traceback" not in out, out


# ------------------------------------------------------------------------------------------------- sheets


@pytest.mark.parametrize("case", ["xlsx_cell_ZZZZZZ", "xlsx_dimension_ZZZZZZ", "xlsx_1GB_blanks", "csv_5M_cells"])
def test_table_claims_are_bounded(limited, case):
    path, res = limited[case]
    assert res["ok"], res["what"]  # no MemoryError, no abort, no timeout under the limits
    assert res["seconds"] < 5, res
    if case == "xlsx_cell_ZZZZZZ":
        assert "ZZZZZZ" in res["what"] and "16,384" in res["what"] and "第 3 行" in res["what"]
    if case == "xlsx_1GB_blanks":
        assert "行结束标记" in res["what"]
    if case == "csv_5M_cells":
        assert "5,000,001 列" in res["what"] or "5,000,000 列" in res["what"]


BAD_SHEETS = {
    "shared string index past the end": (lambda x: x.replace("<v>7</v>", "<v>999999</v>"), "999999", "B2"),
    "negative shared string index": (lambda x: x.replace("<v>7</v>", "<v>-1</v>"), "-1", "B2"),
    't="s" holding text': (lambda x: x.replace("<v>7</v>", "<v>男</v>"), "男", "B2"),
    'bad t="d"': (lambda x: x.replace('<c r="D2" s="1"><v>39083</v>', '<c r="D2" t="d"><v>2007-13-45x</v>'), "", "D2"),
    "cell reference with lower-case letters": (lambda x: x.replace('r="B3" t="s"', 'r="b3" t="s"'), "b", "3"),
    "row number past Excel's rows": (lambda x: x.replace('<row r="3"', '<row r="99999999"'), "99999999", ""),
    "column past XFD": (
        lambda x: x.replace('<c r="F1" t="s">', '<c r="XFE1" t="s">'),
        "XFE 超出 Excel 的 16,384 列",
        "第 1 行",
    ),
    "cell outside any row": (
        lambda x: x.replace('<row r="2" spans="1:6">', '<row r="2" spans="1:6"/>'),
        "不在任何行",
        "A2",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SHEETS))
def test_xlsx_bad_cells_name_file_sheet_and_cell(tmp_path, case):
    change, value, cell = BAD_SHEETS[case]
    path = tmp_path / "坏单元格.xlsx"
    path.write_bytes(_xlsx(sheet=change))
    with pytest.raises(xj.FileFormatError) as exc:
        xj.read_table(path)
    msg = str(exc.value)
    assert str(path) in msg and "工作表“学生名单”" in msg and value in msg and cell in msg, msg


@pytest.mark.parametrize(
    "what",
    [
        "number <v>abc</v>",
        "malformed sheet XML",
        "malformed workbook XML",
        "malformed styles",
        "malformed shared strings",
        "corrupt zip member",
        "unknown compression method",
        "bad entity",
    ],
)
def test_xlsx_damage_is_a_format_error(tmp_path, what):
    path = tmp_path / "坏.xlsx"
    if what == "number <v>abc</v>":
        data = _xlsx(sheet=lambda x: x.replace("<v>10001</v>", "<v>abc</v>"))
    elif what == "malformed sheet XML":
        data = _xlsx(sheet=lambda x: x.replace("<sheetData>", "<sheetData><row r='1'><c><<"))
    elif what == "malformed workbook XML":
        data = _xlsx(member={"xl/workbook.xml": lambda x: x.replace("<sheets>", "<sheets><<")})
    elif what == "malformed styles":
        data = _xlsx(member={"xl/styles.xml": lambda x: x.replace("<numFmts", "<numFmts <")})
    elif what == "malformed shared strings":
        data = _xlsx(strings=lambda x: x.replace("<si><t>男</t></si>", "<si><t>男</si>"))
    elif what == "bad entity":
        data = _xlsx(sheet=lambda x: x.replace('<c r="A1"', '<c r="A1&bogus;"'))
    elif what == "unknown compression method":
        data = _xlsx(method=99)
    else:
        data = _xlsx(raw_member=True)
    path.write_bytes(data)
    try:
        df = xj.read_table(path)
    except xj.XuejiError as exc:
        assert str(path) in str(exc)
    else:  # the sheet scanner reads past stray markup between cells, as Excel's repair does
        assert what in ("number <v>abc</v>", "malformed sheet XML") and len(df) == 2


def test_big5_csv_is_not_read_as_gb18030_mojibake(tmp_path):
    text = "姓名,性別,學校,地址\n陳大文,男,臺北市立建國高級中學,臺北市中正區南海路\n林美麗,女,國立臺灣師範大學附屬高級中學,臺北市大安區\n"
    path = tmp_path / "繁体.csv"
    path.write_bytes(text.encode("big5"))
    with pytest.raises(xj.FileFormatError, match="Big5") as exc:
        xj.read_table(path)
    assert str(path) in str(exc.value)
    df = xj.read_table(path, encoding="big5")
    assert df["姓名"].tolist() == ["陳大文", "林美麗"]
    # a GBK roster with a few rare name characters still reads
    gbk = tmp_path / "简体.csv"
    gbk.write_bytes("姓名,性别\n王䶮,男\n李四,女\n张三,男\n赵昱,女\n".encode("gb18030"))
    assert xj.read_table(gbk)["姓名"].tolist() == ["王䶮", "李四", "张三", "赵昱"]


# ------------------------------------------------------------------------------------------------- fuzzing


@pytest.mark.parametrize("reader", ["dbf", "xlsx", "csv"])
def test_fuzz_readers_keep_their_contract(tmp_path, reader):
    """200 mutated files per reader (fixed seed), each read in a child under a memory and a time limit:
    a DataFrame or a XuejiError naming the file, nothing else (``make fuzz`` runs thousands)."""
    counts, findings = fuzz.fuzz([reader], 200, 14, tmp_path)
    assert not findings, [f"#{f.index}: {f.what}" for f in findings[:10]]
    assert sum(counts.values()) == 200
