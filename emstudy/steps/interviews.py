"""Interviews beside the survey: how well two coders agreed, and whether interviews and survey name the same weaknesses.

A case whose thesis rests on interviews has its coded interview segments in ``data/raw/<case>.interviews.csv``
(or ``.xlsx``, ``.qdpx``; the tidy table of :mod:`emstudy.survey.interviews`, checked against the interview
code book ``data/interview_codes.yml``), coded by two coders. :func:`run` gives:

**Agreement per code and overall** (:func:`agreement_table`). A *unit* is a segment.

* Per code: each coder's coding of a segment is *present* (1) or *absent* (0); Cohen's kappa (Fleiss, Cohen &
  Everitt 1969 interval), Krippendorff's alpha (nominal, Hayes & Krippendorff 2007 bootstrap interval and the
  share of replicates below .667), Gwet's AC1 and percent agreement (Gwet's intervals) on these 0/1 ratings,
  for every code of the code book that either coder used on the case (an unused code has nothing to agree on
  and is listed in ``interviews.json`` as unused).
* Overall: a coder's category of a segment is the code it gave, or the *set* of its codes (ids joined by
  ``+``) when it gave several, so any difference in the sets is a disagreement (the per-code rows credit the
  codes they share). Gwet's AC1 counts every code of the code book as a category, plus the sets that occur.

**Readings and flags** (:data:`THRESHOLDS`, with their sources): kappa and AC1 in the words of Landis & Koch
(1977); alpha as Krippendorff (2004, p. 241): reliable >= .800, tentative conclusions only >= .667. A code is
flagged when its alpha is below .667 or its kappa is moderate or lower (<= .60: the cut at "substantial" is
this study's convention). Percent agreement has no threshold (chance agreement is not removed).

**Triangulation** (:func:`triangulation`), per construct of the instrument, in the convergence-coding terms
of O'Cathain, Murphy & Nicholl (2010):

* the survey's verdict: rated below the other places (notebook 05's ``below_others.csv``, ``below``); the
  case file's listed weaknesses (the thesis's, or the synthetic study's planted ones) beside it;
* the interviews: the segments coded on the construct (by a code whose constructs include it) *by both
  coders* (``basis="agreed"``: a code counts for a segment only when both coders gave it; or one named
  coder's codings), ``n_segments``; with a problem code on it (polarity from the code book) ``n_problem``,
  with a strength code ``n_strength``;
* the interviews name the construct a problem when it holds more than an even share of the case's problem
  codings (``n_problem > sum(n_problem) / K``, K constructs) **and** its problems outnumber its strengths;
* ``verdict``: ``"agreement"`` when interviews and survey say the same (a weakness, or not), ``"divergence"``
  when they differ, ``"silence"`` when fewer than ``min_segments`` segments speak to the construct.

:func:`write_results` writes ``interview_agreement.csv``, ``triangulation.csv`` and ``interviews.json``.

**Open answers** coded the same way (:data:`OPEN_ANSWERS`): when the case has coded interviews and a file
``data/raw/<case>.open_answers.coded.csv`` (or ``.xlsx``, ``.qdpx``) in the same tidy format (``source`` =
``"open_answers"``, ``segment_id`` = the respondent id of notebook 01's ``open_answers.csv``, texts scrubbed
like the open answers, the same code book, two coders), the same functions give their agreement
(``open_answers_agreement.csv``, ``interviews.json`` key ``open_answers``) and the triangulation table gains
``open_n_answers, open_n_problem, open_problem_share`` (of the answers coded on the construct) and
``open_problem`` (the interviews' rule applied to the open answers) beside the interviews' columns. Without such
a file nothing of the above changes.

References
----------
Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for categorical data.
*Biometrics*, 33(1), 159-174.
Krippendorff, K. (2004). *Content Analysis: An Introduction to Its Methodology* (2nd ed.), ch. 11. Sage.
Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability measure for coding
data. *Communication Methods and Measures*, 1(1), 77-89.
Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.). Advanced Analytics.
O'Cathain, A., Murphy, E., & Nicholl, J. (2010). Three techniques for integrating data in mixed methods
studies. *BMJ*, 341, c4587.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.errors import DataWarning, EmstudyError
from emstudy.fileio import verify_checksums, write_csv, write_json
from emstudy.project import Project
from emstudy.stats.agreement import AgreementResult, cohen_kappa, gwet_ac1, krippendorff_alpha, percent_agreement
from emstudy.steps import files
from emstudy.steps.interviews_text import (
    ALPHA_RELIABLE,
    ALPHA_TENTATIVE,
    KAPPA_ACCEPTED,
    THRESHOLDS,
    krippendorff_reading,
    landis_koch,
    statements,
)
from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook
from emstudy.survey.interviews import InterviewCodes, load_interview_codes, read_codings
from emstudy.survey.simulate_interviews import interviews_truth_file_name

__all__ = [
    "CODINGS_EXTENSIONS",
    "ALPHA_RELIABLE",
    "ALPHA_TENTATIVE",
    "KAPPA_ACCEPTED",
    "THRESHOLDS",
    "InterviewResults",
    "OPEN_ANSWERS",
    "codings_path",
    "landis_koch",
    "krippendorff_reading",
    "agreement_table",
    "triangulation",
    "run",
    "write_results",
]

CODINGS_EXTENSIONS = (".csv", ".xlsx", ".qdpx")
"""Formats of a case's coded interviews ``data/raw/<case>.interviews.<ext>`` (exactly one may exist)."""
OPEN_ANSWERS = "open_answers"
"""The ``source`` of coded open answers ``data/raw/<case>.open_answers.coded.<ext>`` (segment = respondent)."""
_STEMS = {"interviews": "{case}.interviews", OPEN_ANSWERS: "{case}.open_answers.coded"}

