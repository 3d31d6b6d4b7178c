"""What a loader tells the caller about a file besides its records: the ``LoadReport``.

Every loader (``read_dbf``, ``read_table``) puts one in ``df.attrs["load_report"]``; ``load_report(df)``
returns it. Problems that did not stop the read (an invalid date, a half character cut at the end of a
field, an ID number Excel already destroyed) are ``LoadWarning`` entries with counts and examples that
name the field and the record, so nothing is lost without a trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.privacy import mask_value, personal_kind
from ..core.result import Column, Result, ResultList

MAX_EXAMPLES = 10


@dataclass(frozen=True)
class FieldSpec:
    """One column as the file declares it (DBF descriptor, or the header cell of a sheet).

    >>> xj.load_report(xj.read_dbf("data_samples/hei/10_注册上报.dbf")).fields[0]
    FieldSpec(name='KSH', type='C', length=18, decimals=0, source_name='KSH')
    """

    name: str
    type: str = "C"
    length: int = 0
    decimals: int = 0
    source_name: str = ""  # the name as written in the file (a Chinese header, a lower-case DBF name)


@dataclass(frozen=True)
class LoadWarning:
    """A problem found while reading that did not stop the read.

    ``examples`` are (row, field, raw value) tuples; row is 1-based among the file's live records
    (for a sheet: the spreadsheet row number). Raw values of personal fields are masked. ``sheet``: the sheet the
    rows are in, when a workbook was read from several sheets (the message then starts with 工作表“…”).

    >>> w = xj.load_report(xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student")).warnings[0]
    >>> w.code, w.field, w.count, w.examples[0]
    ('EXCEL_NUMBER_DAMAGED', 'SFZJH', 1, (141, 'SFZJH', '430121********1000'))
    """

    code: str
    message: str
    field: str | None = None
    count: int = 0
    examples: tuple[tuple[int, str, str], ...] = ()
    sheet: str | None = None

    def __str__(self) -> str:
        where = "；".join(f"第 {r} 行 {f}={v!r}" for r, f, v in self.examples[:3])
        more = f"（例：{where}）" if where else ""
        return f"[{self.code}] {self.message}，共 {self.count} 处{more}"


class WarningTally:
    """What a reader collects while it reads, turned into ``LoadWarning`` entries at the end: per (code, place)
    a message, a count and the first ``MAX_EXAMPLES`` examples. ``place`` is a field name (DBF), or a column
    number while a sheet's columns have no names yet (``add_one``; the reader names and masks them at the end).
    Used by ``read_dbf``, ``read_table`` and the Parquet conversion (which adds its parts' counts up)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, Any], list] = {}  # (code, place) → [message, count, examples]

    def add(self, code: str, field: str | None, message: str, rows: Iterable[int], values: Iterable[object]) -> None:
        """Occurrences in ``field`` (None: the file as a whole) at ``rows`` with ``values``; examples are
        (row, field, value), the values of personal fields masked."""
        item = self.items.setdefault((code, field), [message, 0, []])
        rows = list(rows)
        item[1] += len(rows)
        kind = personal_kind(field) if field else None
        for r, v in zip(rows, values, strict=False):  # values: often only the first few
            if len(item[2]) >= MAX_EXAMPLES:
                break
            item[2].append((int(r), field or "", mask_value(kind, v) if kind else str(v)))

    def add_one(self, code: str, place: str | int | None, row: int, value: object) -> None:
        """One occurrence; (row, value) kept as an example while there are fewer than ``MAX_EXAMPLES``."""
        item = self.items.get((code, place))
        if item is None:
            item = self.items[(code, place)] = ["", 0, []]
        item[1] += 1
        if len(item[2]) < MAX_EXAMPLES:
            item[2].append((row, value))

    def add_counted(
        self, code: str, field: str | None, message: str, count: int, examples: Sequence[tuple[Any, ...]]
    ) -> None:
        """``count`` occurrences at once, with their examples (the first ones kept)."""
        item = self.items.setdefault((code, field), [message, 0, []])
        item[1] += count
        item[2].extend(examples[: MAX_EXAMPLES - len(item[2])])

    def merge(self, other: WarningTally) -> None:
        """Add ``other``'s counts and examples (a later stretch of the same file) to these."""
        for (code, place), (message, count, examples) in other.items.items():
            self.add_counted(code, place, message, count, examples)

    def result(self) -> tuple[LoadWarning, ...]:
        """The warnings, in the order their (code, field) first occurred."""
        return tuple(
            LoadWarning(code, message, place, count, tuple(examples))
            for (code, place), (message, count, examples) in self.items.items()
        )


@dataclass(frozen=True)
class LoadReport(Result):
    """Metadata of one loaded file.

    >>> rep = xj.load_report(xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student"))
    >>> print(rep.summary().splitlines()[1])
    读入记录：1437 条
    >>> rep.warnings_frame()[["code", "field", "row"]].values.tolist()
    [['EXCEL_NUMBER_DAMAGED', 'SFZJH', 141]]
    """

    path: str
    format: str  # "dbf", "xlsx", "csv"
    records: int  # rows in the returned DataFrame
    fields: tuple[FieldSpec, ...] = ()
    encoding: str | None = None
    warnings: tuple[LoadWarning, ...] = ()
    # DBF only
    version: int | None = None
    version_name: str | None = None
    codepage: int | None = None
    header_records: int | None = None
    deleted: int = 0
    last_update: str | None = None
    # anything else a loader wants to say (sheet name, header row, ...)
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """A few lines in Chinese, for the command line and notebooks."""
        lines = [f"文件：{self.path}（{self.format.upper()}）"]
        if self.version is not None:
            lines.append(
                f"版本：0x{self.version:02X} {self.version_name or ''}；代码页字节：0x{(self.codepage or 0):02X}；"
                f"按 {self.encoding} 解码"
            )
        elif self.encoding:
            lines.append(f"编码：{self.encoding}")
        counts = f"读入记录：{self.records} 条"
        if self.header_records is not None:
            counts += f"（文件头记录数 {self.header_records}，已删除 {self.deleted} 条未读入）"
        lines.append(counts)
        sheets = self.extra.get("sheets") or []
        if len(sheets) > 1:
            lines.append(
                f"工作表：{len(sheets)} 个（"
                + "，".join(f"{s['name']} {s['records']} 条" for s in sheets)
                + f"；每条记录所在的工作表见“{self.extra.get('sheet_column', '工作表')}”列）"
            )
        skipped = self.extra.get("skipped_sheets") or []
        if len(sheets) > 1 and skipped:
            lines.append("未读取的工作表：" + "，".join(f"{s['name']}（{s['reason']}）" for s in skipped))
        lines.append(
            f"字段：{len(self.fields)} 个（"
            + "，".join(f.name for f in self.fields[:12])
            + ("…" if len(self.fields) > 12 else "")
            + "）"
        )
        if self.warnings:
            lines.append(f"提示 {len(self.warnings)} 类：")
            lines.extend("  - " + str(w) for w in self.warnings)
        else:
            lines.append("没有发现读取问题。")
        return "\n".join(lines)

    def warnings_frame(self) -> pd.DataFrame:
        """One row per example of every warning (code, field, count, row, value, message)."""
        rows = []
        for w in self.warnings:
            for r, f, v in w.examples or ((None, w.field, None),):
                rows.append({"code": w.code, "field": f, "count": w.count, "row": r, "value": v, "message": w.message})
        return pd.DataFrame(rows, columns=["code", "field", "count", "row", "value", "message"])

    # ------------------------------------------------------------------------------ what the report lists
    @property
    def counts(self) -> dict:
        return {
            "total": self.records,
            "header_records": self.header_records,
            "deleted": self.deleted,
            "warnings": sum(w.count for w in self.warnings),
        }

    @property
    def params(self) -> dict:
        return {"path": self.path, "format": self.format, "encoding": self.encoding}

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "format": self.format,
            "records": self.records,
            "encoding": self.encoding,
            "header_records": self.header_records,
            "deleted": self.deleted,
            "fields": [f.name for f in self.fields],
            "warnings": [
                {"code": w.code, "field": w.field, "count": w.count, "message": w.message} for w in self.warnings
            ],
        }

    def summary_frame(self) -> pd.DataFrame:
        """项目 | 数量: records read, the header's count and deleted records (DBF), fields, warnings."""
        rows = [{"项目": "读入记录", "数量": self.records}]
        if self.header_records is not None:
            rows += [
                {"项目": "文件头记录数", "数量": self.header_records},
                {"项目": "已删除（未读入）", "数量": self.deleted},
            ]
        rows += [
            {"项目": "字段", "数量": len(self.fields)},
            {"项目": "读取提示（类）", "数量": len(self.warnings)},
            {"项目": "读取提示（处）", "数量": sum(w.count for w in self.warnings)},
        ]
        return pd.DataFrame(rows, columns=["项目", "数量"]).astype({"数量": "int64"})

    def lists(self) -> list[ResultList]:
        """读取提示: one row per example of every warning (the value masked by its field)."""
        return [
            ResultList(
                "读取提示",
                self.warnings_frame(),
                (
                    Column("code", "代码"),
                    Column("field", "字段"),
                    Column("count", "处数"),
                    Column("row", "行号"),
                    Column("value", "值（例）", personal="field:field"),
                    Column("message", "说明"),
                ),
            )
        ]


def load_report(df: pd.DataFrame) -> LoadReport | None:
    """The ``LoadReport`` a loader attached to ``df`` (None for a frame not made by a loader).

    >>> rep = xj.load_report(xj.read_dbf("data_samples/hei/10_注册上报.dbf"))
    >>> rep.records, rep.header_records, rep.deleted, rep.encoding
    (995, 995, 0, 'gb18030')
    """
    return df.attrs.get("load_report")
