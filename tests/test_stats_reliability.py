"""Tests of emstudy.stats.reliability against R psych 2.2.9.

Expected values come from tests/reference/reliability.R -> tests/reference/reliability.json.
bfi_keyed (conftest.py): psychTools::bfi with A1, C4, C5, E1, E2, O2, O5 reversed as 7 - x; ``x`` below is the
listwise-complete subset of a scale's items (``keyed[complete.cases(keyed[, items]), items]``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import DataWarning
from emstudy.stats import reliability as rl

REF_DIR = Path(__file__).resolve().parent / "reference"
REF = json.loads((REF_DIR / "reliability.json").read_text())
SCALES = {s: d["items"] for s, d in REF["scales"].items()}
ALL25 = REF["omega_all25"]["items"]

EXACT = 1e-6  # tolerance the issue sets for alpha, CI, r.drop, KMO, Bartlett, HTMT, CR, AVE
OMEGA = 1e-4  # tolerance the issue sets for omega


# ------------------------------------------------------------------------------------------ alpha


@pytest.mark.parametrize("scale", list(SCALES))
def test_alpha_listwise_matches_psych(bfi_keyed: pd.DataFrame, scale: str) -> None:
    ref = REF["scales"][scale]
    res = rl.cronbach_alpha(bfi_keyed[SCALES[scale]])
    assert res.missing == "listwise"
    assert res.n == ref["n"]  # nrow(x)
    assert res.n_items == 5
    assert res.alpha == pytest.approx(ref["raw_alpha"], abs=EXACT)  # psych::alpha(x, check.keys=FALSE)$total$raw_alpha
    assert res.std_alpha == pytest.approx(
        ref["std_alpha"], abs=EXACT
    )  # psych::alpha(x, check.keys=FALSE)$total$std.alpha
    assert res.average_r == pytest.approx(
        ref["average_r"], abs=EXACT
    )  # psych::alpha(x, check.keys=FALSE)$total$average_r
    assert res.ci_lower == pytest.approx(
        ref["feldt_lower"], abs=EXACT
    )  # psych::alpha(x, check.keys=FALSE)$feldt$lower.ci
    assert res.ci_upper == pytest.approx(
        ref["feldt_upper"], abs=EXACT
    )  # psych::alpha(x, check.keys=FALSE)$feldt$upper.ci


@pytest.mark.parametrize("scale", list(SCALES))
def test_item_statistics_match_psych(bfi_keyed: pd.DataFrame, scale: str) -> None:
    ref = REF["scales"][scale]
    items = rl.item_statistics(bfi_keyed[SCALES[scale]])
    assert list(items.index) == SCALES[scale]
    assert items.attrs["missing"] == "listwise"
    np.testing.assert_array_equal(items["n"], ref["item_n"])  # psych::alpha(x)$item.stats$n
    np.testing.assert_allclose(items["mean"], ref["item_mean"], atol=EXACT)  # psych::alpha(x)$item.stats$mean
    np.testing.assert_allclose(items["sd"], ref["item_sd"], atol=EXACT)  # psych::alpha(x)$item.stats$sd
    np.testing.assert_allclose(items["r_drop"], ref["r_drop"], atol=EXACT)  # psych::alpha(x)$item.stats$r.drop
    # psych::alpha(x)$alpha.drop$raw_alpha and $std.alpha
    np.testing.assert_allclose(items["alpha_if_deleted"], ref["alpha_if_deleted_raw"], atol=EXACT)
    np.testing.assert_allclose(items["std_alpha_if_deleted"], ref["alpha_if_deleted_std"], atol=EXACT)


@pytest.mark.parametrize("scale", list(SCALES))
def test_alpha_pairwise_matches_psych_default(bfi_keyed: pd.DataFrame, scale: str) -> None:
    # psych::alpha's default use = "pairwise" on all 2800 rows (with their missing answers)
    ref = REF["scales"][scale]
    x = bfi_keyed[SCALES[scale]]
    res = rl.cronbach_alpha(x, missing="pairwise")
    assert res.missing == "pairwise"
    assert res.alpha == pytest.approx(
        ref["pairwise_raw_alpha"], abs=EXACT
    )  # psych::alpha(keyed[, items])$total$raw_alpha
    assert res.std_alpha == pytest.approx(ref["pairwise_std_alpha"], abs=EXACT)  # ...$total$std.alpha
    items = rl.item_statistics(x, missing="pairwise")
    np.testing.assert_allclose(items["r_drop"], ref["pairwise_r_drop"], atol=EXACT)  # ...$item.stats$r.drop
    # psych::alpha(keyed[, items])$alpha.drop$raw_alpha
    np.testing.assert_allclose(items["alpha_if_deleted"], ref["pairwise_alpha_if_deleted_raw"], atol=EXACT)
    assert res.alpha != pytest.approx(ref["raw_alpha"], abs=1e-5)  # the policy does change the answer


def test_alpha_bootstrap_ci_is_seeded_and_brackets_alpha(bfi_keyed: pd.DataFrame) -> None:
    x = bfi_keyed[SCALES["C"]]
    a = rl.cronbach_alpha(x, method="bootstrap", n_boot=200, seed=11)
    b = rl.cronbach_alpha(x, method="bootstrap", n_boot=200, seed=11)
    assert (a.ci_lower, a.ci_upper) == (b.ci_lower, b.ci_upper)
    assert a.ci_lower < a.alpha < a.ci_upper
    feldt = rl.cronbach_alpha(x)
    assert a.ci_lower == pytest.approx(feldt.ci_lower, abs=0.02)
    assert a.ci_method == "bootstrap"


def test_alpha_if_deleted_equals_alpha_of_the_remaining_items(bfi_keyed: pd.DataFrame) -> None:
    x = bfi_keyed[SCALES["N"]].dropna()
    items = rl.item_statistics(x)
    for name in x.columns:
        rest = rl.cronbach_alpha(x.drop(columns=name))
        assert items.loc[name, "alpha_if_deleted"] == pytest.approx(rest.alpha, abs=1e-12)
        assert items.loc[name, "std_alpha_if_deleted"] == pytest.approx(rest.std_alpha, abs=1e-12)


# ------------------------------------------------------------------------------------------ omega


@pytest.mark.parametrize("key", ["split_ac", "split_a4"])
def test_split_half_even_items_matches_psych(bfi_keyed: pd.DataFrame, key: str) -> None:
    ref = REF[key]
    res = rl.split_half(bfi_keyed[ref["items"]])
    assert res.exhaustive
    assert res.n == ref["n"]
    assert res.lambda4 == pytest.approx(ref["max"], abs=EXACT)  # psych::splitHalf(x, check.keys=FALSE)$maxrb
    assert res.min_split == pytest.approx(ref["min"], abs=EXACT)  # psych::splitHalf(x, check.keys=FALSE)$minrb
    assert res.mean_split == pytest.approx(ref["mean"], abs=EXACT)  # psych::splitHalf(x, check.keys=FALSE)$meanr
    assert res.lambda2 == pytest.approx(ref["lambda2"], abs=EXACT)  # psych::splitHalf(x, check.keys=FALSE)$lambda2
    assert res.lambda6 == pytest.approx(ref["lambda6"], abs=EXACT)  # psych::splitHalf(x, check.keys=FALSE)$lambda6
    assert res.lambda3 == pytest.approx(ref["alpha"], abs=EXACT)  # psych::splitHalf(x, check.keys=FALSE)$alpha


@pytest.mark.parametrize("scale", list(SCALES))
def test_split_half_lambdas_match_psych_on_odd_scales(bfi_keyed: pd.DataFrame, scale: str) -> None:
    # With 5 items psych enumerates only half of the 10 distinct splits, so max/mean/min are not
    # compared; the lambdas that do not depend on the splits are.
    ref = REF["scales"][scale]
    res = rl.split_half(bfi_keyed[SCALES[scale]])
    assert res.n_splits == 10
    assert res.lambda2 == pytest.approx(
        ref["split_lambda2"], abs=EXACT
    )  # psych::splitHalf(x, check.keys=FALSE)$lambda2
    assert res.lambda6 == pytest.approx(
        ref["split_lambda6"], abs=EXACT
    )  # psych::splitHalf(x, check.keys=FALSE)$lambda6
    assert res.lambda3 == pytest.approx(ref["split_alpha"], abs=EXACT)  # psych::splitHalf(x, check.keys=FALSE)$alpha
    assert res.lambda3 == pytest.approx(ref["std_alpha"], abs=EXACT)  # psych::alpha(x)$total$std.alpha
    # every split psych saw is among ours
    assert res.lambda4 >= ref["split_max"] - EXACT
    assert res.min_split <= ref["split_min"] + EXACT


# ---------------------------------------------------------------------------------------- table


def test_reliability_table_agrees_with_the_single_functions(bfi_keyed: pd.DataFrame) -> None:
    table = rl.reliability_table(bfi_keyed, SCALES)
    assert list(table.columns) == [
        "n",
        "n_items",
        "alpha",
        "alpha_ci_lower",
        "alpha_ci_upper",
        "omega_total",
        "mean_inter_item_r",
        "kmo",
        "weakest_item",
        "weakest_r_drop",
    ]
    assert table.attrs["missing"] == "listwise"
    for scale, ref in REF["scales"].items():
        row = table.loc[scale]
        assert row["n"] == ref["n"]
        assert row["alpha"] == pytest.approx(ref["raw_alpha"], abs=EXACT)  # psych::alpha(x)$total$raw_alpha
        assert row["alpha_ci_lower"] == pytest.approx(ref["feldt_lower"], abs=EXACT)  # psych::alpha(x)$feldt$lower.ci
        assert row["alpha_ci_upper"] == pytest.approx(ref["feldt_upper"], abs=EXACT)  # psych::alpha(x)$feldt$upper.ci
        assert row["omega_total"] == pytest.approx(
            ref["omega_total_1f"], abs=OMEGA
        )  # psych::omega(x, nfactors=1)$omega.tot
        assert row["mean_inter_item_r"] == pytest.approx(ref["average_r"], abs=EXACT)  # psych::alpha(x)$total$average_r
        assert row["kmo"] == pytest.approx(ref["kmo"], abs=EXACT)  # psych::KMO(x)$MSA
        weakest = int(np.argmin(ref["r_drop"]))
        assert row["weakest_item"] == ref["items"][weakest]
        assert row["weakest_r_drop"] == pytest.approx(
            ref["r_drop"][weakest], abs=EXACT
        )  # psych::alpha(x)$item.stats$r.drop


def test_reliability_table_same_with_or_without_missing_rows(bfi_keyed: pd.DataFrame) -> None:
    complete = bfi_keyed[ALL25].dropna()
    a = rl.reliability_table(complete, SCALES)  # one shared covariance matrix
    b = rl.reliability_table(complete.assign(extra=np.nan), SCALES)  # unused column with NaN
    pd.testing.assert_frame_equal(a, b)


def test_reliability_table_accepts_codebook_like_object(bfi_keyed: pd.DataFrame) -> None:
    class Book:
        def scales(self) -> dict[str, list[str]]:
            return {"A": SCALES["A"]}

    table = rl.reliability_table(bfi_keyed, Book())
    assert list(table.index) == ["A"]


def test_reliability_table_pairwise_policy(bfi_keyed: pd.DataFrame) -> None:
    table = rl.reliability_table(bfi_keyed, SCALES, missing="pairwise")
    assert table.attrs["missing"] == "pairwise"
    for scale, ref in REF["scales"].items():
        assert table.loc[scale, "alpha"] == pytest.approx(
            ref["pairwise_raw_alpha"], abs=EXACT
        )  # psych::alpha(keyed[, items])
        # psych::KMO(keyed[, items])$MSA (raw data with missing values: cor(use = "pairwise"))
        assert table.loc[scale, "kmo"] == pytest.approx(ref["kmo_pairwise"], abs=1e-12)


# ------------------------------------------------------------------------------------ bad input


def _frame(n: int = 20, k: int = 3, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.integers(1, 6, size=(n, 1))
    x = np.clip(base + rng.integers(-1, 2, size=(n, k)), 1, 5)
    return pd.DataFrame(x.astype(float), columns=[f"q{i + 1}" for i in range(k)])


def test_fewer_than_two_items() -> None:
    with pytest.raises(ValueError, match="at least 2 items"):
        rl.cronbach_alpha(_frame(k=1))


def test_fewer_than_three_complete_respondents() -> None:
    x = _frame(n=5)
    x.iloc[:3, 0] = np.nan
    with pytest.raises(ValueError, match="at least 3 complete respondents"):
        rl.cronbach_alpha(x)


def test_zero_variance_item_is_named() -> None:
    x = _frame()
    x["q2"] = 3.0
    with pytest.raises(ValueError, match="zero variance.*q2"):
        rl.item_statistics(x)


def test_non_numeric_column_is_named() -> None:
    x = _frame()
    x["q3"] = x["q3"].map(lambda v: f"level {v}")
    with pytest.raises(ValueError, match="'q3'.*not numeric"):
        rl.cronbach_alpha(x)


def test_bad_missing_policy() -> None:
    with pytest.raises(ValueError, match="missing"):
        rl.cronbach_alpha(_frame(), missing="mean")


def test_negative_r_drop_warns_and_names_item(bfi_keyed: pd.DataFrame) -> None:
    x = bfi_keyed[SCALES["A"]].copy()
    x["A1"] = 7 - x["A1"]  # undo the reverse keying
    with pytest.warns(DataWarning, match=r"A1.*reverse-keyed"):
        rl.cronbach_alpha(x)


def test_negative_alpha_warns() -> None:
    rng = np.random.default_rng(3)
    f = rng.normal(size=200)
    x = pd.DataFrame({"a": f + rng.normal(scale=0.3, size=200), "b": -f + rng.normal(scale=0.3, size=200)})
    with pytest.warns(DataWarning, match="alpha is negative"):
        res = rl.cronbach_alpha(x)
    assert res.alpha < 0


def test_no_warning_for_well_keyed_scale(bfi_keyed: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rl.cronbach_alpha(bfi_keyed[SCALES["A"]])
        rl.item_statistics(bfi_keyed[SCALES["A"]])


def test_results_are_frozen(bfi_keyed: pd.DataFrame) -> None:
    res = rl.cronbach_alpha(bfi_keyed[SCALES["A"]])
    with pytest.raises(AttributeError):
        res.alpha = 0.0  # type: ignore[misc]
    assert "alpha=0.7038" in repr(res)


def test_reliability_table_leaves_input_unchanged(bfi_keyed: pd.DataFrame) -> None:
    complete = bfi_keyed[ALL25].dropna().astype(float)  # one float block: the case where a view could leak
    before = complete.copy()
    rl.reliability_table(complete, SCALES)
    pd.testing.assert_frame_equal(complete, before)


def test_array_input_and_nullable_integers_give_the_same_alpha(bfi_keyed: pd.DataFrame) -> None:
    x = bfi_keyed[SCALES["E"]].dropna()
    expected = REF["scales"]["E"]["raw_alpha"]  # psych::alpha(x, check.keys=FALSE)$total$raw_alpha
    assert rl.cronbach_alpha(x.to_numpy()).alpha == pytest.approx(expected, abs=EXACT)
    assert rl.cronbach_alpha(bfi_keyed[SCALES["E"]].astype("Int64")).alpha == pytest.approx(expected, abs=EXACT)


# ------------------------------------------------------------------------------- Spearman-Brown


def test_spearman_brown_worked_value() -> None:
    # Eisinga, te Grotenhuis & Pelzer (2013): rho_SB = 2 r / (1 + r); r = 0.5 -> 2/3
    assert rl.spearman_brown(0.5) == pytest.approx(2 / 3, abs=1e-12)
    assert rl.spearman_brown(0.0) == 0.0 and rl.spearman_brown(1.0) == 1.0


@pytest.mark.parametrize("pair", [("A2", "A3"), ("C1", "C2"), ("O1", "O3")])
def test_spearman_brown_is_standardized_alpha_of_two_items(bfi_keyed: pd.DataFrame, pair) -> None:
    # standardized alpha is checked against psych::alpha(x)$total$std.alpha above; with k = 2 items it is
    # k r / (1 + (k - 1) r) = 2 r / (1 + r), the Spearman-Brown coefficient of their correlation
    x = bfi_keyed[list(pair)].dropna()
    r = float(np.corrcoef(x.to_numpy(dtype=float).T)[0, 1])
    sb = rl.spearman_brown(x)
    assert sb == pytest.approx(rl.cronbach_alpha(x).std_alpha, abs=1e-12)
    assert sb == pytest.approx(rl.spearman_brown(r), abs=1e-12)
    assert sb > r  # the coefficient of the two-item sum exceeds the single correlation


def test_spearman_brown_refuses_what_it_cannot_compute(bfi_keyed: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="exactly two item columns"):
        rl.spearman_brown(bfi_keyed[["A1", "A2", "A3"]])
    with pytest.raises(ValueError, match="correlation in"):
        rl.spearman_brown(-1.0)
    with pytest.raises(ValueError, match="correlation in"):
        rl.spearman_brown(1.5)


# ------------------------------------------------------------------------------------------ ordinal alpha
# tests/reference/ordinal_reliability.R -> ordinal_reliability.json; ``refined(x)`` there is psych's polychoric
# likelihood maximised to 1e-10 (psych's own stops at about 3e-5 in rho, hence ORDINAL_PSYCH).

ORD = json.loads((REF_DIR / "ordinal_reliability.json").read_text())["bfi"]
ORDINAL_PSYCH = 2e-5  # against psych's published rho (its optimize() tolerance)
ORDINAL_REFINED = 1e-7  # against psych::alpha(refined(x))


@pytest.mark.parametrize("scale", list(SCALES))
@pytest.mark.parametrize("policy", ["listwise", "pairwise"])
def test_ordinal_alpha_matches_psych(bfi_keyed: pd.DataFrame, scale: str, policy: str) -> None:
    ref = ORD["scales"][scale][policy]
    res = rl.cronbach_alpha(bfi_keyed[SCALES[scale]], cor="polychoric", missing=policy)
    assert res.cor == "polychoric" and res.missing == policy
    assert res.alpha == pytest.approx(
        ref["raw_alpha"], abs=ORDINAL_PSYCH
    )  # psych::alpha(polychoric(x)$rho)$total$raw_alpha
    assert res.std_alpha == pytest.approx(ref["std_alpha"], abs=ORDINAL_PSYCH)  # ...$total$std.alpha
    assert res.average_r == pytest.approx(ref["average_r"], abs=ORDINAL_PSYCH)  # ...$total$average_r
    assert res.alpha == pytest.approx(ref["raw_alpha_refined"], abs=ORDINAL_REFINED)  # psych::alpha(refined(x))
    assert res.average_r == pytest.approx(ref["average_r_refined"], abs=ORDINAL_REFINED)
    assert res.alpha == res.std_alpha  # a correlation matrix
    if policy == "listwise":
        assert res.n == ref["n_obs"]  # psych::polychoric(na.omit(x))$n.obs
    else:  # the smallest number of respondents behind a correlation (psych reports all rows)
        x = bfi_keyed[SCALES[scale]].notna().astype(int)
        assert res.n == int((x.T @ x).to_numpy().min()) < ref["n_obs"]


def test_ordinal_alpha_has_no_feldt_interval_but_a_bootstrap_one(bfi_keyed: pd.DataFrame) -> None:
    x = bfi_keyed[SCALES["A"]].dropna().iloc[:400]
    res = rl.cronbach_alpha(x, cor="polychoric")
    # Feldt's F interval is for observed-score alpha; psych::alpha on a matrix gives none either
    assert res.ci_method == "none" and np.isnan(res.ci_lower) and np.isnan(res.ci_upper)
    boot = rl.cronbach_alpha(x, cor="polychoric", method="bootstrap", n_boot=30, seed=5)
    again = rl.cronbach_alpha(x, cor="polychoric", method="bootstrap", n_boot=30, seed=5)
    assert boot.ci_method == "bootstrap" and (boot.ci_lower, boot.ci_upper) == (again.ci_lower, again.ci_upper)
    assert boot.ci_lower < res.alpha < boot.ci_upper
    assert boot.alpha == res.alpha


def test_ordinal_alpha_drop_equals_psych(bfi_keyed: pd.DataFrame) -> None:
    # alpha if an item is deleted, from the same polychoric matrix: psych::alpha(refined(x))$alpha.drop$raw_alpha
    ref = ORD["scales"]["C"]["listwise"]
    x = bfi_keyed[SCALES["C"]].dropna()
    for i, name in enumerate(SCALES["C"]):
        rest = rl.cronbach_alpha(x.drop(columns=name), cor="polychoric")
        assert rest.alpha == pytest.approx(ref["alpha_drop_refined"][i], abs=ORDINAL_REFINED)


def test_ordinal_alpha_exceeds_alpha_on_coarse_categories() -> None:
    rng = np.random.default_rng(4)
    z = rng.normal(size=(2000, 1)) + rng.normal(size=(2000, 5))
    x = pd.DataFrame(np.digitize(z, [-1.0, 1.0]) + 1, columns=list("abcde"))  # three categories
    latent = rl.cronbach_alpha(pd.DataFrame(z, columns=list("abcde"))).std_alpha
    ordinal = rl.cronbach_alpha(x, cor="polychoric").alpha
    # ordinal alpha estimates the alpha of the latent continuous responses; the coarse sum score's is lower
    assert ordinal == pytest.approx(latent, abs=0.02)
    assert rl.cronbach_alpha(x).alpha < ordinal - 0.03


def test_ordinal_alpha_refuses_what_it_cannot_compute() -> None:
    with pytest.raises(ValueError, match="cor must be"):
        rl.cronbach_alpha(_frame(), cor="spearman")
    with pytest.raises(ValueError, match="polychoric.*integer"):
        rl.cronbach_alpha(_frame() + 0.5 * (_frame() > 3), cor="polychoric")
    x = pd.DataFrame({"a": [1, 2, 3, 2, 1, 3], "b": [2, 2, 2, 2, 2, 2], "c": [1, 3, 3, 2, 1, 2]})
    with pytest.raises(ValueError, match=r"polychoric.*column\(s\) b have no variance"):
        rl.cronbach_alpha(x, cor="polychoric")


def test_reliability_table_ordinal_columns(bfi_keyed: pd.DataFrame) -> None:
    t = rl.reliability_table(bfi_keyed, SCALES, ordinal=True)
    cols = list(t.columns)
    assert cols[cols.index("omega_total") + 1 : cols.index("omega_total") + 3] == [
        "ordinal_alpha",
        "ordinal_omega_total",
    ]
    plain = rl.reliability_table(bfi_keyed, SCALES)
    pd.testing.assert_frame_equal(t.drop(columns=["ordinal_alpha", "ordinal_omega_total"]), plain)
    for s in SCALES:
        ref = ORD["scales"][s]["listwise"]
        assert t.loc[s, "ordinal_alpha"] == pytest.approx(ref["raw_alpha_refined"], abs=ORDINAL_REFINED)
        # R: psych::omega(refined(x), nfactors = 1)$omega.tot and psych::omega(x, nfactors = 1, poly = TRUE)
        assert t.loc[s, "ordinal_omega_total"] == pytest.approx(ref["omega_total_single_refined"], abs=1e-6)
        assert t.loc[s, "ordinal_omega_total"] == pytest.approx(ref["omega_total_single"], abs=ORDINAL_PSYCH)


def test_reliability_table_ordinal_nan_with_a_warning_when_polychorics_cannot_be_estimated() -> None:
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.integers(1, 6, size=(40, 6)), columns=list("abcdef")).astype(float)
    x["f"] = x["f"] + 0.5 * (x["e"] > 3)  # not integer categories: Pearson alpha yes, polychorics no
    with pytest.warns(DataWarning, match="scale 'G2': ordinal alpha and omega not computed.*integer"):
        t = rl.reliability_table(x, {"G1": list("abc"), "G2": list("def")}, ordinal=True)
    assert np.isnan(t.loc["G2", "ordinal_alpha"]) and np.isnan(t.loc["G2", "ordinal_omega_total"])
    assert np.isfinite(t.loc["G2", "alpha"]) and np.isfinite(t.loc["G1", "ordinal_alpha"])


def test_alpha_summary_and_to_frame_say_which_alpha(bfi_keyed: pd.DataFrame) -> None:
    # issue 15: AlphaResult.summary() and to_frame(), as the other results; the numbers are psych's (above)
    ref = REF["scales"]["A"]
    res = rl.cronbach_alpha(bfi_keyed[SCALES["A"]])
    text = res.summary()
    assert text.startswith(f"Cronbach's alpha: 5 items, n = {ref['n']} (listwise deletion")
    # psych::alpha(x)$total$raw_alpha and alpha.ci's Feldt bounds
    assert (
        f"alpha = {ref['raw_alpha']:.3f}, 95% CI [{ref['feldt_lower']:.3f}, {ref['feldt_upper']:.3f}] (Feldt)" in text
    )
    assert f"standardized alpha = {ref['std_alpha']:.3f}" in text  # psych::alpha(x)$total$std.alpha
    assert f"average inter-item correlation = {ref['average_r']:.3f}" in text  # psych::alpha(x)$total$average_r
    frame = res.to_frame()
    assert frame.shape == (1, 11) and frame.loc[0, "alpha"] == res.alpha and frame.loc[0, "cor"] == "pearson"
    assert frame.loc[0].to_dict() == res.to_dict()
    ordinal = rl.cronbach_alpha(bfi_keyed[SCALES["A"]], cor="polychoric").summary()
    assert ordinal.startswith("Ordinal alpha (Zumbo, Gadermann & Zeisser 2007): 5 items")
    assert (
        "not of the observed sum score" in ordinal and "no confidence interval; method='bootstrap' gives one" in ordinal
    )
    assert "nan" not in ordinal
