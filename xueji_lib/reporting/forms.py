"""Printed forms for checking and signature (issue 17 §1): a roster as an A4 PDF.

    >>> import xueji_lib as xj
    >>> from xueji_lib.reporting.forms import print_forms
    >>> roster = xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student")      # doctest: +SKIP
    >>> res = print_forms(roster, "打印", layout="k12_student", where={"班级": ["1班"]})    # doctest: +SKIP
    >>> print(res.summary())                                                               # doctest: +SKIP

For every class (学校 → 年级 → 班级; for a university list 学校 → 院系 → 专业 → 班号) the PDF holds the class
list — 学籍信息核对表: one row per student with the main fields and a column for the signature, a header with
the school, grade and class on every page, "第 x 页 共 y 页", the signature block 班主任 / 学籍管理员 /
主管领导 / 日期 at the foot — followed by one 学生基本信息核对表 per student: every field of the layout with its
Chinese name and value (a coded value as its label with the code: "汉族（01）"), the photo when a photo folder is
given (found as ``xueji photos`` finds it: named by the 身份证号 / 考生号 / 学号 / 学籍号, class folders included),
a box per field for the correction, and signature lines for 学生/家长, 班主任, 学籍管理员, 主管领导 and the date
(seed 004: "按格式打印学生数据…由学生和家长签字确认", "经家长确认后的学生信息表格，须由班主任、学校学籍管理员和学校学籍
主管领导审核确认并签字").

The forms exist for a family to check its own data, so they carry the **full** values (no masking): whoever
makes them says so (``audit``: ``xueji print`` writes who, when, which list and classes and how many students
to the audit log — never a value).

The font is the bundled subset of Noto Sans CJK SC (``reporting/fonts``); each PDF embeds only the glyphs it
uses. A character the font lacks is printed as ``〔U+XXXX〕`` and listed in ``PrintResult.missing_chars`` (row,
field, code point), never as a silent box. Long values wrap inside their cell.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import XuejiError
from ..core.files import safe_file_name
from ..core.normalize import as_text, key_text
from ..core.rows import row_word, shown_rows
from ..schema.codes import load_code_table
from ..schema.layouts import Layout, LayoutField, load_layout
from .fonts import FONT_PATH

__all__ = ["PrintResult", "print_forms", "class_groups", "parse_where", "FORM_TITLE", "LIST_TITLE"]

FORM_TITLE = "学生基本信息核对表"
LIST_TITLE = "学籍信息核对表"
SIGNERS = ("学生/家长签字", "班主任", "学籍管理员", "主管领导")
MISSING_MARK = "〔U+{:04X}〕"
NONE_TEXT = "（未填）"

# the levels a list is sorted and split by: (what the header calls it, the fields that may hold it)
K12_LEVELS = (("学校", ("XXMC", "XXBSM")), ("年级", ("NJ",)), ("班级", ("BJ", "BH")))
HEI_LEVELS = (("学校", ("YXMC", "YXDM")), ("院系", ("XSH", "FY")), ("专业", ("ZYMC", "ZYDM")), ("班号", ("BH", "BJ")))
# the class list's columns, the first field of each tuple the list has (with its header)
LIST_COLUMNS = (
    (("BNXH", "XH"), None, 1.0),
    (("XM",), None, 1.3),
    (("XB",), None, 0.6),
    (("CSRQ",), None, 1.1),
    (("MZ",), None, 0.9),
    (("SFZJH", "SFZH"), None, 2.0),
    (("XJH", "KSH"), None, 2.0),
)
PHOTO_KEYS = ("SFZH", "SFZJH", "KSH", "XH", "XJH")

# the page (mm): A4 portrait
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 12.0
LABEL_PT, VALUE_PT, LINE_MM = 8.0, 8.5, 3.5
MAX_CELL_LINES = 8  # a longer value is cut there and printed in full on an appendix page


@dataclass
class PrintResult:
    """What ``print_forms`` wrote: ``files`` (the PDFs), the students, classes and pages printed, the schools
    (``by_school``: school → students), the photos found, and ``missing_chars`` (row, field, char, codepoint: the
    characters the font lacks, printed as 〔U+XXXX〕).

        >>> res = xj.print_forms(xj.read_dbf("data_samples/hei/10_注册上报.dbf"), "核对表",   # doctest: +SKIP
        ...                      layout="chsi_registration", where=["BH=软件2601"])
        >>> res.students, res.classes, [p.name for p in res.files]                        # doctest: +SKIP
        (32, 1, ['学生信息核对表.pdf'])
    """

    files: list[Path]
    students: int
    classes: int
    pages: int
    by_school: dict[str, int]
    class_names: list[str]
    photos_found: int = 0
    photos_missing: int = 0
    photo_folder: str = ""
    missing_chars: pd.DataFrame = field(default_factory=lambda: _missing_frame([]))
    layout: str = ""
    params: dict = field(default_factory=dict)

    def summary(self) -> str:
        """A few Chinese lines: what was printed, where, and what needs attention."""
        lines = [
            f"打印：{self.students} 名学生、{self.classes} 个班级、{len(self.by_school)} 所学校，共 {self.pages} 页 A4"
            f"（每班一份{LIST_TITLE}，每名学生一份{FORM_TITLE}）",
        ]
        if self.photo_folder:
            lines.append(
                f"照片：找到 {self.photos_found} 张，{self.photos_missing} 名学生没有照片（照片框中注明“无照片”）"
            )
        if len(self.missing_chars):
            chars = self.missing_chars.drop_duplicates("codepoint")
            lines.append(
                f"注意：字体中没有 {len(chars)} 个字符（{'、'.join(chars['codepoint'].head(10))}），"
                f"共 {len(self.missing_chars)} 处，已印成 〔U+编码〕，请在纸上手写更正"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The counts (no personal value), for summary.json and the audit log."""
        return {
            "students": self.students,
            "classes": self.classes,
            "pages": self.pages,
            "schools": dict(self.by_school),
            "files": [p.name for p in self.files],
            "photos_found": self.photos_found,
            "photos_missing": self.photos_missing,
            "missing_chars": int(len(self.missing_chars)),
            "layout": self.layout,
        }


