"""``emstudy run --scheduler``: the notebooks run on the workers of a Dask cluster started separately (a
scheduler and two workers, each its own process, as on a real cluster), with the bytes of the default run,
the same cache, one-line errors and a clean interrupt.

The cluster and the run use a copy of the package (``PYTHONPATH``, and the run starts in the copy, as
``python -m`` puts the working directory first on the path), so that the workers and the run see the same
library however the source tree changes meanwhile.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from emstudy.cli import main

ROOT = Path(__file__).resolve().parents[1]
CASES = ("yima", "wencheng")
NOTEBOOKS = ("01_data_quality", "02_reliability")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "dask", *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the teardown stops the workers' kernels too
        )


def _stop(proc: subprocess.Popen) -> None:
    for signum, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, signum)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A copy of the project (data, notebooks, the package) and a scheduler with two one-thread workers."""
    from distributed import Client

    base = tmp_path_factory.mktemp("scheduler")
    root = base / "project"
    for name in ("data", "notebooks", "emstudy"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(root)}
    address = f"tcp://127.0.0.1:{_free_port()}"
    procs = [
        _start(
            ["scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
            env,
            base,
            base / "scheduler.log",
        )
    ]
    try:
        for k in (1, 2):
            worker = ["worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"]
            procs.append(_start([*worker, "--local-directory", str(base / "dask")], env, base, base / f"worker{k}.log"))
        deadline = time.monotonic() + 60
        while True:  # the scheduler binds its port a moment after it starts
            try:
                with Client(address, timeout=5, set_as_default=False) as client:
                    client.wait_for_workers(2, timeout=max(1, deadline - time.monotonic()))
                break
            except OSError:
                assert time.monotonic() < deadline, (base / "scheduler.log").read_text()
                time.sleep(0.5)
        yield {"root": root, "address": address, "env": env, "workers": procs[1:]}
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _run(cluster, *options: str, wait: bool = True):
    args = [sys.executable, "-m", "emstudy.cli", "--root", str(cluster["root"]), "run"]
    args += [f"--case={c}" for c in CASES] + [f"--notebook={n}" for n in NOTEBOOKS]
    args += ["--scheduler", cluster["address"], *options]
    proc = subprocess.Popen(
        args, env=cluster["env"], cwd=cluster["root"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if not wait:
        return proc
    out, err = proc.communicate(timeout=600)
    return proc.returncode, out, err


def _outputs(root: Path) -> dict[str, bytes]:
    """The notebooks of the subset and every results file they write, by path under analysis/."""
    from emstudy.runner.depends import STEP_RESULTS

    names = [f"{c}/{n}.ipynb" for c in CASES for n in NOTEBOOKS]
    names += [f"{c}/results/{f}" for c in CASES for n in NOTEBOOKS for f in STEP_RESULTS[n]]
    return {name: (root / "analysis" / name).read_bytes() for name in names if (root / "analysis" / name).is_file()}


@pytest.fixture(scope="module")
def first_run(cluster):
    started = time.monotonic()
    result = _run(cluster, "--force")
    return (*result, time.monotonic() - started)


def test_a_run_on_the_cluster_writes_the_bytes_of_the_default_run(cluster, first_run):
    code, out, err, _ = first_run
    assert code == 0, err
    assert f"{len(CASES) * len(NOTEBOOKS)} notebook(s) executed, 0 unchanged" in out
    assert "Traceback" not in err and "ERROR" not in err
    committed = _outputs(ROOT)  # the default run made these (and the study's tests check them)
    assert len(committed) == len(CASES) * (len(NOTEBOOKS) + 8)  # notebooks + 5 + 3 results files
    assert _outputs(cluster["root"]) == committed
    manifest = json.loads((cluster["root"] / "reports" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["executor"] == "dask.distributed" and manifest["parameters"]["workers"] == 2
    assert {(t["case_id"], t["status"]) for t in manifest["tasks"]} == {(c, "ran") for c in CASES}


def test_a_second_run_on_the_cluster_is_cached(cluster, first_run):
    assert first_run[0] == 0
    before = _outputs(cluster["root"])
    code, out, err = _run(cluster)
    assert code == 0, err
    assert f"0 notebook(s) executed, {len(CASES) * len(NOTEBOOKS)} unchanged (cached)" in out
    assert _outputs(cluster["root"]) == before


def _kernels(workers: list[subprocess.Popen]) -> list:
    import psutil

    found = []
    for proc in workers:
        try:
            below = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            continue
        for p in below:
            try:
                if "ipykernel" in " ".join(p.cmdline()):
                    found.append(p)
            except psutil.Error:
                continue
    return found


def test_ctrl_c_stops_the_kernels_on_the_workers_and_keeps_the_outputs(cluster, first_run):
    assert first_run[0] == 0
    root = cluster["root"]
    before = _outputs(root)
    proc = _run(cluster, "--force", wait=False)
    deadline = time.monotonic() + 120
    while not list((root / "analysis").glob("*/.01_data_quality.*.tmp.ipynb")):  # a worker is executing
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started executing a notebook"
        time.sleep(0.05)
    time.sleep(1.0)
    assert _kernels(cluster["workers"]), "no kernel runs on the workers"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "emstudy: interrupted" in err and "Traceback" not in err
    deadline = time.monotonic() + 10
    while _kernels(cluster["workers"]) or list((root / "analysis").rglob(".*.tmp*")):
        assert time.monotonic() < deadline, "a kernel or a temporary file outlived the interrupt"
        time.sleep(0.1)
    assert _outputs(root) == before  # nothing half-written: the last good outputs stay
    code, out, err = _run(cluster)  # the interrupted tasks' cache entries were removed: they run again
    assert code == 0, err
    assert "0 notebook(s) executed" not in out
    assert _outputs(root) == before


def test_a_failing_notebook_is_reported_as_in_a_local_run(cluster, first_run):
    assert first_run[0] == 0
    root = cluster["root"]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("case_id = 'x'\nproject_root = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise ValueError('the data say no')"),
    ]
    nbformat.write(nb, root / "notebooks" / "99_fail.ipynb")
    try:
        args = [
            "--root",
            str(root),
            "run",
            "--case",
            "yima",
            "--notebook",
            "99_fail",
            "--scheduler",
            cluster["address"],
        ]
        run = subprocess.run(
            [sys.executable, "-m", "emstudy.cli", *args],
            env=cluster["env"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        (root / "notebooks" / "99_fail.ipynb").unlink()
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("emstudy: error: 99_fail.ipynb [yima]: cell ")
    assert "ValueError: the data say no" in lines[0] and "Traceback" not in run.stderr
    assert not (root / "analysis" / "yima" / "99_fail.ipynb").exists()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:{port}", "127.0.0.1", "http://127.0.0.1:{port}"])
def test_a_bad_or_unreachable_address_is_one_line(project_copy, capsys, address):
    address = address.format(port=_free_port())  # nothing listens there
    code = main(["--root", str(project_copy.root), "run", "--case", "yima", "--scheduler", address])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"emstudy: error: --scheduler {address}")
    assert not (project_copy.root / "analysis").exists()


# -- the client's decisions, with a stand-in for papermill on an in-process cluster ---------------------------
def _fake_execute(task):
    """Stand-in for run_task (sent to the workers): every output is a function of the contents of what the task
    reads, named relative to the project, so two copies of the project give the same bytes."""
    import hashlib

    from emstudy.errors import EmstudyError

    root = task.output.parents[2]  # analysis/<case>/<notebook>
    if task.template.stem == "02_reliability" and (root / "fail_wencheng").exists() and task.case_id == "wencheng":
        raise EmstudyError(f"{task.label}: cell 3 failed: ValueError: planted")
    digest = hashlib.sha256(task.template.read_bytes() + repr(sorted(task.parameters.items())).encode())
    for path in sorted(task.reads):
        rel = path.relative_to(root).as_posix()
        digest.update(rel.encode() + (path.read_bytes() if path.is_file() else b"<missing>"))
    for path in (task.output, *task.writes):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{path.name} {digest.hexdigest()}\n", encoding="utf-8")
    return task.output


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for d in ("analysis", "reports")
        if (root / d).is_dir()
        for p in (root / d).rglob("*")
        if p.is_file()
    }


def _fake_run(root: Path, client):
    from emstudy.project import Project
    from emstudy.runner.pipeline import TaskCache, plan_tasks, run_tasks

    project = Project(root)
    tasks = plan_tasks(project, project.case_ids(), all_case_ids=project.case_ids())
    cache = TaskCache(project.root, project.cache_dir, "source")
    records = run_tasks(tasks, cache=cache, execute=_fake_execute, client=client)
    return [(r.notebook, r.case_id, r.status) for r in records]


@pytest.fixture()
def fixed_source(monkeypatch):
    """The library's fingerprint held fixed (the in-process workers share this process, so their environment
    is this one by construction; the check itself is tested below)."""
    monkeypatch.setattr("emstudy.runner.pipeline.source_fingerprint", lambda package_dir=None: "source")


def test_the_cluster_run_decides_the_cache_as_the_local_run(tmp_path, fixed_source):
    from distributed import Client

    roots = {"local": tmp_path / "local", "cluster": tmp_path / "cluster"}
    for root in roots.values():
        for name in ("data", "notebooks"):
            shutil.copytree(ROOT / name, root / name)
    with Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0") as client:
        for step in ("first", "again", "raw data changed", "upstream result edited"):
            for root in roots.values():
                if step == "raw data changed":
                    with open(root / "data" / "raw" / "yima.csv", "a", encoding="utf-8") as fh:
                        fh.write("\n")
                if step == "upstream result edited":
                    (root / "analysis" / "wencheng" / "results" / "encoded.csv").write_text("edited\n")
            local, cluster = _fake_run(roots["local"], None), _fake_run(roots["cluster"], client)
            assert sorted(cluster) == sorted(local), step
            assert _tree(roots["cluster"]) == _tree(roots["local"]), step
            statuses = {s for _, _, s in cluster}
            assert statuses == ({"ran"} if step == "first" else {"cached"} if step == "again" else {"ran", "cached"})


def test_a_failing_chain_lets_the_others_finish_and_stops_the_later_stages(tmp_path, fixed_source):
    from distributed import Client

    from emstudy.errors import EmstudyError

    for name in ("data", "notebooks"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "fail_wencheng").touch()
    with Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0") as client:
        with pytest.raises(
            EmstudyError, match=r"^02_reliability.ipynb \[wencheng\]: cell 3 failed: ValueError: planted$"
        ):
            _fake_run(tmp_path, client)
    analysis = tmp_path / "analysis"
    assert (analysis / "yima" / "04_drivers.ipynb").is_file()  # the other chains ran to the stage's end
    assert (analysis / "wencheng" / "01_data_quality.ipynb").is_file()
    assert not (analysis / "wencheng" / "03_structure.ipynb").exists()  # the failed chain stopped
    assert not (analysis / "all").exists()  # the cross-case stage never started


def test_a_worker_in_another_environment_is_refused_in_one_line(tmp_path, monkeypatch):
    from distributed import Client

    from emstudy.errors import EmstudyError

    for name in ("data", "notebooks"):
        shutil.copytree(ROOT / name, tmp_path / name)
    seen = iter(["the run's"])  # the run asks first; every later call is a worker's
    monkeypatch.setattr("emstudy.runner.pipeline.source_fingerprint", lambda package_dir=None: next(seen, "other"))
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as client:
        with pytest.raises(EmstudyError, match=r"^worker \S+: its environment is not the run's \(the emstudy source"):
            _fake_run(tmp_path, client)
    assert not (tmp_path / "analysis").exists() or not list((tmp_path / "analysis").rglob("*.ipynb"))
