"""Generate docs/API.md, the API reference, from the docstrings of xueji_lib's public objects.

    .venv/bin/python docs/build_api.py            # write docs/API.md
    .venv/bin/python docs/build_api.py --check    # exit 1 when docs/API.md is not what this script writes

The reference lists everything in ``xueji_lib.__all__`` and the public pieces of the modules a user meets
directly (display, progress, outputs, report, schedule, catalog), grouped in sections in the order a user
meets them. Each entry: its signature, the first paragraph of its docstring, and the docstring's example
(every ``>>>`` block, or else its first indented code block), as the docstring has it minus the
``# doctest:`` directives. Classes also list their public methods and properties. Section titles and
intros are Chinese; API text is the docstrings'. tests/test_api_docs.py checks that docs/API.md is up to
date, that every entry has a docstring and an example, and runs the examples not marked ``+SKIP``.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "API.md"

# (section title, one-line intro, entries); an entry is "module:attribute" ("xueji_lib:read_dbf").
SECTIONS: list[tuple[str, str, list[str]]] = [
    (
        "读入",
        "读入 DBF、Excel、CSV：每个单元格按原样读成文本，读取时发现的问题写进读取报告，不丢失、不“修正”。",
        [
            "xueji_lib:read_dbf",
            "xueji_lib:read_table",
            "xueji_lib:load_report",
            "xueji_lib:LoadReport",
            "xueji_lib:LoadWarning",
            "xueji_lib:FieldSpec",
            "xueji_lib:inspect_dbf",
            "xueji_lib:dbf_to_parquet",
            "xueji_lib:read_parquet_folder",
            "xueji_lib:ParquetConversion",
        ],
    ),
    (
        "版式与代码表",
        "版式说明一个文件有哪些字段；代码表把 民族、政治面貌、行政区划 等代码和名称对应起来。两者都是数据文件，可以增加或替换。",
        [
            "xueji_lib:list_layouts",
            "xueji_lib:load_layout",
            "xueji_lib:recognize_layout",
            "xueji_lib:Layout",
            "xueji_lib:LayoutField",
            "xueji_lib:list_code_tables",
            "xueji_lib:load_code_table",
            "xueji_lib:CodeTable",
            "xueji_lib:CodeEntry",
            "xueji_lib:province_of",
        ],
    ),
    (
        "校验",
        "上报前按平台的规则检查一份名单；照片目录按名单核对。",
        [
            "xueji_lib:validate",
            "xueji_lib:ValidationResult",
            "xueji_lib:load_rules",
            "xueji_lib:check_photos",
            "xueji_lib:PhotoResult",
        ],
    ),
    (
        "核对与对比",
        "两份名单之间：录取与注册核对、两期名单对比、毕业生与下一学段新生的去向核对；一份或几份名单中疑似同一学生的两条记录。",
        [
            "xueji_lib:reconcile",
            "xueji_lib:ReconcileResult",
            "xueji_lib:compare",
            "xueji_lib:CompareResult",
            "xueji_lib:handoff",
            "xueji_lib:HandoffResult",
            "xueji_lib:near_duplicates",
            "xueji_lib:NearDuplicateResult",
        ],
    ),
    (
        "统计",
        "标准统计表与交叉统计（两维表、异动报表、核查执行统计）：中小学与高等学校，每张表的合计等于记录数。",
        [
            "xueji_lib:k12_stats",
            "xueji_lib:higher_ed_stats",
            "xueji_lib:StatsResult",
            "xueji_lib:crosstab",
            "xueji_lib:k12_crosstabs",
            "xueji_lib:higher_ed_crosstabs",
            "xueji_lib:CrosstabResult",
            "xueji_lib:changes_report",
            "xueji_lib:ChangesReport",
            "xueji_lib:coverage",
            "xueji_lib:CoverageResult",
        ],
    ),
    (
        "展示",
        "把结果对象变成给人看的表格、图、HTML 和文字（个人信息默认遮盖），以及长时间操作的进度显示。",
        [
            "xueji_lib.reporting.display:summary_frame",
            "xueji_lib.reporting.display:list_frames",
            "xueji_lib.reporting.display:chart",
            "xueji_lib.reporting.display:to_html",
            "xueji_lib.reporting.display:to_text",
            "xueji_lib.reporting.display:school_frame",
            "xueji_lib.reporting.display:table",
            "xueji_lib.core.progress:Progress",
            "xueji_lib.core.result:Result",
            "xueji_lib.core.result:ResultList",
            "xueji_lib.core.result:Column",
            "xueji_lib.core.rows:shown_rows",
            "xueji_lib.core.rows:row_meaning",
            "xueji_lib.core.rows:shown_sheets",
        ],
    ),
    (
        "写出名单",
        "把结果写成文件：可以直接上传的 DBF、带原因的名单、工作簿、results.csv 和 summary.json。",
        [
            "xueji_lib:write_validation_outputs",
            "xueji_lib.reporting.outputs:write_reconcile_outputs",
            "xueji_lib.reporting.outputs:write_compare_outputs",
            "xueji_lib.reporting.outputs:write_photo_outputs",
            "xueji_lib.reporting.outputs:write_results_csv",
            "xueji_lib:write_dbf",
            "xueji_lib:write_excel",
        ],
    ),
    (
        "打印",
        "把名单打印成给学生、家长和老师核对签字的 A4 PDF（学生基本信息核对表、班级学籍信息核对表）。",
        ["xueji_lib:print_forms", "xueji_lib:PrintResult"],
    ),
    (
        "报告与定时",
        "运行参数化的报告笔记本，生成离线可看的 HTML 和表格；按 YAML 清单定时运行。",
        [
            "xueji_lib:run_report",
            "xueji_lib:check_parameters",
            "xueji_lib:ReportRun",
            "xueji_lib:REPORTS",
            "xueji_lib.reporting.report:write_index",
            "xueji_lib.reporting.schedule:run_schedule",
        ],
    ),
    (
        "看板",
        "看板背后的数据目录：每个文件读一次存成 Parquet 缓存，建好检索索引，供学生查询和名单对比。",
        ["xueji_lib.apps.catalog:Catalog"],
    ),
    (
        "计算引擎",
        "匹配、比对、查重的 SQL 在 DuckDB（默认）或 Spark 上运行，结果相同。",
        ["xueji_lib.engine.engines:connect", "xueji_lib.engine.engines:spark_session"],
    ),
    (
        "其他与异常",
        "xueji 有意抛出的错误都是 XuejiError 的子类，同时也是对应的内置异常（ValueError、FileNotFoundError），信息是中文并指明文件、行和字段。",
        [
            "xueji_lib:XuejiError",
            "xueji_lib:FileFormatError",
            "xueji_lib:TruncatedFileError",
            "xueji_lib:MemoFileMissing",
            "xueji_lib:InputFileNotFound",
            "xueji_lib:WriteError",
            "xueji_lib:LayoutError",
            "xueji_lib:PhotoFolderNotFound",
            "xueji_lib:StatsInputError",
            "xueji_lib:ParquetConversionError",
            "xueji_lib:ParquetCountError",
        ],
    ),
]

ALIASES = {"xueji_lib": "xj", "xueji_lib.reporting.display": "xd"}  # how the examples name these modules


@dataclass
class Entry:
    section: str
    module: str
    attr: str
    obj: object

    @property
    def name(self) -> str:
        """The name shown: ``xj.read_dbf``, ``xd.chart``, ``xueji_lib.reporting.outputs.write_compare_outputs``."""
        return f"{ALIASES.get(self.module, self.module)}.{self.attr}"

    @property
    def documented(self) -> bool:
        """Callables carry a docstring and an example; REPORTS (a dict) is described from its data."""
        return callable(self.obj)


def entries() -> list[Entry]:
    out = []
    for title, _, names in SECTIONS:
        for spec in names:
            module, attr = spec.split(":")
            out.append(Entry(title, module, attr, getattr(importlib.import_module(module), attr)))
    return out


# --------------------------------------------------------------------------------------------- docstrings


def own_doc(obj) -> str:
    """The object's own docstring, cleaned; "" for none (a dataclass's generated ``Name(field, …)`` text and a
    docstring inherited from a base class do not count)."""
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    if not doc:
        return ""
    doc = inspect.cleandoc(doc)
    if isinstance(obj, type) and doc.startswith(obj.__name__ + "("):
        return ""
    return doc


def first_paragraph(doc: str) -> str:
    para = []
    for line in doc.splitlines():
        if not line.strip():
            if para:
                break
            continue
        if line.lstrip().startswith(">>>"):
            break
        para.append(line.strip())
    return " ".join(para)


_DIRECTIVE = re.compile(r"\s*#\s*doctest:.*$")


def example(doc: str) -> str:
    """The docstring's example: every ``>>>`` block (prompt lines, ``...`` continuations and the expected
    output up to a blank line), else its first indented code block; ``# doctest:`` directives dropped."""
    lines = doc.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].lstrip().startswith(">>>"):
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            blocks.append(lines[i:j])
            i = j
        else:
            i += 1
    if not blocks:  # an indented block after a blank line (the docstring's own text is not indented)
        for i, line in enumerate(lines):
            if i and not lines[i - 1].strip() and line.startswith("    ") and line.strip():
                j = i
                while j < len(lines) and (not lines[j].strip() or lines[j].startswith("    ")):
                    j += 1
                blocks.append(lines[i:j])
                break
    out = []
    for block in blocks:
        while block and not block[-1].strip():
            block = block[:-1]
        indent = min(len(b) - len(b.lstrip()) for b in block if b.strip())
        out.append("\n".join(_DIRECTIVE.sub("", b[indent:]).rstrip() for b in block))
    return "\n\n".join(out)


