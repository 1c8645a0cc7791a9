"""Scaffold a new case: the case file to fill, the column mapping and a place for the raw file.

``emstudy new-case ID`` calls :func:`scaffold_case`. The case file it writes is valid as written (every
text to fill holds a ``TODO`` marker), so ``emstudy run --case ID`` works as soon as the raw file and its
checksum are in place; :func:`todo_keys` lists what is still to fill. The names that free-text answers may
mention are personal data, so they go to the git-ignored ``data/private/<id>.names.txt`` (scaffolded empty),
never into the committed case file; :func:`privacy_warnings` is what ``emstudy run`` says when one of them
is found in a tracked file, or still in a case file's old ``scrub_names`` key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from emstudy.errors import EmstudyError
from emstudy.fileio import atomic_write_text
from emstudy.project import Project
from emstudy.survey.cases import check_case_id
from emstudy.survey.mapping import mapping_template
from emstudy.survey.privacy import NAMES_DIR, files_holding_names, names_file, read_names_file

__all__ = ["ScaffoldResult", "case_template", "scaffold_case", "todo_keys", "names_template", "privacy_warnings"]

TODO = "TODO"


@dataclass(frozen=True)
class ScaffoldResult:
    """The files written for a new case and the steps left to the user."""

    case_file: Path
    mapping_file: Path
    raw_dir: Path
    next_steps: tuple[str, ...]
    names_file: Path | None = None


def case_template(case_id: str, project: Project) -> str:
    """A valid case file for ``case_id`` with ``TODO`` markers in every text the user must fill."""
    codebook = project.codebook()
    constructs = codebook.construct_ids
    dims = "\n".join(
        f'    - {{id: {c}, en: "TODO: dimension name", zh: "TODO：维度名称", constructs: [{c}]}}' for c in constructs
    )
    return f"""# Case file for {case_id}. Replace every TODO; `emstudy run --case {case_id}` validates this file.
# framework.dimensions: your thesis's framework as a view of the shared constructs
# ({", ".join(constructs)}); merge, rename or drop dimensions (at least two).
id: {case_id}
name: {{en: "TODO: case name", zh: "TODO：案例名称"}}
place: {{en: "TODO: place", zh: "TODO：地点", level: "TODO: county/city/league"}}
event: {{en: "TODO: the event studied", zh: "TODO：研究的事件", date: null, note: null}}
hazards: ["TODO: main hazards"]
source_abstract: "TODO: the thesis or report this case comes from"
framework:
  id: {case_id}_framework
  en: "TODO: framework name"
  zh: "TODO：分析框架"
  dimensions:
{dims}
methods: [questionnaire]
problems:
  - {{en: "TODO: a problem the study reports", zh: "TODO：研究指出的问题", constructs: [{constructs[0]}]}}
weaknesses: [{constructs[0]}]
weakness_basis: assumed
recommendations:
  - {{en: "TODO: a recommendation", zh: "TODO：对策建议", constructs: [{constructs[0]}]}}
sample:
  n: 150   # planned valid questionnaires (150-450)
  roles: {{gov: 0.3, ent: 0.3, res: 0.4}}
# Names of people that free-text answers may mention (officials, interviewees) are personal data: list them
# in data/private/{case_id}.names.txt (git-ignored, one per line), never in this file.
# Questions of this case's own (not in the shared codebook) go in data/codebooks/{case_id}.yml: constructs of
# 2-5 items answered on the core scale, analysed in this case's notebooks 02-04, never in the comparison; e.g.
#   constructs:
#     - id: drills
#       en: Evacuation drills
#       zh: 疏散演练
#       items:
#         - {{id: DRL1, en: "Drills are held every year.", zh: "本地每年组织疏散演练。"}}
#         - {{id: DRL2, en: "Drills are a waste of time.", zh: "疏散演练是浪费时间。", reverse: true}}
# Item ids are three capitals and a digit, unused by the codebook; in the export (or its mapping) each such
# question's column is named by its item id or its text.
"""


def names_template(case_id: str) -> str:
    """The empty names file ``data/private/<id>.names.txt`` (git-ignored) that :func:`scaffold_case` writes."""
    return f"""# Names to scrub from the free-text answers of case {case_id}: one name per line (officials, interviewees,
