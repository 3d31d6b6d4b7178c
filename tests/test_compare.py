"""compare() and handoff(): every planted comparison problem of data_samples comes out with its status,
every other record is unchanged, every record is accounted for; plus small frames for the matching rules.

``bench_compare`` times compare on two 1,000,000-pupil rosters; it is not a test (run
``.venv/bin/python -m tests.test_compare``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.ids import make_ids
from xueji_lib.core.privacy import mask_id
from xueji_lib.matching.compare import (
    CHANGE_STATUSES,
    GRADUATE_STATUSES,
    INTAKE_STATUSES,
    NEW_STATUSES,
    OLD_STATUSES,
    compare,
    handoff,
)

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
PLANTED = pd.read_csv(SAMPLES / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
F_OLD, F_NEW = "k12/学生名单_2025秋.xlsx", "k12/学生名单_2026春.xlsx"
F_CH, F_GRAD, F_IN = "k12/学籍异动_2026春.xlsx", "k12/毕业生_2026.xlsx", "k12/新生_2026秋.xlsx"
ID_RE = re.compile(r"\d{17}[\dXx]|\d{15}")


def load(rel, layout="k12_student"):
    return xj.read_table(SAMPLES / rel, layout=layout)


@pytest.fixture(scope="module")
def samples():
    return {f: load(f, "k12_changes" if f == F_CH else "k12_student") for f in (F_OLD, F_NEW, F_CH, F_GRAD, F_IN)}


@pytest.fixture(scope="module")
def res(samples):
    return compare(samples[F_OLD], samples[F_NEW], changes=samples[F_CH], old_name="2025秋", new_name="2026春")


@pytest.fixture(scope="module")
def hand(samples):
    return handoff(samples[F_GRAD], samples[F_IN])


def planted(prefix):
    """(file, row) → expected result after ``prefix:``, in the county's files (the university's rosters are
    tests/test_sample_hei_terms.py's)."""
    county = PLANTED.file.str.startswith("k12/") & (PLANTED.file != "k12/毕业生_2026_更正.xlsx")  # that: --graduates
    sel = PLANTED[PLANTED.expected.str.startswith(prefix + ":") & county]
    return {(r.file, int(r.row)): (r.expected.split(":", 1)[1], r.key) for r in sel.itertuples()}


# ------------------------------------------------------------------------------------ committed samples


def test_every_planted_comparison_problem_has_its_status(res):
    expected = planted("compare")
    assert len(expected) == 21
    for (file, row), (what, key) in expected.items():
        frame = res.old if file == F_OLD else res.new
        rec = frame.iloc[row - 1]
        assert rec["row"] == row and rec["key"] == mask_id(key), (file, row)
        kind, _, change_type = what.partition("/")
        m = re.fullmatch(r"(removed|added)_(explained|unexplained)", kind)
        status, expl = (m.group(1), m.group(2)) if m else (kind, "")
        assert rec["status"] == status, (file, row, what, rec["status"], rec["reasons"])
        if expl == "explained":
            assert flag(rec["explained"]) is True and rec["change_type"] == change_type, (file, row, rec["reasons"])
            assert change_type in rec["reasons"]
        elif expl == "unexplained":
            assert flag(rec["explained"]) is False and pd.isna(rec["change_type"]), (file, row)
        assert rec["reasons"], (file, row)


def test_every_other_record_is_unchanged(res):
    expected = planted("compare")
    listed = {
        side: {row: what for (f, row), (what, _) in expected.items() if f == file}
        for side, file in (("old", F_OLD), ("new", F_NEW))
    }
    for side, other in (("old", "new"), ("new", "old")):
        frame = getattr(res, side)
        rest = frame[~frame["row"].isin(list(listed[side]))]
        # a planted change or move shows on both records of the pair (planted.csv lists the new one)
        pair_status = rest["counterpart_row"].map(
            lambda r, other=other: (
                listed[other].get(r) if pd.notna(r) and listed[other].get(r) in ("changed", "moved") else None
            )
        )
        assert (rest.loc[pair_status.notna(), "status"] == pair_status.dropna()).all()
        plain = rest[pair_status.isna()]
        assert (plain["status"] == "unchanged").all(), plain[plain.status != "unchanged"][["row", "status", "reasons"]]
        assert len(plain) > 1400
    assert (res.old["status"] == "unchanged").sum() == 1427 and (res.new["status"] == "unchanged").sum() == 1426


