"""Pooling cases in one model: the case (group) as random intercept (REML) or as fixed effects.

``pooled_model`` fits ``y ~ x`` over all cases with the cases as random intercepts, as
``lme4::lmer(y ~ x + (1 | g), REML = TRUE)`` (statsmodels ``MixedLM``, lmer's standard errors), or as
fixed effects (OLS with group dummies and HC3 errors through :func:`emstudy.stats.regression.drivers`);
checked against R in ``tests/reference/models.R``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emstudy.errors import ConvergenceWarning, ModelWarning
from emstudy.stats._common import as_list, check_columns, collinear_columns, numeric_column, record_warnings
from emstudy.stats.regression import _wald_table, drivers

__all__ = ["PooledResult", "pooled_model"]


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
        Index ``term``; ``coef``, ``se``, ``stat``, ``pvalue``, ``ci_lower``, ``ci_upper``. Random-intercept
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
    data: pd.DataFrame, *, outcome: str, predictors: Sequence[str], group: str, random: bool = True
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
    emstudy.errors.ConvergenceWarning
        If the REML optimizer does not converge (the optimizer's message is quoted).
    emstudy.errors.ModelWarning
        If the group variance is estimated at zero (singular fit, a boundary estimate).

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
    predictors = _check_args_pooled(data, outcome=outcome, predictors=predictors, group=group)
    if not random:
        return _pooled_fixed(data, outcome=outcome, predictors=predictors, group=group)
    frame, complete, y, X, names, levels, gidx = _mixed_data(data, outcome=outcome, predictors=predictors, group=group)
    beta, var_group, var_resid, converged, problems = _fit_reml(y, X, gidx)
    _warn_reml(
        outcome=outcome, group=group, converged=converged, problems=problems, var_group=var_group, var_resid=var_resid
    )
    se = _lmer_se(X, gidx, len(levels), var_group=var_group, var_resid=var_resid)
    return PooledResult(
        outcome=outcome,
        group=group,
        random=True,
        table=_wald_table(beta, se, names, stat="stat", df=None),
        var_group=var_group,
        var_resid=var_resid,
        icc=var_group / (var_group + var_resid),
        n=int(len(frame)),
        n_groups=int(len(levels)),
        n_dropped=int((~complete).sum()),
        converged=converged,
    )


def _check_args_pooled(data: pd.DataFrame, *, outcome: str, predictors: Sequence[str], group: str) -> list[str]:
    predictors = as_list(predictors, name="predictors")
    if group in predictors or group == outcome:
        raise ValueError(f"group {group!r} must differ from the outcome and the predictors")
    check_columns(data, [outcome, *predictors, group], role="pooled_model")
    return predictors


def _pooled_fixed(data: pd.DataFrame, *, outcome: str, predictors: list[str], group: str) -> PooledResult:
    """Groups as fixed effects: :func:`drivers` with the group dummy-coded (first level as reference), HC3."""
    res = drivers(data, outcome=outcome, predictors=predictors, covariates=[group], categorical=[group])
    t = res.table[["coef", "se", "t", "pvalue", "ci_lower", "ci_upper"]].rename(columns={"t": "stat"})
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


def _mixed_data(data: pd.DataFrame, *, outcome: str, predictors: list[str], group: str) -> tuple:
    """Complete cases, outcome vector, design with intercept, group levels and each case's group index."""
    frame = data[[outcome, *predictors, group]]
    complete = frame.notna().all(axis=1)
    frame = frame.loc[complete]
    y = numeric_column(frame[outcome], role="outcome").to_numpy()
    X = np.column_stack([np.ones(len(frame)), *[numeric_column(frame[c], role="predictor") for c in predictors]])
    names = ["Intercept", *predictors]
    involved = collinear_columns(X, names)
    if involved:
        raise ValueError(f"pooled_model: the design is perfectly collinear; columns involved: {involved}")
    levels, gidx = np.unique(frame[group].to_numpy(), return_inverse=True)
    if len(levels) < 2:
        raise ValueError(f"group {group!r}: expected at least 2 groups, got {list(levels)}")
    return frame, complete, y, X, names, levels, gidx


def _fit_reml(y: np.ndarray, X: np.ndarray, gidx: np.ndarray) -> tuple:
    """REML fit of the random-intercept model (statsmodels ``MixedLM``).

    statsmodels' own warnings (its ``ModelWarning`` family: ConvergenceWarning, SingularMatrixWarning, ...)
    are recorded, not shown, and become the problems quoted by :func:`_warn_reml`; its note that the MLE
    may be on the boundary is left out of the problems because the boundary is handled here: when the group variance is about
    zero and the optimizer stopped short, the exact REML solution on the boundary is returned (OLS fixed
    effects, sigma^2 = RSS / (n - p)), as lme4 reports a singular fit.

    Returns
    -------
    beta, var_group, var_resid, converged, problems (messages of the recorded warnings)
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ModelWarning as StatsmodelsWarning

    with record_warnings(StatsmodelsWarning) as caught:
        fit = sm.MixedLM(y, X, groups=gidx).fit(reml=True)
    problems = [str(x.message) for x in caught if "boundary of the parameter" not in str(x.message)]
    converged = bool(fit.converged)
    var_resid = float(fit.scale)
    var_group = float(np.asarray(fit.cov_re)[0, 0])
    beta = np.asarray(fit.fe_params)
    if var_group <= 1e-4 * var_resid and (not converged or problems):
        # On the boundary (group variance 0) the marginal covariance is sigma^2 I: OLS is the REML solution.
        beta, rss = np.linalg.lstsq(X, y, rcond=None)[:2]
        resid = y - X @ beta
        var_resid = float(resid @ resid) / (len(y) - X.shape[1])
        var_group = 0.0
        converged = True
        problems = []
    return beta, var_group, var_resid, converged, problems


def _warn_reml(
    *, outcome: str, group: str, converged: bool, problems: list[str], var_group: float, var_resid: float
) -> None:
    """ConvergenceWarning if REML did not converge cleanly; ModelWarning for a singular (boundary) fit."""
    if not converged or problems:
        warnings.warn(
            f"pooled_model: the REML optimizer did not converge cleanly for {outcome!r} by {group!r}: "
            f"{'; '.join(problems) or 'converged = False'}. Group variance at stop: {var_group:.3g} "
            f"(residual {var_resid:.3g}); a group variance near zero often causes this. Advice: centre or "
            "rescale the predictors, check that each group has enough cases, or fit the groups as fixed "
            "effects (random=False).",
            ConvergenceWarning,
            stacklevel=3,
        )
    if var_group <= 1e-8 * var_resid:
        warnings.warn(
            f"pooled_model: the variance of the random intercepts of {group!r} is estimated at (or near) zero "
            "(singular fit): the groups do not differ beyond the predictors; random=False or plain OLS "
            "describes the data as well.",
            ModelWarning,
            stacklevel=3,
        )


def _lmer_se(X: np.ndarray, gidx: np.ndarray, n_groups: int, *, var_group: float, var_resid: float) -> np.ndarray:
    """lmer's fixed-effect SEs: sqrt(diag((X' V^-1 X)^-1)), V_g = s2 I + t2 11' inverted per group (Woodbury)."""
    info = np.zeros((X.shape[1], X.shape[1]))
    for gi in range(n_groups):
        Xg = X[gidx == gi]
        s = Xg.sum(axis=0)
        info += (Xg.T @ Xg - var_group / (var_resid + len(Xg) * var_group) * np.outer(s, s)) / var_resid
    return np.sqrt(np.diag(np.linalg.inv(info)))
