"""Equality constraints across groups for ordered items (ordinal invariance), as lavaan 0.6.14.

lavaan's ``group.equal`` with ordered items: ``"thresholds"`` makes each item's thresholds equal across
the groups (less those in ``group.partial``, written ``"A1|t2"``); ``"intercepts"`` does the same (the
intercepts of ordered items are fixed at 0, their location is the thresholds'). With equal thresholds
lavaan frees, in every group beyond the first, the latent means and the scales of the latent responses:
with ``parameterization="delta"`` the scaling factors (``~*~``, fixed at 1 in the first group), with
``"theta"`` the residual variances (fixed at 1 in the first group; unless ``"residuals"`` is in
``group.equal``). The other classes (``"loadings"``, ``"lv.variances"``, ...) are the SEM engine's.

With latent means ``alpha`` (implied means ``mu = Lambda A alpha`` of the latent responses) and scaling
factors ``Delta``, the implied thresholds are ``Delta_i (tau_k - mu_i)`` and the correlations
``Delta_i Delta_j Sigma_ij`` (delta; ``Sigma`` without residual variances); with theta ``(tau_k - mu_i) / sd_i``
and ``Sigma_ij / (sd_i sd_j)``, ``sd = sqrt(diag(Sigma))``.

The scaled difference test of two nested fits is lavaan's ``lavTestLRT`` default for scaled-shifted
statistics (``method = "satorra.2000"``, ``A.method = "delta"``, ``scaled.shifted = TRUE``): with ``D1``,
``D0`` the Jacobians of the implied statistics of the less (1) and more (0) restricted models at their
estimates, ``A`` the orthogonal complement of ``H = D1^+ D0`` (the directions of the parameters of model
1 that model 0 fixes), ``P = sum_g (N_g / N) D1_g' W_g D1_g`` and ``X = P^-1 A' (A P^-1 A')^+ A P^-1``,
``U = W D1 X D1' W`` and the traces of ``U Gamma`` (``Gamma`` weighted by ``N_g / N``); the statistic is
``a (T0 - T1) + b`` with ``a = sqrt(m / tr((U Gamma)^2))``, ``b = m - a tr(U Gamma)`` on ``m = df0 - df1``
degrees of freedom (``T`` the unscaled statistics).

References
----------
Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of moment structures.
In R. D. H. Heijmans, D. S. G. Pollock, & A. Satorra (Eds.), Innovations in Multivariate Statistical
Analysis (pp. 233-247). Kluwer.
Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis models of different
levels of invariance for ordered categorical outcomes. Psychometrika, 81, 1014-1045.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

__all__: list[str] = []

#: The ``equal`` classes of ordered-item models (lavaan's ``group.equal`` names).
ORDERED_EQUAL = (
    "thresholds", "loadings", "intercepts", "means", "residuals", "lv.variances", "lv.covariances", "regressions",
    "residual.covariances",
)  # fmt: skip


@dataclass(frozen=True)
class _Extra:
    """Where the parameters beyond the SEM engine's are in the free vector, group by group: the thresholds
    (``th_index``, shared across groups when equal), the scaling factors (delta) and the latent means
    (``None``: fixed at 1 and 0), the positions of the latent variables in ``eta`` (``lat_pos``)."""

    th_index: list[np.ndarray]
    th_item: list[np.ndarray]
    scale_index: list[np.ndarray | None]
    mean_index: list[np.ndarray | None]
    lat_pos: np.ndarray
    nfree: int


def _thresholds_equal(equal: Sequence[str]) -> bool:
    """lavaan 0.6.14: ``"thresholds"`` or ``"intercepts"`` in ``group.equal`` makes the thresholds equal."""
    return "thresholds" in equal or "intercepts" in equal


def _extra_layout(
    nfree: int,
    thresholds: Sequence[Sequence[np.ndarray]],
    obs: Sequence[str],
    lat_pos: Sequence[int],
    *,
    equal: Sequence[str],
    partial: Sequence[str],
    parameterization: str,
) -> _Extra:
    """The free vector beyond the engine's ``nfree`` parameters: the groups' scaling factors and latent means
    (groups beyond the first, with equal thresholds), then the thresholds."""
    G, p = len(thresholds), len(obs)
    th_eq = _thresholds_equal(equal) and G > 1
    scale: list[np.ndarray | None] = [None] * G
    means: list[np.ndarray | None] = [None] * G
    start = nfree
    for g in range(1, G):
        if th_eq and parameterization == "delta":
            scale[g] = np.arange(start, start + p)
            start += p
        if th_eq and "means" not in equal and len(lat_pos):
            means[g] = np.arange(start, start + len(lat_pos))
            start += len(lat_pos)
    items = [np.concatenate([np.full(len(t), k, dtype=np.intp) for k, t in enumerate(th)]) for th in thresholds]
    keep = {s.replace(" ", "") for s in partial}
    th_index: list[np.ndarray] = []
    for g, th in enumerate(thresholds):
        if g > 0 and th_eq:
            counts = [len(t) for t in th]
            ref = [len(t) for t in thresholds[0]]
            if counts != ref:
                bad = [obs[j] for j in range(p) if counts[j] != ref[j]]
                raise ValueError(
                    f"equal: the items {bad} have different numbers of observed categories in the groups; equal "
                    "thresholds need the same categories in every group (merge rare categories, or drop "
                    "'thresholds' from equal)"
                )
            idx = th_index[0].copy()
            for n, j in enumerate(items[g]):
                rank = int(np.sum(items[g][:n] == j)) + 1
                if f"{obs[j]}|t{rank}" in keep:
                    idx[n] = start
                    start += 1
            th_index.append(idx)
        else:
            th_index.append(np.arange(start, start + len(items[g])))
            start += len(items[g])
    return _Extra(th_index, items, scale, means, np.asarray(lat_pos, dtype=np.intp), start)


def _mean_jacobian(model, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The implied means ``mu = Lambda A alpha`` of the latent responses and ``d mu / d x`` (``None`` when
    the latent means are fixed at 0 in group ``g``)."""
    ex, eng = model.extra, model.eng
    if ex.mean_index[g] is None:
        return np.zeros(model.p), None
    L, _T, _P, _B, A, _M, _nu, _a = eng.parts(x[: eng.nfree], g)
    alpha = np.zeros(eng.m)
    alpha[ex.lat_pos] = x[ex.mean_index[g]]
    LA, Aa = L @ A, A @ alpha
    dmu = np.zeros((model.p, model.nfree))
    dmu[:, ex.mean_index[g]] = LA[:, ex.lat_pos]
    for t in eng.table:
        if t.group != g or t.free < 0:
            continue
        if t.mat == "L":
            dmu[t.row, t.free] += Aa[t.col]
        elif t.mat == "B":
            dmu[:, t.free] += LA[:, t.row] * Aa[t.col]
    return L @ Aa, dmu


