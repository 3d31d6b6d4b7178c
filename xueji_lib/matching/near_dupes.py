"""Near-duplicates: the same child entered twice, within a file, across files, across a county or a province.

The 慈利营养办 notice (seeds/004): "发现有200余条重复信息。产生重复信息的原因可能是在身份证号收集时不准确或在输入时产生错误",
and each school got a 《数据重复学生信息表》. ``near_duplicates`` finds those pairs:

- the same 姓名 and 出生日期 (and 性别, when both records have it) with ID numbers that differ in **one digit**, by
  **two adjacent digits swapped**, where **one has no ID number**, or where **neither has one**;
- the **same ID number** under two different 姓名 (and the same number entered twice under the same name).

Each pair is explained in a sentence with the rows as the clerk sees them ("第 12 行与第 877 行疑似同一学生：姓名、
出生日期相同，身份证号仅第 15 位不同"), the GB 11643 check digit says which copy looks right where it can ("第 877
行的号码校验位正确，第 12 行的可能录错"), and ``save`` writes the bureau's 疑似重复学生信息表 and one workbook per
school to send out.

    >>> import xueji_lib as xj
    >>> res = xj.near_duplicates({"甲校": roster_a, "乙校": roster_b})        # doctest: +SKIP
    >>> print(res.summary())                                                  # doctest: +SKIP
    >>> res.list("疑似重复学生").frame()                                        # doctest: +SKIP

The search is SQL run in the engine (DuckDB by default, Spark for a province: ``engine=``): the lists are
registered narrow (row, 姓名, 出生日期, 性别, 证件号, 学校, 年级, 班级; a converted folder read by the engine
itself), normalised in SQL (``engine.sqlnorm``), blocked on (姓名, 出生日期) and compared position by position
with plain ``substr`` expressions both engines run alike; a second pass joins on the ID number. Only the pairs
come back to Python, which words them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import replace as dataclasses_replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.files import safe_file_name
from ..core.ids import checksum_ok
from ..core.privacy import mask_id
from ..core.progress import Progress, ProgressArg
from ..core.result import Column, OutputFiles, Result, ResultList, fill, summary_sheet, words
from ..core.rows import row_meaning, row_word, shown_rows
from ..engine import sqlnorm
from ..engine.engines import Engine, engine_for, register_list
from ..io.lists import list_sheet, write_json, write_workbook
from ..io.source import ListSource
from .compare_result import grade_words

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["near_duplicates", "NearDuplicateResult", "KINDS", "KIND_ZH", "DUPES_OUTPUT_NAMES"]

# The kinds of pair, in the order they are listed and counted.
KINDS = ("one_digit", "swap", "one_missing", "no_id", "same_id_other_name", "same_id")
KIND_ZH = {
    "one_digit": "身份证号仅一位不同",
    "swap": "身份证号相邻两位颠倒",
    "one_missing": "一条没有身份证号",
    "no_id": "两条都没有身份证号",
    "same_id_other_name": "身份证号相同、姓名不同",
    "same_id": "身份证号相同、姓名相同",
}
DUPES_OUTPUT_NAMES = {
    "workbook": "疑似重复学生信息表.xlsx",
    "by_school": "疑似重复_按学校",  # a folder: one workbook per school (the bureau sends each its own)
    "summary": "summary.json",
}
STEPS = ("准备名单", "按姓名和出生日期查找", "按身份证号查找", "整理结果")

# The fields read from each list: {name in the engine: the column names it may have, first present wins}.
FIELDS = {
    "XM": ("XM", "姓名"),
    "CSRQ": ("CSRQ", "出生日期"),
    "XB": ("XB", "性别"),
    "SFZ": ("SFZJH", "SFZH", "ZJHM", "身份证件号", "身份证号", "证件号码"),
    "XXBSM": ("XXBSM", "XXDM", "YXDM", "学校标识码"),
    "XXMC": ("XXMC", "YXMC", "学校名称"),
    "NJ": ("NJ", "年级"),
    "BJ": ("BJ", "班级"),
}
MAX_GROUP = 20  # more records than this under one 姓名+出生日期 or one ID number: a placeholder, not pairs
ID_WIDTH = 18
_LIST_STRIDE = 10_000_000_000  # g = list number × this + row: one number per record across all lists


# ------------------------------------------------------------------------------------------- the SQL


def _text(con: Engine, f: str, types: Mapping[str, str]) -> str:
    """Field ``f`` as stripped text in SQL, or NULL when the list does not have it."""
    if f not in types:
        return "CAST(NULL AS STRING)"
    return sqlnorm.strip(sqlnorm.text(con.ident(f), types[f]))


def _no_blanks(e: str) -> str:
    return f"NULLIF(replace(replace({e}, ' ', ''), '\u3000', ''), '')"


def _record_sql(con: Engine, view: str, number: int, types: Mapping[str, str]) -> str:
    """One list's records as the search reads them: g (a number for the record across lists), li, r (row),
    nm (姓名 without blanks, upper-case), bd (出生日期 YYYYMMDD; from the ID number when blank), xb ('1'/'2'),
    id (the ID number: half-width, upper-case, no blanks) and the context columns as written."""
    xm = _text(con, "XM", types)
    nm = f"upper({_no_blanks(xm)})"
    sfz = _text(con, "SFZ", types)
    ident = f"upper(translate({_no_blanks(sfz)}, '０１２３４５６７８９Ｘｘ', '0123456789XX'))"
    d = _text(con, "CSRQ", types)
    pattern = "'^([0-9]{4})[-/.年]?([0-9]{1,2})[-/.月]?([0-9]{1,2})'"
    y, m, dd = (f"regexp_extract({d}, {pattern}, {i})" for i in (1, 2, 3))
    from_id = f"CASE WHEN length(id) = {ID_WIDTH} THEN substr(id, 7, 8) END"
    sex = _text(con, "XB", types)
    return (
        f"SELECT g, li, r, nm, xb, id, xm, xxbsm, xxmc, nj, bj, "
        f"CASE WHEN bd0 IS NULL OR bd0 = '' THEN {from_id} ELSE bd0 END AS bd FROM ("
        f"SELECT CAST({number} AS BIGINT) * {_LIST_STRIDE} + _row AS g, {number} AS li, _row AS r, "
        f"{nm} AS nm, {ident} AS id, {xm} AS xm, "
        f"CASE WHEN {y} = '' THEN NULL ELSE concat({y}, lpad({m}, 2, '0'), lpad({dd}, 2, '0')) END AS bd0, "
        f"CASE WHEN {sex} IN ('1', '男', 'M') THEN '1' WHEN {sex} IN ('2', '女', 'F') THEN '2' END AS xb, "
        f"{_text(con, 'XXBSM', types)} AS xxbsm, {_text(con, 'XXMC', types)} AS xxmc, "
        f"{_text(con, 'NJ', types)} AS nj, {_text(con, 'BJ', types)} AS bj "
        f"FROM {con.ident(view)}) t"
    )


def _differ(i: int) -> str:
    return f"substr(a.id, {i}, 1) <> substr(b.id, {i}, 1)"


def _block_pairs_sql() -> str:
    """Pairs within a (姓名, 出生日期) block, classified: one digit differs (hamming distance 1 over the 18
    positions), two adjacent digits swapped, one ID missing, both missing. Pairs with the same ID are the
    second pass's."""
    n = ID_WIDTH
    ham = " + ".join(f"CASE WHEN {_differ(i)} THEN 1 ELSE 0 END" for i in range(1, n + 1))
    where = " + ".join(f"CASE WHEN {_differ(i)} THEN {i} ELSE 0 END" for i in range(1, n + 1))
    swap = " + ".join(
        f"CASE WHEN {_differ(i)} AND substr(a.id, {i}, 1) = substr(b.id, {i + 1}, 1) "
        f"AND substr(a.id, {i + 1}, 1) = substr(b.id, {i}, 1) THEN {i} ELSE 0 END"
        for i in range(1, n)
    )
    return (
        "SELECT ga, gb, CASE "
        "WHEN ida IS NULL AND idb IS NULL THEN 'no_id' "
        "WHEN ida IS NULL OR idb IS NULL THEN 'one_missing' "
        "WHEN same18 AND ham = 1 THEN 'one_digit' "
        "WHEN same18 AND ham = 2 AND sw > 0 THEN 'swap' END AS kind, "
        "CASE WHEN same18 AND ham = 1 THEN pos WHEN same18 AND ham = 2 THEN sw ELSE 0 END AS pos FROM ("
        f"SELECT a.g AS ga, b.g AS gb, a.id AS ida, b.id AS idb, "
        f"(length(a.id) = {n} AND length(b.id) = {n}) AS same18, "
        f"({ham}) AS ham, ({where}) AS pos, ({swap}) AS sw "
        "FROM nd_block a JOIN nd_block b ON a.nm = b.nm AND a.bd = b.bd AND a.g < b.g "
        "WHERE (a.xb IS NULL OR b.xb IS NULL OR a.xb = b.xb) "
        "AND (a.id IS NULL OR b.id IS NULL OR a.id <> b.id)) c"
    )


