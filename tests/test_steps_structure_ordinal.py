"""The WLSMV CFA of notebook 03 (emstudy.steps.structure_ordinal) on the synthetic study.

The fit is checked against R lavaan 0.6.14 in tests/reference/categorical_pairwise.R (``synthetic_delta``:
``cfa(<12 constructs =~ their 4 items>, data = the 48 items of analysis/wencheng/results/encoded.csv, ordered =
TRUE, estimator = "WLSMV", missing = "pairwise")``; synthetic data), as notebook 03 writes it
(cfa_wlsmv.json, cfa_wlsmv_loadings.csv). Tolerances (issue 15): estimates, SEs and fit 1e-4.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats.validity import average_variance_extracted
from emstudy.steps import structure as structure_step
from emstudy.steps.context import load_encoded
from emstudy.steps.structure import StructureResults
from emstudy.steps.structure_ordinal import OrdinalCFA, ordinal_cfa, write_ordinal

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "reference" / "categorical_pairwise.json").read_text(encoding="utf-8"))
SEED = 20190719


@pytest.fixture(scope="module")
def wencheng() -> StructureResults:
    return structure_step.run(load_encoded(ROOT, "wencheng"), seed=SEED)


@pytest.fixture(scope="module")
def written(wencheng, tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("structure")
    return {p.name: p for p in structure_step.write_results(wencheng, d)}


def test_wlsmv_fit_matches_lavaan(wencheng, written):
    ref = REF["fits"]["synthetic_delta"]
    out = json.loads(written["cfa_wlsmv.json"].read_text(encoding="utf-8"))
    assert out["synthetic_data"] is True and out["case"] == "wencheng"
    assert out["n"] == ref["nobs"] == wencheng.n_cfa  # lavInspect(fit, "nobs"): every respondent, as FIML
    assert out["converged"] is True and "pairwise" in out["lavaan"]
    # fitMeasures(fit, measures), written at 8 significant digits
    for name in ("chisq", "df", "chisq.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr"):
        assert out["fit"][name] == pytest.approx(ref["fit"][name], rel=1e-4), name
    # parameterEstimates(fit, standardized = TRUE)[op == "=~", ]
    par = pd.DataFrame(ref["parameters"])
    par = par[par["op"] == "=~"]
    load = pd.read_csv(written["cfa_wlsmv_loadings.csv"])
    assert list(load["construct"]) == list(par["lhs"]) and list(load["item"]) == list(par["rhs"])
    np.testing.assert_allclose(load["est"], par["est"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(load["se"], par["se"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(load["std_wlsmv"], par["std_all"], rtol=0, atol=1e-4)
    # beside the FIML ML loadings of cfa_loadings.csv
    fiml = pd.read_csv(written["cfa_loadings.csv"])
    np.testing.assert_array_equal(load["std_fiml_ml"], fiml["loading"])
    np.testing.assert_allclose(
        load["difference"], load["std_wlsmv"] - load["std_fiml_ml"], atol=2e-6
    )  # written at 6 decimals


def test_criteria_and_sentences(wencheng, written):
    o = wencheng.cfa_wlsmv
    ref = REF["fits"]["synthetic_delta"]["fit"]
    c = o.criteria
    assert list(c.index) == ["CFI", "RMSEA", "SRMR"]
    assert c.loc["CFI", "wlsmv"] == pytest.approx(ref["cfi.scaled"], rel=1e-4)
    assert c.loc["RMSEA", "fiml_ml"] == wencheng.cfa.fit.rmsea
    # the verdicts of the structure step for the ML fit, re-derived here for WLSMV
    ml_verdicts = wencheng.verdicts["verdict"]
    for k in c.index:
        assert c.loc[k, "verdict_fiml_ml"] == ml_verdicts[k]
    cfi = c.loc["CFI", "wlsmv"]
    assert c.loc["CFI", "verdict_wlsmv"] == ("good" if cfi >= 0.95 else "acceptable" if cfi >= 0.90 else "poor")
    assert o.fit_changed == (not c["same"].all())  # the fit verdicts; o.changed covers validity too (below)
    out = json.loads(written["cfa_wlsmv.json"].read_text(encoding="utf-8"))
    assert out["verdicts_changed"] == o.changed
    big = o.loadings.loc[o.loadings["difference"].abs().idxmax()]
    assert out["max_abs_loading_difference"] == pytest.approx(abs(big["difference"]), abs=1e-6)  # 6 decimals
    # AVE of each construct from the WLSMV loadings
    plan = o.loadings[o.loadings["construct"] == "plan"]["std_wlsmv"].to_numpy()
    assert out["ave"]["plan"]["wlsmv"] == pytest.approx(average_variance_extracted(plan), abs=1e-6)
    en, zh = wencheng.sentences["en"], wencheng.sentences["zh"]
    assert any(f"{big['difference']:+.3f} for {big['item']}" in s for s in en)
    assert any(f"校正CFI = {cfi:.3f}" in s for s in zh)
    # the construct is named in each language, never by its id (a report's Chinese text has no English words)
    codebook = load_encoded(ROOT, "wencheng").codebook
    assert any(f"{big['item']} ({codebook.label(big['construct'], 'en')}:" in s for s in en)
    assert any(f"差异最大的是{codebook.label(big['construct'], 'zh')}的{big['item']}" in s for s in zh)
    assert len(en) == len(zh)
    assert sum("pairwise deletion" in s for s in en) == 1 and not any("pairwise present" in s for s in en)
    assert sum("成对删除" in s for s in zh) == 1


def test_conclusions_cover_fit_and_validity(wencheng, written):
    """Issue 15 (new user's finding 15): the sentence on whether the conclusions change is true of every verdict
    it covers (fit, and each construct's CR, AVE and Fornell-Larcker), and the JSON says the same."""
    o = wencheng.cfa_wlsmv
    v = o.validity
    # the FIML ML side is the structure step's own validity table
    for col in ("cr", "ave", "max_latent_corr"):
        np.testing.assert_allclose(v[f"{col}_fiml_ml"], wencheng.validity[col], rtol=1e-12, equal_nan=True)
    for col in ("cr_ok", "ave_ok", "fornell_larcker"):
        assert list(v[f"{col}_fiml_ml"]) == list(wencheng.validity[col]), col
    # the WLSMV side from the WLSMV standardized loadings and latent correlations
    plan = o.loadings[o.loadings["construct"] == "plan"]["std_wlsmv"].to_numpy()
    assert v.loc["plan", "ave_wlsmv"] == pytest.approx(average_variance_extracted(plan), rel=1e-12)
    p = o.fit.params
    r = p[(p["op"] == "~~") & (p["lhs"] == "plan") & p["rhs"].isin(o.validity.index) & (p["rhs"] != "plan")]
    assert v.loc["plan", "max_latent_corr_wlsmv"] == pytest.approx(r["std_all"].abs().max(), rel=1e-12)
    gained = [c for c in v.index if v.loc[c, "ave_ok_wlsmv"] and not v.loc[c, "ave_ok_fiml_ml"]]
    assert o.validity_changed["ave"] == [c for c in v.index if v.loc[c, "ave_ok_wlsmv"] != v.loc[c, "ave_ok_fiml_ml"]]
    # synthetic Wencheng: AVE >= .50 for 9 of 12 under WLSMV, 6 of 12 under FIML ML (reports/wencheng.md)
    assert int(v["ave_ok_wlsmv"].sum()) > int(v["ave_ok_fiml_ml"].sum()) and gained
    assert o.changed is True and o.fit_changed == (not o.criteria["same"].all())
    out = json.loads(written["cfa_wlsmv.json"].read_text(encoding="utf-8"))
    assert out["verdicts_changed"] is True and out["fit_verdicts_changed"] == o.fit_changed
    assert out["validity_verdicts_changed"]["ave"] == gained and out["conclusions_rest_on"] == "FIML ML"
    assert out["validity"]["plan"]["ave_ok_wlsmv"] == bool(v.loc["plan", "ave_ok_wlsmv"])
    en, zh = o.sentences["en"][-1], o.sentences["zh"][-1]
    assert not any("rest on either estimator" in s for s in o.sentences["en"])
    codebook = load_encoded(ROOT, "wencheng").codebook
    names_en = "; ".join(codebook.label(c, "en") for c in gained)
    assert f"AVE reaches 0.50 for {len(gained)} more constructs ({names_en})" in en
    assert f"AVE达到0.50的构念多{len(gained)}个（{'、'.join(codebook.label(c, 'zh') for c in gained)}）" in zh
    assert en.startswith("With WLSMV instead of FIML ML, ") and "rest on the FIML ML fit" in en
    assert "本研究的判定以FIML ML拟合为准" in zh
    # why AVE is higher, in one clause; and the counts of both fits
    counts = o.sentences["en"][-2]
    assert f"AVE reaches 0.50 for {int(v['ave_ok_wlsmv'].sum())} (FIML ML: {int(v['ave_ok_fiml_ml'].sum())})" in counts
    assert "a higher AVE under WLSMV is expected" in counts and "其AVE较高在预期之中" in o.sentences["zh"][-2]


def _validity_frame(ok: dict[str, tuple[bool, bool, bool, bool, bool, bool]]) -> pd.DataFrame:
    cols = [f"{c}_{e}" for c in ("cr_ok", "ave_ok", "fornell_larcker") for e in ("fiml_ml", "wlsmv")]
    return pd.DataFrame.from_dict(ok, orient="index", columns=cols)


def _crit(ml: str, wls: str) -> pd.DataFrame:
    rows = [("CFI", ml, wls), ("RMSEA", "good", "good"), ("SRMR", "good", "good")]
    out = pd.DataFrame(rows, columns=["criterion", "verdict_fiml_ml", "verdict_wlsmv"]).set_index("criterion")
    return out.assign(same=out["verdict_fiml_ml"] == out["verdict_wlsmv"])


def test_conclusion_sentence_in_every_case():
    from emstudy.steps.structure_ordinal import _conclusion

    names = {"en": {"a": "Plans", "b": "Teams and personnel"}, "zh": {"a": "预案", "b": "队伍建设"}}
    same = _validity_frame({"a": (True,) * 6, "b": (True, True, False, False, True, True)})
    got = _conclusion(_crit("good", "good"), same, names)
    assert got["en"].startswith("No conclusion changes with WLSMV instead of FIML ML: the fit verdicts (CFI good, ")
    assert "composite reliability, AVE and Fornell-Larcker verdicts of every construct are the same" in got["en"]
    assert (
        got["zh"].startswith("以WLSMV代替FIML ML不改变任何结论") and "组合信度、AVE和Fornell-Larcker准则" in got["zh"]
    )
    # AVE gained by one construct, Fornell-Larcker lost by another, CFI worse: each said, the rest "do not change"
    moved = _validity_frame({"a": (True, True, False, True, True, True), "b": (True, True, True, True, True, False)})
    got = _conclusion(_crit("good", "acceptable"), moved, names)
    assert "the fit verdicts change (CFI good -> acceptable)" in got["en"]
    assert "AVE reaches 0.50 for 1 more construct (Plans)" in got["en"]
    assert "the Fornell-Larcker criterion no longer holds for 1 construct (Teams and personnel)" in got["en"]
    assert "the composite reliability verdicts of every construct do not change" in got["en"]
    assert "lenient under WLSMV (Xia & Yang 2019)" in got["en"] and "No conclusion" not in got["en"]
    assert "拟合判定改变（CFI由良好变为可接受）" in got["zh"] and "AVE达到0.50的构念多1个（预案）" in got["zh"]
    assert "满足Fornell-Larcker准则的构念少1个（队伍建设）" in got["zh"] and "各构念的组合信度判定不变" in got["zh"]
    # fit unchanged, validity changed: no Xia & Yang clause, the fit verdicts said unchanged
    got = _conclusion(_crit("good", "good"), moved, names)
    assert "the fit verdicts (CFI good, RMSEA good, SRMR good) do not change" in got["en"]
    assert "Xia" not in got["en"] and "拟合判定不变" in got["zh"]


def _toy() -> tuple[pd.DataFrame, str]:
    rng = np.random.default_rng(7)
    f = rng.normal(size=(400, 2)) @ np.linalg.cholesky([[1, 0.4], [0.4, 1]]).T
    x = np.column_stack([f[:, i // 3] * 0.7 + rng.normal(scale=0.7, size=400) for i in range(6)])
    items = pd.DataFrame(np.digitize(x, [-1.2, -0.4, 0.4, 1.2]) + 1.0, columns=[f"x{i}" for i in range(1, 7)])
    items = items.mask(rng.random(items.shape) < 0.05)
    return items, "f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5 + x6"


def test_ordinal_cfa_toy_and_not_fitted(tmp_path):
    from emstudy.stats.cfa import cfa

    items, model = _toy()
    fiml = cfa(model, items, missing="fiml")
    o = ordinal_cfa(items, model, fiml)
    assert o.fit is not None and o.fit.converged and sum(o.fit.n_obs) == len(items)
    assert "WLSMV n=400" in repr(o) and len(o.loadings) == 6
    assert o.fit_table().loc["cfi.scaled", "wlsmv"] == o.fit.fit.cfi_scaled
    # an item the model does not know: no fit, the reason said in both languages
    bad = ordinal_cfa(items, model + "\nf2 =~ x9", fiml)
    assert bad.fit is None and "x9" in bad.reason and "not fitted" in repr(bad)
    assert bad.sentences["zh"][0].startswith("WLSMV拟合") and not bad.changed and bad.validity.empty
    assert bad.validity_changed == {"cr": [], "ave": [], "fornell_larcker": []}
    paths = write_ordinal(bad, tmp_path, case_id="toy", synthetic=True)
    out = json.loads(paths[0].read_text(encoding="utf-8"))
    assert out["fit"] is None and out["criteria"] == {} and "x9" in out["reason"]
    assert out["verdicts_changed"] is False and out["validity"] == {}
    assert pd.read_csv(paths[1]).empty
    assert bad.loadings.set_index(["construct", "item"]).round(3).empty  # notebook 03's cell runs without a fit
    with pytest.raises(ValueError, match="^result: expected OrdinalCFA"):
        write_ordinal("x", tmp_path, case_id="toy", synthetic=True)
    assert isinstance(o, OrdinalCFA)
