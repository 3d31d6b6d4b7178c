"""学籍统计：the standard count tables a registry office or bureau reports, as plain result objects.

    >>> import xueji_lib as xj
    >>> from xueji_lib.stats.statistics import higher_ed_stats, k12_stats
    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")                       # doctest: +SKIP
    >>> adm = xj.read_dbf("data_samples/hei/10_录取名单.dbf")                       # doctest: +SKIP
    >>> res = higher_ed_stats(reg, admission=adm, year=2026)                       # doctest: +SKIP
    >>> print(res.summary())                                                       # doctest: +SKIP
    >>> res.table("按民族")                                                         # doctest: +SKIP

Every table has one row per group (a Chinese label column, ``人数``, ``占比（%）``) and a last ``合计`` row
whose count is the number of input records: nothing is dropped — an empty cell is counted as ``未填`` and a
value the code table does not know as ``其他（原值）``. With ``previous`` (a snapshot of the same kind) each
table gains ``上期人数`` and ``增减``. Tables hold counts only, never a name or an ID number.

Counting happens in the engine (DuckDB, or Spark): it groups the records by the fields a table counts —
over a frame, or over a folder converted by ``dbf_to_parquet`` that it reads itself — so that only the
distinct values come back; each is labelled once (code tables, dates, ID prefixes) and the labelled groups
are added up in the engine again (about half a second for 1,000,000 registration records).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from ..core.errors import XuejiError
from ..core.ids import ID_NUMBER_FIELDS
from ..core.normalize import as_text, date_text
from ..core.result import TOTAL, ChartSpec, Column, OutputFiles, Result, ResultList, summary_sheet
from ..engine import sqlnorm
from ..engine.engines import Engine, engine_for, register_list
from ..io.source import ListSource
from ..schema.codes import load_code_table, normalize_value, province_of

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from ..matching.reconcile import ReconcileResult

__all__ = ["StatsResult", "StatsInputError", "higher_ed_stats", "k12_stats", "AGE_BANDS"]

UNFILLED = "未填"
UNKNOWN = "无法确定"
COUNT = "人数"
SHARE = "占比（%）"
PREVIOUS = "上期人数"
CHANGE = "增减"
GRADE_CODE = "年级代码"  # 按年级's last column: the 年级 code (14) of each row's label (小学四年级)
OTHER_MAX = 12  # longer raw values in a coded field are not echoed (they may be data in the wrong column)

# (label, lowest age, highest age) — ages in full years on the reference date
AGE_BANDS = (
    ("17岁及以下", None, 17),
    ("18岁", 18, 18),
    ("19岁", 19, 19),
    ("20岁", 20, 20),
    ("21–25岁", 21, 25),
    ("26–30岁", 26, 30),
    ("30岁以上", 31, None),
)
AGE_UNKNOWN = "无法计算"

BY_KSH = "其中按考生号"
BY_ID = "其中按身份证号"

# display order for code tables whose code order is not the reading order
_ORDER_OVERRIDE = {"xb": ["男", "女", "未知的性别", "未说明的性别"]}


def table_by_title(tables: dict[str, pd.DataFrame], name: str, what: str = "表") -> pd.DataFrame:
    """``tables[name]``, or a KeyError that lists the titles there are (every statistics result's ``table``)."""
    try:
        return tables[name]
    except KeyError:
        raise KeyError(f"没有名为“{name}”的{what}；已有：{'、'.join(tables)}") from None


class StatsInputError(XuejiError, ValueError):
    """The inputs cannot give the statistics asked for (e.g. a registration rate without admission data).

    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), reg, year=2026)
    >>> try:
    ...     xj.higher_ed_stats(reg, reconcile_result=res)       # a registration rate needs admission=
    ... except xj.StatsInputError as exc:
    ...     print(exc)
    按专业统计注册率需要录取数据（admission）：...
    """


# ------------------------------------------------------------------------------------------------ result


@dataclass(frozen=True)
class StatsResult(Result):
    """Statistics tables: ``tables`` (Chinese title → DataFrame, in report order), ``total`` (records
    counted), ``notes`` (Chinese sentences: how values were derived, what could not be used), ``kind``
    ("higher_ed" or "k12"), ``previous_total`` (records in the previous snapshot, when given) and ``params``.

    Each table: label column(s), 人数, 占比（%）[, 上期人数, 增减]; the last row is 合计, whose 人数 equals
    ``total``. 各专业注册率 has its own columns (录取人数, 注册一致, 关键字段不一致, 未注册, 注册率（%）).

    >>> st = xj.k12_stats(xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student"))
    >>> st.total, list(st.tables)[:3]
    (1437, ['按学校', '按年级', '按班级'])
    >>> st.table("按性别")["人数"].tolist()          # 男, 女, 未填, 合计
    [737, 699, 1, 1437]
    """

    tables: dict[str, pd.DataFrame]
    total: int
    notes: list[str] = field(default_factory=list)
    kind: str = ""
    previous_total: int | None = None
    params: dict = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """One table by its title (``"按专业"``)."""
        return table_by_title(self.tables, name, "统计表")

    def summary(self) -> str:
        title = {"higher_ed": "学籍统计（高等学校）", "k12": "学籍统计（中小学）"}.get(self.kind, "学籍统计")
        lines = [f"{title}：共 {self.total} 条记录"]
        if self.previous_total is not None:
            d = self.total - self.previous_total
            lines.append(f"上期 {self.previous_total} 条，本期{'增加' if d >= 0 else '减少'} {abs(d)} 条")
        counted = [(k, len(t) - 1) for k, t in self.tables.items()]
        lines.append("统计表：" + "、".join(f"{k}（{n} 组）" for k, n in counted))
        rate = self.tables.get(RATE_TITLE)
        if rate is not None and len(rate):
            last = rate.iloc[-1]
            lines.append(
                f"注册率：录取 {int(last['录取人数'])} 人，注册一致 {int(last['注册一致'])} 人，"
                f"注册率 {last['注册率（%）']:.2f}%"
            )
        lines += [f"说明：{n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-able: {kind, total, previous_total, params, notes, tables: {title: [row, …]}}."""
        return {
            "kind": self.kind,
            "total": int(self.total),
            "previous_total": None if self.previous_total is None else int(self.previous_total),
            "params": dict(self.params),
            "notes": list(self.notes),
            "tables": {k: json.loads(t.to_json(orient="records", force_ascii=False)) for k, t in self.tables.items()},
        }

    @property
    def counts(self) -> dict:
        """total (records counted), previous_total, and each table's 合计."""
        return {
            "total": int(self.total),
            "previous_total": self.previous_total,
            **{k: int(t.iloc[-1][COUNT]) for k, t in self.tables.items() if k != RATE_TITLE and len(t)},
        }

    @property
    def conserved(self) -> bool:
        """Every table's 合计 equals the records counted."""
        return all(
            int(t.iloc[-1][COUNT]) == int(self.total) for k, t in self.tables.items() if k != RATE_TITLE and len(t)
        )

    # ------------------------------------------------------------------------------ what the result lists
    def summary_frame(self) -> pd.DataFrame:
        """项目 | 数值 | 说明: the record count, each table's 合计, the registration rate."""
        d = self.to_dict()
        rows = [{"项目": "记录数", "数值": d["total"], "说明": "本期名单；每张统计表的合计都等于它"}]
        if d["previous_total"] is not None:
            rows += [
                {"项目": "上期记录数", "数值": d["previous_total"], "说明": "上期名单"},
                {"项目": "增减", "数值": d["total"] - d["previous_total"], "说明": "本期 − 上期"},
            ]
        for title, table in d["tables"].items():
            if title == RATE_TITLE or not table:
                continue
            rows.append({"项目": f"{title}：{TOTAL}", "数值": int(table[-1][COUNT]), "说明": f"{len(table) - 1} 组"})
        rate = d["tables"].get(RATE_TITLE)
        if rate:
            last = rate[-1]
            rows += [
                {"项目": f"{RATE_TITLE}：录取人数", "数值": int(last["录取人数"]), "说明": f"{len(rate) - 1} 个专业"},
                {"项目": f"{RATE_TITLE}：注册一致", "数值": int(last["注册一致"]), "说明": ""},
                {
                    "项目": f"{RATE_TITLE}：注册率（%）",
                    "数值": float(last["注册率（%）"]),
                    "说明": "注册一致 ÷ 录取人数",
                },
            ]
        return pd.DataFrame(
            {
                "项目": [r["项目"] for r in rows],
                "数值": pd.Series([r["数值"] for r in rows], dtype=object),
                "说明": [r["说明"] for r in rows],
            }
        )

    def lists(self) -> list[ResultList]:
        """Every statistics table, as it is (counts only: no personal value)."""
        return count_lists(self.tables)

    def save(self, folder: str | os.PathLike) -> OutputFiles:
        """统计表.xlsx (汇总: the summary lines, then one sheet per table, each ending in 合计) and summary.json."""
        return save_tables(self, folder, "统计", "统计表")

    def chart_spec(self) -> ChartSpec | None:
        """学生人数 of the first table (and the previous term's, when given)."""
        if not self.tables:
            return None
        first = next(iter(self.tables))
        table = self.tables[first].iloc[:-1]
        label = table.columns[0]
        return ChartSpec(
            f"学生人数（{first}）",
            table[label].astype("str").tolist(),
            {c: table[c].astype(int).tolist() for c in (COUNT, "上期人数") if c in table},
            category_title=str(label),
            value_title="人数",
            legend="",
        )


RATE_TITLE = "各专业注册率"


# ------------------------------------------------------------------------------------------- dimensions


@dataclass
class _Dim:
    """One table to count: label column names, one Categorical per column over the groups of records the
    engine formed (``_Source.groups``), a sort spec per column ("count", "natural", or a list of labels in
    order), optional split columns, and per group its number of records and its first record."""

    title: str
    columns: list[str]
    values: list[pd.Categorical]
    order: list
    split: pd.Categorical | None = None  # per-group category → one extra count column each
    split_columns: list[str] = field(default_factory=list)
    weight: np.ndarray | None = None  # records per group (None: one each)
    first: np.ndarray | None = None  # position of each group's first record (None: 0, 1, 2 …)


def count_lists(tables: dict[str, pd.DataFrame]) -> list[ResultList]:
    """Tables of counts as result lists, their columns as they are headed (no personal value in them)."""
    return [
        ResultList(title, table, tuple(Column(c, c, personal="") for c in table.columns), unit="行")
        for title, table in tables.items()
    ]


def save_tables(result: Result, folder: str | os.PathLike, heading: str, workbook: str) -> OutputFiles:
    """A statistics result (standard tables, cross tables, 异动报表, 核查执行统计) written the one way they all are:
    ``<workbook>.xlsx`` (汇总: the summary lines under ``heading``, then the result's lists) and summary.json."""
    from ..io.lists import write_json, write_lists_workbook

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    files = OutputFiles({"workbook": out / f"{workbook}.xlsx", "summary": out / "summary.json"})
    lines = result.summary().splitlines()
    summary = summary_sheet([(heading if i == 0 else "", line) for i, line in enumerate(lines)])
    write_lists_workbook(summary, result.lists(), {}, files["workbook"], unmask=False)
    write_json(files["summary"], result.to_dict())
    return files


def _col(df: pd.DataFrame, *names) -> pd.Series | None:
    cols = {str(c).upper(): c for c in df.columns}
    for n in names:
        if n in cols:
            return df[cols[n]].reset_index(drop=True)
    return None


# every field the statistics read (the engine is given only these columns of a frame)
_FIELDS = (
    "FY",
    "ZYMC",
    "CC",
    "XXXS",
    "XB",
    "XBDM",
    "MZ",
    "MZDM",
    "KSH",
    "SFZH",
    "ZJHM",
    "SFZJH",
    "CSRQ",
    "CSNY",
    "RXRQ",
    "XXMC",
    "XXBSM",
    "NJ",
    "BJ",
    "SFLSET",
    "SFSQZN",
    "HKXZ",
)


class _Source:
    """The list being counted (an ``io.source.ListSource``), registered in the engine
    (``engine.register_list``): a frame, or a folder converted by ``dbf_to_parquet`` that the engine reads
    itself. ``groups`` has the engine group the records by the columns asked for, so that only their
    distinct combinations come to this process — each with ``w`` (its records) and ``first`` (the position
    of its first record) — and every label is worked out once per distinct value."""

    def __init__(self, con, name: str, data: ListSource):
        self.con, self.view = con, name
        self.types = register_list(con, name, data, {f: (f,) for f in _FIELDS})
        self.n = data.count  # the records the view holds (a folder: from its Parquet footers)

    def has(self, code: str) -> bool:
        return code in self.types

    def name(self, *names) -> str | None:
        """The first of ``names`` the list has."""
        return next((c for c in names if c in self.types), None)

    def groups(self, columns, *, exprs: dict | None = None, among: tuple | None = None) -> pd.DataFrame:
        """The list grouped by ``columns`` (those it has) and by ``exprs`` ({name: SQL}), in the order of
        their first records; ``among`` = (column, values): only the records whose value is one of ``values``
        (None = missing)."""
        keys = [c for c in dict.fromkeys(c for c in columns if c) if c in self.types]
        sel = [self.con.ident(c) for c in keys] + [f"{e} AS {self.con.ident(k)}" for k, e in (exprs or {}).items()]
        where = ""
        if among is not None:
            col, values = among
            known = pd.Series([v for v in values if not pd.isna(v)], dtype=object)
            parts = [f"{self.con.ident(col)} IS NULL"] if any(pd.isna(v) for v in values) else []
            if len(known):
                self.con.register(f"{self.view}_among", pd.DataFrame({"v": known.infer_objects()}))
                parts.append(f"{self.con.ident(col)} IN (SELECT v FROM {self.view}_among)")
            where = "WHERE " + (" OR ".join(parts) or "FALSE")
        group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(sel)))}" if sel else ""
        got = self.con.sql(
            f"SELECT {''.join(x + ', ' for x in sel)}count(*) AS w, min(_row) - 1 AS first "
            f"FROM {self.view} {where}{group}"
        ).to_pandas()
        if among is not None and len(known):
            self.con.unregister(f"{self.view}_among")
        got = got[got["w"] > 0].sort_values("first", kind="stable").reset_index(drop=True)
        got["w"] = got["w"].astype(np.int64)
        got["first"] = got["first"].astype(np.int64)
        return got


