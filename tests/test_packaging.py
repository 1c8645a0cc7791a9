"""pyproject.toml and environment.yml declare the same packages and lower bounds; the locks pin them; README and
CI agree."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names
CONDA_NAMES = {"pyyaml": "pyyaml"}


def _pep508(spec: str) -> tuple[str, str]:
    name, bound = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec).groups()
    return name.lower(), bound.replace(" ", "")


def test_environment_yml_matches_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = dict(_pep508(s) for s in meta["dependencies"] + meta["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = dict(_pep508(s) for s in env["dependencies"] if isinstance(s, str) and s not in ("pip",))
    python = conda.pop("python")
    assert python == ">=" + meta["requires-python"].removeprefix(">=")
    assert {CONDA_NAMES.get(k, k): v for k, v in wanted.items()} == conda


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S)
    assert block, "README.md must mark its test command with <!-- test-command -->"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in ci  # .ci/run reads the command from the README
    assert block.group(1).strip().startswith("pip install")


# The locks: requirements.lock (what `emstudy run` needs) and requirements-dev.lock (the test command's), both
# written by tools/lock.sh from pyproject.toml.
LOCKS = {"run": ROOT / "requirements.lock", "dev": ROOT / "requirements-dev.lock"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)==(\S+?)(?:\s*;\s*(.+?))?\s*\\$")
_HASH = re.compile(r"^ {4}--hash=sha256:[0-9a-f]{64}( \\)?$")


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock_entries(path: Path) -> list[tuple[str, str, str | None, int]]:
    """(name, version, marker, number of hashes) per entry; any line that is neither fails the test."""
    entries: list[tuple[str, str, str | None, int]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pin, hashed = _PIN.match(line), _HASH.match(line)
        assert pin or (hashed and entries), f"{path.name}:{number}: neither a hashed pin nor its hash: {line!r}"
        if pin:
            entries.append((_canon(pin.group(1)), pin.group(2), pin.group(3), 0))
        else:
            name, pinned, marker, hashes = entries[-1]
            entries[-1] = (name, pinned, marker, hashes + 1)
    return entries


def _declared() -> dict[str, list[tuple[str, str]]]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    run = [_pep508(s) for s in meta["dependencies"]]
    return {"run": run, "dev": run + [_pep508(s) for s in meta["optional-dependencies"]["dev"]]}


@pytest.mark.parametrize("kind", LOCKS)
def test_every_pin_is_exact_and_hashed(kind):
    entries = _lock_entries(LOCKS[kind])
    assert len(entries) > 50
    assert all(hashes >= 1 for *_, hashes in entries), [e for e in entries if e[3] == 0]
    header = LOCKS[kind].read_text(encoding="utf-8").splitlines()[:3]
    assert "tools/lock.sh" in header[0] and f"-o {LOCKS[kind].name}" in header[2]  # the refresh command


@pytest.mark.parametrize("kind", LOCKS)
def test_every_dependency_is_locked_within_its_bounds(kind):
    locked: dict[str, list[str]] = {}
    for name, pinned, _, _ in _lock_entries(LOCKS[kind]):
        locked.setdefault(name, []).append(pinned)
    for name, bound in _declared()[kind]:
        assert _canon(name) in locked, f"{LOCKS[kind].name}: {name} is not pinned (run tools/lock.sh)"
        for pinned in locked[_canon(name)]:
            assert Version(pinned) in SpecifierSet(bound), f"{LOCKS[kind].name}: {name}=={pinned} is not {bound}"
    if kind == "run":  # what only the tests need stays out of the run lock
        dev_only = {_canon(n) for n, _ in _declared()["dev"]} - {_canon(n) for n, _ in _declared()["run"]}
        assert not dev_only & set(locked)


def test_the_run_lock_is_the_dev_lock_less_the_test_tools():
    dev = {(name, pinned, marker) for name, pinned, marker, _ in _lock_entries(LOCKS["dev"])}
    run = {(name, pinned, marker) for name, pinned, marker, _ in _lock_entries(LOCKS["run"])}
    assert run <= dev, sorted(run - dev)


def test_the_installed_versions_are_the_locked_ones():
    """The test command installs requirements-dev.lock; an environment that differs is not the tested stack."""
    differ = []
    for name, pinned, marker, _ in _lock_entries(LOCKS["dev"]):
        if marker and not Marker(marker).evaluate():
            continue
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "not installed"
        if installed != pinned:
            differ.append(f"{name} {installed} != {pinned}")
    assert not differ, (
        f"installed versions differ from requirements-dev.lock: {differ}; `pip install -r requirements-dev.lock`"
    )


def test_the_readme_commands_install_from_the_locks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S).group(1).strip()
    assert test == "pip install -r requirements-dev.lock && pip install --no-deps -e . && pytest"
    assert "\npip install -r requirements.lock && pip install --no-deps -e . && emstudy run\n" in readme
