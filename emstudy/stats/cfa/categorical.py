"""Sample statistics of ordered items for WLS estimation: thresholds, polychoric correlations, NACOV.

The first stage of lavaan's categorical approach (``cfa(..., ordered = TRUE, estimator = "WLSMV")``, lavaan
0.6.14, ``lavInspect(fit, "sampstat" | "wls.obs" | "gamma")``): each item's thresholds from its marginal
proportions, each polychoric correlation by maximum likelihood of its bivariate table with the thresholds
held fixed (the two-step estimator of Olsson, 1979), and ``N`` times the asymptotic covariance matrix of the
thresholds and correlations (Muthen, 1984), as lavaan computes it: casewise scores of the univariate and
bivariate likelihoods, the ``A`` matrices from their cross-products, ``A^-1 B A^-T`` with ``B`` the
cross-product of all scores. :func:`ordinal_moments` works on one group; a multigroup model calls it per
group. Missing answers are handled listwise (lavaan's default) or pairwise (``missing = "pairwise"``).
``tests/test_stats_cfa_categorical.py`` checks every number against ``tests/reference/categorical.R`` and
``tests/reference/categorical_pairwise.R``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from emstudy.errors import DataWarning, MissingDataWarning
from emstudy.stats._common import single_thread_blas
from emstudy.stats.correlation import _BIG, _MAX_CATEGORIES, _bvn_inner, _cells, _fit_pairs, _pair_tables, _start_values

__all__ = ["OrdinalMoments", "ordinal_moments"]

_LAVAAN_BOUND = 0.999  # lavaan's nlminb bounds for a polychoric correlation
_ZERO_ADD = 0.5  # lavaan's zero.add[1] for a 2 x 2 table with one empty cell (margins kept)


@dataclasses.dataclass(frozen=True)
class OrdinalMoments:
    """Sample statistics of ordered items (one group), in lavaan's order for WLS estimation.

    Attributes
    ----------
    names : tuple of str
        Item names in the order given.
    levels : tuple of tuple of float
        Observed categories of each item, ascending (unobserved categories are not levels, as in lavaan); for
        an ordered pandas Categorical, the positions (1, 2, ...) of the observed categories among its
        categories.
    thresholds : tuple of numpy.ndarray
        Per item, the increasing normal thresholds (``categories - 1`` of them).
    cor : numpy.ndarray
        ``p x p`` polychoric correlations, unit diagonal.
    wls_obs : numpy.ndarray
        All thresholds (item by item, ``t1..tk``), then the correlations below the diagonal column by
        column: lavaan's ``lavInspect(fit, "wls.obs")``.
    nacov : numpy.ndarray
        ``N`` times the asymptotic covariance matrix of ``wls_obs``: lavaan's ``lavInspect(fit, "gamma")``.
    nobs : int
        Number of rows used: the complete rows (listwise), or every row with an answer (pairwise).
    """

    names: tuple[str, ...]
    levels: tuple[tuple[float, ...], ...]
    thresholds: tuple[np.ndarray, ...] = dataclasses.field(repr=False)
    cor: np.ndarray = dataclasses.field(repr=False)
    wls_obs: np.ndarray = dataclasses.field(repr=False)
    nacov: np.ndarray = dataclasses.field(repr=False)
    nobs: int

    @property
    def wls_names(self) -> tuple[str, ...]:
        """Names of ``wls_obs`` as lavaan writes them: ``"A1|t1"``, ..., ``"A1~~A2"``, ..."""
        th = [f"{n}|t{k + 1}" for n, t in zip(self.names, self.thresholds) for k in range(t.size)]
        jj, ii = np.triu_indices(len(self.names), 1)
        return tuple(th + [f"{self.names[j]}~~{self.names[i]}" for j, i in zip(jj, ii)])

    @property
    def dwls_weights(self) -> np.ndarray:
        """Diagonal of lavaan's DWLS weight matrix ``lavInspect(fit, "wls.v")``: ``1 / diag(nacov)``."""
        return 1.0 / np.diag(self.nacov)

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic of ``wls_obs``: lavaan's ``lhs``, ``op`` (``|`` or ``~~``), ``rhs``, the
        estimate ``est`` and its standard error ``se = sqrt(diag(nacov) / nobs)``."""
        parts = [n.split("|") if "|" in n else n.split("~~") for n in self.wls_names]
        return pd.DataFrame(
            {
                "lhs": [p[0] for p in parts],
                "op": ["|" if "|" in n else "~~" for n in self.wls_names],
                "rhs": [p[1] for p in parts],
                "est": self.wls_obs,
                "se": np.sqrt(np.diag(self.nacov) / self.nobs),
            }
        )

    def summary(self, *, digits: int = 3) -> str:
        """Readable text summary: thresholds with standard errors and the polychoric correlation matrix."""
        tab = self.to_frame()
        th = tab[tab["op"] == "|"].set_index(["lhs", "rhs"])[["est", "se"]].round(digits)
        cor = pd.DataFrame(self.cor, index=list(self.names), columns=list(self.names)).round(digits)
        return "\n".join(
            [
                f"Ordinal sample statistics (lavaan's two-step polychoric, Muthen 1984 NACOV): "
                f"{len(self.names)} items, n = {self.nobs}, {self.wls_obs.size} statistics",
                "",
                "Thresholds:",
                th.to_string(),
                "",
                "Polychoric correlations:",
                cor.to_string(),
            ]
        )

    def __repr__(self) -> str:
        return f"OrdinalMoments(items={len(self.names)}, nobs={self.nobs}, statistics={self.wls_obs.size})"


# ----------------------------------------------------------------------------------------------
# Input
# ----------------------------------------------------------------------------------------------


def _check_input(data: pd.DataFrame, items: Sequence[str] | None, missing: str) -> tuple[list[str], np.ndarray]:
    """Item names and their complete rows as floats; one error sentence per problem."""
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"missing: expected 'listwise' or 'pairwise' for ordered items (as lavaan), got {missing!r}")
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    names = [str(c) for c in data.columns] if items is None else [str(c) for c in items]
    absent = [c for c in names if c not in data.columns]
    if absent:
        raise ValueError(f"items: column(s) {absent} not found in data")
    if len(set(names)) != len(names):
        raise ValueError(f"items: duplicated names in {names}")
    if len(names) < 2:
        raise ValueError(f"items: need at least 2 ordered items, got {len(names)}")
    x = _ordinal_values(data, names)
    keep = ~np.isnan(x).any(axis=1) if missing == "listwise" else ~np.isnan(x).all(axis=1)
    if not keep.all():
        what = (
            "rows with missing answers dropped (listwise, lavaan's default for ordered items)"
            if missing == "listwise"
            else "rows without any answer dropped (lavaan ignores empty cases)"
        )
        warnings.warn(f"ordinal_moments: {int((~keep).sum())} of {x.shape[0]} {what}", MissingDataWarning, stacklevel=4)
    x = x[keep]
    if x.shape[0] < 3:
        kind = "complete" if missing == "listwise" else "non-empty"
        raise ValueError(f"data: {x.shape[0]} {kind} rows; need at least 3 for ordinal sample statistics")
    for j, c in enumerate(names):
        vals = np.unique(x[~np.isnan(x[:, j]), j])
        if np.any(vals != np.round(vals)):
            raise ValueError(
                f"data column {c!r}: not an ordinal item (non-integer values); code the answers as integers"
            )
        if vals.size < 2:
            seen = f"a single observed category ({vals[0]:g})" if vals.size else "no answers"
            raise ValueError(f"data column {c!r}: {seen}; drop the item")
        if vals.size > _MAX_CATEGORIES:
            raise ValueError(
                f"data column {c!r}: {vals.size} categories, more than {_MAX_CATEGORIES}; not an ordinal item"
            )
    return names, x


def _ordinal_values(data: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """The answers of the items ``names`` as floats (missing: NaN): numeric codes as they are, an ordered pandas
    Categorical by the position of its category (``1..K`` in the order of its categories, as lavaan codes an
    ordered factor); an unordered Categorical or text is refused."""
    out = np.empty((len(data), len(names)))
    for j, c in enumerate(names):
        col = data[c]
        if isinstance(col.dtype, pd.CategoricalDtype) and col.dtype.ordered:
            codes = col.cat.codes.to_numpy()
            out[:, j] = np.where(codes < 0, np.nan, codes + 1.0)
        elif isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col):
            raise ValueError(
                f"data column {c!r}: not an ordinal item (dtype {col.dtype}); code the answers as integers "
                "(or as an ordered pandas Categorical)"
            )
        else:
            out[:, j] = col.to_numpy(dtype=float, na_value=np.nan)
    return out


# ----------------------------------------------------------------------------------------------
# Estimation
# ----------------------------------------------------------------------------------------------


def _zero_add(tabs: np.ndarray, ncat: np.ndarray, jj: np.ndarray, ii: np.ndarray, names: list[str]) -> np.ndarray:
    """lavaan's default for 2 x 2 tables: one empty cell gets 0.5, moved so that the margins are kept
    (``zero.add = c(0.5, 0)``, ``zero.keep.margins = TRUE``); larger tables are left as they are."""
    tabs = tabs.copy()
    for k in np.flatnonzero((ncat[jj] == 2) & (ncat[ii] == 2)):
        t = tabs[k, :2, :2]
        empty = t == 0
        if empty.sum() >= 2:
            raise ValueError(
                f"data columns {names[jj[k]]!r} and {names[ii[k]]!r}: their 2 x 2 table has two empty cells "
                "(the items are the same split); drop one of them"
            )
        if empty.sum() == 1:
            sign = 1.0 if (empty[0, 0] or empty[1, 1]) else -1.0
            t += sign * _ZERO_ADD * np.array([[1.0, -1.0], [-1.0, 1.0]])
    return tabs


def _pair_terms(
    rho: np.ndarray, tr: np.ndarray, tc: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cell probabilities ``P`` and ``dP/drho`` of ``m`` bivariate tables (``(m, R, C)``), and the
    threshold derivatives ``E1[t, b] = dP(row t, col b) / d tr_t`` (``(m, R-1, C)``), ``E2[a, u] =
    dP(row a, col u) / d tc_u`` (``(m, R, C-1)``); a cell below the threshold has minus that derivative."""
    h, k, r = tr[:, :, None], tc[:, None, :], rho[:, None, None]
    s2 = 1.0 - r**2
    dens = np.exp(-(h**2 - 2.0 * r * h * k + k**2) / (2.0 * s2)) / (2.0 * np.pi * np.sqrt(s2))
    zr, zc = np.zeros(tr.shape), np.zeros(tc.shape)
    p = _cells(_bvn_inner(h, k, rho), special.ndtr(tr), special.ndtr(tc), 1.0)
    dp = _cells(dens, zr, zc, 0.0)
    s = np.sqrt(s2)
    m = rho.size
    kb = np.concatenate([np.full((m, 1), -np.inf), tc, np.full((m, 1), np.inf)], axis=1)[:, None, :]
    hb = np.concatenate([np.full((m, 1), -np.inf), tr, np.full((m, 1), np.inf)], axis=1)[:, None, :]
    g1 = special.ndtr((kb - r * h) / s)  # (m, R-1, C+1)
    g2 = special.ndtr((hb - r * tc[:, :, None]) / s)  # (m, C-1, R+1)
    e1 = np.exp(-(h**2) / 2) / np.sqrt(2 * np.pi) * np.diff(g1, axis=2)
    e2 = (np.exp(-(tc[:, :, None] ** 2) / 2) / np.sqrt(2 * np.pi) * np.diff(g2, axis=2)).transpose(0, 2, 1)
    return p, dp, e1, e2


