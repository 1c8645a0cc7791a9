"""Regression models of the drivers of an outcome: OLS with robust errors and ordinal logit.

Every function works on a plain :class:`pandas.DataFrame` whose columns are scale scores, items or
grouping variables; the codebook is wired in by the caller. Results are small frozen dataclasses with
``summary()`` (a readable text block) and ``to_frame()`` (a tidy table).

Conventions (each checked against R in ``tests/reference/models.R``):

* ``drivers``: ordinary least squares with heteroskedasticity-consistent standard errors (HC3 by
  default, Long & Ervin 2000), as ``lm`` + ``sandwich::vcovHC(type = "HC3")``.
* ``ordinal_drivers``: proportional-odds model ``F^{-1}(P(Y <= k)) = zeta_k - x'beta``, as
  ``MASS::polr`` (thresholds ``zeta_k`` on polr's scale, positive ``beta`` = higher categories).

Pooling cases in one model (``pooled_model``) lives in :mod:`emstudy.stats.pooled`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.errors import ConvergenceWarning
from emstudy.stats._common import (
    as_list,
    check_columns,
    collinear_columns,
    level_label,
    numeric_column,
    observed_levels,
)
from emstudy.stats.ordinal import CumulativeLinkFit, cumulative_link_fit

__all__ = ["DriversResult", "OrdinalResult", "drivers", "ols_coefficients", "ordinal_drivers"]

_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")


# ----------------------------------------------------------------------------------------- drivers


@dataclass(frozen=True, eq=False)
class DriversResult:
    """Result of :func:`drivers`.

    Attributes
    ----------
    outcome : str
        Name of the outcome column.
    table : pandas.DataFrame
        One row per term (index ``term``) with columns ``coef``, ``se``, ``t``, ``pvalue``, ``ci_lower``,
        ``ci_upper``, ``beta_std`` and ``vif`` (NaN for the intercept).
    r2, adj_r2 : float
        Coefficient of determination and its adjusted value.
    n : int
        Cases used.
    n_dropped : int
        Cases dropped by the missing-data policy.
    df_resid : int
        Residual degrees of freedom (used for t-based p values and intervals).
    cov_type : str
        Covariance estimator of the coefficients (``"HC3"`` by default).
    missing : str
        Missing-data policy applied.
    mse_resid : float
        Residual mean square (residual sum of squares / ``df_resid``).
    dummies : dict
        For each categorical column, its reference level and dummy term names.
    """

    outcome: str
    table: pd.DataFrame
    r2: float
    adj_r2: float
    n: int
    n_dropped: int
    df_resid: int
    cov_type: str
    missing: str
    mse_resid: float
    dummies: Mapping[str, tuple] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy coefficient table: one row per term, the term as a column."""
        return self.table.reset_index()

    def summary(self) -> str:
        """Readable text summary of the fit."""
        lines = [
            f"OLS drivers of {self.outcome!r}: n = {self.n} ({self.n_dropped} dropped, {self.missing}), "
            f"R2 = {self.r2:.3f}, adj. R2 = {self.adj_r2:.3f}, SE: {self.cov_type}",
            self.table.to_string(float_format=lambda v: f"{v:.4f}"),
        ]
        for col, (ref, _terms) in self.dummies.items():
            lines.append(f"{col}: dummy-coded, reference level {ref!r}; beta_std of a dummy is in outcome SDs")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"DriversResult(outcome={self.outcome!r}, n={self.n}, r2={self.r2:.4f}, terms={list(self.table.index)})"


