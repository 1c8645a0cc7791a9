"""Notebook 08: the cross-case summary (priorities shared across places, the respondents a repeat survey of each
place needs), ``reports/summary[.zh].md|html|docx|pdf`` and the front door ``reports/index[.zh].html`` with the
web font its pages load (``reports/fonts/``).

Every file is written atomically; the reports carry the synthetic-data banner on their first screen.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from emstudy.fileio import write_csv
from emstudy.project import Project
from emstudy.steps import files
from emstudy.steps import findings as case_findings
from emstudy.steps.findings import CaseFindings, shared_priorities

__all__ = ["SummaryResults", "run", "write_results", "write_reports", "write_index"]


@dataclass(frozen=True)
class SummaryResults:
    """The findings of every case, the priorities they share, the invariance verdict of notebook 05 and the plan
    for a repeat survey of each case (notebook 06's ``planning.json``, by case id; cases without it are left
    out)."""

    findings: tuple[CaseFindings, ...]
    shared: pd.DataFrame
    invariance_verdict: str | None
    invariance_text: dict[str, str] = field(default_factory=dict)
    planning: dict[str, dict] = field(default_factory=dict)


def run(project: Project, case_ids: Sequence[str]) -> SummaryResults:
    """Collect every case's findings (:func:`emstudy.steps.findings.run`) and which priorities they share.

    The invariance verdict and notebook 05's paragraphs on it (level reached, freed intercepts, latent mean
    differences; English and Chinese) are read from ``analysis/all/results/invariance.json`` when notebook 05
    wrote it, followed by its paragraph on the ordinal (WLSMV) invariance (``invariance_ordinal.json``). Each
    case's plan for a repeat survey is read from notebook 06's ``planning.json`` when it exists.
    """
    findings = tuple(case_findings.run(project, c) for c in case_ids)
    shared = shared_priorities({cf.case.id: list(cf.priorities["construct"]) for cf in findings})
    invariance_path = files.cross_case_results_dir(project) / files.INVARIANCE
    verdict, text = None, {}
    if invariance_path.is_file():
        inv = json.loads(invariance_path.read_text(encoding="utf-8"))
        verdict, text = inv.get("verdict"), dict(inv.get("text") or {})
    ordinal_path = files.cross_case_results_dir(project) / files.INVARIANCE_ORDINAL
    if text and ordinal_path.is_file():  # the ordinal (WLSMV) check of the same verdict, and what the means rest on
        ordinal = json.loads(ordinal_path.read_text(encoding="utf-8")).get("text") or {}
        text = {lang: f"{para}\n\n{ordinal[lang]}" if ordinal.get(lang) else para for lang, para in text.items()}
    plans = {c: project.results_dir(c) / files.PLANNING for c in case_ids}
    planning = {c: json.loads(path.read_text(encoding="utf-8")) for c, path in plans.items() if path.is_file()}
    return SummaryResults(findings, shared, verdict, text, planning)


def write_results(results: SummaryResults, results_dir: str | Path) -> list[Path]:
    """Write ``priorities_shared.csv`` atomically."""
    if not isinstance(results, SummaryResults):
        raise TypeError(
            f"results: expected the SummaryResults of emstudy.steps.summary.run, got {type(results).__name__}"
        )
    return [write_csv(Path(results_dir) / files.PRIORITIES_SHARED, results.shared, index=False)]


def write_reports(results: SummaryResults, project: Project) -> list[Path]:
    """Write ``reports/summary[.zh].md|html|docx|pdf``, each language showing the cross-case figures of notebook 05
    in its own language that exist, then the front door (:func:`write_index`).
    """
    from emstudy.reporting.pages import LANGS, summary_report
    from emstudy.reporting.render import write_report

    codebook = project.codebook()
    written: list[Path] = []
    titles: dict[str, str] = {}
    for lang in LANGS:
        figures = [
            (key, path)
            for key, path in (
                ("heatmap_caption", files.heatmap_figure(lang)),
                ("profiles_caption", files.profiles_figure(lang)),
            )
            if (project.reports_dir / path).is_file()
        ]
        report = summary_report(
            results.findings,
            codebook,
            lang=lang,
            shared=results.shared,
            invariance_verdict=results.invariance_verdict,
            figures=figures,
            invariance_text=results.invariance_text.get(lang),
            planning=results.planning,
        )
        titles[lang] = report.title
        written += write_report(report, project.reports_dir, files.SUMMARY_REPORT)
    return written + write_index(results, project, summary_titles=titles)


def write_index(results: SummaryResults, project: Project, *, summary_titles: Mapping[str, str]) -> list[Path]:
    """Write ``reports/index.html`` and ``index.zh.html`` (:func:`emstudy.reporting.index.write_index`): one row
    per place (its name and the framework of its thesis or study, in each language) and the summary (titled
    ``summary_titles`` by language), each linked in every format, with the synthetic-data notice when any
    place's data are synthetic; and the web font the pages load (``reports/fonts/``)."""
    from emstudy.reporting.index import IndexEntry
    from emstudy.reporting.index import write_index as write_pages

    entries = [
        IndexEntry(cf.case.id, cf.case.name.en, cf.case.name.zh, cf.case.framework.en, cf.case.framework.zh)
        for cf in results.findings
    ]
    notes = _SUMMARY_NOTE
    entries.append(
        IndexEntry(files.SUMMARY_REPORT, summary_titles["en"], summary_titles["zh"], notes["en"], notes["zh"])
    )
    synthetic = any(cf.synthetic for cf in results.findings)
    return write_pages(project.reports_dir, entries, synthetic=synthetic)


_SUMMARY_NOTE = {
    "en": "Shared and particular weaknesses, measurement invariance, the respondents a repeat survey needs",
    "zh": "共同与特有的薄弱环节、测量不变性、重复调查所需样本量",
}
"""What the summary row of the index says the summary holds."""
