"""`xueji reconcile` and `xueji compare` as a clerk runs them, and as another tool reads them: real processes,
the committed samples, results.csv / summary.json as a contract, the DBF lists, the workbooks."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import dbfread
import openpyxl
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.matching.reconcile import ADMISSION_STATUSES, REGISTRATION_STATUSES

XUEJI = Path(sys.executable).with_name("xueji")
ROOT = Path(__file__).resolve().parents[1]
HEI = ROOT / "data_samples" / "hei"
K12 = ROOT / "data_samples" / "k12"
ADM10, REG10, STATES10 = HEI / "10_录取名单.dbf", HEI / "10_注册上报.dbf", HEI / "10_新生状态.dbf"
ADM50, REG50 = HEI / "50_录取名单.dbf", HEI / "50_注册上报.dbf"
OLD, NEW, CHANGES = K12 / "学生名单_2025秋.xlsx", K12 / "学生名单_2026春.xlsx", K12 / "学籍异动_2026春.xlsx"
PLANTED = ROOT / "data_samples" / "planted.csv"


def run(*args, cwd=None):
    return subprocess.run([str(XUEJI), *map(str, args)], capture_output=True, text=True, cwd=cwd)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_results(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "results.csv must start with a UTF-8 byte-order mark"
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def workbook_cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def as_dicts(rows: list[tuple]) -> list[dict]:
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def summary_counts(rows: list[tuple], title: str) -> tuple[dict[str, int], int]:
    """The 汇总 sheet's per-status counts for one side (“注册上报：一致（matched）”) and its 合计."""
    counts, total = {}, None
    for item, value in rows[1:]:
        if not isinstance(item, str) or not item.startswith(f"{title}："):
            continue
        m = re.search(r"（(\w+)）$", item)
        if m:
            counts[m.group(1)] = int(value)
        elif item == f"{title}：合计":
            total = int(value)
    return counts, total


def raw_ids(*frames: pd.DataFrame) -> set[str]:
    """Every personal ID value of the inputs, as written and normalised (the strings that must never appear)."""
    out = set()
    for df in frames:
        for col in ("SFZH", "SFZJH", "XJH", "ZJHM"):
            if col in df.columns:
                vals = df[col].dropna().astype(str).str.strip()
                out |= {v for v in vals if len(v) >= 15}
                out |= {v.upper() for v in vals if len(v) >= 15}
    return out


def leaked(text: str, ids: set[str]) -> list[str]:
    return [v for v in ids if v in text]


def planted(file: str, kind: str) -> pd.DataFrame:
    p = pd.read_csv(PLANTED, encoding="utf-8-sig", dtype=str)
    p = p[(p["file"] == file) & p["expected"].str.startswith(f"{kind}:")].copy()
    p["row"] = p["row"].astype(int)
    p["want"] = p["expected"].str.split(":", n=1).str[1]
    return p


# ------------------------------------------------------------------------------------------- reconcile


@pytest.fixture(scope="module")
def rec(tmp_path_factory):
    work = tmp_path_factory.mktemp("reconcile")
    before = {p: sha256(p) for p in (ADM10, REG10, STATES10)}
    pre_upload = STATES10  # the sample's list is downloaded before the upload (samples/hei.py)
    res = run(
        "reconcile",
        "--admission",
        ADM10,
        "--registration",
        REG10,
        "--year",
        "2026",
        "--category",
        "10",
        "--states",
        pre_upload,
        cwd=work,
    )  # default --out: ./<registration stem>_核对结果
    out = work / "10_注册上报_核对结果"
    adm, reg, states = xj.read_dbf(ADM10), xj.read_dbf(REG10), xj.read_dbf(pre_upload)
    lib = xj.reconcile(adm, reg, year=2026, category="10", states=states)
    return {"res": res, "out": out, "before": before, "adm": adm, "reg": reg, "lib": lib}


def test_reconcile_runs_and_writes_the_five_outputs(rec):
    res, out = rec["res"], rec["out"]
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["results.csv", "summary.json", "资格有误.dbf", "未注册.dbf", "核对结果.xlsx"]
    )
    assert "每条记录都有且只有一个结果：是" in res.stdout
    assert "注册上报 995 条 = 一致 983" in res.stdout and "已报到入学 2" in res.stdout  # the sample's 3 planted states