def _design(
    data: pd.DataFrame, *, outcome: str, numeric: list[str], categorical: list[str], missing: str
) -> tuple[pd.Series, pd.DataFrame, int, dict]:
    cols = [outcome, *numeric, *categorical]
    frame = data[cols]
    incomplete = frame.isna().any(axis=1)
    n_dropped = int(incomplete.sum())
    if missing == "raise" and n_dropped:
        bad = frame.columns[frame.isna().any()].tolist()
        raise ValueError(f"missing='raise': {n_dropped} case(s) have missing values in column(s) {bad}")
    frame = frame.loc[~incomplete]
    y = numeric_column(frame[outcome], role="outcome")
    parts = [pd.Series(1.0, index=frame.index, name="Intercept")]
    for c in numeric:
        parts.append(numeric_column(frame[c], role="predictor"))
    dummies: dict[str, tuple] = {}
    for c in categorical:
        levels = observed_levels(frame[c])
        if len(levels) < 2:
            raise ValueError(f"categorical column {c!r}: expected at least 2 levels among complete cases, got {levels}")
        terms = []
        for lev in levels[1:]:
            name = f"{c}[T.{level_label(lev)}]"
            parts.append(pd.Series((frame[c] == lev).astype(float), index=frame.index, name=name))
            terms.append(name)
        dummies[c] = (levels[0], tuple(terms))
    X = pd.concat(parts, axis=1)
    return y, X, n_dropped, dummies


def drivers(
    data: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    cov_type: Literal["HC3", "HC2", "HC1", "HC0", "nonrobust"] = "HC3",
    missing: Literal["listwise", "raise"] = "listwise",
) -> DriversResult:
    """Regress an outcome on its drivers by OLS with robust standard errors.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    outcome : str
        Numeric outcome column (e.g. perceived effectiveness).
    predictors : sequence of str
        Driver columns. A column also listed in `categorical` is dummy-coded.
    covariates : sequence of str, optional
        Control columns added to the model (numeric, or categorical if listed in `categorical`).
    categorical : sequence of str, optional
        Columns among `predictors`/`covariates` to dummy-code, the first level (categorical order, else
        sorted) as reference. Dummy terms are named ``"col[T.level]"``.
    cov_type : {"HC3", "HC2", "HC1", "HC0", "nonrobust"}, default "HC3"
        Coefficient covariance. HC3 (Long & Ervin 2000) is ``sandwich::vcovHC(type = "HC3")``.
    missing : {"listwise", "raise"}, default "listwise"
        Drop incomplete cases (count reported in ``n_dropped``) or raise ``ValueError``.

    Returns
    -------
    DriversResult
        Coefficients, SE, t, p, 95% CI (t with residual df), standardized betas (outcome and numeric
        predictors z-scored with the sample SD; a dummy's beta is the group difference in outcome SDs),
        VIF per design column (``1 / (1 - R^2_j)``), R², adjusted R², n.

    Raises
    ------
    ValueError
        If a column is absent or not numeric, or the design is perfectly collinear (the message names
        the columns involved).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x1": rng.normal(size=200), "x2": rng.normal(size=200)})
    >>> df["y"] = 0.5 * df.x1 - 0.2 * df.x2 + rng.normal(size=200)
    >>> res = drivers(df, outcome="y", predictors=["x1", "x2"])
    >>> list(res.to_frame().term)
    ['Intercept', 'x1', 'x2']

    References
    ----------
    Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors in the linear
    regression model. *The American Statistician*, 54(3), 217-224.
    """
    predictors, covariates, categorical = _check_args_drivers(
        data,
        outcome=outcome,
        predictors=predictors,
        covariates=covariates,
        categorical=categorical,
        cov_type=cov_type,
        missing=missing,
    )
    terms = predictors + [c for c in covariates if c not in predictors]
    numeric = [c for c in terms if c not in categorical]
    cats = [c for c in terms if c in categorical]
    y, X, n_dropped, dummies = _design(data, outcome=outcome, numeric=numeric, categorical=cats, missing=missing)
    _check_design(X)
    fit = _ols_fit(y, X, cov_type)
    coef = np.asarray(fit.params)
    df_resid = int(round(fit.df_resid))
    table = _wald_table(coef, np.asarray(fit.bse), X.columns, stat="t", df=df_resid)
    table["beta_std"] = _standardized_betas(coef, y, X, dummies)
    table["vif"] = _vif(X)
    return DriversResult(
        outcome=outcome,
        table=table,
        r2=float(fit.rsquared),
        adj_r2=float(fit.rsquared_adj),
        n=int(X.shape[0]),
        n_dropped=n_dropped,
        df_resid=df_resid,
        cov_type=cov_type,
        missing=missing,
        mse_resid=float(fit.mse_resid),
        dummies=dummies,
    )


