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

from ..io.dbf import write_dbf
from ..core.errors import WriteError
from ..schema.layouts import Layout, LayoutField
from ..core.privacy import mask_frame
from ..io.tables import write_excel

__all__ = ["write_validation_outputs", "ValidationOutputs", "OUTPUT_NAMES", "JYJG_WIDTH",
           "write_reconcile_outputs", "write_compare_outputs", "write_results_csv", "RECONCILE_OUTPUT_NAMES",
           "COMPARE_OUTPUT_NAMES"]

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

    >>> import tempfile
    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    >>> files = xj.write_validation_outputs(xj.validate(reg, year=2026, category="10"), reg, tempfile.mkdtemp())
    >>> sorted(p.name for p in files.values())
    ['summary.json', '数据有误.dbf', '校验结果.xlsx', '校验通过.dbf']
    >>> len(xj.read_dbf(files["failed"]))                # every failing record, with its JYJG reason
    17
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


def _write_failed_dbf(frame, positions, path: Path, lay: Layout, encoding_notes, notes,
                      full_values_in: str = "校验结果.xlsx 的“数据有误记录”工作表") -> None:
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
                     f"在该文件中已截短或留空；完整的原值见 {full_values_in}。")


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
    from ..checks.validate import load_rules

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
    _write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def _write_atomic(path: Path, write) -> None:
    """``write(binary file)`` into a temporary file beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_photo_outputs(result, out_dir) -> dict[str, Path]:
    """照片核对.xlsx (汇总, 问题明细, 学生, 照片文件; IDs already masked by check_photos) and summary.json.

    >>> from xueji_lib.reporting.outputs import write_photo_outputs
    >>> res = xj.check_photos(roster, "照片")                      # doctest: +SKIP
    >>> write_photo_outputs(res, "照片核对结果")                     # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = pd.DataFrame({"项目": ["核对结果"] + [""] * (len(result.summary().splitlines()) - 1),
                            "内容": result.summary().splitlines()})
    book = write_excel({"汇总": summary, "问题明细": result.findings, "学生": result.students,
                        "照片文件": result.files}, out / "照片核对.xlsx")
    js = out / "summary.json"
    _write_text(js, json.dumps(result.to_dict(), ensure_ascii=False, indent=1, default=_json_default))
    return {"workbook": book, "summary": js}


# ------------------------------------------------------------------------------ reconcile and compare

RECONCILE_OUTPUT_NAMES = {  # key → file name
    "results": "results.csv", "summary": "summary.json", "qualification_errors": "资格有误.dbf",
    "not_registered": "未注册.dbf", "workbook": "核对结果.xlsx"}
COMPARE_OUTPUT_NAMES = {"results": "results.csv", "summary": "summary.json", "workbook": "对比结果.xlsx"}
STATE_ORDER = ("报到入学", "保留入学资格", "放弃入学资格", "取消入学资格")
UNKNOWN_STATE = "状态未知"