def test_reconcile_results_csv_is_one_row_per_record_with_the_library_statuses(rec):
    adm, reg, lib = rec["adm"], rec["reg"], rec["lib"]
    got = read_results(rec["out"] / "results.csv")
    for col in ("side", "row", "KSH", "status", "reasons", "counterpart_row", "state", "action", "match_by"):
        assert col in got.columns
    assert len(got) == len(adm) + len(reg)
    assert not got.duplicated(["side", "row"]).any()
    for side, n in (("admission", len(adm)), ("registration", len(reg))):
        rows = got.loc[got["side"] == side, "row"].astype(int)
        assert sorted(rows) == list(range(1, n + 1))
    want = lib.results()
    key = lambda f: f.assign(row=f["row"].astype(int)).set_index(["side", "row"]).sort_index()  # noqa: E731
    g, w = key(got), key(want)
    assert set(g["status"]) <= set(REGISTRATION_STATUSES + ADMISSION_STATUSES)
    assert g["status"].tolist() == w["status"].tolist()
    assert g["reasons"].tolist() == w["reasons"].fillna("").tolist()
    assert g["state"].tolist() == w["state"].fillna("").tolist()
    assert g["counterpart_row"].tolist() == [("" if pd.isna(v) else str(int(v))) for v in w["counterpart_row"]]
    assert (g["KSH"] == w["KSH"].fillna("")).all()


def test_reconcile_results_csv_holds_no_personal_id(rec):
    text = (rec["out"] / "results.csv").read_text("utf-8-sig")
    ids = raw_ids(rec["adm"], rec["reg"])
    assert len(ids) > 1000
    assert leaked(text, ids) == []


def test_reconcile_planted_problems_have_their_status_in_results_csv(rec):
    got = read_results(rec["out"] / "results.csv").set_index(["side", "row"])
    checked = 0
    for file, side in (("hei/10_录取名单.dbf", "admission"), ("hei/10_注册上报.dbf", "registration")):
        for p in planted(file, "reconcile").itertuples():
            status, _, state = p.want.partition("/")
            r = got.loc[(side, str(p.row))]
            assert r["status"] == status, (file, p.row, p.want, r["reasons"])
            if state:
                assert r["state"] == ("" if state == "none" else state)
            checked += 1
    assert checked >= 25


def test_reconcile_summary_json_counts(rec):
    js = json.loads((rec["out"] / "summary.json").read_text("utf-8"))
    want = rec["lib"].to_dict()
    for side in ("registration", "admission"):
        assert js[side] == json.loads(json.dumps(want[side]))
    assert js["registration"]["total"] == len(rec["reg"]) and js["admission"]["total"] == len(rec["adm"])
    assert js["registration"]["total"] == sum(
        js["registration"][s]
        for s in (
            "matched",
            "key_mismatch",
            "not_admitted",
            "duplicate_key",
            "missing_key",
            "already_registered",
            "state_deferred",
            "state_abandoned",
            "state_cancelled",
        )
    )
    assert js["admission"]["total"] == sum(js["admission"][s] for s in ("matched", "key_mismatch", "not_registered"))
    assert js["conserved"] is True
    assert js["outputs"]["qualification_errors"] == "资格有误.dbf" and js["outputs"]["not_registered"] == "未注册.dbf"
    assert js["params"] == {"year": 2026, "category": "10"}