def _missing_frame(rows: list) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row", "field", "char", "codepoint"]).astype(
        {"row": "int64", "field": "str", "char": "str", "codepoint": "str"}
    )


# ------------------------------------------------------------------------------------------------ the list


def _column(df: pd.DataFrame, code: str):
    if code in df.columns:
        return code
    return {str(c).upper(): c for c in df.columns}.get(code.upper())


def _levels(df: pd.DataFrame, lay: Layout | None) -> list[tuple[str, object]]:
    """The (header word, column) the list is split by, from the layout's kind (a layout of unknown kind: the
    levels whose fields the list has)."""
    table = HEI_LEVELS if lay is not None and lay.category == "higher_ed" else K12_LEVELS
    if lay is None or lay.category not in ("higher_ed", "k12"):
        have_hei = any(_column(df, c) is not None for c in ("YXMC", "YXDM", "ZYMC"))
        table = HEI_LEVELS if have_hei else K12_LEVELS
    out = []
    for word, codes in table:
        col = next((c for c in (_column(df, code) for code in codes) if c is not None), None)
        if col is not None:
            out.append((word, col))
    return out


def _field_of(lay: Layout | None, code: object) -> LayoutField | None:
    if lay is None:
        return None
    try:
        return lay.field(str(code))
    except KeyError:
        return None


def _natural_key(values: pd.Series) -> pd.Series:
    """Sort key text in which the numbers sort by value ("2班" before "10班")."""
    return values.fillna("").astype(str).str.replace(r"\d+", lambda m: m.group(0).zfill(8), regex=True)


def _display(df: pd.DataFrame, lay: Layout | None, col) -> pd.Series:
    """A column as printed: text, blanks trimmed; a coded value as its label with the code ("汉族（01）")."""
    s = as_text(df[col]).fillna("").str.strip()
    f = _field_of(lay, col)
    if f is not None and f.codes:
        try:
            table = load_code_table(f.codes)
        except XuejiError:
            return s
        codes, labels = table.to_code(s), table.to_label(s)
        known = codes.notna() & labels.notna()
        both = labels.fillna("") + "（" + codes.fillna("") + "）"
        same = known & (codes == labels)
        s = s.where(~known, both.where(~same, labels))
    return s


def _short(value: str) -> str:
    """A printed code value without its code, for the class list's narrow columns ("汉族（01）" → "汉族")."""
    return re.sub(r"（[0-9A-Za-z]{1,6}）$", "", value) if value.endswith("）") else value


