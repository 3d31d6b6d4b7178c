"""组合查询: conditions on the fields of one list, combined with AND, compiled to SQL and run in DuckDB.

A ``Query`` is data — ``Condition``s (a field, an operation, its values) and flags from the checks — that can be
saved and reopened (``to_dict`` / ``from_dict``). A ``QueryTable`` is one list opened in an in-process DuckDB
connection (a Parquet file read by DuckDB itself, or a frame queried in place) together with what the checks
found about its records (validation findings, reconciliation/comparison statuses, the search keys, the photo
folder's file names); ``count``, ``page`` and ``records`` compile the query to one SQL ``WHERE`` clause and run
it there, never row by row in Python.

Safety: a field is an identifier only when it is one of the list's own columns (a whitelist; quoted); every
value a user typed is a bound parameter, never pasted into the SQL text, so ``'; DROP TABLE t; --`` or ``%_``
are searched for as the characters they are (``contains`` is a plain substring test, not LIKE).

    >>> import pandas as pd
    >>> t = QueryTable(pd.DataFrame({"XM": ["张三", "李四", "王五"], "XB": ["1", "2", "男"], "NJ": ["11", "11", "12"]}),
    ...                layout="k12_student")
    >>> t.count(Query((Condition("XB", "eq", ("1",)),)))         # 性别 = 男: the code and the word alike
    2
    >>> t.count(Query((Condition("XB", "eq", ("1",)), Condition("NJ", "in", ("11",)))))
    1
    >>> t.count(Query((Condition("XM", "contains", ("%",)),)))  # a literal percent sign: no one
    0
    >>> t.close()
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..core.errors import XuejiError
from ..core.ids import ID_NUMBER_FIELDS
from ..schema.layouts import Layout, load_layout

__all__ = [
    "OPS",
    "FLAGS",
    "AGE",
    "DUPLICATE_RULES",
    "Condition",
    "Query",
    "QueryTable",
    "QueryError",
    "parse_date",
    "query_workbook",
]

OPS = {"eq": "等于", "in": "属于", "contains": "包含", "range": "范围", "empty": "为空", "not_empty": "不为空"}
# operations that take no value / two bounds
NO_VALUE_OPS, RANGE_OPS = ("empty", "not_empty"), ("range",)
AGE = "_age"  # the virtual field 年龄: whole years at ``Query.as_of``, from 出生日期 or else the ID number
AGE_ZH = "年龄"
FLAGS = {
    "errors": "校验有误",
    "duplicate": "疑似重复",
    "dropout": "疑似流失",
    "no_id": "无身份证号",
    "no_photo": "无照片",
}
# validation rules (schema/data/rules.yml) that say a record may be the same student as another
DUPLICATE_RULES = (
    "SFZH_DUPLICATE",
    "KSH_DUPLICATE",
    "XH_DUPLICATE",
    "XJH_DUPLICATE",
    "DUP_NAME_SEX_BIRTH",
    "CROSS_FILE_DUPLICATE",
    "SFZH_NEAR_DUPLICATE",
)
# what the flags are worked out from, and what a list without it cannot have (the page says why)
FLAG_NEEDS = {
    "errors": "校验发现",
    "duplicate": "校验发现或核对结果",
    "dropout": "两个学期名单的对比结果（本名单是较早的一期，并附有异动名单）",
    "no_id": "身份证号字段",
    "no_photo": "照片目录",
}
BIRTH_FIELDS = ("CSRQ", "出生日期")
DATE_FORMATS = ("%Y%m%d", "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
MONTH_FORMATS = ("%Y%m", "%Y-%m", "%Y/%m", "%Y.%m", "%Y年%m月")
MAX_VALUES = 500  # values in one 属于 condition


class QueryError(XuejiError, ValueError):
    """A condition that cannot be run (an unknown field or operation, a date that is not a date …): the message
    names the condition in the user's words."""


