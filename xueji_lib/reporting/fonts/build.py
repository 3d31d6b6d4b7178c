"""Rebuild the bundled font: ``python -m xueji_lib.reporting.fonts.build [--source NotoSansCJK-Regular.ttc]``.

The source is Noto Sans CJK SC Regular (SIL OFL 1.1; Debian/Ubuntu ``fonts-noto-cjk`` installs it as
/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc, or pass the upstream NotoSansCJKsc-Regular.otf). The
subset keeps every character a 学籍 list can carry and the font has:

- every character of GBK (which contains GB 2312 and its symbols, Greek, Cyrillic, kana, pinyin letters) and the
  whole CJK Unified Ideographs block U+4E00–U+9FFF (the 通用规范汉字表 characters in the BMP are all there);
- CJK Extension A U+3400–U+4DBF (䶮 U+4DAE) and every supplementary-plane ideograph the font maps (the
  通用规范汉字表 characters of Extensions B–F, such as 𬌗 U+2C317, and other rare name characters);
- ASCII, Latin-1, Latin Extended-A/B (pinyin with tones), general punctuation, CJK symbols and punctuation,
  enclosed numbers, check marks and boxes, half-/full-width forms.

The outlines are converted from CFF to TrueType (quadratic) curves: fpdf2 subsets a TrueType font into each PDF
several times faster than a CFF one (it does so once per PDF written). Hinting and layout tables are dropped
(print only). The result is written beside this file with the OFL text; the builder prints what it holds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import FONT_PATH, LICENSE_PATH

DEFAULT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FAMILY = "Noto Sans CJK SC"

RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x24F),  # Latin-1, Latin Extended-A/B (pinyin tones)
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x215F),  # letterlike symbols (№, ℃)
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed numbers ①
    (0x2500, 0x25FF),  # box drawing, geometric shapes (□ ■ ○)
    (0x2610, 0x2613),  # ballot boxes ☐ ☑ ☒
    (0x2713, 0x2717),  # check marks ✓ ✗
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms
)


def wanted_characters() -> set[int]:
    """The code points asked for (before intersecting with the font): GBK, the ranges above; the
    supplementary-plane ideographs are added from the font's own map."""
    out: set[int] = set()
    for lo, hi in RANGES:
        out.update(range(lo, hi + 1))
    for b1 in range(0x81, 0xFF):
        for b2 in range(0x40, 0xFF):
            try:
                out.add(ord(bytes((b1, b2)).decode("gbk")))
            except (UnicodeDecodeError, TypeError):
                pass
    return out


def _source_font(source: Path):
    from fontTools.ttLib import TTCollection, TTFont

    if source.suffix.lower() in (".ttc", ".otc"):
        for font in TTCollection(str(source)).fonts:
            if font["name"].getDebugName(1) == FAMILY:
                return font
        raise SystemExit(f"{source} 中没有字体 {FAMILY}")
    return TTFont(str(source))


def _to_truetype(font) -> None:
    """Replace the CFF outlines by TrueType (quadratic) ones, in place."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(order)
    for attr in (
        "maxZones",
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxComponentDepth",
    ):
        setattr(maxp, attr, 1 if attr == "maxZones" else 0)
    font["maxp"] = maxp
    font["head"].indexToLocFormat = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def build(source: Path = DEFAULT_SOURCE, out: Path = FONT_PATH) -> dict:
    """Subset ``source`` into ``out`` (TrueType outlines) and write the OFL text beside it; returns what it holds."""
    from fontTools import subset

    font = _source_font(source)
    cmap = font.getBestCmap()
    chars = {u for u in wanted_characters() if u in cmap} | {u for u in cmap if u >= 0x20000}
    opts = subset.Options()
    opts.hinting = False
    opts.layout_features = []
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    opts.notdef_outline = True
    opts.glyph_names = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=chars)
    sub.subset(font)
    _to_truetype(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    font.save(str(tmp))
    tmp.replace(out)
    notice = font["name"].getDebugName(0) or ""
    LICENSE_PATH.write_text(_license_text(notice), encoding="utf-8")
    return {
        "file": str(out),
        "bytes": out.stat().st_size,
        "characters": len(chars),
        "ext_a": sum(0x3400 <= u <= 0x4DBF for u in chars),
        "supplementary": sum(u >= 0x20000 for u in chars),
    }


def _license_text(notice: str) -> str:
    return (
        f"{FONT_PATH.name}: a subset of Noto Sans CJK SC Regular, converted to TrueType outlines by\n"
        "xueji_lib/reporting/fonts/build.py (a Modified Version under the licence below; Reserved Font Name\n"
        "of the original: 'Source').\n\n"
        f"{notice}\n\n" + OFL_TEXT
    )


OFL_TEXT = """\
This Font Software is licensed under the SIL Open Font License, Version 1.1.
This license is copied below, and is also available with a FAQ at:
https://openfontlicense.org


