"""Admission list against registration upload: the platform's match, every record accounted for, every
difference explained.

    >>> import xueji_lib as xj
    >>> adm = xj.read_dbf("data_samples/hei/10_录取名单.dbf")                    # doctest: +SKIP
    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")                    # doctest: +SKIP
    >>> states = xj.read_dbf("data_samples/hei/10_新生状态.dbf")                 # doctest: +SKIP
    >>> res = xj.reconcile(adm, reg, year=2026, category="10", states=states)   # doctest: +SKIP
    >>> print(res.summary())                                                    # doctest: +SKIP

The verdict is the platform's: a registration record matches when 录取年份 + 学历类别 + 考生号 + 姓名 + 层次
agree (学历类别 50 also 学习形式); padding and case are normalised, nothing else is forgiven. When the 考生号
finds nothing, the counterpart is looked for by 身份证号 (15 and 18 digits alike), then 姓名+出生日期, then a
考生号 one digit or one adjacent swap away (same year and school) — and the difference is explained.
The keys are worked out where the list lies — by the engine (DuckDB in this process by default, or Spark)
over folders converted by ``dbf_to_parquet``, by Arrow over frames — and joined on integer codes of the
考生号 (numpy); the counterpart search runs in the engine — or, for two frames whose search is small, in
this process without connecting one (``engines.OnDemand``) — and only the few records that differ
are explained in Python.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..checks.validate import normalized_ids
from ..core.ids import ID_NUMBER_FIELDS
from ..core.normalize import STR, date_text, decode_codes, key_text, written_text
from ..core.progress import Progress, ProgressArg
from ..core.result import (
    ChartSpec,
    Column,
    OutputFiles,
    Result,
    ResultList,
    Upload,
    count_rows,
    every_record_list,
    reason_texts,
    sides_frame,
    summary_sheet,
    words,
)
from ..core.rows import row_meaning
from ..core.textbytes import digit_codes, padded_matrix, text_array, text_bytes
from ..engine import sqlnorm
from ..engine.engines import DuckDBEngine, Engine, OnDemand, engine_on_demand, register_list
from ..io.source import ListSource
from ..schema.codes import load_code_table
from .rownames import RowNames

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["reconcile", "ReconcileResult", "REGISTRATION_STATUSES", "ADMISSION_STATUSES"]

STATES = (
    "报到入学",
    "保留入学资格",
    "放弃入学资格",
    "取消入学资格",
)  # the platform's new-student states, in this order
# A registration record whose student the new-student state list (``states``) already holds in one of the
# four states: the platform will not register it (000: "不再允许多次注册，所有数据一旦注册为报到入学，则不能在
# 【学籍注册】模块通过上传数据的方式修改"; 保留/取消入学资格 "需要在线修改学籍状态"). state → (status, what the
# platform does, what to do instead).
STATE_STATUSES = {
    "报到入学": (
        "already_registered",
        "新生状态名单中这名考生已是“报到入学”（已完成学籍注册）：平台不再允许多次注册，"
        "已报到入学的数据不能在【学籍注册】模块通过上传修改，这条记录不会被接受",
        "从注册上报中删除这条记录；信息需要修改的，进入【在校生】模块维护",
    ),
    "保留入学资格": (
        "state_deferred",
        "新生状态名单中这名考生为“保留入学资格”：平台不会把保留入学资格的考生注册为报到入学",
        "保留期内的从注册上报中删除；已回校入学的，先在平台在线修改学籍状态（恢复入学资格）再上报注册",
    ),
    "放弃入学资格": (
        "state_abandoned",
        "新生状态名单中这名考生为“放弃入学资格”：平台不会接受这名考生的注册",
        "确已放弃的从注册上报中删除；考生实际已报到（状态标错）的，先在平台更正新生状态再上报注册",
    ),
    "取消入学资格": (
        "state_cancelled",
        "新生状态名单中这名考生为“取消入学资格”：平台不会接受这名考生的注册",
        "从注册上报中删除这条记录；取消有误的，先在平台在线修改学籍状态（恢复入学资格）再上报注册",
    ),
}
REGISTRATION_STATUSES = (
    "matched",
    "key_mismatch",
    "not_admitted",
    "duplicate_key",
    "missing_key",
    *(v[0] for v in STATE_STATUSES.values()),
)
ADMISSION_STATUSES = ("matched", "key_mismatch", "not_registered")
STATUS_ZH = {
    "matched": "一致",
    "key_mismatch": "关键字段不一致",
    "not_admitted": "录取数据中没有",
    "duplicate_key": "考生号重复",
    "missing_key": "缺考生号",
    "not_registered": "未注册",
    "already_registered": "已报到入学",
    "state_deferred": "已保留入学资格",
    "state_abandoned": "已放弃入学资格",
    "state_cancelled": "已取消入学资格",
}
UNKNOWN_STATE = "状态未知"
ALL_STATUSES = (
    "",
    "matched",
    "key_mismatch",
    "not_admitted",
    "duplicate_key",
    "missing_key",
    "not_registered",
    *(v[0] for v in STATE_STATUSES.values()),
)
STATUS_CODE = {name: code for code, name in enumerate(ALL_STATUSES)}  # status → int8 code used while judging
# how a pair was found (match_by); the position is the code used while judging
MATCH_BY = ("", "考生号", "身份证号", "姓名+出生日期", "考生号相近")
RECONCILE_OUTPUT_NAMES = {  # key → file name, in the order the files are listed
    "results": "results.csv",
    "summary": "summary.json",
    "qualification_errors": "资格有误.dbf",
    "not_registered": "未注册.dbf",
    "workbook": "核对结果.xlsx",
}
RESULT_COLUMNS = ["side", "row", "KSH", "XM", "status", "state", "reasons", "action", "counterpart_row", "match_by"]


@dataclass(frozen=True)
class ReconcileResult(Result):
    """One row per input record on each side (``registration``, ``admission``): row (1-based record
    position), KSH, XM, status, state (admission side: the new-student state when known), reasons (Chinese),
    action (what to do), counterpart_row (the other side's row), match_by (考生号 / 身份证号 / …).

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> bad = res.qualification_errors()            # 资格有误: what the platform would reject
    >>> len(bad), res.conserved
    (9, True)
    >>> print(bad.loc[bad["row"] == 923, "reasons"].iloc[0])
    姓名差一个字：录取为“吴俊华”，注册为“吴俊骅”（第 3 个字）
    """

    registration: pd.DataFrame
    admission: pd.DataFrame
    params: dict = field(default_factory=dict)
    # the lists compared ({"admission": …, "registration": …, "states": …}: frames or converted folders), so
    # that the result can list their records and save its files
    inputs: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def counts(self) -> dict:
        out = {}
        for side, frame, statuses in (
            ("registration", self.registration, REGISTRATION_STATUSES),
            ("admission", self.admission, ADMISSION_STATUSES),
        ):
            vc = frame["status"].value_counts()
            out[side] = {"total": len(frame), **{s: int(vc.get(s, 0)) for s in statuses}}
        nr = self.admission[self.admission["status"] == "not_registered"]
        out["admission"]["not_registered_by_state"] = {
            s: int(v) for s, v in nr["state"].fillna("none").value_counts().items()
        }
        return out

    @property
    def conserved(self) -> bool:
        c = self.counts
        return all(
            c[s]["total"] == sum(v for k, v in c[s].items() if k in st)
            for s, st in (("registration", REGISTRATION_STATUSES), ("admission", ADMISSION_STATUSES))
        )

    def registration_statuses(self) -> tuple[str, ...]:
        """The registration statuses a summary lists: all of them when a new-student state list was given
        (or any record has a state status), else those of the platform's match alone."""
        c = self.counts["registration"]
        state_codes = tuple(v[0] for v in STATE_STATUSES.values())
        if self.inputs.get("states") is not None or any(c.get(s) for s in state_codes):
            return REGISTRATION_STATUSES
        return tuple(s for s in REGISTRATION_STATUSES if s not in state_codes)

    def results(self) -> pd.DataFrame:
        """Both sides in one frame (the command line's results.csv)."""
        return pd.concat([self.registration, self.admission], ignore_index=True)[RESULT_COLUMNS]

    def qualification_errors(self) -> pd.DataFrame:
        """资格有误: registration records the platform's match would reject (all but matched)."""
        return self.registration[self.registration["status"] != "matched"]

    def not_registered(self) -> pd.DataFrame:
        return self.admission[self.admission["status"] == "not_registered"]

    def summary(self) -> str:
        c = self.counts
        lines = ["录取数据与注册上报核对" + (f"（录取年份 {self.params['year']}）" if self.params.get("year") else "")]
        for side, title, statuses in (
            ("registration", "注册上报", self.registration_statuses()),
            ("admission", "录取数据", ADMISSION_STATUSES),
        ):
            parts = " + ".join(f"{STATUS_ZH[s]} {c[side][s]}" for s in statuses)
            lines.append(f"{title} {c[side]['total']} 条 = {parts}")
        by_state = c["admission"]["not_registered_by_state"]
        if by_state:
            lines.append(
                "未注册按新生状态："
                + "，".join(f"{UNKNOWN_STATE if k == 'none' else k} {v}" for k, v in by_state.items())
            )
        lines.append("每条记录都有且只有一个结果：" + ("是" if self.conserved else "否（请报告此问题）"))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"params": self.params, **self.counts, "conserved": self.conserved}

    # ------------------------------------------------------------------------------ what the result lists
    def summary_frame(self) -> pd.DataFrame:
        """名单 | 结果 | 记录数: each side's statuses ending in 合计 = its record count."""
        c = self.counts
        return sides_frame(
            [
                ("注册上报", c["registration"], self.registration_statuses()),
                ("录取数据", c["admission"], ADMISSION_STATUSES),
            ],
            STATUS_ZH,
        )

    def lists(self) -> list[ResultList]:
        """资格有误 (the registration records the platform would reject; also ``资格有误.dbf``), 未注册 (admitted,
        not registered, by new-student state; also ``未注册.dbf``) and 录取数据不一致 (workbook only)."""
        status = words(STATUS_ZH)
        q = self.qualification_errors()
        q = q.assign(reason_text=reason_texts(q, STATUS_ZH).to_numpy())
        nr = self.not_registered()
        nr = nr.assign(
            reason_text=reason_texts(nr, STATUS_ZH).to_numpy(), state_text=nr["state"].fillna(UNKNOWN_STATE).to_numpy()
        )
        order = {s: i for i, s in enumerate((*STATES, UNKNOWN_STATE))}
        rank = nr["state_text"].map(order).fillna(len(STATES)).to_numpy()
        nr_sorted = nr.iloc[np.lexsort((nr["row"].to_numpy(), rank))]
        km = self.admission[self.admission["status"] == "key_mismatch"]
        place = (Column("KSH", "考生号", full=False), Column("XM", "姓名", full=False))
        return [
            ResultList(
                "资格有误",
                q,
                (
                    Column("row", "行号"),
                    *place,
                    Column("status", "结果", read=status),
                    Column("status", "结果代码", brief=False),
                    Column("reason_text", "原因"),
                    Column("action", "建议处理"),
                    Column("counterpart_row", "对应录取数据行号", kind="row", rows_in="admission"),
                    Column("match_by", "对应方式"),
                ),
                records="registration",
                source=self.inputs.get("registration"),
                upload=Upload("qualification_errors", "registration", reasons="reason_text"),
                inputs=self.inputs,
            ),
            ResultList(
                "未注册",
                nr_sorted,
                (
                    Column("row", "行号"),
                    *place,
                    Column("state_text", "新生状态"),
                    Column("reason_text", "原因"),
                    Column("action", "建议处理"),
                ),
                records="admission",
                source=self.inputs.get("admission"),
                upload=Upload("not_registered", "admission", reasons="reason_text", rows=nr),
            ),
            ResultList(
                "录取数据不一致",
                km,
                (
                    Column("row", "行号"),
                    *place,
                    Column("reasons", "原因"),
                    Column("action", "建议处理"),
                    Column("counterpart_row", "对应注册上报行号", kind="row", rows_in="registration"),
                    Column("match_by", "对应方式"),
                ),
                records="admission",
                source=self.inputs.get("admission"),
                shown=False,
                inputs=self.inputs,
            ),
            every_record_list(
                [
                    ("admission", "录取数据", self.admission, self.inputs.get("admission")),
                    ("registration", "注册上报", self.registration, self.inputs.get("registration")),
                ],
                STATUS_ZH,
                "FY|XSH|YXMC|ZYMC",
            ),
        ]

    def chart_spec(self) -> ChartSpec:
        c = self.counts
        reg_statuses = self.registration_statuses()
        order = list(dict.fromkeys(STATUS_ZH[s] for s in (*reg_statuses, *ADMISSION_STATUSES)))
        series = {}
        for side, title, statuses in (
            ("registration", "注册上报", reg_statuses),
            ("admission", "录取数据", ADMISSION_STATUSES),
        ):
            by = {STATUS_ZH[s]: c[side][s] for s in statuses}
            series[title] = [int(by.get(r, 0)) for r in order]
        return ChartSpec("核对结果：各结果的记录数（注册上报、录取数据）", order, series, category_title="核对结果")

    def save(
        self,
        folder: str | os.PathLike,
        *,
        unmask: bool = False,
        sources: dict | None = None,
        layouts: dict | None = None,
    ) -> OutputFiles:
        """Write what ``xueji reconcile`` gives the clerk into ``folder``:

        - ``results.csv`` — ``results()``: one row per input record of both sides (UTF-8 with BOM);
        - ``资格有误.dbf`` / ``未注册.dbf`` — the two lists' records in their input layout plus ``JYJG`` C(254)
          holding the reason, as the platform returns them (record order of the input);
        - ``核对结果.xlsx`` — 汇总 (parameters, counts per side that add up) and every list of ``lists()``, the
          records' own columns after the declared ones, personal columns masked unless ``unmask``;
        - ``summary.json`` — ``to_dict()`` plus the inputs, output names and notes.

        ``sources``: {"admission": name, "registration": name, "states": name} shown in 汇总 and summary.json;
        ``layouts``: the layouts of ``admission`` / ``registration`` (default chsi_admission / chsi_registration).
        Returns ``{key: Path}`` with ``notes`` (Chinese sentences to show: GB18030 fallback, values cut to fit).
        """
        from ..io.lists import (
            count_of,
            source_names,
            write_json,
            write_lists_workbook,
            write_results_csv,
            write_uploads,
        )
        from ..schema.layouts import load_layout

        reg_src, adm_src = self.inputs.get("registration"), self.inputs.get("admission")
        n_reg, n_adm = count_of(reg_src), count_of(adm_src)
        if len(self.registration) != n_reg or len(self.admission) != n_adm:
            raise ValueError(
                f"核对结果有 {len(self.admission)} 条录取、{len(self.registration)} 条注册记录，传入的是 "
                f"{n_adm}、{n_reg} 条：请传入核对时用的同一组 DataFrame"
            )
        lays = {"registration": "chsi_registration", "admission": "chsi_admission", **(layouts or {})}
        lays = {k: load_layout(v) for k, v in lays.items()}
        sources = {**source_names(self.inputs), **(sources or {})}  # given names win
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        files = OutputFiles({k: out / v for k, v in RECONCILE_OUTPUT_NAMES.items()})
        write_results_csv(self.results(), files["results"])
        lists = self.lists()
        write_uploads(lists, files, lays, workbook=files["workbook"].name)
        write_lists_workbook(self._summary_sheet(files, unmask, sources), lists, lays, files["workbook"], unmask)
        js = self.to_dict()
        js["inputs"] = sources
        js["outputs"] = {k: p.name for k, p in files.items()}
        js["encoding_note"] = files.encoding_note
        js["notes"] = files.notes
        write_json(files["summary"], js)
        return files

    def _summary_sheet(self, files: OutputFiles, unmask: bool, sources: dict) -> pd.DataFrame:
        """核对结果.xlsx's 汇总: inputs, parameters, the rule, counts per side that add up, notes, files."""
        c = self.counts
        rows: list[tuple[str, object]] = []
        for key, title in (("admission", "录取数据"), ("registration", "注册上报"), ("states", "新生状态名单")):
            if sources.get(key):
                rows.append((title, sources[key]))
            elif key == "states":
                rows.append((title, "未提供（未注册的考生不能按新生状态分开）"))
        for key, title in (("year", "录取年份"), ("category", "学历类别")):
            value = self.params.get(key)
            rows.append(
                (title, str(value) if value else "未指定（以文件中的 LQNF / XLLB 字段为准；没有该字段时不比对）")
            )
        rows.append(
            (
                "比对规则",
                "录取年份 + 学历类别 + 考生号 + 姓名 + 层次（学历类别 50 另加学习形式）全部一致为“一致”；"
                "前后空格和大小写不计，其他差异都不放过",
            )
        )
        rows += count_rows("注册上报", c["registration"], self.registration_statuses(), STATUS_ZH)
        rows += count_rows("录取数据", c["admission"], ADMISSION_STATUSES, STATUS_ZH)
        by_state = c["admission"].get("not_registered_by_state", {})
        for state in [*STATES, *sorted(k for k in by_state if k not in STATES and k != "none"), "none"]:
            if state in by_state:
                rows.append((f"未注册按新生状态：{UNKNOWN_STATE if state == 'none' else state}", str(by_state[state])))
        for key, title in (("registration", "注册上报"), ("admission", "录取数据")):
            rows.append((f"{title}的行号", row_meaning(self.inputs.get(key))))
        rows.append(("每条记录都有且只有一个结果", "是" if self.conserved else "否（请报告此问题）"))
        q, nr = files["qualification_errors"].name, files["not_registered"].name
        rows.append(("编码", files.encoding_note or f"{q}、{nr} 均按 GBK 编码写出"))
        for note in files.notes:
            if note not in files.encoding_notes:
                rows.append(("说明", note))
        rows.append(
            (
                "个人信息",
                "本工作簿中记录的身份证号、电话、地址"
                + ("未遮盖（按 --unmask 要求显示原值），请妥善保管" if unmask else "已遮盖（可用 --unmask 显示原值）")
                + f"；{q}、{nr} 保留原值，供改正和上传；{files['results'].name} 中不含身份证号",
            )
        )
        rows += [("输出文件", p.name) for p in files.values()]
        rows += [("核对摘要" if i == 0 else "", line) for i, line in enumerate(self.summary().splitlines())]
        return summary_sheet(rows)


