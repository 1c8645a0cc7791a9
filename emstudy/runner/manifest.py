"""The run manifest: versions, checksums, parameters and durations of the last ``emstudy run``.

It is written to ``reports/manifest.json`` and not committed (durations change on every run), so the
committed outputs stay byte-stable while the provenance of the last run is still on disk.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from emstudy.fileio import read_checksums, write_json
from emstudy.project import Project
from emstudy.runner.pipeline import TaskRecord

__all__ = ["write_manifest", "package_versions", "MANIFEST"]

MANIFEST = "manifest.json"
"""The run manifest, under ``reports/``."""

_PACKAGES = (
    "emstudy",
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbclient",
    "ipykernel",
    "pydantic",
)


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_manifest(project: Project, records: Sequence[TaskRecord], *, parameters: Mapping[str, object]) -> Path:
    """Write ``reports/manifest.json`` atomically and return its path."""
    manifest = {
        "synthetic": all(project.is_synthetic(c) for c in project.case_ids()),
        "versions": package_versions(),
        "raw_checksums": read_checksums(project.raw_dir),
        "parameters": dict(parameters),
        "tasks": [asdict(r) for r in sorted(records, key=lambda r: (r.case_id, r.notebook))],
        "total_seconds": round(sum(r.seconds for r in records), 3),
    }
    return write_json(project.reports_dir / MANIFEST, manifest)
