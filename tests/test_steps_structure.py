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

from emstudy.stats.cfa import cfa, parse_model
from emstudy.stats.efa import parallel_analysis
from emstudy.stats.validity import average_variance_extracted, composite_reliability
from emstudy.steps import structure as structure_step
from emstudy.steps.context import load_encoded
from emstudy.steps.structure import (
    StructureResults,
    _n_free,
    core_model_syntax,
    cross_case_invariance,
    display_loadings,
    fit_core_cfa,
)

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


def test_fit_core_cfa_pairwise_fits_the_pairwise_matrix_itself():
    """Pairwise path: ML on the /n_ij pairwise covariance matrix, N = all respondents.

    The matrix the fit used (``CFAResult.sample_cov``, after cfa's (N - 1) / N rescaling of its
    ``sample_cov`` input) must be pandas' pairwise covariance with ddof=0 exactly, and the fit must
    equal a fit to raw data with that covariance matrix.
    """
    items = _hs_with_holes()
    assert len(items.dropna()) <= _n_free(HS_MODEL) == 21
    fit, how, n_listwise, _ = fit_core_cfa(items, HS_MODEL)
    assert how == "pairwise" and n_listwise == len(items.dropna())
    assert fit.n_obs == (len(items),)
    pairwise = items.cov(ddof=0)
    np.testing.assert_allclose(fit.sample_cov[0].to_numpy(), pairwise.to_numpy(), rtol=1e-13, atol=1e-14)
    # raw data whose biased covariance is exactly the pairwise matrix: n standardized rows times chol'
    n, p = items.shape
    z = np.random.default_rng(5).standard_normal((n, p))
    z = np.linalg.qr(z - z.mean(axis=0))[0] * np.sqrt(n)
    raw = pd.DataFrame(z @ np.linalg.cholesky(pairwise.to_numpy()).T, columns=items.columns)
    ref = cfa(HS_MODEL, raw)
    np.testing.assert_allclose(fit.params["est"], ref.params["est"], atol=1e-6)
    assert fit.fit.chisq == pytest.approx(ref.fit.chisq, abs=1e-6)


def test_fit_core_cfa_pairwise_input_errors():
    items = _hs_with_holes()
    items.loc[items["x2"].notna(), "x1"] = np.nan
    with pytest.raises(ValueError, match="items: some pair of items is never answered together"):
        fit_core_cfa(items, HS_MODEL)


# -- loadings against the generator ----------------------------------------------------------------------
def test_generator_loadings_are_the_same_in_every_case():
    first = _truth(CASES[0])["parameters"]["loadings"]
    for c in CASES[1:]:
        assert _truth(c)["parameters"]["loadings"] == first


def test_core_cfa_uses_pairwise_covariance_because_complete_cases_are_too_few(encoded, codebook):
    model = core_model_syntax(codebook)
    # 36 free loadings + 48 residual variances + 78 factor (co)variances
    assert _n_free(model) == 162
    for c in CASES:
        items = encoded[c].items
        n_complete = len(items.dropna())
        assert n_complete < 162, c  # why listwise is not estimable here (about 30 % complete cases)


@pytest.fixture(scope="module")
def pooled_fit(encoded, codebook):
    items = pd.concat([encoded[c].items for c in CASES], ignore_index=True)
    return fit_core_cfa(items, core_model_syntax(codebook))


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
    assert wencheng.cfa_missing == "pairwise" and wencheng.n_cfa == wencheng.n_respondents
    assert len(wencheng.sentences["en"]) == len(wencheng.sentences["zh"]) == 4
    assert f"n = {wencheng.n_cfa}" in wencheng.sentences["en"][1]
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
        ]
    )
    first = {p.name: p.read_bytes() for p in paths}
    structure_step.write_results(wencheng, tmp_path)
    assert {p.name: p.read_bytes() for p in paths} == first
    fit = json.loads(first["cfa_fit.json"])
    assert fit["missing"] == "pairwise" and fit["n"] == wencheng.n_cfa
    assert fit["fit"]["cfi"] == pytest.approx(wencheng.cfa.fit.cfi, abs=1e-6)
    with pytest.raises(ValueError, match="results"):
        structure_step.write_results("x", tmp_path)


# -- invariance across the five cases ---------------------------------------------------------------------
SUBMODEL = (
    "plan =~ PLN1 + PLN2 + PLN3 + PLN4\nresponse =~ RSP1 + RSP2 + RSP3 + RSP4\ninformation =~ INF1 + INF2 + INF3 + INF4"
)


def test_cross_case_invariance_metric_holds(encoded):
    """The generator draws the same loadings and thresholds in every case, different latent means.

    A 3-construct sub-model (12 items, the reverse-keyed PLN4 and RSP4 included) keeps the test at a few
    seconds; the full 12-construct model across five groups is much slower (three 5-group fits with
    ~800 free parameters). Metric invariance must hold by delta CFI >= -0.01 and delta RMSEA <= 0.015.
    """
    res = cross_case_invariance(encoded, model=SUBMODEL)
    t = res.table
    assert res.group == "case"
    assert res.fits["configural"].groups == tuple(CASES)
    for c, n in zip(CASES, res.fits["configural"].n_obs):
        assert n == len(encoded[c].items[list(parse_model(SUBMODEL).observed)].dropna())
    assert bool(t.loc["metric", "holds"])
    assert t.loc["metric", "holds"] == (
        t.loc["metric", "delta_cfi"] >= -0.01 and t.loc["metric", "delta_rmsea"] <= 0.015
    )
    assert res.level in ("metric", "partial scalar", "scalar")
    assert t.loc["configural", "cfi"] > 0.95


def test_cross_case_invariance_pairwise_agrees(encoded):
    """The pairwise path (used by "auto" for the full model) gives the same verdict, with every respondent."""
    res = cross_case_invariance(encoded, model=SUBMODEL, missing="pairwise")
    assert res.fits["configural"].n_obs == tuple(len(encoded[c].items) for c in CASES)
    cols = list(parse_model(SUBMODEL).observed)
    for c, used in zip(CASES, res.fits["configural"].sample_cov):  # each case's pairwise /n_ij matrix
        pairwise = encoded[c].items[cols].astype(float).cov(ddof=0)
        np.testing.assert_allclose(used.to_numpy(), pairwise.to_numpy(), rtol=1e-13, atol=1e-14)
    assert bool(res.table.loc["metric", "holds"])
    assert res.level in ("metric", "partial scalar", "scalar")


def test_cross_case_invariance_input_errors(encoded):
    with pytest.raises(ValueError, match="missing"):
        cross_case_invariance(encoded, model=SUBMODEL, missing="fiml")
    with pytest.raises(ValueError, match="encoded_by_case"):
        cross_case_invariance({"yima": encoded["yima"]}, model=SUBMODEL)
    with pytest.raises(ValueError, match="not in the encoded data"):
        cross_case_invariance({c: encoded[c] for c in CASES[:2]}, model="plan =~ PLN1 + PLN2 + XYZ9")
