"""Comparing groups on one variable: omnibus test, post-hoc pairs, effect sizes.

``compare_groups`` runs Welch's ANOVA + Games-Howell, classical ANOVA + Tukey HSD, or Kruskal-Wallis +
Dunn with Holm, with eta-, epsilon- and omega-squared (checked against R in ``tests/reference/models.R``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.stats._common import check_columns, format_pvalue, level_label, observed_levels, numeric_column
from emstudy.stats.distributions import studentized_range_ppf, studentized_range_sf
from emstudy.stats.multitest import holm

__all__ = ["GroupComparison", "compare_groups"]


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
        One row: ``test``, ``statistic``, ``df1``, ``df2`` (NaN for Kruskal-Wallis), ``p``.
    posthoc : pandas.DataFrame
        One row per pair ``"j-i"`` (i before j in level order, as R's ``TukeyHSD``): ``group1`` (i),
        ``group2`` (j), ``diff`` (mean_j - mean_i; mean rank difference for Dunn), ``se``, ``statistic``
        (studentized range q, or Dunn's z), ``df``, ``p`` (unadjusted; Dunn only), ``p_adj``,
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
        """Tidy post hoc table with the omnibus test and dv/group as columns."""
        om = self.omnibus.iloc[0]
        return self.posthoc.assign(
            dv=self.dv, grouping=self.group, method=self.method, omnibus_statistic=om["statistic"], omnibus_p=om["p"]
        )

    def summary(self) -> str:
        """Readable text summary."""
        om = self.omnibus.iloc[0]
        df = f"{om['df1']:.0f}" if np.isnan(om["df2"]) else f"{om['df1']:.0f}, {om['df2']:.2f}"
        return "\n".join(
            [
                f"{om['test']} of {self.dv!r} by {self.group!r}: statistic({df}) = {om['statistic']:.3f}, "
                f"p = {format_pvalue(om['p'])}; n = {self.n} ({self.n_missing} missing dv, "
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
            f"statistic={om['statistic']:.4f}, p={om['p']:.4g}, n={self.n})"
        )


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
    if method not in ("welch", "anova", "kruskal"):
        raise ValueError(f"method: expected 'welch', 'anova' or 'kruskal', got {method!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number in (0, 1), got {conf_level!r}")
    if dv == group:
        raise ValueError(f"dv and group must be different columns, got {dv!r} twice")
    check_columns(data, [dv, group], role="compare_groups")
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
    sst = ssb + ssw
    msw = ssw / (N - k)
    ranks = stats.rankdata(allv)
    bounds = np.cumsum(np.concatenate([[0], n_i])).astype(int)
    rbar = np.array([ranks[bounds[i] : bounds[i + 1]].mean() for i in range(k)])
    descriptives = pd.DataFrame(
        {
            "n": n_i.astype(int),
            "mean": m_i,
            "sd": np.sqrt(v_i),
            "median": [np.median(s) for s in samples],
            "mean_rank": rbar,
        },
        index=pd.Index(levels, name=group),
    )
    pairs = list(itertools.combinations(range(k), 2))
    rows = []
    if method == "welch":
        zero = [lev for lev, v in zip(levels, v_i) if v == 0]
        if zero:
            raise ValueError(f"group(s) {zero} of {group!r}: {dv!r} has zero variance; Welch's test needs variance")
        w = n_i / v_i
        W = w.sum()
        mw = (w * m_i).sum() / W
        tmp = (((1 - w / W) ** 2) / (n_i - 1)).sum()
        stat = ((w * (m_i - mw) ** 2).sum() / (k - 1)) / (1 + 2 * (k - 2) / (k**2 - 1) * tmp)
        df1, df2 = float(k - 1), float((k**2 - 1) / (3 * tmp))
        omnibus = ("Welch's ANOVA", stat, df1, df2, float(stats.f.sf(stat, df1, df2)))
        for i, j in pairs:
            a, b = v_i[i] / n_i[i], v_i[j] / n_i[j]
            se = np.sqrt((a + b) / 2)
            df = (a + b) ** 2 / (a**2 / (n_i[i] - 1) + b**2 / (n_i[j] - 1))
            rows.append(_range_pair(levels, i, j, m_i[j] - m_i[i], se, df, k, conf_level))
    elif method == "anova":
        stat = (ssb / (k - 1)) / msw
        df1, df2 = float(k - 1), float(N - k)
        omnibus = ("One-way ANOVA", stat, df1, df2, float(stats.f.sf(stat, df1, df2)))
        for i, j in pairs:
            se = np.sqrt(msw / 2 * (1 / n_i[i] + 1 / n_i[j]))
            rows.append(_range_pair(levels, i, j, m_i[j] - m_i[i], se, float(N - k), k, conf_level))
    else:
        H, p = stats.kruskal(*samples)
        omnibus = ("Kruskal-Wallis", float(H), float(k - 1), float("nan"), float(p))
        _, t = np.unique(allv, return_counts=True)
        tie = (t**3 - t).sum() / (12 * (N - 1))
        for i, j in pairs:
            se = np.sqrt((N * (N + 1) / 12 - tie) * (1 / n_i[i] + 1 / n_i[j]))
            z = (rbar[j] - rbar[i]) / se
            rows.append(
                {
                    "pair": f"{level_label(levels[j])}-{level_label(levels[i])}",
                    "group1": levels[i],
                    "group2": levels[j],
                    "diff": rbar[j] - rbar[i],
                    "se": se,
                    "statistic": z,
                    "df": np.nan,
                    "p": 2 * stats.norm.sf(abs(z)),
                    "ci_lower": np.nan,
                    "ci_upper": np.nan,
                }
            )
    posthoc = pd.DataFrame(rows)
    if method == "kruskal":
        posthoc["p_adj"] = holm(posthoc["p"].to_numpy())
    posthoc = posthoc[["pair", "group1", "group2", "diff", "se", "statistic", "df", "p", "p_adj", "ci_lower", "ci_upper"]]
    eff = {
        "eta_squared": ssb / sst,
        "epsilon_squared": (ssb - (k - 1) * msw) / sst,
        "omega_squared": (ssb - (k - 1) * msw) / (sst + msw),
    }
    if method == "kruskal":
        eff["epsilon_squared_H"] = omnibus[1] / ((N**2 - 1) / (N + 1))
    effect_sizes = pd.DataFrame(
        {"measure": list(eff), "value": list(eff.values()), "definition": [_EFFECT_DEFINITIONS[m] for m in eff]}
    )
    return GroupComparison(
        dv=dv,
        group=group,
        method=method,
        omnibus=pd.DataFrame([dict(zip(["test", "statistic", "df1", "df2", "p"], omnibus))]),
        posthoc=posthoc,
        effect_sizes=effect_sizes,
        descriptives=descriptives,
        n=N,
        n_missing=n_missing,
        n_missing_group=n_missing_group,
    )


def _range_pair(levels: list, i: int, j: int, diff: float, se: float, df: float, k: int, conf: float) -> dict:
    q = abs(diff) / se
    crit = studentized_range_ppf(conf, k, df)
    return {
        "pair": f"{level_label(levels[j])}-{level_label(levels[i])}",
        "group1": levels[i],
        "group2": levels[j],
        "diff": diff,
        "se": se,
        "statistic": q,
        "df": df,
        "p": np.nan,
        "p_adj": studentized_range_sf(q, k, df),
        "ci_lower": diff - crit * se,
        "ci_upper": diff + crit * se,
    }
