"""What ``compare`` and ``handoff`` share about the lists they match: the statuses every record can end in
and their Chinese words, the key fields and their names, ``_Roster`` (one input list read by position, only
what is needed), the normalised keys records are matched by, and the builders of the result frames' text
columns.

    >>> from xueji_lib.matching.roster import OLD_STATUSES, STATUS_ZH
    >>> [STATUS_ZH[s] for s in OLD_STATUSES]
    ['不变', '信息变化', '调动', '减少', '重复', '无法对应']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import LayoutError
from ..core.ids import ID_NUMBER_FIELDS, to18
from ..core.normalize import STR, date_text, decode_codes, key_text, written_text
from ..core.privacy import mask_series, mask_value, personal_kind
from ..core.rows import row_word
from ..core.textbytes import text_array
from ..engine.engines import Engine
from ..io.source import ListSource
from ..schema.codes import load_code_table
from ..schema.layouts import Layout, LayoutField, load_layout
from .rownames import RowNames

__all__ = [
    "OLD_STATUSES",
    "NEW_STATUSES",
    "CHANGE_STATUSES",
    "GRADUATE_STATUSES",
    "INTAKE_STATUSES",
    "STATUS_ZH",
    "ID_FIELDS",
    "CONTEXT",
    "NAME_SEX_BIRTH",
    "KEY_ZH",
    "CHANGE_CLASSES",
    "CHANGE_CLASS_ZH",
]

OLD_STATUSES = ("unchanged", "changed", "moved", "removed", "duplicate_key", "missing_key")
NEW_STATUSES = ("unchanged", "changed", "moved", "added", "duplicate_key", "missing_key")
CHANGE_STATUSES = ("explains", "no_difference", "not_found")
GRADUATE_STATUSES = ("enrolled", "not_enrolled", "missing_key")
INTAKE_STATUSES = ("matched", "from_elsewhere")
STATUS_ZH = {
    "unchanged": "不变",
    "changed": "信息变化",
    "moved": "调动",
    "removed": "减少",
    "added": "新增",
    "duplicate_key": "重复",
    "missing_key": "无法对应",
    "explains": "解释了名单差异",
    "no_difference": "学生在名单中但无相应差异",
    "not_found": "两份名单中都找不到学生",
    "enrolled": "已升学",
    "not_enrolled": "未找到",
    "matched": "来自毕业生",
    "from_elsewhere": "来自其他地方",
}

# How a changed field is allowed (``compare``'s change_class; the rule is data: info_changes.yml field_classes)
CHANGE_CLASSES = ("ordinary", "evidence", "not_accepted")
CHANGE_CLASS_ZH = {"ordinary": "一般变化", "evidence": "须证明材料", "not_accepted": "不予变更"}

# The ID-number fields, SFZJH (the K-12 rosters' name) first: a roster's SFZJH is the one read when it has more
# than one, and ID_FIELDS[0] names the ID level of matching (matched_by, KEY_ZH).
ID_FIELDS = ("SFZJH", *(f for f in ID_NUMBER_FIELDS if f != "SFZJH"))
CONTEXT = ("XXBSM", "XXMC", "NJ", "BJ", "XM")
NAME_SEX_BIRTH = "XM+XB+CSRQ"  # the fallback identity: 姓名 + 性别 (code) + 出生日期 (YYYYMMDD)
KEY_ZH = {
    "XJH": "学籍号",
    "XH": "学号",
    "KSH": "考生号",
    "SFZJH": "身份证件号",
    "SFZH": "身份证号",
    "ZJHM": "证件号码",
    NAME_SEX_BIRTH: "姓名+性别+出生日期",
}


# ------------------------------------------------------------------------------------------------ rosters


class _Roster:
    """One input list (an ``io.source.ListSource``), positional (0-based) throughout. Whole columns are only
    converted where that is free (``col``) or needed for every record (the key); everything else is
    computed on the few positions that need it (``at``, ``norm_at``, ``key_at``).

    When the list is a folder converted by ``dbf_to_parquet``, only what is used is read: a whole column
    when every record needs it (the key, the context columns of the result), else the records at the
    positions asked for (all their columns, kept for later calls); the compared fields of every pair are
    read by the engine itself (``register``)."""

    def __init__(self, src: ListSource, layout: Layout | None, name: str) -> None:
        self.layout = layout
        self.name = name
        self.src = src
        self._col: dict[str, pd.Series] = {}
        self._key: dict[str, pd.Series] = {}
        self._names: RowNames | None = None  # the rows a person sees, worked out on first use
        self.n, names = src.count, src.columns  # a folder: from its Parquet footers, nothing else read yet
        if src.is_folder:
            self._fetched = pd.DataFrame()  # the records read so far, all their columns
            self._slot = np.full(self.n, -1, np.int64)  # position → row of _fetched (-1: not read)
        self.cols = {str(c).upper(): c for c in names}

    def has(self, code: str) -> bool:
        return code in self.cols

    def file_rows(self, idx) -> list[int]:
        """Positions ``idx`` (0-based) as the rows a person sees in the file (the Excel row, the DBF record
        number: ``core.rows``)."""
        if self._names is None:
            self._names = RowNames(self.src, self.n)
        return self._names.shown(idx)

    def row_unit(self) -> str:
        """How a sentence names one row of this list: "行" (a sheet, CSV), "条记录" (a DBF). Worked out once
        (a change list names thousands of rows)."""
        if getattr(self, "_unit", None) is None:
            self._unit = row_word(self.src)
        return self._unit

    def rows_text(self, idx, labels: list[str] | None = None) -> str:
        """ "第 12、40 行" (a sheet) / "第 12、40 条记录" (a DBF) for positions ``idx``; ``labels``: a note after
        each (第 12 行（一年级1班）)."""
        shown, unit = self.file_rows(idx), self.row_unit()
        if labels is None:
            return f"第 {'、'.join(map(str, shown))} {unit}"
        return "、".join(f"第 {r} {unit}（{w}）" for r, w in zip(shown, labels))

    def row_texts(self, idx) -> list[str]:
        """``rows_text([i])`` for each position ``i`` of ``idx`` (第 12 行, one text each), worked out together
        when every position's row is known from the whole list (a change list names thousands)."""
        idx = np.asarray(idx, np.int64)
        if self._names is None:
            self._names = RowNames(self.src, self.n)
        names = self._names
        names._work_out()
        if names._exact_rows and names._rows is not None:
            unit = self.row_unit()
            return [f"第 {r} {unit}" for r in names._rows[idx].tolist()]
        return [self.rows_text([i]) for i in idx.tolist()]

    def col(self, code: str) -> pd.Series:
        """The column as pandas ``str`` with a positional index, values as written (not stripped), missing
        values NaN; all NaN when the frame has no such column. No copy for ``str`` columns."""
        if code not in self._col:
            if not self.has(code):
                s = pd.Series(pd.array([None] * self.n, dtype=STR))
            else:  # a folder: only this column is read
                s = written_text(self.src.column(self.cols[code]))
            self._col[code] = s
        return self._col[code]

    def values(self, code: str, idx: np.ndarray) -> pd.Series:
        """The column's values (as ``col``) at positions ``idx`` only."""
        idx = np.asarray(idx, np.int64)
        if not self.src.is_folder or code in self._col or not self.has(code):
            return self.col(code).take(idx).reset_index(drop=True)
        if not len(idx):
            return pd.Series(pd.array([], dtype=STR))
        todo = np.unique(idx[self._slot[idx] < 0])
        if len(todo):
            got = self.src.rows(todo)
            self._slot[todo] = len(self._fetched) + np.arange(len(todo))
            self._fetched = pd.concat([self._fetched, got], ignore_index=True) if len(self._fetched) else got
        return written_text(self._fetched[self.cols[code]].take(self._slot[idx]))

    def at(self, code: str, idx: np.ndarray) -> pd.Series:
        """Stripped values at positions ``idx``, missing → "" (positional index 0..len(idx)-1)."""
        return self.values(code, idx).str.strip().fillna("")

    def register(self, con: Engine, name: str, keys: pd.Series, flds: list[str]) -> None:
        """Engine table ``name``: position ``i``, key ``k`` and the compared fields as written (``c0``, ``c1``
        …, as text). A frame's columns are handed over as they are (Arrow, no copy); a converted folder's
        are read by the engine itself and joined to the keys by row number."""
        names = [f"c{j}" for j in range(len(flds))]
        positions = pa.array(np.arange(self.n, dtype=np.int64))
        if not self.src.is_folder:
            con.register(
                name,
                pa.table(
                    {"i": positions, "k": text_array(keys), **{c: text_array(self.col(f)) for c, f in zip(names, flds)}}
                ),
            )
            return
        from ..engine import sqlnorm
        from ..engine.engines import register_list

        types = register_list(con, f"{name}_in", self.src, {f: (self.cols[f],) for f in flds})
        con.register(f"{name}_k", pa.table({"i": positions, "k": text_array(keys)}))
        listed = "".join(f", {sqlnorm.text('raw.' + con.ident(f), types[f])} AS {c}" for c, f in zip(names, flds))
        con.view(name, f"SELECT k.i, k.k{listed} FROM {name}_k AS k JOIN {name}_in AS raw ON raw._row = k.i + 1")

    def lfield(self, code: str) -> LayoutField | None:
        if self.layout is None:
            return None
        try:
            return self.layout.field(code)
        except KeyError:
            return None

    def fname(self, code: str) -> str:
        f = self.lfield(code)
        return f.name if f is not None else code

    def personal(self, code: str) -> str | None:
        return personal_kind(code, self.layout)

    def id_field(self) -> str | None:
        return next((c for c in ID_FIELDS if self.has(c)), None)

    def _key_of(self, code: str, idx: np.ndarray | None = None) -> pd.Series:
        def part(c):
            return self.col(c) if idx is None else self.values(c, idx)

        n = self.n if idx is None else len(idx)
        if code == NAME_SEX_BIRTH:
            if not all(self.has(c) for c in ("XM", "XB", "CSRQ")):
                return pd.Series(pd.array([None] * n, dtype=STR))
            return _nsb(part("XM"), part("XB"), part("CSRQ"))
        if code in ID_FIELDS:
            f = code if self.has(code) else self.id_field()
            return to18(key_text(part(f))) if f else pd.Series(pd.array([None] * n, dtype=STR))
        return key_text(part(code)) if self.has(code) else pd.Series(pd.array([None] * n, dtype=STR))

    def key(self, code: str) -> pd.Series:
        """Normalised key values for every record (NaN where empty): ID fields as ``checks.validate.normalized_ids``
        (half-width, 15 → 18 digits), 姓名+性别+出生日期 as ``_nsb``, others as ``key_text``."""
        if code not in self._key:
            self._key[code] = self._key_of(code)
        return self._key[code]

    def key_at(self, code: str, idx: np.ndarray) -> pd.Series:
        """The same at positions ``idx`` only (computed for those, unless the whole column is at hand)."""
        if code in self._key:
            return self._key[code].take(np.asarray(idx, np.int64)).reset_index(drop=True)
        return self._key_of(code, idx)

    def norm_at(self, code: str, idx: np.ndarray) -> pd.Series:
        """Values as compared, at ``idx``: stripped; code fields as their code (a label and its code are the
        same value); dates as YYYYMMDD; missing = ""."""
        s = self.at(code, idx)
        f = self.lfield(code)
        if f is not None and f.codes and len(s):
            s = load_code_table(f.codes).to_code(s).fillna(s)
        elif f is not None and f.date == "YYYYMMDD" and len(s):
            s = date_text(s).fillna(s)
        return s

    def shown(self, code: str, idx: np.ndarray, unmask: bool) -> list[str]:
        """Values at ``idx`` as a person reads them: code fields as their label, personal values masked,
        empty as （空）."""
        vals = self.at(code, idx)
        f = self.lfield(code)
        if f is not None and f.codes and len(vals):
            vals = load_code_table(f.codes).to_label(vals).fillna(vals)
        kind = None if unmask else self.personal(code)
        return [("（空）" if v == "" else mask_value(kind, v) if kind else v) for v in vals.tolist()]

    def where(self, idx: np.ndarray) -> list[str]:
        """School, grade and class at ``idx``: 示范县第一小学 小学三年级 2班 (a university roster: 院校名称,
        专业名称, 年级, 班号)."""
        if not len(idx):
            return []
        nj = self.at("NJ", idx)

        def first(*codes):  # the first of these fields the list has
            return self.at(next((c for c in codes if self.has(c)), codes[0]), idx).tolist()

        parts = [
            first("XXMC", "YXMC"),
            *([self.at("ZYMC", idx).tolist()] if self.has("ZYMC") else []),
            load_code_table("nj").to_label(nj).fillna(nj).tolist(),
            first("BJ", "BH"),
        ]
        return [" ".join(p for p in t if p) or "（学校、班级空）" for t in zip(*parts)]


