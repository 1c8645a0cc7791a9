"""Tests of emstudy.stats.regression (drivers: OLS + HC3; ordinal_drivers: polr) against R
(tests/reference/models.R -> models.json) and by construction. The ``bfi_scales`` fixture is in conftest.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats import regression

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "models.json").read_text())


def test_scale_scores_match_r(bfi_scales):
    # colMeans of rowMeans(cbind(7 - A1, A2, ...), na.rm = TRUE) etc. in models.R
    for k, v in REF["scale_means"].items():
        assert bfi_scales[k].mean() == pytest.approx(v, abs=1e-12)


def test_drivers_hc3_matches_r(bfi_scales):
    res = regression.drivers(
        bfi_scales,
        outcome="agree",
        predictors=["consc", "extra", "neuro", "open"],
        covariates=["gender"],
        categorical=["gender"],
    )
    ref = REF["ols"]
    # lm(agree ~ consc + extra + neuro + open + gender) with gender a factor; R names "gender2"
    assert list(res.table.index) == ["Intercept", "consc", "extra", "neuro", "open", "gender[T.2]"]
    assert res.n == ref["n"] and res.df_resid == ref["df_resid"]
    assert res.n_dropped == 2800 - ref["n"]
    t = res.table
    # coef(fit); sqrt(diag(sandwich::vcovHC(fit, type = "HC3"))); b/se; 2*pt(-|t|, df); b -/+ qt(.975, df)*se
    for col, rcol in [
        ("coef", "coef"),
        ("se", "se_hc3"),
        ("t", "t"),
        ("pvalue", "p"),
        ("ci_lower", "ci_lower"),
        ("ci_upper", "ci_upper"),
    ]:
        np.testing.assert_allclose(t[col].to_numpy(), ref[rcol], rtol=0, atol=1e-6, err_msg=col)
    # coef(lm(... , data = dz)) with agree, consc, extra, neuro, open z-scored, gender left as dummy
    np.testing.assert_allclose(t["beta_std"].to_numpy()[1:], ref["beta_std"][1:], atol=1e-6)
    assert np.isnan(t["beta_std"].iloc[0])
    # 1 / (1 - summary(lm(X[, cn] ~ X[, -cn]))$r.squared) over model.matrix(fit)[, -1]
    np.testing.assert_allclose(t["vif"].to_numpy()[1:], ref["vif"], atol=1e-6)
    # summary(fit)$r.squared, $adj.r.squared
    assert res.r2 == pytest.approx(ref["r2"], abs=1e-10)
    assert res.adj_r2 == pytest.approx(ref["adj_r2"], abs=1e-10)
    frame = res.to_frame()
    assert list(frame.columns[:3]) == ["term", "coef", "se"]
    assert "HC3" in res.summary() and "reference level 1" in res.summary()


def test_drivers_collinearity_names_columns():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50), "c": rng.normal(size=50)})
    df["d"] = df.a + 2 * df.b
    df["y"] = rng.normal(size=50)
    with pytest.raises(ValueError, match=r"collinear.*\['a', 'b', 'd'\]"):
        regression.drivers(df, outcome="y", predictors=["a", "b", "c", "d"])
    df["k"] = 3.0
    with pytest.raises(ValueError, match=r"collinear.*'Intercept', 'k'"):
        regression.drivers(df, outcome="y", predictors=["a", "k"])


def test_drivers_missing_policy_and_checks():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(size=40), "y": rng.normal(size=40)})
    df.loc[3, "x"] = np.nan
    assert regression.drivers(df, outcome="y", predictors=["x"]).n_dropped == 1
    with pytest.raises(ValueError, match="missing='raise'.*'x'"):
        regression.drivers(df, outcome="y", predictors=["x"], missing="raise")
    with pytest.raises(ValueError, match="'nope'"):
        regression.drivers(df, outcome="y", predictors=["nope"])
    df["s"] = "a"
    with pytest.raises(ValueError, match="'s'.*numeric"):
        regression.drivers(df, outcome="y", predictors=["s"])


def _drivers_data(name: str, bfi_scales: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Data sets for ols_coefficients against drivers(): psychTools::bfi (the R-checked fit), heteroskedastic
    and heavy-tailed synthetic data with missing cells, a small n with a 3-level factor, a near-collinear design."""
    if name == "bfi":
        kw = dict(predictors=["consc", "extra", "neuro", "open"], covariates=["gender"], categorical=["gender"])
        return bfi_scales, {"outcome": "agree", **kw}
    rng = np.random.default_rng({"hetero": 11, "small": 12, "near_collinear": 13}[name])
    n = {"hetero": 400, "small": 25, "near_collinear": 150}[name]
    df = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    if name == "near_collinear":
        df["c"] = df.a + df.b + 1e-3 * rng.normal(size=n)
    df["g"] = rng.choice(["x", "y", "z"], size=n)
    df["y"] = 0.4 * df.a - 0.3 * df.b + rng.standard_t(3, size=n) * (0.5 + df.a.abs())
    if name == "hetero":
        df = df.mask(rng.random(df.shape) < 0.03)
    return df, {"outcome": "y", "predictors": ["a", "b", "c"], "covariates": ["g"], "categorical": ["g"]}