def test_each_record_exactly_once_and_the_counts_add_up(res, samples):
    assert len(res.old) == len(samples[F_OLD]) == 1442 and len(res.new) == len(samples[F_NEW]) == 1437
    assert res.old["row"].tolist() == list(range(1, 1443)) and res.new["row"].tolist() == list(range(1, 1438))
    assert set(res.old["status"]) <= set(OLD_STATUSES) and set(res.new["status"]) <= set(NEW_STATUSES)
    for side in ("old", "new"):
        statuses = {k: v for k, v in res.counts[side].items() if k != "total"}
        assert sum(statuses.values()) == res.counts[side]["total"] == len(getattr(res, side))
    assert res.conserved
    text = res.summary()
    for title, total in (("旧名单", 1442), ("新名单", 1437)):
        line = next(x for x in text.splitlines() if x.startswith(title))
        numbers = [int(x) for x in re.findall(r"(?<=[\u4e00-\u9fff ])(\d+)(?= |$)", line.split("=", 1)[1])]
        assert f" {total} 条 =" in line and sum(numbers) == total, line
    assert "每条记录都有且只有一个结果（各项相加等于记录数）：是" in text
    d = json.loads(res.to_json())
    assert d["old"]["total"] == 1442 and sum(d["old"][s] for s in OLD_STATUSES) == 1442
    assert d["new"]["total"] == 1437 and sum(d["new"][s] for s in NEW_STATUSES) == 1437
    assert d["old"]["unexplained_removals"] == 5 and d["key_used"] == "XJH" and d["conserved"] is True


def test_key_used_and_no_fallback_on_the_samples(res):
    assert res.key_used == "XJH" and res.fallback_matches == 0
    assert "按学籍号（XJH）对应" in res.summary()


def test_duplicate_enrolment_names_both_schools_and_the_other_row(res):
    dup = res.new[res.new.status == "duplicate_key"]
    assert dup["row"].tolist() == [272, 663]
    for text in dup["reasons"]:  # sentences name the Excel rows (header in row 1: record 272 is row 273)
        assert "第 273 行" in text and "第 664 行" in text and "示范县第二小学" in text and "示范县青松小学" in text
        assert "重复学籍" in text and "没有原学校的转出记录" in text
    single = res.old[res.old["row"] == dup["counterpart_row"].iloc[0]].iloc[0]
    assert single["status"] == "unchanged" and "第 273、664 行" in single["reasons"]


def test_moves_changes_and_their_reasons(res):
    new = res.new.set_index("row")
    assert flag(new.loc[95, "explained"]) is True and new.loc[95, "change_type"] == "转出+转入"
    assert "转学：示范县青松小学" in new.loc[95, "reasons"] and "→ 示范县第一小学" in new.loc[95, "reasons"]
    assert "1班 → 示范县第二初级中学 初中二年级 2班" in new.loc[1147, "reasons"]
    assert pd.isna(new.loc[1147, "explained"])  # 调班 needs no change record
    assert new.loc[86, "changed_fields"] == "LXDH" and "联系电话" in new.loc[86, "reasons"]
    assert new.loc[731, "changed_fields"] == "JTDZ" and "家庭地址" in new.loc[731, "reasons"]
    assert new.loc[140, "changed_fields"] == "SFZJH" and "430121********1000" in new.loc[140, "reasons"]
    old_140 = res.old.set_index("row").loc[new.loc[140, "counterpart_row"]]
    assert old_140["status"] == "changed" and old_140["counterpart_row"] == 140


def test_unexplained_removals_are_the_dropout_list(res):
    lst = res.unexplained_removals()
    want = sorted(row for (f, row), (what, _) in planted("compare").items() if what == "removed_unexplained")
    assert sorted(lst["row"]) == want
    assert {"XXMC", "NJ", "BJ", "XM", "key", "row"} <= set(lst.columns)
    assert lst["XXMC"].str.startswith("示范县").all() and lst["key"].str.contains(r"\*{9}").all()
    assert (lst["reasons"].str.contains("疑似流失")).all()


