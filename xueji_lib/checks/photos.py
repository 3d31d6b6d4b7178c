"""Photos (图像校对): a folder of student photos checked against a roster.

    >>> import xueji_lib as xj
    >>> from xueji_lib.checks.photos import check_photos
    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")                       # doctest: +SKIP
    >>> mask = reg["BH"].isin(["软件2601", "软件2602"]).to_numpy()                    # doctest: +SKIP
    >>> res = check_photos(reg[mask], "data_samples/hei/photos",
    ...                    row_numbers=np.flatnonzero(mask) + 1)   # rows as in the file  # doctest: +SKIP
    >>> print(res.summary())                                                        # doctest: +SKIP
    >>> res.findings            # one row per (student or file, rule), each with a Chinese message  # doctest: +SKIP

Every photo is matched to a student by the key in its file name (``key`` = roster column, 身份证号 by
default; 考生号 ``KSH`` or 学号 ``XH`` work the same; ``name_pattern`` allows a fixed prefix/suffix around
the key, e.g. ``"{key}_照片"``). Matching ignores the case of the extension (``.JPG`` is fine), blanks,
full-width digits and the case of letters (a trailing ``x`` matches ``X``), and a Windows copy suffix
(``" - 副本"``, ``" - Copy"``, ``" (2)"``); a file matched only thanks to that tolerance is reported
(``PHOTO_NAME_NONSTANDARD``), never renamed. Then each photo matched to a student is opened — its header
only (``PIL.Image.open`` is lazy), plus a look at the JPEG end marker; a file whose end marker is missing
is decoded to tell a truncated file from one with a harmless trailer (``decode=True`` decodes every file).

Every student ends in exactly one of: matched (exactly one usable photo), missing (no photo, or no key to
match one by), problem (a photo that is unusable, or more than one photo). Every file in the folder ends
in exactly one of: matched (the photo of a roster key), duplicate (a further photo for a key that already
has one), unmatched (its name is no key on the roster). A file is usable when no error-level rule fired on it.

Class folders (004, 教通[2012]75号: "将照片存入以“xx级xxx 班”为文件夹名的文件夹"): photos may lie in the folder
itself or in sub-folders down to ``folder_depth`` levels (``2026级软件2601班/…``, ``计算机学院/2026级软件2601班/…``);
each file knows the folder it came from. A folder whose name reads as a class ("xx级xxx班", read leniently:
blanks, full-width characters and the 级/班 words are optional) is compared with the student's class on the
roster (``class_field``: BH 班号 / BJ 班级; ``grade_field``: 入学年月/入学日期/年级): a photo filed under
another class is reported (``PHOTO_WRONG_CLASS``, warning, both class names). Deeper folders are not entered
and are reported (``PHOTO_SUBFOLDER``).

Defaults, with their sources (each one settable, ``None`` switches it off):

- pixel size at least 358×441 (width×height), error below: the 第二代居民身份证 photo, GA 461-2004《居民身份证制证用
  数字相片技术标准》(358×441 pixels at 350 dpi, 26×32 mm); 004: "考生照片应按照第二代身份证照片标准" and "一寸标准证件照".
  No pixel maximum (the seeds give none; ``max_size`` sets one, error above).
- file size at most 2 MB (2×1024×1024 bytes), error above: 004: "大少控制在“2M”以内". At least 2 KB, warning below
  (not from the seeds: a smaller 358×441 JPG is compressed until it is blurred).
- height/width between 1.1 and 1.6, warning outside (not from the seeds: 358×441 is 1.23, 一寸 25×35 mm and
  二寸 35×49 mm are 1.4; a landscape or square picture is no ID photo).
- background 深蓝, warning otherwise: 004 (教通[2012]75号): "深蓝色背景，一寸标准证件照". The colour is read from the
  two top corners of the photo decoded at 1/8 scale (JPEG DCT scaling), classified with numpy (``classify_background``).

The folder is listed once (``os.scandir``); only files whose name matches a student are opened (at 1/8 scale
when the background is checked: about a millisecond a photo). The roster side is vectorised: a 1,000,000-row
roster costs a few column operations, not a loop over students.

ID numbers (and any 15–18 digit run in a file name) are masked (``110105********002X``) in every finding,
in the ``students``/``files`` frames and in the summary.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import XuejiError
from ..core.ids import ID_NUMBER_FIELDS
from ..core.normalize import STR, as_text, key_text
from ..core.privacy import mask_id, mask_series, mask_value, personal_kind
from ..core.result import (
    ChartSpec,
    Column,
    OutputFiles,
    Result,
    ResultList,
    rules_chart,
    sides_frame,
    summary_sheet,
    words,
)
from ..core.rows import row_word, shown_rows
from ..schema.rules import SEVERITY_ORDER, SEVERITY_ZH

__all__ = [
    "check_photos",
    "PhotoResult",
    "PhotoFolderNotFound",
    "PHOTO_RULES",
    "FINDING_COLUMNS",
    "ID_PHOTO_SIZE",
    "MAX_PHOTO_BYTES",
    "BACKGROUNDS",
    "classify_background",
    "parse_class_folder",
    "parse_pixels",
    "parse_aspect",
    "parse_file_size",
    "parse_background",
]

FINDING_COLUMNS = ["row", "key", "field", "rule", "severity", "value", "message", "file"]
KB = 1024
MB = 1024 * KB

# The defaults of check_photos and `xueji photos`, each with its source (README 照片核对 states the same).
# GA 461-2004《居民身份证制证用数字相片技术标准》: the 第二代居民身份证 photo is 358×441 pixels (width × height) at
# 350 dpi (26 × 32 mm); 004: "考生照片应按照第二代身份证照片标准", "一寸标准证件照". Smaller: PHOTO_TOO_SMALL (error).
ID_PHOTO_SIZE = (358, 441)
# 004 (广东药学院 诚信档案 notice): "照片上传:…大少控制在“2M”以内" — 2 MB = 2×1024×1024 bytes. Larger: PHOTO_FILE_TOO_LARGE
# (error).
MAX_PHOTO_BYTES = 2 * MB
# Not from the seeds: a 358×441 JPG under 2 KB is compressed until it blurs (PHOTO_FILE_TOO_SMALL, warning).
MIN_PHOTO_BYTES = 2 * KB
# Not from the seeds: height/width of a portrait ID photo — 358×441 is 1.23, 一寸 25×35 mm and 二寸 35×49 mm are 1.40
# (PHOTO_ASPECT, warning outside).
PHOTO_ASPECT = (1.1, 1.6)
# 004 (教通[2012]75号): "深蓝色背景，一寸标准证件照" (PHOTO_BACKGROUND, warning otherwise).
DEFAULT_BACKGROUND = "深蓝"
# The expected backgrounds a user can ask for → the colours (of ``classify_background``) that satisfy it.
# 深蓝 is a saturated blue, the studios' standard blue ID background (RGB 67,142,219) included; 浅蓝 a pale or
# cyan-ish blue; 蓝 accepts both.
BACKGROUNDS: dict[str, tuple[str, ...]] = {
    "深蓝": ("深蓝",),
    "蓝": ("深蓝", "浅蓝"),
    "浅蓝": ("浅蓝",),
    "白": ("白",),
    "红": ("红",),
}
_BACKGROUND_ALIASES = {
    "深蓝色": "深蓝",
    "藏蓝": "深蓝",
    "navy": "深蓝",
    "darkblue": "深蓝",
    "蓝色": "蓝",
    "blue": "蓝",
    "浅蓝色": "浅蓝",
    "天蓝": "浅蓝",
    "lightblue": "浅蓝",
    "白色": "白",
    "white": "白",
    "红色": "红",
    "red": "红",
}
_NO_CHECK = {"any", "none", "off", "no", "不查", "不限", "任意", "不检查"}
COLOUR_ZH = {
    "深蓝": "深蓝色",
    "浅蓝": "浅蓝色",
    "白": "白色",
    "红": "红色",
    "灰": "灰色",
    "黑": "黑色",
    "杂色": "杂色（不是单一颜色）",
    "其他": "其他颜色",
}
# Where the background is read: the two top corners, each this share of the width and of the height.
_CORNER_W, _CORNER_H = 0.2, 0.08

# code → (severity, short Chinese description). The full message of each finding is built in
# ``_file_message``/``_student_messages`` and always names the file and the student.
PHOTO_RULES: dict[str, tuple[str, str]] = {
    "PHOTO_MISSING": ("error", "学生没有照片"),
    "PHOTO_NO_KEY": ("error", "名单中学生的对应字段为空，无法对应照片"),
    "PHOTO_DUPLICATE": ("error", "同一学生有多个照片文件"),
    "PHOTO_UNMATCHED": ("warning", "照片文件名对应不到名单中的任何学生"),
    "PHOTO_BAD_NAME": ("warning", "文件名不是学生的号码，无法对应"),
    "PHOTO_NAME_NONSTANDARD": ("warning", "文件名不规范（小写 x、空格、全角、“副本”等），已容错对应"),
    "PHOTO_KEY_REPEATED": ("warning", "名单中几名学生的号码相同，照片同时对应他们"),
    "PHOTO_EMPTY": ("error", "照片文件是空的（0 字节）"),
    "PHOTO_UNREADABLE": ("error", "照片无法读取（不是图片、已损坏或被截断）"),
    "PHOTO_NOT_JPEG": ("error", "扩展名是 .jpg，内容却不是 JPG"),
    "PHOTO_BAD_EXTENSION": ("error", "照片不是 JPG 文件（扩展名不对）"),
    "PHOTO_TOO_SMALL": ("error", "照片像素尺寸小于下限"),
    "PHOTO_TOO_LARGE": ("error", "照片像素尺寸超过上限"),
    "PHOTO_FILE_TOO_LARGE": ("error", "照片文件大小超过上限"),
    "PHOTO_FILE_TOO_SMALL": ("warning", "照片文件过小，可能压缩过度、不清晰"),
    "PHOTO_ASPECT": ("warning", "照片高宽比不像证件照"),
    "PHOTO_COLOR_MODE": ("warning", "照片不是 RGB 彩色"),
    "PHOTO_BACKGROUND": ("warning", "照片背景颜色不符合要求"),
    "PHOTO_WRONG_CLASS": ("warning", "照片放在别的班级的文件夹中"),
    "PHOTO_SUBFOLDER": ("info", "照片目录中更深层的子文件夹未检查"),
}

KEY_LABELS = {
    "SFZH": "身份证号",
    "SFZJH": "身份证件号",
    "ZJHM": "证件号码",
    "KSH": "考生号",
    "XH": "学号",
    "XJH": "学籍号",
}
MODE_ZH = {
    "L": "灰度（黑白照片）",
    "1": "二值（黑白）",
    "CMYK": " CMYK（印刷用，部分系统和浏览器无法正常显示）",
    "P": "调色板",
    "LA": "带透明通道的灰度",
    "RGBA": " RGBA（带透明通道）",
    "I": " 16 位灰度",
    "I;16": " 16 位灰度",
}
# A copy suffix Windows, macOS or a person adds: " - 副本", " - 副本 (2)", " - Copy", " (1)", "（2）", "_副本".
_COPY_SUFFIX = re.compile(
    r"(?:\s*[-_—]?\s*(?:副本|复制|拷贝|copy)(?:\s*[(（]\d+[)）])?|\s*[(（]\d+[)）])\s*$", re.IGNORECASE
)
_ID_RUN = re.compile(r"\d{14,17}[\dXx]")  # 15–18 characters: an ID number (or any long number) in a name
_ID_SHAPE = re.compile(r"\d{17}[\dX]|\d{15}")


class PhotoFolderNotFound(XuejiError, FileNotFoundError):
    """The photo folder does not exist or is not a folder.

    >>> try:
    ...     xj.check_photos(pd.DataFrame({"SFZH": []}), "data_samples/没有这个文件夹")
    ... except xj.PhotoFolderNotFound as exc:
    ...     print(isinstance(exc, FileNotFoundError), exc)
    True 照片目录 data_samples/没有这个文件夹：找不到这个文件夹，请检查路径
    """

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        self.path = str(path)
        super().__init__(f"照片目录 {self.path}：{problem}")


# ------------------------------------------------------------------------------------------------ result


@dataclass(frozen=True)
class PhotoResult(Result):
    """What ``check_photos`` found.

    ``findings``: one row per (student or file, rule): row (the student's roster row, 1-based; NA for a
    file that matches nobody), key (masked when it is an ID), field ("照片"), rule, severity, value (the
    photo file name, IDs masked), message (Chinese: what is wrong and how to fix it), file (photo file
    name, masked; "" for a student without one).
    ``students``: one row per roster student: row, key (masked), status (matched/missing/problem), file.
    ``files``: one row per file in the folder and its class folders: file (its path under the photo folder,
    masked), folder (the sub-folder it came from, "" for the photo folder itself), status
    (matched/duplicate/unmatched), row, class (the student's class on the roster), usable, format, width,
    height, bytes, background (the colour of the background found: 深蓝, 白, …; "" when not read).
    Conservation: total_students = matched + students_without_photo + students_with_problem;
    total_files = files_matched + files_duplicate + files_unmatched.

    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    >>> two_classes = reg["BH"].isin(["软件2601", "软件2602"]).to_numpy()
    >>> res = xj.check_photos(reg[two_classes], "data_samples/hei/photos", row_numbers=two_classes.nonzero()[0] + 1)
    >>> res.to_dict()["files"]
    {'total': 64, 'matched': 62, 'duplicate': 1, 'unmatched': 1, 'unusable': 4, 'subfolders': 0, 'folders': 2}
    >>> res.missing_list["row"].tolist()           # rows of 10_注册上报.dbf without a photo
    [151, 153]
    """

    folder: str
    key: str
    findings: pd.DataFrame
    students: pd.DataFrame = field(repr=False)
    files: pd.DataFrame = field(repr=False)
    total_students: int
    total_files: int
    matched: int
    students_without_photo: int
    students_with_problem: int
    files_matched: int
    files_duplicate: int
    files_unmatched: int
    files_unusable: int
    subfolders: int
    folders: int = 0  # the sub-folders entered (class folders)
    params: dict = field(default_factory=dict)

    @property
    def by_rule(self) -> pd.DataFrame:
        """rule, severity, count — one row per rule that fired, errors first."""
        f = self.findings
        if f.empty:
            return pd.DataFrame(
                {"rule": pd.Series(dtype=STR), "severity": pd.Series(dtype=STR), "count": pd.Series(dtype="int64")}
            )
        out = f.groupby(["rule", "severity"], sort=False).size().rename("count").reset_index()
        out["_o"] = out["severity"].map(SEVERITY_ORDER)
        return (
            out.sort_values(["_o", "count", "rule"], ascending=[True, False, True])
            .drop(columns="_o")
            .reset_index(drop=True)
        )

    @property
    def missing_list(self) -> pd.DataFrame:
        """The students without a photo (rows of ``students``): the list to collect photos for."""
        return self.students[self.students["status"] == "missing"].reset_index(drop=True)

    def summary(self) -> str:
        label = KEY_LABELS.get(self.key, self.key)
        lines = [
            f"照片核对：照片目录 {self.folder}，按{label}对应名单（文件名 {self.params.get('pattern_text', '')}）",
            f"学生 {self.total_students} 名 = 照片合格 {self.matched} + 没有照片 {self.students_without_photo}"
            f" + 照片有问题 {self.students_with_problem}",
            f"照片文件 {self.total_files} 个 = 对应到学生 {self.files_matched} + 同一学生的多余照片 "
            f"{self.files_duplicate} + 对应不到学生 {self.files_unmatched}"
            f"（对应到学生的文件中不可用 {self.files_unusable} 个）",
        ]
        if self.folders:
            wrong = int((self.findings["rule"] == "PHOTO_WRONG_CLASS").sum())
            lines.append(
                f"照片来自照片目录和其中的 {self.folders} 个子文件夹（班级文件夹）；放在别的班级文件夹中的照片 {wrong} 张"
            )
        if self.subfolders:
            lines.append(f"子文件夹 {self.subfolders} 个未检查（不算在照片文件内）")
        br = self.by_rule
        if br.empty:
            lines.append("没有发现问题。")
        else:
            lines.append(f"发现问题 {len(self.findings)} 处：")
            for r in br.itertuples():
                lines.append(f"  [{SEVERITY_ZH[r.severity]}] {PHOTO_RULES[r.rule][1]}（{r.rule}）：{r.count} 处")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "folder": self.folder,
            "key": self.key,
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()},
            **self.counts,
            "files": {
                **self.counts["files"],
                "unusable": self.files_unusable,
                "subfolders": self.subfolders,
                "folders": self.folders,
            },
            "rules": {r.rule: {"severity": r.severity, "count": int(r.count)} for r in self.by_rule.itertuples()},
        }

    @property
    def counts(self) -> dict:
        return {
            "students": {
                "total": self.total_students,
                "matched": self.matched,
                "without_photo": self.students_without_photo,
                "with_problem": self.students_with_problem,
            },
            "files": {
                "total": self.total_files,
                "matched": self.files_matched,
                "duplicate": self.files_duplicate,
                "unmatched": self.files_unmatched,
            },
        }

    @property
    def conserved(self) -> bool:
        c = self.counts
        return all(v["total"] == sum(n for k, n in v.items() if k != "total") for v in c.values())

    # ------------------------------------------------------------------------------ what the result lists
    def summary_frame(self) -> pd.DataFrame:
        """名单 | 结果 | 数量: students and photo files, each ending in 合计, then the other counts."""
        d = self.to_dict()
        s, f = d["students"], d["files"]
        zh = {
            "matched": "照片合格",
            "without_photo": "没有照片",
            "with_problem": "照片有问题",
            "files_matched": "对应到学生",
            "duplicate": "同一学生的多余照片",
            "unmatched": "对应不到学生",
        }
        files = {
            "files_matched": f["matched"],
            "duplicate": f["duplicate"],
            "unmatched": f["unmatched"],
            "total": f["total"],
        }
        out = sides_frame(
            [
                ("学生", s, ("matched", "without_photo", "with_problem")),
                ("照片文件", files, ("files_matched", "duplicate", "unmatched")),
            ],
            zh,
            "数量",
        )
        extra = [{"名单": "其他", "结果": "对应到学生但不可用的文件", "数量": int(f["unusable"])}]
        if f["folders"]:
            extra.append({"名单": "其他", "结果": "子文件夹（班级文件夹）", "数量": int(f["folders"])})
            wrong = int((self.findings["rule"] == "PHOTO_WRONG_CLASS").sum())
            extra.append({"名单": "其他", "结果": "放在别的班级文件夹中的照片", "数量": wrong})
        if f["subfolders"]:
            extra.append({"名单": "其他", "结果": "子文件夹（未检查）", "数量": int(f["subfolders"])})
        return pd.concat([out, pd.DataFrame(extra)], ignore_index=True)

    def lists(self) -> list[ResultList]:
        """问题明细 (one row per problem), 没有照片的学生 (the list to collect photos for), 对应不到学生的照片, and
        the workbook's 学生 (every roster student) and 照片文件 (every file in the folder)."""
        label = KEY_LABELS.get(self.key, self.key)
        kind = personal_kind(self.key) or ("id" if self.key in ID_NUMBER_FIELDS else None)
        key = Column("key", label, personal=kind)
        sev = words(SEVERITY_ZH)
        student = words({"matched": "照片合格", "missing": "没有照片", "problem": "照片有问题"})
        file_status = words({"matched": "对应到学生", "duplicate": "同一学生的多余照片", "unmatched": "对应不到学生"})
        f = self.files
        file_cols = (
            Column("file", "照片文件"),
            Column("folder", "所在文件夹"),
            Column("status", "结果", read=file_status),
            Column("row", "行号"),
            Column("class", "名单中的班级"),
            Column("usable", "可用", read=lambda s: s.map({True: "是", False: "否"}).astype("str")),
            Column("format", "格式"),
            Column("width", "宽（像素）"),
            Column("height", "高（像素）"),
            Column("bytes", "字节"),
            Column("background", "背景颜色"),
        )
        return [
            ResultList(
                "问题明细",
                self.findings,
                (
                    Column("row", "行号"),
                    key,
                    Column("rule", "规则代码"),
                    Column("severity", "级别", read=sev),
                    Column("file", "照片文件"),
                    Column("message", "说明"),
                ),
                unit="处",
            ),
            ResultList("没有照片的学生", self.missing_list, (Column("row", "行号"), key)),
            ResultList(
                "对应不到学生的照片",
                f[f["status"] == "unmatched"],
                tuple(c for c in file_cols if c.source not in ("status", "row", "class", "usable", "background")),
            ),
            ResultList(
                "学生",
                self.students,
                (Column("row", "行号"), key, Column("status", "结果", read=student), Column("file", "照片文件")),
                shown=False,
            ),
            ResultList("照片文件", f, file_cols, shown=False),
        ]

    def chart_spec(self) -> ChartSpec | None:
        """Problems per rule, stacked by severity."""
        br = self.by_rule
        if br.empty:
            return None
        labels = [f"{PHOTO_RULES.get(r.rule, ('', r.rule))[1]}（{r.rule}）" for r in br.itertuples()]
        return rules_chart(
            "照片核对发现的问题（按规则）", labels, br["severity"].tolist(), br["count"].tolist(), SEVERITY_ZH
        )

    def save(self, folder: str | os.PathLike) -> OutputFiles:
        """照片核对.xlsx (汇总 and every declared list; IDs already masked by check_photos) and summary.json."""
        from ..io.lists import write_json, write_lists_workbook

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        files = OutputFiles({"workbook": out / "照片核对.xlsx", "summary": out / "summary.json"})
        lines = self.summary().splitlines()
        summary = summary_sheet([("核对结果" if i == 0 else "", line) for i, line in enumerate(lines)])
        write_lists_workbook(summary, self.lists(), {}, files["workbook"], unmask=False)
        write_json(files["summary"], self.to_dict())
        return files


# ------------------------------------------------------------------------------------------------ masking


def mask_ids(values: pd.Series) -> pd.Series:
    """``privacy.mask_id`` over a column; missing → ""."""
    return mask_series(as_text(values).fillna(""), "id").fillna("")


def mask_name(name: str) -> str:
    """A file or folder name with every 15–18 character ID-like run masked."""
    return _ID_RUN.sub(lambda m: mask_id(m.group(0)), name)


# ------------------------------------------------------------------------------------------------ engine


def check_photos(
    roster: pd.DataFrame,
    folder: str | os.PathLike,
    *,
    key: str = "SFZH",
    name_pattern: str = "{key}",
    extensions: Iterable[str] = (".jpg", ".jpeg"),
    min_size: tuple[int, int] | None = ID_PHOTO_SIZE,
    max_size: tuple[int, int] | None = None,
    min_bytes: int | None = MIN_PHOTO_BYTES,
    max_bytes: int | None = MAX_PHOTO_BYTES,
    aspect: tuple[float, float] | None = PHOTO_ASPECT,
    background: str | None = DEFAULT_BACKGROUND,
    class_field: str | None = "auto",
    grade_field: str | None = "auto",
    folder_depth: int = 2,
    decode: bool = False,
    row_numbers: Sequence[int] | np.ndarray | None = None,
    name_field: str | None = "XM",
) -> PhotoResult:
    """Check the photo ``folder`` (and its class folders) against ``roster`` (one row per student).

    ``key``: the roster column the file names carry (``SFZH`` 身份证号 by default; ``KSH``, ``XH``… work).
    ``name_pattern``: the file name without extension, ``{key}`` standing for the key (``"{key}_照片"``).
    ``extensions``: the accepted extensions, any case (default JPG: ``.jpg``, ``.jpeg``).

    Limits — every one is configurable and ``None`` switches it off; the defaults and their sources are in the
    module docstring (``ID_PHOTO_SIZE``, ``MAX_PHOTO_BYTES``…): ``min_size`` (width, height) in pixels, default
    358×441 (GA 461-2004, 第二代身份证照片; error below); ``max_size`` (error above; default none);
    ``min_bytes`` (2 KB, warning below) / ``max_bytes`` (2 MB, 004 "2M以内"; error above); ``aspect``
    height/width (1.1 … 1.6, warning outside); ``background``: the background colour asked for, one of
    ``BACKGROUNDS`` (深蓝 by default, 004 "深蓝色背景"; 蓝, 浅蓝, 白, 红) — warning otherwise.

    Class folders: photos in sub-folders down to ``folder_depth`` levels are read (0: the folder itself only).
    ``class_field``: the roster column with each student's class ("auto": BH 班号, else BJ 班级; None: no class
    check); ``grade_field``: the column with the year of entry ("auto": RXNY 入学年月, RXRQ 入学日期, else NJ 年级
    when it is a year). A photo in a folder named as another class ("2026级软件2602班") is reported
    (PHOTO_WRONG_CLASS).

    ``decode``: fully decode every image (slower; catches damage in the middle of a file). Without it a
    JPEG is decoded at 1/8 scale for the background (when checked), in full only when its end marker is missing.
    ``row_numbers``: the row to report for each roster row (same length as ``roster``); by default the
    position in the frame passed + 1. A caller who filtered a roster passes the original positions,
    e.g. ``np.flatnonzero(mask) + 1``.
    ``name_field``: a roster column with the student's name, used in messages when present.

    Raises ``PhotoFolderNotFound`` (a ``FileNotFoundError``) for a missing folder, ``XuejiError`` for a
    missing key column, a bad pattern or a bad limit.

    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    >>> two_classes = reg["BH"].isin(["软件2601", "软件2602"]).to_numpy()   # the classes with photos
    >>> res = xj.check_photos(reg[two_classes], "data_samples/hei/photos", row_numbers=two_classes.nonzero()[0] + 1)
    >>> res.total_students, res.matched, res.students_without_photo, res.students_with_problem
    (64, 57, 2, 5)
    """
    setup = _setup(roster, folder, key, name_pattern, extensions, row_numbers)
    limits = _check_limits(min_size, max_size, min_bytes, max_bytes, aspect, background, folder_depth)
    params = {
        "key": setup.key_code,
        "name_pattern": name_pattern,
        "extensions": setup.exts,
        **limits,
        "class_field": None,
        "grade_field": None,
        "decode": decode,
        "pattern_text": setup.pattern_text,
    }
    students = _read_roster(roster, setup, name_field, class_field, grade_field, params)
    paths, sizes, entered, skipped = _list_folder(setup.folder, limits["folder_depth"])
    files, cand_pos = _file_keys(paths, sizes, students.norm, setup)
    fm = _assign_files(files, students.norm, cand_pos)
    info = _read_images(setup.folder, paths, fm, decode, limits["background"] is not None)
    recs, unusable = _judge_matched_files(fm, info, students, setup, params)
    recs += _judge_unmatched_files(fm.files, students.norm, setup)
    recs += _subfolder_findings(skipped, limits["folder_depth"])
    status, photo_of, student_parts = _judge_students(fm, unusable, students, setup)
    findings = _findings_frame(recs, student_parts, setup.rows, students.shown_key, fm.files)
    return _result(
        folder, setup, params, findings, students, fm, info, unusable, status, photo_of, len(skipped), len(entered)
    )


# ------------------------------------------------------------------------------------------ limits and options


def _check_limits(min_size, max_size, min_bytes, max_bytes, aspect, background, folder_depth) -> dict:
    """The limits checked (each positive, each minimum not above its maximum) and the background read; a
    Chinese XuejiError otherwise."""

    def pixels(v, what):
        if v is None:
            return None
        try:
            w, h = (int(x) for x in v)
        except (TypeError, ValueError):
            raise XuejiError(f"{what}应为（宽, 高）两个整数像素数，如 (358, 441)，而不是 {v!r}") from None
        if w <= 0 or h <= 0:
            raise XuejiError(f"{what} {w}×{h} 不对：宽和高都必须大于 0")
        return (w, h)

    def nbytes(v, what):
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
            raise XuejiError(f"{what}应为大于 0 的字节数，而不是 {v!r}")
        return int(v)

    min_size, max_size = pixels(min_size, "像素尺寸下限"), pixels(max_size, "像素尺寸上限")
    if min_size and max_size and (min_size[0] > max_size[0] or min_size[1] > max_size[1]):
        raise XuejiError(f"像素尺寸下限 {min_size[0]}×{min_size[1]} 超过了上限 {max_size[0]}×{max_size[1]}")
    min_bytes, max_bytes = nbytes(min_bytes, "文件大小下限"), nbytes(max_bytes, "文件大小上限")
    if min_bytes and max_bytes and min_bytes > max_bytes:
        raise XuejiError(f"文件大小下限 {_size_text(min_bytes)} 超过了上限 {_size_text(max_bytes)}")
    if aspect is not None:
        try:
            lo, hi = (float(x) for x in aspect)
        except (TypeError, ValueError):
            raise XuejiError(f"高宽比范围应为（下限, 上限）两个数，如 (1.1, 1.6)，而不是 {aspect!r}") from None
        if not 0 < lo <= hi:
            raise XuejiError(f"高宽比范围 {lo}–{hi} 不对：下限须大于 0 且不超过上限")
        aspect = (lo, hi)
    if isinstance(folder_depth, bool) or not isinstance(folder_depth, (int, np.integer)) or folder_depth < 0:
        raise XuejiError(f"子文件夹层数应为 0 或正整数，而不是 {folder_depth!r}")
    return {
        "min_size": min_size,
        "max_size": max_size,
        "min_bytes": min_bytes,
        "max_bytes": max_bytes,
        "aspect": aspect,
        "background": None if background is None else parse_background(background),
        "folder_depth": int(folder_depth),
    }


def parse_background(text: str) -> str | None:
    """The background asked for, as a key of ``BACKGROUNDS`` (None: not checked); XuejiError otherwise.

    >>> parse_background("深蓝色"), parse_background("white"), parse_background("any")
    ('深蓝', '白', None)
    """
    t = unicodedata.normalize("NFKC", str(text)).strip().lower().replace(" ", "")
    if t in _NO_CHECK:
        return None
    t = t.removesuffix("底").removesuffix("背景")
    t = _BACKGROUND_ALIASES.get(t, t)
    if t not in BACKGROUNDS:
        raise XuejiError(f"背景颜色“{text}”不认识：可以是 {'、'.join(BACKGROUNDS)}，或 any（不检查背景颜色）")
    return t


def parse_pixels(text: str, option: str = "--min-size") -> tuple[int, int] | None:
    """``"358x441"`` (also ×, X, *, full-width) → (358, 441); 不查/none → None; XuejiError otherwise.

    >>> parse_pixels("358x441"), parse_pixels("390×567"), parse_pixels("不查")
    ((358, 441), (390, 567), None)
    """
    t = unicodedata.normalize("NFKC", str(text)).strip().lower().replace(" ", "")
    if t in _NO_CHECK:
        return None
    m = re.fullmatch(r"(\d+)[x×*](\d+)", t)
    if not m or int(m.group(1)) <= 0 or int(m.group(2)) <= 0:
        raise XuejiError(f"{option} {text} 不对：应写成 宽x高 的像素数，如 358x441；写 不查 则不检查")
    return int(m.group(1)), int(m.group(2))


def parse_aspect(text: str, option: str = "--aspect") -> tuple[float, float] | None:
    """``"1.1-1.6"`` → (1.1, 1.6) (height/width); 不查/none → None; XuejiError otherwise.

    >>> parse_aspect("1.1-1.6"), parse_aspect("1.2~1.5")
    ((1.1, 1.6), (1.2, 1.5))
    """
    t = unicodedata.normalize("NFKC", str(text)).strip().lower().replace(" ", "")
    if t in _NO_CHECK:
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)[-~–—,](\d+(?:\.\d+)?)", t)
    if not m or not 0 < float(m.group(1)) <= float(m.group(2)):
        raise XuejiError(
            f"{option} {text} 不对：应写成 下限-上限 的高宽比（高÷宽），如 1.1-1.6，下限大于 0 且不超过上限；写 不查 则不检查"
        )
    return float(m.group(1)), float(m.group(2))


