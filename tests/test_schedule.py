"""``xueji schedule``: a YAML list of report runs, globs resolved to the newest file at run time, the whole
file checked before anything runs, a failing run reported while the others still run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from xueji_lib.apps.cli import main
from xueji_lib.reporting.schedule import ScheduleError, load_schedule, run_schedule

pytestmark = pytest.mark.notebook  # each scheduled run is a report run by papermill

HEI = Path(__file__).resolve().parent.parent / "data_samples" / "hei"
NAME = "新生注册核对报告"


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(HEI / "10_录取名单.dbf", data / "10_录取名单.dbf")
    # two copies of the registration file: the newest by mtime sorts first by name
    for name, mtime in (("b_注册上报.dbf", 1_700_000_000), ("a_注册上报.dbf", 1_800_000_000)):
        shutil.copy(HEI / "10_注册上报.dbf", data / name)
        os.utime(data / name, (mtime, mtime))
    return data


def _runs(root: Path) -> list[Path]:
    return sorted(p for p in (root / NAME).iterdir() if not p.name.startswith(".")) if (root / NAME).exists() else []


def test_schedule_runs_in_order_newest_glob_and_failure_does_not_stop_others(tmp_path, capsys):
    _data(tmp_path)
    yml = tmp_path / "每周报表.yml"
    yml.write_text(
        f"""
- report: {NAME}
  params:
    admission: data/*录取名单*.dbf
    registration: data/*注册上报*.dbf
    year: 2026
    school_code: "00123"
- report: {NAME}
  params:
    admission: data/*录取名单*.dbf
    registration: data/*没有这个文件*.dbf
- report: {NAME}
  out: 其他报告
  params:
    admission: data/10_录取名单.dbf
    registration: data/b_注册上报.dbf
""",
        "utf-8",
    )
    code = main(["schedule", str(yml)])
    out = capsys.readouterr().out
    assert code != 0
    assert "成功 2 项，失败 1 项" in out
    assert "第 2 项" in out and "没有匹配到任何文件" in out

    first = _runs(tmp_path / "reports")
    assert len(first) == 1 and not first[0].name.endswith("-failed")
    manifest = json.loads((first[0] / "manifest.json").read_text("utf-8"))
    assert Path(manifest["inputs"]["registration"]["path"]).name == "a_注册上报.dbf"  # newest by mtime
    assert manifest["parameters"]["school_code"] == "00123"
    assert manifest["outcome"] == "succeeded"
    assert (first[0] / "report.html").exists()

    third = _runs(tmp_path / "其他报告")
    assert len(third) == 1
    m3 = json.loads((third[0] / "manifest.json").read_text("utf-8"))
    assert Path(m3["inputs"]["registration"]["path"]).name == "b_注册上报.dbf"


def test_yaml_errors_are_chinese_and_nothing_runs(tmp_path, capsys):
    _data(tmp_path)
    bad = tmp_path / "bad.yml"
    bad.write_text(
        f"""
- report: {NAME}
  params: {{admission: data/10_录取名单.dbf, registration: data/a_注册上报.dbf}}
- report: 不存在的报告
  params: {{}}
- report: {NAME}
  params: {{admission: data/10_录取名单.dbf, colour: red, school_code: 123}}
""",
        "utf-8",
    )
    with pytest.raises(ScheduleError) as err:
        run_schedule(bad)
    msg = str(err.value)
    assert "未运行任何报告" in msg
    assert "第 2 项" in msg and "不存在的报告" in msg
    assert "第 3 项" in msg and "colour" in msg and "缺少必需的参数 registration" in msg and "school_code" in msg
    assert not (tmp_path / "reports").exists()  # the valid first run did not run either

    assert main(["schedule", str(bad)]) == 2
    assert "第 2 项" in capsys.readouterr().err

    not_list = tmp_path / "not_list.yml"
    not_list.write_text(f"report: {NAME}\n", "utf-8")
    with pytest.raises(ScheduleError, match="应为一个运行列表"):
        load_schedule(not_list)
    broken = tmp_path / "broken.yml"
    broken.write_text("- report: [\n", "utf-8")
    with pytest.raises(ScheduleError, match="不是有效的 YAML"):
        load_schedule(broken)
    with pytest.raises(ScheduleError, match="不存在"):
        load_schedule(tmp_path / "missing.yml")
    assert not (tmp_path / "reports").exists()
