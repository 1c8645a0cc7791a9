"""Tests of emstudy.stats.imputation (impute, pool, pooled_drivers) against R (tests/reference/imputation.R ->
imputation.json) and by construction.

The imputed sets R pools are the ones ``pooled_drivers`` (through ``impute``) makes here: ``python
tests/test_stats_imputation.py`` writes them to tests/reference/data/imputation_sets.csv (mice's long format: ``.imp``
0 is the incomplete data, 1..m the completed sets, ``.id`` the row), and a test checks that they are still made.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats import imputation, regression

REF_DIR = Path(__file__).parent / "reference"
SETS_CSV = REF_DIR / "data" / "imputation_sets.csv"
SCALES = ["agree", "consc", "extra", "neuro", "open"]
REF_M, REF_SEED, REF_ROWS = 5, 14, 400
MODEL = dict(outcome="agree", predictors=["consc", "extra", "neuro", "open"], covariates=["gender"])


def reference_incomplete(bfi_scales: pd.DataFrame) -> pd.DataFrame:
    """The first 400 rows of bfi_scales with complete scale scores and gender, with about 5% of the scale scores
    removed by a seeded draw (numpy default_rng(20261129))."""
    d = bfi_scales[[*SCALES, "gender"]].dropna().head(REF_ROWS).reset_index(drop=True)
    mask = np.random.default_rng(20261129).random((len(d), len(SCALES))) < 0.05
    scales = d[SCALES].mask(mask)
    return pd.concat([scales, d[["gender"]]], axis=1)


def reference_fit(bfi_scales: pd.DataFrame, **kwargs) -> imputation.PooledDriversResult:
    """pooled_drivers on the reference data: its imputations are the sets in imputation_sets.csv."""
    return imputation.pooled_drivers(
        reference_incomplete(bfi_scales), **MODEL, categorical=["gender"], m=REF_M, seed=REF_SEED, **kwargs
    )


def write_reference_sets(bfi_scales: pd.DataFrame) -> None:
    """Write the incomplete data and the imputed sets in mice's long format (read by imputation.R)."""
    frames = [reference_incomplete(bfi_scales), *reference_fit(bfi_scales).imputations]
    long = pd.concat([f.assign(**{".imp": i, ".id": np.arange(1, len(f) + 1)}) for i, f in enumerate(frames)])
    long[[".imp", ".id", *SCALES, "gender"]].to_csv(SETS_CSV, index=False, float_format="%.17g")


if __name__ == "__main__":  # python tests/test_stats_imputation.py: rewrite the sets R pools
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import bfi_scales as _fixture

    write_reference_sets(_fixture.__wrapped__())
    sys.exit(0)

REF = json.loads((REF_DIR / "imputation.json").read_text())
R_TERMS = ["(Intercept)", "consc", "extra", "neuro", "open", "gender2"]
TERMS = ["Intercept", "consc", "extra", "neuro", "open", "gender[T.2]"]
CLOSE = dict(rtol=1e-8, atol=0)  # Rubin's rules are closed form: agreement to rounding


@pytest.fixture(scope="module")
def ref_fit(bfi_scales) -> imputation.PooledDriversResult:
    return reference_fit(bfi_scales, cov_type="nonrobust")


# ------------------------------------------------------------------------------------- the reference sets


def test_reference_sets_are_what_impute_makes(bfi_scales, ref_fit):
    long = pd.read_csv(SETS_CSV)
    incomplete = reference_incomplete(bfi_scales)
    # colSums(is.na(imp$data)): the data R pooled have the same holes as ours
    assert {c: int(incomplete[c].isna().sum()) for c in [*SCALES, "gender"]} == REF["n_missing"]
    assert REF["m"] == REF_M and REF["n"] == len(incomplete) == REF_ROWS
    original = long[long[".imp"] == 0].reset_index(drop=True)[[*SCALES, "gender"]]
    pd.testing.assert_frame_equal(original, incomplete, check_dtype=False)
    for i, made in enumerate(ref_fit.imputations, start=1):
        stored = long[long[".imp"] == i].reset_index(drop=True)[[*SCALES, "gender"]]
        np.testing.assert_allclose(made[SCALES].to_numpy(), stored[SCALES].to_numpy(), rtol=0, atol=1e-10)
        assert made["gender"].equals(incomplete["gender"])


