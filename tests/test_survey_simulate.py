"""The synthetic study: byte-identical reruns, plausible sizes, and the weaknesses the case files report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from conftest import synthetic_case_ids
from emstudy.cli import main
from emstudy.steps.context import read_raw
from emstudy.survey.encode import construct_scores, encode


def test_simulate_into_empty_folder_reproduces_raw_data_byte_for_byte(project, tmp_path):
    """Every file in data/raw/ is the simulator's, byte for byte, except the README and the raw files of cases
    a user added from survey files; SHA256SUMS lists the simulator's files with the same lines."""
    out = tmp_path / "raw"
    synthetic = synthetic_case_ids(project)
    assert main(["--root", str(project.root), "simulate", "--out", str(out), *(f"--case={c}" for c in synthetic)]) == 0
    own = {project.raw_path(c).name for c in project.case_ids() if c not in synthetic}  # a user's survey files
    shipped = sorted(p.name for p in project.raw_dir.iterdir() if p.name != "README.md" and p.name not in own)
    assert sorted(p.name for p in out.iterdir()) == shipped
    for name in shipped:
        if name == "SHA256SUMS":  # the shipped list also records the user's files
            lines = (project.raw_dir / name).read_text(encoding="utf-8").splitlines(keepends=True)
            simulated = "".join(line for line in lines if line.split()[-1] not in own)
            assert (out / name).read_text(encoding="utf-8") == simulated
        else:
            assert (out / name).read_bytes() == (project.raw_dir / name).read_bytes(), name


def test_simulate_refuses_to_overwrite_changed_raw_data(project_copy, capsys):
    path = project_copy.raw_path("yima")
    path.write_bytes(path.read_bytes() + b"1,tampered\n")
    before = path.read_bytes()
    assert main(["--root", str(project_copy.root), "simulate"]) == 2
    assert "yima.csv: exists with different contents" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_raw_files_are_labelled_synthetic(project):
    for case_id in synthetic_case_ids(project):
        truth = json.loads((project.raw_dir / f"{case_id}.truth.json").read_text(encoding="utf-8"))
        assert truth["synthetic"] is True and "SYNTHETIC" in truth["note"]
    assert "synthetic" in (project.raw_dir / "README.md").read_text(encoding="utf-8").lower()


def test_sample_sizes_are_plausible(project):
    for case_id in synthetic_case_ids(project):
        raw = read_raw(project.raw_path(case_id))
        assert 150 <= len(raw) <= 452  # n respondents plus two duplicated submissions


def _valid_means(project, codebook, case_id):
    enc = encode(read_raw(project.raw_path(case_id)), codebook).valid()
    return construct_scores(enc.items, codebook)


def test_lowest_construct_means_are_the_weaknesses_the_case_file_reports(project, codebook):
    for case in (project.case(c, codebook) for c in synthetic_case_ids(project)):
        means = _valid_means(project, codebook, case.id)[codebook.construct_ids].mean()
        lowest = list(means.sort_values().index[: len(case.weaknesses)])
        assert set(lowest) == set(case.weaknesses), (case.id, means.round(2).to_dict())


def test_observed_means_agree_with_the_generators_expected_means(project, codebook):
    """Source: expected_construct_means in <case>.truth.json (exact under the generator's model)."""
    inside, total = 0, 0
    for case_id in synthetic_case_ids(project):
        truth = json.loads((project.raw_dir / f"{case_id}.truth.json").read_text(encoding="utf-8"))
        scores = _valid_means(project, codebook, case_id)
        for construct, expected in truth["expected_construct_means"].items():
            col = scores[construct].dropna()
            half = 1.96 * col.std(ddof=1) / np.sqrt(len(col))
            inside += abs(col.mean() - expected) <= half
            total += 1
    # 95% intervals: the count inside is Binomial(total, 0.95); the bound is its 0.1% quantile (51 of the five
    # study cases' 60 means: fewer has probability 0.07%)
    from scipy.stats import binom

    assert total >= 60
    assert inside >= binom.ppf(0.001, total, 0.95), f"{inside} of {total} construct means cover the generator's truth"


def test_staff_rate_their_government_higher_than_residents(project, codebook):
    for case_id in synthetic_case_ids(project):
        enc = encode(read_raw(project.raw_path(case_id)), codebook).valid()
        scores = construct_scores(enc.items, codebook)[codebook.construct_ids].mean(axis=1)
        by_role = pd.Series(scores.to_numpy(), index=enc.background["role"].to_numpy()).groupby(level=0).mean()
        assert by_role["gov"] > by_role["res"], case_id
