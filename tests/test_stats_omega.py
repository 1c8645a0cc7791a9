"""Tests of emstudy.stats.omega against R psych 2.2.9 (psych::omega).

Expected values come from tests/reference/reliability.R -> tests/reference/reliability.json.
bfi_keyed (conftest.py): psychTools::bfi with A1, C4, C5, E1, E2, O2, O5 reversed as 7 - x; ``x`` below is the
listwise-complete subset of a scale's items (``keyed[complete.cases(keyed[, items]), items]``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from emstudy.errors import ModelWarning
from emstudy.stats import factoring
from emstudy.stats.omega import omega

REF_DIR = Path(__file__).resolve().parent / "reference"
REF = json.loads((REF_DIR / "reliability.json").read_text())
SCALES = {s: d["items"] for s, d in REF["scales"].items()}
ALL25 = REF["omega_all25"]["items"]
ONE = json.loads((REF_DIR / "omega_one_factor.json").read_text())["scales"]

EXACT = 1e-6  # tolerance the issue sets for alpha, CI, r.drop, KMO, Bartlett, HTMT, CR, AVE
OMEGA = 1e-4  # tolerance the issue sets for omega


@pytest.mark.parametrize("scale", list(SCALES))
def test_single_factor_omega_total_matches_psych(bfi_keyed: pd.DataFrame, scale: str) -> None:
    ref = REF["scales"][scale]
    res = omega(bfi_keyed[SCALES[scale]], n_factors=1)
    assert res.omega_total_single == pytest.approx(
        ref["omega_total_1f"], abs=OMEGA
    )  # psych::omega(x, nfactors=1)$omega.tot
    assert res.omega_total == pytest.approx(ref["omega_total_1f"], abs=OMEGA)
    # psych's convention for one factor (omega_one_factor.R): psych::omega(x, nfactors = 1)$omega_h, which psych
    # reports as "not meaningful, just omega_t"; NaN before issue 15
    assert res.omega_h == pytest.approx(ONE[scale]["omega_h"], abs=EXACT)


def test_omega_three_factors_matches_psych(bfi_keyed: pd.DataFrame) -> None:
    ref = REF["omega_ace"]  # A, C and E items (15), listwise
    res = omega(bfi_keyed[ref["items"]])  # n_factors = 3, psych's default
    assert res.n == ref["n"]
    assert res.omega_h == pytest.approx(ref["omega_h"], abs=OMEGA)  # psych::omega(x, nfactors=3)$omega_h
    assert res.omega_total == pytest.approx(ref["omega_total"], abs=OMEGA)  # psych::omega(x, nfactors=3)$omega.tot
    # psych::omega(x, nfactors=3)$schmid$sl[, "g"]
    np.testing.assert_allclose(res.g_loadings, ref["g_loadings"], atol=OMEGA)


def test_omega_five_factors_on_all_items_matches_psych(bfi_keyed: pd.DataFrame) -> None:
    ref = REF["omega_all25"]
    res = omega(bfi_keyed[ref["items"]], n_factors=5)
    assert res.omega_h == pytest.approx(ref["omega_h"], abs=OMEGA)  # psych::omega(x25, nfactors=5)$omega_h
    assert res.omega_total == pytest.approx(ref["omega_total"], abs=OMEGA)  # psych::omega(x25, nfactors=5)$omega.tot


def test_omega_warns_when_not_identified(bfi_keyed: pd.DataFrame) -> None:
    # 3 factors for 5 items: negative degrees of freedom; psych's omega_h is then optimizer-dependent
    with pytest.warns(ModelWarning, match="not identified"):
        omega(bfi_keyed[SCALES["A"]])


# ------------------------------------------------------------------------------------- split half


def test_omega_runs_with_one_blas_thread(bfi_keyed: pd.DataFrame, monkeypatch) -> None:
    # speed only: the factor extractions are loops of small matrices (emstudy.stats._common.single_thread_blas)
    seen: list[set[int]] = []
    real = factoring.minres_exact

    def minres_exact(*args, **kwargs):
        seen.append({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})
        return real(*args, **kwargs)

    monkeypatch.setattr(factoring, "minres_exact", minres_exact)
    with threadpool_limits(limits=2, user_api="blas"):
        omega(bfi_keyed.iloc[:, :10], n_factors=3)
    assert seen and all(s == {1} for s in seen)


# ------------------------------------------------------------------------------------------ ordinal omega
# tests/reference/ordinal_reliability.R: psych::omega(x, poly = TRUE) factors psych::polychoric(x)$rho (its
# source: ``pol <- polychoric(m); m <- pol$rho``); refined(x) is psych's polychoric likelihood maximised to 1e-10.
ORD = json.loads((REF_DIR / "ordinal_reliability.json").read_text())["bfi"]


@pytest.mark.parametrize("scale", list(SCALES))
@pytest.mark.parametrize("policy", ["listwise", "pairwise"])
def test_ordinal_omega_total_single_matches_psych(bfi_keyed: pd.DataFrame, scale: str, policy: str) -> None:
    ref = ORD["scales"][scale][policy]
    res = omega(bfi_keyed[SCALES[scale]], n_factors=1, cor="polychoric", missing=policy)
    assert res.cor == "polychoric"
    # R: psych::omega(x, nfactors = 1, poly = TRUE)$omega.tot (x = na.omit(items) or items)
    assert res.omega_total_single == pytest.approx(ref["omega_total_single"], abs=2e-5)
    assert res.omega_total == pytest.approx(res.omega_total_single, abs=1e-8)
    # R: psych::omega(refined(x), nfactors = 1)$omega.tot
    assert res.omega_total_single == pytest.approx(ref["omega_total_single_refined"], abs=1e-6)


def test_ordinal_omega_three_factors_on_ten_items_matches_psych(bfi_keyed: pd.DataFrame) -> None:
    ref = ORD["ten"]["pairwise"]
    res = omega(bfi_keyed[ORD["ten"]["items"]], cor="polychoric", missing="pairwise")
    assert res.omega_h == pytest.approx(ref["omega_h"], abs=OMEGA)  # R: psych::omega(x, poly = TRUE)$omega_h
    assert res.omega_total == pytest.approx(ref["omega_total"], abs=OMEGA)  # R: ...$omega.tot
    assert res.n_factors == 3 and res.n_items == 10


def test_ordinal_omega_refuses_an_unknown_correlation(bfi_keyed: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="cor must be"):
        omega(bfi_keyed[SCALES["A"]], cor="kendall")


@pytest.mark.parametrize("scale", ["A", "N"])
def test_one_factor_omega_h_is_psychs_also_for_polychoric(bfi_keyed: pd.DataFrame, scale: str) -> None:
    # tests/reference/omega_one_factor.R: psych::omega(x, nfactors = 1, poly = TRUE)$omega_h and $omega.tot, x the
    # listwise-complete items; psych's polychoric stops about 4e-6 short in these omegas
    ref = ONE[scale]
    res = omega(bfi_keyed[ref["items"]].dropna(), n_factors=1, cor="polychoric")
    assert res.omega_h == pytest.approx(ref["poly_omega_h"], abs=1e-5)
    assert res.omega_total == pytest.approx(ref["poly_omega_total"], abs=1e-5)
    assert res.omega_h != res.omega_total  # psych's two one-factor numbers differ by the model's misfit


def test_summary_and_to_frame_say_which_omega(bfi_keyed: pd.DataFrame) -> None:
    ref = REF["omega_ace"]
    res = omega(bfi_keyed[ref["items"]])
    text = res.summary()
    assert text.startswith("McDonald's omega (Schmid-Leiman with 3 group factors): 15 items, n = ")
    assert f"omega_h = {res.omega_h:.3f} (general factor), omega_total = {res.omega_total:.3f}" in text
    assert f"one-factor solution = {res.omega_total_single:.3f}" in text and "listwise deletion" in text
    frame = res.to_frame()
    assert frame.shape == (1, 8) and frame.loc[0, "omega_h"] == res.omega_h and "g_loadings" not in frame
    one = omega(bfi_keyed[SCALES["A"]], n_factors=1, cor="polychoric", missing="pairwise").summary()
    assert one.startswith("Ordinal omega (one factor)") and "not a hierarchical omega" in one
    assert "polychoric correlations" in one and "pairwise deletion" in one and "nan" not in one
