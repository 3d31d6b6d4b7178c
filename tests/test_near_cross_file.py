"""Issue 16 §6 across files through validation: ``validate(others=…)`` / ``xueji validate --others`` reports a
record that is probably the same child as a record of another school's file (SFZH_NEAR_DUPLICATE: the same
姓名 and 出生日期 with ID numbers one digit apart, two digits swapped, or missing), with the sentence of the
near-duplicate search (both rows, the position, which copy the check digit favours) — and a 15-digit old number
and the 18-digit number it became are one child in ``xueji dupes``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.ids import make_ids
from xueji_lib.samples.scale import make_roster_pair

ROOT = Path(__file__).resolve().parent.parent


def _other_digit(v: str, p: int) -> str:
    return v[:p] + str((int(v[p]) + 3) % 10) + v[p + 1 :]


@pytest.fixture(scope="module")
def schools():
    """School A (300 pupils) and school B (300 others) with planted copies of A's pupils: one digit apart
    (B's copy mistyped), two digits swapped, B's copy without a number, and the very same number (which is
    CROSS_FILE_DUPLICATE's, not a near-duplicate); plus a namesake born the same day whose number differs in
    many digits (a different child: nothing)."""
    roster, _, _ = make_roster_pair(900, seed=11)
    key = roster["XM"] + "|" + roster["CSRQ"]
    roster = roster[~key.duplicated(keep=False)].reset_index(drop=True)
    a = roster.iloc[:300].reset_index(drop=True)
    b = roster.iloc[300:600].reset_index(drop=True).copy()
    copies, plan = [], {}
    for pos_a, kind in [(10, "one_digit"), (40, "swap"), (70, "one_missing"), (100, "same"), (130, "namesake")]:
        c = a.iloc[[pos_a]].copy()
        v = c["SFZJH"].iat[0]
        if kind == "one_digit":
            c["SFZJH"] = _other_digit(v, 14)
        elif kind == "swap":
            p = next(i for i in range(6, 16) if v[i] != v[i + 1])
            c["SFZJH"] = v[:p] + v[p + 1] + v[p] + v[p + 2 :]
        elif kind == "one_missing":
            c["SFZJH"] = ""
        elif kind == "namesake":
            c["SFZJH"] = v[:14] + "".join(str((int(x) + 5) % 10) for x in v[14:17]) + "0"
        copies.append(c)
        plan[kind] = pos_a + 1
    b = pd.concat([b.iloc[:50], *copies, b.iloc[50:]], ignore_index=True)  # B's rows 51..55
    return a, b, plan


def test_validate_with_others_names_the_same_child_in_the_other_file(schools):
    a, b, plan = schools
    res = xj.validate(a, layout="k12_student", others={"乙校.xlsx": b})
    near = res.findings[res.findings["rule"] == "SFZH_NEAR_DUPLICATE"]
    assert sorted(near["row"].astype(int)) == sorted([plan["one_digit"], plan["swap"], plan["one_missing"]])
    assert set(near["severity"]) == {"warning"} and "SFZH_NEAR_DUPLICATE" in res.rules_run
    msg = dict(zip(near["row"].astype(int), near["message"]))
    assert msg[plan["one_digit"]].startswith(
        f"本文件 第 {plan['one_digit']} 行与乙校.xlsx 第 51 行疑似同一学生：姓名、性别、出生日期相同，身份证号仅第 15 位不同"
    ), msg[plan["one_digit"]]
    assert f"本文件 第 {plan['one_digit']} 行的号码校验位正确，乙校.xlsx 第 51 行的可能录错" in msg[plan["one_digit"]]
    assert "第 52 行" in msg[plan["swap"]] and "前后颠倒" in msg[plan["swap"]]
    assert "乙校.xlsx 第 53 行没有身份证号" in msg[plan["one_missing"]]
    # the same number in both files is a 重复学籍 (CROSS_FILE_DUPLICATE), said once, not again as a near-duplicate
    cross = res.findings[res.findings["rule"] == "CROSS_FILE_DUPLICATE"]
    assert plan["same"] in set(cross["row"].astype(int)) and plan["same"] not in set(near["row"].astype(int))
    assert plan["namesake"] not in set(near["row"].astype(int))
    text = " ".join(near["value"].astype(str)) + " ".join(near["message"])
    assert not [v for v in a["SFZJH"] if v in text], "an ID number shown unmasked"


def test_without_others_nothing_is_searched(schools):
    a, _, _ = schools
    res = xj.validate(a, layout="k12_student")
    assert "SFZH_NEAR_DUPLICATE" not in res.rules_run


def test_command_line_validate_others(schools, tmp_path):
    a, b, plan = schools
    pa_, pb = tmp_path / "甲校.xlsx", tmp_path / "乙校.xlsx"
    xj.write_excel({"学生": a}, pa_)
    xj.write_excel({"学生": b}, pb)
    out = tmp_path / "校验"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "xueji_lib.apps.cli",
            "validate",
            str(pa_),
            "--layout",
            "k12_student",
            "--others",
            str(pb),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "SFZH_NEAR_DUPLICATE" in proc.stdout, proc.stdout[-3000:]
    detail = pd.read_excel(out / "校验结果.xlsx", sheet_name="问题明细", dtype=str).fillna("")
    near = detail[detail["规则代码"] == "SFZH_NEAR_DUPLICATE"]
    # Excel rows: the header is row 1, so the pupil at position 11 is on row 12, B's copy (position 51) on 52
    assert near["行号"].tolist() == ["12", "42", "72"]
    said = " ".join(near.astype(str).agg(" ".join, axis=1))
    assert "本文件 第 12 行与乙校.xlsx 第 52 行疑似同一学生：姓名、性别、出生日期相同，身份证号仅第 15 位不同" in said
    assert not [v for v in a["SFZJH"] if v in said + proc.stdout], "an ID number shown unmasked"


def test_a_15_digit_number_and_its_18_digit_form_are_one_child():
    births = np.array([19820517, 19790301])
    ids = pd.Series(make_ids(np.full(2, 430102), births, np.array([123, 124])))
    new = pd.DataFrame({"XM": ["欧阳建国", "李秀英"], "XB": ["1", "2"], "CSRQ": births.astype(str), "SFZH": ids})
    old = new.assign(SFZH=ids.str[:6] + ids.str[8:17], CSRQ=["1982-05-17", ""])  # one without 出生日期 at all
    res = xj.near_duplicates({"2026.dbf": new, "2009.dbf": old})
    assert res.pairs["kind"].tolist() == ["id_15_18", "id_15_18"]
    assert res.counts["pairs"]["id_15_18"] == 2 and res.conserved
    assert "一条是 15 位旧身份证号，升为 18 位后与另一条相同" in res.pairs["explain"].iloc[0]
    # a 15-digit number one digit away from another's 18-digit form is a one-digit pair, at its 18-digit position
    typo = old.assign(SFZH=[_other_digit(old["SFZH"].iat[0], 12), old["SFZH"].iat[1]])
    res2 = xj.near_duplicates({"2026.dbf": new, "2009.dbf": typo})
    assert res2.pairs["kind"].tolist() == ["one_digit", "id_15_18"]
    assert "身份证号仅第 15 位不同" in res2.pairs["explain"].iloc[0]
