"""``emstudy plan``: a power table and curve from a case or a model, the same bytes for any number of workers,
nothing written when interrupted, and one line with exit status 2 for every bad input."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from emstudy.cli import main

ROOT = Path(__file__).resolve().parents[1]
# the tidy table of issue 16 (n, target, power, mc_se, converged, improper) and the engine's interval and counts
COLUMNS = ["n", "target", "power", "mc_se", "ci_lower", "ci_upper", "replications", "converged", "improper", "failed"]
PNG = b"\x89PNG\r\n\x1a\n"


def _plan(root: Path, out: Path, *more: str) -> list[str]:
    return ["--root", str(root), "plan", "--out", str(out), *more]


def _table(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_a_synthetic_case_gives_a_table_a_curve_and_the_smallest_n(project_copy, tmp_path, capsys):
    out = tmp_path / "plan"
    args = ["--case", "wencheng", "--analysis", "below:participation", "--n", "20,60", "--replications", "6"]
    assert main(_plan(project_copy.root, out, *args, "--scheduler", "synchronous")) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["power.csv", "power.png"]
    rows = _table(out / "power.csv")
    assert list(rows[0]) == COLUMNS
    assert [(r["n"], r["target"], r["replications"]) for r in rows] == [
        ("20", "below:participation", "6"),
        ("60", "below:participation", "6"),
    ]
    for r in rows:
        assert 0 <= float(r["ci_lower"]) <= float(r["power"]) <= float(r["ci_upper"]) <= 1
        assert int(r["converged"]) + int(r["failed"]) == 6
    assert (out / "power.png").read_bytes().startswith(PNG)
    # the synthetic label, the table, the smallest n per target (the answer follows from the table itself)
    assert printed.startswith("SYNTHETIC DATA")
    powers = {int(r["n"]): float(r["power"]) for r in rows}
    smallest = next((n for n in (20, 60) if all(powers[m] >= 0.8 for m in powers if m >= n)), None)
    expected = f"n = {smallest}" if smallest is not None else "not reached up to n = 60"
    assert f"smallest n with power >= 0.8 for below:participation: {expected}" in printed
    assert re.search(r"^\s*n\s+target\s+power\s+mc_se", printed, re.MULTILINE)
    assert "n: respondents surveyed at wencheng" in printed and "participation found below the other" in printed


def test_the_table_and_figure_are_the_same_bytes_for_one_and_two_local_workers(project_copy, tmp_path):
    args = ["--case", "wencheng", "--analysis", "welch:information", "--n", "15,30", "--replications", "8"]
    written = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        assert main(_plan(project_copy.root, out, *args, "--workers", workers)) == 0
        written[workers] = ((out / "power.csv").read_bytes(), (out / "power.png").read_bytes())
    assert written["1"] == written["2"]
    assert b"welch:information" in written["1"][0]


def test_a_model_file_and_a_driver(tmp_path, capsys):
    model = tmp_path / "drivers.lav"
    model.write_text("y ~ 0.5*x1 + 0.0*x2\nx1 ~~ 0.3*x2\n", encoding="utf-8")
    out = tmp_path / "plan"
    args = ["--model", str(model), "--analysis", "driver:x1", "--n", "20,80", "--replications", "10"]
    assert main(_plan(ROOT, out, *args, "--scheduler", "synchronous")) == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC" not in printed  # a model of the user's own is not the study's synthetic data
    rows = _table(out / "power.csv")
    assert [(r["n"], r["target"]) for r in rows] == [("20", "driver:x1"), ("80", "driver:x1")]

    model.write_text("f =~ 0.7*x1 + 0.7*x2 + 0.6*x3 + 0.6*x4\n", encoding="utf-8")
    args = ["--model", str(model), "--analysis", "cfa", "--n", "100", "--replications", "4"]
    assert main(_plan(ROOT, out, *args, "--scheduler", "synchronous")) == 0
    rows = _table(out / "power.csv")  # replaced: the plan's folder holds the last plan
    assert [r["target"] for r in rows] == ["rmsea_close", "rmsea_not_close", "loadings_precise"]
    assert all(int(r["converged"]) + int(r["failed"]) == 4 for r in rows)

    # a value for the population and a label for the analysis's := in one term
    model.write_text("m ~ 0.4*a*x\ny ~ 0.4*b*m + 0.1*x\nind := a*b\n", encoding="utf-8")
    args = ["--model", str(model), "--analysis", "indirect:ind", "--n", "60", "--replications", "4"]
    assert main(_plan(ROOT, out, *args, "--scheduler", "synchronous")) == 0
    assert [r["target"] for r in _table(out / "power.csv")] == ["indirect:ind"]


def test_the_fitted_population_of_the_committed_results(tmp_path, capsys):
    # construct scores as fitted to analysis/<case>/results/encoded.csv; the driver's sign from drivers.csv
    out = tmp_path / "plan"
    args = ["--case", "wencheng", "--population", "fitted", "--analysis", "driver:response", "--n", "30,90"]
    assert main(_plan(ROOT, out, *args, "--replications", "5", "--scheduler", "synchronous")) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("SYNTHETIC DATA") and "construct scores as fitted" in printed
    rows = _table(out / "power.csv")
    assert [(r["n"], r["target"], r["replications"]) for r in rows] == [
        ("30", "driver:response", "5"),
        ("90", "driver:response", "5"),
    ]


def _stderr_reader(proc: subprocess.Popen) -> list[str]:
    seen: list[str] = []

    def read() -> None:
        while chunk := proc.stderr.read(1):
            seen.append(chunk)

    threading.Thread(target=read, daemon=True).start()
    return seen


def test_ctrl_c_cancels_the_replications_and_leaves_no_output(project_copy, tmp_path):
    out = tmp_path / "plan"
    command = _plan(project_copy.root, out, "--case", "wencheng", "--analysis", "welch:information")
    command += ["--n", "20,40,80", "--replications", "400", "--workers", "2"]  # tasks of about 40 replications
    proc = subprocess.Popen(
        [sys.executable, "-m", "emstudy.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen = _stderr_reader(proc)
    deadline = time.monotonic() + 120
    while not re.search(r"power:[^\r\n]*\|\s*[1-9]\d*/1200", "".join(seen)):  # replications are running
        assert proc.poll() is None, "".join(seen)
        assert time.monotonic() < deadline, "the plan never started its replications"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    time.sleep(0.5)
    err = "".join(seen)
    assert "emstudy: interrupted" in err and "Traceback" not in err
    assert not out.exists() or [p for p in out.rglob("*") if p.is_file()] == []
    # no worker of the local cluster is left behind
    deadline = time.monotonic() + 20
    while True:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the local cluster's workers outlived the interrupted plan"
        time.sleep(0.2)


BAD = [
    (["--analysis", "below:participation", "--n", "100"], "--case/--model"),
    (["--case", "nowhere", "--analysis", "below:plan", "--n", "100"], "unknown case 'nowhere'"),
    (["--case", "wencheng", "--analysis", "below:plan"], "--n"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100,abc"], "--n 100,abc"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "5"], "--n 5"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100,100"], "--n 100,100"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100,"], "--n 100,"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100", "--replications", "0"], "--replications 0"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100", "--replications", "x"], "--replications x"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100", "--seed", "-1"], "--seed -1"),
    (["--case", "wencheng", "--n", "100"], "--analysis"),
    (["--case", "wencheng", "--analysis", "mean:plan", "--n", "100"], "--analysis mean:plan"),
    (["--case", "wencheng", "--analysis", "below:nothing", "--n", "100"], "--analysis below:nothing"),
    (["--case", "wencheng", "--analysis", "below", "--n", "100"], "--analysis below"),
    (["--case", "wencheng", "--analysis", "cfa:x", "--n", "100"], "--analysis cfa:x"),
    (["--case", "wencheng", "--analysis", "invariance:partial", "--n", "100"], "--analysis invariance:partial"),
    (["--case", "wencheng", "--analysis", "indirect:ab", "--n", "100"], "--analysis indirect:ab"),
    (["--case", "wencheng", "--population", "guessed", "--analysis", "below:plan", "--n", "100"], "--population"),
    (["--case", "wencheng", "--population", "fitted", "--analysis", "cfa", "--n", "100"], "--analysis cfa"),
    (
        ["--case", "wencheng", "--population", "fitted", "--analysis", "below:plan", "--n", "100"]
        + ["--careless-rate", "0.1"],
        "--careless-rate",
    ),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100", "--missing-rate", "1.5"], "--missing-rate"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100", "--careless-rate", "-0.1"], "--careless-rate"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100", "--power", "1"], "--power 1"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100", "--workers", "0"], "--workers 0"),
    (["--case", "wencheng", "--analysis", "below:plan", "--n", "100", "--scheduler", "here"], "--scheduler here"),
    (
        ["--case", "wencheng", "--analysis", "below:plan", "--n", "100", "--scheduler", "tcp://127.0.0.1:1"]
        + ["--workers", "2"],
        "--workers",
    ),
    (["--model", "absent.lav", "--analysis", "cfa", "--n", "100"], "--model absent.lav"),
]


@pytest.mark.parametrize(("args", "named"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_a_bad_input_is_one_line_naming_it_exit_2(args, named, tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(_plan(ROOT, out, *args)) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("emstudy: error: "), captured.err
    assert named in lines[0]
    assert captured.out == "" and not out.exists()


def test_bad_model_files_and_outputs(tmp_path, capsys):
    lav = tmp_path / "m.lav"
    cases = [
        ("f =~ 0.7*x1 + 0.7*x2 +", ["--analysis", "cfa"], "--model"),  # not lavaan syntax
        ("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3", ["--analysis", "indirect:ab"], "--analysis indirect:ab"),
        ("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3", ["--analysis", "driver:x1"], "--analysis driver:x1"),
        ("y ~ 0.3*x", ["--analysis", "cfa"], "--analysis cfa"),
        ("y ~ 0.3*x", ["--analysis", "below:plan"], "--analysis below:plan"),
        ("y ~ 0.3*x", ["--analysis", "cfa", "--missing-rate", "0.1"], "--missing-rate"),
    ]
    for text, args, named in cases:
        lav.write_text(text, encoding="utf-8")
        assert main(_plan(ROOT, tmp_path / "out", "--model", str(lav), "--n", "50", *args)) == 2, text
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and named in err[0], (text, err)
    a_file = tmp_path / "taken"
    a_file.write_text("", encoding="utf-8")
    args = ["--case", "wencheng", "--analysis", "below:plan", "--n", "100"]
    assert main(["--root", str(ROOT), "plan", "--out", str(a_file), *args]) == 2
    assert "--out" in capsys.readouterr().err


def test_a_scheduler_that_is_not_there(tmp_path, capsys):
    args = ["--case", "wencheng", "--analysis", "welch:plan", "--n", "20", "--replications", "2"]
    assert main(_plan(ROOT, tmp_path / "out", *args, "--scheduler", "tcp://127.0.0.1:9")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    # one error line, after the progress bar's (carriage-returned) updates
    assert err[-1].startswith("emstudy: error: --scheduler") and "tcp://127.0.0.1:9" in err[-1], err
    assert all(line.startswith("power:") for line in err[:-1]) and "Traceback" not in "".join(err)
    assert not (tmp_path / "out").exists()


def test_designed_needs_a_synthetic_case(project_copy, tmp_path, capsys):
    (project_copy.root / "data" / "raw" / "wencheng.truth.json").unlink()
    args = ["--case", "wencheng", "--population", "designed", "--analysis", "below:plan", "--n", "100"]
    assert main(_plan(project_copy.root, tmp_path / "out", *args)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--population designed" in err[0] and "wencheng.truth.json" in err[0]


def test_the_command_line_itself_prints_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "emstudy.cli", *_plan(ROOT, tmp_path / "o", "--case", "wencheng", "--n", "1,2")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "Traceback" not in proc.stderr
