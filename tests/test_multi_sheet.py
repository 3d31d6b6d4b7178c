"""Issue 16 §11: a workbook with several sheets (004: "在校学生和离校学生(休学、对外交流等)需分开填写(在表格中sheet1和
sheet2)"). ``read_table`` reads every sheet that carries the layout's headers — whatever each sheet's column order and
extra columns — into one list, says which sheet each record came from (the 工作表 column, ``extra["source_sheets"]``,
``extra["sheets"]``) and names the sheets it did not read (a 说明 sheet, a hidden code list); ``sheet=`` still reads
one sheet. ``xueji validate`` checks every pupil of both sheets. All people are synthetic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.ids import make_ids
from xueji_lib.io import xlsx
from xueji_lib.io.assemble import SHEET_COLUMN
from xueji_lib.io.lists import layout_frame
from xueji_lib.io.loadinfo import load_report
from xueji_lib.io.loading import load_list
from xueji_lib.io.tables import INFO_CODES
from xueji_lib.schema.layouts import load_layout

XUEJI = Path(sys.executable).with_name("xueji")
LAYOUT = load_layout("k12_student")
# the template's base columns (the family-member columns left out), ★ on the required ones as the template marks them
FIELDS = [f for f in LAYOUT.fields if not f.code.startswith("CY")]
HEADERS = [f.name + ("★" if f.required else "") for f in FIELDS]

IN_SCHOOL = ["赵一鸣", "钱二丫", "孙三石", "李四海", "周五月"]
LEFT = ["吴六桥", "郑七星", "王八方"]
LEFT_NOTE = ["休学", "对外交流", "休学"]  # 004: "离校学生需在备注中注明是休学还是对外交流"


def _pupil(i: int, name: str) -> dict[str, str]:
    """One pupil of 示范县第一小学 (synthetic), every required field filled as the template wants it."""
    birth = f"2016{(i % 9) + 1:02d}{(i % 27) + 1:02d}"
    sex = "1" if i % 2 == 0 else "2"
    sfz = make_ids([430121], [birth], [100 + 2 * i + (sex == "1")]).iloc[0]
    values = {
        "XXBSM": "2143012901",
        "XXMC": "示范县第一小学",
        "XJH": "G" + sfz,
        "XM": name,
        "XB": sex,
        "CSRQ": birth,
        "CSDXZQ": "430121",
        "JG": "湖南长沙",
        "MZ": "01",
        "GJ": "CHN",
        "SFZJLX": "1",
        "SFZJH": sfz,
        "GATQW": "00",
        "ZZMM": "13",
        "JKZK": "10",
        "HKSZDXZQH": "430121",
        "HKXZ": "1",
        "BNXH": f"{i + 1:02d}",
        "NJ": "14",
        "BJ": "2班",
        "RXNY": "202209",
        "RXFS": "11",
        "JDFS": "1",
        "XSLY": "1",
        "XZZ": "湖南省示范县枫林镇荷花村2组",
        "TXDZ": "湖南省示范县枫林镇荷花村2组",
        "JTDZ": "湖南省示范县枫林镇荷花村2组",
        "LXDH": f"1867367{8500 + i:04d}",
        "YZBM": "410100",
        "SFDSZN": "1",
        "SFSGXQJY": "1",
        "SFLSET": "0",
        "SFSQZN": "0",
        "SFGE": "0",
        "SFLSHYFZN": "0",
    }
    return {f.code: values.get(f.code, "") for f in FIELDS}


def _workbook(path: Path, *, extra_sheets: bool = True) -> Path:
    """在校 (sheet1: header row 1, 5 pupils), 离校 (sheet2: a title row, the header in row 2 in another column order,
    no 班内学号 column, an extra 备注 column; 3 pupils, one ID typed with a leading apostrophe), then a 说明 sheet of
    text and a hidden code-list sheet whose header row names four of the template's columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "在校"
    ws.append(HEADERS)
    for i, name in enumerate(IN_SCHOOL):
        ws.append(list(_pupil(i, name).values()))
    left = wb.create_sheet("离校")
    order = [f for f in reversed(FIELDS) if f.code != "BNXH"]  # another order, and no 班内学号
    left.append(["离校学生（休学、对外交流）"])
    left.append(["备注"] + [f.name + ("★" if f.required else "") for f in order])
    for k, (name, note) in enumerate(zip(LEFT, LEFT_NOTE, strict=True)):
        rec = _pupil(10 + k, name)
        if k == 1:
            rec["SFZJH"] = "'" + rec["SFZJH"]  # an export's leading apostrophe: LEADING_APOSTROPHE, in 离校
        left.append([note] + [rec[f.code] for f in order])
    if extra_sheets:
        note = wb.create_sheet("说明")
        note.append(["填表说明"])
        note.append(["1. 在校学生填写在“在校”工作表，离校学生（休学、对外交流等）填写在“离校”工作表"])
        note.append(["2. 离校学生需在备注中注明是休学还是对外交流"])
        codes = wb.create_sheet("代码")
        codes.append(["性别", "民族", "身份证件类型", "户口性质"])
        codes.append(["1", "01", "1", "1"])
        codes.append(["2", "02", "2", "2"])
        codes.sheet_state = "hidden"
    wb.save(path)
    return path


