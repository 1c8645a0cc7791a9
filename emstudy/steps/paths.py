"""The framework's path model of perceived effectiveness in one case (notebook 04), with indirect effects.

Each case file names its analytical framework as ordered dimensions, each a list of constructs (e.g. Yima:
prevention -> response -> recovery). :func:`path_model_syntax` turns that into a structural equation model
(lavaan syntax) and :func:`run` fits it by :func:`emstudy.stats.sem` with FIML, bootstraps it and says what
it found in English and Chinese.

The model (the study's default)
-------------------------------
* **One latent variable per framework dimension**, measured by a single indicator: the dimension score, the
  mean of its constructs' scores (a respondent needs every construct score of the dimension; otherwise the
  score is missing and FIML uses the respondent's other answers). Its loading is fixed to 1 and its residual
  variance to 0 (lavaan ``prevention =~ 1*prevention_score`` and ``prevention_score ~~ 0*prevention_score``),
  as single-indicator path models in AMOS do.
* **Perceived effectiveness** (the codebook's outcome) is a latent variable measured by its items.
* **Structure**: the dimensions in their framework order as a chain (each regressed on the one before it,
  paths ``a1, a2, ...``), and every dimension with a direct path to the outcome (``c1, c2, ...``). For every
  dimension ``i`` and every later dimension ``j`` the indirect effect through the chain,
  ``ind_<i>_<j> := a_i * ... * a_{j-1} * c_j`` (e.g. prevention -> response -> effectiveness), and the total
  effect ``total_<i> := c_i + sum_j ind_<i>_<j>``.

Why single-indicator dimensions and not dimension factors indicated by the construct scores as parcels:
a framework dimension is a grouping of constructs the thesis chose, not a factor the instrument was built to
measure. A factor measured by its constructs' parcels takes up only what those constructs share, and when
constructs correlate about equally within and across dimensions (as in the synthetic study, whose eleven
constructs all correlate 0.40 by design), the dimension factors are the same common factor: they correlate
near 1 and the solution is improper (tried on Yima: a standardized path of 1.04 and a negative residual
variance; 9 of 50 bootstrap replicates failed, single replicates took over a minute). The dimension scores
carry measurement error, which attenuates the paths among dimensions; the outcome's is modelled.

Estimation
----------
FIML (lavaan ``sem(model, data, missing = "ml")``), standard errors from the observed information; the
intervals of the paths and of the indirect and total effects are bootstrap percentile intervals
(:func:`emstudy.stats.bootstrap`, :data:`N_BOOT` replicates drawn from the study seed; the same for any
number of workers). A replicate only estimates, by Newton's steps from the full data's estimates
(``emstudy.stats._refit._WarmRefit``: no standard errors or fit measures; the same estimates as a refit from
lavaan's start values, far below the 8 digits written): :func:`run` takes about 2.3 s of CPU for a case of
the synthetic study instead of 6.5 s (measured on Wencheng). :data:`N_BOOT` is 100, chosen when a replicate
was four times slower, so that the five cases added about a minute to ``emstudy run`` on two cores; 100
replicates give percentile limits that move by a few hundredths between seeds, enough to tell an indirect
effect from zero when it is clearly away from it, not to read its third decimal (1000 would cost about a
minute of CPU for the five cases, and change the written limits). The complete-case ML fit is reported
beside it (Wald intervals).

The model is not fitted when the complete respondents do not outnumber the free parameters, or a dimension
has no score (:class:`~emstudy.survey.limits.Limitation`, said in both languages).

References
----------
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of Statistical Software,
48(2), 1-36.
Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling strategies for assessing and comparing
indirect effects in multiple mediator models. Behavior Research Methods, 40, 879-891.
Enders, C. K. (2010). Applied Missing Data Analysis. Guilford.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.errors import EmstudyWarning
from emstudy.fileio import write_csv, write_json
from emstudy.stats import BootstrapResult, bootstrap, sem
from emstudy.stats._common import single_thread_blas
from emstudy.stats._refit import _WarmRefit
from emstudy.stats.cfa import CFAResult
from emstudy.steps import files
from emstudy.steps.context import EncodedResults
from emstudy.survey.cases import Case
from emstudy.survey.limits import Limitation

__all__ = [
    "N_BOOT",
    "PATH_COLUMNS",
    "PathResults",
    "path_model_syntax",
    "path_data",
    "path_sentences",
    "run",
    "write_results",
]

#: Bootstrap replicates of the path model (see the module notes for the choice).
N_BOOT = 100
#: Columns of the path model's parameter table (lavaan's ``parameterEstimates``), after ``fit``.
PATH_COLUMNS = ("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all")
_SUFFIX = "_score"


def path_model_syntax(dimensions: list[tuple[str, list[str]]], outcome: str, outcome_items: list[str]) -> str:
    """The framework's path model in lavaan syntax (see the module notes).

    Parameters
    ----------
    dimensions : list of (str, list of str)
        The framework's dimensions in order: ``(dimension id, its constructs)``; at least two.
    outcome : str
        The outcome construct (a latent variable).
    outcome_items : list of str
        Its items (at least two).

    Returns
    -------
    str
        One statement per line: measurement, chain ``~`` paths ``a<k>``, direct paths ``c<k>``, then the
        ``:=`` indirect (``ind_<from>_<to>``) and total (``total_<from>``) effects.

    Examples
    --------
    >>> print(path_model_syntax([("p", ["plan"]), ("r", ["response"])], "eff", ["E1", "E2"]))
    p =~ 1*p_score
    p_score ~~ 0*p_score
    r =~ 1*r_score
    r_score ~~ 0*r_score
    eff =~ E1 + E2
    r ~ a1*p
    eff ~ c1*p + c2*r
    ind_p_r := a1*c2
    total_p := c1 + a1*c2
    total_r := c2
    """
    ids = [d for d, _ in dimensions]
    if len(ids) < 2 or len(set(ids)) != len(ids):
        raise ValueError(f"dimensions: expected at least two distinct dimension ids, got {ids}")
    if len(outcome_items) < 2:
        raise ValueError(f"outcome_items: the outcome needs at least two items, got {list(outcome_items)}")
    clash = sorted(set(ids) & {outcome, *outcome_items, *(f"{d}{_SUFFIX}" for d in ids)})
    if clash:
        raise ValueError(f"dimensions: id(s) {clash} clash with the outcome or its items; rename the dimension")
    lines = []
    for d in ids:
        lines += [f"{d} =~ 1*{d}{_SUFFIX}", f"{d}{_SUFFIX} ~~ 0*{d}{_SUFFIX}"]
    lines.append(f"{outcome} =~ {' + '.join(outcome_items)}")
    lines += [f"{ids[k]} ~ a{k}*{ids[k - 1]}" for k in range(1, len(ids))]
    lines.append(f"{outcome} ~ " + " + ".join(f"c{k + 1}*{d}" for k, d in enumerate(ids)))
    for i, d in enumerate(ids):
        terms = [f"c{i + 1}"]
        for j in range(i + 1, len(ids)):
            product = "*".join([*(f"a{k}" for k in range(i + 1, j + 1)), f"c{j + 1}"])
            lines.append(f"ind_{d}_{ids[j]} := {product}")
            terms.append(product)
        lines.append(f"total_{d} := {' + '.join(terms)}")
    return "\n".join(lines)


def path_data(encoded: EncodedResults) -> pd.DataFrame:
    """The model's variables: ``<dimension>_score`` per framework dimension and the outcome's items.

    A dimension score is the mean of its constructs' scores (:meth:`EncodedResults.scores`), missing
    when any of them is.
    """
    scores = encoded.scores()
    cols = {}
    for dim in encoded.case.framework.dimensions:
        present = [c for c in dim.constructs if c in scores.columns]
        block = scores[present] if present else pd.DataFrame(index=scores.index, columns=["none"], dtype=float)
        cols[f"{dim.id}{_SUFFIX}"] = block.mean(axis=1, skipna=False)
    out = encoded.codebook.outcome
    for item in encoded.codebook.scales(include_outcome=True)[out.id]:
        cols[item] = encoded.items[item].astype(float)
    return pd.DataFrame(cols, index=encoded.items.index).reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class PathResults:
    """The framework's path model of one case (:func:`run`).

    Attributes
    ----------
    case_id, model : str
        The case, and the model in lavaan syntax.
    dimensions : tuple of str
        The framework's dimension ids, in order.
    n, n_complete : int
        Respondents in the FIML fit, and those with every model variable (the complete-case fit).
    fiml, complete : CFAResult or None
    boot : BootstrapResult or None
        The bootstrap of the FIML fit (``n_boot`` replicates, ``seed``).
    sentences : dict
        ``{"en": [...], "zh": [...]}``.
    notes : tuple of str
        Warnings of the fits (as text).
    skipped : Limitation or None
        Why the model was not fitted, or None.
    """

    case_id: str
    model: str
    dimensions: tuple[str, ...]
    n: int
    n_complete: int
    fiml: CFAResult | None
    complete: CFAResult | None
    boot: BootstrapResult | None
    n_boot: int
    seed: int
    sentences: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    skipped: Limitation | None = None

    def table(self) -> pd.DataFrame:
        """Parameter table, lavaan's columns after ``fit`` (``fiml``, then ``complete_cases``).

        FIML rows: observed-information SE, z and p; ``ci_lower, ci_upper`` are the bootstrap percentile
        limits (free and ``:=`` parameters) and ``boot_se`` the bootstrap SE. Complete-case rows: Wald
        intervals, no ``boot_se``. Empty when the model was not fitted.
        """
        cols = ["fit", *PATH_COLUMNS, "boot_se"]
        if self.fiml is None or self.complete is None or self.boot is None:
            return pd.DataFrame(columns=cols)
        f = self.fiml.params.copy()
        key = ["lhs", "op", "rhs"]
        b = self.boot.params.set_index(key)
        idx = pd.MultiIndex.from_frame(f[key])
        f["ci_lower"] = b["ci_lower"].reindex(idx).to_numpy(dtype=float)
        f["ci_upper"] = b["ci_upper"].reindex(idx).to_numpy(dtype=float)
        f["boot_se"] = b["se"].reindex(idx).to_numpy(dtype=float)
        c = self.complete.params.copy()
        c["boot_se"] = np.nan
        out = pd.concat([f.assign(fit="fiml"), c.assign(fit="complete_cases")], ignore_index=True)
        return out[cols]

    def effects(self) -> pd.DataFrame:
        """The paths and the ``:=`` effects of the FIML fit with their bootstrap intervals (index ``label``)."""
        t = self.table()
        t = t[(t["fit"] == "fiml") & t["op"].isin(["~", ":="])]
        return t.set_index("label")[["lhs", "op", "rhs", "est", "se", "pvalue", "ci_lower", "ci_upper", "std_all"]]

    def fit_table(self) -> pd.DataFrame:
        """Fit measures of the FIML and the complete-case fit, one row each (empty when not fitted)."""
        fits = {"fiml": self.fiml, "complete_cases": self.complete}
        rows = {k: f.fit.to_series() for k, f in fits.items() if f is not None}
        return pd.DataFrame(rows).T.rename_axis("fit")

    def __repr__(self) -> str:
        if self.skipped is not None:
            return f"PathResults(case={self.case_id!r}, not fitted: {self.skipped})"
        f = self.fiml.fit
        return (
            f"PathResults(case={self.case_id!r}, dimensions={list(self.dimensions)}, n={self.n} (FIML), "
            f"CFI={f.cfi:.3f}, RMSEA={f.rmsea:.3f}, n_boot={self.n_boot}, failed={self.boot.n_failed})"
        )


def _limit(en: str, zh: str) -> Limitation:
    return Limitation(f"the framework's path model not fitted: {en}", f"未拟合分析框架的路径模型：{zh}")


@single_thread_blas()
def run(encoded: EncodedResults, *, seed: int, n_boot: int = N_BOOT, n_jobs: int = 1) -> PathResults:
    """Fit the framework's path model of perceived effectiveness by FIML, with bootstrap intervals.

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
        What notebook 01 kept (``load_encoded``).
    seed : int
        Seed of the bootstrap (the study seed).
    n_boot : int
        Bootstrap replicates (:data:`N_BOOT`).
    n_jobs : int
        Worker processes of the bootstrap (the result is the same for any number).

    Returns
    -------
    PathResults
        With ``skipped`` set (and no fits) when the data cannot support the model.

    Examples
    --------
    >>> res = run(load_encoded("..", "yima"), seed=20190719)  # doctest: +SKIP
    >>> res.effects().loc["ind_prevention_response"]  # doctest: +SKIP
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed: expected an integer, got {seed!r}")
    cb, case = encoded.codebook, encoded.case
    dims = [(d.id, list(d.constructs)) for d in case.framework.dimensions]
    out_items = list(cb.scales(include_outcome=True)[cb.outcome.id])
    model = path_model_syntax(dims, cb.outcome.id, out_items)
    data = path_data(encoded)
    data = data[data.notna().any(axis=1)].reset_index(drop=True)
    complete = data.dropna()
    empty = PathResults(
        case.id, model, tuple(d for d, _ in dims), len(data), len(complete), None, None, None, n_boot, int(seed)
    )
    flat = [c for c in data.columns if data[c].nunique() < 2]
    if flat:
        why = _limit(f"no variation in {', '.join(flat)}", f"{'、'.join(flat)}没有变异")
        return _skip(empty, why)
    n_free = 4 * len(dims) + 3 * len(out_items) - 1  # (residual) variances, loadings, intercepts, paths
    if len(complete) <= n_free:
        why = _limit(
            f"{len(complete)} complete respondents for {n_free} free parameters; more respondents are needed",
            f"仅{len(complete)}名受访者作答完整、模型有{n_free}个自由参数，受访者人数须多于参数个数",
        )
        return _skip(empty, why)
    fit_fn = _WarmRefit(model, {"missing": "fiml"})  # replicates: estimates only, from the full fit's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmstudyWarning)
        try:
            boot = bootstrap(fit_fn, data, n_boot=n_boot, seed=int(seed), n_jobs=n_jobs)
            cc = sem(model, complete)
        except ValueError as exc:  # e.g. a singular covariance matrix, or too few replicates could be fitted
            return _skip(
                empty, _limit(str(exc).rstrip("."), "模型无法估计（如协方差矩阵奇异，或可拟合的自助样本过少）")
            )
    notes = tuple(dict.fromkeys(str(w.message) for w in caught))
    res = PathResults(
        case.id, model, empty.dimensions, int(sum(boot.fit.n_obs)), len(complete), boot.fit, cc, boot, n_boot,
        int(seed), notes=notes,
    )  # fmt: skip
    return replace(res, sentences=path_sentences(res, case))


