"""The CFA of a case's items as ordered categories (WLSMV) beside the FIML fit (notebook 03).

The Likert items are five ordered answers; the FIML/MLR fits of :mod:`emstudy.steps.structure` treat them as
continuous. :func:`ordinal_cfa` fits the same model by lavaan's categorical approach (issue 15): thresholds
and polychoric correlations, diagonally weighted least squares, robust standard errors and the mean- and
variance-adjusted (scaled-shifted) test, delta parameterisation (:func:`emstudy.stats.sem` with
``ordered=True, estimator="WLSMV"``). Listwise deletion would keep only the 55-102 respondents per case who
answered every item and can empty a category, so missing answers are handled as lavaan's ``missing =
"pairwise"``: thresholds from each item's answers, each polychoric from the rows answering both items, the
weight matrix from the casewise scores without the missing contributions (Asparouhov & Muthen 2010 on
pairwise-present WLSMV; ``tests/reference/categorical_pairwise.R`` checks it against lavaan).

:func:`ordinal_cfa` compares the WLSMV fit with the FIML ML fit: the fit criteria of
:data:`~emstudy.steps.structure_text.CRITERIA` on the scaled CFI and RMSEA (WLSMV) against the ML ones,
and the standardized loadings side by side, and says in English and Chinese whether the conclusions
change. The cut-offs of Hu & Bentler (1999) were derived for ML; under WLSMV they tend to accept more
misfit (Xia & Yang 2019), so agreement of the two is the reassuring case and a WLSMV-only pass is not.

References
----------
Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least squares and
quadratic estimating equations in latent variable modeling with categorical and continuous outcomes.
Unpublished manuscript.
Asparouhov, T., & Muthen, B. (2010). Weighted least squares estimation with missing data. Mplus technical
appendix.
Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure analysis.
Structural Equation Modeling, 6, 1-55.
Xia, Y., & Yang, Y. (2019). RMSEA, CFI, and TLI in structural equation modeling with ordered categorical
data: The story they tell depends on the estimation methods. Behavior Research Methods, 51, 409-428.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.errors import EmstudyWarning
from emstudy.fileio import write_csv, write_json
from emstudy.stats.cfa import CFAResult
from emstudy.stats.sem import sem
from emstudy.stats.validity import average_variance_extracted
from emstudy.steps import files
from emstudy.steps.structure_text import CRITERIA, _level

__all__ = ["OrdinalCFA", "ordinal_cfa", "write_ordinal"]

#: The fit criteria compared: (label, ML measure, WLSMV measure, good, acceptable, higher is better).
_CRITERIA = (
    ("CFI", "cfi", "cfi_scaled", CRITERIA["cfi_good"], CRITERIA["cfi_acceptable"], True),
    ("RMSEA", "rmsea", "rmsea_scaled", CRITERIA["rmsea_good"], CRITERIA["rmsea_acceptable"], False),
    ("SRMR", "srmr", "srmr", CRITERIA["srmr_good"], None, False),
)
_ESTIMATION = "WLSMV (DWLS, robust SEs, scaled-shifted test), delta parameterization, lavaan missing = 'pairwise'"


@dataclass(frozen=True, eq=False)
class OrdinalCFA:
    """The WLSMV CFA of one case beside its FIML ML fit (see :func:`ordinal_cfa`).

    Attributes
    ----------
    fit : CFAResult or None
        The WLSMV fit (None when it could not be made; ``reason`` says why).
    criteria : pandas.DataFrame
        One row per criterion (CFI, RMSEA, SRMR): ``fiml_ml``, ``verdict_fiml_ml``, ``wlsmv``,
        ``verdict_wlsmv``, ``same``.
    loadings : pandas.DataFrame
        ``construct``, ``item``, ``std_fiml_ml``, ``std_wlsmv``, ``difference`` (WLSMV - ML), ``est``, ``se``
        (WLSMV).
    sentences : dict
        ``{"en": [...], "zh": [...]}``.
    notes : tuple of str
        Warnings of the fit.
    reason : str
        Why there is no fit (empty when there is one).
    """

    fit: CFAResult | None
    criteria: pd.DataFrame
    loadings: pd.DataFrame
    sentences: dict[str, list[str]]
    notes: tuple[str, ...] = field(default=())
    reason: str = ""

    @property
    def changed(self) -> bool:
        """Whether a fit criterion's verdict differs between the FIML ML and the WLSMV fit."""
        return bool(len(self.criteria)) and not bool(self.criteria["same"].all())

    def fit_table(self) -> pd.DataFrame:
        """The WLSMV fit measures (lavaan's names) as one column; empty without a fit."""
        if self.fit is None:
            return pd.DataFrame()
        return self.fit.fit.to_series().to_frame("wlsmv")

    def __repr__(self) -> str:
        if self.fit is None:
            return f"OrdinalCFA(not fitted: {self.reason})"
        f = self.fit.fit
        return (
            f"OrdinalCFA(WLSMV n={sum(self.fit.n_obs)}, CFI scaled={f.cfi_scaled:.3f}, "
            f"RMSEA scaled={f.rmsea_scaled:.3f}, SRMR={f.srmr:.3f}, verdicts changed={self.changed})"
        )


