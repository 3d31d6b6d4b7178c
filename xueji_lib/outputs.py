"""Files a registry clerk gets from a validation: the lists to upload and to fix, a workbook, a JSON summary.

    >>> import xueji_lib as xj
    >>> df = xj.read_dbf("data_samples/hei/10_注册上报.dbf")                          # doctest: +SKIP
    >>> res = xj.validate(df, "chsi_registration", year=2026, category="10")         # doctest: +SKIP
    >>> out = xj.write_validation_outputs(res, df, "reports/注册上报_校验结果")        # doctest: +SKIP
    >>> out["passed"], out.notes                                                     # doctest: +SKIP

Written into ``out_dir``:

- ``校验通过.dbf`` — the passing records in exactly the upload layout (GBK; GB18030 when a value holds
  a character GBK lacks, and then a note says so);
- ``数据有误.dbf`` — the failing records in the upload layout plus a last field ``JYJG`` C(254) holding
  their reasons, as the platform returns them (longer reasons are cut with "…"; the full text is in the
  workbook). For an Excel layout (K-12) both lists are ``.xlsx`` with the template's Chinese headers;
- ``校验结果.xlsx`` — sheets 汇总, 按规则, 按字段, 问题明细, 数据有误记录;
- ``summary.json`` — ``ValidationResult.to_dict()`` plus the output file names and the notes.

Every input record is in exactly one of the two lists. The upload lists keep real values (they go back
to the platform); in the workbook personal data is masked unless ``unmask=True``.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .dbf import write_dbf
from .errors import WriteError
from .layouts import Layout, LayoutField
from .privacy import mask_frame
from .tables import write_excel

__all__ = ["write_validation_outputs", "ValidationOutputs", "OUTPUT_NAMES", "JYJG_WIDTH"]

JYJG_WIDTH = 254
JYJG_FIELD = LayoutField("JYJG", "校验结果", "C", JYJG_WIDTH)
ELLIPSIS = "…"
SHEET_ROWS = 1_000_000  # rows per sheet before a list continues on the next sheet (Excel: 1,048,575)
OUTPUT_NAMES = {  # key → file name (stem for the two lists, whose suffix follows the layout's format)
    "passed": "校验通过", "failed": "数据有误", "workbook": "校验结果.xlsx", "summary": "summary.json"}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
PARAM_ZH = {"year": "录取年份", "category": "学历类别", "school_year": "学年（秋季学期所在年份）",
            "first_grade_age": "一年级入学最低年龄", "cutoff": "年龄计算截止日（月日）"}


class ValidationOutputs(dict):
    """``{key: Path}`` of the files written (keys ``passed``, ``failed``, ``workbook``, ``summary``), plus
    ``notes``: Chinese sentences the clerk must read (encoding fallbacks, values cut to fit the DBF), and
    ``encoding_note``: the encoding sentence alone (``None`` when both lists are plain GBK)."""

    notes: list[str]
    encoding_note: str | None


def write_validation_outputs(result, df: pd.DataFrame, out_dir, *, unmask: bool = False,
                             layout_reason: str = "", others: Sequence[str] = ()) -> ValidationOutputs:
    """Write the lists, the workbook and ``summary.json`` for ``result`` (from ``validate(df, …)``).

    ``layout_reason`` (how the layout was chosen) and ``others`` (names of the files checked for 重复学籍)
    are only shown in the 汇总 sheet. Raises ``WriteError`` when a passing record holds a value that
    cannot go into the upload file (the message names the input row and field).
    """
    lay: Layout = result.layout
    n = len(df)
    if n != result.total or len(result.failed) != n:
        raise ValueError(f"df 有 {n} 条记录，校验结果是 {result.total} 条：请传入校验时用的同一个 DataFrame")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    failed = np.asarray(result.failed, bool)
    pass_idx, fail_idx = np.flatnonzero(~failed), np.flatnonzero(failed)
    # the invariant the whole design rests on: every record in exactly one list
    if len(pass_idx) + len(fail_idx) != result.total or len(pass_idx) != result.passed_count:
        raise AssertionError("校验通过 + 数据有误 ≠ 记录总数")

    reasons = result.reasons().reindex(fail_idx).fillna("")
    reasons = reasons.where(reasons.str.strip() != "", "未通过校验（原因见校验结果.xlsx）")
    full = _layout_frame(df, lay)
    excel = lay.format == "excel"
    suffix = ".xlsx" if excel else ".dbf"
    files = ValidationOutputs({
        "passed": out / (OUTPUT_NAMES["passed"] + suffix), "failed": out / (OUTPUT_NAMES["failed"] + suffix),
        "workbook": out / OUTPUT_NAMES["workbook"], "summary": out / OUTPUT_NAMES["summary"]})
    notes: list[str] = []
    encoding_notes: list[str] = []

    passed = full.iloc[pass_idx].reset_index(drop=True)
    failing = full.iloc[fail_idx].reset_index(drop=True)
    if excel:
        heads = {f.code: f.name for f in lay.fields}
        write_excel({"校验通过": passed.rename(columns=heads)}, files["passed"])
        bad = failing.rename(columns=heads)
        bad[_free_name("校验结果", bad.columns)] = reasons.to_numpy()
        write_excel({"数据有误": bad}, files["failed"])
    else:
        _write_passed_dbf(passed, pass_idx, files["passed"], lay, encoding_notes)
        failing["JYJG"] = [_fit_bytes(s, JYJG_WIDTH) for s in reasons]
        fail_lay = replace(lay, fields=tuple(f for f in lay.fields if f.code != "JYJG") + (JYJG_FIELD,))
        _write_failed_dbf(failing, fail_idx, files["failed"], fail_lay, encoding_notes, notes)
    encoding_note = "".join(encoding_notes) or None
    notes[:0] = encoding_notes
    files.notes, files.encoding_note = notes, encoding_note

    sheets = _workbook_sheets(result, df, fail_idx, reasons, unmask, layout_reason, others, files, notes)
    write_excel(sheets, files["workbook"])

    summary = result.to_dict()
    summary["outputs"] = {k: p.name for k, p in files.items()}
    summary["encoding_note"] = encoding_note
    summary["notes"] = notes
    _write_text(files["summary"], json.dumps(summary, ensure_ascii=False, indent=1, default=_json_default))
    return files


# ------------------------------------------------------------------------------------------- the lists

def _layout_frame(df: pd.DataFrame, lay: Layout) -> pd.DataFrame:
    """The layout's fields in layout order (absent ones blank); typed values as the upload text."""
    cols = {str(c).strip().upper(): c for c in df.columns}
    data = {}
    for f in lay.fields:
        if f.code not in cols:
            data[f.code] = pd.Series([pd.NA] * len(df), dtype="str") if len(df) else pd.Series([], dtype="str")
            continue
        s = df[cols[f.code]].reset_index(drop=True)
        if f.type == "C":
            s = _as_upload_text(s, f)
        data[f.code] = s
    return pd.DataFrame(data, index=pd.RangeIndex(len(df)))


