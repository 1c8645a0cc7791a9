"""Analytic power and sample size: the RMSEA tests of MacCallum, Browne & Sugawara (1996) and Welch's t test.

These are the closed-form answers a Monte Carlo planning study (:mod:`emstudy.planning`) is checked against.

**RMSEA (MacCallum et al. 1996).** A model with ``df`` degrees of freedom whose population misfit is
``eps`` (RMSEA) has a test statistic distributed as noncentral chi-square with ``df`` degrees of freedom and
noncentrality ``lambda = (n - 1) * df * eps**2``. The test of *close fit* (``H0: eps <= rmsea0`` against
``eps = rmsea_a > rmsea0``) rejects when the statistic exceeds the ``1 - alpha`` quantile of
``chi2(df, lambda_0)``; the test of *not-close fit* (``H0: eps >= rmsea0`` against ``eps = rmsea_a < rmsea0``)
rejects when it falls below the ``alpha`` quantile. Power is the probability of the rejection region under
``chi2(df, lambda_a)``. The exact noncentral chi-square (``scipy.stats.ncx2``; the central ``chi2`` when
``lambda = 0``) is used, as R's ``pchisq(q, df, ncp)``.

**Welch's t test.** With population means differing by ``diff``, standard deviations ``sd1``, ``sd2`` and
group sizes ``n1``, ``n2``, the Welch statistic is approximated by a noncentral t with noncentrality
``diff / sqrt(sd1**2 / n1 + sd2**2 / n2)`` and the Welch-Satterthwaite degrees of freedom evaluated at the
population variances. This is the standard approximation (exact for equal variances and sizes, where it is
R's ``power.t.test(..., strict = TRUE)``); its accuracy for unequal variances is checked by simulation in the
planning tests. The noncentral t probabilities are integrals over the chi distribution of the standard error
(Gauss-Legendre, agreeing with R's ``pt(q, df, ncp)`` to about 1e-12): ``scipy.stats.nct`` returns NaN far in
its tails, which is where a power near 0 or 1 lives.

References
----------
MacCallum, R. C., Browne, M. W., & Sugawara, H. M. (1996). Power analysis and determination of sample size
for covariance structure modeling. *Psychological Methods*, 1(2), 130-149.

Welch, B. L. (1947). The generalization of "Student's" problem when several different population variances are
involved. *Biometrika*, 34(1-2), 28-35.

Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance components. *Biometrics
Bulletin*, 2(6), 110-114.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import special, stats

from emstudy.stats.distributions import _s_grid

__all__ = ["RMSEAPower", "rmsea_power", "rmsea_sample_size", "welch_power", "welch_sample_size"]

_ALTERNATIVES = ("two-sided", "less", "greater")
_MAX_N = 10**8
_MAX_PANELS = 1024


@dataclass(frozen=True)
class RMSEAPower:
    """Result of :func:`rmsea_power`.

    Attributes
    ----------
    df : int
        Degrees of freedom of the model.
    n : int
        Sample size (the noncentrality uses ``n - 1``).
    rmsea0, rmsea_a : float
        RMSEA under the null and under the alternative hypothesis.
    alpha : float
        Significance level.
    ncp0, ncp_a : float
        Noncentrality ``(n - 1) * df * eps**2`` under the null and the alternative.
    critical : float
        Critical value of the chi-square statistic: the ``1 - alpha`` quantile of ``chi2(df, ncp0)`` for the
        test of close fit (reject above it), the ``alpha`` quantile for the test of not-close fit (reject below).
    power : float
        Probability of rejecting the null when the RMSEA is ``rmsea_a``.
    test : str
        ``"close fit"`` (``rmsea_a > rmsea0``) or ``"not-close fit"`` (``rmsea_a < rmsea0``).
    """

    df: int
    n: int
    rmsea0: float
    rmsea_a: float
    alpha: float
    ncp0: float
    ncp_a: float
    critical: float
    power: float
    test: str

    def to_frame(self) -> pd.DataFrame:
        """One row with every attribute as a column."""
        return pd.DataFrame([asdict(self)])

    def summary(self) -> str:
        """Readable text summary."""
        side = ">" if self.test == "close fit" else "<"
        return (
            f"RMSEA test of {self.test} (MacCallum et al. 1996): H0 RMSEA {'<=' if side == '>' else '>='} "
            f"{self.rmsea0:g} vs RMSEA = {self.rmsea_a:g}; df = {self.df}, n = {self.n}, alpha = {self.alpha:g}\n"
            f"reject if chi-square {side} {self.critical:.4f} (ncp0 = {self.ncp0:.4f}, ncp_a = {self.ncp_a:.4f}); "
            f"power = {self.power:.4f}"
        )


# ------------------------------------------------------------------------------------- checks


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name}: expected a whole number >= {minimum}, got {value!r}")
    return int(value)


def _check_real(name: str, value: object, *, low: float, high: float = math.inf, open_low: bool = True) -> float:
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok:
        v = float(value)
        ok = (v > low if open_low else v >= low) and v < high
    if not ok:
        bracket = "(" if open_low else "["
        upper = "inf)" if math.isinf(high) else f"{high:g})"
        raise ValueError(f"{name}: expected a number in {bracket}{low:g}, {upper}, got {value!r}")
    return float(value)


def _check_rmsea(rmsea0: float, rmsea_a: float, alpha: float) -> tuple[float, float, float]:
    r0 = _check_real("rmsea0", rmsea0, low=0.0, open_low=False)
    ra = _check_real("rmsea_a", rmsea_a, low=0.0, open_low=False)
    if r0 == ra:
        raise ValueError(f"rmsea_a: must differ from rmsea0 ({r0:g}); larger tests close fit, smaller not-close fit")
    return r0, ra, _check_real("alpha", alpha, low=0.0, high=1.0)


def _check_alternative(alternative: str) -> str:
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative: expected 'two-sided', 'less' or 'greater', got {alternative!r}")
    return alternative


# ------------------------------------------------------------------------------------- RMSEA


def _chi2_quantile(p: float, df: int, ncp: float, *, upper: bool) -> float:
    """Lower (or upper) `p` quantile of the (noncentral) chi-square; unfrozen calls, as freezing costs ~2 ms."""
    if ncp == 0:
        return float(stats.chi2.isf(p, df) if upper else stats.chi2.ppf(p, df))
    return float(stats.ncx2.isf(p, df, ncp) if upper else stats.ncx2.ppf(p, df, ncp))


def _chi2_tail(x: float, df: int, ncp: float, *, upper: bool) -> float:
    """``P(X > x)`` (or ``P(X <= x)``) for ``X`` (noncentral) chi-square."""
    if ncp == 0:
        return float(stats.chi2.sf(x, df) if upper else stats.chi2.cdf(x, df))
    return float(stats.ncx2.sf(x, df, ncp) if upper else stats.ncx2.cdf(x, df, ncp))


def _rmsea(df: int, n: int, r0: float, ra: float, alpha: float) -> RMSEAPower:
    ncp0 = (n - 1) * df * r0**2
    ncp_a = (n - 1) * df * ra**2
    if ra > r0:
        critical = _chi2_quantile(alpha, df, ncp0, upper=True)
        power = _chi2_tail(critical, df, ncp_a, upper=True)
        test = "close fit"
    else:
        critical = _chi2_quantile(alpha, df, ncp0, upper=False)
        power = _chi2_tail(critical, df, ncp_a, upper=False)
        test = "not-close fit"
    return RMSEAPower(df, n, r0, ra, alpha, float(ncp0), float(ncp_a), critical, power, test)


def rmsea_power(*, df: int, n: int, rmsea0: float = 0.05, rmsea_a: float = 0.08, alpha: float = 0.05) -> RMSEAPower:
    """Power of the RMSEA test of close or not-close fit (MacCallum, Browne & Sugawara 1996).

    Parameters
    ----------
    df : int
        Degrees of freedom of the model (>= 1).
    n : int
        Sample size (>= 2). The noncentrality is ``(n - 1) * df * eps**2``, the convention of MacCallum
        et al. (1996), of their SAS program and of R's semPower; lavaan's ML chi-square uses ``n`` by default
        (``likelihood = "normal"``), which changes power by well under one unit of ``n``.
    rmsea0 : float, default 0.05
        RMSEA under the null hypothesis (>= 0).
    rmsea_a : float, default 0.08
        RMSEA under the alternative. Above `rmsea0`: test of close fit (``H0: eps <= rmsea0``, reject when the
        statistic is large); below: test of not-close fit (``H0: eps >= rmsea0``, reject when it is small).
    alpha : float, default 0.05
        Significance level, in (0, 1).

    Returns
    -------
    RMSEAPower
        Noncentralities, the critical value, the power and which test.

    Raises
    ------
    ValueError
        Naming the parameter: `df` or `n` not a whole number in range, an RMSEA negative, ``rmsea_a == rmsea0``,
        or `alpha` outside (0, 1).

    Examples
    --------
    >>> r = rmsea_power(df=40, n=200)
    >>> r.test, round(r.ncp0, 2), round(r.ncp_a, 2), round(r.power, 3)
    ('close fit', 19.9, 50.94, 0.688)
    >>> round(rmsea_power(df=40, n=200, rmsea0=0.05, rmsea_a=0.01).power, 3)
    0.523

    References
    ----------
    MacCallum, R. C., Browne, M. W., & Sugawara, H. M. (1996). Power analysis and determination of sample size
    for covariance structure modeling. *Psychological Methods*, 1(2), 130-149.
    """
    d = _check_int("df", df, 1)
    m = _check_int("n", n, 2)
    r0, ra, a = _check_rmsea(rmsea0, rmsea_a, alpha)
    return _rmsea(d, m, r0, ra, a)


def _smallest_n(power_at: Callable[[int], float], target: float, start: int, name: str, what: str) -> int:
    """Smallest integer ``n >= start`` with ``power_at(n) >= target``, by doubling and then bisection.

    Assumes power increases with ``n``; raises ValueError (naming `name`) if ``_MAX_N`` does not reach it.
    """
    if power_at(start) >= target:
        return start
    low, high = start, max(2 * start, 4)
    while power_at(high) < target:
        if high >= _MAX_N:
            raise ValueError(f"{name}: power {target:g} is not reached below n = {_MAX_N:,}; {what}")
        low, high = high, min(2 * high, _MAX_N)
    while high - low > 1:
        mid = (low + high) // 2
        if power_at(mid) >= target:
            high = mid
        else:
            low = mid
    return high


def rmsea_sample_size(
    *, df: int, power: float = 0.8, rmsea0: float = 0.05, rmsea_a: float = 0.08, alpha: float = 0.05
) -> int:
    """Smallest sample size whose RMSEA test of close or not-close fit reaches `power` (MacCallum et al. 1996).

    Power increases with ``n`` for both tests; the smallest ``n >= 2`` with ``rmsea_power(...).power >= power``
    is found by doubling and then bisection on the integers (MacCallum et al. used interval halving too).

    Parameters
    ----------
    df : int
        Degrees of freedom of the model (>= 1).
    power : float, default 0.8
        Target power, in (0, 1).
    rmsea0, rmsea_a, alpha : float
        As in :func:`rmsea_power` (``rmsea_a > rmsea0``: close fit; ``rmsea_a < rmsea0``: not-close fit).

    Returns
    -------
    int
        The smallest ``n`` (with the ``n - 1`` convention of :func:`rmsea_power`).

    Raises
    ------
    ValueError
        Naming the parameter, for inputs :func:`rmsea_power` rejects, `power` outside (0, 1), or a target
        not reached below ``n = 10**8``.

    Examples
    --------
    >>> rmsea_sample_size(df=40), rmsea_sample_size(df=40, rmsea_a=0.01)
    (252, 307)

    References
    ----------
    MacCallum, R. C., Browne, M. W., & Sugawara, H. M. (1996). Power analysis and determination of sample size
    for covariance structure modeling. *Psychological Methods*, 1(2), 130-149.
    """
    d = _check_int("df", df, 1)
    target = _check_real("power", power, low=0.0, high=1.0)
    r0, ra, a = _check_rmsea(rmsea0, rmsea_a, alpha)
    return _smallest_n(lambda m: _rmsea(d, m, r0, ra, a).power, target, 2, "power", "choose RMSEA values further apart")


# ------------------------------------------------------------------------------------- Welch's t


def _nct_tails(q: float, df: float, ncp: float, panels: int = 8) -> tuple[float, float]:
    """``P(T > q)`` and ``P(T < -q)`` for ``T`` noncentral t with ``df`` degrees of freedom and noncentrality `ncp`.

    ``T = (Z + ncp) / S`` with ``S = sqrt(chi2_df / df)``, so ``P(T > q) = E[Phi(ncp - q S)]`` and
    ``P(T < -q) = E[Phi(-q S - ncp)]``; the expectation over ``S`` is a composite Gauss-Legendre rule on the
    1e-20 to 1 - 1e-20 quantiles of ``S`` (the grid of :mod:`emstudy.stats.distributions`), refined until two
    successive values agree within 1e-14. ``scipy.stats.nct`` is not used: its distribution function returns
    NaN in the far tails (e.g. ``nct.cdf(-2.6, 126, 7.35)`` in scipy 1.17), exactly where power is near 0 or 1.
    """
    previous = None
    while True:
        s, w = _s_grid(df, panels)
        w = w / w.sum()
        upper = float(np.sum(w * special.ndtr(ncp - q * s)))
        lower = float(np.sum(w * special.ndtr(-q * s - ncp)))
        if previous is not None and max(abs(upper - previous[0]), abs(lower - previous[1])) < 1e-14:
            break
        if panels >= _MAX_PANELS:
            break
        previous, panels = (upper, lower), 2 * panels
    return min(max(upper, 0.0), 1.0), min(max(lower, 0.0), 1.0)


def _welch(diff: float, sd1: float, sd2: float, n1: float, n2: float, alpha: float, alternative: str) -> float:
    v1, v2 = sd1**2 / n1, sd2**2 / n2
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    ncp = diff / math.sqrt(v1 + v2)
    q = float(stats.t.isf(alpha if alternative != "two-sided" else alpha / 2, df))
    upper, lower = _nct_tails(q, df, ncp)
    if alternative == "greater":
        return upper
    if alternative == "less":
        return lower
    return min(upper + lower, 1.0)


def _check_welch(diff: float, sd1: float, sd2: float, alpha: float, alternative: str) -> tuple:
    return (
        _check_real("diff", diff, low=-math.inf),
        _check_real("sd1", sd1, low=0.0),
        _check_real("sd2", sd2, low=0.0),
        _check_real("alpha", alpha, low=0.0, high=1.0),
        _check_alternative(alternative),
    )


def welch_power(
    *, diff: float, sd1: float, sd2: float, n1: int, n2: int, alpha: float = 0.05, alternative: str = "two-sided"
) -> float:
    """Power of Welch's two-sample t test, by the noncentral t with Welch-Satterthwaite degrees of freedom.

    The statistic ``(mean1 - mean2) / sqrt(s1**2 / n1 + s2**2 / n2)`` is taken as noncentral t with
    noncentrality ``diff / sqrt(sd1**2 / n1 + sd2**2 / n2)`` and degrees of freedom
    ``(v1 + v2)**2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))``, ``vi = sdi**2 / ni``, at the population
    variances: the standard approximation for unequal variances. With equal sizes and standard deviations it is
    exactly R's ``power.t.test(n, delta, sd, strict = TRUE)`` (both tails counted when two-sided).

    Parameters
    ----------
    diff : float
        Population difference ``mean1 - mean2``.
    sd1, sd2 : float
        Population standard deviations (> 0).
    n1, n2 : int
        Group sizes (>= 2).
    alpha : float, default 0.05
        Significance level, in (0, 1).
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        As R's ``t.test(x, y, alternative = )``: ``"greater"`` rejects for large ``mean1 - mean2``.

    Returns
    -------
    float
        The probability of rejecting ``H0: mean1 = mean2``.

    Raises
    ------
    ValueError
        Naming the parameter that is out of range.

    Examples
    --------
    >>> round(welch_power(diff=0.5, sd1=1.0, sd2=1.0, n1=64, n2=64), 4)
    0.8015
    >>> round(welch_power(diff=0.3, sd1=0.8, sd2=1.2, n1=40, n2=300, alternative="greater"), 4)
    0.6604

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different population variances
    are involved. *Biometrika*, 34(1-2), 28-35.

    Cohen, J. (1988). *Statistical power analysis for the behavioral sciences* (2nd ed.). Erlbaum.
    """
    d, s1, s2, a, alt = _check_welch(diff, sd1, sd2, alpha, alternative)
    m1 = _check_int("n1", n1, 2)
    m2 = _check_int("n2", n2, 2)
    return _welch(d, s1, s2, m1, m2, a, alt)


def welch_sample_size(
    *,
    diff: float,
    sd1: float,
    sd2: float,
    power: float = 0.8,
    ratio: float = 1.0,
    n2: int | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> int:
    """Smallest first-group size ``n1`` at which Welch's t test reaches `power` (see :func:`welch_power`).

    The second group either grows with the first, ``n2 = ceil(ratio * n1)`` (at least 2), or has a fixed size
    `n2` (a place surveyed again against the other places as they are). Power increases with ``n1``; the
    smallest ``n1 >= 2`` is found by doubling and then bisection on the integers.

    Parameters
    ----------
    diff, sd1, sd2, alpha, alternative
        As in :func:`welch_power`.
    power : float, default 0.8
        Target power, in (0, 1).
    ratio : float, default 1.0
        ``n2 / n1`` when `n2` is not given (> 0).
    n2 : int, optional
        Fixed size of the second group (>= 2); `ratio` is then not used.

    Returns
    -------
    int
        The smallest ``n1``.

    Raises
    ------
    ValueError
        Naming the parameter: out of range; `diff` zero or of the sign `alternative` cannot detect; or a
        target that is not reached (with `n2` fixed, power is bounded as ``n1`` grows).

    Examples
    --------
    >>> welch_sample_size(diff=0.5, sd1=1.0, sd2=1.0)
    64
    >>> welch_sample_size(diff=0.5, sd1=1.0, sd2=1.5, n2=200, alternative="greater")
    36

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different population variances
    are involved. *Biometrika*, 34(1-2), 28-35.
    """
    d, s1, s2, a, alt = _check_welch(diff, sd1, sd2, alpha, alternative)
    target = _check_real("power", power, low=0.0, high=1.0)
    if d == 0 or (alt == "greater" and d < 0) or (alt == "less" and d > 0):
        raise ValueError(f"diff: {d:g} cannot be detected by the {alt!r} test; give the direction of the difference")
    if n2 is None:
        r = _check_real("ratio", ratio, low=0.0)

        def size2(m: int) -> int:
            return max(2, math.ceil(r * m - 1e-9))
    else:
        fixed = _check_int("n2", n2, 2)

        def size2(m: int) -> int:
            return fixed

    return _smallest_n(
        lambda m: _welch(d, s1, s2, m, size2(m), a, alt), target, 2, "power", "increase n2 or diff, or lower power"
    )
