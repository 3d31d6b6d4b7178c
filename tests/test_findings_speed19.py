"""Issue 19, validate on a dirty file: the fast paths give exactly what the plain per-value way gives (randomised,
realistic values: non-ASCII text, empty strings, one row, no rows, columns of several Arrow chunks).

- ``FindingsTable.frame`` (each rule's sentences joined per part, sorted once, columns on two threads) against a
  per-finding loop: ``str.format`` of each template, ``mask_value`` of each personal value, a stable sort;
- ``_empty`` (each value's first byte) against ``str.strip() == ""``;
- ``_substitute_ids`` (the region fields judged per distinct value) against the same with every record its own
  distinct value;
- the sentences of SFZH_BIRTH_MISMATCH and SFZH_SEX_MISMATCH (from the numbers' bytes, per distinct field value)
  against the string operations they replace.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xueji_lib.checks import findings_table as FT
from xueji_lib.checks import validate as V
from xueji_lib.core import ids
from xueji_lib.core.normalize import STR, date_text
from xueji_lib.core.privacy import mask_value
from xueji_lib.schema.layouts import load_layout
from xueji_lib.schema.rules import SEVERITY_ORDER, Rule

LARGE = pa.large_string()


@pytest.fixture(autouse=True)
def _fresh_memo():
    V._memo_clear()
    yield
    V._memo_clear()


def _chunked(values: list, size: int = 97) -> pd.Series:
    """A str column of several chunks (read_dbf's blocks), with missing values where ``values`` has None."""
    parts = [pa.array(values[i : i + size], LARGE) for i in range(0, len(values), size)] or [pa.array([], LARGE)]
    return pd.Series(pa.chunked_array(parts, LARGE), dtype=STR)


# -- the findings table ---------------------------------------------------------------------------------------

RULES = {
    "R_VALUE": Rule("R_VALUE", "error", "{name}“{value}”校验位错误", "末位应为 {detail}；请核对原件"),
    "R_PLAIN": Rule("R_PLAIN", "error", "{name}为空", "该字段必填，请补填"),
    "R_NOHINT": Rule("R_NOHINT", "warning", "{name}（{field}）“{value}”含小写字母", ""),
    "R_MAYBE": Rule("R_MAYBE", "info", "{name}“{value}”不常见（{detail}）", "{detail}"),  # hint may be empty
    "R_ONLY": Rule("R_ONLY", "warning", "{value}", "{detail}"),
    "R_STRUCT": Rule("R_STRUCT", "error", "缺少字段 {field}（{name}）", "{detail}"),
}
NAMES = {"SFZH": "身份证号", "XM": "姓名", "XH": "学号", "LXDH": "联系电话", "JTDZ": "家庭住址", "MZ": "民族"}
PERSONAL = {"SFZH": "id", "LXDH": "phone", "JTDZ": "address"}
WORDS = [
    "",
    "张三",
    "a0260103",
    "110105194912310021",
    "1381234567",
    "湖南省长沙市岳麓区麓山南路 932 号",
    "火星族",
    "X",
    "é·Ω",
    "1",
]


def _random_parts(rng: np.random.Generator, n: int, count: int) -> list[FT.Part]:
    parts = []
    for _ in range(count):
        rule = str(rng.choice(list(RULES)))
        field = str(rng.choice(list(NAMES)))
        if rule == "R_STRUCT":
            parts.append(FT.Part.of(rule, np.array([-1]), field, "", str(rng.choice(WORDS)), None))
            continue
        size = int(rng.choice([0, 1, 2, n // 3, n]))
        idx = np.sort(rng.choice(n, size=min(size, n), replace=False)).astype(np.int64)

        def text(k: int):  # one value for all, or one per finding
            if rng.random() < 0.3:
                return str(rng.choice(WORDS))
            return pa.array([str(w) for w in rng.choice(WORDS, k)], LARGE)

        severity = str(rng.choice(["warning", "info"])) if rng.random() < 0.2 else None
        parts.append(FT.Part.of(rule, idx, field, text(len(idx)), text(len(idx)), severity))
    return parts


def _reference(parts, keys: pd.Series | None, key_kind: str | None) -> pd.DataFrame:
    """The per-finding loop the table replaces: one ``str.format`` per finding, masked values, sorted by record
    (structure findings first) and severity, stable."""
    rows = []
    for p in parts:
        rule = RULES[p.rule]
        kind = PERSONAL.get(p.field)
        for j, i in enumerate(p.idx.tolist()):
            value = p.value if isinstance(p.value, str) else p.value[j].as_py()
            detail = p.detail if isinstance(p.detail, str) else p.detail[j].as_py()
            shown = mask_value(kind, value) if kind else value
            words = {"name": NAMES[p.field], "field": p.field, "value": shown, "detail": detail}
            message, hint = rule.message.format(**words), rule.hint.format(**words)
            key = "" if keys is None or i < 0 else keys.iloc[i]
            rows.append(
                {
                    "row": pd.NA if i < 0 else i + 1,
                    "key": mask_value(key_kind, key) if key_kind and i >= 0 else key,
                    "field": p.field,
                    "name": NAMES[p.field],
                    "rule": p.rule,
                    "severity": p.severity or rule.severity,
                    "value": shown,
                    "message": f"{message}。{hint}" if hint else message,
                }
            )
    out = pd.DataFrame(rows, columns=V.FINDING_COLUMNS)
    if len(out):
        at = out["row"].fillna(0).astype(int).to_numpy()
        out = out.iloc[np.lexsort((out["severity"].map(SEVERITY_ORDER).to_numpy(), at))].reset_index(drop=True)
    return out.astype({"row": "Int64"} | {c: "str" for c in V.FINDING_COLUMNS if c != "row"})


def _table(keys: pd.Series | None, key_kind: str | None) -> FT.FindingsTable:
    return FT.FindingsTable(RULES, NAMES.get, PERSONAL.get, V._mask_arrow, keys, key_kind)


@pytest.mark.parametrize("threads", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_findings_frame_equals_the_per_finding_loop(monkeypatch, seed, threads):
    monkeypatch.setattr(FT, "PARALLEL_MIN_FINDINGS", 0 if threads else 10**12)
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 50, 700]))
    keys = _chunked(
        [str(rng.choice(["26610102150243", "A0260103", "张三", "110105194912310021", ""])) for _ in range(n)]
    )
    key_kind = "id" if seed % 2 else None
    parts = _random_parts(rng, n, int(rng.integers(1, 9)))
    for k, kk in ((keys, key_kind), (None, None)):
        got = _table(k, kk).frame(parts, V.FINDING_COLUMNS, SEVERITY_ORDER)
        want = _reference([p for p in parts if len(p.idx)], k, kk)
        assert list(got.columns) == V.FINDING_COLUMNS
        assert got.dtypes.tolist() == want.dtypes.tolist()
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    for severity in SEVERITY_ORDER:  # the records failing (severity error), from the parts without the table
        rows = want.loc[(want["severity"] == severity) & want["row"].notna(), "row"].astype(int).to_numpy() - 1
        assert np.flatnonzero(FT.records_with(parts, RULES, severity, n)).tolist() == sorted(set(rows.tolist()))


@pytest.mark.parametrize("block", [1, 3, 64])
@pytest.mark.parametrize("seed", range(6))
def test_findings_frame_in_small_blocks_and_parts_out_of_row_order(monkeypatch, seed, block):
    """The sorted findings built ``block`` at a time (a block boundary inside every part, parts missing from some
    blocks), from parts whose positions are not in row order (repeated too), give the per-finding loop's table;
    the columns come out in several Arrow chunks, the values the same."""
    monkeypatch.setattr(FT, "BLOCK_FINDINGS", block)
    monkeypatch.setattr(FT, "PARALLEL_MIN_FINDINGS", 0 if seed % 2 else 10**12)
    rng = np.random.default_rng(50 + seed)
    n = int(rng.choice([1, 5, 300]))
    keys = _chunked([str(rng.choice(["26610102150243", "张三", "110105194912310021", ""])) for _ in range(n)], 7)
    parts = _random_parts(rng, n, int(rng.integers(1, 7)))
    for j, p in enumerate(parts):  # shuffled positions, some repeated, values kept with their positions
        if j % 2 and len(p.idx) > 1:
            o = rng.permutation(len(p.idx))
            o[: len(o) // 3] = o[0]
            take = pa.array(o)
            parts[j] = FT.Part.of(
                p.rule,
                p.idx[o],
                p.field,
                p.value if isinstance(p.value, str) else p.value.take(take),
                p.detail if isinstance(p.detail, str) else p.detail.take(take),
                p.severity,
            )
    kind = "id" if seed % 3 == 0 else None
    got = _table(keys, kind).frame(parts, V.FINDING_COLUMNS, SEVERITY_ORDER)
    want = _reference([p for p in parts if len(p.idx)], keys, kind)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_findings_frame_of_no_findings_and_of_one():
    empty = _table(None, None).frame([], V.FINDING_COLUMNS, SEVERITY_ORDER)
    assert empty.empty and list(empty.columns) == V.FINDING_COLUMNS
    assert empty["row"].dtype == "Int64" and (empty.drop(columns="row").dtypes == "str").all()
    one = [FT.Part.of("R_VALUE", [0], "SFZH", pa.array(["11010519491231002X"], LARGE), "9", None)]
    got = _table(_chunked(["张三"]), None).frame(one, V.FINDING_COLUMNS, SEVERITY_ORDER)
    assert got["message"].tolist() == ["身份证号“110105********002X”校验位错误。末位应为 9；请核对原件"]
    pd.testing.assert_frame_equal(got, _reference(one, _chunked(["张三"]), None), check_exact=True)


# -- blank values -----------------------------------------------------------------------------------------------

BLANKISH = ["", " ", "\u3000", "\t张三", "张 三", "\x1c", "\u2003a", "\u00a0", "a", "é", "  \n", "Ａ", "\u1680"]


@pytest.mark.parametrize("seed", range(4))
def test_empty_equals_strip(seed):
    rng = np.random.default_rng(seed)
    for n in (0, 1, 2, 500):
        values = ["".join(rng.choice(BLANKISH, rng.integers(0, 3))) for _ in range(n)]
        for s in (_chunked(values, 61), pd.Series(values, dtype=STR)):
            want = (s.str.strip() == "").to_numpy(dtype=bool)
            assert V._empty(s).tolist() == want.tolist()


# -- substitute numbers: the region fields per distinct value ------------------------------------------------------


def _per_record(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``_factorized`` with every record its own distinct value: the per-record way."""
    return np.arange(len(s), dtype=np.int64), pd.Series(np.asarray(s, dtype=object), dtype=STR)


@pytest.mark.parametrize("seed", range(3))
def test_substitute_ids_per_distinct_region_equals_per_record(monkeypatch, seed):
    from xueji_lib.samples.scale import make_registration_frame

    rng = np.random.default_rng(seed)
    for n in (1, 3, 400):
        df = make_registration_frame(n, seed)
        others = ["H12345678", "M1234567890", "E12345678", "A123456(7)", "1234567", "11113A1", "99912345678901234"]
        pick = rng.random(n)
        df["SFZH"] = np.where(
            pick < 0.3, "11113" + df["XH"], np.where(pick < 0.7, rng.choice(others, n), df["SFZH"])
        ).tolist()
        df["MZ"] = [str(rng.choice(["香港", "澳门", "台湾", "汉族", "中国香港特别行政区", "", "é"])) for _ in range(n)]
        df["JG"] = [str(rng.choice(["台湾省", "湖南", "", "澳门"])) for _ in range(n)]
        flags = same_substitute_ids(monkeypatch, df, "_factorized", _per_record)
        assert n < 400 or flags.any()


def same_substitute_ids(monkeypatch, df: pd.DataFrame, name: str, plain) -> np.ndarray:
    """``validate._substitute_ids`` on ``df``'s SFZH as it runs and with ``validate.<name>`` replaced by ``plain``
    (the plain way): asserts both give the same arrays; returns the first (the substitute-number flags)."""
    ck = V._Checker(df, load_layout("chsi_registration"), {"year": 2026, "category": "10"})
    upper = ck.text("SFZH")
    got = V._substitute_ids(ck, upper, V._checksum_ok(upper))
    V._memo_clear()
    monkeypatch.setattr(V, name, plain)
    want = V._substitute_ids(ck, upper, V._checksum_ok(upper))
    monkeypatch.undo()
    for a, b in zip(got, want):
        assert a.tolist() == b.tolist()
    return got[0]


# -- the ID number's sentences from its bytes ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_birth_and_sex_sentences_equal_the_string_operations(seed):
    from xueji_lib.samples.scale import make_registration_frame

    rng = np.random.default_rng(seed)
    for n in (1, 2, 600):
        df = make_registration_frame(n, seed + 3)
        pick = rng.random(n)
        df["CSRQ"] = np.where(
            pick < 0.3,
            df["CSRQ"],
            np.where(
                pick < 0.6, "20080517", np.where(pick < 0.8, "2008-05-17", np.where(pick < 0.9, "2008年5月7日", ""))
            ),
        )
        df["XB"] = [str(rng.choice(["男", "女", "1", "2", "", "未知", "男 "])) for _ in range(n)]
        ck = V._Checker(df, load_layout("chsi_registration"), {"year": 2026, "category": "10"})
        assert V._plain(ck.text("SFZH"))
        V._check_ids(ck)
        got = {p.rule: p for p in ck.parts}
        number, csrq, xb = ck.text("SFZH"), ck.text("CSRQ"), ck.text("XB")
        if "SFZH_BIRTH_MISMATCH" in got:
            p = got["SFZH_BIRTH_MISMATCH"]
            want = "号码中为 " + ids.birth_date(number.iloc[p.idx]) + "，出生日期字段为 " + date_text(csrq.iloc[p.idx])
            assert p.detail.to_pylist() == want.tolist()
        if "SFZH_SEX_MISMATCH" in got:
            p = got["SFZH_SEX_MISMATCH"]
            word = ids.sex_code(number.iloc[p.idx]).map({"1": "男", "2": "女"}).fillna("")
            want = "号码表示" + word + "，性别字段为“" + xb.iloc[p.idx] + "”"
            assert p.detail.to_pylist() == want.tolist()
        assert n < 600 or {"SFZH_BIRTH_MISMATCH", "SFZH_SEX_MISMATCH"} <= set(got)
