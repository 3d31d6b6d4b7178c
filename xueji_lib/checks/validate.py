"""Pre-upload checks: every rule the platform and the national K-12 system apply, with a Chinese reason.

    >>> import xueji_lib as xj
    >>> df = xj.read_dbf("data_samples/hei/10_注册上报.dbf")                      # doctest: +SKIP
    >>> res = xj.validate(df, "chsi_registration", year=2026, category="10")     # doctest: +SKIP
    >>> print(res.summary())                                                     # doctest: +SKIP
    >>> res.findings.head()          # one row per (record, rule)                # doctest: +SKIP

Structure first (missing required fields: the file cannot pass), then row rules. Each finding has a
stable rule code (``xueji_lib/schema/data/rules.yml``), a severity (error: the platform would reject the record;
warning: suspicious; info) and a message naming the field and the value (masked where personal) with a
hint how to fix it. Records with an error fail; passed + failed = total, always. Every rule is a
vectorised operation over whole columns, and so is the making of the findings' sentences (``findings_table``).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from ..core import ids
from ..core.arrowpool import retaining_pool
from ..core.normalize import (
    KEY_REDO_BYTES,
    STR,
    date_text,
    halfwidth,
    int_or_na,
    key_text,
    key_text_unchanged,
    no_spaces,
    valid_ymd,
)
from ..core.privacy import mask_id_array, mask_series, mask_value
from ..core.progress import Progress, ProgressArg
from ..core.result import TOTAL, ChartSpec, Column, OutputFiles, Result, ResultList, Upload, rules_chart, words
from ..core.rows import row_meaning, row_word, shown_rows
from ..core.textbytes import byte_lengths, chunk_bytes, digit_codes, fixed_codes, matrix_strings, width_bytes
from ..core.textbytes import byte_test as _table_test
from ..io.loadinfo import load_report
from ..schema.codes import load_code_table, province_of, restore_leading_zeros
from ..schema.id_forms import REGION_FIELDS, load_id_forms
from ..schema.layouts import Layout, load_layout
from ..schema.rules import SEVERITY_ORDER, SEVERITY_ZH, Rule, load_rules, rule_sentence
from .findings_table import LARGE, FindingsTable, Part, chunked_take, records_with, texts_at

__all__ = ["validate", "ValidationResult", "Rule", "load_rules", "FINDING_COLUMNS"]

FINDING_COLUMNS = ["row", "key", "field", "name", "rule", "severity", "value", "message"]
MISSING_RULES = ("STRUCT_MISSING_FIELD", "STRUCT_MISSING_OPTIONAL")  # a field the file lacks: the file cannot pass
SEX_FIELDS = ("XB", "XBDM")
HMT_PREFIXES = {"81", "82", "83"}  # 港澳台居民居住证 810000/820000/830000
CATEGORY_FORMS = {
    "10": {"普通全日制"},
    "20": {"普通全日制", "非全日制"},
    "50": {"函授", "业余", "脱产"},
    "70": {"网络教育", "开放教育"},
}
CATEGORY_LEVELS = {
    "10": {"本科", "专科", "专科起点本科", "第二学士学位"},
    "20": {"博士研究生", "硕士研究生"},
    "50": {"本科", "专科", "专科起点本科", "高中起点本科", "高中起点专科"},
    "70": {"本科", "专科", "专科起点本科", "高中起点本科", "高中起点专科"},
}
ENTRY_AGE = {"10": (14, 40), "20": (18, 65), "50": (16, 75), "70": (16, 75)}
ZSBH_LEVEL = {
    "博士研究生": "01",
    "硕士研究生": "02",
    "第二学士学位": "04",
    "本科": "05",
    "专科起点本科": "05",
    "高中起点本科": "05",
    "专科": "06",
    "高中起点专科": "06",
}
ZSBH_TYPES = {"10": "1", "20": "1", "50": "5", "70": "7"}


# K-12: a first grader must be this old by this day (MMDD) of the school year's start (validate's defaults; the
# cross tables' 低龄/超龄 count with the same).
FIRST_GRADE_AGE, AGE_CUTOFF = 6, "0831"


@dataclass(frozen=True)
class ValidationResult(Result):
    """What ``validate`` found. ``findings`` has one row per (record, rule): row (1-based record position,
    NA for structure findings), key, field, name, rule, severity, value (masked where personal), message.

    >>> res = xj.validate(xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> print(res.summary().splitlines()[1])
    记录 995 条：通过 978 条，有误 17 条（978 + 17 = 995）
    >>> res.reasons()[14]                  # record at position 14 (row 15): its JYJG text
    '专业名称为空。该字段必填，请补填'
    >>> res.findings.loc[res.findings["rule"] == "SFZH_CHECKSUM", ["row", "field", "value"]].values.tolist()
    [[334, 'SFZH', '230102********6590']]
    """

    source: str
    layout: Layout
    total: int
    findings: pd.DataFrame
    failed: np.ndarray  # bool per record: has at least one error (or the structure check failed)
    structure_ok: bool
    params: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict, repr=False, compare=False)  # {"data": the frame validated}
    rules_run: tuple[str, ...] = ()  # every rule applied to the file (found something or not)
    rules_skipped: dict = field(default_factory=dict)  # rule → why it could not run (a parameter unknown)
    param_notes: dict = field(default_factory=dict)  # parameter → where its value came from

    @property
    def counts(self) -> dict:
        return {"total": self.total, "passed": self.passed_count, "failed": self.failed_count}

    @property
    def conserved(self) -> bool:
        return self.passed_count + self.failed_count == self.total

    @property
    def failed_count(self) -> int:
        return int(self.failed.sum())

    @property
    def passed_count(self) -> int:
        return self.total - self.failed_count

    @property
    def by_rule(self) -> pd.DataFrame:
        """rule, severity, findings, records — one row per rule that fired."""
        f = self.findings
        if f.empty:
            return pd.DataFrame(columns=["rule", "severity", "findings", "records"])
        out = (
            f.groupby(["rule", "severity"], sort=False)
            .agg(findings=("rule", "size"), records=("row", "nunique"))
            .reset_index()
        )
        out["order"] = out["severity"].map(SEVERITY_ORDER)
        return (
            out.sort_values(["order", "findings"], ascending=[True, False]).drop(columns="order").reset_index(drop=True)
        )

    @property
    def by_field(self) -> pd.DataFrame:
        """field, name, errors, warnings, infos."""
        f = self.findings
        if f.empty:
            return pd.DataFrame(columns=["field", "name", "error", "warning", "info"])
        out = pd.crosstab([f["field"], f["name"]], f["severity"]).reindex(
            columns=["error", "warning", "info"], fill_value=0
        )
        return out.reset_index().sort_values(["error", "warning"], ascending=False).reset_index(drop=True)

    def reasons(self, severities: Collection[str] = ("error",)) -> pd.Series:
        """Per failed record (index = 0-based record position): its messages joined by '；' — the JYJG text."""
        f = self.findings[self.findings["severity"].isin(severities) & self.findings["row"].notna()]
        joined = f.groupby(f["row"].astype(int) - 1, sort=True)["message"].agg("；".join)
        idx = np.flatnonzero(self.failed)
        out = joined.reindex(idx)
        if not self.structure_ok:
            missing = "；".join(self.findings.loc[self.findings["rule"].isin(MISSING_RULES), "message"])
            out = out.fillna("").map(lambda s: f"{missing}；{s}" if s else missing)
        return out.fillna("")

    def structure_text(self) -> str:
        """Why the structure check failed, in words: "缺少必填字段 KSH（考生号）；缺少标准结构中的字段 XH（学号）、…"
        ("" when it passed)."""
        f = self.findings
        parts = []
        for rule, words_ in zip(MISSING_RULES, ("缺少必填字段", "缺少标准结构中的字段")):
            hit = f.loc[f["rule"] == rule, ["field", "name"]]
            if len(hit):
                parts.append(words_ + " " + "、".join(f"{a}（{b}）" for a, b in hit.itertuples(index=False)))
        return "；".join(parts)

    def rule_text(self, code: str, rules: dict | None = None) -> str:
        """What rule ``code`` found, as a sentence naming the field it fired on (``rule_sentence``)."""
        rules = rules if rules is not None else load_rules()
        if code not in rules:
            return ""
        hit = self.findings.loc[self.findings["rule"] == code, ["name", "field"]].astype(str)
        names, fields = hit["name"].unique().tolist(), hit["field"].unique().tolist()

        def some(values: list) -> str:  # the fields a rule fired on: 学制、民族 (… 等)
            return "、".join(values[:3]) + ("等" if len(values) > 3 else "")

        return rule_sentence(rules[code].message, some(names), some(fields))

    def summary(self) -> str:
        lines = [
            f"校验：{self.source}（版式 {self.layout.name}：{self.layout.title}）",
            f"记录 {self.total} 条：通过 {self.passed_count} 条，有误 {self.failed_count} 条"
            f"（{self.passed_count} + {self.failed_count} = {self.total}）",
        ]
        if self.failed_count:
            lines.append(row_meaning(self.inputs.get("data")) + "，与各名单中的行号相同。")
        if not self.structure_ok:
            lines.append(f"结构校验未通过：{self.structure_text()}，整个文件不能上传。")
        from .validation_files import PARAM_ZH

        for key, value in self.params.items():
            note = self.param_notes.get(key)
            lines.append(f"{PARAM_ZH.get(key, key)}：{value}" + (f"（{note}）" if note else ""))
        for key, note in self.param_notes.items():
            if key not in self.params:
                lines.append(f"{PARAM_ZH.get(key, key)}：{note}")
        lines.append(f"运行了 {len(self.rules_run)} 条规则" + ("。" if not self.rules_skipped else "；"))
        for why, rules in _by_reason(self.rules_skipped).items():
            lines.append(f"  未能运行 {'、'.join(rules)}：{why}")
        br = self.by_rule
        if br.empty:
            lines.append("没有发现问题。")
        else:
            rules = load_rules()
            for r in br.itertuples():
                scope = "整个文件" if r.rule.startswith("STRUCT_") else f"涉及 {r.records} 条记录"
                lines.append(
                    f"  [{SEVERITY_ZH[r.severity]}] {self.rule_text(r.rule, rules)}（{r.rule}）：{r.findings} 处，{scope}"
                )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        br = self.by_rule
        return {
            "source": self.source,
            "layout": self.layout.name,
            "params": self.params,
            "total": self.total,
            "passed": self.passed_count,
            "failed": self.failed_count,
            "structure_ok": self.structure_ok,
            "findings": {s: int((self.findings["severity"] == s).sum()) for s in SEVERITY_ORDER},
            "rules": {
                r.rule: {"severity": r.severity, "findings": int(r.findings), "records": int(r.records)}
                for r in br.itertuples()
            },
            "param_notes": dict(self.param_notes),
            "rules_run": list(self.rules_run),
            "rules_skipped": dict(self.rules_skipped),
        }

    # ------------------------------------------------------------------------------ what the result lists
    def summary_frame(self) -> pd.DataFrame:
        """项目 | 说明 | 记录数 | 处数: per rule, per severity, then 通过校验 + 有误 = 合计."""
        d = self.to_dict()
        rules = load_rules()
        rows = []
        for code, r in d["rules"].items():
            text = self.rule_text(code, rules)
            if code.startswith("STRUCT_"):
                text += "（整个文件）"
            rows.append(
                {
                    "项目": f"[{SEVERITY_ZH[r['severity']]}] {code}",
                    "说明": text,
                    "记录数": r["records"],
                    "处数": r["findings"],
                }
            )
        f = self.findings
        for sev, n in d["findings"].items():
            records = f.loc[f["severity"] == sev, "row"].dropna().nunique()
            rows.append(
                {
                    "项目": f"含{SEVERITY_ZH[sev]}的记录",
                    "说明": "按严重程度（一条记录可能有几种问题）",
                    "记录数": int(records),
                    "处数": int(n),
                }
            )
        # findings on passing records, and on failing records plus those about the whole file (no row)
        on_rows = f["row"].notna().to_numpy()
        rows_idx = f.loc[on_rows, "row"].astype("int64").to_numpy() - 1
        on_passed = int((~self.failed[rows_idx]).sum()) if len(rows_idx) else 0
        all_findings = sum(d["findings"].values())
        rows += [
            {"项目": "通过校验", "说明": "可以上传（可能有警告、提示）", "记录数": d["passed"], "处数": on_passed},
            {"项目": "有误", "说明": "有错误，不能上传", "记录数": d["failed"], "处数": all_findings - on_passed},
            {"项目": TOTAL, "说明": "", "记录数": d["total"], "处数": all_findings},
        ]
        out = pd.DataFrame(rows, columns=["项目", "说明", "记录数", "处数"])
        return out.astype({"记录数": "int64", "处数": "int64"})

    def lists(self) -> list[ResultList]:
        """按规则, 按字段 (workbook tables), 问题明细 (one row per finding), 数据有误记录 (failing records with
        their JYJG text; also ``数据有误.dbf``) and 校验通过 (the upload file only)."""
        rules = load_rules()
        sev = words(SEVERITY_ZH)
        f = self.findings
        br, bf = self.by_rule, self.by_field
        example = f.drop_duplicates("rule").set_index("rule")["message"] if len(f) else pd.Series(dtype=str)
        by_rule = pd.DataFrame(
            {
                "rule": br["rule"].astype(str),
                "severity": br["severity"],
                "findings": br["findings"].astype(int),
                "records": br["records"].astype(int),
                "message": [self.rule_text(r, rules) for r in br["rule"]],
                "hint": [rule_sentence(rules[r].hint) if r in rules else "" for r in br["rule"]],
                "example": [example.get(r, "") for r in br["rule"]],
            }
        )
        by_field = pd.DataFrame(
            {
                "field": bf["field"].astype(str),
                "name": bf["name"].astype(str),
                "error": bf["error"].astype(int),
                "warning": bf["warning"].astype(int),
                "info": bf["info"].astype(int),
            }
        )
        failed = np.flatnonzero(self.failed)
        passed = np.flatnonzero(~self.failed)
        reasons = self.reasons().reindex(failed).fillna("")
        reasons = reasons.where(reasons.str.strip() != "", "未通过校验（原因见校验结果.xlsx）")
        bad = pd.DataFrame({"row": failed + 1, "reason_text": reasons.to_numpy()})
        data = self.inputs.get("data")
        return [
            *self._no_id_lists(data),
            ResultList(
                "按规则",
                by_rule,
                (
                    Column("rule", "规则代码"),
                    Column("severity", "级别", read=sev),
                    Column("findings", "处数"),
                    Column("records", "涉及记录数"),
                    Column("message", "规则说明"),
                    Column("hint", "改正方法"),
                    Column("example", "示例"),
                ),
                shown=False,
            ),
            ResultList(
                "按字段",
                by_field,
                (
                    Column("field", "字段代码"),
                    Column("name", "字段名称"),
                    Column("error", "错误"),
                    Column("warning", "警告"),
                    Column("info", "提示"),
                ),
                shown=False,
            ),
            ResultList(
                "问题明细",
                f,
                (
                    Column("row", "行号", kind="row"),
                    Column("XM", "姓名", record=True, personal=""),
                    Column("key", "关键字段"),
                    Column("field", "字段代码"),
                    Column("name", "字段名称"),
                    Column("rule", "规则代码"),
                    Column("severity", "级别", read=sev),
                    Column("value", "值", personal="field:field"),
                    Column("message", "说明"),
                ),
                unit="处",
                records="data",
                source=data,
                own_columns=False,
            ),
            ResultList(
                "数据有误记录",
                bad,
                (
                    Column("row", "行号"),
                    Column("XM", "姓名", record=True, full=False, personal=""),
                    Column("reason_text", "校验结果", after=True),
                ),
                records="data",
                source=data,
                upload=Upload("failed", "data", reasons="reason_text"),
            ),
            ResultList(
                "校验通过",
                pd.DataFrame({"row": passed + 1}),
                (Column("row", "行号"),),
                records="data",
                source=data,
                shown=False,
                in_workbook=False,
                upload=Upload("passed", "data"),
            ),
        ]

    def _no_id_lists(self, data) -> list[ResultList]:
        """K-12: 无身份证号学生 (each pupil whose ID number is blank: SFZH_MISSING, with 学校, 年级, 班级, 姓名) and
        their count per school and class (seed 004: "无身份证号码问题较为突出"; the schools issue each of them a
        《无身份证号学生在校就读证明表》)."""
        if self.layout.category != "k12":
            return []
        f = self.findings
        rows = f.loc[f["rule"] == "SFZH_MISSING", "row"].dropna().astype("int64").drop_duplicates().sort_values()
        pupils = pd.DataFrame({"row": rows.to_numpy()})
        school, grade, klass = "XXMC|XXBSM", "NJ", "BJ|BH"
        nj = load_code_table("nj")

        def grade_words(s: pd.Series) -> pd.Series:  # 年级 as the school says it: 11 → 小学一年级
            return nj.to_label(s).fillna(s)

        counts = pd.DataFrame(columns=["school", "grade", "class", "pupils"])
        if len(pupils) and data is not None:
            recs = data.iloc[pupils["row"].to_numpy() - 1]
            upper = {str(c).strip().upper(): c for c in recs.columns}

            def field(alternatives: str) -> np.ndarray:
                name = next((upper[a] for a in alternatives.split("|") if a in upper), None)
                if name is None:
                    return np.full(len(recs), "", dtype=object)
                return recs[name].astype(STR).fillna("").str.strip().to_numpy(dtype=object)

            by = pd.DataFrame(
                {
                    "school": field(school),
                    "grade": grade_words(pd.Series(field(grade), dtype=STR)),
                    "class": field(klass),
                }
            )
            counts = by.groupby(["school", "grade", "class"], sort=True).size().rename("pupils").reset_index()
            total = pd.DataFrame({"school": [TOTAL], "grade": [""], "class": [""], "pupils": [len(pupils)]})
            counts = pd.concat([counts, total], ignore_index=True)
        return [
            ResultList(
                "无身份证号学生",
                pupils,
                (
                    Column("row", "行号", kind="row"),
                    Column(school, "学校", record=True),
                    Column(grade, "年级", record=True, read=grade_words),
                    Column(klass, "班级", record=True),
                    Column("XM", "姓名", record=True, personal=""),
                ),
                unit="人",
                records="data",
                source=data,
                own_columns=False,
            ),
            ResultList(
                "无身份证号学生人数",
                counts.astype({"pupils": "int64"}),
                (
                    Column("school", "学校"),
                    Column("grade", "年级"),
                    Column("class", "班级"),
                    Column("pupils", "无身份证号学生人数"),
                ),
                shown=False,
            ),
        ]

    def chart_spec(self) -> ChartSpec | None:
        """Findings per rule (the 15 most frequent), stacked by severity."""
        br = self.by_rule
        if br.empty:
            return None
        top = br.sort_values("findings", ascending=False, kind="stable").head(15)
        labels = [f"{r.rule}（{SEVERITY_ZH[r.severity]}）" for r in top.itertuples()]
        more = f"，共 {len(br)} 条规则，显示处数最多的 15 条" if len(br) > 15 else ""
        return rules_chart(
            f"校验发现的问题（按规则{more}）", labels, top["severity"].tolist(), top["findings"].tolist(), SEVERITY_ZH
        )

    def save(
        self, folder: str | os.PathLike, *, unmask: bool = False, layout_reason: str = "", others: Sequence[str] = ()
    ) -> OutputFiles:
        """The lists to upload and to fix, the workbook and ``summary.json`` (``write_validation_outputs``)."""
        from .validation_files import save_validation

        return save_validation(self, folder, unmask=unmask, layout_reason=layout_reason, others=others)


# ------------------------------------------------------------------------------------------------ engine


@dataclass
class _Sink:
    """What one check adds while it runs on a worker thread: its findings' parts and the rules it could not run."""

    parts: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)


