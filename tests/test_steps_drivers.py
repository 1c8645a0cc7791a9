"""Notebook 04 (drivers): study-level wiring against R, and recovery of the synthetic generator's truth.

Expected numbers come from two sources, named beside each assertion:

* ``tests/reference/drivers_synthetic.json``, written by ``Rscript tests/reference/drivers_synthetic.R``
  from ``analysis/wencheng/results/encoded.csv`` (the R call is quoted beside each value);
* the generator (:mod:`emstudy.survey.simulate`, parameters in ``data/raw/<case>.truth.json``), run on a very
  large sample to obtain the population values of the estimands.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emstudy.project import Project
from emstudy.stats.regression import drivers
from emstudy.steps import drivers as drivers_step
from emstudy.steps.context import load_encoded
from emstudy.steps.drivers import (
    ROLE_ORDER,
    DriversResults,
    case_drivers,
    case_ipa,
    case_ordinal_drivers,
    construct_means,
    study_frame,
)
from emstudy.survey.encode import construct_scores, encode
from emstudy.survey.simulate import SimulationSettings, simulate_case

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests/reference/drivers_synthetic.json").read_text(encoding="utf-8"))
CASES = ("chaoyang", "h_district", "wencheng", "xilinguole", "yima")
SEED = 20190719

#: Respondents per case in the population run (see ``population_coefficients``).
N_POPULATION = 30_000


@pytest.fixture(scope="module")
def wencheng():
    return load_encoded(ROOT, "wencheng")


@pytest.fixture(scope="module")
def report(wencheng):
    # computed once: role_comparison is the slow part (Games-Howell's studentized-range quantiles)
    return drivers_step.run(wencheng, seed=SEED)


@pytest.fixture(scope="module")
def encoded_all():
    return {c: load_encoded(ROOT, c) for c in CASES}


# ------------------------------------------------------------------------------------------- against R


def test_ols_hc3_matches_r(wencheng):
    res = case_drivers(wencheng)
    ref = REF["ols"]
    # R names: (Intercept), <constructs>, roleent, rolegov  ->  ours: Intercept, ..., role[T.ent], role[T.gov]
    ours = ["Intercept", *ref["terms"][1:-2], "role[T.ent]", "role[T.gov]"]
    assert list(res.table.index) == ours
    # coef(lm(effectiveness ~ <11 constructs> + role))
    np.testing.assert_allclose(res.table["coef"].to_numpy(), ref["coef"], rtol=0, atol=1e-6)
    # sqrt(diag(sandwich::vcovHC(m, type = "HC3")))
    np.testing.assert_allclose(res.table["se"].to_numpy(), ref["se"], rtol=0, atol=1e-6)
    # summary(m)$r.squared, nobs(m), m$df.residual
    assert res.r2 == pytest.approx(ref["r2"], abs=1e-6)
    assert res.n == ref["n"]
    assert res.df_resid == ref["df_resid"]
    assert res.n_dropped == len(wencheng.items) - ref["n"]


def test_polr_matches_r(wencheng):
    res = case_ordinal_drivers(wencheng)
    ref = REF["polr"]
    assert list(res.coefficients.index) == ref["terms"]
    # coef(MASS::polr(factor(overall, ordered = TRUE) ~ <11 constructs>, Hess = TRUE))
    np.testing.assert_allclose(res.coefficients["coef"].to_numpy(), ref["coef"], rtol=0, atol=1e-4)
    # sqrt(diag(vcov(p)))[names(coef(p))]
    np.testing.assert_allclose(res.coefficients["se"].to_numpy(), ref["se"], rtol=0, atol=1e-4)
    # p$zeta and sqrt(diag(vcov(p)))[names(p$zeta)]
    np.testing.assert_allclose(res.thresholds["zeta"].to_numpy(), ref["zeta"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(res.thresholds["se"].to_numpy(), ref["zeta_se"], rtol=0, atol=1e-4)
    # as.numeric(logLik(p)), p$n
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-4)
    assert res.n == ref["n"]
    assert res.converged


@pytest.mark.parametrize("construct", ["information", "response"])
def test_welch_matches_r(report, construct):
    roles = report.roles
    ref = REF["welch"][construct]
    # oneway.test(<construct> ~ role, var.equal = FALSE): statistic, parameter, p.value
    assert roles.loc[construct, "F"] == pytest.approx(ref["F"], abs=1e-6)
    assert roles.loc[construct, "df1"] == pytest.approx(ref["df1"], abs=1e-6)
    assert roles.loc[construct, "df2"] == pytest.approx(ref["df2"], abs=1e-6)
    assert roles.loc[construct, "pvalue"] == pytest.approx(ref["p"], abs=1e-6)


@pytest.mark.parametrize("construct", ["information", "effectiveness"])
def test_construct_means_match_r(wencheng, construct):
    means = construct_means(wencheng)
    ref = REF["means"][construct]
    # t.test(d$<construct>)$estimate, $conf.int; sum(!is.na(d$<construct>))
    assert means.loc[construct, "mean"] == pytest.approx(ref["mean"], abs=1e-9)
    assert means.loc[construct, "ci_lower"] == pytest.approx(ref["ci"][0], abs=1e-9)
    assert means.loc[construct, "ci_upper"] == pytest.approx(ref["ci"][1], abs=1e-9)
    assert means.loc[construct, "n"] == ref["n"]


# ------------------------------------------------------------------------------------------- wiring


def test_construct_means_rows_and_order(wencheng):
    m = construct_means(wencheng, conf_level=0.90)
    cb = wencheng.codebook
    assert list(m.index) == [*cb.construct_ids, cb.outcome.id]
    narrower = m["ci_upper"] - m["ci_lower"]
    wider = construct_means(wencheng, conf_level=0.99)
    assert ((wider["ci_upper"] - wider["ci_lower"]) > narrower).all()


def test_role_reference_is_residents(wencheng, report):
    frame = study_frame(wencheng)
    assert list(frame["role"].cat.categories) == list(ROLE_ORDER)
    roles = report.roles
    assert list(roles.index) == [*wencheng.codebook.construct_ids, wencheng.codebook.outcome.id]
    # gov - res difference equals the difference of the group means
    diff = roles["mean_gov"] - roles["mean_res"]
    np.testing.assert_allclose(roles["gov_minus_res"], diff, rtol=0, atol=1e-12)
    assert (roles["gov_res_ci_lower"] < roles["gov_minus_res"]).all()
    assert ((roles["omega_squared"] > -1) & (roles["omega_squared"] < 1)).all()


def test_input_checks(wencheng):
    with pytest.raises(ValueError, match="encoded"):
        case_drivers(pd.DataFrame())
    with pytest.raises(ValueError, match="conf_level"):
        construct_means(wencheng, conf_level=1.5)


def test_report_and_results_are_byte_stable(wencheng, report, tmp_path):
    rep = report
    assert isinstance(rep, DriversResults)
    assert rep.notes == ()  # no warning was raised by any fit on this case
    first = {p.name: p.read_bytes() for p in drivers_step.write_results(rep, tmp_path / "a")}
    # the same bytes as the results notebook 04 wrote and committed for this case
    committed = {name: (ROOT / "analysis/wencheng/results" / name).read_bytes() for name in first}
    assert first == committed
    assert set(first) == {
        "construct_means.csv",
        "drivers.csv",
        "ordinal_drivers.csv",
        "roles.csv",
        "ipa.csv",
        "drivers_imputed.csv",
        "ordinal_drivers_imputed.csv",
        "imputed_means.csv",
        "drivers.json",
        "path_model.csv",
        "path_model.json",
    }
    summary = json.loads(first["drivers.json"])
    assert summary["ipa"]["concentrate"] == rep.ipa.concentrate
    # the sentences name the strongest driver with its standardized beta
    top = rep.drivers.table.loc[wencheng.codebook.construct_ids, "beta_std"].idxmax()
    assert wencheng.codebook.label(top, "en") in rep.sentences["en"][1]
    assert wencheng.codebook.label(top, "zh") in rep.sentences["zh"][1]
    assert f"{rep.drivers.table.loc[top, 'beta_std']:.2f}" in rep.sentences["en"][1]
    with pytest.raises(ValueError, match="results"):
        drivers_step.write_results("not a report", tmp_path)


def test_imputed_drivers_sit_beside_the_complete_case_model(wencheng, report):
    imp = report.imputed
    assert imp.m == drivers_step.M_IMPUTATIONS == 10 and imp.seed == SEED
    assert imp.n == len(wencheng.items)  # every respondent (all have a role), not only the complete ones
    cc = case_drivers(wencheng).table
    table = report.imputed_table().set_index("term")
    # the complete-case columns are the OLS drivers model itself (lm + HC3, tests/reference/drivers_synthetic.R)
    np.testing.assert_allclose(table["estimate_cc"], cc["coef"].reindex(table.index), rtol=1e-12)
    np.testing.assert_allclose(table["estimate_cc"], REF["ols"]["coef"], atol=1e-8)
    assert (table["fmi"] >= 0).all() and (table["fmi"] < 0.2).all()  # 15 of 325 respondents incomplete
    again = drivers_step.case_imputed_drivers(wencheng, seed=SEED)
    pd.testing.assert_frame_equal(again.to_frame(complete_case=True), report.imputed_table())
    en = [s for s in report.sentences["en"] if s.startswith("By multiple imputation")]
    zh = [s for s in report.sentences["zh"] if s.startswith("采用多重插补")]
    assert len(en) == len(zh) == 1 and f"all {imp.n} respondents" in en[0] and f"全部{imp.n}名受访者" in zh[0]


def test_imputed_ordinal_model_and_means_use_the_same_sets(wencheng, report):
    imp = report.imputation
    cb = wencheng.codebook
    table = imp.ordinal_table().set_index("term")
    assert list(table.index) == [*cb.construct_ids, "1|2", "2|3", "3|4", "4|5"]
    # the complete-case columns are the ordinal model itself (MASS::polr, tests/reference/drivers_synthetic.R)
    cc = case_ordinal_drivers(wencheng).coefficients
    np.testing.assert_allclose(table.loc[cb.construct_ids, "estimate_cc"], cc["coef"], rtol=1e-12)
    np.testing.assert_allclose(table.loc[cb.construct_ids, "estimate_cc"], REF["polr"]["coef"], atol=1e-4)
    assert imp.ordinal.dfcom == len(wencheng.items) - len(table)  # df.residual of polr on every respondent
    assert imp.ordinal_n == len(wencheng.items) > report.ordinal.n
    assert (table["fmi"] < 0.2).all() and (table["estimate"] - table["estimate_cc"]).abs().max() < 0.15
    # the means of each set are those of the sets the drivers were pooled over
    means = imp.means.set_index(["imputation", "construct"])
    assert len(means) == drivers_step.M_IMPUTATIONS * (len(cb.construct_ids) + 1)
    for i, s in enumerate(imp.drivers.imputations, start=1):
        np.testing.assert_allclose(means.loc[(i, "warning"), "mean"], s["warning"].mean(), rtol=1e-14)
    en = [s for s in report.sentences["en"] if s.startswith("The ordinal model of the overall rating")]
    zh = [s for s in report.sentences["zh"] if s.startswith("在同一组插补数据集上")]
    assert len(en) == len(zh) == 1 and f"uses {imp.ordinal_n} respondents instead of {report.ordinal.n}" in en[0]


def test_path_model_is_part_of_the_drivers_results(report):
    assert report.paths is not None and report.paths.skipped is None
    assert report.paths.n_boot == drivers_step.paths.N_BOOT == 100 and report.paths.seed == SEED


# ------------------------------------------------------------------------------------------- generator truth


@pytest.fixture(scope="module")
def population_coefficients():
    """Population regression of observed effectiveness on observed construct scores and role, per case.

    The generator draws the outcome from *latent* scores with ``outcome_weights``; a regression on the
    observed (error-laden, thresholded) scale scores estimates attenuated and redistributed weights, so the
    estimand is this regression under the generator, not the latent weights. It is computed by drawing one
    large sample (``N_POPULATION`` respondents per case; ``model_copy`` bypasses the 150-450 validation of
    ``Sample.n``) and applying the same pipeline: ``encode(...).valid()``, ``construct_scores``, and the
    same OLS with role (reference ``res``). With about 28,500 kept respondents against about 310 in a case,
    the population values' sampling SD is about sqrt(310/28500) = 0.10 of a case's SE, small against the
    per-case interval half-width (1.97 SE). 200,000 respondents per case would take about 80 s in all.
    """
    project = Project.find(ROOT)
    cb = project.codebook()
    out = {}
    t0 = time.perf_counter()
    for cid in CASES:
        case = project.case(cid, cb)
        big = case.model_copy(update={"sample": case.sample.model_copy(update={"n": N_POPULATION})})
        assert big.sample.n == N_POPULATION
        raw, _truth = simulate_case(big, cb, SimulationSettings())
        enc = encode(raw, cb).valid()
        frame = construct_scores(enc.items, cb)
        frame["role"] = pd.Categorical(enc.background["role"].astype(object), categories=list(ROLE_ORDER))
        res = drivers(
            frame, outcome=cb.outcome.id, predictors=cb.construct_ids, covariates=["role"], categorical=["role"]
        )
        out[cid] = res.table
    elapsed = time.perf_counter() - t0
    assert elapsed < 60, f"population run took {elapsed:.1f} s"
    return out


def test_population_run_uses_the_truth_file_weights():
    # the generator's latent weights (data/raw/<case>.truth.json) are those of SimulationSettings
    weights = dict(SimulationSettings().outcome_weights)
    for cid in CASES:
        truth = json.loads((ROOT / f"data/raw/{cid}.truth.json").read_text(encoding="utf-8"))
        for c, w in truth["parameters"]["outcome_weights"].items():
            assert w == weights.get(c, 0.0)


def test_case_intervals_cover_population_coefficients(encoded_all, population_coefficients):
    """At least 90% of the 55 (case, construct) 95% intervals cover the population coefficient.

    If each interval had exactly 95% coverage and the 55 were independent, the number covering would be
    Binomial(55, 0.95) (mean 52.25) and P(X <= 49) = 0.056, so requiring >= 50 fails a correct pipeline
    about 1 time in 18 and a pipeline whose coverage fell to 93% about 1 time in 5.4 (P = 0.185); a biased
    pipeline (e.g. the latent weights as estimand, or wrong reverse keys) misses far more often. The data
    are fixed, so the test is deterministic; the binomial reasoning is about how meaningful it is.
    """
    covered, total, misses = 0, 0, []
    for cid in CASES:
        cb = encoded_all[cid].codebook
        t = case_drivers(encoded_all[cid]).table
        pop = population_coefficients[cid]
        for c in cb.construct_ids:
            total += 1
            ok = t.loc[c, "ci_lower"] <= pop.loc[c, "coef"] <= t.loc[c, "ci_upper"]
            covered += ok
            if not ok:
                misses.append((cid, c))
    assert total == 55
    assert covered >= math.ceil(0.90 * total), f"covered {covered}/55; misses: {misses}"


def test_response_has_the_largest_population_coefficient(population_coefficients):
    # truth: response carries the largest latent weight (0.25); on observed scores its population
    # coefficient stays positive and the largest of the eleven in every case
    cb = Project.find(ROOT).codebook()
    for cid, pop in population_coefficients.items():
        coefs = pop.loc[cb.construct_ids, "coef"]
        assert coefs.idxmax() == "response", (cid, coefs.round(3).to_dict())
        assert coefs["response"] > 0.15  # measured 0.187-0.201 at n = 30,000 (latent weight 0.25, attenuated)


def test_response_positive_in_every_case(encoded_all):
    # the construct with the largest latent weight has a positive fitted coefficient in every case
    for cid in CASES:
        t = case_drivers(encoded_all[cid]).table
        assert t.loc["response", "coef"] > 0, cid


def test_response_significance_power(encoded_all, population_coefficients):
    """Why 'significant in every case' is not required: its probability under the generator is low.

    Power of the two-sided .05 t test of response in a case, with the population coefficient as the true
    value and the case's HC3 SE: ``P(|T| > t_crit)`` for ``T ~ t(df, ncp = beta_pop / se)``. The chance that
    all five cases are significant is the product of the five powers (samples are independent).
    """
    powers = []
    for cid in CASES:
        res = case_drivers(encoded_all[cid])
        ncp = population_coefficients[cid].loc["response", "coef"] / res.table.loc["response", "se"]
        crit = stats.t.ppf(0.975, res.df_resid)
        powers.append(stats.nct.sf(crit, res.df_resid, ncp) + stats.nct.cdf(-crit, res.df_resid, ncp))
    # measured: powers 0.63-0.83, product 0.25: all five significant is the less likely outcome
    assert 0.5 < min(powers) and max(powers) < 0.9
    assert float(np.prod(powers)) < 0.5


def test_ipa_low_performance_side_holds_listed_weaknesses(encoded_all):
    """What is asserted, per case, with the quadrant rule of ``importance_performance``:

    1. every weakness the case file lists (``case.weaknesses``; the generator sets their latent means to
       -0.45..-0.20 against 0.15..0.55 for the rest) has performance below the mean performance of the
       eleven constructs, i.e. lies in "concentrate here" or "low priority";
    2. every listed weakness whose importance is at or above the mean importance is in the "concentrate
       here" list; and the "concentrate here" list holds exactly the constructs with importance >= mean
       and performance < mean, most important first.
    """
    for cid in CASES:
        enc = encoded_all[cid]
        ipa = case_ipa(enc)
        f = ipa.frame.set_index("predictor")
        low = f["performance"] < f["performance"].mean()
        important = f["importance"] >= f["importance"].mean()
        for w in enc.case.weaknesses:
            assert low[w], (cid, w, f.loc[w, "quadrant"])
            assert f.loc[w, "quadrant"] in ("concentrate here", "low priority")
            if important[w]:
                assert w in ipa.concentrate, (cid, w)
        expected = f[important & low].sort_values("importance", ascending=False).index.tolist()
        assert ipa.concentrate == expected


def test_one_role_leaves_role_out_and_skips_the_role_comparison(tmp_path):
    enc = load_encoded(ROOT, "yima")
    one = enc.__class__(**{**enc.__dict__, "background": enc.background.assign(role="res")})
    rep = drivers_step.run(one, seed=SEED, n_boot=4)
    assert rep.roles.empty and "gov_res_pvalue_adj" in rep.roles.columns
    assert not any(str(t).startswith("role") for t in rep.drivers.table.index)
    assert [m.en for m in rep.limitations] == [
        "role left out of the drivers model: only one role (res) among the complete respondents",
        "role comparison skipped: only one role (res) among the respondents",
    ]
    assert [m.zh for m in rep.limitations] == [
        "作答完整的受访者仅有一类身份（居民），回归模型未纳入身份",
        "受访者仅有一类身份（居民），未做身份比较",
    ]
    assert {m.en for m in rep.limitations} <= set(rep.notes)
    assert "core constructs (OLS" in rep.sentences["en"][0] and "and role" not in rep.sentences["en"][0]
    drivers_step.write_results(rep, tmp_path)
    written = json.loads((tmp_path / "drivers.json").read_text(encoding="utf-8"))["limitations"]
    assert written == [m.to_dict() for m in rep.limitations]
    # two roles: the comparison runs, the absent role's columns are empty
    two = enc.__class__(**{**enc.__dict__, "background": enc.background.replace({"role": {"gov": "ent"}})})
    roles = drivers_step.role_comparison(two)
    assert roles["mean_gov"].isna().all() and roles["gov_minus_res"].isna().all() and roles["pvalue"].notna().all()
