"""Code tables (民族, 政治面貌, 行政区划, …) as data: one CSV per table, not Python literals.

Built-in tables live in ``xueji_lib/schema/data/codes/<name>.csv`` (UTF-8; columns ``code,label,aliases,deprecated``;
aliases and deprecated names separated by ``|``; codes are text, "01" stays "01"), described in
``xueji_lib/schema/data/codes/tables.yml`` (title, source, confidence tag as in DOMAIN.md). More folders are searched
in the environment variable ``XUEJI_CODES_PATH`` (separated by ``os.pathsep``); a user table with the
name of a built-in one replaces it, and a ``tables.yml`` in the user's folder describes the user's tables.

Values are matched leniently but every match says how it matched (``match_kind``): by the code, the
label, an alias, or a deprecated name (毛难族 → 36, accepted, to be warned about by the caller).

    >>> from xueji_lib.schema.codes import load_code_table
    >>> mz = load_code_table("mz")
    >>> mz.lookup("1").label, mz.lookup("柯尔克孜").code, mz.lookup("毛难族").code
    ('汉族', '29', '36')
    >>> import pandas as pd
    >>> mz.to_code(pd.Series(["汉族", "１", None, "火星族"])).tolist()
    ['01', '01', nan, nan]
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..core.errors import LayoutError
from .yamlload import safe_load

BUILTIN_DIR = Path(__file__).parent / "data" / "codes"
INDEX_FILE = "tables.yml"
KINDS = ("code", "label", "alias", "deprecated", "unknown", "empty")
COLUMNS = ("code", "label", "aliases", "deprecated")

_FULLWIDTH = {0x3000: 0x20, **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}}
_MISSING = object()


@dataclass(frozen=True)
class CodeEntry:
    """One row of a code table: ``code``, ``label``, accepted ``aliases`` and ``deprecated`` (old) names.

    >>> xj.load_code_table("mz").entries[0]
    CodeEntry(code='01', label='汉族', aliases=('汉', 'HA'), deprecated=())
    """

    code: str
    label: str
    aliases: tuple[str, ...] = ()
    deprecated: tuple[str, ...] = ()  # old names (e.g. 毛难族), accepted with a warning


def normalize_value(value: object) -> str:
    """A cell → the key it is matched by: NA → ""; 1.0 → "1"; blanks removed; full-width → half-width;
    Latin letters upper-cased."""
    if value is None:
        return ""
    if not isinstance(value, str):
        try:
            if pd.isna(value):
                return ""
        except (TypeError, ValueError):
            pass
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
    s = str(value).translate(_FULLWIDTH)
    return "".join(s.split()).upper()


@dataclass(frozen=True)
class CodeTable:
    """A code table (民族, 政治面貌, 行政区划 …): ``entries`` and where they come from (``source``,
    ``confidence``, ``note``). ``match_kind`` / ``to_code`` / ``to_label`` work on whole columns; a value
    may be written as the code, the label, an alias or an old (deprecated) name.

    >>> mz = xj.load_code_table("mz")
    >>> mz.match_kind(pd.Series(["汉族", "1", "毛难族", "汗族"])).tolist()
    ['label', 'code', 'deprecated', 'unknown']
    >>> mz.to_label(pd.Series(["01", "HA", "36"])).tolist()
    ['汉族', '汉族', '毛南族']
    """

    name: str
    title: str
    source: str
    confidence: str
    entries: tuple[CodeEntry, ...] = field(repr=False)
    note: str = ""
    path: str = ""

    def __post_init__(self):
        index, by_number = _build_index(self.entries)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_by_number", by_number)

    # -- one value ---------------------------------------------------------------------------------
    def match(self, value: object) -> tuple[CodeEntry | None, str]:
        """(entry, kind) for one value; kind is one of ``KINDS``. An ambiguous value (a label two
        entries share, e.g. 朝阳区 in 行政区划) is "unknown"."""
        key = normalize_value(value)
        if not key:
            return None, "empty"
        hit = self._index.get(key, _MISSING)
        if hit is _MISSING and key.isascii() and key.isdigit():
            entry = self._by_number.get(int(key))
            hit = (entry, "code") if entry is not None else None
        if hit is _MISSING or hit is None:
            return None, "unknown"
        return hit

    def lookup(self, value: object) -> CodeEntry | None:
        """The entry for a code, label, alias or deprecated name; None if unknown, ambiguous or empty.

        Blanks are removed and full-width characters read as half-width; a numeric code may drop or add
        leading zeros when that is unambiguous ("1" → "01" in 民族); a name may omit a trailing 族."""
        return self.match(value)[0]

    # -- vectorised --------------------------------------------------------------------------------
    def _resolve(self, values) -> tuple[pd.Series, np.ndarray, list]:
        s = values if isinstance(values, pd.Series) else pd.Series(values)
        idx, uniques = pd.factorize(s, use_na_sentinel=True)
        hits = [self.match(u) for u in uniques]  # one look-up per distinct value, never per row
        return s, idx, hits

    @staticmethod
    def _spread(s: pd.Series, idx: np.ndarray, per_unique: list, na) -> pd.Series:
        arr = np.array(per_unique + [na], dtype=object)  # idx == -1 (NA) picks the last element
        return pd.Series(arr[idx], index=s.index, name=s.name, dtype="str")

    def match_kind(self, values: pd.Series) -> pd.Series:
        """Per value: "code", "label", "alias", "deprecated", "unknown" or "empty" (str dtype)."""
        s, idx, hits = self._resolve(values)
        return self._spread(s, idx, [k for _, k in hits], "empty")

    def to_code(self, values: pd.Series) -> pd.Series:
        """Per value its code; unknown, ambiguous and empty values → NA."""
        s, idx, hits = self._resolve(values)
        return self._spread(s, idx, [e.code if e else None for e, _ in hits], None)

    def to_label(self, values: pd.Series) -> pd.Series:
        """Per value its label; unknown, ambiguous and empty values → NA."""
        s, idx, hits = self._resolve(values)
        return self._spread(s, idx, [e.label if e else None for e, _ in hits], None)

    def labels(self) -> list[str]:
        return [e.label for e in self.entries]

    def codes(self) -> list[str]:
        return [e.code for e in self.entries]

    def labels_by_code(self) -> dict[str, str]:
        """code → label, in the table's order (``load_code_table("xllb").labels_by_code()["10"]`` → 普通本专科)."""
        return {e.code: e.label for e in self.entries}


