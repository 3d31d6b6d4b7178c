"""民族 "1" (issue 15 §7): a code whose leading zero Excel dropped is given it back where the upload files are
written, as dates are normalised — 校验通过.dbf carries "01" — and CODE_LEADING_ZERO says so in words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.io.lists import layout_frame
from xueji_lib.schema.codes import load_code_table, restore_leading_zeros
from xueji_lib.schema.rules import load_rules, rule_sentence

REG = Path(__file__).resolve().parent.parent / "data_samples" / "hei" / "10_注册上报.dbf"


def test_only_codes_that_lost_their_zeros_change():
    values = pd.Series(["1", "01", "汉族", " 9", "60", "", None, "001", "1.0", "HA", "５"], dtype="str")
    out, changed = restore_leading_zeros(values, "mz")
    assert out.tolist()[:6] == ["01", "01", "汉族", "09", "60", ""] and pd.isna(out.iloc[6])
    assert out.tolist()[7:] == ["001", "1.0", "HA", "５"]  # not a code with its zeros cut off: left as it is
    assert changed.tolist() == [True, False, False, True] + [False] * 7
    assert changed.dtype == np.bool_ and out.index.equals(values.index) and out.dtype == values.dtype
    # a table object works as well as its name; a value that is a code as it is never changes
    zzmm = load_code_table("zzmm")
    codes = pd.Series(zzmm.codes(), dtype="str")
    same, none = restore_leading_zeros(codes, zzmm)
    assert same.tolist() == codes.tolist() and not none.any()
    short = codes.str.lstrip("0").where(codes.str.lstrip("0") != "", codes)
    back, changed = restore_leading_zeros(short, zzmm)
    assert back.tolist() == codes.tolist() and changed.sum() == (short != codes).sum() > 0


def test_nothing_to_change_and_an_empty_column():
    out, changed = restore_leading_zeros(pd.Series([], dtype="str"), "mz")
    assert len(out) == 0 and changed.shape == (0,)
    values = pd.Series(["01", "02"], dtype="str", index=[5, 7])
    out, changed = restore_leading_zeros(values, "mz")
    assert out is values and not changed.any()


def test_the_upload_file_carries_01(tmp_path):
    reg = xj.read_dbf(REG)
    res0 = xj.validate(reg, year=2026, category="10")
    i = int(np.flatnonzero(~np.asarray(res0.failed, dtype=bool))[0])  # a record that passes
    reg.loc[i, "MZ"] = "1"  # Excel took 01 for the number 1
    ksh = str(reg.loc[i, "KSH"]).strip()
    res = xj.validate(reg, year=2026, category="10")
    files = xj.write_validation_outputs(res, reg, tmp_path)
    passed = xj.read_dbf(files["passed"])
    row = passed[passed["KSH"].str.strip() == ksh]
    assert len(row) == 1 and row["MZ"].iloc[0] == "01"
    assert reg.loc[i, "MZ"] == "1"  # the input frame is not changed


def test_layout_frame_of_a_k12_roster():
    lay = xj.load_layout("k12_student")
    frame = layout_frame(pd.DataFrame({"XM": ["张三", "李四"], "MZ": ["1", "汉族"]}), lay)
    assert frame["MZ"].tolist() == ["01", "汉族"] and frame["XM"].tolist() == ["张三", "李四"]


def test_the_rule_is_declared_in_words():
    rule = load_rules()["CODE_LEADING_ZERO"]
    assert rule.severity == "info"
    text = rule.message.format(name="民族", value="1", detail="01")
    assert text == "民族“1”前面的 0 被去掉了（Excel 把代码当成了数字），已按代码表补成“01”"
    assert "文本" in rule.hint and rule_sentence(rule.message, "民族").startswith("民族前面的 0 被去掉了")


@pytest.mark.parametrize("value", ["1", "01"])
def test_the_doctest_example(value):
    out, changed = restore_leading_zeros(pd.Series([value]), "mz")
    assert out.tolist() == ["01"] and changed.tolist() == [value == "1"]


def test_validate_reports_the_lost_zero_as_info_and_the_record_passes():
    """民族 "1": an info finding naming the code it becomes (the upload file carries it), no CODE_INVALID, and the
    record passes — the same as a date normalised on the way to the upload file."""
    reg = xj.read_dbf(REG)
    clean = np.flatnonzero(~np.asarray(xj.validate(reg, year=2026, category="10").failed, dtype=bool))[:3]
    reg.loc[clean, "MZ"] = "1"
    res = xj.validate(reg, year=2026, category="10")
    f = res.findings
    zero = f[f["rule"] == "CODE_LEADING_ZERO"]
    assert sorted(zero["row"].astype(int)) == sorted(clean + 1)
    assert set(zero["severity"]) == {"info"} and all("“01”" in m for m in zero["message"])
    assert not ((f["rule"] == "CODE_INVALID") & f["row"].isin(clean + 1)).any()
    assert not np.asarray(res.failed)[clean].any()
