"""Roster comparison: two snapshots of the same population (学期 to 学期, school to bureau), every record
accounted for, every difference explained; and the handoff of one stage's graduates to the next stage.

    >>> import xueji_lib as xj
    >>> old = xj.read_table("data_samples/k12/学生名单_2025秋.xlsx", "k12_student")        # doctest: +SKIP
    >>> new = xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student")        # doctest: +SKIP
    >>> ch = xj.read_table("data_samples/k12/学籍异动_2026春.xlsx", "k12_changes")         # doctest: +SKIP
    >>> res = xj.compare(old, new, changes=ch, old_name="2025秋", new_name="2026春")       # doctest: +SKIP
    >>> print(res.summary())                                                             # doctest: +SKIP
    >>> res.unexplained_removals()       # 疑似流失: the 控辍保学 follow-up list            # doctest: +SKIP

Records are matched on the normalised 学籍号 (or 身份证件号); a record without it falls back to its
身份证件号 and then to 姓名+性别+出生日期. Every record of both inputs gets exactly one status (``OLD_STATUSES``,
``NEW_STATUSES``) and a Chinese reason; a change list (学籍异动) explains removals, additions and transfers.
The joins run in DuckDB over Arrow arrays of the keys; field comparison is one vectorised operation per
column; Python formats sentences only for the records that have something to say.

The parts live beside this module: ``roster`` (statuses, key fields, ``_Roster``), ``keyjoin`` (joins by key
in the engine), ``record_match`` (pairing the records of two snapshots), ``compare_result`` (``CompareResult``,
``HandoffResult``) and ``handoff``; this module holds ``compare`` — its judging, its sentences and the change
list — and ``compared_fields``, and every name it always offered is still importable from here.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import LayoutError
from ..core.normalize import STR
from ..core.privacy import mask_value
from ..core.progress import Progress, ProgressArg
from ..core.textbytes import text_array
from ..engine.engines import Engine, engine_on_demand
from ..io.source import ListSource
from ..schema.codes import load_code_table
from ..schema.layouts import Layout, load_layout
from .compare_result import COMPARE_OUTPUT_NAMES as COMPARE_OUTPUT_NAMES  # re-exported: reporting.outputs
from .compare_result import RESULT_COLUMNS, CompareResult, HandoffResult, _title
from .handoff import handoff
from .keyjoin import _join_few_filtered, _join_few_paired, _keyed
from .record_match import _STATUS_CODE, _WORKING_STATUSES, _Match, _match
from .roster import (
    CHANGE_CLASSES,
    CHANGE_STATUSES,
    CONTEXT,
    GRADUATE_STATUSES,
    ID_FIELDS,
    INTAKE_STATUSES,
    KEY_ZH,
    NAME_SEX_BIRTH,
    NEW_STATUSES,
    OLD_STATUSES,
    STATUS_ZH,
    _categorical_text,
    _coded_text,
    _id_field,
    _join_given,
    _key_code,
    _lit,
    _load,
    _mask_keys,
    _Roster,
    _sparse_at,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "compare",
    "compared_fields",
    "field_codes",
    "CompareResult",
    "handoff",
    "HandoffResult",
    "OLD_STATUSES",
    "NEW_STATUSES",
    "CHANGE_STATUSES",
    "GRADUATE_STATUSES",
    "INTAKE_STATUSES",
]

SCHOOL_FIELDS = ("XXBSM", "XXMC")
CLASS_FIELDS = ("NJ", "BJ")
# 学籍异动 types (labels of the xjyd_k12 table) that explain a record leaving, arriving, or changing class — the
# K-12 default; a change list's layout may declare its own under ``explains`` (hei_changes.yml: the
# higher-education kinds of xjyd_gx), which are used instead. 借读 and 对外交流 (seed 004: 入学、转学、借读、休学…;
# 离校学生(休学、对外交流等)) explain a pupil away from the roster, 借读 and 交流返校 one arriving.
REMOVAL_TYPES = ("转出", "退学", "死亡", "毕业", "结业", "休学", "开除", "辍学", "借读", "对外交流")
ADDITION_TYPES = ("转入", "复学", "招生", "导入", "借读", "交流返校")
CLASS_TYPES = ("调班", "升级", "留级")
# the rule for which changed fields need evidence or are refused (``field_classes`` of this layout, unless
# the compared roster's layout has its own)
FIELD_RULES_LAYOUT = "info_changes"
# identifiers a change record is looked for by besides the key (when it and a roster both have them)
CHANGE_KEYS = ("XJH", "XH", "KSH")


def _explains(changes_layout: str | Layout | None) -> dict[str, tuple[str, ...]]:
    """What explains what (``removal``, ``addition``, ``move``, ``transfer_out``, ``transfer_in`` 异动类别 and the
    ``school_fields`` / ``move_fields`` whose change is a move): the change layout's ``explains`` where it
    declares them, else the K-12 defaults; the fields are the union of both (a list has only its own)."""
    lay = _load(changes_layout)
    ex = dict((lay.extra.get("explains") if lay is not None else None) or {})

    def kinds(name, default):
        return tuple(str(x) for x in ex.get(name) or default)

    return {
        "removal": kinds("removal", REMOVAL_TYPES),
        "addition": kinds("addition", ADDITION_TYPES),
        "move": kinds("move", CLASS_TYPES),
        "transfer_out": kinds("transfer_out", ("转出",)),
        "transfer_in": kinds("transfer_in", ("转入",)),
        "school_fields": tuple(
            dict.fromkeys([*SCHOOL_FIELDS, *(str(x).upper() for x in ex.get("school_fields") or ())])
        ),
        "move_fields": tuple(dict.fromkeys([*CLASS_FIELDS, *(str(x).upper() for x in ex.get("move_fields") or ())])),
    }


def _field_rules(lay: Layout | None) -> dict:
    """The ``field_classes`` rule (which changed fields need evidence, which are refused for graduates, who
    is a graduate): the roster layout's own when it has one, else that of ``FIELD_RULES_LAYOUT``."""
    own = lay.extra.get("field_classes") if lay is not None else None
    return dict(own or load_layout(FIELD_RULES_LAYOUT).extra.get("field_classes") or {})


# ------------------------------------------------------------------------------------------------ keys


def _resolve_key(o: _Roster, n: _Roster, key: str | None) -> str:
    return _key_code(o.cols, n.cols, key)


def field_codes(values: str | Iterable[str] | None) -> list[str]:
    """Field codes written by a person — "NJ,BJ" (a full-width ，too), or several such texts — upper-cased,
    each once, in the order given. None → [].

        >>> field_codes("nj，BJ"), field_codes(["NJ", "BJ,XM"]), field_codes(None)
        (['NJ', 'BJ'], ['NJ', 'BJ', 'XM'], [])
    """
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return list(
        dict.fromkeys(f.strip().upper() for item in items for f in str(item).replace("，", ",").split(",") if f.strip())
    )


