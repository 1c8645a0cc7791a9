"""Tests of emstudy.stats.groups (compare_groups and the post hoc procedures games_howell, tukey_hsd, dunn)
against R (tests/reference/models.R -> models.json). The ``bfi_scales`` fixture is in conftest.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats import groups

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "models.json").read_text())


# ------------------------------------------------------------------------------------ compare_groups


def _pairs(res, key):
    ref = REF[key]
    ph = res.posthoc.set_index("pair")
    assert list(ph.index) == ref["pair"]
    return ph, ref


def test_welch_and_games_howell_match_r(bfi_scales):
    res = groups.compare_groups(bfi_scales, "agree", "education", method="welch")
    om = res.omnibus.iloc[0]
    # oneway.test(agree ~ education, data = g, var.equal = FALSE): statistic, parameter, p.value
    assert om["statistic"] == pytest.approx(REF["welch"]["F"], abs=1e-6)
    assert om["df1"] == pytest.approx(REF["welch"]["df1"], abs=1e-6)
    assert om["df2"] == pytest.approx(REF["welch"]["df2"], abs=1e-6)
    assert om["pvalue"] == pytest.approx(REF["welch"]["p"], abs=1e-6)
    assert res.n == REF["groups"]["n"]
    assert res.n_missing_group == 2800 - REF["groups"]["n"]
    assert res.n_missing == 0
    ph, ref = _pairs(res, "games_howell")
    # Games-Howell by hand in models.R: m_j - m_i, sqrt((v_i/n_i + v_j/n_j)/2), Welch df,
    # ptukey(q, k, df, lower.tail = FALSE), diff -/+ qtukey(.95, k, df) * se
    for col, rcol in [
        ("diff", "diff"),
        ("se", "se"),
        ("df", "df"),
        ("statistic", "q"),
        ("pvalue_adj", "p_adj"),
        ("ci_lower", "lwr"),
        ("ci_upper", "upr"),
    ]:
        np.testing.assert_allclose(ph[col].to_numpy(), ref[rcol], rtol=0, atol=1e-6, err_msg=col)


def test_anova_and_tukey_match_r(bfi_scales):
    res = groups.compare_groups(bfi_scales, "agree", "education", method="anova")
    om = res.omnibus.iloc[0]
    # summary(aov(agree ~ education, data = g))[[1]]: F value, Df, Pr(>F)
    assert om["statistic"] == pytest.approx(REF["anova"]["F"], abs=1e-6)
    assert (om["df1"], om["df2"]) == (REF["anova"]["df1"], REF["anova"]["df2"])
    assert om["pvalue"] == pytest.approx(REF["anova"]["p"], abs=1e-6)
    ph, ref = _pairs(res, "tukey")
    # TukeyHSD(a, "education")$education: diff, lwr, upr, p adj
    for col, rcol in [("diff", "diff"), ("ci_lower", "lwr"), ("ci_upper", "upr"), ("pvalue_adj", "p_adj")]:
        np.testing.assert_allclose(ph[col].to_numpy(), ref[rcol], rtol=0, atol=1e-6, err_msg=col)
    es = res.effect_sizes.set_index("measure")["value"]
    # eta^2 = SSB/SST, epsilon^2 = (SSB-(k-1)MSW)/SST, omega^2 = (SSB-(k-1)MSW)/(SST+MSW) from summary(aov) in models.R
    for m in ("eta_squared", "epsilon_squared", "omega_squared"):
        assert es[m] == pytest.approx(REF["effect_sizes"][m], abs=1e-10)


def test_kruskal_and_dunn_match_r(bfi_scales):
    res = groups.compare_groups(bfi_scales, "agree", "education", method="kruskal")
    om = res.omnibus.iloc[0]
    # kruskal.test(agree ~ education, data = g): statistic, parameter, p.value
    assert om["statistic"] == pytest.approx(REF["kruskal"]["H"], abs=1e-6)
    assert om["df1"] == REF["kruskal"]["df"]
    assert om["pvalue"] == pytest.approx(REF["kruskal"]["p"], abs=1e-6)
    ph, ref = _pairs(res, "dunn")
    # Dunn by hand in models.R: (Rbar_j - Rbar_i)/sqrt((N(N+1)/12 - sum(t^3-t)/(12(N-1)))(1/n_i+1/n_j)),
    # 2*pnorm(-|z|), p.adjust(p, "holm")
    for col, rcol in [("diff", "diff"), ("statistic", "z"), ("pvalue", "p"), ("pvalue_adj", "p_adj")]:
        np.testing.assert_allclose(ph[col].to_numpy(), ref[rcol], rtol=0, atol=1e-6, err_msg=col)
    es = res.effect_sizes.set_index("measure")["value"]
    # kw$statistic / ((N^2 - 1) / (N + 1)) in models.R
    assert es["epsilon_squared_H"] == pytest.approx(REF["effect_sizes"]["epsilon_squared_H"], abs=1e-10)


def test_compare_groups_small_group_and_missing():
    df = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 5 + ["c"], "y": [1, 2, 3, np.nan, 5, 2, 3, 4, 5, 6, 9.0]})
    with pytest.raises(ValueError, match=r"group 'c'.*at least 2"):
        groups.compare_groups(df, "y", "g")
    df2 = df.iloc[:10]
    res = groups.compare_groups(df2, "y", "g", method="anova")
    assert res.n_missing == 1 and res.n == 9
    assert res.descriptives.loc["a", "n"] == 4
    with pytest.raises(ValueError, match="method"):
        groups.compare_groups(df2, "y", "g", method="t")
    with pytest.raises(ValueError, match="'zz'"):
        groups.compare_groups(df2, "zz", "g")


# ------------------------------------------------------------------------------------ post hoc functions


@pytest.mark.parametrize(
    "method,posthoc,key",
    [
        ("welch", groups.games_howell, "games_howell"),
        ("anova", groups.tukey_hsd, "tukey"),
        ("kruskal", groups.dunn, "dunn"),
    ],
)
def test_posthoc_functions_equal_compare_groups_and_r(bfi_scales, method, posthoc, key):
    table = posthoc(bfi_scales, "agree", "education")
    pd.testing.assert_frame_equal(table, groups.compare_groups(bfi_scales, "agree", "education", method=method).posthoc)
    # the R values of models.R (TukeyHSD, Games-Howell and Dunn by hand)
    assert list(table["pair"]) == REF[key]["pair"]
    np.testing.assert_allclose(table["pvalue_adj"].to_numpy(), REF[key]["p_adj"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["diff"].to_numpy(), REF[key]["diff"], rtol=0, atol=1e-6)
    assert list(table.columns) == [
        "pair",
        "group1",
        "group2",
        "diff",
        "se",
        "statistic",
        "df",
        "pvalue",
        "pvalue_adj",
        "ci_lower",
        "ci_upper",
    ]


def test_posthoc_options_and_checks(bfi_scales):
    wide = groups.games_howell(bfi_scales, "agree", "education", conf_level=0.99)
    narrow = groups.games_howell(bfi_scales, "agree", "education")
    assert ((wide["ci_upper"] - wide["ci_lower"]) > (narrow["ci_upper"] - narrow["ci_lower"])).all()
    raw = groups.dunn(bfi_scales, "agree", "education", p_adjust="none")
    # p.adjust(p, "none") leaves the p values; models.R's dn$p
    np.testing.assert_allclose(raw["pvalue_adj"].to_numpy(), REF["dunn"]["p"], rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="p_adjust"):
        groups.dunn(bfi_scales, "agree", "education", p_adjust="bonferroni")
    with pytest.raises(ValueError, match="conf_level"):
        groups.tukey_hsd(bfi_scales, "agree", "education", conf_level=95)
    flat = pd.DataFrame({"g": list("aabb"), "y": [1.0, 1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"\['a'\].*zero variance; Games-Howell"):
        groups.games_howell(flat, "y", "g")


def test_group_comparison_frames_name_pvalue(bfi_scales):
    res = groups.compare_groups(bfi_scales, "agree", "education")
    assert list(res.omnibus.columns) == ["test", "statistic", "df1", "df2", "pvalue"]
    assert {"omnibus_statistic", "omnibus_pvalue"} <= set(res.to_frame().columns)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_welch_test_is_t_test_with_unequal_variances(alternative: str) -> None:
    """R: ``t.test(a, b, var.equal = FALSE, alternative = alt)``; here scipy.stats.ttest_ind(equal_var=False),
    an independent implementation that gives R's t, df and p."""
    from scipy import stats as st

    from emstudy.stats import welch_test

    rng = np.random.default_rng(7)
    a, b = rng.normal(0.0, 1.0, 23), rng.normal(0.4, 2.0, 41)
    res = welch_test(a, b, alternative=alternative)
    ref = st.ttest_ind(a, b, equal_var=False, alternative=alternative)
    assert res.diff == pytest.approx(a.mean() - b.mean(), rel=1e-14)
    assert res.t == pytest.approx(ref.statistic, rel=1e-12)
    assert res.df == pytest.approx(ref.df, rel=1e-12)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
    with pytest.raises(ValueError, match=r"^a, b: expected at least 2 values on each side, got 1 and 41$"):
        welch_test(a[:1], b)
    with pytest.raises(ValueError, match=r"^alternative: expected 'two-sided', 'less' or 'greater'"):
        welch_test(a, b, alternative="both")
