"""Tests of emstudy.steps.drivers_imputed (the ordinal model and the means on the drivers' imputed sets) and of the
Welch comparison pooled over them (emstudy.steps.compare_imputed), against R (tests/reference/imputation_ordinal.R ->
imputation_ordinal.json).

The sets R pools are the ones ``imputed_models`` makes here: ``python tests/test_steps_drivers_imputed.py`` writes them
to tests/reference/data/imputation_ordinal_sets.csv (mice's long format: ``.imp`` 0 is the incomplete data, 1..m the
completed sets, ``.id`` the row), and a test checks that they are still made. Data: the bfi scale scores of models.R
(first 400 rows with complete scales, gender and education; about 5% of the scale scores removed by a seeded draw);
education (1-5) is the ordinal outcome and, for the Welch comparisons, the grouping ("each level against the others").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats.regression import ordinal_drivers
from emstudy.steps import drivers_imputed
from emstudy.steps.compare_imputed import pooled_below_others

REF_DIR = Path(__file__).parent / "reference"
SETS_CSV = REF_DIR / "data" / "imputation_ordinal_sets.csv"
SCALES = ["agree", "consc", "extra", "neuro", "open"]
PREDICTORS = ["consc", "extra", "neuro", "open"]
REF_M, REF_SEED, REF_ROWS = 5, 14, 400


def reference_incomplete(bfi_scales: pd.DataFrame) -> pd.DataFrame:
    """The first 400 rows of bfi_scales with complete scales, gender and education, about 5% of the scale scores
    removed by a seeded draw (numpy default_rng(20261130))."""
    d = bfi_scales[[*SCALES, "gender", "education"]].dropna().head(REF_ROWS).reset_index(drop=True)
    mask = np.random.default_rng(20261130).random((len(d), len(SCALES))) < 0.05
    return pd.concat([d[SCALES].mask(mask), d[["gender", "education"]]], axis=1)


def reference_models(bfi_scales: pd.DataFrame) -> drivers_imputed.ImputedModels:
    """imputed_models on the reference data: its imputations are the sets in imputation_ordinal_sets.csv."""
    return drivers_imputed.imputed_models(
        reference_incomplete(bfi_scales),
        outcome="agree",
        predictors=PREDICTORS,
        categorical=["gender"],
        ordinal_outcome="education",
        seed=REF_SEED,
        m=REF_M,
    )


def write_reference_sets(bfi_scales: pd.DataFrame) -> None:
    """Write the incomplete data and the imputed sets in mice's long format (read by imputation_ordinal.R)."""
    frames = [reference_incomplete(bfi_scales), *reference_models(bfi_scales).drivers.imputations]
    long = pd.concat([f.assign(**{".imp": i, ".id": np.arange(1, len(f) + 1)}) for i, f in enumerate(frames)])
    long[[".imp", ".id", *SCALES, "gender", "education"]].to_csv(SETS_CSV, index=False, float_format="%.17g")


if __name__ == "__main__":  # python tests/test_steps_drivers_imputed.py: rewrite the sets R pools
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import bfi_scales as _fixture

    write_reference_sets(_fixture.__wrapped__())
    sys.exit(0)

REF = json.loads((REF_DIR / "imputation_ordinal.json").read_text())
CLOSE = dict(rtol=1e-7, atol=0)  # Rubin's rules are closed form; polr's own optimum limits the agreement
#: mice's barnard.rubin() floors lambda at 1e-4 inside its df (emstudy does not: stats.imputation.pool notes)
LAMBDA_FLOOR = 1e-4


@pytest.fixture(scope="module")
def models(bfi_scales) -> drivers_imputed.ImputedModels:
    return reference_models(bfi_scales)


def test_reference_sets_are_what_imputed_models_makes(bfi_scales, models):
    long = pd.read_csv(SETS_CSV)
    incomplete = reference_incomplete(bfi_scales)
    # colSums(is.na(imp$data)): the data R pooled have the same holes as ours
    assert {c: int(incomplete[c].isna().sum()) for c in [*SCALES, "gender", "education"]} == REF["n_missing"]
    assert REF["m"] == REF_M == models.drivers.m and REF["n"] == len(incomplete) == REF_ROWS
    for i, made in enumerate(models.drivers.imputations, start=1):
        stored = long[long[".imp"] == i].reset_index(drop=True)
        np.testing.assert_allclose(made[SCALES].to_numpy(), stored[SCALES].to_numpy(), rtol=0, atol=1e-10)
        assert made["education"].tolist() == incomplete["education"].tolist()  # observed, never imputed


