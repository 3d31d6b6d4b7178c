"""Layouts: which fields a file has, their DBF types and widths, which are required, which code table
applies. Layouts are YAML files, not Python: the platform changes its structures from year to year, and
a user adds or edits one without touching code.

Built-in layouts live in ``xueji_lib/schema/data/layouts/*.yml``. More are searched for in the folders named by the
environment variable ``XUEJI_LAYOUT_PATH`` (separated by ``os.pathsep``); a user layout with the name
of a built-in one replaces it. ``load_layout`` also takes a path to a ``.yml`` file.

    >>> from xueji_lib import load_layout
    >>> lay = load_layout("chsi_registration")
    >>> lay.field("KSH").width
    18
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import yaml

from ..core.errors import LayoutError
from .formats import FORMAT_SEVERITIES, NAMED_FORMATS
from .yamlload import safe_load

BUILTIN_DIR = Path(__file__).parent / "data" / "layouts"
DBF_TYPES = {"C", "N", "F", "D", "L"}
PERSONAL_KINDS = {"id", "phone", "address"}
DATE_FORMATS = {"YYYYMMDD", "YYYYMM"}
STRUCTURE_RULES = {"complete", "required"}


@dataclass(frozen=True)
class LayoutField:
    """One field of a layout: ``code`` (the column name in files), Chinese ``name``, DBF ``type`` /
    ``width`` / ``decimals``, ``required``, the code table in ``codes``, ``personal`` ("id", "phone",
    "address": masked wherever a person reads it), other header spellings in ``aliases``, ``date`` format.

    >>> f = xj.load_layout("chsi_registration").field("XM")
    >>> f.name, f.type, f.width, f.required
    ('姓名', 'C', 40, True)
    """

    code: str  # field code = DBF field name (upper case, at most 10 characters)
    name: str  # Chinese name, as headed in Excel templates
    type: str = "C"  # DBF type written: C, N, F, D, L
    width: int = 0
    decimals: int = 0
    required: bool = False
    codes: str | None = None  # name of the code table that applies
    personal: str | None = None  # "id", "phone" or "address": masked wherever a person reads it
    aliases: tuple[str, ...] = ()  # other header spellings accepted when reading sheets
    date: str | None = None  # "YYYYMMDD" or "YYYYMM": a date kept as text in this form
    note: str = ""
    ident: bool = False  # a code or identifier: half-width characters, upper-case letters (seed 004)
    format: str | None = None  # a named format of schema.formats (phone, address, postcode, school_id)
    pattern: str | None = None  # regular expression the whole value must match (from ``format`` when not given)
    pattern_message: str = ""  # what is expected, in Chinese (follows "格式不对：")
    pattern_severity: str = "warning"  # error, warning or info
    label_field: str | None = None  # the field with the name this code stands for (must agree across records)


@dataclass(frozen=True)
class Layout:
    """The fields of one kind of file (``fields`` in file order), read from a ``layouts/*.yml`` data file:
    ``name``, ``title``, ``format`` ("dbf" or "excel"), where it comes from (``source``, ``confidence``).
    ``structure``: "complete" — a DBF file must have every field of the layout (the platform's structure check:
    "可以比系统规定的标准表结构多一些字段，但绝对不能少字段", seed 000), the default for DBF layouts — or
    "required" — only the required fields (Excel templates, lists downloaded from the platform).
    ``field(code)``, ``required`` and ``personal_fields`` answer what the checks need.

    >>> lay = xj.load_layout("k12_student")
    >>> lay.format, lay.field("SFZJH").name, lay.field("SFZJH").personal
    ('excel', '身份证件号', 'id')
    """

    name: str
    title: str
    format: str  # "dbf" or "excel"
    fields: tuple[LayoutField, ...]
    category: str = ""  # "higher_ed" or "k12"
    description: str = ""
    source: str = ""
    confidence: str = ""
    path: str = ""
    extra: dict = field(default_factory=dict, compare=False)
    structure: str = ""  # "complete" or "required"; "" = complete for DBF layouts, required otherwise

    @property
    def structure_rule(self) -> str:
        """ "complete" (every field must be in the file) or "required" (only the required fields)."""
        return self.structure or ("complete" if self.format == "dbf" else "required")

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.code for f in self.fields if f.required]

    def field(self, code: str) -> LayoutField:
        for f in self.fields:
            if f.code == code.upper():
                return f
        raise KeyError(f"版式 {self.name} 没有字段 {code}")

    def match_header(self, text: str | None) -> str | None:
        """The field code a sheet's header cell stands for: exact (normalised: ★, blanks, full-width), else
        without a trailing "(…)" note such as "出生日期（YYYYMMDD）"; None when the layout does not know it."""
        if not text:
            return None
        lookup = self._headers
        code = lookup.get(normalize_header(text))
        if code is None:
            bare = _TRAILING_NOTE.sub("", str(text))
            if bare and bare != text:
                code = lookup.get(normalize_header(bare))
        return code

    @cached_property
    def _headers(self) -> dict[str, str]:
        return self.header_map()

    def header_map(self) -> dict[str, str]:
        """Every accepted header spelling (code, Chinese name, aliases) → field code.

        Keys are normalised with ``normalize_header`` so "姓名★", " 姓名 " and "姓名" all match.
        """
        out: dict[str, str] = {}
        for f in self.fields:
            for spelling in (f.code, f.name, *f.aliases):
                out.setdefault(normalize_header(spelling), f.code)
        return out

    def personal_fields(self) -> dict[str, str]:
        return {f.code: f.personal for f in self.fields if f.personal}


def normalize_header(text: str) -> str:
    """Header cell → comparable key: strip blanks and ★/*/required marks, full-width → half-width,
    upper-case Latin letters."""
    s = str(text).strip()
    s = s.translate(_FULLWIDTH)
    for mark in ("★", "☆", "*", "（必填）", "(必填)"):
        s = s.replace(mark, "")
    return "".join(s.split()).upper()


_TRAILING_NOTE = re.compile(r"\s*[（(][^（()）]*[)）]\s*$")
_FULLWIDTH = {0x3000: 0x20, **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}}


def _layout_dirs() -> list[Path]:
    dirs = [BUILTIN_DIR]
    for part in os.environ.get("XUEJI_LAYOUT_PATH", "").split(os.pathsep):
        if part.strip():
            dirs.append(Path(part.strip()))
    return dirs


def _parse_layout(path: Path) -> Layout:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LayoutError(f"版式文件 {path} 无法读取：{exc}") from exc
    if not isinstance(data, dict) or "fields" not in data:
        raise LayoutError(f"版式文件 {path} 格式不对：需要 name、title、format 和 fields")
    fields = []
    seen = set()
    for i, raw in enumerate(data.get("fields") or [], start=1):
        if not isinstance(raw, dict) or "code" not in raw:
            raise LayoutError(f"版式文件 {path} 第 {i} 个字段缺少 code")
        code = str(raw["code"]).strip().upper()
        ftype = str(raw.get("type", "C")).upper()
        width = int(raw.get("width", 0) or 0)
        problem = None
        if not code or len(code.encode("ascii", "replace")) > 10:
            problem = "字段代码须为 1–10 个字母数字（DBF 字段名上限 10 字符）"
        elif code in seen:
            problem = "字段代码重复"
        elif ftype not in DBF_TYPES:
            problem = f"类型 {ftype} 不支持（可用 {', '.join(sorted(DBF_TYPES))}）"
        elif ftype in {"C", "N", "F"} and not 1 <= width <= 254:
            problem = "C/N/F 字段须给出 1–254 的 width"
        elif raw.get("date") and raw["date"] not in DATE_FORMATS:
            problem = f"date 只能是 {', '.join(sorted(DATE_FORMATS))}"
        elif raw.get("personal") and raw["personal"] not in PERSONAL_KINDS:
            problem = f"personal 只能是 {', '.join(sorted(PERSONAL_KINDS))}"
        else:
            problem = _format_problem(raw)
        if problem:
            raise LayoutError(f"版式文件 {path} 字段 {code or i}：{problem}")
        seen.add(code)
        if ftype == "D":
            width = 8
        elif ftype == "L":
            width = 1
        aliases = raw.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        fields.append(
            LayoutField(
                code=code,
                name=str(raw.get("name", code)),
                type=ftype,
                width=width,
                decimals=int(raw.get("decimals", 0) or 0),
                required=bool(raw.get("required", False)),
                codes=raw.get("codes") or None,
                personal=raw.get("personal") or None,
                aliases=tuple(str(a) for a in aliases),
                date=raw.get("date") or None,
                note=str(raw.get("note", "") or ""),
                ident=bool(raw.get("ident", False)),
                **_format_of(raw),
                label_field=str(raw["label_field"]).strip().upper() if raw.get("label_field") else None,
            )
        )
    structure = str(data.get("structure", "") or "")
    if structure and structure not in STRUCTURE_RULES:
        raise LayoutError(f"版式文件 {path}：structure 只能是 {', '.join(sorted(STRUCTURE_RULES))}")
    codes = {f.code for f in fields}
    for f in fields:
        if f.label_field and f.label_field not in codes:
            raise LayoutError(f"版式文件 {path} 字段 {f.code}：label_field {f.label_field} 不是本版式的字段")
    known = {"name", "title", "format", "category", "description", "source", "confidence", "fields", "structure"}
    return Layout(
        name=str(data.get("name") or path.stem),
        title=str(data.get("title") or path.stem),
        format=str(data.get("format", "dbf")),
        fields=tuple(fields),
        category=str(data.get("category", "") or ""),
        description=str(data.get("description", "") or ""),
        source=str(data.get("source", "") or ""),
        confidence=str(data.get("confidence", "") or ""),
        path=str(path),
        extra={k: v for k, v in data.items() if k not in known},
        structure=structure,
    )


def _format_problem(raw: dict) -> str | None:
    """What is wrong with a field's ``format`` / ``pattern`` / ``pattern_severity`` declaration, or None."""
    name = raw.get("format")
    if name and name not in NAMED_FORMATS:
        return f"format 只能是 {', '.join(sorted(NAMED_FORMATS))}（或用 pattern 写正则表达式）"
    severity = raw.get("pattern_severity")
    if severity and severity not in FORMAT_SEVERITIES:
        return f"pattern_severity 只能是 {', '.join(FORMAT_SEVERITIES)}"
    if raw.get("pattern"):
        try:
            re.compile(str(raw["pattern"]))
        except re.error as exc:
            return f"pattern 不是有效的正则表达式：{exc}"
        if not raw.get("pattern_message"):
            return "给了 pattern 也要给 pattern_message（用中文说明应该怎样填写）"
    return None