@pytest.fixture
def book(tmp_path) -> Path:
    return _workbook(tmp_path / "学生信息采集表_三年级2班.xlsx")


def _warnings(rep, code):
    return [w for w in rep.warnings if w.code == code]


def test_every_sheet_with_the_template_headers_is_read(book):
    df = xj.read_table(book, "k12_student")
    rep = load_report(df)
    assert len(df) == rep.records == 8
    assert df["XM"].tolist() == IN_SCHOOL + LEFT  # sheet order, then row order
    assert df[SHEET_COLUMN].tolist() == ["在校"] * 5 + ["离校"] * 3
    assert rep.extra["sheet_column"] == SHEET_COLUMN
    # combined by field code whatever the column order: each pupil's own values, not a shifted column
    assert df["SFZJH"].tolist() == [_pupil(i, n)["SFZJH"] for i, n in enumerate(IN_SCHOOL)] + [
        _pupil(10 + k, n)["SFZJH"] for k, n in enumerate(LEFT)
    ]
    assert df["CSRQ"].iloc[5:].tolist() == [_pupil(10 + k, n)["CSRQ"] for k, n in enumerate(LEFT)]
    # the extra column is kept (empty for 在校), the column 离校 lacks is empty there
    assert df["备注"].tolist() == [""] * 5 + LEFT_NOTE
    assert df["BNXH"].tolist() == ["01", "02", "03", "04", "05", "", "", ""]
    assert not df.isna().any().any()
    # which sheet and which row of it each record is in
    assert [(s["name"], s["records"], s["header_row"]) for s in rep.extra["sheets"]] == [("在校", 5, 1), ("离校", 3, 2)]
    assert rep.extra["source_sheets"].tolist() == [0] * 5 + [1] * 3
    assert rep.extra["source_rows"].tolist() == [2, 3, 4, 5, 6, 3, 4, 5]
    assert rep.extra["sheet"] == "在校" and rep.extra["workbook_sheets"] == ["在校", "离校", "说明", "代码"]
    assert rep.extra["skipped_sheets"] == [
        {"name": "说明", "reason": "没有与版式相符的表头行"},
        {"name": "代码", "reason": "隐藏的工作表"},
    ]
    assert set(rep.extra["sheets"][1]["missing_fields"]) == {"BNXH", *rep.extra["missing_fields"]}
    assert "BNXH" not in rep.extra["missing_fields"]  # a field of 在校: not missing from the list
    assert rep.extra["unmatched_columns"] == ["备注"]
    assert rep.extra["title_rows"] == [{"sheet": "离校", "row": 1, "text": "离校学生（休学、对外交流）"}]


def test_warnings_name_the_sheets(book):
    rep = load_report(xj.read_table(book, "k12_student"))
    (missing,) = _warnings(rep, "SHEET_FIELD_MISSING")
    assert missing.sheet == "离校" and missing.field == "BNXH" and missing.count == 1
    assert missing.message.startswith("工作表“离校”（表头在第 2 行）没有 1 个字段的列：班内学号（BNXH）")
    assert "工作表“在校”有" in missing.message and "3 条记录" in missing.message
    (apostrophe,) = _warnings(rep, "LEADING_APOSTROPHE")
    assert apostrophe.sheet == "离校" and apostrophe.message.startswith("工作表“离校”：")
    assert apostrophe.examples[0][0] == 4  # the row in 离校 (title row 1, header row 2, 吴六桥 3, 郑七星 4)
    assert apostrophe.examples[0][2].startswith("430121") and "*" in apostrophe.examples[0][2]  # masked
    (note,) = _warnings(rep, "SHEETS_COMBINED")
    assert note.code in INFO_CODES and note.count == 2
    for part in (
        "“在校”5 条（表头在第 1 行）",
        "“离校”3 条（表头在第 2 行）",
        "“说明”（没有与版式相符的表头行）",
        "“代码”（隐藏的工作表）",
    ):
        assert part in note.message
    text = rep.summary()
    assert (
        "工作表：2 个（在校 5 条，离校 3 条" in text
        and "未读取的工作表：说明（没有与版式相符的表头行），代码（隐藏的工作表）" in text
    )