def test_change_list_accounted_for(res, samples):
    ch = res.changes
    assert len(ch) == len(samples[F_CH]) == 11 and set(ch["status"]) <= set(CHANGE_STATUSES)
    assert (ch["status"] == "explains").sum() == 10 and (ch["status"] == "no_difference").sum() == 1
    assert (ch["matched_by"] == "XJH").all() and res.counts["changes"]["not_found"] == 0
    assert "重复" in ch.loc[ch.status == "no_difference", "reasons"].iloc[0]


def test_by_school_counts_add_up(res):
    bs = res.by_school()
    for side, frame in (("old", res.old), ("new", res.new)):
        part = bs[bs.side == side]
        assert part["total"].sum() == len(frame) and len(part) == 8
        statuses = OLD_STATUSES if side == "old" else NEW_STATUSES
        assert (part[list(statuses)].sum(axis=1) == part["total"]).all()
    assert bs.loc[bs.side == "old", "unexplained"].sum() == 5


def test_no_id_number_shown_in_full(res, samples):
    ids = set()
    for f in (F_OLD, F_NEW, F_CH):
        for col in ("SFZJH", "XJH"):
            ids |= {v.strip()[-18:] for v in samples[f][col].dropna() if ID_RE.search(v)}
    ids = {v for v in ids if len(v) >= 15}
    text = "\n".join(
        [res.summary(), res.to_json()]
        + [
            " ".join(frame[c].fillna("").astype(str))
            for frame in (res.old, res.new, res.changes)
            for c in ("key", "reasons")
        ]
    )
    assert ids and not [v for v in ids if v in text]
    assert re.search(r"1[3-9]\d{9}", text) is None  # phone numbers
    # the test can fail: unmasked results show them
    raw = compare(samples[F_OLD], samples[F_NEW], changes=samples[F_CH], unmask=True)
    assert any(v in " ".join(raw.new["key"].fillna("")) for v in ids)


def test_handoff_planted_graduates_not_enrolled(hand, samples):
    want = sorted(row for (f, row), (what, _) in planted("handoff").items() if f == F_GRAD and what == "not_enrolled")
    assert len(want) == 5
    g = hand.graduates
    assert sorted(g.loc[g.status == "not_enrolled", "row"]) == want
    assert (g.loc[~g["row"].isin(want), "status"] == "enrolled").all()
    assert len(g) == len(samples[F_GRAD]) == 277 and set(g.status) <= set(GRADUATE_STATUSES)
    enrolled = g[g.status == "enrolled"]
    assert enrolled["school"].str.contains("中学").all() and enrolled["class"].notna().all()
    assert (enrolled["matched_by"] == "XJH").all() and enrolled["reasons"].str.startswith("升入").all()
    ne = hand.not_enrolled()
    assert sorted(ne["row"]) == want and ne["XXMC"].str.contains("小学|初级中学").all()


def test_handoff_intake_accounted_for(hand, samples):
    t = hand.intake
    assert len(t) == len(samples[F_IN]) == 280 and set(t.status) <= set(INTAKE_STATUSES)
    assert (t.status == "from_elsewhere").sum() == 8 and (t.status == "matched").sum() == 272
    assert hand.conserved
    c = hand.to_dict()
    assert (
        c["graduates"]["total"]
        == c["graduates"]["enrolled"] + c["graduates"]["not_enrolled"] + c["graduates"]["missing_key"]
        == 277
    )
    assert "毕业生 277 人 = 已升学 272 + 未找到 5" in hand.summary()
    by = hand.by_school()
    assert by["graduates"].sum() == 277 and by["not_enrolled"].sum() == 5
    assert hand.destinations()["count"].sum() == 272


# ----------------------------------------------------------------------------------------- small frames


def roster(n=6, school=("2143012901", "示范县第一小学"), **overrides) -> pd.DataFrame:
    """Pupils with valid IDs, G 学籍号, codes for 性别/民族/年级."""
    births = [f"2016{m:02d}15" for m in range(1, n + 1)]
    ids = make_ids(np.full(n, 430121), births, np.arange(1, n + 1) * 2 + 1)  # odd sequence: male
    df = pd.DataFrame(
        {
            "XXBSM": [school[0]] * n,
            "XXMC": [school[1]] * n,
            "XJH": ["G" + v for v in ids],
            "XM": [f"张{c}" for c in "一二三四五六七八九十"[:n]],
            "XB": ["1"] * n,
            "CSRQ": births,
            "SFZJH": ids.tolist(),
            "MZ": ["01"] * n,
            "NJ": ["13"] * n,
            "BJ": ["1班"] * n,
            "LXDH": [f"1390000{i:04d}" for i in range(n)],
        },
        dtype="str",
    )
    for col, values in overrides.items():
        for i, v in values.items():
            df.loc[i, col] = v
    return df


