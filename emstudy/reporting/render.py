"""Renderers of the document model (:mod:`emstudy.reporting.document`): Markdown, HTML, and the four files.

The HTML needs no network: styles are inline, there are no scripts and no remote resources. Figures are PNG
files under ``reports/figures/``; the Chinese glyphs come from the font the package ships
(:mod:`emstudy.reporting.fonts`), which :func:`emstudy.reporting.index.write_index` (notebook 08) copies to
``reports/fonts/`` and an ``@font-face`` rule names by a relative URL, so a page renders Chinese on a machine
without CJK fonts. Nothing may be wider than the window: images scale down, long words wrap, and a wide table
scrolls inside its own box instead of widening the page (``tests/test_reporting_render_browser.py`` checks
this in headless Chromium at 1280 and 390 px).

:func:`write_report` writes each report in every format of :data:`REPORT_FORMATS`: Markdown and HTML from
here, Word from :func:`emstudy.reporting.docx.render_docx` and PDF from :func:`emstudy.reporting.pdf.render_pdf`.
Each HTML page links to its other formats, to the other language and to the index
(:mod:`emstudy.reporting.index`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from emstudy.fileio import atomic_write_bytes, atomic_write_text
from emstudy.reporting import fonts
from emstudy.reporting.document import Report, Table, report_stem

__all__ = ["render_markdown", "render_html", "write_report", "REPORT_FORMATS", "INDEX_NAME", "FONT_URL", "page_head"]

REPORT_FORMATS: tuple[str, ...] = ("md", "html", "docx", "pdf")
"""The files of every report, in the order :func:`write_report` returns them: ``<stem>.<format>``."""

INDEX_NAME = "index"
"""Stem of the front door, ``reports/index.html`` and ``reports/index.zh.html``."""

FONT_URL = f"{fonts.WEB_FONT_DIR}/{fonts.FONT_FILE.name}"
"""The shipped font, relative to ``reports/`` (written there by :func:`emstudy.reporting.fonts.write_web_font`)."""

_CSS = (
    """
