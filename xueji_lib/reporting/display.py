"""How a result reads to a person: the one place that turns a result object into tables, a chart, HTML and
text for a notebook, a report or a dashboard. Rendering only: every number comes from the object itself
(``counts``, ``to_dict()``, its frames); nothing is computed anew.

    >>> import xueji_lib as xj
    >>> from xueji_lib import display as xd
    >>> res = xj.reconcile(adm, reg, year=2026, states=states)     # doctest: +SKIP
    >>> xd.summary_frame(res)          # 名单 | 结果 | 记录数, each side ending in 合计 = its record count  # doctest: +SKIP
    >>> xd.list_frames(res)["资格有误"]  # the first 10 rows, Chinese headers, personal fields masked  # doctest: +SKIP
    >>> xd.chart(res)                  # a plotly Figure (JupyterLab draws it through plotly's mimetype)  # doctest: +SKIP
    >>> html = xd.to_html(res)         # summary + lists + a plotly div, no plotly.js, no outside host  # doctest: +SKIP
    >>> print(res)                     # == xd.to_text(res) == res.summary()                            # doctest: +SKIP

Results handled: ValidationResult, ReconcileResult, CompareResult, HandoffResult, StatsResult, PhotoResult,
LoadReport. Each has ``_repr_html_`` = ``to_html(result, chart=False)``, so a result as the last expression
of a notebook cell shows its summary and lists.

Charts and where they draw. A notebook output is one MIME bundle, and the front end shows one type from it:
JupyterLab 4 ranks plotly's ``application/vnd.plotly.v1+json`` above ``text/html``, so tables and a chart
cannot share one output. A plotly div without plotly.js draws nothing in a fresh JupyterLab 4 session:
plotly.js lives inside the jupyterlab-plotly renderer, which sets ``window.Plotly`` only once it has drawn a
plotly output (seen in JupyterLab 4.6 with plotly 7.1 — a side effect, not an interface to rely on); and
scripts in HTML outputs only run in trusted notebooks. Hence:

- notebooks (JupyterLab 4): the result's own display is HTML tables only (no script, renders anywhere,
  also when the notebook is reopened untrusted or viewed on a code host); put ``xd.chart(res)`` in its own
  cell: the Figure is drawn by plotly's mimetype renderer — nothing fetched, nothing inlined.
- reports exported by nbconvert (``xueji_lib.reporting.report``): the report notebook shows ``xd.chart(res)`` through
  ``report.plotly_html`` (plotly.js inlined once per chart), because nbconvert's HTML cannot use the
  mimetype renderer and the report must work offline.
- HTML pages that already load plotly.js (a Voila dashboard, a report page): ``to_html(res)`` embeds the chart
  as a plotly div with ``include_plotlyjs=False``. Its script draws when ``window.Plotly`` is present — also
  when plotly.js is inlined later in the page (it waits for the page's load event) — and otherwise leaves a
  one-line note where the chart would be. It never refers to another host.

Masking: columns holding personal fields (身份证号, 学籍号, phone, address: every field code
``privacy.DEFAULT_PERSONAL`` covers, and the ``key`` column when the key field is one of them) are masked with
``xueji_lib.core.privacy`` unless ``unmask=True``. Sentences (reasons, messages) are masked by the function that
wrote them (validate, check_photos always; reconcile holds no personal values; compare/handoff unless called
with ``unmask=True``). For a compare/handoff result computed with ``unmask=True`` the sentences are masked
here too (ID-shaped numbers, mobile numbers, the values after a personal field's name). ``unmask=True`` here
cannot show what the result itself holds only masked.
"""
from __future__ import annotations

import html as _html
import json
import re
import uuid

import pandas as pd

from ..core.privacy import mask_address, mask_id, mask_phone, mask_series, personal_kind

__all__ = ["summary_frame", "list_frames", "chart", "to_html", "to_text", "school_frame"]

TOTAL = "合计"
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
CHART_HEIGHT = 450


# ---------------------------------------------------------------------------------------------- dispatch

def _kind(result) -> str:
    from ..matching.compare import CompareResult, HandoffResult
    from ..io.loadinfo import LoadReport
    from ..checks.photos import PhotoResult
    from ..matching.reconcile import ReconcileResult
    from ..stats.statistics import StatsResult
    from ..checks.validate import ValidationResult

    for cls, name in ((ReconcileResult, "reconcile"), (ValidationResult, "validation"), (CompareResult, "compare"),
                      (HandoffResult, "handoff"), (StatsResult, "stats"), (PhotoResult, "photos"),
                      (LoadReport, "load")):
        if isinstance(result, cls):
            return name
    raise TypeError(f"不能显示 {type(result).__name__}：display 只认识 xueji_lib 的结果对象"
                    "（ValidationResult、ReconcileResult、CompareResult、HandoffResult、StatsResult、PhotoResult、"
                    "LoadReport）")


