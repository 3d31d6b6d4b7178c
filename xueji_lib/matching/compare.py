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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..checks.validate import normalized_ids
from ..core.errors import LayoutError
from ..core.ids import ID_NUMBER_FIELDS
from ..core.normalize import STR, date_text, decode_codes, key_text, written_text
from ..core.privacy import MASKERS, mask_id, mask_phone, mask_series, mask_value, personal_kind
from ..core.progress import Progress
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
from ..engine.engines import engine_for
from ..io.lists import count_of, write_json, write_lists_workbook, write_results_csv
from ..io.source import ListSource
from ..schema.codes import load_code_table
from ..schema.layouts import Layout, load_layout

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

# The ID-number fields, SFZJH (the K-12 rosters' name) first: a roster's SFZJH is the one read when it has more
# than one, and ID_FIELDS[0] names the ID level of matching (matched_by, KEY_ZH).
ID_FIELDS = ("SFZJH", *(f for f in ID_NUMBER_FIELDS if f != "SFZJH"))
SCHOOL_FIELDS = ("XXBSM", "XXMC")
CLASS_FIELDS = ("NJ", "BJ")
CONTEXT = ("XXBSM", "XXMC", "NJ", "BJ", "XM")
NAME_SEX_BIRTH = "XM+XB+CSRQ"  # the fallback identity: 姓名 + 性别 (code) + 出生日期 (YYYYMMDD)
KEY_ZH = {
    "XJH": "学籍号",
    "SFZJH": "身份证件号",
    "SFZH": "身份证号",
    "ZJHM": "证件号码",
    NAME_SEX_BIRTH: "姓名+性别+出生日期",
}
# 学籍异动 types (labels of the xjyd_k12 table) that explain a record leaving, arriving, or changing class
REMOVAL_TYPES = ("转出", "退学", "死亡", "毕业", "结业", "休学", "开除", "辍学")
ADDITION_TYPES = ("转入", "复学", "招生", "导入")
CLASS_TYPES = ("调班", "升级", "留级")
# statuses while computing: small integer codes (0 = not decided yet), names only in the output
_WORKING_STATUSES = ("", "unchanged", "changed", "moved", "removed", "added", "duplicate_key", "missing_key")
_STATUS_CODE = {name: np.int8(i) for i, name in enumerate(_WORKING_STATUSES)}
COMPARE_OUTPUT_NAMES = {"results": "results.csv", "summary": "summary.json", "workbook": "对比结果.xlsx"}
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
    {'unchanged': 1427, 'changed': 3, 'moved': 2, 'removed': 10, 'duplicate_key': 0, 'missing_key': 0}
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
    # the lists compared ({"old", "new", "changes"}: frames or converted folders) and their layouts
    # ({"layout", "changes_layout"}), so that the result can list their records and save its files
    inputs: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def counts(self) -> dict:
        """Per side ("old", "new", and "changes" when given): status → count, every status listed."""
        out = {"old": _status_counts(self.old, OLD_STATUSES), "new": _status_counts(self.new, NEW_STATUSES)}
        if self.changes is not None:
            out["changes"] = _status_counts(self.changes, CHANGE_STATUSES)
        return out

    @property
    def conserved(self) -> bool:
        """Each side's statuses add up to its number of input records (and every status is a known one)."""
        c = self.counts
        frames = {"old": self.old, "new": self.new, "changes": self.changes}
        return all(sum(c[s].values()) == len(frames[s]) for s in c)

    def results(self) -> pd.DataFrame:
        """Both sides in one frame (old first): the command line's results.csv."""
        return pd.concat([self.old, self.new], ignore_index=True)

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
            ("old", "removed", "减少", "没有异动记录 {n} 条（疑似流失，见控辍保学名单 unexplained_removals）"),
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
                text = f"{what} {len(sel)} 条（没有提供异动名单，无法核对原因）"
            else:
                text += "；" + none_text.format(n=len(sel) - len(ex))
            lines.append(text)
        moved = self.old[self.old["status"] == "moved"]
        if len(moved):
            school = moved["changed_fields"].str.contains(r"(?:^|,)(?:XXBSM|XXMC)(?:,|$)", regex=True)
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
        o, n = old.set_index(keys), new.set_index(keys)
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
        other = Column("counterpart_row", "对应行号", kind="row")
        how = Column(
            "matched_by", "对应方式", read=lambda s: s.map(lambda k: KEY_ZH.get(k, k) if isinstance(k, str) else "")
        )
        changed = Column("changed_fields", "变化的字段", read=lambda s: s.map(field_names))
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
        every = (row, status, explained, ctype, reasons, other, how)
        side = Column("side", "名单", read=lambda s: s.map({"old": ot, "new": nt}).astype("str"))

        def kw(records="old", **extra):
            return dict(
                records=records, source=src if records == "side" else src[records], mask_sentences=masker, **extra
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
                (term, row, status, explained, ctype, *place[1:], changed, reasons),
                in_workbook=False,
                **kw("side"),
            ),
            ResultList(
                "按学校",
                self._school_sheet(ot, nt),
                tuple(Column(c, c) for c in self._school_sheet(ot, nt).columns),
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
                (row, *place, status, reasons, other, how, changed),
                **kw(shown=False),
            ),
            ResultList(
                "调动",
                o[o["status"] == "moved"],
                (row, *place, status, reasons, other, how, explained, ctype, changed),
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
                        Column("old_row", f"{ot}行号", kind="row"),
                        Column("new_row", f"{nt}行号", kind="row"),
                        how,
                    ),
                    records="changes",
                    source=ch_src,
                    mask_sentences=masker,
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

    def save(self, folder, *, unmask: bool = False, sources: dict | None = None) -> OutputFiles:
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
        sources = dict(sources or {})
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
        js = self.to_dict()
        js["inputs"] = sources
        js["outputs"] = {k: p.name for k, p in files.items()}
        js["notes"] = []
        write_json(files["summary"], js)
        return files

    def _summary_sheet(self, files, unmask: bool, sources: dict, lay) -> pd.DataFrame:
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
    {'graduates': {'enrolled': 272, 'not_enrolled': 5, 'missing_key': 0}, 'intake': {'matched': 272, 'from_elsewhere': 8}}
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
            "graduates": _status_counts(self.graduates, GRADUATE_STATUSES),
            "intake": _status_counts(self.intake, INTAKE_STATUSES),
        }

    @property
    def conserved(self) -> bool:
        c = self.counts
        return sum(c["graduates"].values()) == len(self.graduates) and sum(c["intake"].values()) == len(self.intake)

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


