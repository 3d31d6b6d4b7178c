"""What every result object shares, and how a result declares the lists a person reads.

Every result (validation, photos, reconcile, compare, handoff, statistics, a load report) is a ``Result``:

- ``summary()`` — plain Chinese text (``str(result)``), ``to_dict()`` / ``to_json()`` — the figures;
- ``counts`` — the figures that add up, each list with its ``total``; ``conserved`` — every input record has
  exactly one outcome; ``params`` — what the run was asked;
- ``summary_frame()`` — the counts as a table with Chinese labels;
- ``lists()`` — the lists the result holds (资格有误, 未注册, 疑似流失, 问题清单 …), each a ``ResultList``:
  which records, which columns under which Chinese header, how values read (codes → words), which columns are
  personal. **This is the one declaration of a list**: the notebook display, the report, the workbook sheets,
  the DBF lists and the dashboards all draw from it;
- ``chart_spec()`` — the data of the one standard chart, or None (``reporting.display.chart`` draws it);
- ``save(folder)`` — writes the result's files (lists, workbook, summary.json), where the result knows its
  inputs;
- ``_repr_html_`` — in a notebook, the summary and the first rows of each list (``core.render``).

    >>> import xueji_lib as xj
    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> [lst.title for lst in res.lists()]
    ['资格有误', '未注册', '录取数据不一致']
    >>> res.lists()[0].frame(rows=2).columns.tolist()
    ['行号', '考生号', '姓名', '结果', '原因', '建议处理', '对应录取数据行号', '对应方式']
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import XuejiError
from .ids import ID_NUMBER_FIELDS
from .labels import TOTAL
from .privacy import mask_series, personal_kind

__all__ = [
    "Result",
    "ResultList",
    "Column",
    "Upload",
    "ChartSpec",
    "OutputFiles",
    "TOTAL",
    "json_default",
    "words",
    "yes_no",
    "fill",
    "sides_frame",
    "count_rows",
    "reason_texts",
    "summary_sheet",
    "mask_by_field",
    "every_record_list",
]


def json_default(value: Any) -> Any:
    """``json.dumps(default=…)`` for numpy scalars and anything else (as text)."""
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


# ----------------------------------------------------------------------------------------- value readers


def words(mapping: Mapping[str, str]) -> Callable[[pd.Series], pd.Series]:
    """Codes → words (status codes → 一致, 未注册 …); a value without words stays as it is."""
    return lambda s: s.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v).astype("str")


def fill(text: str) -> Callable[[pd.Series], pd.Series]:
    """Missing values read as ``text``."""
    return lambda s: s.astype("str").fillna(text)


def yes_no(s: pd.Series) -> pd.Series:
    """True/False → 有/无 (missing stays empty)."""
    return s.astype("object").map({True: "有", False: "无"}).fillna("").astype("str")


@dataclass(frozen=True)
class Column:
    """One column of a declared list.

    ``source``: the column of the list's rows; ``header``: its Chinese header everywhere; ``read``: how values
    read (a function Series → Series, e.g. ``words(STATUS_ZH)``); ``kind``: ``"text"``, ``"row"`` (row numbers:
    whole numbers with gaps), ``"sentence"`` (free text, masked as sentences when the result holds unmasked
    text); ``personal``: the privacy kind of the values (``"id"``, ``"phone"``, ``"address"``) — by default the
    kind of a field code named ``source`` —, or ``"field:<column>"``: masked row by row as the field named in
    that column; ``brief``: shown in short views (notebook, report, dashboard), else in the workbook only;
    ``full``: shown in the workbook (False: short views only, e.g. the 姓名 a workbook has among the records'
    own columns anyway); ``after``: in the workbook, after the records' own columns; ``record``: the value is a
    field of the input record the row points to (``source`` names the field, or several alternatives
    ``"FY|XSH|YXMC"``: the first the records have), ``missing`` when the records have none of them — for short
    views (the workbook has the records' own columns).

        >>> from xueji_lib.core.result import Column, words
        >>> Column("status", "结果", read=words({"matched": "一致"})).read(pd.Series(["matched"])).tolist()
        ['一致']
    """

    source: str
    header: str
    read: Callable[[pd.Series], pd.Series] | None = None
    kind: str = "text"
    personal: str | None = None
    brief: bool = True
    full: bool = True
    after: bool = False  # in the workbook, after the records' own columns (校验结果 at the end of a record)
    record: bool = False
    missing: str = ""
    # row numbers of another input (counterpart rows): its name in ResultList.inputs, or per row ((value of the
    # list's ``records`` column, input name), …) when the rows of a two-sided list point to the other side
    rows_in: str | tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Upload:
    """A list that is also a file to upload or send back: the records of input ``source`` in that input's layout
    (a DBF, or a workbook for an Excel layout), plus the platform's ``JYJG`` field holding ``reasons`` (a column
    of the list) when given. ``key``: the file's key among the result's output files. ``rows``: the records in
    the order they go into the file when that is not the list's order (upload files keep the input's order)."""

    key: str
    source: str
    reasons: str | None = None
    rows: pd.DataFrame | None = None


@dataclass
class ResultList:
    """One list a result holds: its title, its rows (a frame with the columns the ``columns`` name) and how each
    column reads. ``records``: which input list the rows' ``row`` numbers point into (the workbook puts those
    records' own columns after the declared ones; a DBF list is those records); ``shown``: part of the short
    views (notebook, report, dashboard) — every list is in the workbook; ``mask_sentences``: how sentence columns
    are masked when the result holds unmasked text (a function Series → Series) or None.

        >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
        >>> lst = res.list("资格有误")
        >>> lst.total, lst.records, lst.upload.key
        (9, 'registration', 'qualification_errors')
        >>> lst.frame(brief=False).columns.tolist()      # the workbook's columns (then the records' own)
        ['行号', '结果', '结果代码', '原因', '建议处理', '对应录取数据行号', '对应方式']
    """

    title: str
    rows: pd.DataFrame
    columns: tuple[Column, ...]
    records: str | None = None
    shown: bool = True
    mask_sentences: Callable[[pd.Series], pd.Series] | None = None
    unit: str = "条"
    source: Any = None  # the input list ``records`` names (a frame or a converted folder), when known
    upload: Upload | None = None
    in_workbook: bool = True
    own_columns: bool = True  # the workbook puts the records' own columns after the declared ones
    inputs: Mapping[str, Any] | None = None  # other inputs row columns point into (Column.rows_in)

    @property
    def total(self) -> int:
        return len(self.rows)

    def frame(self, rows: int | None = None, *, unmask: bool = False, brief: bool = True) -> pd.DataFrame:
        """The list under its Chinese headers: the first ``rows`` rows (all when None), values read as declared,
        personal values masked unless ``unmask``. ``brief``: the short view's columns, else the workbook's.
        ``attrs["total"]`` is the whole list's length, ``attrs["title"]`` its title."""
        head = self.rows if rows is None else self.rows.head(max(int(rows), 0))
        head = head.reset_index(drop=True)
        record_cols = [c for c in self.columns if c.record and (c.brief if brief else c.full)]
        if record_cols:
            head = self._with_record_fields(head, record_cols)
        cols = [c for c in self.columns if (c.brief if brief else c.full) and c.source in head.columns]
        out = {}
        for c in cols:
            s = head[c.source]
            sheets = None
            if c.kind == "row" or c.source == "row":
                sheets = self._sheets(c, s)
                s = self._shown(c, s, head)
            if c.read is not None:
                s = c.read(s)
            if c.kind == "row" and not brief:
                s = s.astype("float64")  # a workbook shows 12, not 12.0; an all-missing Int64 column trips it
            if not unmask:
                s = self._masked(c, s, head)
            out[c.header] = s.reset_index(drop=True)
            if sheets is not None:  # read from several sheets: a row number alone does not say where
                out[c.header.replace("行号", "工作表") if "行号" in c.header else f"{c.header}（工作表）"] = sheets
        df = pd.DataFrame(out, columns=list(out))
        df.attrs["total"] = self.total
        df.attrs["title"] = self.title
        return df

    def _sheets(self, c: Column, s: pd.Series) -> pd.Series | None:
        """The sheet of each row of ``c`` when the one list it points into was read from several sheets of a
        workbook (``core.rows.shown_sheets``); None otherwise (one sheet, a DBF, rows into several lists)."""
        from .rows import shown_sheets

        if isinstance(c.rows_in, str):
            src = (self.inputs or {}).get(c.rows_in)
        elif c.rows_in is None and not isinstance(self.source, dict):
            src = self.source
        else:
            return None
        if src is None or not len(s):
            return None
        got = shown_sheets(src, s.reset_index(drop=True))
        return None if got.isna().all() else got.fillna("").astype("str")

    def _shown(self, c: Column, s: pd.Series, head: pd.DataFrame) -> pd.Series:
        """Row numbers of ``c`` as the person sees them in the file they point into (``core.rows``)."""
        from .rows import shown_rows

        inputs = self.inputs or {}
        if isinstance(c.rows_in, str):
            src = inputs.get(c.rows_in)
            return shown_rows(src, s) if src is not None else s
        if c.rows_in is not None:
            per_row = {name: inputs.get(other) for name, other in c.rows_in}
        elif isinstance(self.source, dict):
            per_row = self.source
        else:
            return shown_rows(self.source, s) if self.source is not None else s
        if self.records not in head.columns:
            return s
        out = pd.Series(pd.array(s, dtype="Int64")).reset_index(drop=True)
        names = head[self.records].reset_index(drop=True)
        for name, src in per_row.items():
            sel = (names == name).to_numpy(dtype=bool)
            if sel.any() and src is not None:
                out[sel] = shown_rows(src, out[sel]).to_numpy()
        return out

    def _with_record_fields(self, head: pd.DataFrame, cols: list[Column]) -> pd.DataFrame:
        """``head`` plus, for each record column, the field of the record each row points to (column name =
        the column's ``source``); the records are read only at those rows."""
        values = {c.source: pd.Series([c.missing] * len(head), dtype="str") for c in cols}
        sources = self.source if isinstance(self.source, dict) else {None: self.source}
        for name, src in sources.items():
            if src is None or not len(head):
                continue
            sel = np.ones(len(head), bool) if name is None else (head[self.records] == name).to_numpy(dtype=bool)
            sel = sel & head["row"].notna().to_numpy(dtype=bool)  # a finding about the whole file has no record
            if not sel.any():
                continue
            idx = head.loc[sel, "row"].to_numpy(dtype=np.int64) - 1
            recs = src.iloc[idx] if isinstance(src, pd.DataFrame) else src.rows(idx)
            upper = {str(k).strip().upper(): k for k in recs.columns}
            for c in cols:
                field_name = next((upper[f] for f in c.source.split("|") if f in upper), None)
                if field_name is None:
                    continue
                v = recs[field_name].astype("str").fillna("").str.strip()
                values[c.source][sel] = v.mask(v == "", c.missing).to_numpy()
        out = head.copy()
        for c in cols:
            out[c.source] = values[c.source]
        return out

    def _masked(self, c: Column, s: pd.Series, head: pd.DataFrame) -> pd.Series:
        kind = c.personal
        if kind and kind.startswith("field:"):
            return mask_by_field(s, head[kind.split(":", 1)[1]])
        if kind is None and c.kind != "sentence":
            kind = personal_kind(c.source)
        if kind:
            return mask_series(s, kind)
        if c.kind == "sentence" and self.mask_sentences is not None:
            return self.mask_sentences(s)
        return s


