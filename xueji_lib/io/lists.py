"""Lists as files: the upload DBF in exactly a layout (with the platform's JYJG reason field for the records
that do not pass), workbook sheets made of declared result columns followed by the records' own columns, the
results CSV and the JSON summary. Used by every result's ``save``; nothing here knows a result class.

    >>> from xueji_lib.io.lists import fit_bytes
    >>> fit_bytes("专业名称为空。该字段必填，请补填", 12)
    '专业名称为…'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.errors import LayoutError, WriteError
from ..core.files import write_atomic
from ..core.privacy import mask_frame
from ..core.progress import Progress, ProgressArg
from ..core.result import OutputFiles, ResultList, json_default
from ..schema.codes import restore_leading_zeros
from ..schema.layouts import Layout, LayoutField
from .dbf import write_dbf
from .excel_writer import write_excel, write_progress_arg
from .source import ListSource

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "JYJG_WIDTH",
    "JYJG_FIELD",
    "SHEET_ROWS",
    "layout_frame",
    "fit_bytes",
    "write_passed_dbf",
    "write_failed_dbf",
    "write_jyjg_dbf",
    "free_name",
    "split_sheets",
    "write_text",
    "write_json",
    "write_atomic",
    "write_results_csv",
    "row_numbers",
    "rows_of",
    "count_of",
    "records_frame",
    "record_headers",
    "sheet",
    "write_workbook",
    "write_uploads",
    "write_lists_workbook",
    "list_sheet",
]

JYJG_WIDTH = 254
JYJG_FIELD = LayoutField("JYJG", "校验结果", "C", JYJG_WIDTH)
ELLIPSIS = "…"
SHEET_ROWS = 1_000_000  # rows per sheet before a list continues on the next sheet (Excel: 1,048,575)


def write_json(path: Path, data: dict) -> None:
    """``data`` as indented UTF-8 JSON (Chinese as is), written atomically."""
    write_text(path, json.dumps(data, ensure_ascii=False, indent=1, default=json_default))


def write_workbook(sheets: dict, path: Path, progress: ProgressArg = None) -> Path:
    """Sheets (name → frame) into one workbook, a sheet that exceeds Excel's rows continued on the next;
    ``progress`` as in ``write_excel``."""
    out: dict = {}
    for name, frame in sheets.items():
        out.update(split_sheets(name, frame))
    return write_excel(out, path, progress=progress)


def layout_frame(df: pd.DataFrame, lay: Layout) -> pd.DataFrame:
    """The layout's fields in layout order (absent ones blank); typed values as the upload text; a code whose
    leading zeros Excel dropped given them back (民族 "1" → "01", ``schema.codes.restore_leading_zeros``).

    >>> from xueji_lib.schema.layouts import load_layout
    >>> layout_frame(pd.DataFrame({"MZ": ["1", "01", "汉族"]}), load_layout("chsi_registration"))["MZ"].tolist()
    ['01', '01', '汉族']
    """
    cols = {str(c).strip().upper(): c for c in df.columns}
    if df.attrs:  # (the frame made here never carried them) not copied with every column taken out of ``df``
        df = df.copy(deep=False)
        df.attrs = {}
    data = {}
    for f in lay.fields:
        if f.code not in cols:
            data[f.code] = pd.Series([pd.NA] * len(df), dtype="str") if len(df) else pd.Series([], dtype="str")
            continue
        s = df[cols[f.code]].reset_index(drop=True)
        if f.type == "C":
            s = _as_upload_text(s, f)
            if f.codes:
                try:
                    s = restore_leading_zeros(s, f.codes)[0]
                except LayoutError:  # a user layout naming a code table that is not there: values as they are
                    pass
        data[f.code] = s
    return pd.DataFrame(data, index=pd.RangeIndex(len(df)))


def _as_upload_text(s: pd.Series, f: LayoutField) -> pd.Series:
    """A column typed by the reader (a D or N field in the file) as the text the C field expects."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y%m" if f.date == "YYYYMM" else "%Y%m%d").astype("str")
    if pd.api.types.is_float_dtype(s):
        return s.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else repr(float(v)))).astype(
            "str"
        )
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
    notes.append(
        f"{file_name} 中有 GBK 无法表示的字符（{where}{more}，行号为输入文件中的记录序号），"
        "因此整个文件按 GB18030 编码写出（代码页标记仍为 GBK）。平台可能不接受 GB18030，"
        "上传前请向平台确认，或按平台要求处理这些生僻字。"
    )
    return "gb18030"


def write_passed_dbf(frame: pd.DataFrame, positions: np.ndarray, path: Path, lay: Layout, notes: list[str]) -> None:
    encoding = _encoding_for(frame, lay, positions, path.name, notes)
    try:
        write_dbf(frame, path, lay, encoding=encoding)
    except WriteError as exc:  # rows of the sub-list → rows of the input file
        probs = exc.problems.copy()
        if len(probs) and probs["row"].notna().all():
            probs["row"] = [int(positions[int(r) - 1]) + 1 for r in probs["row"]]
        shown = "；".join(f"第 {r.row} 行 {r.field}：{r.reason}" for r in probs.head(5).itertuples())
        raise WriteError(
            path, probs, f"通过校验的记录中有无法写入上传文件的值（{shown or exc}）。请改正后重新校验。"
        ) from exc