@pytest.mark.parametrize("cov_type", ["HC3", "HC2", "HC1", "HC0", "nonrobust"])
@pytest.mark.parametrize("name", ["bfi", "hetero", "small", "near_collinear"])
def test_ols_coefficients_equal_drivers(bfi_scales, name, cov_type):
    """The array-level core gives drivers()' coef, se and df_resid (drivers: lm + sandwich::vcovHC, checked
    against R in test_drivers_hc3_matches_r) on drivers()' own design, to 1e-10."""
    df, kw = _drivers_data(name, bfi_scales)
    res = regression.drivers(df, cov_type=cov_type, **kw)
    terms = list(res.table.index)
    frame = df[[kw["outcome"], *kw["predictors"], *kw["covariates"]]].dropna()
    levels = {c: sorted(frame[c].unique()) for c in kw["categorical"]}  # drivers(): the first as reference
    dummies = [(frame[c] == lev).to_numpy(dtype=float) for c in kw["categorical"] for lev in levels[c][1:]]
    X = np.column_stack([np.ones(len(frame)), frame[kw["predictors"]].to_numpy(), *dummies])
    coef, se, df_resid = regression.ols_coefficients(frame[kw["outcome"]].to_numpy(), X, cov_type=cov_type)
    assert X.shape[1] == len(terms) and df_resid == res.df_resid == len(frame) - len(terms)
    # 1e-10, relative for values above 1 (the near-collinear design's SEs are about 180)
    np.testing.assert_allclose(coef, res.table["coef"].to_numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(se, res.table["se"].to_numpy(), rtol=1e-10, atol=1e-10)
    assert np.all(se > 0)


def test_ols_coefficients_bad_input_is_one_line():
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(30), rng.normal(size=(30, 2))])
    y = rng.normal(size=30)
    bad = [
        (dict(y=y, X=X, cov_type="HC4"), r"^cov_type: expected one of .*'HC4'"),
        (dict(y=y[:, None], X=X), r"^y: expected a 1-D array, got shape \(30, 1\)"),
        (dict(y=y, X=X[:, 0]), r"^X: expected a 2-D array"),
        (dict(y=y[:20], X=X), r"^X: 30 rows for 20 values of y"),
        (dict(y=np.where(np.arange(30) == 3, np.nan, y), X=X), r"^y: contains missing or infinite values"),
        (dict(y=y, X=np.where(X == X[0, 1], np.inf, X)), r"^X: contains missing or infinite values"),
        (dict(y=["a"] * 30, X=X), r"^y: expected numeric values"),
        (dict(y=y[:3], X=X[:3]), r"^X: 3 rows for 3 coefficients; expected more rows than columns"),
        (dict(y=y, X=np.column_stack([X, X[:, 1] - 2 * X[:, 2]])), r"^X: the design is perfectly collinear; .*\[1, 2, 3\]"),
    ]  # fmt: skip
    for kw, message in bad:
        with pytest.raises(ValueError, match=message) as err:
            regression.ols_coefficients(**kw)
        assert "\n" not in str(err.value)


