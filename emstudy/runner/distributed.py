"""Run the notebook tasks on the workers of a Dask cluster (``emstudy run --scheduler ADDRESS``).

The run itself stays in the calling process (the *client*): it splits the tasks into the same stages as a
local run (:func:`emstudy.runner.pipeline.stages`), decides from the same cache whether each task is current
(the key is computed from the contents of what the task reads just before it would run, so a notebook
downstream of one that reran sees the new results), and records each task's key once its worker is done.
Only the execution of a notebook (:func:`emstudy.runner.pipeline.run_task`: papermill into a temporary file,
normalised, renamed into place) happens on a worker, so the outputs are written atomically exactly as in a
local run. Within a stage the chains of the cases run side by side, one notebook of a case after the other;
a cross-case notebook waits for every case before it.

The workers must see the project folder at the same path as the client (a shared file system) and run the
same environment: every task checks both on its worker and fails in one line naming the worker otherwise.
Ctrl-C or SIGTERM in the client kills the kernels its tasks started on the workers, cancels every future
and leaves the last good outputs (the cache entry of an interrupted task was removed before it started, so
the next run executes it again). A failing notebook is reported as in a local run (one line naming the
notebook, the case and the cell); a task whose worker dies is retried on another worker by the scheduler.

References
----------
Dask Development Team (2016). *Dask: Library for dynamic task scheduling*. https://dask.org
Rocklin, M. (2015). Dask: Parallel computation with blocked algorithms and task scheduling. *Proceedings of
the 14th Python in Science Conference*, 130-136.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from emstudy.errors import EmstudyError
from emstudy.runner import pipeline
from emstudy.runner.depends import TaskCache

__all__ = ["connect", "cluster", "run_on_cluster", "describe", "worker_environment", "CONNECT_TIMEOUT"]

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for the scheduler to answer before giving up in one line."""

_HINT = "start one (`dask scheduler`) and pass the address it prints, e.g. --scheduler tcp://HOST:8786"


def connect(address: str, *, timeout: float = CONNECT_TIMEOUT):
    """A :class:`distributed.Client` connected to the scheduler at ``address``.

    Parameters
    ----------
    address : str
        The scheduler's address, ``tcp://HOST:PORT`` (``HOST:PORT`` means tcp; ``tls://`` and the other
        schemes of :mod:`distributed.comm` are passed on as they are).
    timeout : float
        Seconds to wait for the scheduler.

    Returns
    -------
    distributed.Client
        Connected; close it when the run is over.

    Raises
    ------
    EmstudyError
        One line naming the address when it is malformed or no scheduler answers there.

    References
    ----------
    Dask Development Team. *Dask.distributed: Client*. https://distributed.dask.org/en/stable/client.html
    """
    import logging

    import distributed
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location) if scheme in ("tcp", "tls") else (None, None)
    except ValueError as exc:
        raise EmstudyError(f"--scheduler {address}: {exc}; give an address like tcp://HOST:PORT") from None
    if scheme not in backends:
        raise EmstudyError(
            f"--scheduler {address}: unknown scheme {scheme!r} (known: {', '.join(sorted(backends))}); "
            "give an address like tcp://HOST:PORT"
        )
    if port is not None and not 0 < port < 65536:
        raise EmstudyError(f"--scheduler {address}: port {port} is out of range (1-65535)")
    if host is not None:  # fail at once on a refused connection, rather than retrying until the timeout
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise EmstudyError(f"--scheduler {address}: no Dask scheduler answers there ({reason}); {_HINT}") from None
    logging.getLogger("distributed").setLevel(logging.CRITICAL)  # its failures reach the run as exceptions
    try:  # Dask's handshake first, without a Client: one that failed to start hangs on its way out
        asyncio.run(_handshake(address, timeout))
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - whatever answers there, it is not a scheduler we can use
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if not isinstance(exc, OSError | TimeoutError):
            reason = "what answers does not speak Dask's protocol"
        raise EmstudyError(f"--scheduler {address}: no Dask scheduler answers there ({reason}); {_HINT}") from None


async def _handshake(address: str, timeout: float) -> None:
    from distributed.comm import connect as open_comm

    comm = await open_comm(address, timeout=timeout)
    await comm.close()


@contextlib.contextmanager
def cluster(address: str | None, *, timeout: float = CONNECT_TIMEOUT) -> Iterator[object | None]:
    """``None`` for a local run (no address), else a client of the scheduler at ``address`` (:func:`connect`),
    closed when the block ends."""
    if address is None:
        yield None
        return
    client = connect(address, timeout=timeout)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=2)


