"""What a notebook needs to start: the project, the case, the codebook and the encoded survey.

Notebooks call :func:`open_case` once; everything they compute comes from library functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook
from emstudy.survey.encode import EncodedSurvey, encode
from emstudy.fileio import verify_checksums
from emstudy.project import Project

__all__ = ["CaseContext", "open_case", "read_raw", "read_case_survey",
           "read_survey_file", "SYNTHETIC_NOTICE"]

SYNTHETIC_NOTICE = {
    "en": ("SYNTHETIC DATA: these results come from emstudy's seeded synthetic study built on the shared "
           "instrument, not from the thesis's questionnaires, whose raw responses are not public."),
    "zh": "合成数据：以下结果来自emstudy基于统一问卷生成的可复现合成数据，并非原论文的问卷数据（原始数据未公开）。",
}


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
        raise SurveyFileError(f"{path}: cannot be read (damaged or not a {Path(path).suffix or 'survey'} file: "
                              f"{type(exc).__name__}: {detail})") from None


def read_case_survey(project: Project, case_id: str, codebook: Codebook | None = None,
                     *, verify: bool = True) -> tuple[Path, pd.DataFrame]:
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
        more = f" (and {len(report.problems) - 1} more; run `emstudy validate {source} --mapping " \
               f"{mpath.relative_to(project.root)}`)" if len(report.problems) > 1 else ""
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
    synthetic = (project.raw_dir / f"{case_id}.truth.json").is_file()
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
    path = project.results_dir(case_id) / "encoded.csv"
    if not path.is_file():
        raise EmstudyError(f"{path}: not found; run notebook 01_data_quality for case {case_id} first "
                           f"(emstudy run --case {case_id})")
    frame = pd.read_csv(path, index_col="respondent_id", dtype={"respondent_id": str})
    items = frame[codebook.item_ids].astype(float)
    background = frame.drop(columns=codebook.item_ids)
    synthetic = (project.raw_dir / f"{case_id}.truth.json").is_file()
    return EncodedResults(project, case, codebook, items, background, synthetic)