def _by_distinct(values: pd.Series | None, n: int, func) -> pd.Categorical:
    """Per-record labels: ``func`` is called once per distinct value (and once with None for missing),
    never per record."""
    if values is None:
        return pd.Categorical.from_codes(np.zeros(n, np.int8), categories=[func(None)])
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = [func(u) for u in uniques] + [func(None)]  # code -1 (missing) picks the last one
    lab_codes, lab_uniques = pd.factorize(pd.Series(labels, dtype=object))
    return pd.Categorical.from_codes(lab_codes[codes], categories=pd.Index(lab_uniques, dtype=object))


def _plain(u) -> str:
    s = "" if u is None else str(u).strip()
    return s or UNFILLED


def _other(u) -> str:
    s = u.strip() if isinstance(u, str) else normalize_value(u)  # 1.0 → "1"
    return f"其他（{s}）" if len(s) <= OTHER_MAX else "其他（原值过长，未显示）"


def _table_labels(values: pd.Series | None, n: int, table: str) -> pd.Categorical:
    """Labels through a code table: code, label, alias or old name → label; empty → 未填; anything
    else → 其他（原值）."""
    t = load_code_table(table)

    def one(u):
        if u is None:
            return UNFILLED
        entry, kind = t.match(u)
        if kind == "empty":
            return UNFILLED
        return entry.label if entry is not None else _other(u)

    return _by_distinct(values, n, one)


