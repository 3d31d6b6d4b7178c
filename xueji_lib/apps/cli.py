"""The ``xueji`` command.

    xueji info 注册上报.dbf          what the loader found: version, code page, counts, fields, problems
    xueji layouts                    the layouts known (built-in and from XUEJI_LAYOUT_PATH)
    xueji codes [NAME]               the code tables, or one table's codes and labels
    xueji samples --out data_samples write the synthetic sample files
    xueji validate 注册上报.dbf       pre-upload checks: 校验通过 / 数据有误 lists, 校验结果.xlsx, summary.json
    xueji reconcile --admission 录取名单.dbf --registration 注册上报.dbf --year 2026 --category 10
                                     admission vs registration: results.csv, summary.json, 资格有误.dbf,
                                     未注册.dbf, 核对结果.xlsx
    xueji compare 2025秋.xlsx 2026春.xlsx --changes 学籍异动.xlsx
                                     roster vs roster: results.csv, summary.json, 对比结果.xlsx
    xueji dupes 甲校.xlsx 乙校.xlsx     the same pupil entered twice (ID off by a digit, swapped, missing, one ID two
                                     names), within and across files: 疑似重复学生信息表.xlsx, per-school files
    xueji report 新生注册核对报告 -p admission 录取名单.dbf -p registration 注册上报.dbf -p year 2026
                                     run a report notebook: reports/<name>/<stamp>-<id>/report.html, …
    xueji schedule 每周报表.yml        run the reports listed in a YAML file (inputs may be globs: newest file)
    xueji lab                        JupyterLab on 127.0.0.1 with a token, kernel "xueji", notebooks/ as root
                                     (what make lab runs)
    xueji parquet 注册上报.dbf --out 注册上报_parquet [--records-per-part N] [--workers N]
                                     convert a large DBF once into Parquet parts (resumable), for DuckDB/Spark

Long reads and checks show progress on stderr (stdout carries only the results).

A bad file or parameter ends in a Chinese message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..core.errors import LayoutError, XuejiError
from ..core.extras import require_extra
from ..core.files import OutputSet, check_output_folder, output_set
from ..schema.layouts import recognize_layout

if TYPE_CHECKING:
    import pandas as pd

    from ..core.progress import ProgressArg
    from ..schema.layouts import Layout


# ------------------------------------------------------------------------------ outputs and interruption


class _Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: unwinds as KeyboardInterrupt (every ``finally`` and ``except
    KeyboardInterrupt`` runs: temporary files and staging folders are removed, worker processes and kernels
    ended), then ``main`` says so in one line."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_CONTROL_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n))
_RUN: dict = {}  # the output folder of the command running, and whether its set of files is published


# The standard library's code for threads, queues, futures and worker processes (and logging, which locks):
# raised in the middle of it, an exception can leave a lock held or a condition released twice — the thread
# that needs the lock next (a pool's worker, the thread completing a future) then waits for ever, and so does
# the shutdown that joins it. CPython checks for signals between any two lines there (Condition.__enter__,
# the loop of concurrent.futures.wait that takes each future's lock). And zipfile (the workbooks): a ZipFile
# cut while it is made prints a traceback when it is collected ("Exception ignored in ZipFile.__del__").
_LOCKING_CODE = tuple(
    os.path.join(os.path.dirname(contextlib.__file__), name)
    for name in (
        "threading.py",
        "queue.py",
        "zipfile.py",
        os.path.join("concurrent", ""),
        os.path.join("multiprocessing", ""),
        os.path.join("logging", ""),
    )
)
_DEFERRED: list[int] = []  # the signal noted while the main thread was in that code


def _in_locking_code(frame) -> bool:
    """Whether ``frame`` or a frame that called it runs the standard library's locking code."""
    while frame is not None:
        if frame.f_code.co_filename.startswith(_LOCKING_CODE):
            return True
        frame = frame.f_back
    return False


def _interrupt(signum: int) -> NoReturn:
    for sig in _CONTROL_SIGNALS:  # a second Ctrl+C must not cut the clean-up short
        signal.signal(sig, signal.SIG_IGN)
    raise _Interrupted(signum)


def _on_signal(signum, frame) -> None:
    """Raise ``_Interrupted`` where the main thread is — unless it is inside the standard library's locking code
    (``_LOCKING_CODE``): then the signal is noted and raised at the first line run outside it, once the wait
    or the hand-over has finished (a thread's block of work, a worker's part: a second or so)."""
    if _DEFERRED:  # already noted, to be raised on the way out
        return
    if frame is None or not _in_locking_code(frame):
        _interrupt(signum)
    _DEFERRED.append(signum)

    def on_the_way_out(f, event, arg):
        if _in_locking_code(f):
            return on_the_way_out
        sys.settrace(None)
        _interrupt(_DEFERRED.pop())

    # line events of the frames already running (their code resumes when the locking code returns to them),
    # call events of the frames started from now on (a callback run from within it is still inside it)
    f = frame
    while f is not None:
        f.f_trace, f.f_trace_lines = on_the_way_out, True
        f = f.f_back
    sys.settrace(on_the_way_out)


