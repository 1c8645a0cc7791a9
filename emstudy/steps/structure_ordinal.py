"""The CFA of a case's items as ordered categories (WLSMV) beside the FIML fit (notebook 03).

The Likert items are five ordered answers; the FIML/MLR fits of :mod:`emstudy.steps.structure` treat them as
continuous. :func:`ordinal_cfa` fits the same model by lavaan's categorical approach (issue 15): thresholds
and polychoric correlations, diagonally weighted least squares, robust standard errors and the mean- and
variance-adjusted (scaled-shifted) test, delta parameterisation (:func:`emstudy.stats.sem` with
``ordered=True, estimator="WLSMV"``). Listwise deletion would keep only the 55-102 respondents per case who
answered every item and can empty a category, so missing answers are handled as lavaan's ``missing =
"pairwise"``: thresholds from each item's answers, each polychoric from the rows answering both items, the
weight matrix from the casewise scores without the missing contributions (Asparouhov & Muthen 2010 on
WLSMV with pairwise deletion; ``tests/reference/categorical_pairwise.R`` checks it against lavaan).

:func:`ordinal_cfa` compares the WLSMV fit with the FIML ML fit and says in English and Chinese which
conclusions change and which do not. The conclusions compared are those notebook 03 draws from a CFA:

* the fit verdicts: the criteria of :data:`~emstudy.steps.structure_text.CRITERIA` on the scaled CFI and
  RMSEA (WLSMV) against the ML ones, and each fit's SRMR;
* per construct, convergent validity (composite reliability >= 0.70, average variance extracted, AVE,
  >= 0.50) and discriminant validity by Fornell & Larcker (1981) (square root of the AVE above every latent
  correlation of the construct), from each fit's standardized loadings and latent correlations, as
  :func:`emstudy.steps.structure.run` computes them for the FIML fit.

HTMT (Henseler et al. 2015) is computed from the item correlations, not from a CFA, so it does not depend
on the estimator. Polychoric correlations are not attenuated by the five categories, so the WLSMV loadings,
and with them CR and AVE, are expected to be higher than the FIML ML ones (they describe the latent
responses behind the answers). The study's verdicts rest on the FIML ML fit. The cut-offs of Hu & Bentler
(1999) were derived for ML; under WLSMV they tend to accept more misfit (Xia & Yang 2019), so agreement of
the two is the reassuring case and a WLSMV-only pass is not.

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
Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable variables
and measurement error. Journal of Marketing Research, 18, 39-50.
Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing discriminant validity
in variance-based structural equation modeling. Journal of the Academy of Marketing Science, 43, 115-135.
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
from emstudy.stats.validity import average_variance_extracted, composite_reliability
from emstudy.steps import files
from emstudy.steps.structure_text import CRITERIA, _level

__all__ = ["OrdinalCFA", "construct_validity", "latent_correlations", "ordinal_cfa", "write_ordinal"]

#: The fit criteria compared: (label, ML measure, WLSMV measure, good, acceptable, higher is better).
_CRITERIA = (
    ("CFI", "cfi", "cfi_scaled", CRITERIA["cfi_good"], CRITERIA["cfi_acceptable"], True),
    ("RMSEA", "rmsea", "rmsea_scaled", CRITERIA["rmsea_good"], CRITERIA["rmsea_acceptable"], False),
    ("SRMR", "srmr", "srmr", CRITERIA["srmr_good"], None, False),
)
_ESTIMATION = "WLSMV (DWLS, robust SEs, scaled-shifted test), delta parameterization, lavaan missing = 'pairwise'"
#: The validity conclusions compared per construct: (key, column of the validity table, English, Chinese).
_VALIDITY = (
    ("cr", "cr_ok", "composite reliability", "组合信度"),
    ("ave", "ave_ok", "AVE", "AVE"),
    ("fornell_larcker", "fornell_larcker", "the Fornell-Larcker criterion", "Fornell-Larcker准则"),
)
_ESTIMATORS = ("fiml_ml", "wlsmv")


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
    validity : pandas.DataFrame
        One row per construct: ``cr``, ``ave``, ``max_latent_corr``, ``cr_ok``, ``ave_ok`` and
        ``fornell_larcker``, each with the suffix ``_fiml_ml`` and ``_wlsmv`` (the definitions of
        :func:`emstudy.steps.structure.run`); empty without a fit.
    """

    fit: CFAResult | None
    criteria: pd.DataFrame
    loadings: pd.DataFrame
    sentences: dict[str, list[str]]
    notes: tuple[str, ...] = field(default=())
    reason: str = ""
    validity: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def fit_changed(self) -> bool:
        """Whether a fit criterion's verdict differs between the FIML ML and the WLSMV fit."""
        return bool(len(self.criteria)) and not bool(self.criteria["same"].all())

    @property
    def validity_changed(self) -> dict[str, list[str]]:
        """The constructs whose CR, AVE or Fornell-Larcker verdict differs between the two fits, by criterion."""
        return _validity_changes(self.validity)

    @property
    def changed(self) -> bool:
        """Whether any conclusion changes with the estimator: a fit verdict or a construct's validity verdict."""
        return self.fit_changed or any(self.validity_changed.values())

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
            f"RMSEA scaled={f.rmsea_scaled:.3f}, SRMR={f.srmr:.3f}, fit verdicts changed={self.fit_changed}, "
            f"validity verdicts changed={sum(map(len, self.validity_changed.values()))})"
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
    valid = _validity_both(fiml, fit)
    names = {lang: dict((labels or {}).get(lang, {})) for lang in ("en", "zh")}
    sentences = _ordinal_sentences(fit, crit, loads, valid, names)
    return OrdinalCFA(fit, crit, loads, sentences, notes, validity=valid)


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


