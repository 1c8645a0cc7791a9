"""Study-level reliability step (notebook 02): the statistics of a case, its verdicts and results files.

The statistics themselves live in :mod:`emstudy.stats.reliability` and :mod:`emstudy.stats.factorability`;
this module applies them to one case's encoded items (``analysis/<case>/results/encoded.csv``), judges
them against the usual thresholds and writes ``reliability.csv``, ``item_statistics.csv`` and
``reliability.json``. The thresholds, verdicts and sentences (en/zh) are in :mod:`emstudy.steps.reliability_text`
(re-exported here); the sentences a report shows summarise the reliability table beside them
(:func:`reliability_summary`) instead of repeating it row by row.

Ordinal alpha and omega (Zumbo, Gadermann & Zeisser 2007) are reported beside alpha and omega: the same
coefficients from the polychoric correlations of a scale's items, i.e. the reliability of the latent
continuous responses assumed behind the five categories, not of the observed sum score that notebooks 04
and 05 use (Chalmers 2018); the verdicts therefore rest on alpha and omega of the observed scores.

Missing data: each scale's statistics use the respondents who answered all of that scale's items
(listwise per scale; ordinal alpha and omega too). KMO and Bartlett over all items use pairwise-complete correlations, as
``psych::KMO(items)`` does on raw data: listwise over 48 items would keep only the respondents who answered
every one of them (about a third of a case in the synthetic study, and for a small case fewer respondents
than items, when the correlation matrix is singular). The listwise values are reported beside them as a
sensitivity check when they can be computed.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.errors import DataWarning, ModelWarning
from emstudy.fileio import write_csv, write_json
from emstudy.stats.correlation import polychoric
from emstudy.stats.factorability import BartlettResult, KMOResult, bartlett_sphericity, kmo
from emstudy.stats.omega import omega
from emstudy.stats.reliability import cronbach_alpha, item_statistics, reliability_table, spearman_brown
from emstudy.steps import files
from emstudy.steps.context import EncodedResults
from emstudy.steps.reliability_text import (
    RELIABILITY_THRESHOLDS,
    assess_reliability,
    reliability_sentences,
    reliability_summary,
)
from emstudy.survey.limits import Limitation, ScaleScreen, screen_scales

__all__ = [
    "RELIABILITY_THRESHOLDS",
    "MISSING_POLICY",
    "FACTORABILITY_POLICY",
    "ReliabilityResults",
    "assess_reliability",
    "reliability_sentences",
    "reliability_summary",
    "run",
    "write_results",
]

#: Missing-data policy of the reliability step.
MISSING_POLICY = "listwise"
MISSING_POLICY_TEXT = (
    "listwise: each scale uses the respondents who answered all its items; "
    "KMO and Bartlett over all items use pairwise-complete correlations (listwise as a sensitivity check)"
)
#: Missing-data policy of KMO and Bartlett over all items.
FACTORABILITY_POLICY = "pairwise"
#: How the ordinal columns are computed (written to reliability.json).
ORDINAL_CONVENTION = (
    "ordinal_alpha: psych::alpha(psych::polychoric(na.omit(items[, scale]))$rho)$total$raw_alpha; "
    "ordinal_omega_total: psych::omega(na.omit(items[, scale]), nfactors = 1, poly = TRUE)$omega.tot "
    "(three or more items). Alpha and omega of the latent continuous responses behind the categories "
    "(Zumbo, Gadermann & Zeisser 2007), not of the observed sum score (Chalmers 2018); verdicts use alpha and omega."
)

_VERDICTS = ("good", "acceptable", "weak item", "below threshold", "not computed")


@dataclass(frozen=True)
class ReliabilityResults:
    """Reliability of one case.

    Attributes
    ----------
    case_id : the case.
    table : construct table (reliability_table + ``std_alpha`` + ``ordinal_alpha`` and ``ordinal_omega_total``,
        from polychoric correlations + verdict columns), indexed by construct.
    items : item statistics of every item with its ``construct`` (listwise per scale).
    kmo : KMO over all items (``None`` when it cannot be computed: see ``limitations``) from pairwise-complete Pearson correlations (each correlation over the
        respondents who answered both items, with their own means and SDs): R ``psych::KMO(items)`` on the
        raw items, which uses ``cor(items, use = "pairwise")``.
    bartlett : Bartlett's test of sphericity on the same correlations, with ``n`` the smallest number of
        respondents behind any of them (``psych::cortest.bartlett(items)`` would use all rows).
    n : respondents kept by notebook 01.
    synthetic : whether the case's data are emstudy's synthetic study.
    sentences : ``{"en": [...], "zh": [...]}``, the summary of the table (:func:`reliability_summary`).
    kmo_listwise, bartlett_listwise : the same on the respondents who answered all items (sensitivity
        check; each item misses about 2.5% in the synthetic study, so this keeps about a third), or
        ``None`` when they cannot be computed; ``listwise_note`` then says why.
    limitations : what the data could not support (items left out, scales not computed, two-item scales
        reported with the Spearman-Brown coefficient; :func:`emstudy.survey.limits.screen_scales`), each
        in English and Chinese (written as ``{"en": ..., "zh": ...}``).
    """

    case_id: str
    table: pd.DataFrame = field(repr=False)
    items: pd.DataFrame = field(repr=False)
    kmo: KMOResult | None
    bartlett: BartlettResult | None
    n: int
    synthetic: bool
    sentences: dict[str, list[str]] = field(repr=False)
    kmo_listwise: KMOResult | None = field(default=None, repr=False)
    bartlett_listwise: BartlettResult | None = field(default=None, repr=False)
    listwise_note: str | None = None
    limitations: tuple[Limitation, ...] = ()

    def __repr__(self) -> str:
        counts = self.table["verdict"].value_counts()
        v = ", ".join(f"{k}: {int(counts[k])}" for k in _VERDICTS if k in counts)
        lim = "".join(f"\nlimitation: {m}" for m in self.limitations)
        return (
            f"ReliabilityResults(case={self.case_id!r}, n={self.n}, constructs={len(self.table)} "
            f"({v}), alpha {self.table['alpha'].min():.3f}-{self.table['alpha'].max():.3f}, "
            + (
                f"KMO={self.kmo.msa:.3f}, Bartlett chi2({self.bartlett.df})={self.bartlett.chisq:.1f}, "
                f"p={self.bartlett.pvalue:.3g}, "
                if self.kmo is not None and self.bartlett is not None
                else "KMO and Bartlett not computed, "
            )
            + f"missing={MISSING_POLICY!r} per scale, "
            f"{FACTORABILITY_POLICY!r} over all items){lim}"
        )

    def factorability(self) -> pd.DataFrame:
        """KMO and Bartlett in one small table with their thresholds and whether they are met (no rows for
        what was not computed)."""
        th = RELIABILITY_THRESHOLDS
        kmo_th = f">= {th['kmo_min']:.2f} (>= {th['kmo_meritorious']:.2f} meritorious)"
        names: list[str] = []
        value: list[float] = []
        n: list[int] = []
        threshold: list[str] = []
        meets: list[bool | None] = []
        if self.kmo is not None and self.bartlett is not None:
            names += ["KMO", "Bartlett chi2", "Bartlett df", "Bartlett p"]
            value += [self.kmo.msa, self.bartlett.chisq, float(self.bartlett.df), self.bartlett.pvalue]
            n += [self.kmo.n, self.bartlett.n, self.bartlett.n, self.bartlett.n]
            threshold += [kmo_th, "", "", f"< {th['bartlett_p_max']:.2f}"]
            meets += [self.kmo.msa >= th["kmo_min"], None, None, self.bartlett.pvalue < th["bartlett_p_max"]]
        if self.kmo_listwise is not None and self.bartlett_listwise is not None:
            names += ["KMO (listwise, sensitivity)", "Bartlett p (listwise, sensitivity)"]
            value += [self.kmo_listwise.msa, self.bartlett_listwise.pvalue]
            n += [self.kmo_listwise.n, self.bartlett_listwise.n]
            threshold += [kmo_th, f"< {th['bartlett_p_max']:.2f}"]
            meets += [self.kmo_listwise.msa >= th["kmo_min"], self.bartlett_listwise.pvalue < th["bartlett_p_max"]]
        return pd.DataFrame(
            {"value": value, "n": n, "threshold": threshold, "meets": meets}, index=pd.Index(names, name="statistic")
        )


def run(encoded: EncodedResults) -> ReliabilityResults:
    """Reliability of one case from what notebook 01 wrote.

    Parameters
    ----------
    encoded : EncodedResults
        From :func:`emstudy.steps.context.load_encoded` (``.items``, ``.codebook``, ``.case``, ``.synthetic``).

    Returns
    -------
    ReliabilityResults
        Construct table for the eleven core constructs and the outcome (listwise per scale), item
        statistics of all items with their construct, KMO and Bartlett over all items (pairwise, with the
        listwise values as a sensitivity check when the complete cases allow them).

    Notes
    -----
    Warnings from :mod:`emstudy.stats.reliability` about possibly unreversed items (negative r.drop) are
    caught and recorded: they cannot occur for the encoded items, whose reverse-keyed items are
    already reversed, and a notebook must not print them.
    """
    for attr in ("items", "codebook", "case"):
        if not hasattr(encoded, attr):
            raise ValueError(f"encoded: expected EncodedResults from load_encoded (no .{attr})")
    items: pd.DataFrame = encoded.items
    codebook = encoded.codebook
    screen = screen_scales(items, codebook.scales())
    scales = screen.computable()
    all_items = [c for cols in screen.scales.values() for c in cols]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # possibly unreversed items (negative r.drop)
        warnings.simplefilter("ignore", ModelWarning)  # singular correlation matrix of a scale (KMO not computed)
        table, frames = _scale_tables(items, scales, screen)
        table, ordinal_notes = _with_ordinal_columns(table, items, scales)
        k, b, why = _pairwise_factorability(items[all_items])
        kl, bl, note = _listwise_factorability(items[all_items])
    table = _assess_with_limits(table, screen)
    table.index.name = "construct"
    item_frame = pd.concat(frames)
    item_frame.index.name = "item"
    sentences = {lang: reliability_summary(table, codebook, lang=lang) for lang in ("en", "zh")}
    return ReliabilityResults(
        case_id=str(encoded.case.id),
        table=table,
        items=item_frame,
        kmo=k,
        bartlett=b,
        n=int(len(items)),
        synthetic=bool(getattr(encoded, "synthetic", False)),
        sentences=sentences,
        kmo_listwise=kl,
        bartlett_listwise=bl,
        listwise_note=note,
        limitations=screen.notes + ordinal_notes + ((why,) if why else ()),
    )


def _pairwise_factorability(items: pd.DataFrame) -> tuple[KMOResult | None, BartlettResult | None, Limitation | None]:
    """KMO and Bartlett on the pairwise correlations, or ``None`` and the reason when they cannot be computed
    (too few respondents: a pair never answered together, or an item constant among a pair's respondents)."""
    try:
        return kmo(items, missing=FACTORABILITY_POLICY), bartlett_sphericity(items, missing=FACTORABILITY_POLICY), None
    except (ValueError, np.linalg.LinAlgError) as exc:
        return (
            None,
            None,
            Limitation(
                f"KMO and Bartlett not computed: {str(exc).rstrip('.')}",
                f"未计算KMO与Bartlett球形检验：仅{len(items)}名受访者，题项间的成对相关无法全部计算",
            ),
        )


def _scale_tables(
    items: pd.DataFrame, scales: dict[str, list[str]], screen: ScaleScreen
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The construct table (scales of three or more items from :func:`reliability_table`; two-item scales
    with their raw alpha, standardized alpha and Spearman-Brown coefficient; scales not computed as empty
    rows) in codebook order, and the item statistics of every computed scale."""
    wide = {s: cols for s, cols in scales.items() if len(cols) > 2}
    table = reliability_table(items, wide, missing=MISSING_POLICY) if wide else pd.DataFrame()
    std = {s: cronbach_alpha(items[cols], missing=MISSING_POLICY).std_alpha for s, cols in scales.items()}
    rows = {}
    for s, cols in scales.items():
        if len(cols) == 2:
            a = cronbach_alpha(items[cols], missing=MISSING_POLICY)
            st = item_statistics(items[cols], missing=MISSING_POLICY)
            rows[s] = {
                "n": a.n,
                "n_items": 2,
                "alpha": a.alpha,
                "alpha_ci_lower": a.ci_lower,
                "alpha_ci_upper": a.ci_upper,
                "mean_inter_item_r": a.average_r,
                "weakest_item": str(st["r_drop"].idxmin()),
                "weakest_r_drop": float(st["r_drop"].min()),
                "spearman_brown": spearman_brown(items[cols], missing=MISSING_POLICY),
            }
    for s in screen.not_computed:
        why = screen.not_computed[s]
        rows[s] = {"n_items": len(screen.scales[s]), "reliability_note": why.en, "reliability_note_zh": why.zh}
    if rows:
        table = pd.concat([table, pd.DataFrame.from_dict(rows, orient="index")])
        table = table.reindex([s for s in screen.scales if s in table.index])
        table["weakest_item"] = table["weakest_item"].astype(object)
    table.insert(table.columns.get_loc("alpha") + 1, "std_alpha", pd.Series(std, dtype=float))
    frames = []
    for s, cols in scales.items():
        st = item_statistics(items[cols], missing=MISSING_POLICY)
        st.insert(0, "construct", s)
        frames.append(st)
    return table, frames


def _ordinal_one(s: str, x: pd.DataFrame) -> tuple[float, float, Limitation | None]:
    """Ordinal alpha and (three or more items) ordinal omega total of one scale's answers, listwise, or NaN
    and the reason when its polychoric correlations cannot be estimated."""
    complete = x.dropna()
    try:
        rho = polychoric(complete).to_numpy()
    except ValueError as exc:
        reason = str(exc).removeprefix("data: ")
        return (
            math.nan,
            math.nan,
            Limitation(
                f"scale {s}: ordinal alpha and omega not computed: {reason}",
                f"量表{s}未计算有序alpha与omega：{len(complete)}名作答完整的受访者的回答无法估计多分格相关"
                "（受访者过少，或某题项只用了一个选项）",
            ),
        )
    at_bound = np.argwhere(np.abs(np.tril(rho, -1)) >= 0.9999)
    if at_bound.size:  # a table without an interior maximum of the likelihood (too few respondents)
        a, b = (str(x.columns[i]) for i in at_bound[0])
        return (
            math.nan,
            math.nan,
            Limitation(
                f"scale {s}: ordinal alpha and omega not computed: the polychoric correlation of {a} and {b} "
                f"has no estimate inside (-1, 1) from {len(complete)} respondents",
                f"量表{s}未计算有序alpha与omega：{len(complete)}名作答完整的受访者不足以估计{a}与{b}的多分格相关"
                "（估计值落在边界）",
            ),
        )
    alpha = cronbach_alpha(x, cor="polychoric", missing=MISSING_POLICY).alpha
    if x.shape[1] < 3:  # omega is not identified by two items
        return alpha, math.nan, None
    return alpha, omega(x, n_factors=1, cor="polychoric", missing=MISSING_POLICY).omega_total_single, None


def _with_ordinal_columns(
    table: pd.DataFrame, items: pd.DataFrame, scales: dict[str, list[str]]
) -> tuple[pd.DataFrame, tuple[Limitation, ...]]:
    """The construct table with ``ordinal_alpha`` (after the alpha interval) and ``ordinal_omega_total``
    (after omega), NaN where a scale's polychoric correlations cannot be estimated, and one limitation each.

    The encoded answers are the category codes 1-5; they are rounded to those integers first (a result
    must not change when the data carry rounding noise, ``tests/test_fileio_reproducible.py``).
    """
    values: dict[str, tuple[float, float]] = {}
    notes: list[Limitation] = []
    for s, cols in scales.items():
        alpha, omega_total, note = _ordinal_one(s, items[cols].round())
        values[s] = (alpha, omega_total)
        notes += [note] if note else []
    t = table.copy()
    ordinal = pd.DataFrame.from_dict(values, orient="index", columns=["ordinal_alpha", "ordinal_omega_total"])
    ordinal = ordinal.reindex(t.index)
    t.insert(t.columns.get_loc("alpha_ci_upper") + 1, "ordinal_alpha", ordinal["ordinal_alpha"])
    after = "omega_total" if "omega_total" in t.columns else "ordinal_alpha"
    t.insert(t.columns.get_loc(after) + 1, "ordinal_omega_total", ordinal["ordinal_omega_total"])
    return t, tuple(notes)


def _assess_with_limits(table: pd.DataFrame, screen: ScaleScreen) -> pd.DataFrame:
    """:func:`assess_reliability`, with two-item scales judged by their Spearman-Brown coefficient (omega is
    not identified for two items) and scales not computed marked ``"not computed"``."""
    t = assess_reliability(table)
    if "spearman_brown" in t.columns:
        two = t["spearman_brown"].notna()
        sb_ok = (t["spearman_brown"] >= RELIABILITY_THRESHOLDS["alpha_acceptable"]) & two
        good = (t["spearman_brown"] >= RELIABILITY_THRESHOLDS["alpha_good"]) & two
        t.loc[two, "meets_alpha"] = sb_ok[two]
        t.loc[two, "meets_omega"] = sb_ok[two]
        t.loc[two, "meets"] = sb_ok[two] & t.loc[two, "meets_r_drop"]
        t.loc[two, "verdict"] = [
            ("good" if g else "acceptable") if m else "below threshold" for m, g in zip(sb_ok[two], good[two])
        ]
    t.loc[t.index.isin(list(screen.not_computed)), "verdict"] = "not computed"
    return t


def _listwise_factorability(items: pd.DataFrame) -> tuple[KMOResult | None, BartlettResult | None, str | None]:
    """KMO and Bartlett on the complete cases, or ``None`` and the reason when they cannot be computed."""
    n_complete = int(items.notna().all(axis=1).sum())
    if n_complete <= items.shape[1]:
        return (
            None,
            None,
            (
                f"only {n_complete} respondents answered all {items.shape[1]} items, not more than "
                "the number of items, so their correlation matrix is singular"
            ),
        )
    try:
        return kmo(items, missing="listwise"), bartlett_sphericity(items, missing="listwise"), None
    except ValueError as exc:
        return None, None, f"not computed on the {n_complete} complete cases: {exc}"


def write_results(results: ReliabilityResults, results_dir: str | Path) -> list[Path]:
    """Write ``reliability.csv``, ``item_statistics.csv`` and ``reliability.json`` (atomic, byte-stable).

    Parameters
    ----------
    results : ReliabilityResults
    results_dir : path
        ``analysis/<case>/results``.

    Returns
    -------
    list of Path
        The files written.
    """
    if not isinstance(results, ReliabilityResults):
        raise ValueError(f"results: expected ReliabilityResults, got {type(results).__name__}")
    d = Path(results_dir)
    k, b, kl, bl = results.kmo, results.bartlett, results.kmo_listwise, results.bartlett_listwise
    summary = {
        "case": results.case_id,
        "n": results.n,
        "missing": MISSING_POLICY,
        "missing_policy": MISSING_POLICY_TEXT,
        "synthetic": results.synthetic,
        "kmo": None
        if k is None
        else {
            "overall": float(k.msa),
            "n": int(k.n),
            "n_items": int(k.n_items),
            "lowest_item": str(k.msa_items.idxmin()),
            "lowest_item_msa": float(k.msa_items.min()),
            "convention": "psych::KMO(items): KMO of cor(items, use = 'pairwise.complete.obs')",
        },
        "bartlett": None
        if b is None
        else {
            "chisq": float(b.chisq),
            "df": int(b.df),
            "pvalue": float(b.pvalue),
            "n": int(b.n),
            "convention": "psych::cortest.bartlett(cor(items, use = 'pairwise.complete.obs'), "
            "n = smallest pairwise count)",
        },
        "listwise_sensitivity": (
            {
                "kmo": float(kl.msa),
                "bartlett_chisq": float(bl.chisq),
                "bartlett_pvalue": float(bl.pvalue),
                "n": int(kl.n),
                "convention": "psych::KMO(cor(na.omit(items))); psych::cortest.bartlett(cor(na.omit(items)), "
                "n = nrow(na.omit(items)))",
            }
            if kl is not None and bl is not None
            else {"note": results.listwise_note}
        ),
        "alpha_convention": "psych::alpha(na.omit(items[, scale]), check.keys = FALSE); Feldt 95% interval",
        "ordinal_convention": ORDINAL_CONVENTION,
        "verdicts": {str(c): str(v) for c, v in results.table["verdict"].items()},
        "thresholds": dict(RELIABILITY_THRESHOLDS),
        "sentences": {lang: list(s) for lang, s in results.sentences.items()},
        **({"limitations": [m.to_dict() for m in results.limitations]} if results.limitations else {}),
    }
    return [
        write_csv(d / files.RELIABILITY_TABLE, results.table),
        write_csv(d / files.ITEM_STATISTICS, results.items),
        write_json(d / files.RELIABILITY_SUMMARY, summary),
    ]