def test_qualification_errors_dbf_is_the_upload_layout_plus_jyjg(rec):
    reg, lib = rec["reg"], rec["lib"]
    table = dbfread.DBF(str(rec["out"] / "资格有误.dbf"), encoding="gb18030", char_decode_errors="strict")
    records = [dict(r) for r in table]
    lay = xj.load_layout("chsi_registration")
    assert [f.name for f in table.fields] == lay.codes + ["JYJG"]
    assert (table.fields[-1].type, table.fields[-1].length) == ("C", 254)
    bad = lib.registration[lib.registration["status"] != "matched"]
    assert len(records) == len(bad) == 12  # 9 differences + 3 the platform already holds in a state
    want = [(str(reg["KSH"].iloc[i - 1] or "").strip(), reg["XM"].iloc[i - 1]) for i in bad["row"]]
    assert [(r["KSH"], r["XM"]) for r in records] == want
    assert all(r["JYJG"].strip() and len(r["JYJG"].encode("gb18030")) <= 254 for r in records)
    jyjg = "\n".join(r["JYJG"] for r in records)
    for words in ("颠倒", "占位符", "层次不同", "重复", "考生号为空", "录取数据中找不到"):
        assert words in jyjg
    # 杨䶮 cannot be written in GBK: the list is GB18030 and both the screen and summary.json say so
    assert "䶮" in jyjg
    assert "GB18030" in rec["res"].stdout
    assert "GB18030" in json.loads((rec["out"] / "summary.json").read_text("utf-8"))["encoding_note"]


def test_not_registered_dbf_has_the_seven_with_their_state(rec):
    lib = rec["lib"]
    table = dbfread.DBF(str(rec["out"] / "未注册.dbf"), encoding="gb18030", char_decode_errors="strict")
    records = [dict(r) for r in table]
    lay = xj.load_layout("chsi_admission")
    assert [f.name for f in table.fields] == lay.codes + ["JYJG"]
    nr = lib.not_registered()
    assert len(records) == len(nr) == 7
    assert sorted(r["KSH"] for r in records) == sorted(nr["KSH"])
    by_ksh = {r["KSH"]: r["JYJG"] for r in records}
    assert "保留入学资格" in by_ksh["26140105158057"] and "取消入学资格" in by_ksh["26500106119576"]
    assert "状态未知" in by_ksh["26340104157642"]
    assert all(len(r["SFZH"]) == 18 for r in records)  # the list keeps real values (it goes back to the platform)


def test_reconcile_workbook_sheets_and_summary_adds_up(rec):
    sheets = workbook_cells(rec["out"] / "核对结果.xlsx")
    assert list(sheets) == ["汇总", "资格有误", "未注册", "录取数据不一致"]
    # a state list was given: every registration status is listed, the state ones too (test_states_changes.py)
    for title, n, statuses in (
        ("注册上报", len(rec["reg"]), len(REGISTRATION_STATUSES)),
        ("录取数据", len(rec["adm"]), len(ADMISSION_STATUSES)),
    ):
        counts, total = summary_counts(sheets["汇总"], title)
        assert len(counts) == statuses and total == n and sum(counts.values()) == n
        assert counts == {
            k: v
            for k, v in rec["lib"].counts["registration" if title == "注册上报" else "admission"].items()
            if k in counts
        }
    text = "\n".join(str(v) for row in sheets["汇总"] for v in row if v is not None)
    assert "2026" in text and "每条记录都有且只有一个结果" in text
    q = as_dicts(sheets["资格有误"])
    assert len(q) == 12 and {r["结果代码"] for r in q} == {
        "key_mismatch",
        "not_admitted",
        "duplicate_key",
        "missing_key",
        "already_registered",
        "state_abandoned",
    }
    nr = as_dicts(sheets["未注册"])
    assert len(nr) == 7
    order = ["报到入学", "保留入学资格", "放弃入学资格", "取消入学资格", "状态未知"]
    assert [order.index(r["新生状态"]) for r in nr] == sorted(order.index(r["新生状态"]) for r in nr)
    ids = raw_ids(rec["adm"], rec["reg"])
    cells = "\n".join(str(v) for rows in sheets.values() for row in rows for v in row if v is not None)
    assert leaked(cells, ids) == []
    assert all("********" in r["身份证号（SFZH）"] for r in q + nr if r["身份证号（SFZH）"])


def test_reconcile_inputs_are_not_modified(rec):
    assert all(sha256(p) == h for p, h in rec["before"].items())


