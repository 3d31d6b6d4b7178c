"""The dashboards' catalogue of a data folder (xueji_lib.apps.catalog) and the non-widget parts of
xueji_lib.apps.dashboard, on a copy of the committed samples: datasets and pairs found, search by every key,
the student card, cache invalidation, statuses equal to the library's own results, the audit log."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib import compare, read_dbf, reconcile
from xueji_lib.apps.catalog import Catalog, load_dataset
from xueji_lib.apps.dashboard import AuditLog, offline_template, records_frame, voila_command
from xueji_lib.core.errors import XuejiError

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("data") / "data"
    shutil.copytree(SAMPLES, d)
    return d


@pytest.fixture(scope="module")
def cat(folder):
    return Catalog(folder).refresh()


def test_datasets_and_pairs(cat):
    assert set(cat.datasets) == {
        "hei/10_录取名单.dbf",
        "hei/10_新生状态.dbf",
        "hei/10_注册上报.dbf",
        "hei/50_录取名单.dbf",
        "hei/50_注册上报.dbf",
        "k12/学生名单_2025秋.xlsx",
        "k12/学生名单_2026春.xlsx",
        "k12/学生名单_2026春_gbk.csv",
        "k12/学籍异动_2026春.xlsx",
        "k12/新生_2026秋.xlsx",
        "k12/毕业生_2026.xlsx",
        # issue 16: the hand-made 补报 upload, a university's rosters and 学籍异动 list, a bureau's check workbooks
        "hei/10_注册上报_补报.dbf",
        "hei/在籍学生_2026秋.xlsx",
        "hei/在籍学生_2027春.xlsx",
        "hei/学籍异动_2027春.xlsx",
        "k12/核查_2026秋/示范县实验中学.xlsx",
        "k12/核查_2026秋/示范县第三小学.xlsx",
        "k12/毕业生_2026_更正.xlsx",
    }
    assert cat.datasets["hei/10_注册上报.dbf"].records == 995
    assert cat.datasets["k12/学生名单_2026春.xlsx"].term == "2026春"
    # planted.csv has no student field: reported, not searched
    assert [p[0] for p in cat.problems] == ["planted.csv"]
    assert {(p.kind, p.left, p.right, p.extra) for p in cat.pairs} == {
        ("reconcile", "hei/10_录取名单.dbf", "hei/10_注册上报.dbf", "hei/10_新生状态.dbf"),
        ("reconcile", "hei/50_录取名单.dbf", "hei/50_注册上报.dbf", None),
        ("compare", "k12/学生名单_2025秋.xlsx", "k12/学生名单_2026春.xlsx", "k12/学籍异动_2026春.xlsx"),
        ("handoff", "k12/毕业生_2026.xlsx", "k12/新生_2026秋.xlsx", None),
        # the corrected graduates' list is a graduates' list too: its pupils' next stage is the same intake
        ("handoff", "k12/毕业生_2026_更正.xlsx", "k12/新生_2026秋.xlsx", None),
    }


def test_cached_frame_equals_the_file(cat, folder):
    for ds in ("hei/10_注册上报.dbf", "k12/学生名单_2026春.xlsx"):
        direct, _ = load_dataset(folder / ds)
        cached = cat.frame(ds)
        assert list(cached.columns) == list(direct.columns)
        pd.testing.assert_frame_equal(cached.reset_index(drop=True), direct.reset_index(drop=True), check_dtype=False)


def _student(folder):
    reg = read_dbf(folder / "hei" / "10_注册上报.dbf")
    row = int(reg.index[reg["BH"] == "软件2601"][0])
    return reg, row + 1, reg.iloc[row]


def _rosters_with(folder, rec) -> set[str]:
    """The university's term rosters (issue 16 samples: two classes of the upload) that hold the student ``rec``."""
    out = set()
    for f in ("hei/在籍学生_2026秋.xlsx", "hei/在籍学生_2027春.xlsx"):
        df, _ = load_dataset(folder / f)
        if str(rec["SFZH"]) in set(df["SFZH"].astype(str)):
            out.add(f)
    return out


