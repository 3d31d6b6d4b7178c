"""The photo folder (图像校对): a JPG per student of the photo classes, named by ID number and filed in a folder
per class ("2026级软件2601班"), drawn as a plain face on the blue background of Chinese ID photos — with the problems the photo check must find planted
(``make_photos``).

    >>> import tempfile, pandas as pd
    >>> roster = pd.DataFrame({"KSH": ["k"] * 9, "SFZH": [f"43012120070615{i:03d}X" for i in range(9)],
    ...                        "ROW": range(1, 10), "BH": "软件2601"})
    >>> planted = make_photos(tempfile.mkdtemp(), roster)   # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.ids import make_ids
from .hei import FILE_REGISTRATION_10
from .planted import PLANTED_COLUMNS
from .vocabulary import K12_COUNTY, SAMPLE_SEED, YEAR

if TYPE_CHECKING:
    from PIL import Image

PHOTO_SIZE = (358, 441)  # the 第二代身份证 photo (GA 461-2004: 358×441 pixels at 350 dpi)
PHOTO_DIR = "hei/photos"


def class_folder(bh: str, year: int = YEAR) -> str:
    """The class folder a photo is filed in, as 004 names it ("xx级xxx 班"): ``2026级软件2601班``."""
    return f"{year}级{bh}班"


def _face(
    rng: np.random.Generator,
    w: int = PHOTO_SIZE[0],
    h: int = PHOTO_SIZE[1],
    background: tuple[int, int, int] | None = None,
) -> Image.Image:
    """A plain face-like drawing on the blue background of Chinese ID photos (deterministic), or on
    ``background`` (an RGB colour: white 255,255,255, red 220,30,40 … for the photo check's background rule;
    the same draws from ``rng`` either way)."""
    from PIL import Image, ImageDraw

    bg = tuple(int(x) for x in np.array([67, 142, 219]) + rng.integers(-8, 9, 3))
    if background is not None:
        bg = tuple(int(x) for x in background)
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    sx, sy = w / 358, h / 441
    skin = tuple(int(x) for x in np.array([236, 200, 170]) + rng.integers(-25, 10, 3))
    hair = tuple(int(x) for x in np.array([30, 25, 22]) + rng.integers(0, 25, 3))
    shirt = [(245, 245, 245), (40, 50, 80), (20, 20, 20), (120, 30, 40)][int(rng.integers(0, 4))]
    lw = max(1, int(round(3 * sx)))
    d.ellipse([40 * sx, 340 * sy, 318 * sx, 560 * sy], fill=shirt)
    d.rectangle([150 * sx, 280 * sy, 208 * sx, 360 * sy], fill=skin)
    hw = int(rng.integers(0, 25))
    d.ellipse([(92 - hw) * sx, 60 * sy, (266 + hw) * sx, (250 + hw * 2) * sy], fill=hair)
    d.ellipse([105 * sx, 95 * sy, 253 * sx, 300 * sy], fill=skin)
    d.chord([100 * sx, 70 * sy, 258 * sx, 190 * sy], 180, 360, fill=hair)
    ey = 180 + int(rng.integers(-6, 7))
    for ex in (148, 210):
        d.ellipse([(ex - 10) * sx, (ey - 6) * sy, (ex + 10) * sx, (ey + 6) * sy], fill=(250, 250, 250))
        d.ellipse([(ex - 5) * sx, (ey - 5) * sy, (ex + 5) * sx, (ey + 5) * sy], fill=(40, 30, 25))
        d.line([(ex - 14) * sx, (ey - 16) * sy, (ex + 12) * sx, (ey - 18) * sy], fill=hair, width=lw + 1)
    d.line(
        [179 * sx, (ey + 10) * sy, 174 * sx, (ey + 42) * sy, 184 * sx, (ey + 44) * sy],
        fill=tuple(max(0, c - 40) for c in skin),
        width=lw,
    )
    my = ey + 70
    d.arc([158 * sx, (my - 12) * sy, 200 * sx, (my + 8) * sy], 20, 160, fill=(170, 80, 80), width=lw)
    d.ellipse([100 * sx, (ey + 5) * sy, 110 * sx, (ey + 40) * sy], fill=skin)
    d.ellipse([248 * sx, (ey + 5) * sy, 258 * sx, (ey + 40) * sy], fill=skin)
    return im


def _jpeg_bytes(im: Image.Image, quality: int = 75) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def make_photos(
    out_dir: str | os.PathLike,
    roster: pd.DataFrame,
    seed: int = SAMPLE_SEED,
    *,
    roster_file: str = FILE_REGISTRATION_10,
    taken_ids: Iterable[str] = (),
    photo_dir: str = PHOTO_DIR,
) -> pd.DataFrame:
    """Write a photo folder for ``roster`` (columns KSH, SFZH, ROW = row in ``roster_file``) into
    ``out_dir/photo_dir`` and return the planted problems (columns of planted.csv).

    Every roster member gets ``<SFZH>.jpg`` (358×441, about 10 KB) in the folder of their class, named as 004
    asks ("将照片存入以“xx级xxx 班”为文件夹名的文件夹": ``2026级软件2601班/``, ``class_folder``), except the planted
    cases: two members without a photo, a photo matching nobody, a second copy of one member's photo
    (" - 副本.jpg", as Windows names a copy), a PNG renamed .jpg, an undersized image (120×147), an empty file
    (0 bytes, an upload cut off), a truncated, unreadable JPG, a photo filed in the other class's folder and a
    photo on a white background (004: "深蓝色背景"). One member's photo has the upper-case extension .JPG (must
    be accepted). Every problem is found by ``check_photos`` with its defaults (004's 2 MB, 358×441, 深蓝)."""
    rng = np.random.default_rng([seed, 30])
    folder = Path(out_dir) / photo_dir
    folder.mkdir(parents=True, exist_ok=True)
    members = roster.sort_values("ROW")
    order = list(members.index[rng.permutation(len(members))])
    roles = ["missing", "missing", "duplicate", "png", "small", "empty", "truncated", "upper", "wrong_class", "white"]
    role_of = {rid: role for rid, role in zip(order, roles)}
    planted = []

    def add(file, row, key, problem, expected, desc):
        planted.append((file, row, key, "照片", problem, expected, desc))

    classes = sorted(set(members["BH"]))
    for c in classes:
        (folder / class_folder(c)).mkdir()
    for rid, m in members.iterrows():
        role = role_of.get(rid, "ok")
        sfzh, ksh, row = m["SFZH"], m["KSH"], int(m["ROW"])
        im = _face(rng, background=(245, 245, 245) if role == "white" else None)
        cdir = f"{photo_dir}/{class_folder(m['BH'])}"
        other = next((c for c in classes if c != m["BH"]), None)
        if role == "wrong_class" and other is not None:  # filed under the other class
            cdir = f"{photo_dir}/{class_folder(other)}"
            add(
                f"{cdir}/{sfzh}.jpg",
                "",
                ksh,
                "photo_wrong_class",
                "photo:PHOTO_WRONG_CLASS",
                f"{class_folder(m['BH'])}的学生，照片却放在 {class_folder(other)} 文件夹中（照片本身合格）",
            )
        elif role == "white":
            add(
                f"{cdir}/{sfzh}.jpg",
                "",
                ksh,
                "photo_background",
                "photo:PHOTO_BACKGROUND",
                "照片背景是白色（RGB 245,245,245），通知要求深蓝色背景（照片其余都合格）",
            )
        name = f"{cdir}/{sfzh}.jpg"
        if role == "missing":
            add(
                roster_file,
                row,
                ksh,
                "photo_missing",
                "photo:PHOTO_MISSING",
                f"班级 {m['BH']} 的这名学生没有照片（照片目录中没有 {sfzh}.jpg）",
            )
            continue
        name, data = _photo_of(rng, im, role, name, out_dir, cdir, sfzh, ksh, add)
        (Path(out_dir) / name).write_bytes(data)
    # a photo that belongs to nobody on the roster
    stranger = _stranger_id(set(taken_ids) | set(roster["SFZH"]))
    name = f"{photo_dir}/{class_folder(classes[0])}/{stranger}.jpg"
    (Path(out_dir) / name).write_bytes(_jpeg_bytes(_face(rng)))
    add(name, "", "", "photo_unmatched", "photo:PHOTO_UNMATCHED", "照片文件名是一个有效身份证号，但名单里没有这个人")
    return pd.DataFrame(planted, columns=list(PLANTED_COLUMNS))


def _photo_of(
    rng: np.random.Generator,
    im: Image.Image,
    role: str,
    name: str,
    out_dir: str | os.PathLike,
    photo_dir: str,
    sfzh: str,
    ksh: str,
    add: Callable[..., None],
) -> tuple[str, bytes]:
    """(file name, bytes) of a member's photo ``im`` as ``role`` makes it: ok (also wrong_class, white: planted by
    the caller), png (a PNG named .jpg), small, empty, truncated, upper (.JPG) or duplicate (a second, different
    photo written at once as " - 副本.jpg"). ``photo_dir``: the folder it goes in. The planted problem is told
    to ``add``."""
    data = _jpeg_bytes(im)
    if role == "png":
        buf = io.BytesIO()
        im.save(buf, "PNG")
        data = buf.getvalue()
        add(
            name,
            "",
            ksh,
            "photo_png_renamed",
            "photo:PHOTO_NOT_JPEG",
            "文件扩展名是 .jpg，内容却是 PNG 图片（改了扩展名的 PNG）",
        )
    elif role == "small":
        data = _jpeg_bytes(_face(rng, 120, 147))
        add(name, "", ksh, "photo_too_small", "photo:PHOTO_TOO_SMALL", "照片只有 120×147 像素，远小于正常的 358×441")
    elif role == "empty":
        data = b""
        add(name, "", ksh, "photo_empty", "photo:PHOTO_EMPTY", "照片文件是空的（0 字节，上传或拷贝中断），无法使用")
    elif role == "truncated":
        data = data[: len(data) // 3]
        add(
            name,
            "",
            ksh,
            "photo_truncated",
            "photo:PHOTO_UNREADABLE",
            "JPG 文件被截断（只有前三分之一），无法读出完整图像",
        )
    elif role == "upper":
        name = f"{photo_dir}/{sfzh}.JPG"
        add(name, "", ksh, "photo_upper_ext", "photo:OK", "扩展名为大写 .JPG，照片正常，不应报错")
    elif role == "duplicate":
        copy_name = f"{photo_dir}/{sfzh} - 副本.jpg"
        (Path(out_dir) / copy_name).write_bytes(_jpeg_bytes(_face(rng)))
        add(
            copy_name,
            "",
            ksh,
            "photo_duplicate",
            "photo:PHOTO_DUPLICATE",
            f"同一学生有两张照片：{sfzh}.jpg 和 {sfzh} - 副本.jpg（两张内容不同）",
        )
    return name, data


def _stranger_id(taken: set[str]) -> str:
    """A valid ID number of the sample county that nobody in ``taken`` holds (for the photo of nobody)."""
    seq = 301
    while True:
        stranger = make_ids([K12_COUNTY], [20070615], [seq]).iloc[0]
        if stranger not in taken:
            break
        seq += 2
    return stranger