def parse_file_size(text: str, unit: str, option: str) -> int | None:
    """A file size in ``unit`` ("KB" or "MB", 1024-based) → bytes; 不查/none → None; XuejiError otherwise.

    >>> parse_file_size("2", "MB", "--max-mb"), parse_file_size("1.5", "KB", "--min-kb")
    (2097152, 1536)
    """
    t = unicodedata.normalize("NFKC", str(text)).strip().lower().replace(" ", "")
    if t in _NO_CHECK:
        return None
    t = t.removesuffix(unit.lower()).removesuffix(unit.lower()[0])
    try:
        v = float(t)
    except ValueError:
        v = -1.0
    if not v > 0 or v != v or v == float("inf"):
        raise XuejiError(f"{option} {text} 不对：应为大于 0 的数（单位 {unit}），如 {option} 2；写 不查 则不检查")
    return max(1, int(round(v * (MB if unit.upper() == "MB" else KB))))


# ------------------------------------------------------------------------------------------- classes, colours


def parse_class_folder(name: str) -> tuple[str, str]:
    """(grade, class) read from a class folder's name "xx级xxx班", leniently: blanks, full-width characters
    and the words 级/班 are optional; a two-digit grade is 20xx. "" where the name has none.

    >>> parse_class_folder("2026级 软件2601 班"), parse_class_folder("软件2601班"), parse_class_folder("26级软件2601")
    (('2026', '软件2601'), ('', '软件2601'), ('2026', '软件2601'))
    """
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name))).upper()
    grade = ""
    m = re.match(r"(\d{4}|\d{2})(?:级|届)", t)
    if m:
        grade = m.group(1) if len(m.group(1)) == 4 else "20" + m.group(1)
        t = t[m.end() :]
    t = re.sub(r"(?:班级|班)$", "", t)
    return grade, t


