"""Tests of emstudy.stats.modindices against R lavaan's modindices() (fixtures: tests/reference/modindices.R;
groups, intercepts and observed regressors: tests/reference/sem_groups.R).

Tolerances: at lavaan's own estimates (written by the R script) the indices agree to rounding (1e-9), which
checks the formula; from emstudy's fit they agree to 1e-4 (absolute or relative), because
lavaan's optimizer stops up to 7e-6 from the optimum emstudy polishes to (see tests/test_stats_sem.py) and the
score of a candidate moves with the estimates.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import emstudy.stats
from emstudy.stats.cfa import CFAResult, cfa
from emstudy.stats.modindices import modindices
from emstudy.stats.sem import sem

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "modindices.json").read_text())
HS = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
PD = pd.read_csv(REF_DIR / "data" / "PoliticalDemocracy.csv")
COLS = ["mi", "epc", "sepc_lv", "sepc_all"]

# key in modindices.json -> the fit (the R call that produced the reference is beside it)
FITS = {
    # modindices(cfa(HS.model, data = HS), sort. = TRUE)
    "hs": lambda: cfa(REF["hs_model"], HS),
    # modindices(cfa(HS.model, data = HS, std.lv = TRUE), sort. = TRUE)
    "hs_stdlv": lambda: cfa(REF["hs_model"], HS, std_lv=True),
    # modindices(sem(PD.model, data = PD), sort. = TRUE)  (lavaan's tutorial SEM with ind := a*b)
    "pd": lambda: sem(REF["pd_model"], PD),
    # modindices(sem(PD.fixed, data = PD), sort. = TRUE)  (a fixed loading and variance, latent paths to free)
    "pd_fixed": lambda: sem(REF["pd_fixed_model"], PD),
}


def _key(df: pd.DataFrame) -> list[tuple]:
    return [(a, o, b) if o != "~~" else (min(a, b), o, max(a, b)) for a, o, b in zip(df["lhs"], df["op"], df["rhs"])]


def _reference(name: str) -> pd.DataFrame:
    ref = pd.DataFrame(REF[name]["mi"]).rename(columns={"sepc.lv": "sepc_lv", "sepc.all": "sepc_all"})
    ref.index = pd.MultiIndex.from_tuples(_key(ref))
    return ref


def _at_lavaan_estimates(fit: CFAResult, name: str) -> CFAResult:
    """The fit with lavaan's estimates (parameterEstimates(fit)$est) in place of emstudy's."""
    est = pd.DataFrame(REF[name]["estimates"])
    lav = dict(zip(_key(est), est["est"]))
    params = fit.params.copy()
    params["est"] = [lav.get(k, e) for k, e in zip(_key(params), params["est"])]
    return dataclasses.replace(fit, params=params)


@pytest.fixture(scope="module", params=list(FITS))
def case(request) -> tuple[str, CFAResult]:
    return request.param, FITS[request.param]()


def test_same_rows_as_lavaan(case) -> None:
    name, fit = case
    ours = modindices(fit)
    assert list(ours.columns) == ["lhs", "op", "rhs", *COLS]
    assert sorted(_key(ours)) == sorted(_reference(name).index)  # the candidates lavaan lists, no more
    if name != "pd_fixed":  # the tutorial models: no fixed value, regressions equivalent to the model (NA)
        assert set(ours["op"]) == {"=~", "~~"}
    else:  # the freed fixed loading and variance, and the regressions among the latent variables
        assert {("ind60", "=~", "x3"), ("ind60", "~~", "ind60"), ("ind60", "~", "dem60")} <= set(_key(ours))


def test_formula_at_lavaan_estimates(case) -> None:
    """At lavaan's estimates: mi, epc, sepc.lv, sepc.all to rounding, and lavaan's sort order."""
    name, fit = case
    ours = modindices(_at_lavaan_estimates(fit, name))
    ref = _reference(name)
    ours.index = pd.MultiIndex.from_tuples(_key(ours))
    assert list(ours.index) == list(ref.index)  # sort. = TRUE: decreasing mi, same order as lavaan
    for col in COLS:
        np.testing.assert_allclose(ours[col], ref[col], rtol=1e-9, atol=1e-9, err_msg=f"{name}: {col}")


def test_from_our_fit(case) -> None:
    name, fit = case
    ours = modindices(fit)
    ref = _reference(name)
    ours.index = pd.MultiIndex.from_tuples(_key(ours))
    ours = ours.loc[ref.index]
    np.testing.assert_allclose(ours["mi"], ref["mi"], rtol=1e-4, atol=1e-4)
    # near mi = 0 the score is ~1e-3 and epc = score / V moves by 1e-4 with lavaan's stopping point (1e-9 at
    # lavaan's estimates, test_formula_at_lavaan_estimates)
    atol = np.where(ref["mi"] < 0.01, 1e-3, 1e-4)
    for col in COLS[1:]:
        np.testing.assert_array_less(np.abs(ours[col] - ref[col]), atol + 1e-4 * np.abs(ref[col]), err_msg=col)


def test_known_values() -> None:
    """The two largest indices of HS: visual =~ x9 (mi 36.41) and x7 ~~ x8 (mi 34.15)."""
    mi = modindices(FITS["hs"]())
    # modindices(cfa(HS.model, data = HS), sort. = TRUE)[1:2, ]: visual =~ x9 36.411, x7 ~~ x8 34.145
    assert list(zip(mi["lhs"][:2], mi["op"][:2], mi["rhs"][:2])) == [("visual", "=~", "x9"), ("x7", "~~", "x8")]
    assert mi["mi"][0] == pytest.approx(36.4110306521231, abs=1e-4)
    assert mi["epc"][1] == pytest.approx(0.536443970205727, abs=1e-5)


def test_options() -> None:
    fit = FITS["hs"]()
    full = modindices(fit, sort=False)
    assert list(full["op"]) == ["=~"] * 18 + ["~~"] * 36  # lavaan's order: loadings, then covariances
    assert full.loc[0, ["lhs", "rhs"]].tolist() == ["visual", "x4"]
    big = modindices(fit, minimum_value=10.0)
    assert (big["mi"] > 10).all() and len(big) == int((full["mi"] > 10).sum()) > 0
    assert big["mi"].is_monotonic_decreasing


def test_refused() -> None:
    mg = cfa(REF["hs_model"], HS, group="school")
    with pytest.raises(ValueError, match="cfa\\(\\) fit with groups"):
        modindices(mg)
    df = PD.copy()
    df.loc[0, "y1"] = np.nan
    fiml = sem("dem60 =~ y1 + y2 + y3 + y4", df, missing="fiml")
    with pytest.raises(ValueError, match="FIML"):
        modindices(fiml)
    fit = FITS["hs"]()
    bad = dataclasses.replace(fit, params=fit.params.iloc[1:])
    with pytest.raises(ValueError, match="does not match"):
        modindices(bad)
    with pytest.raises(ValueError, match="expected the result"):
        modindices("fit")  # type: ignore[arg-type]


# groups, intercepts and observed regressors: tests/reference/sem_groups.R (sem_groups.json)
REF_G = json.loads((REF_DIR / "sem_groups.json").read_text())
FITS_G = {
    # modindices(sem(hs_model, data = HS, group = "school", group.equal = "loadings"), sort. = TRUE)
    "mi_groups": lambda: sem(REF_G["hs_model"], HS, group="school", equal="loadings"),
    # modindices(sem(pd_model, data = PD), sort. = TRUE)  (y1 ~ 1: a mean structure)
    "mi_int": lambda: sem(REF_G["pd_model"], PD),
    # modindices(sem(pd_xmodel, data = PD), sort. = TRUE)  (observed x1, x2 (fixed.x) and y5 in regressions)
    "mi_x": lambda: sem(REF_G["pd_xmodel"], PD),
}


def _gkey(df: pd.DataFrame) -> list[tuple]:
    groups = df["group"] if "group" in df.columns else [1] * len(df)
    return [(*k, int(g)) for k, g in zip(_key(df), groups)]


@pytest.fixture(scope="module", params=list(FITS_G))
def gcase(request) -> tuple[str, CFAResult]:
    return request.param, FITS_G[request.param]()


def _gref(name: str) -> pd.DataFrame:
    ref = pd.DataFrame(REF_G[name]["mi"]).rename(columns={"sepc.lv": "sepc_lv", "sepc.all": "sepc_all"})
    ref.index = pd.MultiIndex.from_tuples(_gkey(ref))
    return ref


def test_groups_intercepts_regressors_at_lavaan_estimates(gcase) -> None:
    """At lavaan's estimates: lavaan's rows, in its order, and mi, epc, sepc.lv, sepc.all to rounding."""
    name, fit = gcase
    est = pd.DataFrame(REF_G[name]["estimates"])
    lav = dict(zip(_gkey(est), est["est"]))
    params = fit.params.copy()
    params["est"] = [lav.get(k, e) for k, e in zip(_gkey(params), params["est"])]
    ours = modindices(dataclasses.replace(fit, params=params))
    ours.index = pd.MultiIndex.from_tuples(_gkey(ours))
    ref = _gref(name)
    assert list(ours.index) == list(ref.index)
    for col in COLS:
        np.testing.assert_allclose(ours[col], ref[col], rtol=1e-8, atol=1e-8, err_msg=f"{name}: {col}")


def test_groups_intercepts_regressors_from_our_fit(gcase) -> None:
    name, fit = gcase
    ours = modindices(fit)
    assert list(ours.columns)[:3] == ["lhs", "op", "rhs"] and list(ours.columns)[-4:] == COLS
    assert ("group" in ours.columns) == (name == "mi_groups")
    ours.index = pd.MultiIndex.from_tuples(_gkey(ours))
    ref = _gref(name)
    assert sorted(ours.index) == sorted(ref.index)
    ours = ours.loc[ref.index]
    np.testing.assert_allclose(ours["mi"], ref["mi"], rtol=1e-4, atol=1e-4)
    for col in COLS[1:]:
        np.testing.assert_allclose(ours[col], ref[col], rtol=1e-4, atol=1e-4, err_msg=col)


def test_regressor_rows_as_lavaan() -> None:
    # modindices(sem(pd_xmodel, data = PD)): the reversed paths dem60 ~ y5 (mi 9.075) and x1 ~ y5 (mi 1.006) are
    # listed, x1 ~ dem60 (equivalent to dem60 ~ x1 given x1) and x1 ~ x2 (two fixed-x covariates) are not
    mi = modindices(FITS_G["mi_x"]())
    keys = set(_key(mi))
    assert {("dem60", "~", "y5"), ("x1", "~", "y5"), ("y5", "~", "x2")} <= keys
    assert not {("x1", "~", "dem60"), ("x1", "~", "x2"), ("x1", "~~", "x2")} & keys
    row = mi.set_index(["lhs", "op", "rhs"]).loc[("dem60", "~", "y5")]
    assert row["mi"] == pytest.approx(9.07540814071, abs=1e-3) and row["sepc_lv"] == pytest.approx(-0.461739, abs=1e-4)


def test_listed_in_the_index() -> None:
    assert "modindices" in emstudy.stats.__all__ and emstudy.stats.modindices is modindices


# ordered items (WLSMV, ULSMV; delta, theta; groups): tests/reference/modindices_wlsmv.R, the fits of
# tests/reference/wlsmv.R on tests/reference/data/bfi.csv
REF_WLS = json.loads((REF_DIR / "modindices_wlsmv.json").read_text())
BFI = pd.read_csv(REF_DIR / "data" / "bfi.csv")
BFI_ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
X1 = BFI[BFI_ITEMS].dropna()  # x1 <- bfi[complete.cases(bfi[, items]), items]
BFI_G = BFI[BFI_ITEMS + ["gender"]].dropna().assign(gender=lambda d: np.where(d["gender"] == 1, "male", "female"))
WLS_FITS = {
    # modindices(cfa(model, data = x1, ordered = TRUE, estimator = "WLSMV"), sort. = TRUE)
    "single_delta": lambda: cfa(REF_WLS["model"], X1, ordered=True, estimator="WLSMV"),
    # modindices(cfa(model, data = x1, ordered = TRUE, estimator = "WLSMV", parameterization = "theta"), sort. = TRUE)
    "single_theta": lambda: sem(REF_WLS["model"], X1, ordered=True, estimator="WLSMV", parameterization="theta"),
    # modindices(cfa(model, data = x1, ordered = TRUE, estimator = "ULSMV"), sort. = TRUE)
    "single_ulsmv": lambda: cfa(REF_WLS["model"], X1, ordered=True, estimator="ULSMV"),
    # modindices(cfa(model, data = g, ordered = items, estimator = "WLSMV", group = "gender"), sort. = TRUE)
    "groups_delta": lambda: cfa(REF_WLS["model"], BFI_G, ordered=BFI_ITEMS, estimator="WLSMV", group="gender"),
}


@pytest.mark.parametrize("name", list(WLS_FITS))
def test_ordered_items_as_lavaan(name: str) -> None:
    # lavaan scores the WLS discrepancy with the weights (N_g - 1) / N of its test statistic; its estimates stop up
    # to ~1e-6 short of emstudy's (tests/test_stats_cfa_wls.py), and the indices move with them: mi to 1e-4
    # relative, epc and the standardized changes to 1e-5. Same rows (no thresholds, no residual variances of the
    # items, no marker loadings) in lavaan's order (sort. = TRUE).
    ref = pd.DataFrame(REF_WLS["fits"][name]["mi"]).rename(columns={"sepc.lv": "sepc_lv", "sepc.all": "sepc_all"})
    ours = modindices(WLS_FITS[name]())
    groups = ours["group"] if "group" in ours.columns else [1] * len(ours)
    assert list(zip(ours["lhs"], ours["op"], ours["rhs"], groups)) == list(
        zip(ref["lhs"], ref["op"], ref["rhs"], ref["group"])
    )
    np.testing.assert_allclose(ours["mi"], ref["mi"], rtol=1e-4, atol=1e-4)
    for col in COLS[1:]:
        np.testing.assert_allclose(ours[col], ref[col], rtol=0, atol=1e-5, err_msg=col)
    assert len(ours) == 55 * (2 if name.startswith("groups") else 1) and set(ours["op"]) == {"=~", "~~"}


def test_ordered_items_known_values() -> None:
    # modindices(cfa(model, data = x1, ordered = TRUE, estimator = "WLSMV"), sort. = TRUE)[1:2, ]:
    # consc =~ A4 mi 99.8055925306848 epc 0.313191987350652, C1 ~~ C2 mi 93.3555637709323
    mi = modindices(WLS_FITS["single_delta"]())
    assert list(zip(mi["lhs"][:2], mi["op"][:2], mi["rhs"][:2])) == [("consc", "=~", "A4"), ("C1", "~~", "C2")]
    assert mi["mi"][0] == pytest.approx(99.8055925306848, rel=1e-4)
    assert mi["mi"][1] == pytest.approx(93.3555637709323, rel=1e-4)
    assert mi["epc"][0] == pytest.approx(0.313191987350652, abs=1e-5)


def test_ordered_items_refused() -> None:
    fit = WLS_FITS["single_delta"]()
    with pytest.raises(ValueError, match=r"^fit: it carries no fitted WLS model"):
        modindices(dataclasses.replace(fit, wls_state=None))
    with pytest.raises(ValueError, match=r"^fit: modification indices of ordered items with equality constraints"):
        modindices(dataclasses.replace(fit, equal=("loadings",)))
