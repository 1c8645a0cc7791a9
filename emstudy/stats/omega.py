"""McDonald's omega (hierarchical and total) by the Schmid-Leiman transformation, as ``psych::omega``.

Defaults of ``psych::omega`` (minres factoring, oblimin rotation, Schmid-Leiman with the general factor
from a one-factor minres solution of the factor correlations, items flipped when their general loading
is negative), plus omega total of a one-factor minres solution, used by the construct table of
:mod:`emstudy.stats.reliability`. The factoring and rotations come from :mod:`emstudy.stats.factoring`;
the tests in ``tests/test_stats_reliability.py`` use ``tests/reference/reliability.R`` as the oracle.
``cor="polychoric"`` (ordinal omega) factors the polychoric correlation matrix instead, as
``psych::omega(x, poly = TRUE)``, which is ``psych::omega(psych::polychoric(x)$rho)``
(``tests/reference/ordinal_reliability.R``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from emstudy.errors import ModelWarning
from emstudy.stats import factoring
from emstudy.stats._common import single_thread_blas
from emstudy.stats._moments import MissingPolicy, _as_frame, _check_missing, _moments, _numeric_matrix
from emstudy.stats._reliability_text import _sample_line
from emstudy.stats.correlation import _check_cor, _polychoric_matrix

__all__ = ["OmegaResult", "omega"]

# ---------------------------------------------------------------------------------------------------
# Omega (factoring and rotations from emstudy.stats.factoring)
# ---------------------------------------------------------------------------------------------------


def _general_loadings(phi: np.ndarray) -> np.ndarray:
    """Loadings of the factors on the general factor: one-factor minres of their correlations."""
    m = phi.shape[0]
    if m == 2:
        r12 = phi[0, 1]
        return np.array([math.sqrt(abs(r12)), math.copysign(math.sqrt(abs(r12)), r12)])
    g = factoring.minres_exact(phi, 1)[:, 0]
    return g if g.sum() >= 0 else -g


@dataclass(frozen=True)
class OmegaResult:
    """McDonald's omega of one scale; ``summary()`` says which omega and of what, ``to_frame()`` is one row.

    Attributes
    ----------
    omega_h : omega hierarchical from the Schmid-Leiman solution with ``n_factors`` group factors; with
        ``n_factors == 1`` psych's value ``(sum g)^2 / Vt`` of the one-factor loadings, which psych itself
        calls "not meaningful, just omega_t" (there is no general factor beside group factors to separate).
    omega_total : omega total of the ``n_factors`` solution.
    omega_total_single : omega total of a one-factor minres solution.
    g_loadings : Schmid-Leiman general-factor loadings per item (after flipping, as psych).
    n, n_items, n_factors, missing : sample and settings (``n``: listwise complete cases, pairwise the
        smallest number of respondents behind a correlation).
    cor : ``"pearson"`` or ``"polychoric"`` (ordinal omega, of the latent continuous responses).
    """

    omega_h: float
    omega_total: float
    omega_total_single: float
    g_loadings: pd.Series = field(repr=False)
    n: int
    n_items: int
    n_factors: int
    missing: str
    cor: str = "pearson"

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row table: every field but ``g_loadings`` as a column."""
        return pd.DataFrame([{k: getattr(self, k) for k in self.__dataclass_fields__ if k != "g_loadings"}])

    def summary(self) -> str:
        """A readable text summary: which omega (of the Pearson or, ordinal omega, the polychoric matrix), the
        sample and missing-data policy, omega_h and omega total of the ``n_factors`` solution, and omega total of
        the one-factor solution."""
        name = "Ordinal omega" if self.cor == "polychoric" else "McDonald's omega"
        if self.n_factors == 1:
            how = "one factor"
            h = f"omega_h = {self.omega_h:.3f} (one factor: psych's (sum g)^2 / Vt, not a hierarchical omega)"
        else:
            how = f"Schmid-Leiman with {self.n_factors} group factors"
            h = f"omega_h = {self.omega_h:.3f} (general factor)"
        return "\n".join(
            [
                f"{name} ({how}): {_sample_line(self.n_items, self.n, self.missing, self.cor)}",
                f"{h}, omega_total = {self.omega_total:.3f}",
                f"omega_total of a one-factor solution = {self.omega_total_single:.3f}",
            ]
        )

    def __repr__(self) -> str:
        return (
            f"OmegaResult(omega_h={self.omega_h:.4f}, omega_total={self.omega_total:.4f}, "
            f"omega_total_single={self.omega_total_single:.4f}, n_factors={self.n_factors}, "
            f"n={self.n}, n_items={self.n_items}, missing={self.missing!r}, cor={self.cor!r})"
        )


def _omega_total_single(r: np.ndarray) -> float:
    lam = factoring.minres_one(r)[:, 0]
    key = np.where(lam < 0, -1.0, 1.0)
    vt = float((r * np.outer(key, key)).sum())
    u2 = 1.0 - lam**2
    return (vt - float(u2.sum())) / vt


