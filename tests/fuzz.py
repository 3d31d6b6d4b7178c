"""Mutated files for the readers' contract: ``read_dbf`` / ``read_table`` return a DataFrame or raise a
``XuejiError`` naming the file — never another exception, a hang, a crash or memory out of proportion.

Files are mutated from a fixed seed (byte flips, truncations, inserted and duplicated blocks, header field
corruptions; for a workbook the same inside its sheet XML and shared strings, re-zipped) and read in a child
process under a memory limit (``RLIMIT_AS``) and a time limit per file. One child reads many files in turn
(importing pandas once); when it dies or hangs, the file it was reading is the finding and a new child
goes on from the next one.

    python -m tests.fuzz --count 3000 --seed 1      # what ``make fuzz`` runs
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEMORY_LIMIT = 3 << 30  # address space of the reading child: the interpreter with pandas/pyarrow takes ~1.4 GB
TIME_LIMIT = 10.0  # seconds per file


# ---------------------------------------------------------------------------------------- seed files


def seed_files() -> dict[str, list[tuple[str, dict[str, bytes]]]]:
    """reader → [(main file name, {file name: bytes})]: small valid files of each kind the readers take."""
    sys.path.insert(0, str(ROOT))
    from tests.dbfbytes import build_dbf, build_dbt4

    fields = [("XM", "C", 10, 0), ("NL", "N", 3, 0), ("CJ", "N", 6, 2), ("CSRQ", "D", 8, 0), ("ZX", "L", 1, 0)]
    rows = [
        ["张三".encode("gbk"), b"18", b"93.50", b"20070101", b"T"],
        ["李四".encode("gbk"), b"19", b"88.00", b"20061231", b"F"],
        ["王五".encode("gbk"), b"", b"", b"", b"?"],
    ]
    plain = build_dbf(fields, rows, deleted=(2,))
    memo_fields = [("XM", "C", 8, 0), ("BZ", "M", 10, 0)]
    dbt, blocks = build_dbt4(["备注一".encode("gbk"), b"note two " * 40])
    dbt4 = build_dbf(memo_fields, [[b"A", str(blocks[0]).encode()], [b"B", str(blocks[1]).encode()]], version=0x8B)
    fpt = bytearray(512)
    struct.pack_into(">LHH", fpt, 0, 0, 0, 64)
    fpt_blocks = []
    for text in ["说明".encode("gbk"), b"x" * 100]:
        fpt_blocks.append(len(fpt) // 64)
        rec = struct.pack(">LL", 1, len(text)) + text
        fpt += rec.ljust(((len(rec) + 63) // 64) * 64, b"\0")
    vfp_fields = [("XM", "C", 8, 0), ("BZ", "M", 4, 0)]
    vfp_rows = [[b"A", struct.pack("<L", fpt_blocks[0])], [b"B", struct.pack("<L", fpt_blocks[1])]]
    vfp = build_dbf(vfp_fields, vfp_rows, version=0x30, backlink=True)
    dbt3 = bytearray(512) + "三号备注".encode("gbk") + b"\x1a\x1a"
    dbt3 = bytes(dbt3.ljust(1024, b"\0"))
    d3 = build_dbf(memo_fields, [[b"A", b"1"]], version=0x83)
    dbf = [
        ("a.dbf", {"a.dbf": plain}),
        ("m.dbf", {"m.dbf": dbt4, "m.dbt": dbt}),
        ("v.dbf", {"v.dbf": vfp, "v.fpt": bytes(fpt)}),
        ("d.dbf", {"d.dbf": d3, "d.dbt": dbt3}),
    ]
    csv_text = "姓名,性别,身份证号,出生日期\n张三,男,110101200701011234,20070101\n李四,女,,2006-12-31\n"
    csv = [("a.csv", {"a.csv": csv_text.encode("gb18030")}), ("u.csv", {"u.csv": csv_text.encode("utf-8-sig")})]
    xlsx = [("a.xlsx", {"a.xlsx": _xlsx_bytes()})]
    return {"dbf": dbf, "csv": csv, "xlsx": xlsx}


def _xlsx_bytes() -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("学生名单")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    zeros = wb.add_format({"num_format": "000000"})
    ws.write_row(0, 0, ["姓名", "性别", "身份证号", "出生日期", "邮编", "成绩"])
    ws.write_row(1, 0, ["张三", "男", "110101200701011234"])
    ws.write_number(1, 3, 39083, dates)
    ws.write_number(1, 4, 10001, zeros)
    ws.write_formula(1, 5, "=1+2", None, 3)
    ws.write_row(2, 0, ["李四", "女", 1.10101200701012e17])
    ws.write_boolean(2, 4, True)
    wb.close()
    return out.getvalue()


# ----------------------------------------------------------------------------------------- mutations

_EXTREMES = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\x00\x00", b"\xff\xff", b"\xff\xff\xff\xff", b"\x00\x00\x00\x80"]
_XML_BITS = [
    b'<c r="ZZZZZZ2">',
    b'<c r="XFE1"><v>1</v></c>',
    b'<row r="99999999">',
    b' t="s"',
    b' t="d"',
    b' t="e"',
    b"<v>abc</v>",
    b"<v>999999</v>",
    b"<v>-1</v>",
    b'<dimension ref="A1:ZZZZZZ1048577"/>',
    b"</sheetData>",
    b"<",
    b"&#0;",
    b"&bogus;",
    b"\xff\xfe",
    b" " * 4096,
]


def _mutate_bytes(data: bytes, rnd: random.Random, header: int = 0) -> bytes:
    b = bytearray(data)
    op = rnd.randrange(6)
    n = len(b)
    if op == 0 and n:  # flip bytes
        for _ in range(rnd.randint(1, 8)):
            b[rnd.randrange(n)] = rnd.randrange(256)
    elif op == 1 and n:  # truncate
        del b[rnd.randrange(n) :]
    elif op == 2:  # insert a random block
        pos = rnd.randrange(n + 1)
        b[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.choice([1, 2, 7, 32, 300])))
    elif op == 3 and n:  # duplicate a block
        i = rnd.randrange(n)
        j = min(n, i + rnd.choice([1, 8, 32, 64, 512]))
        pos = rnd.randrange(n + 1)
        b[pos:pos] = b[i:j]
    elif op == 4 and n:  # write an extreme value into a header field
        limit = header or min(n, 64)
        pos = rnd.randrange(min(n, limit))
        ext = rnd.choice(_EXTREMES)
        b[pos : pos + len(ext)] = ext
    elif n:  # several of the above
        for _ in range(rnd.randint(2, 4)):
            b = bytearray(_mutate_bytes(bytes(b), rnd, header))
    return bytes(b)


def _mutate_xml(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    if rnd.random() < 0.6:
        bit = rnd.choice(_XML_BITS)
        pos = rnd.randrange(len(b) + 1)
        # most often at a tag boundary, where the reader looks
        tags = [i for i in range(len(b)) if b[i] == 0x3C]
        if tags and rnd.random() < 0.8:
            pos = rnd.choice(tags)
        b[pos:pos] = bit
        return bytes(b)
    return _mutate_bytes(bytes(b), rnd, header=len(b))


def _mutate_xlsx(data: bytes, rnd: random.Random) -> bytes:
    if rnd.random() < 0.25:
        return _mutate_bytes(data, rnd, header=len(data))
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    targets = [n for n in names if n.startswith("xl/worksheets/") or n.endswith(("sharedStrings.xml", "styles.xml"))]
    if rnd.random() < 0.2:
        targets = names
    victim = rnd.choice(targets)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for n in names:
            body = src.read(n)
            if n == victim:
                body = _mutate_xml(body, rnd)
            dst.writestr(n, body)
    return out.getvalue()


def mutants(reader: str, count: int, seed: int) -> list[tuple[str, dict[str, bytes]]]:
    """``count`` mutated file sets for ``reader`` ("dbf", "xlsx", "csv"), the same for the same seed."""
    rnd = random.Random(f"{reader}:{seed}")
    bases = seed_files()[reader]
    out = []
    for _ in range(count):
        main, files = rnd.choice(bases)
        files = dict(files)
        names = list(files)
        victim = main if len(names) == 1 or rnd.random() < 0.7 else rnd.choice(names)
        data = files[victim]
        if reader == "xlsx":
            data = _mutate_xlsx(data, rnd)
        elif reader == "dbf":
            header = 32 + 32 * 6 if victim.endswith(".dbf") else 64
            if victim.endswith((".fpt", ".dbt")) and rnd.random() < 0.5:  # a memo length that says 4 GiB
                b = bytearray(data)
                starts = list(range(512, len(b) - 8, 64)) or [0]
                pos = rnd.choice(starts) + rnd.choice([4, 4, 0])
                b[pos : pos + 4] = b"\xff\xff\xff\xff"
                data = bytes(b)
            elif victim.endswith(".dbf") and rnd.random() < 0.3:  # a field descriptor's width or decimals
                b = bytearray(data)
                nfields = max(1, (struct.unpack_from("<H", b, 8)[0] - 33) // 32) if len(b) >= 10 else 1
                pos = 32 + 32 * rnd.randrange(min(nfields, 8)) + rnd.choice([16, 16, 17])
                if pos < len(b):
                    b[pos] = rnd.choice([0, 0, 1, 255, rnd.randrange(256)])
                data = bytes(b)
            else:
                data = _mutate_bytes(data, rnd, header)
        else:
            data = _mutate_bytes(data, rnd, header=len(data))
        files[victim] = data
        out.append((main, files))
    return out


# ------------------------------------------------------------------------------------ child reader


def _worker(jobs_path: str, start: int) -> None:
    """Read the files listed in ``jobs_path`` from ``start`` on; one JSON line per file on stdout."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    import xueji_lib as xj

    class Timeout(BaseException):
        pass

    def on_alarm(signum, frame):
        raise Timeout

    signal.signal(signal.SIGALRM, on_alarm)
    jobs = json.loads(Path(jobs_path).read_text())
    for i in range(start, len(jobs)):
        path, reader, encoding = jobs[i]
        print(json.dumps({"i": i, "start": True}), flush=True)
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
        t0 = time.perf_counter()
        try:
            if reader == "dbf":
                df = xj.read_dbf(path, encoding=encoding)
            else:
                df = xj.read_table(path, encoding=encoding)
            res = {"ok": isinstance(df, pd.DataFrame), "what": f"DataFrame {df.shape}"}
        except Timeout:
            res = {"ok": False, "what": f"超时（{TIME_LIMIT:.0f} 秒）"}
        except xj.XuejiError as exc:
            named = str(Path(path)) in str(exc) or Path(path).name in str(exc)
            res = {"ok": named, "what": f"{type(exc).__name__}: {exc}"[:300]}
            if not named:
                res["what"] = "消息没有说出文件名: " + res["what"]
        except BaseException as exc:  # noqa: BLE001 - the contract is broken; report what broke it
            res = {"ok": False, "what": f"{type(exc).__name__}: {exc}"[:300]}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        res.update(i=i, seconds=round(time.perf_counter() - t0, 3))
        print(json.dumps(res, ensure_ascii=False), flush=True)


