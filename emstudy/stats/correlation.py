"""Correlation matrices for factor analysis: Pearson (pairwise or listwise) and two-step polychoric.

Conventions of R ``psych`` 2.2.9, which ``tests/test_stats_efa.py`` uses as the oracle: Pearson
correlations with pairwise deletion unless asked otherwise (psych's ``use="pairwise"``), and
``psych::polychoric`` with global thresholds, its continuity correction and ``cor.smooth``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import optimize, special

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


def _bvn_cdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """Bivariate standard normal CDF P(X < h, Y < k) for correlation ``rho`` (vectorised).

    Uses Sheppard's/Drezner's representation
    ``Phi2 = Phi(h) Phi(k) + 1/(2 pi) int_0^asin(rho) exp(-(h^2 - 2hk sin t + k^2) / (2 cos^2 t)) dt``
    with 48-point Gauss-Legendre quadrature (Drezner & Wesolowsky, 1990; Genz, 2004).
    Infinite limits must be replaced by large finite values by the caller.
    """
    h = np.asarray(h, dtype=float)
    k = np.asarray(k, dtype=float)
    base = special.ndtr(h) * special.ndtr(k)
    if rho == 0:
        return base
    a = math.asin(rho)
    theta = (_GL_NODES + 1) * a / 2
    w = _GL_WEIGHTS * a / 2
    st = np.sin(theta)
    c2 = np.cos(theta) ** 2
    hh = (h**2 + k**2)[..., None]
    hk = (h * k)[..., None]
    integrand = np.exp(-(hh - 2 * hk * st) / (2 * c2))
    return base + integrand @ w / (2 * np.pi)


def _cell_probs(rho: float, tau_r: np.ndarray, tau_c: np.ndarray) -> np.ndarray:
    big = 10.0
    rc = np.concatenate(([-big], np.clip(tau_r, -big, big), [big]))
    cc = np.concatenate(([-big], np.clip(tau_c, -big, big), [big]))
    hh, kk = np.meshgrid(rc, cc, indexing="ij")
    f = _bvn_cdf(hh, kk, rho)
    return f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]


def _polychoric_pair(tab: np.ndarray, tau_r: np.ndarray, tau_c: np.ndarray) -> float:
    prop = tab / tab.sum()

    def negll(rho: float) -> float:
        pr = _cell_probs(rho, tau_r, tau_c)
        ok = pr > 0
        return -float(np.sum(prop[ok] * np.log(pr[ok])))

    res = optimize.minimize_scalar(negll, bounds=(-0.9999, 0.9999), method="bounded", options={"xatol": 1e-7})
    return float(res.x)


@single_thread_blas()
def polychoric(data: pd.DataFrame | np.ndarray, *, correct: float = 0.5, smooth: bool = True) -> pd.DataFrame:
    """Polychoric correlation matrix of ordinal items (two-step estimator).

    Thresholds are estimated once per item from its marginal proportions (all non-missing answers),
    then each correlation maximises the bivariate-normal likelihood of the pair's contingency table
    over its pairwise-complete rows (Olsson, 1979, two-step method). This is psych's default
    (``global=TRUE``). When items do not share the same highest category, psych and this function
    switch to per-pair thresholds from each pair's table after dropping empty rows and columns, and
    replace empty cells by ``correct / n`` (psych's continuity correction); with the global thresholds
    no correction is applied. A matrix that is not positive definite is smoothed as
    ``psych::cor.smooth`` does (eigenvalues below 1e-12 raised, rescaled to a correlation matrix),
    with a warning.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        Integer-coded ordinal items (at most 8 categories), missing values as NaN.
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
    df = _numeric_frame(data)
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
    tau = [_thresholds(codes[codes[:, j] >= 0, j], ncat) for j in range(p)]
    rho = np.eye(p)
    n_fixed = 0
    for i in range(1, p):
        for j in range(i):
            ok = (codes[:, i] >= 0) & (codes[:, j] >= 0)
            tab = np.zeros((ncat, ncat))
            np.add.at(tab, (codes[ok, i], codes[ok, j]), 1.0)
            if tab.sum() == 0:
                raise ValueError(f"data: items {df.columns[i]!r} and {df.columns[j]!r} have no pairwise-complete rows")
            if global_tau:
                r_ij = _polychoric_pair(tab, tau[i], tau[j])
            else:
                r_ij, fixed = _pair_own_thresholds(tab, correct, df.columns[i], df.columns[j])
                n_fixed += fixed
            rho[i, j] = rho[j, i] = r_ij
    if n_fixed:
        warnings.warn(
            f"polychoric: {n_fixed} tables had empty cells replaced by correct={correct}", DataWarning, stacklevel=2
        )
    if smooth:
        rho = _smooth(rho)
    return pd.DataFrame(rho, index=df.columns, columns=df.columns)


def _ordinal_codes(df: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Categories as 0-based integer codes (-1 = missing) and their number; checks the coding."""
    x = df.to_numpy(dtype=float)
    obs = x[~np.isnan(x)]
    if np.any(obs != np.round(obs)):
        raise ValueError("data: polychoric needs integer-coded categories; found non-integer values")
    lo, hi = int(obs.min()), int(obs.max())
    ncat = hi - lo + 1
    if ncat > 8:
        raise ValueError(f"data: {ncat} categories; polychoric expects at most 8 (use Pearson correlations)")
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