def compared_fields(
    old_columns: Iterable[str],
    new_columns: Iterable[str],
    *,
    key: str | None = None,
    ignore: str | Iterable[str] | None = (),
    ignore_name: str = "ignore",
) -> list[str]:
    """The fields ``compare`` compares two lists with these columns by: every column both have (codes,
    upper-case, in the old list's order) except the key the records are matched by (``key``, or XJH when
    both have it, else the ID field) — with an ID key, each side's ID column — and except ``ignore``
    (field codes as ``field_codes`` reads them). The one rule behind ``compare``'s default, ``xueji
    compare --ignore`` and the 学籍变动报告's ``ignore`` parameter: the key is never compared as a field
    (a pair found by a fallback whose keys both exist but differ lists the key once, as the key that
    changed). A code in ``ignore`` that is not in both lists raises ``LayoutError`` naming ``ignore_name``.

        >>> compared_fields(["XJH", "XM", "NJ", "BJ"], ["XJH", "XM", "NJ", "BJ"], ignore="NJ")
        ['XM', 'BJ']
        >>> compared_fields(["XJH", "SFZJH", "XM"], ["XJH", "SFZJH", "XM"], key="SFZJH")
        ['XJH', 'XM']
    """
    old_cols = list(dict.fromkeys(str(c).upper() for c in old_columns))
    new_cols = {str(c).upper() for c in new_columns}
    skip = set(field_codes(ignore))
    unknown = sorted(skip - (set(old_cols) & new_cols))
    if unknown:
        raise LayoutError(f"{ignore_name} 中的字段 {'、'.join(unknown)} 不在两份名单中（请写字段代码，如 NJ）")
    key = _key_code(old_cols, new_cols, key)
    key_cols = {key} | ({_id_field(old_cols), _id_field(new_cols)} if key in ID_FIELDS else set())
    return [c for c in old_cols if c in new_cols and c not in key_cols and c not in skip]


# ------------------------------------------------------------------------------------------------ compare


def compare(
    old: pd.DataFrame | ListSource | str | os.PathLike,
    new: pd.DataFrame | ListSource | str | os.PathLike,
    key: str | None = None,
    changes: pd.DataFrame | ListSource | str | os.PathLike | None = None,
    *,
    old_name: str = "old",
    new_name: str = "new",
    fields: Iterable[str] | None = None,
    layout: str | Layout | None = "k12_student",
    changes_layout: str | Layout | None = "k12_changes",
    unmask: bool = False,
    progress: ProgressArg = None,
    engine: str | Engine | SparkSession | None = None,
    graduates: bool = False,
    as_of: datetime.date | str | None = None,
) -> CompareResult:
    """Compare two rosters of the same population and explain every difference.

    ``old`` and ``new`` are frames or folders converted by ``dbf_to_parquet``: from a folder the engine
    reads the compared fields of every record itself, and only the keys, the context columns of the result
    (学校, 年级, 班级, 姓名) and the records that differ are read into this process. The result is the same.

    ``key``: the field that identifies a student on both sides — "XJH" (学籍号, the default when both
    frames have it) or an ID field ("SFZJH"/"SFZH", normalised: half-width, 15→18 digits); a record
    without it falls back to its 身份证件号 and then 姓名+性别+出生日期. ``changes``: a 学籍异动 list
    (k12_changes fields; 异动类别 as code or label) that explains removals, additions and transfers.
    ``fields``: the fields compared (default: every column both frames have, except the key). ``layout``
    gives field names, code tables (a code and its label are the same value) and which fields are
    personal (masked in reasons unless ``unmask``). Comparing across school years, leave 年级 NJ out of
    ``fields`` (every pupil moves up a grade) or every record is ``moved``. ``progress`` (None: silent;
    True: notebook or stderr; a callable ``(label, done, total)``) is told each stage (COMPARE_STEPS).
    ``engine`` runs the matching queries (None/"duckdb", "spark", a master URL or a SparkSession; see
    xueji_lib.engine.engines): the same result on each.

    ``key`` may be any field both lists have (学号 XH, 考生号 KSH for a university's rosters). ``changes_layout``
    names the change list's layout: "k12_changes" (default) or "hei_changes" (a university's 学籍异动,
    xjyd_gx kinds); the layout's ``explains`` says which kinds explain a removal, an addition, a move.
    Every changed field is classed (``change_class``: ordinary / evidence / not_accepted) by the
    ``field_classes`` rule (info_changes.yml, seed 004): 姓名/性别/出生日期/身份证号 need evidence, and are not
    accepted for a graduate — a record whose status field (学籍状态, 年级 …) says 毕业/结业, or every record
    when ``graduates`` (the two lists are rosters of graduates). A change that needs evidence on a student who
    entered (入学年月 RXNY / 入学日期 RXRQ) more than one semester before ``as_of`` (default: today) is also told
    that corrections belong to the first semester and a late one needs a written report (``late_correction``
    of the rule; 004, 电大 notice: "新生基本信息核对、更正工作于入学后第一个学期内完成").

        >>> res = compare(old, new, changes=ch, old_name="2025秋", new_name="2026春")   # doctest: +SKIP
        >>> res.counts["old"]["removed"], res.unexplained_removals()                   # doctest: +SKIP
    """
    old, new = ListSource.of(old), ListSource.of(new)
    changes = None if changes is None else ListSource.of(changes)
    with Progress(progress, "对比", steps=COMPARE_STEPS) as task:
        res = _compare(
            old,
            new,
            key,
            changes,
            old_name,
            new_name,
            fields,
            layout,
            changes_layout,
            unmask,
            task,
            engine,
            graduates,
            _as_of(as_of),
        )
    return replace(
        res, inputs={"old": old, "new": new, "changes": changes, "layout": layout, "changes_layout": changes_layout}
    )


COMPARE_STEPS = ("准备名单", "匹配", "比较字段", "判定状态", "核对异动并说明")


def _compare(
    old: ListSource,
    new: ListSource,
    key: str | None,
    changes: ListSource | None,
    old_name: str,
    new_name: str,
    fields: Iterable[str] | None,
    layout: str | Layout | None,
    changes_layout: str | Layout | None,
    unmask: bool,
    task: Progress,
    engine: str | Engine | SparkSession | None = None,
    graduates: bool = False,
    as_of: datetime.date | None = None,
) -> CompareResult:
    task.step("准备名单")
    lay = _load(layout)
    o, n = _Roster(old, lay, old_name), _Roster(new, lay, new_name)
    key = _resolve_key(o, n, key)
    id_level = key not in ID_FIELDS and bool(o.id_field() and n.id_field())
    if fields is None:
        flds = compared_fields(o.cols, n.cols, key=key)
    else:
        flds = list(dict.fromkeys(str(f).upper() for f in fields))
        missing = [f for f in flds if not (o.has(f) and n.has(f))]
        if missing:
            raise LayoutError("要比较的字段不在两份名单中：" + "、".join(missing))
    with engine_on_demand(engine) as con:  # two frames whose fallback joins are small never connect it
        task.step("匹配")
        m = _match(con, o, n, key, id_level, flds)
        with ThreadPoolExecutor(1) as pool:  # judging's second thread (_judge)
            result = _judge(o, n, m, key, flds, changes, changes_layout, unmask, task, graduates, as_of, pool)
    counts = np.bincount(m.how, minlength=len(m.levels) + 1)  # per level (1-based) its pairs: np.unique's counts
    by = {m.levels[k - 1]: int(v) for k, v in enumerate(counts.tolist()) if k and v}
    return CompareResult(
        old=result["old"],
        new=result["new"],
        changes=result["changes"],
        key_used=key,
        fallback_matches=sum(v for k, v in by.items() if k != key),
        old_name=old_name,
        new_name=new_name,
        fields=tuple(flds),
        matched_by_counts=by,
        params={"graduates": bool(graduates)} if graduates else {},
        k12=_is_k12(o),
    )


