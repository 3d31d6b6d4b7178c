"""Writing the committed samples (``write_samples``): the DBFs of the university, the photo folder, the
county's workbooks and CSV, ``planted.csv`` and ``README.md``, deterministic to the byte (fixed file dates,
no clock), built in a temporary folder and moved into place. ``main_samples`` is its command line.

    >>> write_samples("data_samples")          # doctest: +SKIP
    PosixPath('data_samples')
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.files import atomic_path, write_atomic
from .hei import (
    FILE_ADMISSION_10,
    FILE_ADMISSION_50,
    FILE_REGISTRATION_10,
    FILE_REGISTRATION_50,
    FILE_STATES_10,
    PHOTO_CLASSES,
    HeiSample,
    make_hei,
)
from .hei_late import FILE_REGISTRATION_LATE, LateBatch, make_hei_late
from .hei_terms import FILE_HEI_CHANGES, FILE_HEI_ROSTER_NEW, FILE_HEI_ROSTER_OLD, HEI_SHEET_NAMES, make_hei_terms
from .k12 import make_k12
from .k12_check import FILE_CHECK_MIDDLE, FILE_CHECK_PRIMARY, make_k12_check, write_k12_check
from .k12_grad_fix import FILE_GRADUATES_FIX, make_grad_fix
from .k12_roster import (
    FILE_CHANGES,
    FILE_GRADUATES,
    FILE_INTAKE,
    FILE_ROSTER_CSV,
    FILE_ROSTER_NEW,
    FILE_ROSTER_OLD,
    K12Sample,
)
from .photos import PHOTO_DIR, make_photos
from .readme import FILE_NOTES, _readme
from .vocabulary import DBF_DATE, SAMPLE_SEED, XLSX_DATE

FILE_ORDER = (
    FILE_ADMISSION_10,
    FILE_REGISTRATION_10,
    FILE_STATES_10,
    FILE_ADMISSION_50,
    FILE_REGISTRATION_50,
    FILE_REGISTRATION_LATE,
    PHOTO_DIR,
    FILE_HEI_ROSTER_OLD,
    FILE_HEI_ROSTER_NEW,
    FILE_HEI_CHANGES,
    FILE_ROSTER_OLD,
    FILE_ROSTER_NEW,
    FILE_ROSTER_CSV,
    FILE_CHANGES,
    FILE_GRADUATES,
    FILE_GRADUATES_FIX,
    FILE_INTAKE,
    FILE_CHECK_PRIMARY,
    FILE_CHECK_MIDDLE,
)
SHEET_NAMES = {
    FILE_ROSTER_OLD: "学生基础信息",
    FILE_ROSTER_NEW: "学生基础信息",
    FILE_GRADUATES: "毕业生",
    FILE_INTAKE: "新生",
    FILE_CHANGES: "学籍异动",
}


def _write_xlsx(path: Path, frame: pd.DataFrame, layout: str, sheet: str, numeric: dict | None = None) -> None:
    import xlsxwriter

    from ..schema.layouts import load_layout

    lay = load_layout(layout)
    cols = list(frame.columns)
    headers = [lay.field(c).name for c in cols]
    numeric = {(frame.index.get_loc(rid) + 1, cols.index(fld)): v for (rid, fld), v in (numeric or {}).items()}
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        wb.set_properties(
            {"title": path.stem, "author": "xueji 合成样例", "created": XLSX_DATE, "comments": "合成数据：人物均为虚构"}
        )
        text = wb.add_format({"num_format": "@"})
        head = wb.add_format({"bold": True, "num_format": "@", "bg_color": "#DDEBF7", "border": 1})
        general = wb.add_format({})
        ws = wb.add_worksheet(sheet)
        for j, h in enumerate(headers):
            ws.set_column(j, j, max(8, min(30, 2 * len(h) + 2)), text)
            ws.write_string(0, j, h, head)
        for i, row in enumerate(frame.to_numpy(dtype=object), start=1):
            for j, v in enumerate(row):
                if (i, j) in numeric:
                    ws.write_number(i, j, numeric[(i, j)], general)
                elif v is not None and v == v and v != "":
                    ws.write_string(i, j, str(v), text)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, len(frame), len(cols) - 1)
        wb.close()


def _write_csv(path: Path, frame: pd.DataFrame, layout: str, texts: dict | None = None, encoding: str = "gbk") -> None:
    from ..schema.layouts import load_layout

    lay = load_layout(layout)
    cols = list(frame.columns)
    texts = {(frame.index.get_loc(rid), cols.index(fld)): v for (rid, fld), v in (texts or {}).items()}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([lay.field(c).name for c in cols])
    for i, row in enumerate(frame.to_numpy(dtype=object)):
        w.writerow([texts.get((i, j), "" if v is None or v != v else v) for j, v in enumerate(row)])
    write_atomic(path, lambda fh: fh.write(buf.getvalue().encode(encoding)))


def _write_planted(path: Path, planted: pd.DataFrame) -> None:
    buf = io.StringIO()
    planted.to_csv(buf, index=False, lineterminator="\n")
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def _sort_planted(planted: pd.DataFrame) -> pd.DataFrame:
    def file_rank(f):
        for i, prefix in enumerate(FILE_ORDER):
            if f == prefix or f.startswith(prefix + "/"):
                return i
        return len(FILE_ORDER)

    p = planted.copy()
    p["_f"] = p["file"].map(file_rank)
    p["_r"] = pd.to_numeric(p["row"].replace("", np.nan), errors="coerce").fillna(0).astype(int)
    p = p.sort_values(["_f", "file", "_r", "field", "expected"], kind="stable").drop(columns=["_f", "_r"])
    return p.reset_index(drop=True)


def write_samples(
    out_dir: str | os.PathLike = "data_samples", seed: int = SAMPLE_SEED, n_hei: int = 1000, n_adult: int = 400
) -> Path:
    """Write every sample file, ``planted.csv`` and ``README.md`` into ``out_dir`` (deterministic: the same
    seed gives byte-identical files). Only ``hei/``, ``k12/``, ``planted.csv`` and ``README.md`` inside
    ``out_dir`` are replaced; they are built in a temporary folder first and moved into place."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".samples-", dir=out))
    try:
        (tmp / "hei").mkdir()
        (tmp / "k12").mkdir()
        hei = make_hei(seed, n_hei, n_adult)
        inventory = _write_hei(tmp, hei)
        taken = set().union(*(set(d["SFZH"]) for d in hei.files.values()))
        late, hei_late_inventory = _write_hei_late(tmp, hei, seed)  # issue 16: the hand-made 补报 DBF
        inventory += hei_late_inventory
        photos = make_photos(tmp, hei.photo_roster, seed, taken_ids=taken | set(late.frame["SFZH"]))
        n_photo_files = sum(1 for p in (tmp / PHOTO_DIR).rglob("*") if p.is_file())  # in class folders
        inventory.append((PHOTO_DIR + "/", "JPG", n_photo_files, "—"))
        terms = make_hei_terms(seed, hei=hei)  # issue 16: a university's rosters and 学籍异动 list
        for f, frame in terms.files.items():
            _write_xlsx(tmp / f, frame, terms.layouts[f], HEI_SHEET_NAMES[f])
            inventory.append((f, terms.layouts[f], len(frame), "xlsx"))
        k12 = make_k12(seed)
        inventory += _write_k12(tmp, k12)
        grad_fix, grad_fix_planted = make_grad_fix(k12, seed)  # issue 16 §9: a graduates' list corrected
        _write_xlsx(tmp / FILE_GRADUATES_FIX, grad_fix, k12.layouts[FILE_GRADUATES], "毕业生")
        inventory.append((FILE_GRADUATES_FIX, k12.layouts[FILE_GRADUATES], len(grad_fix), "xlsx"))
        check = make_k12_check(seed)  # issue 16: the county's 学籍核查 workbooks (sheets 在校 and 离校)
        inventory += write_k12_check(tmp, check)
        planted = _sort_planted(
            pd.concat(
                [
                    hei.planted.resolve(hei.files, hei.keys),
                    late.planted.resolve({FILE_REGISTRATION_LATE: late.frame}, {FILE_REGISTRATION_LATE: "KSH"}),
                    photos,
                    terms.planted.resolve(terms.files, terms.keys),
                    k12.planted.resolve(k12.files, k12.keys),
                    grad_fix_planted.resolve({FILE_GRADUATES_FIX: grad_fix}, {FILE_GRADUATES_FIX: "XJH"}),
                    check.planted.resolve(check.files, check.keys),
                ],
                ignore_index=True,
            )
        )
        _write_planted(tmp / "planted.csv", planted)
        notes = {
            PHOTO_DIR: FILE_NOTES[PHOTO_DIR].format(classes="、".join(PHOTO_CLASSES), members=len(hei.photo_roster))
        }
        (tmp / "README.md").write_bytes(_readme(inventory, planted, seed, notes).encode("utf-8"))
        _move_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _write_hei(tmp: Path, hei: HeiSample) -> list[tuple[str, str, int, str]]:
    """The university's DBFs under ``tmp``; their README inventory rows (file, layout, records, encoding)."""
    from ..io.dbf import write_dbf

    inventory = []
    for f, frame in hei.files.items():
        write_dbf(frame.reset_index(drop=True), tmp / f, hei.layouts[f], encoding=hei.encodings[f], date=DBF_DATE)
        inventory.append((f, hei.layouts[f], len(frame), hei.encodings[f].upper()))
    return inventory