def write_failed_dbf(
    frame: pd.DataFrame,
    positions: np.ndarray,
    path: Path,
    lay: Layout,
    encoding_notes: list[str],
    notes: list[str],
    full_values_in: str = "校验结果.xlsx 的“数据有误记录”工作表",
) -> None:
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
            fitted = fit_bytes(v.replace("\r", " ").replace("\n", " "), f.width, mark="")
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
        notes.append(
            f"{path.name} 中有值放不进上传字段（超出宽度、含换行，或不是该类型的值：{'；'.join(changed[:5])}{more}），"
            f"在该文件中已截短或留空；完整的原值见 {full_values_in}。"
        )


def fit_bytes(text: str, width: int, mark: str = ELLIPSIS) -> str:
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


def free_name(name: str, existing: Iterable[object]) -> str:
    return name if name not in set(map(str, existing)) else f"本次{name}"


def split_sheets(name: str, frame: pd.DataFrame) -> dict:
    """One sheet, or several (名称、名称2、…) when the rows exceed what one Excel sheet holds."""
    if len(frame) <= SHEET_ROWS:
        return {name: frame}
    return {
        (name if i == 0 else f"{name}{i + 1}"): frame.iloc[s : s + SHEET_ROWS].reset_index(drop=True)
        for i, s in enumerate(range(0, len(frame), SHEET_ROWS))
    }


def write_text(path: Path, text: str) -> None:
    """``text`` as UTF-8, written atomically."""
    write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def write_results_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """``frame`` as CSV in UTF-8 with a byte-order mark (so that Excel reads it as UTF-8): a header row,
    missing values as empty cells, booleans as true/false. Written by Arrow (two million rows in about a
    second) under a temporary name and renamed into place.

    >>> import os, tempfile
    >>> from xueji_lib.io.lists import write_results_csv
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

    write_atomic(path, write)
    return path


def write_jyjg_dbf(
    df: pd.DataFrame | ListSource | str | os.PathLike,
    idx: np.ndarray,
    reasons: pd.Series,
    path: Path,
    lay: Layout,
    encoding_notes: list[str],
    notes: list[str],
    full_values_in: str,
) -> None:
    """The records ``idx`` (0-based) of ``df`` in ``lay`` plus JYJG C(254) holding ``reasons``."""
    frame = layout_frame(rows_of(df, idx), lay)
    frame["JYJG"] = [fit_bytes(s, JYJG_WIDTH) for s in reasons.tolist()]
    jlay = replace(lay, fields=tuple(f for f in lay.fields if f.code != "JYJG") + (JYJG_FIELD,))
    write_failed_dbf(frame, idx, path, jlay, encoding_notes, notes, full_values_in=full_values_in)


def row_numbers(s: pd.Series) -> pd.Series:
    """Row numbers with gaps as float (write_excel shows 12, not 12.0; an all-missing Int64 column trips it)."""
    return s.astype("float64").reset_index(drop=True)


def rows_of(source: pd.DataFrame | ListSource | str | os.PathLike, idx: ArrayLike) -> pd.DataFrame:
    """The records at ``idx`` (0-based) of a list (a frame, a converted folder or a ListSource): only those
    records are read from a folder."""
    return ListSource.of(source).rows(np.asarray(idx, dtype=np.int64))


def count_of(source: pd.DataFrame | ListSource | str | os.PathLike | None) -> int:
    """The number of records of a list (a frame, a converted folder or a ListSource); -1 for None."""
    return -1 if source is None else ListSource.of(source).count


def source_names(inputs: dict) -> dict[str, str]:
    """What each of a result's inputs was read from, by key: a loaded frame's file (its LoadReport), a converted
    folder's path; inputs with neither (a frame built in memory, None) are left out."""
    from .loadinfo import load_report

    out = {}
    for key, value in inputs.items():
        if not isinstance(value, pd.DataFrame | ListSource | Path):  # None, or not a list (a layout's name)
            continue
        src = ListSource.of(value)
        if src.is_folder:
            name = str(src.path or src.name)
        else:
            rep = load_report(src.frame())
            name = rep.path if rep is not None else ""
        if name:
            out[key] = str(name)
    return out


