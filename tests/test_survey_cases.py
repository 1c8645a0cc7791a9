"""Every case file validates (the five study cases, and any a user adds); broken case files fail with file,
key and expectation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from emstudy.errors import EmstudyError
from emstudy.survey.cases import load_case

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
CASES = ["chaoyang", "h_district", "wencheng", "xilinguole", "yima"]


def test_every_case_validates(project, codebook):
    assert set(CASES) <= set(project.case_ids())  # the five study cases; a user's own cases may follow
    for case in project.cases():
        for weakness in case.weaknesses:
            assert weakness in codebook.construct_ids
        # each framework dimension maps onto core constructs (the case's view of the instrument)
        assert all(d.constructs for d in case.framework.dimensions)
        if case.id not in CASES:  # a user's case: no thesis abstract, any sample size
            continue
        assert 150 <= case.sample.n <= 450
        assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", case.source_abstract)
        if SEEDS.is_dir():  # the abstracts live in shared/seeds beside the repository
            assert (SEEDS / case.source_abstract).is_file(), case.source_abstract


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _case_dict(project) -> dict:
    return yaml.safe_load((project.cases_dir / "yima.yml").read_text(encoding="utf-8"))


def test_case_with_missing_key_names_file_and_key(tmp_path, project, codebook):
    data = _case_dict(project)
    del data["framework"]
    path = _write(tmp_path, "yima.yml", data)
    with pytest.raises(EmstudyError, match=r"yima\.yml: framework: Field required"):
        load_case(path, codebook)


def test_case_with_wrong_type_names_the_key(tmp_path, project, codebook):
    data = _case_dict(project)
    data["sample"]["n"] = "many"
    path = _write(tmp_path, "yima.yml", data)
    with pytest.raises(EmstudyError, match=r"sample\.n: .*integer.*'many'"):
        load_case(path, codebook)


def test_case_with_unknown_construct_names_the_key(tmp_path, project, codebook):
    data = _case_dict(project)
    data["problems"][0]["constructs"] = ["morale"]
    path = _write(tmp_path, "yima.yml", data)
    with pytest.raises(EmstudyError, match=r"problems\.0\.constructs: unknown construct 'morale'"):
        load_case(path, codebook)


def test_case_file_name_must_match_id(tmp_path, project, codebook):
    path = _write(tmp_path, "other.yml", _case_dict(project))
    with pytest.raises(EmstudyError, match=r"other\.yml: id: 'yima' does not match the file name"):
        load_case(path, codebook)