def _nsb(xm: pd.Series, xb: pd.Series, csrq: pd.Series) -> pd.Series:
    """姓名|性别代码|出生日期 (NaN when any part is missing or not understood): the fallback identity."""
    name = key_text(xm)
    sex = load_code_table("xb").to_code(xb.str.strip())
    sex = sex.where(sex.isin(["1", "2"]))
    birth = date_text(csrq.str.strip())
    joined = pc.binary_join_element_wise(text_array(name), text_array(sex), text_array(birth), _SEP)
    return pd.Series(pd.array(joined, dtype=STR))


_SEP = pa.scalar("|", pa.large_string())


def _mask_keys(s: pd.Series, kind: str | None, unmask: bool) -> pd.Series:
    if unmask or kind is None:
        return s.astype(STR)
    fixed = _mask_ids_fixed(s) if kind == "id" and s.dtype == STR else None
    return fixed if fixed is not None else mask_series(s, kind)


def _mask_ids_fixed(s: pd.Series) -> pd.Series | None:
    """``mask_series(s, "id")`` when every value is ASCII of one length (学籍号, ID numbers): the same stars put
    into a copy of the column's bytes by numpy; None for any other column."""
    a = text_array(s)
    if not len(a) or a.null_count == len(a):
        return None
    off = np.frombuffer(a.buffers()[1], np.int64, len(a) + 1, a.offset * 8)
    lengths = np.diff(off)
    valid = np.asarray(a.is_valid().to_numpy(zero_copy_only=False), bool) if a.null_count else None
    width = int(lengths[valid].max() if valid is not None else lengths.max())
    if width == 0 or (lengths[valid] if valid is not None else lengths).min() != width:
        return None
    if valid is not None and lengths[~valid].any():
        return None
    data = np.frombuffer(a.buffers()[2], np.uint8)[off[0] : off[-1]]
    if data.max() >= 0x80:
        return None
    start, stop = (0, width) if width <= 6 else (2, width) if width <= 10 else (6, width - 4)
    masked = data.reshape(-1, width).copy()
    masked[:, start:stop] = ord("*")
    offsets = pa.py_buffer((off - off[0]).astype(np.int64))
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    out = pa.LargeStringArray.from_buffers(len(a), offsets, pa.py_buffer(masked), bitmap)
    return pd.Series(pd.array(out, dtype=STR), index=s.index, name=s.name)