def _build_index(entries: tuple[CodeEntry, ...]):
    """Normalised key → (entry, kind), or None where the key is ambiguous.

    Precedence: codes, then labels, then aliases, then deprecated names, then names with a trailing
    族 dropped; a key claimed at one level is not reconsidered at a later one. Within one level a key
    shared by two entries is ambiguous and matches nothing."""
    index: dict[str, tuple[CodeEntry, str] | None] = {}

    def add_level(pairs, kind):
        found: dict[str, list[CodeEntry]] = {}
        for key, entry in pairs:
            if key and key not in index:
                bucket = found.setdefault(key, [])
                if entry not in bucket:
                    bucket.append(entry)
        for key, bucket in found.items():
            index[key] = (bucket[0], kind) if len(bucket) == 1 else None

    norm = normalize_value
    add_level(((norm(e.code), e) for e in entries), "code")
    add_level(((norm(e.label), e) for e in entries), "label")
    add_level(((norm(a), e) for e in entries for a in e.aliases), "alias")
    add_level(((norm(d), e) for e in entries for d in e.deprecated), "deprecated")

    def without_zu(names):
        return (norm(n)[:-1] for n in names if len(norm(n)) > 1 and norm(n).endswith("族"))

    add_level(((k, e) for e in entries for k in without_zu((e.label, *e.aliases))), "alias")
    add_level(((k, e) for e in entries for k in without_zu(e.deprecated)), "deprecated")

    by_number: dict[int, CodeEntry | None] = {}
    for e in entries:
        key = norm(e.code)
        if key.isascii() and key.isdigit():
            n = int(key)
            by_number[n] = None if n in by_number else e
    return index, {n: e for n, e in by_number.items() if e is not None}