def _write_hei_late(tmp: Path, hei: HeiSample, seed: int) -> tuple[LateBatch, list[tuple[str, str, int, str]]]:
    """The late 补报 batch (``hei_late``), written with its hand-made DBF structure; its README inventory row."""
    from ..io.dbf import write_dbf

    every = hei.files.values()
    late = make_hei_late(
        seed,
        taken_ids=set().union(*(set(d["SFZH"]) for d in every)),
        taken_names=set().union(*(set(d["XM"]) for d in every if "XM" in d)),
        taken_ksh=set().union(*(set(d["KSH"]) for d in every)),
        taken_xh=set().union(*(set(d["XH"]) for d in every if "XH" in d)),
    )
    F = FILE_REGISTRATION_LATE
    write_dbf(late.frame.reset_index(drop=True), tmp / F, late.layout, encoding="gbk", date=DBF_DATE)
    return late, [(F, "chsi_registration（手工旧模板）", len(late.frame), "GBK")]


def _write_k12(tmp: Path, k12: K12Sample) -> list[tuple[str, str, int, str]]:
    """The county's workbooks and CSV under ``tmp``; their README inventory rows."""
    inventory = []
    for f, frame in k12.files.items():
        if f.endswith(".csv"):
            _write_csv(tmp / f, frame, k12.layouts[f], k12.numeric_cells.get(f))
            inventory.append((f, k12.layouts[f], len(frame), "GBK"))
        else:
            _write_xlsx(tmp / f, frame, k12.layouts[f], SHEET_NAMES[f], k12.numeric_cells.get(f))
            inventory.append((f, k12.layouts[f], len(frame), "xlsx"))
    return inventory


def _move_into_place(tmp: Path, out: Path) -> None:
    """Replace ``hei/``, ``k12/``, ``planted.csv`` and ``README.md`` in ``out`` by the ones built in ``tmp``."""
    for name in ("hei", "k12", "planted.csv", "README.md"):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        os.replace(tmp / name, target)


def main_samples(argv: list[str] | None = None) -> int:
    """``python -m xueji_lib.samples.synth --out data_samples [--seed N]``."""
    import argparse

    ap = argparse.ArgumentParser(description="生成合成样例数据")
    ap.add_argument("--out", default="data_samples")
    ap.add_argument("--seed", type=int, default=SAMPLE_SEED)
    args = ap.parse_args(argv)
    out = write_samples(args.out, seed=args.seed)
    print(f"样例文件已写入 {out}")
    return 0
