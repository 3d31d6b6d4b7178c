"""What a loader tells the caller about a file besides its records: the ``LoadReport``.

Every loader (``read_dbf``, ``read_table``) puts one in ``df.attrs["load_report"]``; ``load_report(df)``
returns it. Problems that did not stop the read (an invalid date, a half character cut at the end of a
field, an ID number Excel already destroyed) are ``LoadWarning`` entries with counts and examples that
name the field and the record, so nothing is lost without a trace.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

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
    (for a sheet: the spreadsheet row number). Raw values of personal fields are masked.

    >>> w = xj.load_report(xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student")).warnings[0]
    >>> w.code, w.field, w.count, w.examples[0]
    ('EXCEL_NUMBER_DAMAGED', 'SFZJH', 1, (141, 'SFZJH', '430121********1000'))
    """

    code: str
    message: str
    field: str | None = None
    count: int = 0
    examples: tuple[tuple[int, str, str], ...] = ()

    def __str__(self) -> str:
        where = "；".join(f"第 {r} 行 {f}={v!r}" for r, f, v in self.examples[:3])
        more = f"（例：{where}）" if where else ""
        return f"[{self.code}] {self.message}，共 {self.count} 处{more}"


@dataclass(frozen=True)
class LoadReport:
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
        lines.append(f"字段：{len(self.fields)} 个（" + "，".join(f.name for f in self.fields[:12])
                     + ("…" if len(self.fields) > 12 else "") + "）")
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
                rows.append({"code": w.code, "field": f, "count": w.count, "row": r, "value": v,
                             "message": w.message})
        return pd.DataFrame(rows, columns=["code", "field", "count", "row", "value", "message"])

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:  # a notebook shows the summary and the warnings (xueji_lib.reporting.display)
        from ..reporting.display import to_html
        return to_html(self, chart=False)


def load_report(df: pd.DataFrame) -> LoadReport | None:
    """The ``LoadReport`` a loader attached to ``df`` (None for a frame not made by a loader).

    >>> rep = xj.load_report(xj.read_dbf("data_samples/hei/10_注册上报.dbf"))
    >>> rep.records, rep.header_records, rep.deleted, rep.encoding
    (995, 995, 0, 'gb18030')
    """
    return df.attrs.get("load_report")
