"""Tests of emstudy.stats.modindices against R lavaan's modindices() (fixtures: tests/reference/modindices.R).

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
    with pytest.raises(ValueError, match="single group"):
        modindices(mg)
    path = sem("dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2\ny5 ~ dem60 + x1", PD)  # lavaan lists '~' rows here
    with pytest.raises(ValueError, match="observed variables in regressions"):
        modindices(path)
    intercept = sem("ind60 =~ x1 + x2 + x3\nx1 ~ 1", PD)
    with pytest.raises(ValueError, match="intercepts"):
        modindices(intercept)
    fit = FITS["hs"]()
    bad = dataclasses.replace(fit, params=fit.params.iloc[1:])
    with pytest.raises(ValueError, match="does not match"):
        modindices(bad)
    with pytest.raises(ValueError, match="expected the result"):
        modindices("fit")  # type: ignore[arg-type]


def test_listed_in_the_index() -> None:
    assert "modindices" in emstudy.stats.__all__ and emstudy.stats.modindices is modindices