_COEFFICIENTS = ("kappa", "alpha", "ac1", "percent")
_SEGMENT = ["case", "source", "segment_id"]


@dataclass(frozen=True)
class InterviewResults:
    """Coder agreement and the triangulation of one case's interviews with its survey (:func:`run`).

    Attributes
    ----------
    case : Case
    synthetic : bool
        The interviews or the survey are synthetic (every file says so).
    source : str
        The codings file, relative to the project.
    coders : tuple of str
        The two coders, in the order of the file.
    n_segments : int
        Segments coded (units of the agreement statistics).
    agreement : pandas.DataFrame
        :func:`agreement_table`: the overall row, then one row per code used.
    triangulation : pandas.DataFrame
        :func:`triangulation`: one row per construct.
    overall : dict
        Each overall coefficient in full (:meth:`~emstudy.stats.agreement.AgreementResult.to_frame`).
    settings : dict
        Seed, bootstrap replicates, level, basis and ``min_segments``, and how multi-code segments count.
    unused : tuple of str
        Codes of the code book that neither coder used.
    open_answers : dict, optional
        The coded open answers' ``source, coders, n_segments, overall, flagged, unused_codes`` (as the
        interviews'), when the case has them; None otherwise.
    open_agreement : pandas.DataFrame, optional
        :func:`agreement_table` of the coded open answers, when the case has them.
    """

    case: Case
    synthetic: bool
    source: str
    coders: tuple[str, ...]
    n_segments: int
    agreement: pd.DataFrame
    triangulation: pd.DataFrame
    overall: dict
    settings: dict
    unused: tuple[str, ...] = field(default=())
    open_answers: dict | None = None
    open_agreement: pd.DataFrame | None = None

    @property
    def flagged(self) -> list[str]:
        """The codes flagged below the thresholds (in code-book order)."""
        rows = self.agreement[(self.agreement["unit"] != "overall") & self.agreement["flagged"].astype(bool)]
        return list(rows["unit"])

    def to_dict(self) -> dict[str, object]:
        """What ``interviews.json`` holds."""
        tri = self.triangulation
        count = {v: int((tri["verdict"] == v).sum()) for v in ("agreement", "divergence", "silence")}
        return {
            "case": self.case.id,
            "synthetic": self.synthetic,
            "note": "SYNTHETIC DATA: not the thesis's interviews or survey." if self.synthetic else "",
            "source": self.source,
            "coders": list(self.coders),
            "n_segments": self.n_segments,
            "overall": self.overall,
            "flagged": self.flagged,
            "unused_codes": list(self.unused),
            "thresholds": THRESHOLDS,
            "triangulation": {
                **count,
                "divergent": list(tri.loc[tri["verdict"] == "divergence", "construct"]),
                "rule": "interviews name a construct a problem when n_problem > sum(n_problem) / K and n_problem "
                "> n_strength; silence below min_segments segments (O'Cathain, Murphy & Nicholl 2010)",
            },
            "settings": self.settings,
        } | ({"open_answers": self.open_answers} if self.open_answers is not None else {})

    def __repr__(self) -> str:
        return (
            f"InterviewResults(case={self.case.id!r}, segments={self.n_segments}, flagged={self.flagged}, "
            f"synthetic={self.synthetic})"
        )


