"""Descriptive statistics shared by the steps: the mean with its t-based confidence interval.

One home for ``mean -/+ t_{n-1, 1/2 + conf_level/2} * sd / sqrt(n)``: the construct means of one case
(:func:`emstudy.steps.drivers.construct_means`), the means by case (:func:`emstudy.steps.compare.means_by_case`)
and the performance intervals of :func:`emstudy.stats.ipa.importance_performance` all call :func:`mean_ci`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["MeanCI", "mean_ci"]


class MeanCI(NamedTuple):
    """Result of :func:`mean_ci`.

    Attributes
    ----------
    n : int
        Non-missing values.
    mean : float
        Arithmetic mean (NaN if ``n == 0``).
    sd : float
        Standard deviation with ``n - 1`` in the denominator (NaN if ``n < 2``).
    se : float
        ``sd / sqrt(n)`` (NaN if ``n < 2``).
    ci_lower, ci_upper : float
        ``mean -/+ t_{n-1, 1/2 + conf_level/2} * se`` (NaN if ``n < 2``).
    """

    n: int
    mean: float
    sd: float
    se: float
    ci_lower: float
    ci_upper: float


def mean_ci(x: ArrayLike, *, conf_level: float = 0.95) -> MeanCI:
    """Mean of the non-missing values of `x` with its t-based confidence interval.

    Parameters
    ----------
    x : array-like of float
        Values; NaN are left out (and not counted in ``n``).
    conf_level : float, default 0.95
        Level of the two-sided interval.

    Returns
    -------
    MeanCI
        ``n``, ``mean``, ``sd`` (n - 1), ``se = sd / sqrt(n)`` and ``ci_lower``, ``ci_upper`` =
        ``mean -/+ t_{n-1, 1/2 + conf_level/2} * se``, as R ``t.test(x, conf.level = conf_level)$conf.int``.
        With fewer than two values the spread and the interval are NaN.

    Raises
    ------
    ValueError
        If `conf_level` is not a number in (0, 1).

    Examples
    --------
    >>> r = mean_ci([1.0, 2.0, 3.0, np.nan])
    >>> r.n, r.mean, round(r.ci_lower, 4), round(r.ci_upper, 4)
    (3, 2.0, -0.4841, 4.4841)

    References
    ----------
    Student (1908). The probable error of a mean. *Biometrika*, 6(1), 1-25.
    """
    if isinstance(conf_level, bool) or not isinstance(conf_level, (int, float)) or not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number in (0, 1), got {conf_level!r}")
    a = np.asarray(x, dtype=float)
    a = a[~np.isnan(a)]
    n = len(a)
    nan = float("nan")
    mean = float(a.mean()) if n else nan
    if n < 2:
        return MeanCI(n, mean, nan, nan, nan, nan)
    sd = float(a.std(ddof=1))
    se = sd / np.sqrt(n)
    half = float(stats.t.ppf(0.5 + conf_level / 2, n - 1)) * se
    return MeanCI(n, mean, sd, float(se), float(mean - half), float(mean + half))
