"""Confirmatory factor analysis (maximum likelihood): :func:`sem` with lavaan's ``cfa()`` defaults.

With ``ordered`` items (``estimator`` ``"WLSMV"``, ``"DWLS"``, ``"ULSMV"``, ``"ULS"``) :func:`cfa` is
:func:`~emstudy.stats.sem.sem`'s weighted-least-squares fit (:mod:`emstudy.stats.cfa.wls`) of the same
measurement model, as lavaan's ``cfa(..., ordered = TRUE)``; :meth:`CFAResult.summary` words such a fit as
lavaan's ``summary()`` does (standard and scaled-shifted test statistics, thresholds, no log-likelihood).

lavaan's ``cfa()`` and ``sem()`` wrap the same fitting function with the same defaults
(``auto.fix.first``, ``auto.var``, ``auto.cov.lv.x``, ``int.ov.free``, ...); so does :func:`cfa` here. It
checks its own options, turns the measurement model into lavaan's model syntax parsed
(:class:`~emstudy.stats.cfa.semsyntax.SEMModel`, one ``=~`` statement per indicator) and runs the fit of
:func:`~emstudy.stats.sem.sem` (``emstudy.stats.sem._fit_sem``: lavaan's ``sem()`` parameter table, the
optimizer, FIML, standard errors and the parameter table). The conventions, those of lavaan:

* the first indicator of each factor has its loading fixed to 1 (marker variable), unless
  ``std_lv=True`` (factor variances fixed to 1, all loadings free);
* factor covariances are free; residual variances are free and unbounded (Heywood cases are
  reported, not hidden);
* ML on the biased covariance matrix (divided by N), ``likelihood="normal"``; the test statistic is
  ``sum_g N_g * F_g`` (N_g, not N_g - 1);
* a mean structure only when ``group`` is given (or with FIML): intercepts free, latent means fixed to 0,
  except that latent means are free in all groups but the first when intercepts are constrained equal;
* standard errors from the expected information matrix;
* summary-statistics input (``sample_cov``, ``sample_mean``, ``sample_nobs``, as lavaan's
  ``sample.cov`` etc.): each matrix is taken as unbiased (divisor N - 1) and multiplied by
  (N - 1) / N, lavaan's default ``sample.cov.rescale = TRUE``, so that the fit equals the fit to
  the raw data the matrix came from.

Only the measurement part of lavaan's syntax is understood (``factor =~ item1 + item2``). This module
also holds the result class both functions return and the checks and standard errors they share.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.errors import HeywoodWarning, ModelWarning, SampleSizeWarning
from emstudy.stats.cfa._data import ORDERED_ESTIMATORS, _ordinal_options
from emstudy.stats.cfa.engine import _case_scores, _Engine, _Par
from emstudy.stats.cfa.fiml import _FIMLEngine, _patterns
from emstudy.stats.cfa.fit import FitMeasures, _saturated_trace
from emstudy.stats.cfa.robust import _robust_listwise
from emstudy.stats.cfa.semengine import _layout
from emstudy.stats.cfa.semsyntax import SEMModel, Statement
from emstudy.stats.cfa.syntax import _EQUAL_OPTIONS, MeasurementModel, parse_model

__all__ = ["CFAResult", "cfa"]


@dataclass(frozen=True, eq=False)
class CFAResult:
    """Result of :func:`cfa`.

    Attributes
    ----------
    model : MeasurementModel or SEMModel
    estimator : str
    groups : tuple of str
        Group labels (one unnamed group ``("",)`` without ``group``).
    n_obs : tuple of int
        Observations per group after listwise deletion (``sample_nobs`` with summary
        statistics; with FIML the rows with at least one observed model variable).
    params : pandas.DataFrame
        One row per parameter: ``lhs, op, rhs, group, group_label, label, free, est, se, z, pvalue,
        ci_lower, ci_upper, std_lv, std_all`` (lavaan's ``parameterEstimates(fit, standardized =
        TRUE)``; ``group`` and ``group_label`` only with several groups).
    fit : FitMeasures
    converged : bool
    iterations : int
    equal : tuple of str
    group_partial : tuple of str
    implied_cov, sample_cov : tuple of pandas.DataFrame
        Model-implied and sample (biased, /N) covariance matrix per group; with ``sample_cov``
        input, the matrix given times (N - 1) / N.
    missing : str
        ``"listwise"`` or ``"fiml"`` (then ``sample_cov`` holds the EM estimates of the saturated
        model and ``n_obs`` the rows used, every row with at least one observed model variable).
    kind : str
        ``"CFA"`` (from :func:`cfa`, ``model`` a MeasurementModel) or ``"SEM"`` (from
        :func:`~emstudy.stats.sem.sem`, ``model`` a SEMModel; its ``params`` may add ``:=`` rows).
    wls_state : tuple or None
        Fits of ordered items: the fitted weighted-least-squares model (its sample statistics and
        weights, :mod:`emstudy.stats.cfa.wls`) and its free estimates, for
        :func:`~emstudy.stats.modindices.modindices`; ``None`` otherwise.
    vcov : numpy.ndarray or None
        The covariance matrix of the estimates over the rows of ``params`` before the ``:=`` rows (zero
        for fixed parameters; rows tied by an equality constraint share their entries), for delta-method
        standard errors of functions of the estimates; ``None`` for fits of ordered items.
    """

    model: MeasurementModel | SEMModel
    estimator: str
    groups: tuple[str, ...]
    n_obs: tuple[int, ...]
    params: pd.DataFrame
    fit: FitMeasures
    converged: bool
    iterations: int
    equal: tuple[str, ...] = ()
    group_partial: tuple[str, ...] = ()
    std_lv: bool = False
    implied_cov: tuple[pd.DataFrame, ...] = field(default=(), repr=False)
    sample_cov: tuple[pd.DataFrame, ...] = field(default=(), repr=False)
    kind: str = "CFA"
    missing: str = "listwise"
    wls_state: tuple | None = field(default=None, repr=False)
    vcov: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def fit_measures(self) -> pd.Series:
        """Fit measures under lavaan's names."""
        return self.fit.to_series()

    def loadings(self, *, standardized: bool = True) -> pd.DataFrame:
        """Loadings as an item x factor table (std.all by default), one block per group."""
        rows = self.params[self.params["op"] == "=~"]
        col = "std_all" if standardized else "est"
        index = ["group_label", "rhs"] if len(self.groups) > 1 else ["rhs"]
        out = rows.pivot_table(index=index, columns="lhs", values=col, sort=False)
        out.columns.name = None
        return out[[f for f in self.model.factors]]

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (a copy)."""
        return self.params.copy()

    def summary(self) -> str:
        """A readable text summary: fit measures and parameter estimates. Fits of ordered items (WLSMV,
        ULSMV, DWLS, ULS) in lavaan's wording: the estimator, the standard and the scaled-shifted test
        statistic with its scaling factor and shift parameter, no log-likelihood, and the thresholds (and
        the scales y* of the theta parameterization) in sections of their own."""
        f = self.fit
        eq = f", equal={list(self.equal)}" if self.equal else ""
        ordinal = self.estimator in _WLS_NAMES
        head = [
            f"{self.kind} ({_WLS_NAMES[self.estimator] if ordinal else self.estimator}"
            f"{', FIML' if self.missing == 'fiml' else ''}), {'converged' if self.converged else 'NOT converged'} "
            f"after {self.iterations} iterations{eq}",
            f"Groups: {', '.join(f'{g} (n={n})' for g, n in zip(self.groups, self.n_obs))}"
            if len(self.groups) > 1
            else f"Observations: {self.n_obs[0]}",
            f"Free parameters: {f.npar}",
            "",
            *(_wls_lines(f) if ordinal else _ml_lines(f)),
            "",
        ]
        cols = ["lhs", "op", "rhs", "est", "se", "z", "pvalue", "std_all"]
        if "label" in self.params.columns:
            cols = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "std_lv", "std_all"]
        if len(self.groups) > 1:
            cols = ["group_label"] + cols
        op = self.params["op"]
        parts = [("", ~op.isin(["|", "~*~"])), ("Thresholds:", op == "|"), ("Scales y*:", op == "~*~")]
        tables = [
            (f"\n{title}\n" if title else "")
            + self.params.loc[rows, cols].to_string(index=False, float_format=lambda v: f"{v:.3f}")
            for title, rows in parts
            if rows.any()
        ]
        return "\n".join(head) + "\n".join(tables)

    def __repr__(self) -> str:
        grp = f", groups={list(self.groups)}" if len(self.groups) > 1 else ""
        f = self.fit
        if np.isfinite(f.cfi_scaled):  # MLR, WLSMV, ULSMV: the scaled statistic, as summary() and FitMeasures show
            stats = f"chisq_scaled={f.chisq_scaled:.3f}, df={f.df}, CFI_scaled={f.cfi_scaled:.3f}, "
            stats += f"RMSEA_scaled={f.rmsea_scaled:.3f}"
        else:
            stats = f"chisq={f.chisq:.3f}, df={f.df}, CFI={f.cfi:.3f}, RMSEA={f.rmsea:.3f}"
        return (
            f"CFAResult(factors={list(self.model.factors)}, n={sum(self.n_obs)}{grp}, estimator={self.estimator}, "
            f"{stats}, SRMR={f.srmr:.3f}, converged={self.converged})"
        )


def cfa(
    model: str | MeasurementModel,
    data: pd.DataFrame | None = None,
    *,
    sample_cov: pd.DataFrame | Mapping[object, pd.DataFrame] | None = None,
    sample_mean: pd.Series | Mapping[object, pd.Series] | None = None,
    sample_nobs: int | Mapping[object, int] | None = None,
    estimator: str | None = None,
    group: str | None = None,
    equal: Iterable[str] = (),
    group_partial: Iterable[str] = (),
    std_lv: bool = False,
    missing: str = "listwise",
    max_iter: int = 1000,
    ordered: bool | Iterable[str] | None = None,
    parameterization: str = "delta",
) -> CFAResult:
    """Confirmatory factor analysis by maximum likelihood (or, for ordered items, weighted least squares):
    :func:`~emstudy.stats.sem.sem` with lavaan's ``cfa()`` defaults.

    The options are checked here (the messages name :func:`cfa`'s options); the fit is
    :func:`~emstudy.stats.sem.sem`'s, on the measurement model written as lavaan's syntax, so that
    ``cfa(model, data, **opts)`` and ``sem(model, data, **opts)`` give the same numbers to the last bit.

    Parameters
    ----------
    model : str or MeasurementModel
        lavaan measurement syntax, e.g. ``"visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6"``.
    data : pandas.DataFrame, optional
        One row per respondent; rows with a missing value in a model variable (or the group) are
        dropped (listwise deletion, with a warning) unless ``missing="fiml"``. Give either
        ``data`` or ``sample_cov``.
    sample_cov : pandas.DataFrame or mapping of group to pandas.DataFrame, optional
        Summary-statistics input instead of ``data``, as lavaan's ``sample.cov``: a covariance
        matrix with the variable names as index and columns (extra variables are ignored), or,
        for a multi-group model, a mapping group label -> matrix (the groups in the mapping's
        order, the first is the reference group). Each matrix is taken as the unbiased
        covariance (divisor N - 1) and multiplied by (N - 1) / N before fitting, as lavaan does
        by default (``sample.cov.rescale = TRUE``), so ``cfa(model, sample_cov=df.cov(),
        sample_nobs=len(df))`` gives the same fit as ``cfa(model, df)``.
    sample_mean : pandas.Series or mapping of group to pandas.Series, optional
        Means indexed by variable name (lavaan's ``sample.mean``). Required for a multi-group
        model (it has a mean structure); ignored by a single-group model, whose means are
        saturated.
    sample_nobs : int or mapping of group to int, optional
        Number of observations behind each matrix (lavaan's ``sample.nobs``); required with
        ``sample_cov``, and more than the number of observed variables.
    estimator : {None, "ML", "MLR", "WLSMV", "DWLS", "ULSMV", "ULS"}
        In any case (``"mlr"`` is ``"MLR"``; the result carries the upper-case name); ``None`` (the default)
        is lavaan's: ``"ML"``, or ``"WLSMV"`` with ``ordered`` items. ``"ML"``: maximum likelihood with
        the biased sample covariance (lavaan ``likelihood="normal"``), standard errors from the expected
        information.
        ``"MLR"``: the same estimates with Huber-White sandwich standard errors (observed
        information as bread) and the Yuan-Bentler scaled chi-square as in lavaan's
        ``estimator="MLR"`` (``chisq_scaled``, ``chisq_scaling_factor``, ``pvalue_scaled`` in
        ``fit``), for one group or several (with groups the mean structure's observed information,
        as lavaan); with FIML the casewise scores and the saturated model's traces are those of the
        incomplete rows (Yuan & Bentler 2000). ``fit`` adds the scaled and robust indices under
        lavaan's names (``cfi_scaled``, ``tli_scaled``, ``rmsea_scaled`` with its interval and
        p-close, ``baseline_chisq_scaled``, ``baseline_chisq_scaling_factor``, ``cfi_robust``,
        ``tli_robust``, ``rmsea_robust`` with its interval and p-close; see
        :mod:`emstudy.stats.cfa.robust`); ``cfi``, ``tli`` and ``rmsea`` stay the ML ones. With
        ``missing="fiml"`` the robust indices are given for ML fits too, as lavaan does. Needs raw
        ``data``. ``"WLSMV"``, ``"DWLS"``, ``"ULSMV"``, ``"ULS"``: only with ``ordered`` (see there), which
        refuses ``"ML"`` and ``"MLR"``.
    group : str, optional
        Column of ``data`` defining groups for a multi-group model; adds a mean structure.
        With ``sample_cov`` the groups are the keys of the mapping instead.
    equal : iterable of str
        As lavaan's ``group.equal``: any of ``"loadings"``, ``"intercepts"``, ``"residuals"``,
        ``"means"``, ``"lv.variances"``, ``"lv.covariances"``.
    group_partial : iterable of str
        As lavaan's ``group.partial``: parameters exempt from ``equal``, written
        ``"x3~1"`` (intercept), ``"visual=~x2"`` (loading) or ``"x3~~x3"`` (residual variance).
    std_lv : bool
        Fix factor variances to 1 and free all loadings instead of using marker variables.
        (In multi-group models with equal loadings, factor variances are free beyond group 1.)
    missing : {"listwise", "fiml"}
        ``"listwise"``: drop incomplete rows. ``"fiml"`` (lavaan's ``missing = "ml"``, needs raw
        ``data``): full-information ML, the casewise likelihood over the missingness patterns,
        with a mean structure (intercepts free); standard errors from the observed information;
        the chi-square against the saturated model estimated by EM, CFI and TLI against the
        independence model fitted by FIML, SRMR on the EM moments, as lavaan reports them. Rows
        with every model variable missing are dropped (with a warning).
    max_iter : int
        Iteration limit of the optimizer.
    ordered : True, False or list of str, optional
        lavaan's ``ordered``: the items are ordered categories (Likert items; ``True`` or a list of
        every item of the model; ``False``, ``None`` or an empty list: none; a name that is not a column
        of ``data`` is an error; integer codes, at most 10 categories, or ordered pandas Categoricals;
        with ``group``, every category chosen in every group, as lavaan requires), fitted as
        :func:`~emstudy.stats.sem.sem` fits them (the same function, :mod:`emstudy.stats.cfa.wls`) with ``estimator`` one of ``"WLSMV"`` (DWLS estimates
        on the thresholds and polychoric correlations, robust standard errors, the scaled-shifted
        test), ``"ULSMV"``, ``"DWLS"``, ``"ULS"``: thresholds in ``params`` (``op "|"``), no
        log-likelihood, AIC or BIC, ``missing`` ``"listwise"`` or ``"pairwise"``, raw ``data`` only.
    parameterization : {"delta", "theta"}
        With ``ordered``: lavaan's ``parameterization`` (``"delta"``: the latent responses have unit
        variance; ``"theta"``: the items' residual variances are 1).

    Returns
    -------
    CFAResult
        Estimates with standard errors from the expected information, std.lv and std.all solutions
        and fit measures (chi-square, CFI, TLI, RMSEA with 90% CI and p-close, SRMR, AIC, BIC, logl);
        ``kind="CFA"`` and ``model`` the MeasurementModel. With ``ordered``, the numbers of
        ``sem(model, data, ordered=..., estimator=...)`` (to the last bit), with its warnings
        attributed to the line calling :func:`cfa`.

    Raises
    ------
    ValueError
        On a syntax error, a variable not in ``data`` (or ``sample_cov``), a non-positive-definite
        or non-symmetric sample covariance matrix, no more observations than observed variables
        (in any group), a model with negative degrees of freedom, or inconsistent summary statistics
        (group keys that differ between ``sample_cov``, ``sample_mean`` and ``sample_nobs``).

    Warns
    -----
    MissingDataWarning
        When rows with missing values were removed (listwise deletion).
    SampleSizeWarning
        When N is not larger than the number of free parameters.
    ConvergenceWarning
        When the optimizer did not converge.
    ModelWarning
        When the information matrix is singular (standard errors not available).
    HeywoodWarning
        On Heywood cases (negative residual variance, standardized loading above 1), naming the
        item.

    Examples
    --------
    >>> fit = cfa("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6", df)  # doctest: +SKIP
    >>> fit.fit.cfi  # doctest: +SKIP
    >>> items = ["x1", "x2", "x3", "x4", "x5", "x6"]
    >>> same = cfa("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6",
    ...            sample_cov=df[items].cov(), sample_nobs=len(df))  # doctest: +SKIP

    References
    ----------
    Jöreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor
    analysis. Psychometrika, 34, 183-202.
    Bollen, K. A. (1989). Structural Equations with Latent Variables. Wiley.
    Browne, M. W., & Cudeck, R. (1993). Alternative ways of assessing model fit. In Bollen & Long
    (Eds.), Testing Structural Equation Models (pp. 136-162). Sage.
    Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure
    analysis. Structural Equation Modeling, 6, 1-55.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2), 1-36.
    Steiger, J. H. (1998). A note on multiple sample extensions of the RMSEA fit index.
    Structural Equation Modeling, 5, 411-419.
    Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and
    covariance structure analysis with nonnormal missing data. Sociological Methodology, 30,
    165-200.
    Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least squares
    and quadratic estimating equations in latent variable modeling with categorical and continuous
    outcomes. Unpublished manuscript.
    """
    estimator, ordered = _ordinal_options(estimator, ordered)
    mm = model if isinstance(model, MeasurementModel) else parse_model(model)
    if ordered is not None or estimator in ORDERED_ESTIMATORS or parameterization != "delta":
        _check_args_cfa_ordered(sample_cov=sample_cov, sample_mean=sample_mean, sample_nobs=sample_nobs)
        opts = {"estimator": estimator, "group": group, "equal": equal, "group_partial": group_partial}
        opts |= {"std_lv": std_lv, "missing": missing, "max_iter": max_iter, "parameterization": parameterization}
        return _cfa_ordered(mm, data, ordered=ordered, **opts)
    equal, group_partial, multigroup = _check_args_cfa(
        data,
        sample_cov=sample_cov,
        sample_mean=sample_mean,
        sample_nobs=sample_nobs,
        estimator=estimator,
        group=group,
        equal=equal,
        group_partial=group_partial,
        missing=missing,
    )
    from emstudy.stats.sem import _fit_sem  # sem.py builds on this module's result and checks: imported here

    sm = _as_sem(mm)
    fit = _fit_sem(
        sm, _layout(sm), data, sample=(sample_cov, sample_mean, sample_nobs), estimator=estimator, group=group,
        equal=equal, group_partial=group_partial, std_lv=std_lv, missing=missing, se="standard",
        meanstructure=multigroup or missing == "fiml", max_iter=max_iter, who="cfa",
    )  # fmt: skip
    fit = dataclasses.replace(fit, model=mm, kind="CFA")
    _warn_heywood(fit)
    return fit


def _cfa_ordered(mm: MeasurementModel, data: pd.DataFrame | None, *, ordered: object, **opts) -> CFAResult:
    """:func:`cfa` with ordered items: :func:`~emstudy.stats.sem.sem`'s fit of the measurement model (its
    checks, its numbers), as ``kind="CFA"``; its warnings are re-issued from the line calling :func:`cfa`,
    their ``"sem: "`` prefix read ``"cfa: "``."""
    from emstudy.stats.sem import sem  # sem.py builds on this module: imported here

    with warnings.catch_warnings(record=True) as caught:  # the caller's filters apply, here and when re-issued
        fit = sem(_as_sem(mm), data, ordered=ordered, **opts)
    for w in caught:
        text = str(w.message)
        warnings.warn("cfa: " + text[5:] if text.startswith("sem: ") else text, w.category, stacklevel=3)
    return dataclasses.replace(fit, model=mm, kind="CFA")


def _check_args_cfa_ordered(*, sample_cov: object, sample_mean: object, sample_nobs: object) -> None:
    """The options of :func:`cfa` that ordered items rule out (the others are checked by
    :func:`~emstudy.stats.sem.sem`)."""
    for arg, obj in (("sample_cov", sample_cov), ("sample_mean", sample_mean), ("sample_nobs", sample_nobs)):
        if obj is not None:
            raise ValueError(
                f"{arg}: ordered items need the raw answers (thresholds and polychoric correlations come from "
                "them); pass data instead of summary statistics"
            )


def _as_sem(mm: MeasurementModel) -> SEMModel:
    """The measurement model as lavaan's model syntax parsed: one ``=~`` statement per indicator, factor
    by factor (every default of lavaan's ``cfa()`` is then the one :func:`~emstudy.stats.sem.sem` applies)."""
    return SEMModel(statements=tuple(Statement(f, "=~", it) for f, items in mm.indicators for it in items))


#: The estimators of ordered items as the summary names them: lavaan's estimator (WLSMV is DWLS with robust
#: standard errors and the scaled-shifted test, ULSMV the same for ULS)
_WLS_NAMES = {
    "WLSMV": "WLSMV: estimator DWLS, robust standard errors, scaled-shifted test",
    "ULSMV": "ULSMV: estimator ULS, robust standard errors, scaled-shifted test",
    "DWLS": "DWLS",
    "ULS": "ULS",
}


def _p(value: float) -> str:
    """A p-value as the summary prints it (lavaan's NA where there is none, e.g. the ULS statistic's)."""
    return f"{value:.4g}" if np.isfinite(value) else "NA"


def _ml_lines(f: FitMeasures) -> list[str]:
    """Summary lines of the test statistics and fit indices of an ML or MLR fit."""
    return [
        f"Chi-square = {f.chisq:.3f}, df = {f.df}, p = {f.pvalue:.4g}",
        *(
            [
                f"Scaled chi-square (Yuan-Bentler) = {f.chisq_scaled:.3f}, scaling factor = "
                f"{f.chisq_scaling_factor:.3f}, p = {f.pvalue_scaled:.4g}"
            ]
            if np.isfinite(f.chisq_scaled)
            else []
        ),
        f"Baseline chi-square = {f.baseline_chisq:.3f}, df = {f.baseline_df}",
        f"CFI = {f.cfi:.3f}   TLI = {f.tli:.3f}",
        f"RMSEA = {f.rmsea:.3f}, 90% CI [{f.rmsea_ci_lower:.3f}, {f.rmsea_ci_upper:.3f}], "
        f"p(RMSEA <= .05) = {f.rmsea_pvalue:.3f}",
        *_robust_lines(f),
        f"SRMR = {f.srmr:.3f}",
        f"Log-likelihood = {f.logl:.3f} (unrestricted {f.unrestricted_logl:.3f})",
        f"AIC = {f.aic:.3f}   BIC = {f.bic:.3f}",
    ]


def _wls_lines(f: FitMeasures) -> list[str]:
    """Summary lines of an ordered-item fit, in the words of lavaan's ``summary()``: the standard test statistic
    and, for WLSMV and ULSMV, the scaled-shifted one (``T / c + b``) with its scaling factor ``c`` and shift
    parameter ``b``; no log-likelihood, AIC or BIC (least squares)."""
    lines = [f"Test statistic (standard) = {f.chisq:.3f}, df = {f.df}, p = {_p(f.pvalue)}"]
    if np.isfinite(f.chisq_scaled):
        lines += [
            f"Test statistic (scaled-shifted) = {f.chisq_scaled:.3f}, df = {f.df}, p = {_p(f.pvalue_scaled)}, "
            f"scaling factor = {f.chisq_scaling_factor:.3f}, shift parameter = {f.chisq_shift_parameter:.3f}"
        ]
    lines += [f"Baseline test statistic (standard) = {f.baseline_chisq:.3f}, df = {f.baseline_df}"]
    if np.isfinite(f.baseline_chisq_scaled):
        lines += [
            f"Baseline test statistic (scaled-shifted) = {f.baseline_chisq_scaled:.3f}, df = {f.baseline_df}, "
            f"scaling factor = {f.baseline_chisq_scaling_factor:.3f}, shift parameter = "
            f"{f.baseline_chisq_shift_parameter:.3f}"
        ]
    lines += [
        f"CFI = {f.cfi:.3f}   TLI = {f.tli:.3f}",
        f"RMSEA = {f.rmsea:.3f}, 90% CI [{f.rmsea_ci_lower:.3f}, {f.rmsea_ci_upper:.3f}], "
        f"p(RMSEA <= .05) = {_p(f.rmsea_pvalue)}",
    ]
    if np.isfinite(f.cfi_scaled):
        lines += [
            f"Scaled: CFI = {f.cfi_scaled:.3f}   TLI = {f.tli_scaled:.3f}   RMSEA = {f.rmsea_scaled:.3f}, 90% CI "
            f"[{f.rmsea_ci_lower_scaled:.3f}, {f.rmsea_ci_upper_scaled:.3f}]"
        ]
    return lines + [f"SRMR = {f.srmr:.3f}   WRMR = {f.wrmr:.3f}"]


def _robust_lines(f: FitMeasures) -> list[str]:
    """Summary lines of the scaled (MLR) and robust (MLR, FIML) fit indices, where the fit has them."""
    lines = []
    if np.isfinite(f.cfi_scaled):
        lines += [
            f"Scaled: CFI = {f.cfi_scaled:.3f}   TLI = {f.tli_scaled:.3f}   RMSEA = {f.rmsea_scaled:.3f}, 90% CI "
            f"[{f.rmsea_ci_lower_scaled:.3f}, {f.rmsea_ci_upper_scaled:.3f}] (baseline scaling factor "
            f"{f.baseline_chisq_scaling_factor:.3f})"
        ]
    if np.isfinite(f.cfi_robust):
        lines += [
            f"Robust: CFI = {f.cfi_robust:.3f}   TLI = {f.tli_robust:.3f}   RMSEA = {f.rmsea_robust:.3f}, 90% CI "
            f"[{f.rmsea_ci_lower_robust:.3f}, {f.rmsea_ci_upper_robust:.3f}], p(RMSEA <= .05) = "
            f"{f.rmsea_pvalue_robust:.3f}"
        ]
    return lines


# --------------------------------------------------------------------------------------------
# the parts of cfa(): argument checks, identification, standard errors, table, warnings
# --------------------------------------------------------------------------------------------
def _check_args_cfa(
    data: pd.DataFrame | None,
    *,
    sample_cov: object,
    sample_mean: object,
    sample_nobs: object,
    estimator: str,
    group: str | None,
    equal: Iterable[str],
    group_partial: Iterable[str],
    missing: str = "listwise",
) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Check the options of :func:`cfa` against each other; return ``equal`` and
    ``group_partial`` as tuples and whether the model has several groups."""
    if estimator not in ("ML", "MLR"):
        raise ValueError(
            f"estimator: expected 'ML' or 'MLR' (or, with ordered=True, 'WLSMV', 'DWLS', 'ULSMV' or 'ULS'), got "
            f"{estimator!r}"
        )
    if missing not in ("listwise", "fiml"):
        raise ValueError(
            f"missing: expected 'listwise' (drop incomplete rows) or 'fiml' (full-information ML), got {missing!r}"
        )
    if missing == "fiml" and data is None:
        raise ValueError("missing: 'fiml' needs raw data (one row per respondent); pass data instead of sample_cov")
    if data is None and sample_cov is None:
        raise ValueError(
            "data: no input; pass data (one row per respondent) or sample_cov with sample_nobs (summary statistics)"
        )
    if data is not None and sample_cov is not None:
        raise ValueError("data, sample_cov: pass one of them, not both (raw data or summary statistics)")
    if data is not None:
        for arg, obj in (("sample_mean", sample_mean), ("sample_nobs", sample_nobs)):
            if obj is not None:
                raise ValueError(
                    f"{arg}: only used with sample_cov; with data the means and the number of "
                    "observations come from the data"
                )
    else:
        if estimator == "MLR":
            raise ValueError(
                "estimator: 'MLR' needs raw data (its standard errors and scaled chi-square use "
                "every observation); pass data instead of sample_cov, or use estimator='ML'"
            )
        if group is not None:
            raise ValueError(
                "group: names a column of data; with sample_cov the groups are the keys of a "
                "mapping group -> covariance matrix, so leave group unset"
            )
    multigroup = group is not None or isinstance(sample_cov, Mapping)
    equal = (equal,) if isinstance(equal, str) else tuple(equal)
    for e in equal:
        if e not in _EQUAL_OPTIONS:
            raise ValueError(f"equal: unknown constraint {e!r}; expected one of {_EQUAL_OPTIONS}")
    if equal and not multigroup:
        raise ValueError(
            "equal: group constraints need several groups (group=... with data, or sample_cov "
            "as a mapping group -> matrix)"
        )
    group_partial = (group_partial,) if isinstance(group_partial, str) else tuple(group_partial)
    return equal, group_partial, multigroup


def _check_identified(
    table: list[_Par],
    nfree: int,
    mm: MeasurementModel,
    ns: Sequence[int],
    *,
    group_partial: Sequence[str],
    meanstructure: bool,
) -> None:
    """Check that ``group_partial`` names parameters and that df >= 0; warn
    (:class:`~emstudy.errors.SampleSizeWarning`) when N is not above the free parameters."""
    for gp in group_partial:
        key = gp.replace(" ", "")
        if not any(f"{t.lhs}{t.op}{t.rhs}" == key for t in table):
            raise ValueError(f"group_partial: {gp!r} is not a parameter of the model")
    p = len(mm.observed)
    N = sum(ns)
    moments = len(ns) * (p * (p + 1) // 2 + (p if meanstructure else 0))
    if moments - nfree < 0:
        raise ValueError(
            f"model: not identified, {nfree} free parameters for {moments} sample moments "
            f"(df = {moments - nfree}); add indicators or constraints"
        )
    if N <= nfree:
        # ML needs a positive definite sample covariance matrix (N > observed variables, checked above), not
        # N > free parameters; lavaan fits such models too. Estimates and SEs are unstable at this ratio.
        warnings.warn(
            f"cfa: {N} observations for {nfree} free parameters (N/q = {N / nfree:.2f}); estimates and standard "
            "errors are unstable at this ratio (rules of thumb ask for N/q of 5-10 or more)",
            SampleSizeWarning,
            stacklevel=4,  # _fit_sem <- cfa() or sem() <- the caller
        )


def _analytic_hessian(eng: _Engine, x: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The analytic Hessian of F (``N / 2`` times the observed information) of one group's complete rows
    ``X`` with saturated means: that of the FIML machinery with one pattern (lavaan's observed information of
    MLR); raises ``numpy.linalg.LinAlgError`` where F is not defined."""
    return _FIMLEngine(eng, _patterns(X, 0), 0.0).hessian(x)


def _standard_errors(
    eng: _Engine, x: np.ndarray, fm: FitMeasures, *, estimator: str, N: int, blocks: Sequence[np.ndarray]
) -> tuple[np.ndarray, FitMeasures]:
    """Standard errors of the free parameters, and ``fm`` with the scaled chi-square for MLR.

    ML: cov = (N/2 * H)^-1 with H the expected Hessian of F_ML. MLR: the sandwich A^-1 B A^-1
    with A the observed information (the analytic Hessian of the casewise likelihood, of the FIML
    machinery with one pattern) and B the cross-product of the case scores, and the
    Yuan-Bentler scaling factor. A singular information matrix gives NaN standard errors and a
    :class:`~emstudy.errors.ModelWarning`.
    """
    try:
        H = eng.info(x) if estimator == "ML" else _analytic_hessian(eng, x, blocks[0])
        cov = np.linalg.inv(N / 2.0 * H)
        if estimator == "MLR":
            sc = _case_scores(eng, x, blocks[0])
            B0 = sc.T @ sc
            cov = cov @ B0 @ cov
        if estimator == "MLR" and fm.df > 0:  # a saturated model has no test to scale (lavaan: NA)
            c = _saturated_trace(blocks[0], eng.S[0]) - np.trace(np.linalg.solve(N / 2.0 * H, B0))
            c = c / fm.df
            fm = dataclasses.replace(
                fm,
                chisq_scaled=fm.chisq / c,
                chisq_scaling_factor=float(c),
                pvalue_scaled=float(stats.chi2.sf(fm.chisq / c, fm.df)),
            )
            fm = _robust_listwise(fm, blocks)
        if np.min(np.linalg.eigvalsh(H)) <= 1e-10 * max(1.0, np.max(np.abs(H))):
            raise np.linalg.LinAlgError
        se_free = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        warnings.warn(
            "cfa: the information matrix is singular; the model may not be identified and "
            "standard errors are not available",
            ModelWarning,
            stacklevel=4,  # _fit_sem <- cfa() or sem() <- the caller
        )
        se_free = np.full(eng.nfree, np.nan)
    return se_free, fm


def _wald_columns(params: pd.DataFrame, ok: np.ndarray, *, intervals: bool = True) -> None:
    """Fill ``z`` and ``pvalue`` (and, with ``intervals``, the 95% Wald ``ci_lower``/``ci_upper``) of a parameter
    table in place, as lavaan's ``parameterEstimates``; ``z`` only where ``ok`` (free or defined, SE > 0)."""
    params["z"] = np.where(ok, params["est"] / params["se"].where(ok, 1.0), np.nan)
    params["pvalue"] = 2 * stats.norm.sf(np.abs(params["z"]))
    if intervals:
        zcrit = stats.norm.ppf(0.975)
        params["ci_lower"] = params["est"] - zcrit * params["se"]
        params["ci_upper"] = params["est"] + zcrit * params["se"]


def _warn_negative_variances(params: pd.DataFrame, *, causes: str, stacklevel: int) -> None:
    """A :class:`~emstudy.errors.HeywoodWarning` per negative (residual) variance estimate of ``params`` (sem's
    table), ``causes`` naming the likely reasons; ``stacklevel`` points at the user's call."""
    neg = params[(params["op"] == "~~") & (params["lhs"] == params["rhs"]) & (params["est"] < 0)]
    for _, r in neg.iterrows():
        warnings.warn(
            f"sem: Heywood case: negative (residual) variance of {r['lhs']!r} ({r['est']:.3f}); the solution is "
            f"improper ({causes})",
            HeywoodWarning,
            stacklevel=stacklevel + 1,
        )


def _warn_heywood(fit: CFAResult) -> None:
    """A :class:`~emstudy.errors.HeywoodWarning` per negative residual variance of an item and per standardized
    loading above 1 (:func:`~emstudy.stats.cfa.standardized.improper_estimates`), naming the item (and the
    group)."""
    from emstudy.stats.cfa.standardized import improper_estimates

    observed = set(fit.model.observed)
    groups = [str(g) for g in fit.groups]
    rank = {"negative_variance": 0, "std_loading_above_one": 1}  # per group: variances first, then loadings
    found = [e for e in improper_estimates(fit) if e.kind in rank]
    found.sort(key=lambda e: (groups.index(e.group) if e.group is not None else 0, rank[e.kind]))
    for e in found:
        where = f" in group {e.group!r}" if e.group is not None else ""
        if e.kind == "negative_variance" and e.lhs in observed:
            message = (
                f"cfa: Heywood case{where}: negative residual variance for item {e.lhs!r} ({e.value:.3f}); the "
                "solution is improper (too few items per factor, a misspecified model or outliers)"
            )
        elif e.kind == "std_loading_above_one":
            message = (
                f"cfa: Heywood case{where}: standardized loading of item {e.rhs!r} on {e.lhs!r} is {e.value:.3f} "
                "(> 1); the solution is improper"
            )
        else:
            continue  # a negative factor variance: sem's own warnings name it
        warnings.warn(message, HeywoodWarning, stacklevel=3)
