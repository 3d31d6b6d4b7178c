"""The files a validation writes for the registry clerk: the list to upload, the list to fix, the workbook and
``summary.json`` (``ValidationResult.save``; ``xueji validate`` writes them).

- ``校验通过.dbf`` — the passing records in exactly the upload layout (GBK; GB18030 when a value holds a
  character GBK lacks, and then a note says so);
- ``数据有误.dbf`` — the failing records in the upload layout plus a last field ``JYJG`` C(254) holding their
  reasons, as the platform returns them (longer reasons are cut with "…"; the full text is in the workbook).
  For an Excel layout (K-12) both lists are ``.xlsx`` with the template's Chinese headers;
- ``校验结果.xlsx`` — 汇总 and the result's declared lists (按规则, 按字段, 问题明细, 数据有误记录);
- ``summary.json`` — ``to_dict()`` plus the output file names and the notes.

Every input record is in exactly one of the two lists. The upload lists keep real values (they go back to the
platform); in the workbook personal data is masked unless ``unmask``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core.result import OutputFiles, Result, summary_sheet
from ..core.rows import row_meaning
from ..io.excel_writer import write_excel
from ..io.lists import (
    JYJG_FIELD,
    JYJG_WIDTH,
    fit_bytes,
    free_name,
    layout_frame,
    record_headers,
    write_failed_dbf,
    write_json,
    write_lists_workbook,
    write_passed_dbf,
)
from ..schema.rules import SEVERITY_ZH

__all__ = ["save_validation", "OUTPUT_NAMES", "PARAM_ZH", "FIX_ROW", "FIX_REASON"]

OUTPUT_NAMES = {  # key → file name (stem for the two lists, whose suffix follows the layout's format)
    "passed": "校验通过",
    "failed": "数据有误",
    "workbook": "校验结果.xlsx",
    "summary": "summary.json",
    "fix": "数据有误_修改用.xlsx",  # DBF layouts: the failing records to correct in Excel/WPS and validate again
}
FIX_ROW = "原行号"  # the fix workbook's column: the record's number in the file first validated
FIX_REASON = "校验结果"
PARAM_ZH = {
    "year": "录取年份",
    "category": "学历类别",
    "school_year": "学年（秋季学期所在年份）",
    "first_grade_age": "一年级入学最低年龄",
    "cutoff": "年龄计算截止日（月日）",
}


def save_validation(
    result: Result,
    folder: str | os.PathLike,
    *,
    unmask: bool = False,
    layout_reason: str = "",
    others: Sequence[str] = (),
) -> OutputFiles:
    """Write the lists, the workbook and ``summary.json`` of ``result`` (a ``ValidationResult``, which calls this
    from its ``save``: typed as its base, since ``checks.validate`` imports this module) into ``folder`` (see the
    module)."""
    df = result.inputs.get("data")
    lay = result.layout
    n = len(df) if df is not None else -1
    if n != result.total or len(result.failed) != n:
        raise ValueError(f"df 有 {n} 条记录，校验结果是 {result.total} 条：请传入校验时用的同一个 DataFrame")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    lists = result.lists()
    by_title = {lst.title: lst for lst in lists}
    bad, good = by_title["数据有误记录"].rows, by_title["校验通过"].rows
    pass_idx = good["row"].to_numpy(dtype=np.int64) - 1
    fail_idx = bad["row"].to_numpy(dtype=np.int64) - 1
    # the invariant the whole design rests on: every record in exactly one list
    if len(pass_idx) + len(fail_idx) != result.total or len(pass_idx) != result.passed_count:
        raise AssertionError("校验通过 + 数据有误 ≠ 记录总数")
    reasons = bad["reason_text"]

    full = layout_frame(df, lay)
    excel = lay.format == "excel"
    suffix = ".xlsx" if excel else ".dbf"
    files = OutputFiles(
        {
            "passed": out / (OUTPUT_NAMES["passed"] + suffix),
            "failed": out / (OUTPUT_NAMES["failed"] + suffix),
            "workbook": out / OUTPUT_NAMES["workbook"],
            "summary": out / OUTPUT_NAMES["summary"],
            **({} if excel else {"fix": out / OUTPUT_NAMES["fix"]}),
        }
    )
    passed = full.iloc[pass_idx].reset_index(drop=True)
    failing = full.iloc[fail_idx].reset_index(drop=True)
    if excel:
        heads = {f.code: f.name for f in lay.fields}
        write_excel({"校验通过": passed.rename(columns=heads)}, files["passed"])
        failing_named = failing.rename(columns=heads)
        failing_named[free_name("校验结果", failing_named.columns)] = reasons.to_numpy()
        write_excel({"数据有误": failing_named}, files["failed"])
    else:
        write_passed_dbf(passed, pass_idx, files["passed"], lay, files.encoding_notes)
        _write_fix_workbook(failing, fail_idx, reasons, lay, files["fix"])
        failing["JYJG"] = [fit_bytes(s, JYJG_WIDTH) for s in reasons]
        fail_lay = replace(lay, fields=tuple(f for f in lay.fields if f.code != "JYJG") + (JYJG_FIELD,))
        write_failed_dbf(failing, fail_idx, files["failed"], fail_lay, files.encoding_notes, files.notes)
    files.encoding_note = "".join(files.encoding_notes) or None
    files.notes[:0] = files.encoding_notes

    summary = _summary_sheet(result, unmask, layout_reason, others, files)
    write_lists_workbook(summary, lists, {"data": lay}, files["workbook"], unmask)
    js = result.to_dict()
    js["outputs"] = {k: p.name for k, p in files.items()}
    js["encoding_note"] = files.encoding_note
    js["notes"] = files.notes
    write_json(files["summary"], js)
    return files


def _write_fix_workbook(failing, fail_idx: np.ndarray, reasons, lay, path: Path) -> None:
    """数据有误_修改用.xlsx: the failing records to correct in Excel or WPS (a clerk cannot edit a DBF) — 原行号
    (the record's number in the file validated), the upload fields under their names with their codes
    (考生号（KSH）, ``record_headers``), every cell text (IDs keep their digits, new entries stay text), and
    校验结果 (what to fix). ``xueji validate`` reads it back through the layout (each header maps to its field);
    ``xueji merge`` adds its newly passing records to 校验通过.dbf."""
    import pandas as pd

    frame = failing[[f.code for f in lay.fields if f.code in failing.columns and f.code != "JYJG"]].copy()
    frame = frame.astype("string").fillna("").rename(columns=record_headers(lay))
    frame.insert(0, FIX_ROW, (fail_idx + 1).astype(str))
    frame[FIX_REASON] = list(reasons)
    write_excel({"数据有误": pd.DataFrame(frame)}, path, text_columns=list(frame.columns))


def _summary_sheet(result, unmask, layout_reason, others, files: OutputFiles):
    """校验结果.xlsx's 汇总: file, layout, parameters, counts that add up, structure, notes, output files."""
    lay = result.layout
    f = result.findings
    counts = {s: int((f["severity"] == s).sum()) for s in SEVERITY_ZH}
    rows = [("文件", result.source), ("版式", f"{lay.name}（{lay.title}）")]
    if layout_reason:
        rows.append(("版式识别", layout_reason))
    notes = getattr(result, "param_notes", {})
    for key, value in result.params.items():
        rows.append((PARAM_ZH.get(key, key), str(value) + (f"（{notes[key]}）" if key in notes else "")))
    for key, note in notes.items():
        if key not in result.params:
            rows.append((PARAM_ZH.get(key, key), note))
    run, skipped = getattr(result, "rules_run", ()), getattr(result, "rules_skipped", {})
    rows.append(("运行的规则", f"{len(run)} 条：" + "、".join(run)))
    by_reason: dict[str, list[str]] = {}
    for rule, why in skipped.items():
        by_reason.setdefault(why, []).append(rule)
    for why, rules in by_reason.items():
        rows.append(("未能运行的规则", f"{'、'.join(rules)}：{why}"))
    if others:
        rows.append(("对照文件（重复学籍）", "、".join(map(str, others))))
    rows += [
        ("记录总数", result.total),
        ("校验通过", result.passed_count),
        ("数据有误", result.failed_count),
        (
            "核对",
            f"通过 {result.passed_count} + 有误 {result.failed_count} = 总数 {result.total}："
            f"每条记录恰好在 {files['passed'].name} 或 {files['failed'].name} 中出现一次",
        ),
        (
            "结构校验",
            "通过"
            if result.structure_ok
            else "未通过：" + result.structure_text() + "，整个文件不能上传，全部记录列入数据有误",
        ),
        ("问题处数", f"错误 {counts['error']} 处，警告 {counts['warning']} 处，提示 {counts['info']} 处"),
        ("行号", row_meaning(result.inputs.get("data")) + "（问题明细、数据有误记录中的行号；旁边是姓名，便于核对）"),
        (
            "编码",
            "两个名单均为 Excel 工作簿"
            if lay.format == "excel"
            else files.encoding_note or "两个名单均按 GBK 编码写出",
        ),
    ]
    for note in files.notes:
        if note != files.encoding_note:
            rows.append(("说明", note))
    rows.append(
        (
            "个人信息",
            "本工作簿中身份证号、电话、地址"
            + (
                "未遮盖（按 --unmask 要求显示原值），请妥善保管"
                if unmask
                else "已遮盖（“问题明细”始终遮盖；“数据有误记录”可用 --unmask 显示原值）"
            )
            + f"；{files['passed'].name}、{files['failed'].name} 保留原值，供上传和改正",
        )
    )
    rows += [("输出文件", f"{p.name}") for p in files.values()]
    rows += [("校验摘要" if i == 0 else "", line) for i, line in enumerate(result.summary().splitlines())]
    return summary_sheet(rows)
