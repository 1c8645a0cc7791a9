"""Tests of emstudy.stats.regression against R (tests/reference/models.R -> models.json) and by construction."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.reporting import figures, tables
from emstudy.stats import groups, multitest, regression
from emstudy.stats import ipa as ipa_module

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "models.json").read_text())


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    """Scale scores of psychTools::bfi as in models.R (row means of available items, 7 - x reversed)."""
    b = pd.read_csv(REF_DIR / "data" / "bfi.csv")

    def score(items: list[str], reverse: list[str]) -> pd.Series:
        cols = [7 - b[c] if c in reverse else b[c] for c in items]
        return pd.concat(cols, axis=1).mean(axis=1)

    return pd.DataFrame(
        {
            "agree": score(["A1", "A2", "A3", "A4", "A5"], ["A1"]),
            "consc": score(["C1", "C2", "C3", "C4", "C5"], ["C4", "C5"]),
            "extra": score(["E1", "E2", "E3", "E4", "E5"], ["E1", "E2"]),
            "neuro": score(["N1", "N2", "N3", "N4", "N5"], []),
            "open": score(["O1", "O2", "O3", "O4", "O5"], ["O2", "O5"]),
            "gender": b["gender"],
            "education": b["education"],
        }
    )


def test_scale_scores_match_r(bfi):
    # colMeans of rowMeans(cbind(7 - A1, A2, ...), na.rm = TRUE) etc. in models.R
    for k, v in REF["scale_means"].items():
        assert bfi[k].mean() == pytest.approx(v, abs=1e-12)


# ------------------------------------------------------------------------------------ compare_groups


def _pairs(res, key):
    ref = REF[key]
    ph = res.posthoc.set_index("pair")
    assert list(ph.index) == ref["pair"]
    return ph, ref


def test_welch_and_games_howell_match_r(bfi):
    res = groups.compare_groups(bfi, "agree", "education", method="welch")
    om = res.omnibus.iloc[0]
    # oneway.test(agree ~ education, data = g, var.equal = FALSE): statistic, parameter, p.value
    assert om["statistic"] == pytest.approx(REF["welch"]["F"], abs=1e-6)
    assert om["df1"] == pytest.approx(REF["welch"]["df1"], abs=1e-6)
    assert om["df2"] == pytest.approx(REF["welch"]["df2"], abs=1e-6)
    assert om["p"] == pytest.approx(REF["welch"]["p"], abs=1e-6)
    assert res.n == REF["groups"]["n"]
    assert res.n_missing_group == 2800 - REF["groups"]["n"]
    assert res.n_missing == 0
    ph, ref = _pairs(res, "games_howell")
    # Games-Howell by hand in models.R: m_j - m_i, sqrt((v_i/n_i + v_j/n_j)/2), Welch df,
    # ptukey(q, k, df, lower.tail = FALSE), diff -/+ qtukey(.95, k, df) * se
    for col, rcol in [("diff", "diff"), ("se", "se"), ("df", "df"), ("statistic", "q"), ("p_adj", "p_adj"),
                      ("ci_lower", "lwr"), ("ci_upper", "upr")]:
        np.testing.assert_allclose(ph[col].to_numpy(), ref[rcol], rtol=0, atol=1e-6, err_msg=col)


def test_anova_and_tukey_match_r(bfi):
    res = groups.compare_groups(bfi, "agree", "education", method="anova")
    om = res.omnibus.iloc[0]
    # summary(aov(agree ~ education, data = g))[[1]]: F value, Df, Pr(>F)
    assert om["statistic"] == pytest.approx(REF["anova"]["F"], abs=1e-6)
    assert (om["df1"], om["df2"]) == (REF["anova"]["df1"], REF["anova"]["df2"])
    assert om["p"] == pytest.approx(REF["anova"]["p"], abs=1e-6)
    ph, ref = _pairs(res, "tukey")
    # TukeyHSD(a, "education")$education: diff, lwr, upr, p adj
    for col, rcol in [("diff", "diff"), ("ci_lower", "lwr"), ("ci_upper", "upr"), ("p_adj", "p_adj")]:
        np.testing.assert_allclose(ph[col].to_numpy(), ref[rcol], rtol=0, atol=1e-6, err_msg=col)
    es = res.effect_sizes.set_index("measure")["value"]
    # eta^2 = SSB/SST, epsilon^2 = (SSB-(k-1)MSW)/SST, omega^2 = (SSB-(k-1)MSW)/(SST+MSW) from summary(aov) in models.R
    for m in ("eta_squared", "epsilon_squared", "omega_squared"):
        assert es[m] == pytest.approx(REF["effect_sizes"][m], abs=1e-10)


def test_kruskal_and_dunn_match_r(bfi):
    res = groups.compare_groups(bfi, "agree", "education", method="kruskal")
    om = res.omnibus.iloc[0]
    # kruskal.test(agree ~ education, data = g): statistic, parameter, p.value
    assert om["statistic"] == pytest.approx(REF["kruskal"]["H"], abs=1e-6)
    assert om["df1"] == REF["kruskal"]["df"]
    assert om["p"] == pytest.approx(REF["kruskal"]["p"], abs=1e-6)
    ph, ref = _pairs(res, "dunn")
    # Dunn by hand in models.R: (Rbar_j - Rbar_i)/sqrt((N(N+1)/12 - sum(t^3-t)/(12(N-1)))(1/n_i+1/n_j)),
    # 2*pnorm(-|z|), p.adjust(p, "holm")
    for col, rcol in [("diff", "diff"), ("statistic", "z"), ("p", "p"), ("p_adj", "p_adj")]:
        np.testing.assert_allclose(ph[col].to_numpy(), ref[rcol], rtol=0, atol=1e-6, err_msg=col)
    es = res.effect_sizes.set_index("measure")["value"]
    # kw$statistic / ((N^2 - 1) / (N + 1)) in models.R
    assert es["epsilon_squared_H"] == pytest.approx(REF["effect_sizes"]["epsilon_squared_H"], abs=1e-10)


def test_holm_matches_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "holm") = 0.04 0.09 0.09 0.025 0.5
    np.testing.assert_allclose(multitest.holm(p), [0.04, 0.09, 0.09, 0.025, 0.5], atol=1e-15)


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


# ------------------------------------------------------------------------------------ drivers


def test_drivers_hc3_matches_r(bfi):
    res = regression.drivers(
        bfi, outcome="agree", predictors=["consc", "extra", "neuro", "open"], covariates=["gender"],
        categorical=["gender"],
    )
    ref = REF["ols"]
    # lm(agree ~ consc + extra + neuro + open + gender) with gender a factor; R names "gender2"
    assert list(res.table.index) == ["Intercept", "consc", "extra", "neuro", "open", "gender[T.2]"]
    assert res.n == ref["n"] and res.df_resid == ref["df_resid"]
    assert res.n_dropped == 2800 - ref["n"]
    t = res.table
    # coef(fit); sqrt(diag(sandwich::vcovHC(fit, type = "HC3"))); b/se; 2*pt(-|t|, df); b -/+ qt(.975, df)*se
    for col, rcol in [("coef", "coef"), ("se", "se_hc3"), ("t", "t"), ("p", "p"), ("ci_lower", "ci_lower"),
                      ("ci_upper", "ci_upper")]:
        np.testing.assert_allclose(t[col].to_numpy(), ref[rcol], rtol=0, atol=1e-6, err_msg=col)
    # coef(lm(... , data = dz)) with agree, consc, extra, neuro, open z-scored, gender left as dummy
    np.testing.assert_allclose(t["beta_std"].to_numpy()[1:], ref["beta_std"][1:], atol=1e-6)
    assert np.isnan(t["beta_std"].iloc[0])
    # 1 / (1 - summary(lm(X[, cn] ~ X[, -cn]))$r.squared) over model.matrix(fit)[, -1]
    np.testing.assert_allclose(t["vif"].to_numpy()[1:], ref["vif"], atol=1e-6)
    # summary(fit)$r.squared, $adj.r.squared
    assert res.r2 == pytest.approx(ref["r2"], abs=1e-10)
    assert res.adj_r2 == pytest.approx(ref["adj_r2"], abs=1e-10)
    frame = res.to_frame()
    assert list(frame.columns[:3]) == ["term", "coef", "se"]
    assert "HC3" in res.summary() and "reference level 1" in res.summary()


def test_drivers_collinearity_names_columns():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50), "c": rng.normal(size=50)})
    df["d"] = df.a + 2 * df.b
    df["y"] = rng.normal(size=50)
    with pytest.raises(ValueError, match=r"collinear.*\['a', 'b', 'd'\]"):
        regression.drivers(df, outcome="y", predictors=["a", "b", "c", "d"])
    df["k"] = 3.0
    with pytest.raises(ValueError, match=r"collinear.*'Intercept', 'k'"):
        regression.drivers(df, outcome="y", predictors=["a", "k"])


def test_drivers_missing_policy_and_checks():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(size=40), "y": rng.normal(size=40)})
    df.loc[3, "x"] = np.nan
    assert regression.drivers(df, outcome="y", predictors=["x"]).n_dropped == 1
    with pytest.raises(ValueError, match="missing='raise'.*'x'"):
        regression.drivers(df, outcome="y", predictors=["x"], missing="raise")
    with pytest.raises(ValueError, match="'nope'"):
        regression.drivers(df, outcome="y", predictors=["nope"])
    df["s"] = "a"
    with pytest.raises(ValueError, match="'s'.*numeric"):
        regression.drivers(df, outcome="y", predictors=["s"])


# ------------------------------------------------------------------------------------ ordinal


@pytest.mark.parametrize("link,key", [("logit", "polr_logistic"), ("probit", "polr_probit")])
def test_ordinal_drivers_match_polr(bfi, link, key):
    ref = REF[key]
    res = regression.ordinal_drivers(
        bfi, outcome="education", predictors=["agree", "consc", "extra", "neuro", "open"], link=link
    )
    assert res.n == ref["n"] and res.converged
    # polr(education ~ agree + consc + extra + neuro + open, Hess = TRUE, method = link): coef, sqrt(diag(vcov))
    np.testing.assert_allclose(res.coefficients["coef"].to_numpy(), ref["coef"], atol=1e-4)
    np.testing.assert_allclose(res.coefficients["se"].to_numpy(), ref["se"], atol=1e-4)
    # pf$zeta (logit P(Y <= k) = zeta_k - eta) and their SEs from vcov(pf)
    assert list(res.thresholds.index) == ref["threshold"]
    np.testing.assert_allclose(res.thresholds["zeta"].to_numpy(), ref["zeta"], atol=1e-4)
    np.testing.assert_allclose(res.thresholds["se"].to_numpy(), ref["zeta_se"], atol=1e-4)
    # logLik(pf)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-4)
    tidy = res.to_frame()
    assert list(tidy["kind"]).count("threshold") == 4


# ------------------------------------------------------------------------------------ pooled


def test_pooled_random_matches_lmer(bfi):
    ref = REF["lmer"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = regression.pooled_model(bfi, outcome="agree", predictors=["consc"], group="education", random=True)
    assert res.n == ref["n"] and res.n_groups == 5
    # fixef(mm), sqrt(diag(vcov(mm))) for lmer(agree ~ consc + (1 | education), REML = TRUE)
    np.testing.assert_allclose(res.table["coef"].to_numpy(), ref["coef"], atol=1e-4)
    np.testing.assert_allclose(res.table["se"].to_numpy(), ref["se"], atol=1e-4)
    # as.data.frame(VarCorr(mm))$vcov
    assert res.var_group == pytest.approx(ref["var_group"], abs=1e-4)
    assert res.var_resid == pytest.approx(ref["var_resid"], abs=1e-4)
    assert "ICC" in res.summary()


def test_pooled_fixed_matches_lm_hc3(bfi):
    ref = REF["fixed_groups"]
    res = regression.pooled_model(bfi, outcome="agree", predictors=["consc"], group="education", random=False)
    # lm(agree ~ consc + education) with education a factor; sqrt(diag(vcovHC(fe, type = "HC3")))
    np.testing.assert_allclose(res.table["coef"].to_numpy(), ref["coef"], atol=1e-6)
    np.testing.assert_allclose(res.table["se"].to_numpy(), ref["se_hc3"], atol=1e-6)
    assert res.n == ref["n"] and np.isnan(res.icc)


def test_pooled_nonconvergence_warns_with_advice():
    # residuals centred within groups: the group variance sits on the boundary (0) and REML stops there
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"g": np.repeat(np.arange(4), 30), "x": rng.normal(size=120)})
    e = rng.normal(size=120)
    df["y"] = df.x + e - pd.Series(e).groupby(df.g).transform("mean").to_numpy()
    with pytest.warns(RuntimeWarning, match=r"(did not converge|near\) zero).*random=False"):
        r = regression.pooled_model(df, outcome="y", predictors=["x"], group="g")
    assert r.var_group < 1e-3 * r.var_resid


def test_pooled_checks():
    df = pd.DataFrame({"g": [1, 1, 1, 1], "x": [1.0, 2, 3, 4], "y": [1.0, 3, 2, 5]})
    with pytest.raises(ValueError, match="group 'g'.*at least 2 groups"):
        regression.pooled_model(df, outcome="y", predictors=["x"], group="g")
    with pytest.raises(ValueError, match="'x'.*differ"):
        regression.pooled_model(df, outcome="y", predictors=["x"], group="x")


# ------------------------------------------------------------------------------------ IPA, tables, figures


def _ipa_data(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    df = pd.DataFrame(
        {
            "high_imp_low_perf": rng.normal(2.5, 0.8, n),
            "high_imp_high_perf": rng.normal(4.0, 0.8, n),
            "low_imp_low_perf": rng.normal(2.6, 0.8, n),
            "low_imp_high_perf": rng.normal(4.1, 0.8, n),
        }
    )
    df["y"] = 0.6 * df.high_imp_low_perf + 0.5 * df.high_imp_high_perf + 0.02 * df.low_imp_low_perf + rng.normal(0, 0.5, n)
    df.loc[0, "low_imp_low_perf"] = np.nan
    return df


def test_importance_performance_quadrants_and_ci():
    df = _ipa_data()
    frame, concentrate = ipa_module.importance_performance(df, outcome="y", predictors=list(df.columns[:4]))
    assert concentrate == ["high_imp_low_perf"]
    q = frame.set_index("predictor")["quadrant"]
    assert q["high_imp_high_perf"] == "keep up the good work"
    assert q["low_imp_low_perf"] == "low priority"
    assert q["low_imp_high_perf"] == "possible overkill"
    # importance is drivers()' standardized beta on the same listwise sample
    d = regression.drivers(df, outcome="y", predictors=list(df.columns[:4]))
    np.testing.assert_allclose(frame["importance"], d.table["beta_std"].iloc[1:], atol=1e-12)
    # performance CI: mean -/+ qt(.975, n-1) * sd / sqrt(n) on the 399 complete cases
    cc = df.dropna()
    x = cc["high_imp_low_perf"]
    half = 1.965942324 * x.std(ddof=1) / np.sqrt(len(x))  # R: qt(0.975, 398) = 1.965942324
    row = frame.set_index("predictor").loc["high_imp_low_perf"]
    assert row["n"] == 399
    assert row["performance_ci_lower"] == pytest.approx(x.mean() - half, abs=1e-4)
    assert row["performance_ci_upper"] == pytest.approx(x.mean() + half, abs=1e-4)
    with pytest.raises(ValueError, match="ci"):
        ipa_module.importance_performance(df, outcome="y", predictors=list(df.columns[:4]), ci=95)


def test_apa_table_markdown_and_html():
    df = pd.DataFrame({"term": ["x", "z<1"], "coef": [0.5, -1.234], "n": [10, 12], "p": [0.0004, 0.0456]})
    md = tables.apa_table(df, caption="Drivers")
    lines = md.splitlines()
    assert lines[0] == "*Drivers*"
    assert lines[2] == "| term | coef | n | p |"
    assert lines[3] == "|:--|--:|--:|--:|"
    assert lines[4] == "| x | 0.50 | 10 | < .001 |"
    assert lines[5] == "| z<1 | \u22121.23 | 12 | .046 |"
    html = tables.apa_table(df, fmt="html", caption="Drivers & more", digits=3)
    assert "<caption><em>Drivers &amp; more</em></caption>" in html
    assert "z&lt;1" in html and "\u22121.234" in html and ".046" in html
    with pytest.raises(ValueError, match="fmt"):
        tables.apa_table(df, fmt="latex")


def test_figures_are_built_without_display(tmp_path):
    from matplotlib.figure import Figure

    m = pd.DataFrame(
        {
            "construct": ["plans", "teams", "plans", "teams"],
            "group": ["A", "A", "B", "B"],
            "mean": [3.1, 3.4, 2.8, 3.9],
            "ci_lower": [2.9, 3.2, 2.6, 3.7],
            "ci_upper": [3.3, 3.6, 3.0, 4.1],
        }
    )
    fig = figures.plot_profiles(m, title="Profiles")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["plans", "teams"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B"]
    wide = m.pivot(index="construct", columns="group", values="mean")
    hm = figures.plot_heatmap(wide)
    texts = sorted(t.get_text() for t in hm.axes[0].texts)
    assert texts == ["2.80", "3.10", "3.40", "3.90"]
    frame, _ = ipa_module.importance_performance(_ipa_data(), outcome="y", predictors=list(_ipa_data().columns[:4]))
    ipa = figures.plot_ipa(frame)
    assert len(ipa.axes[0].texts) >= 4
    ipa.savefig(tmp_path / "ipa.png")
    assert (tmp_path / "ipa.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="ci_lower"):
        figures.plot_profiles(m.drop(columns="ci_lower"))


def test_ordinal_drivers_ordered_labels_and_checks():
    rng = np.random.default_rng(8)
    x = rng.normal(size=300)
    codes = np.digitize(0.8 * x + rng.logistic(size=300), [-1.0, 0.5])
    labels = pd.Categorical.from_codes(codes, categories=["low", "mid", "high"], ordered=True)
    df = pd.DataFrame({"y": labels, "x": x})
    res = regression.ordinal_drivers(df, outcome="y", predictors=["x"])
    assert res.levels == ("low", "mid", "high")
    assert list(res.thresholds.index) == ["low|mid", "mid|high"]
    # thresholds increase and the slope has the generating sign (higher x -> higher categories)
    assert res.thresholds["zeta"].is_monotonic_increasing and res.coefficients.loc["x", "coef"] > 0
    assert res.coefficients.loc["x", "odds_ratio"] == pytest.approx(np.exp(res.coefficients.loc["x", "coef"]))
    assert "zeta_k - x'beta" in res.summary()
    with pytest.raises(ValueError, match="link"):
        regression.ordinal_drivers(df, outcome="y", predictors=["x"], link="cauchit")
    with pytest.raises(ValueError, match="'y'.*at least 2 observed levels"):
        regression.ordinal_drivers(df.assign(y="low"), outcome="y", predictors=["x"])