# ---------------------------------------------------------------------------------------------- prepare


def _col(df: pd.DataFrame, *names) -> pd.Series | None:
    cols = {str(c).upper(): c for c in df.columns}
    for n in names:
        if n in cols:
            return written_text(df[cols[n]])
    return None


def _label(s: pd.Series | None, table: str) -> pd.Series | None:
    """Code-table label when the value is a known code or name, else the value itself (stripped)."""
    if s is None:
        return None
    raw = s.fillna("").str.strip()
    return load_code_table(table).to_label(raw).fillna(raw)


# The fields the reconciliation reads: name used below → the names a list may give it (the first present wins).
FIELDS = {
    "KSH": ("KSH",),
    "XM": ("XM",),
    "CC": ("CC",),
    "XXXS": ("XXXS",),
    "LQNF": ("LQNF",),
    "XLLB": ("XLLB",),
    "SFZH": ID_NUMBER_FIELDS,
    "CSRQ": ("CSRQ", "CSNY"),
    "YXDM": ("YXDM",),
}
PREPARED = ["row", "ksh_raw", "ksh", "xm", "cc", "xxxs", "year", "cat"]


def _source(con: Engine, side: str, data: ListSource) -> dict[str, str]:
    """The list as engine view ``{side}_in`` (``engine.register_list``: ``_row`` and the fields of FIELDS it
    has). Returns field → its text as SQL."""
    return {f: sqlnorm.text(f, t) for f, t in register_list(con, f"{side}_in", data, FIELDS).items()}


