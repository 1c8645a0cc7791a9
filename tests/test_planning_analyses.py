"""Analyses of a planning study: the study's own statistics per replication, and the key checks of issue 16.

The key checks: the power of the Welch test found by simulation (emstudy.planning.engine.run_power) matches
the analytic power (emstudy.stats.welch_power, checked against R's pt() and power.t.test() in
tests/test_stats_power.py) within 3 Monte Carlo SEs; the power of the RMSEA tests of close and not-close fit
matches MacCallum, Browne & Sugawara's (1996) formula (emstudy.stats.rmsea_power) within 3 Monte Carlo SEs on
a model whose population RMSEA is known from lavaan (tests/reference/planning_population.R: the analysis
model fitted by lavaan::cfa to the population covariance of a model with a cross-loading, eps =
sqrt(F_ML / df)).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emstudy.errors import EmstudyError
from emstudy.planning.analyses import (
    BelowOthers,
    CFAFit,
    DriverCoefficient,
    IndirectEffect,
    InvarianceStep,
    WelchDifference,
)
from emstudy.planning.engine import run_power
from emstudy.planning.outcome import Outcome
from emstudy.planning.population import ModelPopulation, MultiGroupPopulation, PlacesPopulation, ScorePopulation
from emstudy.stats import cfa, chisq_difference, drivers, sem
from emstudy.stats.power import rmsea_power, welch_power
from emstudy.steps.compare import below_others

REF = json.loads((Path(__file__).parent / "reference" / "planning_population.json").read_text(encoding="utf-8"))


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed))


@pytest.fixture(scope="module")
def places(project) -> pd.DataFrame:
    """The five synthetic cases as designed, yima at 150 respondents."""
    return PlacesPopulation.from_cases(project.cases(), project.codebook(), place="yima").draw(150, _rng(1))


# ------------------------------------------------------------------------------------- Welch and weaknesses


def test_below_others_is_the_study_s_weakness_rule(places, project):
    """The same verdicts and differences as notebook 05's below_others (emstudy.steps.compare) on the data."""
    constructs = list(project.codebook().construct_ids)
    study = below_others(places, constructs=constructs)
    for place in ("yima", "wencheng"):
        out = BelowOthers(place, constructs)(places)
        rows = study[study["case"] == place].set_index("construct")
        assert out.success == {f"below:{c}": bool(rows.at[c, "below"]) for c in constructs}
        assert out.values == {f"diff:{c}": rows.at[c, "diff"] for c in constructs}
    assert any(BelowOthers("yima", constructs)(places).success.values())  # the weaknesses it was given
    assert BelowOthers("yima", ["rules"]).targets == ("below:rules",)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_welch_difference_is_welch_s_t_test(places, alternative):
    """R: t.test(x[case == "yima"], x[case != "yima"], var.equal = FALSE, alternative = alt), here by
    scipy.stats.ttest_ind(equal_var=False), which gives the same t, df and p."""
    out = WelchDifference("yima", "rules", alternative=alternative)(places)
    a = places.loc[places["case"] == "yima", "rules"].dropna()
    b = places.loc[places["case"] != "yima", "rules"].dropna()
    ref = stats.ttest_ind(a, b, equal_var=False, alternative=alternative)
    assert out.values["t"] == pytest.approx(ref.statistic, rel=1e-12)
    assert out.values["df"] == pytest.approx(ref.df, rel=1e-12)
    assert out.values["pvalue"] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)
    assert out.success == {"welch:rules": bool(ref.pvalue < 0.05)}
    from emstudy.stats import welch_test

    assert welch_test(a.to_numpy(), b.to_numpy(), alternative=alternative) == (
        out.values["diff"],
        out.values["t"],
        out.values["df"],
        out.values["pvalue"],
    )


