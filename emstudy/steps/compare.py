"""Study-level comparison across cases: means, differences, shared and particular weaknesses, pooled
drivers, measurement invariance across cases, and the comparison figures.

Every statistic comes from :mod:`emstudy.stats` (group comparisons, pooled models, invariance); this module
arranges them across the cases and writes the results of ``notebooks/05_compare.ipynb`` into
``analysis/all/results/``.

Conventions
-----------
* Construct scores are the codebook's scale means (1-5, reverse keys applied); a respondent lacking a
  score is left out of that construct's analyses only.
* *Below the other cases* (:func:`below_others`): Welch's t-test of case ``a`` against all other cases
  pooled (R ``t.test(x[case == a], x[case != a], var.equal = FALSE)``), two-sided, Holm-adjusted within each
  case (Holm 1979); *significantly below* when the adjusted p < ``alpha`` and the case mean is lower.
* By multiple imputation (:mod:`emstudy.steps.compare_imputed`): the same comparison on each of the
  imputed sets notebook 04 made per case (its ``imputed_means.csv``: the construct scores imputed, see
  :mod:`emstudy.steps.drivers_imputed`), the difference and its Welch SE pooled by Rubin's rules
  (Barnard-Rubin df with Welch's df as the complete-data df), Holm within each case, beside the complete
  cases (``below_others_imputed.csv``). Not computed, and said so, when a case has no imputed sets.
* Invariance across cases (:func:`case_invariance`, in :mod:`emstudy.steps.compare_invariance`) is tested on
  the whole instrument by FIML with MLR, every respondent used. Latent means compare at the scalar (or
  partial scalar) level only; at the metric level only relations (slopes, correlations) may be compared
  (Meredith 1993).

References
----------
Welch, B. L. (1947). The generalization of Student's problem when several different population variances
are involved. *Biometrika*, 34, 28-35.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Statist.*, 6, 65-70.
Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance. *Psychometrika*,
58, 525-543.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from emstudy.fileio import write_csv, write_json
from emstudy.stats._common import fit_warning_categories, record_warnings
from emstudy.stats.descriptives import mean_ci
from emstudy.stats.groups import GroupComparison, compare_groups, welch_test
from emstudy.stats.multitest import holm
from emstudy.stats.pooled import pooled_model
from emstudy.steps import files
from emstudy.steps.compare_imputed import load_imputed_means, pooled_below_others
from emstudy.steps.compare_invariance import CaseInvariance, case_invariance, invariance_text, means_verdict
from emstudy.steps.context import CASE_COLUMN, CrossCase
from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook

__all__ = [
    "CaseMeans",
    "CaseComparison",
    "CaseInvariance",
    "means_by_case",
    "compare_cases",
    "below_others",
    "shared_weaknesses",
    "pooled_drivers",
    "case_invariance",
    "means_verdict",
    "CompareResults",
    "run",
    "write_results",
    "write_figures",
]


def _check(scores: pd.DataFrame, constructs: Sequence[str], case_col: str) -> list[str]:
    constructs = list(constructs)
    if not constructs:
        raise ValueError("constructs: expected at least one construct column")
    missing = [c for c in [*constructs, case_col] if c not in scores.columns]
    if missing:
        raise ValueError(f"scores: column(s) {missing} not found; available: {list(scores.columns)}")
    return constructs


def _case_levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    return sorted(series.dropna().unique().tolist())


# ----------------------------------------------------------------------------------------- means


class CaseMeans(NamedTuple):
    """Construct means by case: ``long`` (construct, case, n, mean, sd, se, ci_lower, ci_upper) and
    ``wide`` (constructs by cases, means)."""

    long: pd.DataFrame
    wide: pd.DataFrame


def means_by_case(
    scores: pd.DataFrame, *, constructs: Sequence[str], case_col: str = CASE_COLUMN, conf_level: float = 0.95
) -> CaseMeans:
    """Mean of each construct in each case with a t-based confidence interval.

    Parameters
    ----------
    scores : pandas.DataFrame
        Construct scores and the case column.
    constructs : sequence of str
        Construct columns, in the order of the output.
    case_col : str, default "case"
    conf_level : float, default 0.95

    Returns
    -------
    CaseMeans
        ``long``: one row per construct and case, ``mean +/- t_{n-1} * sd / sqrt(n)``
        (:func:`emstudy.stats.descriptives.mean_ci`); ``wide``: means
        with constructs as rows and cases as columns.

    Examples
    --------
    >>> df = pd.DataFrame({"case": list("aabb"), "x": [1.0, 2.0, 3.0, 5.0]})
    >>> float(means_by_case(df, constructs=["x"]).wide.loc["x", "b"])
    4.0
    """
    constructs = _check(scores, constructs, case_col)
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number in (0, 1), got {conf_level!r}")
    rows = []
    levels = _case_levels(scores[case_col])
    for c in constructs:
        for lev in levels:
            r = mean_ci(scores.loc[scores[case_col] == lev, c].to_numpy(dtype=float), conf_level=conf_level)
            if r.n < 2:
                raise ValueError(f"case {lev!r}: construct {c!r} has {r.n} score(s); expected at least 2")
            rows.append(
                {
                    "construct": c,
                    "case": lev,
                    "n": r.n,
                    "mean": r.mean,
                    "sd": r.sd,
                    "se": r.se,
                    "ci_lower": r.ci_lower,
                    "ci_upper": r.ci_upper,
                }
            )
    long = pd.DataFrame(rows)
    wide = long.pivot(index="construct", columns="case", values="mean").reindex(index=constructs, columns=levels)
    wide.columns.name = None
    return CaseMeans(long, wide)


# ----------------------------------------------------------------------------------------- differences


@dataclass(frozen=True, eq=False)
class CaseComparison:
    """Result of :func:`compare_cases`.

    Attributes
    ----------
    omnibus : pandas.DataFrame
        One row per construct: ``construct, F, df1, df2, pvalue, eta_squared, omega_squared, n``.
    posthoc : pandas.DataFrame
        Games-Howell pairs of every construct: ``construct, pair, group1, group2, diff, se,
        statistic, df, pvalue_adj, ci_lower, ci_upper``.
    results : dict of str to emstudy.stats.regression.GroupComparison
    """

    omnibus: pd.DataFrame
    posthoc: pd.DataFrame
    results: Mapping[str, GroupComparison]

    def __repr__(self) -> str:
        return f"CaseComparison(constructs={list(self.results)})"


def compare_cases(scores: pd.DataFrame, *, constructs: Sequence[str], case_col: str = CASE_COLUMN) -> CaseComparison:
    """Welch's ANOVA across cases, Games-Howell pairs and omega-squared, for each construct.

    Parameters
    ----------
    scores : pandas.DataFrame
    constructs : sequence of str
    case_col : str, default "case"

    Returns
    -------
    CaseComparison

    Notes
    -----
    Each construct is one :func:`emstudy.stats.regression.compare_groups` call with ``method="welch"``
    (R ``oneway.test(score ~ case, var.equal = FALSE)``; Games & Howell 1976). Games-Howell controls the
    error rate across the pairs of one construct, not across constructs.

    Examples
    --------
    >>> df = pd.DataFrame({"case": list("aaabbbccc"), "x": [1, 2, 3, 2, 3, 4, 5, 6, 7.5]})
    >>> compare_cases(df, constructs=["x"]).omnibus.construct.tolist()
    ['x']
    """
    constructs = _check(scores, constructs, case_col)
    results, om_rows, ph = {}, [], []
    for c in constructs:
        res = compare_groups(scores, c, case_col, method="welch")
        results[c] = res
        om = res.omnibus.iloc[0]
        eff = res.effect_sizes.set_index("measure")["value"]
        om_rows.append(
            {
                "construct": c,
                "F": float(om["statistic"]),
                "df1": float(om["df1"]),
                "df2": float(om["df2"]),
                "pvalue": float(om["pvalue"]),
                "eta_squared": float(eff["eta_squared"]),
                "omega_squared": float(eff["omega_squared"]),
                "n": int(res.n),
            }
        )
        ph.append(res.posthoc.drop(columns=["pvalue"]).assign(construct=c))
    posthoc = pd.concat(ph, ignore_index=True)
    posthoc = posthoc[["construct", *[k for k in posthoc.columns if k != "construct"]]]
    posthoc["group1"] = posthoc["group1"].astype(str)
    posthoc["group2"] = posthoc["group2"].astype(str)
    return CaseComparison(pd.DataFrame(om_rows), posthoc, results)


def below_others(
    scores: pd.DataFrame, *, constructs: Sequence[str], case_col: str = CASE_COLUMN, alpha: float = 0.05
) -> pd.DataFrame:
    """For each case, the constructs on which it scores significantly below the other cases.

    Parameters
    ----------
    scores : pandas.DataFrame
    constructs : sequence of str
    case_col : str, default "case"
    alpha : float, default 0.05
        Level applied to the Holm-adjusted p values.

    Returns
    -------
    pandas.DataFrame
        One row per case and construct: ``case, construct, mean_case, mean_others, diff`` (case minus
        others), ``t, df`` (Welch-Satterthwaite), ``pvalue`` (two-sided), ``pvalue_holm`` (Holm over the
        constructs of one case) and ``below`` (``pvalue_holm < alpha`` and ``diff < 0``).

    Notes
    -----
    The others are the respondents of all other cases pooled, so their mean is the respondent-weighted
    mean of the other cases (R ``t.test(x[case == a], x[case != a], var.equal = FALSE)`` then
    ``p.adjust(p, "holm")`` over the case's constructs).

    Examples
    --------
    >>> df = pd.DataFrame({"case": list("aaabbbccc"), "x": [1, 2, 1.5, 4, 5, 4.5, 4, 5, 4.2]})
    >>> bool(below_others(df, constructs=["x"]).query("case == 'a'").below.iloc[0])
    True
    """
    constructs = _check(scores, constructs, case_col)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: expected a number in (0, 1), got {alpha!r}")
    out = []
    for lev in _case_levels(scores[case_col]):
        mine = scores[case_col] == lev
        rows = []
        for c in constructs:
            a = scores.loc[mine, c].dropna().to_numpy(dtype=float)
            b = scores.loc[~mine & scores[case_col].notna(), c].dropna().to_numpy(dtype=float)
            if len(a) < 2 or len(b) < 2:
                raise ValueError(f"case {lev!r}, construct {c!r}: expected at least 2 scores on each side")
            res = welch_test(a, b)
            rows.append(
                {
                    "case": str(lev),
                    "construct": c,
                    "mean_case": float(a.mean()),
                    "mean_others": float(b.mean()),
                    "diff": res.diff,
                    "t": res.t,
                    "df": res.df,
                    "pvalue": res.pvalue,
                }
            )
        block = pd.DataFrame(rows)
        block["pvalue_holm"] = holm(block["pvalue"].to_numpy())
        block["below"] = (block["pvalue_holm"] < alpha) & (block["diff"] < 0)
        out.append(block)
    return pd.concat(out, ignore_index=True)


def shared_weaknesses(below: pd.DataFrame, *, listed: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Which weaknesses several cases share and which are particular to one case.

    Parameters
    ----------
    below : pandas.DataFrame
        Output of :func:`below_others`.
    listed : mapping of case id to sequence of construct ids, optional
        The weaknesses each case's thesis reports (``Case.weaknesses``), set beside what the data show.

    Returns
    -------
    pandas.DataFrame
        One row per construct found significantly below in at least one case, or listed by a case:
        ``construct, cases_found`` (comma-separated), ``n_found``, ``pattern`` (``"shared"``: found in 2+
        cases; ``"particular"``: in one; ``"not found"``: listed but found in none), and, with `listed`,
        ``cases_listed``, ``n_listed`` and ``listed_not_found`` (cases that list it where the data do not
        show it). Sorted by ``n_found`` (descending), then construct.
    """
    need = {"case", "construct", "below"}
    if not need <= set(below.columns):
        raise ValueError(f"below: expected the columns {sorted(need)} of below_others(), got {list(below.columns)}")
    found: dict[str, list[str]] = {}
    for row in below.itertuples(index=False):
        found.setdefault(row.construct, [])
        if row.below:
            found[row.construct].append(str(row.case))
    lists: dict[str, list[str]] = {}
    for case_id, cons in (listed or {}).items():
        for c in cons:
            lists.setdefault(c, []).append(case_id)
    rows = []
    for c in found:
        f, lst = found[c], lists.get(c, [])
        if not f and not lst:
            continue
        row = {
            "construct": c,
            "cases_found": ", ".join(f),
            "n_found": len(f),
            "pattern": "shared" if len(f) > 1 else "particular" if f else "not found",
        }
        if listed is not None:
            row.update(
                {
                    "cases_listed": ", ".join(lst),
                    "n_listed": len(lst),
                    "listed_not_found": ", ".join(x for x in lst if x not in f),
                }
            )
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values(["n_found", "construct"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def weakness_recovery(below: pd.DataFrame, listed: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Per case: the listed weaknesses, those found significantly below the others, and the extra finds.

    Returns
    -------
    pandas.DataFrame
        ``case, listed, found_listed, n_listed, n_found_listed, found_not_listed``.
    """
    rows = []
    for case_id, cons in listed.items():
        sub = below[below["case"] == case_id]
        hit = set(sub.loc[sub["below"], "construct"])
        rows.append(
            {
                "case": case_id,
                "listed": ", ".join(cons),
                "found_listed": ", ".join(c for c in cons if c in hit),
                "n_listed": len(cons),
                "n_found_listed": sum(c in hit for c in cons),
                "found_not_listed": ", ".join(c for c in sub["construct"] if c in hit and c not in cons),
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------- pooled


def pooled_drivers(
    scores: pd.DataFrame, *, predictors: Sequence[str], outcome: str = "effectiveness", case_col: str = CASE_COLUMN
) -> pd.DataFrame:
    """Drivers of the outcome pooled over cases: random case intercepts (REML) and case fixed effects.

    Parameters
    ----------
    scores : pandas.DataFrame
    predictors : sequence of str
        Construct columns.
    outcome : str, default "effectiveness"
    case_col : str, default "case"

    Returns
    -------
    pandas.DataFrame
        Rows of both models (``model`` = ``"random intercepts (REML)"`` or ``"case fixed effects (HC3)"``):
        ``model, term, coef, se, stat, pvalue, ci_lower, ci_upper`` plus ``var_case, var_resid, icc, n``
        and ``note`` (repeated per row). Random: ``lme4::lmer(y ~ x + (1 | case), REML = TRUE)`` with Wald z;
        fixed: OLS with case dummies and HC3 standard errors (see :func:`emstudy.stats.pooled.pooled_model`).

    Notes
    -----
    The warnings of :func:`emstudy.stats.pooled.pooled_model` (emstudy's and statsmodels' categories;
    other warnings pass through) are caught and summarised in ``note``: when the
    case variance is estimated at zero (a singular fit, as ``lme4`` reports it), the random-intercept
    fixed effects equal pooled OLS and the note says so.
    """
    predictors = _check(scores, predictors, case_col)
    data = scores[[outcome, *predictors]].copy()
    data[case_col] = scores[case_col].astype(str)
    parts = []
    for random, name in ((True, "random intercepts (REML)"), (False, "case fixed effects (HC3)")):
        with record_warnings(*fit_warning_categories()) as caught:
            res = pooled_model(data, outcome=outcome, predictors=predictors, group=case_col, random=random)
        note = ""
        table = res.to_frame()
        var_resid = res.var_resid
        if random and res.var_group <= 1e-8 * res.var_resid:
            note = (
                "singular fit: case variance estimated at zero (cases do not differ beyond the predictors); "
                "fixed effects are the REML solution on the boundary (= OLS, model-based SE, Wald z)"
            )
        elif caught:
            note = "; ".join(str(w.message).split(":")[1].strip()[:120] for w in caught)
        parts.append(
            table.assign(model=name, var_case=res.var_group, var_resid=var_resid, icc=res.icc, n=res.n, note=note)
        )
    out = pd.concat(parts, ignore_index=True)
    cols = [
        "model",
        "term",
        "coef",
        "se",
        "stat",
        "pvalue",
        "ci_lower",
        "ci_upper",
        "var_case",
        "var_resid",
        "icc",
        "n",
        "note",
    ]
    return out[cols]


# ----------------------------------------------------------------------------------------- the step


@dataclass(frozen=True, eq=False)
class CompareResults:
    """The cross-case results of notebook 05 (see :func:`run`)."""

    means: CaseMeans
    invariance: CaseInvariance
    comparison: CaseComparison
    below: pd.DataFrame
    shared: pd.DataFrame
    pooled: pd.DataFrame
    synthetic: bool
    invariance_text: Mapping[str, str] = field(default_factory=dict)
    #: :func:`below_others` by multiple imputation, beside the complete cases (empty when not computed).
    below_imputed: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Why ``below_imputed`` is empty, in English and Chinese (empty when computed).
    imputed_note: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"CompareResults(cases={list(self.means.wide.columns)}, invariance={self.invariance.level!r}, "
            f"synthetic={self.synthetic})"
        )


def run(cc: CrossCase, *, invariance_constructs: Sequence[str] | None = None) -> CompareResults:
    """Every cross-case analysis of notebook 05 on the stacked cases of :func:`emstudy.steps.context.load_all`.

    Construct means by case (core constructs and the outcome), invariance across cases of the whole
    instrument by FIML with MLR and the latent mean differences it allows (:func:`case_invariance`; with
    ``invariance_constructs``, of those constructs only), Welch/Games-Howell comparisons, each case against
    the others (:func:`below_others`), the weaknesses shared by several cases beside those the theses list
    (:func:`shared_weaknesses`) and the pooled drivers model.
    """
    if not isinstance(cc, CrossCase):
        raise TypeError(f"cc: expected the CrossCase of emstudy.steps.context.load_all, got {type(cc).__name__}")
    means = means_by_case(cc.scores, constructs=[*cc.constructs, "effectiveness"])
    inv = case_invariance(cc, constructs=invariance_constructs)
    text = invariance_text(
        inv,
        labels={lang: {c: cc.codebook.label(c, lang) for c in inv.constructs} for lang in ("en", "zh")},
        places={
            "en": {c: cc.cases[c].name.en for c in cc.case_ids},
            "zh": {c: cc.cases[c].name.zh for c in cc.case_ids},
        },
        synthetic=cc.synthetic,
    )
    comparison = compare_cases(cc.scores, constructs=cc.constructs)
    below = below_others(cc.scores, constructs=cc.constructs)
    shared = shared_weaknesses(below, listed=cc.weaknesses())
    pooled = pooled_drivers(cc.scores, predictors=cc.constructs)
    below_imp, note = _below_imputed(cc, below)
    return CompareResults(means, inv, comparison, below, shared, pooled, cc.synthetic, text, below_imp, note)


def _below_imputed(cc: CrossCase, below: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """:func:`below_others` pooled over the imputed sets of notebook 04, or an empty table and why not."""
    moments, missing = load_imputed_means({c: cc.encoded[c].project.results_dir(c) for c in cc.case_ids})
    if missing:
        return pd.DataFrame(), {
            "en": f"not computed by multiple imputation: no imputed sets for case(s) {', '.join(missing)} "
            "(their drivers models were not fitted in notebook 04)",
            "zh": f"未做多重插补比较：案例{'、'.join(missing)}没有插补数据集（其驱动因素模型未在第04本笔记本中拟合）",
        }
    return pooled_below_others(moments, constructs=cc.constructs, complete_case=below), {}


def write_results(results: CompareResults, results_dir: str | Path) -> list[Path]:
    """Write the cross-case results (CSV at six decimals, JSON sorted) into `results_dir`.

    Returns
    -------
    list of Path
        ``construct_means_by_case.csv``, ``case_differences.csv``, ``posthoc.csv``,
        ``below_others.csv``, ``below_others_imputed.csv``, ``shared_particular.csv``, ``pooled_drivers.csv``, ``invariance.json`` (with
        the findings in English and Chinese under ``text``), ``latent_means.csv``.
    """
    if not isinstance(results, CompareResults):
        raise TypeError(
            f"results: expected the CompareResults of emstudy.steps.compare.run, got {type(results).__name__}"
        )
    d = Path(results_dir)
    d.mkdir(parents=True, exist_ok=True)
    return [
        write_csv(d / files.CONSTRUCT_MEANS_BY_CASE, results.means.long, index=False),
        write_csv(d / files.CASE_DIFFERENCES, results.comparison.omnibus, index=False),
        write_csv(d / files.POSTHOC, results.comparison.posthoc, index=False),
        write_csv(d / files.BELOW_OTHERS, results.below, index=False),
        write_csv(d / files.BELOW_OTHERS_IMPUTED, results.below_imputed, index=False),
        write_csv(d / files.WEAKNESSES_BELOW_OTHERS, results.shared, index=False),
        write_csv(d / files.POOLED_DRIVERS, results.pooled, index=False),
        write_json(
            d / files.INVARIANCE,
            {
                **results.invariance.to_dict(),
                "text": dict(results.invariance_text),
                "synthetic": bool(results.synthetic),
            },
        ),
        write_csv(d / files.LATENT_MEANS, results.invariance.latent_means(), index=False),
    ]


_FIGURE_TITLES = {
    "en": {"profiles": "Construct means by place with 95% CIs", "heatmap": "Construct means by place"},
    "zh": {"profiles": "各地构念均值及95%置信区间", "heatmap": "各地构念均值"},
}
_SYNTHETIC_MARK = {"en": " (synthetic data)", "zh": "（合成数据）"}


def write_figures(
    results: CompareResults, reports_dir: str | Path, *, codebook: Codebook, cases: Mapping[str, Case]
) -> list[Path]:
    """Save the profiles and the heatmap of the core constructs' means by case under ``reports_dir`` (byte-stable
    PNG), once per report language (:func:`emstudy.steps.files.profiles_figure`, ``heatmap_figure``).

    Each language's figures name the constructs by ``codebook``'s labels and the places by their names in
    ``cases`` (case id to :class:`~emstudy.survey.cases.Case`), in that language; the titles say when the data
    are synthetic.
    """
    from emstudy.reporting.figures import plot_case_heatmap, plot_case_profiles, save_figure
    from emstudy.reporting.pages import LANGS

    long, wide = results.means.long, results.means.wide
    long, wide = long[long["construct"] != "effectiveness"], wide.drop(index="effectiveness")
    d = Path(reports_dir)
    written: list[Path] = []
    for lang in LANGS:
        labels = {c: codebook.label(c, lang) for c in wide.index}
        places = {c: cases[c].name.en if lang == "en" else cases[c].name.zh for c in wide.columns if c in cases}
        mark = _SYNTHETIC_MARK[lang] if results.synthetic else ""
        titles = {key: f"{title}{mark}" for key, title in _FIGURE_TITLES[lang].items()}
        profiles = plot_case_profiles(long, labels=labels, case_labels=places, title=titles["profiles"], lang=lang)
        heatmap = plot_case_heatmap(wide, labels=labels, case_labels=places, title=titles["heatmap"], lang=lang)
        written += [
            save_figure(profiles, d / files.profiles_figure(lang)),
            save_figure(heatmap, d / files.heatmap_figure(lang)),
        ]
    return written