def _prepare_lists(con: OnDemand, lists: dict[str, ListSource], year, category) -> dict[str, pd.DataFrame]:
    """For each list ({side: list}): the columns the platform's match compares, for every record (PREPARED),
    as a frame in row order (what the match, the verdict and the sentences read). A folder, or a frame on
    another engine than DuckDB, is worked out by the engine where the list lies; a frame whose fields are
    text is worked out here by Arrow with the same rules (``_prepare_here``: the same values, without a round
    trip through the engine) — the two lists at once, one thread each (Arrow's kernels let go of the
    interpreter). The search keys of the counterpart search are added by ``_search_keys`` only for the few
    records that need them."""
    exprs = {}  # the lists made engine views (a frame worked out here needs none unless asked later)
    for side, data in lists.items():
        if data.is_folder or not con.local:
            exprs[side] = _source(con.get(), side, data)
        if "KSH" not in (exprs[side] if side in exprs else {str(c).upper() for c in data.columns}):
            from ..core.errors import LayoutError

            where = f"{data.name}：" if data.name else ""
            raise LayoutError(f"{where}缺少考生号字段 KSH，无法核对")
    if len(lists) > 1:
        with ThreadPoolExecutor(len(lists)) as pool:
            work = {side: pool.submit(_prepare_here, con, side, data, year, category) for side, data in lists.items()}
            out = {side: w.result() for side, w in work.items()}
    else:
        out = {side: _prepare_here(con, side, data, year, category) for side, data in lists.items()}
    for side, data in lists.items():
        if out[side] is None:
            if side not in exprs:
                exprs[side] = _source(con.get(), side, data)
            out[side] = _prepare_in_engine(con.get(), side, exprs[side], year, category)
        out[side].attrs["side"] = side
        out[side].attrs["in_engine"] = side in exprs
    return out


_HERE_FIELDS = ("KSH", "XM", "CC", "XXXS", "LQNF", "XLLB")


def _repeat(value: str, n: int) -> pa.Array:
    return pa.array([value], type=pa.large_string()).take(pa.array(np.zeros(n, np.int32)))


def _prepare_here(con: OnDemand | Engine, side: str, data: ListSource, year, category) -> pd.DataFrame | None:
    """``_prepare_in_engine``'s frame worked out by Arrow, for a frame on DuckDB whose fields are pandas ``str``
    and whose 考生号 are ASCII: Arrow's utf8_trim_whitespace is ``sqlnorm.strip`` (tests/test_sqlnorm.py) and
    ASCII upper case is every engine's. None when the list is not such a frame."""
    local = con.local if isinstance(con, OnDemand) else isinstance(con, DuckDBEngine)
    if data.is_folder or not local:
        return None
    for value in (year, category):  # a value the engine's SQL would refuse is refused here too
        sqlnorm.literal(value if value else "")
    present = {str(c).upper(): c for c in data.columns}
    cols = {}
    for f in _HERE_FIELDS:
        hit = next((present[n] for n in FIELDS[f] if n in present), None)
        if hit is not None:
            s = data.column(hit)
            if s.dtype != STR:
                return None
            cols[f] = pc.fill_null(pc.utf8_trim_whitespace(text_array(s)), "")
    n = data.count
    ksh_raw = cols["KSH"]
    if not pc.all(pc.string_is_ascii(ksh_raw)).as_py() and n:
        return None
    year_text = str(year) if year else ""
    cat_text = str(category) if category else ""
    one = {}  # column → the value every record has (a parameter standing in for a missing field)
    if "LQNF" in cols:
        year_col = pc.if_else(pc.equal(cols["LQNF"], ""), pa.scalar(year_text, pa.large_string()), cols["LQNF"])
    else:
        year_col = one["year"] = year_text
    if "XLLB" in cols:  # 学历类别 as its code: each distinct value looked up in the code table once
        enc = pc.dictionary_encode(cols["XLLB"])
        written = pd.Series(enc.dictionary.to_pylist(), dtype=STR)
        codes = load_code_table("xllb").to_code(written).astype(STR).tolist()
        mapped = [c if isinstance(c, str) else v for v, c in zip(written.tolist(), codes, strict=True)]
        mapped = [cat_text if v == "" else v for v in mapped]
        cat_col = pa.array(mapped, type=pa.large_string()).take(enc.indices)
    else:
        cat_col = one["cat"] = cat_text
    out = pd.DataFrame(
        {
            "row": np.arange(1, n + 1, dtype=np.int64),
            **{
                c: pd.Series(v, dtype=STR) if not isinstance(v, str) else _one_column(v, n)
                for c, v in (
                    ("ksh_raw", ksh_raw),
                    ("ksh", pc.ascii_upper(ksh_raw)),
                    ("xm", cols["XM"] if "XM" in cols else _repeat("", n)),
                    ("cc", cols["CC"] if "CC" in cols else _repeat("", n)),
                    ("xxxs", cols["XXXS"] if "XXXS" in cols else _repeat("", n)),
                    ("year", year_col),
                    ("cat", cat_col),
                )
            },
        },
        copy=False,
    )
    out.attrs["one"] = one
    return out


def _one_column(value: str, n: int) -> pd.Categorical:
    """A column of ``n`` times ``value`` (read through ``.iloc`` like text; no million strings made)."""
    return pd.Categorical.from_codes(np.zeros(n, np.int8), categories=pd.Index([value], dtype=object))


def _prepare_in_engine(con: Engine, side: str, expr: dict, year, category) -> pd.DataFrame:
    """PREPARED worked out by the engine over view ``{side}_in`` (``_source``), fetched in row order."""

    def stripped(f):
        return f"coalesce({sqlnorm.strip(expr[f])}, '')" if f in expr else "''"

    year_sql = sqlnorm.literal(year if year else "")
    cat_sql = sqlnorm.literal(category if category else "")
    join, code = "", "m.code"
    if "XLLB" in expr:  # 学历类别 as its code: the few distinct values looked up in the code table once each
        written = con.sql(f"SELECT DISTINCT {stripped('XLLB')} AS v FROM {side}_in").column("v").to_pandas()
        codes = load_code_table("xllb").to_code(written.astype(STR))
        code = _lookup_sql("s.lc", written.astype(STR).tolist(), codes.astype(STR).tolist())
        if code is None:  # many values, or values no literal can hold: joined with a table of them instead
            con.register(f"{side}_xllb", pd.DataFrame({"v": written.astype(STR), "code": codes.astype(STR)}))
            join, code = f"LEFT JOIN {side}_xllb AS m ON m.v = s.lc", "m.code"
    year_col = f"CASE WHEN s.ly = '' THEN {year_sql} ELSE s.ly END" if "LQNF" in expr else year_sql
    cat_col = (
        f"CASE WHEN coalesce({code}, s.lc) = '' THEN {cat_sql} ELSE coalesce({code}, s.lc) END"
        if "XLLB" in expr
        else cat_sql
    )
    fetched = con.sql(
        f"""
        SELECT s._row AS row, s.ksh_raw, upper(s.ksh_raw) AS ksh, s.xm, s.cc, s.xxxs, {year_col} AS year,
               {cat_col} AS cat
        FROM (SELECT _row, {stripped("KSH")} AS ksh_raw, {stripped("XM")} AS xm, {stripped("CC")} AS cc,
                     {stripped("XXXS")} AS xxxs, {stripped("LQNF")} AS ly, {stripped("XLLB")} AS lc
              FROM {side}_in) AS s {join}""",
    )
    out = _sorted(fetched, "row").to_pandas()
    for c in PREPARED[1:]:
        out[c] = out[c].astype(STR)
    return out


def _lookup_sql(e: str, values: list, codes: list) -> str | None:
    """``e`` looked up in a few (value → code) pairs as a CASE expression (NULL where the code is missing,
    as a LEFT JOIN with a table of them gives); None when there are many or one is no plain literal."""
    if len(values) > 64:
        return None
    parts = []
    for v, c in zip(values, codes, strict=True):
        if not isinstance(v, str) or any(ch in v for ch in "'\\"):
            return None
        missing = not isinstance(c, str)
        if not missing and any(ch in c for ch in "'\\"):
            return None
        parts.append(f"WHEN {sqlnorm.literal(v)} THEN {'NULL' if missing else sqlnorm.literal(c)}")
    return f"(CASE {e} {' '.join(parts)} END)" if parts else "NULL"


