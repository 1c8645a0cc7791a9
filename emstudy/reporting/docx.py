"""A :class:`~emstudy.reporting.document.Report` as a Word document (``.docx``), with python-docx.

The layout is the one a thesis or a journal takes: A4 with 2.54 cm margins; the report's title as Heading 1
and its sections as Heading 2 (so that Word's navigation pane lists them); the banner (synthetic data,
reconstructed thesis) as a shaded, bordered box on the first lines; bullets in the *List Bullet* style;
tables as real Word tables in APA style (numbered caption above, a rule above and below the table and under
the header row, no vertical lines, numbers right-aligned, the header repeated on every page), formatted as the
HTML page formats them (:func:`emstudy.reporting.render._formatted`); figures scaled to the text width with a
numbered caption below; a section's sources in small grey type; page numbers in the footer.
The East Asian fonts are SimSun for text and SimHei for headings, as in Chinese theses (Word substitutes a
font the reader's machine lacks); the document's language (core properties) is ``zh-CN`` or ``en-US``, and
in both, runs tag Chinese text ``zh-CN`` and Latin text ``en-US``.

Byte-stable: two renders of one report are the same bytes on any machine. python-docx writes the time of
writing into the zip entries and keeps the template's metadata, so :func:`render_docx` sets every core
property itself (title, language, author and last editor "emstudy", revision 1, created = modified =
2000-01-01T00:00:00Z, no last-printed date) and rewrites the package: the same entries in a fixed order
(``[Content_Types].xml`` first, then by name), each with the timestamp 1980-01-01 00:00:00, the same
file attributes, and **stored, not deflated**, because deflate output can differ between zlib builds. The parts
themselves are deterministic: python-docx numbers images, relationships and drawing ids in the order they
are added, and lxml writes the XML the same way each time.

References
----------
American Psychological Association (2020). *Publication manual of the American Psychological Association*
(7th ed.), chapter 7: tables and figures.
ECMA-376 (5th ed., 2016). *Office Open XML File Formats*, Part 1 (WordprocessingML) and Part 2 (Open
Packaging Conventions).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import docx
import pandas as pd
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor

from emstudy.errors import EmstudyError
from emstudy.reporting import render as _render
from emstudy.reporting.document import FigureRef, Report, Section, Table

__all__ = ["render_docx", "FIXED_TIME"]

FIXED_TIME = datetime(2000, 1, 1, tzinfo=UTC)
"""The created and modified dates written into every document's core properties."""

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_PAGE_WIDTH, _PAGE_HEIGHT, _MARGIN = Cm(21.0), Cm(29.7), Cm(2.54)
_TEXT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN
_MAX_FIGURE_HEIGHT = Cm(18.0)
_KEEP_ROWS = 16
_LATIN_FONT = "Times New Roman"
_TEXT = {
    "en": {"table": "Table {n}", "figure": "Figure {n}", "sep": ". ", "lang": "en-US"},
    "zh": {"table": "表{n}", "figure": "图{n}", "sep": "  ", "lang": "zh-CN"},
}
_BODY_EAST_ASIAN, _HEADING_EAST_ASIAN = "SimSun", "SimHei"  # 宋体 and 黑体
_RULE = {"val": "single", "sz": "8", "space": "0", "color": "000000"}  # 1 pt (eighths of a point)
_BANNER_BORDER = {"val": "single", "sz": "12", "space": "4", "color": "B45309"}
_BANNER_FILL = "FFF7ED"
_SOURCE_COLOUR = RGBColor(0x55, 0x55, 0x55)
_WORD = re.compile(r"[^\s\u2e80-\uffff]+")
_CJK = re.compile(r"[\u2e80-\uffff]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
# a formatted cell that reads as a number: 0.73, -1.2, 31, 9.5%, 0.73 [0.68, 0.78], [0.68, 0.78], < .001
_NUMBER = r"[-−+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)%?"
_NUMERIC = re.compile(rf"^(?=.*\d)[<>=≤≥]?\s*(?:{_NUMBER})?(?:\s*[\[(]{_NUMBER},\s*{_NUMBER}[\])])?$")


def render_docx(report: Report, *, reports_dir: str | Path) -> bytes:
    """The report as a Word document; the bytes depend only on the report and its figure files.

    Parameters
    ----------
    report : Report
        The report (``report.lang`` is ``"en"`` or ``"zh"``).
    reports_dir : str or Path
        The folder the report is written to; each :class:`~emstudy.reporting.document.FigureRef` path is read
        relative to it.

    Returns
    -------
    bytes
        The ``.docx`` file: a zip of stored (not deflated) entries with fixed timestamps and order.

    Raises
    ------
    ValueError
        When ``report.lang`` is neither ``"en"`` nor ``"zh"``.
    EmstudyError
        When a figure file is missing or is not an image Word can show (one line naming the file).

    References
    ----------
    American Psychological Association (2020). *Publication manual* (7th ed.), chapter 7.
    """
    if report.lang not in _TEXT:
        raise ValueError(f"report.lang must be 'en' or 'zh', got {report.lang!r}")
    reports_dir = Path(reports_dir)
    document = docx.Document()
    _setup(document, report)
    styles = {name: document.styles[name] for name in ("Heading 1", "Heading 2", "List Bullet")}  # looked up once
    document.add_paragraph(_clean(report.title), style=styles["Heading 1"])
    _add_banner(document, report.banner)
    counters = {"table": 0, "figure": 0}
    for section in report.sections:
        _add_section(document, section, lang=report.lang, reports_dir=reports_dir, counters=counters, styles=styles)
    _trim(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return _stable_zip(buffer.getvalue())


def _clean(text: str) -> str:
    """Text as XML takes it: control characters (from pasted survey answers) become spaces."""
    return _CONTROL.sub(" ", str(text))


def _setup(document, report: Report) -> None:
    """Page, styles, languages, footer and core properties."""
    for sec in document.sections:
        sec.page_width, sec.page_height = _PAGE_WIDTH, _PAGE_HEIGHT
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(sec, side, _MARGIN)
        _add_page_number(sec.footer.paragraphs[0])
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(defaults, _BODY_EAST_ASIAN)
    _set_lang(defaults)
    normal = styles["Normal"]
    normal.font.size = Pt(11)
    _set_fonts(normal.element.get_or_add_rPr(), _BODY_EAST_ASIAN)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for name, size in (("Heading 1", 16), ("Heading 2", 13)):
        style = styles[name]
        style.font.size, style.font.bold, style.font.italic = Pt(size), True, False
        style.font.color.rgb = RGBColor(0, 0, 0)
        _set_fonts(style.element.get_or_add_rPr(), _HEADING_EAST_ASIAN)
        style.paragraph_format.space_before = Pt(18 if name == "Heading 1" else 14)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
    _set_fonts(styles["List Bullet"].element.get_or_add_rPr(), _BODY_EAST_ASIAN)
    core = document.core_properties
    core.title, core.language = _clean(report.title), _TEXT[report.lang]["lang"]
    core.author = core.last_modified_by = "emstudy"
    core.subject = core.keywords = core.category = core.comments = core.content_status = core.identifier = ""
    core.version = ""
    core.created = core.modified = FIXED_TIME
    core.revision = 1
    printed = core._element.find(qn("cp:lastPrinted"))
    if printed is not None:
        core._element.remove(printed)


def _set_fonts(rPr, east_asian: str) -> None:
    """Name the fonts outright: theme-font attributes would override the names, so they are removed."""
    fonts = rPr.get_or_add_rFonts()
    for key in list(fonts.attrib):
        del fonts.attrib[key]
    for attr, name in (("ascii", _LATIN_FONT), ("hAnsi", _LATIN_FONT), ("cs", _LATIN_FONT), ("eastAsia", east_asian)):
        fonts.set(qn(f"w:{attr}"), name)


def _set_lang(rPr) -> None:
    """Latin text is English and Chinese text zh-CN in both languages' documents: tagging Latin text zh-CN
    would let a line break inside a word ("r.dro|p = 0.45"), as LibreOffice does."""
    element = rPr.find(qn("w:lang"))
    if element is None:
        element = OxmlElement("w:lang")
        rPr.insert_element_before(element, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    element.set(qn("w:val"), "en-US")
    element.set(qn("w:eastAsia"), "zh-CN")
    element.set(qn("w:bidi"), "ar-SA")


def _add_page_number(paragraph) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._r.append(instr)
        else:
            run.text = text


# the order of the properties' children (ECMA-376 Part 1, 17.3.1.26 pPr, 17.4.60 tblPr, 17.4.70 tcPr): Word
# refuses a document whose properties are out of order, so an element is inserted before those that follow it
_ORDER = {
    "w:pPr": (
        "w:pStyle w:keepNext w:keepLines w:pageBreakBefore w:framePr w:widowControl w:numPr w:suppressLineNumbers "
        "w:pBdr w:shd w:tabs w:suppressAutoHyphens w:kinsoku w:wordWrap w:overflowPunct w:topLinePunct "
        "w:autoSpaceDE w:autoSpaceDN w:bidi w:adjustRightInd w:snapToGrid w:spacing w:ind w:contextualSpacing "
        "w:mirrorIndents w:suppressOverlap w:jc w:textDirection w:textAlignment w:textboxTightWrap w:outlineLvl "
        "w:divId w:cnfStyle w:rPr w:sectPr w:pPrChange"
    ).split(),
    "w:tblPr": (
        "w:tblStyle w:tblpPr w:tblOverlap w:bidiVisual w:tblStyleRowBandSize w:tblStyleColBandSize w:tblW w:jc "
        "w:tblCellSpacing w:tblInd w:tblBorders w:shd w:tblLayout w:tblCellMar w:tblLook w:tblCaption "
        "w:tblDescription"
    ).split(),
    "w:tcPr": (
        "w:cnfStyle w:tcW w:gridSpan w:hMerge w:vMerge w:tcBorders w:shd w:noWrap w:tcMar w:textDirection "
        "w:tcFitText w:vAlign w:hideMark"
    ).split(),
}


def _insert(parent, element, tag: str) -> None:
    """Insert ``element`` (``<tag>``) into a pPr, tblPr or tcPr where the schema puts it."""
    order = _ORDER[parent.tag.replace(parent.tag.split("}")[0] + "}", "w:")]
    parent.insert_element_before(element, *order[order.index(tag) + 1 :])


def _borders(parent, tag: str, sides: Sequence[str], spec: dict[str, str]) -> None:
    """Add ``<tag>`` (w:pBdr, w:tblBorders, w:tcBorders) with the given sides to a properties element."""
    box = OxmlElement(tag)
    for side in sides:
        edge = OxmlElement(f"w:{side}")
        for key, value in spec.items():
            edge.set(qn(f"w:{key}"), value)
        box.append(edge)
    _insert(parent, box, tag)


def _shade(pPr, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    _insert(pPr, shading, "w:shd")


def _add_banner(document, banner: Sequence[str]) -> None:
    """The banner lines as one shaded box (consecutive paragraphs with equal borders share one box)."""
    for k, line in enumerate(banner):
        paragraph = document.add_paragraph()
        paragraph.add_run(_clean(line)).bold = k == 0
        fmt = paragraph.paragraph_format
        fmt.space_after = Pt(0)
        fmt.keep_with_next = k < len(banner) - 1
        pPr = paragraph._p.get_or_add_pPr()
        _borders(pPr, "w:pBdr", ("top", "left", "bottom", "right"), _BANNER_BORDER)
        _shade(pPr, _BANNER_FILL)
    if banner:
        document.add_paragraph().paragraph_format.space_after = Pt(0)


def _add_section(
    document, section: Section, *, lang: str, reports_dir: Path, counters: dict[str, int], styles: dict
) -> None:
    document.add_paragraph(_clean(section.heading), style=styles["Heading 2"])
    for text in section.paragraphs:
        document.add_paragraph(_clean(text))
    for text in section.bullets:
        document.add_paragraph(_clean(text), style=styles["List Bullet"])
    for table in section.tables:
        counters["table"] += 1
        _add_table(document, table, number=counters["table"], lang=lang)
    for figure in section.figures:
        counters["figure"] += 1
        _add_figure(document, figure, number=counters["figure"], lang=lang, reports_dir=reports_dir)
    if section.source:
        run = document.add_paragraph().add_run(_clean(section.source))
        run.font.size = Pt(8)
        run.font.color.rgb = _SOURCE_COLOUR


def _caption(document, label: str, caption: str, *, lang: str, above: bool):
    """A numbered caption: the label in bold, the caption in italics (APA; Chinese captions stay upright)."""
    paragraph = document.add_paragraph()
    paragraph.add_run(label + _TEXT[lang]["sep"]).bold = True
    paragraph.add_run(_clean(caption)).italic = lang == "en"
    fmt = paragraph.paragraph_format
    fmt.keep_with_next = above
    fmt.space_before, fmt.space_after = Pt(6 if above else 2), Pt(4 if above else 10)
    return paragraph


def _right_aligned(table: Table, formatted: pd.DataFrame) -> list[bool]:
    """Columns of numbers (by dtype, or every non-empty cell reading as a number); the first stays left."""
    source = table.frame.reset_index() if table.index else table.frame
    out = []
    for k, (col, values) in enumerate(zip(formatted.columns, source.columns)):
        dtype = source[values].dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        cells = [v for v in formatted[col] if v != ""]
        numeric = numeric or (bool(cells) and all(_NUMERIC.match(v) for v in cells))
        out.append(k > 0 and numeric)
    return out


def _char_em(ch: str) -> float:
    """A character's advance in em, the largest of its class in Times New Roman (and its metric twin
    Liberation Serif): CJK and fullwidth 1, M/W 0.95, m/w 0.8, capitals 0.72, narrow punctuation and
    f/i/j/l/r/t 0.34, other letters and digits 0.5."""
    if ord(ch) >= 0x2E80:
        return 1.0
    if ch in "MW":
        return 0.95
    if ch in "mw":
        return 0.8
    if ch.isupper() or ch in "%&@":
        return 0.72
    if ch in " .,;:!'|()[]/-ijltfr":
        return 0.34
    return 0.5


def _text_width(text: str, size: float) -> float:
    """Width of a line of ``text`` at ``size`` points, in EMU (estimated a little generously)."""
    return sum(_char_em(ch) for ch in text) * size * 12700


def _unbreakable(text: str) -> list[str]:
    """The parts of a cell that should not break: Latin words, and Chinese runs up to four characters (a
    Chinese line may break between any two characters, but a word of two to four is better kept whole)."""
    return _WORD.findall(text) + [run[:4] for run in _CJK.findall(text)] + [""]


def _column_widths(formatted: pd.DataFrame, size: float, numeric: Sequence[bool]) -> list[int]:
    """Column widths (EMU) that fill the text width, much as a browser lays out an HTML table.

    Every column gets at least its longest word, or its widest number (headers wrap, numbers never); then
    the room left goes, in turn, to the columns of text until their cells fit on one line, to every column
    until its header fits on one line too, and what remains to the columns of text (or to all when all hold
    numbers). Within a turn that cannot be met in full, each column gets the same share of what it asks.
    """
    pad = (2 * 0.19 + 0.1) * 360000  # Word's default cell margins (0.19 cm each side) and 1 mm to spare
    one_line, wanted, least = [], [], []
    for col, is_number in zip(formatted.columns, numeric):
        cells = [str(v) for v in formatted[col]]
        parts = _unbreakable(str(col)) + (cells if is_number else [w for v in cells for w in _unbreakable(v)])
        least.append(max(_text_width(w, size) for w in parts) + pad)
        wanted.append(max([least[-1]] + [_text_width(v, size) + pad for v in cells if not is_number]))
        one_line.append(max(_text_width(v, size) for v in [str(col)] + cells) + pad)
    total = float(_TEXT_WIDTH)
    if sum(least) >= total:
        return [int(m * total / sum(least)) for m in least]
    text = [not n for n in numeric] if not all(numeric) else [True] * len(numeric)
    widths = list(least)
    rest = [w * 1e6 if t else w for w, t in zip(one_line, text)]  # the last turn: text columns take the rest
    for targets in (wanted, one_line, rest):
        asks = [max(t - w, 0.0) for t, w in zip(targets, widths)]
        room = total - sum(widths)
        if room <= 0 or not sum(asks):
            continue
        share = min(1.0, room / sum(asks))
        widths = [w + a * share for w, a in zip(widths, asks)]
    return [int(w) for w in widths]


def _add_table(document, table: Table, *, number: int, lang: str) -> None:
    """An APA table: rules above, below and under the header row only; a long table repeats its header on
    each page, a short one stays on one page."""
    _caption(document, _TEXT[lang]["table"].format(n=number), table.caption, lang=lang, above=True)
    formatted = _render._formatted(table)
    if not len(formatted.columns):  # Word refuses a table without cells: the caption stands alone
        return
    right = _right_aligned(table, formatted)
    points = 10 if len(formatted.columns) <= 6 else 9
    size = Pt(points)
    widths = _column_widths(formatted, points, right)
    grid = document.add_table(rows=len(formatted) + 1, cols=len(formatted.columns))
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    tblPr = grid._tbl.tblPr
    _borders(tblPr, "w:tblBorders", ("top", "bottom"), _RULE)
    header = grid.rows[0]
    trPr = header._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        trPr.append(OxmlElement(tag))
    rows = [[str(c) for c in formatted.columns]] + [[str(v) for v in row] for row in formatted.itertuples(index=False)]
    keep = len(rows) <= _KEEP_ROWS  # a short table is kept on one page with its caption
    for r, (row, values) in enumerate(zip(grid.rows, rows)):
        if r > 0:
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for c, (cell, value) in enumerate(zip(row.cells, values)):
            cell.width = Emu(widths[c])
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right[c] else WD_ALIGN_PARAGRAPH.LEFT
            fmt = paragraph.paragraph_format
            fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(1), Pt(1), 1.0
            if keep and r < len(rows) - 1:
                fmt.keep_with_next = True
            run = paragraph.add_run(" ".join(_clean(value).split()))
            run.font.size = size
            if r == 0:
                _borders(cell._tc.get_or_add_tcPr(), "w:tcBorders", ("bottom",), _RULE)
    for column, width in zip(grid.columns, widths):
        column.width = Emu(width)
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def _add_figure(document, figure: FigureRef, *, number: int, lang: str, reports_dir: Path) -> None:
    """The figure at the text width (or less, when it would be taller than 18 cm), its caption below."""
    path = reports_dir / figure.path
    if not path.is_file():
        raise EmstudyError(f"{path}: figure file not found; draw the report's figures first (emstudy run)")
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.keep_with_next = True
    try:
        shape = paragraph.add_run().add_picture(io.BytesIO(path.read_bytes()), width=_TEXT_WIDTH)
    except Exception as exc:  # python-docx raises its own UnrecognizedImageError and struct errors
        raise EmstudyError(f"{path}: not an image Word can show ({type(exc).__name__}); redraw the figure") from exc
    if shape.height > _MAX_FIGURE_HEIGHT:
        shape.width = Emu(int(shape.width * _MAX_FIGURE_HEIGHT / shape.height))
        shape.height = _MAX_FIGURE_HEIGHT
    label = _TEXT[lang]["figure"].format(n=number)
    docpr = shape._inline.find(qn("wp:docPr"))  # the name and alternative text a screen reader announces
    docpr.set("name", label)
    docpr.set("descr", _clean(figure.caption))
    _caption(document, label, figure.caption, lang=lang, above=False)


def _trim(document) -> None:
    """Leave out what the template brings and a report does not use: the blank page's thumbnail, the Word 2010
    copy of the styles (``stylesWithEffects.xml``) and the styles nothing refers to (about 0.8 MB stored)."""
    for rels in (document.part.package.rels, document.part.rels):
        for rId, rel in list(rels.items()):
            if rel.reltype.endswith(("/metadata/thumbnail", "/stylesWithEffects")):
                rels.pop(rId)
    used: set[str] = set()
    roots = [document.element, document.part.numbering_part.element]
    roots += [sec.footer._element for sec in document.sections]
    for root in roots:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle", "w:numStyleLink", "w:styleLink"):
            used |= {el.get(qn("w:val")) for el in root.iter(qn(tag))}
    styles = document.styles.element
    by_id = {el.get(qn("w:styleId")): el for el in styles.iter(qn("w:style"))}
    used |= {key for key, el in by_id.items() if el.get(qn("w:default")) == "1"}
    todo = sorted(used & by_id.keys())
    while todo:  # the styles they are based on, link to or are followed by
        el = by_id[todo.pop()]
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = el.find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) in by_id and ref.get(qn("w:val")) not in used:
                used.add(ref.get(qn("w:val")))
                todo.append(ref.get(qn("w:val")))
    for key, el in by_id.items():
        if key not in used:
            styles.remove(el)


def _stable_zip(data: bytes) -> bytes:
    """Rewrite the package: fixed entry order, timestamps and attributes, stored entries."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = {name: source.read(name) for name in source.namelist()}
    first = "[Content_Types].xml"
    order = [first] + sorted(name for name in entries if name != first)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix: a regular file, rw-r--r-- (Python would pick by platform)
            info.external_attr = 0o100644 << 16
            target.writestr(info, entries[name])
    return out.getvalue()
