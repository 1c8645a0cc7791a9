"""Measurement invariance of ordered (Likert) items by WLSMV, as lavaan 0.6.14 (``invariance(..., ordered=...)``).

The sequence of Wu & Estabrook (2016): the configural model (same pattern, everything free per group; lavaan's
identification: thresholds free, scaling factors 1, latent means 0 in every group), then equal thresholds,
then equal thresholds and loadings, then equal thresholds, loadings and intercepts. lavaan's identification
with equal thresholds (``group.equal`` containing ``"thresholds"``; :mod:`~emstudy.stats.cfa.wls_groups`):
in the groups beyond the first the latent means are free and so are the scales of the latent responses
(delta: the scaling factors ``~*~``; theta: the residual variances); the latent variances are free in every
group (the marker's loading is 1). The intercepts of ordered items are fixed at 0 in every group at every
level, so the last level is the same model as the one before it in lavaan 0.6.14 (its test has 0 degrees of
freedom); it is reported because it is the level readers expect, and its row says so.

Each level is compared with the one before it by lavaan's ``lavTestLRT`` test for the scaled-shifted
statistic (``method = "satorra.2000"``, :func:`~emstudy.stats.cfa.wls_groups._satorra2000`; the plain
difference for DWLS and ULS) and by the changes of the scaled CFI and RMSEA (the unscaled ones for DWLS and
ULS), judged by the cut-offs of :func:`~emstudy.stats.cfa.invariance.invariance`. The same test serves
:func:`~emstudy.stats.cfa.invariance.chisq_difference` for any nested ordered-item fits of
:func:`~emstudy.stats.sem.sem` (:func:`_chisq_difference_ordered`).

References
----------
Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of moment structures.
In Innovations in Multivariate Statistical Analysis (pp. 233-247). Kluwer.
Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis models of different levels of
invariance for ordered categorical outcomes. Psychometrika, 81, 1014-1045.
Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement invariance. Structural
Equation Modeling, 14, 464-504.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.errors import ModelWarning
from emstudy.stats.cfa._data import _check_estimator_for_items
from emstudy.stats.cfa.estimate import CFAResult
from emstudy.stats.cfa.semengine import _layout
from emstudy.stats.cfa.semsyntax import SEMModel, parse_sem
from emstudy.stats.cfa.syntax import MeasurementModel
from emstudy.stats.cfa.wls import _sem_ordered
from emstudy.stats.cfa.wls_groups import _satorra2000, _thresholds_equal

__all__: list[str] = []

#: The levels of the sequence and their ``equal`` (lavaan's ``group.equal``).
ORDINAL_LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "thresholds+loadings": ("thresholds", "loadings"),
    "thresholds+loadings+intercepts": ("thresholds", "loadings", "intercepts"),
}


def _model_text(model: object) -> SEMModel:
    if isinstance(model, SEMModel):
        return model
    if isinstance(model, MeasurementModel):
        return parse_sem("\n".join(f"{f} =~ {' + '.join(items)}" for f, items in model.indicators))
    if not isinstance(model, str):
        raise ValueError(f"model: expected lavaan syntax (a string), got {type(model).__name__}")
    return parse_sem(model)


def _invariance_ordered(
    model: object,
    data: pd.DataFrame,
    group: str,
    *,
    ordered: object,
    estimator: str,
    parameterization: str,
    missing: str,
    cfi_cut: float,
    rmsea_cut: float,
    alpha: float,
    sample_cov: object = None,
    sample_mean: object = None,
    sample_nobs: object = None,
    partial: bool = True,
    max_free: int | None = None,
    min_invariant: int = 2,
    n_jobs: int = 1,
) -> dict:
    """The fields of :class:`~emstudy.stats.cfa.invariance.InvarianceResult` for ordered items, from the
    arguments of :func:`~emstudy.stats.cfa.invariance.invariance` (``estimator`` WLSMV by default, ``"ML"``
    refused, as by ``sem``; no partial search: ``partial``, ``max_free``, ``min_invariant`` and ``n_jobs`` do not apply): the fits of the
    four levels, their table and the highest level that holds (``"configural"`` if equal thresholds do not)."""
    estimator = "WLSMV" if estimator is None else estimator  # lavaan's default (invariance() sets it already)
    if sample_cov is not None or sample_mean is not None or sample_nobs is not None:
        raise ValueError(
            "sample_cov: ordinal invariance needs the raw answers (data and group), not summary statistics"
        )
    _check_estimator_for_items(estimator, True, "delta")  # ordered items; the parameterization is checked below
    if parameterization not in ("delta", "theta"):
        raise ValueError(f"parameterization: expected 'delta' or 'theta', got {parameterization!r}")
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"missing: {missing!r} is not available with ordered items; use 'listwise' or 'pairwise'")
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data: ordinal invariance needs the raw answers as a DataFrame (no sample_cov)")
    if not isinstance(group, str):
        raise ValueError("group: expected the name of the grouping column of data")
    mm = _model_text(model)
    lay = _layout(mm)
    opts = {"ordered": ordered, "group": group, "estimator": estimator, "parameterization": parameterization}
    opts |= {"std_lv": False, "max_iter": 500, "missing": missing, "with_state": True}
    states = _level_states(mm, lay, data, opts)
    fits = {name: dataclasses.replace(s[0], wls_state=(s[1], s[2])) for name, s in states.items()}
    names = list(ORDINAL_LEVELS)
    rows = {names[0]: {**_row(fits[names[0]]), "compared_with": "", "holds": True, "note": ""}}
    level = names[0]
    for prev, name in zip(names, names[1:]):
        comp = _no_constraint(_compare(states[name], states[prev], prev, cfi_cut, rmsea_cut), rows[prev]["holds"])
        rows[name] = {**_row(fits[name]), **comp}
        if level == prev and comp["holds"]:
            level = name
    return {
        "table": pd.DataFrame.from_dict(rows, orient="index")[list(rows[names[-1]])],
        "fits": fits,
        "level": level,
        "freed_intercepts": (),
        "search": pd.DataFrame(columns=["step", "item", "chisq", "df"]),
        "group": group,
        "cfi_cut": cfi_cut,
        "rmsea_cut": rmsea_cut,
        "alpha": alpha,
        "estimator": estimator,
        "missing": missing,
    }


def _constraints(equal: Sequence[str]) -> tuple:
    """What ``equal`` constrains when every item is ordered: ``"intercepts"`` acts as ``"thresholds"``
    (lavaan 0.6.14; :func:`~emstudy.stats.cfa.wls_groups._thresholds_equal`), the other classes as such."""
    return _thresholds_equal(equal), tuple(sorted(e for e in equal if e not in ("thresholds", "intercepts")))


def _level_states(mm: SEMModel, lay: object, data: pd.DataFrame, opts: dict) -> dict[str, tuple]:
    """The fitted levels ``(fit, model, x)``: the groups' sample statistics computed once, and a level that
    adds no constraint to the level before (``"intercepts"`` after ``"thresholds"``) not fitted again but
    taken from it (the same model: the same estimates, fit measures and parameter table); each fit starts
    from the estimates of the level before."""
    states: dict[str, tuple] = {}
    prev: tuple | None = None
    for name, eq in ORDINAL_LEVELS.items():
        if prev is not None and _constraints(eq) == _constraints(prev[0].equal):
            states[name] = (dataclasses.replace(prev[0], equal=tuple(eq)), *prev[1:])
        else:
            more = {} if prev is None else {"moments": (list(prev[0].groups), prev[1].data), "start": prev[0].params}
            states[name] = _sem_ordered(mm, lay, data, equal=eq, **opts, **more)
        prev = states[name]
    return states


def _judged(fit: CFAResult) -> tuple[float, float]:
    """The CFI and RMSEA whose changes judge a level: the scaled ones (WLSMV, ULSMV) or the plain ones."""
    f = fit.fit
    return (f.cfi_scaled, f.rmsea_scaled) if fit.estimator in ("WLSMV", "ULSMV") else (f.cfi, f.rmsea)


def _row(fit: CFAResult) -> dict:
    f = fit.fit
    row = {"npar": f.npar, "chisq": f.chisq, "df": f.df, "pvalue": f.pvalue, "cfi": f.cfi, "rmsea": f.rmsea}
    if fit.estimator in ("WLSMV", "ULSMV"):
        row |= {"chisq_scaled": f.chisq_scaled, "chisq_scaling_factor": f.chisq_scaling_factor,
                "chisq_shift_parameter": f.chisq_shift_parameter, "pvalue_scaled": f.pvalue_scaled,
                "cfi_scaled": f.cfi_scaled, "rmsea_scaled": f.rmsea_scaled}  # fmt: skip
    return row | {"srmr": f.srmr}


def _compare(state: tuple, base: tuple, base_name: str, cfi_cut: float, rmsea_cut: float) -> dict:
    """The row's comparison with the level before: the difference test and the changes of CFI and RMSEA."""
    (fit, model, x), (bfit, bmodel, bx) = state, base
    if fit.estimator in ("WLSMV", "ULSMV"):
        test = _satorra2000(bmodel, bx, bfit.fit, model, x, fit.fit)
    else:
        dchi, ddf = fit.fit.chisq - bfit.fit.chisq, fit.fit.df - bfit.fit.df
        test = {
            "chisq_diff": dchi,
            "df_diff": ddf,
            "pvalue_diff": float(stats.chi2.sf(dchi, ddf)) if ddf > 0 else np.nan,
        }
    (cfi1, rmsea1), (cfi0, rmsea0) = _judged(fit), _judged(bfit)
    dcfi, drmsea = cfi1 - cfi0, rmsea1 - rmsea0
    return {
        "compared_with": base_name,
        "chisq_diff": test["chisq_diff"],
        "df_diff": int(test["df_diff"]),
        "pvalue_diff": test["pvalue_diff"],
        "delta_cfi": dcfi,
        "delta_rmsea": drmsea,
        "holds": bool(dcfi >= -cfi_cut and drmsea <= rmsea_cut),
    }