def _code_order(table: str) -> list[str]:
    return _ORDER_OVERRIDE.get(table) or load_code_table(table).labels()


def _values_note(name: str, cat: pd.Categorical, coded: bool, weight: np.ndarray) -> str | None:
    """What could not be labelled: values not in the code table (shown), empty cells."""
    counts = pd.Series(
        np.bincount(cat.codes, weights=weight, minlength=len(cat.categories)).astype(np.int64),
        index=list(cat.categories),
    )
    other = counts[[coded and str(c).startswith("其他（") for c in counts.index]]
    other = other[other > 0].sort_values(ascending=False)
    empty = int(counts.get(UNFILLED, 0))
    parts = []
    if len(other):
        shown = "、".join(f"{str(k)[3:-1]} {v} 条" for k, v in other.head(5).items())
        more = f" 等 {len(other)} 种" if len(other) > 5 else ""
        parts.append(f"{int(other.sum())} 条的值不在代码表中（{shown}{more}），列为“其他（原值）”")
    if empty:
        parts.append(f"{empty} 条未填")
    return f"{name}：" + "；".join(parts) if parts else None


def _int_dates(values: pd.Series | None, n: int) -> np.ndarray:
    """YYYYMMDD as int64 per record; -1 where missing or not a real date."""
    if values is None:
        return np.full(n, -1, np.int64)
    t = date_text(values)
    codes, uniques = pd.factorize(t, use_na_sentinel=True)
    vals = np.array([int(u) for u in uniques] + [-1], dtype=np.int64)
    return vals[codes]


