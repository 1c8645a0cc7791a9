"""What each notebook reads and writes, and the cache that decides whether its outputs are current.

Every notebook task declares the files it reads (its case's files under ``data/``, the codebook, the
recommendations catalogue, the results files of earlier notebooks, named by the constants of
:mod:`emstudy.steps.files`) and the set of cases it depends on, and the files it writes. Its cache key is a
hash of the template, its parameters, the library source, that set of cases and the *contents* of every file
it reads, computed just before the task would run (so a notebook downstream of one that reran sees the new
results). A task is skipped ("cached") only when its key equals the one recorded after its last successful
run and every output recorded then still exists with the recorded hash: a deleted or edited output is never
cached, and a change to any input reruns exactly the tasks that read it, and those that read what they wrote.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from emstudy.fileio import sha256_file, write_json
from emstudy.project import Project
from emstudy.steps import files
from emstudy.steps.files import CROSS_CASE
from emstudy.steps.interviews import CODINGS_EXTENSIONS

__all__ = ["declare", "case_inputs", "interview_inputs", "TaskCache", "STEP_RESULTS", "CATALOGUE", "INTERVIEW_CODES"]

INTERVIEW_CODES = "data/interview_codes.yml"
"""The interview code book (relative to the project root), read by the findings notebook of a case with interviews."""
CATALOGUE = "data/recommendations.yml"
"""The recommendations catalogue (relative to the project root), read by the findings notebooks."""

#: The results files each step writes (under ``analysis/<case>/results/`` or ``analysis/all/results/``).
STEP_RESULTS: dict[str, tuple[str, ...]] = {
    "01_data_quality": (
        files.ENCODED,
        files.DATA_QUALITY,
        files.MISSING_BY_ITEM,
        files.OPEN_ANSWERS,
        files.OPEN_ANSWER_COUNTS,
    ),
    "02_reliability": (files.RELIABILITY_TABLE, files.ITEM_STATISTICS, files.RELIABILITY_SUMMARY),
    "03_structure": (
        files.PARALLEL_ANALYSIS,
        files.EFA_LOADINGS,
        files.CFA_FIT,
        files.CFA_LOADINGS,
        files.CFA_WLSMV,
        files.CFA_WLSMV_LOADINGS,
        files.VALIDITY,
        files.HTMT,
        files.STRUCTURE_SUMMARY,
    ),
    "04_drivers": (
        files.CONSTRUCT_MEANS,
        files.DRIVERS_TABLE,
        files.ORDINAL_DRIVERS,
        files.ROLES,
        files.IPA,
        files.DRIVERS_SUMMARY,
        files.DRIVERS_IMPUTED,
        files.ORDINAL_DRIVERS_IMPUTED,
        files.IMPUTED_MEANS,
        files.PATH_MODEL,
        files.PATH_MODEL_SUMMARY,
    ),
    "05_compare": (
        files.CONSTRUCT_MEANS_BY_CASE,
        files.CASE_DIFFERENCES,
        files.POSTHOC,
        files.BELOW_OTHERS,
        files.BELOW_OTHERS_IMPUTED,
        files.WEAKNESSES_BELOW_OTHERS,
        files.POOLED_DRIVERS,
        files.INVARIANCE,
        files.LATENT_MEANS,
        files.INVARIANCE_ORDINAL_TABLE,
        files.INVARIANCE_ORDINAL,
    ),
    "06_planning": (files.PLANNING_TABLE, files.PLANNING),
    "07_findings": (
        files.FINDINGS,
        files.INTERVIEW_AGREEMENT,
        files.TRIANGULATION,
        files.INTERVIEWS,
        files.OPEN_ANSWERS_AGREEMENT,
    ),
    "08_summary": (files.PRIORITIES_SHARED,),
}

#: What the findings step (07, and 08 through it) reads of a case's results and of the cross-case results.
_FINDINGS_CASE_READS = (
    files.DATA_QUALITY,
    files.RELIABILITY_SUMMARY,
    files.STRUCTURE_SUMMARY,
    files.DRIVERS_SUMMARY,
    files.PATH_MODEL_SUMMARY,
    files.OPEN_ANSWER_COUNTS,
    files.IPA,
    files.RELIABILITY_TABLE,
)
_FINDINGS_CROSS_READS = (files.CONSTRUCT_MEANS_BY_CASE, files.BELOW_OTHERS)
_OWN_CASE_ONLY = ("01_data_quality", "02_reliability", "03_structure", "04_drivers")


def case_inputs(project: Project, case_id: str) -> list[Path]:
    """Every file under ``data/`` that belongs to a case: named ``<case>.<ext...>`` (case file, raw file,
    truth file, mapping, names file, a codebook extension of its own, ...); hidden files excepted."""
    data = project.root / "data"
    found = {p for p in data.rglob(f"{case_id}.*") if p.is_file() and not p.name.startswith(".")}
    # the files a case may have, listed even while absent: one added later changes the key of a planned task
    found |= {project.cases_dir / f"{case_id}.yml", project.raw_path(case_id), project.mapping_path(case_id)}
    return sorted(found)


def interview_inputs(project: Project, case_id: str) -> list[Path]:
    """The interview code book, the case's coded interviews ``data/raw/<case>.interviews.{csv,xlsx,qdpx}`` and
    coded open answers ``data/raw/<case>.open_answers.coded.{csv,xlsx,qdpx}`` (every format listed even while
    absent: codings added later rerun the case's findings)."""
    stems = (f"{case_id}.interviews", f"{case_id}.open_answers.coded")
    raw = [project.raw_dir / f"{stem}{ext}" for stem in stems for ext in CODINGS_EXTENSIONS]
    return [project.root / INTERVIEW_CODES, *raw]


def _report_files(project: Project, stem: str) -> list[Path]:
    """Every language and format of a report (:func:`emstudy.steps.files.report_files`)."""
    return [project.reports_dir / name for name in files.report_files(stem)]


def _figures(project: Project, figure: Callable[[str], str]) -> list[Path]:
    """A figure in every report language (``figures/<name>.png``, ``figures/<name>.zh.png``)."""
    return [project.reports_dir / figure(lang) for lang in files.report_langs()]


def _findings_reads(project: Project, case_id: str) -> list[Path]:
    cross = files.cross_case_results_dir(project)
    return [
        *case_inputs(project, case_id),
        *(project.results_dir(case_id) / name for name in _FINDINGS_CASE_READS),
        *(cross / name for name in _FINDINGS_CROSS_READS),
    ]


def declare(
    project: Project, template: Path, case_id: str, case_ids: Sequence[str]
) -> tuple[tuple[Path, ...], tuple[Path, ...], tuple[str, ...]]:
    """The files a task reads and writes (besides its notebook), and the set of cases it depends on, for
    template ``template`` run for ``case_id`` (or :data:`~emstudy.steps.files.CROSS_CASE`) in a study of
    ``case_ids``. A per-case step before the comparison depends on its own case only; the findings of a case
    (which compare it with the others) and the cross-case steps depend on the whole set.

    A template this module does not know is taken to read its cases' files, the codebook, the catalogue and
    every results file of the known steps, and to write only its notebook.
    """
    step = template.stem
    shared = [project.codebook_path]
    scope = list(case_ids) if case_id == CROSS_CASE else [case_id]
    out_dir = files.cross_case_results_dir(project) if case_id == CROSS_CASE else project.results_dir(case_id)
    writes = [out_dir / name for name in STEP_RESULTS.get(step, ())]
    if step == "01_data_quality":
        reads = case_inputs(project, case_id)
    elif step in ("02_reliability", "03_structure", "04_drivers", "05_compare"):
        reads = [p for c in scope for p in (*case_inputs(project, c), project.results_dir(c) / files.ENCODED)]
    elif step == "06_planning":  # the place's scores beside every other place's, and the findings it plans for
        reads = [p for c in case_ids for p in (*case_inputs(project, c), project.results_dir(c) / files.ENCODED)]
        reads += [files.cross_case_results_dir(project) / files.BELOW_OTHERS]
        reads += [project.results_dir(case_id) / f for f in (files.DRIVERS_TABLE, files.CFA_FIT)]
        writes += _figures(project, lambda lang: files.case_power_figure(case_id, lang))
    elif step == "07_findings":  # with the case's coded interviews, when it has them (written only then)
        reads = [project.root / CATALOGUE, *_findings_reads(project, case_id), *interview_inputs(project, case_id)]
        writes += _figures(project, lambda lang: files.case_profile_figure(case_id, lang))
        writes += _figures(project, lambda lang: files.case_ipa_figure(case_id, lang))
        writes += _report_files(project, case_id)
    elif step == "08_summary":  # the summary, the index pages linking every report, and the web font they load
        reads = [project.root / CATALOGUE, *(p for c in scope for p in _findings_reads(project, c))]
        reads += [project.results_dir(c) / files.PLANNING for c in scope]
        reads += [files.cross_case_results_dir(project) / f for f in (files.INVARIANCE, files.INVARIANCE_ORDINAL)]
        reads += [*_figures(project, files.heatmap_figure), *_figures(project, files.profiles_figure)]
        writes += _report_files(project, files.SUMMARY_REPORT)
        writes += [project.reports_dir / name for name in (*files.index_pages(), *files.web_font_files())]
    else:
        reads = [project.root / CATALOGUE, *(p for c in scope for p in case_inputs(project, c))]
        for name, produced in STEP_RESULTS.items():
            cross = name in ("05_compare", "08_summary")
            dirs = [files.cross_case_results_dir(project)] if cross else [project.results_dir(c) for c in scope]
            reads += [d / f for d in dirs for f in produced]
    if step == "05_compare":  # the comparison by multiple imputation reads notebook 04's imputed sets' means
        reads += [project.results_dir(c) / files.IMPUTED_MEANS for c in scope]
        writes += [*_figures(project, files.profiles_figure), *_figures(project, files.heatmap_figure)]
    cases = (case_id,) if step in _OWN_CASE_ONLY else tuple(case_ids)
    return tuple(dict.fromkeys([*shared, *reads])), tuple(dict.fromkeys(writes)), cases


class _Task(Protocol):  # emstudy.runner.pipeline.NotebookTask
    template: Path
    output: Path
    case_id: str
    parameters: Mapping[str, object]
    reads: tuple[Path, ...]
    writes: tuple[Path, ...]
    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class TaskCache:
    """The cache entries of a project: ``<cache_dir>/<case>/<template stem>.json`` holding the task's key and
    the hash of every output it wrote.

    Attributes
    ----------
    root : Path
        The project folder (paths in entries are relative to it).
    cache_dir : Path
        Where the entries live (``.emstudy-cache/``, not committed).
    source : str
        :func:`emstudy.runner.pipeline.source_fingerprint` of the library.
    """

    root: Path
    cache_dir: Path
    source: str

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def entry_path(self, task: _Task) -> Path:
        return self.cache_dir / task.case_id / f"{task.template.stem}.json"

    def key(self, task: _Task) -> str:
        """Hash of the template, parameters, library, set of cases and contents of every file the task reads."""
        digest = hashlib.sha256()
        digest.update(task.template.read_bytes())
        digest.update(json.dumps(dict(task.parameters), sort_keys=True, default=str).encode())
        digest.update(self.source.encode())
        digest.update(json.dumps(sorted(task.case_ids)).encode())
        for path in sorted(set(task.reads), key=self._rel):
            found = sha256_file(path) if path.is_file() else "<missing>"
            digest.update(f"\0{self._rel(path)}\0{found}".encode())
        return digest.hexdigest()

    def is_fresh(self, task: _Task, key: str) -> bool:
        """True when the entry records ``key`` and every output recorded there is unchanged on disk."""
        path = self.entry_path(task)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        outputs = entry.get("outputs", {}) if isinstance(entry, dict) else {}
        if entry.get("key") != key or self._rel(task.output) not in outputs:
            return False
        return all((self.root / rel).is_file() and sha256_file(self.root / rel) == h for rel, h in outputs.items())

    def forget(self, task: _Task) -> None:
        """Remove the entry (before the task runs, so a failed run is never taken as current)."""
        self.entry_path(task).unlink(missing_ok=True)
        (self.cache_dir / task.case_id / f"{task.template.stem}.key").unlink(missing_ok=True)  # older format

    def record(self, task: _Task, key: str) -> Path:
        """Record ``key`` and the hashes of the notebook and of the declared outputs that exist."""
        outputs = {self._rel(p): sha256_file(p) for p in (task.output, *task.writes) if p.is_file()}
        return write_json(self.entry_path(task), {"key": key, "outputs": outputs})
