"""What a notebook needs to start: the project, the case, the codebook and the encoded survey.

Notebooks call :func:`open_case` once; everything they compute comes from library functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emstudy.cases import Case
from emstudy.codebook import Codebook
from emstudy.encode import EncodedSurvey, encode
from emstudy.fileio import verify_checksums
from emstudy.project import Project

__all__ = ["CaseContext", "open_case", "read_raw", "SYNTHETIC_NOTICE"]

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


def open_case(project_root: str | Path, case_id: str) -> CaseContext:
    """Load a case, check its raw file against the checksum manifest, and encode it."""
    project = Project.find(project_root)
    codebook = project.codebook()
    case = project.case(case_id, codebook)
    raw_path = project.raw_path(case_id)
    verify_checksums(project.raw_dir, [raw_path.name])
    survey = encode(read_raw(raw_path), codebook, source=str(raw_path.relative_to(project.root)))
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
        from emstudy.encode import construct_scores

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
