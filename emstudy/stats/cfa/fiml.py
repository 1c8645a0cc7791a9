"""Full-information maximum likelihood (FIML) for item non-response, as lavaan's ``missing = "ml"``.

The rows of each group are collected by missingness pattern (:class:`_Pattern`: which variables
are observed, how many rows, their mean and biased cross-product matrix). The casewise normal
log-likelihood is summed pattern by pattern, each pattern using the sub-matrix of the implied
covariance and the sub-vector of the implied means of its observed variables (a mean structure is
always fitted). :class:`_FIMLEngine` gives the discrepancy ``F = 2 (logl_H1 - logl_H0) / N`` (so
that ``chisq = N F`` as for complete data), its analytic gradient and the expected information
(the optimizer's metric) and its analytic Hessian (:meth:`_FIMLEngine.hessian`: the observed
information, lavaan's ``observed.information = "hessian"``, its default with ``missing = "ml"``),
which gives the standard errors (ML, and the bread of the MLR sandwich) and a few final Newton
steps, so that estimates and standard errors are exact to rounding and do not depend on the BLAS
kernel (issue 13). The second derivatives of the implied moments come from the engine
(``moment_hessian``). The saturated (H1) moments are estimated by EM (:func:`_em_moments`), the
baseline (independence) model in closed form (:func:`_baseline_logl`: under FIML each variable's
mean and variance are those of its observed values).

References
----------
Arbuckle, J. L. (1996). Full information estimation in the presence of incomplete data. In
Marcoulides & Schumacker (Eds.), Advanced Structural Equation Modeling (pp. 243-277). Erlbaum.
Dempster, A. P., Laird, N. M., & Rubin, D. B. (1977). Maximum likelihood from incomplete data via
the EM algorithm. Journal of the Royal Statistical Society B, 39, 1-38.
Savalei, V., & Rosseel, Y. (2022). Computational options for standard errors and test statistics
with incomplete normal and nonnormal data in SEM. Structural Equation Modeling, 29, 163-181.
Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and covariance
structure analysis with nonnormal missing data. Sociological Methodology, 30, 165-200.
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from scipy import stats

from emstudy.errors import ConvergenceWarning, ModelWarning
from emstudy.stats._common import single_thread_blas
from emstudy.stats.cfa.engine import _Engine, _optimize, _Par, _trace_products
from emstudy.stats.cfa.fit import FitMeasures, _fit_measures

__all__: list[str] = []

_LOG2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class _Pattern:
    group: int
    obs: np.ndarray  # indices of the observed variables
    n: int
    mean: np.ndarray  # mean of the rows over ``obs``
    cov: np.ndarray  # biased (divisor n) cross-product matrix about ``mean``
    rows: np.ndarray  # the rows' observed values (n, len(obs))


def _patterns(X: np.ndarray, group: int) -> list[_Pattern]:
    """The missingness patterns of one group's rows ``X`` (NaN = missing; no row entirely missing),
    in a fixed order (sorted by pattern)."""
    mask = ~np.isnan(X)
    uniq, inverse = np.unique(mask, axis=0, return_inverse=True)
    out = []
    for k in range(uniq.shape[0]):
        obs = np.flatnonzero(uniq[k])
        rows = X[np.flatnonzero(inverse.ravel() == k)][:, obs]
        mean = rows.mean(axis=0)
        D = rows - mean
        out.append(_Pattern(group, obs, rows.shape[0], mean, D.T @ D / rows.shape[0], rows))
    return out


def _inverse_logdet(Sigma: np.ndarray) -> tuple[np.ndarray, float] | None:
    """``(Sigma^-1, log det Sigma)`` by Cholesky, or ``None`` when ``Sigma`` is not positive definite."""
    try:
        C = np.linalg.cholesky(Sigma)
    except np.linalg.LinAlgError:
        return None
    Ci = np.linalg.inv(C)
    return Ci.T @ Ci, float(2.0 * np.sum(np.log(np.diag(C))))


def _pattern_logl(pat: _Pattern, Sigma: np.ndarray, mu: np.ndarray) -> float:
    """Log-likelihood of a pattern's rows under N(mu, Sigma) (the observed parts)."""
    o = pat.obs
    S_oo = Sigma[np.ix_(o, o)]
    sign, logdet = np.linalg.slogdet(S_oo)
    if sign <= 0:
        return -np.inf
    d = pat.mean - mu[o]
    W = pat.cov + np.outer(d, d)
    return float(-pat.n / 2.0 * (len(o) * _LOG2PI + logdet + np.trace(np.linalg.solve(S_oo, W))))


