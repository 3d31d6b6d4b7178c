"""Issue 15, the fix-and-resubmit loop as a clerk runs it: validate → correct 数据有误_修改用.xlsx in a
spreadsheet program (here openpyxl, as Excel/WPS save it: text cells stay text) → validate the corrected
workbook → merge its newly passing records into the first 校验通过.dbf: one upload file, no duplicate, no
record lost, the counts stated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl

import xueji_lib as xj
from xueji_lib.io.loading import load_list

REG = Path(__file__).resolve().parent.parent / "data_samples" / "hei" / "10_注册上报.dbf"
XUEJI = str(Path(sys.executable).with_name("xueji"))


def run(*args, cwd):
    return subprocess.run([XUEJI, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_validate_correct_revalidate_and_merge(tmp_path):
    proc = run("validate", REG, "--year", "2026", "--category", "10", "--out", "一", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    fix = tmp_path / "一" / "数据有误_修改用.xlsx"
    wb = openpyxl.load_workbook(fix)
    ws = wb.active
    head = [c.value for c in ws[1]]
    # the upload fields in words with their codes (考生号（KSH）): a clerk reads them, the DBF field is named
    assert head[0] == "原行号" and head[-1] == "校验结果" and "考生号（KSH）" in head and "身份证号（SFZH）" in head
    col = {h.rsplit("（", 1)[-1].rstrip("）"): i + 1 for i, h in enumerate(head)}  # by field code
    rows = {int(ws.cell(r, 1).value): r for r in range(2, ws.max_row + 1)}
    reg = xj.read_dbf(REG)
    assert len(rows) == 17
    # every cell is text: an 18-digit ID survives Excel/WPS
    assert all(ws.cell(r, col["SFZH"]).data_type == "s" for r in rows.values() if ws.cell(r, col["SFZH"]).value)
    first_passed = xj.read_dbf(tmp_path / "一" / "校验通过.dbf")
    # 校验结果.xlsx's 数据有误记录 heads the records' own columns the same way (issue 15 §7: not KSH, XM…)
    result = openpyxl.load_workbook(tmp_path / "一" / "校验结果.xlsx", read_only=True)
    heads = next(result["数据有误记录"].iter_rows(max_row=1, values_only=True))
    result.close()
    assert {"考生号（KSH）", "姓名（XM）", "身份证号（SFZH）"} <= set(heads) and not {"KSH", "XM"} & set(heads)
    # the clerk's corrections, found from 校验结果
    ws.cell(rows[15], col["ZYMC"]).value = "软件工程"
    ws.cell(rows[241], col["RXRQ"]).value = "20260901"
    ws.cell(rows[768], col["MZ"]).value = "汉族"
    ws.cell(rows[501], col["SFZH"]).value = str(ws.cell(rows[501], col["SFZH"]).value).upper()
    ws.cell(rows[261], col["XZ"]).value = "4"
    ws.cell(rows[261], col["KSH"]).value = str(first_passed["KSH"].iloc[0])  # passes, but already in the first list
    wb.save(fix)
    # read back, each header is its field again: with the layout named, or recognised from the headers alone
    for layout in ("chsi_registration", None):
        df, lay, _ = load_list(fix, layout)
        assert lay.name == "chsi_registration" and {"KSH", "XM", "SFZH", "MZ"} <= set(df.columns)
    proc = run(
        "validate",
        fix,
        "--layout",
        "chsi_registration",
        "--year",
        "2026",
        "--category",
        "10",
        "--out",
        "二",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    second_passed = xj.read_dbf(tmp_path / "二" / "校验通过.dbf")
    assert len(second_passed) == 5
    still = xj.read_dbf(tmp_path / "二" / "数据有误.dbf")
    assert len(still) == 12  # the other twelve still wrong, with their reasons
    proc = run("merge", "一/校验通过.dbf", "二/校验通过.dbf", "--out", "上传.dbf", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    up = xj.read_dbf(tmp_path / "上传.dbf")
    assert len(up) == 978 + 4
    assert up["KSH"].is_unique and set(first_passed["KSH"]) <= set(up["KSH"])
    assert "第一次校验通过 978 条 + 修改后新通过 4 条 = 982 条" in proc.stdout
    assert "有 1 条没有并入" in proc.stdout and "已在第一次的校验通过名单中" in proc.stdout
    assert list(up.columns) == list(first_passed.columns)
    fixed = up.set_index("KSH").loc[str(reg["KSH"].iloc[14]).strip()]
    assert fixed["ZYMC"].strip() == "软件工程"
    # every record accounted for: 17 failing = 4 merged + 1 duplicate + 12 still wrong
    assert 4 + 1 + 12 == 17
    # the result file is never overwritten by accident; the inputs never
    assert run("merge", "一/校验通过.dbf", "二/校验通过.dbf", "--out", "上传.dbf", cwd=tmp_path).returncode == 2
    bad = run("merge", "一/校验通过.dbf", "二/校验通过.dbf", "--out", "一/校验通过.dbf", "--force", cwd=tmp_path)
    assert bad.returncode == 2 and "覆盖输入文件" in bad.stderr and "Traceback" not in bad.stderr
