"""Text clean-up as SQL expressions both engines run alike (DuckDB and Spark), for the keys a large list
gets where it lies (a Parquet folder read by the engine) rather than in this process.

- ``strip(e)``      ↔ pandas ``Series.str.strip()`` (the same Unicode blanks as Arrow's utf8_trim_whitespace)
- ``text(e, type)`` ↔ ``normalize.written_text`` (a column as text: dates and timestamps as YYYYMMDD, numbers as
  their plain text)
- ``upper`` is the engines' own; it agrees with Arrow's except for ß (Arrow ẞ, Java SS), which no key holds.

tests/test_sqlnorm.py runs them and their pandas counterparts over the same awkward values on both
engines. Only functions with the same name, arguments and meaning in DuckDB and Spark SQL are used
(regexp_replace with an anchored pattern, replace, CAST), and the literals hold no backslash and no quote,
so that the two parsers read them alike. What needs more than that (code tables, dates typed in many
forms, 身份证号 15→18) is done in Python on the few values or records that need it.
"""

from __future__ import annotations

# The characters Arrow's utf8_trim_whitespace (pandas' str.strip) removes.
TRIMMED = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def strip(e: str) -> str:
    """(The regular expressions only for values that start or end with a blank: most values do not.)"""
    blanks = ", ".join(f"'{c}'" for c in TRIMMED)
    return (
        f"CASE WHEN left({e}, 1) IN ({blanks}) OR right({e}, 1) IN ({blanks}) "
        f"THEN regexp_replace(regexp_replace({e}, '^[{TRIMMED}]+', ''), '[{TRIMMED}]+$', '') ELSE {e} END"
    )


def text(e: str, type_name: str) -> str:
    """A column of any type as the text the pandas code compares: dates and timestamps as YYYYMMDD."""
    t = type_name.lower()
    if "date" in t or "timestamp" in t:
        return f"replace(CAST(CAST({e} AS DATE) AS STRING), '-', '')"
    if t == "string" or t.startswith("varchar"):
        return e
    return f"CAST({e} AS STRING)"


def literal(value: str | int) -> str:
    """A parameter (录取年份, 学历类别) as an SQL string literal; refused when it holds a quote or backslash."""
    text_ = str(value)
    if "'" in text_ or "\\" in text_:
        raise ValueError(f"参数值 {text_!r} 中不能有引号或反斜杠")
    return f"'{text_}'"