def _em_stacks(pats: Sequence[_Pattern], p: int) -> list[tuple]:
    """The patterns stacked by their number of observed variables: ``(obs (K, k), mis (K, p - k),
    n (K,), mean (K, k), cov (K, k, k))``, in a fixed order (EM works a stack at a time)."""
    out = []
    for k in sorted({len(pt.obs) for pt in pats}):
        ps = [pt for pt in pats if len(pt.obs) == k]
        obs = np.stack([pt.obs for pt in ps])
        mis = np.stack([np.setdiff1d(np.arange(p), pt.obs) for pt in ps]).reshape(len(ps), p - k)
        out.append((obs, mis, np.array([pt.n for pt in ps], dtype=float), np.stack([pt.mean for pt in ps]),
                    np.stack([pt.cov for pt in ps])))  # fmt: skip
    return out


def _em_step(stacks: list[tuple], mu: np.ndarray, Sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sums ``T1 = sum n E[x]`` and ``T2 = sum n E[x x']`` over the patterns at ``(mu, Sigma)``: per
    stack one batched solve for the regressions of the missing on the observed variables."""
    p = len(mu)
    T1, T2 = np.zeros(p), np.zeros((p, p))
    for obs, mis, n, mean, cov in stacks:
        K, r = obs.shape[0], np.arange(obs.shape[0])[:, None]
        full = np.zeros((K, p))
        full[r, obs] = mean
        C = np.zeros((K, p, p))
        C[r[:, :, None], obs[:, :, None], obs[:, None, :]] = cov
        if mis.shape[1]:
            S_om = Sigma[obs[:, :, None], mis[:, None, :]]
            Bt = np.linalg.solve(Sigma[obs[:, :, None], obs[:, None, :]], S_om)  # (K, k, m): Bm'
            Bm = Bt.transpose(0, 2, 1)
            full[r, mis] = mu[mis] + np.einsum("kmo,ko->km", Bm, mean - mu[obs])
            C_mo = Bm @ cov
            C[r[:, :, None], mis[:, :, None], obs[:, None, :]] = C_mo
            C[r[:, :, None], obs[:, :, None], mis[:, None, :]] = C_mo.transpose(0, 2, 1)
            C[r[:, :, None], mis[:, :, None], mis[:, None, :]] = (
                C_mo @ Bt + Sigma[mis[:, :, None], mis[:, None, :]] - Bm @ S_om
            )
        T1 += n @ full
        T2 += np.tensordot(n, C + full[:, :, None] * full[:, None, :], axes=(0, 0))
    return T1, T2


def _em_moments(
    pats: Sequence[_Pattern], p: int, *, tol: float = 1e-13, max_iter: int = 20000
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Saturated (H1) mean vector and covariance matrix of one group by EM; returns
    ``(mean, cov, logl, converged)``."""
    N = sum(pt.n for pt in pats)
    s1, s2, cnt = np.zeros(p), np.zeros(p), np.zeros(p)
    for pt in pats:
        s1[pt.obs] += pt.n * pt.mean
        s2[pt.obs] += pt.n * (np.diag(pt.cov) + pt.mean**2)
        cnt[pt.obs] += pt.n
    mu = s1 / cnt
    Sigma = np.diag(s2 / cnt - mu**2)
    stacks = _em_stacks(pats, p)
    converged = False
    for _ in range(max_iter):
        T1, T2 = _em_step(stacks, mu, Sigma)
        mu_new = T1 / N
        Sigma_new = T2 / N - np.outer(mu_new, mu_new)
        Sigma_new = (Sigma_new + Sigma_new.T) / 2.0
        change = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(Sigma_new - Sigma)))
        mu, Sigma = mu_new, Sigma_new
        if change < tol * max(1.0, float(np.max(np.abs(Sigma)))):
            converged = True
            break
    logl = sum(_pattern_logl(pt, Sigma, mu) for pt in pats)
    return mu, Sigma, float(logl), converged


def _baseline_logl(pats: Sequence[_Pattern], p: int) -> float:
    """Log-likelihood of the independence model under FIML: each variable's ML mean and variance
    from its observed values."""
    total = 0.0
    for j in range(p):
        vals = np.concatenate([pt.rows[:, list(pt.obs).index(j)] for pt in pats if j in pt.obs])
        var = float(np.mean((vals - vals.mean()) ** 2))
        total += -len(vals) / 2.0 * (_LOG2PI + np.log(var) + 1.0)
    return total


