"""Models that explain and compare: drivers, ordinal drivers, pooled models, group comparisons.

Every function works on a plain :class:`pandas.DataFrame` whose columns are scale scores, items or
grouping variables; the codebook is wired in by the caller. Results are small frozen dataclasses with
``summary()`` (a readable text block) and ``to_frame()`` (a tidy table), so a notebook can print them and
the pipeline can write them to CSV/JSON.

Conventions (each checked against R in ``tests/reference/models.R``):

* ``drivers``: ordinary least squares with heteroskedasticity-consistent standard errors (HC3 by
  default, Long & Ervin 2000), as ``lm`` + ``sandwich::vcovHC(type = "HC3")``.
* ``ordinal_drivers``: proportional-odds model ``F^{-1}(P(Y <= k)) = zeta_k - x'beta``, as
  ``MASS::polr`` (thresholds ``zeta_k`` on polr's scale, positive ``beta`` = higher categories).
* ``pooled_model``: cases (groups) as fixed effects (OLS with group dummies, HC3) or as random
  intercepts (REML), as ``lme4::lmer(y ~ x + (1 | g), REML = TRUE)``.
* ``compare_groups``: Welch's ANOVA + Games-Howell, classical ANOVA + Tukey HSD, or Kruskal-Wallis +
  Dunn with Holm, with eta-, epsilon- and omega-squared.

No I/O happens at import; figures are built on :class:`matplotlib.figure.Figure` objects without pyplot,
so no display or global state is involved.
"""

from __future__ import annotations

import html as _html
import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.distributions import studentized_range_ppf, studentized_range_sf

__all__ = [
    "DriversResult",
    "OrdinalResult",
    "PooledResult",
    "GroupComparison",
    "IPAResult",
    "drivers",
    "ordinal_drivers",
    "pooled_model",
    "compare_groups",
    "importance_performance",
    "apa_table",
    "plot_profiles",
    "plot_heatmap",
    "plot_ipa",
]

_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")


# ----------------------------------------------------------------------------------------- helpers


def _check_columns(data: pd.DataFrame, columns: Sequence[str], *, role: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"{role}: column(s) {missing} not found in data; available: {list(data.columns)}")


def _as_list(x: str | Sequence[str], *, name: str) -> list[str]:
    if isinstance(x, str):
        return [x]
    out = list(x)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: duplicated column names in {out}")
    return out


def _numeric(series: pd.Series, *, role: str) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
    ):
        raise ValueError(
            f"{role} column {series.name!r}: expected numeric values, got dtype {series.dtype}; "
            "pass it in `categorical` if it is a grouping variable"
        )
    return series.astype(float)


