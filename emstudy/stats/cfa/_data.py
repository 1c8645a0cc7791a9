"""Input of the CFA: raw data or summary statistics turned into per-group moments.

:func:`_prepare_data` takes a data frame (listwise deletion, one block per group) and
:func:`_prepare_moments` lavaan-style summary statistics (``sample.cov``, ``sample.mean``,
``sample.nobs``); both return the group labels, the biased (divisor N) covariance matrices, the
means and the group sizes, after checking that every matrix is positive definite.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.errors import MissingDataWarning
from emstudy.stats.cfa.categorical import OrdinalMoments, _ordinal_values, ordinal_moments
from emstudy.stats.cfa.syntax import MeasurementModel

__all__: list[str] = []

#: lavaan's estimators for ordered items (``sem(..., ordered=...)``)
ORDERED_ESTIMATORS = ("WLSMV", "DWLS", "ULSMV", "ULS")


def _check_data_columns(mm: MeasurementModel, data: object, group: str | None) -> pd.DataFrame:
    """Check that ``data`` holds the model variables (numeric) and ``group``; return those columns."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    obs = list(mm.observed)
    for v in obs:
        if v not in data.columns:
            raise ValueError(f"model: variable {v!r} is not a column of data")
    for f in mm.factors:
        if f in data.columns:
            raise ValueError(f"model: factor name {f!r} is also a column of data; latent names must differ")
    cols = obs + ([group] if group is not None else [])
    if group is not None and group not in data.columns:
        raise ValueError(f"group: column {group!r} is not in data")
    df = data[cols]
    for v in obs:
        if not pd.api.types.is_numeric_dtype(df[v]) or pd.api.types.is_bool_dtype(df[v]):
            raise ValueError(f"data: variable {v!r} is not numeric (dtype {df[v].dtype})")
    return df


