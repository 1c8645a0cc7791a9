"""Tests of what ``fit.fit`` (emstudy.stats.cfa.fit.FitMeasures) shows: the scaled test and indices for robust
(MLR) and ordered-item (WLSMV) fits, as ``summary()`` reports them, and ML fits as before (issue 15, finding 5).

Fixtures: tests/reference/robust.json (lavaan 0.6.14, ``cfa(HS.model, HolzingerSwineford1939, estimator =
"MLR")``, its ``fitMeasures``) and tests/reference/wlsmv.json (``cfa(model, data = x1, ordered = TRUE, estimator =
"WLSMV")`` on the bfi items A1-A5, C1-C5, complete rows). The numbers themselves are checked to 1e-6 in
tests/test_stats_cfa_robust.py and tests/test_stats_cfa_wls.py; here the repr must show lavaan's scaled ones.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from emstudy.stats import cfa

REF_DIR = Path(__file__).parent / "reference"
ROBUST = json.loads((REF_DIR / "robust.json").read_text())
WLSMV = json.loads((REF_DIR / "wlsmv.json").read_text())
HS = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
BFI = pd.read_csv(REF_DIR / "data" / "bfi.csv")
ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]


def _shown(text: str, part: str) -> dict[str, str]:
    """The ``name=value`` pairs of one part (``"scaled"``, ``"standard"``, ``"robust"``) of a repr."""
    m = re.search(rf"{part}: ([^;)]*)", text)
    assert m, f"no {part!r} part in {text}"
    return dict(kv.split("=") for kv in m.group(1).split(", ") if "=" in kv)


def test_wlsmv_repr_shows_the_scaled_test_and_indices() -> None:
    # cfa(model, data = x1, ordered = TRUE, estimator = "WLSMV"); fitMeasures(fit)
    ref = WLSMV["fits"]["single_delta"]["fit"]
    fit = cfa(WLSMV["model"], BFI[ITEMS].dropna(), ordered=True, estimator="WLSMV")
    text = repr(fit.fit)
    assert text.startswith("FitMeasures(scaled: chisq=")  # before issue 15: the unscaled chisq, CFI, RMSEA only
    scaled = _shown(text, "scaled")
    assert float(scaled["chisq"]) == pytest.approx(ref["chisq.scaled"], abs=5e-4)  # fitMeasures(fit)["chisq.scaled"]
    assert int(scaled["df"]) == ref["df.scaled"]  # fitMeasures(fit)["df.scaled"]
    assert float(scaled["CFI"]) == pytest.approx(ref["cfi.scaled"], abs=5e-4)  # fitMeasures(fit)["cfi.scaled"]
    assert float(scaled["TLI"]) == pytest.approx(ref["tli.scaled"], abs=5e-4)  # fitMeasures(fit)["tli.scaled"]
    rmsea = float(scaled["RMSEA"].split(" ")[0])
    assert rmsea == pytest.approx(ref["rmsea.scaled"], abs=5e-4)  # fitMeasures(fit)["rmsea.scaled"]
    lo, up = (float(v) for v in re.search(r"RMSEA=[0-9.]+ \[([0-9.]+), ([0-9.]+)\]", text).groups())
    assert lo == pytest.approx(ref["rmsea.ci.lower.scaled"], abs=5e-4)  # fitMeasures(fit)["rmsea.ci.lower.scaled"]
    assert up == pytest.approx(ref["rmsea.ci.upper.scaled"], abs=5e-4)  # fitMeasures(fit)["rmsea.ci.upper.scaled"]
    standard = _shown(text, "standard")
    assert float(standard["chisq"]) == pytest.approx(ref["chisq"], abs=5e-4)  # fitMeasures(fit)["chisq"]
    assert float(standard["p"]) == pytest.approx(fit.fit.pvalue, rel=1e-2)
    assert f"WRMR={ref['wrmr']:.3f}" in text and f"SRMR={ref['srmr']:.3f}" in text  # fitMeasures(fit)["wrmr"]
    assert "AIC" not in text and "nan" not in text  # least squares: lavaan has no logl, AIC, BIC
    # the same numbers as the summary's scaled lines
    summary = fit.summary()
    assert f"Test statistic (scaled-shifted) = {scaled['chisq']}, df = {scaled['df']}" in summary
    assert f"Scaled: CFI = {scaled['CFI']}   TLI = {scaled['TLI']}   RMSEA = {rmsea:.3f}" in summary


def test_dwls_repr_has_no_scaled_part_and_no_likelihood() -> None:
    # cfa(model, data = x1, ordered = TRUE, estimator = "DWLS"): the standard test only, no AIC/BIC
    fit = cfa(WLSMV["model"], BFI[ITEMS].dropna(), ordered=True, estimator="DWLS")
    text = repr(fit.fit)
    assert text.startswith(f"FitMeasures(chisq={fit.fit.chisq:.3f}, df={fit.fit.df}")
    assert "scaled" not in text and "AIC" not in text and "nan" not in text and "WRMR=" in text


def test_mlr_repr_shows_the_scaled_and_robust_indices() -> None:
    # cfa(HS.model, data = HolzingerSwineford1939, estimator = "MLR"); fitMeasures(fit)
    ref = ROBUST["single"]["fit"]
    fit = cfa(ROBUST["hs_model"], HS, estimator="MLR")
    text = repr(fit.fit)
    assert text.startswith("FitMeasures(scaled: chisq=")
    scaled = _shown(text, "scaled")
    assert float(scaled["chisq"]) == pytest.approx(ref["chisq.scaled"], abs=5e-4)  # fitMeasures(fit)["chisq.scaled"]
    assert float(scaled["p"]) == pytest.approx(ref["pvalue.scaled"], rel=1e-2)  # fitMeasures(fit)["pvalue.scaled"]
    assert float(scaled["CFI"]) == pytest.approx(ref["cfi.scaled"], abs=5e-4)  # fitMeasures(fit)["cfi.scaled"]
    assert float(scaled["TLI"]) == pytest.approx(ref["tli.scaled"], abs=5e-4)  # fitMeasures(fit)["tli.scaled"]
    assert float(scaled["RMSEA"].split(" ")[0]) == pytest.approx(ref["rmsea.scaled"], abs=5e-4)
    robust = _shown(text, "robust")
    assert float(robust["CFI"]) == pytest.approx(ref["cfi.robust"], abs=5e-4)  # fitMeasures(fit)["cfi.robust"]
    assert float(robust["RMSEA"]) == pytest.approx(ref["rmsea.robust"], abs=5e-4)  # fitMeasures(fit)["rmsea.robust"]
    assert float(_shown(text, "standard")["chisq"]) == pytest.approx(ref["chisq"], abs=5e-4)
    assert f"AIC={ref['aic']:.1f}, BIC={ref['bic']:.1f}" in text  # fitMeasures(fit)[c("aic", "bic")]


def test_ml_repr_is_unchanged() -> None:
    # cfa(HS.model, data = HolzingerSwineford1939): the ML statistics, as before issue 15
    ref = ROBUST["single"]["fit"]
    f = cfa(ROBUST["hs_model"], HS).fit
    assert repr(f) == (
        f"FitMeasures(chisq={f.chisq:.3f}, df={f.df}, p={f.pvalue:.3g}, CFI={f.cfi:.3f}, TLI={f.tli:.3f}, "
        f"RMSEA={f.rmsea:.3f} [{f.rmsea_ci_lower:.3f}, {f.rmsea_ci_upper:.3f}], SRMR={f.srmr:.3f}, "
        f"AIC={f.aic:.1f}, BIC={f.bic:.1f})"
    )
    assert f"chisq={ref['chisq']:.3f}, df={ref['df']}" in repr(f) and "scaled" not in repr(f)
