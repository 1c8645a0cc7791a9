"""Tests of emstudy.stats.ordinal (cumulative-link model: analytic score and Hessian, Newton fit): the
derivatives against finite differences, the fit's convergence, its SEs, and its stability under data
perturbed at 1e-12. The agreement with MASS::polr is tested through ``ordinal_drivers`` in
test_stats_regression.py. The ``bfi_scales`` fixture is in conftest.py."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import ConvergenceWarning
from emstudy.stats import ordinal, regression

PREDICTORS = ["agree", "consc", "extra", "neuro", "open"]


def _bfi_model(bfi_scales: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    frame = bfi_scales[["education", *PREDICTORS]].dropna()
    levels = np.sort(frame["education"].unique())
    return np.searchsorted(levels, frame["education"].to_numpy()), frame[PREDICTORS].to_numpy()


def _away_from_optimum(codes: np.ndarray, X: np.ndarray, link: str) -> np.ndarray:
    """The fitted parameters moved so that the score is far from zero (cut points stay ordered)."""
    fit = ordinal.cumulative_link_fit(codes, X, link=link)
    return fit.params + np.linspace(-0.05, 0.05, fit.params.size)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_score_is_the_derivative_of_the_loglik(bfi_scales, link):
    codes, X = _bfi_model(bfi_scales)
    theta = _away_from_optimum(codes, X, link)
    _, score, _ = ordinal.cumulative_link_loglik(theta, codes, X, link=link)
    h = 1e-5
    numeric = np.array(
        [
            (
                ordinal.cumulative_link_loglik(theta + h * e, codes, X, link=link)[0]
                - ordinal.cumulative_link_loglik(theta - h * e, codes, X, link=link)[0]
            )
            / (2 * h)
            for e in np.eye(theta.size)
        ]
    )
    # central differences: truncation ~ h^2, rounding ~ 1e-12 / h; the score's entries are O(10-1000)
    assert np.max(np.abs(score)) > 10
    np.testing.assert_allclose(score, numeric, rtol=1e-7, atol=1e-6)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_hessian_is_the_derivative_of_the_score(bfi_scales, link):
    codes, X = _bfi_model(bfi_scales)
    theta = _away_from_optimum(codes, X, link)
    _, _, hessian = ordinal.cumulative_link_loglik(theta, codes, X, link=link)
    h = 1e-6
    numeric = np.column_stack(
        [
            (
                ordinal.cumulative_link_loglik(theta + h * e, codes, X, link=link)[1]
                - ordinal.cumulative_link_loglik(theta - h * e, codes, X, link=link)[1]
            )
            / (2 * h)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(hessian, numeric, rtol=1e-7, atol=1e-5)
    assert np.allclose(hessian, hessian.T, rtol=0, atol=0)
    # concave in (beta, zeta) (Pratt 1981): the observed information is positive definite
    assert np.all(np.linalg.eigvalsh(-hessian) > 0)


def test_loglik_guards_disordered_cut_points_and_extreme_tails():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    codes = np.array([0, 1, 1, 2])
    assert ordinal.cumulative_link_loglik(np.array([0.5, 1.5, 0.0]), codes, X)[0] == -np.inf
    # far in the upper tail F(a) - F(b) would cancel to 0; the symmetric form keeps it
    ll, g, H = ordinal.cumulative_link_loglik(np.array([0.0, 40.0, 41.0]), np.array([2, 2, 2, 2]), X)
    assert 1 / (1 + np.exp(-41.0)) == 1.0  # the naive difference would be 1 - 1 = 0, log-likelihood -inf
    assert ll == pytest.approx(4 * -np.log1p(np.exp(41.0)), rel=1e-14)
    for link in ("logit", "probit"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ll, g, H = ordinal.cumulative_link_loglik(np.array([0.2, -1.0, 1.0]), codes, X, link=link)
        assert np.isfinite(ll) and np.all(np.isfinite(g)) and np.all(np.isfinite(H))


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_fit_converges_to_a_score_at_rounding_level(bfi_scales, link):
    codes, X = _bfi_model(bfi_scales)
    fit = ordinal.cumulative_link_fit(codes, X, link=link)
    assert fit.converged and fit.iterations < 20
    assert np.linalg.norm(fit.score) < 1e-8
    ll, score, _ = ordinal.cumulative_link_loglik(fit.params, codes, X, link=link)
    assert ll == fit.loglik and np.array_equal(score, fit.score)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_ses_are_the_inverse_analytic_hessian(bfi_scales, link):
    res = regression.ordinal_drivers(bfi_scales, outcome="education", predictors=PREDICTORS, link=link)
    codes, X = _bfi_model(bfi_scales)
    theta = np.concatenate([res.coefficients["coef"].to_numpy(), res.thresholds["zeta"].to_numpy()])
    _, _, hessian = ordinal.cumulative_link_loglik(theta, codes, X, link=link)
    se = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    np.testing.assert_allclose(res.coefficients["se"].to_numpy(), se[: len(PREDICTORS)], rtol=1e-12)
    np.testing.assert_allclose(res.thresholds["se"].to_numpy(), se[len(PREDICTORS) :], rtol=1e-12)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_estimates_do_not_move_with_data_perturbed_at_1e12(bfi_scales, link):
    rng = np.random.default_rng(13)
    perturbed = bfi_scales.copy()
    for col in PREDICTORS:
        perturbed[col] = perturbed[col] * (1 + 1e-12 * rng.uniform(-1, 1, size=len(perturbed)))
    assert not perturbed[PREDICTORS].equals(bfi_scales[PREDICTORS])
    a, b = (
        regression.ordinal_drivers(d, outcome="education", predictors=PREDICTORS, link=link).to_frame()
        for d in (bfi_scales, perturbed)
    )
    for col in ("coef", "se"):
        np.testing.assert_allclose(b[col].to_numpy(), a[col].to_numpy(), rtol=1e-9, atol=0)


def test_separation_does_not_converge():
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    codes = np.digitize(x, [-0.5, 0.5])  # x orders the categories perfectly: the estimates run away
    fit = ordinal.cumulative_link_fit(codes, x[:, None])
    assert not fit.converged and fit.params[0] > 100
    df = pd.DataFrame({"x": x, "y": codes + 1})
    with pytest.warns(ConvergenceWarning, match=r"(?s)did not converge for outcome 'y'.*separation"):
        res = regression.ordinal_drivers(df, outcome="y", predictors=["x"])
    assert not res.converged
