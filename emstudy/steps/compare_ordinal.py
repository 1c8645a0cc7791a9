"""Ordinal measurement invariance of the whole instrument across the cases (notebook 05): the five-point items
as ordered categories, by WLSMV, beside the FIML/MLR invariance of :mod:`emstudy.steps.compare_invariance`.

Conventions
-----------
* The model is the whole instrument, as in :func:`emstudy.steps.compare_invariance.instrument_model` (one
  factor per construct on its four items, the eleven core constructs and the outcome).
* The items are ordered categories: thresholds and polychoric correlations per case, diagonally weighted
  least squares with the mean- and variance-adjusted (scaled-shifted) test, delta parameterization, and
  lavaan's pairwise deletion (``missing = "pairwise"``: every respondent's answers enter the thresholds and
  the polychorics of the pairs they answered), as :func:`emstudy.stats.invariance` with ``ordered=`` (lavaan
  ``cfa(..., ordered = TRUE, estimator = "WLSMV", missing = "pairwise", group = "case", group.equal = ...)``).
* Levels in the order of Wu & Estabrook (2016): configural, equal thresholds, equal thresholds and loadings,
  and equal intercepts besides (lavaan fixes the intercepts of ordered items at 0, so that level adds no
  constraint: 0 degrees of freedom). Each level is compared with the one before by lavaan's ``lavTestLRT``
  (Satorra 2000 scaled difference) and holds when the scaled CFI drops by at most .01 and the scaled RMSEA
  rises by at most .015 (Chen 2007), the criteria of the FIML/MLR analysis.
* Equal thresholds need the same answer categories in every case. A category that no respondent of some case
  chose is merged, in every case, with its neighbour towards the middle of the scale (the usual remedy;
  lavaan stops with an error instead); the merges are listed in the results.
* What a level allows: with equal thresholds and loadings the latent means can be compared (Wu & Estabrook
  2016), as at the (partial) scalar level of the FIML/MLR analysis; below it, neither means nor relations.
  The sentences say whether the ordinal conclusion agrees with the FIML/MLR one, and that the comparison of
  means in notebook 05 rests on the FIML/MLR analysis (items as continuous, every respondent by FIML).

References
----------
Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis models of different levels of
invariance for ordered categorical outcomes. *Psychometrika*, 81, 1014-1045.
Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of moment structures. In
*Innovations in Multivariate Statistical Analysis* (pp. 233-247). Kluwer.
Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement invariance. *Structural
Equation Modeling*, 14, 464-504.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from emstudy.fileio import write_csv, write_json
from emstudy.stats import invariance
from emstudy.stats.cfa import InvarianceResult, parse_model
from emstudy.steps import files
from emstudy.steps.compare_invariance import _instrument_data, _p, _signed
from emstudy.steps.context import CrossCase
from emstudy.survey.limits import Limitation, case_exclusions

__all__ = [
    "OrdinalInvariance",
    "case_invariance_ordinal",
    "merge_empty_categories",
    "read_fiml_level",
    "ordinal_text",
    "write_results",
]

#: What each level allows one to compare: "means", "relations" or "none" (``"configural"``: the first
#: constrained level failed; emstudy.stats.invariance reported it as "none" before issue 15).
_ALLOWS_ORDINAL = {
    "configural": "none",
    "thresholds": "none",
    "thresholds+loadings": "means",
    "thresholds+loadings+intercepts": "means",
}
_ALLOWS_FIML = {"configural": "none", "metric": "relations", "scalar": "means", "partial scalar": "means"}
_LEVEL_EN = {
    "configural": "configural only (not even equal thresholds)",
    "thresholds": "equal thresholds",
    "thresholds+loadings": "equal thresholds and loadings",
    "thresholds+loadings+intercepts": "equal thresholds, loadings and intercepts",
}
_LEVEL_ZH = {
    "configural": "仅形态等值（连阈值等值也不成立）",
    "thresholds": "阈值等值",
    "thresholds+loadings": "阈值与载荷等值",
    "thresholds+loadings+intercepts": "阈值、载荷与截距等值",
}
_FIML_ZH = {"scalar": "标量", "partial scalar": "部分标量", "metric": "度量", "configural": "仅形态"}
_TABLE_COLUMNS = [
    "level",
    "npar",
    "chisq",
    "df",
    "chisq_scaled",
    "chisq_scaling_factor",
    "chisq_shift_parameter",
    "pvalue_scaled",
    "cfi_scaled",
    "rmsea_scaled",
    "srmr",
    "compared_with",
    "chisq_diff",
    "df_diff",
    "pvalue_diff",
    "delta_cfi",
    "delta_rmsea",
    "holds",
    "note",
]


@dataclass(frozen=True, eq=False)
class OrdinalInvariance:
    """Result of :func:`case_invariance_ordinal`.

    Attributes
    ----------
    constructs : tuple of str
    model : str
        lavaan syntax fitted.
    result : emstudy.stats.cfa.InvarianceResult
        The four levels (:func:`emstudy.stats.invariance` with ``ordered=``).
    n_used, n_incomplete : int
        Respondents with at least one answered item in the cases that entered, and those of them who skipped
        some item (pairwise deletion uses their answers).
    level : str
        Highest level that holds (``"configural"`` if equal thresholds do not).
    case_ids : tuple of str
        The cases in the model, in order.
    merged : pandas.DataFrame
        ``item, category, merged_into``: answer categories merged because some case had no respondent in them.
    parameterization, estimator, missing : str
        ``"delta"``, ``"WLSMV"`` and ``"pairwise"`` in the study.
    excluded : dict of str to emstudy.survey.limits.Limitation
        Cases left out, with the reason.
    """

    constructs: tuple[str, ...]
    model: str
    result: InvarianceResult
    n_used: int
    n_incomplete: int
    level: str
    case_ids: tuple[str, ...]
    merged: pd.DataFrame
    parameterization: str = "delta"
    estimator: str = "WLSMV"
    missing: str = "pairwise"
    excluded: Mapping[str, Limitation] = field(default_factory=dict)

    @property
    def means_comparable(self) -> bool:
        """Whether the level reached allows the latent means to be compared (equal thresholds and loadings)."""
        return _ALLOWS_ORDINAL[self.level] == "means"

    def table(self) -> pd.DataFrame:
        """The levels: scaled chi-square, df, scaled CFI and RMSEA, SRMR, difference tests and deltas."""
        t = self.result.to_frame().rename_axis("level").reset_index()
        t["df_diff"] = t["df_diff"].astype("Int64")  # a count; none for the configural model
        return t[[c for c in _TABLE_COLUMNS if c in t.columns]]

    def to_dict(self) -> dict:
        """JSON-ready summary (without the sentences; :func:`write_results` adds them)."""
        records = json.loads(self.table().to_json(orient="records", double_precision=15))
        return {
            "constructs": list(self.constructs),
            "model": self.model,
            "estimator": self.estimator,
            "parameterization": self.parameterization,
            "missing": self.missing,
            "cases": list(self.case_ids),
            "n_used": self.n_used,
            "n_incomplete": self.n_incomplete,
            "level": self.level,
            "means_comparable": self.means_comparable,
            "criteria": {"delta_cfi_min": -self.result.cfi_cut, "delta_rmsea_max": self.result.rmsea_cut},
            "merged_categories": json.loads(self.merged.to_json(orient="records")),
            "levels": records,
            **({"limitations": case_exclusions(self.excluded)} if self.excluded else {}),
        }

    def __repr__(self) -> str:
        return f"OrdinalInvariance(constructs={len(self.constructs)}, level={self.level!r}, n_used={self.n_used})"


def merge_empty_categories(data: pd.DataFrame, items: Sequence[str], group: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge the answer categories that some group never chose, so that every group has the same categories.

    A category with no answer in some group is recoded, in every group, to its neighbour towards the middle of
    the item's categories (the upper neighbour for a category below the middle, the lower one otherwise),
    until no group misses a category; an item left with two categories is not merged further.

    Parameters
    ----------
    data : pandas.DataFrame
        The items (numeric answer codes, NaN for no answer) and the ``group`` column.
    items : sequence of str
    group : str

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        A copy of ``data`` with the merged codes, and the merges: ``item, category, merged_into``.

    Examples
    --------
    >>> d = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4, "x": [1.0, 2, 3, 3, 2, 2, 3, 1]})
    >>> out, merges = merge_empty_categories(d, ["x"], "g")
    >>> merges.to_dict("records")
    []
    >>> d.loc[7, "x"] = 3.0
    >>> out, merges = merge_empty_categories(d, ["x"], "g")
    >>> merges.to_dict("records"), out["x"].tolist()
    ([{'item': 'x', 'category': 1.0, 'merged_into': 2.0}], [2.0, 2.0, 3.0, 3.0, 2.0, 2.0, 3.0, 3.0])
    """
    missing = [c for c in [*items, group] if c not in data.columns]
    if missing:
        raise ValueError(f"data: columns {missing} not found; pass the items and the group column")
    out, rows = data.copy(), []
    for item in items:
        while True:
            counts = pd.crosstab(out[group], out[item])
            cats = list(counts.columns)
            empty = [c for c in cats if (counts[c] == 0).any()]
            if not empty or len(cats) <= 2:
                break
            k = cats.index(empty[0])
            into = cats[k + 1] if k < (len(cats) - 1) / 2 else cats[k - 1]
            out.loc[out[item] == empty[0], item] = into
            rows.append({"item": item, "category": float(empty[0]), "merged_into": float(into)})
    return out, pd.DataFrame(rows, columns=["item", "category", "merged_into"])