def class_groups(df: pd.DataFrame, layout: str | Layout | None = None) -> pd.DataFrame:
    """One row per student: the positions in ``df`` sorted 学校 → 年级 → 班级 (→ 班内学号/学号 → 姓名), with the
    printed value of each level (``学校``, ``年级``, ``班级`` or ``院系``, ``专业``, ``班号``) and ``class`` (the
    class's number, 0, 1, … in print order).

    >>> g = class_groups(xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student"), "k12_student")
    >>> list(g.columns)[:4], g["class"].max() + 1 > 8
    (['pos', '学校', '年级', '班级'], True)
    """
    lay = load_layout(layout) if layout is not None else None
    levels = _levels(df, lay)
    out = pd.DataFrame({"pos": np.arange(len(df), dtype=np.int64)})
    keys: list[str] = []
    level_key_names: set[str] = set()
    for word, col in levels:
        shown = _display(df, lay, col).reset_index(drop=True)
        if word != "学校" and len(shown) and not (shown != "").any():
            continue  # a level nobody filled in (院系 of a list without it) is not a level
        out[word] = shown.where(shown != "", NONE_TEXT)
        f = _field_of(lay, col)
        key = shown
        if f is not None and f.codes:  # 一年级 before 二年级: by the code
            try:
                key = load_code_table(f.codes).to_code(as_text(df[col]).reset_index(drop=True)).fillna(shown)
            except XuejiError:
                pass
        out[f"_k{len(keys)}"] = _natural_key(key)
        level_key_names.add(f"_k{len(keys)}")
        keys.append(f"_k{len(keys)}")
    for code in ("BNXH", "XH", "XM"):
        col = _column(df, code)
        if col is not None:
            out[f"_k{len(keys)}"] = _natural_key(as_text(df[col]).reset_index(drop=True).str.strip())
            keys.append(f"_k{len(keys)}")
    out = out.sort_values(keys + ["pos"], kind="stable") if keys else out
    level_keys = [k for k in keys if k in level_key_names]
    if level_keys:
        out["class"] = out.groupby(level_keys, sort=False).ngroup().to_numpy()
        # ngroup numbers by first appearance in the sorted frame: print order
    else:
        out["class"] = 0
    return out.drop(columns=keys).reset_index(drop=True)


def parse_where(
    items: Iterable[str] | Mapping[str, Sequence[str]] | None, df: pd.DataFrame, lay: Layout | None
) -> dict:
    """``--where`` conditions (``班级=1班,2班`` or ``BJ=1班``; several: all must hold) as {column: values}; a field
    is named by its code or its Chinese name (the layout's, or a level word: 学校, 年级, 班级, 院系, 专业, 班号)."""
    if not items:
        return {}
    pairs = list(items.items()) if isinstance(items, Mapping) else []
    if not isinstance(items, Mapping):
        for item in items:
            name, eq, values = str(item).partition("=")
            if not eq or not name.strip() or not values.strip():
                raise XuejiError(f"--where {item} 不对：应写成 字段=值1,值2，如 班级=1班,2班 或 BJ=1班")
            pairs.append((name, [v for v in re.split(r"[,，、]", values) if v.strip()]))
    out: dict = {}
    words = dict(_levels(df, lay))
    for name, values in pairs:
        name = str(name).strip()
        col = _column(df, name) or words.get(name)
        if col is None and lay is not None:
            code = next((f.code for f in lay.fields if f.name == name), None)
            col = _column(df, code) if code else None
        if col is None:
            fields = "、".join(f"{c}（{f.name}）" if (f := _field_of(lay, c)) else str(c) for c in df.columns[:40])
            raise XuejiError(f"--where：名单中没有字段“{name}”。名单的字段有：{fields}")
        vals = [str(v).strip() for v in ([values] if isinstance(values, str) else values)]
        out[col] = out.get(col, []) + vals
    return out


def _where_mask(df: pd.DataFrame, lay: Layout | None, where: dict) -> np.ndarray:
    mask = np.ones(len(df), dtype=bool)
    for col, values in where.items():
        raw = as_text(df[col]).fillna("").str.strip()
        shown = _display(df, lay, col)
        want = set(values)
        hit = raw.isin(want) | shown.isin(want)
        f = _field_of(lay, col)
        if f is not None and f.codes:  # 一年级 = 11 = 一年级（11）
            try:
                table = load_code_table(f.codes)
                codes = {table.lookup(v).code for v in values if table.lookup(v) is not None}
                hit = hit | table.to_code(raw).isin(codes)
            except XuejiError:
                pass
        mask &= hit.to_numpy(dtype=bool)
    return mask


# ------------------------------------------------------------------------------------------------ the font


