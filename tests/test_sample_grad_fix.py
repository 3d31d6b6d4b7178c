"""Issue 16 §9 on the samples: a school's corrected list of its 2026 graduates compared with the graduates' list
(``xueji compare … --graduates``): the changed 姓名 and 出生日期 are 不予变更 (004: "本次不接受毕业生的姓名、性别、
身份证、出生日期信息的变更"), the new 联系电话 an ordinary change, every other graduate unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import xueji_lib as xj

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data_samples"
OLD, FIX = "k12/毕业生_2026.xlsx", "k12/毕业生_2026_更正.xlsx"
PLANTED = pd.read_csv(SAMPLES / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
MINE = PLANTED[PLANTED.file == FIX]


@pytest.fixture(scope="module")
def res():
    old = xj.read_table(SAMPLES / OLD, "k12_student")
    new = xj.read_table(SAMPLES / FIX, "k12_student")
    return xj.compare(old, new, old_name="毕业生", new_name="更正", graduates=True)


def test_each_planted_change_has_its_class(res):
    assert len(MINE) == 3
    new = res.new.set_index("row")
    for r in MINE.itertuples():
        status, cls = r.expected.split(":", 1)[1].split("/")
        got = new.loc[int(r.row)]
        assert (got["status"], got["change_class"]) == (status, cls), (r.row, got.to_dict())
        if cls == "not_accepted":
            assert "不予接受" in got["reasons"] and "按毕业生名单对比" in got["reasons"]
    assert res.change_classes() == {"ordinary": 1, "evidence": 0, "not_accepted": 2}


def test_every_other_graduate_is_unchanged(res):
    planted_rows = {int(x) for x in MINE.row}
    others = res.new[~res.new["row"].isin(planted_rows)]
    assert set(others["status"]) == {"unchanged"} and res.conserved
    assert (res.old["status"] == "unchanged").sum() == len(res.old) - 3


def test_command_line(tmp_path):
    out = tmp_path / "对比"
    proc = subprocess.run(
        [sys.executable, "-m", "xueji_lib.apps.cli", "compare", str(SAMPLES / OLD), str(SAMPLES / FIX),
         "--graduates", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "一般变化 1，须证明材料 0，不予变更 2" in proc.stdout, proc.stdout
    changed = pd.read_excel(out / "对比结果.xlsx", sheet_name="变化", dtype=str)
    assert sorted(changed["变更要求"]) == ["一般变化", "不予变更", "不予变更"]