@pytest.mark.parametrize("key", ["SFZH", "KSH", "XH", "XM"])
def test_search_by_each_key(cat, folder, key):
    _reg, row, rec = _student(folder)
    hits, total, how = cat.search(str(rec[key]))
    assert ("hei/10_注册上报.dbf", row) in set(zip(hits["dataset"], hits["row"]))
    if key != "XM":  # a key finds the student in the admission and status lists too, and nothing else
        # the state list (downloaded before the upload) holds only students with a state: not this one
        assert set(hits["dataset"]) == (
            {"hei/10_录取名单.dbf", "hei/10_注册上报.dbf"} - ({"hei/10_录取名单.dbf"} if key == "XH" else set())
        ) | _rosters_with(folder, rec)  # the university's term rosters hold the same student
    assert str(rec["SFZH"]) not in how and str(rec["XM"]) not in how


def test_search_part_of_a_name_and_15_digit_id_and_xjh(cat, folder):
    _reg, row, rec = _student(folder)
    hits, total, _ = cat.search(str(rec["XM"])[:2])
    assert total >= len(hits) >= 1 and ("hei/10_注册上报.dbf", row) in set(zip(hits["dataset"], hits["row"]))
    roster, _ = load_dataset(folder / "k12" / "学生名单_2026春.xlsx")
    xjh = str(roster["XJH"].iloc[0])
    hits, _, _ = cat.search(xjh.lower())  # case and blanks do not matter
    assert ("k12/学生名单_2026春.xlsx", 1) in set(zip(hits["dataset"], hits["row"]))
    hits, _, _ = cat.search(xjh[1:])  # the ID number inside a G学籍号
    assert ("k12/学生名单_2026春.xlsx", 1) in set(zip(hits["dataset"], hits["row"]))
    assert cat.search("没有这个人")[1] == 0 and cat.search("   ")[1] == 0


def test_card_masks_and_gathers_every_file(cat, folder):
    _reg, row, rec = _student(folder)
    card = cat.card("hei/10_注册上报.dbf", row)
    files = [d for d, _ in card.records]
    assert files[0] == "hei/10_注册上报.dbf" or "hei/10_注册上报.dbf" in files
    rosters = _rosters_with(folder, rec)
    assert len(rosters) == 2  # the student is in both term rosters of the university (issue 16 samples)
    assert set(files) == {"hei/10_录取名单.dbf", "hei/10_注册上报.dbf"} | rosters
    text = card.fields.to_string()
    assert str(rec["SFZH"]) not in text and str(rec["SFZH"])[:6] + "********" in text
    assert str(rec["XH"]) in text and "专业名称（ZYMC）" in card.fields.index
    assert set(card.statuses["结果"]) == {"一致"}
    assert card.photo is not None and card.photo.stem == str(rec["SFZH"])
    assert card.photo.parent.name == f"2026级{rec['BH']}班"  # the samples' class folders (004)
    full = cat.card("hei/10_注册上报.dbf", row, unmask=True)
    assert str(rec["SFZH"]) in full.fields.to_string() and not full.masked


def test_card_shows_findings_and_statuses_of_a_planted_problem(cat, folder):
    planted = pd.read_csv(folder / "planted.csv", dtype=str)
    p = planted[
        (planted["file"] == "hei/10_注册上报.dbf")
        & planted["expected"].str.startswith("validate:")
        & (planted["expected"] != "validate:OK")
    ].iloc[0]
    card = cat.card("hei/10_注册上报.dbf", int(p["row"]))
    assert p["expected"].split(":")[1] in set(card.findings["规则"])