def _id_pairs_sql() -> str:
    return (
        "SELECT a.g AS ga, b.g AS gb, CASE WHEN a.nm IS NOT NULL AND b.nm IS NOT NULL AND a.nm <> b.nm "
        "THEN 'same_id_other_name' ELSE 'same_id' END AS kind, 0 AS pos "
        "FROM nd_idgroup a JOIN nd_idgroup b ON a.id = b.id AND a.g < b.g"
    )


def _pairs_detail_sql() -> str:
    side = ("li", "r", "id", "xm", "xb", "bd", "xxbsm", "xxmc", "nj", "bj")
    cols = ", ".join(f"{s}.{c} AS {c}_{s}" for s in ("a", "b") for c in side)
    return (
        f"SELECT p.kind AS kind, p.pos AS pos, {cols} FROM nd_pairs p "
        "JOIN nd_all a ON p.ga = a.g JOIN nd_all b ON p.gb = b.g"
    )


# ------------------------------------------------------------------------------------------- the search


def near_duplicates(
    lists: Mapping[str, pd.DataFrame | ListSource | str | os.PathLike] | pd.DataFrame | ListSource | str | os.PathLike,
    *,
    engine: str | Engine | SparkSession | None = None,
    progress: ProgressArg = None,
    max_group: int = MAX_GROUP,
) -> NearDuplicateResult:
    """Pairs of records that are probably the same child entered twice, in one list or across several.

    ``lists``: {name: a frame or a folder converted by ``xueji parquet``} — the names are how sentences and
    the workbook name each list (file names, school names); a single frame or folder is one list. Fields are
    found by code or Chinese header: 姓名 XM, 出生日期 CSRQ, 性别 XB, 身份证件号 SFZJH/SFZH/ZJHM, and for the
    per-school lists 学校 XXBSM/XXMC (or YXDM/YXMC), 年级 NJ, 班级 BJ. ``engine`` as in ``compare`` (DuckDB
    by default; "spark", a master URL or a SparkSession): the same pairs on each. ``max_group``: a 姓名+出生日期
    or an ID number held by more records than this is a placeholder or a data-entry habit, not a pair; it is
    counted and named in the summary instead of being listed pair by pair.

        >>> import pandas as pd
        >>> a = pd.DataFrame({"XM": ["张小明", "李华"], "CSRQ": ["20150302", "20150101"], "XB": ["1", "2"],
        ...                   "SFZJH": ["430102201503021233", "430102201501011226"]})
        >>> b = pd.DataFrame({"XM": ["张小明"], "CSRQ": ["2015-03-02"], "XB": ["1"], "SFZJH": ["430102201503027233"]})
        >>> res = near_duplicates({"甲校": a, "乙校": b})
        >>> res.counts["pairs"]["one_digit"]
        1
        >>> print(res.pairs["explain"].iloc[0])
        甲校 第 1 行与乙校 第 1 行疑似同一学生：姓名、性别、出生日期相同，身份证号仅第 15 位不同
        >>> print(res.pairs["verdict"].iloc[0])
        甲校 第 1 行的号码校验位正确，乙校 第 1 行的可能录错
    """
    if not isinstance(lists, Mapping):
        lists = {"名单": lists}
    if not lists:
        raise ValueError("请至少给出一份名单")
    names = [str(k) for k in lists]
    sources = {str(k): ListSource.of(v) for k, v in lists.items()}
    with Progress(progress, "查找疑似重复学生", steps=STEPS) as task, engine_for(engine) as con:
        task.step("准备名单")
        parts, fields_found = [], {}
        for i, name in enumerate(names):
            view = f"nd_list{i}"
            types = register_list(con, view, sources[name], FIELDS)
            fields_found[name] = sorted(types)
            parts.append(_record_sql(con, view, i, types))
        con.keep("nd_all", " UNION ALL ".join(parts))
        task.step("按姓名和出生日期查找")
        con.keep(
            "nd_blocks",
            "SELECT nm, bd, count(*) AS n FROM nd_all WHERE nm IS NOT NULL AND bd IS NOT NULL GROUP BY nm, bd "
            "HAVING count(*) > 1",
        )
        con.keep(
            "nd_block",
            f"SELECT a.* FROM nd_all a JOIN nd_blocks k ON a.nm = k.nm AND a.bd = k.bd WHERE k.n <= {int(max_group)}",
        )
        con.keep("nd_bpairs", f"SELECT * FROM ({_block_pairs_sql()}) x WHERE kind IS NOT NULL")
        task.step("按身份证号查找")
        con.keep("nd_ids", "SELECT id, count(*) AS n FROM nd_all WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1")
        con.keep(
            "nd_idgroup",
            f"SELECT a.* FROM nd_all a JOIN nd_ids k ON a.id = k.id WHERE k.n <= {int(max_group)}",
        )
        con.keep("nd_pairs", f"SELECT ga, gb, kind, pos FROM nd_bpairs UNION ALL {_id_pairs_sql()}")
        detail = con.sql(_pairs_detail_sql()).to_pandas()
        big_blocks = con.sql(
            f"SELECT nm, bd, n FROM nd_blocks WHERE n > {int(max_group)} ORDER BY n DESC, nm, bd"
        ).to_pandas()
        big_ids = con.sql(f"SELECT id, n FROM nd_ids WHERE n > {int(max_group)} ORDER BY n DESC, id").to_pandas()
        task.step("整理结果")
        pairs = _worded(detail, names, sources)
        engine_name = con.name
    totals = {name: int(sources[name].count) for name in names}
    return NearDuplicateResult(
        pairs=pairs,
        totals=totals,
        params={"lists": names, "engine": engine_name, "max_group": int(max_group), "fields": fields_found},
        crowded_names=big_blocks,
        crowded_ids=big_ids,
        inputs=sources,
    )