def test_simulated_welch_power_matches_the_analytic_power():
    """KEY CHECK: run_power(ScorePopulation, WelchDifference) against stats.welch_power at the population's
    own means and SDs (the place at n, the others at 400), 1500 replications: within 3 Monte Carlo SEs."""
    rng = _rng(5)
    scores = pd.DataFrame({"x": np.r_[rng.normal(3.0, 0.8, 150), rng.normal(3.25, 0.6, 400)]})
    scores["case"] = ["a"] * 150 + ["b"] * 400
    pop = ScorePopulation.from_scores(scores, place="a")
    diff = pop.means[0][0] - pop.means[1][0]
    sd1, sd2 = abs(pop.factors[0][0, 0]), abs(pop.factors[1][0, 0])
    for alternative, ns in (("two-sided", (30, 60)), ("less", (30,))):
        table = run_power(pop, WelchDifference("a", "x", alternative=alternative), ns=ns, replications=1500,
                          seed=16, scheduler="synchronous").to_frame()  # fmt: skip
        for row in table.itertuples():
            analytic = welch_power(diff=diff, sd1=sd1, sd2=sd2, n1=row.n, n2=400, alternative=alternative)
            assert 0.3 < analytic < 0.95  # a power where the check has teeth
            assert abs(row.power - analytic) < 3 * row.mc_se, (alternative, row.n, row.power, analytic)


# ------------------------------------------------------------------------------------- drivers


def test_driver_coefficient_is_notebook_04_s_hc3_regression(places, project):
    cb = project.codebook()
    tested = ("response", "organisation")
    others = tuple(c for c in cb.construct_ids if c not in tested)
    analysis = DriverCoefficient(cb.outcome.id, tested, covariates=(*others, "role"), categorical=("role",),
                                 signs={"response": 1, "organisation": -1})  # fmt: skip
    out = analysis(places)
    ref = drivers(places, outcome=cb.outcome.id, predictors=tested, covariates=[*others, "role"],
                  categorical=["role"], cov_type="HC3").table  # fmt: skip
    # the fit is emstudy.stats.ols_coefficients' (QR), drivers()' is statsmodels' (pinv): equal to rounding
    assert out.values == pytest.approx({f"coef:{p}": ref.at[p, "coef"] for p in tested}, rel=1e-12, abs=0)
    assert out.success["driver:response"] == bool(
        ref.at["response", "pvalue"] < 0.05 and ref.at["response", "coef"] > 0
    )
    assert out.success["driver:organisation"] is False or ref.at["organisation", "coef"] < 0
    assert analysis.targets == ("driver:response", "driver:organisation")
    with pytest.raises(EmstudyError, match=r"^signs: expected \+1 or -1"):
        DriverCoefficient("y", ("x",), signs={"x": 2})


def _driver_outcome_by_drivers(analysis: DriverCoefficient, data: pd.DataFrame) -> Outcome:
    """DriverCoefficient as it was before ols_coefficients: drivers()' table, HC3, listwise."""
    ref = drivers(data, outcome=analysis.outcome, predictors=analysis.predictors, covariates=analysis.covariates,
                  categorical=analysis.categorical, cov_type="HC3", missing="listwise").table  # fmt: skip
    signs = dict(analysis.signs or {})
    success = {
        f"driver:{p}": bool(ref.at[p, "pvalue"] < analysis.alpha and (p not in signs or np.sign(ref.at[p, "coef"]) == signs[p]))
        for p in analysis.predictors
    }  # fmt: skip
    return Outcome(success, values={f"coef:{p}": float(ref.at[p, "coef"]) for p in analysis.predictors})


def _driver_data(seed: int, n: int) -> pd.DataFrame:
    """Synthetic: 4 drivers with small effects (verdicts vary across seeds), heteroskedastic errors, 3% of
    cells missing, a 3-level role (strings) and a categorical site with an unused level."""
    rng = _rng(seed)
    d = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "e"])
    d["role"] = rng.choice(["staff", "lead", "head"], size=n)
    d["site"] = pd.Categorical(rng.choice(["s2", "s1"], size=n), categories=["s2", "s1", "s0"])
    d["y"] = 0.25 * d.a - 0.2 * d.b + 0.1 * d.c + rng.normal(size=n) * (0.7 + 0.5 * d.e.abs())
    return d.mask(rng.random(d.shape) < 0.03)