def case_invariance_ordinal(
    cc: CrossCase, *, constructs: Sequence[str] | None = None, model: str | None = None, parameterization: str = "delta"
) -> OrdinalInvariance:
    """Ordinal invariance (configural, thresholds, + loadings, + intercepts) of the instrument across cases.

    Parameters
    ----------
    cc : CrossCase
        The cases (from :func:`emstudy.steps.context.load_all`).
    constructs : sequence of str, optional
        Constructs to model; default the whole instrument.
    model : str, optional
        lavaan syntax to use instead (over item columns of ``cc.items``).
    parameterization : {"delta", "theta"}

    Returns
    -------
    OrdinalInvariance

    Notes
    -----
    lavaan ``cfa(model, data, group = "case", ordered = TRUE, estimator = "WLSMV", missing = "pairwise",
    group.equal = ...)`` and ``lavTestLRT``; the multigroup pairwise fits are checked against lavaan in
    ``tests/reference/wlsmv_pairwise_groups.R``, the sequence in ``tests/reference/wlsmv_invariance.R``.
    Runtime on the synthetic study (48 items, five cases, 1525 free parameters in the configural model, 1320
    moments per case): about 8 s on 2 shared cores (three fits, each level started from the one before; the robust
    covariance and the Satorra-2000 tests from per-group sums; the +intercepts level, which adds no constraint
    when every item is ordered, is the thresholds+loadings fit).
    """
    if not isinstance(cc, CrossCase):
        raise ValueError(f"cc: expected a CrossCase from load_all(), got {type(cc).__name__}")
    model, mm, data, kept, out = _instrument_data(cc, model=model, constructs=constructs)
    observed = list(mm.observed)
    answered = data[observed].notna().any(axis=1)
    data, merged = merge_empty_categories(data[answered].reset_index(drop=True), observed, "case")
    res = invariance(
        mm, data, "case", ordered=observed, estimator="WLSMV", missing="pairwise", parameterization=parameterization
    )
    return OrdinalInvariance(
        constructs=tuple(f for f, _ in mm.indicators),
        model=model,
        result=res,
        n_used=int(answered.sum()),
        n_incomplete=int(data[observed].isna().any(axis=1).sum()),
        level=res.level,
        case_ids=tuple(kept),
        merged=merged,
        parameterization=parameterization,
        excluded=out,
    )


