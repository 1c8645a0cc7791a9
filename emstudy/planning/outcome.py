"""What one Monte Carlo replication of a planning study returns, shared by the analyses and the engine.

An analysis (:mod:`emstudy.planning.analyses`) is a callable ``analysis(data) -> Outcome``; the engine
(:mod:`emstudy.planning.engine`) calls it on data a population (:mod:`emstudy.planning.population`) drew, for
every sample size and replication, and turns the outcomes into a :class:`~emstudy.planning.result.PowerTable`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Outcome"]


@dataclass(frozen=True)
class Outcome:
    """One replication's verdicts.

    Parameters
    ----------
    success : mapping of str to bool
        For each target (a hypothesis test or a precision criterion, named by the analysis), whether this
        replication reached it: the test rejected, or the interval was narrow enough. Power is the share of
        replications with ``True``.
    converged : bool
        Whether the estimator converged. A replication that did not converge counts as not reaching any
        target (the conservative convention of simsem's ``summaryParam``-based power is to drop it; emstudy
        keeps it in the denominator and reports the count, so non-convergence lowers power visibly).
    improper : bool
        Whether the solution is improper (a negative variance or a correlation beyond 1, a Heywood case).
        Counted and reported; the replication's verdicts still count.
    """

    success: Mapping[str, bool]
    converged: bool = True
    improper: bool = False
    values: Mapping[str, float] = field(default_factory=dict)