def changes_frame(rows) -> pd.DataFrame:
    cols = ["XXBSM", "XXMC", "XJH", "XM", "XB", "CSRQ", "SFZJH", "YDLB", "YDRQ", "DFXX", "YDYY"]
    return pd.DataFrame([{c: r.get(c, "") for c in cols} for r in rows], columns=cols, dtype="str")


def flag(value):
    """explained as True / False / None (NA)."""
    return None if pd.isna(value) else bool(value)


def status(frame, row):
    return frame.set_index("row").loc[row, "status"]


def test_identical_rosters_are_unchanged():
    r = compare(roster(), roster())
    assert (r.old.status == "unchanged").all() and (r.new.status == "unchanged").all()
    assert (r.old.counterpart_row == r.old.row).all() and r.fallback_matches == 0 and r.conserved


def test_fallback_to_name_sex_birth_without_key():
    old = roster(XJH={1: ""}).drop(columns="SFZJH")
    new = roster(XJH={3: ""}).drop(columns="SFZJH")
    r = compare(old, new)
    assert r.key_used == "XJH" and r.fallback_matches == 2 and r.matched_by_counts == {"XJH": 4, "XM+XB+CSRQ": 2}
    o = r.old.set_index("row")
    assert (
        o.loc[2, "status"] == "unchanged"
        and o.loc[2, "matched_by"] == "XM+XB+CSRQ"
        and o.loc[2, "counterpart_row"] == 2
    )
    assert "按姓名+性别+出生日期对应" in o.loc[2, "reasons"] and "旧名单中没有学籍号" in o.loc[2, "reasons"]
    assert status(r.new, 4) == "unchanged" and "新名单中没有学籍号" in r.new.set_index("row").loc[4, "reasons"]
    assert "按其他信息对应的 2 对" in r.summary()
    # without the fallback the keyless records could not be found: the test would see removed/added
    assert (r.old.status == "unchanged").all() and (r.new.status == "unchanged").all()


def test_fallback_never_pairs_two_different_keys_by_name():
    old = roster().drop(columns="SFZJH")
    new = roster(XJH={2: "G430121201603150000"}).drop(columns="SFZJH")  # same name/sex/birth, other key
    r = compare(old, new)
    assert status(r.old, 3) == "removed" and status(r.new, 3) == "added" and r.fallback_matches == 0


def test_id_fallback_when_the_key_is_missing_or_changed():
    new = roster(XJH={0: "", 1: "L4301212016021500013"})  # blank; temporary → other number
    old = roster()
    r = compare(old, new)
    o = r.old.set_index("row")
    assert o.loc[1, "status"] == "unchanged" and o.loc[1, "matched_by"] == "SFZJH"
    assert o.loc[2, "status"] == "changed" and o.loc[2, "changed_fields"] == "XJH"
    assert f"学籍号：{mask_id(old.loc[1, 'XJH'])} → L43012**********0013" in o.loc[2, "reasons"]
    assert "学籍号不同，按身份证件号对应" in o.loc[2, "reasons"]
    assert r.fallback_matches == 2 and r.matched_by_counts["SFZJH"] == 2


def test_key_is_the_id_when_there_is_no_xjh_and_15_digits_equal_18():
    eighteen = make_ids([430121], ["19800315"], [5])[0]  # 15-digit numbers are all 19xx births
    old = roster(SFZJH={2: eighteen}, CSRQ={2: "19800315"}).drop(columns="XJH")
    new = old.copy()
    new.loc[2, "SFZJH"] = eighteen[:6] + eighteen[8:17]  # the old 15-digit form
    r = compare(old, new)
    assert r.key_used == "SFZJH" and status(r.new, 3) == "unchanged" and (r.old.status == "unchanged").all()
    assert r.new.set_index("row").loc[3, "key"] == mask_id(eighteen)


