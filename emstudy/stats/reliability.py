"""Reliability and validity statistics for multi-item scales.

Every statistic here is computed from one covariance (or correlation) matrix of the items, so a whole
table of scales costs about one pass over the data. The conventions follow R ``psych`` 2.2.9 and
``semTools`` 0.5-6, which the tests in ``tests/test_reliability.py`` use as the oracle
(``tests/reference/reliability.R``):

* ``cronbach_alpha`` / ``item_statistics``: ``psych::alpha`` (raw and standardized alpha, Feldt CI as
  ``psych::alpha.ci``, ``r.drop``, alpha if an item is deleted).
* ``omega``: ``psych::omega`` defaults (minres factoring, oblimin rotation, Schmid-Leiman with the
  general factor from a one-factor minres solution of the factor correlations, items flipped when
  their general loading is negative), plus omega total of a one-factor minres solution.
* ``split_half``: ``psych::splitHalf`` on the correlation matrix (Guttman's lambdas 1, 2, 3, 4, 6 and
  the mean and minimum split half).
* ``kmo`` / ``bartlett_sphericity``: ``psych::KMO`` and ``psych::cortest.bartlett``.
* ``composite_reliability`` / ``average_variance_extracted``: ``semTools::compRelSEM`` / ``AVE``.
* ``htmt``: ``semTools::htmt``.

Missing data: ``missing="listwise"`` (default) uses the respondents who answered every item of the
scale; ``missing="pairwise"`` uses pairwise-complete covariances, as R's ``cov(use="pairwise")``
(correlations then being those covariances rescaled by each item's own standard deviation), except
``kmo`` and ``bartlett_sphericity``, which use pairwise-complete Pearson correlations (means and
standard deviations of the respondents answering both items, R's ``cor(use="pairwise")``, which
``psych::KMO`` and ``psych::cortest.bartlett`` use on raw data). Each result states the policy it used.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "AlphaResult",
    "BartlettResult",
    "KMOResult",
    "OmegaResult",
    "SplitHalfResult",
    "average_variance_extracted",
    "bartlett_sphericity",
    "composite_reliability",
    "cronbach_alpha",
    "htmt",
    "item_statistics",
    "kmo",
    "omega",
    "reliability_table",
    "split_half",
]

MissingPolicy = Literal["listwise", "pairwise"]


# ---------------------------------------------------------------------------------------------------
# Input handling: one numeric matrix, one covariance matrix
# ---------------------------------------------------------------------------------------------------


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
        item_n = np.full(k, n)
        n_used = n
    else:
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
    """Moments and the correlation matrix used by :func:`kmo` and :func:`bartlett_sphericity`.

    Listwise, or pairwise without any missing value: the correlations of the complete cases.
    Pairwise with missing values: pairwise-complete Pearson correlations (:func:`_pairwise_pearson`).
    """
    frame = _as_frame(data, argname)
    names, x = _numeric_matrix(frame, argname)
    mom = _moments_from_matrix(names, x, missing)  # validates and leaves x untouched
    if missing == "pairwise" and np.isnan(x).any():
        return mom, _pairwise_pearson(names, x)
    return mom, mom.corr


# ---------------------------------------------------------------------------------------------------
# Alpha and item statistics
# ---------------------------------------------------------------------------------------------------


def _alpha_from_cov(c: np.ndarray) -> float:
    k = c.shape[0]
    return k / (k - 1) * (1.0 - np.trace(c) / c.sum())


def _drop_stats(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """r.drop, raw alpha if deleted and standardized alpha if deleted, from one covariance matrix."""
    k = c.shape[0]
    total = c.sum()
    rows = c.sum(axis=1)
    d = np.diag(c)
    v_rest = total - 2 * rows + d  # variance of the total without item i
    r_drop = (rows - d) / np.sqrt(d * v_rest)
    sd = np.sqrt(d)
    r = c / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    r_rows = r.sum(axis=1)
    r_rest = r.sum() - 2 * r_rows + 1.0
    k1 = k - 1
    if k1 >= 2:
        raw_del = k1 / (k1 - 1) * (1.0 - (np.trace(c) - d) / v_rest)
        std_del = k1 / (k1 - 1) * (1.0 - k1 / r_rest)
    else:
        raw_del = np.full(k, np.nan)
        std_del = np.full(k, np.nan)
    return r_drop, raw_del, std_del


def _warn_keying(names: Sequence[str], r_drop: np.ndarray, alpha: float) -> None:
    neg = [names[i] for i in range(len(names)) if r_drop[i] < 0]
    if neg:
        warnings.warn(
            f"item(s) {neg} correlate negatively with the rest of the scale (r.drop < 0); "
            "check whether they should be reverse-keyed",
            stacklevel=3,
        )
    if alpha < 0:
        warnings.warn(
            f"alpha is negative ({alpha:.3f}) for items {list(names)}: the items covary negatively on "
            "average; check whether some items should be reverse-keyed",
            stacklevel=3,
        )


def _feldt_ci(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    p = 1.0 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - p / 2.0, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(p / 2.0, df1, df2)
    return float(low), float(high)


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of one scale.

    Attributes
    ----------
    alpha, std_alpha : raw alpha (from covariances) and standardized alpha (from correlations).
    ci_low, ci_high, ci_level, ci_method : confidence interval for raw alpha.
    average_r : mean inter-item correlation.
    n : respondents used (listwise: complete cases; pairwise: smallest pairwise count).
    n_items : number of items.
    missing : the missing-data policy used.
    """

    alpha: float
    std_alpha: float
    ci_low: float
    ci_high: float
    ci_level: float
    ci_method: str
    average_r: float
    n: int
    n_items: int
    missing: str

    def __repr__(self) -> str:
        return (
            f"AlphaResult(alpha={self.alpha:.4f}, std_alpha={self.std_alpha:.4f}, "
            f"{self.ci_level:.0%} CI [{self.ci_low:.4f}, {self.ci_high:.4f}] ({self.ci_method}), "
            f"n={self.n}, n_items={self.n_items}, missing={self.missing!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def cronbach_alpha(
    items: Any,
    *,
    ci: float = 0.95,
    method: Literal["feldt", "bootstrap"] = "feldt",
    n_boot: int = 1000,
    seed: int | None = None,
    missing: MissingPolicy = "listwise",
) -> AlphaResult:
    """Cronbach's alpha with a confidence interval.

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents in rows, items in columns, numeric, reverse-keyed items already reversed.
    ci : float
        Confidence level of the interval, in (0, 1).
    method : {"feldt", "bootstrap"}
        ``"feldt"``: the F-distribution interval of Feldt, Woodruff & Salih (1987), as
        ``psych::alpha.ci``; ``"bootstrap"``: percentile interval over ``n_boot`` resamples of
        respondents.
    n_boot : int
        Bootstrap resamples (``method="bootstrap"`` only).
    seed : int, optional
        Seed of the bootstrap resampling.
    missing : {"listwise", "pairwise"}
        Listwise complete cases (default) or pairwise-complete covariances. For the pairwise
        policy the Feldt interval uses the smallest pairwise count as ``n`` (``psych`` uses the
        number of rows).

    Returns
    -------
    AlphaResult

    Raises
    ------
    ValueError
        Fewer than two items, fewer than three complete respondents, a zero-variance item, or a
        non-numeric column.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(200, 1))
    >>> x = pd.DataFrame(f + rng.normal(size=(200, 4)), columns=list("abcd"))
    >>> round(cronbach_alpha(x).alpha, 2)
    0.78

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika,
    16(3), 297-334.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient alpha.
    Applied Psychological Measurement, 11(1), 93-103.
    """
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be a confidence level between 0 and 1; got {ci!r}")
    if method not in ("feldt", "bootstrap"):
        raise ValueError(f"method must be 'feldt' or 'bootstrap'; got {method!r}")
    frame = _as_frame(items)
    names, x = _numeric_matrix(frame)
    mom = _moments_from_matrix(names, x, missing)
    c = mom.cov
    k = c.shape[0]
    alpha = float(_alpha_from_cov(c))
    r = mom.corr
    std_alpha = float(k / (k - 1) * (1.0 - k / r.sum()))
    average_r = float((r.sum() - k) / (k * (k - 1)))
    r_drop, _, _ = _drop_stats(c)
    _warn_keying(names, r_drop, alpha)
    if method == "feldt":
        low, high = _feldt_ci(alpha, mom.n, k, ci)
    else:
        if n_boot < 2:
            raise ValueError(f"n_boot must be at least 2; got {n_boot}")
        rng = np.random.default_rng(seed)
        xb = x if missing == "pairwise" else x[~np.isnan(x).any(axis=1)]
        boots = np.empty(n_boot)
        for b in range(n_boot):
            sample = xb[rng.integers(0, xb.shape[0], xb.shape[0])]
            try:
                boots[b] = _alpha_from_cov(_moments_from_matrix(names, sample, missing).cov)
            except ValueError:  # a resample with a constant item
                boots[b] = np.nan
        boots = boots[np.isfinite(boots)]
        p = 1.0 - ci
        low, high = (float(v) for v in np.quantile(boots, [p / 2.0, 1.0 - p / 2.0]))
    return AlphaResult(
        alpha=alpha,
        std_alpha=std_alpha,
        ci_low=low,
        ci_high=high,
        ci_level=ci,
        ci_method=method,
        average_r=average_r,
        n=mom.n,
        n_items=k,
        missing=missing,
    )


