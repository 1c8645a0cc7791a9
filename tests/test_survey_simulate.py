"""The synthetic study: byte-identical reruns, plausible sizes, and the weaknesses the case files report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from emstudy.cli import main
from emstudy.steps.context import read_raw
from emstudy.survey.encode import construct_scores, encode


def test_simulate_into_empty_folder_reproduces_raw_data_byte_for_byte(project, tmp_path):
    out = tmp_path / "raw"
    assert main(["--root", str(project.root), "simulate", "--out", str(out)]) == 0
    shipped = sorted(p.name for p in project.raw_dir.iterdir() if p.name != "README.md")
    assert sorted(p.name for p in out.iterdir()) == shipped
    for name in shipped:
        assert (out / name).read_bytes() == (project.raw_dir / name).read_bytes(), name


def test_simulate_refuses_to_overwrite_changed_raw_data(project_copy, capsys):
    path = project_copy.raw_path("yima")
    path.write_bytes(path.read_bytes() + b"1,tampered\n")
    before = path.read_bytes()
    assert main(["--root", str(project_copy.root), "simulate"]) == 2
    assert "yima.csv: exists with different contents" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_raw_files_are_labelled_synthetic(project):
    for case_id in project.case_ids():
        truth = json.loads((project.raw_dir / f"{case_id}.truth.json").read_text(encoding="utf-8"))
        assert truth["synthetic"] is True and "SYNTHETIC" in truth["note"]
    assert "synthetic" in (project.raw_dir / "README.md").read_text(encoding="utf-8").lower()


def test_sample_sizes_are_plausible(project):
    for case in project.cases():
        raw = read_raw(project.raw_path(case.id))
        assert 150 <= len(raw) <= 452  # n respondents plus two duplicated submissions


def _valid_means(project, codebook, case_id):
    enc = encode(read_raw(project.raw_path(case_id)), codebook).valid()
    return construct_scores(enc.items, codebook)


def test_lowest_construct_means_are_the_weaknesses_the_case_file_reports(project, codebook):
    for case in project.cases():
        means = _valid_means(project, codebook, case.id)[codebook.construct_ids].mean()
        lowest = list(means.sort_values().index[: len(case.weaknesses)])
        assert set(lowest) == set(case.weaknesses), (case.id, means.round(2).to_dict())


def test_observed_means_agree_with_the_generators_expected_means(project, codebook):
    """Source: expected_construct_means in <case>.truth.json (exact under the generator's model)."""
    inside, total = 0, 0
    for case_id in project.case_ids():
        truth = json.loads((project.raw_dir / f"{case_id}.truth.json").read_text(encoding="utf-8"))
        scores = _valid_means(project, codebook, case_id)
        for construct, expected in truth["expected_construct_means"].items():
            col = scores[construct].dropna()
            half = 1.96 * col.std(ddof=1) / np.sqrt(len(col))
            inside += abs(col.mean() - expected) <= half
            total += 1
    # 95% intervals: the count inside is Binomial(60, 0.95); fewer than 51 has probability < 0.5%
    assert inside >= 51, f"{inside} of {total} construct means cover the generator's truth"


def test_staff_rate_their_government_higher_than_residents(project, codebook):
    for case_id in project.case_ids():
        enc = encode(read_raw(project.raw_path(case_id)), codebook).valid()
        scores = construct_scores(enc.items, codebook)[codebook.construct_ids].mean(axis=1)
        by_role = pd.Series(scores.to_numpy(), index=enc.background["role"].to_numpy()).groupby(level=0).mean()
        assert by_role["gov"] > by_role["res"], case_id
