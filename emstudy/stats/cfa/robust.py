"""Scaled and robust fit indices of MLR fits (and of FIML fits), as lavaan's ``fitMeasures`` reports them.

With the Yuan-Bentler scaling factor ``c`` of the model (chi-square ``T`` on ``df``) and ``c_B`` of the
independence (baseline) model (``T_B`` on ``df_B``):

* the *scaled* indices put the scaled statistics ``T / c`` and ``T_B / c_B`` into the usual formulas
  (``cfi_scaled``, ``tli_scaled``); ``rmsea_scaled`` and its interval use ``T`` on ``c df`` degrees of
  freedom (lavaan's convention for ``yuan.bentler.mplus``);
* the *robust* indices estimate the population values the ML indices would have under normality:
  ``cfi_robust = 1 - max(T - c df, 0) / max(T - c df, T_B - c_B df_B, 0)`` (Brosseau-Liard & Savalei
  2014), ``tli_robust`` alike, ``rmsea_robust = sqrt(G) sqrt(max(T - c df, 0) / (N df))`` with the interval
  of ``T / c`` on ``df`` rescaled by ``sqrt(c)`` (Brosseau-Liard, Savalei & Li 2012).

With FIML (``missing="fiml"``) the robust indices are the corrected ones of Zhang & Savalei (2023),
lavaan's "FIML-C": ``T`` and ``T_B`` are the complete-data chi-squares of the FIML estimates of the
model and of the baseline model against the EM (saturated) moments, and ``c`` is a trace built from the
observed information of the saturated FIML model ``W_m``, the complete-data information at the EM
moments ``W_c`` and the model's Jacobian ``D``: with ``U = W_m - W_m D (D' W_m D)^-1 D' W_m``,
``c = tr(U W_m^-1 W_c W_m^-1 U Gamma) / df`` for MLR (``Gamma = W_m^-1 J W_m^-1``, ``J`` the
cross-product of the casewise scores) and ``c = tr(W_c W_m^-1 U W_m^-1) / df`` for ML. lavaan reports
them for ML fits by FIML too; the scaled indices exist for MLR only.

References
----------
Brosseau-Liard, P. E., Savalei, V., & Li, L. (2012). An investigation of the sample performance of two
nonnormality corrections for RMSEA. Multivariate Behavioral Research, 47, 904-930.
Brosseau-Liard, P. E., & Savalei, V. (2014). Adjusting incremental fit indices for nonnormality.
Multivariate Behavioral Research, 49, 460-470.
Zhang, X., & Savalei, V. (2023). New computations for RMSEA and CFI following FIML and TS estimation
with missing data. Psychological Methods, 28, 263-283.
Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and covariance structure
analysis with nonnormal missing data. Sociological Methodology, 30, 165-200.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

import numpy as np
from scipy import stats

from emstudy.stats.cfa.fiml import _FIMLData
from emstudy.stats.cfa.fit import FitMeasures, _rmsea_ci, _saturated_trace, _vech_pairs

__all__: list[str] = []


def _cfi(T: float, df: float, TB: float, dfB: float, c: float = 1.0, cB: float = 1.0) -> float:
    t1 = max(T - c * df, 0.0)
    t2 = max(T - c * df, TB - cB * dfB, 0.0)
    return 1.0 if t2 == 0 else float(1.0 - t1 / t2)


def _tli(T: float, df: float, TB: float, dfB: float, c: float = 1.0, cB: float = 1.0) -> float:
    if not df > 0:
        return np.nan
    t2 = (TB - cB * dfB) * df
    return float(1.0 - (T - c * df) * dfB / t2) if t2 != 0 else 1.0


def _rmsea(T: float, df: float, N: float, G: int, c: float = 1.0) -> float:
    return float(np.sqrt(max(T / (N * df) - c / N, 0.0)) * np.sqrt(G)) if df > 0 else np.nan


def _scaled(fm: FitMeasures, cB: float, G: int) -> dict:
    """The scaled baseline and indices of an MLR fit ``fm`` (with ``chisq_scaling_factor``) of ``G``
    groups, ``cB`` the baseline's scaling factor."""
    T, df, c, N = fm.chisq, fm.df, fm.chisq_scaling_factor, fm.n
    TB, dfB = fm.baseline_chisq, fm.baseline_df
    lo, up, pclose = _rmsea_ci(T, c * df, N, G)
    return {
        "baseline_chisq_scaled": TB / cB,
        "baseline_pvalue_scaled": float(stats.chi2.sf(TB / cB, dfB)),
        "baseline_chisq_scaling_factor": float(cB),
        "cfi_scaled": _cfi(T / c, df, TB / cB, dfB),
        "tli_scaled": _tli(T / c, df, TB / cB, dfB),
        "rmsea_scaled": _rmsea(T, c * df, N, G),
        "rmsea_ci_lower_scaled": lo,
        "rmsea_ci_upper_scaled": up,
        "rmsea_pvalue_scaled": pclose,
    }