def latent_correlations(fit: CFAResult) -> pd.DataFrame:
    """The factors' correlations (standardized covariances, ``std_all``) of ``fit``, factors in the model's order."""
    p = fit.params
    facs = list(dict.fromkeys(p.loc[p["op"] == "=~", "lhs"]))
    cov = p[(p["op"] == "~~") & p["lhs"].isin(facs) & p["rhs"].isin(facs) & (p["lhs"] != p["rhs"])]
    corr = pd.DataFrame(np.eye(len(facs)), index=facs, columns=facs)
    for lhs, rhs, r in zip(cov["lhs"], cov["rhs"], cov["std_all"].to_numpy(dtype=float), strict=True):
        corr.loc[lhs, rhs] = corr.loc[rhs, lhs] = r
    return corr


def construct_validity(fit: CFAResult) -> pd.DataFrame:
    """CR, AVE and the Fornell-Larcker criterion per construct from ``fit``'s standardized solution.

    CR and AVE from the standardized loadings (NaN when one exceeds 1, a Heywood case), Fornell-Larcker when
    the square root of the AVE exceeds every absolute latent correlation of the construct. Columns ``cr, ave,
    sqrt_ave, max_latent_corr, fornell_larcker, cr_ok, ave_ok``, one row per factor in the model's order; the
    table of :func:`emstudy.steps.structure.run` (FIML fit) and of the comparison with WLSMV here.
    """
    lam = fit.params[fit.params["op"] == "=~"]
    corr = latent_correlations(fit)
    facs = list(corr.index)
    rows = {}
    for c in facs:
        loads = lam.loc[lam["lhs"] == c, "std_all"].to_numpy(dtype=float)
        ok = np.abs(loads).max() <= 1
        cr, ave = (composite_reliability(loads), average_variance_extracted(loads)) if ok else (np.nan, np.nan)
        others = float(corr.loc[c].drop(c).abs().max()) if len(facs) > 1 else float("nan")
        rows[c] = {
            "cr": cr,
            "ave": ave,
            "sqrt_ave": float(np.sqrt(ave)),
            "max_latent_corr": others,
            "fornell_larcker": bool(np.sqrt(ave) > others),
            "cr_ok": bool(cr >= CRITERIA["cr_min"]),
            "ave_ok": bool(ave >= CRITERIA["ave_min"]),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("construct")


def _validity_both(fiml: CFAResult, fit: CFAResult) -> pd.DataFrame:
    """:func:`construct_validity` of the FIML ML and the WLSMV fit side by side (``<column>_fiml_ml``,
    ``<column>_wlsmv``; without ``sqrt_ave``)."""
    a, b = (construct_validity(f).drop(columns="sqrt_ave") for f in (fiml, fit))
    b = b.reindex(a.index)
    cols = {f"{c}_{e}": (a if e == "fiml_ml" else b)[c] for c in a.columns for e in _ESTIMATORS}
    return pd.DataFrame(cols, index=a.index)


def _validity_changes(valid: pd.DataFrame) -> dict[str, list[str]]:
    """Per validity criterion, the constructs whose verdict differs between the FIML ML and the WLSMV fit."""
    if valid.empty:
        return {key: [] for key, *_ in _VALIDITY}
    return {
        key: [c for c in valid.index if bool(valid.loc[c, f"{col}_fiml_ml"]) != bool(valid.loc[c, f"{col}_wlsmv"])]
        for key, col, *_ in _VALIDITY
    }


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
#: What a construct gains or loses under WLSMV, by validity criterion: (en gained, en lost, zh).
_CHANGE_TEXT = {
    "cr": ("composite reliability reaches 0.70", "composite reliability no longer reaches 0.70", "组合信度达到0.70"),
    "ave": ("AVE reaches 0.50", "AVE no longer reaches 0.50", "AVE达到0.50"),
    "fornell_larcker": (
        "the Fornell-Larcker criterion holds",
        "the Fornell-Larcker criterion no longer holds",
        "满足Fornell-Larcker准则",
    ),
}
_SHORT = {
    "cr": ("composite reliability", "组合信度"),
    "ave": ("AVE", "AVE"),
    "fornell_larcker": ("Fornell-Larcker", "Fornell-Larcker准则"),
}


def _and(words: list[str], lang: str) -> str:
    """``"a, b and c"`` (``"a、b和c"``)."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}" if lang == "en" else f"{'、'.join(words[:-1])}和{words[-1]}"


def _ordinal_sentences(
    fit: CFAResult, crit: pd.DataFrame, loads: pd.DataFrame, valid: pd.DataFrame, names: dict[str, dict[str, str]]
) -> dict[str, list[str]]:
    f = fit.fit
    big = loads.loc[loads["difference"].abs().idxmax()]
    construct = {lang: names[lang].get(big["construct"], big["construct"]) for lang in ("en", "zh")}
    higher = float((loads["difference"] > 0).mean())
    en = [
        f"Treating the items as ordered categories (WLSMV on polychoric correlations, pairwise deletion, "
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
    k = len(valid)
    n = {
        (col, e): int(valid[f"{col}_{e}"].sum()) for col in ("cr_ok", "ave_ok", "fornell_larcker") for e in _ESTIMATORS
    }
    en.append(
        f"From the WLSMV fit, composite reliability reaches {CRITERIA['cr_min']:.2f} for {n['cr_ok', 'wlsmv']} of "
        f"{k} constructs (FIML ML: {n['cr_ok', 'fiml_ml']}), AVE reaches {CRITERIA['ave_min']:.2f} for "
        f"{n['ave_ok', 'wlsmv']} (FIML ML: {n['ave_ok', 'fiml_ml']}) and the Fornell-Larcker criterion holds for "
        f"{n['fornell_larcker', 'wlsmv']} (FIML ML: {n['fornell_larcker', 'fiml_ml']}); a higher AVE under WLSMV is "
        "expected, as its loadings describe the latent responses behind the five categories."
    )
    zh.append(
        f"基于WLSMV拟合，{k}个构念中有{n['cr_ok', 'wlsmv']}个组合信度达到{CRITERIA['cr_min']:.2f}（FIML ML为"
        f"{n['cr_ok', 'fiml_ml']}个），{n['ave_ok', 'wlsmv']}个AVE达到{CRITERIA['ave_min']:.2f}（FIML ML为"
        f"{n['ave_ok', 'fiml_ml']}个），{n['fornell_larcker', 'wlsmv']}个满足Fornell-Larcker准则（FIML ML为"
        f"{n['fornell_larcker', 'fiml_ml']}个）；WLSMV的载荷描述的是五级选项背后的潜在反应，其AVE较高在预期之中。"
    )
    conclusion = _conclusion(crit, valid, names)
    return {"en": [*en, conclusion["en"]], "zh": [*zh, conclusion["zh"]]}


def _conclusion(crit: pd.DataFrame, valid: pd.DataFrame, names: dict[str, dict[str, str]]) -> dict[str, str]:
    """Which conclusions change with the estimator and which do not, in one sentence per language."""
    changed = crit[~crit["same"]]
    levels = ", ".join(f"{k} {r['verdict_wlsmv']}" for k, r in crit.iterrows())
    levels_zh = "，".join(f"{k}{_ZH_LEVEL[r['verdict_wlsmv']]}" for k, r in crit.iterrows())
    if changed.empty:
        parts_en, parts_zh = [f"the fit verdicts ({levels}) do not change"], [f"拟合判定不变（{levels_zh}）"]
    else:
        moved = "; ".join(f"{k} {r['verdict_fiml_ml']} -> {r['verdict_wlsmv']}" for k, r in changed.iterrows())
        moved_zh = "；".join(
            f"{k}由{_ZH_LEVEL[r['verdict_fiml_ml']]}变为{_ZH_LEVEL[r['verdict_wlsmv']]}" for k, r in changed.iterrows()
        )
        parts_en, parts_zh = [f"the fit verdicts change ({moved})"], [f"拟合判定改变（{moved_zh}）"]
    same: list[str] = []
    for key, col, *_ in _VALIDITY:
        gained = [
            c for c in valid.index if bool(valid.loc[c, f"{col}_wlsmv"]) and not bool(valid.loc[c, f"{col}_fiml_ml"])
        ]
        lost = [
            c for c in valid.index if bool(valid.loc[c, f"{col}_fiml_ml"]) and not bool(valid.loc[c, f"{col}_wlsmv"])
        ]
        if not gained and not lost:
            same.append(key)
        gain_en, lost_en, what_zh = _CHANGE_TEXT[key]
        for ids, text_en, more_zh in (
            (gained, f"{gain_en} for {{n}} more", "多"),
            (lost, f"{lost_en} for {{n}}", "少"),
        ):
            if ids:
                label_en = "; ".join(names["en"].get(c, c) for c in ids)
                label_zh = "、".join(names["zh"].get(c, c) for c in ids)
                count = text_en.format(n=len(ids))
                parts_en.append(f"{count} construct{'s' if len(ids) > 1 else ''} ({label_en})")
                parts_zh.append(f"{what_zh}的构念{more_zh}{len(ids)}个（{label_zh}）")
    same_en = _and([_SHORT[k][0] for k in same], "en")
    same_zh = _and([_SHORT[k][1] for k in same], "zh")
    htmt_en = "HTMT comes from the item correlations and does not depend on the estimator."
    htmt_zh = "HTMT基于题项相关，不受估计方法影响。"
    if changed.empty and len(same) == len(_VALIDITY):
        return {
            "en": f"No conclusion changes with WLSMV instead of FIML ML: the fit verdicts ({levels}) and the "
            f"{same_en} verdicts of every construct are the same; {htmt_en}",
            "zh": f"以WLSMV代替FIML ML不改变任何结论：拟合判定（{levels_zh}）以及各构念的{same_zh}判定均相同；{htmt_zh}",
        }
    if same:
        parts_en.append(f"the {same_en} verdicts of every construct do not change")
        parts_zh.append(f"各构念的{same_zh}判定不变")
    lenient = "" if changed.empty else ", and the ML cut-offs are lenient under WLSMV (Xia & Yang 2019)"
    lenient_zh = "" if changed.empty else "，且ML的临界值在WLSMV下偏宽松（Xia和Yang 2019）"
    return {
        "en": f"With WLSMV instead of FIML ML, {'; '.join(parts_en)}. The study's verdicts rest on the FIML ML "
        f"fit{lenient}; {htmt_en}",
        "zh": f"以WLSMV代替FIML ML时，{'；'.join(parts_zh)}。本研究的判定以FIML ML拟合为准{lenient_zh}；{htmt_zh}",
    }


def write_ordinal(result: OrdinalCFA, results_dir: str | Path, *, case_id: str, synthetic: bool) -> list[Path]:
    """Write ``cfa_wlsmv.json`` (fit measures, criteria, validity, sentences) and ``cfa_wlsmv_loadings.csv``.

    ``verdicts_changed`` is true when any conclusion changes with the estimator (a fit verdict,
    ``fit_verdicts_changed``, or a construct's CR, AVE or Fornell-Larcker verdict, listed by criterion in
    ``validity_verdicts_changed``): the JSON says what the report's sentence says.

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
        "fit_verdicts_changed": result.fit_changed,
        "validity_verdicts_changed": result.validity_changed,
        "verdicts_changed": result.changed,
        "conclusions_rest_on": "FIML ML",
        "ave": {}
        if result.loadings.empty
        else {c: {k: num(v) for k, v in r.items()} for c, r in _ave(result.loadings).iterrows()},
        "validity": {
            c: {k: (bool(v) if isinstance(v, (bool, np.bool_)) else num(v)) for k, v in r.items()}
            for c, r in result.validity.iterrows()
        },
        "max_abs_loading_difference": None
        if result.loadings.empty
        else num(np.abs(result.loadings["difference"]).max()),
        "sentences": dict(result.sentences),
        "notes": list(result.notes),
    }
    cols = ["construct", "item", "std_fiml_ml", "std_wlsmv", "difference", "est", "se"]
    loads = result.loadings if not result.loadings.empty else pd.DataFrame(columns=cols)
    return [write_json(d / files.CFA_WLSMV, out), write_csv(d / files.CFA_WLSMV_LOADINGS, loads, index=False)]