def _levels(series: pd.Series) -> list:
    """Levels in their natural order: categorical order if categorical, else sorted unique values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    return sorted(series.dropna().unique().tolist())


def _label(level: object) -> str:
    """Text label of a level: integral floats (codes read next to missing values) print as integers."""
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return ""
    if p < 0.001:
        return "< .001"
    return f"{p:.3f}".replace("0.", ".", 1)


def _collinear_columns(X: np.ndarray, names: list[str]) -> list[str]:
    """Columns taking part in an exact linear dependency (non-null loadings in the null space)."""
    scale = np.sqrt((X**2).sum(axis=0))
    scale[scale == 0] = 1.0
    u, s, vt = np.linalg.svd(X / scale, full_matrices=False)
    tol = s.max() * max(X.shape) * np.finfo(float).eps * 1e3
    null = vt[s <= tol]
    if null.size == 0:
        return []
    involved = np.abs(null).max(axis=0) > 1e-8
    return [n for n, k in zip(names, involved) if k]


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
    y = _numeric(frame[outcome], role="outcome")
    parts = [pd.Series(1.0, index=frame.index, name="Intercept")]
    for c in numeric:
        parts.append(_numeric(frame[c], role="predictor"))
    dummies: dict[str, tuple] = {}
    for c in categorical:
        levels = _levels(frame[c])
        if len(levels) < 2:
            raise ValueError(f"categorical column {c!r}: expected at least 2 levels among complete cases, got {levels}")
        terms = []
        for lev in levels[1:]:
            name = f"{c}[T.{_label(lev)}]"
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

    predictors = _as_list(predictors, name="predictors")
    covariates = _as_list(covariates, name="covariates")
    categorical = _as_list(categorical, name="categorical")
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
    _check_columns(data, [outcome, *terms], role="drivers")
    numeric = [c for c in terms if c not in categorical]
    cats = [c for c in terms if c in categorical]
    y, X, n_dropped, dummies = _design(data, outcome=outcome, numeric=numeric, categorical=cats, missing=missing)
    n, k = X.shape
    if n <= k:
        raise ValueError(f"drivers: {n} complete case(s) for {k} coefficients; expected more cases than coefficients")
    involved = _collinear_columns(X.to_numpy(), list(X.columns))
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

    predictors = _as_list(predictors, name="predictors")
    if not predictors:
        raise ValueError("predictors: expected at least one column")
    if link not in ("logit", "probit"):
        raise ValueError(f"link: expected 'logit' or 'probit', got {link!r}")
    if outcome in predictors:
        raise ValueError(f"outcome {outcome!r} is also listed among predictors")
    _check_columns(data, [outcome, *predictors], role="ordinal_drivers")
    frame = data[[outcome, *predictors]]
    complete = frame.notna().all(axis=1)
    frame = frame.loc[complete]
    levels = _levels(frame[outcome])
    if len(levels) < 2:
        raise ValueError(f"outcome {outcome!r}: expected at least 2 observed levels, got {levels}")
    codes = frame[outcome].map({lev: i for i, lev in enumerate(levels)}).astype(int).to_numpy()
    X = pd.concat([_numeric(frame[c], role="predictor") for c in predictors], axis=1)
    involved = _collinear_columns(
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
    names = [f"{_label(levels[k])}|{_label(levels[k + 1])}" for k in range(K - 1)]
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
    predictors = _as_list(predictors, name="predictors")
    if group in predictors or group == outcome:
        raise ValueError(f"group {group!r} must differ from the outcome and the predictors")
    _check_columns(data, [outcome, *predictors, group], role="pooled_model")
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
    y = _numeric(frame[outcome], role="outcome").to_numpy()
    X = np.column_stack([np.ones(len(frame)), *[_numeric(frame[c], role="predictor") for c in predictors]])
    names = ["Intercept", *predictors]
    involved = _collinear_columns(X, names)
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
                f"p = {_fmt_p(om['p'])}; n = {self.n} ({self.n_missing} missing dv, "
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
    _check_columns(data, [dv, group], role="compare_groups")
    y_all = _numeric(data[dv], role="dv")
    miss_group = data[group].isna()
    n_missing_group = int(miss_group.sum())
    keep = ~miss_group
    n_missing = int((y_all.isna() & keep).sum())
    keep &= y_all.notna()
    y = y_all[keep]
    g = data.loc[keep, group]
    levels = _levels(data.loc[~miss_group, group])
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
                    "pair": f"{_label(levels[j])}-{_label(levels[i])}",
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
        posthoc["p_adj"] = _holm(posthoc["p"].to_numpy())
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
        "pair": f"{_label(levels[j])}-{_label(levels[i])}",
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


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's (1979) step-down adjustment, as R ``p.adjust(method = "holm")``."""
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


# ----------------------------------------------------------------------------------------- IPA

_QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}


class IPAResult(NamedTuple):
    """Result of :func:`importance_performance`: unpack as ``frame, concentrate = ...``.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per predictor: ``predictor``, ``importance`` (standardized weight), ``importance_p``,
        ``performance`` (mean), ``performance_ci_lower``, ``performance_ci_upper``, ``n``, ``quadrant``.
    concentrate : list of str
        Predictors of high importance and low performance, most important first.
    """

    frame: pd.DataFrame
    concentrate: list[str]


