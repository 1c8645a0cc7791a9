"""Modification indices of a fitted CFA or SEM (ML, or WLSMV & co. on ordered items), as lavaan's ``modindices()``.

A modification index is the univariate score (Lagrange-multiplier) test of freeing one parameter that
the model fixes to zero: with the expected information of the model extended by that parameter,
``mi = N * s^2 / V``, where ``s`` is the score of the normal log-likelihood per observation with
respect to the new parameter at the estimates and ``V`` its information after the free parameters
are partialled out; the expected parameter change is ``epc = s / V`` (Saris, Satorra & Sörbom,
1987). This module rebuilds the fitted engine from a :class:`~emstudy.stats.cfa.estimate.CFAResult`
(model, constraints, sample covariances and means, group sizes, estimates) and extends it; it does not
refit. With fixed-x covariates the information leaves out their moments (lavaan's conditional
information), so that a regression equivalent to the model given the covariates has no index. For a fit of
ordered items the same test is made on the weighted least-squares discrepancy of the thresholds and polychoric
correlations, with the fitted WLS model the result carries (``CFAResult.wls_state``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emstudy.stats.cfa.engine import _Par
from emstudy.stats.cfa.estimate import CFAResult, _as_sem
from emstudy.stats.cfa.semengine import _build_sem_table, _Layout, _layout, _SEMEngine
from emstudy.stats.cfa.semsyntax import SEMModel
from emstudy.stats.cfa.wls import ORDERED_ESTIMATORS, _WLSModel

__all__ = ["modindices"]


def modindices(fit: CFAResult, *, sort: bool = True, minimum_value: float = 0.0) -> pd.DataFrame:
    """Modification indices of an ML or WLSMV fit of :func:`~emstudy.stats.cfa.cfa` or
    :func:`~emstudy.stats.sem.sem`, as lavaan's ``modindices(fit)``.

    Parameters
    ----------
    fit : CFAResult
        A listwise (not FIML) fit of :func:`~emstudy.stats.sem.sem`, with or without groups,
        ``equal``/``group_partial`` constraints, intercepts (a mean structure) and observed
        variables in regressions; or a single-group fit of :func:`cfa` (for a :func:`cfa` fit
        with groups, fit the same model with :func:`~emstudy.stats.sem.sem`, which keeps the
        sample means). The indices are the ML ones (expected information) for ``"ML"`` and
        ``"MLR"`` fits; for ``"MLR"`` fits they are not checked against lavaan. A fit of ordered
        items (``"WLSMV"``, ``"ULSMV"``, ``"DWLS"``, ``"ULS"``, of :func:`cfa` or :func:`sem`, with
        or without groups, not with ``equal``) gets lavaan's indices of the least-squares fit:
        the score of the weighted discrepancy of the thresholds and polychoric correlations
        (weights ``(N_g - 1) / N``, as lavaan's test statistic) over its information
        ``sum_g N_g / N D_g' W_g D_g``; the candidates are those above without the items' residual
        variances (fixed or derived) and without thresholds, as lavaan's (checked for WLSMV and
        ULSMV, delta and theta, one and two groups).
    sort : bool
        Sort by decreasing modification index (lavaan's ``sort. = TRUE``); otherwise the rows are
        in lavaan's order (group by group: the fixed parameters of the model, cross-loadings
        factor by factor, residual covariances, latent covariances, regressions).
    minimum_value : float
        Keep only the rows with ``mi`` above this value (lavaan's ``minimum.value``); 0 keeps all.

    Returns
    -------
    pandas.DataFrame
        One row per parameter lavaan considers, in every group: the fixed parameters of the
        model (freed at their value; not the fixed-x covariances), and, fixed to zero, the loading
        of every factor on every indicator it does not load (``=~``), the residual covariance of
        every pair of indicators and the covariance of every pair of latent variables not in the
        model (``~~``), and the regressions (``~``) among the variables of the model's regressions
        (latent or observed), both directions, except between two fixed-x covariates. Columns
        ``lhs, op, rhs`` (``group``, ``group_label`` for several groups), ``mi, epc, sepc_lv,
        sepc_all``: the score statistic (1 df), the expected parameter change, and the change
        standardized by the latent variables (``sepc_lv``) and by the latent and observed
        variables (``sepc_all``; covariances of residuals are divided by the residual standard
        deviations; NaN for a fixed residual variance of an observed variable, where lavaan's
        values, e.g. ``sepc.lv`` equal to minus the fixed value, follow no rule we could confirm).
        Intercepts and latent means are not candidates (lavaan lists none), and equality
        constraints are not released (that is lavaan's ``lavTestScore``).

    Raises
    ------
    ValueError
        For a FIML fit, an ML fit of :func:`cfa` with groups, a fit of ordered items with ``equal``
        constraints (not implemented), or a fit whose parameter table does not match its model (a
        result not made by :func:`cfa` or :func:`sem`).

    Notes
    -----
    A candidate whose information is below ``sqrt(machine epsilon)`` after the free parameters
    are partialled out (freeing it leaves the model unidentified or is equivalent to the model,
    e.g. a marker loading, a reversed regression) has no index and is dropped, as lavaan drops its
    ``NA`` rows. With groups, ``mi = N * s^2 / V`` with ``N`` the total sample size and the
    information of the multi-group discrepancy (groups weighted by ``N_g / N``).

    Examples
    --------
    >>> fit = cfa("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9", hs)  # doctest: +SKIP
    >>> modindices(fit).head()  # doctest: +SKIP
    >>> modindices(sem(model, hs, group="school", equal="loadings"))  # doctest: +SKIP

    References
    ----------
    Sörbom, D. (1989). Model modification. Psychometrika, 54, 371-384.
    Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least squares and
    quadratic estimating equations in latent variable modeling with categorical and continuous outcomes.
    Unpublished manuscript.
    Saris, W. E., Satorra, A., & Sörbom, D. (1987). The detection and correction of specification
    errors in structural equation models. Sociological Methodology, 17, 105-129.
    """
    ordinal = isinstance(fit, CFAResult) and fit.estimator in ORDERED_ESTIMATORS
    cands, mi, epc, var, vs = _ordered_tests(fit) if ordinal else _ml_tests(fit)
    head = ["lhs", "op", "rhs"] + (["group", "group_label"] if len(var) > 1 else [])
    rows = []
    for k, c in enumerate(cands):
        lv, full = _standardized(c, epc[k], var[c.group], vs.real)
        row = {"lhs": c.lhs, "op": c.op, "rhs": c.rhs, "group": c.group + 1, "group_label": fit.groups[c.group]}
        rows.append({**row, "mi": mi[k], "epc": epc[k], "sepc_lv": lv, "sepc_all": full})
    out = pd.DataFrame(rows, columns=head + ["mi", "epc", "sepc_lv", "sepc_all"])
    out = out[out["mi"].notna()]
    if minimum_value > 0:
        out = out[out["mi"] > minimum_value]
    if sort:
        out = out.sort_values("mi", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def _ml_tests(fit: CFAResult) -> tuple[list[_Par], np.ndarray, np.ndarray, list[dict], _Vars]:
    """The candidates of an ML (MLR) fit, their mi and epc, the variances that standardize them, the variables."""
    eng, table, x, vs = _rebuild(fit)
    cands = [c for g in range(eng.G) for c in _candidates(table, g, vs)]
    mi, epc = _score_tests(eng, table, x, cands, np.array([vs.obs.index(v) for v in vs.fixed_x], dtype=int))
    var = []
    for g in range(eng.G):
        L, T, P, B, A, M, nu, a = eng.parts(x, g)
        var.append({"lat": np.diag(M), "obs": np.diag(eng.implied(x, g)[0]), "res": np.diag(T), "psi": np.diag(P)})
    return cands, mi, epc, var, vs


def _ordered_tests(fit: CFAResult) -> tuple[list[_Par], np.ndarray, np.ndarray, list[dict], _Vars]:
    """As :func:`_ml_tests` for a fit of ordered items (WLSMV, DWLS, ULSMV, ULS), as lavaan 0.6.14: the fitted
    WLS model (``fit.wls_state``) extended by the candidates, the score ``s = sum_g (N_g - 1) / N D_g' W_g r_g``
    (``r_g`` the residuals of the thresholds and polychorics, ``D_g`` their Jacobian, ``W_g`` the fit's weights)
    and the information ``sum_g N_g / N D_g' W_g D_g``; ``mi = N s^2 / V``, ``epc = s / V``. The items' residual
    variances (fixed, or derived with ``delta``) and the thresholds are not candidates, as in lavaan."""
    if fit.wls_state is None:
        raise ValueError("fit: it carries no fitted WLS model (wls_state); pass the result of cfa() or sem()")
    if fit.equal or fit.group_partial:
        raise ValueError(
            "fit: modification indices of ordered items with equality constraints (equal) are not implemented; "
            "use the fit without equal, or lavaan's modindices()"
        )
    model, x = fit.wls_state
    eng, q = model.eng, model.eng.nfree
    mm = fit.model if fit.kind == "SEM" else _as_sem(fit.model)
    vs = _vars(mm, _layout(mm), tuple(fit.sample_cov[0].columns))
    cands = [c for g in range(eng.G) for c in _candidates(eng.table, g, vs) if not (c.mat == "T" and c.row == c.col)]
    nc = len(cands)
    big = _SEMEngine(_extended(eng.table, cands, q), q + nc, eng.p, eng.m, eng.S, eng.means, list(eng.ns), False)
    ex = model.extra

    def shift(a):
        return None if a is None else np.where(a >= q, a + nc, a)

    extra = dataclasses.replace(
        ex, th_index=[shift(a) for a in ex.th_index], scale_index=[shift(a) for a in ex.scale_index],
        mean_index=[shift(a) for a in ex.mean_index], nfree=ex.nfree + nc,
    )  # fmt: skip
    param = "theta" if model.theta else "delta"
    bm = _WLSModel(big, model.data, extra, parameterization=param, estimator=fit.estimator)
    xe = np.concatenate([x[:q], [c.value for c in cands], x[q:]])
    score, H = np.zeros(len(xe)), np.zeros((len(xe), len(xe)))
    for g, (n, fit_w, w, s) in enumerate(zip(bm.ns, bm.fit_w, bm.W, bm.s)):
        D = bm.jacobian(xe, g)
        score += fit_w * D.T @ (w * (s - bm.implied(xe, g)))
        H += n / bm.N * (D.T * w) @ D
    new = np.arange(q, q + nc)
    old = np.setdiff1d(np.arange(len(xe)), new)
    h_me = H[np.ix_(old, new)]
    V = np.diag(H)[new] - np.einsum("mk,mk->k", h_me, np.linalg.solve(H[np.ix_(old, old)], h_me))
    ok = V >= np.sqrt(np.finfo(float).eps)  # lavaan's NA: freeing the parameter leaves the model unidentified
    Vs = np.where(ok, V, 1.0)
    mi = np.where(ok, bm.N * score[new] ** 2 / Vs, np.nan)
    epc = np.where(ok, score[new] / Vs, np.nan)
    var = []
    for g in range(eng.G):
        L, T, P, B, A, M, nu, a = eng.parts(x[:q], g)
        sig = np.diag(model.sigma(x, g))
        obs = sig if model.theta else 1.0 / model.scale(x, g) ** 2  # the latent responses' variances
        res = np.diag(T) if model.theta else obs - sig  # delta: the residual variances are derived
        var.append({"lat": np.diag(M), "obs": obs, "res": res, "psi": np.diag(P)})
    return cands, mi, epc, var, vs


def _extended(table: list[_Par], cands: list[_Par], q: int) -> list[_Par]:
    """The table with the candidates free, numbered from ``q`` on (the table's fixed rows freed in place, the
    new rows appended)."""
    pos = {id(c): q + k for k, c in enumerate(cands)}
    ext = [dataclasses.replace(t, free=pos[id(t)]) if id(t) in pos else t for t in table]
    in_table = {id(t) for t in table}
    return ext + [dataclasses.replace(c, free=pos[id(c)]) for c in cands if id(c) not in in_table]


def _score_tests(
    eng: _SEMEngine, table: list[_Par], x: np.ndarray, cands: list[_Par], fixed_x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """mi and epc of each candidate: the model extended by all candidates (fixed rows freed at their
    value, new rows at 0), its gradient and expected information at the estimates (conditional on
    the fixed-x covariates, rows ``fixed_x`` of the observed variables)."""
    q, nc = eng.nfree, len(cands)
    if nc == 0:
        return np.zeros(0), np.zeros(0)
    big = _SEMEngine(
        _extended(table, cands, q), q + nc, eng.p, eng.m, eng.S, eng.means, list(eng.ns), eng.meanstructure
    )
    xe = np.concatenate([x, [t.value for t in cands]])
    grad = big.fun_grad(xe)[1][q:]
    H = _conditional_info(big, xe, fixed_x) if len(fixed_x) else big.info(xe)
    # F here is twice lavaan's F_ML: the unit information is H / 2 and the score -grad / 2
    h_me = H[:q, q:]
    V = (np.diag(H[q:, q:]) - np.einsum("mk,mk->k", h_me, np.linalg.solve(H[:q, :q], h_me))) / 2.0
    ok = V >= np.sqrt(np.finfo(float).eps)  # lavaan's NA: freeing the parameter leaves the model unidentified
    Vs = np.where(ok, V, 1.0)
    mi = np.where(ok, eng.N * (grad / 2.0) ** 2 / Vs, np.nan)
    epc = np.where(ok, -grad / 2.0 / Vs, np.nan)
    return mi, epc


def _conditional_info(eng: _SEMEngine, x: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """The expected Hessian of F_ML with the moments of the fixed-x covariates left out (their
    variances, covariances and means are the sample values, not modelled), as lavaan's information
    with ``fixed.x``: ``sum_g N_g/N [tr(Si dSigma_a Si dSigma_b) + 2 dmu_a' Si dmu_b]`` with the x-x
    elements of ``dSigma`` and the x elements of ``dmu`` set to zero."""
    H = np.zeros((eng.nfree, eng.nfree))
    for g in range(eng.G):
        Si = np.linalg.inv(eng.implied(x, g)[0])
        dS, dm = eng.jacobian(x, g)
        dS[:, xi[:, None], xi[None, :]] = 0.0
        dm[:, xi] = 0.0
        C = dS @ Si  # dS_a Si
        k = len(C)
        H += eng.ns[g] / eng.N * (C.reshape(k, -1) @ C.transpose(0, 2, 1).reshape(k, -1).T + 2.0 * dm @ Si @ dm.T)
    return H


def _standardized(c: _Par, epc: float, var: dict, real: set) -> tuple[float, float]:
    """sepc.lv and sepc.all of a candidate (lavaan's std.lv and std.all of the expected change), with
    the variances at the estimates (``var``: latent total, observed implied, residual, latent residual;
    ``real``: the columns of the real latent variables, the others being observed variables in
    regressions, which ``sepc_lv`` does not standardize)."""
    r, k = c.row, c.col
    if c.mat == "L":
        return epc * np.sqrt(var["lat"][k]), epc * np.sqrt(var["lat"][k] / var["obs"][r])
    if c.mat == "B":
        lv = epc * np.sqrt(var["lat"][k] if k in real else 1.0) / np.sqrt(var["lat"][r] if r in real else 1.0)
        return lv, epc * np.sqrt(var["lat"][k] / var["lat"][r])
    if r == k and c.mat == "T":  # a fixed residual variance: lavaan's sepc here follows no documented rule
        return np.nan, np.nan
    if r == k:  # a latent variance: divided by the variance it implies when set to epc (1 for an exogenous factor)
        std = epc / (var["lat"][r] - var["psi"][r] + epc)
        return std, std
    if c.mat == "T":
        return epc, epc / np.sqrt(var["res"][r] * var["res"][k])
    std = epc / np.sqrt(var["psi"][r] * var["psi"][k])
    return std, std


@dataclass(frozen=True)
class _Vars:
    """The variables of the candidates: observed (row order), indicators, real latent variables
    (name -> column), the variables of the regressions (name -> column), the fixed-x covariates
    and the columns of the real latent variables."""

    obs: tuple[str, ...]
    indicators: tuple[str, ...]
    latent: dict
    in_reg: dict
    fixed_x: frozenset
    real: set


def _rebuild(fit: CFAResult):
    """The fitted engine (as a :class:`_SEMEngine`), its table, the free estimates and the variables."""
    if not isinstance(fit, CFAResult):
        raise ValueError(f"fit: expected the result of cfa() or sem(), got {type(fit).__name__}")
    if fit.missing == "fiml":
        raise ValueError("fit: modification indices of a FIML fit are not implemented; fit with missing='listwise'")
    G = len(fit.sample_cov)
    S = [s.to_numpy(dtype=float) for s in fit.sample_cov]
    obs = tuple(fit.sample_cov[0].columns)
    if fit.kind != "SEM" and G > 1:
        raise ValueError(
            "fit: modification indices of a cfa() fit with groups are not implemented; fit the same model with "
            "sem(model, data, group=..., equal=...), which keeps the sample means"
        )
    # a cfa() fit is sem()'s fit of its measurement model written as lavaan's syntax (emstudy.stats.cfa.estimate)
    mm = fit.model if fit.kind == "SEM" else _as_sem(fit.model)
    meanstructure = G > 1 or any(s.op == "~1" for s in mm.statements)
    means = [np.asarray(s.attrs.get("sample_mean", np.zeros(len(obs))), dtype=float) for s in fit.sample_cov]
    lay = _layout(mm)
    table, nfree = _build_sem_table(
        mm, lay, S, means, std_lv=fit.std_lv, meanstructure=meanstructure, equal=fit.equal, partial=fit.group_partial
    )
    shown = [t for t in table if not t.hidden]
    eta = lay.eta
    params = fit.params[fit.params["op"] != ":="]
    groups = params["group"] if "group" in params.columns else [1] * len(params)
    keys = list(zip(params["lhs"], params["op"], params["rhs"], groups))
    if keys != [(t.lhs, t.op, t.rhs, t.group + 1) for t in shown]:
        raise ValueError("fit: its parameter table does not match its model; pass the result of cfa() or sem()")
    x = np.zeros(nfree)
    for t, est in zip(shown, params["est"].to_numpy(dtype=float)):
        if t.free >= 0:
            x[t.free] = est
    eng = _SEMEngine(table, nfree, len(obs), len(eta), S, means, list(fit.n_obs), meanstructure)
    return eng, table, x, _vars(mm, lay, obs)


def _vars(mm: SEMModel, lay: _Layout, obs: tuple[str, ...]) -> _Vars:
    """The variables of the candidates of a model (:class:`_Vars`)."""
    eta, latent = lay.eta, lay.factors
    items = tuple(dict.fromkeys(s.rhs for s in mm.statements if s.op == "=~"))
    reg = tuple(dict.fromkeys(v for s in mm.statements if s.op == "~" for v in (s.lhs, s.rhs)))
    return _Vars(
        obs=obs,
        indicators=tuple(v for v in obs if v in items),
        latent={f: eta.index(f) for f in latent},
        in_reg={v: eta.index(v) for v in reg},
        fixed_x=frozenset(lay.fixed_x),
        real={eta.index(f) for f in latent},
    )


def _candidates(table: list[_Par], g: int, vs: _Vars) -> list[_Par]:
    """lavaan's candidates of group ``g``, in its order: the fixed parameters of the model (marker
    loadings, fixed values: the table's own rows, freed at their value; not the fixed-x
    covariances), then new ones at 0: loadings of each factor on the indicators it does not load,
    residual covariances of indicators, covariances among the latent variables, regressions among
    the variables of the regressions."""
    rows = [t for t in table if t.group == g]
    out = [
        t
        for t in rows
        if t.free < 0 and t.op in ("=~", "~~", "~") and not getattr(t, "hidden", False)
        and not (t.op == "~~" and t.lhs in vs.fixed_x and t.rhs in vs.fixed_x)
    ]  # fmt: skip
    have = {(t.lhs, t.op, t.rhs) for t in rows} | {(t.rhs, "~~", t.lhs) for t in rows if t.op == "~~"}
    obs = vs.obs
    new = []
    for f, k in vs.latent.items():
        new += [_Par(f, "=~", v, g, "L", obs.index(v), k, -1, 0.0) for v in vs.indicators if (f, "=~", v) not in have]
    for group, mat, index in ((list(vs.indicators), "T", obs.index), (list(vs.latent), "P", vs.latent.get)):
        for i, u in enumerate(group):
            for v in group[i + 1 :]:
                if (u, "~~", v) not in have:
                    ju, jv = index(u), index(v)
                    new.append(_Par(u, "~~", v, g, mat, max(ju, jv), min(ju, jv), -1, 0.0))
    reg = vs.in_reg
    for u in reg:
        for v in reg:
            if u != v and (u, "~", v) not in have and not (u in vs.fixed_x and v in vs.fixed_x):
                new.append(_Par(u, "~", v, g, "B", reg[u], reg[v], -1, 0.0))
    return out + new