def _check_args_drivers(
    data: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    covariates: Sequence[str],
    categorical: Sequence[str],
    cov_type: str,
    missing: str,
) -> tuple[list[str], list[str], list[str]]:
    predictors = as_list(predictors, name="predictors")
    covariates = as_list(covariates, name="covariates")
    categorical = as_list(categorical, name="categorical")
    if not predictors:
        raise ValueError("predictors: expected at least one column")
    if cov_type not in _COV_TYPES:
        raise ValueError(f"cov_type: expected one of {_COV_TYPES}, got {cov_type!r}")
    if missing not in ("listwise", "raise"):
        raise ValueError(f"missing: expected 'listwise' or 'raise', got {missing!r}")
    terms = predictors + [c for c in covariates if c not in predictors]
    if outcome in terms:
        raise ValueError(f"outcome {outcome!r} is also listed among predictors/covariates")
    stray = [c for c in categorical if c not in terms]
    if stray:
        raise ValueError(f"categorical: column(s) {stray} are not among predictors or covariates")
    check_columns(data, [outcome, *terms], role="drivers")
    return predictors, covariates, categorical


def _check_design(X: pd.DataFrame) -> None:
    """More cases than coefficients, and no exact linear dependency (the columns involved are named)."""
    n, k = X.shape
    if n <= k:
        raise ValueError(f"drivers: {n} complete case(s) for {k} coefficients; expected more cases than coefficients")
    involved = collinear_columns(X.to_numpy(), list(X.columns))
    if involved:
        raise ValueError(
            f"drivers: the design is perfectly collinear; columns involved: {involved} "
            "(drop one of them, or a constant column)"
        )


def _ols_fit(y: pd.Series, X: pd.DataFrame, cov_type: str):
    import statsmodels.api as sm

    return sm.OLS(y.to_numpy(), X.to_numpy()).fit(cov_type=cov_type)


def _wald_table(coef: np.ndarray, se: np.ndarray, names, *, stat: str, df: int | None) -> pd.DataFrame:
    """Coefficient table: ``coef, se, <stat>, pvalue, ci_lower, ci_upper`` (two-sided, 95%), from the
    t distribution with `df` degrees of freedom, or the normal (Wald z) if `df` is None."""
    value = coef / se
    if df is None:
        pvalue = 2 * stats.norm.sf(np.abs(value))
        crit = stats.norm.ppf(0.975)
    else:
        pvalue = 2 * stats.t.sf(np.abs(value), df)
        crit = stats.t.ppf(0.975, df)
    return pd.DataFrame(
        {
            "coef": coef,
            "se": se,
            stat: value,
            "pvalue": pvalue,
            "ci_lower": coef - crit * se,
            "ci_upper": coef + crit * se,
        },
        index=pd.Index(names, name="term"),
    )


def _standardized_betas(coef: np.ndarray, y: pd.Series, X: pd.DataFrame, dummies: Mapping[str, tuple]) -> np.ndarray:
    """coef * sd(x) / sd(y); a dummy keeps its 0/1 scale (group difference in outcome SDs); NaN for the intercept."""
    sd_y = y.std(ddof=1)
    beta_std = np.full(X.shape[1], np.nan)
    dummy_terms = {t for _ref, ts in dummies.values() for t in ts}
    for j, name in enumerate(X.columns):
        if name == "Intercept":
            continue
        scale = 1.0 if name in dummy_terms else X[name].std(ddof=1)
        beta_std[j] = coef[j] * scale / sd_y
    return beta_std


def _vif(X: pd.DataFrame) -> np.ndarray:
    """Variance inflation factors ``1 / (1 - R^2_j)`` of the design columns (NaN for the intercept)."""
    Xn = X.drop(columns="Intercept")
    vif = np.full(X.shape[1], np.nan)
    if Xn.shape[1] == 1:
        vif[1] = 1.0
    else:
        vif[1:] = np.diag(np.linalg.inv(np.corrcoef(Xn.to_numpy(), rowvar=False)))
    return vif


