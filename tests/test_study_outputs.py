"""The committed study, for whatever set of cases ``data/cases/`` holds: every case has its results and
reports; the synthetic cases' findings recover the generator's truth and say they are synthetic; a user's own
case (no truth file) reads as what it is. ``EMSTUDY_TEST_ROOT`` points these tests at another study tree (see
tests/conftest.py); tests/test_runner_newcase.py runs them on a copy in which a case was added."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from conftest import personal_data_in_output
from emstudy.reporting.pages import count_word


def _json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _synthetic(project):
    return [case for case in project.cases() if project.is_synthetic(case.id)]


def _report(project, name: str, suffix: str = "", ext: str = "md") -> str:
    return (project.reports_dir / f"{name}{suffix}.{ext}").read_text(encoding="utf-8")


def test_every_case_of_the_project_has_its_results_and_reports(project):
    """The set of cases comes from data/cases/: each was analysed, compared and reported."""
    case_ids = project.case_ids()
    assert case_ids
    means = pd.read_csv(project.analysis_dir / "all" / "results" / "construct_means_by_case.csv")
    assert sorted(set(means["case"])) == case_ids
    for case_id in case_ids:
        assert _json(project.results_dir(case_id) / "findings.json")["case"] == case_id
        for suffix in ("", ".zh"):
            for ext in ("md", "html"):
                assert (project.reports_dir / f"{case_id}{suffix}.{ext}").is_file(), (case_id, suffix, ext)


def test_priorities_are_the_weaknesses_each_case_file_reports(project, codebook):
    """Source: data/cases/<case>.yml `weaknesses` (the generator sets them lowest, most severe first). A case
    from a survey has no generator: its priorities are core constructs, lowest mean first."""
    for case in project.cases():
        priorities = _json(project.results_dir(case.id) / "findings.json")["priorities"]
        found = [p["construct"] for p in priorities]
        if project.is_synthetic(case.id):
            assert found == list(case.weaknesses), case.id
        assert set(found) <= set(codebook.construct_ids), case.id
        assert [p["mean"] for p in priorities] == sorted(p["mean"] for p in priorities), case.id


def test_recovered_means_cover_the_generators_truth(project, codebook):
    """Source: expected_construct_means in data/raw/<case>.truth.json (synthetic cases); CIs from notebook 05."""
    synthetic = [case.id for case in _synthetic(project)]
    if not synthetic:
        pytest.skip("no synthetic case in this project")
    means = pd.read_csv(project.analysis_dir / "all" / "results" / "construct_means_by_case.csv")
    inside, total = 0, 0
    for case_id in synthetic:
        truth = _json(project.truth_path(case_id))["expected_construct_means"]
        for construct, expected in truth.items():
            row = means[(means["case"] == case_id) & (means["construct"] == construct)].iloc[0]
            inside += bool(row["ci_lower"] <= expected <= row["ci_upper"])
            total += 1
    assert total == len(synthetic) * (len(codebook.construct_ids) + 1)  # core constructs and the outcome
    assert inside / total >= 0.95, f"{inside} of {total}"


@pytest.mark.parametrize("lang,suffix,notice", [("en", "", "SYNTHETIC DATA"), ("zh", ".zh", "合成数据")])
def test_every_report_says_what_its_data_are_on_its_first_screen(project, lang, suffix, notice):
    """Synthetic cases: the notice and the thesis's abstract. A user's own case: no notice, no thesis; it says
    that it analyses the place's survey."""
    for case in project.cases():
        md = _report(project, case.id, suffix)
        first_screen = "\n".join(md.splitlines()[:6])
        page = _report(project, case.id, suffix, "html")
        if project.is_synthetic(case.id):
            assert notice in first_screen and case.source_abstract in first_screen, case.id
            assert page.index(notice) < page.index("<section>")
        else:
            assert notice not in md and "thesis whose abstract" not in md and "学位论文" not in first_screen, case.id
            name = case.name.en if lang == "en" else case.name.zh
            opening = "This report analyses the survey of" if lang == "en" else "本报告分析"
            assert f"{opening}{' ' if lang == 'en' else ''}{name}" in first_screen, case.id
        assert "<script" not in page and "https://" not in page and "http://" not in page
        # each language's report shows the figures drawn in its language (figures/<name>.png, <name>.zh.png)
        assert (project.reports_dir / "figures" / f"{case.id}_profile{suffix}.png").is_file()
        # the importance-performance map from notebook 04's results is shown in the case report
        ipa = f"figures/{case.id}_ipa{suffix}.png"
        assert (project.reports_dir / ipa).is_file()
        assert f"]({ipa})" in md and f'<img src="{ipa}"' in page
        other = f"figures/{case.id}_ipa{'' if suffix else '.zh'}.png"
        assert other not in md and f'"{other}"' not in page
    summary_screen = "\n".join(_report(project, "summary", suffix).splitlines()[:6])
    assert (notice in summary_screen) == bool(_synthetic(project))