def test_reconcile_category_50(tmp_path):
    res = run(
        "reconcile",
        "--admission",
        ADM50,
        "--registration",
        REG50,
        "--category",
        "50",
        "--year",
        "2026",
        "--out",
        tmp_path / "out",
    )
    assert res.returncode == 0, res.stderr
    got = read_results(tmp_path / "out" / "results.csv").set_index(["side", "row"])
    for file, side in (("hei/50_录取名单.dbf", "admission"), ("hei/50_注册上报.dbf", "registration")):
        for p in planted(file, "reconcile").itertuples():
            assert got.loc[(side, str(p.row)), "status"] == p.want.partition("/")[0]


# --------------------------------------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def cmp(tmp_path_factory):
    work = tmp_path_factory.mktemp("compare")
    before = {p: sha256(p) for p in (OLD, NEW, CHANGES)}
    out = work / "out"
    res = run("compare", OLD, NEW, "--changes", CHANGES, "--out", out)
    old, new = xj.read_table(OLD, layout="k12_student"), xj.read_table(NEW, layout="k12_student")
    ch = xj.read_table(CHANGES, layout="k12_changes")
    lib = xj.compare(old, new, changes=ch, old_name=OLD.stem, new_name=NEW.stem)
    return {"res": res, "out": out, "before": before, "old": old, "new": new, "lib": lib, "work": work}


def test_compare_runs_and_results_csv_matches_the_library(cmp):
    res, out, lib = cmp["res"], cmp["out"], cmp["lib"]
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["results.csv", "summary.json", "对比结果.xlsx", "疑似流失_按学校"]
    )
    got = read_results(out / "results.csv")
    for col in ("side", "row", "key", "status", "reasons", "counterpart_row", "explained", "change_type"):
        assert col in got.columns
    assert len(got) == len(cmp["old"]) + len(cmp["new"])
    assert not got.duplicated(["side", "row"]).any()
    assert set(got["side"]) == {"old", "new"}
    want = lib.results()
    assert got["status"].tolist() == want["status"].tolist()
    assert got["row"].astype(int).tolist() == want["row"].tolist()
    assert got["reasons"].tolist() == want["reasons"].fillna("").tolist()
    assert got["explained"].tolist() == [("" if pd.isna(v) else str(bool(v)).lower()) for v in want["explained"]]


def test_compare_results_csv_holds_no_personal_id(cmp):
    text = (cmp["out"] / "results.csv").read_text("utf-8-sig")
    ids = raw_ids(cmp["old"], cmp["new"])
    assert len(ids) > 1000
    assert leaked(text, ids) == []


def test_compare_planted_problems_in_results_csv(cmp):
    got = read_results(cmp["out"] / "results.csv").set_index(["side", "row"])
    checked = 0
    for file, side in (("k12/学生名单_2025秋.xlsx", "old"), ("k12/学生名单_2026春.xlsx", "new")):
        for p in planted(file, "compare").itertuples():
            what, _, typ = p.want.partition("/")
            r = got.loc[(side, str(p.row))]
            status = {
                "removed_explained": "removed",
                "removed_unexplained": "removed",
                "added_explained": "added",
                "added_unexplained": "added",
            }.get(what, what)
            assert r["status"] == status, (file, p.row, p.want, r["reasons"])
            if what.endswith("_explained"):
                assert r["explained"] == "true" and r["change_type"] == typ
            if what.endswith("_unexplained"):
                assert r["explained"] == "false"
            checked += 1
    assert checked >= 20


def test_compare_summary_json_counts(cmp):
    js = json.loads((cmp["out"] / "summary.json").read_text("utf-8"))
    want = json.loads(json.dumps(cmp["lib"].to_dict()))
    for side in ("old", "new", "changes"):
        assert js[side] == want[side]
    assert js["old"]["total"] == len(cmp["old"]) and js["new"]["total"] == len(cmp["new"])
    assert js["key_used"] == "XJH" and js["conserved"] is True


