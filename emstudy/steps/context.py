"""What a notebook needs to start: the project, the case, the codebook and the encoded survey.

Notebooks call :func:`open_case` (or :func:`load_encoded`, :func:`load_all`) once; everything they compute
comes from library functions.

Where a notebook writes depends on how it runs. ``emstudy run`` executes the templates with
``interactive=False``: results go to ``analysis/<case>/results/`` and reports to ``reports/``. A template opened
in JupyterLab keeps its default ``interactive=True``: it reads what the committed study holds (``data/`` and the
earlier steps' results under ``analysis/``) and writes under ``scratch/`` (git-ignored) instead, so exploring
never changes the committed study (:func:`output_project`).

A reviewers' check (nbval over ``analysis/``, ``emstudy verify``) re-executes the executed notebooks, which
carry ``interactive=False``; it sets ``EMSTUDY_REVIEW_ROOT`` (the project) and ``EMSTUDY_REVIEW_OUTPUTS`` (a
throwaway folder), and the notebooks of that project then write there, so a check never modifies the tree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from emstudy.fileio import verify_checksums
from emstudy.project import Project
from emstudy.reporting.pages import SYNTHETIC_NOTICE  # noqa: F401 - the notebooks print it
from emstudy.steps import files
from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook
from emstudy.survey.encode import EncodedSurvey, encode

__all__ = [
    "CaseContext",
    "EncodedResults",
    "CrossCase",
    "find_project",
    "output_project",
    "shown_path",
    "REVIEW_ROOT_ENV",
    "REVIEW_OUTPUTS_ENV",
    "open_case",
    "load_encoded",
    "load_all",
    "read_raw",
    "read_case_survey",
    "read_survey_file",
    "SYNTHETIC_NOTICE",
]


#: Set by a reviewers' check (root conftest.py, ``emstudy verify``): the project whose notebooks must not write
#: into it, and the folder they write to instead (see :func:`output_project`).
REVIEW_ROOT_ENV = "EMSTUDY_REVIEW_ROOT"
REVIEW_OUTPUTS_ENV = "EMSTUDY_REVIEW_OUTPUTS"


def shown_path(path: str | Path, project: Project) -> str:
    """How a notebook prints a file it wrote: relative to the project (``analysis/yima/results/x.csv``,
    ``scratch/...`` for a run by hand). A reviewers' check (:func:`output_project`) writes elsewhere and prints
    the path the file has in the tree, so the re-executed notebook shows what the committed one shows."""
    path, root = Path(path), project.root
    review = os.environ.get(REVIEW_OUTPUTS_ENV)
    if review and not path.is_relative_to(root) and path.is_relative_to(review):
        mirror = replace(project, outputs=Path(review))  # reports/ and the analysis folders, as in the tree
        if path.is_relative_to(mirror.reports_dir):
            return f"reports/{path.relative_to(mirror.reports_dir).as_posix()}"
        return f"analysis/{path.relative_to(mirror.analysis_dir).as_posix()}"
    return path.relative_to(root).as_posix()


def find_project(project_root: str | Path | None = None) -> Project:
    """The project a notebook works on: the one at or above ``project_root``, or above the working directory
    when it is None (a template opened from ``notebooks/``, or executed in ``analysis/<case>/``)."""
    return Project.find(project_root)


def output_project(project: Project, *, interactive: bool) -> Project:
    """Where a notebook writes: ``project`` itself (``analysis/``, ``reports/``) for ``emstudy run``
    (``interactive=False``), or :meth:`Project.scratch` (``scratch/``, git-ignored) for a run by hand.

    Parameters
    ----------
    project : Project
        The project the notebook reads.
    interactive : bool
        The templates' ``interactive`` parameter: True unless ``emstudy run`` passed False.

    A reviewers' check that names this project in ``EMSTUDY_REVIEW_ROOT`` sends the writes of a
    non-interactive run to ``EMSTUDY_REVIEW_OUTPUTS`` instead.
    """
    if not isinstance(interactive, bool):
        raise TypeError(f"interactive: expected True or False, got {interactive!r}")
    if interactive:
        return project.scratch()
    review_root, review_outputs = os.environ.get(REVIEW_ROOT_ENV), os.environ.get(REVIEW_OUTPUTS_ENV)
    if review_root and review_outputs and Path(review_root).resolve() == project.root.resolve():
        return replace(project, outputs=Path(review_outputs))  # a reviewers' check: never write into the tree
    return project


@dataclass(frozen=True)
class CaseContext:
    """A case ready for analysis.

    ``output`` is the project its results are written to (:func:`output_project`); None means ``project``.
    """

    project: Project
    case: Case
    codebook: Codebook
    raw_path: Path
    survey: EncodedSurvey
    synthetic: bool
    output: Project | None = None

    @property
    def results_dir(self) -> Path:
        """Where this case's results are written (``analysis/<case>/results``, or under ``scratch/``)."""
        return (self.output or self.project).results_dir(self.case.id)