def sentence_masker(lay: Layout | None):
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


def _status_counts(frame: pd.DataFrame, statuses) -> dict:
    """status → count for the known statuses (a record with any other status, or none, is not counted, so
    the counts then fall short of the total and ``conserved`` says so)."""
    vc = frame["status"].value_counts()
    return {s: int(vc.get(s, 0)) for s in statuses}


def _title(name: str, side: str) -> str:
    """How a side is called in sentences: 旧名单 / 新名单 by default, else the name given (+名单)."""
    if name in ("old", "new", "", None):
        return {"old": "旧名单", "new": "新名单"}.get(side, str(side))
    name = str(name)
    return name if ("名单" in name or "." in name) else f"{name}名单"


# ------------------------------------------------------------------------------------------------ rosters


class _Roster:
    """One input list (an ``io.source.ListSource``), positional (0-based) throughout. Whole columns are only
    converted where that is free (``col``) or needed for every record (the key); everything else is
    computed on the few positions that need it (``at``, ``norm_at``, ``key_at``).

    When the list is a folder converted by ``dbf_to_parquet``, only what is used is read: a whole column
    when every record needs it (the key, the context columns of the result), else the records at the
    positions asked for (all their columns, kept for later calls); the compared fields of every pair are
    read by the engine itself (``register``)."""

    def __init__(self, src: ListSource, layout: Layout | None, name: str):
        self.layout = layout
        self.name = name
        self.src = src
        self._col: dict[str, pd.Series] = {}
        self._key: dict[str, pd.Series] = {}
        self.n, names = src.count, src.columns  # a folder: from its Parquet footers, nothing else read yet
        if src.is_folder:
            self._fetched = pd.DataFrame()  # the records read so far, all their columns
            self._slot = np.full(self.n, -1, np.int64)  # position → row of _fetched (-1: not read)
        self.cols = {str(c).upper(): c for c in names}

    def has(self, code: str) -> bool:
        return code in self.cols

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

    def values(self, code: str, idx) -> pd.Series:
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

    def at(self, code: str, idx) -> pd.Series:
        """Stripped values at positions ``idx``, missing → "" (positional index 0..len(idx)-1)."""
        return self.values(code, idx).str.strip().fillna("")

    def register(self, con, name: str, keys: pd.Series, flds: list[str]) -> None:
        """Engine table ``name``: position ``i``, key ``k`` and the compared fields as written (``c0``, ``c1``
        …, as text). A frame's columns are handed over as they are (Arrow, no copy); a converted folder's
        are read by the engine itself and joined to the keys by row number."""
        names = [f"c{j}" for j in range(len(flds))]
        positions = pa.array(np.arange(self.n, dtype=np.int64))
        if not self.src.is_folder:
            con.register(
                name,
                pa.table({"i": positions, "k": _arrow(keys), **{c: _arrow(self.col(f)) for c, f in zip(names, flds)}}),
            )
            return
        from ..engine import sqlnorm
        from ..engine.engines import register_list

        types = register_list(con, f"{name}_in", self.src, {f: (self.cols[f],) for f in flds})
        con.register(f"{name}_k", pa.table({"i": positions, "k": _arrow(keys)}))
        listed = "".join(f", {sqlnorm.text('raw.' + con.ident(f), types[f])} AS {c}" for c, f in zip(names, flds))
        con.view(name, f"SELECT k.i, k.k{listed} FROM {name}_k AS k JOIN {name}_in AS raw ON raw._row = k.i + 1")

    def lfield(self, code: str):
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

    def _key_of(self, code: str, idx=None) -> pd.Series:
        def part(c):
            return self.col(c) if idx is None else self.values(c, idx)

        n = self.n if idx is None else len(idx)
        if code == NAME_SEX_BIRTH:
            if not all(self.has(c) for c in ("XM", "XB", "CSRQ")):
                return pd.Series(pd.array([None] * n, dtype=STR))
            return _nsb(part("XM"), part("XB"), part("CSRQ"))
        if code in ID_FIELDS:
            f = code if self.has(code) else self.id_field()
            return normalized_ids(part(f)) if f else pd.Series(pd.array([None] * n, dtype=STR))
        return key_text(part(code)) if self.has(code) else pd.Series(pd.array([None] * n, dtype=STR))

    def key(self, code: str) -> pd.Series:
        """Normalised key values for every record (NaN where empty): ID fields as ``normalized_ids``
        (half-width, 15 → 18 digits), 姓名+性别+出生日期 as ``_nsb``, others as ``key_text``."""
        if code not in self._key:
            self._key[code] = self._key_of(code)
        return self._key[code]

    def key_at(self, code: str, idx) -> pd.Series:
        """The same at positions ``idx`` only (computed for those, unless the whole column is at hand)."""
        if code in self._key:
            return self._key[code].take(np.asarray(idx, np.int64)).reset_index(drop=True)
        return self._key_of(code, idx)

    def norm_at(self, code: str, idx) -> pd.Series:
        """Values as compared, at ``idx``: stripped; code fields as their code (a label and its code are the
        same value); dates as YYYYMMDD; missing = ""."""
        s = self.at(code, idx)
        f = self.lfield(code)
        if f is not None and f.codes and len(s):
            s = load_code_table(f.codes).to_code(s).fillna(s)
        elif f is not None and f.date == "YYYYMMDD" and len(s):
            s = date_text(s).fillna(s)
        return s

    def shown(self, code: str, idx, unmask: bool) -> list[str]:
        """Values at ``idx`` as a person reads them: code fields as their label, personal values masked,
        empty as （空）."""
        vals = self.at(code, idx)
        f = self.lfield(code)
        if f is not None and f.codes and len(vals):
            vals = load_code_table(f.codes).to_label(vals).fillna(vals)
        kind = None if unmask else self.personal(code)
        return [("（空）" if v == "" else mask_value(kind, v) if kind else v) for v in vals.tolist()]

    def where(self, idx) -> list[str]:
        """School, grade and class at ``idx``: 示范县第一小学 小学三年级 2班."""
        if not len(idx):
            return []
        nj = self.at("NJ", idx)
        parts = [
            self.at("XXMC", idx).tolist(),
            load_code_table("nj").to_label(nj).fillna(nj).tolist(),
            self.at("BJ", idx).tolist(),
        ]
        return [" ".join(p for p in t if p) or "（学校、班级空）" for t in zip(*parts)]


