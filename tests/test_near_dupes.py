"""Issue 16 §6: near-duplicates — the same child entered twice (seeds/004, 慈利营养办: "发现有200余条重复信息。产生
重复信息的原因可能是在身份证号收集时不准确或在输入时产生错误", and the 《数据重复学生信息表》 sent to each school).

A synthetic county roster (samples.scale.make_roster_pair) split into three files by school, with about 200
planted pairs of each kind — some within a school, some across schools and files — and clean look-alikes that
must not pair: twins (same birth date, different names and IDs) and namesakes with the same birth date whose
IDs differ in three digits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.ids import check_char, checksum_ok
from xueji_lib.matching.near_dupes import KINDS, near_duplicates
from xueji_lib.samples.scale import make_roster_pair

ROOT = Path(__file__).resolve().parent.parent
PER_KIND = 200
FILES = ("一片区.xlsx", "二片区.xlsx", "三片区.xlsx")


def _with_check(first17: list[str]) -> list[str]:
    return [a + c for a, c in zip(first17, check_char(pd.Series(first17)).tolist())]


def county(n: int = 24000, per_kind: int = PER_KIND, seed: int = 7):
    """(files {name: frame}, expected {(frozenset of (file, row)), kind}, facts) — rows are 1-based positions."""
    roster, _, _ = make_roster_pair(n, seed=seed)
    roster = roster.copy()
    rng = np.random.default_rng(seed)
    key = roster["XM"] + "|" + roster["CSRQ"]
    unique = np.flatnonzero(~key.duplicated(keep=False).to_numpy())
    groups = rng.choice(unique, size=7 * per_kind, replace=False).reshape(7, per_kind)
    kinds = ("one_digit", "swap", "one_missing", "no_id", "same_id_other_name", "lookalike3", "twins")
    roster["_uid"] = np.arange(len(roster))
    schools = roster[["XXBSM", "XXMC"]].drop_duplicates().reset_index(drop=True)
    copies, expected, facts = [], [], {"bad_original": set(), "positions": {}}
    next_uid = len(roster)
    for kind, idx in zip(kinds, groups):
        c = roster.iloc[idx].copy()
        ids = c["SFZJH"].tolist()
        new_ids = list(ids)
        if kind == "one_digit":
            for j, (i, v) in enumerate(zip(idx, ids)):
                p = int(rng.integers(0, 17))
                changed = v[:p] + str((int(v[p]) + int(rng.integers(1, 10))) % 10) + v[p + 1 :]
                if j % 2:  # the original was mistyped, the copy is right
                    roster.loc[i, "SFZJH"] = changed
                    facts["bad_original"].add(int(i))
                else:
                    new_ids[j] = changed
                facts["positions"][int(i)] = p + 1
        elif kind == "swap":
            for j, (i, v) in enumerate(zip(idx, ids)):
                choices = [p for p in range(17) if v[p] != v[p + 1]]
                p = int(rng.choice(choices))
                new_ids[j] = v[:p] + v[p + 1] + v[p] + v[p + 2 :]
                facts["positions"][int(i)] = p + 1
        elif kind == "one_missing":
            new_ids = [""] * len(ids)
        elif kind == "no_id":
            roster.loc[idx, "SFZJH"] = ""
            new_ids = [np.nan] * len(ids)
        elif kind == "same_id_other_name":
            c["XM"] = [x[:-1] + ("琳" if x[-1] != "琳" else "瑶") for x in c["XM"]]
        elif kind == "lookalike3":  # a namesake born the same day: IDs differ in three digits or more
            first = [
                v[:4]
                + str((int(v[4]) + 3) % 10)
                + str((int(v[5]) + 4) % 10)
                + v[6:14]
                + str((int(v[14]) + 5) % 10)
                + v[15:17]
                for v in ids
            ]
            new_ids = _with_check(first)
        elif kind == "twins":  # same birth date, another name and number
            c["XM"] = [x[0] + ("双" if x[1:2] != "双" else "胞") + x[1:] for x in c["XM"]]
            first = [v[:14] + f"{(int(v[14:17]) + 2) % 1000:03d}" for v in ids]
            new_ids = _with_check(first)
        c["SFZJH"] = new_ids
        if kind in ("lookalike3", "twins"):
            for a, b in zip(ids, new_ids):
                assert sum(x != y for x, y in zip(a, b)) >= 3 or kind == "twins"
        # a third of the copies type the birth date another way; half go to another school (another file)
        fmt = rng.random(len(c)) < 1 / 3
        c.loc[fmt, "CSRQ"] = (
            c.loc[fmt, "CSRQ"].str.slice(0, 4)
            + "-"
            + c.loc[fmt, "CSRQ"].str.slice(4, 6)
            + "-"
            + c.loc[fmt, "CSRQ"].str.slice(6, 8)
        )
        away = rng.random(len(c)) < 0.5
        other = schools.iloc[rng.integers(0, len(schools), int(away.sum()))]
        c.loc[away, "XXBSM"] = other["XXBSM"].to_numpy()
        c.loc[away, "XXMC"] = other["XXMC"].to_numpy()
        c["_uid"] = np.arange(next_uid, next_uid + len(c))
        next_uid += len(c)
        if kind not in ("lookalike3", "twins"):
            expected += [(int(o), int(u), kind) for o, u in zip(idx, c["_uid"])]
        copies.append(c)
    full = pd.concat([roster, *copies], ignore_index=True)
    full = full.take(rng.permutation(len(full))).reset_index(drop=True)
    part = full["XXBSM"].str.slice(-5).astype(int) % 3
    files, where = {}, {}
    for k, name in enumerate(FILES):
        f = full[part == k].reset_index(drop=True)
        where.update({int(u): (name, r + 1) for r, u in enumerate(f["_uid"])})
        files[name] = f.drop(columns="_uid")
    exp = {(frozenset({where[a], where[b]}), kind) for a, b, kind in expected}
    facts["where"] = where
    facts["expected_raw"] = expected
    return files, exp, facts


@pytest.fixture(scope="module")
def planted():
    files, exp, facts = county()
    res = near_duplicates(files)
    return files, exp, facts, res


def _found(res) -> list:
    p = res.pairs
    return [
        (frozenset({(a, int(ra)), (b, int(rb))}), k)
        for a, ra, b, rb, k in zip(p["file_a"], p["r_a"], p["file_b"], p["r_b"], p["kind"])
    ]


def test_every_planted_pair_is_found_once_and_nothing_else(planted):
    files, exp, facts, res = planted
    found = _found(res)
    assert len(found) == len(set(found)), "a pair listed twice"
    assert set(found) == exp, (sorted(set(found) - exp, key=str)[:5], sorted(exp - set(found), key=str)[:5])
    c = res.counts
    for kind in ("one_digit", "swap", "one_missing", "no_id", "same_id_other_name"):
        assert c["pairs"][kind] == PER_KIND, kind
    assert c["pairs"]["same_id"] == 0
    assert c["pairs"]["total"] == 5 * PER_KIND
    assert c["records"]["in_pairs"] == 2 * 5 * PER_KIND
    assert c["records"]["total"] == sum(len(f) for f in files.values())
    assert res.conserved
    # within a file and across files both occur
    same_file = sum(a == b for a, b in zip(res.pairs["file_a"], res.pairs["file_b"]))
    assert 0 < same_file < len(res.pairs)


def test_sentences_name_the_rows_the_position_and_the_right_copy(planted):
    files, exp, facts, res = planted
    p = res.pairs
    where = facts["where"]
    by_pair = {
        (fa, int(ra), fb, int(rb)): i
        for i, (fa, ra, fb, rb) in enumerate(zip(p["file_a"], p["r_a"], p["file_b"], p["r_b"]))
    }
    checked = {"one_digit": 0, "swap": 0}
    for o, u, kind in facts["expected_raw"]:
        if kind not in checked:
            continue
        (fa, ra), (fb, rb) = sorted([where[o], where[u]], key=lambda x: (FILES.index(x[0]), x[1]))
        i = by_pair[(fa, ra, fb, rb)]
        explain, verdict = p["explain"].iloc[i], p["verdict"].iloc[i]
        la, lb = f"{fa} 第 {ra} 行", f"{fb} 第 {rb} 行"
        assert explain.startswith(f"{la}与{lb}疑似同一学生：姓名、性别、出生日期相同，"), explain
        pos = facts["positions"][o]
        if kind == "one_digit":
            assert explain.endswith(f"身份证号仅第 {pos} 位不同"), explain
            good = where[u] if o in facts["bad_original"] else where[o]
            bad = where[o] if o in facts["bad_original"] else where[u]
            assert verdict == f"{good[0]} 第 {good[1]} 行的号码校验位正确，{bad[0]} 第 {bad[1]} 行的可能录错", verdict
        else:
            assert explain.endswith(f"身份证号第 {pos}、{pos + 1} 位前后颠倒"), explain
            assert "的号码校验位正确" in verdict and "的可能录错" in verdict
        checked[kind] += 1
    assert checked == {"one_digit": PER_KIND, "swap": PER_KIND}
    missing = p[p["kind"] == "one_missing"].iloc[0]
    assert missing["explain"].endswith("没有身份证号") and "号码校验位正确" in missing["verdict"]
    other = p[p["kind"] == "same_id_other_name"].iloc[0]
    assert f"身份证号相同、姓名不同（“{other['xm_a']}”与“{other['xm_b']}”）" in other["explain"]
    # no ID number appears unmasked in what a person reads
    shown = res.list("疑似重复学生").frame()
    ids = pd.concat([shown["身份证号"], shown["另一条的身份证号"]]).dropna()
    assert ids.str.fullmatch(r"\d{6}\*{8}[0-9X]{4}").all()
    assert not shown["说明"].str.contains(r"\d{17}").any()


def test_list_per_school_and_saved_files(planted, tmp_path):
    files, exp, facts, res = planted
    per = res.by_school()
    p = res.pairs
    cross = int((p["school_a"] != p["school_b"]).sum())
    assert sum(len(f) for f in per.values()) == len(p) + cross
    for school, frame in per.items():
        assert (frame["school_a"] == school).all()  # the school's own record first
    out = res.save(tmp_path / "结果")
    wb = pd.read_excel(out["workbook"], sheet_name=None, dtype=str)
    assert list(wb) == ["汇总", "疑似重复学生", "按学校"]
    sheet = wb["疑似重复学生"]
    assert len(sheet) == len(p)
    for col in ("学校", "年级", "班级", "姓名", "文件", "行号", "身份证号", "另一条的文件", "另一条的行号",
                "另一条的身份证号", "说明", "哪条可能有误"):  # fmt: skip
        assert col in sheet.columns, col
    assert sheet["身份证号"].dropna().str.contains(r"\*{8}").all()
    school_files = sorted(out["by_school"].glob("*.xlsx"))
    assert len(school_files) == len(per)
    one = school_files[0]
    book = pd.read_excel(one, sheet_name=None, dtype=str)
    assert list(book) == ["说明", "疑似重复学生"]
    school = next(s for s in per if one.stem.startswith(s.split(" ")[0]))
    assert len(book["疑似重复学生"]) == len(per[school])
    assert (book["疑似重复学生"]["学校"] == school).all()
    js = json.loads(out["summary"].read_text("utf-8"))
    assert js["counts"]["pairs"]["total"] == len(p) and sum(js["by_school"].values()) == len(p) + cross
    unmasked = res.save(tmp_path / "原值", unmask=True)
    raw = pd.read_excel(unmasked["workbook"], sheet_name="疑似重复学生", dtype=str)
    assert checksum_ok(raw["身份证号"].dropna()).any()


def test_clean_look_alikes_alone_give_no_pair():
    """Twins and namesakes born the same day, no planted duplicate: nothing is listed."""
    roster, _, _ = make_roster_pair(3000, seed=11)
    base = roster.iloc[:50].copy()
    twins = base.copy()
    twins["XM"] = [x[0] + "双" + x[1:] for x in twins["XM"]]
    twins["SFZJH"] = _with_check([v[:14] + f"{(int(v[14:17]) + 2) % 1000:03d}" for v in base["SFZJH"]])
    namesakes = base.copy()
    namesakes["SFZJH"] = _with_check(
        [v[:3] + str((int(v[3]) + 1) % 10) + v[4:15] + str((int(v[15]) + 1) % 10) + v[16] for v in base["SFZJH"]]
    )
    other_sex = base.iloc[:10].copy()  # same name, birth, one-digit ID difference, but the other sex
    other_sex["XB"] = other_sex["XB"].map({"1": "2", "2": "1"})
    other_sex["SFZJH"] = [v[:10] + str((int(v[10]) + 1) % 10) + v[11:] for v in other_sex["SFZJH"]]
    taken = set(roster["SFZJH"])  # a made-up number that happens to be another pupil's is not a look-alike
    twins = twins[~twins["SFZJH"].isin(taken)]
    namesakes = namesakes[~namesakes["SFZJH"].isin(taken)]
    others = pd.concat([twins, namesakes, other_sex], ignore_index=True)
    assert len(others) > 100
    res = near_duplicates({"甲.xlsx": roster, "乙.xlsx": others})
    assert res.counts["pairs"]["total"] == 0, res.pairs[["explain"]].head()
    assert res.counts["records"]["not_in_pairs"] == len(roster) + len(others)
    assert "找到疑似同一学生 0 对" in res.summary()


def test_crowded_placeholders_are_counted_not_paired():
    roster, _, _ = make_roster_pair(600, seed=3)
    ph = roster.iloc[:30].copy()
    ph["SFZJH"] = "430000000000000000"
    res = near_duplicates(pd.concat([roster, ph], ignore_index=True), max_group=20)
    assert res.counts["pairs"]["same_id_other_name"] + res.counts["pairs"]["same_id"] == 0
    assert any("430000********0000 被 30 条记录共用" in n for n in res.notes())


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "xueji_lib.apps.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT
    )


def test_command_line(tmp_path):
    roster, _, _ = make_roster_pair(1200, seed=5)
    a = roster.iloc[:600].reset_index(drop=True)
    b = roster.iloc[600:].reset_index(drop=True).copy()
    v = a.loc[4, "SFZJH"]
    dup = a.iloc[[4]].copy()
    dup["SFZJH"] = v[:14] + v[15] + v[14] + v[16:] if v[14] != v[15] else v[:14] + str((int(v[14]) + 1) % 10) + v[15:]
    b = pd.concat([b.iloc[:9], dup, b.iloc[9:]], ignore_index=True)  # position 10 in b
    pa_, pb = tmp_path / "甲校.xlsx", tmp_path / "乙校.xlsx"
    xj.write_excel({"学生": a}, pa_)
    xj.write_excel({"学生": b}, pb)
    out = tmp_path / "查重"
    proc = run("dupes", pa_, pb, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "找到疑似同一学生 1 对" in proc.stdout and "疑似重复学生信息表.xlsx" in proc.stdout
    sheet = pd.read_excel(out / "疑似重复学生信息表.xlsx", sheet_name="疑似重复学生", dtype=str)
    assert len(sheet) == 1
    # rows as the clerk sees them in Excel: header in row 1
    assert sheet["说明"].iloc[0].startswith("甲校.xlsx 第 6 行与乙校.xlsx 第 11 行疑似同一学生"), sheet["说明"].iloc[0]
    assert sheet["行号"].iloc[0] == "6" and sheet["另一条的行号"].iloc[0] == "11"
    assert "*" in sheet["身份证号"].iloc[0] and v not in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["summary.json", "疑似重复_按学校", "疑似重复学生信息表.xlsx"]
    again = run("dupes", pa_, "--out", tmp_path / "单个", "--unmask")
    assert again.returncode == 0 and "找到疑似同一学生 0 对" in again.stdout
    bad = run("dupes", tmp_path / "没有这个文件.xlsx", "--out", tmp_path / "x")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.startswith("错误：")
    helped = run("dupes", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("用法：xueji dupes") and "疑似" in helped.stdout


def test_exported():
    assert xj.near_duplicates is near_duplicates and "near_duplicates" in xj.__all__
    assert set(KINDS) >= {"one_digit", "swap", "one_missing", "same_id_other_name"}


# -- the committed samples: the county's autumn 2026 学籍核查 workbooks (samples/k12_check.py) ---------------------

SAMPLES = ROOT / "data_samples"
CHECK = ("k12/核查_2026秋/示范县第三小学.xlsx", "k12/核查_2026秋/示范县实验中学.xlsx")


def _sample_pairs() -> set:
    """planted.csv's ``dupes:`` pairs: the two rows of one problem code, with the kind."""
    p = pd.read_csv(SAMPLES / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    d = p[p["expected"].str.startswith("dupes:")]
    out = set()
    for code, g in d.groupby("problem_code"):
        assert len(g) == 2 and g["expected"].nunique() == 1, code
        out.add((frozenset(zip(g["file"], g["row"].astype(int))), g["expected"].iloc[0].split(":", 1)[1]))
    return out


def test_sample_workbooks_every_planted_pair_once_and_nothing_else():
    """Both sheets of both workbooks read (在校, 离校); rows are positions in that list, as planted.csv gives them."""
    exp = _sample_pairs()
    assert {k for _, k in exp} == {"one_digit", "swap", "one_missing", "same_id_other_name"} and len(exp) == 5
    assert any(len({f for f, _ in pair}) == 2 for pair, _ in exp)  # one pair across the two schools
    res = near_duplicates({f: xj.read_table(SAMPLES / f, "k12_student") for f in CHECK})
    found = _found(res)
    assert len(found) == len(set(found)), "a pair listed twice"
    assert set(found) == exp, (set(found) - exp, exp - set(found))
    assert res.conserved and res.counts["records"]["in_pairs"] == 10
    assert set(res.by_school()) and len(res.by_school()) == 2


def test_sample_workbooks_through_the_command_line(tmp_path):
    out = tmp_path / "查重"
    proc = run("dupes", *(SAMPLES / f for f in CHECK), "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "找到疑似同一学生 5 对" in proc.stdout and "Traceback" not in proc.stderr
    sheet = pd.read_excel(out / "疑似重复学生信息表.xlsx", sheet_name="疑似重复学生", dtype=str)
    assert len(sheet) == 5 and sheet["身份证号"].dropna().str.contains(r"\*{8}").all()
    # rows as the clerk sees them: every planted pupil is on the 在校 sheet, header in row 1
    shown = {(Path(f).name, int(r)) for f, r in zip(sheet["文件"], sheet["行号"])} | {
        (Path(f).name, int(r)) for f, r in zip(sheet["另一条的文件"], sheet["另一条的行号"])
    }
    assert shown == {(Path(f).name, r + 1) for pair, _ in _sample_pairs() for f, r in pair}
    assert len(list((out / "疑似重复_按学校").glob("*.xlsx"))) == 2
