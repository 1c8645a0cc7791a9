"""The study's report pages: the case report and the cross-case summary, in English and Chinese."""

from __future__ import annotations

import shutil

import pytest

from emstudy.project import Project
from emstudy.reporting.pages import LANGS, case_report, count_word, summary_report
from emstudy.steps import files, summary


@pytest.fixture(scope="module")
def study(project, tmp_path_factory):
    """The summary of the committed results, without notebook 05's comparison with the other places."""
    root = tmp_path_factory.mktemp("study")
    for name in ("data", "notebooks", "analysis"):
        shutil.copytree(project.root / name, root / name)
    copy = Project(root)
    (files.cross_case_results_dir(copy) / files.BELOW_OTHERS).unlink()
    return summary.run(copy, copy.case_ids())


def test_summary_states_the_invariance_verdict_in_each_language(study, project):
    codebook = project.codebook()
    assert LANGS == ("en", "zh")
    kwargs = {"shared": study.shared, "invariance_verdict": "Scalar invariance holds."}
    en = summary_report(study.findings, codebook, lang="en", **kwargs)
    zh = summary_report(study.findings, codebook, lang="zh", **kwargs)
    assert en.sections[2].paragraphs == ["Scalar invariance holds."]
    assert zh.sections[2].paragraphs[0].startswith("标量等值成立")
    none = summary_report(study.findings, codebook, lang="zh", shared=study.shared, invariance_verdict=None)
    assert "05_compare" in none.sections[2].paragraphs[0]


def test_case_report_shows_the_figures_it_is_given(study, project):
    report = case_report(study.findings[0], project.codebook(), lang="en", figure_path="figures/x.png")
    assert [f.path for s in report.sections for f in s.figures] == ["figures/x.png"]
    assert report.banner[0].startswith("SYNTHETIC DATA")


def test_count_word_rejects_an_unknown_language():
    assert count_word(5, "en") == "five"
    with pytest.raises(ValueError, match="lang"):
        count_word(5, "fr")
