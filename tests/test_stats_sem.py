"""Tests of emstudy.stats.sem against R lavaan's sem() (fixtures written by tests/reference/sem.R).

Tolerances: lavaan's optimizer (nlminb, rel.tol = 1e-10) stops where the chi-square is within about
1e-10 of its minimum but the estimates are still up to 1e-4 (model_eq; 1e-5 for the others) from it;
emstudy polishes to a gradient at rounding level and reaches a chi-square at or below lavaan's
(``test_at_least_as_low_as_lavaan``). So estimates and standardized values are compared to 1e-4, standard
errors to 2e-5, fit measures to 1e-6 (where the flat optimum does not matter).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import emstudy.stats
from conftest import LAVAAN_FIT_NAMES as FIT_NAMES  # fitMeasures(fit) names compared with lavaan
from emstudy.errors import MissingDataWarning
from emstudy.stats.cfa import CFAResult, SEMModel, cfa, parse_sem
from emstudy.stats.sem import sem

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "sem.json").read_text())
# lavaan::PoliticalDemocracy, written by tests/reference/sem.R
PD = pd.read_csv(REF_DIR / "data" / "PoliticalDemocracy.csv")
HS = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
HSM = pd.read_csv(REF_DIR / "data" / "hs_missing.csv")

# the fits of tests/reference/sem.R: key in sem.json -> (model in sem.json, data, options of sem())
FITS = {
    "ml": ("model", PD, {}),  # sem(model, data = PD)
    "ml_stdlv": ("model", PD, {"std_lv": True}),  # sem(model, data = PD, std.lv = TRUE)
    "eq": ("model_eq", PD, {}),  # sem(model_eq, data = PD)
    "fixed": ("model_fixed", PD, {}),  # sem(model_fixed, data = PD)
    "path": ("model_path", PD, {}),  # sem(model_path, data = PD)
    "twoy": ("model_twoy", PD, {}),  # sem(model_twoy, data = PD)
    "int": ("model_int", PD, {}),  # sem(model_int, data = PD): y1 ~ 1 turns the mean structure on
    "mg": ("model_mg", HS, {"group": "school"}),  # sem(model_mg, data = HS, group = "school")
}


def _key(df: pd.DataFrame) -> list[tuple]:
    """(lhs, op, rhs), with the two sides of '~~' in a fixed order, and the group if there is one."""
    keys = [(a, o, b) if o != "~~" else (min(a, b), o, max(a, b)) for a, o, b in zip(df["lhs"], df["op"], df["rhs"])]
    return [(*k, g) for k, g in zip(keys, df["group"])] if "group" in df.columns else keys


def _merged(fit: CFAResult, estimates: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = {"std.lv": "std_lv", "std.all": "std_all", "ci.lower": "ci_lower", "ci.upper": "ci_upper"}
    ref = pd.DataFrame(estimates).rename(columns=names)
    ref.index = pd.MultiIndex.from_tuples(_key(ref))
    ours = fit.params.copy()
    ours.index = pd.MultiIndex.from_tuples(_key(ours))
    assert sorted(ours.index) == sorted(ref.index)  # the same parameters, defaults included
    return ours.loc[ref.index], ref


@pytest.fixture(scope="module")
def fits() -> dict[str, CFAResult]:
    return {key: sem(REF[model], data, **opts) for key, (model, data, opts) in FITS.items()}


@pytest.fixture(scope="module")
def mlr() -> CFAResult:
    # sem(model, data = PD, estimator = "MLR")
    return sem(REF["model"], PD, estimator="MLR")


@pytest.mark.parametrize("key", list(FITS))
def test_estimates_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # parameterEstimates(fit, standardized = TRUE): est, se, std.lv, std.all, the ':=' rows included
    ours, ref = _merged(fits[key], REF[key]["estimates"])
    for col in ("est", "std_lv", "std_all", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(ours[col], ref[col].astype(float), rtol=1e-4, atol=1e-4, err_msg=col)
    np.testing.assert_allclose(ours["se"], ref["se"].astype(float), rtol=1e-4, atol=2e-5)
    free = ref["se"] > 0
    np.testing.assert_allclose(ours.loc[free, "z"], ref.loc[free, "z"].astype(float), rtol=1e-3)
    assert fits[key].converged


@pytest.mark.parametrize("key", list(FITS))
def test_fit_measures_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # fitMeasures(fit)[c("npar", "chisq", "df", ..., "srmr")]
    fm = fits[key].fit_measures
    for name in FIT_NAMES:
        assert fm[name] == pytest.approx(REF[key]["fit"][name], rel=1e-7, abs=1e-6), name


@pytest.mark.parametrize("key", list(FITS))
def test_at_least_as_low_as_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # the minimum of the discrepancy: lavaan's chisq is never below ours (its estimates stop short of the optimum)
    assert fits[key].fit.chisq <= REF[key]["fit"]["chisq"] + 1e-9


def test_defined_parameters(fits: dict[str, CFAResult]) -> None:
    # parameterEstimates(sem(model, data = PD), standardized = TRUE)[op == ":=", ]
    p = fits["ml"].params
    ref = pd.DataFrame(REF["ml"]["estimates"]).set_index("lhs")
    est = p.set_index("label")["est"]
    ind = p[p["op"] == ":="].set_index("lhs")
    assert list(ind.index) == ["ind", "total"]
    assert ind.loc["ind", "est"] == pytest.approx(est["a"] * est["b"], rel=1e-12)
    assert ind.loc["total", "est"] == pytest.approx(est["c"] + est["a"] * est["b"], rel=1e-12)
    for name in ("ind", "total"):  # lavaan: ind 1.241783 (se 0.355422), total 1.814119 (se 0.373588)
        assert ind.loc[name, "est"] == pytest.approx(ref.loc[name, "est"], abs=1e-4)
        assert ind.loc[name, "se"] == pytest.approx(ref.loc[name, "se"], abs=2e-5)
        assert ind.loc[name, "std_all"] == pytest.approx(ref.loc[name, "std.all"], abs=1e-4)
        assert ind.loc[name, "pvalue"] == pytest.approx(ref.loc[name, "pvalue"], rel=1e-3)


def test_delta_method_is_the_analytic_one(fits: dict[str, CFAResult]) -> None:
    # the complex-step Jacobian of a*b is (b, a): var(ab) = b^2 var(a) + a^2 var(b) + 2ab cov(a, b) >= 0
    p = fits["ml"].params.set_index("label")
    a, b, se_a, se_b = p.loc["a", "est"], p.loc["b", "est"], p.loc["a", "se"], p.loc["b", "se"]
    se_ind = p.loc["ind", "se"]
    lo = abs(abs(b) * se_a - abs(a) * se_b)
    hi = abs(b) * se_a + abs(a) * se_b
    assert lo <= se_ind <= hi


def test_mlr_matches_lavaan(mlr: CFAResult) -> None:
    # sem(model, data = PD, estimator = "MLR"): robust se, chisq.scaled, chisq.scaling.factor
    ours, ref = _merged(mlr, REF["mlr"]["estimates"])
    np.testing.assert_allclose(ours["est"], ref["est"].astype(float), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours["se"], ref["se"].astype(float), rtol=1e-4, atol=2e-5)
    fm = mlr.fit_measures
    for name in ("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled"):
        assert fm[name] == pytest.approx(REF["mlr"]["fit"][name], rel=1e-6), name


def test_estimator_names_in_any_case(mlr: CFAResult) -> None:
    # lavaan: sem(model, data = PD, estimator = "mlr") is MLR (tolower); the result names it in upper case, and
    # the default (estimator = None, no ordered items) is ML
    lower = sem(REF["model"], PD, estimator="mlr")
    assert lower.estimator == "MLR"
    pd.testing.assert_frame_equal(lower.params, mlr.params)
    assert lower.fit_measures["chisq.scaled"] == mlr.fit_measures["chisq.scaled"]
    assert sem(REF["model"], PD).estimator == "ML" == sem(REF["model"], PD, estimator="Ml").estimator
    with pytest.raises(ValueError, match="^estimator: expected 'ML' or 'MLR', got 'GLS'$"):
        sem(REF["model"], PD, estimator="gls")


def test_lavaan_defaults(fits: dict[str, CFAResult]) -> None:
    def rows(key: str) -> pd.DataFrame:
        p = fits[key].params
        return p.set_index(pd.MultiIndex.from_tuples(_key(p)))

    # no residual covariance between dem60 and dem65 when dem60 predicts dem65 ...
    assert ("dem60", "~~", "dem65") not in rows("ml").index
    # ... but a free one between two "pure" endogenous latents (auto.cov.y), as lavaan's sem(model_twoy)
    assert rows("twoy").loc[("dem60", "~~", "dem65"), "free"]
    # fixed.x: the covariates' (co)variances at the sample values (divisor N), not free, se 0
    x = rows("path").loc[("x1", "~~", "x2")]
    assert not x["free"] and x["se"] == 0.0
    assert x["est"] == pytest.approx(PD["x1"].cov(PD["x2"]) * (len(PD) - 1) / len(PD), rel=1e-12)
    # NA* frees the marker, 0.8* fixes a loading, 1* fixes the variance
    f = rows("fixed")
    assert f.loc[("ind60", "=~", "x1"), "free"] and not f.loc[("ind60", "=~", "x3"), "free"]
    assert f.loc[("ind60", "=~", "x3"), "est"] == 0.8 and f.loc[("ind60", "~~", "ind60"), "est"] == 1.0


def test_groups_and_intercepts(fits: dict[str, CFAResult]) -> None:
    # sem(model_mg, data = HS, group = "school"): lavInspect(fit, "group.label"); the label b is equal in both groups
    mg = fits["mg"]
    assert mg.groups == tuple(REF["mg"]["group_labels"]) and list(mg.params.columns[3:5]) == ["group", "group_label"]
    b = mg.params.loc[mg.params["label"] == "b", "est"].to_numpy()
    assert len(b) == 2 and b[0] == b[1]
    # latent means fixed to 0, intercepts free (the mean structure of a multi-group model, or of y1 ~ 1)
    for key in ("mg", "int"):
        p = fits[key].params
        means = p[(p["op"] == "~1") & p["lhs"].isin(fits[key].model.factors)]
        assert len(means) and (means["est"] == 0).all() and not means["free"].any()
    i1 = fits["int"].params.set_index("label").loc["i1"]
    assert i1["op"] == "~1" and i1["lhs"] == "x1" and i1["est"] == pytest.approx(PD["x1"].mean(), rel=1e-6)


def test_shared_labels_are_equal(fits: dict[str, CFAResult]) -> None:
    # sem(model_eq, data = PD): dem60 =~ y1 + d1*y2 + d2*y3 + d3*y4; dem65 =~ y5 + d1*y6 + d2*y7 + d3*y8
    p = fits["eq"].params
    for lab in ("d1", "d2", "d3"):
        est = p.loc[p["label"] == lab, "est"].to_numpy()
        assert len(est) == 2 and est[0] == est[1]
    assert fits["eq"].fit.df == fits["ml"].fit.df + 3  # three equalities: df 35 + 3 (fitMeasures: 38)


def test_summary_statistics_input_gives_the_same_fit(fits: dict[str, CFAResult]) -> None:
    cols = [c for c in PD.columns if c in fits["ml"].sample_cov[0].columns]
    fit = sem(REF["model"], sample_cov=PD[cols].cov(), sample_nobs=len(PD))
    assert fit.fit.chisq == pytest.approx(fits["ml"].fit.chisq, rel=1e-9)
    np.testing.assert_allclose(fit.params["se"], fits["ml"].params["se"], rtol=1e-7)


def test_result_and_public_index(fits: dict[str, CFAResult]) -> None:
    fit = fits["ml"]
    assert emstudy.stats.sem is sem and "sem" in emstudy.stats.__all__
    assert isinstance(fit.model, SEMModel) and fit.kind == "SEM"
    assert list(fit.params.columns) == [
        "lhs", "op", "rhs", "label", "free", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv", "std_all",
    ]  # fmt: skip
    text = fit.summary()
    assert text.startswith("SEM (ML), converged") and ":=" in text and "ind" in text


def test_listwise_deletion_warns() -> None:
    df = PD.copy()
    df.loc[0, "y1"] = np.nan
    with pytest.warns(MissingDataWarning):
        fit = sem(REF["model"], df)
    assert fit.n_obs == (74,)


@pytest.mark.parametrize(
    "model, line, fragment",
    [
        ("f =~ x1 + x2 + x3\nf <~ y1", 2, "'<~' is not supported"),
        ("f =~ x1 + x2 + x3\ny1 ~ a*b*1", 2, "more than one modifier"),
        ("f =~ x1 + x2 +\n", 1, "empty term"),
        ("f =~ 2a*x1 + x2 + x3", 1, "modifier '2a'"),
        ("f =~ a*b*x1 + x2 + x3", 1, "more than one modifier"),
        ("f =~ start(1)*x1 + x2 + x3", 1, "not understood"),
        ("f =~ a*x1 + x2 + x3\n\nind := a*b + foo(a)", 3, "only labels"),
        ("f =~ x1 + x2 + x3\nf =~ x1", 2, "already specified on line 1"),
        ("f =~ x1 + x2 + x3\ny1 ~ y1", 2, "regressed on itself"),
        ("f =~ x1 + x2 + x3\nx1 == x2", 2, "'==' is not supported"),
        ("f =~ a*x1 + x2 + x3\nb := a\nb := 2*a", 3, "defined twice"),
        ("f =~ a*x1 + x2 + x3\na := 2", 2, "also a parameter label"),
        ("f =~ x1 + x2 + x3\nhello", 2, "no operator"),
        ("f =~ x1 + x2 + x3; g =~ y1 ~ y2", 1, "more than one operator"),
    ],
)
def test_syntax_errors_name_the_line(model: str, line: int, fragment: str) -> None:
    with pytest.raises(ValueError, match=f"^model line {line}: .*{fragment}"):
        parse_sem(model)


@pytest.mark.parametrize(
    "model, opts, fragment",
    [
        ("f =~ a*x1 + x2 + x3\nind := a*q", {}, "model line 2: defined parameter 'ind' uses 'q'"),
        ("f =~ x1 + x2 + x3\ng =~ y1 + y2 + y3\nx1 ~ g", {}, "model line 3: 'x1' is an indicator"),
        ("f =~ x1 + x2 + x3\ng =~ f + y1 + y2", {}, "model line 2: 'f' is a latent variable used as an indicator"),
        ("f =~ x1 + x2 + x3\nf ~~ y1", {}, "model line 2: covariance 'f ~~ y1'"),
        ("f =~ x1 + x2 + zz", {}, "variable 'zz' is not a column"),
        ("f =~ y1 + y2 + y3\nf ~ x1", {"estimator": "MLR"}, "estimator: 'MLR' with exogenous observed covariates"),
        ("f =~ y1 + y2 + y3\nf ~ x1", {"se": "robust"}, "estimator: 'MLR' with exogenous observed covariates"),
        ("f =~ y1 + y2 + y3", {"se": "bootstrap"}, "seed: se='bootstrap' needs an integer seed"),
        ("f =~ y1 + y2 + y3", {"se": "jackknife"}, "se: expected 'standard', 'robust' or 'bootstrap'"),
        ("f =~ y1 + y2 + y3", {"equal": ("loadings",)}, "equal: group constraints need several groups"),
        ("f =~ c(a, b)*y1 + y2 + y3", {}, "model line 1: c[(]a, b[)] gives 2 modifiers of 'f =~ y1' for 1 group"),
        ("f =~ y1 + y2 + y3", {"group": "zz"}, "group: column 'zz' is not in data"),
        ("f =~ y1 + y2 + y3", {"estimator": "WLS"}, "estimator: expected 'ML' or 'MLR'"),
    ],
)
def test_model_errors_are_one_line(model: str, opts: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as err:
        sem(model, PD, **opts)
    assert "\n" not in str(err.value)


_ITEMS = [f"x{i}" for i in range(1, 10)]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=st.permutations(_ITEMS), nfac=st.sampled_from([1, 2, 3]), std_lv=st.booleans())
# two factors correlating .9996: Fisher scoring alone stopped with a gradient of 3e-7 and the two routes differed
# in the 7th digit; engine._newton_finish takes both to the same optimum
@example(order=["x4", "x7", "x8", "x1", "x5", "x6", "x2", "x3", "x9"], nfac=3, std_lv=True)
def test_cfa_and_sem_agree_on_measurement_models(order: list[str], nfac: int, std_lv: bool) -> None:
    # a pure measurement model: sem() and cfa() are the same model with the same defaults
    size = len(order) // nfac
    model = "\n".join(f"f{k} =~ " + " + ".join(order[k * size : (k + 1) * size]) for k in range(nfac))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Heywood cases are possible on arbitrary partitions, in both
        a = cfa(model, HS, std_lv=std_lv)
        b = sem(model, HS, std_lv=std_lv)
    pa = a.params.set_index(pd.MultiIndex.from_tuples(_key(a.params)))
    pb = b.params.set_index(pd.MultiIndex.from_tuples(_key(b.params)))
    assert sorted(pa.index) == sorted(pb.index)
    pb = pb.loc[pa.index]
    np.testing.assert_allclose(pb["est"], pa["est"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(pb["se"], pa["se"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(pb["std_all"], pa["std_all"], rtol=1e-6, atol=1e-8)
    fa, fb = a.fit_measures, b.fit_measures
    np.testing.assert_allclose(fb.to_numpy(dtype=float), fa.to_numpy(dtype=float), rtol=1e-8, atol=1e-8)


def test_cfa_and_sem_agree_with_groups() -> None:
    # the multi-group measurement model: cfa(group=) and sem(group=) fit the same mean structure
    model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    a, b = cfa(model, HS, group="school"), sem(model, HS, group="school")
    pa = a.params.set_index(["lhs", "op", "rhs", "group"])
    pb = b.params.set_index(["lhs", "op", "rhs", "group"]).loc[pa.index]
    np.testing.assert_allclose(pb["est"], pa["est"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pb["se"], pa["se"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        b.fit_measures.to_numpy(dtype=float), a.fit_measures.to_numpy(dtype=float), rtol=1e-7, atol=1e-8
    )


# --------------------------------------------------------------------------------------------
# groups with equality constraints, group-specific labels, MLR and robust SEs with a mean structure
# (tests/reference/sem_groups.R, which rewrites sem_groups.json byte for byte)
# --------------------------------------------------------------------------------------------
REF_G = json.loads((REF_DIR / "sem_groups.json").read_text())
_ALL_EQUAL = (
    "loadings", "intercepts", "residuals", "residual.covariances", "lv.variances", "lv.covariances", "regressions",
    "means",
)  # fmt: skip
FITS_G = {
    # sem(hs_model, data = HS, group = "school", group.equal = "loadings")
    "metric": ("hs_model", HS, {"group": "school", "equal": "loadings"}),
    # sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts"))
    "scalar": ("hs_model", HS, {"group": "school", "equal": ("loadings", "intercepts")}),
    # sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts"),
    #     group.partial = c("visual=~x2", "x7~1"))
    "partial": (
        "hs_model",
        HS,
        {"group": "school", "equal": ("loadings", "intercepts"), "group_partial": ("visual=~x2", "x7~1")},
    ),  # fmt: skip
    # sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts", "residuals",
    #     "residual.covariances", "lv.variances", "lv.covariances", "regressions", "means"))
    "strict": ("hs_model", HS, {"group": "school", "equal": _ALL_EQUAL}),
    # sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "regressions"), std.lv = TRUE)
    "stdlv": ("hs_model", HS, {"group": "school", "equal": ("loadings", "regressions"), "std_lv": True}),
    # sem(hs_labels, data = HS, group = "school")  (c(b1, b2)*textual, c(v, v)*visual, c(NA, 0.8)*x8, diff := b1 - b2)
    "labels": ("hs_labels", HS, {"group": "school"}),
    # sem(path_model, data = HS, group = "school")  (x4 ~ c(a1, a2)*x1; x7 ~ c(b1, b2)*x4 + x1; ind1 := a1*b1 ...)
    "path": ("path_model", HS, {"group": "school"}),
}
FITS_R = {
    # sem(hs_model, data = HS, group = "school", group.equal = "loadings", estimator = "MLR")
    "mlr_metric": ("hs_model", HS, {"group": "school", "equal": "loadings", "estimator": "MLR"}),
    # sem(pd_model, data = PD, estimator = "MLR")  (y1 ~ 1: a mean structure)
    "mlr_int": ("pd_model", PD, {"estimator": "MLR"}),
    # sem(pd_model, data = PD, se = "robust.huber.white")
    "robust": ("pd_model", PD, {"se": "robust"}),
    # sem(hs_model, data = HSM, group = "school", group.equal = c("loadings", "intercepts"), missing = "ml",
    #     estimator = "MLR")  (HSM: HS with about 10% MCAR missing, tests/reference/data/hs_missing.csv)
    "fiml_scalar": (
        "hs_model",
        HSM,
        {"group": "school", "equal": ("loadings", "intercepts"), "missing": "fiml", "estimator": "MLR"},
    ),  # fmt: skip
}


def _gmerged(fit: CFAResult, estimates: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ref = pd.DataFrame(estimates).rename(columns={"std.lv": "std_lv", "std.all": "std_all"})
    ref.index = pd.MultiIndex.from_tuples(_key(ref))
    ours = fit.params.copy()
    if "group" not in ours.columns:
        ours["group"] = 1  # parameterEstimates() without groups: the R script writes group 1 on every row
    ours.index = pd.MultiIndex.from_tuples(_key(ours))
    assert sorted(ours.index) == sorted(ref.index)  # the same parameters, defaults and constraints included
    return ours.loc[ref.index], ref


@pytest.fixture(scope="module")
def gfits() -> dict[str, CFAResult]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return {key: sem(REF_G[m], data, **opts) for key, (m, data, opts) in (FITS_G | FITS_R).items()}


@pytest.mark.parametrize("key", list(FITS_G) + list(FITS_R))
def test_groups_match_lavaan(gfits: dict[str, CFAResult], key: str) -> None:
    # parameterEstimates(fit, standardized = TRUE) and fitMeasures(fit) of the calls in FITS_G and FITS_R
    fit = gfits[key]
    assert fit.converged
    ours, ref = _gmerged(fit, REF_G[key]["estimates"])
    for col in ("est", "std_lv", "std_all"):
        if col in ref.columns:
            np.testing.assert_allclose(ours[col], ref[col].astype(float), rtol=1e-4, atol=1e-4, err_msg=col)
    np.testing.assert_allclose(ours["se"], ref["se"].astype(float), rtol=1e-5, atol=1e-5)
    fm = fit.fit_measures
    for name, value in REF_G[key]["fit"].items():
        # fmin: lavaan's F/2, not reported under that name. At df = 0 (the saturated path model) lavaan reports
        # tli 1 and rmsea 0 (interval 0, 0) by convention, and so does emstudy
        if name == "fmin" or value is None:
            continue
        assert fm[name] == pytest.approx(value, rel=1e-6, abs=1e-6), name
    if fit.missing == "fiml":  # lavaan stops short: its loglik never above ours (its chisq also has its EM's H1)
        assert fm["logl"] >= REF_G[key]["fit"]["logl"] - 1e-9
    else:  # lavaan stops short: its chisq is never below ours
        assert fit.fit.chisq <= REF_G[key]["fit"]["chisq"] + 1e-9


def test_group_equal_identification(gfits: dict[str, CFAResult]) -> None:
    def rows(key: str) -> pd.DataFrame:
        return gfits[key].params.set_index(["lhs", "op", "rhs", "group"])

    # equal intercepts free the latent means beyond group 1 (lavaan: visual~1 in group 2 is -0.1747)
    sc = rows("scalar")
    assert not sc.loc[("visual", "~1", "", 1), "free"] and sc.loc[("visual", "~1", "", 2), "free"]
    assert sc.loc[("x1", "~1", "", 1), "est"] == sc.loc[("x1", "~1", "", 2), "est"]
    # group.partial: visual=~x2 and x7~1 differ between the groups, visual=~x3 does not
    pa = rows("partial")
    assert pa.loc[("visual", "=~", "x2", 1), "est"] != pa.loc[("visual", "=~", "x2", 2), "est"]
    assert pa.loc[("x7", "~1", "", 1), "est"] != pa.loc[("x7", "~1", "", 2), "est"]
    assert pa.loc[("visual", "=~", "x3", 1), "est"] == pa.loc[("visual", "=~", "x3", 2), "est"]
    # with "means" as well, latent means stay 0; every class is equal across the groups
    st = gfits["strict"].params
    assert (
        st.loc[st["op"] == "~1", "free"] == st.loc[st["op"] == "~1", "lhs"].isin(gfits["strict"].model.observed)
    ).all()
    g1, g2 = (st[st["group"] == g].reset_index(drop=True) for g in (1, 2))
    np.testing.assert_array_equal(g1["est"], g2["est"])
    # std.lv with equal loadings: latent variances fixed to 1 in group 1 only
    sl = rows("stdlv")
    assert not sl.loc[("visual", "~~", "visual", 1), "free"] and sl.loc[("visual", "~~", "visual", 2), "free"]
    assert gfits["strict"].equal == _ALL_EQUAL and gfits["partial"].group_partial == ("visual=~x2", "x7~1")


def test_group_specific_labels(gfits: dict[str, CFAResult]) -> None:
    # sem(hs_labels, data = HS, group = "school"): c(b1, b2) differ, c(v, v) are equal, c(NA, 0.8)*x8 fixes group 2
    p = gfits["labels"].params.set_index(["lhs", "op", "rhs", "group"])
    assert p.loc[("speed", "~", "textual", 1), "label"] == "b1" and p.loc[("speed", "~", "textual", 2), "label"] == "b2"
    assert p.loc[("speed", "~", "visual", 1), "est"] == p.loc[("speed", "~", "visual", 2), "est"]
    assert p.loc[("speed", "=~", "x8", 1), "free"] and p.loc[("speed", "=~", "x8", 2), "est"] == 0.8
    d = gfits["labels"].params.set_index("label").loc["diff"]
    b1, b2 = p.loc[("speed", "~", "textual", 1), "est"], p.loc[("speed", "~", "textual", 2), "est"]
    assert d["est"] == pytest.approx(b1 - b2, rel=1e-12)
    # the two-group path model: ind1 := a1*b1, ind2 := a2*b2, diff := ind1 - ind2 (delta-method SEs)
    ind = gfits["path"].params.set_index("lhs")
    assert ind.loc["diff", "est"] == pytest.approx(ind.loc["ind1", "est"] - ind.loc["ind2", "est"], rel=1e-12)


def test_mlr_scaled_chisq_with_groups_and_intercepts(gfits: dict[str, CFAResult]) -> None:
    # fitMeasures(sem(..., estimator = "MLR"))[c("chisq.scaled", "chisq.scaling.factor")], to 1e-6
    for key in ("mlr_metric", "mlr_int", "fiml_scalar"):
        fm = gfits[key].fit_measures
        for name in ("chisq.scaled", "chisq.scaling.factor", "pvalue.scaled"):
            assert fm[name] == pytest.approx(REF_G[key]["fit"][name], rel=1e-6, abs=1e-6), (key, name)
    # se = "robust": the sandwich SEs of MLR with the ML chi-square (no scaling)
    assert gfits["robust"].fit.chisq == pytest.approx(gfits["mlr_int"].fit.chisq, rel=1e-12)
    np.testing.assert_allclose(gfits["robust"].params["se"], gfits["mlr_int"].params["se"], rtol=1e-10)


def test_group_option_errors() -> None:
    with pytest.raises(ValueError, match="equal: unknown constraint 'thresholds'"):
        sem(REF_G["hs_model"], HS, group="school", equal="thresholds")
    with pytest.raises(ValueError, match="group_partial: 'visual=~x9' is not a parameter"):
        sem(REF_G["hs_model"], HS, group="school", equal="loadings", group_partial="visual=~x9")
    with pytest.raises(ValueError, match="model line 2: c\\(a, b, c\\) gives 3 modifiers"):
        sem("f =~ x1 + x2 + x3\nf ~ c(a, b, c)*x4", HS, group="school")
    with pytest.raises(ValueError, match="estimator: 'MLR' with exogenous observed covariates"):
        sem(REF_G["path_model"], HS, group="school", estimator="MLR")


def test_robust_se_without_mean_structure() -> None:
    # lavaan's se = "robust.huber.white" SEs are the MLR ones (observed-information bread): sem(model, data = PD,
    # estimator = "MLR") of sem.R; the chi-square stays the ML one (fitMeasures(sem(model, data = PD))["chisq"])
    fit = sem(REF["model"], PD, se="robust")
    ours, ref = _merged(fit, REF["mlr"]["estimates"])
    np.testing.assert_allclose(ours["se"], ref["se"].astype(float), rtol=1e-4, atol=2e-5)
    assert fit.fit.chisq == pytest.approx(REF["ml"]["fit"]["chisq"], rel=1e-7)
    assert np.isnan(fit.fit_measures.get("chisq.scaled", np.nan))