@cache
def _font_metrics(path: str) -> tuple[frozenset, dict]:
    """The code points the font has and their advance widths (per 1000 em)."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, lazy=True)
    cmap = font.getBestCmap()
    hmtx = font["hmtx"].metrics
    scale = 1000 / font["head"].unitsPerEm
    widths = {cp: hmtx[g][0] * scale for cp, g in cmap.items()}
    return frozenset(cmap), widths


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Text:
    """Text made printable and measured: characters the font lacks become 〔U+XXXX〕 (and are recorded)."""

    def __init__(self, font_path: Path):
        self.have, self.widths = _font_metrics(str(font_path))
        self.missing: list[tuple[int, str, str, str]] = []

    def missing_in(self, values: Iterable[str]) -> set[str]:
        chars = set("".join(values))
        return {c for c in chars if ord(c) not in self.have and c not in "\r\n\t"}

    def clean(self, text: str, lacking: set[str] | None = None, row: int = 0, field_name: str = "") -> str:
        text = _CONTROL.sub("", unicodedata.normalize("NFC", text)).replace("\r\n", " ").replace("\n", " ")
        text = text.replace("\t", " ").replace("\r", " ")
        if lacking and any(c in lacking for c in text):
            out = []
            for c in text:
                if c in lacking:
                    out.append(MISSING_MARK.format(ord(c)))
                    self.missing.append((row, field_name, c, f"U+{ord(c):04X}"))
                else:
                    out.append(c)
            text = "".join(out)
        return text

    def width(self, text: str, pt: float) -> float:
        """Width in mm at ``pt`` points."""
        w = self.widths
        return sum(w.get(ord(c), 1000.0) for c in text) * pt * 0.001 * 25.4 / 72

    def wrap(self, text: str, width_mm: float, pt: float) -> list[str]:
        """``text`` in lines no wider than ``width_mm`` (broken anywhere: a long number or address too)."""
        if not text:
            return [""]
        if len(text) * pt * 25.4 / 72 <= width_mm or self.width(text, pt) <= width_mm:
            return [text]
        limit = width_mm * 1000 * 72 / 25.4 / pt
        lines, cur, acc = [], [], 0.0
        w = self.widths
        for c in text:
            cw = w.get(ord(c), 1000.0)
            if cur and acc + cw > limit:
                lines.append("".join(cur))
                cur, acc = [], 0.0
            cur.append(c)
            acc += cw
        if cur:
            lines.append("".join(cur))
        return lines


# ------------------------------------------------------------------------------------------------ drawing


class _Doc:
    """An fpdf2 document on A4 in mm with the bundled font. Text, lines and boxes of a page are collected and
    written as one block of PDF operators when the page is done (a form has a few hundred: fpdf2's per-call
    bookkeeping would cost more than the drawing); the page's title goes through fpdf2, which registers the
    font on the page."""

    def __init__(self, text: _Text, title: str):
        from fpdf import FPDF

        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.add_font("xjsans", "", str(FONT_PATH))
        pdf.set_font("xjsans", size=15)
        pdf.set_line_width(0.2)
        pdf.set_title(title)
        pdf.set_creator("xueji")
        pdf.set_lang("zh-CN")
        self.pdf, self.text = pdf, text
        self.font = pdf.current_font
        self.k, self.h = pdf.k, pdf.h
        self.ops: list[str] = []

    def flush(self) -> None:
        if self.ops:
            self.pdf._out("\n".join(self.ops))
            self.ops.clear()
            self.pdf.current_font_is_set_on_page = False  # the operators above set sizes of their own

    def new_page(self, title: str) -> None:
        self.flush()
        self.pdf.add_page()
        self.pdf.set_font_size(15)
        w = self.text.width(title, 15)
        self.pdf.text((PAGE_W - w) / 2, MARGIN + 15 * 0.3528 * 0.88, title)

    def put(self, x: float, y: float, s: str, pt: float) -> None:
        """``s`` with its top-left corner at (x, y)."""
        if s:
            k = self.k
            yb = self.h - (y + pt * 0.3528 * 0.88)
            self.ops.append(f"BT /F{self.font.i} {pt:.2f} Tf {x * k:.2f} {yb * k:.2f} Td {self.font.encode_text(s)} ET")

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        k = self.k
        self.ops.append(f"{x * k:.2f} {(self.h - y) * k:.2f} {w * k:.2f} {-h * k:.2f} re S")

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        k, h = self.k, self.h
        self.ops.append(f"{x1 * k:.2f} {(h - y1) * k:.2f} m {x2 * k:.2f} {(h - y2) * k:.2f} l S")

    def centre(self, x: float, w: float, y: float, s: str, pt: float) -> None:
        self.put(x + max(0.0, (w - self.text.width(s, pt)) / 2), y, s, pt)

    def right(self, x_right: float, y: float, s: str, pt: float) -> None:
        self.put(x_right - self.text.width(s, pt), y, s, pt)

    def lines(self, x: float, y: float, lines: list[str], pt: float, lh: float) -> None:
        for i, s in enumerate(lines):
            self.put(x, y + i * lh, s, pt)

    def image(self, path: Path, x: float, y: float, w: float, h: float) -> None:
        self.flush()
        self.pdf.image(str(path), x=x, y=y, w=w, h=h, keep_aspect_ratio=True)

    def output(self, path: Path) -> None:
        self.flush()
        self.pdf.output(str(path))


def _photo_files(df: pd.DataFrame, folder: str | os.PathLike) -> list[Path | None]:
    """Each student's photo in ``folder`` and its class folders, matched by file name as ``xueji photos``
    matches it (checks.photos: the same listing and key matching; 身份证号, then 身份证件号, 考生号, 学号,
    学籍号 — whichever the list has)."""
    from ..checks import photos as ph

    found: list[Path | None] = [None] * len(df)
    roster = df.reset_index(drop=True)
    listed = None
    for key in PHOTO_KEYS:
        if _column(roster, key) is None:
            continue
        setup = ph._setup(roster, folder, key, "{key}", (".jpg", ".jpeg", ".png"), None)
        if listed is None:
            listed = ph._list_folder(setup.folder, 2)
        paths, sizes = listed[0], listed[1]
        norm = key_text(as_text(roster[setup.key_col]).reset_index(drop=True))
        files, cand = ph._file_keys(paths, sizes, norm, setup)
        fm = ph._assign_files(files, norm, cand)
        for k, plist in fm.rows_of_key.items():
            fl = fm.files_of_key.get(k, [])
            if not fl:
                continue
            rel = str(files.at[fl[0], "path"])
            for p in plist:
                if found[p] is None:
                    found[p] = setup.folder / rel
    return found


@dataclass
class _Page:
    """What goes on every page of a class: the level values and the class's title."""

    levels: list[tuple[str, str]]

    @property
    def header(self) -> str:
        return "　".join(f"{w}：{v}" for w, v in self.levels)