class _FIMLEngine:
    """The FIML discrepancy ``F = 2 (logl_H1 - logl_H0) / N`` of the model of ``eng`` (which gives
    the implied moments and their derivatives), its gradient and expected information."""

    def __init__(self, eng: _Engine, pats: Sequence[_Pattern], logl_h1: float) -> None:
        self.eng = eng
        self.pats = list(pats)
        self.nfree = eng.nfree
        self.N = float(sum(pt.n for pt in pats))
        self.logl_h1 = logl_h1
        self._last_hessian: tuple = (None, None)  # (x as bytes, Hessian): see hessian()
        self._last_scores: tuple = (None, None)
        self.stacks = self._buckets()
        self.missing = [  # the missing variables of each stack's patterns (K, p - k)
            np.stack([np.setdiff1d(np.arange(eng.p), o) for o in obs]).reshape(len(obs), -1)
            for _, obs, *_ in self.stacks
        ]

    def _buckets(self) -> list[tuple]:
        """The patterns stacked by group and number of observed variables, so that each stack is one
        batched factorisation: ``(group, obs (K, k), n (K,), mean (K, k), cov (K, k, k))``."""
        keys = sorted({(pt.group, len(pt.obs)) for pt in self.pats})
        stacks = []
        for g, k in keys:
            ps = [pt for pt in self.pats if pt.group == g and len(pt.obs) == k]
            obs, means, covs = (np.stack([getattr(pt, a) for pt in ps]) for a in ("obs", "mean", "cov"))
            stacks.append((g, obs, np.array([pt.n for pt in ps], dtype=float), means, covs))
        return stacks

    def _terms(self, x: np.ndarray):
        """Per stack of patterns: ``(g, obs, n, Si, d, W, logl)`` at ``x``; ``None`` when some observed
        sub-matrix of the implied covariance is not positive definite.

        Where the group's whole implied covariance is positive definite and a pattern misses few
        variables, ``Sigma_oo^-1`` is the Schur complement ``P_oo - P_om P_mm^-1 P_mo`` of ``P = Sigma^-1``
        and ``log det Sigma_oo = log det Sigma + log det P_mm`` (one factorisation of the missing block,
        ``O(k^2 m)``, instead of one of the observed block per pattern, ``O(k^3)``)."""
        moments = [self.eng.implied(x, g) for g in range(self.eng.G)]
        whole = [_inverse_logdet(Sigma) for Sigma, _ in moments]
        out = []
        for (g, obs, n, mean, cov), mis in zip(self.stacks, self.missing):
            Sigma, mu = moments[g]
            K, k = obs.shape
            m = Sigma.shape[0] - k
            if whole[g] is not None and 2 * m <= k:
                P, ld = whole[g]
                if m == 0:
                    Si, logdet = np.broadcast_to(P[obs[:, :, None], obs[:, None, :]], (K, k, k)), np.full(K, ld)
                else:
                    P_om = P[obs[:, :, None], mis[:, None, :]]
                    Cm = np.linalg.cholesky(P[mis[:, :, None], mis[:, None, :]])
                    Z = np.linalg.solve(Cm, P_om.transpose(0, 2, 1))  # Cm^-1 P_mo
                    Si = P[obs[:, :, None], obs[:, None, :]] - Z.transpose(0, 2, 1) @ Z
                    Si = (Si + Si.transpose(0, 2, 1)) / 2.0
                    logdet = ld + 2.0 * np.sum(np.log(np.diagonal(Cm, axis1=1, axis2=2)), axis=1)
            else:
                try:
                    C = np.linalg.cholesky(Sigma[obs[:, :, None], obs[:, None, :]])
                except np.linalg.LinAlgError:
                    return None
                Ci = np.linalg.inv(C)
                Si = Ci.transpose(0, 2, 1) @ Ci
                logdet = 2.0 * np.sum(np.log(np.diagonal(C, axis1=1, axis2=2)), axis=1)
            d = mean - mu[obs]
            W = cov + d[:, :, None] * d[:, None, :]
            trace = np.einsum("kij,kji->k", Si, W)
            ll = float(np.sum(-n / 2.0 * (obs.shape[1] * _LOG2PI + logdet + trace)))
            out.append((g, obs, n, Si, d, W, ll))
        return out

    def loglik(self, x: np.ndarray) -> float:
        """The casewise log-likelihood summed over the patterns of every group."""
        terms = self._terms(x)
        return -np.inf if terms is None else float(sum(t[-1] for t in terms))

    def fmin(self, x: np.ndarray) -> float:
        ll = self.loglik(x)
        return float(2.0 * (self.logl_h1 - ll) / self.N) if np.isfinite(ll) else np.inf

    def fun_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        eng, p = self.eng, self.eng.p
        terms = self._terms(x)
        if terms is None:
            return 1e10, np.zeros(self.nfree)
        Gm = np.zeros((eng.G, p * p))  # dF/dSigma, the patterns' blocks added in place
        gmu = np.zeros((eng.G, p))  # Sigma_oo^-1 d, weighted
        for g, obs, n, Si, d, W, _ in terms:
            w = n / self.N
            Gk = w[:, None, None] * (Si - Si @ W @ Si)
            idx = (obs[:, :, None] * p + obs[:, None, :]).ravel()
            Gm[g] += np.bincount(idx, weights=Gk.ravel(), minlength=p * p)
            gmu[g] += np.bincount(
                obs.ravel(), weights=(w[:, None] * np.einsum("kij,kj->ki", Si, d)).ravel(), minlength=p
            )
        grad = np.zeros(self.nfree)
        for g in range(eng.G):
            grad[eng.index[g].free] += eng.contract(x, g, Gm[g].reshape(p, p), -2.0 * gmu[g])
        ll = sum(t[-1] for t in terms)
        return float(2.0 * (self.logl_h1 - ll) / self.N), grad

    def info(self, x: np.ndarray) -> np.ndarray:
        """The optimizer's metric: the expected Hessian of F as if the data were complete (at the implied
        moments). It exceeds the FIML curvature by the missing information, so steps are short of the
        Newton step and never overshoot; the estimates do not depend on it (the gradient is exact), and
        it costs one product per group instead of one per pattern."""
        eng, q = self.eng, self.nfree
        H = np.zeros((q, q))
        for g in range(eng.G):
            idx = eng.index[g].free  # the group's own parameters
            H[np.ix_(idx, idx)] += eng.ns[g] / self.N * eng.trace_products(x, g, np.linalg.inv(eng.implied(x, g)[0]))
        return H

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """The analytic Hessian of F (``N / 2`` times the observed information), lavaan's
        ``observed.information = "hessian"``; raises ``numpy.linalg.LinAlgError`` where F is not
        defined. Per group: the patterns' terms through the first derivatives of the moments
        (:func:`_pattern_hessian`) plus the second derivatives of the moments weighted by dF/dSigma
        and dF/dmu (``moment_hessian`` of the engine). The last one is kept (a copy is returned): the
        scaled chi-square and the standard errors of an MLR fit both need it at the estimates."""
        key = np.asarray(x, dtype=float).tobytes()
        if self._last_hessian[0] != key:
            self._last_hessian = (key, self._hessian(x))
        return self._last_hessian[1].copy()

    def _hessian(self, x: np.ndarray) -> np.ndarray:
        eng, p, q = self.eng, self.eng.p, self.nfree
        terms = self._terms(x)
        if terms is None:
            raise np.linalg.LinAlgError("the implied covariance matrix is not positive definite")
        H = np.zeros((q, q))
        for g in range(eng.G):
            own = [t for t in terms if t[0] == g]
            K = sum(t[1].shape[0] for t in own)
            P, Q, v, w = np.zeros((K, p, p)), np.zeros((K, p, p)), np.zeros((K, p)), np.zeros(K)
            k0 = 0
            for _, obs, n, Si, d, W, _ in own:
                rows = np.arange(k0, k0 + obs.shape[0])
                P[rows[:, None, None], obs[:, :, None], obs[:, None, :]] = Si
                Q[rows[:, None, None], obs[:, :, None], obs[:, None, :]] = Si @ W @ Si
                v[rows[:, None], obs] = np.einsum("kij,kj->ki", Si, d)
                w[rows] = n / self.N
                k0 += obs.shape[0]
            idx, dS, dm = eng.jacobian_sub(x, g)  # the group's own parameters
            H[np.ix_(idx, idx)] += _pattern_hessian(P, Q, v, w, dS, dm)
            Gm = np.einsum("k,kij->ij", w, P - Q)  # dF/dSigma
            H += eng.moment_hessian(x, g, (Gm + Gm.T) / 2.0, -2.0 * (w @ v))
        return (H + H.T) / 2.0

    def case_scores(self, x: np.ndarray, *, block: int = 1024) -> np.ndarray:
        """Casewise scores of the log-likelihood (rows in pattern order): row i of pattern o has
        ``score_a = -1/2 <dSigma_a, P - y y'> + dmu_a' y`` with ``P = Sigma_oo^-1`` and
        ``y = P (x_i - mu_o)`` zero-padded to the p variables, so that ``block`` rows at a time are one
        product with the flattened ``dSigma`` (no restriction of the derivatives per pattern). The last
        scores are kept, as :meth:`hessian`."""
        key = (np.asarray(x, dtype=float).tobytes(), block)
        if self._last_scores[0] != key:
            self._last_scores = (key, self._case_scores(x, block=block))
        return self._last_scores[1].copy()

    def _case_scores(self, x: np.ndarray, *, block: int) -> np.ndarray:
        eng, p = self.eng, self.eng.p
        out = []
        for g in range(eng.G):
            idx, dS, dm = eng.jacobian_sub(x, g)  # the group's own parameters; the other scores are 0
            Sigma, mu = eng.implied(x, g)
            dSf = dS.reshape(dS.shape[0], -1)
            rows_M, rows_Y = [], []
            pats = [pt for pt in self.pats if pt.group == g]
            for k, pt in enumerate(pats):
                o = pt.obs
                Si = np.linalg.inv(Sigma[np.ix_(o, o)])
                Y = np.zeros((pt.n, p))
                Y[:, o] = (pt.rows - mu[o]) @ Si
                Pp = np.zeros((p, p))
                Pp[np.ix_(o, o)] = Si
                rows_M.append(Pp.ravel()[None, :] - (Y[:, :, None] * Y[:, None, :]).reshape(pt.n, -1))
                rows_Y.append(Y)
                if sum(len(r) for r in rows_Y) >= block or k == len(pats) - 1:
                    sc = np.zeros((sum(len(r) for r in rows_Y), self.nfree))
                    sc[:, idx] = -0.5 * np.vstack(rows_M) @ dSf.T + np.vstack(rows_Y) @ dm.T
                    out.append(sc)
                    rows_M, rows_Y = [], []
        return np.vstack(out)


