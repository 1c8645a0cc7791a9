"""Tests of emstudy.stats.power (analytic RMSEA power, MacCallum et al. 1996; Welch's t power) against R.

R reference: tests/reference/power.R -> power.json (R 4.2.2, semTools 0.5-6). Each test quotes the R call
beside the values it reads. The published tables of MacCallum, Browne & Sugawara (1996) are checked too (see
``PUBLISHED_*`` below for where the values come from).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emstudy.stats
from emstudy.stats.power import RMSEAPower, rmsea_power, rmsea_sample_size, welch_power, welch_sample_size

REF = json.loads((Path(__file__).parent / "reference" / "power.json").read_text(encoding="utf-8"))

# MacCallum, Browne & Sugawara (1996), Psychological Methods 1(2), 130-149. Provenance: the cells below were
# taken from a transcription of the article's Tables 2, 4 and 5 found in a public repository with the project's
# code search (not re-read from the article PDF by us); they agree with the article's prose as quoted there
# ("with d = 40 and N = 200 ... approximately .69"; "for d = 40, Nmin = 252"; "with d = 100 ... N = 132") and
# with the values one recomputes below to the printed precision.
# Table 4: minimum N for power .80, alpha .05: df -> (close fit 0.05 vs 0.08, not-close fit 0.05 vs 0.01).
PUBLISHED_TABLE_4 = {
    2: (3488, 2382),
    4: (1807, 1426),
    6: (1238, 1069),
    8: (954, 875),
    10: (782, 750),
    20: (435, 474),
    30: (314, 366),
    40: (252, 307),
    50: (214, 268),
    75: (161, 210),
    100: (132, 178),
}
# Table 5: minimum N for the test of exact fit (0 vs 0.05): df -> (power .80, power .50).
PUBLISHED_TABLE_5 = {2: (1926, 994), 10: (651, 369), 50: (243, 148), 100: (164, 102)}
# Table 2: power at N = 100, 200, 300, 400, 500: df -> (close fit, not-close fit, exact fit), printed to 3 decimals.
PUBLISHED_TABLE_2 = {
    5: ((0.127, 0.199, 0.269, 0.335, 0.397), (0.081, 0.124, 0.181, 0.248, 0.324), (0.112, 0.188, 0.273, 0.362, 0.449)),
    40: ((0.368, 0.688, 0.872, 0.954, 0.985), (0.224, 0.523, 0.788, 0.930, 0.982), (0.279, 0.606, 0.843, 0.952, 0.988)),
    100: (
        (0.650, 0.955, 0.997, 1.000, 1.000),
        (0.426, 0.870, 0.990, 1.000, 1.000),
        (0.491, 0.904, 0.993, 1.000, 1.000),
    ),
}
TABLE_2_HYPOTHESES = ((0.05, 0.08), (0.05, 0.01), (0.0, 0.05))


def _ids(row: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in row.items() if k not in {"power", "n", "semtools"} or k == "n")


# ------------------------------------------------------------------------------------- RMSEA power vs R


RMSEA_PAIRS = sorted({(r["rmsea0"], r["rmsea_a"]) for r in REF["rmsea_power"]})


@pytest.mark.parametrize(("rmsea0", "rmsea_a"), RMSEA_PAIRS)
def test_rmsea_power_matches_r_pchisq(rmsea0: float, rmsea_a: float) -> None:
    # R: ncp0 <- (n - 1) * df * rmsea0^2; ncpa <- (n - 1) * df * rmsea_a^2; close fit (rmsea_a > rmsea0):
    # crit <- qchisq(1 - alpha, df, ncp = ncp0); power <- pchisq(crit, df, ncp = ncpa, lower.tail = FALSE);
    # not-close fit: crit <- qchisq(alpha, df, ncp = ncp0); power <- pchisq(crit, df, ncp = ncpa);
    # and semTools::findRMSEApower(rmsea0, rmseaA, df, n, alpha) (the same formula); df 1..100, n 30..3500,
    # alpha .05 and .01 for each pair of RMSEA values
    rows = [r for r in REF["rmsea_power"] if (r["rmsea0"], r["rmsea_a"]) == (rmsea0, rmsea_a)]
    assert len(rows) == 84
    for row in rows:
        r = rmsea_power(df=row["df"], n=row["n"], rmsea0=rmsea0, rmsea_a=rmsea_a, alpha=row["alpha"])
        assert r.ncp0 == pytest.approx(row["ncp0"], rel=1e-12, abs=1e-12), row
        assert r.ncp_a == pytest.approx(row["ncp_a"], rel=1e-12, abs=1e-12), row
        assert r.critical == pytest.approx(row["critical"], rel=1e-9), row
        assert r.power == pytest.approx(row["power"], abs=1e-10), row
        assert r.power == pytest.approx(row["semtools"], abs=1e-10), row
        assert r.test == ("close fit" if rmsea_a > rmsea0 else "not-close fit")


@pytest.mark.parametrize("row", REF["rmsea_sample_size"], ids=_ids)
def test_rmsea_sample_size_matches_r(row: dict) -> None:
    # R: smallest n with the pchisq power above >= target (integer bisection in power.R), and
    # semTools::findRMSEAsamplesize(rmsea0, rmseaA, df, power, alpha) (scans n upwards for power > target)
    kw = {"df": row["df"], "rmsea0": row["rmsea0"], "rmsea_a": row["rmsea_a"], "alpha": row["alpha"]}
    n = rmsea_sample_size(power=row["power"], **kw)
    assert n == row["n"] == row["semtools"]
    assert rmsea_power(n=n, **kw).power >= row["power"] > rmsea_power(n=n - 1, **kw).power


# ------------------------------------------------------------------------------------- published tables


@pytest.mark.parametrize("df", sorted(PUBLISHED_TABLE_4))
def test_rmsea_sample_size_reproduces_maccallum_table_4(df: int) -> None:
    # MacCallum et al. (1996) located N_min by interval halving with their SAS program; the exact smallest n
    # differs from the printed one by 6 at df = 2 (0.17%), 4 at df = 4 (0.22%) and at most one unit from df = 6 on,
    # hence the tolerance of 0.25% or one unit. The power at the printed N is .80 within 0.005.
    for rmsea_a, published in zip((0.08, 0.01), PUBLISHED_TABLE_4[df]):
        n = rmsea_sample_size(df=df, power=0.8, rmsea0=0.05, rmsea_a=rmsea_a)
        assert abs(n - published) <= max(1, 0.0025 * published), (df, rmsea_a, n, published)
        assert rmsea_power(df=df, n=published, rmsea_a=rmsea_a).power == pytest.approx(0.8, abs=0.005)


@pytest.mark.parametrize("df", sorted(PUBLISHED_TABLE_5))
def test_exact_fit_sample_size_reproduces_maccallum_table_5(df: int) -> None:
    for power, published in zip((0.8, 0.5), PUBLISHED_TABLE_5[df]):
        n = rmsea_sample_size(df=df, power=power, rmsea0=0.0, rmsea_a=0.05)
        assert abs(n - published) <= max(1, 0.0025 * published), (df, power, n, published)


@pytest.mark.parametrize("df", sorted(PUBLISHED_TABLE_2))
def test_rmsea_power_reproduces_maccallum_table_2(df: int) -> None:
    for (rmsea0, rmsea_a), printed in zip(TABLE_2_HYPOTHESES, PUBLISHED_TABLE_2[df]):
        for n, value in zip((100, 200, 300, 400, 500), printed):
            power = rmsea_power(df=df, n=n, rmsea0=rmsea0, rmsea_a=rmsea_a).power
            assert power == pytest.approx(value, abs=0.0005 + 1e-12), (df, rmsea0, rmsea_a, n)


def test_maccallum_prose_examples() -> None:
    # "with d = 40 and N = 200, the probability of rejecting H0: e <= .05 is approximately .69 if ea = .08"
    assert round(rmsea_power(df=40, n=200).power, 2) == 0.69
    # "for d = 40, Nmin = 252"; "with d = 100 ... N = 132"
    assert rmsea_sample_size(df=40) == 252 and rmsea_sample_size(df=100) == 132


# ------------------------------------------------------------------------------------- Welch power vs R


@pytest.mark.parametrize("row", REF["welch_power"], ids=_ids)
def test_welch_power_matches_r_pt(row: dict) -> None:
    # R: v1 <- sd1^2/n1; v2 <- sd2^2/n2; df <- (v1 + v2)^2 / (v1^2/(n1 - 1) + v2^2/(n2 - 1));
    # ncp <- diff / sqrt(v1 + v2); two-sided: q <- qt(1 - alpha/2, df);
    # pt(q, df, ncp = ncp, lower.tail = FALSE) + pt(-q, df, ncp = ncp); greater: pt(qt(1 - alpha, df), df, ncp,
    # lower.tail = FALSE); less: pt(-qt(1 - alpha, df), df, ncp)
    kw = {k: row[k] for k in ("diff", "sd1", "sd2", "n1", "n2", "alpha", "alternative")}
    assert welch_power(**kw) == pytest.approx(row["power"], abs=1e-10)


@pytest.mark.parametrize("row", REF["power_t_test"], ids=_ids)
def test_welch_power_with_equal_groups_is_power_t_test(row: dict) -> None:
    # R: power.t.test(n, delta, sd, sig.level = alpha, type = "two.sample", alternative, strict = TRUE)$power
    alternative = "two-sided" if row["alternative"] == "two.sided" else "greater"
    power = welch_power(
        diff=row["delta"],
        sd1=row["sd"],
        sd2=row["sd"],
        n1=row["n"],
        n2=row["n"],
        alpha=row["alpha"],
        alternative=alternative,
    )
    assert power == pytest.approx(row["power"], abs=1e-10)


@pytest.mark.parametrize("row", REF["power_t_test_n"], ids=_ids)
def test_welch_sample_size_is_ceiling_of_power_t_test_n(row: dict) -> None:
    # R: power.t.test(power, delta, sd, sig.level, type = "two.sample", alternative, strict = TRUE, tol = 1e-10)$n
    # is the fractional n per group; the smallest whole n is its ceiling
    alternative = "two-sided" if row["alternative"] == "two.sided" else "greater"
    n = welch_sample_size(diff=row["delta"], sd1=row["sd"], sd2=row["sd"], power=row["power"], alternative=alternative)
    assert n == math.ceil(row["n"])


# ------------------------------------------------------------------------------------- properties


def test_welch_power_is_finite_where_scipy_nct_is_not() -> None:
    # scipy 1.17's nct.cdf returns NaN far in the tails (nct.cdf(-q, 337.4, 9.28) here); the power is then ~1
    from scipy import stats

    assert math.isnan(stats.nct.cdf(-1.967, 337.4, 9.278))
    power = welch_power(diff=1.0, sd1=1.0, sd2=1.0, n1=161, n2=185)
    assert power == pytest.approx(1.0, abs=1e-12) and power <= 1.0
    assert welch_power(diff=1.0, sd1=1.0, sd2=1.0, n1=161, n2=185, alternative="less") == pytest.approx(0.0, abs=1e-15)


def test_welch_size_at_no_difference_is_alpha_and_tails_add_up() -> None:
    kw = {"sd1": 0.7, "sd2": 1.9, "n1": 23, "n2": 140}
    for alpha in (0.01, 0.05, 0.2):
        assert welch_power(diff=0.0, alpha=alpha, **kw) == pytest.approx(alpha, abs=1e-12)
        assert welch_power(diff=0.0, alpha=alpha, alternative="less", **kw) == pytest.approx(alpha, abs=1e-12)
    two = welch_power(diff=0.3, alpha=0.05, **kw)
    upper = welch_power(diff=0.3, alpha=0.025, alternative="greater", **kw)
    lower = welch_power(diff=0.3, alpha=0.025, alternative="less", **kw)
    assert two == pytest.approx(upper + lower, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    diff=st.floats(-2, 2), sd1=st.floats(0.2, 3), sd2=st.floats(0.2, 3), n1=st.integers(2, 500), n2=st.integers(2, 500)
)
def test_welch_power_is_symmetric_in_the_groups(diff: float, sd1: float, sd2: float, n1: int, n2: int) -> None:
    a = welch_power(diff=diff, sd1=sd1, sd2=sd2, n1=n1, n2=n2, alternative="greater")
    b = welch_power(diff=-diff, sd1=sd2, sd2=sd1, n1=n2, n2=n1, alternative="less")
    assert a == pytest.approx(b, abs=1e-12)
    assert 0.0 <= welch_power(diff=diff, sd1=sd1, sd2=sd2, n1=n1, n2=n2) <= 1.0


def test_welch_sample_size_with_ratio_or_fixed_second_group() -> None:
    kw = {"diff": 0.4, "sd1": 1.0, "sd2": 1.4, "alternative": "greater"}
    n1 = welch_sample_size(ratio=2.5, **kw)
    assert (
        welch_power(n1=n1, n2=math.ceil(2.5 * n1), **kw)
        >= 0.8
        > welch_power(n1=n1 - 1, n2=math.ceil(2.5 * (n1 - 1)), **kw)
    )
    n1 = welch_sample_size(n2=300, power=0.9, **kw)
    assert welch_power(n1=n1, n2=300, **kw) >= 0.9 > welch_power(n1=n1 - 1, n2=300, **kw)
    # a fixed second group bounds the power as n1 grows: with n2 = 10 the ceiling is below 0.99
    with pytest.raises(ValueError, match="^power: "):
        welch_sample_size(n2=10, power=0.99, **kw)


def test_rmsea_power_grows_with_n_and_result_object() -> None:
    powers = [rmsea_power(df=24, n=n).power for n in (50, 100, 200, 400, 800)]
    assert powers == sorted(powers) and powers[0] < 0.2 < 0.9 < powers[-1]
    r = rmsea_power(df=24, n=300, rmsea0=0.05, rmsea_a=0.02, alpha=0.01)
    assert isinstance(r, RMSEAPower) and r.test == "not-close fit"
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.power = 0.5  # type: ignore[misc]
    frame = r.to_frame()
    assert list(frame.columns) == [
        "df",
        "n",
        "rmsea0",
        "rmsea_a",
        "alpha",
        "ncp0",
        "ncp_a",
        "critical",
        "power",
        "test",
    ]
    assert frame.shape == (1, 10) and frame.loc[0, "power"] == r.power
    text = r.summary()
    assert "not-close fit" in text and "df = 24, n = 300" in text and f"{r.power:.4f}" in text
    assert {"rmsea_power", "rmsea_sample_size", "welch_power", "welch_sample_size", "RMSEAPower"} <= set(
        emstudy.stats.__all__
    )


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: rmsea_power(df=0, n=100), "df"),
        (lambda: rmsea_power(df=2.5, n=100), "df"),
        (lambda: rmsea_power(df=True, n=100), "df"),
        (lambda: rmsea_power(df=10, n=1), "n"),
        (lambda: rmsea_power(df=10, n=100, rmsea0=-0.01), "rmsea0"),
        (lambda: rmsea_power(df=10, n=100, rmsea_a=float("nan")), "rmsea_a"),
        (lambda: rmsea_power(df=10, n=100, rmsea0=0.05, rmsea_a=0.05), "rmsea_a"),
        (lambda: rmsea_power(df=10, n=100, alpha=1.0), "alpha"),
        (lambda: rmsea_sample_size(df=10, power=1.0), "power"),
        (lambda: rmsea_sample_size(df=10, rmsea0=0.05, rmsea_a=0.0500001, power=0.99), "power"),
        (lambda: welch_power(diff=0.2, sd1=0.0, sd2=1.0, n1=10, n2=10), "sd1"),
        (lambda: welch_power(diff=0.2, sd1=1.0, sd2=-1.0, n1=10, n2=10), "sd2"),
        (lambda: welch_power(diff=0.2, sd1=1.0, sd2=1.0, n1=1, n2=10), "n1"),
        (lambda: welch_power(diff=0.2, sd1=1.0, sd2=1.0, n1=10, n2=10.0), "n2"),
        (lambda: welch_power(diff="0.2", sd1=1.0, sd2=1.0, n1=10, n2=10), "diff"),
        (lambda: welch_power(diff=0.2, sd1=1.0, sd2=1.0, n1=10, n2=10, alternative="two.sided"), "alternative"),
        (lambda: welch_sample_size(diff=0.0, sd1=1.0, sd2=1.0), "diff"),
        (lambda: welch_sample_size(diff=0.3, sd1=1.0, sd2=1.0, alternative="less"), "diff"),
        (lambda: welch_sample_size(diff=0.3, sd1=1.0, sd2=1.0, ratio=0), "ratio"),
        (lambda: welch_sample_size(diff=0.3, sd1=1.0, sd2=1.0, n2=1), "n2"),
    ],
)
def test_bad_arguments_raise_one_line_naming_the_parameter(call, param: str) -> None:
    with pytest.raises(ValueError, match=f"^{param}: ") as info:
        call()
    assert "\n" not in str(info.value)
