"""Multiple imputation of observed scores and Rubin's rules for pooling the estimates.

``impute`` makes ``m`` completed data sets with scikit-learn's ``IterativeImputer`` (chained equations,
Bayesian ridge regressions, imputations drawn from their predictive distribution), each from its own seed
spawned from one :class:`numpy.random.SeedSequence`. ``pool`` combines estimates and their complete-data
variances by Rubin's rules with the Barnard-Rubin small-sample degrees of freedom, as ``mice::pool``
reports them. ``pooled_drivers`` is the composition for :func:`emstudy.stats.regression.drivers`, reported
beside the complete-case fit.

Conventions (checked against R in ``tests/reference/imputation.R``):

* ``pool``: ``mice::pool(mice::as.mira(fits))`` and ``summary(pooled, conf.int = TRUE)`` on ``lm`` fits of
  the same imputed sets (model-based variances), and ``mice::pool.scalar`` on HC3 variances.
* The imputations themselves are scikit-learn's; R does not reproduce them, it pools the same sets.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.stats._common import as_list, check_columns
from emstudy.stats.regression import DriversResult, drivers

__all__ = ["PooledEstimates", "PooledDriversResult", "impute", "pool", "pooled_drivers"]

_POOL_COLUMNS = ("estimate", "se", "df", "statistic", "pvalue", "ci_lower", "ci_upper")
_DIAGNOSTIC_COLUMNS = ("riv", "lambda", "fmi", "ubar", "b", "t")


# ------------------------------------------------------------------------------------------ pooling


@dataclass(frozen=True, eq=False)
class PooledEstimates:
    """Result of :func:`pool`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per parameter (index ``term``) with columns ``estimate`` (mean over the imputations),
        ``se`` (square root of ``t``), ``df`` (Barnard-Rubin), ``statistic`` (``estimate / se``),
        ``pvalue`` (two-sided, t with ``df``), ``ci_lower``, ``ci_upper``, ``riv`` (relative increase in
        variance due to nonresponse), ``lambda`` (proportion of the total variance due to nonresponse),
        ``fmi`` (fraction of missing information), ``ubar`` (within-imputation variance), ``b``
        (between-imputation variance) and ``t`` (total variance).
    m : int
        Number of imputations.
    dfcom : float
        Complete-data degrees of freedom ``n - k`` (``inf`` when ``n`` is None).
    conf_level : float
        Confidence level of the intervals.
    cov : numpy.ndarray or None
        Total covariance matrix ``Ubar + (1 + 1/m) B`` of the parameters when covariance matrices were
        pooled; None when only variances were given.
    """

    table: pd.DataFrame
    m: int
    dfcom: float
    conf_level: float
    cov: np.ndarray | None = None

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per parameter, the term as a column."""
        return self.table.reset_index()

    def summary(self) -> str:
        """Readable text summary."""
        return "\n".join(
            [
                f"Rubin's rules over m = {self.m} imputations, complete-data df = {self.dfcom:g}, "
                f"Barnard-Rubin df, {self.conf_level:.0%} intervals",
                self.table.to_string(float_format=lambda v: f"{v:.4f}"),
            ]
        )

    def __repr__(self) -> str:
        return f"PooledEstimates(m={self.m}, dfcom={self.dfcom:g}, terms={list(self.table.index)})"


