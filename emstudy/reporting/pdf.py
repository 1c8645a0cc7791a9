"""A :class:`~emstudy.reporting.document.Report` as PDF (A4), with reportlab's platypus.

The layout follows the HTML page and the Word document: the report's title, the banner (synthetic data,
reconstructed thesis) in a bordered, shaded box on the first page, the sections as headings that are also the
PDF's outline (bookmarks), paragraphs, bullets, tables in APA style (numbered caption above, a rule above
and below the table and under the header row, no vertical lines, numbers right-aligned; a table longer than
a page continues on the next with its caption and header repeated), figures scaled to the text width with a
numbered caption below, a section's sources in small grey type, and the page number in the footer. Cells
are formatted as the HTML page formats them (:func:`emstudy.reporting.render._formatted`).

Every character is drawn with the font that travels with the package (:mod:`emstudy.reporting.fonts`,
embedded as a subset), so that the PDF shows Chinese on any machine; a text the font cannot draw is refused
with one line. Chinese paragraphs break between any two Chinese characters and at spaces, never inside a
Latin word or number, never before closing punctuation (，。、；：）》…) nor after opening punctuation (（《“):
a character that may not start a line goes down with the one before it (:func:`_break_cjk`), where
reportlab's own ``wordWrap="CJK"`` hangs it into the margin and lacks the full-width comma and colon.

Byte-stable: two renders of one report are the same bytes, on any machine with the locked packages.

- reportlab's *invariant* mode writes the fixed date 2000-01-01 as creation and modification date and derives
  the document ID from the content (no clock, no random numbers); title, author ("emstudy"), subject,
  creator and language are set explicitly.
- **No stream is deflated by Python's zlib.** reportlab compresses page contents, embedded fonts and images
  with ``zlib.compress``, that is with the system's zlib (CPython's ``zlib`` module links ``libz.so.1``), and
  deflate output is not specified byte for byte: zlib 1.2.x, zlib-ng (the system zlib of Fedora 40 and later,
  and the one bundled in Pillow's wheels) and Chromium's fork all inflate each other's streams but
  choose different matches, so the same PDF would get different bytes on another distribution. Measured
  here (the filtered scanlines of ``reports/figures/wencheng_ipa.png`` deflated at level 6): CPython's zlib
  (system zlib 1.2.13) gives 44,074 bytes, Pillow's PNG encoder (its bundled zlib-ng) 48,230 bytes, and both
  inflate to the same pixels. So page contents and fonts are written uncompressed (``pageCompression=0``;
  the study's reports are 170-370 kB, the font subset about 110 kB of a Chinese one), and images do not go
  through reportlab's image loader at all: the figure's PNG is flattened onto white and re-encoded by Pillow,
  and its zlib stream (the IDAT chunks) is embedded as it is, with the PNG predictors declared in
  ``/DecodeParms`` (PDF 1.7, 7.4.4.4). The image bytes then come from the same encoder, in the same locked
  Pillow wheel, that writes the figure PNGs themselves: the PDF varies only where the figures already would.

References
----------
American Psychological Association (2020). *Publication manual of the American Psychological Association*
(7th ed.), chapter 7: tables and figures.
ISO 32000-1:2008. *Document management -- Portable document format -- Part 1: PDF 1.7*, 7.4.4 (FlateDecode
and its predictors) and 8.9.5 (image dictionaries).
ReportLab (2024). *ReportLab PDF Library User Guide*, version 4, chapters 5 (platypus) and 7 (tables).
W3C (2020). *Requirements for Chinese Text Layout* (clreq), Working Group Note, 3.1.7 (line breaking and
punctuation).
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
from PIL import Image, UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RLTable

from emstudy.errors import EmstudyError
from emstudy.reporting import fonts
from emstudy.reporting.document import FigureRef, Report, Section, Table
from emstudy.reporting.render import _formatted

__all__ = ["render_pdf", "AUTHOR"]

AUTHOR = "emstudy"
"""Author and creator written into every PDF's document information."""

