"""What :func:`emstudy.stats.invariance` says about its levels (issue 15, finding 6): a level that adds no
constraint (0 degrees of freedom: the ordered "thresholds+loadings+intercepts" after "thresholds+loadings",
lavaan 0.6.14 fixing the intercepts of ordered items at 0) is reported as the same model as the level before,
with no changes of CFI/RMSEA, no p-value and no "does not hold"; when the first constrained level fails the
highest level supported is "configural"; :func:`emstudy.stats.chisq_difference` warns on models with the same
degrees of freedom, as lavaan's ``lavTestLRT`` ("some models have the same degrees of freedom").

Fixture: tests/reference/wlsmv_invariance.R (wlsmv_invariance.json): the bfi items A1-A5, C1-C5 by gender
(tests/reference/data/bfi.csv, complete rows), lavTestLRT between consecutive levels; the numbers of the
sequence are checked against it in tests/test_stats_cfa_wls_invariance.py.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import ModelWarning
from emstudy.stats import cfa, chisq_difference, invariance
from emstudy.stats.cfa.invariance_ordinal import _no_constraint

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "wlsmv_invariance.json").read_text())
BFI = pd.read_csv(REF_DIR / "data" / "bfi.csv")
ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
G = BFI[ITEMS + ["gender"]].dropna().assign(gender=lambda d: np.where(d["gender"] == 1, "male", "female"))
HS = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
LAST, BEFORE = "thresholds+loadings+intercepts", "thresholds+loadings"


@pytest.fixture(scope="module")
def ordinal() -> object:
    return invariance(REF["model"], G, "gender", ordered=ITEMS)


def test_a_level_adding_no_constraint_says_so(ordinal: object) -> None:
    # lavTestLRT(fit_thresholds_loadings, fit_thresholds_loadings_intercepts): Df diff 0, Pr(>Chisq) NA
    ref = REF["tests"]["delta_thresholds_loadings_intercepts"]
    assert ref["df_diff"] == 0 and ref["pvalue"] == "NA"
    t = ordinal.table
    row = t.loc[LAST]
    assert row["df_diff"] == 0 and row["note"] == f"adds no constraint (the same model as {BEFORE})"
    assert np.isnan(row["pvalue_diff"]) and np.isnan(row["delta_cfi"]) and np.isnan(row["delta_rmsea"])
    assert row["holds"] == t.loc[BEFORE, "holds"]
    assert (t.drop(index=LAST)["note"] == "").all()
    line = next(s for s in ordinal.summary().splitlines() if s.startswith(f"{LAST} vs"))
    assert "adds no constraint (the same model as thresholds+loadings); 0 df, no test" in line
    assert f"it holds exactly when {BEFORE} holds (it does)" in line
    assert "does not hold" not in line and "nan" not in line and "delta" not in line  # before: "does not hold", p = nan
    # bfi by gender: the scaled CFI changes by -0.0069 and +0.0052 (lavaan): every level holds
    assert ordinal.level == LAST and ordinal.summary().endswith(f"Highest level supported: {LAST}")


def test_when_thresholds_fail_the_highest_level_is_configural() -> None:
    # delta scaled CFI of equal thresholds is -0.0069 (fitMeasures(fit)["cfi.scaled"] of the two levels):
    # a cut of 0.001 rejects it
    res = invariance(REF["model"], G, "gender", ordered=ITEMS, cfi_cut=0.001)
    assert not res.table.loc["thresholds", "holds"]
    assert res.level == "configural"  # before issue 15: "none", although configural holds by definition
    assert res.summary().endswith("Highest level supported: configural")
    row = res.table.loc[LAST]
    assert row["holds"] == res.table.loc[BEFORE, "holds"] and np.isnan(row["delta_cfi"])


def test_the_same_model_holds_only_when_the_one_before_does() -> None:
    comp = {"compared_with": "a", "chisq_diff": 0.0, "df_diff": 0, "pvalue_diff": 0.5, "delta_cfi": 0.0}
    comp |= {"delta_rmsea": 0.0, "holds": True}
    out = _no_constraint(comp, False)
    assert out["holds"] is False and np.isnan(out["pvalue_diff"]) and out["note"].startswith("adds no constraint")
    assert _no_constraint({**comp, "df_diff": 3}, False) == {**comp, "df_diff": 3, "note": ""}


def test_continuous_tables_have_an_empty_note() -> None:
    res = invariance(HS_MODEL, HS, "school")
    assert list(res.table.columns)[-2:] == ["holds", "note"] and (res.table["note"] == "").all()


def test_chisq_difference_warns_on_equal_degrees_of_freedom(ordinal: object) -> None:
    # lavTestLRT(fit_thresholds_loadings, fit_thresholds_loadings_intercepts) warns "some models have the same
    # degrees of freedom" and gives Pr(>Chisq) NA
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = chisq_difference(ordinal.fits[BEFORE], ordinal.fits[LAST], names=[BEFORE, LAST])
    same = [w for w in caught if issubclass(w.category, ModelWarning)]
    assert len(same) == 1 and "the same degrees of freedom" in str(same[0].message) and LAST in str(same[0].message)
    assert same[0].filename == __file__  # points at the caller's line
    assert t.loc[LAST, "df_diff"] == 0 and np.isnan(t.loc[LAST, "pvalue_diff"])
    fit = cfa(HS_MODEL, HS)  # the same (ML) model twice: lavTestLRT(fit, fit) warns alike
    with pytest.warns(ModelWarning, match="the same degrees of freedom") as record:
        chisq_difference(fit, fit)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)  # nested models with different df: no warning
        chisq_difference(ordinal.fits["thresholds"], ordinal.fits[BEFORE])


def test_a_partial_model_with_every_intercept_equality_freed_is_not_partial_scalar() -> None:
    # SYNTHETIC data (seeded): two groups, two factors of three items, loadings equal, the intercepts of y2, y3,
    # y5, y6 shifted in group 1. With min_invariant=1 the partial search frees intercepts until one equal
    # intercept per factor is left: that model has the metric model's df (one equality per factor only
    # identifies the latent mean), so it is the metric model, and the level stays "metric"
    rng = np.random.default_rng(2)
    shift = {0: np.zeros(6), 1: np.array([0.0, 0.8, -0.8, 0.0, 0.9, -0.9])}
    lam = np.array([[1, 0], [0.8, 0], [0.9, 0], [0, 1], [0, 0.7], [0, 0.8]]) * 0.8
    frames = []
    for g in (0, 1):
        f = rng.normal(size=(400, 2)) @ np.linalg.cholesky([[1, 0.3], [0.3, 1]]).T
        x = f @ lam.T + rng.normal(scale=0.8, size=(400, 6)) + shift[g]
        frames.append(pd.DataFrame(x, columns=[f"y{i}" for i in range(1, 7)]).assign(g=g))
    res = invariance("f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6", pd.concat(frames), "g", min_invariant=1)
    row = res.table.loc["partial scalar"]
    assert row["df"] == res.table.loc["metric", "df"] and row["note"] == "adds no constraint (the same model as metric)"
    assert len(res.freed_intercepts) == 4 and res.level == "metric"  # before: "partial scalar" on a 0-df model