def _signature_block(doc: _Doc, y: float, with_student: bool) -> None:
    """The signature lines at ``y``: (学生/家长,) 班主任, 学籍管理员, 主管领导, then the date."""
    signers = SIGNERS if with_student else SIGNERS[1:]
    col = (PAGE_W - 2 * MARGIN) / len(signers)
    for i, who in enumerate(signers):
        x = MARGIN + i * col
        doc.put(x, y, f"{who}：", 9)
        doc.line(x + doc.text.width(f"{who}：", 9) + 0.5, y + 4.2, x + col - 3, y + 4.2)
    doc.put(MARGIN, y + 8, "日期：", 9)
    doc.put(MARGIN + 12, y + 8, "　　　　年　　月　　日", 9)
    doc.line(MARGIN + 10, y + 12.2, MARGIN + 60, y + 12.2)


SIGN_BLOCK_H = 16.0


def _list_pages(doc: _Doc, page: _Page, rows: list[list[str]], heads: list[str], weights: list[float]) -> int:
    """The class list: rows paginated (their heights known first, for "共 y 页"), drawn; returns the pages."""
    text = doc.text
    avail = PAGE_W - 2 * MARGIN
    sign_w = 30.0
    # each column as wide as its widest value (short codes and numbers on one line), the rest to 备注; when
    # that does not fit, by the weights (values wrap)
    need = [max([text.width(h, 8.5)] + [text.width(r[j], 8.5) for r in rows]) + 1.8 for j, h in enumerate(heads)]
    need[-1] = 18.0
    if sum(need) + sign_w <= avail:
        widths = need[:-1] + [avail - sign_w - sum(need[:-1])] + [sign_w]
    else:
        total = sum(weights)
        widths = [(avail - sign_w) * w / total for w in weights] + [sign_w]
    heads = heads + ["本人/家长签字"]
    pt, lh = 8.5, 3.6
    wrapped = [[text.wrap(v, w - 1.6, pt) for v, w in zip(r + [""], widths)] for r in rows]
    heights = [max(6.5, max(len(c) for c in cells) * lh + 2.2) for cells in wrapped]
    top, head_h = MARGIN + 22, 7.0
    bottom = PAGE_H - MARGIN - SIGN_BLOCK_H - 8
    pages: list[list[int]] = [[]]
    y = top + head_h
    for i, h in enumerate(heights):
        if pages[-1] and y + h > bottom:
            pages.append([])
            y = top + head_h
        pages[-1].append(i)
        y += h
    n = len(pages)
    for pno, idx in enumerate(pages, 1):
        doc.new_page(LIST_TITLE)
        doc.put(MARGIN, MARGIN + 10, page.header, 9.5)
        doc.right(PAGE_W - MARGIN, MARGIN + 16, f"第 {pno} 页 共 {n} 页", 9)
        doc.put(MARGIN, MARGIN + 16, f"本班 {len(rows)} 人；请逐项核对，无误签字，有误在备注中写明", 8)
        x = MARGIN
        for hd, w in zip(heads, widths):
            doc.rect(x, top, w, head_h)
            doc.centre(x, w, top + 1.8, hd, 8.5)
            x += w
        y = top + head_h
        for i in idx:
            x = MARGIN
            for cell, w in zip(wrapped[i], widths):
                doc.rect(x, y, w, heights[i])
                doc.lines(x + 0.8, y + 1.1, cell, pt, lh)
                x += w
            y += heights[i]
        _signature_block(doc, PAGE_H - MARGIN - SIGN_BLOCK_H, with_student=False)
    return n