def _judge(
    o: _Roster,
    n: _Roster,
    m: _Match,
    key: str,
    flds: list[str],
    changes: ListSource | None,
    changes_layout: str | Layout | None,
    unmask: bool,
    task: Progress | None,
    graduates: bool,
    as_of: datetime.date | None,
    pool: ThreadPoolExecutor,
) -> dict:
    """Every record's status, explanation and sentence, and the result frames. The sentences are worked out
    a group at a time (all removals with no change record share one text, a record's change records are
    joined by Arrow) and kept per side as {position: text} — a few thousand among a million records — until
    each result column is built once (``roster._sparse_at``). ``pool``, a second thread: the work that needs only
    the matching (the change list's matching, the masked keys) runs on it while the fields are compared and the
    statuses judged, and the new side's result frame is built on it while the old side's is built here."""
    task = task if task is not None else Progress(None, "")
    follow_up = FOLLOW_UP_K12 if _is_k12(o) else ""
    kinds = _explains(changes_layout)
    school_fields, class_fields = kinds["school_fields"], kinds["move_fields"]
    task.step("比较字段")
    oi, ni = m.oi, m.ni
    # each record's counterpart and how it was found (known from the matching alone), and what needs only them
    # started on the other thread: each side's masked keys, and — both lists frames (a folder's _Roster reads
    # its rows on demand, from one thread) — the change list's matching
    o_cp, n_cp = m.o_link.copy(), m.n_link.copy()
    o_how, n_how = np.zeros(o.n, np.int8), np.zeros(n.n, np.int8)
    o_cp[oi], n_cp[ni] = ni, oi
    o_how[oi], n_how[ni] = m.how, m.how
    ch_early = None
    if changes is not None and not (o.src.is_folder or n.src.is_folder):
        ch_early = pool.submit(_changes, o, n, key, changes, changes_layout, (o_cp, o_how == 1, n_how == 1))
    masked = pool.submit(lambda: [_masked_key(r, key, unmask) for r in (o, n)])
    # -- field comparison of the pairs that may differ, normalised, one vectorised comparison per field
    fb = m.how != 1
    cand = np.flatnonzero(m.check | fb)
    co, cn = oi[cand], ni[cand]
    diff = np.zeros((len(cand), len(flds)), bool)
    for j, f in enumerate(flds):
        diff[:, j] = _field_differs(o, n, f, co, cn)
    # a pair found by a fallback whose keys both exist but differ: the key itself changed
    ka, kb = o.key_at(key, co).to_numpy(dtype=object), n.key_at(key, cn).to_numpy(dtype=object)
    key_diff = fb[cand] & pd.notna(ka) & pd.notna(kb) & (ka != kb)
    col = {f: j for j, f in enumerate(flds)}
    school = diff[:, [col[f] for f in school_fields if f in col]].any(axis=1)
    klass = diff[:, [col[f] for f in class_fields if f in col]].any(axis=1)
    other = key_diff | diff[:, [j for f, j in col.items() if f not in school_fields + class_fields]].any(axis=1)
    cand_status = np.where(
        school | klass, _STATUS_CODE["moved"], np.where(other, _STATUS_CODE["changed"], _STATUS_CODE["unchanged"])
    ).astype(np.int8)

    # -- one status per record
    task.step("判定状态")
    o_status, n_status = m.o_status.copy(), m.n_status.copy()
    o_plain, n_plain = o_status[oi] == 0, n_status[ni] == 0
    o_status[oi[o_plain]] = _STATUS_CODE["unchanged"]
    n_status[ni[n_plain]] = _STATUS_CODE["unchanged"]
    for side_status, idx in ((o_status, co), (n_status, cn)):
        plain = side_status[idx] == _STATUS_CODE["unchanged"]
        side_status[idx[plain]] = cand_status[plain]
    o_status[o_status == 0] = _STATUS_CODE["removed"]
    n_status[n_status == 0] = _STATUS_CODE["added"]

    # the text columns of each side, {position: text} for the few records that have one
    o_fields: dict[int, str] = {}
    n_fields: dict[int, str] = {}
    differ = np.flatnonzero(diff.any(axis=1) | key_diff)
    if len(differ):
        # one text per pattern of changed fields (a few patterns among the pairs), taken for every pair
        bits = np.column_stack([key_diff[differ], diff[differ]])
        first, which = _distinct_rows(bits)
        texts = np.array([",".join(f for f, hit in zip([key, *flds], bits[i]) if hit) for i in first.tolist()], object)
        per_pair = texts[which].tolist()
        o_fields.update(zip(co[differ].tolist(), per_pair))
        n_fields.update(zip(cn[differ].tolist(), per_pair))
    # -- which changes are allowed: each differing pair's class, and a sentence for those that are not ordinary
    o_class, n_class = np.zeros(o.n, np.int8), np.zeros(n.n, np.int8)  # 0: no change, else 1 + CHANGE_CLASSES
    cls, cls_text = _change_classes(o, n, co, cn, diff, flds, key, key_diff, differ, graduates, as_of)
    o_class[co[differ]] = cls
    n_class[cn[differ]] = cls

    # -- the change list, and every sentence (only for the records that have one)
    task.step("核对异动并说明")
    ch = None
    if ch_early is not None:
        ch = ch_early.result()
    elif changes is not None:
        ch = _changes(o, n, key, changes, changes_layout, paired=(o_cp, o_how == 1, n_how == 1))
    recs: _ChangeRecs | None = ch["recs"] if ch else None
    removal_types, addition_types, class_types = kinds["removal"], kinds["addition"], kinds["move"]
    out_types, in_types = kinds["transfer_out"], kinds["transfer_in"]
    o_expl, n_expl = np.full(o.n, -1, np.int8), np.full(n.n, -1, np.int8)  # -1 NA, 0 False, 1 True
    o_type: dict[int, str] = {}
    n_type: dict[int, str] = {}
    o_reason: dict[int, str] = {}
    n_reason: dict[int, str] = {}
    ot, nt = _title(o.name, "old"), _title(n.name, "new")
    explains = np.zeros(recs.n if recs else 0, bool)  # per change record: it explains a difference

    # removed / added: explained by a change record of the right direction
    for side, status, expl, typ, reason, want, other_t, what in (
        ("o", o_status, o_expl, o_type, o_reason, removal_types, nt, "removed"),
        ("n", n_status, n_expl, n_type, n_reason, addition_types, ot, "added"),
    ):
        idx = np.flatnonzero(status == _STATUS_CODE[what])
        expl[idx] = 0
        if recs is None:  # no change list: nothing explains a removal or an addition, each needs checking
            reason.update(
                dict.fromkeys(
                    idx.tolist(),
                    f"{other_t}中没有这名学生（没有提供异动名单，无法核对原因）：疑似流失，请核实去向" + follow_up
                    if what == "removed"
                    else f"{other_t}中原来没有这名学生（没有提供异动名单，无法核对原因）：请核实来源",
                )
            )
            continue
        none_text = (
            f"{other_t}中没有这名学生，异动名单中也没有转出、退学、休学等记录：疑似流失，请核实去向" + follow_up
            if what == "removed"
            else f"{other_t}中原来没有这名学生，异动名单中也没有转入、复学、招生等记录：请核实来源"
        )
        lead = f"{other_t}中没有这名学生" if what == "removed" else f"{other_t}中原来没有这名学生"
        k, rows = recs.of(side, idx)
        fit = np.isin(recs.kind[rows], list(want))
        explains[rows[fit]] = True
        has, has_fit = _any_per(k, len(idx)), _any_per(k[fit], len(idx))
        alone = idx[~has]  # no change record at all: the one text
        reason.update(dict.fromkeys(alone.tolist(), none_text))
        fit_text = recs.joined(k[fit], rows[fit], len(idx))
        fit_kinds = _joined_kinds(k[fit], recs.kind[rows[fit]], len(idx))
        all_text = recs.joined(k, rows, len(idx))
        good = np.flatnonzero(has_fit)
        expl[idx[good]] = 1
        typ.update(zip(idx[good].tolist(), [fit_kinds[g] for g in good.tolist()]))
        reason.update(zip(idx[good].tolist(), [f"{lead}；异动名单{fit_text[g]}" for g in good.tolist()]))
        bad = np.flatnonzero(has & ~has_fit)  # only change records that cannot explain it
        reason.update(
            zip(
                idx[bad].tolist(),
                [f"{none_text}（异动名单中只有{all_text[g]}，不能解释这一变化）" for g in bad.tolist()],
            )
        )

    # pairs that differ: one sentence for both sides; moves explained by 转出+转入 (or 调班 / 升级 / 留级)
    rows = np.flatnonzero(cand_status != _STATUS_CODE["unchanged"])
    text = np.array(_pair_texts(o, n, co, cn, diff, flds, key, key_diff, school, klass, rows, unmask, kinds), object)
    found_by = np.flatnonzero(fb[cand[rows]])
    if len(found_by):
        p = rows[found_by]
        text[found_by] = _how_texts(o, n, ka[p], kb[p], m.how[cand[p]], m.levels, key) + "；" + text[found_by]
    pair_expl = np.full(len(rows), -1, np.int8)
    pair_type = np.full(len(rows), None, object)
    if recs is not None:
        mv = np.flatnonzero(cand_status[rows] == _STATUS_CODE["moved"])
        k, crow = recs.of_pairs(co[rows[mv]], cn[rows[mv]])
        kind = recs.kind[crow]
        is_out, is_in = np.isin(kind, list(out_types)), np.isin(kind, list(in_types))
        # a move of school: explained by a 转出 and a 转入 record
        sch = school[rows[mv]]
        both = _any_per(k[is_out], len(mv)) & _any_per(k[is_in], len(mv))
        fit = (is_out | is_in) & sch[k]
        fit_text = recs.joined(k[fit], crow[fit], len(mv))
        has_fit = _any_per(k[fit], len(mv))
        done = np.flatnonzero(sch & both)
        explains[crow[fit & both[k]]] = True
        pair_expl[mv[done]], pair_type[mv[done]] = 1, "转出+转入"
        text[mv[done]] = text[mv[done]] + "；异动名单" + np.array([fit_text[g] for g in done.tolist()], object)
        lacking = np.where(
            _any_per(k[is_out], len(mv)), "转入", np.where(_any_per(k[is_in], len(mv)), "转出", "转出、转入")
        )
        for g in np.flatnonzero(sch & ~both).tolist():
            only = f"（只有{fit_text[g]}）" if has_fit[g] else ""
            text[mv[g]] += f"；异动名单中没有这次转学的{lacking[g]}记录{only}"
        pair_expl[mv[sch & ~both]] = 0
        # a change of class or grade: explained by 调班 / 升级 / 留级
        fit = np.isin(kind, list(class_types)) & ~sch[k]
        fit_text = recs.joined(k[fit], crow[fit], len(mv))
        fit_kinds = _joined_kinds(k[fit], kind[fit], len(mv))
        explains[crow[fit]] = True
        done = np.flatnonzero(_any_per(k[fit], len(mv)))
        pair_expl[mv[done]] = 1
        pair_type[mv[done]] = np.array([fit_kinds[g] for g in done.tolist()], object)
        text[mv[done]] = text[mv[done]] + "；异动名单" + np.array([fit_text[g] for g in done.tolist()], object)
    if cls_text:
        extra = np.array([cls_text.get(p, "") for p in rows.tolist()], object)
        text = text + extra
    for pos, status, reason, ex, ty in (
        (co, o_status, o_reason, o_expl, o_type),
        (cn, n_status, n_reason, n_expl, n_type),
    ):
        at = pos[rows]
        mine = np.flatnonzero(status[at] == cand_status[rows])  # a duplicate's status stays its own
        reason.update(zip(at[mine].tolist(), text[mine].tolist()))
        ex[at[mine]] = pair_expl[mine]
        typed = mine[pd.notna(pair_type[mine])]
        ty.update(zip(at[typed].tolist(), pair_type[typed].tolist()))
    # pairs found by a fallback and otherwise unchanged still say how they were found
    same = np.flatnonzero(fb[cand] & (cand_status == _STATUS_CODE["unchanged"]))
    if len(same):
        said = _how_texts(o, n, ka[same], kb[same], m.how[cand[same]], m.levels, key) + "，信息无变化"
        for pos, status, reason in ((co, o_status, o_reason), (cn, n_status, n_reason)):
            mine = np.flatnonzero(status[pos[same]] == _STATUS_CODE["unchanged"])
            reason.update(zip(pos[same[mine]].tolist(), said[mine].tolist()))

    _dup_reasons(o, n, m, key, o_status, n_status, o_reason, n_reason, o_cp, n_cp, recs, unmask)
    for status, reason in ((o_status, o_reason), (n_status, n_reason)):
        reason.update(
            dict.fromkeys(
                np.flatnonzero(status == _STATUS_CODE["missing_key"]).tolist(),
                f"没有{KEY_ZH.get(key, key)}，身份证件号、姓名、性别、出生日期也不全，无法与另一份名单对应：请补全后再比对",
            )
        )

    # change records about students whose record shows no such difference: say so where they are
    if recs is not None:
        for side, status, reason in (("o", o_status, o_reason), ("n", n_status, n_reason)):
            about = np.unique(recs.pos[side])
            k, crow = recs.of(side, about)
            st = status[about]
            told = (st == _STATUS_CODE["unchanged"]) | (st == _STATUS_CODE["changed"])
            told |= (st == _STATUS_CODE["moved"]) & ~_any_per(k[explains[crow]], len(about))
            listed = recs.joined(k, crow, len(about))
            for g in np.flatnonzero(told).tolist():
                i = int(about[g])
                note = f"异动名单{listed[g]}，但两份名单中都有这名学生：请核实"
                reason[i] = f"{reason[i]}；{note}" if reason.get(i) else note

    # the two result frames built side by side (most of the work is Arrow's and numpy's, outside the GIL), the
    # change list's after the old one's
    o_key, n_key = masked.result()
    n_frame = pool.submit(
        _frame, "new", n, n_key, n_status, n_expl, n_type, n_reason, n_cp, n_how, m.levels, n_fields, n_class
    )
    o_frame = _frame("old", o, o_key, o_status, o_expl, o_type, o_reason, o_cp, o_how, m.levels, o_fields, o_class)
    ch_frame = _changes_frame(ch, o, n, key, explains, o_status, n_status, unmask) if ch else None
    return {"old": o_frame, "new": n_frame.result(), "changes": ch_frame}


