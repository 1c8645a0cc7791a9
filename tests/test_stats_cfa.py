"""Tests of emstudy.stats.cfa against R lavaan (fixtures written by tests/reference/cfa.R)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import LAVAAN_FIT_NAMES as FIT_NAMES  # fitMeasures(fit) names compared with lavaan
from emstudy.errors import ConvergenceWarning, HeywoodWarning, MissingDataWarning, ModelWarning, SampleSizeWarning
from emstudy.stats.cfa import (
    CFAResult,
    InvarianceResult,
    MeasurementModel,
    cfa,
    chisq_difference,
    invariance,
    parse_model,
)

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "cfa.json").read_text())
# lavaan::HolzingerSwineford1939, written by tests/reference/cfa.R
HS = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
# HS.model <- "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
HS_MODEL = REF["model"]
TOL = 1e-3


@pytest.fixture(scope="module")
def single() -> CFAResult:
    return cfa(HS_MODEL, HS)


@pytest.fixture(scope="module")
def grouped() -> dict[str, CFAResult]:
    return {
        "configural": cfa(HS_MODEL, HS, group="school"),
        "metric": cfa(HS_MODEL, HS, group="school", equal=("loadings",)),
        "scalar": cfa(HS_MODEL, HS, group="school", equal=("loadings", "intercepts")),
    }


@pytest.fixture(scope="module")
def inv() -> InvarianceResult:
    return invariance(HS_MODEL, HS, "school")


def _merge(ref_rows: list[dict], params: pd.DataFrame) -> pd.DataFrame:
    ref = pd.DataFrame(ref_rows)
    ref["rhs"] = ref["rhs"].fillna("")
    on = ["lhs", "op", "rhs"] + (["group"] if "group" in ref.columns else [])
    merged = ref.merge(params, on=on, suffixes=("_lavaan", ""), how="left")
    assert len(merged) == len(ref)
    assert merged["est"].notna().all(), "a lavaan parameter is missing from our table"
    return merged


def _check_fit(result: CFAResult, ref_fit: dict) -> None:
    ours = result.fit_measures
    for name in FIT_NAMES:
        assert ours[name] == pytest.approx(ref_fit[name], abs=TOL), name


# ------------------------------------------------------------------------------------------
# single group
# ------------------------------------------------------------------------------------------
def test_single_group_fit_measures(single: CFAResult) -> None:
    # fitMeasures(cfa(HS.model, data = HS))[...]: chisq 85.306, df 24, cfi 0.931, tli 0.896,
    # rmsea 0.092 [0.071, 0.114], srmr 0.065, aic 7517.490, bic 7595.339, logl -3737.745
    _check_fit(single, REF["single"]["fit"])
    assert single.converged
    assert single.fit.df == 24
    assert single.fit.npar == 21


def test_single_group_estimates_and_se(single: CFAResult) -> None:
    # parameterEstimates(cfa(HS.model, data = HS))[, c("lhs","op","rhs","est","se","z","pvalue")]
    m = _merge(REF["single"]["estimates"], single.params)
    np.testing.assert_allclose(m["est"], m["est_lavaan"], atol=TOL)
    np.testing.assert_allclose(m["se"], m["se_lavaan"], atol=TOL)
    free = m["z_lavaan"].notna()
    np.testing.assert_allclose(m.loc[free, "z"], m.loc[free, "z_lavaan"], atol=1e-2)
    np.testing.assert_allclose(m.loc[free, "pvalue"], m.loc[free, "pvalue_lavaan"], atol=TOL)


def test_single_group_standardized(single: CFAResult) -> None:
    # standardizedSolution(cfa(HS.model, data = HS))$est.std
    m = _merge(REF["single"]["standardized"], single.params)
    np.testing.assert_allclose(m["std_all"], m["est.std"], atol=TOL)
    load = single.loadings()
    assert load.loc["x1", "visual"] == pytest.approx(0.772, abs=1e-3)


def test_std_lv(single: CFAResult) -> None:
    # fitMeasures / parameterEstimates(cfa(HS.model, data = HS, std.lv = TRUE))
    res = cfa(HS_MODEL, HS, std_lv=True)
    _check_fit(res, REF["single_stdlv"]["fit"])
    m = _merge(REF["single_stdlv"]["estimates"], res.params)
    np.testing.assert_allclose(m["est"], m["est_lavaan"], atol=TOL)
    np.testing.assert_allclose(m["se"], m["se_lavaan"], atol=TOL)
    # the std.all solution does not depend on the scaling
    np.testing.assert_allclose(res.params["std_all"], single.params["std_all"], atol=1e-5)


# ------------------------------------------------------------------------------------------
# multiple groups
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["configural", "metric", "scalar"])
def test_multigroup_fit(grouped: dict[str, CFAResult], level: str) -> None:
    # fitMeasures(cfa(HS.model, data = HS, group = "school"[, group.equal = ...]))
    # configural chisq 115.851 df 48; metric 124.044 df 54; scalar 164.103 df 60
    res = grouped[level]
    _check_fit(res, REF[level]["fit"])
    assert res.groups == tuple(REF["group_labels"])  # lavInspect(fit, "group.label")
    assert res.n_obs == tuple(REF["group_n"])  # lavInspect(fit, "nobs")


@pytest.mark.parametrize("level", ["configural", "metric", "scalar"])
def test_multigroup_estimates(grouped: dict[str, CFAResult], level: str) -> None:
    # parameterEstimates(...)$est/$se and standardizedSolution(...)$est.std per group
    res = grouped[level]
    m = _merge(REF[level]["estimates"], res.params)
    np.testing.assert_allclose(m["est"], m["est_lavaan"], atol=TOL)
    np.testing.assert_allclose(m["se"], m["se_lavaan"], atol=TOL)
    s = _merge(REF[level]["standardized"], res.params)
    np.testing.assert_allclose(s["std_all"], s["est.std"], atol=TOL)


def test_scalar_latent_means_free_beyond_first_group(grouped: dict[str, CFAResult]) -> None:
    p = grouped["scalar"].params
    means = p[(p["op"] == "~1") & p["lhs"].isin(["visual", "textual", "speed"])]
    assert not means[means["group"] == 1]["free"].any()
    assert means[means["group"] == 2]["free"].all()
    # parameterEstimates(scalar): textual ~1 in group 2 = 0.576
    textual = means[(means["group"] == 2) & (means["lhs"] == "textual")]["est"].item()
    assert textual == pytest.approx(0.576363152284108, abs=TOL)


def test_strict_residuals_equal() -> None:
    # fitMeasures(cfa(HS.model, HS, group = "school",
    #                 group.equal = c("loadings", "intercepts", "residuals")))
    res = cfa(HS_MODEL, HS, group="school", equal=("loadings", "intercepts", "residuals"))
    _check_fit(res, REF["strict"]["fit"])


def test_chisq_difference_matches_lavTestLRT(grouped: dict[str, CFAResult]) -> None:
    # lavTestLRT(configural, metric, scalar)
    lrt = REF["lrt"]
    out = chisq_difference(
        grouped["scalar"], grouped["configural"], grouped["metric"], names=["scalar", "configural", "metric"]
    )
    assert list(out.index) == lrt["model"]
    np.testing.assert_allclose(out["chisq"], lrt["chisq"], atol=TOL)
    np.testing.assert_allclose(out["aic"], lrt["aic"], atol=TOL)
    np.testing.assert_allclose(out["bic"], lrt["bic"], atol=TOL)
    assert list(out["df"]) == lrt["df"]
    np.testing.assert_allclose(out["chisq_diff"].iloc[1:], lrt["chisq_diff"][1:], atol=TOL)
    np.testing.assert_allclose(out["df_diff"].iloc[1:], lrt["df_diff"][1:], atol=0)
    np.testing.assert_allclose(out["pvalue_diff"].iloc[1:], lrt["p"][1:], atol=TOL)
    assert np.isnan(out["chisq_diff"].iloc[0])


# ------------------------------------------------------------------------------------------
# invariance
# ------------------------------------------------------------------------------------------
def test_invariance_table(inv: InvarianceResult) -> None:
    t = inv.table
    for level in ["configural", "metric", "scalar"]:
        ref = REF[level]["fit"]  # fitMeasures(<level fit>)
        for col in ["chisq", "cfi", "rmsea", "srmr", "aic", "bic"]:
            assert t.loc[level, col] == pytest.approx(ref[col], abs=TOL), (level, col)
        assert t.loc[level, "df"] == ref["df"]
    # lavTestLRT(configural, metric, scalar)[["Chisq diff"]], [["Pr(>Chisq)"]]
    assert t.loc["metric", "chisq_diff"] == pytest.approx(REF["lrt"]["chisq_diff"][1], abs=TOL)
    assert t.loc["scalar", "chisq_diff"] == pytest.approx(REF["lrt"]["chisq_diff"][2], abs=TOL)
    assert t.loc["metric", "pvalue_diff"] == pytest.approx(REF["lrt"]["p"][1], abs=TOL)
    assert t.loc["scalar", "pvalue_diff"] == pytest.approx(REF["lrt"]["p"][2], abs=TOL)
    # delta CFI from fitMeasures: metric 0.920923 - 0.923398; scalar 0.882472 - 0.920923
    assert t.loc["metric", "delta_cfi"] == pytest.approx(
        REF["metric"]["fit"]["cfi"] - REF["configural"]["fit"]["cfi"], abs=TOL
    )
    assert t.loc["scalar", "delta_cfi"] == pytest.approx(
        REF["scalar"]["fit"]["cfi"] - REF["metric"]["fit"]["cfi"], abs=TOL
    )
    assert bool(t.loc["metric", "holds"]) is True
    assert bool(t.loc["scalar", "holds"]) is False


def test_invariance_partial_search(inv: InvarianceResult) -> None:
    # step 1: cfa(..., group.equal = c("loadings","intercepts"), group.partial = "<item>~1")
    step1 = inv.search[inv.search["step"] == 1].set_index("item")
    for row in REF["partial_one"]:
        assert step1.loc[row["item"], "chisq"] == pytest.approx(row["chisq"], abs=TOL)
        assert step1.loc[row["item"], "df"] == row["df"]
    # step 2: group.partial = c("x3~1", "<item>~1"); x1, x2 are not candidates (visual would
    # keep a single equal intercept)
    step2 = inv.search[inv.search["step"] == 2].set_index("item")
    assert set(step2.index) == {"x4", "x5", "x6", "x7", "x8", "x9"}
    for row in REF["partial_two"]:
        if row["item"] in step2.index:
            assert step2.loc[row["item"], "chisq"] == pytest.approx(row["chisq"], abs=TOL)
            assert step2.loc[row["item"], "cfi"] == pytest.approx(row["cfi"], abs=TOL)
    assert inv.freed_intercepts == ("x3", "x7")
    # fitMeasures(cfa(..., group.partial = c("x3~1", "x7~1")))
    ref = REF["partial_x3_x7"]
    row = inv.table.loc["partial scalar"]
    for col in ["chisq", "cfi", "rmsea", "srmr"]:
        assert row[col] == pytest.approx(ref[col], abs=TOL), col
    assert row["df"] == ref["df"]
    assert inv.level == "partial scalar"
    assert "partial scalar" in inv.summary()
    assert "LRT" in inv.summary()


def test_invariance_strict_criteria_stop_at_configural() -> None:
    # metric: delta CFI = -0.0025 (lavaan), which fails a cut of 0.001
    res = invariance(HS_MODEL, HS, "school", cfi_cut=0.001, rmsea_cut=0.001)
    assert res.level == "configural"  # the first constrained level fails; configural is the highest supported
    assert res.summary().endswith("Highest level supported: configural")
    assert "partial scalar" not in res.table.index
    assert res.search.empty


# ------------------------------------------------------------------------------------------
# parser
# ------------------------------------------------------------------------------------------
def test_parser_forms_agree() -> None:
    text = """
    # three factors
    visual  =~ x1 + x2 + x3   # comment at end
    textual =~ x4 + x5
    textual =~ x6

    speed =~ x7 + x8 + x9
    """
    a = parse_model(text)
    b = parse_model(HS_MODEL)
    assert a == b
    assert a.factors == ("visual", "textual", "speed")
    assert a.items_of("textual") == ("x4", "x5", "x6")
    assert a.observed == tuple(f"x{i}" for i in range(1, 10))
    assert isinstance(a, MeasurementModel)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("visual =~ x1 + x2 + x3\ntextual =~ x4 + + x5", r"line 2.*empty term"),
        ("visual =~ x1 + 2x + x3", r"line 1.*'2x'"),
        ("# c\nvisual =~ x1 + x2 + x3\nx1 ~ x2", r"line 3.*'~'"),
        ("visual =~ x1 + x2 + x3\n\nf2 =~ 1*x4 + x5", r"line 3.*'1\*x4'"),
        ("visual x1 + x2", r"line 1.*expected '=~'"),
        ("=~ x1 + x2", r"line 1.*missing factor"),
        ("# only a comment\n", r"no measurement statement"),
    ],
)
def test_parser_errors(text: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        parse_model(text)


def test_unknown_variable_named() -> None:
    with pytest.raises(ValueError, match="'x99'"):
        cfa("visual =~ x1 + x2 + x99", HS)


# ------------------------------------------------------------------------------------------
# input checks and warnings
# ------------------------------------------------------------------------------------------
def test_non_positive_definite_covariance() -> None:
    data = HS.assign(x10=HS["x1"] + HS["x2"])
    with pytest.raises(ValueError, match="not positive definite"):
        cfa("visual =~ x1 + x2 + x3 + x10", data)
    with pytest.raises(ValueError, match="not positive definite.*'x3'"):
        cfa("visual =~ x1 + x2 + x3", HS.assign(x3=1.0))


def test_too_few_observations() -> None:
    # a sample covariance matrix needs more respondents than observed variables (9 here)
    with pytest.raises(ValueError, match="too few observations: 9 complete rows for 9 observed variables"):
        cfa(HS_MODEL, HS.iloc[:9])


def test_fewer_observations_than_parameters_warns_but_fits() -> None:
    # N = 20 > 9 variables but < 21 free parameters: ML is defined (lavaan fits it too); the ratio is reported
    with pytest.warns(SampleSizeWarning, match=r"cfa: 20 observations for 21 free parameters \(N/q = 0.95\)"):
        fit = cfa(HS_MODEL, HS.iloc[:20])
    assert fit.n_obs == (20,) and fit.fit.df == 24  # 9 * 10 / 2 = 45 moments - 21 free parameters (20/21 = 0.95)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="equal"):
        cfa(HS_MODEL, HS, equal=("loadings",))
    with pytest.raises(ValueError, match="unknown constraint 'slopes'"):
        cfa(HS_MODEL, HS, group="school", equal=("slopes",))
    with pytest.raises(ValueError, match="group_partial"):
        cfa(HS_MODEL, HS, group="school", equal="intercepts", group_partial=("x42~1",))
    with pytest.raises(ValueError, match="estimator"):
        cfa(HS_MODEL, HS, estimator="WLSMV")  # not implemented
    with pytest.raises(ValueError, match="group: column 'class'"):
        cfa(HS_MODEL, HS, group="class")


def _exact_data(cor: np.ndarray, n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, cor.shape[0]))
    z = z - z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T
    x = z @ np.linalg.cholesky(cor).T
    return pd.DataFrame(x, columns=[f"a{i + 1}" for i in range(cor.shape[0])])


def test_heywood_case_warns_with_item() -> None:
    # one factor, three items: lambda_1^2 = r12 r13 / r23 = 0.64 / 0.5 > 1
    cor = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    data = _exact_data(cor, 200)
    with pytest.warns(HeywoodWarning, match="Heywood.*'a1'"):
        res = cfa("f =~ a1 + a2 + a3", data)
    theta = res.params.query("lhs == 'a1' and op == '~~'")["est"].item()
    assert theta == pytest.approx(1 - 0.64 / 0.5, abs=1e-4)


def test_no_heywood_warning_on_proper_solution(single: CFAResult) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfa(HS_MODEL, HS)


def test_non_convergence_warns() -> None:
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        cfa(HS_MODEL, HS, max_iter=1)


def test_listwise_deletion_warns() -> None:
    data = HS.copy()
    data.loc[:4, "x1"] = np.nan
    with pytest.warns(MissingDataWarning, match="5 of 301 rows"):
        res = cfa(HS_MODEL, data)
    assert res.n_obs == (296,)


def test_singular_information_warns_model_warning() -> None:
    # two uncorrelated two-item factors: the factor covariance is estimated at 0, which leaves
    # each factor's loading and variance not separately identified (empirical under-identification)
    cor = np.array([[1.0, 0.5, 0, 0], [0.5, 1.0, 0, 0], [0, 0, 1.0, 0.4], [0, 0, 0.4, 1.0]])
    with pytest.warns(ModelWarning, match="information matrix is singular"), warnings.catch_warnings():
        warnings.simplefilter("ignore", HeywoodWarning)  # a1's residual variance is negative too
        res = cfa("f1 =~ a1 + a2; f2 =~ a3 + a4", _exact_data(cor, 200))
    assert res.params.loc[res.params["free"], "se"].isna().all()


def test_warnings_name_the_caller_and_subclass_userwarning() -> None:
    # every cfa warning is an EmstudyWarning (a UserWarning) attributed to the line calling cfa()
    data = HS.copy()
    data.loc[:4, "x1"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfa(HS_MODEL, data.iloc[:25], max_iter=1)
    kinds = {w.category for w in caught}
    assert {MissingDataWarning, SampleSizeWarning, ConvergenceWarning} <= kinds
    assert all(issubclass(w.category, UserWarning) for w in caught)
    assert all(w.filename == __file__ for w in caught)


def test_summary_and_frames(single: CFAResult, grouped: dict[str, CFAResult]) -> None:
    text = single.summary()
    assert "CFI = 0.931" in text and "RMSEA = 0.092" in text and "SRMR = 0.065" in text
    assert "CFAResult(" in repr(single)
    frame = single.to_frame()
    assert {"lhs", "op", "rhs", "est", "se", "z", "pvalue", "std_all"} <= set(frame.columns)
    assert "Grant-White" in grouped["metric"].summary()
    assert grouped["metric"].loadings().shape == (18, 3)


def test_mlr_scaled_chisq_and_robust_se() -> None:
    # fitMeasures(cfa(HS.model, data = HS, estimator = "MLR"))[c("chisq.scaled",
    #   "chisq.scaling.factor", "pvalue.scaled")]: 87.132, 0.979, 4.28e-09
    ref = REF["single_mlr"]
    res = cfa(HS_MODEL, HS, estimator="MLR")
    fm = res.fit_measures
    for name in ["chisq", "df", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled", "srmr"]:
        assert fm[name] == pytest.approx(ref["fit"][name], abs=TOL), name
    # parameterEstimates(cfa(HS.model, data = HS, estimator = "MLR"))$se (sandwich)
    m = _merge(ref["estimates"], res.params)
    np.testing.assert_allclose(m["est"], m["est_lavaan"], atol=TOL)
    np.testing.assert_allclose(m["se"], m["se_lavaan"], atol=TOL)
    assert "Scaled chi-square" in res.summary()
    # several groups with listwise deletion are fitted since issue 14 (was refused): against lavaan's
    # cfa(HS.model, data = HS, estimator = "MLR", group = "school") in tests/test_stats_cfa_robust.py
    assert cfa(HS_MODEL, HS, estimator="MLR", group="school").fit.chisq_scaled > 0


@pytest.mark.parametrize(("key", "equal"), [("configural_stdlv", ()), ("metric_stdlv", ("loadings",))])
def test_multigroup_std_lv(key: str, equal: tuple[str, ...]) -> None:
    # fitMeasures(cfa(HS.model, data = HS, group = "school", std.lv = TRUE
    #                 [, group.equal = "loadings"])): same fit as marker scaling
    res = cfa(HS_MODEL, HS, group="school", equal=equal, std_lv=True)
    _check_fit(res, REF[key]["fit"])


# ------------------------------------------------------------------------------------------
# summary-statistics input (sample_cov, sample_mean, sample_nobs)
# ------------------------------------------------------------------------------------------
VARS = REF["sample_vars"]  # paste0("x", 1:9)
SCHOOLS = REF["scalar_cov"]["group_labels"]  # unique(HS$school): "Pasteur", "Grant-White"


def _school_stats() -> tuple[dict, dict, dict]:
    """Per-school cov (divisor N - 1, as R's cov), colMeans and nrow, in the order of the data."""
    covs, means, nobs = {}, {}, {}
    for s in SCHOOLS:
        block = HS.loc[HS["school"] == s, VARS]
        covs[s], means[s], nobs[s] = block.cov(), block.mean(), len(block)
    return covs, means, nobs


@pytest.fixture(scope="module")
def single_cov() -> CFAResult:
    return cfa(HS_MODEL, sample_cov=HS[VARS].cov(), sample_nobs=len(HS))


@pytest.fixture(scope="module")
def scalar_cov() -> CFAResult:
    covs, means, nobs = _school_stats()
    return cfa(HS_MODEL, sample_cov=covs, sample_mean=means, sample_nobs=nobs, equal=("loadings", "intercepts"))


def test_sample_cov_single_group_matches_lavaan(single_cov: CFAResult) -> None:
    # fitMeasures(cfa(HS.model, sample.cov = cov(HS[, vars]), sample.nobs = 301)):
    # chisq 85.306, df 24, cfi 0.931, tli 0.896, rmsea 0.092, srmr 0.065
    ref = REF["single_cov"]
    _check_fit(single_cov, ref["fit"])
    for name in ["chisq", "df", "cfi", "tli", "rmsea", "srmr"]:
        assert single_cov.fit_measures[name] == pytest.approx(ref["fit"][name], abs=1e-5), name
    assert single_cov.n_obs == (ref["n"],)  # lavInspect(fit_cov, "nobs") = 301
    # parameterEstimates(fit_cov)$est, $se; standardizedSolution(fit_cov)$est.std
    m = _merge(ref["estimates"], single_cov.params)
    np.testing.assert_allclose(m["est"], m["est_lavaan"], atol=TOL)
    np.testing.assert_allclose(m["se"], m["se_lavaan"], atol=TOL)
    s = _merge(ref["standardized"], single_cov.params)
    np.testing.assert_allclose(s["std_all"], s["est.std"], atol=TOL)


def test_sample_cov_is_rescaled_like_lavaan(single_cov: CFAResult) -> None:
    # lavInspect(cfa(HS.model, sample.cov = cov(HS[, vars]), sample.nobs = 301), "sampstat")$cov:
    # cov() times 300/301 (lavaan's sample.cov.rescale = TRUE)
    ref = np.array(REF["single_cov"]["sampstat_cov"])
    ours = single_cov.sample_cov[0].loc[VARS, VARS].to_numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)
    assert not np.allclose(ours, HS[VARS].cov().to_numpy(), rtol=1e-4, atol=0)


