"""What drives perceived effectiveness in one case: study-level wiring of :mod:`emstudy.stats.regression`.

Functions for notebook 04 (per case). Each takes what notebook 01 kept (``emstudy.steps.context.load_encoded``)
and the codebook it carries; the statistics themselves live in :mod:`emstudy.stats.regression` (tested against R):

* :func:`construct_means` -- mean, SD, n and t-based interval of every construct score (core + outcome);
* :func:`case_drivers` -- OLS of the outcome score on the eleven core construct scores with the
  respondent's role as covariate (dummy-coded, residents as reference), HC3 standard errors, listwise;
* :func:`case_ordinal_drivers` -- proportional-odds logit of the overall rating (1-5) on the core scores;
* :func:`role_comparison` -- Welch's ANOVA + Games-Howell across roles for every construct score;
* :func:`case_ipa` -- importance-performance analysis (importance = standardized weight, performance =
  construct mean);
* :func:`case_imputed_models` -- the OLS drivers, the ordinal model and the construct means by multiple
  imputation (:mod:`emstudy.steps.drivers_imputed`: :data:`M_IMPUTATIONS` sets seeded from the study seed,
  Rubin's rules with Barnard-Rubin df), beside the complete cases; :func:`case_imputed_drivers` its OLS part;
* the framework's latent path model with its indirect effects (:mod:`emstudy.steps.paths`);
* :func:`run` -- all of the above with sentences in English and Chinese;
* :func:`write_results` -- the machine-readable results.

Conventions
-----------
Construct scores are :func:`emstudy.survey.encode.construct_scores`: the mean of a construct's items (reverse keys
applied) when at least 3 of its 4 items were answered, else missing. Every model uses the respondents with
all of its variables present (listwise); the number dropped is reported. Role levels are ordered
``res, ent, gov`` so that residents are the reference of the dummies and ``gov-res`` is the government
staff's mean minus the residents'.

Multiple imputation: :mod:`emstudy.steps.drivers_imputed` (what is imputed and why is in its notes).

Warnings raised by the model fits (e.g. an ordinal fit that does not converge) are caught and kept in
``DriversResults.notes`` and in ``drivers.json`` instead of being printed into the notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.fileio import write_csv, write_json
from emstudy.stats._common import fit_warning_categories, record_warnings
from emstudy.stats.descriptives import mean_ci
from emstudy.stats.groups import compare_groups
from emstudy.stats.imputation import PooledDriversResult
from emstudy.stats.ipa import IPAResult, importance_performance
from emstudy.stats.regression import DriversResult, OrdinalResult, drivers, ordinal_drivers
from emstudy.steps import drivers_imputed, files, paths
from emstudy.steps.context import EncodedResults
from emstudy.steps.drivers_imputed import M_IMPUTATIONS, ImputedModels, imputation_sentences, imputed_models
from emstudy.steps.paths import PathResults
from emstudy.survey.limits import Limitation, model_limit, model_role_limit, role_limit
from emstudy.survey.simulate import STUDY_SEED

__all__ = [
    "ROLE_ORDER",
    "M_IMPUTATIONS",
    "DriversResults",
    "study_frame",
    "construct_means",
    "case_drivers",
    "case_ordinal_drivers",
    "role_comparison",
    "drivers_limitations",
    "case_ipa",
    "case_imputed_drivers",
    "case_imputed_models",
    "imputation_sentences",
    "drivers_sentences",
    "run",
    "write_results",
]

#: Role levels in model order: the first (residents) is the reference of the role dummies.
ROLE_ORDER = ("res", "ent", "gov")
_ROLE = "role"
_OVERALL = "overall"
_ROLE_COLUMNS = (
    "n",
    *(f"mean_{r}" for r in ROLE_ORDER),
    "F",
    "df1",
    "df2",
    "pvalue",
    "omega_squared",
    "gov_minus_res",
    "gov_res_pvalue_adj",
    "gov_res_ci_lower",
    "gov_res_ci_upper",
)


def _check_encoded(encoded: object) -> None:
    for attr in ("items", "background", "codebook", "scores"):
        if not hasattr(encoded, attr):
            raise ValueError(
                f"encoded: expected the result of emstudy.steps.context.load_encoded (with .{attr}), "
                f"got {type(encoded).__name__}"
            )


def study_frame(encoded: EncodedResults) -> pd.DataFrame:
    """Construct scores (core + outcome) with ``role`` (ordered ``res, ent, gov``) and ``overall``.

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
        What notebook 01 kept (``load_encoded``).

    Returns
    -------
    pandas.DataFrame
        One row per kept respondent: the twelve construct scores, ``role`` as a categorical with
        categories :data:`ROLE_ORDER` and ``overall`` (float, 1-5).

    Raises
    ------
    ValueError
        If `encoded` lacks the expected attributes, or a role outside :data:`ROLE_ORDER` occurs.
    """
    _check_encoded(encoded)
    scores = encoded.scores()
    bg = encoded.background
    for col in (_ROLE, _OVERALL):
        if col not in bg.columns:
            raise ValueError(f"encoded.background: column {col!r} not found; available: {list(bg.columns)}")
    unknown = sorted(set(bg[_ROLE].dropna().astype(str)) - set(ROLE_ORDER))
    if unknown:
        raise ValueError(f"encoded.background['role']: unexpected level(s) {unknown}; expected {list(ROLE_ORDER)}")
    frame = scores.copy()
    frame[_ROLE] = pd.Categorical(
        bg[_ROLE].astype("string").astype(object).where(bg[_ROLE].notna()), categories=list(ROLE_ORDER)
    )
    frame[_OVERALL] = pd.to_numeric(bg[_OVERALL], errors="coerce").astype(float)
    return frame


def construct_means(encoded: EncodedResults, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Mean of every construct score with its t-based confidence interval.

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
    conf_level : float, default 0.95
        Level of the interval ``mean -/+ t_{n-1, 1/2 + conf_level/2} sd / sqrt(n)``
        (:func:`emstudy.stats.descriptives.mean_ci`).

    Returns
    -------
    pandas.DataFrame
        Index ``construct`` (core constructs in codebook order, then the outcome); columns ``label_en``,
        ``label_zh``, ``n`` (respondents with a score), ``mean``, ``sd`` (n - 1), ``ci_lower``,
        ``ci_upper``.

    Examples
    --------
    >>> construct_means(load_encoded("../..", "wencheng")).loc["information", "mean"]  # doctest: +SKIP
    """
    if not isinstance(conf_level, (float, int)) or isinstance(conf_level, bool) or not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number in (0, 1), got {conf_level!r}")
    _check_encoded(encoded)
    cb = encoded.codebook
    scores = encoded.scores()
    rows = []
    for c in [*cb.construct_ids, cb.outcome.id]:
        m = mean_ci(scores[c].to_numpy(dtype=float), conf_level=conf_level)
        rows.append(
            {
                "construct": c,
                "label_en": cb.label(c, "en"),
                "label_zh": cb.label(c, "zh"),
                "n": m.n,
                "mean": m.mean,
                "sd": m.sd,
                "ci_lower": m.ci_lower,
                "ci_upper": m.ci_upper,
            }
        )
    return pd.DataFrame(rows).set_index("construct")


