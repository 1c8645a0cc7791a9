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
import re
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "MeasurementModel",
    "parse_model",
    "FitMeasures",
    "CFAResult",
    "cfa",
    "chisq_difference",
    "InvarianceResult",
    "invariance",
]

_IDENT = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_EQUAL_OPTIONS = ("loadings", "intercepts", "residuals", "means", "lv.variances", "lv.covariances")


# --------------------------------------------------------------------------------------------
# model syntax
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasurementModel:
    """A parsed measurement model.

    Attributes
    ----------
    factors : tuple of str
        Latent factors, in order of first appearance.
    indicators : tuple of (str, tuple of str)
        For each factor, its indicators in the order written; the first is the marker.
    """

    factors: tuple[str, ...]
    indicators: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def observed(self) -> tuple[str, ...]:
        """Observed variables in order of first appearance."""
        seen: list[str] = []
        for _, items in self.indicators:
            for it in items:
                if it not in seen:
                    seen.append(it)
        return tuple(seen)

    def items_of(self, factor: str) -> tuple[str, ...]:
        """Indicators of ``factor``."""
        for f, items in self.indicators:
            if f == factor:
                return items
        raise ValueError(f"factor: unknown factor {factor!r}")

    def __repr__(self) -> str:
        lines = [f"  {f} =~ {' + '.join(items)}" for f, items in self.indicators]
        return "MeasurementModel(\n" + "\n".join(lines) + "\n)"


def parse_model(model: str) -> MeasurementModel:
    """Parse lavaan's measurement syntax.

    Parameters
    ----------
    model : str
        Lines ``factor =~ item1 + item2 + ...``; ``#`` starts a comment; statements may be on
        separate lines or separated by ``;``. A factor written on several lines collects all its
        indicators.

    Returns
    -------
    MeasurementModel

    Raises
    ------
    ValueError
        On a syntax error (the message names the line number and the offending token), an
        unsupported operator, or a factor used as an indicator.

    Examples
    --------
    >>> parse_model("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6").factors
    ('visual', 'textual')

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2), 1-36.
    """
    if not isinstance(model, str):
        raise ValueError(f"model: expected a string in lavaan syntax, got {type(model).__name__}")
    order: list[str] = []
    items: dict[str, list[str]] = {}
    for lineno, raw in enumerate(model.splitlines(), start=1):
        line = raw.split("#", 1)[0]
        for stmt in line.split(";"):
            stmt = stmt.strip()
            if not stmt:
                continue
            if "=~" not in stmt:
                for op in ("~~", "~1", ":=", "==", "<", ">", "~"):
                    if op in stmt:
                        raise ValueError(
                            f"model line {lineno}: operator {op!r} is not supported "
                            f"(only measurement statements 'factor =~ item1 + item2'): {stmt!r}"
                        )
                tok = stmt.split()[0]
                raise ValueError(f"model line {lineno}: expected '=~' after {tok!r}: {stmt!r}")
            if stmt.count("=~") > 1:
                raise ValueError(f"model line {lineno}: more than one '=~' in {stmt!r}")
            lhs, rhs = (s.strip() for s in stmt.split("=~"))
            if not lhs:
                raise ValueError(f"model line {lineno}: missing factor name before '=~'")
            if not _IDENT.match(lhs):
                raise ValueError(f"model line {lineno}: invalid factor name {lhs!r}")
            terms = [t.strip() for t in rhs.split("+")]
            for t in terms:
                if not t:
                    raise ValueError(
                        f"model line {lineno}: empty term (a '+' without an indicator) in {stmt!r}"
                    )
                if not _IDENT.match(t):
                    bad = next((c for c in t if not (c.isalnum() or c in "_.")), t)
                    raise ValueError(
                        f"model line {lineno}: invalid token {t!r} (unexpected {bad!r}); "
                        "modifiers such as '1*x1' or labels are not supported"
                    )
            if lhs not in items:
                order.append(lhs)
                items[lhs] = []
            for t in terms:
                if t in items[lhs]:
                    raise ValueError(f"model line {lineno}: indicator {t!r} repeated for {lhs!r}")
                items[lhs].append(t)
    if not order:
        raise ValueError("model: no measurement statement ('factor =~ item1 + item2') found")
    for f in order:
        for fac2 in order:
            if f in items[fac2]:
                raise ValueError(
                    f"model: factor {f!r} is also used as an indicator of {fac2!r}; "
                    "second-order factors are not supported"
                )
    return MeasurementModel(
        factors=tuple(order), indicators=tuple((f, tuple(items[f])) for f in order)
    )


# --------------------------------------------------------------------------------------------
# parameter table
# --------------------------------------------------------------------------------------------
@dataclass
class _Par:
    lhs: str
    op: str
    rhs: str
    group: int  # 0-based
    mat: str  # "L", "T", "P", "nu", "a"
    row: int
    col: int
    free: int  # index into the free vector, -1 if fixed
    value: float  # fixed value (or start value for free)


def _build_table(
    mm: MeasurementModel,
    ngroups: int,
    *,
    meanstructure: bool,
    equal: Sequence[str],
    partial: Sequence[str],
    std_lv: bool,
) -> tuple[list[_Par], int]:
    obs = mm.observed
    facs = mm.factors
    keys: dict[tuple, int] = {}
    table: list[_Par] = []

    def free_id(key: tuple, g: int, shared: bool) -> int:
        k = key if shared else key + (g,)
        if k not in keys:
            keys[k] = len(keys)
        return keys[k]

    eq = set(equal)
    part = {p.replace(" ", "") for p in partial}
    for g in range(ngroups):
        for k, f in enumerate(facs):
            for idx, it in enumerate(mm.items_of(f)):
                j = obs.index(it)
                if idx == 0 and not std_lv:
                    table.append(_Par(f, "=~", it, g, "L", j, k, -1, 1.0))
                else:
                    shared = "loadings" in eq and f"{f}=~{it}" not in part
                    table.append(
                        _Par(f, "=~", it, g, "L", j, k, free_id(("L", j, k), g, shared), 1.0)
                    )
        for j, it in enumerate(obs):
            shared = "residuals" in eq and f"{it}~~{it}" not in part
            table.append(_Par(it, "~~", it, g, "T", j, j, free_id(("T", j), g, shared), 1.0))
        for k, f in enumerate(facs):
            if std_lv and (g == 0 or "loadings" not in eq):
                table.append(_Par(f, "~~", f, g, "P", k, k, -1, 1.0))
            else:
                shared = "lv.variances" in eq and f"{f}~~{f}" not in part
                table.append(_Par(f, "~~", f, g, "P", k, k, free_id(("P", k, k), g, shared), 0.05))
        for k in range(len(facs)):
            for m in range(k + 1, len(facs)):
                shared = "lv.covariances" in eq
                table.append(
                    _Par(facs[k], "~~", facs[m], g, "P", m, k,
                         free_id(("P", m, k), g, shared), 0.0)
                )
        if meanstructure:
            for j, it in enumerate(obs):
                shared = "intercepts" in eq and f"{it}~1" not in part
                table.append(_Par(it, "~1", "", g, "nu", j, 0, free_id(("nu", j), g, shared), 0.0))
            for k, f in enumerate(facs):
                is_free = g > 0 and "intercepts" in eq and "means" not in eq
                fid = free_id(("a", k), g, False) if is_free else -1
                table.append(_Par(f, "~1", "", g, "a", k, 0, fid, 0.0))
    return table, len(keys)


