"""io.loading.load_list: the one function that loads a list and finds its layout, for the command line
(validate, compare, reconcile), the dashboards' catalogue and uploads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.io.loading import GIVEN_LAYOUT, load_list

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
REG = SAMPLES / "hei" / "10_注册上报.dbf"
ROSTER = SAMPLES / "k12" / "学生名单_2026春.xlsx"


def test_a_dbf_as_it_is_with_the_layout_it_fits():
    df, lay, why = load_list(REG)
    pd.testing.assert_frame_equal(df, xj.read_dbf(REG))
    assert lay.name == "chsi_registration" and why == xj.recognize_layout(df.columns)[1]


def test_a_sheet_is_read_again_through_the_layout_it_fits():
    df, lay, why = load_list(ROSTER)
    assert lay.name == "k12_student" and why.endswith("必填字段齐全")
    pd.testing.assert_frame_equal(df, xj.read_table(ROSTER, "k12_student"))


def test_a_given_layout_is_used_as_it_is():
    df, lay, why = load_list(ROSTER, "k12_student")
    assert lay.name == "k12_student" and why == GIVEN_LAYOUT and "XJH" in df.columns
    with pytest.raises(xj.LayoutError, match="没有名为 no_such_layout 的版式"):
        load_list(ROSTER, "no_such_layout")


def test_a_sheet_that_fits_no_layout(tmp_path):
    """No layout: None, and the sentence to raise where one is needed (xueji validate); a fallback layout reads
    the sheet through it (xueji compare); a DBF keeps its codes whatever the fallback."""
    csv = tmp_path / "教师子女名单.csv"
    csv.write_text("序号,姓名,性别,工号,部门,备注\n1,王小明,男,T0012,教务处,\n", "utf-8")
    df, lay, why = load_list(csv)
    assert lay is None and "与已知版式都对不上" in why
    assert list(df.columns) == ["序号", "姓名", "性别", "工号", "部门", "备注"]
    df, lay, why = load_list(csv, fallback="k12_student")
    assert lay.name == "k12_student" and "按版式 k12_student 读入" in why and "XM" in df.columns
    assert load_list(REG, fallback="k12_student").layout.name == "chsi_registration"


def test_complete_refuses_a_layout_the_sheet_only_resembles(tmp_path):
    """The catalogue does not check a sheet against a layout whose required fields it lacks."""
    roster = xj.read_table(ROSTER, "k12_student").head(5)
    lay = xj.load_layout("k12_student")
    path = tmp_path / "名单.xlsx"
    xj.write_excel({"学生": roster.drop(columns=lay.required[0])}, path)
    assert load_list(path).layout.name == "k12_student"  # the closest layout: validate names what is missing
    df, lay2, why = load_list(path, complete=True)
    assert lay2 is None and "缺少它的必填字段" in why and len(df) == 5


def test_a_converted_folder_kept_as_a_folder(tmp_path):
    folder = tmp_path / "注册上报_parquet"
    xj.dbf_to_parquet(REG, folder, workers=1)
    data, lay, _ = load_list(folder, keep_folder=True)
    assert data == folder and lay.name == "chsi_registration"
    df, lay, _ = load_list(folder)
    assert len(df) == 995 and lay.name == "chsi_registration"
