"""Comparing groups on one variable: omnibus test, post-hoc pairs, effect sizes.

``compare_groups`` runs Welch's ANOVA + Games-Howell, classical ANOVA + Tukey HSD, or Kruskal-Wallis +
Dunn with Holm, with eta-, epsilon- and omega-squared (checked against R in ``tests/reference/models.R``).
The post hoc procedures are also public on their own, with one signature ``(data, dv, group, *, option)``
and one tidy table of pairs: :func:`games_howell`, :func:`tukey_hsd` and :func:`dunn`. The omnibus tests
(``_welch_anova``, ``_oneway_anova``, ``_kruskal_wallis``) and the effect sizes are private helpers;
``compare_groups`` dispatches to one ``_fit_<method>`` per method.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.stats._common import check_columns, format_pvalue, level_label, numeric_column, observed_levels
from emstudy.stats.distributions import studentized_range_ppf, studentized_range_sf
from emstudy.stats.multitest import holm

__all__ = ["GroupComparison", "compare_groups", "games_howell", "tukey_hsd", "dunn", "WelchTest", "welch_test"]


# ----------------------------------------------------------------------------------------- two samples


class WelchTest(NamedTuple):
    """Welch's two-sample t test: ``diff = mean(a) - mean(b)``, ``t``, Welch-Satterthwaite ``df``, ``pvalue``."""

    diff: float
    t: float
    df: float
    pvalue: float


def welch_test(a: np.ndarray, b: np.ndarray, *, alternative: str = "two-sided") -> WelchTest:
    """Welch's t test of sample ``a`` against sample ``b`` (R ``t.test(a, b, var.equal = FALSE)``).

    Parameters
    ----------
    a, b : numpy.ndarray
        The two samples, without missing values, at least two values each.
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        ``"less"``: ``mean(a) < mean(b)``, as R's ``alternative = "less"``.

    Returns
    -------
    WelchTest
        A named tuple ``(diff, t, df, pvalue)``; cheap enough to call once per Monte Carlo replication.

    Examples
    --------
    >>> res = welch_test(np.array([1.0, 2.0, 1.5]), np.array([4.0, 5.0, 4.5, 4.2]))
    >>> round(res.t, 4), round(res.df, 3)
    (-8.0931, 4.046)

    References
    ----------
    Welch, B. L. (1947). The generalization of 'Student's' problem when several different population
    variances are involved. *Biometrika*, 34(1-2), 28-35.
    """
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(f"alternative: expected 'two-sided', 'less' or 'greater', got {alternative!r}")
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        raise ValueError(f"a, b: expected at least 2 values on each side, got {na} and {nb}")
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    if alternative == "two-sided":
        p = 2 * stats.t.sf(abs(t), df)
    else:
        p = stats.t.cdf(t, df) if alternative == "less" else stats.t.sf(t, df)
    return WelchTest(float(a.mean() - b.mean()), float(t), float(df), float(p))


# ----------------------------------------------------------------------------------------- groups

_EFFECT_DEFINITIONS = {
    "eta_squared": "SSB / SST (Pearson 1905; Kelley 1935)",
    "epsilon_squared": "(SSB - (k-1) MSW) / SST (Kelley 1935)",
    "omega_squared": "(SSB - (k-1) MSW) / (SST + MSW) (Hays 1963)",
    "epsilon_squared_H": "H / ((N^2 - 1) / (N + 1)), rank-based (Tomczak & Tomczak 2014)",
}