class _Engine:
    """Model-implied moments, ML discrepancy, gradient and expected information."""

    def __init__(
        self,
        table: list[_Par],
        nfree: int,
        p: int,
        m: int,
        S: list[np.ndarray],
        means: list[np.ndarray],
        ns: list[int],
        meanstructure: bool,
    ) -> None:
        self.table, self.nfree, self.p, self.m = table, nfree, p, m
        self.S, self.means, self.ns = S, means, np.asarray(ns, dtype=float)
        self.N = float(np.sum(ns))
        self.G = len(S)
        self.meanstructure = meanstructure
        self.logdetS = [np.linalg.slogdet(s)[1] for s in S]
        self.by_group = [[t for t in table if t.group == g] for g in range(self.G)]

    def matrices(self, x: np.ndarray, g: int):
        p, m = self.p, self.m
        L = np.zeros((p, m))
        T = np.zeros((p, p))
        P = np.zeros((m, m))
        nu = np.zeros(p)
        a = np.zeros(m)
        for t in self.by_group[g]:
            v = x[t.free] if t.free >= 0 else t.value
            if t.mat == "L":
                L[t.row, t.col] = v
            elif t.mat == "T":
                T[t.row, t.col] = v
            elif t.mat == "P":
                P[t.row, t.col] = v
                P[t.col, t.row] = v
            elif t.mat == "nu":
                nu[t.row] = v
            else:
                a[t.row] = v
        return L, T, P, nu, a

    def implied(self, x: np.ndarray, g: int):
        L, T, P, nu, a = self.matrices(x, g)
        Sigma = L @ P @ L.T + T
        mu = nu + L @ a if self.meanstructure else self.means[g].copy()
        return Sigma, mu

    def jacobian(self, x: np.ndarray, g: int):
        """Derivatives of Sigma (q, p, p) and mu (q, p) w.r.t. the free parameters."""
        L, T, P, nu, a = self.matrices(x, g)
        q, p = self.nfree, self.p
        dS = np.zeros((q, p, p))
        dm = np.zeros((q, p))
        for t in self.by_group[g]:
            if t.free < 0:
                continue
            i = t.free
            if t.mat == "L":
                j, k = t.row, t.col
                v = P[k, :] @ L.T  # row j of dSigma: E_jk P L'
                dS[i, j, :] += v
                dS[i, :, j] += v
                if self.meanstructure:
                    dm[i, j] += a[k]
            elif t.mat == "T":
                dS[i, t.row, t.row] += 1.0
            elif t.mat == "P":
                r, c = t.row, t.col
                if r == c:
                    dS[i] += np.outer(L[:, r], L[:, r])
                else:
                    o = np.outer(L[:, r], L[:, c])
                    dS[i] += o + o.T
            elif t.mat == "nu":
                dm[i, t.row] += 1.0
            else:
                dm[i] += L[:, t.row]
        return dS, dm

    def _group_terms(self, x: np.ndarray, g: int):
        Sigma, mu = self.implied(x, g)
        sign, logdet = np.linalg.slogdet(Sigma)
        if sign <= 0:
            return None
        try:
            Si = np.linalg.inv(Sigma)
        except np.linalg.LinAlgError:
            return None
        d = self.means[g] - mu
        return Sigma, mu, Si, logdet, d

    def fmin(self, x: np.ndarray) -> float:
        """F_ML = sum_g (N_g/N) F_g (without lavaan's factor 1/2); chisq = N * F_ML."""
        total = 0.0
        for g in range(self.G):
            r = self._group_terms(x, g)
            if r is None:
                return np.inf
            Sigma, mu, Si, logdet, d = r
            f = logdet + np.trace(self.S[g] @ Si) - self.logdetS[g] - self.p + d @ Si @ d
            total += self.ns[g] / self.N * f
        return float(total)

    def fun_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        total = 0.0
        grad = np.zeros(self.nfree)
        for g in range(self.G):
            r = self._group_terms(x, g)
            if r is None:
                return 1e10, np.zeros(self.nfree)
            Sigma, mu, Si, logdet, d = r
            w = self.ns[g] / self.N
            f = logdet + np.trace(self.S[g] @ Si) - self.logdetS[g] - self.p + d @ Si @ d
            total += w * f
            Gm = Si - Si @ (self.S[g] + np.outer(d, d)) @ Si
            dS, dm = self.jacobian(x, g)
            grad += w * (np.einsum("ij,qij->q", Gm, dS) - 2.0 * dm @ (Si @ d))
        return float(total), grad

    def info(self, x: np.ndarray) -> np.ndarray:
        """Expected Hessian of F_ML (= 2 x unit expected information, weighted by N_g/N)."""
        H = np.zeros((self.nfree, self.nfree))
        for g in range(self.G):
            Sigma, mu = self.implied(x, g)
            Si = np.linalg.inv(Sigma)
            dS, dm = self.jacobian(x, g)
            A = np.einsum("ij,qjk->qik", Si, dS)  # Si dS_a
            H += self.ns[g] / self.N * (
                np.einsum("aij,bji->ab", A, A) + 2.0 * dm @ Si @ dm.T
            )
        return H


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FitMeasures:
    """Fit indices as lavaan's ``fitMeasures`` defines them (ML, ``likelihood="normal"``).

    ``to_series()`` returns them under lavaan's names (``chisq``, ``baseline.chisq``,
    ``rmsea.ci.lower``, ``unrestricted.logl`` ...). ``srmr`` is Bentler's SRMR (lavaan's
    ``srmr`` = ``srmr_bentler``), including mean residuals when there is a mean structure.
    """

    npar: int
    n: int
    chisq: float
    df: int
    pvalue: float
    baseline_chisq: float
    baseline_df: int
    baseline_pvalue: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_lower: float
    rmsea_ci_upper: float
    rmsea_pvalue: float
    srmr: float
    logl: float
    unrestricted_logl: float
    aic: float
    bic: float
    bic2: float
    chisq_scaled: float = float("nan")
    chisq_scaling_factor: float = float("nan")
    pvalue_scaled: float = float("nan")

    _LAVAAN = {
        "baseline_chisq": "baseline.chisq",
        "baseline_df": "baseline.df",
        "baseline_pvalue": "baseline.pvalue",
        "rmsea_ci_lower": "rmsea.ci.lower",
        "rmsea_ci_upper": "rmsea.ci.upper",
        "rmsea_pvalue": "rmsea.pvalue",
        "unrestricted_logl": "unrestricted.logl",
        "n": "ntotal",
        "chisq_scaled": "chisq.scaled",
        "chisq_scaling_factor": "chisq.scaling.factor",
        "pvalue_scaled": "pvalue.scaled",
    }

    def to_series(self) -> pd.Series:
        """Fit measures as a Series indexed by lavaan's names."""
        names = [f for f in self.__dataclass_fields__ if not f.startswith("_")]
        return pd.Series(
            {self._LAVAAN.get(f, f): getattr(self, f) for f in names}, dtype=float
        )

    def __repr__(self) -> str:
        scaled = (
            f"chisq_scaled={self.chisq_scaled:.3f}, " if np.isfinite(self.chisq_scaled) else ""
        )
        return (
            f"FitMeasures(chisq={self.chisq:.3f}, df={self.df}, p={self.pvalue:.3g}, {scaled}"
            f"CFI={self.cfi:.3f}, TLI={self.tli:.3f}, RMSEA={self.rmsea:.3f} "
            f"[{self.rmsea_ci_lower:.3f}, {self.rmsea_ci_upper:.3f}], SRMR={self.srmr:.3f}, "
            f"AIC={self.aic:.1f}, BIC={self.bic:.1f})"
        )