def item_statistics(items: Any, *, missing: MissingPolicy = "listwise") -> pd.DataFrame:
    """Per-item statistics of a scale, as ``psych::alpha``'s ``item.stats`` and ``alpha.drop``.

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents in rows, items in columns (reverse-keyed items already reversed).
    missing : {"listwise", "pairwise"}
        Missing-data policy (see :func:`cronbach_alpha`).

    Returns
    -------
    DataFrame
        Indexed by item, with columns ``n``, ``mean``, ``sd``, ``r_drop`` (correlation of the item
        with the total of the other items), ``alpha_if_deleted`` (raw) and
        ``std_alpha_if_deleted``. ``df.attrs["missing"]`` holds the policy. All values come from one
        covariance matrix.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = pd.DataFrame(rng.normal(size=(100, 1)) + rng.normal(size=(100, 3)), columns=list("abc"))
    >>> list(item_statistics(x).columns)
    ['n', 'mean', 'sd', 'r_drop', 'alpha_if_deleted', 'std_alpha_if_deleted']

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika,
    16(3), 297-334.
    """
    mom = _moments(items, missing)
    r_drop, raw_del, std_del = _drop_stats(mom.cov)
    _warn_keying(mom.names, r_drop, float(_alpha_from_cov(mom.cov)))
    out = pd.DataFrame(
        {
            "n": mom.item_n.astype(int),
            "mean": mom.mean,
            "sd": np.sqrt(np.diag(mom.cov)),
            "r_drop": r_drop,
            "alpha_if_deleted": raw_del,
            "std_alpha_if_deleted": std_del,
        },
        index=pd.Index(mom.names, name="item"),
    )
    out.attrs["missing"] = missing
    return out


# ---------------------------------------------------------------------------------------------------
# Factoring for omega: minres, varimax, oblimin (private, minimal)
# ---------------------------------------------------------------------------------------------------