# ------------------------------------------------------------------------------------------ pool() vs mice


def _check_pool_table(table: pd.DataFrame, ref: dict, columns: dict[str, str]) -> None:
    for ours, theirs in columns.items():
        np.testing.assert_allclose(table[ours].to_numpy(), ref[theirs], **CLOSE, err_msg=ours)


def test_pool_matches_mice_pool():
    ref = REF["pool"]
    res = imputation.pool(REF["coef"], REF["var_model"], n=REF["n"], k=len(R_TERMS), names=R_TERMS)
    assert list(res.table.index) == ref["term"] and res.m == REF_M
    # pool(with(imp, lm(agree ~ consc + extra + neuro + open + gender)))$pooled: dfcom = df.residual(fit)
    assert res.dfcom == ref["dfcom"][0] == REF["n"] - len(R_TERMS)
    # $pooled columns estimate, ubar, b, t, df, riv, lambda, fmi
    _check_pool_table(res.table, ref, {k: k for k in ["estimate", "ubar", "b", "t", "df", "riv", "lambda", "fmi"]})
    # summary(pooled, conf.int = TRUE): estimate, std.error, statistic, df, p.value, 2.5 %, 97.5 %
    _check_pool_table(
        res.table,
        REF["summary95"],
        {
            "estimate": "estimate",
            "se": "std.error",
            "statistic": "statistic",
            "df": "df",
            "pvalue": "p.value",
            "ci_lower": "ci_lower",
            "ci_upper": "ci_upper",
        },
    )
    # summary(pooled, conf.int = TRUE, conf.level = 0.90): 5 %, 95 %
    res90 = imputation.pool(REF["coef"], REF["var_model"], n=REF["n"], k=len(R_TERMS), conf_level=0.90)
    _check_pool_table(res90.table, REF["summary90"], {"ci_lower": "ci_lower", "ci_upper": "ci_upper"})
    # mice's df floors lambda at 1e-4; no parameter here is near that floor, so the floor plays no part
    assert (res.table["lambda"] > 1e-3).all()


def test_pooled_drivers_model_based_matches_mice_pool(ref_fit):
    # the same pool(with(imp, lm(...))) through emstudy's own fits of the same sets (drivers, cov_type="nonrobust")
    assert list(ref_fit.table.index) == TERMS and ref_fit.n == REF["n"] and ref_fit.m == REF_M
    cols = {k: k for k in ["estimate", "ubar", "b", "t", "df", "riv", "lambda", "fmi"]}
    _check_pool_table(ref_fit.table, REF["pool"], cols)
    # summary(pooled, conf.int = TRUE)
    cols = {
        "se": "std.error",
        "statistic": "statistic",
        "pvalue": "p.value",
        "ci_lower": "ci_lower",
        "ci_upper": "ci_upper",
    }
    _check_pool_table(ref_fit.table, REF["summary95"], cols)
    # sapply(fits$analyses, function(f) summary(f)$r.squared)
    np.testing.assert_allclose(ref_fit.r2, REF["r2"], **CLOSE)
    assert ref_fit.n_missing == {c: REF["n_missing"][c] for c in SCALES}


def test_pool_of_covariance_matrices(ref_fit):
    vcov = np.array(REF["vcov_model"])
    res = imputation.pool(REF["coef"], vcov, n=REF["n"], k=len(R_TERMS), names=R_TERMS)
    # Ubar + (1 + 1/m) * cov(Q) with Ubar = Reduce(`+`, lapply(fits, vcov)) / m
    np.testing.assert_allclose(res.cov, REF["t_matrix"], **CLOSE)
    # the per-parameter table is the one of the variances alone
    by_var = imputation.pool(REF["coef"], REF["var_model"], n=REF["n"], k=len(R_TERMS), names=R_TERMS)
    pd.testing.assert_frame_equal(res.table, by_var.table, rtol=1e-12)
    assert by_var.cov is None