@dataclass(frozen=True, eq=False)
class CFAResult:
    """Result of :func:`cfa`.

    Attributes
    ----------
    model : MeasurementModel
    estimator : str
    groups : tuple of str
        Group labels (one unnamed group ``("",)`` without ``group``).
    n_obs : tuple of int
        Observations per group after listwise deletion (``sample_nobs`` with summary
        statistics).
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
    """

    model: MeasurementModel
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
            f"CFA ({self.estimator}), {'converged' if self.converged else 'NOT converged'} "
            f"after {self.iterations} iterations{eq}",
            f"Groups: {', '.join(f'{g} (n={n})' for g, n in zip(self.groups, self.n_obs))}"
            if len(self.groups) > 1 else f"Observations: {self.n_obs[0]}",
            f"Free parameters: {f.npar}",
            "",
            f"Chi-square = {f.chisq:.3f}, df = {f.df}, p = {f.pvalue:.4g}",
            *(
                [f"Scaled chi-square (Yuan-Bentler) = {f.chisq_scaled:.3f}, scaling factor = "
                 f"{f.chisq_scaling_factor:.3f}, p = {f.pvalue_scaled:.4g}"]
                if np.isfinite(f.chisq_scaled) else []
            ),
            f"Baseline chi-square = {f.baseline_chisq:.3f}, df = {f.baseline_df}",
            f"CFI = {f.cfi:.3f}   TLI = {f.tli:.3f}",
            f"RMSEA = {f.rmsea:.3f}, 90% CI [{f.rmsea_ci_lower:.3f}, {f.rmsea_ci_upper:.3f}], "
            f"p(RMSEA <= .05) = {f.rmsea_pvalue:.3f}",
            f"SRMR = {f.srmr:.3f}",
            f"Log-likelihood = {f.logl:.3f} (unrestricted {f.unrestricted_logl:.3f})",
            f"AIC = {f.aic:.3f}   BIC = {f.bic:.3f}",
            "",
        ]
        cols = ["lhs", "op", "rhs", "est", "se", "z", "pvalue", "std_all"]
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


# --------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------
def _prepare_data(
    mm: MeasurementModel, data: pd.DataFrame, group: str | None, *, raw: bool = False
):
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    obs = list(mm.observed)
    for v in obs:
        if v not in data.columns:
            raise ValueError(f"model: variable {v!r} is not a column of data")
    for f in mm.factors:
        if f in data.columns:
            raise ValueError(
                f"model: factor name {f!r} is also a column of data; latent names must differ"
            )
    cols = obs + ([group] if group is not None else [])
    if group is not None and group not in data.columns:
        raise ValueError(f"group: column {group!r} is not in data")
    df = data[cols]
    for v in obs:
        if not pd.api.types.is_numeric_dtype(df[v]) or pd.api.types.is_bool_dtype(df[v]):
            raise ValueError(f"data: variable {v!r} is not numeric (dtype {df[v].dtype})")
    complete = df.dropna()
    dropped = len(df) - len(complete)
    if dropped:
        warnings.warn(
            f"cfa: {dropped} of {len(df)} rows with missing values were removed (listwise deletion)",
            stacklevel=3,
        )
    if group is None:
        labels = [""]
        blocks = [complete[obs].to_numpy(dtype=float)]
    else:
        labels = [str(v) for v in pd.unique(complete[group])]
        blocks = [
            complete.loc[complete[group].astype(str) == lab, obs].to_numpy(dtype=float)
            for lab in labels
        ]
        if len(labels) < 2:
            raise ValueError(f"group: column {group!r} has fewer than two groups")
    S, means, ns = [], [], []
    p = len(obs)
    for lab, X in zip(labels, blocks):
        n = X.shape[0]
        where = f" in group {lab!r}" if group is not None else ""
        if n <= p:
            raise ValueError(
                f"data: too few observations{where}: {n} complete rows for {p} observed variables"
            )
        mean = X.mean(axis=0)
        C = (X - mean).T @ (X - mean) / n
        sd = np.sqrt(np.diag(C))
        const = [obs[j] for j in range(p) if sd[j] <= 1e-12 * max(1.0, abs(mean[j]))]
        if const:
            raise ValueError(
                f"data: sample covariance matrix{where} is not positive definite: "
                f"variable(s) {const} are constant"
            )
        smallest = _min_correlation_eigenvalue(C)
        if smallest <= 1e-10:
            raise ValueError(
                f"data: sample covariance matrix{where} is not positive definite "
                f"(smallest eigenvalue of the correlation matrix {smallest:.3g}); some observed "
                "variables are linearly dependent (duplicated items or a sum score?)"
            )
        S.append(C)
        means.append(mean)
        ns.append(n)
    if raw:
        return labels, S, means, ns, blocks
    return labels, S, means, ns


