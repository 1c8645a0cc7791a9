"""Comparison of nested CFA models and measurement invariance across groups.

:func:`chisq_difference` is the likelihood-ratio (chi-square difference) test of nested ML fits,
as lavaan's ``lavTestLRT``; :func:`invariance` fits the configural, metric and scalar models
(and, if needed, searches a partial scalar model) and judges each level by the change in CFI and
RMSEA beside that test.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.errors import EmstudyWarning
from emstudy.stats._common import single_thread_blas
from emstudy.stats.cfa._data import _check_estimator_for_items, _ordinal_options
from emstudy.stats.cfa.estimate import CFAResult, cfa
from emstudy.stats.cfa.fit import FitMeasures
from emstudy.stats.cfa.invariance_ordinal import (
    _chisq_difference_ordered,
    _invariance_ordered,
    _no_constraint,
    _warn_same_df,
)
from emstudy.stats.cfa.syntax import MeasurementModel, parse_model

__all__ = ["chisq_difference", "InvarianceResult", "invariance"]


def _lrt_pvalue(chisq_diff: float, df_diff: float) -> float:
    """p-value of a chi-square difference on ``df_diff`` degrees of freedom (NaN unless df_diff > 0)."""
    return float(stats.chi2.sf(chisq_diff, df_diff)) if df_diff > 0 else np.nan


def chisq_difference(*fits: CFAResult, names: Sequence[str] | None = None, method: str = "default") -> pd.DataFrame:
    """Chi-square difference (likelihood-ratio) tests between nested fits, as lavaan's ``lavTestLRT``.

    Models are sorted by degrees of freedom (as lavaan's ``lavTestLRT``) and each is compared
    with the one before it.

    Parameters
    ----------
    *fits : CFAResult
        Two or more nested models fitted to the same data with the same estimator.
    names : sequence of str, optional
        Row labels; default ``model1, model2, ...`` in the order given.
    method : {"default", "standard", "satorra.bentler.2001"}
        ``"standard"``: the difference of the ML chi-squares. ``"satorra.bentler.2001"`` (MLR fits
        only): the scaled difference test of Satorra & Bentler (2001),
        ``(T0 - T1) / cd`` with ``cd = (df0 c0 - df1 c1) / (df0 - df1)`` from the ML chi-squares
        ``T`` and the scaling factors ``c`` of the two models. ``"default"`` is the latter for MLR
        fits and the former for ML fits, as lavaan's ``lavTestLRT``. Ordered-item fits
        (``sem(..., ordered=...)``): ``"satorra.2000"``, lavaan's default for WLSMV and ULSMV (its
        ``A.method = "delta"``, ``scaled.shifted = TRUE``; :mod:`emstudy.stats.cfa.wls_groups`), or
        ``"standard"``, the default for DWLS and ULS.

    Returns
    -------
    pandas.DataFrame
        Columns ``df, aic, bic, chisq, chisq_diff, df_diff, pvalue_diff`` (NaN in the first
        row), as ``lavTestLRT`` prints them: ``chisq`` is the ML (unscaled) statistic of each
        model also for MLR, ``chisq_diff`` the (scaled) difference statistic. With MLR the
        columns ``chisq_scaled`` and ``chisq_scaling_factor`` of the models follow ``chisq``.

    Warns
    -----
    ModelWarning
        When a model has the degrees of freedom of the one before it (as lavaan's "some models have the same
        degrees of freedom"): there is no test between them and ``pvalue_diff`` is NaN.

    Examples
    --------
    >>> chisq_difference(configural, metric, names=["configural", "metric"])  # doctest: +SKIP

    References
    ----------
    Bollen, K. A. (1989). Structural Equations with Latent Variables. Wiley, pp. 291-292.
    Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic for moment
    structure analysis. Psychometrika, 66, 507-514.
    """
    if len(fits) < 2:
        raise ValueError("fits: need at least two fitted models")
    for f in fits:
        if not isinstance(f, CFAResult):
            raise ValueError(f"fits: expected CFAResult objects, got {type(f).__name__}")
    if any(f.wls_state is not None for f in fits):  # ordered items (sem(..., ordered=...)): lavaan's satorra.2000
        return _chisq_difference_ordered(fits, names, method)
    scaled = _difference_method(fits, method)
    if names is None:
        names = [f"model{i + 1}" for i in range(len(fits))]
    if len(names) != len(fits):
        raise ValueError("names: need one name per model")
    if len({sum(f.n_obs) for f in fits}) != 1:
        raise ValueError("fits: the models were fitted to different numbers of observations")
    order = sorted(range(len(fits)), key=lambda i: fits[i].fit.df)
    rows = []
    prev = None
    for i in order:
        f = fits[i].fit
        row = {
            "model": names[i],
            "df": f.df,
            "aic": f.aic,
            "bic": f.bic,
            "chisq": f.chisq,
            **({"chisq_scaled": f.chisq_scaled, "chisq_scaling_factor": f.chisq_scaling_factor} if scaled else {}),
            "chisq_diff": np.nan,
            "df_diff": np.nan,
            "pvalue_diff": np.nan,
        }
        if prev is not None:
            dchi, ddf = _difference(f, prev, scaled=scaled)
            row["chisq_diff"] = dchi
            row["df_diff"] = ddf
            row["pvalue_diff"] = _lrt_pvalue(dchi, ddf)
        rows.append(row)
        prev = f
    table = pd.DataFrame(rows).set_index("model")
    _warn_same_df(table, stacklevel=2)
    return table


def _difference_method(fits: Sequence[CFAResult], method: str) -> bool:
    """Check ``method`` of :func:`chisq_difference` against the fits; True for the scaled test."""
    if method not in ("default", "standard", "satorra.bentler.2001"):
        raise ValueError(f"method: expected 'default', 'standard' or 'satorra.bentler.2001', got {method!r}")
    estimators = {f.estimator for f in fits}
    if len(estimators) > 1:
        raise ValueError(f"fits: fitted with different estimators ({sorted(estimators)}); refit them alike")
    if method == "satorra.bentler.2001" and estimators != {"MLR"}:
        raise ValueError("method: 'satorra.bentler.2001' needs MLR fits (a scaling factor per model)")
    return method == "satorra.bentler.2001" or (method == "default" and estimators == {"MLR"})


def _difference(f: FitMeasures, base: FitMeasures, *, scaled: bool) -> tuple[float, int]:
    """Chi-square difference of the more restricted fit ``f`` against ``base`` and its df: the ML
    difference, or the Satorra-Bentler (2001) scaled difference (NaN if its scaling factor is not positive)."""
    dchi = f.chisq - base.chisq
    ddf = f.df - base.df
    if scaled and ddf > 0:
        cd = (f.df * f.chisq_scaling_factor - base.df * base.chisq_scaling_factor) / ddf
        dchi = dchi / cd if cd > 0 else np.nan
    return float(dchi), int(ddf)


@dataclass(frozen=True, eq=False)
class InvarianceResult:
    """Result of :func:`invariance`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model (configural, metric, scalar and, if searched, partial scalar) with
        ``npar, chisq, df, pvalue, cfi, rmsea, srmr, aic, bic`` (with MLR also ``chisq_scaled,
        chisq_scaling_factor, pvalue_scaled, cfi_robust, rmsea_robust``) and the comparison with the
        previous level: ``compared_with, chisq_diff, df_diff, pvalue_diff, delta_cfi, delta_rmsea,
        holds, note`` (with MLR the Satorra-Bentler 2001 scaled difference and the changes of the robust
        CFI and RMSEA). ``note`` is empty, or for a level that adds no constraint to the one before (0
        degrees of freedom, e.g. the ordered ``"thresholds+loadings+intercepts"``, lavaan fixing the
        intercepts of ordered items at 0) "adds no constraint (the same model as <level>)": its deltas and
        p-value are NaN and it holds exactly when the level before holds.
    fits : dict of str to CFAResult
    level : str
        Highest level supported: ``"configural"`` (metric fails; whether the configural model itself fits
        is for its fit indices in ``table`` to say), ``"metric"``, ``"partial scalar"`` or ``"scalar"``;
        with ordered items ``"configural"``, ``"thresholds"``, ``"thresholds+loadings"`` or
        ``"thresholds+loadings+intercepts"``. (Before issue 15 a failed first comparison gave ``"none"``.)
    freed_intercepts : tuple of str
        Items whose intercepts were freed to reach partial scalar invariance (empty if none).
    search : pandas.DataFrame
        Every step of the partial search: ``step, item, chisq, df, cfi, rmsea``.
    cfi_cut, rmsea_cut, alpha : float
        The criteria used.
    estimator, missing : str
        As passed to :func:`invariance` (and to every fit).
    """

    table: pd.DataFrame
    fits: Mapping[str, CFAResult]
    level: str
    freed_intercepts: tuple[str, ...]
    search: pd.DataFrame
    group: str
    cfi_cut: float
    rmsea_cut: float
    alpha: float
    estimator: str = "ML"
    missing: str = "listwise"

    def to_frame(self) -> pd.DataFrame:
        """The fit and comparison table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Text summary: table, verdict per level and the likelihood-ratio tests."""
        how = f"{self.estimator}{', FIML' if self.missing == 'fiml' else ''}"
        test = (
            "scaled chi-square difference (Satorra-Bentler 2001)"
            if self.estimator == "MLR"
            else "scaled-shifted chi-square difference (Satorra 2000)"
            if self.estimator in ("WLSMV", "ULSMV")
            else "chi-square difference"
        )
        rob = "robust " if self.estimator == "MLR" else "scaled " if self.estimator in ("WLSMV", "ULSMV") else ""
        lines = [
            f"Measurement invariance across {self.group!r} ({how}) "
            f"(criteria: delta {rob}CFI >= -{self.cfi_cut}, delta {rob}RMSEA <= {self.rmsea_cut}; "
            "Cheung & Rensvold 2002, Chen 2007)",
            "",
            self.table.to_string(float_format=lambda v: f"{v:.3f}"),
            "",
        ]
        for name, row in self.table.iterrows():
            if name == "configural":
                continue
            if row.get("note"):  # 0 df: the same model as the level before
                lines.append(
                    f"{name} vs {row['compared_with']}: {row['note']}; 0 df, no test; it holds exactly when "
                    f"{row['compared_with']} holds (it {'does' if row['holds'] else 'does not'})"
                )
                continue
            verdict = "holds" if row["holds"] else "does not hold"
            lrt = "rejects" if row["pvalue_diff"] < self.alpha else "does not reject"
            lines.append(
                f"{name} vs {row['compared_with']}: {verdict} (delta {rob}CFI {row['delta_cfi']:+.3f}, "
                f"delta {rob}RMSEA {row['delta_rmsea']:+.3f}); {test} "
                f"{row['chisq_diff']:.3f} on {int(row['df_diff'])} df, p = {row['pvalue_diff']:.3g} "
                f"(the LRT {lrt} equality at alpha = {self.alpha})"
            )
        if self.freed_intercepts:
            lines.append(f"Freed intercepts (partial scalar): {', '.join(self.freed_intercepts)}")
        lines.append(f"Highest level supported: {self.level}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        freed = f", freed_intercepts={list(self.freed_intercepts)}" if self.freed_intercepts else ""
        return f"InvarianceResult(group={self.group!r}, level={self.level!r}{freed})"


def _judged(fit: CFAResult) -> tuple[float, float]:
    """The CFI and RMSEA whose changes judge a level: the ML ones, or for MLR the robust ones
    (Brosseau-Liard & Savalei 2014; Brosseau-Liard, Savalei & Li 2012)."""
    f = fit.fit
    return (f.cfi_robust, f.rmsea_robust) if fit.estimator == "MLR" else (f.cfi, f.rmsea)


def _row(fit: CFAResult) -> dict:
    f = fit.fit
    row = {
        "npar": f.npar,
        "chisq": f.chisq,
        "df": f.df,
        "pvalue": f.pvalue,
        "cfi": f.cfi,
        "rmsea": f.rmsea,
        "srmr": f.srmr,
        "aic": f.aic,
        "bic": f.bic,
    }
    if fit.estimator == "MLR":
        row.update(
            chisq_scaled=f.chisq_scaled,
            chisq_scaling_factor=f.chisq_scaling_factor,
            pvalue_scaled=f.pvalue_scaled,
            cfi_robust=f.cfi_robust,
            rmsea_robust=f.rmsea_robust,
        )
    return row


def _compare(fit: CFAResult, base: CFAResult, base_name: str, cfi_cut: float, rmsea_cut: float) -> dict:
    dchi, ddf = _difference(fit.fit, base.fit, scaled=fit.estimator == "MLR")
    (cfi1, rmsea1), (cfi0, rmsea0) = _judged(fit), _judged(base)
    dcfi = cfi1 - cfi0
    drmsea = rmsea1 - rmsea0
    return {
        "compared_with": base_name,
        "chisq_diff": dchi,
        "df_diff": ddf,
        "pvalue_diff": _lrt_pvalue(dchi, ddf),
        "delta_cfi": dcfi,
        "delta_rmsea": drmsea,
        "holds": bool(dcfi >= -cfi_cut and drmsea <= rmsea_cut),
    }


@single_thread_blas()  # many small-matrix fits: one BLAS thread is several times faster (stats._common)
def invariance(
    model: str | MeasurementModel,
    data: pd.DataFrame | None = None,
    group: str | None = None,
    *,
    estimator: str | None = None,
    missing: str = "listwise",
    sample_cov: Mapping[object, pd.DataFrame] | None = None,
    sample_mean: Mapping[object, pd.Series] | None = None,
    sample_nobs: Mapping[object, int] | None = None,
    cfi_cut: float = 0.01,
    rmsea_cut: float = 0.015,
    alpha: float = 0.05,
    partial: bool = True,
    max_free: int | None = None,
    min_invariant: int = 2,
    n_jobs: int = 1,
    ordered: object = None,
    parameterization: str = "delta",
) -> InvarianceResult:
    """Configural, metric and scalar measurement invariance across groups.

    Fits the configural model (same pattern, all parameters free per group), the metric model
    (loadings equal) and the scalar model (loadings and intercepts equal; latent means free
    beyond the first group), as lavaan's ``group.equal``. Each level is compared with the
    previous one by the chi-square difference test and by the change in CFI and RMSEA. A level
    *holds* when ``delta CFI >= -cfi_cut`` and ``delta RMSEA <= rmsea_cut`` (Cheung & Rensvold
    2002; Chen 2007); the likelihood-ratio test is reported beside it, since with a few hundred
    respondents it rejects trivial differences.

    If metric invariance holds but scalar does not, a partial scalar model is searched: one at a
    time, the intercept whose release lowers the chi-square most is freed (a full refit for each
    candidate; equivalent in aim to the largest modification index), and the model is compared
    with the metric model again, until it holds, ``max_free`` intercepts are free, or no
    candidate is left. An intercept is a candidate only while its factor keeps at least
    ``min_invariant`` equal intercepts (Byrne, Shavelson & Muthén 1989).

    Parameters
    ----------
    model : str or MeasurementModel
        lavaan measurement syntax.
    data : pandas.DataFrame, optional
        Raw data; give either ``data`` and ``group`` or the summary statistics.
    group : str, optional
        Grouping column of ``data``. With summary statistics only a name for the grouping
        (shown in the summary; default ``"group"``).
    estimator : {None, "ML", "MLR", "WLSMV", "DWLS", "ULSMV", "ULS"}
        In any case (``"mlr"`` is ``"MLR"``); ``None`` (the default) is ``"ML"``, or ``"WLSMV"`` with
        ``ordered`` items, which take only the ordered estimators (``"ML"`` and ``"MLR"`` are refused
        with them, as by :func:`cfa`). Passed to every fit (:func:`cfa`), including those of the
        partial search. With ``"MLR"`` the levels are compared by the Satorra-Bentler (2001) scaled chi-square difference test
        (as lavaan's ``lavTestLRT``; :func:`chisq_difference`) and the table adds
        ``chisq_scaled, chisq_scaling_factor, pvalue_scaled, cfi_robust, rmsea_robust``; the
        changes in CFI and RMSEA that judge a level (``delta_cfi``, ``delta_rmsea``) are those of
        the robust indices (Brosseau-Liard & Savalei 2014; Brosseau-Liard, Savalei & Li 2012; with
        FIML the corrected ones of Zhang & Savalei 2023, as lavaan's ``cfi.robust`` and
        ``rmsea.robust``). Needs raw ``data``.
    missing : {"listwise", "fiml", "pairwise"}
        Passed to every fit: listwise deletion, or full-information ML (lavaan's
        ``missing = "ml"``; not with ``ordered``). Needs raw ``data``. ``"pairwise"`` with ``ordered``
        only: lavaan's ``missing = "pairwise"`` (each group's thresholds from every answer, polychorics
        from the pairwise-complete rows).
    sample_cov, sample_mean, sample_nobs : mapping of group label, optional
        Summary statistics per group instead of ``data``: covariance matrices (unbiased, as
        lavaan's ``sample.cov``), means and numbers of observations; see :func:`cfa`.
    cfi_cut, rmsea_cut : float
        Largest tolerated drop in CFI and rise in RMSEA.
    alpha : float
        Level reported for the chi-square difference tests.
    partial : bool
        Search for partial scalar invariance when scalar invariance fails.
    max_free : int, optional
        Most intercepts to free (default: no limit besides ``min_invariant``).
    min_invariant : int
        Equal intercepts each factor must keep.
    n_jobs : int
        Worker processes for the configural, metric and scalar fits (at most three are used); the result is
        the same for any number (each fit is the same computation; the warnings of a worker are issued again
        here).
    ordered : list of str, True or False, optional
        Ordered (Likert) items (``False``, ``None`` or an empty list: none; a name must be a column of
        ``data``; every category of an item must be chosen in every group, as lavaan requires: merge a
        category nobody chose in some group into its neighbour, in every group): the WLSMV sequence
        of Wu & Estabrook (2016) instead, levels ``configural, thresholds, thresholds+loadings, thresholds+loadings+intercepts`` with lavaan's
        identification and ``lavTestLRT``'s scaled difference test (``estimator`` "WLSMV" unless
        "DWLS", "ULSMV" or "ULS"; ``parameterization`` "delta" or "theta"; raw ``data`` only; no
        partial search); :mod:`emstudy.stats.cfa.invariance_ordinal`.
    parameterization : {"delta", "theta"}
        With ``ordered`` only.

    Returns
    -------
    InvarianceResult

    Examples
    --------
    >>> res = invariance(HS_MODEL, hs, "school")  # doctest: +SKIP
    >>> same = invariance(HS_MODEL, group="school", sample_cov=covs, sample_mean=means,
    ...                   sample_nobs=ns)  # doctest: +SKIP
    >>> res.level  # doctest: +SKIP
    'partial scalar'

    References
    ----------
    Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance.
    Psychometrika, 58, 525-543.
    Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing
    measurement invariance. Structural Equation Modeling, 9, 233-255.
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement
    invariance. Structural Equation Modeling, 14, 464-504.
    Byrne, B. M., Shavelson, R. J., & Muthén, B. (1989). Testing for the equivalence of factor
    covariance and mean structures. Psychological Bulletin, 105, 456-466.
    Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic for moment
    structure analysis. Psychometrika, 66, 507-514.
    Brosseau-Liard, P. E., & Savalei, V. (2014). Adjusting incremental fit indices for nonnormality.
    Multivariate Behavioral Research, 49, 460-470.
    """
    estimator, ordered = _ordinal_options(estimator, ordered)  # lavaan's defaults; rebinds arguments only
    if ordered is not None:  # ordered items: the WLSMV sequence, from all the arguments (no other local yet)
        return InvarianceResult(**_invariance_ordered(**{k: v for k, v in locals().items() if k != "n_jobs"}))
    inputs, group = _check_args_invariance(
        data,
        group,
        estimator=estimator,
        missing=missing,
        sample_cov=sample_cov,
        sample_mean=sample_mean,
        sample_nobs=sample_nobs,
        max_free=max_free,
        min_invariant=min_invariant,
        n_jobs=n_jobs,
        parameterization=parameterization,
    )
    mm = model if isinstance(model, MeasurementModel) else parse_model(model)
    fits: dict[str, CFAResult] = _fit_levels(mm, inputs, n_jobs)
    rows = _level_rows(fits, cfi_cut, rmsea_cut)
    freed: list[str] = []
    search_rows: list[dict] = []
    if not rows["metric"]["holds"]:
        level = "configural"
    elif rows["scalar"]["holds"]:
        level = "scalar"
    else:
        level = "metric"
        if partial:
            current, freed, search_rows = _partial_scalar_search(
                mm,
                inputs,
                fits["metric"],
                cfi_cut=cfi_cut,
                rmsea_cut=rmsea_cut,
                max_free=max_free,
                min_invariant=min_invariant,
            )
            if current is not None:
                fits["partial scalar"] = current
                comp = _no_constraint(_compare(current, fits["metric"], "metric", cfi_cut, rmsea_cut), True)
                rows["partial scalar"] = {**_row(current), **comp}
                if comp["holds"] and not comp["note"]:  # 0 df: every intercept equality freed, the metric model
                    level = "partial scalar"
    search = pd.DataFrame(search_rows, columns=["step", "item", "chisq", "df", "cfi", "rmsea"])
    return InvarianceResult(
        table=_levels_table(rows),
        fits=fits,
        level=level,
        freed_intercepts=tuple(freed),
        search=search,
        group=group,
        cfi_cut=cfi_cut,
        rmsea_cut=rmsea_cut,
        alpha=alpha,
        estimator=estimator,
        missing=missing,
    )


# --------------------------------------------------------------------------------------------
# the parts of invariance(): argument checks, partial search, table
# --------------------------------------------------------------------------------------------
def _check_args_invariance(
    data: pd.DataFrame | None,
    group: str | None,
    *,
    estimator: str,
    missing: str,
    sample_cov: object,
    sample_mean: object,
    sample_nobs: object,
    max_free: int | None,
    min_invariant: int,
    n_jobs: int = 1,
    parameterization: str = "delta",
) -> tuple[dict, str]:
    """Check the input of :func:`invariance` without ordered items (``estimator`` already in upper case);
    return the keyword arguments of :func:`cfa` that carry the data (raw or summary statistics) and the
    estimation options, and the name of the grouping."""
    _check_estimator_for_items(estimator, None, parameterization)
    if missing == "pairwise":
        raise ValueError("missing: 'pairwise' needs ordered items; use 'listwise' or 'fiml' (or pass ordered=)")
    if estimator not in ("ML", "MLR"):
        raise ValueError(f"estimator: expected 'ML' or 'MLR', got {estimator!r}")
    if missing not in ("listwise", "fiml"):
        raise ValueError(f"missing: expected 'listwise' or 'fiml', got {missing!r}")
    if sample_cov is not None and (estimator, missing) != ("ML", "listwise"):
        raise ValueError(
            f"sample_cov: estimator={estimator!r} with missing={missing!r} needs raw data (one row per "
            "respondent); pass data and group instead"
        )
    if sample_cov is None:
        if not isinstance(group, str):
            raise ValueError("group: expected the name of the grouping column of data")
        inputs: dict = {"data": data, "group": group}
    else:
        if data is not None:
            raise ValueError("data, sample_cov: pass one of them, not both (raw data or summary statistics)")
        if not isinstance(sample_cov, Mapping):
            raise ValueError(
                "sample_cov: invariance needs one covariance matrix per group, as a mapping "
                f"group -> DataFrame; got {type(sample_cov).__name__}"
            )
        if group is None:
            group = "group"
        elif not isinstance(group, str):
            raise ValueError("group: expected a name for the grouping (a string)")
        inputs = {"sample_cov": sample_cov, "sample_mean": sample_mean, "sample_nobs": sample_nobs}
    inputs.update(estimator=estimator, missing=missing)
    if max_free is not None and max_free < 0:
        raise ValueError(f"max_free: expected a non-negative integer, got {max_free}")
    if min_invariant < 1:
        raise ValueError(f"min_invariant: expected at least 1, got {min_invariant}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs < 1:
        raise ValueError(f"n_jobs: expected a positive integer, got {n_jobs!r}")
    return inputs, group


#: The levels fitted by :func:`invariance` and their lavaan ``group.equal``.
_LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}


def _fit_levels(mm: MeasurementModel, inputs: dict, n_jobs: int) -> dict[str, CFAResult]:
    """The configural, metric and scalar fits; with ``n_jobs > 1`` in worker processes (the largest first), the
    warnings each gave issued again here, in the order of the levels."""
    if n_jobs == 1:
        return {name: cfa(mm, **inputs, equal=equal) for name, equal in _LEVELS.items()}
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(_LEVELS))) as pool:
        futures = {name: pool.submit(_fit_level, mm, inputs, equal) for name, equal in _LEVELS.items()}
        done = {name: future.result() for name, future in futures.items()}
    for _, caught in done.values():
        for category, message in caught:
            warnings.warn(message, category, stacklevel=3)
    return {name: fit for name, (fit, _) in done.items()}


def _fit_level(mm: MeasurementModel, inputs: dict, equal: tuple[str, ...]) -> tuple[CFAResult, list]:
    """One level's :func:`cfa` in a worker, with the package's warnings it gave as ``(category, message)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmstudyWarning)  # the package's; others show in the worker
        fit = cfa(mm, **inputs, equal=equal)
    return fit, [(w.category, str(w.message)) for w in caught]


