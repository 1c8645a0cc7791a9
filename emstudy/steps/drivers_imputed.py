"""Notebook 04's observed-score models by multiple imputation, pooled by Rubin's rules, beside the complete cases.

:func:`imputed_models` makes one set of :data:`M_IMPUTATIONS` imputations per case and fits on it

* the OLS drivers model (:func:`emstudy.stats.imputation.pooled_drivers`, HC3 covariance pooled);
* the proportional-odds model of the overall rating (:func:`pooled_ordinal`: slopes and thresholds pooled,
  complete-data df ``n - (slopes + thresholds)`` as ``mice::pool`` takes ``df.residual`` of ``MASS::polr``);
* the construct means of every set (:func:`imputed_moments`, written to ``imputed_means.csv``), from which
  notebook 05 pools the comparison of each place with the others (:mod:`emstudy.steps.compare_imputed`).

What is imputed, and why
------------------------
The construct scores (core and outcome) and the overall rating, by chained equations with posterior draws,
role as complete dummies; respondents without a role are left out (role is not imputed). A score is missing
where a respondent answered fewer than 3 of its 4 items (1-5 % of respondents), so the fraction of missing
information is small and 10 sets give a relative efficiency above 0.995 (Rubin 1987, p. 114). Imputing the
48 item answers instead and recomputing the scores would use the answers of partly answered scales too, but
one chained-equations set over 48 items took 15-18 s on the study machine (measured on Wencheng, 325
respondents), i.e. two to three minutes per case for 10 sets, beyond the study's time budget; the score-level
sets cost 0.1-0.3 s each and are shared by the three analyses, so they agree with each other.

The overall rating is in the imputation model (an analysis's outcome must be, or its slopes are attenuated),
but the ordinal model is fitted on the respondents whose rating was observed: an imputed rating is a draw
from a normal model, not a category (von Hippel 2007 deletes imputed outcomes in the same way).

All draws come from the study seed through :class:`numpy.random.SeedSequence` children
(:func:`emstudy.stats.imputation.impute`): the same sets, and bytes, on every run.

References
----------
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.
von Hippel, P. T. (2007). Regression with missing Ys: An improved strategy for analyzing multiply imputed
data. *Sociological Methodology*, 37(1), 83-117.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.fileio import write_csv
from emstudy.stats.imputation import PooledDriversResult, PooledEstimates, pool, pooled_drivers
from emstudy.stats.regression import OrdinalResult, ordinal_drivers
from emstudy.steps import files

__all__ = [
    "M_IMPUTATIONS",
    "ImputedModels",
    "imputed_models",
    "pooled_ordinal",
    "imputed_moments",
    "imputation_sentences",
    "ordinal_imputation_sentences",
    "write_results",
]

#: Imputed data sets per case (see the module notes).
M_IMPUTATIONS = 10
_MOMENT_COLUMNS = ["imputation", "construct", "n", "mean", "sd"]


@dataclass(frozen=True, eq=False)
class ImputedModels:
    """What :func:`imputed_models` fits on one case's imputed sets.

    Attributes
    ----------
    drivers : emstudy.stats.imputation.PooledDriversResult
        The OLS drivers pooled, with the complete-case fit and the sets themselves (``imputations``).
    ordinal : emstudy.stats.imputation.PooledEstimates or None
        Slopes and thresholds of the ordinal model pooled (None without an ordinal outcome).
    ordinal_cc : emstudy.stats.regression.OrdinalResult or None
        The same ordinal model on the complete cases.
    ordinal_n : int
        Respondents in each set's ordinal fit (those whose ordinal outcome was observed).
    means : pandas.DataFrame
        ``imputation, construct, n, mean, sd`` of every set (:func:`imputed_moments`).
    """

    drivers: PooledDriversResult
    ordinal: PooledEstimates | None
    ordinal_cc: OrdinalResult | None
    ordinal_n: int
    means: pd.DataFrame

    def ordinal_table(self) -> pd.DataFrame:
        """Pooled slopes then thresholds (``kind, term``, Rubin's columns) with the complete-case ``estimate_cc``,
        ``se_cc`` and ``pvalue_cc`` beside them; empty when not fitted."""
        if self.ordinal is None or self.ordinal_cc is None:
            return pd.DataFrame()
        cc = self.ordinal_cc
        coef = cc.coefficients[["coef", "se", "pvalue"]]
        thr = cc.thresholds.rename(columns={"zeta": "coef"}).assign(pvalue=np.nan)[["coef", "se", "pvalue"]]
        beside = pd.concat([coef, thr]).rename(columns={"coef": "estimate_cc", "se": "se_cc", "pvalue": "pvalue_cc"})
        t = self.ordinal.table.join(beside)
        kind = np.where(t.index.isin(list(cc.coefficients.index)), "coefficient", "threshold")
        return t.reset_index().assign(kind=kind)[["kind", "term", *t.columns]]

    def summary_dict(self) -> dict:
        """JSON-ready summary (for ``drivers.json``)."""
        d = self.drivers
        return {
            "m": d.m,
            "seed": d.seed,
            "n": d.n,
            "n_missing": dict(d.n_missing),
            "cov_type": d.cov_type,
            "r2": [None if not np.isfinite(v) else round(float(v), 6) for v in d.r2],
            "ordinal_n": self.ordinal_n,
            "convention": "sklearn IterativeImputer(sample_posterior=True) sets of the construct scores and the "
            "overall rating; lm + HC3 and MASS::polr per set, pooled as mice::pool (Rubin's rules, "
            "Barnard-Rubin df); the ordinal model on the respondents whose rating was observed",
        }


def pooled_ordinal(
    sets: Sequence[pd.DataFrame],
    *,
    outcome: str,
    predictors: Sequence[str],
    link: str = "logit",
    conf_level: float = 0.95,
) -> PooledEstimates:
    """A proportional-odds model fitted on each completed set, slopes and thresholds pooled by Rubin's rules.

    Parameters
    ----------
    sets : sequence of pandas.DataFrame
        The completed data sets (at least two); rows whose `outcome` is missing are dropped from each fit.
    outcome, predictors, link
        As in :func:`emstudy.stats.regression.ordinal_drivers`.
    conf_level : float, default 0.95
        Level of the pooled intervals.

    Returns
    -------
    emstudy.stats.imputation.PooledEstimates
        One row per slope, then per threshold (``"1|2"``, ...), on ``MASS::polr``'s scale; complete-data df
        ``n - (slopes + thresholds)``, ``df.residual`` of polr, as ``mice::pool(as.mira(fits))`` takes it.

    Raises
    ------
    ValueError
        If fewer than two sets are given, or the sets disagree in their outcome levels or respondents.

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.

    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), sec. 5.2. CRC Press.
    """
    if len(sets) < 2:
        raise ValueError(f"sets: expected at least 2 completed data sets, got {len(sets)}")
    fits = [ordinal_drivers(s, outcome=outcome, predictors=list(predictors), link=link) for s in sets]
    first = fits[0]
    if any(f.levels != first.levels or f.n != first.n for f in fits):
        raise ValueError(f"sets: the ordinal fits differ in outcome levels or respondents; impute {outcome!r} alike")
    est = np.array([np.r_[f.coefficients["coef"].to_numpy(), f.thresholds["zeta"].to_numpy()] for f in fits])
    var = np.array([np.r_[f.coefficients["se"].to_numpy(), f.thresholds["se"].to_numpy()] ** 2 for f in fits])
    names = [*first.coefficients.index, *first.thresholds.index]
    return pool(est, var, n=first.n, k=len(names), names=names, conf_level=conf_level)


def imputed_moments(sets: Sequence[pd.DataFrame], columns: Sequence[str], *, by: str | None = None) -> pd.DataFrame:
    """Count, mean and SD (n - 1) of `columns` in every completed set, optionally within groups.

    Parameters
    ----------
    sets : sequence of pandas.DataFrame
        The completed data sets, numbered from 1 in the output.
    columns : sequence of str
        Numeric columns (missing values, if any, are skipped).
    by : str, optional
        A grouping column: one row per set, group and column.

    Returns
    -------
    pandas.DataFrame
        ``imputation, [by,] construct, n, mean, sd``.
    """
    rows = []
    for i, s in enumerate(sets, start=1):
        groups = [(None, s)] if by is None else list(s.groupby(by, sort=True, observed=True))
        for g, part in groups:
            for c in columns:
                x = part[c].dropna().to_numpy(dtype=float)
                row = {"imputation": i, "construct": c, "n": len(x), "mean": x.mean(), "sd": x.std(ddof=1)}
                rows.append(row if by is None else {by: g, **row})
    cols = _MOMENT_COLUMNS if by is None else ["imputation", by, *_MOMENT_COLUMNS[1:]]
    return pd.DataFrame(rows, columns=cols)


def imputed_models(
    frame: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    categorical: Sequence[str] = (),
    ordinal_outcome: str | None = None,
    seed: int,
    m: int = M_IMPUTATIONS,
    link: str = "logit",
) -> ImputedModels:
    """Impute once, then fit the OLS drivers, the ordinal model and the means on the same sets.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent: the scores, the categorical covariates (complete) and the ordinal outcome.
    outcome, predictors, categorical
        The OLS drivers model (:func:`emstudy.stats.imputation.pooled_drivers`; the categorical columns are
        also its covariates).
    ordinal_outcome : str, optional
        The ordinal model's outcome (regressed on `predictors`); it informs the imputations as an auxiliary
        column, and each set's fit keeps only the respondents who gave it (see the module notes).
    seed : int
        Seed of the imputations.
    m : int
        Imputed sets (:data:`M_IMPUTATIONS`).
    link : str, default "logit"
        Link of the ordinal model.

    Returns
    -------
    ImputedModels
    """
    aux = [] if ordinal_outcome is None else [ordinal_outcome]
    drv = pooled_drivers(
        frame,
        outcome=outcome,
        predictors=predictors,
        covariates=categorical,
        categorical=categorical,
        auxiliary=aux,
        m=m,
        seed=int(seed),
    )
    ordn = cc = None
    n_ord = 0
    if ordinal_outcome is not None:
        observed = [s.assign(**{ordinal_outcome: frame[ordinal_outcome]}) for s in drv.imputations]
        ordn = pooled_ordinal(observed, outcome=ordinal_outcome, predictors=predictors, link=link)
        cc = ordinal_drivers(frame, outcome=ordinal_outcome, predictors=list(predictors), link=link)
        n_ord = int(frame[ordinal_outcome].notna().sum())
    means = imputed_moments(drv.imputations, [*predictors, outcome])
    return ImputedModels(drivers=drv, ordinal=ordn, ordinal_cc=cc, ordinal_n=n_ord, means=means)


def imputation_sentences(imp: PooledDriversResult, codebook) -> dict[str, list[str]]:
    """One sentence (en and zh): the pooled drivers beside the complete-case ones.

    Parameters
    ----------
    imp : emstudy.stats.imputation.PooledDriversResult
    codebook : emstudy.survey.codebook.Codebook

    Returns
    -------
    dict
        ``{"en": [...], "zh": [...]}``.
    """
    sig, sig_cc, shift, big, names = _pooled_beside_complete(imp.to_frame(complete_case=True), codebook)
    cc = imp.complete_case
    en = (
        f"By multiple imputation (m = {imp.m} sets, seeded; Rubin's rules with Barnard-Rubin df) all {imp.n} "
        f"respondents enter the drivers model instead of {cc.n} complete ones; constructs significant at .05: "
        f"{len(sig)} pooled ({names['en']}), {len(sig_cc)} on the complete cases; the largest change of a "
        f"coefficient is {shift.max():.3f} ({codebook.label(big, 'en')})."
    )
    zh = (
        f"采用多重插补（{imp.m}个插补数据集，固定随机种子；按Rubin规则合并，Barnard-Rubin自由度），全部{imp.n}名受访者"
        f"进入驱动因素模型（完整个案仅{cc.n}名）：{len(sig)}个构念在0.05水平上显著（{names['zh']}），完整个案分析为"
        f"{len(sig_cc)}个；系数变化最大为{shift.max():.3f}（{codebook.label(big, 'zh')}）。"
    )
    return {"en": [en], "zh": [zh]}


def ordinal_imputation_sentences(models: ImputedModels, codebook) -> dict[str, list[str]]:
    """One sentence (en and zh): the pooled ordinal slopes beside the complete-case ones (none when not fitted).

    Parameters
    ----------
    models : ImputedModels
    codebook : emstudy.survey.codebook.Codebook

    Returns
    -------
    dict
        ``{"en": [...], "zh": [...]}``.
    """
    table = models.ordinal_table()
    if table.empty:
        return {"en": [], "zh": []}
    sig, sig_cc, shift, big, names = _pooled_beside_complete(table, codebook)
    cc = models.ordinal_cc
    en = (
        f"The ordinal model of the overall rating on the same imputed sets uses {models.ordinal_n} respondents "
        f"instead of {cc.n}; slopes significant at .05: {len(sig)} pooled ({names['en']}), {len(sig_cc)} on the "
        f"complete cases; the largest change of a slope is {shift.max():.3f} ({codebook.label(big, 'en')})."
    )
    zh = (
        f"在同一组插补数据集上拟合总体评价的有序logit模型，纳入{models.ordinal_n}名受访者（完整个案{cc.n}名）："
        f"{len(sig)}个斜率在0.05水平上显著（{names['zh']}），完整个案分析为{len(sig_cc)}个；"
        f"斜率变化最大为{shift.max():.3f}（{codebook.label(big, 'zh')}）。"
    )
    return {"en": [en], "zh": [zh]}


def _pooled_beside_complete(table: pd.DataFrame, codebook) -> tuple:
    """The constructs significant at .05 pooled and on the complete cases, the absolute change of each
    coefficient, the construct that changes most and the pooled significant ones' names (en, zh)."""
    t = table.set_index("term").loc[codebook.construct_ids]
    sig = [c for c in t.index if t.loc[c, "pvalue"] < 0.05]
    sig_cc = [c for c in t.index if t.loc[c, "pvalue_cc"] < 0.05]
    shift = (t["estimate"] - t["estimate_cc"]).abs()
    names = {lang: ", ".join(codebook.label(c, lang) for c in sig) or "none" for lang in ("en", "zh")}
    names["zh"] = names["zh"].replace(", ", "、").replace("none", "无")
    return sig, sig_cc, shift, shift.idxmax(), names


def write_results(models: ImputedModels | None, results_dir: str | Path) -> list[Path]:
    """Write ``drivers_imputed.csv``, ``ordinal_drivers_imputed.csv`` and ``imputed_means.csv`` (empty tables
    when the models were not fitted) into `results_dir`.

    Returns
    -------
    list of Path
    """
    d = Path(results_dir)
    if models is None:
        drv = ordn = pd.DataFrame()
        means = pd.DataFrame(columns=_MOMENT_COLUMNS)
    else:
        drv, ordn, means = models.drivers.to_frame(complete_case=True), models.ordinal_table(), models.means
    return [
        write_csv(d / files.DRIVERS_IMPUTED, drv, index=False),
        write_csv(d / files.ORDINAL_DRIVERS_IMPUTED, ordn, index=False),
        write_csv(d / files.IMPUTED_MEANS, means, index=False),
    ]
