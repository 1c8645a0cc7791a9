"""Tests of the fast paths of the CFA/SEM engine (issue 14, point 5) against the plain formulas they replace.

The engine's derivatives come from index arrays built once and a low-rank form of each derivative
(``dSigma_e = u w' + w u'``); the expected information is a product of small matrices per group over the
group's own parameters; the optimizer is Fisher scoring in a trust region; FIML's pattern inverses are
Schur complements of the whole inverse and its EM is batched. Each is compared here with the
straightforward computation (a loop over the parameter table, the dense einsum trace, scipy's
``trust-exact``, one factorisation per pattern, an EM loop over patterns), written out in this file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from conftest import central_moment_hessian
from emstudy.stats.cfa._data import _prepare_data, _prepare_fiml_blocks
from emstudy.stats.cfa.engine import _case_scores, _Engine, _optimize, _scoring
from emstudy.stats.cfa.estimate import _as_sem
from emstudy.stats.cfa.fiml import _em_moments, _fiml_data, _FIMLEngine, _pattern_logl, _patterns
from emstudy.stats.cfa.semengine import _build_sem_table, _layout, _sem_start, _SEMEngine
from emstudy.stats.cfa.semsyntax import parse_sem
from emstudy.stats.cfa.syntax import parse_model

REF_DIR = Path(__file__).parent / "reference"
HS = pd.read_csv(REF_DIR / "data" / "HolzingerSwineford1939.csv")
HSM = pd.read_csv(REF_DIR / "data" / "hs_missing.csv")
PDM = pd.read_csv(REF_DIR / "data" / "pd_missing.csv")
FIML_REF = json.loads((REF_DIR / "fiml.json").read_text())
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
# a label shared by two loadings of one group (two table rows, one parameter) and a regression (B matrix)
LABELLED = "visual =~ x1 + a*x2 + a*x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9; speed ~ b*visual"


def _cfa_table(mm, S: list, means: list, *, meanstructure: bool, equal: tuple[str, ...] = ()) -> tuple[list, int]:
    """cfa()'s parameter table of a measurement model: sem()'s table of the model as lavaan's syntax (cfa() is
    sem() with the same defaults, emstudy.stats.cfa.estimate), with its start values in ``value``."""
    sm = _as_sem(mm)
    return _build_sem_table(sm, _layout(sm), S, means, std_lv=False, meanstructure=meanstructure, equal=equal)


def _cfa_engine(equal: tuple[str, ...]) -> tuple[_Engine, np.ndarray]:
    mm = parse_model(HS_MODEL)
    labels, S, means, ns, _ = _prepare_data(mm, HS, "school", raw=True)
    table, nfree = _cfa_table(mm, S, means, meanstructure=True, equal=equal)
    return _Engine(table, nfree, 9, 3, S, means, ns, True), _sem_start(table, nfree)


def _sem_engine(model: str, group: str | None) -> tuple[_SEMEngine, np.ndarray]:
    mm = parse_sem(model)
    lay = _layout(mm)
    labels, S, means, ns, _ = _prepare_data(lay, HS, group, raw=True)
    table, nfree = _build_sem_table(mm, lay, S, means, std_lv=False, meanstructure=group is not None)
    eng = _SEMEngine(table, nfree, len(lay.obs), len(lay.eta), S, means, ns, group is not None)
    return eng, _sem_start(table, nfree)


def _engines() -> list[tuple[_Engine, np.ndarray]]:
    rng = np.random.default_rng(11)
    out = []
    for eng, x0 in (
        _cfa_engine(()),
        _cfa_engine(("loadings", "intercepts")),
        _sem_engine(LABELLED, "school"),
        _sem_engine(LABELLED, None),
    ):
        out.append((eng, x0 + rng.uniform(0.05, 0.3, len(x0))))
    return out


def _loop_jacobian(eng: _Engine, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """The derivatives of Sigma and mu by a loop over the parameter table (the engine's former code)."""
    mats = eng.matrices(x, g)
    L, P, a = mats[0], mats[2], mats[4]
    A = np.linalg.inv(np.eye(eng.m) - mats[5]) if len(mats) > 5 else np.eye(eng.m)
    LA, LM, Aa = L @ A, L @ A @ P @ A.T, A @ a
    dS, dm = np.zeros((eng.nfree, eng.p, eng.p)), np.zeros((eng.nfree, eng.p))
    for t in eng.by_group[g]:
        i, r, c = t.free, t.row, t.col
        if i < 0:
            continue
        if t.mat == "L":
            dS[i, r, :] += LM[:, c]
            dS[i, :, r] += LM[:, c]
            dm[i, r] += Aa[c]
        elif t.mat == "B":
            o = np.outer(LA[:, r], LM[:, c])
            dS[i] += o + o.T
            dm[i] += LA[:, r] * Aa[c]
        elif t.mat == "P":
            o = np.outer(LA[:, r], LA[:, c])
            dS[i] += o if r == c else o + o.T
        elif t.mat == "T":
            dS[i, r, c] += 1.0
            if r != c:
                dS[i, c, r] += 1.0
        elif t.mat == "nu":
            dm[i, r] += 1.0
        else:
            dm[i] += LA[:, r]
    return dS, (dm if eng.meanstructure else 0.0 * dm)


def _loop_matrices(eng: _Engine, x: np.ndarray, g: int) -> dict[str, np.ndarray]:
    out = {"L": np.zeros((eng.p, eng.m)), "T": np.zeros((eng.p, eng.p)), "P": np.zeros((eng.m, eng.m))}
    out |= {"B": np.zeros((eng.m, eng.m)), "nu": np.zeros(eng.p), "a": np.zeros(eng.m)}
    for t in eng.by_group[g]:
        v = x[t.free] if t.free >= 0 else t.value
        if t.mat in ("nu", "a"):
            out[t.mat][t.row] = v
            continue
        out[t.mat][t.row, t.col] = v
        if t.mat in ("T", "P"):
            out[t.mat][t.col, t.row] = v
    return out


def test_matrices_from_index_arrays_equal_the_table_loop() -> None:
    for eng, x in _engines():
        for g in range(eng.G):
            mats = eng.matrices(x, g)
            ref = _loop_matrices(eng, x, g)
            for name, got in zip(("L", "T", "P", "nu", "a", "B"), mats):
                np.testing.assert_array_equal(got, ref[name])


def test_fast_jacobian_equals_the_table_loop() -> None:
    for eng, x in _engines():
        for g in range(eng.G):
            dS, dm = eng.jacobian(x, g)
            dS0, dm0 = _loop_jacobian(eng, x, g)
            assert np.max(np.abs(dS0)) > 0.1
            np.testing.assert_allclose(dS, dS0, rtol=0, atol=1e-14)
            np.testing.assert_allclose(dm, dm0, rtol=0, atol=1e-14)
            # the group's own parameters hold every non-zero derivative
            idx = eng.index[g].free
            rest = np.setdiff1d(np.arange(eng.nfree), idx)
            assert not np.any(dS0[rest]) and not np.any(dm0[rest])


def test_information_equals_the_einsum_trace() -> None:
    for eng, x in _engines():
        H0 = np.zeros((eng.nfree, eng.nfree))
        for g in range(eng.G):
            Si = np.linalg.inv(eng.implied(x, g)[0])
            dS, dm = _loop_jacobian(eng, x, g)
            A = np.einsum("ij,qjk->qik", Si, dS)
            H0 += eng.ns[g] / eng.N * (np.einsum("aij,bji->ab", A, A) + 2.0 * dm @ Si @ dm.T)
        H = eng.info(x)
        assert np.max(np.abs(H0)) > 1.0
        np.testing.assert_allclose(H, H0, rtol=0, atol=1e-12 * np.max(np.abs(H0)))


def test_gradient_equals_the_dense_contraction_and_differences() -> None:
    for eng, x in _engines():
        g0 = np.zeros(eng.nfree)
        for g in range(eng.G):
            Sigma, mu = eng.implied(x, g)
            Si = np.linalg.inv(Sigma)
            d = eng.means[g] - mu
            Gm = Si - Si @ (eng.S[g] + np.outer(d, d)) @ Si
            dS, dm = _loop_jacobian(eng, x, g)
            g0 += eng.ns[g] / eng.N * (np.einsum("ij,qij->q", Gm, dS) - 2.0 * dm @ (Si @ d))
        f, grad = eng.fun_grad(x)
        np.testing.assert_allclose(grad, g0, rtol=0, atol=1e-13 * max(1.0, np.max(np.abs(g0))))
        num = optimize.approx_fprime(x, eng.fmin, 1e-7)
        np.testing.assert_allclose(grad, num, rtol=0, atol=1e-5 * max(1.0, np.max(np.abs(num))))


@pytest.mark.parametrize("equal", [(), ("loadings",), ("loadings", "intercepts")])
def test_scoring_reaches_the_trust_region_optimum(equal: tuple[str, ...]) -> None:
    # Fisher scoring ends where scipy's trust-exact (the former optimizer) ends, to the polish's rounding
    eng, x0 = _cfa_engine(equal)
    x, ok, nit = _scoring(eng, x0, 300)
    assert ok and 0 < nit < 300 and np.max(np.abs(eng.fun_grad(x)[1])) < 1e-9
    ref = optimize.minimize(eng.fun_grad, x0, jac=True, hess=eng.info, method="trust-exact", options={"gtol": 1e-11})
    np.testing.assert_allclose(x, ref.x, rtol=0, atol=1e-7)
    xp, ok, _ = _optimize(eng, x0, 1000)
    assert ok
    assert eng.fmin(xp) <= ref.fun + 1e-14


def test_scoring_stays_near_the_start_on_a_hard_partition() -> None:
    # a measurement model on an arbitrary partition of the HS items, where a full first Fisher step runs off
    # to loadings of 1e5 and factor variances of 1e-11: the trust region keeps it at the proper optimum
    model = "f0 =~ x9 + x4 + x7 + x1\nf1 =~ x2 + x3 + x8 + x5"
    mm = parse_model(model)
    labels, S, means, ns, _ = _prepare_data(mm, HS, None, raw=True)
    table, nfree = _cfa_table(mm, S, means, meanstructure=False)
    eng = _Engine(table, nfree, 8, 2, S, means, ns, False)
    x0 = _sem_start(table, nfree)
    x, ok, _ = _optimize(eng, x0, 1000)
    ref = optimize.minimize(eng.fun_grad, x0, jac=True, hess=eng.info, method="trust-exact", options={"gtol": 1e-11})
    assert ok
    assert eng.fmin(x) == pytest.approx(ref.fun, rel=1e-10)
    np.testing.assert_allclose(x, ref.x, rtol=0, atol=1e-6)
    assert np.max(np.abs(x)) < 10.0


def _fiml_engines() -> list[tuple[_FIMLEngine, np.ndarray]]:
    out = []
    mm = parse_model(HS_MODEL)
    fd = _fiml_data(*_prepare_fiml_blocks(mm, HSM, "school"), 9)
    table, nfree = _cfa_table(mm, fd.S, fd.means, meanstructure=True, equal=("loadings",))
    eng = _Engine(table, nfree, 9, 3, fd.S, fd.means, fd.ns, True)
    out.append((_FIMLEngine(eng, fd.pats, fd.logl_h1), _sem_start(table, nfree)))
    sm = parse_sem(FIML_REF["pd_model"])
    lay = _layout(sm)
    fd = _fiml_data(*_prepare_fiml_blocks(lay, PDM, None), len(lay.obs))
    table, nfree = _build_sem_table(sm, lay, fd.S, fd.means, std_lv=False, meanstructure=True)
    eng = _SEMEngine(table, nfree, len(lay.obs), len(lay.eta), fd.S, fd.means, fd.ns, True)
    out.append((_FIMLEngine(eng, fd.pats, fd.logl_h1), _sem_start(table, nfree)))
    return out


def test_fiml_pattern_inverses_equal_one_factorisation_per_pattern() -> None:
    rng = np.random.default_rng(12)
    for feng, x0 in _fiml_engines():
        x = x0 + rng.uniform(0.05, 0.3, len(x0))
        for t in x0, x:
            # the Schur-complement path is taken (patterns missing few variables of a positive definite Sigma)
            assert any(2 * (feng.eng.p - obs.shape[1]) <= obs.shape[1] for _, obs, *_ in feng.stacks)
            moments = [feng.eng.implied(t, g) for g in range(feng.eng.G)]
            ll0 = sum(_pattern_logl(pt, *moments[pt.group]) for pt in feng.pats)
            assert feng.loglik(t) == pytest.approx(ll0, rel=1e-12)
            for g, obs, _, Si, *_ in feng._terms(t):
                Sigma = moments[g][0]
                for o, S_i in zip(obs, Si):
                    np.testing.assert_allclose(S_i, np.linalg.inv(Sigma[np.ix_(o, o)]), rtol=1e-10, atol=1e-12)


def _loop_em(pats: list, p: int, tol: float = 1e-13) -> tuple[np.ndarray, np.ndarray]:
    """EM one pattern at a time (the former code)."""
    N = sum(pt.n for pt in pats)
    s1, s2, cnt = np.zeros(p), np.zeros(p), np.zeros(p)
    for pt in pats:
        s1[pt.obs] += pt.n * pt.mean
        s2[pt.obs] += pt.n * (np.diag(pt.cov) + pt.mean**2)
        cnt[pt.obs] += pt.n
    mu = s1 / cnt
    Sigma = np.diag(s2 / cnt - mu**2)
    for _ in range(20000):
        T1, T2 = np.zeros(p), np.zeros((p, p))
        for pt in pats:
            o = pt.obs
            m = np.setdiff1d(np.arange(p), o)
            full = np.zeros(p)
            full[o] = pt.mean
            C = np.zeros((p, p))
            C[np.ix_(o, o)] = pt.cov
            if len(m):
                Bm = np.linalg.solve(Sigma[np.ix_(o, o)], Sigma[np.ix_(o, m)]).T
                full[m] = mu[m] + Bm @ (pt.mean - mu[o])
                C[np.ix_(m, o)] = Bm @ pt.cov
                C[np.ix_(o, m)] = C[np.ix_(m, o)].T
                C[np.ix_(m, m)] = Bm @ pt.cov @ Bm.T + Sigma[np.ix_(m, m)] - Bm @ Sigma[np.ix_(o, m)]
            T1 += pt.n * full
            T2 += pt.n * (C + np.outer(full, full))
        mu_new = T1 / N
        Sigma_new = T2 / N - np.outer(mu_new, mu_new)
        Sigma_new = (Sigma_new + Sigma_new.T) / 2.0
        change = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(Sigma_new - Sigma)))
        mu, Sigma = mu_new, Sigma_new
        if change < tol * max(1.0, float(np.max(np.abs(Sigma)))):
            break
    return mu, Sigma


