"""Correlation matrices for factor analysis: Pearson (pairwise or listwise) and two-step polychoric.

Conventions of R ``psych`` 2.2.9, which ``tests/test_stats_efa.py`` uses as the oracle: Pearson
correlations with pairwise deletion unless asked otherwise (psych's ``use="pairwise"``), and
``psych::polychoric`` with global thresholds, its continuity correction and ``cor.smooth``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special

from emstudy.errors import DataWarning
from emstudy.stats._common import single_thread_blas

__all__ = ["polychoric"]


# ----------------------------------------------------------------------------------------------
# Input handling and Pearson correlations
# ----------------------------------------------------------------------------------------------


def _numeric_frame(data: pd.DataFrame | np.ndarray, *, min_obs: int = 3) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        df = data
    elif isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise ValueError(f"data: expected a 2-D array (rows x items), got {data.ndim} dimension(s)")
        df = pd.DataFrame(data, columns=[f"V{i + 1}" for i in range(data.shape[1])])
    else:
        raise ValueError(f"data: expected a pandas DataFrame or 2-D numpy array, got {type(data).__name__}")
    bad = [
        str(c)
        for c in df.columns
        if not (pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
    ]
    if bad:
        raise ValueError(f"data: columns must be numeric; non-numeric column(s): {', '.join(bad)}")
    if df.shape[1] < 2:
        raise ValueError(f"data: need at least 2 items (columns), got {df.shape[1]}")
    df = df.astype(float)
    if df.shape[0] < min_obs:
        raise ValueError(f"data: need at least {min_obs} observations (rows), got {df.shape[0]}")
    counts = df.notna().sum()
    few = counts[counts < min_obs]
    if len(few):
        raise ValueError(
            f"data: column(s) {', '.join(map(str, few.index))} have fewer than {min_obs} non-missing values"
        )
    sd = df.std(skipna=True)
    const = sd[~(sd > 0)]
    if len(const):
        raise ValueError(f"data: column(s) {', '.join(map(str, const.index))} have no variance")
    return df


def _pearson(df: pd.DataFrame, missing: str) -> pd.DataFrame:
    if missing == "listwise":
        complete = df.dropna()
        if complete.shape[0] < 3:
            raise ValueError(f"missing='listwise' leaves {complete.shape[0]} complete rows; need at least 3")
        r = complete.corr(method="pearson")
    else:
        r = df.corr(method="pearson", min_periods=3)
    if r.isna().to_numpy().any():
        i, j = np.argwhere(r.isna().to_numpy())[0]
        raise ValueError(
            f"data: the correlation of {r.index[i]!r} and {r.columns[j]!r} cannot be computed "
            "(too few pairwise-complete observations)"
        )
    return r


def _correlation(df: pd.DataFrame, cor: str, missing: str) -> pd.DataFrame:
    if cor == "pearson":
        return _pearson(df, missing)
    if cor == "polychoric":
        return polychoric(df.dropna() if missing == "listwise" else df)
    raise ValueError(f"cor: expected 'pearson' or 'polychoric', got {cor!r}")


# ----------------------------------------------------------------------------------------------
# Polychoric
# ----------------------------------------------------------------------------------------------

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
_RHO_BOUND = 0.9999  # |rho| is kept inside this bound (psych's optimize searches (-1, 1))
#: The most categories of an ordinal item, for every polychoric in emstudy (:func:`polychoric`, ordinal alpha and
#: omega, the thresholds of :mod:`emstudy.stats.cfa.categorical`): Mplus's limit for a categorical variable; psych's
#: ``polychoric`` default is ``max.cat = 8``, lavaan has none
_MAX_CATEGORIES = 10
_BIG = 10.0  # a threshold at -inf/+inf (an empty outer category) is placed here


def _bvn_inner(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Bivariate standard normal CDF ``P(X < h, Y < k)`` for one correlation per pair (vectorised).

    ``h`` has shape ``(m, R, 1)``, ``k`` ``(m, 1, C)`` and ``rho`` ``(m,)``. Uses Sheppard's/Drezner's
    representation ``Phi2 = Phi(h) Phi(k) + 1/(2 pi) int_0^asin(rho) exp(-(h^2 - 2hk sin t + k^2) /
    (2 cos^2 t)) dt`` with 48-point Gauss-Legendre quadrature (Drezner & Wesolowsky, 1990; Genz, 2004).
    The weighted sum is numpy's (no BLAS call), so the result does not depend on the BLAS library.
    """
    a = np.arcsin(rho)[:, None]
    theta = (_GL_NODES + 1.0) * a / 2.0
    w = (_GL_WEIGHTS * a / 2.0)[:, None, None, :]
    st = np.sin(theta)[:, None, None, :]
    c2 = (np.cos(theta) ** 2)[:, None, None, :]
    hh = (h**2 + k**2)[..., None]
    hk = (h * k)[..., None]
    integral = (np.exp(-(hh - 2.0 * hk * st) / (2.0 * c2)) * w).sum(axis=-1)
    return special.ndtr(h) * special.ndtr(k) + integral / (2.0 * np.pi)