@dataclass(frozen=True)
class Condition:
    """One condition: ``field`` (a column of the list, or ``AGE``), ``op`` (a key of ``OPS``) and its ``values``:
    one for eq/contains, any number for in, (from, to) for range (either may be empty), none for empty/not_empty."""

    field: str
    op: str
    values: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """As plain JSON data (a saved query)."""
        return {"field": self.field, "op": self.op, "values": list(self.values)}

    @classmethod
    def from_dict(cls, data: Mapping) -> Condition:
        """From ``to_dict``'s data."""
        return cls(str(data.get("field", "")), str(data.get("op", "")), tuple(str(v) for v in data.get("values", ())))


@dataclass(frozen=True)
class Query:
    """Conditions and flags (keys of ``FLAGS``), all combined with AND; ``as_of``: the day ages are counted
    at (YYYY-MM-DD; None: today)."""

    conditions: tuple[Condition, ...] = ()
    flags: tuple[str, ...] = ()
    as_of: str | None = None

    def to_dict(self) -> dict:
        """As plain JSON data (a saved query)."""
        return {"conditions": [c.to_dict() for c in self.conditions], "flags": list(self.flags), "as_of": self.as_of}

    @classmethod
    def from_dict(cls, data: Mapping) -> Query:
        """From ``to_dict``'s data (what a saved query file holds; unknown keys ignored)."""
        return cls(
            tuple(Condition.from_dict(c) for c in data.get("conditions", ()) if isinstance(c, Mapping)),
            tuple(str(f) for f in data.get("flags", ())),
            str(data["as_of"]) if data.get("as_of") else None,
        )

    def outline(self) -> dict:
        """What the query asks without any value a user typed (for the audit log): fields, operations, flags."""
        return {
            "conditions": [f"{c.field} {c.op}" for c in self.conditions],
            "flags": list(self.flags),
        }


def parse_date(text: str, end: bool = False) -> _dt.date:
    """A date a clerk types — 2008, 2008-05, 200805, 2008-05-20, 20080520, 2008/5/20, 2008年5月20日 — as a date;
    a year or month alone is its first day, or its last with ``end`` (so that 从 2008 到 2009 takes both years).

        >>> parse_date("2008"), parse_date("2008-2", end=True), parse_date("2008年5月20日")
        (datetime.date(2008, 1, 1), datetime.date(2008, 2, 29), datetime.date(2008, 5, 20))
    """
    s = str(text or "").strip().translate({0x3000: 0x20, **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}})
    m = re.fullmatch(r"(\d{4})(?:[-/.年]?(\d{1,2})(?:[-/.月]?(\d{1,2})日?)?月?)?", s)
    if not m or (m.group(2) and len(m.group(2)) == 1 and not re.search(r"[-/.年]", s)):
        m = None
    if m is None:
        raise QueryError(f"“{text}”不是日期：请写成 2008-05-20、20080520、2008-05 或 2008")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d:
            return _dt.date(y, int(mo), int(d))
        if mo:
            first = _dt.date(y, int(mo), 1)
            if not end:
                return first
            nxt = _dt.date(y + (first.month == 12), first.month % 12 + 1, 1)
            return nxt - _dt.timedelta(days=1)
        return _dt.date(y, 12, 31) if end else _dt.date(y, 1, 1)
    except ValueError as exc:
        raise QueryError(f"“{text}”不是有效的日期") from exc


def _number(text: str, what: str) -> float:
    try:
        return float(str(text).strip().translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}))
    except ValueError as exc:
        raise QueryError(f"{what}的“{text}”不是数字") from exc