def test_sample_cov_two_groups_match_lavaan(scalar_cov: CFAResult) -> None:
    # cfa(HS.model, sample.cov = covs, sample.mean = means, sample.nobs = nobs,
    #     group.equal = c("loadings", "intercepts")), lists named by unique(HS$school)
    ref = REF["scalar_cov"]
    _check_fit(scalar_cov, ref["fit"])  # fitMeasures(fit_cov2): chisq 164.103, df 60
    for name in ["chisq", "df", "cfi", "tli", "rmsea", "srmr"]:
        assert scalar_cov.fit_measures[name] == pytest.approx(ref["fit"][name], abs=1e-5), name
    assert scalar_cov.groups == tuple(ref["group_labels"])  # lavInspect(fit_cov2, "group.label")
    assert scalar_cov.n_obs == tuple(ref["group_n"])  # lavInspect(fit_cov2, "nobs")
    # parameterEstimates(fit_cov2)$est, $se; standardizedSolution(fit_cov2)$est.std
    m = _merge(ref["estimates"], scalar_cov.params)
    np.testing.assert_allclose(m["est"], m["est_lavaan"], atol=TOL)
    np.testing.assert_allclose(m["se"], m["se_lavaan"], atol=TOL)
    s = _merge(ref["standardized"], scalar_cov.params)
    np.testing.assert_allclose(s["std_all"], s["est.std"], atol=TOL)
    # lavInspect(fit_cov2, "sampstat")[[g]]$cov: each group's matrix times (N_g - 1) / N_g
    for g, label in enumerate(SCHOOLS):
        np.testing.assert_allclose(
            scalar_cov.sample_cov[g].loc[VARS, VARS].to_numpy(),
            np.array(ref["sampstat_cov"][label]),
            rtol=1e-12,
            atol=1e-12,
        )


