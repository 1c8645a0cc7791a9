"""Word reports: opened with python-docx as a reader's Word would, in both languages, byte-stable."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm
from PIL import Image

from emstudy.errors import EmstudyError
from emstudy.reporting.document import FigureRef, Report, Section, Table
from emstudy.reporting.docx import FIXED_TIME, render_docx
from emstudy.reporting.render import _formatted

BANNER_EN = ["SYNTHETIC DATA: not the thesis's responses.", "Reconstructs the thesis of 001.txt."]
BANNER_ZH = ["合成数据：并非原论文的问卷数据。", "本报告重建001.txt所对应学位论文的案例。"]
TEXT_WIDTH = Cm(21.0) - 2 * Cm(2.54)


def _figures(folder: Path) -> Path:
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (800, 500), (70, 130, 180)).save(folder / "figures" / "wide.png")
    Image.new("RGB", (300, 900), (200, 80, 40)).save(folder / "figures" / "tall.png")
    return folder


def _report(lang: str = "en") -> Report:
    zh = lang == "zh"
    means = pd.DataFrame(
        {
            "construct": ["信息发布" if zh else "Information release", "Rules, accountability and legal system"],
            "mean": [2.8912, 3.6051],
            "ci": ["[2.81, 2.98]", "[3.52, 3.69]"],
            "n": [325, 323],
        }
    )
    counts = pd.DataFrame({"answer": ["信息公开要及时透明。", "多发动社会组织参与。"], "share": [0.095, None]})
    return Report(
        title="文成县应急管理" if zh else "Emergency management in Wencheng County",
        lang=lang,
        banner=BANNER_ZH if zh else BANNER_EN,
        sections=[
            Section(
                "数据与质量" if zh else "Data and quality",
                paragraphs=["共回收问卷344份。" if zh else "Of 344 questionnaires, 325 were analysed."],
                bullets=["第一条" if zh else "one", "第二条" if zh else "two"],
                tables=[Table("构念均值" if zh else "Construct means", means), Table("Open answers", counts, digits=3)],
                figures=[FigureRef("构念得分" if zh else "Construct profile", "figures/wide.png")],
                source="analysis/wencheng/results/data_quality.json",
            ),
            Section(
                "Priorities",
                paragraphs=["Information release is weakest."],
                figures=[FigureRef("Tall", "figures/tall.png")],
            ),
        ],
    )


@pytest.fixture()
def reports_dir(tmp_path: Path) -> Path:
    return _figures(tmp_path / "reports")


def _open(data: bytes):
    return docx.Document(io.BytesIO(data))


def test_headings_paragraphs_bullets_and_sources(reports_dir):
    document = _open(render_docx(_report(), reports_dir=reports_dir))
    paragraphs = document.paragraphs
    headings = [(p.style.name, p.text) for p in paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        ("Heading 1", "Emergency management in Wencheng County"),
        ("Heading 2", "Data and quality"),
        ("Heading 2", "Priorities"),
    ]
    assert [p.text for p in paragraphs if p.style.name == "List Bullet"] == ["one", "two"]
    assert "Of 344 questionnaires, 325 were analysed." in [p.text for p in paragraphs]
    source = next(p for p in paragraphs if p.text == "analysis/wencheng/results/data_quality.json")
    assert source.runs[0].font.size.pt == 8 and str(source.runs[0].font.color.rgb) == "555555"


def test_banner_is_the_shaded_box_right_under_the_title(reports_dir):
    document = _open(render_docx(_report(), reports_dir=reports_dir))
    first = document.paragraphs[1:3]
    assert [p.text for p in first] == BANNER_EN
    assert first[0].runs[0].bold and not first[1].runs[0].bold
    for paragraph in first:
        pPr = paragraph._p.pPr
        assert pPr.find(qn("w:shd")).get(qn("w:fill")) == "FFF7ED"
        sides = {child.tag.split("}")[1] for child in pPr.find(qn("w:pBdr"))}
        assert sides == {"top", "left", "bottom", "right"}


def test_tables_are_real_word_tables_formatted_as_the_html(reports_dir):
    report = _report()
    document = _open(render_docx(report, reports_dir=reports_dir))
    assert len(document.tables) == 2
    for grid, table in zip(document.tables, report.sections[0].tables):
        expected = _formatted(table)
        assert [c.text for c in grid.rows[0].cells] == list(expected.columns)
        assert [[c.text for c in row.cells] for row in grid.rows[1:]] == expected.values.tolist()
    grid = document.tables[0]
    assert grid.rows[1].cells[1].text == "2.89" and grid.rows[2].cells[3].text == "323"
    assert document.tables[1].rows[2].cells[1].text == ""  # a missing value is an empty cell
    captions = [p.text for p in document.paragraphs if p.text.startswith("Table ")]
    assert captions == ["Table 1. Construct means", "Table 2. Open answers"]
    caption = next(p for p in document.paragraphs if p.text == "Table 1. Construct means")
    assert caption.runs[0].bold and caption.runs[1].italic and caption.paragraph_format.keep_with_next


def test_tables_follow_apa_rules_and_alignment(reports_dir):
    grid = _open(render_docx(_report(), reports_dir=reports_dir)).tables[0]
    borders = grid._tbl.tblPr.find(qn("w:tblBorders"))
    assert {child.tag.split("}")[1] for child in borders} == {"top", "bottom"}  # no vertical or inner rules
    for cell in grid.rows[0].cells:
        rule = cell._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom"))
        assert rule.get(qn("w:val")) == "single"
    for row in grid.rows[1:]:
        assert row.cells[0]._tc.tcPr.find(qn("w:tcBorders")) is None
    assert grid.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on each page
    keep = [row.cells[0].paragraphs[0].paragraph_format.keep_with_next for row in grid.rows]
    assert keep == [True, True, None]  # a short table stays on one page
    align = [c.paragraphs[0].alignment for c in grid.rows[1].cells]
    # construct (text) left; mean (float), ci (strings of numbers) and n (int) right
    assert [str(a) for a in align] == ["LEFT (0)", "RIGHT (2)", "RIGHT (2)", "RIGHT (2)"]
    widths = [col.width for col in grid.columns]
    assert abs(sum(widths) - TEXT_WIDTH) < 635 * len(widths)  # Word keeps widths in twips (635 EMU)
    assert widths[0] == max(widths)


def test_figures_fit_the_text_width_with_numbered_captions(reports_dir):
    document = _open(render_docx(_report(), reports_dir=reports_dir))
    shapes = document.inline_shapes
    assert len(shapes) == 2
    assert shapes[0].width == TEXT_WIDTH and shapes[0].height == int(TEXT_WIDTH * 500 / 800)
    assert shapes[1].height == Cm(18.0) and shapes[1].width < TEXT_WIDTH  # a tall figure is kept on the page
    captions = [p.text for p in document.paragraphs if p.text.startswith("Figure ")]
    assert captions == ["Figure 1. Construct profile", "Figure 2. Tall"]
    alt = [shape._inline.find(qn("wp:docPr")).get("descr") for shape in shapes]
    assert alt == ["Construct profile", "Tall"]  # alternative text for screen readers


def test_page_is_a4_with_2_54_cm_margins(reports_dir):
    section = _open(render_docx(_report(), reports_dir=reports_dir)).sections[0]
    twips = lambda length: round(length / 635)  # noqa: E731  Word's unit: 1/20 pt = 635 EMU
    assert (twips(section.page_width), twips(section.page_height)) == (twips(Cm(21.0)), twips(Cm(29.7)))
    margins = {section.left_margin, section.right_margin, section.top_margin, section.bottom_margin}
    assert {twips(m) for m in margins} == {twips(Cm(2.54))}


def test_core_properties_are_fixed(reports_dir):
    core = _open(render_docx(_report(), reports_dir=reports_dir)).core_properties
    assert core.title == "Emergency management in Wencheng County"
    assert (core.author, core.last_modified_by, core.language, core.revision) == ("emstudy", "emstudy", "en-US", 1)
    assert core.created == core.modified == FIXED_TIME and FIXED_TIME.isoformat() == "2000-01-01T00:00:00+00:00"
    assert core.last_printed is None and core.comments == ""


def test_chinese_report_sets_east_asian_fonts_and_language(reports_dir):
    document = _open(render_docx(_report("zh"), reports_dir=reports_dir))
    assert document.core_properties.language == "zh-CN"
    assert document.paragraphs[0].text == "文成县应急管理"
    assert [p.text for p in document.paragraphs[1:3]] == BANNER_ZH
    assert document.tables[0].rows[1].cells[0].text == "信息发布"
    assert "表1  构念均值" in [p.text for p in document.paragraphs]
    assert "图1  构念得分" in [p.text for p in document.paragraphs]
    caption = next(p for p in document.paragraphs if p.text == "表1  构念均值")
    assert not caption.runs[1].italic  # Chinese captions stay upright
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = defaults.find(qn("w:lang"))
    assert (lang.get(qn("w:eastAsia")), lang.get(qn("w:val"))) == ("zh-CN", "en-US")  # Latin words break as English
    fonts = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "SimSun" and fonts.get(qn("w:asciiTheme")) is None
    heading = document.styles["Heading 2"].element.rPr.find(qn("w:rFonts"))
    assert heading.get(qn("w:eastAsia")) == "SimHei"


def test_bytes_are_stable_and_do_not_depend_on_the_folder(tmp_path, reports_dir):
    data = render_docx(_report("zh"), reports_dir=reports_dir)
    assert data == render_docx(_report("zh"), reports_dir=reports_dir)
    assert data == render_docx(_report("zh"), reports_dir=_figures(tmp_path / "elsewhere"))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        infos = package.infolist()
    names = [i.filename for i in infos]
    assert names[0] == "[Content_Types].xml" and names[1:] == sorted(names[1:])
    assert {(i.date_time, i.compress_type, i.external_attr, i.create_system) for i in infos} == {
        ((1980, 1, 1, 0, 0, 0), zipfile.ZIP_STORED, 0o100644 << 16, 3)
    }
    assert not any("thumbnail" in n or "stylesWithEffects" in n for n in names)
    assert len(data) < 200_000  # the template's unused styles are left out


def test_missing_or_broken_figure_is_one_line_naming_the_file(tmp_path):
    with pytest.raises(EmstudyError, match=r"figures/wide\.png: figure file not found") as error:
        render_docx(_report(), reports_dir=tmp_path)
    assert "\n" not in str(error.value)
    _figures(tmp_path)
    (tmp_path / "figures" / "tall.png").write_bytes(b"not a png")
    with pytest.raises(EmstudyError, match=r"tall\.png: not an image Word can show") as error:
        render_docx(_report(), reports_dir=tmp_path)
    assert "\n" not in str(error.value)


def test_unknown_language_is_refused(reports_dir):
    with pytest.raises(ValueError, match="report.lang must be 'en' or 'zh', got 'fr'"):
        render_docx(Report("t", "fr", ["b"]), reports_dir=reports_dir)


def test_a_real_case_report_in_both_languages(project):
    """The committed study's Wencheng report: every table as a Word table, every figure shown."""
    from emstudy.reporting.pages import case_report
    from emstudy.steps import files, findings

    results = findings.run(project, "wencheng")
    codebook = project.codebook("wencheng")
    for lang in ("en", "zh"):
        report = case_report(
            results,
            codebook,
            lang=lang,
            figure_path=files.case_profile_figure("wencheng"),
            ipa_figure_path=files.case_ipa_figure("wencheng") if "ipa" in results.tables else None,
        )
        document = _open(render_docx(report, reports_dir=project.reports_dir))
        tables = [t for s in report.sections for t in s.tables]
        assert len(document.tables) == len(tables) > 0
        for grid, table in zip(document.tables, tables):
            assert len(grid.rows) == len(table.frame) + 1
        assert len(document.inline_shapes) == sum(len(s.figures) for s in report.sections) > 0
        headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
        assert headings == [s.heading for s in report.sections]
        assert [p.text for p in document.paragraphs[1 : 1 + len(report.banner)]] == list(report.banner)


