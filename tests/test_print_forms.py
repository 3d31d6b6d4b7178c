"""xueji print / reporting.forms: the PDFs read back (pypdf text) and a page rendered (pypdfium2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.apps.cli import main
from xueji_lib.core.errors import XuejiError
from xueji_lib.reporting.fonts import FONT_PATH, LICENSE_PATH
from xueji_lib.reporting.forms import FORM_TITLE, LIST_TITLE, print_forms

pypdf = pytest.importorskip("pypdf")
pdfium = pytest.importorskip("pypdfium2")

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"
HEI = SAMPLES / "hei" / "10_注册上报.dbf"
K12 = SAMPLES / "k12" / "学生名单_2026春.xlsx"


def _pages(path: Path) -> list[str]:
    return [p.extract_text() or "" for p in pypdf.PdfReader(str(path)).pages]


@pytest.fixture(scope="module")
def hei_run(tmp_path_factory):
    """The class 软件2601 of the registration upload, with the photo folder, through the command."""
    out = tmp_path_factory.mktemp("print") / "核对表"
    log = out.parent / "audit.jsonl"
    code = main(
        [
            "print",
            str(HEI),
            "--where",
            "班号=软件2601",
            "--photos",
            str(SAMPLES / "hei" / "photos"),
            "--out",
            str(out),
            "--audit-log",
            str(log),
        ]
    )
    assert code == 0
    return out, log


def test_every_student_of_the_class_once_with_signatures_and_page_numbers(hei_run):
    out, _ = hei_run
    pdf = out / "学生信息核对表.pdf"
    reg = xj.read_dbf(HEI)
    klass = reg[reg["BH"].str.strip() == "软件2601"]
    pages = _pages(pdf)
    forms = [t for t in pages if FORM_TITLE in t]
    lists = [t for t in pages if LIST_TITLE in t and FORM_TITLE not in t]
    assert len(forms) == len(klass) == 32  # one form per student
    for name, ksh in zip(klass["XM"].str.strip(), klass["KSH"].str.strip()):
        assert sum(f"姓名：{name}" in t for t in forms) >= 1
        assert sum(ksh in t for t in forms) == 1  # the 考生号 on exactly one form
        assert sum(ksh in t for t in lists) == 1  # and once on the class list
    # the class list: every page numbered "第 x 页 共 y 页" with y the class's pages, signature lines at the foot
    n = len(lists)
    assert n >= 1
    for i, t in enumerate(lists, 1):
        assert f"第 {i} 页 共 {n} 页" in t
        for who in ("班主任", "学籍管理员", "主管领导", "日期"):
            assert who in t
        assert "学校：华夏示范大学" in t and "班号：软件2601" in t
    for t in forms:
        for who in ("学生/家长签字", "班主任", "学籍管理员", "主管领导", "日期", "更正为"):
            assert who in t
    # code values as label and code; full values (the form is for the family to check)
    sfzh = klass["SFZH"].str.strip().iloc[0]
    assert any(sfzh in t for t in forms)
    assert any("汉族（01）" in t for t in forms)
    # A4
    for page in pypdf.PdfReader(str(pdf)).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


def test_photos_summary_and_audit(hei_run):
    out, log = hei_run
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["students"] == 32 and summary["classes"] == 1
    assert 25 <= summary["photos_found"] < 32  # the class's photos, less the missing and the unusable ones
    entry = json.loads(log.read_text("utf-8").strip().splitlines()[-1])
    assert entry["action"] == "打印核对表" and entry["students"] == 32 and entry["client"] == "命令行"
    assert entry["classes"] == ["华夏示范大学/软件工程/软件2601"]
    text = log.read_text("utf-8")
    reg = xj.read_dbf(HEI)
    for value in reg.loc[reg["BH"].str.strip() == "软件2601", ["XM", "SFZH"]].stack().str.strip():
        assert value not in text  # never a personal value in the log
    # the photo is drawn: the first form page has an image, and the rendered box is not blank
    reader = pypdf.PdfReader(str(out / "学生信息核对表.pdf"))
    form_pages = [i for i, p in enumerate(reader.pages) if FORM_TITLE in (p.extract_text() or "")]
    with_images = [i for i in form_pages if reader.pages[i].images]
    assert len(with_images) == summary["photos_found"]


def test_rendered_page_shows_text_and_rare_characters(tmp_path):
    """䶮 (Ext-A) and 𬌗 (Ext-E) print from the bundled font: in the extracted text, and as ink on the page."""
    reg = xj.read_dbf(HEI)
    row = reg[reg["XM"].str.contains("䶮", na=False)]
    assert len(row) == 1
    df = pd.concat([row, row.assign(XM="王𬌗", KSH="26000000000001")], ignore_index=True)
    res = print_forms(df, tmp_path, layout="chsi_registration")
    assert len(res.missing_chars) == 0
    text = "\n".join(_pages(res.files[0]))
    assert "䶮" in text and "𬌗" in text
    doc = pdfium.PdfDocument(str(res.files[0]))
    w, h = doc[1].get_size()
    assert (round(w), round(h)) == (595, 842)
    img = np.asarray(doc[1].render(scale=1).to_pil().convert("L"))
    assert (img < 128).mean() > 0.01  # lines and text drawn
    top = img[: img.shape[0] // 10]
    assert (top < 128).any()  # the title


def test_k12_roster_sorted_by_school_grade_class_per_school(tmp_path):
    roster = xj.read_table(K12, "k12_student")
    res = print_forms(
        roster, tmp_path, layout="k12_student", where=["学校名称=示范县第一小学,示范县星河小学"], per_school=True
    )
    assert sorted(p.name for p in res.files) == [
        "学生信息核对表_示范县星河小学.pdf",
        "学生信息核对表_示范县第一小学.pdf",
    ]
    want = roster["XXMC"].isin(["示范县第一小学", "示范县星河小学"]).sum()
    assert res.students == want == sum(res.by_school.values())
    pages = _pages(tmp_path / "学生信息核对表_示范县第一小学.pdf")
    heads = [re.search(r"年级：(\S+)\s+班级：(\S+)", t).groups() for t in pages if LIST_TITLE in t]
    grades = [g for g, _ in heads]
    assert grades == sorted(grades, key=lambda g: re.search(r"（(\d+)）", g).group(1))  # 一年级 … 六年级
    forms = [t for t in pages if FORM_TITLE in t]
    assert len(forms) == roster["XXMC"].eq("示范县第一小学").sum()
    assert any("民族" in t and "（01）" in t for t in forms)


def test_hostile_input(tmp_path):
    reg = xj.read_dbf(HEI)
    with pytest.raises(XuejiError, match="没有记录"):
        print_forms(reg.iloc[:0], tmp_path / "a", layout="chsi_registration")
    with pytest.raises(XuejiError, match="没有选中任何学生"):
        print_forms(reg, tmp_path / "b", layout="chsi_registration", where=["BH=不存在的班"])
    with pytest.raises(XuejiError, match="没有字段"):
        print_forms(reg, tmp_path / "c", layout="chsi_registration", where=["宿舍=1"])
    # one student, a 2,000-character value, a character the font lacks, no photo in the folder
    one = reg.iloc[[0]].copy()
    one["BZ"] = "很长的备注" * 400
    one["XM"] = "李\U000f0001"  # a private-use character: no font has it
    res = print_forms(one, tmp_path / "d", layout="chsi_registration", photos=SAMPLES / "hei" / "photos")
    assert res.students == 1 and res.classes == 1 and res.photos_missing == 1
    assert res.missing_chars["codepoint"].tolist() == ["U+F0001"]
    text = "\n".join(_pages(res.files[0]))
    assert "〔U+F0001〕" in text and "无照片" in text
    assert "全文见本表附页" in text and "附页" in text
    assert re.sub(r"\s", "", text).count("很长的备注") >= 400  # all of it printed (appendix), nothing cut
    for page in pypdf.PdfReader(str(res.files[0])).pages:
        assert round(float(page.mediabox.width)) == 595


def test_command_errors_are_chinese(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("姓名,性别\n", encoding="utf-8")
    assert main(["print", str(empty), "--out", str(tmp_path / "o"), "--audit-log", str(tmp_path / "a.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "没有记录" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    assert main(["print", str(HEI), "--where", "BH=无此班", "--out", str(tmp_path / "p")]) == 2
    assert "没有选中任何学生" in capsys.readouterr().err


def test_the_bundled_font():
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONT_PATH), lazy=True)
    cmap = font.getBestCmap()
    for ch in "䶮𬌗喆堃淼犇昇玥珺赟，。（）：０Ａ①√□":
        assert ord(ch) in cmap, ch
    gb2312 = []
    for a in range(0xB0, 0xF8):  # the 6,763 hanzi of GB 2312
        for b in range(0xA1, 0xFF):
            try:
                gb2312.append(bytes((a, b)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    assert len(gb2312) > 6700 and all(ord(c) in cmap for c in gb2312)
    assert "SIL OPEN FONT LICENSE Version 1.1" in LICENSE_PATH.read_text("utf-8")
    assert FONT_PATH.stat().st_size < 12_000_000
