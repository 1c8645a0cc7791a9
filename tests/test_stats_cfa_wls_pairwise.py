"""Tests of sem(..., ordered=..., estimator="WLSMV", missing="pairwise") against R lavaan 0.6.14.

Fixture: tests/reference/categorical_pairwise.R (categorical_pairwise.json): WLSMV CFA fits with lavaan's
``missing = "pairwise"`` (thresholds from each item's answers, polychorics from the pairwise-complete rows,
NACOV from the casewise scores with the missing contributions left out), on all rows of the bfi items A1-A5,
C1-C5 (tests/reference/data/bfi.csv; 171 incomplete rows) and on all rows of one synthetic case
(analysis/wencheng/results/encoded.csv: synthetic data; listwise deletion would keep 102 of its 325 rows).
Tolerances (issue 15): estimates, standard errors and standardized values 1e-4; fit measures 1e-4 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import MissingDataWarning
from emstudy.stats.cfa import CFAResult
from emstudy.stats.sem import sem

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "categorical_pairwise.json").read_text())
BFI = pd.read_csv(REF_DIR / "data" / "bfi.csv")
ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
MODEL = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
PREFIX = {
    "plan": "PLN", "organisation": "ORG", "resources": "RES", "teams": "TEA", "training": "TRN", "rules": "RUL",
    "warning": "WRN", "response": "RSP", "information": "INF", "participation": "SOC", "recovery": "REC",
    "effectiveness": "EFF",
}  # fmt: skip
MODEL_SYN = "\n".join(f"{f} =~ " + " + ".join(f"{p}{i}" for i in range(1, 5)) for f, p in PREFIX.items())
SYN_PATH = REF_DIR.parents[1] / "analysis" / "wencheng" / "results" / "encoded.csv"  # synthetic data

# key -> (model, data, options of sem()); the lavaan call is in the fixture's "call"
FITS = {
    # cfa(model, data = bfi[, items], ordered = TRUE, estimator = "WLSMV", missing = "pairwise")
    "bfi_delta": (MODEL, lambda: BFI[ITEMS], {}),
    # cfa(model, data = bfi[, items], ordered = TRUE, estimator = "WLSMV", missing = "pairwise",
    #     parameterization = "theta")
    "bfi_theta": (MODEL, lambda: BFI[ITEMS], {"parameterization": "theta"}),
    # cfa(<12 constructs =~ their 4 items>, data = the 48 items of analysis/wencheng/results/encoded.csv (all
    #     rows; SYNTHETIC data), ordered = TRUE, estimator = "WLSMV", missing = "pairwise")
    "synthetic_delta": (MODEL_SYN, lambda: pd.read_csv(SYN_PATH)[[f"{p}{i}" for p in PREFIX.values() for i in range(1, 5)]], {}),
}  # fmt: skip


@pytest.fixture(scope="module")
def fits() -> dict[str, CFAResult]:
    out = {}
    for key, (model, data, opts) in FITS.items():
        if key.startswith("synthetic") and not SYN_PATH.exists():
            continue
        out[key] = sem(model, data(), ordered=True, estimator="WLSMV", missing="pairwise", **opts)
    return out


def _get(fits: dict[str, CFAResult], key: str) -> CFAResult:
    if key not in fits:
        pytest.skip("analysis/wencheng/results/encoded.csv not written (run notebook 01)")
    return fits[key]


@pytest.mark.parametrize("key", list(FITS))
def test_parameters_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # parameterEstimates(fit, remove.nonfree = FALSE, standardized = TRUE): the same rows, est, se, std.all
    fit, ref = _get(fits, key), REF["fits"][key]
    par = pd.DataFrame(ref["parameters"])
    p = fit.params
    assert list(zip(p["lhs"], p["op"], p["rhs"])) == list(zip(par["lhs"], par["op"], par["rhs"]))
    assert fit.converged and ref["converged"]
    assert list(fit.n_obs) == [ref["nobs"]]  # lavInspect(fit, "nobs"): every non-empty row
    for col in ("est", "se", "std_all"):
        np.testing.assert_allclose(p[col], par[col].astype(float), rtol=0, atol=1e-4, err_msg=col)


@pytest.mark.parametrize("key", list(FITS))
def test_fit_measures_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # fitMeasures(fit, measures) as listed in the fixture
    fm = _get(fits, key).fit_measures
    for name, value in REF["fits"][key]["fit"].items():
        if name == "df.scaled":  # scaled-shifted: the model's degrees of freedom
            assert value == fm["df"]
        elif name.startswith("pvalue"):
            assert fm[name] == pytest.approx(value, rel=1e-4, abs=1e-9), name
        else:
            assert fm[name] == pytest.approx(value, rel=1e-4), name


def test_pairwise_uses_the_incomplete_rows(fits: dict[str, CFAResult]) -> None:
    # listwise keeps 2632 of 2800 rows; the pairwise fit uses them all, and its estimates differ
    with pytest.warns(MissingDataWarning, match="listwise"):
        listwise = sem(MODEL, BFI[ITEMS], ordered=True, estimator="WLSMV")
    pairwise = fits["bfi_delta"]
    assert listwise.n_obs[0] < pairwise.n_obs[0] == len(BFI)
    assert np.abs(listwise.params["est"] - pairwise.params["est"]).max() > 1e-3


def test_missing_options() -> None:
    with pytest.raises(ValueError, match=r"^missing: 'fiml' is not available with ordered items"):
        sem(MODEL, BFI[ITEMS], ordered=True, estimator="WLSMV", missing="fiml")
    # two groups: each group's statistics pairwise
    g = BFI[ITEMS + ["gender"]].head(900)
    fit = sem(MODEL, g, ordered=ITEMS, estimator="WLSMV", missing="pairwise", group="gender")
    assert sum(fit.n_obs) == 900 and fit.converged