def _quiet(fn, notes: list[str] | None, *args, **kwargs):
    """Call ``fn`` recording the warnings of the fits (emstudy's :class:`~emstudy.errors.EmstudyWarning` and
    statsmodels' own categories); their messages go to ``notes`` (if given) instead of the output. Other
    warnings pass through."""
    with record_warnings(*fit_warning_categories()) as caught:
        out = fn(*args, **kwargs)
    if notes is not None:
        notes.extend(f"{w.category.__name__}: {w.message}" for w in caught)
    return out


def case_drivers(encoded: EncodedResults, *, notes: list[str] | None = None) -> DriversResult:
    """Drivers of perceived effectiveness: OLS on the eleven core scores with role as covariate, HC3.

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
    notes : list of str, optional
        Receives the messages of warnings raised by the fit (none are printed).

    Returns
    -------
    emstudy.stats.regression.DriversResult
        As ``lm(effectiveness ~ <11 constructs> + role)`` with ``sandwich::vcovHC(type = "HC3")``; role
        dummies ``role[T.ent]`` and ``role[T.gov]`` against residents. Incomplete respondents are
        dropped (``n_dropped``).
    """
    frame = study_frame(encoded)
    cb = encoded.codebook
    complete = frame.dropna(subset=[cb.outcome.id, *cb.construct_ids])
    single = model_role_limit(complete[_ROLE])
    if single and notes is not None:
        notes.append(single.en)
    return _quiet(
        drivers,
        notes,
        frame,
        outcome=cb.outcome.id,
        predictors=cb.construct_ids,
        covariates=[] if single else [_ROLE],
        categorical=[] if single else [_ROLE],
        cov_type="HC3",
        missing="listwise",
    )


