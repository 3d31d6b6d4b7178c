"""The fix-and-resubmit loop: 数据有误 corrected in Excel/WPS, validated again, and its newly passing records
merged into the upload list.

1. ``xueji validate 注册.dbf`` writes ``校验通过.dbf`` and, for the records that failed, ``数据有误_修改用.xlsx``
   (text cells, 原行号 = the record's number in 注册.dbf, the upload fields headed 考生号（KSH）…, 校验结果);
2. the clerk corrects it in Excel or WPS and runs ``xueji validate 数据有误_修改用.xlsx --layout <版式>``:
   another ``校验通过.dbf`` (the corrected records that now pass) and ``数据有误`` (those still wrong);
3. ``merge_passed`` (``xueji merge``) writes one upload file: the first 校验通过 plus the newly passing records
   (in the order of the original file, by 原行号), a record whose key (考生号, else 学号 / 身份证号) is already in the
   first list left out and named — no duplicate, no record lost, the counts stated.

    >>> res = merge_passed("一/校验通过.dbf", "二/校验通过.dbf", "上传.dbf")      # doctest: +SKIP
    >>> print(res.summary())                                                    # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import XuejiError
from ..core.normalize import key_text
from ..core.result import Result
from ..io.dbf import read_dbf
from ..io.lists import write_passed_dbf
from ..schema.layouts import Layout, load_layout, recognize_layout

__all__ = ["merge_passed", "MergeResult"]

KEYS = ("KSH", "XH", "SFZH", "XJH", "SFZJH")  # the first of these both lists have identifies a record


@dataclass
class MergeResult(Result):
    """What ``merge_passed`` wrote: ``first`` + ``added`` = ``merged``; ``second`` = ``added`` + ``duplicates``
    (records of the second list whose key the first already has, or that repeat a key within it)."""

    first: int
    second: int
    added: int
    duplicates: pd.DataFrame  # second list's rows left out: 行号, key, 原行号 (when known), reason
    key: str
    layout: Layout
    path: Path
    notes: list = field(default_factory=list)
    inputs: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def merged(self) -> int:
        return self.first + self.added

    @property
    def counts(self) -> dict:
        return {
            "first": {"total": self.first},
            "second": {"total": self.second, "added": self.added, "duplicate": len(self.duplicates)},
            "merged": {"total": self.merged},
        }

    @property
    def conserved(self) -> bool:
        return self.second == self.added + len(self.duplicates)

    def summary(self) -> str:
        lines = [
            f"合并上传名单（版式 {self.layout.name}，按{_key_zh(self.layout, self.key)}对应）：第一次校验通过 {self.first} 条 + 修改后新通过 "
            f"{self.added} 条 = {self.merged} 条，写入 {self.path}",
        ]
        if len(self.duplicates):
            lines.append(
                f"修改后通过的 {self.second} 条中有 {len(self.duplicates)} 条没有并入"
                f"（{_key_zh(self.layout, self.key)}已在第一次的名单中或重复）："
                + "；".join(f"第 {r.行号} 条记录：{r.原因}" for r in self.duplicates.head(5).itertuples())
                + (" 等" if len(self.duplicates) > 5 else "")
            )
        lines.append(
            f"修改后通过的 {self.second} 条 = 并入 {self.added} + 未并入 {len(self.duplicates)}："
            + ("是" if self.conserved else "否（请报告此问题）")
        )
        return "\n".join(lines + [f"注意：{n}" for n in self.notes])


def merge_passed(
    first: str | os.PathLike,
    second: str | os.PathLike,
    out: str | os.PathLike,
    *,
    layout: str | Layout | None = None,
    original_rows: pd.Series | None = None,
) -> MergeResult:
    """The upload file ``out``: the records of ``first`` (校验通过.dbf of the first validation) followed by those
    of ``second`` (校验通过.dbf of the corrected 数据有误) whose key is not in ``first`` — in the original file's
    order when ``original_rows`` (the corrected workbook's 原行号, by ``second``'s row) is given.
    Both must have the same layout's fields. ``out`` is written whole or not at all."""
    first, second, out = Path(first), Path(second), Path(out)
    if out.resolve() in (first.resolve(), second.resolve()):
        raise XuejiError(f"输出文件 {out} 会覆盖输入文件：请另给一个文件名")
    a, b = read_dbf(first), read_dbf(second)
    lay = load_layout(layout) if layout is not None else _layout_of(a, first)
    codes = [f.code for f in lay.fields]
    for df, path in ((a, first), (b, second)):
        missing = [c for c in codes if c not in df.columns]
        if missing:
            raise XuejiError(
                f"{path}：缺少版式 {lay.name} 的字段 {'、'.join(missing[:8])}，不是同一种上传名单；"
                "请给两次校验写出的 校验通过.dbf"
            )
    key = next((k for k in KEYS if k in a.columns and k in b.columns), None)
    if key is None:
        raise XuejiError("两份名单都没有考生号、学号或身份证号字段，无法判断是否重复")
    ka, kb = key_text(a[key]).fillna(""), key_text(b[key]).fillna("")
    in_first = kb.isin(set(ka[ka != ""])).to_numpy() & (kb != "").to_numpy()
    repeated = kb.duplicated(keep="first").to_numpy() & (kb != "").to_numpy()
    left_out = in_first | repeated
    rows = np.flatnonzero(left_out)
    dup = pd.DataFrame(
        {
            "行号": rows + 1,
            key: kb.iloc[rows].to_numpy(),
            "原因": np.where(
                in_first[rows],
                f"{_key_zh(lay, key)}已在第一次的校验通过名单中",
                f"{_key_zh(lay, key)}在修改后的名单中重复",
            ),
        }
    )
    if original_rows is not None:
        dup.insert(1, "原行号", np.asarray(original_rows)[rows])
    keep = b.iloc[np.flatnonzero(~left_out)]
    if original_rows is not None:  # the new records in the order of the file first validated
        orig = pd.to_numeric(pd.Series(np.asarray(original_rows)), errors="coerce").to_numpy()[~left_out]
        keep = keep.iloc[np.argsort(np.nan_to_num(orig, nan=np.inf), kind="stable")]
    merged = pd.concat([a[codes], keep[codes]], ignore_index=True)
    notes: list[str] = []
    write_passed_dbf(merged, np.arange(len(merged)), out, lay, notes)
    return MergeResult(
        first=len(a),
        second=len(b),
        added=len(keep),
        duplicates=dup,
        key=key,
        layout=lay,
        path=out,
        notes=notes,
        inputs={"first": a, "second": b},
    )


def _layout_of(df: pd.DataFrame, path: Path) -> Layout:
    from ..core.errors import LayoutError

    try:
        lay, _reason = recognize_layout(df.columns)
    except LayoutError as exc:
        raise XuejiError(f"{path}：{exc}") from exc
    return lay


def _key_zh(lay: Layout, key: str) -> str:
    """考生号（KSH）: the key field a merge matched by, named as the layout names it."""
    known = {f.code: f.name for f in lay.fields}
    return f"{known[key]}（{key}）" if key in known else str(key)