def _cells(inner: np.ndarray, border_r: np.ndarray, border_c: np.ndarray, corner: float) -> np.ndarray:
    """Cell masses from a function at the inner threshold grid and its values at the upper borders."""
    m, r1, c1 = inner.shape
    full = np.zeros((m, r1 + 2, c1 + 2))
    full[:, 1:-1, 1:-1] = inner
    full[:, -1, 1:-1] = border_c
    full[:, 1:-1, -1] = border_r
    full[:, -1, -1] = corner
    return full[:, 1:, 1:] - full[:, :-1, 1:] - full[:, 1:, :-1] + full[:, :-1, :-1]


def _pair_loglik(
    rho: np.ndarray, tau_r: np.ndarray, tau_c: np.ndarray, prop: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Log-likelihood per observation of each pair, its first and second derivatives in rho and the
    Fisher information, for ``m`` pairs at once (thresholds ``(m, R-1)``, ``(m, C-1)``, proportions
    ``(m, R, C)``).

    ``d Phi2 / d rho`` is the bivariate normal density ``phi2`` and ``d phi2 / d rho = phi2 * (rho / (1 -
    rho^2) + hk / (1 - rho^2) - rho q / (1 - rho^2)^2)`` with ``q = h^2 - 2 rho hk + k^2`` (Olsson, 1979).
    """
    h = tau_r[:, :, None]
    k = tau_c[:, None, :]
    r = rho[:, None, None]
    s = 1.0 - r**2
    q = h**2 - 2.0 * r * h * k + k**2
    dens = np.exp(-q / (2.0 * s)) / (2.0 * np.pi * np.sqrt(s))
    ddens = dens * (r / s + h * k / s - r * q / s**2)
    zr, zc = np.zeros(tau_r.shape), np.zeros(tau_c.shape)
    p = _cells(_bvn_inner(h, k, rho), special.ndtr(tau_r), special.ndtr(tau_c), 1.0)
    dp = _cells(dens, zr, zc, 0.0)
    d2p = _cells(ddens, zr, zc, 0.0)
    # cells of zero (or, beyond a NaN threshold of psych's per-pair case, undefined) probability are left
    # out, as psych's polyF does
    pos = p > 0
    used = (prop > 0) & pos
    ps = np.where(pos, p, 1.0)
    wt = np.where(used, prop, 0.0)
    ratio = np.where(used, dp / ps, 0.0)
    loglik = (wt * np.log(ps)).sum(axis=(1, 2))
    score = (wt * ratio).sum(axis=(1, 2))
    hess = (wt * (np.where(used, d2p / ps, 0.0) - ratio**2)).sum(axis=(1, 2))
    info = np.where(pos, dp * dp / ps, 0.0).sum(axis=(1, 2))
    return loglik, score, hess, info


def _fit_pairs(
    start: np.ndarray, tau_r: np.ndarray, tau_c: np.ndarray, prop: np.ndarray, *, bound: float = _RHO_BOUND
) -> np.ndarray:
    """Maximum-likelihood polychoric correlations of ``m`` pairs with fixed thresholds (vectorised).

    Newton steps (Fisher scoring where the observed curvature is not negative), at most 0.25 long, halved
    while the log-likelihood falls, until every step is below 1e-12: the estimate is then at the maximum
    to rounding level, so it does not depend on where it started or on the BLAS library. ``|rho|`` is kept
    within ``bound`` (psych's 0.9999 by default; lavaan's 0.999 for ``emstudy.stats.cfa.categorical``).
    """
    tau_r = np.clip(tau_r, -_BIG, _BIG)
    tau_c = np.clip(tau_c, -_BIG, _BIG)
    rho = np.clip(start, -0.95, 0.95).astype(float)
    ll, g, hs, info = _pair_loglik(rho, tau_r, tau_c, prop)
    active = np.arange(rho.size)
    for _ in range(200):
        # Newton where the curvature is negative, else Fisher scoring; no step where the likelihood is flat
        curv = np.where(hs[active] < 0, -hs[active], np.where(info[active] > 0, info[active], np.inf))
        step = g[active] / curv
        step = np.clip(step, -0.25, 0.25)
        new = np.clip(rho[active] + step, -bound, bound)
        moved = np.abs(new - rho[active]) > 1e-12
        active, new, step = active[moved], new[moved], step[moved]
        if active.size == 0:
            break
        for _halving in range(40):
            res = _pair_loglik(new, tau_r[active], tau_c[active], prop[active])
            worse = res[0] < ll[active] - 1e-15 * np.abs(ll[active])
            if not worse.any():
                break
            step = np.where(worse, step / 2.0, step)
            new = np.clip(rho[active] + step, -bound, bound)
        rho[active] = new
        ll[active], g[active], hs[active], info[active] = res
    return rho


def _polychoric_pair(tab: np.ndarray, tau_r: np.ndarray, tau_c: np.ndarray) -> float:
    """Polychoric correlation of one pair (a table with its own thresholds; psych's ``global=FALSE``)."""
    prop = tab / tab.sum()
    return float(_fit_pairs(np.zeros(1), tau_r[None, :], tau_c[None, :], prop[None])[0])


def _pair_tables(codes: np.ndarray, ncat: int) -> np.ndarray:
    """Contingency tables of every pair of items over its pairwise-complete rows: ``(p, p, ncat, ncat)``.

    One product of the items' category indicators (missing rows all zero); counts are exact in floating point.
    """
    n, p = codes.shape
    onehot = np.zeros((n, p, ncat))
    rows, cols = np.nonzero(codes >= 0)
    onehot[rows, cols, codes[rows, cols]] = 1.0
    flat = onehot.reshape(n, p * ncat)
    return (flat.T @ flat).reshape(p, ncat, p, ncat).transpose(0, 2, 1, 3)


def _start_values(tabs: np.ndarray) -> np.ndarray:
    """Pearson correlations of the category scores from each pair's table: a start below the polychoric."""
    c = np.arange(tabs.shape[-1], dtype=float)
    n = tabs.sum(axis=(1, 2))
    pr, pc = tabs.sum(axis=2) / n[:, None], tabs.sum(axis=1) / n[:, None]
    mr, mc = pr @ c, pc @ c
    vr, vc = pr @ c**2 - mr**2, pc @ c**2 - mc**2
    cov = np.einsum("mab,a,b->m", tabs, c, c) / n - mr * mc
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(vr * vc)
    return np.nan_to_num(r)


@single_thread_blas()
def polychoric(data: pd.DataFrame | np.ndarray, *, correct: float = 0.5, smooth: bool = True) -> pd.DataFrame:
    """Polychoric correlation matrix of ordinal items (two-step estimator).

    Thresholds are estimated once per item from its marginal proportions (all non-missing answers),
    then each correlation maximises the bivariate-normal likelihood of the pair's contingency table
    over its pairwise-complete rows (Olsson, 1979, two-step method). This is psych's default
    (``global=TRUE``); missing answers are thus handled pairwise, as psych does. All pairs are fitted
    together, by Newton steps on the analytic first and second derivatives of the log-likelihood
    (Fisher scoring where the curvature is not negative, steps halved while the likelihood falls),
    until every step is below 1e-12: the estimates are at the maximum to rounding level, so the
    written digits do not depend on the start or the BLAS library. psych stops its one-dimensional
    search at R's default ``optimize`` tolerance, about 3e-5 short of the same maximum
    (``tests/test_stats_correlation.py``). A correlation of +-0.9999 is a table whose likelihood has no
    maximum inside (-1, 1) (e.g. no answers off the diagonal). When items do not share the same highest category, psych and this function
    switch to per-pair thresholds from each pair's table after dropping empty rows and columns, and
    replace empty cells by ``correct / n`` (psych's continuity correction); with the global thresholds
    no correction is applied. A matrix that is not positive definite is smoothed as
    ``psych::cor.smooth`` does (eigenvalues below 1e-12 raised, rescaled to a correlation matrix),
    with a warning.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        Integer-coded ordinal items, missing values as NaN. At most 10 categories (from the lowest code to
        the highest; the limit of every polychoric in emstudy, Mplus's): psych's ``polychoric`` stops at
        ``max.cat = 8`` by default, so compare 9 or 10 categories with ``psych::polychoric(x, max.cat = 10)``.
        An ordered pandas Categorical column counts its categories' positions ``1..K``.
    correct : float
        Continuity correction for empty cells in the per-pair case (psych's ``correct=0.5``).
    smooth : bool
        Smooth a non-positive-definite result.

    Returns
    -------
    pandas.DataFrame
        Items x items polychoric correlations.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=500)
    >>> x = pd.DataFrame(np.digitize(z, [-1, 0, 1]) + 1, columns=["a", "b"])
    >>> round(float(polychoric(x).loc["a", "b"]), 1)
    0.5

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
    *Psychometrika*, 44, 443-460.
    Drezner, Z. & Wesolowsky, G. O. (1990). On the computation of the bivariate normal integral.
    *Journal of Statistical Computation and Simulation*, 35, 101-107.
    Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and t
    probabilities. *Statistics and Computing*, 14, 251-260.
    """
    df = _numeric_frame(_ordered_as_codes(data))
    codes, ncat = _ordinal_codes(df)
    p = codes.shape[1]
    item_max = [int(codes[:, j].max()) for j in range(p)]
    global_tau = min(item_max) == max(item_max)
    if not global_tau:
        warnings.warn(
            "polychoric: the items do not share the same highest category; thresholds are estimated "
            "per pair (psych's global=FALSE)",
            DataWarning,
            stacklevel=2,
        )
    tau = np.array([_thresholds(codes[codes[:, j] >= 0, j], ncat) for j in range(p)])
    tabs = _pair_tables(codes, ncat)
    ii, jj = np.tril_indices(p, -1)
    tabs = tabs[ii, jj]
    empty = np.flatnonzero(tabs.sum(axis=(1, 2)) == 0)
    if empty.size:
        i, j = ii[empty[0]], jj[empty[0]]
        raise ValueError(f"data: items {df.columns[i]!r} and {df.columns[j]!r} have no pairwise-complete rows")
    rho = np.eye(p)
    n_fixed = 0
    if global_tau:
        prop = tabs / tabs.sum(axis=(1, 2))[:, None, None]
        r = _fit_pairs(_start_values(tabs), tau[ii], tau[jj], prop)
    else:
        r = np.empty(ii.size)
        for m, (i, j) in enumerate(zip(ii, jj)):
            r[m], fixed = _pair_own_thresholds(tabs[m], correct, df.columns[i], df.columns[j])
            n_fixed += fixed
    rho[ii, jj] = rho[jj, ii] = r
    if n_fixed:
        warnings.warn(
            f"polychoric: {n_fixed} tables had empty cells replaced by correct={correct}", DataWarning, stacklevel=2
        )
    if smooth:
        rho = _smooth(rho)
    return pd.DataFrame(rho, index=df.columns, columns=df.columns)


def _ordered_as_codes(data: object) -> object:
    """A data frame's ordered pandas Categorical columns as the positions ``1..K`` of their categories (NaN for a
    missing answer); other input unchanged."""
    if not isinstance(data, pd.DataFrame):
        return data
    ordered = [c for c in data.columns if isinstance(data[c].dtype, pd.CategoricalDtype) and data[c].dtype.ordered]
    if not ordered:
        return data
    out = data.copy()
    for c in ordered:
        codes = data[c].cat.codes.to_numpy().astype(float)
        out[c] = np.where(codes < 0, np.nan, codes + 1.0)
    return out


def _ordinal_codes(df: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Categories as 0-based integer codes (-1 = missing) and their number; checks the coding."""
    x = df.to_numpy(dtype=float)
    obs = x[~np.isnan(x)]
    if np.any(obs != np.round(obs)):
        raise ValueError("data: polychoric needs integer-coded categories; found non-integer values")
    lo, hi = int(obs.min()), int(obs.max())
    ncat = hi - lo + 1
    if ncat > _MAX_CATEGORIES:
        raise ValueError(
            f"data: {ncat} categories (codes {lo} to {hi}); polychoric expects at most {_MAX_CATEGORIES} (recode the "
            "answers as consecutive integers, or use Pearson correlations)"
        )
    return np.where(np.isnan(x), -1, x - lo).astype(int), ncat


def _thresholds(codes: np.ndarray, ncat: int) -> np.ndarray:
    """Normal thresholds of one item from the marginal proportions of its (non-missing) codes."""
    cnt = np.bincount(codes, minlength=ncat)
    with np.errstate(divide="ignore"):
        return special.ndtri(np.cumsum(cnt)[:-1] / cnt.sum())


def _pair_own_thresholds(tab: np.ndarray, correct: float, name_i: object, name_j: object) -> tuple[float, int]:
    """Polychoric correlation of one pair with thresholds from its own table (psych's ``global=FALSE``).

    Empty rows and columns are dropped and empty cells replaced by ``correct / n``; returns the
    correlation and 1 if cells were replaced, else 0.
    """
    tot = tab.sum()
    t = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0] / tot
    if min(t.shape) < 2:
        raise ValueError(f"data: items {name_i!r} and {name_j!r} have a single observed category in their common rows")
    fixed = 0
    if correct > 0 and np.any(t == 0):
        fixed = 1
        t[t == 0] = correct / tot
    tr = special.ndtri(np.cumsum(t.sum(axis=1))[:-1])
    tc = special.ndtri(np.cumsum(t.sum(axis=0))[:-1])
    return _polychoric_pair(t, tr, tc), fixed


def _smooth(rho: np.ndarray) -> np.ndarray:
    """``psych::cor.smooth``: raise eigenvalues below 1e-12 and rescale, with a warning, if not positive definite."""
    p = rho.shape[0]
    vals, vecs = np.linalg.eigh(rho)
    if vals.min() < np.finfo(float).eps:
        warnings.warn("polychoric: matrix was not positive definite, smoothing was done", DataWarning, stacklevel=3)
        vals = np.where(vals < 1e-12, 100 * 1e-12, vals)
        vals = vals * p / vals.sum()
        m = (vecs * vals) @ vecs.T
        d = np.sqrt(np.diag(m))
        rho = m / np.outer(d, d)
    return rho


# ----------------------------------------------------------------------------------------------
# The polychoric matrix of one scale (ordinal alpha and omega)
# ----------------------------------------------------------------------------------------------


def _check_cor(cor: str) -> None:
    if cor not in ("pearson", "polychoric"):
        raise ValueError(f"cor must be 'pearson' or 'polychoric'; got {cor!r}")


def _polychoric_matrix(names: tuple[str, ...], x: np.ndarray, missing: str) -> tuple[np.ndarray, int]:
    """Polychoric correlations of a scale's items under the missing-data policy, and the ``n`` behind them
    (listwise: complete cases; pairwise: the smallest number of respondents behind a correlation)."""
    nan = np.isnan(x)
    if missing == "listwise":
        x = x[~nan.any(axis=1)]
        n = int(x.shape[0])
    else:
        present = (~nan).astype(float)
        n = int((present.T @ present).min())
    try:
        r = polychoric(pd.DataFrame(x, columns=list(names))).to_numpy()
    except ValueError as exc:
        raise ValueError(f"items (polychoric, missing={missing!r}): {str(exc).removeprefix('data: ')}") from None
    return r, n