def case_ordinal_drivers(encoded: EncodedResults, *, notes: list[str] | None = None) -> OrdinalResult:
    """Proportional-odds logit of the overall rating (1-5) on the eleven core construct scores.

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
    notes : list of str, optional
        Receives the messages of warnings raised by the fit (e.g. non-convergence).

    Returns
    -------
    emstudy.stats.regression.OrdinalResult
        On the scale of ``MASS::polr(factor(overall, ordered = TRUE) ~ <11 constructs>, Hess = TRUE)``.
    """
    frame = study_frame(encoded)
    return _quiet(
        ordinal_drivers, notes, frame, outcome=_OVERALL, predictors=encoded.codebook.construct_ids, link="logit"
    )


def role_comparison(encoded: EncodedResults, *, notes: list[str] | None = None) -> pd.DataFrame:
    """Welch's ANOVA with Games-Howell pairs across roles, for every construct score (core + outcome).

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
    notes : list of str, optional
        Receives the messages of warnings raised by the tests.

    Returns
    -------
    pandas.DataFrame
        Index ``construct``; columns ``n``, ``mean_res``, ``mean_ent``, ``mean_gov``, ``F``, ``df1``,
        ``df2``, ``pvalue`` (Welch, R ``oneway.test(var.equal = FALSE)``), ``omega_squared`` (Hays, from
        the one-way sums of squares), ``gov_minus_res`` (mean difference), ``gov_res_pvalue_adj``
        (Games-Howell),
        ``gov_res_ci_lower``, ``gov_res_ci_upper`` (simultaneous 95%).
    """
    frame = study_frame(encoded)
    cb = encoded.codebook
    rows = []
    skipped = role_limit(frame[_ROLE])
    if skipped:
        if notes is not None:
            notes.append(skipped.en)
        return pd.DataFrame(columns=["construct", *_ROLE_COLUMNS]).set_index("construct")
    no_pair = pd.Series(np.nan, index=["diff", "pvalue_adj", "ci_lower", "ci_upper"])
    for c in [*cb.construct_ids, cb.outcome.id]:
        res = _quiet(compare_groups, notes, frame, c, _ROLE, method="welch")
        om = res.omnibus.iloc[0]
        eff = res.effect_sizes.set_index("measure")["value"]
        pairs = res.posthoc.set_index("pair")
        pair = pairs.loc["gov-res"] if "gov-res" in pairs.index else no_pair
        desc = res.descriptives.reindex(list(ROLE_ORDER))
        rows.append(
            {
                "construct": c,
                "n": res.n,
                **{f"mean_{r}": float(desc.loc[r, "mean"]) for r in ROLE_ORDER},
                "F": float(om["statistic"]),
                "df1": float(om["df1"]),
                "df2": float(om["df2"]),
                "pvalue": float(om["pvalue"]),
                "omega_squared": float(eff["omega_squared"]),
                "gov_minus_res": float(pair["diff"]),
                "gov_res_pvalue_adj": float(pair["pvalue_adj"]),
                "gov_res_ci_lower": float(pair["ci_lower"]),
                "gov_res_ci_upper": float(pair["ci_upper"]),
            }
        )
    return pd.DataFrame(rows).set_index("construct")