# ------------------------------------------------------------------------------------------------ summary

def summary_frame(result) -> pd.DataFrame:
    """The counts that add up, with Chinese labels; every number is the object's own (``counts`` /
    ``to_dict()``). Reconcile, compare, handoff and photos: 名单 | 结果 | 记录数 (数量), each list ending in
    合计 = its record count. Validation: 项目 | 说明 | 记录数 | 处数, per rule, per severity, then 通过校验 +
    有误 = 合计. Statistics: 项目 | 数值 | 说明 (record count, each table's 合计, the registration rate).

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> xd.summary_frame(res).head(3).values.tolist()
    [['注册上报', '一致', 986], ['注册上报', '关键字段不一致', 5], ['注册上报', '录取数据中没有', 1]]
    """
    return _SUMMARY[_kind(result)](result)


def _sides_frame(sides, zh, count_col="记录数") -> pd.DataFrame:
    rows = []
    for title, counts, statuses, total in sides:
        rows += [{"名单": title, "结果": zh[s], count_col: int(counts[s])} for s in statuses]
        rows.append({"名单": title, "结果": TOTAL, count_col: int(total)})
    return pd.DataFrame(rows, columns=["名单", "结果", count_col])


def _reconcile_summary(res) -> pd.DataFrame:
    from ..matching.reconcile import ADMISSION_STATUSES, REGISTRATION_STATUSES, STATUS_ZH

    c = res.counts
    return _sides_frame([("注册上报", c["registration"], REGISTRATION_STATUSES, c["registration"]["total"]),
                         ("录取数据", c["admission"], ADMISSION_STATUSES, c["admission"]["total"])], STATUS_ZH)


def _side_title(title: str, name: str, default: str) -> str:
    return title if name in ("", default) else f"{title}（{name}）"


def _compare_summary(res) -> pd.DataFrame:
    from ..matching.compare import CHANGE_STATUSES, NEW_STATUSES, OLD_STATUSES, STATUS_ZH

    d = res.to_dict()
    sides = [(_side_title("上期名单", res.old_name, "old"), d["old"], OLD_STATUSES, d["old"]["total"]),
             (_side_title("本期名单", res.new_name, "new"), d["new"], NEW_STATUSES, d["new"]["total"])]
    if "changes" in d:
        sides.append(("异动名单", d["changes"], CHANGE_STATUSES, d["changes"]["total"]))
    return _sides_frame(sides, STATUS_ZH)


def _handoff_summary(res) -> pd.DataFrame:
    from ..matching.compare import GRADUATE_STATUSES, INTAKE_STATUSES, STATUS_ZH

    d = res.to_dict()
    return _sides_frame([(_side_title("毕业生名单", res.graduates_name, "毕业生"), d["graduates"], GRADUATE_STATUSES,
                          d["graduates"]["total"]),
                         (_side_title("新生名单", res.intake_name, "新生"), d["intake"], INTAKE_STATUSES,
                          d["intake"]["total"])], STATUS_ZH)


def _photo_summary(res) -> pd.DataFrame:
    d = res.to_dict()
    s, f = d["students"], d["files"]
    zh = {"matched": "照片合格", "without_photo": "没有照片", "with_problem": "照片有问题",
          "files_matched": "对应到学生", "duplicate": "同一学生的多余照片", "unmatched": "对应不到学生"}
    files = {"files_matched": f["matched"], "duplicate": f["duplicate"], "unmatched": f["unmatched"]}
    out = _sides_frame([("学生", s, ("matched", "without_photo", "with_problem"), s["total"]),
                        ("照片文件", files, ("files_matched", "duplicate", "unmatched"), f["total"])], zh, "数量")
    extra = [{"名单": "其他", "结果": "对应到学生但不可用的文件", "数量": int(f["unusable"])}]
    if f["subfolders"]:
        extra.append({"名单": "其他", "结果": "子文件夹（未检查）", "数量": int(f["subfolders"])})
    return pd.concat([out, pd.DataFrame(extra)], ignore_index=True)


