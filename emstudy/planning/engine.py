"""Monte Carlo power on dask.distributed: replications of (draw a data set, analyse it) for a grid of sizes.

:func:`run_power` draws ``replications`` data sets at each sample size from a population, runs an analysis on
each and counts how often each target is reached. The replications run as dask.distributed tasks (chunks of
replications at one sample size) on a local cluster started for the call, on an existing cluster (its
scheduler's address or a :class:`distributed.Client`), or in-process (``scheduler="synchronous"``); the table
is the same byte for byte in every case, for any number of workers and any chunk size.

Seeds
-----
Replication ``r`` at sample size ``n`` draws from ``numpy.random.SeedSequence(seed, spawn_key=(r, n))``, which is
the ``n``-th child of the ``r``-th child of ``SeedSequence(seed)`` (``SeedSequence(seed).spawn(r + 1)[r]
.spawn(n + 1)[n]``), through a PCG64 generator. It depends on ``(seed, r, n)`` only: not on the workers, the
chunking, the order of the grid or the other sample sizes in it, and more replications keep the first ones.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import pickle
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np
from threadpoolctl import ThreadpoolController
from tqdm import tqdm  # the text bar (tqdm.auto would warn on import in a kernel without ipywidgets)

from emstudy.errors import EmstudyError
from emstudy.planning.outcome import Outcome
from emstudy.planning.result import PowerTable

__all__ = ["run_power", "replication_rng", "SYNCHRONOUS", "default_workers"]

#: ``scheduler`` value that runs every replication in the calling process, without Dask.
SYNCHRONOUS = "synchronous"
#: How many times the scheduler reruns a task that raised an error on a worker (a replication's own errors
#: are caught inside the task and counted; this covers a task that could not run at all).
TASK_RETRIES = 2
#: Loggers silenced during a run (and restored after): dask.distributed's own (the client's has a level of its
#: own) and tornado's, which distributed's comms use.
QUIET_LOGGERS = ("distributed", "distributed.client", "tornado", "tornado.application")
#: Seconds to wait for an existing scheduler before giving up.
CONNECT_TIMEOUT = "10s"


class Population(Protocol):
    """What :func:`run_power` needs of a population: ``draw(n, rng)`` returns one data set of size ``n``."""

    def draw(self, n: int, rng: np.random.Generator) -> Any: ...


def replication_rng(seed: int, replication: int, n: int) -> np.random.Generator:
    """The generator of replication ``replication`` at sample size ``n`` (see the module notes, "Seeds").

    Examples
    --------
    >>> a = replication_rng(1, 3, 200).random()
    >>> b = np.random.SeedSequence(1).spawn(4)[3].spawn(201)[200]
    >>> a == np.random.Generator(np.random.PCG64(b)).random()
    True
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, n))))


def default_workers() -> int:
    """The cores this process may use (its CPU affinity where the system has one, else all cores)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


_CONTROLLER: list[ThreadpoolController] = []


def _one_blas_thread():
    """A context with one BLAS thread (as dask's nanny gives its workers), so that replications compute alike
    in-process and on workers. The process's BLAS libraries are looked up once (``threadpoolctl`` reads them
    from ``/proc``, about 8 ms a time), then the limit costs microseconds per chunk."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def _run_chunk(population: Population, analysis: Callable[[Any], Outcome], n: int, r0: int, r1: int, seed: int):
    """Replications ``r0 .. r1 - 1`` at size ``n``: counts per target, converged, improper, failed, and the
    first error ``(replication, message)``."""
    successes: dict[str, int] = {}
    counts = {"converged": 0, "improper": 0, "failed": 0}
    error = None
    with _one_blas_thread():
        for r in range(r0, r1):
            try:
                outcome = analysis(population.draw(n, replication_rng(seed, r, n)))
                if not isinstance(outcome, Outcome):
                    raise TypeError(f"the analysis returned {type(outcome).__name__}, not an Outcome")
                reached = {str(t): bool(v) for t, v in outcome.success.items()}
            except Exception as exc:  # a replication's error is counted, never dropped (the table keeps the first)
                counts["failed"] += 1
                error = error or (r, _first_line(exc))
                continue
            counts["converged"] += bool(outcome.converged)
            counts["improper"] += bool(outcome.improper)
            for target, ok in reached.items():
                successes[target] = successes.get(target, 0) + (ok and bool(outcome.converged))
    return {"n": n, "r0": r0, "successes": successes, **counts, "error": error}