def ordinal_cfa(
    items: pd.DataFrame, model: str, fiml: CFAResult, *, labels: Mapping[str, Mapping[str, str]] | None = None
) -> OrdinalCFA:
    """WLSMV CFA of ``model`` on ``items`` (ordered, pairwise) and its comparison with the FIML ML fit ``fiml``.

    Parameters
    ----------
    items : pandas.DataFrame
        The model's items (integer answers, missing as NaN), one row per respondent.
    model : str
        The CFA model in lavaan syntax (the same as ``fiml``'s).
    fiml : CFAResult
        The FIML ML fit of :func:`emstudy.steps.structure.fit_core_cfa`.
    labels : mapping, optional
        The constructs' names by language (``{"en": {id: name}, "zh": {id: name}}``) for the sentences; the
        construct ids when not given.

    Returns
    -------
    OrdinalCFA

    Notes
    -----
    lavaan: ``cfa(model, data, ordered = TRUE, estimator = "WLSMV", missing = "pairwise")``. The
    criteria use the scaled CFI and RMSEA of WLSMV and the (unscaled) ML ones that the structure
    verdicts use; SRMR is each fit's own.

    References
    ----------
    Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least squares
    and quadratic estimating equations in latent variable modeling with categorical and continuous
    outcomes. Unpublished manuscript.
    """
    # Answers are category codes: rounding them is a no-op on real answers and keeps floating-point noise from
    # upstream arithmetic (a 1e-12 perturbation, another BLAS) from turning one category into many.
    data = items[items.notna().any(axis=1)].round()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmstudyWarning)
        try:
            fit = sem(model, data, ordered=True, estimator="WLSMV", missing="pairwise")
            reason = ""
        except ValueError as exc:
            fit, reason = None, str(exc)
    notes = tuple(dict.fromkeys(f"WLSMV fit: {w.message}" for w in caught))
    if fit is None:
        en = f"The WLSMV fit (items as ordered categories) could not be made: {reason}"
        zh = f"WLSMV拟合（题项作为有序类别）无法完成：{reason}"
        loads = pd.DataFrame(columns=["construct", "item", "std_fiml_ml", "std_wlsmv", "difference", "est", "se"])
        return OrdinalCFA(None, pd.DataFrame(), loads, {"en": [en], "zh": [zh]}, notes, reason)
    crit = _criteria(fiml, fit)
    loads = _loadings(fiml, fit)
    names = {lang: dict((labels or {}).get(lang, {})) for lang in ("en", "zh")}
    return OrdinalCFA(fit, crit, loads, _ordinal_sentences(fiml, fit, crit, loads, names), notes)


def _criteria(fiml: CFAResult, fit: CFAResult) -> pd.DataFrame:
    rows = []
    for label, ml_name, wls_name, good, acceptable, higher in _CRITERIA:
        a, b = float(getattr(fiml.fit, ml_name)), float(getattr(fit.fit, wls_name))
        va, vb = _level(a, good, acceptable, higher), _level(b, good, acceptable, higher)
        rows.append({"criterion": label, "fiml_ml": a, "verdict_fiml_ml": va, "wlsmv": b, "verdict_wlsmv": vb})
    out = pd.DataFrame(rows).set_index("criterion")
    return out.assign(same=out["verdict_fiml_ml"] == out["verdict_wlsmv"])