_MARGIN = 2.54 * cm
_TEXT = {
    "en": {"table": "Table {n}. ", "figure": "Figure {n}. ", "lang": "en-US"},
    "zh": {"table": "表{n}\u3000", "figure": "图{n}\u3000", "lang": "zh-CN"},
}
_INK, _GREY, _ACCENT = colors.HexColor("#1b1b1b"), colors.HexColor("#555555"), colors.HexColor("#1f3a5f")
_BANNER_EDGE, _BANNER_FILL = colors.HexColor("#b45309"), colors.HexColor("#fff7ed")
_NO_PADDING = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}  # text at the margins
_HEADING_ROOM = 2.5 * cm  # a heading lower on the page starts the next one
_LONG_TABLE_START = 4.5 * cm  # a table longer than a page starts where this much room is left
_MAX_FIGURE_SHARE = 0.62  # of the frame's height: a figure and its caption fit on a page with some text


# -- font --------------------------------------------------------------------------------------------------------
_REGISTERED: dict[Path, str] = {}


def _font_name(font_file: Path) -> str:
    """Register `font_file` with reportlab once per process; the name it is known by."""
    font_file = Path(font_file).resolve()
    if font_file not in _REGISTERED:
        name = f"EmstudyPDF{len(_REGISTERED)}"
        pdfmetrics.registerFont(TTFont(name, str(font_file)))
        _REGISTERED[font_file] = name
    return _REGISTERED[font_file]


def _styles(font: str, lang: str) -> dict[str, ParagraphStyle]:
    wrap = {"wordWrap": "CJK"} if lang == "zh" else {}
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15.5, textColor=_INK, spaceAfter=6, **wrap)
    return {
        "body": base,
        "title": ParagraphStyle("title", base, fontSize=19, leading=25, textColor=_ACCENT, spaceAfter=10),
        "heading": ParagraphStyle(
            "heading", base, fontSize=14, leading=19, textColor=_ACCENT, spaceBefore=12, spaceAfter=6, keepWithNext=1
        ),
        "banner": ParagraphStyle("banner", base, fontSize=10, leading=14.5, spaceAfter=2),
        "caption": ParagraphStyle("caption", base, fontSize=9.5, leading=13, textColor=_ACCENT, spaceAfter=0),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=11, spaceAfter=0),
        "cell_right": ParagraphStyle("cell_right", base, fontSize=8.5, leading=11, spaceAfter=0, alignment=TA_RIGHT),
        "source": ParagraphStyle("source", base, fontSize=8, leading=11, textColor=_GREY, spaceBefore=2),
        "footer": ParagraphStyle("footer", base, fontSize=8.5, textColor=_GREY, alignment=TA_CENTER),
    }


def _markup(text: object) -> str:
    """Plain text as paragraph markup: XML special characters escaped, runs of white space one space (as in HTML)."""
    return escape(" ".join(str(text).split()))


_RELATIONS = "<>=≤≥≈±"  # "p < .001", "df = 144" stay on one line
_NO_LINE_START = frozenset(
    "!%),.:;?]}°·'\"’”‰℃、。〉》」』】〕〗〞！＂％＇），．：；？］｝～…—・" + _RELATIONS  # closing, stops, marks
)
_NO_LINE_END = frozenset("([{£¥‘“〈《「『【〔〖〝（［｛￡￥" + _RELATIONS)  # opening brackets and quotes, currency


def _break_allowed(before: str, after: str, *, spaced: bool = False) -> bool:
    """May a Chinese line end between the characters `before` and `after` (the nearest ones that are not spaces;
    `spaced`: with spaces between them)? At spaces and next to Chinese characters, but never before closing
    punctuation nor after opening punctuation (W3C clreq 3.1.7; reportlab's own list lacks the full-width
    comma, colon, semicolon, question and exclamation marks), never next to a relation sign, and never inside a
    Latin word or number, except after a slash (file paths)."""
    if after in _NO_LINE_START or before in _NO_LINE_END:
        return False
    wide = lambda c: unicodedata.east_asian_width(c) in ("W", "F")  # noqa: E731
    return spaced or wide(before) or wide(after) or before == "/"


