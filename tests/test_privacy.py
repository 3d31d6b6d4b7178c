"""Masking: the vectorised column masking equals the per-value one, and missing values stay missing."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xueji_lib.core.privacy import mask_frame, mask_id, mask_id_array, mask_series, mask_value


def test_mask_series_equals_mask_value_for_every_length_and_kind():
    values = [
        "",
        "1",
        "123456",
        "1234567",
        "1234567890",
        "12345678901",
        "11010519491231002X",
        "110105491231002",
        "G11010519491231002X",
        "１１０１０５１９４９",
        "13812345678",
        "湖南省长沙市岳麓区麓山南路1号",
    ]
    s = pd.Series(values + [None])
    for kind in ("id", "phone", "address"):
        got = mask_series(s, kind)
        assert got.tolist()[:-1] == [mask_value(kind, v) for v in values], kind
        assert pd.isna(got.iloc[-1])
    assert mask_series(s, None).tolist()[:-1] == values


@pytest.mark.parametrize("seed", range(20))
def test_mask_id_array_equals_mask_id(seed):
    """Arrow in, Arrow out: one length (the single slice replacement) or several, missing values, non-ASCII
    characters, both string types; missing stays missing."""
    rng = np.random.default_rng(seed)
    lengths = [int(rng.integers(0, 21))] if seed % 2 else rng.integers(0, 21, 5).tolist()
    chars = list("0123456789X") + (["１", "Ⅹ", "号"] if seed % 3 == 0 else [])
    values = [None if rng.random() < 0.1 else "".join(rng.choice(chars, int(rng.choice(lengths)))) for _ in range(200)]
    for typ in (pa.string(), pa.large_string()):
        got = mask_id_array(pa.array(values, typ))
        assert got.type == typ
        assert got.to_pylist() == [None if v is None else mask_id(v) for v in values]


def test_mask_frame_masks_personal_columns_only():
    df = pd.DataFrame(
        {"XM": ["张三"], "SFZH": ["11010519491231002X"], "LXDH": ["13812345678"], "JTDZ": ["湖南省长沙市岳麓区"]}
    )
    out = mask_frame(df)
    assert out.iloc[0].tolist() == ["张三", "110105********002X", "138****5678", "湖南省长沙市***"]
    assert df.at[0, "SFZH"] == "11010519491231002X"  # the input is not changed