# ------------------------------------------------------------------------------------------- the words


def _side_label(names: list[str], li: np.ndarray, shown: np.ndarray, words_: dict[str, str], one: bool) -> list[str]:
    """ "第 12 行" (one list) or "甲校.xlsx 第 12 行" (several), per pair side."""
    return [
        (f"第 {int(s)} {words_[names[int(i)]]}" if one else f"{names[int(i)]} 第 {int(s)} {words_[names[int(i)]]}")
        for i, s in zip(li, shown)
    ]


def _worded(detail: pd.DataFrame, names: list[str], sources: dict[str, ListSource]) -> pd.DataFrame:
    """The pairs the engine found, ordered and worded: shown rows, 说明, 哪条可能有误 (Python over the pairs only)."""
    cols = [
        "kind",
        "pos",
        *(f"{c}_{s}" for s in ("a", "b") for c in ("li", "r", "id", "xm", "xb", "bd", "xxbsm", "xxmc", "nj", "bj")),
    ]
    if not len(detail):
        out = pd.DataFrame({c: pd.Series([], dtype="object") for c in cols})
        return _finish(out, names, sources, np.zeros(0, bool), np.zeros(0, bool))
    d = detail.copy()
    d["kind_order"] = d["kind"].map({k: i for i, k in enumerate(KINDS)})
    d = d.sort_values(["li_a", "r_a", "li_b", "r_b", "kind_order"], kind="stable").reset_index(drop=True)
    d = d.drop(columns="kind_order")
    ok_a = checksum_ok(d["id_a"].astype("str")).to_numpy(bool)
    ok_b = checksum_ok(d["id_b"].astype("str")).to_numpy(bool)
    return _finish(d, names, sources, ok_a, ok_b)