-----------------------------------------------------------
SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007
-----------------------------------------------------------

PREAMBLE
The goals of the Open Font License (OFL) are to stimulate worldwide
development of collaborative font projects, to support the font creation
efforts of academic and linguistic communities, and to provide a free and
open framework in which fonts may be shared and improved in partnership
with others.

The OFL allows the licensed fonts to be used, studied, modified and
redistributed freely as long as they are not sold by themselves. The
fonts, including any derivative works, can be bundled, embedded,
redistributed and/or sold with any software provided that any reserved
names are not used by derivative works. The fonts and derivatives,
however, cannot be released under any other type of license. The
requirement for fonts to remain under this license does not apply
to any document created using the fonts or their derivatives.

DEFINITIONS
"Font Software" refers to the set of files released by the Copyright
Holder(s) under this license and clearly marked as such. This may
include source files, build scripts and documentation.

"Reserved Font Name" refers to any names specified as such after the
copyright statement(s).

"Original Version" refers to the collection of Font Software components as
distributed by the Copyright Holder(s).

"Modified Version" refers to any derivative made by adding to, deleting,
or substituting -- in part or in whole -- any of the components of the
Original Version, by changing formats or by porting the Font Software to a
new environment.

"Author" refers to any designer, engineer, programmer, technical
writer or other person who contributed to the Font Software.

PERMISSION & CONDITIONS
Permission is hereby granted, free of charge, to any person obtaining
a copy of the Font Software, to use, study, copy, merge, embed, modify,
redistribute, and sell modified and unmodified copies of the Font
Software, subject to the following conditions:

1) Neither the Font Software nor any of its individual components,
in Original or Modified Versions, may be sold by itself.

2) Original or Modified Versions of the Font Software may be bundled,
redistributed and/or sold with any software, provided that each copy
contains the above copyright notice and this license. These can be
included either as stand-alone text files, human-readable headers or
in the appropriate machine-readable metadata fields within text or
binary files as long as those fields can be easily viewed by the user.

3) No Modified Version of the Font Software may use the Reserved Font
Name(s) unless explicit written permission is granted by the corresponding
Copyright Holder. This restriction only applies to the primary font name as
presented to the users.

4) The name(s) of the Copyright Holder(s) and the Author(s) of the Font
Software shall not be used to promote, endorse or advertise any
Modified Version, except to acknowledge the contribution(s) of the
Copyright Holder(s) and the Author(s) or with their explicit written
permission.

5) The Font Software, modified or unmodified, in part or in whole,
must be distributed entirely under this license, and must not be
distributed under any other license. The requirement for fonts to
remain under this license does not apply to any document created
using the Font Software.

TERMINATION
This license becomes null and void if any of the above conditions are
not met.

DISCLAIMER
THE FONT SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO ANY WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT
OF COPYRIGHT, PATENT, TRADEMARK, OR OTHER RIGHT. IN NO EVENT SHALL THE
COPYRIGHT HOLDER BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY,
INCLUDING ANY GENERAL, SPECIAL, INDIRECT, INCIDENTAL OR CONSEQUENTIAL
DAMAGES, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
FROM, OUT OF THE USE OR INABILITY TO USE THE FONT SOFTWARE OR FROM
OTHER DEALINGS IN THE FONT SOFTWARE.
"""


def main(argv: list[str] | None = None) -> int:
    """The command line: build the font, print what it holds."""
    parser = argparse.ArgumentParser(description="重新生成打印核对表用的字体子集（Noto Sans CJK SC，SIL OFL 1.1）")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="Noto Sans CJK 字体文件（.ttc 或 .otf）")
    parser.add_argument("--out", type=Path, default=FONT_PATH, help="输出的 TrueType 文件")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"找不到字体文件 {args.source}：请安装 fonts-noto-cjk，或用 --source 指定", file=sys.stderr)
        return 2
    info = build(args.source, args.out)
    print(
        f"已写出 {info['file']}：{info['bytes'] / 1e6:.1f} MB，{info['characters']} 个字符"
        f"（扩展 A {info['ext_a']} 个，补充平面 {info['supplementary']} 个）"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