# ---------------------------------------------------------------------------------------------- segments


def _segments(codings: pd.DataFrame, *, label: str) -> tuple[pd.DataFrame, list[str]]:
    """One row per segment, one column per coder holding the set of codes it gave (segments in file order)."""
    missing = [c for c in (*_SEGMENT, "code", "coder") if c not in codings.columns]
    if missing:
        raise EmstudyError(f"{label}: missing column(s) {missing}; read the codings with read_codings")
    if codings.empty:
        raise EmstudyError(f"{label}: holds no codings")
    cases = list(dict.fromkeys(codings["case"].astype(str)))
    if len(cases) != 1:
        raise EmstudyError(f"{label}: holds codings of {len(cases)} cases {cases}; give one case's codings")
    coders = list(dict.fromkeys(codings["coder"].astype(str)))
    if len(coders) != 2:
        raise EmstudyError(
            f"{label}: coded by {len(coders)} coder(s) {coders}; the agreement of this step compares exactly two "
            "coders (keep the two whose codings are compared)"
        )
    keys = codings[_SEGMENT].astype(str).apply(tuple, axis=1)
    order = list(dict.fromkeys(keys))
    table = pd.DataFrame(index=pd.MultiIndex.from_tuples(order, names=_SEGMENT))
    for coder in coders:
        mine = codings["coder"].astype(str) == coder
        sets = pd.Series(codings.loc[mine, "code"].astype(str).to_numpy(), index=keys[mine]).groupby(level=0).agg(set)
        table[coder] = [frozenset(sets.get(k, set())) for k in order]
    empty = table[(table[coders[0]].map(len) == 0) | (table[coders[1]].map(len) == 0)]
    if len(empty):
        _, src, seg = empty.index[0]
        raise EmstudyError(f"{label}: segment {seg!r} of source {src!r} is not coded by both coders {coders}")
    return table, coders


def _category(codes: frozenset, order: dict[str, int]) -> str:
    return "+".join(sorted(codes, key=lambda c: order.get(c, len(order))))


# --------------------------------------------------------------------------------------------- agreement


def _quiet(fn, *args, **kwargs) -> AgreementResult:
    """A coefficient that may be undefined (one category): NaN without the DataWarning (read "not defined")."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return fn(*args, **kwargs)


def _coefficients(r1: Sequence, r2: Sequence, categories: Sequence, *, n_boot: int, seed, conf_level: float) -> dict:
    """The four coefficients of two coders' labels on the same segments, as columns of one row."""
    pair = np.column_stack([np.asarray(r1, dtype=object), np.asarray(r2, dtype=object)])
    kw = {"categories": list(categories), "conf_level": conf_level}
    kappa = _quiet(cohen_kappa, pair[:, 0], pair[:, 1], **kw)
    alpha = _quiet(krippendorff_alpha, pair.T, level="nominal", n_boot=n_boot, seed=seed, **kw)
    ac1 = _quiet(gwet_ac1, pair, **kw)
    pa = percent_agreement(pair, **kw)
    row: dict[str, object] = {}
    for name, res in zip(_COEFFICIENTS, (kappa, alpha, ac1, pa), strict=True):
        row |= {name: res.estimate, f"{name}_ci_lower": res.ci_lower, f"{name}_ci_upper": res.ci_upper}
    row["kappa_pvalue"] = kappa.pvalue
    row["alpha_prob_below"] = alpha.prob_below(ALPHA_TENTATIVE) if alpha.boot is not None else float("nan")
    row["_results"] = {"cohen_kappa": kappa, "krippendorff_alpha": alpha, "gwet_ac1": ac1, "percent_agreement": pa}
    return row