def _format_of(raw: dict) -> dict:
    """The field's pattern, message and severity: its own ``pattern``…, else those of its named ``format``."""
    named = NAMED_FORMATS.get(raw.get("format") or "")
    pattern = str(raw["pattern"]) if raw.get("pattern") else (named.pattern if named else None)
    message = str(raw.get("pattern_message") or (named.message if named else ""))
    severity = str(raw.get("pattern_severity") or (named.severity if named else "warning"))
    return {
        "format": raw.get("format") or None,
        "pattern": pattern,
        "pattern_message": message,
        "pattern_severity": severity,
    }


@cache
def _load_all(dirs: tuple[Path, ...]) -> dict[str, Layout]:
    out: dict[str, Layout] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.yml")) + sorted(d.glob("*.yaml")):
            lay = _parse_layout(path)
            out[lay.name] = lay  # later folders (the user's) replace built-ins of the same name
    return out


def list_layouts() -> list[Layout]:
    """Every layout known: the built-in ones and those in ``XUEJI_LAYOUT_PATH``.

    >>> "k12_student" in {lay.name for lay in xj.list_layouts()}
    True
    """
    return list(_load_all(tuple(_layout_dirs())).values())


def load_layout(layout: str | os.PathLike | Layout) -> Layout:
    """A layout by name (``"chsi_registration"``), by path to a ``.yml`` file, or passed through.

    >>> lay = xj.load_layout("chsi_registration")
    >>> lay.title, lay.required[:3]
    ('新生学籍注册上报（学信网）', ['KSH', 'XM', 'XB'])
    """
    if isinstance(layout, Layout):
        return layout
    text = str(layout)
    if text.endswith((".yml", ".yaml")) or os.sep in text:
        path = Path(text)
        if not path.is_file():
            raise LayoutError(f"找不到版式文件 {path}")
        return _parse_layout(path)
    known = _load_all(tuple(_layout_dirs()))
    if text not in known:
        raise LayoutError(f"没有名为 {text} 的版式。已知版式：{', '.join(sorted(known))}")
    return known[text]


