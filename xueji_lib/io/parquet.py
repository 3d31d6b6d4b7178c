"""Convert a large DBF once into a folder of Parquet parts, in parallel by record ranges.

    >>> import xueji_lib as xj
    >>> conv = xj.dbf_to_parquet("注册上报.dbf", "注册上报_parquet", workers=2)     # doctest: +SKIP
    >>> print(conv)                                                                 # doctest: +SKIP
    >>> df = pd.read_parquet("注册上报_parquet")   # or DuckDB read_parquet('…/*.parquet'), spark.read.parquet

The folder holds ``part-00000.parquet``, ``part-00001.parquet`` … — part *i* holds the live records among
the DBF's records ``i × records_per_part`` up to the next part (positions in the file, deleted records
included) — and ``_conversion.json``, the manifest: the source's fingerprint (path, size, mtime_ns,
header record count, header length, record length) and every finished part (record range, live and
deleted counts, file name and size, the load warnings of its records). Readers of the folder (pandas,
pyarrow, DuckDB, Spark) skip names that start with ``_`` or ``.``, so they see only finished parts.

Each part is read with ``read_dbf(path, records=(start, stop))`` in a worker process (started with
"spawn": in a script, call dbf_to_parquet under ``if __name__ == "__main__":``, as for any
multiprocessing; notebooks and the ``xueji parquet`` command need nothing), written under a
temporary ``.part-…tmp`` name and renamed into place, and only then entered in the manifest. A second run
with the same source skips the finished parts whose file is still there with the recorded size, so an
interrupted conversion resumes where it stopped. A folder made from a different source is an error
unless ``resume=False`` (then its parts are replaced). At the end the parts' row counts (from the Parquet
footers) plus the deleted records must add up to the DBF's record count.

Columns and types are read_dbf's, in its order, after a first column ``_row``: the record's row number
as read_dbf numbers it (1-based among the live records), the ``row`` of validate / reconcile results, so
a result computed on the Parquet folder names the same row as one computed on the DBF. Differences from
read_dbf's frame: D fields are stored as timestamp[ms] (Parquet has no unit of seconds; read_dbf gives
datetime64[s]); memo and other object columns are stored as string / binary / decimal. An N field's type
(int64, Int64, float64 or Float64) depends on all of its values, so for a file with N fields their
columns are first read over the whole file, once, and every part gets that type.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from ..core.errors import XuejiError
from ..core.files import atomic_path, signals_deferred, write_atomic_text
from .dbf import inspect_dbf, read_dbf
from .loadinfo import LoadWarning, WarningTally, load_report

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from ..core.progress import ProgressArg

__all__ = [
    "dbf_to_parquet",
    "ParquetConversion",
    "ParquetConversionError",
    "ParquetCountError",
    "MANIFEST_NAME",
    "ROW_COLUMN",
    "read_parquet_folder",
    "read_parquet_rows",
    "parquet_parts",
    "parquet_shape",
    "is_parquet_folder",
]

MANIFEST_NAME = "_conversion.json"
ROW_COLUMN = "_row"
PART_NAME = "part-{:05d}.parquet"
MANIFEST_FORMAT = 1
_BROKEN = (
    "转换进程意外退出（可能是内存不足：可减小 records_per_part 或 workers；在 Python 脚本中调用时，"
    '须放在 if __name__ == "__main__": 之下，因为工作进程会重新导入该脚本）。已完成的部分已记录，'
    "再次运行会接着转换。"
)
_OBJECT_TYPES = {"Y": pa.decimal128(20, 4), "M": pa.large_string()}  # anything else that is object: bytes


class ParquetConversionError(XuejiError, ValueError):
    """The output folder cannot take this conversion (made from another source, unknown parts).

    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "parquet")
    >>> conv = xj.dbf_to_parquet("data_samples/hei/10_注册上报.dbf", out)
    >>> try:
    ...     xj.dbf_to_parquet("data_samples/hei/10_录取名单.dbf", out)         # another file into the same folder
    ... except xj.ParquetConversionError as exc:
    ...     print(exc)
    输出目录 ...：目录中已有由 ... 转换的结果...
    """

    def __init__(self, out_dir, source, problem: str):
        self.out_dir = str(out_dir)
        self.source = str(source)
        self.problem = problem
        super().__init__(f"输出目录 {self.out_dir}（源文件 {self.source}）：{problem}")

    def __reduce__(self):  # picklable, so that a worker process can send it back
        return type(self), (self.out_dir, self.source, self.problem)


class ParquetCountError(XuejiError, ValueError):
    """The parts do not account for every record of the DBF (live + deleted ≠ the record count).

    >>> try:                                                        # doctest: +SKIP
    ...     conv = xj.dbf_to_parquet("注册上报.dbf", "注册上报_parquet")
    ... except xj.ParquetCountError as exc:
    ...     print(exc)                 # which parts hold how many records, against the header's count
    """

    def __init__(self, path, expected: int, got: int, detail: str = ""):
        self.path = str(path)
        self.expected = expected
        self.got = got
        self.detail = detail
        super().__init__(
            f"文件 {self.path}：转换结果的记录数不符：文件共有 {expected} 条记录，"
            f"各部分合计 {got} 条（有效 + 已删除）{detail}。转换结果不完整，请用 resume=False"
            "（命令行 --restart）重新转换。"
        )

    def __reduce__(self):
        return type(self), (self.path, self.expected, self.got, self.detail)


# ------------------------------------------------------------------------------------------------ result


@dataclass(frozen=True)
class ParquetConversion:
    """What ``dbf_to_parquet`` wrote: ``parts`` (the part files, in record order), ``records`` (live records
    written), ``deleted`` (deleted records left out), ``header_records`` (the DBF header's count; records
    past it that read_dbf also reads are ``extra_records``), ``seconds``; ``written`` / ``reused`` parts
    (reused: finished by an earlier run), the ``encoding`` used and the load ``warnings``.
    Conservation: records + deleted == header_records + extra_records.

    >>> import os, tempfile
    >>> conv = xj.dbf_to_parquet("data_samples/hei/10_注册上报.dbf", os.path.join(tempfile.mkdtemp(), "parquet"))
    >>> conv.records, conv.deleted, conv.header_records, len(conv.parts)
    (995, 0, 995, 1)
    """

    source: str
    out_dir: str
    parts: tuple[str, ...]
    records: int
    deleted: int
    header_records: int
    seconds: float
    extra_records: int = 0
    records_per_part: int = 0
    written: int = 0
    reused: int = 0
    encoding: str = ""
    warnings: tuple[LoadWarning, ...] = field(default=(), repr=False)

    def summary(self) -> str:
        total = self.header_records + self.extra_records
        head = f"文件头记录数 {self.header_records}" + (
            f" + 文件头之后的 {self.extra_records} 条" if self.extra_records else ""
        )
        lines = [
            f"DBF 转 Parquet：{self.source}",
            f"输出目录：{self.out_dir}（{len(self.parts)} 个部分，每部分 {self.records_per_part} 条记录，"
            f"编码 {self.encoding}）",
            f"{head} = 有效记录 {self.records} + 已删除 {self.deleted} = {total} 条，全部核对一致。",
            f"本次写入 {self.written} 个部分，沿用上次已完成的 {self.reused} 个部分；用时 {self.seconds:.1f} 秒。",
            f"列 {ROW_COLUMN} 是记录在 read_dbf 结果中的行号（从 1 起），与校验、核对结果中的行号一致。",
        ]
        if self.warnings:
            lines.append(f"读取时发现的问题（{len(self.warnings)} 类）：")
            lines.extend(f"  {w}" for w in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "out_dir": self.out_dir,
            "parts": list(self.parts),
            "records": self.records,
            "deleted": self.deleted,
            "header_records": self.header_records,
            "extra_records": self.extra_records,
            "records_per_part": self.records_per_part,
            "written": self.written,
            "reused": self.reused,
            "encoding": self.encoding,
            "seconds": round(self.seconds, 3),
            "warnings": [_warning_dict(w) for w in self.warnings],
        }


# ------------------------------------------------------------------------------------------------ convert


def dbf_to_parquet(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    records_per_part: int = 1_000_000,
    workers: int = 2,
    encoding: str | None = None,
    resume: bool = True,
    progress: ProgressArg = None,
) -> ParquetConversion:
    """Convert the DBF ``path`` into ``out_dir/part-00000.parquet`` … (``records_per_part`` records of the
    file per part, deleted ones counted) with ``workers`` processes; see the module docstring.

    ``encoding`` as in read_dbf. ``resume=False`` replaces whatever conversion the folder holds.
    ``progress`` as in read_dbf (records converted). Raises ``TruncatedFileError`` for a cut-off DBF
    (as read_dbf does), ``ParquetConversionError`` when the folder holds another source's conversion,
    ``ParquetCountError`` when the parts do not add up to the file's record count.

    >>> conv = xj.dbf_to_parquet("注册上报.dbf", "注册上报_parquet", workers=4)     # doctest: +SKIP
    >>> pd.read_parquet("注册上报_parquet").shape[0] == conv.records               # doctest: +SKIP
    True
    """
    from ..core.progress import Progress

    t0 = time.perf_counter()
    path, out = Path(path), Path(out_dir)
    if int(records_per_part) < 1:
        raise ValueError(f"records_per_part 应为正整数，而不是 {records_per_part!r}")
    if int(workers) < 1:
        raise ValueError(f"workers 应为正整数，而不是 {workers!r}")
    records_per_part, workers = int(records_per_part), int(workers)
    header = inspect_dbf(path)
    # A read of no records checks the file as read_dbf does (truncation, memo file) and gives the encoding,
    # the columns and the record count (the header's plus complete records past it).
    probe = read_dbf(path, encoding, records=(0, 0))
    rep = load_report(probe)
    nrec, enc = int(rep.extra["file_records"]), rep.encoding
    source = _fingerprint(path, header)

    if out.exists() and not out.is_dir():
        raise ParquetConversionError(out, path, "这是一个文件，不是目录；请给一个目录（不存在时会创建）。")
    out.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(out)
    if not resume:
        _clear(out)
        manifest = None
    elif manifest is not None and manifest.get("source") != source:
        old = (manifest.get("source") or {}).get("path", "?")
        raise ParquetConversionError(
            out,
            path,
            f"目录中已有由 {old} 转换的结果（_conversion.json 记录的文件路径、大小、修改时间或记录数"
            "与本次的源文件不同）。请换一个输出目录，或用 resume=False（命令行 --restart）替换其中的结果。",
        )
    elif manifest is None and any(out.glob("part-*.parquet")):
        raise ParquetConversionError(
            out,
            path,
            "目录中已有 part-*.parquet 文件，但没有 _conversion.json，不知道它们来自哪个文件。"
            "请换一个输出目录，或用 resume=False（命令行 --restart）替换。",
        )
    for tmp in out.glob(".part-*.tmp"):  # left by an interrupted run
        tmp.unlink()

    plan = [(i, r0, min(r0 + records_per_part, nrec)) for i, r0 in enumerate(range(0, nrec, records_per_part))]
    plan = plan or [(0, 0, 0)]  # an empty file still gets one (empty) part: the folder keeps its columns
    names = {PART_NAME.format(i) for i, _, _ in plan}
    for stale in out.glob("part-*.parquet"):  # parts of an earlier plan (another records_per_part)
        if stale.name not in names:
            stale.unlink()

    if manifest is not None and manifest.get("encoding") == enc and "dtypes" in manifest:
        dtypes = manifest["dtypes"]
    else:
        dtypes = _number_dtypes(path, enc, header)
    earlier = {
        p["file"]: p
        for p in (manifest or {}).get("parts", [])
        if manifest.get("encoding") == enc and manifest.get("dtypes") == dtypes
    }
    done: dict[str, dict] = {}
    for i, r0, r1 in plan:
        name = PART_NAME.format(i)
        p = earlier.get(name)
        if p and p.get("records") == [r0, r1] and (out / name).is_file() and (out / name).stat().st_size == p["size"]:
            done[name] = p
    state = {
        "format": MANIFEST_FORMAT,
        "source": source,
        "encoding": enc,
        "records_per_part": records_per_part,
        "file_records": nrec,
        "dtypes": dtypes,
        "parts": [],
    }

    def save():
        state["parts"] = [done[n] for n in sorted(done)]
        _write_json(out / MANIFEST_NAME, state)

    save()
    schema = _schema(probe, dtypes, header)
    todo = [(i, r0, r1) for i, r0, r1 in plan if PART_NAME.format(i) not in done]
    # the caller's encoding, not the one chosen: each read chooses it the same way and says so (code page notes)
    jobs = [
        dict(
            path=str(path),
            encoding=encoding,
            start=r0,
            stop=r1,
            out_dir=str(out),
            name=PART_NAME.format(i),
            dtypes=dtypes,
            schema=schema,
        )
        for i, r0, r1 in todo
    ]
    task = Progress(progress, f"转换 {path.name}", total=nrec)
    task.update(sum(p["records"][1] - p["records"][0] for p in done.values()))
    try:
        if workers == 1 or len(jobs) <= 1:
            for job in jobs:
                entry = _convert_part(job)
                done[entry["file"]] = entry
                save()
                task.advance(entry["records"][1] - entry["records"][0])
        else:
            ctx = multiprocessing.get_context("spawn")  # no fork of a process with pyarrow's threads
            pool = ProcessPoolExecutor(
                min(workers, len(jobs)), mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
            )
            pending: set = set()
            try:
                with signals_deferred():  # a worker cut while it starts prints a traceback of its own
                    pending = {pool.submit(_convert_part_in_worker, job) for job in jobs}
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    failed = [f for f in finished if f.exception() is not None]
                    for fut in finished:
                        if fut.exception() is None:
                            entry = fut.result()
                            done[entry["file"]] = entry
                            task.advance(entry["records"][1] - entry["records"][0])
                    save()  # each part as it finishes (progress and resuming follow), even when another one failed
                    if failed:
                        raise failed[0].exception()
            except BrokenProcessPool as exc:
                _stop_workers(pool, out)
                raise ParquetConversionError(out, path, _BROKEN) from exc
            except BaseException:  # a failed part, Ctrl+C, SIGTERM (as an exception): keep what finished, end the rest
                for fut in pending:
                    if fut.done() and not fut.cancelled() and fut.exception() is None:
                        entry = fut.result()
                        done[entry["file"]] = entry
                save()
                _stop_workers(pool, out)
                raise
            pool.shutdown(wait=True)
    finally:
        task.close()

    if _fingerprint(path, inspect_dbf(path)) != source:
        raise ParquetConversionError(
            out,
            path,
            "源文件在转换过程中被修改了（大小或修改时间变了），转换结果作废，"
            "请在文件不再变化时用 resume=False（命令行 --restart）重新转换。",
        )
    entries = [done[PART_NAME.format(i)] for i, _, _ in plan]
    records, deleted = _check_counts(path, out, entries, nrec)
    return ParquetConversion(
        source=str(path),
        out_dir=str(out),
        parts=tuple(str(out / e["file"]) for e in entries),
        records=records,
        deleted=deleted,
        header_records=header.records,
        seconds=time.perf_counter() - t0,
        extra_records=nrec - header.records,
        records_per_part=records_per_part,
        written=len(jobs),
        reused=len(plan) - len(jobs),
        encoding=enc,
        warnings=_merge_warnings([e.get("warnings", []) for e in entries]),
    )


def _worker_init(parent: int) -> None:
    """In each worker: Ctrl+C in the terminal reaches the whole process group, but only the parent decides
    (it ends the workers); on Linux the worker is also ended when the parent dies without ending it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # started while the parent held signals back: it inherits the mask
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the parent still ends its workers
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _stop_workers(pool: ProcessPoolExecutor, out: Path) -> None:
    """End the pool's worker processes now (a running part is abandoned, not waited for) and remove the
    temporary files they leave; the finished parts stay, entered in the manifest, for the next run."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(5)
        if proc.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
            proc.kill()
            proc.join()
    for tmp in out.glob(".part-*.tmp"):
        tmp.unlink(missing_ok=True)


def _convert_part_in_worker(job: dict) -> dict:
    """``_convert_part`` in a worker process: xueji's errors carry structured arguments and do not pickle,
    so one is sent back as a ParquetConversionError with its message (which names the file and the row)."""
    try:
        return _convert_part(job)
    except XuejiError as exc:
        raise ParquetConversionError(
            job["out_dir"], job["path"], f"转换记录 {job['start']}–{job['stop']} 时出错：{exc}"
        ) from None


def _convert_part(job: dict) -> dict:
    """Worker: read one record range, write it to a temporary name, rename it into place."""
    import pyarrow.parquet as pq

    out = Path(job["out_dir"])
    df = read_dbf(job["path"], job["encoding"], records=(job["start"], job["stop"]))
    rep = load_report(df)
    df.attrs.clear()
    df = _shape(df, job["dtypes"])
    table = pa.Table.from_pandas(df, schema=job["schema"], preserve_index=False)
    with atomic_path(out / job["name"]) as tmp:  # .part-….tmp until written, then renamed into place
        pq.write_table(table, tmp, compression="zstd", coerce_timestamps="ms")
    return {
        "file": job["name"],
        "records": [job["start"], job["stop"]],
        "live": len(df),
        "deleted": rep.deleted,
        "size": (out / job["name"]).stat().st_size,
        "warnings": [_warning_dict(w) for w in rep.warnings],
    }


def _shape(df: pd.DataFrame, dtypes: dict) -> pd.DataFrame:
    """``_row`` first (1-based row numbers from the index read_dbf gave), N columns in the whole file's type."""
    for name, dtype in dtypes.items():
        if name in df.columns and str(df[name].dtype) != dtype:
            df[name] = df[name].astype(dtype)
    rows = pd.Series(np.asarray(df.index, dtype=np.int64) + 1, index=df.index, name=ROW_COLUMN)
    return pd.concat([rows, df], axis=1)