def read_fiml_level(results_dir: str | Path) -> str | None:
    """The FIML/MLR invariance level that notebook 05 wrote (``level`` in ``invariance.json`` of
    ``results_dir``), or None when it has not been written."""
    path = Path(results_dir) / files.INVARIANCE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))["level"]


def _level_clauses(inv: OrdinalInvariance, lang: str) -> list[str]:
    """The configural fit, then one clause per level: holds or not, deltas and the scaled difference test."""
    t = inv.table().set_index("level")
    c = t.loc["configural"]
    if lang == "en":
        out = [f"configural model scaled CFI {c['cfi_scaled']:.3f}, scaled RMSEA {c['rmsea_scaled']:.3f}"]
    else:
        out = [f"形态模型校正CFI {c['cfi_scaled']:.3f}、校正RMSEA {c['rmsea_scaled']:.3f}"]
    for name, row in t.iloc[1:].iterrows():
        if int(row["df_diff"]) == 0:
            out.append(
                f"{_LEVEL_EN[name]} add no constraint (lavaan fixes the intercepts of ordered items at 0; 0 df)"
                if lang == "en"
                else f"{_LEVEL_ZH[name]}不增加约束（有序题项的截距固定为0；自由度差为0）"
            )
            continue
        d = f"ΔCFI {_signed(row['delta_cfi'])}, ΔRMSEA {_signed(row['delta_rmsea'])}"
        test = f"scaled chi-square difference {row['chisq_diff']:.1f}, df = {int(row['df_diff'])}, {_p(row['pvalue_diff'])}"
        if lang == "en":
            out.append(f"{_LEVEL_EN[name]} {'hold' if row['holds'] else 'do not hold'} ({d}; {test})")
        else:
            ztest = f"校正卡方差 {row['chisq_diff']:.1f}，df = {int(row['df_diff'])}，{_p(row['pvalue_diff'])}"
            out.append(f"{_LEVEL_ZH[name]}{'成立' if row['holds'] else '不成立'}（{d.replace(', ', '，')}；{ztest}）")
    return out


