"""The interviews step: coder agreement per code and overall with its readings and flags, the triangulation of
interviews with the survey, its files, and its one-line errors (emstudy.steps.interviews, issue 17)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import EmstudyError
from emstudy.project import Project
from emstudy.steps import files, interviews
from emstudy.survey.interviews import check_codings, load_interview_codes

INTERVIEW_CASES = ("h_district", "wencheng", "xilinguole")


@pytest.fixture(scope="module")
def codes(project):
    return load_interview_codes(project.root / "data" / "interview_codes.yml", project.codebook())


@pytest.fixture(scope="module")
def results(project):
    return {case: interviews.run(project, case, n_boot=1000) for case in INTERVIEW_CASES}


def _codings(rows, codes, case="h_district"):
    """A checked tidy table from (segment, coder, code) triples, one source."""
    frame = pd.DataFrame(rows, columns=["segment_id", "coder", "code"])
    frame = frame.assign(case=case, source="I01", text=frame["segment_id"].map(lambda s: f"片段{s}"))
    return check_codings(frame, codes=codes, source="hand-made")


def _two_coders(a, b, codes):
    """Coder A gives a[k] to segment k, coder B gives b[k] (a code id, or a tuple of them)."""
    rows = []
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        for coder, given in (("A", x), ("B", y)):
            rows += [(f"s{k + 1}", coder, c) for c in ((given,) if isinstance(given, str) else given)]
    return _codings(rows, codes)


PP, PS = "plan_problem", "plan_strength"


# -------------------------------------------------------------------------------------------- agreement


def test_per_code_and_overall_agreement_match_the_hand_computed_values(codes):
    # plan_problem present/absent: A = 1 1 1 0 0 0, B = 1 1 0 1 0 0 -> po = 4/6, pe = .5 * .5 + .5 * .5
    frame = _two_coders([PP, PP, PP, PS, PS, PS], [PP, PP, PS, PP, PS, PS], codes)
    table = interviews.agreement_table(frame, codes, n_boot=200, seed=1).set_index("unit")
    row = table.loc[PP]
    assert row["kappa"] == pytest.approx((4 / 6 - 0.5) / 0.5, abs=1e-12)  # Cohen (1960): (po - pe) / (1 - pe)
    # Krippendorff (2011) nominal, two coders, no missing: 1 - (n - 1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k
    # with n = 12 values, o_01 = o_10 = 2 (two disagreeing units), n_0 = n_1 = 6
    assert row["alpha"] == pytest.approx(1 - 11 * 4 / 72, abs=1e-12)
    assert row["ac1"] == pytest.approx((4 / 6 - 0.5) / 0.5, abs=1e-12)  # two categories: pe = 2 * .5 * .5
    assert row["percent"] == pytest.approx(4 / 6, abs=1e-12)
    assert (row["n_coded_1"], row["n_coded_2"], row["n_coded_both"]) == (3, 3, 2)
    # overall: the segment's code is its category; AC1's chance agreement counts every code of the code book
    q = len(codes.ids)
    pe = (0.5 * 0.5 + 0.5 * 0.5) / (q - 1)  # Gwet (2008): pe = sum_k pi_k (1 - pi_k) / (q - 1)
    assert table.loc["overall", "ac1"] == pytest.approx((4 / 6 - pe) / (1 - pe), abs=1e-12)
    assert table.loc["overall", "kappa"] == pytest.approx(1 / 3, abs=1e-12)
    assert table.loc["overall", "n_coded_both"] == 4
    assert list(table.index) == ["overall", PP, PS]  # code-book order; unused codes are not rows


def test_flags_follow_the_thresholds_and_name_their_source(codes):
    frame = _two_coders([PP, PP, PP, PS, PS, PS], [PP, PP, PS, PP, PS, PS], codes)
    table = interviews.agreement_table(frame, codes, n_boot=200, seed=1).set_index("unit")
    row = table.loc[PP]  # kappa 1/3, alpha 0.389
    assert row["kappa_reading"] == "fair" and row["alpha_reading"] == "unreliable" and row["flagged"]
    assert "Krippendorff 2004" in row["flag_reason"] and "Landis & Koch 1977" in row["flag_reason"]
    perfect = interviews.agreement_table(_two_coders([PP, PS, PS], [PP, PS, PS], codes), codes, n_boot=50, seed=1)
    assert not perfect["flagged"].any() and set(perfect["alpha_reading"]) == {"reliable"}
    assert "Landis" in interviews.THRESHOLDS["kappa"]["source"]
    assert "Krippendorff" in interviews.THRESHOLDS["alpha"]["source"]


def test_readings_at_their_bounds():
    assert [interviews.landis_koch(v) for v in (-0.1, 0.0, 0.2, 0.21, 0.4, 0.6, 0.61, 0.8, 0.81)] == [
        "poor", "slight", "slight", "fair", "fair", "moderate", "substantial", "substantial", "almost perfect",
    ]  # fmt: skip
    assert interviews.landis_koch(0.6 + 1e-13) == "moderate"  # noise below the written digits never picks a side
    assert [interviews.krippendorff_reading(v) for v in (0.8, 0.7999, 0.667, 0.6669, float("nan"))] == [
        "reliable", "tentative", "tentative", "unreliable", "not defined",
    ]  # fmt: skip


def test_a_segment_with_several_codes_is_one_category_overall_and_counts_per_code(codes):
    frame = _two_coders([(PP, "rules_problem"), PS, PS], [PP, PS, PS], codes)
    table = interviews.agreement_table(frame, codes, n_boot=50, seed=1)
    assert table.attrs["multi_code"] == 1
    t = table.set_index("unit")
    assert t.loc["overall", "percent"] == pytest.approx(2 / 3)  # {PP, rules_problem} vs {PP} disagree
    assert t.loc[PP, "percent"] == 1.0  # ... but they agree on plan_problem
    assert (t.loc["rules_problem", "n_coded_1"], t.loc["rules_problem", "n_coded_2"]) == (1, 0)


def test_a_codes_bootstrap_does_not_depend_on_the_other_codes(codes):
    a, b = [PP, PP, PP, PS, PS, PS, PS, PS], [PP, PP, PS, PP, PS, PS, PS, PS]
    one = interviews.agreement_table(_two_coders(a, b, codes), codes, n_boot=300, seed=5).set_index("unit")
    a2, b2 = a[:-1] + [(PS, "rules_problem")], b[:-1] + [(PS, "rules_problem")]
    two = interviews.agreement_table(_two_coders(a2, b2, codes), codes, n_boot=300, seed=5).set_index("unit")
    cols = ["alpha_ci_lower", "alpha_ci_upper", "alpha_prob_below"]
    assert one.loc[PP, cols].tolist() == two.loc[PP, cols].tolist()
    other = interviews.agreement_table(_two_coders(a, b, codes), codes, n_boot=300, seed=6).set_index("unit")
    assert one.loc[PP, cols].tolist() != other.loc[PP, cols].tolist()


def test_bad_codings_and_options_get_one_line(codes):
    three = pd.concat(
        [_two_coders([PP, PS], [PP, PS], codes), _codings([("s1", "C", PP), ("s2", "C", PS)], codes)], ignore_index=True
    )
    with pytest.raises(EmstudyError, match=r"^hand-made: coded by 3 coder\(s\) \['A', 'B', 'C'\]; .*exactly two"):
        interviews.agreement_table(three, codes, label="hand-made")
    lone = pd.DataFrame(
        {"case": "h_district", "source": "I01", "segment_id": ["s1", "s1", "s2"], "coder": ["A", "B", "A"]}
    ).assign(code=PP)
    with pytest.raises(EmstudyError, match=r"^x: segment 's2' of source 'I01' is not coded by both coders"):
        interviews.agreement_table(lone, codes, label="x")
    two_cases = pd.concat([lone.iloc[:2], lone.iloc[:2].assign(case="wencheng")], ignore_index=True)
    with pytest.raises(EmstudyError, match=r"^x: holds codings of 2 cases"):
        interviews.agreement_table(two_cases, codes, label="x")
    frame = _two_coders([PP], [PP], codes)
    for kw, name in (({"n_boot": -1}, "n_boot"), ({"seed": 1.5}, "seed"), ({"conf_level": 1}, "conf_level")):
        with pytest.raises(ValueError, match=rf"^{name}: expected") as err:
            interviews.agreement_table(frame, codes, **kw)
        assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------------------- triangulation


def _below(case, weak):
    constructs = ["plan", "organisation", "resources", "teams", "training", "rules"]
    constructs += ["warning", "response", "information", "participation", "recovery"]
    return pd.DataFrame(
        {
            "case": case,
            "construct": constructs,
            "diff": [-0.3 if c in weak else 0.1 for c in constructs],
            "pvalue_holm": [0.001 if c in weak else 0.5 for c in constructs],
            "below": [c in weak for c in constructs],
        }
    )


def test_triangulation_states_agreement_divergence_and_silence(project, codes):
    codebook = project.codebook()
    case = project.case("h_district", codebook)
    # agreed codings: resources 6 problems (survey weak: agreement), plan 5 problems (survey not weak:
    # divergence), rules 2 strengths (silence), warning 3 strengths (no problem, survey fine: agreement)
    themes = ["resources_problem"] * 6 + [PP] * 5 + ["rules_strength"] * 2 + ["warning_strength"] * 3
    frame = _two_coders(themes, themes, codes)
    tri = interviews.triangulation(
        frame, codes, below=_below("h_district", {"resources"}), case=case, codebook=codebook
    ).set_index("construct")
    assert tri.loc["resources", ["n_segments", "n_problem", "verdict"]].tolist() == [6, 6, "agreement"]
    assert tri.loc["resources", "survey_weakness"] and tri.loc["resources", "case_weakness"]
    assert tri.loc["plan", "verdict"] == "divergence" and tri.loc["plan", "interview_problem"]
    assert tri.loc["rules", "verdict"] == "silence" and tri.loc["rules", "interview_problem"] is None
    assert tri.loc["warning", ["interview_problem", "verdict"]].tolist() == [False, "agreement"]
    assert tri.loc["training", "case_weakness"] and tri.loc["training", "verdict"] == "silence"
    assert tri.loc["resources", "dimension"] == "resource_prep"
    assert tri.loc["resources", "statement_en"].endswith("they agree.")
    assert tri.loc["plan", "statement_zh"].endswith("两者不一致。")
    assert "fewer than 3" in tri.loc["rules", "statement_en"]
    assert tri["even_share"].eq(1 / 11).all()
    assert tri["problem_concentration"].sum() == pytest.approx(1.0)


def test_triangulation_counts_agreed_codes_or_one_coders(project, codes):
    codebook = project.codebook()
    case = project.case("h_district", codebook)
    a = ["resources_problem"] * 4 + ["resources_strength"] * 2
    b = ["resources_problem"] * 2 + ["resources_strength"] * 4
    frame = _two_coders(a, b, codes)
    kw = {"below": _below("h_district", set()), "case": case, "codebook": codebook}
    agreed = interviews.triangulation(frame, codes, **kw).set_index("construct").loc["resources"]
    first = interviews.triangulation(frame, codes, basis="A", **kw).set_index("construct").loc["resources"]
    assert agreed[["n_segments", "n_problem", "n_strength"]].tolist() == [4, 2, 2]
    assert first[["n_segments", "n_problem", "n_strength"]].tolist() == [6, 4, 2]
    with pytest.raises(ValueError, match=r"^basis: expected 'agreed' or one of the coders \['A', 'B'\]"):
        interviews.triangulation(frame, codes, basis="C", **kw)
    with pytest.raises(ValueError, match=r"^min_segments: expected"):
        interviews.triangulation(frame, codes, min_segments=0, **kw)
    with pytest.raises(EmstudyError, match=r"^below_others: case 'h_district' was not compared"):
        interviews.triangulation(frame, codes, **{**kw, "below": _below("yima", set())})


# ------------------------------------------------------------------------- the committed synthetic interviews


def _truth(project, case):
    return json.loads((project.raw_dir / f"{case}.interviews.truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", INTERVIEW_CASES)
def test_the_generators_agreement_is_recovered_within_the_interval(project, results, case):
    expected = _truth(project, case)["expected"]
    overall = results[case].agreement.set_index("unit").loc["overall"]
    for column, key in (("kappa", "cohen_kappa"), ("alpha", "krippendorff_alpha"), ("percent", "percent_agreement")):
        assert overall[f"{column}_ci_lower"] <= expected[key] <= overall[f"{column}_ci_upper"], column
    assert results[case].n_segments == _truth(project, case)["drawn"]["n_segments"]
    assert results[case].synthetic


@pytest.mark.parametrize("case", INTERVIEW_CASES)
def test_the_triangulation_finds_the_planted_weaknesses(project, codes, results, case):
    """Every planted weakness (the case file's, which the synthetic survey also puts below the other places) is
    a problem the interviews concentrate on: agreement. Every construct whose planted share of the problem
    codings is clearly off the rule's margin (more than 1.5 times or less than 1/1.5 times an even share,
    from the generator's code probabilities) gets the verdict the truth implies."""
    truth = _truth(project, case)
    tri = results[case].triangulation.set_index("construct")
    weak = truth["parameters"]["weaknesses"]
    assert tri.loc[weak, "verdict"].eq("agreement").all() and tri.loc[weak, "interview_problem"].all()
    assert tri.loc[weak, "survey_weakness"].all()
    pi = truth["parameters"]["code_probabilities"]

    def mass(c, polarity):
        return sum(pi[k.id] for k in codes.codes if c in k.constructs and k.polarity == polarity)

    problem = {c: mass(c, "problem") for c in tri.index}
    strength = {c: mass(c, "strength") for c in tri.index}
    even = np.mean(list(problem.values()))
    checked = 0
    for c in tri.index:
        ratio = problem[c] / even
        if tri.loc[c, "verdict"] == "silence" or 1 / 1.5 <= ratio <= 1.5:
            continue
        assert tri.loc[c, "interview_problem"] == (ratio > 1 and problem[c] > strength[c]), c
        checked += 1
    assert checked >= 6


def test_run_writes_the_three_files_labelled_synthetic(project, results, tmp_path):
    res = results["h_district"]
    paths = interviews.write_results(res, tmp_path)
    assert [p.name for p in paths] == [files.INTERVIEW_AGREEMENT, files.TRIANGULATION, files.INTERVIEWS]
    agreement = pd.read_csv(tmp_path / files.INTERVIEW_AGREEMENT)
    assert agreement.columns[0] == "case" and agreement["synthetic"].all() and agreement["unit"].iloc[0] == "overall"
    tri = pd.read_csv(tmp_path / files.TRIANGULATION)
    assert list(tri["construct"]) == list(project.codebook().construct_ids) and tri["synthetic"].all()
    data = json.loads((tmp_path / files.INTERVIEWS).read_text(encoding="utf-8"))
    assert data["synthetic"] and data["note"].startswith("SYNTHETIC DATA")
    assert data["overall"]["krippendorff_alpha"]["ci_method"].startswith("percentile bootstrap")
    assert data["thresholds"]["alpha"]["flag"] == "alpha < .667"
    assert data["flagged"] == res.flagged and set(data["unused_codes"]) == set(res.unused)
    assert data["settings"]["multi_code"].startswith("per code")
    before = [p.read_bytes() for p in paths]
    again = interviews.write_results(interviews.run(project, "h_district", n_boot=1000), tmp_path / "again")
    assert [p.read_bytes() for p in again] == before  # the same bytes on a rerun


def test_run_errors_are_one_line(project, tmp_path):
    bare = Project(tmp_path)
    (tmp_path / "data" / "raw").mkdir(parents=True)
    with pytest.raises(EmstudyError, match=r"yima\.interviews\.\*: case 'yima' has no coded interviews; put them"):
        interviews.run(bare, "yima")
    assert interviews.codings_path(project, "yima") is None
    assert interviews.codings_path(project, "wencheng").name == "wencheng.interviews.csv"
    elsewhere = replace(project, outputs=tmp_path / "out")  # notebook 05 has not run there
    with pytest.raises(EmstudyError, match=r"below_others\.csv: not found; run notebook 05_compare first"):
        interviews.run(elsewhere, "wencheng", n_boot=0)
    with pytest.raises(TypeError, match="^results: expected the InterviewResults"):
        interviews.write_results({}, tmp_path)


def test_bad_codings_in_the_raw_file_are_one_line_naming_file_and_row(project, tmp_path):
    for part in ("data/codebooks/core.yml", "data/interview_codes.yml", "data/cases/h_district.yml"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / part).write_bytes((project.root / part).read_bytes())
    raw = tmp_path / "data" / "raw" / "h_district.interviews.csv"
    raw.parent.mkdir(parents=True)
    raw.write_text(
        "case,source,segment_id,text,code,coder\n"
        "h_district,I01,s1,预案没更新,plan_problem,A\n"
        "h_district,I01,s1,预案没更新,no_such_code,B\n",
        encoding="utf-8",
    )
    with pytest.raises(EmstudyError, match=r"h_district\.interviews\.csv: row 2: unknown code 'no_such_code'") as err:
        interviews.run(Project(tmp_path), "h_district", verify=False)
    assert "\n" not in str(err.value)
    (raw.parent / "SHA256SUMS").write_text("", encoding="utf-8")
    with pytest.raises(EmstudyError, match=r"h_district\.interviews\.csv: not listed in .*SHA256SUMS"):
        interviews.run(Project(tmp_path), "h_district")  # the raw file is checked first


# ------------------------------------------------------------------------------------ the notebook's declarations


def test_the_findings_notebook_declares_the_interview_files(project):
    from emstudy.runner.depends import STEP_RESULTS, declare

    notebooks = project.root / "notebooks"
    case_ids = project.case_ids()
    produced = (files.INTERVIEW_AGREEMENT, files.TRIANGULATION, files.INTERVIEWS)
    assert set(produced) <= set(STEP_RESULTS["07_findings"])
    assert not set(produced) & {f for step, names in STEP_RESULTS.items() if step != "07_findings" for f in names}
    codes_file = project.root / "data" / "interview_codes.yml"
    for case in ("wencheng", "chaoyang"):  # with coded interviews, and without (every format listed while absent)
        reads, writes, _ = declare(project, notebooks / "07_findings.ipynb", case, case_ids)
        assert codes_file in reads
        assert {project.raw_dir / f"{case}.interviews{ext}" for ext in interviews.CODINGS_EXTENSIONS} <= set(reads)
        assert {project.results_dir(case) / name for name in produced} <= set(writes)
    reads, _, _ = declare(project, notebooks / "01_data_quality.ipynb", "wencheng", case_ids)
    assert codes_file not in reads
    source = (notebooks / "07_findings.ipynb").read_text(encoding="utf-8")
    for call in (
        "interviews.run(project, case_id",
        "interviews.write_results(iv,",
        "findings.run(project, case_id, interviews=iv)",
    ):
        assert call in source


# ------------------------------------------------------------------------------------------ coded open answers


def _coded_open_answers(project, copy, case="wencheng", *, source="open_answers"):
    """Twelve of the case's scrubbed open answers (notebook 01's open_answers.csv) coded by two coders, written as
    data/raw/<case>.open_answers.coded.csv of a project copy and recorded in its SHA256SUMS; the copy reads the
    committed analysis/ (notebook 05's below_others.csv). Answers 1-6: both plan_problem; 7-9: both
    response_strength; 10: both organisation_problem; 11-12: coder_1 organisation_problem, coder_2 plan_problem."""
    answers = pd.read_csv(project.results_dir(case) / files.OPEN_ANSWERS).head(12)
    one = [PP] * 6 + ["response_strength"] * 3 + ["organisation_problem"] * 3
    two = [PP] * 6 + ["response_strength"] * 3 + ["organisation_problem"] + [PP] * 2
    rows = [
        (case, source, rid, text, code, coder)
        for rid, text, a, b in zip(answers["respondent_id"], answers["suggestion"], one, two, strict=True)
        for code, coder in ((a, "coder_1"), (b, "coder_2"))
    ]
    frame = pd.DataFrame(rows, columns=["case", "source", "segment_id", "text", "code", "coder"])
    raw = copy.raw_dir / f"{case}.open_answers.coded.csv"
    frame.to_csv(raw, index=False, encoding="utf-8")
    from emstudy.fileio import read_checksums, sha256_file, write_checksums

    write_checksums(copy.raw_dir, read_checksums(copy.raw_dir) | {raw.name: sha256_file(raw)})
    return replace(copy, outputs=project.root / "analysis")


def test_coded_open_answers_get_the_same_agreement_and_a_triangulation_column(project, project_copy, codes, tmp_path):
    bare = replace(project_copy, outputs=project.root / "analysis")
    before = interviews.run(bare, "wencheng", n_boot=200)
    coded = _coded_open_answers(project, project_copy)
    assert interviews.codings_path(coded, "wencheng", source="open_answers").name == "wencheng.open_answers.coded.csv"
    res = interviews.run(coded, "wencheng", n_boot=200)
    # the interviews' own results do not move
    pd.testing.assert_frame_equal(res.agreement, before.agreement)
    pd.testing.assert_frame_equal(res.triangulation[before.triangulation.columns], before.triangulation)
    table = res.open_agreement.set_index("unit")
    assert table.at["overall", "n_segments"] == 12 and table.at["overall", "percent"] == pytest.approx(10 / 12)
    # plan_problem present/absent: coder_1 on answers 1-6, coder_2 on 1-6, 11, 12 -> po = 10/12, pe = .5 (Cohen)
    assert table.at[PP, "kappa"] == pytest.approx((10 / 12 - 0.5) / 0.5, abs=1e-12)
    assert res.open_answers["n_segments"] == 12 and res.open_answers["coders"] == ["coder_1", "coder_2"]
    assert res.open_answers["source"] == "data/raw/wencheng.open_answers.coded.csv"
    tri = res.triangulation.set_index("construct")
    # agreed codings: plan_problem on 6 answers, organisation_problem on 1, response_strength on 3
    assert (tri.at["plan", "open_n_answers"], tri.at["plan", "open_n_problem"]) == (6, 6)
    assert tri.at["plan", "open_problem_share"] == 1.0 and tri.at["plan", "open_problem"] is True
    assert (tri.at["response", "open_n_problem"], tri.at["response", "open_problem"]) == (0, False)
    assert tri.at["organisation", "open_problem"] is None  # one answer: fewer than min_segments
    paths = interviews.write_results(res, tmp_path)
    assert [p.name for p in paths][-1] == files.INTERVIEWS and len(paths) == 4
    written = pd.read_csv(tmp_path / files.OPEN_ANSWERS_AGREEMENT)
    assert written["synthetic"].all() and list(written["unit"])[:2] == ["overall", PP]
    data = json.loads((tmp_path / files.INTERVIEWS).read_text(encoding="utf-8"))
    assert data["open_answers"]["overall"]["cohen_kappa"]["n_units"] == 12


def test_without_coded_open_answers_nothing_changes(project, project_copy, tmp_path):
    bare = replace(project_copy, outputs=project.root / "analysis")
    assert interviews.codings_path(bare, "wencheng", source="open_answers") is None
    res = interviews.run(bare, "wencheng")  # the notebook's settings: its files are the committed ones
    assert res.open_answers is None and res.open_agreement is None and "open_answers" not in res.to_dict()
    assert not any(c.startswith("open_") for c in res.triangulation.columns)
    paths = interviews.write_results(res, tmp_path)
    assert [p.name for p in paths] == [files.INTERVIEW_AGREEMENT, files.TRIANGULATION, files.INTERVIEWS]
    for p in paths:
        assert p.read_bytes() == (project.results_dir("wencheng") / p.name).read_bytes(), p.name


def test_coded_open_answers_errors_are_one_line(project, project_copy):
    coded = _coded_open_answers(project, project_copy, source="I01")
    with pytest.raises(EmstudyError, match=r"open_answers\.coded\.csv: source 'I01' in coded open answers; give"):
        interviews.run(coded, "wencheng", n_boot=0)
    (coded.raw_dir / "wencheng.open_answers.coded.xlsx").write_bytes(b"")
    with pytest.raises(EmstudyError, match=r"more than one file of coded open answers for case 'wencheng'"):
        interviews.run(coded, "wencheng", n_boot=0)
    with pytest.raises(ValueError, match=r"^source: expected one of"):
        interviews.codings_path(coded, "wencheng", source="transcripts")
    from emstudy.runner.depends import interview_inputs

    listed = interview_inputs(project, "chaoyang")  # listed even while absent
    assert {project.raw_dir / f"chaoyang.open_answers.coded{e}" for e in interviews.CODINGS_EXTENSIONS} <= set(listed)
