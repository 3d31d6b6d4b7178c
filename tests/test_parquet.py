"""dbf_to_parquet and read_dbf(records=…) on real DBF bytes: a registration file from xueji_lib.samples.synth written
by write_dbf (2,503 records, deleted records on both sides of every part boundary, a few damaged cells and
deletion flags patched into the bytes so that the load warnings have rows), and small byte-built files for
the N / D / L / F types, extra records and an empty file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from tests.dbfbytes import build_dbf
from xueji_lib.apps.cli import main
from xueji_lib.io.parquet import MANIFEST_NAME, ROW_COLUMN
from xueji_lib.samples import synth

N = 2503
PER_PART = 1000
# deleted records on both sides of the boundaries 1000 and 2000, the first and the last record
DELETED = {0, 3, 998, 999, 1000, 1001, 1500, 1999, 2000, 2001, 2250, 2502}
ODD_FLAG = {1002: 0x00, 2003: ord("?")}  # neither ' ' nor '*': read as live, reported (ODD_RECORD_FLAG)
HALF_CHAR = (997, 1003, 2004)  # XM ends in half a GBK character (TRUNCATED_CHAR)
UNDECODABLE = (1998,)  # XM holds a byte sequence GB18030 cannot decode (UNDECODABLE_TEXT)


def _field(path, name):
    return next(f for f in xj.inspect_dbf(path).fields if f.name == name)


@pytest.fixture(scope="module")
def reg_dbf(tmp_path_factory):
    """The registration DBF (2,503 records, 12 deleted) with the damage above patched into its bytes."""
    path = tmp_path_factory.mktemp("src") / "注册上报.dbf"
    frame = synth.make_registration_frame(N, seed=5)
    mask = np.zeros(N, bool)
    mask[sorted(DELETED)] = True
    xj.write_dbf(frame, path, "chsi_registration", encoding="gb18030", deleted=mask)
    head = xj.inspect_dbf(path)
    xm = _field(path, "XM")
    data = bytearray(path.read_bytes())

    def at(rec, off=0):
        return head.header_length + rec * head.record_length + off

    for rec, flag in ODD_FLAG.items():
        data[at(rec)] = flag
    for rec in HALF_CHAR:
        cell = "王小".encode("gbk") + b"\xb5"  # 王小 + the first byte of a character
        data[at(rec, xm.offset) : at(rec, xm.offset) + xm.length] = cell.ljust(xm.length, b" ")
    for rec in UNDECODABLE:
        cell = b"\x81\x20\xd5\xc5"  # a lead byte followed by a space, then 张
        data[at(rec, xm.offset) : at(rec, xm.offset) + xm.length] = cell.ljust(xm.length, b" ")
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def full(reg_dbf):
    return xj.read_dbf(reg_dbf)


def _rows_by_warning(warnings):
    """(code, field) → (count, set of example rows)."""
    return {(w.code, w.field): (w.count, {r for r, _, _ in w.examples}) for w in warnings}


def _expected_frame(full_df):
    exp = full_df.copy()
    exp.attrs.clear()
    exp.insert(0, ROW_COLUMN, np.arange(1, len(exp) + 1, dtype=np.int64))
    return exp.reset_index(drop=True)


# --------------------------------------------------------------------------------- read_dbf(records=…)


def test_the_damage_is_there(full):
    """The fixture is what the other tests think it is: 12 deleted, and warnings with rows."""
    rep = xj.load_report(full)
    assert rep.deleted == len(DELETED) and len(full) == N - len(DELETED)
    got = _rows_by_warning(rep.warnings)
    assert got[("ODD_RECORD_FLAG", None)][0] == 2
    assert got[("TRUNCATED_CHAR", "XM")][0] == 3
    assert got[("UNDECODABLE_TEXT", "XM")][0] == 1


@pytest.mark.parametrize(
    "start,stop",
    [(0, 1000), (1000, 2000), (2000, N), (997, 1004), (999, 1001), (1, 2), (0, N), (2502, N), (1500, 1500), (0, 0)],
)
def test_range_read_numbers_rows_like_the_full_read(reg_dbf, full, start, stop):
    part = xj.read_dbf(reg_dbf, records=(start, stop))
    live_before = start - len([d for d in DELETED if d < start])
    live = (stop - start) - len([d for d in DELETED if start <= d < stop])
    assert list(part.index) == list(range(live_before, live_before + live))
    pd.testing.assert_frame_equal(part, full.iloc[live_before : live_before + live])
    rep = xj.load_report(part)
    assert rep.records == live and rep.deleted == (stop - start) - live
    assert rep.header_records == N and rep.extra["records"] == (start, stop) and rep.extra["file_records"] == N
    # every warning of the full read whose row is in this range, with that row number; and no other
    rows = set(range(live_before + 1, live_before + live + 1))
    want = {}
    for w in xj.load_report(full).warnings:
        ex = {r for r, _, _ in w.examples if r in rows}
        if ex or not w.examples:  # warnings without rows (the code page) are about the whole file
            want[(w.code, w.field)] = (len(ex) if w.examples else w.count, ex)
    assert _rows_by_warning(rep.warnings) == want


def test_range_read_with_deleted_records_included(reg_dbf):
    whole = xj.read_dbf(reg_dbf, include_deleted=True)
    part = xj.read_dbf(reg_dbf, include_deleted=True, records=(995, 1005))
    pd.testing.assert_frame_equal(part, whole.iloc[995:1005])


def test_range_read_rejects_a_bad_range(reg_dbf):
    for bad in [(0, N + 1), (5, 4), (-1, 3), (1,), "0-10"]:
        with pytest.raises(ValueError):
            xj.read_dbf(reg_dbf, records=bad)


# ------------------------------------------------------------------------------------------ conversion


@pytest.fixture(scope="module")
def converted(reg_dbf, tmp_path_factory):
    out = tmp_path_factory.mktemp("pq") / "注册上报_parquet"
    return xj.dbf_to_parquet(reg_dbf, out, records_per_part=PER_PART, workers=2), out


def test_parts_read_back_equal_read_dbf(converted, full):
    conv, out = converted
    names = sorted(p.name for p in out.glob("*.parquet"))
    assert names == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert [os.path.basename(p) for p in conv.parts] == names
    back = pd.read_parquet(out)
    exp = _expected_frame(full)
    # the one type Parquet cannot keep: none here (every field of this layout is C); see the typed test
    pd.testing.assert_frame_equal(back, exp)
    assert list(back.columns[:2]) == [ROW_COLUMN, "KSH"] and back[ROW_COLUMN].is_monotonic_increasing
    # each part holds exactly the live records of its range
    for i, name in enumerate(names):
        lo, hi = i * PER_PART, min((i + 1) * PER_PART, N)
        part = pd.read_parquet(out / name)
        assert len(part) == (hi - lo) - len([d for d in DELETED if lo <= d < hi])


def test_conversion_counts_manifest_and_warnings(converted, reg_dbf, full):
    conv, out = converted
    assert (conv.records, conv.deleted, conv.header_records) == (len(full), len(DELETED), N)
    assert conv.records + conv.deleted == N and conv.written == 3 and conv.reused == 0
    m = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    st = reg_dbf.stat()
    assert m["source"] == {
        "path": str(reg_dbf.resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "header_records": N,
        "header_length": xj.inspect_dbf(reg_dbf).header_length,
        "record_length": xj.inspect_dbf(reg_dbf).record_length,
    }
    assert [p["records"] for p in m["parts"]] == [[0, 1000], [1000, 2000], [2000, N]]
    assert [p["deleted"] for p in m["parts"]] == [4, 4, 4]
    assert [p["size"] for p in m["parts"]] == [(out / p["file"]).stat().st_size for p in m["parts"]]
    # the parts' warnings merged = the full read's warnings (counts and rows)
    assert _rows_by_warning(conv.warnings) == _rows_by_warning(xj.load_report(full).warnings)
    text = conv.summary()
    assert str(conv) == text
    assert f"有效记录 {len(full)} + 已删除 {len(DELETED)} = {N} 条" in text and "3 个部分" in text
    assert "TRUNCATED_CHAR" in text
    d = json.loads(json.dumps(conv.to_dict(), ensure_ascii=False))
    assert d["records"] == len(full) and len(d["parts"]) == 3 and d["warnings"]


def test_types_of_number_date_and_logical_fields(tmp_path):
    """An N field's type depends on every value (read_dbf: a blank anywhere → Int64, a decimal point →
    float64): each part gets the whole file's type, though its own records alone would give another."""
    fields = [
        ("XM", "C", 10, 0),
        ("NL", "N", 3, 0),
        ("JE", "N", 8, 2),
        ("K", "N", 4, 0),
        ("CSRQ", "D", 8, 0),
        ("ZX", "L", 1, 0),
        ("F", "F", 8, 2),
    ]
    rows = []
    for i in range(25):
        nl = b"" if i == 17 else str(i + 10).encode()  # one blank, in the second part
        je = b"12.50" if i == 21 else str(i).encode()  # one decimal, in the third part
        d = b"20081331" if i == 12 else b"2008%02d%02d" % (i % 12 + 1, i % 28 + 1)  # one invalid date
        rows.append(
            [
                "张三".encode("gbk"),
                nl,
                je,
                str(i).encode(),
                d,
                b"TF?"[i % 3 : i % 3 + 1],
                b"" if i == 3 else b"%d.25" % i,
            ]
        )
    path = tmp_path / "typed.dbf"
    path.write_bytes(build_dbf(fields, rows, deleted={4, 10, 11}))
    full = xj.read_dbf(path)
    assert str(full["NL"].dtype) == "Int64" and full["JE"].dtype == np.float64 and full["K"].dtype == np.int64
    alone = xj.read_dbf(path, records=(0, 10))  # the first part alone: no blank, no decimal point
    assert alone["NL"].dtype == np.int64 and alone["JE"].dtype == np.int64
    conv = xj.dbf_to_parquet(path, tmp_path / "out", records_per_part=10, workers=1)
    back = pd.read_parquet(tmp_path / "out")
    exp = _expected_frame(full)
    assert full["CSRQ"].dtype == "datetime64[s]" and back["CSRQ"].dtype == "datetime64[ms]"  # Parquet: no s
    exp["CSRQ"] = exp["CSRQ"].astype("datetime64[ms]")
    pd.testing.assert_frame_equal(back, exp)
    for p in conv.parts:  # every part file carries the whole file's types
        one = pd.read_parquet(p)
        assert one.dtypes.drop("CSRQ").equals(back.dtypes.drop("CSRQ"))
    assert _rows_by_warning(conv.warnings) == _rows_by_warning(xj.load_report(full).warnings)
    assert ("INVALID_DATE", "CSRQ") in _rows_by_warning(conv.warnings)


