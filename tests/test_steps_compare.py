"""Cross-case comparison (emstudy.steps.compare) against R and against the generator's truth.

R values: tests/reference/compare_synthetic.json, written by tests/reference/compare_synthetic.R on the
encoded synthetic study (analysis/<case>/results/encoded.csv). Truth: data/raw/<case>.truth.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.reporting.figures import figure_png, plot_case_heatmap, plot_case_profiles
from emstudy.steps import compare as cmp
from emstudy.steps.context import CrossCase, load_all

ROOT = Path(__file__).resolve().parents[1]
CASES = ["chaoyang", "h_district", "wencheng", "xilinguole", "yima"]
REF = json.loads((ROOT / "tests" / "reference" / "compare_synthetic.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cc() -> CrossCase:
    return load_all(ROOT, CASES)


@pytest.fixture(scope="module")
def below(cc) -> pd.DataFrame:
    return cmp.below_others(cc.scores, constructs=cc.constructs)


def test_load_all_stacks_every_case(cc):
    assert list(cc.scores["case"].cat.categories) == CASES
    # R: nrow(do.call(rbind, lapply(cases, read.csv(...encoded.csv))))
    assert len(cc.scores) == REF["n"]
    assert set(cc.constructs) == {
        "plan",
        "organisation",
        "resources",
        "teams",
        "training",
        "rules",
        "warning",
        "response",
        "information",
        "participation",
        "recovery",
    }
    assert cc.synthetic


@pytest.mark.parametrize("construct", ["training", "warning"])
def test_welch_omnibus_matches_r(cc, construct):
    comp = cmp.compare_cases(cc.scores, constructs=[construct])
    row = comp.omnibus.iloc[0]
    ref = REF["welch"][construct]  # R: oneway.test(<construct> ~ case, data = all, var.equal = FALSE)
    assert row["F"] == pytest.approx(ref["F"], abs=1e-6)
    assert row["df1"] == ref["df1"]
    assert row["df2"] == pytest.approx(ref["df2"], abs=1e-6)
    assert row["pvalue"] == pytest.approx(ref["p"], rel=1e-6)
    assert 0 < row["omega_squared"] < row["eta_squared"]


@pytest.mark.parametrize("construct", ["training", "warning"])
def test_games_howell_matches_r(cc, construct):
    ph = cmp.compare_cases(cc.scores, constructs=[construct]).posthoc.set_index("pair")
    # R: games_howell(all$<construct>, all$case) in compare_synthetic.R (ptukey/qtukey with Welch df)
    ref = REF["games_howell"][construct]
    assert len(ph) == len(ref) == 10
    for r in ref:
        got = ph.loc[r["pair"]]
        for ours, theirs in [
            ("diff", "diff"),
            ("se", "se"),
            ("statistic", "q"),
            ("df", "df"),
            ("ci_lower", "ci_lower"),
            ("ci_upper", "ci_upper"),
        ]:
            assert got[ours] == pytest.approx(r[theirs], abs=1e-6), (r["pair"], ours)
        assert got["pvalue_adj"] == pytest.approx(r["p_adj"], abs=1e-6), r["pair"]


@pytest.mark.parametrize("case_id", ["yima", "chaoyang"])
def test_one_vs_rest_matches_r(below, case_id):
    row = below.query("case == @case_id and construct == 'warning'").iloc[0]
    # R: t.test(x[all$case == cid], x[all$case != cid], var.equal = FALSE), x = all$warning
    ref = REF["one_vs_rest"][case_id]
    assert row["t"] == pytest.approx(ref["t"], abs=1e-6)
    assert row["df"] == pytest.approx(ref["df"], abs=1e-6)
    assert row["pvalue"] == pytest.approx(ref["p"], rel=1e-6)


def test_holm_within_case(below):
    for _, block in below.groupby("case"):
        assert len(block) == 11
        p = np.sort(block["pvalue"].to_numpy())
        adj = np.sort(block["pvalue_holm"].to_numpy())
        assert adj[0] == pytest.approx(min(1.0, 11 * p[0]))
        assert (block["pvalue_holm"] >= block["pvalue"]).all()


def test_pooled_random_intercepts_match_lmer(cc):
    pooled = cmp.pooled_drivers(cc.scores, predictors=["response", "organisation", "information"])
    rand = pooled[pooled["model"] == "random intercepts (REML)"].set_index("term")
    ref = REF["lmer"]  # R: lmer(effectiveness ~ response + organisation + information + (1 | case), REML = TRUE)
    for term, r_term in [
        ("Intercept", "(Intercept)"),
        ("response", "response"),
        ("organisation", "organisation"),
        ("information", "information"),
    ]:
        assert rand.loc[term, "coef"] == pytest.approx(ref["coef"][r_term], abs=1e-4)  # fixef(fit)
        assert rand.loc[term, "se"] == pytest.approx(ref["se"][r_term], abs=1e-4)  # sqrt(diag(vcov(fit)))
    assert int(rand["n"].iloc[0]) == ref["n"]  # nobs(fit)
    # R: isSingular(fit) is TRUE and VarCorr(fit) gives 0: the generator gives every case the same outcome intercept
    assert ref["singular"] and ref["var_case"] == 0
    assert rand["var_case"].iloc[0] < 1e-6
    assert rand["note"].iloc[0].startswith("singular fit")
    assert rand["var_resid"].iloc[0] == pytest.approx(ref["sigma2"], rel=1e-4)  # sigma(fit)^2
    fixed = pooled[pooled["model"] == "case fixed effects (HC3)"]
    assert {"case[T.wencheng]", "case[T.yima]"} <= set(fixed["term"])


def test_listed_weaknesses_found_below_the_other_cases(cc, below):
    """Generator truth: each case's listed weaknesses have the lowest latent means (-0.45, -0.35, -0.25;
    data/raw/<case>.truth.json, parameters.latent_means). 13 of the 14 listed weaknesses are found
    significantly below the other cases (Holm within case, alpha .05). The one missed is Yima's training:
    training is also a weakness of Chaoyang (-0.25) and H district (-0.35), so the other cases' respondents
    are on average about as low on it as Yima's."""
    listed = cc.weaknesses()
    truth = {
        c: json.loads((ROOT / "data" / "raw" / f"{c}.truth.json").read_text(encoding="utf-8"))["parameters"]
        for c in CASES
    }
    for c in CASES:
        assert list(truth[c]["weaknesses"]) == listed[c]
    rec = cmp.weakness_recovery(below, listed).set_index("case")
    assert rec["n_listed"].sum() == 14
    assert rec["n_found_listed"].sum() == 13
    missed = {(c, w) for c in CASES for w in listed[c] if w not in rec.loc[c, "found_listed"].split(", ")}
    assert missed == {("yima", "training")}


