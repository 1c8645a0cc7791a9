"""Synthetic interviews: the agreement the generator sets is recovered, themes follow the weaknesses, the texts
are scrubbed, and the files `emstudy simulate` adds are the committed ones, read by the interview reader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emstudy.cli import main
from emstudy.errors import EmstudyError
from emstudy.stats import cohen_kappa, krippendorff_alpha, percent_agreement
from emstudy.survey.cases import load_case
from emstudy.survey.interviews import load_interview_codes, read_codings
from emstudy.survey.privacy import find_personal_data
from emstudy.survey.simulate_interviews import (
    InterviewSettings,
    code_probabilities,
    coder_joint,
    draw_codings,
    expected_agreement,
    interview_files,
    interviews_file_name,
    interviews_truth_file_name,
    simulate_interviews,
)

INTERVIEW_CASES = ["h_district", "wencheng", "xilinguole"]


@pytest.fixture(scope="module")
def codes(project, codebook):
    return load_interview_codes(project.root / "data" / "interview_codes.yml", codebook)


def _truth(project, case_id):
    return json.loads((project.raw_dir / interviews_truth_file_name(case_id)).read_text(encoding="utf-8"))


# --- the generator's agreement is recovered -----------------------------------------------------------------


@pytest.mark.parametrize("copy_probability", [0.5, 0.8, 0.95])
def test_agreement_set_by_the_generator_is_recovered_within_its_interval(project, codebook, codes, copy_probability):
    """A large seeded draw: Cohen's kappa (Fleiss-Cohen-Everitt interval), Krippendorff's alpha (Hayes &
    Krippendorff bootstrap) and percent agreement (Gwet's interval) each cover the value the generator implies."""
    case = project.case("wencheng", codebook)
    settings = InterviewSettings(copy_probability=copy_probability)
    rng = np.random.default_rng(np.random.SeedSequence([17, int(copy_probability * 100)]))
    c1, c2, copied = draw_codings(codes.codes, case.weaknesses, n_segments=4000, rng=rng, settings=settings)
    expected = expected_agreement(coder_joint(codes.codes, case.weaknesses, settings), codes.ids)
    kappa = cohen_kappa(c1, c2, categories=range(len(codes.codes)))
    alpha = krippendorff_alpha(np.vstack([c1, c2]), level="nominal", n_boot=1000, seed=3)
    pa = percent_agreement(np.column_stack([c1, c2]))
    for result, key in ((kappa, "cohen_kappa"), (alpha, "krippendorff_alpha"), (pa, "percent_agreement")):
        assert result.ci_lower <= expected[key] <= result.ci_upper, (key, result.summary(), expected[key])
        assert result.ci_upper - result.ci_lower < 0.08  # a real test: the interval is narrow at this size
    assert abs(copied.mean() - copy_probability) < 0.03
    # the copy probability moves the agreement: kappa lies between p and p + (1 - p) * chance agreement
    assert copy_probability - 0.05 < expected["cohen_kappa"] < copy_probability + 0.05


@pytest.mark.parametrize("case_id", INTERVIEW_CASES)
def test_committed_codings_recover_the_agreement_of_their_truth_file(project, codes, case_id):
    coded = read_codings(project.raw_dir / interviews_file_name(case_id), codes=codes)
    wide = coded.pivot(index="segment_id", columns="coder", values="code")
    truth = _truth(project, case_id)
    assert list(wide.columns) == truth["parameters"]["coders"]
    first, second = (wide[c].to_numpy() for c in truth["parameters"]["coders"])
    kappa = cohen_kappa(first, second, categories=codes.ids)
    alpha = krippendorff_alpha(np.vstack([first, second]), level="nominal", categories=codes.ids, n_boot=1000, seed=1)
    assert kappa.ci_lower <= truth["expected"]["cohen_kappa"] <= kappa.ci_upper, kappa.summary()
    assert alpha.ci_lower <= truth["expected"]["krippendorff_alpha"] <= alpha.ci_upper, alpha.summary()
    # coder 1 codes the theme; coder 2 departs from it only where it did not copy
    assert dict(zip(wide.index, first, strict=True)) == truth["drawn"]["theme"]
    differs = {s for s, a, b in zip(wide.index, first, second, strict=True) if a != b}
    assert differs and differs <= set(truth["drawn"]["coder_2_not_copied"])


def test_expected_agreement_at_the_extremes(project, codebook, codes):
    weak = project.case("h_district", codebook).weaknesses
    perfect = expected_agreement(coder_joint(codes.codes, weak, InterviewSettings(copy_probability=1.0)), codes.ids)
    assert perfect["cohen_kappa"] == perfect["krippendorff_alpha"] == perfect["percent_agreement"] == 1.0
    chance = InterviewSettings(copy_probability=0.0, neighbour_share=0.0)  # coder 2 draws independently
    none = expected_agreement(coder_joint(codes.codes, weak, chance), codes.ids)
    pi = code_probabilities(codes.codes, weak)
    assert abs(none["cohen_kappa"]) < 1e-12 and abs(none["percent_agreement"] - pi @ pi) < 1e-8
    assert all(abs(v["cohen_kappa"]) < 1e-12 for v in none["by_code"].values())
    # the joint distribution is a distribution, whatever the settings
    joint = coder_joint(codes.codes, weak, InterviewSettings(copy_probability=0.3, neighbour_share=0.9))
    assert np.all(joint >= 0) and abs(joint.sum() - 1) < 1e-12 and np.allclose(joint.sum(axis=1), pi)


def test_expected_agreement_by_code_matches_a_large_draw(project, codebook, codes):
    case = project.case("xilinguole", codebook)
    rng = np.random.default_rng(2026)
    c1, c2, _ = draw_codings(codes.codes, case.weaknesses, n_segments=20000, rng=rng)
    expected = expected_agreement(coder_joint(codes.codes, case.weaknesses, InterviewSettings()), codes.ids)
    for k, code in enumerate(codes.ids):
        if expected["by_code"][code]["share_coder_1"] < 0.03:
            continue  # too rare for a tight interval
        r = cohen_kappa(c1 == k, c2 == k)
        assert r.ci_lower <= expected["by_code"][code]["cohen_kappa"] <= r.ci_upper, (code, r.summary())


# --- themes follow the weaknesses -----------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", INTERVIEW_CASES)
def test_problem_segments_concentrate_on_the_case_weaknesses(project, codebook, codes, case_id):
    case = project.case(case_id, codebook)
    truth = _truth(project, case_id)
    share = truth["expected"]["problem_share_by_construct"]
    others = [c for c in codebook.construct_ids if c not in case.weaknesses]
    assert min(share[c] for c in case.weaknesses) > max(share[c] for c in others)
    # in the drawn themes too: problem codes of a weakness make up most of the problem segments
    themes = truth["drawn"]["theme"].values()
    by_id = {c.id: c for c in codes.codes}
    problems = [by_id[t] for t in themes if by_id[t].polarity == "problem"]
    on_weakness = [c for c in problems if set(c.constructs) & set(case.weaknesses)]
    assert len(on_weakness) > 0.6 * len(problems)


def test_drawn_problem_shares_match_the_truth(project, codebook, codes):
    case = project.case("h_district", codebook)
    c1, _, _ = draw_codings(codes.codes, case.weaknesses, n_segments=20000, rng=np.random.default_rng(5))
    _, truth = simulate_interviews(case, codes.codes)
    for construct, expected in truth["expected"]["problem_share_by_construct"].items():
        on = [k for k, c in enumerate(codes.codes) if construct in c.constructs]
        drawn = np.isin(c1, on)
        problem = np.isin(c1, [k for k in on if codes.codes[k].polarity == "problem"])
        share = problem.sum() / drawn.sum()
        assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / drawn.sum()), construct


