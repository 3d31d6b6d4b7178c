"""`xueji validate` as a clerk runs it: real processes, real files, the lists, the workbook, summary.json."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import dbfread
import openpyxl
import pandas as pd
import pytest

import xueji_lib as xj

XUEJI = Path(sys.executable).with_name("xueji")
ROOT = Path(__file__).resolve().parents[1]
REG10 = ROOT / "data_samples" / "hei" / "10_注册上报.dbf"
REG50 = ROOT / "data_samples" / "hei" / "50_注册上报.dbf"
K12 = ROOT / "data_samples" / "k12" / "学生名单_2026春.xlsx"
ID_LIKE = re.compile(r"\d{17}[\dXx]")


def run(*args, cwd=None):
    return subprocess.run([str(XUEJI), *map(str, args)], capture_output=True, text=True, cwd=cwd)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_dbf_records(path: Path) -> tuple[list, list[dict]]:
    table = dbfread.DBF(str(path), encoding="gb18030", char_decode_errors="strict")
    return table.fields, [dict(r) for r in table]


def workbook_cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def id_like_cells(sheets: dict[str, list[tuple]], allowed=frozenset()) -> list[str]:
    """Every cell text holding an 18-character ID-shaped run that is not one of ``allowed`` (e.g. 考生号)."""
    found = []
    for rows in sheets.values():
        for row in rows:
            for v in row:
                if v is None:
                    continue
                for m in ID_LIKE.finditer(str(v)):
                    if m.group(0) not in allowed:
                        found.append(str(v))
    return found


def fitting_rows(df: pd.DataFrame, layout, n: int) -> pd.DataFrame:
    """``n`` records of ``df`` that pass validation and whose values fit ``layout``'s widths in GBK."""
    lay = xj.load_layout(layout)
    res = xj.validate(df, year=2026)
    keep = ~res.failed
    for f in lay.fields:
        if f.code in df.columns:
            enc = (
                df[f.code]
                .fillna("")
                .map(
                    lambda v: (
                        len(v.encode("gbk", "replace"))
                        if all(ord(c) < 0x3400 or 0x4E00 <= ord(c) <= 0x9FFF for c in v)
                        else 999
                    )
                )
            )
            keep &= (enc <= f.width).to_numpy()
    return df[keep].head(n).reset_index(drop=True)


# ------------------------------------------------------------------------- the registration sample


@pytest.fixture(scope="module")
def reg10(tmp_path_factory):
    work = tmp_path_factory.mktemp("reg10")
    before = sha256(REG10)
    res = run("validate", REG10, "--category", "10", "--year", "2026", cwd=work)  # default --out: ./<stem>_校验结果
    out = work / "10_注册上报_校验结果"
    return {
        "res": res,
        "out": out,
        "before": before,
        "summary": json.loads((out / "summary.json").read_text("utf-8")) if (out / "summary.json").exists() else None,
    }


def test_sample_outputs_exist_and_every_record_is_in_exactly_one_list(reg10):
    res, out, summary = reg10["res"], reg10["out"], reg10["summary"]
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["校验通过.dbf", "数据有误.dbf", "校验结果.xlsx", "summary.json", "数据有误_修改用.xlsx"]
    )
    assert summary["outputs"] == {
        "passed": "校验通过.dbf",
        "failed": "数据有误.dbf",
        "workbook": "校验结果.xlsx",
        "summary": "summary.json",
        "fix": "数据有误_修改用.xlsx",
    }
    src = xj.read_dbf(REG10)
    _, passed = read_dbf_records(out / "校验通过.dbf")
    _, failed = read_dbf_records(out / "数据有误.dbf")
    assert len(passed) + len(failed) == len(src) == summary["total"]
    assert (len(passed), len(failed)) == (summary["passed"], summary["failed"])
    assert 0 < summary["failed"] < summary["total"] and summary["structure_ok"] is True
    # the same records, each exactly once: compare every field of every record as a multiset
    fields = list(src.columns)
    listed = sorted(tuple(r[f] for f in fields) for r in passed + failed)
    original = sorted(tuple(src[f].fillna("").iloc[i] for f in fields) for i in range(len(src)))
    assert listed == original
    assert "chsi_registration" in res.stdout and "必填字段齐全" in res.stdout
    assert f"{summary['passed']} + {summary['failed']} = {summary['total']}" in res.stdout


