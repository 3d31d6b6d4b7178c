"""The results of ``compare`` and ``handoff``: ``CompareResult`` and ``HandoffResult`` — their counts, summaries,
declared lists (疑似流失, 变动清单, 减少 …; 未找到的毕业生 …), summary sheets and saved files — and the helpers
that turn their columns into words. Computing nothing: the frames come from ``matching.compare`` and
``matching.handoff``, which this module does not import.

    >>> import pandas as pd
    >>> from xueji_lib.matching.compare_result import grade_words
    >>> grade_words(pd.Series(["11", "23", "预科"])).tolist()
    ['小学一年级', '初中三年级', '预科']
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from dataclasses import replace as dataclasses_replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.files import safe_file_name
from ..core.privacy import MASKERS, mask_id, mask_phone, personal_kind
from ..core.result import (
    TOTAL,
    ChartSpec,
    Column,
    OutputFiles,
    Result,
    ResultList,
    count_rows,
    every_record_list,
    sides_frame,
    summary_sheet,
    words,
)
from ..core.rows import row_meaning
from ..io.lists import (
    count_of,
    list_sheet,
    source_names,
    write_json,
    write_lists_workbook,
    write_results_csv,
    write_workbook,
)
from ..schema.codes import load_code_table
from ..schema.layouts import Layout
from .roster import (
    CHANGE_CLASS_ZH,
    CHANGE_CLASSES,
    CHANGE_STATUSES,
    CONTEXT,
    GRADUATE_STATUSES,
    ID_FIELDS,
    INTAKE_STATUSES,
    KEY_ZH,
    NEW_STATUSES,
    OLD_STATUSES,
    STATUS_ZH,
    _load,
)

__all__ = ["CompareResult", "HandoffResult", "COMPARE_OUTPUT_NAMES", "RESULT_COLUMNS", "grade_words", "sentence_masker"]

COMPARE_OUTPUT_NAMES = {
    "results": "results.csv",
    "summary": "summary.json",
    "workbook": "对比结果.xlsx",
    "by_school": "疑似流失_按学校",  # a folder: one workbook per school with 疑似流失 (the bureau sends each its own)
}
RESULT_COLUMNS = [
    "side",
    "row",
    "key",
    "status",
    "explained",
    "change_type",
    "reasons",
    "counterpart_row",
    "matched_by",
    "changed_fields",
    "change_class",
    *CONTEXT,
]


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class CompareResult(Result):
    """What ``compare`` found. ``old`` and ``new`` have one row per input record (RESULT_COLUMNS): side,
    row (1-based position in that input), key (masked), status, explained (removed/added/moved records:
    True/False; else NA), change_type (the 异动类别 that explains it), reasons (Chinese, personal values
    masked), counterpart_row (the other side's row), matched_by (the key field, or the fallback used),
    changed_fields (field codes that differ, comma-separated), and the context columns XXBSM, XXMC, NJ, BJ,
    XM. ``changes`` (when a change list was given) has one row per change record: row, key, change_type,
    status (``CHANGE_STATUSES``), old_row, new_row, matched_by, reasons.

    >>> old = xj.read_table("data_samples/k12/学生名单_2025秋.xlsx", "k12_student")
    >>> new = xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student")
    >>> changes = xj.read_table("data_samples/k12/学籍异动_2026春.xlsx", "k12_changes")
    >>> res = xj.compare(old, new, changes=changes, old_name="2025秋", new_name="2026春")
    >>> res.counts["old"]
    {'total': 1442, 'unchanged': 1427, 'changed': 3, 'moved': 2, 'removed': 10, 'duplicate_key': 0, 'missing_key': 0}
    >>> len(res.unexplained_removals())             # 疑似流失: removed with no change record
    5
    """

    old: pd.DataFrame
    new: pd.DataFrame
    key_used: str
    fallback_matches: int
    changes: pd.DataFrame | None = None
    old_name: str = "old"
    new_name: str = "new"
    fields: tuple[str, ...] = ()
    matched_by_counts: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    k12: bool = True  # K-12 rosters: a pupil gone without a record is followed up by 控辍保学
    # the lists compared ({"old", "new", "changes"}: frames or converted folders) and their layouts
    # ({"layout", "changes_layout"}), so that the result can list their records and save its files
    inputs: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def counts(self) -> dict:
        """Per side ("old", "new", and "changes" when given): total (records), then status → count, every status
        listed."""
        out = {
            "old": {"total": len(self.old), **_status_counts(self.old, OLD_STATUSES)},
            "new": {"total": len(self.new), **_status_counts(self.new, NEW_STATUSES)},
        }
        if self.changes is not None:
            out["changes"] = {"total": len(self.changes), **_status_counts(self.changes, CHANGE_STATUSES)}
        return out

    @property
    def conserved(self) -> bool:
        """Each side's statuses add up to its number of input records (and every status is a known one)."""
        c = self.counts
        return all(sum(v for k, v in c[s].items() if k != "total") == c[s]["total"] for s in c)

    def results(self) -> pd.DataFrame:
        """Both sides in one frame (old first): the command line's results.csv."""
        return pd.concat([self.old, self.new], ignore_index=True)

    def change_classes(self) -> dict[str, int]:
        """How many students' changes (each pair of records counted once, from the old list) are ordinary
        (一般变化), need evidence (须证明材料) or are not accepted (不予变更: a graduate's 姓名/性别/出生日期/身份证号)."""
        col = self.old["change_class"] if "change_class" in self.old else pd.Series(dtype="str")
        vc = col.value_counts()
        return {c: int(vc.get(c, 0)) for c in CHANGE_CLASSES}

    def unexplained_removals(self) -> pd.DataFrame:
        """疑似流失 (the 控辍保学 follow-up list): removed records no change record explains."""
        o = self.old
        sel = o[(o["status"] == "removed") & _is(o["explained"], False)]
        cols = ["XXBSM", "XXMC", "NJ", "BJ", "XM", "key", "row", "reasons"]
        return sel.sort_values(["XXBSM", "NJ", "BJ", "row"])[cols].reset_index(drop=True)

    def by_school(self) -> pd.DataFrame:
        """Counts per side, school (XXBSM, XXMC) and status, plus explained/unexplained removals and
        additions: one row per (side, school), for reports."""
        parts = []
        for side, frame, statuses in (("old", self.old, OLD_STATUSES), ("new", self.new, NEW_STATUSES)):
            f = frame[["XXBSM", "XXMC", "status", "explained"]].fillna({"XXBSM": "", "XXMC": ""})
            ct = pd.crosstab([f["XXBSM"], f["XXMC"]], f["status"]).reindex(columns=list(statuses), fill_value=0)
            moved_out = f["status"].isin(["removed", "added"])
            unexpl = (moved_out & _is(f["explained"], False)).groupby([f["XXBSM"], f["XXMC"]]).sum()
            ct["unexplained"] = unexpl.reindex(ct.index, fill_value=0).astype(int)
            ct.insert(0, "total", ct[list(statuses)].sum(axis=1))
            parts.append(ct.reset_index().assign(side=side))
        out = pd.concat(parts, ignore_index=True).fillna(0)
        statuses = list(dict.fromkeys(OLD_STATUSES + NEW_STATUSES))
        cols = ["side", "XXBSM", "XXMC", "total", *statuses, "unexplained"]
        for c in statuses:
            if c not in out:
                out[c] = 0
        out[statuses + ["total", "unexplained"]] = out[statuses + ["total", "unexplained"]].astype(int)
        return out[cols]

    def summary(self) -> str:
        c = self.counts
        on, nn = _title(self.old_name, "old"), _title(self.new_name, "new")
        how = KEY_ZH.get(self.key_used, self.key_used)
        lines = [f"名单对比：{on} → {nn}，按{how}（{self.key_used}）对应"]
        fb = {k: v for k, v in self.matched_by_counts.items() if k != self.key_used}
        if self.fallback_matches:
            lines.append(
                f"没有{how}或{how}对不上、按其他信息对应的 {self.fallback_matches} 对："
                + "，".join(f"按{KEY_ZH.get(k, k)} {v}" for k, v in fb.items() if v)
            )
        else:
            others = "姓名+性别+出生日期" if self.key_used in ID_FIELDS else "身份证件号、姓名+性别+出生日期"
            lines.append(f"全部按{how}对应，没有用到其他信息（{others}）")
        for side, title, statuses in (("old", "旧名单", OLD_STATUSES), ("new", "新名单", NEW_STATUSES)):
            parts = " + ".join(f"{STATUS_ZH[s]} {c[side][s]}" for s in statuses)
            name = self.old_name if side == "old" else self.new_name
            label = title if name in ("old", "new") else f"{title}（{name}）"
            lines.append(f"{label} {len(getattr(self, side))} 条 = {parts}")
        for side, status, what, none_text in (
            (
                "old",
                "removed",
                "减少",
                "没有异动记录 {n} 条（疑似流失，见对比结果中的“疑似流失”名单，"
                + ("控辍保学逐一核实）" if self.k12 else "逐一核实去向）"),
            ),
            ("new", "added", "新增", "没有异动记录 {n} 条（请核实来源）"),
        ):
            f = getattr(self, side)
            sel = f[f["status"] == status]
            if sel.empty:
                continue
            ex = sel[_is(sel["explained"], True)]
            by_type = ex["change_type"].value_counts()
            text = f"{what} {len(sel)} 条：有异动记录 {len(ex)} 条"
            if len(ex):
                text += "（" + "，".join(f"{t} {n}" for t, n in by_type.items()) + "）"
            if self.changes is None:
                text = f"{what} {len(sel)} 条：没有提供异动名单，无法核对原因，每一条都需要核实" + (
                    (f"（疑似流失 {len(sel)} 人，见控辍保学名单）" if self.k12 else f"（疑似流失 {len(sel)} 人）")
                    if status == "removed"
                    else "来源"
                )
            else:
                text += "；" + none_text.format(n=len(sel) - len(ex))
            lines.append(text)
        classes = self.change_classes()
        if sum(classes.values()):
            lines.append(
                f"信息变化、调动的 {sum(classes.values())} 人中："
                + "，".join(f"{CHANGE_CLASS_ZH[k]} {v}" for k, v in classes.items())
                + ("（毕业生的姓名、性别、出生日期、身份证号变更不予接受）" if classes["not_accepted"] else "")
            )
        moved = self.old[self.old["status"] == "moved"]
        if len(moved):
            school = moved["changed_fields"].str.contains(r"(?:^|,)(?:XXBSM|XXMC|YXDM|YXMC)(?:,|$)", regex=True)
            ex = _is(moved["explained"], True)
            lines.append(
                f"调动 {len(moved)} 人：转学 {int(school.sum())}（其中有转出、转入记录 "
                f"{int((school & ex).sum())}），同校调班或年级变化 {int((~school).sum())}"
            )
        for side in ("old", "new"):
            f = getattr(self, side)
            d = f[f["status"] == "duplicate_key"]
            if len(d):
                people = d["key"].nunique(dropna=False)
                lines.append(
                    f"重复：{_title(getattr(self, side + '_name'), side)}有 {len(d)} 条记录属于 {people} "
                    "名学生（同一学生出现多次，例如同时在两所学校有学籍）"
                )
        if self.changes is not None:
            cc = c["changes"]
            lines.append(
                f"异动名单 {len(self.changes)} 条 = " + " + ".join(f"{STATUS_ZH[s]} {cc[s]}" for s in CHANGE_STATUSES)
            )
        lines.append(
            "每条记录都有且只有一个结果（各项相加等于记录数）：" + ("是" if self.conserved else "否（请报告此问题）")
        )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        out = {
            "key_used": self.key_used,
            "fallback_matches": int(self.fallback_matches),
            "matched_by": {k: int(v) for k, v in self.matched_by_counts.items()},
            "fields": list(self.fields),
        }
        c = self.counts
        for side in ("old", "new"):
            f = getattr(self, side)
            ex = f["explained"]
            types = f.loc[_is(ex, True), "change_type"].value_counts()
            out[side] = {
                "name": getattr(self, side + "_name"),
                "total": len(f),
                **c[side],
                "explained": int(_is(ex, True).sum()),
                "unexplained": int(_is(ex, False).sum()),
                "explained_by_type": {str(k): int(v) for k, v in types.items()},
            }
        out["old"]["unexplained_removals"] = len(self.unexplained_removals())
        out["change_classes"] = self.change_classes()
        if self.params.get("graduates"):
            out["graduates"] = True
        if self.changes is not None:
            out["changes"] = {"total": len(self.changes), **c["changes"]}
        out["conserved"] = self.conserved
        return out

    # ------------------------------------------------------------------------------ what the result lists
    def summary_frame(self) -> pd.DataFrame:
        """名单 | 结果 | 记录数: each side's statuses (and the change list's) ending in 合计 = its record count."""
        d = self.to_dict()
        sides = [
            (_side_title("上期名单", self.old_name, "old"), d["old"], OLD_STATUSES),
            (_side_title("本期名单", self.new_name, "new"), d["new"], NEW_STATUSES),
        ]
        if "changes" in d:
            sides.append(("异动名单", d["changes"], CHANGE_STATUSES))
        return sides_frame(sides, STATUS_ZH)

    def school_frame(self) -> pd.DataFrame:
        """按学校的变动: one row per school (学校标识码, 学校): 上期人数, 本期人数, 增减, 减少, 其中疑似流失, 新增,
        其中来源不明, 调动, 信息变化, 重复; last row 合计 (上期/本期人数 = the record counts)."""
        bs = self.by_school()
        old, new = bs[bs["side"] == "old"], bs[bs["side"] == "new"]
        keys = ["XXBSM", "XXMC"]
        # the counts only (a school on one side alone is filled with 0; the text column "side" cannot be)
        o, n = (f.set_index(keys).select_dtypes("number") for f in (old, new))
        idx = o.index.union(n.index)
        o, n = o.reindex(idx, fill_value=0), n.reindex(idx, fill_value=0)
        out = pd.DataFrame(
            {
                "上期人数": o["total"],
                "本期人数": n["total"],
                "增减": n["total"] - o["total"],
                "减少": o["removed"],
                "其中疑似流失": o["unexplained"],
                "新增": n["added"],
                "其中来源不明": n["unexplained"],
                "调动": o["moved"],
                "信息变化": o["changed"],
                "重复": n["duplicate_key"],
            }
        ).astype(int)
        out.index = out.index.set_names(["学校标识码", "学校"])
        out = out.reset_index()
        total = out.drop(columns=["学校标识码", "学校"]).sum()
        return pd.concat([out, pd.DataFrame([{"学校标识码": "", "学校": TOTAL, **total.to_dict()}])], ignore_index=True)

    def lists(self) -> list[ResultList]:
        """疑似流失 (removed with no change record: the 控辍保学 follow-up list, by school, grade, class), 变动清单
        (every record that is not 不变, for reading; the workbook splits it into 减少, 新增, 变化, 调动, 重复,
        无法对应), 按学校 and, when a change list was given, 异动名单."""
        lay = _load(self.inputs.get("layout", "k12_student"))
        ot, nt = _title(self.old_name, "old"), _title(self.new_name, "new")
        src = {"old": self.inputs.get("old"), "new": self.inputs.get("new")}
        masker = sentence_masker(lay)
        key_kind = "id" if self.key_used in ID_FIELDS else personal_kind(self.key_used)

        def field_names(v):
            if not isinstance(v, str):
                return ""
            return "、".join(_field_name(lay, x) for x in v.split(",") if x)

        status = Column("status", "结果", read=words(STATUS_ZH))
        explained = Column(
            "explained", "有无异动记录", read=lambda s: s.map({True: "有", False: "没有"}).astype("str").fillna("")
        )
        reasons = Column("reasons", "原因", kind="sentence")
        other = Column("counterpart_row", "对应行号", kind="row", rows_in="new")  # an old record's counterpart
        other_side = Column("counterpart_row", "对应行号", kind="row", rows_in=(("old", "new"), ("new", "old")))
        how = Column(
            "matched_by", "对应方式", read=lambda s: s.map(lambda k: KEY_ZH.get(k, k) if isinstance(k, str) else "")
        )
        changed = Column("changed_fields", "变化的字段", read=lambda s: s.map(field_names))
        allowed = Column("change_class", "变更要求", read=words(CHANGE_CLASS_ZH))
        ctype = Column("change_type", "异动类别")
        place = (
            Column("XXBSM", "学校标识码", full=False),
            Column("XXMC", "学校", full=False),
            Column("NJ", "年级", read=grade_words, full=False),
            Column("BJ", "班级", full=False),
            Column("XM", "姓名", full=False),
            Column("key", KEY_ZH.get(self.key_used, self.key_used), personal=key_kind, full=False),
        )
        row = Column("row", "行号")
        o, n = self.old, self.new

        def by_place(f: pd.DataFrame) -> pd.DataFrame:
            return f.sort_values(["XXBSM", "NJ", "BJ", "row"], na_position="last", kind="stable")

        def both(status_name: str) -> pd.DataFrame:
            return pd.concat([o[o["status"] == status_name], n[n["status"] == status_name]], ignore_index=True)

        lost = o.iloc[self.unexplained_removals()["row"].to_numpy(dtype=np.int64) - 1]
        schools = self._school_sheet(ot, nt)
        every = (row, status, explained, ctype, reasons, other_side, how)
        side = Column("side", "名单", read=lambda s: s.map({"old": ot, "new": nt}).astype("str"))

        def kw(records="old", **extra):
            return dict(
                records=records,
                source=src if records == "side" else src[records],
                mask_sentences=masker,
                inputs=src,
                **extra,
            )

        changed_rows = pd.concat(
            [
                o[o["status"] != "unchanged"],  # moved/changed pairs once, from the old side
                n[~n["status"].isin(["unchanged", "moved", "changed"])],
            ],
            ignore_index=True,
        )
        term = Column("side", "名单", read=lambda s: s.map({"old": "上期", "new": "本期"}).astype("str"))
        lists = [
            ResultList("疑似流失", lost, (row, *place, reasons), **kw()),
            ResultList(
                "变动清单",
                changed_rows,
                (term, row, status, explained, ctype, *place[1:], changed, allowed, reasons),
                in_workbook=False,
                **kw("side"),
            ),
            ResultList(
                "按学校",
                schools,
                tuple(Column(c, c) for c in schools.columns),
                shown=False,
            ),
            ResultList(
                "减少",
                by_place(o[o["status"] == "removed"]),
                (row, *place, explained, ctype, reasons),
                **kw(shown=False),
            ),
            ResultList(
                "新增",
                by_place(n[n["status"] == "added"]),
                (row, *place, explained, ctype, reasons),
                **kw("new", shown=False),
            ),
            ResultList(
                "变化",
                o[o["status"] == "changed"],
                (row, *place, status, allowed, reasons, other, how, changed),
                **kw(shown=False),
            ),
            ResultList(
                "调动",
                o[o["status"] == "moved"],
                (row, *place, status, allowed, reasons, other, how, explained, ctype, changed),
                **kw(shown=False),
            ),
            ResultList("重复", both("duplicate_key"), (side, *every), **kw("side", shown=False)),
            ResultList("无法对应", both("missing_key"), (side, *every), **kw("side", shown=False)),
        ]
        if self.changes is not None:
            chg = self.changes
            ch_src = self.inputs.get("changes")
            if ch_src is not None and count_of(ch_src) != len(chg):
                ch_src = None
            lists.append(
                ResultList(
                    "异动名单",
                    chg,
                    (
                        row,
                        Column("change_type", "异动类别（标准名称）"),
                        Column("status", "结果", read=words(STATUS_ZH)),
                        Column("key", KEY_ZH.get(self.key_used, self.key_used), personal=key_kind, full=False),
                        reasons,
                        Column("old_row", f"{ot}行号", kind="row", rows_in="old"),
                        Column("new_row", f"{nt}行号", kind="row", rows_in="new"),
                        how,
                    ),
                    records="changes",
                    source=ch_src,
                    mask_sentences=masker,
                    inputs=src,
                )
            )
        lists.append(
            every_record_list([("old", "旧名单", o, src["old"]), ("new", "新名单", n, src["new"])], STATUS_ZH, "XXMC")
        )
        return lists

    def _school_sheet(self, ot: str, nt: str) -> pd.DataFrame:
        bs = self.by_school()
        heads = {
            "side": "名单",
            "XXBSM": "学校标识码",
            "XXMC": "学校名称",
            "total": "合计",
            "unexplained": "其中没有异动记录的减少/新增",
        }
        out = bs.rename(columns={c: heads.get(c, STATUS_ZH.get(c, c)) for c in bs.columns})
        out["名单"] = bs["side"].map({"old": ot, "new": nt}).astype("str")
        return out

    def chart_spec(self) -> ChartSpec:
        """Changes per school: 减少, 其中疑似流失, 新增, 调动."""
        schools = self.school_frame().iloc[:-1]
        return ChartSpec(
            "各校学籍变动",
            schools["学校"].astype("str").tolist(),
            {c: schools[c].astype(int).tolist() for c in ("减少", "其中疑似流失", "新增", "调动")},
            category_title="学校",
            value_title="人数",
            legend="",
        )

    def save(self, folder: str | os.PathLike, *, unmask: bool = False, sources: dict | None = None) -> OutputFiles:
        """Write what ``xueji compare`` gives the bureau into ``folder``:

        - ``results.csv`` — ``results()``: one row per record of both rosters (UTF-8 with BOM; the ``key`` column
          and the reasons already masked by ``compare``);
        - ``对比结果.xlsx`` — 汇总 (parameters, counts per side that add up) and every list of ``lists()``
          (疑似流失 first: the 控辍保学 follow-up list, by school), the records' own columns after the declared
          ones, personal columns masked unless ``unmask``;
        - ``summary.json`` — ``to_dict()`` plus the inputs and output names.
        """
        o_src, n_src = self.inputs.get("old"), self.inputs.get("new")
        n_old, n_new = count_of(o_src), count_of(n_src)
        if len(self.old) != n_old or len(self.new) != n_new:
            raise ValueError(
                f"对比结果有 {len(self.old)}、{len(self.new)} 条记录，传入的名单是 {n_old}、"
                f"{n_new} 条：请传入对比时用的同一组 DataFrame"
            )
        lay = _load(self.inputs.get("layout", "k12_student"))
        ch_lay = _load(self.inputs.get("changes_layout", "k12_changes"))
        sources = {**source_names(self.inputs), **(sources or {})}  # given names win
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        files = OutputFiles({k: out / v for k, v in COMPARE_OUTPUT_NAMES.items()})
        write_results_csv(self.results(), files["results"])
        lists = self.lists()
        write_lists_workbook(
            self._summary_sheet(files, unmask, sources, lay),
            lists,
            {"old": lay, "new": lay, "side": lay, "changes": ch_lay},
            files["workbook"],
            unmask,
        )
        per_school = self._write_school_files(files["by_school"], lists[0], lay, unmask, sources)
        if not per_school:
            del files["by_school"]
        js = self.to_dict()
        js["inputs"] = sources
        js["outputs"] = {k: p.name for k, p in files.items()}
        js["lost_by_school"] = per_school
        js["notes"] = []
        write_json(files["summary"], js)
        return files

    def _write_school_files(
        self, folder: Path, lost: ResultList, lay: Layout | None, unmask: bool, sources: dict
    ) -> dict[str, int]:
        """疑似流失 split by school: one workbook per school that has any (``{学校标识码}_{学校名称}.xlsx``, 说明
        then the school's list, the records' own columns masked unless ``unmask``), so the bureau sends each
        school its own. Returns {file name: pupils}; the counts add up to the whole list."""
        rows = lost.rows
        if not len(rows):
            return {}
        folder.mkdir(parents=True, exist_ok=True)
        code = (
            rows["XXBSM"].astype("str").fillna("").str.strip() if "XXBSM" in rows else pd.Series("", index=rows.index)
        )
        name = rows["XXMC"].astype("str").fillna("").str.strip() if "XXMC" in rows else pd.Series("", index=rows.index)
        ot, nt = _title(self.old_name, "old"), _title(self.new_name, "new")
        written: dict[str, int] = {}
        for (c, n), idx in rows.groupby([code.to_numpy(), name.to_numpy()], sort=True).groups.items():
            label = "_".join(x for x in (c, n) if x) or "未填学校"
            fname = safe_file_name(label, empty="未填学校") + ".xlsx"
            while fname in written:
                fname = fname[:-5] + "_2.xlsx"
            part = dataclasses_replace(lost, rows=rows.loc[idx])
            note = summary_sheet(
                [
                    ("学校", " ".join(x for x in (c, n) if x) or "（名单中没有填学校）"),
                    ("疑似流失", f"{len(idx)} 人"),
                    ("说明", f"{ot}中有、{nt}中没有，也没有转出、退学、休学等异动记录的学生；请逐一核实去向"),
                    ("旧名单", sources.get("old", "")),
                    ("新名单", sources.get("new", "")),
                    ("行号", "旧名单中的行号（Excel 中看到的行号，或 DBF 的记录号）"),
                    ("个人信息", "未遮盖（--unmask）" if unmask else "已遮盖"),
                ]
            )
            write_workbook({"说明": note, "疑似流失": list_sheet(part, lay, unmask)}, folder / fname)
            written[fname] = int(len(idx))
        return written

    def _summary_sheet(self, files: OutputFiles, unmask: bool, sources: dict, lay: Layout | None) -> pd.DataFrame:
        c = self.counts
        ot, nt = _title(self.old_name, "old"), _title(self.new_name, "new")
        rows: list[tuple[str, object]] = []
        for key, title in (("old", "旧名单"), ("new", "新名单"), ("changes", "异动名单")):
            if sources.get(key):
                rows.append((title, sources[key]))
            elif key == "changes":
                rows.append((title, "未提供（减少和新增的学生无法用异动记录说明，全部列为没有异动记录）"))
        rows.append(
            (
                "对应字段",
                f"{KEY_ZH.get(self.key_used, self.key_used)}（{self.key_used}）；没有或对不上时依次按"
                "身份证件号、姓名+性别+出生日期对应",
            )
        )
        if self.fallback_matches:
            rows.append(
                (
                    "按其他信息对应",
                    f"{self.fallback_matches} 对："
                    + "，".join(
                        f"按{KEY_ZH.get(k, k)} {v}"
                        for k, v in self.matched_by_counts.items()
                        if k != self.key_used and v
                    ),
                )
            )
        rows.append(("比较的字段", "、".join(_field_name(lay, f) for f in self.fields) or "（无）"))
        rows += count_rows("旧名单", c["old"] | {"total": len(self.old)}, OLD_STATUSES, STATUS_ZH)
        rows += count_rows("新名单", c["new"] | {"total": len(self.new)}, NEW_STATUSES, STATUS_ZH)
        if self.changes is not None:
            rows += count_rows("异动名单", c["changes"] | {"total": len(self.changes)}, CHANGE_STATUSES, STATUS_ZH)
        lost = len(self.unexplained_removals())
        rows.append(
            (
                "疑似流失",
                f"{lost} 人：{ot}中有、{nt}中没有，也没有转出、退学、休学等异动记录"
                "（见“疑似流失”工作表，按学校、年级、班级排列），请逐一核实去向",
            )
        )
        for key, title in (("old", "旧名单"), ("new", "新名单")):
            rows.append((f"{title}的行号", row_meaning(self.inputs.get(key))))
        rows.append(("每条记录都有且只有一个结果", "是" if self.conserved else "否（请报告此问题）"))
        rows.append(
            (
                "个人信息",
                "本工作簿中记录的学籍号、身份证件号、电话、地址"
                + ("未遮盖（按 --unmask 要求显示原值），请妥善保管" if unmask else "已遮盖（可用 --unmask 显示原值）")
                + f"；“原因”列和 {files['results'].name} 中的学籍号、身份证件号始终遮盖",
            )
        )
        rows += [("输出文件", p.name) for p in files.values()]
        rows += [("对比摘要" if i == 0 else "", line) for i, line in enumerate(self.summary().splitlines())]
        return summary_sheet(rows)


@dataclass(frozen=True)
class HandoffResult(Result):
    """What ``handoff`` found. ``graduates``: one row per graduate: row, key (masked), status
    (``GRADUATE_STATUSES``), matched_by (XJH / SFZJH / XM+XB+CSRQ), counterpart_row (the intake row),
    school / school_code / grade / class (where the graduate enrolled), reasons, and the graduate's own
    XXBSM, XXMC, NJ, BJ, XM. ``intake``: one row per intake record: row, key, status (``INTAKE_STATUSES``),
    matched_by, counterpart_row (the graduate row), reasons, XXBSM, XXMC, NJ, BJ, XM.

    >>> grads = xj.read_table("data_samples/k12/毕业生_2026.xlsx", "k12_student")
    >>> intake = xj.read_table("data_samples/k12/新生_2026秋.xlsx", "k12_student")
    >>> res = xj.handoff(grads, intake)
    >>> res.counts
    {'graduates': {'total': 277, 'enrolled': 272, 'not_enrolled': 5, 'missing_key': 0}, 'intake': {'total': 280, 'matched': 272, 'from_elsewhere': 8}}
    >>> res.not_enrolled()["XXMC"].tolist()
    [...]
    """

    graduates: pd.DataFrame
    intake: pd.DataFrame
    levels: tuple[str, ...] = ()
    graduates_name: str = "毕业生"
    intake_name: str = "新生"
    params: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict, repr=False, compare=False)  # {"graduates", "intake", "layout"}

    @property
    def counts(self) -> dict:
        return {
            "graduates": {"total": len(self.graduates), **_status_counts(self.graduates, GRADUATE_STATUSES)},
            "intake": {"total": len(self.intake), **_status_counts(self.intake, INTAKE_STATUSES)},
        }

    @property
    def conserved(self) -> bool:
        c = self.counts
        return all(sum(v for k, v in c[s].items() if k != "total") == c[s]["total"] for s in c)

    def not_enrolled(self) -> pd.DataFrame:
        """Graduates found in no intake, by graduating school (XXBSM, XXMC), grade, class."""
        g = self.graduates
        sel = g[g["status"] != "enrolled"]
        cols = ["XXBSM", "XXMC", "NJ", "BJ", "XM", "key", "row", "status", "reasons"]
        return sel.sort_values(["XXBSM", "NJ", "BJ", "row"])[cols].reset_index(drop=True)

    def by_school(self) -> pd.DataFrame:
        """Per graduating school: graduates, enrolled, not_enrolled, missing_key."""
        g = self.graduates.fillna({"XXBSM": "", "XXMC": ""})
        ct = pd.crosstab([g["XXBSM"], g["XXMC"]], g["status"]).reindex(columns=list(GRADUATE_STATUSES), fill_value=0)
        ct.insert(0, "graduates", ct.sum(axis=1))
        return ct.reset_index()

    def destinations(self) -> pd.DataFrame:
        """Graduating school × destination school: how many went where (enrolled graduates)."""
        g = self.graduates[self.graduates["status"] == "enrolled"]
        if g.empty:
            return pd.DataFrame(columns=["XXMC", "school", "count"])
        return g.groupby(["XXMC", "school"]).size().rename("count").reset_index()

    def summary(self) -> str:
        c = self.counts
        g, i = c["graduates"], c["intake"]
        by = self.graduates.loc[self.graduates["status"] == "enrolled", "matched_by"].value_counts()
        lines = [
            f"升学去向核对：{self.graduates_name} → {self.intake_name}（按"
            + "、".join(KEY_ZH.get(k, k) for k in self.levels)
            + " 依次查找）",
            f"毕业生 {len(self.graduates)} 人 = " + " + ".join(f"{STATUS_ZH[s]} {g[s]}" for s in GRADUATE_STATUSES),
        ]
        if len(by):
            lines.append("已升学的按 " + "，".join(f"{KEY_ZH.get(k, k)} {v}" for k, v in by.items()) + " 找到")
        lines.append(f"新生 {len(self.intake)} 人 = " + " + ".join(f"{STATUS_ZH[s]} {i[s]}" for s in INTAKE_STATUSES))
        ne = self.not_enrolled()
        if len(ne):
            lines.append(
                "未找到的毕业生（按毕业学校）："
                + "，".join(f"{k} {v}" for k, v in ne.groupby("XXMC", sort=False).size().items())
            )
        lines.append(
            "每条记录都有且只有一个结果（各项相加等于记录数）：" + ("是" if self.conserved else "否（请报告此问题）")
        )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        c = self.counts
        by = self.graduates.loc[self.graduates["status"] == "enrolled", "matched_by"].value_counts()
        return {
            "levels": list(self.levels),
            "graduates": {
                "total": len(self.graduates),
                **c["graduates"],
                "matched_by": {str(k): int(v) for k, v in by.items()},
            },
            "intake": {"total": len(self.intake), **c["intake"]},
            "not_enrolled_by_school": {str(k): int(v) for k, v in self.not_enrolled().groupby("XXMC").size().items()},
            "conserved": self.conserved,
        }

    # ------------------------------------------------------------------------------ what the result lists
    def summary_frame(self) -> pd.DataFrame:
        """名单 | 结果 | 记录数: graduates and intake, each ending in 合计 = its record count."""
        d = self.to_dict()
        return sides_frame(
            [
                (_side_title("毕业生名单", self.graduates_name, "毕业生"), d["graduates"], GRADUATE_STATUSES),
                (_side_title("新生名单", self.intake_name, "新生"), d["intake"], INTAKE_STATUSES),
            ],
            STATUS_ZH,
        )

    def lists(self) -> list[ResultList]:
        """未找到的毕业生 (by graduating school, grade, class) and 来自其他地方的新生."""
        first = self.levels[0] if self.levels else "XJH"
        lay = _load(self.inputs.get("layout", "k12_student"))
        key = Column("key", KEY_ZH.get(first, first), personal="id" if first in ID_FIELDS else personal_kind(first))
        place = (
            Column("XXBSM", "学校标识码"),
            Column("XXMC", "学校"),
            Column("NJ", "年级", read=grade_words),
            Column("BJ", "班级"),
            Column("XM", "姓名"),
        )
        reasons = Column("reasons", "原因", kind="sentence")
        t = self.intake
        masker = sentence_masker(lay)
        return [
            ResultList(
                "未找到的毕业生",
                self.not_enrolled(),
                (*place, key, Column("row", "毕业生行号"), Column("status", "结果", read=words(STATUS_ZH)), reasons),
                records="graduates",
                source=self.inputs.get("graduates"),
                mask_sentences=masker,
            ),
            ResultList(
                "来自其他地方的新生",
                t[t["status"] == "from_elsewhere"],
                (Column("row", "新生行号"), *place, key, reasons),
                records="intake",
                source=self.inputs.get("intake"),
                mask_sentences=masker,
            ),
            every_record_list(
                [
                    ("graduates", "毕业生", self.graduates, self.inputs.get("graduates")),
                    ("intake", "新生", self.intake, self.inputs.get("intake")),
                ],
                STATUS_ZH,
                "XXMC",
            ),
        ]

    def chart_spec(self) -> ChartSpec | None:
        """Graduates per graduating school and result, stacked."""
        bs = self.by_school()
        if bs.empty:
            return None
        return ChartSpec(
            "毕业生升学情况（按毕业学校）",
            bs["XXMC"].astype("str").tolist(),
            {STATUS_ZH[s]: bs[s].astype(int).tolist() for s in GRADUATE_STATUSES},
            barmode="stack",
            category_title="毕业学校",
            value_title="人数",
            legend="结果",
        )

    def save(self, folder: str | os.PathLike, *, unmask: bool = False) -> OutputFiles:
        """去向核对.xlsx (汇总: the summary lines; then 未找到的毕业生 and 来自其他地方的新生, each followed by the
        records' own columns, personal columns masked unless ``unmask``) and summary.json."""
        lay = _load(self.inputs.get("layout", "k12_student"))
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        files = OutputFiles({"workbook": out / "去向核对.xlsx", "summary": out / "summary.json"})
        lines = self.summary().splitlines()
        summary = summary_sheet([("核对摘要" if i == 0 else "", line) for i, line in enumerate(lines)])
        write_lists_workbook(summary, self.lists(), {"graduates": lay, "intake": lay}, files["workbook"], unmask)
        js = self.to_dict()
        js["outputs"] = {k: p.name for k, p in files.items()}
        write_json(files["summary"], js)
        return files