def test_compare_workbook_lists_unexplained_removals_by_school(cmp):
    lib = cmp["lib"]
    sheets = workbook_cells(cmp["out"] / "对比结果.xlsx")
    assert list(sheets) == [
        "汇总",
        "疑似流失",
        "按学校",
        "减少",
        "新增",
        "变化",
        "调动",
        "重复",
        "无法对应",
        "异动名单",
    ]
    lost = as_dicts(sheets["疑似流失"])
    ur = lib.unexplained_removals()
    assert len(lost) == len(ur) == 5
    assert [r["行号"] for r in lost] == (ur["row"] + 1).tolist()  # the Excel row: header in row 1
    assert [r["学校名称"] for r in lost] == ur["XXMC"].tolist()
    assert all("********" in r["学籍号"] for r in lost)
    for title, side in (("旧名单", "old"), ("新名单", "new")):
        counts, total = summary_counts(sheets["汇总"], title)
        assert total == len(cmp[side]) and sum(counts.values()) == total
        assert counts == {k: v for k, v in lib.counts[side].items() if k != "total"}
    assert len(as_dicts(sheets["新增"])) == lib.counts["new"]["added"]
    assert len(as_dicts(sheets["重复"])) == lib.counts["old"]["duplicate_key"] + lib.counts["new"]["duplicate_key"]
    assert len(as_dicts(sheets["异动名单"])) == len(lib.changes)
    ids = raw_ids(cmp["old"], cmp["new"])
    cells = "\n".join(str(v) for rows in sheets.values() for row in rows for v in row if v is not None)
    assert leaked(cells, ids) == []


def test_compare_writes_one_lost_pupils_workbook_per_school(cmp):
    """Issue 15: the bureau sends each school its own 疑似流失 list — one workbook per school that has any,
    named by 学校标识码 and name; together they hold every pupil of the 疑似流失 sheet once, masked."""
    lib = cmp["lib"]
    folder = cmp["out"] / "疑似流失_按学校"
    files = sorted(folder.glob("*.xlsx"))
    ur = lib.unexplained_removals()
    schools = sorted(set(zip(ur["XXBSM"], ur["XXMC"])))
    assert [f.name for f in files] == [f"{c}_{n}.xlsx" for c, n in schools]
    seen = []
    for f in files:
        sheets = workbook_cells(f)
        assert list(sheets) == ["说明", "疑似流失"]
        rows = as_dicts(sheets["疑似流失"])
        assert {r["学校标识码"] for r in rows} == {f.name.split("_")[0]}
        assert all("********" in r["学籍号"] for r in rows)
        seen += [r["行号"] for r in rows]
    assert sorted(seen) == sorted((ur["row"] + 1).tolist())  # each pupil once, by Excel row
    summary = json.loads((cmp["out"] / "summary.json").read_text("utf-8"))
    assert sum(summary["lost_by_school"].values()) == len(ur) and summary["outputs"]["by_school"] == folder.name
    assert "疑似流失_按学校/" in cmp["res"].stdout


def test_compare_unmask_shows_ids_in_the_workbook_only(cmp):
    out = cmp["work"] / "unmasked"
    res = run("compare", OLD, NEW, "--changes", CHANGES, "--out", out, "--unmask")
    assert res.returncode == 0, res.stderr
    lost = as_dicts(workbook_cells(out / "对比结果.xlsx")["疑似流失"])
    old = cmp["old"]
    assert [r["学籍号"] for r in lost] == [old["XJH"].iloc[r["行号"] - 2] for r in lost]  # Excel row − header row − 1
    ids = raw_ids(cmp["old"], cmp["new"])
    assert leaked((out / "results.csv").read_text("utf-8-sig"), ids) == []


def test_compare_inputs_are_not_modified(cmp):
    assert all(sha256(p) == h for p, h in cmp["before"].items())


# ------------------------------------------------------------------------------------------ bad inputs