def test_passed_dbf_has_exactly_the_upload_layout(reg10):
    fields, _ = read_dbf_records(reg10["out"] / "校验通过.dbf")
    lay = xj.load_layout("chsi_registration")
    assert [(f.name, f.type, f.length) for f in fields] == [(f.code, f.type, f.width) for f in lay.fields]


def test_failed_dbf_has_jyjg_last_and_every_reason_fits(reg10):
    fields, failed = read_dbf_records(reg10["out"] / "数据有误.dbf")
    lay = xj.load_layout("chsi_registration")
    assert [f.name for f in fields] == lay.codes + ["JYJG"]
    assert (fields[-1].type, fields[-1].length) == ("C", 254)
    assert failed and all(r["JYJG"].strip() for r in failed)
    assert all(len(r["JYJG"].encode("gb18030")) <= 254 for r in failed)
    # the planted problems' reasons are there, e.g. the invalid 入学日期
    assert any("20260931" in r["JYJG"] and "不是有效日期" in r["JYJG"] for r in failed)


def test_workbook_sheets_counts_and_no_unmasked_id(reg10):
    out, summary = reg10["out"], reg10["summary"]
    sheets = workbook_cells(out / "校验结果.xlsx")
    assert list(sheets) == ["汇总", "按规则", "按字段", "问题明细", "数据有误记录"]
    assert len(sheets["问题明细"]) - 1 == sum(summary["findings"].values())
    assert len(sheets["数据有误记录"]) - 1 == summary["failed"]
    assert len(sheets["按规则"]) - 1 == len(summary["rules"])
    header = sheets["数据有误记录"][0]
    assert header[0] == "行号" and header[-1] == "校验结果"
    summary_text = "\n".join(str(v) for row in sheets["汇总"] for v in row if v is not None)
    assert f"通过 {summary['passed']} + 有误 {summary['failed']} = 总数 {summary['total']}" in summary_text
    assert "录取年份" in summary_text and "2026" in summary_text
    src = xj.read_dbf(REG10)
    ksh = frozenset(src["KSH"].dropna())  # special-category 考生号 may be 18 digits: not personal
    assert id_like_cells(sheets, allowed=ksh) == []
    masked = [v for row in sheets["数据有误记录"][1:] for v in row if isinstance(v, str) and "********" in v]
    assert len(masked) >= summary["failed"]  # every failing record's 身份证号 shown, masked


def test_rare_character_record_is_written_in_gb18030_and_the_note_says_so(reg10):
    out, summary, res = reg10["out"], reg10["summary"], reg10["res"]
    raw = (out / "校验通过.dbf").read_bytes()
    assert "䶮".encode("gb18030") in raw
    with pytest.raises(UnicodeEncodeError):
        "䶮".encode("gbk")
    note = summary["encoding_note"]
    assert note and "GB18030" in note and "校验通过.dbf" in note and "䶮" in note
    assert "GB18030" in res.stdout
    summary_sheet = workbook_cells(out / "校验结果.xlsx")["汇总"]
    assert any(row[1] == note for row in summary_sheet)


def test_input_file_is_not_modified(reg10):
    assert sha256(REG10) == reg10["before"]


# ------------------------------------------------------------------------- layout recognition