def _class_text(grade: str, klass: str) -> str:
    """How a person writes a class: 2026级软件2601班."""
    return (f"{grade}级" if grade else "") + (f"{klass}班" if klass else "")


_PUNCT = re.compile(r"[()（）\[\]【】\-_.·、,，/\\]")


def _same_class(a: str, b: str) -> bool:
    """Whether two class names (``parse_class_folder``'s class part) name the same class, leniently: the same
    digits, and the other characters of one a subsequence of the other's ("软件2601" = "软件工程2601" = "2601")."""
    if a == b:
        return True
    a, b = _PUNCT.sub("", a), _PUNCT.sub("", b)
    if re.sub(r"\D", "", a) != re.sub(r"\D", "", b):
        return False
    na, nb = re.sub(r"\d", "", a), re.sub(r"\d", "", b)
    if not re.search(r"\d", a) and not (na and nb):
        return False

    def sub(x, y):
        it = iter(y)
        return all(c in it for c in x)

    return sub(na, nb) or sub(nb, na)


def classify_background(rgb: np.ndarray, share: np.ndarray | None = None) -> np.ndarray:
    """The colour names (深蓝, 浅蓝, 白, 红, 灰, 黑, 杂色, 其他) of background colours, vectorised: ``rgb`` is an
    (n, 3) array of the median colour of each photo's top corners, ``share`` the part of those pixels close to
    that median (below one half: 杂色, the background is no single colour).

    >>> classify_background(np.array([[67, 142, 219], [250, 250, 250], [220, 30, 40], [200, 220, 240]])).tolist()
    ['深蓝', '白', '红', '浅蓝']
    """
    rgb = np.asarray(rgb, dtype=np.float64).reshape(-1, 3)
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    mx, mn = rgb.max(axis=1), rgb.min(axis=1)
    v = mx / 255.0
    chroma = mx - mn
    s = np.divide(chroma, mx, out=np.zeros_like(mx), where=mx > 0)
    safe = np.where(chroma > 0, chroma, 1.0)
    hue = np.select(
        [mx == r, mx == g],
        [(60 * (g - b) / safe) % 360, 60 * (b - r) / safe + 120],
        60 * (r - g) / safe + 240,
    )
    out = np.full(len(rgb), "其他", dtype=object)
    blue = (hue >= 180) & (hue < 255) & (s >= 0.15)
    out[blue] = "浅蓝"
    out[blue & (hue >= 200) & (s >= 0.45)] = "深蓝"
    out[((hue < 20) | (hue >= 340)) & (s >= 0.4)] = "红"
    grey = s < 0.15
    out[grey] = "灰"
    out[grey & (v >= 0.8)] = "白"
    out[v < 0.2] = "黑"
    if share is not None:
        out[np.asarray(share, dtype=np.float64) < 0.5] = "杂色"
    return out