@dataclass(frozen=True, eq=False)
class GroupComparison:
    """Result of :func:`compare_groups`.

    Attributes
    ----------
    dv, group : str
        Dependent variable and grouping column.
    method : str
        ``"welch"``, ``"anova"`` or ``"kruskal"``.
    omnibus : pandas.DataFrame
        One row: ``test``, ``statistic``, ``df1``, ``df2`` (NaN for Kruskal-Wallis), ``pvalue``.
    posthoc : pandas.DataFrame
        One row per pair ``"j-i"`` (i before j in level order, as R's ``TukeyHSD``): ``group1`` (i),
        ``group2`` (j), ``diff`` (mean_j - mean_i; mean rank difference for Dunn), ``se``, ``statistic``
        (studentized range q, or Dunn's z), ``df``, ``pvalue`` (unadjusted; Dunn only), ``pvalue_adj``,
        ``ci_lower``, ``ci_upper`` (simultaneous 95%; not defined for Dunn).
    effect_sizes : pandas.DataFrame
        ``measure``, ``value``, ``definition``.
    descriptives : pandas.DataFrame
        Per group: ``n``, ``mean``, ``sd``, ``median``, ``mean_rank``.
    n : int
        Cases used.
    n_missing : int
        Cases dropped because the dv was missing.
    n_missing_group : int
        Cases dropped because the group was missing.
    """

    dv: str
    group: str
    method: str
    omnibus: pd.DataFrame
    posthoc: pd.DataFrame
    effect_sizes: pd.DataFrame
    descriptives: pd.DataFrame
    n: int
    n_missing: int
    n_missing_group: int

    def to_frame(self) -> pd.DataFrame:
        """Tidy post hoc table with the omnibus test (``omnibus_statistic``, ``omnibus_pvalue``) and dv/group
        as columns."""
        om = self.omnibus.iloc[0]
        return self.posthoc.assign(
            dv=self.dv,
            grouping=self.group,
            method=self.method,
            omnibus_statistic=om["statistic"],
            omnibus_pvalue=om["pvalue"],
        )

    def summary(self) -> str:
        """Readable text summary."""
        om = self.omnibus.iloc[0]
        df = f"{om['df1']:.0f}" if np.isnan(om["df2"]) else f"{om['df1']:.0f}, {om['df2']:.2f}"
        return "\n".join(
            [
                f"{om['test']} of {self.dv!r} by {self.group!r}: statistic({df}) = {om['statistic']:.3f}, "
                f"p = {format_pvalue(om['pvalue'])}; n = {self.n} ({self.n_missing} missing dv, "
                f"{self.n_missing_group} missing group)",
                self.descriptives.to_string(float_format=lambda v: f"{v:.3f}"),
                self.posthoc.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
                self.effect_sizes[["measure", "value"]].to_string(index=False, float_format=lambda v: f"{v:.4f}"),
            ]
        )

    def __repr__(self) -> str:
        om = self.omnibus.iloc[0]
        return (
            f"GroupComparison(dv={self.dv!r}, group={self.group!r}, method={self.method!r}, "
            f"statistic={om['statistic']:.4f}, p={om['pvalue']:.4g}, n={self.n})"
        )


# ------------------------------------------------------------------------------------- checks and data

_METHODS = ("welch", "anova", "kruskal")
_P_ADJUST = ("holm", "none")
_POSTHOC_COLUMNS = [
    "pair",
    "group1",
    "group2",
    "diff",
    "se",
    "statistic",
    "df",
    "pvalue",
    "pvalue_adj",
    "ci_lower",
    "ci_upper",
]


def _check_conf_level(conf_level: float) -> None:
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number in (0, 1), got {conf_level!r}")


def _check_args_compare(method: str, conf_level: float) -> None:
    if method not in _METHODS:
        raise ValueError(f"method: expected 'welch', 'anova' or 'kruskal', got {method!r}")
    _check_conf_level(conf_level)


@dataclass(frozen=True, eq=False)
class _Groups:
    """The complete cases split by group, with the sums of squares and mean ranks every method uses."""

    dv: str
    group: str
    levels: list
    samples: list
    n_missing: int
    n_missing_group: int
    n_i: np.ndarray
    m_i: np.ndarray
    v_i: np.ndarray
    N: int
    allv: np.ndarray
    ssb: float
    ssw: float
    msw: float
    rbar: np.ndarray

    @property
    def k(self) -> int:
        return len(self.levels)


