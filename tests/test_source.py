"""io.source.ListSource: a list held as a frame and the same list converted by dbf_to_parquet answer every
question the same way (count, columns, records at positions, whole columns, the whole list), the folder
reading only what is asked; the operations that take lists take a ListSource as they take a frame or a
folder. Fixture: a synthetic registration file with deleted records on both sides of part boundaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.engine.engines import connect, register_list
from xueji_lib.io.parquet import parquet_parts
from xueji_lib.io.source import FolderSource, FrameSource, ListSource
from xueji_lib.samples import synth

N = 230
DELETED = [0, 59, 60, 61, 119, 200]  # records_per_part 60: deleted records at and around the boundaries


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    """(the DBF read as a frame, its converted folder)."""
    tmp = tmp_path_factory.mktemp("source")
    frame = synth.make_registration_frame(N, seed=11)
    mask = np.zeros(N, bool)
    mask[DELETED] = True
    xj.write_dbf(frame, tmp / "注册上报.dbf", "chsi_registration", deleted=mask)
    xj.dbf_to_parquet(tmp / "注册上报.dbf", tmp / "注册上报.parquet", records_per_part=60, workers=1)
    return xj.read_dbf(tmp / "注册上报.dbf"), tmp / "注册上报.parquet"


def _same(a: pd.DataFrame | pd.Series, b: pd.DataFrame | pd.Series) -> None:
    """Equal values, both with a positional index (storage of the strings aside: python or pyarrow)."""
    assert list(a.index) == list(range(len(a))) and list(b.index) == list(range(len(b)))
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    else:
        pd.testing.assert_series_equal(a, b, check_dtype=False)


def test_of_wraps_once_and_says_which_it_is(lists):
    frame, folder = lists
    fs, ds = ListSource.of(frame), ListSource.of(folder)
    assert isinstance(fs, FrameSource) and isinstance(ds, FolderSource)
    assert ListSource.of(fs) is fs and ListSource.of(ds) is ds
    assert isinstance(ListSource.of(str(folder)), FolderSource)
    assert (fs.is_folder, fs.path, fs.name, fs.parts) == (False, None, "", [])
    assert (ds.is_folder, ds.path, ds.name) == (True, folder, str(folder))
    assert ds.parts == parquet_parts(folder) and len(ds.parts) == 4
    with pytest.raises(TypeError, match="名单应为 DataFrame 或 xueji parquet 转换的文件夹"):
        ListSource.of(None)


def test_count_columns_and_has_are_the_same(lists):
    frame, folder = lists
    fs, ds = ListSource.of(frame), ListSource.of(folder)
    assert fs.count == ds.count == N - len(DELETED)
    assert fs.columns == ds.columns == list(frame.columns) and "_row" not in ds.columns
    assert fs.has("KSH") and ds.has("KSH") and not fs.has("_row") and not ds.has("_row") and not ds.has("NOPE")


@pytest.mark.parametrize("positions", [[0], [223, 0, 58, 59, 60, 58], list(range(224)), []])
def test_rows_are_the_records_at_the_positions_in_the_order_given(lists, positions):
    frame, folder = lists
    fs, ds = ListSource.of(frame), ListSource.of(folder)
    expected = frame.iloc[positions].reset_index(drop=True)
    _same(fs.rows(positions), expected)
    _same(ds.rows(np.asarray(positions)), expected)
    assert list(ds.rows(positions).columns) == list(frame.columns)


def test_rows_past_the_end_of_a_folder_are_an_error(lists):
    with pytest.raises(xj.ParquetConversionError, match="转换结果中没有第 225 行"):
        ListSource.of(lists[1]).rows([0, 224])


def test_whole_columns_and_the_whole_list_are_the_same(lists):
    frame, folder = lists
    fs, ds = ListSource.of(frame), ListSource.of(folder)
    for name in ("KSH", "XM", "CSRQ"):
        _same(fs.column(name), frame[name].reset_index(drop=True))
        _same(ds.column(name), fs.column(name))
        assert ds.column(name).name == fs.column(name).name == name
    _same(ds.columns_frame(["XM", "KSH"]), fs.columns_frame(["XM", "KSH"]))
    assert list(ds.columns_frame(["XM", "KSH"]).columns) == ["XM", "KSH"]
    _same(ds.frame(), fs.frame().reset_index(drop=True))
    assert fs.frame() is frame  # the frame itself, not a copy


def test_a_frame_with_its_own_index_is_still_positional(lists):
    frame = lists[0]
    shuffled = frame.set_axis(np.arange(len(frame))[::-1] * 7)  # labels that are not positions
    src = ListSource.of(shuffled)
    _same(src.rows([2, 0]), frame.iloc[[2, 0]].reset_index(drop=True))
    _same(src.column("XM"), frame["XM"].reset_index(drop=True))


def test_a_folder_reads_only_what_is_asked(lists, monkeypatch):
    """Nothing when made; the footers for count and columns; one column for ``column``; never the whole
    folder for rows or columns."""
    import pyarrow.parquet as pq

    from xueji_lib.io import parquet

    folder = lists[1]
    read: list = []
    real = pq.read_table

    def spy(source, *args, columns=None, **kw):
        read.append(columns)
        return real(source, *args, columns=columns, **kw)

    monkeypatch.setattr(pq, "read_table", spy)
    monkeypatch.setattr(parquet, "read_parquet_folder", lambda *a: pytest.fail("the whole folder was read"))
    src = ListSource.of(folder)
    assert src.count == N - len(DELETED) and read == []
    src.column("XM")
    assert read == [["XM"]] * 4
    src.rows([5, 100])
    assert read == [["XM"]] * 4


def test_a_missing_or_unfinished_folder_is_said_when_first_asked(tmp_path):
    src = ListSource.of(tmp_path / "没有这个文件夹")  # nothing read yet: no error
    with pytest.raises(xj.ParquetConversionError, match="不是 xueji parquet 转换得到的文件夹"):
        _ = src.count


def test_register_list_gives_the_engine_the_same_view(lists):
    frame, folder = lists
    fields = {"KSH": ("KSH",), "XM": ("XM",), "SFZH": ("SFZH", "ZJHM")}
    got = []
    for data in (frame, ListSource.of(frame), folder, ListSource.of(folder)):
        con = connect()
        try:
            types = register_list(con, "t", data, fields)
            got.append((sorted(types), con.sql("SELECT * FROM t ORDER BY _row").to_pandas()))
        finally:
            con.close()
    for names, table in got[1:]:
        assert names == got[0][0] == ["KSH", "SFZH", "XM"]
        pd.testing.assert_frame_equal(table, got[0][1], check_dtype=False)
    assert got[0][1]["_row"].tolist() == list(range(1, N - len(DELETED) + 1))


def test_operations_take_a_list_source_like_a_frame_or_a_folder():
    """reconcile, the statistics, compare and handoff given ListSources: the results they give for frames."""
    adm, reg = synth.make_registration_pair(120, seed=4)
    exp = xj.reconcile(adm, reg, year=2026, category="10")
    got = xj.reconcile(ListSource.of(adm), ListSource.of(reg), year=2026, category="10")
    assert got.counts == exp.counts and exp.counts["registration"]["matched"] < 120
    pd.testing.assert_frame_equal(got.registration, exp.registration)
    pd.testing.assert_frame_equal(got.admission, exp.admission)
    exp = xj.higher_ed_stats(reg, admission=adm, year=2026, category="10")
    got = xj.higher_ed_stats(
        ListSource.of(reg), admission=ListSource.of(adm), year=2026, category="10", previous=ListSource.of(reg)
    )
    assert got.total == exp.total and "各专业注册率" in got.tables
    pd.testing.assert_frame_equal(got.table("各专业注册率"), exp.table("各专业注册率"))
    old, new, changes = synth.make_roster_pair(300, seed=2, change_rate=0.1)
    exp = xj.compare(old, new, changes=changes)
    got = xj.compare(ListSource.of(old), ListSource.of(new), changes=ListSource.of(changes))
    assert got.counts == exp.counts and exp.counts["old"]["removed"] > 0
    for side in ("old", "new", "changes"):
        pd.testing.assert_frame_equal(getattr(got, side), getattr(exp, side))
    exp, got = xj.handoff(old, new), xj.handoff(ListSource.of(old), ListSource.of(new))
    assert got.counts == exp.counts
    pd.testing.assert_frame_equal(got.graduates, exp.graduates)
