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


def test_the_shared_weaknesses_table_names_the_places_in_the_reports_language(study, project):
    codebook = project.codebook()
    names = {cf.case.id: cf.case.name for cf in study.findings}
    for lang, sep, words in (("en", ", ", {"shared", "particular"}), ("zh", "、", {"共有", "特有"})):
        page = summary_report(study.findings, codebook, lang=lang, shared=study.shared, invariance_verdict=None)
        table = page.sections[1].tables[0].frame
        cases_col, pattern_col = table.columns[1], table.columns[2]
        assert set(table[pattern_col]) <= words and len(table) == len(study.shared)
        for shown, ids in zip(table[cases_col], study.shared["cases"], strict=True):
            expected = [getattr(names[c.strip()], lang) for c in ids.split(",")]
            assert shown == sep.join(expected)
            assert not any(c.strip() in shown for c in ids.split(","))  # names, never the case ids
