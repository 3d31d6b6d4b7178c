"""Issue 16, points 4, 9, 10 — on synthetic lists made here:

- reconcile: a registration record whose student the new-student state list already holds as 报到入学 /
  保留 / 放弃 / 取消入学资格 gets its own status and sentence (seed 000: "不再允许多次注册"), counted in 资格有误;
- compare: each changed field classed as ordinary / evidence / not_accepted (seed 004: "不接受毕业生的姓名、性别、
  身份证、出生日期信息的变更"), per record and in the summary;
- compare: 借读 / 对外交流 (004) in the K-12 change kinds; a university's roster keyed by 学号 or 考生号 with
  its own 学籍异动 list (hei_changes, xjyd_gx kinds), from the library and from ``xueji compare``.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from dbfread import DBF

import xueji_lib as xj
from tests.test_compare import roster  # pupils with valid IDs and G 学籍号, one place for the frame
from tests.test_reconcile import pair  # admitted students and the same students in the upload
from xueji_lib.core.ids import make_ids
from xueji_lib.io.dbf import write_dbf
from xueji_lib.matching.compare import compare
from xueji_lib.matching.reconcile import REGISTRATION_STATUSES, STATUS_ZH

ROOT = Path(__file__).resolve().parent.parent
XUEJI = Path(sys.executable).parent / "xueji"


def run(*args, cwd=None):
    return subprocess.run([str(XUEJI), *map(str, args)], capture_output=True, text=True, cwd=cwd)


# ------------------------------------------------------------------------------------------- reconcile


def admission_and_upload(n=6):
    """Six admitted students and the same six in the registration upload (tests/test_reconcile.py's pair)."""
    return pair(n)


STATE_CASES = [  # state in the list → registration status, a word of the sentence, a word of the action
    ("报到入学", "already_registered", "不再允许多次注册", "在校生"),
    ("保留入学资格", "state_deferred", "保留入学资格", "恢复入学资格"),
    ("放弃入学资格", "state_abandoned", "不会接受", "更正新生状态"),
    ("取消入学资格", "state_cancelled", "不会接受", "删除"),
]


def test_students_already_in_a_state_get_their_own_status_and_sentence():
    adm, reg = admission_and_upload()
    reg.loc[1, "XM"] = "李斯"  # 保留 and a name that differs: the state first, the difference kept after it
    states = pd.DataFrame(
        {"KSH": adm.KSH[:4], "ZT": [s for s, *_ in STATE_CASES], "XM": adm.XM[:4]}  # rows 5, 6: not in the list
    )
    res = xj.reconcile(adm, reg, states=states)
    r = res.registration
    assert r["status"].tolist() == [c[1] for c in STATE_CASES] + ["matched", "matched"]
    for i, (state, _code, said, todo) in enumerate(STATE_CASES):
        assert said in r.at[i, "reasons"] and f"“{state}”" in r.at[i, "reasons"], i
        assert todo in r.at[i, "action"], i
        assert r.at[i, "state"] == state
    assert "此外：姓名差一个字" in r.at[1, "reasons"]
    assert r.at[1, "status"] == "state_deferred"
    # the admission records keep their verdict and are told the state
    a = res.admission
    assert a["status"].tolist() == ["matched", "key_mismatch", "matched", "matched", "matched", "matched"]
    assert a["state"].tolist()[:4] == [s for s, *_ in STATE_CASES] and a["state"][4:].isna().all()
    assert "平台不会接受注册上报中的这条记录" in a.at[0, "reasons"]
    # counted in 资格有误 and in the counts, which still add up
    assert len(res.qualification_errors()) == 4 and res.conserved
    c = res.counts["registration"]
    assert [c[code] for _s, code, *_ in STATE_CASES] == [1, 1, 1, 1] and c["matched"] == 2
    assert sum(c[s] for s in REGISTRATION_STATUSES) == c["total"] == 6
    text = res.summary()
    assert "已报到入学 1 + 已保留入学资格 1 + 已放弃入学资格 1 + 已取消入学资格 1" in text
    # the declared lists: 资格有误 holds them with their words
    q = res.list("资格有误").frame()
    assert set(q["结果"]) == {STATUS_ZH[code] for _s, code, *_ in STATE_CASES}


def test_state_found_through_the_admission_counterpart_and_duplicates_keep_their_status():
    adm, reg = admission_and_upload()
    reg.loc[2, "KSH"] = ""  # missing 考生号: found by 身份证号; the state is the admission record's
    reg = pd.concat([reg, reg.iloc[[3]]], ignore_index=True)  # row 3 twice
    states = pd.DataFrame({"KSH": [adm.KSH[2], adm.KSH[3]], "ZT": ["放弃入学资格", "3"]})  # a code too: 3 放弃
    res = xj.reconcile(adm, reg, states=states)
    r = res.registration
    assert r.at[2, "status"] == "missing_key" and "放弃入学资格" in r.at[2, "reasons"]
    assert "补填考生号" in r.at[2, "action"] and "删除" in r.at[2, "action"]
    assert r.at[3, "status"] == r.at[6, "status"] == "duplicate_key" and "另见" in r.at[3, "reasons"]
    assert res.conserved


def test_without_a_state_list_nothing_changes():
    adm, reg = admission_and_upload()
    res = xj.reconcile(adm, reg)
    assert (res.registration["status"] == "matched").all()
    assert "已报到入学" not in res.summary() and res.registration["state"].isna().all()


def test_cli_reconcile_lists_them_in_the_upload_list(tmp_path):
    adm, reg = admission_and_upload()
    write_dbf(adm.drop(columns=["XBDM"]).assign(XBDM="1"), tmp_path / "录取.dbf", "chsi_admission")
    write_dbf(reg.assign(MZ="汉族", ZYMC="法学", XZ="4", RXRQ="20260901"), tmp_path / "注册.dbf", "chsi_registration")
    write_dbf(
        pd.DataFrame({"KSH": adm.KSH[:2], "XM": adm.XM[:2], "ZT": ["报到入学", "保留入学资格"]}),
        tmp_path / "状态.dbf",
        "chsi_new_student_status",
    )
    out = tmp_path / "out"
    got = run(
        "reconcile", "--admission", tmp_path / "录取.dbf", "--registration", tmp_path / "注册.dbf",
        "--states", tmp_path / "状态.dbf", "--year", "2026", "--category", "10", "--out", out,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    assert "已报到入学 1 + 已保留入学资格 1" in got.stdout
    js = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert js["registration"]["already_registered"] == 1 and js["registration"]["state_deferred"] == 1
    rows = list(DBF(str(out / "资格有误.dbf"), encoding="gbk"))
    assert [r["KSH"] for r in rows] == list(adm.KSH[:2])
    assert "不再允许多次注册" in rows[0]["JYJG"] and "保留入学资格" in rows[1]["JYJG"]


# ------------------------------------------------------------------------------------------- compare


def test_each_change_is_classed_ordinary_evidence_or_not_accepted():
    old = roster(XJZT={0: "在读", 1: "在读", 2: "在读", 3: "毕业", 4: "在读", 5: "在读"})
    new = old.copy()
    new.loc[1, "XM"] = "张贰"  # in school: needs evidence
    new.loc[2, "LXDH"] = "13900009999"  # ordinary
    new.loc[3, "CSRQ"] = "20160420"  # a graduate (学籍状态 毕业): not accepted
    new.loc[4, ["XB", "LXDH"]] = ["2", "13700000000"]  # the strictest field decides
    res = compare(old, new)
    o = res.old.set_index("row")
    assert pd.isna(o.loc[1, "change_class"]) and pd.isna(o.loc[6, "change_class"])  # unchanged: no class
    assert o["change_class"].tolist()[1:5] == ["evidence", "ordinary", "not_accepted", "evidence"]
    assert "学生信息变更申请表" in o.loc[2, "reasons"] and "户口簿" in o.loc[2, "reasons"]
    assert "学生信息变更申请表" not in o.loc[3, "reasons"]
    assert "不予接受" in o.loc[4, "reasons"] and "学籍状态为“毕业”" in o.loc[4, "reasons"]
    assert "性别" in o.loc[5, "reasons"].split("；")[-1]  # the sentence names the field that needs evidence
    assert res.change_classes() == {"ordinary": 1, "evidence": 2, "not_accepted": 1}
    assert res.to_dict()["change_classes"] == res.change_classes()
    assert "信息变化、调动的 4 人中：一般变化 1，须证明材料 2，不予变更 1" in res.summary()
    assert res.conserved
    # the 变化 list shows it in its own column
    frame = res.list("变化").frame()
    assert dict(zip(frame["行号"], frame["变更要求"])) == {
        2: "须证明材料",
        3: "一般变化",
        4: "不予变更",
        5: "须证明材料",
    }


def test_graduates_roster_refuses_identity_changes_and_the_rule_is_data(tmp_path, monkeypatch):
    old = roster()
    new = roster(XM={0: "张壹"}, SFZJH={1: roster().SFZJH[2]})
    res = compare(old, new, graduates=True)
    o = res.old.set_index("row")
    assert o.loc[1, "change_class"] == "not_accepted" and "按毕业生名单对比" in o.loc[1, "reasons"]
    assert o.loc[2, "change_class"] == "not_accepted" and "身份证件号" in o.loc[2, "reasons"]
    assert res.to_dict()["graduates"] is True
    # a bureau's own rule (a user layout of the same name): 联系电话 needs evidence too, 姓名 is ordinary
    (tmp_path / "info_changes.yml").write_text(
        "name: info_changes\ntitle: 本局规定\nformat: excel\n"
        "fields:\n  - {code: BGZD, name: 变更字段, width: 24, required: true}\n"
        "field_classes:\n  evidence:\n    fields: [LXDH]\n    sentence: '{fields}变更须本人签字'\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XUEJI_LAYOUT_PATH", str(tmp_path))
    mine = compare(old, roster(XM={0: "张壹"}, LXDH={1: "13800000000"}))
    m = mine.old.set_index("row")
    assert m.loc[1, "change_class"] == "ordinary" and m.loc[2, "change_class"] == "evidence"
    assert "联系电话变更须本人签字" in m.loc[2, "reasons"]


def test_jiedu_and_exchange_explain_removals_and_returns():
    old = roster()
    new = roster().drop(index=[1, 2]).reset_index(drop=True)
    back = roster(6).iloc[[0]].assign(XJH="G" + "430121201607150017", XM="李交流", SFZJH="430121201607150017")
    new = pd.concat([new, back], ignore_index=True)
    ch = pd.DataFrame(
        [
            {"XJH": old.XJH[1], "YDLB": "借读", "YDRQ": "20260301"},
            {"XJH": old.XJH[2], "YDLB": "29", "YDRQ": "20260301"},  # 对外交流 by its code
            {"XJH": back.XJH.iloc[0], "YDLB": "交流返校", "YDRQ": "20260310"},
        ],
        dtype="str",
    )
    res = compare(old, new, changes=ch)
    o = res.old.set_index("row")
    assert o.loc[2, "change_type"] == "借读" and bool(o.loc[2, "explained"])
    assert o.loc[3, "change_type"] == "对外交流" and bool(o.loc[3, "explained"])
    n = res.new.set_index("row")
    assert n.loc[5, "status"] == "added" and n.loc[5, "change_type"] == "交流返校" and bool(n.loc[5, "explained"])
    assert len(res.unexplained_removals()) == 0 and res.counts["changes"]["explains"] == 3


def university(n=6, **overrides) -> pd.DataFrame:
    ids = make_ids(np.full(n, 430102), np.full(n, 20060517), np.arange(1, n + 1) * 2 + 1)
    df = pd.DataFrame(
        {
            "KSH": [f"2643010211{i:04d}" for i in range(n)],
            "XH": [f"2026{i:04d}" for i in range(n)],
            "XM": ["张三", "李四", "王五", "赵六", "钱七", "孙八"][:n],
            "XB": ["男"] * n,
            "CSRQ": ["20060517"] * n,
            "SFZH": ids.tolist(),
            "YXDM": ["19999"] * n,
            "YXMC": ["示范大学"] * n,
            "ZYDM": ["080901"] * n,
            "ZYMC": ["计算机科学与技术"] * n,
            "BH": ["计科2601"] * n,
            "CC": ["本科"] * n,
            "MZ": ["汉族"] * n,
            "XZ": ["4"] * n,
            "XXXS": ["普通全日制"] * n,
            "RXRQ": ["20250901"] * n,
        },
        dtype="str",
    )
    for col, values in overrides.items():
        for i, v in values.items():
            df.loc[i, col] = v
    return df


def hei_changes_frame(rows) -> pd.DataFrame:
    cols = ["XH", "KSH", "SFZH", "XM", "YDLB", "YDRQ", "YDYY"]
    return pd.DataFrame([{c: r.get(c, "") for c in cols} for r in rows], columns=cols, dtype="str")


@pytest.mark.parametrize("key", ["XH", "KSH"])
def test_university_roster_by_student_number_with_its_own_change_list(key):
    old = university()
    new = university(ZYDM={3: "080902"}, ZYMC={3: "软件工程"}).drop(index=[1, 2]).reset_index(drop=True)
    back = university().iloc[[0]].assign(XH="20259999", KSH="25430102110099", XM="周复学", CSRQ="20050517")
    new = pd.concat([new, back.assign(SFZH=make_ids([430102], ["20050517"], [101])[0])])
    new = new.reset_index(drop=True)
    ch = hei_changes_frame(
        [
            {"XH": old.XH[1], "KSH": old.KSH[1], "YDLB": "11", "YDRQ": "20260301", "YDYY": "因病"},  # 休学
            {"XH": old.XH[2], "KSH": old.KSH[2], "YDLB": "转学(转出)", "YDRQ": "20260302"},
            {"XH": old.XH[3], "KSH": old.KSH[3], "YDLB": "转专业", "YDRQ": "20260303"},
            {"XH": "20259999", "KSH": "25430102110099", "YDLB": "复学", "YDRQ": "20260304"},
        ]
    )
    res = compare(old, new, key=key, changes=ch, layout="chsi_registration", changes_layout="hei_changes")
    assert res.key_used == key and res.conserved
    o = res.old.set_index("row")
    assert o.loc[2, "change_type"] == "休学" and bool(o.loc[2, "explained"])
    assert o.loc[3, "change_type"] == "转学(转出)" and bool(o.loc[3, "explained"])
    assert o.loc[4, "status"] == "moved" and o.loc[4, "change_type"] == "转专业" and bool(o.loc[4, "explained"])
    assert "计算机科学与技术" in o.loc[4, "reasons"] and "软件工程" in o.loc[4, "reasons"]
    n = res.new.set_index("row")
    assert n.loc[5, "status"] == "added" and n.loc[5, "change_type"] == "复学"
    assert res.counts["changes"] == {"total": 4, "explains": 4, "no_difference": 0, "not_found": 0}
    assert f"按{'学号' if key == 'XH' else '考生号'}（{key}）对应" in res.summary()
    # the K-12 kinds do not read the university's codes: 11 is 招生 there, not 休学
    k12 = compare(old, new, key=key, changes=ch, layout="chsi_registration")
    assert k12.old.set_index("row").loc[2, "change_type"] != "休学"


def test_university_key_falls_back_to_name_sex_birth():
    old = university()
    new = university(XH={2: ""}, SFZH={2: ""})
    res = compare(old, new, key="XH", layout="chsi_registration", changes_layout="hei_changes")
    n = res.new.set_index("row")
    assert n.loc[3, "matched_by"] == "XM+XB+CSRQ" and n.loc[3, "counterpart_row"] == 3
    assert "新名单中没有学号，按姓名+性别+出生日期对应" in n.loc[3, "reasons"]
    assert (res.old["status"] != "removed").all() and res.conserved


def test_cli_compare_university_rosters_by_xh(tmp_path):
    old = university()
    new = university(XM={4: "钱琪"}).drop(index=[1]).reset_index(drop=True)
    write_dbf(old, tmp_path / "2026春.dbf", "chsi_registration")
    write_dbf(new, tmp_path / "2026秋.dbf", "chsi_registration")
    headers = {"XH": "学号", "KSH": "考生号", "SFZH": "身份证号", "XM": "姓名", "YDLB": "异动类别", "YDRQ": "异动日期"}
    sheet = hei_changes_frame([{"XH": old.XH[1], "YDLB": "退学", "YDRQ": "20260901"}]).rename(columns=headers)
    xj.write_excel({"异动": sheet.rename(columns={"YDYY": "异动原因"})}, tmp_path / "异动.xlsx")
    out = tmp_path / "out"
    got = run(
        "compare",
        tmp_path / "2026春.dbf",
        tmp_path / "2026秋.dbf",
        "--key",
        "xh",
        "--changes",
        tmp_path / "异动.xlsx",
        "--out",
        out,
    )
    assert got.returncode == 0, got.stderr
    assert "按学号（XH）对应" in got.stdout and "减少 1 条：有异动记录 1 条（退学 1）" in got.stdout
    assert "须证明材料 1" in got.stdout
    js = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert js["change_classes"] == {"ordinary": 0, "evidence": 1, "not_accepted": 0}
    wb = openpyxl.load_workbook(out / "对比结果.xlsx", read_only=True)
    header = next(wb["变化"].iter_rows(values_only=True))
    wb.close()
    assert "变更要求" in header
    res = pd.read_csv(out / "results.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert "change_class" in res.columns and set(res["change_class"]) == {"", "evidence"}
    # graduates: the same name change is refused
    got = run(
        "compare",
        tmp_path / "2026春.dbf",
        tmp_path / "2026秋.dbf",
        "--key",
        "XH",
        "--graduates",
        "--out",
        tmp_path / "g",
    )
    assert got.returncode == 0, got.stderr and "不予变更 1" in got.stdout
    # a key the lists do not share is a clear error, exit 2
    bad = run("compare", tmp_path / "2026春.dbf", tmp_path / "2026秋.dbf", "--key", "XJH", "--out", tmp_path / "b")
    assert bad.returncode == 2 and "XJH" in bad.stderr and "Traceback" not in bad.stderr


def test_run_pair_reads_a_university_change_list_with_its_own_kinds():
    from xueji_lib.matching.pairs import run_pair

    old = university()
    new = university().drop(index=[1]).reset_index(drop=True)
    ch = hei_changes_frame([{"XH": old.XH[1], "YDLB": "11", "YDRQ": "20260301"}])  # 11: 休学 in xjyd_gx
    res = run_pair("compare", old, new, ch)
    rec = res.old.set_index("row").loc[2]
    assert rec["status"] == "removed" and rec["change_type"] == "休学" and bool(rec["explained"])


def test_a_correction_after_the_first_semester_is_told_the_deadline():
    # 004 (电大): "新生基本信息核对、更正工作于入学后第一个学期内完成"; a late one needs a written report
    old = roster(RXNY={0: "202509", 1: "202509", 2: "2023-09", 3: "20230901", 4: "", 5: "202509"})
    new = old.copy()
    new.loc[1, "XM"] = "张贰"  # entered 2025-09, corrected 2026-01: within the first semester
    new.loc[2, "XM"] = "张叁"  # entered 2023-09: late
    new.loc[3, "CSRQ"] = "20160420"  # entered 2023-09 (入学年月 as a date): late
    new.loc[4, "XM"] = "张肆"  # entry unknown: only the evidence sentence
    new.loc[5, "LXDH"] = "13900009999"  # an ordinary change is never late
    res = compare(old, new, as_of="2026-01-10")
    o = res.old.set_index("row")
    late = {r for r in range(1, 7) if "入学已超过一个学期" in str(o.loc[r, "reasons"])}
    assert late == {3, 4}
    assert "2023 年 9 月入学" in o.loc[3, "reasons"] and "书面报告" in o.loc[3, "reasons"]
    assert "学生信息变更申请表" in o.loc[2, "reasons"] and "学生信息变更申请表" in o.loc[5, "reasons"]
    assert o["change_class"].tolist()[1:6] == ["evidence", "evidence", "evidence", "evidence", "ordinary"]
    # a year later the 2025 entrant's correction is late too; the day is today by default
    later = compare(old, new, as_of=datetime.date(2026, 12, 1)).old.set_index("row")
    assert "入学已超过一个学期" in later.loc[2, "reasons"]
    with pytest.raises(xj.LayoutError, match="2026-09-01"):
        compare(old, new, as_of="明年")
