"""The linter and the formatter (ruff, configured in pyproject.toml) pass on the whole tree.

Part of the test command, so a change that does not lint or is not formatted fails where it is made.
Fix with ``ruff check --fix . && ruff format .`` from the project root.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command", [["check", "--no-cache"], ["format", "--check", "--no-cache"]], ids=["ruff check", "ruff format --check"]
)
def test_ruff(command: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", *command, "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"ruff {' '.join(command)} failed:\n{proc.stdout}{proc.stderr}"
