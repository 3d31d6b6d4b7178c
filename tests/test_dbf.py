"""read_dbf / write_dbf on real DBF bytes: files written by an independent writer (the `dbf` package),
files built byte by byte for the variants and the damage real systems produce, and round trips.
Every value is compared with what dbfread returns wherever dbfread can read the file."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import struct

import dbf as dbfpkg
import numpy as np
import pandas as pd
import pytest
from dbfread import DBF

import xueji_lib as xj
import xueji_lib.io.dbf as xdbf
from tests.dbfbytes import build_dbf, build_dbt4

# --------------------------------------------------------------------------------------------- helpers


def _norm(v):
    """One comparable form for a cell from dbfread or from our DataFrame."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else pd.Timestamp(v).to_pydatetime()
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, bytes):
        return bytes(v)
    return v


def assert_equals_dbfread(path, df=None, encoding="gb18030"):
    """Every cell of read_dbf(path) equals dbfread's value (same columns, same order, same count)."""
    df = xj.read_dbf(path) if df is None else df
    ref = [dict(r) for r in DBF(str(path), encoding=encoding)]
    ref_cols = [c for c in (ref[0].keys() if ref else []) if c.upper() != "_NULLFLAGS"]
    assert len(df) == len(ref)
    if ref:
        assert list(df.columns) == [c.upper() for c in ref_cols]
    for i, rec in enumerate(ref):
        for c in ref_cols:
            ours, theirs = _norm(df[c.upper()].iloc[i]), _norm(rec[c])
            assert ours == theirs, (i, c, ours, theirs)
            if theirs is not None and not isinstance(theirs, decimal.Decimal):
                assert type(ours) in (type(theirs), int, float) and (
                    isinstance(ours, type(theirs)) or {type(ours), type(theirs)} <= {int, float}
                ), (c, ours, theirs)


def warning(df, code, field=None):
    found = [w for w in xj.load_report(df).warnings if w.code == code and (field is None or w.field == field)]
    assert found, f"no warning {code} for {field}: {xj.load_report(df).warnings}"
    return found[0]


NAMES = ["张三", "李四", "欧阳·娜娜", "王堃", "赵喆", "陈赟", "刘玥", "周昇", "吴淼", "阿依古丽·买买提"]


