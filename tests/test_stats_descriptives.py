"""Tests of emstudy.stats.descriptives (the mean with its t interval, shared by the steps and IPA)."""

from __future__ import annotations

import numpy as np
import pytest

from emstudy.stats.descriptives import mean_ci


def test_mean_ci_matches_t_test():
    x = np.array([2.0, 3.5, 4.0, 1.5, np.nan, 3.0])
    r = mean_ci(x)
    # t.test(c(2, 3.5, 4, 1.5, 3))$conf.int: 2.8 -/+ qt(0.975, 4) * sd / sqrt(5) = 2.8 -/+ 2.776445 * 0.463681
    # = 1.5126 4.0874 (sd = sqrt(4.3 / 4); qt(0.975, 4) = 2.776445 is the tabled t quantile)
    half = 2.776445105197793 * np.std([2.0, 3.5, 4.0, 1.5, 3.0], ddof=1) / np.sqrt(5)
    assert r.n == 5 and r.mean == pytest.approx(2.8, abs=1e-15)
    assert r.ci_lower == pytest.approx(2.8 - half, abs=1e-12) and r.ci_upper == pytest.approx(2.8 + half, abs=1e-12)
    assert (round(r.ci_lower, 4), round(r.ci_upper, 4)) == (1.5126, 4.0874)  # the interval above
    assert r.se == pytest.approx(r.sd / np.sqrt(5), abs=1e-15)
    one = mean_ci([3.0])
    assert one.n == 1 and one.mean == 3.0 and np.isnan(one.ci_lower) and np.isnan(one.sd)
    assert mean_ci([]).n == 0 and np.isnan(mean_ci([]).mean)
    with pytest.raises(ValueError, match="conf_level"):
        mean_ci(x, conf_level=1.0)
    wider = mean_ci(x, conf_level=0.99)
    assert wider.ci_upper - wider.ci_lower > r.ci_upper - r.ci_lower
