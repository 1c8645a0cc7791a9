"""Tests of multigroup WLSMV with missing answers (sem(..., ordered=..., group=..., missing="pairwise"),
chisq_difference of such fits) against R lavaan 0.6.14: the fits notebook 05's ordinal invariance rests on.

Fixture: tests/reference/wlsmv_pairwise_groups.R (wlsmv_pairwise_groups.json): the bfi items A1-A5, C1-C5 by
gender (tests/reference/data/bfi.csv, all 2800 rows, 171 with some item missing; gender 1 = "male",
2 = "female"), lavaan's ``missing = "pairwise"`` (each group's thresholds from its available answers,
polychorics from its pairwise-complete rows), at the configural and thresholds + loadings levels, and
lavTestLRT between them.

Tolerances (issue 15 point 5): estimates, standard errors and standardized values 1e-4; fit measures 1e-5
(relative); the configural model's thresholds (the sample ones) 1e-5. lavaan converges at both levels here;
emstudy's discrepancy is compared with lavaan's ``fmin`` as well (``test_discrepancy_is_lavaans``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats import chisq_difference
from emstudy.stats.cfa import CFAResult
from emstudy.stats.sem import sem

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "wlsmv_pairwise_groups.json").read_text())
BFI = pd.read_csv(REF_DIR / "data" / "bfi.csv")
ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
# g <- bfi[, c(items, "gender")]; g$gender <- ifelse(g$gender == 1, "male", "female")  (all rows)
G = BFI[ITEMS + ["gender"]].assign(gender=lambda d: np.where(d["gender"] == 1, "male", "female"))
# key -> equal (lavaan's group.equal); the lavaan call of each is the fixture's "call":
# cfa(model, data = g, ordered = items, estimator = 'WLSMV', missing = 'pairwise', group = 'gender',
#     group.equal = c(...))
LEVELS = {"configural": [], "thresholds_loadings": ["thresholds", "loadings"]}


@pytest.fixture(scope="module")
def fits() -> dict[str, CFAResult]:
    return {
        key: sem(REF["model"], G, ordered=ITEMS, estimator="WLSMV", missing="pairwise", group="gender", equal=eq)
        for key, eq in LEVELS.items()
    }


@pytest.mark.parametrize("key", list(LEVELS))
def test_parameters_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # parameterEstimates(fit, remove.nonfree = FALSE, standardized = TRUE): the same rows, est, se, std.all
    ref = REF["fits"][key]
    par = pd.DataFrame(ref["parameters"])
    p = fits[key].params
    assert list(zip(p["lhs"], p["op"], p["rhs"], p["group"])) == list(
        zip(par["lhs"], par["op"], par["rhs"], par["group"])
    )
    assert fits[key].converged and ref["converged"]
    assert fits[key].groups == tuple(REF["group_labels"])  # lavInspect(fit, "group.label")
    # lavInspect(fit, "nobs"): every row of each group (none is empty)
    assert list(fits[key].n_obs) == [ref["nobs"][0], ref["nobs"][1]] and sum(fits[key].n_obs) == len(G)
    for col in ("est", "se", "std_all"):
        np.testing.assert_allclose(p[col], par[col].astype(float), rtol=0, atol=1e-4, err_msg=col)


def test_sample_thresholds_match_lavaan(fits: dict[str, CFAResult]) -> None:
    # lavInspect(fit_configural, "sampstat")[[g]]$th: each group's thresholds from its available answers, which
    # are the configural model's threshold estimates
    p = fits["configural"].params
    sample_th = REF["fits"]["configural"]["sample_th"]
    for g, label in enumerate(REF["group_labels"], start=1):
        th = sample_th[label]
        est = p.loc[(p["op"] == "|") & (p["group"] == g), "est"].to_numpy()
        np.testing.assert_allclose(est, th, rtol=0, atol=1e-5)


@pytest.mark.parametrize("key", list(LEVELS))
def test_fit_measures_match_lavaan(fits: dict[str, CFAResult], key: str) -> None:
    # fitMeasures(fit, c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
    #   "chisq.scaling.factor", "chisq.shift.parameters", "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled",
    #   "rmsea.scaled", "srmr"))
    fm = fits[key].fit_measures
    for name, value in REF["fits"][key]["fit"].items():
        if name == "df.scaled":  # scaled-shifted: the model's degrees of freedom
            assert value == fm["df"]
        else:
            assert fm[name] == pytest.approx(value, rel=1e-5, abs=1e-12), name


@pytest.mark.parametrize("key", list(LEVELS))
def test_discrepancy_is_lavaans(fits: dict[str, CFAResult], key: str) -> None:
    # fitMeasures(fit, "fmin") is half lavaan's DWLS discrepancy; chisq = 2 N fmin (N = sum of the groups' rows)
    fmin = REF["fits"][key]["fmin"]
    assert fits[key].fit.chisq / (2 * len(G)) == pytest.approx(fmin, rel=1e-6)
    assert fits[key].fit.chisq / (2 * len(G)) <= fmin * (1 + 1e-7)  # not above lavaan's optimum


def test_difference_test_matches_lavaan(fits: dict[str, CFAResult]) -> None:
    # lavTestLRT(fit_configural, fit_thresholds_loadings): method "satorra.2000" (scaled-shifted), A.method "delta"
    ref = REF["tests"]["thresholds_loadings"]
    out = chisq_difference(fits["configural"], fits["thresholds_loadings"], names=["configural", "tl"])
    row = out.loc["tl"]
    assert row["df_diff"] == ref["df_diff"]
    assert row["chisq_diff"] == pytest.approx(ref["chisq_diff"], rel=1e-5)
    assert row["pvalue_diff"] == pytest.approx(ref["pvalue"], rel=1e-3)


def test_pairwise_keeps_every_row_per_group(fits: dict[str, CFAResult]) -> None:
    # listwise deletion (lavaan's default for ordered data) would keep 2632 rows; pairwise keeps all 2800,
    # and each group's thresholds then differ from the listwise ones
    complete = G[ITEMS].notna().all(axis=1)
    assert complete.sum() < len(G) == sum(fits["configural"].n_obs)
    listwise = sem(REF["model"], G[complete], ordered=ITEMS, estimator="WLSMV", group="gender")
    th = fits["configural"].params["op"] == "|"
    diff = np.abs(listwise.params.loc[th, "est"].to_numpy() - fits["configural"].params.loc[th, "est"].to_numpy())
    assert diff.max() > 1e-3