def _break_cjk(text: str, max_widths: list[float], font: str, size: float) -> list[list]:
    """Greedy line breaking of mixed Chinese and Latin text: fill the line, then step back to the last place a
    line may end (a character that cannot start a line goes down with the one before it, rather than hanging in
    the margin as reportlab's own CJK wrapping does); cut where it overflows when a line has no such place."""
    n = len(text)
    widths = [pdfmetrics.stringWidth(c, font, size) for c in text]
    before, after = [""] * (n + 1), [""] * (n + 1)  # nearest character that is not a space, each side of a gap
    for k in range(1, n + 1):
        before[k] = before[k - 1] if text[k - 1].isspace() else text[k - 1]
    for k in range(n - 1, -1, -1):
        after[k] = after[k + 1] if text[k].isspace() else text[k]

    def allowed(b: int) -> bool:
        return _break_allowed(before[b], after[b], spaced=text[b - 1].isspace() or text[b].isspace())

    lines: list[list] = []
    start = 0
    while start < n:
        while start < n and text[start].isspace():
            start += 1
        if start == n:
            break
        limit = max_widths[min(len(lines), len(max_widths) - 1)] + 1e-6
        end, used = start, 0.0
        while end < n and used + widths[end] <= limit:
            used += widths[end]
            end += 1
        if end < n:
            fit = next((b for b in range(end, start, -1) if allowed(b)), None)
            end = fit if fit is not None else max(end, start + 1)
        line = text[start:end].rstrip()
        lines.append([limit - sum(widths[start : start + len(line)]), line])
        start = end
    return lines


class _Para(Paragraph):
    """A paragraph; with ``wordWrap="CJK"`` (Chinese reports) broken into lines by :func:`_break_cjk` (a paragraph
    split across pages continues with the lines computed before, as reportlab does)."""

    def breakLinesCJK(self, maxWidths):  # noqa: N802, N803 - reportlab's names
        frags = self.frags
        # escaped markup (&lt; &amp;) splits a paragraph of one style into several fragments: join them again
        plain = frags and not self.bulletText and not getattr(self, "_splitpara", 0)
        plain = plain and all(
            hasattr(f, "text") and not hasattr(f, "cbDefn") and not hasattr(f, "lineBreak") for f in frags
        )
        style = lambda f: (f.fontName, f.fontSize, f.textColor, f.rise, getattr(f, "link", None))  # noqa: E731
        if not plain or any(style(f) != style(frags[0]) for f in frags):
            return super().breakLinesCJK(maxWidths)
        frag = frags[0]
        widths = list(maxWidths) if isinstance(maxWidths, (list, tuple)) else [maxWidths]
        lines = _break_cjk("".join(f.text for f in frags), widths, frag.fontName, frag.fontSize)
        self.height = 0
        return frag.clone(
            kind=0, lines=[(space, [line]) for space, line in lines], ascent=frag.fontSize, descent=-0.2 * frag.fontSize
        )


def _report_text(report: Report) -> str:
    """Every string the PDF draws from the report (for the font-coverage check)."""
    parts = [report.title, *report.banner, *(v["table"] + v["figure"] for v in _TEXT.values()), "0123456789"]
    for section in report.sections:
        parts += [section.heading, *section.paragraphs, *section.bullets, section.source]
        parts += [f.caption for f in section.figures]
        for table in section.tables:
            frame = _formatted(table)
            parts += [table.caption, *map(str, frame.columns), *(str(v) for v in frame.to_numpy().ravel())]
    return "\n".join(parts)


# -- figures: PNG data embedded as they are (see the module docstring) -----------------------------------------
class _PngImage(pdfdoc.PDFObject):
    """An image XObject whose stream is a PNG's zlib data, decoded by the PDF reader's PNG predictors."""

    def __init__(self, name: str, idat: bytes, width: int, height: int, colour_space: str, components: int):
        self.name, self.idat, self.width, self.height = name, idat, width, height
        self.colour_space, self.components = colour_space, components

    def format(self, document):
        stream = pdfdoc.PDFStream(content=self.idat)
        d = stream.dictionary
        d["Type"], d["Subtype"] = pdfdoc.PDFName("XObject"), pdfdoc.PDFName("Image")
        d["Width"], d["Height"], d["BitsPerComponent"] = self.width, self.height, 8
        d["ColorSpace"] = pdfdoc.PDFName(self.colour_space)
        d["Filter"] = pdfdoc.PDFName("FlateDecode")  # a name, not an array: DecodeParms is then one dictionary
        d["DecodeParms"] = pdfdoc.PDFDictionary(
            {"Predictor": 15, "Colors": self.components, "BitsPerComponent": 8, "Columns": self.width}
        )
        d["Length"] = len(self.idat)
        return stream.format(document)