def pool(
    estimates: pd.DataFrame | np.ndarray | Sequence[Sequence[float]],
    variances: np.ndarray | Sequence,
    *,
    n: int | None = None,
    k: int | None = None,
    dfcom: float | None = None,
    names: Sequence[str] | None = None,
    conf_level: float = 0.95,
) -> PooledEstimates:
    """Pool estimates from ``m`` imputed data sets by Rubin's rules (Barnard-Rubin degrees of freedom).

    Parameters
    ----------
    estimates : array-like of shape (m, p) or pandas.DataFrame
        The ``p`` estimates from each of the ``m`` completed data sets (a DataFrame's columns name them).
    variances : array-like of shape (m, p) or (m, p, p)
        Their complete-data sampling variances, or covariance matrices, from each data set.
    n : int, optional
        Cases in each completed data set; None for a large-sample analysis (infinite complete-data df, the
        df of Rubin 1987).
    k : int, optional
        Parameters of the complete-data model, needed with `n`: the complete-data df is ``n - k``
        (``df.residual`` of an ``lm`` fit: ``k`` counts the intercept).
    dfcom : float, optional
        The complete-data df itself, instead of `n` and `k`, for an analysis whose df is not ``n - k`` (e.g.
        Welch's df of a mean difference); as ``mice::pool.scalar(Q, U, n = dfcom + 1, k = 1)``. Give either
        `dfcom` or `n`; neither means a large-sample analysis.
    names : sequence of str, optional
        Parameter names (default: the DataFrame's columns, else ``"q1"``, ``"q2"``, ...).
    conf_level : float, default 0.95
        Confidence level of the t intervals.

    Returns
    -------
    PooledEstimates
        With ``Qbar`` the mean estimate, ``Ubar`` the mean variance and ``B`` the variance of the estimates
        over the imputations (divisor ``m - 1``): ``T = Ubar + (1 + 1/m) B``; ``riv = (1 + 1/m) B / Ubar``;
        ``lambda = (1 + 1/m) B / T``; degrees of freedom ``1/df = 1/df_old + 1/df_obs`` with
        ``df_old = (m - 1) / lambda**2`` and ``df_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lambda)``
        (Barnard & Rubin 1999; ``df_old`` alone when ``dfcom`` is infinite); ``fmi = (riv + 2 / (df + 3)) /
        (riv + 1)`` (van Buuren 2018, sec. 2.3). ``mice::pool`` floors ``lambda`` at 1e-4 inside its df;
        here ``lambda = 0`` (no between variance for a parameter) gives ``df = df_obs`` exactly.

    Raises
    ------
    ValueError
        If fewer than two imputations are given (no between-imputation variance), the shapes disagree,
        a variance is negative or not finite, or ``n - k`` is not positive.

    Examples
    --------
    >>> res = pool([[1.0, 2.0], [1.2, 1.8], [0.8, 2.1]], [[0.04, 0.09]] * 3, n=100, k=2, names=["a", "b"])
    >>> res.table.loc["a", ["estimate", "b", "t"]].round(4).tolist()
    [1.0, 0.04, 0.0933]

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.

    Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple imputation.
    *Biometrika*, 86(4), 948-955.

    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), sec. 2.3-2.4. CRC Press.
    """
    q, u, names, dfcom = _check_args_pool(
        estimates, variances, n=n, k=k, dfcom=dfcom, names=names, conf_level=conf_level
    )
    m = q.shape[0]
    qbar = q.mean(axis=0)
    b_mat = np.atleast_2d(np.cov(q, rowvar=False, ddof=1))
    if u.ndim == 3:
        ubar_mat = u.mean(axis=0)
        cov = ubar_mat + (1 + 1 / m) * b_mat
        ubar = np.diag(ubar_mat).copy()
    else:
        cov = None
        ubar = u.mean(axis=0)
    b = np.diag(b_mat).copy()
    table = _pool_table(qbar, ubar, b, m=m, dfcom=dfcom, conf_level=conf_level, names=names)
    return PooledEstimates(table=table, m=m, dfcom=dfcom, conf_level=conf_level, cov=cov)


