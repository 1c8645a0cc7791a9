"""Structural equation models by maximum likelihood, as lavaan's ``sem()`` fits them.

This module sits beside the :mod:`emstudy.stats.cfa` sub-package and uses its engine. :func:`sem` parses lavaan's model syntax (:func:`~emstudy.stats.cfa.semsyntax.parse_sem`),
builds lavaan's ``sem()`` parameter table (:mod:`~emstudy.stats.cfa.semengine`), fits it with the
CFA engine's optimizer and returns the same :class:`~emstudy.stats.cfa.estimate.CFAResult` as
:func:`~emstudy.stats.cfa.estimate.cfa`, with the columns ``label`` and ``std_lv`` and one row per
defined parameter (``op == ":="``, delta-method standard errors).
"""

from __future__ import annotations

import ast
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.errors import ConvergenceWarning, HeywoodWarning
from emstudy.stats.cfa._data import _prepare_data, _prepare_fiml_blocks, _prepare_moments
from emstudy.stats.cfa.engine import _case_scores, _observed_hessian, _optimize
from emstudy.stats.cfa.estimate import CFAResult, _check_args_cfa, _check_identified, _standard_errors
from emstudy.stats.cfa.fiml import _fiml_data, _fit_fiml
from emstudy.stats.cfa.fit import _fit_measures
from emstudy.stats.cfa.semengine import _build_sem_table, _Layout, _layout, _sem_start, _SEMEngine, _SPar
from emstudy.stats.cfa.semsyntax import SEMModel, parse_sem

__all__ = ["sem"]


