"""Nonparametric bootstrap of a CFA or SEM: standard errors and percentile intervals.

Rows of the data are resampled with replacement (within each group when the model has groups), the
model is refitted to every resample and the spread of the estimates over the resamples gives the
standard errors (standard deviation, divisor B - 1) and the percentile intervals, for every free
parameter and every defined (``:=``) parameter such as an indirect effect (Efron & Tibshirani,
1993; for indirect effects Preacher & Hayes, 2008). Replicate ``b`` draws from the ``b``-th child of
``numpy.random.SeedSequence(seed)``, so the result does not depend on the number of workers.
"""

from __future__ import annotations

import functools
import pickle
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from emstudy.errors import ConvergenceWarning, HeywoodWarning, MissingDataWarning, ModelWarning, SampleSizeWarning
from emstudy.stats.cfa.estimate import CFAResult
from emstudy.stats.cfa.semsyntax import SEMModel
from emstudy.stats.sem import sem

__all__ = ["BootstrapResult", "bootstrap"]

# warnings of a refit that the bootstrap counts instead of repeating B times
_QUIET = (ConvergenceWarning, HeywoodWarning, MissingDataWarning, ModelWarning, SampleSizeWarning)


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Result of :func:`bootstrap`.

    Attributes
    ----------
    params : pandas.DataFrame
        One row per free and per defined parameter: ``lhs, op, rhs`` (``group``, ``group_label``
        with groups), ``label`` (if the fit has labels), ``est`` (the fit to the full data), ``se``
        (bootstrap standard error), ``ci_lower``, ``ci_upper`` (percentile interval).
    estimates : numpy.ndarray
        The estimates of the successful replicates (rows, in replicate order) by parameter
        (columns, the rows of ``params``).
    fit : CFAResult
        The fit to the full data.
    n_boot : int
        Replicates drawn.
    n_failed : int
        Replicates whose fit failed or did not converge (left out, as lavaan drops them).
    seed : int
    conf_level : float
    """

    params: pd.DataFrame
    estimates: np.ndarray = field(repr=False)
    fit: CFAResult = field(repr=False)
    n_boot: int
    n_failed: int
    seed: int
    conf_level: float

    def __repr__(self) -> str:
        return (
            f"BootstrapResult(parameters={len(self.params)}, n_boot={self.n_boot}, n_failed={self.n_failed}, "
            f"seed={self.seed}, conf_level={self.conf_level})"
        )


def bootstrap(
    fit_function: Callable[[pd.DataFrame], CFAResult] | str | SEMModel,
    data: pd.DataFrame,
    *,
    group: str | None = None,
    n_boot: int = 1000,
    seed: int,
    n_jobs: int = 1,
    conf_level: float = 0.95,
) -> BootstrapResult:
    """Bootstrap standard errors and percentile intervals of a CFA or SEM (lavaan's ``se =
    "bootstrap"`` with ``parameterEstimates(fit, boot.ci.type = "perc")``).

    Parameters
    ----------
    fit_function : callable, str or SEMModel
        Fits the model to a data frame and returns a :class:`CFAResult`, e.g.
        ``functools.partial(sem, model, estimator="ML")`` or ``functools.partial(cfa, model)``;
        a model (lavaan syntax or :class:`SEMModel`) stands for ``functools.partial(sem, model)``.
        With ``n_jobs > 1`` it must be picklable (a ``functools.partial`` of a module-level
        function, not a lambda).
    data : pandas.DataFrame
        One row per respondent (never modified).
    group : str, optional
        The grouping column the fit uses (``group=`` of :func:`sem` or :func:`cfa`): rows are
        resampled within each group, keeping the group sizes.
    n_boot : int
        Number of bootstrap replicates (at least 2).
    seed : int
        Seed of the ``numpy.random.SeedSequence`` whose ``n_boot`` children draw the replicates.
    n_jobs : int
        Worker processes; the result is the same for any number.
    conf_level : float
        Level of the percentile intervals.

    Returns
    -------
    BootstrapResult
        ``params`` with ``est, se, ci_lower, ci_upper`` for every free and every ``:=`` parameter;
        ``n_failed`` counts the replicates left out.

    Raises
    ------
    ValueError
        On an option out of range, a ``group`` not in ``data``, a fit with groups but no
        ``group``, a fit function that is not picklable with ``n_jobs > 1``, or fewer than two
        successful replicates.

    Notes
    -----
    The standard error is the standard deviation of the replicate estimates (divisor B - 1) and
    the interval their ``(1 - conf_level) / 2`` and ``(1 + conf_level) / 2`` quantiles (linear
    interpolation, R's type 7). A replicate fails when its fit raises (e.g. a singular sample
    covariance) or does not converge; improper solutions (Heywood cases) are kept, as lavaan
    keeps them.

    Examples
    --------
    >>> boot = bootstrap(functools.partial(sem, model), df, n_boot=1000, seed=1, n_jobs=2)  # doctest: +SKIP
    >>> boot.params.query("op == ':='")  # doctest: +SKIP

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
    Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling strategies for assessing and
    comparing indirect effects in multiple mediator models. Behavior Research Methods, 40, 879-891.
    """
    fit_function = _check_args_bootstrap(
        fit_function, data, group=group, n_boot=n_boot, seed=seed, n_jobs=n_jobs, conf_level=conf_level
    )
    full = fit_function(data)
    if len(full.groups) > 1 and group is None:
        raise ValueError("group: the fit has groups; pass group=<the grouping column> to resample within groups")
    keep = (full.params["free"] | (full.params["op"] == ":=")).to_numpy()
    strata = _strata(data, group)
    children = np.random.SeedSequence(seed).spawn(n_boot)
    chunks = [list(range(i, n_boot, n_jobs)) for i in range(n_jobs)] if n_jobs > 1 else [list(range(n_boot))]
    job = functools.partial(_replicates, fit_function, data, strata, keep)
    # one BLAS thread per fit (small matrices; the workers are the parallelism), for any n_jobs alike
    if n_jobs == 1:
        parts = [job([(b, children[b]) for b in chunks[0]])]
    else:
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            parts = list(pool.map(job, [[(b, children[b]) for b in c] for c in chunks]))
    results = dict(item for part in parts for item in part)
    draws = [results[b] for b in range(n_boot)]
    ok = [d for d in draws if d is not None]
    if len(ok) < 2:
        raise ValueError(f"n_boot: only {len(ok)} of {n_boot} replicates could be fitted; check the model on the data")
    est = np.vstack(ok)
    return BootstrapResult(
        params=_boot_table(full.params[keep], est, conf_level),
        estimates=est,
        fit=full,
        n_boot=n_boot,
        n_failed=n_boot - len(ok),
        seed=seed,
        conf_level=conf_level,
    )


def _check_args_bootstrap(
    fit_function: object, data: object, *, group: str | None, n_boot: int, seed: object, n_jobs: int, conf_level: float
) -> Callable[[pd.DataFrame], CFAResult]:
    """Check the options of :func:`bootstrap`; return the fit function."""
    if isinstance(fit_function, (str, SEMModel)):
        fit_function = functools.partial(sem, fit_function)
    if not callable(fit_function):
        raise ValueError("fit_function: expected a function data -> CFAResult or a model (lavaan syntax)")
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if group is not None and group not in data.columns:
        raise ValueError(f"group: column {group!r} is not in data")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(f"n_boot: expected an integer of at least 2, got {n_boot!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise ValueError(f"n_jobs: expected a positive integer, got {n_jobs!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number between 0 and 1, got {conf_level!r}")
    if n_jobs > 1:
        try:
            pickle.dumps(fit_function)
        except (pickle.PicklingError, AttributeError, TypeError) as err:
            raise ValueError(
                "fit_function: cannot be sent to worker processes (a lambda or local function); use "
                "functools.partial(sem, model, ...) or n_jobs=1"
            ) from err
    return fit_function


def _strata(data: pd.DataFrame, group: str | None) -> list[np.ndarray]:
    """Row positions of each group (one stratum without groups), in the order of first appearance."""
    if group is None:
        return [np.arange(len(data))]
    codes = pd.factorize(data[group])[0]
    return [np.flatnonzero(codes == k) for k in range(codes.max() + 1)] + [np.flatnonzero(codes < 0)]


def _replicates(
    fit_function: Callable[[pd.DataFrame], CFAResult],
    data: pd.DataFrame,
    strata: list[np.ndarray],
    keep: np.ndarray,
    jobs: Sequence[tuple[int, np.random.SeedSequence]],
) -> list[tuple[int, np.ndarray | None]]:
    """Fit the replicates ``jobs`` (index, seed); None for a failed one."""
    out = []
    for b, ss in jobs:
        rng = np.random.default_rng(ss)
        rows = np.concatenate([s[rng.integers(0, len(s), len(s))] for s in strata if len(s)])
        sample = data.iloc[rows].reset_index(drop=True)
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            for category in _QUIET:
                warnings.simplefilter("ignore", category)
            try:
                fit = fit_function(sample)
            except (ValueError, np.linalg.LinAlgError):
                out.append((b, None))
                continue
        est = fit.params["est"].to_numpy(dtype=float)
        good = fit.converged and len(est) == len(keep) and np.all(np.isfinite(est[keep]))
        out.append((b, est[keep] if good else None))
    return out


def _boot_table(params: pd.DataFrame, est: np.ndarray, conf_level: float) -> pd.DataFrame:
    """The full-data estimates with the bootstrap standard errors and percentile intervals."""
    cols = [c for c in ("lhs", "op", "rhs", "group", "group_label", "label", "est") if c in params.columns]
    out = params[cols].reset_index(drop=True).copy()
    alpha = (1.0 - conf_level) / 2.0
    out["se"] = est.std(axis=0, ddof=1)
    out["ci_lower"] = np.quantile(est, alpha, axis=0)
    out["ci_upper"] = np.quantile(est, 1.0 - alpha, axis=0)
    return out