def _agreement(inv: OrdinalInvariance, fiml_level: str | None, lang: str) -> str:
    """Whether the ordinal conclusion agrees with the FIML/MLR one, and which estimator the means rest on."""
    if fiml_level is None:
        return (
            "The FIML/MLR invariance result was not available to compare with."
            if lang == "en"
            else "没有FIML/MLR等值性结果可供比较。"
        )
    same = _ALLOWS_FIML[fiml_level] == _ALLOWS_ORDINAL[inv.level]
    allows_means = _ALLOWS_ORDINAL[inv.level] == "means"
    if lang == "en":
        what = "latent means can be compared" if allows_means else "latent means cannot be compared"
        verdict = "agrees with" if same else "differs from"
        return (
            f"Treating the items as ordered categories, {what}; this {verdict} the FIML/MLR analysis (items as "
            f"continuous: {fiml_level} invariance). The comparison of means across places rests on the FIML/MLR "
            f"analysis{'; the ordinal analysis confirms it' if same else ', which the ordinal analysis does not confirm'}."
        )
    what = "可以比较潜变量均值" if allows_means else "不宜比较潜变量均值"
    verdict = "与FIML/MLR分析（将题项视为连续变量：" + _FIML_ZH[fiml_level] + "等值）" + ("一致" if same else "不一致")
    tail = "有序分析支持这一结论" if same else "有序分析不支持这一结论"
    return f"将题项视为有序类别时{what}，{verdict}。各地均值比较依据FIML/MLR分析；{tail}。"


