"""emstudy.stats is the public index of the statistics: every public name of every stats module is in it."""

from __future__ import annotations

import importlib
import pkgutil

import emstudy.stats

# Building blocks used inside the package only: the factoring engine behind efa() and omega().
INTERNAL = {"emstudy.stats.factoring"}


def test_issue_imports_work() -> None:
    from emstudy.stats import cfa, compare_groups, cronbach_alpha, drivers, efa, invariance, kmo, omega

    assert all(callable(f) for f in (cronbach_alpha, omega, kmo, efa, cfa, invariance, compare_groups, drivers))


def test_index_lists_every_public_statistic() -> None:
    index = set(emstudy.stats.__all__)
    assert len(index) == len(emstudy.stats.__all__), "a name is listed twice in emstudy.stats.__all__"
    missing = {}
    for info in pkgutil.walk_packages(emstudy.stats.__path__, "emstudy.stats."):
        if info.name in INTERNAL or info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        absent = set(getattr(module, "__all__", [])) - index
        if absent:
            missing[info.name] = sorted(absent)
    assert not missing, f"public names missing from emstudy.stats.__all__: {missing}"
    for name in index:
        assert hasattr(emstudy.stats, name), name
