"""Issue 16 point 3: photos in class folders ("将照片存入以“xx级xxx 班”为文件夹名的文件夹", 004), the seeds' limits
(一寸 / 第二代身份证照片 358×441, "2M以内") and the background colour ("深蓝色背景") — through check_photos and through
``xueji photos`` with its options. Every photo is drawn in the test (Pillow), every ID number is synthetic."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from PIL import Image

from xueji_lib.apps.cli import main
from xueji_lib.checks.photos import (
    BACKGROUNDS,
    PHOTO_RULES,
    check_photos,
    classify_background,
    parse_aspect,
    parse_background,
    parse_class_folder,
    parse_file_size,
    parse_pixels,
)
from xueji_lib.core.errors import XuejiError
from xueji_lib.core.ids import make_ids
from xueji_lib.core.privacy import mask_id
from xueji_lib.samples.photos import _face

ID_RE = re.compile(r"\d{17}[\dXx]|\d{15}")
A, B = "2026级软件2601班", "2026级 软件2602 班"  # the folder names as a 学习委员 types them
WHITE = (250, 250, 250)


def jpeg(path: Path, size=(358, 441), background=None, seed=0, quality=75) -> Path:
    im = _face(np.random.default_rng(seed), *size, background=background)
    im.save(path, "JPEG", quality=quality)
    return path


def three_mb(path: Path) -> Path:
    """A real photo (face on blue, camera noise) of more than 2 MB: over 004's "2M以内"."""
    rng = np.random.default_rng(7)
    arr = np.asarray(_face(rng, 1600, 1970)).astype(np.int16) + rng.integers(-40, 41, (1970, 1600, 3))
    Image.fromarray(arr.clip(0, 255).astype(np.uint8)).save(path, "JPEG", quality=98)
    assert path.stat().st_size > 2 * 1024 * 1024
    return path


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """Two class folders: 软件2601 holds a good photo, a white-background photo and the photo of a 软件2602
    student (filed in the wrong class); 软件2602 holds a 3 MB photo and a good 358×441 photo. One student has
    no photo."""
    base = tmp_path_factory.mktemp("classes")
    n = 6
    ids = make_ids(np.full(n, 430102), np.full(n, 20080517), np.arange(1, n + 1) * 2 + 1)
    roster = pd.DataFrame(
        {
            "XM": [f"学生{i}" for i in range(n)],
            "SFZH": ids.tolist(),
            "BH": ["软件2601", "软件2601", "软件2602", "软件2602", "软件2602", "软件2601"],
            "RXRQ": "20260901",
        }
    )
    folder = base / "照片"
    (folder / A).mkdir(parents=True)
    (folder / B).mkdir()
    jpeg(folder / A / f"{ids[0]}.jpg")  # row 1: good
    jpeg(folder / A / f"{ids[1]}.jpg", background=WHITE, seed=1)  # row 2: white background
    jpeg(folder / A / f"{ids[2]}.jpg", seed=2)  # row 3: a 软件2602 student in 软件2601's folder
    three_mb(folder / B / f"{ids[3]}.jpg")  # row 4: 3 MB
    jpeg(folder / B / f"{ids[4]}.jpg", seed=4)  # row 5: 358×441, passes
    # row 6: no photo
    csv = base / "名单.csv"
    roster.to_csv(csv, index=False, encoding="utf-8-sig")
    return roster, folder, csv


def rules(res, row):
    f = res.findings
    return sorted(f.loc[f["row"] == row, "rule"])


def message(res, row, rule):
    f = res.findings
    return f.loc[(f["row"] == row) & (f["rule"] == rule), "message"].iat[0]


# ------------------------------------------------------------------------------------------------ library