def _validation_summary(res) -> pd.DataFrame:
    from ..checks.validate import load_rules

    d = res.to_dict()
    rules = load_rules()
    words = {"name": "〈字段〉", "field": "〈字段代码〉", "value": "〈值〉", "detail": "〈详情〉"}
    rows = []
    for code, r in d["rules"].items():
        text = rules[code].message.format(**words) if code in rules else ""
        if code.startswith("STRUCT_"):
            text += "（整个文件）"
        rows.append({"项目": f"[{SEVERITY_ZH[r['severity']]}] {code}", "说明": text, "记录数": r["records"],
                     "处数": r["findings"]})
    f = res.findings
    for sev, n in d["findings"].items():
        records = f.loc[f["severity"] == sev, "row"].dropna().nunique()
        rows.append({"项目": f"含{SEVERITY_ZH[sev]}的记录", "说明": "按严重程度（一条记录可能有几种问题）",
                     "记录数": int(records), "处数": int(n)})
    # findings on passing records, and on failing records plus those about the whole file (no row)
    on_rows = f["row"].notna().to_numpy()
    rows_idx = f.loc[on_rows, "row"].astype("int64").to_numpy() - 1
    on_passed = int((~res.failed[rows_idx]).sum()) if len(rows_idx) else 0
    all_findings = sum(d["findings"].values())
    rows += [{"项目": "通过校验", "说明": "可以上传（可能有警告、提示）", "记录数": d["passed"], "处数": on_passed},
             {"项目": "有误", "说明": "有错误，不能上传", "记录数": d["failed"], "处数": all_findings - on_passed},
             {"项目": TOTAL, "说明": "", "记录数": d["total"], "处数": all_findings}]
    out = pd.DataFrame(rows, columns=["项目", "说明", "记录数", "处数"])
    return out.astype({"记录数": "int64", "处数": "int64"})


def _stats_summary(res) -> pd.DataFrame:
    from ..stats.statistics import COUNT, RATE_TITLE

    d = res.to_dict()
    rows = [{"项目": "记录数", "数值": d["total"], "说明": "本期名单；每张统计表的合计都等于它"}]
    if d["previous_total"] is not None:
        rows += [{"项目": "上期记录数", "数值": d["previous_total"], "说明": "上期名单"},
                 {"项目": "增减", "数值": d["total"] - d["previous_total"], "说明": "本期 − 上期"}]
    for title, table in d["tables"].items():
        if title == RATE_TITLE or not table:
            continue
        rows.append({"项目": f"{title}：{TOTAL}", "数值": int(table[-1][COUNT]), "说明": f"{len(table) - 1} 组"})
    rate = d["tables"].get(RATE_TITLE)
    if rate:
        last = rate[-1]
        rows += [{"项目": f"{RATE_TITLE}：录取人数", "数值": int(last["录取人数"]), "说明": f"{len(rate) - 1} 个专业"},
                 {"项目": f"{RATE_TITLE}：注册一致", "数值": int(last["注册一致"]), "说明": ""},
                 {"项目": f"{RATE_TITLE}：注册率（%）", "数值": float(last["注册率（%）"]), "说明": "注册一致 ÷ 录取人数"}]
    return pd.DataFrame({"项目": [r["项目"] for r in rows], "数值": pd.Series([r["数值"] for r in rows], dtype=object),
                         "说明": [r["说明"] for r in rows]})


def _load_summary(rep) -> pd.DataFrame:
    rows = [{"项目": "读入记录", "数量": rep.records}]
    if rep.header_records is not None:
        rows += [{"项目": "文件头记录数", "数量": rep.header_records},
                 {"项目": "已删除（未读入）", "数量": rep.deleted}]
    rows += [{"项目": "字段", "数量": len(rep.fields)},
             {"项目": "读取提示（类）", "数量": len(rep.warnings)},
             {"项目": "读取提示（处）", "数量": sum(w.count for w in rep.warnings)}]
    return pd.DataFrame(rows, columns=["项目", "数量"]).astype({"数量": "int64"})


_SUMMARY = {"reconcile": _reconcile_summary, "validation": _validation_summary, "compare": _compare_summary,
            "handoff": _handoff_summary, "stats": _stats_summary, "photos": _photo_summary, "load": _load_summary}