def _nacov(
    codes: np.ndarray, counts: list[np.ndarray], tau: list[np.ndarray], pairs: tuple, tabs: np.ndarray, rho: np.ndarray
) -> np.ndarray:
    """``N`` times lavaan's asymptotic covariance of (thresholds, correlations) (Muthen, 1984), from the
    casewise scores ``SC`` (``n x (thresholds + pairs)``): ``N A^-1 SC'SC A^-T`` with ``A11`` the
    per-item cross-products of the univariate threshold scores, ``A21`` the cross-products of each
    correlation's score with the bivariate threshold scores and ``A22`` the diagonal of its own."""
    n, p = codes.shape
    jj, ii, tr, tc = pairs
    nth = np.array([t.size for t in tau])
    off = np.concatenate([[0], np.cumsum(nth)])
    rows = np.arange(n)
    # univariate scores: an answer in category c scores phi(t_c)/P_c on t_c and -phi(t_{c-1})/P_c on t_{c-1}
    sc_th = np.zeros((n, off[-1]))
    a11 = np.zeros((off[-1], off[-1]))
    for j in range(p):  # a missing answer (code -1) scores 0: lavaan leaves it out of every cross-product
        phi = np.exp(-(tau[j] ** 2) / 2) / np.sqrt(2 * np.pi)
        prob = counts[j] / counts[j].sum()
        c = codes[:, j]
        up, lo = (c >= 0) & (c < nth[j]), c > 0
        sc_th[rows[up], off[j] + c[up]] = phi[c[up]] / prob[c[up]]
        sc_th[rows[lo], off[j] + c[lo] - 1] = -phi[c[lo] - 1] / prob[c[lo]]
        blk = slice(off[j], off[j + 1])
        a11[blk, blk] = sc_th[:, blk].T @ sc_th[:, blk]
    prob, dp, e1, e2 = _pair_terms(rho, tr, tc)
    used = tabs > 0
    srho = np.where(used, dp / np.where(used, prob, 1.0), 0.0)
    m = rho.size
    sc_cor = srho[np.arange(m)[None, :], codes[:, jj], codes[:, ii]]
    sc_cor[(codes[:, jj] < 0) | (codes[:, ii] < 0)] = 0.0
    a22 = (tabs * srho**2).sum(axis=(1, 2))
    w = tabs * srho / np.where(used, prob, 1.0)
    a21 = np.zeros((m, off[-1]))
    wr = w[:, :-1, :] - w[:, 1:, :]
    wc = w[:, :, :-1] - w[:, :, 1:]
    d_row = (e1 * wr).sum(axis=2)  # (m, R-1)
    d_col = (e2 * wc).sum(axis=1)  # (m, C-1)
    pair = np.arange(m)
    for t in range(d_row.shape[1]):  # each pair's row item's thresholds, then its column item's
        a, b = t < nth[jj], t < nth[ii]
        a21[pair[a], off[jj[a]] + t] = d_row[a, t]
        a21[pair[b], off[ii[b]] + t] = d_col[b, t]
    u_th = sc_th @ np.linalg.inv(a11)
    u_cor = (sc_cor - u_th @ a21.T) / a22
    u = np.concatenate([u_th, u_cor], axis=1)
    g = n * (u.T @ u)
    return (g + g.T) / 2.0


