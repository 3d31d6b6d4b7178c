"""The `xueji` command as a user runs it: real processes, real files, Chinese messages, exit codes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import xueji_lib as xj
from tests.dbfbytes import build_dbf

XUEJI = Path(sys.executable).with_name("xueji")


def run(*args):
    return subprocess.run([str(XUEJI), *map(str, args)], capture_output=True, text=True)


@pytest.fixture()
def upload(tmp_path):
    df = pd.DataFrame(
        {
            "KSH": ["26430101110001", "26430101110002"],
            "XM": ["张三", "李四"],
            "XB": ["男", "女"],
            "CSRQ": ["20080517", "20080101"],
            "SFZH": ["430102200805170012", "430102200801010020"],
            "MZ": ["汉族", "汉族"],
            "ZYMC": ["法学", "法学"],
            "CC": ["本科", "本科"],
            "XZ": ["4", "4"],
            "XXXS": ["普通全日制"] * 2,
            "RXRQ": ["20260901"] * 2,
        }
    )
    return xj.write_dbf(df, tmp_path / "注册上报.dbf", "chsi_registration")


def test_info_reports_and_masks(upload):
    res = run("info", upload)
    assert res.returncode == 0, res.stderr
    assert "读入记录：2 条" in res.stdout and "0x4D" in res.stdout and "张三" in res.stdout
    assert "430102********0012" in res.stdout and "430102200805170012" not in res.stdout


def test_info_on_bad_files_gives_chinese_message_and_no_traceback(tmp_path):
    cut = tmp_path / "cut.dbf"
    cut.write_bytes(build_dbf([("XM", "C", 8, 0)], [[b"a"]], header_records=3))
    for path, expect in [
        (cut, "文件不完整"),
        (tmp_path / "none.dbf", "找不到文件"),
        (tmp_path / "x.doc", "不认识的文件类型"),
    ]:
        res = run("info", path)
        assert res.returncode == 2
        assert expect in res.stderr and "Traceback" not in res.stderr


def test_layouts_and_codes():
    res = run("layouts")
    assert res.returncode == 0 and "chsi_registration" in res.stdout and "k12_student" in res.stdout
    res = run("codes", "mz")
    assert res.returncode == 0 and "毛难族" in res.stdout and "汉族" in res.stdout
    res = run("codes", "no_such_table")
    assert res.returncode == 2 and "no_such_table" in res.stderr and "Traceback" not in res.stderr


ROOT = Path(__file__).resolve().parent.parent
K12_ROSTER = ROOT / "data_samples" / "k12" / "学生名单_2026春.xlsx"
HEI = ROOT / "data_samples" / "hei"


@pytest.mark.parametrize(
    "extra, missing, args",
    [
        ("reports", "papermill", ["report", "学籍统计报告", "-p", "roster", K12_ROSTER, "-p", "kind", "k12"]),
        ("reports", "nbconvert", ["schedule", "每周报表.yml"]),
        ("lab", "jupyterlab", ["lab", "--no-browser"]),
        ("dashboard", "voila", ["dashboard", "--data", "{tmp}"]),
        (
            "spark",
            "pyspark",
            [
                "reconcile",
                "--admission",
                HEI / "10_录取名单.dbf",
                "--registration",
                HEI / "10_注册上报.dbf",
                "--year",
                "2026",
                "--category",
                "10",
                "--engine",
                "spark",
            ],
        ),
        ("spark", "pyspark", ["compare", K12_ROSTER, K12_ROSTER, "--engine", "spark://127.0.0.1:7077"]),
        ("spark", "pyspark", ["report", "学籍统计报告", "-p", "roster", K12_ROSTER, "--engine", "local[2]"]),
    ],
)
def test_a_command_whose_extra_is_missing_names_it(tmp_path, extra, missing, args):
    """Installed without an extra (its module cannot be imported), the command says in one Chinese line which
    extra to install, exits 2, prints no traceback and reads or writes nothing first."""
    code = (
        "import sys; sys.modules[sys.argv[1]] = None  # as if not installed: import and find_spec fail\n"
        "from xueji_lib.apps.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    args = [str(a).replace("{tmp}", str(tmp_path)) for a in args]
    res = subprocess.run([sys.executable, "-c", code, missing, *args], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert res.stdout == "" and "Traceback" not in res.stderr
    assert res.stderr.splitlines() == [res.stderr.strip()]  # one line
    assert res.stderr.startswith(f"错误：缺少可选组件 {extra}") and f"没有安装 {missing}" in res.stderr
    assert res.stderr.strip().endswith(f'请先安装：pip install "xueji_lib[{extra}]"')
    assert list(tmp_path.iterdir()) == []  # no output folder, no cache


def test_the_duckdb_engine_needs_no_extra(tmp_path):
    """--engine duckdb (the default, in the core) runs without pyspark."""
    code = (
        "import sys; sys.modules['pyspark'] = None\nfrom xueji_lib.apps.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "compare",
            K12_ROSTER,
            K12_ROSTER,
            "--engine",
            "duckdb",
            "--out",
            tmp_path / "out",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "summary.json").is_file()


def test_version():
    """Issue 15: `xueji --version` says which version a clerk has (one place: core/version.py)."""
    from xueji_lib.core.version import __version__

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"xueji {__version__}"


def test_make_dashboard_quotes_a_data_folder_with_spaces_and_parentheses():
    """Issue 15: `make dashboard DATA=…` with spaces or parentheses in the path (a Windows-made folder name)."""
    make = Path(__file__).resolve().parent.parent / "Makefile"
    proc = subprocess.run(
        ["make", "-n", "-f", str(make), "dashboard", "DATA=/srv/学籍 数据 (2026春)", "STAMP="],
        capture_output=True,
        text=True,
        cwd=make.parent,
    )
    assert proc.returncode == 0, proc.stderr
    assert '--data "/srv/学籍 数据 (2026春)"' in proc.stdout


def test_handoff_command(tmp_path):
    """Issue 15: 毕业生去向 as a command — the same counts as the library, the workbook and summary.json written
    as one set; a missing file ends in a message and exit 2."""
    import json

    k12 = Path(__file__).resolve().parent.parent / "data_samples" / "k12"
    grads, intake = k12 / "毕业生_2026.xlsx", k12 / "新生_2026秋.xlsx"
    proc = run("handoff", grads, intake, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    res = xj.handoff(xj.read_table(grads, layout="k12_student"), xj.read_table(intake, layout="k12_student"))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["graduates"] == res.to_dict()["graduates"] and summary["intake"] == res.to_dict()["intake"]
    assert (tmp_path / "out" / "去向核对.xlsx").exists() and "未找到" in proc.stdout
    proc = run("handoff", tmp_path / "没有这个文件.xlsx", intake, "--out", tmp_path / "x")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "没有这个文件.xlsx" in proc.stderr


def test_codes_by_chinese_title():
    """Issue 15 §7: `xueji codes 民族` works as `xueji codes mz` does; an unknown name lists codes with titles."""
    assert run("codes", "民族").stdout == run("codes", "mz").stdout
    proc = run("codes", "没有这个表")
    assert proc.returncode == 2 and "mz（民族）" in proc.stderr and "Traceback" not in proc.stderr


COMMANDS = [
    "info", "photos", "dashboard", "layouts", "codes", "samples", "parquet", "validate", "reconcile", "compare",
    "merge", "handoff", "dupes", "report", "schedule", "lab", "print", "start",
]  # fmt: skip
ARGPARSE_ENGLISH = (
    "usage:",
    "options:",
    "positional arguments",
    "optional arguments",
    "show this help",
    "show program",
    "error:",
    "required:",
    "invalid choice",
    "expected one argument",
    "unrecognized arguments",
)


def _english_left(text: str) -> list[str]:
    """argparse's own English words in ``text``, and placeholders in capitals (``--layout LAYOUT``; the units MB, KB
    and a count N are fine)."""
    found = [w for w in ARGPARSE_ENGLISH if w in text.lower()]
    return found + [m for m in re.findall(r"--[a-z-]+ ([A-Z][A-Z_]+)\b", text) if m not in ("MB", "KB")]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_is_chinese(command):
    """Issue 15 §7: `xueji --help` and `xueji <命令> --help` in Chinese — 用法, 位置参数, 选项, 显示本帮助后退出,
    Chinese placeholders — with every option's help given."""
    proc = run(*([command] if command else []), "--help")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith("用法：xueji") and "\n选项：\n" in text and "显示本帮助后退出" in text
    assert _english_left(text) == [], text
    parser = __import__("xueji_lib.apps.cli", fromlist=["build_parser"]).build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for p in [parser] if not command else [subparsers.choices[command]]:
        for action in p._actions:
            if action.dest != "command":
                assert action.help and re.search(r"[\u4e00-\u9fff]", action.help), (command, action.option_strings)


@pytest.mark.parametrize(
    "args, expect",
    [
        (["validate"], "xueji validate：错误：缺少必需的参数：文件"),
        (["compare", "a.xlsx"], "缺少必需的参数：新名单"),
        (["没有这个命令"], "没有“没有这个命令”这个命令，可用的命令：info、photos"),
        (["info", "x.dbf", "--rows", "abc"], "参数 --rows：'abc' 不是整数"),
        (["info", "x.dbf", "--layout"], "参数 --layout：后面需要一个值"),
        (["info", "x.dbf", "--no-such-option"], "无法识别的参数：--no-such-option"),
        (["report", "学籍统计报告", "-p", "roster"], "参数 -p/--param：后面需要 2 个值"),
    ],
)
def test_argument_errors_are_chinese(args, expect):
    """Issue 15 §7: a missing or wrong argument is said in Chinese (argparse's English replaced), exit 2."""
    proc = run(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert expect in proc.stderr, proc.stderr
    assert proc.stderr.startswith("用法：xueji") and _english_left(proc.stderr) == [], proc.stderr
