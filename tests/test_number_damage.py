"""Issue 15 §3: an ID column a script or WPS saved as numbers (a double: 4.301212019040797e+17, 16–17
significant digits) was called LONG_NUMBER_CELL "目前还完整" and then reported as checksum, sex and G-学籍号
errors ("请核对身份证原件"). A double cannot hold 18 digits: the loader now calls it number damage.
An integer cell (all digits in the file) stays LONG_NUMBER_CELL (tests/test_tables.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl

import xueji_lib as xj
from xueji_lib.core import ids

ROSTER = Path(__file__).resolve().parent.parent / "data_samples" / "k12" / "学生名单_2026春.xlsx"
PILED = ["SFZH_CHECKSUM", "SFZH_SEX_MISMATCH", "SFZH_BIRTH_MISMATCH", "SFZH_LENGTH", "SFZH_AREA_UNKNOWN"]


def _rewrite(tmp_path) -> tuple[Path, list[int], list[str]]:
    """The sample roster with ten clean pupils' 身份证件号 cells rewritten as numbers (doubles, as a script or
    WPS writes them): (file, their spreadsheet rows, their IDs)."""
    df = xj.read_table(ROSTER, layout="k12_student")
    found = xj.validate(df, layout="k12_student").findings
    clean = [
        i
        for i in range(len(df))
        if i + 1 not in set(found["row"])
        and df["SFZJH"].iloc[i].isdigit()
        and ids.checksum_ok(df["SFZJH"].iloc[[i]]).iloc[0]
    ][:10]
    path = tmp_path / "学生名单.xlsx"
    shutil.copy(ROSTER, path)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[1]]
    col = next(i for i, h in enumerate(header, 1) if h in ("SFZJH", "身份证件号"))
    rows, values = [], []
    for i in clean:
        r = i + 2  # header in row 1
        text = str(ws.cell(r, col).value)
        assert text == df["SFZJH"].iloc[i] and text.isdigit()
        ws.cell(r, col).value = float(text)
        rows.append(i + 1)
        values.append(text)
    wb.save(path)
    return path, rows, values


def test_ids_saved_as_doubles_are_called_number_damage_not_intact(tmp_path):
    path, rows, _ = _rewrite(tmp_path)
    df = xj.read_table(path, layout="k12_student")
    warning = next(w for w in xj.load_report(df).warnings if w.field == "SFZJH")
    assert warning.code == "EXCEL_NUMBER_DAMAGED" and warning.count >= 10 and "目前还完整" not in warning.message
    assert "LONG_NUMBER_CELL" not in {w.code for w in xj.load_report(df).warnings}
    assert {r for r, _, _ in warning.examples} & {r + 1 for r in rows}  # spreadsheet rows (header in row 1)


def test_openpyxl_and_scripts_write_big_integers_as_doubles(tmp_path):
    """Why a "number" ID is damage: openpyxl (like most scripts) writes even a Python int as a double."""
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证件号"])
    wb.active.append(["张三", 430121201904079769])
    wb.save(path)
    df = xj.read_table(path)
    assert df.iloc[0, 1] != "430121201904079769"
    assert [w.code for w in xj.load_report(df).warnings] == ["EXCEL_NUMBER_DAMAGED"]


def test_validate_calls_each_damaged_id_damage_and_piles_nothing_on(tmp_path):
    """The validator part: every ID cell the loader found stored as a double is SFZH_EXCEL_DAMAGED — even when
    the rounded digits happen to pass the checksum — and no checksum, sex, birth, G-学籍号 or duplicate finding
    is piled on that record's ID; the finding names the spreadsheet row and the pupil."""
    path, rows, values = _rewrite(tmp_path)
    df = xj.read_table(path, layout="k12_student")
    res = xj.validate(df, layout="k12_student")
    f = res.findings
    damaged = f[f["rule"] == "SFZH_EXCEL_DAMAGED"]
    assert set(damaged["row"]) >= set(rows)
    on_them = f[f["row"].isin(rows)]
    assert set(on_them["rule"]) == {"SFZH_EXCEL_DAMAGED"}, on_them[["row", "rule"]]
    assert not (set(PILED) | {"XJH_G_MISMATCH", "SFZH_DUPLICATE"}) & set(on_them["rule"])
    sheet = res.list("问题明细").frame()
    hit = sheet[sheet["规则代码"] == "SFZH_EXCEL_DAMAGED"]
    assert {r + 1 for r in rows} <= set(hit["行号"].astype(int))  # the spreadsheet row (header in row 1)
    names = dict(zip(hit["行号"].astype(int), hit["姓名"]))
    assert all(names[r + 1] == df["XM"].iloc[r - 1] for r in rows)


def test_two_ids_rounded_to_the_same_double_are_not_called_duplicates(tmp_path):
    """Two different IDs that a double rounds to the same number: number damage on both, not one person twice."""
    path = tmp_path / "名单.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["学籍号", "姓名", "性别", "出生日期", "身份证件类型", "身份证件号"])
    for xjh, xm, sfz in (
        ("G430121201904079769", "张一", "430121201904079769"),
        ("G430121201904079761", "张二", "430121201904079761"),
    ):
        ws.append([xjh, xm, "1", "20190407", "1", float(sfz)])
    wb.save(path)
    df = xj.read_table(path, layout="k12_student")
    assert df["SFZJH"].iloc[0] == df["SFZJH"].iloc[1]  # both cut to the same digits
    f = xj.validate(df, layout="k12_student").findings
    id_rules = set(f.loc[f["field"] == "SFZJH", "rule"])
    assert id_rules == {"SFZH_EXCEL_DAMAGED"}, id_rules
    assert not {"XJH_G_MISMATCH", "SFZH_DUPLICATE"} & set(f["rule"])
