"""The shipped CJK font: it covers every character of the project's texts, it is the font that matplotlib uses
for Chinese, it travels with its licence, and a character it lacks is refused in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from emstudy.errors import EmstudyError
from emstudy.reporting import fonts

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(os.environ.get("EMSTUDY_FONT_SOURCE", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"))


def _project_text() -> str:
    names = subprocess.run(
        ["git", "ls-files", "emstudy", "data", "notebooks"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    suffixes = {".py", ".yml", ".yaml", ".md", ".ipynb", ".csv", ".txt", ".json"}
    return "".join(
        (ROOT / n).read_text(encoding="utf-8", errors="ignore")
        for n in names
        if (ROOT / n).suffix in suffixes and (ROOT / n).is_file()
    )


def test_every_character_of_the_project_texts_is_covered():
    text = _project_text()
    assert "应急管理" in text  # the scan did read the Chinese texts
    assert fonts.missing_characters(text) == ""


def test_common_characters_are_covered():
    # GB 2312's first and last hanzi, the place names of the five cases, and the symbols the reports print
    sample = "啊齄文成县朝阳市伊马市锡林郭勒盟 αωχ²≥≤±–—“”‘’…（）：；，。、《》％０-９"
    assert fonts.missing_characters(sample) == ""


def test_a_character_outside_the_font_is_refused_in_one_line():
    assert fonts.missing_characters("A\U00020000B\n\t ") == "\U00020000"
    with pytest.raises(EmstudyError) as err:
        fonts.check_covered("标题\U00020000", where="figures/x.zh.png")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("figures/x.zh.png: ") and "U+20000" in message and "make_font.py --add" in message
    fonts.check_covered("标题", where="figures/x.zh.png")  # covered: no error


def test_the_font_file_is_the_renamed_truetype_subset():
    font = TTFont(str(fonts.FONT_FILE))
    assert "glyf" in font and "CFF " not in font  # TrueType outlines, as reportlab needs
    assert font["name"].getDebugName(1) == fonts.FONT_FAMILY
    assert "Adobe" in font["name"].getDebugName(0)  # the copyright notice stays in the font
    assert "Open Font License" in font["name"].getDebugName(13)
    assert 7000 < len(font.getBestCmap()) < 12000


def test_the_licence_travels_with_the_font():
    text = fonts.LICENSE_FILE.read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in text and "Adobe" in text
    assert (fonts.FONT_FILE.parent / "README.md").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "assets/*" in data["tool"]["setuptools"]["package-data"]["emstudy.reporting"]


def test_matplotlib_draws_chinese_with_the_shipped_file_and_no_missing_glyph():
    from matplotlib import font_manager, rc_context
    from matplotlib.figure import Figure

    family = fonts.matplotlib_family()
    assert Path(font_manager.findfont(font_manager.FontProperties(family=family))) == fonts.FONT_FILE
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail here
        with rc_context({"font.family": [family]}):
            fig = Figure(figsize=(3, 1))
            fig.suptitle("文成县：构念均值（合成数据）")
            fig.canvas.draw()


def test_web_font_copy(tmp_path):
    written = fonts.write_web_font(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == ["fonts/EmstudySansSC-Regular.ttf", "fonts/OFL.txt"]
    assert written[0].read_bytes() == fonts.font_bytes()
    assert written[1].read_bytes() == fonts.LICENSE_FILE.read_bytes()


@pytest.mark.skipif(not SOURCE.is_file(), reason="the source font (Debian fonts-noto-cjk) is not installed")
def test_make_font_reproduces_the_committed_file(tmp_path):
    before = fonts.FONT_FILE.read_bytes()
    try:
        subprocess.run([sys.executable, str(ROOT / "tools" / "make_font.py"), "--source", str(SOURCE)], check=True)
        assert fonts.FONT_FILE.read_bytes() == before
    finally:
        fonts.FONT_FILE.write_bytes(before)