def school_frame(result) -> pd.DataFrame:
    """按学校的变动 of a CompareResult: one row per school (学校标识码, 学校): 上期人数, 本期人数, 增减, 减少,
    其中疑似流失, 新增, 其中来源不明, 调动, 信息变化, 重复; last row 合计 (上期/本期人数 = the record counts).

    >>> res = xj.compare(xj.read_table("data_samples/k12/学生名单_2025秋.xlsx", "k12_student"), xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student"),
    ...                  changes=xj.read_table("data_samples/k12/学籍异动_2026春.xlsx", "k12_changes"))
    >>> xd.school_frame(res).tail(1)[["学校", "上期人数", "本期人数", "增减", "其中疑似流失"]].values.tolist()
    [['合计', 1442, 1437, -5, 5]]
    """
    if _kind(result) != "compare":
        raise TypeError("school_frame 只用于名单对比结果（CompareResult）")
    bs = result.by_school()
    old, new = bs[bs["side"] == "old"], bs[bs["side"] == "new"]
    keys = ["XXBSM", "XXMC"]
    o, n = old.set_index(keys), new.set_index(keys)
    idx = o.index.union(n.index)
    o, n = o.reindex(idx, fill_value=0), n.reindex(idx, fill_value=0)
    out = pd.DataFrame({"上期人数": o["total"], "本期人数": n["total"], "增减": n["total"] - o["total"],
                        "减少": o["removed"], "其中疑似流失": o["unexplained"],
                        "新增": n["added"], "其中来源不明": n["unexplained"],
                        "调动": o["moved"], "信息变化": o["changed"], "重复": n["duplicate_key"]}).astype(int)
    out.index = out.index.set_names(["学校标识码", "学校"])
    out = out.reset_index()
    total = out.drop(columns=["学校标识码", "学校"]).sum()
    return pd.concat([out, pd.DataFrame([{"学校标识码": "", "学校": TOTAL, **total.to_dict()}])], ignore_index=True)


# -------------------------------------------------------------------------------------------------- lists

_ID_TOKEN = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
_PHONE_TOKEN = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


class _List:
    """One list of a result: its Chinese title, the full frame (for the total) and how to show its columns."""

    def __init__(self, title: str, frame: pd.DataFrame, columns: list[tuple[str, str]], *, kinds=None,
                 row_kinds=None, convert=None, sentences=(), free_text_mask=None):
        self.title, self.frame, self.columns = title, frame, columns
        self.kinds = kinds or {}          # source column → personal kind (beyond the field-code defaults)
        self.row_kinds = row_kinds or {}  # source column → column holding each row's field code (mask by it)
        self.convert = convert or {}      # source column → function(Series) → Series (labels)
        self.sentences = sentences        # source columns holding sentences
        self.free_text_mask = free_text_mask  # function(Series) → Series for sentences, when not unmasked

    def shown(self, rows: int, unmask: bool) -> pd.DataFrame:
        head = self.frame.head(max(int(rows), 0)).reset_index(drop=True)
        out = {}
        for src, header in self.columns:
            if src not in head.columns:
                continue
            s = head[src]
            if src in self.convert:
                s = self.convert[src](s)
            if not unmask:
                kind = self.kinds.get(src, personal_kind(src) if isinstance(src, str) else None)
                if kind:
                    s = mask_series(s, kind)
                elif src in self.row_kinds:
                    s = _mask_per_row(s, head[self.row_kinds[src]])
                elif src in self.sentences and self.free_text_mask is not None:
                    s = self.free_text_mask(s)
            out[header] = s.reset_index(drop=True)
        df = pd.DataFrame(out, columns=[h for src, h in self.columns if src in head.columns])
        df.attrs["total"] = len(self.frame)
        df.attrs["title"] = self.title
        return df


def _mask_per_row(values: pd.Series, fields: pd.Series) -> pd.Series:
    """``values`` masked row by row as the personal field named in ``fields`` (other rows unchanged)."""
    out = values.astype("str")
    for code in pd.unique(fields.dropna()):
        kind = personal_kind(str(code))
        if kind:
            sel = (fields == code).fillna(False).to_numpy(dtype=bool)
            out[sel] = mask_series(out[sel], kind)
    return out


def list_frames(result, rows: int = 10, unmask: bool = False) -> dict[str, pd.DataFrame]:
    """The first ``rows`` rows of each list the result holds (资格有误, 未注册, 问题清单, 疑似流失, …), with
    Chinese column headers; personal fields masked unless ``unmask``. Each frame's ``attrs["total"]`` is
    the number of rows of the whole list.

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> lists = xd.list_frames(res, rows=5)
    >>> list(lists), lists["资格有误"].attrs["total"], len(lists["资格有误"])
    (['资格有误', '未注册'], 9, 5)
    """
    return {lst.title: lst.shown(rows, unmask) for lst in _LISTS[_kind(result)](result)}


def _zh(mapping):
    return lambda s: s.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v).astype("str")


def _fill(text: str):
    return lambda s: s.astype("str").fillna(text)


def _yes_no(s: pd.Series) -> pd.Series:
    return s.astype("object").map({True: "有", False: "无"}).fillna("").astype("str")


def _grade(s: pd.Series) -> pd.Series:
    from ..schema.codes import load_code_table

    t = s.astype("str")
    return load_code_table("nj").to_label(t).fillna(t).astype("str")


