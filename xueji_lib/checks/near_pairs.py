"""The near-duplicate pair search, one place for ``xueji dupes`` (``matching.near_dupes``) and for ``xueji
validate --others`` (a record of this file that is probably the same child as a record of another file).

Pairs of records that are probably the same child entered twice (seeds/004, 慈利营养办: "产生重复信息的原因可能是
在身份证号收集时不准确或在输入时产生错误"): the same 姓名 and 出生日期 (and 性别 when both have it) with ID numbers one
digit apart, two adjacent digits swapped, one or both without a number; the same number under two names; a 15-digit
number and the 18-digit number it became (GB 11643: 出生年份补 "19"、加校验位). The search is SQL the engine runs
(DuckDB or Spark alike); only the pairs come back to Python, which words them (``worded``).

    >>> import pandas as pd
    >>> from xueji_lib.engine.engines import engine_for
    >>> from xueji_lib.io.source import ListSource
    >>> a = pd.DataFrame({"XM": ["王芳"], "CSRQ": ["19950301"], "SFZJH": ["430102950301122"]})
    >>> b = pd.DataFrame({"XM": ["王芳"], "CSRQ": ["1995-03-01"], "SFZJH": ["43010219950301122X"]})
    >>> with engine_for(None) as con:
    ...     found = find_pairs(con, {"旧表": ListSource.of(a), "新表": ListSource.of(b)})
    >>> pairs = worded(found.detail, ["旧表", "新表"], found.sources)
    >>> pairs["kind"].tolist()
    ['id_15_18']
    >>> print(pairs["explain"].iloc[0])
    旧表 第 1 行与新表 第 1 行疑似同一学生：姓名相同，一条是 15 位旧身份证号，升为 18 位后与另一条相同
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core import ids
from ..core.ids import checksum_ok
from ..core.rows import row_word, shown_rows, shown_sheets
from ..engine import sqlnorm
from ..engine.engines import Engine, register_list
from ..io.source import ListSource

__all__ = ["KINDS", "KIND_ZH", "FIELDS", "MAX_GROUP", "LIST_STRIDE", "NearPairs", "find_pairs", "worded"]

# The kinds of pair, in the order they are listed and counted.
KINDS = ("one_digit", "swap", "one_missing", "no_id", "id_15_18", "same_id_other_name", "same_id")
KIND_ZH = {
    "one_digit": "身份证号仅一位不同",
    "swap": "身份证号相邻两位颠倒",
    "one_missing": "一条没有身份证号",
    "no_id": "两条都没有身份证号",
    "id_15_18": "15 位旧号码与 18 位号码相同",
    "same_id_other_name": "身份证号相同、姓名不同",
    "same_id": "身份证号相同、姓名相同",
}
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
# GB 11643 (core.ids): the weights of the 17 body digits and the check character of (weighted sum mod 11).
_WEIGHTS = tuple(int(w) for w in ids.WEIGHTS)
_CHECK = bytes(ids.CHECK_CHARS.tolist()).decode("ascii")
LIST_STRIDE = 10_000_000_000  # g = list number × this + row: one number per record across all lists


# ------------------------------------------------------------------------------------------- the SQL


def _text(con: Engine, f: str, types: Mapping[str, str]) -> str:
    """Field ``f`` as stripped text in SQL, or NULL when the list does not have it."""
    if f not in types:
        return "CAST(NULL AS STRING)"
    return sqlnorm.strip(sqlnorm.text(con.ident(f), types[f]))


def _no_blanks(e: str) -> str:
    return f"NULLIF(replace(replace({e}, ' ', ''), '\u3000', ''), '')"


def _upgraded_sql(e: str) -> str:
    """The 18-digit form of a 15-digit ID number ``e`` (GB 11643: "19" before the 2-digit birth year, the
    check character appended), in SQL both engines run; other values as they are."""
    body = f"concat(substr({e}, 1, 6), '19', substr({e}, 7, 9))"
    total = " + ".join(f"CAST(substr({body}, {i + 1}, 1) AS INT) * {w}" for i, w in enumerate(_WEIGHTS))
    return (
        f"CASE WHEN length({e}) = 15 AND translate({e}, '0123456789', '') = '' "
        f"THEN concat({body}, substr('{_CHECK}', (({total}) % 11) + 1, 1)) ELSE {e} END"
    )


def _record_sql(con: Engine, view: str, number: int, types: Mapping[str, str]) -> str:
    """One list's records as the search reads them: g (a number for the record across lists), li, r (row),
    nm (姓名 without blanks, upper-case), bd (出生日期 YYYYMMDD; from the ID number when blank), xb ('1'/'2'),
    id (the ID number: half-width, upper-case, no blanks), k18 (the number compared: a 15-digit number in its
    18-digit form) and the context columns as written."""
    xm = _text(con, "XM", types)
    nm = f"upper({_no_blanks(xm)})"
    sfz = _text(con, "SFZ", types)
    ident = f"upper(translate({_no_blanks(sfz)}, '０１２３４５６７８９Ｘｘ', '0123456789XX'))"
    d = _text(con, "CSRQ", types)
    pattern = "'^([0-9]{4})[-/.年]?([0-9]{1,2})[-/.月]?([0-9]{1,2})'"
    y, m, dd = (f"regexp_extract({d}, {pattern}, {i})" for i in (1, 2, 3))
    from_id = f"CASE WHEN length(k18) = {ID_WIDTH} THEN substr(k18, 7, 8) END"
    sex = _text(con, "XB", types)
    return (
        f"SELECT g, li, r, nm, xb, id, k18, xm, xxbsm, xxmc, nj, bj, "
        f"CASE WHEN bd0 IS NULL OR bd0 = '' THEN {from_id} ELSE bd0 END AS bd FROM ("
        f"SELECT *, {_upgraded_sql('id')} AS k18 FROM ("
        f"SELECT CAST({number} AS BIGINT) * {LIST_STRIDE} + _row AS g, {number} AS li, _row AS r, "
        f"{nm} AS nm, {ident} AS id, {xm} AS xm, "
        f"CASE WHEN {y} = '' THEN NULL ELSE concat({y}, lpad({m}, 2, '0'), lpad({dd}, 2, '0')) END AS bd0, "
        f"CASE WHEN {sex} IN ('1', '男', 'M') THEN '1' WHEN {sex} IN ('2', '女', 'F') THEN '2' END AS xb, "
        f"{_text(con, 'XXBSM', types)} AS xxbsm, {_text(con, 'XXMC', types)} AS xxmc, "
        f"{_text(con, 'NJ', types)} AS nj, {_text(con, 'BJ', types)} AS bj "
        f"FROM {con.ident(view)}) t0) t"
    )


def _differ(i: int) -> str:
    return f"substr(a.k18, {i}, 1) <> substr(b.k18, {i}, 1)"


def _block_pairs_sql() -> str:
    """Pairs within a (姓名, 出生日期) block, classified: one digit differs (hamming distance 1 over the 18
    positions), two adjacent digits swapped, one ID missing, both missing. Pairs with the same ID are the
    second pass's."""
    n = ID_WIDTH
    # a 15-digit number's check character is computed, not typed: with one on either side, only the 17 body
    # digits are compared (a typo in its body changes the computed check character too)
    last = f"CASE WHEN length(a.id) = 15 OR length(b.id) = 15 THEN {n - 1} ELSE {n} END"
    ham = " + ".join(f"CASE WHEN {i} <= {last} AND {_differ(i)} THEN 1 ELSE 0 END" for i in range(1, n + 1))
    where = " + ".join(f"CASE WHEN {i} <= {last} AND {_differ(i)} THEN {i} ELSE 0 END" for i in range(1, n + 1))
    swap = " + ".join(
        f"CASE WHEN {i + 1} <= {last} AND {_differ(i)} AND substr(a.k18, {i}, 1) = substr(b.k18, {i + 1}, 1) "
        f"AND substr(a.k18, {i + 1}, 1) = substr(b.k18, {i}, 1) THEN {i} ELSE 0 END"
        for i in range(1, n)
    )
    return (
        "SELECT ga, gb, CASE "
        "WHEN ida IS NULL AND idb IS NULL THEN 'no_id' "
        "WHEN ida IS NULL OR idb IS NULL THEN 'one_missing' "
        "WHEN same18 AND ham = 1 THEN 'one_digit' "
        "WHEN same18 AND ham = 2 AND sw > 0 THEN 'swap' END AS kind, "
        "CASE WHEN same18 AND ham = 1 THEN pos WHEN same18 AND ham = 2 THEN sw ELSE 0 END AS pos FROM ("
        f"SELECT a.g AS ga, b.g AS gb, a.k18 AS ida, b.k18 AS idb, "
        f"(length(a.k18) = {n} AND length(b.k18) = {n}) AS same18, "
        f"({ham}) AS ham, ({where}) AS pos, ({swap}) AS sw "
        "FROM nd_block a JOIN nd_block b ON a.nm = b.nm AND a.bd = b.bd AND a.g < b.g "
        "WHERE (a.xb IS NULL OR b.xb IS NULL OR a.xb = b.xb) "
        "AND (a.k18 IS NULL OR b.k18 IS NULL OR a.k18 <> b.k18)) c"
    )


