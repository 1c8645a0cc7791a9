"""Confirmatory factor analysis (maximum likelihood) and measurement invariance across groups.

The conventions follow R lavaan's defaults so that results can be checked against it:

* the first indicator of each factor has its loading fixed to 1 (marker variable), unless
  ``std_lv=True`` (factor variances fixed to 1, all loadings free);
* factor covariances are free; residual variances are free and unbounded (Heywood cases are
  reported, not hidden);
* ML on the biased covariance matrix (divided by N), ``likelihood="normal"``; the test statistic is
  ``sum_g N_g * F_g`` (N_g, not N_g - 1);
* a mean structure only when ``group`` is given: intercepts free, latent means fixed to 0, except
  that latent means are free in all groups but the first when intercepts are constrained equal;
* standard errors from the expected information matrix;
* summary-statistics input (``sample_cov``, ``sample_mean``, ``sample_nobs``, as lavaan's
  ``sample.cov`` etc.): each matrix is taken as unbiased (divisor N - 1) and multiplied by
  (N - 1) / N, lavaan's default ``sample.cov.rescale = TRUE``, so that the fit equals the fit to
  the raw data the matrix came from.

Only the measurement part of lavaan's syntax is understood (``factor =~ item1 + item2``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.errors import ConvergenceWarning, HeywoodWarning, ModelWarning, SampleSizeWarning
from emstudy.stats.cfa._data import _prepare_data, _prepare_fiml_blocks, _prepare_moments
from emstudy.stats.cfa.engine import _build_table, _case_scores, _Engine, _optimize, _Par, _start_values
from emstudy.stats.cfa.fiml import _fiml_data, _FIMLEngine, _fit_fiml, _patterns
from emstudy.stats.cfa.fit import FitMeasures, _fit_measures, _saturated_trace
from emstudy.stats.cfa.robust import _robust_fiml, _robust_listwise
from emstudy.stats.cfa.semsyntax import SEMModel
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
        One row per parameter: ``lhs, op, rhs, group, group_label, free, est, se, z, pvalue,
        ci_lower, ci_upper, std_all`` (lavaan's ``parameterEstimates`` plus ``std.all``).
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
        ``"CFA"`` (from :func:`cfa`) or ``"SEM"`` (from :func:`~emstudy.stats.sem.sem`, whose
        ``params`` add the columns ``label`` and ``std_lv`` and the ``:=`` rows).
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
        """A readable text summary: fit measures and parameter estimates."""
        f = self.fit
        eq = f", equal={list(self.equal)}" if self.equal else ""
        head = [
            f"{self.kind} ({self.estimator}{', FIML' if self.missing == 'fiml' else ''}), {'converged' if self.converged else 'NOT converged'} "
            f"after {self.iterations} iterations{eq}",
            f"Groups: {', '.join(f'{g} (n={n})' for g, n in zip(self.groups, self.n_obs))}"
            if len(self.groups) > 1
            else f"Observations: {self.n_obs[0]}",
            f"Free parameters: {f.npar}",
            "",
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
            "",
        ]
        cols = ["lhs", "op", "rhs", "est", "se", "z", "pvalue", "std_all"]
        if "label" in self.params.columns:
            cols = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "std_lv", "std_all"]
        if len(self.groups) > 1:
            cols = ["group_label"] + cols
        table = self.params[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}")
        return "\n".join(head) + table

    def __repr__(self) -> str:
        grp = f", groups={list(self.groups)}" if len(self.groups) > 1 else ""
        return (
            f"CFAResult(factors={list(self.model.factors)}, n={sum(self.n_obs)}{grp}, "
            f"chisq={self.fit.chisq:.3f}, df={self.fit.df}, CFI={self.fit.cfi:.3f}, "
            f"RMSEA={self.fit.rmsea:.3f}, SRMR={self.fit.srmr:.3f}, converged={self.converged})"
        )


def cfa(
    model: str | MeasurementModel,
    data: pd.DataFrame | None = None,
    *,
    sample_cov: pd.DataFrame | Mapping[object, pd.DataFrame] | None = None,
    sample_mean: pd.Series | Mapping[object, pd.Series] | None = None,
    sample_nobs: int | Mapping[object, int] | None = None,
    estimator: str = "ML",
    group: str | None = None,
    equal: Iterable[str] = (),
    group_partial: Iterable[str] = (),
    std_lv: bool = False,
    missing: str = "listwise",
    max_iter: int = 1000,
) -> CFAResult:
    """Confirmatory factor analysis by maximum likelihood, with lavaan's defaults.

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
    estimator : {"ML", "MLR"}
        ``"ML"``: maximum likelihood with the biased sample covariance (lavaan
        ``likelihood="normal"``), standard errors from the expected information.
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
        ``data``.
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

    Returns
    -------
    CFAResult
        Estimates with standard errors from the expected information, std.all solution and fit
        measures (chi-square, CFI, TLI, RMSEA with 90% CI and p-close, SRMR, AIC, BIC, logl).

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
    Steiger, J. H. (1998). A note on multiple sample extensions of the RMSEA fit index.
    Structural Equation Modeling, 5, 411-419.
    Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and
    covariance structure analysis with nonnormal missing data. Sociological Methodology, 30,
    165-200.
    """
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
    mm = model if isinstance(model, MeasurementModel) else parse_model(model)
    moments = (sample_cov, sample_mean, sample_nobs) if missing == "listwise" else None
    labels, S, means, ns, blocks, fd = _inputs(mm, data, group, moments, mlr_groups=estimator == "MLR" and multigroup)
    meanstructure = multigroup or fd is not None
    table, nfree = _build_table(
        mm, len(S), meanstructure=meanstructure, equal=equal, partial=group_partial, std_lv=std_lv
    )
    _check_identified(table, nfree, mm, ns, group_partial=group_partial, meanstructure=meanstructure)
    p, m = len(mm.observed), len(mm.factors)
    eng = _Engine(table, nfree, p, m, S, means, ns, meanstructure)
    x0 = _start_values(table, nfree, S, std_lv, means)
    if fd is not None:
        x, converged, nit, fm, cov = _fit_fiml(eng, fd, x0, table, estimator=estimator, max_iter=max_iter, who="cfa")
        se_free = np.sqrt(np.clip(np.diag(cov), 0, None))
        fm = _robust_fiml(eng, x, fd, fm, estimator=estimator) if missing == "fiml" else _robust_listwise(fm, blocks)
    else:
        x, converged, nit = _optimize(eng, x0, max_iter)
    if not converged:
        warnings.warn(
            "cfa: the optimizer did not converge; estimates are unreliable. Check that every "
            "factor has at least 3 indicators (or 2 with a correlated factor), that variables are "
            "on similar scales (rescale large variances), and try std_lv=True.",
            ConvergenceWarning,
            stacklevel=2,
        )
    if fd is None:
        fm = _fit_measures(eng, x, eng.fmin(x))
        se_free, fm = _standard_errors(eng, x, fm, estimator=estimator, N=sum(ns), blocks=blocks)

    obs = mm.observed
    implied = [eng.implied(x, g)[0] for g in range(len(S))]
    mats = [eng.matrices(x, g) for g in range(len(S))]
    params = _param_table(table, x, se_free, implied, mats, labels, multigroup=multigroup)
    _warn_heywood(mm, implied, mats, labels, multigroup=multigroup)
    return CFAResult(
        model=mm,
        estimator=estimator,
        groups=tuple(labels),
        n_obs=tuple(ns),
        params=params,
        fit=fm,
        converged=converged,
        iterations=nit,
        equal=equal,
        group_partial=group_partial,
        std_lv=std_lv,
        implied_cov=tuple(pd.DataFrame(s, index=obs, columns=obs) for s in implied),
        sample_cov=tuple(pd.DataFrame(s, index=obs, columns=obs) for s in S),
        missing=missing,
    )


def _inputs(
    mm: MeasurementModel, data: pd.DataFrame | None, group: str | None, moments: tuple | None, *, mlr_groups: bool
):
    """Per-group labels, covariance matrices, means, sizes, complete-row blocks and the FIML data: of the
    incomplete rows (``moments=None``: ``missing="fiml"``), of the complete rows, or of the summary
    statistics ``moments = (sample_cov, sample_mean, sample_nobs)`` when ``data`` is None. With
    ``mlr_groups`` (MLR, several groups, listwise) the FIML machinery is set up on the complete rows
    (one pattern per group): it is the listwise ML fit with a mean structure, with the analytic observed
    information and casewise scores of every group."""
    if moments is None:
        fd = _fiml_data(*_prepare_fiml_blocks(mm, data, group), len(mm.observed))
        return fd.labels, fd.S, fd.means, fd.ns, [], fd
    if data is None:
        return (*_prepare_moments(mm, *moments), [], None)
    labels, S, means, ns, blocks = _prepare_data(mm, data, group, raw=True)
    fd = dataclasses.replace(_fiml_data(labels, blocks, len(mm.observed)), S=S, means=means) if mlr_groups else None
    return labels, S, means, ns, blocks, fd


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
        raise ValueError(f"estimator: expected 'ML' or 'MLR', got {estimator!r}")
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
            stacklevel=3,
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
            stacklevel=3,
        )
        se_free = np.full(eng.nfree, np.nan)
    return se_free, fm


def _std_all(t: _Par, est: float, mats: tuple, Sig: np.ndarray) -> float:
    """lavaan's ``std.all`` value of one parameter (latent and observed variables standardized)."""
    L, T, P, nu, a = mats
    if t.mat == "L":
        std = est * np.sqrt(P[t.col, t.col]) / np.sqrt(Sig[t.row, t.row])
    elif t.mat == "T":
        std = est / Sig[t.row, t.row]
    elif t.mat == "P":
        std = est / np.sqrt(P[t.row, t.row] * P[t.col, t.col])
    elif t.mat == "nu":
        std = est / np.sqrt(Sig[t.row, t.row])
    else:
        std = est / np.sqrt(P[t.row, t.row])
    return float(std)