# ---------------------------------------------------------------------------------------- higher ed


def _province(src: _Source) -> tuple[_Dim, str]:
    """生源省份 per record: a 14-digit 考生号's 3rd–4th digits, else the 身份证号's first 2 digits. The engine
    groups the records by those two prefixes (the 考生号's only when it is 14 digits; the 身份证号's first two
    characters that are not blanks, the same two that ``normalized_ids`` begins with)."""
    from ..checks.validate import normalized_ids

    exprs = {}
    if src.has("KSH"):
        k = sqlnorm.strip(sqlnorm.text("KSH", src.types["KSH"]))
        exprs["ksh_p"] = (
            f"CASE WHEN length({k}) = 14 AND translate({k}, '0123456789', '') = '' THEN substr({k}, 3, 2) END"
        )
    id_name = src.name(*ID_NUMBER_FIELDS)
    if id_name:
        e = sqlnorm.text(id_name, src.types[id_name])
        for ch in "\t\n\x0c\r \u3000":  # the blanks normalized_ids drops (after making U+3000 a space)
            e = f"replace({e}, '{ch}', '')"
        exprs["id_p"] = f"left({e}, 2)"
    g = src.groups([], exprs=exprs)
    n, w = len(g), g["w"].to_numpy()
    prov = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype=object)
    is14 = g["ksh_p"].notna().to_numpy(dtype=bool) if "ksh_p" in g else np.zeros(n, bool)
    by_ksh = np.zeros(n, bool)
    if is14.any():
        p = province_of(g["ksh_p"][is14].astype("str"))
        by_ksh[np.flatnonzero(is14)] = p.notna().to_numpy()
        prov[by_ksh] = p[p.notna()].to_numpy(dtype=object)
    rest = ~by_ksh
    by_id = np.zeros(n, bool)
    if "id_p" in g and rest.any():
        p = province_of(normalized_ids(as_text(g["id_p"])[rest]))
        by_id[np.flatnonzero(rest)] = p.notna().to_numpy()
        prov[by_id] = p[p.notna()].to_numpy(dtype=object)
    label = _by_distinct(pd.Series(prov, dtype="str"), n, lambda u: UNKNOWN if u is None else str(u))
    method = np.where(by_ksh, 0, np.where(by_id, 1, 2)).astype(np.int8)
    split = pd.Categorical.from_codes(method, categories=[BY_KSH, BY_ID, UNKNOWN])
    bad14 = int(w[is14 & ~by_ksh].sum())
    note = (
        f"生源省份：{int(w[by_ksh].sum())} 条按 14 位考生号的第 3–4 位（生源省级代码），"
        f"{int(w[by_id].sum())} 条按身份证号前 2 位（考生号不是 14 位数字"
        + (f"，或 14 位考生号第 3–4 位不是省级代码的 {bad14} 条" if bad14 else "")
        + f"），{int(w[~by_ksh & ~by_id].sum())} 条无法确定"
    )
    dim = _Dim("按生源省份", ["生源省份"], [label], ["count"], split, [BY_KSH, BY_ID], w, g["first"].to_numpy())
    return dim, note


