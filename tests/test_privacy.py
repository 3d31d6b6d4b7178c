"""Masking: the vectorised column masking equals the per-value one, and missing values stay missing."""

import pandas as pd

from xueji_lib.core.privacy import mask_frame, mask_series, mask_value


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


def test_mask_frame_masks_personal_columns_only():
    df = pd.DataFrame(
        {"XM": ["张三"], "SFZH": ["11010519491231002X"], "LXDH": ["13812345678"], "JTDZ": ["湖南省长沙市岳麓区"]}
    )
    out = mask_frame(df)
    assert out.iloc[0].tolist() == ["张三", "110105********002X", "138****5678", "湖南省长沙市***"]
    assert df.at[0, "SFZH"] == "11010519491231002X"  # the input is not changed