def test_pooled_ordinal_matches_mice_pool_of_polr(models):
    """mice::pool(with(imp, MASS::polr(factor(education, ordered = TRUE) ~ consc + extra + neuro + open,
    Hess = TRUE))): estimates, within, between and total variance, dfcom = df.residual(polr), df, fmi."""
    ref = REF["ordinal_pool"]
    t = models.ordinal.table
    assert list(t.index) == ref["term"] == [*PREDICTORS, "1|2", "2|3", "3|4", "4|5"]
    assert models.ordinal.dfcom == ref["dfcom"][0] == REF_ROWS - 8  # n - (4 slopes + 4 thresholds)
    np.testing.assert_allclose(t["estimate"], ref["estimate"], rtol=1e-6)  # pooled$pooled$estimate
    np.testing.assert_allclose(t["ubar"], ref["ubar"], rtol=1e-5)  # pooled$pooled$ubar (polr's Hessian SEs)
    np.testing.assert_allclose(t["b"], ref["b"], rtol=1e-4, atol=1e-9)  # pooled$pooled$b
    np.testing.assert_allclose(t["t"], ref["t"], rtol=1e-5)  # pooled$pooled$t
    floored = np.asarray(ref["lambda"]) < LAMBDA_FLOOR
    # pooled$pooled$df and $fmi, where mice's lambda floor does not apply
    np.testing.assert_allclose(t["df"][~floored], np.asarray(ref["df"])[~floored], rtol=1e-4)
    np.testing.assert_allclose(t["se"], ref["std_error"], rtol=1e-5)  # summary(pooled)$std.error
    np.testing.assert_allclose(t["pvalue"], ref["p_value"], rtol=1e-3, atol=1e-12)  # summary(pooled)$p.value


def test_pooled_ordinal_pools_the_per_set_polr_fits(models, bfi_scales):
    """Each set's fit is polr's (coef(fit), fit$zeta, sqrt(diag(vcov(fit))) of imputation_ordinal.R), and the
    complete-case model sits beside the pooled one."""
    for i, s in enumerate(models.drivers.imputations):
        fit = ordinal_drivers(s, outcome="education", predictors=PREDICTORS)
        np.testing.assert_allclose(fit.coefficients["coef"], REF["polr_coef"][i], rtol=1e-6)
        np.testing.assert_allclose(fit.thresholds["zeta"], REF["polr_zeta"][i], rtol=1e-6)
        np.testing.assert_allclose(np.r_[fit.coefficients["se"], fit.thresholds["se"]], REF["polr_se"][i], rtol=1e-5)
    table = models.ordinal_table().set_index("term")
    cc = ordinal_drivers(reference_incomplete(bfi_scales), outcome="education", predictors=PREDICTORS)
    np.testing.assert_allclose(table.loc[PREDICTORS, "estimate_cc"], cc.coefficients["coef"], rtol=1e-12)
    # polr on the complete cases of the model's variables in .imp == 0: coef(fit), nrow(model_vars)
    np.testing.assert_allclose(table.loc[PREDICTORS, "estimate_cc"], REF["polr_complete_case"]["coef"], rtol=1e-6)
    assert cc.n == REF["polr_complete_case"]["n"]
    assert list(table["kind"]) == ["coefficient"] * 4 + ["threshold"] * 4
    assert table.loc["1|2", ["pvalue_cc"]].isna().all()


def test_pool_of_the_r_fits_is_mice_pool():
    """Rubin's rules alone: stats.imputation.pool on R's own per-set polr estimates and variances gives
    mice::pool's numbers to rounding (no optimizer in between)."""
    from emstudy.stats.imputation import pool

    ref = REF["ordinal_pool"]
    est = np.array([np.r_[c, z] for c, z in zip(REF["polr_coef"], REF["polr_zeta"])])
    res = pool(est, np.array(REF["polr_se"]) ** 2, n=REF_ROWS, k=8, names=ref["term"]).table
    for ours, theirs in (("estimate", "estimate"), ("ubar", "ubar"), ("b", "b"), ("t", "t"), ("fmi", "fmi")):
        np.testing.assert_allclose(res[ours], ref[theirs], rtol=1e-10)  # pooled$pooled$<column>
    np.testing.assert_allclose(res["df"], ref["df"], rtol=1e-10)  # pooled$pooled$df (every lambda above 1e-4)
    np.testing.assert_allclose(res["pvalue"], ref["p_value"], rtol=1e-8)  # summary(pooled)$p.value


