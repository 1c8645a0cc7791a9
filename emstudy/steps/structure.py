"""Factor structure of the shared instrument in one case.

Study-level functions for notebook 03 (per case) and the cross-case notebook:

* :func:`core_model_syntax` -- the measurement model of the codebook in lavaan syntax;
* :func:`fit_core_cfa` -- the CFA of that model on a case's items, by FIML or listwise (see *Missing data*);
* :func:`run` -- parallel analysis, EFA, CFA, reliability and validity with verdicts and
  sentences in English and Chinese;
* :func:`write_results` -- the machine-readable results.

Invariance across cases (notebook 05) is in :mod:`emstudy.steps.compare_invariance`.

Conventions
-----------
* Parallel analysis and EFA follow ``psych`` (:mod:`emstudy.stats.efa`): Pearson correlations with pairwise
  deletion; EFA by minimum residual (``fm="minres"``) with oblimin rotation (GPArotation's quartimin,
  gamma = 0, no Kaiser normalisation), factors sorted by variance and signed to sum positive. SPSS
  (principal axis, promax, Kaiser-normalised) gives somewhat different loadings.
* The CFA is ML with lavaan's defaults (:mod:`emstudy.stats.cfa`), marker-variable identification, on the
  items as scored (reverse-keyed items already reversed by notebook 01), by FIML (see below).

Missing data
------------
With 48 items and about 2.5 % of answers missing at random, only about 30 % of respondents answer every
item (55-102 per case), fewer than the 162 free parameters of the 12-factor model. :func:`fit_core_cfa`
therefore fits the CFA by full-information maximum likelihood (FIML; lavaan's ``missing = "ml"``): the
casewise likelihood of every respondent's answered items, with a mean structure, standard errors from the
observed information matrix, chi-square against the saturated model fitted by EM and CFI/TLI against the
FIML baseline (Enders 2010, ch. 4; Savalei & Rosseel 2022). It is consistent under MAR, which the
pairwise-deletion matrix used before (no valid likelihood, wrong chi-square and SEs) was not. :func:`run`
fits three models: FIML with ML (the fit the verdicts, CR and AVE rest on), FIML with MLR beside it
(Yuan-Bentler scaled chi-square and sandwich SEs; lavaan's ``estimator = "MLR", missing = "ml"``), and the
listwise ML fit as a sensitivity check when the complete cases outnumber the free parameters (otherwise
it is not estimable and the results say so). ``cfa_fit.json`` names every fit (``fits``). Beside them, the
items as the ordered categories they are: WLSMV on polychoric correlations with lavaan's ``missing =
"pairwise"`` (:mod:`emstudy.steps.structure_ordinal`; ``cfa_wlsmv.json``), and which conclusions change
with it (fit verdicts; each construct's CR, AVE and Fornell-Larcker verdicts); the verdicts, CR and AVE still
rest on the FIML ML fit.

References
----------
Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure analysis.
Structural Equation Modeling, 6, 1-55.
Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable variables
and measurement error. Journal of Marketing Research, 18, 39-50.
Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing discriminant validity
in variance-based structural equation modeling. Journal of the Academy of Marketing Science, 43, 115-135.
Savalei, V., & Bentler, P. M. (2009). A two-stage approach to missing data: theory and application to
auxiliary variables. Structural Equation Modeling, 16, 477-497.
Enders, C. K. (2010). Applied Missing Data Analysis. Guilford.
Savalei, V., & Rosseel, Y. (2022). Computational options for standard errors and test statistics with
incomplete normal and nonnormal data in SEM. Structural Equation Modeling, 29, 163-181.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from emstudy.errors import EmstudyWarning
from emstudy.fileio import write_csv, write_json
from emstudy.stats._common import single_thread_blas
from emstudy.stats.cfa import CFAResult, cfa, parse_model
from emstudy.stats.efa import EFAResult, ParallelAnalysisResult, efa, parallel_analysis
from emstudy.stats.validity import htmt
from emstudy.steps import files
from emstudy.steps.context import EncodedResults
from emstudy.steps.structure_ordinal import (
    OrdinalCFA,
    construct_validity,
    latent_correlations,
    ordinal_cfa,
    write_ordinal,
)
from emstudy.steps.structure_text import CRITERIA, _fit_sentences, _sentences, _verdicts
from emstudy.survey.codebook import Codebook
from emstudy.survey.limits import (
    Limitation,
    duplicate_items,
    factor_analysis_limit,
    heywood_limit,
    model_exclusions,
    screen_scales,
)

__all__ = [
    "CRITERIA",
    "FIT_NAMES",
    "StructureResults",
    "core_model_syntax",
    "display_loadings",
    "fit_core_cfa",
    "run",
    "write_results",
]


def core_model_syntax(codebook: Codebook, *, include_outcome: bool = True) -> str:
    """The codebook's measurement model in lavaan syntax, one line per construct.

    Parameters
    ----------
    codebook : Codebook
    include_outcome : bool
        Add the outcome construct (perceived effectiveness) after the core constructs.

    Returns
    -------
    str
        E.g. ``"plan =~ PLN1 + PLN2 + PLN3 + PLN4\\norganisation =~ ORG1 + ..."``.

    Examples
    --------
    >>> core_model_syntax(codebook).splitlines()[0]  # doctest: +SKIP
    'plan =~ PLN1 + PLN2 + PLN3 + PLN4'
    """
    if not isinstance(codebook, Codebook):
        raise ValueError(f"codebook: expected a Codebook, got {type(codebook).__name__}")
    scales = codebook.scales(include_outcome=include_outcome)
    return "\n".join(f"{c} =~ {' + '.join(items)}" for c, items in scales.items())


def display_loadings(loadings: pd.DataFrame, *, cutoff: float = 0.30, digits: int = 2) -> pd.DataFrame:
    """Loadings for display: rounded, and blank where ``|loading| < cutoff``.

    Parameters
    ----------
    loadings : DataFrame
        Items x factors.
    cutoff : float
        Loadings smaller than this in absolute value are shown as an empty string.
    digits : int
        Decimals shown.

    Returns
    -------
    DataFrame of str

    Examples
    --------
    >>> display_loadings(pd.DataFrame({"F1": [0.712, 0.1]}, index=["a", "b"]))["F1"].tolist()
    ['0.71', '']
    """
    if not isinstance(loadings, pd.DataFrame):
        raise ValueError(f"loadings: expected a DataFrame, got {type(loadings).__name__}")
    if not 0 <= cutoff < 1:
        raise ValueError(f"cutoff: expected a number in [0, 1), got {cutoff!r}")
    fmt = f"{{:.{int(digits)}f}}"
    return loadings.map(lambda v: "" if pd.isna(v) or abs(v) < cutoff else fmt.format(v))


def _n_free(model: str) -> int:
    mm = parse_model(model)
    p, m = len(mm.observed), len(mm.factors)
    return (p - m) + p + m * (m + 1) // 2


@single_thread_blas()
def fit_core_cfa(
    items: pd.DataFrame,
    model: str,
    *,
    missing: Literal["fiml", "listwise"] = "fiml",
    estimator: Literal["ML", "MLR"] = "ML",
) -> tuple[CFAResult, Literal["fiml", "listwise"], int, tuple[str, ...]]:
    """CFA of ``model`` on a case's items by FIML (every respondent) or on the complete cases.

    Parameters
    ----------
    items : DataFrame
        Respondents x items (scored), NaN for missing.
    model : str
        lavaan measurement syntax (e.g. :func:`core_model_syntax`).
    missing : {"fiml", "listwise"}
        ``"fiml"``: lavaan's ``cfa(model, data, missing = "ml")`` (respondents who answered no model
        item are left out, as lavaan does); ``"listwise"``: the respondents who answered every model
        item, which must outnumber the free parameters.
    estimator : {"ML", "MLR"}
        ``"MLR"``: robust (sandwich) SEs and the Yuan-Bentler scaled chi-square (lavaan's
        ``estimator = "MLR"``); the estimates are the ML ones.

    Returns
    -------
    fit : CFAResult
    missing : {"fiml", "listwise"}
        As requested.
    n_listwise : int
        Respondents with every model item answered.
    notes : tuple of str
        Warnings raised while fitting (Heywood cases, non-convergence), as text.

    Raises
    ------
    ValueError
        A model variable not in ``items``, an unknown option, or ``missing="listwise"`` with no more
        complete cases than free parameters.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of Statistical
    Software, 48(2), 1-36.
    """
    mm = parse_model(model)
    cols = list(mm.observed)
    missing_cols = [c for c in cols if c not in items.columns]
    if missing_cols:
        raise ValueError(f"items: model variables {missing_cols} are not columns of items")
    if missing not in ("fiml", "listwise"):
        raise ValueError(f"missing: expected 'fiml' or 'listwise', got {missing!r}")
    data = items[cols].astype(float)
    complete = data.dropna()
    n_listwise = len(complete)
    if missing == "listwise" and n_listwise <= _n_free(model):
        raise ValueError(
            f"missing: 'listwise' needs more complete cases than the {_n_free(model)} free parameters "
            f"(there are {n_listwise}); use missing='fiml'"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmstudyWarning)
        if missing == "fiml":
            fit = cfa(mm, data[data.notna().any(axis=1)], missing="fiml", estimator=estimator)
        else:
            fit = cfa(mm, complete, estimator=estimator)
    notes = tuple(dict.fromkeys(str(w.message) for w in caught))
    return fit, missing, n_listwise, notes


#: The CFA fits of :func:`run`, by the names the results files use.
FIT_NAMES = ("fiml_ml", "fiml_mlr", "listwise_ml")
#: Robust fit indices, reported when :class:`~emstudy.stats.cfa.fit.FitMeasures` has them.
_ROBUST = ("cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust", "rmsea_robust")
_ROBUST += ("rmsea_ci_lower_robust", "rmsea_ci_upper_robust")


def _fit_row(fit: CFAResult) -> dict:
    f = fit.fit
    row = {"n": int(sum(fit.n_obs)), "estimator": fit.estimator, "missing": fit.missing}
    names = ["chisq", "df", "pvalue", "chisq_scaled", "chisq_scaling_factor", "pvalue_scaled", "cfi", "tli"]
    names += ["rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "aic", "bic"]
    names += [r for r in _ROBUST if hasattr(f, r)]
    return row | {k: float(getattr(f, k)) for k in names}


@dataclass(frozen=True, eq=False)
class StructureResults:
    """Factor structure of one case (see :func:`run`).

    Attributes
    ----------
    case_id : str
    n_respondents : int
        Respondents kept by notebook 01.
    model : str
        The CFA model (lavaan syntax).
    parallel : ParallelAnalysisResult or None
    efa : EFAResult or None
    cfa : CFAResult or None
        The FIML fit with ML (observed-information SEs), on which the verdicts, CR and AVE rest;
        ``None`` (with empty tables) when :func:`emstudy.survey.limits.factor_analysis_limit` applies: fewer
        respondents than usable items; ``limitations`` then says so.
    cfa_missing : str
        ``"fiml"`` (or ``"not run"``; see :func:`fit_core_cfa`).
    n_listwise, n_cfa : int
        Complete cases, and the N the FIML fit used.
    validity : DataFrame
        Per construct: ``cr, ave, sqrt_ave, max_latent_corr, fornell_larcker, cr_ok, ave_ok``.
    latent_correlations, htmt : DataFrame
    verdicts : DataFrame
        One row per criterion: ``value, threshold, verdict, source``.
    sentences : dict
        ``{"en": [...], "zh": [...]}``.
    notes : tuple of str
        Warnings raised by the estimators (Heywood cases, ...).
    limitations : tuple of Limitation
        Items left out (all missing, zero variance) and constructs dropped from the model for want of
        two usable items (:func:`emstudy.survey.limits.screen_scales`), in English and Chinese.
    skipped : Limitation or None
        Why the factor analyses were not run (also in ``limitations``), or None when they were.
    cfa_mlr : CFAResult or None
        The FIML fit with MLR: the same estimates, sandwich SEs and the Yuan-Bentler scaled chi-square.
    cfa_listwise : CFAResult or None
        The sensitivity check: ML on the complete cases, or None when they do not outnumber the free
        parameters (not estimable).
    cfa_wlsmv : OrdinalCFA or None
        The items as ordered categories: WLSMV (pairwise) beside the FIML ML fit
        (:func:`emstudy.steps.structure_ordinal.ordinal_cfa`); None when the factor analyses were not run.
    synthetic : bool
        Whether the case's data are the synthetic study.
    """

    case_id: str
    n_respondents: int
    model: str
    parallel: ParallelAnalysisResult | None
    efa: EFAResult | None
    cfa: CFAResult | None
    cfa_missing: str
    n_listwise: int
    n_cfa: int
    validity: pd.DataFrame
    latent_correlations: pd.DataFrame
    htmt: pd.DataFrame
    verdicts: pd.DataFrame
    sentences: Mapping[str, list[str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    limitations: tuple[Limitation, ...] = ()
    skipped: Limitation | None = None
    cfa_mlr: CFAResult | None = None
    cfa_listwise: CFAResult | None = None
    cfa_wlsmv: OrdinalCFA | None = None
    synthetic: bool = False

    def fits(self) -> dict[str, CFAResult | None]:
        """The CFA fits by name (:data:`FIT_NAMES`): FIML ML, FIML MLR, listwise ML (None when not fitted)."""
        return dict(zip(FIT_NAMES, (self.cfa, self.cfa_mlr, self.cfa_listwise)))

    def fit_table(self) -> pd.DataFrame:
        """Fit indices of every CFA fit, one row per fit (index ``fit``; no row for a fit not made).

        Columns ``n, estimator, missing, chisq, df, pvalue``, the scaled chi-square of MLR
        (``chisq_scaled, chisq_scaling_factor, pvalue_scaled``), ``cfi, tli, rmsea`` with its interval,
        ``srmr`` and, when the library provides them, the robust ``cfi_robust, tli_robust, rmsea_robust``.
        """
        rows = {name: _fit_row(fit) for name, fit in self.fits().items() if fit is not None}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("fit")

    def cfa_loadings(self) -> pd.DataFrame:
        """Loadings of the FIML fit in long form (empty without a CFA).

        Columns ``construct, item, loading`` (std.all), ``est, se, z, pvalue`` (ML, observed-information
        SE), ``se_mlr`` (sandwich SE of the MLR fit) and ``loading_listwise`` (std.all of the complete-case
        fit, empty when that fit is not estimable).
        """
        cols = ["construct", "item", "loading", "est", "se", "z", "pvalue", "se_mlr", "loading_listwise"]
        if self.cfa is None:
            return pd.DataFrame(columns=cols)
        rows = self.cfa.params[self.cfa.params["op"] == "=~"]
        key = list(zip(rows["lhs"], rows["rhs"]))

        def other(fit: CFAResult | None, col: str) -> np.ndarray:
            if fit is None:
                return np.full(len(key), np.nan)
            p = fit.params[fit.params["op"] == "=~"].set_index(["lhs", "rhs"])[col]
            return p.reindex(key).to_numpy(dtype=float)

        return pd.DataFrame(
            {
                "construct": rows["lhs"].to_numpy(),
                "item": rows["rhs"].to_numpy(),
                "loading": rows["std_all"].to_numpy(dtype=float),
                "est": rows["est"].to_numpy(dtype=float),
                "se": rows["se"].to_numpy(dtype=float),
                "z": rows["z"].to_numpy(dtype=float),
                "pvalue": rows["pvalue"].to_numpy(dtype=float),
                "se_mlr": other(self.cfa_mlr, "se"),
                "loading_listwise": other(self.cfa_listwise, "std_all"),
            }
        )[cols]

    def parallel_table(self) -> pd.DataFrame:
        """Observed and simulated eigenvalues (factors and components; empty when not run)."""
        return pd.DataFrame() if self.parallel is None else self.parallel.table

    def __repr__(self) -> str:
        lims = "".join(f"\nlimitation: {m}" for m in self.limitations)
        if self.parallel is None or self.cfa is None:
            return f"StructureResults(case={self.case_id!r}, n={self.n_respondents}, not computed){lims}"
        f = self.cfa.fit
        return (
            f"StructureResults(case={self.case_id!r}, parallel n_factors={self.parallel.n_factors}, "
            f"CFA n={self.n_cfa} (FIML, ML), CFI={f.cfi:.3f}, RMSEA={f.rmsea:.3f}, "
            f"SRMR={f.srmr:.3f})" + lims
        )


def _core_fits(
    items: pd.DataFrame, model: str, notes: list[str], codebook: Codebook
) -> tuple[CFAResult, CFAResult, CFAResult | None, int, OrdinalCFA]:
    """FIML ML, FIML MLR, when estimable listwise ML, and WLSMV fits of ``model``; their warnings go to ``notes``."""
    fit, _, n_listwise, cfa_notes = fit_core_cfa(items, model)
    mlr, _, _, mlr_notes = fit_core_cfa(items, model, estimator="MLR")
    listwise, lw_notes = None, ()
    if n_listwise > _n_free(model):  # the sensitivity check, when estimable
        listwise, _, _, lw_notes = fit_core_cfa(items, model, missing="listwise")
    labels = {lang: {c: codebook.label(c, lang) for c in codebook.scales()} for lang in ("en", "zh")}
    ordinal = ordinal_cfa(items, model, fit, labels=labels)  # the items as ordered categories, beside FIML
    notes.extend([*cfa_notes, *mlr_notes, *(f"listwise fit: {m}" for m in lw_notes), *ordinal.notes])
    return fit, mlr, listwise, n_listwise, ordinal


@single_thread_blas()
def run(encoded: EncodedResults, *, seed: int, n_iter: int = 20) -> StructureResults:
    """Parallel analysis, EFA, CFA, reliability and validity of the shared instrument in one case.

    Parameters
    ----------
    encoded : emstudy.steps.context.EncodedResults
        What notebook 01 kept (``load_encoded``).
    seed : int
        Seed of the parallel analysis's simulated data.
    n_iter : int
        Simulated data sets in the parallel analysis.

    Returns
    -------
    StructureResults

    Notes
    -----
    EFA: as many factors as constructs (core + outcome), minres + oblimin, Pearson pairwise (psych's
    conventions). CFA: :func:`fit_core_cfa` by FIML with ML, and with MLR beside it; listwise ML as a
    sensitivity check when the complete cases outnumber the free parameters; the items as ordered
    categories by WLSMV with pairwise deletion (:func:`~emstudy.steps.structure_ordinal.ordinal_cfa`).
    CR and AVE per construct from the FIML fit's standardized loadings (``composite_reliability``,
    ``average_variance_extracted``); HTMT (Henseler et al. 2015, arithmetic means, pairwise
    correlations); Fornell-Larcker: ``sqrt(AVE)`` above every latent correlation of the construct.

    Examples
    --------
    >>> res = run(load_encoded("..", "yima"), seed=20190719)  # doctest: +SKIP
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed: expected an integer, got {seed!r}")
    screen = screen_scales(encoded.items, encoded.codebook.scales())
    usable = [i for cols in screen.scales.values() for i in cols]
    duplicates = duplicate_items(encoded.items[usable])  # a singular correlation matrix: left out, said so
    kept = {c: [i for i in cols if i not in duplicates] for c, cols in screen.scales.items()}
    scales = {c: cols for c, cols in kept.items() if len(cols) >= 2}
    limitations = model_exclusions(screen, scales) + [
        Limitation(f"item {i} left out: {why.en}", f"题项{i}未纳入模型：{why.zh}") for i, why in duplicates.items()
    ]
    items = encoded.items[[i for cols in scales.values() for i in cols]].astype(float)
    k = len(scales)
    model = "\n".join(f"{c} =~ {' + '.join(cols)}" for c, cols in scales.items())  # core_model_syntax when complete
    too_few = factor_analysis_limit(len(items), items.shape[1])
    if too_few is not None:
        return _not_run(encoded.case.id, items, model, [*limitations, too_few])
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmstudyWarning)  # recorded into the notes; others pass through
        pa = parallel_analysis(items, n_iter=n_iter, seed=int(seed))
        ef = efa(items, k, method="minres", rotation="oblimin")
    notes.extend(str(w.message) for w in caught)
    fit, mlr, listwise, n_listwise, ordinal = _core_fits(items, model, notes, encoded.codebook)

    lam = fit.params[fit.params["op"] == "=~"]
    for c in scales:  # a Heywood case (standardized loading beyond 1): CR and AVE undefined
        if np.abs(lam.loc[lam["lhs"] == c, "std_all"].to_numpy(dtype=float)).max() > 1:
            limitations.append(heywood_limit(c))
    validity = construct_validity(fit).reindex(list(scales))
    corr = latent_correlations(fit).reindex(index=list(scales), columns=list(scales))
    ht = htmt(items, scales, missing="pairwise")
    ht = pd.DataFrame(ht.to_numpy(dtype=float), index=list(ht.index), columns=list(ht.columns))
    verdicts = _verdicts(fit, validity, ht)
    sentences = _sentences(encoded.case.id, pa, k, fit, validity, verdicts)
    for lang, more in _fit_sentences(fit, mlr, listwise, n_listwise, _n_free(model)).items():
        # the WLSMV fit after the FIML validity sentences, which define CR and AVE before it compares them
        sentences[lang] = [*sentences[lang][:2], *more, *sentences[lang][2:], *ordinal.sentences[lang]]
    return StructureResults(
        case_id=encoded.case.id,
        n_respondents=len(items),
        model=model,
        parallel=pa,
        efa=ef,
        cfa=fit,
        cfa_missing="fiml",
        n_listwise=n_listwise,
        n_cfa=int(sum(fit.n_obs)),
        validity=validity,
        latent_correlations=corr,
        htmt=ht,
        verdicts=verdicts,
        sentences=sentences,
        notes=tuple(dict.fromkeys(notes)),
        limitations=tuple(limitations),
        cfa_mlr=mlr,
        cfa_listwise=listwise,
        cfa_wlsmv=ordinal,
        synthetic=bool(encoded.synthetic),
    )