def test_class_folders_are_read_and_each_photo_knows_its_folder(tree):
    roster, folder, _ = tree
    res = check_photos(roster, folder)
    assert res.total_files == 5 and res.folders == 2 and res.subfolders == 0
    assert "PHOTO_SUBFOLDER" not in set(res.findings["rule"])
    assert rules(res, 1) == [] and rules(res, 5) == []  # the 358×441 photos pass
    assert rules(res, 6) == ["PHOTO_MISSING"]
    assert (res.matched, res.students_without_photo, res.students_with_problem) == (4, 1, 1)
    files = res.files.set_index("row")
    assert files.loc[1, "folder"] == A and files.loc[4, "folder"] == B
    assert files.loc[1, "file"] == f"{A}/{mask_id(roster.SFZH[0])}.jpg"
    assert files.loc[3, "class"] == "2026级软件2602班" and files.loc[3, "folder"] == A
    assert "照片来自照片目录和其中的 2 个子文件夹（班级文件夹）；放在别的班级文件夹中的照片 1 张" in res.summary()
    assert res.to_dict()["files"]["folders"] == 2 and res.conserved


def test_photo_in_the_wrong_class_folder_is_a_warning_naming_both_classes(tree):
    roster, folder, _ = tree
    res = check_photos(roster, folder)
    assert rules(res, 3) == ["PHOTO_WRONG_CLASS"]
    assert PHOTO_RULES["PHOTO_WRONG_CLASS"][0] == "warning"
    msg = message(res, 3, "PHOTO_WRONG_CLASS")
    assert A in msg and "2026级软件2602班" in msg and "名单第 3 行 学生2" in msg
    assert res.students.set_index("row").loc[3, "status"] == "matched"  # a warning: the photo is usable
    # no class column (or switched off): no class check
    assert rules(check_photos(roster, folder, class_field=None), 3) == []
    assert rules(check_photos(roster.drop(columns="BH"), folder), 3) == []


def test_white_background_is_a_warning_naming_the_colour(tree):
    roster, folder, _ = tree
    res = check_photos(roster, folder)
    assert rules(res, 2) == ["PHOTO_BACKGROUND"]
    msg = message(res, 2, "PHOTO_BACKGROUND")
    assert "背景像是白色" in msg and "要求深蓝色背景" in msg
    assert res.files.set_index("row").loc[2, "background"] == "白色"
    assert res.files.set_index("row").loc[1, "background"] == "深蓝色"
    white = check_photos(roster, folder, background="白")
    assert rules(white, 2) == []
    assert "背景像是深蓝色" in message(white, 1, "PHOTO_BACKGROUND") and "要求白色背景" in message(
        white, 1, "PHOTO_BACKGROUND"
    )
    off = check_photos(roster, folder, background=None)
    assert "PHOTO_BACKGROUND" not in set(off.findings["rule"]) and set(off.files["background"]) == {""}


def test_three_mb_photo_is_over_the_2m_limit(tree):
    roster, folder, _ = tree
    res = check_photos(roster, folder)
    assert rules(res, 4) == ["PHOTO_FILE_TOO_LARGE"]
    msg = message(res, 4, "PHOTO_FILE_TOO_LARGE")
    assert re.search(r"文件大小 [23]\.\d MB，超过上限 2 MB", msg), msg
    assert f"{B}/{mask_id(roster.SFZH[3])}.jpg" in msg  # the file as the clerk finds it: in its folder
    assert rules(check_photos(roster, folder, max_bytes=4 * 1024 * 1024), 4) == []


def test_folder_names_read_leniently_and_grade_checked(tmp_path):
    ids = make_ids(np.full(4, 430102), np.full(4, 20080517), np.arange(1, 5) * 2 + 1)
    roster = pd.DataFrame(
        {
            "SFZH": ids,
            "BJ": ["软件2601", "软件2601班", "软件2601", "软件2601"],
            "RXNY": ["202609", "202609", "202509", ""],
        }
    )
    for i, folder in enumerate(["软件2601班", "计算机学院/2026级软件2601班", "2026级软件2601班", "26级软件工程2601"]):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        jpeg(tmp_path / folder / f"{ids[i]}.jpg", seed=i)
    res = check_photos(roster, tmp_path)
    assert res.params["class_field"] == "BJ" and res.params["grade_field"] == "RXNY"
    assert rules(res, 1) == [] and rules(res, 2) == [] and rules(res, 4) == []
    assert rules(res, 3) == ["PHOTO_WRONG_CLASS"]  # entered 2025, filed under 2026级
    assert "2025级软件2601班" in message(res, 3, "PHOTO_WRONG_CLASS")
    assert parse_class_folder("2026级 软件2601 班") == ("2026", "软件2601")
    assert (
        parse_class_folder("2026级软件2601班") == parse_class_folder("２０２６级软件２６０１班") == ("2026", "软件2601")
    )
    assert parse_class_folder("软件2601班") == ("", "软件2601")


