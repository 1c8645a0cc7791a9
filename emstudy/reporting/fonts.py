"""The one font that draws Chinese in emstudy's figures, PDF reports and HTML pages: "Emstudy Sans SC".

A fresh machine usually has no CJK font: matplotlib would draw empty boxes and a browser would fall back to
whatever it finds. emstudy therefore ships ``assets/EmstudySansSC-Regular.ttf``, a subset of Noto Sans CJK SC
Regular (SIL Open Font License 1.1, ``assets/OFL.txt``; how it was made: ``assets/README.md`` and
``tools/make_font.py``), and every renderer uses that file by its path, never a system font. A text that the
font does not cover is refused with one line naming the characters (:func:`check_covered`) rather than drawn
as boxes.

References
----------
Adobe and Google (2021). Noto Sans CJK, version 2.004. https://github.com/notofonts/noto-cjk
SIL International (2007). SIL Open Font License, version 1.1. https://openfontlicense.org
"""

from __future__ import annotations

import functools
from pathlib import Path

from emstudy.errors import EmstudyError
from emstudy.fileio import atomic_write_bytes

__all__ = [
    "FONT_FILE",
    "FONT_FAMILY",
    "LICENSE_FILE",
    "WEB_FONT_DIR",
    "font_bytes",
    "covered_characters",
    "missing_characters",
    "check_covered",
    "matplotlib_family",
    "write_web_font",
]

_ASSETS = Path(__file__).resolve().parent / "assets"
FONT_FILE: Path = _ASSETS / "EmstudySansSC-Regular.ttf"
"""The shipped font file (TrueType outlines)."""
FONT_FAMILY = "Emstudy Sans SC"
"""Its family name, as matplotlib, reportlab and CSS know it."""
LICENSE_FILE: Path = _ASSETS / "OFL.txt"
"""The font's licence, which travels with every copy of the font."""
WEB_FONT_DIR = "fonts"
"""Folder under ``reports/`` that holds the font and its licence for the HTML pages."""


def font_bytes() -> bytes:
    """The shipped font file's bytes."""
    return FONT_FILE.read_bytes()


@functools.cache
def covered_characters() -> frozenset[str]:
    """Every character the shipped font has a glyph for (its Unicode cmap)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(FONT_FILE), lazy=True) as font:
        return frozenset(chr(c) for c in font.getBestCmap())


def missing_characters(text: str) -> str:
    """The characters of `text` that the shipped font cannot draw, sorted and unique (whitespace and control
    characters are not drawn and are never missing).

    Examples
    --------
    >>> missing_characters("文成县 Wencheng: α = 0.82")
    ''
    >>> missing_characters("\U00020000")
    '\U00020000'
    """
    have = covered_characters()
    return "".join(sorted({c for c in text if not c.isspace() and c.isprintable() and c not in have}))


def check_covered(text: str, *, where: str) -> None:
    """Raise :class:`~emstudy.errors.EmstudyError` (one line naming `where` and the characters) when the
    shipped font cannot draw part of `text`."""
    missing = missing_characters(text)
    if missing:
        codes = ", ".join(f"U+{ord(c):04X}" for c in missing)
        raise EmstudyError(
            f"{where}: the characters {missing!r} ({codes}) are not in emstudy's font {FONT_FAMILY}; "
            f"add them with `python tools/make_font.py --add '{missing}'` (needs fonts-noto-cjk) or write them otherwise"
        )


@functools.cache
def matplotlib_family() -> str:
    """Register the shipped font with matplotlib's font manager (once per process) and return its family name,
    for ``rc_context({"font.family": ...})`` or ``FontProperties(family=...)``."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_FILE))
    return FONT_FAMILY


def write_web_font(reports_dir: str | Path) -> list[Path]:
    """Copy the font and its licence to ``<reports_dir>/fonts/`` (atomically) for the HTML pages' ``@font-face``."""
    target = Path(reports_dir) / WEB_FONT_DIR
    return [
        atomic_write_bytes(target / FONT_FILE.name, font_bytes()),
        atomic_write_bytes(target / LICENSE_FILE.name, LICENSE_FILE.read_bytes()),
    ]