def _check_sample_cov(arg: str, cov: object, mm: MeasurementModel) -> np.ndarray:
    """Validate one user-supplied covariance matrix; return it over the model variables."""
    obs = list(mm.observed)
    if not isinstance(cov, pd.DataFrame):
        raise ValueError(
            f"{arg}: expected a pandas DataFrame with the variable names as index and columns, "
            f"got {type(cov).__name__}"
        )
    nrow, ncol = cov.shape
    if nrow != ncol:
        raise ValueError(f"{arg}: expected a square matrix, got {nrow} rows and {ncol} columns")
    if cov.index.has_duplicates or cov.columns.has_duplicates:
        raise ValueError(f"{arg}: variable names in the index or columns are repeated")
    if set(cov.index) != set(cov.columns):
        odd = sorted(map(str, set(cov.index) ^ set(cov.columns)))
        raise ValueError(
            f"{arg}: index and columns must name the same variables; they differ in {odd}"
        )
    absent = [v for v in obs if v not in cov.columns]
    if absent:
        raise ValueError(
            f"{arg}: model variable(s) {absent} are not in the matrix; add their rows and "
            "columns or remove them from the model"
        )
    for f in mm.factors:
        if f in cov.columns:
            raise ValueError(
                f"model: factor name {f!r} is also a variable of {arg}; latent names must differ"
            )
    sub = cov.loc[obs, obs]
    try:
        S = sub.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{arg}: entries must be numbers") from None
    if not np.isfinite(S).all():
        i, j = np.argwhere(~np.isfinite(S))[0]
        raise ValueError(
            f"{arg}: missing or infinite entry for ({obs[i]!r}, {obs[j]!r}); every pair of model "
            "variables needs a covariance"
        )
    scale = max(float(np.max(np.abs(S))), np.finfo(float).tiny)
    asym = np.abs(S - S.T)
    if np.max(asym) > 1e-8 * scale:
        i, j = np.unravel_index(np.argmax(asym), asym.shape)
        raise ValueError(
            f"{arg}: not symmetric: entry ({obs[i]!r}, {obs[j]!r}) is {S[i, j]:.6g} but "
            f"({obs[j]!r}, {obs[i]!r}) is {S[j, i]:.6g}"
        )
    S = (S + S.T) / 2.0
    nonpos = [obs[j] for j in range(len(obs)) if S[j, j] <= 0]
    if nonpos:
        raise ValueError(
            f"{arg}: not positive definite: the variance of {nonpos} is zero or negative"
        )
    smallest = _min_correlation_eigenvalue(S)
    if smallest <= 1e-10:
        raise ValueError(
            f"{arg}: not positive definite (smallest eigenvalue of the correlation matrix "
            f"{smallest:.3g}); some observed variables are linearly dependent, or the matrix was "
            "assembled from inconsistent pieces (e.g. pairwise deletion)"
        )
    return S


def _min_correlation_eigenvalue(cov: np.ndarray) -> float:
    """Smallest eigenvalue of the correlation matrix of ``cov`` (positive variances assumed): the scale-free
    test of positive definiteness used for raw-data and user-supplied covariance matrices alike."""
    sd = np.sqrt(np.diag(cov))
    return float(np.linalg.eigvalsh(cov / np.outer(sd, sd))[0])


def _check_sample_mean(arg: str, mean: object, mm: MeasurementModel) -> np.ndarray:
    """Validate one user-supplied mean vector; return it over the model variables."""
    obs = list(mm.observed)
    if not isinstance(mean, pd.Series):
        raise ValueError(
            f"{arg}: expected a pandas Series indexed by variable name, got {type(mean).__name__}"
        )
    if mean.index.has_duplicates:
        raise ValueError(f"{arg}: variable names in the index are repeated")
    absent = [v for v in obs if v not in mean.index]
    if absent:
        raise ValueError(f"{arg}: model variable(s) {absent} have no mean; add them to the Series")
    try:
        mu = mean.loc[obs].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{arg}: entries must be numbers") from None
    if not np.isfinite(mu).all():
        bad = [v for v, x in zip(obs, mu) if not np.isfinite(x)]
        raise ValueError(f"{arg}: missing or infinite mean for {bad}")
    return mu


