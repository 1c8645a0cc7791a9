"""Factor extraction and rotation engine shared by :mod:`emstudy.stats.efa` and omega.

Formulas only (arrays in, arrays out); the public functions of :mod:`emstudy.stats.efa` and
:func:`emstudy.stats.omega.omega` check their inputs and call these.

* :func:`extract` -- minimum residual, maximum likelihood or iterated principal axis with the optimiser
  set-up of ``psych::fa`` (R's ``optim(method = "L-BFGS-B")`` with ``parscale = 0.01``), as
  :func:`emstudy.stats.efa.efa` uses.
* :func:`minres_exact` / :func:`minres_one` -- minimum residual solved to machine precision (analytic
  gradient of the unexplained eigenvalues, tight tolerances; Newton's method for one factor), as omega
  uses.
* :func:`varimax`, :func:`promax`, :func:`gp_oblique`, :func:`gp_orthogonal` with the criteria
  :func:`vgq_oblimin`, :func:`vgq_quartimax`, :func:`vgq_geomin`, and :func:`rotate` by name.

Rotation tolerances are parameters: efa uses GPArotation's defaults (``eps = 1e-5``, 1000 iterations,
a failed line search still takes its last step), omega tighter ones (``eps = 1e-8``, stop when the line
search finds no improvement).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize

__all__ = [
    "PSI_LOWER",
    "Extraction",
    "eigh_desc",
    "extract",
    "gp_oblique",
    "gp_orthogonal",
    "minres_exact",
    "minres_one",
    "promax",
    "rotate",
    "sign_vector",
    "smc",
    "varimax",
    "vgq_geomin",
    "vgq_oblimin",
    "vgq_quartimax",
]

PSI_LOWER = 0.005  # psych's lower bound on uniquenesses (minres and ml)

Criterion = Callable[[np.ndarray], tuple[float, np.ndarray]]


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------


def smc(r: np.ndarray, *, inverse: Literal["pinv", "inv"] = "pinv") -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)``.

    ``inverse="pinv"`` (efa, as ``psych::smc``): pseudo-inverse, clipped to [0, 1]. ``inverse="inv"``
    (omega's start values): the inverse, unclipped, and 0.5 for every item when ``r`` is singular.
    """
    if inverse == "inv":
        try:
            return 1.0 - 1.0 / np.diag(np.linalg.inv(r))
        except np.linalg.LinAlgError:
            return np.full(r.shape[0], 0.5)
    out = 1.0 - 1.0 / np.diag(np.linalg.pinv(r))
    return np.clip(out, 0.0, 1.0)