def _nsb(xm: pd.Series, xb: pd.Series, csrq: pd.Series) -> pd.Series:
    """姓名|性别代码|出生日期 (NaN when any part is missing or not understood): the fallback identity."""
    name = key_text(xm)
    sex = load_code_table("xb").to_code(xb.str.strip())
    sex = sex.where(sex.isin(["1", "2"]))
    birth = date_text(csrq.str.strip())
    joined = pc.binary_join_element_wise(_arrow(name), _arrow(sex), _arrow(birth), _SEP)
    return pd.Series(pd.array(joined, dtype=STR))


def _arrow(s: pd.Series) -> pa.Array:
    """A str Series as one large_string Arrow array (no copy when it already is one chunk)."""
    a = pa.array(s.array, type=pa.large_string()) if len(s) else pa.array([], pa.large_string())
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return a


_SEP = pa.scalar("|", pa.large_string())


def _mask_keys(s: pd.Series, kind: str | None, unmask: bool) -> pd.Series:
    return s.astype(STR) if unmask or kind is None else mask_series(s, kind)


# ---------------------------------------------------------------------------------------------- matching


def _table(idx: np.ndarray, keys: pa.Array, flag: np.ndarray | None = None) -> pa.Table:
    cols = {"i": pa.array(np.asarray(idx, np.int64)), "k": keys}
    if flag is not None:
        cols["f"] = pa.array(np.asarray(flag, bool))
    return pa.table(cols)


def _fetch(con, sql: str) -> dict[str, np.ndarray]:
    """Run a query and fetch its (narrow) result through Arrow as numpy arrays."""
    t = con.sql(sql)
    return {c: t.column(c).to_numpy(zero_copy_only=False) for c in t.column_names}