def _check_sample_nobs(arg: str, n: object, p: int) -> int:
    """Validate one number of observations (an integer above the number of variables)."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise ValueError(
            f"{arg}: expected a positive integer (the number of observations behind the "
            f"matrix), got {n!r}"
        )
    if n <= 0:
        raise ValueError(f"{arg}: expected a positive integer, got {n}")
    if n <= p:
        raise ValueError(
            f"{arg}: {n} observations for {p} observed variables; need more observations "
            "than variables"
        )
    return int(n)


def _prepare_moments(
    mm: MeasurementModel,
    sample_cov: pd.DataFrame | Mapping[object, pd.DataFrame],
    sample_mean: pd.Series | Mapping[object, pd.Series] | None,
    sample_nobs: int | Mapping[object, int] | None,
) -> tuple[list[str], list[np.ndarray], list[np.ndarray], list[int]]:
    """Summary-statistics input (lavaan's ``sample.cov``, ``sample.mean``, ``sample.nobs``).

    Each covariance matrix is taken as the unbiased one (divisor N - 1) and multiplied by
    (N - 1) / N, so that ML works with the biased matrix as it does with raw data (lavaan's
    ``sample.cov.rescale = TRUE`` for ``likelihood = "normal"``).
    """
    obs = list(mm.observed)
    p = len(obs)
    if isinstance(sample_cov, Mapping):
        keys = list(sample_cov.keys())
        if len(keys) < 2:
            raise ValueError(
                "sample_cov: a mapping gives one matrix per group and needs at least two groups; "
                "for a single group pass the DataFrame itself"
            )
        labels = [str(k) for k in keys]
        if len(set(labels)) != len(labels):
            raise ValueError(f"sample_cov: group keys {keys} are not distinct as text")
        if sample_nobs is None:
            raise ValueError(
                "sample_nobs: required with sample_cov; pass a mapping group -> number of "
                "observations with the keys of sample_cov"
            )
        if sample_mean is None:
            raise ValueError(
                "sample_mean: a multi-group model has a mean structure, so the means are needed; "
                "pass a mapping group -> Series of means with the keys of sample_cov"
            )
        for arg, obj in (("sample_mean", sample_mean), ("sample_nobs", sample_nobs)):
            if not isinstance(obj, Mapping):
                raise ValueError(
                    f"{arg}: sample_cov is a mapping of groups, so {arg} must be a mapping with "
                    f"the same keys, got {type(obj).__name__}"
                )
            absent = [k for k in keys if k not in obj]
            extra = [k for k in obj if k not in sample_cov]
            if absent or extra:
                raise ValueError(
                    f"{arg}: group keys do not match those of sample_cov {keys}: "
                    f"missing {absent}, not in sample_cov {extra}"
                )
        S, means, ns = [], [], []
        for k in keys:
            S.append(_check_sample_cov(f"sample_cov[{k!r}]", sample_cov[k], mm))
            means.append(_check_sample_mean(f"sample_mean[{k!r}]", sample_mean[k], mm))
            ns.append(_check_sample_nobs(f"sample_nobs[{k!r}]", sample_nobs[k], p))
    else:
        for arg, obj in (("sample_mean", sample_mean), ("sample_nobs", sample_nobs)):
            if isinstance(obj, Mapping):
                raise ValueError(
                    f"{arg}: a mapping of groups needs sample_cov to be a mapping with the same "
                    "keys (one covariance matrix per group)"
                )
        if sample_nobs is None:
            raise ValueError(
                "sample_nobs: required with sample_cov (the number of observations behind "
                "the matrix)"
            )
        labels = [""]
        S = [_check_sample_cov("sample_cov", sample_cov, mm)]
        ns = [_check_sample_nobs("sample_nobs", sample_nobs, p)]
        means = [
            np.zeros(p) if sample_mean is None
            else _check_sample_mean("sample_mean", sample_mean, mm)
        ]
    S = [s * (n - 1) / n for s, n in zip(S, ns)]
    return labels, S, means, ns


def _start_values(table: list[_Par], nfree: int, S: list[np.ndarray], std_lv: bool) -> np.ndarray:
    x = np.zeros(nfree)
    seen: set[int] = set()
    for t in table:
        if t.free < 0 or t.free in seen:
            continue
        seen.add(t.free)
        Sg = S[t.group]
        if t.mat == "T":
            x[t.free] = 0.5 * Sg[t.row, t.row]
        elif t.mat == "L":
            x[t.free] = np.sqrt(0.5 * Sg[t.row, t.row]) if std_lv else 1.0
        elif t.mat == "P":
            x[t.free] = 0.05 if t.row == t.col else 0.0
            if std_lv and t.row == t.col:
                x[t.free] = 1.0
        else:
            x[t.free] = 0.0
    return x


def _observed_hessian(eng: _Engine, x: np.ndarray) -> np.ndarray:
    """Hessian of F_ML by central differences of the analytic gradient."""
    q = len(x)
    H = np.zeros((q, q))
    for a in range(q):
        h = 1e-6 * max(1.0, abs(x[a]))
        e = np.zeros(q)
        e[a] = h
        H[:, a] = (eng.fun_grad(x + e)[1] - eng.fun_grad(x - e)[1]) / (2 * h)
    return (H + H.T) / 2


def _case_scores(eng: _Engine, x: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Casewise scores of the normal log-likelihood w.r.t. the free parameters (single group,
    means saturated)."""
    Sigma, _ = eng.implied(x, 0)
    Si = np.linalg.inv(Sigma)
    dS, _ = eng.jacobian(x, 0)
    Dv = X - X.mean(axis=0)
    Y = Dv @ Si  # rows: (Si d_i)'
    # score_a = -1/2 tr((Si - Si d d' Si) dS_a) = -1/2 tr(Si dS_a) + 1/2 (Si d)' dS_a (Si d)
    const = -0.5 * np.einsum("ij,qji->q", Si, dS)
    quad = 0.5 * np.einsum("ni,qij,nj->nq", Y, dS, Y)
    return const[None, :] + quad


def _saturated_trace(X: np.ndarray, S: np.ndarray) -> float:
    """trace(A1^-1 B1) for the saturated covariance model at the sample moments."""
    p = S.shape[0]
    iu = np.triu_indices(p)
    E = np.zeros((len(iu[0]), p, p))
    for k, (i, j) in enumerate(zip(*iu)):
        E[k, i, j] = 1.0
        E[k, j, i] = 1.0
    Si = np.linalg.inv(S)
    n = X.shape[0]
    SE = np.einsum("ij,ajk->aik", Si, E)
    A = n * 0.5 * np.einsum("aij,bji->ab", SE, SE)
    Y = (X - X.mean(axis=0)) @ Si
    sc = -0.5 * np.einsum("ij,qji->q", Si, E)[None, :] + 0.5 * np.einsum("ni,qij,nj->nq", Y, E, Y)
    return float(np.trace(np.linalg.solve(A, sc.T @ sc)))


def _rmsea_ci(chisq: float, df: int, N: float, G: int) -> tuple[float, float, float]:
    if df <= 0:
        return np.nan, np.nan, np.nan

    def root(target: float) -> float:
        if stats.chi2.cdf(chisq, df) < target:
            return 0.0
        hi = max(chisq, 1.0)
        while stats.ncx2.cdf(chisq, df, hi) > target:
            hi *= 2.0
        lam = optimize.brentq(lambda nc: stats.ncx2.cdf(chisq, df, nc) - target, 1e-12, hi,
                              xtol=1e-12, rtol=1e-14)
        return float(np.sqrt(lam / (N * df)) * np.sqrt(G))

    lower = root(0.95)
    upper = root(0.05)
    ncp0 = N * df * 0.05**2 / G
    pclose = float(stats.ncx2.sf(chisq, df, ncp0))
    return lower, upper, pclose


def _fit_measures(eng: _Engine, x: np.ndarray, fmin: float) -> FitMeasures:
    p, G, N = eng.p, eng.G, eng.N
    npar = eng.nfree
    moments = p * (p + 1) // 2 + (p if eng.meanstructure else 0)
    df = G * moments - npar
    chisq = float(N * fmin)
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
    bchisq = float(sum(
        n * (np.sum(np.log(np.diag(s))) - ld) for n, s, ld in zip(eng.ns, eng.S, eng.logdetS)
    ))
    bdf = G * p * (p - 1) // 2
    bp = float(stats.chi2.sf(bchisq, bdf))
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, bchisq - bdf, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli = (bchisq / bdf - chisq / df) / (bchisq / bdf - 1.0) if df > 0 else np.nan
    rmsea = float(np.sqrt(max((chisq - df) / (df * N), 0.0)) * np.sqrt(G)) if df > 0 else np.nan
    lo, up, pclose = _rmsea_ci(chisq, df, N, G)
    logl = 0.0
    ulogl = 0.0
    srmr_sq = 0.0
    for g in range(G):
        Sigma, mu = eng.implied(x, g)
        Si = np.linalg.inv(Sigma)
        d = eng.means[g] - mu
        ld = np.linalg.slogdet(Sigma)[1]
        n = eng.ns[g]
        logl += -n / 2 * (p * np.log(2 * np.pi) + ld + np.trace(eng.S[g] @ Si) + d @ Si @ d)
        ulogl += -n / 2 * (p * np.log(2 * np.pi) + eng.logdetS[g] + p)
        sd = np.sqrt(np.diag(eng.S[g]))
        R = (eng.S[g] - Sigma) / np.outer(sd, sd)
        iu = np.triu_indices(p)
        ss = np.sum(R[iu] ** 2)
        cnt = len(iu[0])
        if eng.meanstructure:
            ss += np.sum((d / sd) ** 2)
            cnt += p
        srmr_sq += n / N * np.sqrt(ss / cnt)
    srmr = float(srmr_sq)
    aic = -2 * logl + 2 * npar
    bic = -2 * logl + npar * np.log(N)
    bic2 = -2 * logl + npar * np.log((N + 2) / 24)
    return FitMeasures(
        npar=npar, n=int(N), chisq=chisq, df=int(df), pvalue=pvalue,
        baseline_chisq=bchisq, baseline_df=int(bdf), baseline_pvalue=bp,
        cfi=float(cfi), tli=float(tli), rmsea=rmsea, rmsea_ci_lower=lo, rmsea_ci_upper=up,
        rmsea_pvalue=pclose, srmr=srmr, logl=float(logl), unrestricted_logl=float(ulogl),
        aic=float(aic), bic=float(bic), bic2=float(bic2),
    )


def _optimize(eng: _Engine, x0: np.ndarray, max_iter: int) -> tuple[np.ndarray, bool, int]:
    res = optimize.minimize(
        eng.fun_grad, x0, jac=True, hess=eng.info, method="trust-exact",
        options={"gtol": 1e-9, "maxiter": max_iter},
    )
    x, nit = res.x, int(res.nit)
    _, g = eng.fun_grad(x)
    ok = np.isfinite(eng.fmin(x)) and np.max(np.abs(g)) < 1e-6
    if not ok:
        res2 = optimize.minimize(
            eng.fun_grad, x, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": max_iter}
        )
        x, nit = res2.x, nit + int(res2.nit)
        _, g = eng.fun_grad(x)
        ok = np.isfinite(eng.fmin(x)) and np.max(np.abs(g)) < 1e-5
    # Fisher-scoring polish: a few steps bring the gradient to rounding level
    for _ in range(5):
        f0, g = eng.fun_grad(x)
        if not np.isfinite(f0) or np.max(np.abs(g)) < 1e-12:
            break
        try:
            step = np.linalg.solve(eng.info(x), g)
        except np.linalg.LinAlgError:
            break
        xn = x - step
        if eng.fmin(xn) <= f0 + 1e-15:
            x = xn
        else:
            break
    return x, bool(ok), nit


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
    max_iter: int = 1000,
) -> CFAResult:
    """Confirmatory factor analysis by maximum likelihood, with lavaan's defaults.

    Parameters
    ----------
    model : str or MeasurementModel
        lavaan measurement syntax, e.g. ``"visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6"``.
    data : pandas.DataFrame, optional
        One row per respondent; rows with a missing value in a model variable (or the group) are
        dropped (listwise deletion, with a warning). Give either ``data`` or ``sample_cov``.
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
        ``"MLR"`` (single group only): the same estimates with Huber-White sandwich standard
        errors (observed information as bread) and the Yuan-Bentler scaled chi-square as in
        lavaan's ``estimator="MLR"`` (``chisq_scaled``, ``chisq_scaling_factor``,
        ``pvalue_scaled`` in ``fit``). CFI, TLI and RMSEA stay the ML (unscaled) ones; the
        robust variants of these indices are not implemented. Needs raw ``data``.
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
    UserWarning
        On non-convergence, on Heywood cases (negative residual variance, standardized
        loading above 1), naming the item, and when N is not larger than the number of free parameters.

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
    if estimator not in ("ML", "MLR"):
        raise ValueError(f"estimator: expected 'ML' or 'MLR', got {estimator!r}")
    if data is None and sample_cov is None:
        raise ValueError(
            "data: no input; pass data (one row per respondent) or sample_cov with sample_nobs "
            "(summary statistics)"
        )
    if data is not None and sample_cov is not None:
        raise ValueError(
            "data, sample_cov: pass one of them, not both (raw data or summary statistics)"
        )
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
    if estimator == "MLR" and multigroup:
        raise ValueError("estimator: 'MLR' is implemented for a single group only (group=None)")
    equal = (equal,) if isinstance(equal, str) else tuple(equal)
    for e in equal:
        if e not in _EQUAL_OPTIONS:
            raise ValueError(f"equal: unknown constraint {e!r}; expected one of {_EQUAL_OPTIONS}")
    if equal and not multigroup:
        raise ValueError(
            "equal: group constraints need several groups (group=... with data, or sample_cov "
            "as a mapping group -> matrix)"
        )
    group_partial = (
        (group_partial,) if isinstance(group_partial, str) else tuple(group_partial)
    )
    mm = model if isinstance(model, MeasurementModel) else parse_model(model)
    if data is not None:
        labels, S, means, ns, blocks = _prepare_data(mm, data, group, raw=True)
    else:
        labels, S, means, ns = _prepare_moments(mm, sample_cov, sample_mean, sample_nobs)
        blocks = []
    meanstructure = multigroup
    table, nfree = _build_table(
        mm, len(S), meanstructure=meanstructure, equal=equal, partial=group_partial, std_lv=std_lv
    )
    for gp in group_partial:
        key = gp.replace(" ", "")
        if not any(f"{t.lhs}{t.op}{t.rhs}" == key for t in table):
            raise ValueError(f"group_partial: {gp!r} is not a parameter of the model")
    p, m = len(mm.observed), len(mm.factors)
    N = sum(ns)
    moments = len(S) * (p * (p + 1) // 2 + (p if meanstructure else 0))
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
            UserWarning,
            stacklevel=2,
        )
    eng = _Engine(table, nfree, p, m, S, means, ns, meanstructure)
    x0 = _start_values(table, nfree, S, std_lv)
    x, converged, nit = _optimize(eng, x0, max_iter)
    if not converged:
        warnings.warn(
            "cfa: the optimizer did not converge; estimates are unreliable. Check that every "
            "factor has at least 3 indicators (or 2 with a correlated factor), that variables are "
            "on similar scales (rescale large variances), and try std_lv=True.",
            stacklevel=2,
        )
    fmin = eng.fmin(x)
    fm = _fit_measures(eng, x, fmin)

    # standard errors: cov = (N/2 * H)^-1 with H the expected Hessian of F_ML (ML), or the
    # sandwich A^-1 B A^-1 with A the observed information (MLR)
    H = eng.info(x) if estimator == "ML" else _observed_hessian(eng, x)
    try:
        cov = np.linalg.inv(N / 2.0 * H)
        if estimator == "MLR":
            B0 = _case_scores(eng, x, blocks[0]).T @ _case_scores(eng, x, blocks[0])
            cov = cov @ B0 @ cov
            c = (_saturated_trace(blocks[0], S[0]) - np.trace(np.linalg.solve(N / 2.0 * H, B0)))
            c = c / fm.df
            fm = dataclasses.replace(
                fm, chisq_scaled=fm.chisq / c, chisq_scaling_factor=float(c),
                pvalue_scaled=float(stats.chi2.sf(fm.chisq / c, fm.df)),
            )
        if np.min(np.linalg.eigvalsh(H)) <= 1e-10 * max(1.0, np.max(np.abs(H))):
            raise np.linalg.LinAlgError
        se_free = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        warnings.warn(
            "cfa: the information matrix is singular; the model may not be identified and "
            "standard errors are not available",
            stacklevel=2,
        )
        se_free = np.full(nfree, np.nan)

    obs, facs = mm.observed, mm.factors
    implied = [eng.implied(x, g)[0] for g in range(len(S))]
    mats = [eng.matrices(x, g) for g in range(len(S))]
    rows = []
    zcrit = stats.norm.ppf(0.975)
    for t in table:
        est = float(x[t.free]) if t.free >= 0 else t.value
        se = float(se_free[t.free]) if t.free >= 0 else 0.0
        z = est / se if t.free >= 0 and se > 0 else np.nan
        pv = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
        L, T, P, nu, a = mats[t.group]
        Sig = implied[t.group]
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
        rows.append({
            "lhs": t.lhs, "op": t.op, "rhs": t.rhs, "group": t.group + 1,
            "group_label": labels[t.group], "free": t.free >= 0, "est": est,
            "se": se, "z": z, "pvalue": pv,
            "ci_lower": est - zcrit * se, "ci_upper": est + zcrit * se, "std_all": float(std),
        })
    params = pd.DataFrame(rows)
    if not multigroup:
        params = params.drop(columns=["group", "group_label"])

    for g in range(len(S)):
        where = f" in group {labels[g]!r}" if multigroup else ""
        L, T, P, nu, a = mats[g]
        for j, it in enumerate(obs):
            if T[j, j] < 0:
                warnings.warn(
                    f"cfa: Heywood case{where}: negative residual variance for item {it!r} "
                    f"({T[j, j]:.3f}); the solution is improper (too few items per factor, "
                    "a misspecified model or outliers)",
                    stacklevel=2,
                )
        Lstd = L * np.sqrt(np.clip(np.diag(P), 0, None))[None, :] / np.sqrt(
            np.abs(np.diag(implied[g])))[:, None]
        for j, it in enumerate(obs):
            for k, f in enumerate(facs):
                if abs(Lstd[j, k]) > 1.0:
                    warnings.warn(
                        f"cfa: Heywood case{where}: standardized loading of item {it!r} on "
                        f"{f!r} is {Lstd[j, k]:.3f} (> 1); the solution is improper",
                        stacklevel=2,
                    )
    return CFAResult(
        model=mm, estimator=estimator, groups=tuple(labels), n_obs=tuple(ns), params=params,
        fit=fm, converged=converged, iterations=nit, equal=equal, group_partial=group_partial,
        std_lv=std_lv,
        implied_cov=tuple(pd.DataFrame(s, index=obs, columns=obs) for s in implied),
        sample_cov=tuple(pd.DataFrame(s, index=obs, columns=obs) for s in S),
    )


# --------------------------------------------------------------------------------------------
# model comparison and measurement invariance
# --------------------------------------------------------------------------------------------
def chisq_difference(*fits: CFAResult, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Chi-square difference (likelihood-ratio) tests between nested ML fits.

    Models are sorted by degrees of freedom (as lavaan's ``lavTestLRT``) and each is compared
    with the one before it.

    Parameters
    ----------
    *fits : CFAResult
        Two or more nested models fitted by ML to the same data.
    names : sequence of str, optional
        Row labels; default ``model1, model2, ...`` in the order given.

    Returns
    -------
    pandas.DataFrame
        Columns ``df, aic, bic, chisq, chisq_diff, df_diff, p`` (NaN in the first row).

    Examples
    --------
    >>> chisq_difference(configural, metric, names=["configural", "metric"])  # doctest: +SKIP

    References
    ----------
    Bollen, K. A. (1989). Structural Equations with Latent Variables. Wiley, pp. 291-292.
    """
    if len(fits) < 2:
        raise ValueError("fits: need at least two fitted models")
    for f in fits:
        if not isinstance(f, CFAResult):
            raise ValueError(f"fits: expected CFAResult objects, got {type(f).__name__}")
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
        row = {"model": names[i], "df": f.df, "aic": f.aic, "bic": f.bic, "chisq": f.chisq,
               "chisq_diff": np.nan, "df_diff": np.nan, "p": np.nan}
        if prev is not None:
            dchi = f.chisq - prev.chisq
            ddf = f.df - prev.df
            row["chisq_diff"] = dchi
            row["df_diff"] = ddf
            row["p"] = float(stats.chi2.sf(dchi, ddf)) if ddf > 0 else np.nan
        rows.append(row)
        prev = f
    return pd.DataFrame(rows).set_index("model")


