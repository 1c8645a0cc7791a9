"""Tests of emstudy.stats.factorability (KMO, Bartlett) against R psych 2.2.9.

Expected values come from tests/reference/reliability.R -> tests/reference/reliability.json
(the bfi_keyed fixture of conftest.py). Also the pairwise-complete correlations of
emstudy.stats._moments that KMO and Bartlett use.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats import factorability as fa
from emstudy.stats._moments import _moments, _pairwise_pearson

REF_DIR = Path(__file__).resolve().parent / "reference"
REF = json.loads((REF_DIR / "reliability.json").read_text())
SCALES = {s: d["items"] for s, d in REF["scales"].items()}
ALL25 = REF["omega_all25"]["items"]

EXACT = 1e-6  # tolerance the issue sets for alpha, CI, r.drop, KMO, Bartlett, HTMT, CR, AVE
OMEGA = 1e-4  # tolerance the issue sets for omega


# ------------------------------------------------------------------------------------------ alpha


# ---------------------------------------------------------------------------------- KMO, Bartlett


def test_kmo_matches_psych(bfi_keyed: pd.DataFrame) -> None:
    ref = REF["kmo25"]
    res = fa.kmo(bfi_keyed[ALL25])
    assert res.n == ref["n"]
    assert res.msa == pytest.approx(ref["msa"], abs=EXACT)  # psych::KMO(x25)$MSA
    np.testing.assert_allclose(res.msa_items.to_numpy(), ref["msai"], atol=EXACT)  # psych::KMO(x25)$MSAi
    assert list(res.msa_items.index) == ALL25


@pytest.mark.parametrize("scale", list(SCALES))
def test_kmo_per_scale_matches_psych(bfi_keyed: pd.DataFrame, scale: str) -> None:
    res = fa.kmo(bfi_keyed[SCALES[scale]])
    assert res.msa == pytest.approx(REF["scales"][scale]["kmo"], abs=EXACT)  # psych::KMO(x)$MSA


def test_bartlett_matches_psych(bfi_keyed: pd.DataFrame) -> None:
    ref = REF["bartlett25"]
    res = fa.bartlett_sphericity(bfi_keyed[ALL25])
    assert res.n == ref["n"]
    assert res.chisq == pytest.approx(ref["chisq"], abs=EXACT)  # psych::cortest.bartlett(cor(x25), n=nrow(x25))$chisq
    assert res.df == ref["df"]  # ...$df
    assert res.pvalue == pytest.approx(ref["p"], abs=EXACT)  # ...$p.value


def test_kmo_pairwise_matches_psych_on_raw_data(bfi_keyed: pd.DataFrame) -> None:
    # xp = keyed[, all25]: all 2800 rows with their missing values
    ref = REF["kmo25_pairwise"]
    data = bfi_keyed[ALL25]
    assert len(data) == ref["nrow"] and data.isna().any().any()
    res = fa.kmo(data, missing="pairwise")
    assert res.missing == "pairwise"
    assert res.n == ref["n_pair_min"]  # min(psych::pairwiseCount(xp))
    assert res.msa == pytest.approx(ref["msa"], abs=1e-12)  # psych::KMO(xp)$MSA
    np.testing.assert_allclose(res.msa_items.to_numpy(), ref["msai"], rtol=0, atol=1e-12)  # psych::KMO(xp)$MSAi
    assert list(res.msa_items.index) == ALL25
    # and the listwise result is a different number (the two policies really differ here)
    assert abs(fa.kmo(data).msa - ref["msa"]) > 1e-4


@pytest.mark.parametrize("scale", list(SCALES))
def test_kmo_pairwise_per_scale_matches_psych(bfi_keyed: pd.DataFrame, scale: str) -> None:
    res = fa.kmo(bfi_keyed[SCALES[scale]], missing="pairwise")
    # psych::KMO(keyed[, items])$MSA (raw data with missing values: cor(use = "pairwise"))
    assert res.msa == pytest.approx(REF["scales"][scale]["kmo_pairwise"], abs=1e-12)


def test_kmo_pairwise_without_missing_equals_listwise(bfi_keyed: pd.DataFrame) -> None:
    x = bfi_keyed[ALL25].dropna()
    a, b = fa.kmo(x, missing="pairwise"), fa.kmo(x)
    assert a.msa == b.msa and a.n == b.n == REF["kmo25"]["n"]
    assert a.msa == pytest.approx(REF["kmo25"]["msa"], abs=EXACT)  # psych::KMO(x25)$MSA


def test_bartlett_pairwise_matches_psych(bfi_keyed: pd.DataFrame) -> None:
    ref = REF["bartlett25_pairwise"]
    res = fa.bartlett_sphericity(bfi_keyed[ALL25], missing="pairwise")
    assert res.n == ref["n"]  # min(psych::pairwiseCount(xp))
    # psych::cortest.bartlett(cor(xp, use = "pairwise"), n = min(psych::pairwiseCount(xp)))$chisq
    assert res.chisq == pytest.approx(ref["chisq"], abs=1e-8)
    assert res.df == ref["df"]  # ...$df
    assert res.pvalue == pytest.approx(ref["p"], abs=EXACT)  # ...$p.value
    # psych::cortest.bartlett(xp)$chisq: same pairwise correlations, n = nrow(xp)
    p = res.n_items
    scale = (ref["raw_nrow"] - 1 - (2 * p + 5) / 6) / (res.n - 1 - (2 * p + 5) / 6)
    assert res.chisq * scale == pytest.approx(ref["raw_chisq"], abs=1e-8)


def test_pairwise_correlation_is_not_cov2cor() -> None:
    # Hand-checkable case: b is missing where a is large, so the pair's SD of a differs from a's own.
    x = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 10.0], "b": [1.0, 3.0, 2.0, 4.0, np.nan]})
    r = _pairwise_pearson(("a", "b"), x.to_numpy())
    # over the 4 rows answering both: deviations (-1.5, -.5, .5, 1.5) and (-1.5, .5, -.5, 1.5),
    # so r = 4 / sqrt(5 * 5) = 0.8 (R: cor(c(1, 2, 3, 4), c(1, 3, 2, 4)) = 0.8)
    assert r[0, 1] == pytest.approx(0.8, abs=1e-14)
    assert r[1, 0] == r[0, 1]
    assert r[0, 1] != pytest.approx(_moments(x, "pairwise").corr[0, 1], abs=1e-3)


def test_pairwise_correlation_rejects_constant_item_within_a_pair() -> None:
    x = pd.DataFrame(
        {"a": [1.0, 1.0, 1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0, np.nan, np.nan], "c": [2.0, 1.0, 3.0, 5.0, 4.0]}
    )
    with pytest.raises(ValueError, match="'a' has zero variance among the respondents who also answered 'b'"):
        fa.kmo(x, missing="pairwise")


def test_kmo_rejects_singular_matrix() -> None:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    x["d"] = x["a"] + x["b"]
    with pytest.raises(ValueError, match="singular"):
        fa.kmo(x)