def ols_coefficients(
    y: np.ndarray, X: np.ndarray, *, cov_type: Literal["HC3", "HC2", "HC1", "HC0", "nonrobust"] = "HC3"
) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS coefficients and their standard errors on plain arrays: the fast core of :func:`drivers`.

    For many small regressions (a Monte Carlo replication each, :mod:`emstudy.planning`): numpy only, no
    table, no standardized betas or VIFs. The coefficients and standard errors are those of :func:`drivers`
    (``lm`` + ``sandwich::vcovHC``) on the same design, to rounding.

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcome values, finite (drop incomplete rows first).
    X : array_like, shape (n, k)
        Design matrix, finite, full column rank, ``n > k``; include the intercept column yourself.
    cov_type : {"HC3", "HC2", "HC1", "HC0", "nonrobust"}, default "HC3"
        Coefficient covariance, as in :func:`drivers`: ``HC0`` weights each squared residual ``e_i^2`` by 1,
        ``HC1`` by ``n / (n - k)``, ``HC2`` by ``1 / (1 - h_i)``, ``HC3`` by ``1 / (1 - h_i)^2`` (``h_i`` the
        leverage); ``nonrobust`` is ``s^2 (X'X)^{-1}``.

    Returns
    -------
    coef : numpy.ndarray, shape (k,)
        Least-squares coefficients (from the QR decomposition ``X = QR``).
    se : numpy.ndarray, shape (k,)
        Their standard errors (square roots of the diagonal of the sandwich ``R^{-1} Q' diag(w) Q R^{-T}``;
        the leverages are the row sums of ``Q**2``).
    df_resid : int
        Residual degrees of freedom ``n - k`` (for t-based p values, as :func:`drivers`).

    Raises
    ------
    ValueError
        If `y` or `X` has the wrong shape, non-numeric or non-finite values, too few rows, or `X` is
        perfectly collinear (the message names the column indices involved), or `cov_type` is unknown.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=200)
    >>> y = 0.5 * x + rng.normal(size=200)
    >>> coef, se, df_resid = ols_coefficients(y, np.column_stack([np.ones(200), x]))
    >>> df_resid, bool(np.all(se > 0))
    (198, True)

    References
    ----------
    Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors in the linear
    regression model. *The American Statistician*, 54(3), 217-224.
    """
    y, X = _check_args_ols(y, X, cov_type=cov_type)
    n, k = X.shape
    q, r = np.linalg.qr(X)
    r_inv = np.linalg.solve(r, np.eye(k))
    coef = r_inv @ (q.T @ y)
    resid = y - X @ coef
    df_resid = n - k
    if cov_type == "nonrobust":
        return coef, np.sqrt(resid @ resid / df_resid * (r_inv**2).sum(axis=1)), df_resid
    w = resid**2
    if cov_type == "HC1":
        w = w * (n / df_resid)
    elif cov_type in ("HC2", "HC3"):
        h = (q**2).sum(axis=1)
        w = w / (1.0 - h) ** (1 if cov_type == "HC2" else 2)
    bread = r_inv @ q.T  # (X'X)^{-1} X'
    return coef, np.sqrt((bread**2) @ w), df_resid


def _check_args_ols(y: object, X: object, *, cov_type: str) -> tuple[np.ndarray, np.ndarray]:
    if cov_type not in _COV_TYPES:
        raise ValueError(f"cov_type: expected one of {_COV_TYPES}, got {cov_type!r}")
    arrays = []
    for name, value, ndim in (("y", y, 1), ("X", X, 2)):
        try:
            a = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected numeric values, got {type(value).__name__}; convert it first") from None
        if a.ndim != ndim:
            raise ValueError(f"{name}: expected a {ndim}-D array, got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"{name}: contains missing or infinite values; drop incomplete rows first")
        arrays.append(a)
    y, X = arrays
    n, k = X.shape
    if n != len(y):
        raise ValueError(f"X: {n} rows for {len(y)} values of y; give one row per value")
    if n <= k:
        raise ValueError(f"X: {n} rows for {k} coefficients; expected more rows than columns")
    involved = collinear_columns(X, list(range(k)))
    if involved:
        raise ValueError(f"X: the design is perfectly collinear; column indices involved: {involved}; drop one")
    return y, X


# ----------------------------------------------------------------------------------------- ordinal


@dataclass(frozen=True, eq=False)
class OrdinalResult:
    """Result of :func:`ordinal_drivers` (proportional-odds model).

    Attributes
    ----------
    outcome : str
        Name of the ordinal outcome.
    link : str
        ``"logit"`` or ``"probit"``.
    coefficients : pandas.DataFrame
        Index ``term``; columns ``coef``, ``se``, ``z``, ``pvalue``, ``ci_lower``, ``ci_upper`` (Wald, normal)
        and, for the logit link, ``odds_ratio``.
    thresholds : pandas.DataFrame
        Index ``threshold`` (``"1|2"``, ...); columns ``zeta`` and ``se``: cut points on the scale of
        ``MASS::polr``, ``F^{-1}(P(Y <= k)) = zeta_k - x'beta``.
    levels : tuple
        Outcome levels, lowest first.
    n, n_dropped : int
        Cases used and cases dropped for missing values.
    loglik : float
        Maximized log-likelihood.
    converged : bool
        Whether the optimizer reported convergence.
    """

    outcome: str
    link: str
    coefficients: pd.DataFrame
    thresholds: pd.DataFrame
    levels: tuple
    n: int
    n_dropped: int
    loglik: float
    converged: bool

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: coefficients then thresholds, with a ``kind`` column."""
        c = self.coefficients.reset_index().rename(columns={"term": "name"}).assign(kind="coefficient")
        t = self.thresholds.reset_index().rename(columns={"threshold": "name", "zeta": "coef"}).assign(kind="threshold")
        return pd.concat([c, t], ignore_index=True)[
            ["kind", "name", *[x for x in c.columns if x not in ("kind", "name")]]
        ]

    def summary(self) -> str:
        """Readable text summary."""
        return "\n".join(
            [
                f"Proportional-odds {self.link} model of {self.outcome!r} (levels {list(self.levels)}): "
                f"n = {self.n} ({self.n_dropped} dropped), log-likelihood = {self.loglik:.3f}",
                self.coefficients.to_string(float_format=lambda v: f"{v:.4f}"),
                "Thresholds (logit P(Y <= k) = zeta_k - x'beta):" if self.link == "logit" else "Thresholds:",
                self.thresholds.to_string(float_format=lambda v: f"{v:.4f}"),
            ]
        )

    def __repr__(self) -> str:
        return f"OrdinalResult(outcome={self.outcome!r}, link={self.link!r}, n={self.n}, loglik={self.loglik:.4f})"