def _reconcile_lists(res) -> list[_List]:
    from ..matching.reconcile import STATUS_ZH

    common = {"status": _zh(STATUS_ZH)}
    return [
        _List("资格有误", res.qualification_errors(),
              [("row", "行号"), ("KSH", "考生号"), ("XM", "姓名"), ("status", "结果"), ("reasons", "原因"),
               ("action", "处理"), ("counterpart_row", "录取数据行号"), ("match_by", "对应方式")], convert=common),
        _List("未注册", res.not_registered(),
              [("row", "行号"), ("KSH", "考生号"), ("XM", "姓名"), ("state", "新生状态"), ("reasons", "原因"),
               ("action", "处理")], convert={"state": _fill("状态未知")}),
    ]


def _validation_lists(res) -> list[_List]:
    reasons = res.reasons()
    failed = pd.DataFrame({"row": pd.array(reasons.index.to_numpy() + 1, dtype="Int64"),
                           "reasons": reasons.to_numpy()})
    key_field = next((k for k in ("KSH", "XJH", "XH") if k in res.layout.codes), None)
    key_label = res.layout.field(key_field).name if key_field else "标识"
    key_kind = personal_kind(key_field, res.layout) if key_field else None
    return [
        _List("有误记录", failed, [("row", "行号"), ("reasons", "原因（校验结果 JYJG）")]),
        _List("问题清单", res.findings,
              [("row", "行号"), ("key", key_label), ("field", "字段"), ("name", "字段名称"), ("rule", "规则"),
               ("severity", "严重程度"), ("value", "值"), ("message", "说明")],
              kinds={"key": key_kind}, row_kinds={"value": "field"}, convert={"severity": _zh(SEVERITY_ZH)}),
    ]


def _compare_key_kind(res) -> str | None:
    from ..matching.compare import ID_FIELDS

    return "id" if res.key_used in ID_FIELDS else personal_kind(res.key_used)


def _sentence_masker(layout_name: str | None = "k12_student"):
    """Masking for sentences of a compare/handoff result computed with ``unmask=True``: ID-shaped numbers,
    mobile numbers, and the values after a personal field's name (名称：旧值 → 新值)."""
    names = {}
    if layout_name:
        from ..schema.layouts import load_layout

        try:
            lay = load_layout(layout_name)
            names = {lay.field(c).name: k for c, k in lay.personal_fields().items()}
        except Exception:  # a missing layout must not stop a display
            names = {}
    maskers = {"id": mask_id, "phone": mask_phone, "address": mask_address}
    fields = [(re.compile(rf"({re.escape(n)})：(.+?) → (.+?)(?=（内容不同|[；;]|$)"), maskers[k])
              for n, k in names.items() if k in maskers]

    def one(text):
        if not isinstance(text, str) or not text:
            return text
        for pattern, m in fields:
            text = pattern.sub(lambda g: f"{g.group(1)}：{m(g.group(2))} → {m(g.group(3))}", text)
        text = _ID_TOKEN.sub(lambda g: mask_id(g.group(0)), text)
        return _PHONE_TOKEN.sub(lambda g: mask_phone(g.group(0)), text)

    return lambda s: s.map(one).astype("str")


def _compare_lists(res) -> list[_List]:
    from ..matching.compare import KEY_ZH, STATUS_ZH

    key_label = KEY_ZH.get(res.key_used, res.key_used)
    kinds = {"key": _compare_key_kind(res)}
    conv = {"status": _zh(STATUS_ZH), "explained": _yes_no, "NJ": _grade, "change_type": _fill(""),
            "changed_fields": _fill("")}
    masker = _sentence_masker()
    place = [("XXBSM", "学校标识码"), ("XXMC", "学校"), ("NJ", "年级"), ("BJ", "班级"), ("XM", "姓名")]
    lists = [_List("疑似流失", res.unexplained_removals(),
                   [*place, ("key", key_label), ("row", "上期行号"), ("reasons", "原因")],
                   kinds=kinds, convert=conv, sentences=("reasons",), free_text_mask=masker)]
    o, n = res.old, res.new
    changed = pd.concat([o[o["status"] != "unchanged"],  # moved/changed pairs once, from the old side
                         n[~n["status"].isin(["unchanged", "moved", "changed"])]], ignore_index=True)
    side = _zh({"old": _side_title("上期", res.old_name, "old"), "new": _side_title("本期", res.new_name, "new")})
    lists.append(_List("变动清单", changed,
                       [("side", "名单"), ("row", "行号"), ("status", "结果"), ("explained", "有异动记录"),
                        ("change_type", "异动类别"), *place[1:], ("key", key_label), ("changed_fields", "变化的字段"),
                        ("reasons", "原因")],
                       kinds=kinds, convert={**conv, "side": side}, sentences=("reasons",), free_text_mask=masker))
    if res.changes is not None:
        lists.append(_List("异动名单核对", res.changes,
                           [("row", "行号"), ("change_type", "异动类别"), ("XXMC", "学校"), ("XM", "姓名"),
                            ("key", key_label), ("status", "核对结果"), ("old_row", "上期行号"), ("new_row", "本期行号"),
                            ("reasons", "原因")],
                           kinds=kinds, convert=conv, sentences=("reasons",), free_text_mask=masker))
    return lists