# -- files ---------------------------------------------------------------------------------------------


def _code_dirs() -> list[Path]:
    dirs = [BUILTIN_DIR]
    for part in os.environ.get("XUEJI_CODES_PATH", "").split(os.pathsep):
        if part.strip():
            dirs.append(Path(part.strip()))
    return dirs


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split("|") if p.strip())


def _parse_csv(path: Path, name: str, meta: dict) -> CodeTable:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(f"代码表文件 {path} 无法读取（须为 UTF-8 编码的 CSV）：{exc}") from exc
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if header[:2] != ["code", "label"] or not set(header) <= set(COLUMNS) or len(set(header)) != len(header):
        raise LayoutError(
            f"代码表文件 {path} 表头不对：第一行须为 code,label,aliases,deprecated"
            f"（aliases、deprecated 可省略），实际为 {','.join(header) or '空'}"
        )
    entries, seen = [], set()
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise LayoutError(f"代码表文件 {path} 第 {lineno} 行：列数多于表头（多个别名请用 | 分隔，不要用逗号）")
        rec = dict(zip(header, (cell.strip() for cell in row)))
        code, label = rec.get("code", ""), rec.get("label", "")
        if not code or not label:
            raise LayoutError(f"代码表文件 {path} 第 {lineno} 行：code 和 label 都不能为空")
        if code in seen:
            raise LayoutError(f"代码表文件 {path} 第 {lineno} 行：代码 {code} 重复")
        seen.add(code)
        entries.append(CodeEntry(code, label, _split(rec.get("aliases", "")), _split(rec.get("deprecated", ""))))
    if not entries:
        raise LayoutError(f"代码表文件 {path} 没有任何代码")
    return CodeTable(
        name=name,
        title=str(meta.get("title") or name),
        source=str(meta.get("source") or path),
        confidence=str(meta.get("confidence") or ""),
        entries=tuple(entries),
        note=str(meta.get("note") or ""),
        path=str(path),
    )


