"""emstudy.planning.engine: the Monte Carlo power engine on dask.distributed.

The table must be the same bytes in-process and on 1, 2 and 4 worker processes, for any chunk size and grid
order; a replication that raises is counted; a worker that dies mid-run has its tasks rerun elsewhere with
the same table; an interrupt cancels every task and returns no table. One local cluster (two worker
processes) serves the module; the population and analyses below are classes of this module, which the
spawned workers import by name (pytest puts tests/ on sys.path, and spawned processes inherit it).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
import pytest
from distributed import Client, LocalCluster, get_task_stream

from emstudy.errors import EmstudyError
from emstudy.planning import engine
from emstudy.planning.engine import SYNCHRONOUS, replication_rng, run_power
from emstudy.planning.outcome import Outcome

SEED = 20261130
NS = (8, 16, 32)
REPS = 40


@dataclass(frozen=True)
class Normal:
    """A normal sample with mean ``shift``: the population of a one-sample test."""

    shift: float = 0.5

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.shift, 1.0, n)


@dataclass(frozen=True)
class MeanTest:
    """z test of mean 0 (known sd 1) at two levels, plus a 'converged' flag that fails when the sample's
    first value is below ``diverge_below`` and an 'improper' flag when its sd exceeds ``improper_sd``."""

    diverge_below: float = -1.0
    improper_sd: float = 1.3
    sleep: float = 0.0

    @property
    def targets(self) -> tuple[str, ...]:
        return ("z_05", "z_01")

    def __call__(self, data: np.ndarray) -> Outcome:
        if self.sleep:
            time.sleep(self.sleep)
        z = data.mean() * np.sqrt(len(data))
        return Outcome(
            success={"z_05": z > 1.6448536269514722, "z_01": z > 2.3263478740408408},
            converged=bool(data[0] >= self.diverge_below),
            improper=bool(data.std(ddof=1) > self.improper_sd),
        )


@dataclass(frozen=True)
class FailsSometimes(MeanTest):
    """Raises when the sample's first value is above ``raise_above``."""

    raise_above: float = 1.5

    def __call__(self, data: np.ndarray) -> Outcome:
        if data[0] > self.raise_above:
            raise ArithmeticError(f"first value {data[0]:.3f} too large\nsecond line")
        return super().__call__(data)


@dataclass(frozen=True)
class KillsWorkerOnce(MeanTest):
    """Ends its worker process (os._exit) the first time it sees a sample of size ``kill_n``: the marker
    file records that it did, so the rerun of the task goes through."""

    marker: str = ""
    kill_n: int = 16

    def __call__(self, data: np.ndarray) -> Outcome:
        if len(data) == self.kill_n and not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()))
            os._exit(1)
        return super().__call__(data)


@dataclass(frozen=True)
class Announces(MeanTest):
    """Writes ``marker`` when a replication starts (so that a test interrupts a run that is under way)."""

    marker: str = ""

    def __call__(self, data: np.ndarray) -> Outcome:
        Path(self.marker).touch()
        return super().__call__(data)


@dataclass(frozen=True)
class Interrupts(MeanTest):
    """Raises KeyboardInterrupt, as Ctrl-C does in the replication under way."""

    def __call__(self, data: np.ndarray) -> Outcome:
        raise KeyboardInterrupt


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},
        silence_logs=logging.CRITICAL,
    )
    c = Client(cluster, set_as_default=False)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def reference() -> bytes:
    return run_power(Normal(), MeanTest(), ns=NS, replications=REPS, seed=SEED, scheduler=SYNCHRONOUS).to_csv_bytes()


def _workers_used(client: Client, **kwargs) -> tuple[bytes, set[str]]:
    with get_task_stream(client=client) as stream:
        table = run_power(Normal(), MeanTest(), ns=NS, replications=REPS, seed=SEED, scheduler=client, **kwargs)
    return table.to_csv_bytes(), {t["worker"] for t in stream.data}


def test_the_seed_of_a_replication_is_its_seed_sequence_grandchild() -> None:
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(SEED).spawn(6)[5].spawn(33)[32]))
    assert replication_rng(SEED, 5, 32).random(3).tolist() == expected.random(3).tolist()
    assert replication_rng(SEED, 5, 32).random() != replication_rng(SEED, 5, 16).random()