def _number_dtypes(path: Path, encoding: str, header) -> dict:
    """The type read_dbf gives each N field over the whole file (it depends on every value: a blank makes
    Int64, a decimal point float64): read those columns once, nothing else."""
    names = sorted({f.name for f in header.fields if f.type == "N"})
    if not names:
        return {}
    whole = read_dbf(path, encoding, columns=names)
    return {c: str(whole[c].dtype) for c in whole.columns}


def _schema(probe: pd.DataFrame, dtypes: dict, header) -> pa.Schema:
    """The Arrow schema every part is written with (so that the parts of a folder agree)."""
    empty = _shape(probe.copy(), dtypes)
    empty.attrs.clear()
    schema = pa.Schema.from_pandas(empty, preserve_index=False)
    types = {f.name: f.type for f in header.fields}
    for i, name in enumerate(empty.columns):
        if empty[name].dtype == object:
            t = _OBJECT_TYPES.get(types.get(name, ""), pa.large_binary())
            schema = schema.set(i, pa.field(name, t))
    return schema


def _check_counts(path, out: Path, entries: list[dict], nrec: int) -> tuple[int, int]:
    import pyarrow.parquet as pq

    live = deleted = 0
    for e in entries:
        rows = pq.read_metadata(out / e["file"]).num_rows
        if rows != e["live"]:
            raise ParquetCountError(
                path,
                nrec,
                live + deleted + rows + e["deleted"],
                f"（{e['file']} 中有 {rows} 行，_conversion.json 记为 {e['live']} 条有效记录）",
            )
        live += rows
        deleted += e["deleted"]
    if live + deleted != nrec:
        raise ParquetCountError(path, nrec, live + deleted, f"（有效 {live} + 已删除 {deleted}）")
    return live, deleted


