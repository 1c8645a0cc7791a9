"""Each place against the others by multiple imputation: notebook 05's Welch comparisons pooled by Rubin's rules.

Notebook 04 imputes each case's construct scores once (:mod:`emstudy.steps.drivers_imputed`, where the notes
say what is imputed and why) and writes the count, mean and SD of every construct in every imputed set
(``imputed_means.csv``). Set ``j`` of the study is set ``j`` of every case: the sets are drawn independently
per case, so stacking them gives a valid completed data set of all places. For place ``a`` and construct
``c``, in each set, the mean difference ``a - others`` and its Welch standard error come from these moments
(the others' mean and variance are those of all their respondents pooled, computed from the per-case counts,
means and SDs exactly); Rubin's rules pool them (:func:`emstudy.stats.imputation.pool`) with the
Barnard-Rubin df, whose complete-data df is Welch's df (its mean over the sets). The p values are
Holm-adjusted within each place, as for the complete cases (:func:`emstudy.steps.compare.below_others`), and the
complete-case difference, adjusted p and verdict sit beside the pooled ones.

As ``mice::pool.scalar(Q, U, n = dfcom + 1, k = 1)`` over ``t.test(x[case == a], x[case != a])`` of each set
(checked in ``tests/reference/imputation_ordinal.R``).

References
----------
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.
Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple imputation. *Biometrika*,
86(4), 948-955.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.stats.imputation import pool
from emstudy.stats.multitest import holm
from emstudy.steps import files

__all__ = ["load_imputed_means", "pooled_below_others"]

_MOMENTS = ("imputation", "case", "construct", "n", "mean", "sd")


def load_imputed_means(results_dirs: Mapping[str, str | Path]) -> tuple[pd.DataFrame, list[str]]:
    """Read the per-set construct means notebook 04 wrote for each case.

    Parameters
    ----------
    results_dirs : mapping of case id to folder
        Where each case's ``imputed_means.csv`` is.

    Returns
    -------
    (pandas.DataFrame, list of str)
        ``imputation, case, construct, n, mean, sd`` of the cases that have imputed sets, and the cases that
        have none (their models were not fitted, or notebook 04 has not written the file).
    """
    parts, missing = [], []
    for case_id, folder in results_dirs.items():
        path = Path(folder) / files.IMPUTED_MEANS
        try:
            frame = pd.read_csv(path) if path.is_file() else pd.DataFrame()
        except pd.errors.EmptyDataError:  # an empty table (the case's models were not fitted)
            frame = pd.DataFrame()
        if frame.empty:
            missing.append(str(case_id))
        else:
            parts.append(frame.assign(case=str(case_id)))
    moments = pd.concat(parts, ignore_index=True)[list(_MOMENTS)] if parts else pd.DataFrame(columns=_MOMENTS)
    return moments, missing


def _welch(a: pd.DataFrame, others: pd.DataFrame) -> tuple[float, float, float]:
    """Difference, Welch SE and Welch df of ``a`` against the pooled respondents of ``others`` (one row per
    case: n, mean, sd)."""
    n_b = float(others["n"].sum())
    mean_b = float((others["n"] * others["mean"]).sum() / n_b)
    ss_b = float(((others["n"] - 1) * others["sd"] ** 2 + others["n"] * (others["mean"] - mean_b) ** 2).sum())
    n_a, mean_a, var_a = float(a["n"]), float(a["mean"]), float(a["sd"]) ** 2
    va, vb = var_a / n_a, ss_b / (n_b - 1) / n_b
    df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    return mean_a - mean_b, float(np.sqrt(va + vb)), float(df)


def pooled_below_others(
    moments: pd.DataFrame,
    *,
    constructs: Sequence[str],
    complete_case: pd.DataFrame | None = None,
    alpha: float = 0.05,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Each case against the others on each construct, over imputed sets, pooled by Rubin's rules.

    Parameters
    ----------
    moments : pandas.DataFrame
        ``imputation, case, construct, n, mean, sd``: every case in every imputation (:func:`load_imputed_means`).
    constructs : sequence of str
        The constructs compared (Holm's adjustment runs over them within each case).
    complete_case : pandas.DataFrame, optional
        :func:`emstudy.steps.compare.below_others` on the observed scores: its ``diff``, ``pvalue_holm`` and
        ``below`` are set beside the pooled ones as ``diff_cc``, ``pvalue_holm_cc``, ``below_cc``.
    alpha : float, default 0.05
        Level of the Holm-adjusted p values.
    conf_level : float, default 0.95
        Level of the pooled intervals.

    Returns
    -------
    pandas.DataFrame
        One row per case and construct: ``case, construct, m, diff`` (pooled case minus others),
        ``se, df`` (Barnard-Rubin), ``dfcom`` (mean Welch df), ``t, pvalue, ci_lower, ci_upper, fmi,
        pvalue_holm, below`` (``pvalue_holm < alpha`` and ``diff < 0``), then the complete-case columns.

    Raises
    ------
    ValueError
        If a case is missing from an imputation, fewer than two imputations are given, or `alpha` is not
        in (0, 1).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: expected a number in (0, 1), got {alpha!r}")
    moments = moments[moments["construct"].isin(list(constructs))]
    cases = list(dict.fromkeys(moments["case"].astype(str)))
    imps = sorted(moments["imputation"].unique())
    if len(imps) < 2:
        raise ValueError(f"moments: expected at least 2 imputations, got {len(imps)}")
    table = moments.assign(case=moments["case"].astype(str)).set_index(["construct", "imputation", "case"]).sort_index()
    if len(table) != len(constructs) * len(imps) * len(cases) or not table.index.is_unique:
        raise ValueError("moments: expected one row per construct, imputation and case (every case in every set)")
    out = []
    for a in cases:
        rows = []
        for c in constructs:
            per_set = [_welch(table.loc[(c, j, a)], table.loc[(c, j)].drop(index=a)) for j in imps]
            diff, se, df = (np.array(v) for v in zip(*per_set))
            res = pool(diff[:, None], (se**2)[:, None], dfcom=float(df.mean()), names=[c], conf_level=conf_level)
            r = res.table.iloc[0]
            rows.append(
                {
                    "case": a,
                    "construct": c,
                    "m": len(imps),
                    "diff": r["estimate"],
                    "se": r["se"],
                    "df": r["df"],
                    "dfcom": float(df.mean()),
                    "t": r["statistic"],
                    "pvalue": r["pvalue"],
                    "ci_lower": r["ci_lower"],
                    "ci_upper": r["ci_upper"],
                    "fmi": r["fmi"],
                }
            )
        block = pd.DataFrame(rows)
        block["pvalue_holm"] = holm(block["pvalue"].to_numpy())
        block["below"] = (block["pvalue_holm"] < alpha) & (block["diff"] < 0)
        out.append(block)
    result = pd.concat(out, ignore_index=True)
    if complete_case is not None:
        cc = complete_case[["case", "construct", "diff", "pvalue_holm", "below"]].rename(
            columns={"diff": "diff_cc", "pvalue_holm": "pvalue_holm_cc", "below": "below_cc"}
        )
        result = result.merge(cc.assign(case=cc["case"].astype(str)), on=["case", "construct"], how="left")
    return result