@cache
def _read_index(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    try:
        data = safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LayoutError(f"代码表目录文件 {path} 无法读取：{exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise LayoutError(f"代码表目录文件 {path} 格式不对：每个代码表名下须有 title、source、confidence")
    return {str(k): v for k, v in data.items()}


@cache
def _load(name: str, dirs: tuple[Path, ...]) -> CodeTable:
    found = [d for d in dirs if (d / f"{name}.csv").is_file()]
    if not found:  # a table by its Chinese title, as a clerk names it (民族 for mz, 政治面貌 for zzmm)
        by_title = {}
        for d in dirs:
            for key, meta in _read_index(d / INDEX_FILE).items():
                if isinstance(meta, dict) and meta.get("title") and (d / f"{key}.csv").is_file():
                    by_title[str(meta["title"]).strip()] = key
        if name.strip() in by_title:
            return _load(by_title[name.strip()], dirs)
    if not found:
        titles = {
            k: m.get("title", "") for d in dirs for k, m in _read_index(d / INDEX_FILE).items() if isinstance(m, dict)
        }
        known = [f"{k}（{titles[k]}）" if titles.get(k) else k for k in sorted(_table_names(dirs))]
        raise LayoutError(
            f"没有名为 {name} 的代码表（找不到 {name}.csv，已查找 {', '.join(map(str, dirs))}）。"
            f"已知代码表（用代码或中文名都可以）：{'、'.join(known)}"
        )
    home = found[-1]  # later folders (the user's) replace built-ins of the same name
    meta = _read_index(home / INDEX_FILE).get(name)
    if meta is None:  # a user table without its own description: keep the built-in title only
        titles = [_read_index(d / INDEX_FILE).get(name, {}).get("title") for d in dirs]
        meta = {"title": next((t for t in reversed(titles) if t), name)}
    return _parse_csv(home / f"{name}.csv", name, meta)


def _table_names(dirs: tuple[Path, ...]) -> set[str]:
    return {p.stem for d in dirs if d.is_dir() for p in d.glob("*.csv")}


def load_code_table(name: str | os.PathLike) -> CodeTable:
    """A code table by name (``"mz"``), or by path to a ``.csv`` file.

    >>> mz = xj.load_code_table("mz")
    >>> mz.title, mz.to_code(pd.Series(["汉族", "1", "毛难族"])).tolist()
    ('民族', ['01', '01', '36'])
    """
    text = str(name)
    if text.endswith(".csv") or os.sep in text:
        path = Path(text)
        if not path.is_file():
            raise LayoutError(f"找不到代码表文件 {path}")
        return _parse_csv(path, path.stem, _read_index(path.with_name(INDEX_FILE)).get(path.stem, {}))
    return _load(text, tuple(_code_dirs()))


def list_code_tables() -> list[CodeTable]:
    """Every code table known: the built-in ones and those in ``XUEJI_CODES_PATH``.

    >>> titles = {t.name: t.title for t in xj.list_code_tables()}
    >>> titles["mz"], titles["zzmm"]
    ('民族', '政治面貌')
    """
    dirs = tuple(_code_dirs())
    return [_load(n, dirs) for n in sorted(_table_names(dirs))]


def province_of(values: pd.Series) -> pd.Series:
    """The province (省级行政区) label for the first two digits of each value: an area code, an ID number,
    a 学籍号 without its letter. Vectorised; NA where the prefix is not a province code.

    >>> province_of(pd.Series(["110105", "44010119900101001X", "99", None])).tolist()
    ['北京市', '广东省', nan, nan]
    """
    table = load_code_table("xzqh")
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    s = s.astype("str").str.strip().str.slice(0, 2)  # few distinct prefixes: map those, not the values
    idx, uniques = pd.factorize(s, use_na_sentinel=True)
    out = []
    for u in uniques:
        prefix = normalize_value(u)[:2]
        entry = (
            table._index.get(prefix + "0000") if prefix.isascii() and prefix.isdigit() and len(prefix) == 2 else None
        )
        out.append(entry[0].label if entry and entry[1] == "code" else None)
    return CodeTable._spread(s, idx, out, None)


def restore_leading_zeros(values: pd.Series, table: CodeTable | str) -> tuple[pd.Series, np.ndarray]:
    """Codes whose leading zeros Excel dropped (it took "01" for the number 1), given back: ``(values, changed)``
    — ``values`` with each such value replaced by the table's code, ``changed`` a bool array marking them. A
    value changes only when it is digits (blanks around it ignored) that are not themselves a code, label or
    alias of the table and exactly one code is those digits with zeros in front; everything else is left as
    it is. ``table``: a ``CodeTable`` or its name. Vectorised (one look-up per distinct value).

    >>> vals, changed = restore_leading_zeros(pd.Series(["1", "01", "汉族", " 9", "60", "", None]), "mz")
    >>> vals.tolist(), changed.tolist()
    (['01', '01', '汉族', '09', '60', '', nan], [True, False, False, True, False, False, False])
    """
    tab = table if isinstance(table, CodeTable) else load_code_table(table)
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype="str")
    padded: dict[str, str | None] = {}
    for code in tab.codes():
        if code.isascii() and code.isdigit() and code.startswith("0"):
            for k in range(1, len(code)):
                if code[k - 1] != "0":
                    break
                short = code[k:]
                padded[short] = None if short in padded and padded[short] != code else code
    idx, uniques = pd.factorize(s, use_na_sentinel=True)
    fixed: list[str | None] = []
    for u in uniques:
        raw = u.strip() if isinstance(u, str) else normalize_value(u)
        code = padded.get(raw) if raw.isascii() and raw.isdigit() else None
        if code is not None and normalize_value(raw) in tab._index:  # "1" is itself a code or a name there
            code = None
        fixed.append(code)
    if not any(c is not None for c in fixed):
        return s, np.zeros(len(s), dtype=bool)
    new = np.array(fixed + [None], dtype=object)[idx]
    changed = np.array([c is not None for c in new], dtype=bool)
    out = s.copy() if s.dtype == object or isinstance(s.dtype, pd.StringDtype) else s.astype(object)
    out[changed] = new[changed]
    return out, changed