def ordinal_drivers(
    data: pd.DataFrame, *, outcome: str, predictors: Sequence[str], link: Literal["logit", "probit"] = "logit"
) -> OrdinalResult:
    """Proportional-odds (cumulative link) model of an ordinal outcome.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; incomplete cases are dropped (count in ``n_dropped``).
    outcome : str
        Ordinal outcome: an ordered categorical (its category order is used) or numeric codes (sorted).
    predictors : sequence of str
        Numeric predictor columns.
    link : {"logit", "probit"}, default "logit"

    Returns
    -------
    OrdinalResult
        Slopes and thresholds with standard errors from the observed information, on the scale of
        ``MASS::polr(..., Hess = TRUE)``: ``F^{-1}(P(Y <= k)) = zeta_k - x'beta``. A positive slope
        shifts responses towards higher categories. The model is fitted on that scale, ``(beta, zeta)``,
        by Newton's method on the analytic score and Hessian (:mod:`emstudy.stats.ordinal`), to a score
        at rounding level; all SEs are square roots of the diagonal of the inverse observed information.

    Raises
    ------
    ValueError
        If a column is absent or not numeric, or the outcome has fewer than 2 observed levels.

    Warns
    -----
    emstudy.errors.ConvergenceWarning
        If Newton's method does not converge (``converged`` is then False), as under separation.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"x": rng.normal(size=300)})
    >>> df["y"] = np.digitize(df.x + rng.logistic(size=300), [-1, 0, 1]) + 1
    >>> res = ordinal_drivers(df, outcome="y", predictors=["x"])
    >>> list(res.thresholds.index)
    ['1|2', '2|3', '3|4']

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. *Journal of the Royal Statistical Society B*,
    42(2), 109-142.
    """
    predictors = _check_args_ordinal(data, outcome=outcome, predictors=predictors, link=link)
    frame, complete, levels, codes, X = _ordinal_data(data, outcome=outcome, predictors=predictors)
    fit = _fit_ordered(codes, X, link=link, outcome=outcome)
    params, cov = fit.params, fit.cov
    p = len(predictors)
    coefficients = _wald_table(params[:p], np.sqrt(np.diag(cov)[:p]), predictors, stat="z", df=None)
    if link == "logit":
        with np.errstate(over="ignore"):  # inf under separation (ConvergenceWarning given)
            coefficients["odds_ratio"] = np.exp(params[:p])
    return OrdinalResult(
        outcome=outcome,
        link=link,
        coefficients=coefficients,
        thresholds=_polr_thresholds(params[p:], cov[p:, p:], levels),
        levels=tuple(levels),
        n=int(len(frame)),
        n_dropped=int((~complete).sum()),
        loglik=float(fit.loglik),
        converged=fit.converged,
    )


