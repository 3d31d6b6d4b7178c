"""Issue 16, K-12 half of the samples: the county's autumn 2026 学籍核查 workbooks (data_samples/k12/核查_2026秋,
written by xueji_lib/samples/k12_check.py). What the seeds ask of them, checked with xueji's own readers and rules:

- 004: "在校学生和离校学生(休学、对外交流等)需分开填写(在表格中sheet1和sheet2)" — both sheets read into one list,
  the planted ``read:`` finding reported, planted.csv's rows the positions in that list (``xueji validate``'s rows);
- 004 (慈利): "无身份证号码问题较为突出" — the 无身份证号学生 list and its counts per school and class;
- 004 (深圳): "港澳台身份证一律用“11113”+学号替代" — the substitute numbers are information, never a broken 身份证号.

(test_validate.py checks every ``validate:`` row and that nothing is found on the others; test_near_dupes.py the
``dupes:`` pairs; test_synth.py re-derives each planted defect from the file bytes.)"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.rows import shown_rows, shown_sheets
from xueji_lib.io.assemble import SHEET_COLUMN
from xueji_lib.io.loadinfo import load_report
from xueji_lib.samples.k12_check import CHECK_FILES, CHECK_NOTE, CHECK_SHEETS, make_k12_check

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
PLANTED = pd.read_csv(SAMPLES / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
SAMPLE = make_k12_check()


@pytest.fixture(scope="module")
def read():
    return {f: xj.read_table(SAMPLES / f, "k12_student") for f in CHECK_FILES}


@pytest.mark.parametrize("f", CHECK_FILES)
def test_both_sheets_are_one_list_in_the_order_planted_csv_numbers(read, f):
    df, rep = read[f], load_report(read[f])
    inside, away = SAMPLE.sheets[f]
    assert len(df) == rep.records == len(inside) + len(away)
    assert df[SHEET_COLUMN].tolist() == [CHECK_SHEETS[0]] * len(inside) + [CHECK_SHEETS[1]] * len(away)
    assert df["XM"].tolist() == inside["XM"].tolist() + away["XM"].tolist()
    assert df[CHECK_NOTE].tolist() == [""] * len(inside) + away[CHECK_NOTE].tolist()
    # the file-level finding planted for the workbook is what the read reports
    mine = PLANTED[PLANTED.file == f]
    wanted = {e.split(":", 1)[1] for e, r in zip(mine.expected, mine.row) if e.startswith("read:") and r == ""}
    assert wanted == {"SHEETS_COMBINED"} <= {w.code for w in rep.warnings}
    # each planted row holds the record planted.csv keys it by; where a person finds it in Excel
    for r in mine[mine.row != ""].itertuples():
        i = int(r.row)
        assert df.at[df.index[i - 1], "XJH"] == r.key, r
        sheet = shown_sheets(df, [i]).iloc[0]
        excel = int(shown_rows(df, [i]).iloc[0])
        if i <= len(inside):
            assert (sheet, excel) == (CHECK_SHEETS[0], i + 1)  # header in row 1
        else:
            assert (sheet, excel) == (CHECK_SHEETS[1], i - len(inside) + 2)  # title row 1, header row 2
    notes = set(mine.loc[mine.problem_code == "left_school", "row"].astype(int))
    assert notes == set(range(len(inside) + 1, len(df) + 1))  # every 离校 pupil listed, as a record that must pass


def test_the_left_sheet_has_the_kinds_004_names():
    away = pd.concat([b for _, b in SAMPLE.sheets.values()])
    assert set(away[CHECK_NOTE]) == {"休学", "对外交流", "借读"} and (away[CHECK_NOTE] == "借读").sum() == 1


def test_pupils_without_an_id_number_per_school_and_class(read):
    want = PLANTED[PLANTED.problem_code == "no_id_number"]
    per_file = {}
    for f in CHECK_FILES:
        res = xj.validate(read[f])
        rows = sorted(want.loc[want.file == f, "row"].astype(int))
        miss = res.findings[res.findings.rule == "SFZH_MISSING"]
        assert sorted(miss.row.astype(int)) == rows and set(miss.severity) == {"error"}
        pupils = res.list("无身份证号学生").frame(brief=False)
        assert [int(x) for x in pupils["行号"]] == [r + 1 for r in rows]  # Excel rows of the 在校 sheet
        assert pupils["姓名"].tolist() == [read[f].at[read[f].index[r - 1], "XM"] for r in rows]
        counts = res.list("无身份证号学生人数").frame(brief=False)
        per_file[f] = counts[["学校", "年级", "班级", "无身份证号学生人数"]].values.tolist()
    assert per_file == {
        CHECK_FILES[0]: [["示范县第三小学", "小学一年级", "1班", 3], ["合计", "", "", 3]],
        CHECK_FILES[1]: [["示范县实验中学", "初中一年级", "1班", 1], ["合计", "", "", 1]],
    }


def test_substitute_numbers_are_information_never_a_broken_id(read):
    want = PLANTED[PLANTED.expected == "validate:SFZH_SUBSTITUTE"]
    assert set(want.problem_code) == {"hmt_11113", "temp_999", "hmt_permit_as_id"}
    words = {"hmt_11113": "11113+学号", "temp_999": "999+学校代码+流水号", "hmt_permit_as_id": "回乡证"}
    for r in want.itertuples():
        res = xj.validate(read[r.file])
        here = res.findings[res.findings.row == int(r.row)]
        sub = here[here.rule == "SFZH_SUBSTITUTE"].iloc[0]
        assert sub.severity == "info" and words[r.problem_code] in sub.message
        assert not ({"SFZH_LENGTH", "SFZH_CHARS", "SFZH_CHECKSUM", "SFZH_AREA_UNKNOWN"} & set(here.rule))
        raw = read[r.file].at[read[r.file].index[int(r.row) - 1], "SFZJH"]
        assert raw not in sub.message  # masked like an ID number


def test_the_generator_is_its_own_stream():
    """The 核查 workbooks come from their own seeded generator: the same seed, the same records."""
    again = make_k12_check()
    for f in CHECK_FILES:
        for a, b in zip(SAMPLE.sheets[f], again.sheets[f], strict=True):
            pd.testing.assert_frame_equal(a, b)
