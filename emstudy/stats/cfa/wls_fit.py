"""Test statistics and fit measures of an ordered-item fit (WLSMV, DWLS, ULSMV, ULS), as lavaan 0.6.14.

With the residuals ``r_g`` of the thresholds and polychoric correlations and the weights ``W_g`` of the fit
(:mod:`~emstudy.stats.cfa.wls`), lavaan's statistic is ``T = sum_g (N_g - 1) r_g' W_g r_g``. The
mean- and variance-adjusted ("scaled and shifted") statistic of WLSMV and ULSMV (Asparouhov & Muthen 2010)
is ``T / c + b`` with ``c = sqrt(tr((U Gamma)^2) / df)`` and ``b = df - tr(U Gamma) / c``, where
``U = W - W D (D'W D)^-1 D'W`` (``W`` and ``Gamma`` block diagonal over the groups, weighted by
``N_g / N`` and ``N / N_g``, ``D`` the model's Jacobian); it has the model's degrees of freedom. The
baseline is the independence model (thresholds free, correlations 0), with its own scaled statistic,
for ``cfi_scaled`` and ``tli_scaled``. The RMSEA and its interval take ``N - G`` for the sample size.

References
----------
Asparouhov, T., & Muthen, B. (2010). Simple second order chi-square correction. Technical appendix,
Mplus.
Satorra, A., & Bentler, P. M. (1994). Corrections to test statistics and standard errors in covariance
structure analysis. In A. von Eye & C. C. Clogg (Eds.), Latent Variables Analysis (pp. 399-419). Sage.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from emstudy.stats.cfa.fit import FitMeasures, _rmsea_ci

__all__: list[str] = []


def _baseline_traces(model) -> tuple[float, float]:
    """``tr(U Gamma)`` and ``tr((U Gamma)^2)`` of the baseline model: with diagonal weights and free
    thresholds ``U`` keeps the correlations' block of ``W``, so that ``U Gamma`` is ``W_cc Gamma_cc`` per group."""
    t1 = t2 = 0.0
    for w, gm, th in zip(model.W, model.gamma, model.th_index):
        k = len(th)
        a = w[k:, None] * gm[k:, k:]
        t1 += float(np.trace(a))
        t2 += float(np.sum(a * a.T))
    return t1, t2


def _scaled_shifted(T: float, df: int, t1: float, t2: float) -> tuple[float, float, float]:
    """lavaan's ``test = "scaled.shifted"``: the statistic ``T / c + b``, the scaling factor ``c`` and the
    shift ``b``."""
    if df <= 0 or t2 <= 0:
        return np.nan, np.nan, np.nan
    a = np.sqrt(df / t2)
    b = df - a * t1
    return float(a * T + b), float(1.0 / a), float(b)


def _rmsea_value(T: float, df: int, N: float, G: int) -> float:
    """lavaan's RMSEA of an ordered-item fit: ``sqrt(max(T - df, 0) / (df (N - G))) sqrt(G)``."""
    return float(np.sqrt(max((T - df) / (df * (N - G)), 0.0)) * np.sqrt(G)) if df > 0 else 0.0


def _cfi(T: float, df: float, TB: float, dfB: float) -> float:
    t2 = max(T - df, TB - dfB, 0.0)
    return 1.0 if t2 == 0 else 1.0 - max(T - df, 0.0) / t2


def _tli(T: float, df: float, TB: float, dfB: float) -> float:
    return (TB / dfB - T / df) / (TB / dfB - 1.0) if df > 0 else 1.0


def _wls_fit_measures(model, x: np.ndarray, traces: tuple[float, float], *, estimator: str) -> FitMeasures:
    """lavaan's ``fitMeasures`` of an ordered-item fit at the estimates ``x``; ``traces`` are ``tr(U Gamma)`` and
    ``tr((U Gamma)^2)`` of the model (:func:`emstudy.stats.cfa.wls._vcov`)."""
    G, N, ns = model.G, model.N, model.ns
    nstat = [len(s) for s in model.s]
    df = int(sum(nstat) - model.nfree)
    res = [s - model.implied(x, g) for g, s in enumerate(model.s)]
    T = float(sum((n - 1.0) * np.sum(W * r * r) for n, W, r in zip(ns, model.W, res)))
    # baseline: thresholds free (fitted exactly by the diagonal weights), correlations 0
    nth = [len(t) for t in model.th_index]
    TB = float(sum((n - 1.0) * np.sum(W[k:] * s[k:] ** 2) for n, W, s, k in zip(ns, model.W, model.s, nth)))
    dfB = int(sum(n - k for n, k in zip(nstat, nth)))
    scaled = estimator in ("WLSMV", "ULSMV")
    Tss = c = b = TBss = cB = bB = np.nan
    if scaled:
        Tss, c, b = _scaled_shifted(T, df, *traces)
        TBss, cB, bB = _scaled_shifted(TB, dfB, *_baseline_traces(model))
    pv = float(stats.chi2.sf(T, df)) if df > 0 and estimator in ("WLSMV", "DWLS") else np.nan
    lo, up, pclose = _rmsea_ci(T, df, N - G, G) if df > 0 else (0.0, 0.0, np.nan)
    srmr = 0.0
    for g in range(G):
        k = nth[g]
        r = res[g][k:]
        srmr += ns[g] / N * np.sqrt(np.sum(r * r) / (len(r) + model.p))
    extra = {}
    if scaled:
        lo_s, up_s, pclose_s = _rmsea_ci(Tss, df, N - G, G) if df > 0 else (0.0, 0.0, np.nan)
        extra = {
            "chisq_scaled": Tss,
            "chisq_scaling_factor": c,
            "chisq_shift_parameter": b,
            "pvalue_scaled": float(stats.chi2.sf(Tss, df)) if df > 0 else np.nan,
            "baseline_chisq_scaled": TBss,
            "baseline_pvalue_scaled": float(stats.chi2.sf(TBss, dfB)),
            "baseline_chisq_scaling_factor": cB,
            "baseline_chisq_shift_parameter": bB,
            "cfi_scaled": _cfi(Tss, df, TBss, dfB),
            "tli_scaled": _tli(Tss, df, TBss, dfB),
            "rmsea_scaled": _rmsea_value(Tss, df, N, G),
            "rmsea_ci_lower_scaled": lo_s,
            "rmsea_ci_upper_scaled": up_s,
            "rmsea_pvalue_scaled": pclose_s,
        }
    return FitMeasures(
        npar=int(model.nfree),
        n=int(N),
        chisq=T,
        df=df,
        pvalue=pv,
        baseline_chisq=TB,
        baseline_df=dfB,
        baseline_pvalue=float(stats.chi2.sf(TB, dfB)),
        cfi=_cfi(T, df, TB, dfB),
        tli=_tli(T, df, TB, dfB),
        rmsea=_rmsea_value(T, df, N, G),
        rmsea_ci_lower=lo,
        rmsea_ci_upper=up,
        rmsea_pvalue=pclose,
        srmr=float(srmr),
        logl=np.nan,
        unrestricted_logl=np.nan,
        aic=np.nan,
        bic=np.nan,
        bic2=np.nan,
        wrmr=float(np.sqrt(T / nstat[0])),
        **extra,
    )
