"""The front door of the reports: index.html and index.zh.html (issue 18, point 5)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from emstudy.reporting import fonts, render
from emstudy.reporting.index import IndexEntry, index_page, write_index
from emstudy.reporting.pages import SYNTHETIC_NOTICE
from emstudy.reporting.render import REPORT_FORMATS

ENTRIES = [
    IndexEntry("wencheng", "Wencheng County", "文成县", "Heath's 4R crisis management", "希斯4R危机管理理论"),
    IndexEntry("yima", "Yima City", "义马市", "Whole-process management", "全过程管理"),
    IndexEntry("summary", "Summary of the places", "各地比较汇总", "Five places compared", "五地比较"),
]


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr><td>.*?</tr>", page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_index_lists_every_report_in_every_format_of_its_language(lang):
    page = index_page(ENTRIES, lang=lang, synthetic=True)
    rows = _rows(page)
    assert len(rows) == len(ENTRIES)
    for entry, row in zip(ENTRIES, rows):
        stem = entry.stem if lang == "en" else f"{entry.stem}.zh"
        hrefs = re.findall(r'href="([^"]+)"', row)
        assert sorted(set(hrefs)) == sorted(f"{stem}.{fmt}" for fmt in REPORT_FORMATS)
        assert html.escape(entry.title_zh if lang == "zh" else entry.title_en) in row
        assert html.escape(entry.note_zh if lang == "zh" else entry.note_en) in row
        assert hrefs[0] == f"{stem}.html"  # the title links the web page, which comes first
    assert ("文成县" in page) == (lang == "zh") and ("Wencheng County" in page) == (lang == "en")


@pytest.mark.parametrize(("lang", "other"), [("en", "index.zh.html"), ("zh", "index.html")])
def test_index_shows_the_notice_first_and_links_the_other_language(lang, other):
    page = index_page(ENTRIES, lang=lang, synthetic=True)
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
    assert f'href="{other}"' in page
    notice = html.escape(SYNTHETIC_NOTICE[lang])
    assert notice in page and page.index('class="banner"') < page.index("<table")
    assert 'href="fonts/OFL.txt"' in page  # the font's licence travels with it
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert notice not in index_page(ENTRIES, lang=lang, synthetic=False)


def test_index_escapes_text():
    page = index_page([IndexEntry("x", "A <b> & c", "甲", "n<", "乙")], lang="en", synthetic=False)
    assert "A &lt;b&gt; &amp; c" in page and "n&lt;" in page and "<b>" not in page


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "non-empty list of IndexEntry"),
        ([("x", "a", "b")], "non-empty list of IndexEntry"),
        ([IndexEntry("../x", "a", "b")], "'../x' is not a report's file stem"),
        ([IndexEntry("index", "a", "b")], "'index' is not a report's file stem"),
        ([IndexEntry("x", "a", "b"), IndexEntry("x", "c", "d")], "'x' appears twice"),
    ],
)
def test_index_refuses_bad_entries(entries, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        index_page(entries, lang="en", synthetic=True)


def test_index_refuses_a_third_language():
    with pytest.raises(ValueError, match="lang must be 'en' or 'zh'"):
        index_page(ENTRIES, lang="fr", synthetic=True)


def test_write_index_writes_both_pages_and_the_web_font(tmp_path):
    paths = write_index(tmp_path, ENTRIES, synthetic=True)
    names = [p.relative_to(tmp_path).as_posix() for p in paths]
    assert names == ["index.html", "index.zh.html", "fonts/EmstudySansSC-Regular.ttf", "fonts/OFL.txt"]
    assert paths[0].read_text(encoding="utf-8") == index_page(ENTRIES, lang="en", synthetic=True)
    assert paths[1].read_text(encoding="utf-8") == index_page(ENTRIES, lang="zh", synthetic=True)
    assert paths[2].read_bytes() == fonts.FONT_FILE.read_bytes()
    assert paths[3].read_bytes() == fonts.LICENSE_FILE.read_bytes()
    first = [p.read_bytes() for p in paths]
    assert [p.read_bytes() for p in write_index(tmp_path, ENTRIES, synthetic=True)] == first


REPORTS = Path(__file__).resolve().parents[1] / "reports"


def test_committed_reports_exist_in_every_format_with_both_index_pages():
    stems = sorted(p.name.removesuffix(".md") for p in REPORTS.glob("*.md"))
    assert stems, f"no report in {REPORTS}"
    missing = [f"{s}.{fmt}" for s in stems for fmt in REPORT_FORMATS if not (REPORTS / f"{s}.{fmt}").is_file()]
    missing += [p for p in ("index.html", "index.zh.html", "fonts/OFL.txt") if not (REPORTS / p).is_file()]
    missing += [] if (REPORTS / render.FONT_URL).is_file() else [render.FONT_URL]
    assert not missing, f"reports/ lacks {missing}: rerun the study (emstudy run)"


def test_committed_pages_link_only_to_files_that_exist():
    broken = []
    for page in sorted(REPORTS.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        targets = re.findall(r'(?:href|src)="([^"#?]+)"', text) + re.findall(r'url\("([^"]+)"\)', text)
        assert not [t for t in targets if re.match(r"[a-z]+:", t)], f"{page.name}: links outside reports/"
        broken += [f"{page.name} -> {t}" for t in targets if not (REPORTS / html.unescape(t)).is_file()]
    assert not broken, f"broken links (rerun the study, emstudy run): {broken}"
