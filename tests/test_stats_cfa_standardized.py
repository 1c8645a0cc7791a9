"""emstudy.stats.cfa.standardized: which estimates make a solution improper (the rule that cfa()'s Heywood
warnings and the planning analyses share), and the delta-method SEs of standardized loadings."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import HeywoodWarning
from emstudy.stats import ImproperEstimate, cfa, improper_estimates, std_loading_se

REFERENCE = Path(__file__).parent / "reference"


def _exact_data(cor: np.ndarray, n: int, seed: int) -> pd.DataFrame:
    """n rows whose sample correlation matrix (divisor n) is exactly `cor`."""
    z = np.random.default_rng(seed).standard_normal((n, cor.shape[0]))
    z = (z - z.mean(axis=0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T
    return pd.DataFrame(z @ np.linalg.cholesky(cor).T, columns=[f"a{i + 1}" for i in range(cor.shape[0])])


PROPER = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 1.0]])
# one factor, three items: lambda_1^2 = r12 r13 / r23 = 0.64 / 0.5 = 1.28 > 1, so a1's residual variance is -0.28
HEYWOOD = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])


def _quiet_cfa(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HeywoodWarning)
        return cfa(*args, **kwargs)


def test_a_proper_solution_has_no_improper_estimate():
    assert improper_estimates(cfa("f =~ a1 + a2 + a3", _exact_data(PROPER, 200, 1))) == ()


def test_a_heywood_case_is_named_by_its_item_and_value():
    fit = _quiet_cfa("f =~ a1 + a2 + a3", _exact_data(HEYWOOD, 200, 2))
    found = improper_estimates(fit)
    assert [(e.kind, e.lhs, e.op, e.rhs, e.group) for e in found] == [
        ("std_loading_above_one", "f", "=~", "a1", None),
        ("negative_variance", "a1", "~~", "a1", None),
    ]
    assert found[1].value == pytest.approx(1 - 0.64 / 0.5, abs=1e-4)  # the residual variance itself
    assert found[0].value == pytest.approx(np.sqrt(1.28), abs=1e-4)  # std.all of a1's loading
    assert all(isinstance(e, ImproperEstimate) for e in found)


def test_cfa_warns_for_exactly_the_estimates_found():
    data = pd.concat([_exact_data(PROPER, 200, 1).assign(g="a"), _exact_data(HEYWOOD, 200, 2).assign(g="b")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cfa("f =~ a1 + a2 + a3", data, group="g")
    found = improper_estimates(fit)
    assert {(e.kind, e.group) for e in found} == {("negative_variance", "b"), ("std_loading_above_one", "b")}
    assert len(caught) == len(found)
    for e in found:
        assert any("group 'b'" in str(w.message) and f"{e.value:.3f}" in str(w.message) for w in caught)


def test_a_factor_correlation_beyond_one_is_improper():
    # two factors whose items correlate more across than within: the factor correlation exceeds 1
    cor = np.array([[1.0, 0.3, 0.45, 0.45], [0.3, 1.0, 0.45, 0.45], [0.45, 0.45, 1.0, 0.3], [0.45, 0.45, 0.3, 1.0]])
    fit = _quiet_cfa("f1 =~ a1 + a2; f2 =~ a3 + a4", _exact_data(cor, 300, 3), std_lv=True)
    kinds = {e.kind for e in improper_estimates(fit)}
    assert "std_correlation_above_one" in kinds
    row = fit.params.query("lhs == 'f1' and op == '~~' and rhs == 'f2'")
    assert abs(row["std_all"].item()) > 1


@pytest.mark.parametrize("name", ["simple", "cross"])
def test_std_loading_se_is_lavaan_s_standardized_solution(name: str):
    """R: ``s <- standardizedSolution(cfa(model, HolzingerSwineford1939, std.lv = TRUE)); s[s$op == "=~", "se"]``
    (tests/reference/planning_std_loadings.R)."""
    ref = json.loads((REFERENCE / "planning_std_loadings.json").read_text(encoding="utf-8"))[name]
    hs = pd.read_csv(REFERENCE / "data" / "HolzingerSwineford1939.csv")
    fit = cfa(ref["model"], hs, std_lv=True)
    np.testing.assert_allclose(std_loading_se(fit), ref["se"], rtol=1e-4)  # lavaan: standardizedSolution()$se
