"""Issue 16's smaller points: a phone photo saved on its side (EXIF orientation) has its background read upright;
a per-school file name that Windows keeps for a device (CON, NUL…) is still a file Windows can create; a
landline without area code is masked like a mobile is, never shown whole."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from xueji_lib.checks.photos import check_photos
from xueji_lib.core.files import safe_file_name
from xueji_lib.core.ids import make_ids
from xueji_lib.core.privacy import mask_phone, mask_series

BLUE, BLACK = (67, 142, 219), (20, 20, 20)


def _upright_photo() -> Image.Image:
    """A 358×441 ID photo: 深蓝 background above, dark shoulders across the lower 45 %."""
    im = Image.new("RGB", (358, 441), BLUE)
    im.paste(Image.new("RGB", (358, 200), BLACK), (0, 241))
    return im


def _save(im: Image.Image, path, orientation: int | None) -> None:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    path.write_bytes(buf.getvalue())


@pytest.mark.parametrize(
    "orientation, stored",
    [
        (6, lambda im: im.transpose(Image.Transpose.ROTATE_90)),  # a phone held upright: pixels stored on the side
        (8, lambda im: im.transpose(Image.Transpose.ROTATE_270)),
        (3, lambda im: im.transpose(Image.Transpose.ROTATE_180)),
    ],
)
def test_background_is_read_on_the_photo_turned_upright(tmp_path, orientation, stored):
    ids = make_ids(np.array([430102, 430102]), np.array([20080517, 20080601]), np.array([13, 15]))
    roster = pd.DataFrame({"SFZH": ids, "XM": ["张三", "李四"]})
    _save(stored(_upright_photo()), tmp_path / f"{ids[0]}.jpg", orientation)  # tagged: a viewer shows it upright
    _save(stored(_upright_photo()), tmp_path / f"{ids[1]}.jpg", None)  # no tag: it really is on its side
    res = check_photos(roster, tmp_path, min_size=None, aspect=None, min_bytes=None)
    by_row = res.findings[res.findings["rule"] == "PHOTO_BACKGROUND"]["row"].tolist()
    assert by_row == [2], res.findings[["row", "rule", "message"]].to_dict("records")
    assert sorted(res.files["background"]).count("深蓝色") == 1


@pytest.mark.parametrize("name", ["CON", "con", "Nul", "NUL.学校", "COM1", "lpt9.xlsx", "AUX ", "PRN."])
def test_windows_device_names_become_creatable_file_names(name):
    out = safe_file_name(name)
    assert out.startswith("_") and out.strip() == out and not out.endswith(".")


@pytest.mark.parametrize("name", ["CONSOLE", "示范县第一小学", "COM10", "nullschool"])
def test_ordinary_names_stay(name):
    assert safe_file_name(name) == name


@pytest.mark.parametrize(
    "phone, shown",
    [
        ("13812345678", "138****5678"),
        ("0731-84561234", "073******1234"),
        ("84561234", "******34"),  # a landline without area code: 6 of 8 digits starred, not 1
        ("8456123", "*****23"),
        ("123456", "******"),
    ],
)
def test_phones_are_never_shown_whole(phone, shown):
    assert mask_phone(phone) == shown
    assert mask_series(pd.Series([phone, None]), "phone").tolist()[0] == shown
