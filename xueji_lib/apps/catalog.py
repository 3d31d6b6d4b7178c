"""A data folder as a catalogue of datasets: what the dashboards search and compare.

Every DBF, xlsx and csv file under the folder is a dataset. Each is loaded once and cached as Parquet in a
cache folder (``<data>/.xueji_cache`` unless told otherwise), with a small search index (the keys a clerk
types: 姓名, 身份证号, 考生号, 学号, 学籍号, normalised), its validation findings, and the status of each of
its records in the reconciliations and comparisons the folder holds (admission ↔ registration lists,
last term's roster ↔ this term's). A cache entry is rebuilt when its source file changes (size or
modification time). The source files are never written to.

Which lists are compared with which comes from ``xueji.yml`` in the data folder when it is there::

    pairs:
      - {kind: reconcile, admission: hei/10_录取名单.dbf, registration: hei/10_注册上报.dbf,
         states: hei/10_新生状态.dbf, year: 2026, category: "10"}
      - {kind: compare, old: k12/学生名单_2025秋.xlsx, new: k12/学生名单_2026春.xlsx,
         changes: k12/学籍异动_2026春.xlsx}
    photos: hei/photos

and otherwise is worked out from the files (see ``Catalog.pairs``): an admission and a registration list in
the same folder whose 考生号 overlap; K-12 rosters of consecutive terms (the term read from the file name,
e.g. 2025秋, 2026春) whose 学籍号 mostly overlap, with a 学籍异动 list of the newer term when there is one.

    >>> cat = Catalog("data_samples").refresh()          # doctest: +SKIP
    >>> cat.search("11010519491231002X")                  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.errors import XuejiError
from ..core.files import atomic_path, write_atomic_text
from ..core.ids import ID_NUMBER_FIELDS
from ..core.rows import row_meaning, shown_rows
from ..matching.pairs import PAIR_ROLES, PAIR_ZH

if TYPE_CHECKING:
    from ..engine.query import QueryTable
    from ..matching.compare import CompareResult, HandoffResult
    from ..matching.reconcile import ReconcileResult
    from ..schema.layouts import Layout

DATA_SUFFIXES = (".dbf", ".xlsx", ".xlsm", ".csv")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
CACHE_DIRNAME = ".xueji_cache"
CONFIG_NAME = "xueji.yml"
CACHE_VERSION = 3  # bump when what is cached changes: every entry is rebuilt
STATUSES_VERSION = 2  # bump when the pairs' status files change (2: "explained"): the pairs are run again

# search index column → the field codes it is taken from (first one present)
# (codes as layouts name them, then the headers of a sheet that fits no layout)
SEARCH_FIELDS = {
    "name": ("XM", "姓名"),
    "id": (*ID_NUMBER_FIELDS, "身份证号", "身份证件号", "身份证件号码", "证件号码"),
    "ksh": ("KSH", "考生号"),
    "xh": ("XH", "学号"),
    "xjh": ("XJH", "学籍号", "全国学籍号"),
}
SEARCH_ZH = {"name": "姓名", "id": "身份证号", "ksh": "考生号", "xh": "学号", "xjh": "学籍号"}
HIT_CONTEXT = ("XXMC", "ZYMC", "YXMC", "NJ", "BJ", "BH")  # shown in a hit list beside the keys
KIND_ZH = {
    "chsi_admission": "录取名单",
    "chsi_registration": "注册上报",
    "chsi_new_student_status": "新生状态",
    "chsi_special_registration": "特殊类别注册",
    "k12_student": "学生名单",
    "k12_changes": "学籍异动",
    "chsi_graduation": "毕业生名单",
    "hunnu_registration": "注册名单",
    "hebnu_adult_graduation": "毕业生名单",
}
TERM_RE = re.compile(r"(20\d\d)\s*(?:年)?\s*(春|秋)")


@dataclass(frozen=True)
class Dataset:
    """One file of the data folder. ``id`` is its path relative to the folder (with ``/``): the only name
    by which dashboards refer to it."""

    id: str
    path: Path
    layout: str | None
    records: int
    date: str  # YYYY-MM-DD: the DBF header's last-update date, else the file's modification date
    term: str  # e.g. 2026春 when the file name says so
    columns: tuple[str, ...]
    cache: Path
    warnings: tuple[str, ...] = ()
    findings: int = 0

    @property
    def kind(self) -> str:
        return KIND_ZH.get(self.layout or "", "其他名单")

    @property
    def label(self) -> str:
        return f"{self.id}（{self.kind}，{self.records} 条，{self.term or self.date}）"


@dataclass(frozen=True)
class Pair:
    """Two (or three) datasets compared with each other: ``kind`` is "reconcile" (admission, registration,
    optional states), "compare" (old, new, optional changes) or "handoff" (graduates, intake)."""

    kind: str
    left: str
    right: str
    extra: str | None = None
    year: int | None = None
    category: str | None = None

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.left}→{self.right}"

    @property
    def label(self) -> str:
        return f"{PAIR_ZH[self.kind]}：{self.left} → {self.right}" + (f"（附 {self.extra}）" if self.extra else "")


@dataclass
class StudentCard:
    """Everything the folder says about one student: ``fields`` (one row per field, one column per file,
    by date), ``records`` (dataset id, row: the position), ``findings`` (validation findings of those records),
    ``statuses`` (their reconciliation / comparison results), ``photo`` (a path or None), ``file_rows`` (for
    each of ``records`` the row a person finds it at in its file: the Excel row, the DBF record number)."""

    records: list[tuple[str, int]]
    fields: pd.DataFrame
    findings: pd.DataFrame
    statuses: pd.DataFrame
    photo: Path | None
    masked: bool = True
    file_rows: tuple[int, ...] = ()


def load_dataset(path: str | os.PathLike, encoding: str | None = None) -> tuple[pd.DataFrame, Layout | None]:
    """A file and its layout: a DBF as it is; a sheet read once to recognise its headers, then again
    through that layout so that its headers become field codes. The layout is None when none fits with
    all its required fields (a school's own sheet stays as headed, and is not checked against a layout
    it only resembles)."""
    from ..io.loading import load_list

    df, lay, _ = load_list(path, encoding=encoding, complete=True)
    return df, lay


def _term(name: str) -> str:
    m = TERM_RE.search(name)
    return f"{m.group(1)}{m.group(2)}" if m else ""


def _term_order(ds: Dataset) -> tuple:
    """Sort key of a roster in time: the term in its name (春 before 秋 of a year), else its date."""
    if ds.term:
        return (int(ds.term[:4]), 0 if ds.term.endswith("春") else 1, ds.date)
    return (int(ds.date[:4]), 0 if int(ds.date[5:7]) < 8 else 1, ds.date)


def key_index(df: pd.DataFrame) -> pa.Table:
    """The search index of a frame: ``_row`` and the normalised keys (``SEARCH_FIELDS``), missing as null."""
    from ..core.ids import to18
    from ..core.normalize import halfwidth, key_text, no_spaces

    cols = {str(c).upper(): c for c in df.columns}
    out = {"_row": pa.array(np.arange(1, len(df) + 1, dtype=np.int64))}
    for name, codes in SEARCH_FIELDS.items():
        code = next((cols[c] for c in codes if c in cols), None)
        if code is None:
            out[name] = pa.nulls(len(df), pa.string())
            continue
        s = df[code].astype("str")
        s = no_spaces(halfwidth(s)) if name == "name" else key_text(s)
        if name == "id":
            s = to18(s)
        out[name] = pa.array(s.array, pa.string()).cast(pa.string())
    return pa.table(out)


def normalize_query(text: str) -> str:
    from ..core.normalize import key_text

    return str(key_text(pd.Series([str(text or "")], dtype="str")).iloc[0] or "") if str(text or "").strip() else ""


def xueji_outputs(folder: Path) -> set[str]:
    """The file names a run of xueji wrote into ``folder``, from its summary.json ("outputs": key → name), with
    the summary itself; empty when there is none or it is not one of ours."""
    path = folder / "summary.json"
    try:
        if path.stat().st_size > 10 * 2**20:
            return set()
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    outputs = data.get("outputs") if isinstance(data, dict) else None
    if not isinstance(outputs, dict):
        return set()
    return {str(v) for v in outputs.values() if isinstance(v, str)} | {"summary.json"}


class Catalog:
    """The datasets of ``folder``, cached in ``cache_dir``. ``refresh()`` (re)builds what changed; the
    dashboards' kernels only ``open()`` what the cache holds.

    >>> import tempfile
    >>> from xueji_lib.apps.catalog import Catalog
    >>> cat = Catalog("data_samples/hei", cache_dir=tempfile.mkdtemp()).refresh()   # default cache: <folder>/.xueji_cache
    >>> hits, total, how = cat.search("26110105151017")                             # a 考生号
    >>> hits[["dataset", "row"]].values.tolist()
    [['10_录取名单.dbf', 35], ['10_注册上报.dbf', 410]]
    """

    def __init__(self, folder, cache_dir=None, photos=None):
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise XuejiError(f"数据目录 {folder} 不存在或不是文件夹")
        self.cache_dir = Path(cache_dir).resolve() if cache_dir else self.folder / CACHE_DIRNAME
        self.config = self._read_config()
        self._photos_arg = photos
        self.datasets: dict[str, Dataset] = {}
        self.problems: list[tuple[str, str]] = []  # (file, message) for files that could not be loaded
        self.output_files: list[Path] = []  # xueji's own outputs found in the folder (files() leaves them out)
        self.pairs: list[Pair] = []
        self._index: dict[str, pa.Table] = {}
        self._statuses: pd.DataFrame | None = None
        self._findings: dict[str, pd.DataFrame] = {}
        self._file_rows: dict[str, np.ndarray] = {}
        self._photo_files: dict[str, Path] | None = None

    # ------------------------------------------------------------------ building the cache
    def _read_config(self) -> dict:
        path = self.folder / CONFIG_NAME
        if not path.exists():
            return {}
        import yaml

        try:
            cfg = yaml.safe_load(path.read_text("utf-8")) or {}
        except Exception as exc:  # noqa: BLE001 - any YAML problem is the user's file
            raise XuejiError(f"数据目录的配置文件 {path} 读不了：{exc}") from exc
        if not isinstance(cfg, dict):
            raise XuejiError(
                f"数据目录的配置文件 {path}：应当是 pairs:、photos: 这样的键值，而不是 {type(cfg).__name__}"
            )
        return cfg

    def files(self) -> list[Path]:
        """The data files of the folder (hidden folders and the cache skipped), sorted. xueji's own outputs —
        the files a run's summary.json lists under "outputs" (校验通过.dbf, 数据有误.dbf, results.csv, 核对结果.xlsx,
        …) — are not student lists: they are left out (their records are already in the inputs, and read again
        a student would appear several times) and ``output_files`` names them."""
        out, self.output_files = [], []
        for root, dirs, names in os.walk(self.folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and Path(root, d).resolve() != self.cache_dir)
            ours = xueji_outputs(Path(root)) if "summary.json" in names else set()
            for n in sorted(names):
                if not n.lower().endswith(DATA_SUFFIXES) or n.startswith((".", "~$")):
                    continue
                (self.output_files if n in ours else out).append(Path(root, n))
        return out

    def _entry(self, rel: str) -> Path:
        return self.cache_dir / hashlib.sha1(rel.encode("utf-8")).hexdigest()[:16]

    @staticmethod
    def _fingerprint(path: Path) -> dict:
        st = path.stat()
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "version": CACHE_VERSION}

    def current_files(self) -> dict[str, dict]:
        """Every data file of the folder now, with its fingerprint."""
        return {p.relative_to(self.folder).as_posix(): self._fingerprint(p) for p in self.files()}

    def refresh(self, progress: Callable[[str], object] | None = None) -> Catalog:
        """Load every file whose cache entry is missing or stale; then the pairs and their statuses. One
        refresh at a time per cache (a lock file), so that the command and the pages' kernels can all call it."""
        make_private(self.cache_dir)  # Parquet copies with unmasked ID numbers: the owner's only
        with _Lock(self.cache_dir / ".lock"):
            return self._refresh(progress)

    def _refresh(self, progress) -> Catalog:
        say = progress if callable(progress) else (lambda *a: None)
        _write_text(
            self.cache_dir / "README.txt",
            "xueji 的缓存：数据目录中各文件的 Parquet 副本、检索索引、校验和核对结果。可以整个删除，下次启动时重建。\n"
            "其中有未遮蔽的个人信息：只有本人可读（文件夹 0700，文件 0600），请勿复制给他人。\n",
        )
        self.datasets, self.problems = {}, []
        files = self.files()
        for folder, group in itertools.groupby(self.output_files, key=lambda p: p.parent):
            names = [p.name for p in group]
            rel = folder.relative_to(self.folder).as_posix()
            self.problems.append(
                (
                    f"{rel}/" if rel != "." else "./",
                    f"是 xueji 的输出（{'、'.join(names[:4])}{' 等' if len(names) > 4 else ''} {len(names)} 个文件，"
                    "见同一文件夹的 summary.json），不作为学生名单读入",
                )
            )
        for path in files:
            rel = path.relative_to(self.folder).as_posix()
            entry = self._entry(rel)
            meta_path = entry / "meta.json"
            fp = self._fingerprint(path)
            try:
                meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else None
                if not meta or meta.get("fingerprint") != fp:
                    say(f"读入 {rel}")
                    meta = self._build_entry(path, rel, entry, fp)
                if not meta["searchable"]:
                    self.problems.append(
                        (rel, "没有姓名、身份证号、考生号、学号或学籍号字段，不是学生名单，不参与查询和对比")
                    )
                    continue
                self.datasets[rel] = self._dataset(rel, path, entry, meta)
            except (XuejiError, OSError, ValueError) as exc:
                self.problems.append((rel, str(exc)))
        self.pairs = self._find_pairs()
        self._build_statuses(say)
        self._write_catalog()
        return self

    def _build_entry(self, path: Path, rel: str, entry: Path, fp: dict) -> dict:
        from ..checks.validate import validate

        df, lay = load_dataset(path)
        entry.mkdir(mode=0o700, parents=True, exist_ok=True)
        rep = df.attrs.get("load_report")
        warnings = [str(w) for w in (rep.warnings if rep else ())]
        data = df.copy()
        data.attrs = {}
        data.columns = [str(c) for c in data.columns]
        for c in data.columns:  # Parquet holds what pandas holds, except Python objects of mixed kinds
            if data[c].dtype == object:
                data[c] = data[c].map(lambda v: None if v is None else str(v)).astype("str")
        data.insert(0, "_row", np.arange(1, len(df) + 1, dtype=np.int64))
        _write_parquet(pa.Table.from_pandas(data, preserve_index=False), entry / "data.parquet")
        # the row a person finds each record at in the file (the Excel row, the DBF record number: core.rows)
        file_rows = shown_rows(df, np.arange(1, len(df) + 1, dtype=np.int64)).to_numpy(dtype=np.int64)
        rows_table = {"file_row": pa.array(file_rows)}
        sheet_of = rep.extra.get("source_sheets") if rep is not None else None
        if sheet_of is not None and len(sheet_of) == len(df):  # a workbook of several sheets: each record's sheet
            rows_table["file_sheet"] = pa.array(np.asarray(sheet_of, dtype=np.int64))
        _write_parquet(pa.table(rows_table), entry / "rows.parquet")
        _write_parquet(key_index(df), entry / "index.parquet")
        findings = pd.DataFrame(columns=["row", "field", "name", "rule", "severity", "message"])
        if lay is not None and len(df):
            try:
                findings = validate(df, lay, source=rel).findings[list(findings.columns)]
            except XuejiError as exc:
                warnings.append(f"校验没有完成：{exc}")
        findings = findings.astype({"row": "Int64"}).astype({c: "str" for c in findings.columns if c != "row"})
        _write_parquet(pa.Table.from_pandas(findings, preserve_index=False), entry / "findings.parquet")
        meta = {
            "fingerprint": fp,
            "file": rel,
            "layout": lay.name if lay is not None else None,
            "records": len(df),
            "date": _file_date(path, rep),
            "format": rep.format if rep is not None else None,
            "header_row": (rep.extra.get("header_row") if rep is not None else None),
            "sheets": [
                {k: v for k, v in sh.items() if k in ("name", "records", "header_row")}
                for sh in ((rep.extra.get("sheets") or []) if rep is not None else [])
                if isinstance(sh, dict)
            ],
            "sheet_column": rep.extra.get("sheet_column") if rep is not None else None,
            "row_meaning": row_meaning(df),
            "columns": [str(c) for c in df.columns],
            "warnings": warnings,
            "findings": int(len(findings)),
            "searchable": any(
                c in {str(x).upper() for x in df.columns} for codes in SEARCH_FIELDS.values() for c in codes
            ),
        }
        _write_text(entry / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1))
        return meta

    def _dataset(self, rel, path, entry, meta) -> Dataset:
        return Dataset(
            id=rel,
            path=path,
            layout=meta["layout"],
            records=meta["records"],
            date=meta["date"],
            term=_term(Path(rel).stem),
            columns=tuple(meta["columns"]),
            cache=entry,
            warnings=tuple(meta["warnings"]),
            findings=meta["findings"],
        )

    # ------------------------------------------------------------------ pairs
    def _find_pairs(self) -> list[Pair]:
        if "pairs" in self.config:
            return [self._configured_pair(p) for p in self.config.get("pairs") or []]
        return self._reconcile_pairs() + self._compare_pairs()

    def _configured_pair(self, p) -> Pair:
        if not isinstance(p, dict) or p.get("kind") not in PAIR_ROLES:
            raise XuejiError(
                f"{self.folder / CONFIG_NAME}：pairs 中的 {p!r} 不对，kind 应为 reconcile、compare 或 handoff"
            )
        names = PAIR_ROLES[p["kind"]]
        files = [p.get(n) if n else None for n in names]
        for n, f in zip(names, files):
            if f is not None and f not in self.datasets:
                raise XuejiError(f"{self.folder / CONFIG_NAME}：pairs 中 {n}: {f} 不是数据目录里读得出的文件")
        if not files[0] or not files[1]:
            raise XuejiError(f"{self.folder / CONFIG_NAME}：pairs 中的 {p!r} 缺少 {names[0]} 或 {names[1]}")
        year = p.get("year")
        return Pair(
            p["kind"],
            files[0],
            files[1],
            files[2],
            int(year) if year else None,
            str(p["category"]) if p.get("category") else None,
        )

    def _keys(self, ds: str, name: str) -> pa.Array:
        return pc.drop_null(self.index(ds)[name]).combine_chunks()

    def _overlap(self, a: str, b: str, name: str) -> int:
        ka, kb = self._keys(a, name), self._keys(b, name)
        return int(pc.sum(pc.is_in(pc.unique(ka), value_set=pc.unique(kb))).as_py() or 0) if len(ka) and len(kb) else 0

    def _of(self, layout: str) -> list[Dataset]:
        return [d for d in self.datasets.values() if d.layout == layout]

    def _reconcile_pairs(self) -> list[Pair]:
        pairs = []
        adms = self._of("chsi_admission")
        for reg in self._of("chsi_registration"):
            near = [a for a in adms if a.path.parent == reg.path.parent]
            scored = sorted(((self._overlap(reg.id, a.id, "ksh"), a.id) for a in near), reverse=True)
            if not scored or scored[0][0] * 2 < reg.records:
                continue
            adm = scored[0][1]
            states = sorted(
                (
                    (self._overlap(s.id, adm, "ksh"), s.id)
                    for s in self._of("chsi_new_student_status")
                    if s.path.parent == reg.path.parent
                ),
                reverse=True,
            )
            pairs.append(Pair("reconcile", adm, reg.id, states[0][1] if states and states[0][0] else None))
        return pairs

    def _compare_pairs(self) -> list[Pair]:
        """Consecutive terms of one roster (学籍号 mostly shared, different terms), and 毕业生 → 新生 lists."""
        pairs = []
        by_dir: dict[Path, list[Dataset]] = {}
        for d in self._of("k12_student"):
            by_dir.setdefault(d.path.parent, []).append(d)
        for folder, rosters in by_dir.items():
            graduates = [d for d in rosters if "毕业" in Path(d.id).stem]
            intakes = [d for d in rosters if "新生" in Path(d.id).stem]
            terms = sorted((d for d in rosters if d not in graduates and d not in intakes), key=_term_order)
            for old, new in zip(terms, terms[1:]):
                if old.term and old.term == new.term:
                    continue  # two copies of one term (e.g. a school's part of the county roster)
                if self._overlap(old.id, new.id, "xjh") * 2 < max(old.records, new.records):
                    continue
                changes = [
                    c
                    for c in self._of("k12_changes")
                    if c.path.parent == folder and (not c.term or not new.term or c.term == new.term)
                ]
                pairs.append(Pair("compare", old.id, new.id, changes[0].id if changes else None))
            for g in graduates:
                for i in intakes:
                    pairs.append(Pair("handoff", g.id, i.id))
        return pairs

    def _build_statuses(self, say) -> None:
        parts = []
        for pair in self.pairs:
            names = [pair.left, pair.right] + ([pair.extra] if pair.extra else [])
            stamp = hashlib.sha1(
                json.dumps(
                    [
                        pair.id,
                        pair.extra,
                        pair.year,
                        pair.category,
                        STATUSES_VERSION,
                        [self.datasets[n].cache.name for n in names],
                        [
                            json.loads((self.datasets[n].cache / "meta.json").read_text("utf-8"))["fingerprint"]
                            for n in names
                        ],
                    ]
                ).encode()
            ).hexdigest()[:16]
            path = self.cache_dir / "pairs" / f"{stamp}.parquet"
            if not path.exists():
                say(f"核对 {pair.label}")
                try:
                    frame = self._pair_statuses(pair)
                except XuejiError as exc:
                    self.problems.append((pair.label, str(exc)))
                    continue
                path.parent.mkdir(mode=0o700, exist_ok=True)
                _write_parquet(pa.Table.from_pandas(frame, preserve_index=False), path)
            parts.append(pq.read_table(path).to_pandas())
        cols = ["dataset", "row", "pair", "status", "status_zh", "reasons", "other", "other_row", "explained"]
        self._statuses = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)

    def run_pair(self, pair: Pair) -> ReconcileResult | CompareResult | HandoffResult:
        """The library's result for a pair, computed from the cached frames (the numbers a dashboard shows)."""
        from ..matching.pairs import run_pair

        return run_pair(
            pair.kind,
            self.frame(pair.left),
            self.frame(pair.right),
            self.frame(pair.extra) if pair.extra else None,
            names=(pair.left, pair.right),
            year=pair.year,
            category=pair.category,
        )

    def _pair_statuses(self, pair: Pair) -> pd.DataFrame:
        from ..matching.compare import STATUS_ZH as COMPARE_ZH
        from ..matching.reconcile import STATUS_ZH as RECONCILE_ZH

        res = self.run_pair(pair)
        if pair.kind == "reconcile":
            sides = ((pair.left, res.admission, pair.right), (pair.right, res.registration, pair.left))
            zh, other_col = RECONCILE_ZH, "counterpart_row"
        elif pair.kind == "handoff":
            sides = ((pair.left, res.graduates, pair.right), (pair.right, res.intake, pair.left))
            zh, other_col = COMPARE_ZH, "counterpart_row"
        else:
            sides = ((pair.left, res.old, pair.right), (pair.right, res.new, pair.left))
            zh, other_col = COMPARE_ZH, "counterpart_row"
        out = []
        for ds, frame, other in sides:
            out.append(
                pd.DataFrame(
                    {
                        "dataset": ds,
                        "row": frame["row"].astype("int64").to_numpy(),
                        "pair": pair.label,
                        "status": frame["status"].astype("str").to_numpy(),
                        "status_zh": frame["status"].map(zh).astype("str").to_numpy(),
                        "reasons": frame["reasons"].astype("str").fillna("").to_numpy(),
                        "other": other,
                        "other_row": pd.array(frame[other_col], dtype="Int64"),
                        # a removal (or addition) a change record explains; False for 疑似流失 (组合查询's flag)
                        "explained": pd.array(
                            frame["explained"] if "explained" in frame else [pd.NA] * len(frame), dtype="boolean"
                        ),
                    }
                )
            )
        return pd.concat(out, ignore_index=True)

    def _write_catalog(self) -> None:
        info = {
            "folder": str(self.folder),
            "datasets": [d.id for d in self.datasets.values()],
            "pairs": [p.__dict__ for p in self.pairs],
            "problems": self.problems,
            "files": self.current_files(),
        }
        _write_text(self.cache_dir / "catalog.json", json.dumps(info, ensure_ascii=False, indent=1))

    # ------------------------------------------------------------------ reading the cache
    def open(self, refresh: bool = False) -> Catalog:
        """The catalogue as the last ``refresh`` left it: no file is loaded. With ``refresh=True`` (what the
        dashboards do), files added, changed or removed since then are brought up to date first (only
        those are read); otherwise a changed file is reported as stale in ``problems`` and keeps its cached
        contents."""
        info_path = self.cache_dir / "catalog.json"
        if not info_path.exists():
            return self.refresh()
        info = json.loads(info_path.read_text("utf-8"))
        if refresh and info.get("files") != self.current_files():
            return self.refresh()
        self.datasets, self.problems = {}, [tuple(p) for p in info["problems"]]
        for rel in info["datasets"]:
            entry = self._entry(rel)
            meta = json.loads((entry / "meta.json").read_text("utf-8"))
            path = self.folder / rel
            if not path.exists() or self._fingerprint(path) != meta["fingerprint"]:
                self.problems.append(
                    (rel, "文件在上次建立缓存后改动过（或已删除），显示的是缓存中的旧内容；重新打开页面即可更新")
                )
            self.datasets[rel] = self._dataset(rel, path, entry, meta)
        self.pairs = [Pair(**p) for p in info["pairs"]]
        self._build_statuses(lambda *a: None)
        return self

    def index(self, ds: str) -> pa.Table:
        if ds not in self._index:
            self._index[ds] = pq.read_table(self.datasets[ds].cache / "index.parquet")
        return self._index[ds]

    def load_indexes(self) -> None:
        for ds in self.datasets:
            self.index(ds)

    def frame(self, ds: str) -> pd.DataFrame:
        """The whole dataset as loaded (from the cache), without ``_row``; its ``LoadReport`` says which row of
        the file each record is at, so results over it name the rows a person finds (``core.rows``)."""
        from ..io.loadinfo import LoadReport

        d = self.dataset(ds)
        df = pq.read_table(d.cache / "data.parquet").to_pandas().drop(columns="_row")
        meta = json.loads((d.cache / "meta.json").read_text("utf-8"))
        extra = {"source_rows": self.file_rows(ds)} if meta.get("format") in ("xlsx", "csv") else {}
        if meta.get("header_row"):
            extra["header_row"] = meta["header_row"]
        t = pq.read_table(d.cache / "rows.parquet")
        if "file_sheet" in t.column_names and len(meta.get("sheets") or []) > 1:  # rows name their sheet
            extra.update(
                source_sheets=t.column("file_sheet").to_numpy(),
                sheets=meta["sheets"],
                sheet_column=meta.get("sheet_column") or "工作表",
            )
        df.attrs["load_report"] = LoadReport(
            path=str(d.path), format=meta.get("format") or "", records=len(df), extra=extra
        )
        return df

    def file_rows(self, ds: str) -> np.ndarray:
        """For each record (in order) the row a person finds it at in the file: the Excel row, the DBF record."""
        if ds not in self._file_rows:
            t = pq.read_table(self.dataset(ds).cache / "rows.parquet")
            self._file_rows[ds] = t.column("file_row").to_numpy()
        return self._file_rows[ds]

    def file_row(self, ds: str, row: int) -> int:
        """Record ``row`` (1-based position) of a dataset as the row a person finds it at in the file."""
        rows = self.file_rows(ds)
        return int(rows[int(row) - 1]) if 0 < int(row) <= len(rows) else int(row)

    def dataset(self, ds: str) -> Dataset:
        if ds not in self.datasets:
            raise XuejiError(f"没有名为 {ds!r} 的数据集")
        return self.datasets[ds]

    def rows(self, ds: str, rows: Iterable[int], columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Records ``rows`` (1-based) of a dataset (``_row`` and ``columns``, default all), read from the
        cache's row groups that hold them."""
        rows = sorted({int(r) for r in rows})
        pf = pq.ParquetFile(self.dataset(ds).cache / "data.parquet")
        if columns is not None:
            have = set(pf.schema_arrow.names)
            columns = ["_row", *[c for c in columns if c in have and c != "_row"]]
        out, start = [], 0
        for g in range(pf.num_row_groups):
            n = pf.metadata.row_group(g).num_rows
            want = [r for r in rows if start < r <= start + n]
            if want:
                t = pf.read_row_group(g, columns=columns)
                out.append(t.take(pa.array([r - start - 1 for r in want])))
            start += n
        if not out:
            return pd.DataFrame(columns=columns or ["_row", *self.dataset(ds).columns])
        return pa.concat_tables(out).to_pandas()

    def findings(self, ds: str) -> pd.DataFrame:
        if ds not in self._findings:
            self._findings[ds] = pq.read_table(self.dataset(ds).cache / "findings.parquet").to_pandas()
        return self._findings[ds]

    def query_table(self, ds: str) -> QueryTable:
        """Dataset ``ds`` opened for 组合查询 (``engine.query``): its cached Parquet read by DuckDB, with its
        validation findings, its statuses in the folder's pairs, its search keys and the photo folder's names
        (the flags 校验有误, 疑似重复, 疑似流失, 无身份证号, 无照片)."""
        from ..engine.query import QueryTable

        d = self.dataset(ds)
        st = self.statuses
        return QueryTable(
            d.cache / "data.parquet",
            layout=d.layout,
            findings=self.findings(ds),
            statuses=st[st["dataset"] == ds],
            keys=self.index(ds),
            photo_keys=self.photo_keys(),
        )

    def photo_keys(self) -> set[str] | None:
        """The photo folders' file names (upper case, without extension): what a student's photo is named by;
        None when the folder has no photo folder."""
        if not any(f.is_dir() for f in self.photo_folders()):
            return None
        self.photo([])  # fills _photo_files
        return set(self._photo_files or ())

    @property
    def statuses(self) -> pd.DataFrame:
        if self._statuses is None:
            self._build_statuses(lambda *a: None)
        return self._statuses

    # ------------------------------------------------------------------ search
    def search(self, text: str, limit: int = 200) -> tuple[pd.DataFrame, int, str]:
        """Records matching ``text``: an exact 身份证号 (15 or 18 digits), 考生号, 学号 or 学籍号, or a 姓名
        or part of one. Returns (hits, total, how) — hits has dataset, row, matched (Chinese field name),
        at most ``limit`` rows; ``how`` says in Chinese what was searched for (no personal value in it)."""
        q = normalize_query(text)
        if not q:
            return _empty_hits(), 0, "请输入姓名、身份证号、考生号、学号或学籍号"
        parts = []
        if re.fullmatch(r"[0-9A-Z]+", q):
            from ..core.ids import to18

            q18 = str(to18(pd.Series([q], dtype="str")).iloc[0])
            how = "按证件号、考生号、学号、学籍号查找"
            for ds in self.datasets:
                t = self.index(ds)
                tests = {
                    "id": pc.equal(t["id"], q18),
                    "ksh": pc.equal(t["ksh"], q),
                    "xh": pc.equal(t["xh"], q),
                    "xjh": pc.or_kleene(pc.equal(t["xjh"], q), pc.equal(t["xjh"], "G" + q18)),
                }
                for name, hit in tests.items():
                    rows = np.flatnonzero(hit.fill_null(False).to_numpy(zero_copy_only=False))
                    if len(rows):
                        parts.append(pd.DataFrame({"dataset": ds, "row": rows + 1, "matched": SEARCH_ZH[name]}))
        else:
            how = "按姓名查找（包含所输入的字）"
            for ds in self.datasets:
                hit = pc.match_substring(self.index(ds)["name"], q)
                rows = np.flatnonzero(hit.fill_null(False).to_numpy(zero_copy_only=False))
                if len(rows):
                    parts.append(pd.DataFrame({"dataset": ds, "row": rows + 1, "matched": "姓名"}))
        if not parts:
            return _empty_hits(), 0, how
        hits = pd.concat(parts, ignore_index=True)
        hits = hits.groupby(["dataset", "row"], sort=False, as_index=False).agg(matched=("matched", "、".join))
        return hits.head(limit), len(hits), how

    def describe_hits(self, hits: pd.DataFrame, unmask: bool = False) -> pd.DataFrame:
        """Hits with what a person recognises a student by: 文件, 行号, 姓名, 身份证号, 考生号/学号/学籍号,
        学校 or 专业, 匹配 — personal fields masked unless ``unmask``."""
        from ..core.privacy import mask_value

        rows = []
        wanted = [c for cols in SEARCH_FIELDS.values() for c in cols] + list(HIT_CONTEXT)
        for ds, group in hits.groupby("dataset", sort=False):
            cols = [c for c in self.dataset(ds).columns if str(c).upper() in wanted or c in wanted]
            recs = self.rows(ds, group["row"], columns=cols).set_index("_row")
            for r, matched in zip(group["row"], group["matched"]):
                rec = recs.loc[int(r)] if int(r) in recs.index else pd.Series(dtype=object)

                def get(*codes, rec=rec):
                    return next((_text(rec[c]) for c in codes if c in rec.index and _text(rec[c])), "")

                sfzh = get(*ID_NUMBER_FIELDS)
                xjh = get("XJH")
                rows.append(
                    {
                        "文件": ds,
                        "行号": self.file_row(ds, r),
                        "姓名": get("XM"),
                        "身份证号": sfzh if unmask else mask_value("id", sfzh),
                        "考生号": get("KSH"),
                        "学号": get("XH"),
                        "学籍号": xjh if unmask else mask_value("id", xjh),
                        "学校/专业": get("XXMC", "ZYMC", "YXMC"),
                        "年级/班级": " ".join(v for v in (get("NJ"), get("BJ", "BH")) if v),
                        "匹配": matched,
                    }
                )
        return pd.DataFrame(
            rows,
            columns=["文件", "行号", "姓名", "身份证号", "考生号", "学号", "学籍号", "学校/专业", "年级/班级", "匹配"],
        )

    # ------------------------------------------------------------------ one student
    def same_person(self, ds: str, row: int) -> list[tuple[str, int]]:
        """The records of every dataset that belong to the student at (ds, row): same 身份证号 (15 or 18
        digits), 考生号 or 学籍号 (G+身份证号 too); the record itself first."""
        t = self.index(ds)
        keys = {k: t[k][int(row) - 1].as_py() for k in ("id", "ksh", "xjh")}
        if keys["xjh"] and keys["xjh"].startswith("G") and len(keys["xjh"]) == 19 and not keys["id"]:
            keys["id"] = keys["xjh"][1:]
        found = [(ds, int(row))]
        for other in self.datasets:
            ot = self.index(other)
            hit = pa.array(np.zeros(ot.num_rows, bool))
            if keys["id"]:
                hit = pc.or_(hit, pc.equal(ot["id"], keys["id"]).fill_null(False))
                hit = pc.or_(hit, pc.equal(ot["xjh"], "G" + keys["id"]).fill_null(False))
            for k in ("ksh", "xjh"):
                if keys[k]:
                    hit = pc.or_(hit, pc.equal(ot[k], keys[k]).fill_null(False))
            for r in np.flatnonzero(hit.to_numpy(zero_copy_only=False)) + 1:
                if (other, int(r)) not in found:
                    found.append((other, int(r)))
        return found

    def card(self, ds: str, row: int, unmask: bool = False) -> StudentCard:
        from ..core.privacy import mask_value, personal_kind
        from ..schema.layouts import load_layout

        records = self.same_person(ds, row)
        order = sorted(records, key=lambda r: (self.datasets[r[0]].term or "", self.datasets[r[0]].date, r[0]))
        columns, values, labels = [], {}, {}
        for d, r in order:
            meta = self.datasets[d]
            lay = load_layout(meta.layout) if meta.layout else None
            rec = self.rows(d, [r]).drop(columns="_row").iloc[0]
            title = f"{d} 第{self.file_row(d, r)}行（{meta.term or meta.date}）"
            columns.append(title)
            for code, v in rec.items():
                kind = personal_kind(code, lay)
                text = _text(v)
                values.setdefault(code, {})[title] = text if unmask or not kind else mask_value(kind, text)
                if code not in labels and lay is not None:
                    f = next((f for f in lay.fields if f.code == code), None)
                    labels[code] = f"{f.name}（{code}）" if f else code
        table = pd.DataFrame.from_dict(values, orient="index").reindex(columns=columns).fillna("")
        table.index = [labels.get(c, c) for c in table.index]
        table.index.name = "字段"
        find = [self.findings(d).loc[lambda f, r=r: f["row"] == r].assign(文件=d) for d, r in order]
        find = pd.concat(find, ignore_index=True) if find else pd.DataFrame()
        findings = pd.DataFrame(
            {
                "文件": find.get("文件", []),
                "行号": [self.file_row(d, r) for d, r in zip(find.get("文件", []), find.get("row", []))],
                "字段": find.get("name", []),
                "规则": find.get("rule", []),
                "说明": find.get("message", []),
            }
        )
        st = self.statuses
        want = pd.MultiIndex.from_tuples(order, names=["dataset", "row"])
        sel = st[pd.MultiIndex.from_arrays([st["dataset"], st["row"]]).isin(want)]
        statuses = pd.DataFrame(
            {
                "文件": sel["dataset"],
                "行号": [self.file_row(d, r) for d, r in zip(sel["dataset"], sel["row"])],
                "核对/对比": sel["pair"],
                "结果": sel["status_zh"],
                "说明": sel["reasons"],
                "对方": [
                    f"{o} 第{self.file_row(o, r) if o in self.datasets else r}行" if pd.notna(r) else ""
                    for o, r in zip(sel["other"], sel["other_row"])
                ],
            }
        )
        return StudentCard(
            file_rows=tuple(self.file_row(d, r) for d, r in order),
            records=order,
            fields=table,
            findings=findings.reset_index(drop=True),
            statuses=statuses.reset_index(drop=True),
            photo=self.photo(order),
            masked=not unmask,
        )

    # ------------------------------------------------------------------ photos
    def photo_folders(self) -> list[Path]:
        if self._photos_arg:
            return [Path(self._photos_arg)]
        if self.config.get("photos"):
            return [self.folder / str(self.config["photos"])]
        return sorted(
            p
            for p in self.folder.rglob("*")
            if p.is_dir() and p.name.lower() in ("photos", "照片") and CACHE_DIRNAME not in p.parts
        )

    def photo(self, records: Iterable[tuple[str, int]]) -> Path | None:
        """The photo of a student whose records are ``records``: a file named by their 身份证号, 考生号, 学号
        or 学籍号 in a photo folder or in its class folders (“2026级软件2601班/…”, two levels down, as
        ``xueji photos`` reads them; hidden folders skipped)."""
        if self._photo_files is None:
            self._photo_files = {}
            for folder in self.photo_folders():
                if folder.is_dir():
                    for p in _photo_paths(folder, depth=2):
                        self._photo_files.setdefault(p.stem.upper(), p)
        for d, r in records:
            t = self.index(d)
            for k in ("id", "ksh", "xh", "xjh"):
                v = t[k][r - 1].as_py()
                if v and v in self._photo_files:
                    return self._photo_files[v]
        return None


def _photo_paths(folder: Path, depth: int) -> list[Path]:
    """Photo files in ``folder`` and its sub-folders down to ``depth`` levels (hidden ones and __MACOSX skipped;
    an unreadable folder is left out), the folder's own files first."""
    out: list[Path] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return out
    out += [p for p in entries if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES]
    if depth > 0:
        for p in entries:
            if p.is_dir() and not p.name.startswith(".") and p.name != "__MACOSX" and CACHE_DIRNAME != p.name:
                out += _photo_paths(p, depth - 1)
    return out


def _empty_hits() -> pd.DataFrame:
    return pd.DataFrame(
        {"dataset": pd.Series(dtype="str"), "row": pd.Series(dtype="int64"), "matched": pd.Series(dtype="str")}
    )


def _text(v) -> str:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y%m%d")
    return str(v).strip()


def _file_date(path: Path, rep) -> str:
    d = getattr(rep, "last_update", None)
    if d:
        return str(d)[:10]
    return time.strftime("%Y-%m-%d", time.localtime(path.stat().st_mtime))


class _Lock:
    """An exclusive lock on a file for the duration of a ``with``: POSIX flock; on Windows msvcrt.locking on the
    file's first byte (two dashboards, or a dashboard and a command, refreshing one cache take turns there too)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.f = open(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            while True:  # LK_LOCK tries for 10 s, then raises: wait on, as flock does
                try:
                    os.lseek(self.f.fileno(), 0, os.SEEK_SET)
                    msvcrt.locking(self.f.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
        else:
            fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if os.name == "nt":  # pragma: no cover - Windows: unlock the byte, then close
            import msvcrt

            with contextlib.suppress(OSError):
                os.lseek(self.f.fileno(), 0, os.SEEK_SET)
                msvcrt.locking(self.f.fileno(), msvcrt.LK_UNLCK, 1)
        self.f.close()  # closing releases the lock


def _write_parquet(table: pa.Table, path: Path) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, row_group_size=16384)  # one record = one small row group read
    _private(path)  # published with the umask's mode (in a 0700 folder): the owner's only


def _write_text(path: Path, text: str) -> None:
    write_atomic_text(path, text)
    _private(path)


PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
# what xueji keeps in a cache folder: the entries, pairs, Voila's template and config, its own files
_CACHE_NAMES = re.compile(
    r"^([0-9a-f]{16}|pairs|jupyter|catalog\.json|README\.txt|\.lock|audit\.jsonl|看板地址\.txt|\..*\.tmp"
    r"|queries\.json|queries\.lock)$"  # 组合查询's saved queries
)


def _private(path: Path) -> None:
    if os.name == "posix":
        os.chmod(path, PRIVATE_FILE)


def make_private(folder: str | os.PathLike) -> Path:
    """``folder`` created if missing, and it and everything in it made the owner's only (folders 0700, files
    0600): the cache holds Parquet copies of the lists with unmasked ID numbers, and the audit log. A cache made
    by an earlier version (0755/0644) is put right. An error naming the folder when it is someone else's."""
    folder = Path(folder)
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if os.name != "posix":  # pragma: no cover - Windows: the user's profile folders are private already
        return folder
    try:
        for root, dirs, files in os.walk(folder):
            if root == str(folder):  # only what xueji keeps there (a --cache naming a folder with other files)
                dirs[:] = [d for d in dirs if _CACHE_NAMES.match(d)]
                files = [f for f in files if _CACHE_NAMES.match(f)]
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
            for name, mode in [(root, PRIVATE_DIR)] + [(os.path.join(root, f), PRIVATE_FILE) for f in files]:
                if not os.path.islink(name) and os.lstat(name).st_mode & 0o7777 != mode:
                    os.chmod(name, mode)
    except PermissionError as exc:
        raise XuejiError(
            f"缓存目录 {folder} 中的 {exc.filename} 不属于当前用户，无法设为只有本人可读：请换一个缓存目录（--cache）"
        ) from exc
    return folder
