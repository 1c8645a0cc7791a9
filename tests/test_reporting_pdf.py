"""PDF reports (emstudy.reporting.pdf), read back with pypdf as a reader's software reads them: text in both
languages, tables with repeated headers, figures, outline, page numbers, metadata, the same bytes every time."""

from __future__ import annotations

import re
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from emstudy.errors import EmstudyError
from emstudy.reporting import fonts
from emstudy.reporting.document import FigureRef, Report, Section, Table
from emstudy.reporting.pdf import AUTHOR, _break_allowed, _break_cjk, render_pdf

CONSTRUCTS = {
    "en": [
        "Plans",
        "Organisation and command",
        "Resources and supplies",
        "Rules, accountability and legal system",
        "Recovery and psychological support",
    ],
    "zh": ["预案", "组织指挥", "物资保障", "制度法制", "恢复重建"],
}
TEXT = {
    "en": {
        "title": "Emergency management in Wencheng County: findings and recommendations",
        "banner": [
            "SYNTHETIC DATA: these results come from emstudy's seeded synthetic study, not from the thesis's "
            "questionnaires, whose raw responses are not public.",
            "This report reconstructs the case studied in the thesis whose abstract is 001.txt.",
        ],
        "headings": ["The case", "Reliability and validity", "Construct profile"],
        "paragraph": "Alpha reaches 0.80 for 3 of 5 constructs and 0.70 for all 5; the lowest is Plans "
        "(0.732 [0.680, 0.780]) & the weakest item overall is PLN2 (r.drop = 0.48) <see the table>.",
        "table": "Reliability by construct (alpha with Feldt 95% CI; omega total)",
        "figure": "Construct means with 95% confidence intervals (1 = strongly disagree, 5 = strongly agree)",
    },
    "zh": {
        "title": "文成县应急管理：研究发现与对策建议",
        "banner": [
            "合成数据：以下结果来自emstudy基于统一问卷生成的可复现合成数据，并非原论文的问卷数据（原始数据未公开）。",
            "本报告以emstudy统一问卷重建摘要文件001.txt所对应学位论文的案例（希斯4R危机管理理论与协同治理）。",
        ],
        "headings": ["案例概况", "信度与效度", "构念得分概况"],
        "paragraph": "5个构念中有3个的alpha达到0.80，全部达到0.70；最低的是预案（0.732 [0.680, 0.780]），"
        "整体最弱的题项是PLN2（r.drop = 0.48）。共回收问卷344份，剔除19份（直线作答10份、作答过快7份、"
        "重复提交2份），有效问卷325份，题项缺失率为2.4%。",
        "table": "各构念信度（alpha及Feldt 95%置信区间；omega总系数）",
        "figure": "构念均值及95%置信区间（1=非常不同意，5=非常同意）",
    },
}


def _figure(path: Path, *, size=(300, 200)) -> Image.Image:
    """A small RGBA figure with a transparent strip, as matplotlib writes them (dpi 100)."""
    rgba = np.zeros((size[1], size[0], 4), dtype=np.uint8)
    rgba[..., 0] = np.linspace(0, 255, size[0], dtype=np.uint8)[None, :]
    rgba[..., 1] = np.linspace(255, 0, size[1], dtype=np.uint8)[:, None]
    rgba[..., 2] = 90
    rgba[..., 3] = 255
    rgba[:20, :, 3] = 0  # transparent: white on paper
    image = Image.fromarray(rgba, "RGBA")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", dpi=(100, 100))
    return image