def recognize_layout(
    columns: Iterable[object], *, headers: bool = False, candidates: Iterable[Layout] | None = None
) -> tuple[Layout, str]:
    """The layout a file's columns fit, and why (in Chinese): ``(Layout, reason)``.

    ``headers=True`` for sheets: each layout first maps the header texts (Chinese name, code, aliases) to
    its codes, as ``read_table`` would. A layout fits when the file has all its required fields (a
    layout without required fields: at least half of its fields); among those, the one with the fewest
    differences wins (its fields the file lacks plus the file's fields it does not know; ties: the one sharing
    the largest part of its fields, then the smaller, more specific layout). When the file shares
    clearly more fields with a layout whose required fields it lacks, that layout is returned and the
    structure check names what is missing. ``LayoutError`` ("对不上") when no layout shares at least
    half of its fields with the file.

    >>> lay, why = xj.recognize_layout(xj.read_dbf("data_samples/hei/10_注册上报.dbf").columns)
    >>> lay.name
    'chsi_registration'
    >>> print(why)
    文件有 21 个字段，其中 21 个属于版式 chsi_registration（新生学籍注册上报（学信网），共 21 个字段），必填字段齐全
    """
    names = [str(c).strip() for c in columns]
    rows = []
    for lay in sorted(candidates or list_layouts(), key=lambda x: x.name):
        cols = {(lay.match_header(c) if headers else None) or c.upper() for c in names}
        codes = set(lay.codes)
        common = len(cols & codes)
        missing = [c for c in lay.required if c not in cols]
        half = bool(codes) and common * 2 >= len(codes)
        rows.append(
            {
                "lay": lay,
                "cols": cols,
                "common": common,
                "missing": missing,
                "ok": not missing and (bool(lay.required) or half),
                "half": half,
            }
        )
    if not rows:
        raise LayoutError("没有可用的版式")
    fitting = [r for r in rows if r["ok"]]
    closest = max(rows, key=lambda r: (r["common"], -len(r["missing"]), r["common"] / max(len(r["lay"].fields), 1)))
    if fitting:
        best = max(
            fitting,
            key=lambda r: (
                # the fewest differences: the layout's fields the file lacks plus the file's fields it does not
                # know (a registration upload short of three optional fields is still a registration upload,
                # not the smaller special-category layout that happens to cover a larger share of itself)
                -len(r["cols"] ^ set(r["lay"].codes)),
                r["common"] / max(len(r["lay"].fields), 1),
                r["common"] / max(len(r["cols"]), 1),
                -len(r["lay"].fields),
            ),
        )
        if not (closest["missing"] and closest["half"] and closest["common"] > best["common"]):
            lay = best["lay"]
            return lay, (
                f"文件有 {len(best['cols'])} 个字段，其中 {best['common']} 个属于版式 {lay.name}"
                f"（{lay.title}，共 {len(lay.fields)} 个字段）"
                + ("，必填字段齐全" if lay.required else "；该版式没有必填字段，按共有字段的多少认定")
            )
    elif not closest["half"]:
        shown = "，".join(sorted(names)[:15]) + ("…" if len(names) > 15 else "")
        lay = closest["lay"]
        near = (
            f"最接近的是 {lay.name}（{lay.title}），也只有 {closest['common']} 个字段相同"
            if closest["common"]
            else "没有一个字段相同"
        )
        raise LayoutError(
            f"文件的字段（{shown}）与已知版式都对不上：{near}。"
            "请用 --layout 指定版式（xueji layouts 可列出已知版式），或在 XUEJI_LAYOUT_PATH 中添加一个版式文件。"
        )
    lay = closest["lay"]
    missing = "、".join(f"{c}（{lay.field(c).name}）" for c in closest["missing"])
    return lay, (
        f"文件有 {len(closest['cols'])} 个字段，与版式 {lay.name}（{lay.title}）共有 {closest['common']} 个"
        f"（共 {len(lay.fields)} 个字段），在已知版式中最接近，但缺少它的必填字段 {missing}"
    )