def _check_args_ordinal(data: pd.DataFrame, *, outcome: str, predictors: Sequence[str], link: str) -> list[str]:
    predictors = as_list(predictors, name="predictors")
    if not predictors:
        raise ValueError("predictors: expected at least one column")
    if link not in ("logit", "probit"):
        raise ValueError(f"link: expected 'logit' or 'probit', got {link!r}")
    if outcome in predictors:
        raise ValueError(f"outcome {outcome!r} is also listed among predictors")
    check_columns(data, [outcome, *predictors], role="ordinal_drivers")
    return predictors


def _ordinal_data(data: pd.DataFrame, *, outcome: str, predictors: list[str]) -> tuple:
    """Complete cases, outcome levels (lowest first), outcome codes 0..K-1 and the predictor matrix."""
    frame = data[[outcome, *predictors]]
    complete = frame.notna().all(axis=1)
    frame = frame.loc[complete]
    levels = observed_levels(frame[outcome])
    if len(levels) < 2:
        raise ValueError(f"outcome {outcome!r}: expected at least 2 observed levels, got {levels}")
    codes = frame[outcome].map({lev: i for i, lev in enumerate(levels)}).astype(int).to_numpy()
    X = pd.concat([numeric_column(frame[c], role="predictor") for c in predictors], axis=1)
    involved = collinear_columns(np.column_stack([np.ones(len(X)), X.to_numpy()]), ["(thresholds)", *predictors])
    if involved:
        raise ValueError(f"ordinal_drivers: predictors are perfectly collinear; columns involved: {involved}")
    return frame, complete, levels, codes, X


def _fit_ordered(codes: np.ndarray, X: pd.DataFrame, *, link: str, outcome: str) -> CumulativeLinkFit:
    """Newton's method on the analytic score and Hessian (:func:`emstudy.stats.ordinal.cumulative_link_fit`).

    Warns with emstudy's :class:`~emstudy.errors.ConvergenceWarning` (with advice) when it does not converge.
    """
    fit = cumulative_link_fit(codes, X.to_numpy(dtype=float), link=link)
    if not fit.converged:
        warnings.warn(
            f"ordinal_drivers: the optimizer did not converge for outcome {outcome!r} "
            f"({fit.iterations} Newton iterations, largest score {np.max(np.abs(fit.score)):.3g}); "
            "check for sparse outcome levels or separation, or merge rare levels",
            ConvergenceWarning,
            stacklevel=3,
        )
    return fit


def _polr_thresholds(zeta: np.ndarray, cov_zeta: np.ndarray, levels: list) -> pd.DataFrame:
    """Cut points on polr's scale (the scale of the fit) with SEs from the inverse observed information."""
    names = [f"{level_label(levels[k])}|{level_label(levels[k + 1])}" for k in range(len(levels) - 1)]
    return pd.DataFrame({"zeta": zeta, "se": np.sqrt(np.diag(cov_zeta))}, index=pd.Index(names, name="threshold"))
