"""Analyses of a planning study: what one replication tests on the data a population drew.

Every analysis is a frozen dataclass, ``analysis(data) -> Outcome`` (:class:`~emstudy.planning.outcome.Outcome`),
with the names of its targets in ``targets``; the engine (:mod:`emstudy.planning.engine`) counts how often each
target is reached. The statistics are emstudy's own, as the study computes them:

* :class:`BelowOthers`: the study's weakness verdict (notebook 05's ``below_others``): Welch's t-test of the
  place against all other places pooled per construct, Holm over the place's constructs, *below* when the
  adjusted p < ``alpha`` and the place's mean is lower. Targets ``below:<construct>``.
* :class:`WelchDifference`: one such Welch test, unadjusted, two- or one-sided. Target ``welch:<construct>``.
* :class:`DriverCoefficient`: OLS with HC3 standard errors (:func:`emstudy.stats.drivers`, as notebook 04's
  drivers). Targets ``driver:<predictor>``.
* :class:`CFAFit`: ML CFA (:func:`emstudy.stats.cfa`); the RMSEA tests of close and of not-close fit
  (MacCallum, Browne & Sugawara 1996) and the precision of the standardized loadings. Targets
  ``rmsea_close``, ``rmsea_not_close``, ``loadings_precise``.
* :class:`InvarianceStep`: the chi-square difference test of one invariance step across groups
  (:func:`emstudy.stats.chisq_difference`). Target ``reject:<level>``.
* :class:`IndirectEffect`: a defined parameter's delta-method z test (:func:`emstudy.stats.sem`). Target
  ``indirect:<label>``.

Warnings of the estimators are silenced by category (:class:`~emstudy.errors.EmstudyWarning`): a planning
study counts non-convergence and improper solutions in the :class:`~emstudy.planning.outcome.Outcome` instead.
A model fit that raises on a replication's data (a singular covariance matrix, an optimizer that met
non-finite values) counts as not converged; data without the model's columns is an error.

References
----------
Welch, B. L. (1947). The generalization of Student's problem when several different population variances
are involved. *Biometrika*, 34, 28-35.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Statist.*, 6, 65-70.
Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors in the linear
regression model. *The American Statistician*, 54(3), 217-224.
MacCallum, R. C., Browne, M. W., & Sugawara, H. M. (1996). Power analysis and determination of sample size
for covariance structure modeling. *Psychological Methods*, 1(2), 130-149.
Muthén, L. K., & Muthén, B. O. (2002). How to use a Monte Carlo study to decide on sample size and
determine power. *Structural Equation Modeling*, 9(4), 599-620.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.errors import EmstudyError, EmstudyWarning
from emstudy.planning.outcome import Outcome
from emstudy.stats.cfa import cfa, chisq_difference, improper_estimates, parse_model, parse_sem, std_loading_se
from emstudy.stats.groups import WelchTest, welch_test
from emstudy.stats.multitest import holm
from emstudy.stats.regression import drivers, ols_coefficients
from emstudy.stats.sem import sem

__all__ = ["BelowOthers", "WelchDifference", "DriverCoefficient", "CFAFit", "InvarianceStep", "IndirectEffect"]

_ALTERNATIVES = ("two-sided", "less", "greater")


def _check_alpha(alpha: float) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise EmstudyError(f"alpha: expected a level in (0, 1), got {alpha!r}")


def _check_frame(data: object, columns: Sequence[str]) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise EmstudyError(f"data: expected a pandas DataFrame from the population, got {type(data).__name__}")
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise EmstudyError(f"data: column(s) {absent} not found; available: {list(data.columns)}")
    return data


def _sides(data: pd.DataFrame, case_col: str, place: str) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the place's rows and of the other places' rows (a row without a place is in neither)."""
    labels = data[case_col].astype(object)
    mine = (labels == place).to_numpy()
    return mine, ~mine & labels.notna().to_numpy()


def _welch_columns(
    data: pd.DataFrame, case_col: str, place: str, columns: Sequence[str], *, alternative: str = "two-sided"
) -> list[WelchTest]:
    """Welch's test (:func:`emstudy.stats.welch_test`, notebook 05's arithmetic) of each column, the place
    against the others pooled (missing scores left out)."""
    mine, others = _sides(data, case_col, place)
    x = data[list(columns)].to_numpy(dtype=float)
    out = []
    for j in range(x.shape[1]):
        a, b = x[mine, j], x[others, j]
        out.append(welch_test(a[~np.isnan(a)], b[~np.isnan(b)], alternative=alternative))
    return out