def test_statuses_equal_the_library(cat, folder):
    adm, _ = load_dataset(folder / "hei" / "10_录取名单.dbf")
    reg, _ = load_dataset(folder / "hei" / "10_注册上报.dbf")
    st, _ = load_dataset(folder / "hei" / "10_新生状态.dbf")
    res = reconcile(adm, reg, states=st)
    pair = next(p for p in cat.pairs if p.right == "hei/10_注册上报.dbf")
    mine = cat.statuses[(cat.statuses["pair"] == pair.label) & (cat.statuses["dataset"] == pair.right)]
    assert mine.sort_values("row")["status"].tolist() == res.registration.sort_values("row")["status"].tolist()
    old, _ = load_dataset(folder / "k12" / "学生名单_2025秋.xlsx")
    new, _ = load_dataset(folder / "k12" / "学生名单_2026春.xlsx")
    ch, _ = load_dataset(folder / "k12" / "学籍异动_2026春.xlsx")
    res = compare(old, new, changes=ch)
    frame = records_frame("compare", res, old, new)  # the comparison page's table: every record of both sides
    for side, zh in (("old", "旧名单"), ("new", "新名单")):
        got = frame[frame["名单"] == zh]["status"].value_counts().to_dict()
        assert got == {s: n for s, n in res.counts[side].items() if n and s != "total"}
        assert len(frame[frame["名单"] == zh]) == len(old if side == "old" else new)
    ids = old["SFZJH"].dropna()
    ids = ids[ids.str.len() == 18]
    assert len(ids) > 1000 and not frame["证件号"].isin(ids).any()  # masked


def test_one_dispatch_for_a_pair_of_lists(cat):
    """Catalog.run_pair and the 名单对比 page both run a pair through matching.pairs.run_pair: each kind gives
    the library's own result for the same lists; an unknown kind is an error, not a silent compare."""
    from xueji_lib import handoff
    from xueji_lib.matching.pairs import PAIR_KINDS, run_pair

    assert {p.kind for p in cat.pairs} == set(PAIR_KINDS)
    for pair in cat.pairs:
        left, right = cat.frame(pair.left), cat.frame(pair.right)
        extra = cat.frame(pair.extra) if pair.extra else None
        if pair.kind == "reconcile":
            want = reconcile(left, right, year=pair.year, category=pair.category, states=extra)
        elif pair.kind == "compare":
            want = compare(left, right, changes=extra, old_name=pair.left, new_name=pair.right)
        else:
            want = handoff(left, right, graduates_name=pair.left, intake_name=pair.right)
        got = cat.run_pair(pair)
        assert type(got) is type(want) and got.counts == want.counts and got.summary() == want.summary()
    with pytest.raises(XuejiError, match="不认识的对比方式 'merge'"):
        run_pair("merge", left, right)


def test_a_sheet_of_no_known_layout_is_searched_by_its_headers(tmp_path):
    from xueji_lib.core.ids import check_char

    d = tmp_path / "data"
    d.mkdir()
    body = "11010519900101123"
    id18 = body + check_char(pd.Series([body])).iloc[0]
    (d / "教师子女名单.csv").write_text(f"序号,姓名,身份证号,备注\n1,王小明,{id18},\n2,赵六,,无证件\n", "utf-8")
    cat = Catalog(d).refresh()
    assert not cat.problems and cat.datasets["教师子女名单.csv"].layout is None
    hits, _, _ = cat.search(body[:6] + body[8:17])  # the old 15-digit form of the same number
    assert list(zip(hits["dataset"], hits["row"])) == [("教师子女名单.csv", 1)]
    assert cat.search("小明")[1] == 1
    card = cat.card("教师子女名单.csv", 1)
    assert id18 not in card.fields.to_string() and "王小明" in card.fields.to_string()


def test_cache_is_rebuilt_when_a_file_changes(tmp_path):
    d = tmp_path / "data"
    (d / "k12").mkdir(parents=True)
    src = SAMPLES / "k12" / "学生名单_2026春.xlsx"
    shutil.copy(src, d / "k12" / "a.xlsx")
    cat = Catalog(d).refresh()
    meta = cat.datasets["k12/a.xlsx"].cache / "meta.json"
    stamp = meta.stat().st_mtime_ns
    Catalog(d).refresh()  # nothing changed: not rebuilt
    assert meta.stat().st_mtime_ns == stamp
    shutil.copy(SAMPLES / "k12" / "毕业生_2026.xlsx", d / "k12" / "a.xlsx")
    os.utime(d / "k12" / "a.xlsx", ns=(time.time_ns(), time.time_ns()))
    opened = Catalog(d).open()  # a kernel opening the cache is told the file changed
    assert any("改动过" in msg for name, msg in opened.problems if name == "k12/a.xlsx")
    cat = Catalog(d).open(refresh=True)  # what a dashboard page's kernel does: brings it up to date
    assert cat.datasets["k12/a.xlsx"].records == 277
    assert not cat.problems
    shutil.copy(SAMPLES / "k12" / "新生_2026秋.xlsx", d / "k12" / "b.xlsx")  # a file added while serving
    assert set(Catalog(d).open(refresh=True).datasets) == {"k12/a.xlsx", "k12/b.xlsx"}
    assert set(Catalog(d).open().datasets) == {"k12/a.xlsx", "k12/b.xlsx"}


