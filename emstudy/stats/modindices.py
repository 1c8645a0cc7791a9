"""Modification indices of a fitted CFA or SEM, as lavaan's ``modindices()`` computes them.

A modification index is the univariate score (Lagrange-multiplier) test of freeing one parameter that
the model fixes to zero: with the expected information of the model extended by that parameter,
``mi = N * s^2 / V``, where ``s`` is the score of the normal log-likelihood per observation with
respect to the new parameter at the estimates and ``V`` its information after the free parameters
are partialled out; the expected parameter change is ``epc = s / V`` (Saris, Satorra & Sörbom,
1987). This module rebuilds the fitted engine from a :class:`~emstudy.stats.cfa.estimate.CFAResult`
(model, sample covariance, group sizes, estimates) and extends it; it does not refit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from emstudy.stats.cfa.engine import _build_table, _Par
from emstudy.stats.cfa.estimate import CFAResult
from emstudy.stats.cfa.semengine import _build_sem_table, _layout, _SEMEngine

__all__ = ["modindices"]


def modindices(fit: CFAResult, *, sort: bool = True, minimum_value: float = 0.0) -> pd.DataFrame:
    """Modification indices of a single-group ML fit of :func:`~emstudy.stats.cfa.cfa` or
    :func:`~emstudy.stats.sem.sem`, as lavaan's ``modindices(fit)``.

    Parameters
    ----------
    fit : CFAResult
        A single-group fit without a mean structure (no ``~ 1`` statement) and without observed
        variables in regressions. The indices are the ML ones (expected information) whatever the
        estimator; for ``"MLR"`` fits they are not checked against lavaan.
    sort : bool
        Sort by decreasing modification index (lavaan's ``sort. = TRUE``); otherwise the rows are
        in lavaan's order (cross-loadings factor by factor, then residual covariances).
    minimum_value : float
        Keep only the rows with ``mi`` above this value (lavaan's ``minimum.value``); 0 keeps all.

    Returns
    -------
    pandas.DataFrame
        One row per parameter lavaan considers: the fixed parameters of the model (freed at their
        value), and, fixed to zero, the loading of every factor on every indicator it does not load
        (``=~``), the residual covariance of every pair of indicators (``~~``) and the covariance
        and regressions (both directions) of every pair of latent variables not in the model.
        Columns ``lhs, op, rhs, mi, epc, sepc_lv, sepc_all``: the score statistic (1 df), the
        expected parameter change, and the change standardized by the latent variables
        (``sepc_lv``) and by the latent and observed variables (``sepc_all``; covariances of
        residuals are divided by the residual standard deviations; NaN for a fixed residual
        variance of an observed variable, where lavaan's values, e.g. ``sepc.lv`` equal to minus
        the fixed value, follow no rule we could confirm).

    Raises
    ------
    ValueError
        For several groups, a mean structure, observed variables in regressions, or a fit whose
        parameter table does not match its model (a result not made by :func:`cfa` or :func:`sem`).

    Notes
    -----
    A candidate whose information is below ``sqrt(machine epsilon)`` after the free parameters
    are partialled out (freeing it leaves the model unidentified or is equivalent to the model,
    e.g. a marker loading, a reversed regression) has no index and is dropped, as lavaan drops its
    ``NA`` rows.

    Examples
    --------
    >>> fit = cfa("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9", hs)  # doctest: +SKIP
    >>> modindices(fit).head()  # doctest: +SKIP

    References
    ----------
    Sörbom, D. (1989). Model modification. Psychometrika, 54, 371-384.
    Saris, W. E., Satorra, A., & Sörbom, D. (1987). The detection and correction of specification
    errors in structural equation models. Sociological Methodology, 17, 105-129.
    """
    eng, table, x, obs, latent, indicators = _rebuild(fit)
    cands = _candidates(table, obs, latent, indicators)
    mi, epc = _score_tests(eng, table, x, cands)
    L, T, P, B, A, M, nu, a = eng.parts(x, 0)
    var = {"lat": np.diag(M), "obs": np.diag(eng.implied(x, 0)[0]), "res": np.diag(T), "psi": np.diag(P)}
    rows = []
    for k, c in enumerate(cands):
        lv, full = _standardized(c, epc[k], var)
        rows.append(
            {"lhs": c.lhs, "op": c.op, "rhs": c.rhs, "mi": mi[k], "epc": epc[k], "sepc_lv": lv, "sepc_all": full}
        )
    out = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "mi", "epc", "sepc_lv", "sepc_all"])
    out = out[out["mi"].notna()]
    if minimum_value > 0:
        out = out[out["mi"] > minimum_value]
    if sort:
        out = out.sort_values("mi", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def _score_tests(eng: _SEMEngine, table: list[_Par], x: np.ndarray, cands: list[_Par]) -> tuple[np.ndarray, np.ndarray]:
    """mi and epc of each candidate: the model extended by all candidates (fixed rows freed at their
    value, new rows at 0), its gradient and expected information at the estimates."""
    q, nc = eng.nfree, len(cands)
    if nc == 0:
        return np.zeros(0), np.zeros(0)
    pos = {id(c): q + k for k, c in enumerate(cands)}
    ext = [dataclasses.replace(t, free=pos[id(t)]) if id(t) in pos else t for t in table]
    in_table = {id(t) for t in table}
    ext += [dataclasses.replace(c, free=pos[id(c)]) for c in cands if id(c) not in in_table]
    big = _SEMEngine(ext, q + nc, eng.p, eng.m, eng.S, eng.means, list(eng.ns), False)
    xe = np.concatenate([x, [t.value for t in cands]])
    grad = big.fun_grad(xe)[1][q:]
    H = big.info(xe)
    # F here is twice lavaan's F_ML: the unit information is H / 2 and the score -grad / 2
    h_me = H[:q, q:]
    V = (np.diag(H[q:, q:]) - np.einsum("mk,mk->k", h_me, np.linalg.solve(H[:q, :q], h_me))) / 2.0
    ok = V >= np.sqrt(np.finfo(float).eps)  # lavaan's NA: freeing the parameter leaves the model unidentified
    Vs = np.where(ok, V, 1.0)
    mi = np.where(ok, eng.N * (grad / 2.0) ** 2 / Vs, np.nan)
    epc = np.where(ok, -grad / 2.0 / Vs, np.nan)
    return mi, epc


def _standardized(c: _Par, epc: float, var: dict) -> tuple[float, float]:
    """sepc.lv and sepc.all of a candidate (lavaan's std.lv and std.all of the expected change), with
    the variances at the estimates (``var``: latent total, observed implied, residual, latent residual)."""
    r, k = c.row, c.col
    if c.mat == "L":
        return epc * np.sqrt(var["lat"][k]), epc * np.sqrt(var["lat"][k] / var["obs"][r])
    if c.mat == "B":
        std = epc * np.sqrt(var["lat"][k] / var["lat"][r])
        return std, std
    if r == k and c.mat == "T":  # a fixed residual variance: lavaan's sepc here follows no documented rule
        return np.nan, np.nan
    if r == k:  # a latent variance: divided by the variance it implies when set to epc (1 for an exogenous factor)
        std = epc / (var["lat"][r] - var["psi"][r] + epc)
        return std, std
    if c.mat == "T":
        return epc, epc / np.sqrt(var["res"][r] * var["res"][k])
    std = epc / np.sqrt(var["psi"][r] * var["psi"][k])
    return std, std


def _rebuild(fit: CFAResult):
    """The fitted engine (as a :class:`_SEMEngine`), its table, the free estimates, the observed
    variables, the latent variables (name -> column) and the indicators."""
    if not isinstance(fit, CFAResult):
        raise ValueError(f"fit: expected the result of cfa() or sem(), got {type(fit).__name__}")
    if len(fit.sample_cov) != 1:
        raise ValueError("fit: modification indices are implemented for a single group only (fit without group=)")
    S = [fit.sample_cov[0].to_numpy(dtype=float)]
    obs = tuple(fit.sample_cov[0].columns)
    means = [np.zeros(len(obs))]
    mm = fit.model
    if fit.kind == "SEM":
        if any(s.op == "~1" for s in mm.statements):
            raise ValueError("fit: modification indices of a model with intercepts ('~ 1') are not implemented")
        lay = _layout(mm)
        if len(lay.eta) > len(lay.factors):
            raise ValueError(
                "fit: modification indices of a model with observed variables in regressions "
                f"({', '.join(v for v in lay.eta if v not in lay.latent)}) are not implemented"
            )
        table, nfree = _build_sem_table(mm, lay, S, means, std_lv=fit.std_lv, meanstructure=False)
        shown = [t for t in table if not t.hidden]
        eta, latent = lay.eta, lay.factors
        indicators = {s.rhs for s in mm.statements if s.op == "=~"}
    else:
        table, nfree = _build_table(mm, 1, meanstructure=False, equal=(), partial=(), std_lv=fit.std_lv)
        shown = table
        eta = latent = tuple(mm.factors)
        indicators = set(obs)
    params = fit.params[fit.params["op"] != ":="]
    keys = list(zip(params["lhs"], params["op"], params["rhs"]))
    if keys != [(t.lhs, t.op, t.rhs) for t in shown]:
        raise ValueError("fit: its parameter table does not match its model; pass the result of cfa() or sem()")
    x = np.zeros(nfree)
    for t, est in zip(shown, params["est"].to_numpy(dtype=float)):
        if t.free >= 0:
            x[t.free] = est
    eng = _SEMEngine(table, nfree, len(obs), len(eta), S, means, list(fit.n_obs), False)
    return eng, table, x, obs, {f: eta.index(f) for f in latent}, indicators


def _candidates(table: list[_Par], obs: tuple, latent: dict, indicators: set) -> list[_Par]:
    """lavaan's candidates, in its order: the fixed parameters of the model (marker loadings, fixed
    values: the table's own rows, freed at their value), then new ones at 0: loadings of each
    factor on the indicators it does not load, residual covariances of indicators, covariances and
    regressions among the latent variables."""
    out = [t for t in table if t.free < 0 and t.op in ("=~", "~~", "~")]
    have = {(t.lhs, t.op, t.rhs) for t in table} | {(t.rhs, "~~", t.lhs) for t in table if t.op == "~~"}
    items = [v for v in obs if v in indicators]
    new = []
    for f, k in latent.items():
        new += [_Par(f, "=~", v, 0, "L", obs.index(v), k, -1, 0.0) for v in items if (f, "=~", v) not in have]
    for group, mat, index in ((items, "T", obs.index), (list(latent), "P", latent.get)):
        for i, u in enumerate(group):
            for v in group[i + 1 :]:
                if (u, "~~", v) not in have:
                    ju, jv = index(u), index(v)
                    new.append(_Par(u, "~~", v, 0, mat, max(ju, jv), min(ju, jv), -1, 0.0))
    for u in latent:
        for v in latent:
            if u != v and (u, "~", v) not in have:
                new.append(_Par(u, "~", v, 0, "B", latent[u], latent[v], -1, 0.0))
    return out + new