def _payload(population: Population, analysis: Callable[[Any], Outcome]) -> bytes:
    """The population and analysis pickled once, here: the tasks carry bytes that the worker unpickles inside the
    task, so that a class the workers cannot import fails that task (reported) instead of the worker's
    connection (which would stop the worker and leave the run waiting)."""
    import cloudpickle

    try:
        return cloudpickle.dumps((population, analysis))
    except Exception as exc:
        name = "analysis"
        try:
            cloudpickle.dumps(population)
        except Exception:
            name = "population"
        raise ValueError(
            f"{name}: cannot be sent to the workers ({_first_line(exc)}); give a picklable object (a frozen "
            "dataclass of a module) or use scheduler='synchronous'"
        ) from None


def _run_chunk_remote(payload: bytes, n: int, r0: int, r1: int, seed: int):
    """:func:`_run_chunk` on a worker, from :func:`_payload`'s bytes."""
    population, analysis = pickle.loads(payload)
    return _run_chunk(population, analysis, n, r0, r1, seed)


def _check_args(population, analysis, ns, replications, seed, scheduler, workers, chunk_size, conf_level):
    if not callable(getattr(population, "draw", None)):
        raise ValueError(f"population: {type(population).__name__} has no draw(n, rng) method; give a population")
    if not callable(analysis):
        raise ValueError(f"analysis: {type(analysis).__name__} is not callable; give analysis(data) -> Outcome")
    if isinstance(ns, (str, bytes)) or not isinstance(ns, Iterable):
        raise ValueError(f"ns: {ns!r} is not a sequence of sample sizes; give e.g. ns=(100, 200, 400)")
    ns = list(ns)
    if not ns or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in ns):
        raise ValueError(f"ns: {ns!r} must be positive whole numbers; give e.g. ns=(100, 200, 400)")
    if len(set(ns)) != len(ns):
        raise ValueError(f"ns: {ns!r} repeats a sample size; give each once")
    for name, value in (("replications", replications), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (name == "replications"):
            raise ValueError(f"{name}: {value!r} is not a {'positive' if name != 'seed' else 'non-negative'} integer")
    for name, value in (("workers", workers), ("chunk_size", chunk_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"{name}: {value!r} is not a positive integer; give one or leave it out")
    if not isinstance(conf_level, (int, float)) or not 0 < conf_level < 1:
        raise ValueError(f"conf_level: {conf_level!r} is not between 0 and 1; give e.g. 0.95")
    if not (scheduler is None or isinstance(scheduler, str) or _is_client(scheduler)):
        raise ValueError(
            f"scheduler: {type(scheduler).__name__} is not a scheduler; give None (a local cluster), "
            f"'{SYNCHRONOUS}', an address such as 'tcp://127.0.0.1:8786' or a distributed.Client"
        )
    if isinstance(scheduler, str) and not scheduler.strip():
        raise ValueError("scheduler: empty address; give e.g. 'tcp://127.0.0.1:8786'")
    if workers is not None and scheduler is not None:
        raise ValueError(
            "workers: applies only to the local cluster (scheduler=None); an existing cluster or "
            "the synchronous run has its own; leave workers out"
        )
    return tuple(sorted(int(n) for n in ns)), int(replications), int(seed)


def _is_client(obj: object) -> bool:
    from distributed import Client

    return isinstance(obj, Client)


def _chunks(ns: Sequence[int], replications: int, size: int) -> list[tuple[int, int, int]]:
    return [(n, r0, min(r0 + size, replications)) for n in ns for r0 in range(0, replications, size)]


def _default_chunk(ns: Sequence[int], replications: int, workers: int) -> int:
    """About 16 tasks per worker over the grid (enough to balance; few enough that scheduling stays cheap)."""
    per_task = math.ceil(len(ns) * replications / (16 * workers))
    return max(1, min(replications, per_task, 250))


def _targets(analysis: object, results: list[dict]) -> tuple[str, ...]:
    """The analysis's ``targets`` in its order, then any other target an outcome named, in first-seen order
    over (n, replication) (so the order does not depend on the chunking)."""
    named = getattr(analysis, "targets", None)
    order: list[str] = [str(t) for t in named] if named is not None and not callable(named) else []
    for res in results:
        order.extend(t for t in res["successes"] if t not in order)
    return tuple(order)


def _table(results: list[dict], analysis, ns, replications, seed, conf_level) -> PowerTable:
    results = sorted(results, key=lambda res: (res["n"], res["r0"]))
    counts: dict[int, dict] = {
        n: {"successes": {}, "converged": 0, "improper": 0, "failed": 0, "error": None} for n in ns
    }
    for res in results:
        c = counts[res["n"]]
        for t, k in res["successes"].items():
            c["successes"][t] = c["successes"].get(t, 0) + k
        for key in ("converged", "improper", "failed"):
            c[key] += res[key]
        c["error"] = c["error"] or res["error"]
    return PowerTable.from_counts(
        counts, targets=_targets(analysis, results), replications=replications, seed=seed, conf_level=conf_level
    )


def _connect(scheduler, workers: int | None):
    """``(client, cluster or None, owned)``: a local cluster for ``None``, a client of an address, or the
    caller's client (``owned`` False: neither closed nor changed)."""
    from distributed import Client, LocalCluster

    if _is_client(scheduler):
        return scheduler, None, False
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,  # no dashboard; its HTTP routes on a free port (":0"), never a taken 8787
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=logging.CRITICAL,
        )
        try:
            return Client(cluster, set_as_default=False), cluster, True
        except BaseException:
            cluster.close()
            raise
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False), None, True
    except (OSError, ValueError, TypeError) as exc:
        raise EmstudyError(
            f"scheduler: cannot reach a Dask scheduler at {scheduler!r} ({_first_line(exc)}); start one "
            "(dask scheduler) or check the address"
        ) from None


