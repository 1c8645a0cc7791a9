"""The shared instrument (codebook) validates; a broken codebook fails with file, key and expectation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from emstudy.errors import EmstudyError
from emstudy.project import Project
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


# -- a case's own constructs (data/codebooks/<case>.yml) ------------------------------------------------------
def _extension(*constructs: dict) -> dict:
    return {"constructs": list(constructs)}


def _construct(cid: str, *item_ids: str, **extra: object) -> dict:
    items = [{"id": i, "en": f"item {i}", "zh": f"题项{i}"} for i in item_ids]
    return {"id": cid, "en": cid, "zh": cid, "items": items, **extra}


def _project_with(tmp_path: Path, project, extension: dict | None) -> Project:
    (tmp_path / "data" / "codebooks").mkdir(parents=True)
    shutil.copy(project.codebook_path, tmp_path / "data" / "codebooks" / "core.yml")
    if extension is not None:
        _write(tmp_path / "data" / "codebooks", "newtown.yml", extension)
    return Project(tmp_path)


def test_extension_adds_constructs_after_the_core_and_keeps_its_question_numbers(tmp_path, project, codebook):
    ext = _extension(_construct("drills", "DRL1", "DRL2"), _construct("volunteers", "VOL1", "VOL2", "VOL3"))
    ext["constructs"][1]["items"][2]["reverse"] = True
    local = _project_with(tmp_path, project, ext)
    cb = local.codebook("newtown")
    assert cb.construct_ids == [*codebook.construct_ids, "drills", "volunteers"]
    assert cb.core_construct_ids == codebook.construct_ids
    assert cb.extension_ids == ("drills", "volunteers")
    assert cb.scales()["drills"] == ["DRL1", "DRL2"]
    assert "VOL3" in cb.reverse_items
    assert {k: cb.question_numbers[k] for k in codebook.question_numbers} == codebook.question_numbers
    assert cb.question_numbers["DRL1"] == max(codebook.question_numbers.values()) + 1
    assert local.codebook() == codebook  # the core, and every other case's codebook, unchanged
    assert local.codebook("yima") == codebook


@pytest.mark.parametrize(
    ("extension", "key"),
    [
        (_extension(_construct("drills", "DRL1", "PLN1")), "constructs.0.items.1.id: 'PLN1' is already used"),
        (_extension(_construct("plan", "DRL1", "DRL2")), "constructs.0.id: 'plan' is already used"),
        (
            _extension(_construct("drills", "DRL1", "DRL2"), _construct("more", "DRL2", "MOR1")),
            "constructs.1.items.0.id: 'DRL2' is already used",
        ),
        (_extension(_construct("drills", "DRL1")), "constructs.0.items: Tuple should have at least 2 items"),
        (_extension(_construct("drills", *(f"DRL{k}" for k in range(1, 7)))), "constructs.0.items: Tuple should"),
        (_extension(_construct("drills", "DRL1", "DRL2", scale="1-7")), "constructs.0.scale: Extra inputs"),
        ({"constructs": [], "notes": "x"}, "notes: Extra inputs are not permitted"),
        (_extension(_construct("drills", "drl1", "DRL2")), "constructs.0.items.0.id: String should match"),
    ],
)
def test_bad_extension_gives_one_line_naming_file_and_key(tmp_path, project, extension, key):
    local = _project_with(tmp_path, project, extension)
    with pytest.raises(EmstudyError) as err:
        local.codebook("newtown")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(Path("data", "codebooks", "newtown.yml"))) or message.startswith(
        str(local.extension_path("newtown"))
    )
    assert key in message


def test_the_core_codebook_is_never_read_as_an_extension(tmp_path, project, codebook):
    assert _project_with(tmp_path, project, None).codebook("core") == codebook