@font-face{font-family:"@FAMILY@";src:url("@URL@") format("truetype");font-display:block}
*,*::before,*::after{box-sizing:border-box}
body{font-family:"@FAMILY@",system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.55;color:#1b1b1b;overflow-wrap:break-word}
h1{line-height:1.25}
nav.formats{font-size:.9rem;margin:.25rem 0 1rem 0}nav.formats a{margin-right:.75rem;white-space:nowrap}
.banner{border:2px solid #b45309;background:#fff7ed;padding:.75rem 1rem;margin:1rem 0;font-weight:600}
.table{max-width:100%;overflow-x:auto;margin:.5rem 0 1.25rem 0}
table{border-collapse:collapse;font-size:.92rem}
th,td{border-top:1px solid #999;border-bottom:1px solid #999;padding:.25rem .6rem;text-align:left;vertical-align:top}
th.num,td.num{text-align:right}td.links a{margin-right:.5rem;white-space:nowrap}
caption{caption-side:top;text-align:left;font-style:italic;padding-bottom:.25rem}
img{max-width:100%;height:auto}figure{margin:1rem 0}figcaption{font-style:italic}
.source{color:#555;font-size:.85rem}
""".strip()
    .replace("@FAMILY@", fonts.FONT_FAMILY)
    .replace("@URL@", FONT_URL)
)  # the shipped font first in the stack: Chinese glyphs never depend on the reader's system fonts

_NUMBER = re.compile(r"^[<>=≤≥]?\s*[-−+]?(\d[\d,]*(\.\d+)?|\.\d+)%?(\s*[\[(][^\])]*[\])])?$")
"""A number as a table cell may write it: ``3.46``, ``-0.38``, ``< .001``, ``12%``, ``0.73 [0.68, 0.78]``."""

_NAV = {
    "en": {
        "label": "Also as: ",
        "pdf": "PDF",
        "docx": "Word",
        "md": "Markdown",
        "other": "中文",
        "index": "All reports",
    },
    "zh": {
        "label": "其他格式：",
        "pdf": "PDF",
        "docx": "Word",
        "md": "Markdown",
        "other": "English",
        "index": "全部报告",
    },
}


def _formatted(table: Table) -> pd.DataFrame:
    frame = table.frame.reset_index() if table.index else table.frame.copy()
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_float_dtype(values):
            out[str(col)] = [("" if pd.isna(v) else f"{v:.{table.digits}f}") for v in values]
        else:
            out[str(col)] = ["" if (v is None or (isinstance(v, float) and pd.isna(v))) else str(v) for v in values]
    return out


def _md_table(table: Table) -> str:
    frame = _formatted(table)
    # a cell is one line: line breaks in quoted free text become spaces, pipes are escaped
    cells = lambda row: "| " + " | ".join(" ".join(str(v).split()).replace("|", "\\|") for v in row) + " |"  # noqa: E731
    lines = [f"*{table.caption}*", "", cells(frame.columns), "| " + " | ".join("---" for _ in frame.columns) + " |"]
    lines += [cells(row) for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    """The report as Markdown (GitHub flavour)."""
    parts = [f"# {report.title}", ""]
    parts += [f"> **{line}**" if k == 0 else f"> {line}" for k, line in enumerate(report.banner)]
    for section in report.sections:
        parts += ["", f"## {section.heading}", ""]
        for paragraph in section.paragraphs:
            parts += [paragraph, ""]
        if section.bullets:
            parts += [f"- {b}" for b in section.bullets] + [""]
        for table in section.tables:
            parts += [_md_table(table), ""]
        for fig in section.figures:
            parts += [f"![{fig.caption}]({fig.path})", "", f"*{fig.caption}*", ""]
        if section.source:
            parts += [f"<sub>{section.source}</sub>", ""]
    return "\n".join(parts).rstrip() + "\n"


def _numeric_columns(table: Table, formatted: pd.DataFrame) -> list[bool]:
    """Columns of numbers (right-aligned, as APA tables set them): a numeric dtype, or numbers written as text."""
    frame = table.frame.reset_index() if table.index else table.frame
    out = []
    for k, col in enumerate(frame.columns):
        values = frame[col]
        if pd.api.types.is_bool_dtype(values):
            out.append(False)
        elif pd.api.types.is_numeric_dtype(values):
            out.append(True)
        else:
            cells = [v for v in formatted.iloc[:, k] if v != ""]
            out.append(bool(cells) and all(_NUMBER.match(v) for v in cells))
    return out


def _html_table(table: Table) -> str:
    frame = _formatted(table)
    cls = [' class="num"' if n else "" for n in _numeric_columns(table, frame)]
    head = "".join(f"<th{c}>{html.escape(str(v))}</th>" for c, v in zip(cls, frame.columns))
    body = "".join(
        "<tr>" + "".join(f"<td{c}>{html.escape(str(v))}</td>" for c, v in zip(cls, row)) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return (
        f'<div class="table"><table><caption>{html.escape(table.caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def page_head(title: str, lang: str) -> list[str]:
    """The opening lines of a page up to ``<body>``: language, viewport, title and the inline style sheet.

    Parameters
    ----------
    title : str
        The page title (escaped here).
    lang : str
        ``"en"`` or ``"zh"``; the page is marked ``zh-CN`` for Chinese so that browsers pick CJK glyph forms.

    Returns
    -------
    list of str
        Lines of HTML, shared by the reports and the index pages.

    References
    ----------
    .. [1] W3C (2022). CSS Fonts Module Level 4, the ``@font-face`` rule. https://www.w3.org/TR/css-fonts-4/
    """
    report_stem("x", lang)  # the one check of lang
    return [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]


def _link(href: str, text: str, lang: str | None = None) -> str:
    attrs = f' hreflang="{lang}" lang="{lang}"' if lang else ""
    return f'<a href="{html.escape(href)}"{attrs}>{html.escape(text)}</a>'


def _nav(name: str, lang: str) -> str:
    text, stem = _NAV[lang], report_stem(name, lang)
    other = "zh" if lang == "en" else "en"
    links = [_link(f"{stem}.{fmt}", text[fmt]) for fmt in ("pdf", "docx", "md")]
    links.append(_link(f"{report_stem(name, other)}.html", text["other"], "zh-CN" if other == "zh" else "en"))
    links.append(_link(f"{report_stem(INDEX_NAME, lang)}.html", text["index"]))
    return f'<nav class="formats">{html.escape(text["label"])}' + " ".join(links) + "</nav>"


def render_html(report: Report, *, name: str | None = None) -> str:
    """The report as one self-contained HTML page (inline CSS, no scripts, no remote resources).

    Parameters
    ----------
    report : Report
        The report.
    name : str, optional
        The report's name (``wencheng``, ``summary``): when given, a line under the title links to the same
        report as PDF, Word and Markdown, to the other language and to the index, by relative paths.

    Returns
    -------
    str
        The page.

    References
    ----------
    .. [1] W3C (2021). HTML Living Standard, the ``nav`` and ``figure`` elements. https://html.spec.whatwg.org/
    """
    out = page_head(report.title, report.lang) + [f"<h1>{html.escape(report.title)}</h1>"]
    if name is not None:
        out.append(_nav(name, report.lang))
    out.append('<div class="banner" role="note">' + "<br>".join(html.escape(b) for b in report.banner) + "</div>")
    for section in report.sections:
        out.append(f"<section><h2>{html.escape(section.heading)}</h2>")
        out += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs]
        if section.bullets:
            out.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in section.bullets) + "</ul>")
        out += [_html_table(t) for t in section.tables]
        out += [
            f'<figure><img src="{html.escape(f.path)}" alt="{html.escape(f.caption)}">'
            f"<figcaption>{html.escape(f.caption)}</figcaption></figure>"
            for f in section.figures
        ]
        if section.source:
            out.append(f'<p class="source">{html.escape(section.source)}</p>')
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_report(report: Report, reports_dir: str | Path, name: str) -> list[Path]:
    """Write the report as ``<name>[.zh].md``, ``.html``, ``.docx`` and ``.pdf`` atomically.

    Every format is rendered before the first file is written, so a report that cannot be rendered (a
    missing figure file: one-line :class:`~emstudy.errors.EmstudyError`) leaves the previous files as they were.

    Parameters
    ----------
    report : Report
        The report; its ``lang`` picks the file names (``<name>.zh.*`` in Chinese).
    reports_dir : str or Path
        The ``reports/`` folder; the figures are read from it (Word and PDF embed them).
    name : str
        The report's name, e.g. the case id or ``summary``.

    Returns
    -------
    list of Path
        The files written, in the order of :data:`REPORT_FORMATS`.

    References
    ----------
    .. [1] ISO/IEC 29500-1:2016. Office Open XML File Formats (the ``.docx`` files).
    .. [2] ISO 32000-1:2008. Document management, Portable Document Format (the ``.pdf`` files).
    """
    stem = report_stem(name, report.lang)
    from emstudy.reporting.docx import render_docx  # lazy: both import this module's table formatting
    from emstudy.reporting.pdf import render_pdf

    reports_dir = Path(reports_dir)
    contents: dict[str, str | bytes] = {
        "md": render_markdown(report),
        "html": render_html(report, name=name),
        "docx": render_docx(report, reports_dir=reports_dir),
        "pdf": render_pdf(report, reports_dir=reports_dir),
    }
    written = []
    for fmt in REPORT_FORMATS:
        path, content = reports_dir / f"{stem}.{fmt}", contents[fmt]
        written.append(
            atomic_write_text(path, content) if isinstance(content, str) else atomic_write_bytes(path, content)
        )
    return written
