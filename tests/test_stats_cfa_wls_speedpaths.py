"""The fast paths of the ordered-item fits (emstudy.stats.cfa.wls, wls_groups, invariance_ordinal) against the
straightforward computation they replace.

The robust covariance and the traces of the scaled-shifted test are sums over the groups of products of each
group's restricted Jacobian (``_vcov``); here they are compared with the textbook formulas on the stacked
Jacobian with block-diagonal weights (Satorra & Bentler 1994: ``U = V - V D (D'V D)^-1 D'V``, ``U Gamma``
formed). The Satorra-2000 difference test (``_satorra2000``) is compared with its definition (the pseudo-inverse
of the stacked Jacobian, ``X = P^-1 A'(A P^-1 A')^+ A P^-1``, ``tr(X C)`` and ``tr((X C)^2)``). The sequence of
levels reuses the level before when a level adds no constraint and starts each fit at the estimates of the
level before; both must give the fits computed from scratch. The numbers themselves are checked against lavaan
in tests/test_stats_cfa_wls_invariance.py (same data: the bfi items A1-A5, C1-C5 by gender, complete rows).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emstudy.stats.cfa import parse_sem
from emstudy.stats.cfa.invariance_ordinal import ORDINAL_LEVELS, _level_states
from emstudy.stats.cfa.semengine import _layout
from emstudy.stats.cfa.wls import _sem_ordered, _start, _vcov, _warm_start
from emstudy.stats.cfa.wls_groups import _add_jwj, _group_blocks, _orthogonal_complement, _projection, _satorra2000

REF_DIR = Path(__file__).parent / "reference"
MODEL = json.loads((REF_DIR / "wlsmv_invariance.json").read_text())["model"]
BFI = pd.read_csv(REF_DIR / "data" / "bfi.csv")
ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
G = BFI[ITEMS + ["gender"]].dropna().assign(gender=lambda d: np.where(d["gender"] == 1, "male", "female"))
MM = parse_sem(MODEL)
OPTS = {"ordered": ITEMS, "group": "gender", "std_lv": False, "max_iter": 500, "with_state": True}
KEYS = [(par, est, lev) for par in ("delta", "theta") for est in ("WLSMV", "ULSMV") for lev in ORDINAL_LEVELS]


@pytest.fixture(scope="module")
def states() -> dict[tuple, tuple]:
    out = {}
    for par, est, lev in KEYS:
        opts = OPTS | {"parameterization": par, "estimator": est, "equal": ORDINAL_LEVELS[lev]}
        out[(par, est, lev)] = _sem_ordered(MM, _layout(MM), G, **opts)
    return out


def _stacked(model, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stacked Jacobian, ``V = diag(w_g W_g)`` and ``Gamma* = blockdiag(Gamma_g / w_g)`` (dense)."""
    D = np.vstack([model.jacobian(x, g) for g in range(model.G)])
    wg = model.ns / model.N
    V = np.concatenate([f * w for f, w in zip(wg, model.W)])
    n = [len(s) for s in model.s]
    Gam = np.zeros((sum(n), sum(n)))
    for k, (f, gm) in enumerate(zip(wg, model.gamma)):
        a = sum(n[:k])
        Gam[a : a + n[k], a : a + n[k]] = gm / f
    return D, V, Gam


@pytest.mark.parametrize("key", KEYS[:3] + KEYS[4:7] + KEYS[8:11], ids=str)
def test_vcov_is_the_dense_sandwich(states: dict, key: tuple) -> None:
    _fit, model, x = states[key]
    cov, (t1, t2) = _vcov(model, x, robust=True)
    D, V, Gam = _stacked(model, x)
    A = np.linalg.inv(D.T @ (V[:, None] * D))
    dense = A @ (D.T * V) @ Gam @ (V[:, None] * D) @ A / (model.N - model.G)
    U = np.diag(V) - (V[:, None] * D) @ A @ (D.T * V)
    UG = U @ Gam
    np.testing.assert_allclose(cov, dense, rtol=1e-9, atol=1e-12 * np.max(np.abs(dense)))
    np.testing.assert_allclose([t1, t2], [np.trace(UG), np.trace(UG @ UG)], rtol=1e-10)
    plain, traces = _vcov(model, x, robust=False)
    np.testing.assert_allclose(plain, A / (model.N - model.G), rtol=1e-9, atol=1e-12 * np.max(np.abs(A)))
    assert np.isnan(traces).all()


def _dense_satorra(m1, x1, fit1, m0, x0, fit0) -> tuple[float, float, float]:
    m = fit0.df - fit1.df
    D1, V, Gam = _stacked(m1, x1)
    D0 = np.vstack([m0.jacobian(x0, g) for g in range(m0.G)])
    H = np.linalg.pinv(D1) @ D0
    U, s, _ = np.linalg.svd(H, full_matrices=True)
    A = U[:, int(np.sum(s > 1e-8 * s[0])) :].T
    P = D1.T @ (V[:, None] * D1)
    Pinv = np.linalg.inv(P)
    X = Pinv @ A.T @ np.linalg.pinv(A @ Pinv @ A.T) @ A @ Pinv
    XC = X @ (D1.T * V) @ Gam @ (V[:, None] * D1)
    a = np.sqrt(m / np.trace(XC @ XC))
    b = m - a * np.trace(XC)
    return float((fit0.chisq - fit1.chisq) * a + b), float(a), float(b)