def read_parquet_folder(out_dir: str | os.PathLike) -> pd.DataFrame:
    """The frame ``read_dbf`` gives for the source DBF, read back from a finished ``dbf_to_parquet`` folder
    (the ``_row`` column dropped, rows in file order). An error when the conversion is not complete (run it
    again: it resumes) or the source DBF has changed since.

        >>> df = read_parquet_folder("全省学生名单.parquet")          # doctest: +SKIP
    """
    import pyarrow.parquet as pq

    files = parquet_parts(out_dir)
    table = pa.concat_tables([pq.read_table(f) for f in files]) if files else None
    df = table.to_pandas() if table is not None else pd.DataFrame()
    return df.drop(columns=[ROW_COLUMN], errors="ignore").reset_index(drop=True)


def parquet_parts(out_dir: str | os.PathLike) -> list[Path]:
    """The part files of a finished ``dbf_to_parquet`` folder, in record order — what an engine reads
    (``reconcile`` given the folder). An error when the conversion is not complete or the DBF has changed."""
    out = Path(out_dir)
    manifest = _read_manifest(out)
    if not manifest or not manifest.get("source"):
        raise ParquetConversionError(
            out, "（未知）", "不是 xueji parquet 转换得到的文件夹（没有可读的 _conversion.json）"
        )
    parts = sorted(manifest.get("parts", []), key=lambda p: p["records"][0])
    covered, pos = True, 0
    for p in parts:
        covered &= p["records"][0] == pos and (out / p["file"]).is_file()
        pos = p["records"][1]
    src = Path(manifest["source"]["path"])
    if not covered or pos < manifest.get("file_records", 0):
        raise ParquetConversionError(out, src, "转换还没有完成：请再运行一次 xueji parquet（会接着转换缺少的部分）")
    if src.is_file():
        st = src.stat()
        if (st.st_size, st.st_mtime_ns) != (manifest["source"]["size"], manifest["source"]["mtime_ns"]):
            raise ParquetConversionError(out, src, "DBF 文件在转换之后改动过：请用 xueji parquet --restart 重新转换")
    return [out / p["file"] for p in parts]


