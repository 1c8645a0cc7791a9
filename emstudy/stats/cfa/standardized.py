"""What a fitted CFA's standardized solution says beyond its estimates: whether the solution is improper
(:func:`improper_estimates`) and how precise its standardized loadings are (:func:`std_loading_se`).

Both :func:`emstudy.stats.cfa.cfa` (its Heywood warnings) and the planning analyses (a replication counted as
improper) read a fit through :func:`improper_estimates`, so that the two cannot disagree on what an improper
solution is.

References
----------
Kolenikov, S., & Bollen, K. A. (2012). Testing negative error variances: is a Heywood case a symptom of
misspecification? *Sociological Methods & Research*, 41(1), 124-167.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["ImproperEstimate", "improper_estimates", "std_loading_se"]

ImproperKind = Literal["negative_variance", "std_loading_above_one", "std_correlation_above_one"]


@dataclass(frozen=True)
class ImproperEstimate:
    """One estimate that makes a solution improper.

    Attributes
    ----------
    kind : {"negative_variance", "std_loading_above_one", "std_correlation_above_one"}
        A (residual or factor) variance below 0; a standardized (``std.all``) loading beyond 1 in absolute
        value; a standardized factor covariance (a correlation) beyond 1.
    lhs, op, rhs : str
        The parameter, as in lavaan's parameter table (``rhs`` is the item of a loading).
    value : float
        The variance, or the standardized loading or correlation.
    group : str or None
        The group's label in a multigroup fit, else None.
    """

    kind: ImproperKind
    lhs: str
    op: str
    rhs: str
    value: float
    group: str | None = None


def _group_label(row: pd.Series, labels: tuple[str, ...]) -> str | None:
    if len(labels) <= 1 or "group" not in row.index:
        return None
    return str(labels[int(row["group"]) - 1])


def improper_estimates(fit) -> tuple[ImproperEstimate, ...]:
    """Every estimate of a fitted CFA or SEM that makes its solution improper (a Heywood case).

    Parameters
    ----------
    fit : CFAResult
        A fit of :func:`emstudy.stats.cfa.cfa` or :func:`emstudy.stats.sem.sem` (its ``params`` with ``est``
        and ``std_all``, ``model.factors`` and ``groups``).

    Returns
    -------
    tuple of ImproperEstimate
        In the order of the parameter table: negative variances, standardized loadings beyond 1, standardized
        factor covariances beyond 1. Empty for a proper solution.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> params = pd.DataFrame({"lhs": ["f", "f", "x1", "x2", "f"], "op": ["=~", "=~", "~~", "~~", "~~"],
    ...                        "rhs": ["x1", "x2", "x1", "x2", "f"], "est": [1.2, 0.8, -0.1, 0.4, 1.0],
    ...                        "std_all": [1.05, 0.78, -0.1, 0.4, 1.0]})
    >>> fit = SimpleNamespace(params=params, model=SimpleNamespace(factors=["f"]), groups=("all",))
    >>> [(e.kind, e.rhs) for e in improper_estimates(fit)]
    [('std_loading_above_one', 'x1'), ('negative_variance', 'x1')]
    """
    params = fit.params
    factors = set(fit.model.factors)
    labels = tuple(getattr(fit, "groups", ()) or ())
    out = []
    for _, row in params.iterrows():
        op, lhs, rhs = row["op"], str(row["lhs"]), str(row["rhs"])
        kind: ImproperKind | None = None
        value = float(row["std_all"])
        if op == "~~" and lhs == rhs and float(row["est"]) < 0:
            kind, value = "negative_variance", float(row["est"])
        elif op == "=~" and abs(value) > 1:
            kind = "std_loading_above_one"
        elif op == "~~" and lhs != rhs and lhs in factors and rhs in factors and abs(value) > 1:
            kind = "std_correlation_above_one"
        if kind is not None:
            out.append(ImproperEstimate(kind, lhs, op, rhs, value, _group_label(row, labels)))
    return tuple(out)


def std_loading_se(fit) -> np.ndarray:
    """Delta-method standard errors of the standardized (``std.all``) loadings of a CFA fitted with
    ``std_lv=True``, in the order of the ``=~`` rows of ``fit.params``: lavaan's ``standardizedSolution()``.

    With the factor variances fixed at 1, a loading ``l_jf`` standardizes to ``l_jf / sqrt(s_j)``, where
    ``s_j = sum_ab l_ja l_jb psi_ab + theta_j`` is the item's model-implied variance; the gradient of that
    with respect to the item's loadings, the factor covariances among its factors and its residual variance,
    with the fit's covariance matrix of the estimates (``fit.vcov``), gives the standard error.

    Parameters
    ----------
    fit : CFAResult
        A single-group fit of :func:`emstudy.stats.cfa.cfa` with ``std_lv=True`` and ``fit.vcov``.

    Returns
    -------
    numpy.ndarray
        One standard error per loading (checked against ``standardizedSolution()`` in
        ``tests/reference/planning_std_loadings.R``).

    References
    ----------
    Rosseel, Y. (2012). lavaan: an R package for structural equation modeling. *Journal of Statistical
    Software*, 48(2), 1-36.
    """
    p = fit.params.reset_index(drop=True)
    est, op, lhs, rhs = p["est"].to_numpy(), p["op"].to_numpy(), p["lhs"].to_numpy(), p["rhs"].to_numpy()
    psi = {(a, b): i for i, (a, b) in enumerate(zip(lhs, rhs)) if op[i] == "~~" and a in fit.model.factors}
    out = []
    for r in np.flatnonzero(op == "=~"):
        item = rhs[r]
        mine = {lhs[i]: i for i in np.flatnonzero((op == "=~") & (rhs == item))}
        theta = next(i for i in np.flatnonzero(op == "~~") if lhs[i] == item and rhs[i] == item)
        cov = lambda a, b: est[psi.get((a, b), psi.get((b, a)))] if {(a, b), (b, a)} & psi.keys() else 0.0
        s = sum(est[i] * est[k] * cov(a, b) for a, i in mine.items() for b, k in mine.items()) + est[theta]
        grad = np.zeros(len(p))
        scale = -est[r] / (2 * s**1.5)
        grad[r] += 1 / np.sqrt(s)
        for a, i in mine.items():
            grad[i] += scale * 2 * sum(est[k] * cov(a, b) for b, k in mine.items())
        for (a, b), i in psi.items():
            if a != b and a in mine and b in mine:
                grad[i] += scale * 2 * est[mine[a]] * est[mine[b]]
        grad[theta] += scale
        out.append(float(np.sqrt(max(grad @ fit.vcov @ grad, 0.0))))
    return np.asarray(out)