def _block_moments(X: np.ndarray, obs: list[str], where: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased (divisor N) covariance matrix of one group's complete rows ``X``, checked to
    be positive definite; ``where`` names the group in the error messages."""
    n = X.shape[0]
    p = len(obs)
    if n <= p:
        raise ValueError(f"data: too few observations{where}: {n} complete rows for {p} observed variables")
    mean = X.mean(axis=0)
    C = (X - mean).T @ (X - mean) / n
    sd = np.sqrt(np.diag(C))
    const = [obs[j] for j in range(p) if sd[j] <= 1e-12 * max(1.0, abs(mean[j]))]
    if const:
        raise ValueError(
            f"data: sample covariance matrix{where} is not positive definite: variable(s) {const} are constant"
        )
    smallest = _min_correlation_eigenvalue(C)
    if smallest <= 1e-10:
        raise ValueError(
            f"data: sample covariance matrix{where} is not positive definite "
            f"(smallest eigenvalue of the correlation matrix {smallest:.3g}); some observed "
            "variables are linearly dependent (duplicated items or a sum score?)"
        )
    return mean, C


def _prepare_data(mm: MeasurementModel, data: pd.DataFrame, group: str | None, *, raw: bool = False):
    """Per-group moments of raw ``data`` after listwise deletion (warned with
    :class:`~emstudy.errors.MissingDataWarning`); with ``raw=True`` also the data blocks."""
    df = _check_data_columns(mm, data, group)
    obs = list(mm.observed)
    complete = df.dropna()
    dropped = len(df) - len(complete)
    if dropped:
        warnings.warn(
            f"cfa: {dropped} of {len(df)} rows with missing values were removed (listwise deletion)",
            MissingDataWarning,
            stacklevel=4,
        )
    if group is None:
        labels = [""]
        blocks = [complete[obs].to_numpy(dtype=float)]
    else:
        labels = [str(v) for v in pd.unique(complete[group])]
        blocks = [complete.loc[complete[group].astype(str) == lab, obs].to_numpy(dtype=float) for lab in labels]
        if len(labels) < 2:
            raise ValueError(f"group: column {group!r} has fewer than two groups")
    S, means, ns = [], [], []
    for lab, X in zip(labels, blocks):
        where = f" in group {lab!r}" if group is not None else ""
        mean, C = _block_moments(X, obs, where)
        S.append(C)
        means.append(mean)
        ns.append(X.shape[0])
    if raw:
        return labels, S, means, ns, blocks
    return labels, S, means, ns


def _check_cov_labels(arg: str, cov: object, mm: MeasurementModel) -> None:
    """Check the shape and the variable names of one user-supplied covariance matrix."""
    obs = list(mm.observed)
    if not isinstance(cov, pd.DataFrame):
        raise ValueError(
            f"{arg}: expected a pandas DataFrame with the variable names as index and columns, got {type(cov).__name__}"
        )
    nrow, ncol = cov.shape
    if nrow != ncol:
        raise ValueError(f"{arg}: expected a square matrix, got {nrow} rows and {ncol} columns")
    if cov.index.has_duplicates or cov.columns.has_duplicates:
        raise ValueError(f"{arg}: variable names in the index or columns are repeated")
    if set(cov.index) != set(cov.columns):
        odd = sorted(map(str, set(cov.index) ^ set(cov.columns)))
        raise ValueError(f"{arg}: index and columns must name the same variables; they differ in {odd}")
    absent = [v for v in obs if v not in cov.columns]
    if absent:
        raise ValueError(
            f"{arg}: model variable(s) {absent} are not in the matrix; add their rows and "
            "columns or remove them from the model"
        )
    for f in mm.factors:
        if f in cov.columns:
            raise ValueError(f"model: factor name {f!r} is also a variable of {arg}; latent names must differ")


def _check_sample_cov(arg: str, cov: object, mm: MeasurementModel) -> np.ndarray:
    """Validate one user-supplied covariance matrix; return it over the model variables."""
    _check_cov_labels(arg, cov, mm)
    obs = list(mm.observed)
    sub = cov.loc[obs, obs]
    try:
        S = sub.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{arg}: entries must be numbers") from None
    if not np.isfinite(S).all():
        i, j = np.argwhere(~np.isfinite(S))[0]
        raise ValueError(
            f"{arg}: missing or infinite entry for ({obs[i]!r}, {obs[j]!r}); every pair of model "
            "variables needs a covariance"
        )
    scale = max(float(np.max(np.abs(S))), np.finfo(float).tiny)
    asym = np.abs(S - S.T)
    if np.max(asym) > 1e-8 * scale:
        i, j = np.unravel_index(np.argmax(asym), asym.shape)
        raise ValueError(
            f"{arg}: not symmetric: entry ({obs[i]!r}, {obs[j]!r}) is {S[i, j]:.6g} but "
            f"({obs[j]!r}, {obs[i]!r}) is {S[j, i]:.6g}"
        )
    S = (S + S.T) / 2.0
    nonpos = [obs[j] for j in range(len(obs)) if S[j, j] <= 0]
    if nonpos:
        raise ValueError(f"{arg}: not positive definite: the variance of {nonpos} is zero or negative")
    smallest = _min_correlation_eigenvalue(S)
    if smallest <= 1e-10:
        raise ValueError(
            f"{arg}: not positive definite (smallest eigenvalue of the correlation matrix "
            f"{smallest:.3g}); some observed variables are linearly dependent, or the matrix was "
            "assembled from inconsistent pieces (e.g. pairwise deletion)"
        )
    return S


def _min_correlation_eigenvalue(cov: np.ndarray) -> float:
    """Smallest eigenvalue of the correlation matrix of ``cov`` (positive variances assumed): the scale-free
    test of positive definiteness used for raw-data and user-supplied covariance matrices alike."""
    sd = np.sqrt(np.diag(cov))
    return float(np.linalg.eigvalsh(cov / np.outer(sd, sd))[0])


def _check_sample_mean(arg: str, mean: object, mm: MeasurementModel) -> np.ndarray:
    """Validate one user-supplied mean vector; return it over the model variables."""
    obs = list(mm.observed)
    if not isinstance(mean, pd.Series):
        raise ValueError(f"{arg}: expected a pandas Series indexed by variable name, got {type(mean).__name__}")
    if mean.index.has_duplicates:
        raise ValueError(f"{arg}: variable names in the index are repeated")
    absent = [v for v in obs if v not in mean.index]
    if absent:
        raise ValueError(f"{arg}: model variable(s) {absent} have no mean; add them to the Series")
    try:
        mu = mean.loc[obs].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{arg}: entries must be numbers") from None
    if not np.isfinite(mu).all():
        bad = [v for v, x in zip(obs, mu) if not np.isfinite(x)]
        raise ValueError(f"{arg}: missing or infinite mean for {bad}")
    return mu


def _check_sample_nobs(arg: str, n: object, p: int) -> int:
    """Validate one number of observations (an integer above the number of variables)."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise ValueError(
            f"{arg}: expected a positive integer (the number of observations behind the matrix), got {n!r}"
        )
    if n <= 0:
        raise ValueError(f"{arg}: expected a positive integer, got {n}")
    if n <= p:
        raise ValueError(f"{arg}: {n} observations for {p} observed variables; need more observations than variables")
    return int(n)