def test_pool_hc3_matches_pool_scalar(bfi_scales):
    # pool.scalar(Q[, j], U3[, j], n = 400, k = 6) with U3 the diag of sandwich::vcovHC(fit, type = "HC3")
    ref = REF["hc3"]
    res = imputation.pool(REF["coef"], REF["var_hc3"], n=REF["n"], k=len(R_TERMS))
    _check_pool_table(res.table, ref, {"estimate": "qbar", "ubar": "ubar", "b": "b", "t": "t", "df": "df"})
    _check_pool_table(res.table, ref, {"riv": "r", "fmi": "fmi"})
    # pooled_drivers pools HC3 by default: the same numbers from its own fits of the same sets
    fit = reference_fit(bfi_scales)
    assert fit.cov_type == "HC3"
    _check_pool_table(fit.table, ref, {"estimate": "qbar", "ubar": "ubar", "b": "b", "t": "t", "df": "df"})


def test_pool_with_the_complete_data_df_given_as_dfcom():
    # pool.scalar(Q[, j], U3[, j], n = 400, k = 6): dfcom = n - k; mice takes no dfcom of its own here, so a
    # non-integer complete-data df (Welch's) is given as n = dfcom + 1, k = 1 (tests/test_steps_drivers_imputed.py)
    res = imputation.pool(REF["coef"], REF["var_hc3"], dfcom=float(REF["n"] - len(R_TERMS)))
    assert res.dfcom == REF["n"] - len(R_TERMS)
    _check_pool_table(res.table, REF["hc3"], {"estimate": "qbar", "t": "t", "df": "df", "fmi": "fmi"})
    same = imputation.pool(REF["coef"], REF["var_hc3"], n=REF["n"], k=len(R_TERMS))
    pd.testing.assert_frame_equal(res.table, same.table)


def test_pool_large_sample_df_matches_pool_scalar():
    # pool.scalar(Q[, j], U3[, j]) with n = Inf: Rubin's (1987) df (m - 1) / lambda^2
    res = imputation.pool(REF["coef"], REF["var_hc3"], n=None)
    assert res.dfcom == np.inf
    _check_pool_table(res.table, REF["hc3_inf"], {"df": "df", "fmi": "fmi"})


# ------------------------------------------------------------------------------------------- construction


def test_no_between_variance_gives_the_complete_data_answer():
    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.normal(size=(120, 3)), columns=["y", "x1", "x2"])
    res = imputation.pooled_drivers(df, outcome="y", predictors=["x1", "x2"], m=3, seed=2)
    cc = res.complete_case.table
    np.testing.assert_allclose(res.table["estimate"], cc["coef"], rtol=1e-13)
    np.testing.assert_allclose(res.table["se"], cc["se"], rtol=1e-13)
    # every set is the data itself: the between variance is zero up to the rounding of the mean
    assert (res.table["b"] < 1e-28).all() and (res.table["lambda"] < 1e-24).all()
    dfcom = 120 - 3
    # Barnard & Rubin (1999): with lambda = 0 the df is df_obs = (dfcom + 1) / (dfcom + 3) * dfcom
    np.testing.assert_allclose(res.table["df"], (dfcom + 1) / (dfcom + 3) * dfcom, rtol=1e-13)
    assert res.n_missing == {"y": 0, "x1": 0, "x2": 0}


def test_pooled_drivers_reports_the_complete_cases_beside(bfi_scales, ref_fit):
    frame = ref_fit.to_frame(complete_case=True)
    assert list(frame.columns[:8]) == ["term", "estimate", "se", "df", "statistic", "pvalue", "ci_lower", "ci_upper"]
    cc = regression.drivers(reference_incomplete(bfi_scales), **MODEL, categorical=["gender"], cov_type="nonrobust")
    np.testing.assert_allclose(frame["estimate_cc"], cc.table["coef"], rtol=1e-13)
    np.testing.assert_allclose(frame["se_cc"], cc.table["se"], rtol=1e-13)
    assert ref_fit.complete_case.n == cc.n < ref_fit.n
    text = ref_fit.summary()
    assert "Barnard-Rubin" in text and "nonrobust" in text and f"n = {cc.n} ({cc.n_dropped} dropped)" in text
    assert list(ref_fit.to_frame().columns) == ["term", *imputation._POOL_COLUMNS, *imputation._DIAGNOSTIC_COLUMNS]


