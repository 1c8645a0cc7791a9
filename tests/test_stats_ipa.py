"""Tests of emstudy.stats.ipa (importance-performance analysis)."""

from __future__ import annotations

import numpy as np
import pytest

from emstudy.stats import ipa as ipa_module
from emstudy.stats import regression


def test_importance_performance_quadrants_and_ci(ipa_data):
    df = ipa_data
    frame, concentrate = ipa_module.importance_performance(df, outcome="y", predictors=list(df.columns[:4]))
    assert concentrate == ["high_imp_low_perf"]
    q = frame.set_index("predictor")["quadrant"]
    assert q["high_imp_high_perf"] == "keep up the good work"
    assert q["low_imp_low_perf"] == "low priority"
    assert q["low_imp_high_perf"] == "possible overkill"
    # importance is drivers()' standardized beta on the same listwise sample
    d = regression.drivers(df, outcome="y", predictors=list(df.columns[:4]))
    np.testing.assert_allclose(frame["importance"], d.table["beta_std"].iloc[1:], atol=1e-12)
    # performance CI: mean -/+ qt(.975, n-1) * sd / sqrt(n) on the 399 complete cases
    cc = df.dropna()
    x = cc["high_imp_low_perf"]
    half = 1.965942324 * x.std(ddof=1) / np.sqrt(len(x))  # R: qt(0.975, 398) = 1.965942324
    row = frame.set_index("predictor").loc["high_imp_low_perf"]
    assert row["n"] == 399
    assert row["performance_ci_lower"] == pytest.approx(x.mean() - half, abs=1e-4)
    assert row["performance_ci_upper"] == pytest.approx(x.mean() + half, abs=1e-4)
    with pytest.raises(ValueError, match="conf_level"):
        ipa_module.importance_performance(df, outcome="y", predictors=list(df.columns[:4]), conf_level=95)


def test_importance_pvalue_is_the_drivers_pvalue(ipa_data):
    df = ipa_data
    predictors = list(df.columns[:4])
    frame, _ = ipa_module.importance_performance(df, outcome="y", predictors=predictors)
    d = regression.drivers(df, outcome="y", predictors=predictors)
    np.testing.assert_array_equal(frame["importance_pvalue"], d.table.loc[predictors, "pvalue"])