def _robust(fm: FitMeasures, T: float, c: float, TB: float, cB: float, G: int) -> dict:
    """The robust indices from the (complete-data) chi-squares and scaling factors of the model and of
    the baseline model (``G`` groups)."""
    df, dfB, N = fm.df, fm.baseline_df, fm.n
    lo, up, pclose = _rmsea_ci(T / c, df, N, G, c_hat=c)
    return {
        "cfi_robust": _cfi(T, df, TB, dfB, c, cB),
        "tli_robust": _tli(T, df, TB, dfB, c, cB),
        "rmsea_robust": _rmsea(T, df, N, G, c),
        "rmsea_ci_lower_robust": lo,
        "rmsea_ci_upper_robust": up,
        "rmsea_pvalue_robust": pclose,
    }


def _independence_trace(X: np.ndarray) -> float:
    """trace(A0^-1 B0) of the independence model (variances; the means' part cancels against the
    saturated model's) for one group's complete rows ``X``: sum_j (kurtosis_j - 1) / 2."""
    d = X - X.mean(axis=0)
    s2 = np.mean(d**2, axis=0)
    return float(np.sum((np.mean(d**4, axis=0) / s2**2 - 1.0) / 2.0))


def _robust_listwise(fm: FitMeasures, blocks: Sequence[np.ndarray]) -> FitMeasures:
    """``fm`` of an MLR fit with complete rows (``blocks``, one per group) with the scaled and robust
    indices; the baseline's Yuan-Bentler scaling factor from the saturated and independence traces."""
    if fm.df <= 0 or not np.isfinite(fm.chisq_scaling_factor):
        return fm
    S = [np.cov(X.T, bias=True) for X in blocks]
    tr1 = sum(_saturated_trace(X, s) for X, s in zip(blocks, S))
    cB = (tr1 - sum(_independence_trace(X) for X in blocks)) / fm.baseline_df
    c = fm.chisq_scaling_factor
    G = len(blocks)
    return dataclasses.replace(fm, **_scaled(fm, cB, G), **_robust(fm, fm.chisq, c, fm.baseline_chisq, cB, G))


