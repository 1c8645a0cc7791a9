"""Tests of emstudy.stats.distributions (the studentized range) against R, scipy and an exact identity.

R reference: tests/reference/ptukey.R -> ptukey.json (``ptukey(q, k, df)``, ``ptukey(..., lower.tail = FALSE)``,
``qtukey(p, k, df)``, R 4.2.2). R's ptukey is accurate to a few 1e-9 for df >= 12.5 and to about 1e-7 at df = 5;
at df = 2 it is off by up to 1.2e-4 (at k = 2 the exact value is known, see ``test_k2_is_absolute_t``), so the
df = 2 rows are checked against the exact identity and scipy instead. qtukey stops when successive iterates
differ by less than 1e-4, which in practice leaves it within about 3e-7 of the root for df >= 12.5.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from emstudy.stats.distributions import studentized_range_cdf, studentized_range_ppf, studentized_range_sf

REF = json.loads((Path(__file__).parent / "reference" / "ptukey.json").read_text(encoding="utf-8"))


def _df(value: float | str) -> float:
    return math.inf if value == "Inf" else float(value)


def _rows(kind: str, dfs: set[float]) -> list[dict]:
    return [r for r in REF[kind] if _df(r["df"]) in dfs]


@pytest.mark.parametrize("row", _rows("ptukey", {12.5, 30, 117.3, 1000, math.inf}), ids=str)
def test_cdf_and_sf_match_r_ptukey(row: dict) -> None:
    # R: ptukey(q, nmeans = k, df = df) and ptukey(q, k, df, lower.tail = FALSE)
    df = _df(row["df"])
    assert studentized_range_cdf(row["q"], row["k"], df) == pytest.approx(row["cdf"], abs=1e-8)
    assert studentized_range_sf(row["q"], row["k"], df) == pytest.approx(row["sf"], abs=1e-8)


@pytest.mark.parametrize("row", _rows("ptukey", {5}), ids=str)
def test_cdf_matches_r_ptukey_at_small_df(row: dict) -> None:
    # R: ptukey(q, k, df = 5); R's own error at df = 5 is about 1e-7
    assert studentized_range_cdf(row["q"], row["k"], 5) == pytest.approx(row["cdf"], abs=2e-7)


@pytest.mark.parametrize("row", _rows("qtukey", {12.5, 30, 117.3, 1000, math.inf}), ids=str)
def test_ppf_matches_r_qtukey(row: dict) -> None:
    # R: qtukey(p, nmeans = k, df = df)
    assert studentized_range_ppf(row["p"], row["k"], _df(row["df"])) == pytest.approx(row["q"], abs=1e-6)


@pytest.mark.parametrize("df", [1, 2, 3.7, 25, 400, math.inf])
@pytest.mark.parametrize("q", [0.05, 0.8, 2.0, 4.5, 12.0, 40.0])
def test_k2_is_absolute_t(q: float, df: float) -> None:
    # With two means, Q = |X1 - X2| / S and Q / sqrt(2) is |t| with df degrees of freedom (|z| for df = inf).
    exact = 1 - 2 * (stats.norm.sf(q / math.sqrt(2)) if math.isinf(df) else stats.t.sf(q / math.sqrt(2), df))
    assert studentized_range_cdf(q, 2, df) == pytest.approx(exact, abs=1e-11)


def test_r_ptukey_is_inexact_at_df_2() -> None:
    # Documents why the df = 2 rows are not used as a reference: R's value at q = 1.5, k = 2, df = 2 is
    # 0.600019..., the exact value is P(|t_2| <= 1.5 / sqrt(2)) = 0.6.
    row = next(r for r in REF["ptukey"] if r["q"] == 1.5 and r["k"] == 2 and r["df"] == 2)
    assert abs(row["cdf"] - 0.6) > 1e-5
    assert studentized_range_cdf(1.5, 2, 2) == pytest.approx(0.6, abs=1e-12)


@pytest.mark.parametrize(("q", "k", "df"), [(3.0, 3, 2), (6.0, 8, 2), (2.2, 5, 9.5), (3.9, 4, 61.2), (5.0, 20, 300)])
def test_cdf_agrees_with_scipy(q: float, k: int, df: float) -> None:
    # scipy.stats.studentized_range integrates the same definition adaptively (about 16 ms a value).
    assert studentized_range_cdf(q, k, df) == pytest.approx(stats.studentized_range.cdf(q, k, df), abs=1e-10)


@settings(max_examples=40, deadline=None)
@given(p=st.floats(0.01, 0.999), k=st.integers(2, 15), df=st.one_of(st.floats(3, 5000), st.just(math.inf)))
def test_ppf_inverts_cdf(p: float, k: int, df: float) -> None:
    q = studentized_range_ppf(p, k, df)
    assert q > 0
    assert studentized_range_cdf(q, k, df) == pytest.approx(p, abs=1e-11)


def test_cdf_is_monotone_and_bounded() -> None:
    values = [studentized_range_cdf(q, 5, 14.0) for q in np.linspace(0.0, 12.0, 49)]
    assert values[0] == 0.0
    assert all(b >= a for a, b in zip(values, values[1:]))
    assert values[-1] < 1.0
    assert 1 - 1e-9 < studentized_range_cdf(200.0, 5, 14.0) <= 1.0


def test_edges() -> None:
    assert studentized_range_cdf(-1.0, 3, 10) == 0.0
    assert studentized_range_cdf(math.inf, 3, 10) == 1.0
    assert studentized_range_ppf(0.0, 3, 10) == 0.0
    assert studentized_range_ppf(1.0, 3, 10) == math.inf


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: studentized_range_cdf(1.0, 1, 10), "k must be an integer number of groups >= 2"),
        (lambda: studentized_range_cdf(1.0, 2.5, 10), "k must be an integer"),
        (lambda: studentized_range_cdf(1.0, 3, 0.5), "df must be a number >= 1"),
        (lambda: studentized_range_ppf(1.5, 3, 10), "p must be a probability in \\[0, 1\\], got 1.5"),
        (lambda: studentized_range_ppf(math.nan, 3, 10), "p must be a probability"),
    ],
)
def test_bad_arguments_are_named(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