@dataclass
class Finding:
    reader: str
    index: int
    files: dict[str, bytes]
    what: str


def run(jobs: list[tuple[str, str, str | None]], hard_timeout: float = TIME_LIMIT + 20) -> list[dict]:
    """Results (one dict per job, ``ok`` and ``what``) of reading each (path, reader, encoding) in child processes."""
    results: list[dict | None] = [None] * len(jobs)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(jobs, fh)
        jobs_path = fh.name
    try:
        start = 0
        while start < len(jobs):
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.fuzz", "--worker", jobs_path, str(start)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            current, killed = start, False
            last = time.monotonic()
            os.set_blocking(proc.stdout.fileno(), False)
            pending = b""
            while True:
                try:
                    chunk = os.read(proc.stdout.fileno(), 1 << 16)
                except BlockingIOError:
                    chunk = None
                if chunk:
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        msg = json.loads(line)
                        current = msg["i"]
                        last = time.monotonic()
                        if not msg.get("start"):
                            results[current] = msg
                            current += 1
                if chunk == b"" or (chunk is None and proc.poll() is not None and not pending):
                    proc.wait()
                    break
                if time.monotonic() - last > hard_timeout + (15 if current == start else 0):
                    proc.kill()
                    proc.wait()
                    results[current] = {"i": current, "ok": False, "what": "无响应，已终止"}
                    current, killed = current + 1, True
                    break
                if chunk is None:
                    time.sleep(0.005)
            proc.stdout.close()
            if not killed and proc.returncode != 0 and current < len(jobs):
                rc = proc.returncode
                what = f"进程被信号 {signal.Signals(-rc).name} 终止" if rc < 0 else f"进程退出，返回码 {rc}"
                results[current] = {"i": current, "ok": False, "what": what}
                current += 1
            start = current
    finally:
        os.unlink(jobs_path)
    return [r or {"ok": False, "what": "没有结果"} for r in results]