def ordinal_text(inv: OrdinalInvariance, *, fiml_level: str | None, synthetic: bool) -> dict[str, str]:
    """The ordinal invariance findings in English and Chinese: levels, merged categories, agreement with the
    FIML/MLR level ``fiml_level`` (``"scalar"``, ``"partial scalar"``, ``"metric"``, ``"configural"``; None if not
    available) and the estimator the comparison of means rests on. ``synthetic`` labels the text.

    Returns
    -------
    dict
        ``{"en": ..., "zh": ...}``, each one paragraph.
    """
    if fiml_level is not None and fiml_level not in _ALLOWS_FIML:
        raise ValueError(f"fiml_level: expected one of {list(_ALLOWS_FIML)} or None, got {fiml_level!r}")
    n_items = len(parse_model(inv.model).observed)
    merges = [f"{r.item} {r.category:g}→{r.merged_into:g}" for r in inv.merged.itertuples()]
    en = (
        f"Ordinal measurement invariance of the instrument ({len(inv.constructs)} constructs, {n_items} items as "
        f"ordered categories) across {len(inv.case_ids)} places, by {inv.estimator} (polychoric correlations, "
        f"{inv.parameterization} parameterization, pairwise deletion; {inv.n_used} respondents, {inv.n_incomplete} "
        f"of whom skipped some item): {'; '.join(_level_clauses(inv, 'en'))}. Highest level supported: "
        f"{_LEVEL_EN[inv.level]}."
    )
    zh = (
        f"将题项视为有序类别（{len(inv.constructs)}个构念、{n_items}个题项），整套量表在{len(inv.case_ids)}地之间的测量等值性"
        f"（{inv.estimator}估计，多分格相关，{inv.parameterization}参数化，成对删除；{inv.n_used}名受访者，其中"
        f"{inv.n_incomplete}名有漏答）：{'；'.join(_level_clauses(inv, 'zh'))}。达到的最高水平：{_LEVEL_ZH[inv.level]}。"
    )
    if merges:
        en += f" Categories merged because some place had no answer in them: {', '.join(merges)}."
        zh += f"因某地无人选择而合并的答案类别：{'、'.join(merges)}。"
    en += " " + _agreement(inv, fiml_level, "en")
    zh += _agreement(inv, fiml_level, "zh")
    if synthetic:
        en += " (Synthetic data.)"
        zh += "（合成数据。）"
    return {"en": en, "zh": zh}


def write_results(
    inv: OrdinalInvariance, results_dir: str | Path, *, fiml_level: str | None, synthetic: bool
) -> list[Path]:
    """Write ``invariance_ordinal.csv`` (the levels) and ``invariance_ordinal.json`` (summary, the FIML/MLR
    level compared with, whether they agree, the sentences under ``text``, ``synthetic``) into ``results_dir``.

    Returns
    -------
    list of Path
    """
    if not isinstance(inv, OrdinalInvariance):
        raise TypeError(f"inv: expected the OrdinalInvariance of case_invariance_ordinal, got {type(inv).__name__}")
    d = Path(results_dir)
    d.mkdir(parents=True, exist_ok=True)
    agrees = None if fiml_level is None else _ALLOWS_FIML.get(fiml_level) == _ALLOWS_ORDINAL[inv.level]
    summary = {
        **inv.to_dict(),
        "fiml_level": fiml_level,
        "agrees_with_fiml": agrees,
        "means_rest_on": "FIML/MLR",
        "text": ordinal_text(inv, fiml_level=fiml_level, synthetic=synthetic),
        "synthetic": bool(synthetic),
    }
    return [
        write_csv(d / files.INVARIANCE_ORDINAL_TABLE, inv.table(), index=False),
        write_json(d / files.INVARIANCE_ORDINAL, summary),
    ]