@pytest.fixture()
def registration_frame():
    n = 40
    return pd.DataFrame(
        {
            "KSH": [f"2643010111{i:04d}" for i in range(n)],
            "XM": [NAMES[i % len(NAMES)] for i in range(n)],
            "XB": ["男" if i % 2 else "女" for i in range(n)],
            "CSRQ": ["20080517"] * n,
            "SFZH": [f"43010220080517{i:04d}" for i in range(n)],
            "MZ": ["汉族" if i % 5 else "土家族" for i in range(n)],
            "ZYMC": ["计算机科学与技术", "法学", "临床医学", "汉语言文学"] * (n // 4),
            "CC": ["本科"] * n,
            "XZ": ["4"] * n,
            "XXXS": ["普通全日制"] * n,
            "RXRQ": ["20260901"] * n,
        }
    )


# ------------------------------------------------------------------------------------- our own writer


def test_write_then_read_equals_dbfread_across_block_boundaries(tmp_path, registration_frame, monkeypatch):
    path = tmp_path / "注册上报.dbf"
    deleted = np.zeros(len(registration_frame), bool)
    deleted[[0, 7, 8, 39]] = True
    xj.write_dbf(registration_frame, path, "chsi_registration", deleted=deleted, date=dt.date(2026, 11, 23))
    monkeypatch.setattr(xdbf, "BLOCK_RECORDS", 6)  # many blocks, two threads, per-column choices
    df = xj.read_dbf(path)
    assert_equals_dbfread(path, df)
    expected = registration_frame[~deleted].reset_index(drop=True)
    for col in expected.columns:
        assert df[col].tolist() == expected[col].tolist()
    assert str(df["XM"].dtype) == "str"
    rep = xj.load_report(df)
    assert (rep.version, rep.codepage, rep.encoding) == (0x03, 0x4D, "gb18030")
    assert (rep.header_records, rep.deleted, rep.records) == (40, 4, 36)
    assert rep.last_update == "2026-11-23"
    assert rep.warnings == ()


def test_written_header_is_dbase3_gbk_with_layout_widths(tmp_path, registration_frame):
    path = xj.write_dbf(registration_frame, tmp_path / "a.dbf", "chsi_registration")
    raw = path.read_bytes()
    lay = xj.load_layout("chsi_registration")
    assert raw[0] == 0x03 and raw[29] == 0x4D and raw[-1] == 0x1A
    nrec, hlen, rlen = struct.unpack_from("<LHH", raw, 4)
    assert nrec == 40 and rlen == 1 + sum(f.width for f in lay.fields) and hlen == 32 + 32 * len(lay.fields) + 1
    header = xj.inspect_dbf(path)
    assert [(f.name, f.type, f.length) for f in header.fields] == [(f.code, f.type, f.width) for f in lay.fields]
    assert oct(path.stat().st_mode & 0o777) != oct(0o600) or os.umask(0o022) == 0o077
    assert [p.name for p in tmp_path.iterdir()] == ["a.dbf"]  # no temporary file left behind


def test_rare_character_needs_gb18030_and_survives(tmp_path, registration_frame):
    frame = registration_frame.copy()
    frame.loc[3, "XM"] = "刘䶮"
    with pytest.raises(xj.WriteError) as exc:
        xj.write_dbf(frame, tmp_path / "gbk.dbf", "chsi_registration")
    assert "第 4 行" in str(exc.value) and "XM" in str(exc.value) and "䶮" in str(exc.value)
    assert exc.value.problems[["row", "field"]].values.tolist() == [[4, "XM"]]
    assert not (tmp_path / "gbk.dbf").exists()
    path = xj.write_dbf(frame, tmp_path / "gb18030.dbf", "chsi_registration", encoding="gb18030")
    df = xj.read_dbf(path)
    assert df.loc[3, "XM"] == "刘䶮"
    assert_equals_dbfread(path, df)


def test_too_long_values_are_listed_never_cut(tmp_path, registration_frame):
    frame = registration_frame.copy()
    frame.loc[1, "ZYMC"] = "计算机科学与技术（人工智能与大数据方向）" * 2  # 80 bytes in GBK > 50
    frame.loc[5, "SFZH"] = "4301022008051700123"  # 19 > 18
    target = tmp_path / "out.dbf"
    target.write_bytes(b"previous content")
    with pytest.raises(xj.WriteError) as exc:
        xj.write_dbf(frame, target, "chsi_registration")
    problems = exc.value.problems
    assert problems[["row", "field"]].values.tolist() == [[2, "ZYMC"], [6, "SFZH"]]
    assert "430102*********0123" == problems.loc[1, "value"]  # personal value masked in the report
    assert "超出字段宽度 50" in problems.loc[0, "reason"]
    assert target.read_bytes() == b"previous content"  # the old file is untouched


def test_write_rejects_unknown_columns_and_missing_required(tmp_path, registration_frame):
    with pytest.raises(xj.WriteError, match="没有这些列：EXTRA"):
        xj.write_dbf(registration_frame.assign(EXTRA="x"), tmp_path / "a.dbf", "chsi_registration")
    with pytest.raises(xj.WriteError, match="缺少必填字段 XM"):
        xj.write_dbf(registration_frame.drop(columns=["XM"]), tmp_path / "a.dbf", "chsi_registration")


def test_write_numeric_date_logical_fields(tmp_path):
    layout = tmp_path / "typed.yml"
    layout.write_text(
        """
name: typed
title: 类型测试
format: dbf
fields:
  - {code: ID, name: 编号, type: N, width: 18}
  - {code: SCORE, name: 成绩, type: N, width: 7, decimals: 2}
  - {code: BIRTH, name: 出生日期, type: D}
  - {code: OK, name: 是否, type: L}
""",
        encoding="utf-8",
    )
    frame = pd.DataFrame(
        {
            "ID": pd.array([430102200805170012, None, 7], dtype="Int64"),
            "SCORE": [612.5, 0, None],
            "BIRTH": ["20080517", "", "20240229"],
            "OK": [True, False, None],
        }
    )
    path = xj.write_dbf(frame, tmp_path / "typed.dbf", layout)
    df = xj.read_dbf(path)
    assert df["ID"].tolist()[0] == 430102200805170012 and df["ID"].isna().tolist() == [False, True, False]
    assert str(df["ID"].dtype) == "Int64"  # exact for 18 digits, where float64 would lose the last ones
    assert df["SCORE"].tolist()[:2] == [612.5, 0.0] and math.isnan(df["SCORE"][2])
    assert df["BIRTH"].tolist()[0] == pd.Timestamp("2008-05-17") and pd.isna(df["BIRTH"][1])
    assert df["OK"].tolist() == [True, False, pd.NA]
    assert_equals_dbfread(path, df)
    with pytest.raises(xj.WriteError, match="不是 YYYYMMDD"):
        xj.write_dbf(frame.assign(BIRTH=["2008-13-01", "", ""]), tmp_path / "bad.dbf", layout)


# ------------------------------------------------------------------ variants from an independent writer


def _dbfpkg_table(path, spec, dbf_type, rows):
    t = dbfpkg.Table(str(path), spec, dbf_type=dbf_type, codepage="cp936")
    t.open(dbfpkg.READ_WRITE)
    for r in rows:
        t.append(r)
    t.close()
    return path


@pytest.mark.parametrize(
    "dbf_type,version,memo_ext",
    [("db3", 0x83, ".dbt"), ("fp", 0xF5, ".fpt"), ("vfp", 0x30, ".fpt"), ("clp", 0x83, ".dbt")],
)
def test_variants_with_memo_equal_dbfread(tmp_path, dbf_type, version, memo_ext):
    spec = "XM C(20); NL N(3,0); CJ N(7,2); CSRQ D; HG L; BZ M"
    rows = [
        dict(
            xm=NAMES[i % 10],
            nl=17 + i % 5,
            cj=500 + i / 4,
            csrq=dt.date(2008, 1 + i % 12, 1 + i % 28),
            hg=bool(i % 2),
            bz=f"第{i}条备注：" + "学籍异动说明" * (i % 7),
        )
        for i in range(30)
    ]
    rows.append({})  # an all-blank record
    path = _dbfpkg_table(tmp_path / f"t_{dbf_type}.dbf", spec, dbf_type, rows)
    assert (tmp_path / f"t_{dbf_type}{memo_ext}").exists()
    df = xj.read_dbf(path)
    rep = xj.load_report(df)
    assert rep.version == version and rep.encoding == "gb18030" and rep.records == 31
    assert_equals_dbfread(path, df)
    assert df.loc[3, "BZ"] == "第3条备注：" + "学籍异动说明" * 3
    assert str(df["NL"].dtype) == "Int64" and str(df["CSRQ"].dtype) == "datetime64[s]"


def test_visual_foxpro_binary_types_equal_dbfread(tmp_path):
    spec = "XM C(10); I1 I; B1 B; Y1 Y; T1 T; F1 F(10,3); G1 G; BZ M"
    rows = [
        dict(
            xm="张三",
            i1=-5,
            b1=3.25,
            y1=decimal.Decimal("12.3456"),
            t1=dt.datetime(2026, 1, 2, 3, 4, 5),
            f1=2.5,
            g1=b"\x00\x01bin",
            bz="备注",
        ),
        {},
    ]
    path = _dbfpkg_table(tmp_path / "vfp.dbf", spec, "vfp", rows)
    raw = path.read_bytes()
    assert raw[0] == 0x30 and struct.unpack_from("<H", raw, 8)[0] == 32 + 32 * 8 + 1 + 263  # backlink
    df = xj.read_dbf(path)
    assert "_NULLFLAGS" not in df.columns
    assert df.loc[0, "Y1"] == decimal.Decimal("12.3456")
    assert df.loc[0, "T1"] == pd.Timestamp("2026-01-02 03:04:05") and pd.isna(df.loc[1, "T1"])
    assert df.loc[0, "G1"] == b"\x00\x01bin"
    assert_equals_dbfread(path, df)


# ------------------------------------------------------------------------------ byte-built variants


def test_unset_codepage_with_chinese_is_read_as_gb18030(tmp_path):
    raw = build_dbf([("XM", "C", 12, 0)], [["张三".encode("gbk")], ["刘䶮".encode("gb18030")]], ldid=0x00)
    path = tmp_path / "ldid0.dbf"
    path.write_bytes(raw)
    with pytest.raises(UnicodeDecodeError):
        list(DBF(str(path)))  # dbfread falls back to ASCII here
    df = xj.read_dbf(path)
    assert df["XM"].tolist() == ["张三", "刘䶮"]
    assert xj.load_report(df).encoding == "gb18030"
    assert warning(df, "CODEPAGE_UNSET").count == 0
    assert_equals_dbfread(path, df)


def test_explicit_encoding_overrides_the_codepage_byte(tmp_path):
    path = tmp_path / "big5.dbf"
    path.write_bytes(build_dbf([("XM", "C", 10, 0)], [["陳大文".encode("cp950")]], ldid=0x4F))
    assert xj.read_dbf(path)["XM"][0] == "陳大文"
    assert xj.load_report(xj.read_dbf(path)).encoding == "cp950"
    assert xj.read_dbf(path, encoding="latin-1")["XM"][0] == "陳大文".encode("cp950").decode("latin-1")


def test_western_codepage_on_chinese_text_is_flagged(tmp_path):
    path = tmp_path / "cp1252.dbf"
    path.write_bytes(build_dbf([("XM", "C", 10, 0)], [["张三丰".encode("gbk")], ["李四".encode("gbk")]], ldid=0x03))
    df = xj.read_dbf(path)
    assert warning(df, "CODEPAGE_SUSPECT")
    assert xj.read_dbf(path, encoding="gb18030")["XM"].tolist() == ["张三丰", "李四"]


def test_character_cut_in_half_keeps_decodable_part(tmp_path):
    # "张三丰" is 6 bytes in GBK; a 5-byte field written by a byte-truncating system keeps half of 丰
    cut = "张三丰".encode("gbk")[:5]
    path = tmp_path / "cut.dbf"
    path.write_bytes(
        build_dbf(
            [("XM", "C", 5, 0), ("SFZH", "C", 18, 0)],
            [["李四".encode("gbk"), b"110105194912310021"], [cut, b"11010519491231002X"]],
        )
    )
    df = xj.read_dbf(path)
    assert df["XM"].tolist() == ["李四", "张三"]
    w = warning(df, "TRUNCATED_CHAR", "XM")
    assert w.count == 1 and w.examples[0][:2] == (2, "XM")


def test_undecodable_bytes_in_personal_field_are_reported_masked(tmp_path):
    path = tmp_path / "bad.dbf"
    path.write_bytes(build_dbf([("SFZH", "C", 18, 0)], [[b"1101051949\xff\xff31002X"]]))
    df = xj.read_dbf(path)
    w = warning(df, "UNDECODABLE_TEXT", "SFZH")
    assert "\ufffd" in df["SFZH"][0]
    assert w.examples[0][0] == 1 and "31002" not in w.examples[0][2]


def test_invalid_dates_numbers_logicals_become_missing_and_are_reported(tmp_path):
    fields = [("CSRQ", "D", 8, 0), ("NL", "N", 3, 0), ("CJ", "N", 6, 1), ("HG", "L", 1, 0)]
    rows = [
        [b"20080517", b"18", b"612.5", b"T"],
        [b"20080231", b"1a", b"******", b"x"],
        [b"        ", b"   ", b"      ", b"?"],
        [b"00000000", b"-3", b"12,5", b"n"],
    ]
    path = tmp_path / "bad.dbf"
    path.write_bytes(build_dbf(fields, rows))
    df = xj.read_dbf(path)
    assert df["CSRQ"].isna().tolist() == [False, True, True, True]
    assert df["NL"].tolist()[0] == 18 and pd.isna(df["NL"][1]) and df["NL"][3] == -3
    assert df["CJ"].tolist()[0] == 612.5 and pd.isna(df["CJ"][1]) and df["CJ"][3] == 12.5
    assert df["HG"].tolist() == [True, pd.NA, pd.NA, False]
    assert warning(df, "INVALID_DATE", "CSRQ").examples == ((2, "CSRQ", "20080231"),)
    assert warning(df, "INVALID_NUMBER", "NL").examples[0][:2] == (2, "NL")
    assert warning(df, "NUMBER_OVERFLOW", "CJ").count == 1
    assert warning(df, "INVALID_LOGICAL", "HG").examples == ((2, "HG", "x"),)
    with pytest.raises(ValueError):
        list(DBF(str(path)))  # dbfread stops at the first of these


def test_truncated_file_names_expected_and_present_counts(tmp_path):
    raw = build_dbf([("XM", "C", 10, 0)], [[b"a"], [b"b"], [b"c"]], header_records=5, eof=False)
    path = tmp_path / "cut.dbf"
    path.write_bytes(raw + b" par")
    with pytest.raises(xj.TruncatedFileError) as exc:
        xj.read_dbf(path)
    msg = str(exc.value)
    assert "cut.dbf" in msg and "5 条" in msg and "3 条" in msg and "4 字节" in msg
    assert isinstance(exc.value, xj.XuejiError) and isinstance(exc.value, ValueError)
    assert (exc.value.expected, exc.value.present) == (5, 3)


@pytest.mark.parametrize(
    "content,expect",
    [
        (b"", "只有 0 字节"),
        (b"PK\x03\x04" + bytes(60), "首字节 0x50"),
        ("学号,姓名\n1,张三\n".encode("gbk") * 3, "首字节"),
        (b"\x03" + bytes(31) + b"\r", "文件头长度"),
    ],
)
def test_not_a_dbf(tmp_path, content, expect):
    path = tmp_path / "名单.dbf"
    path.write_bytes(content)
    with pytest.raises(xj.FileFormatError) as exc:
        xj.read_dbf(path)
    assert "名单.dbf" in str(exc.value) and expect in str(exc.value)


def test_missing_file_and_missing_memo(tmp_path):
    with pytest.raises(FileNotFoundError, match="找不到文件"):
        xj.read_dbf(tmp_path / "none.dbf")
    path = _dbfpkg_table(tmp_path / "memo.dbf", "XM C(10); BZ M", "fp", [dict(xm="张三", bz="备注")])
    fpt = tmp_path / "memo.fpt"
    fpt.rename(tmp_path / "MEMO.FPT")  # found case-insensitively
    assert xj.read_dbf(path)["BZ"][0] == "备注"
    (tmp_path / "MEMO.FPT").unlink()
    with pytest.raises(xj.MemoFileMissing) as exc:
        xj.read_dbf(path)
    assert "BZ" in str(exc.value) and "memo.dbf" in str(exc.value)
    assert isinstance(exc.value, xj.XuejiError) and isinstance(exc.value, FileNotFoundError)


def test_dbase4_memo(tmp_path):
    memos = ["第一条备注".encode("gbk"), ("很长的备注" * 200).encode("gbk")]
    path = tmp_path / "d4.dbf"
    path.write_bytes(
        build_dbf(
            [("XM", "C", 10, 0), ("BZ", "M", 10, 0)],
            [["张三".encode("gbk"), b"1"], ["李四".encode("gbk"), b"2"], ["王五".encode("gbk"), b""]],
            version=0x8B,
        )
    )
    dbt, blocks = build_dbt4(memos)
    assert blocks == [1, 2]
    (tmp_path / "d4.dbt").write_bytes(dbt)
    df = xj.read_dbf(path)
    assert df["BZ"][0] == "第一条备注" and df["BZ"][1] == "很长的备注" * 200 and pd.isna(df["BZ"][2])
    assert_equals_dbfread(path, df)


def test_long_character_field_uses_decimal_byte(tmp_path):
    text = ("这是一段很长的备注" * 20).encode("gbk")  # 360 bytes
    path = tmp_path / "long.dbf"
    path.write_bytes(build_dbf([("BZ", "C", 400, 0), ("XM", "C", 8, 0)], [[text, "张三".encode("gbk")]]))
    df = xj.read_dbf(path)
    assert df["BZ"][0] == "这是一段很长的备注" * 20 and df["XM"][0] == "张三"
    assert xj.load_report(df).fields[0].length == 400
    assert_equals_dbfread(path, df)


def test_extra_records_beyond_header_count_are_read_and_reported(tmp_path):
    path = tmp_path / "extra.dbf"
    path.write_bytes(
        build_dbf(
            [("XM", "C", 8, 0)],
            [["张三".encode("gbk")], ["李四".encode("gbk")], ["王五".encode("gbk")]],
            header_records=1,
        )
    )
    df = xj.read_dbf(path)
    assert df["XM"].tolist() == ["张三", "李四", "王五"]
    assert warning(df, "EXTRA_RECORDS").count == 2
    assert_equals_dbfread(path, df)


def test_deleted_and_odd_flags(tmp_path):
    rows = [[n.encode("gbk")] for n in ["张三", "李四", "王五", "赵六"]]
    path = tmp_path / "flags.dbf"
    path.write_bytes(build_dbf([("XM", "C", 8, 0)], rows, deleted={1}, flags=[None, None, 0x00, None]))
    df = xj.read_dbf(path)
    assert df["XM"].tolist() == ["张三", "王五", "赵六"]  # the odd flag is kept and reported, not dropped
    assert warning(df, "ODD_RECORD_FLAG").examples[0][0] == 2
    assert xj.load_report(df).deleted == 1
    assert xj.read_dbf(path, include_deleted=True)["XM"].tolist() == ["张三", "李四", "王五", "赵六"]


def test_field_names_upper_case_duplicates_and_column_subset(tmp_path):
    path = tmp_path / "names.dbf"
    path.write_bytes(
        build_dbf(
            [("xm", "C", 8, 0), ("Xm", "C", 8, 0), ("姓名", "C", 8, 0)],
            [["张三".encode("gbk"), b"a", "李四".encode("gbk")]],
        )
    )
    df = xj.read_dbf(path)
    assert list(df.columns) == ["XM", "XM_2", "姓名"]
    assert warning(df, "DUPLICATE_FIELD_NAME", "XM")
    assert list(xj.read_dbf(path, columns=["姓名"]).columns) == ["姓名"]
    with pytest.raises(xj.FileFormatError, match="没有字段 KSH"):
        xj.read_dbf(path, columns=["KSH"])


def test_dbase2_foxbase_header(tmp_path):
    # dBase II / FoxBASE: 8-byte header, 16-byte field descriptors, records from byte 521
    head = bytearray(8)
    head[0] = 0x02
    struct.pack_into("<H", head, 1, 2)
    struct.pack_into("<H", head, 6, 1 + 8 + 3)
    desc = bytearray()
    for name, t, ln in [(b"XM", b"C", 8), (b"NL", b"N", 3)]:
        d = bytearray(16)
        d[: len(name)] = name
        d[11] = t[0]
        d[12] = ln
        desc += d
    desc += b"\r"
    body = bytes(head + desc).ljust(521, b"\0")
    body += b" " + "张三".encode("gbk").ljust(8) + b" 18" + b" " + "李四".encode("gbk").ljust(8) + b" 19" + b"\x1a"
    path = tmp_path / "fox.dbf"
    path.write_bytes(body)
    df = xj.read_dbf(path)
    assert df["XM"].tolist() == ["张三", "李四"] and df["NL"].tolist() == [18, 19]
    assert xj.load_report(df).version == 0x02


def test_empty_table_keeps_its_columns(tmp_path, registration_frame):
    path = xj.write_dbf(registration_frame.iloc[:0], tmp_path / "empty.dbf", "chsi_registration")
    df = xj.read_dbf(path)
    assert len(df) == 0 and list(df.columns) == xj.load_layout("chsi_registration").codes
    assert_equals_dbfread(path, df)


def test_report_summary_is_chinese_and_complete(tmp_path, registration_frame):
    path = xj.write_dbf(
        registration_frame, tmp_path / "a.dbf", "chsi_registration", deleted=[i == 0 for i in range(40)]
    )
    text = xj.load_report(xj.read_dbf(path)).summary()
    assert "读入记录：39 条" in text and "已删除 1 条" in text and "0x4D" in text and "gb18030" in text