@pytest.mark.parametrize("link,key", [("logit", "polr_logistic"), ("probit", "polr_probit")])
def test_ordinal_drivers_match_polr(bfi_scales, link, key):
    ref = REF[key]
    res = regression.ordinal_drivers(
        bfi_scales, outcome="education", predictors=["agree", "consc", "extra", "neuro", "open"], link=link
    )
    assert res.n == ref["n"] and res.converged
    # polr(education ~ agree + consc + extra + neuro + open, Hess = TRUE, method = link): coef, sqrt(diag(vcov))
    np.testing.assert_allclose(res.coefficients["coef"].to_numpy(), ref["coef"], atol=1e-4)
    np.testing.assert_allclose(res.coefficients["se"].to_numpy(), ref["se"], atol=1e-4)
    # pf$zeta (logit P(Y <= k) = zeta_k - eta) and their SEs from vcov(pf)
    assert list(res.thresholds.index) == ref["threshold"]
    np.testing.assert_allclose(res.thresholds["zeta"].to_numpy(), ref["zeta"], atol=1e-4)
    np.testing.assert_allclose(res.thresholds["se"].to_numpy(), ref["zeta_se"], atol=1e-4)
    # logLik(pf)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-4)
    tidy = res.to_frame()
    assert list(tidy["kind"]).count("threshold") == 4


def test_ordinal_drivers_ordered_labels_and_checks():
    rng = np.random.default_rng(8)
    x = rng.normal(size=300)
    codes = np.digitize(0.8 * x + rng.logistic(size=300), [-1.0, 0.5])
    labels = pd.Categorical.from_codes(codes, categories=["low", "mid", "high"], ordered=True)
    df = pd.DataFrame({"y": labels, "x": x})
    res = regression.ordinal_drivers(df, outcome="y", predictors=["x"])
    assert res.levels == ("low", "mid", "high")
    assert list(res.thresholds.index) == ["low|mid", "mid|high"]
    # thresholds increase and the slope has the generating sign (higher x -> higher categories)
    assert res.thresholds["zeta"].is_monotonic_increasing and res.coefficients.loc["x", "coef"] > 0
    assert res.coefficients.loc["x", "odds_ratio"] == pytest.approx(np.exp(res.coefficients.loc["x", "coef"]))
    assert "zeta_k - x'beta" in res.summary()
    with pytest.raises(ValueError, match="link"):
        regression.ordinal_drivers(df, outcome="y", predictors=["x"], link="cauchit")
    with pytest.raises(ValueError, match="'y'.*at least 2 observed levels"):
        regression.ordinal_drivers(df.assign(y="low"), outcome="y", predictors=["x"])


def test_pvalue_columns_are_named_pvalue(bfi_scales):
    d = regression.drivers(bfi_scales, outcome="agree", predictors=["consc"])
    assert list(d.table.columns[:6]) == ["coef", "se", "t", "pvalue", "ci_lower", "ci_upper"]
    o = regression.ordinal_drivers(bfi_scales, outcome="education", predictors=["agree"])
    assert list(o.coefficients.columns[:6]) == ["coef", "se", "z", "pvalue", "ci_lower", "ci_upper"]


def test_ordinal_nonconvergence_is_an_emstudy_convergence_warning(monkeypatch):
    from emstudy.errors import ConvergenceWarning
    from emstudy.stats import ordinal

    rng = np.random.default_rng(8)
    df = pd.DataFrame({"x": rng.normal(size=200)})
    df["y"] = np.digitize(df.x + rng.logistic(size=200), [-1.0, 0.5])
    monkeypatch.setattr(ordinal, "_MAXITER", 1)  # Newton stopped after one iteration
    with pytest.warns(ConvergenceWarning, match=r"(?s)did not converge.*merge rare levels"):
        res = regression.ordinal_drivers(df, outcome="y", predictors=["x"])
    assert not res.converged
