"""Measurement invariance of the whole instrument across the cases (notebook 05), and the latent mean
differences between places as far as invariance holds.

Conventions
-----------
* The model is the whole instrument: one factor per construct on its four items, the eleven core constructs
  and the outcome (perceived effectiveness), 48 items (:func:`instrument_model`). The outcome is part of the
  instrument, and notebook 05 compares its mean across places as it does the core constructs', so its
  invariance is tested too.
* Every respondent is used: FIML (lavaan ``missing = "ml"``) over the item non-response, with MLR (robust
  standard errors, Yuan-Bentler scaled chi-square, Satorra-Bentler 2001 scaled differences and robust fit
  deltas where :func:`emstudy.stats.invariance` reports them). A case that cannot enter a multi-group model
  (an item all missing or constant, or no more respondents than items) is left out with the reason
  (:func:`emstudy.survey.limits.group_exclusions`).
* Levels: configural, metric (loadings equal), scalar (loadings and intercepts equal) and, if scalar fails,
  a partial scalar model with freed intercepts (each construct keeps at least two equal ones; Byrne,
  Shavelson & Muthén 1989). A level holds when CFI drops by at most .01 and RMSEA rises by at most .015
  (Cheung & Rensvold 2002; Chen 2007).
* Latent means are compared only where invariance allows it (Meredith 1993): every construct at the scalar
  level; at the partial scalar level every construct keeping at least two equal intercepts; none at the
  metric level or below. Differences are those of groups 2.. against the first case (the reference, whose
  latent means are fixed at 0), in units of the construct's marker item, and standardized by the reference
  case's latent standard deviation (a latent Cohen's d; Hancock 2001). Their p-values are Holm-adjusted
  within each construct.

References
----------
Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance. *Psychometrika*,
58, 525-543.
Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing measurement
invariance. *Structural Equation Modeling*, 9, 233-255.
Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement invariance. *Structural
Equation Modeling*, 14, 464-504.
Byrne, B. M., Shavelson, R. J., & Muthén, B. (1989). Testing for the equivalence of factor covariance and
mean structures. *Psychological Bulletin*, 105, 456-466.
Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic for moment structure
analysis. *Psychometrika*, 66, 507-514.
Hancock, G. R. (2001). Effect size, power, and sample size determination for structured means modeling and
MIMIC approaches to between-groups hypothesis testing of means on a single latent construct.
*Psychometrika*, 66, 373-388.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from emstudy.stats import invariance
from emstudy.stats.cfa import InvarianceResult, parse_model
from emstudy.stats.multitest import holm
from emstudy.steps.context import CrossCase
from emstudy.survey.limits import Limitation, case_exclusions, group_exclusions

__all__ = [
    "CaseInvariance",
    "instrument_model",
    "case_invariance",
    "means_verdict",
    "construct_levels",
    "invariance_text",
]

_MEANS_VERDICT = {
    "scalar": (
        "Scalar invariance holds: loadings and intercepts are equal across cases, so the cases' "
        "construct means (latent or observed) can be compared."
    ),
    "partial scalar": (
        "Partial scalar invariance holds: latent means can be compared under the partial model; "
        "observed scale means are comparable only approximately (some intercepts differ)."
    ),
    "metric": (
        "Only metric invariance holds: relations (slopes, correlations) can be compared across cases, but not means."
    ),
    "configural": (
        "Metric invariance does not hold (only configural invariance): neither means nor relations of these "
        "constructs can be compared across cases with confidence."
    ),
}

_MEANS_COLUMNS = [
    "construct",
    "case",
    "reference",
    "est",
    "se",
    "z",
    "pvalue",
    "pvalue_adj",
    "ci_lower",
    "ci_upper",
    "sd_reference",
    "std_est",
    "std_ci_lower",
    "std_ci_upper",
]


def means_verdict(level: str) -> str:
    """What an invariance level allows one to compare (Meredith 1993)."""
    if level not in _MEANS_VERDICT:
        raise ValueError(f"level: expected one of {list(_MEANS_VERDICT)}, got {level!r}")
    return _MEANS_VERDICT[level]


def instrument_model(codebook: object, *, constructs: Sequence[str] | None = None) -> str:
    """lavaan syntax of the instrument: one factor per construct on its items.

    Parameters
    ----------
    codebook : emstudy.survey.codebook.Codebook
    constructs : sequence of str, optional
        A subset of the codebook's scales (core constructs and the outcome), in the order given; default all
        of them (the whole instrument).

    Returns
    -------
    str
        E.g. ``"plan =~ PLN1 + PLN2 + PLN3 + PLN4\\n..."``.
    """
    from emstudy.steps.structure import core_model_syntax

    lines = {ln.split("=~")[0].strip(): ln for ln in core_model_syntax(codebook).splitlines()}
    if constructs is None:
        return "\n".join(lines.values())
    constructs = list(constructs)
    unknown = [c for c in constructs if c not in lines]
    if unknown or not constructs:
        raise ValueError(f"constructs: {unknown or constructs} not in the codebook's scales {list(lines)}")
    return "\n".join(lines[c] for c in constructs)


@dataclass(frozen=True, eq=False)
class CaseInvariance:
    """Result of :func:`case_invariance`.

    Attributes
    ----------
    constructs : tuple of str
        Constructs of the model.
    model : str
        lavaan syntax fitted.
    result : emstudy.stats.cfa.InvarianceResult
    n_used, n_dropped : int
        Respondents the fits used (FIML: everyone with at least one answered item of the model, in the cases
        that entered) and those left out (the respondents of excluded cases and those who answered no item).
    n_incomplete : int
        Respondents used although they skipped some item (listwise deletion would have lost them).
    level : str
    verdict : str
        What the level allows one to compare (see :func:`means_verdict`).
    estimator, missing : str
        ``"MLR"`` and ``"fiml"`` in the study.
    case_ids : tuple of str
        The cases in the model, the first being the reference group.
    excluded : dict of str to emstudy.survey.limits.Limitation
        Cases left out of the fit, with the reason (``limitations`` in the JSON when there are any).
    """

    constructs: tuple[str, ...]
    model: str
    result: InvarianceResult
    n_used: int
    n_dropped: int
    n_incomplete: int
    level: str
    verdict: str
    estimator: str
    missing: str
    case_ids: tuple[str, ...]
    excluded: Mapping[str, Limitation] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """Fit and comparison table of the invariance levels."""
        return self.result.to_frame()

    def constructs_table(self) -> pd.DataFrame:
        """Per construct: the level reached, the freed intercepts and whether its means compare; see
        :func:`construct_levels`."""
        return construct_levels(self.model, self.level, self.result.freed_intercepts)

    def latent_means(self) -> pd.DataFrame:
        """Latent mean differences of the cases against the reference case, where invariance allows them.

        Returns
        -------
        pandas.DataFrame
            From the scalar (or partial scalar) model, one row per comparable construct and case 2..:
            ``construct, case, reference, est, se, z, pvalue, pvalue_adj, ci_lower, ci_upper`` (in units of
            the marker item; ``pvalue_adj`` Holm within the construct), ``sd_reference`` (the reference
            case's latent SD) and ``std_est, std_ci_lower, std_ci_upper`` (divided by it). Empty when no
            construct's means compare.
        """
        comparable = self.constructs_table().query("means_comparable")["construct"].tolist()
        if not comparable:
            return pd.DataFrame(columns=_MEANS_COLUMNS)
        params = self.result.fits[self.level].params
        first = params["group"] == params["group"].min()
        var = params[first & (params["op"] == "~~") & (params["lhs"] == params["rhs"])].set_index("lhs")["est"]
        rows = params[(params["op"] == "~1") & params["lhs"].isin(comparable) & ~first]
        out = rows.rename(columns={"lhs": "construct", "group_label": "case"}).copy()
        out["construct"] = pd.Categorical(out["construct"], categories=comparable)
        out = out.sort_values(["construct", "group"], kind="stable")
        out["construct"] = out["construct"].astype(str)
        out["case"] = out["case"].astype(str)
        out["reference"] = self.case_ids[0]
        out["pvalue_adj"] = np.concatenate(
            [holm(g.to_numpy(float)) for _, g in out.groupby("construct", sort=False)["pvalue"]]
        )
        out["sd_reference"] = np.sqrt(out["construct"].map(var).to_numpy(float))
        for a, b in (("std_est", "est"), ("std_ci_lower", "ci_lower"), ("std_ci_upper", "ci_upper")):
            out[a] = out[b] / out["sd_reference"]
        return out[_MEANS_COLUMNS].reset_index(drop=True)

    def to_dict(self) -> dict:
        """JSON-ready summary."""

        def records(frame: pd.DataFrame) -> list:
            return json.loads(frame.to_json(orient="records", double_precision=15))

        return {
            "constructs": list(self.constructs),
            "model": self.model,
            "estimator": self.estimator,
            "missing": self.missing,
            "cases": list(self.case_ids),
            "reference": self.case_ids[0],
            "n_used": self.n_used,
            "n_dropped": self.n_dropped,
            "n_incomplete": self.n_incomplete,
            "level": self.level,
            "verdict": self.verdict,
            "criteria": {"delta_cfi_min": -self.result.cfi_cut, "delta_rmsea_max": self.result.rmsea_cut},
            "freed_intercepts": list(self.result.freed_intercepts),
            "levels": records(self.table().reset_index()),
            "by_construct": records(self.constructs_table()),
            "latent_means": records(self.latent_means()),
            **({"limitations": case_exclusions(self.excluded)} if self.excluded else {}),
        }

    def __repr__(self) -> str:
        return (
            f"CaseInvariance(constructs={len(self.constructs)}, level={self.level!r}, n_used={self.n_used}, "
            f"estimator={self.estimator!r}, missing={self.missing!r})"
        )


def construct_levels(model: str, level: str, freed: Sequence[str]) -> pd.DataFrame:
    """Per construct of ``model``: the invariance level reached and whether its latent means compare.

    Returns
    -------
    pandas.DataFrame
        ``construct, level, freed_intercepts`` (comma-separated items), ``n_equal_intercepts``,
        ``means_comparable`` and ``reason`` (empty when comparable). At the partial scalar level a construct
        with no freed intercept is at the scalar level; one keeping fewer than two equal intercepts is not
        comparable (Byrne, Shavelson & Muthén 1989).
    """
    means_verdict(level)
    rows = []
    for factor, items in parse_model(model).indicators:
        mine = [i for i in items if i in freed]
        n_equal = len(items) - len(mine)
        lv = level if level != "partial scalar" or mine else "scalar"
        if lv in ("scalar", "partial scalar") and n_equal >= 2:
            ok, reason = True, ""
        elif lv in ("scalar", "partial scalar"):
            ok, reason = False, f"only {n_equal} equal intercept(s) left"
        else:
            differ = "loadings and intercepts" if level == "configural" else "intercepts"
            ok, reason = False, f"the model reaches the {level} level only: {differ} differ between cases"
        rows.append(
            {
                "construct": factor,
                "level": lv,
                "freed_intercepts": ", ".join(mine),
                "n_equal_intercepts": n_equal,
                "means_comparable": ok,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)


def case_invariance(
    cc: CrossCase,
    *,
    constructs: Sequence[str] | None = None,
    model: str | None = None,
    estimator: str = "MLR",
    missing: str = "fiml",
    n_jobs: int | None = None,
) -> CaseInvariance:
    """Configural, metric, scalar and partial scalar invariance of the instrument across cases.

    Parameters
    ----------
    cc : CrossCase
        The cases (from :func:`emstudy.steps.context.load_all`); the first case is the reference group.
    constructs : sequence of str, optional
        Constructs to model (:func:`instrument_model`); default the whole instrument (eleven core constructs
        and the outcome).
    model : str, optional
        lavaan syntax to use instead (over item columns of ``cc.items``).
    estimator : {"MLR", "ML"}
    missing : {"fiml", "listwise"}
        ``"fiml"`` (default) uses every respondent.
    n_jobs : int, optional
        Worker processes for the three levels (:func:`emstudy.stats.invariance`; the same result for any
        number); default the cores available, at most 3. Notebook 05 runs alone (the cases wait for it), so the
        levels may use every core.

    Returns
    -------
    CaseInvariance

    Notes
    -----
    The fits are :func:`emstudy.stats.invariance` (lavaan ``cfa(..., group = "case", missing = "ml",
    estimator = "MLR", group.equal = ...)``; checked in ``tests/reference/invariance_synthetic.R``).
    Runtime on the synthetic study (48 items, five cases, 1050 free parameters in the configural model):
    about 22 s of CPU for the three levels (77 s before the EM moments and the saturated model's information
    were computed once per data set and the saturated trace of the scaled chi-square in closed form; measured
    back to back on 2 shared cores). The partial scalar search refits the model once per candidate intercept,
    so when scalar invariance fails it multiplies the time of one fit (about 7 s) by up to the number of
    items per freed intercept.
    """
    if not isinstance(cc, CrossCase):
        raise ValueError(f"cc: expected a CrossCase from load_all(), got {type(cc).__name__}")
    if estimator not in ("ML", "MLR"):
        raise ValueError(f"estimator: expected 'ML' or 'MLR', got {estimator!r}")
    if missing not in ("fiml", "listwise"):
        raise ValueError(f"missing: expected 'fiml' or 'listwise', got {missing!r}")
    model, mm, data, kept, out = _instrument_data(cc, model=model, constructs=constructs)
    observed = list(mm.observed)
    answered = data[observed].notna().any(axis=1)
    if missing == "listwise":
        answered = data[observed].notna().all(axis=1)
    n_incomplete = int((answered & data[observed].isna().any(axis=1)).sum())
    jobs = min(3, os.cpu_count() or 1) if n_jobs is None else n_jobs
    res = invariance(
        mm, data[answered].reset_index(drop=True), "case", estimator=estimator, missing=missing, n_jobs=jobs
    )
    n_used = int(answered.sum())
    return CaseInvariance(
        constructs=tuple(f for f, _ in mm.indicators),
        model=model,
        result=res,
        n_used=n_used,
        n_dropped=int(len(cc.items)) - n_used,
        n_incomplete=n_incomplete,
        level=res.level,
        verdict=means_verdict(res.level),
        estimator=estimator,
        missing=missing,
        case_ids=tuple(kept),
        excluded=out,
    )


def _instrument_data(cc: CrossCase, *, model: str | None, constructs: Sequence[str] | None) -> tuple:
    """``(model, parsed model, stacked items with a case column, cases kept, cases left out with why)`` for an
    invariance model of the instrument (``model``, or the codebook's for ``constructs``) across ``cc``'s cases;
    shared by the FIML/MLR and the ordinal (:mod:`~emstudy.steps.compare_ordinal`) invariance steps."""
    if model is None:
        model = instrument_model(cc.codebook, constructs=constructs)
    mm = parse_model(model)
    observed = list(mm.observed)
    absent = [i for i in observed if i not in cc.items.columns]
    if absent:
        raise ValueError(f"model: items {absent} are not core items of the cases")
    out = group_exclusions({c: cc.encoded[c].items for c in cc.case_ids}, observed)
    kept = [c for c in cc.case_ids if c not in out]
    if len(kept) < 2:
        raise ValueError(f"cc: fewer than two cases can enter the invariance model ({dict(out)})")
    return model, mm, _stack(cc, kept, observed), kept, out


def _stack(cc: CrossCase, case_ids: Sequence[str], observed: Sequence[str]) -> pd.DataFrame:
    """The items of the cases in ``case_ids``, stacked in that order with a string ``case`` column."""
    frames = []
    for c in case_ids:
        frame = cc.encoded[c].items[list(observed)].astype(float).reset_index(drop=True)
        frame["case"] = c
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------------------- sentences

_ZH_VERDICT = {
    "scalar": "标量等值成立：各地的载荷与截距相等，可以比较各地的构念均值（潜变量或观测均值）。",
    "partial scalar": "部分标量等值成立：在部分等值模型下可以比较各地的潜变量均值；观测量表均值只能近似比较（部分截距不等）。",
    "metric": "仅度量等值成立：各地载荷相等，可比较变量间关系（斜率、相关），但不宜比较均值。",
    "configural": "度量等值不成立（仅形态等值）：各地这些构念的均值和变量间关系都不宜比较。",
}
_LEVEL_ZH = {"configural": "形态", "metric": "度量", "scalar": "标量", "partial scalar": "部分标量"}


def _p(p: float) -> str:
    return "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)


def _signed(x: float) -> str:
    """``+0.012``, ``-0.004``; a change that rounds to zero is ``0.000`` (never ``-0.000``)."""
    out = f"{x:+.3f}"
    return "0.000" if out in ("+0.000", "-0.000") else out


def _fit_clauses(inv: CaseInvariance, lang: str) -> list[str]:
    """One clause per level: the configural fit, then each comparison's deltas and (scaled) difference test."""
    t = inv.table()
    c = t.loc["configural"]
    robust = "cfi_robust" in t.columns and np.isfinite(c["cfi_robust"])
    cfi, rmsea = (c["cfi_robust"], c["rmsea_robust"]) if robust else (c["cfi"], c["rmsea"])
    kind = {"en": "robust " if robust else "", "zh": "稳健" if robust else ""}[lang]
    out = [
        f"configural model {kind}CFI {cfi:.3f}, {kind}RMSEA {rmsea:.3f}"
        if lang == "en"
        else f"形态模型{kind}CFI {cfi:.3f}、{kind}RMSEA {rmsea:.3f}"
    ]
    test = {"en": "scaled chi-square difference" if inv.estimator == "MLR" else "chi-square difference"}
    test["zh"] = "校正卡方差" if inv.estimator == "MLR" else "卡方差"
    for name, row in t.iloc[1:].iterrows():
        sep = ", " if lang == "en" else "，"
        stat = sep.join(
            [f"{test[lang]} {row['chisq_diff']:.1f}", f"df = {int(row['df_diff'])}", _p(row["pvalue_diff"])]
        )
        if lang == "en":
            held = "holds" if row["holds"] else "does not hold"
            out.append(
                f"{name} invariance {held} (against {row['compared_with']}: delta CFI {_signed(row['delta_cfi'])}, "
                f"delta RMSEA {_signed(row['delta_rmsea'])}; {stat})"
            )
        else:
            held = "成立" if row["holds"] else "不成立"
            out.append(
                f"{_LEVEL_ZH[name]}等值{held}（相对{_LEVEL_ZH[row['compared_with']]}模型：ΔCFI {_signed(row['delta_cfi'])}，"
                f"ΔRMSEA {_signed(row['delta_rmsea'])}；{stat}）"
            )
    return out


def invariance_text(
    inv: CaseInvariance,
    *,
    labels: Mapping[str, Mapping[str, str]],
    places: Mapping[str, Mapping[str, str]],
    synthetic: bool,
    alpha: float = 0.05,
) -> dict[str, str]:
    """The invariance findings in English and Chinese: level, fit, freed intercepts, latent mean differences.

    Parameters
    ----------
    inv : CaseInvariance
    labels, places : mapping of language (``"en"``, ``"zh"``) to a mapping of construct (case) id to its name
    synthetic : bool
        Label the text as from synthetic data.
    alpha : float
        Level for the Holm-adjusted p-values of the latent mean differences named.

    Returns
    -------
    dict
        ``{"en": ..., "zh": ...}``, each one paragraph.
    """
    lm = inv.latent_means()
    sig = lm[lm["pvalue_adj"] < alpha]
    status = inv.constructs_table()
    blocked = status[~status["means_comparable"]]
    ref = inv.case_ids[0]
    out = {}
    for lang in ("en", "zh"):
        lab, pl = labels[lang], places[lang]
        n_items = len(parse_model(inv.model).observed)
        fits = ("; " if lang == "en" else "；").join(_fit_clauses(inv, lang))
        freed = [
            f"{i} ({lab.get(r['construct'], r['construct'])})"
            for _, r in status.iterrows()
            for i in filter(None, r["freed_intercepts"].split(", "))
        ]
        colon, comma = (": ", ", ") if lang == "en" else ("：", "，")
        diffs = [
            f"{lab.get(k, k)}{colon}"
            + comma.join(f"{pl.get(r['case'], r['case'])} {r['std_est']:+.2f}" for _, r in g.iterrows())
            for k, g in sig.groupby("construct", sort=False)
        ]
        if lang == "en":
            s = [
                f"Measurement invariance of the instrument ({len(inv.constructs)} constructs, {n_items} items) across "
                f"{len(inv.case_ids)} places, by FIML with {inv.estimator} on {inv.n_used} respondents "
                f"({inv.n_incomplete} of whom skipped some item): {fits}. {inv.verdict}"
                if inv.missing == "fiml"
                else f"Measurement invariance ({inv.estimator}, listwise, {inv.n_used} respondents): {fits}. {inv.verdict}"
            ]
            if inv.level == "partial scalar":
                s.append(f"Intercepts freed for partial scalar invariance: {', '.join(freed)}.")
            elif inv.level == "scalar":
                s.append("No intercept had to be freed.")
            if len(lm):
                s.append(
                    f"Latent means against {pl.get(ref, ref)} (in standard deviations of its latent variable; "
                    f"Holm-adjusted p < {alpha:g}; other differences not significant): "
                    + ("; ".join(diffs) + "." if diffs else "no difference.")
                )
            if len(blocked):
                s.append(
                    f"The means of {', '.join(lab.get(c, c) for c in blocked['construct'])} cannot be compared across "
                    f"places: {blocked['reason'].iloc[0]}."
                )
            if synthetic:
                s.append("(Synthetic data.)")
            out[lang] = " ".join(s)
        else:
            how = f"FIML、{inv.estimator}估计" if inv.missing == "fiml" else f"{inv.estimator}估计、成列删除"
            s = [
                f"整套量表（{len(inv.constructs)}个构念、{n_items}个题项）在{len(inv.case_ids)}地之间的测量等值性（{how}，"
                f"{inv.n_used}名受访者，其中{inv.n_incomplete}名有漏答）：{fits}。{_ZH_VERDICT[inv.level]}"
            ]
            if inv.level == "partial scalar":
                s.append(f"为达到部分标量等值而放开截距的题项：{'、'.join(freed)}。")
            elif inv.level == "scalar":
                s.append("无需放开任何截距。")
            if len(lm):
                s.append(
                    f"以{pl.get(ref, ref)}为参照的潜变量均值差异（以其潜变量标准差为单位；Holm校正后p < {alpha:g}；其余差异不显著）："
                    + ("；".join(diffs) + "。" if diffs else "无显著差异。")
                )
            if len(blocked):
                s.append(
                    f"{'、'.join(lab.get(c, c) for c in blocked['construct'])}的均值不能在各地之间比较（截距不等）。"
                )
            if synthetic:
                s.append("（合成数据。）")
            out[lang] = "".join(s)
    return out