ID_FIELD_CHOICES = "|".join(ID_NUMBER_FIELDS)  # the record's identity number, whichever field it has


def every_record_list(
    sides: Iterable[tuple[str, str, pd.DataFrame, Any]], status_zh: Mapping[str, str], group_fields: str
) -> ResultList:
    """全部记录: every record of both inputs with its result, for pages that filter and count them (the 名单对比
    dashboard). ``sides``: [(name, title, result frame, input list)], ``group_fields``: the record fields to group
    by, first present wins (``"XXMC"``, ``"FY|XSH|YXMC|ZYMC"``)."""
    frames = []
    for name, title, frame, _src in sides:
        f = frame.assign(side=name, side_title=title)
        if "changed_fields" not in f:
            f = f.assign(changed_fields="")
        frames.append(f)
    rows = pd.concat(frames, ignore_index=True)
    return ResultList(
        "全部记录",
        rows,
        (
            Column("side_title", "名单"),
            Column("row", "行号"),
            Column(group_fields, "分组", record=True, missing="（空）", personal=""),
            Column("XM", "姓名", record=True, personal=""),
            Column(ID_FIELD_CHOICES, "证件号", record=True, personal="id"),
            Column("status", "status", personal=""),
            Column("status", "结果", read=words(status_zh)),
            Column("reasons", "说明", read=lambda s: s.astype("str").fillna(""), kind="sentence"),
            Column("changed_fields", "变化字段", read=lambda s: s.astype("str").fillna(""), personal=""),
        ),
        records="side",
        source={name: src for name, _t, _f, src in sides},
        shown=False,
        in_workbook=False,
    )