def read_raw(path: str | Path) -> pd.DataFrame:
    """Read a raw CSV export as text cells (the encoder decides what they mean)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def read_survey_file(path: str | Path, **options) -> pd.DataFrame:
    """:func:`emstudy.survey.readers.read_survey`, with any unexpected parser failure on a damaged file turned into a
    one-line :class:`~emstudy.errors.SurveyFileError` naming the file (the reader's own messages pass as they
    are)."""
    from emstudy.errors import EmstudyError, SurveyFileError
    from emstudy.survey.readers import read_survey

    try:
        return read_survey(path, **options)
    except EmstudyError:
        raise
    except Exception as exc:  # a damaged file can fail deep inside a parser (e.g. a workbook without sheets)
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise SurveyFileError(
            f"{path}: cannot be read (damaged or not a {Path(path).suffix or 'survey'} file: "
            f"{type(exc).__name__}: {detail})"
        ) from None


def read_case_survey(
    project: Project, case_id: str, codebook: Codebook | None = None, *, verify: bool = True
) -> tuple[Path, pd.DataFrame]:
    """Read a case's raw file (checked against ``SHA256SUMS``) and apply its mapping when it has one.

    Returns the raw path and the table ready for :func:`~emstudy.survey.encode.encode`.

    Raises
    ------
    EmstudyError
        Changed or unlisted raw file, unreadable file, bad mapping, or labels/codes the mapping cannot place.
    """
    from emstudy.errors import EmstudyError
    from emstudy.survey.mapping import ColumnMapping, apply_mapping, load_mapping

    codebook = codebook or project.codebook()
    raw_path = project.raw_file(case_id)
    if verify:
        verify_checksums(project.raw_dir, [raw_path.name])
    source = str(raw_path.relative_to(project.root))
    raw = read_survey_file(raw_path)
    mpath = project.mapping_path(case_id)
    mapping = load_mapping(mpath, codebook) if mpath.is_file() else ColumnMapping()
    table, report = apply_mapping(raw, mapping, codebook, source=source)
    if report.duration_problems:
        raise EmstudyError(f"{source}: {report.duration_problems[0]}")
    if report.problems:
        first = report.problems[0]
        more = (
            f" (and {len(report.problems) - 1} more; run `emstudy validate {source} --mapping "
            f"{mpath.relative_to(project.root)}`)"
            if len(report.problems) > 1
            else ""
        )
        raise EmstudyError(f"{source}: {first.line()}{more}")
    return raw_path, table


def open_case(project_root: str | Path | None, case_id: str, *, interactive: bool = False) -> CaseContext:
    """Load a case, check its raw file against the checksum manifest, read it (any supported format, through
    ``data/mappings/<case>.yml`` when present) and encode it.

    ``project_root`` None finds the project above the working directory (:func:`find_project`); with
    ``interactive`` the context's ``results_dir`` lies under ``scratch/`` (:func:`output_project`).
    """
    project = find_project(project_root)
    output = output_project(project, interactive=interactive)
    codebook = project.codebook(case_id)  # the core, extended by data/codebooks/<case>.yml when present
    case = project.case(case_id, codebook)
    raw_path, table = read_case_survey(project, case_id, codebook)
    survey = encode(table, codebook, source=str(raw_path.relative_to(project.root)))
    synthetic = project.is_synthetic(case_id)
    return CaseContext(project, case, codebook, raw_path, survey, synthetic, output)


@dataclass(frozen=True)
class EncodedResults:
    """The respondents kept by notebook 01 (``analysis/<case>/results/encoded.csv``).

    ``output`` is the project the later step's results are written to (:func:`output_project`); None means
    ``project``.
    """

    project: Project
    case: Case
    codebook: Codebook
    items: pd.DataFrame
    background: pd.DataFrame
    synthetic: bool
    output: Project | None = None

    @property
    def results_dir(self) -> Path:
        """Where the step's results are written (``analysis/<case>/results``, or under ``scratch/``)."""
        return (self.output or self.project).results_dir(self.case.id)

    def scores(self) -> pd.DataFrame:
        """Construct scores (core and outcome) of the kept respondents."""
        from emstudy.survey.encode import construct_scores

        return construct_scores(self.items, self.codebook)


def load_encoded(project_root: str | Path | None, case_id: str, *, interactive: bool = False) -> EncodedResults:
    """Read what notebook 01 wrote for a case; later notebooks start here instead of re-encoding raw data.

    Always reads the committed ``analysis/<case>/results/encoded.csv``; ``project_root`` and ``interactive``
    are as in :func:`open_case` (with ``interactive`` the results are written under ``scratch/``).
    """
    from emstudy.errors import EmstudyError

    project = find_project(project_root)
    output = output_project(project, interactive=interactive)
    codebook = project.codebook(case_id)  # the core, extended by data/codebooks/<case>.yml when present
    case = project.case(case_id, codebook)
    path = project.results_dir(case_id) / files.ENCODED
    if not path.is_file():
        raise EmstudyError(
            f"{path}: not found; run notebook 01_data_quality for case {case_id} first (emstudy run --case {case_id})"
        )
    frame = pd.read_csv(path, index_col="respondent_id", dtype={"respondent_id": str})
    items = frame[codebook.item_ids].astype(float)
    background = frame.drop(columns=codebook.item_ids)
    synthetic = project.is_synthetic(case_id)
    return EncodedResults(project, case, codebook, items, background, synthetic, output)