class _Checker:
    """Holds the frame, its layout and the findings collected so far."""

    def __init__(self, df: pd.DataFrame, layout: Layout, params: dict):
        self.df = df
        # the columns read without the frame's attrs (its LoadReport): pandas deep-copies attrs into every Series
        # derived from a column, hundreds of times per check run
        self._bare = df.copy(deep=False)
        self._bare.attrs = {}
        self.layout = layout
        self.params = params
        self.n = len(df)
        self.cols = {str(c).upper(): c for c in df.columns}
        self.parts: list[Part] = []
        self._text: dict[str, pd.Series] = {}
        self._keys: dict[tuple[str, str], pd.Series] = {}
        self.key_field = next((k for k in ("KSH", "XJH", "XH") if k in self.cols), None)
        self.damaged_ids = np.zeros(self.n, bool)
        self.substitute_ok = np.zeros(self.n, bool)  # a substitute number whose 证件类型 fits it (SFZJLX_MISMATCH)
        self.ran: set[str] = set()  # every rule a check applied (found something or not)
        self.skipped: dict[str, str] = {}  # rule → why it could not run on this file
        self.param_notes: dict[str, str] = {}  # parameter → where its value came from
        # checks on two threads (_run_checks): each check's findings and skips go to its own _Sink, joined in
        # check order afterwards; the column caches are filled once under a lock per entry
        self._local = threading.local()
        self._locks: dict = {}
        self._locks_lock = threading.Lock()

    def _sink(self) -> _Sink | None:
        return getattr(self._local, "sink", None)

    def _once(self, cache: dict, key, make):
        """``cache[key]``, made by ``make()`` once even when two threads ask at the same time."""
        hit = cache.get(key)
        if hit is not None:
            return hit
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = make()
        return hit

    def skip(self, rules: Sequence[str], why: str) -> None:
        """``rules`` could not run on this file, for the reason ``why`` (said in the summary and the workbook)."""
        sink = self._sink()
        skipped = sink.skipped if sink is not None else self.skipped
        for rule in rules:
            skipped.setdefault(rule, why)

    # -- access ---------------------------------------------------------------------------------------
    def has(self, code: str) -> bool:
        return code in self.cols

    def text(self, code: str) -> pd.Series:
        """The column as str with missing → "" (values as written, not stripped)."""

        def make() -> pd.Series:
            s = self._bare[self.cols[code]]
            if pd.api.types.is_datetime64_any_dtype(s):
                s = s.dt.strftime("%Y%m%d")
            return s.astype(STR).fillna("").reset_index(drop=True)

        return self._once(self._text, code, make)

    def key(self, code: str) -> pd.Series:
        """``key_text`` of the column (computed once: 考生号 is read as a key by several checks)."""
        return self._once(self._keys, ("key", code), lambda: key_text(self.text(code)))

    def name(self, code: str) -> str:
        try:
            return self.layout.field(code).name
        except KeyError:
            return code

    def personal(self, code: str):
        try:
            kind = self.layout.field(code).personal
        except KeyError:
            kind = None
        from ..core.privacy import DEFAULT_PERSONAL

        return kind or DEFAULT_PERSONAL.get(code)

    # -- recording ------------------------------------------------------------------------------------
    def add(self, rule: str, mask_or_idx, code: str | None, detail=None, value=None, severity: str | None = None):
        """Findings of ``rule`` at the records ``mask_or_idx`` (a bool mask or positions); ``severity`` overrides
        the rule's (a layout field's ``pattern_severity``). Kept as arrays (``findings_table.Part``)."""
        self.ran.add(rule)
        idx = np.flatnonzero(mask_or_idx) if np.asarray(mask_or_idx).dtype == bool else np.asarray(mask_or_idx)
        if len(idx) == 0:
            return
        idx = idx.astype(np.int64, copy=False)
        if value is None:
            value = self.text(code) if code and self.has(code) else ""
        sink = self._sink()
        (sink.parts if sink is not None else self.parts).append(
            Part.of(rule, idx, code or "", texts_at(value, idx, self.n), texts_at(detail, idx, self.n), severity)
        )

    def add_structure(self, rule: str, code: str, detail=""):
        sink = self._sink()
        (sink.parts if sink is not None else self.parts).append(
            Part.of(rule, np.array([-1]), code, "", texts_at(detail, np.array([-1]), 1), None)
        )

    def findings(self) -> pd.DataFrame:
        """One row per finding (FINDING_COLUMNS), sorted by record (structure findings first) and severity; the
        sentences built per rule over the arrays (``findings_table``)."""
        keys = self.text(self.key_field) if self.key_field else None
        key_kind = self.personal(self.key_field) if self.key_field else None
        table = FindingsTable(load_rules(), self.name, self.personal, _mask_arrow, keys, key_kind)
        return table.frame(self.parts, FINDING_COLUMNS, SEVERITY_ORDER)


def _mask_arrow(values: pa.Array, kind: str) -> pa.Array:
    """``mask_value`` of each value of an Arrow string array (``mask_series``, without a Python call per value; ID
    numbers straight from Arrow to Arrow: ``mask_id_array``)."""
    if kind == "id" and isinstance(values, pa.Array):
        return mask_id_array(values)
    return pa.array(mask_series(pd.Series(pd.array(values, dtype=STR)), kind).array)


# Rule groups as the progress display names them.
CHECK_ZH = {
    "_check_structure": "结构",
    "_check_required": "必填项",
    "_check_width": "字段长度",
    "_check_codes": "代码值",
    "_check_dates": "日期",
    "_check_ident": "代码与编号的写法",
    "_check_formats": "字段格式",
    "_check_ids": "身份证号",
    "_check_id_type": "证件类型",
    "_check_ksh": "考生号",
    "_check_names": "姓名",
    "_check_category": "学历类别与层次",
    "_check_duplicates": "重复记录",
    "_check_k12": "中小学学籍规则",
    "_check_graduation": "毕业规则",
    "_check_cross_file": "跨文件查重复学籍",
}