def test_the_sheet_column_is_no_upload_field(book):
    df = xj.read_table(book, "k12_student")
    assert SHEET_COLUMN not in LAYOUT.codes and LAYOUT.match_header(SHEET_COLUMN) is None
    upload = layout_frame(df, LAYOUT)
    assert list(upload.columns) == LAYOUT.codes and len(upload) == 8


def test_sheet_option_reads_one_sheet_as_before(book):
    left = xj.read_table(book, "k12_student", sheet="离校")
    rep = load_report(left)
    assert left["XM"].tolist() == LEFT and SHEET_COLUMN not in left.columns
    assert rep.extra["sheet"] == "离校" and rep.extra["sheet_choice"] == "指定"
    assert "source_sheets" not in rep.extra and rep.extra["source_rows"].tolist() == [3, 4, 5]
    assert not _warnings(rep, "SHEETS_COMBINED") and not _warnings(rep, "SHEET_FIELD_MISSING")
    assert all(w.sheet is None for w in rep.warnings)
    first = xj.read_table(book, "k12_student", sheet=0)
    assert first["XM"].tolist() == IN_SCHOOL


def test_the_scanner_and_openpyxl_agree_on_several_sheets(book, monkeypatch):
    fast = xj.read_table(book, "k12_student")
    monkeypatch.setattr(xlsx, "_USE_FAST_XLSX", False)
    slow = xj.read_table(book, "k12_student")
    assert len(fast) == 8 and load_report(slow).extra["xlsx_reader"] == "openpyxl"
    pd.testing.assert_frame_equal(fast, slow)
    assert load_report(fast).warnings == load_report(slow).warnings


def test_load_list_recognises_the_layout_and_reads_each_sheet_once(book, monkeypatch):
    read: list[str] = []
    real = xlsx.assemble

    def counting(rows, layout, path, where, epoch):
        read.append(where)
        return real(rows, layout, path, where, epoch)

    monkeypatch.setattr(xlsx, "assemble", counting)
    df, lay, why = load_list(book)
    assert lay.name == "k12_student" and "必填字段齐全" in why
    assert read == ["工作表“在校”", "工作表“离校”"]  # each sheet's records once, through the layout found
    assert len(df) == 8 and df[SHEET_COLUMN].tolist() == ["在校"] * 5 + ["离校"] * 3


def test_progress_goes_on_across_the_sheets(book):
    reports: list[tuple[str, int, int | None]] = []
    xj.read_table(book, "k12_student", progress=lambda label, done, total: reports.append((label, done, total)))
    done = [d for _, d, _ in reports]
    assert done == sorted(done)  # never back to row 1 when the second sheet starts
    assert len([r for r in reports if r[1] == 0]) == 1  # one read, not one per sheet
    assert reports[-1][1] == reports[-1][2] == 6 + 5  # both sheets' rows


def test_a_sheet_that_only_resembles_the_list_is_named_not_read(tmp_path):
    """A visible 统计 sheet whose header has 2 of the template's columns is no roster: not read, and said so;
    a workbook whose only matching sheet is hidden is still read from it."""
    path = _workbook(tmp_path / "名单.xlsx", extra_sheets=False)
    wb = openpyxl.load_workbook(path)
    stats = wb.create_sheet("统计")
    stats.append(["年级", "班级", "人数"])
    stats.append(["三年级", "2班", 8])
    wb.save(path)
    rep = load_report(xj.read_table(path, "k12_student"))
    assert rep.records == 8
    (skip,) = _warnings(rep, "SHEET_NOT_READ")
    assert skip.sheet == "统计" and skip.code not in INFO_CODES
    assert "工作表“统计”第 1 行像表头，但只有 2 个列名（年级、班级）" in skip.message and 'sheet="统计"' in skip.message
    assert {"name": "统计", "reason": "表头只有 2 个列名与版式相符，不像同一份名单"} in rep.extra["skipped_sheets"]

    hidden = tmp_path / "隐藏.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["见隐藏的工作表"])
    ws = wb.create_sheet("名单")
    ws.append(HEADERS)
    ws.append(list(_pupil(0, "赵一鸣").values()))
    ws.sheet_state = "hidden"
    wb.save(hidden)
    assert xj.read_table(hidden, "k12_student")["XM"].tolist() == ["赵一鸣"]