def worker_environment() -> tuple[str, tuple[str, ...]]:
    """This process's :func:`~emstudy.runner.pipeline.source_fingerprint` and its installed packages
    (``name==version``, sorted), which a worker compares with its own."""
    from importlib.metadata import distributions

    stack = sorted({f"{d.metadata['Name']}=={d.version}".lower() for d in distributions() if d.metadata["Name"]})
    return pipeline.source_fingerprint(), tuple(stack)


# -- on the workers ---------------------------------------------------------------------------------------
_LOCK = threading.Lock()
_KERNELS: dict[str, set[int]] = {}  # run id -> pids of the kernels its tasks started in this worker process
_STOPPED: set[str] = set()  # runs whose client was interrupted


def _kill_tree(pid: int) -> None:
    import psutil

    try:
        proc = psutil.Process(pid)
        found = [*proc.children(recursive=True), proc]
    except psutil.Error:
        return
    for p in found:
        with contextlib.suppress(psutil.Error):
            p.kill()


def _stop_run(run_id: str) -> int:
    """Kill the kernels of run ``run_id`` in this worker process, and every kernel it starts from now on."""
    with _LOCK:
        _STOPPED.add(run_id)
        pids = _KERNELS.pop(run_id, set())
    for pid in pids:
        _kill_tree(pid)
    return len(pids)


def _kernel_manager(run_id: str) -> type:
    """The pipeline's kernel manager, noting each kernel it starts under ``run_id`` so the client can stop it."""
    from jupyter_client.manager import AsyncKernelManager

    base = pipeline._kernel_manager_option().get("kernel_manager_class", AsyncKernelManager)

    class _RunKernelManager(base):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            with _LOCK:
                if run_id in _STOPPED:
                    raise EmstudyError("the run was interrupted")
            await super()._async_launch_kernel(kernel_cmd, **kw)
            pid = self.provisioner.process.pid
            with _LOCK:
                stopped = run_id in _STOPPED
                if not stopped:
                    _KERNELS.setdefault(run_id, set()).add(pid)
            if stopped:
                _kill_tree(pid)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            process = getattr(self.provisioner, "process", None)
            with _LOCK:
                if process is not None:
                    _KERNELS.get(run_id, set()).discard(process.pid)
            await super()._async_cleanup_resources(restart=restart)

    return _RunKernelManager


def _runner_digest() -> str:
    """Hash of the runner's own modules as they are on disk now (this module and the pipeline)."""
    return hashlib.sha256(Path(pipeline.__file__).read_bytes() + Path(__file__).read_bytes()).hexdigest()


_IMPORTED = _runner_digest()  # as this process imported them: a worker running older code must be restarted


def _execute_remote(
    task: pipeline.NotebookTask,
    run_id: str,
    environment: tuple[str, tuple[str, ...]],
    execute: Callable[[pipeline.NotebookTask], Path],
) -> str:
    """Run one task on a worker, after checking that the worker sees the project and runs this environment."""
    from distributed import get_worker

    where = f"worker {get_worker().address}"
    if not task.template.is_file():
        raise EmstudyError(
            f"{where}: {task.template} not found; the workers must see the project folder at the same path as "
            "the run (a shared file system)"
        )
    if _runner_digest() != _IMPORTED:
        raise EmstudyError(f"{where}: emstudy/runner changed since the worker started; restart the workers")
    fingerprint, stack = environment
    if pipeline.source_fingerprint() != fingerprint:
        mine = worker_environment()[1]
        differs = sorted(set(stack) ^ set(mine))
        what = f"packages differ: {', '.join(differs[:3])}" if differs else "the emstudy source differs"
        raise EmstudyError(
            f"{where}: its environment is not the run's ({what}); run the workers in the same locked "
            "environment (pip install -r requirements.lock && pip install --no-deps -e .)"
        )
    with _LOCK:
        if run_id in _STOPPED:
            raise EmstudyError("the run was interrupted")
    if execute is pipeline.run_task:
        return str(pipeline.run_task(task, kernel_manager_class=_kernel_manager(run_id)))
    return str(execute(task))