class QueryTable:
    """One list opened for 组合查询 in its own DuckDB connection.

    ``data``: a Parquet file (a catalogue entry's ``data.parquet``) or a frame / Arrow table; its records are
    numbered 1… in order (``_row``, kept when the data has it). ``layout``: its layout (a name or a Layout) for
    the fields' Chinese names, code tables, date fields and masking. What the flags are worked out from:
    ``findings`` (row, rule, severity: ``validate``'s findings), ``statuses`` (row, status and, for a
    comparison's older list, explained: the catalogue's statuses of this list), ``keys`` (``_row``, id, ksh, xh,
    xjh: the catalogue's normalised search keys) and ``photo_keys`` (the photo folder's file names, upper case,
    without extension; None when there is no photo folder)."""

    def __init__(
        self,
        data: str | os.PathLike | pd.DataFrame | pa.Table,
        *,
        layout: str | Layout | None = None,
        findings: pd.DataFrame | None = None,
        statuses: pd.DataFrame | None = None,
        keys: pa.Table | pd.DataFrame | None = None,
        photo_keys: Iterable[str] | None = None,
    ):
        from .engines import DuckDBEngine

        self.engine = DuckDBEngine()
        self.con = self.engine.con
        self.layout = load_layout(layout) if isinstance(layout, (str, Path)) else layout
        if isinstance(data, (str, os.PathLike)):
            self.engine.register_parquet("t", [str(data)])
        else:
            table = data if isinstance(data, pa.Table) else _arrow(data)
            if "_row" not in table.column_names:
                table = table.add_column(0, "_row", pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)))
            self._data = table  # DuckDB reads it in place: it must live as long as the connection
            self.engine.register("t", table)
        self.types = {c: t for c, t in self.engine.columns("t").items() if c != "_row"}
        self.total = int(self.con.sql("SELECT count(*) FROM t").fetchall()[0][0])
        self._flag_sql: dict[str, str] = {}
        self._kept: set[str] = set()
        self.unavailable: dict[str, str] = {}
        self._sources(findings, statuses, keys, photo_keys)
        self._distinct: dict[str, list[str]] = {}  # a coded field's values, for _equivalents

    # ------------------------------------------------------------------ fields
    @property
    def columns(self) -> list[str]:
        """The list's own columns, in order."""
        return list(self.types)

    def _field(self, code: str):
        if self.layout is None:
            return None
        return next((f for f in self.layout.fields if f.code == str(code).upper()), None)

    def field_name(self, code: str) -> str:
        """A field's Chinese name (姓名, 出生日期 …; 年龄 for ``AGE``); a column no layout names stays as headed."""
        if code == AGE:
            return AGE_ZH
        f = self._field(code)
        return f.name if f is not None and f.name else str(code)

    def fields(self) -> list[tuple[str, str]]:
        """(Chinese name, column) of every field a condition can be on, 年龄 after 出生日期 when ages can be worked out."""
        out = []
        for c in self.columns:
            out.append((self.field_name(c) if self.field_name(c) == c else f"{self.field_name(c)}（{c}）", c))
            if c == self._birth_column():
                out.append((AGE_ZH, AGE))
        if self._birth_column() is None and self._id_column() is not None:
            out.append((AGE_ZH, AGE))
        return out

    def date_kind(self, code: str) -> str | None:
        """ "day" (YYYYMMDD), "month" (YYYYMM) for a date field, else None."""
        f = self._field(code)
        if f is not None and f.date:
            return "month" if f.date == "YYYYMM" else "day"
        t = self.types.get(code, "")
        if "date" in t or "timestamp" in t:
            return "day"
        if f is None and ("日期" in str(code) or str(code).upper() in BIRTH_FIELDS):
            return "day"
        if f is None and str(code).endswith("年月"):
            return "month"
        return None

    def numeric(self, code: str) -> bool:
        """Whether the column holds numbers (a DBF N field): 范围 compares them as numbers."""
        t = self.types.get(code, "")
        return any(k in t for k in ("int", "double", "decimal", "float", "real", "numeric"))

    def ops(self, code: str) -> list[str]:
        """The operations a field takes: all but 范围 for text; 范围 too for dates, numbers and 年龄."""
        if code == AGE:
            return ["eq", "range"]
        ranged = self.date_kind(code) is not None or self.numeric(code)
        return [o for o in OPS if o != "range" or ranged]

    def _birth_column(self) -> str | None:
        return next((c for c in self.columns if str(c).upper() in BIRTH_FIELDS), None)

    def _id_column(self) -> str | None:
        from ..core.privacy import personal_kind

        for c in self.columns:
            if str(c).upper() in ID_NUMBER_FIELDS or str(c) in ("身份证号", "身份证件号", "身份证件号码", "证件号码"):
                return c
        return next((c for c in self.columns if personal_kind(c, self.layout) == "id" and "学籍" not in c), None)

    def values(self, code: str, limit: int = 200) -> list[tuple[str, str, int]]:
        """The values of a field, most frequent first: (value, how it reads — 1（男） for a code —, records)."""
        if code not in self.types:
            raise QueryError(f"名单中没有字段 {code}")
        col = self.engine.ident(code)
        rows = self.con.sql(
            f"SELECT v, count(*) AS n FROM (SELECT trim(CAST({col} AS VARCHAR)) AS v FROM t) "
            "WHERE v IS NOT NULL AND v <> '' GROUP BY v ORDER BY n DESC, v LIMIT ?",
            params=[int(limit)],
        ).fetchall()
        labels = self._code_labels(code, [v for v, _ in rows])
        return [(v, f"{v}（{labels[v]}）" if labels.get(v) and labels[v] != v else v, int(n)) for v, n in rows]

    def _code_table(self, code: str):
        f = self._field(code)
        if f is None or not f.codes:
            return None
        from ..schema.codes import load_code_table

        try:
            return load_code_table(f.codes)
        except (XuejiError, OSError, ValueError, KeyError):
            return None

    def _code_labels(self, code: str, values: Sequence[str]) -> dict[str, str]:
        table = self._code_table(code)
        if table is None:
            return {}
        out = {}
        for v in values:
            e = table.lookup(v)
            if e is not None:
                out[v] = e.label
        return out

    def _equivalents(self, code: str, wanted: Sequence[str]) -> list[str]:
        """``wanted`` and, for a field with a code table, every value of the column written for the same entry
        (性别 1 and 男; 民族 01, 1, 汉族, 汉): a code and its word select the same records."""
        wanted = [str(v).strip() for v in wanted if str(v).strip()]
        table = self._code_table(code)
        if table is None or not wanted:
            return wanted
        entries = {e.code for e in (table.lookup(v) for v in wanted) if e is not None}
        if not entries:
            return wanted
        if code not in self._distinct:
            self._distinct[code] = [v for v, _label, _n in self.values(code, limit=10_000)]
        present = self._distinct[code]
        same = [v for v in present if (e := table.lookup(v)) is not None and e.code in entries]
        return list(dict.fromkeys(wanted + same))

    # ------------------------------------------------------------------ flags
    def _sources(self, findings, statuses, keys, photo_keys) -> None:
        reg = self.engine.register
        if findings is not None and len(findings):
            f = pd.DataFrame(
                {
                    "row": pd.array(findings["row"], dtype="Int64"),
                    "rule": findings["rule"].astype("str"),
                    "severity": findings["severity"].astype("str") if "severity" in findings else "error",
                }
            )
            self._findings = f
            reg("findings", f)
            self._flag_sql["errors"] = "_row IN (SELECT row FROM findings WHERE severity = 'error')"
        else:
            self.unavailable["errors"] = FLAG_NEEDS["errors"]
        dup = []
        rules = ", ".join(f"'{r}'" for r in DUPLICATE_RULES)
        if findings is not None and len(findings):
            dup.append(f"_row IN (SELECT row FROM findings WHERE rule IN ({rules}))")
        if statuses is not None and len(statuses):
            s = pd.DataFrame(
                {
                    "row": pd.array(statuses["row"], dtype="Int64"),
                    "status": statuses["status"].astype("str"),
                    "explained": pd.array(
                        statuses["explained"] if "explained" in statuses else [pd.NA] * len(statuses), dtype="boolean"
                    ),
                }
            )
            self._statuses = s
            reg("statuses", s)
            dup.append("_row IN (SELECT row FROM statuses WHERE status = 'duplicate_key')")
            if ((s["status"] == "removed") & s["explained"].notna()).any():
                self._flag_sql["dropout"] = (
                    "_row IN (SELECT row FROM statuses WHERE status = 'removed' AND explained = false)"
                )
        if dup:
            self._flag_sql["duplicate"] = "(" + " OR ".join(dup) + ")"
        else:
            self.unavailable["duplicate"] = FLAG_NEEDS["duplicate"]
        if "dropout" not in self._flag_sql:
            self.unavailable["dropout"] = FLAG_NEEDS["dropout"]
        idc = self._id_column()
        if idc is not None:
            col = self.engine.ident(idc)
            self._flag_sql["no_id"] = f"({col} IS NULL OR trim(CAST({col} AS VARCHAR)) = '')"
            if findings is not None and len(findings):
                self._flag_sql["no_id"] = (
                    f"({self._flag_sql['no_id']} OR _row IN (SELECT row FROM findings WHERE rule = 'SFZH_MISSING'))"
                )
        else:
            self.unavailable["no_id"] = FLAG_NEEDS["no_id"]
        if photo_keys is not None and keys is not None:
            k = keys if isinstance(keys, pa.Table) else _arrow(keys)
            self._keys = k
            reg("keys", k)
            photos = pa.table({"key": pa.array(sorted({str(p).upper() for p in photo_keys}), pa.string())})
            self._photos = photos
            reg("photos", photos)
            have = [c for c in ("id", "ksh", "xh", "xjh") if c in k.column_names]
            hit = " OR ".join(f"k.{c} IN (SELECT key FROM photos)" for c in have) or "false"
            self._flag_sql["no_photo"] = f"_row NOT IN (SELECT k._row FROM keys k WHERE {hit})"
        else:
            self.unavailable["no_photo"] = FLAG_NEEDS["no_photo"]

    def _flag_rows(self, flag: str) -> str:
        """The table of the records with ``flag`` (``_row``), worked out once for this list at its first use: a
        query with the flag is then a semi-join on record numbers, not the flag's own test over every record."""
        name = f"flag_{flag}"
        if name not in self._kept:
            self.engine.keep(name, f"SELECT _row FROM t WHERE {self._flag_sql[flag]}")
            self._kept.add(name)
        return name

    def flags(self) -> list[tuple[str, str]]:
        """(Chinese name, flag) of the flags this list supports."""
        return [(zh, f) for f, zh in FLAGS.items() if f in self._flag_sql]

    # ------------------------------------------------------------------ compiling
    def _text(self, code: str) -> str:
        col = self.engine.ident(code)
        t = self.types.get(code, "")
        if "date" in t or "timestamp" in t:
            return f"strftime(CAST({col} AS DATE), '%Y%m%d')"
        return f"trim(CAST({col} AS VARCHAR))"

    def _date(self, code: str) -> str:
        col = self.engine.ident(code)
        t = self.types.get(code, "")
        if "date" in t or "timestamp" in t:
            return f"CAST({col} AS DATE)"
        text = f"trim(CAST({col} AS VARCHAR))"
        if self.date_kind(code) == "month":
            fmts = ", ".join(f"'{f}'" for f in MONTH_FORMATS)
        else:
            fmts = ", ".join(f"'{f}'" for f in DATE_FORMATS)
        return f"CAST(try_strptime({text}, [{fmts}]) AS DATE)"

    def _birth(self) -> str:
        parts = []
        b = self._birth_column()
        if b is not None:
            parts.append(self._date(b) if self.date_kind(b) else self._date_of_text(b))
        idc = self._id_column()
        if idc is not None:
            s = f"upper(trim(CAST({self.engine.ident(idc)} AS VARCHAR)))"
            parts.append(
                f"CAST(try_strptime(CASE WHEN length({s}) = 18 THEN substr({s}, 7, 8) "
                f"WHEN length({s}) = 15 THEN '19' || substr({s}, 7, 6) END, '%Y%m%d') AS DATE)"
            )
        if not parts:
            raise QueryError("这份名单没有出生日期，也没有身份证号，算不出年龄")
        return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"

    def _date_of_text(self, code: str) -> str:
        fmts = ", ".join(f"'{f}'" for f in DATE_FORMATS)
        return f"CAST(try_strptime(trim(CAST({self.engine.ident(code)} AS VARCHAR)), [{fmts}]) AS DATE)"

    def compile(self, query: Query) -> tuple[str, list]:
        """(the WHERE clause, its parameters): every user value a parameter, every field a quoted known column."""
        parts, params = [], []
        as_of = parse_date(query.as_of) if query.as_of else _dt.date.today()
        for c in query.conditions:
            name = self.field_name(c.field)
            if c.field != AGE and c.field not in self.types:
                raise QueryError(f"名单中没有字段 {c.field}")
            if c.op not in OPS or c.op not in self.ops(c.field):
                raise QueryError(f"{name}不能用“{OPS.get(c.op, c.op)}”")
            vals = [str(v).strip() for v in c.values]
            if c.op in NO_VALUE_OPS:
                col = self.engine.ident(c.field)
                empty = f"({col} IS NULL OR {self._text(c.field)} = '')"
                parts.append(empty if c.op == "empty" else f"NOT {empty}")
                continue
            if c.field == AGE:
                expr = f"date_sub('year', {self._birth()}, ?::DATE)"
                lo, hi = (vals + ["", ""])[:2] if c.op == "range" else (vals[:1] * 2 if vals else ["", ""])
                if not lo and not hi:
                    raise QueryError("年龄条件：请填写年龄")
                for bound, cmp in ((lo, ">="), (hi, "<=")):
                    if bound:
                        parts.append(f"{expr} {cmp} ?")
                        params += [as_of, int(_number(bound, "年龄"))]
                continue
            if c.op == "range":
                lo, hi = (vals + ["", ""])[:2]
                if not lo and not hi:
                    raise QueryError(f"{name}的范围：请至少填写起点或终点")
                if self.date_kind(c.field):
                    expr = self._date(c.field)
                    for bound, end, cmp in ((lo, False, ">="), (hi, True, "<=")):
                        if bound:
                            parts.append(f"{expr} {cmp} ?")
                            params.append(parse_date(bound, end=end))
                else:
                    expr = f"TRY_CAST({self._text(c.field)} AS DOUBLE)"
                    for bound, cmp in ((lo, ">="), (hi, "<=")):
                        if bound:
                            parts.append(f"{expr} {cmp} ?")
                            params.append(_number(bound, name))
                continue
            vals = [v for v in vals if v]
            if not vals:
                raise QueryError(f"{name}“{OPS[c.op]}”：请填写或选择值")
            if c.op == "contains":
                parts.append(f"contains(upper({self._text(c.field)}), upper(?))")
                params.append(vals[0])
                continue
            if c.op == "eq":
                vals = vals[:1]
            if len(vals) > MAX_VALUES:
                raise QueryError(f"{name}“属于”最多选 {MAX_VALUES} 个值")
            vals = self._equivalents(c.field, vals)
            parts.append(f"{self._text(c.field)} IN ({', '.join('?' * len(vals))})")
            params += vals
        for f in query.flags:
            if f not in FLAGS:
                raise QueryError(f"不认识的标记 {f}")
            if f not in self._flag_sql:
                raise QueryError(f"这份名单没有“{FLAGS[f]}”所需的{self.unavailable.get(f, FLAG_NEEDS[f])}")
            parts.append(f"_row IN (SELECT _row FROM {self._flag_rows(f)})")
        return (" AND ".join(f"({p})" for p in parts) or "true"), params

    # ------------------------------------------------------------------ running
    def count(self, query: Query) -> int:
        """How many records meet the query."""
        where, params = self.compile(query)
        return int(self.con.sql(f"SELECT count(*) FROM t WHERE {where}", params=params).fetchall()[0][0])

    def page(
        self, query: Query, offset: int = 0, limit: int = 50, columns: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Records ``offset``… (at most ``limit``) that meet the query, in list order: ``_row`` and ``columns``
        (default all)."""
        where, params = self.compile(query)
        cols = ", ".join(
            self.engine.ident(c) for c in (columns if columns is not None else self.columns) if c in self.types
        )
        # the page's record numbers first (one narrow column), then only those records' fields: a Parquet file's
        # row groups outside their range are skipped, instead of every matching record's fields read and sorted
        sql = f"SELECT _row FROM t WHERE {where} ORDER BY _row LIMIT ? OFFSET ?"
        rows = [int(r) for (r,) in self.con.sql(sql, params=[*params, int(limit), max(int(offset), 0)]).fetchall()]
        if not rows or not cols:
            return pd.DataFrame({"_row": pd.Series(rows, dtype="int64")})
        sql = (
            f"SELECT _row, {cols} FROM t WHERE _row >= ? AND _row <= ? AND _row IN ({', '.join('?' * len(rows))}) "
            "ORDER BY _row"
        )
        return self.con.sql(sql, params=[rows[0], rows[-1], *rows]).to_arrow_table().to_pandas()

    def records(self, query: Query) -> pd.DataFrame:
        """Every record that meets the query (``_row`` and all the list's columns), in list order."""
        where, params = self.compile(query)
        return self.con.sql(f"SELECT * FROM t WHERE {where} ORDER BY _row", params=params).to_arrow_table().to_pandas()

    def timed_count(self, query: Query) -> tuple[int, float]:
        """(``count``, seconds it took)."""
        t0 = time.perf_counter()
        n = self.count(query)
        return n, time.perf_counter() - t0

    def describe(self, query: Query) -> list[str]:
        """Each condition and flag in Chinese (with its values: for the page and the workbook, not for logs)."""
        out = []
        for c in query.conditions:
            name = self.field_name(c.field)
            vals = [v for v in c.values if str(v).strip()]
            if c.op in NO_VALUE_OPS:
                out.append(f"{name} {OPS[c.op]}")
            elif c.op == "range":
                lo, hi = (list(c.values) + ["", ""])[:2]
                out.append(f"{name} 从 {lo or '（不限）'} 到 {hi or '（不限）'}")
            elif c.op == "in":
                out.append(f"{name} 属于 {'、'.join(vals)}")
            else:
                out.append(f"{name} {OPS[c.op]} {vals[0] if vals else ''}")
        if any(c.field == AGE for c in query.conditions):
            out.append(f"年龄按 {query.as_of or _dt.date.today().isoformat()} 计算（周岁）")
        out += [f"标记：{FLAGS.get(f, f)}" for f in query.flags]
        return out

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.engine.close()


def _arrow(frame: pd.DataFrame) -> pa.Table:
    f = frame.copy(deep=False)
    f.attrs = {}
    f.columns = [str(c) for c in f.columns]
    for c in f.columns:
        if f[c].dtype == object:
            f[c] = f[c].map(lambda v: None if v is None else str(v)).astype("str")
    return pa.Table.from_pandas(f, preserve_index=False)


def query_workbook(
    records: pd.DataFrame,
    path: str | os.PathLike,
    *,
    layout: Layout | None,
    conditions: Sequence[str],
    title: str,
    total: int,
    file_rows: np.ndarray | None = None,
    unmask: bool = False,
) -> Path:
    """The records a query selected as a workbook: 查询条件 (the list, each condition, how many of how many, whether
    personal values are masked) and 查询结果 (行号 as the clerk finds it in the file, then the records' own fields
    under the headers a workbook of that layout has: 姓名, 考生号（KSH）), personal fields masked unless ``unmask``."""
    from ..core.privacy import mask_frame
    from ..io.lists import record_headers, write_workbook

    recs = records.drop(columns=[c for c in ("_row",) if c in records.columns]).reset_index(drop=True)
    if not unmask:
        recs = mask_frame(recs, layout)
    if layout is not None:
        known = record_headers(layout)
        recs = recs.rename(columns={c: known.get(str(c).upper(), c) for c in recs.columns})
    rows = records["_row"].to_numpy(dtype=np.int64) if "_row" in records else np.arange(1, len(records) + 1)
    shown = file_rows[rows - 1] if file_rows is not None and len(file_rows) else rows
    recs.insert(0, "行号", pd.Series(shown, dtype="int64"))
    summary = pd.DataFrame(
        {
            "项目": ["名单", *["条件"] * len(conditions), "符合条件", "个人信息", "导出时间"],
            "内容": [
                title,
                *conditions,
                f"{len(records)} 条（名单共 {total} 条）",
                "未遮蔽（完整，导出已记入审计日志）" if unmask else "已遮蔽（身份证号、电话、地址只显示部分）",
                _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            ],
        }
    )
    return write_workbook({"查询条件": summary, "查询结果": recs}, Path(path))


def as_of_text(value: Any) -> str | None:
    """A date given for ages (a date, or text a clerk typed) as YYYY-MM-DD; None for nothing."""
    if value in (None, ""):
        return None
    if isinstance(value, _dt.date):
        return value.isoformat()
    return parse_date(str(value)).isoformat()
