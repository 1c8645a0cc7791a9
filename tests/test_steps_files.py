"""Every results file has one name, used by its writer and its readers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emstudy.steps import files

PACKAGE = Path(__file__).resolve().parents[1] / "emstudy"


def test_results_file_names_are_written_only_in_the_files_module():
    names = [v for k, v in vars(files).items() if k.isupper() and isinstance(v, str) and "." in v]
    assert len(names) == len(set(names))
    for path in PACKAGE.rglob("*.py"):
        if path.name == "files.py":
            continue
        text = path.read_text(encoding="utf-8")
        for name in names:
            assert not re.search(rf"[\"'/]{re.escape(name)}[\"']", text), f"{path}: {name!r} literal"


def test_cross_case_results_dir(project):
    assert files.cross_case_results_dir(project) == project.analysis_dir / "all" / "results"
    assert project.results_dir(files.CROSS_CASE) == files.cross_case_results_dir(project)


def test_every_figure_has_one_file_per_report_language():
    assert files.report_langs() == ("en", "zh")
    assert [files.profiles_figure(lang) for lang in ("en", "zh")] == [files.PROFILES_FIGURE, "figures/profiles.zh.png"]
    assert [files.heatmap_figure(lang) for lang in ("en", "zh")] == [files.HEATMAP_FIGURE, "figures/heatmap.zh.png"]
    assert files.case_profile_figure("yima", "zh") == "figures/yima_profile.zh.png"
    assert files.case_ipa_figure("yima", "zh") == "figures/yima_ipa.zh.png"
    assert [files.case_power_figure("yima", lang) for lang in ("en", "zh")] == [
        "figures/yima_power.png",
        "figures/yima_power.zh.png",
    ]
    with pytest.raises(ValueError, match="lang: expected 'en' or 'zh', got 'fr'"):
        files.figure_path("heatmap", "fr")


def test_a_report_is_every_format_in_every_language_and_the_index_links_them():
    from emstudy.reporting.fonts import FONT_FILE, LICENSE_FILE
    from emstudy.reporting.render import REPORT_FORMATS

    assert REPORT_FORMATS == ("md", "html", "docx", "pdf")
    assert files.report_files("yima") == [
        "yima.md",
        "yima.html",
        "yima.docx",
        "yima.pdf",
        "yima.zh.md",
        "yima.zh.html",
        "yima.zh.docx",
        "yima.zh.pdf",
    ]
    assert files.report_files(files.SUMMARY_REPORT)[-1] == "summary.zh.pdf"
    assert files.index_pages() == ["index.html", "index.zh.html"]
    assert files.web_font_files() == [f"fonts/{FONT_FILE.name}", f"fonts/{LICENSE_FILE.name}"]
    assert all((PACKAGE / "reporting" / "assets" / name.split("/")[-1]).is_file() for name in files.web_font_files())
