"""Reliability step of the study (notebook 02): emstudy.steps.reliability.

Reference values: tests/reference/reliability_synthetic.json, written by
``Rscript tests/reference/reliability_synthetic.R`` (psych 2.2.9) from analysis/<case>/results/encoded.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.steps import reliability as reliability_step
from emstudy.steps.context import load_encoded
from emstudy.steps.reliability import MISSING_POLICY, RELIABILITY_THRESHOLDS, assess_reliability, reliability_sentences

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "reference" / "reliability_synthetic.json").read_text(encoding="utf-8"))
TOL = 1e-6


@pytest.fixture(scope="module", params=sorted(REF["cases"]))
def case(request):
    enc = load_encoded(ROOT, request.param)
    return request.param, enc, reliability_step.run(enc)


def test_construct_alphas_match_psych(case):
    cid, enc, rel = case
    ref = REF["cases"][cid]
    assert rel.n == ref["n_kept"]
    assert list(rel.table.index) == list(ref["scales"])
    for s, r in ref["scales"].items():
        row = rel.table.loc[s]
        assert int(row["n"]) == r["n"]  # nrow(na.omit(d[, cols]))
        # psych::alpha(na.omit(d[, cols]), check.keys = FALSE)$total$raw_alpha
        assert row["alpha"] == pytest.approx(r["raw_alpha"], abs=TOL)
        # psych::alpha(na.omit(d[, cols]), check.keys = FALSE)$total$std.alpha
        assert row["std_alpha"] == pytest.approx(r["std_alpha"], abs=TOL)


def test_item_statistics_match_psych(case):
    cid, enc, rel = case
    ref = REF["cases"][cid]
    assert len(rel.items) == 48
    for s, r in ref["scales"].items():
        for item, v in r["r_drop"].items():
            assert rel.items.loc[item, "construct"] == s
            # psych::alpha(na.omit(d[, cols]), check.keys = FALSE)$item.stats$r.drop
            assert rel.items.loc[item, "r_drop"] == pytest.approx(v, abs=TOL), item
            # psych::alpha(na.omit(d[, cols]), check.keys = FALSE)$alpha.drop$raw_alpha
            assert rel.items.loc[item, "alpha_if_deleted"] == pytest.approx(r["alpha_if_deleted"][item], abs=TOL)
        weakest = min(r["r_drop"], key=r["r_drop"].get)
        assert rel.table.loc[s, "weakest_item"] == weakest
        assert rel.table.loc[s, "weakest_r_drop"] == pytest.approx(r["r_drop"][weakest], abs=TOL)


def test_kmo_and_bartlett_match_psych(case):
    cid, enc, rel = case
    ref = REF["cases"][cid]
    # headline: pairwise-complete correlations of the raw items
    # psych::KMO(d[, all_items])$MSA: raw items with missing values, i.e. cor(use = "pairwise")
    assert rel.kmo.msa == pytest.approx(ref["kmo_pairwise"], abs=1e-12)
    # min(crossprod(!is.na(d[, all_items])))
    assert rel.bartlett.n == ref["n_pairwise_min"]
    # psych::cortest.bartlett(cor(d[, all_items], use = "pairwise"), n = min(crossprod(!is.na(d[, all_items]))))
    assert rel.bartlett.chisq == pytest.approx(ref["bartlett_pairwise"]["chisq"], abs=TOL)
    assert rel.bartlett.df == ref["bartlett_pairwise"]["df"]
    # sensitivity check on the complete cases
    assert rel.kmo_listwise.n == ref["complete_all"] == rel.bartlett_listwise.n  # nrow(na.omit(d[, all_items]))
    assert rel.kmo_listwise.msa == pytest.approx(ref["kmo"], abs=TOL)  # psych::KMO(cor(na.omit(items)))$MSA
    # psych::cortest.bartlett(cor(na.omit(items)), n = nrow(na.omit(items)))
    assert rel.bartlett_listwise.chisq == pytest.approx(ref["bartlett"]["chisq"], abs=TOL)
    assert rel.bartlett_listwise.pvalue == pytest.approx(ref["bartlett"]["p"], rel=TOL, abs=0)
    assert rel.listwise_note is None


def test_listwise_sensitivity_is_dropped_with_a_reason_when_too_few_answer_everything(project):
    # a small case: fewer complete cases than items makes the listwise correlation matrix singular;
    # the pairwise headline is still computed
    from emstudy.steps.context import load_encoded

    enc = load_encoded(ROOT, "yima")
    small = enc.__class__(**{**enc.__dict__, "items": enc.items.iloc[:100]})
    n_complete = int(small.items.notna().all(axis=1).sum())
    assert n_complete <= small.items.shape[1]
    rel = reliability_step.run(small)
    assert rel.kmo_listwise is None and rel.bartlett_listwise is None
    assert rel.listwise_note == (
        f"only {n_complete} respondents answered all 48 items, not more than the number "
        "of items, so their correlation matrix is singular"
    )
    assert 0.5 < rel.kmo.msa < 1
    assert list(rel.factorability().index) == ["KMO", "Bartlett chi2", "Bartlett df", "Bartlett p"]


def test_synthetic_alphas_in_plausible_range(case):
    # design.md: plausible alphas 0.6-0.95 for the synthetic study (0.75-0.90 in published studies).
    # Observed on the synthetic data: 0.70-0.87 over the five cases (listwise per scale).
    cid, enc, rel = case
    assert rel.table["alpha"].between(0.60, 0.95).all(), rel.table["alpha"]
    assert rel.table["omega_total"].between(0.60, 0.95).all()
    assert (rel.table["weakest_r_drop"] >= RELIABILITY_THRESHOLDS["r_drop_min"]).all()


def test_written_results(case, tmp_path):
    cid, enc, rel = case
    paths = reliability_step.write_results(rel, tmp_path)
    assert sorted(p.name for p in paths) == ["item_statistics.csv", "reliability.csv", "reliability.json"]
    summary = json.loads((tmp_path / "reliability.json").read_text(encoding="utf-8"))
    assert summary["missing"] == MISSING_POLICY == "listwise"
    assert summary["synthetic"] is True
    assert summary["thresholds"] == RELIABILITY_THRESHOLDS
    # written at the writer's precision (8 significant digits, emstudy.fileio.JSON_DIGITS), exactly; the value
    # itself equals psych::KMO to 1e-12 (test above)
    assert summary["kmo"]["overall"] == float(f"{rel.kmo.msa:.8g}")
    assert summary["kmo"]["overall"] == pytest.approx(REF["cases"][cid]["kmo_pairwise"], rel=1e-8)
    assert summary["bartlett"]["df"] == REF["cases"][cid]["bartlett_pairwise"]["df"]
    assert summary["listwise_sensitivity"]["kmo"] == pytest.approx(REF["cases"][cid]["kmo"], abs=TOL)
    table = pd.read_csv(tmp_path / "reliability.csv", index_col="construct")
    assert list(table.index) == list(REF["cases"][cid]["scales"])
    assert "verdict" in table.columns
    assert summary["sentences"] == rel.sentences and len(rel.sentences["en"]) == len(rel.sentences["zh"]) == 2
    # the committed results of the notebook are the same numbers
    committed = pd.read_csv(ROOT / "analysis" / cid / "results" / "reliability.csv", index_col="construct")
    np.testing.assert_allclose(committed["alpha"], table["alpha"], atol=1e-6)


def _table(alpha, omega, r_drop):
    n = len(alpha)
    return pd.DataFrame(
        {
            "alpha": alpha,
            "alpha_ci_lower": np.array(alpha) - 0.03,
            "alpha_ci_upper": np.array(alpha) + 0.03,
            "omega_total": omega,
            "weakest_item": [f"INF{i + 1}" for i in range(n)],
            "weakest_r_drop": r_drop,
        },
        index=["information", "participation", "recovery", "plan"][:n],
    )


def test_verdicts_on_constructed_table():
    t = assess_reliability(_table([0.85, 0.75, 0.69, 0.82], [0.86, 0.76, 0.71, 0.83], [0.5, 0.4, 0.45, 0.25]))
    assert t["verdict"].tolist() == ["good", "acceptable", "below threshold", "weak item"]
    assert t["meets"].tolist() == [True, True, False, False]
    # omega below 0.70 alone also fails
    t2 = assess_reliability(_table([0.72], [0.68], [0.5]))
    assert t2["verdict"].tolist() == ["below threshold"]
    # exactly at the threshold meets it (>=)
    t3 = assess_reliability(_table([0.70], [0.70], [0.30]))
    assert t3["verdict"].tolist() == ["acceptable"]
    t4 = assess_reliability(_table([float("nan")], [0.9], [0.5]))
    assert t4["verdict"].tolist() == ["below threshold"]


def test_sentences_report_failure_in_both_languages():
    enc = load_encoded(ROOT, "wencheng")
    t = _table([0.85, 0.65], [0.86, 0.66], [0.52, 0.35])
    en = reliability_sentences(t, enc.codebook, lang="en")
    zh = reliability_sentences(t, enc.codebook, lang="zh")
    assert len(en) == len(zh) == 2
    assert en[0].startswith(
        "Information release (信息发布): alpha = 0.85 [0.82, 0.88], omega = 0.86, "
        "weakest item INF1 (r.drop = 0.52): meets the usual thresholds"
    )
    assert "does not meet the threshold" in en[1] and "alpha = 0.65" in en[1]
    assert "meets the usual" not in en[1]
    assert zh[0].startswith("信息发布（Information release）：alpha = 0.85")
    assert "达到通常标准" in zh[0]
    assert "未达到标准" in zh[1] and "alpha = 0.65" in zh[1]
    assert "达到通常标准" not in zh[1]


def test_bad_arguments():
    with pytest.raises(ValueError, match="lang"):
        reliability_sentences(_table([0.8], [0.8], [0.5]), lang="fr")
    with pytest.raises(ValueError, match="table"):
        assess_reliability(pd.DataFrame({"alpha": [0.8]}))
    with pytest.raises(ValueError, match="encoded"):
        reliability_step.run(object())
    with pytest.raises(ValueError, match="results"):
        reliability_step.write_results(object(), ".")


def test_unusable_items_are_left_out_two_item_scales_get_spearman_brown_one_item_scales_none(tmp_path):
    from emstudy.stats.reliability import cronbach_alpha, spearman_brown

    enc = load_encoded(ROOT, "yima")
    items = enc.items.copy()
    items["PLN2"] = np.nan  # never answered
    items["PLN3"] = 3.0  # every answer the same
    items[["ORG2", "ORG3", "ORG4"]] = np.nan  # organisation keeps one item
    rel = reliability_step.run(enc.__class__(**{**enc.__dict__, "items": items}))
    t = rel.table
    assert list(t.index) == list(enc.codebook.scales())  # every construct keeps its row, in codebook order
    plan = t.loc["plan"]
    assert plan["n_items"] == 2 and set(rel.items.query("construct == 'plan'").index) == {"PLN1", "PLN4"}
    sb = spearman_brown(items[["PLN1", "PLN4"]])
    assert plan["spearman_brown"] == pytest.approx(sb, abs=1e-12)
    assert plan["std_alpha"] == pytest.approx(sb, abs=1e-12)  # equal for two items
    assert plan["alpha"] == pytest.approx(cronbach_alpha(items[["PLN1", "PLN4"]]).alpha, abs=1e-12)
    assert plan["verdict"] == ("acceptable" if 0.7 <= sb < 0.8 else "good" if sb >= 0.8 else "below threshold")
    org = t.loc["organisation"]
    assert org["verdict"] == "not computed" and np.isnan(org["alpha"])
    assert org["reliability_note"] == "only 1 usable item(s) (ORG1)"
    assert t.drop(index=["plan", "organisation"])["spearman_brown"].isna().all()
    assert any("item PLN2 left out" in m.en for m in rel.limitations)
    assert "量表organisation未计算信度：仅有1个可用题项（ORG1）" in [m.zh for m in rel.limitations]
    assert "limitation: scale organisation: reliability not computed" in repr(rel)
    en = dict(zip(t.index, reliability_sentences(t, enc.codebook, lang="en")))
    assert "two items, Spearman-Brown coefficient = " in en["plan"]
    assert en["organisation"].endswith("reliability not computed (only 1 usable item(s) (ORG1)).")
    zh = dict(zip(t.index, reliability_sentences(t, enc.codebook, lang="zh")))
    assert "Spearman-Brown 系数" in zh["plan"]
    assert zh["organisation"].endswith("未计算信度（仅有1个可用题项（ORG1））。")
    said = rel.sentences  # the report's summary names the two-item scale's coefficient and the scale not computed
    assert "for two-item scales the Spearman-Brown coefficient" in said["en"][0]
    assert said["en"][-1] == "Reliability is not computed for Organisation and command (only 1 usable item(s) (ORG1))."
    assert said["zh"][-1] == "未计算信度的构念：组织指挥（仅有1个可用题项（ORG1））。"
    reliability_step.write_results(rel, tmp_path)
    summary = json.loads((tmp_path / "reliability.json").read_text(encoding="utf-8"))
    assert summary["limitations"] == [{"en": m.en, "zh": m.zh} for m in rel.limitations]
    assert summary["verdicts"]["organisation"] == "not computed"
    assert "limitations" not in json.loads((ROOT / "analysis" / "yima" / "results" / "reliability.json").read_text())


# ------------------------------------------------------------------------------------------ ordinal alpha
ORD = json.loads((ROOT / "tests" / "reference" / "ordinal_reliability.json").read_text(encoding="utf-8"))["synthetic"]
ORDINAL_PSYCH = 2e-5  # psych's polychoric stops at R's optimize() tolerance (tests/test_stats_correlation.py)


def test_ordinal_alpha_and_omega_match_psych():
    rel = reliability_step.run(load_encoded(ROOT, ORD["case"]))
    t = rel.table
    cols = list(t.columns)
    assert cols.index("ordinal_alpha") == cols.index("alpha_ci_upper") + 1
    assert cols.index("ordinal_omega_total") == cols.index("omega_total") + 1
    for s, r in ORD["scales"].items():
        assert int(t.loc[s, "n"]) == r["n"]  # nrow(na.omit(d[, cols]))
        # psych::alpha(psych::polychoric(na.omit(d[, cols]))$rho)$total$raw_alpha
        assert t.loc[s, "ordinal_alpha"] == pytest.approx(r["ordinal_alpha"], abs=ORDINAL_PSYCH)
        # psych::omega(na.omit(d[, cols]), nfactors = 1, poly = TRUE)$omega.tot
        assert t.loc[s, "ordinal_omega_total"] == pytest.approx(r["ordinal_omega_total"], abs=ORDINAL_PSYCH)
    # five categories attenuate alpha: the latent responses' alpha is higher for every construct
    assert (t["ordinal_alpha"] > t["alpha"]).all()
    en, zh = (reliability_sentences(t, lang=lang)[0] for lang in ("en", "zh"))
    assert f"ordinal alpha = {t['ordinal_alpha'].iloc[0]:.2f}, omega = " in en
    assert f"有序alpha = {t['ordinal_alpha'].iloc[0]:.2f}, omega = " in zh


def test_ordinal_alpha_written_with_its_convention(tmp_path):
    rel = reliability_step.run(load_encoded(ROOT, ORD["case"]))
    reliability_step.write_results(rel, tmp_path)
    summary = json.loads((tmp_path / "reliability.json").read_text(encoding="utf-8"))
    assert "psych::alpha(psych::polychoric(na.omit(items[, scale]))$rho)" in summary["ordinal_convention"]
    assert "Chalmers 2018" in summary["ordinal_convention"]
    table = pd.read_csv(tmp_path / "reliability.csv", index_col="construct")
    np.testing.assert_allclose(table["ordinal_alpha"], rel.table["ordinal_alpha"], atol=1e-6)


def test_ordinal_alpha_not_computed_for_a_tiny_case_says_why_in_one_line():
    enc = load_encoded(ROOT, "yima")
    rel = reliability_step.run(enc.__class__(**{**enc.__dict__, "items": enc.items.head(5)}))
    notes = [m for m in rel.limitations if "ordinal alpha and omega not computed" in m.en]
    assert notes  # five respondents: some polychoric correlations have no estimate inside (-1, 1)
    for m in notes:
        s = m.en.split(":")[0].removeprefix("scale ")
        assert "\n" not in m.en and "from 5 respondents" in m.en
        assert m.zh.startswith(f"量表{s}未计算有序alpha与omega：5名作答完整的受访者")
        assert np.isnan(rel.table.loc[s, "ordinal_alpha"]) and np.isnan(rel.table.loc[s, "ordinal_omega_total"])
        assert np.isfinite(rel.table.loc[s, "alpha"])  # alpha itself is still reported
    assert "ordinal alpha = NA" in dict(zip(rel.table.index, reliability_sentences(rel.table)))[s]
