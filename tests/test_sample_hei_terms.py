"""Issue 16 on the committed higher-education samples (xueji_lib/samples/hei_late.py, hei_terms.py):

- ``hei/10_注册上报_补报.dbf``, a late registration batch in a hand-made template (000: "可以比系统规定的标准表结构多
  一些字段，但绝对不能少字段"; 004: "凡是字母、数字禁止用中文输入法下的全角输入,含有字母的必须大写"): ``xueji validate``
  finds every planted problem — the structure at file level, the full-width 学号 and lower-case 班号 at their
  records — nothing on the clean records, and exits 1;
- ``hei/在籍学生_2026秋.xlsx`` → ``hei/在籍学生_2027春.xlsx`` with ``hei/学籍异动_2027春.xlsx`` (§9, §10): ``compare``
  keyed by 学号 with the university's 异动 kinds gives every planted record its status and explanation, every
  other record unchanged — from the library and through ``xueji compare``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.matching.compare import compare

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
PLANTED = pd.read_csv(SAMPLES / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
XUEJI = Path(sys.executable).with_name("xueji")
LATE = "hei/10_注册上报_补报.dbf"
OLD, NEW, CH = "hei/在籍学生_2026秋.xlsx", "hei/在籍学生_2027春.xlsx", "hei/学籍异动_2027春.xlsx"


def run(*args):
    return subprocess.run([str(XUEJI), *map(str, args)], capture_output=True, text=True)


# ------------------------------------------------------------------------------------------- the 补报 file


@pytest.fixture(scope="module")
def late():
    df = xj.read_dbf(SAMPLES / LATE)
    return df, xj.validate(df, "chsi_registration", category="10", year=2026)


def test_late_batch_every_planted_problem_found_and_nothing_else(late):
    df, res = late
    mine = PLANTED[PLANTED.file == LATE]
    assert set(mine["expected"].str.split(":").str[0]) == {"validate"}
    at_rows = {(int(r.row), r.expected.split(":", 1)[1]) for r in mine.itertuples() if r.row}
    whole = {(r.expected.split(":", 1)[1], r.field) for r in mine.itertuples() if not r.row}
    f = res.findings
    assert set(zip(f.loc[f["row"].notna(), "row"].astype(int), f.loc[f["row"].notna(), "rule"])) == at_rows
    assert set(zip(f.loc[f["row"].isna(), "rule"], f.loc[f["row"].isna(), "field"])) == whole
    assert whole == {
        ("STRUCT_MISSING_OPTIONAL", "ZZMM"),
        ("STRUCT_MISSING_OPTIONAL", "FY"),
        ("STRUCT_MISSING_OPTIONAL", "XSH"),
        ("STRUCT_FIELD_WIDTH", "KSH"),
        ("STRUCT_FIELD_OVERFLOW", "XH"),
        ("STRUCT_EXTRA_FIELD", "SSH"),
    }
    assert {rule for _, rule in at_rows} == {"FIELD_FULLWIDTH", "FIELD_TOO_LONG", "FIELD_LOWERCASE"}
    sev = dict(zip(f["rule"], f["severity"]))
    assert sev["STRUCT_FIELD_WIDTH"] == "warning" and sev["STRUCT_EXTRA_FIELD"] == "info"  # the extra field is allowed
    assert sev["STRUCT_MISSING_OPTIONAL"] == sev["STRUCT_FIELD_OVERFLOW"] == "error"
    # only two records have a problem of their own, but a missing standard field fails the whole file
    assert len({r for r, _ in at_rows}) == 2 and res.failed_count == res.total == len(df) == 30
    lower = f[f["rule"] == "FIELD_LOWERCASE"]
    assert lower["value"].iat[0] == "ruanjian2601"


def test_late_batch_people_are_new_and_clean(late):
    df, _ = late
    reg = xj.read_dbf(SAMPLES / "hei/10_注册上报.dbf")
    adm = xj.read_dbf(SAMPLES / "hei/10_录取名单.dbf")
    assert not set(df["SFZH"]) & (set(reg["SFZH"]) | set(adm["SFZH"]))
    assert not set(df["KSH"]) & (set(reg["KSH"]) | set(adm["KSH"])) and not set(df["XH"]) & set(reg["XH"])
    assert df["SFZH"].is_unique and df["KSH"].is_unique and df["XH"].is_unique
    assert "SSH" in df.columns and not {"ZZMM", "FY", "XSH"} & set(df.columns)


def test_late_batch_validate_command_exits_1(tmp_path):
    got = run("validate", SAMPLES / LATE, "--layout", "chsi_registration", "--category", "10", "--year", "2026",
              "--out", tmp_path / "out")  # fmt: skip
    assert got.returncode == 1, got.stderr
    assert "STRUCT_MISSING_OPTIONAL" in got.stdout or "缺少标准结构中的字段" in got.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["total"] == 30
    assert "Traceback" not in got.stderr


# ------------------------------------------------------------------------------------------- the rosters


def load(rel):
    return xj.read_table(SAMPLES / rel, layout="hei_changes" if rel == CH else "chsi_registration")


@pytest.fixture(scope="module")
def res():
    return compare(
        load(OLD), load(NEW), key="XH", changes=load(CH), layout="chsi_registration", changes_layout="hei_changes",
        old_name="2026秋", new_name="2027春",
    )  # fmt: skip


def planted_compare():
    sel = PLANTED[PLANTED.expected.str.startswith("compare:") & PLANTED.file.isin([OLD, NEW])]
    return {(r.file, int(r.row)): (r.expected.split(":", 1)[1], r.key) for r in sel.itertuples()}


def check_status(rec, what):
    kind, _, detail = what.partition("/")
    m = re.fullmatch(r"(removed|added|moved)_(explained|unexplained)", kind)
    status = m.group(1) if m else kind
    assert rec["status"] == status, (what, rec["status"], rec["reasons"])
    if m and m.group(2) == "explained":
        assert rec["change_type"] == detail and bool(rec["explained"]) and detail in rec["reasons"]
    elif m:
        assert pd.isna(rec["change_type"]) and not bool(rec["explained"])
    elif status == "changed":
        assert rec["change_class"] == detail and "学生信息变更申请表" in rec["reasons"]
    assert rec["reasons"]


def test_every_planted_roster_change_has_its_status(res):
    expected = planted_compare()
    assert sorted(w for w, _ in expected.values()) == sorted(
        [
            "removed_explained/休学",
            "removed_explained/退学",
            "removed_explained/保留学籍",
            "removed_unexplained",
            "moved_explained/转专业",
            "changed/evidence",
            "added_explained/复学",
        ]
    )
    for (file, row), (what, ksh) in expected.items():
        frame = res.old if file == OLD else res.new
        rec = frame.iloc[row - 1]
        sheet = load(file)
        assert rec["row"] == row and sheet.at[row - 1, "KSH"] == ksh, (file, row)
        assert rec["key"] == sheet.at[row - 1, "XH"], (file, row)  # keyed by 学号 (not masked)
        check_status(rec, what)


def test_every_other_roster_record_is_unchanged(res):
    expected = planted_compare()
    listed = {side: {row for (f, row) in expected if f == file} for side, file in (("old", OLD), ("new", NEW))}
    for side, other in (("old", "new"), ("new", "old")):
        frame = getattr(res, side)
        rest = frame[~frame["row"].isin(list(listed[side]))]
        # a planted change shows on both records of the pair (planted.csv lists the new one)
        paired = rest["counterpart_row"].isin(list(listed[other])) if side == "old" else pd.Series(False, rest.index)
        assert (rest.loc[~paired, "status"] == "unchanged").all(), rest[rest.status != "unchanged"]
        assert paired.sum() == (2 if side == "old" else 0)
    assert res.key_used == "XH" and res.fallback_matches == 0 and res.conserved
    assert res.counts["changes"] == {"total": 5, "explains": 5, "no_difference": 0, "not_found": 0}
    assert res.change_classes() == {"ordinary": 1, "evidence": 1, "not_accepted": 0}
    assert len(res.unexplained_removals()) == 1


def test_the_rosters_are_the_registered_students():
    """The catalogue links them: every roster student but the one back from 休学 is in the registration upload."""
    reg = xj.read_dbf(SAMPLES / "hei/10_注册上报.dbf")
    old, new = load(OLD), load(NEW)
    assert set(old["SFZH"]) <= set(reg["SFZH"]) and set(old["XH"]) <= set(reg["XH"])
    back = new[~new["SFZH"].isin(reg["SFZH"])]
    assert len(back) == 1 and back["XH"].iat[0].startswith("2025")
    assert set(old["BH"]) == {"计科2601", "软件2601"}


def test_compare_command_on_the_university_rosters(tmp_path):
    out = tmp_path / "out"
    got = run("compare", SAMPLES / OLD, SAMPLES / NEW, "--key", "XH", "--changes", SAMPLES / CH,
              "--changes-layout", "hei_changes", "--out", out)  # fmt: skip
    assert got.returncode == 0, got.stderr
    assert "按学号（XH）对应" in got.stdout
    assert "减少 4 条：有异动记录 3 条" in got.stdout and "没有异动记录 1 条" in got.stdout
    assert "新增 1 条：有异动记录 1 条（复学 1）" in got.stdout and "须证明材料 1" in got.stdout
    js = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert js["change_classes"] == {"ordinary": 1, "evidence": 1, "not_accepted": 0}
    assert js["old"]["total"] == len(load(OLD)) and js["new"]["total"] == len(load(NEW))


def test_university_wording_has_no_compulsory_schooling_follow_up(res):
    # 控辍保学 is the K-12 follow-up of a pupil gone without a record; a university's roster says 核实去向
    gone = res.old[res.old["status"] == "removed"]
    assert not res.k12 and "控辍保学" not in res.summary()
    assert not gone["reasons"].str.contains("控辍保学").any() and gone["reasons"].str.contains("核实去向").any()