def test_driver_coefficient_gives_the_outcome_drivers_gave():
    """The fast path (emstudy.stats.ols_coefficients) gives the verdicts drivers() gave on the same design
    (listwise deletion, intercept, dummies) across seeded data sets, and drivers()' own errors where it fails."""
    analyses = [
        DriverCoefficient("y", ("a", "b", "c", "e"), signs={"a": 1, "b": -1}),
        DriverCoefficient("y", ("a", "b"), alpha=0.1, covariates=("c", "role", "site"), categorical=("role", "site")),
    ]
    verdicts = set()
    for seed in range(40):
        data = _driver_data(seed, (30, 60, 150)[seed % 3])
        for analysis in analyses:
            out, before = analysis(data), _driver_outcome_by_drivers(analysis, data)
            assert (out.success, out.converged, out.improper) == (before.success, before.converged, before.improper)
            assert out.values == pytest.approx(before.values, rel=1e-10, abs=0)
            verdicts.add(tuple(out.success.values()))
    assert len(verdicts) > 4  # the data sets reach both verdicts for each target
    data = _driver_data(1, 60)
    data.loc[data.index[:2], "role"] = "solo"  # a level with one complete case or none: a leverage of 1
    data.loc[data.index[0], "y"] = np.nan
    analysis = analyses[1]
    assert analysis(data) == _driver_outcome_by_drivers(analysis, data)
    data["d"] = data.a - data.b  # a perfectly collinear design: drivers()' error, counted as failed
    with pytest.raises(ValueError, match=r"^drivers: the design is perfectly collinear; columns involved"):
        DriverCoefficient("y", ("a", "b", "d"))(data)
    with pytest.raises(ValueError, match=r"^drivers: 3 complete case\(s\) for 5 coefficients"):
        DriverCoefficient("y", ("a", "b", "c", "e"))(data.head(3).fillna(0.0))


# ------------------------------------------------------------------------------------- CFA


def test_cfa_fit_tests_and_precision_are_the_fit_s(project):
    ref = REF["misfit"]
    data = ModelPopulation(ref["population"], standardized=True).draw(300, _rng(2))
    out = CFAFit(ref["analysis"])(data)
    fit = cfa(ref["analysis"], data, std_lv=True)
    # with rmsea0 = .05 the close-fit p is lavaan's rmsea.pvalue (checked against R in tests/test_stats_cfa.py)
    ncp0 = fit.fit.n * fit.fit.df * 0.05**2
    assert stats.ncx2.sf(fit.fit.chisq, fit.fit.df, ncp0) == pytest.approx(fit.fit.rmsea_pvalue, rel=1e-12)
    assert out.success["rmsea_close"] == bool(fit.fit.rmsea_pvalue < 0.05)
    assert out.success["rmsea_not_close"] == bool(stats.ncx2.cdf(fit.fit.chisq, fit.fit.df, ncp0) < 0.05)
    from emstudy.stats import std_loading_se

    width = 2 * stats.norm.isf(0.025) * std_loading_se(fit)  # standardizedSolution()'s interval (test below)
    assert out.values["max_ci_width"] == pytest.approx(width.max(), rel=1e-9)
    assert out.success["loadings_precise"] == bool(width.max() < 0.2)
    assert CFAFit(ref["analysis"], ci_width=1.0)(data).success["loadings_precise"] is True
    assert out.converged and not out.improper
    assert out.values["rmsea"] == fit.fit.rmsea
    data.iloc[::5, 2] = np.nan  # FIML (lavaan's missing = "ml"), as notebook 03's CFA
    fiml = CFAFit(ref["analysis"], missing="fiml")(data)
    assert fiml.values["chisq"] == cfa(ref["analysis"], data, std_lv=True, missing="fiml").fit.chisq