def _prepare_groups(data: pd.DataFrame, dv: str, group: str, *, role: str) -> _Groups:
    """Check the columns, drop (and count) missing values, split by group and compute the shared sums."""
    if dv == group:
        raise ValueError(f"dv and group must be different columns, got {dv!r} twice")
    check_columns(data, [dv, group], role=role)
    y_all = numeric_column(data[dv], role="dv")
    miss_group = data[group].isna()
    n_missing_group = int(miss_group.sum())
    keep = ~miss_group
    n_missing = int((y_all.isna() & keep).sum())
    keep &= y_all.notna()
    y = y_all[keep]
    g = data.loc[keep, group]
    levels = observed_levels(data.loc[~miss_group, group])
    samples = [y[g == lev].to_numpy() for lev in levels]
    for lev, s in zip(levels, samples):
        if len(s) < 2:
            raise ValueError(
                f"group {lev!r} of {group!r}: expected at least 2 non-missing values of {dv!r}, got {len(s)}"
            )
    k = len(levels)
    if k < 2:
        raise ValueError(f"group {group!r}: expected at least 2 groups, got {levels}")
    n_i = np.array([len(s) for s in samples], dtype=float)
    m_i = np.array([s.mean() for s in samples])
    v_i = np.array([s.var(ddof=1) for s in samples])
    N = int(n_i.sum())
    allv = np.concatenate(samples)
    grand = allv.mean()
    ssb = float((n_i * (m_i - grand) ** 2).sum())
    ssw = float(((n_i - 1) * v_i).sum())
    ranks = stats.rankdata(allv)
    bounds = np.cumsum(np.concatenate([[0], n_i])).astype(int)
    rbar = np.array([ranks[bounds[i] : bounds[i + 1]].mean() for i in range(k)])
    return _Groups(
        dv, group, levels, samples, n_missing, n_missing_group, n_i, m_i, v_i, N, allv, ssb, ssw, ssw / (N - k), rbar
    )


def _check_variance(g: _Groups, test: str) -> None:
    zero = [lev for lev, v in zip(g.levels, g.v_i) if v == 0]
    if zero:
        raise ValueError(f"group(s) {zero} of {g.group!r}: {g.dv!r} has zero variance; {test} needs variance")


def _descriptives(g: _Groups) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "n": g.n_i.astype(int),
            "mean": g.m_i,
            "sd": np.sqrt(g.v_i),
            "median": [np.median(s) for s in g.samples],
            "mean_rank": g.rbar,
        },
        index=pd.Index(g.levels, name=g.group),
    )


# ------------------------------------------------------------------------------------- omnibus tests


def _welch_anova(g: _Groups) -> tuple:
    """Welch's (1951) heteroscedastic one-way ANOVA, as R ``oneway.test(var.equal = FALSE)``."""
    _check_variance(g, "Welch's test")
    k, n_i, m_i = g.k, g.n_i, g.m_i
    w = n_i / g.v_i
    W = w.sum()
    mw = (w * m_i).sum() / W
    tmp = (((1 - w / W) ** 2) / (n_i - 1)).sum()
    stat = ((w * (m_i - mw) ** 2).sum() / (k - 1)) / (1 + 2 * (k - 2) / (k**2 - 1) * tmp)
    df1, df2 = float(k - 1), float((k**2 - 1) / (3 * tmp))
    return ("Welch's ANOVA", stat, df1, df2, float(stats.f.sf(stat, df1, df2)))


def _oneway_anova(g: _Groups) -> tuple:
    """Classical one-way ANOVA, as R ``aov``."""
    stat = (g.ssb / (g.k - 1)) / g.msw
    df1, df2 = float(g.k - 1), float(g.N - g.k)
    return ("One-way ANOVA", stat, df1, df2, float(stats.f.sf(stat, df1, df2)))


def _kruskal_wallis(g: _Groups) -> tuple:
    """Kruskal-Wallis H with tie correction, as R ``kruskal.test``."""
    H, p = stats.kruskal(*g.samples)
    return ("Kruskal-Wallis", float(H), float(g.k - 1), float("nan"), float(p))


# ------------------------------------------------------------------------------------- post hoc pairs


def _pair_label(levels: list, i: int, j: int) -> str:
    return f"{level_label(levels[j])}-{level_label(levels[i])}"


def _range_pair(levels: list, i: int, j: int, diff: float, se: float, df: float, k: int, conf: float) -> dict:
    q = abs(diff) / se
    crit = studentized_range_ppf(conf, k, df)
    return {
        "pair": _pair_label(levels, i, j),
        "group1": levels[i],
        "group2": levels[j],
        "diff": diff,
        "se": se,
        "statistic": q,
        "df": df,
        "pvalue": np.nan,
        "pvalue_adj": studentized_range_sf(q, k, df),
        "ci_lower": diff - crit * se,
        "ci_upper": diff + crit * se,
    }


def _games_howell_pairs(g: _Groups, conf_level: float) -> pd.DataFrame:
    n_i, m_i, v_i = g.n_i, g.m_i, g.v_i
    rows = []
    for i, j in itertools.combinations(range(g.k), 2):
        a, b = v_i[i] / n_i[i], v_i[j] / n_i[j]
        se = np.sqrt((a + b) / 2)
        df = (a + b) ** 2 / (a**2 / (n_i[i] - 1) + b**2 / (n_i[j] - 1))
        rows.append(_range_pair(g.levels, i, j, m_i[j] - m_i[i], se, df, g.k, conf_level))
    return pd.DataFrame(rows)[_POSTHOC_COLUMNS]


