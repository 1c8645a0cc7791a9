"""Reliability of multi-item scales: alpha, item statistics, split half and the construct table.

Every statistic here is computed from one covariance (or correlation) matrix of the items, so a whole
table of scales costs about one pass over the data. The conventions follow R ``psych`` 2.2.9, which the
tests in ``tests/test_stats_reliability.py`` use as the oracle (``tests/reference/reliability.R``):

* ``cronbach_alpha`` / ``item_statistics``: ``psych::alpha`` (raw and standardized alpha, Feldt CI as
  ``psych::alpha.ci``, ``r.drop``, alpha if an item is deleted).
* ``omega_total`` column of :func:`reliability_table`: one-factor minres omega total, from
  :mod:`emstudy.stats.omega` (which holds ``omega``, as ``psych::omega``).
* ``split_half``: ``psych::splitHalf`` on the correlation matrix (Guttman's lambdas 1, 2, 3, 4, 6 and
  the mean and minimum split half).
* ``cor="polychoric"`` (ordinal alpha, Zumbo, Gadermann & Zeisser 2007): the same formulas on the polychoric
  matrix (:mod:`emstudy.stats.correlation`), as ``psych::alpha(psych::polychoric(x)$rho)``.

KMO and Bartlett's test are in :mod:`emstudy.stats.factorability`; composite reliability, AVE and HTMT
in :mod:`emstudy.stats.validity`.

Missing data: ``missing="listwise"`` (default) uses the respondents who answered every item of the
scale; ``missing="pairwise"`` uses pairwise-complete covariances, as R's ``cov(use="pairwise")``
(correlations then being those covariances rescaled by each item's own standard deviation), except the
KMO column of :func:`reliability_table`, which uses pairwise-complete Pearson correlations as
``psych::KMO`` on raw data. Each result states the policy it used.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.errors import DataWarning, ModelWarning
from emstudy.stats._common import check_columns
from emstudy.stats._moments import (
    MissingPolicy,
    _as_frame,
    _check_conf_level,
    _check_missing,
    _Moments,
    _moments,
    _moments_from_matrix,
    _numeric_matrix,
    _pairwise_pearson,
    _resolve_scales,
)
from emstudy.stats._reliability_text import _AlphaText
from emstudy.stats.correlation import _check_cor, _polychoric_matrix
from emstudy.stats.factorability import _check_nonsingular, _kmo_from_corr
from emstudy.stats.omega import _omega_total_single

__all__ = [
    "AlphaResult",
    "SplitHalfResult",
    "cronbach_alpha",
    "item_statistics",
    "reliability_table",
    "spearman_brown",
    "split_half",
]


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
            DataWarning,
            stacklevel=3,
        )
    if alpha < 0:
        warnings.warn(
            f"alpha is negative ({alpha:.3f}) for items {list(names)}: the items covary negatively on "
            "average; check whether some items should be reverse-keyed",
            DataWarning,
            stacklevel=3,
        )


def _feldt_ci(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    p = 1.0 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - p / 2.0, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(p / 2.0, df1, df2)
    return float(low), float(high)


@dataclass(frozen=True)
class AlphaResult(_AlphaText):
    """Cronbach's alpha of one scale; ``summary()`` says which alpha and of what, ``to_frame()`` is one row.

    Attributes
    ----------
    alpha, std_alpha : raw alpha (from covariances) and standardized alpha (from correlations).
    ci_lower, ci_upper, conf_level, ci_method : confidence interval for raw alpha.
    average_r : mean inter-item correlation.
    n : respondents used (listwise: complete cases; pairwise: smallest pairwise count).
    n_items : number of items.
    missing : the missing-data policy used.
    cor : ``"pearson"`` (alpha of the observed scores) or ``"polychoric"`` (ordinal alpha: ``alpha`` equals
        ``std_alpha``; without a bootstrap, no interval: NaN bounds and ``ci_method="none"``).
    """

    alpha: float
    std_alpha: float
    ci_lower: float
    ci_upper: float
    conf_level: float
    ci_method: str
    average_r: float
    n: int
    n_items: int
    missing: str
    cor: str = "pearson"

    def __repr__(self) -> str:
        return (
            f"AlphaResult(alpha={self.alpha:.4f}, std_alpha={self.std_alpha:.4f}, "
            f"{self.conf_level:.0%} CI [{self.ci_lower:.4f}, {self.ci_upper:.4f}] ({self.ci_method}), "
            f"n={self.n}, n_items={self.n_items}, missing={self.missing!r}, cor={self.cor!r})"
        )


def cronbach_alpha(
    items: Any,
    *,
    conf_level: float = 0.95,
    method: Literal["feldt", "bootstrap"] = "feldt",
    n_boot: int = 1000,
    seed: int | None = None,
    missing: MissingPolicy = "listwise",
    cor: Literal["pearson", "polychoric"] = "pearson",
) -> AlphaResult:
    """Cronbach's alpha with a confidence interval, or ordinal alpha (``cor="polychoric"``).

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents in rows, items in columns, numeric, reverse-keyed items already reversed; for
        ``cor="polychoric"`` integer-coded categories (at most 10, as any polychoric; psych's ``max.cat`` is 8).
    conf_level : float
        Confidence level of the interval, in (0, 1).
    method : {"feldt", "bootstrap"}
        ``"feldt"``: the F-distribution interval of Feldt, Woodruff & Salih (1987), as
        ``psych::alpha.ci``; ``"bootstrap"``: percentile interval over ``n_boot`` resamples of
        respondents (for ordinal alpha the polychoric matrix is re-estimated in each resample).
    n_boot : int
        Bootstrap resamples (``method="bootstrap"`` only).
    seed : int, optional
        Seed of the bootstrap resampling.
    missing : {"listwise", "pairwise"}
        Listwise complete cases (default) or pairwise-complete covariances; for ``cor="polychoric"``
        pairwise polychorics (each over the respondents who answered both items, thresholds from all of
        an item's answers, as ``psych::polychoric``). For the pairwise policy ``n`` (and Feldt's ``n``)
        is the smallest pairwise count (``psych`` uses the number of rows).
    cor : {"pearson", "polychoric"}
        ``"pearson"``: alpha of the observed item scores, as ``psych::alpha(x)``. ``"polychoric"``: ordinal
        alpha (Zumbo, Gadermann & Zeisser, 2007), ``psych::alpha(psych::polychoric(x)$rho)``: reliability
        of the sum of the latent continuous responses behind the categories, not of the observed sum
        score (Chalmers, 2018); ``alpha == std_alpha``. Feldt's interval is for observed-score alpha and
        does not apply (nor does psych give one on a matrix): with ``method="feldt"`` the bounds are NaN
        and ``ci_method`` is ``"none"``; ``method="bootstrap"`` gives an interval.

    Returns
    -------
    AlphaResult

    Raises
    ------
    ValueError
        Fewer than two items, fewer than three complete respondents, a zero-variance item, or a
        non-numeric column (for ``cor="polychoric"`` also non-integer codes or more than 10 categories).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(200, 1))
    >>> x = pd.DataFrame(f + rng.normal(size=(200, 4)), columns=list("abcd"))
    >>> round(cronbach_alpha(x).alpha, 2)
    0.78
    >>> likert = pd.DataFrame(np.digitize(x, [-1.5, -0.5, 0.5, 1.5]) + 1, columns=list("abcd"))
    >>> ordinal = cronbach_alpha(likert, cor="polychoric")
    >>> ordinal.alpha > cronbach_alpha(likert).alpha, ordinal.ci_method
    (True, 'none')

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika,
    16(3), 297-334.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient alpha.
    Applied Psychological Measurement, 11(1), 93-103.
    Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of coefficients alpha and
    theta for Likert rating scales. Journal of Modern Applied Statistical Methods, 6(1), 21-29.
    Chalmers, R. P. (2018). On misconceptions and the limited usefulness of ordinal alpha. Educational
    and Psychological Measurement, 78(6), 1056-1071.
    """
    _check_conf_level(conf_level)
    if method not in ("feldt", "bootstrap"):
        raise ValueError(f"method must be 'feldt' or 'bootstrap'; got {method!r}")
    if method == "bootstrap" and n_boot < 2:
        raise ValueError(f"n_boot must be at least 2; got {n_boot}")
    _check_cor(cor)
    frame = _as_frame(items)
    names, x = _numeric_matrix(frame)
    if cor == "polychoric":
        _check_missing(missing)
        r, n = _polychoric_matrix(names, x, missing)
        c = r  # a correlation matrix: raw and standardized alpha coincide
    else:
        mom = _moments_from_matrix(names, x, missing)
        c, r, n = mom.cov, mom.corr, mom.n
    k = c.shape[0]
    alpha = float(_alpha_from_cov(c))
    std_alpha = float(k / (k - 1) * (1.0 - k / r.sum()))
    average_r = float((r.sum() - k) / (k * (k - 1)))
    r_drop, _, _ = _drop_stats(c)
    _warn_keying(names, r_drop, alpha)
    ci_method: str = method
    if method == "bootstrap":
        low, high = _bootstrap_ci(names, x, missing, conf_level, n_boot, seed, cor)
    elif cor == "pearson":
        low, high = _feldt_ci(alpha, n, k, conf_level)
    else:
        low, high, ci_method = math.nan, math.nan, "none"
    return AlphaResult(
        alpha=alpha,
        std_alpha=std_alpha,
        ci_lower=low,
        ci_upper=high,
        conf_level=conf_level,
        ci_method=ci_method,
        average_r=average_r,
        n=n,
        n_items=k,
        missing=missing,
        cor=cor,
    )


def spearman_brown(items: Any, *, missing: MissingPolicy = "listwise") -> float:
    """Spearman-Brown reliability of a two-item scale, ``2 r / (1 + r)`` of the inter-item correlation.

    Parameters
    ----------
    items : float, DataFrame or 2-D array
        The Pearson correlation ``r`` of the two items (a number in [-1, 1]), or the two items
        themselves (respondents in rows, two numeric columns, reverse-keyed items already reversed).
    missing : {"listwise", "pairwise"}
        How the correlation of two item columns is computed (with two items both policies use the
        respondents who answered both).

    Returns
    -------
    float
        The Spearman-Brown coefficient; for two items it equals standardized alpha
        (``psych::alpha(x)$total$std.alpha``).

    Raises
    ------
    ValueError
        A correlation outside [-1, 1] or equal to -1, not exactly two item columns, fewer than three
        complete respondents or a zero-variance item.

    Examples
    --------
    >>> round(spearman_brown(0.5), 4)
    0.6667

    References
    ----------
    Eisinga, R., te Grotenhuis, M., & Pelzer, B. (2013). The reliability of a two-item scale: Pearson,
    Cronbach, or Spearman-Brown? International Journal of Public Health, 58(4), 637-642.
    """
    if isinstance(items, (int, float, np.floating, np.integer)) and not isinstance(items, bool):
        r = float(items)
        if not -1.0 < r <= 1.0:
            raise ValueError(f"items: expected a correlation in (-1, 1], got {r!r}")
    else:
        names, x = _numeric_matrix(_as_frame(items))
        if x.shape[1] != 2:
            raise ValueError(f"items: expected exactly two item columns, got {x.shape[1]} ({', '.join(names)})")
        r = float(_moments_from_matrix(names, x, missing).corr[0, 1])
        if r <= -1.0:
            raise ValueError(f"items: the two items {list(names)} correlate -1; the coefficient is undefined")
    return 2.0 * r / (1.0 + r)


def _bootstrap_ci(
    names: tuple[str, ...], x: np.ndarray, missing: str, conf_level: float, n_boot: int, seed: int | None, cor: str
) -> tuple[float, float]:
    """Percentile bootstrap interval of raw alpha (ordinal alpha for ``cor="polychoric"``) over ``n_boot``
    resamples of respondents."""
    rng = np.random.default_rng(seed)
    xb = x if missing == "pairwise" else x[~np.isnan(x).any(axis=1)]
    boots = np.empty(n_boot)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # a resample's per-pair thresholds or smoothing
        for b in range(n_boot):
            sample = xb[rng.integers(0, xb.shape[0], xb.shape[0])]
            try:
                if cor == "polychoric":
                    c, _ = _polychoric_matrix(names, sample, missing)
                else:
                    c = _moments_from_matrix(names, sample, missing).cov
                boots[b] = _alpha_from_cov(c)
            except ValueError:  # a resample with a constant item
                boots[b] = np.nan
    boots = boots[np.isfinite(boots)]
    p = 1.0 - conf_level
    low, high = (float(v) for v in np.quantile(boots, [p / 2.0, 1.0 - p / 2.0]))
    return low, high


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
    items: Any, *, n_sample: int = 10000, seed: int | None = None, missing: MissingPolicy = "listwise"
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
    n_distinct = math.comb(k, m) // 2 if k % 2 == 0 else math.comb(k, m)  # an even split counted once
    if n_distinct <= n_sample:
        combos = (
            [(0, *c) for c in itertools.combinations(range(1, k), m - 1)]
            if k % 2 == 0
            else list(itertools.combinations(range(k), m))
        )
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
# The table
# ---------------------------------------------------------------------------------------------------


def reliability_table(
    data: pd.DataFrame,
    scales: Any,
    *,
    conf_level: float = 0.95,
    missing: MissingPolicy = "listwise",
    ordinal: bool = False,
) -> pd.DataFrame:
    """One row of reliability statistics per construct.

    Parameters
    ----------
    data : DataFrame
        Respondents in rows, item columns (reverse-keyed items already reversed).
    scales : mapping construct -> item columns, or object with a ``.scales()`` method
        (e.g. the project's Codebook).
    conf_level : float
        Level of the Feldt interval for alpha.
    missing : {"listwise", "pairwise"}
        Listwise complete cases per scale (default) or pairwise covariances.
    ordinal : bool
        Add ``ordinal_alpha`` and ``ordinal_omega_total`` after ``omega_total``: alpha and one-factor omega
        total of the polychoric correlations under the same missing-data policy (``cronbach_alpha(...,
        cor="polychoric")``, ``omega(..., n_factors=1, cor="polychoric").omega_total_single``; integer-coded
        items). A scale whose polychoric matrix cannot be estimated (an item with one observed category,
        fewer than three respondents) gets NaN there and a ``DataWarning`` naming it.

    Returns
    -------
    DataFrame
        Indexed by construct, with columns ``n``, ``n_items``, ``alpha``, ``alpha_ci_lower``,
        ``alpha_ci_upper``, ``omega_total`` (one-factor minres), (with ``ordinal``) ``ordinal_alpha``
        and ``ordinal_omega_total``, ``mean_inter_item_r``, ``kmo``, ``weakest_item`` (lowest r.drop)
        and ``weakest_r_drop``; ``attrs["missing"]`` holds the policy. Every Pearson statistic of a
        scale comes from one covariance matrix of its items.

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
    Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of coefficients alpha and
    theta for Likert rating scales. Journal of Modern Applied Statistical Methods, 6(1), 21-29.
    """
    spec = _check_args_table(data, scales, conf_level, missing)
    cols: list[str] = []
    for items in spec.values():
        cols.extend(c for c in items if c not in cols)
    names, x = _numeric_matrix(data[cols], "data")
    pos = {c: i for i, c in enumerate(cols)}
    colsum = x.sum(axis=0)
    complete = bool(np.isfinite(colsum).all())  # a NaN anywhere makes its column sum NaN
    shared: _Moments | None = None
    if complete:  # one covariance matrix for every scale; x is our own copy, centred in place
        shared = _moments_from_matrix(names, x, missing, min_items=1, complete=True, overwrite=True, colsum=colsum)
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
        row = _table_row(name, items, c, n, x[:, ii], conf_level, missing)
        if ordinal:  # from the item codes as given (x may have been centred in place)
            row = _with_ordinal(row, name, items, _numeric_matrix(data[items], "data")[1], missing)
        rows.append(row)
    out = pd.DataFrame(rows).set_index("construct")
    out.attrs["missing"] = missing
    return out


def _check_args_table(data: Any, scales: Any, conf_level: float, missing: str) -> dict[str, list[str]]:
    """Check the arguments of :func:`reliability_table`; return the scales as a dict."""
    _check_conf_level(conf_level)
    _check_missing(missing)
    spec = _resolve_scales(scales)
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame with the item columns named in scales")
    for name, items in spec.items():
        check_columns(data, items, role=f"construct {name!r}")
    return spec


def _with_ordinal(row: dict[str, Any], name: str, items: Sequence[str], xs: np.ndarray, missing: str) -> dict[str, Any]:
    """The table row with ordinal alpha and ordinal omega total inserted after ``omega_total``."""
    values = [math.nan, math.nan]
    try:
        r, _ = _polychoric_matrix(tuple(items), xs, missing)
        values = [float(_alpha_from_cov(r)), _omega_total_single(r)]
    except ValueError as exc:
        warnings.warn(f"scale {name!r}: ordinal alpha and omega not computed: {exc}", DataWarning, stacklevel=4)
    pairs = list(row.items())
    at = list(row).index("omega_total") + 1
    return dict(pairs[:at] + list(zip(("ordinal_alpha", "ordinal_omega_total"), values)) + pairs[at:])


def _table_kmo(name: str, items: Sequence[str], r: np.ndarray, xs: np.ndarray, missing: str) -> float:
    """Overall KMO of one scale, or NaN with a warning when its correlation matrix is singular."""
    try:
        # psych::KMO on raw data correlates each pair over its own respondents (cor(use = "pairwise")),
        # while alpha and mean_inter_item_r follow psych::alpha (cov2cor of the pairwise covariance)
        r_kmo = _pairwise_pearson(tuple(items), xs) if missing == "pairwise" and np.isnan(xs).any() else r
        _check_nonsingular(r_kmo, items, "KMO")
        kmo_value, _ = _kmo_from_corr(r_kmo)
    except ValueError:
        kmo_value = float("nan")
        warnings.warn(f"scale {name!r}: singular correlation matrix, KMO not computed", ModelWarning, stacklevel=4)
    return kmo_value


def _table_row(
    name: str, items: list[str], c: np.ndarray, n: int, xs: np.ndarray, conf_level: float, missing: str
) -> dict[str, Any]:
    """One construct's row of :func:`reliability_table` from the covariance matrix ``c`` of its items."""
    k = len(items)
    alpha = float(_alpha_from_cov(c))
    r_drop, _, _ = _drop_stats(c)
    _warn_keying(items, r_drop, alpha)
    low, high = _feldt_ci(alpha, n, k, conf_level)
    sd = np.sqrt(np.diag(c))
    r = c / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    kmo_value = _table_kmo(name, items, r, xs, missing)
    weakest = int(np.argmin(r_drop))
    return {
        "construct": name,
        "n": int(n),
        "n_items": k,
        "alpha": alpha,
        "alpha_ci_lower": low,
        "alpha_ci_upper": high,
        "omega_total": _omega_total_single(r),
        "mean_inter_item_r": float((r.sum() - k) / (k * (k - 1))),
        "kmo": kmo_value,
        "weakest_item": items[weakest],
        "weakest_r_drop": float(r_drop[weakest]),
    }
