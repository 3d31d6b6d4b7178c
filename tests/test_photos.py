"""check_photos(): every planted photo problem of data_samples is found, nothing on the clean photos, the
counts add up, IDs never shown in full; and each rule on small folders built with PIL in tmp_path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import xueji_lib as xj
from xueji_lib.checks.photos import PHOTO_RULES, PhotoFolderNotFound, check_photos, mask_ids, mask_name
from xueji_lib.core.errors import XuejiError
from xueji_lib.core.ids import make_ids
from xueji_lib.core.privacy import mask_id

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
PLANTED = pd.read_csv(SAMPLES / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
PHOTO_ROWS = PLANTED[PLANTED.expected.str.startswith("photo:")]
CLASSES = ["软件2601", "软件2602"]
ID_RE = re.compile(r"\d{17}[\dXx]|\d{15}")


def all_text(res) -> str:
    """Everything a person could read from a result."""
    parts = [
        res.summary(),
        res.to_json(),
        res.findings.astype(str).to_csv(),
        res.students.astype(str).to_csv(),
        res.files.astype(str).to_csv(),
    ]
    return "\n".join(parts)


def assert_no_full_id(res, ids):
    text = all_text(res)
    shown = [v for v in ids if isinstance(v, str) and len(v) >= 15 and v in text]
    assert shown == [], f"ID numbers shown unmasked: {shown[:3]}"
    assert not ID_RE.search(text), ID_RE.search(text).group(0)


# --------------------------------------------------------------------------------------- committed samples


# The sample photos lie in class folders named as 004 asks ("xx级xxx班": 2026级软件2601班/, 2026级软件2602班/), and
# every planted problem is found with the defaults (004's 2 MB, 358×441, 深蓝色背景): no limit is passed here.
PHOTOS = SAMPLES / "hei/photos"


def shown_path(planted_file: str) -> str:
    """A planted photo (hei/photos/<class folder>/<name>) as the findings show it: under the photo folder, masked."""
    return "/".join(mask_name(part) for part in planted_file.split("/")[2:])


@pytest.fixture(scope="module")
def sample():
    reg = xj.read_dbf(SAMPLES / "hei/10_注册上报.dbf")
    mask = reg["BH"].isin(CLASSES).to_numpy()
    res = check_photos(reg[mask], PHOTOS, row_numbers=np.flatnonzero(mask) + 1)
    return reg, mask, res


def test_sample_with_the_seeds_defaults(sample):
    reg, mask, res = sample
    assert res.params["max_bytes"] == 2 * 1024 * 1024 and res.params["min_size"] == (358, 441)
    assert res.params["background"] == "深蓝" and res.params["class_field"] == "BH"
    assert (res.matched, res.students_without_photo, res.students_with_problem) == (57, 2, 5)
    # the samples' blue backgrounds (RGB 67,142,219, the studios' standard blue) pass as 深蓝; one is white
    assert res.files.loc[res.files["usable"], "background"].value_counts().to_dict() == {"深蓝色": 58, "白色": 1}
    # every photo comes from its class folder; one is filed under the other class
    assert set(res.files["folder"]) == {"2026级软件2601班", "2026级软件2602班"}
    wrong = res.findings[res.findings["rule"] == "PHOTO_WRONG_CLASS"]
    assert (
        len(wrong) == 1
        and "2026级软件2602班" in wrong["message"].iat[0]
        and "2026级软件2601班" in wrong["message"].iat[0]
    )
    assert "放在别的班级文件夹中的照片 1 张" in res.summary()


def test_file_too_large_on_a_generated_photo(tmp_path):
    """The default upper limit (004: "2M以内"): a 3 MB file is an error; 100 KB passes."""
    df = roster(2)
    big(tmp_path / f"{df.SFZH[0]}.jpg")
    big(tmp_path / f"{df.SFZH[1]}.jpg", nbytes=100 * 1024)
    res = check_photos(df, tmp_path)
    assert rules_of(res, row=1) == ["PHOTO_FILE_TOO_LARGE"] and rules_of(res, row=2) == []
    assert res.students_with_problem == 1 and res.files_unusable == 1


def test_planted_photo_problems_found_with_their_codes(sample):
    reg, mask, res = sample
    f = res.findings
    assert len(PHOTO_ROWS) == 11
    row_of_ksh = {k: i + 1 for i, k in enumerate(reg["KSH"])}
    for r in PHOTO_ROWS.itertuples():
        code = r.expected.split(":", 1)[1]
        if r.row:  # a student without a photo: found by roster row
            hit = f[(f["row"] == int(r.row)) & (f["rule"] == code)]
            assert len(hit) == 1, (r.row, code)
            assert hit["file"].iat[0] == ""
            continue
        shown = shown_path(r.file)
        mine = f[f["file"] == shown]
        if code == "OK":  # upper-case .JPG: nothing at all
            assert mine.empty, mine
            student = res.students[res.students["row"] == row_of_ksh[r.key]]
            assert student["status"].tolist() == ["matched"]
            continue
        assert set(mine["rule"]) == {code}, (r.file, mine[["rule", "message"]].to_dict("records"))
        if r.key:  # the photo of a student: reported at the student's row
            assert mine["row"].tolist() == [row_of_ksh[r.key]]
        else:  # a photo of nobody
            assert mine["row"].isna().all()


def test_nothing_reported_on_clean_students_and_photos(sample):
    reg, mask, res = sample
    f = res.findings
    row_of_ksh = {k: i + 1 for i, k in enumerate(reg["KSH"])}
    planted_rows = {int(r.row) for r in PHOTO_ROWS.itertuples() if r.row}
    planted_rows |= {
        row_of_ksh[r.key] for r in PHOTO_ROWS.itertuples() if not r.row and r.key and r.expected != "photo:OK"
    }
    assert set(f["row"].dropna().astype(int)) == planted_rows
    planted_files = {shown_path(r.file) for r in PHOTO_ROWS.itertuples() if not r.row and r.expected != "photo:OK"}
    assert set(f.loc[f["file"] != "", "file"]) == planted_files
    assert len(f) == len(PHOTO_ROWS) - 1  # one finding per planted problem, none for the .JPG
    assert (f["field"] == "照片").all()
    assert set(f["severity"]) <= {"error", "warning", "info"}
    assert all(PHOTO_RULES[r][0] == s for r, s in zip(f["rule"], f["severity"]))


def test_sample_counts_add_up(sample):
    reg, mask, res = sample
    assert res.total_students == int(mask.sum()) == 64
    assert res.total_files == 64 == len([p for p in PHOTOS.rglob("*") if p.is_file()])
    assert (res.matched, res.students_without_photo, res.students_with_problem) == (57, 2, 5)
    assert res.matched + res.students_without_photo + res.students_with_problem == res.total_students
    assert (res.files_matched, res.files_duplicate, res.files_unmatched) == (62, 1, 1)
    assert res.files_matched + res.files_duplicate + res.files_unmatched == res.total_files
    assert res.files_unusable == 4  # PNG, too small, empty (0 bytes), truncated
    summary = res.summary()
    assert "学生 64 名 = 照片合格 57 + 没有照片 2 + 照片有问题 5" in summary
    assert "照片文件 64 个 = 对应到学生 62 + 同一学生的多余照片 1 + 对应不到学生 1" in summary
    d = json.loads(json.dumps(res.to_dict()))
    assert d["students"] == {"total": 64, "matched": 57, "without_photo": 2, "with_problem": 5}
    assert d["files"]["total"] == 64 and d["rules"]["PHOTO_MISSING"] == {"severity": "error", "count": 2}
    assert d["files"]["folders"] == 2 and d["files"]["subfolders"] == 0  # the two class folders
    br = res.by_rule
    assert list(br.columns) == ["rule", "severity", "count"] and br["count"].sum() == len(res.findings)
    assert res.students["status"].value_counts().to_dict() == {"matched": 57, "problem": 5, "missing": 2}
    assert list(res.files["status"].value_counts().sort_index().items()) == [
        ("duplicate", 1),
        ("matched", 62),
        ("unmatched", 1),
    ]


def test_sample_messages_name_file_and_student_and_mask_ids(sample):
    reg, mask, res = sample
    assert_no_full_id(res, reg["SFZH"].tolist() + [Path(p).stem[:18] for p in PHOTO_ROWS.file])
    f = res.findings
    for r in f.itertuples():
        assert r.message and re.search(r"[\u4e00-\u9fff]", r.message)
        if pd.notna(r.row):
            assert f"名单第 {r.row} 条记录" in r.message  # a DBF roster: its record number
            assert r.key and r.key in r.message and "*" in r.key
        if r.file:
            assert r.file in r.message and r.value == r.file
    missing = f[f["rule"] == "PHOTO_MISSING"]
    assert missing["value"].str.fullmatch(r"\d{6}\*{8}[\dX]{4}\.jpg").all()


def test_rows_default_to_the_records_numbers_in_the_file(sample):
    reg, mask, _ = sample
    res = check_photos(reg[mask], PHOTOS)  # filtered: records keep their numbers
    in_file = (np.flatnonzero(np.asarray(mask)) + 1).tolist()
    assert set(res.findings["row"].dropna()) <= set(in_file)
    assert res.students["row"].tolist() == in_file
    plain = check_photos(reg[mask].reset_index(drop=True), PHOTOS)  # 1…64
    assert plain.students["row"].tolist() == list(range(1, 65))
    with pytest.raises(XuejiError, match="row_numbers"):
        check_photos(reg[mask], PHOTOS, row_numbers=[1, 2, 3])


# ------------------------------------------------------------------------------------------- tmp folders


def roster(n=6, seq0=1):
    ids = make_ids(np.full(n, 430102), np.full(n, 20080517), np.arange(seq0, seq0 + n) * 2 + 1)
    return pd.DataFrame(
        {
            "KSH": [f"264301021{i:05d}" for i in range(n)],
            "XH": [f"2026{i:04d}" for i in range(n)],
            "XM": [f"学生{i}" for i in range(n)],
            "SFZH": ids.tolist(),
        }
    )


def photo(path, size=(358, 441), mode="RGB", fmt="JPEG", **kw):
    Image.new(mode, size, (67, 142, 219) if mode == "RGB" else 128).save(path, fmt, **kw)
    return path


def noisy(path, size=(358, 441), quality=98):
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path, "JPEG", quality=quality)
    return path


def rules_of(res, file=None, row=None):
    f = res.findings
    if file is not None:
        f = f[f["file"] == mask_name(file)]
    if row is not None:
        f = f[f["row"] == row]
    return sorted(f["rule"])


def test_clean_folder_and_extension_case(tmp_path):
    df = roster(4)
    photo(tmp_path / f"{df.SFZH[0]}.jpg")
    photo(tmp_path / f"{df.SFZH[1]}.JPG")
    photo(tmp_path / f"{df.SFZH[2]}.jpeg")
    photo(tmp_path / f"{df.SFZH[3]}.JpEg")
    res = check_photos(df, tmp_path)
    assert res.findings.empty, res.findings
    assert res.matched == 4 and res.files_matched == 4
    assert "没有发现问题" in res.summary()
    assert res.by_rule.empty and list(res.by_rule.columns) == ["rule", "severity", "count"]


def test_key_xh_with_pattern(tmp_path):
    df = roster(3)
    photo(tmp_path / f"{df.XH[0]}_照片.jpg")
    photo(tmp_path / f"{df.XH[1]}_照片.JPG")
    photo(tmp_path / f"{df.SFZH[2]}.jpg")  # named by ID number: no XH at all
    res = check_photos(df, tmp_path, key="XH", name_pattern="{key}_照片")
    assert res.matched == 2 and res.students_without_photo == 1
    assert rules_of(res, row=3) == ["PHOTO_MISSING"]
    miss = res.findings[res.findings["rule"] == "PHOTO_MISSING"].iloc[0]
    assert miss["key"] == df.XH[2] and miss["value"] == f"{df.XH[2]}_照片.jpg"  # 学号 is not masked
    assert "学号" in miss["message"]
    assert rules_of(res, file=f"{df.SFZH[2]}.jpg") == ["PHOTO_BAD_NAME"]
    assert_no_full_id(res, df.SFZH.tolist())
    # the same folder by ID number: the XH-named files are not IDs
    res2 = check_photos(df, tmp_path)
    assert res2.matched == 1 and res2.files_unmatched == 2
    assert rules_of(res2, file=f"{df.XH[0]}_照片.jpg") == ["PHOTO_BAD_NAME"]


def test_key_ksh_unmatched_by_shape(tmp_path):
    df = roster(2)
    photo(tmp_path / f"{df.KSH[0]}.jpg")
    photo(tmp_path / "26430102199999.jpg")  # a 考生号 of nobody: same shape → unmatched
    photo(tmp_path / "说明.jpg")
    res = check_photos(df, tmp_path, key="KSH")
    assert rules_of(res, file="26430102199999.jpg") == ["PHOTO_UNMATCHED"]
    assert rules_of(res, file="说明.jpg") == ["PHOTO_BAD_NAME"]
    assert rules_of(res, row=2) == ["PHOTO_MISSING"]


def big(path, size=(358, 441), nbytes=3 * 1024 * 1024):
    """A 358×441 blue JPG padded (after its end marker, as some cameras do) to ``nbytes``."""
    photo(path, size)
    data = path.read_bytes()
    path.write_bytes(data + b"\x00" * (nbytes - len(data)))
    return path


def test_size_limits_default_to_the_seeds_and_are_configurable(tmp_path):
    df = roster(5)
    photo(tmp_path / f"{df.SFZH[0]}.jpg", size=(295, 413))  # 一寸 at 300 dpi: smaller than 358×441
    photo(tmp_path / f"{df.SFZH[1]}.jpg", size=(900, 1200))  # no pixel maximum by default
    big(tmp_path / f"{df.SFZH[2]}.jpg")  # 3 MB: over 004's "2M以内"
    photo(tmp_path / f"{df.SFZH[3]}.jpg", size=(600, 450))  # landscape
    photo(tmp_path / f"{df.SFZH[4]}.jpg")  # 358×441: the 第二代身份证 photo passes
    res = check_photos(df, tmp_path)
    assert rules_of(res, row=1) == ["PHOTO_TOO_SMALL"]
    assert rules_of(res, row=2) == []
    assert rules_of(res, row=3) == ["PHOTO_FILE_TOO_LARGE"]
    assert rules_of(res, row=4) == ["PHOTO_ASPECT"]
    assert rules_of(res, row=5) == []
    assert res.matched == 3 and res.students_with_problem == 2  # a warning leaves the photo usable
    msg = res.findings.loc[res.findings["row"] == 1, "message"].iat[0]
    assert "295×413" in msg and "358×441" in msg
    msg = res.findings.loc[res.findings["row"] == 3, "message"].iat[0]
    assert "3 MB" in msg and "上限 2 MB" in msg
    loose = check_photos(df, tmp_path, min_size=(100, 100), max_bytes=None, aspect=None)
    assert loose.findings.empty and loose.matched == 5
    strict = check_photos(df, tmp_path, min_size=(400, 500), max_size=(640, 800), min_bytes=50 * 1024, max_bytes=None)
    assert rules_of(strict, row=2) == ["PHOTO_FILE_TOO_SMALL", "PHOTO_TOO_LARGE"]
    assert "PHOTO_TOO_SMALL" in rules_of(strict, row=4) and "PHOTO_FILE_TOO_SMALL" in rules_of(strict, row=4)
    assert strict.params["min_size"] == (400, 500) and strict.to_dict()["params"]["max_bytes"] is None


def test_bad_limits_are_refused_in_chinese(tmp_path):
    df = roster(1)
    for kw, word in [
        ({"min_size": (0, 441)}, "大于 0"),
        ({"min_size": (400, 500), "max_size": (358, 441)}, "超过了上限"),
        ({"max_bytes": -5}, "文件大小上限"),
        ({"min_bytes": 3 * 1024 * 1024}, "超过了上限"),
        ({"aspect": (1.6, 1.1)}, "高宽比"),
        ({"background": "绿"}, "背景颜色“绿”不认识"),
        ({"folder_depth": -1}, "子文件夹层数"),
        ({"class_field": "BANJI"}, "BANJI"),
    ]:
        with pytest.raises(XuejiError, match=word):
            check_photos(df, tmp_path, **kw)


def test_broken_files(tmp_path):
    df = roster(6)
    (tmp_path / f"{df.SFZH[0]}.jpg").write_bytes(b"")
    (tmp_path / f"{df.SFZH[1]}.jpg").write_text("这不是图片", encoding="utf-8")
    good = photo(tmp_path / "x.tmp").read_bytes()
    (tmp_path / "x.tmp").unlink()
    (tmp_path / f"{df.SFZH[2]}.jpg").write_bytes(good[: len(good) // 2])  # truncated
    (tmp_path / f"{df.SFZH[3]}.jpg").write_bytes(good + b"\x00" * 10 + b"trailer")  # harmless trailer
    photo(tmp_path / f"{df.SFZH[4]}.jpg", fmt="PNG")  # PNG named .jpg
    photo(tmp_path / f"{df.SFZH[5]}.png", fmt="PNG")  # PNG named .png
    res = check_photos(df, tmp_path)
    assert rules_of(res, row=1) == ["PHOTO_EMPTY"]
    assert rules_of(res, row=2) == ["PHOTO_UNREADABLE"]
    assert rules_of(res, row=3) == ["PHOTO_UNREADABLE"]
    assert "截断" in res.findings.loc[res.findings["row"] == 3, "message"].iat[0]
    assert rules_of(res, row=4) == []
    assert rules_of(res, row=5) == ["PHOTO_NOT_JPEG"]
    assert "PNG" in res.findings.loc[res.findings["row"] == 5, "message"].iat[0]
    assert rules_of(res, row=6) == ["PHOTO_BAD_EXTENSION"]
    assert res.matched == 1 and res.students_with_problem == 5 and res.files_unusable == 5
    assert res.students.set_index("row")["status"].to_dict() == {
        1: "problem",
        2: "problem",
        3: "problem",
        4: "matched",
        5: "problem",
        6: "problem",
    }
    assert check_photos(df, tmp_path, decode=True).findings.equals(res.findings)


def test_colour_mode(tmp_path):
    df = roster(2)
    photo(tmp_path / f"{df.SFZH[0]}.jpg", mode="L")
    photo(tmp_path / f"{df.SFZH[1]}.jpg", mode="CMYK")
    res = check_photos(df, tmp_path, background=None)
    assert rules_of(res) == ["PHOTO_COLOR_MODE", "PHOTO_COLOR_MODE"]
    grey = check_photos(df, tmp_path)  # a grey picture has no blue background either
    assert rules_of(grey, row=1) == ["PHOTO_BACKGROUND", "PHOTO_COLOR_MODE"]
    assert res.matched == 2  # a warning: the photo is still usable


def test_lower_case_x_and_other_tolerances_reported_not_fixed(tmp_path):
    df = roster(12)
    x_rows = [i for i, v in enumerate(df.SFZH) if v.endswith("X")]
    assert len(x_rows) >= 2
    a, b = x_rows[:2]
    lower = df.SFZH[a][:17] + "x"
    photo(tmp_path / f"{lower}.jpg")  # roster X, file x
    df.loc[b, "SFZH"] = df.SFZH[b][:17] + "x"  # roster x, file X: a roster matter
    photo(tmp_path / f"{df.SFZH[b][:17]}X.jpg")
    others = [i for i in range(12) if i not in (a, b)]
    photo(tmp_path / f"{df.SFZH[others[0]]} - 副本.jpg")  # only a copy
    photo(tmp_path / f"{df.SFZH[others[1]]}.jpg")
    photo(tmp_path / f"{df.SFZH[others[1]]} (1).jpg")  # a second photo
    res = check_photos(df, tmp_path)
    assert (tmp_path / f"{lower}.jpg").exists() and not (tmp_path / f"{df.SFZH[a]}.jpg").exists()
    assert rules_of(res, row=a + 1) == ["PHOTO_NAME_NONSTANDARD"]
    msg = res.findings.loc[res.findings["row"] == a + 1, "message"].iat[0]
    assert "小写" in msg and mask_id(df.SFZH[a]) + ".jpg" in msg
    assert rules_of(res, row=b + 1) == []
    assert rules_of(res, row=others[0] + 1) == ["PHOTO_NAME_NONSTANDARD"]
    assert rules_of(res, row=others[1] + 1) == ["PHOTO_DUPLICATE"]
    assert rules_of(res, file=f"{df.SFZH[others[1]]} (1).jpg") == ["PHOTO_DUPLICATE"]
    st = res.students.set_index("row")["status"]
    assert st[a + 1] == st[b + 1] == st[others[0] + 1] == "matched" and st[others[1] + 1] == "problem"
    assert res.files_duplicate == 1 and res.files_matched == 4
    assert_no_full_id(res, df.SFZH.tolist())


def test_subfolders_read_and_deeper_ones_reported(tmp_path):
    df = roster(4)
    photo(tmp_path / f"{df.SFZH[0]}.jpg")
    sub = tmp_path / "补交"
    sub.mkdir()
    photo(sub / f"{df.SFZH[1]}.jpg")  # a sub-folder: read (today's "没有照片" for it is gone)
    (tmp_path / f"{df.SFZH[2]}").mkdir()  # a folder named like a photo: entered, empty
    deep = tmp_path / "学院" / "2026级" / "软件2601班"
    deep.mkdir(parents=True)
    photo(deep / f"{df.SFZH[3]}.jpg")  # three levels down: not entered by default
    res = check_photos(df, tmp_path)
    assert res.total_files == 2 and res.matched == 2 and res.subfolders == 1
    assert rules_of(res, row=2) == [] and rules_of(res, row=3) == ["PHOTO_MISSING"]
    assert rules_of(res, row=4) == ["PHOTO_MISSING"]
    sf = res.findings[res.findings["rule"] == "PHOTO_SUBFOLDER"]
    assert sf["value"].tolist() == ["学院/2026级/软件2601班"]
    assert (sf["severity"] == "info").all() and sf["row"].isna().all() and "往下 2 层" in sf["message"].iat[0]
    files = res.files.set_index("folder")["file"]
    assert files["补交"] == f"补交/{mask_id(df.SFZH[1])}.jpg" and files[""] == f"{mask_id(df.SFZH[0])}.jpg"
    assert "子文件夹 1 个未检查" in res.summary()
    assert_no_full_id(res, df.SFZH.tolist())
    flat = check_photos(df, tmp_path, folder_depth=0)  # the folder itself only: as the first version did
    assert flat.total_files == 1 and flat.subfolders == 3
    assert rules_of(flat, row=2) == ["PHOTO_MISSING"]
    assert check_photos(df, tmp_path, folder_depth=3).matched == 3


def test_roster_without_key_and_repeated_key(tmp_path):
    df = roster(4)
    df.loc[1, "SFZH"] = None
    df.loc[2, "SFZH"] = "  "
    df.loc[3, "SFZH"] = df.SFZH[0]
    photo(tmp_path / f"{df.SFZH[0]}.jpg")
    res = check_photos(df, tmp_path)
    assert rules_of(res, row=2) == ["PHOTO_NO_KEY"] and rules_of(res, row=3) == ["PHOTO_NO_KEY"]
    assert rules_of(res, row=1) == ["PHOTO_KEY_REPEATED"] and rules_of(res, row=4) == ["PHOTO_KEY_REPEATED"]
    assert res.students_without_photo == 2 and res.matched == 2
    assert res.matched + res.students_without_photo + res.students_with_problem == 4


def test_errors(tmp_path):
    df = roster(2)
    with pytest.raises(PhotoFolderNotFound, match="找不到") as e:
        check_photos(df, tmp_path / "nowhere")
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, XuejiError)
    (tmp_path / "a.jpg").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="不是文件夹"):
        check_photos(df, tmp_path / "a.jpg")
    with pytest.raises(XuejiError, match="KSH2"):
        check_photos(df, tmp_path, key="KSH2")
    with pytest.raises(XuejiError, match="key"):
        check_photos(df, tmp_path, name_pattern="照片")


def test_empty_inputs(tmp_path):
    res = check_photos(roster(0), tmp_path)
    assert res.total_students == res.total_files == 0 and res.findings.empty
    photo(tmp_path / "430102200805170037.jpg")
    res = check_photos(roster(0), tmp_path)
    assert rules_of(res) == ["PHOTO_UNMATCHED"] and res.files_unmatched == 1


def test_mask_ids_matches_mask_id():
    values = pd.Series(
        [
            "11010519491231002X",
            "110105491231002",
            "E14383828",
            "12345",
            "",
            None,
            "G430121201801308397",
            " 430102200805170037",
        ],
        dtype="str",
    )
    assert mask_ids(values).tolist() == [mask_id(v) if v else "" for v in values.fillna("")]
    assert mask_name("430102200805170037 - 副本.jpg") == "430102********0037 - 副本.jpg"


def test_large_roster(tmp_path):
    n = 200_000
    days = pd.date_range("1990-01-01", periods=1000).strftime("%Y%m%d").astype(int).to_numpy()
    ids = make_ids(np.full(n, 430102), days[np.arange(n) // 200], np.arange(n) % 200)
    assert ids.is_unique
    df = pd.DataFrame({"SFZH": ids, "XM": "张三"})
    picked = np.arange(0, n, n // 100)[:100]
    src = photo(tmp_path / "src.bin")
    data = src.read_bytes()
    src.unlink()
    for i in picked:
        (tmp_path / f"{ids[i]}.jpg").write_bytes(data)
    good = make_ids([430102], [19900101], [999]).iat[0]  # not on the roster (sequences < 200)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")  # and a wrong check digit
    (tmp_path / f"{wrong}.jpg").write_bytes(data)
    res = check_photos(df, tmp_path)
    assert res.total_students == n and res.total_files == 101
    assert res.matched == 100 and res.students_without_photo == n - 100 and res.students_with_problem == 0
    assert res.files_unmatched == 1
    f = res.findings
    assert (f["rule"] == "PHOTO_MISSING").sum() == n - 100
    got = set(f.loc[f["rule"] == "PHOTO_MISSING", "row"].astype(int))
    assert got == set(range(1, n + 1)) - set(picked + 1)
    assert f["row"].dropna().is_monotonic_increasing and pd.isna(f["row"].iat[-1])
    unmatched = f[f["rule"] == "PHOTO_UNMATCHED"]
    assert "校验位不对" in unmatched["message"].iat[0]
    sample = f.sample(2000, random_state=0)
    assert not sample["message"].str.contains(r"\d{15}").any()
    assert res.students.loc[picked, "status"].eq("matched").all()


def test_photos_command_writes_workbook_and_summary(tmp_path):
    import json
    import subprocess
    import sys

    xueji = Path(sys.executable).with_name("xueji")
    res = subprocess.run(
        [
            str(xueji),
            "photos",
            str(SAMPLES / "hei" / "10_注册上报.dbf"),
            str(SAMPLES / "hei" / "photos"),
            "--where",
            "BH=软件2601,软件2602",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "学生 64 名 = 照片合格 57 + 没有照片 2 + 照片有问题 5" in res.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["students"]["total"] == 64 and (tmp_path / "out" / "照片核对.xlsx").exists()
    bad = subprocess.run(
        [str(xueji), "photos", str(SAMPLES / "hei" / "10_注册上报.dbf"), str(tmp_path / "nope")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "nope" in bad.stderr
