"""Importance-performance analysis (Martilla & James 1977): which drivers matter and perform poorly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np  # noqa: F401 -- the docstring examples use it
import pandas as pd

from emstudy.stats._common import as_list
from emstudy.stats.descriptives import mean_ci
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
        One row per predictor: ``predictor``, ``importance`` (standardized weight), ``importance_pvalue``,
        ``performance`` (mean), ``performance_ci_lower``, ``performance_ci_upper``, ``n``, ``quadrant``.
    concentrate : list of str
        Predictors of high importance and low performance, most important first.
    """

    frame: pd.DataFrame
    concentrate: list[str]


def importance_performance(
    data: pd.DataFrame, *, outcome: str, predictors: Sequence[str], conf_level: float = 0.95
) -> IPAResult:
    """Importance-performance analysis (Martilla & James 1977) with regression-based importance.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        Outcome column (e.g. perceived effectiveness).
    predictors : sequence of str
        Numeric driver columns (e.g. construct scores).
    conf_level : float, default 0.95
        Level of the t-based interval of each performance mean.

    Returns
    -------
    IPAResult
        ``frame``: importance = standardized regression weight of the predictor from :func:`drivers`
        (OLS, HC3 p value: ``importance_pvalue``); performance = the predictor's mean with the interval
        ``mean -/+ t_{n-1, 1/2 + conf_level/2} sd / sqrt(n)`` (:func:`emstudy.stats.descriptives.mean_ci`);
        both computed on the same listwise-complete cases.
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
    ['predictor', 'importance', 'importance_pvalue']

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of Marketing*,
    41(1), 77-79.
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level: expected a number in (0, 1), got {conf_level!r}")
    predictors = as_list(predictors, name="predictors")
    if len(predictors) < 2:
        raise ValueError(f"predictors: expected at least 2 columns for quadrants, got {predictors}")
    res = drivers(data, outcome=outcome, predictors=predictors)
    frame = data[[outcome, *predictors]].dropna()
    perf = [mean_ci(frame[c].to_numpy(dtype=float), conf_level=conf_level) for c in predictors]
    imp = res.table.loc[predictors, "beta_std"]
    out = pd.DataFrame(
        {
            "predictor": predictors,
            "importance": imp.to_numpy(),
            "importance_pvalue": res.table.loc[predictors, "pvalue"].to_numpy(),
            "performance": [r.mean for r in perf],
            "performance_ci_lower": [r.ci_lower for r in perf],
            "performance_ci_upper": [r.ci_upper for r in perf],
            "n": len(frame),
        }
    )
    hi_i = out["importance"] >= out["importance"].mean()
    hi_p = out["performance"] >= out["performance"].mean()
    out["quadrant"] = [_QUADRANTS[(bool(a), bool(b))] for a, b in zip(hi_i, hi_p)]
    conc = out[out["quadrant"] == "concentrate here"].sort_values("importance", ascending=False)
    return IPAResult(frame=out, concentrate=conc["predictor"].tolist())
