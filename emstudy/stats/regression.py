"""Regression models of the drivers of an outcome: OLS with robust errors, ordinal logit, pooled models.

Every function works on a plain :class:`pandas.DataFrame` whose columns are scale scores, items or
grouping variables; the codebook is wired in by the caller. Results are small frozen dataclasses with
``summary()`` (a readable text block) and ``to_frame()`` (a tidy table).

Conventions (each checked against R in ``tests/reference/models.R``):

* ``drivers``: ordinary least squares with heteroskedasticity-consistent standard errors (HC3 by
  default, Long & Ervin 2000), as ``lm`` + ``sandwich::vcovHC(type = "HC3")``.
* ``ordinal_drivers``: proportional-odds model ``F^{-1}(P(Y <= k)) = zeta_k - x'beta``, as
  ``MASS::polr`` (thresholds ``zeta_k`` on polr's scale, positive ``beta`` = higher categories).
* ``pooled_model``: cases (groups) as fixed effects (OLS with group dummies, HC3) or as random
  intercepts (REML), as ``lme4::lmer(y ~ x + (1 | g), REML = TRUE)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.stats._common import as_list, check_columns, collinear_columns, level_label, observed_levels, numeric_column

__all__ = ["DriversResult", "OrdinalResult", "PooledResult", "drivers", "ordinal_drivers", "pooled_model"]

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
        One row per term (index ``term``) with columns ``coef``, ``se``, ``t``, ``p``, ``ci_lower``,
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
    data: pd.DataFrame,
    *,
    outcome: str,
    numeric: list[str],
    categorical: list[str],
    missing: str,
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
    import statsmodels.api as sm

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
    numeric = [c for c in terms if c not in categorical]
    cats = [c for c in terms if c in categorical]
    y, X, n_dropped, dummies = _design(data, outcome=outcome, numeric=numeric, categorical=cats, missing=missing)
    n, k = X.shape
    if n <= k:
        raise ValueError(f"drivers: {n} complete case(s) for {k} coefficients; expected more cases than coefficients")
    involved = collinear_columns(X.to_numpy(), list(X.columns))
    if involved:
        raise ValueError(
            f"drivers: the design is perfectly collinear; columns involved: {involved} "
            "(drop one of them, or a constant column)"
        )
    fit = sm.OLS(y.to_numpy(), X.to_numpy()).fit(cov_type=cov_type)
    coef = np.asarray(fit.params)
    se = np.asarray(fit.bse)
    df_resid = int(round(fit.df_resid))
    tval = coef / se
    p = 2 * stats.t.sf(np.abs(tval), df_resid)
    crit = stats.t.ppf(0.975, df_resid)
    sd_y = y.std(ddof=1)
    beta_std = np.full(k, np.nan)
    dummy_terms = {t for _ref, ts in dummies.values() for t in ts}
    for j, name in enumerate(X.columns):
        if name == "Intercept":
            continue
        scale = 1.0 if name in dummy_terms else X[name].std(ddof=1)
        beta_std[j] = coef[j] * scale / sd_y
    Xn = X.drop(columns="Intercept")
    vif = np.full(k, np.nan)
    if Xn.shape[1] == 1:
        vif[1] = 1.0
    else:
        vif[1:] = np.diag(np.linalg.inv(np.corrcoef(Xn.to_numpy(), rowvar=False)))
    table = pd.DataFrame(
        {
            "coef": coef,
            "se": se,
            "t": tval,
            "p": p,
            "ci_lower": coef - crit * se,
            "ci_upper": coef + crit * se,
            "beta_std": beta_std,
            "vif": vif,
        },
        index=pd.Index(X.columns, name="term"),
    )
    return DriversResult(
        outcome=outcome,
        table=table,
        r2=float(fit.rsquared),
        adj_r2=float(fit.rsquared_adj),
        n=int(n),
        n_dropped=n_dropped,
        df_resid=df_resid,
        cov_type=cov_type,
        missing=missing,
        mse_resid=float(fit.mse_resid),
        dummies=dummies,
    )


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
        Index ``term``; columns ``coef``, ``se``, ``z``, ``p``, ``ci_lower``, ``ci_upper`` (Wald, normal)
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
        t = (
            self.thresholds.reset_index()
            .rename(columns={"threshold": "name", "zeta": "coef"})
            .assign(kind="threshold")
        )
        return pd.concat([c, t], ignore_index=True)[["kind", "name", *[x for x in c.columns if x not in ("kind", "name")]]]

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
    data: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    link: Literal["logit", "probit"] = "logit",
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
        shifts responses towards higher categories. Threshold SEs are obtained by the delta method from
        statsmodels' parameterisation (first cut point, then log increments).

    Raises
    ------
    ValueError
        If a column is absent or not numeric, or the outcome has fewer than 2 observed levels.

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
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    predictors = as_list(predictors, name="predictors")
    if not predictors:
        raise ValueError("predictors: expected at least one column")
    if link not in ("logit", "probit"):
        raise ValueError(f"link: expected 'logit' or 'probit', got {link!r}")
    if outcome in predictors:
        raise ValueError(f"outcome {outcome!r} is also listed among predictors")
    check_columns(data, [outcome, *predictors], role="ordinal_drivers")
    frame = data[[outcome, *predictors]]
    complete = frame.notna().all(axis=1)
    frame = frame.loc[complete]
    levels = observed_levels(frame[outcome])
    if len(levels) < 2:
        raise ValueError(f"outcome {outcome!r}: expected at least 2 observed levels, got {levels}")
    codes = frame[outcome].map({lev: i for i, lev in enumerate(levels)}).astype(int).to_numpy()
    X = pd.concat([numeric_column(frame[c], role="predictor") for c in predictors], axis=1)
    involved = collinear_columns(
        np.column_stack([np.ones(len(X)), X.to_numpy()]), ["(thresholds)", *predictors]
    )
    if involved:
        raise ValueError(f"ordinal_drivers: predictors are perfectly collinear; columns involved: {involved}")
    model = OrderedModel(codes, X.to_numpy(), distr=link)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = model.fit(method="bfgs", maxiter=5000, disp=False)
        res = model.fit(start_params=first.params, method="newton", maxiter=100, disp=False)
    converged = bool(res.mle_retvals.get("converged", False))
    if not converged:
        warnings.warn(
            f"ordinal_drivers: the optimizer did not converge for outcome {outcome!r} "
            f"({res.mle_retvals}); check for sparse outcome levels or separation, or merge rare levels",
            RuntimeWarning,
            stacklevel=2,
        )
    params = np.asarray(res.params)
    cov = np.asarray(res.cov_params())
    p = len(predictors)
    K = len(levels)
    beta = params[:p]
    se_b = np.sqrt(np.diag(cov)[:p])
    th = params[p:]
    zeta = th[0] + np.concatenate([[0.0], np.cumsum(np.exp(th[1:]))])
    J = np.zeros((K - 1, K - 1))
    J[:, 0] = 1.0
    for k in range(1, K - 1):
        J[k, 1 : k + 1] = np.exp(th[1 : k + 1])
    cov_z = J @ cov[p:, p:] @ J.T
    z = beta / se_b
    crit = stats.norm.ppf(0.975)
    coefficients = pd.DataFrame(
        {
            "coef": beta,
            "se": se_b,
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
            "ci_lower": beta - crit * se_b,
            "ci_upper": beta + crit * se_b,
        },
        index=pd.Index(predictors, name="term"),
    )
    if link == "logit":
        coefficients["odds_ratio"] = np.exp(beta)
    names = [f"{level_label(levels[k])}|{level_label(levels[k + 1])}" for k in range(K - 1)]
    thresholds = pd.DataFrame(
        {"zeta": zeta, "se": np.sqrt(np.diag(cov_z))}, index=pd.Index(names, name="threshold")
    )
    return OrdinalResult(
        outcome=outcome,
        link=link,
        coefficients=coefficients,
        thresholds=thresholds,
        levels=tuple(levels),
        n=int(len(frame)),
        n_dropped=int((~complete).sum()),
        loglik=float(res.llf),
        converged=converged,
    )


# ----------------------------------------------------------------------------------------- pooled


@dataclass(frozen=True, eq=False)
class PooledResult:
    """Result of :func:`pooled_model`.

    Attributes
    ----------
    outcome, group : str
        Outcome and grouping (case) column.
    random : bool
        True for random intercepts (REML), False for group fixed effects (OLS, HC3).
    table : pandas.DataFrame
        Index ``term``; ``coef``, ``se``, ``stat``, ``p``, ``ci_lower``, ``ci_upper``. Random-intercept
        models use Wald z (lme4 reports no p values); fixed-effects models use t with residual df and
        include the group dummies ``group[T.level]``.
    var_group, var_resid : float
        Random-intercept and residual variance (REML); for fixed effects ``var_group`` is NaN and
        ``var_resid`` is the residual mean square.
    icc : float
        ``var_group / (var_group + var_resid)`` (NaN for fixed effects).
    n, n_groups, n_dropped : int
    converged : bool
    """

    outcome: str
    group: str
    random: bool
    table: pd.DataFrame
    var_group: float
    var_resid: float
    icc: float
    n: int
    n_groups: int
    n_dropped: int
    converged: bool

    def to_frame(self) -> pd.DataFrame:
        """Tidy fixed-effects table with the term as a column."""
        return self.table.reset_index()

    def summary(self) -> str:
        """Readable text summary."""
        kind = "random intercepts (REML)" if self.random else "group fixed effects (OLS, HC3)"
        head = (
            f"Pooled model of {self.outcome!r} with {self.group!r} as {kind}: n = {self.n}, "
            f"groups = {self.n_groups} ({self.n_dropped} dropped)"
        )
        var = (
            f"var(group) = {self.var_group:.4f}, var(residual) = {self.var_resid:.4f}, ICC = {self.icc:.3f}"
            if self.random
            else f"residual variance = {self.var_resid:.4f}"
        )
        return "\n".join([head, self.table.to_string(float_format=lambda v: f"{v:.4f}"), var])

    def __repr__(self) -> str:
        return f"PooledResult(outcome={self.outcome!r}, group={self.group!r}, random={self.random}, n={self.n})"


def pooled_model(
    data: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    group: str,
    random: bool = True,
) -> PooledResult:
    """Pool cases in one model, with the case (group) as random intercept or as fixed effects.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent across cases; incomplete cases are dropped (count in ``n_dropped``).
    outcome : str
        Numeric outcome.
    predictors : sequence of str
        Numeric predictors.
    group : str
        Grouping column (e.g. the case).
    random : bool, default True
        True: random-intercept linear mixed model fitted by REML (statsmodels ``MixedLM``), as
        ``lme4::lmer(y ~ x + (1 | g), REML = TRUE)``; fixed-effect SEs are lmer's,
        ``sqrt(diag((X' V^-1 X)^-1))`` at the REML variance estimates. False: OLS with group dummies
        (first level as reference) and HC3 standard errors, via :func:`drivers`.

    Returns
    -------
    PooledResult

    Warns
    -----
    RuntimeWarning
        If the REML optimizer does not converge (the optimizer's message is quoted), or the group
        variance is estimated at zero (singular fit).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(6), 50)
    >>> df = pd.DataFrame({"g": g, "x": rng.normal(size=300)})
    >>> df["y"] = 0.4 * df.x + rng.normal(size=6)[g] + rng.normal(size=300)
    >>> res = pooled_model(df, outcome="y", predictors=["x"], group="g")
    >>> res.n_groups
    6

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models using
    lme4. *Journal of Statistical Software*, 67(1), 1-48.
    """
    predictors = as_list(predictors, name="predictors")
    if group in predictors or group == outcome:
        raise ValueError(f"group {group!r} must differ from the outcome and the predictors")
    check_columns(data, [outcome, *predictors, group], role="pooled_model")
    if not random:
        res = drivers(data, outcome=outcome, predictors=predictors, covariates=[group], categorical=[group])
        t = res.table[["coef", "se", "t", "p", "ci_lower", "ci_upper"]].rename(columns={"t": "stat"})
        frame = data[[outcome, *predictors, group]].dropna()
        return PooledResult(
            outcome=outcome,
            group=group,
            random=False,
            table=t,
            var_group=float("nan"),
            var_resid=res.mse_resid,
            icc=float("nan"),
            n=res.n,
            n_groups=int(frame[group].nunique()),
            n_dropped=res.n_dropped,
            converged=True,
        )

    import statsmodels.api as sm

    frame = data[[outcome, *predictors, group]]
    complete = frame.notna().all(axis=1)
    frame = frame.loc[complete]
    y = numeric_column(frame[outcome], role="outcome").to_numpy()
    X = np.column_stack([np.ones(len(frame)), *[numeric_column(frame[c], role="predictor") for c in predictors]])
    names = ["Intercept", *predictors]
    involved = collinear_columns(X, names)
    if involved:
        raise ValueError(f"pooled_model: the design is perfectly collinear; columns involved: {involved}")
    groups = frame[group].to_numpy()
    levels, gidx = np.unique(groups, return_inverse=True)
    if len(levels) < 2:
        raise ValueError(f"group {group!r}: expected at least 2 groups, got {list(levels)}")
    model = sm.MixedLM(y, X, groups=gidx)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fit = model.fit(reml=True)
        caught = [str(x.message) for x in w if "boundary of the parameter" not in str(x.message)]
    converged = bool(fit.converged)
    var_resid = float(fit.scale)
    var_group = float(np.asarray(fit.cov_re)[0, 0])
    beta = np.asarray(fit.fe_params)
    if var_group <= 1e-4 * var_resid and (not converged or caught):
        # The REML optimum is on the boundary (group variance 0), where statsmodels' optimizer tends to stop
        # short. There the marginal covariance is sigma^2 I, so the REML solution is exact: OLS fixed
        # effects and sigma^2 = RSS / (n - p) -- what lme4 reports for a singular fit.
        beta, rss = np.linalg.lstsq(X, y, rcond=None)[:2]
        resid = y - X @ beta
        var_resid = float(resid @ resid) / (len(y) - X.shape[1])
        var_group = 0.0
        converged = True
        caught = []
    if not converged or caught:
        warnings.warn(
            f"pooled_model: the REML optimizer did not converge cleanly for {outcome!r} by {group!r}: "
            f"{'; '.join(caught) or 'converged = False'}. Group variance at stop: {var_group:.3g} "
            f"(residual {var_resid:.3g}); a group variance near zero often causes this. Advice: centre or "
            "rescale the predictors, check that each group has enough cases, or fit the groups as fixed "
            "effects (random=False).",
            RuntimeWarning,
            stacklevel=2,
        )
    if var_group <= 1e-8 * var_resid:
        warnings.warn(
            f"pooled_model: the variance of the random intercepts of {group!r} is estimated at (or near) zero "
            "(singular fit): the groups do not differ beyond the predictors; random=False or plain OLS "
            "describes the data as well.",
            RuntimeWarning,
            stacklevel=2,
        )
    # lmer's vcov: sigma^2-scaled (X' V^-1 X)^-1 with V_g = s2 I + t2 11' (Woodbury per group)
    info = np.zeros((X.shape[1], X.shape[1]))
    for gi in range(len(levels)):
        Xg = X[gidx == gi]
        s = Xg.sum(axis=0)
        info += (Xg.T @ Xg - var_group / (var_resid + len(Xg) * var_group) * np.outer(s, s)) / var_resid
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    z = beta / se
    crit = stats.norm.ppf(0.975)
    table = pd.DataFrame(
        {
            "coef": beta,
            "se": se,
            "stat": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
            "ci_lower": beta - crit * se,
            "ci_upper": beta + crit * se,
        },
        index=pd.Index(names, name="term"),
    )
    return PooledResult(
        outcome=outcome,
        group=group,
        random=True,
        table=table,
        var_group=var_group,
        var_resid=var_resid,
        icc=var_group / (var_group + var_resid),
        n=int(len(frame)),
        n_groups=int(len(levels)),
        n_dropped=int((~complete).sum()),
        converged=converged,
    )
