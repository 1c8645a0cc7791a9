"""Structural equation models by maximum likelihood (ML, MLR) or, for ordered items, by (diagonally) weighted
least squares (WLSMV, DWLS, ULSMV, ULS), as lavaan's ``sem()`` fits them.

This module sits beside the :mod:`emstudy.stats.cfa` sub-package and uses its engine. :func:`sem` parses
lavaan's model syntax (:func:`~emstudy.stats.cfa.semsyntax.parse_sem`), builds lavaan's ``sem()`` parameter
table with its ``group.equal`` / ``group.partial`` constraints (:mod:`~emstudy.stats.cfa.semengine`), fits it
with the CFA engine's optimizer (or the FIML machinery of :mod:`~emstudy.stats.cfa.fiml`, for
``missing="fiml"`` and for MLR with a mean structure) and returns a
:class:`~emstudy.stats.cfa.estimate.CFAResult` with the columns ``label`` and ``std_lv`` and one row per
defined parameter (``op == ":="``, delta-method standard errors, or bootstrap ones with ``se="bootstrap"``).
That fit sequence, :func:`_fit_sem`, is also :func:`~emstudy.stats.cfa.estimate.cfa`'s: lavaan's ``cfa()`` is
``sem()`` with the same defaults, and so is emstudy's.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from emstudy.errors import ConvergenceWarning
from emstudy.stats.cfa._data import (
    _check_estimator_for_items,
    _ordinal_options,
    _prepare_data,
    _prepare_fiml_blocks,
    _prepare_moments,
)
from emstudy.stats.cfa.engine import _case_scores, _optimize
from emstudy.stats.cfa.estimate import (
    CFAResult,
    _analytic_hessian,
    _check_args_cfa,
    _check_identified,
    _standard_errors,
    _wald_columns,
    _warn_negative_variances,
)
from emstudy.stats.cfa.fiml import _fiml_data, _FIMLData, _FIMLEngine, _fit_fiml
from emstudy.stats.cfa.fit import _fit_measures
from emstudy.stats.cfa.robust import _robust_fiml, _robust_listwise
from emstudy.stats.cfa.semengine import _SEM_EQUAL, _build_sem_table, _Layout, _layout, _sem_start, _SEMEngine, _SPar
from emstudy.stats.cfa.semsyntax import SEMModel, parse_sem
from emstudy.stats.cfa.wls import ORDERED_ESTIMATORS, _sem_ordered

__all__ = ["sem"]


def sem(
    model: str | SEMModel,
    data: pd.DataFrame | None = None,
    *,
    sample_cov: pd.DataFrame | None = None,
    sample_mean: pd.Series | None = None,
    sample_nobs: int | None = None,
    estimator: str | None = None,
    group: str | None = None,
    equal: Iterable[str] = (),
    group_partial: Iterable[str] = (),
    std_lv: bool = False,
    missing: str = "listwise",
    se: str = "standard",
    bootstrap: int = 1000,
    seed: int | None = None,
    n_jobs: int = 1,
    max_iter: int = 1000,
    ordered: bool | Iterable[str] | None = None,
    parameterization: str = "delta",
) -> CFAResult:
    """Structural equation model by maximum likelihood (ML, MLR) or, with ``ordered`` items, by weighted least
    squares (WLSMV, DWLS, ULSMV, ULS), with lavaan's ``sem()`` defaults.

    Parameters
    ----------
    model : str or SEMModel
        lavaan model syntax: ``=~`` (measurement), ``~`` (regressions among latent and observed
        variables), ``~~`` (variances, covariances, residual covariances), ``~ 1`` (intercepts),
        pre-multiplied labels and values (``a*x``, ``0.5*x``, ``NA*x``; a label shared by several
        parameters makes them equal, in every group; ``c(a1, a2)*x`` gives one modifier per group)
        and defined parameters ``name := expression`` of labels (``+ - * / ^``), e.g. ``ind := a*b``.
    data : pandas.DataFrame, optional
        One row per respondent (listwise deletion of incomplete rows, with a warning, unless
        ``missing="fiml"``).
    sample_cov, sample_mean, sample_nobs : optional
        Summary statistics instead of ``data``, as in :func:`cfa` (mappings group -> statistics
        for several groups); only with ``estimator="ML"`` and ``se="standard"``.
    estimator : {None, "ML", "MLR", "WLSMV", "DWLS", "ULSMV", "ULS"}
        In any case (``"wlsmv"`` is ``"WLSMV"``; the result carries the upper-case name). ``None`` (the
        default) is lavaan's: ``"ML"`` without ordered items, ``"WLSMV"`` with them. ``"ML"``: maximum
        likelihood, standard errors from the expected information. ``"MLR"``: ML estimates with the
        sandwich (robust) standard errors and the Yuan-Bentler scaled chi-square, as lavaan's; needs
        raw data; not implemented with exogenous observed
        covariates (fixed.x). With groups or a mean structure and listwise deletion it is fitted
        by the FIML machinery on the complete rows (which gives the listwise ML estimates).
        ``"WLSMV"``, ``"DWLS"``, ``"ULSMV"``, ``"ULS"``: only with ``ordered`` (see there); ``"ML"`` and
        ``"MLR"`` are refused with ordered items.
    group : str, optional
        Column of ``data`` defining groups: the model is fitted in every group with a mean
        structure (intercepts free, latent means 0); a label written once is shared by all groups
        (equal across groups), as in lavaan.
    equal : iterable of str
        lavaan's ``group.equal``: any of ``"loadings"``, ``"intercepts"``, ``"means"``,
        ``"residuals"``, ``"residual.covariances"``, ``"lv.variances"``, ``"lv.covariances"``,
        ``"regressions"``; the unlabelled free parameters of these classes equal their group-1
        counterparts (a labelled parameter keeps its label's constraint). With equal intercepts
        (and not ``"means"``) the latent means are free beyond group 1; with ``std_lv`` and equal
        loadings (and not ``"lv.variances"``) the latent variances are.
    group_partial : iterable of str
        lavaan's ``group.partial``: parameters exempt from ``equal``, written ``"f=~x2"``,
        ``"x7~1"``, ``"x4~~x7"``, ``"f2~f1"``.
    std_lv : bool
        Fix the (residual) variances of the latent variables to 1 and free every loading.
    missing : {"listwise", "fiml", "pairwise"}
        As in :func:`cfa`: ``"fiml"`` is lavaan's ``missing = "ml"`` (full-information ML with a
        mean structure, observed-information standard errors, also for the ``:=`` parameters);
        not implemented with exogenous observed covariates (``fixed.x``). ``"pairwise"`` only with
        ``ordered``: lavaan's ``missing = "pairwise"`` (thresholds from each item's answers,
        polychorics from the pairwise-complete rows; ``ordinal_moments(missing="pairwise")``).
    se : {"standard", "robust", "bootstrap"}
        ``"standard"``: from the information matrix of the estimator; ``"robust"``: the sandwich
        with the ML estimates and the ML chi-square (lavaan's ``se = "robust.huber.white"``; as
        MLR, not with fixed.x); ``"bootstrap"``: :func:`~emstudy.stats.bootstrap.bootstrap`
        standard errors and percentile intervals (lavaan's ``se = "bootstrap"`` with
        ``parameterEstimates(boot.ci.type = "perc")``) in ``se, z, pvalue, ci_lower, ci_upper``
        of the free and the ``:=`` rows.
    bootstrap : int
        Replicates for ``se="bootstrap"``.
    seed : int, optional
        Seed of the bootstrap; required with ``se="bootstrap"`` (the result is reproducible).
    n_jobs : int
        Worker processes of the bootstrap; the result is the same for any number.
    max_iter : int
        Iteration limit of the optimizer.
    ordered : True, False or list of str, optional
        lavaan's ``ordered``: the observed variables are ordered categories (Likert items; all of
        them: ``True`` or every observed variable of the model; ``False``, ``None`` or an empty list:
        none). A name that is not a column of ``data`` is an error; a column the model does not use is
        ignored, as in lavaan. The answers are integer codes (at most 10 categories) or ordered pandas
        Categoricals (their categories in order are the levels). With groups, every category of an
        item must be chosen in every group (as lavaan: merge a category nobody chose in some group into
        its neighbour, in every group, or drop the item). Fitted with ``estimator`` ``"WLSMV"``
        (DWLS estimates, robust standard errors, the scaled-shifted test), ``"ULSMV"``, ``"DWLS"``
        or ``"ULS"`` on the thresholds and polychoric correlations (listwise or pairwise), as lavaan
        0.6.14 (:mod:`emstudy.stats.cfa.wls`): thresholds in ``params`` (``op "|"``), no ``missing="fiml"``
        or ``se`` options; ``equal`` also takes ``"thresholds"`` (partial: ``"A1|t2"``), with lavaan's
        identification (:mod:`emstudy.stats.cfa.wls_groups`).
    parameterization : {"delta", "theta"}
        With ``ordered`` only: lavaan's ``parameterization``; ``"delta"`` fixes the latent responses'
        variances at 1, ``"theta"`` the items' residual variances.

    Returns
    -------
    CFAResult
        ``params`` has lavaan's ``parameterEstimates(fit, standardized = TRUE)`` columns ``lhs,
        op, rhs, label, free, est, se, z, pvalue, ci_lower, ci_upper, std_lv, std_all`` (with
        ``group`` and ``group_label`` after ``rhs`` for several groups), with the defined
        parameters last (their standard errors by the delta method, with the Jacobian of the
        definition by complex-step differentiation, exact to rounding).

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
        variable not in the data, a model with negative degrees of freedom, a name in ``ordered`` that
        is not a column of ``data``, an ordered item whose category is empty in some group (or that a
        small group leaves with one category), or an option that is not implemented (MLR or robust
        SEs with fixed covariates; regressions of indicators; second-order factors; covariances
        between a latent variable and an indicator).

    Examples
    --------
    >>> fit = sem('''ind60 =~ x1 + x2 + x3
    ...              dem60 =~ y1 + y2 + y3 + y4
    ...              dem60 ~ a*ind60''', df)  # doctest: +SKIP
    >>> sem(model, hs, group="school", equal=("loadings", "intercepts"))  # doctest: +SKIP

    References
    ----------
    Bollen, K. A. (1989). Structural Equations with Latent Variables. Wiley.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2), 1-36.
    Martins, J. R. R. A., Sturdza, P., & Alonso, J. J. (2003). The complex-step derivative
    approximation. ACM Transactions on Mathematical Software, 29, 245-262.
    White, H. (1982). Maximum likelihood estimation of misspecified models. Econometrica, 50, 1-25.
    """
    estimator, ordered = _ordinal_options(estimator, ordered)
    if ordered is not None or estimator in ORDERED_ESTIMATORS or parameterization != "delta":
        _check_args_ordered(data, ordered, estimator, parameterization, missing, se, (equal, group_partial))
        mm = model if isinstance(model, SEMModel) else parse_sem(model)
        opts = {"group": group, "estimator": estimator, "std_lv": std_lv, "max_iter": max_iter, "missing": missing}
        opts |= {"equal": equal, "group_partial": group_partial}
        fit, wls, x = _sem_ordered(mm, _layout(mm), data, ordered=ordered, parameterization=parameterization,
                                   with_state=True, **opts)  # fmt: skip
        return dataclasses.replace(fit, wls_state=(wls, x))  # the fitted WLS model, for modindices()
    mm, lay, meanstructure, equal, group_partial = _check_args_sem(
        model, data, sample_cov=sample_cov, sample_mean=sample_mean, sample_nobs=sample_nobs, estimator=estimator,
        group=group, missing=missing, equal=equal, group_partial=group_partial, se=se, bootstrap=bootstrap,
        seed=seed, n_jobs=n_jobs,
    )  # fmt: skip
    if se == "bootstrap":
        opts = {"estimator": estimator, "group": group, "equal": equal, "group_partial": group_partial}
        opts |= {"std_lv": std_lv, "missing": missing, "max_iter": max_iter}
        return _bootstrapped(mm, data, opts, bootstrap, seed, n_jobs)
    fit = _fit_sem(
        mm, lay, data, sample=(sample_cov, sample_mean, sample_nobs), estimator=estimator, group=group, equal=equal,
        group_partial=group_partial, std_lv=std_lv, missing=missing, se=se, meanstructure=meanstructure,
        max_iter=max_iter, who="sem",
    )  # fmt: skip
    _warn_negative_variances(fit.params, causes="a misspecified model, too few indicators or outliers", stacklevel=2)
    return fit


#: The optimizer's warning, by the caller of :func:`_fit_sem`.
_NOT_CONVERGED = {
    "sem": "sem: the optimizer did not converge; estimates are unreliable. Check the identification of every latent "
    "variable, rescale variables with large variances, and try std_lv=True.",
    "cfa": "cfa: the optimizer did not converge; estimates are unreliable. Check that every factor has at least 3 "
    "indicators (or 2 with a correlated factor), that variables are on similar scales (rescale large variances), "
    "and try std_lv=True.",
}


def _fit_sem(
    mm: SEMModel,
    lay: _Layout,
    data: pd.DataFrame | None,
    *,
    sample: tuple,
    estimator: str,
    group: str | None,
    equal: tuple[str, ...],
    group_partial: tuple[str, ...],
    std_lv: bool,
    missing: str,
    se: str,
    meanstructure: bool,
    max_iter: int,
    who: str,
) -> CFAResult:
    """The fit of :func:`sem` and of :func:`~emstudy.stats.cfa.estimate.cfa` (``who``), after their argument
    checks: the data or the summary statistics ``sample = (sample_cov, sample_mean, sample_nobs)``, lavaan's
    ``sem()`` table, the ML or FIML fit, fit measures, standard errors and the parameter table. Warnings are
    attributed to the line calling :func:`sem` or :func:`cfa` (this function is called from them directly)."""
    fd, blocks = None, []
    if missing == "fiml":
        fd = _fiml_data(*_prepare_fiml_blocks(lay, data, group), len(lay.obs))
    elif data is not None:
        labels, S, means, ns, blocks = _prepare_data(lay, data, group, raw=True)
        if meanstructure and (estimator == "MLR" or se == "robust"):  # FIML on the complete rows: listwise ML
            fd, blocks = _fiml_data(labels, blocks, len(lay.obs)), []
    else:
        labels, S, means, ns = _prepare_moments(lay, *sample)
    if fd is not None:
        labels, S, means, ns = fd.labels, fd.S, fd.means, fd.ns
    G, nx = len(S), len(lay.fixed_x)
    table, nfree = _build_sem_table(
        mm, lay, S, means, std_lv=std_lv, meanstructure=meanstructure, equal=equal, partial=group_partial
    )
    _check_defined(mm, table)
    fixed_moments = G * (nx * (nx + 1) // 2 + (nx if meanstructure else 0))
    _check_identified(table, nfree + fixed_moments, lay, ns, group_partial=group_partial, meanstructure=meanstructure)
    eng = _SEMEngine(table, nfree, len(lay.obs), len(lay.eta), S, means, ns, meanstructure)
    if fd is not None:
        opts = {"estimator": estimator, "se": se, "missing": missing, "max_iter": max_iter}
        x, converged, nit, fm, cov = _fit_by_fiml(eng, fd, table, nfree, who=who, **opts)
    else:
        x, converged, nit = _optimize(eng, _sem_start(table, nfree), max_iter)
    if not converged:
        warnings.warn(_NOT_CONVERGED[who], ConvergenceWarning, stacklevel=3)
    if fd is None:
        fixed_x = [lay.obs.index(v) for v in lay.fixed_x]
        fm = _fit_measures(eng, x, eng.fmin(x), fixed_x=fixed_x)
        se_ok, fm = _standard_errors(eng, x, fm, estimator=estimator, N=sum(ns), blocks=blocks)
        cov = _vcov(eng, x, estimator=estimator, N=sum(ns), blocks=blocks, se=se)
        if len(se_ok) and np.isnan(se_ok).all():  # a singular information matrix (warned): no standard errors
            cov = np.full_like(cov, np.nan)
    se_free = np.sqrt(np.clip(np.diag(cov), 0, None))
    params = _sem_params(mm, lay, table, eng, x, se_free, cov, labels=labels)
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
        equal=equal,
        group_partial=group_partial,
        std_lv=std_lv,
        implied_cov=tuple(pd.DataFrame(eng.implied(x, g)[0], index=obs, columns=obs) for g in range(G)),
        sample_cov=tuple(_sample_frame(s, m, obs) for s, m in zip(S, means)),
        kind="SEM",
        missing=missing,
        vcov=_row_vcov(table, cov),
    )


def _row_vcov(table, cov: np.ndarray) -> np.ndarray:
    """The covariance of the estimates over the shown rows of the parameter table (0 where a row is fixed)."""
    free = np.array([t.free for t in table if not t.hidden])
    out = np.zeros((len(free), len(free)))
    shown = np.flatnonzero(free >= 0)
    out[np.ix_(shown, shown)] = cov[np.ix_(free[shown], free[shown])]
    return out


def _sample_frame(S: np.ndarray, mean: np.ndarray, obs: list[str]) -> pd.DataFrame:
    """The sample covariance matrix as a frame, the sample means in ``attrs["sample_mean"]`` (for
    :func:`~emstudy.stats.modindices.modindices` of a model with a mean structure)."""
    out = pd.DataFrame(S, index=obs, columns=obs)
    out.attrs["sample_mean"] = np.asarray(mean, dtype=float).copy()
    return out


def _check_args_ordered(data, ordered, estimator: str, parameterization: str, missing: str, se: str, equal) -> None:
    """The options of :func:`sem` with ordered items, after :func:`~emstudy.stats.cfa._data._ordinal_options`
    (the model and the data are checked by :mod:`~emstudy.stats.cfa.wls`)."""
    if parameterization not in ("delta", "theta"):
        raise ValueError(f"parameterization: expected 'delta' or 'theta', got {parameterization!r}")
    _check_estimator_for_items(estimator, ordered, parameterization)
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data: ordered items need the raw answers as a DataFrame (no sample_cov)")
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"missing: {missing!r} is not available with ordered items; use 'listwise' or 'pairwise'")
    if se != "standard":
        raise ValueError(f"se: {se!r} is not available with ordered items; use se='standard' (robust already)")
    for name, value in zip(("equal", "group_partial"), equal):
        if not isinstance(value, str) and not all(isinstance(e, str) for e in value):
            raise ValueError(f"{name}: expected a string or a list of strings, got {value!r}")


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
    equal: Iterable[str] = (),
    group_partial: Iterable[str] = (),
    se: str = "standard",
    bootstrap: int = 1000,
    seed: object = None,
    n_jobs: int = 1,
) -> tuple[SEMModel, _Layout, bool, tuple[str, ...], tuple[str, ...]]:
    """Check the options of :func:`sem`; return the parsed model, its variables, whether it has
    a mean structure (several groups or an intercept statement), ``equal`` and ``group_partial``."""
    if estimator not in ("ML", "MLR"):
        raise ValueError(f"estimator: expected 'ML' or 'MLR', got {estimator!r}")
    if estimator == "MLR" and data is None:
        raise ValueError("estimator: 'MLR' needs raw data; pass data instead of sample_cov, or use estimator='ML'")
    if se not in ("standard", "robust", "bootstrap"):
        raise ValueError(f"se: expected 'standard', 'robust' or 'bootstrap', got {se!r}")
    if se != "standard" and data is None:
        raise ValueError(f"se: {se!r} needs raw data; pass data instead of sample_cov, or use se='standard'")
    if se == "robust" and estimator == "MLR":
        raise ValueError("se: 'robust' is what estimator='MLR' gives already; use se='standard' with MLR")
    if se == "bootstrap" and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise ValueError(f"seed: se='bootstrap' needs an integer seed (so the result is reproducible), got {seed!r}")
    if se == "bootstrap" and (
        isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer) or bootstrap < 2
    ):
        raise ValueError(f"bootstrap: expected the number of replicates, an integer of at least 2, got {bootstrap!r}")
    multigroup = _check_args_cfa(
        data, sample_cov=sample_cov, sample_mean=sample_mean, sample_nobs=sample_nobs, estimator="ML", group=group,
        equal=(), group_partial=(), missing=missing,
    )[2]  # fmt: skip
    equal = (equal,) if isinstance(equal, str) else tuple(equal)
    for e in equal:
        if e not in _SEM_EQUAL:
            raise ValueError(f"equal: unknown constraint {e!r}; expected some of {_SEM_EQUAL}")
    if equal and not multigroup:
        raise ValueError("equal: group constraints need several groups (group=... with data, or sample_cov by group)")
    group_partial = (group_partial,) if isinstance(group_partial, str) else tuple(group_partial)
    mm = model if isinstance(model, SEMModel) else parse_sem(model)
    lay = _layout(mm)
    meanstructure = multigroup or missing == "fiml" or any(s.op == "~1" for s in mm.statements)
    if missing == "fiml" and lay.fixed_x:
        raise ValueError(
            f"missing: 'fiml' with exogenous observed covariates {list(lay.fixed_x)} (fixed.x) is not implemented; "
            "give them a measurement model or use missing='listwise'"
        )
    if (estimator == "MLR" or se == "robust") and lay.fixed_x:
        raise ValueError(
            f"estimator: 'MLR' with exogenous observed covariates {list(lay.fixed_x)} (fixed.x) is not implemented, "
            "nor se='robust'; use estimator='ML' (with se='bootstrap' for robust standard errors)"
        )
    return mm, lay, meanstructure, equal, group_partial


def _fit_by_fiml(
    eng, fd: _FIMLData, table, nfree: int, *, estimator: str, se: str, missing: str, max_iter: int, who: str
):
    """Fit by the FIML code (``missing="fiml"``, or MLR / robust SEs with a mean structure on the complete
    rows): estimates, convergence, iterations, fit measures and the covariance of the estimates. The fit
    measures get the robust indices: lavaan reports them for every FIML fit (ML too) and, with MLR, the scaled
    ones; MLR on complete rows gets those of the complete rows (then one pattern per group holds them all)."""
    x, converged, nit, fm, cov = _fit_fiml(
        eng, fd, _sem_start(table, nfree), table, estimator=estimator, max_iter=max_iter, who=who
    )
    if se == "robust":
        cov = _robust_fiml_vcov(eng, fd, x)
    if missing == "fiml":
        fm = _robust_fiml(eng, x, fd, fm, estimator=estimator)
    elif estimator == "MLR":
        fm = _robust_listwise(fm, [np.vstack([pt.rows for pt in fd.pats if pt.group == g]) for g in range(len(fd.ns))])
    return x, converged, nit, fm, cov


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


def _vcov(eng: _SEMEngine, x: np.ndarray, *, estimator: str, N: int, blocks: list, se: str) -> np.ndarray:
    """Covariance matrix of the free estimates: expected information (ML), the sandwich with the
    observed information as bread (MLR, or ML with ``se="robust"``: lavaan's ``robust.huber.white``)."""
    try:
        if estimator == "ML" and se == "standard":
            return np.linalg.inv(N / 2.0 * eng.info(x))
        Ainv = np.linalg.inv(N / 2.0 * _analytic_hessian(eng, x, blocks[0]))
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
    _wald_columns(params, (params["free"] | defined) & (params["se"] > 0))
    head = ["lhs", "op", "rhs"] + (["group", "group_label"] if eng.G > 1 else [])
    tail = ["label", "free", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv", "std_all"]
    return params[head + tail]


def _robust_fiml_vcov(eng: _SEMEngine, fd: _FIMLData, x: np.ndarray) -> np.ndarray:
    """The sandwich of the ML estimates with a mean structure (``se="robust"``): the observed
    information as bread (as lavaan's ``robust.huber.white``), the cross-product of the casewise
    scores as meat."""
    feng = _FIMLEngine(eng, fd.pats, fd.logl_h1)
    try:
        Ainv = np.linalg.inv(feng.N / 2.0 * feng.hessian(x))
    except np.linalg.LinAlgError:
        return np.full((eng.nfree, eng.nfree), np.nan)
    sc = feng.case_scores(x)
    return Ainv @ (sc.T @ sc) @ Ainv


def _bootstrapped(mm: SEMModel, data: pd.DataFrame, opts: dict, n_boot: int, seed: int, n_jobs: int) -> CFAResult:
    """The fit with the bootstrap standard errors, z, p-values and percentile intervals of its free
    and defined parameters (:func:`~emstudy.stats.bootstrap.bootstrap`)."""
    from emstudy.stats.bootstrap import bootstrap  # the bootstrap refits with sem(): imported here

    boot = bootstrap(
        functools.partial(sem, mm, **opts), data, group=opts["group"], n_boot=n_boot, seed=seed, n_jobs=n_jobs
    )
    params = boot.fit.params.copy()
    keep = (params["free"] | (params["op"] == ":=")).to_numpy()
    for col in ("se", "ci_lower", "ci_upper"):
        params.loc[keep, col] = boot.params[col].to_numpy()
    _wald_columns(params, keep & (params["se"] > 0).to_numpy(), intervals=False)  # percentile intervals kept
    return dataclasses.replace(boot.fit, params=params)