def _no_constraint(comp: dict, base_holds: bool) -> dict:
    """The comparison ``comp`` of :func:`_compare` with its ``note``: empty, or for a level that adds no
    constraint to the one before (0 degrees of freedom: the same model, e.g. "+intercepts" after
    "thresholds+loadings" when every item is ordered) "adds no constraint (the same model as <level>)", no changes
    of CFI and RMSEA and no p-value (lavaan's ``lavTestLRT`` gives none on 0 df), and ``holds`` that of the level
    before (``base_holds``): the same model holds exactly when that one does. Shared with the continuous sequence
    of :func:`~emstudy.stats.cfa.invariance.invariance`."""
    if comp["df_diff"] != 0:
        return comp | {"note": ""}
    note = f"adds no constraint (the same model as {comp['compared_with']})"
    nan = float("nan")
    return comp | {"pvalue_diff": nan, "delta_cfi": nan, "delta_rmsea": nan, "holds": bool(base_holds), "note": note}


def _warn_same_df(table: pd.DataFrame, *, stacklevel: int) -> None:
    """Warn, as lavaan's ``lavTestLRT`` does ("some models have the same degrees of freedom"), when a model of the
    :func:`~emstudy.stats.cfa.invariance.chisq_difference` table ``table`` has the df of the one before it: no
    difference test between them (its p-value is NaN); they are the same model or not nested."""
    same = [str(m) for m, d in zip(table.index[1:], table["df_diff"].iloc[1:]) if d == 0]
    if same:
        warnings.warn(
            f"fits: {same} have the same degrees of freedom as the model before (0 df difference), so there is no "
            "difference test (p-value NaN); they are the same model or not nested (lavaan warns alike)",
            ModelWarning,
            stacklevel=stacklevel + 1,
        )


