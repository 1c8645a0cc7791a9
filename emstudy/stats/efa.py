"""Exploratory factor analysis that follows the conventions of R ``psych::fa``.

This module holds two public functions:

* :func:`efa` -- factor extraction (minimum residual, iterated principal axis, maximum likelihood)
  followed by a rotation (varimax, promax, oblimin, quartimax, geomin or none).
* :func:`parallel_analysis` -- Horn's parallel analysis for the number of factors and components.

The extraction and rotations are in :mod:`emstudy.stats.factoring` (shared with omega), the Pearson and
polychoric correlations (:func:`emstudy.stats.correlation.polychoric`) in :mod:`emstudy.stats.correlation`.

Conventions (chosen to agree with ``psych`` 2.2.9 and ``GPArotation`` 2022.10, the R reference the
project tests against; a student comparing with SPSS will see differences, see the notes below):

* Correlations are Pearson with pairwise deletion unless asked otherwise (psych's ``use="pairwise"``).
* Minimum residual (``"minres"``) minimises the squared off-diagonal residuals over the uniquenesses,
  starting from ``1 - SMC``, with L-BFGS-B, uniquenesses bounded to ``[0.005, 1]`` (psych's ``fm="minres"``).
* Maximum likelihood (``"ml"``) minimises the normal-theory discrepancy over the uniquenesses with the
  same optimiser, start and bounds (psych's ``fm="ml"``; ``factanal`` differs slightly in its bounds).
* Principal axis (``"pa"``) iterates from SMC communalities until the *sum* of communalities changes
  by less than ``min_err=0.001``, at most ``max_iter=50`` iterations (psych's defaults; SPSS iterates
  to a different criterion, so its PA loadings differ in the third decimal).
* Varimax is Kaiser-normalised (``stats::varimax``); promax is psych's: Kaiser-normalised loadings,
  varimax, then the power-4 target of Hendrickson & White; oblimin (gamma = 0, quartimin), quartimax and
  geomin (oblique, delta = 0.01) are gradient-projection rotations from the identity *without* Kaiser
  normalisation, as ``GPArotation`` does by default.
* Factors are sorted by the variance they account for, ``diag(Phi L'L)``, and each factor's sign is
  flipped so that its loadings sum to a positive number. Factor names follow psych: the method prefix
  (``MR``, ``PA``, ``ML``) and the factor's position *before* rotation, so ``MR2`` may come first.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from emstudy.errors import ConvergenceWarning, HeywoodWarning
from emstudy.stats import factoring
from emstudy.stats._common import single_thread_blas
from emstudy.stats.correlation import _correlation, _numeric_frame
from emstudy.stats.factoring import PSI_LOWER as _PSI_LOWER

__all__ = ["EFAResult", "ParallelAnalysisResult", "efa", "parallel_analysis"]


Method = Literal["minres", "pa", "ml"]
Rotation = Literal["oblimin", "promax", "varimax", "quartimax", "geomin"]

_METHODS = ("minres", "pa", "ml")
_ROTATIONS = ("oblimin", "promax", "varimax", "quartimax", "geomin", None, "none")
_ORTHOGONAL = ("varimax", "quartimax")
_PREFIX = {"minres": "MR", "pa": "PA", "ml": "ML"}


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EFAResult:
    """Result of :func:`efa`.

    Attributes
    ----------
    loadings : pandas.DataFrame
        Pattern loadings, items x factors (sorted and signed as psych does).
    structure : pandas.DataFrame
        Structure matrix ``loadings @ phi`` (equal to the loadings for orthogonal rotations).
    communalities : pandas.Series
        ``diag(L Phi L')`` per item (psych's ``communality``).
    uniquenesses : pandas.Series
        ``1 - communalities`` (psych's ``uniquenesses``).
    phi : pandas.DataFrame
        Factor correlations (identity for orthogonal rotations and for no rotation).
    variance : pandas.DataFrame
        Rows ``SS loadings``, ``Proportion Var``, ``Cumulative Var``, ``Proportion Explained``,
        ``Cumulative Proportion`` (psych's ``Vaccounted``; for oblique solutions the SS loadings are
        ``diag(Phi L'L)``).
    correlation : pandas.DataFrame
        The correlation matrix that was factored.
    eigenvalues : pandas.Series
        Eigenvalues of the correlation matrix (psych's ``e.values``).
    method, rotation, cor, missing : str
        What was done (``rotation`` is ``"none"`` for an unrotated solution).
    n_obs : int
        Number of rows of the data (complete rows with ``missing="listwise"``).
    n_factors : int
        Number of factors.
    dof : int
        Degrees of freedom of the factor model, ``p(p-1)/2 - p k + k(k-1)/2``.
    objective : float
        Final value of the extraction criterion (residual sum of squares for minres and pa,
        the ML discrepancy for ml).
    converged : bool
        Whether extraction and rotation both converged.
    n_iter : int
        Iterations of the extraction step.
    notes : tuple of str
        Conventions followed and anything unusual (Heywood cases, non-convergence).
    """

    loadings: pd.DataFrame
    structure: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    phi: pd.DataFrame
    variance: pd.DataFrame
    correlation: pd.DataFrame = field(repr=False)
    eigenvalues: pd.Series = field(repr=False)
    method: str
    rotation: str
    cor: str
    missing: str
    n_obs: int
    n_factors: int
    dof: int
    objective: float
    converged: bool
    n_iter: int
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"EFAResult(method={self.method!r}, rotation={self.rotation!r}, n_factors={self.n_factors}, "
            f"n_items={self.loadings.shape[0]}, n_obs={self.n_obs}, converged={self.converged}, "
            f"proportion_var={np.round(self.variance.loc['Proportion Var'].to_numpy(), 3).tolist()})"
        )

    def to_frame(self) -> pd.DataFrame:
        """Loadings with communality (``h2``) and uniqueness (``u2``) columns, one row per item."""
        out = self.loadings.copy()
        out["h2"] = self.communalities
        out["u2"] = self.uniquenesses
        return out

    def summary(self, *, digits: int = 3, cutoff: float = 0.0) -> str:
        """Readable text summary: loadings (blanked below ``cutoff``), variance table and Phi."""
        tab = self.to_frame().round(digits)
        if cutoff > 0:
            fac = tab[self.loadings.columns]
            tab[self.loadings.columns] = fac.where(fac.abs() >= cutoff, other=np.nan)
        lines = [
            f"Exploratory factor analysis: method={self.method}, rotation={self.rotation}, "
            f"cor={self.cor}, missing={self.missing}, n_obs={self.n_obs}, dof={self.dof}, "
            f"converged={self.converged}",
            "",
            tab.to_string(na_rep=""),
            "",
            self.variance.round(digits).to_string(),
        ]
        if self.rotation not in ("none", *_ORTHOGONAL):
            lines += ["", "Factor correlations (Phi):", self.phi.round(digits).to_string()]
        if self.notes:
            lines += ["", "Notes:"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class ParallelAnalysisResult:
    """Result of :func:`parallel_analysis`.

    Attributes
    ----------
    n_factors : int
        Number of leading observed factor eigenvalues above the simulated threshold.
    n_components : int
        Number of leading observed component eigenvalues above the simulated threshold.
    table : pandas.DataFrame
        One row per eigenvalue (1..p) with columns ``pc_observed``, ``pc_simulated_mean``,
        ``pc_threshold``, ``fa_observed``, ``fa_simulated_mean``, ``fa_threshold``.
    n_iter : int
        Number of simulated data sets.
    quantile : float or str
        Quantile of the simulated eigenvalues used as threshold, or ``"mean"``.
    fa_method : str
        Extraction method used for the factor eigenvalues.
    seed : int or None
        Seed of the random generator.
    """

    n_factors: int
    n_components: int
    table: pd.DataFrame = field(repr=False)
    n_iter: int
    quantile: float | str
    fa_method: str
    seed: int | None

    def __repr__(self) -> str:
        return (
            f"ParallelAnalysisResult(n_factors={self.n_factors}, n_components={self.n_components}, "
            f"n_iter={self.n_iter}, quantile={self.quantile!r}, fa_method={self.fa_method!r})"
        )

    def summary(self, *, digits: int = 3) -> str:
        """Readable text summary with the eigenvalue table."""
        return (
            f"Parallel analysis suggests {self.n_factors} factors and {self.n_components} components "
            f"({self.n_iter} simulated data sets, threshold={self.quantile}).\n\n"
            + self.table.round(digits).to_string()
        )


def _dof(p: int, k: int) -> int:
    return p * (p - 1) // 2 - p * k + k * (k - 1) // 2


# ----------------------------------------------------------------------------------------------
# Public: efa
# ----------------------------------------------------------------------------------------------


@single_thread_blas()
def efa(
    data: pd.DataFrame | np.ndarray,
    n_factors: int,
    *,
    method: Method = "minres",
    rotation: Rotation | None = "oblimin",
    cor: Literal["pearson", "polychoric"] = "pearson",
    missing: Literal["pairwise", "listwise"] = "pairwise",
) -> EFAResult:
    """Exploratory factor analysis with psych's conventions.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        Observations x items, numeric; missing values as NaN.
    n_factors : int
        Number of factors, at least 1 and small enough that the model's degrees of freedom
        ``p(p-1)/2 - p k + k(k-1)/2`` are not negative.
    method : {"minres", "pa", "ml"}
        Extraction: minimum residual (psych's default), iterated principal axis, maximum likelihood.
    rotation : {"oblimin", "promax", "varimax", "quartimax", "geomin", None}
        Rotation; ``None`` (or ``"none"``) keeps the unrotated solution. ``"geomin"`` is the oblique
        geomin (GPArotation's ``geominQ``, delta = 0.01).
    cor : {"pearson", "polychoric"}
        Correlations to factor; polychoric uses :func:`polychoric`.
    missing : {"pairwise", "listwise"}
        Pairwise deletion (psych's default) or complete cases only.

    Returns
    -------
    EFAResult
        Loadings, communalities, uniquenesses, Phi, the variance table and convergence information.

    Raises
    ------
    ValueError
        Non-numeric columns, too few observations, an unknown option, or too many factors.

    Warns
    -----
    HeywoodWarning, ConvergenceWarning
        A Heywood case (an item's communality at or above the bound, named in the message) or
        non-convergence of the extraction or the rotation.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 2))
    >>> lam = np.kron(np.eye(2), np.full((3, 1), 0.7))
    >>> x = pd.DataFrame(f @ lam.T + rng.normal(scale=0.6, size=(300, 6)), columns=list("abcdef"))
    >>> res = efa(x, 2, rotation="varimax")
    >>> res.loadings.shape
    (6, 2)

    References
    ----------
    Harman, H. H. & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    *Psychometrika*, 31, 351-368.
    Jöreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
    *Psychometrika*, 32, 443-482.
    Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor analysis.
    *Psychometrika*, 23, 187-200.
    Hendrickson, A. E. & White, P. O. (1964). Promax: a quick method for rotation to oblique simple
    structure. *British Journal of Statistical Psychology*, 17, 65-70.
    Jennrich, R. I. (2001). A simple general procedure for orthogonal rotation. *Psychometrika*, 66,
    289-306. Jennrich, R. I. (2002). A simple general method for oblique rotation. *Psychometrika*, 67, 7-19.
    Bernaards, C. A. & Jennrich, R. I. (2005). Gradient projection algorithms and software for
    arbitrary rotation criteria in factor analysis. *Educational and Psychological Measurement*, 65, 676-696.
    Yates, A. (1987). *Multivariate exploratory data analysis*. SUNY Press (geomin).
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality Research,
    version 2.2.9 (the conventions followed here).
    """
    n_factors, rot = _check_args_efa(n_factors, method, rotation, cor, missing)
    df = _numeric_frame(data)
    p = df.shape[1]
    dof = _check_dof(p, n_factors)
    rdf = _correlation(df, cor, missing)
    items = list(rdf.columns)
    r = rdf.to_numpy(dtype=float)
    notes: list[str] = []

    ext, lam, communality = _extract_efa(r, n_factors, method, notes)
    converged = ext.converged
    phi: np.ndarray | None = None
    if rot != "none":
        lam, phi, rot_ok = _rotate_efa(lam, rot, notes)
        converged = converged and rot_ok
    lam, phi, names = _order_and_sign(lam, phi, method, n_factors)
    _warn_heywood(items, communality, notes)
    notes.insert(0, _convention_note(method, rot))
    return EFAResult(
        loadings=pd.DataFrame(lam, index=items, columns=names),
        structure=pd.DataFrame(lam @ phi, index=items, columns=names),
        communalities=pd.Series(communality, index=items, name="h2"),
        uniquenesses=pd.Series(1.0 - communality, index=items, name="u2"),
        phi=pd.DataFrame(phi, index=names, columns=names),
        variance=_variance_table(lam, phi, names, p),
        correlation=rdf,
        eigenvalues=pd.Series(np.linalg.eigvalsh(r)[::-1], index=range(1, p + 1), name="eigenvalue"),
        method=method,
        rotation=rot,
        cor=cor,
        missing=missing,
        n_obs=int(df.dropna().shape[0]) if missing == "listwise" else int(df.shape[0]),
        n_factors=n_factors,
        dof=dof,
        objective=ext.objective,
        converged=converged,
        n_iter=ext.n_iter,
        notes=tuple(notes),
    )


def _check_args_efa(n_factors: object, method: str, rotation: str | None, cor: str, missing: str) -> tuple[int, str]:
    """Check the options of :func:`efa`; return the number of factors and the rotation's name."""
    if method not in _METHODS:
        raise ValueError(f"method: expected one of {_METHODS}, got {method!r}")
    if rotation not in _ROTATIONS:
        raise ValueError(f"rotation: expected one of {_ROTATIONS}, got {rotation!r}")
    if missing not in ("pairwise", "listwise"):
        raise ValueError(f"missing: expected 'pairwise' or 'listwise', got {missing!r}")
    if cor not in ("pearson", "polychoric"):
        raise ValueError(f"cor: expected 'pearson' or 'polychoric', got {cor!r}")
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise ValueError(f"n_factors: expected a positive integer, got {n_factors!r}")
    n_factors = int(n_factors)
    rot = "none" if rotation in (None, "none") or n_factors == 1 else str(rotation)
    return n_factors, rot


def _check_dof(p: int, n_factors: int) -> int:
    """Degrees of freedom of ``n_factors`` factors for ``p`` items; an error when they are too many."""
    dof = _dof(p, n_factors)
    if n_factors >= p or dof < 0:
        kmax = max(k for k in range(0, p) if _dof(p, k) >= 0)
        raise ValueError(
            f"n_factors: {n_factors} factors are too many for {p} items (degrees of freedom {dof}); "
            f"at most {kmax} can be extracted"
        )
    return dof


def _extract_efa(
    r: np.ndarray, n_factors: int, method: str, notes: list[str]
) -> tuple[factoring.Extraction, np.ndarray, np.ndarray]:
    """Unrotated solution signed as psych, its communalities, and a warning when it did not converge."""
    ext = factoring.extract(r, n_factors, method)
    lam = ext.loadings.copy()
    lam = lam * factoring.sign_vector(lam)[None, :]
    lam[lam == 0] = 1e-15
    communality = np.sum(lam**2, axis=1)
    if not ext.converged:
        warnings.warn(
            f"efa: {method} extraction did not converge in {ext.n_iter} iterations; "
            "try fewer factors, method='minres', or check the items for near-duplicates",
            ConvergenceWarning,
            stacklevel=3,
        )
        notes.append(f"{method} extraction did not converge ({ext.message})")
    return ext, lam, communality


def _rotate_efa(lam: np.ndarray, rot: str, notes: list[str]) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Rotated loadings, factor correlations and convergence, with a warning when it did not converge."""
    lam, phi, rot_ok = factoring.rotate(lam, rot)
    if not rot_ok:
        warnings.warn(
            f"efa: {rot} rotation did not converge in 1000 iterations; try another rotation or fewer factors",
            ConvergenceWarning,
            stacklevel=3,
        )
        notes.append(f"{rot} rotation did not converge")
    return lam, phi, rot_ok


def _order_and_sign(
    lam: np.ndarray, phi: np.ndarray | None, method: str, n_factors: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """psych's convention: positive column sums, factors sorted by variance, named by pre-rotation position."""
    signs = factoring.sign_vector(lam)
    lam = lam * signs[None, :]
    if phi is not None:
        phi = phi * np.outer(signs, signs)
    names = np.array([f"{_PREFIX[method]}{j + 1}" for j in range(n_factors)])
    if n_factors > 1:
        ss = np.diag(lam.T @ lam) if phi is None else np.diag(phi @ lam.T @ lam)
        order = np.argsort(-ss, kind="stable")
        lam = lam[:, order]
        names = names[order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]
    if phi is None:
        phi = np.eye(n_factors)
    return lam, phi, names


def _variance_table(lam: np.ndarray, phi: np.ndarray, names: np.ndarray, p: int) -> pd.DataFrame:
    """psych's ``Vaccounted``: SS loadings ``diag(Phi L'L)`` and the proportions of variance."""
    vx = np.diag(phi @ lam.T @ lam)
    vtotal = float(p)  # sum of communalities + uniquenesses of a correlation matrix
    return pd.DataFrame(
        [vx, vx / vtotal, np.cumsum(vx / vtotal), vx / vx.sum(), np.cumsum(vx / vx.sum())],
        index=["SS loadings", "Proportion Var", "Cumulative Var", "Proportion Explained", "Cumulative Proportion"],
        columns=names,
    )


def _warn_heywood(items: list, communality: np.ndarray, notes: list[str]) -> None:
    """Warn and note when an item's communality reached the uniqueness bound (an improper solution)."""
    heywood = [items[i] for i in np.flatnonzero(communality >= 1.0 - _PSI_LOWER - 1e-6)]
    if heywood:
        warnings.warn(
            f"efa: Heywood case: communality at or above {1 - _PSI_LOWER} (uniqueness at its bound) for "
            f"item(s) {', '.join(map(str, heywood))}; the solution is improper, consider fewer factors "
            "or dropping the item(s)",
            HeywoodWarning,
            stacklevel=3,
        )
        notes.append(f"Heywood case for {', '.join(map(str, heywood))}")


def _convention_note(method: str, rotation: str) -> str:
    ext = {
        "minres": "minres as psych::fa (L-BFGS-B on uniquenesses from 1 - SMC, bounds [0.005, 1])",
        "ml": "ml as psych::fa (L-BFGS-B on uniquenesses from 1 - SMC, bounds [0.005, 1])",
        "pa": "principal axis as psych::fa (SMC start, stop when the sum of communalities changes < 0.001, max 50 iterations; SPSS differs)",
    }[method]
    rot = {
        "none": "unrotated",
        "varimax": "varimax with Kaiser normalisation (stats::varimax)",
        "promax": "promax as psych (Kaiser-normalised varimax, power 4; SPSS's promax differs)",
        "oblimin": "oblimin gamma=0 without Kaiser normalisation (GPArotation default)",
        "quartimax": "quartimax without Kaiser normalisation (GPArotation default)",
        "geomin": "oblique geomin delta=0.01 without Kaiser normalisation (GPArotation::geominQ)",
    }[rotation]
    return f"{ext}; {rot}; factors sorted by variance explained, signs so that loadings sum positive"


# ----------------------------------------------------------------------------------------------
# Public: parallel analysis
# ----------------------------------------------------------------------------------------------


def _fa_values(r: np.ndarray, method: str) -> np.ndarray:
    """Eigenvalues of ``r`` with its diagonal replaced by one-factor communalities (psych's fa$values)."""
    ext = factoring.extract(r, 1, method)
    s = r.copy()
    np.fill_diagonal(s, np.sum(ext.loadings**2, axis=1))
    return np.linalg.eigvalsh(s)[::-1]


def _leading_above(obs: np.ndarray, thr: np.ndarray) -> int:
    below = np.flatnonzero(~(obs > thr))
    return int(below[0]) if len(below) else len(obs)


@single_thread_blas()
def parallel_analysis(
    data: pd.DataFrame | np.ndarray,
    *,
    n_iter: int = 20,
    seed: int | None = None,
    fa_method: Method = "minres",
    quantile: float | Literal["mean"] = 0.95,
    cor: Literal["pearson", "polychoric"] = "pearson",
    missing: Literal["pairwise", "listwise"] = "pairwise",
) -> ParallelAnalysisResult:
    """Horn's parallel analysis for factors and components, as ``psych::fa.parallel(fa="both")``.

    Observed component eigenvalues are those of the correlation matrix; observed factor eigenvalues
    are those of the correlation matrix with its diagonal replaced by the communalities of a
    one-factor solution (psych's default ``SMC=FALSE``). Each of ``n_iter`` data sets of independent
    standard normal variables with the same numbers of rows and columns gives the same two sets of
    eigenvalues; the suggested numbers are the counts of leading observed eigenvalues that exceed the
    chosen quantile (or the mean) of the simulated ones. psych also resamples the data, but its
    suggestion uses the simulated eigenvalues, as here.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        Observations x items.
    n_iter : int
        Number of simulated data sets.
    seed : int or None
        Seed for ``numpy.random.default_rng``; R's random numbers differ, so compare suggestions only.
    fa_method : {"minres", "pa", "ml"}
        Extraction for the factor eigenvalues.
    quantile : float in (0, 1) or "mean"
        Threshold: this quantile of the simulated eigenvalues (psych's ``quant=0.95``) or their mean.
    cor, missing : str
        As in :func:`efa`.

    Returns
    -------
    ParallelAnalysisResult
        Suggested numbers of factors and components and the eigenvalue table.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=(400, 2))
    >>> lam = np.kron(np.eye(2), np.full((4, 1), 0.7))
    >>> x = pd.DataFrame(f @ lam.T + rng.normal(scale=0.6, size=(400, 8)))
    >>> parallel_analysis(x, seed=1).n_factors
    2

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika*, 30, 179-185.
    Revelle, W. (2022). psych, version 2.2.9, ``fa.parallel``.
    """
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter: expected a positive integer, got {n_iter!r}")
    if fa_method not in _METHODS:
        raise ValueError(f"fa_method: expected one of {_METHODS}, got {fa_method!r}")
    if not (
        quantile == "mean"
        or (isinstance(quantile, (float, int)) and not isinstance(quantile, bool) and 0 < quantile < 1)
    ):
        raise ValueError(f"quantile: expected a number in (0, 1) or 'mean', got {quantile!r}")
    df = _numeric_frame(data)
    n, p = df.shape
    r = _correlation(df, cor, missing).to_numpy(dtype=float)
    pc_obs = np.linalg.eigvalsh(r)[::-1]
    fa_obs = _fa_values(r, fa_method)
    rng = np.random.default_rng(seed)
    pc_sim = np.empty((n_iter, p))
    fa_sim = np.empty((n_iter, p))
    for it in range(n_iter):
        z = rng.standard_normal((n, p))
        rs = np.corrcoef(z, rowvar=False)
        pc_sim[it] = np.linalg.eigvalsh(rs)[::-1]
        fa_sim[it] = _fa_values(rs, fa_method)
    if quantile == "mean":
        pc_thr, fa_thr = pc_sim.mean(axis=0), fa_sim.mean(axis=0)
    else:
        pc_thr = np.quantile(pc_sim, quantile, axis=0)
        fa_thr = np.quantile(fa_sim, quantile, axis=0)
    table = pd.DataFrame(
        {
            "pc_observed": pc_obs,
            "pc_simulated_mean": pc_sim.mean(axis=0),
            "pc_threshold": pc_thr,
            "fa_observed": fa_obs,
            "fa_simulated_mean": fa_sim.mean(axis=0),
            "fa_threshold": fa_thr,
        },
        index=pd.RangeIndex(1, p + 1, name="number"),
    )
    return ParallelAnalysisResult(
        n_factors=_leading_above(fa_obs, fa_thr),
        n_components=_leading_above(pc_obs, pc_thr),
        table=table,
        n_iter=int(n_iter),
        quantile=quantile,
        fa_method=fa_method,
        seed=seed,
    )