def test_pooled_welch_matches_pool_scalar(models):
    """Each education level against the others, per set t.test(x[edu == a], x[edu != a]) (Welch), then
    mice::pool.scalar(Q = diff, U = stderr^2, n = mean(Welch df) + 1, k = 1); p.adjust(p, "holm") over the two
    variables of one level."""
    ref = REF["welch"]
    moments = drivers_imputed.imputed_moments(models.drivers.imputations, ["agree", "consc"], by="education")
    moments = moments.rename(columns={"education": "case"}).assign(case=lambda d: d["case"].astype(int).astype(str))
    res = pooled_below_others(moments, constructs=["agree", "consc"])
    res = res.set_index(["case", "construct"]).loc[list(zip(ref["level"], ref["variable"]))]
    assert list(res.index.get_level_values(0)) == [str(v) for v in ref["level"]]
    np.testing.assert_allclose(res["diff"], ref["qbar"], **CLOSE)  # pool.scalar(...)$qbar
    np.testing.assert_allclose(res["se"] ** 2, ref["t"], **CLOSE)  # pool.scalar(...)$t
    np.testing.assert_allclose(res["dfcom"], ref["dfcom"], **CLOSE)  # mean(t.test(...)$parameter)
    floored = np.asarray(ref["lambda"]) < LAMBDA_FLOOR
    assert not floored.any()  # every comparison has between-imputation variance above mice's floor
    np.testing.assert_allclose(res["df"], ref["df"], **CLOSE)  # pool.scalar(...)$df
    np.testing.assert_allclose(res["fmi"], ref["fmi"], **CLOSE)  # pool.scalar(...)$fmi
    np.testing.assert_allclose(res["pvalue"], ref["pvalue"], **CLOSE)  # 2 * pt(-abs(qbar / sqrt(t)), df)
    np.testing.assert_allclose(res["pvalue_holm"], ref["pvalue_holm"], **CLOSE)  # p.adjust(p, "holm")
    # the per-set Welch statistics from the moments are t.test's: estimate[1] - estimate[2], stderr, parameter
    first = moments[moments["imputation"] == 1]
    one = pooled_below_others(pd.concat([first, first.assign(imputation=2)]), constructs=["agree"])
    np.testing.assert_allclose(one["diff"], ref["set1_agree"]["diff"], **CLOSE)
    np.testing.assert_allclose(one["se"], ref["set1_agree"]["stderr"], **CLOSE)
    np.testing.assert_allclose(one["dfcom"], ref["set1_agree"]["df"], **CLOSE)


def test_without_between_variance_the_pooled_welch_is_the_welch_test(models):
    """Two identical sets: Rubin's rules give back Welch's test of that set (B = 0, df = dfcom's Barnard-Rubin
    df_obs), a check by construction."""
    moments = drivers_imputed.imputed_moments(models.drivers.imputations[:1] * 2, ["agree"], by="education")
    res = pooled_below_others(moments.rename(columns={"education": "case"}), constructs=["agree"])
    dfcom = res["dfcom"].to_numpy()
    np.testing.assert_allclose(res["df"], (dfcom + 1) / (dfcom + 3) * dfcom, rtol=1e-12)
    np.testing.assert_allclose(res["fmi"], 2 / (res["df"] + 3), rtol=1e-12)  # riv = 0


def test_moments_and_input_checks(models):
    moments = drivers_imputed.imputed_moments(models.drivers.imputations, ["agree"])
    assert list(moments.columns) == ["imputation", "construct", "n", "mean", "sd"]
    assert moments["n"].eq(REF_ROWS).all() and moments["imputation"].tolist() == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="sets: expected at least 2"):
        drivers_imputed.pooled_ordinal(models.drivers.imputations[:1], outcome="education", predictors=PREDICTORS)
    by = drivers_imputed.imputed_moments(models.drivers.imputations, ["agree"], by="education")
    by = by.rename(columns={"education": "case"})
    with pytest.raises(ValueError, match="every case in every set"):
        pooled_below_others(by.iloc[1:], constructs=["agree"])
    with pytest.raises(ValueError, match="at least 2 imputations"):
        pooled_below_others(by[by["imputation"] == 1], constructs=["agree"])
    with pytest.raises(ValueError, match="alpha"):
        pooled_below_others(by, constructs=["agree"], alpha=2)
