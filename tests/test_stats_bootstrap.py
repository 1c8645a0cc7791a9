"""Tests of emstudy.stats.bootstrap: reproducibility on our side, and a plausibility check against lavaan.

lavaan's bootstrap draws other resamples than ours, so its numbers are not a reference to match: the check
against ``sem(PD.model, data = PD, se = "bootstrap", bootstrap = 1000)`` (tests/reference/modindices.R) is
in distribution only (standard errors of the structural paths and of the indirect effect within 15%, with
B = 200 here: the Monte Carlo error of a bootstrap SE is about 1 / sqrt(2 B) = 5%). What is exact is our own
contract: the same seed gives the same replicates for any number of workers.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import emstudy.stats
from emstudy.stats.bootstrap import BootstrapResult, bootstrap
from emstudy.stats.cfa import cfa
from emstudy.stats.sem import sem

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "modindices.json").read_text())
PD = pd.read_csv(REF_DIR / "data" / "PoliticalDemocracy.csv")
HS = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
PD_MODEL = REF["pd_model"]  # lavaan's tutorial SEM with ind := a*b and total := c + a*b
SMALL = "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ a*ind60\ndouble := 2*a"


@pytest.fixture(scope="module")
def boot200() -> BootstrapResult:
    return bootstrap(PD_MODEL, PD, n_boot=200, seed=20261129)


def _lavaan(key: str) -> pd.DataFrame:
    """lavaan's rows indexed by 'lhs op rhs'."""
    ref = pd.DataFrame(REF["pd_boot"][key])
    ref.index = ref["lhs"] + " " + ref["op"] + " " + ref["rhs"]
    return ref


def test_table(boot200: BootstrapResult) -> None:
    p = boot200.params
    assert list(p.columns) == ["lhs", "op", "rhs", "label", "est", "se", "ci_lower", "ci_upper"]
    # every free parameter and every := row of sem(PD.model, data = PD): 31 free + ind + total
    assert len(p) == 33 and list(p["lhs"][-2:]) == ["ind", "total"]
    assert boot200.estimates.shape == (200 - boot200.n_failed, 33)
    assert boot200.n_failed == 0  # lavaan: nrow(lavInspect(fit, "boot")) == 1000 of 1000 on the same model
    assert ((p["ci_lower"] < p["est"]) & (p["est"] < p["ci_upper"])).all()
    np.testing.assert_allclose(p["se"], boot200.estimates.std(axis=0, ddof=1), rtol=1e-15)
    np.testing.assert_allclose(p["ci_upper"], np.quantile(boot200.estimates, 0.975, axis=0), rtol=1e-15)


def test_plausible_against_lavaan(boot200: BootstrapResult) -> None:
    """Standard errors of the paths and the defined effects within 15% of lavaan's bootstrap (B = 1000, other
    resamples) and of the delta method; a plausibility check, not a reference match."""
    p = boot200.params.set_index(boot200.params["lhs"] + " " + boot200.params["op"] + " " + boot200.params["rhs"])
    # set.seed(20261129); parameterEstimates(sem(PD.model, data = PD, se = "bootstrap", bootstrap = 1000))$se
    lav = _lavaan("estimates")
    # parameterEstimates(sem(PD.model, data = PD))$se  (delta method for ind and total)
    delta = _lavaan("se_delta")
    rows = [k for k in p.index if k.split()[1] in ("~", ":=")]
    assert len(rows) == 5
    for k in rows:
        assert p.loc[k, "se"] == pytest.approx(lav.loc[k, "se"], rel=0.15), k
        assert p.loc[k, "se"] == pytest.approx(delta.loc[k, "se"], rel=0.15), k
    # every free parameter: within 20% of lavaan's bootstrap SE (measured: 0.91-1.12 with this seed)
    ratio = p["se"] / lav.loc[p.index, "se"]
    assert ratio.between(0.8, 1.2).all(), ratio[~ratio.between(0.8, 1.2)]
    # ind: lavaan's bootstrap SE 0.3578, delta-method SE 0.3554; percentile interval [0.602, 2.005]
    ind = "ind := a*b"
    assert lav.loc[ind, "se"] == pytest.approx(0.357779197989238, abs=1e-12)
    assert p.loc[ind, "ci_lower"] == pytest.approx(lav.loc[ind, "ci.lower"], abs=0.25)
    assert p.loc[ind, "ci_upper"] == pytest.approx(lav.loc[ind, "ci.upper"], abs=0.25)
    assert p.loc[ind, "est"] == pytest.approx(lav.loc[ind, "est"], abs=1e-4)


def test_same_for_any_number_of_workers() -> None:
    fit = functools.partial(sem, SMALL)
    one = bootstrap(fit, PD, n_boot=30, seed=5)
    two = bootstrap(fit, PD, n_boot=30, seed=5, n_jobs=2)
    three = bootstrap(SMALL, PD, n_boot=30, seed=5, n_jobs=3)
    assert np.array_equal(one.estimates, two.estimates) and np.array_equal(one.estimates, three.estimates)
    pd.testing.assert_frame_equal(one.params, two.params)
    other = bootstrap(fit, PD, n_boot=30, seed=6)
    assert not np.array_equal(one.estimates, other.estimates)
    # the defined parameter follows its label in every replicate
    p = one.params
    a = int(np.flatnonzero(p["label"] == "a")[0])
    np.testing.assert_allclose(one.estimates[:, -1], 2 * one.estimates[:, a], rtol=1e-14)