def is_parquet_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder written by ``dbf_to_parquet`` (it has the manifest)."""
    p = Path(path)
    return p.is_dir() and (p / MANIFEST_NAME).is_file()


def parquet_shape(out_dir: str | os.PathLike) -> tuple[int, list[str]]:
    """(records, column names without ``_row``) of a finished folder, from the Parquet footers only."""
    import pyarrow.parquet as pq

    files = parquet_parts(out_dir)
    if not files:
        return 0, []
    names = [n for n in pq.read_schema(files[0]).names if n != ROW_COLUMN]
    return sum(pq.read_metadata(f).num_rows for f in files), names


def read_parquet_rows(out_dir: str | os.PathLike, rows: ArrayLike) -> pd.DataFrame:
    """The records with the given row numbers (1-based, as in results; in the order given) from a finished
    folder, as ``read_parquet_folder`` would give them — reading only the row groups that hold them. How the
    lists of a reconciliation over a converted folder get their records without loading the whole file."""
    import pyarrow.dataset as ds

    wanted = np.asarray(rows, dtype=np.int64)
    table = ds.dataset([str(f) for f in parquet_parts(out_dir)], format="parquet").to_table(
        filter=ds.field(ROW_COLUMN).isin(pa.array(np.unique(wanted)))
    )
    got = table.column(ROW_COLUMN).to_numpy()
    order = np.argsort(got)
    pos = np.minimum(np.searchsorted(got[order], wanted), max(len(got) - 1, 0))
    if len(wanted) and (not len(got) or (got[order][pos] != wanted).any()):
        missing = sorted(set(wanted.tolist()) - set(got.tolist()))[:5]
        source = (_read_manifest(Path(out_dir)) or {}).get("source", {}).get("path", "（未知）")
        raise ParquetConversionError(out_dir, source, f"转换结果中没有第 {'、'.join(map(str, missing))} 行")
    picked = table.take(pa.array(order[pos])) if len(wanted) else table.slice(0, 0)
    return picked.drop_columns([ROW_COLUMN]).to_pandas()


# ------------------------------------------------------------------------------------------------ helpers


def _fingerprint(path: Path, header) -> dict:
    st = path.stat()
    return {
        "path": str(path.resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "header_records": header.records,
        "header_length": header.header_length,
        "record_length": header.record_length,
    }


def _read_manifest(out: Path) -> dict | None:
    p = out / MANIFEST_NAME
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"source": None}  # unreadable: treated as another source's
    return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else {"source": None}


def _write_json(target: Path, data: dict) -> None:
    write_atomic_text(target, json.dumps(data, ensure_ascii=False, indent=1), suffix=".json-tmp")


def _clear(out: Path) -> None:
    for p in [*out.glob("part-*.parquet"), *out.glob(".part-*.tmp"), out / MANIFEST_NAME]:
        if p.is_file():
            p.unlink()


def _warning_dict(w: LoadWarning) -> dict:
    return {
        "code": w.code,
        "message": w.message,
        "field": w.field,
        "count": w.count,
        "examples": [list(e) for e in w.examples],
    }


def _merge_warnings(per_part: list[list[dict]]) -> tuple[LoadWarning, ...]:
    """The parts' warnings as one read of the whole file reports them: counts added, examples in row order."""
    tally = WarningTally()
    for warnings in per_part:
        for w in warnings:
            tally.add_counted(
                w["code"], w["field"], w["message"], w["count"], [(int(r), f, v) for r, f, v in w["examples"]]
            )
    return tally.result()