def _check_group_keys(
    sample_cov: Mapping[object, pd.DataFrame],
    sample_mean: Mapping[object, pd.Series] | None,
    sample_nobs: Mapping[object, int] | None,
) -> list:
    """Check that a mapping ``sample_cov`` has at least two groups, distinct labels, and that
    ``sample_mean`` and ``sample_nobs`` are mappings with the same keys; return the keys."""
    keys = list(sample_cov.keys())
    if len(keys) < 2:
        raise ValueError(
            "sample_cov: a mapping gives one matrix per group and needs at least two groups; "
            "for a single group pass the DataFrame itself"
        )
    labels = [str(k) for k in keys]
    if len(set(labels)) != len(labels):
        raise ValueError(f"sample_cov: group keys {keys} are not distinct as text")
    if sample_nobs is None:
        raise ValueError(
            "sample_nobs: required with sample_cov; pass a mapping group -> number of "
            "observations with the keys of sample_cov"
        )
    if sample_mean is None:
        raise ValueError(
            "sample_mean: a multi-group model has a mean structure, so the means are needed; "
            "pass a mapping group -> Series of means with the keys of sample_cov"
        )
    for arg, obj in (("sample_mean", sample_mean), ("sample_nobs", sample_nobs)):
        if not isinstance(obj, Mapping):
            raise ValueError(
                f"{arg}: sample_cov is a mapping of groups, so {arg} must be a mapping with "
                f"the same keys, got {type(obj).__name__}"
            )
        absent = [k for k in keys if k not in obj]
        extra = [k for k in obj if k not in sample_cov]
        if absent or extra:
            raise ValueError(
                f"{arg}: group keys do not match those of sample_cov {keys}: "
                f"missing {absent}, not in sample_cov {extra}"
            )
    return keys


def _prepare_moments(
    mm: MeasurementModel,
    sample_cov: pd.DataFrame | Mapping[object, pd.DataFrame],
    sample_mean: pd.Series | Mapping[object, pd.Series] | None,
    sample_nobs: int | Mapping[object, int] | None,
) -> tuple[list[str], list[np.ndarray], list[np.ndarray], list[int]]:
    """Summary-statistics input (lavaan's ``sample.cov``, ``sample.mean``, ``sample.nobs``).

    Each covariance matrix is taken as the unbiased one (divisor N - 1) and multiplied by
    (N - 1) / N, so that ML works with the biased matrix as it does with raw data (lavaan's
    ``sample.cov.rescale = TRUE`` for ``likelihood = "normal"``).
    """
    obs = list(mm.observed)
    p = len(obs)
    if isinstance(sample_cov, Mapping):
        keys = _check_group_keys(sample_cov, sample_mean, sample_nobs)
        labels = [str(k) for k in keys]
        S, means, ns = [], [], []
        for k in keys:
            S.append(_check_sample_cov(f"sample_cov[{k!r}]", sample_cov[k], mm))
            means.append(_check_sample_mean(f"sample_mean[{k!r}]", sample_mean[k], mm))
            ns.append(_check_sample_nobs(f"sample_nobs[{k!r}]", sample_nobs[k], p))
    else:
        for arg, obj in (("sample_mean", sample_mean), ("sample_nobs", sample_nobs)):
            if isinstance(obj, Mapping):
                raise ValueError(
                    f"{arg}: a mapping of groups needs sample_cov to be a mapping with the same "
                    "keys (one covariance matrix per group)"
                )
        if sample_nobs is None:
            raise ValueError("sample_nobs: required with sample_cov (the number of observations behind the matrix)")
        labels = [""]
        S = [_check_sample_cov("sample_cov", sample_cov, mm)]
        ns = [_check_sample_nobs("sample_nobs", sample_nobs, p)]
        means = [np.zeros(p) if sample_mean is None else _check_sample_mean("sample_mean", sample_mean, mm)]
    S = [s * (n - 1) / n for s, n in zip(S, ns)]
    return labels, S, means, ns


