"""What makes :func:`emstudy.stats.invariance` of a large instrument fast (issue 14, point 5): the EM
moments and the saturated model's information are computed once per data set and shared by the configural,
metric and scalar fits, and the MLR scaled chi-square takes the saturated model's trace in closed form
group by group. Each shortcut must give the numbers of the long way (to far below the 8 significant digits
written); the numbers themselves are checked against lavaan in ``test_stats_cfa.py`` and
``test_stats_cfa_fiml.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import MissingDataWarning
from emstudy.stats.cfa import cfa, invariance, parse_model
from emstudy.stats.cfa import fiml as fiml_module
from emstudy.stats.cfa import robust as robust_module
from emstudy.stats.cfa._data import _prepare_fiml_blocks
from emstudy.stats.cfa.fiml import _fiml_data, _FIMLEngine, _Saturated, _trace_ab

REF_DIR = Path(__file__).parent / "reference"
HS_MODEL = json.loads((REF_DIR / "fiml.json").read_text())["hs_model"]
HSM = pd.read_csv(REF_DIR / "data" / "hs_missing.csv")


def _clear_caches() -> None:
    fiml_module._DATA_CACHE.clear()
    robust_module._INFO_CACHE.clear()


def test_saturated_trace_in_closed_form_is_the_engines() -> None:
    # tr(A1^-1 B1) of the saturated model of two groups: robust._group_info (closed form, per group) against
    # the FIML engine of the _Saturated model (analytic Hessian and casewise scores of all groups at once)
    fd = _fiml_data(*_prepare_fiml_blocks(parse_model(HS_MODEL), HSM, "school"), 9)
    sat = _Saturated(9, 2)
    engine_way = _trace_ab(_FIMLEngine(sat, fd.pats, fd.logl_h1), sat.pack(list(zip(fd.S, fd.means))))  # type: ignore[arg-type]
    closed_form = robust_module._group_info(fd, 9, 2)[1]
    assert closed_form == pytest.approx(engine_way, rel=1e-11)
    assert closed_form > 2 * sat.k  # not a trivial number: about (1 + excess kurtosis / 2) per parameter


def test_the_em_moments_are_computed_once_per_data_set() -> None:
    _clear_caches()
    mm = parse_model(HS_MODEL)
    first = _fiml_data(*_prepare_fiml_blocks(mm, HSM, "school"), 9)
    assert _fiml_data(*_prepare_fiml_blocks(mm, HSM.copy(), "school"), 9) is first  # equal data, new objects
    other = HSM.copy()
    other.loc[0, "x1"] += 1e-9
    assert _fiml_data(*_prepare_fiml_blocks(mm, other, "school"), 9) is not first  # any change: computed anew
    assert _fiml_data(*_prepare_fiml_blocks(mm, HSM, None), 9).ns != first.ns


def test_the_hessian_is_kept_for_its_point_and_returned_as_a_copy() -> None:
    fd = _fiml_data(*_prepare_fiml_blocks(parse_model(HS_MODEL), HSM, "school"), 9)
    sat = _Saturated(9, 2)
    feng = _FIMLEngine(sat, fd.pats, fd.logl_h1)  # type: ignore[arg-type]
    x = sat.pack(list(zip(fd.S, fd.means)))
    H = feng.hessian(x)
    H[0, 0] = np.nan  # the caller's copy
    np.testing.assert_array_equal(feng.hessian(x), feng._hessian(x))
    y = x + 0.01
    np.testing.assert_array_equal(feng.hessian(y), feng._hessian(y))
    np.testing.assert_array_equal(feng.case_scores(y), feng._case_scores(y, block=1024))


@pytest.mark.parametrize("estimator", ["MLR", "ML"])
def test_invariance_with_shared_data_is_each_fit_on_its_own(estimator: str) -> None:
    # the three levels within one invariance() run share the EM moments and the saturated information; each
    # cfa() here starts from empty caches (the long way)
    res = invariance(HS_MODEL, HSM, "school", estimator=estimator, missing="fiml")
    equal = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}
    for level, eq in equal.items():
        _clear_caches()
        alone = cfa(HS_MODEL, HSM, group="school", estimator=estimator, missing="fiml", equal=eq)
        shared = res.fits[level]
        np.testing.assert_array_equal(shared.params["est"], alone.params["est"])
        np.testing.assert_allclose(shared.params["se"], alone.params["se"], rtol=1e-12)
        for name, value in alone.fit_measures.items():
            assert shared.fit_measures[name] == pytest.approx(value, rel=1e-11, abs=1e-13, nan_ok=True), name


def test_the_levels_in_worker_processes_are_the_same_fits() -> None:
    one = invariance(HS_MODEL, HSM, "school", estimator="MLR", missing="fiml")
    two = invariance(HS_MODEL, HSM, "school", estimator="MLR", missing="fiml", n_jobs=2)
    pd.testing.assert_frame_equal(one.table, two.table)
    for level in ("configural", "metric", "scalar"):
        pd.testing.assert_frame_equal(one.fits[level].params, two.fits[level].params)
        pd.testing.assert_series_equal(one.fits[level].fit_measures, two.fits[level].fit_measures)


def test_a_workers_warnings_are_issued_again() -> None:
    # listwise deletion drops the incomplete rows with a MissingDataWarning in every level's fit
    with pytest.warns(MissingDataWarning, match="listwise"):
        invariance(HS_MODEL, HSM, "school", n_jobs=2)


def test_n_jobs_is_checked() -> None:
    with pytest.raises(ValueError, match="n_jobs: expected a positive integer"):
        invariance(HS_MODEL, HSM, "school", n_jobs=0)