def test_sample_cov_agrees_with_raw_data(
    single: CFAResult, single_cov: CFAResult, grouped: dict[str, CFAResult], scalar_cov: CFAResult
) -> None:
    # the same model fitted to HS and to cov(HS) with N = 301 (divisor N - 1, rescaled)
    for raw, stats in [(single, single_cov), (grouped["scalar"], scalar_cov)]:
        a, b = raw.fit_measures, stats.fit_measures
        np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-7, atol=1e-7)
        assert list(raw.params.columns) == list(stats.params.columns)
        for col in ["est", "se", "std_all"]:
            np.testing.assert_allclose(stats.params[col], raw.params[col], atol=1e-6)
        assert raw.groups == stats.groups and raw.n_obs == stats.n_obs


def test_sample_cov_order_and_extra_variables_do_not_matter(single_cov: CFAResult) -> None:
    cols = ["ageyr"] + VARS[::-1]
    shuffled = HS[cols].cov()
    res = cfa(HS_MODEL, sample_cov=shuffled, sample_nobs=301, sample_mean=HS[cols].mean())
    np.testing.assert_allclose(res.params["est"], single_cov.params["est"], atol=1e-6)
    assert res.fit.chisq == pytest.approx(single_cov.fit.chisq, abs=1e-6)


def test_invariance_from_sample_statistics_agrees_with_raw_data(inv: InvarianceResult) -> None:
    covs, means, nobs = _school_stats()
    res = invariance(HS_MODEL, group="school", sample_cov=covs, sample_mean=means, sample_nobs=nobs)
    num = inv.table.select_dtypes("number").columns
    np.testing.assert_allclose(res.table[num].to_numpy(dtype=float), inv.table[num].to_numpy(dtype=float), atol=1e-6)
    assert res.freed_intercepts == inv.freed_intercepts == ("x3", "x7")
    assert res.level == inv.level and res.group == "school"


