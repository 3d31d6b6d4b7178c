"""The ``xueji`` command.

    xueji info 注册上报.dbf          what the loader found: version, code page, counts, fields, problems
    xueji layouts                    the layouts known (built-in and from XUEJI_LAYOUT_PATH)
    xueji codes [NAME]               the code tables, or one table's codes and labels
    xueji samples --out data_samples write the synthetic sample files
    xueji validate 注册上报.dbf       pre-upload checks: 校验通过 / 数据有误 lists, 校验结果.xlsx, summary.json

A bad file or parameter ends in a Chinese message and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import LayoutError, XuejiError
from .layouts import recognize_layout


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


CATEGORIES = {"10": "普通本专科", "20": "研究生", "50": "成人本专科", "70": "网络教育"}


def _cmd_validate(args) -> int:
    from .layouts import load_layout
    from .loadinfo import load_report
    from .outputs import OUTPUT_NAMES, write_validation_outputs
    from .validate import validate

    path = Path(args.file)
    if args.category is not None and str(args.category) not in CATEGORIES:
        raise XuejiError(f"学历类别 {args.category} 不对：只能是 "
                         + "、".join(f"{k}（{v}）" for k, v in CATEGORIES.items()))
    if args.year is not None and not 1990 <= args.year <= 2100:
        raise XuejiError(f"录取年份 {args.year} 不对：请写四位年份，如 2026")
    table = path.suffix.lower() != ".dbf"
    lay = load_layout(args.layout) if args.layout else None  # an unknown name stops here, listing the known ones
    df = load_file(path, layout=lay if table else None, encoding=args.encoding)
    if len(df) == 0:
        raise XuejiError(f"文件 {path}：没有记录（0 条），没有可以校验的内容。"
                         "请确认导出时选对了名单和条件，或文件没有只导出表头。")
    if lay is not None:
        reason = "按 --layout 指定"
    else:
        lay, reason = recognize_layout(df.columns, headers=table)
        if table:  # read again so that the headers map to this layout's field codes
            df = load_file(path, layout=lay, encoding=args.encoding)
    out = Path(args.out) if args.out else Path.cwd() / f"{path.stem}_校验结果"
    names = [OUTPUT_NAMES["passed"] + ".dbf", OUTPUT_NAMES["passed"] + ".xlsx", OUTPUT_NAMES["failed"] + ".dbf",
             OUTPUT_NAMES["failed"] + ".xlsx", OUTPUT_NAMES["workbook"], OUTPUT_NAMES["summary"]]
    if any((out / n).resolve() == path.resolve() for n in names):
        raise XuejiError(f"输出目录 {out} 中的结果文件会覆盖输入文件 {path.name}：请用 --out 指定另一个目录")
    others = {}
    for other in args.others or []:
        opath = Path(other)
        if opath.resolve() == path.resolve():
            continue
        name = opath.name if opath.name not in others else str(opath)
        others[name] = load_file(opath, layout=lay if opath.suffix.lower() != ".dbf" else None,
                                 encoding=args.encoding)

    rep = load_report(df)
    print(f"读入：{path}，{len(df)} 条记录")
    for w in (rep.warnings if rep else ()):
        print(f"  读取提示 {w}")
    print(f"版式：{lay.name}（{lay.title}）——{reason}")
    if others:
        print(f"对照文件（查重复学籍）：{'、'.join(f'{k}（{len(v)} 条）' for k, v in others.items())}")
    result = validate(df, lay, year=args.year, category=args.category, others=others or None, source=str(path))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise XuejiError(f"无法建立输出目录 {out}：{exc.strerror or exc}") from exc
    files = write_validation_outputs(result, df, out, unmask=args.unmask, layout_reason=reason,
                                     others=list(others))
    print()
    print(result.summary())
    for note in files.notes:
        print(f"注意：{note}")
    print(f"\n已写出（目录 {out}）：")
    print(f"  {files['passed'].name}  " + (f"通过校验的 {result.passed_count} 条，按上传结构，可上传" if result.passed_count
                                          else "没有通过校验的记录（空名单，不用上传）"))
    print(f"  {files['failed'].name}  有误的 {result.failed_count} 条，"
          + ("JYJG 字段为原因" if files['failed'].suffix == ".dbf" else "“校验结果”列为原因"))
    print(f"  {files['workbook'].name}  汇总、按规则、按字段、问题明细（{len(result.findings)} 处）、数据有误记录"
          + ("（个人信息未遮盖）" if args.unmask else "（个人信息已遮盖）"))
    print(f"  {files['summary'].name}  供脚本读取的计数")
    if not result.structure_ok:
        missing = result.findings.loc[result.findings["rule"] == "STRUCT_MISSING_FIELD"]
        print(f"结构校验未通过：文件缺少必填字段 "
              + "、".join(f"{a}（{b}）" for a, b in zip(missing["field"], missing["name"]))
              + f"，不能按版式 {lay.name} 上传；全部 {result.total} 条记录列入 {files['failed'].name}。", file=sys.stderr)
        return 1
    return 0


def _cmd_photos(args) -> int:
    import numpy as np

    from .outputs import write_photo_outputs
    from .photos import check_photos

    roster = load_file(args.roster, encoding=args.encoding)
    rows = None
    if args.where:
        col, _, values = args.where.partition("=")
        col = col.strip().upper()
        if col not in roster.columns or not values:
            raise XuejiError(f"--where {args.where} 不对：应写成 字段=值1,值2（如 BH=软件2601,软件2602），"
                             f"名单的字段有 {', '.join(map(str, roster.columns))}")
        mask = roster[col].astype("str").str.strip().isin([v.strip() for v in values.split(",")]).to_numpy()
        rows = np.flatnonzero(mask) + 1
        roster = roster[mask].reset_index(drop=True)
    res = check_photos(roster, args.folder, key=args.key.upper(), name_pattern=args.pattern, row_numbers=rows)
    print(res.summary())
    out = Path(args.out) if args.out else Path.cwd() / f"{Path(args.folder).name}_照片核对"
    files = write_photo_outputs(res, out)
    print("已写出：" + "、".join(str(p) for p in files.values()))
    return 0


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

    p = sub.add_parser("photos", help="图像校对：按名单核对照片目录（缺照片、对不上的照片、重复、格式与尺寸）")
    p.add_argument("roster", help="学生名单（DBF/Excel/CSV）")
    p.add_argument("folder", help="照片目录")
    p.add_argument("--key", default="SFZH", help="照片文件名对应名单中的哪个字段，默认 SFZH（身份证号）")
    p.add_argument("--pattern", default="{key}", help="文件名格式，默认 {key}（即 身份证号.jpg）")
    p.add_argument("--where", help="只核对名单中的一部分，如 BH=软件2601,软件2602")
    p.add_argument("--encoding", help="名单的编码（覆盖文件自身的标记）")
    p.add_argument("--out", help="结果目录，默认 ./<照片目录名>_照片核对")
    p.set_defaults(func=_cmd_photos)

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

    p = sub.add_parser("validate", help="上传前校验：分出校验通过 / 数据有误名单，写出校验结果工作簿",
                       description="按平台规则校验一个上报文件，写出 校验通过、数据有误（含 JYJG 原因）名单、"
                                   "校验结果.xlsx 和 summary.json。输入文件不会被修改。")
    p.add_argument("file", help="要校验的 DBF/Excel/CSV 文件")
    p.add_argument("--layout", help="版式名（见 xueji layouts）；不给时按文件的字段自动识别")
    p.add_argument("--year", type=int, help="录取年份，如 2026（文件中没有 LQNF 字段时用）")
    p.add_argument("--category", help="学历类别：10 普通本专科、20 研究生、50 成人本专科、70 网络教育")
    p.add_argument("--others", nargs="+", action="extend", metavar="文件",
                   help="同类的其他文件（如其他学校的名单），用来查重复学籍")
    p.add_argument("--out", help="输出目录，默认为当前目录下的 <文件名>_校验结果")
    p.add_argument("--encoding", help="指定输入文件的编码，覆盖文件自身的代码页标记，如 gb18030")
    p.add_argument("--unmask", action="store_true", help="校验结果.xlsx 的“数据有误记录”中显示身份证号等原值")
    p.set_defaults(func=_cmd_validate)
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
