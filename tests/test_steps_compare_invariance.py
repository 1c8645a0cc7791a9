"""Invariance of the instrument across cases by FIML with MLR (emstudy.steps.compare_invariance) against lavaan
and against the generator's truth.

R values: tests/reference/invariance_synthetic.json (a three-construct model) and invariance_synthetic_full.json
(the whole instrument), written by tests/reference/invariance_synthetic.R [full] on the encoded synthetic study
(analysis/<case>/results/encoded.csv):
``cfa(model, data = all, group = "case", group.label = cases, missing = "ml", estimator = "MLR",
group.equal = ...)``, ``fitMeasures``, ``lavTestLRT(..., method = "satorra.bentler.2001")`` and
``parameterEstimates`` of the scalar model. Truth: data/raw/<case>.truth.json.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from emstudy.steps import compare_invariance as ci
from emstudy.steps.context import CrossCase, load_all

ROOT = Path(__file__).resolve().parents[1]
CASES = ["chaoyang", "h_district", "wencheng", "xilinguole", "yima"]
REF = json.loads((ROOT / "tests" / "reference" / "invariance_synthetic.json").read_text(encoding="utf-8"))
FULL = ROOT / "tests" / "reference" / "invariance_synthetic_full.json"
SUB = REF["sub"]["constructs"]  # training, warning, effectiveness
# lavaan fitMeasures name -> the column of the invariance table
MEASURES = {
    "chisq": "chisq",
    "df": "df",
    "chisq.scaled": "chisq_scaled",
    "chisq.scaling.factor": "chisq_scaling_factor",
    "cfi": "cfi",
    "rmsea": "rmsea",
    "srmr": "srmr",
}


@pytest.fixture(scope="module")
def cc() -> CrossCase:
    return load_all(ROOT, CASES)


@pytest.fixture(scope="module")
def inv(cc) -> ci.CaseInvariance:
    return ci.case_invariance(cc, constructs=SUB)


def test_every_respondent_enters_by_fiml(cc, inv):
    assert inv.model == REF["sub"]["model"]
    assert inv.estimator == "MLR" and inv.missing == "fiml"
    # R: nrow(all); lavaan's ntotal of the configural fit (missing = "ml" keeps every respondent)
    assert inv.n_used == REF["sub"]["levels"]["configural"]["ntotal"] == REF["n"]
    assert inv.n_dropped == 0 and inv.n_incomplete > 0
    assert inv.case_ids == tuple(CASES) and not inv.excluded


@pytest.mark.parametrize("level", ["configural", "metric", "scalar"])
def test_levels_match_lavaan(inv, level):
    row = inv.table().loc[level]
    ref = REF["sub"]["levels"][level]  # R: fitMeasures(cfa(..., missing = "ml", estimator = "MLR", group.equal))
    for name, col in MEASURES.items():  # lavaan's chisq.scaled is 1e-7 relative short of its optimum (2e-5 here)
        assert row[col] == pytest.approx(ref[name], abs=1e-6, rel=1e-6), (level, name)
    for name in ("cfi.robust", "rmsea.robust"):
        col = name.replace(".", "_")
        if col in row.index:
            assert row[col] == pytest.approx(ref[name], abs=1e-6), (level, name)


@pytest.mark.parametrize("level", ["metric", "scalar"])
def test_scaled_differences_match_lavaan(inv, level):
    row = inv.table().loc[level]
    ref = REF["sub"]["lrt"][level]  # R: lavTestLRT(previous, this, method = "satorra.bentler.2001")
    assert row["chisq_diff"] == pytest.approx(ref["chisq_diff"], abs=1e-5)
    assert row["df_diff"] == ref["df_diff"]
    assert row["pvalue_diff"] == pytest.approx(ref["pvalue_diff"], abs=1e-6)


def test_latent_means_match_lavaan_and_the_truth(inv):
    """The generator shares loadings and thresholds across cases (scalar invariance by construction)."""
    assert inv.level == "scalar" and not inv.result.freed_intercepts
    lm = inv.latent_means().set_index(["construct", "case"])
    ref = pd.DataFrame(REF["sub"]["latent_means"]).set_index(["construct", "case"])
    assert sorted(lm.index) == sorted(ref.index) and (lm["reference"] == "chaoyang").all()
    ref = ref.loc[lm.index]
    # R: parameterEstimates(scalar)[op == "~1" & group > 1, ]; lavaan stops short by up to 1e-4 on flat optima
    for col in ("est", "se", "ci_lower", "ci_upper", "std_est", "sd_reference"):
        assert lm[col].to_numpy() == pytest.approx(ref[col].to_numpy(), abs=1e-4), col
    assert lm["pvalue"].to_numpy() == pytest.approx(ref["pvalue"].to_numpy(), abs=1e-4)
    assert (lm["pvalue_adj"] >= lm["pvalue"]).all()
    # truth (latent_means.training): chaoyang -0.25, h_district -0.35, wencheng 0.31, xilinguole 0.42, yima -0.25
    tr = lm.loc["training"]
    assert tr.loc["xilinguole", "est"] > tr.loc["wencheng", "est"] > 0
    assert tr.loc["wencheng", "pvalue_adj"] < 0.05 and tr.loc["xilinguole", "pvalue_adj"] < 0.05
    assert tr["est"].drop(["xilinguole", "wencheng"]).max() < tr.loc["wencheng", "est"]


def test_means_are_reported_only_as_far_as_invariance_holds(inv):
    metric = dataclasses.replace(inv, level="metric", verdict=ci.means_verdict("metric"))
    assert metric.latent_means().empty
    status = metric.constructs_table()
    assert not status["means_comparable"].any() and status["reason"].str.contains("metric level only").all()
    freed = ("TRN1", "TRN2", "WRN4", "EFF1", "EFF2", "EFF3")
    t = ci.construct_levels(inv.model, "partial scalar", freed).set_index("construct")
    assert t.loc["training", "level"] == "partial scalar" and t.loc["training", "means_comparable"]
    assert t.loc["training", "freed_intercepts"] == "TRN1, TRN2" and t.loc["warning", "n_equal_intercepts"] == 3
    assert not t.loc["effectiveness", "means_comparable"] and "only 1 equal" in t.loc["effectiveness", "reason"]
    assert t.loc["warning", "means_comparable"]
    assert ci.construct_levels(inv.model, "scalar", ())["level"].eq("scalar").all()
    # issue 15: a failed metric level is "configural" (it was "none", and the reason read "the none level only")
    configural = dataclasses.replace(inv, level="configural", verdict=ci.means_verdict("configural"))
    status = configural.constructs_table()
    assert configural.latent_means().empty and not status["means_comparable"].any()
    assert (
        status["reason"]
        .eq("the model reaches the configural level only: loadings and intercepts differ between cases")
        .all()
    )
    assert ci.means_verdict("configural").startswith("Metric invariance does not hold (only configural invariance)")
    with pytest.raises(ValueError, match="level: expected one of"):
        ci.means_verdict("none")


def test_text_names_the_level_and_the_differences(cc, inv):
    labels = {lang: {c: cc.codebook.label(c, lang) for c in SUB} for lang in ("en", "zh")}
    places = {"en": {c: cc.cases[c].name.en for c in CASES}, "zh": {c: cc.cases[c].name.zh for c in CASES}}
    text = ci.invariance_text(inv, labels=labels, places=places, synthetic=True)
    assert "by FIML with MLR on 1335 respondents" in text["en"] and "Scalar invariance holds" in text["en"]
    assert "scaled chi-square difference" in text["en"] and text["en"].endswith("(Synthetic data.)")
    xl = inv.latent_means().set_index(["construct", "case"]).loc[("training", "xilinguole"), "std_est"]
    assert f"{places['en']['xilinguole']} {xl:+.2f}" in text["en"]
    assert "标量等值成立" in text["zh"] and text["zh"].endswith("（合成数据。）") and "校正卡方差" in text["zh"]
    assert f"{places['zh']['xilinguole']} {xl:+.2f}" in text["zh"]
    d = inv.to_dict()
    json.dumps(d)
    assert [r["model"] for r in d["levels"]] == ["configural", "metric", "scalar"] and d["reference"] == "chaoyang"


def test_input_checks(cc):
    with pytest.raises(ValueError, match="constructs"):
        ci.case_invariance(cc, constructs=["nonexistent"])
    with pytest.raises(ValueError, match="estimator"):
        ci.case_invariance(cc, constructs=SUB, estimator="WLSMV")
    with pytest.raises(ValueError, match="missing"):
        ci.case_invariance(cc, constructs=SUB, missing="pairwise")
    with pytest.raises(ValueError, match="cc"):
        ci.case_invariance("cases")
    with pytest.raises(ValueError, match="level"):
        ci.construct_levels("f =~ a + b + c", "strict", ())


def test_the_committed_study_output_matches_lavaan():
    """analysis/all/results/invariance.json (notebook 05, the whole instrument) against the R fits of it."""
    if not FULL.is_file():
        pytest.skip(
            "tests/reference/invariance_synthetic_full.json absent: Rscript tests/reference/invariance_synthetic.R full"
        )
    out = json.loads((ROOT / "analysis" / "all" / "results" / "invariance.json").read_text(encoding="utf-8"))
    ref = json.loads(FULL.read_text(encoding="utf-8"))["full"]
    if out.get("missing") != "fiml":
        pytest.skip("analysis/all/results/invariance.json predates the FIML step: emstudy run, then commit it")
    assert out["model"] == ref["model"] and out["synthetic"]
    levels = {r["model"]: r for r in out["levels"]}
    for level in ("configural", "metric", "scalar"):
        for name, col in MEASURES.items():  # R: fitMeasures(cfa(<48 items>, ..., missing = "ml", estimator = "MLR"))
            assert levels[level][col] == pytest.approx(ref["levels"][level][name], abs=1e-6, rel=1e-6), (level, name)
    for level in ("metric", "scalar"):  # R: lavTestLRT(..., method = "satorra.bentler.2001")
        assert levels[level]["chisq_diff"] == pytest.approx(ref["lrt"][level]["chisq_diff"], abs=1e-5)
    if out["level"] == "scalar":
        got = pd.DataFrame(out["latent_means"]).set_index(["construct", "case"])
        want = pd.DataFrame(ref["latent_means"]).set_index(["construct", "case"])
        for col in ("est", "se", "std_est"):
            assert got[col].to_numpy() == pytest.approx(want.loc[got.index, col].to_numpy(), abs=1e-4), col