def _prepare_fiml_blocks(mm: MeasurementModel, data: pd.DataFrame, group: str | None):
    """Per-group data blocks for FIML, missing values kept as NaN: rows whose model variables are all
    missing carry no information and are dropped (a :class:`~emstudy.errors.MissingDataWarning` says
    how many), as are rows without a group; returns ``(labels, blocks)``. Every variable must be
    observed in some row, and every pair of variables together in some row, of each group."""
    df = _check_data_columns(mm, data, group)
    obs = list(mm.observed)
    empty = df[obs].isna().all(axis=1)
    nogroup = df[group].isna() if group is not None else pd.Series(False, index=df.index)
    if empty.any():
        warnings.warn(
            f"cfa: {int(empty.sum())} of {len(df)} rows with every model variable missing were removed "
            "(they carry no information for FIML)",
            MissingDataWarning,
            stacklevel=4,
        )
    if nogroup.any():
        warnings.warn(
            f"cfa: {int(nogroup.sum())} of {len(df)} rows with a missing group were removed",
            MissingDataWarning,
            stacklevel=4,
        )
    kept = df[~empty & ~nogroup]
    if group is None:
        labels = [""]
        blocks = [kept[obs].to_numpy(dtype=float)]
    else:
        labels = [str(v) for v in pd.unique(kept[group])]
        if len(labels) < 2:
            raise ValueError(f"group: column {group!r} has fewer than two groups")
        blocks = [kept.loc[kept[group].astype(str) == lab, obs].to_numpy(dtype=float) for lab in labels]
    for lab, X in zip(labels, blocks):
        where = f" in group {lab!r}" if group is not None else ""
        seen = (~np.isnan(X)).astype(float)
        together = seen.T @ seen
        if X.shape[0] < 2:
            raise ValueError(f"data: too few observations{where}: {X.shape[0]} row(s) with an observed model variable")
        never = [obs[k] for k in range(len(obs)) if together[k, k] < 1]
        if never:
            raise ValueError(
                f"data: variable {never[0]!r} is never observed{where}, so FIML cannot estimate it; drop it from the model"
            )
        bad = np.argwhere(together < 1)
        if len(bad):
            i, j = bad[0]
            raise ValueError(
                f"data: {obs[i]!r} and {obs[j]!r} are never observed together{where}, so FIML cannot estimate their "
                "covariance; drop one of them from the model"
            )
    return labels, blocks


# --------------------------------------------------------------------------------------------
# the front door of ordered items: options, columns, groups, warnings at the user's line
# --------------------------------------------------------------------------------------------
def _ordinal_options(estimator: object, ordered: object) -> tuple[str, list[str] | bool | None]:
    """``estimator`` and ``ordered`` as lavaan reads them: ``ordered`` ``None``, ``False`` or empty means no
    ordered items (``None``), a name a list of one; ``estimator`` in any case, returned in upper case, and
    ``None`` is lavaan's default: ``"WLSMV"`` with ordered items, ``"ML"`` without."""
    if ordered is None or isinstance(ordered, bool | np.bool_):
        ordered = True if ordered else None
    else:
        names = [ordered] if isinstance(ordered, str) else ordered
        try:
            names = list(names)
        except TypeError:
            raise ValueError(f"ordered: expected True, False or a list of item names, got {ordered!r}") from None
        if not all(isinstance(v, str) for v in names):
            raise ValueError(f"ordered: expected item names (strings), got {names!r}")
        ordered = names or None
    if estimator is None:
        return ("ML" if ordered is None else "WLSMV"), ordered
    if not isinstance(estimator, str):
        raise ValueError(f"estimator: expected a name such as 'ML', 'MLR' or 'WLSMV', got {estimator!r}")
    return estimator.upper(), ordered


def _check_estimator_for_items(estimator: str, ordered: object, parameterization: str) -> None:
    """One sentence where ``estimator`` or ``parameterization`` (after :func:`_ordinal_options`) does not go with
    the items: an ordered-item estimator or a parameterization other than ``"delta"`` without ordered items, or
    an estimator other than the ordered-item ones with them. Shared by ``sem``/``cfa`` and ``invariance``."""
    if ordered is None and estimator in ORDERED_ESTIMATORS:
        raise ValueError(
            f"estimator: {estimator!r} needs ordered items; pass ordered=True or a list of items (or use "
            "estimator='ML' or 'MLR')"
        )
    if ordered is None and parameterization != "delta":
        raise ValueError(
            f"parameterization: {parameterization!r} needs ordered items; pass ordered=True or a list of items"
        )
    if ordered is not None and estimator not in ORDERED_ESTIMATORS:
        raise ValueError(
            f"estimator: ordered items need one of {ORDERED_ESTIMATORS} (as lavaan; the default, None, is 'WLSMV'), "
            f"got {estimator!r}"
        )