def test_missing_key_and_duplicate_fallback_identity():
    old = roster(XJH={0: "", 1: "", 2: ""}, SFZJH={0: "", 1: "", 2: ""}, XM={0: "", 2: "张二"})
    r = compare(old, roster())
    o = r.old.set_index("row")
    assert o.loc[1, "status"] == "missing_key" and "无法与另一份名单对应" in o.loc[1, "reasons"]
    # rows 2 and 3: same 姓名 and 性别, different births → not duplicates; row 2 finds its pupil (whose ID
    # the old roster lacked: a change), row 3 has nobody with its name and birth
    assert o.loc[2, "status"] == "changed" and o.loc[2, "changed_fields"] == "SFZJH"
    assert o.loc[2, "matched_by"] == "XM+XB+CSRQ" and "身份证件号：（空） → 430121" in o.loc[2, "reasons"]
    assert o.loc[3, "status"] == "removed"
    assert r.new.set_index("row").loc[[1, 3], "status"].tolist() == ["added", "added"]
    dup = roster(XJH={0: "", 1: ""}, SFZJH={0: "", 1: ""}, XM={1: "张一"}, CSRQ={1: "20160115"})
    r2 = compare(dup, roster())
    d = r2.old.set_index("row")
    assert d.loc[1, "status"] == d.loc[2, "status"] == "duplicate_key"
    assert "姓名+性别+出生日期相同的记录" in d.loc[1, "reasons"] and "第 1 行" in d.loc[2, "reasons"]
    for res_ in (r, r2):
        c = res_.counts["old"]
        assert res_.conserved and c["total"] == sum(v for k, v in c.items() if k != "total") == 6
        assert set(res_.old.status) <= set(OLD_STATUSES)


def test_code_and_label_are_the_same_value_but_a_real_change_is_not():
    new = roster(XB={0: "男", 1: "女"}, MZ={0: "汉族", 2: "汉"}, NJ={0: "三年级", 3: "小学三年级"})
    r = compare(roster(), new)
    n = r.new.set_index("row")
    assert n.loc[1, "status"] == "unchanged" and n.loc[3, "status"] == "unchanged" and n.loc[4, "status"] == "unchanged"
    assert n.loc[2, "status"] == "changed" and n.loc[2, "changed_fields"] == "XB"
    assert "性别：男 → 女" in n.loc[2, "reasons"]
    # the comparison is not plain text equality: "1" and "男" differ as text
    assert (roster()["XB"] != new["XB"]).sum() == 2


def test_blank_and_padding_are_not_changes():
    new = roster(LXDH={0: " 13900000000 "}, BJ={1: "1班 "})
    old = roster(LXDH={2: None})
    new.loc[2, "LXDH"] = ""
    r = compare(old, new)
    assert (r.old.status == "unchanged").all() and (r.new.status == "unchanged").all()


def test_change_record_found_by_id_when_xjh_is_absent():
    old = roster()
    new = roster().drop(index=[1, 2]).reset_index(drop=True)
    ch = changes_frame(
        [
            {"XJH": "", "SFZJH": old.loc[1, "SFZJH"], "XM": "张二", "YDLB": "转出", "YDRQ": "20251201"},
            {"XJH": "", "SFZJH": "", "XM": "张三", "XB": "1", "CSRQ": old.loc[2, "CSRQ"], "YDLB": "24"},  # 退学 as code
        ]
    )
    r = compare(old, new, changes=ch)
    o = r.old.set_index("row")
    assert o.loc[2, "status"] == "removed" and flag(o.loc[2, "explained"]) is True and o.loc[2, "change_type"] == "转出"
    assert o.loc[3, "status"] == "removed" and flag(o.loc[3, "explained"]) is True and o.loc[3, "change_type"] == "退学"
    c = r.changes.set_index("row")
    assert c.loc[1, "matched_by"] == "SFZJH" and c.loc[2, "matched_by"] == "XM+XB+CSRQ"
    assert (c["status"] == "explains").all() and c.loc[1, "old_row"] == 2
    # the same removals without the change list: unexplained
    bare = compare(old, new, changes=changes_frame([]))
    assert (bare.old.set_index("row").loc[[2, 3], "explained"] == False).all()  # noqa: E712
    assert len(bare.unexplained_removals()) == 2