def eigh_desc(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and eigenvectors of a symmetric matrix."""
    vals, vecs = np.linalg.eigh(m)
    return vals[::-1], vecs[:, ::-1]


def sign_vector(lam: np.ndarray) -> np.ndarray:
    """Per-factor signs that make each column of ``lam`` sum to a non-negative number (psych)."""
    s = np.sign(lam.sum(axis=0))
    s[s == 0] = 1.0
    return s


def _uls_loadings(psi: np.ndarray, r: np.ndarray, nf: int) -> np.ndarray:
    vals, vecs = eigh_desc(r - np.diag(psi))
    return vecs[:, :nf] * np.sqrt(np.maximum(vals[:nf], 0.0))


# ----------------------------------------------------------------------------------------------
# Extraction with psych::fa's optimiser set-up
# ----------------------------------------------------------------------------------------------


def _minres_objective(psi: np.ndarray, r: np.ndarray, nf: int) -> float:
    s = r.copy()
    np.fill_diagonal(s, 1.0 - psi)
    vals, vecs = eigh_desc(s)
    v = vals[:nf].copy()
    v[v < np.finfo(float).eps] = 100 * np.finfo(float).eps
    lam = vecs[:, :nf] * np.sqrt(v)
    resid = s - lam @ lam.T
    low = resid[np.tril_indices_from(resid, -1)]
    return float(np.sum(low**2))


def _minres_gradient(psi: np.ndarray, r: np.ndarray, nf: int) -> np.ndarray:
    # The stationarity condition used by psych: model communality equals 1 - psi.
    lam = _uls_loadings(psi, r, nf)
    return np.sum(lam**2, axis=1) + psi - np.diag(r)


def _ml_loadings(psi: np.ndarray, r: np.ndarray, nf: int) -> np.ndarray:
    sc = 1.0 / np.sqrt(psi)
    vals, vecs = eigh_desc(r * np.outer(sc, sc))
    lam = vecs[:, :nf] * np.sqrt(np.maximum(vals[:nf] - 1.0, 0.0))
    return lam * np.sqrt(psi)[:, None]


def _ml_objective(psi: np.ndarray, r: np.ndarray, nf: int) -> float:
    sc = 1.0 / np.sqrt(psi)
    vals = np.linalg.eigvalsh(r * np.outer(sc, sc))[::-1]
    e = vals[nf:]
    return -float(np.sum(np.log(e) - e) - nf + r.shape[0])


def _ml_gradient(psi: np.ndarray, r: np.ndarray, nf: int) -> np.ndarray:
    lam = _ml_loadings(psi, r, nf)
    g = np.sum(lam**2, axis=1) + psi - np.diag(r)
    return g / psi**2


def _lbfgsb(
    fun: Callable[[np.ndarray, np.ndarray, int], float],
    grad: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
    start: np.ndarray,
    r: np.ndarray,
    nf: int,
    upper: float,
) -> optimize.OptimizeResult:
    # Same set-up as R's optim(method="L-BFGS-B", control=list(parscale=0.01)) used by psych:
    # parameters scaled by 1/0.01, factr = 1e7, pgtol = 0, m = 5, maxit = 100.
    scale = 0.01
    res = optimize.minimize(
        lambda x: fun(x * scale, r, nf),
        start / scale,
        jac=lambda x: grad(x * scale, r, nf) * scale,
        method="L-BFGS-B",
        bounds=[(PSI_LOWER / scale, upper / scale)] * len(start),
        options={"maxcor": 5, "ftol": 1e7 * np.finfo(float).eps, "gtol": 0.0, "maxiter": 100, "maxfun": 15000},
    )
    res.x = res.x * scale
    return res


@dataclass(frozen=True)
class Extraction:
    """Unrotated loadings with the extraction's final criterion and convergence information."""

    loadings: np.ndarray
    objective: float
    converged: bool
    n_iter: int
    message: str


def _principal_axis(r: np.ndarray, nf: int, start: np.ndarray, min_err: float, max_iter: int) -> Extraction:
    """Iterated principal axis from ``start`` communalities, psych's stopping rule."""
    p = r.shape[0]
    rm = r.copy()
    np.fill_diagonal(rm, start)
    comm = float(np.sum(start))
    err = comm
    i = 1
    converged = True
    lam = np.zeros((p, nf))
    while err > min_err:
        vals, vecs = eigh_desc(rm)
        if np.any(vals[:nf] < 0):
            raise ValueError(
                "method='pa': the reduced correlation matrix has negative leading eigenvalues; "
                "try fewer factors or method='minres'"
            )
        lam = vecs[:, :nf] * np.sqrt(vals[:nf])
        new = np.sum(lam**2, axis=1)
        comm1 = float(np.sum(new))
        np.fill_diagonal(rm, new)
        err = abs(comm - comm1)
        comm = comm1
        i += 1
        if i > max_iter:
            converged = bool(err <= min_err)
            break
    resid = r - lam @ lam.T
    obj = float(np.sum(resid[np.tril_indices(p, -1)] ** 2))
    return Extraction(lam, obj, converged, i - 1, "principal axis iterations")


def extract(r: np.ndarray, nf: int, method: str, *, min_err: float = 0.001, max_iter: int = 50) -> Extraction:
    """Unrotated ``nf``-factor solution of the correlation matrix ``r`` as ``psych::fa`` finds it.

    ``method`` is ``"minres"``, ``"ml"`` (L-BFGS-B on the uniquenesses from ``1 - SMC``, bounds
    ``[0.005, max(1, max SMC)]``) or ``"pa"`` (iterated principal axis until the sum of communalities
    changes by less than ``min_err``, at most ``max_iter`` iterations).
    """
    s = smc(r)
    if method == "pa":
        return _principal_axis(r, nf, s, min_err, max_iter)
    start = np.diag(r) - s
    upper = max(float(np.max(s)), 1.0)
    if method == "minres":
        res = _lbfgsb(_minres_objective, _minres_gradient, start, r, nf, upper)
        lam = _uls_loadings(res.x, r, nf)
    else:
        res = _lbfgsb(_ml_objective, _ml_gradient, start, r, nf, upper)
        lam = _ml_loadings(res.x, r, nf)
    msg = str(res.message)
    # psych accepts optim's result whatever its convergence code; an abnormal line search at the
    # optimum is common with psych's approximate gradient, so only the iteration limit counts.
    converged = bool(res.nit < 100)
    return Extraction(lam, float(res.fun), converged, int(res.nit), msg)


# ----------------------------------------------------------------------------------------------
# Minimum residual to machine precision (omega)
# ----------------------------------------------------------------------------------------------


def minres_exact(r: np.ndarray, nf: int) -> np.ndarray:
    """Unrotated minimum-residual (ULS) loadings solved tightly (Harman & Jones, 1966).

    Minimizes half the sum of the squared unexplained eigenvalues of ``r`` with ``1 - psi`` on its
    diagonal (analytic gradient), over the uniquenesses ``psi`` bounded in [0.005, 1] as psych, starting
    from ``1 - SMC``; each factor is signed so that its loadings sum to a positive value.
    """
    k = r.shape[0]
    start = np.clip(1.0 - smc(r, inverse="inv"), PSI_LOWER, 1.0)

    def uls(psi: np.ndarray) -> tuple[float, np.ndarray]:
        s = r.copy()
        np.fill_diagonal(s, 1.0 - psi)
        vals, vecs = np.linalg.eigh(s)
        rest_vals = vals[: k - nf]
        rest_vecs = vecs[:, : k - nf]
        f = 0.5 * float((rest_vals**2).sum())
        g = -(rest_vecs**2) @ rest_vals
        return f, g

    res = optimize.minimize(
        uls,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(PSI_LOWER, 1.0)] * k,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000},
    )
    s = r.copy()
    np.fill_diagonal(s, 1.0 - res.x)
    vals, vecs = eigh_desc(s)
    lam = vecs[:, :nf] * np.sqrt(np.maximum(vals[:nf], 0.0))
    return lam * sign_vector(lam)