def test_extra_records_and_an_empty_file(tmp_path):
    fields = [("XM", "C", 6, 0), ("NL", "N", 3, 0)]
    rows = [[b"a%d" % i, b"%d" % i] for i in range(7)]
    path = tmp_path / "extra.dbf"
    path.write_bytes(build_dbf(fields, rows, header_records=5))  # two complete records past the count
    full = xj.read_dbf(path)
    conv = xj.dbf_to_parquet(path, tmp_path / "o1", records_per_part=3, workers=1)
    assert (conv.header_records, conv.extra_records, conv.records) == (5, 2, 7) and len(conv.parts) == 3
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "o1"), _expected_frame(full))
    assert _rows_by_warning(conv.warnings) == _rows_by_warning(xj.load_report(full).warnings)

    empty = tmp_path / "empty.dbf"
    empty.write_bytes(build_dbf(fields, []))
    conv = xj.dbf_to_parquet(empty, tmp_path / "o2", workers=2)
    back = pd.read_parquet(tmp_path / "o2")
    assert conv.records == 0 and len(conv.parts) == 1 and list(back.columns) == [ROW_COLUMN, "XM", "NL"]
    assert len(back) == 0


# -------------------------------------------------------------------------------------- resume / errors


def _copy_tree(src, dst):
    shutil.copytree(src, dst)
    return dst