def _cov() -> pd.DataFrame:
    return HS[VARS].cov()


def _asym() -> pd.DataFrame:
    c = _cov()
    c.loc["x1", "x2"] += 0.1
    return c


def _neg_var() -> pd.DataFrame:
    c = _cov()
    c.loc["x3", "x3"] = -1.0
    return c


def _nan_entry() -> pd.DataFrame:
    c = _cov()
    c.loc["x4", "x5"] = c.loc["x5", "x4"] = np.nan
    return c


def _singular() -> pd.DataFrame:
    return HS.assign(x10=HS["x1"] + HS["x2"])[VARS + ["x10"]].cov()


_SINGLE_BAD = [
    # (keyword arguments to cfa besides the model, pattern of the message)
    (dict(), r"^data: no input; pass data .* or sample_cov"),
    (dict(data=HS, sample_cov="cov"), r"^data, sample_cov: pass one of them"),
    (dict(data=HS, sample_nobs=301), r"^sample_nobs: only used with sample_cov"),
    (dict(data=HS, sample_mean=HS[VARS].mean()), r"^sample_mean: only used with sample_cov"),
    (dict(sample_cov="cov", sample_nobs=301, estimator="MLR"), r"^estimator: 'MLR' needs raw data"),
    (dict(sample_cov="cov"), r"^sample_nobs: required with sample_cov"),
    (dict(sample_cov="cov", sample_nobs=301, group="school"), r"^group: names a column of data"),
    (dict(sample_cov="cov", sample_nobs=301, equal=("loadings",)), r"^equal: group constraints need several groups"),
    (dict(sample_cov=_cov().to_numpy(), sample_nobs=301), r"^sample_cov: expected a pandas DataFrame .* got ndarray"),
    (
        dict(sample_cov=_cov().iloc[:, :8], sample_nobs=301),
        r"^sample_cov: expected a square matrix, got 9 rows and 8 columns",
    ),
    (
        dict(sample_cov=_cov().rename(columns={"x9": "y9"}), sample_nobs=301),
        r"^sample_cov: index and columns must name the same variables; .*'x9', 'y9'",
    ),
    (
        dict(sample_cov=HS[VARS[:7]].cov(), sample_nobs=301),
        r"^sample_cov: model variable\(s\) \['x8', 'x9'\] are not in the matrix",
    ),
    (dict(sample_cov=_asym(), sample_nobs=301), r"^sample_cov: not symmetric: entry \('x1', 'x2'\)"),
    (dict(sample_cov=_neg_var(), sample_nobs=301), r"^sample_cov: not positive definite: the variance of \['x3'\]"),
    (dict(sample_cov=_nan_entry(), sample_nobs=301), r"^sample_cov: missing or infinite entry for \('x4', 'x5'\)"),
    (
        dict(sample_cov=_cov().astype(object).where(_cov() > 0.5, "a"), sample_nobs=301),
        r"^sample_cov: entries must be numbers",
    ),
    (dict(sample_cov="cov", sample_nobs=301.0), r"^sample_nobs: expected a positive integer"),
    (dict(sample_cov="cov", sample_nobs="301"), r"^sample_nobs: expected a positive integer"),
    (dict(sample_cov="cov", sample_nobs=True), r"^sample_nobs: expected a positive integer"),
    (dict(sample_cov="cov", sample_nobs=0), r"^sample_nobs: expected a positive integer, got 0"),
    (dict(sample_cov="cov", sample_nobs=9), r"^sample_nobs: 9 observations for 9 observed variables"),
    (
        dict(sample_cov="cov", sample_nobs=301, sample_mean=HS[VARS[:8]].mean()),
        r"^sample_mean: model variable\(s\) \['x9'\] have no mean",
    ),
    (
        dict(sample_cov="cov", sample_nobs=301, sample_mean=HS[VARS].mean().to_numpy()),
        r"^sample_mean: expected a pandas Series",
    ),
    (
        dict(sample_cov="cov", sample_nobs={"Pasteur": 156, "Grant-White": 145}),
        r"^sample_nobs: a mapping of groups needs sample_cov to be a mapping",
    ),
]