def _tukey_pairs(g: _Groups, conf_level: float) -> pd.DataFrame:
    n_i, m_i = g.n_i, g.m_i
    rows = []
    for i, j in itertools.combinations(range(g.k), 2):
        se = np.sqrt(g.msw / 2 * (1 / n_i[i] + 1 / n_i[j]))
        rows.append(_range_pair(g.levels, i, j, m_i[j] - m_i[i], se, float(g.N - g.k), g.k, conf_level))
    return pd.DataFrame(rows)[_POSTHOC_COLUMNS]


def _dunn_pairs(g: _Groups, p_adjust: str) -> pd.DataFrame:
    N, n_i, rbar = g.N, g.n_i, g.rbar
    _, t = np.unique(g.allv, return_counts=True)
    tie = (t**3 - t).sum() / (12 * (N - 1))
    rows = []
    for i, j in itertools.combinations(range(g.k), 2):
        se = np.sqrt((N * (N + 1) / 12 - tie) * (1 / n_i[i] + 1 / n_i[j]))
        z = (rbar[j] - rbar[i]) / se
        rows.append(
            {
                "pair": _pair_label(g.levels, i, j),
                "group1": g.levels[i],
                "group2": g.levels[j],
                "diff": rbar[j] - rbar[i],
                "se": se,
                "statistic": z,
                "df": np.nan,
                "pvalue": 2 * stats.norm.sf(abs(z)),
                "ci_lower": np.nan,
                "ci_upper": np.nan,
            }
        )
    pairs = pd.DataFrame(rows)
    pvalue = pairs["pvalue"].to_numpy()
    pairs["pvalue_adj"] = holm(pvalue) if p_adjust == "holm" else pvalue
    return pairs[_POSTHOC_COLUMNS]


