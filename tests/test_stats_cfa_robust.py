"""Tests of the robust (MLR) fit measures, MLR with several groups, the scaled chi-square difference test and
invariance() by MLR/FIML in emstudy.stats.cfa, against R lavaan 0.6.14 (fixtures written by
tests/reference/robust.R, which rewrites robust.json byte for byte).

Data: lavaan's HolzingerSwineford1939 (HS) and PoliticalDemocracy (PD); hs_missing.csv is HS with about 10% of
x1-x9 removed by the seeded MCAR draw of tests/reference/fiml.R. The FIML fits in robust.R use
``em.h1.tol = 1e-10``: lavaan's default EM stops about 4e-6 short in the saturated moments, which moves the
FIML-corrected robust indices by about 1e-6.

Tolerances: every fit measure to 1e-6 (relative for chi-squares, log-likelihood, AIC and BIC); estimates to
1e-4 and standard errors to 1e-5, except the configural two-group MLR fit, where lavaan's optimizer (nlminb)
stops 2e-8 above our chi-square minimum with estimates up to 1.6e-5 away, and its standard errors differ from
ours by up to 1.9e-5 (2e-5 there; ``test_at_least_as_low_as_lavaan`` shows that ours is the lower minimum).
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats.cfa import CFAResult, cfa, chisq_difference, invariance
from emstudy.stats.cfa.engine import _case_scores
from emstudy.stats.cfa.estimate import _standard_errors
from emstudy.stats.cfa.fit import _fit_measures
from emstudy.stats.cfa.semengine import _build_sem_table, _layout, _SEMEngine
from emstudy.stats.cfa.semsyntax import parse_sem
from emstudy.stats.sem import sem

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "robust.json").read_text())
HS = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
HSM = pd.read_csv(REF_DIR / "data" / "hs_missing.csv")
PD = pd.read_csv(REF_DIR / "data" / "PoliticalDemocracy.csv")
# HS.model <- "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
HS_MODEL = REF["hs_model"]
GROUP = {"group": "school"}
LI = ("loadings", "intercepts")
LARGE = {"chisq", "baseline.chisq", "logl", "aic", "bic", "chisq.scaled", "baseline.chisq.scaled"}

# key in robust.json -> (fitting function, model, data, options); the lavaan call beside each
FITS = {
    "single": (cfa, HS_MODEL, HS, {"estimator": "MLR"}),  # cfa(HS.model, data = HS, estimator = "MLR")
    # cfa(HS.model, data = HS, estimator = "MLR", group = "school")
    "groups": (cfa, HS_MODEL, HS, {"estimator": "MLR", **GROUP}),
    # cfa(HS.model, data = HS, estimator = "MLR", group = "school", group.equal = "loadings")
    "metric": (cfa, HS_MODEL, HS, {"estimator": "MLR", "equal": ("loadings",), **GROUP}),
    # cfa(HS.model, data = HS, estimator = "MLR", group = "school", group.equal = c("loadings", "intercepts"))
    "scalar": (cfa, HS_MODEL, HS, {"estimator": "MLR", "equal": LI, **GROUP}),
    # cfa(..., group.equal = c("loadings", "intercepts"), group.partial = c("x3~1", "x7~1"))
    "partial": (cfa, HS_MODEL, HS, {"estimator": "MLR", "equal": LI, "group_partial": ("x3~1", "x7~1"), **GROUP}),
    "pd": (sem, REF["pd_model"], PD, {"estimator": "MLR"}),  # sem(PD.model, data = PD, estimator = "MLR")
    # cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", em.h1.tol = 1e-10)
    "fiml": (cfa, HS_MODEL, HSM, {"estimator": "MLR", "missing": "fiml"}),
    # cfa(HS.model, data = HSm, missing = "ml", em.h1.tol = 1e-10): lavaan gives the robust indices for ML too
    "fiml_ml": (cfa, HS_MODEL, HSM, {"missing": "fiml"}),
    # cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", group = "school", em.h1.tol = 1e-10)
    "fiml_groups": (cfa, HS_MODEL, HSM, {"estimator": "MLR", "missing": "fiml", **GROUP}),
    # cfa(HS.model, data = HSm, missing = "ml", group = "school", em.h1.tol = 1e-10)
    "fiml_groups_ml": (cfa, HS_MODEL, HSM, {"missing": "fiml", **GROUP}),
    # cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", group = "school", group.equal = "loadings", ...)
    "fiml_metric": (cfa, HS_MODEL, HSM, {"estimator": "MLR", "missing": "fiml", "equal": ("loadings",), **GROUP}),
    # cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", group = "school",
    #     group.equal = c("loadings", "intercepts"), em.h1.tol = 1e-10)
    "fiml_scalar": (cfa, HS_MODEL, HSM, {"estimator": "MLR", "missing": "fiml", "equal": LI, **GROUP}),
}
SE_TOL = {"groups": 2e-5}  # lavaan's optimizer stops short there (module docstring)

_CACHE: dict[str, CFAResult] = {}


def _fit(key: str) -> CFAResult:
    if key not in _CACHE:
        fn, model, data, opts = FITS[key]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _CACHE[key] = fn(model, data, **opts)
    return _CACHE[key]


def _merge(key: str) -> pd.DataFrame:
    ref = pd.DataFrame(REF[key]["estimates"])
    ours = _fit(key).params.copy()
    if "group" not in ours.columns:
        ours["group"] = 1
    out = ref.merge(
        ours[["lhs", "op", "rhs", "group", "est", "se"]], on=["lhs", "op", "rhs", "group"], suffixes=("_lavaan", "")
    )
    assert len(out) == len(ref)
    return out


@pytest.mark.parametrize("key", list(FITS))
def test_fit_measures_match_lavaan(key: str) -> None:
    # fitMeasures(<the call beside FITS[key]>): every measure lavaan reports, NaN (absent) where it gives NA
    fm = _fit(key).fit_measures
    for name, want in REF[key]["fit"].items():
        if want is None:
            assert not np.isfinite(fm.get(name, np.nan)), name
            continue
        scale = max(1.0, abs(want)) if name in LARGE else 1.0
        assert fm[name] == pytest.approx(want, abs=1e-6 * scale), name


@pytest.mark.parametrize("key", list(FITS))
def test_estimates_and_robust_se_match_lavaan(key: str) -> None:
    # parameterEstimates(<the call beside FITS[key]>)[, c("est", "se")]  (se: robust.huber.white)
    m = _merge(key)
    np.testing.assert_allclose(m["est"], m["est_lavaan"], atol=1e-4)
    np.testing.assert_allclose(m["se"], m["se_lavaan"], atol=SE_TOL.get(key, 1e-5))


@pytest.mark.parametrize("key", list(FITS))
def test_at_least_as_low_as_lavaan(key: str) -> None:
    # fitMeasures(...)["chisq"]: our minimum is never above lavaan's (its optimizer stops short on flat optima)
    want = REF[key]["fit"]["chisq"]
    assert _fit(key).fit.chisq <= want + 1e-10 * want


def test_lavaan_options_are_the_mlr_defaults() -> None:
    # lavInspect(fit, "options"): MLR with complete data uses the observed information (Hessian) as bread,
    # the structured h1 information and the yuan.bentler.mplus test; the same for several groups
    for key in ("single", "groups", "fiml"):
        opts = REF[key]["options"]
        assert opts["information"][0] == "observed"
        assert opts["observed.information"][0] == "hessian"
        assert opts["test"] == "yuan.bentler.mplus"
        assert opts["se"] == "robust.huber.white"


def test_complete_data_groups_equal_fiml_on_complete_rows() -> None:
    # cfa(HS.model, data = HS, group = "school", estimator = "MLR") and the same with missing = "ml" give the
    # same estimates, SEs and scaling factor when nothing is missing (lavaan: 0.951623817 both)
    a = _fit("groups")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = cfa(HS_MODEL, HS, estimator="MLR", missing="fiml", **GROUP)
    np.testing.assert_allclose(a.params["est"], b.params["est"], atol=1e-8)
    np.testing.assert_allclose(a.params["se"], b.params["se"], atol=1e-8)
    assert a.fit.chisq_scaling_factor == pytest.approx(b.fit.chisq_scaling_factor, abs=1e-8)
    # the listwise robust indices are Brosseau-Liard & Savalei's, the FIML ones corrected (Zhang & Savalei):
    # with complete data the correction changes them, as in lavaan
    assert a.fit.cfi_robust != pytest.approx(b.fit.cfi_robust, abs=1e-6)


def test_single_group_mlr_standard_errors_from_the_analytic_hessian() -> None:
    # the MLR bread is the analytic observed information; a central-difference Hessian of the gradient agrees
    mm = parse_sem(HS_MODEL)
    lay = _layout(mm)
    X = HS[list(lay.obs)].to_numpy(float)
    S = [np.cov(X.T, bias=True)]
    table, nfree = _build_sem_table(mm, lay, S, [X.mean(axis=0)], std_lv=False, meanstructure=False)
    eng = _SEMEngine(table, nfree, 9, 3, S, [X.mean(axis=0)], [len(X)], False)
    x = _fit("single").params.query("free")["est"].to_numpy()
    fm = _fit_measures(eng, x, eng.fmin(x))
    se, fm = _standard_errors(eng, x, fm, estimator="MLR", N=len(X), blocks=[X])
    H = np.zeros((nfree, nfree))
    for a in range(nfree):
        e = np.zeros(nfree)
        e[a] = 1e-5
        H[:, a] = (eng.fun_grad(x + e)[1] - eng.fun_grad(x - e)[1]) / 2e-5
    Ainv = np.linalg.inv(len(X) / 2.0 * (H + H.T) / 2.0)
    B = _case_scores(eng, x, X).T @ _case_scores(eng, x, X)
    np.testing.assert_allclose(se, np.sqrt(np.diag(Ainv @ B @ Ainv)), rtol=1e-6)


# --------------------------------------------------------------------------------------------
# chisq_difference: lavTestLRT
# --------------------------------------------------------------------------------------------
def _lrt_frame(key: str) -> pd.DataFrame:
    return pd.DataFrame(REF[key]["table"])


@pytest.mark.parametrize(
    ("key", "fits", "method"),
    [
        ("lrt", ("groups", "metric", "scalar"), "default"),  # lavTestLRT(configural, metric, scalar)
        ("lrt_partial", ("partial", "metric"), "default"),  # lavTestLRT(metric, partial)
        # lavTestLRT(configural, scalar, method = "satorra.bentler.2001")
        ("lrt_skip", ("groups", "scalar"), "satorra.bentler.2001"),
        ("fiml_lrt", ("fiml_groups", "fiml_metric", "fiml_scalar"), "default"),  # lavTestLRT(fconf, fmetric, fscalar)
    ],
)
def test_scaled_difference_matches_lavTestLRT(key: str, fits: tuple[str, ...], method: str) -> None:
    assert "satorra.bentler.2001" in REF[key]["heading"]
    ref = _lrt_frame(key)
    out = chisq_difference(*(_fit(k) for k in fits), names=list(fits), method=method)
    assert list(out.columns[:4]) == ["df", "aic", "bic", "chisq"]
    assert list(out.columns[-3:]) == ["chisq_diff", "df_diff", "pvalue_diff"]
    for (_, want), (_, got) in zip(ref.iterrows(), out.iterrows()):
        assert got["df"] == want["df"]
        for col in ("aic", "bic", "chisq"):
            assert got[col] == pytest.approx(want[col], rel=1e-8)
        if want["chisq_diff"] is None or pd.isna(want["chisq_diff"]):
            assert np.isnan(got["chisq_diff"])
            continue
        # the scaled difference divides by cd = (df0 c0 - df1 c1) / (df0 - df1), which magnifies the 1e-6
        # differences of the scaling factors (lavaan's estimates stop short) about df / (df0 - df1) times
        assert got["chisq_diff"] == pytest.approx(want["chisq_diff"], rel=2e-5)
        assert got["df_diff"] == want["df_diff"]
        assert got["pvalue_diff"] == pytest.approx(want["pvalue_diff"], abs=1e-5)
    # the formula itself, from lavaan's own chi-squares and scaling factors: equal to rounding
    at_lavaan = []
    for k in fits:
        f = _fit(k)
        ref_fit = REF[k]["fit"]
        fm = dataclasses.replace(f.fit, chisq=ref_fit["chisq"], chisq_scaling_factor=ref_fit["chisq.scaling.factor"])
        at_lavaan.append(dataclasses.replace(f, fit=fm))
    exact = chisq_difference(*at_lavaan, names=list(fits), method=method)
    np.testing.assert_allclose(exact["chisq_diff"].iloc[1:], ref["chisq_diff"].iloc[1:].astype(float), rtol=1e-12)
    np.testing.assert_allclose(exact["pvalue_diff"].iloc[1:], ref["pvalue_diff"].iloc[1:].astype(float), rtol=1e-10)


def test_standard_difference_of_mlr_fits_is_the_ml_difference() -> None:
    # lavTestLRT(..., method = "standard") would difference the ML chi-squares
    out = chisq_difference(_fit("groups"), _fit("metric"), method="standard")
    assert out["chisq_diff"].iloc[1] == pytest.approx(_fit("metric").fit.chisq - _fit("groups").fit.chisq)
    assert "chisq_scaled" not in out.columns


def test_chisq_difference_errors() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ml = cfa(HS_MODEL, HS, **GROUP)
    with pytest.raises(ValueError, match=r"^method: expected"):
        chisq_difference(_fit("groups"), _fit("metric"), method="satorra.2000")
    with pytest.raises(ValueError, match=r"^fits: fitted with different estimators"):
        chisq_difference(ml, _fit("metric"))
    with pytest.raises(ValueError, match=r"^method: 'satorra.bentler.2001' needs MLR fits"):
        chisq_difference(ml, ml, method="satorra.bentler.2001")


# --------------------------------------------------------------------------------------------
# invariance(estimator=, missing=)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def inv_mlr():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return invariance(HS_MODEL, HS, "school", estimator="MLR")


def test_invariance_mlr_uses_scaled_difference_and_robust_indices(inv_mlr) -> None:
    t = inv_mlr.table
    assert (inv_mlr.estimator, inv_mlr.missing) == ("MLR", "listwise")
    assert all(f.estimator == "MLR" for f in inv_mlr.fits.values())
    # lavTestLRT(configural, metric, scalar): Chisq diff 6.567 and 40.838 on 6 df
    ref = _lrt_frame("lrt")
    # (to 2e-5 relative: see test_scaled_difference_matches_lavTestLRT)
    assert t.loc["metric", "chisq_diff"] == pytest.approx(ref["chisq_diff"][1], rel=2e-5)
    assert t.loc["scalar", "chisq_diff"] == pytest.approx(ref["chisq_diff"][2], rel=2e-5)
    assert t.loc["scalar", "pvalue_diff"] == pytest.approx(ref["pvalue_diff"][2], abs=1e-6)
    # fitMeasures(metric)["cfi.robust"] - fitMeasures(configural)["cfi.robust"], and rmsea.robust alike
    for level, base in (("metric", "groups"), ("scalar", "metric")):
        for col, name in (("delta_cfi", "cfi.robust"), ("delta_rmsea", "rmsea.robust")):
            want = REF[level]["fit"][name] - REF[base]["fit"][name]
            assert t.loc[level, col] == pytest.approx(want, abs=2e-6), (level, col)
        assert t.loc[level, "chisq_scaled"] == pytest.approx(REF[level]["fit"]["chisq.scaled"], rel=1e-6)
        assert t.loc[level, "cfi_robust"] == pytest.approx(REF[level]["fit"]["cfi.robust"], abs=1e-6)
    # the partial search frees x3 and x7 (lavaan's fit with group.partial = c("x3~1", "x7~1")): lavTestLRT(metric, partial)
    assert inv_mlr.freed_intercepts == ("x3", "x7")
    want = _lrt_frame("lrt_partial")["chisq_diff"][1]
    assert t.loc["partial scalar", "chisq_diff"] == pytest.approx(want, rel=2e-5)
    assert inv_mlr.level == "partial scalar"
    text = inv_mlr.summary()
    assert "(MLR)" in text and "Satorra-Bentler 2001" in text and "delta robust CFI" in text


def test_invariance_fiml_mlr_matches_lavaan() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = invariance(HS_MODEL, HSM, "school", estimator="MLR", missing="fiml", partial=False)
    assert (res.estimator, res.missing) == ("MLR", "fiml")
    assert all(f.missing == "fiml" for f in res.fits.values())
    ref = _lrt_frame("fiml_lrt")  # lavTestLRT(fconf, fmetric, fscalar)
    np.testing.assert_allclose(res.table["chisq"], ref["chisq"], rtol=1e-8)
    np.testing.assert_allclose(res.table["chisq_diff"].iloc[1:], ref["chisq_diff"].iloc[1:].astype(float), rtol=2e-5)
    # fitMeasures(fmetric)["cfi.robust"] - fitMeasures(fconf)["cfi.robust"] (FIML-corrected)
    want = REF["fiml_metric"]["fit"]["cfi.robust"] - REF["fiml_groups"]["fit"]["cfi.robust"]
    assert res.table.loc["metric", "delta_cfi"] == pytest.approx(want, abs=2e-6)
    assert "(MLR, FIML)" in res.summary()


def test_invariance_fiml_ml_passes_missing_to_every_fit() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = invariance(HS_MODEL, HSM, "school", missing="fiml")
    # cfa(HS.model, data = HSm, missing = "ml", group = "school"): chi-square of the configural model
    assert res.table.loc["configural", "chisq"] == pytest.approx(REF["fiml_groups_ml"]["fit"]["chisq"], rel=1e-8)
    assert all(f.missing == "fiml" and f.estimator == "ML" for f in res.fits.values())
    assert "chisq_scaled" not in res.table.columns  # ML: the ML indices judge the levels
    assert res.table.loc["metric", "delta_cfi"] == pytest.approx(
        res.fits["metric"].fit.cfi - res.fits["configural"].fit.cfi
    )


def test_invariance_option_errors() -> None:
    covs = {s: HS.loc[HS.school == s, [f"x{i}" for i in range(1, 10)]].cov() for s in HS.school.unique()}
    with pytest.raises(ValueError, match=r"^estimator: expected 'ML' or 'MLR'"):
        invariance(HS_MODEL, HS, "school", estimator="WLS")
    with pytest.raises(ValueError, match=r"^missing: expected 'listwise' or 'fiml'"):
        invariance(HS_MODEL, HS, "school", missing="ml")
    with pytest.raises(ValueError, match=r"^sample_cov: estimator='MLR' with missing='listwise' needs raw data"):
        invariance(HS_MODEL, group="school", sample_cov=covs, sample_nobs={s: 150 for s in covs}, estimator="MLR")


# --------------------------------------------------------------------------------------------
# the fit measures' presentation
# --------------------------------------------------------------------------------------------
def test_ml_listwise_fit_has_no_robust_measures() -> None:
    # fitMeasures(cfa(HS.model, data = HS)) has no scaled or robust entries; ours adds none either, so the
    # study's written fit measures (ML, listwise) keep their keys
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fm = cfa(HS_MODEL, HS).fit_measures
    new = [n for n in REF["single"]["fit"] if n.endswith((".robust", ".scaled", ".scaling.factor"))]
    new = [n for n in new if n not in ("chisq.scaled", "pvalue.scaled", "chisq.scaling.factor")]
    assert len(new) == 15 and "cfi.robust" in new and "baseline.chisq.scaling.factor" in new
    assert not [n for n in new if n in fm.index]


def test_summary_shows_scaled_and_robust_lines() -> None:
    text = _fit("groups").summary()
    f = _fit("groups").fit
    assert f"Robust: CFI = {f.cfi_robust:.3f}" in text
    assert f"Scaled: CFI = {f.cfi_scaled:.3f}" in text
    text_ml = _fit("fiml_ml").summary()  # FIML + ML: robust indices only, as lavaan
    assert "Robust: CFI" in text_ml and "Scaled: CFI" not in text_ml


def test_saturated_model_has_no_scaled_or_robust_indices() -> None:
    # cfa("f =~ x1 + x2 + x3", data = HS, estimator = "MLR"): df = 0, fitMeasures gives cfi.robust NA (and
    # SEs 0.1541927, 0.2286215 for the free loadings); with FIML (lavaan missing = "ml") likewise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        listwise = cfa("f =~ x1 + x2 + x3", HS, estimator="MLR")
        fiml = cfa("f =~ x1 + x2 + x3", HSM, missing="fiml")
    for fit in (listwise, fiml):
        assert fit.fit.df == 0
        assert np.isnan(fit.fit.cfi_robust) and np.isnan(fit.fit.rmsea_robust)
        assert "cfi.robust" not in fit.fit_measures.index
    np.testing.assert_allclose(listwise.params["se"].to_numpy()[1:3], [0.1541927, 0.2286215], atol=1e-6)


def test_saturated_fiml_mlr_fits_with_lavaan_conventions() -> None:
    # cfa("f =~ x1 + x2 + x3", data = HSm, missing = "ml", estimator = "MLR"): df = 0, fitMeasures gives
    # chisq.scaled 0 and chisq.scaling.factor NA, tli 1, rmsea 0 with the interval (0, 0); the multigroup
    # listwise MLR route (FIML code on complete rows) takes the same path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = [
            cfa("f =~ x1 + x2 + x3", HSM, missing="fiml", estimator="MLR"),
            cfa("f =~ x1 + x2 + x3", HS, estimator="MLR", group="school"),
        ]
    for fit in fits:
        f = fit.fit
        assert f.df == 0 and abs(f.chisq) < 1e-8 and f.chisq_scaled == f.chisq
        assert np.isnan(f.chisq_scaling_factor) and np.isnan(f.pvalue_scaled)
        assert (f.tli, f.rmsea, f.rmsea_ci_lower, f.rmsea_ci_upper) == (1.0, 0.0, 0.0, 0.0)
        assert np.all(np.isfinite(fit.params.loc[fit.params["free"], "se"]))


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_sem_fiml_reports_the_robust_indices_of_cfa(estimator: str) -> None:
    # the same measurement model through sem() and cfa() (whose robust indices are checked against lavaan above)
    names = [
        "chisq_scaled",
        "chisq_scaling_factor",
        "cfi_robust",
        "tli_robust",
        "rmsea_robust",
        "rmsea_ci_lower_robust",
        "rmsea_ci_upper_robust",
        "cfi_scaled",
        "rmsea_scaled",
    ]
    a = cfa(HS_MODEL, HSM, missing="fiml", estimator=estimator).fit
    b = sem(HS_MODEL, HSM, missing="fiml", estimator=estimator).fit
    assert np.isfinite(b.cfi_robust) and np.isfinite(b.rmsea_robust)
    for name in names:
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-6, atol=1e-8, err_msg=name)
    if estimator == "MLR":  # sem's MLR with a (saturated) mean structure on complete rows: the same indices
        c = sem(HS_MODEL + "\nx1 ~ 1", HS, estimator="MLR").fit
        d = cfa(HS_MODEL, HS, estimator="MLR").fit
        for name in names:
            np.testing.assert_allclose(getattr(c, name), getattr(d, name), rtol=1e-8, err_msg=name)
