"""The handoff of one stage's graduates to the next stage: graduates of 小学六年级 or 初三 against the intake of
every school of the next stage — who enrolled where, who enrolled nowhere, who came from elsewhere.

    >>> import xueji_lib as xj
    >>> grads = xj.read_table("data_samples/k12/毕业生_2026.xlsx", "k12_student")       # doctest: +SKIP
    >>> intake = xj.read_table("data_samples/k12/新生_2026秋.xlsx", "k12_student")      # doctest: +SKIP
    >>> res = xj.handoff(grads, intake)                                               # doctest: +SKIP
    >>> res.not_enrolled()          # graduates found in no intake, by graduating school  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.errors import LayoutError
from ..engine.engines import Engine, engine_for
from ..io.source import ListSource
from ..schema.layouts import Layout
from .compare_result import HandoffResult, _title
from .keyjoin import _join, _keyed
from .roster import (
    CONTEXT,
    GRADUATE_STATUSES,
    ID_FIELDS,
    INTAKE_STATUSES,
    KEY_ZH,
    NAME_SEX_BIRTH,
    _categorical_text,
    _load,
    _mask_keys,
    _Roster,
    _sparse,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["handoff", "HandoffResult"]


def handoff(
    graduates: pd.DataFrame | ListSource | str | os.PathLike,
    intake: pd.DataFrame | ListSource | str | os.PathLike,
    key: str | None = None,
    *,
    graduates_name: str = "毕业生",
    intake_name: str = "新生",
    layout: str | Layout | None = "k12_student",
    unmask: bool = False,
    engine: str | Engine | SparkSession | None = None,
) -> HandoffResult:
    """Graduates of one stage (小学六年级, 初三) against the intake of every school of the next stage
    (初一, 高一): who enrolled where, who enrolled nowhere, and who came from elsewhere.

    A graduate is looked for by 学籍号, else 身份证件号, else 姓名+性别+出生日期 (``key`` picks the first
    level: "XJH" or "SFZJH"); each level only among the records not found yet, and 姓名+性别+出生日期 only
    where it is unique on both sides. ``engine``: where the matching queries run (as for ``compare``).
    Either list may be a folder converted by ``dbf_to_parquet`` (as for ``compare``).

        >>> res = handoff(grads, intake)                   # doctest: +SKIP
        >>> res.not_enrolled()                             # doctest: +SKIP
    """
    graduates, intake = ListSource.of(graduates), ListSource.of(intake)
    lay = _load(layout)
    g, t = _Roster(graduates, lay, graduates_name), _Roster(intake, lay, intake_name)
    chain = []
    if g.has("XJH") and t.has("XJH"):
        chain.append("XJH")
    if g.id_field() and t.id_field():
        chain.append(ID_FIELDS[0])
    if all(g.has(c) and t.has(c) for c in ("XM", "XB", "CSRQ")):
        chain.append(NAME_SEX_BIRTH)
    if key is not None:
        k = str(key).upper()
        k = ID_FIELDS[0] if k in ID_FIELDS else k
        if k not in chain:
            raise LayoutError(f"两份名单不都有字段 {key}，不能按它查找")
        chain = chain[chain.index(k) :]
    if not chain:
        raise LayoutError("毕业生和新生名单没有共同的学籍号、身份证件号，也没有姓名+性别+出生日期，无法查找")
    g_hit = np.full(g.n, -1, np.int64)  # the intake record each graduate was found as (first)
    g_how = np.full(g.n, "", "<U12")
    g_all: dict[int, list[int]] = {}  # every intake record found for a graduate (duplicates)
    t_hit = np.full(t.n, -1, np.int64)
    t_how = np.full(t.n, "", "<U12")
    ambiguous: dict[int, list[int]] = {}
    with engine_for(engine) as con:
        for level in chain:
            free_g, free_t = np.flatnonzero(g_hit < 0), np.flatnonzero(t_hit < 0)
            if not len(free_g) or not len(free_t):
                break
            gi, gk = _keyed(free_g, g.key_at(level, free_g))
            ti, tk = _keyed(free_t, t.key_at(level, free_t))
            if level == NAME_SEX_BIRTH:  # not an identifier: only where it is unique on both sides
                a, b = _join(con, gi, gk, ti, tk, unique=True)
                x, y = _join(con, gi, gk, ti, tk, unique=False)
                found = set(a.tolist())
                for u, v in zip(x.tolist(), y.tolist()):
                    if u not in found:
                        ambiguous.setdefault(u, []).append(v)
            else:
                a, b = _join(con, gi, gk, ti, tk, unique=False)
            order = np.lexsort((b, a))
            a, b = a[order], b[order]
            for u, v in zip(a.tolist(), b.tolist()):
                g_all.setdefault(u, []).append(v)
            first = np.unique(a, return_index=True)[1]
            g_hit[a[first]], g_how[a[first]] = b[first], level
            back = np.lexsort((a, b))
            bb, aa = b[back], a[back]
            first_t = np.unique(bb, return_index=True)[1]
            t_hit[bb[first_t]], t_how[bb[first_t]] = aa[first_t], level

    any_key = np.zeros(g.n, bool)
    for level in chain:
        any_key |= g.key(level).notna().to_numpy()
    g_status = np.where(g_hit >= 0, "enrolled", np.where(any_key, "not_enrolled", "missing_key"))
    t_status = np.where(t_hit >= 0, "matched", "from_elsewhere")
    levels_zh = "、".join(KEY_ZH.get(k, k) for k in chain)
    gt, tt = _title(graduates_name, "old"), _title(intake_name, "new")

    g_reason = np.full(g.n, None, object)
    hit = np.flatnonzero(g_hit >= 0)
    dest = t.where(g_hit[hit])
    dest_rows = t.file_rows(g_hit[hit])  # rows as the person sees them in the file (Excel row, DBF record)
    t_unit = t.row_unit()
    for k, i in enumerate(hit.tolist()):
        others = [v for v in g_all.get(i, []) if v != g_hit[i]]
        how_zh = KEY_ZH.get(str(g_how[i]), str(g_how[i]))
        text = f"升入 {dest[k]}（{tt}第 {dest_rows[k]} {t_unit}，按{how_zh}找到）"
        if others:
            text += (
                f"；同时出现在{tt}" + t.rows_text(others, list(t.where(np.array(others)))) + "：疑似重复学籍，请核实"
            )
        g_reason[i] = text
    for i in np.flatnonzero(g_status == "not_enrolled").tolist():
        text = f"在{tt}中找不到（{levels_zh}都没有对应记录）：请核实去向（外地就读、未升学等，控辍保学）"
        if i in ambiguous:
            text += f"；姓名+性别+出生日期与{tt}" + t.rows_text(ambiguous[i]) + "相同，无法确定是哪一位"
        g_reason[i] = text
    g_reason[g_status == "missing_key"] = f"没有{levels_zh}，无法查找：请补全后再核对"
    t_reason = np.full(t.n, None, object)
    th = np.flatnonzero(t_hit >= 0)
    src = g.where(t_hit[th])
    src_rows = g.file_rows(t_hit[th])
    g_unit = g.row_unit()
    for k, i in enumerate(th.tolist()):
        how_zh = KEY_ZH.get(str(t_how[i]), str(t_how[i]))
        t_reason[i] = f"来自{gt}第 {src_rows[k]} {g_unit}（{src[k]}，按{how_zh}找到）"
    t_reason[t_status == "from_elsewhere"] = f"{gt}中没有这名学生：来自其他地方（县外、往届或其他学校）"

    kind = None if unmask else ("id" if chain[0] in ID_FIELDS else g.personal(chain[0]))
    dest_cols = {}
    for col, code in (("school", "XXMC"), ("school_code", "XXBSM"), ("grade", "NJ"), ("class", "BJ")):
        values = np.full(g.n, None, object)
        values[hit] = t.at(code, g_hit[hit]).to_numpy(dtype=object)
        dest_cols[col] = _sparse(values, None)
    gframe = pd.DataFrame(
        {
            "row": np.arange(1, g.n + 1, dtype=np.int64),
            "key": _mask_keys(g.key(chain[0]), kind, unmask),
            "status": _categorical_text(g_status, GRADUATE_STATUSES),
            "matched_by": _categorical_text(g_how, chain),
            "counterpart_row": pd.arrays.IntegerArray(np.where(g_hit >= 0, g_hit + 1, 0), g_hit < 0),
            **dest_cols,
            "reasons": _sparse(g_reason, ""),
        }
    )
    for c in CONTEXT:
        gframe[c] = g.col(c)
    tframe = pd.DataFrame(
        {
            "row": np.arange(1, t.n + 1, dtype=np.int64),
            "key": _mask_keys(t.key(chain[0]), kind, unmask),
            "status": _categorical_text(t_status, INTAKE_STATUSES),
            "matched_by": _categorical_text(t_how, chain),
            "counterpart_row": pd.arrays.IntegerArray(np.where(t_hit >= 0, t_hit + 1, 0), t_hit < 0),
            "reasons": _sparse(t_reason, ""),
        }
    )
    for c in CONTEXT:
        tframe[c] = t.col(c)
    return HandoffResult(
        graduates=gframe,
        intake=tframe,
        levels=tuple(chain),
        graduates_name=graduates_name,
        intake_name=intake_name,
        inputs={"graduates": graduates, "intake": intake, "layout": layout},
    )