def test_shared_weaknesses(cc, below):
    table = cmp.shared_weaknesses(below, listed=cc.weaknesses()).set_index("construct")
    # truth: rules (xilinguole, yima), warning (chaoyang, yima), resources (chaoyang, h_district) are listed twice
    for c in ("rules", "warning", "resources"):
        assert table.loc[c, "pattern"] == "shared"
    assert table.loc["information", "pattern"] == "particular"
    assert table.loc["information", "cases_found"] == "wencheng"
    assert table.loc["training", "listed_not_found"] == "yima"


def test_shared_weaknesses_small_example():
    below = pd.DataFrame(
        {"case": ["a", "a", "b", "b"], "construct": ["x", "y", "x", "y"], "below": [True, False, True, True]}
    )
    t = cmp.shared_weaknesses(below, listed={"a": ["y"], "b": []}).set_index("construct")
    assert t.loc["x", "pattern"] == "shared" and t.loc["x", "n_found"] == 2
    assert t.loc["y", "pattern"] == "particular" and t.loc["y", "cases_found"] == "b"
    assert t.loc["y", "listed_not_found"] == "a"
    with pytest.raises(ValueError, match="below"):
        cmp.shared_weaknesses(below.drop(columns="below"))


def test_means_verdict():
    assert "can be compared" in cmp.means_verdict("scalar")
    assert "not means" in cmp.means_verdict("metric")
    with pytest.raises(ValueError, match="level"):
        cmp.means_verdict("strict")


def test_means_by_case_ci(cc):
    m = cmp.means_by_case(cc.scores, constructs=["warning"])
    row = m.long.set_index("case").loc["yima"]
    x = cc.scores.loc[cc.scores["case"] == "yima", "warning"].dropna()
    assert row["mean"] == pytest.approx(x.mean())
    from scipy import stats

    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    assert row["ci_upper"] - row["mean"] == pytest.approx(half)
    assert list(m.wide.columns) == CASES


def test_input_checks(cc):
    with pytest.raises(ValueError, match="constructs"):
        cmp.compare_cases(cc.scores, constructs=[])
    with pytest.raises(ValueError, match="nonexistent"):
        cmp.means_by_case(cc.scores, constructs=["nonexistent"])
    with pytest.raises(ValueError, match="alpha"):
        cmp.below_others(cc.scores, constructs=["plan"], alpha=1.5)
    with pytest.raises(ValueError, match="case_ids"):
        load_all(ROOT, ["yima"])


