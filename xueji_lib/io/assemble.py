"""Rows of raw cells → a ``str`` DataFrame: the header row found among the first rows and matched to the
layout's fields, each cell turned into its text, what Excel did to the values counted as warnings.

    >>> from xueji_lib.io.assemble import assemble
    >>> rows = iter([(1, [(0, "学籍号", "s", 0), (1, "姓名", "s", 0)]), (2, [(0, "G1", "s", 0), (1, "张三", "s", 0)])])
    >>> df, fields, warnings, extra = assemble(rows, None, Path("名单.csv"), "文件", None)   # doctest: +SKIP
    >>> list(df.columns), extra["header_row"]                                                # doctest: +SKIP
    (['学籍号', '姓名'], 1)

Both readers feed it: ``io.xlsx`` (a workbook's sheet) and ``io.text_tables`` (CSV/TXT); ``counted`` passes
their rows through while telling a ``Progress`` how far they got.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import FileFormatError
from ..core.privacy import mask_value, personal_kind
from ..core.progress import Progress
from ..schema.layouts import Layout
from .cells import cell_text
from .loadinfo import MAX_EXAMPLES, FieldSpec, LoadWarning, WarningTally

__all__ = [
    "assemble",
    "combine_sheets",
    "sheet_entry",
    "counted",
    "HeaderMatcher",
    "scan_rows",
    "find_header",
    "HEADER_SCAN_ROWS",
    "INFO_CODES",
    "SHEET_COLUMN",
]

HEADER_SCAN_ROWS = 10
CHUNK_ROWS = 50_000  # rows held as Python strings before they go into Arrow arrays
INFO_CODES = frozenset(
    {"EXCEL_SERIAL_DATE", "LEADING_APOSTROPHE", "FORMULA_TEXT", "NUMBER_FORMAT_ZEROS", "BLANK_ROWS", "SHEETS_COMBINED"}
)
#: The column a workbook read from several sheets gets: the name of the sheet each record came from. Chinese,
#: like the columns a layout does not know (it is shown as it is in 问题明细, the dashboards, ``xueji compare``);
#: no layout code (codes are ASCII) and no upload field (``io.lists.layout_frame`` takes the layout's fields
#: only). A file with a column of that name already keeps it: the sheet column is then 工作表_2
#: (``LoadReport.extra["sheet_column"]`` names it).
SHEET_COLUMN = "工作表"


# ------------------------------------------------------------------------------------ header finding


def _clean_header(text: str) -> str:
    """Header cell → column name when the layout does not know it: marks and extra blanks removed."""
    return " ".join(str(text).replace("★", "").replace("☆", "").split())


class HeaderMatcher:
    """Header texts → the layout's field codes (no layout: nothing matches, the header is found by its labels)."""

    def __init__(self, layout: Layout | None) -> None:
        self.layout = layout

    def code(self, text: str) -> str | None:
        """Field code for a header text (see Layout.match_header)."""
        return self.layout.match_header(text) if self.layout is not None else None

    def score(self, texts: list[str]) -> int:
        """How many distinct fields a row of header texts matches."""
        return len({c for c in (self.code(t) for t in texts) if c})


def _row_texts(cells: list, epoch: datetime | None) -> list[str]:
    width = max((c[0] for c in cells), default=-1) + 1
    out = [""] * width
    for col, value, kind, zeros in cells:
        out[col] = cell_text(value, kind, zeros, None, epoch)[0]
    return out


def renumbered(name: str, taken: Collection[str], names: Collection[str | None]) -> str:
    """A column name already ``taken`` by an earlier column, numbered as the readers number it: 姓名 → 姓名_2 (or
    the first ``_k`` neither taken nor among the sheet's own ``names``). ``loading.header_names`` uses it too, so
    the names a layout is recognised from are the names the read gives."""
    k = 2
    while f"{name}_{k}" in taken or f"{name}_{k}" in names:
        k += 1
    return f"{name}_{k}"