def _ave(loads: pd.DataFrame) -> pd.DataFrame:
    """AVE of each construct from the FIML ML and from the WLSMV standardized loadings (NaN beyond 1)."""

    def one(x: pd.Series) -> float:
        v = x.to_numpy(dtype=float)
        return average_variance_extracted(v) if np.abs(v).max() <= 1 else float("nan")

    g = loads.groupby("construct", sort=False)
    return pd.DataFrame({"fiml_ml": g["std_fiml_ml"].agg(one), "wlsmv": g["std_wlsmv"].agg(one)})


def _loadings(fiml: CFAResult, fit: CFAResult) -> pd.DataFrame:
    key = ["lhs", "rhs"]
    a = fiml.params[fiml.params["op"] == "=~"].set_index(key)
    b = fit.params[fit.params["op"] == "=~"].set_index(key).reindex(a.index)
    out = pd.DataFrame(
        {
            "std_fiml_ml": a["std_all"].to_numpy(dtype=float),
            "std_wlsmv": b["std_all"].to_numpy(dtype=float),
            "est": b["est"].to_numpy(dtype=float),
            "se": b["se"].to_numpy(dtype=float),
        },
        index=a.index.rename(["construct", "item"]),
    )
    out.insert(2, "difference", out["std_wlsmv"] - out["std_fiml_ml"])
    return out.reset_index()


_ZH_LEVEL = {"good": "良好", "acceptable": "可接受", "poor": "不佳"}


def _ordinal_sentences(
    fiml: CFAResult, fit: CFAResult, crit: pd.DataFrame, loads: pd.DataFrame, names: dict[str, dict[str, str]]
) -> dict[str, list[str]]:
    f = fit.fit
    big = loads.loc[loads["difference"].abs().idxmax()]
    construct = {lang: names[lang].get(big["construct"], big["construct"]) for lang in ("en", "zh")}
    higher = float((loads["difference"] > 0).mean())
    en = [
        f"Treating the items as ordered categories (WLSMV on polychoric correlations, pairwise present, "
        f"n = {sum(fit.n_obs)}): scaled chi-square {f.chisq_scaled:.1f} on {f.df} df, scaled CFI = "
        f"{f.cfi_scaled:.3f}, scaled RMSEA = {f.rmsea_scaled:.3f}, SRMR = {f.srmr:.3f}.",
        f"The standardized loadings are higher under WLSMV for {higher:.0%} of the items (polychoric "
        f"correlations are not attenuated by the coarse five-point scale); the largest difference is {big['difference']:+.3f} for {big['item']} "
        f"({construct['en']}: {big['std_fiml_ml']:.3f} under FIML ML, {big['std_wlsmv']:.3f} under WLSMV).",
    ]
    zh = [
        f"将题项视为有序类别（基于多分格相关的WLSMV估计，成对删除，n = {sum(fit.n_obs)}）：校正卡方"
        f"{f.chisq_scaled:.1f}（自由度{f.df}），校正CFI = {f.cfi_scaled:.3f}，校正RMSEA = {f.rmsea_scaled:.3f}，"
        f"SRMR = {f.srmr:.3f}。",
        f"WLSMV下{higher:.0%}的题项标准化载荷更高（多分格相关不受五点量表粗分类的衰减影响）；差异最大的是{construct['zh']}的"
        f"{big['item']}，为{big['difference']:+.3f}（FIML ML为{big['std_fiml_ml']:.3f}，WLSMV为{big['std_wlsmv']:.3f}）。",
    ]
    ave = _ave(loads)
    n_ml, n_wls, k = (
        int((ave["fiml_ml"] >= CRITERIA["ave_min"]).sum()),
        int((ave["wlsmv"] >= CRITERIA["ave_min"]).sum()),
        len(ave),
    )
    en.append(
        f"AVE reaches {CRITERIA['ave_min']:.2f} for {n_wls} of {k} constructs with the WLSMV loadings "
        f"({n_ml} of {k} with the FIML ML ones, on which the validity verdicts rest)."
    )
    zh.append(
        f"以WLSMV载荷计算，{k}个构念中有{n_wls}个AVE达到{CRITERIA['ave_min']:.2f}"
        f"（以FIML ML载荷计算为{n_ml}个，效度判定以后者为准）。"
    )
    changed = crit[~crit["same"]]
    if changed.empty:
        levels = ", ".join(f"{k} {r['verdict_wlsmv']}" for k, r in crit.iterrows())
        levels_zh = "，".join(f"{k}{_ZH_LEVEL[r['verdict_wlsmv']]}" for k, r in crit.iterrows())
        en.append(f"The fit verdicts do not change ({levels}): the conclusions rest on either estimator.")
        zh.append(f"拟合判定不变（{levels_zh}）：结论不依赖于估计方法。")
    else:
        moved = "; ".join(f"{k} {r['verdict_fiml_ml']} -> {r['verdict_wlsmv']}" for k, r in changed.iterrows())
        moved_zh = "；".join(
            f"{k}由{_ZH_LEVEL[r['verdict_fiml_ml']]}变为{_ZH_LEVEL[r['verdict_wlsmv']]}" for k, r in changed.iterrows()
        )
        en.append(
            f"The fit verdicts change with the estimator ({moved}); the structure's verdicts rest on the FIML ML "
            "fit, and the ML cut-offs are lenient under WLSMV (Xia & Yang 2019)."
        )
        zh.append(
            f"拟合判定随估计方法而变（{moved_zh}）；结构判定以FIML ML拟合为准，且ML的临界值在WLSMV下偏宽松（Xia和Yang 2019）。"
        )
    return {"en": en, "zh": zh}


