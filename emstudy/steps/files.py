"""The name of every results file the steps write and read, in one place.

Per case, files live under ``analysis/<case>/results/`` (:meth:`emstudy.project.Project.results_dir`); the
cross-case step writes under ``analysis/all/results/`` (:func:`cross_case_results_dir`); figures and reports
go to ``reports/`` (figure paths here are relative to it, as the reports reference them).

Every figure is drawn once per report language (:data:`emstudy.reporting.pages.LANGS`): ``figures/<name>.png``
in English and ``figures/<name>.zh.png`` in Chinese (:func:`figure_path`); every report is written in each
language and in each format of :data:`emstudy.reporting.render.REPORT_FORMATS` (:func:`report_files`), and the
summary step writes the index pages (:func:`index_pages`) and the web font the HTML pages use
(:func:`web_font_files`).
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
    "INDEX_PAGE",
    "cross_case_results_dir",
    "figure_path",
    "profiles_figure",
    "heatmap_figure",
    "case_profile_figure",
    "case_ipa_figure",
    "case_power_figure",
    "report_langs",
    "report_files",
    "index_pages",
    "web_font_files",
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
"""Stem of ``reports/summary[.zh].md|html|docx|pdf``; a case's reports are named after the case id."""
INDEX_PAGE = "index"
"""Stem of the front door ``reports/index[.zh].html`` (notebook 08), which links every report."""


def cross_case_results_dir(project: Project) -> Path:
    """``analysis/all/results/``: where notebooks 05 and 08 write."""
    return project.analysis_dir / CROSS_CASE / "results"


def figure_path(name: str, lang: str = "en") -> str:
    """A figure in one report language, relative to ``reports/``: ``figures/<name>.png`` in English,
    ``figures/<name>.zh.png`` in Chinese.

    Examples
    --------
    >>> figure_path("heatmap"), figure_path("heatmap", "zh")
    ('figures/heatmap.png', 'figures/heatmap.zh.png')
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang: expected 'en' or 'zh', got {lang!r}")
    return f"figures/{name}.png" if lang == "en" else f"figures/{name}.zh.png"


def profiles_figure(lang: str = "en") -> str:
    """The cross-case profile figure (notebook 05) in ``lang``; :data:`PROFILES_FIGURE` in English."""
    return figure_path("profiles", lang)


def heatmap_figure(lang: str = "en") -> str:
    """The cross-case heatmap (notebook 05) in ``lang``; :data:`HEATMAP_FIGURE` in English."""
    return figure_path("heatmap", lang)


def case_profile_figure(case_id: str, lang: str = "en") -> str:
    """The construct-profile figure of a case, relative to ``reports/``.

    Examples
    --------
    >>> case_profile_figure("yima"), case_profile_figure("yima", "zh")
    ('figures/yima_profile.png', 'figures/yima_profile.zh.png')
    """
    return figure_path(f"{case_id}_profile", lang)


def case_ipa_figure(case_id: str, lang: str = "en") -> str:
    """The importance-performance figure of a case, relative to ``reports/``.

    Examples
    --------
    >>> case_ipa_figure("yima")
    'figures/yima_ipa.png'
    """
    return figure_path(f"{case_id}_ipa", lang)


def case_power_figure(case_id: str, lang: str = "en") -> str:
    """The power curves of a case's findings (notebook 06), relative to ``reports/``.

    Examples
    --------
    >>> case_power_figure("yima")
    'figures/yima_power.png'
    """
    return figure_path(f"{case_id}_power", lang)


def report_langs() -> tuple[str, ...]:
    """The languages every report and figure is written in (:data:`emstudy.reporting.pages.LANGS`)."""
    from emstudy.reporting.pages import LANGS

    return LANGS


def report_files(name: str) -> list[str]:
    """Every file of report ``name`` (a case id or :data:`SUMMARY_REPORT`), relative to ``reports/``: each
    language of :data:`emstudy.reporting.pages.LANGS` in each format of
    :data:`emstudy.reporting.render.REPORT_FORMATS`, in that order (``yima.md``, ``yima.html``, ...,
    ``yima.zh.pdf``)."""
    from emstudy.reporting.document import report_stem
    from emstudy.reporting.render import REPORT_FORMATS

    return [f"{report_stem(name, lang)}.{ext}" for lang in report_langs() for ext in REPORT_FORMATS]


def index_pages() -> list[str]:
    """The index pages in every report language, relative to ``reports/`` (``index.html``, ``index.zh.html``)."""
    from emstudy.reporting.document import report_stem

    return [f"{report_stem(INDEX_PAGE, lang)}.html" for lang in report_langs()]


def web_font_files() -> list[str]:
    """The shipped font and its licence as the summary step copies them, relative to ``reports/``
    (:func:`emstudy.reporting.fonts.write_web_font`)."""
    from emstudy.reporting import fonts

    return [f"{fonts.WEB_FONT_DIR}/{path.name}" for path in (fonts.FONT_FILE, fonts.LICENSE_FILE)]
