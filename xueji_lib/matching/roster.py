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
            # Arrow's take on the column's own array (no pandas take and index): what
            # ``self.col(code).take(idx).reset_index(drop=True)`` gives
            s = self.col(code)
            return pd.Series(pd.array(pa.array(s.array).take(pa.array(idx)), dtype=STR), name=s.name)
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
        """The same at positions ``idx`` only (computed for those, unless the whole column is at hand; none
        for no position: a list without keyless records asks for them)."""
        if code in self._key:
            return self._key[code].take(np.asarray(idx, np.int64)).reset_index(drop=True)
        if not len(idx):
            return pd.Series(pd.array([], dtype=STR))
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

    def shown(self, code: str, idx: np.ndarray, unmask: bool) -> pa.Array:
        """Values at ``idx`` as a person reads them: code fields as their label, personal values masked (each
        distinct value once), empty as （空）. Plain path: ``"（空）" if v == "" else mask_value(kind, v)`` for each
        value ``v``."""
        vals = self.at(code, idx)
        f = self.lfield(code)
        if f is not None and f.codes and len(vals):
            vals = load_code_table(f.codes).to_label(vals).fillna(vals)
        vals = text_array(vals.astype(STR))
        kind = None if unmask else self.personal(code)
        if kind:  # (privacy.mask_series maps through pandas, several times slower on a few thousand addresses)
            distinct = pc.unique(vals)
            masked = pa.array([mask_value(kind, v) for v in distinct.to_pylist()], pa.large_string())
            return pc.if_else(pc.equal(vals, ""), _EMPTY_SHOWN, masked.take(pc.index_in(vals, distinct)))
        return pc.if_else(pc.equal(vals, ""), _EMPTY_SHOWN, vals)

    def where(self, idx: np.ndarray) -> list[str]:
        """School, grade and class at ``idx``: 示范县第一小学 小学三年级 2班 (a university roster: 院校名称,
        专业名称, 年级, 班号)."""
        return self.where_array(idx).to_pylist()

    def where_array(self, idx: np.ndarray) -> pa.Array:
        """``where`` as an Arrow array: the parts joined by Arrow, the empty ones left out. Plain path:
        ``" ".join(p for p in parts if p) or "（学校、班级空）"`` for each record."""
        if not len(idx):
            return pa.array([], pa.large_string())
        nj = self.at("NJ", idx)

        def first(*codes):  # the first of these fields the list has
            return self.at(next((c for c in codes if self.has(c)), codes[0]), idx)

        parts = [
            first("XXMC", "YXMC"),
            *([self.at("ZYMC", idx)] if self.has("ZYMC") else []),
            load_code_table("nj").to_label(nj).fillna(nj),
            first("BJ", "BH"),
        ]
        joined = _join_given([text_array(p.astype(STR)) for p in parts], " ")
        return pc.if_else(pc.equal(joined, ""), _NO_WHERE, joined)


def _lit(text: str) -> pa.Scalar:
    """A text as an Arrow large_string scalar: what Arrow's element-wise joins take beside the columns."""
    return pa.scalar(text, pa.large_string())


def _join_given(parts: Sequence[pa.Array], sep: str) -> pa.Array:
    """The texts of ``parts`` (large_string arrays of one length, no missing value; "" = not given) joined row by
    row by ``sep``, the parts not given left out ("" when none is): ``sep.join(p for p in row if p)`` by Arrow, a
    part at a time. (Arrow's own join with ``null_handling="skip"`` drops the rows where every part is missing,
    pyarrow 26.)"""
    out, between = parts[0], _lit(sep)
    for part in parts[1:]:
        both = pc.and_(pc.not_equal(out, ""), pc.not_equal(part, ""))
        out = pc.if_else(
            both,
            pc.binary_join_element_wise(out, between, part, _lit("")),
            pc.binary_join_element_wise(out, part, _lit("")),
        )
    return out


_EMPTY_SHOWN = _lit("（空）")
_NO_WHERE = _lit("（学校、班级空）")


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
    masked = data.copy()
    _star_span(masked, width, start, stop)
    # the offsets and the validity bitmap are the column's own when it starts at its buffers' start
    own = a.offset == 0 and off[0] == 0
    offsets = a.buffers()[1] if own else pa.py_buffer((off - off[0]).astype(np.int64))
    bitmap = None if valid is None else a.buffers()[0] if own else pa.py_buffer(np.packbits(valid, bitorder="little"))
    out = pa.LargeStringArray.from_buffers(len(a), offsets, pa.py_buffer(masked), bitmap, a.null_count)
    return pd.Series(pd.array(out, dtype=STR), index=s.index, name=s.name)