def write_results_csv(frame: pd.DataFrame, path) -> Path:
    """``frame`` as CSV in UTF-8 with a byte-order mark (so that Excel reads it as UTF-8): a header row,
    missing values as empty cells, booleans as true/false. Written by Arrow (two million rows in about a
    second) under a temporary name and renamed into place.

    >>> import os, tempfile
    >>> from xueji_lib.reporting.outputs import write_results_csv
    >>> path = write_results_csv(pd.DataFrame({"KSH": ["26110105151017"], "ok": [True]}),
    ...                          os.path.join(tempfile.mkdtemp(), "results.csv"))
    >>> path.read_text("utf-8-sig").splitlines()
    ['"KSH","ok"', '"26110105151017",true']
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)

    def write(fh):
        fh.write(b"\xef\xbb\xbf")
        pacsv.write_csv(table, fh, pacsv.WriteOptions(quoting_style="needed"))

    _write_atomic(path, write)
    return path


def write_reconcile_outputs(result, admission: pd.DataFrame, registration: pd.DataFrame, out_dir, *,
                            unmask: bool = False, sources: dict | None = None,
                            registration_layout="chsi_registration",
                            admission_layout="chsi_admission") -> ValidationOutputs:
    """Write what ``xueji reconcile`` gives the clerk for ``result`` (from ``reconcile(admission,
    registration, …)``, the same two frames — or folders converted by ``dbf_to_parquet``, from which only the
    listed records are read):

    - ``results.csv`` — ``result.results()``: one row per input record of both sides (UTF-8 with BOM);
    - ``资格有误.dbf`` — the registration records that do not match (``qualification_errors()``) in the
      registration upload layout plus ``JYJG`` C(254) with the reason, as the platform returns them;
    - ``未注册.dbf`` — the admitted students not registered, in the admission layout plus ``JYJG`` (the
      reason, with the new-student state when known);
    - ``核对结果.xlsx`` — 汇总 (parameters, counts per side that add up), 资格有误, 未注册 (by state),
      录取数据不一致; the records' personal columns masked unless ``unmask``;
    - ``summary.json`` — ``result.to_dict()`` plus the inputs, output names and notes.

    ``sources``: {"admission": name, "registration": name, "states": name} shown in 汇总 and summary.json.
    The two DBF lists keep real values (they go back to the platform). Returns ``{key: Path}`` with
    ``notes`` (Chinese sentences to show: GB18030 fallback, values cut to fit).

    >>> from xueji_lib.reporting.outputs import write_reconcile_outputs
    >>> res = xj.reconcile(adm, reg, year=2026, category="10", states=states)            # doctest: +SKIP
    >>> files = write_reconcile_outputs(res, adm, reg, "核对结果")                          # doctest: +SKIP
    >>> files["qualification_errors"], files["not_registered"], files.notes               # doctest: +SKIP
    """
    from ..schema.layouts import load_layout
    from ..matching.reconcile import ADMISSION_STATUSES, REGISTRATION_STATUSES, STATUS_ZH

    reg_res, adm_res = result.registration, result.admission
    n_reg, n_adm = _count(registration), _count(admission)
    if len(reg_res) != n_reg or len(adm_res) != n_adm:
        raise ValueError(f"核对结果有 {len(adm_res)} 条录取、{len(reg_res)} 条注册记录，传入的是 {n_adm}、"
                         f"{n_reg} 条：请传入核对时用的同一组 DataFrame")
    reg_lay = load_layout(registration_layout)
    adm_lay = load_layout(admission_layout)
    sources = dict(sources or {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = ValidationOutputs({k: out / v for k, v in RECONCILE_OUTPUT_NAMES.items()})
    notes: list[str] = []
    encoding_notes: list[str] = []

    write_results_csv(result.results(), files["results"])

    book = files["workbook"].name
    q = result.qualification_errors()
    q_idx = q["row"].to_numpy(dtype=np.int64) - 1
    q_reasons = _reason_texts(q, STATUS_ZH)
    _write_jyjg_dbf(registration, q_idx, q_reasons, files["qualification_errors"], reg_lay, encoding_notes, notes,
                    f"{book} 的“资格有误”工作表")
    nr = result.not_registered()
    nr_idx = nr["row"].to_numpy(dtype=np.int64) - 1
    nr_reasons = _reason_texts(nr, STATUS_ZH)
    _write_jyjg_dbf(admission, nr_idx, nr_reasons, files["not_registered"], adm_lay, encoding_notes, notes,
                    f"{book} 的“未注册”工作表")
    encoding_note = "".join(encoding_notes) or None
    notes[:0] = encoding_notes
    files.notes, files.encoding_note = notes, encoding_note

    # ---- the workbook
    c = result.counts
    rows: list[tuple[str, object]] = []
    for key, title in (("admission", "录取数据"), ("registration", "注册上报"), ("states", "新生状态名单")):
        if sources.get(key):
            rows.append((title, sources[key]))
        elif key == "states":
            rows.append((title, "未提供（未注册的考生不能按新生状态分开）"))
    for key, title in (("year", "录取年份"), ("category", "学历类别")):
        value = result.params.get(key)
        rows.append((title, str(value) if value else "未指定（以文件中的 LQNF / XLLB 字段为准；没有该字段时不比对）"))
    rows.append(("比对规则", "录取年份 + 学历类别 + 考生号 + 姓名 + 层次（学历类别 50 另加学习形式）全部一致为“一致”；"
                          "前后空格和大小写不计，其他差异都不放过"))
    rows += _count_rows("注册上报", c["registration"], REGISTRATION_STATUSES, STATUS_ZH)
    rows += _count_rows("录取数据", c["admission"], ADMISSION_STATUSES, STATUS_ZH)
    by_state = c["admission"].get("not_registered_by_state", {})
    for state in [*STATE_ORDER, *sorted(k for k in by_state if k not in STATE_ORDER and k != "none"), "none"]:
        if state in by_state:
            rows.append((f"未注册按新生状态：{UNKNOWN_STATE if state == 'none' else state}", str(by_state[state])))
    rows.append(("每条记录都有且只有一个结果", "是" if result.conserved else "否（请报告此问题）"))
    rows.append(("编码", encoding_note or f"{files['qualification_errors'].name}、{files['not_registered'].name} 均按 GBK 编码写出"))
    for note in notes:
        if note not in encoding_notes:
            rows.append(("说明", note))
    rows.append(("个人信息", "本工作簿中记录的身份证号、电话、地址" + (
        "未遮盖（按 --unmask 要求显示原值），请妥善保管" if unmask else "已遮盖（可用 --unmask 显示原值）")
        + f"；{files['qualification_errors'].name}、{files['not_registered'].name} 保留原值，供改正和上传；"
          f"{files['results'].name} 中不含身份证号"))
    rows += [("输出文件", p.name) for p in files.values()]
    rows += [("核对摘要" if i == 0 else "", line) for i, line in enumerate(result.summary().splitlines())]
    summary = pd.DataFrame(rows, columns=["项目", "内容"])
    summary["内容"] = summary["内容"].astype(str)

    zh = lambda s: s.map(STATUS_ZH).fillna(s)  # noqa: E731
    q_sheet = _sheet({"行号": q["row"], "结果": zh(q["status"]), "结果代码": q["status"], "原因": q_reasons,
                      "建议处理": q["action"], "对应录取数据行号": _row_numbers(q["counterpart_row"]),
                      "对应方式": q["match_by"]}, _records(registration, q_idx, reg_lay, unmask))
    state = nr["state"].fillna(UNKNOWN_STATE)
    order = np.lexsort((nr["row"].to_numpy(), state.map(
        {s: i for i, s in enumerate((*STATE_ORDER, UNKNOWN_STATE))}).fillna(len(STATE_ORDER)).to_numpy()))
    nr_sheet = _sheet({"行号": nr["row"], "新生状态": state, "原因": nr_reasons, "建议处理": nr["action"]},
                      _records(admission, nr_idx, adm_lay, unmask)).iloc[order].reset_index(drop=True)
    km = adm_res[adm_res["status"] == "key_mismatch"]
    km_sheet = _sheet({"行号": km["row"], "原因": km["reasons"], "建议处理": km["action"],
                       "对应注册上报行号": _row_numbers(km["counterpart_row"]), "对应方式": km["match_by"]},
                      _records(admission, km["row"].to_numpy(dtype=np.int64) - 1, adm_lay, unmask))
    sheets = {"汇总": summary}
    sheets.update(_split("资格有误", q_sheet))
    sheets.update(_split("未注册", nr_sheet))
    sheets.update(_split("录取数据不一致", km_sheet))
    write_excel(sheets, files["workbook"])

    js = result.to_dict()
    js["inputs"] = sources
    js["outputs"] = {k: p.name for k, p in files.items()}
    js["encoding_note"] = encoding_note
    js["notes"] = notes
    _write_text(files["summary"], json.dumps(js, ensure_ascii=False, indent=1, default=_json_default))
    return files


def write_compare_outputs(result, old: pd.DataFrame, new: pd.DataFrame, out_dir, *,
                          changes: pd.DataFrame | None = None, unmask: bool = False, sources: dict | None = None,
                          layout="k12_student", changes_layout="k12_changes") -> ValidationOutputs:
    """Write what ``xueji compare`` gives the bureau for ``result`` (from ``compare(old, new, changes=…)``;
    ``old``/``new`` the same frames, or folders converted by ``dbf_to_parquet``,
    the same frames):

    - ``results.csv`` — ``result.results()``: one row per record of both rosters (UTF-8 with BOM; the
      ``key`` column and the reasons already masked by ``compare``);
    - ``对比结果.xlsx`` — 汇总 (parameters, counts per side that add up), 疑似流失 (removed with no change
      record, by school: the 控辍保学 follow-up list), 按学校, 减少, 新增, 变化, 调动, 重复, 无法对应, and
      异动名单 when a change list was given; the records' personal columns masked unless ``unmask``;
    - ``summary.json`` — ``result.to_dict()`` plus the inputs and output names.

    ``layout`` / ``changes_layout``: the inputs' layouts (names or ``Layout``; ``None`` for none), for column
    names and which columns are personal.

    >>> from xueji_lib.reporting.outputs import write_compare_outputs
    >>> res = xj.compare(old, new, changes=changes)                                       # doctest: +SKIP
    >>> files = write_compare_outputs(res, old, new, "对比结果", changes=changes)           # doctest: +SKIP
    >>> files["workbook"]                        # 对比结果.xlsx; its sheet 疑似流失 is the follow-up list  # doctest: +SKIP
    """
    from ..matching.compare import CHANGE_STATUSES, KEY_ZH, NEW_STATUSES, OLD_STATUSES, STATUS_ZH, _title
    from ..schema.layouts import load_layout

    n_old, n_new = _count(old), _count(new)
    if len(result.old) != n_old or len(result.new) != n_new:
        raise ValueError(f"对比结果有 {len(result.old)}、{len(result.new)} 条记录，传入的名单是 {n_old}、"
                         f"{n_new} 条：请传入对比时用的同一组 DataFrame")
    lay = load_layout(layout)
    ch_lay = load_layout(changes_layout)
    sources = dict(sources or {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = ValidationOutputs({k: out / v for k, v in COMPARE_OUTPUT_NAMES.items()})
    files.notes, files.encoding_note = [], None

    write_results_csv(result.results(), files["results"])

    ot, nt = _title(result.old_name, "old"), _title(result.new_name, "new")

    def field_name(code: str) -> str:
        if lay is not None:
            try:
                return lay.field(code).name
            except KeyError:
                pass
        return code

    def result_cols(f: pd.DataFrame, cols) -> dict:
        make = {
            "行号": lambda: f["row"],
            "结果": lambda: f["status"].map(STATUS_ZH).fillna(f["status"]),
            "有无异动记录": lambda: f["explained"].map({True: "有", False: "没有"}).astype("str").fillna(""),
            "异动类别": lambda: f["change_type"],
            "原因": lambda: f["reasons"],
            "对应行号": lambda: _row_numbers(f["counterpart_row"]),
            "对应方式": lambda: f["matched_by"].map(lambda k: KEY_ZH.get(k, k) if isinstance(k, str) else ""),
            "变化的字段": lambda: f["changed_fields"].map(
                lambda v: "、".join(field_name(x) for x in v.split(",") if x) if isinstance(v, str) else ""),
        }
        return {c: make[c]() for c in cols}

    def side_sheet(side: str, f: pd.DataFrame, cols, with_side: bool = False) -> pd.DataFrame:
        frame, title = (old, ot) if side == "old" else (new, nt)
        data = result_cols(f, cols)
        if with_side:
            data = {"名单": pd.Series([title] * len(f), index=f.index, dtype="str"), **data}
        return _sheet(data, _records(frame, f["row"].to_numpy(dtype=np.int64) - 1, lay, unmask))

    def by_place(f: pd.DataFrame) -> pd.DataFrame:
        return f.sort_values(["XXBSM", "NJ", "BJ", "row"], na_position="last", kind="stable")

    o, n = result.old, result.new
    lost_rows = result.unexplained_removals()["row"].to_numpy(dtype=np.int64)
    lost = o.iloc[lost_rows - 1]
    gone = ["行号", "有无异动记录", "异动类别", "原因"]
    pair = ["行号", "结果", "原因", "对应行号", "对应方式", "变化的字段"]
    every = ["行号", "结果", "有无异动记录", "异动类别", "原因", "对应行号", "对应方式"]
    sheets_data = {
        "疑似流失": side_sheet("old", lost, ["行号", "原因"]),
        "按学校": _by_school_sheet(result, ot, nt, STATUS_ZH),
        "减少": side_sheet("old", by_place(o[o["status"] == "removed"]), gone),
        "新增": side_sheet("new", by_place(n[n["status"] == "added"]), gone),
        "变化": side_sheet("old", o[o["status"] == "changed"], pair),
        "调动": side_sheet("old", o[o["status"] == "moved"], pair[:-1] + ["有无异动记录", "异动类别", "变化的字段"]),
        "重复": pd.concat([side_sheet("old", o[o["status"] == "duplicate_key"], every, True),
                         side_sheet("new", n[n["status"] == "duplicate_key"], every, True)], ignore_index=True),
        "无法对应": pd.concat([side_sheet("old", o[o["status"] == "missing_key"], every, True),
                           side_sheet("new", n[n["status"] == "missing_key"], every, True)], ignore_index=True),
    }
    if result.changes is not None:
        chg = result.changes
        recs = (_records(changes, chg["row"].to_numpy(dtype=np.int64) - 1, ch_lay, unmask)
                if changes is not None and len(changes) == len(chg) else pd.DataFrame(index=range(len(chg))))
        sheets_data["异动名单"] = _sheet(
            {"行号": chg["row"], "异动类别（标准名称）": chg["change_type"], "结果": chg["status"].map(STATUS_ZH),
             "原因": chg["reasons"], f"{ot}行号": _row_numbers(chg["old_row"]),
             f"{nt}行号": _row_numbers(chg["new_row"]),
             "对应方式": chg["matched_by"].map(lambda k: KEY_ZH.get(k, k) if isinstance(k, str) else "")}, recs)

    c = result.counts
    rows: list[tuple[str, object]] = []
    for key, title in (("old", "旧名单"), ("new", "新名单"), ("changes", "异动名单")):
        if sources.get(key):
            rows.append((title, sources[key]))
        elif key == "changes":
            rows.append((title, "未提供（减少和新增的学生无法用异动记录说明，全部列为没有异动记录）"))
    rows.append(("对应字段", f"{KEY_ZH.get(result.key_used, result.key_used)}（{result.key_used}）；没有或对不上时依次按"
                          "身份证件号、姓名+性别+出生日期对应"))
    if result.fallback_matches:
        rows.append(("按其他信息对应", f"{result.fallback_matches} 对：" + "，".join(
            f"按{KEY_ZH.get(k, k)} {v}" for k, v in result.matched_by_counts.items() if k != result.key_used and v)))
    rows.append(("比较的字段", "、".join(field_name(f) for f in result.fields) or "（无）"))
    rows += _count_rows("旧名单", c["old"] | {"total": len(o)}, OLD_STATUSES, STATUS_ZH)
    rows += _count_rows("新名单", c["new"] | {"total": len(n)}, NEW_STATUSES, STATUS_ZH)
    if result.changes is not None:
        rows += _count_rows("异动名单", c["changes"] | {"total": len(result.changes)}, CHANGE_STATUSES, STATUS_ZH)
    rows.append(("疑似流失", f"{len(lost)} 人：{ot}中有、{nt}中没有，也没有转出、退学、休学等异动记录"
                          "（见“疑似流失”工作表，按学校、年级、班级排列），请逐一核实去向"))
    rows.append(("每条记录都有且只有一个结果", "是" if result.conserved else "否（请报告此问题）"))
    rows.append(("个人信息", "本工作簿中记录的学籍号、身份证件号、电话、地址" + (
        "未遮盖（按 --unmask 要求显示原值），请妥善保管" if unmask else "已遮盖（可用 --unmask 显示原值）")
        + f"；“原因”列和 {files['results'].name} 中的学籍号、身份证件号始终遮盖"))
    rows += [("输出文件", p.name) for p in files.values()]
    rows += [("对比摘要" if i == 0 else "", line) for i, line in enumerate(result.summary().splitlines())]
    summary = pd.DataFrame(rows, columns=["项目", "内容"])
    summary["内容"] = summary["内容"].astype(str)

    sheets = {"汇总": summary}
    for name, frame in sheets_data.items():
        sheets.update(_split(name, frame))
    write_excel(sheets, files["workbook"])

    js = result.to_dict()
    js["inputs"] = sources
    js["outputs"] = {k: p.name for k, p in files.items()}
    js["notes"] = []
    _write_text(files["summary"], json.dumps(js, ensure_ascii=False, indent=1, default=_json_default))
    return files


def _reason_texts(frame: pd.DataFrame, status_zh: dict) -> pd.Series:
    """The reasons of ``frame`` (positional), the status in words where a record has none."""
    reasons = frame["reasons"].astype("str").reset_index(drop=True)
    fallback = frame["status"].map(status_zh).fillna(frame["status"]).astype("str").reset_index(drop=True)
    empty = reasons.isna() | (reasons.str.strip() == "")
    return reasons.where(~empty, fallback)


def _write_jyjg_dbf(df, idx, reasons, path, lay: Layout, encoding_notes, notes, full_values_in) -> None:
    """The records ``idx`` (0-based) of ``df`` in ``lay`` plus JYJG C(254) holding ``reasons``."""
    frame = _layout_frame(_rows(df, idx), lay)
    frame["JYJG"] = [_fit_bytes(s, JYJG_WIDTH) for s in reasons.tolist()]
    jlay = replace(lay, fields=tuple(f for f in lay.fields if f.code != "JYJG") + (JYJG_FIELD,))
    _write_failed_dbf(frame, idx, path, jlay, encoding_notes, notes, full_values_in=full_values_in)


def _count_rows(title: str, counts: dict, statuses, status_zh: dict) -> list[tuple[str, str]]:
    """汇总 rows: one per status (“注册上报：一致（matched）”), the total, and the sum written out."""
    rows = [(f"{title}：{status_zh.get(s, s)}（{s}）", str(int(counts.get(s, 0)))) for s in statuses]
    total = int(counts["total"])
    added = sum(int(counts.get(s, 0)) for s in statuses)
    rows.append((f"{title}：合计", str(total)))
    rows.append((f"{title}：核对", " + ".join(f"{status_zh.get(s, s)} {int(counts.get(s, 0))}" for s in statuses)
                 + f" = {added}" + ("，等于记录总数" if added == total else f"，不等于记录总数 {total}（请报告此问题）")))
    return rows


def _row_numbers(s: pd.Series) -> pd.Series:
    """Row numbers with gaps as float (write_excel shows 12, not 12.0; an all-missing Int64 column trips it)."""
    return s.astype("float64").reset_index(drop=True)


def _rows(source, idx) -> pd.DataFrame:
    """The records at ``idx`` (0-based) of a frame, or of a folder converted by ``dbf_to_parquet`` (only
    those records are read)."""
    idx = np.asarray(idx, dtype=np.int64)
    if isinstance(source, pd.DataFrame):
        return source.iloc[idx]
    from ..io.parquet import read_parquet_rows

    return read_parquet_rows(source, idx + 1)


def _count(source) -> int:
    if isinstance(source, pd.DataFrame):
        return len(source)
    from ..io.parquet import parquet_shape

    return parquet_shape(source)[0]


def _records(df: pd.DataFrame | None, idx: np.ndarray, lay: Layout | None, unmask: bool) -> pd.DataFrame:
    """The input records at ``idx`` (0-based), personal columns masked unless ``unmask``; an Excel layout's
    columns under the template's Chinese headers."""
    if df is None:
        return pd.DataFrame(index=range(len(idx)))
    sub = _rows(df, idx).reset_index(drop=True)
    if not unmask:
        sub = mask_frame(sub, lay)
    if lay is not None and lay.format == "excel":
        known = {f.code: f.name for f in lay.fields}
        sub = sub.rename(columns={c: known.get(str(c).upper(), c) for c in sub.columns})
    sub.columns = [str(c) for c in sub.columns]
    return sub


def _sheet(result_cols: dict, records: pd.DataFrame) -> pd.DataFrame:
    """Result columns first, then the record's own columns (a record column whose name is taken: 原…)."""
    front = pd.DataFrame({k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v)
                          for k, v in result_cols.items()})
    front.index = records.index = pd.RangeIndex(len(front))
    taken = set(front.columns)
    records = records.rename(columns={c: (f"原{c}" if c in taken else c) for c in records.columns})
    return pd.concat([front, records], axis=1)


def _by_school_sheet(result, ot: str, nt: str, status_zh: dict) -> pd.DataFrame:
    bs = result.by_school()
    heads = {"side": "名单", "XXBSM": "学校标识码", "XXMC": "学校名称", "total": "合计",
             "unexplained": "其中没有异动记录的减少/新增"}
    out = bs.rename(columns={c: heads.get(c, status_zh.get(c, c)) for c in bs.columns})
    out["名单"] = bs["side"].map({"old": ot, "new": nt}).astype("str")
    return out
