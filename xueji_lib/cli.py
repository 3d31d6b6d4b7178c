"""The ``xueji`` command.

    xueji info 注册上报.dbf          what the loader found: version, code page, counts, fields, problems
    xueji layouts                    the layouts known (built-in and from XUEJI_LAYOUT_PATH)
    xueji codes [NAME]               the code tables, or one table's codes and labels
    xueji samples --out data_samples write the synthetic sample files

A bad file or parameter ends in a Chinese message and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import XuejiError


def _cmd_info(args) -> int:
    from .loadinfo import load_report
    from .privacy import mask_frame

    df = load_file(args.file, layout=args.layout, encoding=args.encoding)
    rep = load_report(df)
    print(rep.summary())
    if args.rows and len(df):
        import pandas as pd

        with pd.option_context("display.max_columns", 12, "display.width", 160):
            print(f"\n前 {min(args.rows, len(df))} 行（个人信息已遮盖）：")
            print(mask_frame(df.head(args.rows)).to_string())
    return 0


def load_file(path, layout=None, encoding=None):
    """Load a DBF, xlsx or csv by its extension (the one place the command line picks a loader)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".dbf":
        from .dbf import read_dbf

        return read_dbf(path, encoding=encoding)
    if suffix in (".xlsx", ".xlsm", ".xls", ".csv", ".txt"):
        from .tables import read_table

        return read_table(path, layout=layout, encoding=encoding)
    raise XuejiError(f"文件 {path}：不认识的文件类型 {suffix or '（无扩展名）'}，支持 .dbf、.xlsx、.csv")


def _cmd_layouts(args) -> int:
    from .layouts import list_layouts

    for lay in sorted(list_layouts(), key=lambda x: x.name):
        req = len(lay.required)
        print(f"{lay.name:28s} {lay.format:5s} {len(lay.fields):3d} 个字段（必填 {req}）  {lay.title}")
        if args.verbose:
            print(f"{'':28s} 来源：{lay.source}；可信度：{lay.confidence}；文件：{lay.path}")
    return 0


def _cmd_codes(args) -> int:
    from .codes import list_code_tables, load_code_table

    if args.name:
        table = load_code_table(args.name)
        print(f"{table.name} {table.title}（来源：{table.source}；可信度：{table.confidence}）")
        for e in table.entries:
            extra = ""
            if e.aliases:
                extra += "  别名：" + "、".join(e.aliases)
            if e.deprecated:
                extra += "  旧称：" + "、".join(e.deprecated)
            print(f"  {e.code:8s} {e.label}{extra}")
        return 0
    for table in sorted(list_code_tables(), key=lambda t: t.name):
        print(f"{table.name:10s} {len(table.entries):5d} 项  {table.title}")
    return 0


def _cmd_samples(args) -> int:
    from .synth import write_samples

    out = write_samples(args.out, seed=args.seed)
    print(f"样例文件已写入 {out}；预置问题清单见 {Path(out) / 'planted.csv'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xueji", description="学籍数据工具：读取、核对、对比学籍文件")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    p = sub.add_parser("info", help="读取一个 DBF/Excel/CSV 文件，报告版本、编码、记录数、字段和读取问题")
    p.add_argument("file", help="要读取的文件")
    p.add_argument("--layout", help="Excel/CSV 按哪个版式对应表头（见 xueji layouts）")
    p.add_argument("--encoding", help="指定编码，覆盖文件自身的代码页标记，如 gb18030")
    p.add_argument("--rows", type=int, default=5, help="显示前几行（个人信息遮盖），默认 5")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("layouts", help="列出已知的数据版式")
    p.add_argument("-v", "--verbose", action="store_true", help="同时显示来源和文件位置")
    p.set_defaults(func=_cmd_layouts)

    p = sub.add_parser("codes", help="列出代码表，或显示一个代码表的内容")
    p.add_argument("name", nargs="?", help="代码表名，如 mz（民族）")
    p.set_defaults(func=_cmd_codes)

    p = sub.add_parser("samples", help="生成合成样例数据（不含真实个人信息）")
    p.add_argument("--out", default="data_samples", help="输出目录，默认 data_samples")
    p.add_argument("--seed", type=int, default=20261123, help="随机种子（同一种子生成完全相同的文件）")
    p.set_defaults(func=_cmd_samples)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (XuejiError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and closed early
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
