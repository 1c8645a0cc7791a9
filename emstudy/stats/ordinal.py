"""Cumulative-link (proportional-odds) model: analytic log-likelihood, score and Hessian, and a Newton fit.

The model, for an outcome with ordered categories ``0 .. K-1`` and cut points ``zeta_0 < ... < zeta_{K-2}``,
is ``P(Y <= k | x) = F(zeta_k - x'beta)`` with ``F`` the logistic or the standard normal distribution
function (McCullagh 1980; Agresti 2013, sections 8.2 and 8.3), the scale of ``MASS::polr``. The parameter
vector is ``theta = (beta, zeta)``: in it the log-likelihood is concave for both links (their densities are
log-concave; Pratt 1981), so Newton's method with step halving (which also keeps the cut points ordered)
climbs to the maximum from any ordered start. Every derivative is written out below; nothing is
differentiated numerically, so the estimates and their standard errors are reproducible to the last digits
that the optimum's conditioning allows.

:func:`emstudy.stats.regression.ordinal_drivers` is the front end (tables, warnings, polr's labels).

References
----------
McCullagh, P. (1980). Regression models for ordinal data. *Journal of the Royal Statistical Society B*,
42(2), 109-142.
Agresti, A. (2013). *Categorical Data Analysis* (3rd ed.). Wiley. Chapter 8.
Pratt, J. W. (1981). Concavity of the log likelihood. *Journal of the American Statistical Association*,
76(373), 103-106.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special, stats

__all__ = ["CumulativeLinkFit", "cumulative_link_fit", "cumulative_link_loglik"]

#: Newton iterations before giving up (a fit from the default start needs 5-10).
_MAXITER = 100
#: Step halvings per iteration before giving up.
_MAX_HALVINGS = 60
#: Below this Newton decrement the full step is taken without comparing log-likelihoods (quadratic region).
_FULL_STEP_DECREMENT = 1e-8
#: Convergence: the Newton decrement ``g' (-H)^{-1} g`` (twice the predicted gain in log-likelihood).
_DECREMENT_TOL = 1e-20
#: ... and the step, relative to ``1 + |theta|``.
_STEP_TOL = 1e-10


def _cdf_pdf_dpdf(z: np.ndarray, link: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``F(z)``, its density ``f(z)`` and the density's derivative ``f'(z)``; ``z`` may hold +-inf."""
    if link == "logit":
        F = special.expit(z)
        f = F * special.expit(-z)  # F (1 - F), without the cancellation of 1 - F for large z
        df = f * (special.expit(-z) - F)  # f (1 - 2F)
    else:
        F = special.ndtr(z)
        f = stats.norm.pdf(z)
        df = -np.where(np.isfinite(z), z, 0.0) * f  # f(+-inf) = 0
    return F, f, df


def _interval_probability(a: np.ndarray, b: np.ndarray, link: str) -> np.ndarray:
    """``F(a) - F(b)`` for ``a > b``, taken in the tail where it does not cancel (``F(-b) - F(-a)`` if a+b > 0)."""
    upper = (a + b) > 0
    hi = np.where(upper, -b, a)
    lo = np.where(upper, -a, b)
    if link == "logit":
        return special.expit(hi) - special.expit(lo)
    return special.ndtr(hi) - special.ndtr(lo)


