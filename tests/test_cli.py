"""The emstudy command: one clear line and a non-zero exit for bad input, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from emstudy.cli import main


@pytest.mark.parametrize("command", ["cases", "simulate", "run", "verify", "validate"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: emstudy" in capsys.readouterr().out


def test_cases_lists_every_case(project, capsys):
    assert main(["--root", str(project.root), "cases"]) == 0
    out = capsys.readouterr().out
    for case_id in project.case_ids():
        assert case_id in out
    assert "4R" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--case", "atlantis"], "unknown case 'atlantis'"),
        (["run", "--case", "../../etc"], "case id '../../etc' is not valid"),
        (["run", "--case", "/tmp/x"], "case id '/tmp/x' is not valid"),
        (["validate", "no/such/file.csv"], "no/such/file.csv: file not found"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(project, args, message, capsys):
    assert main(["--root", str(project.root), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("emstudy: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_run_and_verify_refuse_a_tampered_raw_file(project_copy, capsys):
    path = project_copy.raw_path("wencheng")
    data = bytearray(path.read_bytes())
    data[-3] = ord("9") if data[-3] != ord("9") else ord("8")
    path.write_bytes(bytes(data))
    for command in (["run", "--case", "wencheng"], ["verify"]):
        assert main(["--root", str(project_copy.root), *command]) == 2
        err = capsys.readouterr().err
        assert "wencheng.csv: contents changed since its checksum was recorded" in err
    assert not (project_copy.root / "analysis").exists()


def test_validate_reports_out_of_range_values(project, tmp_path, capsys):
    from emstudy.steps.context import read_raw

    raw = read_raw(project.raw_path("yima")).head(5)
    header = project.codebook().export_headers["INF2"]
    raw.loc[2, header] = "7"
    path = tmp_path / "survey.csv"
    raw.to_csv(path, index=False)
    assert main(["--root", str(project.root), "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"row 3 (respondent 3), column {header!r}: value '7'" in err


def test_console_script_prints_no_traceback(project, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "emstudy.cli", "--root", str(project.root), "run", "--case", "nowhere"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("emstudy: error: unknown case 'nowhere'")
    assert "Traceback" not in proc.stderr


def test_outside_a_project_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["cases"]) == 2
    assert "not inside an emstudy project" in capsys.readouterr().err


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("emstudy: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_bad_simulate_arguments_give_one_line(project_copy, tmp_path, capsys):
    root = str(project_copy.root)
    assert main(["--root", root, "simulate", "--seed", "-1", "--out", str(tmp_path / "new")]) == 2
    assert "--seed -1: must be a whole number from 0 upwards" in _one_line_error(capsys)
    a_file = tmp_path / "raw.csv"
    a_file.write_text("x\n", encoding="utf-8")
    assert main(["--root", root, "simulate", "--case", "yima", "--out", str(a_file)]) == 2
    assert f"{a_file}: --out must name a folder" in _one_line_error(capsys)
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("errno_", "advice"),
    [(28, "No space left on device.*free space"), (30, "Read-only file system.*make the folder writable")],
)
def test_disk_full_or_read_only_output_gives_one_line(project_copy, tmp_path, monkeypatch, capsys, errno_, advice):
    # tests run as root, for whom chmod does not make a folder read-only: the failure is simulated
    import os
    import re

    def refuse(*args, **kwargs):
        raise OSError(errno_, os.strerror(errno_))

    out = tmp_path / "out"
    monkeypatch.setattr("emstudy.fileio.os.replace", refuse)
    assert main(["--root", str(project_copy.root), "simulate", "--case", "yima", "--out", str(out)]) == 2
    err = _one_line_error(capsys)
    assert re.search(rf"{re.escape(str(out))}/yima\.csv: cannot write \({advice}", err), err
    assert [p.name for p in out.iterdir()] == []  # no temporary file left behind
    # the same for the run: its cache folder cannot even be created
    monkeypatch.setattr("emstudy.runner.pipeline.Path.mkdir", refuse)
    assert main(["--root", str(project_copy.root), "run", "--case", "yima", "--notebook", "01_data_quality"]) == 2
    assert ".emstudy-cache: cannot write" in _one_line_error(capsys)


def test_jobs_are_capped_at_the_cores(project_copy, monkeypatch, capsys):
    from emstudy.runner import pipeline

    seen = {}
    monkeypatch.setattr(pipeline, "run_tasks", lambda tasks, *, jobs, **kw: seen.setdefault("jobs", jobs) and [])
    assert main(["--root", str(project_copy.root), "run", "--case", "yima", "--jobs", "1000"]) == 0
    cores = pipeline.available_cores()
    assert seen["jobs"] == cores
    err = capsys.readouterr().err
    assert f"--jobs 1000 is more than the {cores} cores available; using {cores}" in err
    assert "error" not in err


def test_simulate_leaves_a_case_from_a_survey_file_alone(project, tmp_path, capsys):
    """A user's case (its raw file, no truth file) is never simulated into data/raw beside its own data."""
    from conftest import new_case_in_copy

    cli = new_case_in_copy(project, tmp_path, "ownplace")
    raw = tmp_path / "data" / "raw"
    (raw / "ownplace.csv").write_bytes((raw / "yima.csv").read_bytes())
    before = sorted(p.name for p in raw.iterdir())
    capsys.readouterr()
    assert main([*cli, "simulate", "--force"]) == 0
    out = capsys.readouterr().out
    assert "skipped ownplace: its data come from a survey file (ownplace.csv), not the simulator" in out
    assert sorted(p.name for p in raw.iterdir()) == before and not (raw / "ownplace.truth.json").exists()
    assert main([*cli, "simulate", "--case", "ownplace"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "emstudy: error: data/raw/ownplace.csv: case 'ownplace' has its own survey data; simulating it would put "
        "synthetic data beside them; use --out DIR to simulate it elsewhere"
    )
    assert main([*cli, "simulate", "--case", "ownplace", "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "ownplace.truth.json").is_file()