def _is_text_label(t: str) -> bool:
    s = t.strip()
    if not s:
        return False
    try:
        float(s)
        return False
    except ValueError:
        return True


def find_header(scan: list[tuple[int, list[str]]], matcher: HeaderMatcher) -> tuple[int, int] | None:
    """(index into scan, score) of the header row among the scanned non-blank rows, or None."""
    if matcher.layout is not None:
        best, best_score = None, 1
        for i, (_, texts) in enumerate(scan):
            s = matcher.score(texts)
            if s > best_score:
                best, best_score = i, s
        return (best, best_score) if best is not None else None
    widest = max((sum(1 for t in texts if t.strip()) for _, texts in scan), default=0)
    for i, (_, texts) in enumerate(scan):
        labels = sum(1 for t in texts if _is_text_label(t))
        filled = sum(1 for t in texts if t.strip())
        if labels >= 2 and filled * 2 >= widest:
            return i, labels
    return None


def scan_rows(rows: Iterator[tuple[int, list]], epoch: datetime | None) -> tuple[list, list]:
    """Read rows until HEADER_SCAN_ROWS non-blank ones: (raw rows read, [(row, texts)] of non-blank)."""
    raw, scan = [], []
    for row_no, cells in rows:
        raw.append((row_no, cells))
        texts = _row_texts(cells, epoch)
        if any(t.strip() for t in texts):
            scan.append((len(raw) - 1, row_no, texts))
            if len(scan) >= HEADER_SCAN_ROWS:
                break
    return raw, scan


# ------------------------------------------------------------------------------------------ assembly


def _guess_kind(name: str, header: str, layout: Layout | None, value: str) -> str | None:
    kind = personal_kind(name, layout)
    if kind:
        return kind
    text = header or name
    if any(k in text for k in ("身份证", "证件号", "护照")):
        return "id"
    if any(k in text for k in ("电话", "手机", "联系方式")):
        return "phone"
    if any(k in text for k in ("地址", "住址", "住所")):
        return "address"
    digits = sum(ch.isdigit() for ch in value)
    if digits >= 11:  # any long number could be an ID, phone or bank card: never show it whole
        return "phone" if len(value) <= 11 else "id"
    return None


_MESSAGES = {
    "EXCEL_NUMBER_DAMAGED": "{label} 已被存成数字（Excel、WPS 或导出程序所为，或显示成科学计数法），只保留了 15–17 位有效数字，"
    "后几位已经丢失，请从原始资料重新录入（第 {rows} 行）",
    "LONG_NUMBER_CELL": "{label} 存成了数字单元格；文件里的长数字目前还完整，但用 Excel 打开再保存就会只剩 15 位有效数字，"
    "请把该列设为文本格式（第 {rows} 行）",
    "EXCEL_SERIAL_DATE": "{label} 中有 Excel 日期序号（如 40057），已按日期换算成 {fmt} 格式，请核对（第 {rows} 行）",
    "LEADING_APOSTROPHE": "{label} 中的值带有导出时加的前导撇号 '，已去掉（第 {rows} 行）",
    "FORMULA_TEXT": '{label} 中的值写成了 ="…" 形式（导出时为保留文本所加），已取出引号内的内容（第 {rows} 行）',
    "NUMBER_FORMAT_ZEROS": "{label} 是数字单元格，按单元格格式显示前导零，已按显示补足（第 {rows} 行）",
    "EXCEL_ERROR_VALUE": "{label} 中有 Excel 错误值（如 #N/A、#VALUE!），公式出错，内容不可用，请核对（第 {rows} 行）",
    "FORMULA_NO_VALUE": "{label} 中有公式但文件没有保存计算结果，读出为空；请用 Excel 打开并保存后再读取（第 {rows} 行）",
}


def _rows_phrase(rows: list[int], count: int) -> str:
    """ "4、7、8" or "4、5、6、7、8 等" (the first five spreadsheet rows)."""
    return "、".join(map(str, rows[:5])) + (" 等" if count > 5 else "")


