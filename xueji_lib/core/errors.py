"""One root exception, ``XuejiError``; each subclass says what went wrong and where.

Subclasses also derive from the matching built-in (as dbfread's ``DBFNotFound(IOError)`` does), so a
generic ``except ValueError`` or ``except OSError`` still catches them. Messages are in Chinese, for
the registry clerk who reads them, and always name the file (and the row/field where there is one).
"""

from __future__ import annotations


class XuejiError(Exception):
    """Root of every error xueji raises on purpose.

    >>> try:
    ...     xj.read_dbf("data_samples/planted.csv")      # a CSV, not a DBF
    ... except xj.XuejiError as exc:                     # catches every error xueji raises on purpose
    ...     print(type(exc).__name__)
    FileFormatError
    """


class FileFormatError(XuejiError, ValueError):
    """A file is not what it claims to be (not a DBF, a bad header, an unreadable workbook).

    >>> try:
    ...     xj.read_dbf("data_samples/k12/新生_2026秋.xlsx")
    ... except xj.FileFormatError as exc:
    ...     print(isinstance(exc, ValueError), exc)
    True 文件 data_samples/k12/新生_2026秋.xlsx：不是 DBF 文件：...
    """

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"文件 {self.path}：{problem}")


class TruncatedFileError(FileFormatError):
    """A DBF holds fewer records than its header promises (a cut-off download or copy).

    >>> print(xj.TruncatedFileError("注册上报.dbf", expected=1000, present=998))
    文件 注册上报.dbf：文件不完整：文件头记录数为 1000 条，实际只有 998 条完整记录。文件可能在下载或复制时被截断，请重新下载或从原系统重新导出。
    """

    def __init__(self, path, expected: int, present: int, partial_bytes: int = 0):
        self.expected = expected
        self.present = present
        self.partial_bytes = partial_bytes
        tail = f"，另有 {partial_bytes} 字节的不完整记录" if partial_bytes else ""
        super().__init__(
            path,
            f"文件不完整：文件头记录数为 {expected} 条，实际只有 {present} 条完整记录{tail}。"
            "文件可能在下载或复制时被截断，请重新下载或从原系统重新导出。",
        )


class MemoFileMissing(XuejiError, FileNotFoundError):
    """A DBF has memo fields but its .FPT/.DBT file is not beside it.

    >>> err = xj.MemoFileMissing("学生.dbf", ["BZ"])
    >>> isinstance(err, FileNotFoundError), err.fields
    (True, ['BZ'])
    """

    def __init__(self, path, fields):
        self.path = str(path)
        self.fields = list(fields)
        super().__init__(
            f"文件 {self.path}：备注字段 {', '.join(self.fields)} 的内容存放在同名 .FPT 或 .DBT 文件中，"
            "但该文件不在同一目录。请把同名的 .FPT/.DBT 文件一起复制过来。"
        )


class InputFileNotFound(XuejiError, FileNotFoundError):
    """The file to read does not exist (a ``FileNotFoundError`` too, as dbfread's ``DBFNotFound``).

    >>> try:
    ...     xj.read_dbf("data_samples/没有这个文件.dbf")
    ... except FileNotFoundError as exc:                 # a FileNotFoundError too
    ...     print(type(exc).__name__, exc)
    InputFileNotFound 找不到文件 data_samples/没有这个文件.dbf，请检查文件夹和文件名
    """

    def __init__(self, path):
        self.path = str(path)
        super().__init__(f"找不到文件 {self.path}，请检查文件夹和文件名")


class WriteError(XuejiError, ValueError):
    """Values that cannot be written faithfully (too long for the field, not encodable, wrong type).

    ``problems`` is a DataFrame with one row per (row, field) problem: row (1-based), field, value, reason.

    >>> import os, tempfile
    >>> adm = xj.read_dbf("data_samples/hei/10_录取名单.dbf").head(2)
    >>> adm.loc[1, "XM"] = "名" * 30                      # 60 bytes; the field holds 40
    >>> try:
    ...     xj.write_dbf(adm, os.path.join(tempfile.mkdtemp(), "录取名单.dbf"), layout="chsi_admission")
    ... except xj.WriteError as exc:
    ...     print(exc.problems[["row", "field", "reason"]].values.tolist())
    [[2, 'XM', '长度 60 字节，超出字段宽度 40 字节（一个汉字占 2 字节）']]
    """

    def __init__(self, path, problems, summary: str):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"文件 {self.path} 未写入：{summary}")


class LayoutError(XuejiError, ValueError):
    """A layout or code-table file is malformed, unknown, or does not fit the data.

    >>> try:
    ...     xj.load_layout("没有这个版式")
    ... except xj.LayoutError as exc:
    ...     print(exc)
    没有名为 没有这个版式 的版式。已知版式：...
    """
