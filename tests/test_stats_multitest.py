"""Tests of emstudy.stats.multitest (Holm's adjustment, defined once)."""

from __future__ import annotations

import numpy as np

from emstudy.stats import multitest


def test_holm_matches_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "holm") = 0.04 0.09 0.09 0.025 0.5
    np.testing.assert_allclose(multitest.holm(p), [0.04, 0.09, 0.09, 0.025, 0.5], atol=1e-15)