def test_a_column_named_like_the_sheet_column_is_kept(tmp_path):
    path = tmp_path / "名单.xlsx"
    wb = openpyxl.Workbook()
    for title, names in (("一班", IN_SCHOOL[:2]), ("二班", LEFT[:1])):
        ws = wb.active if title == "一班" else wb.create_sheet(title)
        ws.title = title
        ws.append([*HEADERS, SHEET_COLUMN])
        for i, name in enumerate(names):
            ws.append([*_pupil(i, name).values(), "学生表"])
    wb.save(path)
    df = xj.read_table(path, "k12_student")
    rep = load_report(df)
    assert rep.extra["sheet_column"] == f"{SHEET_COLUMN}_2"
    assert df[SHEET_COLUMN].tolist() == ["学生表"] * 3  # the file's own column, as it is
    assert df[f"{SHEET_COLUMN}_2"].tolist() == ["一班", "一班", "二班"]


def test_xueji_validate_checks_the_pupils_of_every_sheet(book, tmp_path):
    out = tmp_path / "校验结果"
    proc = subprocess.run(
        [str(XUEJI), "validate", str(book), "--out", str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert f"读入：{book}，8 条记录" in proc.stdout
    assert "读取提示 [SHEETS_COMBINED]" in proc.stdout and "[SHEET_FIELD_MISSING] 工作表“离校”" in proc.stdout
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["total"] == 8 and summary["passed"] + summary["failed"] == 8
    passed = pd.read_excel(out / "校验通过.xlsx", dtype=str).fillna("")
    failed = pd.read_excel(out / "数据有误.xlsx", dtype=str).fillna("")
    assert sorted(passed["姓名"].tolist() + failed["姓名"].tolist()) == sorted(IN_SCHOOL + LEFT)
    assert set(LEFT) <= set(passed["姓名"])  # the 离校 pupils are checked like the others, and are fine
    assert list(passed.columns) == [f.name for f in LAYOUT.fields]  # the upload list: the template's columns only


def test_lists_and_sentences_name_the_sheet_of_each_row(tmp_path):
    """With several sheets a row number alone is ambiguous: the lists carry 工作表 beside 行号, the near-duplicate
    sentences name the sheet, and the reader's own 工作表 column is no 多出字段 of the file."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "在校"
    ws.append(HEADERS)
    for i, name in enumerate(IN_SCHOOL):
        ws.append(list(_pupil(i, name).values()))
    left = wb.create_sheet("离校")
    left.append(HEADERS)
    twin = _pupil(0, IN_SCHOOL[0])
    twin["SFZJH"] = ""  # the same pupil again, without a number, on the 离校 sheet
    left.append(list(twin.values()))
    gone = _pupil(20, "欧阳晓")
    gone["SFZJH"] = ""
    left.append(list(gone.values()))
    path = tmp_path / "两张表.xlsx"
    wb.save(path)
    df = xj.read_table(path, "k12_student")
    res = xj.validate(df)
    assert "STRUCT_EXTRA_FIELD" not in set(res.findings["rule"])
    no_id = res.list("无身份证号学生").frame()
    assert list(no_id.columns[:2]) == ["行号", "工作表"]
    assert set(zip(no_id["行号"], no_id["工作表"])) == {(2, "离校"), (3, "离校")}
    detail = res.list("问题明细").frame(brief=False)
    assert "工作表" in detail.columns and set(detail.loc[detail["规则代码"] == "SFZH_MISSING", "工作表"]) == {"离校"}
    pairs = xj.near_duplicates({"两张表.xlsx": df}).pairs
    assert pairs["explain"].tolist() == [
        "工作表“在校”第 2 行与工作表“离校”第 2 行疑似同一学生：姓名、性别、出生日期相同，工作表“离校”第 2 行没有身份证号"
    ]