def _handoff_lists(res) -> list[_List]:
    from ..matching.compare import ID_FIELDS, KEY_ZH, STATUS_ZH

    first = res.levels[0] if res.levels else "XJH"
    key_label = KEY_ZH.get(first, first)
    kinds = {"key": "id" if first in ID_FIELDS else personal_kind(first)}
    conv = {"status": _zh(STATUS_ZH), "NJ": _grade}
    masker = _sentence_masker()
    place = [("XXBSM", "学校标识码"), ("XXMC", "学校"), ("NJ", "年级"), ("BJ", "班级"), ("XM", "姓名")]
    t = res.intake
    return [
        _List("未找到的毕业生", res.not_enrolled(),
              [*place, ("key", key_label), ("row", "毕业生行号"), ("status", "结果"), ("reasons", "原因")],
              kinds=kinds, convert=conv, sentences=("reasons",), free_text_mask=masker),
        _List("来自其他地方的新生", t[t["status"] == "from_elsewhere"],
              [("row", "新生行号"), *place, ("key", key_label), ("reasons", "原因")],
              kinds=kinds, convert=conv, sentences=("reasons",), free_text_mask=masker),
    ]


def _photo_lists(res) -> list[_List]:
    from ..checks.photos import KEY_LABELS

    key_label = KEY_LABELS.get(res.key, res.key)
    kinds = {"key": personal_kind(res.key) or ("id" if res.key in ("SFZH", "SFZJH", "ZJHM") else None)}
    f = res.files
    return [
        _List("问题清单", res.findings,
              [("row", "行号"), ("key", key_label), ("rule", "规则"), ("severity", "严重程度"), ("file", "照片文件"),
               ("message", "说明")], kinds=kinds, convert={"severity": _zh(SEVERITY_ZH)}),
        _List("没有照片的学生", res.missing_list, [("row", "行号"), ("key", key_label)], kinds=kinds),
        _List("对应不到学生的照片", f[f["status"] == "unmatched"],
              [("file", "照片文件"), ("format", "格式"), ("width", "宽（像素）"), ("height", "高（像素）"),
               ("bytes", "字节")]),
    ]


def _stats_lists(res) -> list[_List]:
    return [_List(title, table, [(c, c) for c in table.columns], kinds={c: None for c in table.columns})
            for title, table in res.tables.items()]  # counts only: no personal value to mask


def _load_lists(rep) -> list[_List]:
    w = rep.warnings_frame()
    return [_List("读取提示", w, [("code", "代码"), ("field", "字段"), ("count", "处数"), ("row", "行号"),
                                  ("value", "值（例）"), ("message", "说明")],
                  row_kinds={"value": "field"})]


_LISTS = {"reconcile": _reconcile_lists, "validation": _validation_lists, "compare": _compare_lists,
          "handoff": _handoff_lists, "stats": _stats_lists, "photos": _photo_lists, "load": _load_lists}


# -------------------------------------------------------------------------------------------------- chart

def chart(result):
    """One standard plotly Figure where a chart helps, else None: reconcile — records per result on each side;
    compare — changes per school; handoff — graduates per school and result; validation — findings per rule
    (the 15 most frequent); statistics — the first table (学生人数); photos — problems per rule. Chinese titles;
    never shown here (as a cell's last expression JupyterLab draws it through plotly's mimetype).

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> fig = xd.chart(res)           # in JupyterLab: the last expression of its own cell
    >>> fig.layout.title.text
    '核对结果：各结果的记录数（注册上报、录取数据）'
    """
    kind = _kind(result)
    make = _CHARTS.get(kind)
    return make(result) if make else None


def _bars(categories, series: dict, title: str, *, horizontal=False, barmode="group", xtitle="", ytitle="记录数",
          legend="名单"):
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, values in series.items():
        values = [int(v) for v in values]
        if horizontal:
            fig.add_trace(go.Bar(y=list(categories), x=values, name=name, orientation="h", text=values,
                                 textposition="auto"))
        else:
            fig.add_trace(go.Bar(x=list(categories), y=values, name=name, text=values, textposition="auto"))
    fig.update_layout(title=title, barmode=barmode, legend_title_text=legend, height=CHART_HEIGHT,
                      xaxis_title=xtitle if not horizontal else ytitle, yaxis_title=ytitle if not horizontal else xtitle)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return fig


