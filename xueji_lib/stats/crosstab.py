"""交叉统计：the two-way tables a bureau sends upward — 学校 × 年级 (人数/其中女), 民族 × 学校, 年龄 × 年级
(超龄/低龄), 户籍 (本县/外县/外省) × 学校, 随班就读/留守/孤儿 by school; for higher education 院系 × 专业 × 层次
with 女生 and 少数民族 — with totals on both margins that add up (行合计 = 列合计 = 记录数).

    >>> import xueji_lib as xj
    >>> from xueji_lib.stats.crosstab import crosstab, k12_crosstabs
    >>> roster = xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student")
    >>> t = crosstab(roster, "学校", "年级", female=True)                 # any two dimensions of DIMENSIONS
    >>> int(t.iloc[-1]["合计·人数"])
    1437
    >>> res = k12_crosstabs(roster)
    >>> res.conserved, list(res.tables)[:2]
    (True, ['学校×年级', '民族×学校'])

Counting happens in the engine (DuckDB by default, or Spark): the records are grouped by the raw fields the
two dimensions read, only the distinct combinations come back, each distinct value is labelled once (code
tables, dates, 行政区划) and the labelled groups are added up — never a loop over records. Tables hold counts
only, never a name or an ID number.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..checks.validate import AGE_CUTOFF, FIRST_GRADE_AGE
from ..core.errors import XuejiError
from ..core.normalize import as_text, date_text
from ..core.result import TOTAL, ChartSpec, Column, OutputFiles, Result, ResultList
from ..engine.engines import Engine, engine_for, register_list
from ..io.source import ListSource
from ..schema.codes import load_code_table
from .statistics import UNFILLED, UNKNOWN, _natural, _table_labels, save_tables, table_by_title

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "CrosstabResult",
    "CrosstabInputError",
    "DIMENSIONS",
    "crosstab",
    "crosstab_dimensions",
    "k12_crosstabs",
    "higher_ed_crosstabs",
    "margins_check",
]

COUNT = "人数"
FEMALE = "其中女"
MINORITY = "少数民族"
SEP = "·"  # 小学一年级·人数, 小学一年级·其中女
LOCAL, OTHER_COUNTY, OTHER_PROVINCE = "本县", "外县", "外省"
AGE_UNKNOWN = "无法计算"
OVER_YEARS = 3  # 超龄: more than this many years above the grade's standard age (the AGE_GRADE_IMPLAUSIBLE rule)
CHECK_TITLE = "合计核对"


class CrosstabInputError(XuejiError, ValueError):
    """A table asked for cannot be made from the list (a dimension it does not know, a field the list lacks).

    >>> try:
    ...     crosstab(pd.DataFrame({"XXMC": ["甲校"]}), "学校", "星座")
    ... except CrosstabInputError as exc:
    ...     print(exc)
    不认识的统计维度“星座”：可用 学校、学校标识码、年级、班级、性别、民族、年龄、户籍、户口性质、留守儿童、随迁子女、随班就读、孤儿、院系、专业、层次、学习形式
    """


# ------------------------------------------------------------------------------------------- dimensions


@dataclass(frozen=True)
class _Dim:
    """One dimension: its Chinese name, the raw fields it reads (alternatives: the first the list has), a code
    table (labels) or None (free text), and the display order ("code", "count", "natural", "age", "fixed")."""

    name: str
    fields: tuple[str, ...]
    table: str | None = None
    order: str = "count"
    fixed: tuple[str, ...] = ()


DIMENSIONS: dict[str, _Dim] = {
    d.name: d
    for d in (
        _Dim("学校", ("XXMC", "XXBSM"), None, "school"),
        _Dim("学校标识码", ("XXBSM",), None, "natural"),
        _Dim("年级", ("NJ",), "nj", "code"),
        _Dim("班级", ("BJ",), None, "natural"),
        _Dim("性别", ("XB", "XBDM"), "xb", "code"),
        _Dim("民族", ("MZ", "MZDM"), "mz", "count"),
        _Dim("年龄", ("CSRQ", "CSNY"), None, "age"),
        _Dim("户籍", ("HKSZDXZQH",), None, "fixed", (LOCAL, OTHER_COUNTY, OTHER_PROVINCE)),
        _Dim("户口性质", ("HKXZ",), "hkxz", "code"),
        _Dim("留守儿童", ("SFLSET",), "lset", "code"),
        _Dim("随迁子女", ("SFSQZN",), "sf", "code"),
        _Dim("随班就读", ("SBJD",), "sbjd", "code"),
        _Dim("孤儿", ("SFGE",), "sf", "code"),
        _Dim("院系", ("FY", "YXMC", "XSH"), None, "count"),
        _Dim("专业", ("ZYMC",), None, "count"),
        _Dim("层次", ("CC",), "cc", "code"),
        _Dim("学习形式", ("XXXS",), "xxxs", "code"),
    )
}

# every raw field any dimension reads (the engine is given only these columns of a frame)
_FIELDS = tuple(
    dict.fromkeys(
        ["XXBSM", "XXMC", "NJ", "RXNY", "XB", "XBDM", "MZ", "MZDM"] + [f for d in DIMENSIONS.values() for f in d.fields]
    )
)


def crosstab_dimensions(data: pd.DataFrame | ListSource | str | os.PathLike) -> list[str]:
    """The dimensions (Chinese names of ``DIMENSIONS``) a list can be counted by: those whose field it has.

    >>> crosstab_dimensions(pd.DataFrame({"XXMC": ["甲校"], "NJ": ["11"], "XB": ["1"]}))
    ['学校', '年级', '性别']
    """
    cols = {str(c).upper() for c in ListSource.of(data).columns}
    return [n for n, d in DIMENSIONS.items() if any(f in cols for f in d.fields)]


class _Counter:
    """The list registered in the engine; ``groups`` brings back the distinct combinations of raw fields with
    their record counts (``w``), and ``labels`` turns one dimension of such groups into labels, once per
    distinct value."""

    def __init__(
        self,
        con: Engine,
        name: str,
        data: ListSource,
        *,
        school_year: int | None = None,
        county: str | None = None,
        school_counties: dict[str, str] | None = None,
        first_grade_age: int = FIRST_GRADE_AGE,
        cutoff: str = AGE_CUTOFF,
    ):
        self.con, self.view = con, name
        self.types = register_list(con, name, data, {f: (f,) for f in _FIELDS})
        self.n = int(data.count)
        self.first_grade_age, self.cutoff = first_grade_age, cutoff
        self.notes: list[str] = []
        self._school_year, self._county, self.school_counties = school_year, county, school_counties or {}

    def has(self, f: str) -> bool:
        return f in self.types

    def field_of(self, dim: _Dim) -> str | None:
        return next((f for f in dim.fields if f in self.types), None)

    def dim(self, name: str) -> _Dim:
        try:
            d = DIMENSIONS[name]
        except KeyError:
            raise CrosstabInputError(f"不认识的统计维度“{name}”：可用 {'、'.join(DIMENSIONS)}") from None
        if self.field_of(d) is None:
            raise CrosstabInputError(f"名单中没有{name}字段（{'/'.join(d.fields)}），不能按{name}统计")
        return d

    def groups(self, fields: Sequence[str]) -> pd.DataFrame:
        keys = list(dict.fromkeys(f for f in fields if f and f in self.types))
        sel = "".join(f"{self.con.ident(k)}, " for k in keys)
        group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}" if keys else ""
        got = self.con.sql(f"SELECT {sel}count(*) AS w FROM {self.view}{group}").to_pandas()
        got = got[got["w"] > 0].reset_index(drop=True)
        got["w"] = got["w"].astype(np.int64)
        return got

    # -------------------------------------------------------------------------------- derived values
    def school_year(self) -> int | None:
        """The school year the ages are taken in: given, else from 入学年月 and 年级 (as validate does)."""
        if self._school_year or not (self.has("RXNY") and self.has("NJ")):
            return self._school_year
        g = self.groups(["RXNY", "NJ"])
        entry = pd.to_numeric(as_text(g["RXNY"]).str.strip().str.slice(0, 4), errors="coerce")
        in_stage = pd.to_numeric(load_code_table("nj").to_code(as_text(g["NJ"])).str.slice(1, 2), errors="coerce")
        guess = pd.DataFrame({"y": entry + in_stage - 1, "w": g["w"]}).dropna()
        if len(guess):
            self._school_year = int(guess.groupby("y")["w"].sum().idxmax())
            self.notes.append(
                f"年龄按 {self._school_year} 年 {int(self.cutoff[:2])} 月 {int(self.cutoff[2:])} 日的周岁计算"
                "（学年按入学年月和年级推断）"
            )
        return self._school_year

    def county(self, g: pd.DataFrame) -> str | None:
        """The list's own county when no school has one: given, else the most common 户口所在地 county."""
        if self._county:
            return self._county
        codes = as_text(g["HKSZDXZQH"]).str.strip().str.slice(0, 6)
        ok = codes.str.fullmatch(r"\d{6}").fillna(False)
        if not ok.any():
            return None
        by = pd.DataFrame({"c": codes[ok], "w": g["w"][ok]}).groupby("c")["w"].sum()
        self._county = str(by.idxmax())
        name = load_code_table("xzqh").labels_by_code().get(self._county, "")
        self.notes.append(f"户籍：没有给出学校所在区县，按学生最多的户口所在地 {self._county} {name} 作为本县")
        return self._county

    def labels(self, dim: _Dim, g: pd.DataFrame) -> pd.Series:
        """Labels (str) of the groups ``g`` for ``dim``: each distinct raw value labelled once."""
        f = self.field_of(dim)
        n = len(g)
        if dim.name == "年龄":
            return self._ages(g[f], n)
        if dim.name == "户籍":
            return self._residence(g)
        if dim.table is not None:
            cat = _table_labels(g[f], n, dim.table)
            return pd.Series(np.asarray(cat, dtype=object), dtype=object).astype(str)
        s = as_text(g[f]).str.strip()
        return s.where(s.notna() & (s != ""), UNFILLED).astype(object).astype(str)

    def ages(self, values: pd.Series) -> np.ndarray:
        """Full years at the cutoff of the school year per value (−1: unknown)."""
        year = self.school_year()
        birth = pd.to_numeric(date_text(values), errors="coerce")
        if not year:
            return np.full(len(values), -1, np.int64)
        ref = int(year) * 10000 + int(self.cutoff)
        b = birth.to_numpy(dtype=float)
        ok = np.isfinite(b) & (b > 0) & (b <= ref)
        return np.where(ok, (ref - np.nan_to_num(b)) // 10000, -1).astype(np.int64)

    def _ages(self, values: pd.Series, n: int) -> pd.Series:
        codes, uniques = pd.factorize(date_text(values.reset_index(drop=True)), use_na_sentinel=True)
        age = self.ages(pd.Series(uniques, dtype=object))
        lab = np.array([f"{a}岁" if a >= 0 else AGE_UNKNOWN for a in age] + [AGE_UNKNOWN], dtype=object)
        if not self.school_year():
            self.notes.append("年龄：不知道学年（名单没有入学年月，也没有给出 school_year），都计为“无法计算”")
        return pd.Series(lab[codes], dtype=object).astype(str)

    def _residence(self, g: pd.DataFrame) -> pd.Series:
        """本县 (户口所在地 in the school's county), 外县 (same province), 外省; 未填; 无法确定 (not a 6-digit code)."""
        hk = as_text(g["HKSZDXZQH"]).str.strip().str.slice(0, 6)
        own = pd.Series([None] * len(g), dtype=object)
        if self.school_counties and "XXBSM" in g:
            own = as_text(g["XXBSM"]).str.strip().map(self.school_counties).astype(object)
        missing_own = own.isna()
        if missing_own.any():
            c = self.county(g)
            own = own.where(~missing_own, c)
        hk_ok = hk.str.fullmatch(r"\d{6}").fillna(False).astype(bool)
        own_s = own.astype(object).where(own.notna(), "").astype(str)
        lab = np.where(
            hk.isna() | (hk == ""),
            UNFILLED,
            np.where(
                ~hk_ok | (own_s == ""),
                UNKNOWN,
                np.where(
                    hk == own_s,
                    LOCAL,
                    np.where(hk.str.slice(0, 2) == own_s.str.slice(0, 2), OTHER_COUNTY, OTHER_PROVINCE),
                ),
            ),
        )
        return pd.Series(lab, dtype=object).astype(str)

    def school_order(self) -> list[str]:
        """Schools in the order of their 学校标识码."""
        f = self.field_of(DIMENSIONS["学校"])
        if f != "XXMC" or not self.has("XXBSM"):
            return []
        g = self.groups(["XXMC", "XXBSM"])
        lab = self.labels(DIMENSIONS["学校"], g)
        code = as_text(g["XXBSM"]).str.strip().fillna("")
        return pd.DataFrame({"l": lab, "c": code}).groupby("l")["c"].min().sort_values(kind="stable").index.tolist()


def _special(label: str) -> int:
    return 2 if label in (UNFILLED, UNKNOWN, AGE_UNKNOWN) else (1 if label.startswith("其他（") else 0)


def _ordered(labels: pd.Series, weight: pd.Series, dim: _Dim, counter: _Counter) -> list[str]:
    """The labels present, in the dimension's reading order (empty and unknown last)."""
    totals = pd.Series(weight.to_numpy(), index=labels.to_numpy()).groupby(level=0).sum()
    present = list(totals.index)
    if dim.order == "code":
        pos = {label: i for i, label in enumerate(_code_labels(dim.table))}
        return sorted(present, key=lambda x: (_special(x), pos.get(x, len(pos)), x))
    if dim.order == "fixed":
        pos = {label: i for i, label in enumerate(dim.fixed)}
        return sorted(present, key=lambda x: (_special(x), pos.get(x, len(pos)), x))
    if dim.order == "age":
        return sorted(present, key=lambda x: (_special(x), int(x[:-1]) if x != AGE_UNKNOWN else 0))
    if dim.order == "school":
        pos = {label: i for i, label in enumerate(counter.school_order())}
        return sorted(present, key=lambda x: (_special(x), pos.get(x, len(pos)), _natural(x)))
    if dim.order == "natural":
        return sorted(present, key=lambda x: (_special(x), _natural(x)))
    return sorted(present, key=lambda x: (_special(x), -int(totals[x]), x))


def _code_labels(table: str | None) -> list[str]:
    if table is None:
        return []
    if table == "xb":
        return ["男", "女", "未知的性别", "未说明的性别"]
    return load_code_table(table).labels()


def _female(counter: _Counter, g: pd.DataFrame) -> np.ndarray:
    """Per group: whether its 性别 is 女 (by the xb code table: 2, 女, 女性 …)."""
    f = counter.field_of(DIMENSIONS["性别"])
    if f is None:
        return np.zeros(len(g), bool)
    return (counter.labels(DIMENSIONS["性别"], g) == "女").to_numpy()


def _minority(counter: _Counter, g: pd.DataFrame) -> np.ndarray:
    """Per group: whether its 民族 is a known 民族 other than 汉族."""
    f = counter.field_of(DIMENSIONS["民族"])
    if f is None:
        return np.zeros(len(g), bool)
    lab = counter.labels(DIMENSIONS["民族"], g)
    known = set(load_code_table("mz").labels())
    return (lab.isin(known) & (lab != "汉族")).to_numpy()


# ----------------------------------------------------------------------------------------------- tables


def _two_way(counter: _Counter, rows: str, columns: str | None, female: bool) -> pd.DataFrame:
    rd = counter.dim(rows)
    cd = counter.dim(columns) if columns else None
    fields = [counter.field_of(rd), counter.field_of(cd) if cd else None]
    if rows == "户籍" or columns == "户籍":
        fields.append("XXBSM")
    if female:
        fields.append(counter.field_of(DIMENSIONS["性别"]) if counter.field_of(DIMENSIONS["性别"]) else None)
    g = counter.groups([f for f in fields if f])
    rl = counter.labels(rd, g)
    cl = counter.labels(cd, g) if cd else pd.Series([COUNT] * len(g), dtype=str)
    w = g["w"]
    fem = _female(counter, g) if female else None
    row_order = _ordered(rl, w, rd, counter)
    col_order = _ordered(cl, w, cd, counter) if cd else [COUNT]
    frame = pd.DataFrame({"r": rl.to_numpy(), "c": cl.to_numpy(), "n": w.to_numpy()})
    if fem is not None:
        frame["f"] = np.where(fem, w.to_numpy(), 0)
    summed = frame.groupby(["r", "c"], sort=False).sum()
    n = summed["n"].unstack("c", fill_value=0).reindex(index=row_order, columns=col_order, fill_value=0)
    cols: dict[str, object] = {rows: pd.Series(row_order, dtype=object)}
    if fem is None:
        for c in col_order:
            cols[c if cd else COUNT] = n[c].to_numpy(dtype=np.int64)
        if cd:
            cols[TOTAL] = n.sum(axis=1).to_numpy(dtype=np.int64)
    else:
        f = summed["f"].unstack("c", fill_value=0).reindex(index=row_order, columns=col_order, fill_value=0)
        for c in col_order:
            name = c if cd else ""
            cols[f"{name}{SEP}{COUNT}" if cd else COUNT] = n[c].to_numpy(dtype=np.int64)
            cols[f"{name}{SEP}{FEMALE}" if cd else FEMALE] = f[c].to_numpy(dtype=np.int64)
        if cd:
            cols[f"{TOTAL}{SEP}{COUNT}"] = n.sum(axis=1).to_numpy(dtype=np.int64)
            cols[f"{TOTAL}{SEP}{FEMALE}"] = f.sum(axis=1).to_numpy(dtype=np.int64)
    out = pd.DataFrame(cols)
    return _with_total_row(out, 1)


def _with_total_row(out: pd.DataFrame, n_labels: int) -> pd.DataFrame:
    row = {c: "" for c in out.columns[:n_labels]}
    row[out.columns[0]] = TOTAL
    for c in out.columns[n_labels:]:
        row[c] = int(out[c].sum())
    out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    return out.astype({**{c: "str" for c in out.columns[:n_labels]}, **{c: np.int64 for c in out.columns[n_labels:]}})


def margins_check(table: pd.DataFrame, total: int, n_labels: int = 1) -> dict:
    """行合计 = 列合计 = 记录数 for a table whose last row is 合计 and (for a two-way table) whose 合计 column
    (``合计`` or ``合计·人数``) closes each row: the sum of the row totals, the sum of the column totals, the
    record count, and whether they agree.

    >>> t = pd.DataFrame({"学校": ["甲", "乙", "合计"], "男": [1, 2, 3], "女": [3, 0, 3], "合计": [4, 2, 6]})
    >>> margins_check(t, 6)
    {'行合计': 6, '列合计': 6, '记录数': 6, '一致': True}
    """
    body, last = table.iloc[:-1], table.iloc[-1]
    values = list(table.columns[n_labels:])
    total_col = next((c for c in (TOTAL, f"{TOTAL}{SEP}{COUNT}", COUNT) if c in values), None)
    count_cols = [c for c in values if c != total_col and not c.endswith(SEP + FEMALE) and c not in (FEMALE, MINORITY)]
    if total_col == COUNT:
        count_cols = [COUNT]
    rows_sum = int(body[total_col].sum()) if total_col else 0
    rows_ok = bool((body[count_cols].sum(axis=1) == body[total_col]).all()) if total_col != COUNT else True
    cols_sum = int(sum(int(last[c]) for c in count_cols))
    ok = rows_ok and rows_sum == cols_sum == int(last[total_col]) == int(total)
    return {"行合计": rows_sum, "列合计": cols_sum, "记录数": int(total), "一致": bool(ok)}


def crosstab(
    data: pd.DataFrame | ListSource | str | os.PathLike,
    rows: str,
    columns: str | None = None,
    *,
    female: bool = False,
    school_year: int | None = None,
    county: str | None = None,
    schools: pd.DataFrame | str | os.PathLike | None = None,
    engine: str | Engine | SparkSession | None = None,
) -> pd.DataFrame:
    """One two-way table of ``data`` (a roster frame, a converted folder or a path): a row per label of
    ``rows``, a column per label of ``columns`` and a 合计 column; the last row is 合计. ``rows``/``columns``
    are names of ``DIMENSIONS`` (学校, 年级, 班级, 性别, 民族, 年龄, 户籍 …; ``columns=None``: one 人数 column).
    ``female=True``: each column is two, ``…·人数`` and ``…·其中女``. 年龄: full years at 8月31日 of
    ``school_year`` (else inferred from 入学年月 and 年级). 户籍: 户口所在地 against the school's county (from
    ``schools``, a schools file with 学校标识码 and 区县 code; else ``county``, a 6-digit code; else the most
    common 户口所在地). An empty cell is counted as 未填; a value the code table does not know as 其他（原值）.

    >>> crosstab(roster, "户籍", "学校").iloc[-1]["合计"]                     # doctest: +SKIP
    1437
    """
    src = ListSource.of(data)
    counties = _school_counties(schools)
    with engine_for(engine) as con:
        counter = _Counter(
            con,
            "xt_list",
            src,
            school_year=school_year,
            county=county,
            school_counties=counties,
        )
        return _two_way(counter, rows, columns, female)


def _school_counties(schools) -> dict[str, str]:
    if schools is None:
        return {}
    from .coverage import read_schools

    s = read_schools(schools)
    return {k: v for k, v in zip(s["学校标识码"], s["区县代码"]) if v}


# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CrosstabResult(Result):
    """Cross tables: ``tables`` (title → DataFrame, in report order; each ends in a 合计 row, two-way tables in
    a 合计 column), ``checks`` (one row per table: 行合计, 列合计, 记录数, 一致 — the report states it),
    ``total`` (records counted), ``notes`` (how values were derived), ``kind`` ("k12"/"higher_ed").

    >>> res = k12_crosstabs(xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student"))  # doctest: +SKIP
    >>> res.checks["一致"].all()                                                                  # doctest: +SKIP
    True
    """

    tables: dict[str, pd.DataFrame]
    checks: pd.DataFrame
    total: int
    notes: list[str] = field(default_factory=list)
    kind: str = ""
    params: dict = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """One table by its title (``"学校×年级"``)."""
        return table_by_title(self.tables, name, "交叉统计表")

    @property
    def counts(self) -> dict:
        """total and each table's 合计 (the 人数 of its last row's 合计 cell)."""
        return {"total": int(self.total), **{r["表"]: int(r["行合计"]) for _, r in self.checks.iterrows()}}

    @property
    def conserved(self) -> bool:
        """Every table's 行合计 = 列合计 = 记录数."""
        return bool(self.checks["一致"].all()) if len(self.checks) else True

    def summary(self) -> str:
        title = {"k12": "交叉统计（中小学）", "higher_ed": "交叉统计（高等学校）"}.get(self.kind, "交叉统计")
        ok = self.conserved
        lines = [
            f"{title}：共 {self.total} 条记录，{len(self.tables)} 张表",
            "每张表 行合计 = 列合计 = 记录数：" + ("全部一致" if ok else "有不一致的表（见合计核对）"),
        ]
        lines += [f"说明：{n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-able: {kind, total, params, notes, checks, tables: {title: [row, …]}}."""
        return {
            "kind": self.kind,
            "total": int(self.total),
            "params": dict(self.params),
            "notes": list(self.notes),
            "checks": json.loads(self.checks.to_json(orient="records", force_ascii=False)),
            "tables": {k: json.loads(t.to_json(orient="records", force_ascii=False)) for k, t in self.tables.items()},
        }

    def summary_frame(self) -> pd.DataFrame:
        """The 合计核对 table: 表 | 行合计 | 列合计 | 记录数 | 一致."""
        return self.checks.assign(一致=self.checks["一致"].map({True: "是", False: "否"}))

    def lists(self) -> list[ResultList]:
        """The 合计核对 table, then every cross table as it is (counts only: no personal value)."""
        out = [self.summary_frame()]
        titles = [CHECK_TITLE]
        for k, t in self.tables.items():
            out.append(t)
            titles.append(k)
        return [
            ResultList(title, t, tuple(Column(c, c, personal="") for c in t.columns), unit="行")
            for title, t in zip(titles, out)
        ]

    def save(self, folder: str | os.PathLike) -> OutputFiles:
        """交叉统计表.xlsx (汇总, 合计核对, one sheet per table) and summary.json."""
        return save_tables(self, folder, "交叉统计", "交叉统计表")

    def chart_spec(self) -> ChartSpec | None:
        """The first table's rows, one bar series per column label."""
        if not self.tables:
            return None
        title, t = next(iter(self.tables.items()))
        body = t.iloc[:-1]
        cols = [c for c in t.columns[1:] if c.endswith(SEP + COUNT) and not c.startswith(TOTAL)]
        cols = cols or [c for c in t.columns[1:] if c != TOTAL and not c.endswith(FEMALE)]
        return ChartSpec(
            f"学生人数（{title}）",
            body[t.columns[0]].astype("str").tolist(),
            {c.removesuffix(SEP + COUNT): body[c].astype(int).tolist() for c in cols},
            category_title=str(t.columns[0]),
            value_title="人数",
            legend="",
            barmode="stack",
        )


# ------------------------------------------------------------------------------------------- the sets


def _age_grade_flags(counter: _Counter) -> tuple[pd.DataFrame, str]:
    """Per 年级: 标准年龄, 人数, 低龄 (younger than the standard age; in 一年级 the AGE_GRADE_UNDER rule), 超龄
    (more than ``OVER_YEARS`` years older), 无法计算."""
    g = counter.groups(["NJ", counter.field_of(DIMENSIONS["年龄"])])
    grade = counter.labels(DIMENSIONS["年级"], g)
    code = load_code_table("nj").to_code(as_text(g["NJ"]))
    from ..checks.validate import _GRADE_INDEX

    idx = code.map(_GRADE_INDEX)
    std = (idx + counter.first_grade_age - 1).astype("Float64")
    age = pd.Series(counter.ages(g[counter.field_of(DIMENSIONS["年龄"])]), dtype="Int64").where(lambda a: a >= 0)
    w = g["w"]
    frame = pd.DataFrame(
        {
            "年级": grade.to_numpy(),
            "标准年龄": std.to_numpy(dtype=object),
            COUNT: w.to_numpy(),
            "低龄": np.where((age < std).fillna(False).to_numpy(dtype=bool), w, 0),
            "超龄": np.where((age - std > OVER_YEARS).fillna(False).to_numpy(dtype=bool), w, 0),
            AGE_UNKNOWN: np.where(age.isna().to_numpy(), w, 0),
        }
    )
    order = _ordered(grade, w, DIMENSIONS["年级"], counter)
    out = (
        frame.groupby("年级", sort=False)
        .agg({"标准年龄": "first", COUNT: "sum", "低龄": "sum", "超龄": "sum", AGE_UNKNOWN: "sum"})
        .reindex(order)
        .reset_index()
    )
    out["标准年龄"] = [f"{int(a)}岁" if pd.notna(a) else "" for a in out["标准年龄"]]
    out = _with_total_row(out[["年级", "标准年龄", COUNT, "低龄", "超龄", AGE_UNKNOWN]], 2)
    year = counter.school_year()
    note = (
        f"超龄/低龄：标准年龄 = 年级序号 + {counter.first_grade_age - 1}（小学一年级 {counter.first_grade_age} 岁），"
        f"按 {year or '（未知）'} 年 8 月 31 日的周岁；低龄 = 小于标准年龄（一年级即“未满 {counter.first_grade_age} 周岁”的校验规则），"
        f"超龄 = 比标准年龄大 {OVER_YEARS} 岁以上（与校验规则“年龄与年级不相称”一致）"
    )
    return out, note


def _flags_by_school(counter: _Counter) -> pd.DataFrame:
    """学校 | 人数 | 随班就读 | 留守儿童 | 随迁子女 | 孤儿 — the special groups a bureau counts per school."""
    school = DIMENSIONS["学校"]
    specs = [
        ("随班就读", "随班就读", lambda lab: ~lab.isin(["普通学生", UNFILLED]) & ~lab.str.startswith("其他（")),
        ("留守儿童", "留守儿童", lambda lab: lab.isin(["单亲留守儿童", "双亲留守儿童"])),
        ("随迁子女", "随迁子女", lambda lab: lab == "是"),
        ("孤儿", "孤儿", lambda lab: lab == "是"),
    ]
    present = [(t, d, p) for t, d, p in specs if counter.field_of(DIMENSIONS[d])]
    g = counter.groups([counter.field_of(school)] + [counter.field_of(DIMENSIONS[d]) for _, d, _ in present])
    lab = counter.labels(school, g)
    w = g["w"].to_numpy()
    frame = pd.DataFrame({"学校": lab.to_numpy(), COUNT: w})
    for t, d, p in present:
        frame[t] = np.where(p(counter.labels(DIMENSIONS[d], g)).to_numpy(dtype=bool), w, 0)
    order = _ordered(lab, g["w"], school, counter)
    out = frame.groupby("学校", sort=False).sum().reindex(order).reset_index()
    return _with_total_row(out, 1)


def _checks(tables: dict[str, pd.DataFrame], total: int, labels: dict[str, int]) -> pd.DataFrame:
    rows = [{"表": k, **margins_check(t, total, labels.get(k, 1))} for k, t in tables.items()]
    return pd.DataFrame(rows, columns=["表", "行合计", "列合计", "记录数", "一致"])


def k12_crosstabs(
    roster: pd.DataFrame | ListSource | str | os.PathLike,
    *,
    school_year: int | None = None,
    county: str | None = None,
    schools: pd.DataFrame | str | os.PathLike | None = None,
    engine: str | Engine | SparkSession | None = None,
) -> CrosstabResult:
    """The K-12 cross tables a bureau reports: 学校×年级 (人数/其中女), 民族×学校, 年龄×年级, 超龄低龄（按年级）,
    户籍×学校 (本县/外县/外省), 特殊群体（按学校） (随班就读, 留守儿童, 随迁子女, 孤儿); each with its margins
    checked (``checks``: 行合计 = 列合计 = 记录数). A table whose field the roster lacks is left out (noted).
    ``school_year``, ``county``, ``schools``: as in ``crosstab``.

    >>> res = k12_crosstabs(roster)                         # doctest: +SKIP
    >>> res.table("户籍×学校")                                # doctest: +SKIP
    """
    src = ListSource.of(roster)
    counties = _school_counties(schools)
    specs = [
        ("学校×年级", "学校", "年级", True),
        ("民族×学校", "民族", "学校", False),
        ("年龄×年级", "年龄", "年级", False),
        ("户籍×学校", "学校", "户籍", False),
    ]
    tables: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    labels = {}
    with engine_for(engine) as con:
        counter = _Counter(
            con,
            "xt_list",
            src,
            school_year=school_year,
            county=county,
            school_counties=counties,
        )
        for title, r, c, fem in specs:
            try:
                tables[title] = _two_way(counter, r, c, fem)
            except CrosstabInputError as exc:
                notes.append(f"未生成“{title}”：{exc}")
                continue
            if title == "年龄×年级" and counter.has("NJ"):
                t, note = _age_grade_flags(counter)
                tables["超龄低龄（按年级）"] = t
                labels["超龄低龄（按年级）"] = 2
                notes.append(note)
        if counter.field_of(DIMENSIONS["学校"]):
            tables["特殊群体（按学校）"] = _flags_by_school(counter)
        notes = counter.notes + notes
    if "户籍×学校" in tables:
        notes.append("户籍：户口所在地行政区划与学校所在区县相同为本县，同省不同县为外县，其余为外省")
    return CrosstabResult(
        tables=tables,
        checks=_checks(tables, src.count, labels),
        total=int(src.count),
        notes=list(dict.fromkeys(notes)),
        kind="k12",
        params={k: v for k, v in (("school_year", school_year), ("county", county)) if v},
    )


def higher_ed_crosstabs(
    registration: pd.DataFrame | ListSource | str | os.PathLike,
    *,
    engine: str | Engine | SparkSession | None = None,
) -> CrosstabResult:
    """The higher-education cross tables: 院系×专业×层次 (人数, 女生, 少数民族: one row per 院系, 专业, 层次),
    院系×层次 and 专业×性别; margins checked as in ``k12_crosstabs``.

    >>> res = higher_ed_crosstabs(xj.read_dbf("data_samples/hei/10_注册上报.dbf"))      # doctest: +SKIP
    >>> res.table("院系×专业×层次").iloc[-1]["人数"]                                     # doctest: +SKIP
    995
    """
    src = ListSource.of(registration)
    tables: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    labels = {}
    with engine_for(engine) as con:
        counter = _Counter(con, "xt_list", src)
        dims = [d for d in ("院系", "专业", "层次") if counter.field_of(DIMENSIONS[d])]
        if dims:
            g = counter.groups(
                [counter.field_of(DIMENSIONS[d]) for d in dims]
                + [counter.field_of(DIMENSIONS[d]) for d in ("性别", "民族")]
            )
            w = g["w"].to_numpy()
            frame = pd.DataFrame({d: counter.labels(DIMENSIONS[d], g).to_numpy() for d in dims})
            frame[COUNT] = w
            frame["女生"] = np.where(_female(counter, g), w, 0)
            frame[MINORITY] = np.where(_minority(counter, g), w, 0)
            out = frame.groupby(dims, sort=False).sum().reset_index()
            keys = [[_ordered(frame[d], frame[COUNT], DIMENSIONS[d], counter).index(x) for x in out[d]] for d in dims]
            out = out.iloc[sorted(range(len(out)), key=lambda i: tuple(k[i] for k in keys))]
            title = "×".join(dims)
            tables[title] = _with_total_row(out.reset_index(drop=True), len(dims))
            labels[title] = len(dims)
        for title, r, c in (("院系×层次", "院系", "层次"), ("专业×性别", "专业", "性别")):
            try:
                tables[title] = _two_way(counter, r, c, False)
            except CrosstabInputError as exc:
                notes.append(f"未生成“{title}”：{exc}")
        notes = counter.notes + notes
    notes.append("少数民族：民族为代码表中汉族以外的民族（未填、不在代码表中的不计）")
    return CrosstabResult(
        tables=tables, checks=_checks(tables, src.count, labels), total=int(src.count), notes=notes, kind="higher_ed"
    )
