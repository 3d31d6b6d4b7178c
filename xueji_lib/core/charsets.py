"""Telling GBK text from text in another encoding that was decoded as GBK — Big5 (繁体) most often.

GB18030 decodes almost any bytes, so a file without an encoding mark (a CSV, a DBF whose code-page byte is
0) that is really Big5 reads without an error, as mojibake. What gives it away: the Chinese characters it
decodes to are mostly outside GB2312, the common simplified set every roster uses (a GBK roster has a few
rare name characters, not a third of them). One place for the test, used by the CSV/TXT reader
(``io.text_tables``) and the DBF reader (``io.dbf``).

    >>> raw = "陳大文 臺北市中正區 林美麗 國立臺灣師範大學".encode("big5")
    >>> found = not_gbk(raw.decode("gb18030"), raw)
    >>> found.big5, found.rare * 10 >= found.han * 3
    (True, True)
    >>> raw = "张三 北京市海淀区 王䶮 李四".encode("gb18030")
    >>> not_gbk(raw.decode("gb18030"), raw) is None
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NotGbk", "not_gbk", "SAMPLE_CHARS"]

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
SAMPLE_CHARS = 200_000  # the characters looked at (and twice as many bytes for the Big5 test)


@dataclass(frozen=True)
class NotGbk:
    """Text that GB18030 decodes to mojibake: ``han`` Chinese characters, ``rare`` of them outside GB2312;
    ``big5``: the bytes decode as Big5."""

    han: int
    rare: int
    big5: bool

    def message(self) -> str:
        """The problem in Chinese, saying how to read the file (the ``encoding=`` parameter, ``--encoding``)."""
        if self.big5:
            guess = "像是繁体中文 Big5 编码，请用 encoding='big5' 指定（命令行用 --encoding big5）"
        else:
            guess = "请用 encoding= 指定文件的编码（命令行用 --encoding）"
        return (
            f"按 GBK/GB18030 解码后 {self.han} 个汉字中有 {self.rare} 个是少见字，读出来会是乱码："
            f"文件不是 GBK 编码，{guess}"
        )


def not_gbk(text: str, data: bytes) -> NotGbk | None:
    """``None`` if ``text`` (``data`` decoded as GB18030) reads as GBK text; else what is wrong with it.

    Only the first ``SAMPLE_CHARS`` characters and twice as many bytes are looked at. Fewer than 4 Chinese
    characters say nothing. ``big5``: ``data`` decodes as Big5, but for a character cut in half here and
    there (at the sample's end, at the end of a fixed-width DBF field): at most one in a hundred."""
    han = _HAN.findall(text, 0, SAMPLE_CHARS)
    if len(han) < 4:
        return None
    common: dict[str, bool] = {}
    rare = 0
    for ch in han:
        ok = common.get(ch)
        if ok is None:
            try:
                ch.encode("gb2312")
                ok = True
            except UnicodeEncodeError:
                ok = False
            common[ch] = ok
        rare += not ok
    if rare * 10 < len(han) * 3:  # under 30 % rare characters: GBK text (rare name characters are a few)
        return None
    as_big5 = data[: SAMPLE_CHARS * 2].decode("big5", errors="replace")
    bad = as_big5.count("\ufffd")
    return NotGbk(len(han), rare, bad <= 1 + len(han) // 100)