def _minres(r: np.ndarray, n_factors: int) -> np.ndarray:
    """Unrotated minimum-residual (ULS) loadings of a correlation matrix (Harman & Jones, 1966).

    Minimizes the squared off-diagonal residuals over the uniquenesses, starting from
    1 - SMC, with uniquenesses bounded in [0.005, 1] as psych does.
    """
    k = r.shape[0]
    try:
        smc = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        smc = np.full(k, 0.5)
    start = np.clip(1.0 - smc, 0.005, 1.0)

    def loadings(psi: np.ndarray) -> np.ndarray:
        s = r.copy()
        np.fill_diagonal(s, 1.0 - psi)
        vals, vecs = np.linalg.eigh(s)
        vals, vecs = vals[::-1][:n_factors], vecs[:, ::-1][:, :n_factors]
        return vecs * np.sqrt(np.maximum(vals, 0.0))

    def uls(psi: np.ndarray) -> tuple[float, np.ndarray]:
        s = r.copy()
        np.fill_diagonal(s, 1.0 - psi)
        vals, vecs = np.linalg.eigh(s)
        rest_vals = vals[: k - n_factors]
        rest_vecs = vecs[:, : k - n_factors]
        f = 0.5 * float((rest_vals**2).sum())
        g = -(rest_vecs**2) @ rest_vals
        return f, g

    res = optimize.minimize(
        uls, start, jac=True, method="L-BFGS-B", bounds=[(0.005, 1.0)] * k,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000},
    )
    lam = loadings(res.x)
    # psych orients each factor so that its loadings sum to a positive value
    signs = np.sign(lam.sum(axis=0))
    signs[signs == 0] = 1.0
    return lam * signs


def _minres_one(r: np.ndarray) -> np.ndarray:
    """One-factor minres loadings by Newton's method on the loadings (fast path of :func:`_minres`).

    Minimizes ``sum_{i != j} (r_ij - l_i l_j)^2`` directly; falls back to the bounded
    optimization over uniquenesses when Newton does not converge cleanly or a loading reaches the
    psych bound (uniqueness below 0.005).
    """
    k = r.shape[0]
    if k >= 3:
        r0 = r - np.diag(np.diag(r))
        try:
            smc = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
        except np.linalg.LinAlgError:
            smc = np.full(k, 0.5)
        vals, vecs = np.linalg.eigh(r0 + np.diag(smc))
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
            hess_ok = np.linalg.eigvalsh(hess).min() > 0
            if hess_ok:
                return (lam if lam.sum() >= 0 else -lam)[:, None]
    return _minres(r, 1)