def _chisq_difference_ordered(fits: Sequence[CFAResult], names: Sequence[str] | None, method: str) -> pd.DataFrame:
    """:func:`~emstudy.stats.cfa.invariance.chisq_difference` of ordered-item fits (each with its fitted model,
    ``wls_state``, as :func:`~emstudy.stats.sem.sem` returns them): lavaan's ``lavTestLRT``, whose default for
    WLSMV and ULSMV is ``method = "satorra.2000"`` (:func:`~emstudy.stats.cfa.wls_groups._satorra2000`) and
    for DWLS and ULS the plain difference (``"standard"``)."""
    if method not in ("default", "standard", "satorra.2000"):
        raise ValueError(f"method: ordered-item fits take 'default', 'standard' or 'satorra.2000', got {method!r}")
    if any(f.wls_state is None for f in fits):
        raise ValueError("fits: ordered-item fits and other fits cannot be compared; refit them alike")
    estimators = {f.estimator for f in fits}
    if len(estimators) > 1:
        raise ValueError(f"fits: fitted with different estimators ({sorted(estimators)}); refit them alike")
    scaled = estimators <= {"WLSMV", "ULSMV"}
    if method == "satorra.2000" and not scaled:
        raise ValueError("method: 'satorra.2000' needs WLSMV or ULSMV fits (a scaled-shifted statistic per model)")
    scaled = scaled and method != "standard"
    names = [f"model{i + 1}" for i in range(len(fits))] if names is None else list(names)
    if len(names) != len(fits):
        raise ValueError("names: need one name per model")
    if len({sum(f.n_obs) for f in fits}) != 1:
        raise ValueError("fits: the models were fitted to different numbers of observations")
    order = sorted(range(len(fits)), key=lambda i: fits[i].fit.df)
    rows, prev = [], None
    for i in order:
        f = fits[i]
        row = {"model": names[i], "df": f.fit.df, "aic": np.nan, "bic": np.nan, "chisq": f.fit.chisq}
        if scaled:
            row |= {"chisq_scaled": f.fit.chisq_scaled, "chisq_scaling_factor": f.fit.chisq_scaling_factor}
        row |= {"chisq_diff": np.nan, "df_diff": np.nan, "pvalue_diff": np.nan}
        if prev is not None and scaled:
            test = _satorra2000(prev.wls_state[0], prev.wls_state[1], prev.fit, *f.wls_state, f.fit)
            row |= {k: test[k] for k in ("chisq_diff", "df_diff", "pvalue_diff")}
        elif prev is not None:
            dchi, ddf = f.fit.chisq - prev.fit.chisq, f.fit.df - prev.fit.df
            pv = float(stats.chi2.sf(dchi, ddf)) if ddf > 0 else np.nan
            row |= {"chisq_diff": dchi, "df_diff": ddf, "pvalue_diff": pv}
        rows.append(row)
        prev = f
    table = pd.DataFrame(rows).set_index("model")
    _warn_same_df(table, stacklevel=3)
    return table
