"""Importance-performance analysis (Martilla & James 1977): which drivers matter and perform poorly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from emstudy.stats._common import as_list
from emstudy.stats.regression import drivers

__all__ = ["IPAResult", "importance_performance"]


_QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}


class IPAResult(NamedTuple):
    """Result of :func:`importance_performance`: unpack as ``frame, concentrate = ...``.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per predictor: ``predictor``, ``importance`` (standardized weight), ``importance_p``,
        ``performance`` (mean), ``performance_ci_lower``, ``performance_ci_upper``, ``n``, ``quadrant``.
    concentrate : list of str
        Predictors of high importance and low performance, most important first.
    """

    frame: pd.DataFrame
    concentrate: list[str]


def importance_performance(
    data: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    ci: float = 0.95,
) -> IPAResult:
    """Importance-performance analysis (Martilla & James 1977) with regression-based importance.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        Outcome column (e.g. perceived effectiveness).
    predictors : sequence of str
        Numeric driver columns (e.g. construct scores).
    ci : float, default 0.95
        Level of the t-based interval of each performance mean.

    Returns
    -------
    IPAResult
        ``frame``: importance = standardized regression weight of the predictor from :func:`drivers`
        (OLS, HC3 p value); performance = the predictor's mean with the interval
        ``mean -/+ t_{n-1, (1+ci)/2} sd / sqrt(n)``; both computed on the same listwise-complete cases.
        Quadrants split at the mean importance and the mean performance across predictors
        (``>=`` counts as high): "concentrate here" (high importance, low performance), "keep up the good
        work", "low priority", "possible overkill". ``concentrate``: the "concentrate here" predictors,
        most important first.

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> df = pd.DataFrame(rng.normal(3, 1, size=(200, 3)), columns=["a", "b", "c"])
    >>> df["y"] = 0.6 * df.a + 0.1 * df.b + rng.normal(size=200)
    >>> frame, concentrate = importance_performance(df, outcome="y", predictors=["a", "b", "c"])
    >>> list(frame.columns[:3])
    ['predictor', 'importance', 'importance_p']

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of Marketing*,
    41(1), 77-79.
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci: expected a number in (0, 1), got {ci!r}")
    predictors = as_list(predictors, name="predictors")
    if len(predictors) < 2:
        raise ValueError(f"predictors: expected at least 2 columns for quadrants, got {predictors}")
    res = drivers(data, outcome=outcome, predictors=predictors)
    frame = data[[outcome, *predictors]].dropna()
    n = len(frame)
    crit = stats.t.ppf((1 + ci) / 2, n - 1)
    perf = frame[predictors].astype(float).mean()
    half = crit * frame[predictors].astype(float).std(ddof=1) / np.sqrt(n)
    imp = res.table.loc[predictors, "beta_std"]
    out = pd.DataFrame(
        {
            "predictor": predictors,
            "importance": imp.to_numpy(),
            "importance_p": res.table.loc[predictors, "p"].to_numpy(),
            "performance": perf.to_numpy(),
            "performance_ci_lower": (perf - half).to_numpy(),
            "performance_ci_upper": (perf + half).to_numpy(),
            "n": n,
        }
    )
    hi_i = out["importance"] >= out["importance"].mean()
    hi_p = out["performance"] >= out["performance"].mean()
    out["quadrant"] = [_QUADRANTS[(bool(a), bool(b))] for a, b in zip(hi_i, hi_p)]
    conc = out[out["quadrant"] == "concentrate here"].sort_values("importance", ascending=False)
    return IPAResult(frame=out, concentrate=conc["predictor"].tolist())