# respondents). Every output shows [NAME] instead. This file is git-ignored: names are personal data, so
# never commit them (`emstudy run` warns when a tracked file under data/ holds one).
"""


def todo_keys(path: str | Path) -> list[str]:
    """Key paths of a case file whose text still holds a ``TODO`` marker."""
    from emstudy.survey.schema import load_yaml

    data = load_yaml(Path(path).read_text(encoding="utf-8"), path=path)
    out: list[str] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{where}.{k}" if where else str(k))
        elif isinstance(node, list):
            for k, v in enumerate(node):
                walk(v, f"{where}.{k}")
        elif isinstance(node, str) and TODO in node:
            out.append(where)

    walk(data, "")
    return out


def scaffold_case(project: Project, case_id: str) -> ScaffoldResult:
    """Write ``data/cases/<id>.yml`` and ``data/mappings/<id>.yml`` for a new case.

    Raises
    ------
    EmstudyError
        When the id is not valid (a path, capitals, ...) or the case, its mapping or a raw file exists.
    """
    from emstudy.project import RAW_EXTENSIONS

    check_case_id(case_id)
    case_file = project.cases_dir / f"{case_id}.yml"
    mapping_file = project.mapping_path(case_id)
    existing = [
        p for p in (case_file, mapping_file, *(project.raw_dir / f"{case_id}{e}" for e in RAW_EXTENSIONS)) if p.exists()
    ]
    if existing:
        raise EmstudyError(
            f"case {case_id!r} already exists ({existing[0].relative_to(project.root)}); "
            "choose another id or edit the existing files"
        )
    text = case_template(case_id, project)
    # the template must load as written; check it before anything is written
    probe = project.cases_dir / f".{case_id}.yml.check"
    try:
        atomic_write_text(probe, text)
        _check_template(probe, case_id, project)
    finally:
        probe.unlink(missing_ok=True)
    atomic_write_text(mapping_file, mapping_template(project.codebook()))
    atomic_write_text(case_file, text)
    names = names_file(project.root, case_id)
    if not names.exists():
        atomic_write_text(names, names_template(case_id))
    project.raw_dir.mkdir(parents=True, exist_ok=True)
    steps = (
        f"fill the TODOs in {case_file.relative_to(project.root)}; list the names of people that answers "
        f"may mention in {names.relative_to(project.root)} (git-ignored)",
        f"put the survey export at data/raw/{case_id}.csv (or .xlsx, .sav, .dta)",
        f"map its columns and labels in {mapping_file.relative_to(project.root)}, then check it with "
        f"`emstudy validate data/raw/{case_id}.<ext> --mapping {mapping_file.relative_to(project.root)}`",
        f"record its checksum: `emstudy checksum {case_id}`",
        f"run the notebooks: `emstudy run --case {case_id}`",
    )
    return ScaffoldResult(case_file, mapping_file, project.raw_dir, steps, names)


def _check_template(path: Path, case_id: str, project: Project) -> None:
    from emstudy.survey.cases import Case
    from emstudy.survey.schema import load_yaml_model

    case = load_yaml_model(path, Case)
    if case.id != case_id:  # pragma: no cover - the template writes the id it was given
        raise EmstudyError(f"{path}: template id {case.id!r} differs from {case_id!r}")
    case.check_against(project.codebook(), path=path)


def privacy_warnings(project: Project, case_ids: Sequence[str]) -> list[str]:
    """One line per privacy problem of the cases' names to scrub, for ``emstudy run`` to print.

    * a case file that still lists names under ``scrub_names`` (they are read, but the case file is
      committed): move them to ``data/private/<id>.names.txt``;
    * a file tracked by git under ``data/`` that holds one of the names of any case (names file or old key;
      the case file already named by the first warning is not repeated). Without git, or outside a
      repository, this check is skipped.
    """
    lines: list[str] = []
    names: set[str] = set()
    named_files: set[Path] = set()
    for case_id in case_ids:
        case = project.case(case_id)
        names.update(read_names_file(names_file(project.root, case_id)), case.scrub_names)
        if case.scrub_names:
            path = project.cases_dir / f"{case_id}.yml"
            named_files.add(path.resolve())
            lines.append(
                f"{path.relative_to(project.root)}: scrub_names: names of people are personal data and this file "
                f"is committed; move them to {NAMES_DIR}/{case_id}.names.txt (git-ignored, one per line) and "
                "delete the key"
            )
    tracked = _tracked_files(project.root, "data") if names else None
    if tracked:
        hits = files_holding_names([p for p in tracked if p.resolve() not in named_files], names)
        if hits:
            more = f" (and {len(hits) - 1} more tracked file(s) under data/)" if len(hits) > 1 else ""
            first = hits[0].relative_to(project.root)
            lines.append(
                f"{first}{more}: tracked by git and holds a name listed to scrub ({NAMES_DIR}/*.names.txt); names "
                f"are personal data: remove them from the file, or stop tracking it (`git rm --cached {first}`)"
            )
    return lines


def _tracked_files(root: Path, folder: str) -> list[Path] | None:
    """Files under ``root/folder`` that git tracks; None without git or outside a repository."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--", folder], capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return [root / name for name in done.stdout.decode("utf-8", "surrogateescape").split("\0") if name]