def _finish(
    d: pd.DataFrame, names: list[str], sources: dict[str, ListSource], ok_a: np.ndarray, ok_b: np.ndarray
) -> pd.DataFrame:
    one = len(names) == 1
    words_ = {name: row_word(sources[name]) for name in names}
    for s in ("a", "b"):
        li = d[f"li_{s}"].to_numpy(dtype=np.int64) if len(d) else np.zeros(0, np.int64)
        r = d[f"r_{s}"].to_numpy(dtype=np.int64) if len(d) else np.zeros(0, np.int64)
        shown = np.zeros(len(d), np.int64)
        for i, name in enumerate(names):
            sel = li == i
            if sel.any():
                shown[sel] = shown_rows(sources[name], r[sel]).to_numpy(dtype=np.int64)
        d[f"row_{s}"] = shown
        d[f"file_{s}"] = [names[int(i)] for i in li]
        d[f"label_{s}"] = _side_label(names, li, shown, words_, one)
        school = d[f"xxbsm_{s}"].fillna("").astype(str).str.cat(d[f"xxmc_{s}"].fillna("").astype(str), sep=" ")
        d[f"school_{s}"] = school.str.strip().replace("", "未填学校")
    explain, verdict = [], []
    for k, rec in enumerate(d.itertuples(index=False)):  # the pairs only, never every record
        e, v = _sentences(rec, bool(ok_a[k]), bool(ok_b[k]))
        explain.append(e)
        verdict.append(v)
    d["explain"] = pd.Series(explain, dtype="str")
    d["verdict"] = pd.Series(verdict, dtype="str")
    d["id_ok_a"], d["id_ok_b"] = ok_a, ok_b
    return d