def _bad_inputs(tmp: Path) -> dict[str, tuple[list, str]]:
    (tmp / "not_a.dbf").write_bytes("这不是 DBF 文件\n".encode() * 20)
    (tmp / "header_only.csv").write_text("KSH,XM\n", encoding="utf-8")
    (tmp / "no_key.csv").write_text("XM,XB,CSRQ\n张三,1,20150101\n", encoding="utf-8")
    rec = ["reconcile", "--admission", ADM10, "--registration", REG10]
    return {
        "missing file": (["reconcile", "--admission", tmp / "nope.dbf", "--registration", REG10], "找不到文件"),
        "not a dbf": (["reconcile", "--admission", tmp / "not_a.dbf", "--registration", REG10], "not_a.dbf"),
        "no KSH": (["reconcile", "--admission", OLD, "--registration", REG10], "考生号"),
        "empty": (["reconcile", "--admission", tmp / "header_only.csv", "--registration", REG10], "没有记录"),
        "bad category": ([*rec, "--category", "30"], "学历类别"),
        "bad year": ([*rec, "--year", "26"], "录取年份"),
        "no admission": (["reconcile", "--registration", REG10], "--admission"),
        "states without ZT": ([*rec, "--states", ADM10], "入学状态"),
        "compare bad key": (["compare", OLD, NEW, "--key", "学号"], "--key"),
        "compare key not in the lists": (["compare", OLD, NEW, "--key", "KSH"], "考生号字段（KSH）"),
        "compare no key column": (["compare", tmp / "no_key.csv", NEW], "学籍号"),
        "compare empty": (["compare", OLD, tmp / "header_only.csv"], "没有记录"),
        "changes without YDLB": (["compare", OLD, NEW, "--changes", OLD], "异动类别"),
    }


def test_bad_inputs_exit_2_with_a_chinese_message(tmp_path):
    for name, (args, words) in _bad_inputs(tmp_path).items():
        out = tmp_path / f"out_{len(name)}_{abs(hash(name)) % 1000}"
        res = run(*args, "--out", out)
        assert res.returncode == 2, (name, res.stdout, res.stderr)
        # (a progress line may come first when reading takes over a second on a busy machine)
        said = [line for line in res.stderr.splitlines() if not line.startswith("读取 ")]
        assert "Traceback" not in res.stderr and said and said[0].startswith("错误："), (name, res.stderr)
        assert words in res.stderr, (name, res.stderr)
        assert not out.exists(), name  # nothing written when the run could not start


def test_an_output_never_overwrites_an_input(tmp_path):
    """An input that sits in the output folder under an output's name is refused, and left as it was."""
    reg = tmp_path / "未注册.dbf"
    reg.write_bytes(REG10.read_bytes())
    before = sha256(reg)
    res = run("reconcile", "--admission", ADM10, "--registration", reg, "--out", tmp_path)
    assert res.returncode == 2 and "覆盖输入文件" in res.stderr and "Traceback" not in res.stderr
    assert sha256(reg) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["未注册.dbf"]


def test_compare_ignore_leaves_a_field_out(cmp, tmp_path):
    res = run("compare", OLD, NEW, "--ignore", "BJ", "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    got = read_results(tmp_path / "out" / "results.csv").set_index(["side", "row"])
    js = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert "BJ" not in js["fields"] and "NJ" in js["fields"]
    base = read_results(cmp["out"] / "results.csv").set_index(["side", "row"])
    class_only = base[(base["status"] == "moved") & (base["changed_fields"] == "BJ")]
    assert len(class_only) == 2  # the planted class change, on both sides
    assert (got.loc[class_only.index, "status"] == "unchanged").all()
    res = run("compare", OLD, NEW, "--ignore", "NOSUCH", "--out", tmp_path / "out2")
    assert res.returncode == 2 and "NOSUCH" in res.stderr and not (tmp_path / "out2").exists()


def test_readme_documents_both_commands_and_every_status():
    from xueji_lib.matching.compare import CHANGE_STATUSES, NEW_STATUSES, OLD_STATUSES

    text = (ROOT / "README.md").read_text("utf-8")
    rec = text[text.index("## 录取与注册核对（xueji reconcile）") : text.index("## 名单对比（xueji compare）")]
    com = text[text.index("## 名单对比（xueji compare）") :]
    com = com[: com.index("\n## ", 5)]
    assert "xueji reconcile --admission" in rec and "results.csv" in rec and "资格有误.dbf" in rec
    assert "xueji compare" in com and "疑似流失" in com and "对比结果.xlsx" in com
    for code in REGISTRATION_STATUSES + ADMISSION_STATUSES:
        assert f"`{code}`" in rec, code
    for code in OLD_STATUSES + NEW_STATUSES + CHANGE_STATUSES:
        assert f"`{code}`" in com, code