def games_howell(data: pd.DataFrame, dv: str, group: str, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Games-Howell (1976) pairwise comparisons: unequal variances and unequal n.

    Parameters
    ----------
    data : pandas.DataFrame
    dv : str
        Numeric dependent variable; missing values are dropped.
    group : str
        Grouping column; rows with a missing group are dropped. Levels are ordered as categories (if
        categorical) or sorted.
    conf_level : float, default 0.95
        Level of the simultaneous intervals.

    Returns
    -------
    pandas.DataFrame
        One row per pair ``"j-i"`` (i before j in level order): ``pair``, ``group1`` (i), ``group2`` (j),
        ``diff`` (mean_j - mean_i), ``se`` = sqrt((v_i/n_i + v_j/n_j)/2), ``statistic`` (studentized range
        q = |diff|/se), ``df`` (Welch-Satterthwaite), ``pvalue`` (NaN), ``pvalue_adj`` (studentized range
        tail probability with k groups), ``ci_lower``, ``ci_upper`` (diff -/+ q_crit * se). The same table
        as ``compare_groups(..., method="welch").posthoc``.

    Raises
    ------
    ValueError
        If a column is absent or not numeric, a group has fewer than two values or zero variance, or
        fewer than two groups remain.

    Examples
    --------
    >>> df = pd.DataFrame({"g": list("aaabbbccc"), "y": [1, 2, 3, 2, 3, 4, 5, 6, 7.5]})
    >>> games_howell(df, "y", "g").pair.tolist()
    ['b-a', 'c-a', 'c-b']

    References
    ----------
    Games, P. A., & Howell, J. F. (1976). Pairwise multiple comparison procedures with unequal n's and/or
    variances. *Journal of Educational Statistics*, 1(2), 113-125.
    """
    _check_conf_level(conf_level)
    g = _prepare_groups(data, dv, group, role="games_howell")
    _check_variance(g, "Games-Howell")
    return _games_howell_pairs(g, conf_level)


def tukey_hsd(data: pd.DataFrame, dv: str, group: str, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Tukey's HSD pairwise comparisons (Tukey-Kramer for unequal n), as R ``TukeyHSD(aov(...))``.

    Parameters
    ----------
    data : pandas.DataFrame
    dv : str
        Numeric dependent variable; missing values are dropped.
    group : str
        Grouping column; rows with a missing group are dropped.
    conf_level : float, default 0.95
        Level of the simultaneous intervals.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`games_howell`, with ``se = sqrt(MSW/2 (1/n_i + 1/n_j))`` and ``df = N - k``.
        The same table as ``compare_groups(..., method="anova").posthoc``.

    Examples
    --------
    >>> df = pd.DataFrame({"g": list("aaabbbccc"), "y": [1, 2, 3, 2, 3, 4, 5, 6, 7.5]})
    >>> tukey_hsd(df, "y", "g").df.tolist()
    [6.0, 6.0, 6.0]

    References
    ----------
    Tukey, J. W. (1953). *The problem of multiple comparisons*. Princeton University (unpublished); Kramer,
    C. Y. (1956). *Biometrics*, 12, 307-310.
    """
    _check_conf_level(conf_level)
    return _tukey_pairs(_prepare_groups(data, dv, group, role="tukey_hsd"), conf_level)


def dunn(data: pd.DataFrame, dv: str, group: str, *, p_adjust: Literal["holm", "none"] = "holm") -> pd.DataFrame:
    """Dunn's (1964) z tests on mean ranks, with tie correction and Holm's adjustment.

    Parameters
    ----------
    data : pandas.DataFrame
    dv : str
        Numeric dependent variable; missing values are dropped.
    group : str
        Grouping column; rows with a missing group are dropped.
    p_adjust : {"holm", "none"}, default "holm"
        Adjustment of ``pvalue_adj`` across the pairs (:func:`emstudy.stats.multitest.holm`), or none.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`games_howell`: ``diff`` = mean rank difference, ``se`` =
        sqrt((N(N+1)/12 - sum(t^3 - t)/(12(N-1))) (1/n_i + 1/n_j)), ``statistic`` = z, ``pvalue`` =
        2 P(Z > |z|), ``pvalue_adj``; ``df`` and the intervals are NaN. The same table as
        ``compare_groups(..., method="kruskal").posthoc``.

    Examples
    --------
    >>> df = pd.DataFrame({"g": list("aaabbbccc"), "y": [1, 2, 3, 2, 3, 4, 5, 6, 7.5]})
    >>> bool((dunn(df, "y", "g").pvalue_adj >= dunn(df, "y", "g", p_adjust="none").pvalue).all())
    True

    References
    ----------
    Dunn, O. J. (1964). Multiple comparisons using rank sums. *Technometrics*, 6(3), 241-252.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Statist.*, 6, 65-70.
    """
    if p_adjust not in _P_ADJUST:
        raise ValueError(f"p_adjust: expected 'holm' or 'none', got {p_adjust!r}")
    return _dunn_pairs(_prepare_groups(data, dv, group, role="dunn"), p_adjust)


# ------------------------------------------------------------------------------------- effect sizes


def _effect_sizes(g: _Groups, H: float | None = None) -> pd.DataFrame:
    """eta², epsilon², omega² from the one-way sums of squares; epsilon²_H from Kruskal-Wallis' H."""
    k, ssb, msw = g.k, g.ssb, g.msw
    sst = ssb + g.ssw
    eff = {
        "eta_squared": ssb / sst,
        "epsilon_squared": (ssb - (k - 1) * msw) / sst,
        "omega_squared": (ssb - (k - 1) * msw) / (sst + msw),
    }
    if H is not None:
        eff["epsilon_squared_H"] = H / ((g.N**2 - 1) / (g.N + 1))
    return pd.DataFrame(
        {"measure": list(eff), "value": list(eff.values()), "definition": [_EFFECT_DEFINITIONS[m] for m in eff]}
    )


# ------------------------------------------------------------------------------------- compare_groups


def _fit_welch(g: _Groups, conf_level: float) -> tuple[tuple, pd.DataFrame, pd.DataFrame]:
    omnibus = _welch_anova(g)
    return omnibus, _games_howell_pairs(g, conf_level), _effect_sizes(g)


def _fit_anova(g: _Groups, conf_level: float) -> tuple[tuple, pd.DataFrame, pd.DataFrame]:
    return _oneway_anova(g), _tukey_pairs(g, conf_level), _effect_sizes(g)


def _fit_kruskal(g: _Groups, conf_level: float) -> tuple[tuple, pd.DataFrame, pd.DataFrame]:
    omnibus = _kruskal_wallis(g)
    return omnibus, _dunn_pairs(g, "holm"), _effect_sizes(g, H=omnibus[1])


_FIT = {"welch": _fit_welch, "anova": _fit_anova, "kruskal": _fit_kruskal}


def compare_groups(
    data: pd.DataFrame,
    dv: str,
    group: str,
    *,
    method: Literal["welch", "anova", "kruskal"] = "welch",
    conf_level: float = 0.95,
) -> GroupComparison:
    """Compare a numeric variable across groups: omnibus test, post hoc pairs and effect sizes.

    Parameters
    ----------
    data : pandas.DataFrame
    dv : str
        Numeric dependent variable; missing values are dropped and counted (``n_missing``).
    group : str
        Grouping column; rows with a missing group are dropped and counted (``n_missing_group``).
        Levels are ordered as categories (if categorical) or sorted.
    method : {"welch", "anova", "kruskal"}, default "welch"
        ``"welch"``: Welch's (1951) heteroscedastic ANOVA (R ``oneway.test(var.equal = FALSE)``) and
        Games-Howell (1976) pairs (studentized range with Welch-Satterthwaite df).
        ``"anova"``: one-way ANOVA (R ``aov``) and Tukey HSD (R ``TukeyHSD``; Tukey-Kramer for unequal n).
        ``"kruskal"``: Kruskal-Wallis with tie correction (R ``kruskal.test``) and Dunn's (1964) z tests
        on mean ranks with tie correction, Holm-adjusted (Holm 1979).
    conf_level : float, default 0.95
        Level of the simultaneous intervals of Tukey and Games-Howell.

    Returns
    -------
    GroupComparison
        Post hoc pairs as :func:`games_howell`, :func:`tukey_hsd` or :func:`dunn` (Holm) return them.
        Effect sizes (always from the one-way sums of squares, with k groups and N cases):
        eta² = SSB/SST; epsilon² = (SSB - (k-1)MSW)/SST (Kelley 1935); omega² = (SSB - (k-1)MSW)/
        (SST + MSW) (Hays 1963); for ``"kruskal"`` also epsilon²_H = H/((N²-1)/(N+1)) (Tomczak &
        Tomczak 2014).

    Raises
    ------
    ValueError
        If a group has fewer than two observations (the group is named), fewer than two groups remain,
        the dv is not numeric, or (Welch) a group has zero variance.

    Examples
    --------
    >>> df = pd.DataFrame({"g": list("aaabbbccc"), "y": [1, 2, 3, 2, 3, 4, 5, 6, 7.5]})
    >>> res = compare_groups(df, "y", "g", method="anova")
    >>> list(res.posthoc.pair)
    ['b-a', 'c-a', 'c-b']

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values: an alternative approach.
    *Biometrika*, 38, 330-336.
    Games, P. A., & Howell, J. F. (1976). Pairwise multiple comparison procedures with unequal n's and/or
    variances. *Journal of Educational Statistics*, 1(2), 113-125.
    Tukey, J. W. (1953). *The problem of multiple comparisons*. Princeton University (unpublished); Kramer,
    C. Y. (1956). *Biometrics*, 12, 307-310.
    Kruskal, W. H., & Wallis, W. A. (1952). *JASA*, 47, 583-621.
    Dunn, O. J. (1964). Multiple comparisons using rank sums. *Technometrics*, 6(3), 241-252.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Statist.*, 6, 65-70.
    Kelley, T. L. (1935). An unbiased correlation ratio measure. *PNAS*, 21(9), 554-559.
    Hays, W. L. (1963). *Statistics for psychologists*. Holt, Rinehart & Winston.
    Tomczak, M., & Tomczak, E. (2014). The need to report effect size estimates revisited. *Trends in
    Sport Sciences*, 21(1), 19-25.
    """
    _check_args_compare(method, conf_level)
    g = _prepare_groups(data, dv, group, role="compare_groups")
    omnibus, posthoc, effect_sizes = _FIT[method](g, conf_level)
    return GroupComparison(
        dv=dv,
        group=group,
        method=method,
        omnibus=pd.DataFrame([dict(zip(["test", "statistic", "df1", "df2", "pvalue"], omnibus))]),
        posthoc=posthoc,
        effect_sizes=effect_sizes,
        descriptives=_descriptives(g),
        n=g.N,
        n_missing=g.n_missing,
        n_missing_group=g.n_missing_group,
    )