def _pattern_hessian(
    P: np.ndarray, Q: np.ndarray, v: np.ndarray, w: np.ndarray, dS: np.ndarray, dm: np.ndarray
) -> np.ndarray:
    """The part of the Hessian of F through the first derivatives of the moments, summed over patterns.

    Pattern k (weight ``w = n_k / N``) has ``P = Sigma_oo^-1``, ``Q = P W P`` (``W`` the cross-products
    about the implied means) and ``v = P (mean - mu_o)``, zero-padded to the p variables, so that
    ``dS`` (q, p, p) and ``dm`` (q, p) need no restriction. With ``A = dSigma_a``, ``B = dSigma_b``:
    ``H_ab = sum_k w [tr(A P B Z) + tr(A Z B P) + 2 dmu_a' P B v + 2 dmu_b' P A v + 2 dmu_a' P dmu_b]``,
    ``Z = Q - P / 2`` (the derivative of the gradient ``tr((P - Q) A) - 2 dmu_a' v``; cf. Savalei &
    Rosseel 2022 and Yuan & Bentler 2000 for the observed information under FIML). The patterns enter
    through ``R = sum_k w P_k (x) Z_k`` (one product over the patterns), computed in slices of rows so
    that its memory stays below about 32 MB, and then contracted with ``dS`` (cost ``q p^4``, not per
    pattern)."""
    q, p = dS.shape[0], dS.shape[1]
    Z = Q - P / 2.0
    wP = w[:, None, None] * P
    dSf = dS.reshape(q, p * p)
    Kab = np.zeros((q, q))
    step = max(1, 4_000_000 // p**3)
    for j0 in range(0, p, step):
        J = slice(j0, min(p, j0 + step))
        R = np.tensordot(wP[:, J, :], Z, axes=(0, 0))  # [j, k, l, i] = sum w P_jk Z_li
        jb = R.shape[0]
        Y = dSf @ R.transpose(1, 2, 0, 3).reshape(p * p, jb * p)  # [b, (j, i)] = sum_kl B_kl R[j,k,l,i]
        Kab += dS[:, :, J].transpose(0, 2, 1).reshape(q, jb * p) @ Y.T  # sum_ij A_ij Y[b, j, i]
    Rm = np.tensordot(wP, v, axes=(0, 0)).reshape(p, p * p)  # [i, (k, l)] = sum w P_ik v_l
    C = dm @ Rm @ dSf.T
    return Kab + Kab.T + 2.0 * (C + C.T) + 2.0 * dm @ wP.sum(axis=0) @ dm.T


def _fiml_vcov(feng: _FIMLEngine, x: np.ndarray, *, estimator: str) -> np.ndarray:
    """Covariance of the estimates: inverse observed information (ML), or the sandwich with the
    casewise FIML scores (MLR). Raises ``numpy.linalg.LinAlgError`` when it is singular."""
    H = feng.hessian(x)
    if np.min(np.linalg.eigvalsh(H)) <= 1e-10 * max(1.0, np.max(np.abs(H))):
        raise np.linalg.LinAlgError("singular information")
    Ainv = np.linalg.inv(feng.N / 2.0 * H)
    if estimator == "ML":
        return Ainv
    sc = feng.case_scores(x)
    return Ainv @ (sc.T @ sc) @ Ainv


def _fiml_fit(fm, *, logl: float, logl_h1: float, logl_base: float, npar: int, N: float, bdf: int):
    """``fm`` (computed on the EM moments) with lavaan's FIML log-likelihoods, baseline chi-square,
    CFI, TLI and information criteria."""
    bchisq = 2.0 * (logl_h1 - logl_base)
    chisq, df = fm.chisq, fm.df
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, bchisq - bdf, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli = (bchisq / bdf - chisq / df) / (bchisq / bdf - 1.0) if df > 0 else 1.0  # lavaan's 1 when saturated
    return dataclasses.replace(
        fm,
        baseline_chisq=float(bchisq),
        baseline_df=int(bdf),
        baseline_pvalue=float(stats.chi2.sf(bchisq, bdf)),
        cfi=float(cfi),
        tli=float(tli),
        logl=float(logl),
        unrestricted_logl=float(logl_h1),
        aic=float(-2 * logl + 2 * npar),
        bic=float(-2 * logl + npar * np.log(N)),
        bic2=float(-2 * logl + npar * np.log((N + 2) / 24)),
    )


@dataclass(frozen=True)
class _FIMLData:
    labels: list[str]
    S: list[np.ndarray]  # EM (H1) covariance per group
    means: list[np.ndarray]  # EM (H1) means per group
    ns: list[int]
    pats: list[_Pattern]
    logl_h1: float
    logl_base: float
    em_converged: bool


def _fiml_data(labels: list[str], blocks: Sequence[np.ndarray], p: int) -> _FIMLData:
    """Patterns, EM moments and the H1 and baseline log-likelihoods of every group. They depend on the data
    only: the last data set's are kept (keyed by a digest of the rows), so that the fits of one invariance run
    (configural, metric, scalar) run the EM once. The result is shared: never change it in place."""
    h = hashlib.sha256(repr((list(labels), p)).encode())
    for X in blocks:
        X = np.ascontiguousarray(X, dtype=float)
        h.update(repr(X.shape).encode())
        h.update(X.tobytes())
    key = h.hexdigest()
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()  # one data set at a time
        _DATA_CACHE[key] = _compute_fiml_data(labels, blocks, p)
    return _DATA_CACHE[key]


_DATA_CACHE: dict[str, _FIMLData] = {}


@single_thread_blas()  # many small matrices (stats._common)
def _compute_fiml_data(labels: list[str], blocks: Sequence[np.ndarray], p: int) -> _FIMLData:
    S, means, pats = [], [], []
    logl_h1 = logl_base = 0.0
    ok = True
    for g, X in enumerate(blocks):
        pg = _patterns(X, g)
        try:
            mu, Sigma, ll, conv = _em_moments(pg, p)
        except np.linalg.LinAlgError:
            where = f" in group {labels[g]!r}" if len(blocks) > 1 else ""
            raise ValueError(
                f"data: the covariance matrix of the model's variables{where} is singular (a variable is constant "
                "or a linear combination of others, e.g. a duplicated item); remove it from the model"
            ) from None
        S.append(Sigma)
        means.append(mu)
        pats.extend(pg)
        logl_h1 += ll
        logl_base += _baseline_logl(pg, p)
        ok = ok and conv
    return _FIMLData(labels, S, means, [X.shape[0] for X in blocks], pats, logl_h1, logl_base, ok)


def _newton_polish(feng: _FIMLEngine, x: np.ndarray, *, steps: int = 4) -> np.ndarray:
    """A few Newton steps with the analytic Hessian from the optimizer's estimates. The optimizer's
    metric (the expected information) leaves the FIML estimates 1e-9..1e-8 from the optimum, which
    would show in the 8 significant digits of the results (issue 13); Newton's steps converge
    quadratically, to the rounding level of the gradient. A step is kept only if it shrinks the
    gradient without raising F beyond its rounding."""
    f0, g = feng.fun_grad(x)
    for _ in range(steps):
        if not np.isfinite(f0) or np.max(np.abs(g)) < 1e-15:
            break
        try:
            xn = x - np.linalg.solve(feng.hessian(x), g)
        except np.linalg.LinAlgError:
            break
        fn, gn = feng.fun_grad(xn)
        if not (np.isfinite(fn) and fn <= f0 + 1e-12 * max(1.0, abs(f0)) and np.max(np.abs(gn)) < np.max(np.abs(g))):
            break
        x, f0, g = xn, fn, gn
    return x


def _newton_descent(
    feng: _FIMLEngine, x: np.ndarray, *, steps: int = 30, gtol: float = 1e-9
) -> tuple[np.ndarray, bool]:
    """Newton's method with the analytic Hessian of the FIML discrepancy and step halving (each step lowers
    it), from start values near the optimum (a bootstrap replicate's, from the full data's estimates).
    Returns ``(x, converged)``: False, for the optimizer to take over, where a step is not a descent (an
    indefinite Hessian far from the optimum) or halving does not find a lower value."""
    f, g = feng.fun_grad(x)
    for _ in range(steps):
        if not np.isfinite(f) or f >= 1e10:
            return x, False
        if np.max(np.abs(g), initial=0.0) < gtol:
            return x, True
        try:
            d = np.linalg.solve(feng.hessian(x), g)
        except np.linalg.LinAlgError:
            return x, False
        if not g @ d > 0:
            return x, False
        t = 1.0
        while True:
            fn, gn = feng.fun_grad(x - t * d)
            if np.isfinite(fn) and fn < 1e10 and fn <= f:
                break
            t /= 2.0
            if t < 1e-4:
                return x, False
        x, f, g = x - t * d, fn, gn
    return x, bool(np.max(np.abs(g), initial=0.0) < gtol)


@single_thread_blas()  # many small matrices (stats._common)
def _fit_fiml(
    eng: _Engine, fd: _FIMLData, x0: np.ndarray, table: Sequence[_Par], *, estimator: str, max_iter: int, who: str
) -> tuple[np.ndarray, bool, int, FitMeasures, np.ndarray]:
    """Fit the model of ``eng`` (built on the EM moments of ``fd``, with a mean structure) by FIML;
    intercepts start at the EM means. Returns ``(x, converged, iterations, fit, vcov)``; ``vcov``
    is NaN (with a :class:`~emstudy.errors.ModelWarning`) when the information is singular."""
    if not fd.em_converged:
        warnings.warn(
            f"{who}: the EM estimate of the saturated model did not converge; the chi-square is unreliable",
            ConvergenceWarning,
            stacklevel=5,  # user -> sem or cfa -> _fit_sem -> _fit_by_fiml -> here
        )
    x0 = x0.copy()
    for t in table:
        if t.free >= 0 and t.mat == "nu":
            x0[t.free] = fd.means[t.group][t.row]
    feng = _FIMLEngine(eng, fd.pats, fd.logl_h1)
    x, converged, nit = _optimize(feng, x0, max_iter)
    x = _newton_polish(feng, x)
    fm = _fit_measures(eng, x, feng.fmin(x))
    fm = _fiml_fit(
        fm,
        logl=feng.loglik(x),
        logl_h1=fd.logl_h1,
        logl_base=fd.logl_base,
        npar=eng.nfree,
        N=feng.N,
        bdf=eng.G * eng.p * (eng.p - 1) // 2,
    )
    if estimator == "MLR":
        fm = _yuan_bentler(feng, x, fd, fm)
    try:
        cov = _fiml_vcov(feng, x, estimator=estimator)
    except np.linalg.LinAlgError:
        warnings.warn(
            f"{who}: the information matrix is singular; the model may not be identified and standard errors "
            "are not available",
            ModelWarning,
            stacklevel=5,
        )
        cov = np.full((eng.nfree, eng.nfree), np.nan)
    return x, converged, nit, fm, cov


class _Saturated:
    """The saturated model as an engine: its free parameters are the means and the covariances
    (upper triangle) of every group, and the implied moments are these parameters."""

    def __init__(self, p: int, G: int) -> None:
        self.p, self.G = p, G
        self.iu = np.triu_indices(p)
        self.k = p + len(self.iu[0])
        self.nfree = G * self.k
        self.dS = np.zeros((self.k, p, p))
        self.dm = np.zeros((self.k, p))
        self.dm[:p] = np.eye(p)
        for idx, (i, j) in enumerate(zip(*self.iu)):
            self.dS[p + idx, i, j] = self.dS[p + idx, j, i] = 1.0

    def pack(self, moments: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """The parameter vector of the moments ``(Sigma, mu)`` of every group."""
        return np.concatenate([np.concatenate([mu, Sigma[self.iu]]) for Sigma, mu in moments])

    def implied(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        seg = x[g * self.k : (g + 1) * self.k]
        Sigma = np.zeros((self.p, self.p))
        Sigma[self.iu] = seg[self.p :]
        Sigma = Sigma + np.triu(Sigma, 1).T
        return Sigma, seg[: self.p].copy()

    @property
    def index(self) -> list[SimpleNamespace]:
        """Each group's own parameters (its means and covariances), as the engine's ``index[g].free``."""
        return [SimpleNamespace(free=np.arange(g * self.k, (g + 1) * self.k)) for g in range(self.G)]

    def jacobian_sub(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Group ``g``'s own parameters and the derivatives of its moments w.r.t. them."""
        return self.index[g].free, self.dS, self.dm

    def contract(self, x: np.ndarray, g: int, G: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``<G, dSigma_a> + h' dmu_a`` over group ``g``'s own parameters."""
        return self.dS.reshape(self.k, -1) @ G.ravel() + self.dm @ h

    def trace_products(self, x: np.ndarray, g: int, Si: np.ndarray) -> np.ndarray:
        """``tr(Si dSigma_a Si dSigma_b) + 2 dmu_a' Si dmu_b`` over group ``g``'s own parameters."""
        return _trace_products(self.dS, self.dm, Si)

    def jacobian(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        dS = np.zeros((self.nfree, self.p, self.p))
        dm = np.zeros((self.nfree, self.p))
        dS[g * self.k : (g + 1) * self.k] = self.dS
        dm[g * self.k : (g + 1) * self.k] = self.dm
        return dS, dm

    def moment_hessian(self, x: np.ndarray, g: int, G: np.ndarray, h: np.ndarray) -> np.ndarray:
        """The moments are the parameters: no second derivatives."""
        return np.zeros((self.nfree, self.nfree))


def _trace_ab(feng: _FIMLEngine, x: np.ndarray) -> float:
    """trace(A^-1 B): A the observed information, B the cross-product of the casewise scores."""
    H = feng.hessian(x)
    sc = feng.case_scores(x)
    return float(np.trace(np.linalg.solve(feng.N / 2.0 * H, sc.T @ sc)))


def _yuan_bentler(feng: _FIMLEngine, x: np.ndarray, fd: _FIMLData, fm: FitMeasures) -> FitMeasures:
    """``fm`` with the Yuan-Bentler scaled chi-square under FIML (lavaan's MLR with ``missing = "ml"``):
    c = (tr(A1^-1 B1) - tr(A0^-1 B0)) / df, A observed information and B cross-product of the casewise
    scores, of the saturated model (1, at the EM moments) and of the model (0, at the estimates)."""
    if fm.df <= 0:  # a saturated model: lavaan reports chisq.scaled = chisq (0) and no scaling factor (NA)
        return dataclasses.replace(fm, chisq_scaled=fm.chisq)
    from emstudy.stats.cfa.robust import _group_info  # robust.py builds on this module: imported here

    # tr(A1^-1 B1) of the saturated model, group by group in closed form (the groups share no parameter) and
    # kept per data set: the same number as _trace_ab of the _Saturated engine (test_stats_cfa_fiml), without
    # one solve of order G p (p + 3) / 2 per fit (6120 for 48 items in five groups)
    tr1 = _group_info(fd, feng.eng.p, feng.eng.G)[1]
    c = (tr1 - _trace_ab(feng, x)) / fm.df
    return dataclasses.replace(
        fm,
        chisq_scaled=fm.chisq / c,
        chisq_scaling_factor=float(c),
        pvalue_scaled=float(stats.chi2.sf(fm.chisq / c, fm.df)),
    )
