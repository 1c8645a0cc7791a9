"""Shared fixtures: the project tree, its codebook and cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emstudy.survey.codebook import Codebook
from emstudy.project import Project

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def codebook(project: Project) -> Codebook:
    return project.codebook()


@pytest.fixture()
def project_copy(tmp_path: Path) -> Project:
    """A copy of the study tree (data and notebooks) that a test may change."""
    for name in ("data", "notebooks"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return Project(tmp_path)