@contextlib.contextmanager
def _signals_handled() -> Iterator[Callable[[], None]]:
    """SIGINT and SIGTERM raise ``_Interrupted`` for the command's duration (main thread only); the previous
    handlers are restored afterwards (``main`` may be called from a test or a script), or earlier by calling
    the function it yields."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    old = {sig: signal.signal(sig, _on_signal) for sig in _CONTROL_SIGNALS}

    def restore() -> None:
        for sig, handler in old.items():
            signal.signal(sig, handler)

    try:
        yield restore
    finally:
        restore()


def exit_code_kept(rc: int) -> int:
    """The command has returned ``rc``: a Ctrl+C or SIGTERM from now on — while the interpreter shuts down
    (threads joined, modules torn down: a fraction of a second) — does not change the exit code: the work is
    done and its files published, so a late signal neither turns a finished run into a killed one nor leaves
    a traceback. Until the exit handlers run, such a signal ends the process at once with ``rc``; from then on
    the signals are ignored (the interpreter puts back the system's default action, which kills the process,
    for every handler written in Python while it shuts down — not for "ignore"). For the command's own process
    only (``__main__`` and the console script), not for a ``main`` called from a script."""
    import atexit
    import threading

    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    if threading.current_thread() is threading.main_thread():
        for sig in _CONTROL_SIGNALS:
            signal.signal(sig, lambda signum, frame: os._exit(rc))
        atexit.register(lambda: [signal.signal(sig, signal.SIG_IGN) for sig in _CONTROL_SIGNALS])
    return rc


def _will_write(out: Path) -> None:
    """Check ``out`` before anything is read or computed (a file of that name, read-only) and remember it for
    the message an interruption prints."""
    check_output_folder(out)
    _RUN.update(out=Path(out), published=False)


def _interrupted_message() -> str:
    out: Path | None = _RUN.get("out")
    if out is None:
        return "已中断，未写出任何文件。"
    if _RUN.get("published"):
        return f"已中断；结果已完整写出到 {out}。"
    if _RUN.get("parquet"):
        return f"已中断：{out} 中保留了已完成的分块，再次运行同一命令会从这里续转。"
    if out.is_dir() and any(out.iterdir()):
        return f"已中断，未写出新的结果；{out} 中保留了上次的结果，没有改动。"
    return f"已中断，未写出结果（{out} 没有建立）。" if not out.exists() else f"已中断，未写出结果（{out} 仍为空）。"


class _Outputs:
    """``output_set`` for a command: files as ``result.save`` returns them, moved to where they are once
    published."""

    def __init__(self, run: OutputSet):
        self.run, self.staging = run, run.staging

    def final_files(self, files):
        from ..core.result import OutputFiles

        moved = OutputFiles({k: self.run.final(v) for k, v in files.items()})
        moved.notes, moved.encoding_note, moved.encoding_notes = files.notes, files.encoding_note, files.encoding_notes
        return moved


@contextlib.contextmanager
def _outputs(out: Path, names: Iterable[str]) -> Iterator[_Outputs]:
    """The command's files, written as one set (``core.files.output_set``): ``--out`` shows the previous run or
    this one, never a mix. A failure to write names the folder, not a temporary file."""
    from ..core.files import OutputFolderError

    _RUN.update(out=Path(out), published=False)
    run = None
    try:
        with output_set(out, names) as run:
            try:
                yield _Outputs(run)
            except XuejiError:
                raise
            except OSError as exc:
                why = (
                    "磁盘已满"
                    if exc.errno == 28
                    else "没有写入权限"
                    if isinstance(exc, PermissionError)
                    else exc.strerror
                )
                raise OutputFolderError(f"无法把结果写入输出目录 {out}：{why or exc}") from None
    finally:
        _RUN["published"] = run is not None and run.committed


def _record_check(command: str, args, out: Path, result, data: dict) -> None:
    """The finished run in the check history (``reporting.history``: ``<history root>/index.html``, the root
    ``$XUEJI_HISTORY`` or ./reports; ``XUEJI_HISTORY=off``: not recorded). Never fails the command."""
    from ..reporting.history import record_check

    record_check(command, args, out, result, data, started=_RUN.get("started"))


def _check_encoding(encoding: str | None) -> None:
    import codecs

    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise XuejiError(
                f"不认识的编码 --encoding {encoding}：请写 gb18030、gbk、utf-8、big5 等编码名"
                "（不给时按文件自身的标记和内容判断）"
            ) from None


def _cmd_info(args) -> int:
    from ..core.privacy import mask_frame
    from ..io.loadinfo import load_report

    df = load_file(args.file, layout=args.layout, encoding=args.encoding)
    rep = load_report(df)
    print(rep.summary())
    if args.rows and len(df):
        import pandas as pd

        from ..core.rows import row_meaning, shown_rows

        head = mask_frame(df.head(args.rows))
        # the rows as the clerk finds them in the file (spreadsheet row, DBF record number), not pandas' 0, 1, 2
        head.index = pd.Index(shown_rows(df, range(1, len(head) + 1)).astype("Int64").tolist(), name="行号")
        with pd.option_context("display.max_columns", 12, "display.width", 160):
            print(f"\n前 {len(head)} 条记录（个人信息已遮盖；{row_meaning(df)}）：")
            print(head.to_string())
    return 0


def load_file(
    path: str | os.PathLike,
    layout: str | os.PathLike | Layout | None = None,
    encoding: str | None = None,
    progress: ProgressArg = True,
) -> pd.DataFrame:
    """``tables.load_file`` with progress on stderr by default (stdout is left to the results)."""
    from ..io.tables import load_file as load

    return load(path, layout, encoding=encoding, progress=progress)


def _cmd_validate(args) -> int:
    from ..checks.validate import validate
    from ..io.loadinfo import load_report
    from ..io.loading import load_list
    from ..reporting.outputs import OUTPUT_NAMES, write_validation_outputs
    from ..schema.params import check_category, check_year

    path = Path(args.file)
    category, year = check_category(args.category), check_year(args.year)
    out = Path(args.out) if args.out else Path.cwd() / f"{path.stem}_校验结果"
    _will_write(out)  # a file of that name, or read-only: said before the input is read
    # an unknown --layout name stops here, listing the known ones
    df, lay, reason = load_list(path, args.layout, encoding=args.encoding, progress=True)
    if len(df) == 0:
        raise XuejiError(
            f"文件 {path}：没有记录（0 条），没有可以校验的内容。请确认导出时选对了名单和条件，或文件没有只导出表头。"
        )
    if lay is None:
        raise LayoutError(reason)
    if args.layout:
        reason = "按 --layout 指定"
    names = [
        OUTPUT_NAMES["passed"] + ".dbf",
        OUTPUT_NAMES["passed"] + ".xlsx",
        OUTPUT_NAMES["failed"] + ".dbf",
        OUTPUT_NAMES["failed"] + ".xlsx",
        OUTPUT_NAMES["workbook"],
        OUTPUT_NAMES["summary"],
        OUTPUT_NAMES["fix"],
    ]
    if any((out / n).resolve() == path.resolve() for n in names):
        raise XuejiError(f"输出目录 {out} 中的结果文件会覆盖输入文件 {path.name}：请用 --out 指定另一个目录")
    others = {}
    for other in args.others or []:
        opath = Path(other)
        if opath.resolve() == path.resolve():
            continue
        name = opath.name if opath.name not in others else str(opath)
        others[name] = load_list(opath, lay, encoding=args.encoding, progress=True).data

    rep = load_report(df)
    print(f"读入：{path}，{len(df)} 条记录")
    for w in rep.warnings if rep else ():
        print(f"  读取提示 {w}")
    print(f"版式：{lay.name}（{lay.title}）——{reason}")
    if others:
        print(f"对照文件（查重复学籍）：{'、'.join(f'{k}（{len(v)} 条）' for k, v in others.items())}")
    school_year = args.school_year
    if school_year is not None and not 1990 <= school_year <= 2100:
        raise XuejiError(f"--school-year {school_year} 不对：请写四位年份（秋季学期所在的年份），如 2025")
    result = validate(
        df,
        lay,
        year=year,
        category=category,
        school_year=school_year,
        others=others or None,
        source=str(path),
        progress=True,
    )
    stems = (OUTPUT_NAMES["passed"], OUTPUT_NAMES["failed"])
    every = [*names, *(f"{stem}{ext}" for stem in stems for ext in (".csv", ".fpt", ".dbt"))]
    with _outputs(out, every) as run:
        files = run.final_files(
            write_validation_outputs(
                result,
                df,
                run.staging,
                unmask=args.unmask,
                layout_reason=reason,
                others=list(others),
                progress=True,
            )
        )
    print()
    print(result.summary())
    for note in files.notes:
        print(f"注意：{note}")
    print(f"\n已写出（目录 {out}）：")
    print(
        f"  {files['passed'].name}  "
        + (
            f"通过校验的 {result.passed_count} 条，按上传结构，可上传"
            if result.passed_count
            else "没有通过校验的记录（空名单，不用上传）"
        )
    )
    print(
        f"  {files['failed'].name}  有误的 {result.failed_count} 条，"
        + ("JYJG 字段为原因" if files["failed"].suffix == ".dbf" else "“校验结果”列为原因")
    )
    print(
        f"  {files['workbook'].name}  汇总、按规则、按字段、问题明细（{len(result.findings)} 处）、数据有误记录"
        + ("（个人信息未遮盖）" if args.unmask else "（个人信息已遮盖）")
    )
    if "fix" in files:
        print(
            f"  {files['fix'].name}  有误的 {result.failed_count} 条，可用 Excel/WPS 修改（单元格为文本，“原行号”为原文件中的行号），"
            "改好后：xueji validate 该文件 --layout " + lay.name + "，再用 xueji merge 并入校验通过名单"
        )
    print(f"  {files['summary'].name}  供脚本读取的计数")
    _record_check("validate", args, out, result, {"file": df})
    if not result.structure_ok:
        print(
            "结构校验未通过：文件"
            + result.structure_text()
            + f"，不能按版式 {lay.name} 上传；全部 {result.total} 条记录列入 {files['failed'].name}。",
            file=sys.stderr,
        )
        return 1
    return 0


def _photo_limits(args) -> dict:
    """The limits of ``xueji photos`` options as check_photos' keywords (only those given); a Chinese XuejiError
    (exit 2) for a bad value."""
    from ..checks import photos as ph

    out: dict = {}
    if args.max_mb is not None and args.max_kb is not None:
        raise XuejiError("--max-mb 和 --max-kb 只能用一个：都是文件大小上限")
    if args.min_size is not None:
        out["min_size"] = ph.parse_pixels(args.min_size, "--min-size")
    if args.max_size is not None:
        out["max_size"] = ph.parse_pixels(args.max_size, "--max-size")
    if args.max_mb is not None:
        out["max_bytes"] = ph.parse_file_size(args.max_mb, "MB", "--max-mb")
    if args.max_kb is not None:
        out["max_bytes"] = ph.parse_file_size(args.max_kb, "KB", "--max-kb")
    if args.min_kb is not None:
        out["min_bytes"] = ph.parse_file_size(args.min_kb, "KB", "--min-kb")
    if args.aspect is not None:
        out["aspect"] = ph.parse_aspect(args.aspect, "--aspect")
    if args.background is not None:
        out["background"] = ph.parse_background(args.background)
    for name in ("class_field", "grade_field"):
        value = getattr(args, name)
        if value is not None:
            out[name] = None if value.strip().lower() in ("不查", "none", "off", "no") else value.strip()
    if args.folder_depth is not None:
        if not args.folder_depth.strip().isdigit():
            raise XuejiError(
                f"--folder-depth {args.folder_depth} 不对：应为 0 或正整数（子文件夹层数），如 --folder-depth 2"
            )
        out["folder_depth"] = int(args.folder_depth.strip())
    return out


def _cmd_photos(args) -> int:
    import numpy as np

    from ..checks.photos import check_photos
    from ..reporting.outputs import write_photo_outputs

    out = Path(args.out) if args.out else Path.cwd() / f"{Path(args.folder).name}_照片核对"
    _will_write(out)
    roster = load_file(args.roster, encoding=args.encoding)
    rows = None
    if args.where:
        col, _, values = args.where.partition("=")
        col = col.strip().upper()
        if col not in roster.columns or not values:
            raise XuejiError(
                f"--where {args.where} 不对：应写成 字段=值1,值2（如 BH=软件2601,软件2602），"
                f"名单的字段有 {', '.join(map(str, roster.columns))}"
            )
        mask = roster[col].astype("str").str.strip().isin([v.strip() for v in values.split(",")]).to_numpy()
        rows = np.flatnonzero(mask) + 1
        roster = roster[mask].reset_index(drop=True)
    res = check_photos(
        roster, args.folder, key=args.key.upper(), name_pattern=args.pattern, row_numbers=rows, **_photo_limits(args)
    )
    print(res.summary())
    with _outputs(out, ["照片核对.xlsx", "summary.json"]) as run:
        files = run.final_files(write_photo_outputs(res, run.staging, progress=True))
    print("已写出：" + "、".join(str(p) for p in files.values()))
    _record_check("photos", args, out, res, {"roster": roster})
    return 0


def _cmd_print(args) -> int:
    """xueji print: the class lists and 学生基本信息核对表 of a roster as A4 PDFs (full values: audited)."""
    import getpass
    import json

    from ..io.loading import load_list
    from ..reporting.forms import PrintResult, class_groups, print_forms
    from .dashboard import AuditLog

    class _CommandAudit(AuditLog):
        def who(self) -> dict:  # the account that ran the command, not a dashboard token
            try:
                user = getpass.getuser()
            except Exception:  # no user name in the environment (Windows services)
                user = "未知用户"
            return {"user": user, "client": "命令行", "session": ""}

    path = Path(args.roster)
    out = Path(args.out) if args.out else Path.cwd() / f"{path.stem}_核对表"
    _will_write(out)
    df, lay, reason = load_list(path, args.layout, encoding=args.encoding, fallback="k12_student", progress=True)
    if len(df) == 0:
        raise XuejiError(
            f"名单文件 {path}：没有记录（0 条），没有可以打印的核对表。请确认导出时选对了名单，或文件没有只导出表头。"
        )
    if args.photos and not Path(args.photos).is_dir():
        raise XuejiError(f"照片目录 {args.photos} 不存在或不是文件夹：请给出存放照片的文件夹（可含班级子文件夹）")
    _print_read(path, df, "名单")
    if lay is not None:
        print(f"版式：{lay.name}（{lay.title}）")
    names = ["学生信息核对表.pdf", "summary.json"]
    if args.per_school:
        from ..core.files import safe_file_name

        schools = class_groups(df, lay).get("学校", [])
        names += [f"学生信息核对表_{safe_file_name(s)}.pdf" for s in dict.fromkeys(schools)]
    log = _CommandAudit(args.audit_log, page="打印核对表")
    print(
        "注意：核对表印有完整的个人信息（身份证号、电话、住址等，未遮盖），供学生和家长核对本人信息；"
        f"本次打印记入审计日志 {log.path}（谁、何时、哪些班级、多少人，不记任何个人信息）。"
        "打印件请妥善保管、用后收回，勿在校外打印或传播。",
        file=sys.stderr,
    )
    with _outputs(out, names) as run:
        res: PrintResult = print_forms(
            df,
            run.staging,
            layout=lay,
            photos=args.photos,
            where=args.where,
            per_school=args.per_school,
            source=str(path),
            audit=log.write,
        )
        (run.staging / "summary.json").write_text(json.dumps(res.to_dict(), ensure_ascii=False, indent=2), "utf-8")
    print(res.summary())
    print(f"\n已写出（目录 {out}）：")
    for f in res.files:
        print(f"  {f.name}")
    print("  summary.json  各项计数，供脚本读取")
    return 0


# ------------------------------------------------------------------------------ reconcile and compare


def _refuse_overwrite(out: Path, names, inputs) -> None:
    """Stop when an output file would replace one of the inputs (the inputs are never modified)."""
    for name in names:
        for path in inputs:
            if (out / name).resolve() == Path(path).resolve():
                raise XuejiError(f"输出目录 {out} 中的结果文件 {name} 会覆盖输入文件 {path}：请用 --out 指定另一个目录")


def _load_input(
    path: Path, what: str, layout: str | None, encoding, need=(), verb: str = "核对", *, keep_folder: bool = False
):
    """Load one input (DBF as it is; a sheet through ``layout``, so that its headers become field codes) and
    check that it has records and the fields in ``need`` (a code, or a tuple of alternatives).
    ``keep_folder``: a folder converted by ``xueji parquet`` is checked from its Parquet footers and returned
    as its path, for the engine to read (reconcile)."""
    from ..io.loading import load_list
    from ..io.parquet import is_parquet_folder
    from ..io.source import ListSource

    if keep_folder and is_parquet_folder(path):
        src = ListSource.of(path)
        if src.count == 0:
            raise XuejiError(f"{what}文件 {path}：没有记录（0 条），无法{verb}。")
        _need_fields(src, path, what, need, verb)
        return path
    df = load_list(path, layout, encoding=encoding, progress=True).data
    if len(df) == 0:
        raise XuejiError(
            f"{what}文件 {path}：没有记录（0 条），无法{verb}。请确认导出时选对了名单和条件，或文件没有只导出表头。"
        )
    _need_fields(df, path, what, need, verb)
    return df


def _columns(data) -> list:
    """The column names of a loaded frame or of a converted folder (from its Parquet footer)."""
    from ..io.source import ListSource

    return ListSource.of(data).columns


FIELD_ZH = {
    "KSH": "考生号",
    "ZT": "入学状态",
    "XJH": "学籍号",
    "SFZJH": "身份证件号",
    "SFZH": "身份证号",
    "YDLB": "异动类别",
}


def _need_fields(df, path, what, need, verb: str = "核对") -> None:
    """``df``: a frame or an ``io.source.ListSource`` (only its ``columns`` are read)."""
    cols = {str(c).strip().upper() for c in df.columns}
    for item in need:
        alts = (item,) if isinstance(item, str) else tuple(item)
        if not any(a in cols for a in alts):
            shown = "，".join(map(str, list(df.columns)[:15])) + ("…" if len(df.columns) > 15 else "")
            codes = alts[0] if len(alts) == 1 else "、".join(alts[:-1]) + f" 或 {alts[-1]}"
            name = "、".join(dict.fromkeys(FIELD_ZH.get(a, a) for a in alts))
            raise XuejiError(f"{what}文件 {path}：没有{name}字段（{codes}），无法{verb}（文件的字段：{shown}）")


def _print_read(path, df, what) -> None:
    from ..io.loadinfo import load_report
    from ..io.source import ListSource

    src = ListSource.of(df)
    if src.is_folder:  # a converted folder the engine reads
        print(f"{what}：{path}（xueji parquet 转换的文件夹，由计算引擎直接读取），{src.count} 条记录")
        return
    rep = load_report(df)
    print(f"读入{what}：{path}，{len(df)} 条记录")
    for w in rep.warnings if rep else ():
        print(f"  读取提示 {w}")


def _cmd_reconcile(args) -> int:
    from ..matching.reconcile import reconcile
    from ..reporting.outputs import RECONCILE_OUTPUT_NAMES, write_reconcile_outputs
    from ..schema.layouts import load_layout
    from ..schema.params import check_category, check_year

    _engine_extra(args.engine)
    if not args.admission or not args.registration:
        raise XuejiError(
            "请用 --admission 给出录取数据文件、--registration 给出注册上报文件，例如："
            "xueji reconcile --admission 录取名单.dbf --registration 注册上报.dbf --year 2026 --category 10"
        )
    year, category = check_year(args.year), check_category(args.category)
    inputs = {"admission": Path(args.admission), "registration": Path(args.registration)}
    if args.states:
        inputs["states"] = Path(args.states)
    out = Path(args.out) if args.out else Path.cwd() / f"{inputs['registration'].stem}_核对结果"
    _refuse_overwrite(out, RECONCILE_OUTPUT_NAMES.values(), inputs.values())
    _will_write(out)

    adm = _load_input(inputs["admission"], "录取数据", "chsi_admission", args.encoding, need=("KSH",), keep_folder=True)
    reg = _load_input(
        inputs["registration"], "注册上报", "chsi_registration", args.encoding, need=("KSH",), keep_folder=True
    )
    states = None
    if args.states:
        states = _load_input(
            inputs["states"],
            "新生状态名单",
            "chsi_new_student_status",
            args.encoding,
            need=("KSH", ("ZT", "XSZT", "RXZT")),
        )
    _print_read(inputs["admission"], adm, "录取数据")
    _print_read(inputs["registration"], reg, "注册上报")
    if states is not None:
        _print_read(inputs["states"], states, "新生状态名单")
    try:  # a common slip: the two files given the other way round
        pair = [load_layout("chsi_admission"), load_layout("chsi_registration")]
        if (
            recognize_layout(_columns(adm), candidates=pair)[0].name == "chsi_registration"
            and recognize_layout(_columns(reg), candidates=pair)[0].name == "chsi_admission"
        ):
            print(
                "注意：--admission 给的文件像注册上报，--registration 给的像录取数据，两者可能给反了；"
                "下面仍按给定的顺序核对。",
                file=sys.stderr,
            )
    except LayoutError:
        pass
    cols = {str(c).strip().upper() for c in _columns(adm)}
    if year is None and "LQNF" not in cols:
        print("提示：没有给 --year，录取数据中也没有录取年份字段 LQNF：录取年份不参与比对。")
    if category is None and "XLLB" not in cols:
        print("提示：没有给 --category，录取数据中也没有学历类别字段 XLLB：学历类别不参与比对。")

    result = reconcile(adm, reg, year=year, category=category, states=states, progress=True, engine=args.engine)
    with _outputs(out, RECONCILE_OUTPUT_NAMES.values()) as run:
        files = run.final_files(
            write_reconcile_outputs(
                result,
                adm,
                reg,
                run.staging,
                unmask=args.unmask,
                sources={k: str(p) for k, p in inputs.items()},
                progress=True,
            )
        )
    c = result.counts
    print()
    print(result.summary())
    for note in files.notes:
        print(f"注意：{note}")
    n_adm, n_reg = c["admission"]["total"], c["registration"]["total"]
    nq, nn = n_reg - c["registration"]["matched"], c["admission"]["not_registered"]
    print(f"\n已写出（目录 {out}）：")
    print(
        f"  {files['results'].name}  每条记录一行：录取 {n_adm} + 注册 {n_reg} = {n_adm + n_reg} 行，"
        "供其他程序读取（UTF-8）"
    )
    print(
        f"  {files['qualification_errors'].name}  注册上报中平台不会接受的 {nq} 条（资格有误：没有通过比对，"
        "或新生状态已是报到入学、保留/放弃/取消入学资格），按上传结构，JYJG 字段为原因"
        if nq
        else f"  {files['qualification_errors'].name}  注册上报全部通过比对（空名单）"
    )
    print(
        f"  {files['not_registered'].name}  录取后未注册的 {nn} 条，JYJG 字段为原因（含新生状态）"
        if nn
        else f"  {files['not_registered'].name}  录取的考生都已注册（空名单）"
    )
    print(
        f"  {files['workbook'].name}  汇总、资格有误、未注册（按新生状态）、录取数据不一致"
        + ("（个人信息未遮盖）" if args.unmask else "（个人信息已遮盖）")
    )
    print(f"  {files['summary'].name}  各项计数，供脚本读取")
    _record_check("reconcile", args, out, result, {"admission": adm, "registration": reg, "states": states})
    return 0


def _load_roster(path: Path, what: str, encoding):
    """A roster and its layout: a sheet's headers recognised as validate does (falling back to the K-12
    template), a DBF as it is (its layout, when recognised, only names fields and marks personal ones)."""
    from ..io.loading import load_list
    from ..io.source import ListSource

    # a folder converted by xueji parquet stays a folder: the engine reads it (compare)
    data, lay, _ = load_list(path, encoding=encoding, fallback="k12_student", keep_folder=True, progress=True)
    src = ListSource.of(data)
    if src.count == 0:
        raise XuejiError(
            f"{what}文件 {path}：没有记录（0 条），无法对比。"
            + ("" if src.is_folder else "请确认导出时选对了名单，或文件没有只导出表头。")
        )
    return data, lay


def _cmd_compare(args) -> int:
    import re

    from ..io.source import ListSource
    from ..matching.compare import ID_FIELDS, compare, compared_fields, field_codes
    from ..reporting.outputs import COMPARE_OUTPUT_NAMES, write_compare_outputs

    _engine_extra(args.engine)
    key = str(args.key).strip().upper() if args.key else None
    if key is not None and not re.fullmatch(r"[A-Z][A-Z0-9_]{0,9}", key):
        raise XuejiError(
            f"--key {args.key} 不对：请写两份名单都有的字段代码，如 XJH（学籍号）、SFZJH（身份证件号）、XH（学号）、KSH（考生号）"
        )
    inputs = {"old": Path(args.old), "new": Path(args.new)}
    if args.changes:
        inputs["changes"] = Path(args.changes)
    out = Path(args.out) if args.out else Path.cwd() / f"{inputs['new'].stem}_对比结果"
    _refuse_overwrite(out, COMPARE_OUTPUT_NAMES.values(), inputs.values())
    _will_write(out)

    old, old_lay = _load_roster(inputs["old"], "旧名单", args.encoding)
    new, new_lay = _load_roster(inputs["new"], "新名单", args.encoding)
    ids = ID_FIELDS  # the ID-number fields, SFZJH first
    for df, path, what in ((old, inputs["old"], "旧名单"), (new, inputs["new"], "新名单")):
        need = [("XJH", *ids)] if key is None else [ids] if key in ids else [key]
        _need_fields(ListSource.of(df), path, what, need, "对比")
    lay = old_lay or new_lay
    # the change list's layout: given, else by the rosters (a university's: hei_changes, 高校学籍异动 kinds)
    changes_layout = args.changes_layout or (
        "hei_changes" if lay is not None and lay.category == "higher_ed" else "k12_changes"
    )
    changes = None
    if args.changes:
        changes = _load_input(inputs["changes"], "异动名单", changes_layout, args.encoding, need=("YDLB",), verb="对比")
    _print_read(inputs["old"], old, "旧名单")
    _print_read(inputs["new"], new, "新名单")
    if changes is not None:
        _print_read(inputs["changes"], changes, "异动名单")
    if old_lay is not None and new_lay is not None and old_lay.name != new_lay.name:
        print(
            f"注意：旧名单像版式 {old_lay.name}，新名单像版式 {new_lay.name}；按 {old_lay.name} 对比两者共有的字段。",
            file=sys.stderr,
        )
    names = [inputs["old"].stem, inputs["new"].stem]
    if names[0] == names[1]:
        names = [str(inputs["old"].with_suffix("")), str(inputs["new"].with_suffix(""))]

    fields = None
    if args.ignore:  # the fields compare compares by default, less these (never the key: compared_fields)
        fields = compared_fields(_columns(old), _columns(new), key=key, ignore=args.ignore, ignore_name="--ignore")
        print(f"不比较的字段：{'、'.join(sorted(field_codes(args.ignore)))}")

    result = compare(
        old,
        new,
        key=key,
        changes=changes,
        old_name=names[0],
        new_name=names[1],
        fields=fields,
        layout=lay.name if lay is not None else None,
        changes_layout=changes_layout,
        progress=True,
        engine=args.engine,
        graduates=args.graduates,
        as_of=args.as_of,
    )
    with _outputs(out, COMPARE_OUTPUT_NAMES.values()) as run:
        files = run.final_files(
            write_compare_outputs(
                result,
                old,
                new,
                run.staging,
                changes=changes,
                unmask=args.unmask,
                sources={k: str(p) for k, p in inputs.items()},
                layout=lay,
                changes_layout=changes_layout,
                progress=True,
            )
        )
    print()
    print(result.summary())
    lost = len(result.unexplained_removals())
    print(f"\n已写出（目录 {out}）：")
    n_old, n_new = len(result.old), len(result.new)
    print(
        f"  {files['results'].name}  每条记录一行：旧 {n_old} + 新 {n_new} = {n_old + n_new} 行，"
        "供其他程序读取（UTF-8；学籍号、身份证件号已遮盖）"
    )
    print(
        f"  {files['workbook'].name}  汇总、疑似流失（{lost} 人，按学校）、按学校、减少、新增、变化、调动、重复、无法对应"
        + ("、异动名单" if changes is not None else "")
        + ("（个人信息未遮盖）" if args.unmask else "（个人信息已遮盖）")
    )
    if "by_school" in files:
        schools = len(list(files["by_school"].glob("*.xlsx")))
        print(
            f"  {files['by_school'].name}/  疑似流失按学校分开：{schools} 所学校各一个工作簿（共 {lost} 人），可分别发给各校核实"
        )
    print(f"  {files['summary'].name}  各项计数，供脚本读取")
    _record_check("compare", args, out, result, {"old": old, "new": new, "changes": changes})
    return 0


def _cmd_dupes(args) -> int:
    """xueji dupes: near-duplicates (the same pupil entered twice) in one list or across several."""
    from ..io.loading import load_list
    from ..io.source import ListSource
    from ..matching.near_dupes import DUPES_OUTPUT_NAMES, near_duplicates

    _engine_extra(args.engine)
    paths = [Path(f) for f in args.files]
    out = Path(args.out) if args.out else Path.cwd() / f"{paths[0].stem}_疑似重复"
    _refuse_overwrite(out, DUPES_OUTPUT_NAMES.values(), paths)
    _will_write(out)
    names = [p.name for p in paths]
    if len(set(names)) < len(names):
        names = [str(p) for p in paths]
    lists = {}
    for path, name in zip(paths, names):
        data = load_list(path, encoding=args.encoding, fallback="k12_student", keep_folder=True, progress=True).data
        src = ListSource.of(data)
        if src.count == 0:
            raise XuejiError(f"名单文件 {path}：没有记录（0 条），无法查找重复。")
        cols = {str(c).strip().upper() for c in src.columns}
        if "XM" not in cols and "姓名" not in cols:
            raise XuejiError(f"名单文件 {path}：没有姓名字段（XM），无法查找重复学生。")
        _print_read(path, data, "名单")
        lists[name] = data
    result = near_duplicates(lists, engine=args.engine, progress=True)
    with _outputs(out, DUPES_OUTPUT_NAMES.values()) as run:
        files = run.final_files(result.save(run.staging, unmask=args.unmask))
    print()
    print(result.summary())
    c = result.counts
    print(f"\n已写出（目录 {out}）：")
    print(
        f"  {files['workbook'].name}  数据重复学生信息表：{c['pairs']['total']} 对，每对一行（说明、哪条可能有误）"
        + ("（身份证号未遮盖）" if args.unmask else "（身份证号已遮盖）")
    )
    if "by_school" in files:
        schools = len(list(files["by_school"].glob("*.xlsx")))
        print(f"  {files['by_school'].name}/  按学校分开：{schools} 所学校各一个工作簿，可分别发给各校核对更正")
    print(f"  {files['summary'].name}  各项计数，供脚本读取")
    return 0


def _cmd_merge(args) -> int:
    from ..checks.resubmit import merge_passed

    first, second, out = Path(args.first), Path(args.second), Path(args.out)
    for p in (first, second):
        if not p.is_file():
            raise XuejiError(f"找不到文件 {p}：请给两次校验写出的 校验通过.dbf")
    if out.exists() and not args.force:
        raise XuejiError(f"{out} 已存在：请换一个文件名，或加 --force 覆盖")
    if out.parent and not out.parent.exists():
        raise XuejiError(f"目录 {out.parent} 不存在")
    result = merge_passed(first, second, out, layout=args.layout)
    print(result.summary())
    return 0


HANDOFF_OUTPUT_NAMES = ("去向核对.xlsx", "summary.json")


def _cmd_handoff(args) -> int:
    from ..io.source import ListSource
    from ..matching.compare import ID_FIELDS
    from ..matching.handoff import handoff

    _engine_extra(args.engine)
    key = str(args.key).strip().upper() if args.key else None
    if key is not None and key not in ("XJH", "SFZJH", "SFZH"):
        raise XuejiError(f"--key {args.key} 不对：只能是 XJH（学籍号）或 SFZJH（身份证件号）")
    inputs = {"graduates": Path(args.graduates), "intake": Path(args.intake)}
    out = Path(args.out) if args.out else Path.cwd() / f"{inputs['graduates'].stem}_去向核对"
    _refuse_overwrite(out, HANDOFF_OUTPUT_NAMES, inputs.values())
    _will_write(out)
    grads, lay = _load_roster(inputs["graduates"], "毕业生名单", args.encoding)
    intake, _ = _load_roster(inputs["intake"], "新生名单", args.encoding)
    for df, path, what in ((grads, inputs["graduates"], "毕业生名单"), (intake, inputs["intake"], "新生名单")):
        _need_fields(ListSource.of(df), path, what, [("XJH", *ID_FIELDS, "XM")], "核对去向")
    _print_read(inputs["graduates"], grads, "毕业生名单")
    _print_read(inputs["intake"], intake, "新生名单")
    result = handoff(
        grads,
        intake,
        key=key,
        graduates_name=inputs["graduates"].stem,
        intake_name=inputs["intake"].stem,
        layout=lay.name if lay is not None else "k12_student",
        unmask=args.unmask,
        engine=args.engine,
    )
    with _outputs(out, HANDOFF_OUTPUT_NAMES) as run:
        from ..io.excel_writer import writing_progress

        with writing_progress(True):  # a large workbook says how far it got
            files = run.final_files(result.save(run.staging, unmask=args.unmask))
    print()
    print(result.summary())
    print(f"\n已写出（目录 {out}）：")
    print(
        f"  {files['workbook'].name}  汇总、未找到的毕业生、来自其他地方的新生"
        + ("（个人信息未遮盖）" if args.unmask else "（个人信息已遮盖）")
    )
    print(f"  {files['summary'].name}  各项计数，供脚本读取")
    return 0


def _cmd_report(args) -> int:
    from ..reporting.report import SAMPLE_RUNS, _spec, run_report, sample_parameters

    require_extra("reports")  # before anything is printed or read
    _engine_extra(args.engine)
    params = {}
    for key, value in args.params or []:
        if key in params:
            raise XuejiError(f"参数 {key} 给了两次：每个参数只能给一次")
        params[key] = value
    if not args.name and not args.samples:
        raise XuejiError(f"请给出报告名（{'、'.join(SAMPLE_RUNS)}），或用 --samples 在样例数据上运行")
    if args.name:
        _spec(args.name)  # an unknown name: said before the samples are made
    check_output_folder(args.out)  # a file of that name, or read-only: say so before the report runs
    if args.engine:  # the report's kernel inherits it: its reconcile/compare calls run there
        from ..engine.engines import ENGINE_ENV

        os.environ[ENGINE_ENV] = args.engine
    if args.samples:
        folder = _sample_folder()
        runs = [(n, sample_parameters(n, folder) | params) for n in ([args.name] if args.name else SAMPLE_RUNS)]
    else:
        runs = [(args.name, params)]
    for name, p in runs:
        print(f"运行报告“{name}”……", flush=True)
        run = run_report(name, out_root=args.out, progress=True, **p)
        print(f"报告已生成（用时 {run.manifest.get('duration_seconds')} 秒）：{run.folder}")
        print(f"  {run.html.name}  报告（浏览器打开，无需联网）")
        print(f"  {run.tables.name}  报告中的全部表格")
        print(f"  {run.notebook.name}  执行记录；manifest.json  参数、输入文件校验值、版本、用时", flush=True)
    if len(runs) > 1:
        print(f"报告索引：{(Path(args.out) / 'index.html').resolve()}")
    return 0


# Where ``xueji samples`` writes by default. The samples the other commands use (report --samples, dashboard,
# start) are samples.folder.sample_folder's: $XUEJI_SAMPLES, the source checkout's data_samples/, or (installed
# from the bundle or with pip) a copy written once into this user's cache folder.
SAMPLES_FOLDER = "data_samples"


def _sample_folder() -> Path:
    """The synthetic samples, written first into this user's cache folder when xueji is installed (a few
    seconds); a FileNotFoundError whose message says how to make them when they cannot be."""
    from ..samples.folder import sample_folder

    folder = sample_folder()
    print(f"样例数据（合成，不含真实个人信息）：{folder}", flush=True)
    return folder


def _make_samples(out: Path, seed: int | None = None) -> None:
    from ..samples.synth import write_samples

    _will_write(out)
    with _outputs(out, ["hei", "k12", "planted.csv", "README.md"]) as run:
        write_samples(run.staging, **({} if seed is None else {"seed": seed}))


def _cmd_schedule(args) -> int:
    from ..reporting.schedule import run_schedule

    outcomes = run_schedule(args.file, echo=lambda line: print(line, flush=True), progress=True)
    failed = [o for o in outcomes if not o.ok]
    print(f"定时运行结束：共 {len(outcomes)} 项，成功 {len(outcomes) - len(failed)} 项，失败 {len(failed)} 项")
    for o in outcomes:
        print(f"  第 {o.position} 项 {o.report}：{o.label}  {o.folder or ''}".rstrip())
        if o.error:
            print(f"    {o.error}")
    return 1 if failed else 0


def _cmd_dashboard(args) -> int:
    import secrets
    import socket
    import subprocess

    from .catalog import Catalog
    from .dashboard import voila_command

    require_extra("dashboard")  # before the data folder is read
    if args.token:
        print(
            "注意：写在命令行上的 --token 本机其他用户可以看到（/proc）；请改用环境变量 XUEJI_DASHBOARD_TOKEN",
            file=sys.stderr,
            flush=True,
        )
    with socket.socket() as probe:  # the port, before the data folder is read; Voila refuses it again (no retries)
        if os.name == "posix":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado binds: TIME_WAIT is no obstacle
        try:
            probe.bind(("127.0.0.1", int(args.port)))
            busy = False
        except OSError:
            busy = True
    if busy:
        print(
            f"端口 {args.port} 已被占用（可能已有一个看板或其他程序在用它）：请用 --port 换一个端口",
            file=sys.stderr,
        )
        return 2
    cat = Catalog(args.data or _sample_folder(), args.cache, photos=args.photos)
    print(f"整理数据目录 {cat.folder}（只读入新的或改动过的文件，缓存在 {cat.cache_dir}）……", flush=True)
    cat.refresh(progress=lambda text: print(f"  {text}", flush=True))
    print(
        f"数据目录中有 {len(cat.datasets)} 个名单，共 {sum(d.records for d in cat.datasets.values())} 条记录；"
        f"已配对核对 {len(cat.pairs)} 组"
    )
    for name, problem in cat.problems:
        print(f"  注意：{name}：{problem}")
    token = args.token or os.environ.get("XUEJI_DASHBOARD_TOKEN") or secrets.token_hex(24)
    argv, env = voila_command(
        cat.folder,
        port=args.port,
        token=token,
        cache_dir=cat.cache_dir,
        photos=args.photos,
        audit_log=args.audit_log,
        notebooks=args.notebooks,
        pool_size=args.pool_size,
        trusted_proxies=args.trusted_proxy,
        kernel_memory_mb=args.kernel_memory,
        upload_max_mb=args.upload_max_mb,
        upload_max_cells=args.upload_max_cells,
    )
    # the server prints the addresses once it answers on its port (xueji_lib.apps.voila_main)
    print("启动看板……", flush=True)
    from .launcher import may_exec, open_when_ready, stop

    if may_exec() and not args.open:  # become Voila: a service manager's SIGTERM (or Ctrl+C) reaches the server
        os.execve(argv[0], argv, env)
    # Windows (no exec), or a browser to open once the server answers: Voila runs as a child, and this process
    # waits for it; Ctrl+C (or closing the console window) ends both (apps/launcher.py)
    proc = subprocess.Popen(argv, env=env)
    page = None
    try:
        if args.open:
            page = open_when_ready(proc, args.port, token, cat.cache_dir)
        return proc.wait()
    except KeyboardInterrupt:
        return stop(proc)
    finally:
        if page is not None:
            page.unlink(missing_ok=True)


def _cmd_start(args) -> int:
    """The desktop shortcut's command: the dashboards over ./数据 (or the samples) with the browser opened."""
    if args.lab:
        from .lab import run_lab

        return run_lab(port=None if args.port == 8866 else args.port, open_browser=True)
    data = args.data
    if data is None:
        own = Path("数据")
        data = str(own) if own.is_dir() and any(p.is_file() for p in own.rglob("*")) else None
        if data is None:
            print("当前目录下的 数据 文件夹中没有名单，先用样例数据；把 DBF/Excel 名单放进 数据 文件夹后重新打开即可。")
    argv = ["dashboard", "--port", str(args.port), "--open"] + (["--data", data] if data else [])
    return _cmd_dashboard(build_parser().parse_args(argv))