def _to_arrow(data: list[list[str]], width: int) -> tuple[int, list]:
    """(row count, one Arrow string array per column) of a block of text rows."""
    for vals in data:
        if len(vals) < width:
            vals.extend([""] * (width - len(vals)))
    cols = list(zip(*data)) if data else [()] * width
    return len(data), [pa.array(c, type=pa.large_string()) for c in cols]


def assemble(
    rows: Iterator[tuple[int, list]], layout: Layout | None, path: Path, where: str, epoch: datetime | None
) -> tuple[pd.DataFrame, tuple[FieldSpec, ...], tuple[LoadWarning, ...], dict]:
    """Turn raw rows into (DataFrame, fields, warnings, extra). ``where`` names the sheet in messages."""
    matcher = HeaderMatcher(layout)
    raw, scan = scan_rows(rows, epoch)
    if not scan:
        raise FileFormatError(path, f"{where}是空的，没有任何内容")
    found = find_header([(r, t) for _, r, t in scan], matcher)
    if found is None:
        first = "、".join(t for t in scan[0][2] if t.strip())[:80]
        if layout is not None:
            expect = "、".join(f.name for f in layout.fields[:8])
            raise FileFormatError(
                path,
                f"{where}前 {HEADER_SCAN_ROWS} 行中找不到与版式“{layout.title}”相符的表头行"
                f"（至少要有 2 个列名相符，例如 {expect}）。第 {scan[0][1]} 行是：{first}。"
                "请确认文件和版式是否选对。",
            )
        raise FileFormatError(
            path, f"{where}前 {HEADER_SCAN_ROWS} 行中找不到表头行（至少 2 个文字列名）。第 {scan[0][1]} 行是：{first}"
        )
    h = found[0]
    raw_index, header_row, header_texts = scan[h]
    title_rows = [{"row": r, "text": " ".join(t for t in texts if t.strip())[:100]} for _, r, texts in scan[:h]]

    # columns from the header
    hwidth = len(header_texts)
    codes = [matcher.code(t) for t in header_texts]
    datefmts = [layout.field(c).date if (layout is not None and c) else None for c in codes]

    warnings = WarningTally()
    data: list[list[str]] = []  # rows of text, turned into Arrow arrays every CHUNK_ROWS rows
    pieces: list[tuple[int, list]] = []
    source_rows: list[int] = []
    middle_blank = 0  # rows between the header and the last record that hold nothing (or only spaces)
    blank_examples: list[int] = []
    trailing_blank = 0  # rows after the last record that hold only spaces
    last = header_row
    width = hwidth
    wadd = warnings.add_one
    damaged: dict[int, list[int]] = {}  # column → positions (0-based, among the records) of damaged numbers
    for row_no, cells in chain(raw[raw_index + 1 :], rows):
        vals = [""] * width
        filled = False
        for col, value, kind, zeros in cells:
            if kind == "s" and value and value[0] not in "'=" and "E" not in value and "e" not in value:
                text = value
            else:
                text, code = cell_text(value, kind, zeros, datefmts[col] if col < hwidth else None, epoch)
                if code:
                    wadd(code, col, row_no, text)
                    if code == "EXCEL_NUMBER_DAMAGED":  # which records: the validator says "damage", not "typo"
                        damaged.setdefault(col, []).append(len(data))
                if not text:
                    continue
            if col >= width:
                vals.extend([""] * (col + 1 - width))
                width = col + 1
            vals[col] = text
            if not filled:
                filled = not text.isspace()
        if not filled:
            trailing_blank += 1
            continue
        if row_no > last + 1:
            middle_blank += row_no - last - 1
            if len(blank_examples) < MAX_EXAMPLES:
                blank_examples.extend(range(last + 1, min(row_no, last + 1 + MAX_EXAMPLES)))
        trailing_blank = 0
        last = row_no
        data.append(vals)
        source_rows.append(row_no)
        if len(data) >= CHUNK_ROWS:
            pieces.append(_to_arrow(data, width))
            data = []
    if data or not pieces:
        pieces.append(_to_arrow(data, width))
    del data
    columns = []
    for j in range(width):
        parts = [arrs[j] if j < len(arrs) else pa.array([""] * n, type=pa.large_string()) for n, arrs in pieces]
        columns.append(pa.chunked_array(parts, type=pa.large_string()))

    # names
    names: list[str | None] = []
    sources: list[str] = []
    out_warn: list[LoadWarning] = []
    blank_named: list[tuple[int, str]] = []
    dropped = 0
    for j in range(width):
        text = header_texts[j].strip() if j < hwidth else ""
        code = codes[j] if j < hwidth else None
        name = code or _clean_header(text)
        if not name:
            if len(columns[j]) == 0 or not pc.max(pc.utf8_length(columns[j])).as_py():
                names.append(None)
                dropped += 1
                sources.append("")
                continue
            name = f"列{j + 1}"
            blank_named.append((j, name))
        names.append(name)
        sources.append(text)
    if blank_named:
        from openpyxl.utils import get_column_letter

        desc = "、".join(f"第 {get_column_letter(j + 1)} 列" for j, _ in blank_named)
        out_warn.append(
            LoadWarning(
                "BLANK_HEADER",
                f"第 {header_row} 行（表头）{desc} 的列名是空的（可能是合并单元格），但下面有数据，"
                "已按位置命名为 " + "、".join(n for _, n in blank_named),
                None,
                len(blank_named),
                tuple((header_row, n, "") for _, n in blank_named),
            )
        )
    seen: dict[str, int] = {}
    final: list[str | None] = []
    for j, name in enumerate(names):
        if name is None:
            final.append(None)
            continue
        if name in seen:
            new = renumbered(name, seen, names)
            from openpyxl.utils import get_column_letter

            first_j = seen[name]
            out_warn.append(
                LoadWarning(
                    "DUPLICATE_HEADER",
                    f"第 {header_row} 行（表头）第 {get_column_letter(first_j + 1)} 列“{sources[first_j] or name}”和"
                    f"第 {get_column_letter(j + 1)} 列“{sources[j] or name}”对应同一列名 {name}，后者已改名为 {new}，请核对",
                    new,
                    1,
                    ((header_row, new, sources[j]),),
                )
            )
            name = new
        seen[name] = j
        final.append(name)

    # value warnings, named and masked
    for (code, j), (_, count, examples) in warnings.items.items():
        name = final[j] if j < len(final) and final[j] else f"列{j + 1}"
        header = _clean_header(sources[j]) if j < len(sources) else ""
        label = header if (not header or header == name) else f"{header}（{name}）"
        label = label or name
        fmt = datefmts[j] if j < hwidth and datefmts[j] else ""
        ex = []
        for r, v in examples:
            kind = _guess_kind(name, header, layout, v)
            ex.append((r, name, mask_value(kind, v) if kind else v))
        msg = _MESSAGES[code].format(label=label, rows=_rows_phrase([r for r, _ in examples], count), fmt=fmt)
        out_warn.append(LoadWarning(code, msg, name, count, tuple(ex)))
    if middle_blank:
        ex = blank_examples[:MAX_EXAMPLES]
        out_warn.append(
            LoadWarning(
                "BLANK_ROWS",
                f"表中夹有 {middle_blank} 个空行，已跳过（第 {_rows_phrase(ex, middle_blank)} 行）",
                None,
                middle_blank,
                tuple((r, "", "") for r in ex),
            )
        )

    frame = {}
    fields = []
    for j, name in enumerate(final):
        if name is None:
            continue
        frame[name] = pd.array(columns[j], dtype="str")
        fields.append(FieldSpec(name=name, type="C", source_name=sources[j]))
    df = pd.DataFrame(frame)
    if not frame:
        df = pd.DataFrame(index=pd.RangeIndex(len(source_rows)))
    mapped = [c for c in codes if c]
    extra = {
        "header_row": header_row,
        "title_rows": title_rows,
        "blank_rows": middle_blank,
        "trailing_blank_rows": trailing_blank,
        # a numpy array, not a list: pandas deep-copies attrs on every operation on the frame
        "source_rows": np.asarray(source_rows, dtype=np.int64),
        "dropped_empty_columns": dropped,
        # column name → positions (0-based among the records) of numbers Excel or a script already cut short
        "damaged_cells": {
            final[j]: np.asarray(pos, dtype=np.int64) for j, pos in damaged.items() if j < len(final) and final[j]
        },
    }
    if layout is not None:
        extra["layout"] = layout.name
        extra["missing_fields"] = [c for c in layout.codes if c not in mapped]
        extra["unmatched_columns"] = [
            n for n, c in zip(final, codes + [None] * (width - hwidth)) if n is not None and not c
        ]
    return df, tuple(fields), tuple(out_warn), extra