def _keyed(idx, keys: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Of positions ``idx`` (``keys`` aligned with them), those that have a key, and their keys."""
    k = _arrow(keys)
    valid = pc.is_valid(k)
    return np.asarray(idx, np.int64)[np.asarray(valid.to_numpy(zero_copy_only=False), bool)], k.filter(valid)


def _join(con, li, lk, ri, rk, *, unique: bool, lflag=None, rflag=None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of positions whose keys are equal. ``unique``: only keys that occur once on each side.
    Flags: only pairs where at least one side's flag is set."""
    if len(li) == 0 or len(ri) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    con.register("l_t", _table(li, lk, lflag))
    con.register("r_t", _table(ri, rk, rflag))
    flags = lflag is not None
    if unique:
        pick = "any_value(i) AS i" + (", any_value(f) AS f" if flags else "")
        sql = (
            f"SELECT l.i AS li, r.i AS ri FROM (SELECT k, {pick} FROM l_t GROUP BY k HAVING count(*) = 1) l "
            f"JOIN (SELECT k, {pick} FROM r_t GROUP BY k HAVING count(*) = 1) r ON l.k = r.k"
        )
        if flags:
            sql += " WHERE l.f OR r.f"
    else:
        sql = "SELECT l.i AS li, r.i AS ri FROM l_t l JOIN r_t r ON l.k = r.k"
    got = _fetch(con, sql)
    con.unregister("l_t")
    con.unregister("r_t")
    return got["li"].astype(np.int64), got["ri"].astype(np.int64)


def _duplicated(con, table: str) -> np.ndarray:
    """Positions in a registered table (i, k) whose key occurs more than once."""
    got = _fetch(
        con,
        f"SELECT i FROM {table} WHERE k IN (SELECT k FROM {table} WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1)",
    )
    return got["i"].astype(np.int64)


@dataclass
class _Match:
    oi: np.ndarray  # pairs (old position, new position) whose records are compared
    ni: np.ndarray
    how: np.ndarray  # per pair: 1-based index into ``levels`` of the key that matched it
    levels: list  # [key, ID, 姓名+性别+出生日期]
    check: np.ndarray  # per pair: values may differ (False: equal as written in every field)
    o_status: np.ndarray  # per record a ``_STATUS_CODE`` code: 0 / duplicate_key / missing_key, before comparison
    n_status: np.ndarray
    o_dup_kind: np.ndarray  # per record: 0 / 1 the key / 2 the fallback identity is duplicated
    n_dup_kind: np.ndarray
    o_link: np.ndarray  # the single counterpart of a record whose key is duplicated (-1: none)
    n_link: np.ndarray
    fid_o: dict  # position → fallback identity, for records without the key
    fid_n: dict


def _best_copy(single: _Roster, copies: _Roster, si: np.ndarray, ci: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For pairs (single record, one of several copies of its key on the other side), keep per single
    record the copy most like it: same school, then same grade and class, then the first."""
    score = np.zeros(len(si), np.int64)
    for w, code in ((4, "XXBSM"), (4, "XXMC"), (2, "NJ"), (1, "BJ")):
        same = single.norm_at(code, si).to_numpy(dtype=object) == copies.norm_at(code, ci).to_numpy(dtype=object)
        score += w * same.astype(np.int64)
    d = pd.DataFrame({"s": si, "c": ci, "score": score}).sort_values(["s", "score", "c"], ascending=[True, False, True])
    d = d.drop_duplicates("s")
    return d["s"].to_numpy(), d["c"].to_numpy()


def _match(con, o: _Roster, n: _Roster, key: str, id_level: bool, flds: list[str]) -> _Match:
    ok, nk = o.key(key), n.key(key)
    levels = [key, ID_FIELDS[0], NAME_SEX_BIRTH]
    o_status, n_status = np.zeros(o.n, np.int8), np.zeros(n.n, np.int8)
    o_dup_kind, n_dup_kind = np.zeros(o.n, np.int8), np.zeros(n.n, np.int8)
    o_link, n_link = np.full(o.n, -1, np.int64), np.full(n.n, -1, np.int64)
    o_keyless, n_keyless = ok.isna().to_numpy(), nk.isna().to_numpy()

    # 1. the key. Both frames are registered with their key and the compared columns as they are (Arrow,
    # no copy): one join gives the pairs and whether any compared value differs as written; values equal
    # as written are equal after normalising, so only the few other pairs are looked at field by field.
    names = [f"c{j}" for j in range(len(flds))]
    for name, r, k in (("o_v", o, ok), ("n_v", n, nk)):
        r.register(con, name, k, flds)
    o_dup, n_dup = _duplicated(con, "o_v"), _duplicated(con, "n_v")
    o_status[o_dup], o_dup_kind[o_dup] = _STATUS_CODE["duplicate_key"], 1
    n_status[n_dup], n_dup_kind[n_dup] = _STATUS_CODE["duplicate_key"], 1
    differ = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in names) or "FALSE"
    got = _fetch(con, f"SELECT o.i AS li, n.i AS ri, ({differ}) AS d FROM o_v o JOIN n_v n ON o.k = n.k")
    con.unregister("o_v")
    con.unregister("n_v")
    li, ri, d = got["li"].astype(np.int64), got["ri"].astype(np.int64), got["d"].astype(bool)
    od, nd = o_status[li] == _STATUS_CODE["duplicate_key"], n_status[ri] == _STATUS_CODE["duplicate_key"]
    plain = ~od & ~nd
    pairs_o, pairs_n, pairs_how, check = [li[plain]], [ri[plain]], [np.full(int(plain.sum()), 1, np.int8)], [d[plain]]
    # one side duplicated, the other single: the single record is compared with its most similar copy;
    # every copy points back to the single record
    for single_dup, s_idx, c_idx, s_r, c_r, c_link, flip in (
        (~od & nd, li, ri, o, n, n_link, False),
        (od & ~nd, ri, li, n, o, o_link, True),
    ):
        if single_dup.any():
            s_all, c_all = s_idx[single_dup], c_idx[single_dup]
            c_link[c_all] = s_all
            s_best, c_best = _best_copy(s_r, c_r, s_all, c_all)
            pairs_o.append(c_best if flip else s_best)
            pairs_n.append(s_best if flip else c_best)
            pairs_how.append(np.full(len(s_best), 1, np.int8))
            check.append(np.ones(len(s_best), bool))
    matched_o, matched_n = np.zeros(o.n, bool), np.zeros(n.n, bool)
    matched_o[li] = True
    matched_n[ri] = True

    # 2. records without the key: their fallback identity (the ID when there is an ID column besides the
    # key, else 姓名+性别+出生日期); none → missing_key; the same identity twice on a side → duplicate_key
    fid = {}
    for side, r, keyless, status, kind in (
        ("o", o, o_keyless, o_status, o_dup_kind),
        ("n", n, n_keyless, n_status, n_dup_kind),
    ):
        idx = np.flatnonzero(keyless)
        ident = r.key_at(NAME_SEX_BIRTH, idx)
        if id_level:
            ident = ("ID:" + r.key_at(ID_FIELDS[0], idx)).fillna("NSB:" + ident)
        fid[side] = dict(zip(idx.tolist(), ident.tolist()))
        status[idx[ident.isna().to_numpy()]] = _STATUS_CODE["missing_key"]
        ii, kk = _keyed(idx, ident)
        if len(ii):
            con.register("f_t", _table(ii, kk))
            dup = _duplicated(con, "f_t")
            con.unregister("f_t")
            status[dup], kind[dup] = _STATUS_CODE["duplicate_key"], 2

    # 3. fallback levels over what is still free: the ID (when the key is not the ID), then 姓名+性别+出生日期
    # (only where at least one of the two has no key); a level matches only identities unique on both sides
    for level in ([ID_FIELDS[0]] if id_level else []) + [NAME_SEX_BIRTH]:
        free_o = np.flatnonzero((o_status == 0) & ~matched_o)
        free_n = np.flatnonzero((n_status == 0) & ~matched_n)
        if not len(free_o) or not len(free_n):
            break
        io, ko = _keyed(free_o, o.key_at(level, free_o))
        in_, kn = _keyed(free_n, n.key_at(level, free_n))
        if level == NAME_SEX_BIRTH:
            a, b = _join(con, io, ko, in_, kn, unique=True, lflag=o_keyless[io], rflag=n_keyless[in_])
        else:
            a, b = _join(con, io, ko, in_, kn, unique=True)
        matched_o[a] = True
        matched_n[b] = True
        pairs_o.append(a), pairs_n.append(b), pairs_how.append(np.full(len(a), levels.index(level) + 1, np.int8))
        check.append(np.ones(len(a), bool))

    return _Match(
        oi=np.concatenate(pairs_o).astype(np.int64),
        ni=np.concatenate(pairs_n).astype(np.int64),
        how=np.concatenate(pairs_how),
        levels=levels,
        check=np.concatenate(check),
        o_status=o_status,
        n_status=n_status,
        o_dup_kind=o_dup_kind,
        n_dup_kind=n_dup_kind,
        o_link=o_link,
        n_link=n_link,
        fid_o=fid["o"],
        fid_n=fid["n"],
    )


# ------------------------------------------------------------------------------------------------ compare


def _resolve_key(o: _Roster, n: _Roster, key: str | None) -> str:
    return _key_code(o.cols, n.cols, key)


def _id_field(cols) -> str | None:
    """The ID column of a list with these (upper-case) column names: the first of ``ID_FIELDS`` it has."""
    return next((c for c in ID_FIELDS if c in cols), None)


def _key_code(old_cols, new_cols, key: str | None) -> str:
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


def field_codes(values) -> list[str]:
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
    old_columns, new_columns, *, key: str | None = None, ignore=(), ignore_name: str = "ignore"
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


def _load(layout) -> Layout | None:
    return None if layout is None else load_layout(layout)


def compare(
    old,
    new,
    key: str | None = None,
    changes: pd.DataFrame | None = None,
    *,
    old_name: str = "old",
    new_name: str = "new",
    fields=None,
    layout="k12_student",
    changes_layout="k12_changes",
    unmask: bool = False,
    progress=None,
    engine=None,
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

        >>> res = compare(old, new, changes=ch, old_name="2025秋", new_name="2026春")   # doctest: +SKIP
        >>> res.counts["old"]["removed"], res.unexplained_removals()                   # doctest: +SKIP
    """
    old, new = ListSource.of(old), ListSource.of(new)
    changes = None if changes is None else ListSource.of(changes)
    with Progress(progress, "对比", steps=COMPARE_STEPS) as task:
        res = _compare(old, new, key, changes, old_name, new_name, fields, layout, changes_layout, unmask, task, engine)
    return replace(
        res, inputs={"old": old, "new": new, "changes": changes, "layout": layout, "changes_layout": changes_layout}
    )


COMPARE_STEPS = ("准备名单", "匹配", "比较字段", "判定状态", "核对异动并说明")


def _compare(
    old: ListSource,
    new: ListSource,
    key,
    changes: ListSource | None,
    old_name,
    new_name,
    fields,
    layout,
    changes_layout,
    unmask,
    task: Progress,
    engine=None,
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
    with engine_for(engine) as con:
        task.step("匹配")
        m = _match(con, o, n, key, id_level, flds)
        result = _judge(con, o, n, m, key, flds, changes, changes_layout, unmask, task)
    codes, counts = np.unique(m.how, return_counts=True)
    by = {m.levels[k - 1]: int(v) for k, v in zip(codes.tolist(), counts.tolist())}
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
    )


def _judge(
    con,
    o: _Roster,
    n: _Roster,
    m: _Match,
    key: str,
    flds: list[str],
    changes,
    changes_layout,
    unmask: bool,
    task: Progress | None = None,
) -> dict:
    task = task if task is not None else Progress(None, "")
    task.step("比较字段")
    oi, ni = m.oi, m.ni
    # -- field comparison of the pairs that may differ, normalised, one vectorised comparison per field
    fb = m.how != 1
    cand = np.flatnonzero(m.check | fb)
    co, cn = oi[cand], ni[cand]
    diff = np.zeros((len(cand), len(flds)), bool)
    for j, f in enumerate(flds):
        diff[:, j] = o.norm_at(f, co).to_numpy(dtype=object) != n.norm_at(f, cn).to_numpy(dtype=object)
    # a pair found by a fallback whose keys both exist but differ: the key itself changed
    ka, kb = o.key_at(key, co).to_numpy(dtype=object), n.key_at(key, cn).to_numpy(dtype=object)
    key_diff = fb[cand] & pd.notna(ka) & pd.notna(kb) & (ka != kb)
    col = {f: j for j, f in enumerate(flds)}
    school = diff[:, [col[f] for f in SCHOOL_FIELDS if f in col]].any(axis=1)
    klass = diff[:, [col[f] for f in CLASS_FIELDS if f in col]].any(axis=1)
    other = key_diff | diff[:, [j for f, j in col.items() if f not in SCHOOL_FIELDS + CLASS_FIELDS]].any(axis=1)
    cand_status = np.where(
        school | klass, _STATUS_CODE["moved"], np.where(other, _STATUS_CODE["changed"], _STATUS_CODE["unchanged"])
    ).astype(np.int8)

    # -- one status per record
    task.step("判定状态")
    o_status, n_status = m.o_status.copy(), m.n_status.copy()
    o_cp, n_cp = m.o_link.copy(), m.n_link.copy()
    o_how, n_how = np.zeros(o.n, np.int8), np.zeros(n.n, np.int8)
    o_plain, n_plain = o_status[oi] == 0, n_status[ni] == 0
    o_status[oi[o_plain]] = _STATUS_CODE["unchanged"]
    n_status[ni[n_plain]] = _STATUS_CODE["unchanged"]
    for side_status, idx in ((o_status, co), (n_status, cn)):
        plain = side_status[idx] == _STATUS_CODE["unchanged"]
        side_status[idx[plain]] = cand_status[plain]
    o_cp[oi], n_cp[ni] = ni, oi
    o_how[oi], n_how[ni] = m.how, m.how
    o_status[o_status == 0] = _STATUS_CODE["removed"]
    n_status[n_status == 0] = _STATUS_CODE["added"]

    o_fields, n_fields = np.full(o.n, None, object), np.full(n.n, None, object)
    differ = np.flatnonzero(diff.any(axis=1) | key_diff)
    if len(differ):
        names = np.array(flds, dtype=object)
        per_pair = [",".join(([key] if key_diff[k] else []) + list(names[diff[k]])) for k in differ]
        o_fields[co[differ]] = per_pair
        n_fields[cn[differ]] = per_pair

    # -- the change list, and every sentence (only for the records that have one)
    task.step("核对异动并说明")
    ch = _changes(con, o, n, key, changes, changes_layout) if changes is not None else None
    o_rec = ch["per_record"]["o"] if ch else {}
    n_rec = ch["per_record"]["n"] if ch else {}
    o_expl, n_expl = np.full(o.n, -1, np.int8), np.full(n.n, -1, np.int8)  # -1 NA, 0 False, 1 True
    o_type, n_type = np.full(o.n, None, object), np.full(n.n, None, object)
    o_reason, n_reason = np.full(o.n, None, object), np.full(n.n, None, object)
    ot, nt = _title(o.name, "old"), _title(n.name, "new")
    explained_changes: set[int] = set()

    # removed / added: explained by a change record of the right direction
    for status, recs, expl, typ, reason, want, other_t, what in (
        (o_status, o_rec, o_expl, o_type, o_reason, REMOVAL_TYPES, nt, "removed"),
        (n_status, n_rec, n_expl, n_type, n_reason, ADDITION_TYPES, ot, "added"),
    ):
        idx = np.flatnonzero(status == _STATUS_CODE[what])
        if ch is None:
            for i in idx:
                reason[i] = (
                    f"{other_t}中没有这名学生" if what == "removed" else f"{other_t}中原来没有这名学生"
                ) + "（没有提供异动名单，无法核对原因）"
            continue
        expl[idx] = 0
        for i in idx.tolist():
            rec = recs.get(i, [])
            fit = [c for c in rec if c["type"] in want]
            if fit:
                expl[i] = 1
                typ[i] = "、".join(dict.fromkeys(c["type"] for c in fit))
                explained_changes.update(c["row"] for c in fit)
                reason[i] = (
                    (f"{other_t}中没有这名学生" if what == "removed" else f"{other_t}中原来没有这名学生")
                    + "；异动名单"
                    + "；".join(c["text"] for c in fit)
                )
            elif what == "removed":
                reason[i] = (
                    f"{other_t}中没有这名学生，异动名单中也没有转出、退学、休学等记录：疑似流失，请核实去向（控辍保学）"
                )
            else:
                reason[i] = f"{other_t}中原来没有这名学生，异动名单中也没有转入、复学、招生等记录：请核实来源"
            if rec and not fit:
                reason[i] += "（异动名单中只有" + "；".join(c["text"] for c in rec) + "，不能解释这一变化）"

    # pairs that differ: one sentence for both sides; moves explained by 转出+转入 (or 调班 / 升级 / 留级)
    rows = np.flatnonzero(cand_status != _STATUS_CODE["unchanged"])
    texts = _pair_texts(o, n, co, cn, diff, flds, key, key_diff, school, klass, rows, unmask)
    for p in rows.tolist():  # p: index among the candidate pairs
        a, b = int(co[p]), int(cn[p])
        text, expl, typ = texts[p], -1, None
        if fb[cand[p]]:
            text = _how_text(o, n, a, b, m.levels[m.how[cand[p]] - 1], key, unmask) + "；" + text
        if cand_status[p] == _STATUS_CODE["moved"] and ch is not None:
            rec = list({c["row"]: c for c in o_rec.get(a, []) + n_rec.get(b, [])}.values())
            types = {c["type"] for c in rec}
            if school[p]:
                fit = [c for c in rec if c["type"] in ("转出", "转入")]
                if {"转出", "转入"} <= types:
                    expl, typ = 1, "转出+转入"
                    text += "；异动名单" + "；".join(c["text"] for c in fit)
                    explained_changes.update(c["row"] for c in fit)
                else:
                    expl = 0
                    lacking = "、".join(t for t in ("转出", "转入") if t not in types)
                    text += f"；异动名单中没有这次转学的{lacking}记录"
                    if fit:
                        text += "（只有" + "；".join(c["text"] for c in fit) + "）"
            else:
                fit = [c for c in rec if c["type"] in CLASS_TYPES]
                if fit:
                    expl, typ = 1, "、".join(dict.fromkeys(c["type"] for c in fit))
                    text += "；异动名单" + "；".join(c["text"] for c in fit)
                    explained_changes.update(c["row"] for c in fit)
        for i, status, reason, ex, ty in (
            (a, o_status, o_reason, o_expl, o_type),
            (b, n_status, n_reason, n_expl, n_type),
        ):
            if status[i] == cand_status[p]:
                reason[i], ex[i], ty[i] = text, expl, typ
    # pairs found by a fallback and otherwise unchanged still say how they were found
    for p in np.flatnonzero(fb[cand] & (cand_status == _STATUS_CODE["unchanged"])).tolist():
        a, b = int(co[p]), int(cn[p])
        text = _how_text(o, n, a, b, m.levels[m.how[cand[p]] - 1], key, unmask) + "，信息无变化"
        for i, status, reason in ((a, o_status, o_reason), (b, n_status, n_reason)):
            if status[i] == _STATUS_CODE["unchanged"]:
                reason[i] = text

    _dup_reasons(o, n, m, key, o_status, n_status, o_reason, n_reason, o_cp, n_cp, o_rec, n_rec, unmask)
    for status, reason in ((o_status, o_reason), (n_status, n_reason)):
        reason[status == _STATUS_CODE["missing_key"]] = (
            f"没有{KEY_ZH.get(key, key)}，身份证件号、姓名、性别、出生日期也不全，无法与另一份名单对应：请补全后再比对"
        )

    # change records about students whose record shows no such difference: say so where they are
    if ch is not None:
        for recs, status, reason in ((o_rec, o_status, o_reason), (n_rec, n_status, n_reason)):
            for i, rec in recs.items():
                if status[i] in (_STATUS_CODE["unchanged"], _STATUS_CODE["changed"]) or (
                    status[i] == _STATUS_CODE["moved"] and not any(c["row"] in explained_changes for c in rec)
                ):
                    note = "异动名单" + "；".join(c["text"] for c in rec) + "，但两份名单中都有这名学生：请核实"
                    reason[i] = f"{reason[i]}；{note}" if reason[i] else note

    o_frame = _frame("old", o, key, o_status, o_expl, o_type, o_reason, o_cp, o_how, m.levels, o_fields, unmask)
    n_frame = _frame("new", n, key, n_status, n_expl, n_type, n_reason, n_cp, n_how, m.levels, n_fields, unmask)
    ch_frame = _changes_frame(ch, o, n, key, explained_changes, o_status, n_status, unmask) if ch else None
    return {"old": o_frame, "new": n_frame, "changes": ch_frame}


def _how_text(o: _Roster, n: _Roster, a: int, b: int, how: str, key: str, unmask: bool) -> str:
    """How a pair found by a fallback was found: 旧名单中没有学籍号，按姓名+性别+出生日期对应."""
    kz = KEY_ZH.get(key, key)
    ka, kb = o.key(key).iat[a], n.key(key).iat[b]  # the whole key column is at hand
    if pd.isna(ka) and pd.isna(kb):
        lead = f"两份名单都没有{kz}"
    elif pd.isna(ka):
        lead = f"{_title(o.name, 'old')}中没有{kz}"
    elif pd.isna(kb):
        lead = f"{_title(n.name, 'new')}中没有{kz}"
    else:
        lead = f"{kz}不同"
    return f"{lead}，按{KEY_ZH.get(how, how)}对应"


def _pair_texts(o, n, co, cn, diff, flds, key, key_diff, school, klass, rows, unmask) -> dict[int, str]:
    """The sentence for each candidate pair in ``rows``: the move (school/class) first, then every other
    changed field with both values (personal values masked)."""
    out: dict[int, str] = {}
    if not len(rows):
        return out
    col = {f: j for j, f in enumerate(flds)}
    parts: dict[int, list[str]] = {p: [] for p in rows.tolist()}
    wo, wn = o.where(co[rows]), n.where(cn[rows])
    for k, p in enumerate(rows.tolist()):
        if school[p]:
            parts[p].append(f"转学：{wo[k]} → {wn[k]}")
        elif klass[p]:
            parts[p].append(f"调班或年级变化：{wo[k]} → {wn[k]}")
    detail: dict[int, list[str]] = {p: [] for p in rows.tolist()}

    def add(code, sel):
        a, b = o.shown(code, co[sel], unmask), n.shown(code, cn[sel], unmask)
        name = o.fname(code)
        for p, x, y in zip(sel.tolist(), a, b):
            same_shown = " （内容不同，已遮盖）" if x == y else ""
            detail[p].append(f"{name}：{x} → {y}{same_shown}".replace(" （", "（"))

    if key_diff[rows].any():
        add(key, rows[key_diff[rows]])
    for f in flds:
        if f not in SCHOOL_FIELDS + CLASS_FIELDS:
            sel = rows[diff[rows, col[f]]]
            if len(sel):
                add(f, sel)
    for p in parts:
        text = "；".join(parts[p])
        if detail[p]:
            text += ("；其他变化：" if text else "信息变化：") + "；".join(detail[p])
        out[p] = text
    return out


def _dup_reasons(o, n, m: _Match, key, o_status, n_status, o_reason, n_reason, o_cp, n_cp, o_rec, n_rec, unmask):
    """duplicate_key records name every copy (row, school, class), the other side's record and the change
    records about the student; the single record facing copies on the other side says so."""
    kz = KEY_ZH.get(key, key)
    for r, other, status, reason, cp, recs, dkind, fid, side in (
        (o, n, o_status, o_reason, o_cp, o_rec, m.o_dup_kind, m.fid_o, "old"),
        (n, o, n_status, n_reason, n_cp, n_rec, m.n_dup_kind, m.fid_n, "new"),
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
            listing = "、".join(f"第 {i + 1} 行（{where_all[i]}）" for i in members)
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
                head += f"；{other_title}中是第 {'、'.join(str(c + 1) for c in counterpart)} 行"
            rec = list({c["row"]: c for i in members for c in recs.get(int(i), [])}.values())
            if rec:
                types = {c["type"] for c in rec}
                head += "；异动名单" + "；".join(c["text"] for c in rec)
                if len(schools) > 1 and "转入" in types and "转出" not in types:
                    head += "，没有原学校的转出记录"
            elif len(schools) > 1:
                head += "；异动名单中没有相关的转出、转入记录"
            for i in members:
                reason[i] = head
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
            note = (
                f"{other_title}中同一{kz}有 {len(members)} 条记录（第 {'、'.join(str(i + 1) for i in members)} "
                f"行，重复）；本条与第 {cp[s] + 1} 行比较"
            )
            reason[s] = f"{note}：{reason[s]}" if reason[s] else f"{note}，信息无变化"


def _frame(side: str, r: _Roster, key: str, status, expl, typ, reason, cp, how, levels, fields, unmask) -> pd.DataFrame:
    kind = "id" if key in ID_FIELDS else r.personal(key)
    out = pd.DataFrame(
        {
            "side": _categorical_text(np.ones(r.n, np.int8), ["", side]),
            "row": np.arange(1, r.n + 1, dtype=np.int64),
            "key": _mask_keys(r.key(key), kind, unmask),
            "status": _categorical_text(status, _WORKING_STATUSES),
            "explained": pd.arrays.BooleanArray(expl == 1, expl < 0),
            "change_type": _sparse(typ, None),
            "reasons": _sparse(reason, ""),
            "counterpart_row": pd.arrays.IntegerArray(np.where(cp >= 0, cp + 1, 0), cp < 0),
            "matched_by": _categorical_text(how, ["", *levels]),
            "changed_fields": _sparse(fields, ""),
        }
    )
    for c in CONTEXT:
        out[c] = r.col(c)
    return out[RESULT_COLUMNS]


def _categorical_text(values: np.ndarray, categories) -> pd.Series:
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
    return decode_codes(codes, categories, mask=codes < 0)


def _sparse(values: np.ndarray, fill: str | None) -> pd.Series:
    """An object array that is mostly None (set only where there is something to say) as a pandas ``str``
    column, None → ``fill`` (or missing)."""
    nz = np.flatnonzero(~pd.isna(values))
    codes = np.zeros(len(values), np.int32)
    codes[nz] = np.arange(1, len(nz) + 1, dtype=np.int32)
    return decode_codes(codes, [fill or ""] + [str(v) for v in values[nz]], mask=(codes == 0) if fill is None else None)


# ------------------------------------------------------------------------------------------- change list


def _changes(con, o: _Roster, n: _Roster, key: str, changes: ListSource, changes_layout) -> dict:
    """Match each change record to the students it is about (every record of either roster with that
    identity): by the key, else the ID, else 姓名+性别+出生日期. Returns per roster record the change
    records about it (row, type, sentence), and per change record the roster records it matched."""
    c = _Roster(changes, _load(changes_layout), "changes")
    if not c.has("YDLB"):
        raise LayoutError("异动名单缺少异动类别（YDLB）字段，无法用来解释名单的变化")
    every = np.arange(c.n)
    raw_type = c.at("YDLB", every)
    ctype = load_code_table("xjyd_k12").to_label(raw_type).fillna(raw_type)
    levels = [
        lv
        for lv in dict.fromkeys([key, ID_FIELDS[0], NAME_SEX_BIRTH])
        if lv == NAME_SEX_BIRTH or (c.id_field() is not None if lv in ID_FIELDS else c.has(lv))
    ]
    found_c, found_side, found_i, found_how = [], [], [], []
    free = np.ones(c.n, bool)
    for level in levels:
        todo = np.flatnonzero(free)
        ci, ck = _keyed(todo, c.key_at(level, todo))
        if not len(ci):
            continue
        for side, r in (("o", o), ("n", n)):
            ri, rk = _keyed(np.arange(r.n), r.key(level))
            a, b = _join(con, ci, ck, ri, rk, unique=False)
            found_c.append(a), found_side.append(np.full(len(a), side, "<U1"))
            found_i.append(b), found_how.append(np.full(len(a), level, "<U12"))
            free[a] = False
    fc = np.concatenate(found_c) if found_c else np.zeros(0, np.int64)
    fs = np.concatenate(found_side) if found_side else np.zeros(0, "<U1")
    fi = np.concatenate(found_i) if found_i else np.zeros(0, np.int64)
    fh = np.concatenate(found_how) if found_how else np.zeros(0, "<U12")
    # one sentence per change record that found a student: 第 3 行：转出（20251202，示范县青松小学，对方学校 …）
    used = np.unique(fc)
    date, school, other, why = (c.at(x, used).tolist() for x in ("YDRQ", "XXMC", "DFXX", "YDYY"))
    types = ctype.take(used).tolist()
    texts = {}
    for k, ci in enumerate(used.tolist()):
        bits = [
            x
            for x in (
                date[k],
                school[k],
                f"对方学校 {other[k]}" if other[k] else "",
                f"原因 {why[k]}" if why[k] else "",
            )
            if x
        ]
        texts[ci] = {
            "row": ci,
            "type": types[k],
            "date": date[k],
            "text": f"第 {ci + 1} 行：{types[k]}" + (f"（{'，'.join(bits)}）" if bits else ""),
        }
    per: dict[str, dict[int, list]] = {"o": {}, "n": {}}
    for k in np.lexsort((fc, fi)).tolist():
        per[str(fs[k])].setdefault(int(fi[k]), []).append(texts[int(fc[k])])
    for side in per.values():
        for recs in side.values():
            recs.sort(key=lambda t: (t["date"], t["row"]))
    return {"roster": c, "types": ctype, "fc": fc, "fs": fs, "fi": fi, "fh": fh, "per_record": per}


def _changes_frame(ch: dict, o: _Roster, n: _Roster, key, explained: set, o_status, n_status, unmask) -> pd.DataFrame:
    """One row per change record: what it was matched to and whether it explains a difference."""
    c: _Roster = ch["roster"]
    fc, fs, fi, fh = ch["fc"], ch["fs"], ch["fi"], ch["fh"]
    old_row, new_row = np.full(c.n, -1, np.int64), np.full(c.n, -1, np.int64)
    how = np.full(c.n, "", "<U12")
    for k in np.lexsort((fi, fc))[::-1].tolist():  # the first (lowest) record per change record and side
        (old_row if fs[k] == "o" else new_row)[fc[k]] = fi[k]
        how[fc[k]] = fh[k]
    status = np.where(
        np.isin(np.arange(c.n), list(explained)),
        "explains",
        np.where((old_row >= 0) | (new_row >= 0), "no_difference", "not_found"),
    )
    ot, nt = _title(o.name, "old"), _title(n.name, "new")
    reasons = []
    for i in range(c.n):  # a change list is short: one sentence per record
        where, dup = [], False
        for rows_, title, st in ((old_row, ot, o_status), (new_row, nt, n_status)):
            if rows_[i] >= 0:
                where.append(f"{title}第 {rows_[i] + 1} 行（{STATUS_ZH[_WORKING_STATUSES[st[rows_[i]]]]}）")
                dup |= st[rows_[i]] == _STATUS_CODE["duplicate_key"]
        found = f"按{KEY_ZH.get(str(how[i]), str(how[i]))}对应到" + "，".join(where)
        if status[i] == "explains":
            reasons.append(f"{found}，说明了这一变化")
        elif status[i] == "no_difference" and dup:
            reasons.append(f"{found}：这名学生在名单中重复，见该记录的说明")
        elif status[i] == "no_difference":
            reasons.append(f"{found}，但名单中没有与之相应的变化：请核实")
        else:
            reasons.append("两份名单中都找不到这名学生（学籍号、身份证件号、姓名+性别+出生日期都对不上）")
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


# ------------------------------------------------------------------------------------------------ handoff


def handoff(
    graduates,
    intake,
    key: str | None = None,
    *,
    graduates_name: str = "毕业生",
    intake_name: str = "新生",
    layout="k12_student",
    unmask: bool = False,
    engine=None,
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
    for k, i in enumerate(hit.tolist()):
        others = [v for v in g_all.get(i, []) if v != g_hit[i]]
        text = f"升入 {dest[k]}（{tt}第 {g_hit[i] + 1} 行，按{KEY_ZH.get(str(g_how[i]), str(g_how[i]))}找到）"
        if others:
            text += (
                "；同时出现在"
                + "、".join(f"{tt}第 {v + 1} 行（{w}）" for v, w in zip(others, t.where(np.array(others))))
                + "：疑似重复学籍，请核实"
            )
        g_reason[i] = text
    for i in np.flatnonzero(g_status == "not_enrolled").tolist():
        text = f"在{tt}中找不到（{levels_zh}都没有对应记录）：请核实去向（外地就读、未升学等，控辍保学）"
        if i in ambiguous:
            text += (
                "；姓名+性别+出生日期与" + "、".join(f"第 {v + 1} 行" for v in ambiguous[i]) + "相同，无法确定是哪一位"
            )
        g_reason[i] = text
    g_reason[g_status == "missing_key"] = f"没有{levels_zh}，无法查找：请补全后再核对"
    t_reason = np.full(t.n, None, object)
    th = np.flatnonzero(t_hit >= 0)
    src = g.where(t_hit[th])
    for k, i in enumerate(th.tolist()):
        t_reason[i] = f"来自{gt}第 {t_hit[i] + 1} 行（{src[k]}，按{KEY_ZH.get(str(t_how[i]), str(t_how[i]))}找到）"
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