def _check_args_pool(
    estimates,
    variances,
    *,
    n: int | None,
    k: int | None,
    dfcom: float | None,
    names: Sequence[str] | None,
    conf_level: float,
) -> tuple[np.ndarray, np.ndarray, list[str], float]:
    if names is None and isinstance(estimates, pd.DataFrame):
        names = [str(c) for c in estimates.columns]
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    if q.ndim != 2:
        raise ValueError(f"estimates: expected a 2-d array (imputations x parameters), got shape {q.shape}")
    m, p = q.shape
    if m < 2:
        raise ValueError(f"estimates: expected at least 2 imputations (rows) to estimate the between variance, got {m}")
    if u.shape not in ((m, p), (m, p, p)):
        raise ValueError(f"variances: expected shape {(m, p)} or {(m, p, p)} to match the estimates, got {u.shape}")
    diag = u if u.ndim == 2 else np.diagonal(u, axis1=1, axis2=2)
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(u))) or np.any(diag < 0):
        raise ValueError("estimates, variances: expected finite values and non-negative variances")
    names = [f"q{j + 1}" for j in range(p)] if names is None else [str(x) for x in names]
    if len(names) != p:
        raise ValueError(f"names: expected {p} names, one per parameter, got {len(names)}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number between 0 and 1, got {conf_level!r}")
    if dfcom is not None:
        if n is not None or k is not None:
            raise ValueError("dfcom: give the complete-data df either as dfcom or as n and k, not both")
        if isinstance(dfcom, bool) or not isinstance(dfcom, numbers.Real) or not dfcom > 0:
            raise ValueError(f"dfcom: expected a positive number (complete-data degrees of freedom), got {dfcom!r}")
        return q, u, names, float(dfcom)
    if n is None:
        return q, u, names, np.inf
    if k is None or not isinstance(k, numbers.Integral) or k < 0:
        raise ValueError(f"k: expected a non-negative integer (parameters of the model), got {k!r}")
    if not isinstance(n, numbers.Integral) or n - k < 1:
        raise ValueError(f"n: expected an integer greater than k = {k} (complete-data df n - k > 0), got {n!r}")
    return q, u, names, float(n - k)


def _pool_table(
    qbar: np.ndarray, ubar: np.ndarray, b: np.ndarray, *, m: int, dfcom: float, conf_level: float, names: list[str]
) -> pd.DataFrame:
    """The per-parameter quantities of Rubin's rules and the Barnard-Rubin df."""
    t = ubar + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / ubar
        lam = (1 + 1 / m) * b / t
        inv_df_old = lam**2 / (m - 1)
        if np.isinf(dfcom):
            df = 1 / inv_df_old
        else:
            df_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
            df = 1 / (inv_df_old + 1 / df_obs)
        fmi = (riv + 2 / (df + 3)) / (riv + 1)
        se = np.sqrt(t)
        statistic = qbar / se
    pvalue = 2 * stats.t.sf(np.abs(statistic), df)
    crit = stats.t.ppf(0.5 + conf_level / 2, df)
    table = pd.DataFrame(
        {
            "estimate": qbar,
            "se": se,
            "df": df,
            "statistic": statistic,
            "pvalue": pvalue,
            "ci_lower": qbar - crit * se,
            "ci_upper": qbar + crit * se,
            "riv": riv,
            "lambda": lam,
            "fmi": fmi,
            "ubar": ubar,
            "b": b,
            "t": t,
        },
        index=pd.Index(names, name="term"),
    )
    return table[[*_POOL_COLUMNS, *_DIAGNOSTIC_COLUMNS]]


# ----------------------------------------------------------------------------------------- imputing


