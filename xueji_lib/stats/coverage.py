"""核查执行统计：how far a 学籍核查 (or any collection round) has got — given the schools that should report
(a schools file: 学校标识码, 学校名称, 区县 [, 地市]; layout ``k12_schools``) and what has come in, how many
records each school has submitted, which have not, which have errors (``validate``), by county and by city.

    >>> import xueji_lib as xj
    >>> from xueji_lib.stats.coverage import coverage
    >>> schools = pd.DataFrame({"学校标识码": ["2143012911", "2143012912", "2143012901"],
    ...                         "学校名称": ["示范县第三小学", "示范县实验中学", "示范县第一小学"],
    ...                         "区县": ["430121", "430121", "430121"]})
    >>> res = coverage(schools, "data_samples/k12/核查_2026秋")                       # doctest: +SKIP
    >>> res.table("未上报学校")["学校名称"].tolist()                                     # doctest: +SKIP
    ['示范县第一小学']

A submitted record counts for the school whose 学校标识码 it carries; a record whose 学校标识码 is not in the
schools file counts for the school of the same 学校名称, else for 名单外学校 (listed, so that every record
submitted is accounted for). Counting happens in the engine (records grouped by 学校标识码 and 学校名称, and
by whether ``validate`` found an error in them).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.errors import XuejiError
from ..core.normalize import as_text
from ..core.result import TOTAL, ChartSpec, OutputFiles, Result, ResultList
from ..engine.engines import Engine, engine_for
from ..schema.codes import load_code_table
from ..schema.layouts import load_layout
from .statistics import count_lists, save_tables, table_by_title

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["CoverageResult", "CoverageInputError", "coverage", "read_schools", "SCHOOL_COLUMNS"]

SCHOOL_COLUMNS = ["学校标识码", "学校名称", "区县", "区县代码", "地市"]
NOT_LISTED = "名单外学校"
STATUS_NONE, STATUS_ERRORS, STATUS_OK = "未上报", "已上报，有误", "已上报，无误"
STATUS_UNCHECKED = "已上报"


class CoverageInputError(XuejiError, ValueError):
    """The schools file or a submission cannot be used (a required column missing, an unreadable file)."""


def read_schools(schools: pd.DataFrame | str | os.PathLike) -> pd.DataFrame:
    """The schools file as a frame with ``SCHOOL_COLUMNS``: 学校标识码, 学校名称, 区县 (name), 区县代码 (6 digits,
    "" when the 区县 is a name the 行政区划 table does not know for sure), 地市 (from the file, else from the
    区县代码). Headers as in layout ``k12_schools`` (学校标识码/学校名称/区县/地市, or their field codes).

    >>> read_schools(pd.DataFrame({"学校标识码": ["2143012901"], "名称": ["第一小学"], "区县": ["430121"]})).iloc[0].tolist()
    ['2143012901', '第一小学', '长沙县', '430121', '长沙市']
    """
    lay = load_layout("k12_schools")
    if isinstance(schools, pd.DataFrame):
        df = schools.rename(columns=lambda c: lay.match_header(str(c)) or str(c).upper())
        where = "学校名单"
    else:
        from ..io.tables import read_table

        where = Path(schools).name
        df = read_table(schools, lay)
    missing = [f"{lay.field(c).name}（{c}）" for c in lay.required if c not in df.columns]
    if missing:
        raise CoverageInputError(f"{where}：缺少 {'、'.join(missing)} 列；学校名单应有 学校标识码、学校名称、区县 三列")
    xzqh = load_code_table("xzqh")
    labels = xzqh.labels_by_code()
    qx = as_text(df["QX"]).str.strip().fillna("")
    code = qx.where(qx.str.fullmatch(r"\d{6}"), "")
    by_name = {}
    for v in qx[code == ""].unique():
        entry, kind = xzqh.match(v) if v else (None, "empty")
        by_name[v] = entry.code if entry is not None and kind not in ("unknown", "empty") else ""
    code = code.where(code != "", qx.map(by_name).fillna(""))
    name = np.where(code != "", code.map(labels).fillna(qx), qx)

    def city_of(c: str) -> str:
        if not c:
            return ""
        return labels.get(c[:4] + "00") or labels.get(c[:2] + "0000", "")

    city = code.map(city_of)
    if "DS" in df.columns:
        given = as_text(df["DS"]).str.strip().fillna("")
        city = given.where(given != "", city)
    out = pd.DataFrame(
        {
            "学校标识码": as_text(df["XXBSM"]).str.strip().fillna(""),
            "学校名称": as_text(df["XXMC"]).str.strip().fillna(""),
            "区县": pd.Series(name, dtype=object).fillna("").astype(str),
            "区县代码": code.astype(str),
            "地市": city.fillna("").astype(str),
        }
    )
    dup = out["学校标识码"][out["学校标识码"].duplicated() & (out["学校标识码"] != "")]
    if len(dup):
        raise CoverageInputError(f"{where}：学校标识码 {dup.iloc[0]} 出现不止一次，每所学校只能列一行")
    return out.astype("str")


def _submissions(submissions) -> dict[str, pd.DataFrame]:
    """{name: frame}: a folder (every .xlsx/.xls/.csv/.dbf in it), one path, a frame, or a list/dict of them."""
    from ..io.loading import load_list

    def load(p) -> pd.DataFrame:
        data, layout, reason = load_list(p, "k12_student")
        return data

    from ..io.parquet import is_parquet_folder
    from ..io.source import ListSource

    if isinstance(submissions, pd.DataFrame):
        return {"上报名单": submissions}
    if isinstance(submissions, ListSource):
        return {submissions.name or "上报名单": submissions.frame()}
    if isinstance(submissions, str | os.PathLike) and is_parquet_folder(submissions):
        return {Path(submissions).name: load(submissions)}
    if isinstance(submissions, Mapping):
        return {str(k): (v if isinstance(v, pd.DataFrame) else load(v)) for k, v in submissions.items()}
    if isinstance(submissions, str | os.PathLike) and Path(submissions).is_dir():
        files = sorted(
            p
            for p in Path(submissions).iterdir()
            if p.suffix.lower() in (".xlsx", ".xls", ".csv", ".dbf") and not p.name.startswith("~$")
        )
        if not files:
            raise CoverageInputError(f"文件夹 {Path(submissions).name} 中没有上报的名单文件（.xlsx/.xls/.csv/.dbf）")
        return {p.name: load(p) for p in files}
    if isinstance(submissions, str | os.PathLike):
        return {Path(submissions).name: load(submissions)}
    out = {}
    for i, s in enumerate(submissions):
        key = Path(s).name if isinstance(s, str | os.PathLike) else f"名单{i + 1}"
        out[key] = s if isinstance(s, pd.DataFrame) else load(s)
    return out


@dataclass(frozen=True)
class CoverageResult(Result):
    """核查执行统计. ``tables``: 按学校 (one row per school of the schools file, then 名单外学校: 应报, 上报记录数,
    有误记录数, 状态), 未上报学校, 有误学校, 按区县, 按地市 (学校数, 已上报, 未上报, 有误, 上报记录数, 有误记录数,
    上报率（%）), each ending in 合计 where it counts; ``total`` (records submitted), ``notes``.

    ``conserved``: the schools' 上报记录数 (名单外 included) add up to the records submitted.

        >>> res = xj.coverage("应报学校.xlsx", ["示范县第三小学.xlsx", "示范县实验中学.xlsx"])   # doctest: +SKIP
        >>> res.table("未上报学校")                                                      # doctest: +SKIP
    """

    tables: dict[str, pd.DataFrame]
    total: int
    schools: int
    notes: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """One table by its title (``"按区县"``)."""
        return table_by_title(self.tables, name)

    @property
    def counts(self) -> dict:
        by = self.tables["按学校"].iloc[:-1]
        listed = by[by["学校标识码"] != NOT_LISTED]
        return {
            "total": int(self.total),
            "schools": int(self.schools),
            "reported": int((listed["上报记录数"] > 0).sum()),
            "not_reported": int((listed["上报记录数"] == 0).sum()),
            "with_errors": int((listed["有误记录数"] > 0).sum()),
            "records_with_errors": int(by["有误记录数"].sum()),
            "not_listed_records": int(by.loc[by["学校标识码"] == NOT_LISTED, "上报记录数"].sum()),
        }

    @property
    def conserved(self) -> bool:
        return int(self.tables["按学校"].iloc[-1]["上报记录数"]) == int(self.total)

    def summary(self) -> str:
        c = self.counts
        lines = [
            f"核查执行统计：应报学校 {c['schools']} 所，已上报 {c['reported']} 所，未上报 {c['not_reported']} 所"
            f"（{c['reported']} + {c['not_reported']} = {c['schools']}）",
            f"上报记录 {c['total']} 条，其中有误 {c['records_with_errors']} 条；有误的学校 {c['with_errors']} 所",
        ]
        if c["not_listed_records"]:
            lines.append(f"有 {c['not_listed_records']} 条记录的学校不在应报学校名单中（见按学校表的“名单外学校”）")
        lines += [f"说明：{n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "total": int(self.total),
            "schools": int(self.schools),
            "counts": self.counts,
            "params": dict(self.params),
            "notes": list(self.notes),
            "tables": {k: json.loads(t.to_json(orient="records", force_ascii=False)) for k, t in self.tables.items()},
        }

    def summary_frame(self) -> pd.DataFrame:
        c = self.counts
        rows = [
            ("应报学校", c["schools"], "学校名单中的学校"),
            ("已上报学校", c["reported"], "至少有 1 条记录"),
            ("未上报学校", c["not_reported"], "已上报 + 未上报 = 应报"),
            ("有误学校", c["with_errors"], "至少 1 条记录校验有误"),
            ("上报记录数", c["total"], "各校上报记录数（含名单外学校）之和"),
            ("有误记录数", c["records_with_errors"], "xueji validate 的数据有误记录"),
        ]
        return pd.DataFrame(rows, columns=["项目", "数值", "说明"])

    def lists(self) -> list[ResultList]:
        return count_lists(self.tables)

    def save(self, folder: str | os.PathLike) -> OutputFiles:
        """核查执行统计.xlsx and summary.json."""
        return save_tables(self, folder, "核查执行统计", "核查执行统计")

    def chart_spec(self) -> ChartSpec | None:
        t = self.tables["按区县"].iloc[:-1]
        return ChartSpec(
            "各区县上报情况",
            t["区县"].astype("str").tolist(),
            {"已上报": t["已上报"].astype(int).tolist(), "未上报": t["未上报"].astype(int).tolist()},
            category_title="区县",
            value_title="学校数",
            legend="",
            barmode="stack",
        )


def coverage(
    schools: pd.DataFrame | str | os.PathLike,
    submissions: pd.DataFrame | str | os.PathLike | Sequence | Mapping,
    *,
    validate: bool = True,
    school_year: int | None = None,
    engine: str | Engine | SparkSession | None = None,
) -> CoverageResult:
    """核查执行统计 of ``submissions`` (the rosters that came in: a folder of workbooks, a path, a frame, or a
    list/dict of them; read as ``k12_student``) against ``schools`` (the schools that should report; see
    ``read_schools``). ``validate``: check every submission (``xueji validate``'s rules) and count the records
    with errors per school; ``school_year`` is passed to it. ``engine``: where the counting runs.

    >>> res = coverage("应报学校.xlsx", "核查_2026秋")          # doctest: +SKIP
    >>> res.table("按区县")                                     # doctest: +SKIP
    """
    from ..checks.validate import validate as run_validate

    sch = read_schools(schools)
    subs = _submissions(submissions)
    parts, notes = [], []
    for name, df in subs.items():
        cols = {str(c).upper(): c for c in df.columns}
        n = len(df)
        code = as_text(df[cols["XXBSM"]]).str.strip() if "XXBSM" in cols else pd.Series([None] * n, dtype=object)
        sname = as_text(df[cols["XXMC"]]).str.strip() if "XXMC" in cols else pd.Series([None] * n, dtype=object)
        failed = np.zeros(n, bool)
        if validate:
            v = run_validate(df, "k12_student", school_year=school_year)
            failed = np.asarray(v.failed, dtype=bool)
        parts.append(
            pd.DataFrame(
                {
                    "code": code.to_numpy(dtype=object),
                    "name": sname.to_numpy(dtype=object),
                    "bad": failed.astype(np.int64),
                }
            )
        )
        if "XXBSM" not in cols and "XXMC" not in cols:
            notes.append(f"{name}：没有学校标识码和学校名称，{n} 条记录都计为名单外学校")
    records = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"code": [], "name": [], "bad": []})
    with engine_for(engine) as con:
        con.register("cov_records", records)
        con.register("cov_schools", sch.rename(columns={"学校标识码": "code", "学校名称": "name"})[["code", "name"]])
        got = con.sql(
            "WITH r AS (SELECT coalesce(s1.code, s2.code) AS school, count(*) AS n, sum(r.bad) AS bad "
            "FROM cov_records r LEFT JOIN cov_schools s1 ON r.code = s1.code "
            "LEFT JOIN (SELECT name, min(code) AS code FROM cov_schools GROUP BY name HAVING count(*) = 1) s2 "
            "ON s1.code IS NULL AND r.name = s2.name GROUP BY 1) SELECT * FROM r"
        ).to_pandas()
        by_name = con.sql(
            "SELECT count(*) AS n FROM cov_records r LEFT JOIN cov_schools s1 ON r.code = s1.code "
            "JOIN cov_schools s2 ON s1.code IS NULL AND r.name = s2.name"
        ).to_pandas()
        con.unregister("cov_records")
        con.unregister("cov_schools")
    got["n"] = got["n"].astype(np.int64)
    got["bad"] = got["bad"].fillna(0).astype(np.int64)
    listed = got[got["school"].notna()].set_index("school")
    other = got[got["school"].isna()]
    table = sch[["地市", "区县", "学校标识码", "学校名称"]].copy()
    table["上报记录数"] = table["学校标识码"].map(listed["n"]).fillna(0).astype(np.int64)
    table["有误记录数"] = table["学校标识码"].map(listed["bad"]).fillna(0).astype(np.int64)
    table["状态"] = np.where(
        table["上报记录数"] == 0,
        STATUS_NONE,
        np.where(table["有误记录数"] > 0, STATUS_ERRORS, STATUS_OK if validate else STATUS_UNCHECKED),
    )
    if len(other):
        table = pd.concat(
            [
                table,
                pd.DataFrame(
                    [
                        {
                            "地市": "",
                            "区县": "",
                            "学校标识码": NOT_LISTED,
                            "学校名称": "学校标识码和学校名称都不在学校名单中的记录",
                            "上报记录数": int(other["n"].sum()),
                            "有误记录数": int(other["bad"].sum()),
                            "状态": "请核实学校",
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    total = int(len(records))
    tables = {"按学校": _total_row(table, ["上报记录数", "有误记录数"])}
    listed_only = table[table["学校标识码"] != NOT_LISTED]
    tables["未上报学校"] = listed_only[listed_only["状态"] == STATUS_NONE][
        ["地市", "区县", "学校标识码", "学校名称"]
    ].reset_index(drop=True)
    tables["有误学校"] = (
        listed_only[listed_only["有误记录数"] > 0][
            ["地市", "区县", "学校标识码", "学校名称", "上报记录数", "有误记录数"]
        ]
        .sort_values("有误记录数", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    for title, keys in (("按区县", ["地市", "区县"]), ("按地市", ["地市"])):
        g = listed_only.assign(
            已上报=(listed_only["上报记录数"] > 0).astype(np.int64),
            未上报=(listed_only["上报记录数"] == 0).astype(np.int64),
            有误=(listed_only["有误记录数"] > 0).astype(np.int64),
            学校数=1,
        )
        agg = (
            g.groupby(keys, sort=False)[["学校数", "已上报", "未上报", "有误", "上报记录数", "有误记录数"]]
            .sum()
            .reset_index()
        )
        agg = _total_row(agg, ["学校数", "已上报", "未上报", "有误", "上报记录数", "有误记录数"])
        agg["上报率（%）"] = (agg["已上报"] / agg["学校数"].where(agg["学校数"] > 0, 1) * 100).round(2)
        tables[title] = agg
    if int(by_name["n"].iloc[0]):
        notes.append(f"{int(by_name['n'].iloc[0])} 条记录的学校标识码不在学校名单中，按学校名称对应到名单中的学校")
    if not validate:
        notes.append("未做校验（validate=False），有误记录数都为 0")
    return CoverageResult(
        tables=tables,
        total=total,
        schools=len(sch),
        notes=notes,
        params={"submissions": list(subs), **({"school_year": school_year} if school_year else {})},
    )


def _total_row(table: pd.DataFrame, sums: list[str]) -> pd.DataFrame:
    row = {c: "" for c in table.columns}
    row[table.columns[0]] = TOTAL
    for c in sums:
        row[c] = int(table[c].sum())
    out = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
    for c in sums:
        out[c] = out[c].astype(np.int64)
    for c in out.columns:
        if c not in sums:
            out[c] = out[c].astype(object).fillna("").astype(str).astype("str")
    return out