def _mtimes(out):
    return {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}


def test_resume_redoes_only_the_missing_part(converted, tmp_path, full):
    _, out0 = converted
    out = _copy_tree(out0, tmp_path / "copy")
    before = _mtimes(out)
    (out / "part-00001.parquet").unlink()
    (out / ".part-00002.parquet.abc123.tmp").write_bytes(b"half a file")  # a crash while writing
    conv = xj.dbf_to_parquet(converted[0].source, out, records_per_part=PER_PART, workers=2)
    assert (conv.written, conv.reused) == (1, 2)
    after = _mtimes(out)
    assert after["part-00000.parquet"] == before["part-00000.parquet"]
    assert after["part-00002.parquet"] == before["part-00002.parquet"]
    assert (out / "part-00001.parquet").is_file() and not list(out.glob(".*.tmp"))
    pd.testing.assert_frame_equal(pd.read_parquet(out), _expected_frame(full))
    # a part whose size no longer matches the manifest is redone too
    with open(out / "part-00002.parquet", "ab") as fh:
        fh.write(b"x")
    conv = xj.dbf_to_parquet(conv.source, out, records_per_part=PER_PART, workers=1)
    assert (conv.written, conv.reused) == (1, 2)
    assert _mtimes(out)["part-00000.parquet"] == before["part-00000.parquet"]


def test_resume_after_a_crash_in_the_middle(reg_dbf, tmp_path, monkeypatch, full):
    import xueji_lib.io.parquet as xpq

    real = xpq._convert_part
    calls = []

    def crash_on_second(job):
        calls.append(job["name"])
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash")
        return real(job)

    monkeypatch.setattr(xpq, "_convert_part", crash_on_second)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        xj.dbf_to_parquet(reg_dbf, out, records_per_part=PER_PART, workers=1)
    m = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert [p["file"] for p in m["parts"]] == ["part-00000.parquet"]
    monkeypatch.setattr(xpq, "_convert_part", real)
    first = _mtimes(out)["part-00000.parquet"]
    conv = xj.dbf_to_parquet(reg_dbf, out, records_per_part=PER_PART, workers=1)
    assert (conv.written, conv.reused) == (2, 1) and _mtimes(out)["part-00000.parquet"] == first
    pd.testing.assert_frame_equal(pd.read_parquet(out), _expected_frame(full))


def test_another_records_per_part_replaces_the_parts(converted, tmp_path, full):
    out = _copy_tree(converted[1], tmp_path / "copy")
    conv = xj.dbf_to_parquet(converted[0].source, out, records_per_part=2000, workers=1)
    assert (
        len(conv.parts) == 2
        and conv.written == 2
        and sorted(p.name for p in out.glob("*.parquet")) == ["part-00000.parquet", "part-00001.parquet"]
    )
    pd.testing.assert_frame_equal(pd.read_parquet(out), _expected_frame(full))


