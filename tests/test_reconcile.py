"""reconcile(): the platform's match on the samples (every planted status, clean records matched, every record
accounted for) and each explanation on small frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.ids import make_ids

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
PLANTED = pd.read_csv(SAMPLES / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module", params=["10", "50"])
def sample(request):
    c = request.param
    adm = xj.read_dbf(SAMPLES / "hei" / f"{c}_录取名单.dbf")
    reg = xj.read_dbf(SAMPLES / "hei" / f"{c}_注册上报.dbf")
    states = xj.read_dbf(SAMPLES / "hei" / "10_新生状态.dbf") if c == "10" else None
    return c, adm, reg, xj.reconcile(adm, reg, year=2026, category=c, states=states)


def test_every_planted_status_and_clean_records_matched(sample):
    c, adm, reg, res = sample
    for side, frame, fname in (
        ("admission", res.admission, f"hei/{c}_录取名单.dbf"),
        ("registration", res.registration, f"hei/{c}_注册上报.dbf"),
    ):
        planted = PLANTED[(PLANTED.file == fname) & PLANTED.expected.str.startswith("reconcile:")]
        got = frame.set_index("row")
        for p in planted.itertuples():
            status, _, state = p.expected.split(":", 1)[1].partition("/")
            assert got.at[int(p.row), "status"] == status, (side, p.row, p.problem_code)
            if state:
                assert got.at[int(p.row), "state"] == (state if state != "none" else None) or (
                    state == "none" and pd.isna(got.at[int(p.row), "state"])
                ), (side, p.row)
        listed = set(planted.row.astype(int)) | set(PLANTED.loc[PLANTED.file == fname, "row"].astype(int))
        clean = frame[~frame["row"].isin(listed)]
        assert (clean["status"] == "matched").all(), clean[clean.status != "matched"].head()
    assert len(res.registration) == len(reg) and len(res.admission) == len(adm) and res.conserved
    c_ = res.counts
    assert sum(c_["registration"][s] for s in xj.reconcile.__globals__["REGISTRATION_STATUSES"]) == len(reg)


def test_explanations_on_the_samples(sample):
    c, adm, reg, res = sample
    if c != "10":
        return
    r = res.registration.set_index("row")
    a = res.admission.set_index("row")
    assert "第 13、14 位颠倒" in r.at[887, "reasons"] and r.at[887, "counterpart_row"] == 717
    assert "姓名差一个字" in r.at[923, "reasons"] and "吴俊华" in r.at[923, "reasons"]
    assert "占位符" in r.at[410, "reasons"] and "杨??" in a.at[35, "XM"]
    assert "层次不同" in r.at[604, "reasons"] and "“专科”" in r.at[604, "reasons"]
    assert "考生号为空" in r.at[596, "reasons"] and "第 92 条记录" in r.at[596, "reasons"]  # DBF: record number
    assert "注册上报第 596 条记录考生号为空" in a.at[92, "reasons"]
    assert "另见第 994 条记录" in r.at[698, "reasons"] and "2 条记录" in a.at[735, "reasons"]
    assert "找不到" in r.at[995, "reasons"] and pd.isna(r.at[995, "counterpart_row"])
    assert a.at[137, "state"] == "保留入学资格" and "无需注册" in a.at[137, "action"]
    assert (res.registration["action"] != "").sum() == (res.registration["status"] != "matched").sum()
    assert "注册上报 995 条 = 一致 983" in res.summary() and "已报到入学 2" in res.summary()


def pair(n=5):
    ids = make_ids(np.full(n, 430102), np.full(n, 20080517), np.arange(1, n + 1) * 2 + 1)
    adm = pd.DataFrame(
        {
            "KSH": [f"2643010211{i:04d}" for i in range(n)],
            "XM": ["张三", "李四", "王五", "赵六", "钱七", "孙八"][:n],
            "XBDM": ["1"] * n,
            "CSRQ": ["20080517"] * n,
            "SFZH": ids.tolist(),
            "YXDM": ["19999"] * n,
            "CC": ["本科"] * n,
            "XXXS": ["普通全日制"] * n,
            "LQNF": ["2026"] * n,
            "XLLB": ["10"] * n,
        }
    )
    reg = pd.DataFrame(
        {
            "KSH": adm.KSH,
            "XM": adm.XM,
            "XB": ["男"] * n,
            "CSRQ": adm.CSRQ,
            "SFZH": adm.SFZH,
            "YXDM": adm.YXDM,
            "CC": adm.CC,
            "XXXS": adm.XXXS,
        }
    )
    return adm, reg


def statuses(res):
    return res.registration["status"].tolist(), res.admission["status"].tolist()


def test_padding_and_case_are_forgiven_nothing_else():
    adm, reg = pair()
    adm.loc[0, "KSH"] = "2643010211000a"
    reg.loc[0, "KSH"] = " 2643010211000A  "
    reg.loc[1, "KSH"] = "２６４３０１０２１１０００１"  # full-width digits are not forgiven…
    reg.loc[1, "SFZH"] = ""  # …and with no other way to find the admission record it is not admitted
    reg.loc[1, "XM"] = "李斯"
    res = xj.reconcile(adm, reg)
    assert statuses(res)[0][:2] == ["matched", "not_admitted"]
    assert statuses(res)[1][1] == "not_registered"


def test_counterpart_by_15_digit_id_then_name_and_birth_then_near_ksh():
    adm, reg = pair()
    full = make_ids([430102], ["19900517"], [3])[0]  # 15-digit numbers belong to people born in the 1900s
    adm.loc[0, ["SFZH", "CSRQ"]] = [full, "19900517"]
    reg.loc[0, ["KSH", "SFZH", "CSRQ"]] = ["26430102119999", full[:6] + full[8:17], "19900518"]  # 15-digit form
    reg.loc[1, ["KSH", "SFZH"]] = ["26430102118888", ""]  # found by 姓名+出生日期
    reg.loc[2, ["KSH", "SFZH"]] = ["26430102110092", ""]  # one digit away (…0002)
    reg.loc[2, "XM"] = "王武"
    res = xj.reconcile(adm, reg)
    r = res.registration
    assert r["status"].tolist()[:3] == ["key_mismatch"] * 3 and r["match_by"].tolist()[:3] == [
        "身份证号",
        "姓名+出生日期",
        "考生号相近",
    ]
    assert "考生号第 13 位不同" in r.at[2, "reasons"] and "姓名差一个字" in r.at[2, "reasons"]
    assert r["counterpart_row"].tolist()[:3] == [1, 2, 3]
    assert res.admission["status"].tolist()[:3] == ["key_mismatch"] * 3


def test_study_form_counts_only_for_category_50_and_year_category_from_columns():
    adm, reg = pair()
    reg.loc[0, "XXXS"] = "函授"
    res = xj.reconcile(adm, reg)
    assert statuses(res)[0][0] == "matched"  # category 10: 学习形式 is not part of the match
    adm50 = adm.assign(XLLB="50", XXXS="业余")
    res = xj.reconcile(adm50, reg.assign(XXXS="业余").assign(XXXS=lambda d: d.XXXS.where(d.index != 0, "函授")))
    assert statuses(res)[0][0] == "key_mismatch" and "学习形式不同" in res.registration.at[0, "reasons"]
    res = xj.reconcile(adm, reg, year=2025)  # the registration side is 2025 by argument, admissions say 2026
    assert set(statuses(res)[0]) == {"key_mismatch"} and "录取年份不同" in res.registration.at[0, "reasons"]


def test_duplicate_and_missing_keys_get_their_own_bucket():
    adm, reg = pair()
    reg = pd.concat([reg, reg.iloc[[3]]], ignore_index=True)
    reg.loc[4, "KSH"] = ""
    res = xj.reconcile(adm, reg)
    assert statuses(res)[0] == ["matched", "matched", "matched", "duplicate_key", "missing_key", "duplicate_key"]
    assert statuses(res)[1] == ["matched", "matched", "matched", "matched", "key_mismatch"]
    assert res.conserved and res.counts["registration"]["total"] == 6


def test_unregistered_split_by_state():
    adm, reg = pair()
    reg = reg.iloc[:2]
    states = pd.DataFrame({"KSH": adm.KSH[2:4], "ZT": ["保留入学资格", "4"]})  # a code is accepted too
    res = xj.reconcile(adm, reg, states=states)
    a = res.admission
    assert a["status"].tolist()[2:] == ["not_registered"] * 3
    assert a["state"].tolist()[2:4] == ["保留入学资格", "取消入学资格"] and pd.isna(a["state"][4])
    assert res.counts["admission"]["not_registered_by_state"] == {"保留入学资格": 1, "取消入学资格": 1, "none": 1}


def test_missing_ksh_column_is_a_clear_error():
    adm, reg = pair()
    with pytest.raises(xj.LayoutError, match="KSH"):
        xj.reconcile(adm, reg.drop(columns=["KSH"]))


def test_a_code_and_its_label_are_the_same_value():
    adm, reg = pair()
    adm.loc[0, "CC"] = "05"  # the cc table's code of 本科
    adm.loc[1, "CC"] = "05"
    reg.loc[1, "CC"] = "专科"
    res = xj.reconcile(adm, reg)
    assert statuses(res)[0][:2] == ["matched", "key_mismatch"]
    assert "层次不同：录取为“05”，注册为“专科”" in res.registration.at[1, "reasons"]


def test_a_callers_engine_is_left_as_it_was():
    """An Engine passed in is not closed, and keeps only its own tables: the lists' tables, the kept keys and
    the matching tables of the run are dropped (on Spark: unpersisted — tests/test_engines.py)."""
    from xueji_lib.engine.engines import DuckDBEngine

    eng = DuckDBEngine()
    eng.register("mine", pd.DataFrame({"k": [1]}))
    adm = xj.read_dbf(SAMPLES / "hei" / "10_录取名单.dbf")
    reg = xj.read_dbf(SAMPLES / "hei" / "10_注册上报.dbf")
    res = xj.reconcile(adm, reg, year=2026, category="10", engine=eng)
    assert res.counts["registration"]["matched"] == 986
    left = eng.con.sql(
        "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
    ).fetchall()
    assert left == [("mine",)] and eng.scalar("SELECT count(*) FROM mine") == 1  # frames registered show as views
    eng.close()
