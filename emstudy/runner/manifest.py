"""The run manifest: versions, checksums, parameters and durations of the last ``emstudy run``.

It is written to ``reports/manifest.json`` and not committed (durations change on every run), so the
committed outputs stay byte-stable while the provenance of the last run is still on disk. The versions are
those of every package pinned in ``requirements.lock`` (read with :mod:`importlib.metadata`), and the
manifest names the packages whose installed version differs from the lock; :func:`lock_warning` says so in
one line before a run. A project without ``requirements.lock`` (the library installed into an environment
of one's own) records the versions of the main packages and is never warned.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from emstudy.fileio import read_checksums, sha256_file, write_json
from emstudy.project import Project
from emstudy.runner.pipeline import TaskRecord

__all__ = [
    "write_manifest",
    "package_versions",
    "read_lock",
    "LockPin",
    "lock_differences",
    "lock_warning",
    "MANIFEST",
    "LOCK_FILE",
]

MANIFEST = "manifest.json"
"""The run manifest, under ``reports/``."""

LOCK_FILE = "requirements.lock"
"""The locked run environment, at the project root (``tools/lock.sh`` writes it)."""

_PACKAGES = (
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
"""The packages recorded when there is no lock file."""

# `name==version ; marker \` opens an entry of a pip requirements file; its `--hash=` lines follow
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]*?))?\s*\\?\s*$")


@dataclass(frozen=True)
class LockPin:
    """One pinned package of a lock file.

    Attributes
    ----------
    name : str
        The normalised distribution name (PEP 503: lower case, runs of ``-_.`` as ``-``).
    versions : tuple of str
        The pinned versions; more than one when the lock pins a package differently per platform or Python.
    conditional : bool
        Every pin of the package carries an environment marker (a package for some platforms only), so its
        absence is not a difference.
    """

    name: str
    versions: tuple[str, ...]
    conditional: bool


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: str | Path) -> dict[str, LockPin]:
    """Read the pins of a pip requirements lock file (as written by ``uv pip compile``).

    Parameters
    ----------
    path : str or Path
        The lock file.

    Returns
    -------
    dict of str to LockPin
        The pins by normalised name, in name order.
    """
    versions: dict[str, list[str]] = {}
    unconditional: set[str] = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match is None:
            continue
        name = _normalise(match.group(1))
        versions.setdefault(name, []).append(match.group(2))
        if not match.group(3):
            unconditional.add(name)
    return {
        name: LockPin(name, tuple(dict.fromkeys(versions[name])), name not in unconditional)
        for name in sorted(versions)
    }


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def lock_differences(pins: Mapping[str, LockPin]) -> dict[str, tuple[str, str]]:
    """The locked packages whose installed version differs from the lock.

    Parameters
    ----------
    pins : mapping of str to LockPin
        The lock, as :func:`read_lock` returns it.

    Returns
    -------
    dict of str to (str, str)
        Name -> (installed version or ``"not installed"``, locked version(s) joined by ``" or "``), in name
        order. A package pinned only for other platforms and not installed is no difference.
    """
    out: dict[str, tuple[str, str]] = {}
    for name, pin in pins.items():
        installed = _installed(name)
        if installed in pin.versions or (installed is None and pin.conditional):
            continue
        out[name] = (installed or "not installed", " or ".join(pin.versions))
    return out


def lock_warning(project: Project) -> str | None:
    """One warning line when installed versions differ from the project's ``requirements.lock``.

    Parameters
    ----------
    project : Project
        The project; its root may hold ``requirements.lock``.

    Returns
    -------
    str or None
        The line (without the ``emstudy: warning:`` prefix), or None when the versions agree or the project
        has no lock file.
    """
    lock = project.root / LOCK_FILE
    if not lock.is_file():
        return None
    differences = lock_differences(read_lock(lock))
    if not differences:
        return None
    listed = ", ".join(f"{name} {installed} != {locked}" for name, (installed, locked) in differences.items())
    return (
        f"installed versions differ from {LOCK_FILE} ({listed}): results may differ from the committed ones; "
        f"`pip install -r {LOCK_FILE}` restores the locked stack"
    )


def package_versions(project: Project | None = None) -> dict[str, str]:
    """The versions in use: Python, emstudy, and every package of the project's lock (else the main ones).

    Parameters
    ----------
    project : Project, optional
        The project whose ``requirements.lock`` names the packages; without one (or without a lock file)
        the main scientific packages are recorded.

    Returns
    -------
    dict of str to str
        Name -> installed version (``"not installed"`` for a package that is missing), in name order after
        ``python`` and ``emstudy``. A package the lock pins only for other platforms is left out when absent.
    """
    out = {"python": platform.python_version(), "emstudy": _installed("emstudy") or "not installed"}
    lock = None if project is None else project.root / LOCK_FILE
    if lock is not None and lock.is_file():
        for name, pin in read_lock(lock).items():
            installed = _installed(name)
            if installed is not None or not pin.conditional:
                out[name] = installed or "not installed"
    else:
        out.update({name: _installed(name) or "not installed" for name in _PACKAGES})
    return out


def _lock_record(project: Project) -> dict[str, object] | None:
    lock = project.root / LOCK_FILE
    if not lock.is_file():
        return None
    differences = lock_differences(read_lock(lock))
    return {
        "file": LOCK_FILE,
        "sha256": sha256_file(lock),
        "differences": {name: {"installed": i, "locked": v} for name, (i, v) in differences.items()},
    }


def write_manifest(project: Project, records: Sequence[TaskRecord], *, parameters: Mapping[str, object]) -> Path:
    """Write ``reports/manifest.json`` atomically and return its path.

    Parameters
    ----------
    project : Project
        The project that was run.
    records : sequence of TaskRecord
        One record per task of the run.
    parameters : mapping of str to object
        The run's parameters (seed, language, jobs).

    Returns
    -------
    Path
        The manifest written. Apart from the durations, two runs in the same environment write the same bytes.
    """
    manifest = {
        "synthetic": all(project.is_synthetic(c) for c in project.case_ids()),
        "versions": package_versions(project),
        "lock": _lock_record(project),
        "raw_checksums": read_checksums(project.raw_dir),
        "parameters": dict(parameters),
        "tasks": [asdict(r) for r in sorted(records, key=lambda r: (r.case_id, r.notebook))],
        "total_seconds": round(sum(r.seconds for r in records), 3),
    }
    return write_json(project.reports_dir / MANIFEST, manifest)