def test_photos_directly_in_the_folder_keep_working(tree, tmp_path):
    roster, folder, _ = tree
    for p in folder.rglob("*.jpg"):
        if p.stat().st_size < 1024 * 1024:
            (tmp_path / p.name).write_bytes(p.read_bytes())
    res = check_photos(roster, tmp_path)
    assert res.folders == 0 and res.total_files == 4 and set(res.files["folder"]) == {""}
    assert "PHOTO_WRONG_CLASS" not in set(res.findings["rule"])  # no class folder: nothing to compare
    assert rules(res, 2) == ["PHOTO_BACKGROUND"] and rules(res, 1) == [] and rules(res, 4) == ["PHOTO_MISSING"]


def test_background_classes():
    rgb = np.array(
        [[67, 142, 219], [30, 60, 120], [0, 0, 255], [200, 220, 240], [135, 206, 235], [255, 255, 255], [220, 30, 40]]
        + [[128, 128, 128], [10, 10, 10], [40, 180, 60]]
    )
    got = classify_background(rgb).tolist()
    assert got == ["深蓝", "深蓝", "深蓝", "浅蓝", "浅蓝", "白", "红", "灰", "黑", "其他"]
    assert classify_background(rgb[:2], np.array([0.9, 0.3])).tolist() == ["深蓝", "杂色"]
    assert parse_background("深蓝色") == "深蓝" and parse_background("any") is None and set(BACKGROUNDS) >= {"白", "红"}


def test_background_check_passes_300_standard_photos(tmp_path):
    """300 standard blue-background photos: every one matched, no background finding (speed is make bench's)."""
    ids = make_ids(np.full(300, 430102), np.full(300, 20080517), np.arange(300) * 2 + 1)
    buf = io.BytesIO()
    _face(np.random.default_rng(0)).save(buf, "JPEG", quality=75)
    for k in ids:
        (tmp_path / f"{k}.jpg").write_bytes(buf.getvalue())
    res = check_photos(pd.DataFrame({"SFZH": ids}), tmp_path)
    assert res.matched == 300 and res.findings.empty


def test_option_parsers():
    assert parse_pixels("358x441") == parse_pixels("358×441") == parse_pixels(" 358 X 441 ") == (358, 441)
    assert parse_pixels("不查") is None
    assert (
        parse_file_size("2", "MB", "--max-mb") == 2 * 1024 * 1024
        and parse_file_size("500", "KB", "--max-kb") == 500 * 1024
    )
    assert parse_aspect("1.1-1.6") == (1.1, 1.6)
    for bad, fn in [
        ("358", lambda v: parse_pixels(v, "--min-size")),
        ("0x441", lambda v: parse_pixels(v, "--min-size")),
        ("abc", lambda v: parse_file_size(v, "MB", "--max-mb")),
        ("-1", lambda v: parse_file_size(v, "KB", "--min-kb")),
        ("1.6-1.1", lambda v: parse_aspect(v, "--aspect")),
        ("绿", parse_background),
    ]:
        with pytest.raises(XuejiError, match=r"[\u4e00-\u9fff]"):
            fn(bad)


# ----------------------------------------------------------------------------------------------- command