@dataclass(frozen=True)
class BelowOthers:
    """The study's weakness verdict for one place (notebook 05's ``below_others``, the same arithmetic).

    For each construct, Welch's t-test of ``place`` against all other places pooled (two-sided), Holm's
    adjustment over the constructs given, and *below* when the adjusted p < ``alpha`` and the place's mean
    is lower: target ``below:<construct>``. The data need ``case_col`` and the construct columns.

    References
    ----------
    Welch, B. L. (1947). *Biometrika*, 34, 28-35. Holm, S. (1979). *Scand. J. Statist.*, 6, 65-70.
    """

    place: str
    constructs: tuple[str, ...]
    alpha: float = 0.05
    case_col: str = "case"

    def __post_init__(self) -> None:
        object.__setattr__(self, "constructs", tuple(self.constructs))
        if not self.constructs:
            raise EmstudyError("constructs: expected at least one construct column")
        _check_alpha(self.alpha)

    @property
    def targets(self) -> tuple[str, ...]:
        """``below:<construct>`` for each construct."""
        return tuple(f"below:{c}" for c in self.constructs)

    def __call__(self, data: pd.DataFrame) -> Outcome:
        data = _check_frame(data, [self.case_col, *self.constructs])
        tests = _welch_columns(data, self.case_col, self.place, self.constructs)
        diff = np.array([r.diff for r in tests])
        adjusted = holm(np.array([r.pvalue for r in tests]))
        below = (adjusted < self.alpha) & (diff < 0)
        success = {f"below:{c}": bool(below[i]) for i, c in enumerate(self.constructs)}
        return Outcome(success, values={f"diff:{c}": float(diff[i]) for i, c in enumerate(self.constructs)})


@dataclass(frozen=True)
class WelchDifference:
    """Welch's t-test of one construct, ``place`` against all other places pooled (no adjustment).

    ``alternative`` ``"less"``: the place's mean is lower (``"greater"``: higher); target
    ``welch:<construct>`` when p < ``alpha``. Its power is the analytic Welch power
    (:func:`emstudy.stats.welch_power`) up to the t approximation.

    References
    ----------
    Welch, B. L. (1947). The generalization of Student's problem when several different population variances
    are involved. *Biometrika*, 34, 28-35.
    """

    place: str
    construct: str
    alpha: float = 0.05
    alternative: str = "two-sided"
    case_col: str = "case"

    def __post_init__(self) -> None:
        _check_alpha(self.alpha)
        if self.alternative not in _ALTERNATIVES:
            raise EmstudyError(f"alternative: expected one of {_ALTERNATIVES}, got {self.alternative!r}")

    @property
    def targets(self) -> tuple[str, ...]:
        """``welch:<construct>``."""
        return (f"welch:{self.construct}",)

    def __call__(self, data: pd.DataFrame) -> Outcome:
        data = _check_frame(data, [self.case_col, self.construct])
        r = _welch_columns(data, self.case_col, self.place, [self.construct], alternative=self.alternative)[0]
        return Outcome({self.targets[0]: bool(r.pvalue < self.alpha)}, values=r._asdict())


