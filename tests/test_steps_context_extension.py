"""A case's own constructs (``data/codebooks/<case>.yml``): its notebooks analyse them, the comparison uses
the shared core, and no other case's encoding changes (end to end in a copy of the project)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import new_case_in_copy
from emstudy.cli import main
from emstudy.project import Project
from emstudy.steps.context import load_all

CASE = "extplace"

EXTENSION = {
    "constructs": [
        {
            "id": "drills",
            "en": "Evacuation drills",
            "zh": "疏散演练",
            "items": [
                {"id": "DRL1", "en": "Drills are held every year.", "zh": "本地每年组织疏散演练。"},
                {"id": "DRL2", "en": "I know where to go in a drill.", "zh": "演练时我知道该去哪里。"},
            ],
        },
        {
            "id": "volunteers",
            "en": "Volunteer teams",
            "zh": "志愿者队伍",
            "items": [
                {"id": "VOL1", "en": "Volunteer teams are trained.", "zh": "志愿者队伍受过培训。"},
                {"id": "VOL2", "en": "Volunteers come quickly.", "zh": "志愿者到场迅速。"},
                {"id": "VOL3", "en": "Volunteers are not organised.", "zh": "志愿者缺乏组织。", "reverse": True},
            ],
        },
    ]
}


def test_a_case_extension_is_analysed_by_its_case_only(tmp_path, project, capsys) -> None:
    root = tmp_path
    cli = new_case_in_copy(project, root, CASE)
    (root / "data" / "codebooks" / f"{CASE}.yml").write_text(
        yaml.safe_dump(EXTENSION, allow_unicode=True), encoding="utf-8"
    )
    # yima's answers plus five columns of the case's own, named by question text (or item id)
    core = project.codebook()
    raw = pd.read_csv(project.raw_file("yima"), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    h = core.export_headers
    raw["本地每年组织疏散演练。"] = raw[h["PLN1"]]
    raw["演练时我知道该去哪里。"] = raw[h["PLN2"]]
    # the drills items copy PLN1/PLN2 exactly (a factor analysis must leave such duplicates out); VOL1/VOL2
    # are RES1/RES2 with one answer in four moved one step, so that the volunteers scale can be modelled
    rng = np.random.default_rng(7)
    labels = [a.zh for a in core.scale.anchors]

    def nudge(answers: pd.Series) -> pd.Series:
        def move(v: str) -> str:
            if v not in labels or rng.random() > 0.25:
                return v
            k = labels.index(v) + (1 if labels.index(v) == 0 or rng.random() < 0.5 else -1)
            return labels[min(k, len(labels) - 1)]

        return answers.map(move)

    raw["VOL1"] = nudge(raw[h["RES1"]])
    raw["志愿者到场迅速。"] = nudge(raw[h["RES2"]])
    flip = {a.zh: b.zh for a, b in zip(core.scale.anchors, reversed(core.scale.anchors), strict=True)}
    raw["志愿者缺乏组织。"] = raw[h["RES3"]].map(lambda v: flip.get(v, v))
    raw.to_csv(root / "data" / "raw" / f"{CASE}.csv", index=False)
    assert main([*cli, "checksum", CASE]) == 0
    capsys.readouterr()
    raw_file, mapping_file = f"{root}/data/raw/{CASE}.csv", f"{root}/data/mappings/{CASE}.yml"
    assert main([*cli, "validate", raw_file, "--mapping", mapping_file]) == 0  # the file names its case
    out = capsys.readouterr().out
    assert f"codebook: the shared core and data/codebooks/{CASE}.yml" in out and "unmapped columns: none" in out
    assert main([*cli, "validate", raw_file, "--mapping", mapping_file, "--case", "yima"]) == 0
    out = capsys.readouterr().out
    assert "codebook:" not in out and "unmapped columns: none" not in out and "本地每年组织疏散演练。" in out

    assert main([*cli, "run", "--notebook", "01_data_quality", "--jobs", "2", "--force"]) == 0
    assert main([*cli, "run", "--case", CASE, "--notebook", "02_reliability"]) == 0

    for other in Project(root).case_ids():
        if other != CASE:
            got = (root / "analysis" / other / "results" / "encoded.csv").read_bytes()
            assert got == (project.root / "analysis" / other / "results" / "encoded.csv").read_bytes(), other
    results = root / "analysis" / CASE / "results"
    encoded = pd.read_csv(results / "encoded.csv", index_col="respondent_id")
    assert encoded["DRL1"].equals(encoded["PLN1"])
    assert encoded["VOL3"].equals(encoded["RES3"])  # answered reversed, reverse-keyed back
    table = pd.read_csv(results / "reliability.csv", index_col="construct")
    assert {"drills", "volunteers"} <= set(table.index)
    assert table.loc["drills", "n_items"] == 2
    assert table.loc["drills", "spearman_brown"] == pytest.approx(table.loc["drills", "std_alpha"], abs=1e-6)
    assert table.loc["volunteers", "n_items"] == 3
    assert table.loc["volunteers", "alpha"] == pytest.approx(table.loc["resources", "alpha"], abs=0.2)

    cc = load_all(root)
    assert cc.constructs == core.construct_ids
    assert list(cc.items.columns) == [*core.item_ids, "case"]
    assert "drills" not in cc.scores.columns
    assert all(enc.codebook.extension_ids == () for enc in cc.encoded.values())

    # the case's own notebooks 03-07 run too, and its report names its own constructs
    assert main([*cli, "run", "--case", CASE]) == 0
    loadings = (results / "efa_loadings.csv").read_text(encoding="utf-8")
    assert "VOL1" in loadings and "VOL2" in loadings and "DRL1" not in loadings and "VOL3" not in loadings
    said = json.loads((results / "structure_summary.json").read_text(encoding="utf-8"))["limitations"]
    dup = next(m for m in said if m["en"].startswith("item DRL1 left out"))
    assert re.fullmatch(
        r"item DRL1 left out: its answers duplicate those of PLN1 \(correlation 1 among the \d+ "
        r"respondents who answered both\)",
        dup["en"],
    ), dup
    assert re.fullmatch(r"题项DRL1未纳入模型：其回答与PLN1完全相关（\d+名两题都作答的受访者中相关系数为1）", dup["zh"])
    assert any(m["en"] == "construct drills left out of the model: fewer than two usable items" for m in said)
    assert any(m["en"].startswith("item VOL3 left out: its answers duplicate those of RES3") for m in said)
    en = (root / "reports" / f"{CASE}.md").read_text(encoding="utf-8")
    zh = (root / "reports" / f"{CASE}.zh.md").read_text(encoding="utf-8")
    assert "questions of its own: Evacuation drills (2 items), Volunteer teams (3 items)." in en
    assert "本次调查还设有自己的题目：疏散演练（2个题项）、志愿者队伍（3个题项）。" in zh
    assert "| Evacuation drills |" in en and "| 疏散演练 |" in zh and "| drills |" not in en
    other = (root / "reports" / "yima.md").read_text(encoding="utf-8")
    assert "questions of its own" not in other and "Evacuation drills" not in other
