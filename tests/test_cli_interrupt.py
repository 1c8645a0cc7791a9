"""A run killed part way keeps the previous outputs byte for byte, leaves no temporary file, and the next run
completes."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emstudy.cli import main


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def temporaries(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if ".tmp" in p.name]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_keeps_previous_outputs(project_copy, signum):
    root = project_copy.root
    command = ["--root", str(root), "run", "--case", "yima", "--notebook", "01_data_quality", "--jobs", "1"]
    assert main(command) == 0
    analysis = root / "analysis"
    before = snapshot(analysis)
    assert "yima/01_data_quality.ipynb" in before and "yima/results/encoded.csv" in before

    proc = subprocess.Popen(
        [sys.executable, "-m", "emstudy.cli", *command, "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wait until papermill is executing into its temporary file, then interrupt
    deadline = time.monotonic() + 60
    while not list((analysis / "yima").glob(".01_data_quality.*.tmp.ipynb")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started executing the notebook"
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(proc.pid, signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "emstudy: interrupted" in err and "Traceback" not in err
    time.sleep(0.5)  # let a kernel that was shutting down finish
    assert temporaries(root) == []
    assert snapshot(analysis) == before

    assert main(command + ["--force"]) == 0
    assert temporaries(root) == []
    assert snapshot(analysis) == before  # same inputs, same bytes


def _written_after(folder: Path, moment: float) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime > moment)


@pytest.mark.parametrize(("signum", "group"), [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_a_parallel_run_stops_within_2_seconds_and_writes_nothing_after(project_copy, signum, group):
    # Ctrl-C reaches the whole process group (the kernels have sessions of their own); SIGTERM only the run
    root = project_copy.root
    command = ["--root", str(root), "run", "--case", "yima", "--case", "wencheng", "--notebook", "01_data_quality"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "emstudy.cli", *command, "--notebook", "02_reliability", "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while len(list((root / "analysis").glob("*/.01_data_quality.*.tmp.ipynb"))) < 2:  # both kernels at work
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started executing both notebooks"
        time.sleep(0.05)
    time.sleep(1.0)
    signalled, started = time.time(), time.monotonic()
    os.killpg(proc.pid, signum) if group else os.kill(proc.pid, signum)
    out, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - started
    assert proc.returncode == 130, err
    assert elapsed < 2.0, f"the run took {elapsed:.2f} s to stop"
    assert "emstudy: interrupted" in err and "Traceback" not in err
    time.sleep(2.0)  # a kernel left running would write its results by now
    assert _written_after(root / "analysis", signalled) == []

    # what a killed run leaves is removed by the next run, and never collected by verify
    stray = root / "analysis" / "yima" / ".01_data_quality.killed.tmp.ipynb"
    stray.write_bytes(b"")
    (root / "analysis" / "yima" / "results" / ".encoded.csv.killed.tmp").write_bytes(b"partial")
    assert main(["--root", str(root), "run", "--case", "yima", "--notebook", "01_data_quality", "--jobs", "1"]) == 0
    assert temporaries(root / "analysis") == []
    stray.write_bytes(b"")
    assert main(["--root", str(root), "verify"]) == 0