def test_change_record_of_the_wrong_direction_does_not_explain():
    old = roster()
    new = roster().drop(index=[4]).reset_index(drop=True)
    ch = changes_frame([{"XJH": old.loc[4, "XJH"], "YDLB": "转入"}, {"XJH": "G000", "YDLB": "转出"}])
    r = compare(old, new, changes=ch)
    rec = r.old.set_index("row").loc[5]
    assert rec["status"] == "removed" and flag(rec["explained"]) is False and "不能解释" in rec["reasons"]
    assert r.changes.set_index("row").loc[2, "status"] == "not_found"
    assert r.counts["changes"] == {"total": 2, "explains": 0, "no_difference": 1, "not_found": 1}


def test_no_change_list_every_removal_needs_checking():
    """Issue 15 §4: without a change list nothing explains a removal, so each one is 疑似流失 to check (it was
    "疑似流失（0 人）" with explained 0 + unexplained 0 ≠ removed); additions likewise need their source checked."""
    new = roster().drop(index=[0, 1])
    extra = roster().iloc[[2]].assign(XJH="G999999999999999999", XM="新同学")
    r = compare(roster(), pd.concat([new, extra], ignore_index=True))
    rec = r.old.set_index("row").loc[1]
    assert rec["status"] == "removed" and rec["explained"] == False and r.changes is None  # noqa: E712 - not NA
    assert "没有提供异动名单" in rec["reasons"] and "疑似流失" in rec["reasons"]
    d = r.to_dict()["old"]
    assert d["removed"] == 2 and d["explained"] == 0 and d["unexplained"] == 2 and d["unexplained_removals"] == 2
    assert sorted(r.unexplained_removals()["row"]) == [1, 2]
    assert "减少 2 条：没有提供异动名单，无法核对原因，每一条都需要核实（疑似流失 2 人" in r.summary()
    added = r.new[r.new["status"] == "added"]
    assert len(added) == 1 and added["explained"].tolist() == [False] and "请核实来源" in added["reasons"].iloc[0]
    assert r.conserved


def test_school_move_explained_by_transfer_pair_only():
    new = roster()
    new.loc[0, ["XXBSM", "XXMC"]] = ["2143012902", "示范县第二小学"]
    new.loc[1, ["XXBSM", "XXMC"]] = ["2143012902", "示范县第二小学"]
    new.loc[1, "LXDH"] = "13911112222"
    old = roster()
    ch = changes_frame(
        [
            {"XJH": old.loc[0, "XJH"], "YDLB": "转出"},
            {"XJH": old.loc[0, "XJH"], "YDLB": "转入"},
            {"XJH": old.loc[1, "XJH"], "YDLB": "转入"},
        ]
    )
    r = compare(old, new, changes=ch)
    n = r.new.set_index("row")
    assert (
        n.loc[1, "status"] == "moved" and flag(n.loc[1, "explained"]) is True and n.loc[1, "change_type"] == "转出+转入"
    )
    assert n.loc[2, "status"] == "moved" and flag(n.loc[2, "explained"]) is False and "转出记录" in n.loc[2, "reasons"]
    assert "其他变化：联系电话" in n.loc[2, "reasons"] and n.loc[2, "changed_fields"] == "XXBSM,XXMC,LXDH"


def test_duplicate_key_in_old_and_best_copy_in_new():
    old = pd.concat([roster(), roster().iloc[[2]].assign(XXBSM="2143012903", XXMC="示范县星河小学")], ignore_index=True)
    r = compare(old, roster())
    o = r.old.set_index("row")
    assert o.loc[3, "status"] == o.loc[7, "status"] == "duplicate_key"
    assert (
        "示范县星河小学" in o.loc[3, "reasons"]
        and "第 3 行" in o.loc[7, "reasons"]
        and "第 7 行" in o.loc[3, "reasons"]
    )
    n = r.new.set_index("row")
    assert n.loc[3, "status"] == "unchanged" and n.loc[3, "counterpart_row"] == 3  # the copy in its own school
    assert "第 3、7 行" in n.loc[3, "reasons"] and r.conserved


