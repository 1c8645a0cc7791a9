"""Fit measures of a CFA as lavaan's ``fitMeasures`` defines them (ML, ``likelihood="normal"``).

:class:`FitMeasures` holds them; :func:`_fit_measures` computes them from a converged engine,
:func:`_rmsea_ci` the RMSEA interval and p-close, :func:`_saturated_trace` the saturated-model
term of the Yuan-Bentler scaling factor used by the MLR estimator.

References
----------
Browne, M. W., & Cudeck, R. (1993). Alternative ways of assessing model fit. In Bollen & Long
(Eds.), Testing Structural Equation Models (pp. 136-162). Sage.
Steiger, J. H. (1998). A note on multiple sample extensions of the RMSEA fit index.
Structural Equation Modeling, 5, 411-419.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from emstudy.stats.cfa.engine import _Engine

__all__ = ["FitMeasures"]


_LIKELIHOOD = ("logl", "unrestricted_logl", "aic", "bic", "bic2")


@dataclass(frozen=True)
class FitMeasures:
    """Fit indices as lavaan's ``fitMeasures`` defines them (ML, ``likelihood="normal"``).

    ``to_series()`` returns them under lavaan's names (``chisq``, ``baseline.chisq``,
    ``rmsea.ci.lower``, ``unrestricted.logl`` ...). ``srmr`` is Bentler's SRMR (lavaan's
    ``srmr`` = ``srmr_bentler``), including mean residuals when there is a mean structure.
    """

    npar: int
    n: int
    chisq: float
    df: int
    pvalue: float
    baseline_chisq: float
    baseline_df: int
    baseline_pvalue: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_lower: float
    rmsea_ci_upper: float
    rmsea_pvalue: float
    srmr: float
    logl: float
    unrestricted_logl: float
    aic: float
    bic: float
    bic2: float
    chisq_scaled: float = float("nan")
    chisq_scaling_factor: float = float("nan")
    pvalue_scaled: float = float("nan")
    baseline_chisq_scaled: float = float("nan")
    baseline_pvalue_scaled: float = float("nan")
    baseline_chisq_scaling_factor: float = float("nan")
    cfi_scaled: float = float("nan")
    tli_scaled: float = float("nan")
    cfi_robust: float = float("nan")
    tli_robust: float = float("nan")
    rmsea_scaled: float = float("nan")
    rmsea_ci_lower_scaled: float = float("nan")
    rmsea_ci_upper_scaled: float = float("nan")
    rmsea_pvalue_scaled: float = float("nan")
    rmsea_robust: float = float("nan")
    rmsea_ci_lower_robust: float = float("nan")
    rmsea_ci_upper_robust: float = float("nan")
    rmsea_pvalue_robust: float = float("nan")
    # ordered items (WLSMV, ULSMV): the shift of the scaled-shifted statistic (lavaan's
    # lavInspect(fit, "test")$scaled.shifted$shift.parameter), the baseline's, and lavaan's WRMR
    chisq_shift_parameter: float = float("nan")
    baseline_chisq_shift_parameter: float = float("nan")
    wrmr: float = float("nan")

    _LAVAAN = {
        "baseline_chisq": "baseline.chisq",
        "baseline_df": "baseline.df",
        "baseline_pvalue": "baseline.pvalue",
        "rmsea_ci_lower": "rmsea.ci.lower",
        "rmsea_ci_upper": "rmsea.ci.upper",
        "rmsea_pvalue": "rmsea.pvalue",
        "unrestricted_logl": "unrestricted.logl",
        "n": "ntotal",
        "chisq_scaled": "chisq.scaled",
        "chisq_scaling_factor": "chisq.scaling.factor",
        "pvalue_scaled": "pvalue.scaled",
    }

    def to_series(self) -> pd.Series:
        """Fit measures as a Series indexed by lavaan's names; the scaled and robust indices only when
        the fit has them (MLR; the robust ones also with FIML), as lavaan's ``fitMeasures``."""
        names = [f for f in self.__dataclass_fields__ if not f.startswith("_")]
        first = names.index("baseline_chisq_scaled")
        names = names[:first] + [f for f in names[first:] if np.isfinite(getattr(self, f))]
        # no likelihood for least-squares fits of ordered items (WLSMV ...): lavaan reports no logl, AIC, BIC
        names = [f for f in names if f not in _LIKELIHOOD or np.isfinite(getattr(self, f))]
        return pd.Series({self._LAVAAN.get(f, f.replace("_", ".")): getattr(self, f) for f in names}, dtype=float)

    def __repr__(self) -> str:
        """What ``fit.fit`` shows: for a fit with a scaled test (MLR; WLSMV and ULSMV with ordered items) the
        scaled chi-square, its df and p, the scaled CFI, TLI and RMSEA (and MLR's robust CFI and RMSEA), then
        the standard chi-square and p, as ``summary()`` reports them; for ML the standard ones; no AIC and BIC
        for the least-squares fits of ordered items (lavaan has none)."""
        tail = f"SRMR={self.srmr:.3f}"
        tail += f", AIC={self.aic:.1f}, BIC={self.bic:.1f}" if np.isfinite(self.aic) else ""
        tail += f", WRMR={self.wrmr:.3f}" if np.isfinite(self.wrmr) else ""
        if not np.isfinite(self.cfi_scaled):  # ML, or DWLS/ULS with ordered items: the standard statistic
            scaled = f"chisq_scaled={self.chisq_scaled:.3f}, " if np.isfinite(self.chisq_scaled) else ""
            return (
                f"FitMeasures(chisq={self.chisq:.3f}, df={self.df}, p={self.pvalue:.3g}, {scaled}"
                f"CFI={self.cfi:.3f}, TLI={self.tli:.3f}, RMSEA={self.rmsea:.3f} "
                f"[{self.rmsea_ci_lower:.3f}, {self.rmsea_ci_upper:.3f}], {tail})"
            )
        robust = (
            f"robust: CFI={self.cfi_robust:.3f}, TLI={self.tli_robust:.3f}, RMSEA={self.rmsea_robust:.3f}; "
            if np.isfinite(self.cfi_robust)
            else ""
        )
        return (
            f"FitMeasures(scaled: chisq={self.chisq_scaled:.3f}, df={self.df}, p={self.pvalue_scaled:.3g}, "
            f"CFI={self.cfi_scaled:.3f}, TLI={self.tli_scaled:.3f}, RMSEA={self.rmsea_scaled:.3f} "
            f"[{self.rmsea_ci_lower_scaled:.3f}, {self.rmsea_ci_upper_scaled:.3f}]; {robust}"
            f"standard: chisq={self.chisq:.3f}, p={self.pvalue:.3g}; {tail})"
        )