def _orthogonal_complement(H: np.ndarray) -> np.ndarray:
    """Rows spanning the orthogonal complement of the column space of ``H`` (lavaan's
    ``lav_matrix_orthogonal_complement``, transposed): the last columns of ``Q`` of a complete QR
    decomposition with column pivoting, beyond the rank (the diagonal of ``R`` above ``max(dim) eps |R_11|``)."""
    if H.shape[1] == 0:
        return np.eye(H.shape[0])
    Q, R, _piv = linalg.qr(H, mode="full", pivoting=True)
    d = np.abs(np.diag(R))
    rank = int(np.sum(d > max(H.shape) * np.finfo(float).eps * d[0]))
    return Q[:, rank:].T


def _group_blocks(model, x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each group's Jacobian restricted to the parameters its statistics depend on: ``(cols, D_g[:, cols])``
    (the other columns are 0; with several groups most of them)."""
    out = []
    for g in range(model.G):
        D = model.jacobian(x, g)
        cols = np.flatnonzero(np.any(D != 0.0, axis=0))
        out.append((cols, D[:, cols]))
    return out


def _add_jwj(H: np.ndarray, cols: np.ndarray, D: np.ndarray, w: np.ndarray, nth: int, scale: float) -> None:
    """``H[cols, cols] += scale D' diag(w) D``, the rows of the thresholds (the first ``nth``) and of the
    correlations apart: the correlations do not depend on the thresholds (nor on the latent means), so that
    each product has only the columns its rows depend on."""
    for rows in (slice(0, nth), slice(nth, None)):
        Dr = D[rows]
        sub = np.flatnonzero(np.any(Dr != 0.0, axis=0))
        Dc = Dr[:, sub]
        H[np.ix_(cols[sub], cols[sub])] += scale * ((Dc.T * w[rows]) @ Dc)


def _weighted_products(model, blocks: list, *, gamma: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """``P = sum_g w_g D_g' W_g D_g`` and (``gamma``) ``C = sum_g w_g D_g' W_g Gamma_g W_g D_g`` from the
    groups' restricted Jacobians ``blocks`` (:func:`_group_blocks`), ``w_g = N_g / N``."""
    k = model.nfree
    P, C = np.zeros((k, k)), (np.zeros((k, k)) if gamma else None)
    for (cols, D), n, w, gm, th in zip(blocks, model.ns, model.W, model.gamma, model.th_index):
        _add_jwj(P, cols, D, w, len(th), n / model.N)
        if gamma:
            WD = w[:, None] * D
            C[np.ix_(cols, cols)] += n / model.N * (WD.T @ (gm @ WD))
    return P, C


def _projection(b1: list, b0: list, n1: int, n0: int) -> np.ndarray | None:
    """``H = D1^+ D0`` (least squares of the stacked Jacobians, both of full column rank) from the groups'
    blocks: the normal equations, refined twice by the residuals (Bjorck's corrected semi-normal equations,
    as accurate as a QR decomposition of ``D1``); ``None`` if ``D1'D1`` is singular."""
    N, rhs = np.zeros((n1, n1)), np.zeros((n1, n0))
    for (c1, D1), (c0, D0) in zip(b1, b0):
        N[np.ix_(c1, c1)] += D1.T @ D1
        rhs[np.ix_(c1, c0)] += D1.T @ D0
    try:
        chol = linalg.cho_factor(N)
    except (np.linalg.LinAlgError, ValueError):
        return None
    d = np.abs(np.diag(chol[0]))
    if np.min(d) < 1e-10 * np.max(d):
        return None
    H = linalg.cho_solve(chol, rhs)
    for _ in range(2):
        corr = np.zeros((n1, n0))
        for (c1, D1), (c0, D0) in zip(b1, b0):
            R = -(D1 @ H[c1])
            R[:, c0] += D0
            corr[c1] += D1.T @ R
        H += linalg.cho_solve(chol, corr)
    return H


def _satorra2000(m1, x1: np.ndarray, fit1, m0, x0: np.ndarray, fit0) -> dict:
    """The scaled-shifted difference test of the nested ordered-item fits ``0`` (more restricted) and ``1``
    (lavaan's ``lavTestLRT(fit1, fit0)`` with WLSMV/ULSMV): ``chisq_diff, df_diff, pvalue_diff`` and the
    scale ``a`` and shift ``b``.

    The matrices are sums over the groups of each group's Jacobian restricted to the parameters of that group
    (:func:`_group_blocks`); with ``F = P^-1 A'`` and ``K = (A P^-1 A')^+`` (``X = F K F'``),
    ``tr(X C) = tr(K F'C F)`` and ``tr((X C)^2) = tr((K F'C F)^2)``, products of ``m x m`` matrices."""
    m = int(fit0.df - fit1.df)
    if m <= 0:
        return {"chisq_diff": float(fit0.chisq - fit1.chisq), "df_diff": m, "pvalue_diff": np.nan, "a": np.nan,
                "b": np.nan}  # fmt: skip
    b1 = _group_blocks(m1, x1)
    H = _projection(b1, _group_blocks(m0, x0), m1.nfree, m0.nfree)
    if H is None:  # D1 not of full column rank: the pseudo-inverse of the stacked Jacobian
        D0 = np.vstack([m0.jacobian(x0, g) for g in range(m0.G)])
        H = np.linalg.pinv(np.vstack([m1.jacobian(x1, g) for g in range(m1.G)])) @ D0
    A = _orthogonal_complement(H)
    P, C = _weighted_products(m1, b1, gamma=True)
    F = np.linalg.solve(P, A.T)
    K = np.linalg.pinv(A @ F)
    KG = K @ (F.T @ C @ F)
    tr1, tr2 = float(np.trace(KG)), float(np.sum(KG * KG.T))
    a = np.sqrt(m / tr2)
    b = m - a * tr1
    T = float((fit0.chisq - fit1.chisq) * a + b)
    return {"chisq_diff": T, "df_diff": m, "pvalue_diff": float(stats.chi2.sf(T, m)), "a": float(a), "b": float(b)}