def _varimax(a: np.ndarray, *, tol: float = 1e-10, max_iter: int = 1000) -> np.ndarray:
    """Kaiser-normalized varimax (Kaiser, 1958)."""
    p, m = a.shape
    if m < 2:
        return a.copy()
    h = np.sqrt((a**2).sum(axis=1))
    x = a / h[:, None]
    t = np.eye(m)
    d_old = 0.0
    for _ in range(max_iter):
        z = x @ t
        b = x.T @ (z**3 - z @ np.diag((z**2).sum(axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        t = u @ vt
        d = s.sum()
        if d < d_old * (1 + tol):
            break
        d_old = d
    return (x @ t) * h[:, None]


def _oblimin_criterion(lam: np.ndarray) -> tuple[float, np.ndarray]:
    """Quartimin / oblimin (gamma = 0) criterion and its gradient in the loadings."""
    l2 = lam**2
    m = lam.shape[1]
    x = l2 @ (np.ones((m, m)) - np.eye(m))
    return float((l2 * x).sum() / 4.0), lam * x


def _oblimin(a: np.ndarray, *, eps: float = 1e-8, max_iter: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """Oblique gradient projection rotation (Jennrich, 2002) with the oblimin criterion (gamma = 0).

    Returns the pattern loadings and the factor correlation matrix.
    """
    m = a.shape[1]
    t = np.eye(m)
    lam = a @ np.linalg.inv(t).T
    f, gq = _oblimin_criterion(lam)
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    al = 1.0
    for _ in range(max_iter):
        gp = g - t @ np.diag((t * g).sum(axis=0))
        s = math.sqrt(float((gp**2).sum()))
        if s < eps:
            break
        al *= 2.0
        improved = False
        for _ in range(40):
            xm = t - al * gp
            tt = xm / np.sqrt((xm**2).sum(axis=0))
            lam_t = a @ np.linalg.inv(tt).T
            ft, gqt = _oblimin_criterion(lam_t)
            if f - ft > 0.5 * s**2 * al:
                improved = True
                break
            al /= 2.0
        if not improved:  # at the optimum to machine precision
            break
        t, f, lam = tt, ft, lam_t
        g = -(lam.T @ gqt @ np.linalg.inv(t)).T
    phi = t.T @ t
    return lam, phi


def _general_loadings(phi: np.ndarray) -> np.ndarray:
    """Loadings of the factors on the general factor: one-factor minres of their correlations."""
    m = phi.shape[0]
    if m == 2:
        r12 = phi[0, 1]
        return np.array([math.sqrt(abs(r12)), math.copysign(math.sqrt(abs(r12)), r12)])
    g = _minres(phi, 1)[:, 0]
    return g if g.sum() >= 0 else -g


@dataclass(frozen=True)
class OmegaResult:
    """McDonald's omega of one scale.

    Attributes
    ----------
    omega_h : omega hierarchical from the Schmid-Leiman solution with ``n_factors`` group factors
        (NaN when ``n_factors == 1``).
    omega_total : omega total of the ``n_factors`` solution.
    omega_total_single : omega total of a one-factor minres solution.
    g_loadings : Schmid-Leiman general-factor loadings per item (after flipping, as psych).
    n, n_items, n_factors, missing : sample and settings.
    """

    omega_h: float
    omega_total: float
    omega_total_single: float
    g_loadings: pd.Series = field(repr=False)
    n: int
    n_items: int
    n_factors: int
    missing: str

    def __repr__(self) -> str:
        return (
            f"OmegaResult(omega_h={self.omega_h:.4f}, omega_total={self.omega_total:.4f}, "
            f"omega_total_single={self.omega_total_single:.4f}, n_factors={self.n_factors}, "
            f"n={self.n}, n_items={self.n_items}, missing={self.missing!r})"
        )


def _omega_total_single(r: np.ndarray) -> float:
    lam = _minres_one(r)[:, 0]
    key = np.where(lam < 0, -1.0, 1.0)
    vt = float((r * np.outer(key, key)).sum())
    u2 = 1.0 - lam**2
    return (vt - float(u2.sum())) / vt


def omega(items: Any, *, n_factors: int = 3, missing: MissingPolicy = "listwise") -> OmegaResult:
    """McDonald's omega hierarchical and omega total, as ``psych::omega`` computes by default.

    The item correlation matrix is factored by minres into ``n_factors`` factors, rotated by
    oblimin (gamma = 0, started from varimax), and the factor correlations are factored by a
    one-factor minres solution to give the general factor (Schmid & Leiman, 1957). Items whose
    general loading is negative are flipped, as psych does. Then, with ``Vt`` the sum of the
    (flipped) correlation matrix, ``omega_h = (sum g)^2 / Vt`` and
    ``omega_total = (Vt - sum(u2)) / Vt``, ``u2`` being the uniquenesses of the ``n_factors``
    solution. ``omega_total_single`` is the same total from a one-factor minres solution
    (``psych::omega(x, nfactors = 1)$omega.tot``).

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents in rows, items in columns.
    n_factors : int
        Group factors of the Schmid-Leiman solution (psych's default 3).
    missing : {"listwise", "pairwise"}
        Missing-data policy.

    Returns
    -------
    OmegaResult

    Notes
    -----
    With few items per factor the ``n_factors`` solution is not identified (negative degrees of
    freedom, e.g. 3 factors for 5 items); a warning is issued and omega_h then depends on where the
    optimizer stops, so it may differ from psych's.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> g = rng.normal(size=(500, 1))
    >>> x = pd.DataFrame(g + rng.normal(size=(500, 6)))
    >>> round(omega(x, n_factors=1).omega_total_single, 1)
    0.9

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.
    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor solutions.
    Psychometrika, 22(1), 53-61.
    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha, Revelle's beta, and
    McDonald's omega_h. Psychometrika, 70(1), 123-133.
    Jennrich, R. I. (2002). A simple general method for oblique rotation. Psychometrika, 67(1), 7-19.
    """
    if not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise ValueError(f"n_factors must be a positive integer; got {n_factors!r}")
    mom = _moments(items, missing)
    r = mom.corr
    k = r.shape[0]
    if n_factors >= k:
        raise ValueError(f"n_factors ({n_factors}) must be smaller than the number of items ({k})")
    dof = ((k - n_factors) ** 2 - (k + n_factors)) / 2
    total_single = _omega_total_single(r)
    if n_factors == 1:
        lam = _minres(r, 1)
        g = lam[:, 0]
        omega_h = float("nan")
        u2 = 1.0 - g**2
    else:
        if dof < 0:
            warnings.warn(
                f"{n_factors} factors for {k} items leave negative degrees of freedom ({dof:g}); "
                "omega_h is not identified and may differ from psych's",
                stacklevel=2,
            )
        lam = _minres(r, n_factors)
        u2 = 1.0 - (lam**2).sum(axis=1)
        pattern, phi = _oblimin(_varimax(lam))
        gload = _general_loadings(phi)
        g = pattern @ gload
        omega_h = float("nan")
    key = np.where(g < 0, -1.0, 1.0)
    g = g * key
    vt = float((r * np.outer(key, key)).sum())
    omega_total = (vt - float(u2.sum())) / vt
    if n_factors > 1:
        omega_h = float(g.sum() ** 2 / vt)
    return OmegaResult(
        omega_h=omega_h,
        omega_total=float(omega_total),
        omega_total_single=float(total_single),
        g_loadings=pd.Series(g, index=pd.Index(mom.names, name="item"), name="g"),
        n=mom.n,
        n_items=k,
        n_factors=int(n_factors),
        missing=missing,
    )


# ---------------------------------------------------------------------------------------------------
# Split half and Guttman's lambdas
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitHalfResult:
    """Split-half reliabilities and Guttman's lambdas (on the item correlation matrix).

    Attributes
    ----------
    lambda1..lambda6 : Guttman (1945) lower bounds; ``lambda3`` is standardized alpha, ``lambda4``
        the largest split-half reliability (psych ``maxrb``), ``lambda6`` uses squared multiple
        correlations.
    mean_split : mean split-half reliability over the splits examined (psych ``meanr``).
    min_split : smallest split-half reliability (psych ``minrb``, an estimate of Revelle's beta).
    n_splits : splits examined; ``exhaustive`` whether they were all the distinct splits.
    """

    lambda1: float
    lambda2: float
    lambda3: float
    lambda4: float
    lambda6: float
    mean_split: float
    min_split: float
    average_r: float
    n_splits: int
    exhaustive: bool
    n: int
    n_items: int
    missing: str

    def __repr__(self) -> str:
        how = "all" if self.exhaustive else "random"
        return (
            f"SplitHalfResult(lambda2={self.lambda2:.4f}, lambda3={self.lambda3:.4f}, "
            f"lambda4(max)={self.lambda4:.4f}, lambda6={self.lambda6:.4f}, mean={self.mean_split:.4f}, "
            f"min={self.min_split:.4f}, {how} {self.n_splits} splits, n={self.n}, missing={self.missing!r})"
        )


def split_half(
    items: Any,
    *,
    n_sample: int = 10000,
    seed: int | None = None,
    missing: MissingPolicy = "listwise",
) -> SplitHalfResult:
    """Split-half reliabilities and Guttman's lambdas, as ``psych::splitHalf`` (``covar = FALSE``).

    Each split puts ``floor(k / 2)`` items in one half; its reliability is
    ``4 * r_AB / sum(R)`` with ``r_AB`` the summed correlations between the halves (the
    Flanagan-Rulon form on standardized items). All distinct splits are examined when there are at
    most ``n_sample`` of them, otherwise ``n_sample`` random splits.

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents in rows, items in columns (reverse-keyed items already reversed; unlike psych,
        nothing is reversed automatically).
    n_sample : int
        Largest number of splits examined exhaustively; beyond it, the number of random splits.
    seed : int, optional
        Seed for random splits.
    missing : {"listwise", "pairwise"}
        Missing-data policy.

    Returns
    -------
    SplitHalfResult

    Notes
    -----
    For an even number of items this examines the same splits as psych 2.2.9 and matches it. For an
    odd number psych enumerates only the first half of the lexicographic list of splits, so its
    maximum, minimum and mean may differ from the values here, which cover every split. Lambda 1, 2,
    3 and 6 do not depend on the splits and always match.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> x = pd.DataFrame(rng.normal(size=(300, 1)) + rng.normal(size=(300, 4)))
    >>> res = split_half(x)
    >>> res.lambda4 >= res.mean_split >= res.min_split
    True

    References
    ----------
    Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika, 10(4), 255-282.
    Revelle, W. (1979). Hierarchical cluster analysis and the internal structure of tests.
    Multivariate Behavioral Research, 14(1), 57-74.
    """
    mom = _moments(items, missing)
    r = mom.corr
    k = r.shape[0]
    sum_r = float(r.sum())
    off = r - np.eye(k)
    sum_off = float(off.sum())
    sumsq_off = float((off**2).sum())
    smc = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    lambda1 = 1.0 - k / sum_r
    lambda3 = sum_off / sum_r * k / (k - 1)
    lambda2 = (sum_off + math.sqrt(sumsq_off * k / (k - 1))) / sum_r
    lambda6 = (sum_off + float(smc.sum())) / sum_r
    m = k // 2
    if k % 2 == 0:
        n_distinct = math.comb(k, m) // 2
    else:
        n_distinct = math.comb(k, m)
    if n_distinct <= n_sample:
        if k % 2 == 0:
            combos = [(0, *c) for c in itertools.combinations(range(1, k), m - 1)]
        else:
            combos = list(itertools.combinations(range(k), m))
        ind = np.zeros((len(combos), k))
        for row, c in enumerate(combos):
            ind[row, list(c)] = 1.0
        exhaustive = True
    else:
        rng = np.random.default_rng(seed)
        ind = np.zeros((n_sample, k))
        for row in range(n_sample):
            ind[row, rng.choice(k, m, replace=False)] = 1.0
        exhaustive = False
    other = 1.0 - ind
    r_ab = ((ind @ r) * other).sum(axis=1)
    rab = 4.0 * r_ab / sum_r
    return SplitHalfResult(
        lambda1=float(lambda1),
        lambda2=float(lambda2),
        lambda3=float(lambda3),
        lambda4=float(rab.max()),
        lambda6=float(lambda6),
        mean_split=float(rab.mean()),
        min_split=float(rab.min()),
        average_r=float(sum_off / (k * (k - 1))),
        n_splits=int(rab.size),
        exhaustive=exhaustive,
        n=mom.n,
        n_items=k,
        missing=missing,
    )


# ---------------------------------------------------------------------------------------------------
# Sampling adequacy and sphericity
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy: overall ``msa`` and per-item ``msa_items``."""

    msa: float
    msa_items: pd.Series = field(repr=False)
    n: int
    n_items: int
    missing: str

    def __repr__(self) -> str:
        worst = self.msa_items.idxmin()
        return (
            f"KMOResult(msa={self.msa:.4f}, lowest item {worst!r}={self.msa_items[worst]:.4f}, "
            f"n={self.n}, n_items={self.n_items}, missing={self.missing!r})"
        )


def _check_nonsingular(r: np.ndarray, names: Sequence[str], what: str) -> None:
    vals = np.linalg.eigvalsh(r)
    if vals.min() <= 1e-10 * max(1.0, vals.max()):
        raise ValueError(
            f"the correlation matrix of {list(names)} is singular (smallest eigenvalue {vals.min():.3g}); "
            f"{what} needs its inverse: remove items that are exact linear combinations of others"
        )


def _kmo_from_corr(r: np.ndarray) -> tuple[float, np.ndarray]:
    q = np.linalg.inv(r)
    d = 1.0 / np.sqrt(np.diag(q))
    partial = q * np.outer(d, d)
    np.fill_diagonal(partial, 0.0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0.0)
    r2 = (r0**2).sum(axis=0)
    q2 = (partial**2).sum(axis=0)
    return float(r2.sum() / (r2.sum() + q2.sum())), r2 / (r2 + q2)


def kmo(data: Any, *, missing: MissingPolicy = "listwise") -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item (``psych::KMO``).

    ``MSA = sum r_ij^2 / (sum r_ij^2 + sum q_ij^2)`` over ``i != j``, with ``q`` the partial
    (anti-image) correlations from the inverse correlation matrix; per item the sums run over
    one column.

    Parameters
    ----------
    data : DataFrame or 2-D array
        Respondents in rows, items in columns.
    missing : {"listwise", "pairwise"}
        ``"listwise"``: Pearson correlations of the respondents who answered every item
        (``psych::KMO(na.omit(data))``). ``"pairwise"``: each ``r_ij`` is the Pearson correlation
        over the respondents who answered both items ``i`` and ``j``, with their own means and
        standard deviations, i.e. R's ``cor(data, use = "pairwise.complete.obs")``, which is what
        ``psych::KMO(data)`` uses on raw data with missing values. (It is not the pairwise
        covariance rescaled by the items' standard deviations, ``cov2cor(cov(data, use =
        "pairwise"))``, which differs in the third decimal.) Without missing values both policies
        give the same result. ``n`` of the result is then the smallest pairwise count.

    Returns
    -------
    KMOResult

    Raises
    ------
    ValueError
        Singular correlation matrix, plus the input errors of :func:`cronbach_alpha`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> x = pd.DataFrame(rng.normal(size=(400, 1)) + rng.normal(size=(400, 5)))
    >>> 0.5 < kmo(x).msa < 1
    True

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. Psychometrika, 35(4), 401-415.
    Kaiser, H. F., & Rice, J. (1974). Little jiffy, mark IV. Educational and Psychological
    Measurement, 34(1), 111-117.
    """
    mom, r = _corr_for_policy(data, missing, "data")
    _check_nonsingular(r, mom.names, "KMO")
    msa, msai = _kmo_from_corr(r)
    return KMOResult(
        msa=msa,
        msa_items=pd.Series(msai, index=pd.Index(mom.names, name="item"), name="msa"),
        n=mom.n,
        n_items=len(mom.names),
        missing=missing,
    )


@dataclass(frozen=True)
class BartlettResult:
    """Bartlett's test of sphericity: ``chisq`` on ``df`` degrees of freedom, p-value ``p``."""

    chisq: float
    df: int
    p: float
    n: int
    n_items: int
    missing: str


def bartlett_sphericity(data: Any, *, missing: MissingPolicy = "listwise") -> BartlettResult:
    """Bartlett's test that the item correlation matrix is an identity (``psych::cortest.bartlett``).

    ``chisq = -(n - 1 - (2p + 5) / 6) * log det R`` with ``df = p (p - 1) / 2``, ``n`` the
    respondents used (listwise complete cases, or the smallest pairwise count).

    Parameters
    ----------
    data : DataFrame or 2-D array
        Respondents in rows, items in columns.
    missing : {"listwise", "pairwise"}
        ``"listwise"``: ``R`` is the Pearson correlation matrix of the complete cases and ``n`` their
        number (``psych::cortest.bartlett(cor(na.omit(data)), n = nrow(na.omit(data)))``).
        ``"pairwise"``: ``R`` holds the pairwise-complete Pearson correlations (each ``r_ij`` over
        the respondents who answered both items, with their own means and standard deviations:
        R's ``cor(data, use = "pairwise.complete.obs")``) and ``n`` is the smallest number of
        respondents behind any ``r_ij``
        (``psych::cortest.bartlett(cor(data, use = "pairwise"), n = min(psych::pairwiseCount(data)))``).

    Returns
    -------
    BartlettResult

    Notes
    -----
    ``psych::cortest.bartlett(data)`` on raw data with missing values uses the same pairwise
    correlations but ``n = nrow(data)``, counting respondents who did not answer some (or any) of
    the items; the smallest pairwise count used here is the conservative choice, so the chi-square
    is smaller than psych's by the factor ``(n_min - 1 - (2p + 5) / 6) / (nrow - 1 - (2p + 5) / 6)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> x = pd.DataFrame(rng.normal(size=(300, 1)) + rng.normal(size=(300, 4)))
    >>> bartlett_sphericity(x).p < 0.001
    True

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi square approximation in factor
    analysis. Biometrika, 38(3/4), 337-344.
    """
    mom, r = _corr_for_policy(data, missing, "data")
    p = r.shape[0]
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        raise ValueError(f"the correlation matrix of {list(mom.names)} is singular; Bartlett's test needs log det R")
    chisq = -logdet * (mom.n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return BartlettResult(
        chisq=float(chisq), df=int(df), p=float(stats.chi2.sf(chisq, df)), n=mom.n, n_items=p, missing=missing
    )


# ---------------------------------------------------------------------------------------------------
# Composite reliability, AVE, HTMT
# ---------------------------------------------------------------------------------------------------


def _loading_vector(loadings: Any, argname: str) -> np.ndarray:
    lam = np.asarray(loadings, dtype=float).ravel()
    if lam.size < 1 or not np.all(np.isfinite(lam)):
        raise ValueError(f"{argname} must be a non-empty sequence of finite numbers")
    return lam


def _residuals(lam: np.ndarray, residual_variances: Any, factor_variance: float) -> np.ndarray:
    if residual_variances is None:
        if factor_variance != 1.0:
            raise ValueError("factor_variance must be 1 when residual_variances are not given (standardized loadings)")
        if np.any(np.abs(lam) > 1.0):
            raise ValueError(f"standardized loadings must lie in [-1, 1]; got {lam.tolist()}")
        return 1.0 - lam**2
    theta = np.asarray(residual_variances, dtype=float).ravel()
    if theta.shape != lam.shape:
        raise ValueError(f"residual_variances must have one value per loading ({lam.size}); got {theta.size}")
    return theta


def composite_reliability(
    loadings: Any,
    *,
    residual_variances: Any = None,
    factor_variance: float = 1.0,
    observed_total_variance: float | None = None,
) -> float:
    """Composite (construct) reliability of one factor's indicators.

    With standardized loadings ``l`` and uncorrelated errors (the default, ``residual_variances``
    omitted)::

        CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))

    which is ``semTools::compRelSEM(fit, obs.var = FALSE)`` for a fit whose model-implied indicator
    variances are equal (e.g. the model fitted to the correlation matrix). With unstandardized
    ``loadings``, ``residual_variances`` and ``factor_variance`` the numerator is
    ``(sum l)^2 * factor_variance`` and the denominator adds ``sum(residual_variances)``, or is
    ``observed_total_variance`` (the sum of the indicators' sample covariance matrix, as
    ``compRelSEM``'s default ``obs.var = TRUE``) when that is given.

    Parameters
    ----------
    loadings : sequence of float
        Loadings of the factor's indicators (standardized unless ``residual_variances`` is given).
    residual_variances : sequence of float, optional
        Indicator residual variances, for unstandardized loadings.
    factor_variance : float
        Variance of the factor (1 for standardized loadings).
    observed_total_variance : float, optional
        Sample variance of the unit-weighted sum of the indicators.

    Returns
    -------
    float

    Examples
    --------
    >>> round(composite_reliability([0.7, 0.8, 0.6]), 4)
    0.7449

    References
    ----------
    Jöreskog, K. G. (1971). Statistical analysis of sets of congeneric tests. Psychometrika, 36(2),
    109-133.
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable
    variables and measurement error. Journal of Marketing Research, 18(1), 39-50.
    """
    lam = _loading_vector(loadings, "loadings")
    theta = _residuals(lam, residual_variances, factor_variance)
    num = float(lam.sum() ** 2 * factor_variance)
    den = float(observed_total_variance) if observed_total_variance is not None else num + float(theta.sum())
    return num / den


def average_variance_extracted(
    loadings: Any,
    *,
    residual_variances: Any = None,
    factor_variance: float = 1.0,
    observed_variances: Any = None,
) -> float:
    """Average variance extracted (Fornell & Larcker, 1981) by one factor.

    With standardized loadings (the default) ``AVE = mean(l^2)``, which is
    ``semTools::AVE(fit, obs.var = FALSE)`` for a fit with equal model-implied indicator variances.
    With unstandardized loadings, ``AVE = sum(l^2) * factor_variance / sum(v)``, ``v`` being the
    ``observed_variances`` (semTools' default ``obs.var = TRUE``) or, if not given, the model-implied
    variances ``l^2 * factor_variance + residual_variances``.

    Parameters
    ----------
    loadings : sequence of float
        Loadings (standardized unless ``residual_variances`` or ``observed_variances`` is given).
    residual_variances : sequence of float, optional
        Indicator residual variances for unstandardized loadings.
    factor_variance : float
        Variance of the factor.
    observed_variances : sequence of float, optional
        Sample variances of the indicators.

    Returns
    -------
    float

    Examples
    --------
    >>> round(average_variance_extracted([0.7, 0.8, 0.6]), 4)
    0.4967

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable
    variables and measurement error. Journal of Marketing Research, 18(1), 39-50.
    """
    lam = _loading_vector(loadings, "loadings")
    explained = lam**2 * factor_variance
    if observed_variances is not None:
        v = np.asarray(observed_variances, dtype=float).ravel()
        if v.shape != lam.shape:
            raise ValueError(f"observed_variances must have one value per loading ({lam.size}); got {v.size}")
        return float(explained.sum() / v.sum())
    theta = _residuals(lam, residual_variances, factor_variance)
    return float(explained.sum() / (explained + theta).sum())


def _resolve_scales(scales: Any, argname: str = "scales") -> dict[str, list[str]]:
    if hasattr(scales, "scales") and callable(scales.scales):
        scales = scales.scales()
    if not isinstance(scales, Mapping):
        raise ValueError(
            f"{argname} must be a mapping construct -> item columns, or an object with a .scales() method"
        )
    out: dict[str, list[str]] = {}
    for name, cols in scales.items():
        if isinstance(cols, str) or not isinstance(cols, Sequence | np.ndarray | pd.Index):
            raise ValueError(f"{argname}[{name!r}] must be a sequence of column names; got {cols!r}")
        out[str(name)] = [str(c) for c in cols]
    if not out:
        raise ValueError(f"{argname} is empty")
    return out


def _check_columns(data: pd.DataFrame, cols: Sequence[str], construct: str) -> None:
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise ValueError(f"construct {construct!r}: column(s) {absent} not in data")


def htmt(
    data: pd.DataFrame,
    constructs: Any,
    *,
    mean: Literal["arithmetic", "geometric"] = "arithmetic",
    absolute: bool = True,
    missing: MissingPolicy = "listwise",
) -> pd.DataFrame:
    """Heterotrait-monotrait ratios of correlations between constructs, as ``semTools::htmt``.

    ``HTMT_ij`` is the mean correlation between items of constructs ``i`` and ``j`` divided by the
    geometric mean of the two mean within-construct correlations (diagonal excluded).

    Parameters
    ----------
    data : DataFrame
        Respondents in rows, item columns.
    constructs : mapping construct -> item columns, or object with ``.scales()``
        Which items measure which construct.
    mean : {"arithmetic", "geometric"}
        ``"arithmetic"``: the HTMT of Henseler, Ringle & Sarstedt (2015), ``semTools::htmt(...,
        htmt2 = FALSE)``; ``"geometric"``: HTMT2 of Roemer, Schuberth & Henseler (2021), which is
        the default of semTools 0.5-6 (``htmt2 = TRUE``). The geometric version always uses
        absolute correlations.
    absolute : bool
        Use absolute correlations (semTools' default).
    missing : {"listwise", "pairwise"}
        Listwise over all the constructs' items (as semTools) or pairwise.

    Returns
    -------
    DataFrame
        Symmetric construct x construct matrix with ones on the diagonal; ``attrs`` hold the mean and
        missing policy.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(6)
    >>> f = rng.normal(size=(300, 2))
    >>> x = pd.DataFrame(np.repeat(f, 3, axis=1) + rng.normal(size=(300, 6)), columns=list("abcdef"))
    >>> h = htmt(x, {"F1": ["a", "b", "c"], "F2": ["d", "e", "f"]})
    >>> bool(h.loc["F1", "F2"] < 0.2)
    True

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing discriminant
    validity in variance-based structural equation modeling. Journal of the Academy of Marketing
    Science, 43(1), 115-135.
    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 - an improved criterion for assessing
    discriminant validity in structural equation modeling. Industrial Management & Data Systems,
    121(12), 2637-2650.
    """
    if mean not in ("arithmetic", "geometric"):
        raise ValueError(f"mean must be 'arithmetic' or 'geometric'; got {mean!r}")
    scales = _resolve_scales(constructs, "constructs")
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame with the item columns named in constructs")
    cols: list[str] = []
    for name, items in scales.items():
        _check_columns(data, items, name)
        if len(items) < 2:
            raise ValueError(f"construct {name!r} needs at least 2 items for HTMT; got {items}")
        cols.extend(c for c in items if c not in cols)
    mom = _moments(data[cols], missing, "data")
    r = mom.corr
    if absolute or mean == "geometric":
        r = np.abs(r)
    pos = {c: i for i, c in enumerate(cols)}
    idx = {name: np.array([pos[c] for c in items]) for name, items in scales.items()}

    def avg(block: np.ndarray) -> float:
        if mean == "geometric":
            return float(np.exp(np.log(block).mean()))
        return float(block.mean())

    within = {}
    for name, ii in idx.items():
        block = r[np.ix_(ii, ii)]
        within[name] = avg(block[~np.eye(len(ii), dtype=bool)])
    names = list(scales)
    out = np.ones((len(names), len(names)))
    for a, b in itertools.combinations(range(len(names)), 2):
        hetero = avg(r[np.ix_(idx[names[a]], idx[names[b]])].ravel())
        out[a, b] = out[b, a] = hetero / math.sqrt(within[names[a]] * within[names[b]])
    frame = pd.DataFrame(out, index=names, columns=names)
    frame.attrs.update({"mean": mean, "missing": missing, "n": mom.n})
    return frame


# ---------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------


def reliability_table(
    data: pd.DataFrame,
    scales: Any,
    *,
    ci: float = 0.95,
    missing: MissingPolicy = "listwise",
) -> pd.DataFrame:
    """One row of reliability statistics per construct.

    Parameters
    ----------
    data : DataFrame
        Respondents in rows, item columns (reverse-keyed items already reversed).
    scales : mapping construct -> item columns, or object with a ``.scales()`` method
        (e.g. the project's Codebook).
    ci : float
        Level of the Feldt interval for alpha.
    missing : {"listwise", "pairwise"}
        Listwise complete cases per scale (default) or pairwise covariances.

    Returns
    -------
    DataFrame
        Indexed by construct, with columns ``n``, ``n_items``, ``alpha``, ``alpha_ci_low``,
        ``alpha_ci_high``, ``omega_total`` (one-factor minres), ``mean_inter_item_r``, ``kmo``,
        ``weakest_item`` (lowest r.drop) and ``weakest_r_drop``; ``attrs["missing"]`` holds the
        policy. Every statistic of a scale comes from one covariance matrix of its items.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2))
    >>> x = pd.DataFrame(np.repeat(f, 3, axis=1) + rng.normal(size=(300, 6)), columns=list("abcdef"))
    >>> reliability_table(x, {"F1": ["a", "b", "c"], "F2": ["d", "e", "f"]}).shape
    (2, 10)

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika,
    16(3), 297-334.
    Kaiser, H. F. (1970). A second generation little jiffy. Psychometrika, 35(4), 401-415.
    """
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be a confidence level between 0 and 1; got {ci!r}")
    _check_missing(missing)
    spec = _resolve_scales(scales)
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame with the item columns named in scales")
    cols: list[str] = []
    for name, items in spec.items():
        _check_columns(data, items, name)
        cols.extend(c for c in items if c not in cols)
    names, x = _numeric_matrix(data[cols], "data")
    pos = {c: i for i, c in enumerate(cols)}
    colsum = x.sum(axis=0)
    complete = bool(np.isfinite(colsum).all())  # a NaN anywhere makes its column sum NaN
    shared: _Moments | None = None
    if complete:  # one covariance matrix for every scale; x is our own copy, centred in place
        shared = _moments_from_matrix(
            names, x, missing, min_items=1, complete=True, overwrite=True, colsum=colsum
        )
    rows = []
    for name, items in spec.items():
        ii = np.array([pos[c] for c in items])
        if len(items) < 2:
            raise ValueError(f"scale {name!r} needs at least 2 items; got {items}")
        if shared is not None:
            c = shared.cov[np.ix_(ii, ii)]
            n = shared.n
        else:
            mom = _moments_from_matrix(tuple(items), x[:, ii], missing)
            c, n = mom.cov, mom.n
        k = len(items)
        alpha = float(_alpha_from_cov(c))
        r_drop, _, _ = _drop_stats(c)
        _warn_keying(items, r_drop, alpha)
        low, high = _feldt_ci(alpha, n, k, ci)
        sd = np.sqrt(np.diag(c))
        r = c / np.outer(sd, sd)
        np.fill_diagonal(r, 1.0)
        try:
            # psych::KMO on raw data correlates each pair over its own respondents (cor(use = "pairwise")),
            # while alpha and mean_inter_item_r follow psych::alpha (cov2cor of the pairwise covariance)
            xs = x[:, ii]
            r_kmo = _pairwise_pearson(tuple(items), xs) if missing == "pairwise" and np.isnan(xs).any() else r
            _check_nonsingular(r_kmo, items, "KMO")
            kmo_value, _ = _kmo_from_corr(r_kmo)
        except ValueError:
            kmo_value = float("nan")
            warnings.warn(f"scale {name!r}: singular correlation matrix, KMO not computed", stacklevel=2)
        weakest = int(np.argmin(r_drop))
        rows.append(
            {
                "construct": name,
                "n": int(n),
                "n_items": k,
                "alpha": alpha,
                "alpha_ci_low": low,
                "alpha_ci_high": high,
                "omega_total": _omega_total_single(r),
                "mean_inter_item_r": float((r.sum() - k) / (k * (k - 1))),
                "kmo": kmo_value,
                "weakest_item": items[weakest],
                "weakest_r_drop": float(r_drop[weakest]),
            }
        )
    out = pd.DataFrame(rows).set_index("construct")
    out.attrs["missing"] = missing
    return out