# --------------------------------------------------------------------------------------------
# FIML: the baseline's scaling factor and the corrected (FIML-C) robust indices
# --------------------------------------------------------------------------------------------
def _saturated_info(pats: Sequence, mu: np.ndarray, Sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Observed information ``W_m`` and cross-product of the casewise scores ``J`` (both per observation) of
    the saturated model under FIML at ``(mu, Sigma)``, for one group's patterns, in closed form.

    With, per pattern (weight ``w_k = n_k / n``), ``P = Sigma_oo^-1``, ``W`` the cross-products about ``mu_o``,
    ``Z = P W P - P / 2`` and ``v = P (mean - mu_o)``, zero-padded to the p variables, the Hessian of
    ``-2 logl / n`` is ``sum_k w_k [tr(A P B Z) + tr(A Z B P)]`` for covariance elements (A, B their symmetric
    unit matrices), ``2 sum_k w_k (P B v)_i`` for mean i and element B, and ``2 sum_k w_k P`` for the means;
    the tensor ``sum_k w_k P (x) Z`` carries every covariance pair at once (cost ``K p^4``, not ``K k^2``).
    """
    p = len(mu)
    n = float(sum(pt.n for pt in pats))
    K = len(pats)
    P, Z, v, J = np.zeros((K, p, p)), np.zeros((K, p, p)), np.zeros((K, p)), None
    scores = []
    x, y, wt = _vech_pairs(p)
    for k, pt in enumerate(pats):
        o = pt.obs
        Si = np.linalg.inv(Sigma[np.ix_(o, o)])
        d = pt.mean - mu[o]
        Pk = np.zeros((p, p))
        Pk[np.ix_(o, o)] = Si
        P[k] = Pk * pt.n / n
        Z[k][np.ix_(o, o)] = Si @ (pt.cov + np.outer(d, d)) @ Si - Si / 2.0
        v[k, o] = Si @ d
        Y = np.zeros((pt.n, p))
        Y[:, o] = (pt.rows - mu[o]) @ Si
        M = Pk[None, :, :] - Y[:, :, None] * Y[:, None, :]  # score of Sigma_xy: -1/2 (M_xy + M_yx) over E_xy
        sc_cov = -0.5 * (wt[0] * M[:, x[0], y[0]] + wt[1] * M[:, x[1], y[1]])
        scores.append(np.hstack([Y, sc_cov]))
    T = np.tensordot(P, Z, axes=(0, 0))  # [a, b, c, d] = sum_k w P_ab Z_cd
    H = np.zeros((p + len(x[0]), p + len(x[0])))
    for s in range(2):
        for t in range(2):
            xs, ys = x[s][:, None], y[s][:, None]
            zt, ut = x[t][None, :], y[t][None, :]
            H[p:, p:] += wt[s][:, None] * wt[t][None, :] * (T[ys, zt, ut, xs] + T[ut, xs, ys, zt])
    M3 = np.einsum("kiz,ku->izu", P, v)
    for t in range(2):
        H[:p, p:] += 2.0 * wt[t][None, :] * M3[:, x[t], y[t]]
    H[p:, :p] = H[:p, p:].T
    H[:p, :p] = 2.0 * P.sum(axis=0)
    sc = np.vstack(scores)
    J = sc.T @ sc / n
    return H / 2.0, J


def _group_info(fd: _FIMLData, p: int, G: int) -> tuple[list[tuple[np.ndarray, ...]], float]:
    """Per group, at the EM moments, in the saturated model's parameters (means, then the upper
    triangle of the covariance): the observed FIML information ``W_m`` (per observation), the
    complete-data information ``W_c`` (``Sigma^-1`` for the means, ``tr(Sigma^-1 A Sigma^-1 B) / 2`` for
    covariance elements), ``W_m^-1 W_c W_m^-1`` and ``Gamma = W_m^-1 J W_m^-1`` (``J`` the cross-product
    of the casewise scores per observation); and trace(A1^-1 B1) of the saturated model (A1 the observed information, B1 the cross-product of the
    casewise scores; summed over the groups, which share no parameter). These depend on the data only:
    the last data set's are kept (keyed by a digest of the rows and the EM moments), so that the fits of
    one invariance run compute them once."""
    h = hashlib.sha256()
    for arr in [pt.rows for pt in fd.pats] + [pt.obs for pt in fd.pats] + list(fd.S) + list(fd.means):
        h.update(np.ascontiguousarray(arr).tobytes())
        h.update(str(arr.shape).encode())
    key = h.hexdigest()
    if key not in _INFO_CACHE:
        _INFO_CACHE.clear()  # one data set at a time (the matrices are large for many items)
        _INFO_CACHE[key] = _compute_group_info(fd, p, G)
    return _INFO_CACHE[key]


_INFO_CACHE: dict[str, tuple[list[tuple[np.ndarray, ...]], float]] = {}


def _compute_group_info(fd: _FIMLData, p: int, G: int) -> tuple[list[tuple[np.ndarray, ...]], float]:
    x, y, wt = _vech_pairs(p)
    out = []
    tr1 = 0.0
    for g in range(G):
        Wm, J = _saturated_info([pt for pt in fd.pats if pt.group == g], fd.means[g], fd.S[g])
        tr1 += float(np.trace(np.linalg.solve(Wm, J)))
        Si = np.linalg.inv(fd.S[g])
        Wc = np.zeros_like(Wm)
        Wc[:p, :p] = Si
        for s in range(2):
            for t in range(2):
                w = wt[s][:, None] * wt[t][None, :]
                Wc[p:, p:] += 0.5 * w * Si[y[s][:, None], x[t][None, :]] * Si[y[t][None, :], x[s][:, None]]
        Wmi = np.linalg.inv(Wm)
        out.append((Wm, Wc, Wmi @ Wc @ Wmi, Wmi @ J @ Wmi))
    return out, tr1


def _fiml_trace(info, deltas: Sequence[np.ndarray], fg: np.ndarray, *, robust: bool) -> float:
    """The FIML-C trace of a model with Jacobians ``deltas`` (per group: saturated parameters x free
    parameters), with ``U = Wm - Wm D E^-1 D' Wm``, ``E = D' Wm D`` over the groups (``Wm``, ``Wc`` and
    ``Gamma`` block-diagonal, group g weighted by its share ``f_g``): tr(U Wm^-1 Wc Wm^-1 U Gamma) (MLR)
    or tr(Wc Wm^-1 U Wm^-1) (ML). Computed block by block: with ``A_g = f_g Wm_g D_g``, the blocks of ``U``
    are ``f_g Wm_g [g = h] - A_g E^-1 A_h'``, so the trace needs the data's matrices of each group (``info``:
    ``Wm, Wc, M = Wm^-1 Wc Wm^-1, Gamma = Wm^-1 J Wm^-1``) and products with the columns of the
    Jacobian that a group's moments use."""
    q = deltas[0].shape[1]
    cols = [np.flatnonzero(np.any(D != 0.0, axis=0)) for D in deltas]
    A = [f * (inf[0] @ D[:, c]) for f, inf, D, c in zip(fg, info, deltas, cols)]
    E = np.zeros((q, q))
    for D, Ag, c in zip(deltas, A, cols):
        E[np.ix_(c, c)] += D[:, c].T @ Ag
    Ei = np.linalg.inv(E)
    total = 0.0
    if not robust:
        for f, (Wm, _, M, _), Ag, c in zip(fg, info, A, cols):
            total += (f * float(np.sum(M * Wm)) - float(np.sum((Ag.T @ M @ Ag) * Ei[np.ix_(c, c)]))) / f
        return total
    Q = np.zeros((q, q))
    R = np.zeros((q, q))
    for f, (Wm, Wc, M, Gam), Ag, c in zip(fg, info, A, cols):
        # tr(Wf P Wf Gam_f) = tr(Wc Gamma) (Wm M Wm = Wc); tr(Wf P A Ei A' Gam_f) = tr(Wm M A Ei A' Gamma) / f
        cc = np.ix_(c, c)
        total += float(np.sum(Wc * Gam)) - 2.0 * float(np.sum((Ag.T @ Gam @ (Wm @ M) @ Ag) * Ei[cc].T)) / f
        Q[cc] += Ag.T @ M @ Ag / f
        R[cc] += Ag.T @ Gam @ Ag / f
    return total + float(np.sum((Ei @ Q @ Ei) * R))


