"""The Examples sections of the package's docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import emstudy

# walk_packages descends into the sub-packages (stats, survey, steps, reporting, runner), so a module moved
# into one of them keeps its examples checked.
MODULES = sorted(m.name for m in pkgutil.walk_packages(emstudy.__path__, "emstudy."))


def test_every_subpackage_is_walked() -> None:
    assert {
        "emstudy.stats",
        "emstudy.stats.cfa",
        "emstudy.survey",
        "emstudy.steps",
        "emstudy.reporting",
        "emstudy.runner",
    } <= set(MODULES)
    assert any(name.startswith("emstudy.stats.cfa.") for name in MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see output above)"