def _age(src: _Source, year: int | None) -> tuple[_Dim, str]:
    """入学年龄: full years at 入学日期 (RXRQ), else at 9月1日 of ``year``; birth from 出生日期, else from
    the 身份证号. The engine groups the records by 出生日期 and 入学日期; only the groups whose 出生日期 is
    missing or not a date are grouped again with the 身份证号."""
    from ..checks.validate import normalized_ids
    from ..core import ids

    birth_name, id_name = src.name("CSRQ", "CSNY"), src.name(*ID_NUMBER_FIELDS)
    g = src.groups([birth_name, "RXRQ"])
    birth = _int_dates(g[birth_name] if birth_name else None, len(g))
    from_id = np.zeros(len(g), bool)
    if id_name and (birth <= 0).any():
        bad = g[birth_name][birth <= 0] if birth_name else None
        again = src.groups([birth_name, "RXRQ", id_name], among=(birth_name, bad.tolist()) if birth_name else None)
        keep = birth > 0
        g = pd.concat([g[keep], again], ignore_index=True)
        b = _int_dates(ids.birth_date(normalized_ids(as_text(again[id_name]))), len(again))
        birth = np.concatenate([birth[keep], b])
        from_id = np.concatenate([np.zeros(int(keep.sum()), bool), b > 0])
    n, w = len(g), g["w"].to_numpy()
    from_csrq = (birth > 0) & ~from_id
    ref = _int_dates(g["RXRQ"] if "RXRQ" in g else None, n)
    by_rxrq = ref > 0
    by_year = np.zeros(n, bool)
    if year:
        by_year = ~by_rxrq
        ref = np.where(by_rxrq, ref, int(year) * 10000 + 901)
    ok = (birth > 0) & (ref > 0) & (ref >= birth)
    age = np.where(ok, (ref - birth) // 10000, -1)  # YYYYMMDD arithmetic gives full years
    uppers = np.array([hi for _, _, hi in AGE_BANDS[:-1]])
    band = np.searchsorted(uppers, age, side="left").astype(np.int8)  # age ≤ upper of band i → i
    band[~ok] = len(AGE_BANDS)
    labels = [b[0] for b in AGE_BANDS] + [AGE_UNKNOWN]
    cat = pd.Categorical.from_codes(band, categories=labels)
    ref_text = f"{int(year)} 年 9 月 1 日" if year else None
    parts = [f"入学年龄按周岁计算：{int(w[ok & by_rxrq].sum())} 条以入学日期为准"]
    if year and (ok & by_year).any():
        parts.append(f"{int(w[ok & by_year].sum())} 条入学日期缺失或无效，按 {ref_text} 计算")
    parts.append(
        f"出生日期取自出生日期字段 {int(w[ok & from_csrq].sum())} 条、取自身份证号 {int(w[ok & from_id].sum())} 条"
    )
    unknown = int(w[~ok].sum())
    if unknown:
        why = "出生日期无效或晚于入学日期" if year else "出生日期无效，或入学日期缺失、无效而又没有给出年份 year"
        parts.append(f"{unknown} 条无法计算（{why}）")
    return _Dim("按入学年龄", ["年龄段"], [cat], [labels], weight=w, first=g["first"].to_numpy()), "，".join(parts)


# (table title, label column, field codes in order of preference, code table or None for free text, order)
HIGHER_ED_FIELDS = (
    ("按院系", "院系", ("FY",), None, "count"),
    ("按专业", "专业", ("ZYMC",), None, "count"),
    ("按层次", "层次", ("CC",), "cc", "code"),
    ("按学习形式", "学习形式", ("XXXS",), "xxxs", "code"),
    ("按性别", "性别", ("XB", "XBDM"), "xb", "code"),
    ("按民族", "民族", ("MZ", "MZDM"), "mz", "count"),
)
K12_FIELDS = (
    ("按性别", "性别", ("XB",), "xb", "code"),
    ("按民族", "民族", ("MZ",), "mz", "count"),
    ("按留守儿童", "是否留守儿童", ("SFLSET",), "lset", "code"),
    ("按随迁子女", "是否进城务工人员随迁子女", ("SFSQZN",), "sf", "code"),
    ("按户口性质", "户口性质", ("HKXZ",), "hkxz", "code"),
)


class _Collector:
    """Dimensions and notes of one list. A field the list lacks: its table is left out (``keep_missing``
    False, the current list) or counted as 未填 (True, the previous snapshot, so that its 上期人数 still add
    up); either way the field is listed in ``missing``."""

    def __init__(self, src: _Source, keep_missing: bool):
        self.src, self.n, self.keep = src, src.n, keep_missing
        self.dims: list[_Dim] = []
        self.notes: list[str] = []
        self.missing: list[str] = []

    def labels(self, g: pd.DataFrame, col: str, names, table: str | None, title: str) -> pd.Categorical | None:
        """Labels of the groups ``g`` (from ``src.groups``) for the first of ``names`` the list has."""
        code = self.src.name(*names)
        if code is None:
            self.missing.append(f"{col}（{'/'.join(names)}）")
            if not self.keep:
                self.notes.append(f"文件中没有{col}字段（{'/'.join(names)}），未生成“{title}”表")
                return None
            return _by_distinct(None, len(g), _plain)
        s = g[code]
        cat = _by_distinct(s, len(g), _plain) if table is None else _table_labels(s, len(g), table)
        note = _values_note(col, cat, table is not None, g["w"].to_numpy())
        if note:
            self.notes.append(note)
        return cat

    def fields(self, specs) -> None:
        for title, col, names, table, order in specs:
            g = self.src.groups([self.src.name(*names)])
            cat = self.labels(g, col, names, table, title)
            if cat is not None:
                self.dims.append(
                    _Dim(
                        title,
                        [col],
                        [cat],
                        [_code_order(table) if order == "code" else order],
                        weight=g["w"].to_numpy(),
                        first=g["first"].to_numpy(),
                    )
                )


def _higher_ed_dims(src: _Source, year: int | None, keep_missing: bool = False) -> _Collector:
    c = _Collector(src, keep_missing)
    c.fields(HIGHER_ED_FIELDS)
    for make in (lambda: _province(src), lambda: _age(src, year)):
        d, note = make()
        c.dims.append(d)
        c.notes.append(note)
    return c


def _registration_rate(
    con, n_registration: int, admission, reconcile_result, registration, year, category
) -> tuple[pd.DataFrame, list[str]]:
    from ..matching.reconcile import ADMISSION_STATUSES, reconcile

    if admission is None:
        raise StatsInputError(
            "按专业统计注册率需要录取数据（admission）：核对结果中只有考生号和姓名，没有录取专业。"
            "请同时给出 admission=录取名单"
        )
    if reconcile_result is None:
        reconcile_result = reconcile(admission, registration, year=year, category=category, engine=con)
    adm = reconcile_result.admission
    src = _Source(con, "stats_admission", admission)
    if len(adm) != src.n or len(reconcile_result.registration) != n_registration:
        raise StatsInputError(
            f"核对结果与名单对不上：核对结果有录取 {len(adm)} 条、注册 {len(reconcile_result.registration)} 条，"
            f"给出的录取名单 {src.n} 条、注册名单 {n_registration} 条。请用同一对名单的核对结果"
        )
    # each admission record's status, joined to its 专业 in the engine: (专业, status) groups come back
    con.register(
        "stats_status",
        pd.DataFrame({"_row": adm["row"].to_numpy(dtype=np.int64), "status": adm["status"].astype(object).astype(str)}),
    )
    has_zy = src.has("ZYMC")
    got = con.sql(
        f"SELECT {'a.ZYMC AS zy, ' if has_zy else ''}s.status, count(*) AS w FROM {src.view} AS a "
        f"JOIN stats_status AS s ON s._row = a._row GROUP BY {'1, 2' if has_zy else '1'}"
    ).to_pandas()
    con.unregister("stats_status")
    major = _by_distinct(as_text(got["zy"]) if has_zy else None, len(got), _plain)
    st = pd.Categorical(got["status"].astype(object), categories=list(ADMISSION_STATUSES))
    ct = (
        pd.crosstab(
            pd.Series(major, name="专业"),
            pd.Series(st, name="s"),
            values=got["w"].to_numpy(),
            aggfunc="sum",
            dropna=False,
        )
        .fillna(0)
        .astype(np.int64)
    )
    ct = ct.reindex(columns=list(ADMISSION_STATUSES), fill_value=0)
    out = pd.DataFrame(
        {
            "专业": ct.index.astype(str),
            "录取人数": ct.sum(axis=1).to_numpy(dtype=np.int64),
            "注册一致": ct["matched"].to_numpy(dtype=np.int64),
            "关键字段不一致": ct["key_mismatch"].to_numpy(dtype=np.int64),
            "未注册": ct["not_registered"].to_numpy(dtype=np.int64),
        }
    )
    out = out[out["录取人数"] > 0]
    out = (
        out.assign(_u=(out["专业"] == UNFILLED).astype(int))
        .sort_values(["_u", "录取人数", "专业"], ascending=[True, False, True])
        .drop(columns="_u")
    )
    total = pd.DataFrame({"专业": [TOTAL], **{c: [int(out[c].sum())] for c in out.columns[1:]}})
    out = pd.concat([out, total], ignore_index=True)
    out["注册率（%）"] = np.where(
        out["录取人数"] > 0, (out["注册一致"] / out["录取人数"].where(out["录取人数"] > 0, 1) * 100).round(2), 0.0
    )
    out["专业"] = out["专业"].astype("str")
    c = reconcile_result.counts["registration"]
    rest = c["total"] - c["matched"] - c["key_mismatch"]
    notes = [
        "注册率 = 注册一致 ÷ 录取人数，按录取数据中的专业统计；注册一致指注册上报与录取数据的考生号、姓名、层次等"
        "关键字段一致（平台的比对规则）"
        + (
            f"。注册上报中另有 {rest} 条是录取数据中没有、考生号重复或缺考生号的记录（见核对结果），不计入上表"
            if rest
            else ""
        )
    ]
    if not has_zy:
        notes.append("录取数据中没有专业名称字段（ZYMC），注册率只有合计")
    return out.reset_index(drop=True), notes


def higher_ed_stats(
    registration: pd.DataFrame | ListSource | str | os.PathLike,
    *,
    admission: pd.DataFrame | ListSource | str | os.PathLike | None = None,
    reconcile_result: ReconcileResult | None = None,
    year: int | None = None,
    previous: pd.DataFrame | ListSource | str | os.PathLike | None = None,
    category: str | None = None,
    engine: str | Engine | SparkSession | None = None,
) -> StatsResult:
    """Standard statistics of a higher-education registration list (chsi_registration, or any frame with
    those field codes; 性别/民族 as XB/MZ or XBDM/MZDM, codes or labels). The lists may be frames or folders
    converted by ``dbf_to_parquet`` (see ``k12_stats``).

    Tables: 按院系, 按专业, 按层次, 按学习形式, 按性别, 按民族, 按生源省份, 按入学年龄; 各专业注册率 when
    ``admission`` is given (``reconcile_result`` from ``reconcile(admission, registration)`` is reused,
    else the reconciliation is run with ``year`` and ``category``). ``year``: 入学年龄 is taken at 9月1日 of
    this year where 入学日期 is missing or invalid. ``previous``: an earlier snapshot of the same kind;
    each table gains 上期人数 and 增减. ``engine``: where the counting runs (None/"duckdb", "spark", a master
    URL or a SparkSession; see xueji_lib.engine.engines) — the same tables on each.

    >>> res = higher_ed_stats(reg, admission=adm, year=2026)       # doctest: +SKIP
    >>> res.table("按层次")                                          # doctest: +SKIP
    """
    registration = ListSource.of(registration)
    admission = None if admission is None else ListSource.of(admission)
    previous = None if previous is None else ListSource.of(previous)
    with engine_for(engine) as con:
        cur = _higher_ed_dims(_Source(con, "stats_now", registration), year)
        prev = (
            None
            if previous is None
            else _higher_ed_dims(_Source(con, "stats_before", previous), year, keep_missing=True)
        )
        tables, notes = _tables_on(con, cur, prev)
        if admission is not None or reconcile_result is not None:
            rate, rate_notes = _registration_rate(con, cur.n, admission, reconcile_result, registration, year, category)
            tables[RATE_TITLE] = rate
            notes += rate_notes
    if previous is not None and admission is not None:
        notes.append("注册率不与上期比较")
    params = {k: v for k, v in (("year", year), ("category", category)) if v}
    return StatsResult(
        tables=tables,
        total=cur.n,
        notes=notes,
        kind="higher_ed",
        previous_total=None if prev is None else prev.n,
        params=params,
    )


# ---------------------------------------------------------------------------------------------- K-12


def _natural(label: str):
    """Sort key: numbers inside a label compare as numbers (2班 before 10班)."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", str(label)) if p]


def _k12_dims(src: _Source, keep_missing: bool = False) -> _Collector:
    c = _Collector(src, keep_missing)
    names = ("XXMC",) if src.has("XXMC") or not src.has("XXBSM") else ("XXBSM",)
    g = src.groups([src.name(*names), "XXBSM", "NJ", "BJ"])  # 学校, 年级 and 班级 from one grouping
    w, first = g["w"].to_numpy(), g["first"].to_numpy()
    school = c.labels(g, "学校", names, None, "按学校")
    order: list | str = "natural"
    if school is not None and "XXBSM" in g:  # schools in the order of their 学校标识码
        by = (
            pd.DataFrame({"s": school.codes, "c": as_text(g["XXBSM"]).str.strip().fillna("")})
            .groupby("s")["c"]
            .min()
            .sort_values(kind="stable")
        )
        order = [school.categories[i] for i in by.index]
    if school is not None:
        c.dims.append(_Dim("按学校", ["学校"], [school], [order], weight=w, first=first))
    grade = c.labels(g, "年级", ("NJ",), "nj", "按年级")
    if grade is not None:
        c.dims.append(_Dim("按年级", ["年级"], [grade], [_code_order("nj")], weight=w, first=first))
    klass = c.labels(g, "班级", ("BJ",), None, "按班级")
    if klass is not None and school is not None and grade is not None:
        c.dims.append(
            _Dim(
                "按班级",
                ["学校", "年级", "班级"],
                [school, grade, klass],
                [order, _code_order("nj"), "natural"],
                weight=w,
                first=first,
            )
        )
    c.fields(K12_FIELDS)
    return c


def k12_stats(
    roster: pd.DataFrame | ListSource | str | os.PathLike,
    *,
    previous: pd.DataFrame | ListSource | str | os.PathLike | None = None,
    engine: str | Engine | SparkSession | None = None,
) -> StatsResult:
    """Standard statistics of a K-12 roster (k12_student layout; code columns as codes or labels).
    ``roster``/``previous``: frames or folders converted by ``dbf_to_parquet``; either way the engine groups
    the records by the counted fields, and only the distinct values come back to be labelled.

    Tables: 按学校, 按年级, 按班级 (学校+年级+班级), 按性别, 按民族, 按留守儿童, 按随迁子女, 按户口性质.
    年级 reads in words (小学四年级, 初中一年级); 按年级 ends with a 年级代码 column (14, 21) for scripts.
    ``previous``: the roster of an earlier term; each table gains 上期人数 and 增减.

    >>> roster = xj.read_table("data_samples/k12/学生名单_2026春.xlsx", layout="k12_student")   # doctest: +SKIP
    >>> k12_stats(roster).table("按年级")                                                      # doctest: +SKIP
    """
    roster = ListSource.of(roster)
    previous = None if previous is None else ListSource.of(previous)
    with engine_for(engine) as con:
        cur = _k12_dims(_Source(con, "stats_now", roster))
        prev = None if previous is None else _k12_dims(_Source(con, "stats_before", previous), keep_missing=True)
        tables, notes = _tables_on(con, cur, prev)
    if "按年级" in tables:
        tables["按年级"] = _with_codes(tables["按年级"], "年级", "nj", GRADE_CODE)
    return StatsResult(
        tables=tables, total=cur.n, notes=notes, kind="k12", previous_total=None if prev is None else prev.n
    )


def _with_codes(table: pd.DataFrame, column: str, code_table: str, code_column: str) -> pd.DataFrame:
    """``table`` with one more column at the end, ``code_column``: the code of each label of ``column`` (年级
    小学四年级 → 14), for a script that reads the workbook; empty for 未填, 其他（…） and 合计."""
    codes = {label: code for code, label in load_code_table(code_table).labels_by_code().items()}
    return table.assign(**{code_column: table[column].map(codes).fillna("").astype("str")})


# ------------------------------------------------------------------------------------------ counting


def _count(dim: _Dim, con) -> pd.DataFrame:
    """Label columns (str) + 人数 (+ split columns): one row per label present, in the order of each label's
    first record. The counting is a GROUP BY over the categories' integer codes in the engine (DuckDB or
    Spark: the statistics' share of the relational core), adding up the records of the groups that got the
    same label; groups with an unknown (NaN) label in a key are not counted, as in a pandas group-by."""
    keys = [f"k{i}" for i in range(len(dim.values))]
    cols = {k: pa.array(np.asarray(v.codes, np.int32)) for k, v in zip(keys, dim.values)}
    n = len(dim.values[0]) if dim.values else 0
    cols["i"] = pa.array(np.arange(n, dtype=np.int64) if dim.first is None else np.asarray(dim.first, np.int64))
    cols["w"] = pa.array(np.ones(n, np.int64) if dim.weight is None else np.asarray(dim.weight, np.int64))
    group = keys + (["s"] if dim.split is not None else [])
    if dim.split is not None:
        cols["s"] = pa.array(np.asarray(dim.split.codes, np.int32))
    con.register("dim_t", pa.table(cols))
    try:
        got = con.sql(
            f"SELECT {', '.join(group)}, sum(w) AS n, min(i) AS first FROM dim_t "
            f"WHERE {' AND '.join(f'{g} >= 0' for g in group)} GROUP BY {', '.join(group)}"
        ).to_pandas()
    finally:
        con.unregister("dim_t")
    if dim.split is not None:
        first = got.groupby(keys)["first"].min()
        g = got.pivot_table(index=keys, columns="s", values="n", aggfunc="sum", fill_value=0)
        g = g.reindex(columns=range(len(dim.split.categories)), fill_value=0)
        g.columns = list(dim.split.categories)
        g = g.loc[first.sort_values(kind="stable").index]
        g.insert(0, COUNT, g.sum(axis=1))
        g = g[[COUNT, *dim.split_columns]]
    else:
        g = got.sort_values("first", kind="stable").set_index(keys)[["n"]].rename(columns={"n": COUNT})
    out = g.reset_index()
    for k, v in zip(keys, dim.values):
        out[k] = np.asarray(v.categories, dtype=object)[out[k].to_numpy(dtype=np.int64)]
    out = out.rename(columns=dict(zip(keys, dim.columns)))
    for c in dim.columns:
        out[c] = out[c].astype(object).astype(str)
    for c in out.columns[len(dim.columns) :]:
        out[c] = out[c].astype(np.int64)
    out.columns.name = None
    return out


def _special_rank(label: str) -> int:
    if label in (UNFILLED, UNKNOWN, AGE_UNKNOWN):
        return 2
    return 1 if label.startswith("其他（") else 0


def _sort(table: pd.DataFrame, dim: _Dim) -> pd.DataFrame:
    keys = []
    for col, order in zip(dim.columns, dim.order):
        labels = table[col].tolist()
        if order == "count":
            counts = table[COUNT].tolist()
            keys.append([(_special_rank(label), -c, label) for label, c in zip(labels, counts)])
        elif order == "natural":
            keys.append([(_special_rank(label), _natural(label)) for label in labels])
        else:
            pos = {label: i for i, label in enumerate(order)}
            keys.append(
                [(0, pos[label], "") if label in pos else (1 + _special_rank(label), 0, label) for label in labels]
            )
    idx = sorted(range(len(table)), key=lambda i: tuple(k[i] for k in keys))
    return table.iloc[idx].reset_index(drop=True)


def _tables_on(con, cur: _Collector, prev: _Collector | None) -> tuple[dict[str, pd.DataFrame], list[str]]:
    total, prev_total = cur.n, None if prev is None else prev.n
    notes = list(cur.notes)
    if prev is not None:
        notes.append(
            "上期人数按同样的方法统计上期名单"
            + (f"；上期名单没有{'、'.join(prev.missing)}字段，这些表的上期人数都计为“未填”" if prev.missing else "")
        )
    prev_dims = {d.title: d for d in prev.dims} if prev is not None else {}
    tables = {}
    for dim in cur.dims:
        t = _count(dim, con)
        if prev is not None:
            p = _count(prev_dims[dim.title], con)
            p = p[[*dim.columns, COUNT]].rename(columns={COUNT: PREVIOUS})
            t = t.merge(p, on=dim.columns, how="outer")
            for c in t.columns[len(dim.columns) :]:
                t[c] = t[c].fillna(0).astype(np.int64)
            t[CHANGE] = t[COUNT] - t[PREVIOUS]
        t = _sort(t, dim)
        t.insert(len(dim.columns) + 1, SHARE, (t[COUNT] / total * 100).round(2) if total else 0.0)
        row = {c: "" for c in dim.columns}
        row[dim.columns[0]] = TOTAL
        for c in t.columns[len(dim.columns) :]:
            row[c] = t[c].sum()
        row[SHARE] = 100.0 if total else 0.0
        if prev is not None:
            row[PREVIOUS], row[CHANGE] = prev_total, total - prev_total
        t = pd.concat([t, pd.DataFrame([row])], ignore_index=True)
        for c in dim.columns:
            t[c] = t[c].astype("str")
        for c in t.columns[len(dim.columns) :]:
            t[c] = t[c].astype(np.float64 if c == SHARE else np.int64)
        tables[dim.title] = t
    return tables, notes
