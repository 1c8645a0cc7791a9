"""Tests of emstudy.stats.correlation.polychoric against R psych 2.2.9 (psych::polychoric).

Expected values come from tests/reference/ordinal_reliability.R -> tests/reference/ordinal_reliability.json.
psych's polychoric stops its ``optimize()`` at R's default tolerance, so its correlations lie within about
3e-5 of the maximum of its own likelihood; the script also maximises that same likelihood (``psych:::polyF``,
psych's global thresholds, pairwise-complete tables) to 1e-10 (``refined(x)``), and the estimator here is
checked against that to 1e-7. More polychoric tests (unequal categories, EFA on polychorics) are in
tests/test_stats_efa.py.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import DataWarning
from emstudy.stats import correlation
from emstudy.stats.correlation import polychoric

REF = json.loads((Path(__file__).resolve().parent / "reference" / "ordinal_reliability.json").read_text())
BFI = REF["bfi"]
ROOT = Path(__file__).resolve().parents[1]

PSYCH = 5e-5  # psych's own stopping tolerance (see the module docstring); the 1e-5 holds for refined
REFINED = 1e-7  # the same likelihood maximised to 1e-10 in R


@pytest.mark.parametrize("scale", list(BFI["scales"]))
@pytest.mark.parametrize("policy", ["listwise", "pairwise"])
def test_polychoric_matches_psych(bfi_keyed: pd.DataFrame, scale: str, policy: str) -> None:
    ref = BFI["scales"][scale][policy]
    x = bfi_keyed[BFI["scales"][scale]["items"]]
    rho = polychoric(x.dropna() if policy == "listwise" else x).to_numpy()
    # R: psych::polychoric(na.omit(x))$rho (listwise) or psych::polychoric(x)$rho (pairwise, with missing values)
    np.testing.assert_allclose(rho, ref["rho"], atol=PSYCH, rtol=0)
    # R: refined(x), psych:::polyF maximised with optimize(tol = 1e-10)
    np.testing.assert_allclose(rho, ref["rho_refined"], atol=REFINED, rtol=0)


def test_polychoric_ten_items_with_missing_values_matches_refined(bfi_keyed: pd.DataFrame) -> None:
    ref = BFI["ten"]["pairwise"]
    rho = polychoric(bfi_keyed[BFI["ten"]["items"]]).to_numpy()
    np.testing.assert_allclose(rho, ref["rho"], atol=PSYCH, rtol=0)  # R: psych::polychoric(x)$rho
    np.testing.assert_allclose(rho, ref["rho_refined"], atol=REFINED, rtol=0)  # R: refined(x)


def test_polychoric_of_the_48_synthetic_items_matches_psych() -> None:
    syn = REF["synthetic"]
    items = pd.read_csv(ROOT / "analysis" / syn["case"] / "results" / "encoded.csv")[syn["items_all"]]
    rho = polychoric(items).to_numpy()
    # R: psych::polychoric(d[, all_items])$rho (48 five-point items, pairwise with missing answers)
    np.testing.assert_allclose(rho, syn["rho_all"], atol=PSYCH, rtol=0)


def test_the_estimate_is_the_maximum_to_rounding_level(bfi_keyed: pd.DataFrame) -> None:
    x = bfi_keyed[BFI["ten"]["items"]]
    rho = polychoric(x, smooth=False).to_numpy()
    codes, ncat = correlation._ordinal_codes(correlation._numeric_frame(x))
    tau = np.array([correlation._thresholds(codes[codes[:, j] >= 0, j], ncat) for j in range(codes.shape[1])])
    tabs = correlation._pair_tables(codes, ncat)
    ii, jj = np.tril_indices(codes.shape[1], -1)
    prop = tabs[ii, jj] / tabs[ii, jj].sum(axis=(1, 2))[:, None, None]
    _, score, hess, _ = correlation._pair_loglik(rho[ii, jj], tau[ii], tau[jj], prop)
    assert np.all(hess < 0)
    # a Newton step from the estimate is below 1e-12: the 8 written digits cannot depend on the path
    assert np.max(np.abs(score / hess)) < 1e-12


def test_start_value_and_item_order_do_not_change_the_estimate(bfi_keyed: pd.DataFrame) -> None:
    x = bfi_keyed[BFI["scales"]["A"]["items"]].dropna()
    rho = polychoric(x)
    shuffled = polychoric(x[x.columns[::-1]])
    np.testing.assert_allclose(shuffled.loc[rho.index, rho.columns].to_numpy(), rho.to_numpy(), atol=1e-12, rtol=0)
    codes, ncat = correlation._ordinal_codes(correlation._numeric_frame(x))
    tau = np.array([correlation._thresholds(codes[:, j], ncat) for j in range(codes.shape[1])])
    tabs = correlation._pair_tables(codes, ncat)
    prop = tabs[1, 0][None] / tabs[1, 0].sum()
    from_zero = correlation._fit_pairs(np.zeros(1), tau[[1]], tau[[0]], prop)
    from_far = correlation._fit_pairs(np.full(1, -0.9), tau[[1]], tau[[0]], prop)
    assert from_zero[0] == pytest.approx(rho.iloc[1, 0], abs=1e-12)
    assert from_far[0] == pytest.approx(rho.iloc[1, 0], abs=1e-12)


def test_pair_tables_count_pairwise_complete_rows() -> None:
    x = pd.DataFrame({"a": [1, 2, 2, 3, np.nan, 1], "b": [1, 1, 2, 3, 2, np.nan], "c": [3, 3, 2, 1, 1, 2]})
    codes, ncat = correlation._ordinal_codes(correlation._numeric_frame(x))
    tabs = correlation._pair_tables(codes, ncat)
    expected = pd.crosstab(x["a"], x["b"]).to_numpy()  # crosstab drops rows with a missing value
    np.testing.assert_array_equal(tabs[0, 1], expected)
    assert tabs[0, 2].sum() == 5 and tabs[1, 2].sum() == 5 and tabs[0, 0].trace() == 5


def test_polychoric_recovers_a_strong_latent_correlation() -> None:
    rng = np.random.default_rng(3)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.9, 0.8], [0.9, 1, 0.7], [0.8, 0.7, 1]], size=3000)
    x = pd.DataFrame(np.digitize(z, [-1.0, -0.2, 0.6, 1.5]) + 1, columns=list("abc"))
    rho = polychoric(x)
    assert rho.loc["a", "b"] == pytest.approx(0.9, abs=0.02)
    assert rho.loc["a", "c"] == pytest.approx(0.8, abs=0.02)
    assert rho.loc["b", "c"] == pytest.approx(0.7, abs=0.03)


def test_a_degenerate_table_gives_a_bounded_correlation_without_error() -> None:
    # two categories each and no answers off the diagonal: the likelihood rises towards rho = 1
    x = pd.DataFrame({"a": [1, 1, 1, 2, 2, 2, 1, 2], "b": [1, 1, 1, 2, 2, 2, 1, 2]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # not positive definite, smoothed
        r = polychoric(x, smooth=False).loc["a", "b"]
    assert 0.999 <= r <= 0.9999


def test_an_item_with_one_observed_category_is_named() -> None:
    x = pd.DataFrame({"a": [1, 2, 3, 2, 1], "b": [2, 2, 2, 2, 2], "c": [1, 3, 3, 2, 1]})
    with pytest.raises(ValueError, match="b.*no variance"):
        polychoric(x)


# ------------------------------------------------------------------ the category limit: 10, for every polychoric
CATS = json.loads((ROOT / "tests" / "reference" / "polychoric_categories.json").read_text())
TEN = pd.read_csv(ROOT / "tests" / "reference" / "data" / "polychoric_10cat.csv")  # SYNTHETIC (seeded in the script)


def test_ten_categories_match_psych_with_max_cat_10() -> None:
    # psych stops at 8 categories by default (psych::polychoric(x): "You have more than8 categories ..."); with
    # max.cat = 10 it estimates them, as emstudy does up to its limit of 10 (the CFA's, Mplus's)
    assert CATS["default_max_cat"].startswith("You have more than8 categories")
    assert CATS["ncat"] == [10, 10, 10, 10]
    rho = polychoric(TEN).to_numpy()
    np.testing.assert_allclose(rho, CATS["rho_psych"], atol=PSYCH, rtol=0)  # psych::polychoric(x, max.cat = 10)$rho
    np.testing.assert_allclose(rho, CATS["rho_refined"], atol=REFINED, rtol=0)  # refined(x) in the script
    from emstudy.stats import cronbach_alpha, omega

    # psych::alpha(refined(x), check.keys = FALSE)$total$raw_alpha: ordinal alpha takes 10 categories too
    assert cronbach_alpha(TEN, cor="polychoric").alpha == pytest.approx(CATS["raw_alpha"], abs=1e-6)
    assert np.isfinite(omega(TEN, n_factors=1, cor="polychoric").omega_total)


def test_more_than_ten_categories_are_refused_everywhere() -> None:
    eleven = TEN.assign(a1=np.where(TEN["a1"] == 10, 11, TEN["a1"]) + (TEN.index == 0))  # codes 1..11 (or 12)
    msg = r"data: 1[12] categories \(codes 1 to 1[12]\); polychoric expects at most 10 \(recode the answers"
    with pytest.raises(ValueError, match="^" + msg):
        polychoric(eleven)
    from emstudy.stats import cronbach_alpha, omega

    with pytest.raises(ValueError, match=r"^items \(polychoric, missing='listwise'\): 1[12] categories"):
        cronbach_alpha(eleven, cor="polychoric")
    with pytest.raises(ValueError, match="polychoric expects at most 10"):
        omega(eleven, n_factors=1, cor="polychoric")


def test_ordered_categorical_columns_are_their_categories_positions() -> None:
    # an ordered pandas Categorical: codes 1..K by position among its categories (a category nobody chose
    # still counts in the positions, as psych counts the codes from the lowest to the highest)
    labels = [f"level {k}" for k in range(1, 11)]
    cat = TEN.assign(a2=pd.Categorical.from_codes(TEN["a2"] - 1, categories=labels, ordered=True))
    pd.testing.assert_frame_equal(polychoric(cat), polychoric(TEN))
    with pytest.raises(ValueError, match="columns must be numeric"):
        polychoric(TEN.assign(a2=TEN["a2"].astype("category")))