def cumulative_link_loglik(
    theta: np.ndarray, codes: np.ndarray, X: np.ndarray, *, link: Literal["logit", "probit"] = "logit"
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, score (gradient) and Hessian of the cumulative-link model, analytically.

    For respondent ``i`` in category ``y_i`` let ``a_i = zeta_{y_i} - x_i'beta`` and
    ``b_i = zeta_{y_i - 1} - x_i'beta`` (``zeta_{-1} = -inf``, ``zeta_{K-1} = +inf``), so that
    ``p_i = F(a_i) - F(b_i)`` and ``l = sum_i log p_i`` (McCullagh 1980, eq. 2.1; Agresti 2013, 8.2).
    ``a_i`` and ``b_i`` are linear in ``theta = (beta, zeta)``, with gradients ``da_i = (-x_i, e_{y_i})`` and
    ``db_i = (-x_i, e_{y_i - 1})`` (the unit vector is absent at an infinite bound). Then

    * score: ``g_i = (f(a_i) da_i - f(b_i) db_i) / p_i``, ``g = sum_i g_i``;
    * Hessian: ``H = sum_i [(f'(a_i) da_i da_i' - f'(b_i) db_i db_i') / p_i - g_i g_i']``,

    with ``f'(z) = f(z) (1 - 2 F(z))`` for the logistic and ``-z f(z)`` for the normal. The observed
    information is ``-H``; it is positive definite at an interior maximum.

    Parameters
    ----------
    theta : numpy.ndarray
        ``(beta_1 .. beta_p, zeta_0 .. zeta_{K-2})``, cut points increasing.
    codes : numpy.ndarray
        Integer categories ``0 .. K-1``, one per row of `X`.
    X : numpy.ndarray
        ``n x p`` predictors (no constant column: the cut points are the intercepts).
    link : {"logit", "probit"}, default "logit"

    Returns
    -------
    loglik : float
        ``-inf`` if the cut points are not strictly increasing or a probability underflows.
    score : numpy.ndarray
        Gradient, length ``p + K - 1``.
    hessian : numpy.ndarray
        Second derivatives, ``(p + K - 1) x (p + K - 1)``.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> ll, g, H = cumulative_link_loglik(np.array([0.5, 0.0, 1.5]), np.array([0, 1, 1, 2]), X)
    >>> round(ll, 4), g.shape, H.shape
    (-3.4659, (3,), (3, 3))
    """
    p = X.shape[1]
    beta, zeta = theta[:p], theta[p:]
    n_cut = zeta.size
    m = p + n_cut
    if n_cut > 1 and not np.all(np.diff(zeta) > 0):
        return -np.inf, np.full(m, np.nan), np.full((m, m), np.nan)
    eta = X @ beta
    cuts = np.concatenate([[-np.inf], zeta, [np.inf]])
    a = cuts[codes + 1] - eta
    b = cuts[codes] - eta
    prob = _interval_probability(a, b, link)
    with np.errstate(divide="ignore"):
        loglik = float(np.sum(np.log(prob)))
    _, fa, dfa = _cdf_pdf_dpdf(a, link)
    _, fb, dfb = _cdf_pdf_dpdf(b, link)
    # gradients of a_i and b_i: rows (-x_i, unit vector at the bound's cut point, if finite)
    rows = np.arange(codes.size)
    Da = np.zeros((codes.size, m))
    Db = np.zeros((codes.size, m))
    Da[:, :p] = -X
    Db[:, :p] = -X
    upper = codes < n_cut
    lower = codes > 0
    Da[rows[upper], p + codes[upper]] = 1.0
    Db[rows[lower], p + codes[lower] - 1] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        G = (fa / prob)[:, None] * Da - (fb / prob)[:, None] * Db
        wa, wb = dfa / prob, dfb / prob
    score = G.sum(axis=0)
    hessian = (Da * wa[:, None]).T @ Da - (Db * wb[:, None]).T @ Db - G.T @ G
    return loglik, score, (hessian + hessian.T) / 2


@dataclass(frozen=True, eq=False)
class CumulativeLinkFit:
    """Result of :func:`cumulative_link_fit`.

    Attributes
    ----------
    params : numpy.ndarray
        ``(beta, zeta)`` at the maximum.
    cov : numpy.ndarray
        Inverse of the observed information ``-H`` at `params`.
    loglik : float
    score : numpy.ndarray
        Gradient at `params` (about 1e-12 or less after convergence).
    iterations : int
        Newton iterations taken.
    converged : bool
        Whether the Newton decrement fell below its tolerance.
    """

    params: np.ndarray
    cov: np.ndarray
    loglik: float
    score: np.ndarray
    iterations: int
    converged: bool


def _start(codes: np.ndarray, p: int, n_levels: int, link: str) -> np.ndarray:
    """``beta = 0`` and the cut points of the model without predictors: ``F^{-1}`` of cumulative shares."""
    counts = np.bincount(codes, minlength=n_levels).astype(float)
    cum = np.cumsum(counts)[:-1] / counts.sum()
    zeta = special.logit(cum) if link == "logit" else special.ndtri(cum)
    return np.concatenate([np.zeros(p), zeta])


def _newton_step(H: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """Solve ``(-H) s = g`` by Cholesky; None if ``-H`` is not positive definite."""
    try:
        c = np.linalg.cholesky(-H)
    except np.linalg.LinAlgError:
        return None
    return np.linalg.solve(c.T, np.linalg.solve(c, g))


def cumulative_link_fit(
    codes: np.ndarray, X: np.ndarray, *, link: Literal["logit", "probit"] = "logit"
) -> CumulativeLinkFit:
    """Maximum-likelihood fit of the cumulative-link model by Newton's method with step halving.

    Starts at ``beta = 0`` with the cut points of the model without predictors; each iteration solves
    ``(-H) s = g`` (Cholesky) and halves the step until the cut points stay ordered and the log-likelihood
    does not fall. Converged when the Newton decrement ``g's`` is below 1e-20 and the step below 1e-10
    relative to ``1 + |theta|`` (under separation the first holds while the estimates run away); the last
    (tiny) step is taken and the Hessian recomputed there, so the score at the returned point is at
    rounding level.

    Parameters
    ----------
    codes : numpy.ndarray
        Integer categories ``0 .. K-1`` (every category observed).
    X : numpy.ndarray
        ``n x p`` predictors, without a constant.
    link : {"logit", "probit"}, default "logit"

    Returns
    -------
    CumulativeLinkFit
        ``converged`` is False (and ``cov`` may hold NaN) after 100 iterations or when no step improves,
        as under separation.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(400, 1))
    >>> y = np.digitize(x[:, 0] + rng.logistic(size=400), [-1.0, 1.0])
    >>> fit = cumulative_link_fit(y, x)
    >>> fit.converged, bool(np.max(np.abs(fit.score)) < 1e-10)
    (True, True)
    """
    codes = np.asarray(codes, dtype=int)
    X = np.asarray(X, dtype=float)
    theta = _start(codes, X.shape[1], int(codes.max()) + 1, link)
    loglik, g, H = cumulative_link_loglik(theta, codes, X, link=link)
    converged, it = False, 0
    while it < _MAXITER and not converged:
        it += 1
        step = _newton_step(H, g)
        if step is None or not np.all(np.isfinite(step)):
            break
        decrement = float(g @ step)
        # both: under separation the decrement vanishes while the estimates still run away
        converged = decrement < _DECREMENT_TOL and np.max(np.abs(step) / (1 + np.abs(theta))) < _STEP_TOL
        t = 1.0
        for _ in range(_MAX_HALVINGS):
            new = cumulative_link_loglik(theta + t * step, codes, X, link=link)
            # near the maximum the gain is below the rounding of the sum: the full step is taken
            if np.isfinite(new[0]) and (decrement < _FULL_STEP_DECREMENT or new[0] >= loglik):
                break
            t /= 2
        else:
            break
        theta = theta + t * step
        loglik, g, H = new
    cov = np.linalg.inv(-H) if np.all(np.isfinite(H)) else np.full_like(H, np.nan)
    return CumulativeLinkFit(
        params=theta, cov=cov, loglik=float(loglik), score=g, iterations=it, converged=bool(converged)
    )
