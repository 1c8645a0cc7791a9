"""The bootstrap's refit of a structural equation model: a replicate only estimates, from the full data's
estimates (:class:`_WarmRefit`, the fit function that :mod:`emstudy.steps.paths` gives
:func:`~emstudy.stats.bootstrap.bootstrap`). Private: :func:`~emstudy.stats.sem.sem` and
:func:`~emstudy.stats.bootstrap.bootstrap` are the public ways in.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pandas as pd

from emstudy.stats.cfa._data import _prepare_data, _prepare_fiml_blocks
from emstudy.stats.cfa.engine import _optimize
from emstudy.stats.cfa.estimate import CFAResult, _check_identified
from emstudy.stats.cfa.fiml import _fiml_data, _FIMLEngine, _newton_descent, _newton_polish
from emstudy.stats.cfa.semengine import _build_sem_table, _sem_start, _SEMEngine
from emstudy.stats.cfa.semsyntax import SEMModel
from emstudy.stats.sem import _check_args_sem, _evaluate, _label_values, sem

__all__: list[str] = []


@dataclasses.dataclass
class _WarmRefit:
    """The fit function of a bootstrap (:func:`~emstudy.stats.bootstrap.bootstrap` calls it on the full data
    first, then on every replicate). The first call is :func:`sem` with ``opts``; every later call (a replicate)
    only estimates, by :func:`_replicate_estimates` from the first fit's estimates: no standard errors, fit
    measures or standardized solution, which a replicate does not use. Every replicate starts from the same
    values, so the result is the same for any number of workers. Use a new one for each bootstrap."""

    model: str | SEMModel
    opts: dict
    start: dict | None = None  # (lhs, op, rhs, group) -> the full data's estimate, set by the first call

    def __call__(self, data: pd.DataFrame) -> CFAResult:
        if self.start is None:
            fit = sem(self.model, data, **self.opts)
            free = fit.params[fit.params["free"]]
            groups = free["group"] if "group" in free else [1] * len(free)
            self.start = {(a, o, b, int(g)): float(e) for a, o, b, g, e in zip(*(free[c] for c in ("lhs", "op", "rhs")), groups, free["est"])}  # fmt: skip
            return fit
        return _replicate_estimates(self.model, data, self.opts, self.start)


def _replicate_estimates(mm: str | SEMModel, data: pd.DataFrame, opts: dict, start: dict):
    """The estimates of :func:`sem` (free, fixed and ``:=`` rows of ``params["est"]`` in its order) and
    ``converged``, fitted as :func:`_fit_sem` does (the same data preparation, table, optimizer and, under FIML,
    Newton polish) but from ``start``, without what follows the estimates."""
    o = {"estimator": "ML", "group": None, "equal": (), "group_partial": (), "std_lv": False, "missing": "listwise"}
    o |= {"max_iter": 1000, **opts}
    mm, lay, meanstructure, equal, partial = _check_args_sem(
        mm, data, sample_cov=None, sample_mean=None, sample_nobs=None, estimator=o["estimator"], group=o["group"],
        missing=o["missing"], equal=o["equal"], group_partial=o["group_partial"],
    )  # fmt: skip
    fd = None
    if o["missing"] == "fiml":
        fd = _fiml_data(*_prepare_fiml_blocks(lay, data, o["group"]), len(lay.obs))
    else:
        labels, S, means, ns, blocks = _prepare_data(lay, data, o["group"], raw=True)
        if meanstructure and o["estimator"] == "MLR":  # as _fit_sem: FIML on the complete rows
            fd = _fiml_data(labels, blocks, len(lay.obs))
    if fd is not None:
        S, means, ns = fd.S, fd.means, fd.ns
    table, nfree = _build_sem_table(
        mm, lay, S, means, std_lv=o["std_lv"], meanstructure=meanstructure, equal=equal, partial=partial
    )
    nx = len(lay.fixed_x)
    fixed_moments = len(S) * (nx * (nx + 1) // 2 + (nx if meanstructure else 0))
    _check_identified(table, nfree + fixed_moments, lay, ns, group_partial=partial, meanstructure=meanstructure)
    x0 = _sem_start(table, nfree)
    for t in table:
        if t.free >= 0 and (t.lhs, t.op, t.rhs, t.group + 1) in start:
            x0[t.free] = start[(t.lhs, t.op, t.rhs, t.group + 1)]
    eng = _SEMEngine(table, nfree, len(lay.obs), len(lay.eta), S, means, ns, meanstructure)
    if fd is None:
        x, converged, _ = _optimize(eng, x0, o["max_iter"])
    else:  # Newton's steps with the analytic Hessian from the nearby start; the optimizer where they stall
        feng = _FIMLEngine(eng, fd.pats, fd.logl_h1)
        x, converged = _newton_descent(feng, x0)
        if not converged:
            x, converged, _ = _optimize(feng, x0, o["max_iter"])
        x = _newton_polish(feng, x)  # as _fit_fiml: to the rounding level of the gradient
    est = [float(x[t.free]) if t.free >= 0 else t.value for t in table if not t.hidden]
    est += [float(v) for v in _evaluate(mm, _label_values(table, x))]
    return SimpleNamespace(params=pd.DataFrame({"est": est}), converged=converged)