def _cmd_lab(args) -> int:
    from .lab import run_lab

    return run_lab(
        port=args.port,
        token=args.token,
        root=args.root,
        open_browser=args.browser,
        allow_root=args.allow_root,
        echo=lambda line: print(line, flush=True),
    )


def _cmd_layouts(args) -> int:
    from ..schema.layouts import list_layouts

    for lay in sorted(list_layouts(), key=lambda x: x.name):
        req = len(lay.required)
        print(f"{lay.name:28s} {lay.format:5s} {len(lay.fields):3d} 个字段（必填 {req}）  {lay.title}")
        if args.verbose:
            print(f"{'':28s} 来源：{lay.source}；可信度：{lay.confidence}；文件：{lay.path}")
    return 0


def _cmd_codes(args) -> int:
    from ..schema.codes import list_code_tables, load_code_table

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


def _cmd_parquet(args) -> int:
    from ..io.parquet import dbf_to_parquet

    if args.records_per_part < 1 or args.workers < 1:
        raise XuejiError("--records-per-part 和 --workers 都应为正整数")
    check_output_folder(args.out)
    _RUN.update(out=Path(args.out), parquet=True)
    conv = dbf_to_parquet(
        args.file,
        args.out,
        records_per_part=args.records_per_part,
        workers=args.workers,
        encoding=args.encoding,
        resume=not args.restart,
        progress=True,
    )
    print(conv.summary())
    return 0