def write_ordinal(result: OrdinalCFA, results_dir: str | Path, *, case_id: str, synthetic: bool) -> list[Path]:
    """Write ``cfa_wlsmv.json`` (fit measures, criteria, sentences) and ``cfa_wlsmv_loadings.csv``.

    Parameters
    ----------
    result : OrdinalCFA
    results_dir : str or Path
    case_id : str
    synthetic : bool
        Whether the case's data are the synthetic study (said in the JSON).

    Returns
    -------
    list of Path
    """
    if not isinstance(result, OrdinalCFA):
        raise ValueError(f"result: expected OrdinalCFA, got {type(result).__name__}")
    d = Path(results_dir)
    fit = result.fit

    def num(v: float) -> float | None:
        return None if pd.isna(v) else round(float(v), 6)

    out = {
        "case": case_id,
        "synthetic_data": bool(synthetic),
        "estimation": _ESTIMATION,
        "lavaan": "cfa(model, data, ordered = TRUE, estimator = 'WLSMV', missing = 'pairwise')",
        "n": None if fit is None else int(sum(fit.n_obs)),
        "converged": None if fit is None else bool(fit.converged),
        "reason": result.reason or None,
        "fit": None if fit is None else {k: num(v) for k, v in fit.fit.to_series().items()},
        "criteria": {
            k: {
                "fiml_ml": num(r["fiml_ml"]),
                "verdict_fiml_ml": r["verdict_fiml_ml"],
                "wlsmv": num(r["wlsmv"]),
                "verdict_wlsmv": r["verdict_wlsmv"],
                "same": bool(r["same"]),
            }
            for k, r in result.criteria.iterrows()
        },
        "verdicts_changed": result.changed,
        "ave": {}
        if result.loadings.empty
        else {c: {k: num(v) for k, v in r.items()} for c, r in _ave(result.loadings).iterrows()},
        "max_abs_loading_difference": None
        if result.loadings.empty
        else num(np.abs(result.loadings["difference"]).max()),
        "sentences": dict(result.sentences),
        "notes": list(result.notes),
    }
    cols = ["construct", "item", "std_fiml_ml", "std_wlsmv", "difference", "est", "se"]
    loads = result.loadings if not result.loadings.empty else pd.DataFrame(columns=cols)
    return [write_json(d / files.CFA_WLSMV, out), write_csv(d / files.CFA_WLSMV_LOADINGS, loads, index=False)]