# ------------------------------------------------------------------------------------------------ impute()


@pytest.fixture()
def holes() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    x = rng.normal(size=(150, 3))
    df = pd.DataFrame({"a": x[:, 0], "b": x[:, 0] + x[:, 1], "likert": np.clip(np.rint(3 + x[:, 2]), 1, 5)})
    df.loc[rng.random(150) < 0.1, "a"] = np.nan
    df.loc[rng.random(150) < 0.1, "likert"] = np.nan
    df["full"] = np.arange(150)  # an integer column without missing values
    df["label"] = "r" + df["full"].astype(str)  # a text column, never used
    return df


def test_same_seed_same_sets_and_seeds_are_spawned(holes):
    before = holes.copy()
    one = imputation.impute(holes, m=5, seed=3)
    two = imputation.impute(holes, m=5, seed=3)
    for a, b in zip(one, two):
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(holes, before)  # the data are only read
    assert not one[0]["a"].equals(one[1]["a"])  # the sets differ from one another
    assert not imputation.impute(holes, m=1, seed=4)[0]["a"].equals(one[0]["a"])  # and with the seed
    # set i depends on its spawned child only: a smaller m gives the first sets, and any order of making them
    for a, b in zip(imputation.impute(holes, m=2, seed=3), one):
        pd.testing.assert_frame_equal(a, b)
    children = np.random.SeedSequence(3).spawn(5)
    cols = ["a", "b", "likert", "full"]
    for i in reversed(range(5)):
        made = imputation._impute_one(holes, children[i], columns=cols, rounded=[], max_iter=10)
        pd.testing.assert_frame_equal(made, one[i])


def test_observed_values_and_complete_columns_are_untouched(holes):
    for completed in imputation.impute(holes, m=3, seed=1):
        assert completed.notna().all().all()
        assert completed["full"].dtype == holes["full"].dtype and completed["full"].equals(holes["full"])
        assert completed["b"].equals(holes["b"]) and completed["label"].equals(holes["label"])
        observed = holes["a"].notna()
        assert completed.loc[observed, "a"].equals(holes.loc[observed, "a"])
        assert list(completed.columns) == list(holes.columns) and completed.index.equals(holes.index)


def test_likert_columns_continuous_by_default_or_rounded_and_clipped(holes):
    gap = holes["likert"].isna()
    cont = imputation.impute(holes, m=2, seed=1)[0].loc[gap, "likert"]
    assert not np.allclose(cont, np.rint(cont))  # draws from the normal model are left as they are
    rounded = imputation.impute(holes, m=2, seed=1, rounded=["likert"])
    for completed in rounded:
        values = completed.loc[gap, "likert"]
        assert np.array_equal(values, np.rint(values)) and values.between(1, 5).all()
        assert completed.loc[~gap, "likert"].equals(holes.loc[~gap, "likert"])
    # only the rounding differs: the same draws, rounded and clipped to the observed range 1..5
    np.testing.assert_array_equal(rounded[0].loc[gap, "likert"], np.rint(np.clip(cont, 1, 5)))


# ---------------------------------------------------------------------------------------- parameter checks


def _one_line(excinfo) -> None:
    assert "\n" not in str(excinfo.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(m=0), r"^m: expected a positive integer"),
        (dict(max_iter=0), r"^max_iter: expected a positive integer"),
        (dict(seed=-1), r"^seed: expected a non-negative integer"),
        (dict(seed="7"), r"^seed: expected a non-negative integer"),
        (dict(columns=["a", "label"]), r"column 'label' is not numeric"),
        (dict(columns=["a", "nope"]), r"column\(s\) \['nope'\] not found"),
        (dict(columns=["a", "b"], rounded=["likert"]), r"^rounded: column\(s\) \['likert'\] are not among"),
    ],
)
def test_impute_parameter_checks(holes, kwargs, match):
    args = {"m": 2, "seed": 1, **kwargs}
    with pytest.raises(ValueError, match=match) as excinfo:
        imputation.impute(holes, **args)
    _one_line(excinfo)