def record_headers(lay: Layout) -> dict[str, str]:
    """Field code → the header a workbook shows that field under: an Excel layout's template header (姓名); a DBF
    layout's Chinese name with the field code (考生号（KSH）), words a clerk reads and the code of the DBF field.
    Read back through the layout (``Layout.match_header`` drops the trailing "（…）"), each is its field again.

    >>> from xueji_lib.schema.layouts import load_layout
    >>> record_headers(load_layout("chsi_registration"))["KSH"], record_headers(load_layout("k12_student"))["XM"]
    ('考生号（KSH）', '姓名')
    """
    if lay.format == "excel":
        return {f.code: f.name for f in lay.fields}
    return {f.code: (f"{f.name}（{f.code}）" if f.name and f.name != f.code else f.code) for f in lay.fields}


def records_frame(df: pd.DataFrame | None, idx: np.ndarray, lay: Layout | None, unmask: bool) -> pd.DataFrame:
    """The input records at ``idx`` (0-based), personal columns masked unless ``unmask``; the layout's fields
    under ``record_headers`` (an Excel layout's template headers, a DBF layout's 考生号（KSH）)."""
    if df is None:
        return pd.DataFrame(index=range(len(idx)))
    sub = rows_of(df, idx).reset_index(drop=True)
    if not unmask:
        sub = mask_frame(sub, lay)
    if lay is not None:
        known = record_headers(lay)
        sub = sub.rename(columns={c: known.get(str(c).upper(), c) for c in sub.columns})
    sub.columns = [str(c) for c in sub.columns]
    return sub


def sheet(result_cols: dict, records: pd.DataFrame) -> pd.DataFrame:
    """Result columns first, then the record's own columns (a record column whose name is taken: 原…)."""
    front = pd.DataFrame(
        {k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v) for k, v in result_cols.items()}
    )
    front.index = records.index = pd.RangeIndex(len(front))
    taken = set(front.columns)
    records = records.rename(columns={c: (f"原{c}" if c in taken else c) for c in records.columns})
    return pd.concat([front, records], axis=1)


def write_uploads(lists: list[ResultList], files: OutputFiles, layouts: dict, workbook: str) -> None:
    """Every list that declares an ``Upload`` with reasons: its records (of the input it names, in that input's
    layout) plus ``JYJG`` with the list's reasons, into ``files[upload.key]``; encoding fallbacks and values cut
    to fit are noted in ``files`` (the full values are in ``workbook``'s sheet of the same list)."""
    for lst in lists:
        up = lst.upload
        if up is None or up.reasons is None:
            continue
        rows = lst.rows if up.rows is None else up.rows
        idx = rows["row"].to_numpy(dtype=np.int64) - 1
        reasons = pd.Series(rows[up.reasons].to_numpy(), dtype="str")
        write_jyjg_dbf(
            lst.source,
            idx,
            reasons,
            files[up.key],
            layouts[up.source],
            files.encoding_notes,
            files.notes,
            f"{workbook} 的“{lst.title}”工作表",
        )
    files.encoding_note = "".join(files.encoding_notes) or None
    files.notes[:0] = files.encoding_notes


def list_sheet(lst: ResultList, layout: Layout | None, unmask: bool) -> pd.DataFrame:
    """A declared list as a workbook sheet: its columns under their headers (the workbook's view), then the
    records' own columns (masked unless ``unmask``; under ``record_headers``: 姓名, 考生号（KSH）),
    then the columns declared ``after`` the records. A list whose ``source`` is a dict takes each row's
    records from the source named in its ``records`` column (e.g. 重复 lists both rosters' records)."""
    if isinstance(lst.source, dict):
        parts = []
        for name, src in lst.source.items():
            sel = (lst.rows[lst.records] == name).to_numpy(dtype=bool)
            parts.append(list_sheet(replace(lst, rows=lst.rows[sel], records=name, source=src), layout, unmask))
        return pd.concat(parts, ignore_index=True)
    front = lst.frame(unmask=unmask, brief=False)
    if lst.records is None or not lst.own_columns:
        return front
    idx = lst.rows["row"].to_numpy(dtype=np.int64) - 1
    after = {c.header for c in lst.columns if c.after}
    out = sheet({c: front[c] for c in front.columns if c not in after}, records_frame(lst.source, idx, layout, unmask))
    for c in front.columns:
        if c in after:
            out[free_name(c, out.columns)] = front[c].to_numpy()
    return out


def write_lists_workbook(
    summary: pd.DataFrame,
    lists: list[ResultList],
    layouts: dict,
    path: Path,
    unmask: bool,
    progress: ProgressArg = None,
) -> Path:
    """汇总 then one sheet per declared list (``in_workbook``), in declaration order; ``layouts`` maps each
    list's ``records`` to the layout of those records. ``progress`` as in ``write_excel``: the sheets as they
    are put together (a list of 200,000 records takes a while), then the rows as they are written."""
    progress = write_progress_arg(progress)
    shown = [lst for lst in lists if lst.in_workbook]
    sheets = {"汇总": summary}
    with Progress(progress, f"整理 {path.name}", steps=[lst.title for lst in shown]) as task:
        for lst in shown:
            task.step(lst.title)
            sheets[lst.title] = list_sheet(lst, layouts.get(lst.records), unmask)
    return write_workbook(sheets, path, progress)
