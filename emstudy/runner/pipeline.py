"""Run the parameterised notebooks with papermill, one output per case and notebook.

Each template in ``notebooks/`` has one cell tagged ``parameters`` holding literals only. For every case the
pipeline checks the raw data against its checksum, executes the template into a temporary file with the
kernel's working directory set to ``analysis/<case>/`` (where nbval will rerun it), strips what changes from
run to run (timings, absolute paths), and renames the result into place. A failed cell raises an error that
names the notebook, the case and the cell; the previous output stays where it was.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from emstudy.errors import EmstudyError
from emstudy.fileio import atomic_write_bytes, verify_checksums
from emstudy.project import Project
from emstudy.steps.files import CROSS_CASE

__all__ = [
    "NotebookTask",
    "TaskRecord",
    "template_parameters",
    "discover_templates",
    "plan_tasks",
    "run_task",
    "run_tasks",
    "stages",
    "task_key",
    "source_fingerprint",
    "normalise_notebook",
    "CROSS_CASE",
]

_VOLATILE_CELL_KEYS = ("papermill", "execution", "collapsed", "scrolled")
_VOLATILE_NB_PAPERMILL = (
    "start_time",
    "end_time",
    "duration",
    "exception",
    "environment_variables",
    "output_path",
    "input_path",
)


@dataclass(frozen=True)
class NotebookTask:
    """One notebook to execute for one case."""

    template: Path
    output: Path
    case_id: str
    parameters: Mapping[str, object]

    @property
    def label(self) -> str:
        return f"{self.template.name} [{self.case_id}]"


def template_parameters(template: str | Path) -> dict[str, object]:
    """The names and literal defaults of a template's ``parameters`` cell.

    Raises
    ------
    EmstudyError
        If the template has no ``parameters`` cell, or the cell holds anything but ``name = literal``.
    """
    template = Path(template)
    nb = nbformat.read(template, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise EmstudyError(f"{template}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    tree = ast.parse(cells[0].source, filename=str(template))
    params: dict[str, object] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise EmstudyError(f"{template}: parameters cell line {node.lineno}: expected 'name = literal'")
        try:
            params[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise EmstudyError(
                f"{template}: parameters cell line {node.lineno}: "
                f"{node.targets[0].id} must be a literal (number, string, list, ...)"
            ) from None
    return params


def check_parameters(template: Path, given: Mapping[str, object]) -> None:
    """Unknown parameters are an error (papermill itself only warns)."""
    known = template_parameters(template)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise EmstudyError(
            f"{template}: unknown parameter(s) {', '.join(unknown)}; "
            f"the parameters cell defines {', '.join(sorted(known))}"
        )


def discover_templates(project: Project) -> list[Path]:
    """The templates ``notebooks/NN_*.ipynb``, in the order of their numbers."""
    return sorted(p for p in project.notebooks_dir.glob("[0-9][0-9]_*.ipynb"))


def plan_tasks(
    project: Project,
    case_ids: Sequence[str],
    *,
    notebooks: Sequence[str] | None = None,
    extra: Mapping[str, object] | None = None,
    all_case_ids: Sequence[str] | None = None,
) -> list[NotebookTask]:
    """Tasks for the given cases and notebooks, parameters checked against each template.

    A template whose parameters cell defines ``case_id`` runs once per case into ``analysis/<case>/``; one that
    defines ``case_ids`` runs once across ``all_case_ids`` (default: ``case_ids``) into ``analysis/all/``, so a
    case run on its own still joins the comparison. ``extra`` parameters (seed, language, ...) are passed to
    every template that defines them.
    """
    if notebooks is None:
        templates = discover_templates(project)
    else:
        templates = [project.notebooks_dir / f"{name.removesuffix('.ipynb')}.ipynb" for name in notebooks]
    tasks = []
    for template in templates:
        if not template.is_file():
            raise EmstudyError(f"{template}: notebook template not found")
        known = template_parameters(template)
        shared = {k: v for k, v in (extra or {}).items() if k in known}
        if "case_id" in known:
            for case_id in case_ids:
                params = {"case_id": case_id, "project_root": "../..", **shared}
                check_parameters(template, params)
                tasks.append(NotebookTask(template, project.analysis_dir / case_id / template.name, case_id, params))
        elif "case_ids" in known:
            params = {"case_ids": list(all_case_ids or case_ids), "project_root": "../..", **shared}
            check_parameters(template, params)
            tasks.append(NotebookTask(template, project.analysis_dir / CROSS_CASE / template.name, CROSS_CASE, params))
        else:
            raise EmstudyError(
                f"{template}: the parameters cell must define case_id (per case) or case_ids (across cases)"
            )
    return tasks


def normalise_notebook(nb: nbformat.NotebookNode, *, template_name: str) -> nbformat.NotebookNode:
    """Drop what differs between identical runs: timings, absolute paths, cell ids of the run; and join
    consecutive stream outputs of a cell (the kernel flushes printed text in chunks whose boundaries depend
    on timing, so one ``print`` loop can arrive as one output or as several)."""
    pm = nb.metadata.get("papermill", {})
    for key in _VOLATILE_NB_PAPERMILL:
        pm.pop(key, None)
    if pm:
        pm["input_path"] = f"notebooks/{template_name}"
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        for key in _VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill draws a random id for the cell it inserts
        if cell.cell_type == "code":
            cell.outputs = _join_streams(cell.outputs)
    return nb


def _join_streams(outputs: list) -> list:
    joined: list = []
    for out in outputs:
        previous = joined[-1] if joined else None
        if (
            out.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == out.get("name")
        ):
            previous["text"] = "".join(previous["text"]) + "".join(out["text"])
        else:
            joined.append(out)
    return joined


#: jupyter_client interrupts a kernel (SIGINT) before asking it to shut down, and ipykernel then sometimes logs
#: "KeyboardInterrupt caught in kernel" at ERROR level to the terminal. Errors in a notebook reach the run
#: through the cells' outputs (papermill), and a kernel that dies is reported by nbclient, so the kernel's
#: own log is kept to CRITICAL.
_KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


@functools.cache
def _kernel_manager_option() -> dict[str, type]:
    """Start kernels with CurveZMQ transport encryption where jupyter_client offers it (8.10+, "auto": used
    when the kernel declares support, as ipykernel 7.4 does). Besides encrypting the loopback traffic, this
    keeps ipykernel's "running over TCP without encryption" warning out of every run's output."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    trait = AsyncKernelManager.class_traits().get("transport_encryption")
    if trait is None or "auto" not in trait.values:
        return {}

    class _KernelManager(AsyncKernelManager):
        transport_encryption = CaselessStrEnum(trait.values, default_value="auto", help=trait.help).tag(config=True)

    return {"kernel_manager_class": _KernelManager}