def sem(
    model: str | SEMModel,
    data: pd.DataFrame | None = None,
    *,
    sample_cov: pd.DataFrame | None = None,
    sample_mean: pd.Series | None = None,
    sample_nobs: int | None = None,
    estimator: str = "ML",
    group: str | None = None,
    std_lv: bool = False,
    missing: str = "listwise",
    max_iter: int = 1000,
) -> CFAResult:
    """Structural equation model by maximum likelihood, with lavaan's ``sem()`` defaults.

    Parameters
    ----------
    model : str or SEMModel
        lavaan model syntax: ``=~`` (measurement), ``~`` (regressions among latent and observed
        variables), ``~~`` (variances, covariances, residual covariances), pre-multiplied
        labels and values (``a*x``, ``0.5*x``, ``NA*x``; a label shared by several parameters
        makes them equal) and defined parameters ``name := expression`` of labels (``+ - * /
        ^``), e.g. ``ind := a*b``.
    data : pandas.DataFrame, optional
        One row per respondent (listwise deletion of incomplete rows, with a warning).
    sample_cov, sample_mean, sample_nobs : optional
        Summary statistics instead of ``data``, as in :func:`cfa` (mappings group -> statistics
        for several groups).
    estimator : {"ML", "MLR"}
        As in :func:`cfa`; ``"MLR"`` needs raw data, one group, no intercept statement and no
        fixed exogenous covariates; with ``missing="fiml"`` groups and intercepts are allowed.
    group : str, optional
        Column of ``data`` defining groups: the model is fitted in every group with a mean
        structure (intercepts free, latent means 0); a label written once is shared by all groups
        (equal across groups), as in lavaan. ``group.equal``-style options are not implemented
        (use :func:`cfa` and :func:`invariance` for measurement invariance).
    std_lv : bool
        Fix the (residual) variances of the latent variables to 1 and free every loading.
    missing : {"listwise", "fiml"}
        As in :func:`cfa`: ``"fiml"`` is lavaan's ``missing = "ml"`` (full-information ML with a
        mean structure, observed-information standard errors, also for the ``:=`` parameters);
        not implemented with exogenous observed covariates (``fixed.x``).
    max_iter : int
        Iteration limit of the optimizer.

    Returns
    -------
    CFAResult
        ``params`` has lavaan's ``parameterEstimates(fit, standardized = TRUE)`` columns ``lhs,
        op, rhs, label, free, est, se, z, pvalue, ci_lower, ci_upper, std_lv, std_all``, with
        the defined parameters last (their standard errors by the delta method, with the
        Jacobian of the definition by complex-step differentiation, exact to rounding).

    Notes
    -----
    lavaan's ``sem()`` defaults: the first loading of each factor is fixed to 1 (unless
    ``std_lv`` or ``NA*``); residual variances of observed and latent variables are free;
    covariances among exogenous latent variables are free, and so are the residual covariances
    among the "pure" endogenous variables (outcomes of a regression that predict nothing,
    lavaan's ``auto.cov.y``); an observed variable in a regression is its own latent variable;
    exogenous observed covariates have their (co)variances fixed at the sample values
    (``fixed.x = TRUE``), which leave the degrees of freedom and the baseline model, and the
    log-likelihood is conditional on them, as lavaan's. An intercept statement (``y ~ 1``) or
    ``group`` adds a mean structure: intercepts of the observed variables free, latent means 0.

    Raises
    ------
    ValueError
        One line on a syntax error (naming the model line), an unknown label in ``:=``, a
        variable not in the data, a model with negative degrees of freedom, or an option that is
        not implemented (MLR with groups, intercepts or fixed covariates; regressions of
        indicators; second-order factors; covariances between a latent variable and an indicator).

    Examples
    --------
    >>> fit = sem('''ind60 =~ x1 + x2 + x3
    ...              dem60 =~ y1 + y2 + y3 + y4
    ...              dem60 ~ a*ind60''', df)  # doctest: +SKIP

    References
    ----------
    Bollen, K. A. (1989). Structural Equations with Latent Variables. Wiley.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2), 1-36.
    Martins, J. R. R. A., Sturdza, P., & Alonso, J. J. (2003). The complex-step derivative
    approximation. ACM Transactions on Mathematical Software, 29, 245-262.
    """
    mm, lay, meanstructure = _check_args_sem(
        model, data, sample_cov=sample_cov, sample_mean=sample_mean, sample_nobs=sample_nobs, estimator=estimator,
        group=group, missing=missing,
    )  # fmt: skip
    fd = _fiml_data(*_prepare_fiml_blocks(lay, data, group), len(lay.obs)) if missing == "fiml" else None
    if fd is not None:
        labels, S, means, ns, blocks = fd.labels, fd.S, fd.means, fd.ns, []
    elif data is not None:
        labels, S, means, ns, blocks = _prepare_data(lay, data, group, raw=True)
    else:
        labels, S, means, ns = _prepare_moments(lay, sample_cov, sample_mean, sample_nobs)
        blocks = []
    G, nx = len(S), len(lay.fixed_x)
    table, nfree = _build_sem_table(mm, lay, S, means, std_lv=std_lv, meanstructure=meanstructure)
    _check_defined(mm, table)
    fixed_moments = G * (nx * (nx + 1) // 2 + (nx if meanstructure else 0))
    _check_identified(table, nfree + fixed_moments, lay, ns, group_partial=(), meanstructure=meanstructure)
    eng = _SEMEngine(table, nfree, len(lay.obs), len(lay.eta), S, means, ns, meanstructure)
    if fd is not None:
        x, converged, nit, fm, cov = _fit_fiml(
            eng, fd, _sem_start(table, nfree), table, estimator=estimator, max_iter=max_iter, who="sem"
        )
        se_free = np.sqrt(np.clip(np.diag(cov), 0, None))
    else:
        x, converged, nit = _optimize(eng, _sem_start(table, nfree), max_iter)
    if not converged:
        warnings.warn(
            "sem: the optimizer did not converge; estimates are unreliable. Check the identification of "
            "every latent variable, rescale variables with large variances, and try std_lv=True.",
            ConvergenceWarning,
            stacklevel=2,
        )
    if fd is None:
        fixed_x = [lay.obs.index(v) for v in lay.fixed_x]
        fm = _fit_measures(eng, x, eng.fmin(x), fixed_x=fixed_x)
        se_free, fm = _standard_errors(eng, x, fm, estimator=estimator, N=sum(ns), blocks=blocks)
        cov = _vcov(eng, x, estimator=estimator, N=sum(ns), blocks=blocks)
    params = _sem_params(mm, lay, table, eng, x, se_free, cov, labels=labels)
    _warn_negative_variances(params)
    obs = list(lay.obs)
    return CFAResult(
        model=mm,
        estimator=estimator,
        groups=tuple(labels),
        n_obs=tuple(ns),
        params=params,
        fit=fm,
        converged=converged,
        iterations=nit,
        std_lv=std_lv,
        implied_cov=tuple(pd.DataFrame(eng.implied(x, g)[0], index=obs, columns=obs) for g in range(G)),
        sample_cov=tuple(pd.DataFrame(s, index=obs, columns=obs) for s in S),
        kind="SEM",
        missing=missing,
    )


def _check_args_sem(
    model: str | SEMModel,
    data: pd.DataFrame | None,
    *,
    sample_cov: object,
    sample_mean: object,
    sample_nobs: object,
    estimator: str,
    group: str | None,
    missing: str = "listwise",
) -> tuple[SEMModel, _Layout, bool]:
    """Check the options of :func:`sem`; return the parsed model, its variables and whether it has
    a mean structure (several groups or an intercept statement)."""
    multigroup = _check_args_cfa(
        data,
        sample_cov=sample_cov,
        sample_mean=sample_mean,
        sample_nobs=sample_nobs,
        estimator=estimator,
        group=group,
        equal=(),
        group_partial=(),
        missing=missing,
    )[2]
    mm = model if isinstance(model, SEMModel) else parse_sem(model)
    lay = _layout(mm)
    meanstructure = multigroup or missing == "fiml" or any(s.op == "~1" for s in mm.statements)
    if missing == "fiml" and lay.fixed_x:
        raise ValueError(
            f"missing: 'fiml' with exogenous observed covariates {list(lay.fixed_x)} (fixed.x) is not implemented; "
            "give them a measurement model or use missing='listwise'"
        )
    if estimator == "MLR" and lay.fixed_x:
        raise ValueError(f"estimator: 'MLR' with exogenous observed covariates {list(lay.fixed_x)} is not implemented")
    if estimator == "MLR" and meanstructure and missing != "fiml":
        raise ValueError("estimator: 'MLR' with intercepts ('~ 1') is not implemented; use estimator='ML'")
    return mm, lay, meanstructure


# --------------------------------------------------------------------------------------------
# the parts of sem(): defined parameters, covariance of the estimates, table, warnings
# --------------------------------------------------------------------------------------------
def _check_defined(mm: SEMModel, table: list[_SPar]) -> None:
    """Every name in a ``:=`` expression is a label or an earlier defined parameter."""
    known = {t.label for t in table if t.label}
    for (name, expr), line in zip(mm.defined, mm.defined_lines or [0] * len(mm.defined)):
        tree = ast.parse(expr.replace("^", "**"), mode="eval")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id not in known:
                raise ValueError(
                    f"model line {line}: defined parameter {name!r} uses {node.id!r}, which is not a parameter label "
                    "(label a parameter with 'a*x' first)"
                )
        known.add(name)


def _evaluate(mm: SEMModel, values: dict) -> list:
    """Values of the defined parameters given the labelled parameters' values (real or complex)."""
    env = dict(values)
    out = []
    for name, expr in mm.defined:
        code = compile(ast.parse(expr.replace("^", "**"), mode="eval"), "<defined>", "eval")
        env[name] = eval(code, {"__builtins__": {}}, env)  # noqa: S307 - checked: arithmetic on labels only
        out.append(env[name])
    return out


def _label_values(table: list[_SPar], x: np.ndarray) -> dict:
    values: dict = {}
    for t in table:
        if t.label and t.label not in values:
            values[t.label] = x[t.free] if t.free >= 0 else t.value
    return values


def _defined_jacobian(mm: SEMModel, table: list[_SPar], x: np.ndarray) -> np.ndarray:
    """d(defined)/d(free) by complex-step differentiation (exact to rounding for analytic expressions)."""
    h = 1e-30
    J = np.zeros((len(mm.defined), len(x)))
    for k in range(len(x)):
        xc = x.astype(complex)
        xc[k] += 1j * h
        J[:, k] = [np.imag(v) / h for v in _evaluate(mm, _label_values(table, xc))]
    return J


def _vcov(eng: _SEMEngine, x: np.ndarray, *, estimator: str, N: int, blocks: list) -> np.ndarray:
    """Covariance matrix of the free estimates: expected information (ML) or the sandwich (MLR)."""
    try:
        if estimator == "ML":
            return np.linalg.inv(N / 2.0 * eng.info(x))
        Ainv = np.linalg.inv(N / 2.0 * _observed_hessian(eng, x))
        sc = _case_scores(eng, x, blocks[0])
        return Ainv @ (sc.T @ sc) @ Ainv
    except np.linalg.LinAlgError:
        return np.full((eng.nfree, eng.nfree), np.nan)


def _standardized(t: _SPar, est: float, lay: _Layout, T: np.ndarray, P: np.ndarray, M: np.ndarray, Sig: np.ndarray):
    """lavaan's ``std.lv`` and ``std.all`` of one parameter."""
    eta, obs = lay.eta, lay.obs

    def sd(v: str, full: bool) -> float:
        if v in eta and (full or v in lay.latent):
            k = eta.index(v)
            return float(np.sqrt(M[k, k]))
        return float(np.sqrt(Sig[obs.index(v), obs.index(v)])) if full else 1.0

    if t.op in ("=~", "~"):
        src, dst = (t.lhs, t.rhs) if t.op == "=~" else (t.rhs, t.lhs)
        return est * sd(src, False) / sd(dst, False), est * sd(src, True) / sd(dst, True)
    if t.op == "~1":
        return est / sd(t.lhs, False), est / sd(t.lhs, True)
    if t.lhs == t.rhs:
        return est / sd(t.lhs, False) ** 2, est / sd(t.lhs, True) ** 2
    R = P if t.mat == "P" else T
    i, j = (eta.index(t.lhs), eta.index(t.rhs)) if t.mat == "P" else (obs.index(t.lhs), obs.index(t.rhs))
    corr = est / np.sqrt(R[i, i] * R[j, j])
    both_latent = t.mat == "P" and t.lhs in lay.latent and t.rhs in lay.latent
    return (corr if both_latent else est), corr


def _sem_params(mm, lay, table, eng, x, se_free, cov, *, labels: list[str]) -> pd.DataFrame:
    """lavaan's ``parameterEstimates(fit, standardized = TRUE)``, the defined parameters last;
    without groups the columns ``group`` and ``group_label`` are dropped."""
    mats = [eng.parts(x, g) for g in range(eng.G)]
    Sigs = [eng.implied(x, g)[0] for g in range(eng.G)]
    zcrit = stats.norm.ppf(0.975)
    rows = []
    for t in table:
        if t.hidden:
            continue
        est = float(x[t.free]) if t.free >= 0 else t.value
        se = float(se_free[t.free]) if t.free >= 0 else 0.0
        L, T, P, B, A, M, nu, a = mats[t.group]
        lv, full = _standardized(t, est, lay, T, P, M, Sigs[t.group])
        rows.append(
            {
                "lhs": t.lhs,
                "op": t.op,
                "rhs": t.rhs,
                "group": t.group + 1,
                "group_label": labels[t.group],
                "label": t.label,
                "free": t.free >= 0,
                "est": est,
                "se": se,
                "std_lv": float(lv),
                "std_all": float(full),
            }
        )
    if mm.defined:
        vals = _evaluate(mm, _label_values(table, x))
        J = _defined_jacobian(mm, table, x)
        ses = np.sqrt(np.clip(np.einsum("dk,kl,dl->d", J, cov, J), 0, None))
        std = {}
        for key in ("std_lv", "std_all"):
            first = {}
            for r in rows:
                if r["label"] and r["label"] not in first:
                    first[r["label"]] = r[key]
            std[key] = _evaluate(mm, first)
        for d, (name, expr) in enumerate(mm.defined):
            rows.append(
                {
                    "lhs": name,
                    "op": ":=",
                    "rhs": expr,
                    "group": 0,
                    "group_label": "",
                    "label": name,
                    "free": False,
                    "est": float(vals[d]),
                    "se": float(ses[d]),
                    "std_lv": float(std["std_lv"][d]),
                    "std_all": float(std["std_all"][d]),
                }
            )
    params = pd.DataFrame(rows)
    defined = params["op"] == ":="
    ok = (params["free"] | defined) & (params["se"] > 0)
    params["z"] = np.where(ok, params["est"] / params["se"].where(ok, 1.0), np.nan)
    params["pvalue"] = 2 * stats.norm.sf(np.abs(params["z"]))
    params["ci_lower"] = params["est"] - zcrit * params["se"]
    params["ci_upper"] = params["est"] + zcrit * params["se"]
    head = ["lhs", "op", "rhs"] + (["group", "group_label"] if eng.G > 1 else [])
    tail = ["label", "free", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv", "std_all"]
    return params[head + tail]


def _warn_negative_variances(params: pd.DataFrame) -> None:
    """A :class:`~emstudy.errors.HeywoodWarning` per negative (residual) variance estimate."""
    neg = params[(params["op"] == "~~") & (params["lhs"] == params["rhs"]) & (params["est"] < 0)]
    for _, r in neg.iterrows():
        warnings.warn(
            f"sem: Heywood case: negative (residual) variance of {r['lhs']!r} ({r['est']:.3f}); the solution is "
            "improper (a misspecified model, too few indicators or outliers)",
            HeywoodWarning,
            stacklevel=3,
        )
