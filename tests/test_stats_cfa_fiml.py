"""Tests of FIML (``missing="fiml"``, lavaan's ``missing = "ml"``) in emstudy.stats.cfa and emstudy.stats.sem
against R lavaan 0.6.14 (fixtures written by tests/reference/fiml.R).

Data: tests/reference/data/hs_missing.csv is lavaan's HolzingerSwineford1939 with each cell of x1-x9 removed
with probability 0.1 (seeded MCAR draw in fiml.R: 9.8% of the cells, 52 missingness patterns, 24 of them with
one respondent); pd_missing.csv is PoliticalDemocracy with the same draw over y1-y8, x1-x3.

Tolerances: fit measures to 1e-6 (relative for the large ones: chi-square, log-likelihoods, AIC, BIC).
lavaan stops its EM for the saturated model at about 4e-6 in the moments (its unrestricted log-likelihood is
1e-8 below ours) and its optimizer (nlminb) at up to 1e-5 in the estimates where the chi-square is within
1e-8 of its minimum (``test_at_least_as_low_as_lavaan``); so estimates and standardized values are compared to
1e-4, standard errors to 1e-5 and the EM moments to 1e-5: lavaan's optimizer is the limit there, not ours.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import LAVAAN_FIT_NAMES as FIT_NAMES  # fitMeasures(fit) names compared with lavaan
from conftest import central_moment_hessian
from emstudy.errors import MissingDataWarning
from emstudy.stats.cfa import CFAResult, cfa
from emstudy.stats.cfa._data import _prepare_fiml_blocks
from emstudy.stats.cfa.engine import _Engine, _observed_hessian
from emstudy.stats.cfa.estimate import _as_sem
from emstudy.stats.cfa.fiml import _fiml_data, _FIMLEngine, _Saturated, _yuan_bentler
from emstudy.stats.cfa.semengine import _build_sem_table, _layout, _sem_start, _SEMEngine
from emstudy.stats.cfa.semsyntax import parse_sem
from emstudy.stats.cfa.syntax import parse_model
from emstudy.stats.sem import sem

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "fiml.json").read_text())
HS = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
HSM = pd.read_csv(REF_DIR / "data" / "hs_missing.csv")
PDM = pd.read_csv(REF_DIR / "data" / "pd_missing.csv")
# HS.model <- "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
HS_MODEL = REF["hs_model"]
ITEMS = [f"x{i}" for i in range(1, 10)]

# key in fiml.json -> (fitting function, model, data, options); the lavaan call beside each
FITS = {
    "hs": (cfa, HS_MODEL, HSM, {}),  # cfa(HS.model, data = HSm, missing = "ml")
    "hs_stdlv": (cfa, HS_MODEL, HSM, {"std_lv": True}),  # cfa(HS.model, data = HSm, missing = "ml", std.lv = TRUE)
    "hs_complete": (cfa, HS_MODEL, HS, {}),  # cfa(HS.model, data = HS, missing = "ml")
    "hs_groups": (cfa, HS_MODEL, HSM, {"group": "school"}),  # cfa(..., missing = "ml", group = "school")
    # cfa(HS.model, data = HSm, missing = "ml", group = "school", group.equal = c("loadings", "intercepts"))
    "hs_scalar": (cfa, HS_MODEL, HSM, {"group": "school", "equal": ("loadings", "intercepts")}),
    "pd": (sem, REF["pd_model"], PDM, {}),  # sem(PD.model, data = PDm, missing = "ml")
    # sem(HS.sem, data = HSm, missing = "ml", group = "school"), HS.sem with "speed ~ b*visual" (b in both groups)
    "hs_sem_groups": (sem, REF["hs_sem_model"], HSM, {"group": "school"}),
}


@pytest.fixture(scope="module")
def fits() -> dict[str, CFAResult]:
    out = {}
    for key, (fun, model, data, opts) in FITS.items():
        out[key] = fun(model, data, missing="fiml", **opts)
    return out


def _cfa_table(mm, S: list, means: list, *, meanstructure: bool, equal: tuple[str, ...] = ()) -> tuple[list, int]:
    """cfa()'s parameter table of a measurement model: sem()'s table of the model as lavaan's syntax (cfa() is
    sem() with the same defaults, emstudy.stats.cfa.estimate), with its start values in ``value``."""
    sm = _as_sem(mm)
    return _build_sem_table(sm, _layout(sm), S, means, std_lv=False, meanstructure=meanstructure, equal=equal)


def _merge(key: str, params: pd.DataFrame) -> pd.DataFrame:
    ref = pd.DataFrame(REF[key]["estimates"])
    ref["rhs"] = ref["rhs"].fillna("")
    on = ["lhs", "op", "rhs"] + (["group"] if "group" in ref.columns else [])
    merged = ref.merge(params, on=on, suffixes=("_lavaan", ""), how="left")
    assert len(merged) == len(ref) and merged["est"].notna().all(), "a lavaan parameter is missing from our table"
    return merged


@pytest.mark.parametrize("key", list(FITS))
def test_fit_measures_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # fitMeasures(<the call in FITS>); e.g. for "hs": chisq 70.387, df 24, cfi 0.936, tli 0.904, rmsea 0.080,
    # srmr 0.060, logl -3417.658, unrestricted.logl -3382.465, baseline.chisq 758.627
    ours, ref = fits[key].fit_measures, REF[key]["fit"]
    for name in FIT_NAMES:
        assert ours[name] == pytest.approx(ref[name], rel=1e-6, abs=1e-6), name
    assert fits[key].converged and REF[key]["converged"]


@pytest.mark.parametrize("key", list(FITS))
def test_estimates_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # parameterEstimates(<the call in FITS>, standardized = TRUE)[, c("est", "se", "std.all")]
    m = _merge(key, fits[key].params)
    np.testing.assert_allclose(m["est"], m["est_lavaan"], atol=1e-4)
    np.testing.assert_allclose(m["se"], m["se_lavaan"], atol=1e-5)
    np.testing.assert_allclose(m["std_all"], m["std.all"], atol=1e-4)
    assert REF[key]["information"] == "observed"  # lavInspect(fit, "options")$information with missing = "ml"


@pytest.mark.parametrize("key", list(FITS))
def test_at_least_as_low_as_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # fitMeasures(fit, "logl"): our maximum is at or above lavaan's (it stops where the function is flat). The
    # chi-square is not compared this way: it also holds the saturated log-likelihood, which our EM takes further
    assert fits[key].fit.logl >= REF[key]["fit"]["logl"] - 1e-9


def test_em_moments_match_lavaan(fits: dict[str, CFAResult]) -> None:
    # lavInspect(cfa(HS.model, data = HSm, missing = "ml"), "sampstat"): the EM estimates of the saturated model
    h1 = REF["hs"]["h1"]
    np.testing.assert_allclose(fits["hs"].sample_cov[0].to_numpy(), np.array(h1["cov"]), atol=1e-5)
    # ours is the better converged EM: its log-likelihood is at or above lavaan's unrestricted.logl
    assert fits["hs"].fit.unrestricted_logl >= REF["hs"]["fit"]["unrestricted.logl"] - 1e-9


def test_defined_parameter_by_fiml(fits: dict[str, CFAResult]) -> None:
    # parameterEstimates(sem(PD.model, data = PDm, missing = "ml"))["ind := a*b", c("est", "se")]
    m = _merge("pd", fits["pd"].params)
    row = m[m["op"] == ":="].iloc[0]
    assert row["est"] == pytest.approx(row["est_lavaan"], abs=1e-4)
    assert row["se"] == pytest.approx(row["se_lavaan"], abs=1e-5)


def test_no_missing_data_is_the_listwise_fit_with_a_mean_structure(fits: dict[str, CFAResult]) -> None:
    # with no missing value FIML is ML with a (saturated) mean structure: the same estimates, chi-square,
    # log-likelihood and indices as the listwise fit, and intercepts at the sample means
    full, listwise = fits["hs_complete"], cfa(HS_MODEL, HS)
    m = full.params.merge(listwise.params, on=["lhs", "op", "rhs"], suffixes=("", "_lw"))
    assert len(m) == len(listwise.params)
    np.testing.assert_allclose(m["est"], m["est_lw"], atol=1e-7)
    for name in ("chisq", "df", "logl", "unrestricted_logl", "cfi", "tli", "rmsea", "baseline_chisq"):
        assert getattr(full.fit, name) == pytest.approx(getattr(listwise.fit, name), rel=1e-9), name
    intercepts = full.params[full.params["op"] == "~1"].set_index("lhs")["est"]
    np.testing.assert_allclose(intercepts[ITEMS], HS[ITEMS].mean(), atol=1e-8)
    assert full.n_obs == (301,)


def test_loglik_is_the_casewise_sum(fits: dict[str, CFAResult]) -> None:
    # the log-likelihood summed over patterns equals the sum over rows of the normal density of each
    # row's observed values, computed one row at a time (24 patterns of hs_missing.csv have one respondent)
    res = fits["hs"]
    Sigma = res.implied_cov[0].loc[ITEMS, ITEMS].to_numpy()
    mu = res.params[res.params["op"] == "~1"].set_index("lhs").loc[ITEMS, "est"].to_numpy()
    total = 0.0
    for row in HSM[ITEMS].to_numpy():
        o = ~np.isnan(row)
        total += stats.multivariate_normal(mu[o], Sigma[np.ix_(o, o)]).logpdf(row[o])
    assert res.fit.logl == pytest.approx(total, rel=1e-12)
    patterns = HSM[ITEMS].isna().value_counts()
    assert (patterns == 1).sum() == 24


def test_one_respondent_pattern() -> None:
    # complete data but x1 missing in one row: a pattern of one respondent; the fit converges with finite SEs
    df = HS.copy()
    df.loc[5, "x1"] = np.nan
    res = cfa(HS_MODEL, df, missing="fiml")
    assert res.converged and np.isfinite(res.params["se"]).all()
    assert res.n_obs == (301,)
    assert 0 < res.fit.chisq < cfa(HS_MODEL, HS, missing="fiml").fit.chisq + 5


def test_row_with_every_item_missing_is_dropped_with_a_note(fits: dict[str, CFAResult]) -> None:
    df = pd.concat([HSM, pd.DataFrame({"id": [999], "school": ["Pasteur"]})], ignore_index=True)
    with pytest.warns(MissingDataWarning, match="1 of 302 rows") as caught:
        res = cfa(HS_MODEL, df, missing="fiml")
    assert all(w.filename == __file__ for w in caught)  # attributed to the line calling cfa()
    assert res.n_obs == (301,)
    assert res.fit.chisq == pytest.approx(fits["hs"].fit.chisq, rel=1e-12)


def test_missing_is_checked() -> None:
    with pytest.raises(ValueError, match=r"^missing: expected 'listwise' .* or 'fiml' .*, got 'pairwise'$"):
        cfa(HS_MODEL, HSM, missing="pairwise")
    with pytest.raises(ValueError, match="^missing: 'fiml' needs raw data"):
        cfa(HS_MODEL, sample_cov=HS[ITEMS].cov(), sample_nobs=301, missing="fiml")
    with pytest.raises(ValueError, match="^missing: expected"):
        sem(HS_MODEL, HSM, missing="ml")
    with pytest.raises(ValueError, match=r"^missing: 'fiml' with exogenous observed covariates \['x1'\]"):
        sem("y1 ~ x1", PDM, missing="fiml")


def test_a_variable_never_observed_is_refused() -> None:
    df = HSM.copy()
    df["x9"] = np.nan
    with pytest.raises(ValueError, match="^data: variable 'x9' is never observed"):
        cfa(HS_MODEL, df, missing="fiml")
    df = HSM.copy()
    df.loc[df["x1"].notna(), "x2"] = np.nan
    with pytest.raises(ValueError, match="^data: 'x1' and 'x2' are never observed together"):
        cfa(HS_MODEL, df, missing="fiml")


def test_listwise_stays_the_default() -> None:
    with pytest.warns(MissingDataWarning, match="listwise"):
        res = cfa(HS_MODEL, HSM)
    assert res.missing == "listwise" and res.n_obs == (119,)
    assert "FIML" not in res.summary()


def test_summary_says_fiml(fits: dict[str, CFAResult]) -> None:
    assert fits["hs"].summary().startswith("CFA (ML, FIML), converged")
    assert fits["hs"].missing == "fiml"


def test_gradient_is_the_derivative() -> None:
    mm = parse_model(HS_MODEL)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingDataWarning)
        fd = _fiml_data(*_prepare_fiml_blocks(mm, HSM, "school"), 9)
    table, nfree = _cfa_table(mm, fd.S, fd.means, meanstructure=True, equal=("loadings",))
    eng = _FIMLEngine(_Engine(table, nfree, 9, 3, fd.S, fd.means, fd.ns, True), fd.pats, fd.logl_h1)
    x = _sem_start(table, nfree) + np.random.default_rng(1).uniform(0.0, 0.2, nfree)
    _, grad = eng.fun_grad(x)
    num = np.zeros(nfree)
    for a in range(nfree):
        e = np.zeros(nfree)
        e[a] = 1e-6
        num[a] = (eng.fmin(x + e) - eng.fmin(x - e)) / 2e-6
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-7)


# key in fiml.json -> (fitting function, model, data, options), all with estimator = "MLR"
MLR_FITS = {
    "hs_mlr": (cfa, HS_MODEL, HSM, {}),  # cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR")
    # cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", group = "school")
    "hs_groups_mlr": (cfa, HS_MODEL, HSM, {"group": "school"}),
    "pd_mlr": (sem, REF["pd_model"], PDM, {}),  # sem(PD.model, data = PDm, missing = "ml", estimator = "MLR")
}


@pytest.fixture(scope="module")
def mlr_fits() -> dict[str, CFAResult]:
    return {
        key: fun(model, data, missing="fiml", estimator="MLR", **opts)
        for key, (fun, model, data, opts) in MLR_FITS.items()
    }


@pytest.mark.parametrize("key", list(MLR_FITS))
def test_mlr_matches_lavaan(mlr_fits: dict[str, CFAResult], key: str) -> None:
    # fitMeasures(<the call in MLR_FITS>)[c("chisq.scaled", "chisq.scaling.factor", "pvalue.scaled")], e.g. for
    # "hs_mlr" 71.690, 0.98183, 1.2e-06; parameterEstimates(<the call>)[, c("est", "se")] (robust sandwich SEs).
    # The scaling factor differs from lavaan's by up to 1e-6 because lavaan's estimates stop short of the
    # optimum (at lavaan's estimates it is lavaan's to 1e-8: test_yuan_bentler_is_lavaans_formula)
    ours, ref = mlr_fits[key].fit_measures, REF[key]["fit"]
    for name in ("chisq.scaled", "chisq.scaling.factor"):
        assert ours[name] == pytest.approx(ref[name], rel=2e-6), name
    # a p-value of 1e-6 moves 30 times faster than the chi-square it comes from (relative)
    assert ours["pvalue.scaled"] == pytest.approx(ref["pvalue.scaled"], rel=1e-4)
    for name in FIT_NAMES:  # the ML fit measures are those of estimator = "ML"
        assert ours[name] == pytest.approx(ref[name], rel=1e-6, abs=1e-6), name
    m = _merge(key, mlr_fits[key].params)
    np.testing.assert_allclose(m["est"], m["est_lavaan"], atol=1e-4)
    np.testing.assert_allclose(m["se"], m["se_lavaan"], atol=1e-5)


def test_yuan_bentler_is_lavaans_formula() -> None:
    # the scaling factor evaluated at lavaan's own estimates and EM moments (lavInspect(fit, "sampstat")) of
    # cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR") is fitMeasures(fit, "chisq.scaling.factor")
    mm = parse_model(HS_MODEL)
    fd = _fiml_data(*_prepare_fiml_blocks(mm, HSM, None), 9)
    h1 = REF["hs_mlr"]["h1"]
    fd = dataclasses.replace(fd, S=[np.array(h1["cov"])], means=[np.array(h1["mean"])])
    table, nfree = _cfa_table(mm, fd.S, fd.means, meanstructure=True)
    eng = _FIMLEngine(_Engine(table, nfree, 9, 3, fd.S, fd.means, fd.ns, True), fd.pats, fd.logl_h1)
    lav = pd.DataFrame(REF["hs_mlr"]["estimates"]).fillna({"rhs": ""}).set_index(["lhs", "op", "rhs"])["est"]
    x = np.zeros(nfree)
    for t in table:
        if t.free >= 0:
            x[t.free] = lav[(t.lhs, t.op, t.rhs)]
    fm = dataclasses.replace(cfa(HS_MODEL, HSM, missing="fiml").fit, df=24)
    scaled = _yuan_bentler(eng, x, fd, fm)
    assert scaled.chisq_scaling_factor == pytest.approx(REF["hs_mlr"]["fit"]["chisq.scaling.factor"], abs=1e-8)


# -- the analytic observed information (Hessian of F), against central differences of the analytic gradient --


def _x_at(eng: _FIMLEngine, params: pd.DataFrame) -> np.ndarray:
    """The free-parameter vector of ``eng`` at the estimates of a fit."""
    est = params.assign(group=params["group"] if "group" in params else 1).set_index(["lhs", "op", "rhs", "group"])[
        "est"
    ]
    x = np.full(eng.nfree, np.nan)
    for t in eng.eng.table:
        if t.free >= 0:
            x[t.free] = est[(t.lhs, t.op, t.rhs, t.group + 1)]
    assert np.isfinite(x).all()
    return x


def _hs_engine(equal: tuple[str, ...]) -> tuple[_FIMLEngine, np.ndarray]:
    mm = parse_model(HS_MODEL)
    fd = _fiml_data(*_prepare_fiml_blocks(mm, HSM, "school"), 9)
    table, nfree = _cfa_table(mm, fd.S, fd.means, meanstructure=True, equal=equal)
    eng = _FIMLEngine(_Engine(table, nfree, 9, 3, fd.S, fd.means, fd.ns, True), fd.pats, fd.logl_h1)
    return eng, _sem_start(table, nfree)


def _sem_engine(model: str, data: pd.DataFrame, group: str | None) -> tuple[_FIMLEngine, np.ndarray]:
    mm = parse_sem(model)
    lay = _layout(mm)
    fd = _fiml_data(*_prepare_fiml_blocks(lay, data, group), len(lay.obs))
    table, nfree = _build_sem_table(mm, lay, fd.S, fd.means, std_lv=False, meanstructure=True)
    eng = _SEMEngine(table, nfree, len(lay.obs), len(lay.eta), fd.S, fd.means, fd.ns, True)
    return _FIMLEngine(eng, fd.pats, fd.logl_h1), _sem_start(table, nfree)


def _assert_hessian_is_the_derivative(eng: _FIMLEngine, x: np.ndarray) -> None:
    analytic, numeric = eng.hessian(x), _observed_hessian(eng, x)
    scale = np.max(np.abs(numeric))
    assert np.max(np.abs(analytic - numeric)) < 1e-6 * scale
    # entry by entry as well, where the entry is not negligible
    big = np.abs(numeric) > 1e-3 * scale
    np.testing.assert_allclose(analytic[big], numeric[big], rtol=1e-5)


@pytest.mark.parametrize("equal", [(), ("loadings", "intercepts")])
def test_hessian_is_the_derivative_cfa(equal: tuple[str, ...]) -> None:
    # HS with missing answers, two groups; away from the optimum, so that the terms with the residuals count
    eng, x0 = _hs_engine(equal)
    x = x0 + np.random.default_rng(2).uniform(0.0, 0.2, len(x0))
    _assert_hessian_is_the_derivative(eng, x)
    fit = cfa(HS_MODEL, HSM, missing="fiml", group="school", equal=equal)
    _assert_hessian_is_the_derivative(eng, _x_at(eng, fit.params))


def test_hessian_of_the_saturated_model_is_the_derivative() -> None:
    # the saturated model of the Yuan-Bentler scaling factor (MLR): moments linear in the parameters
    mm = parse_model(HS_MODEL)
    fd = _fiml_data(*_prepare_fiml_blocks(mm, HSM, "school"), 9)
    sat = _Saturated(9, 2)
    eng = _FIMLEngine(sat, fd.pats, fd.logl_h1)  # type: ignore[arg-type]
    x = sat.pack(list(zip(fd.S, fd.means)))
    _assert_hessian_is_the_derivative(eng, x)
    _assert_hessian_is_the_derivative(eng, x + np.random.default_rng(6).uniform(0.0, 0.1, len(x)))


def test_hessian_is_the_derivative_sem() -> None:
    # PoliticalDemocracy with missing answers: regressions among latent variables (the B matrix, whose second
    # derivatives and cross-derivatives with the loadings and Psi are not zero), residual covariances, labels
    eng, x0 = _sem_engine(REF["pd_model"], PDM, None)
    rng = np.random.default_rng(3)
    _assert_hessian_is_the_derivative(eng, x0 + rng.uniform(0.0, 0.1, len(x0)))
    fit = sem(REF["pd_model"], PDM, missing="fiml")
    _assert_hessian_is_the_derivative(eng, _x_at(eng, fit.params))
    # the same with a shared regression label across two groups and latent means free in the second
    eng, x0 = _sem_engine(REF["hs_sem_model"], HSM, "school")
    _assert_hessian_is_the_derivative(eng, x0 + rng.uniform(0.0, 0.2, len(x0)))


def test_moment_hessian_is_the_derivative_of_the_jacobian() -> None:
    # <G, d2 Sigma> + <h, d2 mu> of the SEM engine against central differences of <G, dSigma> + <h, dmu>
    feng, x0 = _sem_engine(REF["pd_model"], PDM, None)
    eng, rng = feng.eng, np.random.default_rng(4)
    x = x0 + rng.uniform(0.0, 0.3, len(x0))
    G = rng.standard_normal((eng.p, eng.p))
    G, h = G + G.T, rng.standard_normal(eng.p)
    num = central_moment_hessian(eng, x, 0, G, h)
    ana = eng.moment_hessian(x, 0, G, h)
    assert np.max(np.abs(num[:, :])) > 1.0  # not all zero: lambda-psi, lambda-B, B-B and B-psi terms
    np.testing.assert_allclose(ana, num, atol=1e-6 * np.max(np.abs(num)))


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_fiml_standard_errors_are_stable_under_rounding_of_the_data(estimator: str) -> None:
    # the SEs come from an analytic Hessian: data perturbed at 1e-12 (relative) give the same SEs to 1e-10
    # (central differences of the gradient carried noise of 1e-8..1e-10)
    rng = np.random.default_rng(5)
    noisy = HSM.copy()
    noisy[ITEMS] = noisy[ITEMS] * (1.0 + 1e-12 * rng.uniform(-1.0, 1.0, noisy[ITEMS].shape))
    fa = cfa(HS_MODEL, HSM, missing="fiml", estimator=estimator)
    fb = cfa(HS_MODEL, noisy, missing="fiml", estimator=estimator)
    # the Newton steps with the analytic Hessian bring the estimates to the optimum (not 1e-8 short of it)
    np.testing.assert_allclose(fb.params["est"], fa.params["est"], rtol=1e-10, atol=1e-12)
    a, b = fa.params["se"].to_numpy(), fb.params["se"].to_numpy()
    ok = np.isfinite(a)
    assert ok.sum() > 20
    np.testing.assert_allclose(b[ok], a[ok], rtol=1e-10, atol=0)
    np.testing.assert_array_equal(np.isfinite(b), ok)


@pytest.mark.parametrize("block", [1, 7, 1024])
def test_case_scores_add_up_to_the_gradient(block: int) -> None:
    # sum_i score_i = d logl / d theta = -N/2 dF/dtheta, whatever the number of rows per product
    for eng, x0 in (_hs_engine(("loadings",)), _sem_engine(REF["pd_model"], PDM, None)):
        x = x0 + np.random.default_rng(7).uniform(0.0, 0.1, len(x0))
        scores = eng.case_scores(x, block=block)
        assert scores.shape == (int(eng.N), eng.nfree)
        np.testing.assert_allclose(scores.sum(axis=0), -eng.N / 2.0 * eng.fun_grad(x)[1], rtol=1e-9, atol=1e-9)


def test_a_duplicated_item_under_fiml_is_one_line_naming_what_to_do() -> None:
    # the EM step of the saturated model meets a singular covariance matrix; lavaan stops there too
    rng = np.random.default_rng(1)
    f = rng.normal(size=200)
    df = pd.DataFrame({f"x{i}": f + rng.normal(size=200) for i in range(1, 4)})
    df["x4"] = df["x1"]
    df.iloc[::7, 1] = np.nan
    with pytest.raises(ValueError, match=r"^data: .* is singular .*duplicated item\); remove it from the model$"):
        cfa("f =~ x1 + x2 + x3 + x4", df, missing="fiml")