def run_task(task: NotebookTask, *, kernel_name: str = "python3") -> Path:
    """Execute one task; on success the output replaces the previous one atomically.

    Raises
    ------
    EmstudyError
        Naming the notebook, the case and the failing cell (the previous output is kept).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    workdir = task.output.parent
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "results").mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=workdir, prefix=f".{task.output.stem}.", suffix=".tmp.ipynb")
    os.close(fd)
    try:
        try:
            pm.execute_notebook(
                str(task.template),
                tmp,
                parameters=dict(task.parameters),
                cwd=str(workdir),
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                extra_arguments=_KERNEL_ARGUMENTS,
                **_kernel_manager_option(),
            )
        except PapermillExecutionError as exc:
            raise EmstudyError(
                f"{task.label}: cell {exc.cell_index} (execution count {exc.exec_count}) failed: "
                f"{exc.ename}: {str(exc.evalue).splitlines()[0] if exc.evalue else ''}; "
                f"previous output {task.output} left in place"
            ) from None
        nb = normalise_notebook(nbformat.read(tmp, as_version=4), template_name=task.template.name)
        atomic_write_bytes(task.output, (nbformat.writes(nb) + "\n").encode("utf-8"))
    finally:
        Path(tmp).unlink(missing_ok=True)
    return task.output


def verify_raw(project: Project, case_ids: Sequence[str]) -> None:
    """Refuse to run when a case's raw file no longer matches its checksum."""
    verify_checksums(project.raw_dir, [project.raw_file(c).name for c in case_ids])


@dataclass(frozen=True)
class TaskRecord:
    """What happened to one task: ``ran`` or ``cached`` (inputs unchanged), and how long it took."""

    notebook: str
    case_id: str
    output: str
    status: str
    seconds: float
    key: str


