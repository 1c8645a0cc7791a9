"""Convergent and discriminant validity: composite reliability, average variance extracted and HTMT.

Conventions of R ``semTools`` 0.5-6 (``compRelSEM``, ``AVE``, ``htmt``), which the tests in
``tests/test_stats_validity.py`` use as the oracle (``tests/reference/reliability.R``).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Literal

import numpy as np
import pandas as pd

from emstudy.stats._common import check_columns
from emstudy.stats._moments import MissingPolicy, _moments, _resolve_scales

__all__ = ["average_variance_extracted", "composite_reliability", "htmt"]


def _loading_vector(loadings: Any, argname: str) -> np.ndarray:
    lam = np.asarray(loadings, dtype=float).ravel()
    if lam.size < 1 or not np.all(np.isfinite(lam)):
        raise ValueError(f"{argname} must be a non-empty sequence of finite numbers")
    return lam


def _residuals(lam: np.ndarray, residual_variances: Any, factor_variance: float) -> np.ndarray:
    if residual_variances is None:
        if factor_variance != 1.0:
            raise ValueError("factor_variance must be 1 when residual_variances are not given (standardized loadings)")
        if np.any(np.abs(lam) > 1.0):
            raise ValueError(f"standardized loadings must lie in [-1, 1]; got {lam.tolist()}")
        return 1.0 - lam**2
    theta = np.asarray(residual_variances, dtype=float).ravel()
    if theta.shape != lam.shape:
        raise ValueError(f"residual_variances must have one value per loading ({lam.size}); got {theta.size}")
    return theta


def composite_reliability(
    loadings: Any,
    *,
    residual_variances: Any = None,
    factor_variance: float = 1.0,
    observed_total_variance: float | None = None,
) -> float:
    """Composite (construct) reliability of one factor's indicators.

    With standardized loadings ``l`` and uncorrelated errors (the default, ``residual_variances``
    omitted)::

        CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))

    which is ``semTools::compRelSEM(fit, obs.var = FALSE)`` for a fit whose model-implied indicator
    variances are equal (e.g. the model fitted to the correlation matrix). With unstandardized
    ``loadings``, ``residual_variances`` and ``factor_variance`` the numerator is
    ``(sum l)^2 * factor_variance`` and the denominator adds ``sum(residual_variances)``, or is
    ``observed_total_variance`` (the sum of the indicators' sample covariance matrix, as
    ``compRelSEM``'s default ``obs.var = TRUE``) when that is given.

    Parameters
    ----------
    loadings : sequence of float
        Loadings of the factor's indicators (standardized unless ``residual_variances`` is given).
    residual_variances : sequence of float, optional
        Indicator residual variances, for unstandardized loadings.
    factor_variance : float
        Variance of the factor (1 for standardized loadings).
    observed_total_variance : float, optional
        Sample variance of the unit-weighted sum of the indicators.

    Returns
    -------
    float

    Examples
    --------
    >>> round(composite_reliability([0.7, 0.8, 0.6]), 4)
    0.7449

    References
    ----------
    Jöreskog, K. G. (1971). Statistical analysis of sets of congeneric tests. Psychometrika, 36(2),
    109-133.
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable
    variables and measurement error. Journal of Marketing Research, 18(1), 39-50.
    """
    lam = _loading_vector(loadings, "loadings")
    theta = _residuals(lam, residual_variances, factor_variance)
    num = float(lam.sum() ** 2 * factor_variance)
    den = float(observed_total_variance) if observed_total_variance is not None else num + float(theta.sum())
    return num / den


def average_variance_extracted(
    loadings: Any, *, residual_variances: Any = None, factor_variance: float = 1.0, observed_variances: Any = None
) -> float:
    """Average variance extracted (Fornell & Larcker, 1981) by one factor.

    With standardized loadings (the default) ``AVE = mean(l^2)``, which is
    ``semTools::AVE(fit, obs.var = FALSE)`` for a fit with equal model-implied indicator variances.
    With unstandardized loadings, ``AVE = sum(l^2) * factor_variance / sum(v)``, ``v`` being the
    ``observed_variances`` (semTools' default ``obs.var = TRUE``) or, if not given, the model-implied
    variances ``l^2 * factor_variance + residual_variances``.

    Parameters
    ----------
    loadings : sequence of float
        Loadings (standardized unless ``residual_variances`` or ``observed_variances`` is given).
    residual_variances : sequence of float, optional
        Indicator residual variances for unstandardized loadings.
    factor_variance : float
        Variance of the factor.
    observed_variances : sequence of float, optional
        Sample variances of the indicators.

    Returns
    -------
    float

    Examples
    --------
    >>> round(average_variance_extracted([0.7, 0.8, 0.6]), 4)
    0.4967

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable
    variables and measurement error. Journal of Marketing Research, 18(1), 39-50.
    """
    lam = _loading_vector(loadings, "loadings")
    explained = lam**2 * factor_variance
    if observed_variances is not None:
        v = np.asarray(observed_variances, dtype=float).ravel()
        if v.shape != lam.shape:
            raise ValueError(f"observed_variances must have one value per loading ({lam.size}); got {v.size}")
        return float(explained.sum() / v.sum())
    theta = _residuals(lam, residual_variances, factor_variance)
    return float(explained.sum() / (explained + theta).sum())


def htmt(
    data: pd.DataFrame,
    constructs: Any,
    *,
    mean: Literal["arithmetic", "geometric"] = "arithmetic",
    absolute: bool = True,
    missing: MissingPolicy = "listwise",
) -> pd.DataFrame:
    """Heterotrait-monotrait ratios of correlations between constructs, as ``semTools::htmt``.

    ``HTMT_ij`` is the mean correlation between items of constructs ``i`` and ``j`` divided by the
    geometric mean of the two mean within-construct correlations (diagonal excluded).

    Parameters
    ----------
    data : DataFrame
        Respondents in rows, item columns.
    constructs : mapping construct -> item columns, or object with ``.scales()``
        Which items measure which construct.
    mean : {"arithmetic", "geometric"}
        ``"arithmetic"``: the HTMT of Henseler, Ringle & Sarstedt (2015), ``semTools::htmt(...,
        htmt2 = FALSE)``; ``"geometric"``: HTMT2 of Roemer, Schuberth & Henseler (2021), which is
        the default of semTools 0.5-6 (``htmt2 = TRUE``). The geometric version always uses
        absolute correlations.
    absolute : bool
        Use absolute correlations (semTools' default).
    missing : {"listwise", "pairwise"}
        Listwise over all the constructs' items (as semTools) or pairwise.

    Returns
    -------
    DataFrame
        Symmetric construct x construct matrix with ones on the diagonal; ``attrs`` hold the mean and
        missing policy.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(6)
    >>> f = rng.normal(size=(300, 2))
    >>> x = pd.DataFrame(np.repeat(f, 3, axis=1) + rng.normal(size=(300, 6)), columns=list("abcdef"))
    >>> h = htmt(x, {"F1": ["a", "b", "c"], "F2": ["d", "e", "f"]})
    >>> bool(h.loc["F1", "F2"] < 0.2)
    True

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing discriminant
    validity in variance-based structural equation modeling. Journal of the Academy of Marketing
    Science, 43(1), 115-135.
    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 - an improved criterion for assessing
    discriminant validity in structural equation modeling. Industrial Management & Data Systems,
    121(12), 2637-2650.
    """
    if mean not in ("arithmetic", "geometric"):
        raise ValueError(f"mean must be 'arithmetic' or 'geometric'; got {mean!r}")
    scales = _resolve_scales(constructs, "constructs")
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame with the item columns named in constructs")
    cols: list[str] = []
    for name, items in scales.items():
        check_columns(data, items, role=f"construct {name!r}")
        if len(items) < 2:
            raise ValueError(f"construct {name!r} needs at least 2 items for HTMT; got {items}")
        cols.extend(c for c in items if c not in cols)
    mom = _moments(data[cols], missing, "data")
    r = mom.corr
    if absolute or mean == "geometric":
        r = np.abs(r)
    pos = {c: i for i, c in enumerate(cols)}
    idx = {name: np.array([pos[c] for c in items]) for name, items in scales.items()}

    def avg(block: np.ndarray) -> float:
        if mean == "geometric":
            return float(np.exp(np.log(block).mean()))
        return float(block.mean())

    within = {}
    for name, ii in idx.items():
        block = r[np.ix_(ii, ii)]
        within[name] = avg(block[~np.eye(len(ii), dtype=bool)])
    names = list(scales)
    out = np.ones((len(names), len(names)))
    for a, b in itertools.combinations(range(len(names)), 2):
        hetero = avg(r[np.ix_(idx[names[a]], idx[names[b]])].ravel())
        out[a, b] = out[b, a] = hetero / math.sqrt(within[names[a]] * within[names[b]])
    frame = pd.DataFrame(out, index=names, columns=names)
    frame.attrs.update({"mean": mean, "missing": missing, "n": mom.n})
    return frame
