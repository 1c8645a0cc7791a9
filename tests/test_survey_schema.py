"""Tests for emstudy.survey.schema: the strict YAML loader (duplicate keys are errors) and the model loader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emstudy.errors import EmstudyError
from emstudy.survey.cases import load_case
from emstudy.survey.mapping import load_mapping
from emstudy.survey.schema import load_yaml

PACKAGE = Path(__file__).resolve().parents[1] / "emstudy"


def test_duplicate_label_in_a_mapping_names_file_line_and_key(tmp_path: Path, codebook) -> None:
    path = tmp_path / "m.yml"
    path.write_text("columns: {}\nlabels:\n  非常同意: 5\n  同意: 4\n  非常同意: 1\n", encoding="utf-8")
    with pytest.raises(EmstudyError) as info:
        load_mapping(path, codebook)
    message = str(info.value)
    assert message.startswith(f"{path}: line 5, column 3: duplicate key '非常同意' (first given on line 3)")
    assert "\n" not in message


def test_duplicate_top_level_and_flow_keys(tmp_path: Path) -> None:
    path = tmp_path / "m.yml"
    path.write_text("labels: {}\nignore: []\nlabels: {x: 1}\n", encoding="utf-8")
    with pytest.raises(EmstudyError, match=re.escape(f"{path}: line 3, column 1: duplicate key 'labels'")):
        load_mapping(path)
    path.write_text("item_labels:\n  role: {公务员: gov, 群众: res, 公务员: ent}\n", encoding="utf-8")
    with pytest.raises(EmstudyError, match=r"line 2, column 29: duplicate key '公务员' \(first given on line 2\)"):
        load_mapping(path)


def test_keys_equal_as_values_are_duplicates() -> None:
    # 5 and 5.0 (or true and yes) are the same key once parsed: the second would replace the first.
    with pytest.raises(EmstudyError, match=r"duplicate key 5\.0 \(first given on line 1\)"):
        load_yaml("5: a\n5.0: b\n")


def test_merge_keys_may_be_overridden_and_distinct_keys_load() -> None:
    data = load_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n")
    assert data == {"base": {"x": 1, "y": 2}, "other": {"x": 3, "y": 2}}
    assert load_yaml("") is None
    assert load_yaml("非常同意: 5\n同意: 4\n") == {"非常同意": 5, "同意": 4}


def test_duplicate_key_in_a_case_file(project_copy) -> None:
    path = project_copy.cases_dir / "yima.yml"
    text = path.read_text(encoding="utf-8")
    first_key = text.splitlines()[[i for i, line in enumerate(text.splitlines()) if line.startswith("id:")][0]]
    path.write_text(text + "\n" + first_key + "\n", encoding="utf-8")
    with pytest.raises(EmstudyError, match=re.escape(str(path)) + r": line \d+, column 1: duplicate key 'id'"):
        load_case(path)


def test_syntax_errors_keep_their_line() -> None:
    with pytest.raises(EmstudyError, match=r"^m\.yml: YAML syntax error: line 2, column"):
        load_yaml("a: [1\nb: 2\n", path="m.yml")


def test_every_yaml_file_of_the_study_loads_strictly(project) -> None:
    files = sorted((project.root / "data").rglob("*.yml"))
    assert files
    for path in files:
        load_yaml(path.read_text(encoding="utf-8"), path=path)


def test_the_package_reads_yaml_only_through_the_strict_loader() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "schema.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"yaml\.(safe_load|load|full_load|unsafe_load)\(", line)
    ]
    assert offenders == []