def minres_one(r: np.ndarray) -> np.ndarray:
    """One-factor minres loadings by Newton's method on the loadings (fast path of :func:`minres_exact`).

    Minimizes ``sum_{i != j} (r_ij - l_i l_j)^2`` directly; falls back to :func:`minres_exact` when
    Newton does not converge cleanly or a loading reaches the psych bound (uniqueness below 0.005).
    """
    k = r.shape[0]
    if k >= 3:
        r0 = r - np.diag(np.diag(r))
        vals, vecs = np.linalg.eigh(r0 + np.diag(smc(r, inverse="inv")))
        lam = vecs[:, -1] * math.sqrt(max(vals[-1], 1e-6))
        for _ in range(100):
            ss = float(lam @ lam)
            grad = -4.0 * (r0 @ lam - lam * (ss - lam**2))
            if np.abs(grad).max() < 1e-13:
                break
            hess = -4.0 * (r0 - 2.0 * np.outer(lam, lam))
            np.fill_diagonal(hess, 4.0 * (ss - lam**2))
            try:
                step = np.linalg.solve(hess, grad)
            except np.linalg.LinAlgError:
                break
            lam = lam - step
        else:
            lam = None
        if lam is not None and np.abs(grad).max() < 1e-10 and np.all(lam**2 <= 0.995):
            if np.linalg.eigvalsh(hess).min() > 0:
                return (lam if lam.sum() >= 0 else -lam)[:, None]
    return minres_exact(r, 1)


# ----------------------------------------------------------------------------------------------
# Rotations
# ----------------------------------------------------------------------------------------------