def _cmd_samples(args) -> int:
    out = Path(args.out)
    _make_samples(out, args.seed)
    print(f"样例文件已写入 {out}；预置问题清单见 {Path(out) / 'planted.csv'}")
    return 0


def _engine_extra(engine: str | None) -> None:
    """A Spark engine named on the command line needs the spark extra: say so before anything is read."""
    from ..engine.engines import SPARK_PREFIXES

    if engine and (engine.lower() == "spark" or engine.startswith(SPARK_PREFIXES)):
        require_extra("spark")


def _engine_argument(p) -> None:
    p.add_argument(
        "--engine",
        help="计算引擎：duckdb（默认，本机）、spark（Spark 的默认设置），或 Spark 的 master 地址，"
        "如 spark://主机:7077、yarn；也可用环境变量 XUEJI_ENGINE 指定",
    )


# ------------------------------------------------------------------------------ the parser, in Chinese

# argparse's own words (its _() is gettext with no Chinese catalogue): the error messages it builds, in Chinese
_ARGPARSE_ZH: list[tuple[str, str]] = [
    (r"argument 命令: invalid choice: '(.*?)' \(choose from (.*)\)", "没有“{0}”这个命令，可用的命令：{1}"),
    (r"argument (.+?): (.*)", "参数 {0}：{1}"),
    (r"the following arguments are required: (.*)", "缺少必需的参数：{0}"),
    (r"one of the arguments (.*) is required", "以下参数至少要给一个：{0}"),
    (r"unrecognized arguments: (.*)", "无法识别的参数：{0}（用 -h 查看可用的选项）"),
    (r"invalid choice: (.*?) \(choose from (.*)\)", "无效的选择 {0}，可选：{1}"),
    (r"invalid int value: (.*)", "{0} 不是整数"),
    (r"invalid float value: (.*)", "{0} 不是数字"),
    (r"invalid (\S+) value: (.*)", "{1} 不是有效的值"),
    (r"expected one argument", "后面需要一个值"),
    (r"expected at most one argument", "后面最多只能有一个值"),
    (r"expected at least one argument", "后面至少需要一个值"),
    (r"expected (\d+) arguments?", "后面需要 {0} 个值"),
    (r"ambiguous option: (\S+) could match (.*)", "选项 {0} 不完整，可能是：{1}"),
    (r"not allowed with argument (.*)", "不能与参数 {0} 同时使用"),
    (r"ignored explicit argument (.*)", "不接受值 {0}"),
]


