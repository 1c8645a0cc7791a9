"""Input checks and item moments shared by the reliability, factorability and validity statistics (private).

One numeric matrix per call, one covariance matrix under the missing-data policy: ``"listwise"`` uses the
respondents who answered every item; ``"pairwise"`` uses pairwise-complete covariances as R's
``cov(use = "pairwise")``, and :func:`_pairwise_pearson` the pairwise-complete Pearson correlations of
R's ``cor(use = "pairwise")``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

MissingPolicy = Literal["listwise", "pairwise"]


@dataclass(frozen=True)
class _Moments:
    """Covariance matrix of a set of items with the counts behind it."""

    names: tuple[str, ...]
    cov: np.ndarray
    mean: np.ndarray
    item_n: np.ndarray  # responses per item used
    n: int  # listwise: complete cases; pairwise: smallest pairwise count
    missing: str

    @property
    def corr(self) -> np.ndarray:
        sd = np.sqrt(np.diag(self.cov))
        r = self.cov / np.outer(sd, sd)
        np.fill_diagonal(r, 1.0)
        return r


def _as_frame(items: Any, argname: str = "items") -> pd.DataFrame:
    if isinstance(items, pd.DataFrame):
        return items
    arr = np.asarray(items)
    if arr.ndim != 2:
        raise ValueError(f"{argname} must be a 2-D table (respondents x items); got {arr.ndim} dimension(s)")
    return pd.DataFrame(arr, columns=[f"item{i + 1}" for i in range(arr.shape[1])])


def _numeric_matrix(frame: pd.DataFrame, argname: str = "items") -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(str(c) for c in frame.columns)
    if len(set(names)) != len(names):
        raise ValueError(f"{argname} has duplicated column names: {sorted({n for n in names if names.count(n) > 1})}")
    for col in frame.columns:
        dtype = frame[col].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)):
            raise ValueError(
                f"column {col!r} of {argname} is not numeric (dtype {dtype}); encode labels as numbers first"
            )
    # always a fresh float array owned by us (column-major: each column is written contiguously),
    # so callers may centre it in place without touching the caller's DataFrame
    x = np.empty((len(frame), len(names)), dtype=float, order="F")
    for j in range(len(names)):
        col = frame.iloc[:, j]
        values = col.to_numpy()
        if values.dtype.kind in "fiub":
            x[:, j] = values
        else:  # pandas nullable / extension dtypes
            x[:, j] = col.to_numpy(dtype=float, na_value=np.nan)
    return names, x


def _check_missing(missing: str) -> None:
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"missing must be 'listwise' or 'pairwise'; got {missing!r}")


def _check_conf_level(conf_level: float) -> None:
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level must be a confidence level between 0 and 1; got {conf_level!r}")


def _listwise_cov(
    names: tuple[str, ...], x: np.ndarray, nan: np.ndarray | None, has_nan: bool, overwrite: bool, colsum: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Covariance matrix and means of the complete rows of ``x`` (centred in place when ``overwrite``)."""
    if has_nan:
        x = x[~nan.any(axis=1)]
        overwrite = True  # x is now a fresh copy
    n = x.shape[0]
    if n < 3:
        raise ValueError(f"at least 3 complete respondents are needed for items {list(names)}; got {n}")
    mean = x.mean(axis=0) if has_nan else colsum / n
    if overwrite:
        x -= mean
        xc = x
    else:
        xc = x - mean
    cov = (xc.T @ xc) / (n - 1)
    return cov, mean, n


