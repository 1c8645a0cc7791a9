"""Rendered reports: Markdown and self-contained HTML, byte-stable figures, and a real browser render."""

from __future__ import annotations

import os
import shutil
import subprocess

import pandas as pd
import pytest

from emstudy.reporting.document import FigureRef, Report, Section, Table
from emstudy.reporting.figures import save_figure
from emstudy.reporting.render import render_html, render_markdown, write_report


def _report(lang: str = "en") -> Report:
    table = Table("Construct means", pd.DataFrame({"construct": ["plan", "information|x"], "mean": [3.456, 2.9]}))
    return Report(
        title="Wencheng County <test>" if lang == "en" else "文成县",
        lang=lang,
        banner=["SYNTHETIC DATA: not the thesis's responses.", "Reconstructs the thesis of 001.txt."],
        sections=[
            Section(
                "Priorities",
                paragraphs=["Information release is weakest."],
                bullets=["one", "two"],
                tables=[table],
                figures=[FigureRef("Profile", "figures/x.png")],
                source="results/x.csv",
            )
        ],
    )


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
    assert '<img src="figures/x.png"' in page and "<td>3.46</td>" in page


def test_chinese_report_file_names(tmp_path):
    paths = write_report(_report("zh"), tmp_path, "wencheng")
    assert [p.name for p in paths] == ["wencheng.zh.md", "wencheng.zh.html"]
    assert 'lang="zh-CN"' in paths[1].read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="lang must be 'en' or 'zh'"):
        write_report(Report("t", "fr", ["b"]), tmp_path, "x")


def test_figures_are_byte_stable(tmp_path):
    from matplotlib.figure import Figure

    def draw():
        fig = Figure(figsize=(3, 2))
        fig.add_subplot().bar(["a", "b"], [1.0, 2.0])
        return fig

    first = save_figure(draw(), tmp_path / "a.png").read_bytes()
    second = save_figure(draw(), tmp_path / "b.png").read_bytes()
    assert first == second and first.startswith(b"\x89PNG")
    assert b"Software" not in first and b"Creation" not in first


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("EMSTUDY_REQUIRE_BROWSER") == "1":
            pytest.fail("EMSTUDY_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("chromium not installed (Debian package 'chromium'); CI installs it and requires this test")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    fig.add_subplot().bar(["a", "b"], [1.0, 2.0])
    save_figure(fig, tmp_path / "figures" / "x.png")
    page = write_report(_report(), tmp_path, "wencheng")[1]
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=2000",
        "--dump-dom",
        page.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=90).stdout
    assert "<h1>Wencheng County &lt;test&gt;</h1>" in dom
    assert "<table>" in dom and "<td>3.46</td>" in dom
    assert '<img src="figures/x.png"' in dom
    # the figure is shown: the screenshot contains the bars' colour (matplotlib's default blue, #1f77b4)
    from PIL import Image

    shot = tmp_path / "shot.png"
    subprocess.run(
        [*cmd[:-2], f"--screenshot={shot}", "--window-size=1000,1600", page.as_uri()], capture_output=True, timeout=90
    )
    pixels = Image.open(shot).convert("RGB").getdata()
    blue = sum(1 for r, g, b in pixels if abs(r - 31) < 12 and abs(g - 119) < 12 and abs(b - 180) < 12)
    assert blue > 500, f"only {blue} pixels of the figure's colour: the image did not render"