def _form_pages(
    doc: _Doc,
    page: _Page,
    fields: list[tuple[str, str]],
    photo: Path | None,
    photo_asked: bool,
    seq: tuple[int, int],
    label_lines: list[list[str]],
) -> tuple[int, bool]:
    """One student's 学生基本信息核对表 (a second page when the fields do not fit); returns (pages, photo shown)."""
    text = doc.text
    half = (PAGE_W - 2 * MARGIN) / 2
    lw, cw = 25.0, 24.0
    vw = half - lw - cw
    n_rows = math.ceil(len(fields) / 2)
    left, right = fields[:n_rows], fields[n_rows:]
    cells = []  # per grid row: (left label lines, left value lines, right …)
    overflow: list[tuple[str, str]] = []  # values longer than a cell can hold: in full on a page of their own

    def fit(name: str, value: str) -> list[str]:
        lines = text.wrap(value, vw - 1.4, VALUE_PT)
        if len(lines) > MAX_CELL_LINES:
            overflow.append((name, value))
            lines = lines[: MAX_CELL_LINES - 1] + ["……（全文见本表附页）"]
        return lines

    for r in range(n_rows):
        lv = fit(*left[r])
        if r < len(right):
            rv = fit(*right[r])
            rl = label_lines[n_rows + r]
        else:
            rv, rl = [""], [""]
        ll = label_lines[r]
        h = max(len(ll), len(lv), len(rl), len(rv)) * LINE_MM + 1.6
        cells.append((ll, lv, rl, rv, h))
    # rows 6.6 mm high (room to write), lower when that keeps the form on one page
    room = PAGE_H - MARGIN - SIGN_BLOCK_H - 6 - (MARGIN + 6 + 34 + 2 + 5.6) - 22
    least = 6.6
    while least > 5.2 and sum(max(c[4], least) for c in cells) > room:
        least -= 0.2
    cells = [(a, b, c, d, max(h, least)) for a, b, c, d, h in cells]
    shown_photo = False
    pages = 0
    r = 0
    photo_w, photo_h = 26.0, 34.0
    while True:
        pages += 1
        doc.new_page(FORM_TITLE if pages == 1 else f"{FORM_TITLE}（续）")
        doc.put(MARGIN, MARGIN + 10, page.header, 9.5)
        name = next((v for k, v in fields if k == "姓名"), "")
        doc.put(MARGIN, MARGIN + 16, f"姓名：{name}　（本班第 {seq[0]} 人，共 {seq[1]} 人）", 9.5)
        doc.put(MARGIN, MARGIN + 22, "请逐项核对“登记内容”；有误的在“更正为”栏中填写正确内容，并在更正处签名", 8)
        y = MARGIN + 28
        if pages == 1:
            px, py = PAGE_W - MARGIN - photo_w, MARGIN + 6
            doc.rect(px, py, photo_w, photo_h)
            if photo is not None:
                try:
                    doc.image(photo, px + 0.5, py + 0.5, photo_w - 1, photo_h - 1)
                    shown_photo = True
                except Exception:  # an unreadable or unsupported image: said in the box, never a crash
                    doc.centre(px, photo_w, py + 15, "照片无法读取", 8)
            else:
                doc.centre(px, photo_w, py + 13, "无照片" if photo_asked else "照片", 8)
                if photo_asked:
                    doc.centre(px, photo_w, py + 18, "（请贴照片）", 7)
            y = max(y, py + photo_h + 2)
        # the header row
        for x0 in (MARGIN, MARGIN + half):
            for x, w, hd in ((x0, lw, "项目"), (x0 + lw, vw, "登记内容"), (x0 + lw + vw, cw, "更正为")):
                doc.rect(x, y, w, 5.6)
                doc.centre(x, w, y + 1.2, hd, 8)
        y += 5.6
        grid_top = y
        bottom = PAGE_H - MARGIN - SIGN_BLOCK_H - 6
        while r < n_rows and (y + cells[r][4] <= bottom or y <= MARGIN + 40):
            ll, lv, rl, rv, h = cells[r]
            doc.line(MARGIN, y + h, PAGE_W - MARGIN, y + h)
            for x0, lab, val in ((MARGIN, ll, lv), (MARGIN + half, rl, rv)):
                doc.lines(x0 + 0.7, y + 0.8, lab, LABEL_PT, LINE_MM)
                doc.lines(x0 + lw + 0.7, y + 0.8, val, VALUE_PT, LINE_MM)
            y += h
            r += 1
        for x in (MARGIN, MARGIN + lw, MARGIN + lw + vw, MARGIN + half, MARGIN + half + lw, MARGIN + half + lw + vw):
            doc.line(x, grid_top, x, y)
        doc.line(PAGE_W - MARGIN, grid_top, PAGE_W - MARGIN, y)
        if r >= n_rows:
            doc.put(MARGIN, y + 2, "其他需要说明的情况：", 8.5)
            doc.rect(MARGIN, y + 6.5, PAGE_W - 2 * MARGIN, max(6.0, min(14.0, bottom - y - 8)))
            _signature_block(doc, PAGE_H - MARGIN - SIGN_BLOCK_H, with_student=True)
            if overflow:
                pages += _appendix(doc, page, name, overflow)
            return pages, shown_photo
        doc.right(PAGE_W - MARGIN, PAGE_H - MARGIN - 4, "（接下页）", 8)