def _readings(row: dict) -> dict:
    kappa, alpha = row["kappa"], row["alpha"]
    reasons = []
    if krippendorff_reading(alpha) == "unreliable":
        reasons.append(f"alpha {alpha:.3f} < {ALPHA_TENTATIVE} (Krippendorff 2004)")
    if math.isfinite(kappa) and landis_koch(kappa) not in KAPPA_ACCEPTED:
        reasons.append(f"kappa {kappa:.3f} {landis_koch(kappa)}, not substantial (Landis & Koch 1977)")
    return {
        "kappa_reading": landis_koch(kappa),
        "alpha_reading": krippendorff_reading(alpha),
        "ac1_reading": landis_koch(row["ac1"]),
        "flagged": bool(reasons),
        "flag_reason": "; ".join(reasons),
    }


def agreement_table(
    codings: pd.DataFrame,
    codes: InterviewCodes,
    *,
    n_boot: int = 2000,
    seed: int = 20190719,
    conf_level: float = 0.95,
    label: str = "codings",
) -> pd.DataFrame:
    """Agreement of two coders per code (present/absent on each segment) and overall (the segment's code).

    Parameters
    ----------
    codings : pandas.DataFrame
        The tidy codings of one case by two coders (:func:`emstudy.survey.interviews.read_codings`).
    codes : InterviewCodes
        The interview code book (labels, polarity, constructs; the order of the rows).
    n_boot : int, default 2000
        Bootstrap replicates of Krippendorff's alpha (Hayes & Krippendorff 2007).
    seed : int
        Seed of the bootstraps: ``SeedSequence(seed)`` spawns one child for the overall row and one per code of
        the code book (by its position there), so a code's interval does not depend on which others are used.
    conf_level : float, default 0.95
    label : str
        What the codings are, named in messages.

    Returns
    -------
    pandas.DataFrame
        One row per unit (``"overall"``, then each code used, in code-book order): ``unit, en, zh, polarity,
        constructs`` (``;``-joined), ``n_segments, n_coded_1, n_coded_2, n_coded_both`` (segments each coder,
        and both, gave the code), then for each of ``kappa, alpha, ac1, percent`` the estimate and its
        ``_ci_lower``/``_ci_upper``, ``kappa_pvalue``, ``alpha_prob_below`` (share of bootstrap replicates
        below .667), ``kappa_reading, alpha_reading, ac1_reading, flagged, flag_reason``. ``df.attrs`` holds
        ``coders``, ``unused`` (codes no coder used) and ``multi_code`` (segments given several codes).

    Raises
    ------
    EmstudyError
        Not one case, not two coders, a segment one coder left uncoded.
    ValueError
        A bad ``n_boot``, ``seed`` or ``conf_level``.

    References
    ----------
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability measure for coding
    data. *Communication Methods and Measures*, 1(1), 77-89.
    """
    return _agreement(codings, codes, n_boot=n_boot, seed=seed, conf_level=conf_level, label=label)[0]


