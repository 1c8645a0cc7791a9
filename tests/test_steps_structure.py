"""Factor structure of the synthetic study (emstudy.steps.structure): recovery of the generator's truth.

Expected numbers come from the generator's truth, ``data/raw/<case>.truth.json``:
``parameters.loadings`` are the latent loadings of every item on the continuous response ``x*``
(identical in every case: ``simulate.instrument_loadings``); reverse-keyed items are mirrored, so after
reverse scoring (notebook 01, ``analysis/<case>/results/encoded.csv``) their loading is positive.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from emstudy.stats.cfa import parse_model
from emstudy.stats.efa import parallel_analysis
from emstudy.stats.validity import average_variance_extracted, composite_reliability
from emstudy.steps import structure as structure_step
from emstudy.steps.context import load_encoded
from emstudy.steps.structure import StructureResults, _n_free, core_model_syntax, display_loadings, fit_core_cfa

ROOT = Path(__file__).resolve().parents[1]

CASES = ["chaoyang", "h_district", "wencheng", "xilinguole", "yima"]
SEED = 20190719


def _truth(case_id: str) -> dict:
    return json.loads((ROOT / "data" / "raw" / f"{case_id}.truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def encoded() -> dict:
    return {c: load_encoded(ROOT, c) for c in CASES}


@pytest.fixture(scope="module")
def wencheng(encoded) -> StructureResults:
    return structure_step.run(encoded["wencheng"], seed=SEED)


# -- model syntax --------------------------------------------------------------------------------------
def test_core_model_syntax_round_trips(codebook):
    text = core_model_syntax(codebook)
    assert text.splitlines()[0] == "plan =~ PLN1 + PLN2 + PLN3 + PLN4"
    mm = parse_model(text)
    scales = codebook.scales()
    assert list(mm.factors) == list(scales)
    assert {f: list(items) for f, items in mm.indicators} == scales
    assert mm.factors[-1] == codebook.outcome.id
    core = parse_model(core_model_syntax(codebook, include_outcome=False))
    assert list(core.factors) == codebook.construct_ids
    assert codebook.outcome.id not in core.factors
    assert len(text.splitlines()) == len(scales)


def test_core_model_syntax_rejects_non_codebook():
    with pytest.raises(ValueError, match="codebook"):
        core_model_syntax({"plan": ["PLN1"]})


def test_display_loadings_blanks_small_values():
    frame = pd.DataFrame({"F1": [0.712, 0.29, -0.35, np.nan]}, index=list("abcd"))
    out = display_loadings(frame, cutoff=0.30, digits=2)
    assert out["F1"].tolist() == ["0.71", "", "-0.35", ""]
    with pytest.raises(ValueError, match="cutoff"):
        display_loadings(frame, cutoff=1.5)


HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"


def _hs_with_holes() -> pd.DataFrame:
    """lavaan's HolzingerSwineford1939 items with 40 % of answers deleted at random (MCAR)."""
    hs = pd.read_csv(ROOT / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
    items = hs[[f"x{i}" for i in range(1, 10)]].copy()
    rng = np.random.default_rng(11)
    return items.mask(rng.random(items.shape) < 0.4)


def test_fit_core_cfa_fiml_uses_every_respondent_and_listwise_only_when_estimable():
    """FIML (lavaan missing = "ml") keeps every respondent with an answer; listwise needs n > free parameters."""
    items = _hs_with_holes()
    items.loc[0] = np.nan  # a respondent with no answer: left out, as lavaan does
    fit, how, n_listwise, _ = fit_core_cfa(items, HS_MODEL)
    assert how == "fiml" and fit.missing == "fiml" and fit.estimator == "ML"
    assert fit.n_obs == (len(items) - 1,) and n_listwise == len(items.dropna())
    assert len(items.dropna()) <= _n_free(HS_MODEL) == 21
    with pytest.raises(ValueError, match=r"missing: 'listwise' needs more complete cases than the 21 free parameters"):
        fit_core_cfa(items, HS_MODEL, missing="listwise")
    with pytest.raises(ValueError, match="missing: expected 'fiml' or 'listwise'"):
        fit_core_cfa(items, HS_MODEL, missing="pairwise")
    complete = items.dropna(how="all").fillna(items.mean())  # no holes: FIML equals the listwise fit
    a, _, _, _ = fit_core_cfa(complete, HS_MODEL)
    b, how_b, _, _ = fit_core_cfa(complete, HS_MODEL, missing="listwise")
    assert how_b == "listwise" and a.fit.chisq == pytest.approx(b.fit.chisq, abs=1e-6)
    shared = a.params[a.params["op"] != "~1"]  # FIML adds the intercepts (mean structure)
    np.testing.assert_allclose(shared["est"], b.params["est"], atol=1e-5)


def test_fit_core_cfa_mlr_keeps_the_ml_estimates():
    items = _hs_with_holes()
    ml, _, _, _ = fit_core_cfa(items, HS_MODEL)
    mlr, _, _, _ = fit_core_cfa(items, HS_MODEL, estimator="MLR")
    assert mlr.estimator == "MLR" and np.isfinite(mlr.fit.chisq_scaled)
    np.testing.assert_allclose(ml.params["est"], mlr.params["est"], atol=1e-6)
    assert not np.allclose(ml.params["se"].fillna(0), mlr.params["se"].fillna(0))


# -- loadings against the generator ----------------------------------------------------------------------
def test_generator_loadings_are_the_same_in_every_case():
    first = _truth(CASES[0])["parameters"]["loadings"]
    for c in CASES[1:]:
        assert _truth(c)["parameters"]["loadings"] == first


def test_core_cfa_listwise_is_not_estimable_in_any_case(encoded, codebook):
    model = core_model_syntax(codebook)
    # 36 free loadings + 48 residual variances + 78 factor (co)variances
    assert _n_free(model) == 162
    for c in CASES:
        items = encoded[c].items
        n_complete = len(items.dropna())
        assert n_complete < 162, c  # why the listwise sensitivity fit is not estimable (about 30 % complete cases)


@pytest.fixture(scope="module")
def pooled_fit(encoded, codebook):
    items = pd.concat([encoded[c].items for c in CASES], ignore_index=True)
    return fit_core_cfa(items, core_model_syntax(codebook), missing="listwise")


def test_pooled_cfa_recovers_generator_loadings_within_0_1(pooled_fit, encoded):
    """All five cases together (same loadings and thresholds by construction).

    Truth: ``data/raw/<case>.truth.json`` ``parameters.loadings``. Pooled, the complete cases (403 of
    1335) outnumber the 162 free parameters, so fit_core_cfa uses them (listwise). The 5-point
    categorisation attenuates Pearson-based loadings (mean difference about -0.02), and the cases'
    different latent means add a little between-case variance; the largest difference is 0.090.
    """
    fit, how, n_listwise, notes = pooled_fit
    assert how == "listwise"
    assert sum(fit.n_obs) == n_listwise == len(pd.concat([encoded[c].items for c in CASES]).dropna())
    assert fit.converged and notes == ()
    est = fit.loadings().max(axis=1)
    truth = pd.Series(_truth("wencheng")["parameters"]["loadings"])
    diff = (est - truth.reindex(est.index)).abs()
    assert len(diff) == 48 and not diff.isna().any()
    assert diff.max() < 0.1, diff.sort_values().tail(5)


@pytest.mark.xfail(
    strict=True,
    reason="Per case (n = 204-325) 2-5 of 48 standardized loadings miss the generator's by more than 0.1 "
    "(largest 0.11-0.18): sampling SE of a standardized loading is about 0.04-0.05 at these n, so the "
    "maximum over 48 items exceeds 0.1, plus about -0.02 to -0.05 of attenuation from 5-point "
    "categorisation. The pooled fit meets the criterion (test above); the criterion is not loosened.",
)
@pytest.mark.parametrize("case_id", ["wencheng"])
def test_case_cfa_recovers_generator_loadings_within_0_1(encoded, codebook, case_id):
    fit, how, _, _ = fit_core_cfa(encoded[case_id].items, core_model_syntax(codebook))
    est = fit.loadings().max(axis=1)
    truth = pd.Series(_truth(case_id)["parameters"]["loadings"])
    assert (est - truth.reindex(est.index)).abs().max() < 0.1


# -- parallel analysis, EFA, validity --------------------------------------------------------------------
def test_parallel_analysis_suggests_about_twelve_factors(wencheng, encoded):
    """11 core constructs + the outcome = 12 factors in the generator.

    Asserted: the factor suggestion (psych's fa eigenvalues vs the 95th percentile of 20 simulated
    sets) is within one of 12, for two seeds. Robust because the 12th observed factor eigenvalue
    stands well clear of its random-data threshold while the 13th is below it (checked below), so
    the count does not hinge on the simulated sets. The component count is not asserted: with
    construct correlations of 0.40 PCA's criterion under-extracts (10-11 here).
    """
    pa = wencheng.parallel
    assert abs(pa.n_factors - 12) <= 1
    t = pa.table
    assert t.loc[12, "fa_observed"] - t.loc[12, "fa_threshold"] > 0.05
    assert t.loc[13, "fa_observed"] < t.loc[13, "fa_threshold"]
    with threadpool_limits(limits=1, user_api="blas"):  # speed only (see emstudy.stats._common.single_thread_blas)
        other = parallel_analysis(encoded["yima"].items, n_iter=20, seed=1)
    assert abs(other.n_factors - 12) <= 1


def test_efa_has_one_factor_per_construct(wencheng, codebook):
    load = wencheng.efa.loadings
    assert load.shape == (48, 12)
    # each construct's items share their largest-loading factor, and constructs get distinct factors
    home = {}
    for c, items in codebook.scales().items():
        best = load.loc[items].abs().idxmax(axis=1)
        assert best.nunique() == 1, (c, best.tolist())
        home[c] = best.iloc[0]
    assert len(set(home.values())) == 12


def test_validity_uses_cfa_standardized_loadings(wencheng):
    p = wencheng.cfa.params
    for c in ("plan", "information", "effectiveness"):
        lam = p.loc[(p["op"] == "=~") & (p["lhs"] == c), "std_all"].to_numpy(dtype=float)
        assert wencheng.validity.loc[c, "cr"] == pytest.approx(composite_reliability(lam), abs=1e-12)
        assert wencheng.validity.loc[c, "ave"] == pytest.approx(average_variance_extracted(lam), abs=1e-12)
    v = wencheng.validity
    assert (v["fornell_larcker"] == (v["sqrt_ave"] > v["max_latent_corr"])).all()
    ht = wencheng.htmt
    assert list(ht.index) == list(v.index) and np.allclose(ht.to_numpy(), ht.to_numpy().T)
    # generator: construct correlation 0.40, so discriminant validity must hold clearly
    assert wencheng.verdicts.loc["max HTMT", "verdict"] == "good"
    assert wencheng.latent_correlations.where(~np.eye(12, dtype=bool)).abs().max().max() < 0.7


def test_verdicts_follow_the_cut_offs(wencheng):
    f = wencheng.cfa.fit
    v = wencheng.verdicts["verdict"]
    assert v["CFI"] == ("good" if f.cfi >= 0.95 else "acceptable" if f.cfi >= 0.90 else "poor")
    assert v["RMSEA"] == ("good" if f.rmsea <= 0.06 else "acceptable" if f.rmsea <= 0.08 else "poor")
    assert v["SRMR"] == ("good" if f.srmr <= 0.08 else "poor")
    assert v["min AVE"] == ("good" if (wencheng.validity["ave"] >= 0.5).all() else "poor")
    assert wencheng.cfa_missing == "fiml" and wencheng.n_cfa == wencheng.n_respondents
    # 6 sentences, then 4 on the WLSMV fit after the FIML validity ones, which define CR and AVE before the WLSMV
    # comparison uses them (tests/test_steps_structure_ordinal.py)
    assert len(wencheng.sentences["en"]) == len(wencheng.sentences["zh"]) == 10
    assert wencheng.sentences["en"][6].startswith("Treating the items as ordered categories (WLSMV")
    for lang, defined in (("en", "average variance extracted (AVE, "), ("zh", "平均方差抽取量（AVE，")):
        first = next(i for i, s in enumerate(wencheng.sentences[lang]) if "AVE" in s)
        assert defined in wencheng.sentences[lang][first], lang
    assert f"n = {wencheng.n_cfa}" in wencheng.sentences["en"][1] and "FIML" in wencheng.sentences["zh"][1]
    assert (
        wencheng.cfa_listwise is None
        and "listwise fit (the sensitivity check) is not estimable: only 102" in (wencheng.sentences["en"][3])
    )
    assert f"scaled to {wencheng.cfa_mlr.fit.chisq_scaled:.1f}" in wencheng.sentences["en"][2]
    assert "平行分析" in wencheng.sentences["zh"][0]


def test_write_structure_results_is_byte_stable(wencheng, tmp_path):
    paths = structure_step.write_results(wencheng, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [
            "parallel_analysis.csv",
            "efa_loadings.csv",
            "cfa_fit.json",
            "cfa_loadings.csv",
            "validity.csv",
            "htmt.csv",
            "structure_summary.json",
            "cfa_wlsmv.json",
            "cfa_wlsmv_loadings.csv",
        ]
    )
    first = {p.name: p.read_bytes() for p in paths}
    structure_step.write_results(wencheng, tmp_path)
    assert {p.name: p.read_bytes() for p in paths} == first
    fit = json.loads(first["cfa_fit.json"])
    assert fit["missing"] == "fiml" and fit["n"] == wencheng.n_cfa
    assert fit["fits"]["listwise_ml"] is None and fit["fits"]["fiml_mlr"]["estimator"] == "MLR"
    # results JSON hold 8 significant digits (emstudy.fileio.JSON_DIGITS)
    assert fit["fits"]["fiml_mlr"]["fit"]["chisq.scaled"] == pytest.approx(wencheng.cfa_mlr.fit.chisq_scaled, rel=1e-7)
    assert fit["fit"]["cfi"] == pytest.approx(wencheng.cfa.fit.cfi, abs=1e-6)
    with pytest.raises(ValueError, match="results"):
        structure_step.write_results("x", tmp_path)


# -- the core CFA against lavaan (tests/reference/structure_synthetic.R) -------------------------------------
REF = json.loads((ROOT / "tests" / "reference" / "structure_synthetic.json").read_text(encoding="utf-8"))


def test_core_cfa_by_fiml_matches_lavaan(wencheng, tmp_path):
    """cfa(<12 constructs>, data = x, missing = 'ml') and the same with estimator = 'MLR' (lavaan 0.6.14),
    against what notebook 03 writes (cfa_fit.json, cfa_loadings.csv)."""
    paths = {p.name: p for p in structure_step.write_results(wencheng, tmp_path)}
    fit = json.loads(paths["cfa_fit.json"].read_text(encoding="utf-8"))
    assert fit["n"] == REF["n"]  # lavInspect(fit, 'nobs')
    ml, mlr = fit["fits"]["fiml_ml"]["fit"], fit["fits"]["fiml_mlr"]["fit"]
    fit_ml, fit_mlr = wencheng.cfa.fit.to_series(), wencheng.cfa_mlr.fit.to_series()
    for key in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "logl"):
        assert fit_ml[key] == pytest.approx(REF["fit_ml"][key], abs=1e-6), key  # fitMeasures(ml, key)
        assert ml[key] == pytest.approx(REF["fit_ml"][key], rel=1e-7, abs=1e-6), key  # written at 8 digits
    # The scaled statistics depend on the estimates (through the information matrices), not only on the
    # minimum; lavaan stops up to 1e-4 short on this flat 162-parameter optimum (its estimates differ from
    # ours by 6e-5 below), which moves the scaling factor by 4e-8 and the scaled chi-square by 5e-5: compared
    # to 1e-7 relative. fitMeasures(mlr, key):
    for key in ("chisq.scaled", "chisq.scaling.factor", "cfi.robust", "rmsea.robust"):
        assert fit_mlr[key] == pytest.approx(REF["fit_mlr"][key], rel=1e-7, abs=1e-6), key
        assert mlr[key] == pytest.approx(REF["fit_mlr"][key], rel=1e-7, abs=1e-6), key
    load = pd.read_csv(paths["cfa_loadings.csv"])
    ref = REF["loadings"]  # parameterEstimates(ml, standardized = TRUE)[op == '=~', ]
    assert list(load["construct"]) == ref["lhs"] and list(load["item"]) == ref["rhs"]
    np.testing.assert_allclose(load["est"], ref["est"], atol=1e-4)
    np.testing.assert_allclose(load["loading"], ref["std_all"], atol=1e-4)
    # observed-information SEs, evaluated at estimates 6e-5 apart: 2e-5 here
    np.testing.assert_allclose(load["se"].fillna(0), ref["se"], atol=5e-5)
    # parameterEstimates(mlr)$se: sandwich SEs move with the estimates (see above), 3e-5 here
    np.testing.assert_allclose(load["se_mlr"].fillna(0), ref["se_mlr"], atol=5e-5)
    assert wencheng.cfa.fit.logl >= REF["fit_ml"]["logl"] - 1e-9  # lavaan stops short, never beyond our optimum