# --------------------------------------------------------------------------------------------- signatures


class _Text:
    """An annotation kept as the source wrote it (``pd.DataFrame``, not ``'pd.DataFrame'``)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _plain(sig: inspect.Signature) -> inspect.Signature:
    def ann(a):
        return _Text(a) if isinstance(a, str) else a

    params = [p.replace(annotation=ann(p.annotation)) for p in sig.parameters.values()]
    return sig.replace(parameters=params, return_annotation=ann(sig.return_annotation))


def signature(obj, name: str) -> str:
    target = obj
    if isinstance(obj, type):
        if issubclass(obj, BaseException):
            bases = ", ".join(b.__name__ for b in obj.__bases__)
            return f"class {obj.__name__}({bases})"
    elif not inspect.isfunction(obj) and hasattr(obj, "__wrapped__"):  # functools.lru_cache
        target = obj.__wrapped__
    try:
        sig = _plain(inspect.signature(target))
    except (TypeError, ValueError):
        return name
    if isinstance(obj, type):
        return f"class {obj.__name__}{sig.replace(return_annotation=inspect.Signature.empty)}"
    return f"{name.split('.')[-1]}{sig}"


def members(cls: type) -> list[tuple[str, str]]:
    """(signature, first line of the docstring) of the public methods and properties the class defines."""
    out = []
    for attr, value in cls.__dict__.items():
        if attr.startswith("_"):
            continue
        if isinstance(value, property):
            out.append((f".{attr}", first_paragraph(own_doc(value.fget) if value.fget else "")))
        elif isinstance(value, (staticmethod, classmethod)) or inspect.isfunction(value):
            func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            sig = _plain(inspect.signature(func))
            params = list(sig.parameters.values())
            if params and params[0].name in ("self", "cls") and not isinstance(value, staticmethod):
                sig = sig.replace(parameters=params[1:])
            out.append((f".{attr}{sig}", first_paragraph(own_doc(func))))
    return out


# ------------------------------------------------------------------------------------------------ render


def _anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _reports_table() -> str:
    from xueji_lib.reporting.report import REPORTS

    rows = ["| 报告 | 说明 | 参数（* 必填） |", "|---|---|---|"]
    for name, spec in REPORTS.items():
        params = "；".join(f"`{p.name}`{'*' if p.required else ''} {p.description}" for p in spec.params)
        rows.append(f"| {name} | {spec.description} | {params} |")
    return "\n".join(rows)


def render_entry(e: Entry) -> str:
    parts = [f"### `{e.name}`", ""]
    if not e.documented:  # REPORTS
        parts += [
            "`dict`：报告名 → `ReportSpec`（笔记本、说明、参数）。`run_report(名称, …)` 按名称查找。",
            "",
            _reports_table(),
            "",
        ]
        return "\n".join(parts)
    doc = own_doc(e.obj)
    parts += ["```python", signature(e.obj, e.name), "```", "", first_paragraph(doc), ""]
    if isinstance(e.obj, type) and not issubclass(e.obj, BaseException):
        ms = members(e.obj)
        if ms:
            parts += ["成员：", ""]
            parts += [f"- `{sig}`" + (f" — {text}" if text else "") for sig, text in ms]
            parts.append("")
    ex = example(doc)
    if ex:
        parts += ["例：", "", "```python", ex, "```", ""]
    return "\n".join(parts)


HEADER = """# xueji_lib API 参考