def _param_table(
    table: list[_Par],
    x: np.ndarray,
    se_free: np.ndarray,
    implied: list[np.ndarray],
    mats: list[tuple],
    labels: list[str],
    *,
    multigroup: bool,
) -> pd.DataFrame:
    """lavaan's ``parameterEstimates`` with ``std.all``: one row per parameter, 95% Wald
    intervals; without groups the columns ``group`` and ``group_label`` are dropped."""
    rows = []
    zcrit = stats.norm.ppf(0.975)
    for t in table:
        est = float(x[t.free]) if t.free >= 0 else t.value
        se = float(se_free[t.free]) if t.free >= 0 else 0.0
        z = est / se if t.free >= 0 and se > 0 else np.nan
        pv = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
        std = _std_all(t, est, mats[t.group], implied[t.group])
        rows.append(
            {
                "lhs": t.lhs,
                "op": t.op,
                "rhs": t.rhs,
                "group": t.group + 1,
                "group_label": labels[t.group],
                "free": t.free >= 0,
                "est": est,
                "se": se,
                "z": z,
                "pvalue": pv,
                "ci_lower": est - zcrit * se,
                "ci_upper": est + zcrit * se,
                "std_all": std,
            }
        )
    params = pd.DataFrame(rows)
    if not multigroup:
        params = params.drop(columns=["group", "group_label"])
    return params