def _skip(empty: PathResults, why: Limitation) -> PathResults:
    return replace(empty, skipped=why, sentences={"en": [], "zh": []})


def _ci(r: pd.Series, lang: str) -> str:
    ci = "95% CI" if lang == "en" else "95%置信区间"
    if lang == "en":
        return f"b = {r['est']:.3f}, {ci} {r['ci_lower']:.3f} to {r['ci_upper']:.3f}"
    return f"b = {r['est']:.3f}，{ci}{r['ci_lower']:.3f}至{r['ci_upper']:.3f}"


def path_sentences(res: PathResults, case: Case) -> dict[str, list[str]]:
    """What the path model says, in English and Chinese: fit, indirect effects, the largest total effect.

    Parameters
    ----------
    res : PathResults
        A fitted model (``skipped`` is None).
    case : emstudy.survey.cases.Case
        The case (its framework's dimension names).

    Returns
    -------
    dict
        ``{"en": [...], "zh": [...]}``, three sentences each.
    """
    names = {d.id: {"en": d.en, "zh": d.zh} for d in case.framework.dimensions}
    f, e = res.fiml.fit, res.effects()
    chain = {lang: " -> ".join(names[d][lang] for d in res.dimensions) for lang in ("en", "zh")}
    en = [
        f"The framework's path model ({chain['en']}, each dimension also with a direct path to perceived "
        f"effectiveness; FIML, n = {res.n}; bootstrap percentile intervals from {res.n_boot} replicates, "
        f"{res.boot.n_failed} failed) fits with CFI = {f.cfi:.3f}, RMSEA = {f.rmsea:.3f}, SRMR = {f.srmr:.3f}."
    ]
    zh = [
        f"分析框架的路径模型（{chain['zh']}，各维度另有指向应急管理成效感知的直接路径；FIML，n = {res.n}；"
        f"{res.n_boot}次自助抽样的百分位区间，{res.boot.n_failed}次拟合失败）拟合指标为CFI = {f.cfi:.3f}、"
        f"RMSEA = {f.rmsea:.3f}、SRMR = {f.srmr:.3f}。"
    ]
    ind = e[e.index.str.startswith("ind_")]
    clear = ind[(ind["ci_lower"] > 0) | (ind["ci_upper"] < 0)]

    def route(label: str, lang: str) -> str:
        a, b = _split(label, res.dimensions)
        i, j = res.dimensions.index(a), res.dimensions.index(b)
        steps = [names[d][lang] for d in res.dimensions[i : j + 1]]
        return " -> ".join([*steps, "effectiveness" if lang == "en" else "成效感知"])

    top3 = clear.loc[clear["est"].abs().sort_values(ascending=False, kind="mergesort").index[:3]]
    if len(clear):
        en.append(
            f"Indirect effects whose bootstrap interval excludes zero: {len(clear)} of {len(ind)}; the largest: "
            + "; ".join(f"{route(k, 'en')} ({_ci(r, 'en')})" for k, r in top3.iterrows())
            + "."
        )
        zh.append(
            f"{len(ind)}个间接效应中有{len(clear)}个的自助区间不含零，其中最大的为："
            + "；".join(f"{route(k, 'zh')}（{_ci(r, 'zh')}）" for k, r in top3.iterrows())
            + "。"
        )
    else:
        en.append(f"None of the {len(ind)} indirect effects has a bootstrap interval excluding zero.")
        zh.append(f"{len(ind)}个间接效应的自助区间均包含零。")
    tot = e[e.index.str.startswith("total_")]
    top = tot["est"].abs().idxmax()
    d = top[len("total_") :]
    cc = res.complete.params.set_index("label").loc[top, "est"]
    en.append(
        f"The largest total effect on perceived effectiveness is that of {names[d]['en']} ({_ci(tot.loc[top], 'en')}); "
        f"on the {res.n_complete} complete cases alone it is b = {cc:.3f}."
    )
    zh.append(
        f"对成效感知总效应最大的是{names[d]['zh']}（{_ci(tot.loc[top], 'zh')}）；仅用{res.n_complete}份完整个案时为"
        f"b = {cc:.3f}。"
    )
    return {"en": en, "zh": zh}


