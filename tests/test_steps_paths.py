"""The framework's path model of notebook 04 (emstudy.steps.paths) against lavaan, on the synthetic Wencheng data.

Expected numbers: ``tests/reference/paths_synthetic.json``, written by ``Rscript tests/reference/paths_synthetic.R``
from ``analysis/wencheng/results/encoded.csv`` (lavaan 0.6.14; the R call is quoted beside each comparison).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats import sem
from emstudy.steps import paths
from emstudy.steps.context import load_encoded
from emstudy.steps.paths import PATH_COLUMNS, path_data, path_model_syntax

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests/reference/paths_synthetic.json").read_text(encoding="utf-8"))
SEED = 20190719


@pytest.fixture(scope="module")
def wencheng():
    return load_encoded(ROOT, "wencheng")


@pytest.fixture(scope="module")
def result(wencheng):
    return paths.run(wencheng, seed=SEED, n_boot=8)


def test_syntax_is_the_framework_chain_with_direct_paths_and_effects(wencheng):
    dims = [(d.id, list(d.constructs)) for d in wencheng.case.framework.dimensions]
    text = path_model_syntax(dims, "effectiveness", ["EFF1", "EFF2", "EFF3", "EFF4"])
    # the model of tests/reference/paths_synthetic.R, written out there by hand from data/cases/wencheng.yml
    assert text.strip() == REF["model"].strip()


def test_syntax_input_errors():
    with pytest.raises(ValueError, match="dimensions: expected at least two distinct"):
        path_model_syntax([("a", ["plan"])], "eff", ["E1", "E2"])
    with pytest.raises(ValueError, match="dimensions: expected at least two distinct"):
        path_model_syntax([("a", ["plan"]), ("a", ["rules"])], "eff", ["E1", "E2"])
    with pytest.raises(ValueError, match=r"clash with the outcome"):
        path_model_syntax([("eff", ["plan"]), ("b", ["rules"])], "eff", ["E1", "E2"])
    with pytest.raises(ValueError, match="outcome_items: the outcome needs at least two items"):
        path_model_syntax([("a", ["plan"]), ("b", ["rules"])], "eff", ["E1"])


def _compare(fit, ref, *, est_tol: float, se_tol: float) -> None:
    p = fit.params[fit.params["op"].isin(["~", ":="])]
    assert list(p["label"]) == ref["label"]
    np.testing.assert_allclose(p["est"].to_numpy(dtype=float), ref["est"], atol=est_tol)
    np.testing.assert_allclose(p["se"].to_numpy(dtype=float), ref["se"], atol=se_tol)
    np.testing.assert_allclose(p["std_all"].to_numpy(dtype=float), ref["std_all"], atol=est_tol)


def test_fiml_and_complete_case_fits_match_lavaan(result):
    # sem(model, data = x, missing = 'ml') and sem(model, data = na.omit(x)); parameterEstimates(fit, standardized = TRUE)
    assert result.n == REF["n"] and result.n_complete == REF["n_complete"]
    _compare(result.fiml, REF["fiml"], est_tol=1e-4, se_tol=1e-5)
    _compare(result.complete, REF["complete"], est_tol=1e-4, se_tol=1e-5)
    for name, fit in (("fiml", result.fiml), ("complete", result.complete)):
        f = REF[name]["fit"]  # fitMeasures(fit, c('chisq', 'df', 'cfi', 'rmsea', 'srmr'))
        assert fit.fit.df == f["df"]
        for key in ("chisq", "cfi", "rmsea", "srmr"):
            assert getattr(fit.fit, key) == pytest.approx(f[key], abs=1e-6), (name, key)


def test_path_data_dimension_score_is_the_mean_of_its_construct_scores(wencheng):
    data = path_data(wencheng)
    scores = wencheng.scores().reset_index(drop=True)
    expected = scores[["plan", "rules", "warning"]].mean(axis=1, skipna=False)
    pd.testing.assert_series_equal(data["reduction_score"], expected, check_names=False)
    assert data["recovery_score"].equals(scores["recovery"])
    assert list(data.columns[-4:]) == ["EFF1", "EFF2", "EFF3", "EFF4"]


def test_table_has_lavaans_columns_and_bootstrap_intervals(result, tmp_path):
    t = result.table()
    assert list(t.columns) == ["fit", *PATH_COLUMNS, "boot_se"]
    fiml = t[t["fit"] == "fiml"].set_index("label")
    # the FIML rows carry the bootstrap percentile limits of the bootstrap result itself
    b = result.boot.params.set_index("label")
    for label in ("a1", "c3", "ind_reduction_readiness", "total_reduction"):
        assert fiml.loc[label, "ci_lower"] == b.loc[label, "ci_lower"]
        assert fiml.loc[label, "ci_upper"] == b.loc[label, "ci_upper"]
        assert fiml.loc[label, "ci_lower"] <= fiml.loc[label, "ci_upper"]
    assert result.boot.n_boot == 8 and result.boot.seed == SEED
    written = paths.write_results(result, tmp_path)
    first = {p.name: p.read_bytes() for p in written}
    again = paths.run(load_encoded(ROOT, "wencheng"), seed=SEED, n_boot=8)  # same seed: the same bytes
    assert {p.name: p.read_bytes() for p in paths.write_results(again, tmp_path)} == first
    summary = json.loads(first["path_model.json"])
    assert summary["bootstrap"] == {"n_boot": 8, "n_failed": result.boot.n_failed, "seed": SEED, "type": "percentile"}
    assert summary["fits"]["fiml"]["chisq"] == pytest.approx(REF["fiml"]["fit"]["chisq"], abs=1e-5)
    csv = pd.read_csv(tmp_path / "path_model.csv")
    est = csv[(csv["fit"] == "fiml") & csv["op"].isin(["~", ":="])]["est"].to_numpy()
    np.testing.assert_allclose(est, REF["fiml"]["est"], atol=1e-4)


def test_sentences_cite_the_effects_in_both_languages(result):
    en, zh = result.sentences["en"], result.sentences["zh"]
    assert len(en) == len(zh) == 3
    assert f"n = {REF['n']}" in en[0] and "8 replicates" in en[0] and "8次自助抽样" in zh[0]
    assert "Reduction -> Readiness -> Response -> Recovery" in en[0]
    tot = result.effects().loc[[k for k in result.effects().index if k.startswith("total_")]]
    top = tot["est"].abs().idxmax()
    assert f"b = {tot.loc[top, 'est']:.3f}" in en[2] and f"b = {tot.loc[top, 'est']:.3f}" in zh[2]


def test_too_few_respondents_leave_the_model_unfitted(wencheng):
    small = dataclasses.replace(wencheng, items=wencheng.items.head(20), background=wencheng.background.head(20))
    res = paths.run(small, seed=SEED, n_boot=5)
    assert res.fiml is None and res.boot is None and res.table().empty
    # 4 dimensions and 4 outcome items: 4*4 + 3*4 - 1 = 27 free parameters in the FIML model
    n_free = int(sem(res.model, path_data(wencheng).dropna(), missing="fiml").params["free"].sum())
    assert n_free == 27
    assert res.skipped.en.startswith(f"the framework's path model not fitted: {res.n_complete} complete respondents")
    assert "未拟合分析框架的路径模型" in res.skipped.zh
    with pytest.raises(ValueError, match="seed: expected an integer"):
        paths.run(wencheng, seed="1")