def validate(
    df: pd.DataFrame,
    layout: str | os.PathLike | Layout | None = None,
    *,
    year: int | None = None,
    category: str | None = None,
    others: Mapping[str, pd.DataFrame] | None = None,
    source: str | None = None,
    school_year: int | None = None,
    first_grade_age: int = FIRST_GRADE_AGE,
    cutoff: str = AGE_CUTOFF,
    progress: ProgressArg = None,
) -> ValidationResult:
    """Check ``df`` against ``layout`` (a name, a path or a Layout; recognised from the columns when None).

    ``year`` (录取年份) and ``category`` (学历类别 10/20/50/70) are taken from the LQNF/XLLB columns when
    the file has them, else from these arguments, else (year) from the 入学日期. ``others`` are other
    files of the same kind (name → frame) to find the same person registered twice (重复学籍).
    K-12: ``school_year`` (the autumn year of the school year; derived from 入学年月 and 年级 when None),
    first graders must be ``first_grade_age`` by ``cutoff`` (MMDD) of that year. ``progress`` (None:
    silent; True: notebook or stderr; a callable ``(label, done, total)``) is told each rule group.

    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    >>> res = xj.validate(reg, year=2026, category="10")
    >>> res.total, res.passed_count, res.failed_count
    (995, 978, 17)
    """
    from ..schema.layouts import recognize_layout

    if layout is None:
        lay, _reason = recognize_layout(df.columns)
    else:
        lay = load_layout(layout)
    rep = load_report(df)
    src = source or (rep.path if rep else "（内存中的数据）")
    params = {
        "year": year,
        "category": category,
        "school_year": school_year,
        "first_grade_age": first_grade_age,
        "cutoff": cutoff,
    }
    ck = _Checker(df, lay, params)
    _infer_params(ck, year, category)
    checks = [
        _check_structure,
        _check_required,
        _check_width,
        _check_codes,
        _check_dates,
        _check_ident,
        _check_formats,
        _check_ids,
        _check_id_type,
        _check_ksh,
        _check_names,
        _check_category,
        _check_duplicates,
        _check_k12,
        _check_graduation,
    ] + ([_check_cross_file] if others else [])
    _memo_clear()
    try:
        with (
            retaining_pool(),
            Progress(progress, "校验", steps=[CHECK_ZH[c.__name__] for c in checks] + ["汇总"]) as task,
        ):
            task.step(CHECK_ZH[_check_structure.__name__])  # progress per rule group, never per record
            structure_ok = _check_structure(ck, rep)

            def run(check) -> None:
                if check is _check_cross_file:
                    check(ck, others)
                else:
                    check(ck)

            _run_checks(ck, checks[1:], run, lambda check: task.step(CHECK_ZH[check.__name__]))
            _memo_clear()  # the columns' byte views and codes go before the findings table is built (peak memory)
            task.step("汇总")
            findings = ck.findings()
    finally:
        _memo_clear()
    failed = records_with(ck.parts, load_rules(), "error", ck.n)  # the rows of the findings' errors
    if not structure_ok:
        failed[:] = True
    relevant = K12_PARAMS if lay.category == "k12" else HEI_PARAMS
    return ValidationResult(
        source=str(src),
        layout=lay,
        total=ck.n,
        findings=findings,
        failed=failed,
        structure_ok=structure_ok,
        params={k: v for k, v in ck.params.items() if v is not None and k in relevant},
        inputs={"data": df},
        rules_run=tuple(sorted(ck.ran)),
        rules_skipped={k: v for k, v in ck.skipped.items() if k not in ck.ran},
        param_notes={k: v for k, v in ck.param_notes.items() if k in relevant},
    )


HEI_PARAMS, K12_PARAMS = ("year", "category"), ("school_year", "first_grade_age", "cutoff")

# Checks run on two threads from this many records (numpy's and Arrow's kernels, most of a check's time, release
# the GIL); below it one after the other (a thread costs more than it saves)
PARALLEL_MIN_RECORDS = 50_000
# the checks that read what _check_ids leaves on the checker (damaged_ids, substitute_ok): started after it ends
_AFTER_IDS = ("_check_id_type", "_check_duplicates", "_check_k12", "_check_cross_file")
# taken first when free (the longest, and the one the duplicates wait for); the others in check order. 姓名 among
# them: left to the end, it ran alone on one thread while the other waited (≈50 ms on the dirty bench file)
_FIRST = ("_check_ids", "_check_duplicates", "_check_cross_file", "_check_width", "_check_names")


def _run_checks(ck: _Checker, checks: list, run, started) -> None:
    """``run(check)`` for each check; ``started(check)`` said in check order (the progress). From
    ``PARALLEL_MIN_RECORDS`` records on two worker threads: each check's findings and skipped rules are kept
    apart and joined in check order at the end, so the result is the one-thread result exactly."""
    if ck.n < PARALLEL_MIN_RECORDS or len(checks) < 2:
        for check in checks:
            started(check)
            run(check)
        return
    names = [c.__name__ for c in checks]
    ids_at = names.index("_check_ids") if "_check_ids" in names else None
    waits = [ids_at if (ids_at is not None and name in _AFTER_IDS) else None for name in names]
    sinks = [_Sink() for _ in checks]
    done = [threading.Event() for _ in checks]
    errors: list[BaseException | None] = [None] * len(checks)
    finished: set[int] = set()
    first = {name: k for k, name in enumerate(_FIRST)}
    pending = sorted(range(len(checks)), key=lambda i: (first.get(names[i], len(first)), i))
    cond = threading.Condition()

    def take() -> int | None:
        with cond:
            while pending:
                for j, i in enumerate(pending):
                    if waits[i] is None or waits[i] in finished:
                        return pending.pop(j)
                cond.wait()
            return None

    def worker() -> None:
        while (i := take()) is not None:
            ck._local.sink = sinks[i]
            try:
                run(checks[i])
            except BaseException as e:  # handed to the caller's thread, in check order
                errors[i] = e
                with cond:
                    pending.clear()
            finally:
                ck._local.sink = None
                with cond:
                    finished.add(i)
                    cond.notify_all()
                done[i].set()

    threads = [threading.Thread(target=worker, name=f"xueji-validate-{k}", daemon=True) for k in range(2)]
    for t in threads:
        t.start()
    try:
        for i, check in enumerate(checks):
            started(check)
            while not done[i].wait(0.5):
                if not any(t.is_alive() for t in threads):  # cancelled after an earlier error
                    break
            if errors[i] is not None:
                raise errors[i]
        failed = next((e for e in errors if e is not None), None)
        if failed is not None:
            raise failed
    finally:
        with cond:
            pending.clear()
        for t in threads:
            t.join()
    for sink in sinks:  # in check order, as one thread would have added them
        ck.parts.extend(sink.parts)
        for rule, why in sink.skipped.items():
            ck.skipped.setdefault(rule, why)


def _infer_params(ck: _Checker, year, category) -> None:
    """Where a higher-education file says its 录取年份 / 学历类别 itself, say so; a year not given and not in
    the file is read from the 考生号 (its first two digits are the year: 26… → 2026) when they agree."""
    if ck.layout.category == "k12":
        return
    if ck.has("LQNF"):
        ck.param_notes["year"] = "按文件中的录取年份（LQNF）字段" + ("，空的用指定值" if year else "")
    elif year:
        ck.param_notes["year"] = "指定"
    elif ck.has("KSH"):
        k = ck.key("KSH").fillna("")
        yy = k[k.str.fullmatch(r"\d{14}")].str.slice(0, 2)
        if len(yy):
            top = yy.value_counts()
            share = top.iloc[0] / len(yy)
            if share >= 0.9:
                ck.params["year"] = 2000 + int(top.index[0])
                ck.param_notes["year"] = (
                    f"由考生号前两位推断：{top.index[0]} → {ck.params['year']}，{share:.0%} 的考生号如此；"
                    "不对请用 --year 指定"
                )
    if ck.has("XLLB"):
        ck.param_notes["category"] = "按文件中的学历类别（XLLB）字段" + ("，空的用指定值" if category else "")
    elif category:
        ck.param_notes["category"] = "指定"


