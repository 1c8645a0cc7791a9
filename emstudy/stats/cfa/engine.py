"""The estimation engine of the CFA and SEM: model-implied moments and the ML optimizer.

The parameter table (built by :func:`~emstudy.stats.cfa.semengine._build_sem_table` for ``cfa()`` and
``sem()`` alike) lists every parameter of every group (matrix ``L`` loadings, ``T`` residual
(co)variances, ``P`` factor (co)variances, ``nu`` intercepts, ``a`` latent means; ``B`` regressions in
the sem engine) with the index of its free parameter; equality constraints across groups share one
index. :class:`_GroupIndex` turns each group's rows into index arrays once, so that the matrices and
their derivatives need no loop over the table; each derivative of the implied covariance is kept in
low-rank form ``u w' + w u'`` (:meth:`_Engine.entries`) over the group's own parameters only.
:class:`_Engine` evaluates lavaan's ML discrepancy (without lavaan's factor 1/2), its analytic
gradient and the expected information (small matrix products per group,
:meth:`_Engine.trace_products`), and the second derivatives of the implied moments contracted with
given weights (``_Engine.moment_hessian``, for the analytic FIML Hessian); :func:`_optimize`
minimises it by Fisher scoring in a trust region (:func:`_scoring`, with scipy's ``trust-exact`` and
BFGS as fallbacks) and polishes to a gradient at rounding level (Fisher steps, then, on flat optima,
Newton steps with :func:`_observed_hessian`, central differences of the gradient: :func:`_newton_finish`);
:func:`_case_scores` serves the robust (MLR) standard errors, whose observed information is the analytic
one of the FIML code (``estimate._analytic_hessian``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

from emstudy.stats._common import single_thread_blas

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


_MATS = ("L", "T", "P", "B", "nu", "a")


class _GroupIndex:
    """One group's rows of the parameter table as index arrays, built once: where each matrix
    element sits and which free parameter (or fixed value) it takes (``slots``), the group's own
    free parameters (``free``, sorted) and, per matrix, the free rows ordered by parameter
    (``ent``: entry, row, column), so that the moments and their derivatives need no loop over the
    table."""

    def __init__(self, rows: Sequence[_Par]) -> None:
        self.slots = {}
        for mat in _MATS:
            ts = [t for t in rows if t.mat == mat]
            free = np.array([t.free for t in ts], dtype=np.intp)
            self.slots[mat] = (
                np.array([t.row for t in ts], dtype=np.intp),
                np.array([t.col for t in ts], dtype=np.intp),
                np.flatnonzero(free >= 0),
                free[free >= 0],
                np.array([t.value for t in ts], dtype=float),
            )
        fr = sorted((t for t in rows if t.free >= 0), key=lambda t: t.free)
        ids = np.array([t.free for t in fr], dtype=np.intp)
        self.free = np.unique(ids)
        self.pos = np.searchsorted(self.free, ids)  # the entry's row in the group's derivatives
        self.unique = len(self.pos) == len(self.free)  # each parameter once in the group
        self.n = len(fr)
        self.ent = {
            mat: tuple(
                np.array(v, dtype=np.intp).reshape(-1)
                for v in zip(*[(e, t.row, t.col) for e, t in enumerate(fr) if t.mat == mat])
            )
            or (np.zeros(0, np.intp),) * 3
            for mat in _MATS
        }

    def values(self, x: np.ndarray, mat: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, columns and values of one matrix's elements at ``x``."""
        row, col, sel, free, value = self.slots[mat]
        v = value.copy()
        v[sel] = x[free]
        return row, col, v


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
        self.index = [_GroupIndex(rows) for rows in self.by_group]

    def _fill(self, x: np.ndarray, g: int) -> tuple[np.ndarray, ...]:
        """Lambda, Theta, Psi, nu, alpha and B of group ``g`` at ``x`` (Theta and Psi symmetric)."""
        p, m, gi = self.p, self.m, self.index[g]
        L, T, P, B = np.zeros((p, m)), np.zeros((p, p)), np.zeros((m, m)), np.zeros((m, m))
        nu, a = np.zeros(p), np.zeros(m)
        for mat, M in (("L", L), ("B", B), ("T", T), ("P", P)):
            r, c, v = gi.values(x, mat)
            M[r, c] = v
            if mat in ("T", "P"):
                M[c, r] = v
        r, _, v = gi.values(x, "nu")
        nu[r] = v
        r, _, v = gi.values(x, "a")
        a[r] = v
        return L, T, P, nu, a, B

    def matrices(self, x: np.ndarray, g: int):
        return self._fill(x, g)[:5]

    def implied(self, x: np.ndarray, g: int):
        L, T, P, nu, a = self.matrices(x, g)
        Sigma = L @ P @ L.T + T
        mu = nu + L @ a if self.meanstructure else self.means[g].copy()
        return Sigma, mu

    def _jac_parts(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``Lambda A``, ``Lambda A Psi A'`` and ``A alpha`` with ``A = (I - B)^-1`` (``A = I``
        without a B matrix): the factors of the first derivatives of the moments."""
        mats = self.matrices(x, g)
        L, P, a = mats[0], mats[2], mats[4]
        if len(mats) > 5:
            A = np.linalg.inv(np.eye(self.m) - mats[5])
            return L @ A, L @ (A @ P @ A.T), A @ a
        return L, L @ P, a

    def entries(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The derivatives of group ``g``'s moments w.r.t. each free row of its table (``index[g]``) in
        low-rank form: ``dSigma_e = u_e w_e' + w_e u_e'`` and ``dmu_e``, as ``(U, W, Em)`` (rows e).

        With ``J = Lambda A``, ``A = (I - B)^-1`` and ``M = A Psi A'``: a loading (r, c) has
        ``u = e_r, w = (Lambda M)_c``; a regression (r, c) ``u = J_r, w =
        (Lambda M)_c``; a (co)variance of Psi ``u = J_r, w = J_c`` (halved on the diagonal), of Theta
        ``u = e_r, w = e_c`` (halved on the diagonal); ``dmu`` is ``e_r (A alpha)_c``, ``J_r (A alpha)_c``,
        ``e_r`` for an intercept and ``J_r`` for a latent mean."""
        gi, p = self.index[g], self.p
        LA, LM, Aa = self._jac_parts(x, g)
        U, W, Em = np.zeros((gi.n, p)), np.zeros((gi.n, p)), np.zeros((gi.n, p))
        e, r, c = gi.ent["L"]
        U[e, r] = 1.0
        W[e] = LM[:, c].T
        Em[e, r] = Aa[c]
        e, r, c = gi.ent["B"]
        U[e] = LA[:, r].T
        W[e] = LM[:, c].T
        Em[e] = LA[:, r].T * Aa[c][:, None]
        e, r, c = gi.ent["P"]
        U[e] = LA[:, r].T * np.where(r == c, 0.5, 1.0)[:, None]
        W[e] = LA[:, c].T
        e, r, c = gi.ent["T"]
        U[e, r] = np.where(r == c, 0.5, 1.0)
        W[e, c] = 1.0
        e, r, _ = gi.ent["nu"]
        Em[e, r] = 1.0
        e, r, _ = gi.ent["a"]
        Em[e] = LA[:, r].T
        if not self.meanstructure:
            Em[:] = 0.0
        return U, W, Em

    def _collapse(self, g: int, M: np.ndarray, *, both: bool = False) -> np.ndarray:
        """Rows (and with ``both`` also columns) of entries summed into group ``g``'s free parameters (a
        parameter may have several rows in a group, through labels)."""
        gi = self.index[g]
        if gi.unique:
            return M
        agg = np.zeros((len(gi.free), gi.n))
        agg[gi.pos, np.arange(gi.n)] = 1.0
        return agg @ M @ agg.T if both else agg @ M

    def jacobian_sub(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The derivatives of group ``g``'s moments w.r.t. its own free parameters only:
        ``(free, dSigma (k, p, p), dmu (k, p))``, ``free`` the parameters' indices (sorted). The
        other parameters' derivatives are zero (in a configural model most of them)."""
        U, W, Em = self.entries(x, g)
        E = U[:, :, None] * W[:, None, :]
        E = E + E.transpose(0, 2, 1)
        k = len(self.index[g].free)
        dS = self._collapse(g, E.reshape(len(E), -1)).reshape(k, self.p, self.p)
        return self.index[g].free, dS, self._collapse(g, Em)

    def jacobian(self, x: np.ndarray, g: int):
        """Derivatives of Sigma (q, p, p) and mu (q, p) w.r.t. all the free parameters."""
        idx, dSg, dmg = self.jacobian_sub(x, g)
        dS, dm = np.zeros((self.nfree, self.p, self.p)), np.zeros((self.nfree, self.p))
        dS[idx], dm[idx] = dSg, dmg
        return dS, dm

    def _group_terms(self, x: np.ndarray, g: int):
        Sigma, mu = self.implied(x, g)
        sign, logdet = np.linalg.slogdet(Sigma)
        if sign <= 0:
            return None
        try:
            np.linalg.cholesky(Sigma)  # positive definite (a positive determinant may hide two negative eigenvalues)
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
            grad[self.index[g].free] += w * self.contract(x, g, Gm, -2.0 * (Si @ d))
        return float(total), grad

    def contract(self, x: np.ndarray, g: int, G: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``<G, dSigma_a> + h' dmu_a`` for group ``g``'s own free parameters ``a`` (``index[g].free``)."""
        U, W, Em = self.entries(x, g)
        return self._collapse(g, np.sum((U @ G) * W, axis=1) + np.sum((W @ G) * U, axis=1) + Em @ h)

    def info(self, x: np.ndarray) -> np.ndarray:
        """Expected Hessian of F_ML (= 2 x unit expected information, weighted by N_g/N):
        ``H_ab = sum_g N_g/N [tr(Si dSigma_a Si dSigma_b) + 2 dmu_a' Si dmu_b]``, per group over its
        own parameters only, as two matrix products (BLAS): ``C_a = dSigma_a Si`` stacked as one
        ``(k p, p) x (p, p)`` product, then ``tr(C_a C_b) = vec(C_a) . vec(C_b')``."""
        H = np.zeros((self.nfree, self.nfree))
        for g in range(self.G):
            idx = self.index[g].free
            H[np.ix_(idx, idx)] += self.ns[g] / self.N * self.trace_products(x, g, np.linalg.inv(self.implied(x, g)[0]))
        return H

    def trace_products(self, x: np.ndarray, g: int, Si: np.ndarray) -> np.ndarray:
        """``tr(Si dSigma_a Si dSigma_b) + 2 dmu_a' Si dmu_b`` over group ``g``'s own free parameters, from
        the low-rank derivatives (:meth:`entries`): with ``A_uu = U Si U'``, ``A_ww = W Si W'`` and
        ``A_uw = U Si W'`` it is ``2 (A_uu * A_ww + A_uw * A_uw')`` (elementwise), i.e. ``O(k p^2 + k^2 p)``
        instead of the ``O(k^2 p^2)`` of the dense trace."""
        U, W, Em = self.entries(x, g)
        SU, SW = U @ Si, W @ Si
        Auw = SU @ W.T
        H = 2.0 * ((SU @ U.T) * (SW @ W.T) + Auw * Auw.T) + 2.0 * (Em @ Si) @ Em.T
        return self._collapse(g, H, both=True)

    def _maps(self, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The constant derivatives of Lambda (k, p, m), B, Psi (k, m, m) and the latent means (k, m)
        w.r.t. group ``g``'s own free parameters (``index[g].free``; the matrices are linear in them)."""
        gi, p, m = self.index[g], self.p, self.m
        n = gi.n
        Ld, Bd, Pd, ad = np.zeros((n, p, m)), np.zeros((n, m, m)), np.zeros((n, m, m)), np.zeros((n, m))
        for mat, D in (("L", Ld), ("B", Bd), ("P", Pd)):
            e, r, c = gi.ent[mat]
            D[e, r, c] += 1.0
            if mat == "P":
                D[e, c, r] += (r != c).astype(float)
        e, r, _ = gi.ent["a"]
        ad[e, r] += 1.0
        if gi.unique:
            return Ld, Bd, Pd, ad
        out = tuple(np.zeros((len(gi.free),) + D.shape[1:]) for D in (Ld, Bd, Pd, ad))
        for D, summed in zip((Ld, Bd, Pd, ad), out):
            np.add.at(summed, gi.pos, D)
        return out  # type: ignore[return-value]

    def moment_hessian(self, x: np.ndarray, g: int, G: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``H[a, b] = <G, d2 Sigma / da db> + <h, d2 mu / da db>`` for a symmetric ``G`` (p, p) and ``h`` (p,).

        With ``J = Lambda A``, ``A = (I - B)^-1``, ``Sigma = J Psi J' + Theta`` and ``mu = nu + J alpha``:
        ``dJ_a = (Lambda_a + J B_a) A``, ``d2J_ab = dJ_a B_b A + dJ_b B_a A``, and
        ``<G, Sigma_ab> = 2 <G, d2J_ab Psi J' + dJ_a Psi dJ_b' + dJ_a Psi_b J' + dJ_b Psi_a J'>``,
        ``mu_ab = d2J_ab alpha + dJ_a alpha_b + dJ_b alpha_a`` (the matrices are linear in the parameters,
        so Theta and nu have no second derivatives). Matrix products over group ``g``'s own parameters,
        no loop; the other rows and columns are zero."""
        mats = self.matrices(x, g)
        L, P, a = mats[0], mats[2], mats[4]
        idx = self.index[g].free
        m, q = self.m, len(idx)
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
        out = np.zeros((self.nfree, self.nfree))
        out[np.ix_(idx, idx)] = H + C + C.T
        return out


def _trace_products(dS: np.ndarray, dm: np.ndarray, Si: np.ndarray) -> np.ndarray:
    """``tr(Si dS_a Si dS_b) + 2 dm_a' Si dm_b`` for all pairs ``(a, b)`` of the stacks ``dS`` (k, p, p)
    and ``dm`` (k, p), with ``Si`` symmetric (matrix products only)."""
    k, p = dS.shape[0], dS.shape[1]
    C = (dS.reshape(k * p, p) @ Si).reshape(k, p, p)  # dS_a Si
    Ct = np.ascontiguousarray(C.transpose(0, 2, 1)).reshape(k, p * p)
    return C.reshape(k, p * p) @ Ct.T + 2.0 * dm @ Si @ dm.T


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
    means saturated): ``score_a = -1/2 tr(Si dS_a) + 1/2 y' dS_a y`` with ``y = Si (x_i - xbar)``; with the
    low-rank derivatives ``dS_a = u w' + w u'`` (:meth:`_Engine.entries`) it is
    ``-u' Si w + (y'u)(y'w)``, two ``(n, p) x (p, k)`` products instead of an einsum over rows x moments."""
    Si = np.linalg.inv(eng.implied(x, 0)[0])
    U, W, _ = eng.entries(x, 0)
    Y = (X - X.mean(axis=0)) @ Si
    rows = -np.sum((U @ Si) * W, axis=1)[None, :] + (Y @ U.T) * (Y @ W.T)
    out = np.zeros((X.shape[0], eng.nfree))
    out[:, eng.index[0].free] = eng._collapse(0, rows.T).T
    return out


def _scoring(eng: _Engine, x: np.ndarray, max_iter: int, *, gtol: float = 1e-9) -> tuple[np.ndarray, bool, int]:
    """Fisher scoring in a trust region: the step ``s = -(H + lam D)^-1 g`` (``H`` the expected information
    ``eng.info``, ``D`` its diagonal; ``lam > 0`` only where ``H`` is not numerically positive definite),
    shortened to the trust radius ``delta``. A step is taken when it lowers F (or, near the optimum where F
    changes below its rounding, when it shrinks the gradient); ``delta`` follows the ratio of the actual
    to the predicted decrease ``-(g's + s'Hs/2)`` as in a trust-region method (starting at 1, as scipy's
    ``trust-exact``), so that the first steps from the start values stay near them, and near the optimum
    the steps are plain Fisher scoring. Stops when the largest gradient element is below ``gtol``;
    returns ``(x, converged, iterations)``.

    Each step costs one Cholesky factorisation and one gradient, and each taken step one information
    matrix (two small matrix products per group), where ``trust-exact`` solves its subproblem by repeated
    factorisations and eigenvalue bounds (Lee & Jennrich 1979; Nocedal & Wright 2006, ch. 4)."""
    f, g = eng.fun_grad(x)
    if not np.isfinite(f) or f >= 1e10:
        return x, False, 0
    H, lam, delta, it, rejected = eng.info(x), 0.0, 1.0, 0, 0
    while it < max_iter and rejected < 40:
        gmax = float(np.max(np.abs(g))) if g.size else 0.0
        if gmax < gtol:
            return x, True, it
        try:
            step = -linalg.cho_solve(linalg.cho_factor(H + lam * np.diag(np.clip(np.diag(H), 1e-8, None))), g)
        except (np.linalg.LinAlgError, ValueError):
            lam, rejected = max(10.0 * lam, 1e-8), rejected + 1
            continue
        norm = float(np.linalg.norm(step))
        if norm > delta:
            step *= delta / norm
            norm = delta
        fn, gn = eng.fun_grad(x + step)
        actual = f - fn
        # F >= 0 wherever Sigma is positive definite: a step to F < 0 is a nearly singular Sigma whose F
        # has lost its precision, and is refused
        valid = np.isfinite(fn) and -1e-6 < fn < 1e10
        if valid and (actual > 0 or (actual >= -1e-12 * max(1.0, abs(f)) and np.max(np.abs(gn)) < gmax)):
            pred = -(g @ step + 0.5 * step @ H @ step)
            # a predicted decrease below the rounding of F says nothing about the model's fit: no shrinking
            rho = actual / pred if pred > 1e-11 * max(1.0, abs(f)) else 1.0
            x, f, g, it, rejected = x + step, fn, gn, it + 1, 0
            H = eng.info(x)
            lam = lam / 10.0 if lam > 1e-12 else 0.0
            if rho < 0.25:
                delta = 0.25 * norm
            elif rho > 0.75 and norm >= 0.99 * delta:
                delta = min(2.0 * delta, 1e3)
        else:
            delta, rejected = 0.25 * norm, rejected + 1
    return x, bool(g.size == 0 or np.max(np.abs(g)) < gtol), it


@single_thread_blas()  # small matrices: one BLAS thread is many times faster (stats._common)
def _optimize(eng: _Engine, x0: np.ndarray, max_iter: int) -> tuple[np.ndarray, bool, int]:
    """Minimise F from ``x0``: damped Fisher scoring (:func:`_scoring`); where it stops short (gradient
    above 1e-6), scipy's trust-region method with the expected information and then BFGS, as before;
    then a few Fisher-scoring polish steps to a gradient at rounding level. Returns
    ``(x, converged, iterations)``."""
    x, _, nit = _scoring(eng, x0, min(max_iter, 300))
    ok = np.isfinite(eng.fmin(x)) and np.max(np.abs(eng.fun_grad(x)[1])) < 1e-6  # the polish below does the rest
    if not ok:  # the former path, from the start values
        res = optimize.minimize(
            eng.fun_grad, x0, jac=True, hess=eng.info, method="trust-exact", options={"gtol": 1e-9, "maxiter": max_iter}
        )
        x, nit = res.x, nit + int(res.nit)
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
    return _newton_finish(eng, x), bool(ok), nit


def _newton_finish(eng: _Engine, x: np.ndarray, *, steps: int = 4, gtol: float = 1e-10) -> np.ndarray:
    """Newton steps with the Hessian of F (central differences of the analytic gradient) while the gradient
    is above ``gtol``. Fisher scoring converges only linearly where the model misfits and the optimum is flat
    (e.g. two factors correlating .9996): it can stop with a gradient of 1e-7, and then two routes to the
    same optimum (``cfa`` and ``sem``, another BLAS) differ in the 7th digit. Newton converges quadratically
    from there. A step is taken only when it does not raise F beyond its rounding and shrinks the gradient."""
    f0, g = eng.fun_grad(x)
    for _ in range(steps):
        if not np.isfinite(f0) or np.max(np.abs(g)) < gtol:
            break
        try:
            step = np.linalg.solve(_observed_hessian(eng, x), g)
        except np.linalg.LinAlgError:
            break
        fn, gn = eng.fun_grad(x - step)
        if not (np.isfinite(fn) and fn <= f0 + 1e-12 * max(1.0, abs(f0)) and np.max(np.abs(gn)) < np.max(np.abs(g))):
            break
        x, f0, g = x - step, fn, gn
    return x