def test_masking_in_reasons_and_summary():
    old = roster()
    new = roster(SFZJH={0: make_ids([430121], ["20160115"], [99])[0]}, LXDH={1: "13812345678"})
    r = compare(old, new)
    text = " ".join(
        [
            r.summary(),
            r.to_json(),
            " ".join(r.old.reasons),
            " ".join(r.new.reasons),
            " ".join(r.old.key),
            " ".join(r.new.key),
        ]
    )
    for v in list(old.SFZJH) + list(new.SFZJH) + list(old.XJH) + ["13812345678", "13900000001"]:
        assert v not in text and v[-17:] not in text
    assert "138****5678" in text and mask_id(new.loc[0, "SFZJH"]) in text
    shown = compare(old, new, unmask=True)  # the option shows them: the check can fail
    assert "13812345678" in " ".join(shown.new.reasons) and old.XJH[0] in " ".join(shown.old.key)


def test_handoff_levels_and_buckets():
    grads = roster(NJ={i: "16" for i in range(6)})
    intake = roster(school=("2143012905", "示范县第一初级中学"), NJ={i: "21" for i in range(6)})
    intake.loc[0, "XJH"] = "G430121999999999999"  # other 学籍号, same ID → by ID
    intake.loc[1, ["XJH", "SFZJH"]] = ["", ""]  # only name+sex+birth
    intake = intake.drop(index=[2]).reset_index(drop=True)  # row 3 enrolled nowhere
    grads.loc[4, ["XJH", "SFZJH", "XM"]] = ["", "", ""]  # nothing to look for
    extra = roster(
        n=1, XJH={0: "G430121201901010011"}, SFZJH={0: "430121201901010011"}, XM={0: "李四"}, CSRQ={0: "20190101"}
    )
    intake = pd.concat([intake, extra], ignore_index=True)
    h = handoff(grads, intake)
    g = h.graduates.set_index("row")
    assert (
        g.loc[1, "matched_by"] == "SFZJH" and g.loc[2, "matched_by"] == "XM+XB+CSRQ" and g.loc[4, "matched_by"] == "XJH"
    )
    assert g.loc[3, "status"] == "not_enrolled" and g.loc[5, "status"] == "missing_key"
    assert g.loc[1, "school"] == "示范县第一初级中学" and g.loc[1, "grade"] == "21"
    t = h.intake.set_index("row")
    # row 4 is the pupil whose graduate record had nothing to look for; row 6 came from elsewhere
    assert t.loc[[4, 6], "status"].tolist() == ["from_elsewhere"] * 2
    assert (t.drop(index=[4, 6])["status"] == "matched").all() and t.loc[2, "counterpart_row"] == 2
    for side in ("graduates", "intake"):
        c = h.counts[side]
        assert h.conserved and c["total"] == 6 and sum(v for k, v in c.items() if k != "total") == 6


def test_handoff_name_match_must_be_unique():
    grads = roster(n=2, NJ={0: "16", 1: "16"})
    intake = pd.concat([roster(n=1), roster(n=1, XM={0: "张一"})], ignore_index=True)
    intake["XJH"], intake["SFZJH"] = "", ""
    h = handoff(grads, intake)
    g = h.graduates.set_index("row")
    assert g.loc[1, "status"] == "not_enrolled" and "无法确定" in g.loc[1, "reasons"]
    assert (h.intake.status == "from_elsewhere").all()


def test_unknown_fields_and_missing_keys_raise_clear_errors():
    with pytest.raises(xj.LayoutError, match="没有共同的学籍号"):
        compare(roster().drop(columns=["XJH", "SFZJH"]), roster().drop(columns=["XJH", "SFZJH"]))
    with pytest.raises(xj.LayoutError, match="不在两份名单中"):
        compare(roster(), roster(), fields=["XM", "JTDZ"])
    with pytest.raises(xj.LayoutError, match="异动类别"):
        compare(roster(), roster(), changes=changes_frame([]).drop(columns="YDLB"))


def test_fields_limit_what_is_compared():
    new = roster(LXDH={0: "13811112222"}, BJ={1: "2班"})
    r = compare(roster(), new, fields=["XM", "BJ"])
    assert status(r.new, 1) == "unchanged" and status(r.new, 2) == "moved" and r.fields == ("XM", "BJ")


