"""Verdicts and sentences (English and Chinese) of the structure step (:mod:`emstudy.steps.structure`).

The cut-offs are :data:`CRITERIA`; :mod:`emstudy.steps.structure` re-exports it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emstudy.stats.cfa import CFAResult
from emstudy.stats.efa import ParallelAnalysisResult

__all__ = ["CRITERIA"]

#: Cut-offs used for the verdicts, with their sources.
CRITERIA = {
    "cfi_good": 0.95,
    "cfi_acceptable": 0.90,  # Hu & Bentler (1999)
    "rmsea_good": 0.06,
    "rmsea_acceptable": 0.08,  # Hu & Bentler (1999)
    "srmr_good": 0.08,  # Hu & Bentler (1999)
    "cr_min": 0.70,
    "ave_min": 0.50,  # Fornell & Larcker (1981)
    "htmt_strict": 0.85,
    "htmt_lenient": 0.90,  # Henseler, Ringle & Sarstedt (2015)
}


def _level(value: float, good: float, acceptable: float | None, higher: bool) -> str:
    ok = (lambda t: value >= t) if higher else (lambda t: value <= t)
    if ok(good):
        return "good"
    if acceptable is not None and ok(acceptable):
        return "acceptable"
    return "poor"


def _verdicts(fit: CFAResult, validity: pd.DataFrame, ht: pd.DataFrame) -> pd.DataFrame:
    c = CRITERIA
    f = fit.fit
    off = ht.to_numpy()[np.triu_indices(len(ht), k=1)]
    max_htmt = float(np.max(off)) if off.size else float("nan")
    rows = [
        (
            "CFI",
            f.cfi,
            f">= {c['cfi_good']} good, >= {c['cfi_acceptable']} acceptable",
            _level(f.cfi, c["cfi_good"], c["cfi_acceptable"], True),
            "Hu & Bentler 1999",
        ),
        (
            "RMSEA",
            f.rmsea,
            f"<= {c['rmsea_good']} good, <= {c['rmsea_acceptable']} acceptable",
            _level(f.rmsea, c["rmsea_good"], c["rmsea_acceptable"], False),
            "Hu & Bentler 1999",
        ),
        ("SRMR", f.srmr, f"<= {c['srmr_good']}", _level(f.srmr, c["srmr_good"], None, False), "Hu & Bentler 1999"),
        (
            "min CR",
            float(validity["cr"].min()),
            f">= {c['cr_min']}",
            "good" if bool(validity["cr_ok"].all()) else "poor",
            "Fornell & Larcker 1981",
        ),
        (
            "min AVE",
            float(validity["ave"].min()),
            f">= {c['ave_min']}",
            "good" if bool(validity["ave_ok"].all()) else "poor",
            "Fornell & Larcker 1981",
        ),
        (
            "Fornell-Larcker",
            float(validity["fornell_larcker"].mean()),
            "sqrt(AVE) > every latent correlation (share of constructs)",
            "good" if bool(validity["fornell_larcker"].all()) else "poor",
            "Fornell & Larcker 1981",
        ),
        (
            "max HTMT",
            max_htmt,
            f"< {c['htmt_strict']} strict, < {c['htmt_lenient']} lenient",
            "good" if max_htmt < c["htmt_strict"] else ("acceptable" if max_htmt < c["htmt_lenient"] else "poor"),
            "Henseler et al. 2015",
        ),
    ]
    return pd.DataFrame(rows, columns=["criterion", "value", "threshold", "verdict", "source"]).set_index("criterion")


_FIT_ZH = {"good": "良好", "acceptable": "可接受", "poor": "不理想"}


def _sentences(
    case_id: str,
    pa: ParallelAnalysisResult,
    n_constructs: int,
    res_fit: CFAResult,
    validity: pd.DataFrame,
    verdicts: pd.DataFrame,
) -> dict[str, list[str]]:
    f = res_fit.fit
    n_cfa = int(sum(res_fit.n_obs))
    v = verdicts["verdict"]
    n_cr = int(validity["cr_ok"].sum())
    n_ave = int(validity["ave_ok"].sum())
    n_fl = int(validity["fornell_larcker"].sum())
    k = len(validity)
    max_htmt = float(verdicts.loc["max HTMT", "value"])
    en = [
        f"Parallel analysis (psych convention, 95th percentile of simulated eigenvalues) suggests "
        f"{pa.n_factors} factors and {pa.n_components} components; the instrument has {n_constructs} "
        "constructs.",
        f"The CFA of the {n_constructs}-construct model (full-information ML, FIML, with standard errors from the "
        f"observed information, n = {n_cfa}, every answer of every respondent) fits with "
        f"CFI = {f.cfi:.3f} ({v['CFI']}), RMSEA = {f.rmsea:.3f} ({v['RMSEA']}), SRMR = {f.srmr:.3f} "
        f"({v['SRMR']}) by Hu and Bentler's (1999) cut-offs.",
        f"Composite reliability (from the FIML fit) reaches 0.70 for {n_cr} of {k} constructs and the average "
        "variance extracted (AVE, the mean squared standardized loading of a construct's items) reaches "
        f"0.50 for {n_ave} of {k} (Fornell & Larcker 1981); the Fornell-Larcker criterion holds for {n_fl} of {k}.",
        f"The largest HTMT is {max_htmt:.3f} ({'below' if max_htmt < 0.85 else 'not below'} 0.85; "
        "Henseler et al. 2015).",
    ]
    zh = [
        f"平行分析（psych约定，模拟特征值的第95百分位）建议提取{pa.n_factors}个因子、{pa.n_components}个主成分；"
        f"问卷共有{n_constructs}个构念。",
        f"{n_constructs}构念模型的验证性因子分析（全信息最大似然FIML，标准误基于观测信息矩阵，n = {n_cfa}，"
        f"使用全部受访者的全部回答）拟合指标为"
        f"CFI = {f.cfi:.3f}（{_FIT_ZH[v['CFI']]}）、RMSEA = {f.rmsea:.3f}（{_FIT_ZH[v['RMSEA']]}）、"
        f"SRMR = {f.srmr:.3f}（{_FIT_ZH[v['SRMR']]}），依据Hu和Bentler（1999）的标准。",
        f"基于FIML拟合，{k}个构念中有{n_cr}个组合信度达到0.70，{n_ave}个平均方差抽取量（AVE，各题项标准化载荷平方的均值）达到0.50"
        f"（Fornell和Larcker，1981）；{n_fl}个构念满足Fornell-Larcker准则。",
        f"HTMT最大值为{max_htmt:.3f}（{'低于' if max_htmt < 0.85 else '未低于'}0.85；Henseler等，2015）。",
    ]
    return {"en": en, "zh": zh}


def _p(p: float) -> str:
    return "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)


def _fit_sentences(
    fit: CFAResult, mlr: CFAResult, listwise: CFAResult | None, n_listwise: int, n_free: int
) -> dict[str, list[str]]:
    """The MLR fit beside the FIML ML fit, and what changes on the complete cases (the sensitivity check)."""
    f, r = fit.fit, mlr.fit
    robust = ""
    robust_zh = ""
    if all(np.isfinite(getattr(r, k, np.nan)) for k in ("cfi_robust", "rmsea_robust")):
        robust = f"; robust CFI = {r.cfi_robust:.3f}, robust RMSEA = {r.rmsea_robust:.3f} (Brosseau-Liard & Savalei)"
        robust_zh = f"；稳健CFI = {r.cfi_robust:.3f}，稳健RMSEA = {r.rmsea_robust:.3f}（Brosseau-Liard和Savalei）"
    en = [
        f"With MLR beside it (robust standard errors, Yuan-Bentler scaled chi-square) the chi-square of "
        f"{f.chisq:.1f} on {f.df} df is scaled to {r.chisq_scaled:.1f} (scaling factor "
        f"{r.chisq_scaling_factor:.3f}, {_p(r.pvalue_scaled)}){robust}."
    ]
    zh = [
        f"同时以MLR估计（稳健标准误，Yuan-Bentler校正卡方）：卡方{f.chisq:.1f}（自由度{f.df}）校正为"
        f"{r.chisq_scaled:.1f}（校正因子{r.chisq_scaling_factor:.3f}，{_p(r.pvalue_scaled)}）{robust_zh}。"
    ]
    if listwise is None:
        en.append(
            f"The listwise fit (the sensitivity check) is not estimable: only {n_listwise} respondents answered "
            f"every item, for {n_free} free parameters; FIML uses every answer of all {int(sum(fit.n_obs))}."
        )
        zh.append(
            f"列删法拟合（敏感性检验）无法估计：仅{n_listwise}名受访者回答了全部题项，而模型有{n_free}个自由参数；"
            f"FIML使用了全部{int(sum(fit.n_obs))}名受访者的全部回答。"
        )
        return {"en": en, "zh": zh}
    lw = listwise.fit
    key = ["lhs", "rhs"]
    a = fit.params[fit.params["op"] == "=~"].set_index(key)["std_all"]
    b = listwise.params[listwise.params["op"] == "=~"].set_index(key)["std_all"].reindex(a.index)
    shift = float((a - b).abs().max())
    en.append(
        f"On the {n_listwise} complete cases only (listwise, the sensitivity check) CFI = {lw.cfi:.3f} and "
        f"RMSEA = {lw.rmsea:.3f} (FIML: {f.cfi:.3f} and {f.rmsea:.3f}); the standardized loadings move by at most "
        f"{shift:.3f}."
    )
    zh.append(
        f"仅用{n_listwise}份完整个案（列删法，敏感性检验）时CFI = {lw.cfi:.3f}、RMSEA = {lw.rmsea:.3f}"
        f"（FIML分别为{f.cfi:.3f}和{f.rmsea:.3f}）；标准化载荷的变化最大为{shift:.3f}。"
    )
    return {"en": en, "zh": zh}