def _corners(im, loaded: bool) -> tuple[tuple[int, int, int], float]:
    """The median colour of an opened image's two top corners and the share of their pixels close to it, read
    on the image decoded at 1/8 scale (a JPEG's DCT scaling: a millisecond for a 358×441 photo) unless it is
    ``loaded`` already. A photo a phone saved on its side with an EXIF orientation tag is turned upright first
    (as every viewer shows it), so its top corners are the background, not the shoulders."""
    w, h = im.size
    orientation = im.getexif().get(0x0112, 1)
    if im.format == "JPEG" and not loaded:
        im.draft("RGB", (max(1, w // 8), max(1, h // 8)))
    small = im.convert("RGB")
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        small = _upright(small, orientation)
    if small.width > 200:  # a full decode (a PNG, or decode=True): look at every n-th pixel
        step = small.width // 100
        arr = np.asarray(small)[::step, ::step]
    else:
        arr = np.asarray(small)
    hh, ww = arr.shape[:2]
    cw, ch = max(1, round(ww * _CORNER_W)), max(1, round(hh * _CORNER_H))
    px = np.concatenate([arr[:ch, :cw].reshape(-1, 3), arr[:ch, ww - cw :].reshape(-1, 3)]).astype(np.int32)
    med = np.median(px, axis=0)
    share = float((np.sqrt(((px - med) ** 2).sum(axis=1)) <= 48).mean())
    return (int(med[0]), int(med[1]), int(med[2])), share


def _upright(im, orientation: int):
    """``im`` turned as its EXIF orientation tag (2–8) says, so that its top is the top of the photo."""
    from PIL import Image

    ops = {
        2: [Image.Transpose.FLIP_LEFT_RIGHT],
        3: [Image.Transpose.ROTATE_180],
        4: [Image.Transpose.FLIP_TOP_BOTTOM],
        5: [Image.Transpose.TRANSPOSE],
        6: [Image.Transpose.ROTATE_270],
        7: [Image.Transpose.TRANSVERSE],
        8: [Image.Transpose.ROTATE_90],
    }
    for op in ops.get(orientation, []):
        im = im.transpose(op)
    return im


# ---------------------------------------------------------------------------------------- check_photos' steps


@dataclass(frozen=True)
class _Setup:
    """check_photos' arguments, checked: the folder, the key column and how file names carry it, the rows."""

    folder: Path
    key_col: Hashable  # the roster column holding the key, as the roster writes it
    key_code: str  # its code, upper case (SFZH)
    label: str  # its Chinese name (身份证号)
    kind: str | None  # its personal kind, for masking ("id", …; None: not personal)
    name_pattern: str
    exts: tuple[str, ...]  # accepted extensions, lower case with the dot
    pattern_text: str  # the file name as a person reads it: 身份证号.jpg
    rows: np.ndarray  # the row reported for each roster row
    unit: str = "行"  # how a sentence names a roster row: 行 (a sheet), 条记录 (a DBF)


@dataclass(frozen=True)
class _Students:
    """The roster side, one entry per roster row (positional index)."""

    norm: pd.Series  # the key normalised (half-width, no blanks, upper case; NaN: none)
    shown_key: pd.Series  # the key as shown (masked)
    person: pd.Series  # the student's name, or 学生
    klass: pd.Series | None = None  # the class on the roster (parse_class_folder's class part; "": none)
    grade: pd.Series | None = None  # the year of entry, 4 digits ("": none)


@dataclass(frozen=True)
class _FileMatch:
    """The files of the folder matched to roster keys."""

    files: pd.DataFrame  # one row per file (path, name, folder, ext, bytes, key_raw, nkey, matched, …, status)
    primary: pd.DataFrame  # the matched files, ordered per key: its primary file first, then its duplicates
    rows_of_key: dict[str, list[int]]  # matched key → the roster positions that have it
    files_of_key: dict[str, list[int]]  # matched key → its files (indexes into ``files``), primary first


_STUDENT_STATUS = np.array(["matched", "missing", "problem"], dtype=object)


def _roster_column(roster: pd.DataFrame, name: str) -> Hashable | None:
    """The roster column called ``name``, exactly or else in any case; None when there is none."""
    if name in roster.columns:
        return name
    return {str(c).upper(): c for c in roster.columns}.get(str(name).upper())


def _setup(
    roster: pd.DataFrame,
    folder: str | os.PathLike,
    key: str,
    name_pattern: str,
    extensions: Iterable[str],
    row_numbers: Sequence[int] | np.ndarray | None,
) -> _Setup:
    """Check the arguments (folder, key column, name pattern, row numbers) before anything is read."""
    folder_path = Path(folder)
    if not folder_path.exists():
        raise PhotoFolderNotFound(folder, "找不到这个文件夹，请检查路径")
    if not folder_path.is_dir():
        raise PhotoFolderNotFound(folder, "这是一个文件，不是文件夹；请给出存放照片的文件夹")
    key_col = _roster_column(roster, key)
    if key_col is None:
        raise XuejiError(f"名单中没有字段 {key}，无法按它对应照片。名单的字段有：{', '.join(map(str, roster.columns))}")
    key_code = str(key).upper()
    if name_pattern.count("{key}") != 1:
        raise XuejiError(
            f"照片文件名格式“{name_pattern}”必须恰好含有一个 {{key}}（代表{KEY_LABELS.get(key_code, key_code)}）"
        )
    exts = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)
    n = len(roster)
    if row_numbers is None:  # the rows a person finds them at: the Excel row, the DBF record number (core.rows)
        rows = shown_rows(roster, np.arange(1, n + 1, dtype=np.int64)).to_numpy(dtype=np.int64)
    else:
        rows = np.asarray(row_numbers, dtype=np.int64)
        if len(rows) != n:
            raise XuejiError(f"row_numbers 有 {len(rows)} 个，名单有 {n} 行，两者必须一样多")
    label = KEY_LABELS.get(key_code, key_code)
    return _Setup(
        folder=folder_path,
        key_col=key_col,
        key_code=key_code,
        label=label,
        kind=personal_kind(key_code),
        name_pattern=name_pattern,
        exts=exts,
        pattern_text=name_pattern.replace("{key}", label) + exts[0],
        rows=rows,
        unit=row_word(roster),
    )


_CLASS_FIELDS = ("BH", "BJ", "BJMC", "班号", "班级")
_GRADE_FIELDS = ("RXNY", "RXRQ", "NJ", "入学年月", "入学日期", "年级")


def _read_roster(
    roster: pd.DataFrame,
    setup: _Setup,
    name_field: str | None,
    class_field: str | None,
    grade_field: str | None,
    params: dict,
) -> _Students:
    """The roster side, vectorised: each student's key normalised and masked, their name for messages, and
    their class and year of entry (for the class folders; ``params`` gets the columns used)."""
    raw = as_text(roster[setup.key_col]).reset_index(drop=True)
    norm = key_text(raw)  # half-width, no blanks, upper case; "" → NaN
    shown_key = _mask_col(raw.fillna("").str.strip(), setup.kind)
    ncol = _roster_column(roster, name_field) if name_field else None
    if ncol is not None:
        person = as_text(roster[ncol]).reset_index(drop=True).fillna("").str.strip()
    else:
        person = pd.Series("", index=raw.index, dtype=STR)
    person = person.where(person != "", "学生")
    klass = grade = None
    ccol = _pick_column(roster, class_field, _CLASS_FIELDS, "class_field（班级字段）")
    if ccol is not None:
        params["class_field"] = str(ccol)
        values = as_text(roster[ccol]).reset_index(drop=True).fillna("")
        parsed = {v: parse_class_folder(v) for v in values.unique()}  # a few hundred classes, not a row loop
        klass = values.map(lambda v: parsed[v][1]).astype(STR)
        grade = values.map(lambda v: parsed[v][0]).astype(STR)  # "2026级软件2601" on the roster
        gcol = _pick_column(roster, grade_field, _GRADE_FIELDS, "grade_field（年级字段）")
        if gcol is not None:
            params["grade_field"] = str(gcol)
            year = (
                as_text(roster[gcol])
                .reset_index(drop=True)
                .fillna("")
                .str.strip()
                .str.extract(r"^((?:19|20)\d\d)", expand=False)
            )
            grade = year.fillna("").astype(STR).where(lambda y: y != "", grade)
    return _Students(norm=norm, shown_key=shown_key, person=person, klass=klass, grade=grade)


def _pick_column(roster: pd.DataFrame, wanted: str | None, auto: tuple[str, ...], what: str) -> Hashable | None:
    """The roster column ``wanted`` ("auto": the first of ``auto`` the roster has; None: none)."""
    if wanted is None:
        return None
    if str(wanted).lower() == "auto":
        for name in auto:
            col = _roster_column(roster, name)
            if col is not None:
                return col
        return None
    col = _roster_column(roster, wanted)
    if col is None:
        raise XuejiError(f"{what} {wanted}：名单中没有这个字段。名单的字段有：{', '.join(map(str, roster.columns))}")
    return col


_SKIP_DIRS = ("__MACOSX",)


def _list_folder(folder: Path, depth: int) -> tuple[list[str], list[int], list[str], list[str]]:
    """The folder listed once, with its sub-folders down to ``depth`` levels: its files' paths under ``folder``
    ("/"-separated, sorted) and sizes (-1: a broken link), the sub-folders entered, and those not entered
    (deeper, hidden, or unreadable)."""
    paths, sizes, entered, skipped = [], [], [], []

    def walk(d: Path, rel: str, level: int) -> None:
        with os.scandir(d) as it:
            entries = list(it)
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            r = f"{rel}/{entry.name}" if rel else entry.name
            if is_dir:
                if level < depth and not entry.name.startswith(".") and entry.name not in _SKIP_DIRS:
                    try:
                        walk(Path(entry.path), r, level + 1)
                        entered.append(r)
                    except OSError:
                        skipped.append(r)
                else:
                    skipped.append(r)
                continue
            try:
                size = entry.stat().st_size
            except OSError:
                size = -1  # a broken link: opening it will fail
            paths.append(r)
            sizes.append(size)

    walk(folder, "", 0)
    order = sorted(range(len(paths)), key=lambda i: paths[i])
    return [paths[i] for i in order], [sizes[i] for i in order], sorted(entered), sorted(skipped)


def _file_keys(paths: list[str], sizes: list[int], norm: pd.Series, setup: _Setup) -> tuple[pd.DataFrame, np.ndarray]:
    """Each file name read as a key (as written, then without a copy suffix) and matched against the roster's
    keys: the files frame (path, name, folder, ext, bytes, key_raw, nkey, matched, copy, bad_ext, nonstandard,
    shown, shown_key) and the roster positions whose key some file name could be."""
    kind = setup.kind
    folders = [p.rpartition("/")[0] for p in paths]
    names = [p.rpartition("/")[2] for p in paths]
    rx = re.compile(re.escape(setup.name_pattern).replace(re.escape("{key}"), "(?P<key>.+?)"), re.IGNORECASE)
    fexts, key_a, key_b = [], [], []
    for name in names:
        stem, ext = os.path.splitext(name)
        if not stem:  # ".DS_Store": all extension
            stem, ext = name, ""
        fexts.append(ext)
        m = rx.fullmatch(stem)
        key_a.append(m.group("key") if m else None)
        stripped = stem
        for _ in range(3):
            s2 = _COPY_SUFFIX.sub("", stripped)
            if s2 == stripped:
                break
            stripped = s2
        mb = rx.fullmatch(stripped) if stripped != stem and stripped else None
        key_b.append(mb.group("key") if mb else None)
    ka = pd.Series(key_a, dtype=STR)
    kb = pd.Series(key_b, dtype=STR)
    na, nb = key_text(ka), key_text(kb)
    # the roster keys that some file name could be: one pass over the roster against a small set
    candidates = pd.concat([na, nb]).dropna().unique()
    cand_pos = np.flatnonzero(norm.isin(candidates).to_numpy())
    known = set(norm.iloc[cand_pos].tolist())
    in_a = np.array([isinstance(k, str) and k in known for k in na.tolist()], dtype=bool)
    in_b = np.array([isinstance(k, str) and k in known for k in nb.tolist()], dtype=bool) & ~in_a
    fkey_raw = ka.where(in_a, kb.where(in_b, ka.where(ka.notna(), kb)))
    fkey = na.where(in_a, nb.where(in_b, na.where(na.notna(), nb)))
    copy_used = in_b
    matched_file = in_a | in_b

    files = pd.DataFrame(
        {
            "path": pd.Series(paths, dtype=STR),
            "name": pd.Series(names, dtype=STR),
            "folder": pd.Series(folders, dtype=STR),
            "ext": pd.Series([e.lower() for e in fexts], dtype=STR),
            "bytes": np.asarray(sizes, dtype=np.int64),
            "key_raw": fkey_raw,
            "nkey": fkey,
            "matched": matched_file,
            "copy": copy_used,
        }
    )
    files["bad_ext"] = ~files["ext"].isin(setup.exts).to_numpy()
    respelled = (files["key_raw"].fillna("") != files["nkey"].fillna("")).to_numpy()  # x, blanks, full-width
    files["nonstandard"] = files["matched"] & (files["copy"] | respelled)
    # the name as shown: the key part masked like the key column (for a name that is a key), any other
    # ID-like run masked too; names that are no key at all (Thumbs.db) get the second treatment only
    files["shown"] = [
        _in_folder(fo, _shown_name(nm, kr if isinstance(kr, str) and ok else None, kind))
        for fo, nm, kr, ok in zip(folders, names, fkey_raw.tolist(), matched_file.tolist())
    ]
    files["shown_key"] = [(_mask_one(k, kind) if isinstance(k, str) else "") for k in fkey.tolist()]
    return files, cand_pos


def _assign_files(files: pd.DataFrame, norm: pd.Series, cand_pos: np.ndarray) -> _FileMatch:
    """Which roster rows each matched key belongs to, and which of a key's files is its photo (the primary: exact
    name first, then the allowed extension, then by name) and which are duplicates; sets ``files["status"]``
    (matched / duplicate / unmatched)."""
    fk = set(files.loc[files["matched"], "nkey"].tolist())
    pos = (
        cand_pos[np.array([k in fk for k in norm.iloc[cand_pos].tolist()], dtype=bool)] if len(cand_pos) else cand_pos
    )  # roster positions with a photo
    pos_keys = norm.iloc[pos]
    rows_of_key = pd.Series(pos, index=pos_keys.to_numpy()).groupby(level=0).agg(list).to_dict() if len(pos) else {}

    # primary file per key: exact name first, then the allowed extension, then by name
    mf = files[files["matched"]].copy()
    mf["_rank"] = mf["copy"].astype(int) * 4 + mf["nonstandard"].astype(int) * 2 + mf["bad_ext"].astype(int)
    mf = mf.sort_values(["nkey", "_rank", "path"], kind="stable")
    mf["dup"] = mf.duplicated("nkey")
    files["status"] = "unmatched"
    files.loc[mf.index[~mf["dup"].to_numpy()], "status"] = "matched"
    files.loc[mf.index[mf["dup"].to_numpy()], "status"] = "duplicate"
    files_of_key: dict[str, list[int]] = {}
    for i, k in zip(mf.index, mf["nkey"]):  # primary first
        files_of_key.setdefault(k, []).append(i)
    return _FileMatch(files=files, primary=mf, rows_of_key=rows_of_key, files_of_key=files_of_key)


def _read_images(folder: Path, paths: list[str], fm: _FileMatch, decode: bool, background: bool) -> dict[int, dict]:
    """The facts of each matched file (``_inspect``: format, size, mode, whether complete, the colour of its top
    corners), by file index: only these files are opened, their header only unless ``decode``, the background
    (decoded at 1/8 scale) or a JPEG's end marker is missing asks for more. The background colours of all the
    photos are classified at once (``classify_background``)."""
    info = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in fm.primary.index:
            info[i] = _inspect(folder / paths[i], int(fm.files.at[i, "bytes"]), decode, background)
    read = [i for i, m in info.items() if m.get("bg") is not None]
    if read:
        names = classify_background(
            np.array([info[i]["bg"] for i in read]), np.array([info[i]["bg_share"] for i in read])
        )
        for i, name in zip(read, names):
            info[i]["bg_name"] = name
    return info


def _judge_matched_files(
    fm: _FileMatch, info: dict[int, dict], students: _Students, setup: _Setup, params: dict
) -> tuple[list[tuple], np.ndarray]:
    """The findings of each file matched to a student — its content and size, a duplicate, a nonstandard name,
    a key several students share — one per (student, problem), and which files are unusable (an error-level
    rule fired on them). A finding is (roster position or -1, rule, file index (-2: a sub-folder), message[,
    value])."""
    files, rows, label = fm.files, setup.rows, setup.label
    unit = setup.unit
    recs: list[tuple] = []
    unusable = np.zeros(len(files), bool)
    for i in fm.primary.index:
        f = files.loc[i]
        meta = info[i]
        rlist = fm.rows_of_key.get(f["nkey"], [])
        problems = _file_problems(
            f,
            meta,
            setup.exts,
            params["min_size"],
            params["max_size"],
            params["min_bytes"],
            params["max_bytes"],
            params["aspect"],
        )
        if any(PHOTO_RULES[r][0] == "error" for r, _ in problems):
            unusable[i] = True
        if f["status"] == "duplicate":
            others = [files.at[j, "shown"] for j in fm.files_of_key[f["nkey"]] if j != i]
            problems.insert(0, ("PHOTO_DUPLICATE", "、".join(others)))
        elif f["nonstandard"]:
            problems.append(("PHOTO_NAME_NONSTANDARD", _nonstandard_detail(f, setup.name_pattern, label, setup.kind)))
        if len(rlist) > 1 and f["status"] == "matched":
            problems.append(("PHOTO_KEY_REPEATED", "、".join(str(rows[p]) for p in rlist) + f" {unit}"))
        bg = _background_problem(meta, params["background"])
        if bg and not any(PHOTO_RULES[r][0] == "error" for r, _ in problems):  # a usable photo of the wrong colour
            problems.append(bg)
        for p in rlist:
            student = f"名单第 {rows[p]} {unit} {students.person.iat[p]}，{label} {students.shown_key.iat[p]}"
            wrong = _wrong_class(f["folder"], students, p)
            for rule, detail in problems + ([("PHOTO_WRONG_CLASS", wrong)] if wrong else []):
                recs.append(
                    (
                        p,
                        rule,
                        i,
                        _file_message(rule, f["shown"], student, detail, meta, params, label, setup.pattern_text),
                    )
                )
    return recs, unusable


def _judge_unmatched_files(files: pd.DataFrame, norm: pd.Series, setup: _Setup) -> list[tuple]:
    """A finding for each file that matches no student: PHOTO_UNMATCHED when its name looks like a key (an ID,
    or the shape of the roster's keys; its shown name then masks the key), else PHOTO_BAD_NAME."""
    kind, label = setup.kind, setup.label
    recs: list[tuple] = []
    shapes = None
    for i in np.flatnonzero(~files["matched"].to_numpy()):
        f = files.loc[i]
        nk = f["nkey"] if isinstance(f["nkey"], str) else ""
        looks = bool(nk) and kind == "id" and bool(_ID_SHAPE.fullmatch(nk))
        if nk and not looks:
            if shapes is None:  # the shapes of the roster's keys: 9 = digit, A = letter
                shapes = set(_shape(norm.dropna().drop_duplicates()).unique())
            looks = _shape(pd.Series([nk], dtype=STR)).iat[0] in shapes
        if looks:
            raw = f["key_raw"] if isinstance(f["key_raw"], str) else None
            files.at[i, "shown"] = _in_folder(f["folder"], _shown_name(f["name"], raw, kind))
            f = files.loc[i]
            note = ""
            if kind == "id" and len(nk) == 18 and _ID_SHAPE.fullmatch(nk):
                from ..core.ids import checksum_ok

                if not bool(checksum_ok(pd.Series([nk])).iat[0]):
                    note = "（文件名中的号码校验位不对，很可能录错了一位）"
            msg = (
                f"照片 {f['shown']} 的文件名是{label} {f['shown_key']}，但名单中没有这个{label}{note}。"
                f"请核对文件名是否录错、这名学生是否应在名单中；与本次核对无关的照片请移出照片目录"
            )
            recs.append((-1, "PHOTO_UNMATCHED", i, msg))
        else:
            msg = (
                f"文件 {f['shown']} 的文件名不是{label}，无法对应到学生。照片应命名为“{setup.pattern_text}”；"
                f"不是照片的文件请移出照片目录"
            )
            recs.append((-1, "PHOTO_BAD_NAME", i, msg))
    return recs


def _subfolder_findings(subdirs: list[str], depth: int) -> list[tuple]:
    """A PHOTO_SUBFOLDER finding for each sub-folder not entered (deeper than ``depth``, hidden, unreadable)."""
    reach = (
        "只检查照片目录本身中的文件"
        if depth == 0
        else f"只检查照片目录和往下 {depth} 层子文件夹（如班级文件夹）中的文件"
    )
    return [
        (
            -1,
            "PHOTO_SUBFOLDER",
            -2,
            f"照片目录中的子文件夹 {mask_name(d)} 没有检查（{reach}；隐藏文件夹和打不开的文件夹不检查）。"
            f"如果里面有照片，请移到照片目录或班级文件夹中",
            mask_name(d),
        )
        for d in sorted(subdirs)
    ]


def _wrong_class(folder: str, students: _Students, p: int) -> tuple[str, str] | None:
    """(the folder's class, the student's class) when the photo of roster position ``p`` lies in ``folder`` and
    that folder names another class (or another year of entry) than the roster gives; None otherwise."""
    if not folder or students.klass is None:
        return None
    klass, grade = students.klass.iat[p], students.grade.iat[p]
    if not klass and not grade:
        return None
    f_grade, f_class = "", ""
    for part in folder.split("/"):  # 计算机学院/2026级/软件2601班: the class from the innermost part naming one
        g, c = parse_class_folder(part)
        looks = "级" in part or "班" in part or bool(g) or (c and klass and _same_class(c, klass))
        if not looks:
            continue
        f_grade = g or f_grade
        f_class = c or f_class
    wrong = (f_class and klass and not _same_class(f_class, klass)) or (f_grade and grade and f_grade != grade)
    if not wrong:
        return None
    return folder, _class_text(grade, klass)


def _background_problem(meta: dict, wanted: str | None) -> tuple[str, object] | None:
    """("PHOTO_BACKGROUND", colour found) when the photo's background is not the colour asked for."""
    found = meta.get("bg_name")
    if wanted is None or found is None or found in BACKGROUNDS[wanted]:
        return None
    return ("PHOTO_BACKGROUND", found)


def _judge_students(
    fm: _FileMatch, unusable: np.ndarray, students: _Students, setup: _Setup
) -> tuple[np.ndarray, np.ndarray, list[pd.DataFrame]]:
    """Each student's status, vectorised — 0 matched (exactly one usable photo), 1 missing, 2 problem — the index
    of their photo in ``files`` (-1: none), and the findings of the students without one (PHOTO_MISSING,
    PHOTO_NO_KEY)."""
    norm, shown_key, person, rows = students.norm, students.shown_key, students.person, setup.rows
    label, pattern_text = setup.label, setup.pattern_text
    n = len(norm)
    status = np.ones(n, np.int8)  # 1 = missing
    student_file_pos = np.full(n, -1, np.int64)  # index into files of the student's photo
    for k, plist in fm.rows_of_key.items():
        fl = fm.files_of_key.get(k, [])
        ok = len(fl) == 1 and not unusable[fl[0]]
        status[plist] = 0 if ok else 2
        student_file_pos[plist] = fl[0]  # the primary file
    no_key = norm.isna().to_numpy()
    student_parts = []
    idx = np.flatnonzero((status == 1) & ~no_key)
    if len(idx):
        sk = shown_key.iloc[idx].reset_index(drop=True)
        expected = _expected_names(norm.iloc[idx].reset_index(drop=True), setup.name_pattern, setup.exts[0], setup.kind)
        rr = _int_text(rows[idx])
        nm = person.iloc[idx].reset_index(drop=True)
        msg = _join(
            "名单第 ",
            rr,
            f" {setup.unit} ",
            nm,
            f"（{label} ",
            sk,
            "）没有照片：照片目录中找不到 ",
            expected,
            f"。请补交照片，按“{pattern_text}”命名后放入照片目录",
        )
        student_parts.append(_part(rows[idx], sk, "PHOTO_MISSING", expected, msg, ""))
    idx = np.flatnonzero(no_key)
    if len(idx):
        msg = _join(
            "名单第 ",
            _int_text(rows[idx]),
            f" {setup.unit} ",
            person.iloc[idx].reset_index(drop=True),
            f" 的{label}为空，无法对应照片。请先在名单中补填{label}",
        )
        student_parts.append(_part(rows[idx], "", "PHOTO_NO_KEY", "", msg, ""))
    return status, student_file_pos, student_parts


def _findings_frame(
    recs: list[tuple], student_parts: list[pd.DataFrame], rows: np.ndarray, shown_key: pd.Series, files: pd.DataFrame
) -> pd.DataFrame:
    """The findings as one frame (``FINDING_COLUMNS``): by row (files matching nobody last), errors first, then
    file and rule."""
    fr_rows, fr_key, fr_rule, fr_value, fr_msg = [], [], [], [], []
    for rec in recs:
        p, rule, i, msg = rec[:4]
        fr_rows.append(rows[p] if p >= 0 else -1)
        if p >= 0:
            fr_key.append(shown_key.iat[p])
        elif i >= 0 and rule == "PHOTO_UNMATCHED":
            fr_key.append(files.at[i, "shown_key"])
        else:
            fr_key.append("")
        fr_rule.append(rule)
        fr_value.append(files.at[i, "shown"] if i >= 0 else rec[4])
        fr_msg.append(msg)
    fv = pd.Series(fr_value, dtype=STR)
    parts = [
        _part(
            np.asarray(fr_rows, np.int64),
            pd.Series(fr_key, dtype=STR),
            pd.Series(fr_rule, dtype=STR),
            fv,
            pd.Series(fr_msg, dtype=STR),
            fv,
        )
    ] + student_parts
    findings = pd.concat(parts, ignore_index=True)
    # order: by row (files matching nobody last), errors first, then file and rule — integer sort keys
    rule_codes, rule_names = pd.factorize(findings["rule"])
    sev_of_rule = np.array([SEVERITY_ORDER[PHOTO_RULES[r][0]] for r in rule_names], np.int8)
    sev = sev_of_rule[rule_codes]
    file_codes, _ = pd.factorize(findings["file"], sort=True)
    row_arr = findings["row"].to_numpy()
    order = np.lexsort((rule_codes, file_codes, sev, np.where(row_arr < 0, np.iinfo(np.int64).max, row_arr)))
    findings = findings.take(order).reset_index(drop=True)
    sev_names = np.array(["error", "warning", "info"], dtype=object)
    findings["severity"] = pd.Series(pd.Categorical.from_codes(sev[order], sev_names)).astype(STR)
    findings["field"] = pd.Series(["照片"], dtype=STR).iloc[np.zeros(len(findings), np.int64)].reset_index(drop=True)
    rows_i = findings["row"].to_numpy()
    findings["row"] = pd.arrays.IntegerArray(np.where(rows_i < 0, 0, rows_i).astype(np.int64), rows_i < 0)
    return findings[FINDING_COLUMNS]


def _result(
    folder: str | os.PathLike,
    setup: _Setup,
    params: dict,
    findings: pd.DataFrame,
    students: _Students,
    fm: _FileMatch,
    info: dict[int, dict],
    unusable: np.ndarray,
    status: np.ndarray,
    student_file_pos: np.ndarray,
    subfolders: int,
    folders: int,
) -> PhotoResult:
    """The PhotoResult: the students and files frames (names masked) and the counts."""
    files, rows = fm.files, setup.rows
    n, nf = len(students.norm), len(files)
    file_shown = files["shown"].astype(STR)
    sf = pd.Series("", index=range(n), dtype=STR)
    has = student_file_pos >= 0
    if has.any():
        sf[has] = file_shown.iloc[student_file_pos[has]].to_numpy()
    students_out = pd.DataFrame(
        {
            "row": rows,
            "key": students.shown_key,
            "status": pd.Series(pd.Categorical.from_codes(status, _STUDENT_STATUS)).astype(STR),
            "file": sf,
        }
    )
    file_row = np.full(nf, -1, np.int64)
    file_class = [""] * nf
    for k, plist in fm.rows_of_key.items():
        for j in fm.files_of_key.get(k, []):
            file_row[j] = rows[plist[0]]
            if students.klass is not None:
                p = plist[0]
                file_class[j] = _class_text(students.grade.iat[p], students.klass.iat[p])
    files_out = pd.DataFrame(
        {
            "file": file_shown,
            "folder": files["folder"].map(mask_name).astype(STR),
            "status": files["status"].astype(STR),
            "row": pd.arrays.IntegerArray(np.where(file_row >= 0, file_row, 0), file_row < 0),
            "class": pd.Series(file_class, dtype=STR),
            "usable": files["status"].isin(["matched", "duplicate"]).to_numpy() & ~unusable,
            "format": pd.Series([info.get(i, {}).get("format") or "" for i in range(nf)], dtype=STR),
            "width": pd.array([info.get(i, {}).get("width") for i in range(nf)], dtype="Int64"),
            "height": pd.array([info.get(i, {}).get("height") for i in range(nf)], dtype="Int64"),
            "bytes": files["bytes"].to_numpy(),
            "background": pd.Series([COLOUR_ZH.get(info.get(i, {}).get("bg_name"), "") for i in range(nf)], dtype=STR),
        }
    )
    return PhotoResult(
        folder=str(folder),
        key=setup.key_code,
        findings=findings,
        students=students_out,
        files=files_out,
        total_students=n,
        total_files=nf,
        matched=int((status == 0).sum()),
        students_without_photo=int((status == 1).sum()),
        students_with_problem=int((status == 2).sum()),
        files_matched=int((files["status"] == "matched").sum()),
        files_duplicate=int((files["status"] == "duplicate").sum()),
        files_unmatched=int((files["status"] == "unmatched").sum()),
        files_unusable=int((unusable & (files["status"] == "matched").to_numpy()).sum()),
        subfolders=subfolders,
        folders=folders,
        params=params,
    )


# ------------------------------------------------------------------------------------------------ helpers


def _join(*parts) -> pd.Series:
    """Element-wise concatenation of str Series and literal texts in one Arrow pass."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrs = []
    for p in parts:
        if isinstance(p, pd.Series):
            a = pa.array(p.array)
            if isinstance(a, pa.ChunkedArray):
                a = a.combine_chunks()
            arrs.append(a.cast(pa.large_string()))
        else:
            arrs.append(pa.scalar(str(p), pa.large_string()))
    return pd.Series(pc.binary_join_element_wise(*arrs, pa.scalar("", pa.large_string())), dtype=STR)


def _int_text(values: np.ndarray) -> pd.Series:
    import pyarrow as pa

    return pd.Series(pa.array(np.asarray(values, np.int64)).cast(pa.string()), dtype=STR)


def _part(rows, key, rule, value, message, file) -> pd.DataFrame:
    """A block of findings (row −1 = no student) with ``str`` columns; scalars are broadcast."""
    n = len(rows)

    def col(v):
        if isinstance(v, pd.Series):
            return v.reset_index(drop=True).astype(STR)
        return pd.Series([v], dtype=STR).iloc[np.zeros(n, np.int64)].reset_index(drop=True)

    return pd.DataFrame(
        {
            "row": np.asarray(rows, np.int64),
            "key": col(key),
            "rule": col(rule),
            "value": col(value),
            "message": col(message),
            "file": col(file),
        }
    )


def _mask_one(value: str, kind) -> str:
    return mask_value(kind, value) if kind else str(value)


def _mask_col(values: pd.Series, kind) -> pd.Series:
    return mask_ids(values) if kind == "id" else mask_series(values, kind)


def _in_folder(folder: str, shown: str) -> str:
    """A file's shown name with the folder it lies in (masked): 2026级软件2601班/430102********0037.jpg."""
    return f"{mask_name(folder)}/{shown}" if folder else shown


def _shown_name(name: str, key_raw: str | None, kind) -> str:
    """``name`` with the key masked as in the key column and any other ID-like run masked."""
    if key_raw and kind:
        at = name.find(key_raw)
        if at < 0:
            at = name.lower().find(key_raw.lower())
        if at >= 0:
            return mask_name(name[:at]) + _mask_one(key_raw, kind) + mask_name(name[at + len(key_raw) :])
    return mask_name(name)


def _expected_names(keys: pd.Series, pattern: str, ext: str, kind) -> pd.Series:
    pre, post = pattern.split("{key}")
    masked = _mask_col(keys, kind)
    return (pre + masked + post + ext).astype(STR)


def _shape(values: pd.Series) -> pd.Series:
    return values.str.replace(r"\d", "9", regex=True).str.replace(r"[A-Z]", "A", regex=True)


def _nonstandard_detail(f, pattern: str, label: str, kind) -> str:
    raw, canon = f["key_raw"], f["nkey"]
    why = []
    if f["copy"]:
        why.append("文件名后面多了“副本”或序号")
    if isinstance(raw, str) and raw != canon:
        if raw.upper() == canon and raw != raw.upper():
            why.append(f"{label}中的字母是小写（如末位 x 应为大写 X）")
        else:
            why.append(f"{label}中有空格或全角字符")
    should = pattern.replace("{key}", _mask_one(canon, kind)) + f["ext"]
    return "；".join(why) + f"。已按这名学生核对；请改名为 {should}"


def _inspect(path: Path, size: int, decode: bool, background: bool = False) -> dict:
    """Format, size and mode from the header; ``complete`` False when the JPEG is cut off; with ``background``,
    the colour of the top corners (``bg``, ``bg_share``: ``_corners``)."""
    from PIL import Image

    out = {"format": None, "width": None, "height": None, "mode": None, "error": None, "complete": True, "size": size}
    if size == 0:
        return out
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
            if len(head) >= 12 and head[4:8] == b"ftyp":
                brand = head[8:12].decode("latin-1").strip().lower()
                out["format"] = "HEIC" if brand.startswith(("hei", "hev", "mif", "msf")) else "MP4/HEIF"
                return out
            fh.seek(max(0, size - 64))
            tail = fh.read()
            fh.seek(0)
            im = Image.open(fh)
            out.update(format=im.format, width=im.width, height=im.height, mode=im.mode)
            loaded = False
            if im.format == "JPEG":
                ends = tail.rstrip(b"\x00\r\n\t ").endswith(b"\xff\xd9")
                if decode or not ends:
                    try:
                        im.load()
                        loaded = True
                    except Exception as exc:  # truncated or corrupt scan data
                        out["complete"] = False
                        out["error"] = str(exc)
            elif decode:
                try:
                    im.load()
                    loaded = True
                except Exception as exc:
                    out["complete"] = False
                    out["error"] = str(exc)
            if background and out["complete"]:
                try:
                    out["bg"], out["bg_share"] = _corners(im, loaded)
                except Exception as exc:  # the scan data is damaged: the photo cannot be shown
                    out["complete"] = False
                    out["error"] = str(exc)
    except Exception as exc:  # not an image at all, or not readable
        out["error"] = str(exc)
        out["format"] = out["format"] if out["width"] else None
    return out


def _file_problems(f, meta, exts, min_size, max_size, min_bytes, max_bytes, aspect) -> list[tuple[str, object]]:
    """(rule, detail) for one matched file's content and size."""
    size = int(f["bytes"])
    if size == 0:
        return [("PHOTO_EMPTY", None)]
    if f["bad_ext"]:
        return [("PHOTO_BAD_EXTENSION", meta.get("format"))]
    fmt = meta.get("format")
    if fmt is None or meta.get("width") is None:
        return [("PHOTO_UNREADABLE", "unidentified")]
    if fmt != "JPEG":
        return [("PHOTO_NOT_JPEG", fmt)] + _dimension_problems(meta, min_size, max_size, aspect)
    if not meta.get("complete", True):
        return [("PHOTO_UNREADABLE", "truncated")]
    out = _dimension_problems(meta, min_size, max_size, aspect)
    if max_bytes is not None and size > max_bytes:
        out.append(("PHOTO_FILE_TOO_LARGE", None))
    if min_bytes is not None and size < min_bytes:
        out.append(("PHOTO_FILE_TOO_SMALL", None))
    if meta.get("mode") not in (None, "RGB"):
        out.append(("PHOTO_COLOR_MODE", meta.get("mode")))
    return out


def _dimension_problems(meta, min_size, max_size, aspect) -> list[tuple[str, object]]:
    w, h = meta.get("width"), meta.get("height")
    if w is None or h is None:
        return []
    out = []
    if min_size is not None and (w < min_size[0] or h < min_size[1]):
        out.append(("PHOTO_TOO_SMALL", None))
    if max_size is not None and (w > max_size[0] or h > max_size[1]):
        out.append(("PHOTO_TOO_LARGE", None))
    if aspect is not None and w > 0 and not (aspect[0] <= h / w <= aspect[1]):
        out.append(("PHOTO_ASPECT", None))
    return out


def _kb(nbytes: int) -> str:
    return f"{nbytes // KB}" if nbytes % KB == 0 else f"{nbytes / KB:.1f}"


def _size_text(nbytes: int) -> str:
    """A file size as a person reads it: 2 MB, 3.1 MB, 150 KB, 1.5 KB."""
    if nbytes >= MB:
        return f"{nbytes // MB} MB" if nbytes % MB == 0 else f"{nbytes / MB:.1f} MB"
    return f"{_kb(nbytes)} KB"


def _file_message(
    rule: str, shown: str, student: str, detail, meta: dict, params: dict, label: str, pattern_text: str
) -> str:
    w, h, size = meta.get("width"), meta.get("height"), meta.get("size", 0)
    who = f"照片 {shown}（{student}）"
    if rule == "PHOTO_DUPLICATE":
        return (
            f"{who}与 {detail} 是同一名学生的照片，一名学生只能有一张照片。"
            f"请确认哪一张是本人的照片，把多余的文件删除或移出照片目录"
        )
    if rule == "PHOTO_NAME_NONSTANDARD":
        return f"{who}的文件名不规范：{detail}"
    if rule == "PHOTO_KEY_REPEATED":
        return f"{who}同时对应名单第 {detail}（这几条记录的{label}相同）。请先按校验结果处理名单中的重复记录"
    if rule == "PHOTO_EMPTY":
        return f"{who}是空文件（0 字节）。请重新拷贝或重新导出这张照片"
    if rule == "PHOTO_UNREADABLE":
        if detail == "truncated":
            return (
                f"{who}不完整：JPG 文件缺少结尾，无法读出完整图像（可能在拷贝或下载时被截断）。"
                f"请重新拷贝或重新导出这张照片"
            )
        return f"{who}无法作为图片打开（不是图片文件，或文件已损坏）。请重新拷贝或重新导出这张照片，照片须为 JPG 格式"
    if rule == "PHOTO_NOT_JPEG":
        ext = os.path.splitext(shown)[1] or "（无）"
        return f"{who}的扩展名是 {ext}，内容却是 {detail} 格式的图片。请用图片软件“另存为”JPG 格式（只改扩展名不行）"
    if rule == "PHOTO_BAD_EXTENSION":
        ext = os.path.splitext(shown)[1] or "（无）"
        content = f"（内容是 {detail} 图片）" if detail else ""
        return (
            f"{who}的扩展名是 {ext}{content}，照片须为 JPG 格式（{'、'.join(params['extensions'])}）。请另存为 JPG 格式"
        )
    if rule == "PHOTO_TOO_SMALL":
        mw, mh = params["min_size"]
        std = "（第二代身份证照片标准）" if (mw, mh) == ID_PHOTO_SIZE else ""
        return (
            f"{who}只有 {w}×{h} 像素（宽×高），小于要求的至少 {mw}×{mh} 像素{std}。"
            f"请用清晰的原始照片重新导出，不要用缩略图"
        )
    if rule == "PHOTO_TOO_LARGE":
        mw, mh = params["max_size"]
        return f"{who}为 {w}×{h} 像素（宽×高），超过上限 {mw}×{mh} 像素。请按要求缩小尺寸后另存为 JPG"
    if rule == "PHOTO_FILE_TOO_LARGE":
        return (
            f"{who}文件大小 {_size_text(size)}，超过上限 {_size_text(params['max_bytes'])}。"
            f"请降低 JPG 保存质量或缩小尺寸后重新保存"
        )
    if rule == "PHOTO_FILE_TOO_SMALL":
        return (
            f"{who}文件只有 {_size_text(size)}，低于 {_size_text(params['min_bytes'])}，可能压缩过度、不清晰。"
            f"请检查照片是否清晰，必要时用原始照片重新导出"
        )
    if rule == "PHOTO_BACKGROUND":
        want = COLOUR_ZH[params["background"]] if params["background"] in COLOUR_ZH else params["background"] + "色"
        rgb = meta.get("bg")
        where = f"（照片上方两角的颜色 RGB {rgb[0]},{rgb[1]},{rgb[2]}）" if rgb else ""
        if detail == "杂色":
            return f"{who}的背景不是单一颜色{where}，不像证件照，要求{want}背景。请按要求在{want}背景前重新拍摄证件照"
        return f"{who}的背景像是{COLOUR_ZH.get(detail, detail)}{where}，要求{want}背景。请按要求重新拍摄或更换背景后重新导出"
    if rule == "PHOTO_WRONG_CLASS":
        folder, klass = detail
        return (
            f"{who}放在文件夹“{mask_name(folder)}”中，但名单中这名学生是 {klass}。"
            f"请核对：照片放错了班级文件夹，就移到“{klass}”文件夹；名单中的班级错了，就更正名单"
        )
    if rule == "PHOTO_ASPECT":
        lo, hi = params["aspect"]
        return (
            f"{who}为 {w}×{h} 像素，高宽比 {h / w:.2f}，不在 {lo}–{hi} 之间，不像竖版证件照。"
            f"请检查照片是否横放、旋转或裁剪不当"
        )
    if rule == "PHOTO_COLOR_MODE":
        return f"{who}的颜色模式是{MODE_ZH.get(detail, detail)}，证件照应为 RGB 彩色。请用图片软件另存为 RGB 彩色 JPG"
    raise KeyError(rule)
