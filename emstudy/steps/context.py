"""What a notebook needs to start: the project, the case, the codebook and the encoded survey.

Notebooks call :func:`open_case` once; everything they compute comes from library functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    "open_case",
    "load_encoded",
    "load_all",
    "read_raw",
    "read_case_survey",
    "read_survey_file",
    "SYNTHETIC_NOTICE",
]


@dataclass(frozen=True)
class CaseContext:
    """A case ready for analysis."""

    project: Project
    case: Case
    codebook: Codebook
    raw_path: Path
    survey: EncodedSurvey
    synthetic: bool

    @property
    def results_dir(self) -> Path:
        return self.project.results_dir(self.case.id)


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


def open_case(project_root: str | Path, case_id: str) -> CaseContext:
    """Load a case, check its raw file against the checksum manifest, read it (any supported format, through
    ``data/mappings/<case>.yml`` when present) and encode it."""
    project = Project.find(project_root)
    codebook = project.codebook()
    case = project.case(case_id, codebook)
    raw_path, table = read_case_survey(project, case_id, codebook)
    survey = encode(table, codebook, source=str(raw_path.relative_to(project.root)))
    synthetic = project.is_synthetic(case_id)
    return CaseContext(project, case, codebook, raw_path, survey, synthetic)


@dataclass(frozen=True)
class EncodedResults:
    """The respondents kept by notebook 01 (``analysis/<case>/results/encoded.csv``)."""

    project: Project
    case: Case
    codebook: Codebook
    items: pd.DataFrame
    background: pd.DataFrame
    synthetic: bool

    @property
    def results_dir(self) -> Path:
        return self.project.results_dir(self.case.id)

    def scores(self) -> pd.DataFrame:
        """Construct scores (core and outcome) of the kept respondents."""
        from emstudy.survey.encode import construct_scores

        return construct_scores(self.items, self.codebook)


def load_encoded(project_root: str | Path, case_id: str) -> EncodedResults:
    """Read what notebook 01 wrote for a case; later notebooks start here instead of re-encoding raw data."""
    from emstudy.errors import EmstudyError

    project = Project.find(project_root)
    codebook = project.codebook()
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
    return EncodedResults(project, case, codebook, items, background, synthetic)


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
        Reverse-keyed items of every case plus a categorical ``case`` column.
    scores : pandas.DataFrame
        Construct scores (core constructs and ``effectiveness``) plus ``case``.
    background : pandas.DataFrame
        Role and demographics plus ``case``.
    codebook : emstudy.survey.codebook.Codebook
    cases : dict of str to emstudy.survey.cases.Case
    synthetic : bool
        True if any case's data is synthetic.
    encoded : dict of str to emstudy.steps.context.EncodedResults
        What :func:`emstudy.steps.context.load_encoded` returned for each case.
    """

    case_ids: tuple[str, ...]
    items: pd.DataFrame
    scores: pd.DataFrame
    background: pd.DataFrame
    codebook: Codebook
    cases: Mapping[str, Case]
    synthetic: bool
    encoded: Mapping[str, EncodedResults] = field(default_factory=dict, repr=False)

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


def load_all(project_root: str | Path, case_ids: Sequence[str]) -> CrossCase:
    """Load what notebook 01 wrote for each case and stack the cases.

    Parameters
    ----------
    project_root : str or Path
    case_ids : sequence of str
        At least two distinct case ids.

    Returns
    -------
    CrossCase
    """
    case_ids = list(case_ids)
    if len(case_ids) < 2 or len(set(case_ids)) != len(case_ids):
        raise ValueError(f"case_ids: expected at least two distinct case ids, got {case_ids}")
    items, scores, background, cases, encoded = [], [], [], {}, {}
    synthetic = False
    codebook = None
    for cid in case_ids:
        enc = load_encoded(project_root, cid)
        encoded[cid] = enc
        codebook = enc.codebook
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

    return CrossCase(
        tuple(case_ids), stack(items), stack(scores), stack(background), codebook, cases, synthetic, encoded
    )