def _as_upload_text(s: pd.Series, f: LayoutField) -> pd.Series:
    """A column typed by the reader (a D or N field in the file) as the text the C field expects."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y%m" if f.date == "YYYYMM" else "%Y%m%d").astype("str")
    if pd.api.types.is_float_dtype(s):
        return s.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else repr(float(v))))\
            .astype("str")
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s.astype("str").fillna("")
    return s


def _unencodable(frame: pd.DataFrame, lay: Layout, positions: np.ndarray) -> list[tuple[int, str, str]]:
    """(input row, field name, characters) for every C cell GBK cannot hold."""
    out = []
    for f in lay.fields:
        if f.type != "C" or f.code not in frame:
            continue
        values = frame[f.code].astype("str").fillna("")
        try:
            "\n".join(values.tolist()).encode("gbk")
            continue
        except UnicodeEncodeError:
            pass
        for i, v in enumerate(values.tolist()):
            try:
                v.encode("gbk")
            except UnicodeEncodeError:
                chars = "".join(dict.fromkeys(c for c in v if not _gbk_ok(c)))
                out.append((int(positions[i]) + 1, f.name if f.code != "JYJG" else "校验结果（JYJG）", chars))
    return out


def _gbk_ok(c: str) -> bool:
    try:
        c.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False


def _encoding_for(frame, lay, positions, file_name, notes) -> str:
    bad = _unencodable(frame, lay, positions)
    if not bad:
        return "gbk"
    where = "；".join(f"第 {r} 行 {name} 中的“{chars}”" for r, name, chars in bad[:5])
    more = f" 等共 {len(bad)} 处" if len(bad) > 5 else ""
    notes.append(f"{file_name} 中有 GBK 无法表示的字符（{where}{more}，行号为输入文件中的记录序号），"
                 "因此整个文件按 GB18030 编码写出（代码页标记仍为 GBK）。平台可能不接受 GB18030，"
                 "上传前请向平台确认，或按平台要求处理这些生僻字。")
    return "gb18030"


def _write_passed_dbf(frame, positions, path: Path, lay: Layout, notes) -> None:
    encoding = _encoding_for(frame, lay, positions, path.name, notes)
    try:
        write_dbf(frame, path, lay, encoding=encoding)
    except WriteError as exc:  # rows of the sub-list → rows of the input file
        probs = exc.problems.copy()
        if len(probs) and probs["row"].notna().all():
            probs["row"] = [int(positions[int(r) - 1]) + 1 for r in probs["row"]]
        shown = "；".join(f"第 {r.row} 行 {r.field}：{r.reason}" for r in probs.head(5).itertuples())
        raise WriteError(path, probs, f"通过校验的记录中有无法写入上传文件的值（{shown or exc}）。"
                                      "请改正后重新校验。") from exc


def _write_failed_dbf(frame, positions, path: Path, lay: Layout, encoding_notes, notes) -> None:
    """The failing records with JYJG. Values that cannot go into their field (too long: the platform
    would cut them; not a date or number for a typed field) are cut or left blank here, and a note says
    so — the workbook holds them whole."""
    frame = frame.copy()
    encoding = _encoding_for(frame, lay, positions, path.name, encoding_notes)
    changed: list[str] = []
    for f in lay.fields:
        if f.type != "C" or f.code == "JYJG":
            continue
        s = frame[f.code].astype("str").fillna("")
        lengths = s.str.len().to_numpy()
        cand = np.flatnonzero((lengths * 2 > f.width) | s.str.contains("[\r\n]", regex=True).to_numpy())
        if not len(cand):
            continue
        loc = frame.columns.get_loc(f.code)
        for i, v in zip(cand, s.iloc[cand].tolist()):  # only values that can be too long (≤ 4 bytes a character)
            if len(v) <= f.width // 4 and "\r" not in v and "\n" not in v:
                continue
            fitted = _fit_bytes(v.replace("\r", " ").replace("\n", " "), f.width, mark="")
            if fitted != v:
                frame.iat[i, loc] = fitted
                changed.append(f"第 {int(positions[i]) + 1} 行 {f.name}")
    for attempt in range(2):
        try:
            write_dbf(frame, path, lay, encoding=encoding)
            break
        except WriteError as exc:  # typed fields (N/D/L of a user layout) holding what they cannot hold
            if attempt or exc.problems.empty:
                raise
            for r in exc.problems.itertuples():
                frame.iat[int(r.row) - 1, frame.columns.get_loc(r.field)] = pd.NA
                changed.append(f"第 {int(positions[int(r.row) - 1]) + 1} 行 {lay.field(r.field).name}")
    if changed:
        more = f" 等共 {len(changed)} 处" if len(changed) > 5 else ""
        notes.append(f"{path.name} 中有值放不进上传字段（超出宽度、含换行，或不是该类型的值：{'；'.join(changed[:5])}{more}），"
                     "在该文件中已截短或留空；完整的原值见 校验结果.xlsx 的“数据有误记录”工作表。")


def _fit_bytes(text: str, width: int, mark: str = ELLIPSIS) -> str:
    """``text`` cut to ``width`` bytes (GBK/GB18030), ending in ``mark`` when it had to be cut."""
    text = "" if text is None else str(text)
    if len(text.encode("gb18030")) <= width:
        return text
    room = width - len(mark.encode("gb18030"))
    out, used = [], 0
    for c in text:
        b = len(c.encode("gb18030"))
        if used + b > room:
            break
        out.append(c)
        used += b
    return "".join(out) + mark


def _free_name(name: str, existing) -> str:
    return name if name not in set(map(str, existing)) else f"本次{name}"


# ---------------------------------------------------------------------------------------- the workbook

def _workbook_sheets(result, df, fail_idx, reasons, unmask, layout_reason, others, files, notes) -> dict:
    from .validate import load_rules

    lay = result.layout
    f = result.findings
    counts = {s: int((f["severity"] == s).sum()) for s in SEVERITY_ZH}
    missing = f.loc[f["rule"] == "STRUCT_MISSING_FIELD", ["field", "name"]]
    rows = [("文件", result.source), ("版式", f"{lay.name}（{lay.title}）")]
    if layout_reason:
        rows.append(("版式识别", layout_reason))
    for key, value in result.params.items():
        rows.append((PARAM_ZH.get(key, key), str(value)))
    if others:
        rows.append(("对照文件（重复学籍）", "、".join(map(str, others))))
    rows += [
        ("记录总数", result.total), ("校验通过", result.passed_count), ("数据有误", result.failed_count),
        ("核对", f"通过 {result.passed_count} + 有误 {result.failed_count} = 总数 {result.total}："
                 f"每条记录恰好在 {files['passed'].name} 或 {files['failed'].name} 中出现一次"),
        ("结构校验", "通过" if result.structure_ok else
         "未通过：缺少必填字段 " + "、".join(f"{a}（{b}）" for a, b in missing.itertuples(index=False))
         + "，整个文件不能上传，全部记录列入数据有误"),
        ("问题处数", f"错误 {counts['error']} 处，警告 {counts['warning']} 处，提示 {counts['info']} 处"),
        ("编码", "两个名单均为 Excel 工作簿" if lay.format == "excel" else
         files.encoding_note or "两个名单均按 GBK 编码写出"),
    ]
    for note in notes:
        if note != files.encoding_note:
            rows.append(("说明", note))
    rows.append(("个人信息", "本工作簿中身份证号、电话、地址" + ("未遮盖（按 --unmask 要求显示原值），请妥善保管"
                                                  if unmask else "已遮盖（“问题明细”始终遮盖；“数据有误记录”可用 --unmask 显示原值）")
                 + f"；{files['passed'].name}、{files['failed'].name} 保留原值，供上传和改正"))
    rows += [("输出文件", f"{p.name}") for p in files.values()]
    rows += [("校验摘要" if i == 0 else "", line) for i, line in enumerate(result.summary().splitlines())]
    summary = pd.DataFrame(rows, columns=["项目", "内容"])
    summary["内容"] = summary["内容"].astype(str)

    rules = load_rules()
    br = result.by_rule
    example = f.drop_duplicates("rule").set_index("rule")["message"] if len(f) else pd.Series(dtype=str)
    by_rule = pd.DataFrame({
        "规则代码": br["rule"].astype(str), "级别": br["severity"].map(SEVERITY_ZH),
        "处数": br["findings"].astype(int), "涉及记录数": br["records"].astype(int),
        "规则说明": [_template(rules[r].message) if r in rules else "" for r in br["rule"]],
        "改正方法": [_template(rules[r].hint) if r in rules else "" for r in br["rule"]],
        "示例": [example.get(r, "") for r in br["rule"]]})

    bf = result.by_field
    by_field = pd.DataFrame({"字段代码": bf["field"].astype(str), "字段名称": bf["name"].astype(str),
                             "错误": bf["error"].astype(int), "警告": bf["warning"].astype(int),
                             "提示": bf["info"].astype(int)})

    details = pd.DataFrame({
        # float: a sheet whose row numbers are all NA (structure findings only) trips write_excel on Int64
        "行号": f["row"].astype("float64"), "关键字段": f["key"], "字段代码": f["field"], "字段名称": f["name"], "规则代码": f["rule"],
        "级别": f["severity"].map(SEVERITY_ZH), "值": f["value"], "说明": f["message"]})

    bad = df.iloc[fail_idx].reset_index(drop=True)
    if not unmask:
        bad = mask_frame(bad, lay)
    if lay.format == "excel":
        known = {f.code: f.name for f in lay.fields}
        bad = bad.rename(columns={c: known.get(str(c).upper(), c) for c in bad.columns})
    bad.columns = [str(c) for c in bad.columns]
    bad.insert(0, _free_name("行号", bad.columns), fail_idx + 1)
    bad[_free_name("校验结果", bad.columns)] = reasons.to_numpy()

    sheets = {"汇总": summary, "按规则": by_rule, "按字段": by_field}
    sheets.update(_split("问题明细", details))
    sheets.update(_split("数据有误记录", bad))
    return sheets


def _template(text: str) -> str:
    """A rule's message or hint with its placeholders as readable words."""
    return (text.replace("{name}", "〈字段〉").replace("{field}", "〈字段代码〉").replace("{value}", "〈值〉")
            .replace("{detail}", "〈详情〉"))


def _split(name: str, frame: pd.DataFrame) -> dict:
    """One sheet, or several (名称、名称2、…) when the rows exceed what one Excel sheet holds."""
    if len(frame) <= SHEET_ROWS:
        return {name: frame}
    return {(name if i == 0 else f"{name}{i + 1}"): frame.iloc[s:s + SHEET_ROWS].reset_index(drop=True)
            for i, s in enumerate(range(0, len(frame), SHEET_ROWS))}


# ------------------------------------------------------------------------------------------------ json

def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_photo_outputs(result, out_dir) -> dict[str, Path]:
    """照片核对.xlsx (汇总, 问题明细, 学生, 照片文件; IDs already masked by check_photos) and summary.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = pd.DataFrame({"项目": ["核对结果"] + [""] * (len(result.summary().splitlines()) - 1),
                            "内容": result.summary().splitlines()})
    book = write_excel({"汇总": summary, "问题明细": result.findings, "学生": result.students,
                        "照片文件": result.files}, out / "照片核对.xlsx")
    js = out / "summary.json"
    _write_text(js, json.dumps(result.to_dict(), ensure_ascii=False, indent=1, default=_json_default))
    return {"workbook": book, "summary": js}