def _reconcile_chart(res):
    s = summary_frame(res)
    s = s[s["结果"] != TOTAL]
    order = list(dict.fromkeys(s["结果"]))
    series = {side: [int(part.set_index("结果")["记录数"].get(r, 0)) for r in order]
              for side, part in s.groupby("名单", sort=False)}
    return _bars(order, series, "核对结果：各结果的记录数（注册上报、录取数据）", xtitle="核对结果")


def _compare_chart(res):
    import plotly.express as px

    schools = school_frame(res).iloc[:-1]
    return px.bar(schools, x="学校", y=["减少", "其中疑似流失", "新增", "调动"], barmode="group",
                  labels={"value": "人数", "variable": ""}, title="各校学籍变动")


def _handoff_chart(res):
    from ..matching.compare import GRADUATE_STATUSES, STATUS_ZH

    bs = res.by_school()
    if bs.empty:
        return None
    series = {STATUS_ZH[s]: bs[s].tolist() for s in GRADUATE_STATUSES}
    return _bars(bs["XXMC"].astype("str").tolist(), series, "毕业生升学情况（按毕业学校）", barmode="stack",
                 xtitle="毕业学校", ytitle="人数", legend="结果")


def _validation_chart(res):
    br = res.by_rule
    if br.empty:
        return None
    top = br.sort_values("findings", ascending=False, kind="stable").head(15)
    labels = [f"{r.rule}（{SEVERITY_ZH[r.severity]}）" for r in top.itertuples()]
    series = {SEVERITY_ZH[sev]: [int(r.findings) if r.severity == sev else 0 for r in top.itertuples()]
              for sev in SEVERITY_ZH if (top["severity"] == sev).any()}
    more = f"，共 {len(br)} 条规则，显示处数最多的 15 条" if len(br) > 15 else ""
    return _bars(labels, series, f"校验发现的问题（按规则{more}）", horizontal=True, barmode="stack",
                 xtitle="规则", ytitle="处数", legend="严重程度")


def _stats_chart(res):
    import plotly.express as px

    if not res.tables:
        return None
    first = next(iter(res.tables))
    table = res.tables[first].iloc[:-1]
    return px.bar(table, x=table.columns[0], y=[c for c in ("人数", "上期人数") if c in table], barmode="group",
                  labels={"value": "人数", "variable": ""}, title=f"学生人数（{first}）")


def _photo_chart(res):
    from ..checks.photos import PHOTO_RULES

    br = res.by_rule
    if br.empty:
        return None
    labels = [f"{PHOTO_RULES.get(r.rule, ('', r.rule))[1]}（{r.rule}）" for r in br.itertuples()]
    series = {SEVERITY_ZH[sev]: [int(r.count) if r.severity == sev else 0 for r in br.itertuples()]
              for sev in SEVERITY_ZH if (br["severity"] == sev).any()}
    return _bars(labels, series, "照片核对发现的问题（按规则）", horizontal=True, barmode="stack", xtitle="规则",
                 ytitle="处数", legend="严重程度")


_CHARTS = {"reconcile": _reconcile_chart, "compare": _compare_chart, "handoff": _handoff_chart,
           "validation": _validation_chart, "stats": _stats_chart, "photos": _photo_chart}


# --------------------------------------------------------------------------------------------- HTML / text

def to_text(result) -> str:
    """The summary as plain text: the object's own ``summary()`` (what ``print(result)`` prints).

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> print(xd.to_text(res).splitlines()[1])
    注册上报 995 条 = 一致 986 + 关键字段不一致 5 + 录取数据中没有 1 + 考生号重复 2 + 缺考生号 1
    """
    _kind(result)
    return result.summary()


_STYLE = """<style>
.xueji-result table.xueji-table { border-collapse: collapse; margin: .3em 0 1em; font-size: 90%; }
.xueji-result table.xueji-table th, .xueji-result table.xueji-table td { border: 1px solid #ccc;
  padding: .2em .55em; text-align: left; vertical-align: top; white-space: nowrap; }
.xueji-result table.xueji-table td.num { text-align: right; }
.xueji-result table.xueji-table td.long { white-space: normal; min-width: 18em; }
.xueji-result table.xueji-table th { background: #f3f3f3; }
.xueji-result table.xueji-table tr.xueji-total td { font-weight: bold; }
.xueji-result .xueji-count, .xueji-result .xueji-chart-note { color: #555; margin: .2em 0; }
.xueji-result ul.xueji-lines { margin: .2em 0 .8em; padding-left: 1.4em; }
</style>"""