@single_thread_blas()
def ordinal_moments(
    data: pd.DataFrame, *, items: Sequence[str] | None = None, missing: str = "listwise"
) -> OrdinalMoments:
    """Thresholds, polychoric correlations and their asymptotic covariance (NACOV) of ordered items.

    lavaan's sample statistics for ordered data (``cfa(..., ordered = TRUE, estimator = "WLSMV")``):
    each item's categories are its observed values; its thresholds are the normal quantiles of its
    cumulative proportions; each correlation maximises the likelihood of the pair's table with the
    thresholds fixed (two-step; Newton steps on the exact derivatives until every step is below 1e-12,
    ``|rho| <= 0.999`` as lavaan's bounds; a 2 x 2 table with one empty cell gets lavaan's 0.5, margins
    kept; a correlation beyond 0.99 is reported with a :class:`~emstudy.errors.DataWarning`, as lavaan
    warns). ``nacov`` is ``N`` times the asymptotic covariance (Muthen, 1984), built from the casewise
    score matrix with matrix products. Rows with a missing answer are dropped (listwise, lavaan's
    default for ordered items) with a :class:`~emstudy.errors.MissingDataWarning`; with
    ``missing="pairwise"`` (lavaan's ``missing = "pairwise"``) each item's categories and thresholds come
    from all its answers, each correlation from the rows that answer both items, and a missing answer
    contributes nothing to the scores' cross-products (rows without any answer are dropped, as lavaan).

    Parameters
    ----------
    data : pandas.DataFrame
        Integer-coded answers, missing as NaN; one group. At most 10 observed categories per item (Mplus's
        limit for a categorical variable, the limit of every polychoric in emstudy). An ordered pandas
        Categorical column is an item whose levels are the positions ``1..K`` of its categories (``levels``
        reports those positions; a category nobody chose is not a level, as for numeric codes); an unordered
        Categorical is refused.
    items : sequence of str, optional
        Columns to use, in this order; all columns by default.
    missing : {"listwise", "pairwise"}
        The two options lavaan offers for ordered items with WLS estimation.

    Returns
    -------
    OrdinalMoments

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], size=400)
    >>> m = ordinal_moments(pd.DataFrame(np.digitize(z, [-1, 0, 1]) + 1, columns=["a", "b", "c"]))
    >>> m.wls_names[-3:], m.nacov.shape
    (('a~~b', 'a~~c', 'b~~c'), (12, 12))

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
    *Psychometrika*, 44, 443-460.
    Muthen, B. (1984). A general structural equation model with dichotomous, ordered categorical, and
    continuous latent variable indicators. *Psychometrika*, 49, 115-132.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of Statistical
    Software*, 48(2), 1-36.
    """
    names, x = _check_input(data, items, missing)
    n, p = x.shape
    levels, codes = [], np.full(x.shape, -1, dtype=int)  # -1: no answer (missing="pairwise")
    for j in range(p):
        seen = ~np.isnan(x[:, j])
        lev, codes[seen, j] = np.unique(x[seen, j], return_inverse=True)
        levels.append(tuple(float(v) for v in lev))
    ncat = np.array([len(lev) for lev in levels])
    kmax = int(ncat.max())
    counts = [np.bincount(codes[codes[:, j] >= 0, j], minlength=ncat[j]) for j in range(p)]
    tau = [special.ndtri(np.cumsum(c)[:-1] / c.sum()) for c in counts]
    # thresholds padded to the largest number of categories: the extra categories are empty cells
    tpad = np.full((p, kmax - 1), _BIG)
    for j in range(p):
        tpad[j, : ncat[j] - 1] = np.clip(tau[j], -_BIG, _BIG)
    jj, ii = np.triu_indices(p, 1)  # lavaan's order: below the diagonal, column by column
    tabs = _pair_tables(codes, kmax)[jj, ii]
    npair = tabs.sum(axis=(1, 2))
    if np.any(npair < 2):
        k = int(np.argmin(npair))
        raise ValueError(
            f"data columns {names[jj[k]]!r} and {names[ii[k]]!r}: {int(npair[k])} rows answer both; "
            "no polychoric correlation can be estimated (drop one of them)"
        )
    fitted = _zero_add(tabs, ncat, jj, ii, names)
    tr, tc = tpad[jj], tpad[ii]
    r = _fit_pairs(_start_values(fitted), tr, tc, fitted / npair[:, None, None], bound=_LAVAAN_BOUND)
    cor = np.eye(p)
    cor[ii, jj] = cor[jj, ii] = r
    near = np.flatnonzero(np.abs(r) > 0.99)
    if near.size:
        pairs = ", ".join(f"{names[jj[k]]} and {names[ii[k]]} ({r[k]:.3f})" for k in near)
        warnings.warn(f"ordinal_moments: polychoric correlation (nearly) 1 for {pairs}", DataWarning, stacklevel=3)
    nacov = _nacov(codes, counts, tau, (jj, ii, tr, tc), tabs, r)
    return OrdinalMoments(
        names=tuple(names),
        levels=tuple(levels),
        thresholds=tuple(tau),
        cor=cor,
        wls_obs=np.concatenate([*tau, r]),
        nacov=nacov,
        nobs=int(n),
    )
