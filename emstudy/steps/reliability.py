"""Study-level reliability step (notebook 02): thresholds, verdicts, sentences (en/zh) and results files.

The statistics themselves live in :mod:`emstudy.stats.reliability` and :mod:`emstudy.stats.factorability`;
this module applies them to one case's encoded items (``analysis/<case>/results/encoded.csv``), judges
them against the usual thresholds and writes ``reliability.csv``, ``item_statistics.csv`` and
``reliability.json``.

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
from typing import Any

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
from emstudy.survey.limits import Limitation, ScaleScreen, screen_scales

__all__ = [
    "RELIABILITY_THRESHOLDS",
    "MISSING_POLICY",
    "FACTORABILITY_POLICY",
    "ReliabilityResults",
    "assess_reliability",
    "reliability_sentences",
    "run",
    "write_results",
]

#: Thresholds used to judge reliability and factorability, with their sources.
#:
#: - ``alpha_acceptable`` 0.70 and ``alpha_good`` 0.80: Nunnally, J. C. (1978). *Psychometric theory*
#:   (2nd ed.). McGraw-Hill (0.70 for early-stage research; 0.80 for basic research).
#: - ``omega_acceptable`` 0.70: the same rule of thumb applied to McDonald's omega total
#:   (McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum).
#: - ``r_drop_min`` 0.30: corrected item-total correlation (item with the total of the other items)
#:   below 0.30 flags a weak item (Nunnally & Bernstein, 1994, *Psychometric theory*, 3rd ed.).
#: - ``kmo_min`` 0.60 and ``kmo_meritorious`` 0.80: Kaiser, H. F. (1974). An index of factorial
#:   simplicity. Psychometrika, 39(1), 31-36 ("mediocre" from 0.60, "meritorious" from 0.80).
#: - ``bartlett_p_max`` 0.05: Bartlett, M. S. (1950). Tests of significance in factor analysis.
#:   British Journal of Psychology, Statistical Section, 3, 77-85 (reject sphericity at p < .05).
RELIABILITY_THRESHOLDS: dict[str, float] = {
    "alpha_acceptable": 0.70,
    "alpha_good": 0.80,
    "omega_acceptable": 0.70,
    "r_drop_min": 0.30,
    "kmo_min": 0.60,
    "kmo_meritorious": 0.80,
    "bartlett_p_max": 0.05,
}

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

_NEEDED = ("alpha", "alpha_ci_lower", "alpha_ci_upper", "omega_total", "weakest_item", "weakest_r_drop")


def _check_table(table: Any) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table: expected a DataFrame from reliability_table, got {type(table).__name__}")
    missing = [c for c in _NEEDED if c not in table.columns]
    if missing:
        raise ValueError(f"table: missing column(s) {missing}; expected the output of reliability_table")
    return table


def assess_reliability(table: pd.DataFrame) -> pd.DataFrame:
    """Add verdict columns to a construct table from :func:`emstudy.stats.reliability.reliability_table`.

    Parameters
    ----------
    table : DataFrame
        One row per construct with at least ``alpha``, ``alpha_ci_lower``, ``alpha_ci_upper``,
        ``omega_total``, ``weakest_item`` and ``weakest_r_drop``.

    Returns
    -------
    DataFrame
        A copy with ``meets_alpha`` (alpha >= 0.70), ``meets_omega`` (omega >= 0.70),
        ``meets_r_drop`` (every item's r.drop >= 0.30, i.e. the weakest one), ``meets`` (all three) and
        ``verdict``: ``"good"`` (meets, alpha >= 0.80), ``"acceptable"`` (meets, alpha < 0.80),
        ``"weak item"`` (alpha and omega meet but an item's r.drop < 0.30) or ``"below threshold"``
        (alpha or omega below 0.70). Missing statistics count as not meeting.

    Examples
    --------
    >>> t = pd.DataFrame({"alpha": [0.85, 0.65], "alpha_ci_lower": [0.8, 0.6], "alpha_ci_upper": [0.9, 0.7],
    ...                   "omega_total": [0.86, 0.66], "weakest_item": ["A1", "B2"],
    ...                   "weakest_r_drop": [0.6, 0.35]}, index=["A", "B"])
    >>> assess_reliability(t)["verdict"].tolist()
    ['good', 'below threshold']
    """
    t = _check_table(table).copy()
    th = RELIABILITY_THRESHOLDS

    def ge(col: str, bound: float) -> pd.Series:
        v = pd.to_numeric(t[col], errors="coerce")
        return (v >= bound).fillna(False).astype(bool)

    t["meets_alpha"] = ge("alpha", th["alpha_acceptable"])
    t["meets_omega"] = ge("omega_total", th["omega_acceptable"])
    t["meets_r_drop"] = ge("weakest_r_drop", th["r_drop_min"])
    t["meets"] = t["meets_alpha"] & t["meets_omega"] & t["meets_r_drop"]
    good = ge("alpha", th["alpha_good"])
    verdict = []
    for i in range(len(t)):
        if not (t["meets_alpha"].iloc[i] and t["meets_omega"].iloc[i]):
            verdict.append("below threshold")
        elif not t["meets_r_drop"].iloc[i]:
            verdict.append("weak item")
        else:
            verdict.append("good" if good.iloc[i] else "acceptable")
    t["verdict"] = verdict
    return t


def _label(codebook: Any, construct: str, lang: str) -> str:
    if codebook is None:
        return str(construct)
    try:
        return str(codebook.label(construct, lang))
    except (KeyError, ValueError):
        return str(construct)


def _f(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "NA"
    return "NA" if math.isnan(v) else f"{v:.2f}"


def reliability_sentences(table: pd.DataFrame, codebook: Any = None, *, lang: str = "en") -> list[str]:
    """One sentence per construct saying whether it meets the reliability thresholds.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`emstudy.stats.reliability.reliability_table` (verdicts are added if absent).
    codebook : Codebook, optional
        Gives the construct labels (``label(id, lang)``); without it the construct ids are used.
    lang : {"en", "zh"}
        Language of the sentences; construct names are given as "English (中文)" in English and
        "中文（English）" in Chinese.

    Returns
    -------
    list of str
        For example ``"Information release (信息发布): alpha = 0.81 [0.78, 0.84], ordinal alpha = 0.85,
        omega = 0.82, weakest item INF3 (r.drop = 0.52): meets the usual thresholds."`` (ordinal alpha
        only when the table has an ``ordinal_alpha`` column).

    Examples
    --------
    >>> t = pd.DataFrame({"alpha": [0.65], "alpha_ci_lower": [0.6], "alpha_ci_upper": [0.7],
    ...                   "omega_total": [0.66], "weakest_item": ["B2"], "weakest_r_drop": [0.35]}, index=["B"])
    >>> reliability_sentences(t)[0]
    'B: alpha = 0.65 [0.60, 0.70], omega = 0.66, weakest item B2 (r.drop = 0.35): does not meet the threshold (alpha and omega >= 0.70).'
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh'; got {lang!r}")
    t = table if "verdict" in getattr(table, "columns", ()) else assess_reliability(table)
    th = RELIABILITY_THRESHOLDS
    out = []
    for cid, row in t.iterrows():
        en, zh = _label(codebook, cid, "en"), _label(codebook, cid, "zh")
        special = _special_sentence(row, en, zh, codebook is None, lang)
        if special:
            out.append(special)
            continue
        nums = (
            f"alpha = {_f(row['alpha'])} [{_f(row['alpha_ci_lower'])}, {_f(row['alpha_ci_upper'])}], "
            + _ordinal_text(row, lang)
            + f"omega = {_f(row['omega_total'])}, "
        )
        v = row["verdict"]
        if lang == "en":
            name = en if codebook is None or en == zh else f"{en} ({zh})"
            weak = f"weakest item {row['weakest_item']} (r.drop = {_f(row['weakest_r_drop'])})"
            if v == "good":
                tail = f"meets the usual thresholds (alpha >= {th['alpha_good']:.2f}, good)."
            elif v == "acceptable":
                tail = (
                    f"meets the usual thresholds (alpha >= {th['alpha_acceptable']:.2f}, acceptable, "
                    f"below {th['alpha_good']:.2f})."
                )
            elif v == "weak item":
                tail = (
                    f"alpha and omega meet the threshold, but item {row['weakest_item']} has "
                    f"r.drop below {th['r_drop_min']:.2f}."
                )
            else:
                tail = f"does not meet the threshold (alpha and omega >= {th['alpha_acceptable']:.2f})."
            out.append(f"{name}: {nums}{weak}: {tail}")
        else:
            name = zh if codebook is None or en == zh else f"{zh}（{en}）"
            weak = f"最弱题项 {row['weakest_item']}（r.drop = {_f(row['weakest_r_drop'])}）"
            if v == "good":
                tail = f"达到通常标准（alpha ≥ {th['alpha_good']:.2f}，信度良好）。"
            elif v == "acceptable":
                tail = (
                    f"达到通常标准（alpha ≥ {th['alpha_acceptable']:.2f}，信度可接受，低于 {th['alpha_good']:.2f}）。"
                )
            elif v == "weak item":
                tail = f"alpha 与 omega 达到标准，但题项 {row['weakest_item']} 的 r.drop 低于 {th['r_drop_min']:.2f}。"
            else:
                tail = f"未达到标准（alpha 与 omega 应 ≥ {th['alpha_acceptable']:.2f}）。"
            out.append(f"{name}：{nums}{weak}：{tail}")
    return out


def _ordinal_text(row: pd.Series, lang: str, *, two: bool = False) -> str:
    """``"ordinal alpha = 0.85, "`` (``"有序alpha = 0.85，"``) when the table has the column, else ``""``."""
    if "ordinal_alpha" not in row.index:
        return ""
    if two:
        return f" (ordinal {_f(row['ordinal_alpha'])})" if lang == "en" else f"（有序 {_f(row['ordinal_alpha'])}）"
    return (
        f"ordinal alpha = {_f(row['ordinal_alpha'])}, " if lang == "en" else f"有序alpha = {_f(row['ordinal_alpha'])}, "
    )


def _special_sentence(row: pd.Series, en: str, zh: str, bare: bool, lang: str) -> str | None:
    """The sentence of a scale not computed or measured by two items (Spearman-Brown), else None."""
    sb = row.get("spearman_brown", math.nan)
    if row["verdict"] != "not computed" and (sb is None or pd.isna(sb)):
        return None
    th = RELIABILITY_THRESHOLDS["alpha_acceptable"]
    if lang == "en":
        name = en if bare or en == zh else f"{en} ({zh})"
        if row["verdict"] == "not computed":
            return f"{name}: reliability not computed ({row.get('reliability_note', '')})."
        meets = "meets" if row["meets"] else "does not meet"
        return (
            f"{name}: two items, Spearman-Brown coefficient = {_f(sb)}{_ordinal_text(row, lang, two=True)}: "
            f"{meets} the threshold ({th:.2f})."
        )
    name = zh if bare or en == zh else f"{zh}（{en}）"
    if row["verdict"] == "not computed":
        return f"{name}：未计算信度（{row.get('reliability_note_zh', row.get('reliability_note', ''))}）。"
    meets = "达到" if row["meets"] else "未达到"
    return f"{name}：两个题项，Spearman-Brown 系数 = {_f(sb)}{_ordinal_text(row, lang, two=True)}：{meets}标准（{th:.2f}）。"


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
    sentences : ``{"en": [...], "zh": [...]}``.
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
    sentences = {lang: reliability_sentences(table, codebook, lang=lang) for lang in ("en", "zh")}
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
