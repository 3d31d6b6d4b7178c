"""A sheet loaded without a given layout is read once (issue 15): load_list recognises the layout from the header
rows alone and then reads the records once, through the layout found — with the same frame, LoadReport and
reason as reading the whole sheet first to recognise its layout and then again through it."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.io import assemble as assemble_mod
from xueji_lib.io import text_tables, xlsx
from xueji_lib.io.loadinfo import load_report
from xueji_lib.io.loading import header_names, load_list

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
ROSTER = SAMPLES / "k12" / "学生名单_2026春.xlsx"
ROSTER_CSV = SAMPLES / "k12" / "学生名单_2026春_gbk.csv"
HEADER = ["学籍号", "姓名", "性别", "出生日期", "民族", "身份证件号"]


def _record(i: int) -> list[str]:
    return [f"G{i:018d}", f"张{i}", "1", "20150101", "01", f"4301212015{i:08d}"]


def _workbook(path: Path, sheets: list[tuple[str, list[list]]], hidden=()) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        if title in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


@pytest.fixture
def full_reads(monkeypatch):
    """How many times a reader assembled a whole sheet or CSV (the header scans do not assemble)."""
    calls: list[str] = []
    real = assemble_mod.assemble

    def counting(rows, layout, path, where, epoch):
        calls.append(Path(path).name)
        return real(rows, layout, path, where, epoch)

    monkeypatch.setattr(xlsx, "assemble", counting)
    monkeypatch.setattr(text_tables, "assemble", counting)
    return calls


def _read_twice(path: Path, fallback=None, complete=False):
    """What load_list did before: the whole sheet without a layout, its layout recognised from its columns, the
    whole sheet again through that layout."""
    first = xj.read_table(path)
    try:
        lay, reason = xj.recognize_layout(first.columns, headers=True)
    except xj.LayoutError as exc:
        lay, reason = None, str(exc)
    if lay is not None and complete:
        cols = {lay.match_header(str(c)) or str(c).strip().upper() for c in first.columns}
        if not set(lay.required) <= cols:
            lay, reason = None, f"{reason}：不按这个版式处理"
    if lay is None and fallback is not None:
        lay = xj.load_layout(fallback)
        reason = f"{reason}（按版式 {lay.name} 读入）"
    return (xj.read_table(path, lay) if lay is not None else first), lay, reason


def _same(loaded, expected) -> None:
    df, lay, reason = loaded
    want_df, want_lay, want_reason = expected
    pd.testing.assert_frame_equal(df, want_df)
    assert repr(load_report(df)) == repr(load_report(want_df))
    assert (lay and lay.name) == (want_lay and want_lay.name)
    assert reason == want_reason


@pytest.mark.parametrize("path", [ROSTER, ROSTER_CSV], ids=["xlsx", "csv"])
def test_a_sheet_without_a_layout_is_read_once(path, full_reads):
    reports: list[tuple[str, int, int | None]] = []
    df, lay, why = load_list(path, progress=lambda label, done, total: reports.append((label, done, total)))
    assert lay.name == "k12_student" and why.endswith("必填字段齐全")
    assert full_reads == [path.name]  # today: twice, once to recognise the layout and once through it
    starts = [r for r in reports if r[0] == f"读取 {path.name}" and r[1] == 0]
    assert len(starts) == 1, reports  # one read reported, not two
    full_reads.clear()
    _same((df, lay, why), _read_twice(path))


def test_compare_s_load_reads_each_roster_once(full_reads):
    """xueji compare's call: fallback k12_student, a converted folder kept as it is."""
    data, lay, _ = load_list(ROSTER, fallback="k12_student", keep_folder=True)
    assert full_reads == [ROSTER.name] and lay.name == "k12_student" and len(data) == 1437


def test_the_same_results_as_reading_twice(tmp_path, full_reads):
    """Title rows, a blank header over data far below the first rows, repeated headers, several sheets (the
    first a note, a hidden code list), a sheet that fits no layout (with and without a fallback), CSV: the same
    frame, LoadReport, layout and reason as the two reads gave, from one read each."""
    rows = [[*HEADER, "", "备注"]] + [[*_record(i), "", ""] for i in range(30)]
    rows[25][6] = "x"  # under a blank header, below the rows the header scan sees
    rows.append([*_record(99), "", "", "", "beyond"])  # a cell right of every header
    files = [
        _workbook(tmp_path / "title.xlsx", [("S", [["某校学生名单"], [], HEADER] + [_record(i) for i in range(30)])]),
        _workbook(tmp_path / "blank_deep.xlsx", [("S", rows)]),
        _workbook(
            tmp_path / "dup.xlsx", [("S", [[*HEADER, "姓名", "姓名_2"]] + [[*_record(i), "a", "b"] for i in range(5)])]
        ),
        _workbook(
            tmp_path / "sheets.xlsx",
            [
                ("说明", [["本表说明"], ["只有一行"]]),
                ("代码", [["代码", "名称"], ["01", "汉族"]]),
                ("学生", [HEADER, _record(1)]),
            ],
            hidden=("代码",),
        ),
        _workbook(tmp_path / "other.xlsx", [("S", [["甲", "乙", "丙"], ["1", "2", "3"]])]),
    ]
    csv = tmp_path / "blank.csv"
    csv.write_text(
        "\n".join([",".join([*HEADER, "", ""])] + [",".join([*_record(i), "", "z" * (i == 11)]) for i in range(12)]),
        "gbk",
    )
    files.append(csv)
    for path in files:
        for options in ({}, {"fallback": "k12_student"}, {"complete": True}):
            full_reads.clear()
            try:
                loaded = load_list(path, **options)
            except xj.FileFormatError as exc:  # other.xlsx through k12_student: no header row of it
                assert full_reads == []  # stopped at the header, before any record was read
                with pytest.raises(xj.FileFormatError) as want:
                    _read_twice(path, **options)
                assert str(exc) == str(want.value)
                continue
            assert full_reads == [path.name], (path.name, options)
            _same(loaded, _read_twice(path, **options))


def test_errors_are_the_same_as_before(tmp_path, full_reads):
    empty = _workbook(tmp_path / "empty.xlsx", [("S", [])])
    numbers = _workbook(tmp_path / "numbers.xlsx", [("S", [[1, 2, 3], [4, 5, 6]])])
    for path in (empty, numbers):
        with pytest.raises(xj.FileFormatError) as want:
            xj.read_table(path)
        with pytest.raises(xj.FileFormatError) as got:
            load_list(path, fallback="k12_student")
        assert str(got.value) == str(want.value)
    # an unknown fallback is the caller's LayoutError, raised while the header is looked at — not "工作簿已损坏"
    other = _workbook(tmp_path / "other.xlsx", [("S", [["甲", "乙", "丙"], ["1", "2", "3"]])])
    with pytest.raises(xj.LayoutError, match="没有名为 no_such_layout 的版式"):
        load_list(other, fallback="no_such_layout")
    assert load_list(ROSTER, fallback="no_such_layout").layout.name == "k12_student"  # not needed: not loaded


def test_header_names_as_a_read_without_a_layout_names_the_columns():
    scan = [(1, ["名单"]), (3, ["学籍号", " 姓名★", "", "姓名", ""]), (4, ["G1", "张三", "x", "张三", "", "y"])]
    assert header_names(scan) == (3, ["学籍号", "姓名", "列3", "姓名_2", "列6"])
    assert header_names(scan, filled=set()) == (3, ["学籍号", "姓名", "姓名_2"])
    assert header_names([(1, ["1", "2"])]) is None