def sheet_entry(name: str, df: pd.DataFrame, extra: dict) -> dict:
    """What ``LoadReport.extra["sheets"]`` says of one sheet read: name, records, header row, and (read through a
    layout) the layout's fields it lacks and the columns the layout does not know."""
    entry = {"name": name, "records": len(df), "header_row": extra.get("header_row")}
    if "missing_fields" in extra:
        entry["missing_fields"] = list(extra["missing_fields"])
        entry["unmatched_columns"] = list(extra["unmatched_columns"])
    return entry


def combine_sheets(
    parts: Sequence[tuple[str, pd.DataFrame, tuple[FieldSpec, ...], tuple[LoadWarning, ...], dict]],
    layout: Layout | None,
) -> tuple[pd.DataFrame, tuple[FieldSpec, ...], tuple[LoadWarning, ...], dict]:
    """Several sheets, each assembled (``(sheet name, df, fields, warnings, extra)``, in workbook order), as one
    table: records in sheet order; columns combined by name (a field code, or the header text of a column the
    layout does not know), in the order first met, whatever each sheet's column order; a column a sheet lacks is
    empty ("") for that sheet's records, and a layout field another sheet has is reported
    (``SHEET_FIELD_MISSING``). Each record's sheet: column ``SHEET_COLUMN`` and ``extra["source_sheets"]`` (its
    index into ``extra["sheets"]``); ``extra["source_rows"]`` its row in that sheet. Each sheet's warnings keep
    their rows, their message starting with the sheet's name (``LoadWarning.sheet``)."""
    columns = list(dict.fromkeys(c for _, df, *_ in parts for c in df.columns))
    sheet_col, k = SHEET_COLUMN, 2
    while sheet_col in columns:
        sheet_col, k = f"{SHEET_COLUMN}_{k}", k + 1
    counts = [len(df) for _, df, *_ in parts]
    total = sum(counts)
    frame = {}
    for c in columns:
        pieces = [
            df[c].reset_index(drop=True) if c in df.columns else pd.Series(pd.array([""] * len(df), dtype="str"))
            for _, df, *_ in parts
        ]
        frame[c] = pd.array(pd.concat(pieces, ignore_index=True), dtype="str")
    names = [name for name, *_ in parts]
    frame[sheet_col] = pd.array(np.repeat(np.array(names, dtype=object), counts), dtype="str")
    df = pd.DataFrame(frame, index=pd.RangeIndex(total))

    fields: dict[str, FieldSpec] = {}
    for _, _, part_fields, _, _ in parts:
        for f in part_fields:
            fields.setdefault(f.name, f)

    warnings: list[LoadWarning] = []
    for name, _, _, part_warnings, _ in parts:
        warnings.extend(replace(w, message=f"工作表“{name}”：{w.message}", sheet=name) for w in part_warnings)
    codes = set(layout.codes) if layout is not None else set()
    present = {c for _, part, *_ in parts for c in part.columns if c in codes}
    for (name, part, _, _, extra), n in zip(parts, counts, strict=True):
        lacking = [c for c in (layout.codes if layout is not None else ()) if c in present and c not in part.columns]
        if not lacking:
            continue
        others = "、".join(f"“{o}”" for o, p, *_ in parts if o != name and any(c in p.columns for c in lacking))
        shown = "、".join(_field_label(layout, c) for c in lacking[:8]) + (" 等" if len(lacking) > 8 else "")
        warnings.append(
            LoadWarning(
                "SHEET_FIELD_MISSING",
                f"工作表“{name}”（表头在第 {extra.get('header_row')} 行）没有 {len(lacking)} 个字段的列：{shown}"
                f"（工作表{others}有），该表 {n} 条记录的这些字段为空，请核对是否漏了列",
                lacking[0] if len(lacking) == 1 else None,
                len(lacking),
                (),
                name,
            )
        )

    offsets = np.concatenate([[0], np.cumsum(counts)])
    damaged: dict[str, list] = {}
    for (_, _, _, _, extra), off in zip(parts, offsets, strict=False):
        for c, pos in (extra.get("damaged_cells") or {}).items():
            damaged.setdefault(c, []).append(np.asarray(pos, dtype=np.int64) + off)
    first = parts[0][4]
    extra = {
        "header_row": first.get("header_row"),
        "title_rows": [{"sheet": name, **t} for name, _, _, _, e in parts for t in e.get("title_rows", [])],
        "blank_rows": sum(e.get("blank_rows", 0) for *_, e in parts),
        "trailing_blank_rows": sum(e.get("trailing_blank_rows", 0) for *_, e in parts),
        "source_rows": np.concatenate([np.asarray(e["source_rows"], dtype=np.int64) for *_, e in parts]),
        # which sheet (index into extra["sheets"]) each record came from: with several sheets a row alone is ambiguous
        "source_sheets": np.repeat(np.arange(len(parts), dtype=np.int16), counts),
        "sheet_column": sheet_col,
        "dropped_empty_columns": sum(e.get("dropped_empty_columns", 0) for *_, e in parts),
        "damaged_cells": {c: np.concatenate(v) for c, v in damaged.items()},
    }
    if layout is not None:
        extra["layout"] = layout.name
        extra["missing_fields"] = [c for c in layout.codes if c not in present]
        extra["unmatched_columns"] = list(dict.fromkeys(c for *_, e in parts for c in e.get("unmatched_columns", ())))
    return df, tuple(fields.values()), tuple(warnings), extra