@pytest.mark.parametrize(("kwargs", "pattern"), _SINGLE_BAD)
def test_sample_cov_input_errors(kwargs: dict, pattern: str) -> None:
    if isinstance(kwargs.get("sample_cov"), str):
        kwargs = {**kwargs, "sample_cov": _cov()}
    with pytest.raises(ValueError, match=pattern):
        cfa(HS_MODEL, **kwargs)


def test_sample_cov_not_positive_definite() -> None:
    with pytest.raises(ValueError, match=r"^sample_cov: not positive definite \(smallest eigen"):
        cfa("visual =~ x1 + x2 + x3 + x10", sample_cov=_singular(), sample_nobs=301)


def _grouped_variant(which: str):
    covs, means, nobs = _school_stats()
    if which == "one_group":
        return dict(sample_cov={"Pasteur": covs["Pasteur"]}, sample_mean=means, sample_nobs=nobs)
    if which == "no_mean":
        return dict(sample_cov=covs, sample_nobs=nobs)
    if which == "no_nobs":
        return dict(sample_cov=covs, sample_mean=means)
    if which == "mean_not_mapping":
        return dict(sample_cov=covs, sample_mean=means["Pasteur"], sample_nobs=nobs)
    if which == "nobs_keys":
        return dict(sample_cov=covs, sample_mean=means, sample_nobs={"Pasteur": 156})
    if which == "mean_keys":
        return dict(sample_cov=covs, sample_mean={**means, "Other": means["Pasteur"]}, sample_nobs=nobs)
    if which == "group_nobs":
        return dict(sample_cov=covs, sample_mean=means, sample_nobs={**nobs, "Pasteur": 5})
    if which == "group_cov":
        return dict(sample_cov={**covs, "Grant-White": _asym()}, sample_mean=means, sample_nobs=nobs)
    if which == "group_mean":
        return dict(sample_cov=covs, sample_nobs=nobs, sample_mean={**means, "Pasteur": means["Pasteur"].drop("x9")})
    raise KeyError(which)