def _sorted(table: pa.Table, column: str) -> pa.Table:
    """A query's result in the order of ``column``, sorted here: a global ORDER BY costs Spark a shuffle.
    A result made of runs of consecutive values (an engine's scan in parallel: blocks of a few thousand rows
    each in order) has its runs put in order — slices joined by one copy, no sort; anything else is sorted
    by Arrow."""
    keys = table.column(column)
    n = table.num_rows
    if keys.null_count or n < 2 or not pa.types.is_integer(keys.type):
        return table.sort_by(column)
    v = keys.to_numpy()
    starts = np.concatenate([[0], np.flatnonzero(v[1:] != v[:-1] + 1) + 1])
    if len(starts) == 1:
        return table
    if len(starts) > max(64, n // 256):
        return table.sort_by(column)
    ends = np.concatenate([starts[1:], [n]])
    order = np.argsort(v[starts], kind="stable")
    if not (v[ends[order][:-1] - 1] < v[starts[order][1:]]).all():  # runs overlap: not a reordering of runs
        return table.sort_by(column)
    runs = pa.concat_tables([table.slice(int(starts[i]), int(ends[i] - starts[i])) for i in order])
    return runs.combine_chunks()  # one chunk per column: positional takes on hundreds of chunks are slow


def _rows_here(src: ListSource, idx: np.ndarray) -> pd.DataFrame | None:
    """The fields of FIELDS of a frame's records at ``idx`` (0-based, ascending), under the field names, as
    ``{side}_in`` gives them (``register_list``) — taken from the frame itself when every one is pandas
    ``str``; None otherwise (a folder, other types)."""
    if src.is_folder:
        return None
    present = {str(c).upper(): c for c in src.columns}
    out = {}
    for f, names in FIELDS.items():
        hit = next((present[str(n).upper()] for n in names if str(n).upper() in present), None)
        if hit is not None:
            s = src.column(hit)
            if s.dtype != STR:
                return None
            out[f] = s.iloc[idx].reset_index(drop=True)
    return pd.DataFrame(out)


def _search_keys(con: OnDemand, prep: pd.DataFrame, rows: np.ndarray, src: ListSource | None = None) -> pd.DataFrame:
    """row, ksh, xm and the normalised 身份证号, 出生日期 and 院校代码 of the given (1-based) rows: their raw
    values fetched from the engine, normalised here by the same functions validation uses."""
    side = prep.attrs["side"]
    rows = np.asarray(rows, dtype=np.int64)
    idx = rows - 1
    fetched = _rows_here(src, idx) if src is not None else None
    if fetched is None:  # a folder (or columns the engine turns into text its own way): read by the engine
        con = con.get()
        if not prep.attrs.get("in_engine") and src is not None:
            _source(con, side, src)
            prep.attrs["in_engine"] = True
        con.register(f"{side}_rows", pd.DataFrame({"_row": rows}))
        fetched = _sorted(con.sql(f"SELECT * FROM {side}_in JOIN {side}_rows USING (_row)"), "_row").to_pandas()
        con.unregister(f"{side}_rows")
    out = pd.DataFrame({"row": rows, "ksh": prep["ksh"].iloc[idx].to_numpy(), "xm": prep["xm"].iloc[idx].to_numpy()})
    sf = _col(fetched, "SFZH")
    out["sfzh"] = normalized_ids(sf).fillna("").to_numpy() if sf is not None else ""
    bd = _col(fetched, "CSRQ")
    out["csrq"] = date_text(bd).fillna("").to_numpy() if bd is not None else ""
    yx = _col(fetched, "YXDM")
    out["yxdm"] = key_text(yx).fillna("").to_numpy() if yx is not None else ""
    for c in ("ksh", "xm", "sfzh", "csrq", "yxdm"):
        out[c] = out[c].astype(STR)
    return out


# --------------------------------------------------------------------------------------------- matching


def reconcile(
    admission: pd.DataFrame | ListSource | str | os.PathLike,
    registration: pd.DataFrame | ListSource | str | os.PathLike,
    year: int | None = None,
    category: str | None = None,
    states: pd.DataFrame | None = None,
    *,
    progress: ProgressArg = None,
    engine: str | Engine | SparkSession | None = None,
) -> ReconcileResult:
    """Match ``registration`` against ``admission`` the way the platform does; explain every difference.

    ``admission`` and ``registration`` are frames (read_dbf, read_table) or folders converted by
    ``dbf_to_parquet``: a folder is read by the engine itself, which works out the keys there; this process
    receives the compared columns and, for the few records without a 考生号 counterpart, their search keys —
    never the whole records. Rows are read_dbf's in both cases, so the result is the same.

    ``year`` (录取年份) and ``category`` (学历类别) are used where the files have no LQNF/XLLB columns.
    ``states`` (KSH + ZT, the platform's new-student state lists as downloaded before this upload) splits
    unregistered admissions by state, and gives a registration record whose student is already 报到入学
    or 保留/放弃/取消入学资格 its own status (``STATE_STATUSES``: the platform will not register it) and says
    so on its admission record.
    ``progress`` (None: silent; True: notebook or stderr; a callable ``(label, done, total)``) is told
    each stage (RECONCILE_STEPS). ``engine`` runs the matching queries: None/"duckdb" (in this process),
    "spark", a Spark master URL or a SparkSession (xueji_lib.engine.engines.connect); the result is the same.

    >>> adm = xj.read_dbf("data_samples/hei/10_录取名单.dbf")
    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    >>> states = xj.read_dbf("data_samples/hei/10_新生状态.dbf")
    >>> res = xj.reconcile(adm, reg, year=2026, category="10")
    >>> {k: v for k, v in res.counts["registration"].items() if v}
    {'total': 995, 'matched': 986, 'key_mismatch': 5, 'not_admitted': 1, 'duplicate_key': 2, 'missing_key': 1}
    >>> res = xj.reconcile(adm, reg, year=2026, category="10", states=states)
    >>> res.counts["admission"]["not_registered_by_state"]
    {'放弃入学资格': 2, '保留入学资格': 2, 'none': 2, '取消入学资格': 1}
    """
    admission, registration = ListSource.of(admission), ListSource.of(registration)
    with Progress(progress, "核对", steps=RECONCILE_STEPS) as task, engine_on_demand(engine) as con:
        res = _reconcile(admission, registration, year, category, states, task, con)
    return replace(res, inputs={"admission": admission, "registration": registration, "states": states})


RECONCILE_STEPS = ("准备", "按考生号匹配", "查找对应记录", "比对字段", "判定与说明")


def _reconcile(
    admission: ListSource, registration: ListSource, year, category, states, task: Progress, con: OnDemand
) -> ReconcileResult:
    task.step("准备")
    prepared = _prepare_lists(con, {"a": admission, "r": registration}, year, category)
    a, r = prepared["a"], prepared["r"]

    # Registration side: missing and duplicated 考生号 first (every copy).
    task.step("按考生号匹配")
    a_code, r_code = _key_codes(a["ksh"], r["ksh"])  # equal 考生号 ↔ equal code, both lists
    r_status = np.zeros(len(r), np.int8)
    missing = (r["ksh"] == "").to_numpy(dtype=bool)
    r_status[missing] = STATUS_CODE["missing_key"]
    first_at = _first_positions(a_code, r_code)  # each registration 考生号's first admission record, -1: none
    # the registration 考生号 given more than once (every copy)
    dup = _repeated(r_code, first_at, ~missing, len(a))
    r_status[dup] = STATUS_CODE["duplicate_key"]

    # Exact 考生号 pairs (all registration rows with a 考生号, duplicates included, so that the admission
    # side of a duplicated 考生号 is still judged), with the first admission record of each 考生号 (a
    # duplicated admission 考生号 is rare: its later copies stay unpaired and are judged by the counterpart
    # search); the platform's field comparisons of the pairs follow (``_differences``).
    ri = np.flatnonzero(~missing & (first_at >= 0))
    ai = first_at[ri].astype(np.int64)
    # the pairs as columns (numpy arrays): r_row, a_row (1-based), how (the position in MATCH_BY) and later
    # the DIFF_FLAGS
    exact = {"r_row": ri + 1, "a_row": ai + 1, "how": np.full(len(ri), MATCH_BY.index("考生号"), np.int8)}
    seen: dict = {}  # what _differences worked out about each column, for its second call
    exact.update(_differences(a, r, ai, ri, same_ksh=True, seen=seen))
    found_pairs = []
    r_paired = np.zeros(len(r), bool)
    r_paired[ri] = True
    a_paired = np.zeros(len(a), bool)
    a_paired[ai] = True
    task.step("查找对应记录")
    seeking = _search_keys(con, r, np.flatnonzero(~dup & ~r_paired) + 1, registration)
    free_a = _search_keys(con, a, np.flatnonzero(~a_paired) + 1, admission)
    # Counterpart search for the rest: 身份证号, then 姓名+出生日期, then a 考生号 one digit or one swap away —
    # in this process (pandas over integer codes) when it is small and the engine is too (``OnDemand.here``), else
    # by the engine.
    here = con.here(len(seeking) + len(free_a))
    for how, on in (("身份证号", ("sfzh",)), ("姓名+出生日期", ("xm", "csrq"))):
        if seeking.empty or free_a.empty:
            break
        found = _equal_keys_here(seeking, free_a, on) if here else _equal_keys(con.get(), seeking, free_a, on)
        found = _one_to_one(found)
        found_pairs.append((found, how))
        seeking = seeking[~seeking["row"].isin(found["r_row"])]
        free_a = free_a[~free_a["row"].isin(found["a_row"])]
    if not seeking.empty and not free_a.empty:
        found = _near_ksh(None if here else con.get(), seeking[seeking["ksh"] != ""], free_a)
        found_pairs.append((found, "考生号相近"))
        seeking = seeking[~seeking["row"].isin(found["r_row"])]
    task.step("比对字段")
    searched = {
        "r_row": np.concatenate(
            [np.zeros(0, np.int64)] + [f["r_row"].to_numpy(dtype=np.int64) for f, _ in found_pairs]
        ),
        "a_row": np.concatenate(
            [np.zeros(0, np.int64)] + [f["a_row"].to_numpy(dtype=np.int64) for f, _ in found_pairs]
        ),
        "how": np.concatenate(
            [np.zeros(0, np.int8)] + [np.full(len(f), MATCH_BY.index(how), np.int8) for f, how in found_pairs]
        ),
    }
    searched.update(_differences(a, r, searched["a_row"] - 1, searched["r_row"] - 1, seen=seen))
    pairs = {k: np.concatenate([exact[k], searched[k]]) for k in exact}
    _same_labels(a, r, pairs)
    task.step("判定与说明")
    return _judge(a, r, pairs, r_status, states, year, category, admission, registration)


def _same_labels(a, r, pairs) -> None:
    """Clear the 层次/学习形式 difference flag where the two written values are a code and its label (or
    an alias) of the same entry — only the few pairs whose written values differ are looked up."""
    for k in ("cc", "xxxs"):
        sel = np.flatnonzero(pairs[k])
        if not len(sel):
            continue
        av = a[k].iloc[pairs["a_row"][sel] - 1].reset_index(drop=True)
        rv = r[k].iloc[pairs["r_row"][sel] - 1].reset_index(drop=True)
        same = (_label(av, k) == _label(rv, k)).to_numpy(dtype=bool)
        if same.any():
            pairs[k][sel[same]] = False


def _ksh_variants(k: np.ndarray, swaps: bool):
    """(kind, variants) for each position of the 考生号 ``k``: "sub" — the character at i replaced by "_"; with
    ``swaps`` also "swap" — the characters at i and i + 1 swapped (when they differ). A 考生号 too short for
    the position gives None. Worked out on a fixed-width character array (NUL-padded, so a shorter 考生号
    reads back as itself), one position at a time."""
    width = max((len(x) for x in k), default=0)
    if not width:
        return
    chars = np.array(list(k), dtype=f"<U{width}")
    if any("\0" in x for x in k):  # a NUL inside would read back shorter: the plain way
        for i in range(width):
            yield "sub", np.array([x[:i] + "_" + x[i + 1 :] if len(x) > i else None for x in k], dtype=object)
        if swaps:
            for i in range(width - 1):
                yield (
                    "swap",
                    np.array(
                        [
                            x[:i] + x[i + 1] + x[i] + x[i + 2 :] if len(x) > i + 1 and x[i] != x[i + 1] else None
                            for x in k
                        ],
                        dtype=object,
                    ),
                )
        return
    codes = chars.view(np.uint32).reshape(len(k), width)
    lengths = np.array([len(x) for x in k], dtype=np.int64)
    for i in range(width):
        v = codes.copy()
        v[:, i] = ord("_")
        yield "sub", _texts_or_none(v, lengths > i)
    if swaps:
        for i in range(width - 1):
            v = codes.copy()
            v[:, [i, i + 1]] = codes[:, [i + 1, i]]
            yield "swap", _texts_or_none(v, (lengths > i + 1) & (codes[:, i] != codes[:, i + 1]))


def _texts_or_none(codes: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Rows of a code point array as texts (an object array; None where not ``keep``)."""
    texts = codes.view(f"<U{codes.shape[1]}").ravel().astype(object)
    texts[~keep] = None
    return texts


def _one_to_one(found: pd.DataFrame) -> pd.DataFrame:
    """Each admission record is claimed by one registration record at most (the first)."""
    return found.sort_values("r_row").drop_duplicates("a_row", keep="first")


def _equal_keys(con: Engine, seeking: pd.DataFrame, free_a: pd.DataFrame, on: tuple[str, ...]) -> pd.DataFrame:
    """r_row, a_row: each seeking record (``row``) with the first free admission record (by row) whose fields
    ``on`` are equal and not empty, joined by the engine (the reference for ``_equal_keys_here``)."""
    cond = " AND ".join([f"r.{c} = a.{c}" for c in on] + [f"r.{c} <> ''" for c in on])
    con.register("s", seeking)
    con.register("f", free_a)
    return con.sql(f"""
        SELECT r.row AS r_row, min(a.row) AS a_row FROM s AS r JOIN f AS a ON {cond} GROUP BY r.row""").to_pandas()


def _equal_keys_here(seeking: pd.DataFrame, free_a: pd.DataFrame, on: tuple[str, ...]) -> pd.DataFrame:
    """``_equal_keys`` by a pandas merge: the same pairs, in another order (``_one_to_one`` sorts them). A
    missing value equals nothing, as in SQL."""
    on = list(on)
    r = seeking.loc[seeking[on].notna().all(axis=1) & (seeking[on] != "").all(axis=1), ["row", *on]]
    a = free_a.loc[free_a[on].notna().all(axis=1), ["row", *on]]
    m = r.merge(a, on=on, suffixes=("_r", "_a"))
    return _min_pairs(m["row_r"].to_numpy(dtype=np.int64), m["row_a"].to_numpy(dtype=np.int64))


def _min_pairs(r_row: np.ndarray, a_row: np.ndarray) -> pd.DataFrame:
    """``SELECT r_row, min(a_row) … GROUP BY r_row`` over joined pairs (r_row, a_row: int64; any order)."""
    found = pd.DataFrame({"r_row": r_row, "a_row": a_row}).groupby("r_row", sort=False)["a_row"].min()
    return found.reset_index()


def _near_ksh(con: Engine | None, seeking: pd.DataFrame, free_a: pd.DataFrame) -> pd.DataFrame:
    """Pairs whose 考生号 differ in one character or by one adjacent swap (same year prefix and school), found
    by the engine ``con`` or, when it is None, here (``_near_pairs_here``: the same pairs)."""
    empty = pd.DataFrame({"r_row": pd.Series(dtype="int64"), "a_row": pd.Series(dtype="int64"), "match_by": []})
    if seeking.empty:
        return empty
    fixed = [_fixed_variants(df, side, swaps=side == 0) for df, side in ((seeking, 0), (free_a, 1))]
    v = pa.concat_tables(fixed) if fixed[0] is not None and fixed[1] is not None else _variants(seeking, free_a)
    if con is None:
        found = _near_pairs_here(v, free_a)
    else:
        con.register("v", v)
        con.register("fa", free_a[["row", "ksh", "yxdm"]])
        found = con.sql("""
            SELECT r.row AS r_row, min(a.row) AS a_row, '考生号相近' AS match_by FROM
              (SELECT * FROM v WHERE side = 0 AND kind = 1) r JOIN fa a
              ON r.variant = a.ksh AND left(r.variant, 2) = left(a.ksh, 2) AND (r.yxdm = a.yxdm OR r.yxdm = '' OR a.yxdm = '')
            GROUP BY r.row
            UNION ALL
            SELECT r.row, min(a.row), '考生号相近' FROM
              (SELECT * FROM v WHERE side = 0 AND kind = 0) r JOIN (SELECT * FROM v WHERE side = 1) a
              ON r.variant = a.variant AND left(r.variant, 2) = left(a.variant, 2) AND (r.yxdm = a.yxdm OR r.yxdm = '' OR a.yxdm = '')
            GROUP BY r.row""").to_pandas()
    found = found.sort_values(["r_row", "a_row"]).drop_duplicates("r_row")
    return _one_to_one(found)


def _near_pairs_here(v: pa.Table, free_a: pd.DataFrame) -> pd.DataFrame:
    """``_near_ksh``'s query over the variants ``v`` and ``free_a`` in this process: the variants, the 考生号 and
    the 院校代码 as integer codes (one Arrow dictionary each, equal codes ↔ equal texts), the two joins as
    pandas merges on them, each grouped as the query groups (the union's rows, in another order). The
    query's ``left(…, 2)`` tests are implied by the equal texts; none of the texts is missing here
    (``_search_keys`` fills them)."""
    n = len(v)

    def codes(*arrays: pa.Array) -> np.ndarray:
        return pc.dictionary_encode(pa.concat_arrays(arrays)).indices.to_numpy().astype(np.int64)

    key = codes(v.column("variant").combine_chunks(), text_array(free_a["ksh"]))
    yx_arrays = (v.column("yxdm").combine_chunks().cast(pa.large_string()), text_array(free_a["yxdm"]))
    yx_all = pa.concat_arrays(yx_arrays)
    yx = codes(*yx_arrays)
    blank = yx[np.flatnonzero(pc.equal(yx_all, "").to_numpy(zero_copy_only=False))[:1]]  # the code of "", if any
    side, kind, row = (v.column(c).to_numpy() for c in ("side", "kind", "row"))
    rows = np.concatenate([row, free_a["row"].to_numpy(dtype=np.int64)]).astype(np.int64)
    every = np.arange(n + len(free_a))
    left_swaps = every[:n][(side == 0) & (kind == 1)]
    left_subs = every[:n][(side == 0) & (kind == 0)]
    right_subs = every[:n][side == 1]
    out = []
    for lt, rt in ((left_swaps, every[n:]), (left_subs, right_subs)):
        m = pd.DataFrame({"k": key[lt], "l": lt}).merge(pd.DataFrame({"k": key[rt], "r": rt}), on="k")
        li, ri = m["l"].to_numpy(dtype=np.int64), m["r"].to_numpy(dtype=np.int64)
        ok = (yx[li] == yx[ri]) | np.isin(yx[li], blank) | np.isin(yx[ri], blank)
        found = _min_pairs(rows[li[ok]], rows[ri[ok]])
        out.append(found.assign(match_by="考生号相近"))
    return pd.concat(out, ignore_index=True)


def _variants(seeking: pd.DataFrame, free_a: pd.DataFrame) -> pa.Table:
    """The 考生号 variants of both sides (``_ksh_variants``; swaps for the registration side only) as a table:
    side (0 registration, 1 admission), row, variant, kind (0 a character replaced by "_", 1 a swap), yxdm."""
    parts: dict[str, list] = {c: [] for c in ("side", "row", "variant", "kind", "yxdm")}
    for df, side in ((seeking, 0), (free_a, 1)):
        rows, yxdm = df["row"].to_numpy(), df["yxdm"].to_numpy(dtype=object)
        for kind, variants in _ksh_variants(df["ksh"].to_numpy(dtype=object), swaps=side == 0):
            keep = np.flatnonzero(variants != None)  # noqa: E711 - elementwise over an object array
            parts["side"].append(np.full(len(keep), side, dtype=np.int8))
            parts["row"].append(rows[keep])
            parts["variant"].append(variants[keep])
            parts["kind"].append(np.full(len(keep), kind == "swap", dtype=np.int8))
            parts["yxdm"].append(yxdm[keep])
    return pa.table(
        {
            c: pa.array(np.concatenate(p), type=pa.large_string()) if c in ("variant", "yxdm") else np.concatenate(p)
            for c, p in parts.items()
        }
    )


def _fixed_variants(df: pd.DataFrame, side: int, swaps: bool) -> pa.Table | None:
    """``_variants``' rows of one side when every 考生号 is ASCII of one width: the variants made on the byte
    matrix (a copy per position) and handed over as one Arrow column — no text per variant made in Python.
    None otherwise."""
    arr = text_array(df["ksh"])
    n = len(arr)
    if not n or arr.null_count:
        return None
    offsets = np.frombuffer(arr.buffers()[1], np.int64)[arr.offset : arr.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if not width or (np.diff(offsets) != width).any():
        return None
    data = np.frombuffer(arr.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    if data.max() >= 128:
        return None
    matrix = data.reshape(n, width)
    every = np.arange(n)
    mats, picks, kinds = [], [], []
    for i in range(width):
        m = matrix.copy()
        m[:, i] = ord("_")
        mats.append(m)
        picks.append(every)
        kinds.append(np.zeros(n, np.int8))
    if swaps:
        for i in range(width - 1):
            keep = np.flatnonzero(matrix[:, i] != matrix[:, i + 1])
            m = matrix[keep]
            m[:, [i, i + 1]] = m[:, [i + 1, i]]
            mats.append(m)
            picks.append(keep)
            kinds.append(np.ones(len(keep), np.int8))
    rows = np.ascontiguousarray(np.concatenate(mats))
    pick = np.concatenate(picks)
    count = len(rows)
    variant = pa.LargeStringArray.from_buffers(
        count, pa.py_buffer(np.arange(0, (count + 1) * width, width, dtype=np.int64)), pa.py_buffer(rows)
    )
    return pa.table(
        {
            "side": np.full(count, side, np.int8),
            "row": df["row"].to_numpy()[pick],
            "variant": variant,
            "kind": np.concatenate(kinds),
            "yxdm": text_array(df["yxdm"]).take(pa.array(pick)),
        }
    )


# ---------------------------------------------------------------------------------------------- verdict


def _judge(a, r, pairs, r_status, states, year, category, a_src=None, r_src=None) -> ReconcileResult:
    """Statuses, reasons and actions for both sides. Statuses are int8 codes and reasons sparse until the
    result columns are built once through Arrow dictionaries (setting cells one by one in an Arrow-backed
    column would copy the column every time). Sentences name rows as the person sees them in ``a_src`` /
    ``r_src`` (the DBF record number, the Excel row: ``core.rows``)."""

    na, nr = len(a), len(r)
    a_rows = RowNames(a_src, na).text  # 1-based positions in the admission list → "第 3、7 行"
    r_rows = RowNames(r_src, nr).text
    ai = pairs["a_row"] - 1
    ri = pairs["r_row"] - 1
    how_code = pairs["how"]  # how each pair was found: its position in MATCH_BY
    differs = {k: pairs[k] for k in DIFF_FLAGS}
    any_diff = np.logical_or.reduce(list(differs.values())) if len(ai) else np.zeros(0, bool)
    # values only for the records a sentence is written about, and of them only the fields it names: each
    # differing field (_explain), the 考生号 of a duplicated one, the admission 考生号 a missing one is given
    dup_idx = np.flatnonzero(r_status == STATUS_CODE["duplicate_key"])
    at = {k: np.flatnonzero(differs[k]) for k in DIFF_FLAGS}
    missing_at = np.flatnonzero(r_status[ri] == STATUS_CODE["missing_key"])
    adm_values = _values(
        a,
        {"ksh_raw": ai[np.concatenate([at["ksh"], missing_at])], **{k: ai[at[k]] for k in DIFF_FLAGS[1:]}},
    )
    reg_values = _values(
        r,
        {
            "ksh": np.concatenate([ri[at["ksh"]], dup_idx]),
            "ksh_raw": ri[at["ksh"]],
            **{k: ri[at[k]] for k in DIFF_FLAGS[1:]},
        },
    )

    # registration side: unique-key records get matched / key_mismatch; duplicate and missing keep theirs
    reg_status = r_status.copy()
    r_plain = reg_status[ri] == 0
    reg_status[ri[r_plain]] = np.where(any_diff, STATUS_CODE["key_mismatch"], STATUS_CODE["matched"])[r_plain]
    reg_status[reg_status == 0] = STATUS_CODE["not_admitted"]
    reg_counter = np.full(nr, -1)  # -1: no counterpart
    reg_counter[ri] = ai + 1
    reg_how = np.zeros(nr, np.int8)
    reg_how[ri] = how_code

    # admission side: matched if any registration copy matches exactly, else key_mismatch
    # each admission row's first pair, exact matches first, then by registration row (one int64 key per
    # pair, unique within an admission row since the (ai, ri) pairs are: its minimum, no sort)
    key = any_diff.astype(np.int64) * (nr + 1) + ri
    best = np.full(na, np.iinfo(np.int64).max)
    np.minimum.at(best, ai, key)
    first = np.flatnonzero(best[ai] == key)
    adm_status = np.full(na, STATUS_CODE["not_registered"], np.int8)
    adm_status[ai[first]] = np.where(any_diff[first], STATUS_CODE["key_mismatch"], STATUS_CODE["matched"])
    adm_counter = np.full(na, -1)
    adm_counter[ai[first]] = ri[first] + 1
    adm_how = np.zeros(na, np.int8)
    adm_how[ai[first]] = how_code[first]

    reg_reasons, reg_action, adm_reasons, adm_action = _Sparse(nr), _Sparse(nr), _Sparse(na), _Sparse(na)
    expl = _explain(adm_values, reg_values, ai, ri, how_code, differs)
    copies_of: dict = {}  # 考生号 → the rows (1-based, in order) of its copies
    for i in dup_idx.tolist():
        copies_of.setdefault(reg_values["ksh"][i], []).append(i + 1)
    # the pairs with a sentence, read as Python lists; each registration record is in one pair at most and each
    # admission record is told by its own pair only, so the cells are set together afterwards
    talking = np.flatnonzero(any_diff | ~r_plain)
    t_rr, t_aa = ri[talking].tolist(), ai[talking].tolist()
    t_status = reg_status[ri[talking]].tolist()
    t_diff, t_how = any_diff[talking].tolist(), how_code[talking].tolist()
    t_own = (adm_counter[ai[talking]] == ri[talking] + 1).tolist()  # the pair is its admission record's own
    t_km = (adm_status[ai[talking]] == STATUS_CODE["key_mismatch"]).tolist()
    dup_code, missing_code = STATUS_CODE["duplicate_key"], STATUS_CODE["missing_key"]
    reg_texts, reg_acts, adm_told = [], [], {}
    for i, rr, aa, status, diff, how, own, km in zip(
        talking.tolist(), t_rr, t_aa, t_status, t_diff, t_how, t_own, t_km, strict=True
    ):
        text, act = expl.get(i, ("", ""))
        if status == dup_code:
            others = [x for x in copies_of[reg_values["ksh"][rr]] if x != rr + 1]
            text = f"考生号在注册上报中重复（另见{r_rows(others)}）；录取数据{a_rows([aa + 1])}" + (
                "与本条一致" if not diff else "：" + text
            )
            act = "一名考生只能上报一条记录：删除重复的记录后再上传"
        elif status == missing_code:
            rest = "；" + text if text and not text.startswith("考生号") else ""
            text = f"考生号为空；按{MATCH_BY[how]}找到录取数据{a_rows([aa + 1])}（考生号 {adm_values['ksh_raw'][aa]}）{rest}"
            act = f"按录取数据补填考生号 {adm_values['ksh_raw'][aa]}"
            if own:
                adm_told[aa] = (f"注册上报{r_rows([rr + 1])}考生号为空，按{MATCH_BY[how]}对应到本条{rest}", act)
        reg_texts.append(text)
        reg_acts.append(act)
        if own and km and not (aa in adm_told and adm_told[aa][0]):
            adm_told[aa] = (text, act)
    reg_reasons.put(t_rr, reg_texts)
    reg_action.put(t_rr, reg_acts)
    told = list(adm_told.items())
    adm_reasons.put([aa for aa, _ in told], [t for _, (t, _) in told])
    adm_action.put([aa for aa, _ in told], [a for _, (_, a) in told])
    dup = np.flatnonzero(reg_status[ri] == STATUS_CODE["duplicate_key"])
    by_adm: dict = {}  # admission row → the registration rows (1-based, in pair order) of its duplicated copies
    for aa, rr in zip(ai[dup].tolist(), (ri[dup] + 1).tolist(), strict=True):
        by_adm.setdefault(aa, []).append(rr)
    for aa, copies in by_adm.items():
        if adm_status[aa] == STATUS_CODE["matched"] and len(copies) > 1:
            adm_reasons[aa] = f"与注册上报一致，但注册上报中这名考生有 {len(copies)} 条记录（{r_rows(copies)}）"
            adm_action[aa] = "删除注册上报中重复的记录"

    not_adm = np.flatnonzero(reg_status == STATUS_CODE["not_admitted"])
    reg_reasons.fill(
        not_adm,
        "录取数据中找不到：考生号、身份证号、姓名+出生日期都没有对应记录，"
        "考生号也不是任何录取考生号改一位或相邻两位颠倒",
    )
    reg_action.fill(not_adm, "核实是否为本校录取新生；确属录取但录取数据缺失的，须通过生源省级招生考试机构补报录取数据")

    nreg = np.flatnonzero(adm_status == STATUS_CODE["not_registered"])
    state = _Sparse(na, missing=True)
    reg_state = _Sparse(nr, missing=True)
    known = np.full(len(nreg), None, dtype=object)
    if states is not None:
        st = pd.DataFrame(
            {
                "ksh": _col(states, "KSH").fillna("").str.strip().str.upper(),
                "zt": _label(_col(states, "ZT", "XSZT", "RXZT"), "rxzt"),
            }
        ).drop_duplicates("ksh")
        st = st[st["ksh"] != ""]
        if len(nreg):
            known = a["ksh"].iloc[nreg].map(st.set_index("ksh")["zt"]).to_numpy(dtype=object)
        _registered_states(
            st, a, r, reg_status, reg_counter, adm_counter, reg_reasons, reg_action, reg_state,
            adm_reasons, adm_action, state,
        )  # fmt: skip
    actions = {
        "保留入学资格": "已保留入学资格，本次无需注册；保留期满按规定办理入学",
        "放弃入学资格": "已放弃入学资格，无需注册",
        "取消入学资格": "已取消入学资格，无需注册",
        "报到入学": "状态为报到入学但注册上报中没有这名学生：请补报注册数据",
        "none": "核实是否报到：已报到的补报注册数据，未报到的在平台标注新生状态",
    }
    for value in pd.unique(pd.Series(known, dtype=object).fillna("none")):
        sel = nreg[pd.Series(known, dtype=object).fillna("none").to_numpy() == value]
        if value != "none":
            state.fill(sel, value)
        adm_reasons.fill(
            sel,
            "录取后未注册，新生状态名单中也没有（状态未知）" if value == "none" else f"录取后未注册，新生状态：{value}",
        )
        adm_action.fill(sel, actions.get(value, actions["none"]))

    def frame(side, src, status, reasons, action, counter, how_, st):
        n = len(src)
        return pd.DataFrame(
            {  # built in RESULT_COLUMNS order, so no reordering copy afterwards
                "side": decode_codes(np.zeros(n, np.int32), [side]),
                "row": src["row"].to_numpy(),
                "KSH": src["ksh_raw"],
                "XM": src["xm"],
                "status": decode_codes(status, ALL_STATUSES),
                "state": st.column(),
                "reasons": reasons.column(),
                "action": action.column(),
                "counterpart_row": pd.arrays.IntegerArray(np.maximum(counter, 0), counter < 0),
                "match_by": decode_codes(how_, MATCH_BY),
            },
            copy=False,
        )

    with ThreadPoolExecutor(2) as pool:  # the two sides' columns at once (Arrow works without the interpreter)
        reg = pool.submit(
            frame, "registration", r, reg_status, reg_reasons, reg_action, reg_counter, reg_how, reg_state
        )
        adm = pool.submit(frame, "admission", a, adm_status, adm_reasons, adm_action, adm_counter, adm_how, state)
        reg, adm = reg.result(), adm.result()
    params = {k: v for k, v in (("year", year), ("category", category)) if v}
    return ReconcileResult(registration=reg, admission=adm, params=params)


def _registered_states(
    st, a, r, reg_status, reg_counter, adm_counter, reg_reasons, reg_action, reg_state, adm_reasons, adm_action, state
) -> None:
    """Registration records whose student the state list (``st``: ksh, zt) already holds in one of the four
    states: looked up by the record's own 考生号, else by its admission counterpart's. matched, key_mismatch
    and not_admitted records take the state's status (``STATE_STATUSES``) and sentence, the key difference
    kept after it; duplicate_key and missing_key keep theirs and say the state too. The admission record
    paired with such a record keeps its status and is told the state. Vectorised; sentences are per state,
    except for the few records that already had one."""
    if st.empty or not len(r):
        return
    zt = st["zt"].to_numpy(dtype=object)
    hit = pd.Index(st["ksh"]).get_indexer(r["ksh"])
    by_counter = (hit < 0) & (reg_counter > 0)
    if by_counter.any():
        ksh = a["ksh"].to_numpy(dtype=object)[reg_counter[by_counter] - 1]
        hit[by_counter] = pd.Index(st["ksh"]).get_indexer(ksh)
    found = np.flatnonzero(hit >= 0)
    if not len(found):
        return
    values = zt[hit[found]]
    for value in pd.unique(values):
        sel = found[values == value]
        reg_state.fill(sel, value)
        if value not in STATE_STATUSES:
            continue
        code, text, act = STATE_STATUSES[value]
        cur = reg_status[sel]
        plain = sel[cur == STATUS_CODE["matched"]]
        reg_reasons.fill(plain, text)
        reg_action.fill(plain, act)
        for i in sel[cur != STATUS_CODE["matched"]].tolist():  # few: they had a sentence already
            before, before_act = reg_reasons[i], reg_action[i]
            if reg_status[i] in (STATUS_CODE["duplicate_key"], STATUS_CODE["missing_key"]):
                reg_reasons[i] = f"{before}；{text}" if before else text
                reg_action[i] = f"{before_act}；{act}" if before_act else act
            else:
                reg_reasons[i] = f"{text}；此外：{before}" if before else text
                reg_action[i] = act
        take = np.isin(cur, [STATUS_CODE[s] for s in ("matched", "key_mismatch", "not_admitted")])
        reg_status[sel[take]] = STATUS_CODE[code]
        # the admission record this registration record is paired with: told the state, status kept
        paired = sel[reg_counter[sel] > 0]
        aa = reg_counter[paired] - 1
        aa = aa[adm_counter[aa] == paired + 1]
        if len(aa):
            state.fill(aa, value)
            quiet = aa[adm_reasons.codes[aa] == 0]  # those without a sentence of their own
            adm_reasons.fill(quiet, f"注册上报中有这名考生，但新生状态为“{value}”：平台不会接受注册上报中的这条记录")
            adm_action.fill(quiet, act)


class _Sparse:
    """A text column that is mostly one value (empty, or missing): set cells cheaply, build it once."""

    def __init__(self, n: int, missing: bool = False):
        self.codes = np.zeros(n, np.int32)
        self.texts = [""]
        self.missing = missing

    def __getitem__(self, i) -> str:
        return self.texts[self.codes[i]]

    def __setitem__(self, i, text: str):
        self.texts.append(text)
        self.codes[i] = len(self.texts) - 1

    def put(self, idx, texts: list[str]):
        """Cell ``idx[k]`` set to ``texts[k]`` (the positions distinct)."""
        self.codes[np.asarray(idx, dtype=np.int64)] = np.arange(len(self.texts), len(self.texts) + len(texts))
        self.texts.extend(texts)

    def fill(self, idx, text: str):
        self.texts.append(text)
        self.codes[idx] = len(self.texts) - 1

    def column(self) -> pd.Series:
        mask = (self.codes == 0) if self.missing else None
        return decode_codes(self.codes, self.texts, mask)


DIFF_FLAGS = ("ksh", "xm", "cc", "xxxs", "year", "cat")


def _differences(
    a: pd.DataFrame, r: pd.DataFrame, ai, ri, same_ksh: bool = False, seen: dict | None = None
) -> dict[str, np.ndarray]:
    """Per pair (admission position ``ai``, registration position ``ri``, 0-based), which key fields differ
    (DIFF_FLAGS, True = differs): the platform's match, field by field — 学习形式 only for 学历类别 50; year
    and category only where both sides know them. Values are compared as bytes, as the engines compare text:
    short ones (层次, 学习形式, year, category: at most 7 bytes) packed into integers and compared by numpy
    (``_packed``), others by Arrow over the prepared columns. ``same_ksh``: the pairs were joined on the 考生号.
    ``seen``: what was worked out about each column, kept for the next call on the same frames."""
    seen = {} if seen is None else seen
    ai = np.asarray(ai, dtype=np.int64)
    ri = np.asarray(ri, dtype=np.int64)
    n = len(ai)
    # many pairs in registration order (the exact pairs): the admission values are put beside every
    # registration record and the flags of the pairs picked afterwards (one take instead of two)
    aligned = n > len(r) // 2 and (n < 2 or bool((ri[1:] > ri[:-1]).all()))
    if aligned:
        a_at = np.zeros(len(r), np.int64)
        a_at[ri] = ai
        a_idx, r_idx = pa.array(a_at), None
    else:
        a_idx, r_idx = pa.array(ai), pa.array(ri)

    def side(df, c):
        """One side's column ``c``: (its one value or None, its packed values or None, its Arrow values)."""
        one = df.attrs.get("one", {}).get(c)
        if one is not None:
            return one, None, None
        key = (id(df), c)
        if key not in seen:
            arr = text_array(df[c])
            if c in ("ksh", "xm"):
                seen[key] = None, None, arr
            else:
                one = _one_value(arr)
                seen[key] = (one, None, None) if one is not None else (None, _packed(arr), arr)
        return seen[key]

    def values(c):
        """Both sides' values of column ``c`` per pair: each side's one value (a text), packed values (numpy
        integers, both sides then packed or one) or Arrow values."""
        (one_a, pk_a, av), (one_r, pk_r, rv) = side(a, c), side(r, c)
        if one_a is not None and one_r is not None:
            return one_a, one_r
        if (one_a is not None or pk_a is not None) and (one_r is not None or pk_r is not None):
            return (
                _pack_text(one_a) if pk_a is None else pk_a[ai],
                _pack_text(one_r) if pk_r is None else pk_r[ri],
            )
        if av is None:
            av = _repeat(one_a, len(a))  # its one value, where the other side is compared by Arrow
        if rv is None:
            rv = _repeat(one_r, len(r))
        return av.take(a_idx), rv if r_idx is None else rv.take(r_idx)

    def lit(x, text):
        """``text`` in the form of ``x`` (packed when ``x`` is)."""
        return _pack_text(text) if isinstance(x, (np.ndarray, np.integer)) else text

    def flags(x) -> np.ndarray | bool:
        if isinstance(x, (bool, np.bool_, np.ndarray)):
            return x
        out = x.to_numpy(zero_copy_only=False).astype(bool)
        return out[ri] if aligned else out

    def ne(x, y):
        if isinstance(x, pa.Array) or isinstance(y, pa.Array):
            return flags(pc.not_equal(x, y))
        return x != y

    def eq(x, y):
        if isinstance(x, pa.Array) or isinstance(y, pa.Array):
            return flags(pc.equal(x, y))
        return x == y

    def full(x) -> np.ndarray:
        return np.full(n, bool(x)) if isinstance(x, (bool, np.bool_)) else np.asarray(x, dtype=bool)

    out = {"ksh": np.zeros(n, bool) if same_ksh else full(ne(*values("ksh"))), "xm": full(ne(*values("xm")))}
    out["cc"] = full(ne(*values("cc")))
    a_cat, r_cat = values("cat")
    is_50 = eq(a_cat, lit(a_cat, "50"))
    if isinstance(is_50, (bool, np.bool_)) and not is_50:
        out["xxxs"] = np.zeros(n, bool)
    else:
        out["xxxs"] = full(is_50 & ne(*values("xxxs")))
    a_year, r_year = values("year")
    out["year"] = full(ne(a_year, r_year) & ne(a_year, lit(a_year, "")) & ne(r_year, lit(r_year, "")))
    out["cat"] = full(ne(a_cat, r_cat) & ne(a_cat, lit(a_cat, "")) & ne(r_cat, lit(r_cat, "")))
    return out


_NEVER = np.frombuffer(bytes(7) + bytes([255]), np.uint64)[0]  # no text of at most 7 bytes packs to it


def _packed(arr: pa.Array) -> np.ndarray | None:
    """Each text of ``arr`` (large_string, no missing values) as one uint64, equal exactly where the bytes are:
    up to 7 bytes, zero-padded, then the length as the eighth byte; None when a text is longer (or one is
    missing)."""
    if arr.null_count or not len(arr):
        return None
    lengths = np.diff(text_bytes(arr)[0])
    if lengths.max() > 7:
        return None
    out = padded_matrix(arr, 8)
    out[:, 7] = lengths
    return out.view(np.uint64).ravel()


def _pack_text(text: str) -> np.uint64:
    """``text`` as ``_packed`` packs it (``_NEVER`` when longer than 7 bytes)."""
    b = text.encode("utf-8")
    if len(b) > 7:
        return _NEVER
    return np.frombuffer(b.ljust(7, b"\0") + bytes([len(b)]), np.uint64)[0]


def _one_value(arr: pa.Array) -> str | None:
    """The value every element of ``arr`` holds, None when they differ (or there are none): each compared
    with the first, as bytes."""
    if not len(arr) or arr.null_count:
        return None
    first = arr[0]
    return first.as_py() if pc.all(pc.equal(arr, first)).as_py() else None


def _key_codes(a_ksh: pd.Series, r_ksh: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """An integer per 考生号 of both lists, equal exactly where the texts are equal (not dense). 考生号 of digits
    only (up to 18) are read as numbers from their bytes (10**length added, so that leading zeros count: the
    empty one is 0: ``textbytes.digit_codes``); others are dictionary-encoded as text."""
    arrays = [text_array(a_ksh), text_array(r_ksh)]
    keys = [digit_codes(x) for x in arrays]
    if keys[0] is not None and keys[1] is not None:
        return keys[0], keys[1]
    both = pa.concat_arrays(arrays)
    if not len(both):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    codes = pc.dictionary_encode(both).indices.to_numpy().astype(np.int64)
    return codes[: len(a_ksh)], codes[len(a_ksh) :]


def _first_positions(a_code: np.ndarray, r_code: np.ndarray) -> np.ndarray:
    """For each registration key, the first admission position holding it (-1: none): the admission keys
    hashed once (an index), the registration keys looked up."""
    ix = pd.Index(a_code)
    if ix.is_unique:
        return ix.get_indexer(r_code)
    first = np.flatnonzero(~ix.duplicated(keep="first"))
    pos = pd.Index(a_code[first]).get_indexer(r_code)
    return np.where(pos >= 0, first[np.maximum(pos, 0)], -1)


def _repeated(r_code: np.ndarray, first_at: np.ndarray, keep: np.ndarray, na: int) -> np.ndarray:
    """Which registration records (among ``keep``) share their key with another one of ``keep``: those found
    in the admission list counted by the admission position they found, the few others hashed."""
    out = np.zeros(len(r_code), bool)
    hit = np.flatnonzero(keep & (first_at >= 0))
    if len(hit):
        counts = np.bincount(first_at[hit], minlength=na)
        out[hit] = counts[first_at[hit]] > 1
    rest = np.flatnonzero(keep & (first_at < 0))
    if len(rest):
        out[rest] = pd.Series(r_code[rest]).duplicated(keep=False).to_numpy()
    return out


def _values(df: pd.DataFrame, wanted: dict[str, np.ndarray]) -> dict[str, dict]:
    """{column: {position: value}} for a few positions of each column (``wanted``: column → the positions, in
    any order, repeats allowed; the records and fields a sentence is written about)."""
    out = {}
    for c, idx in wanted.items():
        idx = np.unique(idx)
        s = df[c]
        arr = text_array(s) if s.dtype == STR else None
        if arr is not None and not arr.null_count:  # Arrow's take and conversion: no pandas Series on the way
            out[c] = dict(zip(idx.tolist(), arr.take(pa.array(idx)).to_numpy(zero_copy_only=False).tolist()))
        else:
            out[c] = dict(zip(idx.tolist(), s.iloc[idx].tolist()))
    return out


def _explain(adm_values, reg_values, ai, ri, how_code, differs) -> dict[int, tuple[str, str]]:
    """Chinese sentences for every pair that differs: each differing field with both values, and an action.
    The pairs are read as Python lists (no numpy scalar per flag)."""
    out: dict[int, tuple[str, str]] = {}
    if not len(ai):
        return out
    rows = np.flatnonzero(np.logical_or.reduce([differs[k] for k in DIFF_FLAGS]))
    flags = [differs[k][rows].tolist() for k in DIFF_FLAGS]
    labels = None  # the xllb labels, loaded for the first category difference
    av, rv = adm_values, reg_values
    for i, aa, rr, how, d_ksh, d_xm, d_cc, d_xxxs, d_year, d_cat in zip(
        rows.tolist(), ai[rows].tolist(), ri[rows].tolist(), how_code[rows].tolist(), *flags, strict=True
    ):
        parts, acts = [], []
        if d_ksh and rv["ksh"][rr]:
            parts.append(_ksh_sentence(av["ksh_raw"][aa], rv["ksh_raw"][rr], MATCH_BY[how]))
            acts.append("按录取数据改正注册上报的考生号")
        if d_xm:
            text, act = _name_sentence(av["xm"][aa], rv["xm"][rr])
            parts.append(text)
            acts.append(act)
        for d, k, title in ((d_cc, "cc", "层次"), (d_xxxs, "xxxs", "学习形式")):
            if d:
                parts.append(f"{title}不同：录取为“{av[k][aa]}”，注册为“{rv[k][rr]}”")
                acts.append(f"{title}以录取数据为准；确需变更的须报省级教育行政部门审批")
        if d_year:
            parts.append(f"录取年份不同：录取数据为 {av['year'][aa]}，注册为 {rv['year'][rr]}")
            acts.append("核对录取年份")
        if d_cat:
            ca, cr = av["cat"][aa], rv["cat"][rr]
            labels = load_code_table("xllb").labels_by_code() if labels is None else labels
            parts.append(f"学历类别不同：录取为 {ca}（{labels.get(ca, '')}），注册为 {cr}（{labels.get(cr, '')}）")
            acts.append("在对应学历类别下上报")
        out[i] = ("；".join(parts), "；".join(dict.fromkeys(acts)))
    return out


def _ksh_sentence(ka: str, kr: str, how: str) -> str:
    if len(ka) == len(kr):
        diff = [j for j in range(len(ka)) if ka[j] != kr[j]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and ka[diff[0]] == kr[diff[1]] and ka[diff[1]] == kr[diff[0]]:
            return f"考生号第 {diff[0] + 1}、{diff[1] + 1} 位颠倒：录取为 {ka}，注册为 {kr}"
        if len(diff) == 1:
            return f"考生号第 {diff[0] + 1} 位不同：录取为 {ka}，注册为 {kr}"
    return f"考生号不同：录取为 {ka}，注册为 {kr}（按{how}找到对应的录取记录）"


def _wildcard_match(na: str, nr: str) -> bool:
    r"""Whether ``nr`` is ``na`` with each placeholder one character: "??" (a double-byte character the
    admission system's font lacked), "?" or "？" — the regular expression
    ``re.escape(na).replace(r"\?\?", ".").replace(r"\?", ".").replace("？", ".")`` fully matched, without
    compiling one per name ("." is any character but a newline)."""
    tokens: list[str | None] = []  # a character to equal, or None: any character but a newline
    i = 0
    while i < len(na):
        ch = na[i]
        if ch == "?":
            tokens.append(None)
            i += 2 if na[i + 1 : i + 2] == "?" else 1
        else:
            tokens.append(None if ch == "？" else ch)
            i += 1
    return len(tokens) == len(nr) and all(c != "\n" if t is None else c == t for t, c in zip(tokens, nr, strict=True))


def _name_sentence(na: str, nr: str) -> tuple[str, str]:
    if ("?" in na or "？" in na) and _wildcard_match(na, nr):
        return (
            f"录取数据姓名“{na}”中的 ? 是录取系统字库缺字的占位符，注册为“{nr}”，按通配可以对上，"
            "但平台严格比对不会通过",
            "生僻字姓名：请联系生源省级招生考试机构或按学信网要求核对、更正录取数据中的姓名",
        )
    if len(na) == len(nr):
        diff = [j for j in range(len(na)) if na[j] != nr[j]]
        if len(diff) == 1:
            return (
                f"姓名差一个字：录取为“{na}”，注册为“{nr}”（第 {diff[0] + 1} 个字）",
                "以身份证和录取通知书为准：注册数据录错的改正注册数据，录取数据有误的须由省级招办更正",
            )
    return (
        f"姓名不同：录取为“{na}”，注册为“{nr}”",
        "以身份证和录取通知书为准：注册数据录错的改正注册数据，录取数据有误的须由省级招办更正",
    )