def case_ipa(encoded: EncodedResults, *, conf_level: float = 0.95, notes: list[str] | None = None) -> IPAResult:
    """Importance-performance analysis of the eleven core constructs for perceived effectiveness.

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
    conf_level : float, default 0.95
        Level of the performance intervals.
    notes : list of str, optional
        Receives the messages of warnings raised by the fit.

    Returns
    -------
    emstudy.stats.ipa.IPAResult
        ``frame`` (importance = standardized OLS weight of the construct in a model of the outcome on the
        eleven constructs, without role; performance = construct mean with CI, on the same listwise cases;
        quadrants split at the means across constructs) and ``concentrate`` (high importance, low
        performance, most important first).
    """
    frame = study_frame(encoded)
    cb = encoded.codebook
    return _quiet(
        importance_performance, notes, frame, outcome=cb.outcome.id, predictors=cb.construct_ids, conf_level=conf_level
    )


def case_imputed_models(
    encoded: EncodedResults, *, seed: int, m: int = M_IMPUTATIONS, notes: list[str] | None = None
) -> ImputedModels:
    """The drivers model of :func:`case_drivers`, the ordinal model of :func:`case_ordinal_drivers` and the
    construct means on one set of imputations, pooled by Rubin's rules (:mod:`emstudy.steps.drivers_imputed`).

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
    seed : int
        Seed of the imputations (the study seed).
    m : int
        Imputed data sets (:data:`M_IMPUTATIONS`).
    notes : list of str, optional
        Receives the messages of warnings raised by the fits.

    Returns
    -------
    emstudy.steps.drivers_imputed.ImputedModels
        As ``mice::pool`` of ``lm(effectiveness ~ <11 constructs> + role)`` (HC3 covariance pooled) and of
        ``MASS::polr(overall ~ <11 constructs>)`` fits on the same sets, the complete cases beside them.
    """
    frame = study_frame(encoded)
    cb = encoded.codebook
    frame = frame[frame[_ROLE].notna()]
    single = model_role_limit(frame.dropna(subset=[cb.outcome.id, *cb.construct_ids])[_ROLE])
    role = [] if single else [_ROLE]
    return _quiet(
        imputed_models,
        notes,
        frame,
        outcome=cb.outcome.id,
        predictors=cb.construct_ids,
        categorical=role,
        ordinal_outcome=_OVERALL,
        m=m,
        seed=int(seed),
    )


def case_imputed_drivers(
    encoded: EncodedResults, *, seed: int, m: int = M_IMPUTATIONS, notes: list[str] | None = None
) -> PooledDriversResult:
    """The OLS part of :func:`case_imputed_models`: the drivers pooled, the complete cases beside them."""
    return case_imputed_models(encoded, seed=seed, m=m, notes=notes).drivers


def drivers_limitations(encoded: EncodedResults) -> list[Limitation]:
    """What the case's data cannot support in notebook 04, in English and Chinese.

    Role left out of the drivers model (fewer than two roles among the complete respondents) and the role
    comparison skipped (:func:`emstudy.survey.limits.role_limit`).

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults

    Returns
    -------
    list of emstudy.survey.limits.Limitation
    """
    frame = study_frame(encoded)
    cb = encoded.codebook
    zh = {lvl.code: lvl.zh for d in cb.demographics if d.id == _ROLE for lvl in d.levels}
    complete = frame.dropna(subset=[cb.outcome.id, *cb.construct_ids])
    found = (model_role_limit(complete[_ROLE], labels_zh=zh), role_limit(frame[_ROLE], labels_zh=zh))
    return [m for m in found if m is not None]


