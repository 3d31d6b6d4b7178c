"""The fast paths of read_dbf's text decoding (issue 19) against plain references on random blocks.

Each fast path is compared, on randomised realistic cells (GBK names with spaces inside, codes of one length,
a few distinct values, blank cells, one row, no rows, wide fields), with the plain Python it stands for; a
whole file is compared with dbfread across many small blocks.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from dbfread import DBF

import xueji_lib as xj
import xueji_lib.io.dbf as xdbf
from tests.dbfbytes import build_dbf
from xueji_lib.core.textbytes import matrix_strings
from xueji_lib.io.loadinfo import WarningTally

SURNAMES = ["张", "李", "欧阳", "王", "赵", "陈", "刘", "䶮", "阿依古丽", "Li"]
GIVEN = ["三", "四", "娜娜", "堃", "喆", "赟", " 明", "·买买提", "Ming", "", "ü"]


def _cells(texts: list[str], width: int, encoding: str = "gb18030") -> np.ndarray:
    """The fixed-width field of ``texts`` as a (rows × width) view of records, as a block holds it."""
    rows = np.full((len(texts), width + 3), 0x20, np.uint8)  # a record: flag, the field, other bytes
    rows[:, -2:] = 0x41
    for i, t in enumerate(texts):
        raw = t.encode(encoding)[:width]
        rows[i, 1 : 1 + len(raw)] = np.frombuffer(raw, np.uint8)
    return rows[:, 1 : 1 + width]


def _names(rng: np.random.Generator, n: int) -> list[str]:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.05:
            out.append("")
        elif r < 0.1:
            out.append(" " * int(rng.integers(1, 4)) + "王五")  # leading spaces stay
        else:
            out.append(str(rng.choice(SURNAMES)) + str(rng.choice(GIVEN)) + str(rng.choice(GIVEN)))
    return out


def _reference(cells: np.ndarray, encoding: str = "gb18030") -> list[str]:
    """What a cell holds: its bytes without the trailing spaces and NULs, decoded (dbfread's rule)."""
    return [bytes(c).rstrip(b" \0").decode(encoding) for c in cells]


@pytest.mark.parametrize("n", [0, 1, 2, 7, 500, 3000])
@pytest.mark.parametrize("lead", [False, True])
def test_packed_cells_equal_the_plain_join(n, lead):
    rng = np.random.default_rng(n + lead)
    for width in (1, 3, 18, 40, 300):
        cells = _cells(_names(rng, n), width)
        if n:
            cells[rng.random(n) < 0.1, 0] = 0x07  # a control byte, which is not padding
        data, lengths = xdbf._packed_cells(cells, lead=lead)
        plain = [bytes(c).rstrip(b" ") for c in cells]
        assert bytes(data) == b"".join(b"\n" * lead + p for p in plain)
        assert lengths.tolist() == [len(p) for p in plain] and lengths.dtype == np.int64


@pytest.mark.parametrize("n", [1, 2, 5, 800])
def test_decode_joined_splits_as_the_cells_are(n):
    rng = np.random.default_rng(n)
    for texts in (_names(rng, n), ["电信2609"] * n, ["软件" + str(rng.integers(10, 99)) for _ in range(n)], [""] * n):
        joined = b"".join(b"\n" + t.encode("gb18030") for t in texts)
        out = xdbf._decode_joined(np.frombuffer(joined, np.uint8), "gb18030", n)
        assert out.type == pa.large_string() and out.to_pylist() == texts
    # a newline inside a cell, a missing first newline or an undecodable byte: None (decoded cell by cell)
    assert xdbf._decode_joined(b"\na\nb\nc", "gb18030", 2) is None
    assert xdbf._decode_joined(b"a\nb", "gb18030", 2) is None
    assert xdbf._decode_joined(b"\n\xff\n", "gb18030", 2) is None


def test_matrix_strings_equals_arrow_strings():
    for k, w in ((0, 3), (1, 0), (5, 0), (4, 3), (1000, 14)):
        data = np.frombuffer(bytes(range(65, 65 + w)) * k, np.uint8)
        fixed = matrix_strings(data.reshape(k, w))
        assert fixed.equals(xdbf._arrow_strings(data, np.full(k, w, np.int64)))
        fixed.validate(full=True)


@pytest.mark.parametrize("n", [1, 3, 900, 5000])
def test_decode_text_equals_the_plain_decode_on_every_route(n):
    """Names (the joined route), one value, a few values (the dictionary route), codes of one length, cells
    of one length in GBK and in UTF-8, ASCII of mixed lengths, NUL padding: each as the plain decode."""
    rng = np.random.default_rng(n)
    columns = {
        "names": _cells(_names(rng, n), 40),
        "one": _cells(["华夏示范大学"] * n, 40),
        "few": _cells([str(rng.choice(["汉族", "蒙古族", "维吾尔族", "回族"])) for _ in range(n)], 24),
        "class": _cells(["电信" + str(rng.integers(100000, 999999)) for _ in range(n)], 24),
        "mixed_len_utf8": _cells([str(rng.choice(["电信", "·信", "ü信"])) + "26" for _ in range(n)], 24),
        "codes": _cells([str(rng.integers(10**13, 10**14)) for _ in range(n)], 18),
        "ascii": _cells(["A" * int(rng.integers(0, 9)) + " B" * int(rng.integers(0, 2)) for _ in range(n)], 12),
        "blank": _cells([""] * n, 10),
    }
    nul = _cells(_names(rng, n), 30).copy()
    nul[nul == 0x20] = 0  # padded with NULs by some writers
    columns["nul"] = nul
    field = xdbf._Field("F", "F", "C", 1, 0, 0, 0)
    for name, cells in columns.items():
        expected = _reference(cells)
        for state in ({}, {"dict": True}, {"dict": False}):  # the first block, a later one of each kind
            tally = WarningTally()
            out = xdbf._decode_text(field, cells, np.arange(1, n + 1), "gb18030", tally, dict(state))
            assert out.type == pa.large_string(), name
            assert out.to_pylist() == expected, (name, state)
            assert not tally.items, name


def test_decode_text_of_no_rows_and_of_undecodable_cells_as_before():
    field = xdbf._Field("XM", "XM", "C", 1, 0, 0, 0)
    empty = xdbf._decode_text(field, np.zeros((0, 8), np.uint8), np.arange(0), "gb18030", WarningTally(), {})
    assert len(empty) == 0 and empty.type == pa.large_string()
    cells = _cells(["张三", "李四", "王五"] * 3, 10).copy()
    cells[4, 4] = 0xB0  # half a character at the end of one cell
    tally = WarningTally()
    out = xdbf._decode_text(field, cells, np.arange(1, 10), "gb18030", tally, {"dict": False})
    assert out.to_pylist()[4] == "李四" and [code for code, _ in tally.items] == ["TRUNCATED_CHAR"]


def test_map_file_whole_and_in_part_hold_the_same_bytes(tmp_path):
    path = tmp_path / "a.dbf"
    path.write_bytes(bytes(range(256)) * 100)
    whole = xdbf._map_file(path, path.stat().st_size, whole=True)
    part = xdbf._map_file(path, path.stat().st_size, whole=False)
    assert np.array_equal(whole, part) and bytes(whole) == path.read_bytes()
    assert len(xdbf._map_file(path, 0, whole=True)) == 0


def test_random_file_over_many_small_blocks_equals_dbfread(tmp_path, monkeypatch):
    """A file whose blocks take every route (names, a few values, codes, NUL-padded and blank cells, one
    block with one row), read in blocks of 7 records, equals dbfread cell for cell."""
    rng = np.random.default_rng(19)
    n = 7 * 9 + 1
    names = _names(rng, n)
    rows = []
    for i in range(n):
        rows.append(
            [
                str(10**13 + i).encode(),
                names[i].encode("gb18030"),
                str(rng.choice(["汉族", "蒙古族", "回族"])).encode("gb18030"),
                ("电信" + str(rng.integers(100000, 999999))).encode("gb18030"),
                b"" if i % 5 else "备注 一".encode("gb18030"),
                names[(i * 7) % n].encode("gb18030").ljust(20, b"\0") if i % 3 == 0 else b"A B",
            ]
        )
    fields = [("KSH", "C", 18, 0), ("XM", "C", 40, 0), ("MZ", "C", 24, 0), ("BH", "C", 24, 0)]
    fields += [("BZ", "C", 40, 0), ("QT", "C", 20, 0)]
    path = tmp_path / "随机.dbf"
    path.write_bytes(build_dbf(fields, rows, deleted={3, 20}))
    monkeypatch.setattr(xdbf, "BLOCK_RECORDS", 7)
    df = xj.read_dbf(path)
    ref = [dict(r) for r in DBF(str(path), encoding="gb18030")]
    assert len(df) == len(ref) == n - 2
    for col in df.columns:
        assert df[col].tolist() == [r[col] for r in ref], col
        assert str(df[col].dtype) == "str"