<!-- 由 docs/build_api.py 从文档字符串生成，请勿手工修改。改了文档字符串后运行 .venv/bin/python docs/build_api.py -->

本页列出 xueji_lib 的全部公开函数和类，按使用时遇到它们的顺序分节：{toc}。
每一项给出签名、文档字符串的第一段和其中的例子（说明文字是代码中的英文原文）。

例子中 `xj` 即 `import xueji_lib as xj`，`pd` 即 `import pandas as pd`，`xd` 即 `from xueji_lib import display as xd`；
文件路径相对于仓库根目录，用的是 `data_samples/` 中的合成样例。不需要另外准备文件的例子由 `tests/test_api_docs.py`
真正运行并核对结果；需要自己的文件或会写文件的例子只作示意（源码中标有 `# doctest: +SKIP`）。
笔记本中一步一步的用法见 `notebooks/导览.ipynb`。
"""


def render() -> str:
    all_entries = entries()
    toc = " → ".join(f"[{title}](#{_anchor(title)})" for title, _, _ in SECTIONS)
    parts = [HEADER.format(toc=toc)]
    for title, intro, _ in SECTIONS:
        parts += [f"## {title}", "", intro, ""]
        parts += [render_entry(e) for e in all_entries if e.section == title]
    text = "\n".join(parts)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text("utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} 不是最新的：请运行 .venv/bin/python docs/build_api.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, "utf-8")
    print(f"已写出 {OUT.relative_to(ROOT)}（{len(entries())} 项）")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