def _report(lang: str = "en", *, rows: int = 5, figure: str = "figures/wencheng_profile.png") -> Report:
    t = TEXT[lang]
    names = (CONSTRUCTS[lang] * (rows // 5 + 1))[:rows]
    reliability = pd.DataFrame(
        {
            "construct" if lang == "en" else "构念": [f"{n} {k + 1}" if rows > 5 else n for k, n in enumerate(names)],
            "alpha": np.round(0.732 + 0.01 * np.arange(rows) % 0.2, 3),
            "CI low" if lang == "en" else "置信下限": np.round(0.68 + 0.01 * np.arange(rows) % 0.2, 3),
            "n" if lang == "en" else "样本量": np.full(rows, 325),
        }
    )
    return Report(
        title=t["title"],
        lang=lang,
        banner=t["banner"],
        sections=[
            Section(t["headings"][0], paragraphs=[t["paragraph"]], bullets=["Plans", "Recovery"]),
            Section(t["headings"][1], tables=[Table(t["table"], reliability, digits=3)], source="results/x.json"),
            Section(t["headings"][2], figures=[FigureRef(t["figure"], figure)]),
        ],
    )


@pytest.fixture
def reports_dir(tmp_path: Path) -> Path:
    _figure(tmp_path / "figures" / "wencheng_profile.png")
    return tmp_path


def _read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(BytesIO(data))


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_text_tables_and_metadata_read_back(reports_dir: Path, lang: str) -> None:
    report = _report(lang)
    reader = _read(render_pdf(report, reports_dir=reports_dir))
    text = _text(reader)
    flat = re.sub(r"\s+", "", text)
    assert len(reader.pages) >= 1
    for needle in [report.title, *report.banner, *TEXT[lang]["headings"], TEXT[lang]["table"], TEXT[lang]["figure"]]:
        assert re.sub(r"\s+", "", needle) in flat, needle
    # the table's values as the HTML page shows them (render._formatted, digits=3), its caption numbered
    assert "0.732" in text and "0.680" in text and "325" in text
    assert ("Table 1." if lang == "en" else "表1") in text and ("Figure 1." if lang == "en" else "图1") in text
    assert "results/x.json" in text
    meta = reader.metadata
    assert meta.title == report.title and meta.author == AUTHOR and meta.creator == AUTHOR
    assert meta.subject == report.banner[0]
    assert meta["/CreationDate"].startswith("D:20000101000000") and meta["/ModDate"] == meta["/CreationDate"]
    assert reader.trailer["/Root"]["/Lang"] == ("en-US" if lang == "en" else "zh-CN")
    if lang == "zh":  # Chinese extracts as Chinese (ToUnicode maps of the embedded font), not as boxes or codes
        assert "合成数据" in text and "有效问卷325份" in flat


def test_every_character_is_in_the_embedded_shipped_font(reports_dir: Path) -> None:
    reader = _read(render_pdf(_report("zh"), reports_dir=reports_dir))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            assert "/FontFile2" in descendant["/FontDescriptor"], font  # embedded TrueType, not a system font
    assert names and all(re.fullmatch(r"/[A-Z]{6}\+EmstudySansSC-Regular", n) for n in names), names


def test_a_character_outside_the_font_is_refused_in_one_line(reports_dir: Path) -> None:
    report = _report("zh")
    bad = Report(report.title, "zh", report.banner, [Section("外", paragraphs=["罕见字\U00020000"])])
    assert fonts.missing_characters("\U00020000")
    with pytest.raises(EmstudyError) as err:
        render_pdf(bad, reports_dir=reports_dir)
    assert "\n" not in str(err.value) and "U+20000" in str(err.value) and report.title in str(err.value)


def test_figures_are_embedded_with_their_pixels_on_white(reports_dir: Path) -> None:
    reader = _read(render_pdf(_report("en"), reports_dir=reports_dir))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1
    source = Image.open(reports_dir / "figures" / "wencheng_profile.png")
    expected = Image.alpha_composite(Image.new("RGBA", source.size, "white"), source).convert("RGB")
    shown = images[0].image.convert("RGB")
    assert shown.size == source.size
    assert np.array_equal(np.asarray(shown), np.asarray(expected))  # lossless, transparent strip white
    obj = images[0].indirect_reference.get_object()
    assert obj["/Filter"] == "/FlateDecode" and obj["/DecodeParms"]["/Predictor"] == 15
    # drawn at its natural size: 300 x 200 px at 100 dpi = 216 x 144 pt (the text width is 451 pt)
    contents = "".join(page.get_contents().get_data().decode("latin-1") for page in reader.pages)
    assert re.findall(r"([\d.]+) 0 0 ([\d.]+) 0 0 cm\n/FormXob\.\w+ Do", contents) == [("216", "144")]


def test_a_wide_figure_is_scaled_to_the_text_width(tmp_path: Path) -> None:
    _figure(tmp_path / "figures" / "wencheng_profile.png", size=(1200, 600))
    reader = _read(render_pdf(_report("en"), reports_dir=tmp_path))
    contents = "".join(page.get_contents().get_data().decode("latin-1") for page in reader.pages)
    width = 21.0 / 2.54 * 72 - 2 * 72  # A4 less two 2.54 cm margins
    ((w, h),) = re.findall(r"([\d.]+) 0 0 ([\d.]+) 0 0 cm\n/FormXob\.\w+ Do", contents)
    assert float(w) == pytest.approx(width, abs=1e-3) and float(h) == pytest.approx(width / 2, abs=1e-3)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGB"])
def test_grey_palette_and_opaque_figures_keep_their_pixels(tmp_path: Path, mode: str) -> None:
    rng = np.random.default_rng(18)
    image = Image.fromarray(rng.integers(0, 256, size=(30, 50, 4), dtype=np.uint8), "RGBA").convert(mode)
    (tmp_path / "figures").mkdir()
    image.save(tmp_path / "figures" / "f.png")
    report = Report("Figure modes", "en", [], [Section("Figures", figures=[FigureRef("A figure", "figures/f.png")])])
    (shown,) = [i.image for page in _read(render_pdf(report, reports_dir=tmp_path)).pages for i in page.images]
    on_white = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
    expected = on_white.convert("L" if mode in ("L", "LA") else "RGB")
    assert shown.mode == expected.mode and np.array_equal(np.asarray(shown), np.asarray(expected))


def test_an_empty_table_shows_its_caption_and_header(reports_dir: Path) -> None:
    empty = Table(
        "No finding", pd.DataFrame({"construct": pd.Series([], dtype=object), "diff": pd.Series([], dtype=float)})
    )
    report = Report("Empty", "en", ["SYNTHETIC DATA"], [Section("Compared", tables=[empty])])
    text = _text(_read(render_pdf(report, reports_dir=reports_dir)))
    assert "Table 1. No finding" in text and "construct" in text and "diff" in text


def test_numbers_are_right_aligned_and_text_left_aligned(tmp_path: Path) -> None:
    """APA: a column of numbers (by dtype, or numbers with their intervals written as text) is right-aligned, its
    header too; the first column and text columns are left-aligned at the table's edge."""
    from reportlab.pdfbase import pdfmetrics

    from emstudy.reporting.pdf import _font_name

    frame = pd.DataFrame(
        {
            "place": ["Yima City", "Wencheng County"],
            "mean": [3.5, 12.25],
            "alpha [95% CI]": ["0.73 [0.68, 0.78]", "0.9 [0.8, 1.0]"],
            "pattern": ["shared", "particular to one place"],
        }
    )
    report = Report("Alignment", "en", [], [Section("Means", tables=[Table("Means", frame)])])
    drawn: list[tuple[str, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            drawn.append((text.strip(), cm[4] + tm[4] * cm[0]))

    _read(render_pdf(report, reports_dir=tmp_path)).pages[0].extract_text(visitor_text=visit)
    x = dict(drawn)
    font = _font_name(fonts.FONT_FILE)
    right = lambda s: x[s] + pdfmetrics.stringWidth(s, font, 8.5)  # noqa: E731
    assert right("3.50") == pytest.approx(right("12.25"), abs=0.01) == pytest.approx(right("mean"), abs=0.01)
    assert right("0.73 [0.68, 0.78]") == pytest.approx(right("0.9 [0.8, 1.0]"), abs=0.01)
    assert x["Yima City"] == x["Wencheng County"] == x["place"] == pytest.approx(72 + 4)  # margin + cell padding
    assert x["shared"] == x["particular to one place"] == x["pattern"]


def test_a_missing_figure_is_one_line_naming_it(tmp_path: Path) -> None:
    with pytest.raises(EmstudyError) as err:
        render_pdf(_report("en", figure="figures/nowhere.png"), reports_dir=tmp_path)
    assert "figures/nowhere.png" in str(err.value) and "\n" not in str(err.value)
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(EmstudyError, match="figures/broken.png"):
        render_pdf(_report("en", figure="figures/broken.png"), reports_dir=tmp_path)


def test_outline_lists_the_sections_and_pages_are_numbered(reports_dir: Path) -> None:
    reader = _read(render_pdf(_report("zh", rows=150), reports_dir=reports_dir))
    assert [entry.title for entry in reader.outline] == TEXT["zh"]["headings"]
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages, start=1):
        assert str(number) in page.extract_text().split("\n"), number  # the footer: the page number on its own line


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_long_table_repeats_its_caption_and_header_on_every_page(reports_dir: Path, lang: str) -> None:
    report = _report(lang, rows=150)
    reader = _read(render_pdf(report, reports_dir=reports_dir))
    table = report.sections[1].tables[0]
    header = list(table.frame.columns)
    first, last = f"{CONSTRUCTS[lang][0]} 1", f"{CONSTRUCTS[lang][4]} 150"
    pages = [page.extract_text() for page in reader.pages]
    spanned = [k for k, text in enumerate(pages) if any(f"{n} {i}" in text for n in CONSTRUCTS[lang] for i in (1, 75))]
    start = next(k for k, text in enumerate(pages) if first in text)
    end = next(k for k, text in enumerate(pages) if last in text)
    assert end > start and spanned  # the table runs over several pages
    caption = re.sub(r"\s+", "", table.caption)
    for text in pages[start : end + 1]:
        assert caption in re.sub(r"\s+", "", text)
        assert all(h in text for h in header), header
    # every row once, in order (pypdf reads a row as its cells, one per line)
    rows = [int(m) for text in pages for m in re.findall(r" (\d+)\s+0\.\d{3}\s+0\.\d{3}\s+325", text)]
    assert rows == list(range(1, 151))


def test_the_same_report_gives_the_same_bytes(reports_dir: Path) -> None:
    for lang in ("en", "zh"):
        assert render_pdf(_report(lang), reports_dir=reports_dir) == render_pdf(_report(lang), reports_dir=reports_dir)


def test_no_stream_depends_on_the_system_zlib(reports_dir: Path, monkeypatch) -> None:
    """Page contents, fonts and images never go through Python's zlib (whose deflate output differs between zlib
    builds, e.g. zlib 1.2 and zlib-ng): the PDF renders with zlib.compress unavailable, to the same bytes."""
    expected = render_pdf(_report("zh"), reports_dir=reports_dir)

    def refuse(*args, **kwargs):
        raise AssertionError("zlib.compress called")

    monkeypatch.setattr(zlib, "compress", refuse)
    monkeypatch.setattr(zlib, "compressobj", refuse)
    assert render_pdf(_report("zh"), reports_dir=reports_dir) == expected


FORBIDDEN_START = "，。、；：？！）」』】》"
FORBIDDEN_END = "（「『【《“‘"


@pytest.mark.parametrize("width", [97.0, 150.5, 203.0, 331.0, 451.0])
def test_chinese_lines_break_by_the_rules_and_fit(width: float) -> None:
    """No line starts with closing punctuation or ends with opening punctuation, no Latin word or number is cut,
    every line fits (reportlab's own CJK wrapping hangs punctuation into the margin and can start a line with
    '，')."""
    from reportlab.pdfbase import pdfmetrics

    from emstudy.reporting.pdf import _font_name

    font = _font_name(fonts.FONT_FILE)
    text = (TEXT["zh"]["paragraph"] + "（Welch t = -13.06，Holm校正p < .001）。") * 3
    lines = [line for _, line in _break_cjk(text, [width], font, 10.5)]
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost, nothing added
    position = 0
    for k, line in enumerate(lines):
        assert pdfmetrics.stringWidth(line, font, 10.5) <= width + 1e-6, line
        assert line[0] not in FORBIDDEN_START and line[-1] not in FORBIDDEN_END, line
        assert line[-1] not in "<=" and line[0] not in "<=", line  # "p < .001" stays together
        position = text.index(line, position) + len(line)
        if k + 1 < len(lines):  # a break between two Latin letters or digits only where the text has a space
            nxt = lines[k + 1]
            latin = line[-1].isascii() and line[-1].isalnum() and nxt[0].isascii() and nxt[0].isalnum()
            assert not latin or text[position] == " ", (line, nxt)


@pytest.mark.parametrize("width", [120.0, 260.0, 451.0])
def test_chinese_paragraphs_are_drawn_with_these_breaks(width: float) -> None:
    """The lines a Chinese paragraph is drawn with are _break_cjk's, also when escaped markup (p &lt; .001)
    splits the paragraph into fragments (the case reportlab's own wrapping handled in the study's summary)."""
    from emstudy.reporting.pdf import _font_name, _markup, _Para, _styles

    styles = _styles(_font_name(fonts.FONT_FILE), "zh")
    text = ("相对形态模型：ΔCFI +0.001，Holm校正p < .001；A & B（合成数据）。" + TEXT["zh"]["paragraph"]) * 2
    paragraph = _Para(_markup(text), styles["body"])
    paragraph.wrap(width, 10_000)
    drawn = ["".join(words) for _, words in paragraph.blPara.lines]
    assert len(paragraph.frags) > 1 and len(drawn) > 1
    assert drawn == [line for _, line in _break_cjk(text, [width], styles["body"].fontName, 10.5)]


def test_break_rules() -> None:
    assert _break_allowed("文", "成") and _break_allowed("a", "b", spaced=True) and _break_allowed("份", "2")
    assert not _break_allowed("份", "，") and not _break_allowed("（", "原") and not _break_allowed("0", ".")
    assert not _break_allowed("P", "L") and _break_allowed("/", "r")
    assert not _break_allowed("p", "<", spaced=True) and not _break_allowed("<", ".", spaced=True)
    assert not _break_allowed("型", "：", spaced=True)  # a space does not let closing punctuation start a line
    # a run without any allowed break is cut where it overflows rather than overflowing the line
    lines = _break_cjk("x" * 400, [100.0], "Helvetica", 10)
    assert len(lines) > 1 and all(len(line) >= 1 for _, line in lines)