def _not_run(case_id: str, items: pd.DataFrame, model: str, limitations: list[Limitation]) -> StructureResults:
    """The results of a case too small for the factor analyses: no estimates, the limitation said."""
    return StructureResults(
        case_id=case_id,
        n_respondents=len(items),
        model=model,
        parallel=None,
        efa=None,
        cfa=None,
        cfa_missing="not run",
        n_listwise=int(items.notna().all(axis=1).sum()),
        n_cfa=0,
        validity=pd.DataFrame(index=pd.Index([], name="construct")),
        latent_correlations=pd.DataFrame(),
        htmt=pd.DataFrame(),
        verdicts=pd.DataFrame(columns=["value", "threshold", "verdict", "source"]),
        sentences={"en": [], "zh": []},
        limitations=tuple(limitations),
        skipped=limitations[-1],
    )


def _fit_json(fit: CFAResult) -> dict:
    return {k: (None if pd.isna(v) else round(float(v), 6)) for k, v in fit.fit.to_series().items()}


def write_results(results: StructureResults, results_dir: str | Path) -> list[Path]:
    """Write the results of :func:`run` into ``results_dir`` (atomic, byte-stable).

    Files: ``parallel_analysis.csv``, ``efa_loadings.csv``, ``cfa_fit.json`` (the FIML ML fit as ``fit``;
    every fit under ``fits``: ``fiml_ml``, ``fiml_mlr``, ``listwise_ml`` or null when not estimable),
    ``cfa_loadings.csv`` (:meth:`StructureResults.cfa_loadings`), ``validity.csv`` (from the FIML ML fit),
    ``htmt.csv``, ``structure_summary.json`` (verdicts, sentences, notes), ``cfa_wlsmv.json`` and
    ``cfa_wlsmv_loadings.csv`` (:func:`emstudy.steps.structure_ordinal.write_ordinal`).

    Returns
    -------
    list of Path
    """
    if not isinstance(results, StructureResults):
        raise ValueError(f"results: expected StructureResults, got {type(results).__name__}")
    d = Path(results_dir)
    pa, ef, fit = results.parallel, results.efa, results.cfa
    fit_json = {
        "case": results.case_id,
        "estimator": "ML",
        "missing": results.cfa_missing,
        "se": "observed information (lavaan missing = 'ml')",
        "n_listwise": results.n_listwise,
        "n": results.n_cfa,
        "n_respondents": results.n_respondents,
        "converged": None if fit is None else bool(fit.converged),
        "model": results.model,
        "fit": None if fit is None else _fit_json(fit),
        "fits": {
            name: None
            if f is None
            else {
                "estimator": f.estimator,
                "missing": f.missing,
                "n": int(sum(f.n_obs)),
                "converged": bool(f.converged),
            }
            | {"fit": _fit_json(f)}
            for name, f in results.fits().items()
        },
        "validity_from": "fiml_ml",
    }
    summary = {
        "case": results.case_id,
        "parallel_analysis": None
        if pa is None
        else {"n_factors": pa.n_factors, "n_components": pa.n_components, "n_iter": pa.n_iter, "quantile": pa.quantile},
        "efa": None
        if ef is None
        else {
            "n_factors": ef.n_factors,
            "method": "minres",
            "rotation": "oblimin",
            "convention": "psych::fa(fm='minres', rotate='oblimin'), Pearson pairwise",
        },
        "verdicts": {
            k: {
                "value": round(float(r["value"]), 6),
                "threshold": r["threshold"],
                "verdict": r["verdict"],
                "source": r["source"],
            }
            for k, r in results.verdicts.iterrows()
        },
        "criteria": CRITERIA,
        "sentences": dict(results.sentences),
        "notes": list(results.notes),
        **({"limitations": [m.to_dict() for m in results.limitations]} if results.limitations else {}),
    }
    return [
        write_csv(d / files.PARALLEL_ANALYSIS, results.parallel_table()),
        write_csv(d / files.EFA_LOADINGS, pd.DataFrame() if ef is None else ef.loadings),
        write_json(d / files.CFA_FIT, fit_json),
        write_csv(d / files.CFA_LOADINGS, results.cfa_loadings(), index=False),
        write_csv(d / files.VALIDITY, results.validity),
        write_csv(d / files.HTMT, results.htmt),
        write_json(d / files.STRUCTURE_SUMMARY, summary),
        *write_ordinal(
            results.cfa_wlsmv or OrdinalCFA(None, pd.DataFrame(), pd.DataFrame(), {}, reason="not run"),
            d,
            case_id=results.case_id,
            synthetic=results.synthetic,
        ),
    ]