def mask_by_field(values: pd.Series, fields: pd.Series) -> pd.Series:
    """``values`` masked row by row as the personal field named in ``fields`` (other rows unchanged)."""
    out = values.astype("str")
    for code in pd.unique(fields.dropna()):
        kind = personal_kind(str(code))
        if kind:
            sel = (fields == code).fillna(False).to_numpy(dtype=bool)
            out[sel] = mask_series(out[sel], kind)
    return out


def sides_frame(
    sides: Iterable[tuple[str, Mapping[str, int], Iterable[str]]],
    status_zh: Mapping[str, str],
    count_col: str = "记录数",
) -> pd.DataFrame:
    """名单 | 结果 | 记录数 for ``sides`` = [(title, counts, statuses)]: each side's statuses in words, ending in
    合计 = the side's ``counts["total"]``."""
    rows = []
    for title, counts, statuses in sides:
        rows += [{"名单": title, "结果": status_zh[s], count_col: int(counts[s])} for s in statuses]
        rows.append({"名单": title, "结果": TOTAL, count_col: int(counts["total"])})
    return pd.DataFrame(rows, columns=["名单", "结果", count_col])


def count_rows(
    title: str, counts: dict, statuses: Sequence[str], status_zh: Mapping[str, str]
) -> list[tuple[str, str]]:
    """汇总 rows: one per status (“注册上报：一致（matched）”), the total, and the sum written out."""
    rows = [(f"{title}：{status_zh.get(s, s)}（{s}）", str(int(counts.get(s, 0)))) for s in statuses]
    total = int(counts["total"])
    added = sum(int(counts.get(s, 0)) for s in statuses)
    rows.append((f"{title}：合计", str(total)))
    rows.append(
        (
            f"{title}：核对",
            " + ".join(f"{status_zh.get(s, s)} {int(counts.get(s, 0))}" for s in statuses)
            + f" = {added}"
            + ("，等于记录总数" if added == total else f"，不等于记录总数 {total}（请报告此问题）"),
        )
    )
    return rows


