"""The case report's section "Interviews and the survey" / "访谈与问卷" (emstudy.reporting.interviews, issue 17):
the findings cite the interview step's results, the tables carry labels in the report's language and never an
id in the Chinese report, synthetic interviews are labelled, and a case without interviews has no section."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pandas as pd
import pytest

from emstudy.reporting.interviews import TITLE, interview_sentences, interview_tables
from emstudy.reporting.pages import case_report
from emstudy.reporting.render import render_markdown
from emstudy.steps import findings, interviews
from emstudy.survey.interviews import load_interview_codes


@pytest.fixture(scope="module")
def wencheng(project):
    return interviews.run(project, "wencheng", n_boot=200)


@pytest.fixture(scope="module")
def reports(project, wencheng):
    cf = findings.run(project, "wencheng", interviews=wencheng)
    codebook = project.codebook("wencheng")
    return cf, {lang: render_markdown(case_report(cf, codebook, lang=lang)) for lang in ("en", "zh")}


def _section(markdown: str, lang: str) -> str:
    start = markdown.index(f"## {TITLE[lang]}")
    end = markdown.find("\n## ", start + 3)
    return markdown[start : end if end > 0 else None]


def test_the_findings_cite_the_interview_results(project, reports, wencheng):
    cf, _ = reports
    said = [f for f in cf.findings if f.kind == "interviews"]
    assert [f.id for f in said] == [f"interviews-{k + 1}" for k in range(len(said))]
    assert {f.source for f in said} == {"analysis/wencheng/results/interviews.json"}
    # who coded (labelled synthetic), overall agreement, flags, triangulation, one sentence on the divergences
    n_divergent = int((wencheng.triangulation["verdict"] == "divergence").sum())
    assert n_divergent and len(said) == 5
    assert said[0].en.startswith("Synthetic interviews:") and said[0].zh.startswith("合成访谈数据")
    stored = cf.to_dict()["findings"]
    assert sum(f["kind"] == "interviews" for f in stored) == len(said)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_states_the_overall_agreement_with_its_reading_and_source(reports, wencheng, lang):
    section = _section(reports[1][lang], lang)
    overall = wencheng.agreement.set_index("unit").loc["overall"]
    for name in ("kappa", "alpha"):
        assert f"{name} = {overall[name]:.3f}" in section
        ci = ("{:.3f} to {:.3f}" if lang == "en" else "{:.3f}至{:.3f}").format(
            overall[f"{name}_ci_lower"], overall[f"{name}_ci_upper"]
        )
        assert ci in section
    if lang == "en":
        assert f"{overall['kappa_reading']} agreement in the words of Landis & Koch (1977)" in section
        assert "Krippendorff (2004" in section
    else:
        assert "Landis和Koch（1977）" in section and "Krippendorff（2004）" in section
        assert overall["kappa_reading"] == "substantial" and "kappa = " in section and "“较强”" in section
    # every table of the section says the interviews are synthetic
    captions = re.findall(r"^\*(.+)\*$", section, flags=re.M)
    assert len(captions) == 3 and all(("synthetic data" if lang == "en" else "合成数据") in c for c in captions)
    assert "analysis/wencheng/results/interviews.json" in section


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_flagged_codes_and_the_triangulation_are_named_in_the_reports_language(project, reports, wencheng, lang):
    section = _section(reports[1][lang], lang)
    table = wencheng.agreement.set_index("unit")
    assert wencheng.flagged, "the synthetic Wencheng interviews have codes below the thresholds"
    for code in wencheng.flagged:
        assert f"| {table.at[code, lang]} |" in section
    for code in set(table.index) - set(wencheng.flagged) - {"overall"}:
        assert f"| {table.at[code, lang]} |" not in section
    tri = wencheng.triangulation
    for _, row in tri.iterrows():
        assert f"| {row[f'construct_{lang}']} |" in section
    # one sentence each, instead of one per row of the tables: how many codes are flagged and the lowest, and
    # where interviews and survey diverge (by direction)
    flagged = table.loc[list(wencheng.flagged)]
    lowest = flagged.at[flagged["alpha"].idxmin(), lang]
    if lang == "en":
        assert f"{len(flagged)} of the {len(table) - 1} codes used fall below" in section
        assert f"the lowest \u201c{lowest}\u201d (alpha " in section
    else:
        assert f"中有{len(flagged)}个低于阈值" in section and f"其中最低的是“{lowest}”（alpha " in section
    for label in set(flagged[lang]) - {lowest}:
        assert section.count(label) == 1  # in the table only
    diverge = tri[tri["verdict"] == "divergence"]
    where = "Where they diverge, " if lang == "en" else "二者不一致之处："
    sentence = next(line for line in section.splitlines() if line.startswith(where))
    parts = sentence.removeprefix(where).split("; " if lang == "en" else "；")
    said = "the interviews concentrate their problems on" if lang == "en" else "访谈中的问题集中于"
    for label, problem in zip(diverge[f"construct_{lang}"], diverge["interview_problem"], strict=True):
        part = next(p for p in parts if label in p)
        assert part.startswith(said) == bool(problem)
    for statement in diverge[f"statement_{lang}"]:
        assert statement not in section
    if lang == "zh":  # no construct or code id in the Chinese report (only the Latin names of the coefficients)
        codes = load_interview_codes(project.root / "data" / "interview_codes.yml", project.codebook())
        ids = set(project.codebook().construct_ids) | {c.id for c in codes.codes}
        words = set(re.findall(r"[A-Za-z_]+", section.replace("data/interview_codes.yml", "")))
        assert not words & ids
        assert "| 一致 |" in section or "| 不一致 |" in section


def test_the_section_comes_after_the_comparison_and_before_the_recommendations(reports):
    en = reports[1]["en"]
    headings = re.findall(r"^## (.+)$", en, flags=re.M)
    k = headings.index(TITLE["en"])
    assert "Recommendations" in headings[k + 1] and headings[k - 1].startswith("Compared")


def test_a_case_without_interviews_has_no_section(project):
    cf = findings.run(project, "chaoyang")
    assert not [f for f in cf.findings if f.kind == "interviews"] and "triangulation" not in cf.tables
    for lang in ("en", "zh"):
        markdown = render_markdown(case_report(cf, project.codebook("chaoyang"), lang=lang))
        assert f"## {TITLE[lang]}" not in markdown
    assert interview_tables(cf.tables, synthetic=True, lang="en") == []


def test_no_flagged_code_and_a_real_study_are_said_so(wencheng):
    clean = wencheng.agreement.assign(flagged=False)
    said = interview_sentences(replace(wencheng, agreement=clean, synthetic=False))
    assert said[0][0].startswith("Two coders (coder_1, coder_2) coded") and said[0][1].startswith("两名编码员")
    assert said[2][0].startswith("None of the") and "均未低于阈值" in said[2][1]
    agreed = wencheng.triangulation.assign(verdict="agreement")
    said = interview_sentences(replace(wencheng, triangulation=agreed))
    k = len(agreed)
    assert f"agree on {k} of {k} constructs and diverge on none." in said[3][0] and "too rarely" not in said[3][0]
    assert f"二者在{k}个上一致，没有不一致的构念。" in said[3][1] and len(said) == 4  # no divergent statement
    tables = interview_tables(
        {"interview_agreement": clean, "triangulation": wencheng.triangulation}, synthetic=False, lang="en"
    )
    assert [t.caption for t in tables] == [
        "Agreement of the two coders over all codes",
        "Triangulation: the survey's verdict beside the interviews' problem codings",
    ]


# ------------------------------------------------------------------------------------------ coded open answers


@pytest.fixture(scope="module")
def with_open_answers(project, tmp_path_factory):
    """A copy of the study's data with eight of Wencheng's scrubbed open answers coded by two coders
    (data/raw/wencheng.open_answers.coded.csv): answers 1-5 both plan_problem, 6-7 both teams_strength, answer 8
    coder_1 plan_problem and coder_2 teams_strength; the copy reads the committed analysis/ (a link)."""
    from emstudy.fileio import read_checksums, sha256_file, write_checksums
    from emstudy.project import Project

    root = tmp_path_factory.mktemp("open_answers")
    shutil.copytree(project.root / "data", root / "data")
    (root / "analysis").symlink_to(project.analysis_dir, target_is_directory=True)  # read only
    copy = Project(root)
    answers = pd.read_csv(project.results_dir("wencheng") / "open_answers.csv").head(8)
    one = ["plan_problem"] * 5 + ["teams_strength"] * 2 + ["plan_problem"]
    two = ["plan_problem"] * 5 + ["teams_strength"] * 3
    rows = [
        ("wencheng", "open_answers", rid, text, code, coder)
        for rid, text, a, b in zip(answers["respondent_id"], answers["suggestion"], one, two, strict=True)
        for code, coder in ((a, "coder_1"), (b, "coder_2"))
    ]
    raw = copy.raw_dir / "wencheng.open_answers.coded.csv"
    pd.DataFrame(rows, columns=["case", "source", "segment_id", "text", "code", "coder"]).to_csv(raw, index=False)
    write_checksums(copy.raw_dir, read_checksums(copy.raw_dir) | {raw.name: sha256_file(raw)})
    res = interviews.run(copy, "wencheng", n_boot=200)
    cf = findings.run(copy, "wencheng", interviews=res)
    codebook = copy.codebook("wencheng")
    return res, {lang: _section(render_markdown(case_report(cf, codebook, lang=lang)), lang) for lang in ("en", "zh")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_says_the_open_answers_were_coded_too(with_open_answers, reports, lang):
    res, sections = with_open_answers
    section = sections[lang]
    overall = res.open_answers["overall"]
    # 7 of 8 answers agree; plan_problem's kappa by hand: coder_1 on 6 answers, coder_2 on 5 -> po = 7/8
    assert overall["percent_agreement"]["estimate"] == pytest.approx(7 / 8)
    kappa, alpha = overall["cohen_kappa"]["estimate"], overall["krippendorff_alpha"]["estimate"]
    assert f"kappa = {kappa:.3f}" in section and f"alpha = {alpha:.3f}" in section
    assert "data/raw/wencheng.open_answers.coded.csv" in section
    if lang == "en":
        assert "The open answers were coded the same way" in section and "agreed on 87.5% of 8 answers" in section
        assert "Open answers: a problem" in section and "Open answers coded a problem" in section
    else:
        assert "开放题回答也按同一编码表进行了编码" in section and "在8条回答中对87.5%给出了相同的编码" in section
        assert "开放题：问题集中" in section
    # the report without coded open answers says nothing of them
    plain = _section(reports[1][lang], lang)
    assert "open answers" not in plain.lower() and "开放题" not in plain


def test_a_single_flagged_code_is_named_in_the_singular(wencheng):
    agreement = wencheng.agreement
    flagged = agreement.index[(agreement["unit"] != "overall") & agreement["flagged"].astype(bool)]
    one = agreement.assign(flagged=agreement.index == flagged[0])
    en, zh = interview_sentences(replace(wencheng, agreement=one))[2]
    label = agreement.loc[flagged[0]]
    assert en.startswith("1 of the ") and "codes used falls below" in en and "the table lists it):" in en
    assert f": \u201c{label['en']}\u201d (alpha {label['alpha']:.3f})" in en and "the lowest" not in en
    assert f"）：“{label['zh']}”（alpha {label['alpha']:.3f}）" in zh and "其中最低" not in zh
