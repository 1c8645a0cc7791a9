"""Rendered reports: Markdown, self-contained HTML with the shipped font, the four files of write_report.

The browser's view of the pages (broken images, overflow, the font) is tests/test_reporting_render_browser.py.
"""

from __future__ import annotations

import html
import re
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest

from emstudy.errors import EmstudyError
from emstudy.reporting import fonts
from emstudy.reporting.document import FigureRef, Report, Section, Table
from emstudy.reporting.figures import save_figure
from emstudy.reporting.render import REPORT_FORMATS, render_html, render_markdown, write_report


def _report(lang: str = "en", figure: str = "figures/x.png") -> Report:
    table = Table("Construct means", pd.DataFrame({"construct": ["plan", "information|x"], "mean": [3.456, 2.9]}))
    return Report(
        title="Wencheng County <test>" if lang == "en" else "文成县",
        lang=lang,
        banner=["SYNTHETIC DATA: not the thesis's responses.", "Reconstructs the thesis of 001.txt."],
        sections=[
            Section(
                "Priorities" if lang == "en" else "优先事项",
                paragraphs=["Information release is weakest." if lang == "en" else "信息发布最弱。"],
                bullets=["one", "two"],
                tables=[table],
                figures=[FigureRef("Profile", figure)],
                source="results/x.csv",
            )
        ],
    )


def _figure(path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), layout="constrained")
    fig.add_subplot().bar(["a", "b"], [1.0, 2.0])
    save_figure(fig, path)


def test_markdown_has_banner_first_and_tables():
    text = render_markdown(_report())
    lines = text.splitlines()
    assert lines[0] == "# Wencheng County <test>"
    assert lines[2] == "> **SYNTHETIC DATA: not the thesis's responses.**"
    assert "| plan | 3.46 |" in text and "information\\|x" in text
    assert "![Profile](figures/x.png)" in text


def test_html_is_self_contained_and_escaped():
    page = render_html(_report())
    assert "<title>Wencheng County &lt;test&gt;</title>" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.index('class="banner"') < page.index("<section>")
    assert '<img src="figures/x.png"' in page and '<td class="num">3.46</td>' in page
    assert "<nav" not in page  # links only when the page knows its name


def test_html_takes_chinese_glyphs_from_the_shipped_font_first():
    page = render_html(_report("zh"))
    face = re.search(r'@font-face\{font-family:"([^"]+)";src:url\("([^"]+)"\)', page)
    assert face is not None and face.group(1) == fonts.FONT_FAMILY == "Emstudy Sans SC"
    assert face.group(2) == f"{fonts.WEB_FONT_DIR}/{fonts.FONT_FILE.name}"  # where write_web_font puts it
    stack = re.search(r"body\{font-family:([^;]+);", page).group(1)
    assert stack.split(",")[0] == f'"{fonts.FONT_FAMILY}"'
    assert "Noto Sans CJK" not in stack and "YaHei" not in stack  # no system CJK font is relied upon


def test_html_never_widens_the_page():
    page = render_html(_report())
    # a table scrolls inside its own box, images scale down, long words wrap
    assert '<div class="table"><table>' in page
    assert re.search(r"\.table\{[^}]*max-width:100%[^}]*overflow-x:auto", page)
    assert re.search(r"(^|\})img\{max-width:100%;height:auto\}", page, re.M)
    assert re.search(r"body\{[^}]*overflow-wrap:break-word", page)


def test_html_right_aligns_numbers_only():
    frame = pd.DataFrame(
        {
            "construct": ["Plans", "Information release"],
            "alpha": [0.731, 0.802],
            "n": [325, 290],
            "alpha [95% CI]": ["0.73 [0.68, 0.78]", "−0.20 [−0.31, 0.01]"],
            "pvalue": ["< .001", ".042"],
            "items": ["PLN1, PLN2", "INF1"],
            "flagged": [True, False],
        }
    )
    page = render_html(Report("t", "en", ["b"], [Section("s", tables=[Table("c", frame)])]))
    head = re.findall(r"<th( class=\"num\")?>([^<]+)</th>", page)
    assert [name for cls, name in head if cls] == ["alpha", "n", "alpha [95% CI]", "pvalue"]
    assert '<td>Information release</td><td class="num">0.80</td><td class="num">290</td>' in page
    assert re.search(r"th,td\{[^}]*text-align:left", page) and "th.num,td.num{text-align:right}" in page