def _load(layout: str | Layout | None) -> Layout | None:
    return None if layout is None else load_layout(layout)


# ------------------------------------------------------------------------------------------------ keys


def _id_field(cols: Iterable[str]) -> str | None:
    """The ID column of a list with these (upper-case) column names: the first of ``ID_FIELDS`` it has."""
    return next((c for c in ID_FIELDS if c in cols), None)


def _key_code(old_cols: Iterable[str], new_cols: Iterable[str], key: str | None) -> str:
    """The field two lists with these (upper-case) column names are matched by: ``key`` checked, or by
    default XJH when both have it, else their ID field."""
    oid, nid = _id_field(old_cols), _id_field(new_cols)
    if key is None:
        if "XJH" in old_cols and "XJH" in new_cols:
            return "XJH"
        if oid and nid:
            return oid if oid == nid else ID_FIELDS[0]
        raise LayoutError(
            "两份名单没有共同的学籍号（XJH）或身份证件号（SFZJH/SFZH）字段，无法对应；请用 key= 指定用来对应的字段"
        )
    key = str(key).upper()
    if key in ID_FIELDS:
        if not (oid and nid):
            raise LayoutError(f"按身份证件号对应，但{'旧' if not oid else '新'}名单没有身份证件号字段")
        return key
    for cols, side in ((old_cols, "旧"), (new_cols, "新")):
        if key not in cols:
            raise LayoutError(f"{side}名单没有字段 {key}，不能按它对应")
    return key