def test_compared_fields_is_the_default_less_ignore_and_never_the_key():
    """One rule for compare's default, xueji compare --ignore and the 学籍变动报告's ignore: leaving NJ out keeps
    the ID-fallback pairs exactly as the default has them (a blank 学籍号 is no change; a different one is the
    key that changed, listed once) — the report once compared XJH as a field and listed XJH,XJH."""
    from xueji_lib.matching.compare import compared_fields

    old = roster()
    new = roster(XJH={0: "", 1: "L4301212016021500013"}, NJ={i: "14" for i in range(6)})
    cols = list(old.columns)
    assert list(compare(old, new).fields) == compared_fields(cols, cols)
    fields = compared_fields(cols, [c.lower() for c in cols], ignore=["nj，", "BJ"])
    assert fields == ["XXBSM", "XXMC", "XM", "XB", "CSRQ", "SFZJH", "MZ", "LXDH"]
    o = compare(old, new, fields=fields).old.set_index("row")
    assert o.loc[1, "status"] == "unchanged" and o.loc[1, "matched_by"] == "SFZJH"
    assert o.loc[2, "status"] == "changed" and o.loc[2, "changed_fields"] == "XJH"
    assert (o.loc[3:, "status"] == "unchanged").all()
    by_id = compared_fields(cols, cols, key="sfzjh", ignore="NJ")  # the ID key: the ID column is not a field
    assert "SFZJH" not in by_id and "XJH" in by_id and "NJ" not in by_id
    with pytest.raises(xj.LayoutError, match="参数 ignore 中的字段 NOSUCH 不在两份名单中"):
        compared_fields(cols, cols, ignore="NJ,NOSUCH", ignore_name="参数 ignore")
    with pytest.raises(xj.LayoutError, match="没有共同的学籍号"):
        compared_fields(["XM", "NJ"], ["XM", "NJ"], ignore="NJ")


# ------------------------------------------------------------------------------------------- benchmark


def bench_compare(n: int = 1_000_000, seed: int = 1) -> dict:
    """Seconds and peak memory of compare() on two n-pupil rosters (synth.make_roster_pair), next to a bare
    DuckDB full outer join on 学籍号 over the same frames. Not a test (not collected: no test_ prefix)."""
    import resource
    import time

    import duckdb

    from xueji_lib.samples.synth import make_roster_pair

    def rss_mb():
        with open("/proc/self/status") as fh:
            return next(int(x.split()[1]) / 1024 for x in fh if x.startswith("VmRSS"))

    old, new, ch = make_roster_pair(n, seed)
    before = rss_mb()
    t0 = time.perf_counter()
    res = compare(old, new, changes=ch)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    planted = old.attrs["planted"]
    assert res.counts["old"]["removed"] == planted["removed"] and res.counts["new"]["added"] == planted["added"]
    assert res.counts["old"]["moved"] == planted["moved"] and res.counts["old"]["changed"] == planted["changed"]
    assert res.conserved
    con = duckdb.connect()
    con.register("o", old)
    con.register("n", new)
    t0 = time.perf_counter()
    con.sql("SELECT o.XJH AS a, n.XJH AS b FROM o FULL OUTER JOIN n ON o.XJH = n.XJH").to_arrow_table()
    join = time.perf_counter() - t0
    return {
        "records": n,
        "seconds": round(seconds, 2),
        "rss_before_mb": round(before),
        "peak_mb": round(peak),
        "duckdb_join_seconds": round(join, 2),
        "ratio_to_join": round(seconds / join, 1),
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(bench_compare(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=1))


def test_a_school_on_one_side_only_is_counted_not_a_crash():
    """A school that closed (only in the old roster) or opened (only in the new): its row in 按学校的变动 has 0
    on the other side, the chart is drawn, the totals still equal the record counts (it raised TypeError
    filling the text column with 0)."""
    from xueji_lib.apps.catalog import load_dataset

    k12 = Path(__file__).resolve().parent.parent / "data_samples" / "k12"
    old, _ = load_dataset(k12 / "学生名单_2025秋.xlsx")
    new, _ = load_dataset(k12 / "学生名单_2026春.xlsx")
    closed = old["XXBSM"].dropna().iloc[0]
    for o, n, side in ((old, new[new["XXBSM"] != closed], "上期人数"), (old[old["XXBSM"] != closed], new, "本期人数")):
        res = compare(o, n)
        frame = res.school_frame()
        row = frame[frame["学校标识码"] == closed].iloc[0]
        other = "本期人数" if side == "上期人数" else "上期人数"
        assert row[side] > 0 and row[other] == 0
        assert frame.iloc[-1][["上期人数", "本期人数"]].tolist() == [len(o), len(n)]
        assert res.chart_spec() is not None
