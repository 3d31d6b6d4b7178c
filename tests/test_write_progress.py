"""Progress while a large workbook is written (issue 15: 200,000 records took two minutes without a word):
write_excel reports the rows written every few thousand rows, per sheet, and the end once the file is in
place; a command's result files report through reporting.outputs (progress=True)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.io.excel_writer import PROGRESS_ROWS, write_excel, writing_progress
from xueji_lib.io.lists import write_workbook

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
REG = SAMPLES / "hei" / "10_注册上报.dbf"


def _frame(n: int) -> pd.DataFrame:
    i = np.arange(n)
    return pd.DataFrame({"学号": pd.Series(i.astype(str), dtype="str").str.zfill(8), "姓名": "张三", "年龄": i % 90})


def test_a_large_workbook_reports_increasing_rows_and_a_finish(tmp_path):
    reports: list[tuple[str, int, int | None]] = []
    path = write_excel(
        {"名单": _frame(60_000), "汇总": _frame(3)},
        tmp_path / "名单.xlsx",
        progress=lambda label, done, total: reports.append((label, done, total)),
    )
    assert path.is_file()
    rows = [r for r in reports if r[0] == "写出 名单.xlsx：工作表 名单"]
    done = [d for _, d, _ in rows]
    assert len(done) >= 60_000 // PROGRESS_ROWS  # several updates, never one per row
    assert len(reports) < 60_000 / 1000
    assert done == sorted(done) and done[-1] >= 57_000
    assert {t for _, _, t in rows} == {60_003}  # out of every row of the workbook
    assert all(d < 60_003 for _, d, t in reports if t is not None and t != d)
    seen = [d for _, d, _ in reports]
    assert seen == sorted(seen)  # done never decreases within the operation
    assert reports[-1] == ("写出 名单.xlsx", 60_003, 60_003)  # the finish, once the file is saved
    assert [r[0] for r in reports].count("写出 名单.xlsx：保存文件") == 1
    assert all(not (t is not None and d >= t) for _, d, t in reports[:-1])  # nothing said 完成 before the end
    # per sheet: the small sheet has its label too
    assert any(label == "写出 名单.xlsx：工作表 汇总" for label, _, _ in reports)
    back = xj.read_table(path)
    assert len(back) == 60_000 and back["学号"].iloc[12] == "00000012"


def test_silent_by_default_and_failure_is_reported_as_such(tmp_path, capsys):
    write_excel({"名单": _frame(10)}, tmp_path / "a.xlsx")
    assert capsys.readouterr().err == ""
    reports = []
    with pytest.raises(FileNotFoundError):
        write_excel({"名单": _frame(10)}, tmp_path / "没有" / "a.xlsx", progress=lambda *a: reports.append(a))
    assert reports and reports[-1][1] == 0  # started, never finished


def test_writing_progress_reaches_the_nested_writers(tmp_path):
    """Within writing_progress every workbook written reports, each its own operation; an explicit progress
    wins; outside it they are silent again."""
    reports: list[tuple[str, int, int | None]] = []
    with writing_progress(lambda label, done, total: reports.append((label, done, total))):
        write_workbook({"甲": _frame(5)}, tmp_path / "甲.xlsx")
        write_excel({"乙": _frame(5)}, tmp_path / "乙.xlsx", progress=False)
    write_excel({"丙": _frame(5)}, tmp_path / "丙.xlsx")
    labels = {label for label, _, _ in reports}
    assert "写出 甲.xlsx" in labels and not any("乙" in x or "丙" in x for x in labels)


def test_validation_outputs_report_each_workbook(tmp_path):
    """xueji validate's files: 数据有误_修改用.xlsx and 校验结果.xlsx each report their rows and finish."""
    reports: list[tuple[str, int, int | None]] = []
    reg = xj.read_dbf(REG)
    res = xj.validate(reg, year=2026, category="10")
    xj.write_validation_outputs(res, reg, tmp_path, progress=lambda *a: reports.append(a))
    finished = {label for label, done, total in reports if total is not None and done >= total}
    assert {"写出 校验结果.xlsx", "写出 数据有误_修改用.xlsx"} <= finished
    assert any(label == "写出 校验结果.xlsx：工作表 数据有误记录" for label, _, _ in reports)
    # before the rows: the sheets put together from the result's lists, one step each
    steps = [(label, done) for label, done, _ in reports if label.startswith("整理 校验结果.xlsx")]
    assert ("整理 校验结果.xlsx：数据有误记录", 3) in steps and steps[-1][0] == "整理 校验结果.xlsx：完成"
    labels = [label for label, _, _ in reports]
    assert labels.index("整理 校验结果.xlsx：完成") < labels.index("写出 校验结果.xlsx")
