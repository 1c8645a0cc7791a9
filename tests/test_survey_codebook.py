"""The shared instrument (codebook) validates; a broken codebook fails with file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from emstudy.errors import EmstudyError
from emstudy.survey.codebook import load_codebook


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_codebook_has_the_instrument_of_the_design(codebook):
    assert len(codebook.constructs) >= 11
    for construct in codebook.all_constructs:
        assert 3 <= len(construct.items) <= 5
        for item in construct.items:
            assert item.en and item.zh
    assert codebook.reverse_items, "some items must be reverse-keyed"
    assert [a.zh for a in codebook.scale.anchors] == ["非常不同意", "不同意", "一般", "同意", "非常同意"]
    assert {lvl.code for d in codebook.demographics if d.id == "role" for lvl in d.levels} == {"gov", "ent", "res"}
    assert codebook.open_question.zh


def test_export_headers_are_numbered_questions(codebook):
    headers = codebook.export_headers
    assert headers["role"].startswith("1.")
    assert headers["PLN1"] == f"{codebook.question_numbers['PLN1']}.{codebook.items['PLN1'].zh}"
    assert len(set(headers.values())) == len(headers)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "core.yml"
    path.write_text("id: core\nconstructs: [a, b\nversion: 1\n", encoding="utf-8")
    with pytest.raises(EmstudyError, match=r"core\.yml: YAML syntax error: line \d+, column \d+"):
        load_codebook(path)


def test_codebook_with_too_few_items_is_rejected(tmp_path, project):
    data = yaml.safe_load(project.codebook_path.read_text(encoding="utf-8"))
    data["constructs"][0]["items"] = data["constructs"][0]["items"][:1]
    path = _write(tmp_path, "core.yml", data)
    with pytest.raises(EmstudyError, match=r"constructs\.0\.items: .*at least 2"):
        load_codebook(path)


def test_codebook_accepts_a_two_item_construct(tmp_path, project):
    # two-item constructs are allowed; their reliability is the Spearman-Brown coefficient (Eisinga et al. 2013)
    data = yaml.safe_load(project.codebook_path.read_text(encoding="utf-8"))
    data["constructs"][0]["items"] = data["constructs"][0]["items"][:2]
    cb = load_codebook(_write(tmp_path, "core.yml", data))
    assert cb.scales()["plan"] == ["PLN1", "PLN2"]


def test_codebook_with_duplicate_item_id_is_rejected(tmp_path, project):
    data = yaml.safe_load(project.codebook_path.read_text(encoding="utf-8"))
    data["constructs"][1]["items"][0]["id"] = "PLN1"
    path = _write(tmp_path, "core.yml", data)
    with pytest.raises(EmstudyError, match=r"identifier 'PLN1' is used twice"):
        load_codebook(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(EmstudyError, match=r"nothere\.yml: file not found"):
        load_codebook(tmp_path / "nothere.yml")