def test_batched_em_equals_the_pattern_loop() -> None:
    X = HSM[[f"x{i}" for i in range(1, 10)]].to_numpy(dtype=float)
    pats = _patterns(X, 0)
    assert len({len(pt.obs) for pt in pats}) >= 3  # several stacks, including patterns missing 2+ items
    mu, Sigma, logl, ok = _em_moments(pats, 9)
    mu0, Sigma0 = _loop_em(pats, 9)
    assert ok
    np.testing.assert_allclose(mu, mu0, rtol=1e-11, atol=0)
    np.testing.assert_allclose(Sigma, Sigma0, rtol=1e-11, atol=1e-13)


def test_moment_hessian_with_a_label_shared_within_a_group() -> None:
    # two table rows of one parameter: the constant derivative maps are summed per parameter
    eng, x0 = _sem_engine(LABELLED, "school")
    assert not eng.index[0].unique
    rng = np.random.default_rng(13)
    x = x0 + rng.uniform(0.05, 0.3, len(x0))
    G = rng.standard_normal((eng.p, eng.p))
    G, h = G + G.T, rng.standard_normal(eng.p)
    num = central_moment_hessian(eng, x, 1, G, h)
    assert np.max(np.abs(num)) > 1.0
    np.testing.assert_allclose(eng.moment_hessian(x, 1, G, h), num, rtol=0, atol=1e-6 * np.max(np.abs(num)))


def test_case_scores_equal_the_einsum_over_rows() -> None:
    # listwise MLR's casewise scores from the low-rank derivatives against the dense formula
    for eng, x0 in (_sem_engine(LABELLED, None), _cfa_engine(())):
        if eng.G > 1:
            continue
        X = HS[[f"x{i}" for i in range(1, 10)]].to_numpy(dtype=float)
        x = x0 + np.random.default_rng(14).uniform(0.05, 0.3, len(x0))
        Si = np.linalg.inv(eng.implied(x, 0)[0])
        dS, _ = _loop_jacobian(eng, x, 0)
        Y = (X - X.mean(axis=0)) @ Si
        ref = -0.5 * np.einsum("ij,qji->q", Si, dS)[None, :] + 0.5 * np.einsum("ni,qij,nj->nq", Y, dS, Y)
        assert np.max(np.abs(ref)) > 0.1
        np.testing.assert_allclose(_case_scores(eng, x, X), ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))