def argparse_zh(message: str) -> str:
    """One of argparse's English messages in Chinese (an ``argument X: …`` message with its inner part too);
    a message not known is returned as it is."""
    import re

    for pattern, zh in _ARGPARSE_ZH:
        m = re.fullmatch(pattern, message, flags=re.S)
        if m:
            parts = [
                g.replace("', '", "、").strip("'") if "choose from" in pattern and i else g
                for i, g in enumerate(m.groups())
            ]
            if pattern.startswith("argument "):
                parts[1] = argparse_zh(parts[1])
            return zh.format(*parts)
    return message


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NO_LINE_START = set("，。、；：？！）】》”’…,.;:?!)]")
_NO_LINE_END = set("（【《“‘([")


def wrap_zh(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns (a Chinese character takes two): a line may break
    between any two Chinese characters, not inside a word of Latin letters or digits, and not before closing
    punctuation. What textwrap cannot do (it breaks only at spaces: a Chinese sentence stays one long line)."""
    import re

    lines: list[str] = []
    line, used = "", 0
    for token in re.findall(r"\s+|[\u2e80-\uffff]|[^\s\u2e80-\uffff]+", " ".join(text.split())):
        if token.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        w = _display_width(token)
        if used + w > width and line.strip() and token[0] not in _NO_LINE_START:
            carried = ""  # an opening bracket or quote goes to the next line with what it opens
            while line and line[-1] in _NO_LINE_END:
                carried, line = line[-1] + carried, line[:-1]
            if line.strip():
                lines.append(line.rstrip())
            line, used = carried, _display_width(carried)
        line, used = line + token, used + w
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


class ChineseHelpFormatter(argparse.HelpFormatter):
    """argparse's help in Chinese: 用法：, section titles with a Chinese colon, help text wrapped by display
    width (Chinese characters are two columns wide) and aligned the same way."""

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_zh(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + ln for ln in wrap_zh(text, width - _display_width(indent)))

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:  # the widest entry by display width, not by characters
            actions = [action, *self._iter_indented_subactions(action)]
            widest = max(_display_width(self._format_action_invocation(a)) for a in actions)
            self._action_max_length = max(self._action_max_length, widest + self._current_indent)

    def _format_action(self, action: argparse.Action) -> str:
        """argparse's own layout of one entry, with widths in terminal columns."""
        help_position = min(self._action_max_length + 2, self._max_help_position)
        help_width = max(self._width - help_position, 11)
        action_width = help_position - self._current_indent - 2
        header = self._format_action_invocation(action)
        width = _display_width(header)
        indent = " " * self._current_indent
        if not action.help:
            parts, indent_first = [f"{indent}{header}\n"], 0
        elif width <= action_width:
            parts, indent_first = [f"{indent}{header}{' ' * (action_width - width)}  "], 0
        else:
            parts, indent_first = [f"{indent}{header}\n"], help_position
        help_text = self._expand_help(action) if action.help and action.help.strip() else ""
        if help_text:
            lines = self._split_lines(help_text, help_width)
            parts.append(" " * indent_first + lines[0] + "\n")
            parts += [" " * help_position + line + "\n" for line in lines[1:]]
        elif not parts[0].endswith("\n"):
            parts.append("\n")
        for subaction in self._iter_indented_subactions(action):
            parts.append(self._format_action(subaction))
        return self._join_parts(parts)

    def format_help(self) -> str:
        text = super().format_help()
        for title in _SECTION_TITLES:
            text = text.replace(f"\n{title}:\n", f"\n{title}：\n")
        return text


_SECTION_TITLES = ("位置参数", "选项")
# the placeholder shown after an option or for a positional argument (argparse's default: the name in capitals)
_METAVAR_ZH = {
    "file": "文件",
    "layout": "版式",
    "encoding": "编码",
    "rows": "行数",
    "roster": "名单",
    "folder": "照片目录",
    "key": "字段",
    "pattern": "格式",
    "where": "条件",
    "out": "目录",
    "data": "目录",
    "port": "端口",
    "token": "令牌",
    "photos": "目录",
    "cache": "目录",
    "audit_log": "文件",
    "notebooks": "目录",
    "pool_size": "个数",
    "seed": "种子",
    "year": "年份",
    "category": "类别",
    "root": "目录",
    "old": "旧名单",
    "new": "新名单",
    "first": "第一次通过",
    "second": "第二次通过",
    "graduates": "毕业生名单",
    "intake": "新生名单",
    "engine": "引擎",
    "name": "名称",
}


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose every word a clerk reads is Chinese: 用法, 位置参数, 选项, ``-h`` 显示本帮助后退出,
    placeholders (``--layout 版式``), and the error messages (``xueji validate：错误：缺少必需的参数：文件``).
    The subcommands' parsers are of this class too (``add_subparsers`` makes them with the parent's class)."""

    def __init__(self, *args: object, add_help: bool = True, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title, self._optionals.title = _SECTION_TITLES
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助后退出")

    def add_argument(self, *args: object, **kwargs: object) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        if action.metavar is None and action.nargs != 0 and action.dest in _METAVAR_ZH:
            action.metavar = _METAVAR_ZH[action.dest]
        return action

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{argparse_zh(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    from ..core.version import __version__

    parser = ChineseArgumentParser(prog="xueji", description="学籍数据工具：读取、核对、对比学籍文件")
    parser.add_argument("--version", action="version", version=f"xueji {__version__}", help="显示版本号后退出")
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
    p.add_argument(
        "--min-size",
        metavar="宽x高",
        help="像素尺寸下限，小于它为错误；默认 358x441（第二代身份证照片，GA 461-2004：358×441 像素、350 dpi）；写 不查 则不检查",
    )
    p.add_argument("--max-size", metavar="宽x高", help="像素尺寸上限，超过为错误；默认不查（通知中没有像素上限）")
    p.add_argument(
        "--max-mb",
        metavar="MB",
        help="文件大小上限（MB，1 MB=1024 KB），超过为错误；默认 2（通知：“2M以内”）；写 不查 则不检查",
    )
    p.add_argument("--max-kb", metavar="KB", help="文件大小上限，以 KB 计（与 --max-mb 二选一），如 --max-kb 500")
    p.add_argument(
        "--min-kb", metavar="KB", help="文件大小下限（KB），低于它为警告（可能压缩过度）；默认 2；写 不查 则不检查"
    )
    p.add_argument(
        "--aspect",
        metavar="下限-上限",
        help="高宽比（高÷宽）范围，超出为警告；默认 1.1-1.6（358×441 为 1.23，一寸 1.4）；写 不查 则不检查",
    )
    p.add_argument(
        "--background",
        metavar="颜色",
        help="要求的背景颜色：深蓝（默认，通知：“深蓝色背景”，含常见的证件照蓝底）、蓝（深蓝或浅蓝都可）、浅蓝、白、红，"
        "或 any（不检查）；不符为警告",
    )
    p.add_argument(
        "--class-field",
        metavar="字段",
        help="名单中班级的字段，与班级文件夹名（如“2026级软件2601班”）核对；默认自动（BH 班号，没有则 BJ 班级）；写 不查 则不核对班级",
    )
    p.add_argument(
        "--grade-field", metavar="字段", help="名单中入学年份的字段（默认自动：RXNY 入学年月、RXRQ 入学日期或 NJ 年级）"
    )
    p.add_argument(
        "--folder-depth",
        metavar="层数",
        help="读入照片目录往下几层子文件夹（班级文件夹）；默认 2（如 学院/班级），0 为只读照片目录本身",
    )
    p.add_argument("--encoding", help="名单的编码（覆盖文件自身的标记）")
    p.add_argument("--out", help="结果目录，默认 ./<照片目录名>_照片核对")
    p.set_defaults(func=_cmd_photos)

    p = sub.add_parser(
        "print",
        help="打印核对表：每班一份学籍信息核对表、每名学生一份学生基本信息核对表（A4 PDF，供签字确认）",
        description="把名单按 学校→年级→班级（高校：学校→院系→专业→班号）排好，写出 A4 PDF：每班一份学籍信息核对表"
        "（页眉学校、年级、班级，“第 x 页 共 y 页”，页脚签字栏），随后每名学生一份学生基本信息核对表（版式的每个字段、"
        "代码值写成名称和代码、照片、更正栏，学生/家长、班主任、学籍管理员、主管领导签字和日期）。核对表印有完整的"
        "个人信息，每次打印记入审计日志。字体随程序附带，任何电脑上打印效果相同。输入文件不会被修改。"
        "退出码：0 已写出；2 无法打印（文件读不了、没有记录、条件没有选中任何学生）。",
    )
    p.add_argument("roster", metavar="名单", help="学生名单（Excel/CSV/DBF：中小学花名册、高校注册上报等）")
    p.add_argument(
        "--photos", metavar="目录", help="照片目录（可含班级子文件夹），照片按身份证号、考生号、学号或学籍号命名"
    )
    p.add_argument(
        "--where",
        action="append",
        metavar="字段=值",
        help="只打印一部分，如 班级=1班,2班 或 BJ=1班（字段写代码或中文名）；可重复，各条件同时满足",
    )
    p.add_argument(
        "--per-school", dest="per_school", action="store_true", help="每所学校一个 PDF（默认全部写在一个 PDF 中）"
    )
    p.add_argument("--layout", help="名单的版式（见 xueji layouts）；不给时按字段自动识别")
    p.add_argument("--encoding", help="名单的编码（CSV、DBF），如 gb18030")
    p.add_argument(
        "--audit-log",
        dest="audit_log",
        metavar="文件",
        help="审计日志文件（默认：环境变量 XUEJI_AUDIT_LOG，没有则为临时目录中的 xueji-audit.jsonl）",
    )
    p.add_argument("--out", metavar="目录", help="输出目录，默认为当前目录下的 <名单文件名>_核对表")
    p.set_defaults(func=_cmd_print)

    p = sub.add_parser(
        "dashboard", help="启动看板（学生查询、名单对比、组合查询、统计）：Voila，只在本机 127.0.0.1，需要访问令牌"
    )
    p.add_argument(
        "--data",
        help="数据目录：其中的 DBF、xlsx、csv 都可查询和对比（默认：合成样例数据，源代码目录中即 data_samples）",
    )
    p.add_argument("--port", type=int, default=8866, help="端口（默认 8866）")
    p.add_argument(
        "--open",
        action="store_true",
        help="服务就绪后在浏览器中打开首页（xueji start 即如此；地址中的令牌不经命令行传递）",
    )
    p.add_argument(
        "--token",
        help="访问令牌（默认：环境变量 XUEJI_DASHBOARD_TOKEN，没有则每次启动随机生成；写在命令行上本机其他用户可见）",
    )
    p.add_argument("--photos", help="照片目录（默认：数据目录中名为 photos 或 照片 的文件夹）")
    p.add_argument("--cache", help="缓存目录（默认：数据目录下的 .xueji_cache）")
    p.add_argument("--audit-log", dest="audit_log", help="审计日志文件（默认：缓存目录下的 audit.jsonl）")
    p.add_argument("--notebooks", help="看板笔记本所在的文件夹（默认：xueji 自带的 notebooks/dashboards）")
    p.add_argument(
        "--pool-size",
        dest="pool_size",
        type=int,
        default=1,
        help="每个看板预先启动好的内核数（默认 1）：设为每个看板同时打开页面的人数，这些人不用等内核启动；"
        "每个内核约 200 MB 加上数据",
    )
    p.add_argument(
        "--kernel-memory",
        dest="kernel_memory",
        type=int,
        metavar="MB",
        help="每个页面（内核）最多可用的内存，超过时该页面提示内存不足，看板和其他人不受影响"
        "（默认：本机内存的四分之一，1536–8192 MB；仅 Linux/macOS）",
    )
    p.add_argument(
        "--upload-max-mb",
        dest="upload_max_mb",
        type=int,
        default=100,
        metavar="MB",
        help="名单对比页面上传文件的大小上限（默认 100 MB）",
    )
    p.add_argument(
        "--upload-max-cells",
        dest="upload_max_cells",
        type=int,
        default=20_000_000,
        metavar="个",
        help="上传文件的单元格（行×列）上限（默认 20,000,000）",
    )
    p.add_argument(
        "--trusted-proxy",
        dest="trusted_proxy",
        action="append",
        default=[],
        metavar="地址",
        help="前置的反向代理的地址或网段（可重复）：只有来自它的请求，审计日志才采用 X-Remote-User、X-Forwarded-For；"
        "默认不信任任何请求头，记为“令牌用户”和连接地址",
    )
    p.set_defaults(func=_cmd_dashboard)

    p = sub.add_parser("layouts", help="列出已知的数据版式")
    p.add_argument("-v", "--verbose", action="store_true", help="同时显示来源和文件位置")
    p.set_defaults(func=_cmd_layouts)

    p = sub.add_parser("codes", help="列出代码表，或显示一个代码表的内容")
    p.add_argument("name", nargs="?", metavar="代码表", help="代码表名，如 mz（民族）")
    p.set_defaults(func=_cmd_codes)

    p = sub.add_parser("samples", help="生成合成样例数据（不含真实个人信息）")
    p.add_argument("--out", default=SAMPLES_FOLDER, help=f"输出目录，默认 {SAMPLES_FOLDER}")
    p.add_argument("--seed", type=int, default=20261123, help="随机种子（同一种子生成完全相同的文件）")
    p.set_defaults(func=_cmd_samples)

    p = sub.add_parser(
        "parquet",
        help="把大的 DBF 一次转换成 Parquet 分块文件（可续转），供 DuckDB / Spark 使用",
        description="按记录范围分块、多进程并行，把 DBF 转换成 <输出目录>/part-00000.parquet …，"
        "另写 _conversion.json 记录源文件和已完成的分块；中断后再次运行只补做缺少的分块。"
        "列 _row 是记录在 read_dbf 结果中的行号。输入文件不会被修改。"
        "退出码：0 转换完成；2 无法转换（文件读不了或不完整、输出目录属于另一个文件、记录数不符）。",
    )
    p.add_argument("file", help="要转换的 DBF 文件")
    p.add_argument("--out", required=True, metavar="目录", help="输出目录（不存在时创建）")
    p.add_argument(
        "--records-per-part",
        dest="records_per_part",
        type=int,
        default=1_000_000,
        metavar="N",
        help="每个分块包含的记录数（按文件中的记录位置计，含已删除记录），默认 1000000",
    )
    p.add_argument("--workers", type=int, default=2, metavar="N", help="同时转换的进程数，默认 2")
    p.add_argument("--encoding", help="指定编码，覆盖文件自身的代码页标记，如 gb18030")
    p.add_argument(
        "--restart",
        action="store_true",
        help="不续转：删除输出目录中已有的分块和 _conversion.json，从头转换（源文件变了时需要）",
    )
    p.set_defaults(func=_cmd_parquet)

    p = sub.add_parser(
        "validate",
        help="上传前校验：分出校验通过 / 数据有误名单，写出校验结果工作簿",
        description="按平台规则校验一个上报文件，写出 校验通过、数据有误（含 JYJG 原因）名单、"
        "校验结果.xlsx 和 summary.json。输入文件不会被修改。",
    )
    p.add_argument("file", help="要校验的 DBF/Excel/CSV 文件")
    p.add_argument("--layout", help="版式名（见 xueji layouts）；不给时按文件的字段自动识别")
    p.add_argument("--year", type=int, help="录取年份，如 2026（文件中没有 LQNF 字段时用）")
    p.add_argument("--category", help="学历类别：10 普通本专科、20 研究生、50 成人本专科、70 网络教育")
    p.add_argument(
        "--school-year",
        dest="school_year",
        type=int,
        metavar="年份",
        help="中小学：学年（秋季学期所在的年份，如 2025）；不给时按入学年月和年级推断，用于核对一年级入学年龄",
    )
    p.add_argument(
        "--others",
        nargs="+",
        action="extend",
        metavar="文件",
        help="同类的其他文件（如其他学校的名单），用来查重复学籍",
    )
    p.add_argument("--out", help="输出目录，默认为当前目录下的 <文件名>_校验结果")
    p.add_argument("--encoding", help="指定输入文件的编码，覆盖文件自身的代码页标记，如 gb18030")
    p.add_argument("--unmask", action="store_true", help="校验结果.xlsx 的“数据有误记录”中显示身份证号等原值")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "reconcile",
        help="录取数据与注册上报核对：资格有误、未注册名单，每条差异说明原因",
        description="按平台的规则（录取年份+学历类别+考生号+姓名+层次，成人本专科另加学习形式）核对注册上报与"
        "录取数据，写出 results.csv、summary.json、资格有误.dbf、未注册.dbf 和 核对结果.xlsx。"
        "输入文件不会被修改。退出码：0 核对已完成；2 无法核对（文件读不了、没有记录、缺考生号字段、参数不对）。",
    )
    p.add_argument("--admission", metavar="文件", help="录取数据（学信网下载的教育部录取名单，DBF/Excel/CSV）")
    p.add_argument("--registration", metavar="文件", help="新生注册上报文件（DBF/Excel/CSV）")
    p.add_argument("--year", metavar="年份", help="录取年份，如 2026（文件中没有 LQNF 字段时用）")
    p.add_argument(
        "--category",
        metavar="类别",
        help="学历类别：10 普通本专科、20 研究生、50 成人本专科、70 网络教育（文件中没有 XLLB 字段时用）",
    )
    p.add_argument(
        "--states",
        metavar="文件",
        help="新生状态名单（报到入学/保留/放弃/取消入学资格，上传前下载的）：把未注册的考生按状态分开，"
        "并找出注册上报中已报到入学或已保留/放弃/取消入学资格、平台不会再注册的学生",
    )
    p.add_argument("--out", metavar="目录", help="输出目录，默认为当前目录下的 <注册上报文件名>_核对结果")
    p.add_argument("--encoding", help="指定输入文件的编码，覆盖文件自身的代码页标记，如 gb18030")
    p.add_argument("--unmask", action="store_true", help="核对结果.xlsx 中显示身份证号等原值（默认遮盖）")
    _engine_argument(p)
    p.set_defaults(func=_cmd_reconcile)

    p = sub.add_parser(
        "compare",
        help="名单对比：两个学期（或学校与教育局）的花名册，找出新增、减少、变化、调动、重复和疑似流失",
        description="对比两份学生名单，用学籍异动名单说明减少和新增，写出 results.csv、summary.json 和 "
        "对比结果.xlsx（疑似流失名单按学校排列）。输入文件不会被修改。"
        "退出码：0 对比已完成；2 无法对比（文件读不了、没有记录、缺学籍号/身份证件号字段、参数不对）。",
    )
    p.add_argument("old", help="旧名单（如上学期的花名册，Excel/CSV/DBF）")
    p.add_argument("new", help="新名单（如本学期的花名册）")
    p.add_argument("--changes", metavar="文件", help="这段时间的学籍异动名单（转入、转出、休学、复学、退学、死亡……）")
    p.add_argument(
        "--key",
        metavar="字段",
        help="按哪个字段对应学生：XJH（学籍号，两份名单都有时默认）、SFZJH/SFZH（身份证件号），"
        "或两份名单都有的其他字段，如高校的 XH（学号）、KSH（考生号）",
    )
    p.add_argument(
        "--changes-layout",
        metavar="版式",
        help="异动名单的版式：k12_changes（中小学，默认）或 hei_changes（高校学籍异动；名单是高校版式时默认）",
    )
    p.add_argument(
        "--graduates",
        action="store_true",
        help="两份名单是毕业生名单：毕业生的姓名、性别、出生日期、身份证号变更列为“不予变更”",
    )
    p.add_argument(
        "--as-of",
        metavar="日期",
        help="更正的日期，如 2026-09-01（默认今天）：入学已超过一个学期的学生，姓名等须证明材料的变更另加逾期更正的说明",
    )
    p.add_argument(
        "--ignore",
        action="append",
        metavar="字段",
        help="不比较的字段代码，逗号分隔，如 NJ 或 NJ,BJ（跨学年对比时每个学生的年级都会变，不忽略就全部算作调动）",
    )
    p.add_argument("--out", metavar="目录", help="输出目录，默认为当前目录下的 <新名单文件名>_对比结果")
    p.add_argument("--encoding", help="指定输入文件的编码（CSV、DBF），如 gb18030")
    p.add_argument(
        "--unmask", action="store_true", help="对比结果.xlsx 的名单中显示学籍号、身份证件号、电话、地址原值（默认遮盖）"
    )
    _engine_argument(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "dupes",
        help="疑似重复学生：同一学生录入两次（身份证号错一位、相邻两位颠倒、缺号码，或同一号码两个姓名），按学校列出",
        description="在一份或多份名单中（一所学校、全县、全省）找出疑似同一学生的两条记录：姓名、出生日期（两条都有时"
        "还有性别）相同而身份证号只差一位、相邻两位颠倒、一条或两条没有号码，以及同一身份证号对应两个姓名。每对写明"
        "行号和原因，能由校验位判断时说明哪条可能录错；写出 疑似重复学生信息表.xlsx、按学校分开的工作簿和 summary.json。"
        "输入文件不会被修改。退出码：0 查找已完成（找到重复也是 0）；2 无法查找（文件读不了、没有记录、没有姓名字段）。",
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="文件",
        help="一份或多份名单（Excel/CSV/DBF，或 xueji parquet 转换的文件夹）；给多份时也查跨文件的重复",
    )
    p.add_argument("--out", metavar="目录", help="输出目录，默认为当前目录下的 <第一个文件名>_疑似重复")
    p.add_argument("--encoding", help="指定输入文件的编码（CSV、DBF），如 gb18030")
    p.add_argument("--unmask", action="store_true", help="信息表中显示身份证号原值（默认遮盖）")
    _engine_argument(p)
    p.set_defaults(func=_cmd_dupes)

    p = sub.add_parser(
        "merge",
        help="把修改后重新校验通过的记录并入第一次的校验通过名单，得到一个上传文件（不重复、不丢记录）",
        description="数据有误的记录在 数据有误_修改用.xlsx 中改好、用 xueji validate 重新校验后，把第二次的 校验通过.dbf "
        "并入第一次的，写出一个可上传的 DBF：第一次通过 + 新通过 = 合并后条数；考生号（或学号、身份证号）已在第一次名单中的"
        "记录不重复并入，并逐条说明。输入文件不会被修改。退出码：0 已合并；2 无法合并（文件读不了、版式不同、输出已存在）。",
    )
    p.add_argument("first", help="第一次校验写出的 校验通过.dbf")
    p.add_argument("second", help="修改后重新校验写出的 校验通过.dbf")
    p.add_argument("--out", required=True, metavar="文件", help="合并后的上传文件，如 上传.dbf")
    p.add_argument("--layout", help="两份名单的版式（默认按字段自动识别）")
    p.add_argument("--force", action="store_true", help="输出文件已存在时覆盖")
    p.set_defaults(func=_cmd_merge)

    p = sub.add_parser(
        "handoff",
        help="毕业生去向：上一学段的毕业生（小学六年级、初三）在下一学段各校新生中找到了谁、谁哪里都没有入学",
        description="用学籍号、身份证件号（再用姓名+性别+出生日期）在新生名单中找毕业生，写出 去向核对.xlsx（未找到的"
        "毕业生按学校排列，即需要追查去向的学生；来自其他地方的新生）和 summary.json。输入文件不会被修改。"
        "退出码：0 核对已完成；2 无法核对（文件读不了、缺学籍号/身份证件号/姓名字段、参数不对）。",
    )
    p.add_argument("graduates", help="毕业生名单（如各小学的六年级毕业生，Excel/CSV/DBF）")
    p.add_argument("intake", help="新生名单（如各初中的初一新生）")
    p.add_argument(
        "--key", metavar="字段", help="先按哪个字段找：XJH（学籍号，两份名单都有时默认）或 SFZJH（身份证件号）"
    )
    p.add_argument("--out", metavar="目录", help="输出目录，默认为当前目录下的 <毕业生名单文件名>_去向核对")
    p.add_argument("--encoding", help="指定输入文件的编码（CSV、DBF），如 gb18030")
    p.add_argument("--unmask", action="store_true", help="去向核对.xlsx 中显示学籍号、身份证件号原值（默认遮盖）")
    _engine_argument(p)
    p.set_defaults(func=_cmd_handoff)

    p = sub.add_parser(
        "report",
        help="运行报告笔记本，生成离线 HTML 报告、表格工作簿和运行记录",
        description="运行一个报告（如 新生注册核对报告），结果写到 <输出目录>/<报告名>/<日期时间>-<编号>/："
        "report.html、report.ipynb、tables.xlsx、manifest.json。参数在运行前检查。"
        "退出码：0 成功；2 参数不对或运行失败（失败时保留含错误的 report.ipynb）。",
    )
    p.add_argument("name", nargs="?", metavar="报告名", help="报告名，如 新生注册核对报告（用 --samples 时可省略）")
    p.add_argument(
        "--samples",
        action="store_true",
        help="用合成样例数据运行（没有时先生成）：不给报告名时三份报告都运行；-p 可改其中的参数",
    )
    p.add_argument(
        "-p",
        "--param",
        dest="params",
        nargs=2,
        action="append",
        metavar=("名称", "值"),
        help="报告参数，可重复，如 -p admission 录取名单.dbf -p year 2026 -p school_code 00123",
    )
    p.add_argument("--out", default="reports", metavar="目录", help="报告的根目录，默认 reports")
    _engine_argument(p)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "schedule",
        help="按 YAML 文件依次运行多个报告（可用通配符取最新的输入文件），供 cron 定时运行",
        description="读取 YAML 文件中的运行列表（每项 report、params，可选 out），先检查全部项，再依次运行；"
        "输入文件可写通配符（如 data/*注册上报*.dbf），运行时取最新的文件；相对路径以 YAML 文件所在目录为准。"
        "某项失败时继续运行其余各项。退出码：0 全部成功；1 有运行失败；2 文件有误（未运行任何报告）。",
    )
    p.add_argument("file", help="定时运行文件（YAML），如 每周报表.yml")
    p.set_defaults(func=_cmd_schedule)

    p = sub.add_parser(
        "lab",
        help="打开 JupyterLab（只在本机 127.0.0.1，需要访问令牌），内核 Python (xueji)，根目录 notebooks/",
        description="注册内核 xueji（本环境的 Python，可以 import xueji_lib），然后以 notebooks/ 为根目录启动 "
        "JupyterLab；打印含访问令牌的地址，有桌面时打开浏览器。make lab 运行的就是这个命令。",
    )
    p.add_argument("--port", type=int, help="端口（默认 8888，被占用时往后找空闲端口）")
    p.add_argument("--token", help="访问令牌（默认：环境变量 JUPYTER_TOKEN，否则每次启动随机生成）")
    p.add_argument("--root", help="根目录（默认 xueji 的 notebooks/）")
    p.add_argument("--no-browser", dest="browser", action="store_false", default=None, help="不打开浏览器")
    p.add_argument("--allow-root", action="store_true", help="允许以 root 身份运行（如容器中；一般不需要）")
    p.set_defaults(func=_cmd_lab)

    p = sub.add_parser(
        "start",
        help="打开学籍工作台：启动看板并在浏览器中打开首页（只在本机 127.0.0.1，带访问令牌）；关闭窗口即停止",
        description="桌面快捷方式“学籍工作台”运行的就是这个命令。数据目录默认为当前目录下的 数据 文件夹"
        "（其中有文件时），否则为合成样例数据（没有时先生成）。按 Ctrl+C 或关闭窗口即停止服务。",
    )
    p.add_argument("--data", metavar="目录", help="数据目录（默认：./数据，为空时用样例数据）")
    p.add_argument("--port", type=int, default=8866, help="端口（默认 8866）")
    p.add_argument("--lab", action="store_true", help="改为打开 JupyterLab（笔记本、报告和导览）")
    p.set_defaults(func=_cmd_start)
    return parser


def _console_safe() -> None:
    """Output through a code page that lacks some characters — GBK when cmd.exe or PowerShell on a Chinese
    Windows redirects it to a file or a pipe, or PYTHONIOENCODING=gbk — writes such a character (a rare name's
    𬌗, a file name's emoji) as "?" instead of failing with UnicodeEncodeError. A UTF-8 stream, and the Windows
    console itself (Python writes it as UTF-16), are left as they are."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Ctrl+C or SIGTERM ends it with one line on stderr (what was kept) and exit 130 / 143;
    the output folder keeps the previous run's files, and no temporary file or worker process is left."""
    _RUN.clear()
    _RUN["started"] = time.time()  # for the check history's duration (reporting.history)
    _console_safe()
    serving = False
    # from the start: a signal while the arguments are read (and the command's modules imported) is said too;
    # the console script (xueji_entry) covers the imports before this
    with _signals_handled() as restore:
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
            if not getattr(args, "func", None):
                parser.print_help()
                return 2
            # the servers (lab, dashboard) keep their own way of stopping on Ctrl+C: the handlers from before
            serving = getattr(args, "command", None) in ("lab", "dashboard")
            if serving:
                restore()
            return _main(args)
        except KeyboardInterrupt as exc:
            if serving and not isinstance(exc, _Interrupted):
                raise
            signum = exc.signum if isinstance(exc, _Interrupted) else signal.SIGINT
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
            print(f"\n{_interrupted_message()}", file=sys.stderr, flush=True)
            return 128 + int(signum)


def _main(args: argparse.Namespace) -> int:
    try:
        _check_encoding(getattr(args, "encoding", None))
        return args.func(args)
    except (XuejiError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and closed early
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(exit_code_kept(main()))