def _agreement(
    codings: pd.DataFrame, codes: InterviewCodes, *, n_boot: int, seed: int, conf_level: float, label: str
) -> tuple[pd.DataFrame, dict[str, AgreementResult]]:
    """:func:`agreement_table` and the overall coefficients in full."""
    _check_args(n_boot=n_boot, seed=seed, conf_level=conf_level)
    table, coders = _segments(codings, label=label)
    ids = codes.ids
    order = {c: k for k, c in enumerate(ids)}
    unknown = sorted({c for s in table[coders[0]].tolist() + table[coders[1]].tolist() for c in s} - set(ids))
    if unknown:
        raise EmstudyError(f"{label}: code(s) {unknown} are not in the interview code book; read them with it")
    children = np.random.SeedSequence(seed).spawn(1 + len(ids))
    a, b = (table[c].map(lambda s: _category(s, order)).tolist() for c in coders)
    extra = sorted(set(a + b) - set(ids), key=lambda s: [order[c] for c in s.split("+")])
    overall = _coefficients(a, b, [*ids, *extra], n_boot=n_boot, seed=children[0], conf_level=conf_level)
    both = sum(x == y for x, y in zip(a, b, strict=True))
    rows = [{"unit": "overall", "en": "All codes", "zh": "全部编码", "polarity": "", "constructs": ""}]
    rows[0] |= {"n_segments": len(table), "n_coded_1": len(table), "n_coded_2": len(table), "n_coded_both": both}
    rows[0] |= overall
    unused = []
    for k, code in enumerate(codes.codes):
        r1 = table[coders[0]].map(lambda s, c=code.id: int(c in s)).tolist()
        r2 = table[coders[1]].map(lambda s, c=code.id: int(c in s)).tolist()
        if not any(r1) and not any(r2):
            unused.append(code.id)
            continue
        row = {"unit": code.id, "en": code.en, "zh": code.zh, "polarity": code.polarity}
        row |= {"constructs": ";".join(code.constructs), "n_segments": len(table)}
        row |= {"n_coded_1": sum(r1), "n_coded_2": sum(r2), "n_coded_both": sum(x & y for x, y in zip(r1, r2))}
        rows.append(row | _coefficients(r1, r2, [0, 1], n_boot=n_boot, seed=children[1 + k], conf_level=conf_level))
    for row in rows:
        row |= _readings(row)
    frame = pd.DataFrame([{k: v for k, v in row.items() if k != "_results"} for row in rows])
    frame.attrs |= {"coders": coders, "unused": unused, "multi_code": _multi(table, coders)}
    return frame, rows[0]["_results"]


def _multi(table: pd.DataFrame, coders: list[str]) -> int:
    """Segments to which some coder gave more than one code."""
    return int(((table[coders[0]].map(len) > 1) | (table[coders[1]].map(len) > 1)).sum())


