"""Where things are in a study tree (data, notebooks, analysis, reports)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emstudy.errors import EmstudyError
from emstudy.survey.cases import Case, check_case_id, load_case
from emstudy.survey.codebook import Codebook, load_codebook

__all__ = ["Project", "RAW_EXTENSIONS"]

#: Raw file formats a case may use, in the order they are looked for.
RAW_EXTENSIONS: tuple[str, ...] = (".csv", ".xlsx", ".sav", ".dta")


@dataclass(frozen=True)
class Project:
    """A study tree: the folder holding ``data/``, ``notebooks/``, ``analysis/`` and ``reports/``."""

    root: Path

    @classmethod
    def find(cls, start: str | Path | None = None) -> Project:
        """The nearest folder at or above ``start`` (default: the working directory) that holds a study."""
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "data" / "codebooks").is_dir() and (folder / "notebooks").is_dir():
                return cls(folder)
        raise EmstudyError(
            f"{here}: not inside an emstudy project (no data/codebooks and notebooks/ here or above); "
            "run the command from the project folder or pass --root"
        )

    # paths ------------------------------------------------------------------------------------------
    @property
    def codebook_path(self) -> Path:
        return self.root / "data" / "codebooks" / "core.yml"

    @property
    def cases_dir(self) -> Path:
        return self.root / "data" / "cases"

    @property
    def raw_dir(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def analysis_dir(self) -> Path:
        return self.root / "analysis"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def cache_dir(self) -> Path:
        """Keys of the last successful run of each notebook (not committed)."""
        return self.root / ".emstudy-cache"

    def raw_path(self, case_id: str) -> Path:
        """The case's raw file: the one that exists among :data:`RAW_EXTENSIONS`, else ``<case>.csv``."""
        found = self._raw_candidates(case_id)
        return found[0] if len(found) == 1 else self.raw_dir / f"{case_id}.csv"

    def raw_file(self, case_id: str) -> Path:
        """The case's raw file ``data/raw/<case>.{csv,xlsx,sav,dta}``.

        Raises
        ------
        EmstudyError
            When there is none, or more than one.
        """
        found = self._raw_candidates(case_id)
        if not found:
            raise EmstudyError(
                f"{self.raw_dir / case_id}.*: no raw file for case {case_id!r}; put the survey "
                f"export at data/raw/{case_id}.csv (or .xlsx, .sav, .dta) and run "
                f"`emstudy checksum {case_id}`"
            )
        if len(found) > 1:
            raise EmstudyError(
                f"{self.raw_dir}: more than one raw file for case {case_id!r} "
                f"({', '.join(p.name for p in found)}); keep exactly one"
            )
        return found[0]

    def _raw_candidates(self, case_id: str) -> list[Path]:
        check_case_id(case_id)
        return [
            self.raw_dir / f"{case_id}{ext}" for ext in RAW_EXTENSIONS if (self.raw_dir / f"{case_id}{ext}").is_file()
        ]

    def mapping_path(self, case_id: str) -> Path:
        """``data/mappings/<case>.yml`` (it need not exist: a survey that follows the codebook needs none)."""
        return self.root / "data" / "mappings" / f"{check_case_id(case_id)}.yml"

    def results_dir(self, case_id: str) -> Path:
        return self.analysis_dir / check_case_id(case_id) / "results"

    def truth_path(self, case_id: str) -> Path:
        """``data/raw/<case>.truth.json``: the parameters a synthetic case was drawn from."""
        from emstudy.survey.simulate import truth_file_name

        return self.raw_dir / truth_file_name(check_case_id(case_id))

    def is_synthetic(self, case_id: str) -> bool:
        """True when the case's raw data come from the simulator (its truth file lies beside them)."""
        return self.truth_path(case_id).is_file()

    # loading ----------------------------------------------------------------------------------------
    def codebook(self) -> Codebook:
        return load_codebook(self.codebook_path)

    def case_ids(self) -> list[str]:
        return sorted(p.stem for p in self.cases_dir.glob("*.yml"))

    def case(self, case_id: str, codebook: Codebook | None = None) -> Case:
        path = self.cases_dir / f"{check_case_id(case_id)}.yml"
        if not path.is_file():
            known = ", ".join(self.case_ids()) or "none"
            raise EmstudyError(f"unknown case {case_id!r}: no {path.relative_to(self.root)}; known cases: {known}")
        return load_case(path, codebook or self.codebook())

    def cases(self) -> list[Case]:
        cb = self.codebook()
        return [self.case(i, cb) for i in self.case_ids()]