@pytest.mark.parametrize(
    ("lang", "hrefs"),
    [
        ("en", ["wencheng.pdf", "wencheng.docx", "wencheng.md", "wencheng.zh.html", "index.html"]),
        ("zh", ["wencheng.zh.pdf", "wencheng.zh.docx", "wencheng.zh.md", "wencheng.html", "index.zh.html"]),
    ],
)
def test_html_links_to_other_formats_language_and_index(lang, hrefs):
    page = render_html(_report(lang), name="wencheng")
    nav = re.search(r'<nav class="formats">(.*?)</nav>', page).group(1)
    assert re.findall(r'href="([^"]+)"', nav) == hrefs
    assert page.index("<h1>") < page.index("<nav") < page.index('class="banner"')
    assert ("中文" in nav) == (lang == "en") and ("English" in nav) == (lang == "zh")


def test_write_report_writes_every_format(tmp_path):
    _figure(tmp_path / "figures" / "x.png")
    paths = write_report(_report("zh"), tmp_path, "wencheng")
    assert REPORT_FORMATS == ("md", "html", "docx", "pdf")
    assert [p.name for p in paths] == [f"wencheng.zh.{fmt}" for fmt in REPORT_FORMATS]
    assert paths[0].read_text(encoding="utf-8") == render_markdown(_report("zh"))
    assert paths[1].read_text(encoding="utf-8") == render_html(_report("zh"), name="wencheng")
    assert 'lang="zh-CN"' in paths[1].read_text(encoding="utf-8")
    import docx
    from pypdf import PdfReader

    document = docx.Document(BytesIO(paths[2].read_bytes()))  # Word's and the PDF's own renderers: tested there
    assert "文成县" in "\n".join(p.text for p in document.paragraphs) and len(document.tables) == 1
    pdf = PdfReader(BytesIO(paths[3].read_bytes()))
    assert "文成县" in "".join(page.extract_text() for page in pdf.pages)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_write_report_is_byte_stable(tmp_path):
    outputs = []
    for run in ("a", "b"):
        _figure(tmp_path / run / "figures" / "x.png")
        outputs.append([p.read_bytes() for p in write_report(_report("en"), tmp_path / run, "wencheng")])
    assert outputs[0] == outputs[1]


def test_write_report_writes_nothing_when_a_format_fails(tmp_path):
    with pytest.raises(EmstudyError, match=r"none\.png"):
        write_report(_report("en", figure="figures/none.png"), tmp_path, "wencheng")
    assert list(tmp_path.iterdir()) == []  # not even the Markdown and HTML of a report that failed


def test_write_report_checks_lang_first(tmp_path):
    with pytest.raises(ValueError, match="lang must be 'en' or 'zh'"):
        write_report(Report("t", "fr", ["b"]), tmp_path, "x")


def test_figures_are_byte_stable(tmp_path):
    _figure(tmp_path / "a.png")
    _figure(tmp_path / "b.png")
    first, second = (tmp_path / "a.png").read_bytes(), (tmp_path / "b.png").read_bytes()
    assert first == second and first.startswith(b"\x89PNG")
    assert b"Software" not in first and b"Creation" not in first


def test_committed_pages_draw_every_character_with_the_shipped_font():
    # a character outside the font would fall back to a system font: boxes on a machine without CJK fonts
    reports = Path(__file__).resolve().parents[1] / "reports"
    pages = sorted(reports.glob("*.html"))
    assert pages
    for page in pages:
        body = re.sub(r"<style>.*?</style>", "", page.read_text(encoding="utf-8"), flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", body))
        assert fonts.missing_characters(text) == "", f"{page.name}: characters outside {fonts.FONT_FAMILY}"