def test_a_user_cases_chinese_report_has_no_more_english_than_the_synthetic_ones(project):
    """The .zh report of a case from a survey writes its own sentences in Chinese: its Latin words (method
    names such as Welch, Holm, omega; file names) are among those of the synthetic cases' .zh reports, once the
    case's own id and the texts of its case file are taken out."""
    own = [case for case in project.cases() if not project.is_synthetic(case.id)]
    synthetic = _synthetic(project)
    if not own or not synthetic:
        pytest.skip("needs a user's own case and a synthetic case")

    def latin_words(case) -> set[str]:
        text = _report(project, case.id, ".zh")
        filled = [case.id, case.name.zh, case.place.zh, case.event.zh, case.framework.zh]
        filled += [d.zh for d in case.framework.dimensions] + [s.zh for s in (*case.problems, *case.recommendations)]
        filled += list(project.codebook(case.id).items)  # item ids (INF1) are codes, not English words
        for value in sorted(filled, key=len, reverse=True):
            text = text.replace(value, " ")
        return set(re.findall(r"[A-Za-z]{2,}", text))

    allowed = set().union(*(latin_words(case) for case in synthetic))
    for case in own:
        assert latin_words(case) <= allowed, (case.id, sorted(latin_words(case) - allowed))


def test_reports_count_the_places_they_compare(project):
    """With N cases, every case report compares its place with N - 1 others and the summary N places."""
    n = len(project.case_ids())
    counted = 0
    for case_id in project.case_ids():
        for word in re.findall(r"the other (\S+) places", _report(project, case_id)):
            assert word == count_word(n - 1, "en"), (case_id, word)
            counted += 1
        for word in re.findall(r"与其他(\S+?)地相比", _report(project, case_id, ".zh")):
            assert word == count_word(n - 1, "zh"), (case_id, word)
            counted += 1
    assert counted  # the comparison says it somewhere
    title = f"# {count_word(n, 'en')[:1].upper()}{count_word(n, 'en')[1:]} places compared"
    assert _report(project, "summary").startswith(title)
    assert _report(project, "summary", ".zh").startswith(f"# {count_word(n, 'zh')}地比较")


def test_each_report_gives_its_case_files_own_recommendations(project):
    """Source: data/cases/<case>.yml `recommendations`, after the catalogue's (data/recommendations.yml)."""
    for case in project.cases():
        for lang, suffix in (("en", ""), ("zh", ".zh")):
            md = _report(project, case.id, suffix)
            own = md.index(f"<sub>data/cases/{case.id}.yml</sub>")
            assert md.index("<sub>data/recommendations.yml</sub>") < own, case.id
            section = md[md.rindex("\n## ", 0, own) : own]
            for rank, rec in enumerate(case.recommendations, start=1):
                assert f"{rank}. {rec.en if lang == 'en' else rec.zh}" in section, (case.id, lang, rank)
        saved = _json(project.results_dir(case.id) / "findings.json")["case_recommendations"]
        assert [r["en"] for r in saved] == [r.en for r in case.recommendations]


def test_recommendations_follow_the_priorities(project):
    for case in project.cases():
        findings = _json(project.results_dir(case.id) / "findings.json")
        recs, priorities = findings["recommendations"], findings["priorities"]
        if project.is_synthetic(case.id):
            assert priorities, case.id  # the generator builds weaknesses in
        if priorities:
            assert recs and recs[0]["construct"] == priorities[0]["construct"], case.id
        else:
            assert recs == [], case.id
        assert all(r["en"] and r["zh"] for r in recs)


def test_no_personal_data_in_any_output(project):
    # reports/manifest.json (local run record, not committed) holds only versions, parameters and SHA-256
    # digests; a hex digest can contain a digit run shaped like a phone number, so it is not scanned
    for folder in (project.analysis_dir, project.reports_dir):
        for path in folder.rglob("*"):
            if path == project.reports_dir / "manifest.json":
                continue
            if path.suffix in {".md", ".html", ".json", ".csv", ".ipynb"} and path.is_file():
                hits = personal_data_in_output(path.read_text(encoding="utf-8"))
                assert not hits, f"{path}: {hits[:3]}"


def test_output_scan_ignores_decimal_digits_but_not_phone_numbers():
    assert personal_data_in_output('"bartlett_chisq": 2167.098437627828, "p": 3.5e-68') == []
    assert [k for k, _ in personal_data_in_output("value 2167.09 call 13812345678 or 0571-87654321")] == [
        "phone",
        "phone",
    ]
