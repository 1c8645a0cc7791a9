"""Structural equation models of ordered (Likert) items by (diagonally) weighted least squares, as lavaan.

The categorical approach of lavaan and Mplus: each ordered item is the discretised version of a latent
normal response; the sample statistics are the items' thresholds and the polychoric correlations of the
latent responses, with their asymptotic covariance (:mod:`emstudy.stats.cfa.categorical`). The model is the
SEM engine's (:mod:`~emstudy.stats.cfa.semengine`, ``Sigma = Lambda A Psi A' Lambda' + Theta``) with the
items' intercepts and the latent means fixed at 0, thresholds free, and

* ``parameterization="delta"`` (lavaan's default): the latent responses have unit variance, the residual
  variances are not parameters but ``1 - diag(Lambda A Psi A' Lambda')``; the implied correlations are the
  off-diagonal elements of ``Sigma``, the implied thresholds ``tau``;
* ``parameterization="theta"``: the residual variances are fixed at 1, the implied correlations are those of
  ``Sigma`` and the implied thresholds ``tau / sqrt(diag(Sigma))`` (lavaan's scaling factors ``~*~``,
  ``1 / sqrt(diag(Sigma))``, in the table).

With several groups, ``equal`` (lavaan's ``group.equal``: ``"thresholds"``, ``"loadings"``, ``"intercepts"``...)
and ``group_partial`` constrain parameters across groups; with equal thresholds the latent means and the
scaling factors (delta) or residual variances (theta) are free beyond the first group, as in lavaan 0.6.14
(:mod:`~emstudy.stats.cfa.wls_groups`).

:func:`_fit_wls` minimises ``F = sum_g (N_g / N) (s_g - sigma_g)' W_g (s_g - sigma_g)`` (``W`` the inverse
of the diagonal of the statistics' asymptotic covariance for DWLS/WLSMV, the identity for ULS/ULSMV) by
Gauss-Newton steps on the analytic Jacobian, and computes lavaan's robust (sandwich) standard errors
(``se = "robust.sem"``); the test statistics and fit measures are in :mod:`~emstudy.stats.cfa.wls_fit`.

References
----------
Muthen, B. (1984). A general structural equation model with dichotomous, ordered categorical, and
continuous latent variable indicators. Psychometrika, 49, 115-132.
Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least squares and
quadratic estimating equations in latent variable modeling with categorical and continuous outcomes.
Unpublished manuscript.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of Statistical
Software, 48(2), 1-36.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg

from emstudy.errors import ConvergenceWarning, MissingDataWarning
from emstudy.stats._common import single_thread_blas
from emstudy.stats.cfa._data import ORDERED_ESTIMATORS as ORDERED_ESTIMATORS  # the names' home is _data
from emstudy.stats.cfa._data import _check_group_categories, _check_ordered_columns, _group_moments, _user_stacklevel
from emstudy.stats.cfa.estimate import CFAResult, _wald_columns, _warn_negative_variances
from emstudy.stats.cfa.semengine import _build_sem_table, _Layout, _sem_start, _SEMEngine, _SPar
from emstudy.stats.cfa.semsyntax import SEMModel
from emstudy.stats.cfa.wls_fit import _wls_fit_measures
from emstudy.stats.cfa.wls_groups import (
    ORDERED_EQUAL,
    _add_jwj,
    _Extra,
    _extra_layout,
    _group_blocks,
    _mean_jacobian,
    _thresholds_equal,
)

__all__: list[str] = []


def _sem_ordered(
    mm: SEMModel,
    lay: _Layout,
    data: pd.DataFrame,
    *,
    ordered: object,
    group: str | None,
    estimator: str,
    parameterization: str,
    std_lv: bool,
    max_iter: int,
    missing: str = "listwise",
    equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    with_state: bool = False,
    moments: tuple[list[str], Sequence[_GroupStats]] | None = None,
    start: pd.DataFrame | None = None,
) -> CFAResult:
    """:func:`~emstudy.stats.sem.sem` with ordered items (after its argument checks): the groups' sample
    statistics (:func:`~emstudy.stats.cfa.categorical.ordinal_moments`, listwise), lavaan's table, the fit,
    the parameter table and the fit measures; ``with_state``: also the fitted model and its estimates (for
    the difference tests of :mod:`~emstudy.stats.cfa.wls_groups`); ``moments``: the group labels and sample
    statistics of an earlier fit to the same ``data`` (a fitted model's ``data``), not computed again;
    ``start``: an earlier fit's parameter table whose estimates start the fit (:func:`_warm_start`)."""
    _check_ordered_columns(data, ordered)
    _check_ordered(mm, lay, ordered)
    equal = (equal,) if isinstance(equal, str) else tuple(equal)
    group_partial = (group_partial,) if isinstance(group_partial, str) else tuple(group_partial)
    bad = [e for e in equal if e not in ORDERED_EQUAL]
    if bad:
        raise ValueError(f"equal: {bad} not available with ordered items; choose from {list(ORDERED_EQUAL)}")
    if (equal or group_partial) and group is None:
        raise ValueError("equal: equality constraints across groups need group=")
    obs = list(lay.obs)
    if moments is not None:
        labels, groups = moments[0], list(moments[1])
    elif group is None:
        labels, found = [""], [_group_moments(data, obs, missing, "")]
    else:
        if group not in data.columns:
            raise ValueError(f"group: column {group!r} is not in data")
        rows = data[[c for c in obs if c in data.columns] + [group]].dropna(subset=[group])
        if len(rows) < len(data):
            warnings.warn(
                f"sem: {len(data) - len(rows)} of {len(data)} rows without a value of {group!r} were removed",
                MissingDataWarning,
                stacklevel=_user_stacklevel(),
            )
        labels = [str(v) for v in pd.unique(rows[group])]
        if len(labels) < 2:
            raise ValueError(f"group: column {group!r} has fewer than two groups")
        _check_group_categories(rows, obs, group, labels, missing)
        glabel = rows[group].astype(str)
        found = [
            _group_moments(rows.loc[glabel == lab, obs], obs, missing, f"group {lab!r} of {group!r}") for lab in labels
        ]
    if moments is None:
        groups = [_GroupStats(m.thresholds, m.cor, m.wls_obs, m.nacov, m.nobs) for m in found]
    opts = {"estimator": estimator, "parameterization": parameterization, "std_lv": std_lv, "max_iter": max_iter}
    opts |= {"equal": tuple(equal), "partial": tuple(group_partial), "start": start}
    out = _fit_ordered_state(mm, lay, groups, labels, **opts)
    return out if with_state else out[0]


def _fit_ordered(mm: SEMModel, lay: _Layout, groups: Sequence[_GroupStats], labels: list[str], **opts) -> CFAResult:
    """The fit on the groups' sample statistics ``groups`` (:func:`_fit_ordered_state` without the state)."""
    return _fit_ordered_state(mm, lay, groups, labels, **opts)[0]


@single_thread_blas()  # matrices of a few hundred rows: one BLAS thread is faster on a shared machine
def _fit_ordered_state(
    mm: SEMModel,
    lay: _Layout,
    groups: Sequence[_GroupStats],
    labels: list[str],
    *,
    estimator: str,
    parameterization: str,
    std_lv: bool,
    max_iter: int,
    equal: tuple[str, ...] = (),
    partial: tuple[str, ...] = (),
    start: pd.DataFrame | None = None,
) -> tuple[CFAResult, _WLSModel, np.ndarray]:
    """The fit on the groups' sample statistics ``groups`` (in ``lay.obs`` order), with the model and
    its estimates; ``equal`` and ``partial`` as lavaan's ``group.equal`` and ``group.partial``
    (:mod:`~emstudy.stats.cfa.wls_groups`); ``start`` as :func:`_warm_start`'s ``params``."""
    obs = list(lay.obs)
    S, means = [m.cor for m in groups], [np.zeros(len(obs)) for _ in groups]
    eq_engine = tuple(e for e in equal if e not in ("thresholds", "intercepts", "means"))
    table, nfree = _build_sem_table(
        mm, lay, S, means, std_lv=std_lv, meanstructure=False, equal=eq_engine, partial=partial
    )
    free_resid = _thresholds_equal(equal) and "residuals" not in equal
    table, nfree = _ordinal_table(table, lay, parameterization, free_later=free_resid)
    eng = _SEMEngine(table, nfree, len(obs), len(lay.eta), S, means, [m.nobs for m in groups], False)
    lat_pos = [k for k, f in enumerate(lay.eta) if f in lay.latent]
    extra = _extra_layout(nfree, [m.thresholds for m in groups], obs, lat_pos, equal=equal, partial=partial,
                          parameterization=parameterization)  # fmt: skip
    nstat = sum(len(m.wls_obs) for m in groups)
    if extra.nfree > nstat:
        raise ValueError(
            f"model: {extra.nfree} free parameters for {nstat} thresholds and polychoric correlations (negative "
            "degrees of freedom); the model is not identified"
        )
    warm = None if start is None else (lambda model, x0: _warm_start(lay, len(mm.statements), model, x0, start))
    x, converged, nit, cov, model, traces = _fit_wls(
        eng, groups, extra, parameterization=parameterization, estimator=estimator, max_iter=max_iter, warm=warm
    )
    if not converged:
        warnings.warn(
            "sem: the optimizer did not converge; estimates are unreliable. Check the identification of every "
            "latent variable and the items' categories (an item with a rare category); with "
            "parameterization='theta', a negative residual variance under 'delta' has no finite solution.",
            ConvergenceWarning,
            stacklevel=_user_stacklevel(),  # sem (or cfa, invariance) -> _sem_ordered -> single_thread_blas -> here
        )
    params = _wls_params(lay, len(mm.statements), model, x, cov, labels=labels)
    causes = "a misspecified model, too few indicators or an item with rare categories"
    _warn_negative_variances(params, causes=causes, stacklevel=_user_stacklevel())  # it adds its own frame
    frames = [pd.DataFrame(_latent_cor(model, x, g), index=obs, columns=obs) for g in range(eng.G)]
    result = CFAResult(
        model=mm,
        estimator=estimator,
        groups=tuple(labels),
        n_obs=tuple(m.nobs for m in groups),
        params=params,
        fit=_wls_fit_measures(model, x, traces, estimator=estimator),
        converged=converged,
        iterations=nit,
        std_lv=std_lv,
        implied_cov=tuple(frames),
        sample_cov=tuple(pd.DataFrame(m.cor, index=obs, columns=obs) for m in groups),
        kind="SEM",
        equal=tuple(equal),
        group_partial=tuple(partial),
    )
    return result, model, x


def _check_ordered(mm: SEMModel, lay: _Layout, ordered: object) -> None:
    """What the ordered-item estimator does not fit: one sentence each (``ordered`` True or a list of names;
    a name the model does not use is ignored, as lavaan)."""
    names = list(lay.obs) if ordered is True else [ordered] if isinstance(ordered, str) else list(ordered)
    rest = [v for v in lay.obs if v not in names]
    if rest:
        raise ValueError(
            f"ordered: the model's observed variables {rest} are not ordered; a mix of ordered and continuous "
            "variables is not implemented (list every observed variable, or ordered=True)"
        )
    phantom = [v for v in lay.eta if v not in lay.latent and v not in lay.fixed_x]
    if phantom:
        raise ValueError(
            f"model: the ordered items {phantom} are in regressions; regressions of or on an ordered item are not "
            "implemented (regress the latent variables)"
        )
    if lay.fixed_x:
        raise ValueError(
            f"model: exogenous observed covariates {list(lay.fixed_x)} with ordered items are not implemented; "
            "give them a measurement model"
        )
    for s in mm.statements:
        if s.op == "~1":
            raise ValueError(
                f"model line {s.line}: '{s.lhs} ~ 1': intercepts and latent means of ordered items are fixed at 0 "
                "(the thresholds are free); remove the line"
            )
    if mm.defined:
        raise ValueError("model: defined parameters (:=) with ordered items are not implemented yet; remove them")


def _latent_cor(model: _WLSModel, x: np.ndarray, g: int) -> np.ndarray:
    """The implied correlation matrix of the latent responses."""
    S = model.sigma(x, g)
    if not model.theta:
        d = model.scale(x, g)
        S = S * np.outer(d, d)
        S[np.diag_indices(model.p)] = 1.0
        return S
    sd = np.sqrt(np.diag(S))
    return S / np.outer(sd, sd)


@dataclass(frozen=True)
class _GroupStats:
    """One group's sample statistics in lavaan's order (``wls_obs``: thresholds item by item, then the
    correlations below the diagonal column by column), as :class:`~emstudy.stats.cfa.categorical.OrdinalMoments`."""

    thresholds: tuple[np.ndarray, ...]
    cor: np.ndarray
    wls_obs: np.ndarray
    nacov: np.ndarray
    nobs: int


def _ordinal_table(
    table: list[_SPar], lay: _Layout, parameterization: str, *, free_later: bool = False
) -> tuple[list[_SPar], int]:
    """The SEM table with the items' residual variances fixed (0 in the engine for delta, where they are
    derived; 1 for theta, but free in the groups beyond the first with ``free_later``: lavaan's equal
    thresholds), the free parameters renumbered in order of first appearance."""
    out = []
    for t in table:
        if free_later and parameterization == "theta" and t.group > 0 and t.mat == "T" and t.row == t.col:
            if t.free >= 0 and not t.label:
                t = _SPar(t.lhs, t.op, t.rhs, t.group, t.mat, t.row, t.col, t.free, 1.0, t.label, t.hidden)
        elif t.mat == "T" and t.row == t.col:
            if t.label or (t.free < 0 and parameterization == "delta"):
                raise ValueError(
                    f"model: the residual variance of the ordered item {t.lhs!r} is written in the model; with "
                    "parameterization='delta' it is not a parameter (remove the line, or use parameterization='theta')"
                )
            value = 0.0 if parameterization == "delta" else (t.value if t.free < 0 else 1.0)
            t = _SPar(t.lhs, t.op, t.rhs, t.group, t.mat, t.row, t.col, -1, value, t.label, t.hidden)
        out.append(t)
    number: dict[int, int] = {}
    for t in out:
        if t.free >= 0:
            t.free = number.setdefault(t.free, len(number))
    return out, len(number)


class _WLSModel:
    """Implied thresholds and polychoric correlations of a model and their Jacobian, in lavaan's order.

    The free vector is the engine's free parameters, then the scaling factors and latent means of the groups
    beyond the first (with equal thresholds), then the thresholds (``th_index[g]``, shared by the groups when
    equal); :class:`~emstudy.stats.cfa.wls_groups._Extra`."""

    def __init__(
        self, eng: _SEMEngine, data: Sequence[_GroupStats], extra: _Extra, *, parameterization: str, estimator: str
    ):
        self.eng, self.data, self.theta, self.extra = eng, list(data), parameterization == "theta", extra
        p = eng.p
        self.G, self.p = len(self.data), p
        self.cj, self.ri = (a.astype(np.intp) for a in np.triu_indices(p, 1))  # rows ri > columns cj, by column
        self.th_item, self.th_index = extra.th_item, extra.th_index
        self.nfree = extra.nfree
        self.ns = np.array([d.nobs for d in self.data], dtype=float)
        self.N = float(self.ns.sum())
        # the groups' weights in the discrepancy function: lavaan 0.6 minimises sum_g (N_g - 1) F_g / (2 N) for
        # WLS, DWLS and ULS (lav_model_objective), so with equality constraints across groups of unequal sizes
        # the estimates depend on the "- 1"; the standard errors use N_g / N (lav_model_information)
        self.fit_w = (self.ns - 1.0) / self.N
        self.s = [np.asarray(d.wls_obs, dtype=float) for d in self.data]
        self.gamma = [np.asarray(d.nacov, dtype=float) for d in self.data]
        diag = estimator in ("WLSMV", "DWLS")
        self.W = [1.0 / np.diag(gm) if diag else np.ones(len(s)) for gm, s in zip(self.gamma, self.s)]

    def sigma(self, x: np.ndarray, g: int) -> np.ndarray:
        """The engine's implied covariance of the latent responses (delta: without the residual variances)."""
        return self.eng.implied(x[: self.eng.nfree], g)[0]

    def scale(self, x: np.ndarray, g: int) -> np.ndarray:
        """The scaling factors of the delta parameterization (1 unless free)."""
        idx = self.extra.scale_index[g]
        return np.ones(self.p) if idx is None else x[idx]

    def implied(self, x: np.ndarray, g: int) -> np.ndarray:
        """Implied thresholds, then correlations (lavaan's ``wls.est``)."""
        S = self.sigma(x, g)
        item = self.th_item[g]
        tau = x[self.th_index[g]] - _mean_jacobian(self, x, g)[0][item]
        if not self.theta:
            d = self.scale(x, g)
            return np.concatenate([tau * d[item], S[self.ri, self.cj] * d[self.ri] * d[self.cj]])
        sd = np.sqrt(np.diag(S))
        return np.concatenate([tau / sd[item], S[self.ri, self.cj] / (sd[self.ri] * sd[self.cj])])

    def jacobian(self, x: np.ndarray, g: int) -> np.ndarray:
        """d(implied statistics)/d(free parameters) (lavaan's ``delta``), from the engine's low-rank
        derivatives ``dSigma_a = u w' + w u'``."""
        eng, ri, cj = self.eng, self.ri, self.cj
        nth = len(self.th_index[g])
        U, W, _ = eng.entries(x[: eng.nfree], g)
        dcor = U[:, ri] * W[:, cj] + W[:, ri] * U[:, cj]
        out = np.zeros((nth + len(ri), self.nfree))
        item, rows = self.th_item[g], np.arange(nth)
        mu, dmu = _mean_jacobian(self, x, g)
        tau = x[self.th_index[g]] - mu[item]
        S = self.sigma(x, g)
        if not self.theta:
            d = self.scale(x, g)
            out[nth:, eng.index[g].free] = eng._collapse(g, dcor * (d[ri] * d[cj])).T
            out[rows, self.th_index[g]] = d[item]
            if dmu is not None:
                out[:nth] -= d[item, None] * dmu[item]
            idx = self.extra.scale_index[g]
            if idx is not None:
                out[rows, idx[item]] += tau
                k = np.arange(nth, nth + len(ri))
                np.add.at(out, (k, idx[ri]), d[cj] * S[ri, cj])
                np.add.at(out, (k, idx[cj]), d[ri] * S[ri, cj])
            return out
        v = np.diag(S)
        sd = np.sqrt(v)
        R = S[ri, cj] / (sd[ri] * sd[cj])
        dv = 2.0 * U * W / v  # d log var_i
        dR = dcor / (sd[ri] * sd[cj]) - 0.5 * R * (dv[:, ri] + dv[:, cj])
        th = tau / sd[item]
        dth = -0.5 * th * dv[:, item]
        out[:, eng.index[g].free] = eng._collapse(g, np.hstack([dth, dR])).T
        out[rows, self.th_index[g]] = 1.0 / sd[item]
        if dmu is not None:
            out[:nth] -= dmu[item] / sd[item, None]
        return out

    def fun(self, x: np.ndarray) -> float:
        return float(sum(wg * np.sum(w * (s - self.implied(x, g)) ** 2) for g, (wg, w, s) in self._groups()))

    def _groups(self):
        return enumerate(zip(self.fit_w, self.W, self.s))

    def normal_equations(self, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``F``, ``J'W r`` and ``J'W J`` summed over the groups with weights ``(N_g - 1) / N`` (``fit_w``)."""
        f, b, H = 0.0, np.zeros(self.nfree), np.zeros((self.nfree, self.nfree))
        for g, (wg, w, s) in self._groups():
            r = s - self.implied(x, g)
            D = self.jacobian(x, g)
            f += wg * float(np.sum(w * r * r))
            b += wg * D.T @ (w * r)
            # only the parameters this group's moments depend on (the others' columns are 0): several groups'
            # J'WJ cost one group's each
            _add_jwj(H, np.arange(self.nfree), D, w, len(self.th_index[g]), wg)
        return f, b, H


_DIVERGED = 1e3  # an estimate beyond this (on the latent responses' scale) runs off to infinity


def _gauss_newton(model: _WLSModel, x0: np.ndarray, max_iter: int) -> tuple[np.ndarray, bool, int]:
    """Minimise ``F`` by Gauss-Newton steps ``(J'WJ)^-1 J'W r``, halved while they raise ``F`` (Levenberg
    damping where ``J'WJ`` is singular); stops when the largest element of the gradient is at rounding
    level (``1e-12``) or no step lowers ``F`` any more, or, not converged, when an estimate passes
    ``_DIVERGED`` (the infimum lies at infinity: with the theta parameterization, where the delta
    parameterization has a negative residual variance). Returns ``(x, converged, iterations)``."""
    x = x0.copy()
    f, b, H = model.normal_equations(x)
    it = 0
    for it in range(1, max_iter + 1):
        if np.max(np.abs(b)) < 1e-12:
            return x, True, it - 1
        lam = 0.0
        while True:
            try:
                step = linalg.cho_solve(linalg.cho_factor(H + lam * np.diag(np.diag(H))), b)
                break
            except (np.linalg.LinAlgError, ValueError):
                lam = max(10.0 * lam, 1e-8)
                if lam > 1e8:
                    return x, False, it
        t, taken = 1.0, False
        for _ in range(40):
            xn = x + t * step
            fn = model.fun(xn)
            if np.isfinite(fn) and fn <= f + 1e-15 * max(1.0, f):
                fn, bn, Hn = model.normal_equations(xn)
                if fn < f or np.max(np.abs(bn)) < np.max(np.abs(b)):
                    x, f, b, H, taken = xn, fn, bn, Hn, True
                    break
            t *= 0.5
        if not taken:
            return x, bool(np.max(np.abs(b)) < 1e-7), it
        if np.max(np.abs(x)) > _DIVERGED:
            return x, False, it
    return x, bool(np.max(np.abs(b)) < 1e-7), max_iter


def _one_factor(R: np.ndarray) -> np.ndarray:
    """Standardized loadings of one factor on the correlation matrix ``R`` of its items by principal axes
    (communalities from the largest absolute correlation, three iterations), clipped to +-0.95."""
    k = R.shape[0]
    if k == 1:
        return np.array([0.7])
    if k == 2:
        r = R[0, 1]
        return np.clip(np.array([1.0, np.sign(r) or 1.0]) * np.sqrt(abs(r)), -0.95, 0.95)
    A = R.copy()
    h = np.max(np.abs(R - np.eye(k)), axis=1)
    for _ in range(3):
        A[np.diag_indices(k)] = h
        val, vec = np.linalg.eigh(A)
        lam = vec[:, -1] * np.sqrt(max(val[-1], 1e-6))
        h = np.clip(lam**2, 0.01, 0.95)
    return np.clip(lam, -0.95, 0.95)


def _start(model: _WLSModel, data: Sequence[_GroupStats]) -> np.ndarray:
    """Start values: each factor's standardized loadings by principal axes on its items' polychoric
    correlations (:func:`_one_factor`), put on the model's scale (the marker's loading 1 and the factor's
    variance its squared standardized loading, or the loadings with ``std_lv``; for theta, divided by the
    residual standard deviation), other structural parameters as the SEM engine starts them, the sample
    thresholds (for theta, on the latent responses' scale)."""
    eng = model.eng
    x = np.concatenate([_sem_start(eng.table, eng.nfree), np.zeros(model.nfree - eng.nfree)])
    for idx in model.extra.scale_index:
        if idx is not None:
            x[idx] = 1.0
    for g, d in enumerate(data):
        rows = [t for t in eng.table if t.group == g]
        std = np.zeros(eng.p)
        for k in range(eng.m):
            items = [t for t in rows if t.mat == "L" and t.col == k and not t.hidden]
            if not items:
                continue
            idx = [t.row for t in items]
            lam = _one_factor(d.cor[np.ix_(idx, idx)])
            lam = lam * (np.sign(lam[0]) or 1.0)
            std[idx] = lam
            scale = lam / np.sqrt(1.0 - lam**2) if model.theta else lam
            marker = next((t for t in items if t.free < 0), None)
            unit = scale[idx.index(marker.row)] / (marker.value or 1.0) if marker is not None else 1.0
            for t, v in zip(items, scale):
                if t.free >= 0:
                    x[t.free] = v / unit
            for t in rows:
                if t.mat == "P" and t.row == k and t.col == k and t.free >= 0:
                    x[t.free] = unit**2
        th = np.concatenate(d.thresholds)
        x[model.th_index[g]] = th / np.sqrt(1.0 - std[model.th_item[g]] ** 2) if model.theta else th
    return x


def _vcov(model: _WLSModel, x: np.ndarray, *, robust: bool) -> tuple[np.ndarray, tuple[float, float]]:
    """lavaan's ``se = "robust.sem"`` (WLSMV, ULSMV): ``A (sum_g w_g D_g' W_g Gamma_g W_g D_g) A / (N - G)``
    with ``A = (sum_g w_g D_g' W_g D_g)^-1``, ``w_g = N_g / N`` (lavaan 0.6.14 divides by ``N - G``, as for
    the RMSEA); without ``robust`` (DWLS, ULS) lavaan's ``se = "standard"``, ``A / (N - G)``. Also the traces
    ``tr(U Gamma)`` and ``tr((U Gamma)^2)`` of the scaled-shifted test (NaN without ``robust``).

    ``W`` and ``Gamma`` are block diagonal over the groups (weighted by ``w_g`` and ``1 / w_g``), so that with
    ``B = sum_g w_g D_g' W_g Gamma_g W_g D_g`` and ``E = sum_g w_g D_g' W_g Gamma_g W_g Gamma_g W_g D_g``,
    ``U = W - W D A D' W`` gives ``tr(U Gamma) = sum_g tr(W_g Gamma_g) - tr(A B)`` and ``tr((U Gamma)^2) =
    sum_g tr((W_g Gamma_g)^2) - 2 tr(A E) + tr((A B)^2)``: sums over the groups of products of each group's
    Jacobian restricted to the parameters of that group (:func:`_group_blocks`), where the textbook formula
    forms ``U Gamma`` of all the groups' statistics (Satorra & Bentler 1994)."""
    k = model.nfree
    nan = np.full((k, k), np.nan), (np.nan, np.nan)
    blocks = _group_blocks(model, x)
    H, B, E = np.zeros((k, k)), np.zeros((k, k)), np.zeros((k, k))
    trace = frob = 0.0
    for (cols, D), n, w, gm, th in zip(blocks, model.ns, model.W, model.gamma, model.th_index):
        wg, WD = n / model.N, w[:, None] * D
        _add_jwj(H, cols, D, w, len(th), wg)
        if robust:
            Y = gm @ WD
            B[np.ix_(cols, cols)] += wg * (WD.T @ Y)
            E[np.ix_(cols, cols)] += wg * (Y.T @ (w[:, None] * Y))
            WG = w[:, None] * gm
            trace += float(np.trace(WG))
            frob += float(np.sum(WG * WG.T))
    try:
        chol = linalg.cho_factor(H)
    except (np.linalg.LinAlgError, ValueError):
        return nan
    diag = np.abs(np.diag(chol[0]))
    if np.min(diag) < 1e-12 * np.max(diag):  # singular: the model is not identified
        return nan
    A = linalg.cho_solve(chol, np.eye(k))
    if not robust:
        return A / (model.N - model.G), (np.nan, np.nan)
    AB = A @ B
    cov = AB @ A / (model.N - model.G)
    return cov, (trace - float(np.trace(AB)), frob - 2.0 * float(np.sum(A * E)) + float(np.sum(AB * AB.T)))


def _warm_start(lay: _Layout, nstatements: int, model: _WLSModel, x0: np.ndarray, params: pd.DataFrame) -> np.ndarray:
    """The start values ``x0`` with each free parameter's estimate in ``params``, an earlier fit's parameter
    table of the same model text and groups (the level before in an invariance sequence): the estimate of the
    same ``lhs, op, rhs`` in the same group; a parameter shared by several groups takes the first group's,
    one free here but fixed there keeps its start value."""
    grp = params["group"].to_numpy(int) - 1 if "group" in params.columns else np.zeros(len(params), dtype=int)
    free = params["free"].to_numpy(bool)
    keys = zip(params["lhs"][free], params["op"][free], params["rhs"][free], grp[free])
    known = dict(zip(keys, params["est"][free].to_numpy(float)))
    x, done = x0.copy(), set()
    for g in range(model.G):
        for lhs, op, rhs, _label, k, _est, _std in _group_rows(lay, nstatements, model, x0, g):
            if k >= 0 and k not in done and (lhs, op, rhs, g) in known:
                x[k] = known[(lhs, op, rhs, g)]
                done.add(k)
    return x


def _fit_wls(
    eng: _SEMEngine,
    data: Sequence[_GroupStats],
    extra: _Extra,
    *,
    parameterization: str,
    estimator: str,
    max_iter: int,
    warm: Callable[[_WLSModel, np.ndarray], np.ndarray] | None = None,
):
    """Estimates, convergence, iterations, covariance of the estimates, the model and the traces of the
    scaled-shifted test (:func:`_vcov`); ``warm`` changes the start values (:func:`_warm_start`)."""
    model = _WLSModel(eng, data, extra, parameterization=parameterization, estimator=estimator)
    x0 = _start(model, list(data))
    if warm is not None:
        x0 = warm(model, x0)
    x, converged, nit = _gauss_newton(model, x0, max_iter)
    cov, traces = _vcov(model, x, robust=estimator in ("WLSMV", "ULSMV"))
    return x, converged, nit, cov, model, traces


# --------------------------------------------------------------------------------------------
# the parameter table, in lavaan's order
# --------------------------------------------------------------------------------------------
def _wls_params(
    lay: _Layout, nstatements: int, model: _WLSModel, x: np.ndarray, cov: np.ndarray, *, labels: list[str]
) -> pd.DataFrame:
    """lavaan's ``parameterEstimates(fit, standardized = TRUE)`` of an ordered-item fit, group by group: the
    written statements, the thresholds (``op "|"``, ``rhs "t1"...``), the variances and covariances, the
    scaling factors (``op "~*~"``) and the intercepts and latent means (fixed at 0)."""
    se_free = np.sqrt(np.clip(np.diag(cov), 0, None))
    rows = []
    for g in range(model.G):
        for lhs, op, rhs, label, k, est, std in _group_rows(lay, nstatements, model, x, g):
            rows.append(
                {
                    "lhs": lhs,
                    "op": op,
                    "rhs": rhs,
                    "group": g + 1,
                    "group_label": labels[g],
                    "label": label,
                    "free": k >= 0,
                    "est": float(est),
                    "se": float(se_free[k]) if k >= 0 else 0.0,
                    "std_lv": float(std[0]),
                    "std_all": float(std[1]),
                }
            )
    params = pd.DataFrame(rows)
    ok = params["free"] & (params["se"] > 0)
    _wald_columns(params, ok)
    head = ["lhs", "op", "rhs"] + (["group", "group_label"] if model.G > 1 else [])
    tail = ["label", "free", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv", "std_all"]
    return params[head + tail]


def _group_rows(lay: _Layout, nstatements: int, model: _WLSModel, x: np.ndarray, g: int) -> list[tuple]:
    """One group's rows ``(lhs, op, rhs, label, free index or -1, est, (std_lv, std_all))`` in lavaan's order."""
    eng = model.eng
    _L, T, P, _B, _A, M, _nu, _a = eng.parts(x[: eng.nfree], g)
    S = model.sigma(x, g)
    d = model.scale(x, g)
    if not model.theta:  # the derived residual variances; variances 1 / Delta^2 of the latent responses
        T, S = T.copy(), S.copy()
        T[np.diag_indices(eng.p)] = 1.0 / d**2 - np.diag(S)
        S[np.diag_indices(eng.p)] = 1.0 / d**2
    v = np.diag(S)
    grows = [t for t in eng.table if t.group == g and not t.hidden]
    out = []
    for t in grows[:nstatements]:
        out.append(_table_row(t, x, lay, (T, P, M), v))
    item, index = model.th_item[g], model.th_index[g]
    for n, (j, k) in enumerate(zip(item, index)):
        rank = int(np.sum(item[:n] == j)) + 1
        out.append((lay.obs[j], "|", f"t{rank}", "", int(k), x[k], (x[k], x[k] / np.sqrt(v[j]))))
    for t in grows[nstatements:]:
        out.append(_table_row(t, x, lay, (T, P, M), v))
    sidx = model.extra.scale_index[g]
    for j, name in enumerate(lay.obs):
        scale = 1.0 / np.sqrt(v[j]) if model.theta else d[j]
        out.append((name, "~*~", name, "", -1 if sidx is None else int(sidx[j]), scale, (scale, 1.0)))
    for name in lay.obs:
        out.append((name, "~1", "", "", -1, 0.0, (0.0, 0.0)))
    midx = model.extra.mean_index[g]
    for n, k in enumerate(model.extra.lat_pos):
        est = 0.0 if midx is None else float(x[midx[n]])
        z = est / np.sqrt(M[k, k])
        out.append((lay.eta[k], "~1", "", "", -1 if midx is None else int(midx[n]), est, (z, z)))
    return out


def _table_row(t: _SPar, x: np.ndarray, lay: _Layout, mats: tuple, v: np.ndarray) -> tuple:
    """The row of one parameter of the SEM table (a derived residual variance from ``mats[0]``)."""
    T = mats[0]
    if t.free >= 0:
        est = float(x[t.free])
    else:
        est = float(T[t.row, t.row]) if t.mat == "T" and t.row == t.col else t.value
    return t.lhs, t.op, t.rhs, t.label, t.free, est, _standardized(t, est, lay, mats, v)


def _standardized(t: _SPar, est: float, lay: _Layout, mats: tuple, v: np.ndarray) -> tuple:
    """lavaan's ``std.lv`` and ``std.all`` of one parameter; ``mats`` are Theta (with the derived residual
    variances), Psi and the latent covariance matrix M, ``v`` the implied variances of the latent responses
    (1 with the delta parameterization)."""
    eta, obs = lay.eta, lay.obs
    T, P, M = mats

    def sd(name: str, full: bool) -> float:
        if name in eta:
            k = eta.index(name)
            return float(np.sqrt(M[k, k])) if (full or name in lay.latent) else 1.0
        return float(np.sqrt(v[obs.index(name)])) if full else 1.0

    if t.op in ("=~", "~"):
        src, dst = (t.lhs, t.rhs) if t.op == "=~" else (t.rhs, t.lhs)
        return est * sd(src, False) / sd(dst, False), est * sd(src, True) / sd(dst, True)
    if t.lhs == t.rhs:
        return est / sd(t.lhs, False) ** 2, est / sd(t.lhs, True) ** 2
    if t.mat == "P":
        i, j = eta.index(t.lhs), eta.index(t.rhs)
        corr = est / np.sqrt(P[i, i] * P[j, j])
        return (corr if t.lhs in lay.latent and t.rhs in lay.latent else est), corr
    i, j = obs.index(t.lhs), obs.index(t.rhs)
    return est, est / np.sqrt(T[i, i] * T[j, j])