def test_changed_source_is_an_error_unless_restarted(reg_dbf, tmp_path):
    src = tmp_path / "源.dbf"
    shutil.copy(reg_dbf, src)
    out = tmp_path / "out"
    xj.dbf_to_parquet(src, out, records_per_part=PER_PART, workers=1)
    data = bytearray(src.read_bytes())
    data[-200] = ord("Z")  # same size, another value, another mtime
    src.write_bytes(bytes(data))
    os.utime(src, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    with pytest.raises(xj.ParquetConversionError) as err:
        xj.dbf_to_parquet(src, out, records_per_part=PER_PART, workers=1)
    msg = str(err.value)
    assert str(out) in msg and str(src) in msg and "resume=False" in msg and isinstance(err.value, xj.XuejiError)
    conv = xj.dbf_to_parquet(src, out, records_per_part=PER_PART, workers=1, resume=False)
    assert conv.written == 3 and conv.reused == 0
    assert json.loads((out / MANIFEST_NAME).read_text("utf-8"))["source"]["mtime_ns"] == src.stat().st_mtime_ns


def test_parts_without_a_manifest_are_not_adopted(reg_dbf, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "part-00000.parquet").write_bytes(b"not ours")
    with pytest.raises(xj.ParquetConversionError, match="没有 _conversion.json"):
        xj.dbf_to_parquet(reg_dbf, out, records_per_part=PER_PART, workers=1)
    assert (out / "part-00000.parquet").read_bytes() == b"not ours"


def test_truncated_file_is_refused_as_read_dbf_refuses_it(reg_dbf, tmp_path):
    cut = tmp_path / "cut.dbf"
    cut.write_bytes(reg_dbf.read_bytes()[:-1000])
    with pytest.raises(xj.TruncatedFileError) as by_read:
        xj.read_dbf(cut)
    with pytest.raises(xj.TruncatedFileError) as by_convert:
        xj.dbf_to_parquet(cut, tmp_path / "out", records_per_part=PER_PART, workers=2)
    assert str(by_convert.value) == str(by_read.value)
    assert (by_convert.value.expected, by_convert.value.present) == (N, by_read.value.present)
    assert not (tmp_path / "out").exists()


def test_count_check_catches_parts_that_do_not_add_up(converted, tmp_path):
    out = _copy_tree(converted[1], tmp_path / "copy")
    m = json.loads((out / MANIFEST_NAME).read_text("utf-8"))
    m["parts"][1]["deleted"] += 2  # the parts would now account for 2 records too many
    (out / MANIFEST_NAME).write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(xj.ParquetCountError) as err:
        xj.dbf_to_parquet(converted[0].source, out, records_per_part=PER_PART, workers=1)
    assert (err.value.expected, err.value.got) == (N, N + 2)
    assert converted[0].source in str(err.value) and f"{N}" in str(err.value) and f"{N + 2}" in str(err.value)
    m["parts"][1]["deleted"] -= 2
    m["parts"][0]["live"] -= 1  # the manifest and the Parquet footer disagree
    (out / MANIFEST_NAME).write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(xj.ParquetCountError, match="part-00000.parquet"):
        xj.dbf_to_parquet(converted[0].source, out, records_per_part=PER_PART, workers=1)


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_parquet(reg_dbf, tmp_path, capsys, full):
    out = tmp_path / "cli_out"
    code = main(["parquet", str(reg_dbf), "--out", str(out), "--records-per-part", "1000", "--workers", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "DBF 转 Parquet" in captured.out and f"有效记录 {len(full)}" in captured.out
    pd.testing.assert_frame_equal(pd.read_parquet(out), _expected_frame(full))
    # rerun: nothing to do
    assert main(["parquet", str(reg_dbf), "--out", str(out), "--records-per-part", "1000"]) == 0
    assert "沿用上次已完成的 3 个部分" in capsys.readouterr().out
    # errors: exit 2 and a Chinese message, no traceback
    cut = tmp_path / "cut.dbf"
    cut.write_bytes(reg_dbf.read_bytes()[:-1000])
    assert main(["parquet", str(cut), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "文件不完整" in err and "Traceback" not in err
    other = tmp_path / "other.dbf"
    shutil.copy(reg_dbf, other)
    assert main(["parquet", str(other), "--out", str(out), "--records-per-part", "1000"]) == 2
    assert "--restart" in capsys.readouterr().err
    assert main(["parquet", str(other), "--out", str(out), "--records-per-part", "1000", "--restart"]) == 0
    assert main(["parquet", str(reg_dbf), "--out", str(out), "--workers", "0"]) == 2
    assert main(["parquet", str(reg_dbf), "--out", str(cut)]) == 2 and "不是目录" in capsys.readouterr().err
    assert main(["parquet", str(tmp_path / "无此文件.dbf"), "--out", str(out)]) == 2


def test_errors_survive_the_trip_back_from_a_worker(reg_dbf, tmp_path):
    """A worker process sends its error back pickled: xueji's errors become a ParquetConversionError that
    keeps the message (the originals take structured arguments and do not unpickle)."""
    import pickle

    from xueji_lib.io.parquet import _convert_part_in_worker

    cut = tmp_path / "cut.dbf"
    cut.write_bytes(reg_dbf.read_bytes()[:-1000])
    job = dict(
        path=str(cut),
        encoding=None,
        start=0,
        stop=10,
        out_dir=str(tmp_path),
        name="part-00000.parquet",
        dtypes={},
        schema=None,
    )
    with pytest.raises(xj.ParquetConversionError) as err:
        _convert_part_in_worker(job)
    back = pickle.loads(pickle.dumps(err.value))
    assert type(back) is xj.ParquetConversionError and str(back) == str(err.value) and "文件不完整" in str(back)
    count = pickle.loads(pickle.dumps(xj.ParquetCountError(cut, 10, 12, "（有效 9 + 已删除 3）")))
    assert (count.expected, count.got) == (10, 12) and "有效 9" in str(count)


def test_file_level_notes_are_kept(tmp_path):
    """A file without a code page (byte 29 = 0) and Chinese text: read_dbf says it chose GB18030; so does the
    conversion, once."""
    path = tmp_path / "nocp.dbf"
    path.write_bytes(build_dbf([("XM", "C", 10, 0)], [["张三".encode("gbk")]] * 7, ldid=0))
    full = xj.read_dbf(path)
    conv = xj.dbf_to_parquet(path, tmp_path / "out", records_per_part=3, workers=1)
    assert ("CODEPAGE_UNSET", None) in _rows_by_warning(xj.load_report(full).warnings)
    assert _rows_by_warning(conv.warnings) == _rows_by_warning(xj.load_report(full).warnings)
    assert conv.encoding == "gb18030" and "GB18030" in conv.summary()


def test_commands_read_a_converted_folder_like_the_dbf(tmp_path):
    """`xueji parquet` once, then the commands take the folder where they took the DBF: same results; an
    unfinished conversion is refused with a message."""
    import json
    import subprocess
    import sys

    from xueji_lib.io.parquet import read_parquet_folder

    xueji = str(Path(sys.executable).with_name("xueji"))
    hei = Path(__file__).resolve().parent.parent / "data_samples" / "hei"
    folders = {}
    for name in ("10_录取名单", "10_注册上报"):
        folders[name] = tmp_path / f"{name}.parquet"
        xj.dbf_to_parquet(hei / f"{name}.dbf", folders[name], records_per_part=300, workers=1)
    back = read_parquet_folder(folders["10_注册上报"])
    direct = xj.read_dbf(hei / "10_注册上报.dbf")
    assert len(back) == len(direct) and list(back.columns) == list(direct.columns)
    assert back["KSH"].tolist() == direct["KSH"].tolist()
    out = {}

    def run(how, adm, reg):
        return subprocess.run(
            [
                xueji,
                "reconcile",
                "--admission",
                str(adm),
                "--registration",
                str(reg),
                "--year",
                "2026",
                "--category",
                "10",
                "--out",
                str(tmp_path / how),
            ],
            capture_output=True,
            text=True,
        )

    for how, adm, reg in (
        ("dbf", hei / "10_录取名单.dbf", hei / "10_注册上报.dbf"),
        ("parquet", folders["10_录取名单"], folders["10_注册上报"]),
    ):
        proc = run(how, adm, reg)
        assert proc.returncode == 0, proc.stderr
        out[how] = json.loads((tmp_path / how / "summary.json").read_text("utf-8"))
    # the folders are read by the engine (only the listed records come back, for the lists)
    assert "由计算引擎直接读取），995 条记录" in proc.stdout and "录取 1000 + 注册 995 = 1995 行" in proc.stdout
    assert out["parquet"]["registration"] == out["dbf"]["registration"]
    assert out["parquet"]["admission"] == out["dbf"]["admission"]
    for name in ("资格有误.dbf", "未注册.dbf", "results.csv"):
        assert (tmp_path / "parquet" / name).read_bytes() == (tmp_path / "dbf" / name).read_bytes(), name
    next(folders["10_注册上报"].glob("part-00001.parquet")).unlink()
    with pytest.raises(xj.ParquetConversionError, match="转换还没有完成"):
        read_parquet_folder(folders["10_注册上报"])
    proc = run("again", folders["10_录取名单"], folders["10_注册上报"])
    assert proc.returncode != 0 and "转换还没有完成" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------------ reconcile reads a converted folder itself

TYPED_FIELDS = {
    "KSH": ("C", 14, 0),
    "XM": ("C", 30, 0),
    "SFZH": ("C", 40, 0),
    "CSRQ": ("D", 8, 0),
    "CC": ("C", 10, 0),
    "XXXS": ("C", 12, 0),
    "LQNF": ("N", 4, 0),
    "XLLB": ("C", 12, 0),
    "YXDM": ("C", 10, 0),
}


def typed_reconcile_pair(folder: Path) -> dict:
    """An admission DBF and a registration DBF whose 出生日期 is a D field and 录取年份 an N field, with the
    search keys made awkward: one registration record without 考生号 whose 身份证号 is written in full-width
    digits with a blank, one whose admission counterpart has an 18-digit 1990s 身份证号 written with 15
    digits, one found by 姓名+出生日期 only, 学历类别 written as its name. Returns the DBF paths and the same
    records as all-text frames (dates YYYYMMDD, years as digits) — the types must not change the verdict."""
    from xueji_lib.checks.validate import normalized_ids

    adm, reg = synth.make_registration_pair(400, seed=3)
    adm, reg = adm[list(TYPED_FIELDS)].copy(), reg[[c for c in TYPED_FIELDS if c in reg.columns]].copy()
    reg["LQNF"], reg["XLLB"] = "2026", "10"
    reg.loc[reg.index[::7], "XLLB"] = "普通本专科"
    blank = reg.index[reg["KSH"].str.strip() == ""]
    assert len(blank) == 1
    full = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    sf = reg.at[blank[0], "SFZH"]
    reg.at[blank[0], "SFZH"] = sf[:6].translate(full) + " " + sf[6:]
    matched = [i for i in reg.index if reg.at[i, "KSH"].strip() and (adm["KSH"] == reg.at[i, "KSH"]).sum() == 1]
    fifteen, by_birth = matched[5], matched[9]
    a15 = adm.index[adm["KSH"] == reg.at[fifteen, "KSH"]][0]
    old15 = "110105" + "930417" + "123"
    adm.at[a15, "SFZH"] = normalized_ids(pd.Series([old15])).iloc[0]
    adm.at[a15, "CSRQ"] = "19930417"
    reg.at[fifteen, "SFZH"], reg.at[fifteen, "CSRQ"], reg.at[fifteen, "KSH"] = old15, "19930417", ""
    reg.at[by_birth, "SFZH"], reg.at[by_birth, "KSH"] = "", ""

    def dbf(frame, name):
        fields = [(c, *TYPED_FIELDS[c]) for c in frame.columns]
        rows = [
            [str(v).encode("gbk") if c != "CSRQ" else str(v).encode() for c, v in zip(frame.columns, rec)]
            for rec in frame.itertuples(index=False)
        ]
        path = folder / f"{name}.dbf"
        path.write_bytes(build_dbf(fields, rows))
        return path

    return {
        "adm_dbf": dbf(adm, "录取"),
        "reg_dbf": dbf(reg, "注册"),
        "adm_text": adm.reset_index(drop=True),
        "reg_text": reg.reset_index(drop=True),
        "fifteen": reg.index.get_loc(fifteen) + 1,
        "by_birth": reg.index.get_loc(by_birth) + 1,
        "blank": reg.index.get_loc(blank[0]) + 1,
    }


def as_rows(f: pd.DataFrame, shift: int) -> pd.DataFrame:
    """``f`` with its sentences' DBF record numbers ("第 36、386 条记录") named as rows of a sheet whose records
    start ``shift`` rows lower ("第 37、387 行"): a DBF's and a workbook's results say the same thing."""

    def rows(m) -> str:
        return "第 " + "、".join(str(int(x) + shift) for x in m.group(1).split("、")) + " 行"

    if "reasons" not in f:
        return f
    return f.assign(reasons=f["reasons"].str.replace(r"第 ([\d、]+) 条记录", rows, regex=True))


def check_typed_pair(tmp_path: Path, engine=None) -> None:
    """Over the converted folders (read by the engine) = over the read DBFs = over the all-text frames."""
    pair = typed_reconcile_pair(tmp_path)
    adm, reg = xj.read_dbf(pair["adm_dbf"]), xj.read_dbf(pair["reg_dbf"])
    assert str(reg["CSRQ"].dtype).startswith("datetime64") and str(adm["LQNF"].dtype) in ("int64", "Int64")
    folders = {}
    for key in ("adm_dbf", "reg_dbf"):
        folders[key] = tmp_path / f"{key}.parquet"
        xj.dbf_to_parquet(pair[key], folders[key], records_per_part=150, workers=1)
    text = xj.reconcile(pair["adm_text"], pair["reg_text"])
    typed = xj.reconcile(adm, reg, engine=engine)
    folder = xj.reconcile(folders["adm_dbf"], folders["reg_dbf"], engine=engine)
    for res in (typed, folder):
        assert res.counts == text.counts
        pd.testing.assert_frame_equal(as_rows(res.registration, 0), text.registration)
        pd.testing.assert_frame_equal(as_rows(res.admission, 0), text.admission)
    pd.testing.assert_frame_equal(folder.registration, typed.registration)
    by_row = text.registration.set_index("row")
    assert by_row.at[pair["blank"], "match_by"] == "身份证号"
    assert by_row.at[pair["fifteen"], "match_by"] == "身份证号"
    assert by_row.at[pair["by_birth"], "match_by"] == "姓名+出生日期"
    assert text.counts["registration"]["missing_key"] == 3


def test_reconcile_reads_a_converted_folder_itself(tmp_path):
    check_typed_pair(tmp_path)


def test_reconcile_names_a_folder_without_its_key_field(tmp_path):
    path = tmp_path / "无考生号.dbf"
    path.write_bytes(build_dbf([("XM", "C", 10, 0)], [["张三".encode("gbk")]]))
    xj.dbf_to_parquet(path, tmp_path / "无考生号.parquet", workers=1)
    with pytest.raises(xj.LayoutError, match=r"无考生号\.parquet：缺少考生号字段 KSH"):
        xj.reconcile(tmp_path / "无考生号.parquet", tmp_path / "无考生号.parquet")


# ------------------------------------------------------------------- compare reads converted folders too


def roster_dbfs(folder: Path) -> dict:
    """The K-12 sample rosters (2025秋, 2026春) written as DBFs (出生日期 a D field), converted to folders."""
    k12 = Path(__file__).resolve().parent.parent / "data_samples" / "k12"
    out = {"changes": xj.read_table(k12 / "学籍异动_2026春.xlsx", "k12_changes")}
    for term in ("2025秋", "2026春"):
        frame = xj.read_table(k12 / f"学生名单_{term}.xlsx", "k12_student")
        out[f"{term}_text"] = frame
        out[term] = roster_dbf(frame, folder / f"学生名单_{term}.dbf")
        out[f"{term}_folder"] = folder / f"学生名单_{term}.parquet"
        xj.dbf_to_parquet(out[term], out[f"{term}_folder"], records_per_part=500, workers=1)
    return out


def roster_dbf(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` (all text) as a DBF: C fields as wide as their longest value, 出生日期 a D field."""
    fields = [
        (c, "D", 8, 0)
        if c == "CSRQ"
        else (c, "C", max(1, int(frame[c].fillna("").map(lambda v: len(str(v).encode("gbk"))).max())), 0)
        for c in frame.columns
    ]
    rows = [[("" if pd.isna(v) else str(v)).encode("gbk") for v in rec] for rec in frame.itertuples(index=False)]
    path.write_bytes(build_dbf(fields, rows))
    return path


def check_roster_folders(tmp_path: Path, engine=None) -> None:
    """compare over the folders (the engine reads the compared fields; only keys, context columns and the
    records that differ are read here) = over the read DBFs = over the sample workbooks."""
    r = roster_dbfs(tmp_path)
    text = xj.compare(r["2025秋_text"], r["2026春_text"], changes=r["changes"])
    dbf = xj.compare(xj.read_dbf(r["2025秋"]), xj.read_dbf(r["2026春"]), changes=r["changes"])
    folder = xj.compare(r["2025秋_folder"], r["2026春_folder"], changes=r["changes"], engine=engine)
    for res in (dbf, folder):
        assert res.counts == text.counts and res.matched_by_counts == text.matched_by_counts
        for side in ("old", "new", "changes"):  # the workbooks' header is in row 1: record n is row n + 1
            pd.testing.assert_frame_equal(as_rows(getattr(res, side), 1), getattr(text, side), check_dtype=False)
    # the planted differences are there, so the comparison of fields and the fallbacks did run
    assert {"moved", "changed", "removed", "added"} <= set(text.new["status"]) | set(text.old["status"])


def test_compare_reads_converted_folders(tmp_path):
    check_roster_folders(tmp_path)


def test_compare_folders_where_every_record_has_its_key(tmp_path):
    """No record without 学籍号 and no 学籍号 twice on either side (nothing read record by record before the
    fallbacks, which then have nothing to look up): the same result."""
    k12 = Path(__file__).resolve().parent.parent / "data_samples" / "k12"
    frames = [xj.read_table(k12 / f"学生名单_{t}.xlsx", "k12_student") for t in ("2025秋", "2026春")]
    frames = [
        f[(f["XJH"].fillna("").str.strip() != "") & ~f["XJH"].duplicated(keep=False)].reset_index(drop=True)
        for f in frames
    ]
    folders = []
    for i, f in enumerate(frames):
        folders.append(tmp_path / f"{i}.parquet")
        xj.dbf_to_parquet(roster_dbf(f, tmp_path / f"{i}.dbf"), folders[-1], workers=1)
    exp, got = xj.compare(*frames), xj.compare(*folders)
    assert got.counts == exp.counts and got.counts["old"]["missing_key"] == got.counts["new"]["duplicate_key"] == 0
    pd.testing.assert_frame_equal(as_rows(got.new, 0), exp.new, check_dtype=False)  # frames filtered and renumbered
    pd.testing.assert_frame_equal(as_rows(got.old, 0), exp.old, check_dtype=False)


def test_cli_compare_takes_converted_folders(tmp_path):
    """`xueji compare` over two converted folders writes what it writes over the DBFs (same counts, same
    results.csv; the lists' records read from the folders)."""
    import json
    import subprocess
    import sys

    xueji = str(Path(sys.executable).with_name("xueji"))
    r = roster_dbfs(tmp_path)
    changes = Path(__file__).resolve().parent.parent / "data_samples" / "k12" / "学籍异动_2026春.xlsx"
    out = {}
    for how, old, new in (("dbf", r["2025秋"], r["2026春"]), ("folder", r["2025秋_folder"], r["2026春_folder"])):
        proc = subprocess.run(
            [xueji, "compare", str(old), str(new), "--changes", str(changes), "--out", str(tmp_path / how)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[how] = json.loads((tmp_path / how / "summary.json").read_text("utf-8"))
    assert "由计算引擎直接读取），1442 条记录" in proc.stdout and "旧 1442 + 新 1437 = 2879 行" in proc.stdout
    assert out["folder"]["old"] == out["dbf"]["old"] and out["folder"]["new"] == out["dbf"]["new"]
    assert (tmp_path / "folder" / "results.csv").read_bytes() == (tmp_path / "dbf" / "results.csv").read_bytes()
    from openpyxl import load_workbook

    sheets = {}
    for how in ("dbf", "folder"):  # every sheet but 汇总 (which names the inputs) holds the same cells
        wb = load_workbook(tmp_path / how / "对比结果.xlsx", read_only=True)
        sheets[how] = {
            ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()]
            for ws in wb.worksheets
            if ws.title != "汇总"
        }
    assert sheets["folder"] == sheets["dbf"] and len(sheets["dbf"]) >= 3


# ----------------------------------------------------------------- statistics read converted folders too


def check_stats_folders(tmp_path: Path, engine=None) -> None:
    """k12_stats and higher_ed_stats over converted folders (the engine groups the records; only distinct
    values come back) give the tables and notes they give over the frames."""
    (tmp_path / "k12").mkdir()
    r = roster_dbfs(tmp_path / "k12")
    frames = xj.k12_stats(r["2026春_text"], previous=r["2025秋_text"])
    folders = xj.k12_stats(r["2026春_folder"], previous=r["2025秋_folder"], engine=engine)
    assert (folders.total, folders.previous_total, folders.notes) == (frames.total, frames.previous_total, frames.notes)
    assert list(folders.tables) == list(frames.tables)
    for title, table in frames.tables.items():
        pd.testing.assert_frame_equal(folders.tables[title], table, obj=title)
    hei = Path(__file__).resolve().parent.parent / "data_samples" / "hei"
    folder = {}
    for name in ("10_录取名单", "10_注册上报"):
        folder[name] = tmp_path / f"{name}.parquet"
        xj.dbf_to_parquet(hei / f"{name}.dbf", folder[name], records_per_part=300, workers=1)
    reg, adm = xj.read_dbf(hei / "10_注册上报.dbf"), xj.read_dbf(hei / "10_录取名单.dbf")
    frames = xj.higher_ed_stats(reg, admission=adm, year=2026, category="10")
    folders = xj.higher_ed_stats(
        folder["10_注册上报"], admission=folder["10_录取名单"], year=2026, category="10", engine=engine
    )
    assert folders.notes == frames.notes and list(folders.tables) == list(frames.tables)
    for title, table in frames.tables.items():
        pd.testing.assert_frame_equal(folders.tables[title], table, obj=title)
    assert "各专业注册率" in frames.tables and "按生源省份" in frames.tables


def test_statistics_read_converted_folders(tmp_path):
    check_stats_folders(tmp_path)


AWKWARD = pd.DataFrame(
    {
        "KSH": ["26110101000001", "12345", "", "26990101000001", "26440101000002", "26440101000002"],
        "SFZH": ["", "４４０１０１２００７０１０１００１Ｘ", " 110105 800101 001", "", "", ""],
        "CSRQ": ["20080517", "", "20070231", "", "20100101", "20100101"],
        "RXRQ": ["20260901", "", "20260901", "20260901", "20260901", "20260901"],
    },
    dtype="str",
)


def awkward_stats(data, engine=None):
    res = xj.higher_ed_stats(data, year=2026, engine=engine)
    prov = res.table("按生源省份").set_index("生源省份")
    age = res.table("按入学年龄").set_index("年龄段")["人数"]
    return res, prov, age


def check_awkward(data, engine=None) -> None:
    """By hand: 广东省 by 考生号 twice and by a full-width 身份证号 once; 北京市 by 考生号 and by a 15-digit
    身份证号 written with blanks; a 14-digit 考生号 whose 3rd–4th digits are no province, without 身份证号;
    ages from 出生日期, else (missing or 0231) from the 身份证号, at 入学日期 else 2026-09-01."""
    res, prov, age = awkward_stats(data, engine)
    assert prov.loc["广东省", ["人数", "其中按考生号", "其中按身份证号"]].tolist() == [3, 2, 1]
    assert prov.loc["北京市", ["人数", "其中按考生号", "其中按身份证号"]].tolist() == [2, 1, 1]
    assert prov.loc["无法确定", "人数"] == 1
    assert age[["17岁及以下", "18岁", "19岁", "30岁以上", "无法计算", "合计"]].tolist() == [2, 1, 1, 1, 1, 6]
    assert (
        "生源省份：3 条按 14 位考生号的第 3–4 位（生源省级代码），2 条按身份证号前 2 位（考生号不是 14 位数字，"
        "或 14 位考生号第 3–4 位不是省级代码的 1 条），1 条无法确定"
    ) in res.notes
    assert (
        "入学年龄按周岁计算：4 条以入学日期为准，1 条入学日期缺失或无效，按 2026 年 9 月 1 日 计算，"
        "出生日期取自出生日期字段 3 条、取自身份证号 2 条，1 条无法计算（出生日期无效或晚于入学日期）"
    ) in res.notes


def awkward_folder(tmp_path: Path) -> Path:
    fields = [(c, "C", 40, 0) for c in AWKWARD.columns]
    rows = [[v.encode("gbk") for v in rec] for rec in AWKWARD.itertuples(index=False)]
    (tmp_path / "awkward.dbf").write_bytes(build_dbf(fields, rows))
    xj.dbf_to_parquet(tmp_path / "awkward.dbf", tmp_path / "awkward.parquet", records_per_part=4, workers=1)
    return tmp_path / "awkward.parquet"


def test_statistics_of_awkward_dates_and_ids(tmp_path):
    check_awkward(AWKWARD)
    check_awkward(awkward_folder(tmp_path))


def test_handoff_reads_converted_folders(tmp_path):
    """Graduates vs the next stage's intake over converted folders: the same result as over the workbooks."""
    k12 = Path(__file__).resolve().parent.parent / "data_samples" / "k12"
    frames, folders = [], []
    for name in ("毕业生_2026", "新生_2026秋"):
        frames.append(xj.read_table(k12 / f"{name}.xlsx", "k12_student"))
        folders.append(tmp_path / f"{name}.parquet")
        xj.dbf_to_parquet(
            roster_dbf(frames[-1], tmp_path / f"{name}.dbf"), folders[-1], records_per_part=300, workers=1
        )
    exp, got = xj.handoff(*frames), xj.handoff(*folders)
    assert got.counts == exp.counts and exp.counts["graduates"]["not_enrolled"] > 0
    for side in ("graduates", "intake"):
        e, g = getattr(exp, side), getattr(got, side)
        pd.testing.assert_frame_equal(g.drop(columns="reasons"), e.drop(columns="reasons"), check_dtype=False)
        # the same sentences; the workbook's name Excel rows (header in row 1), the DBF's record numbers
        as_excel = g["reasons"].str.replace(r"第 (\d+) 条记录", lambda m: f"第 {int(m.group(1)) + 1} 行", regex=True)
        assert as_excel.tolist() == e["reasons"].tolist()
