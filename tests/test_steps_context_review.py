"""The reviewers' checks are read-only: nbval over ``analysis/`` (the README's test command) and ``emstudy
verify`` re-execute notebooks that write their results, and those writes go to a throwaway folder
(``EMSTUDY_REVIEW_ROOT``/``EMSTUDY_REVIEW_OUTPUTS``, set by the root conftest.py and by verify)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from emstudy import cli
from emstudy.project import Project
from emstudy.steps.context import REVIEW_OUTPUTS_ENV, REVIEW_ROOT_ENV, output_project

ROOT = Path(__file__).resolve().parents[1]


def test_a_review_of_this_project_sends_its_writes_elsewhere(tmp_path, monkeypatch) -> None:
    project = Project(tmp_path / "proj")
    monkeypatch.setenv(REVIEW_ROOT_ENV, str(tmp_path / "proj"))
    monkeypatch.setenv(REVIEW_OUTPUTS_ENV, str(tmp_path / "review"))
    out = output_project(project, interactive=False)
    assert out.results_dir("yima") == tmp_path / "review" / "yima" / "results"
    assert out.reports_dir == tmp_path / "review" / "reports"
    assert output_project(project, interactive=True).analysis_dir == project.scratch_dir  # by hand: scratch/
    other = Project(tmp_path / "other")
    assert output_project(other, interactive=False) == other  # a review of another tree changes nothing here
    monkeypatch.delenv(REVIEW_OUTPUTS_ENV)
    assert output_project(project, interactive=False) == project


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under the folders a notebook may write, with its modification time and size."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.stat().st_size)
        for name in ("analysis", "reports", "scratch", "data")
        for p in (root / name).rglob("*")
        if p.is_file()
    }


def test_nbval_over_the_analysis_notebooks_writes_nothing_in_the_tree() -> None:
    notebooks = ["analysis/yima/02_reliability.ipynb", "analysis/yima/07_findings.ipynb"]  # results; reports
    before = _snapshot(ROOT)
    env = {k: v for k, v in os.environ.items() if k not in (REVIEW_ROOT_ENV, REVIEW_OUTPUTS_ENV)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *notebooks],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert _snapshot(ROOT) == before


def test_verify_runs_nbval_with_the_review_variables(project, monkeypatch, capsys) -> None:
    seen: dict[str, object] = {}

    def fake_call(cmd, *, cwd, env):
        seen.update(cmd=cmd, cwd=cwd, env=env, existed=Path(env[REVIEW_OUTPUTS_ENV]).is_dir())
        return 0

    monkeypatch.setattr(cli.subprocess, "call", fake_call)
    assert cli.main(["--root", str(project.root), "verify"]) == 0
    assert seen["env"][REVIEW_ROOT_ENV] == str(project.root.resolve()) and seen["existed"]
    assert not Path(seen["env"][REVIEW_OUTPUTS_ENV]).exists()  # the throwaway folder is removed afterwards
    assert "--nbval" in seen["cmd"] and seen["cwd"] == project.root