def _field_differs(o: _Roster, n: _Roster, code: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether the values of field ``code`` of pairs (old position ``a``, new position ``b``) differ as compared
    (``_Roster.norm_at``: stripped, a code and its label the same, dates as YYYYMMDD). Values equal as written
    are equal as compared (both lists are read by one layout), so only the pairs whose values differ as
    written — most often none or a few — are normalised. Plain path: ``_differs(o.norm_at(code, a),
    n.norm_at(code, b))``."""
    x, y = text_array(o.values(code, a)), text_array(n.values(code, b))
    same = pc.fill_null(pc.equal(x, y), False).to_numpy(zero_copy_only=False)
    if x.null_count or y.null_count:  # missing on both sides: equal ("" as compared)
        same |= pc.is_null(x).to_numpy(zero_copy_only=False) & pc.is_null(y).to_numpy(zero_copy_only=False)
    out = np.zeros(len(a), bool)
    todo = np.flatnonzero(~np.asarray(same, bool))
    if len(todo):
        out[todo] = _differs(o.norm_at(code, a[todo]), n.norm_at(code, b[todo]))
    return out


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """``a != b`` value by value for two columns of ``_Roster.norm_at`` (text, no missing value): one Arrow
    comparison of the bytes, no Python string per value. Plain path (a column with a missing value, which
    norm_at never gives): the comparison of the values as objects."""
    x, y = text_array(a), text_array(b)
    if x.null_count or y.null_count:
        return a.to_numpy(dtype=object) != b.to_numpy(dtype=object)
    return np.asarray(pc.not_equal(x, y).to_numpy(zero_copy_only=False), bool)


def _distinct_rows(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a bool matrix — what ``np.unique(bits, axis=0, return_index=True,
    return_inverse=True)`` finds, but each row packed into bytes and seen as one scalar first (np.unique along
    an axis compares rows field by field, ~20× slower): the position of each distinct row's first copy, and
    each row's number among them."""
    packed = np.ascontiguousarray(np.packbits(bits, axis=1))
    rows = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    _, first, which = np.unique(rows, return_index=True, return_inverse=True)
    return first, np.asarray(which).reshape(-1)


def _any_per(k: np.ndarray, groups: int) -> np.ndarray:
    """Per group 0 … ``groups``-1: whether ``k`` (group numbers) names it."""
    return np.bincount(k, minlength=groups)[:groups] > 0


def _group_join(k: np.ndarray, texts: np.ndarray | pa.Array, groups: int, sep: str) -> list[str]:
    """Per group 0 … ``groups``-1 its ``texts`` (an object array, or a large_string Arrow array) joined by
    ``sep`` ("" for a group without any); ``k``: each text's group, ascending. One Arrow join of a list array
    (``sep.join`` of each group's list, no Python join per group)."""
    offsets = np.zeros(groups + 1, np.int64)
    np.cumsum(np.bincount(k, minlength=groups)[:groups], out=offsets[1:])
    values = texts if isinstance(texts, pa.Array) else pa.array(list(texts), pa.large_string())
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), values)
    return pc.binary_join(lists, pa.scalar(sep, pa.large_string())).to_pylist()