# --- texts, files and format ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", INTERVIEW_CASES)
def test_texts_are_scrubbed_and_offsets_fit_the_transcript(project, codes, case_id):
    coded = read_codings(project.raw_dir / interviews_file_name(case_id), codes=codes)
    truth = _truth(project, case_id)
    assert truth["synthetic"] is True and "SYNTHETIC" in truth["note"]
    segments = coded.drop_duplicates("segment_id")
    assert all(find_personal_data(t) == [] for t in segments["text"])
    scrubbed = set(segments.loc[segments["text"].str.contains("[PHONE]", regex=False), "segment_id"])
    assert scrubbed == set(truth["drawn"]["phone_scrubbed"]) and scrubbed
    assert ((segments["end"] - segments["start"]) == segments["text"].str.len()).all()
    for _source, seg in segments.groupby("source"):
        assert (seg["start"].iloc[1:].to_numpy() == seg["end"].iloc[:-1].to_numpy() + 1).all()  # newline-joined
    assert coded.groupby("segment_id")["coder"].nunique().eq(2).all()
    n_people = sum(r.n for r in load_case(project.cases_dir / f"{case_id}.yml").interviews.roles)
    assert coded["source"].nunique() == n_people == len(truth["drawn"]["interviewees"])


def test_committed_files_are_the_generators_and_only_interview_cases_have_them(project, codebook, codes):
    for case_id in project.case_ids():
        case = project.case(case_id, codebook)
        files = interview_files(case, codes.codes)
        if case.interviews is None:
            assert files == {} and not (project.raw_dir / interviews_file_name(case_id)).exists()
            continue
        assert case_id in INTERVIEW_CASES
        for name, data in files.items():
            assert (project.raw_dir / name).read_bytes() == data, name
        assert interview_files(case, codes.codes) == files  # the same bytes on every run