def impute(
    data: pd.DataFrame,
    *,
    m: int = 20,
    seed: int | np.random.SeedSequence,
    max_iter: int = 10,
    columns: Sequence[str] | None = None,
    rounded: Sequence[str] = (),
) -> list[pd.DataFrame]:
    """Make ``m`` completed copies of `data` by chained equations with posterior draws.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Only read; each completed set is a new frame.
    m : int, default 20
        Number of imputed data sets (at least 1; pooling needs 2 or more).
    seed : int or numpy.random.SeedSequence
        Seed of the :class:`~numpy.random.SeedSequence` whose ``m`` spawned children seed the imputations:
        set ``i`` depends only on its child, so the sets are the same whatever order (or process) they are
        made in, and the first ``m`` sets of a larger ``m`` are the sets of the smaller one.
    max_iter : int, default 10
        Rounds of chained equations per set (all of them run: with posterior draws scikit-learn applies
        no early stopping).
    columns : sequence of str, optional
        Numeric columns that make up the imputation model and are filled; default every numeric column.
        The other columns are carried through untouched, and so are the listed ones without missing values.
    rounded : sequence of str, optional
        Columns among `columns` (Likert items, counts) whose imputed values are clipped to the column's
        observed range and rounded to the nearest integer. By default imputed values stay continuous, as
        van Buuren (2018) advises when the analysis treats the variable as continuous (scale means,
        regression): rounding draws from a normal model biases means and regression estimates (Horton,
        Lipsitz & Parzen 2003). Round only for analyses that need the categories themselves.

    Returns
    -------
    list of pandas.DataFrame
        ``m`` frames with `data`'s index and columns; observed values unchanged, missing values of
        `columns` filled.

    Raises
    ------
    ValueError
        If a column is absent, not numeric or entirely missing, or an option is out of range.

    Notes
    -----
    Each set comes from ``IterativeImputer(sample_posterior=True, max_iter=max_iter, random_state=s)``:
    mean-initialised, each incomplete column in turn regressed on all the others by Bayesian ridge
    regression and its missing values drawn from the predictive normal distribution (which carries the
    uncertainty of the coefficients through its variance, though not by a shared draw of them, so the
    imputations are approximately proper in Rubin's sense).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    >>> df.iloc[::7, 0] = np.nan
    >>> sets = impute(df, m=3, seed=1)
    >>> len(sets), int(sets[0].isna().sum().sum()), bool(sets[0]["b"].equals(df["b"]))
    (3, 0, True)

    References
    ----------
    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.). CRC Press.

    Horton, N. J., Lipsitz, S. R., & Parzen, M. (2003). A potential for bias when rounding in multiple
    imputation. *The American Statistician*, 57(4), 229-232.
    """
    columns, rounded = _check_args_impute(data, m=m, seed=seed, max_iter=max_iter, columns=columns, rounded=rounded)
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [_impute_one(data, child, columns=columns, rounded=rounded, max_iter=max_iter) for child in root.spawn(m)]


def _check_args_impute(
    data: pd.DataFrame, *, m: int, seed, max_iter: int, columns: Sequence[str] | None, rounded: Sequence[str]
) -> tuple[list[str], list[str]]:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(m, numbers.Integral) or isinstance(m, bool) or m < 1:
        raise ValueError(f"m: expected a positive integer (number of imputations), got {m!r}")
    if not isinstance(max_iter, numbers.Integral) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"max_iter: expected a positive integer, got {max_iter!r}")
    if not isinstance(seed, np.random.SeedSequence) and (
        not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0
    ):
        raise ValueError(f"seed: expected a non-negative integer or a numpy SeedSequence, got {seed!r}")
    if columns is None:
        columns = [c for c in data.columns if _is_numeric(data[c])]
    columns = as_list(columns, name="columns")
    check_columns(data, columns, role="impute")
    if not columns:
        raise ValueError("columns: expected at least one numeric column to impute")
    for c in columns:
        if not _is_numeric(data[c]):
            raise ValueError(f"impute: column {c!r} is not numeric (dtype {data[c].dtype}); leave it out of `columns`")
        if data[c].isna().all():
            raise ValueError(f"impute: column {c!r} has no observed value; drop it or give it some data")
    rounded = as_list(rounded, name="rounded")
    stray = [c for c in rounded if c not in columns]
    if stray:
        raise ValueError(f"rounded: column(s) {stray} are not among the imputed columns {columns}")
    return columns, rounded


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _impute_one(
    data: pd.DataFrame, child: np.random.SeedSequence, *, columns: list[str], rounded: list[str], max_iter: int
) -> pd.DataFrame:
    """One completed set from one spawned seed; only the missing cells of `columns` change."""
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (IterativeImputer is experimental)
    from sklearn.impute import IterativeImputer

    values = data[columns].to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    out = data.copy()
    if not missing.any():
        return out
    imputer = IterativeImputer(
        sample_posterior=True, max_iter=max_iter, random_state=int(child.generate_state(1, np.uint32)[0])
    )
    filled = imputer.fit_transform(values)
    for j, c in enumerate(columns):
        if not missing[:, j].any():
            continue
        col = np.where(missing[:, j], filled[:, j], values[:, j])
        if c in rounded:
            lo, hi = np.nanmin(values[:, j]), np.nanmax(values[:, j])
            col = np.where(missing[:, j], np.rint(np.clip(col, lo, hi)), col)
        out[c] = col
    return out


