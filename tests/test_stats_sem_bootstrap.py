"""The bootstrap's fast refit (``emstudy.stats._refit._WarmRefit``): a replicate only estimates, from the full
data's estimates, and gives the estimates that :func:`sem` gives from its own start values (to far below the 8
significant digits written), for any number of workers.

No lavaan call here: the oracle is :func:`sem` itself (checked against lavaan in ``test_stats_sem.py`` and
``test_stats_bootstrap.py``), refitted cold to the same resamples.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats._refit import _replicate_estimates, _WarmRefit
from emstudy.stats.bootstrap import bootstrap
from emstudy.stats.sem import sem

DATA = Path(__file__).parent / "reference" / "data"
PD = pd.read_csv(DATA / "PoliticalDemocracy.csv")
PDM = pd.read_csv(DATA / "pd_missing.csv")
HS = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
HSM = pd.read_csv(DATA / "hs_missing.csv")

# lavaan's tutorial PoliticalDemocracy model with a defined indirect effect (a path model with := rows)
PD_MODEL = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
ind := a*b
total := c + a*b
"""
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"

CASES = {
    "fiml": (PD_MODEL, PDM, {"missing": "fiml"}, None),
    "listwise": (PD_MODEL, PD, {}, None),
    "groups_fiml_equal": (HS_MODEL, HSM, {"missing": "fiml", "group": "school", "equal": ("loadings",)}, "school"),
    "groups_mlr": (HS_MODEL, HS, {"estimator": "MLR", "group": "school"}, "school"),
}


def _digits(a: np.ndarray) -> np.ndarray:
    """The values as the results files write them (8 significant digits)."""
    return np.array([f"{v:.8g}" for v in np.ravel(a)])


@pytest.mark.parametrize("key", list(CASES))
def test_warm_replicates_are_the_cold_ones(key: str) -> None:
    model, data, opts, group = CASES[key]
    warm = bootstrap(_WarmRefit(model, opts), data, group=group, n_boot=6, seed=11)
    cold = bootstrap(functools.partial(sem, model, **opts), data, group=group, n_boot=6, seed=11)
    assert warm.n_failed == cold.n_failed == 0
    np.testing.assert_allclose(warm.estimates, cold.estimates, rtol=1e-9, atol=1e-11)
    for col in ("est", "se", "ci_lower", "ci_upper"):
        assert (_digits(warm.params[col]) == _digits(cold.params[col])).all(), col
    # the full-data fit is sem()'s own, with its standard errors and fit measures
    pd.testing.assert_frame_equal(warm.fit.params, sem(model, data, **opts).params)


def test_the_first_call_is_the_full_fit_and_sets_the_start() -> None:
    refit = _WarmRefit(PD_MODEL, {"missing": "fiml"})
    full = refit(PDM)
    assert refit.start is not None and len(refit.start) == int(full.params["free"].sum())
    again = refit(PDM)  # now a replicate's fit: the estimates only, the same ones
    assert again.converged and not hasattr(again, "fit")
    np.testing.assert_allclose(again.params["est"], full.params["est"], rtol=1e-10, atol=1e-12)


def test_a_start_newton_cannot_finish_falls_back_to_the_optimizer() -> None:
    # no start values at all (lavaan's defaults): Newton from there stalls, the optimizer takes over
    cold = sem(PD_MODEL, PDM, missing="fiml")
    res = _replicate_estimates(PD_MODEL, PDM, {"missing": "fiml"}, {})
    assert res.converged
    np.testing.assert_allclose(res.params["est"], cold.params["est"], rtol=1e-9, atol=1e-11)


def test_same_for_any_number_of_workers() -> None:
    one = bootstrap(_WarmRefit(PD_MODEL, {"missing": "fiml"}), PDM, n_boot=8, seed=4, n_jobs=1)
    two = bootstrap(_WarmRefit(PD_MODEL, {"missing": "fiml"}), PDM, n_boot=8, seed=4, n_jobs=2)
    np.testing.assert_array_equal(one.estimates, two.estimates)
    pd.testing.assert_frame_equal(one.params, two.params)