def _intercept_candidates(mm: MeasurementModel, freed: list[str], min_invariant: int) -> list[str]:
    """Items whose intercept may still be freed: not freed yet, and every factor of the item keeps
    at least ``min_invariant`` equal intercepts without it."""
    candidates = []
    for it in mm.observed:
        if it in freed:
            continue
        ok = True
        for _f, items in mm.indicators:
            if it in items:
                left = [x for x in items if x not in freed and x != it]
                ok = ok and len(left) >= min_invariant
        if ok:
            candidates.append(it)
    return candidates


def _partial_scalar_search(
    mm: MeasurementModel,
    inputs: dict,
    metric: CFAResult,
    *,
    cfi_cut: float,
    rmsea_cut: float,
    max_free: int | None,
    min_invariant: int,
) -> tuple[CFAResult | None, list[str], list[dict]]:
    """Free intercepts one at a time (the one whose release lowers the chi-square most) until the
    model holds against the metric model, ``max_free`` are free, or no candidate is left.

    Returns the last model (None if no candidate), the freed items in order and one row per
    trial fit (``step, item, chisq, df, cfi, rmsea``).
    """
    limit = len(mm.observed) if max_free is None else max_free
    freed: list[str] = []
    search_rows: list[dict] = []
    current = None
    while len(freed) < limit:
        candidates = _intercept_candidates(mm, freed, min_invariant)
        if not candidates:
            break
        trials = {}
        for it in candidates:
            trials[it] = cfa(
                mm, **inputs, equal=("loadings", "intercepts"), group_partial=tuple(f"{x}~1" for x in freed + [it])
            )
            tf = trials[it].fit
            search_rows.append(
                {"step": len(freed) + 1, "item": it, "chisq": tf.chisq, "df": tf.df, "cfi": tf.cfi, "rmsea": tf.rmsea}
            )
        best = min(candidates, key=lambda c: trials[c].fit.chisq)
        freed.append(best)
        current = trials[best]
        comp = _compare(current, metric, "metric", cfi_cut, rmsea_cut)
        if comp["holds"]:
            break
    return current, freed, search_rows