def _joined_kinds(k: np.ndarray, kinds: np.ndarray, groups: int) -> list[str]:
    """Per group its 异动类别 (``kinds``, group ``k`` ascending) each once, in order of first appearance, joined
    by "、": ``"、".join(dict.fromkeys(kinds of the group))``."""
    if not len(k):
        return [""] * groups
    _, code = np.unique(kinds, return_inverse=True)
    code = np.asarray(code, np.int64).reshape(-1)
    _, first = np.unique(k * (int(code.max()) + 1) + code, return_index=True)
    keep = np.zeros(len(k), bool)
    keep[first] = True
    return _group_join(k[keep], kinds[keep], groups, "、")


@dataclass
class _ChangeRecs:
    """The change records about each roster record, flat: per side ("o", "n") the roster positions in ascending
    order (``pos``) and beside each the row of a change record about it (``row``), a record's change records in
    (date, row) order; per change record its 异动类别 (``kind``) and the sentence that names it (``text``:
    第 3 行：转出（20251202，…）; None for one that found nobody). Looked up for many records at once."""

    n: int  # change records
    pos: dict[str, np.ndarray]
    row: dict[str, np.ndarray]
    kind: np.ndarray
    text: np.ndarray

    def of(self, side: str, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The change records about the records at positions ``idx`` of one side: ``(k, row)``, one entry per
        change record, ``k`` the record's index in ``idx`` (ascending), each record's in (date, row) order."""
        pos = self.pos[side]
        idx = np.asarray(idx, np.int64)
        lo, hi = np.searchsorted(pos, idx, "left"), np.searchsorted(pos, idx, "right")
        count = hi - lo
        k = np.repeat(np.arange(len(idx)), count)
        at = np.arange(len(k)) + np.repeat(lo - (np.cumsum(count) - count), count)
        return k, self.row[side][at]

    def of_pairs(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``of`` for pairs (old position ``a``, new position ``b``): the old record's change records, then those of
        the new one not already listed."""
        ko, ro = self.of("o", a)
        kn, rn = self.of("n", b)
        order = np.argsort(np.concatenate([ko, kn]), kind="stable")
        k, row = np.concatenate([ko, kn])[order], np.concatenate([ro, rn])[order]
        _, first = np.unique(k * max(self.n, 1) + row, return_index=True)
        keep = np.zeros(len(k), bool)
        keep[first] = True
        return k[keep], row[keep]

    def about(self, side: str, i: int) -> list[int]:
        """The rows of the change records about the record at position ``i``."""
        return self.of(side, np.array([i]))[1].tolist()

    def joined(self, k: np.ndarray, row: np.ndarray, groups: int) -> list[str]:
        """Per record 0 … ``groups``-1 the sentences of its change records (``k``, ``row`` as ``of`` gives them)
        joined by "；" ("" for a record without any)."""
        return _group_join(k, self.text[row], groups, "；")


# A pupil of compulsory schooling gone without a record is the 控辍保学 follow-up's (K-12 only).
FOLLOW_UP_K12 = "（控辍保学）"


def _is_k12(r: _Roster) -> bool:
    """Whether the rosters are K-12 ones (their layout's category; a roster without a layout counts as K-12,
    the comparison's default)."""
    return r.layout is None or r.layout.category == "k12"


def _as_of(value: datetime.date | str | None) -> datetime.date:
    """The day a correction is made (``compare``'s ``as_of``): a date, "YYYY-MM-DD", or today."""
    if value is None or value == "":
        return datetime.date.today()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise LayoutError(f"日期“{value}”不对：请写成 2026-09-01 这样的年-月-日") from None


def _entry_months(o: _Roster, n: _Roster, a: np.ndarray, b: np.ndarray, fields: list[str]) -> np.ndarray:
    """Year×12+month of each pair's entry (the first of ``fields`` the new, then the old record has: 入学年月
    202509, 2025-09, 入学日期 20250901); -1 where unknown."""
    out = np.full(len(a), -1, np.int64)
    for f in fields:
        for r, idx in ((n, b), (o, a)):
            if not r.has(f) or (out >= 0).all():
                continue
            digits = r.at(f, idx).astype("str").fillna("").str.replace(r"\D", "", regex=True).str[:6]
            ok = digits.str.fullmatch(r"(19[5-9]\d|20\d\d)(0[1-9]|1[0-2])").fillna(False).to_numpy(bool)
            value = np.where(ok, pd.to_numeric(digits.str[:4], errors="coerce").fillna(0).astype(np.int64) * 12, -1)
            value = np.where(
                ok, value + pd.to_numeric(digits.str[4:6], errors="coerce").fillna(0).astype(np.int64) - 1, -1
            )
            out = np.where(out < 0, value, out)
    return out


def _change_classes(
    o: _Roster, n: _Roster, co, cn, diff, flds, key, key_diff, differ, graduates: bool, as_of: datetime.date | None
):
    """Per differing candidate pair (``differ``): its class as 1 + index in CHANGE_CLASSES (the strictest of
    its changed fields: not_accepted for a graduate's refused field, evidence for a field that needs it, else
    ordinary), and ``{pair: "；sentence"}`` for those that are not ordinary. Fields by the ``field_classes``
    rule (``_field_rules``); graduates (only looked for among the few pairs with such a field) by
    ``graduates`` or a status field (``graduate.status_fields``) whose value, on either side, is one of
    ``graduate.words``."""
    rules = _field_rules(o.layout)
    sets = {k: {str(f).upper() for f in (rules.get(k) or {}).get("fields") or ()} for k in CHANGE_CLASSES[1:]}
    d, kd = diff[differ], key_diff[differ]

    def changed_in(fields: set) -> np.ndarray:
        mask = np.array([f in fields for f in flds], bool)
        return (d[:, mask].any(axis=1) if mask.any() else np.zeros(len(differ), bool)) | (kd & (key in fields))

    evidence, refused = changed_in(sets["evidence"]), changed_in(sets["not_accepted"])
    cls = np.where(evidence, 2, 1).astype(np.int8)
    texts: dict[int, str] = {}
    todo = np.flatnonzero(evidence | refused)
    if not len(todo):
        return cls, texts
    a, b = co[differ[todo]], cn[differ[todo]]
    grad = np.full(len(todo), bool(graduates))
    how = np.full(len(todo), "按毕业生名单对比" if graduates else "", object)
    g = rules.get("graduate") or {}
    words = {str(w).strip() for w in g.get("words") or ()}
    for f in g.get("status_fields") or ():
        f = str(f).upper()
        for r, idx in ((o, a), (n, b)):
            if not r.has(f) or grad.all():
                continue
            v = r.at(f, idx).to_numpy(dtype=object)
            hit = ~grad & np.isin(v, list(words))
            title = r.fname(f) if r.fname(f) != f else str((g.get("names") or {}).get(f, f))
            how[hit] = [f"{title}为“{x}”" for x in v[hit]]
            grad |= hit

    lc = rules.get("late_correction") or {}
    entry = _entry_months(o, n, a, b, [str(f).upper() for f in lc.get("entry_fields") or ()])
    today = as_of or datetime.date.today()
    late = (entry >= 0) & (today.year * 12 + today.month - 1 - entry > int(lc.get("months") or 6))
    late_sentence = str(lc.get("sentence") or "入学已超过一个学期（{entry}）：逾期更正须提交书面报告")

    def names(row: int, fields: set) -> str:  # the changed fields of one pair that are in ``fields``
        got = ([key] if kd[row] and key in fields else []) + [
            f for f, x in zip(flds, d[row]) if x and f in fields and f != key
        ]
        return "、".join(o.fname(f) for f in dict.fromkeys(got))

    for k, p in enumerate(differ[todo].tolist()):
        row = todo[k]
        if grad[k] and refused[row]:
            cls[row] = 3
            sentence = str((rules.get("not_accepted") or {}).get("sentence") or "毕业生的{fields}变更不予接受")
            texts[p] = "；" + sentence.format(fields=names(row, sets["not_accepted"]), graduate=how[k])
        elif evidence[row]:
            sentence = str((rules.get("evidence") or {}).get("sentence") or "{fields}变更须提交证明材料")
            texts[p] = "；" + sentence.format(fields=names(row, sets["evidence"]), graduate="")
            if late[k]:
                texts[p] += "；" + late_sentence.format(entry=_month_text(entry[k]))
    return cls, texts


def _month_text(months: int) -> str:
    return f"{months // 12} 年 {months % 12 + 1} 月入学"


def _how_texts(o: _Roster, n: _Roster, ka: np.ndarray, kb: np.ndarray, how: np.ndarray, levels, key: str) -> np.ndarray:
    """How pairs found by a fallback were found (``ka``, ``kb``: their keys; ``how``: 1-based into ``levels``):
    旧名单中没有学籍号，按姓名+性别+出生日期对应 — an object array, one text per pair."""
    kz = KEY_ZH.get(key, key)
    na, nb = pd.isna(ka), pd.isna(kb)
    leads = np.array(
        [
            f"两份名单都没有{kz}",
            f"{_title(o.name, 'old')}中没有{kz}",
            f"{_title(n.name, 'new')}中没有{kz}",
            f"{kz}不同",
        ],
        object,
    )
    lead = leads[np.where(na & nb, 0, np.where(na, 1, np.where(nb, 2, 3)))]
    found = np.array([f"，按{KEY_ZH.get(lv, lv)}对应" for lv in levels], object)
    return lead + found[np.asarray(how, np.int64) - 1]


def _pair_texts(o, n, co, cn, diff, flds, key, key_diff, school, klass, rows, unmask, kinds) -> list[str]:
    """The sentence for each candidate pair in ``rows`` (in that order): the move (school/class) first, then
    every other changed field with both values (personal values masked). Built a field at a time by Arrow
    (``_Roster.shown``, ``where_array``) and joined per pair by ``_group_join``; the plain path, pair by pair:
    ``move + (("；其他变化：" if move else "信息变化：") + "；".join(changes) if changes else "")``, ``move`` =
    ``f"{'转学' if to_school else '调班或年级变化'}：{where old} → {where new}"`` ("" when not moved), each change
    ``f"{name}：{x} → {y}{' （内容不同，已遮盖）' if x == y else ''}".replace(" （", "（")``."""
    if not len(rows):
        return []
    moves = np.full(len(rows), "", object)
    mv = np.flatnonzero(school[rows] | klass[rows])
    if len(mv):  # where the moved pupils were and are: only theirs is read
        lead = pa.array(np.where(school[rows[mv]], "转学：", "调班或年级变化："), pa.large_string())
        wo, wn = o.where_array(co[rows[mv]]), n.where_array(cn[rows[mv]])
        moves[mv] = pc.binary_join_element_wise(lead, wo, _ARROW, wn, _NOTHING).to_numpy(zero_copy_only=False)
    at, said = [], []  # per changed field: the pairs (indices into rows) and what is said of each

    def add(code, sel):  # sel: indices into rows
        a, b = o.shown(code, co[rows[sel]], unmask), n.shown(code, cn[rows[sel]], unmask)
        masked = pc.if_else(pc.equal(a, b), _SAME_SHOWN, _NOTHING)
        text = pc.binary_join_element_wise(_lit(f"{o.fname(code)}："), a, _ARROW, b, masked, _NOTHING)
        at.append(sel), said.append(pc.replace_substring(text, " （", "（"))

    if key_diff[rows].any():
        add(key, np.flatnonzero(key_diff[rows]))
    col = {f: j for j, f in enumerate(flds)}
    for f in flds:
        if f not in kinds["school_fields"] + kinds["move_fields"]:
            sel = np.flatnonzero(diff[rows, col[f]])
            if len(sel):
                add(f, sel)
    detail = np.full(len(rows), "", object)
    if at:  # each pair's changes in field order: a stable sort by pair
        k = np.concatenate(at)
        order = np.argsort(k, kind="stable")
        texts = pa.concat_arrays(said).take(pa.array(order))
        detail[:] = _group_join(k[order], texts, len(rows), "；")
    told = detail != ""
    lead = np.where(moves != "", "；其他变化：", "信息变化：").astype(object)
    out = moves.copy()
    out[told] = moves[told] + lead[told] + detail[told]
    return out.tolist()


_ARROW = _lit(" → ")
_NOTHING = _lit("")
_SAME_SHOWN = _lit(" （内容不同，已遮盖）")


def _dup_reasons(o, n, m: _Match, key, o_status, n_status, o_reason, n_reason, o_cp, n_cp, recs, unmask):
    """duplicate_key records name every copy (row, school, class), the other side's record and the change
    records about the student; the single record facing copies on the other side says so. ``o_reason`` /
    ``n_reason``: {position: sentence}, set here; ``recs``: the change records (``_ChangeRecs``) or None."""
    kz = KEY_ZH.get(key, key)
    for r, other, status, reason, cp, rs, dkind, fid, side in (
        (o, n, o_status, o_reason, o_cp, "o", m.o_dup_kind, m.fid_o, "old"),
        (n, o, n_status, n_reason, n_cp, "n", m.n_dup_kind, m.fid_n, "new"),
    ):
        idx = np.flatnonzero(status == _STATUS_CODE["duplicate_key"])
        if not len(idx):
            continue
        title = _title(r.name, side)
        other_title = _title(other.name, "new" if side == "old" else "old")
        ident = np.where(
            dkind[idx] == 1,
            r.key_at(key, idx).to_numpy(dtype=object),
            np.array([fid.get(int(i)) for i in idx], dtype=object),
        )
        groups = pd.Series(idx).groupby(pd.Series(ident, dtype=object), sort=False).agg(list)
        kind = None if unmask else ("id" if key in ID_FIELDS else r.personal(key))
        where_all = dict(zip(idx.tolist(), r.where(idx)))
        school_all = dict(zip(idx.tolist(), (a or b for a, b in zip(r.at("XXBSM", idx), r.at("XXMC", idx)))))
        for ident_value, members in groups.items():
            schools = {school_all[i] for i in members}
            listing = r.rows_text(members, [where_all[i] for i in members])
            if dkind[members[0]] == 1:
                shown = mask_value(kind, ident_value) if kind else ident_value
                head = f"{kz} {shown} 在{title}中出现 {len(members)} 次：{listing}"
            else:
                what = "身份证件号" if str(ident_value).startswith("ID:") else "姓名+性别+出生日期"
                head = f"没有{kz}，{what}相同的记录在{title}中有 {len(members)} 条：{listing}"
            head += (
                f"；同一学生同时在 {len(schools)} 所学校有学籍（重复学籍），须核实后注销多余的学籍"
                if len(schools) > 1
                else "；同一学生重复录入，须删除多余的记录"
            )
            counterpart = sorted({int(cp[i]) for i in members if cp[i] >= 0})
            if counterpart:
                head += f"；{other_title}中是{other.rows_text(counterpart)}"
            rec = list(dict.fromkeys(c for i in members for c in recs.about(rs, int(i)))) if recs else []
            if rec:
                types = {recs.kind[c] for c in rec}
                head += "；异动名单" + "；".join(recs.text[c] for c in rec)
                if len(schools) > 1 and "转入" in types and "转出" not in types:
                    head += "，没有原学校的转出记录"
            elif len(schools) > 1:
                head += "；异动名单中没有相关的转出、转入记录"
            reason.update(dict.fromkeys((int(i) for i in members), head))
    # the single record whose key has several copies on the other side
    for _r, other, reason, link, cp, side in (
        (o, n, o_reason, m.n_link, o_cp, "old"),
        (n, o, n_reason, m.o_link, n_cp, "new"),
    ):
        has = np.flatnonzero(link >= 0)
        if not len(has):
            continue
        other_title = _title(other.name, "new" if side == "old" else "old")
        for s, members in pd.Series(has).groupby(link[has]).agg(list).items():
            s = int(s)
            note = (
                f"{other_title}中同一{kz}有 {len(members)} 条记录（{other.rows_text(members)}，重复）；"
                f"本条与{other.rows_text([cp[s]])}比较"
            )
            reason[s] = f"{note}：{reason[s]}" if reason.get(s) else f"{note}，信息无变化"


def _masked_key(r: _Roster, key: str, unmask: bool) -> pd.Series:
    """A list's key column as its result frame shows it (masked unless ``unmask``)."""
    return _mask_keys(r.key(key), "id" if key in ID_FIELDS else r.personal(key), unmask)


def _frame(
    side: str, r: _Roster, masked_key: pd.Series, status, expl, typ, reason, cp, how, levels, fields, classes
) -> pd.DataFrame:
    """One side's result frame (RESULT_COLUMNS) from its per-record arrays, its key column as shown
    (``_masked_key``) and its text columns (``typ``, ``reason``, ``fields``: {position: text} for the few records
    that have one)."""
    columns = {
        "side": _coded_text(np.ones(r.n, np.int8), ["", side]),
        "row": np.arange(1, r.n + 1, dtype=np.int64),
        "key": masked_key,
        "status": _categorical_text(status, _WORKING_STATUSES),
        "explained": pd.arrays.BooleanArray(expl == 1, expl < 0),
        "change_type": _texts_column(r.n, typ, None),
        "reasons": _texts_column(r.n, reason, ""),
        "counterpart_row": pd.arrays.IntegerArray(cp + 1, cp < 0),  # -1 (none) → 0 under the mask
        "matched_by": _categorical_text(how, ["", *levels]),
        "changed_fields": _texts_column(r.n, fields, ""),
        "change_class": _categorical_text(classes, ["", *CHANGE_CLASSES]),
        **{c: r.col(c) for c in CONTEXT},  # the list's own columns, not copied
    }
    return pd.DataFrame({c: columns[c] for c in RESULT_COLUMNS}, copy=False)  # every column is new: no copy


def _texts_column(n: int, texts: dict[int, str], fill: str | None) -> pd.Series:
    """A result column of ``n`` rows from {position: text}: ``fill`` (or missing) where there is none."""
    return _sparse_at(n, np.fromiter(texts.keys(), np.int64, len(texts)), list(texts.values()), fill)


# ------------------------------------------------------------------------------------------- change list


def _changes(
    o: _Roster,
    n: _Roster,
    key: str,
    changes: ListSource,
    changes_layout: str | Layout | None,
    paired: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Match each change record to the students it is about (every record of either roster with that
    identity): by the key, else the ID, else 姓名+性别+出生日期. Returns the change records about each roster
    record (``recs``, a ``_ChangeRecs``: row, 异动类别, sentence), and per change record the roster records it
    matched (``fc``, ``fs``, ``fi``, ``fh``: change row, side "o"/"n", roster position, level). ``paired``: the
    records paired by the key, when known (per old record its counterpart and whether they were paired by the
    key, per new record whether it was): the new list's records found by the key are then read off the old
    list's (``_join_few_paired``)."""
    c = _Roster(changes, _load(changes_layout), "changes")
    if not c.has("YDLB"):
        raise LayoutError("异动名单缺少异动类别（YDLB）字段，无法用来解释名单的变化")
    every = np.arange(c.n)
    raw_type = c.at("YDLB", every)
    ydlb = c.lfield("YDLB")  # the change list's own 异动类别 table (xjyd_k12, or xjyd_gx for hei_changes)
    ctype = load_code_table(ydlb.codes if ydlb is not None and ydlb.codes else "xjyd_k12").to_label(raw_type)
    ctype = ctype.fillna(raw_type)
    # the key, the other identifiers the change list shares with a roster (学籍号, 学号, 考生号), the ID, and
    # 姓名+性别+出生日期
    shared = [f for f in CHANGE_KEYS if c.has(f) and (o.has(f) or n.has(f))]
    levels = [
        lv
        for lv in dict.fromkeys([key, *shared, ID_FIELDS[0], NAME_SEX_BIRTH])
        if lv == NAME_SEX_BIRTH or (c.id_field() is not None if lv in ID_FIELDS else c.has(lv))
    ]
    found_c, found_side, found_i, found_how = [], [], [], []
    free = np.ones(c.n, bool)
    for level in levels:
        todo = np.flatnonzero(free)
        if not len(todo):  # every change record found
            break
        ci, ck = _keyed(todo, c.key_at(level, todo))
        if not len(ci):
            continue
        # every record with its key as it is (no filtered copy): a missing key joins nothing; the few change
        # records looked up among them here (a hash set of their keys), not by a join of every key — the two
        # lists at once (the look-up is Arrow's, outside the GIL)
        keys = {side: text_array(r.key(level)) for side, r in (("o", o), ("n", n))}
        if level == key and paired is not None:
            got = _join_few_paired(ci, ck, keys["o"], keys["n"], *paired)
        else:
            with ThreadPoolExecutor(1) as pool:
                new_side = pool.submit(_join_few_filtered, ci, ck, keys["n"])
                got = {"o": _join_few_filtered(ci, ck, keys["o"]), "n": new_side.result()}
        for side in ("o", "n"):
            a, b = got[side]
            found_c.append(a), found_side.append(np.full(len(a), side, "<U1"))
            found_i.append(b), found_how.append(np.full(len(a), level, "<U12"))
            free[a] = False
    fc = np.concatenate(found_c) if found_c else np.zeros(0, np.int64)
    fs = np.concatenate(found_side) if found_side else np.zeros(0, "<U1")
    fi = np.concatenate(found_i) if found_i else np.zeros(0, np.int64)
    fh = np.concatenate(found_how) if found_how else np.zeros(0, "<U12")
    # one sentence per change record that found a student: 第 3 行：转出（20251202，示范县青松小学，对方学校 …）
    used = np.unique(fc)
    school_code = "XXMC" if c.has("XXMC") or not c.has("YXMC") else "YXMC"
    date, school, other, why = (text_array(c.at(x, used)) for x in ("YDRQ", school_code, "DFXX", "YDYY"))
    kind = ctype.to_numpy(dtype=object)
    text = np.full(c.n, None, object)
    if len(used):
        bits = _joined_parts(date, school, other, why)
        text[used] = pc.binary_join_element_wise(
            pa.array(c.row_texts(used), pa.large_string()),
            _lit("："),
            pa.array(kind[used], pa.large_string()),
            pc.if_else(
                pc.equal(bits, ""), _NOTHING, pc.binary_join_element_wise(_lit("（"), bits, _lit("）"), _NOTHING)
            ),
            _NOTHING,
        ).to_numpy(zero_copy_only=False)
    # per side the records the change records are about, each record's change records in (date, row) order
    # (the dates' dense rank: ``np.unique(date, return_inverse=True)[1]``, by Arrow)
    rank = np.zeros(c.n, np.int64)
    if len(used):
        rank[used] = pc.rank(date, sort_keys="ascending", tiebreaker="dense").to_numpy().astype(np.int64) - 1
    pos, row = {}, {}
    for side in ("o", "n"):
        mine = fs == side
        order = np.lexsort((fc[mine], rank[fc[mine]], fi[mine]))
        pos[side], row[side] = fi[mine][order], fc[mine][order]
    recs = _ChangeRecs(c.n, pos, row, kind, text)
    return {"roster": c, "types": ctype, "fc": fc, "fs": fs, "fi": fi, "fh": fh, "recs": recs, "levels": levels}


def _joined_parts(date: pa.Array, school: pa.Array, other: pa.Array, why: pa.Array) -> pa.Array:
    """What a change record's sentence says in brackets, the parts it has (large_string arrays, "" = missing)
    joined by "，" (``roster._join_given``): 20251202，示范县青松小学，对方学校 …，原因 …"""

    def labelled(label: str, part: pa.Array) -> pa.Array:
        return pc.if_else(pc.equal(part, ""), _NOTHING, pc.binary_join_element_wise(_lit(label), part, _NOTHING))

    return _join_given([date, school, labelled("对方学校 ", other), labelled("原因 ", why)], "，")


def _changes_frame(
    ch: dict, o: _Roster, n: _Roster, key, explains: np.ndarray, o_status, n_status, unmask
) -> pd.DataFrame:
    """One row per change record: what it was matched to and whether it explains a difference (``explains``:
    per change record)."""
    c: _Roster = ch["roster"]
    fc, fs, fi, fh = ch["fc"], ch["fs"], ch["fi"], ch["fh"]
    how = np.full(c.n, "", "<U12")
    how[fc] = fh  # a change record is found at one level (by all the records that have its identity there)
    ot, nt = _title(o.name, "old"), _title(n.name, "new")
    words = np.array([STATUS_ZH.get(s, "") for s in _WORKING_STATUSES], object)
    rows_of, where, dup = [], [], np.zeros(c.n, bool)
    for side, r, title, st in (("o", o, ot, o_status), ("n", n, nt, n_status)):
        # the first (lowest) record per change record: its roster row, as a sentence names it
        first = np.full(c.n, np.iinfo(np.int64).max)
        np.minimum.at(first, fc[fs == side], fi[fs == side])
        rows_ = np.where(first < np.iinfo(np.int64).max, first, -1)
        has = np.flatnonzero(rows_ >= 0)
        said = np.full(c.n, "", object)
        said[has] = [f"{title}{name}（{w}）" for name, w in zip(r.row_texts(rows_[has]), words[st[rows_[has]]])]
        dup[has] |= st[rows_[has]] == _STATUS_CODE["duplicate_key"]
        rows_of.append(rows_), where.append(said)
    old_row, new_row = rows_of
    status = np.where(explains, "explains", np.where((old_row >= 0) | (new_row >= 0), "no_difference", "not_found"))
    # the sentence: 按学籍号对应到旧名单第 3 行（减少），说明了这一变化
    levels_seen, level = np.unique(how, return_inverse=True)
    lead = np.array([f"按{KEY_ZH.get(str(h), str(h))}对应到" for h in levels_seen.tolist()], object)
    found = lead[np.asarray(level).reshape(-1)] + np.where(
        (where[0] != "") & (where[1] != ""), where[0] + "，" + where[1], where[0] + where[1]
    )
    tried = "、".join(KEY_ZH.get(lv, lv) for lv in ch.get("levels") or (key, ID_FIELDS[0], NAME_SEX_BIRTH))
    reasons = np.select(
        [status == "explains", (status == "no_difference") & dup, status == "no_difference"],
        [
            found + "，说明了这一变化",
            found + "：这名学生在名单中重复，见该记录的说明",
            found + "，但名单中没有与之相应的变化：请核实",
        ],
        np.array(f"两份名单中都找不到这名学生（{tried}都对不上）", object),
    )
    kind = None if unmask else ("id" if key in ID_FIELDS else c.personal(key))
    out = pd.DataFrame(
        {
            "row": np.arange(1, c.n + 1, dtype=np.int64),
            "key": _mask_keys(c.key(key), kind, unmask),
            "change_type": ch["types"].astype(STR),
            "status": _categorical_text(status, CHANGE_STATUSES),
            "old_row": pd.arrays.IntegerArray(np.where(old_row >= 0, old_row + 1, 0), old_row < 0),
            "new_row": pd.arrays.IntegerArray(np.where(new_row >= 0, new_row + 1, 0), new_row < 0),
            "matched_by": _categorical_text(how, list(dict.fromkeys([key, ID_FIELDS[0], NAME_SEX_BIRTH]))),
            "reasons": pd.Series(pd.array(reasons, dtype=STR)),
            "XXMC": c.col("XXMC"),
            "XM": c.col("XM"),
        }
    )
    return out