def _id_pairs_sql() -> str:
    return (
        "SELECT a.g AS ga, b.g AS gb, CASE WHEN a.nm IS NOT NULL AND b.nm IS NOT NULL AND a.nm <> b.nm "
        "THEN 'same_id_other_name' WHEN a.id <> b.id THEN 'id_15_18' ELSE 'same_id' END AS kind, 0 AS pos "
        "FROM nd_idgroup a JOIN nd_idgroup b ON a.k18 = b.k18 AND a.g < b.g"
    )


def _pairs_detail_sql() -> str:
    side = ("li", "r", "id", "k18", "xm", "xb", "bd", "xxbsm", "xxmc", "nj", "bj")
    cols = ", ".join(f"{s}.{c} AS {c}_{s}" for s in ("a", "b") for c in side)
    return (
        f"SELECT p.kind AS kind, p.pos AS pos, {cols} FROM nd_pairs p "
        "JOIN nd_all a ON p.ga = a.g JOIN nd_all b ON p.gb = b.g"
    )


# ------------------------------------------------------------------------------------------- the search


@dataclass
class NearPairs:
    """What ``find_pairs`` returns: ``detail`` (one row per pair: kind, pos and each side's li, r, id, xm, xb,
    bd, xxbsm, xxmc, nj, bj), the crowded 姓名+出生日期 blocks and ID numbers left out (``crowded_names``,
    ``crowded_ids``), the fields found in each list, and the lists as read (``sources``)."""

    detail: pd.DataFrame
    crowded_names: pd.DataFrame
    crowded_ids: pd.DataFrame
    fields: dict[str, list[str]]
    sources: dict[str, ListSource]


