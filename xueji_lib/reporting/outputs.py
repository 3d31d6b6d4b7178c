"""The files a result writes, under the names the README and the notebooks use. Each is the result's own
``save`` (``ValidationResult.save``, ``ReconcileResult.save``, ``CompareResult.save``, ``PhotoResult.save``):
the lists, the workbook and the summary are rendered from the lists the result declares (``result.lists()``),
so the workbook, the report and the dashboard show the same columns under the same headers.

    >>> import xueji_lib as xj
    >>> df = xj.read_dbf("data_samples/hei/10_注册上报.dbf")                          # doctest: +SKIP
    >>> res = xj.validate(df, "chsi_registration", year=2026, category="10")         # doctest: +SKIP
    >>> out = xj.write_validation_outputs(res, df, "reports/注册上报_校验结果")        # doctest: +SKIP
    >>> out["passed"], out.notes                                                     # doctest: +SKIP

``write_*_outputs(result, inputs…, folder)`` take the input lists explicitly (for a result computed before
it held them); ``result.save(folder)`` is the same call. ``progress`` (as in ``core.progress``; the command
line passes True) reports the rows of each workbook as it is written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from ..checks.validation_files import OUTPUT_NAMES
from ..core.progress import ProgressArg
from ..core.result import OutputFiles
from ..io.excel_writer import writing_progress
from ..io.lists import JYJG_WIDTH, write_results_csv
from ..matching.compare import COMPARE_OUTPUT_NAMES
from ..matching.reconcile import RECONCILE_OUTPUT_NAMES

if TYPE_CHECKING:
    from ..checks.photos import PhotoResult
    from ..checks.validate import ValidationResult
    from ..matching.compare import CompareResult
    from ..matching.reconcile import ReconcileResult
    from ..schema.layouts import Layout

__all__ = [
    "write_validation_outputs",
    "ValidationOutputs",
    "OUTPUT_NAMES",
    "JYJG_WIDTH",
    "write_reconcile_outputs",
    "write_compare_outputs",
    "write_photo_outputs",
    "write_results_csv",
    "RECONCILE_OUTPUT_NAMES",
    "COMPARE_OUTPUT_NAMES",
]

ValidationOutputs = OutputFiles  # ``{key: Path}`` plus ``notes`` and ``encoding_note`` (the older name)


def write_validation_outputs(
    result: ValidationResult,
    df: pd.DataFrame,
    out_dir: str | os.PathLike,
    *,
    unmask: bool = False,
    layout_reason: str = "",
    others: Sequence[str] = (),
    progress: ProgressArg = None,
) -> OutputFiles:
    """Write the lists, the workbook and ``summary.json`` for ``result`` (from ``validate(df, …)``).

    ``layout_reason`` (how the layout was chosen) and ``others`` (names of the files checked for 重复学籍)
    are only shown in the 汇总 sheet. Raises ``WriteError`` when a passing record holds a value that
    cannot go into the upload file (the message names the input row and field).

    >>> import tempfile
    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    >>> files = xj.write_validation_outputs(xj.validate(reg, year=2026, category="10"), reg, tempfile.mkdtemp())
    >>> sorted(p.name for p in files.values())
    ['summary.json', '数据有误.dbf', '数据有误_修改用.xlsx', '校验结果.xlsx', '校验通过.dbf']
    >>> len(xj.read_dbf(files["failed"]))                # every failing record, with its JYJG reason
    17
    """
    with writing_progress(progress):
        return replace(result, inputs={**result.inputs, "data": df}).save(
            out_dir, unmask=unmask, layout_reason=layout_reason, others=others
        )


def write_photo_outputs(
    result: PhotoResult, out_dir: str | os.PathLike, *, progress: ProgressArg = None
) -> OutputFiles:
    """照片核对.xlsx (汇总, 问题明细, 学生, 照片文件; IDs already masked by check_photos) and summary.json.

    >>> from xueji_lib.reporting.outputs import write_photo_outputs
    >>> res = xj.check_photos(roster, "照片")                      # doctest: +SKIP
    >>> write_photo_outputs(res, "照片核对结果")                     # doctest: +SKIP
    """
    with writing_progress(progress):
        return result.save(out_dir)


def write_reconcile_outputs(
    result: ReconcileResult,
    admission: pd.DataFrame,
    registration: pd.DataFrame,
    out_dir: str | os.PathLike,
    *,
    unmask: bool = False,
    sources: dict | None = None,
    registration_layout: str | os.PathLike | Layout = "chsi_registration",
    admission_layout: str | os.PathLike | Layout = "chsi_admission",
    progress: ProgressArg = None,
) -> OutputFiles:
    """Write what ``xueji reconcile`` gives the clerk for ``result`` (from ``reconcile(admission,
    registration, …)``, the same two frames — or folders converted by ``dbf_to_parquet``, from which only the
    listed records are read):

    - ``results.csv`` — ``result.results()``: one row per input record of both sides (UTF-8 with BOM);
    - ``资格有误.dbf`` — the registration records that do not match (``qualification_errors()``) in the
      registration upload layout plus ``JYJG`` C(254) with the reason, as the platform returns them;
    - ``未注册.dbf`` — the admitted students not registered, in the admission layout plus ``JYJG`` (the
      reason, with the new-student state when known);
    - ``核对结果.xlsx`` — 汇总 (parameters, counts per side that add up), 资格有误, 未注册 (by state),
      录取数据不一致; the records' personal columns masked unless ``unmask``;
    - ``summary.json`` — ``result.to_dict()`` plus the inputs, output names and notes.

    ``sources``: {"admission": name, "registration": name, "states": name} shown in 汇总 and summary.json.
    The two DBF lists keep real values (they go back to the platform). Returns ``{key: Path}`` with
    ``notes`` (Chinese sentences to show: GB18030 fallback, values cut to fit).

    >>> from xueji_lib.reporting.outputs import write_reconcile_outputs
    >>> res = xj.reconcile(adm, reg, year=2026, category="10", states=states)            # doctest: +SKIP
    >>> files = write_reconcile_outputs(res, adm, reg, "核对结果")                          # doctest: +SKIP
    >>> files["qualification_errors"], files["not_registered"], files.notes               # doctest: +SKIP
    """
    res = replace(result, inputs={**result.inputs, "admission": admission, "registration": registration})
    with writing_progress(progress):
        return res.save(
            out_dir,
            unmask=unmask,
            sources=sources,
            layouts={"registration": registration_layout, "admission": admission_layout},
        )


def write_compare_outputs(
    result: CompareResult,
    old: pd.DataFrame,
    new: pd.DataFrame,
    out_dir: str | os.PathLike,
    *,
    changes: pd.DataFrame | None = None,
    unmask: bool = False,
    sources: dict | None = None,
    layout: str | os.PathLike | Layout | None = "k12_student",
    changes_layout: str | os.PathLike | Layout | None = "k12_changes",
    progress: ProgressArg = None,
) -> OutputFiles:
    """Write what ``xueji compare`` gives the bureau for ``result`` (from ``compare(old, new, changes=…)``;
    ``old``/``new`` the same frames, or folders converted by ``dbf_to_parquet``,
    the same frames):

    - ``results.csv`` — ``result.results()``: one row per record of both rosters (UTF-8 with BOM; the
      ``key`` column and the reasons already masked by ``compare``);
    - ``对比结果.xlsx`` — 汇总 (parameters, counts per side that add up), 疑似流失 (removed with no change
      record, by school: the 控辍保学 follow-up list), 按学校, 减少, 新增, 变化, 调动, 重复, 无法对应, and
      异动名单 when a change list was given; the records' personal columns masked unless ``unmask``;
    - ``summary.json`` — ``result.to_dict()`` plus the inputs and output names.

    ``layout`` / ``changes_layout``: the inputs' layouts (names or ``Layout``; ``None`` for none), for column
    names and which columns are personal.

    >>> from xueji_lib.reporting.outputs import write_compare_outputs
    >>> res = xj.compare(old, new, changes=changes)                                       # doctest: +SKIP
    >>> files = write_compare_outputs(res, old, new, "对比结果", changes=changes)           # doctest: +SKIP
    >>> files["workbook"]                        # 对比结果.xlsx; its sheet 疑似流失 is the follow-up list  # doctest: +SKIP
    """
    res = replace(
        result,
        inputs={
            **result.inputs,
            "old": old,
            "new": new,
            "changes": changes,
            "layout": layout,
            "changes_layout": changes_layout,
        },
    )
    with writing_progress(progress):
        return res.save(out_dir, unmask=unmask, sources=sources)