@pytest.mark.parametrize(
    ("which", "pattern"),
    [
        ("one_group", r"^sample_cov: a mapping gives one matrix per group and needs at least two"),
        ("no_mean", r"^sample_mean: a multi-group model has a mean structure"),
        ("no_nobs", r"^sample_nobs: required with sample_cov; pass a mapping"),
        ("mean_not_mapping", r"^sample_mean: sample_cov is a mapping of groups, so sample_mean must"),
        ("nobs_keys", r"^sample_nobs: group keys do not match .* missing \['Grant-White'\]"),
        ("mean_keys", r"^sample_mean: group keys do not match .* not in sample_cov \['Other'\]"),
        ("group_nobs", r"^sample_nobs\['Pasteur'\]: 5 observations for 9 observed variables"),
        ("group_cov", r"^sample_cov\['Grant-White'\]: not symmetric"),
        ("group_mean", r"^sample_mean\['Pasteur'\]: model variable\(s\) \['x9'\] have no mean"),
    ],
)
def test_sample_cov_group_input_errors(which: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        cfa(HS_MODEL, **_grouped_variant(which))


def test_invariance_sample_statistics_input_errors() -> None:
    covs, means, nobs = _school_stats()
    with pytest.raises(ValueError, match=r"^sample_cov: invariance needs one covariance matrix"):
        invariance(HS_MODEL, sample_cov=covs["Pasteur"], sample_nobs=156)
    with pytest.raises(ValueError, match=r"^data, sample_cov: pass one of them"):
        invariance(HS_MODEL, HS, "school", sample_cov=covs, sample_mean=means, sample_nobs=nobs)
    with pytest.raises(ValueError, match=r"^group: expected the name of the grouping column"):
        invariance(HS_MODEL, HS)