def test_counts_are_those_of_a_plain_loop(reference: bytes) -> None:
    rows = reference.decode().splitlines()
    assert rows[0] == "n,target,power,mc_se,ci_lower,ci_upper,replications,converged,improper,failed"
    analysis = MeanTest()
    for line in rows[1:]:
        n, target, power, *_, reps, converged, improper, failed = line.split(",")
        outs = [analysis(Normal().draw(int(n), replication_rng(SEED, r, int(n)))) for r in range(REPS)]
        assert int(reps) == REPS and int(failed) == 0
        assert int(converged) == sum(o.converged for o in outs) and int(improper) == sum(o.improper for o in outs)
        assert float(power) == pytest.approx(sum(o.success[target] and o.converged for o in outs) / REPS, abs=1e-6)
    assert any(int(line.split(",")[7]) < REPS for line in rows[1:]), "no unconverged replication: weak test"


def test_same_bytes_in_process_and_on_1_2_and_4_workers(client: Client, reference: bytes) -> None:
    one = run_power(Normal(), MeanTest(), ns=NS, replications=REPS, seed=SEED, workers=1).to_csv_bytes()
    assert one == reference
    two, used = _workers_used(client, chunk_size=3)
    assert two == reference and len(used) == 2
    client.cluster.scale(4)
    try:
        client.wait_for_workers(4, timeout=60)
        four, used = _workers_used(client, chunk_size=2)
        assert four == reference and len(used) == 4
    finally:
        client.cluster.scale(2)


def test_chunk_size_and_grid_order_do_not_matter(reference: bytes) -> None:
    for size in (1, 7, REPS):
        table = run_power(
            Normal(), MeanTest(), ns=NS[::-1], replications=REPS, seed=SEED, scheduler=SYNCHRONOUS, chunk_size=size
        )
        assert table.to_csv_bytes() == reference
    wider = run_power(Normal(), MeanTest(), ns=(*NS, 64), replications=REPS, seed=SEED, scheduler=SYNCHRONOUS)
    assert wider.to_csv_bytes().startswith(reference)


def test_a_failing_replication_is_counted_with_its_first_error(client: Client) -> None:
    args = dict(ns=NS, replications=REPS, seed=SEED)
    table = run_power(Normal(), FailsSometimes(), scheduler=SYNCHRONOUS, **args)
    assert run_power(Normal(), FailsSometimes(), scheduler=client, chunk_size=4, **args).to_csv_bytes() == (
        table.to_csv_bytes()
    )
    frame = table.to_frame()
    for n in NS:
        firsts = [Normal().draw(n, replication_rng(SEED, r, n))[0] for r in range(REPS)]
        failing = [r for r, x in enumerate(firsts) if x > 1.5]
        assert failing, "no failing replication: weak test"
        assert (frame.loc[frame.n == n, "failed"] == len(failing)).all()
        assert (frame.loc[frame.n == n, "converged"] + len(failing) <= REPS).all()
        n_err, r_err, message = next(e for e in table.errors if e[0] == n)
        assert r_err == failing[0] and message.startswith("ArithmeticError: first value") and "\n" not in message
    assert "replication(s) failed" in table.summary()


def test_a_worker_killed_mid_run_has_its_tasks_rerun(client: Client, reference: bytes, tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    analysis = KillsWorkerOnce(marker=str(marker))
    table = run_power(Normal(), analysis, ns=NS, replications=REPS, seed=SEED, scheduler=client, chunk_size=5)
    assert marker.exists(), "no worker was killed: the test did not test"
    assert table.to_csv_bytes() == reference
    client.wait_for_workers(2, timeout=60)


@pytest.fixture
def sigint_raises():
    """SIGINT raises KeyboardInterrupt in this process, as at a terminal, even where pytest was started with
    SIGINT ignored (a background job of a non-interactive shell inherits it ignored, and Python then installs
    no handler): otherwise the interrupt below would be ignored and the run would go on to its end."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _interrupt_when(marker: Path, timeout: float = 60) -> threading.Thread:
    def wait_then_interrupt() -> None:
        deadline = time.monotonic() + timeout
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=wait_then_interrupt, daemon=True)
    thread.start()
    return thread


def _power_tasks(dask_scheduler) -> list[str]:
    return [str(k) for k in dask_scheduler.tasks if str(k).startswith("emstudy-power")]


def test_an_interrupt_cancels_every_task_of_a_cluster(client: Client, tmp_path: Path, sigint_raises) -> None:
    marker = tmp_path / "started"
    slow = Announces(marker=str(marker), sleep=0.05)
    thread = _interrupt_when(marker)
    with pytest.raises(KeyboardInterrupt):
        run_power(Normal(), slow, ns=NS, replications=2000, seed=SEED, scheduler=client, chunk_size=5)
    thread.join()
    assert marker.exists(), "the run was interrupted before it started: the test did not test"
    deadline = time.monotonic() + 10
    while client.run_on_scheduler(_power_tasks) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.run_on_scheduler(_power_tasks) == []
    assert client.status == "running"  # the caller's client is left open


def _is_ours(process: psutil.Process) -> bool:
    """A live child process other than multiprocessing's resource tracker (one per Python process, kept)."""
    try:
        return process.is_running() and "resource_tracker" not in " ".join(process.cmdline())
    except psutil.Error:  # ended meanwhile
        return False


def test_an_interrupt_closes_the_local_cluster(tmp_path: Path, sigint_raises) -> None:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    marker = tmp_path / "started"
    thread = _interrupt_when(marker)
    with pytest.raises(KeyboardInterrupt):
        run_power(Normal(), Announces(marker=str(marker), sleep=0.05), ns=NS, replications=2000, seed=SEED, workers=1)
    thread.join()
    assert marker.exists(), "the run was interrupted before it started: the test did not test"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before and _is_ours(p)]
        if not left:
            break
        time.sleep(0.1)
    assert not left, f"processes left behind: {left}"