# ------------------------------------------------------------------------------------------ drivers


@dataclass(frozen=True, eq=False)
class PooledDriversResult:
    """Result of :func:`pooled_drivers`.

    Attributes
    ----------
    outcome : str
        Outcome column.
    pooled : PooledEstimates
        Coefficients pooled by Rubin's rules (its ``table`` has one row per term of the drivers model).
    complete_case : DriversResult
        The same model on the complete cases, for reporting beside the pooled one.
    m, seed : int
        Imputations and the seed they were spawned from.
    n : int
        Cases in each completed data set.
    n_missing : dict
        Missing values per imputed column before imputation.
    cov_type : str
        Complete-data covariance that was pooled (``"HC3"`` by default, as the complete-case fit).
    r2 : tuple of float
        R² of each completed set.
    imputations : tuple of pandas.DataFrame
        The ``m`` completed data sets the fits used (the model's columns, auxiliary ones and the categorical
        ones as given), for diagnostics or for pooling the same sets elsewhere.
    """

    outcome: str
    pooled: PooledEstimates
    complete_case: DriversResult
    m: int
    seed: int
    n: int
    n_missing: Mapping[str, int] = field(default_factory=dict)
    cov_type: str = "HC3"
    r2: tuple[float, ...] = ()
    imputations: tuple[pd.DataFrame, ...] = field(default=(), repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """The pooled coefficient table (index ``term``)."""
        return self.pooled.table

    def to_frame(self, *, complete_case: bool = False) -> pd.DataFrame:
        """Tidy pooled table, the term as a column; with ``complete_case=True`` the complete-case
        ``coef``, ``se`` and ``pvalue`` beside it (as ``estimate_cc``, ``se_cc``, ``pvalue_cc``)."""
        frame = self.pooled.table.copy()
        if complete_case:
            cc = self.complete_case.table[["coef", "se", "pvalue"]]
            frame = frame.join(cc.rename(columns={"coef": "estimate_cc", "se": "se_cc", "pvalue": "pvalue_cc"}))
        return frame.reset_index()

    def summary(self) -> str:
        """Readable text summary: pooled estimates beside the complete-case ones."""
        cc = self.complete_case
        missing = ", ".join(f"{c} {k}" for c, k in self.n_missing.items() if k) or "none"
        head = (
            f"OLS drivers of {self.outcome!r} over m = {self.m} imputations (seed {self.seed}): n = {self.n}, "
            f"SE: {self.cov_type} pooled by Rubin's rules (Barnard-Rubin df); missing values imputed: {missing}"
        )
        cols = ["estimate", "se", "df", "pvalue", "fmi", "estimate_cc", "se_cc", "pvalue_cc"]
        frame = self.to_frame(complete_case=True).set_index("term")[cols]
        tail = f"Complete cases (_cc): n = {cc.n} ({cc.n_dropped} dropped); R2 over imputations {min(self.r2):.3f}-{max(self.r2):.3f}"
        return "\n".join([head, frame.to_string(float_format=lambda v: f"{v:.4f}"), tail])

    def __repr__(self) -> str:
        return f"PooledDriversResult(outcome={self.outcome!r}, m={self.m}, n={self.n}, terms={list(self.table.index)})"


def pooled_drivers(
    data: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    auxiliary: Sequence[str] = (),
    m: int = 20,
    seed: int,
    max_iter: int = 10,
    cov_type: Literal["HC3", "HC2", "HC1", "HC0", "nonrobust"] = "HC3",
    conf_level: float = 0.95,
) -> PooledDriversResult:
    """Drivers of an outcome (OLS) by multiple imputation, pooled by Rubin's rules, beside the complete cases.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    outcome, predictors, covariates, categorical
        As in :func:`emstudy.stats.regression.drivers`. Categorical columns must be complete: they enter
        the imputation model as dummies and are not imputed.
    auxiliary : sequence of str, optional
        Further numeric columns that only inform the imputation model (they are imputed too if incomplete).
    m : int, default 20
        Imputations (at least 2).
    seed : int
        Seed of the imputations (see :func:`impute`).
    max_iter : int, default 10
        Rounds of chained equations per set.
    cov_type : {"HC3", "HC2", "HC1", "HC0", "nonrobust"}, default "HC3"
        Complete-data covariance pooled. The default pools the HC3 covariance so that the pooled errors are
        the same kind as the complete-case ones printed beside them, robust to heteroskedastic residuals;
        Rubin's rules need only a consistent complete-data variance, which HC3 is. ``"nonrobust"`` pools
        the model-based covariance, as ``mice::pool`` does for ``lm`` fits.
    conf_level : float, default 0.95
        Confidence level of the pooled intervals.

    Returns
    -------
    PooledDriversResult
        Pooled coefficients (``pooled.table``), the complete-case fit, the R² of each set and the sets.
        The outcome is in the imputation model (leaving it out would attenuate the driver coefficients),
        and every row is kept in the fits, also those whose outcome was imputed (von Hippel 2007 proposes
        deleting them after imputation, which loses nothing only when no auxiliary column informs them).

    Raises
    ------
    ValueError
        If ``m < 2``, a categorical column has missing values, or an argument of ``drivers`` is invalid.

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.

    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.). CRC Press.

    von Hippel, P. T. (2007). Regression with missing Ys: An improved strategy for analyzing multiply imputed
    data. *Sociological Methodology*, 37(1), 83-117.
    """
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    if not isinstance(m, numbers.Integral) or m < 2:
        raise ValueError(
            f"m: expected at least 2 imputations (Rubin's rules need a between-imputation variance), got {m!r}"
        )
    fit_args = dict(
        outcome=outcome, predictors=predictors, covariates=covariates, categorical=categorical, cov_type=cov_type
    )
    complete_case = drivers(data, **fit_args)
    work, imputed, cats = _imputation_frame(data, outcome=outcome, fit_args=fit_args, auxiliary=auxiliary)
    sets = [
        s[imputed].assign(**{c: data[c] for c in cats})
        for s in impute(work, m=m, seed=seed, max_iter=max_iter, columns=list(work.columns))
    ]
    fits = [drivers(s, **fit_args) for s in sets]
    first = fits[0]
    pooled = pool(
        np.array([f.table["coef"].to_numpy() for f in fits]),
        np.array([f.table["se"].to_numpy() ** 2 for f in fits]),
        n=first.n,
        k=first.n - first.df_resid,
        names=list(first.table.index),
        conf_level=conf_level,
    )
    return PooledDriversResult(
        outcome=outcome,
        pooled=pooled,
        complete_case=complete_case,
        m=int(m),
        seed=int(seed),
        n=first.n,
        n_missing={c: int(data[c].isna().sum()) for c in imputed},
        cov_type=cov_type,
        r2=tuple(f.r2 for f in fits),
        imputations=tuple(sets),
    )


def _imputation_frame(
    data: pd.DataFrame, *, outcome: str, fit_args: dict, auxiliary: Sequence[str]
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Numeric model and auxiliary columns, plus dummies of the (complete) categorical columns."""
    auxiliary = as_list(auxiliary, name="auxiliary")
    check_columns(data, auxiliary, role="auxiliary")
    cats = as_list(fit_args["categorical"], name="categorical")
    terms = [*as_list(fit_args["predictors"], name="predictors"), *as_list(fit_args["covariates"], name="covariates")]
    numeric = list(dict.fromkeys([outcome, *[c for c in terms if c not in cats], *auxiliary]))
    incomplete = [c for c in cats if data[c].isna().any()]
    if incomplete:
        raise ValueError(
            f"categorical: column(s) {incomplete} have missing values; pooled_drivers imputes numeric columns "
            "only: drop those rows first"
        )
    work = data[numeric]
    if cats:
        dummies = pd.get_dummies(data[cats].astype("category"), prefix_sep="=", drop_first=True, dtype=float)
        work = pd.concat([work, dummies.rename(columns=lambda c: f"_dummy:{c}")], axis=1)
    return work, numeric, cats