def varimax(
    x: np.ndarray, *, normalize: bool = True, eps: float = 1e-5, max_iter: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """Kaiser's varimax by the SVD iteration, stopping rule as ``stats::varimax``.

    Returns the rotated loadings and the rotation matrix. ``normalize`` applies Kaiser normalization;
    the iteration stops when the criterion grows by less than the relative ``eps``.
    """
    p, k = x.shape
    sc = np.sqrt(np.sum(x**2, axis=1)) if normalize else np.ones(p)
    xn = x / sc[:, None]
    tt = np.eye(k)
    d = 0.0
    for _ in range(max_iter):
        z = xn @ tt
        b = xn.T @ (z**3 - z @ np.diag(np.sum(z**2, axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast = d
        d = float(np.sum(s))
        if d < dpast * (1 + eps):
            break
    return (xn @ tt) * sc[:, None], tt


def promax(x: np.ndarray, *, m: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """psych's promax (``fa(rotate="promax")``): Kaiser-normalised, varimax, power-``m`` target."""
    h = np.sqrt(np.sum(x**2, axis=1))
    xn = x / h[:, None]
    v, rot = varimax(xn)
    q = v * np.abs(v) ** (m - 1)
    u, *_ = np.linalg.lstsq(v, q, rcond=None)
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u * np.sqrt(d)[None, :]
    z = v @ u
    total = rot @ u
    ui = np.linalg.inv(total)
    phi = ui @ ui.T
    return z * h[:, None], phi


def vgq_oblimin(lam: np.ndarray, gamma: float = 0.0) -> tuple[float, np.ndarray]:
    """Oblimin criterion (quartimin for ``gamma = 0``) and its gradient in the loadings."""
    p, k = lam.shape
    l2 = lam**2
    x = l2 @ (np.ones((k, k)) - np.eye(k))
    if gamma != 0:
        x = (np.eye(p) - gamma / p * np.ones((p, p))) @ x
    return float(np.sum(l2 * x) / 4), lam * x


def vgq_quartimax(lam: np.ndarray) -> tuple[float, np.ndarray]:
    """Quartimax criterion and its gradient."""
    return float(-np.sum(lam**4) / 4), -(lam**3)


def vgq_geomin(lam: np.ndarray, delta: float = 0.01) -> tuple[float, np.ndarray]:
    """Geomin criterion and its gradient."""
    k = lam.shape[1]
    l2 = lam**2 + delta
    pro = np.exp(np.sum(np.log(l2), axis=1) / k)
    return float(np.sum(pro)), (2.0 / k) * (lam / l2) * pro[:, None]


def gp_oblique(
    a: np.ndarray,
    vgq: Criterion,
    *,
    eps: float = 1e-5,
    max_iter: int = 1000,
    max_halvings: int = 11,
    stop_on_stall: bool = False,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Oblique gradient-projection rotation (Jennrich 2002; Bernaards & Jennrich 2005).

    Starts from the identity. Stops when the projected gradient's norm falls below ``eps`` or after
    ``max_iter`` iterations; each line search halves the step at most ``max_halvings`` times and, when
    none improves, takes the last step (GPArotation) or, with ``stop_on_stall``, stops there.
    Returns the pattern loadings, the factor correlations and whether ``eps`` was reached.
    """
    k = a.shape[1]
    t = np.eye(k)
    al = 1.0
    lam = a @ np.linalg.inv(t).T
    f, gq = vgq(lam)
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    s = np.inf
    for _ in range(max_iter + 1):
        gp = g - t @ np.diag(np.sum(t * g, axis=0))
        s = float(np.sqrt(np.sum(gp**2)))
        if s < eps:
            break
        al *= 2
        improved = False
        for _ls in range(max_halvings):
            x = t - al * gp
            tt = x / np.sqrt(np.sum(x**2, axis=0))[None, :]
            tinv = np.linalg.inv(tt)
            lam = a @ tinv.T
            ft, gqt = vgq(lam)
            if f - ft > 0.5 * s**2 * al:
                improved = True
                break
            al /= 2
        if stop_on_stall and not improved:  # at the optimum to machine precision
            break
        t = tt
        f = ft
        g = -(lam.T @ gqt @ tinv).T
    lam = a @ np.linalg.inv(t).T
    return lam, t.T @ t, bool(s < eps)


def gp_orthogonal(a: np.ndarray, vgq: Criterion, *, eps: float = 1e-5, max_iter: int = 1000) -> tuple[np.ndarray, bool]:
    """Orthogonal gradient-projection rotation (Jennrich 2001; Bernaards & Jennrich 2005)."""
    k = a.shape[1]
    t = np.eye(k)
    al = 1.0
    lam = a @ t
    f, gq = vgq(lam)
    g = a.T @ gq
    s = np.inf
    for _ in range(max_iter + 1):
        mm = t.T @ g
        sym = (mm + mm.T) / 2
        gp = g - t @ sym
        s = float(np.sqrt(np.sum(gp**2)))
        if s < eps:
            break
        al *= 2
        for _ls in range(11):
            x = t - al * gp
            u, _, vt = np.linalg.svd(x)
            tt = u @ vt
            lam = a @ tt
            ft, gqt = vgq(lam)
            if f - ft > 0.5 * s**2 * al:
                break
            al /= 2
        t = tt
        f = ft
        g = a.T @ gqt
    return a @ t, bool(s < eps)


def rotate(lam: np.ndarray, rotation: str) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Rotate by name with efa's settings: loadings, factor correlations (``None`` if orthogonal), converged."""
    if rotation == "varimax":
        return varimax(lam)[0], None, True
    if rotation == "promax":
        z, phi = promax(lam)
        return z, phi, True
    if rotation == "quartimax":
        out, ok = gp_orthogonal(lam, vgq_quartimax)
        return out, None, ok
    if rotation == "oblimin":
        return gp_oblique(lam, vgq_oblimin)
    if rotation == "geomin":
        return gp_oblique(lam, vgq_geomin)
    raise ValueError(f"rotation: unknown rotation {rotation!r}")
