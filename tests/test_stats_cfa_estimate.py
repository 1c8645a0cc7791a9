"""cfa() is sem() with lavaan's cfa() defaults: the same fit, to the last bit, for every option set.

lavaan's cfa() and sem() share their defaults (auto.fix.first, auto.var, auto.cov.lv.x); emstudy's cfa()
checks its own options and then runs sem()'s fit sequence (``emstudy.stats.sem._fit_sem``) on the
measurement model. The expected values here are sem()'s own results, which tests/test_stats_sem.py checks
against lavaan; cfa()'s are checked against lavaan in tests/test_stats_cfa*.py.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import HeywoodWarning, MissingDataWarning, ModelWarning
from emstudy.stats.cfa import MeasurementModel, cfa, parse_model
from emstudy.stats.sem import sem

DATA = Path(__file__).parent / "reference" / "data"
HS = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
HSM = pd.read_csv(DATA / "hs_missing.csv")  # HS with values deleted (tests/reference/cfa_fiml.R)
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
ITEMS = [f"x{i}" for i in range(1, 10)]
BY_SCHOOL = {s: d for s, d in HS.groupby("school", sort=False)}

OPTION_SETS = {
    "ml": (HS, {}),
    "mlr": (HS, {"estimator": "MLR"}),
    "fiml": (HSM, {"missing": "fiml"}),
    "fiml_mlr_groups": (HSM, {"missing": "fiml", "estimator": "MLR", "group": "school"}),
    "groups_partial": (
        HS,
        {
            "group": "school",
            "equal": ("loadings", "intercepts", "residuals", "lv.covariances"),
            "group_partial": ("x3~1", "visual=~x2", "x7~~x7"),
        },
    ),
    "groups_means": (HS, {"group": "school", "equal": ("loadings", "intercepts", "means", "lv.variances")}),
    "groups_mlr": (HS, {"group": "school", "estimator": "MLR"}),
    "std_lv": (HS, {"std_lv": True}),
    "std_lv_metric": (HS, {"group": "school", "equal": ("loadings",), "std_lv": True}),
    "sample_cov": (None, {"sample_cov": HS[ITEMS].cov(), "sample_nobs": len(HS)}),
    "sample_cov_groups": (
        None,
        {
            "sample_cov": {s: d[ITEMS].cov() for s, d in BY_SCHOOL.items()},
            "sample_mean": {s: d[ITEMS].mean() for s, d in BY_SCHOOL.items()},
            "sample_nobs": {s: len(d) for s, d in BY_SCHOOL.items()},
            "equal": ("loadings", "intercepts"),
        },
    ),
}


@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_cfa_is_sem_with_the_same_options(name: str) -> None:
    data, opts = OPTION_SETS[name]
    with warnings.catch_warnings(record=True) as caught_cfa:
        warnings.simplefilter("always")
        a = cfa(HS_MODEL, data, **opts)
    with warnings.catch_warnings(record=True) as caught_sem:
        warnings.simplefilter("always")
        b = sem(HS_MODEL, data, **opts)
    # the same numbers to the last bit: one fit sequence, not two that agree
    pd.testing.assert_frame_equal(a.params, b.params, check_exact=True)
    pd.testing.assert_series_equal(a.fit_measures, b.fit_measures, check_exact=True)
    assert (a.converged, a.iterations, a.groups, a.n_obs) == (b.converged, b.iterations, b.groups, b.n_obs)
    for x, y in [*zip(a.implied_cov, b.implied_cov), *zip(a.sample_cov, b.sample_cov)]:
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert (a.equal, a.group_partial, a.std_lv, a.missing) == (b.equal, b.group_partial, b.std_lv, b.missing)
    # what tells them apart: the model as given, the kind in the summary, and each one's own warning texts
    assert isinstance(a.model, MeasurementModel) and a.model == parse_model(HS_MODEL)
    assert a.kind == "CFA" and b.kind == "SEM" and a.summary().startswith("CFA (") and b.summary().startswith("SEM (")
    assert [w.category for w in caught_cfa] == [w.category for w in caught_sem]


def test_cfa_keeps_its_parameter_columns_and_gains_sems() -> None:
    # parameterEstimates(cfa(HS.model, data = HS), standardized = TRUE): lhs op rhs label ... std.lv std.all
    cols = list(cfa(HS_MODEL, HS).params.columns)
    assert cols == ["lhs", "op", "rhs", "label", "free", "est", "se", "z", "pvalue", "ci_lower", "ci_upper"] + [
        "std_lv",
        "std_all",
    ]
    grouped = list(cfa(HS_MODEL, HS, group="school").params.columns)
    assert grouped[:5] == ["lhs", "op", "rhs", "group", "group_label"]


def _exact_data(cor: np.ndarray, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows whose biased covariance matrix is exactly ``cor``."""
    z = np.random.default_rng(seed).standard_normal((n, cor.shape[0]))
    z = (z - z.mean(axis=0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T
    return pd.DataFrame(z @ np.linalg.cholesky(cor).T, columns=[f"a{i + 1}" for i in range(cor.shape[0])])


def test_cfa_heywood_warnings_name_item_and_group() -> None:
    # cfa() keeps its own Heywood warnings, with the group named. One factor, three items: in group "b"
    # lambda_1^2 = r12 r13 / r23 = 0.64 / 0.5 > 1 (a1's residual variance 1 - 1.28 < 0), group "a" is proper
    proper = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 1.0]])
    improper = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    data = pd.concat([_exact_data(proper, 200, 1).assign(g="a"), _exact_data(improper, 200, 2).assign(g="b")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cfa("f =~ a1 + a2 + a3", data, group="g")
    assert fit.converged
    theta = fit.params.query("lhs == 'a1' and op == '~~' and group_label == 'b'")["est"].item()
    assert theta == pytest.approx(1 - 0.64 / 0.5, abs=1e-4)
    assert [(w.category, str(w.message).split(";")[0]) for w in caught] == [
        (HeywoodWarning, "cfa: Heywood case in group 'b': negative residual variance for item 'a1' (-0.280)"),
        (HeywoodWarning, "cfa: Heywood case in group 'b': standardized loading of item 'a1' on 'f' is 1.131 (> 1)"),
    ]
    assert all(w.filename == __file__ for w in caught)  # attributed to the line calling cfa()


def test_singular_information_gives_no_standard_errors_in_sem_either() -> None:
    # two uncorrelated two-item factors (empirically under-identified): sem(), like cfa(), warns and gives NaN
    # standard errors instead of the inverse of a numerically singular matrix
    cor = np.array([[1.0, 0.5, 0, 0], [0.5, 1.0, 0, 0], [0, 0, 1.0, 0.4], [0, 0, 0.4, 1.0]])
    data = _exact_data(cor, 200, 1)
    for fun in (cfa, sem):
        with pytest.warns(ModelWarning, match="information matrix is singular"), warnings.catch_warnings():
            warnings.simplefilter("ignore", HeywoodWarning)
            res = fun("f1 =~ a1 + a2; f2 =~ a3 + a4", data)
        assert res.params.loc[res.params["free"], "se"].isna().all()


def test_std_lv_with_equal_loadings_and_latent_variances_fixes_every_variance() -> None:
    # fit <- cfa(HS.model, HolzingerSwineford1939, group = "school", std.lv = TRUE,
    #            group.equal = c("loadings", "lv.variances"))
    # parTable(fit): the factor variances are fixed at 1 in both groups (free = 0); fitMeasures(fit, "df"): 57.
    # (cfa()'s former table freed each factor's variance beyond group 1: df 54, against lavaan's 57.)
    fit = cfa(HS_MODEL, HS, group="school", std_lv=True, equal=("loadings", "lv.variances"))
    p = fit.params
    var = p[(p["op"] == "~~") & (p["lhs"] == p["rhs"]) & p["lhs"].isin(["visual", "textual", "speed"])]
    assert len(var) == 6 and not var["free"].any() and (var["est"] == 1.0).all()
    assert fit.fit.df == 57


# --------------------------------------------------------------------------------------------
# ordered items: cfa(..., ordered=..., estimator="WLSMV" ...) is sem()'s WLS fit of the measurement model
# --------------------------------------------------------------------------------------------
WLSMV = json.loads((Path(__file__).parent / "reference" / "wlsmv.json").read_text())  # tests/reference/wlsmv.R
BFI = pd.read_csv(DATA / "bfi.csv")
BFI_ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
BFI_MODEL = "agree =~ A1 + A2 + A3 + A4 + A5; consc =~ C1 + C2 + C3 + C4 + C5"
X1 = BFI[BFI_ITEMS].dropna()  # x1 <- bfi[complete.cases(bfi[, items]), items]
G = BFI[BFI_ITEMS + ["gender"]].dropna().assign(gender=lambda d: np.where(d["gender"] == 1, "male", "female"))

ORDERED_SETS = {
    "wlsmv": (X1, {"ordered": True, "estimator": "WLSMV"}),
    "wlsmv_theta_groups": (
        G,
        {"ordered": BFI_ITEMS, "estimator": "WLSMV", "parameterization": "theta", "group": "gender"},
    ),
    "uls_std_lv": (X1, {"ordered": True, "estimator": "ULS", "std_lv": True}),
    "dwls_pairwise": (BFI[BFI_ITEMS], {"ordered": True, "estimator": "DWLS", "missing": "pairwise"}),
}


@pytest.fixture(scope="module")
def ordered_fits() -> dict:
    out = {}
    for name, (data, opts) in ORDERED_SETS.items():
        with warnings.catch_warnings(record=True) as caught_cfa:
            warnings.simplefilter("always")
            a = cfa(BFI_MODEL, data, **opts)
        with warnings.catch_warnings(record=True) as caught_sem:
            warnings.simplefilter("always")
            b = sem(BFI_MODEL, data, **opts)
        out[name] = (a, b, caught_cfa, caught_sem)
    return out


@pytest.mark.parametrize("name", list(ORDERED_SETS))
def test_cfa_ordered_is_sem_ordered(ordered_fits: dict, name: str) -> None:
    a, b, caught_cfa, caught_sem = ordered_fits[name]
    pd.testing.assert_frame_equal(a.params, b.params, check_exact=True)
    pd.testing.assert_series_equal(a.fit_measures, b.fit_measures, check_exact=True)
    assert (a.converged, a.iterations, a.groups, a.n_obs, a.estimator) == (
        b.converged,
        b.iterations,
        b.groups,
        b.n_obs,
        b.estimator,
    )
    for x, y in [*zip(a.implied_cov, b.implied_cov), *zip(a.sample_cov, b.sample_cov)]:
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert a.kind == "CFA" and a.model == parse_model(BFI_MODEL) and (a.params["op"] == "|").sum() == 50 * len(a.groups)
    assert [(w.category, str(w.message)) for w in caught_cfa] == [(w.category, str(w.message)) for w in caught_sem]


def test_cfa_ordered_matches_lavaan(ordered_fits: dict) -> None:
    # cfa(model, data = x1, ordered = TRUE, estimator = "WLSMV")  (tests/reference/wlsmv.json, "single_delta")
    ref = WLSMV["fits"]["single_delta"]
    fit = ordered_fits["wlsmv"][0]
    assert fit.fit_measures["chisq"] == pytest.approx(449.277790951412, rel=1e-6)
    assert fit.fit_measures["chisq.scaled"] == pytest.approx(593.495678232222, rel=1e-6)
    assert fit.fit_measures["chisq.scaling.factor"] == pytest.approx(0.764275815339401, rel=1e-6)
    assert fit.fit_measures["cfi.scaled"] == pytest.approx(0.94645761654444, rel=1e-6)
    # parameterEstimates(fit)[2, ]: agree =~ A2, est -1.76945471698386
    assert (ref["parameters"]["lhs"][1], ref["parameters"]["rhs"][1]) == ("agree", "A2")
    assert fit.params.query("lhs == 'agree' and rhs == 'A2'")["est"].item() == pytest.approx(
        -1.76945471698386, abs=1e-5
    )


def test_cfa_ordered_warnings_are_the_callers() -> None:
    # incomplete rows: dropped with a warning attributed to the line calling cfa()
    with pytest.warns(MissingDataWarning, match="168 of 2800 rows") as caught:
        cfa(BFI_MODEL, BFI[BFI_ITEMS], ordered=True, estimator="WLSMV")
    assert [w.filename for w in caught] == [__file__]


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"estimator": "WLSMV"}, "^estimator: 'WLSMV' needs ordered items; pass ordered=True or a list of items"),
        ({"ordered": False, "estimator": "wlsmv"}, "^estimator: 'WLSMV' needs ordered items"),
        ({"parameterization": "theta"}, "^parameterization: 'theta' needs ordered items; pass ordered=True or a list"),
        ({"ordered": True, "estimator": "ML"}, "^estimator: ordered items need one of .*got 'ML'$"),
        ({"ordered": True, "estimator": "mlr"}, "^estimator: ordered items need one of .*got 'MLR'$"),
        ({"ordered": [*BFI_ITEMS, "q9"]}, "^ordered: 'q9' is not a column of data; check the spelling"),
        ({"ordered": 3}, "^ordered: expected True, False or a list of item names, got 3$"),
        ({"estimator": 1}, "^estimator: expected a name such as 'ML'"),
        ({"ordered": True, "estimator": "WLSMV", "missing": "fiml"}, "missing: 'fiml' is not available"),
        ({"ordered": True, "estimator": "WLSMV", "parameterization": "gamma"}, "parameterization: expected"),
        ({"estimator": "XX"}, r"estimator: expected 'ML' or 'MLR' \(or, with ordered=True, 'WLSMV'"),
    ],
)
def test_cfa_ordered_bad_options(opts: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cfa(BFI_MODEL, X1, **opts)


@pytest.mark.parametrize("arg", ["sample_cov", "sample_mean", "sample_nobs"])
def test_cfa_ordered_needs_raw_data(arg: str) -> None:
    value = {"sample_cov": X1.cov(), "sample_mean": X1.mean(), "sample_nobs": len(X1)}[arg]
    with pytest.raises(ValueError, match=f"^{arg}: ordered items need the raw answers"):
        cfa(BFI_MODEL, X1, ordered=True, estimator="WLSMV", **{arg: value})


def test_summary_of_a_wlsmv_fit_in_lavaans_words(ordered_fits: dict) -> None:
    # lavaan's summary(fit) of cfa(model, data = x1, ordered = TRUE, estimator = "WLSMV"): estimator DWLS, the
    # standard and the scaled-shifted test statistic (tests/reference/wlsmv.json: chisq 449.277790951412,
    # chisq.scaled 593.495678232222, chisq.scaling.factor 0.764275815339401; shift = scaled - chisq / factor),
    # no log-likelihood, a Thresholds section and the Scales y* (1 in the delta parameterization), as lavaan's
    fit = ordered_fits["wlsmv"][0]
    lines = fit.summary().splitlines()
    assert lines[0].startswith("CFA (WLSMV: estimator DWLS, robust standard errors, scaled-shifted test), converged")
    shift = 593.495678232222 - 449.277790951412 / 0.764275815339401
    assert "Test statistic (standard) = 449.278, df = 34, p = 5.965e-74" in lines
    assert (
        f"Test statistic (scaled-shifted) = 593.496, df = 34, p = 2.43e-103, scaling factor = 0.764, "
        f"shift parameter = {shift:.3f}"
    ) in lines
    assert lines[lines.index("Thresholds:") + 1].split() == ["lhs", "op", "rhs", "label", "est", "se", "z"] + [
        "pvalue",
        "std_lv",
        "std_all",
    ]
    assert sum(1 for ln in lines if " |  t" in ln) == 50
    assert lines.index("Thresholds:") > max(i for i, ln in enumerate(lines) if "=~" in ln)
    text = fit.summary()
    for absent in ("Yuan-Bentler", "Log-likelihood", "AIC", "BIC", "nan"):
        assert absent not in text, absent
    # to_frame(): lavaan's parameterEstimates rows with the thresholds; fit_measures without likelihood measures
    assert (fit.to_frame()["op"] == "|").sum() == 50
    fm = fit.fit.to_series()
    assert not {"logl", "unrestricted.logl", "aic", "bic", "bic2"} & set(fm.index)
    assert fm["chisq.shift.parameter"] == pytest.approx(shift, rel=1e-6)


def test_summary_of_other_least_squares_fits(ordered_fits: dict) -> None:
    theta = ordered_fits["wlsmv_theta_groups"][0].summary().splitlines()
    assert theta[1].startswith("Groups: ") and theta[0].startswith("CFA (WLSMV: estimator DWLS")
    assert "Scales y*:" in theta and theta.index("Scales y*:") > theta.index("Thresholds:")
    assert sum(1 for ln in theta if "~*~" in ln) == 20  # ten items, two groups
    # ULS: lavaan gives no p-value for the standard statistic (NA), and there is no scaled-shifted test
    uls = ordered_fits["uls_std_lv"][0].summary()
    assert uls.startswith("CFA (ULS), converged")
    assert "p = NA" in uls.splitlines()[4] and "scaled-shifted" not in uls and "Scaled:" not in uls
    # ML keeps its own wording
    ml = cfa(HS_MODEL, HS).summary()
    assert "Log-likelihood = " in ml and "Test statistic" not in ml and "Thresholds:" not in ml


def test_cfa_takes_lavaans_estimator_default_and_any_case(ordered_fits: dict) -> None:
    # lavaan: cfa(model, data = x1, ordered = TRUE) is WLSMV; estimator = "mlr" is MLR; ordered = FALSE is none
    wlsmv = ordered_fits["wlsmv"][0]
    for opts in ({"ordered": True}, {"ordered": BFI_ITEMS, "estimator": "wlsmv"}):
        fit = cfa(BFI_MODEL, X1, **opts)
        assert fit.estimator == "WLSMV" and fit.kind == "CFA"
        pd.testing.assert_frame_equal(fit.params, wlsmv.params)
    hs_ml = cfa(HS_MODEL, HS)
    assert cfa(HS_MODEL, HS, ordered=False).fit.chisq == hs_ml.fit.chisq
    mlr = cfa(HS_MODEL, HS, estimator="mlr")
    assert mlr.estimator == "MLR" and mlr.fit.chisq_scaled > 0


def test_cfa_ordered_groups_refuse_an_empty_category_at_the_callers_line() -> None:
    # as sem: a category chosen by one group only (lavaan: "some categories of variable `A1' are empty in group 1")
    g = G.copy()
    g.loc[(g["gender"] == "male") & (g["A1"] == 1), "A1"] = 2
    with pytest.raises(ValueError, match=r"^data column 'A1': category 1 is empty in group 'male' of 'gender'"):
        cfa(BFI_MODEL, g, ordered=True, group="gender")
    g.loc[g.index[:30], "A3"] = np.nan
    g.loc[g["A1"] == 1, "A1"] = 2
    with pytest.warns(MissingDataWarning, match=r"^cfa: in group '\w+' of 'gender', \d+ of \d+ rows") as caught:
        cfa(BFI_MODEL, g, ordered=True, group="gender")
    assert {w.filename for w in caught} == {__file__}


def test_repr_shows_the_statistic_the_estimator_reports() -> None:
    # a WLSMV fit shows its scaled statistic (as summary() and FitMeasures do), an ML fit its standard one
    d = pd.read_csv(DATA / "wlsmv_unequal_groups.csv")  # SYNTHETIC
    model = "f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5 + x6"
    wlsmv = cfa(model, d, ordered=True)
    text = repr(wlsmv)
    assert "estimator=WLSMV" in text and f"chisq_scaled={wlsmv.fit.chisq_scaled:.3f}" in text
    assert f"CFI_scaled={wlsmv.fit.cfi_scaled:.3f}" in text and "chisq=" not in text
    ml = cfa(model, d)
    assert "estimator=ML" in repr(ml) and f"chisq={ml.fit.chisq:.3f}" in repr(ml) and "scaled" not in repr(ml)


def test_a_reverse_keyed_marker_converges() -> None:
    # bfi, complete rows: A1 (the marker of agree) is reverse-keyed. With every loading starting at +1 the ML fit
    # ended at a zero factor variance, not converged. lavaan 0.6.14: cfa(model, data = bfi[complete.cases(bfi[, it]),
    # it]) converges: fitMeasures(fit, "chisq") 503.3404648376, coef(fit)[1:4] -1.505122 -1.881094 -1.435372 -1.52791
    bfi = pd.read_csv(DATA / "bfi.csv")
    items = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
    model = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = cfa(model, bfi[items].dropna())
    assert fit.converged
    assert fit.fit.chisq == pytest.approx(503.3404648376, rel=1e-8)
    agree = fit.params.query("lhs == 'agree' and op == '=~' and rhs != 'A1'")["est"]
    np.testing.assert_allclose(agree, [-1.505122, -1.881094, -1.435372, -1.52791], atol=2e-6)