def _cell(v) -> tuple[str, str]:
    """(text, css class) of one cell: numbers right-aligned, missing empty, long text allowed to wrap."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "", ""
    if isinstance(v, bool):
        return ("是" if v else "否"), ""
    if isinstance(v, (int, float)) or hasattr(v, "dtype"):
        if isinstance(v, float) or getattr(getattr(v, "dtype", None), "kind", "") == "f":
            return f"{float(v):.2f}", "num"
        return str(v), "num"
    text = str(v)
    return text, ("long" if len(text) > 24 else "")


def _table_html(df: pd.DataFrame) -> str:
    """The frame as a plain HTML table (escaped; no index); rows whose first label is 合计 in bold."""
    head = "".join(f"<th>{_html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False, name=None):
        cells = [_cell(v) for v in row]
        total = any(t == TOTAL for t, _ in cells[:3])
        tds = "".join(f'<td class="{c}">{_html.escape(t)}</td>' if c else f"<td>{_html.escape(t)}</td>"
                      for t, c in cells)
        body.append(f'<tr class="xueji-total">{tds}</tr>' if total else f"<tr>{tds}</tr>")
    return (f'<table class="xueji-table"><thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(body)
            + "\n</tbody></table>")


def _chart_html(fig, height: int = CHART_HEIGHT) -> str:
    """A plotly div without plotly.js (as ``include_plotlyjs=False``): drawn when the page has ``window.Plotly``
    (now, or by its load event when plotly.js comes later in the page); otherwise a note stays in its place."""
    import plotly.io as pio

    uid = "xueji-chart-" + uuid.uuid4().hex[:12]
    spec = pio.to_json(fig, validate=False, pretty=False).replace("</", "<\\/").replace("<!--", "<\\!--")
    config = json.dumps({"displaylogo": False, "responsive": True})
    return f"""<div class="xueji-chart">
<div id="{uid}" class="plotly-graph-div" style="width:100%;"></div>
<p id="{uid}-note" class="xueji-chart-note">（图表：本页没有载入 plotly.js，无法绘制。在 JupyterLab 中请运行
xueji_lib.reporting.display.chart(结果) 显示图表。）</p>
<script type="text/javascript">(function () {{
  var id = "{uid}", fig = {spec}, done = false;
  function draw() {{
    var el = document.getElementById(id);
    if (done || !el || !window.Plotly) return false;
    done = true;
    el.style.height = "{int(height)}px";
    window.Plotly.newPlot(el, fig.data, fig.layout, {config});
    var note = document.getElementById(id + "-note");
    if (note && note.parentNode) note.parentNode.removeChild(note);
    return true;
  }}
  if (!draw()) {{
    if (document.readyState !== "complete") window.addEventListener("load", draw);
    var tries = 0, timer = setInterval(function () {{ if (draw() || ++tries > 50) clearInterval(timer); }}, 100);
  }}
}})();</script>
</div>"""


def to_html(result, rows: int = 10, unmask: bool = False, chart: bool = True) -> str:
    """A self-contained HTML fragment: the title, the summary table, the summary lines, the first ``rows`` rows
    of each list (with how many rows the list has), and — when ``chart`` and a chart helps — the chart as a
    plotly div without plotly.js (drawn on pages that load plotly.js; see the module docstring). No reference
    to any other host. Personal fields masked unless ``unmask``.

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> page = xd.to_html(res, chart=False)
    >>> page.startswith('<div class="xueji-result">'), "http" in page
    (True, False)
    """
    kind = _kind(result)
    lines = to_text(result).splitlines()
    parts = ['<div class="xueji-result">', _STYLE]
    if lines:
        parts.append(f'<h4 class="xueji-title">{_html.escape(lines[0])}</h4>')
    parts.append(_table_html(summary_frame(result)))
    if len(lines) > 1:
        parts.append('<ul class="xueji-lines">' + "".join(f"<li>{_html.escape(x.strip())}</li>" for x in lines[1:]
                                                          if x.strip()) + "</ul>")
    for title, frame in list_frames(result, rows=rows, unmask=unmask).items():
        total = frame.attrs.get("total", len(frame))
        unit = "行" if kind == "stats" else "条"
        if total == 0 or not len(frame):
            count = f"共 {total} {unit}。"
        elif total <= len(frame):
            count = f"共 {total} {unit}，全部列出。"
        else:
            count = f"共 {total} {unit}，下表为前 {len(frame)} {unit}。"
        parts.append(f'<h5 class="xueji-list">{_html.escape(title)}</h5><p class="xueji-count">{count}</p>')
        if len(frame):
            parts.append(_table_html(frame))
    if chart:
        fig = globals()["chart"](result)
        if fig is not None:
            parts.append(_chart_html(fig))
    parts.append("</div>")
    return "\n".join(parts)
