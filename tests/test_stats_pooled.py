"""Tests of emstudy.stats.pooled (pooled_model: random intercepts as lme4::lmer, fixed effects as lm + HC3)
against R (tests/reference/models.R -> models.json). The ``bfi_scales`` fixture is in conftest.py."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.errors import ModelWarning
from emstudy.stats import pooled

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "models.json").read_text())


def test_pooled_random_matches_lmer(bfi_scales):
    ref = REF["lmer"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = pooled.pooled_model(bfi_scales, outcome="agree", predictors=["consc"], group="education", random=True)
    assert res.n == ref["n"] and res.n_groups == 5
    # fixef(mm), sqrt(diag(vcov(mm))) for lmer(agree ~ consc + (1 | education), REML = TRUE)
    np.testing.assert_allclose(res.table["coef"].to_numpy(), ref["coef"], atol=1e-4)
    np.testing.assert_allclose(res.table["se"].to_numpy(), ref["se"], atol=1e-4)
    # as.data.frame(VarCorr(mm))$vcov
    assert res.var_group == pytest.approx(ref["var_group"], abs=1e-4)
    assert res.var_resid == pytest.approx(ref["var_resid"], abs=1e-4)
    assert "ICC" in res.summary()


def test_pooled_fixed_matches_lm_hc3(bfi_scales):
    ref = REF["fixed_groups"]
    res = pooled.pooled_model(bfi_scales, outcome="agree", predictors=["consc"], group="education", random=False)
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
    # REML stops on the boundary: the exact boundary solution is used and a singular fit is reported as a
    # ModelWarning (a boundary estimate); statsmodels' own warnings are recorded, not shown
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = pooled.pooled_model(df, outcome="y", predictors=["x"], group="g")
    assert [w.category for w in caught] == [ModelWarning]
    assert re.search(r"(did not converge|near\) zero).*random=False", str(caught[0].message))
    assert r.var_group < 1e-3 * r.var_resid


def test_pooled_checks():
    df = pd.DataFrame({"g": [1, 1, 1, 1], "x": [1.0, 2, 3, 4], "y": [1.0, 3, 2, 5]})
    with pytest.raises(ValueError, match="group 'g'.*at least 2 groups"):
        pooled.pooled_model(df, outcome="y", predictors=["x"], group="g")
    with pytest.raises(ValueError, match="'x'.*differ"):
        pooled.pooled_model(df, outcome="y", predictors=["x"], group="x")


def test_pooled_tables_name_pvalue(bfi_scales):
    for random in (True, False):
        res = pooled.pooled_model(bfi_scales, outcome="agree", predictors=["consc"], group="education", random=random)
        assert list(res.table.columns) == ["coef", "se", "stat", "pvalue", "ci_lower", "ci_upper"]