def _png_chunks(data: bytes):
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        yield data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length


def _load_png(path: Path, shown: str) -> tuple[_PngImage, float]:
    """The figure as an image XObject and its natural width in points (from the PNG's dpi, else 100 dpi)."""
    if not path.is_file():
        raise EmstudyError(f"{shown}: figure file not found; run the step that draws it (emstudy run) first")
    try:
        with Image.open(path) as im:
            im.load()
            dpi = round(float((im.info.get("dpi") or (100.0, 100.0))[0]), 2) or 100.0  # PNG: per metre, 99.9998
            grey = im.mode in ("L", "LA")
            white = Image.new("RGBA", im.size, (255, 255, 255, 255))
            flat = Image.alpha_composite(white, im.convert("RGBA")).convert("L" if grey else "RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise EmstudyError(f"{shown}: not a readable image ({exc}); redraw the figure (emstudy run)") from None
    buffer = io.BytesIO()
    flat.save(buffer, format="PNG", compress_level=9)  # Pillow's encoder, as for the figure files
    data = buffer.getvalue()
    idat = b"".join(body for kind, body in _png_chunks(data) if kind == b"IDAT")
    name = "png" + pdfdoc.md5(data, usedforsecurity=False).hexdigest()[:16]
    image = _PngImage(name, idat, flat.width, flat.height, "DeviceGray" if grey else "DeviceRGB", 1 if grey else 3)
    return image, flat.width * 72.0 / dpi


class _Figure(Flowable):
    """A PNG image drawn at a fixed size (an XObject shared by every use of the same bytes)."""

    def __init__(self, image: _PngImage, width: float, height: float):
        super().__init__()
        self.image, self.width, self.height = image, width, height
        self.hAlign = "CENTER"

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        # canvas.drawImage would re-deflate the pixels with the system zlib; this registers the XObject as it does
        canv, image = self.canv, self.image
        reg_name = canv._doc.getXObjectName(image.name)
        if reg_name not in canv._doc.idToObject:
            canv._doc.Reference(image, reg_name)
            canv._doc.addForm(image.name, image)
        canv.saveState()
        canv.scale(self.width, self.height)
        canv._code.append(f"/{reg_name} Do")
        canv.restoreState()
        canv._formsinuse.append(image.name)
        canv._currentPageHasImages = 1


# -- building blocks ---------------------------------------------------------------------------------------------
def _column_widths(
    cells: list[list[str]], numeric: list[bool], font: str, size: float, available: float, lang: str
) -> list[float]:
    """Column widths filling the text width: natural widths widened (text columns first), or narrowed towards
    each column's longest word when the table is too wide."""
    pad = 11.0  # the cell's padding (4 + 4) and room for rounding in the paragraph's line breaking
    width = lambda s: pdfmetrics.stringWidth(s, font, size)  # noqa: E731
    words = (lambda s: list(s)) if lang == "zh" else (lambda s: s.split())
    columns = list(zip(*cells, strict=True))
    natural = [max(width(c) for c in col) + pad for col in columns]
    least = [min(max((width(w) for c in col for w in words(c)), default=0.0) + pad, 90.0) for col in columns]
    least = [min(a, b) for a, b in zip(least, natural, strict=True)]
    if sum(natural) <= available:
        grow = [w if not num else 0.0 for w, num in zip(natural, numeric, strict=True)]
        grow = grow if sum(grow) > 0 else natural
        return [w + g * (available - sum(natural)) / sum(grow) for w, g in zip(natural, grow, strict=True)]
    if sum(least) >= available:
        return [w * available / sum(least) for w in least]
    share = (available - sum(least)) / (sum(natural) - sum(least))
    return [a + (b - a) * share for a, b in zip(least, natural, strict=True)]


_NUMERIC = re.compile(
    r"[<>=≤≥]?\s*[-−+]?(\d[\d,]*(\.\d+)?|\.\d+)%?"  # 0.73, -1.2, < .001, 12%, 1,234
    r"(\s*[\[(]\s*[-−+]?[\d.]+\s*[,;]\s*[-−+]?[\d.]+\s*[\])])?"  # and its interval: 0.73 [0.68, 0.78]
)


def _looks_numeric(cell: str) -> bool:
    """``0.73``, ``-1.2``, ``< .001``, ``12%``, ``0.73 [0.68, 0.78]``: a number, maybe with its interval."""
    return bool(_NUMERIC.fullmatch(cell.strip()))


def _numeric_columns(table: Table, formatted: pd.DataFrame) -> list[bool]:
    """Columns of numbers, right-aligned: by dtype, or every non-empty cell reads as a number; never the first."""
    source = table.frame.reset_index() if table.index else table.frame
    out = []
    for k, (shown, col) in enumerate(zip(formatted.columns, source.columns, strict=True)):
        dtype = source[col].dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        cells = [v for v in formatted[shown] if v != ""]
        out.append(k > 0 and (numeric or (bool(cells) and all(_looks_numeric(v) for v in cells))))
    return out


def _table(table: Table, number: int, styles, available: float, lang: str) -> RLTable:
    """An APA table: caption row and header row repeated on every page it runs over."""
    frame = _formatted(table)
    header = [str(c) for c in frame.columns]
    body = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    numeric = _numeric_columns(table, frame)
    widths = _column_widths([header, *body], numeric, styles["cell"].fontName, styles["cell"].fontSize, available, lang)
    cell = lambda text, k: _Para(_markup(text), styles["cell_right" if numeric[k] else "cell"])  # noqa: E731
    caption = _Para(_markup(_TEXT[lang]["table"].format(n=number) + table.caption), styles["caption"])
    rows = [[caption] + [""] * (len(header) - 1), [cell(h, k) for k, h in enumerate(header)]]
    rows += [[cell(v, k) for k, v in enumerate(row)] for row in body]
    out = RLTable(rows, colWidths=widths, repeatRows=2, hAlign="LEFT", splitByRow=1)
    out.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("FONT", (0, 0), (-1, -1), styles["cell"].fontName, styles["cell"].fontSize),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 5),
                ("LINEABOVE", (0, 1), (-1, 1), 1.0, _INK),
                ("LINEBELOW", (0, 1), (-1, 1), 0.5, _INK),
                ("LINEBELOW", (0, -1), (-1, -1), 1.0, _INK),
            ]
        )
    )
    return out