# ------------------------------------------------------------------------------------- result columns


def _categorical_text(values: np.ndarray, categories: Sequence[str]) -> pd.Series:
    """A numpy array holding a few known values ("" = missing) — or their integer codes into
    ``categories``, code 0 = missing — as a pandas ``str`` column, through an Arrow dictionary array
    (no Python object per row)."""
    categories = list(categories)
    if values.dtype.kind in "iu":
        codes = values.astype(np.int32)
        codes[codes == 0] = -1
    else:
        codes = np.full(len(values), -1, np.int32)
        for k, c in enumerate(categories):
            codes[values == c] = k
        unknown = (codes < 0) & (values != "")
        for c in np.unique(values[unknown]).tolist():  # never expected; kept visible rather than lost
            categories.append(c)
            codes[values == c] = len(categories) - 1
    # a take of the texts without a mask (several times faster than a masked take); the missing rows, when
    # there are any, are taken as "" and then marked missing by a validity bitmap
    missing = codes < 0
    n_missing = int(missing.sum())
    few = _few_present(codes, categories, missing, n_missing)
    if few is not None:
        return few
    texts = pa.array([*categories, ""] if n_missing else categories, type=pa.large_string())
    out = pc.take(texts, pa.array(np.where(missing, len(categories), codes).astype(np.int32) if n_missing else codes))
    if n_missing:
        bitmap = pa.py_buffer(np.packbits(~missing, bitorder="little"))
        out = pa.LargeStringArray.from_buffers(len(out), out.buffers()[1], out.buffers()[2], bitmap, n_missing)
    return pd.Series(pd.array(out, dtype=STR))