def _complete_chisq(fd: _FIMLData, moments: Sequence[tuple[np.ndarray, np.ndarray]]) -> float:
    """sum_g n_g F_ML(Sigma_g, mu_g; EM moments): the complete-data chi-square against the EM moments."""
    total = 0.0
    for g, (Sigma, mu) in enumerate(moments):
        S, m, n = fd.S[g], fd.means[g], fd.ns[g]
        Si = np.linalg.inv(Sigma)
        d = m - mu
        F = np.linalg.slogdet(Sigma)[1] - np.linalg.slogdet(S)[1] + np.trace(S @ Si) - len(m) + d @ Si @ d
        total += n * F
    return float(total)


def _baseline_moments(fd: _FIMLData, p: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The FIML estimates of the independence model per group: each variable's mean and (biased)
    variance over its observed values."""
    out = []
    for g in range(len(fd.ns)):
        pats = [pt for pt in fd.pats if pt.group == g]
        mu, var = np.zeros(p), np.zeros(p)
        for j in range(p):
            vals = np.concatenate([pt.rows[:, list(pt.obs).index(j)] for pt in pats if j in pt.obs])
            mu[j] = vals.mean()
            var[j] = np.mean((vals - mu[j]) ** 2)
        out.append((np.diag(var), mu))
    return out


def _robust_fiml(eng, x: np.ndarray, fd: _FIMLData, fm: FitMeasures, *, estimator: str) -> FitMeasures:
    """``fm`` of a FIML fit with the robust (FIML-C) indices and, for MLR, the scaled ones. ``eng`` is
    the model's engine (implied moments and Jacobian at ``x``)."""
    if fm.df <= 0:
        return fm  # a saturated model: no test, no scaled or robust indices (NaN, as lavaan's NA)
    try:
        return dataclasses.replace(fm, **_fiml_indices(eng, x, fd, fm, estimator=estimator))
    except np.linalg.LinAlgError:  # a singular information (the fit warned already): the indices stay NaN
        return fm


def _fiml_indices(eng, x: np.ndarray, fd: _FIMLData, fm: FitMeasures, *, estimator: str) -> dict:
    """The robust (and, for MLR, scaled) indices of :func:`_robust_fiml` as a dict of fields."""
    p, G = eng.p, eng.G
    fg = np.asarray(fd.ns, dtype=float) / float(sum(fd.ns))
    info, tr1 = _group_info(fd, p, G)
    iu = np.triu_indices(p)
    deltas = []
    for g in range(G):
        dS, dm = eng.jacobian(x, g)
        deltas.append(np.hstack([dm, dS[:, iu[0], iu[1]]]).T)
    k = p + len(iu[0])
    base = []
    for g in range(G):  # the independence model's own parameters: each group's means and variances
        D = np.zeros((k, 2 * p))
        D[:p, :p] = np.eye(p)
        D[p + np.flatnonzero(iu[0] == iu[1]), p + np.arange(p)] = 1.0
        base.append(np.hstack([np.zeros((k, 2 * p * g)), D, np.zeros((k, 2 * p * (G - g - 1)))]))
    robust = estimator == "MLR"
    T = _complete_chisq(fd, [eng.implied(x, g) for g in range(G)])
    TB = _complete_chisq(fd, _baseline_moments(fd, p))
    c = _fiml_trace(info, deltas, fg, robust=robust) / fm.df
    cB = _fiml_trace(info, base, fg, robust=robust) / fm.baseline_df
    out = _robust(fm, T, c, TB, cB, G)
    if robust:
        out.update(_scaled(fm, _fiml_baseline_factor(fd, p, G, tr1, fm.baseline_df), G))
    return out


def _fiml_baseline_factor(fd: _FIMLData, p: int, G: int, tr1: float, bdf: int) -> float:
    """Yuan-Bentler scaling factor of the independence model under FIML: (``tr1`` = tr(A1^-1 B1) of the
    saturated model - tr(A0^-1 B0) of the independence model) / df_B; the latter is, per variable,
    (kurtosis - 1) / 2 + 1 over its observed values."""
    tr0 = 0.0
    for g in range(G):
        pats = [pt for pt in fd.pats if pt.group == g]
        for j in range(p):
            vals = np.concatenate([pt.rows[:, list(pt.obs).index(j)] for pt in pats if j in pt.obs])
            tr0 += _independence_trace(vals[:, None]) + 1.0
    return (tr1 - tr0) / bdf
