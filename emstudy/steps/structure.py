"""Factor structure of the shared instrument in one case, and its invariance across cases.

Study-level functions for notebook 03 (per case) and the cross-case notebook:

* :func:`core_model_syntax` -- the measurement model of the codebook in lavaan syntax;
* :func:`fit_core_cfa` -- the CFA of that model on a case's items (see *Missing data* below);
* :func:`run` -- parallel analysis, EFA, CFA, reliability and validity with verdicts and
  sentences in English and Chinese;
* :func:`write_results` -- the machine-readable results;
* :func:`cross_case_invariance` -- configural, metric and scalar invariance with the case as group.

Conventions
-----------
* Parallel analysis and EFA follow ``psych`` (:mod:`emstudy.stats.efa`): Pearson correlations with pairwise
  deletion; EFA by minimum residual (``fm="minres"``) with oblimin rotation (GPArotation's quartimin,
  gamma = 0, no Kaiser normalisation), factors sorted by variance and signed to sum positive. SPSS
  (principal axis, promax, Kaiser-normalised) gives somewhat different loadings.
* The CFA is ML with lavaan's defaults (:mod:`emstudy.stats.cfa`), marker-variable identification, on the
  items as scored (reverse-keyed items already reversed by notebook 01).

Missing data
------------
With 48 items and about 2.5 % of answers missing at random, only about 30 % of respondents answer every
item (55-102 per case), fewer than the 162 free parameters of the 12-factor model, so ML on complete cases
is not estimable. :func:`fit_core_cfa` uses complete cases only when there are more of them than free
parameters; otherwise it fits the ML discrepancy to the pairwise-deletion covariance matrix (consistent
under MCAR; Brown 2015, ch. 9), with N = all respondents. The matrix (each covariance divided by the number
of respondents who answered both items) goes to :func:`emstudy.stats.cfa.cfa` as summary statistics
(lavaan's ``sample.cov``) times N / (N - 1), since ``cfa`` treats it as unbiased, so ML is fitted to the
pairwise matrix itself. The chi-square and the fit indices treat the matrix as complete-data (slightly
optimistic standard errors; Savalei & Bentler 2009 describe the two-stage correction, not implemented
here). The result says which was used (``cfa_missing``) and both numbers (``n_listwise``, ``n_cfa``).
:func:`cross_case_invariance` passes each case's pairwise means and matrix the same way.

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
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from emstudy.errors import EmstudyWarning, MissingDataWarning
from emstudy.fileio import write_csv, write_json
from emstudy.stats._common import single_thread_blas
from emstudy.stats.cfa import CFAResult, InvarianceResult, cfa, invariance, parse_model
from emstudy.stats.efa import EFAResult, ParallelAnalysisResult, efa, parallel_analysis
from emstudy.stats.validity import average_variance_extracted, composite_reliability, htmt
from emstudy.steps import files
from emstudy.steps.context import EncodedResults
from emstudy.steps.structure_text import CRITERIA, _sentences, _verdicts
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
    "StructureResults",
    "core_model_syntax",
    "display_loadings",
    "fit_core_cfa",
    "run",
    "write_results",
    "cross_case_invariance",
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


def _pairwise_moments(block: pd.DataFrame, arg: str) -> tuple[pd.DataFrame, pd.Series, int]:
    """Pairwise-deletion moments of ``block`` as :func:`emstudy.stats.cfa.cfa` takes them.

    Returns ``(sample_cov, sample_mean, sample_nobs)``. The covariance of each pair of items is
    computed over the respondents who answered both and divided by their number ``n_ij``
    (``DataFrame.cov(ddof=0)``); each mean over the respondents who answered the item; ``n`` is
    all respondents. ``cfa`` follows lavaan and treats ``sample_cov`` as unbiased, multiplying it
    by ``(n - 1) / n``; the matrix is therefore returned times ``n / (n - 1)``, so that ML is fitted
    to the ``/n_ij`` matrix itself (the matrix this module has always used).

    Raises
    ------
    ValueError
        Naming ``arg`` when a pair of items is never answered together, or when the pairwise
        matrix is not positive definite.
    """
    n = len(block)
    cov = block.cov(ddof=0)
    if cov.isna().to_numpy().any():
        raise ValueError(f"{arg}: some pair of items is never answered together")
    eig = np.linalg.eigvalsh(cov.to_numpy())
    if eig[0] <= 1e-10 * eig[-1]:
        raise ValueError(f"{arg}: the pairwise covariance matrix is not positive definite")
    return cov * (n / (n - 1)), block.mean(), n


def _n_free(model: str) -> int:
    mm = parse_model(model)
    p, m = len(mm.observed), len(mm.factors)
    return (p - m) + p + m * (m + 1) // 2


@single_thread_blas()
def fit_core_cfa(
    items: pd.DataFrame, model: str
) -> tuple[CFAResult, Literal["listwise", "pairwise"], int, tuple[str, ...]]:
    """ML CFA of ``model`` on a case's items, on complete cases when estimable, else pairwise.

    Parameters
    ----------
    items : DataFrame
        Respondents x items (scored), NaN for missing.
    model : str
        lavaan measurement syntax (e.g. :func:`core_model_syntax`).

    Returns
    -------
    fit : CFAResult
    missing : {"listwise", "pairwise"}
        Complete cases if there are more of them than free parameters, otherwise the
        pairwise-deletion covariance matrix with N = all respondents (see the module notes).
    n_listwise : int
        Respondents with every model item answered.
    notes : tuple of str
        Warnings raised while fitting (Heywood cases, non-convergence), as text.
    """
    mm = parse_model(model)
    cols = list(mm.observed)
    missing_cols = [c for c in cols if c not in items.columns]
    if missing_cols:
        raise ValueError(f"items: model variables {missing_cols} are not columns of items")
    data = items[cols].astype(float)
    complete = data.dropna()
    n_listwise = len(complete)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmstudyWarning)
        if n_listwise > _n_free(model):
            fit, how = cfa(mm, complete), "listwise"
        else:
            cov, _, n = _pairwise_moments(data, "items")
            fit, how = cfa(mm, sample_cov=cov, sample_nobs=n), "pairwise"
    notes = tuple(dict.fromkeys(str(w.message) for w in caught))
    return fit, how, n_listwise, notes


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
        ``None`` (with empty tables) when :func:`emstudy.survey.limits.factor_analysis_limit` applies: fewer
        respondents than usable items; ``limitations`` then says so.
    cfa_missing : str
        ``"listwise"`` or ``"pairwise"`` (see :func:`fit_core_cfa`).
    n_listwise, n_cfa : int
        Complete cases, and the N the CFA used.
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

    def fit_table(self) -> pd.DataFrame:
        """CFA fit indices (chi-square, df, CFI, TLI, RMSEA with CI, SRMR) as one row (no row without a CFA)."""
        if self.cfa is None:
            return pd.DataFrame(index=pd.Index([], name="case"))
        f = self.cfa.fit
        return pd.DataFrame(
            [
                {
                    "n": self.n_cfa,
                    "missing": self.cfa_missing,
                    "chisq": f.chisq,
                    "df": f.df,
                    "pvalue": f.pvalue,
                    "cfi": f.cfi,
                    "tli": f.tli,
                    "rmsea": f.rmsea,
                    "rmsea_ci_lower": f.rmsea_ci_lower,
                    "rmsea_ci_upper": f.rmsea_ci_upper,
                    "srmr": f.srmr,
                }
            ],
            index=pd.Index([self.case_id], name="case"),
        )

    def cfa_loadings(self) -> pd.DataFrame:
        """Standardized loadings (std.all) in long form: ``construct, item, loading`` (empty without a CFA)."""
        if self.cfa is None:
            return pd.DataFrame(columns=["construct", "item", "loading"])
        rows = self.cfa.params[self.cfa.params["op"] == "=~"]
        return pd.DataFrame(
            {
                "construct": rows["lhs"].to_numpy(),
                "item": rows["rhs"].to_numpy(),
                "loading": rows["std_all"].to_numpy(dtype=float),
            }
        )

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
            f"CFA n={self.n_cfa} ({self.cfa_missing}), CFI={f.cfi:.3f}, RMSEA={f.rmsea:.3f}, "
            f"SRMR={f.srmr:.3f})" + lims
        )


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
    conventions). CFA: :func:`fit_core_cfa` (listwise when estimable, else pairwise covariance).
    CR and AVE per construct from the CFA's standardized loadings (``composite_reliability``,
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
    fit, how, n_listwise, cfa_notes = fit_core_cfa(items, model)
    notes.extend(cfa_notes)

    std = fit.params
    lam = std[std["op"] == "=~"]
    lv = std[(std["op"] == "~~") & std["lhs"].isin(scales) & std["rhs"].isin(scales)]
    facs = list(scales)
    corr = pd.DataFrame(np.eye(k), index=facs, columns=facs)
    for _, r in lv[lv["lhs"] != lv["rhs"]].iterrows():
        corr.loc[r["lhs"], r["rhs"]] = corr.loc[r["rhs"], r["lhs"]] = float(r["std_all"])
    rows = []
    for c in facs:
        loads = lam.loc[lam["lhs"] == c, "std_all"].to_numpy(dtype=float)
        if np.abs(loads).max() > 1:  # a Heywood case (standardized loading beyond 1): CR and AVE undefined
            limitations.append(heywood_limit(c))
        ok = np.abs(loads).max() <= 1
        cr, ave = (composite_reliability(loads), average_variance_extracted(loads)) if ok else (np.nan, np.nan)
        others = corr.loc[c].drop(c).abs()
        rows.append(
            {
                "construct": c,
                "cr": cr,
                "ave": ave,
                "sqrt_ave": float(np.sqrt(ave)),
                "max_latent_corr": float(others.max()),
                "fornell_larcker": bool(np.sqrt(ave) > others.max()),
                "cr_ok": bool(cr >= CRITERIA["cr_min"]),
                "ave_ok": bool(ave >= CRITERIA["ave_min"]),
            }
        )
    validity = pd.DataFrame(rows).set_index("construct")
    ht = htmt(items, scales, missing="pairwise")
    ht = pd.DataFrame(ht.to_numpy(dtype=float), index=list(ht.index), columns=list(ht.columns))
    verdicts = _verdicts(fit, validity, ht)
    sentences = _sentences(encoded.case.id, pa, k, fit, how, sum(fit.n_obs), n_listwise, validity, verdicts)
    return StructureResults(
        case_id=encoded.case.id,
        n_respondents=len(items),
        model=model,
        parallel=pa,
        efa=ef,
        cfa=fit,
        cfa_missing=how,
        n_listwise=n_listwise,
        n_cfa=int(sum(fit.n_obs)),
        validity=validity,
        latent_correlations=corr,
        htmt=ht,
        verdicts=verdicts,
        sentences=sentences,
        notes=tuple(dict.fromkeys(notes)),
        limitations=tuple(limitations),
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


def write_results(results: StructureResults, results_dir: str | Path) -> list[Path]:
    """Write the results of :func:`run` into ``results_dir`` (atomic, byte-stable).

    Files: ``parallel_analysis.csv``, ``efa_loadings.csv``, ``cfa_fit.json``, ``cfa_loadings.csv``,
    ``validity.csv``, ``htmt.csv``, ``structure_summary.json`` (verdicts, sentences, notes).

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
        "n_listwise": results.n_listwise,
        "n": results.n_cfa,
        "n_respondents": results.n_respondents,
        "converged": None if fit is None else bool(fit.converged),
        "model": results.model,
        "fit": None
        if fit is None
        else {k: (None if pd.isna(v) else round(float(v), 6)) for k, v in fit.fit.to_series().items()},
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
    ]


