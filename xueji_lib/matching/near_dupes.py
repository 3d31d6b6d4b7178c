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
from typing import TYPE_CHECKING

import pandas as pd

from ..checks.near_pairs import KIND_ZH, KINDS, LIST_STRIDE, MAX_GROUP, find_pairs, worded
from ..core.files import safe_file_name
from ..core.privacy import mask_id
from ..core.progress import Progress, ProgressArg
from ..core.result import Column, OutputFiles, Result, ResultList, fill, summary_sheet, words
from ..core.rows import row_meaning
from ..engine.engines import Engine, engine_for
from ..io.lists import list_sheet, write_json, write_workbook
from ..io.source import ListSource
from .compare_result import grade_words

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["near_duplicates", "NearDuplicateResult", "KINDS", "KIND_ZH", "DUPES_OUTPUT_NAMES"]

DUPES_OUTPUT_NAMES = {
    "workbook": "疑似重复学生信息表.xlsx",
    "by_school": "疑似重复_按学校",  # a folder: one workbook per school (the bureau sends each its own)
    "summary": "summary.json",
}
STEPS = ("准备名单", "按姓名和出生日期查找", "按身份证号查找", "整理结果")


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
        found = find_pairs(con, sources, max_group=max_group, step=task.step)
        task.step("整理结果")
        pairs = worded(found.detail, names, sources)
        engine_name = con.name
    totals = {name: int(sources[name].count) for name in names}
    return NearDuplicateResult(
        pairs=pairs,
        totals=totals,
        params={"lists": names, "engine": engine_name, "max_group": int(max_group), "fields": found.fields},
        crowded_names=found.crowded_names,
        crowded_ids=found.crowded_ids,
        inputs=sources,
    )


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
                p["li_a"].astype("int64") * LIST_STRIDE + p["r_a"].astype("int64"),
                p["li_b"].astype("int64") * LIST_STRIDE + p["r_b"].astype("int64"),
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