def _vech_pairs(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two orderings (x, y) and (y, x) of every upper-triangle element of a p x p symmetric matrix (the
    saturated model's order), with weights (1 each, 1/2 each on the diagonal): ``(x (2, k), y (2, k), w (2, k))``,
    so that a sum over the elements of the symmetric unit matrix E_xy is a weighted sum over the two rows."""
    i, j = np.triu_indices(p)
    w = np.where(i == j, 0.5, 1.0)
    return np.stack([i, j]), np.stack([j, i]), np.stack([w, w])


def _saturated_trace(X: np.ndarray, S: np.ndarray) -> float:
    """trace(A1^-1 B1) for the saturated covariance model at the sample moments ``S`` of the complete rows
    ``X``: A1 = n/2 tr(S^-1 E_a S^-1 E_b) over the upper-triangle elements, B1 the cross-product of the
    casewise scores -1/2 <E_a, S^-1 - y y'> (y = S^-1 (x - mean)); gathered from the p x p matrices, so that
    the cost is one product of the scores (n x p(p+1)/2), not a sum over p^2 x p(p+1)/2 terms."""
    p, n = S.shape[0], X.shape[0]
    x, y, w = _vech_pairs(p)
    Si = np.linalg.inv(S)
    A = np.zeros((len(x[0]), len(x[0])))
    for s in range(2):
        for t in range(2):
            A += (
                0.5
                * n
                * w[s][:, None]
                * w[t][None, :]
                * Si[y[s][:, None], x[t][None, :]]
                * Si[y[t][None, :], x[s][:, None]]
            )
    Y = (X - X.mean(axis=0)) @ Si
    sc = -0.5 * sum(w[s] * (Si[x[s], y[s]][None, :] - Y[:, x[s]] * Y[:, y[s]]) for s in range(2))
    return float(np.trace(np.linalg.solve(A, sc.T @ sc)))


def _rmsea_ci(chisq: float, df: float, N: float, G: int, *, c_hat: float = 1.0) -> tuple[float, float, float]:
    """90% interval of the RMSEA and p(RMSEA <= .05) from ``chisq`` on ``df`` (not necessarily whole),
    lavaan's convention for the robust RMSEA with ``c_hat`` (the noncentrality times ``c_hat``, the
    null value divided by it)."""
    if not df > 0:
        return np.nan, np.nan, np.nan

    def root(target: float) -> float:
        if stats.chi2.cdf(chisq, df) < target:
            return 0.0
        hi = max(chisq, 1.0)
        while stats.ncx2.cdf(chisq, df, hi) > target:
            hi *= 2.0
        lam = optimize.brentq(lambda nc: stats.ncx2.cdf(chisq, df, nc) - target, 1e-12, hi, xtol=1e-12, rtol=1e-14)
        return float(np.sqrt(c_hat * lam / (N * df)) * np.sqrt(G))

    lower = root(0.95)
    upper = root(0.05)
    ncp0 = N * df * 0.05**2 / (G * c_hat)
    pclose = float(stats.ncx2.sf(chisq, df, ncp0))
    return lower, upper, pclose


def _baseline_logdet(S: np.ndarray, fixed_x: Sequence[int]) -> float:
    """log-determinant of the independence model's covariance: diagonal, except the block of the
    fixed-x covariates, which is saturated (lavaan's baseline with ``fixed.x = TRUE``)."""
    rest = [j for j in range(S.shape[0]) if j not in fixed_x]
    xs = list(fixed_x)
    return float(np.sum(np.log(np.diag(S)[rest])) + (np.linalg.slogdet(S[np.ix_(xs, xs)])[1] if xs else 0.0))


def _fit_measures(eng: _Engine, x: np.ndarray, fmin: float, *, fixed_x: Sequence[int] = ()) -> FitMeasures:
    """Fit measures at the estimates ``x``; ``fixed_x`` are the observed covariates whose
    (co)variances are fixed at the sample values (their moments leave the degrees of freedom)."""
    p, G, N = eng.p, eng.G, eng.N
    npar = eng.nfree
    nx = len(fixed_x)
    moments = p * (p + 1) // 2 + (p if eng.meanstructure else 0) - nx * (nx + 1) // 2 - (nx if eng.meanstructure else 0)
    df = G * moments - npar
    chisq = float(N * fmin)
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
    bchisq = float(sum(n * (_baseline_logdet(s, fixed_x) - ld) for n, s, ld in zip(eng.ns, eng.S, eng.logdetS)))
    bdf = G * (p * (p - 1) // 2 - nx * (nx - 1) // 2)
    bp = float(stats.chi2.sf(bchisq, bdf))
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, bchisq - bdf, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    # a saturated model (df = 0) fits perfectly by definition: lavaan reports TLI 1 and RMSEA 0 (interval 0, 0;
    # p-close NA), and so does emstudy
    tli = (bchisq / bdf - chisq / df) / (bchisq / bdf - 1.0) if df > 0 else 1.0
    rmsea = float(np.sqrt(max((chisq - df) / (df * N), 0.0)) * np.sqrt(G)) if df > 0 else 0.0
    lo, up, pclose = _rmsea_ci(chisq, df, N, G) if df > 0 else (0.0, 0.0, np.nan)
    logl = 0.0
    ulogl = 0.0
    srmr_sq = 0.0
    for g in range(G):
        Sigma, mu = eng.implied(x, g)
        Si = np.linalg.inv(Sigma)
        d = eng.means[g] - mu
        ld = np.linalg.slogdet(Sigma)[1]
        n = eng.ns[g]
        logl += -n / 2 * (p * np.log(2 * np.pi) + ld + np.trace(eng.S[g] @ Si) + d @ Si @ d)
        ulogl += -n / 2 * (p * np.log(2 * np.pi) + eng.logdetS[g] + p)
        if nx:  # lavaan's likelihood with fixed.x is conditional on the covariates: their marginal part leaves
            xs = list(fixed_x)
            logx = -n / 2 * (nx * np.log(2 * np.pi) + np.linalg.slogdet(eng.S[g][np.ix_(xs, xs)])[1] + nx)
            logl -= logx
            ulogl -= logx
        sd = np.sqrt(np.diag(eng.S[g]))
        R = (eng.S[g] - Sigma) / np.outer(sd, sd)
        iu = np.triu_indices(p)
        ss = np.sum(R[iu] ** 2)
        cnt = len(iu[0])
        if eng.meanstructure:
            ss += np.sum((d / sd) ** 2)
            cnt += p
        srmr_sq += n / N * np.sqrt(ss / cnt)
    srmr = float(srmr_sq)
    aic = -2 * logl + 2 * npar
    bic = -2 * logl + npar * np.log(N)
    bic2 = -2 * logl + npar * np.log((N + 2) / 24)
    return FitMeasures(
        npar=npar,
        n=int(N),
        chisq=chisq,
        df=int(df),
        pvalue=pvalue,
        baseline_chisq=bchisq,
        baseline_df=int(bdf),
        baseline_pvalue=bp,
        cfi=float(cfi),
        tli=float(tli),
        rmsea=rmsea,
        rmsea_ci_lower=lo,
        rmsea_ci_upper=up,
        rmsea_pvalue=pclose,
        srmr=srmr,
        logl=float(logl),
        unrestricted_logl=float(ulogl),
        aic=float(aic),
        bic=float(bic),
        bic2=float(bic2),
    )