@single_thread_blas()
def cross_case_invariance(
    encoded_by_case: Mapping[str, object], *, model: str, missing: Literal["auto", "listwise", "pairwise"] = "auto"
) -> InvarianceResult:
    """Measurement invariance of ``model`` across cases (group = case), by :func:`emstudy.stats.cfa.invariance`.

    Parameters
    ----------
    encoded_by_case : mapping of case id to EncodedResults
        The cases, in the order wanted for the groups (the first is the reference group).
    model : str
        lavaan measurement syntax over item columns (e.g. :func:`core_model_syntax` or a sub-model).
    missing : {"auto", "listwise", "pairwise"}
        ``"listwise"``: respondents missing any model item are dropped (per case; the deletion
        warning is silenced, group sizes are in ``result.fits["configural"].n_obs``).
        ``"pairwise"``: each case enters through its pairwise-deletion means and covariance matrix
        with n = all its respondents, given to :func:`emstudy.stats.cfa.invariance` as summary statistics
        (as :func:`fit_core_cfa`; consistent under MCAR, fit indices treat the matrices as complete
        data). ``"auto"`` (default): listwise when the complete cases outnumber the configural
        model's free parameters, else pairwise. With the full 12-construct model the five
        synthetic cases have 403 complete cases for 1050 free parameters, so ``"auto"`` chooses
        pairwise there and listwise for small sub-models.
        Runtime: a 3-construct sub-model takes about 4 s; the full 12-construct model across five
        cases (1050 free parameters per fit, three fits) did not finish within 10 minutes on 2
        cores, so use sub-models (e.g. by framework dimension) until cfa.py gets a faster path.

    Returns
    -------
    InvarianceResult
        Configural, metric and scalar fits; a level holds when ΔCFI >= -0.01 and ΔRMSEA <= 0.015
        (Cheung & Rensvold 2002; Chen 2007).

    Examples
    --------
    >>> res = cross_case_invariance({c: load_encoded("..", c) for c in ids}, model=m)  # doctest: +SKIP
    >>> res.level  # doctest: +SKIP
    """
    if not isinstance(encoded_by_case, Mapping) or len(encoded_by_case) < 2:
        raise ValueError("encoded_by_case: expected a mapping of at least two case ids to EncodedResults")
    mm = parse_model(model)
    cols = list(mm.observed)
    if "case" in mm.factors:
        raise ValueError("model: a factor may not be called 'case' (it is the grouping column)")
    if missing not in ("auto", "listwise", "pairwise"):
        raise ValueError(f"missing: expected 'auto', 'listwise' or 'pairwise', got {missing!r}")
    blocks = {}
    for case_id, enc in encoded_by_case.items():
        absent = [c for c in cols if c not in enc.items.columns]
        if absent:
            raise ValueError(f"encoded_by_case[{case_id!r}]: items {absent} are not in the encoded data")
        blocks[str(case_id)] = enc.items[cols].astype(float).reset_index(drop=True)
    how = missing
    if how == "auto":
        n_complete = sum(len(b.dropna()) for b in blocks.values())
        how = "listwise" if n_complete > _n_free(model) * len(blocks) else "pairwise"
    if how == "pairwise":
        moments = {
            case_id: _pairwise_moments(block, f"encoded_by_case[{case_id!r}]") for case_id, block in blocks.items()
        }
        return invariance(
            mm,
            group="case",
            sample_cov={c: m[0] for c, m in moments.items()},
            sample_mean={c: m[1] for c, m in moments.items()},
            sample_nobs={c: m[2] for c, m in moments.items()},
        )
    frames = []
    for case_id, block in blocks.items():
        frame = block.dropna().reset_index(drop=True)
        frame["case"] = case_id
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return invariance(mm, data, "case")