@single_thread_blas()
def omega(
    items: Any,
    *,
    n_factors: int = 3,
    missing: MissingPolicy = "listwise",
    cor: Literal["pearson", "polychoric"] = "pearson",
) -> OmegaResult:
    """McDonald's omega hierarchical and omega total, as ``psych::omega`` computes by default.

    The item correlation matrix is factored by minres into ``n_factors`` factors, rotated by
    oblimin (gamma = 0, started from varimax), and the factor correlations are factored by a
    one-factor minres solution to give the general factor (Schmid & Leiman, 1957). Items whose
    general loading is negative are flipped, as psych does. Then, with ``Vt`` the sum of the
    (flipped) correlation matrix, ``omega_h = (sum g)^2 / Vt`` and
    ``omega_total = (Vt - sum(u2)) / Vt``, ``u2`` being the uniquenesses of the ``n_factors``
    solution. ``omega_total_single`` is the same total from a one-factor minres solution
    (``psych::omega(x, nfactors = 1)$omega.tot``).

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents in rows, items in columns.
    n_factors : int
        Group factors of the Schmid-Leiman solution (psych's default 3).
    missing : {"listwise", "pairwise"}
        Missing-data policy (for ``cor="polychoric"``, ``"pairwise"`` gives psych's pairwise polychoric
        correlations, ``psych::omega(x, poly = TRUE)`` on data with missing values).
    cor : {"pearson", "polychoric"}
        Factor the Pearson correlations of the item scores, or the polychoric correlations of
        integer-coded ordinal items (ordinal omega, as ``psych::omega(x, poly = TRUE)``): the
        reliability of the latent continuous responses behind the categories, not of the observed sum
        score (Chalmers, 2018). At most 10 categories, the limit of every polychoric in emstudy
        (:func:`~emstudy.stats.correlation.polychoric`); psych's default ``max.cat`` is 8, so compare 9
        or 10 categories with ``psych::omega(psych::polychoric(x, max.cat = 10)$rho)``.

    Returns
    -------
    OmegaResult

    Notes
    -----
    With ``n_factors=1`` there are no group factors and ``omega_h`` is psych's value for one factor,
    ``(sum g)^2 / Vt`` of the one-factor loadings, which psych reports with the message "Omega_h for 1 factor
    is not meaningful, just omega_t"; it differs from ``omega_total`` (``1 - sum(u2) / Vt``) only by how far the
    one-factor model misses the correlations (``tests/reference/omega_one_factor.R``).

    With few items per factor the ``n_factors`` solution is not identified (negative degrees of
    freedom, e.g. 3 factors for 5 items); a warning is issued and omega_h then depends on where the
    optimizer stops, so it may differ from psych's.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> g = rng.normal(size=(500, 1))
    >>> x = pd.DataFrame(g + rng.normal(size=(500, 6)))
    >>> round(omega(x, n_factors=1).omega_total_single, 1)
    0.9

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.
    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor solutions.
    Psychometrika, 22(1), 53-61.
    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha, Revelle's beta, and
    McDonald's omega_h. Psychometrika, 70(1), 123-133.
    Jennrich, R. I. (2002). A simple general method for oblique rotation. Psychometrika, 67(1), 7-19.
    Chalmers, R. P. (2018). On misconceptions and the limited usefulness of ordinal alpha. Educational
    and Psychological Measurement, 78(6), 1056-1071.
    """
    if not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise ValueError(f"n_factors must be a positive integer; got {n_factors!r}")
    names, r, n = _omega_correlations(items, missing, cor)
    k = r.shape[0]
    if n_factors >= k:
        raise ValueError(f"n_factors ({n_factors}) must be smaller than the number of items ({k})")
    dof = ((k - n_factors) ** 2 - (k + n_factors)) / 2
    total_single = _omega_total_single(r)
    if n_factors == 1:
        lam = factoring.minres_exact(r, 1)
        g = lam[:, 0]
        u2 = 1.0 - g**2
    else:
        if dof < 0:
            warnings.warn(
                f"{n_factors} factors for {k} items leave negative degrees of freedom ({dof:g}); "
                "omega_h is not identified and may differ from psych's",
                ModelWarning,
                stacklevel=2,
            )
        g, u2 = _schmid_leiman_general(r, int(n_factors))
    key = np.where(g < 0, -1.0, 1.0)
    g = g * key
    vt = float((r * np.outer(key, key)).sum())
    omega_total = (vt - float(u2.sum())) / vt
    omega_h = float(g.sum() ** 2 / vt)  # with one factor psych's convention (its omega_h of nfactors = 1)
    return OmegaResult(
        omega_h=omega_h,
        omega_total=float(omega_total),
        omega_total_single=float(total_single),
        g_loadings=pd.Series(g, index=pd.Index(names, name="item"), name="g"),
        n=n,
        n_items=k,
        n_factors=int(n_factors),
        missing=missing,
        cor=cor,
    )


def _omega_correlations(items: Any, missing: str, cor: str) -> tuple[tuple[str, ...], np.ndarray, int]:
    """Item names, the correlation matrix omega factors (Pearson or polychoric) and its ``n``."""
    if cor == "pearson":
        mom = _moments(items, missing)
        return mom.names, mom.corr, mom.n
    _check_cor(cor)
    _check_missing(missing)
    names, x = _numeric_matrix(_as_frame(items))
    r, n = _polychoric_matrix(names, x, missing)
    return names, r, n


def _schmid_leiman_general(r: np.ndarray, n_factors: int) -> tuple[np.ndarray, np.ndarray]:
    """General-factor loadings (Schmid-Leiman) and uniquenesses of the ``n_factors`` minres solution.

    Minres factoring, varimax (Kaiser-normalized, relative tolerance 1e-10) then oblimin started from it
    (gradient projection to a projected-gradient norm of 1e-8, stopping when the line search stalls).
    """
    lam = factoring.minres_exact(r, n_factors)
    u2 = 1.0 - (lam**2).sum(axis=1)
    start, _ = factoring.varimax(lam, eps=1e-10)
    # max_iter=4999: at most 5000 passes (the loop runs max_iter + 1 times, as GPArotation's 0:maxit)
    pattern, phi, _ = factoring.gp_oblique(
        start, factoring.vgq_oblimin, eps=1e-8, max_iter=4999, max_halvings=40, stop_on_stall=True
    )
    gload = _general_loadings(phi)
    return pattern @ gload, u2