@dataclass(frozen=True, eq=False)
class InvarianceResult:
    """Result of :func:`invariance`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model (configural, metric, scalar and, if searched, partial scalar) with
        ``npar, chisq, df, pvalue, cfi, rmsea, srmr, aic, bic`` and the comparison with the
        previous level: ``compared_with, chisq_diff, df_diff, p_diff, delta_cfi, delta_rmsea,
        holds``.
    fits : dict of str to CFAResult
    level : str
        Highest level supported: ``"none"`` (metric fails), ``"metric"``, ``"partial scalar"``
        or ``"scalar"``.
    freed_intercepts : tuple of str
        Items whose intercepts were freed to reach partial scalar invariance (empty if none).
    search : pandas.DataFrame
        Every step of the partial search: ``step, item, chisq, df, cfi, rmsea``.
    cfi_cut, rmsea_cut, alpha : float
        The criteria used.
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

    def to_frame(self) -> pd.DataFrame:
        """The fit and comparison table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Text summary: table, verdict per level and the likelihood-ratio tests."""
        lines = [
            f"Measurement invariance across {self.group!r} "
            f"(criteria: delta CFI >= -{self.cfi_cut}, delta RMSEA <= {self.rmsea_cut}; "
            "Cheung & Rensvold 2002, Chen 2007)",
            "",
            self.table.to_string(float_format=lambda v: f"{v:.3f}"),
            "",
        ]
        for name, row in self.table.iterrows():
            if name == "configural":
                continue
            verdict = "holds" if row["holds"] else "does not hold"
            lrt = "rejects" if row["p_diff"] < self.alpha else "does not reject"
            lines.append(
                f"{name} vs {row['compared_with']}: {verdict} (delta CFI {row['delta_cfi']:+.3f}, "
                f"delta RMSEA {row['delta_rmsea']:+.3f}); chi-square difference "
                f"{row['chisq_diff']:.3f} on {int(row['df_diff'])} df, p = {row['p_diff']:.3g} "
                f"(the LRT {lrt} equality at alpha = {self.alpha})"
            )
        if self.freed_intercepts:
            lines.append(f"Freed intercepts (partial scalar): {', '.join(self.freed_intercepts)}")
        lines.append(f"Highest level supported: {self.level}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        freed = f", freed_intercepts={list(self.freed_intercepts)}" if self.freed_intercepts else ""
        return f"InvarianceResult(group={self.group!r}, level={self.level!r}{freed})"


def _row(fit: CFAResult) -> dict:
    f = fit.fit
    return {"npar": f.npar, "chisq": f.chisq, "df": f.df, "pvalue": f.pvalue, "cfi": f.cfi,
            "rmsea": f.rmsea, "srmr": f.srmr, "aic": f.aic, "bic": f.bic}


def _compare(fit: CFAResult, base: CFAResult, base_name: str, cfi_cut: float,
             rmsea_cut: float) -> dict:
    dchi = fit.fit.chisq - base.fit.chisq
    ddf = fit.fit.df - base.fit.df
    dcfi = fit.fit.cfi - base.fit.cfi
    drmsea = fit.fit.rmsea - base.fit.rmsea
    return {
        "compared_with": base_name, "chisq_diff": dchi, "df_diff": ddf,
        "p_diff": float(stats.chi2.sf(dchi, ddf)) if ddf > 0 else np.nan,
        "delta_cfi": dcfi, "delta_rmsea": drmsea,
        "holds": bool(dcfi >= -cfi_cut and drmsea <= rmsea_cut),
    }


def invariance(
    model: str | MeasurementModel,
    data: pd.DataFrame | None = None,
    group: str | None = None,
    *,
    sample_cov: Mapping[object, pd.DataFrame] | None = None,
    sample_mean: Mapping[object, pd.Series] | None = None,
    sample_nobs: Mapping[object, int] | None = None,
    cfi_cut: float = 0.01,
    rmsea_cut: float = 0.015,
    alpha: float = 0.05,
    partial: bool = True,
    max_free: int | None = None,
    min_invariant: int = 2,
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
    """
    if sample_cov is None:
        if not isinstance(group, str):
            raise ValueError("group: expected the name of the grouping column of data")
        inputs: dict = {"data": data, "group": group}
    else:
        if data is not None:
            raise ValueError(
                "data, sample_cov: pass one of them, not both (raw data or summary statistics)"
            )
        if not isinstance(sample_cov, Mapping):
            raise ValueError(
                "sample_cov: invariance needs one covariance matrix per group, as a mapping "
                f"group -> DataFrame; got {type(sample_cov).__name__}"
            )
        if group is None:
            group = "group"
        elif not isinstance(group, str):
            raise ValueError("group: expected a name for the grouping (a string)")
        inputs = {"sample_cov": sample_cov, "sample_mean": sample_mean,
                  "sample_nobs": sample_nobs}
    if max_free is not None and max_free < 0:
        raise ValueError(f"max_free: expected a non-negative integer, got {max_free}")
    if min_invariant < 1:
        raise ValueError(f"min_invariant: expected at least 1, got {min_invariant}")
    mm = model if isinstance(model, MeasurementModel) else parse_model(model)
    fits: dict[str, CFAResult] = {
        "configural": cfa(mm, **inputs),
        "metric": cfa(mm, **inputs, equal=("loadings",)),
        "scalar": cfa(mm, **inputs, equal=("loadings", "intercepts")),
    }
    rows = {"configural": {**_row(fits["configural"]), "compared_with": "", "holds": True}}
    comp_metric = _compare(fits["metric"], fits["configural"], "configural", cfi_cut, rmsea_cut)
    rows["metric"] = {**_row(fits["metric"]), **comp_metric}
    comp_scalar = _compare(fits["scalar"], fits["metric"], "metric", cfi_cut, rmsea_cut)
    rows["scalar"] = {**_row(fits["scalar"]), **comp_scalar}
    freed: list[str] = []
    search_rows: list[dict] = []
    if not comp_metric["holds"]:
        level = "none"
    elif comp_scalar["holds"]:
        level = "scalar"
    else:
        level = "metric"
        if partial:
            limit = len(mm.observed) if max_free is None else max_free
            current = None
            while len(freed) < limit:
                candidates = []
                for it in mm.observed:
                    if it in freed:
                        continue
                    ok = True
                    for f, items in mm.indicators:
                        if it in items:
                            left = [x for x in items if x not in freed and x != it]
                            ok = ok and len(left) >= min_invariant
                    if ok:
                        candidates.append(it)
                if not candidates:
                    break
                trials = {}
                for it in candidates:
                    trials[it] = cfa(
                        mm, **inputs, equal=("loadings", "intercepts"),
                        group_partial=tuple(f"{x}~1" for x in freed + [it]),
                    )
                    tf = trials[it].fit
                    search_rows.append({"step": len(freed) + 1, "item": it, "chisq": tf.chisq,
                                        "df": tf.df, "cfi": tf.cfi, "rmsea": tf.rmsea})
                best = min(candidates, key=lambda c: trials[c].fit.chisq)
                freed.append(best)
                current = trials[best]
                comp = _compare(current, fits["metric"], "metric", cfi_cut, rmsea_cut)
                if comp["holds"]:
                    break
            if current is not None:
                fits["partial scalar"] = current
                comp = _compare(current, fits["metric"], "metric", cfi_cut, rmsea_cut)
                rows["partial scalar"] = {**_row(current), **comp}
                if comp["holds"]:
                    level = "partial scalar"
    table = pd.DataFrame.from_dict(rows, orient="index")
    cols = ["npar", "chisq", "df", "pvalue", "cfi", "rmsea", "srmr", "aic", "bic",
            "compared_with", "chisq_diff", "df_diff", "p_diff", "delta_cfi", "delta_rmsea",
            "holds"]
    table = table[cols]
    table.index.name = "model"
    search = pd.DataFrame(search_rows, columns=["step", "item", "chisq", "df", "cfi", "rmsea"])
    return InvarianceResult(
        table=table, fits=fits, level=level, freed_intercepts=tuple(freed), search=search,
        group=group, cfi_cut=cfi_cut, rmsea_cut=rmsea_cut, alpha=alpha,
    )
