"""Tests of emstudy.stats.validity (HTMT, composite reliability, AVE) against R semTools 0.5-6 / lavaan 0.6-14.

Expected values come from tests/reference/reliability.R -> tests/reference/reliability.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats import validity as va

REF_DIR = Path(__file__).resolve().parent / "reference"
REF = json.loads((REF_DIR / "reliability.json").read_text())
SCALES = {s: d["items"] for s, d in REF["scales"].items()}
ALL25 = REF["omega_all25"]["items"]

EXACT = 1e-6  # tolerance the issue sets for alpha, CI, r.drop, KMO, Bartlett, HTMT, CR, AVE
OMEGA = 1e-4  # tolerance the issue sets for omega


# ------------------------------------------------------------------------------------------ alpha


@pytest.mark.parametrize("mean", ["arithmetic", "geometric"])
def test_htmt_matches_semtools(bfi_keyed: pd.DataFrame, mean: str) -> None:
    # arithmetic: semTools::htmt(model, data=keyed, htmt2=FALSE); geometric: semTools::htmt(model, data=keyed)
    res = va.htmt(bfi_keyed, SCALES, mean=mean)
    assert list(res.index) == REF["htmt"]["constructs"]
    np.testing.assert_allclose(res.to_numpy(), np.array(REF["htmt"][mean]), atol=EXACT)


def test_htmt_accepts_object_with_scales_method(bfi_keyed: pd.DataFrame) -> None:
    class Book:
        def scales(self) -> dict[str, list[str]]:
            return SCALES

    pd.testing.assert_frame_equal(va.htmt(bfi_keyed, Book()), va.htmt(bfi_keyed, SCALES))


@pytest.mark.parametrize("factor", ["visual", "textual", "speed"])
def test_cr_and_ave_from_standardized_loadings_match_semtools(factor: str) -> None:
    cfa = REF["cfa"]
    lam = cfa["factors"][factor]["std_loadings"]  # lavaan standardizedSolution(fit)$est.std
    # semTools::compRelSEM(fit_r, obs.var=FALSE), fit_r = cfa(model, sample.cov=cor(HS[, x1..x9]))
    assert va.composite_reliability(lam) == pytest.approx(cfa["cr_std"][factor], abs=EXACT)
    # semTools::AVE(fit_r, obs.var=FALSE)
    assert va.average_variance_extracted(lam) == pytest.approx(cfa["ave_std"][factor], abs=EXACT)


@pytest.mark.parametrize("factor", ["visual", "textual", "speed"])
def test_cr_and_ave_semtools_defaults(factor: str) -> None:
    cfa = REF["cfa"]
    f = cfa["factors"][factor]
    cr = va.composite_reliability(
        f["loadings"],
        residual_variances=f["residual_variances"],
        factor_variance=f["factor_variance"],
        observed_total_variance=f["observed_total_variance"],
    )
    assert cr == pytest.approx(cfa["cr_default"][factor], abs=EXACT)  # semTools::compRelSEM(fit)
    ave = va.average_variance_extracted(
        f["loadings"], factor_variance=f["factor_variance"], observed_variances=f["observed_variances"]
    )
    assert ave == pytest.approx(cfa["ave_default"][factor], abs=EXACT)  # semTools::AVE(fit)


def test_cr_rejects_bad_standardized_loadings() -> None:
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        va.composite_reliability([0.5, 1.2, 0.7])