def _pairwise_cov(names: tuple[str, ...], x: np.ndarray, nan: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete covariances (R's ``cov(use = "pairwise")``), item means and the pair counts."""
    present = (~nan).astype(float)
    x0 = np.where(nan, 0.0, x)
    npair = present.T @ present
    if npair.min() < 3:
        i, j = np.unravel_index(int(np.argmin(npair)), npair.shape)
        raise ValueError(
            f"at least 3 respondents answering both {names[i]!r} and {names[j]!r} are needed; got {int(npair[i, j])}"
        )
    sums = x0.T @ present  # sums[i, j] = sum of item i over rows where j is present
    cross = x0.T @ x0
    cov = (cross - sums * sums.T / npair) / (npair - 1)
    item_n = np.diag(npair).astype(int)
    mean = np.diag(sums) / item_n
    return cov, mean, npair


def _moments_from_matrix(
    names: tuple[str, ...],
    x: np.ndarray,
    missing: str,
    *,
    min_items: int = 2,
    complete: bool | None = None,
    overwrite: bool = False,
    colsum: np.ndarray | None = None,
) -> _Moments:
    """Covariance matrix of ``x`` under the missing-data policy.

    ``complete=True`` tells that ``x`` has no NaN (skips the check); ``overwrite=True`` lets the
    function centre ``x`` in place (the caller owns it and does not use it afterwards);
    ``colsum`` may pass the column sums of a complete ``x`` already computed.
    """
    _check_missing(missing)
    k = x.shape[1]
    if k < min_items:
        raise ValueError(f"at least {min_items} items are needed; got {k} ({', '.join(names) or 'none'})")
    if colsum is None:
        colsum = x.sum(axis=0)
    if np.isinf(colsum).any() and np.isinf(x).any():
        bad = [names[j] for j in np.flatnonzero(np.isinf(x).any(axis=0))]
        raise ValueError(f"item(s) {bad} contain infinite values")
    if complete or np.isfinite(colsum).all():  # a NaN anywhere makes its column sum NaN
        has_nan = False
        nan = None
    else:
        nan = np.isnan(x)
        has_nan = bool(nan.any())
    if missing == "listwise" or not has_nan:
        cov, mean, n_used = _listwise_cov(names, x, nan, has_nan, overwrite, colsum)
        item_n = np.full(k, n_used)
    else:
        cov, mean, npair = _pairwise_cov(names, x, nan)
        item_n = np.diag(npair).astype(int)
        n_used = int(npair.min())
    var = np.diag(cov)
    zero = [names[i] for i in range(k) if not var[i] > 1e-12 * max(1.0, float(np.abs(mean[i])) ** 2)]
    if zero:
        raise ValueError(f"item(s) with zero variance (every respondent gave the same answer): {zero}")
    return _Moments(names=names, cov=cov, mean=mean, item_n=item_n, n=n_used, missing=missing)


def _moments(items: Any, missing: str, argname: str = "items", *, min_items: int = 2) -> _Moments:
    frame = _as_frame(items, argname)
    names, x = _numeric_matrix(frame, argname)
    return _moments_from_matrix(names, x, missing, min_items=min_items)


def _pairwise_pearson(names: tuple[str, ...], x: np.ndarray) -> np.ndarray:
    """Pairwise-complete Pearson correlations of the columns of ``x`` (NaN = missing).

    Each ``r_ij`` is the ordinary Pearson correlation of items ``i`` and ``j`` over the respondents who
    answered both, with the means and standard deviations of those same respondents (R's
    ``cor(x, use = "pairwise.complete.obs")``). This is not the pairwise covariance rescaled by the
    item standard deviations (cov2cor of ``cov(use = "pairwise")``), whose standard deviations come
    from each item's own respondents. The caller has already checked that every pair has at least
    3 respondents.
    """
    nan = np.isnan(x)
    present = (~nan).astype(float)
    # centring each column by its own mean does not change any r_ij but keeps the sums small
    x0 = np.where(nan, 0.0, x - np.nanmean(x, axis=0))
    npair = present.T @ present
    sums = x0.T @ present  # sums[i, j]: sum of item i over the respondents answering i and j
    sumsq = (x0**2).T @ present  # sumsq[i, j]: sum of squares of item i over the same respondents
    sxy = x0.T @ x0 - sums * sums.T / npair
    sxx = sumsq - sums**2 / npair  # deviations of item i around its mean within the pair
    flat = ~(sxx > 1e-10 * sumsq)
    if flat.any():
        i, j = (int(v) for v in np.argwhere(flat)[0])
        raise ValueError(
            f"item {names[i]!r} has zero variance among the respondents who also answered {names[j]!r}; "
            "their pairwise correlation is undefined"
        )
    r = sxy / np.sqrt(sxx * sxx.T)
    np.fill_diagonal(r, 1.0)
    return r


def _corr_for_policy(data: Any, missing: str, argname: str) -> tuple[_Moments, np.ndarray]:
    """Moments and the correlation matrix used by KMO and Bartlett's test.

    Listwise, or pairwise without any missing value: the correlations of the complete cases.
    Pairwise with missing values: pairwise-complete Pearson correlations (:func:`_pairwise_pearson`).
    """
    frame = _as_frame(data, argname)
    names, x = _numeric_matrix(frame, argname)
    mom = _moments_from_matrix(names, x, missing)  # validates and leaves x untouched
    if missing == "pairwise" and np.isnan(x).any():
        return mom, _pairwise_pearson(names, x)
    return mom, mom.corr


def _resolve_scales(scales: Any, argname: str = "scales") -> dict[str, list[str]]:
    if hasattr(scales, "scales") and callable(scales.scales):
        scales = scales.scales()
    if not isinstance(scales, Mapping):
        raise ValueError(f"{argname} must be a mapping construct -> item columns, or an object with a .scales() method")
    out: dict[str, list[str]] = {}
    for name, cols in scales.items():
        if isinstance(cols, str) or not isinstance(cols, Sequence | np.ndarray | pd.Index):
            raise ValueError(f"{argname}[{name!r}] must be a sequence of column names; got {cols!r}")
        out[str(name)] = [str(c) for c in cols]
    if not out:
        raise ValueError(f"{argname} is empty")
    return out