def _sentences(p: Any, ok_a: bool, ok_b: bool) -> tuple[str, str]:
    """说明 and 哪条可能有误 for one pair (``p``: a row of the pairs frame)."""
    a, b = p.label_a, p.label_b
    both = f"{a}与{b}"
    same = "姓名、性别、出生日期相同" if _has(p.xb_a) and _has(p.xb_b) else "姓名、出生日期相同"
    head = f"{both}疑似同一学生：{same}"
    kind, pos = p.kind, int(p.pos or 0)
    if kind == "one_digit":
        return f"{head}，身份证号仅第 {pos} 位不同", _by_check(a, b, ok_a, ok_b)
    if kind == "swap":
        return f"{head}，身份证号第 {pos}、{pos + 1} 位前后颠倒", _by_check(a, b, ok_a, ok_b)
    if kind == "one_missing":
        missing, present, ok = (a, b, ok_b) if not _has(p.id_a) else (b, a, ok_a)
        tail = (
            f"{present}的号码校验位正确，{missing}可能是同一学生重复录入，请核实后补录或删除"
            if ok
            else f"{present}的号码校验位也不对，请核对身份证原件"
        )
        return f"{head}，{missing}没有身份证号", f"{missing}没有身份证号；{tail}"
    if kind == "no_id":
        return f"{head}，两条都没有身份证号", "校验位无法判断（两条都没有身份证号）：请核实是否同一学生重复录入"
    if kind == "same_id_other_name":
        return (
            f"{both}身份证号相同、姓名不同（“{p.xm_a}”与“{p.xm_b}”）：疑似同一学生，或其中一条的号码录错",
            "校验位不能判断哪个姓名对（号码校验位正确）：请核对身份证原件"
            if ok_a
            else "号码校验位不对，两条可能都录错：请核对身份证原件",
        )
    return f"{both}身份证号、姓名都相同：同一学生录入了两次", "同一号码录入了两次：请核实后删除重复的一条"