def test_cfa_fit_reports_an_improper_solution():
    """Two indicators with a near-zero loading on a factor of three: a Heywood case is common at small n."""
    pop = ModelPopulation("f =~ 0.9*x1 + 0.9*x2 + 0.05*x3; x1 ~~ 0.05*x1; x2 ~~ 0.05*x2")
    outcomes = [CFAFit("f =~ x1 + x2 + x3")(pop.draw(30, _rng(s))) for s in range(20)]
    assert any(o.improper for o in outcomes)
    assert all(isinstance(o, Outcome) for o in outcomes)


def test_a_fit_that_raises_counts_as_not_converged(monkeypatch):
    import emstudy.planning.analyses as analyses

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("singular")

    data = ModelPopulation("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3").draw(50, _rng(1))
    monkeypatch.setattr(analyses, "cfa", broken)
    out = CFAFit("f =~ x1 + x2 + x3")(data)
    assert out == Outcome(dict.fromkeys(("rmsea_close", "rmsea_not_close", "loadings_precise"), False), converged=False)
    with pytest.raises(EmstudyError, match=r"^data: column\(s\) \['x4'\] not found"):
        CFAFit("f =~ x1 + x2 + x4")(data)


def test_cfa_population_rmsea_is_lavaan_s():
    """R: fitMeasures(cfa(analysis, sample.cov = Sigma, sample.nobs = 1000, sample.cov.rescale = FALSE)):
    chisq / N = F_ML and sqrt(F_ML / df) the population RMSEA; emstudy's cfa on the same matrix agrees."""
    for key in ("misfit", "misfit_small"):
        ref = REF[key]
        pop = ModelPopulation(ref["population"], standardized=True)
        n = ref["n"]
        sigma = pd.DataFrame(pop.cov * n / (n - 1), index=pop.names, columns=pop.names)  # undo the rescaling
        fit = cfa(ref["analysis"], sample_cov=sigma, sample_nobs=n).fit
        assert fit.chisq == pytest.approx(ref["chisq"], rel=1e-6)
        assert fit.df == ref["df"]
        assert np.sqrt(fit.chisq / n / fit.df) == pytest.approx(ref["rmsea_population"], rel=1e-6)


@pytest.mark.parametrize(
    ("key", "target", "n"), [("misfit", "rmsea_close", 400), ("misfit_small", "rmsea_not_close", 500)]
)
def test_simulated_rmsea_power_matches_maccallum(key, target, n):
    """KEY CHECK: the power of the test of close fit (population RMSEA .076 > .05) and of not-close fit
    (.024 < .05) by simulation against MacCallum et al.'s noncentral chi-square power, 300 replications:
    within 3 Monte Carlo SEs."""
    ref = REF[key]
    pop = ModelPopulation(ref["population"], standardized=True)
    table = run_power(pop, CFAFit(ref["analysis"]), ns=(n,), replications=300, seed=16,
                      scheduler="synchronous").to_frame()  # fmt: skip
    row = table[table["target"] == target].iloc[0]
    analytic = rmsea_power(df=ref["df"], n=n, rmsea0=0.05, rmsea_a=ref["rmsea_population"])
    assert analytic.test == ("close fit" if target == "rmsea_close" else "not-close fit")
    assert 0.3 < analytic.power < 0.9
    assert abs(row["power"] - analytic.power) < 3 * row["mc_se"], (row["power"], analytic.power)
    assert row["converged"] == 300


# ------------------------------------------------------------------------------------- invariance, indirect


