"""Factorability of a set of items: Kaiser-Meyer-Olkin sampling adequacy and Bartlett's test of sphericity.

Conventions of R ``psych`` 2.2.9 (``psych::KMO`` and ``psych::cortest.bartlett``), which the tests in
``tests/test_stats_factorability.py`` use as the oracle (``tests/reference/reliability.R``).

Missing data: ``missing="listwise"`` (default) uses the respondents who answered every item;
``missing="pairwise"`` uses pairwise-complete Pearson correlations (means and standard deviations of the
respondents answering both items, R's ``cor(use="pairwise")``, which ``psych::KMO`` and
``psych::cortest.bartlett`` use on raw data). Each result states the policy it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.stats._moments import MissingPolicy, _corr_for_policy

__all__ = ["BartlettResult", "KMOResult", "bartlett_sphericity", "kmo"]


@dataclass(frozen=True)
class KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy: overall ``msa`` and per-item ``msa_items``."""

    msa: float
    msa_items: pd.Series = field(repr=False)
    n: int
    n_items: int
    missing: str

    def __repr__(self) -> str:
        worst = self.msa_items.idxmin()
        return (
            f"KMOResult(msa={self.msa:.4f}, lowest item {worst!r}={self.msa_items[worst]:.4f}, "
            f"n={self.n}, n_items={self.n_items}, missing={self.missing!r})"
        )


def _check_nonsingular(r: np.ndarray, names: Sequence[str], what: str) -> None:
    vals = np.linalg.eigvalsh(r)
    if vals.min() <= 1e-10 * max(1.0, vals.max()):
        raise ValueError(
            f"the correlation matrix of {list(names)} is singular (smallest eigenvalue {vals.min():.3g}); "
            f"{what} needs its inverse: remove items that are exact linear combinations of others"
        )


def _kmo_from_corr(r: np.ndarray) -> tuple[float, np.ndarray]:
    q = np.linalg.inv(r)
    d = 1.0 / np.sqrt(np.diag(q))
    partial = q * np.outer(d, d)
    np.fill_diagonal(partial, 0.0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0.0)
    r2 = (r0**2).sum(axis=0)
    q2 = (partial**2).sum(axis=0)
    return float(r2.sum() / (r2.sum() + q2.sum())), r2 / (r2 + q2)


def kmo(data: Any, *, missing: MissingPolicy = "listwise") -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item (``psych::KMO``).

    ``MSA = sum r_ij^2 / (sum r_ij^2 + sum q_ij^2)`` over ``i != j``, with ``q`` the partial
    (anti-image) correlations from the inverse correlation matrix; per item the sums run over
    one column.

    Parameters
    ----------
    data : DataFrame or 2-D array
        Respondents in rows, items in columns.
    missing : {"listwise", "pairwise"}
        ``"listwise"``: Pearson correlations of the respondents who answered every item
        (``psych::KMO(na.omit(data))``). ``"pairwise"``: each ``r_ij`` is the Pearson correlation
        over the respondents who answered both items ``i`` and ``j``, with their own means and
        standard deviations, i.e. R's ``cor(data, use = "pairwise.complete.obs")``, which is what
        ``psych::KMO(data)`` uses on raw data with missing values. (It is not the pairwise
        covariance rescaled by the items' standard deviations, ``cov2cor(cov(data, use =
        "pairwise"))``, which differs in the third decimal.) Without missing values both policies
        give the same result. ``n`` of the result is then the smallest pairwise count.

    Returns
    -------
    KMOResult

    Raises
    ------
    ValueError
        Singular correlation matrix, plus the input errors of :func:`cronbach_alpha`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> x = pd.DataFrame(rng.normal(size=(400, 1)) + rng.normal(size=(400, 5)))
    >>> 0.5 < kmo(x).msa < 1
    True

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. Psychometrika, 35(4), 401-415.
    Kaiser, H. F., & Rice, J. (1974). Little jiffy, mark IV. Educational and Psychological
    Measurement, 34(1), 111-117.
    """
    mom, r = _corr_for_policy(data, missing, "data")
    _check_nonsingular(r, mom.names, "KMO")
    msa, msai = _kmo_from_corr(r)
    return KMOResult(
        msa=msa,
        msa_items=pd.Series(msai, index=pd.Index(mom.names, name="item"), name="msa"),
        n=mom.n,
        n_items=len(mom.names),
        missing=missing,
    )


@dataclass(frozen=True)
class BartlettResult:
    """Bartlett's test of sphericity: ``chisq`` on ``df`` degrees of freedom, p-value ``pvalue``."""

    chisq: float
    df: int
    pvalue: float
    n: int
    n_items: int
    missing: str


def bartlett_sphericity(data: Any, *, missing: MissingPolicy = "listwise") -> BartlettResult:
    """Bartlett's test that the item correlation matrix is an identity (``psych::cortest.bartlett``).

    ``chisq = -(n - 1 - (2p + 5) / 6) * log det R`` with ``df = p (p - 1) / 2``, ``n`` the
    respondents used (listwise complete cases, or the smallest pairwise count).

    Parameters
    ----------
    data : DataFrame or 2-D array
        Respondents in rows, items in columns.
    missing : {"listwise", "pairwise"}
        ``"listwise"``: ``R`` is the Pearson correlation matrix of the complete cases and ``n`` their
        number (``psych::cortest.bartlett(cor(na.omit(data)), n = nrow(na.omit(data)))``).
        ``"pairwise"``: ``R`` holds the pairwise-complete Pearson correlations (each ``r_ij`` over
        the respondents who answered both items, with their own means and standard deviations:
        R's ``cor(data, use = "pairwise.complete.obs")``) and ``n`` is the smallest number of
        respondents behind any ``r_ij``
        (``psych::cortest.bartlett(cor(data, use = "pairwise"), n = min(psych::pairwiseCount(data)))``).

    Returns
    -------
    BartlettResult

    Notes
    -----
    ``psych::cortest.bartlett(data)`` on raw data with missing values uses the same pairwise
    correlations but ``n = nrow(data)``, counting respondents who did not answer some (or any) of
    the items; the smallest pairwise count used here is the conservative choice, so the chi-square
    is smaller than psych's by the factor ``(n_min - 1 - (2p + 5) / 6) / (nrow - 1 - (2p + 5) / 6)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> x = pd.DataFrame(rng.normal(size=(300, 1)) + rng.normal(size=(300, 4)))
    >>> bartlett_sphericity(x).pvalue < 0.001
    True

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi square approximation in factor
    analysis. Biometrika, 38(3/4), 337-344.
    """
    mom, r = _corr_for_policy(data, missing, "data")
    p = r.shape[0]
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        raise ValueError(f"the correlation matrix of {list(mom.names)} is singular; Bartlett's test needs log det R")
    chisq = -logdet * (mom.n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return BartlettResult(
        chisq=float(chisq), df=int(df), pvalue=float(stats.chi2.sf(chisq, df)), n=mom.n, n_items=p, missing=missing
    )