def test_config_file_pairs_and_bad_config(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(SAMPLES / "k12", d / "k12")
    (d / "xueji.yml").write_text(
        "pairs:\n  - {kind: compare, old: k12/学生名单_2025秋.xlsx, new: k12/学生名单_2026春_gbk.csv}\n", "utf-8"
    )
    cat = Catalog(d).refresh()
    assert [(p.kind, p.left, p.right) for p in cat.pairs] == [
        ("compare", "k12/学生名单_2025秋.xlsx", "k12/学生名单_2026春_gbk.csv")
    ]
    (d / "xueji.yml").write_text(
        "pairs:\n  - {kind: compare, old: ../../etc/passwd, new: k12/新生_2026秋.xlsx}\n", "utf-8"
    )
    with pytest.raises(XuejiError, match="不是数据目录里读得出的文件"):
        Catalog(d).refresh()
    with pytest.raises(XuejiError, match="不存在"):
        Catalog(tmp_path / "nowhere")


def test_audit_log_has_no_personal_values(tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_X_REMOTE_USER", "forged.by.anyone")  # a request header: never believed as such
    monkeypatch.setenv("HTTP_X_XUEJI_USER", "zhang.clerk")  # what the server decided (from a trusted proxy)
    log = AuditLog(tmp_path / "audit.jsonl", page="学生查询")
    log.write("search", how="按证件号、考生号、学号、学籍号查找", hits=3)
    log.write("view", dataset="hei/10_注册上报.dbf", row=5, masked=True)
    lines = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text("utf-8").splitlines()]
    assert [x["action"] for x in lines] == ["search", "view"]
    assert lines[0]["user"] == "zhang.clerk" and lines[1]["row"] == 5 and lines[0]["time"]


def test_voila_command_is_locked_down(tmp_path):
    argv, env = voila_command(tmp_path, port=9999, token="t0k", cache_dir=tmp_path / "c")
    joined = " ".join(argv)
    for flag in (
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--show_tracebacks=False",
        "--preheat_kernel=True",
        "--MappingKernelManager.cull_idle_timeout=",
        "--template=xueji",
    ):
        assert flag in joined
    allow = [a for a in argv if a.startswith("--VoilaConfiguration.file_allowlist=")]
    assert len(allow) == 1 and "dbf" not in allow[0] and "xlsx" not in allow[0] and "csv" not in allow[0]
    assert env["XUEJI_DATA_DIR"] == str(tmp_path.resolve())
    # the token in the environment (owner-only /proc/<pid>/environ), never on the command line
    assert env["XUEJI_DASHBOARD_TOKEN"] == "t0k" and not any("t0k" in a for a in argv)
    tpl = offline_template(tmp_path / "j")
    for f in tpl.glob("*.j2"):
        assert "cdn.jsdelivr" not in f.read_text("utf-8")
    assert "cdn.jsdelivr" not in (tpl / "page.html").read_text("utf-8")


def test_xueji_outputs_in_the_data_folder_are_not_read_as_lists(tmp_path):
    """Issue 15 §9: results.csv, 校验通过.dbf, 数据有误.dbf … written by xueji into the data folder were catalogued
    as student lists, so a student appeared several times. A folder's summary.json says which files a run
    wrote: those are left out, and the catalogue says so."""
    import subprocess
    import sys

    from xueji_lib.apps.catalog import Catalog

    data = tmp_path / "data"
    (data / "hei").mkdir(parents=True)
    src = Path(__file__).resolve().parent.parent / "data_samples" / "hei" / "10_注册上报.dbf"
    (data / "hei" / "注册上报.dbf").write_bytes(src.read_bytes())
    xueji = str(Path(sys.executable).with_name("xueji"))
    out = data / "hei" / "校验结果"
    proc = subprocess.run(
        [
            xueji,
            "validate",
            str(data / "hei" / "注册上报.dbf"),
            "--out",
            str(out),
            "--year",
            "2026",
            "--category",
            "10",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr
    written = {p.name for p in out.iterdir()}
    assert {"summary.json", "校验结果.xlsx", "校验通过.dbf"} <= written
    cat = Catalog(data, tmp_path / "cache").refresh()
    assert list(cat.datasets) == ["hei/注册上报.dbf"]
    assert {p.name for p in cat.output_files} == {n for n in written if n != "summary.json" and not n.endswith(".json")}
    assert any(name == "hei/校验结果/" and "是 xueji 的输出" in text for name, text in cat.problems)
    # one student, one hit
    reg = read_dbf(src)
    hits, total, _ = cat.search(str(reg["KSH"].iloc[0]))
    assert total == 1


def test_hits_and_cards_name_the_row_a_person_finds_in_the_file(cat, folder):
    """Issue 15 §2: a hit in a workbook names its Excel row (header in row 1: the first pupil is row 2), the
    card's heading and its findings and statuses too; a DBF's record number stays the record number."""
    roster, _ = load_dataset(folder / "k12" / "学生名单_2026春.xlsx")
    xjh = str(roster["XJH"].iloc[9])
    hits, _, _ = cat.search(xjh)
    desc = cat.describe_hits(hits)
    mine = desc[desc["文件"] == "k12/学生名单_2026春.xlsx"]
    assert mine["行号"].tolist() == [11]  # the 10th record: spreadsheet row 11
    card = cat.card("k12/学生名单_2026春.xlsx", 10)
    assert card.file_rows[card.records.index(("k12/学生名单_2026春.xlsx", 10))] == 11
    assert "k12/学生名单_2026春.xlsx 第11行" in card.fields.columns[0] or any(
        "学生名单_2026春.xlsx 第11行" in c for c in card.fields.columns
    )
    if len(card.statuses):
        assert 11 in set(card.statuses.loc[card.statuses["文件"] == "k12/学生名单_2026春.xlsx", "行号"])
    _reg, row, _rec = _student(folder)
    dbf = cat.describe_hits(pd.DataFrame({"dataset": ["hei/10_注册上报.dbf"], "row": [row], "matched": ["考生号"]}))
    assert dbf["行号"].tolist() == [row]
    # results computed over the cached frame (the 名单对比 page) name the same rows
    frame = cat.frame("k12/学生名单_2026春.xlsx")
    assert xj.validate(frame).list("问题明细").frame()["行号"].min() >= 2


def test_card_finds_a_photo_filed_in_a_class_folder(tmp_path):
    """004 asks schools to file photos in “xx级xxx班” folders: the student card finds them there too."""
    d = tmp_path / "data"
    (d / "hei" / "photos" / "2026级软件2601班").mkdir(parents=True)
    shutil.copy(SAMPLES / "hei" / "10_注册上报.dbf", d / "hei" / "10_注册上报.dbf")
    reg = xj.read_dbf(d / "hei" / "10_注册上报.dbf")
    sfzh = str(reg["SFZH"].iloc[0]).strip()
    src = next(p for p in sorted((SAMPLES / "hei" / "photos").rglob("*.jpg")) if p.stat().st_size > 5000)
    shutil.copy(src, d / "hei" / "photos" / "2026级软件2601班" / f"{sfzh}.jpg")
    cat = Catalog(d, tmp_path / "cache").refresh()
    card = cat.card("hei/10_注册上报.dbf", 1)
    assert card.photo is not None and card.photo.parent.name == "2026级软件2601班"
