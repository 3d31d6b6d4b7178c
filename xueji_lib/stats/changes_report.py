"""异动报表：the term's 学籍异动 counted by 异动类别 × 学校 × month, and the term balance per school —
期初 + 转入 + 新增 − 转出 − 减少 = 期末 — from two term rosters and the change list, with every part of the
change in numbers that the change list does not explain listed record by record.

    >>> import xueji_lib as xj
    >>> from xueji_lib.stats.changes_report import changes_report
    >>> rep = changes_report("data_samples/k12/学生名单_2025秋.xlsx", "data_samples/k12/学生名单_2026春.xlsx",
    ...                      "data_samples/k12/学籍异动_2026春.xlsx")
    >>> rep.balanced
    True
    >>> [int(v) for v in rep.table("学期平衡（按学校）").iloc[-1][["期初", "转入", "新增", "转出", "减少", "期末"]]]
    [1442, 3, 3, 3, 8, 1437]

How the records are counted (``matching.compare`` pairs the records of the two terms): a record in both terms
at the same school stays; at another school it is 转出 at the old school and 转入 at the new one. A record only
in the old term is 转出 when the change list says 转出, else 减少 (退学, 死亡, 休学 …, or 疑似流失 when the
change list says nothing); a record only in the new term is 转入 when the change list says 转入, else 新增
(复学, 招生, 借读 …, or 来源不明). A duplicate 学籍号 or a record without one has no counterpart: 新增/减少,
listed. Every record of both terms is in exactly one of these, so the balance holds per school; the parts not
explained by the change list are the 未说明 column, listed in 平衡差异明细 (疑似流失 first).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.normalize import as_text, date_text
from ..core.result import TOTAL, ChartSpec, Column, OutputFiles, Result, ResultList
from ..core.rows import shown_rows
from ..engine.engines import Engine, engine_for, register_list
from ..io.source import ListSource
from ..schema.codes import load_code_table
from .statistics import UNFILLED, _table_labels, save_tables, table_by_title

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from ..matching.compare_result import CompareResult

__all__ = ["ChangesReport", "changes_report", "change_counts", "BALANCE_COLUMNS"]

IN, NEW, OUT, LESS = "转入", "新增", "转出", "减少"
BALANCE_COLUMNS = ["学校", "期初", IN, NEW, OUT, LESS, "期末", "平衡", "名单增减", "异动名单已说明", "未说明"]
NO_DATE = "日期未填或无效"
_WHY = {
    ("old", "removed"): "疑似流失（无异动记录）",
    ("new", "added"): "来源不明（无异动记录）",
    ("old", "moved"): "转出未登记异动",
    ("new", "moved"): "转入未登记异动",
    ("old", "duplicate_key"): "重复学籍",
    ("new", "duplicate_key"): "重复学籍",
    ("old", "missing_key"): "无法对应（缺学籍号）",
    ("new", "missing_key"): "无法对应（缺学籍号）",
}


def _month(u) -> str:
    t = date_text(pd.Series([u], dtype=object)).iloc[0] if u is not None else None
    return f"{t[:4]}年{t[4:6]}月" if isinstance(t, str) and len(t) == 8 else NO_DATE


def change_counts(
    changes: pd.DataFrame | ListSource | str | os.PathLike,
    *,
    code_table: str | None = None,
    engine: str | Engine | SparkSession | None = None,
) -> dict[str, pd.DataFrame]:
    """The change list counted in the engine: {"异动按学校和类别", "异动按月份和类别", "异动按学校、月份和类别"},
    each a row per 学校 / 月份 / (学校, 月份), a column per 异动类别 (code-table order) and 合计, a last 合计
    row. ``code_table``: xjyd_k12 (default when the list has 学籍号 XJH or 学校名称 XXMC) or xjyd_gx.

    >>> t = change_counts("data_samples/k12/学籍异动_2026春.xlsx")["异动按学校和类别"]     # doctest: +SKIP
    >>> int(t.iloc[-1]["合计"])                                                          # doctest: +SKIP
    11
    """
    src = ListSource.of(_read(changes, "k12_changes"))
    fields = {"XXMC": ("XXMC", "XXBSM", "YXMC", "FY"), "YDLB": ("YDLB", "YDLBM", "YDLX"), "YDRQ": ("YDRQ",)}
    with engine_for(engine) as con:
        types = register_list(con, "chg_list", src, fields)
        keys = [k for k in ("XXMC", "YDLB", "YDRQ") if k in types]
        sel = ", ".join(con.ident(k) for k in keys)
        g = con.sql(
            f"SELECT {sel + ', ' if sel else ''}count(*) AS w FROM chg_list"
            + (f" GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}" if keys else "")
        ).to_pandas()
    table = code_table or ("xjyd_k12" if {"XJH", "XXMC"} & {str(c).upper() for c in src.columns} else "xjyd_gx")
    n = len(g)
    kind = pd.Series(np.asarray(_table_labels(g["YDLB"] if "YDLB" in g else None, n, table), dtype=object))
    school = as_text(g["XXMC"]).str.strip().fillna("") if "XXMC" in g else pd.Series([""] * n)
    school = school.where(school != "", UNFILLED)
    month = pd.Series([_month(v) for v in g["YDRQ"]], dtype=object) if "YDRQ" in g else pd.Series([NO_DATE] * n)
    frame = pd.DataFrame(
        {"学校": school.to_numpy(), "月份": month.to_numpy(), "类别": kind.to_numpy(), "n": g["w"].to_numpy()}
    )
    order = [x for x in load_code_table(table).labels() if x in set(frame["类别"])]
    order += sorted(set(frame["类别"]) - set(order))
    out = {}
    for title, rows in (
        ("异动按学校和类别", ["学校"]),
        ("异动按月份和类别", ["月份"]),
        ("异动按学校、月份和类别", ["学校", "月份"]),
    ):
        p = frame.pivot_table(index=rows, columns="类别", values="n", aggfunc="sum", fill_value=0)
        p = p.reindex(columns=order, fill_value=0).sort_index()
        p[TOTAL] = p.sum(axis=1)
        p = p.reset_index()
        p.columns.name = None
        row = {c: "" for c in rows}
        row[rows[0]] = TOTAL
        for c in [*order, TOTAL]:
            row[c] = int(p[c].sum())
        p = pd.concat([p, pd.DataFrame([row])], ignore_index=True)
        for c in rows:
            p[c] = p[c].astype(str).astype("str")
        for c in [*order, TOTAL]:
            p[c] = p[c].astype(np.int64)
        out[title] = p
    return out


@dataclass(frozen=True)
class ChangesReport(Result):
    """The 异动报表: ``tables`` — 学期平衡（按学校） (``BALANCE_COLUMNS``; last row 合计), the change list by
    学校/月份 × 异动类别 (when a change list was given) —, ``gaps`` (平衡差异明细: one row per record whose
    change the change list does not explain, and per change record without a matching difference),
    ``compare_result`` (the pairing it was built on), ``old_name``/``new_name``.

    ``balanced``: 期初 + 转入 + 新增 − 转出 − 减少 = 期末 for every school and in total.

        >>> r = xj.changes_report("data_samples/k12/学生名单_2025秋.xlsx", "data_samples/k12/学生名单_2026春.xlsx",
        ...                       "data_samples/k12/学籍异动_2026春.xlsx")
        >>> total = r.tables["学期平衡（按学校）"].iloc[-1]
        >>> r.balanced, [int(total[c]) for c in ("期初", "转入", "新增", "转出", "减少", "期末")]
        (True, [1442, 3, 3, 3, 8, 1437])
    """

    tables: dict[str, pd.DataFrame]
    gaps: pd.DataFrame
    compare_result: CompareResult = field(repr=False, compare=False)
    old_name: str = "上期"
    new_name: str = "本期"
    notes: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """One table by its title."""
        return table_by_title(self.tables, name)

    @property
    def balance(self) -> pd.DataFrame:
        return self.tables["学期平衡（按学校）"]

    @property
    def balanced(self) -> bool:
        return bool((self.balance["平衡"] == "是").all())

    @property
    def counts(self) -> dict:
        last = self.balance.iloc[-1]
        return {k: int(last[k]) for k in ("期初", IN, NEW, OUT, LESS, "期末", "异动名单已说明", "未说明")} | {
            "gaps": len(self.gaps)
        }

    @property
    def conserved(self) -> bool:
        return self.balanced

    def summary(self) -> str:
        c = self.counts
        lines = [
            f"异动报表：{self.old_name} → {self.new_name}",
            f"期初 {c['期初']} + 转入 {c[IN]} + 新增 {c[NEW]} − 转出 {c[OUT]} − 减少 {c[LESS]} = 期末 {c['期末']}"
            + ("（各校都平衡）" if self.balanced else "（有学校不平衡，见学期平衡表）"),
            f"名单增减 {c['期末'] - c['期初']:+d} 人：异动名单已说明 {c['异动名单已说明']:+d}，未说明 {c['未说明']:+d}"
            f"（平衡差异明细 {c['gaps']} 行）",
        ]
        if "异动按学校和类别" in self.tables:
            t = self.tables["异动按学校和类别"].iloc[-1]
            parts = [f"{k} {int(v)}" for k, v in t.items() if k not in ("学校", TOTAL) and int(v)]
            lines.append(f"异动名单 {int(t[TOTAL])} 条：" + "、".join(parts))
        lines += [f"说明：{n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "old_name": self.old_name,
            "new_name": self.new_name,
            "counts": self.counts,
            "balanced": self.balanced,
            "params": dict(self.params),
            "notes": list(self.notes),
            "tables": {k: json.loads(t.to_json(orient="records", force_ascii=False)) for k, t in self.tables.items()},
            "gaps": json.loads(self.gaps.to_json(orient="records", force_ascii=False)),
        }

    def summary_frame(self) -> pd.DataFrame:
        c = self.counts
        rows = [
            ("期初", c["期初"], f"{self.old_name}名单记录数"),
            (IN, c[IN], "从外校转来（异动名单的转入，或在两期名单中学校不同）"),
            (NEW, c[NEW], "复学、招生、借读等，以及来源不明、重复学籍"),
            (OUT, c[OUT], "转到外校（异动名单的转出，或在两期名单中学校不同）"),
            (LESS, c[LESS], "退学、死亡、休学等，以及疑似流失、重复学籍"),
            ("期末", c["期末"], f"{self.new_name}名单记录数 = 期初 + 转入 + 新增 − 转出 − 减少"),
            ("未说明", c["未说明"], "异动名单没有说明的增减（见平衡差异明细）"),
        ]
        return pd.DataFrame(rows, columns=["项目", "数值", "说明"])

    def lists(self) -> list[ResultList]:
        out = [
            ResultList(title, t, tuple(Column(c, c, personal="") for c in t.columns), unit="行")
            for title, t in self.tables.items()
        ]
        out.insert(
            1,
            ResultList(
                "平衡差异明细",
                self.gaps,
                tuple(
                    Column(c, c, personal="id" if c == "学籍号" else "", kind="sentence" if c == "说明" else "text")
                    for c in self.gaps.columns
                ),
            ),
        )
        return out

    def save(self, folder: str | os.PathLike) -> OutputFiles:
        """异动报表.xlsx and summary.json."""
        return save_tables(self, folder, "异动报表", "异动报表")

    def chart_spec(self) -> ChartSpec | None:
        t = self.balance.iloc[:-1]
        return ChartSpec(
            "各校学期增减",
            t["学校"].astype("str").tolist(),
            {k: t[k].astype(int).tolist() for k in (IN, NEW, OUT, LESS)},
            category_title="学校",
            value_title="人数",
            legend="",
        )


def _school(frame: pd.DataFrame) -> pd.Series:
    name = as_text(frame["XXMC"]).str.strip() if "XXMC" in frame else pd.Series([None] * len(frame), dtype=object)
    code = as_text(frame["XXBSM"]).str.strip() if "XXBSM" in frame else pd.Series([None] * len(frame), dtype=object)
    name = name.where(name.notna() & (name != ""), code)
    return name.where(name.notna() & (name != ""), UNFILLED).astype(object).astype(str)


def _classify(res: CompareResult) -> pd.DataFrame:
    """One row per record of both terms: side, row, school, move (stay/转入/新增/转出/减少), explained, why."""
    o, n = res.old.reset_index(drop=True), res.new.reset_index(drop=True)
    o_school, n_school = _school(o), _school(n)
    o_cp = o["counterpart_row"].astype("Int64")
    n_cp = n["counterpart_row"].astype("Int64")
    n_by_row = pd.Series(np.arange(len(n)), index=n["row"].to_numpy())
    o_by_row = pd.Series(np.arange(len(o)), index=o["row"].to_numpy())
    # mutual pairs: the old record's counterpart points back at it
    o_pos = o_cp.map(n_by_row)
    o_pair = o_pos.notna() & (n_cp.reindex(o_pos.fillna(-1).astype(int)).to_numpy() == o["row"].to_numpy())
    o_pair = pd.Series(o_pair, dtype="boolean").fillna(False).to_numpy(dtype=bool)
    n_pos = n_cp.map(o_by_row)
    n_pair = n_pos.notna() & (o_cp.reindex(n_pos.fillna(-1).astype(int)).to_numpy() == n["row"].to_numpy())
    n_pair = pd.Series(n_pair, dtype="boolean").fillna(False).to_numpy(dtype=bool)
    o_other = np.where(o_pair, n_school.reindex(o_pos.fillna(-1).astype(int)).to_numpy(), None)
    n_other = np.where(n_pair, o_school.reindex(n_pos.fillna(-1).astype(int)).to_numpy(), None)
    o_expl = o["explained"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    n_expl = n["explained"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    o_type = o["change_type"].astype(object).fillna("").astype(str)
    n_type = n["change_type"].astype(object).fillna("").astype(str)
    o_move = np.where(
        o_pair,
        np.where(o_other == o_school.to_numpy(), "stay", OUT),
        np.where(o_type.str.contains(OUT).to_numpy(), OUT, LESS),
    )
    n_move = np.where(
        n_pair,
        np.where(n_other == n_school.to_numpy(), "stay", IN),
        np.where(n_type.str.contains(IN).to_numpy(), IN, NEW),
    )
    frames = []
    for side, f, school, move, expl, typ in (
        ("old", o, o_school, o_move, o_expl, o_type),
        ("new", n, n_school, n_move, n_expl, n_type),
    ):
        frames.append(
            pd.DataFrame(
                {
                    "side": side,
                    "row": f["row"].to_numpy(),
                    "status": f["status"].astype(str).to_numpy(),
                    "school": school.to_numpy(),
                    "move": move,
                    "explained": np.where(move == "stay", True, expl),
                    "type": typ.to_numpy(),
                    "key": f["key"].astype(object).to_numpy(),
                    "XM": f["XM"].astype(object).to_numpy() if "XM" in f else None,
                    "NJ": f["NJ"].astype(object).to_numpy() if "NJ" in f else None,
                    "BJ": f["BJ"].astype(object).to_numpy() if "BJ" in f else None,
                    "reasons": f["reasons"].astype(object).to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def changes_report(
    old: pd.DataFrame | ListSource | str | os.PathLike,
    new: pd.DataFrame | ListSource | str | os.PathLike,
    changes: pd.DataFrame | ListSource | str | os.PathLike | None = None,
    *,
    compare_result: CompareResult | None = None,
    key: str | None = None,
    old_name: str | None = None,
    new_name: str | None = None,
    engine: str | Engine | SparkSession | None = None,
) -> ChangesReport:
    """The 异动报表 of a term: ``old``/``new`` the two term rosters (k12_student), ``changes`` the term's 学籍异动
    list (k12_changes; may be None: then every difference is 未说明). ``compare_result``: a ``compare(old, new,
    changes=changes)`` already run is reused (else it is run here, with ``key``). Names default to the files'
    stems.

    >>> rep = changes_report(old, new, changes)            # doctest: +SKIP
    >>> rep.table("学期平衡（按学校）")                        # doctest: +SKIP
    """
    from ..matching.compare import compare

    def stem(x, default):
        return Path(x).stem if isinstance(x, str | os.PathLike) else default

    old_name = old_name or stem(old, "上期")
    new_name = new_name or stem(new, "本期")
    old, new = _read(old, "k12_student"), _read(new, "k12_student")
    changes = None if changes is None else _read(changes, "k12_changes")
    if compare_result is None:
        compare_result = compare(
            old, new, key=key, changes=changes, old_name=old_name, new_name=new_name, engine=engine
        )
    recs = _classify(compare_result)
    moving = recs[recs["move"] != "stay"]
    counts = moving.pivot_table(index="school", columns="move", values="row", aggfunc="count", fill_value=0)
    counts = counts.reindex(columns=[IN, NEW, OUT, LESS], fill_value=0)
    start = recs[recs["side"] == "old"].groupby("school").size()
    end = recs[recs["side"] == "new"].groupby("school").size()
    sign = np.where(moving["move"].isin([IN, NEW]), 1, -1)
    expl = (
        pd.Series(np.where(moving["explained"].astype(bool), sign, 0), index=moving.index)
        .groupby(moving["school"])
        .sum()
    )
    unexpl = (
        pd.Series(np.where(~moving["explained"].astype(bool), sign, 0), index=moving.index)
        .groupby(moving["school"])
        .sum()
    )
    schools = _school_order(compare_result, list(dict.fromkeys([*start.index, *end.index])))
    bal = pd.DataFrame({"学校": schools})
    bal["期初"] = bal["学校"].map(start).fillna(0).astype(np.int64)
    for c in (IN, NEW, OUT, LESS):
        bal[c] = bal["学校"].map(counts[c]).fillna(0).astype(np.int64)
    bal["期末"] = bal["学校"].map(end).fillna(0).astype(np.int64)
    bal["异动名单已说明"] = bal["学校"].map(expl).fillna(0).astype(np.int64)
    bal["未说明"] = bal["学校"].map(unexpl).fillna(0).astype(np.int64)
    row = {"学校": TOTAL, **{c: int(bal[c].sum()) for c in bal.columns[1:]}}
    bal = pd.concat([bal, pd.DataFrame([row])], ignore_index=True)
    ok = bal["期初"] + bal[IN] + bal[NEW] - bal[OUT] - bal[LESS] == bal["期末"]
    bal["平衡"] = np.where(ok, "是", "否")
    bal["名单增减"] = bal["期末"] - bal["期初"]
    bal = bal[BALANCE_COLUMNS]
    for c in BALANCE_COLUMNS:
        bal[c] = bal[c].astype("str") if c in ("学校", "平衡") else bal[c].astype(np.int64)
    gaps = _gaps(compare_result, moving)
    tables = {"学期平衡（按学校）": bal}
    notes = [
        "期初、期末为两期名单的记录数；两期都在、学校相同的学生不计入增减；学校不同的计为原校转出、新校转入",
        "未说明 = 异动名单没有说明的增减（疑似流失、来源不明、重复学籍、转学未登记），逐条列在平衡差异明细中",
    ]
    if compare_result.changes is not None:
        ch = compare_result.inputs.get("changes") if hasattr(compare_result, "inputs") else None
        if ch is None:
            ch = changes
        if ch is not None:
            tables.update(change_counts(ch, engine=engine))
    else:
        notes.append("没有给出异动名单：名单的每一处增减都计为未说明")
    return ChangesReport(
        tables=tables,
        gaps=gaps,
        compare_result=compare_result,
        old_name=old_name,
        new_name=new_name,
        notes=notes,
        params={k: v for k, v in (("key", key),) if v},
    )


def _read(data, layout: str):
    """A file path (not a converted folder) read as ``layout``; anything else as it is."""
    if isinstance(data, str | os.PathLike) and not Path(data).is_dir():
        from ..io.loading import load_list

        return load_list(data, layout).data
    return data


def _school_order(res: CompareResult, schools: list[str]) -> list[str]:
    """Schools in the order of their 学校标识码 (then by name)."""
    frames = [f for f in (res.old, res.new) if "XXBSM" in f]
    if not frames:
        return sorted(schools)
    both = pd.concat([pd.DataFrame({"s": _school(f), "c": as_text(f["XXBSM"]).fillna("")}) for f in frames])
    first = both.groupby("s")["c"].min()
    return sorted(schools, key=lambda s: (s == UNFILLED, str(first.get(s, "")), s))


def _gaps(res: CompareResult, moving: pd.DataFrame) -> pd.DataFrame:
    """平衡差异明细: the records whose 增减 the change list does not explain (疑似流失 first), then the change
    records with no matching difference."""
    un = moving[~moving["explained"].astype(bool)].copy()
    names = {"old": res.old_name, "new": res.new_name}
    inputs = getattr(res, "inputs", {}) or {}
    shown = pd.Series(index=un.index, dtype=object)
    for side in ("old", "new"):
        part = un["side"] == side
        if part.any():
            shown[part] = shown_rows(inputs.get(side), un.loc[part, "row"].to_numpy()).astype(str).to_numpy()
    why = [_WHY.get((s, st), "未说明") for s, st in zip(un["side"], un["status"])]
    grade = load_code_table("nj")
    out = pd.DataFrame(
        {
            "学校": un["school"].to_numpy(),
            "增减": un["move"].to_numpy(),
            "原因": why,
            "名单": [names[s] for s in un["side"]],
            "行号": shown.to_numpy(),
            "学籍号": un["key"].to_numpy(),
            "姓名": un["XM"].to_numpy(),
            "年级": [grade.labels_by_code().get(str(x), "" if x is None or pd.isna(x) else str(x)) for x in un["NJ"]],
            "班级": un["BJ"].to_numpy(),
            "说明": un["reasons"].to_numpy(),
        }
    )
    out["_o"] = [0 if w.startswith("疑似流失") else 1 for w in out["原因"]]
    out = out.sort_values(["_o", "学校"], kind="stable").drop(columns="_o")
    if res.changes is not None:
        c = res.changes[res.changes["status"] != "explains"]
        if len(c):
            ch_rows = shown_rows(inputs.get("changes"), c["row"].to_numpy()).astype(str).to_numpy()
            extra = pd.DataFrame(
                {
                    "学校": _school(c).to_numpy() if "XXMC" in c else UNFILLED,
                    "增减": "",
                    "原因": "异动名单有记录，名单中无相应变化",
                    "名单": "异动名单",
                    "行号": ch_rows,
                    "学籍号": c["key"].astype(object).to_numpy(),
                    "姓名": c["XM"].astype(object).to_numpy() if "XM" in c else "",
                    "年级": "",
                    "班级": "",
                    "说明": (c["change_type"].astype(str) + "：" + c["reasons"].astype(str)).to_numpy(),
                }
            )
            out = pd.concat([out, extra], ignore_index=True)
    for col in out.columns:
        out[col] = out[col].astype(object).where(out[col].notna(), "").astype(str).astype("str")
    return out.reset_index(drop=True)