def source_fingerprint(package_dir: Path | None = None) -> str:
    """Hash of the package version and every module's source: a change in the library reruns the study."""
    from emstudy import __version__

    package_dir = package_dir or Path(__file__).resolve().parents[1]  # the emstudy package, all sub-packages
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def task_key(project: Project, task: NotebookTask, *, source: str, case_ids: Sequence[str]) -> str:
    """Content hash of what a task's output depends on: template, parameters, library, codebook, the
    recommendations catalogue, and each case's file, raw survey and mapping."""
    digest = hashlib.sha256()
    digest.update(task.template.read_bytes())
    digest.update(json.dumps(dict(task.parameters), sort_keys=True, default=str).encode())
    digest.update(source.encode())
    digest.update(project.codebook_path.read_bytes())
    catalogue = project.root / "data" / "recommendations.yml"  # read by the findings notebooks
    digest.update(catalogue.read_bytes() if catalogue.is_file() else b"<missing>")
    cases = case_ids if task.case_id == CROSS_CASE else [task.case_id]
    for case_id in cases:
        for path in (project.cases_dir / f"{case_id}.yml", project.raw_path(case_id), project.mapping_path(case_id)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def run_tasks(
    tasks: Sequence[NotebookTask],
    *,
    jobs: int = 1,
    progress: Callable[[NotebookTask], None] | None = None,
    keys: Mapping[Path, str] | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
) -> list[TaskRecord]:
    """Run tasks stage by stage (see :func:`stages`): within a stage the notebooks of one case run in
    template order and the cases run in parallel when ``jobs > 1``; a cross-case notebook runs when every
    case before it is done.

    ``keys`` maps a task's output path to its :func:`task_key`. With ``keys`` and ``cache_dir``, a task whose key equals the one stored after its last successful run,
    and whose output exists, is skipped (``cached``); once a task of a chain runs, the rest of the chain
    runs too, and every later stage runs whenever a task of an earlier stage ran. ``force`` runs everything.

    All case tasks of a stage are attempted; if any fails, the first error (in task order) is raised after
    the others end, and later stages are not run.
    """
    keys = keys or {}
    records: list[TaskRecord] = []
    for stage in stages(tasks):
        upstream_ran = force or any(r.status == "ran" for r in records)
        pairs = [(t, keys.get(t.output, "")) for t in stage]
        if stage[0].case_id == CROSS_CASE:
            records += _run_chain(pairs, cache_dir, upstream_ran, progress)
        else:
            records += _run_per_case(pairs, jobs=jobs, progress=progress, cache_dir=cache_dir, force=upstream_ran)
    return records


def stages(tasks: Sequence[NotebookTask]) -> list[list[NotebookTask]]:
    """Split tasks (in template order) into stages: consecutive per-case templates form one stage, whose
    case chains may run in parallel; each cross-case template is a stage of its own, a barrier that waits
    for every case before it and comes before every case notebook after it."""
    ordered = sorted(tasks, key=lambda t: t.template.name)
    out: list[list[NotebookTask]] = []
    for task in ordered:
        cross = task.case_id == CROSS_CASE
        if out and not cross and out[-1][0].case_id != CROSS_CASE:
            out[-1].append(task)
        else:
            out.append([task])
    return out


def _run_per_case(
    chains: Sequence[tuple[NotebookTask, str]],
    *,
    jobs: int,
    progress: Callable[[NotebookTask], None] | None,
    cache_dir: Path | None,
    force: bool,
) -> list[TaskRecord]:
    by_case: dict[str, list[tuple[NotebookTask, str]]] = {}
    for task, key in chains:
        by_case.setdefault(task.case_id, []).append((task, key))
    errors: dict[str, EmstudyError] = {}
    records: list[TaskRecord] = []
    if jobs <= 1 or len(by_case) <= 1:
        for case_id, chain in by_case.items():
            try:
                records += _run_chain(chain, cache_dir, force, progress)
            except EmstudyError as exc:
                errors[case_id] = exc
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {
                pool.submit(_run_chain, chain, cache_dir, force, None): case_id for case_id, chain in by_case.items()
            }
            for future in as_completed(futures):
                case_id = futures[future]
                try:
                    done = future.result()
                except EmstudyError as exc:
                    errors[case_id] = exc
                    continue
                records += done
                if progress:
                    for task, _ in by_case[case_id]:
                        progress(task)
    if errors:
        first = next(c for c in by_case if c in errors)
        raise errors[first]
    return records


def _stamp(cache_dir: Path, task: NotebookTask) -> Path:
    return cache_dir / task.case_id / f"{task.template.stem}.key"


def _run_chain(
    chain: Sequence[tuple[NotebookTask, str]],
    cache_dir: Path | None,
    force: bool,
    progress: Callable[[NotebookTask], None] | None,
) -> list[TaskRecord]:
    records = []
    for task, key in chain:
        stamp = _stamp(cache_dir, task) if cache_dir and key else None
        fresh = (
            not force
            and stamp is not None
            and stamp.is_file()
            and task.output.is_file()
            and stamp.read_text(encoding="utf-8").strip() == key
        )
        started = time.perf_counter()
        if not fresh:
            if stamp is not None:
                stamp.unlink(missing_ok=True)
            run_task(task)
            if stamp is not None:
                atomic_write_bytes(stamp, key.encode() + b"\n")
            force = True  # what follows in the chain may read what this task wrote
        records.append(
            TaskRecord(
                task.template.name,
                task.case_id,
                task.output.name,
                "cached" if fresh else "ran",
                round(time.perf_counter() - started, 3),
                key,
            )
        )
        if progress:
            progress(task)
    return records