def test_invariance_step_is_the_chisq_difference_test():
    pop = MultiGroupPopulation(
        (
            ModelPopulation("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3 + 0.7*x4"),
            ModelPopulation("f =~ 0.7*x1 + 0.3*x2 + 0.7*x3 + 0.7*x4"),
        )
    )
    data = pop.draw(300, _rng(3))
    out = InvarianceStep("f =~ x1 + x2 + x3 + x4", level="metric")(data)
    fits = [cfa("f =~ x1 + x2 + x3 + x4", data, group="group", equal=eq) for eq in ((), ("loadings",))]
    p = chisq_difference(*fits)["pvalue_diff"].iloc[1]
    assert out.values["pvalue"] == pytest.approx(p, rel=1e-12)
    assert out.success == {"reject:metric": bool(p < 0.05)} and out.success["reject:metric"]
    with pytest.raises(EmstudyError, match=r"^level: expected one of"):
        InvarianceStep("f =~ x1 + x2 + x3", level="weak")


def test_indirect_effect_is_sem_s_delta_method_test():
    syntax = "m ~ a*x\ny ~ b*m + x\nind := a*b"
    data = ModelPopulation("m ~ 0.3*x\ny ~ 0.3*m + 0.1*x").draw(200, _rng(4))
    out = IndirectEffect(syntax, "ind")(data)
    row = sem(syntax, data).params.query("op == ':='").iloc[0]
    assert out.values["est"] == row["est"]
    assert out.success == {"indirect:ind": bool(row["pvalue"] < 0.05)}
    with pytest.raises(EmstudyError, match=r"^label: 'ab' is not defined"):
        IndirectEffect(syntax, "ab")


def test_bad_arguments_are_one_line():
    with pytest.raises(EmstudyError, match=r"^alpha: expected a level in \(0, 1\)"):
        BelowOthers("a", ["x"], alpha=1.5)
    with pytest.raises(EmstudyError, match=r"^constructs: expected at least one"):
        BelowOthers("a", [])
    with pytest.raises(EmstudyError, match=r"^alternative: expected one of"):
        WelchDifference("a", "x", alternative="lower")
    with pytest.raises(EmstudyError, match=r"^model: "):
        CFAFit("f ~ x1")
    with pytest.raises(EmstudyError, match=r"^missing: expected 'listwise' or 'fiml'"):
        CFAFit("f =~ x1 + x2 + x3", missing="ml")
    with pytest.raises(EmstudyError, match=r"^ci_width: expected a positive number"):
        CFAFit("f =~ x1 + x2 + x3", ci_width=0)
    with pytest.raises(EmstudyError, match=r"^data: column\(s\) \['x'\] not found"):
        WelchDifference("a", "x")(pd.DataFrame({"case": ["a", "b"]}))


@pytest.mark.parametrize("name", ["simple", "cross"])
def test_the_loading_precision_target_uses_lavaan_s_standardized_solution_standard_errors(name: str) -> None:
    """CFAFit's ``loadings_precise`` interval is standardizedSolution()'s: delta-method SEs of std.all loadings.

    R: ``s <- standardizedSolution(cfa(model, HolzingerSwineford1939, std.lv = TRUE)); s[s$op == "=~", "se"]``
    (tests/reference/planning_std_loadings.R). A benchmark against lavaan found the earlier rule (the
    loading's own interval scaled by std.all / est) wider than lavaan's; this pins the definition.
    """
    from emstudy.stats import cfa, std_loading_se

    root = Path(__file__).parent / "reference"
    ref = json.loads((root / "planning_std_loadings.json").read_text(encoding="utf-8"))[name]
    hs = pd.read_csv(root / "data" / "HolzingerSwineford1939.csv")
    fit = cfa(ref["model"], hs, std_lv=True)
    loads = fit.params[fit.params["op"] == "=~"]
    assert list(zip(loads["lhs"], loads["rhs"])) == list(zip(ref["lhs"], ref["rhs"]))
    np.testing.assert_allclose(loads["std_all"], ref["est_std"], rtol=1e-5)  # lavaan: est.std
    np.testing.assert_allclose(std_loading_se(fit), ref["se"], rtol=1e-4)  # lavaan: se (delta method)
    width = CFAFit(ref["model"], ci_width=0.2)(hs).values["max_ci_width"]
    assert width == pytest.approx(2 * stats.norm.isf(0.025) * max(ref["se"]), rel=1e-4)
