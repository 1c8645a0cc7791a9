"""The study's report pages: the case report and the cross-case summary, in English and Chinese."""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest

from emstudy.project import Project
from emstudy.reporting.pages import LANGS, case_report, count_word, summary_report
from emstudy.steps import files, findings, summary


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


def test_case_report_reliability_table_shows_ordinal_omega_beside_ordinal_alpha(study, project):
    """Issue 15 (new user's finding 15c): the table shows what reliability.csv has, in both languages."""
    cf = study.findings[0]
    rel = cf.tables["reliability"]
    assert {"ordinal_alpha", "ordinal_omega_total"} <= set(rel.columns)
    for lang, cols, words in (
        ("en", ["omega", "ordinal alpha", "ordinal omega"], ("ordinal alpha and ordinal omega total", "polychoric")),
        ("zh", ["omega", "有序alpha", "有序omega"], ("有序alpha与有序omega总系数", "多分格相关")),
    ):
        page = case_report(cf, project.codebook(), lang=lang)
        table = next(t for s in page.sections for t in s.tables if all(w in t.caption for w in words))
        shown = list(table.frame.columns)
        assert shown[-3:] == cols, lang
        assert all(w in table.caption for w in words), lang
        assert table.frame[cols[2]].tolist() == rel["ordinal_omega_total"].tolist()
        assert table.frame[cols[1]].tolist() == rel["ordinal_alpha"].tolist()


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


# ------------------------------------------------------------------- one summary sentence beside a table (issue 18)
@pytest.fixture(scope="module")
def yima(project):
    """Yima's findings with notebook 05's comparison table, as the findings hand it to the report."""
    cf = findings.run(project, "yima")
    below = pd.read_csv(files.cross_case_results_dir(project) / files.BELOW_OTHERS)
    return dataclasses.replace(cf, tables={**cf.tables, "below_others": below}), below


def _section(report, heading):
    return next(s for s in report.sections if s.heading == heading)


def test_the_priorities_are_one_sentence_naming_each_with_its_mean(project, yima):
    cf, _ = yima
    codebook = project.codebook("yima")
    prio = cf.priorities
    assert len(prio) >= 2
    for lang, heading, opening in (
        ("en", "Priorities and drivers", f"{count_word(len(prio), 'en').capitalize()} constructs are rated clearly"),
        (
            "zh",
            "优先事项与影响因素",
            f"有{'两' if len(prio) == 2 else count_word(len(prio), 'zh')}个构念的得分明显低于本地",
        ),
    ):
        section = _section(case_report(cf, codebook, lang=lang), heading)
        first = section.paragraphs[0]
        assert first.startswith(opening)
        assert f"{prio['case_mean'].iloc[0]:.2f}" in first
        positions = [first.index(f"{codebook.label(c, lang)}") for c in prio["construct"]]
        assert positions == sorted(positions)  # lowest first
        for c, m in zip(prio["construct"], prio["mean"], strict=True):
            assert f"{codebook.label(c, lang)} ({m:.2f})" in first or f"{codebook.label(c, lang)}（{m:.2f}）" in first
        assert not any(p.startswith(("Priority ", "优先事项1")) for p in section.paragraphs)


def test_the_comparison_is_one_sentence_and_a_table_of_every_construct_by_its_label(project, yima):
    cf, below = yima
    codebook = project.codebook("yima")
    rows = below[below["case"] == "yima"]
    lower = rows[rows["below"]].sort_values("diff")
    n_others = count_word(below["case"].nunique() - 1, "en")
    for lang, heading, yes in (("en", "Compared with the other places", "yes"), ("zh", "与其他地区比较", "是")):
        section = _section(case_report(cf, codebook, lang=lang), heading)
        assert len(section.paragraphs) == 1 and section.source == "analysis/all/results/below_others.csv"
        said = section.paragraphs[0]
        if lang == "en":
            assert said.startswith(f"{count_word(len(lower), 'en').capitalize()} constructs are rated significantly")
            assert f"than in the other {n_others} places pooled" in said
        else:
            assert said.startswith(
                f"与其他{count_word(below['case'].nunique() - 1, 'zh')}地相比（其他地区合并为一组），本地有"
            )
        labels = [codebook.label(c, lang) for c in lower["construct"]]
        assert [said.index(label) for label in labels] == sorted(said.index(label) for label in labels)
        assert f"{lower['diff'].iloc[0]:+.2f}" in said
        (table,) = section.tables
        frame = table.frame
        assert list(frame.iloc[:, 0]) == [codebook.label(c, lang) for c in rows["construct"]]
        assert list(frame.iloc[:, -1] == yes) == list(rows["below"])
        assert frame.iloc[:, 1].tolist() == pytest.approx(rows["mean_case"].tolist())
        assert not set(rows["construct"]) & set(frame.iloc[:, 0])  # labels, never the construct ids
    # no construct significantly lower: said so, not "the step has not been run"
    none = dataclasses.replace(cf, tables={**cf.tables, "below_others": below.assign(below=False)})
    section = _section(case_report(none, codebook, lang="en"), "Compared with the other places")
    assert section.paragraphs[0].startswith(
        f"No construct is rated significantly lower here than in the other {n_others}"
    )


def test_without_the_comparison_table_the_findings_sentences_stay(project, yima):
    cf, _ = yima
    bare = case_report(
        cf.__class__(**{**cf.__dict__, "tables": {k: v for k, v in cf.tables.items() if k != "below_others"}}),
        project.codebook("yima"),
        lang="en",
    )
    section = _section(bare, "Compared with the other places")
    assert section.paragraphs == [f.en for f in cf.findings if f.kind == "comparison"] and not section.tables


@pytest.mark.parametrize("lang", LANGS)
def test_no_table_of_a_case_report_shows_a_construct_or_case_id(project, yima, lang):
    cf, _ = yima
    codebook = project.codebook("yima")
    ids = set(codebook.construct_ids) | {codebook.outcome.id} | set(project.case_ids())
    report = case_report(cf, codebook, lang=lang)
    cells = [str(v) for s in report.sections for t in s.tables for v in t.frame.astype(str).to_numpy().ravel()]
    assert cells and not ids & set(cells)
    framework = report.sections[0].tables[0].frame.iloc[:, 1]
    if lang == "zh":  # the Chinese list separator in the framework table
        assert any("、" in v for v in framework) and not any(", " in v for v in framework)
    else:
        assert not any("、" in v for v in framework)


@pytest.mark.parametrize("lang", LANGS)
def test_no_table_of_the_summary_shows_a_construct_or_case_id(study, project, lang):
    codebook = project.codebook()
    ids = set(codebook.construct_ids) | set(project.case_ids())
    page = summary_report(study.findings, codebook, lang=lang, shared=study.shared, invariance_verdict=None)
    cells = [str(v) for s in page.sections for t in s.tables for v in t.frame.astype(str).to_numpy().ravel()]
    words = {w for cell in cells for w in cell.replace("、", ", ").split(", ")}
    assert cells and not ids & words
    if lang == "zh":  # lists in a Chinese table are joined by 、
        top = page.sections[0].tables[0].frame.iloc[:, 3]
        assert all(", " not in v for v in top) and any("、" in v for v in top)