def _side_title(title: str, name: str, default: str) -> str:
    """上期名单 / 上期名单（2025秋）: a side's title, with the name given when there is one."""
    return title if name in ("", default) else f"{title}（{name}）"


def _field_name(lay: Layout | None, code: str) -> str:
    """A field's Chinese name from the layout, else its code."""
    if lay is not None:
        try:
            return lay.field(code).name
        except KeyError:
            pass
    return code


def grade_words(s: pd.Series) -> pd.Series:
    """年级 codes (11, 21, 31 …) as words (一年级 …) by the nj code table; other values as they are."""
    t = s.astype("str")
    return load_code_table("nj").to_label(t).fillna(t).astype("str")


_ID_TOKEN = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
_PHONE_TOKEN = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def sentence_masker(lay: Layout | None) -> Callable[[pd.Series], pd.Series]:
    """Masking for the sentences of a result computed with ``unmask=True``: ID-shaped numbers, mobile numbers,
    and the values after a personal field's name (名称：旧值 → 新值). Idempotent on masked text."""
    names = {lay.field(c).name: k for c, k in lay.personal_fields().items()} if lay is not None else {}
    fields = [
        (re.compile(rf"({re.escape(n)})：(.+?) → (.+?)(?=（内容不同|[；;]|$)"), MASKERS[k])
        for n, k in names.items()
        if k in MASKERS
    ]

    def one(text):
        if not isinstance(text, str) or not text:
            return text
        for pattern, m in fields:
            text = pattern.sub(lambda g, m=m: f"{g.group(1)}：{m(g.group(2))} → {m(g.group(3))}", text)
        text = _ID_TOKEN.sub(lambda g: mask_id(g.group(0)), text)
        return _PHONE_TOKEN.sub(lambda g: mask_phone(g.group(0)), text)

    return lambda s: s.map(one).astype("str")


def _is(values: pd.Series, value: bool) -> pd.Series:
    """values == value with NA counted as not equal (a plain bool mask)."""
    return values.eq(value).fillna(False).astype(bool)


def _status_counts(frame: pd.DataFrame, statuses: Iterable[str]) -> dict[str, int]:
    """status → count for the known statuses (a record with any other status, or none, is not counted, so
    the counts then fall short of the total and ``conserved`` says so)."""
    vc = frame["status"].value_counts()
    return {s: int(vc.get(s, 0)) for s in statuses}


def _title(name: str | None, side: str) -> str:
    """How a side is called in sentences: 旧名单 / 新名单 by default, else the name given (+名单)."""
    if name in ("old", "new", "", None):
        return {"old": "旧名单", "new": "新名单"}.get(side, str(side))
    name = str(name)
    return name if ("名单" in name or "." in name) else f"{name}名单"
