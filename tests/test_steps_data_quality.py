"""Notebook 01's step: data quality of an opened case, and its results files (guarded against personal data)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from emstudy.errors import EmstudyError
from emstudy.steps import data_quality, files
from emstudy.steps.context import load_encoded, open_case


@pytest.fixture(scope="module")
def yima(project):
    return data_quality.run(open_case(project.root, "yima"))


def test_run_gathers_the_quality_summary_and_open_answers(yima):
    assert yima.summary["case"] == "yima" and yima.summary["synthetic"] is True
    assert yima.summary["n_valid"] == len(yima.encoded)
    assert set(yima.missing.columns) == {"construct", "missing_share"}
    assert int(yima.open_counts["n"].sum()) == len(yima.open_answers)


def test_write_results_reproduces_the_committed_files(yima, project, tmp_path):
    written = data_quality.write_results(yima, tmp_path)
    assert [p.name for p in written] == [
        files.DATA_QUALITY,
        files.MISSING_BY_ITEM,
        files.ENCODED,
        files.OPEN_ANSWERS,
        files.OPEN_ANSWER_COUNTS,
    ]
    committed = project.results_dir("yima")
    if (committed / files.ENCODED).is_file():
        for path in written:
            assert path.read_bytes() == (committed / path.name).read_bytes(), path.name
    assert json.loads((tmp_path / files.DATA_QUALITY).read_text(encoding="utf-8"))["case"] == "yima"


def test_writer_refuses_unscrubbed_text_and_keeps_the_last_good_files(yima, tmp_path):
    written = data_quality.write_results(yima, tmp_path)
    before = {p.name: p.read_bytes() for p in written}
    bad_answers = pd.DataFrame({"suggestion": ["联系13812345678", "x@example.com"]}, index=["1", "2"])
    bad = data_quality.DataQualityResults(
        yima.summary, yima.missing, yima.distribution, yima.encoded, bad_answers, yima.open_counts
    )
    with pytest.raises(EmstudyError, match=r"open_answers.csv: personal data \(email, phone\) left in free text"):
        data_quality.write_results(bad, tmp_path)
    assert {p.name: p.read_bytes() for p in written} == before


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(TypeError, match="ctx"):
        data_quality.run(object())
    with pytest.raises(TypeError, match="results"):
        data_quality.write_results(object(), tmp_path)


def test_load_encoded_reads_what_write_results_wrote(project):
    enc = load_encoded(project.root, "yima")
    assert enc.case.id == "yima" and len(enc.items.columns) == len(enc.codebook.item_ids)