@dataclass(frozen=True)
class DriverCoefficient:
    """Drivers of an outcome by OLS with HC3 standard errors, as notebook 04 (:func:`emstudy.stats.drivers`).

    Target ``driver:<predictor>`` for each of ``predictors``: its coefficient's p < ``alpha`` and, when
    ``signs`` gives the population's sign of the predictor (+1 or -1), the estimate has that sign (None: any
    sign). ``covariates`` enter the model without being targets (e.g. the other constructs and role, listed
    in ``categorical`` to be dummy-coded). Incomplete rows are dropped (listwise), as notebook 04.

    References
    ----------
    Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors in the linear
    regression model. *The American Statistician*, 54(3), 217-224.
    """

    outcome: str
    predictors: tuple[str, ...]
    alpha: float = 0.05
    covariates: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    signs: Mapping[str, int] | None = None

    def __post_init__(self) -> None:
        for name in ("predictors", "covariates", "categorical"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.predictors:
            raise EmstudyError("predictors: expected at least one predictor column")
        _check_alpha(self.alpha)
        bad = {k: v for k, v in dict(self.signs or {}).items() if k not in self.predictors or v not in (1, -1)}
        if bad:
            raise EmstudyError(f"signs: expected +1 or -1 for predictors among {list(self.predictors)}, got {bad}")

    @property
    def targets(self) -> tuple[str, ...]:
        """``driver:<predictor>`` for each predictor."""
        return tuple(f"driver:{p}" for p in self.predictors)

    def __call__(self, data: pd.DataFrame) -> Outcome:
        columns = list(dict.fromkeys([self.outcome, *self.predictors, *self.covariates]))
        data = _check_frame(data, columns)
        with _quiet():
            fit = _driver_fit(data, self.outcome, self.predictors, self.covariates, self.categorical)
            if fit is None:  # what drivers() rejects: it raises its own error, counted as a failed replication
                res = drivers(data[columns], outcome=self.outcome, predictors=self.predictors, covariates=self.covariates,
                              categorical=self.categorical, cov_type="HC3", missing="listwise")  # fmt: skip
                fit = res.table["coef"].to_dict(), res.table["pvalue"].to_dict()
        coefs, pvalues = fit
        signs = dict(self.signs or {})
        success = {}
        for p in self.predictors:
            coef, pvalue = float(coefs[p]), float(pvalues[p])
            success[f"driver:{p}"] = bool(pvalue < self.alpha and (p not in signs or np.sign(coef) == signs[p]))
        return Outcome(success, values={f"coef:{p}": float(coefs[p]) for p in self.predictors})


def _driver_fit(
    data: pd.DataFrame, outcome: str, predictors: Sequence[str], covariates: Sequence[str], categorical: Sequence[str]
) -> tuple[dict[str, float], dict[str, float]] | None:
    """The predictors' HC3 coefficients and t-test p values (``df_resid`` df) on drivers()' design, by
    :func:`emstudy.stats.ols_coefficients` (drivers() builds a table, betas and VIFs: 30 times slower).

    The design is drivers()': listwise deletion over the outcome and every term, an intercept, the numeric
    terms (predictors, then covariates not among them), then each categorical term's dummies (first level of
    the category order, else of the sorted values, as reference). None for anything drivers() rejects or
    that is not plain (a categorical predictor, a non-numeric column, one level, a collinear design, a
    leverage of 1): the caller then runs drivers() itself (which raises the error the replication counts as
    failed, or fits as before)."""
    terms = [*predictors, *(c for c in covariates if c not in predictors)]
    if outcome in terms or any(c in categorical for c in predictors) or any(c not in terms for c in categorical):
        return None
    if not data.columns.is_unique or any(
        len(set(names)) < len(names) for names in (predictors, covariates, categorical)
    ):
        return None
    numeric = [outcome, *(c for c in terms if c not in categorical)]
    cats = [c for c in terms if c in categorical]
    series = [data[c] for c in numeric]
    if any(not (isinstance(x.dtype, np.dtype) and x.dtype.kind in "biuf") for x in series):
        return None  # not a plain numeric column (drivers() converts nullable and extension types, or rejects)
    values = np.column_stack([x.to_numpy(dtype=float) for x in series])
    keep = ~np.isnan(values).any(axis=1)
    for c in cats:
        keep &= data[c].notna().to_numpy()
    values = values[keep]
    parts = [np.ones(len(values)), values[:, 1:]]
    for c in cats:
        col = data[c][keep]
        if isinstance(col.dtype, pd.CategoricalDtype):
            present = set(col.unique())
            levels = [lev for lev in col.cat.categories if lev in present]
        else:
            levels = sorted(col.unique().tolist())
        if len(levels) < 2:
            return None
        parts += [(col == lev).to_numpy(dtype=float) for lev in levels[1:]]
    try:
        coef, se, df_resid = ols_coefficients(values[:, 0], np.column_stack(parts))
    except ValueError:
        return None
    if not np.isfinite(se).all():  # a leverage of 1 (a dummy's only case): drivers()' own arithmetic decides
        return None
    k = len(predictors)
    pvalue = 2 * stats.t.sf(np.abs(coef[1 : k + 1] / se[1 : k + 1]), df_resid)
    return dict(zip(predictors, coef[1 : k + 1])), dict(zip(predictors, pvalue))


#: What an estimator raises when a replication's data cannot be fitted (a singular sample covariance matrix,
#: an optimizer that ran into non-finite values): counted as not converged, as simsem counts it.
_FIT_ERRORS = (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """One replication's fit without its warnings: emstudy's by category (the Outcome counts non-convergence
    and improper solutions) and numpy's floating-point ones (an optimizer's overflow on a degenerate sample)."""
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", EmstudyWarning)
        yield


def _not_converged(targets: Sequence[str]) -> Outcome:
    return Outcome(dict.fromkeys(targets, False), converged=False)


def _improper(fit) -> bool:
    """A negative variance, or a standardized loading or factor correlation beyond 1
    (:func:`emstudy.stats.improper_estimates`, the rule of the CFA's own Heywood warnings)."""
    return bool(improper_estimates(fit))


@dataclass(frozen=True)
class CFAFit:
    """A CFA of the data by ML (:func:`emstudy.stats.cfa`, lavaan's ``cfa()`` defaults; incomplete rows
    dropped, or ``missing="fiml"`` as notebook 03's CFA, slower).

    Targets:

    * ``rmsea_close``: the test of close fit rejects, ``H0: eps <= rmsea0``: ``p = P(chi2(df, ncp0) >= T) <
      alpha``;
    * ``rmsea_not_close``: the test of not-close fit rejects, ``H0: eps >= rmsea0``: ``p = P(chi2(df, ncp0)
      <= T) < alpha`` (evidence that the fit is close);
    * ``loadings_precise``: every standardized loading's ``conf_level`` interval is narrower than
      ``ci_width``.

    ``T`` is the ML chi-square (``N F_ML``) and ``ncp0 = N df rmsea0^2``, lavaan's convention for its RMSEA
    and ``rmsea.pvalue`` (N, not N - 1; MacCallum et al. 1996 write N - 1: the difference is one
    respondent). The interval of a standardized loading is lavaan's ``standardizedSolution()`` Wald
    interval: its standard error by the delta method (:func:`emstudy.stats.std_loading_se`). ``converged`` and
    ``improper`` (a negative variance, a standardized loading or factor correlation beyond 1) come from the
    fit.

    References
    ----------
    MacCallum, R. C., Browne, M. W., & Sugawara, H. M. (1996). Power analysis and determination of sample
    size for covariance structure modeling. *Psychological Methods*, 1(2), 130-149.
    """

    model: str
    rmsea0: float = 0.05
    ci_width: float = 0.2
    alpha: float = 0.05
    conf_level: float = 0.95
    missing: str = "listwise"
    _observed: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            mm = parse_model(self.model)
        except ValueError as exc:
            raise EmstudyError(f"model: {exc}") from None
        object.__setattr__(self, "_observed", tuple(mm.observed))
        _check_alpha(self.alpha)
        for name in ("rmsea0", "ci_width"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise EmstudyError(f"{name}: expected a positive number, got {value!r}")
        if not 0 < self.conf_level < 1:
            raise EmstudyError(f"conf_level: expected a level in (0, 1), got {self.conf_level!r}")
        if self.missing not in ("listwise", "fiml"):
            raise EmstudyError(
                f"missing: expected 'listwise' or 'fiml' (lavaan's missing = \"ml\"), got {self.missing!r}"
            )

    @property
    def targets(self) -> tuple[str, ...]:
        """``rmsea_close``, ``rmsea_not_close``, ``loadings_precise``."""
        return ("rmsea_close", "rmsea_not_close", "loadings_precise")

    def __call__(self, data: pd.DataFrame) -> Outcome:
        data = _check_frame(data, self._observed)
        try:
            with _quiet():
                fit = cfa(self.model, data, std_lv=True, missing=self.missing)
        except _FIT_ERRORS:
            return _not_converged(self.targets)
        f = fit.fit
        ncp0 = f.n * f.df * self.rmsea0**2
        p_close = float(stats.ncx2.sf(f.chisq, f.df, ncp0))
        p_not_close = float(stats.ncx2.cdf(f.chisq, f.df, ncp0))
        z = stats.norm.isf((1 - self.conf_level) / 2)
        width = 2 * z * std_loading_se(fit)
        success = {
            "rmsea_close": p_close < self.alpha,
            "rmsea_not_close": p_not_close < self.alpha,
            "loadings_precise": bool(np.all(width < self.ci_width)),
        }
        values = {"rmsea": f.rmsea, "chisq": f.chisq, "max_ci_width": float(np.max(width))}
        return Outcome(success, converged=bool(fit.converged), improper=_improper(fit),
                       values=values)  # fmt: skip


_LEVELS = {
    "metric": ((), ("loadings",)),
    "scalar": (("loadings",), ("loadings", "intercepts")),
    "strict": (("loadings", "intercepts"), ("loadings", "intercepts", "residuals")),
}


@dataclass(frozen=True)
class InvarianceStep:
    """One step of measurement invariance across the groups in ``group_col``: the chi-square difference
    (likelihood-ratio) test of the model at ``level`` against the level before it (metric against
    configural, scalar against metric, strict against scalar; multi-group ML CFA, lavaan's
    ``group.equal``). Target ``reject:<level>`` when its p < ``alpha`` (non-invariance detected).

    References
    ----------
    Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance. *Psychometrika*,
    58, 525-543.
    """

    model: str
    group_col: str = "group"
    level: str = "metric"
    alpha: float = 0.05
    _observed: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.level not in _LEVELS:
            raise EmstudyError(f"level: expected one of {list(_LEVELS)}, got {self.level!r}")
        _check_alpha(self.alpha)
        try:
            observed = parse_model(self.model).observed
        except ValueError as exc:
            raise EmstudyError(f"model: {exc}") from None
        object.__setattr__(self, "_observed", (*observed, self.group_col))

    @property
    def targets(self) -> tuple[str, ...]:
        """``reject:<level>``."""
        return (f"reject:{self.level}",)

    def __call__(self, data: pd.DataFrame) -> Outcome:
        base, step = _LEVELS[self.level]
        data = _check_frame(data, self._observed)
        try:
            with _quiet():
                fits = [cfa(self.model, data, group=self.group_col, equal=eq) for eq in (base, step)]
        except _FIT_ERRORS:
            return _not_converged(self.targets)
        table = chisq_difference(*fits, names=["base", self.level])
        p = float(table.at[self.level, "pvalue_diff"])
        converged = all(f.converged for f in fits)
        improper = any(_improper(f) for f in fits)
        return Outcome({self.targets[0]: bool(p < self.alpha)}, converged=converged, improper=improper,
                       values={"pvalue": p})  # fmt: skip


@dataclass(frozen=True)
class IndirectEffect:
    """A defined parameter (``label := a*b``) of a structural equation model (:func:`emstudy.stats.sem`, ML,
    listwise): target ``indirect:<label>`` when its delta-method z test has p < ``alpha``.

    References
    ----------
    Sobel, M. E. (1982). Asymptotic confidence intervals for indirect effects in structural equation models.
    *Sociological Methodology*, 13, 290-312.
    """

    syntax: str
    label: str
    alpha: float = 0.05
    _observed: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            model = parse_sem(self.syntax)
        except ValueError as exc:
            raise EmstudyError(f"syntax: {exc}") from None
        object.__setattr__(self, "_observed", tuple(model.observed))
        defined = [name for name, _ in model.defined]
        if self.label not in defined:
            raise EmstudyError(f"label: {self.label!r} is not defined by ':=' in the syntax (defined: {defined})")
        _check_alpha(self.alpha)

    @property
    def targets(self) -> tuple[str, ...]:
        """``indirect:<label>``."""
        return (f"indirect:{self.label}",)

    def __call__(self, data: pd.DataFrame) -> Outcome:
        data = _check_frame(data, self._observed)
        try:
            with _quiet():
                fit = sem(self.syntax, data)
        except _FIT_ERRORS:
            return _not_converged(self.targets)
        row = fit.params[(fit.params["op"] == ":=") & (fit.params["lhs"] == self.label)].iloc[0]
        return Outcome({self.targets[0]: bool(row["pvalue"] < self.alpha)}, converged=bool(fit.converged),
                       improper=_improper(fit), values={"est": float(row["est"])})  # fmt: skip