def _field_label(layout: Layout | None, code: str) -> str:
    """ "民族（MZ）": a field as a clerk and the code both know it."""
    try:
        name = layout.field(code).name if layout is not None else ""
    except (KeyError, AttributeError, LookupError):
        name = ""
    return f"{name}（{code}）" if name and name != code else code


def counted(
    rows: Iterator[tuple[int, list]],
    task: Progress,
    total: int | None,
    *,
    offset: int = 0,
    final: bool = True,
    reached: list[int] | None = None,
) -> Iterator[tuple[int, list]]:
    """``rows`` passed through, telling ``task`` the row number reached every 4,096 rows (never per row);
    ``total`` is the expected last row (None: unknown). Completion is reported when the rows run out.
    Several sheets read as one: ``offset`` (the rows of the sheets before) is added to each row number,
    ``final=False`` leaves completion to the last sheet, ``reached[0]`` is set to the last row reported."""
    task.total = total if total and total > 1 else None
    n = last = 0
    for item in rows:
        yield item
        n += 1
        last = item[0]
        if not n & 4095:
            if task.total is not None and offset + last > task.total:
                task.total = None  # the sheet's stated size was wrong
            task.update(offset + last)
    if reached is not None:
        reached[0] = offset + last
    if not final:
        task.update(offset + last)
        return
    if task.total is None:
        task.update(offset + last)
    task.finish()
