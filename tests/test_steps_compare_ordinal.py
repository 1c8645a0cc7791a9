"""Ordinal invariance across cases (emstudy.steps.compare_ordinal): the table of levels, the merged categories,
the sentences and the written files.

The statistics are emstudy.stats.invariance(..., ordered=..., missing="pairwise"), checked against lavaan in
tests/test_stats_cfa_wls_invariance.py (the sequence) and tests/test_stats_cfa_wls_pairwise_groups.py (multigroup
pairwise fits); here the step is run on three constructs of the synthetic study (synthetic data) and compared with
that function called directly.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats import invariance
from emstudy.steps import compare_ordinal as co
from emstudy.steps import files
from emstudy.steps.context import CrossCase, load_all

ROOT = Path(__file__).resolve().parents[1]
CASES = ["chaoyang", "h_district", "wencheng", "xilinguole", "yima"]
CONSTRUCTS = ["plan", "warning", "effectiveness"]  # plan: PLN4 has no answer 1 in xilinguole
LEVELS = ["configural", "thresholds", "thresholds+loadings", "thresholds+loadings+intercepts"]


@pytest.fixture(scope="module")
def cc() -> CrossCase:
    return load_all(ROOT, CASES)


@pytest.fixture(scope="module")
def inv(cc: CrossCase) -> co.OrdinalInvariance:
    return co.case_invariance_ordinal(cc, constructs=CONSTRUCTS)


def _data(cc: CrossCase, items: list[str]) -> pd.DataFrame:
    frames = [cc.encoded[c].items[items].astype(float).reset_index(drop=True).assign(case=c) for c in CASES]
    data = pd.concat(frames, ignore_index=True)
    return data[data[items].notna().any(axis=1)].reset_index(drop=True)


def test_table_is_the_ordinal_sequence(cc: CrossCase, inv: co.OrdinalInvariance) -> None:
    # the same fits as invariance(model, data, "case", ordered=items, estimator="WLSMV", missing="pairwise")
    # on the stacked answers with PLN4's answer 1 merged into 2 (lavaan refuses equal thresholds otherwise)
    items = [f"{p}{i}" for p in ("PLN", "WRN", "EFF") for i in range(1, 5)]
    data = _data(cc, items)
    assert int((data["PLN4"] == 1).sum()) > 0
    assert not ((data["case"] == "xilinguole") & (data["PLN4"] == 1)).any()
    data.loc[data["PLN4"] == 1, "PLN4"] = 2.0
    direct = invariance(inv.model, data, "case", ordered=items, estimator="WLSMV", missing="pairwise")
    t = inv.table()
    assert list(t["level"]) == LEVELS
    assert list(t.columns[:4]) == ["level", "npar", "chisq", "df"]
    for col in ("chisq_scaled", "cfi_scaled", "rmsea_scaled", "chisq_diff", "delta_cfi", "delta_rmsea"):
        np.testing.assert_allclose(t[col].to_numpy(float), direct.table[col].to_numpy(float), rtol=1e-10)
    assert list(t["df"]) == list(direct.table["df"])
    assert inv.level == direct.level and inv.case_ids == tuple(CASES)
    # lavaan fixes the intercepts of ordered items at 0: the last level is the one before, 0 df
    assert t["df_diff"].iloc[-1] == 0 and t["chisq"].iloc[-1] == t["chisq"].iloc[-2]
    # every respondent with some answer, per case pairwise
    assert inv.n_used == len(data) == sum(direct.fits["configural"].n_obs)
    assert inv.n_incomplete == int(data[items].isna().any(axis=1).sum()) > 0
    assert inv.merged.to_dict("records") == [{"item": "PLN4", "category": 1.0, "merged_into": 2.0}]


def test_merge_empty_categories() -> None:
    d = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 5, "x": [1.0, 2, 3, 4, 5, 2, 3, 4, 4, np.nan]})
    out, merges = co.merge_empty_categories(d, ["x"], "g")
    # b has no 1 (below the middle: into 2) and no 5 (above it: into 4)
    assert merges.to_dict("records") == [
        {"item": "x", "category": 1.0, "merged_into": 2.0},
        {"item": "x", "category": 5.0, "merged_into": 4.0},
    ]
    assert out["x"].tolist()[:5] == [2.0, 2.0, 3.0, 4.0, 4.0] and np.isnan(out["x"].iloc[-1])
    assert d["x"].iloc[0] == 1.0  # the input is not modified
    # the middle category merges downwards; two categories are left alone
    out, merges = co.merge_empty_categories(pd.DataFrame({"g": list("aaabb"), "x": [1.0, 2, 3, 1, 3]}), ["x"], "g")
    assert merges.to_dict("records") == [{"item": "x", "category": 2.0, "merged_into": 1.0}]
    two = pd.DataFrame({"g": list("aab"), "x": [1.0, 2, 2]})
    assert co.merge_empty_categories(two, ["x"], "g")[1].empty
    with pytest.raises(ValueError, match=r"^data: columns \['y'\] not found"):
        co.merge_empty_categories(two, ["y"], "g")


@pytest.mark.parametrize(
    ("fiml", "agrees"), [("scalar", True), ("partial scalar", True), ("metric", False), ("configural", False)]
)
def test_sentences_say_the_level_and_the_agreement(inv: co.OrdinalInvariance, fiml: str, agrees: bool) -> None:
    text = co.ordinal_text(inv, fiml_level=fiml, synthetic=True)
    t = inv.table().set_index("level")
    assert inv.means_comparable  # three constructs of the synthetic study: equal thresholds and loadings hold
    en, zh = text["en"], text["zh"]
    assert "by WLSMV (polychoric correlations, delta parameterization, pairwise deletion" in en
    assert f"{inv.n_used} respondents, {inv.n_incomplete} of whom skipped some item" in en
    assert f"scaled CFI {t.loc['configural', 'cfi_scaled']:.3f}" in en
    row = t.loc["thresholds+loadings"]
    assert f"scaled chi-square difference {row['chisq_diff']:.1f}, df = {int(row['df_diff'])}" in en
    assert "equal thresholds and loadings hold" in en and "0 df" in en
    assert "PLN4 1→2" in en and "PLN4 1→2" in zh
    assert ("agrees with the FIML/MLR analysis" in en) is agrees
    assert ("differs from the FIML/MLR analysis" in en) is not agrees
    assert f"continuous: {fiml} invariance" in en
    assert "The comparison of means across places rests on the FIML/MLR analysis" in en
    assert ("一致" in zh and "不一致" not in zh) is agrees
    assert "各地均值比较依据FIML/MLR分析" in zh and "WLSMV估计" in zh
    assert en.endswith("(Synthetic data.)") and zh.endswith("（合成数据。）")
    plain = co.ordinal_text(inv, fiml_level=None, synthetic=False)
    assert "not available" in plain["en"] and "Synthetic" not in plain["en"] and "合成" not in plain["zh"]
    with pytest.raises(ValueError, match=r"^fiml_level: expected one of"):
        co.ordinal_text(inv, fiml_level="strict", synthetic=True)


def test_a_failed_thresholds_level_reads_configural(inv: co.OrdinalInvariance) -> None:
    # issue 15: the level is "configural" when equal thresholds fail (it was "none"); the step's sentences say so
    # and the 0-df row keeps its own sentence (no delta, no p-value)
    failed = dataclasses.replace(inv, level="configural")
    assert not failed.means_comparable
    text = co.ordinal_text(failed, fiml_level="configural", synthetic=False)
    assert "Highest level supported: configural only (not even equal thresholds)." in text["en"]
    assert "达到的最高水平：仅形态等值（连阈值等值也不成立）。" in text["zh"] and "仅形态等值）一致" in text["zh"]
    assert "agrees with the FIML/MLR analysis (items as continuous: configural invariance)" in text["en"]
    row = inv.table().set_index("level").loc["thresholds+loadings+intercepts"]
    assert row["note"] == "adds no constraint (the same model as thresholds+loadings)" and np.isnan(row["delta_cfi"])
    assert "equal thresholds, loadings and intercepts add no constraint" in text["en"] and "nan" not in text["en"]


def test_written_files_are_byte_stable(inv: co.OrdinalInvariance, tmp_path: Path) -> None:
    (tmp_path / files.INVARIANCE).write_text(json.dumps({"level": "scalar"}), encoding="utf-8")
    fiml = co.read_fiml_level(tmp_path)
    assert fiml == "scalar" and co.read_fiml_level(tmp_path / "absent") is None
    paths = co.write_results(inv, tmp_path, fiml_level=fiml, synthetic=True)
    assert [p.name for p in paths] == [files.INVARIANCE_ORDINAL_TABLE, files.INVARIANCE_ORDINAL]
    first = [p.read_bytes() for p in paths]
    again = co.case_invariance_ordinal(load_all(ROOT, CASES), constructs=CONSTRUCTS)
    co.write_results(again, tmp_path, fiml_level=fiml, synthetic=True)
    assert [p.read_bytes() for p in paths] == first
    out = json.loads(paths[1].read_text(encoding="utf-8"))
    assert out["synthetic"] is True and out["estimator"] == "WLSMV" and out["missing"] == "pairwise"
    assert out["fiml_level"] == "scalar" and out["agrees_with_fiml"] is True and out["means_rest_on"] == "FIML/MLR"
    assert [r["level"] for r in out["levels"]] == LEVELS and out["text"]["en"].endswith("(Synthetic data.)")
    table = pd.read_csv(paths[0])
    assert list(table["level"]) == LEVELS and table["df"].tolist() == inv.table()["df"].tolist()
    with pytest.raises(TypeError, match="^inv: expected"):
        co.write_results(inv.table(), tmp_path, fiml_level=None, synthetic=True)


def test_input_checks(cc: CrossCase) -> None:
    with pytest.raises(ValueError, match="^cc: expected a CrossCase"):
        co.case_invariance_ordinal(cc.items)
    with pytest.raises(ValueError, match=r"^model: items \['XYZ1'\] are not core items"):
        co.case_invariance_ordinal(cc, model="f =~ XYZ1 + PLN1 + PLN2")


# --------------------------------------------------------------------------------------------
# the committed study output against lavaan on the whole instrument (synthetic data)
# --------------------------------------------------------------------------------------------
REF_STUDY_PATH = ROOT / "tests" / "reference" / "invariance_ordinal_synthetic.json"
# (emstudy name, lavaan fitMeasures name)
STUDY_MEASURES = [
    ("chisq", "chisq"),
    ("chisq_scaled", "chisq.scaled"),
    ("chisq_scaling_factor", "chisq.scaling.factor"),
    ("pvalue_scaled", "pvalue.scaled"),
    ("cfi_scaled", "cfi.scaled"),
    ("rmsea_scaled", "rmsea.scaled"),
    ("srmr", "srmr"),
]


def test_the_committed_study_output_matches_lavaan() -> None:
    # Rscript tests/reference/invariance_ordinal_synthetic.R:
    #   cfa(model, all, group = "case", ordered = items, estimator = "WLSMV", missing = "pairwise",
    #       group.equal = "" | "thresholds" | c("thresholds", "loadings")); fitMeasures(fit, ...); lavTestLRT(...)
    study_ref = json.loads(REF_STUDY_PATH.read_text(encoding="utf-8"))
    out = json.loads((ROOT / "analysis" / "all" / "results" / files.INVARIANCE_ORDINAL).read_text(encoding="utf-8"))
    levels = {row["level"]: row for row in out["levels"]}
    merged = [(m["item"], float(m["category"]), float(m["merged_into"])) for m in out["merged_categories"]]
    assert merged == [(m["item"], float(m["category"]), float(m["merged_into"])) for m in study_ref["merges"]]
    assert out["n_used"] == study_ref["ntotal"]  # lavInspect(fit, "ntotal")
    for level in ("configural", "thresholds", "thresholds+loadings"):
        ref, row = study_ref["fit"][level], levels[level]
        assert study_ref["converged"][level]
        assert (row["npar"], row["df"]) == (ref["npar"], ref["df"])
        for ours, theirs in STUDY_MEASURES:
            assert row[ours] == pytest.approx(ref[theirs], rel=1e-5), (level, ours)  # measured: 1.3e-6 at most
    for level in ("thresholds", "thresholds+loadings"):  # lavTestLRT(previous level, this level)
        ref, row = study_ref["lrt"][level], levels[level]
        assert row["df_diff"] == ref["Df diff"]
        assert row["chisq_diff"] == pytest.approx(ref["Chisq diff"], rel=1e-6)  # measured: 4.5e-8
        assert row["pvalue_diff"] == pytest.approx(ref["Pr(>Chisq)"], abs=1e-6)  # measured: 2.6e-7