@dataclass(frozen=True, eq=False)
class DriversResults:
    """Everything notebook 04 shows and writes for one case."""

    case_id: str
    means: pd.DataFrame
    drivers: DriversResult | None
    ordinal: OrdinalResult | None
    roles: pd.DataFrame
    ipa: IPAResult | None
    weaknesses: tuple[str, ...]
    sentences: dict
    notes: tuple[str, ...]
    limitations: tuple[Limitation, ...] = ()
    #: Why the models (OLS, ordinal) and the IPA were not fitted (also in ``limitations``), or None.
    skipped: Limitation | None = None
    #: The models by multiple imputation (None when the models were not fitted).
    imputation: ImputedModels | None = None
    #: The framework's path model (:mod:`emstudy.steps.paths`; its ``skipped`` says why when not fitted).
    paths: PathResults | None = None

    @property
    def imputed(self) -> PooledDriversResult | None:
        """The drivers model by multiple imputation (None when not fitted)."""
        return None if self.imputation is None else self.imputation.drivers

    def imputed_table(self) -> pd.DataFrame:
        """Pooled coefficients with the complete-case ``estimate_cc, se_cc, pvalue_cc`` beside them (empty when
        not fitted)."""
        return pd.DataFrame() if self.imputed is None else self.imputed.to_frame(complete_case=True)

    def driver_table(self) -> pd.DataFrame:
        """The OLS table for display: term, b, SE (HC3), t, p, 95% CI, beta, VIF (empty when not fitted)."""
        return pd.DataFrame() if self.drivers is None else self.drivers.to_frame()

    def ipa_table(self) -> pd.DataFrame:
        """The IPA frame with a ``listed_weakness`` column (the case file lists the construct as weak); empty
        when not computed."""
        if self.ipa is None:
            return pd.DataFrame(columns=["predictor", "listed_weakness"])
        f = self.ipa.frame.copy()
        f["listed_weakness"] = f["predictor"].isin(self.weaknesses)
        return f

    def __repr__(self) -> str:
        d = self.drivers
        if d is None or self.ipa is None:
            return f"DriversResults(case={self.case_id!r}, not computed: {self.skipped})"
        return (
            f"DriversResults(case={self.case_id!r}, n={d.n}, dropped={d.n_dropped}, R2={d.r2:.3f}, "
            f"concentrate={self.ipa.concentrate})"
        )


def drivers_sentences(drv: DriversResult, ipa: IPAResult, codebook, *, n_top: int = 3) -> dict[str, list[str]]:
    """Sentences (en and zh) naming the strongest drivers and the "concentrate here" constructs.

    Parameters
    ----------
    drv : emstudy.stats.regression.DriversResult
        From :func:`case_drivers`.
    ipa : emstudy.stats.ipa.IPAResult
        From :func:`case_ipa`.
    codebook : emstudy.survey.codebook.Codebook
    n_top : int, default 3
        How many drivers to name: the significant (p < .05) construct coefficients with the largest
        standardized betas, at most `n_top`.

    Returns
    -------
    dict
        ``{"en": [...], "zh": [...]}``.
    """
    if isinstance(n_top, bool) or not isinstance(n_top, int) or n_top < 1:
        raise ValueError(f"n_top: expected a positive integer, got {n_top!r}")
    t = drv.table.loc[codebook.construct_ids]
    sig = t[t["pvalue"] < 0.05].sort_values("beta_std", ascending=False)
    top = sig[sig["beta_std"] > 0].head(n_top)

    def fmt_driver(c: str, lang: str) -> str:
        r = t.loc[c]
        p = "p < .001" if r["pvalue"] < 0.001 else f"p = {r['pvalue']:.3f}".replace("0.", ".", 1)
        return f"{codebook.label(c, lang)} (β = {r['beta_std']:.2f}, b = {r['coef']:.2f}, {p})"

    with_role = any(str(term).startswith(_ROLE) for term in drv.table.index)
    head_en = (
        f"Perceived effectiveness regressed on the eleven core constructs{' and role' if with_role else ''} (OLS, HC3 SE, "
        f"n = {drv.n}, {drv.n_dropped} incomplete respondents dropped) gives R² = {drv.r2:.3f}."
    )
    head_zh = (
        f"以十一个核心构念{'和身份' if with_role else ''}为自变量对应急管理成效感知进行回归（普通最小二乘，HC3稳健标准误，"
        f"n = {drv.n}，剔除{drv.n_dropped}份不完整问卷），R² = {drv.r2:.3f}。"
    )
    if len(top):
        en2 = "The strongest drivers are " + "; ".join(fmt_driver(c, "en") for c in top.index) + "."
        zh2 = "影响最大的因素为：" + "；".join(fmt_driver(c, "zh") for c in top.index) + "。"
    else:
        en2 = "No construct has a positive coefficient significant at the .05 level."
        zh2 = "没有构念的正向系数在0.05水平上显著。"
    f = ipa.frame.set_index("predictor")
    if ipa.concentrate:
        parts_en = [
            f"{codebook.label(c, 'en')} (importance {f.loc[c, 'importance']:.2f}, mean {f.loc[c, 'performance']:.2f})"
            for c in ipa.concentrate
        ]
        parts_zh = [
            f"{codebook.label(c, 'zh')}（重要性{f.loc[c, 'importance']:.2f}，均值{f.loc[c, 'performance']:.2f}）"
            for c in ipa.concentrate
        ]
        en3 = (
            "Importance-performance analysis places in 'concentrate here' (above-average importance, "
            "below-average performance): " + "; ".join(parts_en) + "."
        )
        zh3 = "重要性-绩效分析中，重要性高于平均、表现低于平均、应重点改进的为：" + "；".join(parts_zh) + "。"
    else:
        en3 = "Importance-performance analysis places no construct in 'concentrate here'."
        zh3 = "重要性-绩效分析中没有构念落入“重点改进”象限。"
    return {"en": [head_en, en2, en3], "zh": [head_zh, zh2, zh3]}


