"""The estimation engine of the CFA: parameter table, model-implied moments and the ML optimizer.

The parameter table lists every parameter of every group (matrix ``L`` loadings, ``T`` residual
(co)variances, ``P`` factor (co)variances, ``nu`` intercepts, ``a`` latent means) with the index
of its free parameter; equality constraints across groups share one index. :class:`_Engine`
evaluates lavaan's ML discrepancy (without lavaan's factor 1/2), its analytic gradient and the
expected information, and the second derivatives of the implied moments contracted with given
weights (``_Engine.moment_hessian``, for the analytic FIML Hessian); :func:`_optimize` minimises
it; :func:`_observed_hessian` (central differences of the gradient; for FIML only a test oracle)
and :func:`_case_scores` serve the robust (MLR) standard errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from emstudy.stats.cfa.syntax import MeasurementModel

__all__: list[str] = []


@dataclass
class _Par:
    lhs: str
    op: str
    rhs: str
    group: int  # 0-based
    mat: str  # "L", "T", "P", "nu", "a"
    row: int
    col: int
    free: int  # index into the free vector, -1 if fixed
    value: float  # fixed value (or start value for free)


def _build_table(
    mm: MeasurementModel,
    ngroups: int,
    *,
    meanstructure: bool,
    equal: Sequence[str],
    partial: Sequence[str],
    std_lv: bool,
) -> tuple[list[_Par], int]:
    obs = mm.observed
    facs = mm.factors
    keys: dict[tuple, int] = {}
    table: list[_Par] = []

    def free_id(key: tuple, g: int, shared: bool) -> int:
        k = key if shared else key + (g,)
        if k not in keys:
            keys[k] = len(keys)
        return keys[k]

    eq = set(equal)
    part = {p.replace(" ", "") for p in partial}
    for g in range(ngroups):
        for k, f in enumerate(facs):
            for idx, it in enumerate(mm.items_of(f)):
                j = obs.index(it)
                if idx == 0 and not std_lv:
                    table.append(_Par(f, "=~", it, g, "L", j, k, -1, 1.0))
                else:
                    shared = "loadings" in eq and f"{f}=~{it}" not in part
                    table.append(_Par(f, "=~", it, g, "L", j, k, free_id(("L", j, k), g, shared), 1.0))
        for j, it in enumerate(obs):
            shared = "residuals" in eq and f"{it}~~{it}" not in part
            table.append(_Par(it, "~~", it, g, "T", j, j, free_id(("T", j), g, shared), 1.0))
        for k, f in enumerate(facs):
            if std_lv and (g == 0 or "loadings" not in eq):
                table.append(_Par(f, "~~", f, g, "P", k, k, -1, 1.0))
            else:
                shared = "lv.variances" in eq and f"{f}~~{f}" not in part
                table.append(_Par(f, "~~", f, g, "P", k, k, free_id(("P", k, k), g, shared), 0.05))
        for k in range(len(facs)):
            for m in range(k + 1, len(facs)):
                shared = "lv.covariances" in eq
                table.append(_Par(facs[k], "~~", facs[m], g, "P", m, k, free_id(("P", m, k), g, shared), 0.0))
        if meanstructure:
            for j, it in enumerate(obs):
                shared = "intercepts" in eq and f"{it}~1" not in part
                table.append(_Par(it, "~1", "", g, "nu", j, 0, free_id(("nu", j), g, shared), 0.0))
            for k, f in enumerate(facs):
                is_free = g > 0 and "intercepts" in eq and "means" not in eq
                fid = free_id(("a", k), g, False) if is_free else -1
                table.append(_Par(f, "~1", "", g, "a", k, 0, fid, 0.0))
    return table, len(keys)


class _Engine:
    """Model-implied moments, ML discrepancy, gradient and expected information."""

    def __init__(
        self,
        table: list[_Par],
        nfree: int,
        p: int,
        m: int,
        S: list[np.ndarray],
        means: list[np.ndarray],
        ns: list[int],
        meanstructure: bool,
    ) -> None:
        self.table, self.nfree, self.p, self.m = table, nfree, p, m
        self.S, self.means, self.ns = S, means, np.asarray(ns, dtype=float)
        self.N = float(np.sum(ns))
        self.G = len(S)
        self.meanstructure = meanstructure
        self.logdetS = [np.linalg.slogdet(s)[1] for s in S]
        self.by_group = [[t for t in table if t.group == g] for g in range(self.G)]

    def matrices(self, x: np.ndarray, g: int):
        p, m = self.p, self.m
        L = np.zeros((p, m))
        T = np.zeros((p, p))
        P = np.zeros((m, m))
        nu = np.zeros(p)
        a = np.zeros(m)
        for t in self.by_group[g]:
            v = x[t.free] if t.free >= 0 else t.value
            if t.mat == "L":
                L[t.row, t.col] = v
            elif t.mat == "T":
                T[t.row, t.col] = v
            elif t.mat == "P":
                P[t.row, t.col] = v
                P[t.col, t.row] = v
            elif t.mat == "nu":
                nu[t.row] = v
            else:
                a[t.row] = v
        return L, T, P, nu, a

    def implied(self, x: np.ndarray, g: int):
        L, T, P, nu, a = self.matrices(x, g)
        Sigma = L @ P @ L.T + T
        mu = nu + L @ a if self.meanstructure else self.means[g].copy()
        return Sigma, mu

    def jacobian(self, x: np.ndarray, g: int):
        """Derivatives of Sigma (q, p, p) and mu (q, p) w.r.t. the free parameters."""
        L, T, P, nu, a = self.matrices(x, g)
        q, p = self.nfree, self.p
        dS = np.zeros((q, p, p))
        dm = np.zeros((q, p))
        for t in self.by_group[g]:
            if t.free < 0:
                continue
            i = t.free
            if t.mat == "L":
                j, k = t.row, t.col
                v = P[k, :] @ L.T  # row j of dSigma: E_jk P L'
                dS[i, j, :] += v
                dS[i, :, j] += v
                if self.meanstructure:
                    dm[i, j] += a[k]
            elif t.mat == "T":
                dS[i, t.row, t.row] += 1.0
            elif t.mat == "P":
                r, c = t.row, t.col
                if r == c:
                    dS[i] += np.outer(L[:, r], L[:, r])
                else:
                    o = np.outer(L[:, r], L[:, c])
                    dS[i] += o + o.T
            elif t.mat == "nu":
                dm[i, t.row] += 1.0
            else:
                dm[i] += L[:, t.row]
        return dS, dm

    def _group_terms(self, x: np.ndarray, g: int):
        Sigma, mu = self.implied(x, g)
        sign, logdet = np.linalg.slogdet(Sigma)
        if sign <= 0:
            return None
        try:
            Si = np.linalg.inv(Sigma)
        except np.linalg.LinAlgError:
            return None
        d = self.means[g] - mu
        return Sigma, mu, Si, logdet, d

    def fmin(self, x: np.ndarray) -> float:
        """F_ML = sum_g (N_g/N) F_g (without lavaan's factor 1/2); chisq = N * F_ML."""
        total = 0.0
        for g in range(self.G):
            r = self._group_terms(x, g)
            if r is None:
                return np.inf
            Sigma, mu, Si, logdet, d = r
            f = logdet + np.trace(self.S[g] @ Si) - self.logdetS[g] - self.p + d @ Si @ d
            total += self.ns[g] / self.N * f
        return float(total)

    def fun_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        total = 0.0
        grad = np.zeros(self.nfree)
        for g in range(self.G):
            r = self._group_terms(x, g)
            if r is None:
                return 1e10, np.zeros(self.nfree)
            Sigma, mu, Si, logdet, d = r
            w = self.ns[g] / self.N
            f = logdet + np.trace(self.S[g] @ Si) - self.logdetS[g] - self.p + d @ Si @ d
            total += w * f
            Gm = Si - Si @ (self.S[g] + np.outer(d, d)) @ Si
            dS, dm = self.jacobian(x, g)
            grad += w * (np.einsum("ij,qij->q", Gm, dS) - 2.0 * dm @ (Si @ d))
        return float(total), grad

    def info(self, x: np.ndarray) -> np.ndarray:
        """Expected Hessian of F_ML (= 2 x unit expected information, weighted by N_g/N)."""
        H = np.zeros((self.nfree, self.nfree))
        for g in range(self.G):
            Sigma, mu = self.implied(x, g)
            Si = np.linalg.inv(Sigma)
            dS, dm = self.jacobian(x, g)
            A = np.einsum("ij,qjk->qik", Si, dS)  # Si dS_a
            H += self.ns[g] / self.N * (np.einsum("aij,bji->ab", A, A) + 2.0 * dm @ Si @ dm.T)
        return H

    def _maps(self, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The constant derivatives of Lambda (q, p, m), B, Psi (q, m, m) and the latent means (q, m)
        w.r.t. the free parameters (the matrices are linear in them)."""
        q, p, m = self.nfree, self.p, self.m
        Ld, Bd, Pd, ad = np.zeros((q, p, m)), np.zeros((q, m, m)), np.zeros((q, m, m)), np.zeros((q, m))
        for t in self.by_group[g]:
            i, r, c = t.free, t.row, t.col
            if i < 0:
                continue
            if t.mat == "L":
                Ld[i, r, c] += 1.0
            elif t.mat == "B":
                Bd[i, r, c] += 1.0
            elif t.mat == "P":
                Pd[i, r, c] += 1.0
                if r != c:
                    Pd[i, c, r] += 1.0
            elif t.mat == "a":
                ad[i, r] += 1.0
        return Ld, Bd, Pd, ad

    def moment_hessian(self, x: np.ndarray, g: int, G: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``H[a, b] = <G, d2 Sigma / da db> + <h, d2 mu / da db>`` for a symmetric ``G`` (p, p) and ``h`` (p,).

        With ``J = Lambda A``, ``A = (I - B)^-1``, ``Sigma = J Psi J' + Theta`` and ``mu = nu + J alpha``:
        ``dJ_a = (Lambda_a + J B_a) A``, ``d2J_ab = dJ_a B_b A + dJ_b B_a A``, and
        ``<G, Sigma_ab> = 2 <G, d2J_ab Psi J' + dJ_a Psi dJ_b' + dJ_a Psi_b J' + dJ_b Psi_a J'>``,
        ``mu_ab = d2J_ab alpha + dJ_a alpha_b + dJ_b alpha_a`` (the matrices are linear in the parameters,
        so Theta and nu have no second derivatives). Matrix products over the parameters, no loop."""
        mats = self.matrices(x, g)
        L, P, a = mats[0], mats[2], mats[4]
        m, q = self.m, self.nfree
        A = np.linalg.inv(np.eye(m) - mats[5]) if len(mats) > 5 else np.eye(m)
        J = L @ A
        Ld, Bd, Pd, ad = self._maps(g)
        dJ = (Ld + J @ Bd) @ A  # (q, p, m)
        flat = dJ.reshape(q, -1)
        H = 2.0 * (G @ dJ @ P).reshape(q, -1) @ flat.T
        coef_P = 2.0 * (J.T @ G @ dJ).transpose(0, 2, 1)  # coefficient of Psi_b, per a
        coef_B = 2.0 * (A @ (G @ J @ P).T @ dJ).transpose(0, 2, 1)  # coefficient of B_b, per a
        C = coef_P.reshape(q, -1) @ Pd.reshape(q, -1).T
        if self.meanstructure:
            u = np.einsum("qpm,p->qm", dJ, h)  # dJ_a' h
            coef_B = coef_B + u[:, :, None] * (A @ a)[None, None, :]
            C += u @ ad.T
        C += coef_B.reshape(q, -1) @ Bd.reshape(q, -1).T
        return H + C + C.T


def _start_values(table: list[_Par], nfree: int, S: list[np.ndarray], std_lv: bool) -> np.ndarray:
    x = np.zeros(nfree)
    seen: set[int] = set()
    for t in table:
        if t.free < 0 or t.free in seen:
            continue
        seen.add(t.free)
        Sg = S[t.group]
        if t.mat == "T":
            x[t.free] = 0.5 * Sg[t.row, t.row]
        elif t.mat == "L":
            x[t.free] = np.sqrt(0.5 * Sg[t.row, t.row]) if std_lv else 1.0
        elif t.mat == "P":
            x[t.free] = 0.05 if t.row == t.col else 0.0
            if std_lv and t.row == t.col:
                x[t.free] = 1.0
        else:
            x[t.free] = 0.0
    return x


def _observed_hessian(eng: _Engine, x: np.ndarray) -> np.ndarray:
    """Hessian of F_ML by central differences of the analytic gradient."""
    q = len(x)
    H = np.zeros((q, q))
    for a in range(q):
        h = 1e-6 * max(1.0, abs(x[a]))
        e = np.zeros(q)
        e[a] = h
        H[:, a] = (eng.fun_grad(x + e)[1] - eng.fun_grad(x - e)[1]) / (2 * h)
    return (H + H.T) / 2


def _case_scores(eng: _Engine, x: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Casewise scores of the normal log-likelihood w.r.t. the free parameters (single group,
    means saturated)."""
    Sigma, _ = eng.implied(x, 0)
    Si = np.linalg.inv(Sigma)
    dS, _ = eng.jacobian(x, 0)
    Dv = X - X.mean(axis=0)
    Y = Dv @ Si  # rows: (Si d_i)'
    # score_a = -1/2 tr((Si - Si d d' Si) dS_a) = -1/2 tr(Si dS_a) + 1/2 (Si d)' dS_a (Si d)
    const = -0.5 * np.einsum("ij,qji->q", Si, dS)
    quad = 0.5 * np.einsum("ni,qij,nj->nq", Y, dS, Y)
    return const[None, :] + quad


def _optimize(eng: _Engine, x0: np.ndarray, max_iter: int) -> tuple[np.ndarray, bool, int]:
    res = optimize.minimize(
        eng.fun_grad, x0, jac=True, hess=eng.info, method="trust-exact", options={"gtol": 1e-9, "maxiter": max_iter}
    )
    x, nit = res.x, int(res.nit)
    _, g = eng.fun_grad(x)
    ok = np.isfinite(eng.fmin(x)) and np.max(np.abs(g)) < 1e-6
    if not ok:
        res2 = optimize.minimize(eng.fun_grad, x, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": max_iter})
        x, nit = res2.x, nit + int(res2.nit)
        _, g = eng.fun_grad(x)
        ok = np.isfinite(eng.fmin(x)) and np.max(np.abs(g)) < 1e-5
    # Fisher-scoring polish: a few steps bring the gradient to rounding level
    for _ in range(5):
        f0, g = eng.fun_grad(x)
        if not np.isfinite(f0) or np.max(np.abs(g)) < 1e-12:
            break
        try:
            step = np.linalg.solve(eng.info(x), g)
        except np.linalg.LinAlgError:
            break
        xn = x - step
        fn, gn = eng.fun_grad(xn)
        # near the optimum f changes by ~|g|^2, below its rounding: a step is also taken when it shrinks the
        # gradient, so the estimates do not depend on the order of BLAS sums (issue 13)
        if np.isfinite(fn) and (
            fn < f0 or (fn <= f0 + 1e-12 * max(1.0, abs(f0)) and np.max(np.abs(gn)) < np.max(np.abs(g)))
        ):
            x = xn
        else:
            break
    return x, bool(ok), nit