def _figure(figure: FigureRef, number: int, styles, reports_dir: Path, frame_size, lang: str) -> Flowable:
    image, natural = _load_png(reports_dir / figure.path, figure.path)
    width = min(frame_size[0], natural)
    height = width * image.height / image.width
    if height > _MAX_FIGURE_SHARE * frame_size[1]:
        height = _MAX_FIGURE_SHARE * frame_size[1]
        width = height * image.width / image.height
    caption = _Para(_markup(_TEXT[lang]["figure"].format(n=number) + figure.caption), styles["caption"])
    return KeepTogether([Spacer(1, 4), _Figure(image, width, height), Spacer(1, 4), caption, Spacer(1, 8)])


def _banner(report: Report, styles, width: float) -> RLTable:
    lines = [_Para(_markup(line), styles["banner"]) for line in report.banner]
    box = RLTable([[lines]], colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles["banner"].fontName, styles["banner"].fontSize),
                ("BOX", (0, 0), (-1, -1), 1.5, _BANNER_EDGE),
                ("BACKGROUND", (0, 0), (-1, -1), _BANNER_FILL),
                ("LEFTPADDING", (0, 0), (-1, -1), 9),
                ("RIGHTPADDING", (0, 0), (-1, -1), 9),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box


class _Heading(_Para):
    """A heading that becomes an entry of the PDF's outline."""

    outline_level = 0


class _Document(BaseDocTemplate):
    def afterFlowable(self, flowable):
        if isinstance(flowable, _Heading):
            key = f"h{self.seq.nextf('outline')}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=flowable.outline_level, closed=False)


