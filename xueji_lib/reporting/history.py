"""The history of every check: each ``xueji validate / reconcile / compare / photos`` run that wrote its output
folder leaves a manifest (the same shape as a report run's: parameters in Chinese, inputs with sha256 and
record counts, versions, duration, outcome, the result counts and the counts per school) in the history root,
and the run index (``reporting.index``) lists it beside the report runs, with a chart per school over runs.

Where: ``<history root>/<检查>/<YYYYMMDD-HHMMSS>-<id>/manifest.json`` (检查: 上传前校验, 录取注册核对, 名单对比,
照片核对), then ``<history root>/index.html`` is rewritten. The history root is the environment variable
``XUEJI_HISTORY`` (a folder), or ``reports`` in the current folder (where ``xueji report`` writes too);
``XUEJI_HISTORY=off`` (or 不记录) records nothing. The output folder (``--out``) is overwritten by the next
run of the same command, so the manifest keeps its own copy of the counts: the history outlives it.

The counts per school come from the run's ``summary.json`` where it has them (compare: ``lost_by_school``);
validate and reconcile write none per school, so they are counted here from the result's own flags (records
with errors, registration records not matched) and the list's school field (学校名称 XXMC / 学校标识码
XXBSM; a university's 分院 FY, else 院校名称 YXMC). Names of schools only: never a personal value.

    >>> from xueji_lib.reporting.history import history_root
    >>> history_root({"XUEJI_HISTORY": "off"}) is None
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..core.files import signals_deferred
from .index import CHECK_KINDS, METRICS, write_index

__all__ = [
    "CHECKS",
    "HISTORY_ENV",
    "METRICS",
    "CheckSpec",
    "history_root",
    "record_check",
    "school_counts",
]

HISTORY_ENV = "XUEJI_HISTORY"
_OFF = {"off", "0", "no", "none", "不记录", "否"}
_BLANK_SCHOOL = "（未填学校）"


@dataclass(frozen=True)
class CheckSpec:
    """One check command as the history records it: ``folder`` (its runs' folder under the history root) and
    the Chinese names of its options (argparse dest → name); its title, the count per school it charts and the
    option that names a run are the index's (``reporting.index.CHECK_KINDS``)."""

    command: str
    folder: str
    options: tuple[tuple[str, str], ...]
    paths: tuple[str, ...] = ()  # options that name a file or folder: shown by their name only

    @property
    def title(self) -> str:
        return CHECK_KINDS[self.command][0]

    @property
    def metric(self) -> str:
        return CHECK_KINDS[self.command][1]


CHECKS: dict[str, CheckSpec] = {
    "validate": CheckSpec(
        "validate",
        "上传前校验",
        (
            ("file", "校验文件"),
            ("layout", "版式"),
            ("year", "录取年份"),
            ("category", "学历类别"),
            ("school_year", "学年"),
            ("others", "对照文件"),
            ("encoding", "编码"),
            ("unmask", "显示原值"),
        ),
        ("file", "others"),
    ),
    "reconcile": CheckSpec(
        "reconcile",
        "录取注册核对",
        (
            ("admission", "录取数据"),
            ("registration", "注册上报"),
            ("states", "新生状态名单"),
            ("year", "录取年份"),
            ("category", "学历类别"),
            ("encoding", "编码"),
            ("engine", "计算引擎"),
            ("unmask", "显示原值"),
        ),
        ("admission", "registration", "states"),
    ),
    "compare": CheckSpec(
        "compare",
        "名单对比",
        (
            ("old", "旧名单"),
            ("new", "新名单"),
            ("changes", "学籍异动名单"),
            ("key", "对应字段"),
            ("changes_layout", "异动名单版式"),
            ("graduates", "毕业生名单"),
            ("as_of", "更正日期"),
            ("ignore", "不比较的字段"),
            ("encoding", "编码"),
            ("engine", "计算引擎"),
            ("unmask", "显示原值"),
        ),
        ("old", "new", "changes"),
    ),
    "photos": CheckSpec(
        "photos",
        "照片核对",
        (
            ("roster", "名单"),
            ("folder", "照片目录"),
            ("key", "对应字段"),
            ("pattern", "文件名格式"),
            ("where", "核对范围"),
            ("min_size", "像素下限"),
            ("max_size", "像素上限"),
            ("max_mb", "大小上限（MB）"),
            ("max_kb", "大小上限（KB）"),
            ("min_kb", "大小下限（KB）"),
            ("aspect", "高宽比"),
            ("background", "背景颜色"),
            ("class_field", "班级字段"),
            ("grade_field", "入学年份字段"),
            ("folder_depth", "子文件夹层数"),
            ("encoding", "编码"),
        ),
        ("roster", "folder"),
    ),
}
_SCHOOL_FIELDS = ("XXMC", "XXBSM", "FY", "YXMC", "YXDM")  # the field that names a record's school, first found


def history_root(environ: Mapping[str, str] | None = None, default: str = "reports") -> Path | None:
    """Where check runs are recorded: ``$XUEJI_HISTORY``, else ``default`` (``reports`` in the current folder);
    None when ``XUEJI_HISTORY`` is off / 不记录 / 0 (nothing recorded).

    >>> history_root({"XUEJI_HISTORY": "D:/学籍/历史"}).name
    '历史'
    >>> history_root({}).name
    'reports'
    """
    env = os.environ if environ is None else environ
    value = str(env.get(HISTORY_ENV, "")).strip()
    if value.lower() in _OFF:
        return None
    return Path(value or default)


def school_counts(data: object, flags: object) -> tuple[str, dict[str, int]]:
    """(the field used, {school: records flagged}) for a list (a frame, or a folder converted by ``xueji
    parquet``) and one boolean flag per record: every school of the list appears, with 0 when none of its
    records is flagged (so a school that got better shows 0, not a gap). No school field: ("", {"全部": n}).

    >>> import pandas as pd
    >>> school_counts(pd.DataFrame({"XXMC": ["一小", "一小", "二小"]}), [True, False, False])
    ('XXMC', {'一小': 1, '二小': 0})
    """
    import numpy as np
    import pandas as pd

    from ..io.source import ListSource

    src = ListSource.of(data)
    flag = np.asarray(flags, dtype=bool)
    cols = {str(c).strip().upper(): c for c in src.columns}
    for code in _SCHOOL_FIELDS:
        if code not in cols:
            continue
        names = src.column(cols[code]).astype("string").str.strip().fillna("")
        if not (names != "").any():
            continue
        names = names.mask(names == "", _BLANK_SCHOOL).to_numpy()
        counts = pd.Series(flag.astype(int)).groupby(names, sort=True).sum()
        return code, {str(k): int(v) for k, v in counts.items()}
    return "", {"全部": int(flag.sum())}


def _lost_by_school(summary: dict, old: object) -> tuple[str, dict[str, int]]:
    """疑似流失 per school from compare's summary.json (``lost_by_school``: ``{学校标识码_学校名称.xlsx: n}``), by
    the school's name; every school of the old roster with 0 when it has none (a removal comes from it)."""
    field, base = ("", {})
    try:
        field, zero = school_counts(old, [False] * _count(old))
        base = dict(zero)
    except Exception:  # the zeros are a nicety: the summary's counts are what counts
        pass
    lost = summary.get("lost_by_school") if isinstance(summary.get("lost_by_school"), dict) else {}
    codes = _school_codes(old) if field == "XXMC" else {}
    for label, n in lost.items():
        if not isinstance(n, int) or isinstance(n, bool):
            continue
        stem = re.sub(r"\.xlsx$", "", str(label))
        m = re.fullmatch(r"(\d{10})_(.+)", stem)
        if m and field == "XXBSM":
            name = m.group(1)
        elif m:
            name = codes.get(m.group(1)) or m.group(2)
        else:
            name = _BLANK_SCHOOL if stem == "未填学校" else stem
        base[name] = base.get(name, 0) + n
    if not base:
        total = (summary.get("old") or {}).get("unexplained_removals")
        base = {"全部": int(total)} if isinstance(total, int) else {}
    return field or "XXMC", base


def _school_codes(data: object) -> dict[str, str]:
    from ..io.source import ListSource

    src = ListSource.of(data)
    if not (src.has("XXBSM") and src.has("XXMC")):
        return {}
    codes, names = (src.column(c).astype("string").fillna("").str.strip().tolist() for c in ("XXBSM", "XXMC"))
    return {c: n for c, n in zip(codes, names) if c and n}


def _count(data: object) -> int:
    from ..io.source import ListSource

    return int(ListSource.of(data).count)


def _sha256(path: Path) -> str:
    """Of a file; of a folder converted by xueji parquet, of its _conversion.json (as the report manifests); of
    another folder (photos), of its listing (each file's relative path, size and time), never of its contents."""
    h = hashlib.sha256()
    if path.is_dir():
        conv = path / "_conversion.json"
        if conv.is_file():
            path = conv
        else:
            for p in sorted(path.rglob("*")):
                if p.is_file():
                    st = p.stat()
                    h.update(f"{p.relative_to(path).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            return h.hexdigest()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _shown_value(spec: CheckSpec, dest: str, value: object) -> str:
    if isinstance(value, bool):
        return "是"
    if dest in spec.paths:
        items = value if isinstance(value, (list, tuple)) else [value]
        return "、".join(Path(str(v)).name for v in items)
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    if dest == "category":
        from .report import _category_words

        return _category_words(value)
    return str(value)


def _parameters(spec: CheckSpec, args: object) -> tuple[dict, list[list[str]]]:
    raw, shown = {}, []
    for dest, label in spec.options:
        value = getattr(args, dest, None)
        if value is None or value is False or value == "" or value == []:
            continue
        raw[dest] = [str(v) for v in value] if isinstance(value, (list, tuple)) else value
        if isinstance(raw[dest], Path):
            raw[dest] = str(raw[dest])
        shown.append([label, _shown_value(spec, dest, value)])
    return raw, shown


def _counts(command: str, summary: dict) -> list[list]:
    """The run's result counts as the index shows them: [[Chinese name, number], …], from its summary.json."""

    def num(*keys):
        node = summary
        for k in keys:
            node = node.get(k) if isinstance(node, dict) else None
        return node if isinstance(node, int) and not isinstance(node, bool) else None

    if command == "validate":
        rows = [["记录", num("total")], ["校验通过", num("passed")], ["数据有误", num("failed")]]
        if summary.get("structure_ok") is False:
            rows.append(["结构校验未通过", 1])
    elif command == "reconcile":
        total, matched = num("registration", "total"), num("registration", "matched")
        wrong = total - matched if total is not None and matched is not None else None
        rows = [
            ["注册上报", total],
            ["资格有误", wrong],
            ["录取数据", num("admission", "total")],
            ["未注册", num("admission", "not_registered")],
        ]
    elif command == "compare":
        rows = [
            ["旧名单", num("old", "total")],
            ["新名单", num("new", "total")],
            ["减少", num("old", "removed")],
            ["新增", num("new", "added")],
            ["疑似流失", num("old", "unexplained_removals")],
        ]
    else:
        rows = [
            ["学生", num("students", "total")],
            ["照片合格", num("students", "matched")],
            ["没有照片", num("students", "without_photo")],
            ["照片有问题", num("students", "with_problem")],
        ]
    return [r for r in rows if r[1] is not None]


def _by_school(command: str, result: object, data: Mapping[str, object], summary: dict) -> dict:
    """{"metric", "field", "counts": {school: n}} for the chart, or {} (photos: none)."""
    import numpy as np

    if command == "validate":
        field, counts = school_counts(data["file"], np.asarray(result.failed, dtype=bool))
    elif command == "reconcile":
        reg = data["registration"]
        rows = result.registration
        flags = np.zeros(_count(reg), dtype=bool)
        bad = rows.loc[rows["status"] != "matched", "row"].dropna().astype(int).to_numpy() - 1
        flags[bad[(bad >= 0) & (bad < len(flags))]] = True
        field, counts = school_counts(reg, flags)
    elif command == "compare":
        field, counts = _lost_by_school(summary, data["old"])
    else:
        return {}
    return {"metric": CHECKS[command].metric, "field": field, "counts": counts}


def record_check(
    command: str,
    args: object,
    out: str | os.PathLike,
    result: object,
    data: Mapping[str, object],
    *,
    started: float | None = None,
    root: str | os.PathLike | None = None,
) -> Path | None:
    """Record one finished check run (``command``: validate / reconcile / compare / photos, ``args`` its
    parsed options, ``out`` its published output folder, ``result`` what it computed, ``data`` the lists it
    read by option name, ``started``: ``time.time()`` when the command began) in the history root
    (``root``, else ``history_root()``) and rewrite the run index there. Returns the manifest written, or
    None when the history is off. Never fails the command: a history that cannot be written is said on
    stderr in one line.

    >>> record_check("validate", args, "名单_校验结果", result, {"file": df}, started=t0)   # doctest: +SKIP
    PosixPath('reports/上传前校验/20260316-140501-3fa2c1/manifest.json')
    """
    where = Path(root) if root is not None else history_root()
    if where is None:
        return None
    try:
        with signals_deferred():  # a Ctrl+C now lands after the record: never a half-written history
            manifest = _write_record(command, args, Path(out), result, data, started, where)
        print(f"  已记入检查历史：{where / 'index.html'}（设置环境变量 {HISTORY_ENV}=off 可不记录）")
        return manifest
    except Exception as exc:  # disk full, permissions: the check's own outputs are written all the same
        print(f"注意：检查历史 {where} 未能更新（结果文件已写出，不受影响）：{exc}", file=sys.stderr)
        return None


def _write_record(command, args, out: Path, result, data, started, where: Path) -> Path:
    import shutil

    from .report import _versions

    spec = CHECKS[command]
    now = time.time()
    begun = datetime.fromtimestamp(started if started else now, UTC).astimezone()
    summary_path = out / "summary.json"
    summary_bytes = summary_path.read_bytes()
    summary = json.loads(summary_bytes.decode("utf-8"))
    raw, shown = _parameters(spec, args)
    inputs = {}
    for name in spec.paths:
        value = getattr(args, name, None)
        for i, item in enumerate(value if isinstance(value, (list, tuple)) else [value] if value else []):
            path = Path(str(item))
            key = name if not isinstance(value, (list, tuple)) else f"{name}_{i + 1}"
            entry = {"path": str(path.resolve()), "sha256": _sha256(path)}
            if data.get(name) is not None:
                entry["records"] = _count(data[name])
            elif command == "photos" and name == "folder":
                entry["files"] = (summary.get("files") or {}).get("total")
            inputs[key] = entry
    run_id = secrets.token_hex(3)
    stamp = begun.strftime("%Y%m%d-%H%M%S")
    base = where / spec.folder
    base.mkdir(parents=True, exist_ok=True)
    manifest = {
        "kind": "check",
        "command": command,
        "report": spec.title,
        "run_id": run_id,
        "parameters": raw,
        "shown_parameters": shown,
        "inputs": inputs,
        "versions": _versions(),
        # milliseconds: two runs within one second (a script, a schedule) still sort in the order they ran
        "started": begun.isoformat(timespec="milliseconds"),
        "ended": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "duration_seconds": round(now - started, 2) if started else None,
        "outcome": "succeeded",
        "output": {"folder": str(out.resolve()), "summary_sha256": hashlib.sha256(summary_bytes).hexdigest()},
        "counts": _counts(command, summary),
        "by_school": _by_school(command, result, data, summary),
    }
    if command == "validate" and summary.get("structure_ok") is False:
        manifest["error"] = "结构校验未通过：文件不能按该版式上传，全部记录列入数据有误名单"
    tmp = base / f".{stamp}-{run_id}.tmp"
    tmp.mkdir()
    try:
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        final = base / f"{stamp}-{run_id}"
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    write_index(where)
    return final / "manifest.json"