def test_an_interrupt_in_process_is_not_counted_as_a_failure() -> None:
    with pytest.raises(KeyboardInterrupt):
        run_power(Normal(), Interrupts(), ns=NS, replications=REPS, seed=SEED, scheduler=SYNCHRONOUS)


def test_an_analysis_the_workers_cannot_import_is_one_line(client: Client, tmp_path: Path, monkeypatch) -> None:
    name = f"only_here_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(
        "from dataclasses import dataclass\nfrom emstudy.planning.outcome import Outcome\n\n\n"
        "@dataclass(frozen=True)\nclass Yes:\n    def __call__(self, data):\n"
        "        return Outcome(success={'yes': True})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # this process only: the workers were started before
    analysis = importlib.import_module(name).Yes()
    assert run_power(Normal(), analysis, ns=NS, replications=2, seed=1, scheduler=SYNCHRONOUS).power("yes")[0] == 1
    with pytest.raises(EmstudyError, match=r"^scheduler: replications 0-1 at n = \d+ did not run: ModuleNotFound") as e:
        run_power(Normal(), analysis, ns=NS, replications=2, seed=1, scheduler=client, chunk_size=2)
    assert "\n" not in str(e.value) and "classes the workers can import" in str(e.value)


def test_a_population_that_cannot_be_pickled_is_one_line(client: Client) -> None:
    @dataclass(frozen=True)
    class Locked(Normal):
        lock: object = field(default_factory=threading.Lock)

    with pytest.raises(ValueError, match=r"^population: cannot be sent to the workers \(TypeError: ") as info:
        run_power(Locked(), MeanTest(), ns=NS, replications=2, seed=1, scheduler=client)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"ns": []}, "ns"),
        ({"ns": [10, 0]}, "ns"),
        ({"ns": [10, 10]}, "ns"),
        ({"ns": "100"}, "ns"),
        ({"ns": [10.5]}, "ns"),
        ({"replications": 0}, "replications"),
        ({"replications": True}, "replications"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"workers": 0}, "workers"),
        ({"workers": 2, "scheduler": SYNCHRONOUS}, "workers"),
        ({"conf_level": 1.0}, "conf_level"),
        ({"scheduler": 8786}, "scheduler"),
        ({"scheduler": " "}, "scheduler"),
    ],
)
def test_bad_arguments_are_one_line_naming_the_parameter(kwargs: dict, param: str) -> None:
    args = {"ns": NS, "replications": REPS, "seed": SEED, "scheduler": SYNCHRONOUS, **kwargs}
    with pytest.raises(ValueError, match=rf"^{param}: ") as info:
        run_power(Normal(), MeanTest(), **args)
    assert "\n" not in str(info.value)


def test_a_population_without_draw_and_an_analysis_that_is_not_callable() -> None:
    with pytest.raises(ValueError, match=r"^population: "):
        run_power(object(), MeanTest(), ns=NS, replications=2, seed=1, scheduler=SYNCHRONOUS)
    with pytest.raises(ValueError, match=r"^analysis: "):
        run_power(Normal(), 3, ns=NS, replications=2, seed=1, scheduler=SYNCHRONOUS)


def test_an_unreachable_scheduler_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(EmstudyError, match=r"^scheduler: cannot reach a Dask scheduler at 'tcp://127.0.0.1:9'") as e:
        run_power(Normal(), MeanTest(), ns=NS, replications=2, seed=1, scheduler="tcp://127.0.0.1:9")
    assert "\n" not in str(e.value)