def _run_distributed(population, analysis, ns, replications, seed, scheduler, workers, chunk_size, bar):
    import distributed  # noqa: F401 - its import configures its loggers: before they are silenced here

    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:  # a lost worker, a lost scheduler or a cancelled task is handled here, not logged
        logger.setLevel(logging.CRITICAL)
    try:
        return _submit_and_gather(population, analysis, ns, replications, seed, scheduler, workers, chunk_size, bar)
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _submit_and_gather(population, analysis, ns, replications, seed, scheduler, workers, chunk_size, bar):
    from distributed import as_completed

    payload = _payload(population, analysis)
    client, cluster, owned = _connect(scheduler, workers)
    token = uuid.uuid4().hex[:12]
    futures: dict = {}
    results = []
    try:
        if chunk_size is None:
            chunk_size = _default_chunk(ns, replications, max(1, len(client.scheduler_info()["workers"])))
        chunks = _chunks(ns, replications, chunk_size)
        for n, r0, r1 in chunks:
            key = f"emstudy-power-{token}-{n}-{r0}"
            future = client.submit(
                _run_chunk_remote, payload, n, r0, r1, seed, key=key, pure=False, retries=TASK_RETRIES
            )
            futures[future] = (n, r0, r1)
        for future in as_completed(list(futures), loop=client.loop):
            n, r0, r1 = futures.pop(future)  # a gathered result is let go, so a lost worker does not rerun it
            try:  # a result lost with its worker before it was fetched is recomputed by the scheduler: wait
                results.append(future.result())
            except (Exception, asyncio.CancelledError):  # an error after the retries, or a lost scheduler
                raise EmstudyError(
                    f"scheduler: replications {r0}-{r1 - 1} at n = {n} did not run: {_task_error(future)}"
                ) from None
            bar.update(r1 - r0)
        return results
    except BaseException:
        client.cancel(list(futures), force=True)
        raise
    finally:
        if owned:
            client.close()
            if cluster is not None:
                cluster.close()


def _task_error(future) -> str:
    """Why a task did not finish, and what to do, in words."""
    if future.status == "cancelled":  # the scheduler went away (the client gave up reconnecting) or cancelled it
        return "the connection to the scheduler was lost; check that the cluster is still running and rerun"
    try:
        error = _first_line(future.exception(timeout=5))
    except (Exception, asyncio.CancelledError) as exc:  # asyncio's CancelledError is not an Exception
        error = _first_line(exc)
    return (
        f"{error} (after {TASK_RETRIES} retries); the population and analysis must be picklable objects of "
        "classes the workers can import (the same environment and project path)"
    )