def importance_performance(
    data: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    ci: float = 0.95,
) -> IPAResult:
    """Importance-performance analysis (Martilla & James 1977) with regression-based importance.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        Outcome column (e.g. perceived effectiveness).
    predictors : sequence of str
        Numeric driver columns (e.g. construct scores).
    ci : float, default 0.95
        Level of the t-based interval of each performance mean.

    Returns
    -------
    IPAResult
        ``frame``: importance = standardized regression weight of the predictor from :func:`drivers`
        (OLS, HC3 p value); performance = the predictor's mean with the interval
        ``mean -/+ t_{n-1, (1+ci)/2} sd / sqrt(n)``; both computed on the same listwise-complete cases.
        Quadrants split at the mean importance and the mean performance across predictors
        (``>=`` counts as high): "concentrate here" (high importance, low performance), "keep up the good
        work", "low priority", "possible overkill". ``concentrate``: the "concentrate here" predictors,
        most important first.

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> df = pd.DataFrame(rng.normal(3, 1, size=(200, 3)), columns=["a", "b", "c"])
    >>> df["y"] = 0.6 * df.a + 0.1 * df.b + rng.normal(size=200)
    >>> frame, concentrate = importance_performance(df, outcome="y", predictors=["a", "b", "c"])
    >>> list(frame.columns[:3])
    ['predictor', 'importance', 'importance_p']

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of Marketing*,
    41(1), 77-79.
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci: expected a number in (0, 1), got {ci!r}")
    predictors = _as_list(predictors, name="predictors")
    if len(predictors) < 2:
        raise ValueError(f"predictors: expected at least 2 columns for quadrants, got {predictors}")
    res = drivers(data, outcome=outcome, predictors=predictors)
    frame = data[[outcome, *predictors]].dropna()
    n = len(frame)
    crit = stats.t.ppf((1 + ci) / 2, n - 1)
    perf = frame[predictors].astype(float).mean()
    half = crit * frame[predictors].astype(float).std(ddof=1) / np.sqrt(n)
    imp = res.table.loc[predictors, "beta_std"]
    out = pd.DataFrame(
        {
            "predictor": predictors,
            "importance": imp.to_numpy(),
            "importance_p": res.table.loc[predictors, "p"].to_numpy(),
            "performance": perf.to_numpy(),
            "performance_ci_lower": (perf - half).to_numpy(),
            "performance_ci_upper": (perf + half).to_numpy(),
            "n": n,
        }
    )
    hi_i = out["importance"] >= out["importance"].mean()
    hi_p = out["performance"] >= out["performance"].mean()
    out["quadrant"] = [_QUADRANTS[(bool(a), bool(b))] for a, b in zip(hi_i, hi_p)]
    conc = out[out["quadrant"] == "concentrate here"].sort_values("importance", ascending=False)
    return IPAResult(frame=out, concentrate=conc["predictor"].tolist())


# ----------------------------------------------------------------------------------------- tables


def _format_cell(value: object, column: str, digits: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        name = str(column).lower()
        if name == "p" or name.startswith("p_") or name.endswith("_p"):
            return _fmt_p(float(value))
        return f"{float(value):.{digits}f}".replace("-", "\u2212")
    return str(value)


def apa_table(
    df: pd.DataFrame,
    *,
    fmt: Literal["markdown", "html"] = "markdown",
    caption: str | None = None,
    digits: int = 2,
    index: bool = False,
) -> str:
    """Render a DataFrame as an APA-style table (markdown or HTML).

    Parameters
    ----------
    df : pandas.DataFrame
    fmt : {"markdown", "html"}, default "markdown"
    caption : str, optional
        Table title (italic in markdown, ``<caption>`` in HTML).
    digits : int, default 2
        Decimals of floating-point cells. Columns named ``p``, ``p_*`` or ``*_p`` are p values, printed
        APA-style without a leading zero and as ``< .001`` below .001. Negative numbers use the minus sign
        (U+2212). Missing cells are empty.
    index : bool, default False
        Include the index as the first column.

    Returns
    -------
    str

    Examples
    --------
    >>> print(apa_table(pd.DataFrame({"term": ["x"], "coef": [0.5], "p": [0.0004]})))
    | term | coef | p |
    |:--|--:|--:|
    | x | 0.50 | < .001 |

    References
    ----------
    American Psychological Association. (2020). *Publication manual of the American Psychological
    Association* (7th ed.), chapter 7 (tables).
    """
    if fmt not in ("markdown", "html"):
        raise ValueError(f"fmt: expected 'markdown' or 'html', got {fmt!r}")
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df: expected a pandas DataFrame, got {type(df).__name__}")
    if not isinstance(digits, (int, np.integer)) or digits < 0:
        raise ValueError(f"digits: expected a non-negative integer, got {digits!r}")
    frame = df.reset_index() if index else df
    cols = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns]
    body = [[_format_cell(v, c, digits) for v, c in zip(row, cols)] for row in frame.itertuples(index=False)]
    if fmt == "markdown":
        esc = lambda s: s.replace("|", "\\|")  # noqa: E731
        lines = []
        if caption:
            lines += [f"*{caption}*", ""]
        lines.append("| " + " | ".join(esc(c) for c in cols) + " |")
        lines.append("|" + "|".join("--:" if n else ":--" for n in numeric) + "|")
        lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in body]
        return "\n".join(lines)
    align = ['style="text-align:right"' if n else 'style="text-align:left"' for n in numeric]
    out = ['<table class="apa">']
    if caption:
        out.append(f"<caption><em>{_html.escape(caption)}</em></caption>")
    out.append("<thead><tr>" + "".join(f"<th {a}>{_html.escape(c)}</th>" for c, a in zip(cols, align)) + "</tr></thead>")
    out.append("<tbody>")
    for row in body:
        out.append("<tr>" + "".join(f"<td {a}>{_html.escape(v)}</td>" for v, a in zip(row, align)) + "</tr>")
    out.append("</tbody>")
    out.append("</table>")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------- figures


def _figure(figsize: tuple[float, float]):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def plot_profiles(
    means_with_ci: pd.DataFrame,
    *,
    x: str = "construct",
    y: str = "mean",
    hue: str | None = "group",
    lower: str = "ci_lower",
    upper: str = "ci_upper",
    title: str | None = None,
    ylabel: str = "Mean (1-5)",
):
    """Profile plot: one line of means with interval bars per group across constructs.

    Parameters
    ----------
    means_with_ci : pandas.DataFrame
        Long table with columns `x`, `y`, `lower`, `upper` and (optionally) `hue`.
    x, y, hue, lower, upper : str
        Column names; ``hue=None`` draws a single profile. The order of `x` is that of first appearance.
    title, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (no display, no global state).

    Examples
    --------
    >>> m = pd.DataFrame({"construct": ["a", "b"], "group": ["g", "g"], "mean": [3.0, 3.5],
    ...                   "ci_lower": [2.8, 3.3], "ci_upper": [3.2, 3.7]})
    >>> fig = plot_profiles(m)

    References
    ----------
    Waskom, M. L. (2021). seaborn: statistical data visualization. *JOSS*, 6(60), 3021.
    """
    import seaborn as sns

    need = [x, y, lower, upper] + ([hue] if hue else [])
    _check_columns(means_with_ci, need, role="plot_profiles")
    order = list(dict.fromkeys(means_with_ci[x].tolist()))
    pos = {c: i for i, c in enumerate(order)}
    groups = list(dict.fromkeys(means_with_ci[hue].tolist())) if hue else [None]
    colors = sns.color_palette("colorblind", len(groups))
    fig = _figure((max(6.0, 0.7 * len(order) + 2), 4.5))
    ax = fig.subplots()
    width = 0.25 / max(len(groups), 1)
    for gi, (g, col) in enumerate(zip(groups, colors)):
        sub = means_with_ci if g is None else means_with_ci[means_with_ci[hue] == g]
        xs = np.array([pos[c] for c in sub[x]], dtype=float) + (gi - (len(groups) - 1) / 2) * width
        yv = sub[y].to_numpy(dtype=float)
        err = np.vstack([yv - sub[lower].to_numpy(dtype=float), sub[upper].to_numpy(dtype=float) - yv])
        ax.errorbar(xs, yv, yerr=err, marker="o", capsize=3, color=col, label=None if g is None else str(g))
    ax.set_xticks(range(len(order)), [str(o) for o in order], rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if hue:
        ax.legend(title=hue, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_heatmap(
    means: pd.DataFrame,
    *,
    title: str | None = None,
    cmap: str = "RdYlGn",
    center: float | None = 3.0,
    fmt: str = ".2f",
):
    """Annotated heatmap of a wide table of means (e.g. constructs by case).

    Parameters
    ----------
    means : pandas.DataFrame
        Numeric wide table; rows and columns are labelled by its index and columns.
    title : str, optional
    cmap : str, default "RdYlGn"
    center : float or None, default 3.0
        Value at the colour map's centre (the scale midpoint of a 1-5 Likert item).
    fmt : str, default ".2f"
        Annotation format.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_heatmap(pd.DataFrame({"A": [3.1, 3.6], "B": [2.9, 4.0]}, index=["plans", "teams"]))

    References
    ----------
    Waskom, M. L. (2021). seaborn: statistical data visualization. *JOSS*, 6(60), 3021.
    """
    import seaborn as sns

    if not isinstance(means, pd.DataFrame) or means.empty:
        raise ValueError("means: expected a non-empty wide DataFrame of numbers")
    bad = [c for c in means.columns if not pd.api.types.is_numeric_dtype(means[c])]
    if bad:
        raise ValueError(f"means: column(s) {bad} are not numeric")
    fig = _figure((max(5.0, 0.9 * means.shape[1] + 3), max(3.5, 0.45 * means.shape[0] + 1.5)))
    ax = fig.subplots()
    sns.heatmap(means.astype(float), ax=ax, annot=True, fmt=fmt, cmap=cmap, center=center, linewidths=0.5)
    if title:
        ax.set_title(title)
    return fig


def plot_ipa(ipa_frame: pd.DataFrame, *, title: str | None = None):
    """Importance-performance map from :func:`importance_performance`'s ``frame``.

    Parameters
    ----------
    ipa_frame : pandas.DataFrame
        Columns ``predictor``, ``importance``, ``performance`` and optionally ``performance_ci_lower``
        and ``performance_ci_upper`` (drawn as horizontal bars).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Performance on x, importance on y, crosshairs at their means; the "concentrate here" quadrant
        (upper left) is shaded.

    Examples
    --------
    >>> f = pd.DataFrame({"predictor": ["a", "b"], "importance": [0.4, 0.1], "performance": [3.0, 3.8]})
    >>> fig = plot_ipa(f)

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of Marketing*,
    41(1), 77-79.
    """
    _check_columns(ipa_frame, ["predictor", "importance", "performance"], role="plot_ipa")
    xm = float(ipa_frame["performance"].mean())
    ym = float(ipa_frame["importance"].mean())
    fig = _figure((6.5, 5.0))
    ax = fig.subplots()
    xv = ipa_frame["performance"].to_numpy(dtype=float)
    yv = ipa_frame["importance"].to_numpy(dtype=float)
    if {"performance_ci_lower", "performance_ci_upper"} <= set(ipa_frame.columns):
        err = np.vstack(
            [xv - ipa_frame["performance_ci_lower"].to_numpy(dtype=float),
             ipa_frame["performance_ci_upper"].to_numpy(dtype=float) - xv]
        )
        ax.errorbar(xv, yv, xerr=err, fmt="none", ecolor="0.6", capsize=2)
    ax.scatter(xv, yv, color="#0072B2", zorder=3)
    for name, a, b in zip(ipa_frame["predictor"], xv, yv):
        ax.annotate(str(name), (a, b), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.axvline(xm, color="0.4", lw=0.8, ls="--")
    ax.axhline(ym, color="0.4", lw=0.8, ls="--")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    ax.fill_between([x0, xm], ym, y1, color="#D55E00", alpha=0.08, lw=0)
    ax.text(x0, y1, " concentrate here", va="top", ha="left", fontsize=8, color="#D55E00")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("Performance (mean)")
    ax.set_ylabel("Importance (standardized weight)")
    if title:
        ax.set_title(title)
    return fig