def _by_check(a: str, b: str, ok_a: bool, ok_b: bool) -> str:
    if ok_a and not ok_b:
        return f"{a}的号码校验位正确，{b}的可能录错"
    if ok_b and not ok_a:
        return f"{b}的号码校验位正确，{a}的可能录错"
    if ok_a and ok_b:
        return "两个号码的校验位都正确，校验位不能判断哪条录错：请核对身份证原件"
    return "两个号码的校验位都不对：请核对身份证原件"


def _has(v: Any) -> bool:
    return isinstance(v, str) and v != ""


# ------------------------------------------------------------------------------------------- the result


def _pair_columns() -> tuple[Column, ...]:
    def grade(s: pd.Series) -> pd.Series:
        return grade_words(s.fillna("")).astype("str")

    return (
        Column("school_a", "学校"),
        Column("nj_a", "年级", read=grade),
        Column("bj_a", "班级", read=fill("")),
        Column("xm_a", "姓名", personal=""),
        Column("file_a", "文件"),
        Column("row_a", "行号", kind="row"),
        Column("id_a", "身份证号", personal="id"),
        Column("kind", "疑似情况", read=words(KIND_ZH)),
        Column("explain", "说明", kind="sentence"),
        Column("verdict", "哪条可能有误", kind="sentence"),
        Column("school_b", "另一条的学校", brief=False),
        Column("nj_b", "另一条的年级", read=grade, brief=False),
        Column("bj_b", "另一条的班级", read=fill(""), brief=False),
        Column("xm_b", "另一条的姓名", personal="", brief=False),
        Column("file_b", "另一条的文件"),
        Column("row_b", "另一条的行号", kind="row"),
        Column("id_b", "另一条的身份证号", personal="id"),
    )