@pytest.mark.parametrize(
    "layout, sample",
    [("chsi_special_registration", REG10), ("hunnu_registration", REG10), ("hebnu_adult_graduation", REG50)],
)
def test_published_layouts_are_recognised_and_pass_the_structure_check(tmp_path, layout, sample):
    lay = xj.load_layout(layout)
    src = xj.read_dbf(sample)
    if layout == "hebnu_adult_graduation":
        src = src.assign(ZYH=src["ZYMC"], JG="湖南长沙", XH=src["XH"].str.slice(-12))  # C: XH is 12 wide
    rows = fitting_rows(src, lay, 12)
    assert len(rows) == 12
    path = xj.write_dbf(rows[lay.codes], tmp_path / f"{layout}.dbf", lay)
    res = run("validate", path, "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert f"版式：{layout}" in res.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["layout"] == layout and summary["structure_ok"] is True
    assert summary["passed"] + summary["failed"] == 12
    fields, passed = read_dbf_records(tmp_path / "out" / "校验通过.dbf")
    assert [f.name for f in fields] == lay.codes and len(passed) == summary["passed"]


def _without(layout: str, code: str):
    lay = xj.load_layout(layout)
    return dataclasses.replace(lay, name="test_" + layout, fields=tuple(f for f in lay.fields if f.code != code))


def test_missing_required_field_fails_the_file_and_writes_everything_to_the_error_list(tmp_path):
    rows = fitting_rows(xj.read_dbf(REG10), "chsi_registration", 5)
    lay = _without("chsi_registration", "KSH")
    path = xj.write_dbf(rows[lay.codes], tmp_path / "无考生号.dbf", lay)
    res = run("validate", path, "--out", tmp_path / "out")  # recognised as the layout it is closest to
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert "chsi_registration" in res.stdout and "KSH" in res.stderr and "考生号" in res.stderr
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["structure_ok"] is False and (summary["passed"], summary["failed"]) == (0, 5)
    _, passed = read_dbf_records(out / "校验通过.dbf")
    _, failed = read_dbf_records(out / "数据有误.dbf")
    assert passed == [] and len(failed) == 5
    assert all("缺少必填字段 KSH" in r["JYJG"] for r in failed)
    assert [r["XM"] for r in failed] == list(rows["XM"])


def test_missing_required_field_with_layout_given(tmp_path):
    rows = fitting_rows(xj.read_dbf(REG10), "chsi_registration", 3)
    lay = _without("chsi_registration", "MZ")
    path = xj.write_dbf(rows[lay.codes], tmp_path / "无民族.dbf", lay)
    res = run("validate", path, "--layout", "chsi_registration", "--out", tmp_path / "out")
    assert res.returncode == 1
    assert "MZ（民族）" in res.stderr and "按 --layout 指定" in res.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["failed"] == 3 and summary["rules"]["STRUCT_MISSING_FIELD"]["findings"] == 1


def test_random_fields_do_not_fit_any_layout(tmp_path):
    lay = xj.Layout("random", "随机", "dbf", (xj.LayoutField("AAA", "甲", "C", 5), xj.LayoutField("BBB", "乙", "C", 5)))
    path = xj.write_dbf(pd.DataFrame({"AAA": ["1", "2"], "BBB": ["x", "y"]}), tmp_path / "随机.dbf", lay)
    res = run("validate", path, "--out", tmp_path / "out")
    assert res.returncode == 2
    assert "对不上" in res.stderr and "--layout" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_empty_file_not_a_dbf_and_unknown_layout(tmp_path):
    empty = xj.write_dbf(
        pd.DataFrame({c: pd.Series([], dtype="str") for c in xj.load_layout("chsi_registration").codes}),
        tmp_path / "空.dbf",
        "chsi_registration",
    )
    res = run("validate", empty, "--out", tmp_path / "out1")
    assert res.returncode == 2 and "没有记录（0 条）" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out1").exists()

    fake = tmp_path / "名单.dbf"
    fake.write_bytes(K12.read_bytes())  # an Excel workbook renamed to .dbf
    res = run("validate", fake, "--out", tmp_path / "out2")
    assert res.returncode == 2 and "不是 DBF 文件" in res.stderr and "Traceback" not in res.stderr

    res = run("validate", REG10, "--layout", "no_such_layout", "--out", tmp_path / "out3")
    assert res.returncode == 2 and "no_such_layout" in res.stderr and "chsi_registration" in res.stderr
    assert "Traceback" not in res.stderr


# ------------------------------------------------------------------------- reasons, extras, unmask, others


def test_long_reasons_cut_extra_columns_kept_in_workbook_and_unmask(tmp_path):
    src = xj.read_dbf(REG10)
    rows = fitting_rows(src, "chsi_registration", 4)
    real_id = rows.loc[0, "SFZH"]
    # record 1: many errors at once (reasons far longer than 254 bytes) and a name too long for the field
    rows.loc[0, ["XM", "XB", "MZ", "CSRQ", "XZ", "RXRQ"]] = ["张" * 21, "不", "火星族", "20081340", "9年", "2026"]
    rows.loc[0, "SFZH"] = real_id[:-1] + ("0" if real_id[-1] != "0" else "1")
    bad_id = rows.loc[0, "SFZH"]
    lay = xj.load_layout("chsi_registration")
    wide = dataclasses.replace(
        lay,
        name="wide",
        fields=tuple(dataclasses.replace(f, width=80) if f.code == "XM" else f for f in lay.fields)
        + (xj.LayoutField("BJDM", "班级代码", "C", 10),),
    )
    path = xj.write_dbf(rows.assign(BJDM=["B01", "B02", "B03", "B04"]), tmp_path / "多错.dbf", wide)
    res = run(
        "validate", path, "--layout", "chsi_registration", "--year", "2026", "--out", tmp_path / "out", "--unmask"
    )
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    fields, failed = read_dbf_records(out / "数据有误.dbf")
    assert "BJDM" not in [f.name for f in fields]  # not an upload field: not in the DBF lists...
    jyjg = failed[0]["JYJG"]
    assert jyjg.endswith("…") and len(jyjg.encode("gb18030")) <= 254
    assert len(failed[0]["XM"].encode("gb18030")) <= 40  # cut to fit, and said so
    assert "截短" in res.stdout
    sheets = workbook_cells(out / "校验结果.xlsx")
    header, first = sheets["数据有误记录"][0], sheets["数据有误记录"][1]
    record = dict(zip(header, first))
    assert record["BJDM"] == "B01"  # ...but in the workbook
    assert record["姓名（XM）"] == "张" * 21  # the full value
    assert len(record["校验结果"]) > len(jyjg) and record["校验结果"].startswith(jyjg[:-1])
    assert record["身份证号（SFZH）"] == bad_id  # --unmask shows the real number in this sheet
    details = [dict(zip(sheets["问题明细"][0], r)) for r in sheets["问题明细"][1:]]
    assert all(bad_id not in str(d["值"]) and bad_id not in str(d["说明"]) for d in details)  # findings stay masked
    _, passed = read_dbf_records(out / "校验通过.dbf")
    assert len(passed) == 3 and all(r["SFZH"] in set(rows["SFZH"]) for r in passed)  # the upload keeps real IDs


def test_others_find_the_same_student_registered_in_another_file(tmp_path):
    rows = fitting_rows(xj.read_dbf(REG10), "chsi_registration", 6)
    mine = xj.write_dbf(rows.iloc[:3], tmp_path / "甲校.dbf", "chsi_registration")
    theirs = xj.write_dbf(rows.iloc[2:], tmp_path / "乙校.dbf", "chsi_registration")  # record 3 in both
    before = sha256(theirs)
    res = run("validate", mine, "--others", theirs, "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["rules"]["CROSS_FILE_DUPLICATE"]["records"] == 1 and summary["failed"] == 1
    _, failed = read_dbf_records(tmp_path / "out" / "数据有误.dbf")
    assert failed[0]["KSH"] == rows.loc[2, "KSH"] and "乙校.dbf" in failed[0]["JYJG"]
    assert sha256(theirs) == before


# ------------------------------------------------------------------------- K-12 (Excel layout)


def test_k12_sheet_is_recognised_and_gets_excel_lists(tmp_path):
    before = sha256(K12)
    res = run("validate", K12, "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert "版式：k12_student" in res.stdout
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["校验通过.xlsx", "数据有误.xlsx", "校验结果.xlsx", "summary.json"]
    )
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["layout"] == "k12_student" and summary["structure_ok"] is True
    passed = xj.read_table(out / "校验通过.xlsx", layout="k12_student")
    failed = xj.read_table(out / "数据有误.xlsx", layout="k12_student")
    src = xj.read_table(K12, layout="k12_student")
    assert len(passed) + len(failed) == len(src) == summary["total"] and len(failed) == summary["failed"]
    assert list(passed.columns) == xj.load_layout("k12_student").codes
    assert (failed["校验结果"].str.strip() != "").all()
    # the lists keep the real numbers (they go back into the national system)
    assert set(passed["SFZJH"]) | set(failed["SFZJH"]) == set(src["SFZJH"])
    sheets = workbook_cells(out / "校验结果.xlsx")
    assert len(sheets["问题明细"]) - 1 == sum(summary["findings"].values())
    assert id_like_cells(sheets) == []
    assert sha256(K12) == before


def test_readme_lists_every_rule_code_and_the_command():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## 上传前校验（xueji validate）", 1)[1].split("\n## ", 1)[0]
    missing = [code for code in xj.load_rules() if f"`{code}`" not in section]
    assert missing == []
    assert "xueji validate" in section and "校验通过.dbf" in section and "JYJG" in section