def test_figures_byte_identical(cc):
    means = cmp.means_by_case(cc.scores, constructs=cc.constructs)
    labels = {c: cc.codebook.label(c, "en") for c in cc.constructs}
    a = figure_png(plot_case_profiles(means.long, labels=labels))
    b = figure_png(plot_case_profiles(means.long, labels=labels))
    assert a == b and a.startswith(b"\x89PNG")
    h1 = figure_png(plot_case_heatmap(means.wide, labels=labels))
    h2 = figure_png(plot_case_heatmap(means.wide, labels=labels))
    assert h1 == h2 and h1 != a


def _bare(text: str) -> str:
    return "".join(text.split())


def test_the_figures_are_drawn_in_each_report_language_with_place_names(cc, tmp_path, saved_figure_texts):
    from emstudy.steps import files

    means = cmp.means_by_case(cc.scores, constructs=[*cc.constructs, "effectiveness"])
    empty = pd.DataFrame()
    results = cmp.CompareResults(means, None, None, empty, empty, empty, synthetic=True)  # what the figures use
    seen = saved_figure_texts
    written = cmp.write_figures(results, tmp_path / "a", codebook=cc.codebook, cases=cc.cases)
    assert [p.relative_to(tmp_path / "a").as_posix() for p in written] == [
        files.PROFILES_FIGURE,
        files.HEATMAP_FIGURE,
        "figures/profiles.zh.png",
        "figures/heatmap.zh.png",
    ]
    for name in ("profiles", "heatmap"):
        en, zh = seen[f"{name}.png"], seen[f"{name}.zh.png"]
        assert _bare("(synthetic data)") in en and "（合成数据）" in zh
        for case_id in CASES:  # places by name in the figure's language, never by id
            assert _bare(cc.cases[case_id].name.en) in en and cc.cases[case_id].name.zh in zh, (name, case_id)
            assert _bare(cc.cases[case_id].name.en) not in zh
        for c in cc.constructs:
            assert _bare(cc.codebook.label(c, "en")) in en and _bare(cc.codebook.label(c, "zh")) in zh, (name, c)
            assert _bare(cc.codebook.label(c, "en")) not in zh, (name, c)
    again = cmp.write_figures(results, tmp_path / "b", codebook=cc.codebook, cases=cc.cases)
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in again]
    assert len({p.read_bytes() for p in written}) == 4


# ----------------------------------------------------------------------------------------- by multiple imputation


def test_below_others_by_multiple_imputation_sits_beside_the_complete_cases(cc, below, tmp_path):
    """Notebook 04 writes each case's per-set means (imputed_means.csv); notebook 05 pools the Welch comparisons
    over them (R check of the pooling: tests/test_steps_drivers_imputed.py). Two sets per case keep this fast."""
    from emstudy.steps import drivers_imputed
    from emstudy.steps.compare_imputed import load_imputed_means, pooled_below_others
    from emstudy.steps.drivers import case_imputed_models

    dirs = {}
    for case_id in CASES:
        models = case_imputed_models(cc.encoded[case_id], seed=20190719, m=2)
        dirs[case_id] = tmp_path / case_id
        drivers_imputed.write_results(models, dirs[case_id])
    moments, missing = load_imputed_means(dirs)
    assert missing == [] and sorted(moments["case"].unique()) == CASES
    assert set(moments["imputation"]) == {1, 2}
    res = pooled_below_others(moments, constructs=cc.constructs, complete_case=below)
    assert len(res) == len(below) and list(res["case"]) == list(below["case"])
    # 1-5 % of the scores are imputed: the pooled difference stays within a few hundredths of the complete-case one
    assert (res["diff"] - res["diff_cc"]).abs().max() < 0.05
    assert (res["fmi"] >= 0).all() and (res["fmi"] < 0.5).all()
    # nearly every verdict (significantly below the others or not) is the complete-case one
    assert (res["below"] == res["below_cc"]).mean() > 0.95
    assert (res["ci_lower"] < res["diff"]).all() and (res["diff"] < res["ci_upper"]).all()
    # a case without imputed sets (its models were not fitted) is named, and nothing is pooled without it
    drivers_imputed.write_results(None, dirs["yima"])  # what notebook 04 writes when the models are not fitted
    _, missing = load_imputed_means(dirs)
    assert missing == ["yima"]
    (dirs["wencheng"] / "imputed_means.csv").write_text("\n")
    (dirs["chaoyang"] / "imputed_means.csv").unlink()
    assert load_imputed_means(dirs)[1] == ["chaoyang", "wencheng", "yima"]
