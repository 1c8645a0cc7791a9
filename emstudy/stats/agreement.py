"""Agreement between raters (coders): Cohen's and Fleiss' kappa, Krippendorff's alpha, Gwet's AC1, percent agreement.

Orientation of the data (one choice per coefficient, as in the software each is checked against):

* :func:`cohen_kappa` takes the two raters' labels as two sequences of equal length (one entry per unit);
* :func:`fleiss_kappa`, :func:`gwet_ac1` and :func:`percent_agreement` take **units x raters** labels (one row
  per unit, one column per rater; NaN or None where a rater did not rate a unit), the raw-ratings layout of
  Gwet (2014) and R ``irrCAC::*.raw``. A units x categories count table is converted with
  :func:`counts_to_ratings`;
* :func:`krippendorff_alpha` takes **raters x units** (the ``reliability_data`` orientation of Krippendorff
  (2011) and of the ``krippendorff`` package), NaN missing.

Every function returns a frozen :class:`AgreementResult`. tests/test_stats_agreement.py checks them against
statsmodels' ``inter_rater``, the ``krippendorff`` package and the worked examples of Krippendorff (2011) and
Gwet (2014).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from emstudy.errors import DataWarning, MissingDataWarning

__all__ = [
    "AgreementResult",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "percent_agreement",
    "krippendorff_alpha",
    "counts_to_ratings",
]

_WEIGHTS = (None, "linear", "quadratic")
_LEVELS = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True)
class AgreementResult:
    """Result of the agreement coefficients of :mod:`emstudy.stats.agreement`.

    Attributes
    ----------
    coefficient : str
        ``"cohen_kappa"``, ``"fleiss_kappa"``, ``"gwet_ac1"`` (``"gwet_ac2"`` when weighted),
        ``"percent_agreement"`` or ``"krippendorff_alpha"``.
    estimate : float
        The coefficient (NaN when it is not defined, e.g. a single category used by every rater).
    se, se_h0 : float
        Standard error behind the interval, and under no agreement beyond chance (NaN where not defined); each
        function's Returns section says which.
    statistic, pvalue : float
        Test of no agreement beyond chance (two-sided; NaN for percent agreement and Krippendorff's alpha).
    ci_lower, ci_upper : float
        Interval at ``conf_level`` (see ``ci_method``), clipped to the coefficient's range.
    conf_level : float
        Level of the interval.
    ci_method, test : str
        How the interval, and ``statistic`` and ``pvalue``, were made.
    observed, expected : float
        Observed and chance agreement (pa, pe); for Krippendorff's alpha the observed and expected
        disagreement (Do, De).
    n_units, n_raters : int
        Units entering the coefficient (Cohen: rated by both; Krippendorff: pairable) and raters.
    categories : tuple
        Categories in their order (the values for interval and ratio data).
    weights : str
        ``"unweighted"``, ``"linear"``, ``"quadratic"``, or the level of measurement for alpha.
    boot : numpy.ndarray or None
        Bootstrap replicates of alpha (Krippendorff's alpha with ``n_boot > 0``).
    """

    coefficient: str
    estimate: float
    se: float
    se_h0: float
    statistic: float
    pvalue: float
    ci_lower: float
    ci_upper: float
    conf_level: float
    ci_method: str
    test: str
    observed: float
    expected: float
    n_units: int
    n_raters: int
    categories: tuple
    weights: str
    boot: np.ndarray | None = field(default=None, repr=False, compare=False)

    def prob_below(self, minimum: float) -> float:
        """Share of bootstrap replicates below `minimum` (Hayes & Krippendorff's q of failing to reach it)."""
        if self.boot is None:
            raise ValueError("minimum: no bootstrap replicates; call krippendorff_alpha(..., n_boot=2000)")
        return float(np.mean(self.boot < minimum))

    def to_frame(self) -> pd.DataFrame:
        """One-row table: coefficient, estimate, se, se_h0, statistic, pvalue, ci_lower, ci_upper, ..."""
        keys = "coefficient weights estimate se se_h0 statistic pvalue ci_lower ci_upper conf_level observed"
        keys = keys.split() + ["expected", "n_units", "n_raters"]
        row = {k: getattr(self, k) for k in keys}
        row["n_categories"] = len(self.categories)
        return pd.DataFrame([row])

    def summary(self) -> str:
        """Readable one-paragraph summary."""
        p = "" if not np.isfinite(self.pvalue) else f", p = {self.pvalue:.4g} ({self.test})"
        return (
            f"{self.coefficient} ({self.weights}) = {self.estimate:.4f}, se = {self.se:.4f}, "
            f"{self.conf_level:.0%} CI [{self.ci_lower:.4f}, {self.ci_upper:.4f}] ({self.ci_method}){p}; "
            f"observed = {self.observed:.4f}, expected = {self.expected:.4f}; "
            f"{self.n_units} units, {self.n_raters} raters, {len(self.categories)} categories"
        )


# ------------------------------------------------------------------------------------------------ checks


def _check_options(conf_level: float, weights: str | None = None) -> None:
    if isinstance(conf_level, bool) or not isinstance(conf_level, (int, float)) or not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number in (0, 1), got {conf_level!r}")
    if weights not in _WEIGHTS:
        raise ValueError(f"weights: expected None, 'linear' or 'quadratic', got {weights!r}")


def _frame(data: ArrayLike | pd.DataFrame, *, name: str, raters_in_rows: bool = False) -> pd.DataFrame:
    arr = data if isinstance(data, pd.DataFrame) else np.asarray(data, dtype=object)
    shape = arr.shape
    raters, units = (0, 1) if raters_in_rows else (1, 0)
    if len(shape) != 2 or shape[units] < 1 or shape[raters] < 2:
        layout = "raters x units" if raters_in_rows else "units x raters"
        raise ValueError(f"{name}: expected a 2-D table ({layout}) with at least two raters, got shape {shape}")
    return arr if isinstance(arr, pd.DataFrame) else pd.DataFrame(arr)


def _codes(frame: pd.DataFrame, categories: Sequence | None, *, name: str) -> tuple[np.ndarray, tuple]:
    """Integer codes of the labels (-1 where missing) and the categories in order."""
    values = frame.to_numpy(dtype=object)
    missing = pd.isna(frame).to_numpy()
    if categories is None:
        observed = pd.unique(values[~missing])
        try:
            cats = tuple(sorted(observed.tolist()))
        except TypeError:
            raise ValueError(
                f"{name}: labels of mixed types cannot be put in order; pass categories=[...] in their order"
            ) from None
    else:
        cats = tuple(categories)
        if len(cats) == 0 or len(set(cats)) != len(cats) or any(pd.isna(c) for c in cats):
            raise ValueError(f"categories: expected distinct, non-missing labels, got {list(cats)!r}")
    codes = pd.Index(list(cats), dtype=object).get_indexer(values.ravel()).reshape(values.shape)
    codes[missing] = -1
    unknown = np.argwhere((codes < 0) & ~missing)
    if len(unknown):
        i, j = unknown[0]
        raise ValueError(
            f"{name}: value {values[i, j]!r} at row {frame.index[i]!r}, column {frame.columns[j]!r} is not among "
            f"categories {list(cats)!r}; correct it or add it to categories"
        )
    return codes, cats


def _weight_matrix(weights: str | None, q: int) -> np.ndarray:
    """Agreement weights on the category positions 0..q-1 (Cicchetti & Allison 1971; Fleiss & Cohen 1973)."""
    if weights is None or q < 2:
        return np.eye(q)
    d = np.abs(np.subtract.outer(np.arange(q), np.arange(q))) / (q - 1)
    return 1.0 - d if weights == "linear" else 1.0 - d**2


def _unit_counts(codes: np.ndarray, q: int) -> np.ndarray:
    """Units x categories: how many raters put each unit in each category."""
    counts = np.zeros((codes.shape[0], q))
    rows, cols = np.nonzero(codes >= 0)
    np.add.at(counts, (rows, codes[rows, cols]), 1.0)
    return counts


def _interval(est: float, se: float, conf_level: float, df: float | None, bounds: tuple[float, float]):
    if not (np.isfinite(est) and np.isfinite(se)):
        return float("nan"), float("nan")
    crit = stats.norm.ppf(0.5 + conf_level / 2) if df is None else stats.t.ppf(0.5 + conf_level / 2, df)
    return float(max(bounds[0], est - crit * se)), float(min(bounds[1], est + crit * se))


def counts_to_ratings(counts: ArrayLike | pd.DataFrame) -> pd.DataFrame:
    """Turn a units x categories count table into units x raters labels (NaN-padded), for :func:`fleiss_kappa`.

    Parameters
    ----------
    counts : array-like or pandas.DataFrame of non-negative integers
        Row i, column k: how many raters put unit i in category k. Column names become the labels
        (``0..q-1`` for an array).

    Returns
    -------
    pandas.DataFrame
        One row per unit, ``max(row sums)`` columns ``rater_1, ...``; the labels sorted by category within a row,
        NaN where a unit has fewer ratings. Agreement coefficients that ignore rater identity (Fleiss' kappa,
        AC1, percent agreement) are the same on this table as on the original ratings.

    Examples
    --------
    >>> counts_to_ratings([[2, 1], [0, 3]]).to_numpy().tolist()
    [[0, 0, 1], [1, 1, 1]]
    """
    table = counts if isinstance(counts, pd.DataFrame) else pd.DataFrame(np.asarray(counts))
    arr = table.to_numpy(dtype=float)
    if arr.ndim != 2 or np.any(~np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError("counts: expected a 2-D table of non-negative whole numbers (units x categories)")
    width = int(arr.sum(axis=1).max()) if arr.size else 0
    labels = list(table.columns)
    rows = [[lab for lab, n in zip(labels, r) for _ in range(int(n))] for r in arr]
    rows = [r + [np.nan] * (width - len(r)) for r in rows]
    return pd.DataFrame(rows, index=table.index, columns=[f"rater_{j + 1}" for j in range(width)])


# ------------------------------------------------------------------------------------------ Cohen's kappa


def cohen_kappa(
    r1: ArrayLike,
    r2: ArrayLike,
    *,
    weights: str | None = None,
    categories: Sequence | None = None,
    conf_level: float = 0.95,
) -> AgreementResult:
    """Cohen's kappa between two raters, unweighted or with linear or quadratic weights.

    Parameters
    ----------
    r1, r2 : array-like
        The two raters' labels, one entry per unit; units where either is missing (NaN/None) are left out
        (:class:`~emstudy.errors.MissingDataWarning`).
    weights : {None, "linear", "quadratic"}
        Agreement weights ``1 - |i - j| / (q - 1)`` or ``1 - (i - j)^2 / (q - 1)^2`` on the positions i, j of
        the categories in their order (weighted kappa, Cohen 1968).
    categories : sequence, optional
        All categories in their order (default: the labels used, sorted). Needed for weights on labels that
        do not sort in their natural order, and to count unused categories.
    conf_level : float, default 0.95

    Returns
    -------
    AgreementResult
        ``estimate = (po - pe) / (1 - pe)`` with weighted observed and chance agreement; ``se`` the large-sample
        standard error of Fleiss, Cohen & Everitt (1969) and the normal interval ``estimate -/+ z * se``;
        ``se_h0`` its value under no agreement beyond chance, ``statistic = estimate / se_h0`` and its two-sided
        normal ``pvalue`` (as statsmodels ``cohens_kappa``).

    Examples
    --------
    >>> r = cohen_kappa(["a", "a", "b", "b", "c"], ["a", "b", "b", "b", "c"])
    >>> round(r.estimate, 4), round(r.observed, 2)
    (0.6875, 0.8)

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and Psychological
    Measurement*, 20(1), 37-46.
    Cohen, J. (1968). Weighted kappa. *Psychological Bulletin*, 70(4), 213-220.
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa and weighted
    kappa. *Psychological Bulletin*, 72(5), 323-327.
    """
    _check_options(conf_level, weights)
    a, b = np.asarray(r1, dtype=object).ravel(), np.asarray(r2, dtype=object).ravel()
    if len(a) != len(b):
        raise ValueError(f"r2: expected as many ratings as r1 ({len(a)}), got {len(b)}")
    codes, cats = _codes(pd.DataFrame({"r1": a, "r2": b}), categories, name="ratings")
    both = (codes >= 0).all(axis=1)
    if (~both).any():
        msg = f"{int((~both).sum())} unit(s) not rated by both raters were left out"
        warnings.warn(msg, MissingDataWarning, stacklevel=2)
    codes = codes[both]
    n, q = len(codes), len(cats)
    if n == 0:
        raise ValueError("r1: no unit is rated by both raters")
    table = np.zeros((q, q))
    np.add.at(table, (codes[:, 0], codes[:, 1]), 1.0)
    kappa, se, se0, po, pe = _fleiss_cohen_everitt(table / n, _weight_matrix(weights, q), n)
    z = kappa / se0 if se0 > 0 else float("nan")
    pvalue = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan")
    lo, hi = _interval(kappa, se, conf_level, None, (-1.0, 1.0))
    return AgreementResult(
        "cohen_kappa", kappa, se, se0, float(z), pvalue, lo, hi, conf_level,
        "normal, Fleiss, Cohen & Everitt (1969) se", "z = estimate / se_h0 (normal)",
        po, pe, n, 2, cats, weights or "unweighted",
    )  # fmt: skip


def _fleiss_cohen_everitt(p: np.ndarray, w: np.ndarray, n: int) -> tuple[float, float, float, float, float]:
    """Weighted kappa with its large-sample variances (Fleiss, Cohen & Everitt 1969, eqs. for var and var0)."""
    row, col = p.sum(axis=1), p.sum(axis=0)
    po = float((w * p).sum())
    pe = float((w * np.outer(row, col)).sum())
    if pe >= 1:
        warnings.warn("kappa is not defined: chance agreement is 1 (one category only)", DataWarning, stacklevel=2)
        return float("nan"), float("nan"), float("nan"), po, pe
    kappa = (po - pe) / (1 - pe)
    wi, wj = w @ col, row @ w  # weighted row and column means
    a = (p * (w - np.add.outer(wi, wj) * (1 - kappa)) ** 2).sum()
    var = (a - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    var0 = ((np.outer(row, col) * (w - np.add.outer(wi, wj)) ** 2).sum() - pe**2) / (n * (1 - pe) ** 2)
    return float(kappa), float(np.sqrt(max(var, 0.0))), float(np.sqrt(max(var0, 0.0))), po, pe


# --------------------------------------------------------------- Fleiss' kappa, Gwet's AC1, percent agreement


def _gwet_prepare(ratings, categories, weights, conf_level):
    _check_options(conf_level, weights)
    frame = _frame(ratings, name="ratings")
    codes, cats = _codes(frame, categories, name="ratings")
    counts = _unit_counts(codes, len(cats))
    rated = counts.sum(axis=1) > 0
    if (~rated).any():
        msg = f"{int((~rated).sum())} unit(s) rated by no rater were left out"
        warnings.warn(msg, MissingDataWarning, stacklevel=3)
    counts = counts[rated]
    if not (counts.sum(axis=1) >= 2).any():
        raise ValueError("ratings: no unit is rated by two raters or more; agreement is not defined")
    return frame, counts, cats, _weight_matrix(weights, len(cats))


def _gwet_family(counts: np.ndarray, w: np.ndarray, kind: str) -> dict:
    """Coefficient and linearised variance of Gwet (2008; 2014, ch. 5) for raw ratings with missing values.

    pa = mean over units with r_i >= 2 of sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1)), r*_ik = sum_l w_kl r_il;
    pi_k = mean over units of r_ik / r_i; pe by coefficient; var = sum_i (c*_i - c)^2 / (n (n - 1)) with
    c*_i = c_i - 2 (1 - c) (pe_i - pe) / (1 - pe), c_i = (n / n2) (pa_i - pe [r_i >= 2]) / (1 - pe).
    """
    n, q = counts.shape
    r = counts.sum(axis=1)
    two = r >= 2
    n2 = int(two.sum())
    agree = (counts * (counts @ w.T - 1)).sum(axis=1)
    pa_i = np.where(two, agree / np.where(two, r * (r - 1), 1.0), 0.0)
    pa = float(pa_i[two].mean())
    share = counts / r[:, None]
    pi = share.mean(axis=0)
    if kind == "fleiss":
        pe = float(pi @ w @ pi)
        pe_i = share @ ((w @ pi + w.T @ pi) / 2)
    elif kind == "ac1":
        scale = w.sum() / (q * (q - 1)) if q > 1 else 0.0
        pe = float(scale * (pi * (1 - pi)).sum())
        pe_i = scale * (share @ (1 - pi))
    else:
        pe, pe_i = 0.0, np.zeros(n)
    if pe >= 1:
        warnings.warn(
            "the coefficient is not defined: chance agreement is 1 (one category only)", DataWarning, stacklevel=2
        )
        return {"estimate": float("nan"), "se": float("nan"), "pa": pa, "pe": pe, "n": n}
    est = (pa - pe) / (1 - pe)
    c_i = (n / n2) * (pa_i - pe * two) / (1 - pe)
    c_star = c_i - 2 * (1 - est) * (pe_i - pe) / (1 - pe)
    var = ((c_star - est) ** 2).sum() / (n * (n - 1)) if n > 1 else float("nan")
    return {"estimate": float(est), "se": float(np.sqrt(var)), "pa": pa, "pe": pe, "n": n}


def _gwet_result(name, fit, frame, cats, weights, conf_level, *, se_h0=float("nan"), test_zero=True):
    est, se, n = fit["estimate"], fit["se"], fit["n"]
    bounds = (0.0, 1.0) if name == "percent_agreement" else (-1.0, 1.0)
    lo, hi = _interval(est, se, conf_level, n - 1, bounds)
    t = est / se if test_zero and se > 0 else float("nan")
    pvalue = float(2 * stats.t.sf(abs(t), n - 1)) if np.isfinite(t) else float("nan")
    return AgreementResult(
        name, est, se, se_h0, float(t), pvalue, lo, hi, conf_level,
        "t with n - 1 df, Gwet (2008, 2014) linearised se", "t = estimate / se, df = n - 1 (Gwet 2014)" if test_zero
        else "", fit["pa"], fit["pe"], n, frame.shape[1], cats, weights or "unweighted",
    )  # fmt: skip


def fleiss_kappa(
    ratings: ArrayLike | pd.DataFrame,
    *,
    weights: str | None = None,
    categories: Sequence | None = None,
    conf_level: float = 0.95,
) -> AgreementResult:
    """Fleiss' kappa for any number of raters: units x raters labels, missing ratings allowed.

    Parameters
    ----------
    ratings : array-like or pandas.DataFrame, units x raters
        Labels; NaN/None where a rater did not rate a unit. Units rated by nobody are left out
        (:class:`~emstudy.errors.MissingDataWarning`). A units x categories count table goes through
        :func:`counts_to_ratings` first.
    weights : {None, "linear", "quadratic"}
        Agreement weights on the category positions (Gwet 2014's weighted generalisation).
    categories : sequence, optional
        All categories in their order (default: the labels used, sorted).
    conf_level : float, default 0.95

    Returns
    -------
    AgreementResult
        With complete data the estimate is Fleiss' (1971) kappa; with missing ratings, Gwet's (2014)
        generalisation (agreement over units with two ratings or more, category shares averaged over units).
        ``se`` is Gwet's linearised standard error and the interval ``estimate -/+ t_{n-1} * se`` (as R
        ``irrCAC::fleiss.kappa.raw``), with the t test of zero; ``se_h0`` the standard error under no agreement
        of Fleiss, Nee & Landis (1979) when every unit has the same number of ratings (unweighted only).

    Examples
    --------
    >>> r = fleiss_kappa([["a", "a", "a"], ["a", "b", "b"], ["b", "b", "b"], ["a", "a", "b"]])
    >>> round(r.estimate, 4)
    0.3333

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. *Psychological Bulletin*,
    76(5), 378-382.
    Fleiss, J. L., Nee, J. C. M., & Landis, J. R. (1979). Large sample variance of kappa in the case of
    different sets of raters. *Psychological Bulletin*, 86(5), 974-977.
    Fleiss, J. L., Levin, B., & Paik, M. C. (2003). *Statistical Methods for Rates and Proportions* (3rd ed.),
    ch. 18. Wiley.
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence of high agreement.
    *British Journal of Mathematical and Statistical Psychology*, 61(1), 29-48.
    Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.), ch. 5. Advanced Analytics.
    """
    frame, counts, cats, w = _gwet_prepare(ratings, categories, weights, conf_level)
    fit = _gwet_family(counts, w, "fleiss")
    return _gwet_result("fleiss_kappa", fit, frame, cats, weights, conf_level, se_h0=_fleiss_se_h0(counts, weights))


def _fleiss_se_h0(counts: np.ndarray, weights: str | None) -> float:
    """Fleiss, Nee & Landis (1979) standard error of kappa under no agreement (equal raters per unit)."""
    r = counts.sum(axis=1)
    if weights is not None or np.ptp(r) != 0 or r[0] < 2:
        return float("nan")
    n, m = counts.shape[0], r[0]
    p = counts.sum(axis=0) / (n * m)
    pq = p * (1 - p)
    s = pq.sum()
    if s <= 0:
        return float("nan")
    return float(np.sqrt(2.0) / (s * np.sqrt(n * m * (m - 1))) * np.sqrt(s**2 - (pq * (1 - 2 * p)).sum()))


def gwet_ac1(
    ratings: ArrayLike | pd.DataFrame,
    *,
    weights: str | None = None,
    categories: Sequence | None = None,
    conf_level: float = 0.95,
) -> AgreementResult:
    """Gwet's AC1 (AC2 when weighted) for any number of raters: units x raters labels, missing allowed.

    Parameters
    ----------
    ratings : array-like or pandas.DataFrame, units x raters
        Labels; NaN/None where a rater did not rate a unit.
    weights : {None, "linear", "quadratic"}
        Agreement weights on the category positions (AC2).
    categories : sequence, optional
        All categories in their order (default: the labels used, sorted). The chance agreement depends on
        the number q of categories, so list unused ones when the coding scheme has them.
    conf_level : float, default 0.95

    Returns
    -------
    AgreementResult
        ``estimate = (pa - pe) / (1 - pe)`` with ``pe = T_w / (q (q - 1)) * sum_k pi_k (1 - pi_k)`` (T_w the
        sum of the weights); ``se`` Gwet's (2008) linearised standard error, interval and test with t on
        n - 1 df (as R ``irrCAC::gwet.ac1.raw``).

    Examples
    --------
    >>> r = gwet_ac1([["a", "a"], ["a", "a"], ["a", "b"], ["b", "b"]])
    >>> round(r.estimate, 4)  # pa = 0.75, pe = 2 * 0.625 * 0.375 = 0.46875
    0.5294

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence of high agreement.
    *British Journal of Mathematical and Statistical Psychology*, 61(1), 29-48.
    Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.), ch. 4-5. Advanced Analytics.
    """
    frame, counts, cats, w = _gwet_prepare(ratings, categories, weights, conf_level)
    if len(cats) < 2:
        raise ValueError("categories: AC1 needs at least two categories; list the unused ones in categories")
    fit = _gwet_family(counts, w, "ac1")
    name = "gwet_ac1" if weights is None else "gwet_ac2"
    return _gwet_result(name, fit, frame, cats, weights, conf_level)


def percent_agreement(
    ratings: ArrayLike | pd.DataFrame,
    *,
    weights: str | None = None,
    categories: Sequence | None = None,
    conf_level: float = 0.95,
) -> AgreementResult:
    """Percent agreement: the share of agreeing pairs of ratings per unit, averaged over units.

    Parameters
    ----------
    ratings : array-like or pandas.DataFrame, units x raters
        Labels; NaN/None where a rater did not rate a unit (units with fewer than two ratings do not count).
    weights : {None, "linear", "quadratic"}
        Agreement weights on the category positions (partial credit for near misses).
    categories : sequence, optional
        All categories in their order (default: the labels used, sorted).
    conf_level : float, default 0.95

    Returns
    -------
    AgreementResult
        ``estimate = pa`` (for two raters, the share of units on which they agree); ``se`` Gwet's (2014)
        standard error of pa (as R ``irrCAC::pa.coeff.raw``) with a t interval on n - 1 df clipped to
        [0, 1]; no test (``pvalue`` NaN: agreement by chance is not zero).

    Examples
    --------
    >>> round(percent_agreement([[1, 1], [2, 2], [1, 2], [3, 3]]).estimate, 2)
    0.75

    References
    ----------
    Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.), ch. 2 and 5. Advanced Analytics.
    """
    frame, counts, cats, w = _gwet_prepare(ratings, categories, weights, conf_level)
    fit = _gwet_family(counts, w, "percent")
    return _gwet_result("percent_agreement", fit, frame, cats, weights, conf_level, test_zero=False)


# --------------------------------------------------------------------------------- Krippendorff's alpha


def _alpha_values(reliability_data, level: str, categories: Sequence | None) -> tuple[np.ndarray, tuple]:
    """Units x values counts and the values (numbers for interval/ratio, labels in order otherwise)."""
    frame = _frame(reliability_data, name="reliability_data", raters_in_rows=True).T  # units x raters
    if level in ("interval", "ratio"):
        try:
            num = frame.apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
        except (ValueError, TypeError):
            raise ValueError(
                f"reliability_data: level={level!r} needs numeric values; use level='nominal' or 'ordinal' "
                "with categories for labels"
            ) from None
        if level == "ratio" and np.nanmin(num) < 0:
            raise ValueError("reliability_data: level='ratio' needs non-negative values")
        frame = pd.DataFrame(num, index=frame.index, columns=frame.columns)
        categories = None
    codes, cats = _codes(frame, categories, name="reliability_data")
    return _unit_counts(codes, len(cats)), cats


def _delta2(level: str, cats: tuple, n_c: np.ndarray) -> np.ndarray:
    """Squared difference function of Krippendorff (2011) between the values c and k."""
    q = len(cats)
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        lo, hi = np.minimum.outer(np.arange(q), np.arange(q)), np.maximum.outer(np.arange(q), np.arange(q))
        return (cum[hi + 1] - cum[lo] - (n_c[lo] + n_c[hi]) / 2) ** 2
    v = np.asarray(cats, dtype=float)
    diff = np.subtract.outer(v, v)
    if level == "interval":
        return diff**2
    total = np.add.outer(v, v)
    return np.where(total > 0, (diff / np.where(total > 0, total, 1.0)) ** 2, 0.0)


def krippendorff_alpha(
    reliability_data: ArrayLike | pd.DataFrame,
    *,
    level: str = "nominal",
    categories: Sequence | None = None,
    n_boot: int = 0,
    seed: int | np.random.SeedSequence | None = None,
    conf_level: float = 0.95,
) -> AgreementResult:
    """Krippendorff's alpha for any number of raters, missing values and four levels of measurement.

    Parameters
    ----------
    reliability_data : array-like or pandas.DataFrame, raters x units
        One row per rater (coder), one column per unit, NaN/None missing (the orientation of Krippendorff 2011
        and of the ``krippendorff`` package). Units with fewer than two values are not pairable and left out.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement, which sets the difference function.
    categories : sequence, optional
        Nominal and ordinal labels in their order (default: the values used, sorted); unused values listed
        here change nothing. Interval and ratio data use the numeric values themselves.
    n_boot : int, default 0
        Bootstrap replicates for the interval (0: no interval). Hayes & Krippendorff (2007): the expected
        disagreement De is held fixed; each replicate draws, with replacement, as many pairs of values as the
        data have pairable pairs (sum over units of m_u (m_u - 1) / 2) from the coincidence matrix (cell
        probabilities o_ck / n.., that is pairs weighted by 1 / (m_u - 1)) and gives alpha* = 1 - Do* / De.
        Krippendorff's later revision of the algorithm (capped draws, small-sample corrections) is not followed;
        with more than two raters per unit this interval is narrow (pairs of one unit are drawn independently).
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap (``numpy.random.default_rng``); give one for a reproducible interval.
    conf_level : float, default 0.95
        Level of the percentile interval.

    Returns
    -------
    AgreementResult
        ``estimate = 1 - Do / De`` with ``observed`` = Do and ``expected`` = De; ``se`` the standard deviation
        of the replicates, ``ci_lower``/``ci_upper`` their percentiles, ``boot`` the replicates
        (``prob_below(0.667)`` is Hayes & Krippendorff's q). NaN with a :class:`~emstudy.errors.DataWarning`
        when De is 0 (every pairable value the same).

    Examples
    --------
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    ...         [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
    >>> round(krippendorff_alpha(data, level="nominal").estimate, 3)  # Krippendorff (2011): 0.743
    0.743
    >>> r = krippendorff_alpha(data, level="interval", n_boot=1000, seed=1)
    >>> round(r.estimate, 3), r.ci_lower < r.estimate < r.ci_upper
    (0.849, True)

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for Communication,
    University of Pennsylvania. https://repository.upenn.edu/asc_papers/43
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability measure for coding
    data. *Communication Methods and Measures*, 1(1), 77-89.
    """
    if level not in _LEVELS:
        raise ValueError(f"level: expected one of {list(_LEVELS)}, got {level!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot: expected a whole number >= 0, got {n_boot!r}")
    _check_options(conf_level)
    counts, cats = _alpha_values(reliability_data, level, categories)
    m_u = counts.sum(axis=1)
    pairable = m_u >= 2
    if not pairable.any():
        raise ValueError("reliability_data: no unit has values from two raters or more; alpha is not defined")
    counts, m_u = counts[pairable], m_u[pairable]
    o = (counts.T @ (counts / (m_u - 1)[:, None])) - np.diag((counts / (m_u - 1)[:, None]).sum(axis=0))
    n_c = o.sum(axis=1)
    n_total = float(n_c.sum())
    d2 = _delta2(level, cats, n_c)
    d_o = float((o * d2).sum() / n_total)
    d_e = float((np.outer(n_c, n_c) * d2).sum() / (n_total * (n_total - 1)))
    n_raters = int(np.asarray(reliability_data, dtype=object).shape[0])
    if d_e <= 0:
        warnings.warn(
            "Krippendorff's alpha is not defined: every pairable value is the same", DataWarning, stacklevel=2
        )
        est = float("nan")
    else:
        est = 1.0 - d_o / d_e
    boot, se, lo, hi = None, float("nan"), float("nan"), float("nan")
    if n_boot > 0 and np.isfinite(est):
        pairs = int(round(float((m_u * (m_u - 1)).sum()) / 2))
        boot = _alpha_bootstrap(o / n_total, d2, d_e, pairs, n_boot, seed)
        se = float(boot.std(ddof=1)) if n_boot > 1 else float("nan")
        lo, hi = (float(x) for x in np.quantile(boot, [0.5 - conf_level / 2, 0.5 + conf_level / 2]))
    return AgreementResult(
        "krippendorff_alpha", est, se, float("nan"), float("nan"), float("nan"), lo, hi, conf_level,
        f"percentile bootstrap, Hayes & Krippendorff (2007), {n_boot} replicates" if boot is not None else "none",
        "", d_o, d_e, int(pairable.sum()), n_raters, cats, level, boot,
    )  # fmt: skip


def _alpha_bootstrap(p: np.ndarray, d2: np.ndarray, d_e: float, pairs: int, n_boot: int, seed) -> np.ndarray:
    """Replicates alpha* = 1 - Do*/De, Do* the mean difference of `pairs` cells drawn from the coincidences."""
    keep = p.ravel() > 0
    probs = p.ravel()[keep]
    probs = probs / probs.sum()
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(pairs, probs, size=n_boot)
    d_star = (draws * d2.ravel()[keep]).sum(axis=1) / pairs
    return 1.0 - d_star / d_e