def find_pairs(
    con: Engine,
    sources: Mapping[str, ListSource],
    *,
    max_group: int = MAX_GROUP,
    step: Callable[[str], None] = lambda name: None,
) -> NearPairs:
    """Run the search on ``con`` over ``sources`` ({name: list}, numbered in that order: ``li``); ``step`` is
    told each step's name (准备名单, 按姓名和出生日期查找, 按身份证号查找) as it starts."""
    names = [str(k) for k in sources]
    step("准备名单")
    parts, fields_found = [], {}
    for i, name in enumerate(names):
        view = f"nd_list{i}"
        types = register_list(con, view, sources[name], FIELDS)
        fields_found[name] = sorted(types)
        parts.append(_record_sql(con, view, i, types))
    con.keep("nd_all", " UNION ALL ".join(parts))
    step("按姓名和出生日期查找")
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
    step("按身份证号查找")
    con.keep(
        "nd_ids", "SELECT k18 AS id, count(*) AS n FROM nd_all WHERE k18 IS NOT NULL GROUP BY k18 HAVING count(*) > 1"
    )
    con.keep(
        "nd_idgroup",
        f"SELECT a.* FROM nd_all a JOIN nd_ids k ON a.k18 = k.id WHERE k.n <= {int(max_group)}",
    )
    con.keep("nd_pairs", f"SELECT ga, gb, kind, pos FROM nd_bpairs UNION ALL {_id_pairs_sql()}")
    detail = con.sql(_pairs_detail_sql()).to_pandas()
    big_blocks = con.sql(
        f"SELECT nm, bd, n FROM nd_blocks WHERE n > {int(max_group)} ORDER BY n DESC, nm, bd"
    ).to_pandas()
    big_ids = con.sql(f"SELECT id, n FROM nd_ids WHERE n > {int(max_group)} ORDER BY n DESC, id").to_pandas()
    return NearPairs(detail, big_blocks, big_ids, fields_found, {n: sources[n] for n in names})