def run(args, capsys):
    code = main(["photos", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_photos_command_reads_class_folders_and_writes_the_folder_column(tree, tmp_path, capsys):
    roster, folder, csv = tree
    code, out, err = run([csv, folder, "--out", tmp_path / "out"], capsys)
    assert code == 0, err
    assert "学生 6 名 = 照片合格 4 + 没有照片 1 + 照片有问题 1" in out
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["files"]["folders"] == 2
    assert summary["rules"]["PHOTO_WRONG_CLASS"] == {"severity": "warning", "count": 1}
    assert summary["rules"]["PHOTO_BACKGROUND"] == {"severity": "warning", "count": 1}
    assert summary["rules"]["PHOTO_FILE_TOO_LARGE"] == {"severity": "error", "count": 1}
    wb = openpyxl.load_workbook(tmp_path / "out" / "照片核对.xlsx", read_only=True)
    rows = list(wb["照片文件"].iter_rows(values_only=True))
    head = list(rows[0])
    assert "所在文件夹" in head and "名单中的班级" in head and "背景颜色" in head
    folders = {r[head.index("所在文件夹")] for r in rows[1:]}
    assert folders == {A, B}
    text = "\n".join(" ".join(str(c) for c in r if c is not None) for ws in wb for r in ws.iter_rows(values_only=True))
    assert not ID_RE.search(text) and not ID_RE.search(out)


def test_photos_command_options_change_the_limits(tree, tmp_path, capsys):
    roster, folder, csv = tree
    args = [csv, folder, "--background", "白", "--max-mb", "4", "--class-field", "不查", "--out", tmp_path / "o1"]
    code, out, err = run(args, capsys)
    assert code == 0, err
    s = json.loads((tmp_path / "o1" / "summary.json").read_text(encoding="utf-8"))
    assert "PHOTO_FILE_TOO_LARGE" not in s["rules"] and "PHOTO_WRONG_CLASS" not in s["rules"]
    assert s["rules"]["PHOTO_BACKGROUND"]["count"] == 4  # every blue photo, now that 白 is asked for
    assert s["params"]["background"] == "白" and s["params"]["max_bytes"] == 4 * 1024 * 1024
    args = [csv, folder, "--background", "any", "--min-size", "400x500", "--max-kb", "100", "--aspect", "1.3-1.5"]
    code, out, err = run([*args, "--min-kb", "50", "--out", tmp_path / "o2"], capsys)
    assert code == 0, err
    s = json.loads((tmp_path / "o2" / "summary.json").read_text(encoding="utf-8"))
    assert s["params"]["min_size"] == [400, 500] and s["params"]["aspect"] == [1.3, 1.5]
    assert s["rules"]["PHOTO_TOO_SMALL"]["count"] == 4 and "PHOTO_BACKGROUND" not in s["rules"]
    assert s["rules"]["PHOTO_ASPECT"]["count"] == 5 and s["rules"]["PHOTO_FILE_TOO_SMALL"]["count"] >= 3
    code, out, err = run([csv, folder, "--folder-depth", "0", "--out", tmp_path / "o3"], capsys)
    assert code == 0 and "没有照片 6" in out and "子文件夹 2 个未检查" in out


@pytest.mark.parametrize(
    "option, value, word",
    [
        ("--min-size", "358*abc", "--min-size 358*abc 不对"),
        ("--max-size", "宽x高", "--max-size"),
        ("--max-mb", "两兆", "--max-mb 两兆 不对"),
        ("--min-kb", "0", "--min-kb"),
        ("--aspect", "1.6-1.1", "--aspect"),
        ("--background", "绿", "背景颜色“绿”不认识"),
        ("--folder-depth", "-1", "--folder-depth"),
        ("--class-field", "BANJI", "BANJI"),
    ],
)
def test_bad_option_values_exit_2_in_chinese(tree, tmp_path, capsys, option, value, word):
    roster, folder, csv = tree
    code, out, err = run([csv, folder, option, value, "--out", tmp_path / "x"], capsys)
    assert code == 2 and word in err and "Traceback" not in err and re.search(r"[\u4e00-\u9fff]", err)
    assert not (tmp_path / "x" / "summary.json").exists()


def test_max_mb_and_max_kb_together_refused(tree, tmp_path, capsys):
    roster, folder, csv = tree
    code, out, err = run([csv, folder, "--max-mb", "2", "--max-kb", "100", "--out", tmp_path / "x"], capsys)
    assert code == 2 and "只能用一个" in err


def test_help_is_chinese_and_names_the_sources():
    xueji = Path(sys.executable).with_name("xueji")
    res = subprocess.run([str(xueji), "photos", "-h"], capture_output=True, text=True)
    assert res.returncode == 0
    for option in ("--min-size", "--max-size", "--max-mb", "--max-kb", "--min-kb", "--aspect", "--background"):
        assert option in res.stdout
    assert "GA 461-2004" in res.stdout and "2M以内" in res.stdout and "深蓝色背景" in res.stdout