def _footer(styles) -> Callable:
    def draw(canv, doc):
        canv.saveState()
        canv.setFont(styles["footer"].fontName, styles["footer"].fontSize)
        canv.setFillColor(styles["footer"].textColor)
        canv.drawCentredString(A4[0] / 2, _MARGIN / 2, str(doc.page))
        canv.restoreState()

    return draw


def _table_block(table: Table, number: int, styles, doc, lang: str) -> list:
    """A table that fits on a page moves whole to the next page rather than split; a longer one starts where it
    is (when a few rows fit) and runs over the following pages with its caption and header repeated."""
    flowable = _table(table, number, styles, doc.width, lang)
    flowable.spaceBefore, flowable.spaceAfter = 6, 10
    if flowable.wrap(doc.width, doc.height)[1] <= doc.height:
        return [KeepTogether([flowable])]
    return [CondPageBreak(_LONG_TABLE_START), flowable]


def _section(section: Section, counters: dict[str, int], styles, reports_dir: Path, doc, lang: str) -> list:
    heading = _Heading(_markup(section.heading), styles["heading"])
    # a blank line inside a paragraph of the model starts a new paragraph
    body = [_Para(_markup(p), styles["body"]) for text in section.paragraphs for p in text.split("\n\n") if p.strip()]
    if section.bullets:
        items = [ListItem(_Para(_markup(b), styles["body"]), leftIndent=14) for b in section.bullets]
        body.append(ListFlowable(items, bulletType="bullet", start="\u2022", bulletFontName=styles["body"].fontName))
    for table in section.tables:
        counters["table"] += 1
        body += _table_block(table, counters["table"], styles, doc, lang)
    for figure in section.figures:
        counters["figure"] += 1
        body.append(_figure(figure, counters["figure"], styles, reports_dir, (doc.width, doc.height), lang))
    if section.source:
        body.append(_Para(_markup(section.source), styles["source"]))
    if body and isinstance(body[0], CondPageBreak):  # a long table first: the heading goes with its first rows
        heading.keepWithNext = 0
        return [CondPageBreak(_LONG_TABLE_START + _HEADING_ROOM), heading, *body[1:]]
    return [CondPageBreak(_HEADING_ROOM), heading, *body]


def _render(report: Report, reports_dir: Path, font_file: Path) -> bytes:
    if report.lang not in _TEXT:
        raise ValueError(f"report.lang: expected 'en' or 'zh', got {report.lang!r}")
    styles = _styles(_font_name(font_file), report.lang)
    buffer = io.BytesIO()
    doc = _Document(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=report.title,
        author=AUTHOR,
        creator=AUTHOR,
        subject=report.banner[0] if report.banner else "",
        lang=_TEXT[report.lang]["lang"],
        invariant=1,
        pageCompression=0,
        displayDocTitle=1,
        initialFontName=styles["body"].fontName,
    )
    story: list = [_Para(_markup(report.title), styles["title"])]
    if report.banner:
        story += [_banner(report, styles, doc.width), Spacer(1, 8)]
    counters = {"table": 0, "figure": 0}
    for section in report.sections:
        story += _section(section, counters, styles, reports_dir, doc, report.lang)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="text", **_NO_PADDING)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_footer(styles))])
    doc.build(story)
    return buffer.getvalue()


def render_pdf(report: Report, *, reports_dir: str | Path) -> bytes:
    """The report as a PDF document (A4), every character in the shipped font; the same bytes for the same
    report and figure files.

    Parameters
    ----------
    report : emstudy.reporting.document.Report
    reports_dir : str or pathlib.Path
        The folder the report is written to; its figures are read from ``reports_dir / figure.path``.

    Returns
    -------
    bytes

    Raises
    ------
    emstudy.errors.EmstudyError
        One line naming the figure file that is missing or unreadable, or the characters the font lacks.

    References
    ----------
    American Psychological Association (2020). *Publication manual of the American Psychological Association*
    (7th ed.), chapter 7. ISO 32000-1:2008, *PDF 1.7*, 7.4.4 and 8.9.5.
    """
    fonts.check_covered(_report_text(report), where=f"PDF of the report {report.title!r}")
    return _render(report, Path(reports_dir), fonts.FONT_FILE)