def _appendix(doc: _Doc, page: _Page, name: str, overflow: list[tuple[str, str]]) -> int:
    """The values too long for their cell, in full across the page width, on as many pages as they need."""
    width = PAGE_W - 2 * MARGIN
    lines: list[tuple[str, float]] = []
    for field_name, value in overflow:
        lines.append((f"{field_name}：", 9.5))
        lines += [(s, VALUE_PT) for s in doc.text.wrap(value, width, VALUE_PT)]
    pages, i = 0, 0
    while i < len(lines):
        pages += 1
        doc.new_page(f"{FORM_TITLE}（附页）")
        doc.put(MARGIN, MARGIN + 10, page.header, 9.5)
        doc.put(MARGIN, MARGIN + 16, f"姓名：{name}　以下各项内容较长，完整印在此处，请一并核对", 9.5)
        y = MARGIN + 24
        while i < len(lines) and y + LINE_MM <= PAGE_H - MARGIN - 8:
            doc.put(MARGIN, y, lines[i][0], lines[i][1])
            y += LINE_MM + 0.4
            i += 1
    return pages


# ------------------------------------------------------------------------------------------------ the whole


def _form_fields(df: pd.DataFrame, lay: Layout | None) -> list[tuple[object | None, str]]:
    """(column or None, Chinese name) for every field printed: the layout's fields in order (a field the list
    lacks is printed empty, to be filled in), then the list's other columns under their own names."""
    out: list[tuple[object | None, str]] = []
    seen = set()
    if lay is not None:
        for f in lay.fields:
            col = _column(df, f.code)
            out.append((col, f.name))
            if col is not None:
                seen.add(col)
    for c in df.columns:
        if c in seen or str(c).startswith("_") or str(c) in ("工作表",):
            continue
        f = _field_of(lay, c)
        out.append((c, f.name if f is not None else str(c)))
    return out


