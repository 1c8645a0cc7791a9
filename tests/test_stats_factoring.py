"""Tests of emstudy.stats.factoring, the extraction and rotation engine shared by efa and omega.

The psych/GPArotation agreement of the engine is tested through ``efa`` (tests/test_stats_efa.py) and
``omega`` (tests/test_stats_reliability.py); these tests check the engine's own properties.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.stats import factoring

REF_DIR = Path(__file__).resolve().parent / "reference"
REF = json.loads((REF_DIR / "reliability.json").read_text())
SCALES = {s: d["items"] for s, d in REF["scales"].items()}


def _two_factor_r() -> np.ndarray:
    lam = np.kron(np.eye(2), np.full((4, 1), 0.7))
    lam[0, 1] = 0.3
    r = lam @ lam.T
    np.fill_diagonal(r, 1.0)
    return r


@pytest.mark.parametrize("scale", list(SCALES))
def test_fast_one_factor_minres_equals_bounded_optimizer(bfi_keyed: pd.DataFrame, scale: str) -> None:
    r = bfi_keyed[SCALES[scale]].dropna().corr().to_numpy()
    np.testing.assert_allclose(factoring.minres_one(r), factoring.minres_exact(r, 1), atol=1e-7)


def test_exact_and_psych_minres_agree_on_a_population_matrix() -> None:
    r = _two_factor_r()
    exact = factoring.minres_exact(r, 2)
    psych = factoring.extract(r, 2, "minres").loadings
    np.testing.assert_allclose(exact @ exact.T, psych @ psych.T, atol=1e-4)
    np.testing.assert_allclose(np.diag(exact @ exact.T), 0.49 + np.array([0.09, 0, 0, 0, 0, 0, 0, 0]), atol=1e-6)


def test_smc_variants_agree_on_a_regular_matrix() -> None:
    r = _two_factor_r()
    np.testing.assert_allclose(factoring.smc(r), factoring.smc(r, inverse="inv"), atol=1e-12)
    assert np.all((factoring.smc(r) >= 0) & (factoring.smc(r) <= 1))


@pytest.mark.parametrize("rotation", ["varimax", "promax", "quartimax", "oblimin", "geomin"])
def test_rotations_keep_the_common_part(rotation: str) -> None:
    a = factoring.minres_exact(_two_factor_r(), 2)
    lam, phi, ok = factoring.rotate(a, rotation)
    assert ok
    phi = np.eye(2) if phi is None else phi
    np.testing.assert_allclose(lam @ phi @ lam.T, a @ a.T, atol=1e-8)
    np.testing.assert_allclose(np.diag(phi), 1.0, atol=1e-12)


def test_varimax_returns_an_orthogonal_rotation() -> None:
    a = factoring.minres_exact(_two_factor_r(), 2)
    lam, t = factoring.varimax(a, eps=1e-10)
    np.testing.assert_allclose(t.T @ t, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(lam, a @ t, atol=1e-12)


def test_oblique_stop_on_stall_reaches_the_same_optimum() -> None:
    a = factoring.minres_exact(_two_factor_r(), 2)
    lam1, phi1, _ = factoring.gp_oblique(a, factoring.vgq_oblimin)
    lam2, phi2, ok = factoring.gp_oblique(a, factoring.vgq_oblimin, eps=1e-8, max_halvings=40, stop_on_stall=True)
    np.testing.assert_allclose(lam1, lam2, atol=1e-4)
    np.testing.assert_allclose(phi1, phi2, atol=1e-4)


def test_sign_vector_makes_column_sums_non_negative() -> None:
    lam = np.array([[-0.5, 0.2], [-0.4, 0.0], [0.1, -0.6]])
    assert np.all((lam * factoring.sign_vector(lam)).sum(axis=0) >= 0)


def test_principal_axis_and_ml_recover_a_population_matrix() -> None:
    r = _two_factor_r()
    for method in ("pa", "ml"):
        ext = factoring.extract(r, 2, method)
        assert ext.converged
        lam = ext.loadings
        np.testing.assert_allclose(lam @ lam.T - np.diag(np.diag(lam @ lam.T)), r - np.eye(8), atol=2e-3)


def test_unknown_rotation() -> None:
    with pytest.raises(ValueError, match="unknown rotation"):
        factoring.rotate(np.eye(3)[:, :2], "equamax")
