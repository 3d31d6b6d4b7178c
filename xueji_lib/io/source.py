"""A list, whether it is held as a DataFrame or as a folder converted by ``xueji parquet``: one type.

Every operation that takes a list (reconcile, compare, handoff, the statistics, the engine's
``register_list``, the output files, the reports and the command line) takes a frame or a converted
folder, wraps it once with ``ListSource.of`` where it enters, and from then on asks the source — never
checks by hand which of the two it got. A frame source hands out what it holds (no copies of the whole
frame); a folder source reads only what is asked for: the record count and the column names from the
Parquet footers, a whole column one column at a time, the records at some positions from the row groups
that hold them, and its part files for an engine that reads them itself.

    >>> from xueji_lib.io.source import ListSource
    >>> src = ListSource.of(pd.DataFrame({"KSH": ["26110101000001", "26110101000002"], "XM": ["张三", "李四"]}))
    >>> src.count, src.columns, src.is_folder
    (2, ['KSH', 'XM'], False)
    >>> src.rows([1])["XM"].tolist()
    ['李四']
    >>> folder = ListSource.of("注册上报_parquet")             # a folder from xueji parquet   # doctest: +SKIP
    >>> folder.count, folder.column("KSH")                     # footers; one column read     # doctest: +SKIP

Positions are 0-based record positions in both (the ``row`` of a result minus one); rows, columns and
frames come back with a positional index (0, 1, 2 …) either way.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["ListSource", "FrameSource", "FolderSource"]


class ListSource:
    """A list of records: ``FrameSource`` (a DataFrame) or ``FolderSource`` (a folder converted by
    ``dbf_to_parquet``), made by ``ListSource.of``; both answer the same questions.

    ``name`` (how messages name the list: the folder's path as given, "" for a frame), ``is_folder``,
    ``path`` (the folder, None for a frame), ``count`` (records), ``columns`` (column names as the list
    has them), ``rows(positions)``, ``column(name)``, ``columns_frame(names)``, ``frame()``, ``parts``
    (a folder's part files, for an engine to read itself).
    """

    name: str = ""
    is_folder: bool = False
    path: Path | None = None

    @staticmethod
    def of(data: ListSource | pd.DataFrame | str | os.PathLike) -> ListSource:
        """``data`` as a list source: a ListSource stays itself, a DataFrame becomes a ``FrameSource``, a
        path (str or os.PathLike) a ``FolderSource``. Reads nothing: a folder is checked (finished, source
        unchanged) when it is first asked something.

            >>> ListSource.of(pd.DataFrame({"XM": ["张三"]})).count
            1
        """
        if isinstance(data, ListSource):
            return data
        if isinstance(data, pd.DataFrame):
            return FrameSource(data)
        if isinstance(data, (str, os.PathLike)):
            return FolderSource(data)
        raise TypeError(f"名单应为 DataFrame 或 xueji parquet 转换的文件夹，给的是 {type(data).__name__}")

    @property
    def count(self) -> int:
        """The number of records."""
        raise NotImplementedError

    @property
    def columns(self) -> list:
        """The column names, in the list's order, as the list writes them (case kept)."""
        raise NotImplementedError

    def has(self, name: str) -> bool:
        """Whether the list has the column ``name`` (exactly as written)."""
        return name in self.columns

    def rows(self, positions: ArrayLike) -> pd.DataFrame:
        """The records at ``positions`` (0-based, in the order given, repeats allowed), all their columns,
        with a positional index. From a folder only the row groups holding them are read."""
        raise NotImplementedError

    def column(self, name: str) -> pd.Series:
        """The whole column ``name`` (positional index, named ``name``). From a folder only that column
        is read."""
        raise NotImplementedError

    def columns_frame(self, names: Iterable[str]) -> pd.DataFrame:
        """The whole columns ``names`` as a frame (positional index). From a folder only those columns are
        read."""
        raise NotImplementedError

    def frame(self) -> pd.DataFrame:
        """Every record and column (a frame source's own frame, not a copy; a folder read whole, as
        ``read_parquet_folder`` reads it) — only for callers that need all of it."""
        raise NotImplementedError

    @property
    def parts(self) -> list[Path]:
        """A folder's part files in record order (``parquet_parts``: an error when the conversion is not
        finished or its DBF changed since); [] for a frame."""
        return []


class FrameSource(ListSource):
    """A list held as a DataFrame: everything is handed out from the frame itself."""

    def __init__(self, df: pd.DataFrame):
        self.df = df

    def __repr__(self) -> str:
        return f"FrameSource({len(self.df)} 条记录)"

    @property
    def count(self) -> int:
        return len(self.df)

    @property
    def columns(self) -> list:
        return list(self.df.columns)

    def rows(self, positions: ArrayLike) -> pd.DataFrame:
        return self.df.iloc[np.asarray(positions, dtype=np.int64)].reset_index(drop=True)

    def column(self, name: str) -> pd.Series:
        return self.df[name].reset_index(drop=True)

    def columns_frame(self, names: Iterable[str]) -> pd.DataFrame:
        return self.df[list(names)].reset_index(drop=True)

    def frame(self) -> pd.DataFrame:
        return self.df


class FolderSource(ListSource):
    """A folder converted by ``dbf_to_parquet``: nothing is read until asked; the record count and the
    column names (read from the footers once) are kept."""

    is_folder = True

    def __init__(self, path: str | os.PathLike):
        self.name = str(path)
        self.path = Path(path)
        self._shape: tuple[int, list] | None = None

    def __repr__(self) -> str:
        return f"FolderSource({self.name!r})"

    def _footers(self) -> tuple[int, list]:
        if self._shape is None:
            from .parquet import parquet_shape

            self._shape = parquet_shape(self.path)
        return self._shape

    @property
    def count(self) -> int:
        return self._footers()[0]

    @property
    def columns(self) -> list:
        return list(self._footers()[1])

    @property
    def parts(self) -> list[Path]:
        from .parquet import parquet_parts

        return parquet_parts(self.path)

    def rows(self, positions: ArrayLike) -> pd.DataFrame:
        from .parquet import read_parquet_rows

        return read_parquet_rows(self.path, np.asarray(positions, dtype=np.int64) + 1)

    def _read(self, names: list) -> pa.Table:
        import pyarrow.parquet as pq

        return pa.concat_tables([pq.read_table(f, columns=names) for f in self.parts])

    def column(self, name: str) -> pd.Series:
        return self._read([name]).column(name).to_pandas().rename(name)

    def columns_frame(self, names: Iterable[str]) -> pd.DataFrame:
        return self._read(list(names)).to_pandas()

    def frame(self) -> pd.DataFrame:
        from .parquet import read_parquet_folder

        return read_parquet_folder(self.path)
