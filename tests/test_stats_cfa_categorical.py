"""Tests of emstudy.stats.cfa.categorical (ordinal_moments) against R lavaan 0.6.14 (fixtures written by
tests/reference/categorical.R).

Every fixture is ``fit <- cfa(model, data, ordered = ..., estimator = "WLSMV", do.fit = FALSE)`` and
``lavInspect(fit, "sampstat" | "wls.obs" | "gamma" | "wls.v")``. lavaan's thresholds are closed-form
(``qnorm`` of the cumulative proportions) and agree to 1e-14; its polychorics stop where nlminb's relative
tolerance stops them, within about 3e-8 of the maximum that emstudy reaches (Newton to 1e-12), so they are
compared to 1e-6 (well inside the 1e-5 of issue 15). NACOV (``gamma``) depends on the correlations through
the scores; it agrees to about 1e-8 of its largest element, and is compared elementwise with
``rtol = 1e-5`` and ``atol = 1e-6 * max|gamma|`` (entries near zero have no relative precision).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri as special_ndtri

import emstudy.stats
from emstudy.errors import DataWarning, MissingDataWarning
from emstudy.stats.cfa import OrdinalMoments, ordinal_moments

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "categorical.json").read_text())
PAIRWISE = json.loads((REF_DIR / "categorical_pairwise.json").read_text())  # categorical_pairwise.R
BFI = pd.read_csv(REF_DIR / "data" / "bfi.csv")  # psychTools::bfi, written by tests/reference/reliability.R
ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
PREFIX = ["PLN", "ORG", "RES", "TEA", "TRN", "RUL", "WRN", "RSP", "INF", "SOC", "REC", "EFF"]
SYN_ITEMS = [f"{p}{i}" for p in PREFIX for i in range(1, 5)]
SYN_PATH = REF_DIR.parents[1] / "analysis" / "wencheng" / "results" / "encoded.csv"  # synthetic data


def _mixed() -> pd.DataFrame:
    """The ``mixed`` data of categorical.R: two binary items with empty cells, a 3-category item."""
    x = BFI[ITEMS].dropna()
    b1 = (x["A2"] >= 4).astype(int)
    return pd.DataFrame(
        {
            "b1": b1,
            "b2": ((b1 == 1) | (x["C1"] >= 5)).astype(int),
            "A4": x["A4"],
            "c3": pd.cut(x["C3"], [0, 2, 4, 6], labels=False) + 1,
            "C1": x["C1"],
            "b3": ((b1 == 1) & (x["A1"] <= 2) & (x["C4"] <= 2)).astype(int),
        }
    )


def _cases() -> dict[str, tuple[pd.DataFrame, dict]]:
    g = BFI[ITEMS + ["gender"]].dropna()
    return {
        # cfa(<agree, consc>, data = bfi[complete rows, items], ordered = TRUE, estimator = "WLSMV")
        "bfi": (BFI[ITEMS].dropna(), REF["bfi"]["groups"][0]),
        # cfa(..., group = "gender"): lavaan's statistics of each group
        "male": (g.loc[g["gender"] == 1, ITEMS], REF["bfi_groups"]["groups"]["male"]),
        "female": (g.loc[g["gender"] == 2, ITEMS], REF["bfi_groups"]["groups"]["female"]),
        # cfa('f =~ b1 + b2 + A4 + c3 + C1 + b3', data = m, ordered = TRUE, estimator = "WLSMV")
        "mixed": (_mixed(), REF["mixed"]["groups"][0]),
    }


CASES = _cases()


def _moments(frame: pd.DataFrame) -> OrdinalMoments:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return ordinal_moments(frame)


@pytest.fixture(scope="module")
def fitted() -> dict[str, OrdinalMoments]:
    return {name: _moments(frame) for name, (frame, _) in CASES.items()}


@pytest.fixture(scope="module")
def synthetic() -> tuple[OrdinalMoments, dict]:
    if not SYN_PATH.exists():
        pytest.skip("analysis/wencheng/results/encoded.csv not written (run notebook 01)")
    enc = pd.read_csv(SYN_PATH)
    with pytest.warns(MissingDataWarning, match="listwise"):
        m = ordinal_moments(enc, items=SYN_ITEMS)
    return m, REF["synthetic"]["groups"][0]


def _mixed_keep(ref: dict) -> np.ndarray:
    """All statistics but b1~~b2, whose lavaan value is its optimizer's bound (test_bound_pair)."""
    return np.array([n != "b1~~b2" for n in ref["wls_obs_names"]])


