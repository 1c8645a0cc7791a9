"""The front door of the reports: ``reports/index.html`` and ``reports/index.zh.html``.

One page per language lists every report (each place, then the summary, in the order given) with its note
(the analytical framework of the place) and links to the report in each of its formats in that language
(:data:`emstudy.reporting.render.REPORT_FORMATS`), shows the synthetic-data notice when the study's data are
synthetic, and links to the other language. Like the reports, the pages are self-contained (inline CSS, no
scripts, no remote resources) and take their Chinese glyphs from the shipped font, which :func:`write_index`
copies to ``reports/fonts/`` with its licence.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from emstudy.fileio import atomic_write_text
from emstudy.reporting import fonts
from emstudy.reporting.document import report_stem
from emstudy.reporting.render import INDEX_NAME, page_head

__all__ = ["IndexEntry", "index_page", "write_index", "INDEX_NAME"]

_TEXT = {
    "en": {
        "title": "Emergency management in China's grass-roots governments: the study's reports",
        "intro": "Each report in four formats: a web page, PDF for printing, Word for editing and quoting its "
        "tables, and Markdown. Chinese text is set in Emstudy Sans SC, a subset of Noto Sans CJK SC (SIL Open "
        "Font License, ",
        "intro_end": ").",
        "other": "中文版",
        "report": "Report",
        "note": "About",
        "formats": "Formats",
        "html": "Web page",
    },
    "zh": {
        "title": "基层政府应急管理多案例研究：报告",
        "intro": "每份报告有四种格式：网页、便于打印的PDF、便于编辑和引用表格的Word文档，以及Markdown。"
        "中文字体为Emstudy Sans SC，即Noto Sans CJK SC（思源黑体）的子集（SIL开源字体许可，",
        "intro_end": "）。",
        "other": "English",
        "report": "报告",
        "note": "说明",
        "formats": "格式",
        "html": "网页",
    },
}
_FORMAT_NAMES = {"pdf": "PDF", "docx": "Word", "md": "Markdown"}
_ORDER = ("html", "pdf", "docx", "md")  # the web page first; every format of REPORT_FORMATS
_LICENSE_URL = f"{fonts.WEB_FONT_DIR}/{fonts.LICENSE_FILE.name}"


@dataclass(frozen=True)
class IndexEntry:
    """One row of the index: a report's file stem (``wencheng``, ``summary``), its title and a note per language."""

    stem: str
    title_en: str
    title_zh: str
    note_en: str = ""
    note_zh: str = ""

    def title(self, lang: str) -> str:
        """The title in ``lang`` (``"en"`` or ``"zh"``)."""
        return self.title_zh if lang == "zh" else self.title_en

    def note(self, lang: str) -> str:
        """The note in ``lang`` (``"en"`` or ``"zh"``)."""
        return self.note_zh if lang == "zh" else self.note_en


def _checked(entries: Sequence[IndexEntry]) -> list[IndexEntry]:
    entries = list(entries)
    if not entries or not all(isinstance(e, IndexEntry) for e in entries):
        raise ValueError("entries: expected a non-empty list of IndexEntry; pass one per report")
    stems = [e.stem for e in entries]
    bad = [s for s in stems if not s or s.startswith(".") or any(c in s for c in "/\\<>\"'&?#%") or s == INDEX_NAME]
    if bad:
        raise ValueError(f"entries: {bad[0]!r} is not a report's file stem; use the case id or 'summary'")
    if len(set(stems)) < len(stems):
        raise ValueError(f"entries: the stem {sorted(s for s in stems if stems.count(s) > 1)[0]!r} appears twice")
    return entries


def _a(href: str, text: str, attrs: str = "") -> str:
    return f'<a href="{html.escape(href)}"{attrs}>{html.escape(text)}</a>'


def index_page(entries: Sequence[IndexEntry], *, lang: str, synthetic: bool) -> str:
    """The index page of the reports in one language.

    Parameters
    ----------
    entries : sequence of IndexEntry
        The reports, in the order to list them (the places, then the summary).
    lang : str
        ``"en"`` or ``"zh"``: the language of the page, of the titles and of the linked files.
    synthetic : bool
        Whether the study's data are synthetic: the page then opens with the synthetic-data notice.

    Returns
    -------
    str
        The page, self-contained (inline CSS, no scripts, no remote resources), links relative to ``reports/``.

    References
    ----------
    .. [1] W3C (2021). HTML Living Standard, the ``a`` element and ``hreflang``. https://html.spec.whatwg.org/
    """
    from emstudy.reporting.pages import SYNTHETIC_NOTICE

    entries = _checked(entries)
    report_stem(INDEX_NAME, lang)  # the one check of lang
    text, other = _TEXT[lang], "zh" if lang == "en" else "en"
    other_tag = "zh-CN" if other == "zh" else "en"
    out = page_head(text["title"], lang) + [f"<h1>{html.escape(text['title'])}</h1>"]
    other_link = _a(
        f"{report_stem(INDEX_NAME, other)}.html", text["other"], f' hreflang="{other_tag}" lang="{other_tag}"'
    )
    out.append(f'<nav class="formats">{other_link}</nav>')
    if synthetic:
        out.append(f'<div class="banner" role="note">{html.escape(SYNTHETIC_NOTICE[lang])}</div>')
    out.append(f"<p>{html.escape(text['intro'])}{_a(_LICENSE_URL, 'OFL.txt')}{html.escape(text['intro_end'])}</p>")
    rows = []
    for entry in entries:
        stem = report_stem(entry.stem, lang)
        names = {"html": text["html"], **_FORMAT_NAMES}
        links = " ".join(_a(f"{stem}.{fmt}", names[fmt]) for fmt in _ORDER)
        rows.append(
            f"<tr><td>{_a(f'{stem}.html', entry.title(lang))}</td><td>{html.escape(entry.note(lang))}</td>"
            f'<td class="links">{links}</td></tr>'
        )
    head = "".join(f"<th>{html.escape(text[k])}</th>" for k in ("report", "note", "formats"))
    out.append(f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_index(reports_dir: str | Path, entries: Sequence[IndexEntry], *, synthetic: bool) -> list[Path]:
    """Write ``index.html`` and ``index.zh.html`` and the web font (``fonts/``) into ``reports_dir`` atomically.

    Parameters
    ----------
    reports_dir : str or Path
        The ``reports/`` folder.
    entries : sequence of IndexEntry
        The reports, in the order to list them.
    synthetic : bool
        Whether the study's data are synthetic (the pages then show the notice).

    Returns
    -------
    list of Path
        ``index.html``, ``index.zh.html``, then the font and licence files of
        :func:`emstudy.reporting.fonts.write_web_font`.

    References
    ----------
    .. [1] SIL International (2007). SIL Open Font License 1.1. https://openfontlicense.org/
    """
    reports_dir = Path(reports_dir)
    pages = {lang: index_page(entries, lang=lang, synthetic=synthetic) for lang in ("en", "zh")}
    written = [
        atomic_write_text(reports_dir / f"{report_stem(INDEX_NAME, lang)}.html", page) for lang, page in pages.items()
    ]
    return written + list(fonts.write_web_font(reports_dir))