def _star_span(rows: np.ndarray, width: int, start: int, stop: int) -> None:
    """Put "*" into bytes ``start`` … ``stop`` - 1 of every row of ``rows`` (a flat writable uint8 array of rows of
    ``width`` bytes), in place: the span covered by words of 8 (or 4, 2, 1) bytes, the last one overlapping the one
    before, each written to every row by one strided pass — numpy's loop over a (rows, span) slice goes byte by
    byte. Plain path: ``rows.reshape(-1, width)[:, start:stop] = ord("*")``."""
    count, span = len(rows) // width, stop - start
    if not count or span <= 0:
        return
    size = next(z for z in (8, 4, 2, 1) if z <= span)
    word = np.frombuffer(b"*" * size, np.dtype(f"u{size}"))[0]
    for at in sorted({*range(start, stop - size + 1, size), stop - size}):
        np.ndarray((count,), word.dtype, rows, at, (width,))[:] = word


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
    ``categories``, code 0 = missing — as a pandas ``str`` column built by Arrow (no Python object per row).
    Plain path: ``pd.Series([categories[c] if c else None for c in codes], dtype=STR)`` (a text value: itself,
    or None for "")."""
    if values.dtype.kind in "iu":
        return _coded_text(values, ["", *list(categories)[1:]])
    texts = ["", *categories]
    codes = np.zeros(len(values), np.int32)
    for k, c in enumerate(categories, 1):
        codes[values == c] = k
    unknown = (codes == 0) & (values != "")
    for c in np.unique(values[unknown]).tolist():  # never expected; kept visible rather than lost
        texts.append(c)
        codes[values == c] = len(texts) - 1
    return _coded_text(codes, texts)


def _coded_text(codes: np.ndarray, texts: list[str]) -> pd.Series:
    """``_categorical_text`` of integer codes into ``texts`` (code 0 = missing, ``texts[0]`` = ""). A column that
    is one text where present (a list's side, matched_by) or mostly missing (change_class) is built from its
    buffers — offsets from the lengths, the bytes of the present rows only; any other one by a take of the
    texts without a mask (several times faster than a masked take), the missing rows taken as "" and then
    marked missing by a validity bitmap."""
    n = len(codes)
    missing = codes == 0
    n_missing = int(np.count_nonzero(missing))
    present = n - n_missing
    bitmap = pa.py_buffer(np.packbits(~missing, bitorder="little")) if n_missing else None
    top = int(codes.max()) if present else 0
    if not present or int(np.count_nonzero(codes == top)) == present:  # one text where present
        one = texts[top].encode("utf-8")
        if not one:
            offsets = np.zeros(n + 1, np.int64)
        elif n_missing:
            offsets = np.zeros(n + 1, np.int64)
            np.cumsum(~missing, out=offsets[1:])
            offsets *= len(one)
        else:
            offsets = np.arange(0, (n + 1) * len(one), len(one), dtype=np.int64)
        data = pa.py_buffer(one * present)
    elif present <= n // 8:  # mostly missing
        sizes = np.array([len(t.encode("utf-8")) for t in texts], np.int64)
        at = np.flatnonzero(~missing)
        offsets = np.zeros(n + 1, np.int64)
        offsets[at + 1] = sizes[codes[at]]
        np.cumsum(offsets, out=offsets)
        taken = pc.take(pa.array(texts, pa.large_string()), pa.array(codes[at]))
        data = taken.buffers()[2] if int(offsets[-1]) else pa.py_buffer(b"")
    else:
        out = pc.take(pa.array(texts, pa.large_string()), pa.array(codes))
        if n_missing:
            out = pa.LargeStringArray.from_buffers(n, out.buffers()[1], out.buffers()[2], bitmap, n_missing)
        return pd.Series(pd.array(out, dtype=STR))
    out = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), data, bitmap, n_missing)
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
    offsets = np.zeros(n + 1, np.int64)  # each row's length after its start, summed in place
    offsets[at + 1] = pc.binary_length(texts).to_numpy(zero_copy_only=False) if len(texts) else 0
    np.cumsum(offsets, out=offsets)
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