# -- in the client ----------------------------------------------------------------------------------------
def run_on_cluster(
    tasks: Sequence[pipeline.NotebookTask],
    *,
    client,
    progress: Callable[[pipeline.NotebookTask], None] | None = None,
    cache: TaskCache | None = None,
    force: bool = False,
    execute: Callable[[pipeline.NotebookTask], Path] = pipeline.run_task,
) -> list[pipeline.TaskRecord]:
    """Run ``tasks`` stage by stage on the workers of ``client`` (see the module's description).

    Parameters
    ----------
    tasks : sequence of NotebookTask
        From :func:`emstudy.runner.pipeline.plan_tasks`.
    client : distributed.Client
        Connected to the cluster (:func:`connect`).
    progress : callable, optional
        Called in the client with each task that finished or was found current.
    cache : TaskCache, optional
        Skip a task whose inputs and outputs are unchanged; ``force`` runs everything.
    execute : callable
        Runs one task on a worker (default :func:`~emstudy.runner.pipeline.run_task`); a module-level function.

    Returns
    -------
    list of TaskRecord
        In task order.

    Raises
    ------
    EmstudyError
        The first failure of a stage (in case order) once the stage's other chains ended; later stages do
        not run. KeyboardInterrupt stops the kernels on the workers and cancels every future first.

    References
    ----------
    Dask Development Team. *Dask.distributed: Futures*. https://distributed.dask.org/en/stable/futures.html
    """
    run_id = uuid.uuid4().hex
    environment = worker_environment()
    _wait_for_workers(client)
    records: list[pipeline.TaskRecord] = []
    for stage in pipeline.stages(tasks):
        with _stopping(client, run_id) as pending:
            records += _run_stage(stage, client, pending, (run_id, environment, execute), cache, force, progress)
    return records


def _wait_for_workers(client) -> None:
    if not client.scheduler_info().get("workers"):
        print(f"emstudy: waiting for a worker to join the scheduler at {client.scheduler.address}", file=sys.stderr)
        client.wait_for_workers(1)


@contextlib.contextmanager
def _stopping(client, run_id: str) -> Iterator[dict]:
    """Yield the dict of pending futures; on any exception (Ctrl-C) stop the run's kernels and cancel them."""
    pending: dict = {}
    try:
        yield pending
    except BaseException:
        stopper = threading.Thread(target=_stop_remote, args=(client, run_id, list(pending)), daemon=True)
        stopper.start()
        stopper.join(timeout=5.0)
        raise


def _stop_remote(client, run_id: str, futures: list) -> None:
    with contextlib.suppress(Exception):
        client.run(_stop_run, run_id, on_error="ignore")
    with contextlib.suppress(Exception):
        client.cancel(futures, force=True)


def _run_stage(stage, client, pending: dict, remote: tuple, cache, force, progress) -> list[pipeline.TaskRecord]:
    """The case chains of one stage, each task submitted when the one before it in its chain is done."""
    from distributed import as_completed

    chains: dict[str, deque] = {}
    for task in stage:
        chains.setdefault(task.case_id, deque()).append(task)
    done: dict[int, pipeline.TaskRecord] = {}  # by id() of the task (a task holds a dict: not hashable)
    errors: dict[str, EmstudyError] = {}
    completed = as_completed(loop=client.loop)

    def advance(case_id: str) -> None:
        chain = chains[case_id]
        while chain:
            task = chain.popleft()
            started = time.perf_counter()
            key = cache.key(task) if cache is not None else ""
            if not force and cache is not None and cache.is_fresh(task, key):
                done[id(task)] = _record(task, "cached", started, key)
                if progress:
                    progress(task)
                continue
            if cache is not None:
                cache.forget(task)
            label = f"emstudy-{task.template.stem}-{case_id}-{remote[0][:8]}"
            future = client.submit(_execute_remote, task, *remote, key=label, pure=False)
            pending[future] = (task, key, started)
            completed.add(future)
            return

    for case_id in chains:
        advance(case_id)
    for future in completed:
        task, key, started = pending.pop(future)
        try:
            future.result()
        except EmstudyError as exc:
            errors[task.case_id] = exc
            continue
        except _killed_worker() as exc:
            errors[task.case_id] = EmstudyError(
                f"{task.label}: the workers running it died ({exc}); see the workers' logs (memory?)"
            )
            continue
        if cache is not None:
            cache.record(task, key)
        done[id(task)] = _record(task, "ran", started, key)
        if progress:
            progress(task)
        advance(task.case_id)
    if errors:
        raise errors[next(c for c in chains if c in errors)]
    return [done[id(t)] for t in stage if id(t) in done]


def _killed_worker() -> type[BaseException]:
    from distributed import KilledWorker

    return KilledWorker


def _record(task: pipeline.NotebookTask, status: str, started: float, key: str) -> pipeline.TaskRecord:
    seconds = round(time.perf_counter() - started, 3)
    return pipeline.TaskRecord(task.template.name, task.case_id, task.output.name, status, seconds, key)


def describe(client) -> dict[str, object]:
    """What the manifest records of the cluster: the executor and its number of workers and threads."""
    workers = client.scheduler_info().get("workers", {})
    return {
        "executor": "dask.distributed",
        "workers": len(workers),
        "threads": sum(int(w.get("nthreads", 0)) for w in workers.values()),
    }