def _warn_heywood(
    mm: MeasurementModel, implied: list[np.ndarray], mats: list[tuple], labels: list[str], *, multigroup: bool
) -> None:
    """A :class:`~emstudy.errors.HeywoodWarning` per negative residual variance and per
    standardized loading above 1, naming the item (and the group)."""
    obs, facs = mm.observed, mm.factors
    for g in range(len(mats)):
        where = f" in group {labels[g]!r}" if multigroup else ""
        L, T, P, nu, a = mats[g]
        for j, it in enumerate(obs):
            if T[j, j] < 0:
                warnings.warn(
                    f"cfa: Heywood case{where}: negative residual variance for item {it!r} "
                    f"({T[j, j]:.3f}); the solution is improper (too few items per factor, "
                    "a misspecified model or outliers)",
                    HeywoodWarning,
                    stacklevel=3,
                )
        Lstd = L * np.sqrt(np.clip(np.diag(P), 0, None))[None, :] / np.sqrt(np.abs(np.diag(implied[g])))[:, None]
        for j, it in enumerate(obs):
            for k, f in enumerate(facs):
                if abs(Lstd[j, k]) > 1.0:
                    warnings.warn(
                        f"cfa: Heywood case{where}: standardized loading of item {it!r} on "
                        f"{f!r} is {Lstd[j, k]:.3f} (> 1); the solution is improper",
                        HeywoodWarning,
                        stacklevel=3,
                    )