def _check_args(*, n_boot: int, seed: int, conf_level: float) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot: expected a whole number >= 0, got {n_boot!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a whole number >= 0, got {seed!r}")
    if isinstance(conf_level, bool) or not isinstance(conf_level, (int, float)) or not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number in (0, 1), got {conf_level!r}")


# ------------------------------------------------------------------------------------------ triangulation


def _interview_counts(table: pd.DataFrame, coders: list[str], codes: InterviewCodes, basis: str) -> pd.DataFrame:
    """Per construct: segments coded on it, with a problem code, with a strength code (on the basis chosen)."""
    if basis == "agreed":
        coded = [x & y for x, y in zip(table[coders[0]], table[coders[1]], strict=True)]
    else:
        coded = list(table[basis])
    counts: dict[str, list[int]] = {}
    for found in coded:
        on: dict[str, set[str]] = {}
        for code_id in found:
            code = codes.code(code_id)
            for construct in code.constructs:
                on.setdefault(construct, set()).add(code.polarity)
        for construct, polarity in on.items():
            n = counts.setdefault(construct, [0, 0, 0])
            n[0] += 1
            n[1] += "problem" in polarity
            n[2] += "strength" in polarity
    return pd.DataFrame.from_dict(counts, orient="index", columns=["n_segments", "n_problem", "n_strength"])


def triangulation(
    codings: pd.DataFrame,
    codes: InterviewCodes,
    *,
    below: pd.DataFrame,
    case: Case,
    codebook: Codebook,
    basis: str = "agreed",
    min_segments: int = 3,
    label: str = "codings",
) -> pd.DataFrame:
    """The survey's verdict on each construct beside the interviews' problem codings (module notes: the rule).

    Parameters
    ----------
    codings : pandas.DataFrame
        The tidy codings of the case by two coders.
    codes : InterviewCodes
        The interview code book (polarity and constructs of each code).
    below : pandas.DataFrame
        Notebook 05's ``below_others.csv`` (``case, construct, diff, pvalue_holm, below``; every case).
    case, codebook : Case, Codebook
        The case (its listed weaknesses and framework dimensions); the instrument (one row per construct).
    basis : str, default "agreed"
        ``"agreed"``: a code counts for a segment only when both coders gave it; or a coder's name: that
        coder's codings.
    min_segments : int, default 3
        Fewer segments on a construct than this is ``silence``.
    label : str
        What the codings are, named in messages.

    Returns
    -------
    pandas.DataFrame
        ``construct, construct_en, construct_zh, dimension, survey_weakness`` (below the other places),
        ``survey_diff, survey_pvalue_holm, case_weakness`` (listed in the case file), ``n_segments, n_problem,
        n_strength, problem_share, problem_concentration`` (``n_problem / sum(n_problem)``), ``even_share``
        (1 / K), ``interview_problem`` (missing when silent), ``verdict``, ``statement_en``, ``statement_zh``.

    Raises
    ------
    EmstudyError
        The case is not in ``below``, or as :func:`agreement_table`.
    ValueError
        A bad ``basis`` or ``min_segments``.

    References
    ----------
    O'Cathain, A., Murphy, E., & Nicholl, J. (2010). Three techniques for integrating data in mixed methods
    studies. *BMJ*, 341, c4587.
    """
    if isinstance(min_segments, bool) or not isinstance(min_segments, (int, np.integer)) or min_segments < 1:
        raise ValueError(f"min_segments: expected a whole number >= 1, got {min_segments!r}")
    table, coders = _segments(codings, label=label)
    if basis != "agreed" and basis not in coders:
        raise ValueError(f"basis: expected 'agreed' or one of the coders {coders}, got {basis!r}")
    mine = below[below["case"].astype(str) == case.id].set_index("construct")
    if mine.empty:
        raise EmstudyError(f"below_others: case {case.id!r} was not compared; run notebook 05_compare with it")
    constructs = list(codebook.construct_ids)
    counts = _interview_counts(table, coders, codes, basis).reindex(constructs, fill_value=0)
    total, k = int(counts["n_problem"].sum()), len(constructs)
    rows = []
    for c in constructs:
        n, n_p, n_s = (int(counts.at[c, col]) for col in ("n_segments", "n_problem", "n_strength"))
        dims = [d.id for d in case.framework.dimensions if c in d.constructs]
        row = {"construct": c, "construct_en": codebook.label(c, "en"), "construct_zh": codebook.label(c, "zh")}
        row["dimension"] = dims[0] if dims else None
        surveyed = c in mine.index
        row["survey_weakness"] = bool(mine.at[c, "below"]) if surveyed else None
        row["survey_diff"] = float(mine.at[c, "diff"]) if surveyed else float("nan")
        row["survey_pvalue_holm"] = float(mine.at[c, "pvalue_holm"]) if surveyed else float("nan")
        row["case_weakness"] = c in case.weaknesses
        row |= {"n_segments": n, "n_problem": n_p, "n_strength": n_s}
        row["problem_share"] = n_p / n if n else float("nan")
        row["problem_concentration"] = n_p / total if total else float("nan")
        row["even_share"] = 1.0 / k
        silent = n < min_segments or not surveyed
        row["interview_problem"] = None if silent else bool(n_p * k > total and n_p > n_s)
        row["verdict"] = (
            "silence" if silent else "agreement" if row["interview_problem"] == row["survey_weakness"] else "divergence"
        )
        rows.append(row | statements(row, min_segments))
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------ the step


def codings_path(project: Project, case_id: str, *, source: str = "interviews") -> Path | None:
    """The case's coded interviews ``data/raw/<case>.interviews.{csv,xlsx,qdpx}`` (``source="interviews"``) or
    coded open answers ``data/raw/<case>.open_answers.coded.{csv,xlsx,qdpx}`` (``source="open_answers"``);
    None when it has none (the step does not run for a case without coded interviews).

    Raises
    ------
    EmstudyError
        When there is more than one.
    ValueError
        An unknown ``source``.
    """
    if source not in _STEMS:
        raise ValueError(f"source: expected one of {sorted(_STEMS)}, got {source!r}")
    stem = _STEMS[source].format(case=case_id)
    found = [project.raw_dir / f"{stem}{ext}" for ext in CODINGS_EXTENSIONS]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        raise EmstudyError(
            f"{project.raw_dir}: more than one file of coded {source.replace('_', ' ')} for case {case_id!r} "
            f"({', '.join(p.name for p in found)}); keep exactly one"
        )
    return found[0] if found else None


def _coded(project: Project, path: Path, case_id: str, codes: InterviewCodes, *, verify: bool, **kw) -> tuple:
    """One codings file (interviews or open answers: one code path) read and checked, with its agreement."""
    if verify:
        verify_checksums(project.raw_dir, [path.name])
    label = path.relative_to(project.root).as_posix()
    codings = read_codings(path, codes=codes, case=case_id)
    if path.name.startswith(f"{case_id}.open_answers."):
        wrong = codings.loc[codings["source"].astype(str) != OPEN_ANSWERS, "source"]
        if len(wrong):
            raise EmstudyError(
                f"{label}: source {wrong.iloc[0]!r} in coded open answers; give every row source "
                f"{OPEN_ANSWERS!r} and the respondent id as segment_id"
            )
    agreement, results = _agreement(codings, codes, label=label, **kw)
    overall = {name: res.to_frame().iloc[0].to_dict() for name, res in results.items()}
    for name, res in results.items():
        overall[name] |= {"ci_method": res.ci_method, "reading": _overall_reading(name, res.estimate)}
    return label, codings, agreement, overall


def _summary(label: str, agreement: pd.DataFrame, overall: dict) -> dict:
    """The coders, segments, overall coefficients, flagged and unused codes of one codings file."""
    codes = agreement[agreement["unit"] != "overall"]
    return {
        "source": label,
        "coders": list(agreement.attrs["coders"]),
        "n_segments": int(agreement.at[0, "n_segments"]),
        "overall": overall,
        "flagged": list(codes.loc[codes["flagged"].astype(bool), "unit"]),
        "unused_codes": list(agreement.attrs["unused"]),
    }


def _beside(tri: pd.DataFrame, codings: pd.DataFrame, codes: InterviewCodes, *, basis: str, min_segments: int, label):
    """The triangulation table with the open answers' problem codings beside the interviews' (same rule)."""
    table, coders = _segments(codings, label=label)
    if basis != "agreed" and basis not in coders:
        raise EmstudyError(f"{label}: basis {basis!r} is not one of its coders {coders}; use basis='agreed'")
    counts = _interview_counts(table, coders, codes, basis).reindex(list(tri["construct"]), fill_value=0)
    n, p, s = (counts[c].astype(int).tolist() for c in ("n_segments", "n_problem", "n_strength"))
    total, k = sum(p), len(tri)
    return tri.assign(
        open_n_answers=n,
        open_n_problem=p,
        open_problem_share=[b / a if a else float("nan") for a, b in zip(n, p, strict=True)],
        open_problem=[
            None if a < min_segments else bool(b * k > total and b > c) for a, b, c in zip(n, p, s, strict=True)
        ],
    )


def _read_below(project: Project, case_id: str) -> pd.DataFrame:
    path = files.cross_case_results_dir(project) / files.BELOW_OTHERS
    if not path.is_file():
        raise EmstudyError(f"{path}: not found; run notebook 05_compare first (emstudy run)")
    below = pd.read_csv(path)
    if case_id not in set(below["case"].astype(str)):
        raise EmstudyError(f"{path}: case {case_id!r} was not compared; run notebook 05_compare with it")
    return below


def run(
    project: Project,
    case_id: str,
    *,
    n_boot: int = 2000,
    seed: int = 20190719,
    conf_level: float = 0.95,
    basis: str = "agreed",
    min_segments: int = 3,
    verify: bool = True,
) -> InterviewResults:
    """Coder agreement and triangulation of a case's coded interviews (module notes: what and how).

    Parameters
    ----------
    project : Project
        The project: ``data/raw/<case>.interviews.*``, ``data/interview_codes.yml`` and notebook 05's
        ``below_others.csv`` under ``analysis/all/results`` are read, and ``data/raw/<case>.open_answers.coded.*``
        when it exists (module notes: open answers).
    case_id : str
    n_boot, seed, conf_level
        As :func:`agreement_table`.
    basis, min_segments
        As :func:`triangulation`.
    verify : bool, default True
        Check the codings file against ``data/raw/SHA256SUMS`` first.

    Returns
    -------
    InterviewResults

    Raises
    ------
    EmstudyError
        No coded interviews for the case, a changed or unlisted file, bad codings (one line naming the file and
        row), notebook 05 not run.

    References
    ----------
    Krippendorff, K. (2004). *Content Analysis: An Introduction to Its Methodology* (2nd ed.). Sage.
    """
    _check_args(n_boot=n_boot, seed=seed, conf_level=conf_level)
    path = codings_path(project, case_id)
    if path is None:
        raise EmstudyError(
            f"{project.raw_dir / case_id}.interviews.*: case {case_id!r} has no coded interviews; put them at "
            f"data/raw/{case_id}.interviews.csv (or .xlsx, .qdpx) and record them with `emstudy checksum`"
        )
    codebook = project.codebook()
    codes = load_interview_codes(project.root / "data" / "interview_codes.yml", codebook)
    case = project.case(case_id, codebook)
    kw = {"n_boot": n_boot, "seed": seed, "conf_level": conf_level}
    source, codings, agreement, overall = _coded(project, path, case_id, codes, verify=verify, **kw)
    below = _read_below(project, case_id)
    tri = triangulation(
        codings, codes, below=below, case=case, codebook=codebook, basis=basis, min_segments=min_segments, label=source
    )
    opened, open_agreement = None, None
    open_path = codings_path(project, case_id, source=OPEN_ANSWERS)
    if open_path is not None:  # the open answers coded the same way, beside the interviews
        label, open_codings, open_agreement, open_overall = _coded(
            project, open_path, case_id, codes, verify=verify, **kw
        )
        tri = _beside(tri, open_codings, codes, basis=basis, min_segments=min_segments, label=label)
        opened = _summary(label, open_agreement, open_overall)
    synthetic = (path.parent / interviews_truth_file_name(case_id)).is_file() or project.is_synthetic(case_id)
    settings = {"n_boot": int(n_boot), "seed": int(seed), "conf_level": float(conf_level), "basis": basis}
    settings |= {"min_segments": int(min_segments), "multi_code_segments": agreement.attrs["multi_code"]}
    settings |= {
        "multi_code": "per code: present/absent on each segment; overall: the set of a coder's codes on a "
        "segment is one category (ids joined by '+'), so differing sets disagree"
    }
    coders, unused, n = (
        tuple(agreement.attrs["coders"]),
        tuple(agreement.attrs["unused"]),
        int(agreement.at[0, "n_segments"]),
    )
    return InterviewResults(
        case, synthetic, source, coders, n, agreement, tri, overall, settings, unused, opened, open_agreement
    )


def _overall_reading(name: str, value: float) -> str:
    return {"krippendorff_alpha": krippendorff_reading, "percent_agreement": lambda v: ""}.get(name, landis_koch)(value)


def write_results(results: InterviewResults, results_dir: str | Path) -> list[Path]:
    """Write ``interview_agreement.csv``, ``triangulation.csv`` and ``interviews.json`` atomically (and
    ``open_answers_agreement.csv`` when the case has coded open answers).

    A synthetic case's tables carry a ``synthetic`` column set to True, and its JSON a note, so no table is
    read as the thesis's interviews.
    """
    if not isinstance(results, InterviewResults):
        raise TypeError(
            f"results: expected the InterviewResults of emstudy.steps.interviews.run, got {type(results).__name__}"
        )
    d, tag = Path(results_dir), {"case": results.case.id, "synthetic": results.synthetic}
    tables = [(files.INTERVIEW_AGREEMENT, results.agreement), (files.TRIANGULATION, results.triangulation)]
    if results.open_agreement is not None:
        tables.append((files.OPEN_ANSWERS_AGREEMENT, results.open_agreement))
    out = [write_csv(d / name, t.assign(**tag)[["case", *t.columns, "synthetic"]], index=False) for name, t in tables]
    return [*out, write_json(d / files.INTERVIEWS, results.to_dict())]