def print_forms(
    roster: pd.DataFrame,
    out: str | os.PathLike,
    *,
    layout: str | Layout | None = None,
    photos: str | os.PathLike | None = None,
    where: Iterable[str] | Mapping[str, Sequence[str]] | None = None,
    per_school: bool = False,
    source: str = "",
    audit: Callable[..., object] | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> PrintResult:
    """Write the class lists and the 学生基本信息核对表 of ``roster`` as A4 PDFs into the folder ``out``:
    ``学生信息核对表.pdf`` (all schools), or with ``per_school`` one ``学生信息核对表_<学校>.pdf`` per school.

    ``layout``: the list's layout (its fields and Chinese names; code tables for the labels); ``photos``: a
    photo folder (class folders included); ``where``: which students — ``["班级=1班,2班", "年级=一年级"]`` or
    ``{"BJ": ["1班"]}`` (a field by code or Chinese name; several conditions must all hold).
    ``audit``: called as ``audit("打印核对表", **details)`` once the PDFs are written (details: the list, the
    classes, the counts — never a personal value); ``xueji print`` passes its audit log's ``write``.
    ``progress(done, total)``: called per student.

    Raises ``XuejiError`` (Chinese) for an empty list, a selection that leaves nobody, a bad ``where``.

    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")                       # doctest: +SKIP
    >>> res = print_forms(reg, "打印", layout="chsi_registration", where=["BH=软件2601"],
    ...                   photos="data_samples/hei/photos")                          # doctest: +SKIP
    >>> res.students, res.photos_found                                              # doctest: +SKIP
    """
    if isinstance(roster, pd.DataFrame) is False:
        raise XuejiError("print_forms 需要一个 DataFrame 形式的名单（用 xueji_lib.read_table / read_dbf 读入）")
    lay = load_layout(layout) if layout is not None else None
    if len(roster) == 0:
        raise XuejiError(f"名单{('文件 ' + source) if source else ''}没有记录（0 条），没有可以打印的核对表。")
    where_cols = parse_where(where, roster, lay)
    rows_all = shown_rows(roster, np.arange(1, len(roster) + 1)).to_numpy()
    df = roster
    if where_cols:
        mask = _where_mask(roster, lay, where_cols)
        if not mask.any():
            said = "；".join(f"{c}={','.join(v)}" for c, v in where_cols.items())
            raise XuejiError(f"按条件 {said} 没有选中任何学生：请检查字段和值（值要与名单中写的一致）")
        df = roster[mask]
        rows_all = rows_all[mask]
    df = df.reset_index(drop=True)
    df.attrs = {}  # the loader's report: pandas would copy it on every step below
    groups = class_groups(df, lay)
    level_words = [c for c in groups.columns if c not in ("pos", "class")]
    fields = _form_fields(df, lay)
    text = _Text(FONT_PATH)

    # every printed value, computed per column (vectorised), made printable
    shown: dict[object, pd.Series] = {}
    for col, _name in fields:
        if col is not None and col not in shown:
            shown[col] = _display(df, lay, col)
    lacking = text.missing_in(v for s in shown.values() for v in s.unique().tolist())
    lacking |= text.missing_in(v for w in level_words for v in groups[w].unique().tolist())
    photo_of: list[Path | None] = _photo_files(df, photos) if photos is not None else [None] * len(df)

    # the list's columns
    list_cols = []
    for codes, _h, weight in LIST_COLUMNS:
        col = next((c for c in (_column(df, code) for code in codes) if c is not None), None)
        if col is not None:
            f = _field_of(lay, col)
            list_cols.append((col, f.name if f is not None else str(col), weight))
    school_word = level_words[0] if level_words and level_words[0] == "学校" else None
    schools = groups[school_word].tolist() if school_word else ["全部"] * len(groups)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    split: list[tuple[str, pd.DataFrame]]
    if per_school and school_word:
        split = [(s, g) for s, g in groups.groupby(school_word, sort=False)]
    else:
        split = [("", groups)]
    files: list[Path] = []
    total_pages = 0
    found = 0
    done = 0
    label_lines_cache: list[list[str]] | None = None
    class_names: list[str] = []
    rw = row_word(roster)
    for school, part in split:
        name = f"学生信息核对表_{safe_file_name(school)}.pdf" if school else "学生信息核对表.pdf"
        doc = _Doc(text, f"{LIST_TITLE}·{FORM_TITLE}")
        if label_lines_cache is None:
            label_lines_cache = [text.wrap(text.clean(n), 25.0 - 1.4, LABEL_PT) for _c, n in fields]
        for _cls, members in part.groupby("class", sort=False):
            first = members.iloc[0]
            levels = [(w, text.clean(str(first[w]), lacking, 0, w)) for w in level_words]
            page = _Page(levels)
            class_names.append("/".join(v for _w, v in levels))
            rows = []
            pos = members["pos"].to_numpy()
            for i, p in enumerate(pos, 1):
                r = int(rows_all[p])
                rows.append(
                    [str(i)] + [text.clean(_short(shown[c].iat[p]), lacking, r, n) for c, n, _w in list_cols] + [""]
                )
            heads = ["序号"] + [n for _c, n, _w in list_cols] + ["备注"]
            weights = [0.5] + [w for _c, _n, w in list_cols] + [1.2]
            total_pages += _list_pages(doc, page, [r[:-1] + [r[-1]] for r in rows], heads, weights)
            for i, p in enumerate(pos, 1):
                r = int(rows_all[p])
                values = [(n, text.clean(shown[c].iat[p], lacking, r, n) if c is not None else "") for c, n in fields]
                pages, shown_photo = _form_pages(
                    doc, page, values, photo_of[p], photos is not None, (i, len(pos)), label_lines_cache
                )
                total_pages += pages
                found += shown_photo
                done += 1
                if progress is not None:
                    progress(done, len(df))
        doc.output(out / name)
        files.append(out / name)
    by_school: dict[str, int] = {}
    for s in schools:
        by_school[s] = by_school.get(s, 0) + 1
    missing = _missing_frame(sorted(set(text.missing)))
    res = PrintResult(
        files=files,
        students=len(df),
        classes=int(groups["class"].max()) + 1 if len(groups) else 0,
        pages=total_pages,
        by_school=by_school,
        class_names=class_names,
        photos_found=found,
        photos_missing=(len(df) - found) if photos is not None else 0,
        photo_folder=str(photos) if photos is not None else "",
        missing_chars=missing,
        layout=lay.name if lay is not None else "",
        params={"where": {str(k): v for k, v in where_cols.items()}, "per_school": per_school, "rows": rw},
    )
    if audit is not None:
        audit(
            "打印核对表",
            list=source or "",
            layout=res.layout,
            classes=class_names,
            students=res.students,
            pages=res.pages,
            where_fields=sorted(res.params["where"]),  # the fields selected on, never their values
            files=[p.name for p in files],
            unmasked=True,
        )
    return res
