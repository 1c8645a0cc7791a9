"""Run the parameterised notebooks with papermill, one output per case and notebook.

Each template in ``notebooks/`` has one cell tagged ``parameters`` holding literals only. For every case the
pipeline checks the raw data against its checksum, executes the template into a temporary file with the
kernel's working directory set to ``analysis/<case>/`` (where nbval will rerun it), strips what changes from
run to run (timings, absolute paths), and renames the result into place. A failed cell raises an error that
names the notebook, the case and the cell; the previous output stays where it was.

Each task declares what it reads and writes (:mod:`emstudy.runner.depends`), and is skipped only when its
inputs' contents and its recorded outputs are unchanged. Ctrl-C or SIGTERM stops a run at once: the kernels and
worker processes are killed, no task starts and nothing is written after the signal; the temporary files a
killed run leaves (``.*.tmp``, ``.*.tmp.ipynb``) are removed when the next run starts.

Given a Dask client, the same tasks run on the workers of its cluster, in the same stages and with the same
cache (:mod:`emstudy.runner.distributed`, ``emstudy run --scheduler``).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from emstudy.errors import EmstudyError
from emstudy.fileio import atomic_write_bytes, remove_temporaries, verify_checksums, write_error
from emstudy.project import Project
from emstudy.runner.depends import TaskCache, declare
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
    "TaskCache",
    "source_fingerprint",
    "available_cores",
    "run_lock",
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
    """One notebook to execute for one case.

    ``reads`` and ``writes`` are the files it reads and writes besides its template and notebook, and
    ``case_ids`` the set of cases its results depend on (see :func:`emstudy.runner.depends.declare`).
    """

    template: Path
    output: Path
    case_id: str
    parameters: Mapping[str, object]
    reads: tuple[Path, ...] = ()
    writes: tuple[Path, ...] = ()
    case_ids: tuple[str, ...] = ()

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
    every template that defines them, and so is ``interactive=False`` (the templates' default, True, is for a
    run by hand in JupyterLab, which writes under ``scratch/`` instead of ``analysis/`` and ``reports/``).
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
        if "interactive" in known:  # the templates default to True (a run by hand writes under scratch/)
            shared["interactive"] = False
        study = tuple(all_case_ids or case_ids)
        if "case_id" in known:
            for case_id in case_ids:
                params = {"case_id": case_id, "project_root": "../..", **shared}
                check_parameters(template, params)
                output = project.analysis_dir / case_id / template.name
                reads, writes, cases = declare(project, template, case_id, study)
                tasks.append(NotebookTask(template, output, case_id, params, reads, writes, cases))
        elif "case_ids" in known:
            params = {"case_ids": list(study), "project_root": "../..", **shared}
            check_parameters(template, params)
            output = project.analysis_dir / CROSS_CASE / template.name
            reads, writes, cases = declare(project, template, CROSS_CASE, study)
            tasks.append(NotebookTask(template, output, CROSS_CASE, params, reads, writes, cases))
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


#: How often a kernel that failed to start is started again. jupyter_client picks each kernel's five ports by
#: binding to a free port and releasing it; another process's kernel (a parallel worker) can take one in
#: between, and the new kernel then dies with "Address already in use" before it answers. A fresh kernel
#: gets fresh ports; a kernel that fails this often has a real problem, reported in one line.
KERNEL_START_ATTEMPTS = 3


def _is_kernel_start_failure(exc: BaseException) -> bool:
    """A kernel that never became ready (jupyter_client says so only in its message; a kernel that dies while
    running a cell is nbclient's DeadKernelError, a subclass, and is not retried)."""
    return type(exc) is RuntimeError and str(exc).startswith(
        ("Kernel didn't respond", "Kernel died before replying to kernel_info")
    )


def _execute_with_fresh_kernel(
    task: NotebookTask, output: str, *, kernel_name: str, kernel_manager_class: type | None = None
) -> None:
    """papermill's execution of ``task`` into ``output``, starting the kernel again if it failed to start."""
    import papermill as pm

    manager = {"kernel_manager_class": kernel_manager_class} if kernel_manager_class else _kernel_manager_option()
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            pm.execute_notebook(
                str(task.template),
                output,
                parameters=dict(task.parameters),
                cwd=str(task.output.parent),
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                extra_arguments=_KERNEL_ARGUMENTS,
                **manager,
            )
            return
        except RuntimeError as exc:
            if not _is_kernel_start_failure(exc):
                raise
            if attempt == KERNEL_START_ATTEMPTS:
                raise EmstudyError(
                    f"{task.label}: the {kernel_name!r} kernel failed to start {attempt} times ({exc}); "
                    "check that ipykernel is installed in this environment, then run again"
                ) from None


def run_task(task: NotebookTask, *, kernel_name: str = "python3", kernel_manager_class: type | None = None) -> Path:
    """Execute one task; on success the output replaces the previous one atomically.

    ``kernel_manager_class`` replaces the kernel manager papermill uses (a run on a cluster passes one that
    notes its kernels, to stop them when the run is interrupted: :mod:`emstudy.runner.distributed`).

    Raises
    ------
    EmstudyError
        Naming the notebook, the case and the failing cell (the previous output is kept).
    """
    from papermill.exceptions import PapermillExecutionError

    workdir = task.output.parent
    try:
        (workdir / "results").mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=workdir, prefix=f".{task.output.stem}.", suffix=".tmp.ipynb")
        os.close(fd)
    except OSError as exc:
        raise write_error(Path(exc.filename or workdir), exc) from None
    try:
        try:
            _execute_with_fresh_kernel(task, tmp, kernel_name=kernel_name, kernel_manager_class=kernel_manager_class)
        except PapermillExecutionError as exc:
            raise EmstudyError(
                f"{task.label}: cell {exc.cell_index} (execution count {exc.exec_count}) failed: "
                f"{exc.ename}: {str(exc.evalue).splitlines()[0] if exc.evalue else ''}; "
                f"previous output {task.output} left in place"
            ) from None
        except OSError as exc:  # papermill writing its temporary notebook (a kernel failure names no file)
            if exc.filename is None:
                raise
            raise write_error(Path(exc.filename), exc) from None
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
    """Hash of the package version, every file of the package (its modules and its data, such as the CJK font
    under ``reporting/assets/``) and the version of every installed distribution: a change in the library or in
    the stack under it (numpy, scipy, ...) reruns the study."""
    from importlib.metadata import distributions

    from emstudy import __version__

    package_dir = package_dir or Path(__file__).resolve().parents[1]  # the emstudy package, all sub-packages
    digest = hashlib.sha256(__version__.encode())
    stack = sorted({f"{d.metadata['Name']}=={d.version}".lower() for d in distributions() if d.metadata["Name"]})
    digest.update("\n".join(stack).encode())
    for path in sorted(p for p in package_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def task_key(project: Project, task: NotebookTask, *, source: str, case_ids: Sequence[str] | None = None) -> str:
    """Content hash of what a task's output depends on (:meth:`emstudy.runner.depends.TaskCache.key`): template,
    parameters, library, the set of cases and every file the task declares it reads. ``case_ids`` is kept for
    compatibility; the set of cases is the task's own."""
    return TaskCache(project.root, project.cache_dir, source).key(task)


def available_cores() -> int:
    """The number of cores this process may use (its CPU affinity where the system reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def run_lock(project: Project) -> Iterator[list[Path]]:
    """Hold ``.emstudy-cache/run.lock`` for one run and remove the temporary files a killed run left under
    ``analysis/``, ``reports/`` and the cache, before the run and again after it (an interrupted run's);
    yields the files removed before.

    Raises
    ------
    EmstudyError
        When another run holds the lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock, still clean
        fcntl = None
    try:
        project.cache_dir.mkdir(parents=True, exist_ok=True)
        handle = open(project.cache_dir / "run.lock", "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise write_error(project.cache_dir, exc) from None
    with handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise EmstudyError(
                    f"{project.cache_dir / 'run.lock'}: another `emstudy run` is working on this project; "
                    "wait for it to finish (or stop it) and run again"
                ) from None
        try:
            yield _clean(project)
        finally:  # an interrupted run's children are dead by now: what they left is removed at once
            _clean(project)


def _clean(project: Project) -> list[Path]:
    return remove_temporaries(project.analysis_dir, project.reports_dir, project.cache_dir)


def run_tasks(
    tasks: Sequence[NotebookTask],
    *,
    jobs: int = 1,
    progress: Callable[[NotebookTask], None] | None = None,
    cache: TaskCache | None = None,
    force: bool = False,
    execute: Callable[[NotebookTask], Path] = run_task,
    client: object | None = None,
) -> list[TaskRecord]:
    """Run tasks stage by stage (see :func:`stages`): within a stage the notebooks of one case run in
    template order and the cases run in parallel when ``jobs > 1``; a cross-case notebook runs when every
    case before it is done. With a ``client`` (a :class:`distributed.Client`, see
    :func:`emstudy.runner.distributed.connect`) the notebooks run on its cluster's workers instead, in the
    same stages, with the same cache decided here (:func:`emstudy.runner.distributed.run_on_cluster`);
    ``jobs`` is then unused.

    With ``cache``, a task whose key (computed just before it would run, from the contents of what it reads)
    equals the one recorded after its last successful run, and whose recorded outputs are unchanged, is
    skipped (``cached``). ``force`` runs everything. ``execute`` runs one task (default :func:`run_task`; a
    module-level function, as it is sent to worker processes).

    All case tasks of a stage are attempted; if any fails, the first error (in task order) is raised after
    the others end, and later stages are not run. Ctrl-C or SIGTERM (in the main thread) kills the kernels and
    workers at once and raises KeyboardInterrupt: no task starts and no output is written after the signal.
    """
    records: list[TaskRecord] = []
    if client is not None:
        from emstudy.runner.distributed import run_on_cluster

        with _stop_on_signal():
            return run_on_cluster(tasks, client=client, progress=progress, cache=cache, force=force, execute=execute)
    with _stop_on_signal():
        for stage in stages(tasks):
            if stage[0].case_id == CROSS_CASE:
                records += _run_chain(stage, cache, force, progress, execute)
            else:
                records += _run_per_case(stage, jobs=jobs, progress=progress, cache=cache, force=force, run=execute)
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


# -- stopping at once -------------------------------------------------------------------------------------
def _kill_children() -> None:
    """SIGKILL every process this one started (worker processes, kernels, their children), at once.

    A kernel sits in its own session, so it never sees the terminal's Ctrl-C, and must not write after it.
    The direct children are stopped first, so that none can start a kernel between the listing and the kill;
    a process that ends meanwhile is skipped.
    """
    import psutil

    def children(proc: psutil.Process) -> list[psutil.Process]:
        try:
            return proc.children()
        except psutil.Error:
            return []

    workers = children(psutil.Process())
    for worker in workers:
        with contextlib.suppress(psutil.Error):
            worker.suspend()
    found, frontier = list(workers), list(workers)
    while frontier:
        below = children(frontier.pop())
        found += below
        frontier += below
    for proc in reversed(found):  # kernels first, then the workers that started them
        with contextlib.suppress(psutil.Error):
            proc.kill()


def _stop(signum, frame):  # noqa: ARG001 - signal handler signature
    _kill_children()
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stop_on_signal() -> Iterator[None]:
    """In the main thread: SIGINT and SIGTERM kill the run's children and raise KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _worker_init() -> None:
    """Worker processes leave Ctrl-C to the main process (which kills them); a SIGTERM sent to the whole
    process group kills a worker's kernel with it at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_exit)


def _worker_exit(signum, frame):  # noqa: ARG001 - signal handler signature
    _kill_children()
    os._exit(128 + signum)


def _run_per_case(
    stage: Sequence[NotebookTask],
    *,
    jobs: int,
    progress: Callable[[NotebookTask], None] | None,
    cache: TaskCache | None,
    force: bool,
    run: Callable[[NotebookTask], Path],
) -> list[TaskRecord]:
    by_case: dict[str, list[NotebookTask]] = {}
    for task in stage:
        by_case.setdefault(task.case_id, []).append(task)
    errors: dict[str, EmstudyError] = {}
    records: list[TaskRecord] = []
    if jobs <= 1 or len(by_case) <= 1:
        for case_id, chain in by_case.items():
            try:
                records += _run_chain(chain, cache, force, progress, run)
            except EmstudyError as exc:
                errors[case_id] = exc
    else:
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(by_case)), initializer=_worker_init)
        try:
            futures = {pool.submit(_run_chain, chain, cache, force, None, run): c for c, chain in by_case.items()}
            for future in as_completed(futures):
                case_id = futures[future]
                try:
                    records += future.result()
                except EmstudyError as exc:
                    errors[case_id] = exc
                    continue
                for task in by_case[case_id] if progress else ():
                    progress(task)
        except BaseException:
            _kill_children()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    if errors:
        raise errors[next(c for c in by_case if c in errors)]
    return records


def _run_chain(
    chain: Sequence[NotebookTask],
    cache: TaskCache | None,
    force: bool,
    progress: Callable[[NotebookTask], None] | None,
    run: Callable[[NotebookTask], Path] = run_task,
) -> list[TaskRecord]:
    records = []
    for task in chain:
        started = time.perf_counter()
        key = cache.key(task) if cache is not None else ""
        fresh = not force and cache is not None and cache.is_fresh(task, key)
        if not fresh:
            if cache is not None:
                cache.forget(task)
            run(task)
            if cache is not None:
                cache.record(task, key)
        status = "cached" if fresh else "ran"
        seconds = round(time.perf_counter() - started, 3)
        records.append(TaskRecord(task.template.name, task.case_id, task.output.name, status, seconds, key))
        if progress:
            progress(task)
    return records
