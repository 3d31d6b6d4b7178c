"""Issue 15 §2: every finding, list and message names the row the clerk sees in the file they opened — the
Excel row for a sheet (title rows, the header and skipped blank rows counted), the record number for a DBF —
next to the record's 姓名. Results counted data records (Excel row − 1, − 2 with a title row) while the loader's
own warnings in the same run used the Excel row."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd

import xueji_lib as xj
from xueji_lib.core.rows import row_meaning, shown_rows

HEADER = ["学籍号", "姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "民族"]
# (学籍号, 姓名, 性别, 出生日期, 证件号): two pupils share one ID (duplicates), one has a bad check digit
PUPILS = [
    ("G110101201501010011", "张一", "1", "20150101", "110101201501010011"),
    ("G110101201502020027", "李二", "2", "20150202", "110101201502020027"),
    ("G110101201501010011", "王三", "1", "20150101", "110101201501010011"),  # same ID (and 学籍号) as 张一
    ("G110101201504040043", "赵四", "2", "20150404", "110101201504040041"),  # wrong check digit
]


def _sheet(path, title=True, blank_after=1):
    """A roster as a school keeps it: a title row, the header, then pupils with a blank row in between."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["示范县第一小学 2026 年春季学期学生名单"])
    ws.append(HEADER)
    for i, (xjh, xm, xb, csrq, sfz) in enumerate(PUPILS):
        ws.append([xjh, xm, xb, csrq, "1", sfz, "01"])
        if i == blank_after:
            ws.append([])
    wb.save(path)
    return path


def test_findings_name_the_excel_row_and_the_pupil(tmp_path):
    df = xj.read_table(_sheet(tmp_path / "名单.xlsx"), "k12_student")
    # title row 1, header row 2, 张一 3, 李二 4, (blank 5), 王三 6, 赵四 7
    assert shown_rows(df, [1, 2, 3, 4]).tolist() == [3, 4, 6, 7]
    res = xj.validate(df, layout="k12_student")
    detail = res.list("问题明细").frame()
    by_rule = {r: g for r, g in detail.groupby("规则代码")}
    dup = by_rule["SFZH_DUPLICATE"]
    assert sorted(zip(dup["行号"], dup["姓名"])) == [(3, "张一"), (6, "王三")]
    assert any("与第 6 行相同" in m for m in dup["说明"]) and any("与第 3 行相同" in m for m in dup["说明"])
    check = by_rule["SFZH_CHECKSUM"]
    assert list(zip(check["行号"], check["姓名"])) == [(7, "赵四")]
    failed = res.list("数据有误记录").frame()  # the sheet lacks required columns: every record fails
    assert sorted(zip(failed["行号"], failed["姓名"])) == [(3, "张一"), (4, "李二"), (6, "王三"), (7, "赵四")]
    # the loader's warnings and the findings speak of the same rows, and the summary says which rows they are
    assert "行号为 Excel/WPS 中的行号（表头在第 2 行）" in res.summary()
    assert row_meaning(df) == "行号为 Excel/WPS 中的行号（表头在第 2 行）"


def test_the_workbook_and_the_jyjg_reasons_use_the_same_rows(tmp_path):
    df = xj.read_table(_sheet(tmp_path / "名单.xlsx"), "k12_student")
    res = xj.validate(df, layout="k12_student")
    files = xj.write_validation_outputs(res, df, tmp_path / "out")
    wb = openpyxl.load_workbook(files["workbook"], read_only=True)
    rows = list(wb["问题明细"].iter_rows(values_only=True))
    head = rows[0]
    found = {(r[head.index("行号")], r[head.index("姓名")]) for r in rows[1:]}
    assert {(3, "张一"), (6, "王三"), (7, "赵四")} <= found
    summary = dict(list(wb["汇总"].iter_rows(values_only=True))[1:])
    assert summary["行号"].startswith("行号为 Excel/WPS 中的行号（表头在第 2 行）")
    failed = pd.read_excel(files["failed"], dtype=str)  # 数据有误.xlsx: the reasons name Excel rows too
    assert failed["校验结果"].str.contains("与第 6 行相同").any()


def test_a_filtered_frame_keeps_each_records_own_row(tmp_path):
    df = xj.read_table(_sheet(tmp_path / "名单.xlsx"), "k12_student")
    sub = df[df["XM"] != "李二"]  # a clerk's selection: 张一, 王三, 赵四
    assert shown_rows(sub, [1, 2, 3]).tolist() == [3, 6, 7]
    renumbered = sub.reset_index(drop=True)  # renumbered: the file's rows are no longer known
    assert shown_rows(renumbered, [1, 2, 3]).tolist() == [1, 2, 3]
    assert row_meaning(pd.DataFrame({"XM": ["张三"]})) == "行号为记录在名单中的序号（从 1 起）"


def test_a_dbf_names_record_numbers_in_sentences():
    reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    res = xj.validate(reg, year=2026, category="10")
    dup = res.findings[res.findings["rule"] == "KSH_DUPLICATE"]
    assert len(dup) and all("条记录相同" in m for m in dup["message"])
    rows = res.list("问题明细").frame()["行号"].dropna().astype(int)
    assert rows.tolist() == res.findings["row"].dropna().astype(int).tolist()  # record number = position
    assert "DBF 文件中的记录号" in res.summary()
    names = res.list("问题明细").frame()["姓名"]
    assert (names.iloc[: len(rows)] != "").all()
    assert np.array_equal(shown_rows(reg, [1, 995]).to_numpy(), [1, 995])