CASE_COLUMN = "case"
"""The column naming each respondent's case in the stacked tables of :class:`CrossCase`."""


@dataclass(frozen=True, eq=False)
class CrossCase:
    """Every case's kept respondents, stacked.

    Attributes
    ----------
    case_ids : tuple of str
        Cases in the given order (also the category order of the ``case`` columns).
    items : pandas.DataFrame
        Reverse-keyed core items of every case plus a categorical ``case`` column (a case's own items, from
        ``data/codebooks/<case>.yml``, are left out: the comparison uses the shared core).
    scores : pandas.DataFrame
        Construct scores (core constructs and ``effectiveness``) plus ``case``.
    background : pandas.DataFrame
        Role and demographics plus ``case``.
    codebook : emstudy.survey.codebook.Codebook
        The core codebook.
    cases : dict of str to emstudy.survey.cases.Case
    synthetic : bool
        True if any case's data is synthetic.
    encoded : dict of str to emstudy.steps.context.EncodedResults
        What :func:`emstudy.steps.context.load_encoded` returned for each case.
    output : Project or None
        Where the cross-case results and figures are written (:func:`output_project`; set by :func:`load_all`).
    """

    case_ids: tuple[str, ...]
    items: pd.DataFrame
    scores: pd.DataFrame
    background: pd.DataFrame
    codebook: Codebook
    cases: Mapping[str, Case]
    synthetic: bool
    encoded: Mapping[str, EncodedResults] = field(default_factory=dict, repr=False)
    output: Project | None = field(default=None, repr=False)

    @property
    def results_dir(self) -> Path:
        """Where the cross-case results are written: ``analysis/all/results`` (or ``scratch/all/results``)."""
        return files.cross_case_results_dir(self._output())

    @property
    def reports_dir(self) -> Path:
        """Where the cross-case figures go: ``reports/`` (or ``scratch/reports``)."""
        return self._output().reports_dir

    def _output(self) -> Project:
        if self.output is None:
            raise ValueError("this CrossCase has no output project; build it with load_all(...)")
        return self.output

    @property
    def constructs(self) -> list[str]:
        """The core construct ids (the outcome excluded)."""
        return list(self.codebook.construct_ids)

    def weaknesses(self) -> dict[str, list[str]]:
        """The weaknesses each case file lists (as the theses report them)."""
        return {c: list(self.cases[c].weaknesses) for c in self.case_ids}

    def __repr__(self) -> str:
        n = self.scores[CASE_COLUMN].value_counts().reindex(self.case_ids).tolist()
        return f"CrossCase(cases={list(self.case_ids)}, n={n}, synthetic={self.synthetic})"


def load_all(
    project_root: str | Path | None, case_ids: Sequence[str] | None = None, *, interactive: bool = False
) -> CrossCase:
    """Load what notebook 01 wrote for each case and stack the cases.

    Parameters
    ----------
    project_root : str or Path or None
        As in :func:`open_case` (None: the project above the working directory).
    case_ids : sequence of str, optional
        At least two distinct case ids; None (a template's default) means every case in ``data/cases/``.
    interactive : bool, default False
        Write the cross-case results and figures under ``scratch/`` (:func:`output_project`); what is read
        is the committed ``analysis/`` either way.

    Returns
    -------
    CrossCase
    """
    project = find_project(project_root)
    case_ids = project.case_ids() if case_ids is None else list(case_ids)
    if len(case_ids) < 2 or len(set(case_ids)) != len(case_ids):
        raise ValueError(f"case_ids: expected at least two distinct case ids, got {case_ids}")
    items, scores, background, cases, encoded = [], [], [], {}, {}
    synthetic = False
    codebook = project.codebook()  # the shared core: a case's own constructs stay out of the comparison
    for cid in case_ids:
        enc = load_encoded(project.root, cid, interactive=interactive)
        enc = replace(enc, codebook=codebook, items=enc.items[codebook.item_ids])
        encoded[cid] = enc
        cases[cid] = enc.case
        synthetic = synthetic or enc.synthetic
        items.append(enc.items.assign(**{CASE_COLUMN: cid}))
        scores.append(enc.scores().assign(**{CASE_COLUMN: cid}))
        background.append(enc.background.assign(**{CASE_COLUMN: cid}))
    cat = pd.CategoricalDtype(case_ids, ordered=False)

    def stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
        out = pd.concat(parts)
        out[CASE_COLUMN] = out[CASE_COLUMN].astype(cat)
        return out

    output = output_project(project, interactive=interactive)
    return CrossCase(
        tuple(case_ids), stack(items), stack(scores), stack(background), codebook, cases, synthetic, encoded, output
    )