def test_failed_replicates_counted() -> None:
    calls = []

    def flaky(sample: pd.DataFrame):
        calls.append(1)
        fit = sem(SMALL, sample)
        if len(calls) % 4 == 0:
            raise ValueError("sample covariance not positive definite")
        if len(calls) % 5 == 0:
            return dataclasses.replace(fit, converged=False)
        return fit

    before = PD.copy()
    res = bootstrap(flaky, PD, n_boot=20, seed=1)
    # call 1 fits the full data, calls 2-21 the replicates: calls 4, 8, 12, 16, 20 raise, 5, 10, 15 do not converge
    assert res.n_failed == 8
    assert res.estimates.shape[0] == 12
    pd.testing.assert_frame_equal(PD, before)  # the data are never modified


def test_within_groups() -> None:
    sizes = HS["school"].value_counts().to_dict()
    seen = []

    def fit(sample: pd.DataFrame):
        seen.append(sample["school"].value_counts().to_dict())
        return cfa("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6", sample, group="school")

    res = bootstrap(fit, HS, group="school", n_boot=4, seed=3)
    assert all(s == sizes for s in seen)  # the group sizes are kept in every replicate
    assert {"group", "group_label"} <= set(res.params.columns) and res.n_failed == 0
    with pytest.raises(ValueError, match="group"):
        bootstrap(fit, HS, n_boot=4, seed=3)


def test_refused() -> None:
    fit = functools.partial(sem, SMALL)
    with pytest.raises(ValueError, match="^fit_function: cannot be sent"):
        bootstrap(lambda d: sem(SMALL, d), PD, n_boot=5, seed=1, n_jobs=2)
    for kwargs, arg in [
        ({"n_boot": 1}, "n_boot"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"conf_level": 95}, "conf_level"),
        ({"seed": -1}, "seed"),
        ({"group": "nope"}, "group"),
    ]:
        with pytest.raises(ValueError, match=f"^{arg}:"):
            bootstrap(fit, PD, **{"n_boot": 5, "seed": 1, **kwargs})
    with pytest.raises(ValueError, match="^data:"):
        bootstrap(fit, PD.to_numpy(), n_boot=5, seed=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^n_boot: only 0 of 5"):
        bootstrap(lambda d: dataclasses.replace(sem(SMALL, d), converged=d is PD), PD, n_boot=5, seed=1)


def test_listed_in_the_index() -> None:
    assert "bootstrap" in emstudy.stats.__all__ and emstudy.stats.bootstrap is bootstrap


# sem(se = "bootstrap"): the two-group path model of tests/reference/sem_groups.R
REF_G = json.loads((REF_DIR / "sem_groups.json").read_text())


@pytest.fixture(scope="module")
def path_boot():
    return sem(REF_G["path_model"], HS, group="school", se="bootstrap", bootstrap=400, seed=20261129)


def test_sem_se_bootstrap_is_the_bootstrap() -> None:
    # sem(se="bootstrap") puts bootstrap()'s SEs and percentile intervals in the table, := rows included
    fit = functools.partial(sem, REF_G["path_model"], group="school")
    boot = bootstrap(fit, HS, group="school", n_boot=40, seed=20261129)
    p = sem(REF_G["path_model"], HS, group="school", se="bootstrap", bootstrap=40, seed=20261129).params
    keep = (p["free"] | (p["op"] == ":=")).to_numpy()
    for col in ("se", "ci_lower", "ci_upper", "est"):
        np.testing.assert_array_equal(p.loc[keep, col].to_numpy(), boot.params[col].to_numpy(), err_msg=col)
    np.testing.assert_allclose(p.loc[keep, "z"], p.loc[keep, "est"] / p.loc[keep, "se"], rtol=1e-15)
    fixed = p[~keep]  # the fixed-x (co)variances and means: no standard error
    assert len(fixed) and (fixed["se"] == 0).all() and fixed["z"].isna().all()
    assert list(p.loc[p["op"] == ":=", "lhs"]) == ["ind1", "ind2", "diff"]


def test_sem_se_bootstrap_plausible_against_lavaan(path_boot) -> None:
    """SEs of the paths and the indirect effects within 15% of lavaan's bootstrap (other resamples; B = 400
    here, a Monte Carlo error of about 1 / sqrt(2 B) = 3.5%), intervals within a fifth of their width."""
    # set.seed(20261129); parameterEstimates(sem(path_model, data = HS, group = "school", se = "bootstrap",
    #     bootstrap = 1000), boot.ci.type = "perc")
    lav = pd.DataFrame(REF_G["path_boot"]["estimates"])
    p = path_boot.params

    def rows(df: pd.DataFrame) -> dict:
        keep = df[df["op"].isin(["~", ":="])]
        keys = zip(keep["lhs"], keep["op"], keep["rhs"].where(keep["op"] == "~", ""), keep["group"].astype(int))
        return dict(zip(keys, keep.to_dict("records")))

    ours, ref = rows(p), rows(lav)
    assert len(ours) == 9 and set(ours) == set(ref)
    for k, r in ref.items():
        assert ours[k]["se"] == pytest.approx(r["se"], rel=0.15), k
        assert ours[k]["est"] == pytest.approx(r["est"], abs=1e-5), k
        width = r["ci.upper"] - r["ci.lower"]
        assert ours[k]["ci_lower"] == pytest.approx(r["ci.lower"], abs=0.2 * width), k
        assert ours[k]["ci_upper"] == pytest.approx(r["ci.upper"], abs=0.2 * width), k


def test_sem_se_bootstrap_same_for_any_number_of_workers() -> None:
    opts = {"group": "school", "se": "bootstrap", "bootstrap": 20, "seed": 7}
    one = sem(REF_G["path_model"], HS, **opts)
    two = sem(REF_G["path_model"], HS, **opts, n_jobs=2)
    pd.testing.assert_frame_equal(one.params, two.params)