@pytest.mark.parametrize("par", ["delta", "theta"])
@pytest.mark.parametrize("est", ["WLSMV", "ULSMV"])
@pytest.mark.parametrize("pair", [("configural", "thresholds"), ("thresholds", "thresholds+loadings")])
def test_satorra2000_is_its_definition(states: dict, par: str, est: str, pair: tuple) -> None:
    (f1, m1, x1), (f0, m0, x0) = states[(par, est, pair[0])], states[(par, est, pair[1])]
    out = _satorra2000(m1, x1, f1.fit, m0, x0, f0.fit)
    T, a, b = _dense_satorra(m1, x1, f1.fit, m0, x0, f0.fit)
    np.testing.assert_allclose([out["chisq_diff"], out["a"], out["b"]], [T, a, b], rtol=1e-9)
    assert out["df_diff"] == f0.fit.df - f1.fit.df > 0
    assert out["pvalue_diff"] == pytest.approx(stats.chi2.sf(T, out["df_diff"]), rel=1e-9)


def test_projection_and_complement_are_the_least_squares_and_its_complement(states: dict) -> None:
    (_f1, m1, x1), (_f0, m0, x0) = states[("delta", "WLSMV", "configural")], states[("delta", "WLSMV", "thresholds")]
    H = _projection(_group_blocks(m1, x1), _group_blocks(m0, x0), m1.nfree, m0.nfree)
    D1 = np.vstack([m1.jacobian(x1, g) for g in range(m1.G)])
    D0 = np.vstack([m0.jacobian(x0, g) for g in range(m0.G)])
    np.testing.assert_allclose(H, np.linalg.pinv(D1) @ D0, atol=1e-10 * np.max(np.abs(H)))
    A = _orthogonal_complement(H)
    assert A.shape == (m1.nfree - np.linalg.matrix_rank(H), m1.nfree)
    np.testing.assert_allclose(A @ A.T, np.eye(A.shape[0]), atol=1e-12)
    np.testing.assert_allclose(A @ H, 0.0, atol=1e-10 * np.max(np.abs(H)))
    # a rank-deficient H: its complement has the dimension of the missing rank
    Hd = np.hstack([H[:, :3], H[:, :1] + H[:, 1:2]])
    assert _orthogonal_complement(Hd).shape[0] == m1.nfree - 3


def test_split_normal_matrix_is_the_dense_product(states: dict) -> None:
    _fit, model, x = states[("theta", "WLSMV", "thresholds+loadings")]
    for g in range(model.G):
        D, w = model.jacobian(x, g), model.W[g]
        H = np.zeros((model.nfree, model.nfree))
        _add_jwj(H, np.arange(model.nfree), D, w, len(model.th_index[g]), 0.25)
        np.testing.assert_allclose(H, 0.25 * (D.T * w) @ D, rtol=1e-12, atol=1e-14)
        # the rows of the thresholds depend on parameters the rows of the correlations do not (and the reverse)
        nth = len(model.th_index[g])
        assert np.any(D[:nth] != 0, axis=0).sum() != np.any(D != 0, axis=0).sum()


def test_sequence_is_the_levels_fitted_from_scratch(states: dict) -> None:
    opts = {k: v for k, v in OPTS.items() if k != "with_state"} | {"parameterization": "theta", "estimator": "WLSMV"}
    seq = _level_states(MM, _layout(MM), G, opts | {"with_state": True})
    for lev in ORDINAL_LEVELS:
        fit, scratch = seq[lev][0], states[("theta", "WLSMV", lev)][0]
        assert fit.equal == ORDINAL_LEVELS[lev]
        a, b = fit.params, scratch.params
        assert a[["lhs", "op", "rhs", "group", "free"]].equals(b[["lhs", "op", "rhs", "group", "free"]])
        np.testing.assert_allclose(a["est"], b["est"], rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(a["se"], b["se"], rtol=1e-7, atol=1e-9)
        for name in ("chisq", "chisq_scaled", "cfi_scaled", "rmsea_scaled"):
            assert getattr(fit.fit, name) == pytest.approx(getattr(scratch.fit, name), rel=1e-9)
    # the last level is the one before it (not refitted): the very same estimates
    assert seq["thresholds+loadings+intercepts"][2] is seq["thresholds+loadings"][2]


def test_warm_start_takes_the_estimates_of_the_level_before(states: dict) -> None:
    before, (_fit, model, _x) = states[("delta", "WLSMV", "configural")][0], states[("delta", "WLSMV", "thresholds")]
    cold = _start(model, model.data)
    warm = _warm_start(_layout(MM), len(MM.statements), model, cold, before.params)
    rows = before.params[before.params["free"] & (before.params["op"] == "=~") & (before.params["group"] == 1)]
    loading = rows.iloc[0]
    k = next(t.free for t in model.eng.table if t.group == 0 and t.lhs == loading["lhs"] and t.rhs == loading["rhs"])
    assert warm[k] == loading["est"] != cold[k]
    # the scaling factors and latent means, fixed in the configural model, keep their start values
    for idx in (model.extra.scale_index[1], model.extra.mean_index[1]):
        np.testing.assert_array_equal(warm[idx], cold[idx])
