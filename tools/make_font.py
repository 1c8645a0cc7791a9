"""Build emstudy's CJK font, ``emstudy/reporting/assets/EmstudySansSC-Regular.ttf``, from Noto Sans CJK SC.

The figures, PDF reports and HTML pages draw Chinese with this one file, so that a fresh machine with no CJK
font renders them the same. It is a subset of Noto Sans CJK SC Regular (SIL Open Font License 1.1) with:

* Basic Latin, Latin-1, Latin Extended-A, Greek, general punctuation, super/subscripts, arrows and the
  mathematical operators that the source font has (the English reports and figures use it too);
* CJK symbols and punctuation, full-width forms, and every character of GB 2312 (its 6,763 hanzi cover the
  names of places and people a new case is likely to bring);
* every other character that the project's own texts use (``emstudy/``, ``data/``, ``notebooks/``).

The CFF outlines are converted to TrueType quadratic outlines (reportlab embeds TrueType only), hinting, vertical
metrics and OpenType layout tables are dropped, and the family is renamed "Emstudy Sans SC" (a modified version keeps no primary name of the
original; the OFL declares no Reserved Font Name for Noto Sans CJK, the new name avoids confusion with the
full font). The build is deterministic: the same source file gives the same bytes.

Usage, from the project root, with Debian's ``fonts-noto-cjk`` (1:20220127+repack1-1) installed::

    python tools/make_font.py [--source /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc] [--add 字符]

``--add`` takes characters a user's own case needs beyond the set above; ``tests/test_reporting_fonts.py``
checks that every character of the project's texts is covered.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "emstudy" / "reporting" / "assets" / "EmstudySansSC-Regular.ttf"
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FACE = "Noto Sans CJK SC"
FAMILY = "Emstudy Sans SC"
POSTSCRIPT = "EmstudySansSC-Regular"
BLOCKS = [
    (0x0020, 0x007E),
    (0x00A0, 0x017F),
    (0x0370, 0x03FF),
    (0x2000, 0x206F),
    (0x2070, 0x209F),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x2460, 0x24FF),
    (0x25A0, 0x25FF),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
]
TEXT_SUFFIXES = {".py", ".yml", ".yaml", ".md", ".ipynb", ".csv", ".txt", ".json"}


def gb2312() -> set[str]:
    """Every character of GB 2312 (rows 0xA1-0xF7, cells 0xA1-0xFE that decode)."""
    out = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def project_characters() -> set[str]:
    """Every non-ASCII character of the tracked texts under emstudy/, data/ and notebooks/."""
    names = subprocess.run(
        ["git", "ls-files", "emstudy", "data", "notebooks"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    chars: set[str] = set()
    for name in names:
        path = ROOT / name
        if path.suffix in TEXT_SUFFIXES and path.is_file():
            chars |= {c for c in path.read_text(encoding="utf-8", errors="ignore") if ord(c) > 0x7E}
    return chars


def load_face(source: Path) -> TTFont:
    if source.suffix.lower() == ".ttc":
        for font in TTCollection(str(source), recalcTimestamp=False).fonts:
            if font["name"].getDebugName(1) == FACE:
                return font
        sys.exit(f"{source}: no face named {FACE!r}")
    return TTFont(str(source), recalcTimestamp=False)


def to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines by quadratic TrueType ones (max error 1 unit of 1000), in place."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 3.0  # no glyph names: nothing that reads the font needs them
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    name = font["name"]
    keep = {0, 2, 3, 5, 7, 8, 9, 11, 12, 13, 14}
    name.names = [r for r in name.names if r.nameID in keep and r.platformID == 3 and r.langID == 0x409]
    for record_id, text in (
        (1, FAMILY),
        (2, "Regular"),
        (3, f"{POSTSCRIPT};emstudy subset"),
        (4, f"{FAMILY} Regular"),
        (6, POSTSCRIPT),
        (
            10,
            "A subset of Noto Sans CJK SC Regular 2.004 with TrueType outlines, made by emstudy's tools/make_font.py.",
        ),
    ):
        name.setName(text, record_id, 3, 1, 0x409)


def build(source: Path, extra: str) -> bytes:
    font = load_face(source)
    chars = gb2312() | project_characters() | set(extra)
    for lo, hi in BLOCKS:
        chars |= {chr(c) for c in range(lo, hi + 1)}
    cmap = font.getBestCmap()
    codepoints = sorted(ord(c) for c in chars if ord(c) in cmap)
    options = subset.Options()
    options.layout_features = []  # horizontal text without substitutions: one glyph per character
    options.drop_tables += ["BASE", "GDEF", "GPOS", "GSUB", "vhea", "vmtx", "VORG"]
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    to_truetype(font)
    rename(font)
    font.recalcTimestamp = False
    out = Path("/tmp") / f"emstudy-font-{hashlib.sha256(str(source).encode()).hexdigest()[:8]}.ttf"
    font.save(str(out), reorderTables=True)
    data = out.read_bytes()
    out.unlink()
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="Noto Sans CJK Regular (.ttc or SC .otf)")
    parser.add_argument("--add", default="", help="extra characters to cover")
    args = parser.parse_args()
    if not args.source.is_file():
        print(f"{args.source}: not found; apt-get install fonts-noto-cjk, or pass --source", file=sys.stderr)
        return 2
    data = build(args.source, args.add)
    OUT.write_bytes(data)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