def _few_present(codes: np.ndarray, categories: list[str], missing: np.ndarray, n_missing: int) -> pd.Series | None:
    """``_categorical_text`` of codes that are mostly missing or all one category where present (a list's side,
    matched_by, change_class): offsets from the lengths, the bytes of the present rows only — no take over
    every row. None for other codes."""
    n = len(codes)
    present = n - n_missing
    top = int(codes.max()) if n else -1
    single = not present or int(np.count_nonzero(codes == top)) == present
    if not (single or present <= n // 8):
        return None
    offsets = np.zeros(n + 1, np.int64)
    if single:
        size = len(categories[top].encode("utf-8")) if present else 0
        if n_missing:
            np.cumsum(~missing, out=offsets[1:])
        else:
            offsets[1:] = 1
            np.cumsum(offsets, out=offsets)
        offsets *= size
        data = categories[top].encode("utf-8") * present if present else b""
    else:
        sizes = np.array([len(c.encode("utf-8")) for c in categories], np.int64)
        at = np.flatnonzero(~missing)
        offsets[at + 1] = sizes[codes[at]]
        np.cumsum(offsets, out=offsets)
        taken = pc.take(pa.array(categories, pa.large_string()), pa.array(codes[at]))
        data = taken.buffers()[2] if int(offsets[-1]) else b""
    bitmap = pa.py_buffer(np.packbits(~missing, bitorder="little")) if n_missing else None
    out = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), bitmap, n_missing)
    return pd.Series(pd.array(out, dtype=STR))


def _sparse(values: np.ndarray, fill: str | None) -> pd.Series:
    """An object array that is mostly None (set only where there is something to say) as a pandas ``str``
    column, None → ``fill`` (or missing): ``_sparse_at`` of its set positions."""
    nz = np.flatnonzero(~pd.isna(values))
    return _sparse_at(len(values), nz, [str(v) for v in values[nz]], fill)


def _sparse_at(n: int, at: np.ndarray, texts: Sequence[str], fill: str | None) -> pd.Series:
    """A pandas ``str`` column of ``n`` rows holding ``texts[k]`` at position ``at[k]`` (distinct positions, in any
    order) and ``fill`` (or missing) everywhere else — what a result column of a few thousand sentences among a
    million records is built from, without an object array of a million. The Arrow array is built from its
    offsets and the texts' bytes, the rows without a value empty (or missing) at no cost."""
    at = np.asarray(at, np.int64)
    texts = pa.array(texts, pa.large_string())  # encoded by Arrow, not one by one
    if len(at) > 1 and (np.diff(at) < 0).any():
        order = np.argsort(at, kind="stable")
        at, texts = at[order], texts.take(pa.array(order))
    if fill not in (None, ""):
        codes = np.zeros(n, np.int32)
        codes[at] = np.arange(1, len(at) + 1, dtype=np.int32)
        return decode_codes(codes, [fill, *texts.to_pylist()])
    lengths = np.zeros(n, np.int64)
    lengths[at] = pc.binary_length(texts).to_numpy(zero_copy_only=False) if len(texts) else 0
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    bitmap = None
    if fill is None:
        valid = np.zeros(n, bool)
        valid[at] = True
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    data = texts.buffers()[2] if len(texts) else None  # a new array (offset 0): its bytes are the column's
    out = pa.LargeStringArray.from_buffers(
        n,
        pa.py_buffer(offsets),
        data if data is not None else pa.py_buffer(b""),
        bitmap,
        null_count=n - len(at) if fill is None else 0,
    )
    return pd.Series(pd.array(out, dtype=STR))