def test_properties_are_in_the_order_word_requires(reports_dir):
    """Word refuses a file whose pPr/tblPr/tcPr children are out of schema order (LibreOffice does not)."""
    from emstudy.reporting.docx import _ORDER

    rpr = (  # ECMA-376 Part 1, 17.3.2.28
        "w:rStyle w:rFonts w:b w:bCs w:i w:iCs w:caps w:smallCaps w:strike w:dstrike w:outline w:shadow w:emboss "
        "w:imprint w:noProof w:snapToGrid w:vanish w:webHidden w:color w:spacing w:w w:kern w:position w:sz w:szCs "
        "w:highlight w:u w:effect w:bdr w:shd w:fitText w:vertAlign w:rtl w:cs w:em w:lang w:eastAsianLayout "
        "w:specVanish w:oMath"
    )
    orders = {**_ORDER, "w:rPr": rpr.split()}

    for lang in ("en", "zh"):
        document = _open(render_docx(_report(lang), reports_dir=reports_dir))
        roots = [document.element, document.sections[0].footer._element, document.styles.element]
        checked = 0
        for root in roots:
            for parent, order in orders.items():
                for element in root.iter(qn(parent)):
                    tags = ["w:" + child.tag.split("}")[1] for child in element]
                    assert all(tag in order for tag in tags), (parent, tags)
                    assert [order.index(t) for t in tags] == sorted(order.index(t) for t in tags), (parent, tags)
                    checked += 1
        assert checked > 50


def test_control_characters_and_a_table_without_columns(reports_dir):
    """A pasted survey answer may hold control characters, which XML refuses; a table may have no columns."""
    answers = pd.DataFrame({"answer": ["line\x0bbreak\x07"], "n": [3]})
    report = Report(
        "Title\x01",
        "en",
        ["Banner\x1f"],
        [Section("S\x0c", paragraphs=["a\x00b"], tables=[Table("Answers", answers), Table("Empty", pd.DataFrame())])],
    )
    document = _open(render_docx(report, reports_dir=reports_dir))
    assert [p.text for p in document.paragraphs[:3]] == ["Title ", "Banner ", ""]
    assert "a b" in [p.text for p in document.paragraphs]
    assert len(document.tables) == 1 and document.tables[0].rows[1].cells[0].text == "line break"
    assert "Table 2. Empty" in [p.text for p in document.paragraphs]