def run(
    encoded: EncodedResults, *, seed: int = STUDY_SEED, n_boot: int = paths.N_BOOT, m: int = M_IMPUTATIONS
) -> DriversResults:
    """Means, drivers (complete cases and imputed), ordinal model, role comparison, IPA, the framework's path
    model and sentences for one case.

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
    seed : int
        The study seed (``emstudy run --seed``, default :data:`emstudy.survey.simulate.STUDY_SEED`): seeds the
        imputations and the path model's bootstrap.
    n_boot : int
        Bootstrap replicates of the path model (:data:`emstudy.steps.paths.N_BOOT`).
    m : int
        Imputations (:data:`M_IMPUTATIONS`).

    Returns
    -------
    DriversResults
    """
    _check_encoded(encoded)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed: expected an integer, got {seed!r}")
    notes: list[str] = []
    limitations = drivers_limitations(encoded)
    skipped = _model_limit(encoded)
    drv = ordn = ipa = imp = None
    if skipped is None:
        drv = case_drivers(encoded, notes=notes)
        ordn = case_ordinal_drivers(encoded, notes=notes)
        imp = case_imputed_models(encoded, seed=seed, m=m, notes=notes)
    path = paths.run(encoded, seed=int(seed), n_boot=n_boot)
    if path.skipped is not None:
        limitations.append(path.skipped)
    try:
        roles = role_comparison(encoded, notes=notes)
    except ValueError as exc:  # a role constant on a construct (few respondents): Welch's test undefined
        roles = pd.DataFrame(columns=["construct", *_ROLE_COLUMNS]).set_index("construct")
        limitations.append(
            Limitation(
                f"role comparison not computed: {str(exc).rstrip('.')}",
                "某一身份的受访者在某构念上的回答完全相同（方差为零），未做身份比较",
            )
        )
    if skipped is None:
        ipa = case_ipa(encoded, notes=notes)
    else:
        limitations.append(skipped)
    sentences = {"en": [], "zh": []} if drv is None or ipa is None else drivers_sentences(drv, ipa, encoded.codebook)
    if imp is not None:
        more = imputation_sentences(imp.drivers, encoded.codebook)
        ordinal_more = drivers_imputed.ordinal_imputation_sentences(imp, encoded.codebook)
        for lang in ("en", "zh"):
            sentences[lang][2:2] = more[lang] + ordinal_more[lang]
    return DriversResults(
        case_id=encoded.case.id,
        means=construct_means(encoded),
        drivers=drv,
        ordinal=ordn,
        roles=roles,
        ipa=ipa,
        weaknesses=tuple(encoded.case.weaknesses),
        sentences=sentences,
        notes=tuple(dict.fromkeys(notes)),
        limitations=tuple(limitations),
        skipped=skipped,
        imputation=imp,
        paths=path,
    )


