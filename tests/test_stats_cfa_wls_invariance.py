"""Tests of ordinal measurement invariance by WLSMV (emstudy.stats.cfa.wls_groups, invariance_ordinal;
sem(..., ordered=..., equal=...), invariance(..., ordered=...)) against R lavaan 0.6.14.

Fixture: tests/reference/wlsmv_invariance.R (wlsmv_invariance.json): the bfi items A1-A5, C1-C5 by gender
(tests/reference/data/bfi.csv, complete rows; gender 1 = "male", 2 = "female"), the levels configural,
thresholds, thresholds + loadings, thresholds + loadings + intercepts in the delta and theta
parameterizations, lavTestLRT between consecutive levels, and group.equal = "intercepts" alone, "loadings"
alone, a group.partial and theta with equal residuals.

Tolerances (issue 15): estimates, standard errors and standardized values 1e-4 (the largest difference is
3.9e-5, theta configural); the thresholds of the configural model (the sample ones) 1e-5; fit measures 1e-6
(relative) where lavaan converges, 1e-5 elsewhere (largest 1.1e-6); the difference tests 5e-5 (largest
1.1e-5), and 1e-6 at lavaan's own estimates (``test_difference_test_at_lavaans_estimates``). The groups weigh
in the discrepancy function by (N_g - 1) / N, as lavaan's (``_WLSModel.fit_w``): with N_g / N the estimates
under equal thresholds were 1.4e-4 away from lavaan's, which an earlier version of these tests put down to
lavaan stopping short; ``test_group_weights_are_lavaans`` keeps that from coming back.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import MissingDataWarning
from emstudy.stats import chisq_difference, invariance
from emstudy.stats.cfa import CFAResult, parse_sem
from emstudy.stats.cfa.semengine import _layout
from emstudy.stats.cfa.wls import _group_rows, _sem_ordered
from emstudy.stats.cfa.wls_groups import _satorra2000
from emstudy.stats.sem import sem

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "wlsmv_invariance.json").read_text())
BFI = pd.read_csv(REF_DIR / "data" / "bfi.csv")
ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
G = BFI[ITEMS + ["gender"]].dropna().assign(gender=lambda d: np.where(d["gender"] == 1, "male", "female"))
LEVELS = {
    "configural": (),
    "thresholds": ("thresholds",),
    "thresholds_loadings": ("thresholds", "loadings"),
    "thresholds_loadings_intercepts": ("thresholds", "loadings", "intercepts"),
}
# key -> options of sem() beside ordered=ITEMS, estimator="WLSMV", group="gender"; the lavaan call of each is the
# fixture's "call", e.g. cfa(model, data = g, ordered = items, estimator = 'WLSMV', parameterization = 'delta',
# group = 'gender', group.equal = c('thresholds', 'loadings'))
FITS = {
    f"{par}_{lev}": {"parameterization": par, "equal": eq} for par in ("delta", "theta") for lev, eq in LEVELS.items()
}
FITS |= {
    # cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender', group.equal = 'intercepts')
    "delta_intercepts_only": {"equal": ("intercepts",)},
    # cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender', group.equal = 'loadings')
    "delta_loadings_only": {"equal": ("loadings",)},
    # cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender', group.equal = c('thresholds',
    # 'loadings'), group.partial = c('A1|t2', 'C5|t5', 'agree =~ A2'))
    "delta_partial": {"equal": ("thresholds", "loadings"), "group_partial": ["A1|t2", "C5|t5", "agree =~ A2"]},
    # cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender', parameterization = 'theta',
    # group.equal = c('thresholds', 'loadings', 'residuals'))
    "theta_residuals": {"parameterization": "theta", "equal": ("thresholds", "loadings", "residuals")},
}
# cfa(model, data = g, ordered = items, estimator = 'ULSMV', group = 'gender', group.equal = c(...))
FITS |= {f"ulsmv_{lev}": {"estimator": "ULSMV", "equal": LEVELS[lev]} for lev in list(LEVELS)[:3]}
# lavaan converges (its estimates within 3e-6 of the optimum): the configural fit, delta parameterization
CONVERGED = ("delta_configural",)


@pytest.fixture(scope="module")
def states() -> dict[str, tuple]:
    mm = parse_sem(REF["model"])
    opts = {"ordered": ITEMS, "group": "gender", "std_lv": False, "max_iter": 500}
    out = {}
    for key, o in FITS.items():
        o = {"parameterization": "delta", "estimator": "WLSMV"} | o
        out[key] = _sem_ordered(mm, _layout(mm), G, with_state=True, **opts, **o)
    return out


@pytest.fixture(scope="module")
def fits(states: dict[str, tuple]) -> dict[str, CFAResult]:
    return {key: s[0] for key, s in states.items()}


def _ref(key: str) -> dict:
    return REF["fits"][key]


def test_sem_is_the_same_fit(fits: dict[str, CFAResult]) -> None:
    # the public route: sem(model, g, ordered=ITEMS, estimator="WLSMV", group="gender", equal=[...])
    fit = sem(REF["model"], G, ordered=ITEMS, estimator="WLSMV", group="gender", equal=["thresholds", "loadings"])
    pd.testing.assert_frame_equal(fit.params, fits["delta_thresholds_loadings"].params)
    assert fit.equal == ("thresholds", "loadings")


@pytest.mark.parametrize("key", list(FITS))
def test_parameter_table_and_identification_are_lavaans(fits: dict[str, CFAResult], key: str) -> None:
    # parameterEstimates(fit, remove.nonfree = FALSE, standardized = TRUE): the same rows in the same order, and
    # the same free parameters (parTable(fit)$free > 0): lavaan's identification at each level
    ref = pd.DataFrame(_ref(key)["parameters"])
    p = fits[key].params
    assert list(zip(p["lhs"], p["op"], p["rhs"], p["group"])) == list(
        zip(ref["lhs"], ref["op"], ref["rhs"], ref["group"])
    )
    assert list(p["free"]) == list(ref["free"].astype(bool))
    assert fits[key].groups == tuple(REF["group_labels"])  # lavInspect(fit, "group.label")
    assert fits[key].fit.npar == _ref(key)["fit"]["npar"]
    assert fits[key].converged


def test_identification_with_equal_thresholds(fits: dict[str, CFAResult]) -> None:
    # lavaan 0.6.14 (the free rows of parTable(fit), also checked row by row above): with equal thresholds, the
    # scaling factors (delta) or residual variances (theta) and the latent means are free in group 2; equal
    # loadings alone free nothing; equal intercepts alone are equal thresholds
    def free(key: str, op: str, lhs: tuple) -> list[bool]:
        p = fits[key].params
        return list(p.loc[(p["op"] == op) & (p["group"] == 2) & p["lhs"].isin(lhs), "free"])

    lat = ("agree", "consc")
    for lev in ("thresholds", "thresholds_loadings", "thresholds_loadings_intercepts"):
        assert all(free(f"delta_{lev}", "~*~", tuple(ITEMS))) and all(free(f"delta_{lev}", "~1", lat))
        assert all(free(f"theta_{lev}", "~~", tuple(ITEMS))) and all(free(f"theta_{lev}", "~1", lat))
    for key in ("delta_configural", "theta_configural", "delta_loadings_only"):
        assert not any(free(key, "~*~", tuple(ITEMS))) and not any(free(key, "~1", lat))
    assert not any(free("theta_residuals", "~~", tuple(ITEMS))) and all(free("theta_residuals", "~1", lat))
    a, b = fits["delta_intercepts_only"].params, fits["delta_thresholds"].params
    np.testing.assert_allclose(a["est"], b["est"], atol=1e-10)
    th = fits["delta_thresholds"].params.query("op == '|'")
    np.testing.assert_array_equal(th.loc[th["group"] == 1, "est"], th.loc[th["group"] == 2, "est"])


@pytest.mark.parametrize("key", list(FITS))
def test_estimates_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # parameterEstimates(fit, remove.nonfree = FALSE, standardized = TRUE): est, se, std.all
    ref = pd.DataFrame(_ref(key)["parameters"])
    p = fits[key].params
    tol = 1e-4
    for col in ("est", "se", "std_all"):
        np.testing.assert_allclose(p[col], ref[col].astype(float), rtol=0, atol=tol, err_msg=col)
    if key == "delta_configural":  # the sample thresholds
        th = (ref["op"] == "|").to_numpy()
        np.testing.assert_allclose(p.loc[th, "est"], ref.loc[th, "est"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("key", list(FITS))
def test_fit_measures_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # fitMeasures(fit, measures) as listed in the fixture
    fm = fits[key].fit_measures
    rel = 1e-6 if key in CONVERGED else 1e-5
    for name, value in _ref(key)["fit"].items():
        if name in ("df.scaled",):  # scaled-shifted: the model's degrees of freedom
            assert value == fm["df"]
        elif value == "NA":  # the ULS statistic has no p-value in lavaan
            assert np.isnan(fm[name]), name
        else:
            assert fm[name] == pytest.approx(value, rel=rel, abs=1e-12), name


def _lavaan_x(state: tuple, key: str) -> np.ndarray:
    """emstudy's free vector filled with lavaan's estimates of the fit ``key``."""
    fit, model, x = state
    mm = parse_sem(REF["model"])
    ref = pd.DataFrame(_ref(key)["parameters"]).set_index(["lhs", "op", "rhs", "group"])["est"]
    out = x.copy()
    for g in range(model.G):
        for lhs, op, rhs, _label, k, _est, _std in _group_rows(_layout(mm), len(mm.statements), model, x, g):
            if k >= 0:
                out[k] = ref[(lhs, op, rhs, g + 1)]
    return out


@pytest.mark.parametrize("key", list(FITS))
def test_at_least_as_low_as_lavaan(states: dict[str, tuple], key: str) -> None:
    # the DWLS discrepancy at emstudy's estimates is not above its value at lavaan's (parameterEstimates)
    fit, model, x = states[key]
    xr = _lavaan_x(states[key], key)
    assert model.fun(x) <= model.fun(xr) + 1e-14
    assert np.max(np.abs(model.normal_equations(x)[1])) < 1e-9


@pytest.mark.parametrize("par", ["delta", "theta", "ulsmv"])
def test_difference_test_at_lavaans_estimates(states: dict[str, tuple], par: str) -> None:
    # lavTestLRT(fit_configural, fit_thresholds) etc. (method "satorra.2000", A.method "delta", scaled.shifted):
    # the test at lavaan's own estimates, with lavaan's chisq (fitMeasures(fit, "chisq")), is lavaan's
    pairs = [("configural", "thresholds"), ("thresholds", "thresholds_loadings"), ("configural", "thresholds_loadings")]
    for lo, hi in pairs if par != "ulsmv" else pairs[:2]:
        k1, k0 = f"{par}_{lo}", f"{par}_{hi}"
        name = f"{par}_{hi}" if lo != "configural" or hi == "thresholds" else f"{par}_{hi}_vs_configural"
        ref = REF["tests"][name]
        (f1, m1, _), (f0, m0, _) = states[k1], states[k0]
        out = _satorra2000(m1, _lavaan_x(states[k1], k1), f1.fit, m0, _lavaan_x(states[k0], k0), f0.fit)
        assert out["a"] == pytest.approx(ref["a"], rel=1e-6), name  # attr(lavTestLRT(...), "scale")
        assert out["b"] == pytest.approx(ref["b"], rel=1e-6), name  # attr(lavTestLRT(...), "shift")
        t = (_ref(k0)["fit"]["chisq"] - _ref(k1)["fit"]["chisq"]) * out["a"] + out["b"]
        assert t == pytest.approx(ref["chisq_diff"], rel=1e-6), name  # lavTestLRT(...)[2, "Chisq diff"]
        assert out["df_diff"] == ref["df_diff"]


@pytest.fixture(scope="module", params=["delta", "theta"])
def inv(request: pytest.FixtureRequest) -> tuple:
    res = invariance(REF["model"], G, "gender", ordered=ITEMS, parameterization=request.param)
    return request.param, res


def test_invariance_sequence_matches_lavaan(inv: tuple, fits: dict[str, CFAResult]) -> None:
    # the four levels as the fits above; lavTestLRT between consecutive levels (the fixture's "tests")
    par, res = inv
    names = ["configural", "thresholds", "thresholds+loadings", "thresholds+loadings+intercepts"]
    assert list(res.table.index) == names and res.estimator == "WLSMV"
    for name, key in zip(names, LEVELS):
        assert res.fits[name].fit.chisq == pytest.approx(fits[f"{par}_{key}"].fit.chisq, rel=1e-10)
        assert res.table.loc[name, "df"] == _ref(f"{par}_{key}")["fit"]["df"]
    for name, key in zip(names[1:], list(LEVELS)[1:]):
        ref = REF["tests"][f"{par}_{key}"]
        row = res.table.loc[name]
        assert row["df_diff"] == ref["df_diff"]
        if ref["df_diff"] == 0:  # lavaan 0.6.14: "+intercepts" is the model before (intercepts are fixed at 0)
            assert row["chisq_diff"] == 0 and np.isnan(row["pvalue_diff"]) and ref["pvalue"] == "NA"
            continue
        assert row["chisq_diff"] == pytest.approx(ref["chisq_diff"], abs=5e-5)
        assert row["pvalue_diff"] == pytest.approx(ref["pvalue"], rel=1e-5)
        dcfi = res.fits[name].fit.cfi_scaled - res.fits[row["compared_with"]].fit.cfi_scaled
        assert row["delta_cfi"] == pytest.approx(dcfi, abs=1e-12)
    # bfi by gender: the scaled CFI changes by -0.0069 and +0.0052, the scaled RMSEA by less than 0.015
    assert res.level == "thresholds+loadings+intercepts"
    assert "Satorra 2000" in res.summary() and "scaled CFI" in res.summary()


def test_ulsmv_sequence_matches_lavaan() -> None:
    # invariance(..., estimator="ULSMV"): lavTestLRT(fit_configural, fit_thresholds) and
    # lavTestLRT(fit_thresholds, fit_thresholds_loadings) of the ULSMV fits (the fixture's "tests")
    res = invariance(REF["model"], G, "gender", ordered=ITEMS, estimator="ULSMV")
    for name, key in (("thresholds", "thresholds"), ("thresholds+loadings", "thresholds_loadings")):
        ref = REF["tests"][f"ulsmv_{key}"]
        assert res.table.loc[name, "chisq_diff"] == pytest.approx(ref["chisq_diff"], abs=5e-5)
        assert res.table.loc[name, "df_diff"] == ref["df_diff"]
        assert res.table.loc[name, "cfi_scaled"] == pytest.approx(_ref(f"ulsmv_{key}")["fit"]["cfi.scaled"], rel=1e-5)


def test_dwls_uses_the_plain_difference() -> None:
    # lavTestLRT with unscaled statistics (DWLS): the difference of the chisq
    res = invariance(REF["model"], G, "gender", ordered=ITEMS, estimator="DWLS")
    t = res.table
    assert t.loc["thresholds", "chisq_diff"] == pytest.approx(
        t.loc["thresholds", "chisq"] - t.loc["configural", "chisq"]
    )
    assert "chisq_scaled" not in t.columns


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"estimator": "MLR"}, "estimator: ordered items need"),
        ({"estimator": "ML"}, r"^estimator: ordered items need one of .*got 'ML'$"),  # no longer read as WLSMV
        ({"ordered": [*ITEMS, "q9"]}, "^ordered: 'q9' is not a column of data"),
        ({"parameterization": "beta"}, "parameterization: expected"),
        ({"missing": "fiml"}, "missing: 'fiml' is not available"),
        ({"group": 3}, "group: expected the name"),
        ({"sample_nobs": {"male": 100, "female": 100}}, "sample_cov: ordinal invariance needs the raw answers"),
    ],
)
def test_bad_options(kwargs: dict, message: str) -> None:
    args = {"group": "gender", "ordered": ITEMS} | kwargs
    with pytest.raises(ValueError, match=message):
        invariance(REF["model"], G, **args)


def test_bad_equal_thresholds() -> None:
    # every group must choose every category of an item, as lavaan requires ("some categories of variable `A1'
    # are empty in group 1"), at every level: sem and invariance give the same line, naming item, group, category
    # and the remedy (not "drop 'thresholds' from equal", which invariance has no argument for)
    g = G.copy()
    g.loc[g["gender"] == "male", "A1"] = g.loc[g["gender"] == "male", "A1"].clip(upper=5)
    msg = r"^data column 'A1': category 6 is empty in group 'male' of 'gender' \(\d+ complete rows\) but chosen in"
    with pytest.raises(ValueError, match=msg + r".*\(e.g. recode 6 as 5\) or drop the item$"):
        sem(REF["model"], g, ordered=ITEMS, estimator="WLSMV", group="gender", equal=["thresholds"])
    with pytest.raises(ValueError, match=msg):
        invariance(REF["model"], g, "gender", ordered=ITEMS)


def test_chisq_difference_of_ordered_fits() -> None:
    # lavTestLRT(fit_configural, fit_thresholds, fit_thresholds_loadings) (WLSMV, delta): sem() fits carry their
    # model (wls_state), chisq_difference applies lavaan's default for them, method = "satorra.2000"
    opts = {"ordered": ITEMS, "estimator": "WLSMV", "group": "gender"}
    fits = [
        sem(REF["model"], G, equal=LEVELS[lev], **opts) for lev in ("thresholds_loadings", "configural", "thresholds")
    ]
    out = chisq_difference(*fits, names=["tl", "conf", "thr"])
    assert list(out.index) == ["conf", "thr", "tl"]  # sorted by df, as lavTestLRT
    for name, key in (("thr", "delta_thresholds"), ("tl", "delta_thresholds_loadings")):
        ref = REF["tests"][key]
        assert out.loc[name, "chisq_diff"] == pytest.approx(ref["chisq_diff"], abs=5e-5)
        assert out.loc[name, "df_diff"] == ref["df_diff"]
        assert out.loc[name, "pvalue_diff"] == pytest.approx(ref["pvalue"], rel=1e-5)
    same = chisq_difference(fits[1], fits[2], method="satorra.2000")
    assert same["chisq_diff"].iloc[1] == out.loc["thr", "chisq_diff"]
    plain = chisq_difference(fits[1], fits[2], method="standard")
    assert plain["chisq_diff"].iloc[1] == pytest.approx(fits[2].fit.chisq - fits[1].fit.chisq)
    # the fits of invariance(..., ordered=...) carry their model too
    res = invariance(REF["model"], G, "gender", ordered=ITEMS)
    again = chisq_difference(res.fits["configural"], res.fits["thresholds"])
    assert again["chisq_diff"].iloc[1] == pytest.approx(res.table.loc["thresholds", "chisq_diff"], rel=1e-12)
    with pytest.raises(ValueError, match="method: ordered-item fits take"):
        chisq_difference(fits[1], fits[2], method="satorra.bentler.2001")
    dwls = sem(REF["model"], G, ordered=ITEMS, estimator="DWLS", group="gender")
    with pytest.raises(ValueError, match="different estimators"):
        chisq_difference(fits[1], dwls)


UNEQUAL = json.loads((REF_DIR / "wlsmv_unequal_groups.json").read_text())
UNEQUAL_DATA = pd.read_csv(REF_DIR / "data" / "wlsmv_unequal_groups.csv")  # SYNTHETIC (seeded, written by the R script)
# key -> sem() options beside ordered=x1..x6, group="place"; each lavaan call is the fixture's "call", e.g.
# cfa(model, data = d, ordered = items, estimator = 'WLSMV', group = 'place', group.equal = c('thresholds', 'loadings'))
UNEQUAL_FITS = {
    "delta_configural": {"estimator": "WLSMV"},
    "delta_thresholds_loadings": {"estimator": "WLSMV", "equal": ["thresholds", "loadings"]},
    "ulsmv_thresholds_loadings": {"estimator": "ULSMV", "equal": ["thresholds", "loadings"]},
}


def _unequal_fit(key: str) -> CFAResult:
    items = [f"x{i}" for i in range(1, 7)]
    return sem(UNEQUAL["model"], UNEQUAL_DATA, ordered=items, group="place", **UNEQUAL_FITS[key])


@pytest.mark.parametrize("key", list(UNEQUAL_FITS))
def test_group_weights_are_lavaans(key: str) -> None:
    # groups of 90, 160 and 240 rows (lavInspect(fit, "nobs")) with equal thresholds and loadings: the estimates
    # depend on the groups' weights in the discrepancy function; lavaan 0.6.14 weighs them by (N_g - 1) / N.
    # Measured: with those weights the largest differences are 1.4e-5 (estimates), 1.8e-6 (SEs) and 1.3e-6
    # (relative, fit measures); weighted by N_g / N they were 3.6e-4, 4.8e-5 and 3.2e-5 (WLSMV; ULSMV alike),
    # which the tolerances below (the 1e-4 for estimates) refuse. (The theta parameterization is left
    # out here: lavaan's own optimum is flat there, its restart from its estimates moves them by 3.5e-4.)
    ref, fit = UNEQUAL["fits"][key], _unequal_fit(key)
    assert ref["converged"] and fit.converged
    par = pd.DataFrame(ref["parameters"])  # parameterEstimates(fit, remove.nonfree = FALSE)
    p = fit.params
    assert list(zip(p["lhs"], p["op"], p["rhs"], p["group"])) == list(
        zip(par["lhs"], par["op"], par["rhs"], par["group"])
    )
    np.testing.assert_allclose(p["est"], par["est"].astype(float), rtol=0, atol=1e-4)
    np.testing.assert_allclose(p["se"], par["se"].astype(float), rtol=0, atol=1e-5)
    for name, value in ref["fit"].items():  # fitMeasures(fit, c("npar", "chisq", "df", "chisq.scaled", ...))
        assert fit.fit_measures[name] == pytest.approx(value, rel=1e-5), name


def test_difference_test_with_unequal_groups() -> None:
    # lavTestLRT(delta_configural, delta_thresholds_loadings): 20.8926064802165 on 28 df, p = 0.829797801926225
    out = chisq_difference(_unequal_fit("delta_configural"), _unequal_fit("delta_thresholds_loadings"))
    ref = UNEQUAL["lrt"]
    assert out["df_diff"].iloc[1] == ref["df_diff"]
    assert out["chisq_diff"].iloc[1] == pytest.approx(ref["chisq_diff"], rel=1e-6)
    assert out["pvalue_diff"].iloc[1] == pytest.approx(ref["pvalue"], rel=1e-6)


def test_front_door_of_ordinal_invariance() -> None:
    # a three-row group: the message names the group and its size, not only the item
    tiny = pd.concat([G, G.iloc[:3].assign(gender="other", C2=4)])
    with pytest.raises(ValueError, match=r"^group: group 'other' of 'gender' has 3 complete rows, which leave item"):
        invariance(REF["model"], tiny, "gender", ordered=True)
    # without ordered items: the ordered estimators, theta and pairwise are refused in one line each
    for kwargs, message in (
        ({"estimator": "wlsmv"}, r"^estimator: 'WLSMV' needs ordered items; pass ordered=True or a list of items"),
        ({"parameterization": "theta"}, r"^parameterization: 'theta' needs ordered items"),
        ({"missing": "pairwise", "ordered": False}, r"^missing: 'pairwise' needs ordered items"),
    ):
        with pytest.raises(ValueError, match=message):
            invariance(REF["model"], G, "gender", **kwargs)


def test_ordered_false_is_the_continuous_sequence() -> None:
    # ordered=False: the ML sequence (configural, metric, scalar), as without ordered; "mlr" is MLR
    hs = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
    model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    res = invariance(model, hs, "school", ordered=False, partial=False)
    assert res.estimator == "ML" and "metric" in res.table.index
    assert invariance(model, hs, "school", estimator="mlr", partial=False).estimator == "MLR"


def test_ordinal_invariance_warnings_name_the_group_at_the_callers_line() -> None:
    g = G.copy()
    g.loc[g.index[:40], "A2"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = invariance(REF["model"], g, "gender", ordered=ITEMS, estimator="wlsmv")
    assert res.estimator == "WLSMV"
    missing = [str(w.message) for w in caught if issubclass(w.category, MissingDataWarning)]
    assert len(missing) == 2 and {w.filename for w in caught} == {__file__}
    assert all(
        re.match(r"^sem: in group '(male|female)' of 'gender', \d+ of \d+ rows with missing", t) for t in missing
    )
