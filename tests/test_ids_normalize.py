"""ID-number arithmetic and value normalisation, checked against an independent per-value implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xueji_lib.core import ids, normalize

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def ref_check(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, W)) % 11]


def test_check_char_matches_reference_on_random_prefixes():
    rng = np.random.default_rng(0)
    first = ["".join(map(str, rng.integers(0, 10, 17))) for _ in range(2000)]
    assert ids.check_char(pd.Series(first)).tolist() == [ref_check(f) for f in first]
    assert ids.check_char(pd.Series(["11010519491231002"])).tolist() == ["X"]  # GB 11643 example


def test_checksum_ok_and_what_fails():
    good = "11010519491231002X"
    s = pd.Series(
        [
            good,
            good.lower(),
            good[:17] + "1",
            "１１０１０５１９４９１２３１００２Ｘ",
            good + " ",
            None,
            "",
            "110105491231002",
        ],
        index=range(10, 18),
    )
    assert ids.checksum_ok(s).tolist() == [True, False, False, False, False, False, False, False]
    assert ids.checksum_ok(s).index.tolist() == list(range(10, 18))


def test_to18_birth_and_sex():
    s = pd.Series(["110105491231002", "11010519491231002X", "abc", None])
    assert ids.to18(s).tolist()[:3] == ["11010519491231002X", "11010519491231002X", "abc"]
    assert ids.birth_date(s).tolist()[1] == "19491231" and pd.isna(ids.birth_date(s)[0])
    assert ids.sex_code(pd.Series(["11010519491231002X", "110105194912310011", "x"])).tolist()[:2] == ["2", "1"]


def test_make_ids_are_valid_and_vectorised():
    out = ids.make_ids(np.full(100_000, 430121), np.full(100_000, 20080517), np.arange(100_000) % 1000)
    assert len(out) == 100_000 and ids.checksum_ok(out).all()
    assert out.iloc[1] == "430121200805170" + "01" + ref_check("43012120080517001")
    assert ids.make_ids([110105], ["19491231"], [2]).tolist() == ["11010519491231002X"]


def test_normalise_values():
    assert normalize.halfwidth(pd.Series(["ＡＢ１２", None])).tolist()[0] == "AB12"
    assert normalize.key_text(pd.Series([" 26430101 110001 ", "", "ａｂ"])).tolist()[0] == "26430101110001"
    assert normalize.key_text(pd.Series(["", "ａｂ"])).tolist()[1] == "AB"
    assert pd.isna(normalize.key_text(pd.Series([""]))[0])
    got = normalize.date_text(
        pd.Series(
            ["20080517", "2008-5-7", "2008/05/17", "2008.05.17", "2008年5月17日", "20080231", "2008", "abc", None]
        )
    )
    assert got.tolist()[:5] == ["20080517", "20080507", "20080517", "20080517", "20080517"]
    assert got[5:].isna().all()