# ------------------------------------------------------------------------------------------- the words


def _side_label(
    names: list[str], li: np.ndarray, shown: np.ndarray, sheets: np.ndarray, words_: dict[str, str], one: bool
) -> list[str]:
    """ "第 12 行" (one list) or "甲校.xlsx 第 12 行" (several), per pair side; a list read from several sheets of
    a workbook names the sheet too: "甲校.xlsx 工作表“离校”第 3 行"."""
    out = []
    for i, s, sh in zip(li, shown, sheets):
        name = names[int(i)]
        where = f"工作表“{sh}”" if sh else ""
        at = f"{where}第 {int(s)} {words_[name]}"
        out.append(at if one else f"{name} {at}")
    return out


def worded(detail: pd.DataFrame, names: list[str], sources: dict[str, ListSource]) -> pd.DataFrame:
    """The pairs the engine found, ordered and worded: shown rows, 说明, 哪条可能有误 (Python over the pairs only)."""
    cols = [
        "kind",
        "pos",
        *(
            f"{c}_{s}"
            for s in ("a", "b")
            for c in ("li", "r", "id", "k18", "xm", "xb", "bd", "xxbsm", "xxmc", "nj", "bj")
        ),
    ]
    if not len(detail):
        out = pd.DataFrame({c: pd.Series([], dtype="object") for c in cols})
        return _finish(out, names, sources, np.zeros(0, bool), np.zeros(0, bool))
    d = detail.copy()
    d["kind_order"] = d["kind"].map({k: i for i, k in enumerate(KINDS)})
    d = d.sort_values(["li_a", "r_a", "li_b", "r_b", "kind_order"], kind="stable").reset_index(drop=True)
    d = d.drop(columns="kind_order")
    # judged on the 18-digit form: a 15-digit number has no check character of its own to be wrong
    ok_a = checksum_ok(d["k18_a"].astype("str")).to_numpy(bool)
    ok_b = checksum_ok(d["k18_b"].astype("str")).to_numpy(bool)
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
        sheets = np.full(len(d), "", dtype=object)
        for i, name in enumerate(names):
            sel = li == i
            if sel.any():
                shown[sel] = shown_rows(sources[name], r[sel]).to_numpy(dtype=np.int64)
                sheets[sel] = shown_sheets(sources[name], r[sel]).fillna("").to_numpy(dtype=object)
        d[f"row_{s}"] = shown
        d[f"sheet_{s}"] = sheets
        d[f"file_{s}"] = [names[int(i)] for i in li]
        d[f"label_{s}"] = _side_label(names, li, shown, sheets, words_, one)
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
    if kind == "id_15_18":
        same = "姓名、性别相同" if _has(p.xb_a) and _has(p.xb_b) else "姓名相同"
        return (
            f"{both}疑似同一学生：{same}，一条是 15 位旧身份证号，升为 18 位后与另一条相同",
            "同一学生的新旧两个号码：请统一为 18 位号码，核实后删除重复的一条",
        )
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
