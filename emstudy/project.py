"""Where things are in a study tree (data, notebooks, analysis, reports)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from emstudy.errors import EmstudyError
from emstudy.survey.cases import Case, check_case_id, load_case
from emstudy.survey.codebook import Codebook, extend_codebook, load_codebook, load_extension

__all__ = ["Project", "RAW_EXTENSIONS", "SCRATCH_DIR"]

#: Raw file formats a case may use, in the order they are looked for.
RAW_EXTENSIONS: tuple[str, ...] = (".csv", ".xlsx", ".sav", ".dta")

#: The git-ignored folder that takes the place of ``analysis/`` and ``reports/`` when a template is run by
#: hand (in JupyterLab): ``scratch/<case>/results/``, ``scratch/all/results/``, ``scratch/reports/``.
SCRATCH_DIR = "scratch"


@dataclass(frozen=True)
class Project:
    """A study tree: the folder holding ``data/``, ``notebooks/``, ``analysis/`` and ``reports/``.

    Attributes
    ----------
    root : Path
        The project folder.
    outputs : Path or None
        The folder that replaces ``analysis/`` (and holds ``reports/``) for what this project object writes:
        None (the default) for the committed ``analysis/`` and ``reports/``; :meth:`scratch` sets it to
        ``scratch/`` for an exploration that must not touch them.
    """

    root: Path
    outputs: Path | None = None

    @classmethod
    def find(cls, start: str | Path | None = None) -> Project:
        """The nearest folder at or above ``start`` (default: the working directory) that holds a study."""
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "data" / "codebooks").is_dir() and (folder / "notebooks").is_dir():
                return cls(folder)
        raise EmstudyError(
            f"{here}: not inside an emstudy project (no data/codebooks and notebooks/ here or above); "
            "work inside the project folder (the emstudy command: run it there or pass --root DIR; "
            "a notebook: open it from the project's notebooks/ and leave project_root = None)"
        )

    def scratch(self) -> Project:
        """The same project writing its results and reports under ``scratch/`` (git-ignored) instead of the
        committed ``analysis/`` and ``reports/``; what it reads from ``data/`` is unchanged."""
        return replace(self, outputs=self.scratch_dir)

    # paths ------------------------------------------------------------------------------------------
    @property
    def codebook_path(self) -> Path:
        return self.root / "data" / "codebooks" / "core.yml"

    def extension_path(self, case_id: str) -> Path:
        """``data/codebooks/<case>.yml``: the case's own constructs (optional; see :meth:`codebook`)."""
        return self.codebook_path.parent / f"{check_case_id(case_id)}.yml"

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
    def scratch_dir(self) -> Path:
        """``scratch/``: where a template run by hand writes (see :meth:`scratch`; not committed)."""
        return self.root / SCRATCH_DIR

    @property
    def analysis_dir(self) -> Path:
        """``analysis/``, or the :attr:`outputs` folder that replaces it."""
        return self.root / "analysis" if self.outputs is None else self.outputs

    @property
    def reports_dir(self) -> Path:
        """``reports/``, or ``reports/`` inside the :attr:`outputs` folder."""
        return self.root / "reports" if self.outputs is None else self.outputs / "reports"

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
        if not found and (self.cases_dir / f"{case_id}.yml").is_file():  # e.g. a scaffold not finished yet
            raise EmstudyError(
                f"{self.cases_dir / case_id}.yml: case {case_id!r} has no raw file yet; put the survey export "
                f"at data/raw/{case_id}.csv (or .xlsx, .sav, .dta) and run `emstudy checksum {case_id}`, or "
                "move this case file out of data/cases/ until the case is ready"
            )
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

    def has_survey_file(self, case_id: str) -> bool:
        """True when the case's raw data come from a survey export (a raw file without the simulator's truth
        file beside it): ``emstudy simulate`` leaves such a case alone."""
        return bool(self._raw_candidates(case_id)) and not self.is_synthetic(case_id)

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
    def codebook(self, case_id: str | None = None) -> Codebook:
        """The shared core codebook; with ``case_id``, that case's codebook: the core extended by the case's
        own constructs when ``data/codebooks/<case>.yml`` exists (:func:`~emstudy.survey.codebook.extend_codebook`).

        Raises
        ------
        EmstudyError
            A bad codebook or extension, naming the file and the key.
        """
        core = load_codebook(self.codebook_path)
        if case_id is None:
            return core
        path = self.extension_path(case_id)
        if path == self.codebook_path or not path.is_file():
            return core
        return extend_codebook(core, load_extension(path), source=path.relative_to(self.root))

    def case_ids(self) -> list[str]:
        """Ids of the case files ``data/cases/<id>.yml``; hidden files (``.x.yml``, macOS's ``._x.yml``) are
        not cases and are skipped.

        Raises
        ------
        EmstudyError
            Naming a case file whose name is not a valid case id.
        """
        found = sorted(p for p in self.cases_dir.glob("*.yml") if not p.name.startswith("."))
        for path in found:
            try:
                check_case_id(path.stem)
            except EmstudyError:
                raise EmstudyError(
                    f"{path}: {path.stem!r} is not a valid case id (lowercase letters, digits and '_', starting "
                    "with a letter); rename the file, or move it out of data/cases/"
                ) from None
        return [p.stem for p in found]

    def case(self, case_id: str, codebook: Codebook | None = None) -> Case:
        path = self.cases_dir / f"{check_case_id(case_id)}.yml"
        if not path.is_file():
            known = ", ".join(self.case_ids()) or "none"
            raise EmstudyError(f"unknown case {case_id!r}: no {path.relative_to(self.root)}; known cases: {known}")
        return load_case(path, codebook or self.codebook())

    def cases(self) -> list[Case]:
        cb = self.codebook()
        return [self.case(i, cb) for i in self.case_ids()]