def reason_texts(frame: pd.DataFrame, status_zh: Mapping[str, str]) -> pd.Series:
    """The reasons of ``frame`` (positional), the status in words where a record has none."""
    reasons = frame["reasons"].astype("str").reset_index(drop=True)
    fallback = frame["status"].map(status_zh).fillna(frame["status"]).astype("str").reset_index(drop=True)
    empty = reasons.isna() | (reasons.str.strip() == "")
    return reasons.where(~empty, fallback)


def summary_sheet(rows: list[tuple[str, object]]) -> pd.DataFrame:
    """A workbook's 汇总 sheet: 项目 | 内容, every value as text."""
    out = pd.DataFrame(rows, columns=["项目", "内容"])
    out["内容"] = out["内容"].astype(str)
    return out


class OutputFiles(dict):
    """``{key: Path}`` of the files a result's ``save`` wrote, plus ``notes``: Chinese sentences the clerk must
    read (encoding fallbacks, values cut to fit the DBF), ``encoding_note``: the encoding sentence alone (None
    when every list is plain GBK) and ``encoding_notes``: its parts."""

    notes: list[str]
    encoding_note: str | None
    encoding_notes: list[str]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.notes, self.encoding_note, self.encoding_notes = [], None, []


@dataclass(frozen=True)
class ChartSpec:
    """The data of one bar chart: ``categories`` on one axis, one bar series per entry of ``series``
    (name → one value per category). ``reporting.display.chart`` draws it with plotly."""

    title: str
    categories: list
    series: dict[str, list]
    horizontal: bool = False
    barmode: str = "group"
    category_title: str = ""
    value_title: str = "记录数"
    legend: str = "名单"