def _by_reason(skipped: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rule, why in skipped.items():
        out.setdefault(why, []).append(rule)
    return out


# ------------------------------------------------------------------------------------------------- rules


def _rows(s: pd.Series, idx) -> pd.Series:
    """``s.iloc[idx]`` for a str column, taken chunk by chunk (pandas' take over an Arrow column of many chunks joins
    the whole column first)."""
    arr = getattr(s.array, "_pa_array", None)
    if not isinstance(arr, pa.ChunkedArray) or arr.num_chunks <= 1 or s.dtype != STR:
        return s.iloc[idx]
    idx = np.asarray(idx, dtype=np.int64)
    return pd.Series(chunked_take(arr, idx), index=s.index[idx], name=s.name, dtype=STR)


_MEMO: dict = {}  # (function, id of the Series, args) → (the Series, the result): per validate call, then cleared
_MEMO_LOCKS: dict = {}  # the same keys → the lock its computation holds (cleared with _MEMO)
_MEMO_LOCKS_LOCK = threading.Lock()


def _memo_clear() -> None:
    _MEMO.clear()
    _MEMO_LOCKS.clear()


def _memo(fn):
    """Cache ``fn(s, *args)`` per Series object for the duration of one ``validate`` (the Series is kept alive with
    the result, so its id is not reused meanwhile)."""

    def wrapper(s, *args):
        key = (fn.__name__, id(s), args)
        hit = _MEMO.get(key)
        if hit is None or hit[0] is not s:
            with _MEMO_LOCKS_LOCK:  # checks on two threads: one computes, the other waits for it
                lock = _MEMO_LOCKS.setdefault(key, threading.Lock())
            with lock:
                hit = _MEMO.get(key)
                if hit is None or hit[0] is not s:
                    hit = _MEMO[key] = (s, fn(s, *args))
        return hit[1]

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


# a str column without missing values none of which halfwidth, no_spaces, upper or strip would change
# (core/normalize's byte table): judged once per column per validate call
_plain = _memo(key_text_unchanged)
_utf8 = _memo(chunk_bytes)  # a str column's bytes chunk by chunk (core.textbytes)


class _ByteTest:
    """``core.textbytes.byte_test(table)`` that keeps its table, so that ``_rows_where`` can skip a chunk holding
    none of its bytes without the test."""

    def __init__(self, table: np.ndarray):
        self.table = np.asarray(table, dtype=bool)
        self.test = _table_test(self.table)

    def __call__(self, d: np.ndarray) -> np.ndarray:
        return self.test(d)


_byte_test = _ByteTest


def _may_hold(d: np.ndarray, table: np.ndarray) -> bool:
    """Whether the bytes ``d`` may hold a byte of ``table``: none can lie outside their range (two fast reductions),
    and one or two single bytes left are looked for with ``bytes.find`` (memchr) — a copy of the chunk is cheaper
    than the test's passes and temporaries."""
    lo, hi = int(d.min()), int(d.max())
    left = np.flatnonzero(table[lo : hi + 1])
    if not len(left):
        return False
    if len(left) > 2:
        return True
    b = d.tobytes()
    return any(b.find(bytes([lo + int(c)])) >= 0 for c in left)


def _rows_where(chunks, byte_test) -> np.ndarray:
    """The rows holding a byte for which ``byte_test`` (uint8 array → bool array) is True; with a ``_ByteTest``,
    chunks that cannot hold such a byte (``_may_hold``) are skipped."""
    table = getattr(byte_test, "table", None)
    rows = []
    for start, off, data in chunks:
        if len(off) < 2 or off[-1] == off[0]:
            continue
        d = data[off[0] : off[-1]]
        if table is not None and not _may_hold(d, table):
            continue
        hit = np.flatnonzero(byte_test(d))
        if len(hit):
            at = np.searchsorted(off, hit + off[0], side="right") - 1  # sorted: its distinct values without a hash
            rows.append(at[np.r_[True, at[1:] != at[:-1]]] + start)
    return np.concatenate(rows) if rows else np.zeros(0, np.int64)


# the first byte of a character of two UTF-8 bytes (U+0080-U+07FF): up to four bytes in GB18030 (``_over_width``)
_TWO_BYTE_LEAD = _byte_test(np.isin(np.arange(256), np.arange(0xC2, 0xE0)))

# The first UTF-8 byte of every character str.strip() removes: \t-\r, \x1c-\x1f, space, U+0085/U+00A0 (C2),
# U+1680 (E1), U+2000-U+205F (E2), U+3000 (E3).
_BLANK_LEAD = np.zeros(256, bool)
_BLANK_LEAD[[*range(0x09, 0x0E), *range(0x1C, 0x21), 0xC2, 0xE1, 0xE2, 0xE3]] = True


def _empty(s: pd.Series) -> np.ndarray:
    """Blank (empty or only whitespace, as ``str.strip`` sees it) per value: only values that start with a blank
    character's first byte are stripped."""
    chunks = _utf8(s)
    if chunks is None:
        return (s.str.strip() == "").to_numpy()
    out = np.zeros(len(s), bool)
    cand = []
    for start, off, data in chunks:
        empty = off[1:] == off[:-1]
        out[start : start + len(empty)] = empty
        if len(data):  # each value's first byte (an empty value's is its neighbour's, and not looked at)
            lead = _BLANK_LEAD[data[np.minimum(off[:-1], len(data) - 1)]]
            cand.append(np.flatnonzero(lead & ~empty) + start)
    cand = np.concatenate(cand) if cand else np.zeros(0, np.int64)
    if len(cand):
        out[cand] = (_rows(s, cand).str.strip() == "").to_numpy()
    return out


def _has_control(s: pd.Series) -> np.ndarray:
    """Values with a control character (\x00-\x1f, \x7f): those bytes are never part of a longer UTF-8
    character, so the regex runs only on the values holding one."""
    return _where_bytes(s, _CONTROL, lambda v: v.str.contains(r"[\x00-\x1f\x7f]", regex=True))


_CONTROL = np.zeros(256, bool)
_CONTROL[[*range(0x20), 0x7F]] = True


class _LeadTables(dict):
    """characters → the 256-entry table of their first UTF-8 bytes (U+FF01-U+FF5E all start with EF)."""

    def __missing__(self, chars: str) -> np.ndarray:
        table = np.zeros(256, bool)
        table[[c.encode("utf-8")[0] for c in chars]] = True
        self[chars] = table
        return table


_LEADS = _LeadTables()


def _check_structure(ck: _Checker, rep) -> bool:
    """The platform's structure check (seed 000: "将您上传的dbf数据表结构与系统规定的标准表结构进行对比…系统会提示您缺失
    或者有误的字段"; "可以比系统规定的标准表结构多一些字段，但绝对不能少字段"). A missing required field fails the
    file (any input); for a DBF file and a layout whose ``structure_rule`` is "complete" (the upload layouts),
    so does any other missing field. A DBF field whose type or width differs from the standard is reported:
    an error where its values cannot fit the standard width, a warning otherwise. Extra fields are allowed."""
    ok = True
    dbf_file = rep is not None and rep.format == "dbf"
    complete = dbf_file and ck.layout.structure_rule == "complete"
    for f in ck.layout.fields:
        if ck.has(f.code):
            continue
        if f.required:
            ck.add_structure("STRUCT_MISSING_FIELD", f.code)
            ok = False
        elif complete:
            ck.add_structure("STRUCT_MISSING_OPTIONAL", f.code)
            ok = False
    known = set(ck.layout.codes)
    added = (rep.extra.get("sheet_column") if rep is not None else None) or ""  # the reader's 工作表, not the file's
    for code in ck.cols:
        if code not in known and code != str(added).upper() and code != added:
            ck.add_structure("STRUCT_EXTRA_FIELD", code)
    if not dbf_file:
        return ok
    for spec in rep.fields:
        name = str(spec.name).upper()
        if name not in known or not ck.has(name):
            continue
        lf = ck.layout.field(name)
        if lf.type == "C" and spec.type not in ("C", "V"):
            ck.add_structure(
                "STRUCT_FIELD_TYPE",
                name,
                {"N": "数值", "D": "日期", "L": "逻辑", "F": "浮点"}.get(spec.type, spec.type),
            )
        elif lf.type == "C" and spec.length and spec.length != lf.width:
            widths = f"文件中为 C{spec.length}，标准结构为 C{lf.width}"
            over = len(_over_width(ck.text(name), lf.width)[0]) if spec.length > lf.width else 0
            if over:
                ck.add_structure("STRUCT_FIELD_OVERFLOW", name, f"{widths}；{over} 条记录的值超过 {lf.width} 字节")
            else:
                fits = "，文件中的值都放得下" if spec.length > lf.width else "，原来较长的值可能已被截断"
                ck.add_structure("STRUCT_FIELD_WIDTH", name, widths + fits)
    return ok


def _over_width(s: pd.Series, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the values longer than ``width`` GBK (GB18030) bytes, and their lengths; each distinct
    candidate encoded once. GB18030 takes one byte for an ASCII character, two for one of GBK and four for most
    others (㐀 U+3400, ß, Ā) — never more than four: so at most its UTF-8 length plus one byte per character of
    three UTF-8 bytes (at most a third of them) plus two per character of two UTF-8 bytes (lead byte C2–DF).
    Candidates: the values whose UTF-8 length, so raised, passes ``width`` — a column holding no two-byte
    character gains at most a third, one holding some at most double."""
    chunks = _utf8(s)
    utf8 = (
        byte_lengths(chunks)
        if chunks is not None
        else np.asarray(pa.compute.binary_length(pa.array(s.array)).fill_null(0))
    )
    most = utf8
    if len(utf8) and 2 * int(utf8.max()) > width:  # else no value can pass: GB18030 is at most double
        texts = [data[off[0] : off[-1]] for _, off, data in chunks] if chunks is not None else None
        if texts is None or any(len(d) and d.max() >= 0x80 for d in texts):  # not ASCII alone (a byte each)
            two = texts is None or any(
                len(d) and _may_hold(d, _TWO_BYTE_LEAD.table) and _TWO_BYTE_LEAD(d).any() for d in texts
            )
            most = 2 * utf8 if two else utf8 + utf8 // 3
    over = most > width
    cand = np.flatnonzero(over)
    if not len(cand):
        return cand, cand
    if len(cand) > len(s) // 4:
        # many (a code column's Chinese labels: 性别 男/女 in a C2 field): the column's distinct values, which the
        # code checks also use (``_factorized``), instead of factorizing a large share of the column again
        codes, uniq = _factorized(s)
        codes = codes[cand]
        size = np.zeros(len(uniq), np.int64)
        seen = np.flatnonzero(np.bincount(codes, minlength=len(uniq)))  # the distinct values of the candidates
        size[seen] = [len(v.encode("gb18030")) for v in uniq.to_numpy(dtype=object)[seen]]
    else:
        codes, uniq = pd.factorize(_rows(s, cand))  # each distinct value encoded once
        size = np.array([len(v.encode("gb18030")) for v in uniq], dtype=np.int64)
    lengths = size[codes]
    over = lengths > width
    return cand[over], lengths[over]


def _check_required(ck: _Checker):
    no_id = _id_field(ck) if ck.layout.category == "k12" else None  # a blank ID number: SFZH_MISSING says it
    for f in ck.layout.fields:
        if f.required and ck.has(f.code) and f.code != no_id:
            ck.add("REQUIRED_EMPTY", _empty(ck.text(f.code)), f.code)


def _check_width(ck: _Checker):
    """Values longer in GBK bytes than the upload field (only for DBF upload layouts)."""
    if ck.layout.format != "dbf":
        return
    for f in ck.layout.fields:
        if f.type != "C" or not ck.has(f.code):
            continue
        s = ck.text(f.code)
        ck.add("FIELD_CONTROL_CHAR", _has_control(s), f.code)
        idx, lengths = _over_width(s, f.width)
        ck.add("FIELD_TOO_LONG", idx, f.code, detail=lengths)


def _check_codes(ck: _Checker):
    for f in ck.layout.fields:
        if not f.codes or not ck.has(f.code):
            continue
        codes, uniq = _factorized(ck.text(f.code))  # every judgement below is per distinct value
        table = load_code_table(f.codes)
        fixed, zeros = restore_leading_zeros(uniq, table)  # "1" for "01": Excel took the code for a number
        fixed = fixed.to_numpy(dtype=object)
        if zeros.any():
            idx = np.flatnonzero(_spread(zeros, codes, False))
            ck.add("CODE_LEADING_ZERO", idx, f.code, detail=fixed[codes[idx]])
            # the upload file carries the code (io.lists.layout_frame): judge that
        # table.match_kind(value) == "unknown" / "deprecated", one look-up per distinct value (NA: "empty")
        kinds = [table.match(u)[1] for u in fixed]
        unknown_u = np.array([k == "unknown" for k in kinds], dtype=bool)
        if f.code in ("MZ",):  # 港澳台生填写户籍所在区域
            unknown_u &= ~np.array([str(u).strip() in ("香港", "澳门", "台湾") for u in fixed], dtype=bool)
        ck.add("CODE_INVALID", _spread(unknown_u, codes, False), f.code, detail=f.codes)
        dep = np.flatnonzero(_spread(np.array([k == "deprecated" for k in kinds], dtype=bool), codes, False))
        if len(dep):
            labels = table.to_label(pd.Series(fixed, dtype=object)).to_numpy(dtype=object)
            ck.add("CODE_DEPRECATED", dep, f.code, detail=labels[codes[dep]])


def _check_dates(ck: _Checker):
    for f in ck.layout.fields:
        if not f.date or not ck.has(f.code):
            continue
        codes, uniq = _factorized(ck.text(f.code))  # each distinct value judged once
        s = uniq.str.strip()
        present = (s != "").to_numpy()
        if f.date == "YYYYMM":
            norm = date_text(s + "01")
            ok_form = s.str.fullmatch(r"\d{6}").to_numpy(dtype=bool)
            valid = norm.notna().to_numpy()
        else:
            norm = date_text(s)
            ok_form = s.str.fullmatch(r"\d{8}").to_numpy(dtype=bool)
            valid = norm.notna().to_numpy()
        ck.add("DATE_INVALID", _spread(present & ~valid, codes, False), f.code)
        ck.add("DATE_FORMAT", _spread(present & valid & ~ok_form, codes, False), f.code, detail=f.date)


_FULLWIDTH_ALNUM = "[０-９Ａ-Ｚａ-ｚ]"


def _check_ident(ck: _Checker):
    """Codes and identifiers (layout fields marked ``ident``: 学号, 班号, 考生号, 学校标识码 …) in half-width characters
    with upper-case letters — seed 004: "凡是字母、数字禁止用中文输入法下的全角输入,含有字母的必须大写"."""
    for f in ck.layout.fields:
        if not f.ident or not ck.has(f.code):
            continue
        s = ck.text(f.code)
        full = _where_bytes(s, _LEADS["\uff10"], lambda v: v.str.contains(_FULLWIDTH_ALNUM, regex=True))
        lower = _has_lowercase(s)
        for rule, bad in (("FIELD_FULLWIDTH", full), ("FIELD_LOWERCASE", lower)):
            idx = np.flatnonzero(bad)
            fixed = _upper_written(_rows(s, idx))  # what to write instead (only the rows found)
            kind = ck.personal(f.code)
            ck.add(rule, idx, f.code, detail=mask_series(fixed, kind) if kind else fixed)


def _upper_written_each(v: pd.Series) -> pd.Series:
    """What to write instead of an identifier with full-width or lower-case letters: half-width, stripped, upper
    case (the plain way ``_upper_written`` must equal)."""
    return halfwidth(v).str.strip().str.upper()


def _upper_written(v: pd.Series) -> pd.Series:
    """``_upper_written_each(v)``: a value of ASCII without blanks (none of ``KEY_REDO_BYTES``) and not empty is its
    ``key_text`` (its bytes with a-z made A-Z: halfwidth and strip leave it as it is), the others the plain way."""
    chunks = chunk_bytes(v)
    if chunks is None:
        return _upper_written_each(v)
    other = byte_lengths(chunks) == 0
    other[_rows_where(chunks, _byte_test(KEY_REDO_BYTES))] = True
    if other.sum() > len(v) // 2:
        return _upper_written_each(v)
    out = key_text(v)
    if other.any():
        at = np.flatnonzero(other)
        out.iloc[at] = _upper_written_each(v.iloc[at]).to_numpy(dtype=object)
    return out


def _has_lowercase(s: pd.Series) -> np.ndarray:
    """``s.str.contains("[a-z]")`` per value: the bytes a-z are never part of a longer UTF-8 character, so the
    values holding one are the answer (the regex only where the column's bytes cannot be read)."""
    chunks = _utf8(s)
    if chunks is None:
        return s.str.contains("[a-z]", regex=True).fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(s), bool)
    out[_rows_where(chunks, _byte_test(_LEADS["abcdefghijklmnopqrstuvwxyz"]))] = True
    return out


def _check_formats(ck: _Checker):
    """Each layout field's declared format (``pattern`` or a named ``format``: phone, address, postcode,
    school_id — seed 004's 家庭住址, 电话, 邮政编码; 学校标识码), with the layout's words and severity; and codes
    that must name one thing (``label_field``: the same 学校标识码 with two 学校名称, or the reverse)."""
    for f in ck.layout.fields:
        if not f.pattern or not ck.has(f.code):
            continue
        s = ck.text(f.code).str.strip()
        bad = (s != "").to_numpy() & ~s.str.fullmatch(f.pattern).fillna(False).to_numpy(dtype=bool)
        ck.add("FIELD_FORMAT", bad, f.code, detail=f.pattern_message, severity=f.pattern_severity)
    for f in ck.layout.fields:
        if f.label_field and ck.has(f.code) and ck.has(f.label_field):
            codes = _factorized_per_distinct(ck.text(f.code), key_text)
            names = _factorized_per_distinct(ck.text(f.label_field), lambda s: s.str.strip().replace("", None))
            _disagreeing(ck, codes, names, f.code, f.label_field)  # one code, two names: the odd name
            _disagreeing(ck, names, codes, f.label_field, f.code)  # one name, two codes: the odd code


def _factorized_per_distinct(s: pd.Series, fn) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(_per_distinct(s, fn))`` without the million-value column: ``fn`` on each distinct value, the
    results factorized (first seen first, as over the rows) and their codes spread through the column's."""
    codes, uniq = _factorized(s)
    dc, du = pd.factorize(fn(uniq).to_numpy(dtype=object))
    return _spread(dc.astype(np.int64), codes, -1), du


def _disagreeing(ck: _Checker, keys, values, key_field: str, value_field: str):
    """Records whose ``values`` differ from what most records with the same ``keys`` hold: CODE_NAME_MISMATCH on
    ``value_field``, naming the usual value and where it is. Integer codes of both columns, counted per pair with
    numpy; a sentence per key that has several values (few)."""
    ck.ran.add("CODE_NAME_MISMATCH")
    kc, ku = keys  # (codes, distinct values): ``_factorized_per_distinct``
    vc, vu = values
    both = (kc >= 0) & (vc >= 0)
    if not both.any():
        return
    pair = kc[both].astype(np.int64) * len(vu) + vc[both]
    if len(ku) * len(vu) <= 1 << 22:  # few codes and names (most files): counted per pair without a sort
        counts = np.bincount(pair, minlength=len(ku) * len(vu))
        pairs = np.flatnonzero(counts)
        counts = counts[pairs]
    else:
        pairs, counts = np.unique(pair, return_counts=True)
    pk, pv = pairs // len(vu), pairs % len(vu)
    several = np.bincount(pk, minlength=len(ku)) > 1
    if not several.any():
        return
    usual = np.full(len(ku), -1, np.int64)  # the most frequent value per key (the first seen on a tie)
    sel = np.flatnonzero(several[pk])
    order = sel[np.lexsort((pv[sel], -counts[sel], pk[sel]))]
    first = order[np.r_[True, pk[order][1:] != pk[order][:-1]]]
    usual[pk[first]] = pv[first]
    odd = np.flatnonzero(both & several[np.clip(kc, 0, None)] & (vc != usual[np.clip(kc, 0, None)]))
    word = row_word(ck.df)
    key_name, value_name = ck.name(key_field), ck.name(value_field)
    texts = {}
    for k in np.unique(kc[odd]):
        pos = np.flatnonzero((kc == k) & (vc == usual[k]))
        shown = shown_rows(ck.df, pos[:5] + 1).tolist() if ck.df is not None else (pos[:5] + 1).tolist()
        where = "、".join(str(int(r)) for r in shown) + ("等" if len(pos) > 5 else "")
        texts[k] = f"{key_name}“{ku[k]}”在其他 {len(pos)} 条记录（第 {where} {word}）中的{value_name}为“{vu[usual[k]]}”"
    ck.add("CODE_NAME_MISMATCH", odd, value_field, detail=np.array([texts[k] for k in kc[odd]], dtype=object))


def _id_field(ck: _Checker) -> str | None:
    return next((c for c in ids.ID_NUMBER_FIELDS if ck.has(c)), None)


def _id_applies(ck: _Checker) -> np.ndarray:
    """Rows whose ID field holds a 居民身份证 number (K-12: 证件类型 1 or not given)."""
    if not ck.has("SFZJLX"):
        return np.ones(ck.n, bool)
    t = load_code_table("sfzjlx").to_code(ck.text("SFZJLX"))
    return (t.isna() | (t == "1")).to_numpy()


def normalized_ids(s: pd.Series) -> pd.Series:
    """ID numbers as compared: half-width, no blanks, upper-case X, 15 digits converted to 18."""
    return ids.to18(key_text(s))


def _substitute_ids(ck: _Checker, n: pd.Series, check_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numbers of the forms in ``schema/data/id_forms.csv`` (11113+学号, 回乡证, 台胞证, 护照, 999+学校代码…) where
    the form applies (证件类型, 港澳台侨外, 民族/籍贯 say so, or the shape alone): (recognised, the form's name,
    whether the record's 证件类型 fits the form). ``n``: the numbers half-width, without blanks, upper case;
    ``check_ok``: their GB 11643 check digit is right.
    A valid 18-digit 身份证号 is never a substitute, so the forms are matched, column-wise, only against the other
    numbers; only those that fit a form built from the record's own fields (``equals``) are compared one by one."""
    rec = np.zeros(ck.n, bool)
    names = np.full(ck.n, "", dtype=object)
    fits_type = np.zeros(ck.n, bool)
    valid = check_ok  # 17 digits and the right check character
    pos = np.flatnonzero((n != "").to_numpy(dtype=bool) & ~valid)
    if not len(pos):
        return rec, names, fits_type
    cand = n.iloc[pos].reset_index(drop=True)

    def column(code: str, table: str | None = None) -> pd.Series | None:
        if not ck.has(code):
            return None
        s = ck.text(code).iloc[pos].reset_index(drop=True)
        return load_code_table(table).to_code(s) if table else s

    sfzjlx, gatqw = column("SFZJLX", "sfzjlx"), column("GATQW", "gatqw")
    # the region fields as codes into their distinct values (a few dozen 民族 / 籍贯): each form's words are looked
    # for once per distinct value, then spread to the candidates
    regions = [(codes[pos], uniq) for codes, uniq in (_factorized(ck.text(c)) for c in REGION_FIELDS if ck.has(c))]
    none = np.zeros(len(pos), bool)
    found = np.zeros(len(pos), bool)
    for form in load_id_forms():
        typed = sfzjlx.isin(form.sfzjlx).to_numpy(dtype=bool) if sfzjlx is not None and form.sfzjlx else none
        said = typed | (gatqw.isin(form.gatqw).to_numpy(dtype=bool) if gatqw is not None and form.gatqw else none)
        for codes, uniq in regions if form.region else ():
            hit = uniq.str.contains("|".join(map(re.escape, form.region)), regex=True).to_numpy(dtype=bool)
            said = said | _spread(hit, codes, False)
        if not form.shape_alone and not said.any():  # nothing says this form applies: no number can be one
            continue
        m = ~found
        prefix = _literal_prefix(form.pattern)  # 11113…, 999…: the regex only on the numbers that start so
        if prefix:
            m &= cand.str.startswith(prefix).to_numpy(dtype=bool)
        at = np.flatnonzero(m)
        if not len(at):
            continue
        m[at] = _rows(cand, at).str.fullmatch(form.pattern).fillna(False).to_numpy(dtype=bool)
        if not m.any():
            continue
        m &= said | form.shape_alone
        built = form.equals_parts()
        if built and ck.has(built[1]) and m.any():
            prefix, field_code, more = built
            idx = np.flatnonzero(m)
            own = (prefix + key_text(ck.text(field_code).iloc[pos[idx]]).fillna("")).tolist()
            ok = [g.startswith(o) if more else g == o for g, o in zip(cand.iloc[idx].tolist(), own)]
            m[idx[~np.asarray(ok, bool)]] = False
        found |= m
        names[pos[m]] = form.name
        fits_type[pos[m & (typed | form.shape_alone)]] = True
    rec[pos[found]] = True
    return rec, names, fits_type


_REGEX_SPECIAL = set("\\.^$*+?{}[]()|")


def _literal_prefix(pattern: str) -> str:
    """The text every full match of the regex ``pattern`` starts with: its leading ordinary characters, less the last
    one when a quantifier follows it; "" when the pattern has an alternation anywhere (conservative: a shorter
    prefix only lets more values through to the regex).

    >>> _literal_prefix("11113[0-9A-Z]{1,20}"), _literal_prefix("ab?c"), _literal_prefix("[EG][0-9]{8}|E[A-Z]")
    ('11113', 'a', '')
    """
    if "|" in pattern:
        return ""
    n = 0
    while n < len(pattern) and pattern[n] not in _REGEX_SPECIAL:
        n += 1
    if n < len(pattern) and pattern[n] in "*+?{":
        n -= 1
    return pattern[: max(n, 0)]


def _check_ids(ck: _Checker):
    code = _id_field(ck)
    if not code:
        return
    raw = ck.text(code)
    _check_missing_id(ck, code, raw)
    applies = _id_applies(ck) & ~_empty(raw)
    plain = _plain(raw)  # then halfwidth, no_spaces and upper leave every value as it is
    half = raw if plain else halfwidth(raw)
    nospace = raw if plain else no_spaces(half)
    upper = raw if plain else nospace.str.upper()
    check_ok = _checksum_ok(upper)
    sub, sub_names, ck.substitute_ok = _substitute_ids(ck, upper, check_ok)
    ck.add("SFZH_SUBSTITUTE", applies & sub, code, detail=sub_names)
    applies &= ~sub  # reported as what it is, never as a broken 身份证号
    if ck.has("SFZJLX"):  # type 居民身份证 but nothing like an ID number: SFZJLX_MISMATCH says it once
        compact = upper  # no_spaces(halfwidth(raw)).str.upper()
        applies &= compact.str.fullmatch(r"\d{15}|\d{17}[\dX]|\d(\.\d+)?E\+?\d+").to_numpy()
    damaged = applies & _excel_damaged(ck, code, raw)
    ck.add("SFZH_EXCEL_DAMAGED", damaged, code)
    ck.damaged_ids = damaged
    applies &= ~damaged  # what Excel destroyed cannot be checked further
    ck.add("SFZH_FULLWIDTH", applies & (np.zeros(ck.n, bool) if plain else half.ne(raw).to_numpy()), code)
    space = _where_bytes(raw, _BLANK_LEAD, lambda v: v.str.contains(r"\s", regex=True))
    ck.add("SFZH_SPACE", applies & space, code)
    ck.add("SFZH_LOWER_X", applies & _id_shape(nospace, 18, "x"), code)
    n = upper
    is15 = _id_shape(n, 15, r"\d")
    if (applies & is15).any():
        idx = np.flatnonzero(applies & is15)
        ck.add("SFZH_15", idx, code, detail=[mask_value("id", v) for v in ids.to18(n.iloc[idx])])
    length = byte_lengths(_utf8(n)) if plain else n.str.len().to_numpy()  # ASCII: a character is a byte
    ck.add("SFZH_LENGTH", applies & ~is15 & (length != 18), code, detail=length)
    shaped = _id_shape(n, 18, r"\dX")
    ck.add("SFZH_CHARS", applies & (length == 18) & ~shaped, code)
    good_shape = applies & shaped
    wrong = np.flatnonzero(good_shape & ~check_ok)  # the check character each should have, for those only
    expected = _check_chars(n, wrong)
    ck.add("SFZH_CHECKSUM", wrong, code, detail=expected)
    if _plain(n):  # every part of the number from its bytes (the same answers, no string column built)
        _check_id_parts_plain(ck, code, n, good_shape)
        return
    birth = ids.birth_date(n)
    birth_ok = date_text(birth).notna().to_numpy()
    ck.add("SFZH_BIRTH_INVALID", good_shape & ~birth_ok, code, detail=birth)
    prefix = n.str.slice(0, 2)
    known = province_of(n).notna().to_numpy() | prefix.isin(HMT_PREFIXES).to_numpy()
    ck.add("SFZH_AREA_UNKNOWN", good_shape & ~known, code, detail=prefix)
    if ck.has("CSRQ"):
        csrq = date_text(ck.text("CSRQ"))
        mism = good_shape & birth_ok & csrq.notna().to_numpy() & (birth != csrq).fillna(False).to_numpy()
        idx = np.flatnonzero(mism)
        detail = "号码中为 " + birth.iloc[idx] + "，出生日期字段为 " + csrq.iloc[idx]
        ck.add("SFZH_BIRTH_MISMATCH", idx, code, detail=detail)
    sex_field = next((c for c in SEX_FIELDS if ck.has(c)), None)
    if sex_field:
        xb = load_code_table("xb").to_code(ck.text(sex_field))
        id_sex = ids.sex_code(n)
        mism = good_shape & xb.isin(["1", "2"]).to_numpy() & (xb != id_sex).fillna(False).to_numpy()
        idx = np.flatnonzero(mism)
        word = id_sex.iloc[idx].map({"1": "男", "2": "女"}).fillna("")
        detail = "号码表示" + word + "，性别字段为“" + ck.text(sex_field).iloc[idx] + "”"
        ck.add("SFZH_SEX_MISMATCH", idx, code, detail=detail)


_BYTE_CHARS = np.array([chr(i) for i in range(256)], dtype=object)


def _check_chars(n: pd.Series, rows: np.ndarray) -> np.ndarray:
    """``ids.check_char`` of the first 17 characters of ``n`` at ``rows`` (well-shaped numbers), as objects: those
    of 18 ASCII bytes from their bytes (``ids.check_bytes``), any other the per-value way."""
    out = np.empty(len(rows), dtype=object)
    got = _fixed_bytes(n, 18)
    done = np.zeros(len(rows), bool)
    if got is not None and len(rows):
        at, b = got
        pos = np.minimum(np.searchsorted(at, rows), max(len(at) - 1, 0))
        done = (at[pos] == rows) if len(at) else done
        sel = b[pos[done], :17]
        done[done] = _all_digits(sel, 17)
        out[done] = _BYTE_CHARS[ids.check_bytes(b[pos[done], :17])]
    if not done.all():
        other = rows[~done]
        out[~done] = ids.check_char(_rows(n, other).str.slice(0, 17)).to_numpy(dtype=object)
    return out


def _check_id_parts_plain(ck: _Checker, code: str, n: pd.Series, good_shape: np.ndarray) -> None:
    """SFZH_BIRTH_INVALID, SFZH_AREA_UNKNOWN, SFZH_BIRTH_MISMATCH and SFZH_SEX_MISMATCH for a plain column (``_plain``)
    over the numbers' bytes: each applies to well-shaped numbers only (17 ASCII digits and a digit or X), so the
    birth date, the area prefix and the sex digit are read as integers; sentences are built at the rows found."""
    rows, b = _fixed_bytes(n, 18)
    sel = good_shape[rows]
    at = rows[sel]  # the well-shaped numbers' rows
    gb = b[sel]
    birth = _digit_ints(gb, 6, 14)
    csrq = _date_ints(ck.text("CSRQ"))[at] if ck.has("CSRQ") else None
    if csrq is None:
        birth_ok = _valid_ymd(birth)
    else:  # a birth date equal to a valid 出生日期 is valid: judge only the others
        birth_ok = (birth == csrq) & (csrq >= 0)
        other = np.flatnonzero(~birth_ok)
        birth_ok[other] = _valid_ymd(birth[other])
    bad = at[~birth_ok]
    ck.add("SFZH_BIRTH_INVALID", bad, code, detail=ids.birth_date(_rows(n, bad)))
    prefix = (gb[:, 0].astype(np.int64) - 0x30) * 10 + (gb[:, 1].astype(np.int64) - 0x30)
    bad = at[~_province_prefixes()[prefix]]
    ck.add("SFZH_AREA_UNKNOWN", bad, code, detail=_rows(n, bad).str.slice(0, 2))
    if csrq is not None:
        sel = birth_ok & (csrq >= 0) & (birth != csrq)
        idx = at[sel]
        # "号码中为 " + ids.birth_date(number) + "，出生日期字段为 " + date_text(出生日期): the number's birth digits are
        # its bytes 7-14 (ASCII digits), the field's text is date_text of each distinct value
        cc, cu = _factorized(ck.text("CSRQ"))
        field_text = pa.array(date_text(cu).fillna("").array, LARGE).take(pa.array(cc[idx]))
        texts = [pa.scalar(t, LARGE) for t in ("号码中为 ", "，出生日期字段为 ", "")]
        detail = pa.compute.binary_join_element_wise(
            texts[0], matrix_strings(gb[sel, 6:14]), texts[1], field_text, texts[2]
        )
        ck.add("SFZH_BIRTH_MISMATCH", idx, code, detail=pd.Series(detail, dtype=STR))
    sex_field = next((c for c in SEX_FIELDS if ck.has(c)), None)
    if sex_field:
        xc, xu = _factorized(ck.text(sex_field))
        xb = load_code_table("xb").to_code(xu)  # per distinct value
        odd = (gb[:, 16] & 1).astype(bool)  # "1" (male) for an odd 17th digit
        male = _spread((xb == "1").fillna(False).to_numpy(dtype=bool), xc[at], False)
        female = _spread((xb == "2").fillna(False).to_numpy(dtype=bool), xc[at], False)
        sel = (male & ~odd) | (female & odd)
        idx = at[sel]
        # "号码表示" + 男/女 (ids.sex_code of the number) + "，性别字段为“" + the field's text + "”": one sentence per
        # (parity, distinct value of the field), spread by code
        words = [f"号码表示{word}，性别字段为“{u}”" for word in ("女", "男") for u in xu.tolist()]
        combo = odd[sel].astype(np.int64) * len(xu) + xc[idx]
        detail = pa.array(words, LARGE).take(pa.array(combo))
        ck.add("SFZH_SEX_MISMATCH", idx, code, detail=pd.Series(detail, dtype=STR))


def _digit_ints(b: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The ASCII digits ``b[:, lo:hi]`` of each row as an int64 (summed in blocks that stay in the cache)."""
    out = np.empty(len(b), np.int64)
    step = 1 << 15
    for i in range(0, len(b), step):
        acc = np.zeros(len(b[i : i + step]), np.int64)
        for j in range(lo, hi):
            acc *= 10
            acc += b[i : i + step, j]
        out[i : i + step] = acc - 48 * int("1" * (hi - lo))
    return out


def _valid_ymd(v: np.ndarray) -> np.ndarray:
    """YYYYMMDD integers that are real calendar dates (core/normalize's one calendar check)."""
    return valid_ymd(v // 10000, v // 100 % 100, v % 100)


@_memo
def _date_ints(s: pd.Series) -> np.ndarray:
    """``date_text(s)`` per value as a YYYYMMDD int64, -1 where it is NA — each distinct value parsed once."""
    codes, uniq = _factorized(s)
    ints = int_or_na(date_text(uniq)).fillna(-1).to_numpy(dtype=np.int64)
    return _spread(ints, codes, -1)


def _province_codes() -> np.ndarray:
    """Per two-digit prefix 0-99: ``province_of`` knows it (a 省级 code NN0000 of 行政区划)."""
    table = load_code_table("xzqh")
    out = np.zeros(100, bool)
    for p in range(100):
        entry = table._index.get(f"{p:02d}0000")
        out[p] = bool(entry and entry[1] == "code")
    return out


def _province_prefixes() -> np.ndarray:
    """Per two-digit prefix 0-99: ``province_of`` knows it, or it is Hong Kong, Macao or Taiwan (81-83)."""
    out = _province_codes()
    out[[int(p) for p in HMT_PREFIXES]] = True
    return out


_fixed_bytes = _memo(width_bytes)  # the values of one byte length as a byte matrix (core.textbytes)


@_memo
def _all_digits(b: np.ndarray, m: int) -> np.ndarray:
    """Per row of the byte matrix ``b``: its first ``m`` bytes are all ASCII digits (``_is_digit(b[:, :m]).all(axis=1)``
    without numpy's slow reduction along a short row: the positions of the other bytes, few as a rule). Kept per
    matrix for the validate call: the ID numbers' 17 digits are asked for by the checksum and two shape tests.
    Read only (shared)."""
    k, w = b.shape
    out = np.ones(k, bool)
    if not k or m <= 0:
        return out
    at = np.flatnonzero((b - np.uint8(0x30)) > 9)  # uint8 wraps: every byte but "0"-"9" lands above 9
    if m < w:
        at = at[at % w < m]
    out[at // w] = False
    return out


def _is_digit(b: np.ndarray) -> np.ndarray:
    return (b >= 0x30) & (b <= 0x39)


def _id_shape(s: pd.Series, width: int, last: str) -> np.ndarray:
    """``s.str.fullmatch(rf"\\d{{{width - 1}}}[{last}]")`` per value ("\\d" in "last": any digit): ASCII values
    over their bytes; the regex (whose \\d takes every Unicode digit) only on values with a non-ASCII character."""
    pattern = rf"\d{{{width - 1}}}[{last}]"
    got = _fixed_bytes(s, width)
    if got is None:
        return s.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    rows, b = got
    out = np.zeros(len(s), bool)
    ends = np.frombuffer(last.replace("\\d", "0123456789").encode(), np.uint8)
    out[rows] = _all_digits(b, width - 1) & np.isin(b[:, width - 1], ends)
    wide = _rows_where(_utf8(s), _NOT_ASCII)
    if len(wide):
        out[wide] = _rows(s, wide).str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    return out


_NOT_ASCII = _byte_test(np.arange(256) >= 0x80)


def _checksum_ok(s: pd.Series) -> np.ndarray:
    """``ids.checksum_ok`` over the values' bytes: 17 ASCII digits and the right check character."""
    got = _fixed_bytes(s, 18)
    if got is None:
        return ids.checksum_ok(s).to_numpy()
    rows, b = got
    out = np.zeros(len(s), bool)
    out[rows] = _all_digits(b, 17) & (ids.check_bytes(b[:, :17]) == b[:, 17])
    return out


def _check_missing_id(ck: _Checker, code: str, raw: pd.Series):
    """K-12: a blank ID number where the 证件类型 is 居民身份证 or not given — a pupil without an ID number (seed 004:
    "无身份证号码问题较为突出"; "没有居民身份证件号的中国公民学生，须由学校开具《无身份证号学生在校就读证明表》")."""
    if ck.layout.category != "k12":
        return
    blank = _empty(raw)
    if ck.has("SFZJLX"):
        t = load_code_table("sfzjlx").to_code(ck.text("SFZJLX"))
        typed = (t == "1").fillna(False).to_numpy(dtype=bool)
        untyped = _empty(ck.text("SFZJLX"))
        detail = np.where(typed, "身份证件类型为居民身份证", "没有填写身份证件类型")
        ck.add("SFZH_MISSING", blank & (typed | untyped), code, detail=detail)
    else:
        ck.add("SFZH_MISSING", blank, code, detail="名单中没有身份证件类型，按居民身份证处理")


def _excel_damaged(ck: _Checker, code: str, raw: pd.Series) -> np.ndarray:
    """ID numbers a number cell destroyed: scientific notation, or a cell the loader found stored as a number
    that cannot hold all its digits (Excel's 15 significant digits, a script's or WPS's double with 16–17:
    ``LoadReport.extra["damaged_cells"]``, per record) — whatever its check digit happens to be. For a frame
    without that record (built in memory) in a column the loader reported damage in: 16–18 digits with at most
    15 significant ones and a wrong check digit."""
    sci_re = r"\d(\.\d+)?E\+?\d+"
    # only a value with an E (or e) can be in scientific notation: the regex runs on those
    sci = _where_bytes(raw, _LEADS["Ee"], lambda v: v.str.strip().str.upper().str.fullmatch(sci_re))
    rep = load_report(ck.df)
    cells = (rep.extra.get("damaged_cells") or {}).get(code) if rep is not None else None
    if cells is not None and pd.api.types.is_integer_dtype(ck.df.index.dtype):
        return sci | np.isin(ck.df.index.to_numpy(), cells)
    flagged = rep is not None and any(w.code == "EXCEL_NUMBER_DAMAGED" and w.field == code for w in rep.warnings)
    if not flagged:
        return sci
    n = raw.str.strip().str.upper()
    digits = n.str.fullmatch(r"\d{16,18}").to_numpy()
    significant = n.str.rstrip("0").str.len().to_numpy() <= 15
    return sci | (digits & significant & ~ids.checksum_ok(n).to_numpy())


def _check_id_type(ck: _Checker):
    """K-12: 身份证件类型 consistent with the number given."""
    code = _id_field(ck)
    if not code or not ck.has("SFZJLX"):
        return
    table = load_code_table("sfzjlx")
    t = table.to_code(ck.text("SFZJLX"))
    n = no_spaces(halfwidth(ck.text(code))).str.upper()
    present = (n != "").to_numpy() & ~_excel_damaged(ck, code, ck.text(code))
    id_shaped = n.str.fullmatch(r"\d{17}[\dX]|\d{15}").to_numpy()
    mainland = id_shaped & ids.checksum_ok(n).to_numpy() & ~n.str.slice(0, 2).isin(HMT_PREFIXES).to_numpy()
    bad = present & (((t == "1").to_numpy() & ~id_shaped) | (t.isin(["6", "7", "8", "9", "A"]).to_numpy() & mainland))
    bad &= ~ck.substitute_ok  # a substitute number under the 证件类型 its form names (e.g. 11113+学号)
    ck.add("SFZJLX_MISMATCH", bad, code, detail=table.to_label(ck.text("SFZJLX")).fillna(""))


def _record_years(ck: _Checker) -> pd.Series:
    """录取年份 per record: LQNF column, else the year argument, else the year of 入学日期."""
    if ck.has("LQNF"):
        y = int_or_na(ck.text("LQNF")).astype("float64")
        if ck.params.get("year"):
            y = y.fillna(ck.params["year"])
        return y
    if ck.params.get("year"):
        return pd.Series(float(ck.params["year"]), index=range(ck.n))
    if ck.has("RXRQ"):
        return int_or_na(date_text(ck.text("RXRQ")).str.slice(0, 4)).astype("float64")
    return pd.Series(np.nan, index=range(ck.n))


def _check_ksh(ck: _Checker):
    if not ck.has("KSH") or ck.layout.category == "k12":
        return
    if _plain(ck.text("KSH")):
        _check_ksh_plain(ck)
        return
    k = ck.key("KSH").fillna("")
    present = (k != "").to_numpy()
    fmt_ok = k.str.fullmatch(r"[0-9A-Z]{1,18}").to_numpy()
    ck.add("KSH_FORMAT", present & ~fmt_ok, "KSH")
    is14 = k.str.fullmatch(r"\d{14}").to_numpy()
    ck.add("KSH_SPECIAL", present & fmt_ok & ~is14, "KSH")
    years = _record_years(ck)
    yy = int_or_na(k.str.slice(0, 2)).astype("float64")
    diff = ((years % 100) - yy).abs()
    ck.add(
        "KSH_YEAR", is14 & (diff > 1).fillna(False).to_numpy(), "KSH", detail=years.fillna(0).astype(int).astype(str)
    )
    prov = province_of(k.str.slice(2, 4) + "0000").notna().to_numpy()
    ck.add("KSH_PROVINCE", is14 & ~prov, "KSH", detail=k.str.slice(2, 4))


_UPPER_ALNUM = np.zeros(256, bool)
_UPPER_ALNUM[[*range(0x30, 0x3A), *range(0x41, 0x5B)]] = True
_DIGIT = np.zeros(256, bool)
_DIGIT[0x30:0x3A] = True


def _check_ksh_plain(ck: _Checker) -> None:
    """``_check_ksh`` for a plain 考生号 column (``_plain``: its key is the text itself, "" for NA) over its bytes:
    [0-9A-Z]{1,18} and \\d{14} are byte classes and lengths; year and province digits read as integers."""
    k = ck.text("KSH")
    chunks = _utf8(k)
    length = byte_lengths(chunks)
    present = length > 0
    fmt_ok = (length >= 1) & (length <= 18)
    fmt_ok[_rows_where(chunks, _byte_test(~_UPPER_ALNUM))] = False
    ck.add("KSH_FORMAT", present & ~fmt_ok, "KSH")
    is14 = length == 14
    is14[_rows_where(chunks, _byte_test(~_DIGIT))] = False
    ck.add("KSH_SPECIAL", present & fmt_ok & ~is14, "KSH")
    years = _record_years(ck)
    rows, b = _fixed_bytes(k, 14)
    sel = is14[rows]
    at, b = rows[sel], b[sel]
    yy = _digit_ints(b, 0, 2).astype(np.float64)
    y = years.to_numpy(dtype=np.float64, na_value=np.nan)[at]
    idx = at[np.abs((y % 100) - yy) > 1]  # NaN years compare False
    ck.add("KSH_YEAR", idx, "KSH", detail=years.iloc[idx].fillna(0).astype(int).astype(str))
    idx = at[~_province_codes()[_digit_ints(b, 2, 4)]]
    ck.add("KSH_PROVINCE", idx, "KSH", detail=_rows(k, idx).str.slice(2, 4))


_NAME_OK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\ue000-\uf8ff·?？]+"


def _where_bytes(s: pd.Series, lead: np.ndarray, exact) -> np.ndarray:
    """``exact(s)`` (a bool Series) evaluated only on the values holding a byte of the 256-entry table ``lead``
    (the first bytes of every character ``exact`` can match); False elsewhere."""
    chunks = _utf8(s)
    if chunks is None:
        return exact(s).to_numpy(dtype=bool)
    out = np.zeros(len(s), bool)
    rows = _rows_where(chunks, _byte_test(lead))
    if len(rows):
        out[rows] = exact(_rows(s, rows)).to_numpy(dtype=bool)
    return out


def _not_common_han(d: np.ndarray) -> np.ndarray:
    """Per byte: the first byte of a character outside U+4E00-U+9FFF (E4 with a second byte ≥ B8, or E5-E9)."""
    nxt = np.empty_like(d)
    nxt[:-1], nxt[-1:] = d[1:], 0
    common = ((d >= 0xE5) & (d <= 0xE9)) | ((d == 0xE4) & (nxt >= 0xB8))
    return ((d & 0xC0) != 0x80) & ~common


def _name_ok(s: pd.Series) -> np.ndarray:
    """``s.str.fullmatch(_NAME_OK)`` per value; a value of CJK unified ideographs only (U+4E00-U+9FFF) fits
    without the regex, a value holding an ASCII character other than "?" (the only one the pattern takes) does
    not, and the regex runs on the others."""
    chunks = _utf8(s)
    if chunks is None:
        return s.str.fullmatch(_NAME_OK).fillna(False).to_numpy(dtype=bool)
    cand = byte_lengths(chunks) == 0
    cand[_rows_where(chunks, _not_common_han)] = True
    out = ~cand
    if cand.any():
        cand[_rows_where(chunks, _byte_test(_ASCII_NOT_IN_NAME))] = False
    rows = np.flatnonzero(cand)
    if len(rows):
        out[rows] = _rows(s, rows).str.fullmatch(_NAME_OK).fillna(False).to_numpy(dtype=bool)
    return out


_ASCII_NOT_IN_NAME = np.zeros(256, bool)  # every ASCII byte but "?": a name holding one cannot match _NAME_OK
_ASCII_NOT_IN_NAME[:0x80] = True
_ASCII_NOT_IN_NAME[0x3F] = False


def _check_names(ck: _Checker):
    if not ck.has("XM"):
        return
    raw = ck.text("XM")
    chunks = _utf8(raw)
    # no byte a blank can start with: str.strip and no_spaces leave every value as it is
    cand = _rows_where(chunks, _byte_test(_BLANK_LEAD)) if chunks is not None else None
    # (Python's isspace takes every blank str.strip or \s does; str.split() splits at exactly those characters, so
    # the joined candidates hold none of them when splitting gives them back whole)
    joined = "".join(_rows(raw, cand).tolist()) if cand is not None else None
    unblank = joined is not None and (not joined or joined.split() == [joined])
    s = raw if unblank else raw.str.strip()
    present = (s != "").to_numpy()
    ck.add("XM_SPACE", present & _where_bytes(s, _BLANK_LEAD, lambda v: v.str.contains(r"\s", regex=True)), "XM")
    compact = s if unblank else no_spaces(s)
    odd_dots = _where_bytes(compact, _LEADS["•・．."], lambda v: v.str.contains("[•・．.]", regex=True))
    fullwidth = _where_bytes(compact, _LEADS["\uff01"], lambda v: v.str.contains("[\uff01-\uff5e]", regex=True))
    ck.add("XM_FULLWIDTH", present & odd_dots & ~fullwidth, "XM")
    name_ok = np.array(_name_ok(compact), dtype=bool)  # a writable copy
    dotted = np.flatnonzero(odd_dots)  # the dots removed first: only these values change
    if len(dotted):
        name_ok[dotted] = _name_ok(_rows(compact, dotted).str.replace("[•・．.]", "", regex=True))
    bad = present & ~name_ok
    ck.add("XM_INVALID_CHAR", bad, "XM")
    placeholder = _where_bytes(compact, _LEADS["?？"], lambda v: v.str.contains("[?？]", regex=True))
    ck.add("XM_PLACEHOLDER", present & placeholder, "XM")
    middle = _where_bytes(compact, _LEADS["·"], lambda v: v.str.contains("·", regex=False))
    length = np.array(compact.str.len().to_numpy())  # a writable copy
    dots = np.flatnonzero(middle)  # "·" not counted: only these values change
    if len(dots):
        length[dots] = _rows(compact, dots).str.replace("·", "").str.len().to_numpy()
    ck.add("XM_LENGTH", present & ~bad & ((length < 2) | (length > 15)), "XM", detail=length)


def _record_categories(ck: _Checker) -> pd.Series:
    if ck.has("XLLB"):
        c = load_code_table("xllb").to_code(ck.text("XLLB"))
        if ck.params.get("category"):
            c = c.fillna(str(ck.params["category"]))
        return c
    return pd.Series(str(ck.params["category"]) if ck.params.get("category") else None, index=range(ck.n), dtype=STR)


def _dates(s: pd.Series) -> pd.Series:
    """``pd.to_datetime(s, format="%Y%m%d", errors="coerce")``, each distinct value parsed once."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    parsed = pd.to_datetime(pd.Series(np.asarray(uniq, dtype=object), dtype=STR), format="%Y%m%d", errors="coerce")
    values = np.append(parsed.to_numpy(), np.array(["NaT"], dtype=parsed.dtype))[codes]
    return pd.Series(values, index=s.index, dtype=parsed.dtype)


@_memo
def _factorized(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``pd.factorize(s)`` (NA → -1) once per column, the distinct values as a str Series (position = code).
    A column of one byte width (codes, 8-digit dates, a constant label), blanks aside, is coded from its bytes
    (``_width_codes``); any other the plain way, pandas hashing the texts."""
    got = _width_codes(s)
    if got is None:
        codes, uniq = pd.factorize(s, use_na_sentinel=True)
        return codes, pd.Series(np.asarray(uniq, dtype=object), dtype=STR)
    codes, first = got
    return codes, pd.Series(np.asarray(_rows(s, first).array, dtype=object), dtype=STR)


# ``_width_codes`` counts its exact codes in a table of at most this many entries per row (else: hashing)
WIDTH_CODES_PER_ROW = 2
# ``_width_codes`` finds the distinct values' first rows among this many first rows (most of them are met there),
# then those of the values first met after them among the rows that hold them
WIDTH_CODES_HEAD = 1 << 14


def _width_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``pd.factorize(s)``'s codes (the distinct values numbered in order of first appearance) and each distinct
    value's first row, for a str column without missing values whose values all have one byte length w ≥ 1 or
    are empty: each value's w bytes as one exact integer (``core.textbytes.fixed_codes``, the empty text below
    them all), counted in a table of the integers' range — no string hashed. None for any other column, or when
    the integers' range is too wide to count in a table.

    Plain path: ``pd.factorize(s, use_na_sentinel=True)`` (what ``_factorized`` does with None)."""
    n = len(s)
    chunks = _utf8(s)
    if chunks is None or not n:
        return None
    lengths = byte_lengths(chunks)
    w = int(lengths.max())
    if w == 0 or not ((lengths == w) | (lengths == 0)).all():
        return None
    rows, matrix = width_bytes(s, w)  # not kept: a copy of the column's bytes, wanted only here
    got = fixed_codes([matrix])
    del matrix
    if got is None:
        return None
    if len(rows) == n:
        full = got[0]
    else:
        full = np.zeros(n, np.int64)  # the empty text: 0
        full[rows] = got[0] + 1
    size = int(full.max()) + 1
    if size > WIDTH_CODES_PER_ROW * n + (1 << 16):
        return None
    seen, first = np.unique(full[:WIDTH_CODES_HEAD], return_index=True)
    known = np.zeros(size, bool)
    known[seen] = True
    at = WIDTH_CODES_HEAD + np.flatnonzero(~known[full[WIDTH_CODES_HEAD:]])  # rows of the values met later
    if len(at):  # rare ones, as a rule: each one's first row among those rows
        more, first_more = np.unique(full[at], return_index=True)
        seen, first = np.concatenate([seen, more]), np.concatenate([first, at[first_more]])
    k = len(seen)
    order = np.argsort(first, kind="stable")
    table = np.empty(size, np.int64)
    table[seen[order]] = np.arange(k, dtype=np.int64)
    return table[full], first[order]


def _spread(per_unique, codes: np.ndarray, na) -> np.ndarray:
    """Values per distinct value (position = code) → per row; ``na`` where the code is -1."""
    per_unique = np.asarray(per_unique)
    table = np.append(per_unique, np.asarray([na], dtype=per_unique.dtype))
    if table.dtype.kind in "biu" and (table == table[0]).all():  # one answer for all (a check that found nothing)
        return np.full(len(codes), table[0], dtype=table.dtype)  # no million-row gather
    return table[codes]


def _cat_codes(ck: _Checker) -> tuple[np.ndarray, pd.Series]:
    """The record categories (``_record_categories``) as codes into their distinct values; a single category for
    the whole file (no XLLB column) without a million-value column."""
    if not ck.has("XLLB"):
        c = str(ck.params["category"]) if ck.params.get("category") else None
        return np.full(ck.n, 0 if c is not None else -1, np.int64), pd.Series([c] if c is not None else [], dtype=STR)
    codes, uniq = _factorized(_record_categories(ck))
    return codes, uniq


def _dates_days(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``_dates(date_text(s))`` as (days since 1970, year), float64 with NaN for NaT; each distinct value once."""
    codes, uniq = _factorized(s)
    parsed = _dates(date_text(uniq))
    days = _days(parsed.to_numpy())
    years = parsed.dt.year.to_numpy(dtype=np.float64, na_value=np.nan)
    return _spread(days, codes, np.nan), _spread(years, codes, np.nan)


def _days(t: np.ndarray) -> np.ndarray:
    """datetime64 values (any unit) → days since 1970 as float64, NaN for NaT."""
    return np.where(np.isnat(t), np.nan, t.astype("datetime64[D]").astype(np.int64).astype(np.float64))


def _check_category(ck: _Checker):
    if ck.layout.category != "higher_ed":
        return
    cc, cu = _cat_codes(ck)
    if not (cc >= 0).any():
        ck.skip(
            ["XXXS_CATEGORY", "CC_CATEGORY", "AGE_IMPLAUSIBLE"],
            "不知道学历类别：文件中没有学历类别（XLLB）字段，也没有指定；请用 --category 指定（如 10 普通本专科）",
        )
        return
    labels = load_code_table("xllb").labels_by_code()

    def cat_word(idx: np.ndarray) -> pd.Series:  # the category's words at the rows found
        return (
            pd.Series(_spread(cu.to_numpy(dtype=object), cc[idx], None), dtype=STR)
            .map({c: f"{c}（{label}）" for c, label in labels.items()})
            .fillna("")
        )

    def is_cat(c: str) -> np.ndarray:
        return _spread((cu == c).to_numpy(dtype=bool), cc, False)

    for field_code, table, allowed_by in (("XXXS", "xxxs", CATEGORY_FORMS), ("CC", "cc", CATEGORY_LEVELS)):
        if not ck.has(field_code):
            continue
        fc, fu = _factorized(ck.text(field_code))
        label = load_code_table(table).to_label(fu)  # per distinct value
        bad = np.zeros(ck.n, bool)
        for c, allowed in allowed_by.items():
            bad_u = (label.notna() & ~label.isin(allowed)).to_numpy(dtype=bool)
            bad |= is_cat(c) & _spread(bad_u, fc, False)
        idx = np.flatnonzero(bad)
        ck.add(f"{field_code}_CATEGORY", idx, field_code, detail=cat_word(idx))
    if ck.has("CSRQ"):
        birth, _ = _dates_days(ck.text("CSRQ"))
        if ck.has("RXRQ"):
            entry, entry_year = _dates_days(ck.text("RXRQ"))
        else:
            e = pd.to_datetime(_record_years(ck).astype("Int64").astype(STR) + "0901", format="%Y%m%d", errors="coerce")
            entry = _days(e.to_numpy())
            entry_year = e.dt.year.to_numpy(dtype=np.float64, na_value=np.nan)
        age = (entry - birth) / 365.25
        bad = np.zeros(ck.n, bool)
        for c, (lo, hi) in ENTRY_AGE.items():
            bad |= is_cat(c) & ((age < lo) | (age > hi))
        idx = np.flatnonzero(bad)
        ck.add("AGE_IMPLAUSIBLE", idx, "CSRQ", detail=np.floor(np.nan_to_num(age[idx])).astype(int))
        if ck.has("RXRQ"):
            years = _record_years(ck) if (ck.has("LQNF") or ck.params.get("year")) else None
            if years is None:
                ck.skip(["RXRQ_YEAR"], "不知道录取年份：文件中没有 LQNF 字段、考生号也看不出年份；请用 --year 指定")
            if years is not None:
                y = years.to_numpy(dtype=np.float64, na_value=np.nan)
                idx = np.flatnonzero(~np.isnan(entry_year) & ~np.isnan(y) & (np.abs(entry_year - y) > 1))
                ck.add("RXRQ_YEAR", idx, "RXRQ", detail=years.iloc[idx].fillna(0).astype(int).astype(str))


# an int64 per digit string (ID numbers, 考生号, 学号 of digits; NA -1), equal exactly where the texts are
# (core.textbytes); None for a column of other texts
_digit_keys = _memo(digit_codes)


_HASH_MUL = np.uint64(0x100000001B3)


def _hashed_keys(keys: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(positions of the values that are not missing, a 64-bit hash of each) when all those values have the same
    number of UTF-8 bytes, at least one (学号 with letters, codes): the bytes read as 8-byte words, exact up to
    eight bytes, else combined (equal values, equal hashes; a collision is only a candidate). Else None."""
    arr = getattr(keys.array, "_pa_array", None)
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)) or not len(keys):
        return None
    lengths = np.asarray(pa.compute.binary_length(arr).fill_null(0), dtype=np.int64)
    some = lengths > 0
    if not some.any() or len(keys) - int(some.sum()) != arr.null_count:  # an empty string is a value
        return None
    width = int(lengths[some][0])
    if (lengths[some] != width).any():
        return None
    got = _fixed_bytes(keys if not arr.null_count else pd.Series(arr.fill_null(""), dtype=STR), width)
    if got is None:
        return None
    rows, b = got
    if width <= 8:
        padded = np.zeros((len(b), 8), np.uint8)
        padded[:, :width] = b
        return rows, padded.view("<u8")[:, 0]
    starts = [*range(0, width - 7, 8)] + ([width - 8] if width % 8 else [])
    h = np.zeros(len(b), np.uint64)
    for j in starts:
        h *= _HASH_MUL
        h ^= np.ascontiguousarray(b[:, j : j + 8]).view("<u8")[:, 0]
    return rows, h


def _first_digits(keys: pd.Series) -> bool:
    """False when the first value that is not missing already shows the keys are not digit strings (``digit_codes``
    would look through the whole column to say None: 学号 with letters); True otherwise."""
    arr = getattr(keys.array, "_pa_array", None)
    if arr is None:
        return True
    for chunk in arr.chunks:
        valid = chunk.drop_null() if chunk.null_count else chunk
        if len(valid):
            first = valid[0].as_py()
            return (
                first.isascii()
                and (first[:-1].isdigit() or not first[:-1])
                and (first[-1:].isdigit() or first[-1:] in ("", "X"))
            )
    return True


def _duplicated(keys: pd.Series) -> np.ndarray:
    """``keys.duplicated(keep=False)`` with NA never a duplicate; over sorted integers when the keys are digit
    strings (``_digit_keys``): no hashing of a million strings."""
    ints = _digit_keys(keys) if _first_digits(keys) else None
    if ints is None:
        hashed = _hashed_keys(keys)
        if hashed is None:
            codes, uniq = pd.factorize(keys)
            counts = np.append(np.bincount(codes[codes >= 0], minlength=len(uniq)), 0)  # codes == -1 picks the 0
            return counts[codes] > 1
        rows, h = hashed  # equal values have equal hashes: only values whose hash repeats are compared as text
        v = np.sort(h)
        twice = v[1:][v[1:] == v[:-1]]
        out = np.zeros(len(keys), bool)
        if len(twice):
            cand = rows[np.isin(h, twice)]
            codes, uniq = pd.factorize(_rows(keys, cand))
            out[cand] = np.bincount(codes, minlength=len(uniq))[codes] > 1
        return out
    valid = ints >= 0
    v = np.sort(ints[valid])
    twice = v[1:][v[1:] == v[:-1]]
    if not len(twice):
        return np.zeros(len(keys), bool)
    return valid & np.isin(ints, np.unique(twice))


def _related_rows(keys: pd.Series, df: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose key occurs more than once, and for each the other rows with that key — named as the person
    sees them in ``df``'s file (the Excel row, the DBF record number: ``core.rows``)."""
    dup = _duplicated(keys)
    idx = np.flatnonzero(dup)
    if not len(idx):
        return idx, np.array([], dtype=object)
    shown = shown_rows(df, idx + 1).to_numpy(dtype=np.int64) if df is not None else idx + 1
    word = row_word(df)
    at = _rows(keys, idx)
    groups = pd.Series(shown).groupby(at.to_numpy()).agg(list)
    lookup = at.map(groups).to_numpy()
    detail = np.array(
        [("与第 " + "、".join(str(r) for r in rows if r != me) + f" {word}相同") for me, rows in zip(shown, lookup)],
        dtype=object,
    )
    return idx, detail


def _check_duplicates(ck: _Checker):
    code = _id_field(ck)
    if ck.has("KSH") and ck.layout.category != "k12":
        idx, detail = _related_rows(ck.key("KSH"), ck.df)
        ck.add("KSH_DUPLICATE", idx, "KSH", detail=detail)
    if code:
        # a number cut short by Excel is not the same person as another cut to the same digits
        keys = normalized_ids(ck.text(code))
        idx, detail = _related_rows(keys.where(~ck.damaged_ids) if ck.damaged_ids.any() else keys, ck.df)
        ck.add("SFZH_DUPLICATE", idx, code, detail=detail)
    if ck.has("XH"):
        idx, detail = _related_rows(key_text(ck.text("XH")), ck.df)
        ck.add("XH_DUPLICATE", idx, "XH", detail=detail)
    if ck.has("XJH"):
        idx, detail = _related_rows(key_text(ck.text("XJH")), ck.df)
        ck.add("XJH_DUPLICATE", idx, "XJH", detail=detail)
    if ck.layout.category == "k12" and code and all(ck.has(c) for c in ("XM", "XB", "CSRQ")):
        no_id = _empty(ck.text(code))
        key = (
            key_text(ck.text("XM"))
            + "|"
            + load_code_table("xb").to_code(ck.text("XB")).fillna("?")
            + "|"
            + date_text(ck.text("CSRQ")).fillna(key_text(ck.text("CSRQ")).fillna(""))
        )
        key = key.where(no_id)
        idx, detail = _related_rows(key, ck.df)
        ck.add("DUP_NAME_SEX_BIRTH", idx, "XM", detail=detail)


_GRADE_INDEX = (
    {f"1{i}": i for i in range(1, 7)} | {f"2{i}": 6 + i for i in range(1, 4)} | {f"3{i}": 9 + i for i in range(1, 4)}
)


def _check_k12(ck: _Checker):
    if ck.layout.category != "k12":
        return
    code = _id_field(ck)
    if ck.has("XJH"):
        x = key_text(ck.text("XJH")).fillna("")
        present = (x != "").to_numpy()
        shaped = x.str.fullmatch(r"[GJL]\d{17}[\dX]").to_numpy()
        ck.add("XJH_FORMAT", present & ~shaped, "XJH")
        body = x.str.slice(1)
        if code:
            idn = normalized_ids(ck.text(code)).fillna("")
            comparable = idn.str.fullmatch(r"\d{17}[\dX]").to_numpy()  # else SFZJLX/SFZH rules speak
            g = shaped & x.str.startswith("G").to_numpy() & comparable & (body != idn).to_numpy()
            g &= ~ck.damaged_ids
            ck.add("XJH_G_MISMATCH", g, "XJH")
        j = shaped & x.str.startswith("J").to_numpy() & ~ids.checksum_ok(body).to_numpy()
        ck.add("XJH_J_CHECKSUM", j, "XJH")
    if not (ck.has("NJ") and ck.has("CSRQ")):
        return
    grade = load_code_table("nj").to_code(ck.text("NJ")).map(_GRADE_INDEX)
    birth = pd.to_datetime(date_text(ck.text("CSRQ")), format="%Y%m%d", errors="coerce")
    year = ck.params.get("school_year")
    if not year and ck.has("RXNY"):
        # 入学年月 is the entry into the current stage (小学/初中/高中): school year = entry + years in stage
        entry_year = int_or_na(ck.text("RXNY").str.strip().str.slice(0, 4))
        in_stage = load_code_table("nj").to_code(ck.text("NJ")).str.slice(1, 2).astype("Float64")
        guess = (entry_year + in_stage - 1).dropna()
        year = int(guess.mode().iloc[0]) if len(guess) else None
        ck.params["school_year"] = year
        if year:
            ck.param_notes["school_year"] = "按入学年月（RXNY）和年级推断"
    if not year:
        ck.skip(
            ["AGE_GRADE_UNDER", "AGE_GRADE_IMPLAUSIBLE"],
            "不知道学年：文件中没有入学年月（RXNY）字段，也没有指定；请用 --school-year 指定（秋季学期所在年份）",
        )
        return
    cutoff = pd.Timestamp(f"{year}{ck.params['cutoff']}")
    had_birthday = (birth.dt.month < cutoff.month) | ((birth.dt.month == cutoff.month) & (birth.dt.day <= cutoff.day))
    years_old = (cutoff.year - birth.dt.year - (~had_birthday).astype(int)).astype("Float64")
    min_age = ck.params["first_grade_age"]
    under = ((grade == 1) & (years_old < min_age)).fillna(False).to_numpy()
    ck.add("AGE_GRADE_UNDER", under, "CSRQ", detail=f"{year} 年 {cutoff.month} 月 {cutoff.day} 日")
    off = ((years_old - (grade + min_age - 1)).abs() > 3).fillna(False).to_numpy() & ~under
    ck.add("AGE_GRADE_IMPLAUSIBLE", off, "CSRQ", detail=years_old.fillna(0).astype(int).to_numpy())


def _check_graduation(ck: _Checker):
    if not ck.has("ZSBH"):
        return
    z = key_text(ck.text("ZSBH")).fillna("")
    present = (z != "").to_numpy()
    shaped = z.str.fullmatch(r"\d{18}").to_numpy()
    ck.add("ZSBH_FORMAT", present & ~shaped, "ZSBH")
    if ck.has("YXDM"):
        yx = key_text(ck.text("YXDM")).fillna("")
        ck.add("ZSBH_SCHOOL", shaped & (z.str.slice(0, 5) != yx).to_numpy() & (yx != "").to_numpy(), "ZSBH", detail=yx)
    t = z.str.slice(5, 6)
    cat = _record_categories(ck)
    expected_t = cat.map(ZSBH_TYPES)
    bad_t = shaped & (
        ~t.isin(["1", "5", "6", "7"]).to_numpy() | (expected_t.notna() & (t != expected_t)).fillna(False).to_numpy()
    )
    ck.add(
        "ZSBH_TYPE", bad_t, "ZSBH", detail=("为 " + t + "，应为 " + expected_t.fillna("1/5/6/7")).to_numpy(dtype=object)
    )
    if ck.has("BYRQ"):
        by = date_text(ck.text("BYRQ")).str.slice(0, 4)
        ck.add(
            "ZSBH_YEAR",
            shaped & by.notna().to_numpy() & (z.str.slice(6, 10) != by).fillna(False).to_numpy(),
            "ZSBH",
            detail=by.fillna(""),
        )
    if ck.has("CC"):
        level = load_code_table("cc").to_label(ck.text("CC"))
        want = level.map(ZSBH_LEVEL)
        ck.add(
            "ZSBH_LEVEL",
            shaped & want.notna().to_numpy() & (z.str.slice(10, 12) != want).fillna(False).to_numpy(),
            "ZSBH",
            detail=ck.text("CC"),
        )
    idx, detail = _related_rows(z.where(z != ""), ck.df)
    ck.add("ZSBH_DUPLICATE", idx, "ZSBH", detail=detail)
    if ck.has("BYJL"):
        yiye = load_code_table("byjl").to_label(ck.text("BYJL")) == "肄业"
        ck.add("BYJL_YIYE", yiye.fillna(False).to_numpy(), "BYJL")


def _check_cross_file(ck: _Checker, others: Mapping[str, pd.DataFrame]):
    code = _id_field(ck)
    keys = {}
    if code:
        keys[code] = normalized_ids(ck.text(code)).where(~ck.damaged_ids)
    if ck.has("XJH"):
        keys["XJH"] = key_text(ck.text("XJH"))
    for fcode, mine in keys.items():
        hits = pd.Series([""] * ck.n, dtype=object)
        for name, other in others.items():
            ocols = {str(c).upper(): c for c in other.columns}
            ocode = (
                fcode
                if fcode in ocols
                else next((c for c in ids.ID_NUMBER_FIELDS if c in ocols), None)
                if fcode != "XJH"
                else None
            )
            if not ocode or ocode not in ocols:
                continue
            theirs = other[ocols[ocode]].astype(STR).fillna("")
            theirs = normalized_ids(theirs) if fcode != "XJH" else key_text(theirs)
            pos = pd.Series(np.arange(1, len(theirs) + 1)).groupby(theirs.to_numpy()).first()
            found = mine.map(pos)
            where = found.notna().to_numpy()
            shown = shown_rows(other, found[where].to_numpy(dtype=np.int64))
            hits[where] = hits[where] + [f"「{name}」第 {int(r)} {row_word(other)}；" for r in shown]
        hit = hits.str.len().to_numpy() > 0
        ck.add("CROSS_FILE_DUPLICATE", hit, fcode, detail="本文件和 " + hits.str.rstrip("；"))
    _check_near_cross_file(ck, others, code)


# The pairs across files that CROSS_FILE_DUPLICATE (the same number, 15 digits counted as their 18) does not see.
_NEAR_KINDS = ("one_digit", "swap", "one_missing", "no_id")


def _check_near_cross_file(ck: _Checker, others: Mapping[str, pd.DataFrame], code: str | None) -> None:
    """SFZH_NEAR_DUPLICATE: a record of this file and a record of another with the same 姓名 and 出生日期 (and
    性别) whose ID numbers are one digit apart, two adjacent digits swapped, or missing on one side or both —
    probably the same child entered twice (004, 慈利营养办). The search is ``near_pairs``' (the one ``xueji
    dupes`` runs), on DuckDB; the sentence is its, naming both rows and which copy the check digit favours."""
    from ..engine.engines import engine_for
    from ..io.source import ListSource
    from .near_pairs import find_pairs, worded

    ck.ran.add("SFZH_NEAR_DUPLICATE")
    if not (ck.has("XM") and ck.has("CSRQ")):
        return
    own = "本文件"
    names = [own] + [n if n != own else f"{n}（对照）" for n in others]
    sources = {own: ListSource.of(ck.df)} | {nm: ListSource.of(o) for nm, o in zip(names[1:], others.values())}
    with engine_for(None) as con:
        found = find_pairs(con, sources)
    d = found.detail
    if not len(d):
        return
    cross = d[((d["li_a"] == 0) != (d["li_b"] == 0)) & d["kind"].isin(_NEAR_KINDS)].reset_index(drop=True)
    if not len(cross):
        return
    pairs = worded(cross, names, sources)
    mine = np.where(pairs["li_a"].to_numpy() == 0, pairs["r_a"].to_numpy(), pairs["r_b"].to_numpy()).astype(np.int64)
    text = (pairs["explain"] + "；" + pairs["verdict"]).groupby(mine - 1).agg("；".join)
    detail = pd.Series([""] * ck.n, dtype=object)
    detail.iloc[text.index.to_numpy()] = text.to_numpy()
    ck.add("SFZH_NEAR_DUPLICATE", text.index.to_numpy(), code or "XM", detail=detail)