def _check_ordered_columns(data: pd.DataFrame, ordered: object) -> None:
    """Every name in ``ordered`` is a column of ``data`` (lavaan warns of a name it does not find; a
    misspelt item would otherwise be treated as continuous, or refused far from the cause)."""
    if ordered is None or ordered is True:
        return
    absent = [v for v in ordered if v not in data.columns]
    if absent:
        what = f"{absent[0]!r} is not a column" if len(absent) == 1 else f"{absent} are not columns"
        raise ValueError(f"ordered: {what} of data; check the spelling, or leave the name out of ordered")


def _category(col: pd.Series, code: float) -> str:
    """A category as the user wrote it: the label of an ordered Categorical (``code`` its position), or the code."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return repr(col.cat.categories[int(code) - 1])
    return f"{code:g}"


def _check_group_categories(rows: pd.DataFrame, obs: Sequence[str], group: str, labels: Sequence[str], missing: str):
    """Ordered items in several groups: each group leaves every item at least two observed categories (a small
    group may not: named, with its size), and observes every category that another group observes (lavaan
    stops: "some categories of variable ... are empty in group ..."; the thresholds of the groups would cut
    different categories under the same names). ``rows`` are the rows with a group; the rows used are the
    complete ones (listwise) or those with an answer (pairwise), as :func:`ordinal_moments` uses them."""
    x = _ordinal_values(rows, obs)
    used = ~np.isnan(x).any(axis=1) if missing == "listwise" else ~np.isnan(x).all(axis=1)
    gl = rows[group].astype(str).to_numpy()
    kind = "complete rows" if missing == "listwise" else "rows with an answer"
    sizes = {lab: int(np.sum(used & (gl == lab))) for lab in labels}
    seen = [[np.unique(x[used & (gl == lab) & ~np.isnan(x[:, j]), j]) for lab in labels] for j in range(len(obs))]
    for j, item in enumerate(obs):
        for lab, vals in zip(labels, seen[j]):
            if vals.size < 2:
                what = f"a single observed category ({_category(rows[item], vals[0])})" if vals.size else "no answers"
                raise ValueError(
                    f"group: group {lab!r} of {group!r} has {sizes[lab]} {kind}, which leave item {item!r} with "
                    f"{what}; merge the group with another or leave its rows out (or drop the item)"
                )
    for j, item in enumerate(obs):
        every = np.unique(np.concatenate(seen[j]))
        for lab, vals in zip(labels, seen[j]):
            empty = np.setdiff1d(every, vals)
            if empty.size:
                k = int(np.searchsorted(every, empty[0]))
                near = every[k + 1] if k < (every.size - 1) / 2 else every[k - 1]  # towards the middle
                c, nb = _category(rows[item], empty[0]), _category(rows[item], near)
                raise ValueError(
                    f"data column {item!r}: category {c} is empty in group {lab!r} of {group!r} ({sizes[lab]} "
                    f"{kind}) but chosen in other groups; merge it into its neighbour in every group (e.g. recode "
                    f"{c} as {nb}) or drop the item"
                )


# emstudy/stats/, spelt as the interpreter spells this module's path (``co_filename``): the user's line is outside
_STATS = str(Path(__file__).parent.parent) + os.sep


def _user_stacklevel() -> int:
    """The ``stacklevel`` with which the function calling this one points a warning at the first frame outside
    :mod:`emstudy.stats` (skipping the wrappers of :mod:`contextlib`, e.g. ``single_thread_blas``): the line
    of the user's (or a study step's) call, however deep the ordered-item code sits below it."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (
        frame.f_code.co_filename.startswith(_STATS) or frame.f_code.co_filename == contextlib.__file__
    ):
        frame, level = frame.f_back, level + 1
    return level


def _group_moments(frame: pd.DataFrame, obs: list[str], missing: str, where: str) -> OrdinalMoments:
    """:func:`ordinal_moments` of one group (``where``: ``"group 'East' of 'place'"``, or ``""`` for a single
    group): its warnings issued again at the user's line as ``"sem: in group ..., ..."``, its errors naming the
    group."""
    with warnings.catch_warnings(record=True) as caught:  # the caller's filters apply, here and when re-issued
        try:
            out = ordinal_moments(frame, items=obs, missing=missing)
        except ValueError as exc:
            if not where:
                raise
            head, _, rest = str(exc).partition(": ")
            raise ValueError(f"{head}: in {where}, {rest}") from None
    level = _user_stacklevel()
    for w in caught:
        text = str(w.message).removeprefix("ordinal_moments: ")
        warnings.warn(f"sem: {'in ' + where + ', ' if where else ''}{text}", w.category, stacklevel=level)
    return out