def rules_chart(
    title: str, labels: list[str], severities: list[str], counts: list[int], severity_words: Mapping[str, str]
) -> ChartSpec:
    """Problems per rule as horizontal bars, one per rule, stacked (coloured) by the rule's severity:
    ``severity_words`` maps each severity to its Chinese name, in legend order."""
    present = set(severities)
    series = {
        word: [int(n) if s == sev else 0 for s, n in zip(severities, counts)]
        for sev, word in severity_words.items()
        if sev in present
    }
    return ChartSpec(
        title,
        labels,
        series,
        horizontal=True,
        barmode="stack",
        category_title="规则",
        value_title="处数",
        legend="严重程度",
    )


class Result:
    """The base of every result object (see the module docstring). Subclasses implement ``summary``,
    ``to_dict``, ``counts`` and ``lists``; the rest has defaults here.

        >>> res = xj.validate(xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
        >>> res.counts, res.conserved
        ({'total': 995, 'passed': 978, 'failed': 17}, True)
        >>> [lst.title for lst in res.lists()]
        ['按规则', '按字段', '问题明细', '数据有误记录', '校验通过']
    """

    params: dict

    # --- figures
    @property
    def counts(self) -> dict:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    @property
    def conserved(self) -> bool:
        return True

    def summary(self) -> str:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def to_dict(self) -> dict:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1, default=json_default)

    def __str__(self) -> str:
        return self.summary()

    # --- declarations
    def summary_frame(self) -> pd.DataFrame:
        """The counts that add up, with Chinese labels."""
        return pd.DataFrame()

    def lists(self) -> list[ResultList]:
        """The lists the result holds, each declared once."""
        return []

    def chart_spec(self) -> ChartSpec | None:
        """The data of the result's standard chart, or None."""
        return None

    def save(self, folder: str | os.PathLike, **options: Any) -> OutputFiles:
        """Write the result's files into ``folder`` (its lists, a workbook, ``summary.json``); each result says
        which in its own ``save``."""
        raise XuejiError(f"{type(self).__name__} 没有要写出的文件")

    def list(self, title: str) -> ResultList:
        """One declared list by its title (``res.list("资格有误").frame()``: the whole list under its headers)."""
        for lst in self.lists():
            if lst.title == title:
                return lst
        raise KeyError(f"没有名为“{title}”的名单；已有：{'、'.join(x.title for x in self.lists())}")

    # --- display
    def list_frames(self, rows: int = 10, unmask: bool = False) -> dict[str, pd.DataFrame]:
        """The first ``rows`` rows of each list shown in short views, under Chinese headers."""
        return {lst.title: lst.frame(rows, unmask=unmask) for lst in self.lists() if lst.shown}

    def _repr_html_(self) -> str:
        from .render import result_html

        return result_html(self)