def test_exported():
    assert emstudy.stats.ordinal_moments is ordinal_moments
    assert "OrdinalMoments" in emstudy.stats.__all__ and "ordinal_moments" in emstudy.stats.__all__


@pytest.mark.parametrize("name", list(CASES))
def test_order_and_nobs(fitted, name):
    m, ref = fitted[name], CASES[name][1]
    # names(lavInspect(fit, "wls.obs")): thresholds item by item, then correlations column by column
    assert list(m.wls_names) == ref["wls_obs_names"] == ref["gamma_names"]
    assert m.nobs == ref["nobs"]  # lavInspect(fit, "nobs")
    assert m.nacov.shape == (len(ref["wls_obs"]),) * 2


@pytest.mark.parametrize("name", list(CASES))
def test_thresholds_and_polychorics(fitted, name):
    m, ref = fitted[name], CASES[name][1]
    th = np.concatenate(m.thresholds)
    # lavInspect(fit, "sampstat")$th
    np.testing.assert_allclose(th, ref["th"], rtol=0, atol=1e-10)
    cor = np.array(ref["cor"])  # lavInspect(fit, "sampstat")$cov (unit diagonal)
    keep = _mixed_keep(ref)[th.size :] if name == "mixed" else np.ones(len(ref["wls_obs"]) - th.size, bool)
    jj, ii = np.triu_indices(len(m.names), 1)
    np.testing.assert_allclose(m.cor[ii, jj][keep], cor[ii, jj][keep], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(np.diag(m.cor), 1.0)
    # lavInspect(fit, "wls.obs")
    np.testing.assert_allclose(m.wls_obs[th.size :][keep], np.array(ref["wls_obs"])[th.size :][keep], atol=1e-6)
    np.testing.assert_allclose(m.wls_obs[: th.size], ref["wls_obs"][: th.size], atol=1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_nacov(fitted, name):
    m, ref = fitted[name], CASES[name][1]
    keep = _mixed_keep(ref) if name == "mixed" else np.ones(len(ref["wls_obs"]), bool)
    sub = np.ix_(keep, keep)
    # lavInspect(fit, "gamma"): diagonal, the block at rows/columns gamma_pick, and gamma %*% sin(1:m)
    diag = np.array(ref["gamma_diag"])[keep]
    np.testing.assert_allclose(np.diag(m.nacov)[keep], diag, rtol=1e-5)
    pick = np.array(ref["gamma_pick"]) - 1
    block = np.array(ref["gamma_block"])
    ok = keep[pick]
    scale = np.abs(block).max()
    np.testing.assert_allclose(
        m.nacov[np.ix_(pick, pick)][np.ix_(ok, ok)], block[np.ix_(ok, ok)], rtol=1e-5, atol=1e-6 * scale
    )
    if "gamma" in ref:
        gamma = np.array(ref["gamma"])[sub]
        np.testing.assert_allclose(m.nacov[sub], gamma, rtol=1e-5, atol=1e-6 * np.abs(gamma).max())
    if name != "mixed":
        probe = np.sin(np.arange(1, m.nacov.shape[0] + 1))
        want = np.array(ref["gamma_times_probe"])
        np.testing.assert_allclose(m.nacov @ probe, want, rtol=0, atol=1e-6 * np.abs(want).max())
    np.testing.assert_array_equal(m.nacov, m.nacov.T)
    # lavInspect(fit, "wls.v") of DWLS is diag(1 / diag(gamma)) with nothing off the diagonal
    assert ref["wls_v_offdiag_max"] == 0
    np.testing.assert_allclose(m.dwls_weights[keep], np.array(ref["wls_v_diag"])[keep], rtol=1e-5)


def test_bound_pair(fitted):
    """b1 x b2 (141, 173 / 0, 2318): lavaan moves 0.5 into the empty cell, margins kept, and its nlminb
    stops at the bound 0.999 (objective 0.45096); the maximum of lavaan's own objective is inside."""
    m = fitted["mixed"]
    ref = REF["mixed"]["b1b2_maximum"]  # optimize(lavaan:::lav_bvord_min_objective, c(0, 0.999), tol = 1e-12)
    assert ref["objective"] < ref["objective_at_bound"]
    assert m.cor[0, 1] == pytest.approx(ref["rho"], abs=1e-8)
    assert REF["mixed"]["groups"][0]["wls_obs"][m.wls_names.index("b1~~b2")] == 0.999


def test_synthetic_case(synthetic):
    """The 48 items of one synthetic case (analysis/wencheng/results/encoded.csv, synthetic data), listwise."""
    m, ref = synthetic
    assert m.nobs == ref["nobs"] and list(m.wls_names) == ref["wls_obs_names"]
    assert len(m.thresholds) == 48 and m.wls_obs.size == len(ref["wls_obs"])  # an item with 4 observed categories
    np.testing.assert_allclose(m.wls_obs, ref["wls_obs"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.diag(m.nacov), ref["gamma_diag"], rtol=1e-5)
    probe = np.sin(np.arange(1, m.nacov.shape[0] + 1))
    want = np.array(ref["gamma_times_probe"])
    np.testing.assert_allclose(m.nacov @ probe, want, rtol=0, atol=1e-6 * np.abs(want).max())
    pick = np.array(ref["gamma_pick"]) - 1
    block = np.array(ref["gamma_block"])
    np.testing.assert_allclose(m.nacov[np.ix_(pick, pick)], block, rtol=1e-5, atol=1e-6 * np.abs(block).max())


def test_levels_and_items_order():
    frame = CASES["mixed"][0]
    m = _moments(frame[["C1", "c3", "b1"]])
    assert m.names == ("C1", "c3", "b1")
    assert m.levels == ((1.0, 2.0, 3.0, 4.0, 5.0, 6.0), (1.0, 2.0, 3.0), (0.0, 1.0))
    assert [t.size for t in m.thresholds] == [5, 2, 1]
    assert all(np.all(np.diff(t) > 0) for t in m.thresholds)
    same = ordinal_moments(frame, items=["C1", "c3", "b1"])
    np.testing.assert_array_equal(same.nacov, m.nacov)
    # codes shifted by a constant give the same statistics (categories are the observed values)
    shifted = _moments(frame[["C1", "c3", "b1"]] + 10)
    np.testing.assert_array_equal(shifted.wls_obs, m.wls_obs)


def test_nearly_one_warns():
    x = BFI[["A1", "A2", "C1"]].dropna().head(300)
    twin = x.assign(A9=x["A1"].where(np.arange(300) % 100 != 0, np.minimum(x["A1"] + 1, 6)))  # 3 answers moved
    with pytest.warns(DataWarning, match=r"\(nearly\) 1 for A1 and A9 \(0\.999\)"):
        m = ordinal_moments(twin)
    assert m.cor[0, 3] == 0.999 and np.isfinite(m.nacov).all()  # lavaan's bound


def test_listwise_warning_and_frame():
    x = BFI[ITEMS]
    with pytest.warns(MissingDataWarning, match="rows with missing answers dropped"):
        m = ordinal_moments(x)
    assert m.nobs == REF["bfi"]["groups"][0]["nobs"]
    tab = m.to_frame()
    assert list(tab.columns) == ["lhs", "op", "rhs", "est", "se"]
    assert tab.loc[0, ["lhs", "op", "rhs"]].tolist() == ["A1", "|", "t1"]
    assert tab.iloc[-1][["lhs", "op", "rhs"]].tolist() == ["C4", "~~", "C5"]
    np.testing.assert_allclose(tab["se"] ** 2 * m.nobs, np.diag(m.nacov))
    assert "Polychoric correlations" in m.summary() and "n = 2632" in m.summary()
    assert "statistics=95" in repr(m)


def test_errors():
    x = BFI[ITEMS].dropna().head(50)
    with pytest.raises(ValueError, match=r"^data column 'A1': not an ordinal item \(dtype \w+\)"):
        ordinal_moments(x.assign(A1=x["A1"].map(str)))
    with pytest.raises(ValueError, match=r"^data column 'A1': not an ordinal item \(non-integer"):
        ordinal_moments(x.assign(A1=x["A1"] + 0.5 * (x.index % 2)))
    with pytest.raises(ValueError, match=r"^data column 'A2': a single observed category \(4\)"):
        ordinal_moments(x.assign(A2=4))
    with pytest.raises(ValueError, match=r"^data column 'A3': 50 categories"):
        ordinal_moments(x.assign(A3=np.arange(50.0)))
    with pytest.raises(ValueError, match=r"^data: 2 complete rows; need at least 3"):
        ordinal_moments(x.head(2))
    with pytest.raises(ValueError, match=r"^missing: expected 'listwise' or 'pairwise'"):
        ordinal_moments(x, missing="fiml")
    with pytest.raises(ValueError, match=r"^items: column\(s\) \['Z9'\] not found"):
        ordinal_moments(x, items=["A1", "Z9"])
    with pytest.raises(ValueError, match=r"^items: need at least 2"):
        ordinal_moments(x, items=["A1"])
    b = pd.DataFrame({"u": [0, 0, 1, 1] * 5, "v": [0, 0, 1, 1] * 5})
    with pytest.raises(ValueError, match=r"^data columns 'u' and 'v': their 2 x 2 table has two empty cells"):
        ordinal_moments(b)


# ----------------------------------------------------------------------------------------------
# missing="pairwise" (tests/reference/categorical_pairwise.R): lavaan's cfa(..., missing = "pairwise")
# ----------------------------------------------------------------------------------------------


def _compare(m: OrdinalMoments, ref: dict) -> None:
    """Every statistic of ``m`` against one fixture of categorical_pairwise.json (1e-5 and 1e-5 relative)."""
    assert m.nobs == ref["nobs"]  # lavInspect(fit, "nobs")
    assert list(m.wls_names) == ref["wls_obs_names"]  # names(lavInspect(fit, "wls.obs"))
    th = np.concatenate(m.thresholds)
    np.testing.assert_allclose(th, ref["th"], rtol=0, atol=1e-10)  # lavInspect(fit, "sampstat")$th
    jj, ii = np.triu_indices(len(m.names), 1)
    np.testing.assert_allclose(m.cor[ii, jj], np.array(ref["cor"])[ii, jj], rtol=0, atol=1e-6)
    np.testing.assert_allclose(m.wls_obs, ref["wls_obs"], rtol=0, atol=1e-6)  # lavInspect(fit, "wls.obs")
    # lavInspect(fit, "gamma"): diagonal, the block at gamma_pick, gamma %*% sin(1:m), and all of it when given
    np.testing.assert_allclose(np.diag(m.nacov), ref["gamma_diag"], rtol=1e-5)
    pick = np.array(ref["gamma_pick"]) - 1
    block = np.array(ref["gamma_block"])
    np.testing.assert_allclose(m.nacov[np.ix_(pick, pick)], block, rtol=1e-5, atol=1e-6 * np.abs(block).max())
    want = np.array(ref["gamma_times_probe"])
    got = m.nacov @ np.sin(np.arange(1, m.nacov.shape[0] + 1))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * np.abs(want).max())
    if "gamma" in ref:
        gamma = np.array(ref["gamma"])
        np.testing.assert_allclose(m.nacov, gamma, rtol=1e-5, atol=1e-6 * np.abs(gamma).max())


def test_pairwise_bfi():
    # cfa(<agree, consc>, data = bfi[, items] (all 2800 rows, 171 of them incomplete), ordered = TRUE,
    # estimator = "WLSMV", missing = "pairwise"); lavInspect(fit, "sampstat" | "wls.obs" | "gamma" | "nobs")
    x = BFI[ITEMS]
    assert x.isna().any(axis=1).sum() > 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no row dropped, nothing to warn about
        m = ordinal_moments(x, missing="pairwise")
    _compare(m, PAIRWISE["bfi"])
    # thresholds from each item's own answers: qnorm(cumsum(table(A1)) / sum(!is.na(A1)))
    a1 = x["A1"].dropna()
    cum = np.cumsum(a1.value_counts().sort_index().to_numpy())[:-1] / a1.size
    np.testing.assert_allclose(m.thresholds[0], special_ndtri(cum), rtol=0, atol=1e-14)
    # the listwise statistics differ: pairwise is not listwise in disguise
    listwise = _moments(x)
    assert np.abs(listwise.wls_obs - m.wls_obs).max() > 1e-3 and listwise.nobs < m.nobs


def test_pairwise_complete_data_is_listwise():
    x = BFI[ITEMS].dropna()
    a, b = ordinal_moments(x), ordinal_moments(x, missing="pairwise")
    np.testing.assert_array_equal(a.wls_obs, b.wls_obs)
    np.testing.assert_array_equal(a.nacov, b.nacov)


def test_pairwise_empty_rows_dropped():
    # rows 1, 5 and 9 without any answer: lavaan warns "some cases are empty and will be ignored"
    x = BFI[ITEMS].copy()
    x.iloc[[0, 4, 8]] = np.nan
    with pytest.warns(MissingDataWarning, match=r"3 of 2800 rows without any answer dropped"):
        m = ordinal_moments(x, missing="pairwise")
    _compare(m, PAIRWISE["bfi_empty"])


def test_pairwise_synthetic_case():
    """All rows of one synthetic case (analysis/wencheng/results/encoded.csv, synthetic data): listwise keeps
    102 of 325; pairwise uses every answer, as lavaan's missing = "pairwise"."""
    if not SYN_PATH.exists():
        pytest.skip("analysis/wencheng/results/encoded.csv not written (run notebook 01)")
    enc = pd.read_csv(SYN_PATH)
    m = ordinal_moments(enc, items=SYN_ITEMS, missing="pairwise")
    _compare(m, PAIRWISE["synthetic"])
    assert m.nobs == len(enc) and m.nobs > REF["synthetic"]["groups"][0]["nobs"]


def test_pairwise_levels_and_errors():
    # an item's categories are its observed values over all its answers, even where a pair lacks some
    a = [np.nan, 3, 3, 1, 2, 3, 1, 2]
    x = pd.DataFrame({"a": a, "b": [1, 1, 2, 2, 1, 2, np.nan, np.nan], "c": [3.0, 4.0] * 4})
    m = ordinal_moments(x, missing="pairwise")
    assert m.levels == ((1.0, 2.0, 3.0), (1.0, 2.0), (3.0, 4.0)) and m.nobs == 8
    with pytest.raises(ValueError, match=r"^data column 'b': no answers; drop the item"):
        ordinal_moments(x.assign(b=np.nan), missing="pairwise")
    apart = pd.DataFrame({"a": [1, 2, 1, np.nan, np.nan, np.nan], "b": [np.nan] * 3 + [1, 2, 2], "c": [1, 2] * 3})
    with pytest.raises(ValueError, match=r"^data columns 'a' and 'b': 0 rows answer both"):
        ordinal_moments(apart, missing="pairwise")


def test_ordered_categoricals_and_the_category_limit():
    # an ordered pandas Categorical is an ordered item: lavaan codes an ordered factor by its levels' positions,
    # so the statistics equal those of the integer codes; levels are the positions of the chosen categories
    frame = CASES["mixed"][0][["C1", "c3", "b1"]]
    m = _moments(frame)
    names = ["never", "rarely", "sometimes", "often", "always", "unused"]
    cat = frame.assign(c3=pd.Categorical.from_codes(frame["c3"].astype(int) - 1, categories=names, ordered=True))
    got = ordinal_moments(cat)
    np.testing.assert_array_equal(got.nacov, m.nacov)
    assert got.levels[1] == (1.0, 2.0, 3.0)
    # nullable integers with missing answers (pd.NA) read as NaN
    nullable = frame.astype("Int64")
    nullable.iloc[0, 0] = pd.NA
    with pytest.warns(MissingDataWarning, match="1 of"):
        np.testing.assert_array_equal(ordinal_moments(nullable).wls_obs, _moments(frame.iloc[1:]).wls_obs)
    # the limit of every polychoric in emstudy: 10 observed categories accepted, 11 refused
    rng = np.random.default_rng(5)
    ten = pd.DataFrame({"a": np.arange(400) % 10, "b": rng.integers(0, 10, 400), "c": rng.integers(0, 3, 400)})
    assert len(ordinal_moments(ten).thresholds[0]) == 9
    with pytest.raises(ValueError, match=r"^data column 'a': 11 categories, more than 10; not an ordinal item"):
        ordinal_moments(ten.assign(a=np.arange(400) % 11))