def fuzz(readers: list[str], count: int, seed: int, workdir: Path) -> tuple[dict[str, int], list[Finding]]:
    """Mutate ``count`` files per reader, read each under the limits: (counts per outcome, findings)."""
    jobs, sets = [], []
    for reader in readers:
        for k, (main, files) in enumerate(mutants(reader, count, seed)):
            folder = workdir / f"{reader}_{k:05d}"
            folder.mkdir(parents=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
            jobs.append((str(folder / main), "dbf" if reader == "dbf" else "table", None))
            sets.append((reader, k, files))
    results = run(jobs)
    counts: dict[str, int] = {}
    findings = []
    for (reader, k, files), res in zip(sets, results):
        outcome = "DataFrame" if res["what"].startswith("DataFrame") else ("XuejiError" if res["ok"] else "违约")
        key = f"{reader} {outcome}"
        counts[key] = counts.get(key, 0) + 1
        if not res["ok"]:
            findings.append(Finding(reader, k, files, res["what"]))
    return counts, findings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=3000, help="mutated files per reader")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--readers", default="dbf,xlsx,csv")
    ap.add_argument("--keep", help="folder to copy the files that broke the contract into")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        _worker(args.worker[0], int(args.worker[1]))
        return 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="xueji_fuzz_") as tmp:
        counts, findings = fuzz(args.readers.split(","), args.count, args.seed, Path(tmp))
    took = time.perf_counter() - t0
    print(f"模糊测试：种子 {args.seed}，每种读取器 {args.count} 个变异文件，用时 {took:.0f} 秒")
    for key in sorted(counts):
        print(f"  {key}: {counts[key]}")
    for f in findings[:50]:
        print(f"  违约 {f.reader} #{f.index}: {f.what}")
        if args.keep:
            dest = Path(args.keep) / f"{f.reader}_{f.index:05d}"
            dest.mkdir(parents=True, exist_ok=True)
            for name, data in f.files.items():
                (dest / name).write_bytes(data)
    print(f"违约：{len(findings)}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