def _level_rows(fits: Mapping[str, CFAResult], cfi_cut: float, rmsea_cut: float) -> dict[str, dict]:
    """The table rows of the configural, metric and scalar fits: each level's fit and its comparison with the
    level before (:func:`~emstudy.stats.cfa.invariance_ordinal._no_constraint` for one that adds no constraint)."""
    rows = {"configural": {**_row(fits["configural"]), "compared_with": "", "holds": True, "note": ""}}
    for name, base in (("metric", "configural"), ("scalar", "metric")):
        comp = _compare(fits[name], fits[base], base, cfi_cut, rmsea_cut)
        rows[name] = {**_row(fits[name]), **_no_constraint(comp, rows[base]["holds"])}
    return rows


def _levels_table(rows: dict[str, dict]) -> pd.DataFrame:
    """The fit and comparison table of the invariance levels, one row per model."""
    table = pd.DataFrame.from_dict(rows, orient="index")
    cols = [
        "npar",
        "chisq",
        "df",
        "pvalue",
        *(["chisq_scaled", "chisq_scaling_factor", "pvalue_scaled"] if "chisq_scaled" in table.columns else []),
        "cfi",
        "rmsea",
        *(["cfi_robust", "rmsea_robust"] if "cfi_robust" in table.columns else []),
        "srmr",
        "aic",
        "bic",
        "compared_with",
        "chisq_diff",
        "df_diff",
        "pvalue_diff",
        "delta_cfi",
        "delta_rmsea",
        "holds",
        "note",
    ]
    table = table[cols]
    table.index.name = "model"
    return table