def _swapped(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs with sides a and b exchanged (a school's own record first in its list)."""
    ren = {}
    for c in pairs.columns:
        if c.endswith("_a"):
            ren[c] = c[:-2] + "_b"
        elif c.endswith("_b"):
            ren[c] = c[:-2] + "_a"
    return pairs.rename(columns=ren)


@dataclass
class NearDuplicateResult(Result):
    """What ``near_duplicates`` found: ``pairs`` (one row per pair: kind, pos, each side's list number ``li_*``,
    row ``r_*`` and shown row ``row_*``, ID ``id_*`` (normalised, unmasked), 姓名, 性别, 出生日期, 学校, 年级, 班级,
    ``explain`` 说明, ``verdict`` 哪条可能有误), ``totals`` (records per list), the crowded 姓名+出生日期 blocks
    and ID numbers left out (``crowded_names``, ``crowded_ids``). Declared list: 疑似重复学生.

        >>> res.counts["records"]                                         # doctest: +SKIP
        {'total': 120000, 'in_pairs': 824, 'not_in_pairs': 119176}
    """

    pairs: pd.DataFrame
    totals: dict[str, int]
    params: dict = field(default_factory=dict)
    crowded_names: pd.DataFrame = field(default_factory=pd.DataFrame)
    crowded_ids: pd.DataFrame = field(default_factory=pd.DataFrame)
    inputs: dict = field(default_factory=dict)

    # --- figures
    def _in_pairs(self) -> int:
        p = self.pairs
        if not len(p):
            return 0
        keys = pd.concat(
            [
                p["li_a"].astype("int64") * _LIST_STRIDE + p["r_a"].astype("int64"),
                p["li_b"].astype("int64") * _LIST_STRIDE + p["r_b"].astype("int64"),
            ]
        )
        return int(keys.nunique())

    @property
    def counts(self) -> dict:
        total = int(sum(self.totals.values()))
        paired = self._in_pairs()
        vc = self.pairs["kind"].value_counts() if len(self.pairs) else pd.Series(dtype="int64")
        by_kind = {k: int(vc.get(k, 0)) for k in KINDS}
        return {
            "records": {"total": total, "in_pairs": paired, "not_in_pairs": total - paired},
            "pairs": {"total": int(len(self.pairs)), **by_kind},
            "lists": dict(self.totals),
        }

    @property
    def conserved(self) -> bool:
        c = self.counts
        kinds = sum(c["pairs"][k] for k in KINDS)
        return c["records"]["in_pairs"] + c["records"]["not_in_pairs"] == c["records"]["total"] and kinds == len(
            self.pairs
        )

    def notes(self) -> list[str]:
        """Sentences about what was not listed pair by pair (crowded blocks and shared numbers, masked)."""
        out = []
        for rec in self.crowded_names.itertuples(index=False):
            out.append(
                f"姓名“{rec.nm}”、出生日期 {rec.bd} 的记录有 {int(rec.n)} 条（超过 {self.params.get('max_group')} 条），"
                "未逐对列出：请检查是否为占位或批量录入的数据"
            )
        for rec in self.crowded_ids.itertuples(index=False):
            out.append(
                f"身份证号 {mask_id(rec.id)} 被 {int(rec.n)} 条记录共用（超过 {self.params.get('max_group')} 条），"
                "未逐对列出：请检查是否为占位号码"
            )
        return out

    def summary(self) -> str:
        c = self.counts
        lists = "，".join(f"{n} {t} 条" for n, t in self.totals.items())
        lines = [
            f"疑似重复学生：检查 {len(self.totals)} 份名单共 {c['records']['total']} 条记录（{lists}）",
            f"找到疑似同一学生 {c['pairs']['total']} 对，涉及 {c['records']['in_pairs']} 条记录"
            f"（其余 {c['records']['not_in_pairs']} 条未发现重复；{c['records']['in_pairs']} + "
            f"{c['records']['not_in_pairs']} = {c['records']['total']}）",
        ]
        lines += [f"  {KIND_ZH[k]}：{c['pairs'][k]} 对" for k in KINDS]
        lines.append(
            "比对方法：姓名、出生日期相同（两条都有性别时性别也相同）的记录比较身份证号；另按身份证号查找姓名不同的记录"
        )
        for name in self.totals:
            src = self.inputs.get(name)
            if src is not None:
                lines.append(f"{name}：{row_meaning(src)}")
        lines += [f"注意：{n}" for n in self.notes()]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "kind": "near_duplicates",
            "counts": self.counts,
            "conserved": self.conserved,
            "params": self.params,
            "kinds": {k: KIND_ZH[k] for k in KINDS},
            "notes": self.notes(),
        }

    def summary_frame(self) -> pd.DataFrame:
        c = self.counts
        rows = [{"项目": KIND_ZH[k], "数目": c["pairs"][k]} for k in KINDS]
        rows.append({"项目": "疑似重复合计（对）", "数目": c["pairs"]["total"]})
        rows.append({"项目": "涉及记录", "数目": c["records"]["in_pairs"]})
        rows.append({"项目": "未发现重复的记录", "数目": c["records"]["not_in_pairs"]})
        rows.append({"项目": "记录总数", "数目": c["records"]["total"]})
        return pd.DataFrame(rows, columns=["项目", "数目"])

    def lists(self) -> list[ResultList]:
        return [ResultList("疑似重复学生", self.pairs, _pair_columns(), unit="对")]

    def by_school(self) -> dict[str, pd.DataFrame]:
        """{学校: its pairs}, each school's own record first (a pair across two schools is in both)."""
        p = self.pairs
        if not len(p):
            return {}
        out = {}
        schools = sorted(set(p["school_a"]) | set(p["school_b"]))
        for s in schools:
            own = p[p["school_a"] == s]
            other = _swapped(p[(p["school_b"] == s) & (p["school_a"] != s)])
            out[s] = pd.concat([own, other[p.columns]], ignore_index=True)
        return out

    def save(self, folder: str | os.PathLike, *, unmask: bool = False) -> OutputFiles:
        """Write the bureau's files into ``folder``:

        - ``疑似重复学生信息表.xlsx`` — 汇总 (lists, counts, how rows are numbered, notes), 疑似重复学生 (every pair),
          按学校 (pairs per school);
        - ``疑似重复_按学校/`` — one workbook per school with its pairs (说明, 疑似重复学生), to send to each school;
        - ``summary.json`` — ``to_dict()`` and the output names.

        ID numbers are masked unless ``unmask``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        files = OutputFiles({k: out / v for k, v in DUPES_OUTPUT_NAMES.items()})
        lst = self.lists()[0]
        per_school = self.by_school()
        counts = pd.DataFrame(
            [{"学校": s, "疑似重复（对）": len(f)} for s, f in per_school.items()], columns=["学校", "疑似重复（对）"]
        )
        write_workbook(
            {"汇总": self._summary_sheet(unmask), lst.title: list_sheet(lst, None, unmask), "按学校": counts},
            files["workbook"],
        )
        written: dict[str, int] = {}
        if per_school:
            files["by_school"].mkdir(parents=True, exist_ok=True)
            for school, frame in per_school.items():
                fname = safe_file_name(school.replace(" ", "_"), empty="未填学校") + ".xlsx"
                while fname in written:
                    fname = fname[:-5] + "_2.xlsx"
                note = summary_sheet(
                    [
                        ("学校", school),
                        ("疑似重复", f"{len(frame)} 对"),
                        (
                            "说明",
                            "下列学生在名单中疑似重复（同一学生录入两次，或身份证号录错）。请逐条核对身份证原件，"
                            "在本校系统中更正，并把核对结果报回教育局",
                        ),
                        ("行号", "各名单中的行号（Excel 中看到的行号，或 DBF 的记录号）"),
                        ("个人信息", "未遮盖（--unmask）" if unmask else "已遮盖"),
                    ]
                )
                part = dataclasses_replace(lst, rows=frame)
                write_workbook(
                    {"说明": note, "疑似重复学生": list_sheet(part, None, unmask)}, files["by_school"] / fname
                )
                written[fname] = len(frame)
        else:
            del files["by_school"]
        js = self.to_dict()
        js["outputs"] = {k: p.name for k, p in files.items()}
        js["by_school"] = written
        write_json(files["summary"], js)
        return files

    def _summary_sheet(self, unmask: bool) -> pd.DataFrame:
        c = self.counts
        rows: list[tuple[str, object]] = [("名单", f"{n}（{t} 条）") for n, t in self.totals.items()]
        rows += [(KIND_ZH[k], f"{c['pairs'][k]} 对") for k in KINDS]
        rows.append(("疑似重复合计", f"{c['pairs']['total']} 对，涉及 {c['records']['in_pairs']} 条记录"))
        rows.append(
            (
                "核对",
                f"涉及 {c['records']['in_pairs']} + 未发现重复 {c['records']['not_in_pairs']} = "
                f"{c['records']['total']} 条，等于记录总数",
            )
        )
        for name in self.totals:
            src = self.inputs.get(name)
            if src is not None:
                rows.append((f"行号（{name}）", row_meaning(src)))
        rows.append(("计算引擎", self.params.get("engine", "")))
        rows.append(("个人信息", "未遮盖（--unmask）" if unmask else "身份证号已遮盖"))
        rows += [("注意", n) for n in self.notes()]
        return summary_sheet(rows)