def test_impute_refuses_an_empty_column(holes):
    with pytest.raises(ValueError, match=r"column 'a' has no observed value") as excinfo:
        imputation.impute(holes.assign(a=np.nan), m=2, seed=1)
    _one_line(excinfo)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([[1.0, 2.0]], [[0.1, 0.1]]), dict(n=50, k=2), r"^estimates: expected at least 2 imputations"),
        (([[1.0], [2.0]], [[0.1, 0.1], [0.1, 0.1]]), dict(n=50, k=2), r"^variances: expected shape \(2, 1\)"),
        (([[1.0], [2.0]], [[0.1], [-0.1]]), dict(n=50, k=2), r"non-negative variances"),
        (([[1.0], [np.nan]], [[0.1], [0.1]]), dict(n=50, k=2), r"expected finite values"),
        (([[1.0], [2.0]], [[0.1], [0.1]]), dict(n=50, k=2, names=["a", "b"]), r"^names: expected 1 names"),
        (([[1.0], [2.0]], [[0.1], [0.1]]), dict(n=50, k=2, conf_level=95), r"^conf_level: expected a number"),
        (([[1.0], [2.0]], [[0.1], [0.1]]), dict(n=2, k=2), r"^n: expected an integer greater than k = 2"),
        (([[1.0], [2.0]], [[0.1], [0.1]]), dict(n=50, k=-1), r"^k: expected a non-negative integer"),
        (([[1.0], [2.0]], [[0.1], [0.1]]), dict(n=50), r"^k: expected a non-negative integer"),
        (([1.0, 2.0], [0.1, 0.1]), dict(n=50, k=2), r"^estimates: expected a 2-d array"),
        (([[1.0], [2.0]], [[0.1], [0.1]]), dict(n=50, k=2, dfcom=48.0), r"^dfcom: give the complete-data df either"),
        (([[1.0], [2.0]], [[0.1], [0.1]]), dict(dfcom=0.0), r"^dfcom: expected a positive number"),
        (([[1.0], [2.0]], [[0.1], [0.1]]), dict(dfcom=float("nan")), r"^dfcom: expected a positive number"),
    ],
)
def test_pool_parameter_checks(args, kwargs, match):
    with pytest.raises(ValueError, match=match) as excinfo:
        imputation.pool(*args, **kwargs)
    _one_line(excinfo)


def test_pooled_drivers_refuses_one_imputation_and_incomplete_categories(holes):
    with pytest.raises(ValueError, match=r"^m: expected at least 2 imputations \(Rubin's rules need") as excinfo:
        imputation.pooled_drivers(holes, outcome="b", predictors=["a"], m=1, seed=1)
    _one_line(excinfo)
    data = holes.assign(group=np.where(holes["full"] % 2, "x", "y"))
    data.loc[3, "group"] = None
    with pytest.raises(ValueError, match=r"^categorical: column\(s\) \['group'\] have missing values") as excinfo:
        imputation.pooled_drivers(data, outcome="b", predictors=["a", "group"], categorical=["group"], m=2, seed=1)
    _one_line(excinfo)
    with pytest.raises(ValueError, match=r"auxiliary: column\(s\) \['nope'\] not found"):
        imputation.pooled_drivers(holes, outcome="b", predictors=["a"], auxiliary=["nope"], m=2, seed=1)
    with pytest.raises(ValueError, match=r"^seed: expected a non-negative integer, got -1$"):
        imputation.pooled_drivers(holes, outcome="b", predictors=["a"], m=2, seed=-1)


def test_auxiliary_columns_inform_the_imputations(holes):
    res = imputation.pooled_drivers(holes, outcome="b", predictors=["a"], auxiliary=["likert"], m=3, seed=1)
    assert res.n_missing == {"b": 0, "a": int(holes["a"].isna().sum()), "likert": int(holes["likert"].isna().sum())}
    assert all(list(s.columns) == ["b", "a", "likert"] and s.notna().all().all() for s in res.imputations)
    plain = imputation.pooled_drivers(holes, outcome="b", predictors=["a"], m=3, seed=1)
    assert not np.allclose(res.table["estimate"], plain.table["estimate"])  # another imputation model
    assert res.complete_case.table.equals(plain.complete_case.table)