def _split(label: str, dims: tuple[str, ...]) -> tuple[str, str]:
    """``ind_<from>_<to>`` with underscores inside the ids: the pair of dimension ids that spells it."""
    rest = label[4:]
    for a in dims:
        for b in dims:
            if rest == f"{a}_{b}":
                return a, b
    raise ValueError(f"label: {label!r} names no pair of dimensions")


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 6)


def write_results(results: PathResults, results_dir: str | Path) -> list[Path]:
    """Write ``path_model.csv`` (:meth:`PathResults.table`) and ``path_model.json`` (model, fits, bootstrap)."""
    if not isinstance(results, PathResults):
        raise ValueError(f"results: expected PathResults, got {type(results).__name__}")
    d = Path(results_dir)
    summary = {
        "case": results.case_id,
        "model": results.model,
        "dimensions": list(results.dimensions),
        "estimator": "ML",
        "missing": "fiml",
        "se": "observed information; ci_lower/ci_upper of the fiml rows: bootstrap percentile",
        "n": results.n,
        "n_complete": results.n_complete,
        "bootstrap": None
        if results.boot is None
        else {"n_boot": results.n_boot, "n_failed": results.boot.n_failed, "seed": results.seed, "type": "percentile"},
        "fits": {
            name: None if f is None else {k: _num(v) for k, v in f.fit.to_series().items()}
            for name, f in (("fiml", results.fiml), ("complete_cases", results.complete))
        },
        "convention": "lavaan::sem(model, data, missing = 'ml', se = 'bootstrap'); "
        "parameterEstimates(fit, boot.ci.type = 'perc', standardized = TRUE)",
        "sentences": dict(results.sentences),
        "notes": list(results.notes),
        "not_fitted": None if results.skipped is None else results.skipped.to_dict(),  # drivers.json lists it
    }
    return [
        write_csv(d / files.PATH_MODEL, results.table(), index=False),
        write_json(d / files.PATH_MODEL_SUMMARY, summary),
    ]