def test_seed_changes_the_draw(project, codebook, codes):
    case = project.case("wencheng", codebook)
    a, _ = simulate_interviews(case, codes.codes)
    b, _ = simulate_interviews(case, codes.codes, InterviewSettings(seed=1))
    assert not a.equals(b)


# --- bad input ------------------------------------------------------------------------------------------------


def test_bad_settings_and_cases_get_one_line(project, codebook, codes):
    with pytest.raises(EmstudyError, match=r"^copy_probability: expected a probability in \[0, 1\], got 1.5$"):
        InterviewSettings(copy_probability=1.5)
    with pytest.raises(EmstudyError, match=r"^segments_per_interview: expected \(low, high\)"):
        InterviewSettings(segments_per_interview=(5, 2))
    with pytest.raises(EmstudyError, match="^case yima: the case file lists no interviews"):
        simulate_interviews(project.case("yima", codebook), codes.codes)
    with pytest.raises(EmstudyError, match="^data/interview_codes.yml: file not found; case 'wencheng' lists"):
        interview_files(project.case("wencheng", codebook), None)


def test_case_file_interviews_are_checked(project, codebook, tmp_path):
    text = (project.cases_dir / "wencheng.yml").read_text(encoding="utf-8")
    bad = tmp_path / "wencheng.yml"
    bad.write_text(text.replace("group: res, n: 2}", "group: herder, n: 2}"), encoding="utf-8")
    with pytest.raises(EmstudyError, match=r"wencheng.yml: interviews.roles.3.group: unknown role 'herder'"):
        load_case(bad, codebook)
    bad.write_text(text.replace("id: resident,", "id: volunteer,"), encoding="utf-8")
    with pytest.raises(EmstudyError, match="role id 'volunteer' is given twice"):
        load_case(bad, codebook)


def test_simulate_without_the_interview_code_book_says_so(project_copy, tmp_path, capsys):
    (project_copy.root / "data" / "interview_codes.yml").unlink()
    out = tmp_path / "out"
    assert main(["--root", str(project_copy.root), "simulate", "--case", "wencheng", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("emstudy: error: data/interview_codes.yml: file not found") and "\n" not in err
    # a case without interviews needs no interview code book
    assert main(["--root", str(project_copy.root), "simulate", "--case", "yima", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["SHA256SUMS", "yima.csv", "yima.truth.json"]


def test_simulate_adds_interview_files_and_changes_no_existing_raw_byte(project_copy, tmp_path):
    raw = project_copy.raw_dir
    for case_id in INTERVIEW_CASES:
        for name in (interviews_file_name(case_id), interviews_truth_file_name(case_id)):
            (raw / name).unlink(missing_ok=True)
    sums = (raw / "SHA256SUMS").read_text(encoding="utf-8")
    kept = "".join(line for line in sums.splitlines(keepends=True) if ".interviews." not in line)
    (raw / "SHA256SUMS").write_text(kept, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in raw.iterdir() if p.name != "SHA256SUMS"}
    assert main(["--root", str(project_copy.root), "simulate"]) == 0
    after = {p.name: p.read_bytes() for p in raw.iterdir() if p.name != "SHA256SUMS"}
    assert {k: v for k, v in after.items() if k in before} == before
    added = sorted(set(after) - set(before))
    assert added == sorted(n for c in INTERVIEW_CASES for n in (interviews_file_name(c), interviews_truth_file_name(c)))
    new_sums = (raw / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert set(kept.splitlines()) <= set(new_sums) and len(new_sums) == len(kept.splitlines()) + len(added)
