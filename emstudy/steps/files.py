"""The name of every results file the steps write and read, in one place.

Per case, files live under ``analysis/<case>/results/`` (:meth:`emstudy.project.Project.results_dir`); the
cross-case step writes under ``analysis/all/results/`` (:func:`cross_case_results_dir`); figures and reports
go to ``reports/`` (figure paths here are relative to it, as the reports reference them).
"""

from __future__ import annotations

from pathlib import Path

from emstudy.project import Project

__all__ = [
    "CROSS_CASE",
    "ENCODED",
    "DATA_QUALITY",
    "MISSING_BY_ITEM",
    "OPEN_ANSWERS",
    "OPEN_ANSWER_COUNTS",
    "RELIABILITY_TABLE",
    "ITEM_STATISTICS",
    "RELIABILITY_SUMMARY",
    "PARALLEL_ANALYSIS",
    "EFA_LOADINGS",
    "CFA_FIT",
    "CFA_WLSMV",
    "CFA_WLSMV_LOADINGS",
    "CFA_LOADINGS",
    "VALIDITY",
    "HTMT",
    "STRUCTURE_SUMMARY",
    "CONSTRUCT_MEANS",
    "DRIVERS_TABLE",
    "ORDINAL_DRIVERS",
    "ROLES",
    "IPA",
    "DRIVERS_SUMMARY",
    "DRIVERS_IMPUTED",
    "ORDINAL_DRIVERS_IMPUTED",
    "IMPUTED_MEANS",
    "PATH_MODEL",
    "PATH_MODEL_SUMMARY",
    "CONSTRUCT_MEANS_BY_CASE",
    "CASE_DIFFERENCES",
    "POSTHOC",
    "BELOW_OTHERS",
    "BELOW_OTHERS_IMPUTED",
    "WEAKNESSES_BELOW_OTHERS",
    "POOLED_DRIVERS",
    "INVARIANCE",
    "INVARIANCE_ORDINAL",
    "INVARIANCE_ORDINAL_TABLE",
    "LATENT_MEANS",
    "PLANNING_TABLE",
    "PLANNING",
    "INTERVIEW_AGREEMENT",
    "TRIANGULATION",
    "INTERVIEWS",
    "OPEN_ANSWERS_AGREEMENT",
    "FINDINGS",
    "PRIORITIES_SHARED",
    "SUMMARY_REPORT",
    "PROFILES_FIGURE",
    "HEATMAP_FIGURE",
    "cross_case_results_dir",
    "case_profile_figure",
    "case_ipa_figure",
    "case_power_figure",
]

CROSS_CASE = "all"
"""The pseudo case id under ``analysis/`` of the cross-case notebooks (05, 08)."""

# -- notebook 01, data quality (per case)
ENCODED = "encoded.csv"
DATA_QUALITY = "data_quality.json"
MISSING_BY_ITEM = "missing_by_item.csv"
OPEN_ANSWERS = "open_answers.csv"
OPEN_ANSWER_COUNTS = "open_answer_counts.csv"

# -- notebook 02, reliability (per case)
RELIABILITY_TABLE = "reliability.csv"
ITEM_STATISTICS = "item_statistics.csv"
RELIABILITY_SUMMARY = "reliability.json"

# -- notebook 03, structure (per case)
PARALLEL_ANALYSIS = "parallel_analysis.csv"
EFA_LOADINGS = "efa_loadings.csv"
CFA_FIT = "cfa_fit.json"
CFA_LOADINGS = "cfa_loadings.csv"
CFA_WLSMV = "cfa_wlsmv.json"  # the CFA with the items as ordered categories (WLSMV, pairwise)
CFA_WLSMV_LOADINGS = "cfa_wlsmv_loadings.csv"
VALIDITY = "validity.csv"
HTMT = "htmt.csv"
STRUCTURE_SUMMARY = "structure_summary.json"

# -- notebook 04, drivers (per case)
CONSTRUCT_MEANS = "construct_means.csv"
DRIVERS_TABLE = "drivers.csv"
ORDINAL_DRIVERS = "ordinal_drivers.csv"
ROLES = "roles.csv"
IPA = "ipa.csv"
DRIVERS_SUMMARY = "drivers.json"
DRIVERS_IMPUTED = "drivers_imputed.csv"
ORDINAL_DRIVERS_IMPUTED = "ordinal_drivers_imputed.csv"
IMPUTED_MEANS = "imputed_means.csv"  # construct means of each imputed set, read by notebook 05
PATH_MODEL = "path_model.csv"
PATH_MODEL_SUMMARY = "path_model.json"

# -- notebook 05, compare (cross-case)
CONSTRUCT_MEANS_BY_CASE = "construct_means_by_case.csv"
CASE_DIFFERENCES = "case_differences.csv"
POSTHOC = "posthoc.csv"
BELOW_OTHERS = "below_others.csv"
BELOW_OTHERS_IMPUTED = "below_others_imputed.csv"
WEAKNESSES_BELOW_OTHERS = "shared_particular.csv"
POOLED_DRIVERS = "pooled_drivers.csv"
INVARIANCE = "invariance.json"
INVARIANCE_ORDINAL = "invariance_ordinal.json"  # the items as ordered categories (WLSMV, pairwise)
INVARIANCE_ORDINAL_TABLE = "invariance_ordinal.csv"
LATENT_MEANS = "latent_means.csv"
PROFILES_FIGURE = "figures/profiles.png"
HEATMAP_FIGURE = "figures/heatmap.png"

# -- notebook 06, planning a repeat survey (per case)
PLANNING_TABLE = "planning.csv"  # power of each finding by sample size
PLANNING = "planning.json"  # the smallest n per finding and the respondents a repeat survey needs

# -- interviews beside the survey (per case with coded interviews; emstudy.steps.interviews, issue 17)
INTERVIEW_AGREEMENT = "interview_agreement.csv"  # coder agreement overall and per code, readings and flags
TRIANGULATION = "triangulation.csv"  # per construct: survey verdict beside the interviews' problem codings
INTERVIEWS = "interviews.json"  # the overall coefficients, flagged codes, thresholds and their sources
OPEN_ANSWERS_AGREEMENT = "open_answers_agreement.csv"  # as interview_agreement.csv, for coded open answers

# -- notebooks 07 (findings, per case) and 08 (summary, cross-case)
FINDINGS = "findings.json"
PRIORITIES_SHARED = "priorities_shared.csv"
SUMMARY_REPORT = "summary"
"""Stem of ``reports/summary[.zh].md|html``; a case's reports are named after the case id."""


def cross_case_results_dir(project: Project) -> Path:
    """``analysis/all/results/``: where notebooks 05 and 08 write."""
    return project.analysis_dir / CROSS_CASE / "results"


def case_profile_figure(case_id: str) -> str:
    """The construct-profile figure of a case, relative to ``reports/``.

    Examples
    --------
    >>> case_profile_figure("yima")
    'figures/yima_profile.png'
    """
    return f"figures/{case_id}_profile.png"


def case_ipa_figure(case_id: str) -> str:
    """The importance-performance figure of a case, relative to ``reports/``.

    Examples
    --------
    >>> case_ipa_figure("yima")
    'figures/yima_ipa.png'
    """
    return f"figures/{case_id}_ipa.png"


def case_power_figure(case_id: str) -> str:
    """The power curves of a case's findings (notebook 06), relative to ``reports/``.

    Examples
    --------
    >>> case_power_figure("yima")
    'figures/yima_power.png'
    """
    return f"figures/{case_id}_power.png"