def run_power(
    population: Population,
    analysis: Callable[[Any], Outcome],
    *,
    ns: Sequence[int],
    replications: int,
    seed: int,
    scheduler: Any = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
    conf_level: float = 0.95,
) -> PowerTable:
    """Monte Carlo power of ``analysis`` on data drawn from ``population`` at each sample size of ``ns``.

    For each ``n`` in ``ns`` and each replication ``r < replications``, draws ``population.draw(n, rng)`` with
    the generator :func:`replication_rng` ``(seed, r, n)`` and calls ``analysis`` on it; power per target is
    the share of replications whose :class:`~emstudy.planning.outcome.Outcome` converged and reached it.

    Parameters
    ----------
    population : object with ``draw(n, rng)``
        Draws one data set of size ``n`` (a DataFrame usually) from a ``numpy.random.Generator``.
    analysis : callable
        ``analysis(data) -> Outcome``. An optional ``targets`` attribute fixes the order of the targets.
        For a cluster both must be picklable objects of classes the workers can import (plain frozen
        dataclasses of a module, as in :mod:`emstudy.planning.analyses`).
    ns : sequence of int
        Sample sizes (any order, no repeats); the table lists them increasing.
    replications : int
        Replications per sample size.
    seed : int
        Non-negative seed; the table depends on it, the population, the analysis, ``ns`` and
        ``replications`` only (module notes, "Seeds").
    scheduler : None, str or distributed.Client
        ``None``: a local dask.distributed cluster (processes with one thread each, no dashboard, logs
        silenced), started and closed by this call. ``"synchronous"``: every replication in this process,
        without Dask (for notebooks and tests). Any other string: the address of a running scheduler
        (``"tcp://host:8786"``, e.g. a dask-jobqueue cluster's ``scheduler_address``). A
        :class:`distributed.Client`: its cluster, left open.
    workers : int, optional
        Worker processes of the local cluster (default: every core this process may use). Only with
        ``scheduler=None``.
    chunk_size : int, optional
        Replications per task (default: about 16 tasks per worker over the grid). Changes the speed only.
    progress : bool
        Show a progress bar (tqdm, on stderr) over the replications.
    conf_level : float
        Confidence level of the Wilson interval of each power.

    Returns
    -------
    PowerTable
        Counts per sample size and target. A replication that raised is counted in ``failed`` (the first
        error per sample size is kept in ``errors``) and in the denominator, never dropped.

    Raises
    ------
    ValueError
        A bad argument (one line naming it).
    EmstudyError
        The scheduler cannot be reached, or a task could not run on the workers even after retries
        (``TASK_RETRIES``; a task of a worker that died is rerun on another by the scheduler).
    KeyboardInterrupt
        On Ctrl-C every task is cancelled, the local cluster closed, and the interrupt re-raised: no table.
        (On an existing cluster a chunk already running finishes on its worker and its result is dropped.)

    References
    ----------
    Muthén, L. K., & Muthén, B. O. (2002). How to use a Monte Carlo study to decide on sample size and
    determine power. *Structural Equation Modeling*, 9, 599-620.
    Dask Development Team (2016). *Dask: Library for dynamic task scheduling*. https://dask.org
    O'Neill, M. E. (2014). PCG: A family of simple fast space-efficient statistically good algorithms for
    random number generation. HMC-CS-2014-0905.

    Examples
    --------
    >>> from emstudy.planning.outcome import Outcome
    >>> class Coin:
    ...     def draw(self, n, rng):
    ...         return rng.random(n)
    >>> def heads(data):
    ...     return Outcome(success={"mean above 0.5": data.mean() > 0.5})
    >>> t = run_power(Coin(), heads, ns=[10, 100], replications=20, seed=1, scheduler="synchronous")
    >>> t.to_frame()[["n", "replications", "failed"]].values.tolist()
    [[10, 20, 0], [100, 20, 0]]
    """
    ns, replications, seed = _check_args(
        population, analysis, ns, replications, seed, scheduler, workers, chunk_size, conf_level
    )
    chunk_size = None if chunk_size is None else int(chunk_size)
    with tqdm(total=len(ns) * replications, disable=not progress, unit="rep", desc="power") as bar:
        if scheduler == SYNCHRONOUS:
            results = []
            for n, r0, r1 in _chunks(ns, replications, chunk_size or replications):
                results.append(_run_chunk(population, analysis, n, r0, r1, seed))
                bar.update(r1 - r0)
        else:
            results = _run_distributed(
                population, analysis, ns, replications, seed, scheduler, workers, chunk_size, bar
            )
    return _table(results, analysis, ns, replications, seed, float(conf_level))