def _model_limit(encoded: EncodedResults) -> Limitation | None:
    """Why the drivers models and the IPA cannot be fitted: no more complete respondents than OLS coefficients
    (intercept, constructs and, with two or more roles among them, role)."""
    frame = study_frame(encoded)
    cb = encoded.codebook
    complete = frame.dropna(subset=[cb.outcome.id, *cb.construct_ids])
    n_roles = int(complete[_ROLE].dropna().nunique())
    return model_limit(len(complete), len(cb.construct_ids) + 1 + max(n_roles - 1, 0))


def _num(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 6)


def write_results(results: DriversResults, results_dir: str | Path) -> list[Path]:
    """Write a :class:`DriversResults` into ``results_dir`` (atomic, byte-stable).

    Files: ``construct_means.csv``, ``drivers.csv`` (OLS table), ``ordinal_drivers.csv`` (slopes and
    thresholds), ``roles.csv`` (role comparison), ``ipa.csv`` (IPA frame with ``listed_weakness``),
    ``drivers_imputed.csv``, ``ordinal_drivers_imputed.csv`` (pooled coefficients beside the complete-case
    ones) and ``imputed_means.csv`` (:func:`emstudy.steps.drivers_imputed.write_results`), ``drivers.json`` (fit
    statistics, concentrate list, sentences, notes), and the path model's ``path_model.csv`` and
    ``path_model.json`` (:func:`emstudy.steps.paths.write_results`).

    Returns
    -------
    list of Path
    """
    if not isinstance(results, DriversResults):
        raise ValueError(f"results: expected DriversResults, got {type(results).__name__}")
    report = results
    d = Path(results_dir)
    drv, ordn = report.drivers, report.ordinal
    summary = {
        "case": report.case_id,
        "ols": None
        if drv is None
        else {
            "outcome": drv.outcome,
            "n": drv.n,
            "n_dropped": drv.n_dropped,
            "r2": _num(drv.r2),
            "adj_r2": _num(drv.adj_r2),
            "df_resid": drv.df_resid,
            "cov_type": drv.cov_type,
            "reference_role": ROLE_ORDER[0],
            "convention": "lm(effectiveness ~ constructs + role) with sandwich::vcovHC(type = 'HC3')",
        },
        "ordinal": None
        if ordn is None
        else {
            "outcome": ordn.outcome,
            "link": ordn.link,
            "n": ordn.n,
            "n_dropped": ordn.n_dropped,
            "loglik": _num(ordn.loglik),
            "converged": ordn.converged,
            "convention": "MASS::polr(factor(overall, ordered = TRUE) ~ constructs, Hess = TRUE)",
        },
        "imputed": None if report.imputation is None else report.imputation.summary_dict(),
        "ipa": {
            "concentrate": [] if report.ipa is None else list(report.ipa.concentrate),
            "listed_weaknesses": list(report.weaknesses),
        },
        "sentences": dict(report.sentences),
        "notes": list(report.notes),
        **({"limitations": [m.to_dict() for m in report.limitations]} if report.limitations else {}),
    }
    return [
        write_csv(d / files.CONSTRUCT_MEANS, report.means),
        write_csv(d / files.DRIVERS_TABLE, report.driver_table(), index=False),
        write_csv(d / files.ORDINAL_DRIVERS, pd.DataFrame() if ordn is None else ordn.to_frame(), index=False),
        write_csv(d / files.ROLES, report.roles),
        write_csv(d / files.IPA, report.ipa_table(), index=False),
        *drivers_imputed.write_results(report.imputation, d),
        write_json(d / files.DRIVERS_SUMMARY, summary),
        *([] if report.paths is None else paths.write_results(report.paths, d)),
    ]
