"""Confirmatory factor analysis and measurement invariance, following lavaan's conventions.

Modules
-------
syntax
    :class:`MeasurementModel` and :func:`parse_model` (lavaan's ``=~`` syntax).
semsyntax
    :class:`SEMModel` and :func:`parse_sem` (``=~``, ``~``, ``~~``, labels, ``:=``).
semengine
    lavaan's ``sem()`` parameter table and the B matrix (private); :func:`emstudy.stats.sem.sem` uses them.
estimate
    :func:`cfa` and its result :class:`CFAResult` (input in ``_data``).
engine
    Parameter table, model-implied moments, ML discrepancy and optimizer (private).
fiml
    Full-information ML for missing values (``missing="fiml"``): patterns, EM, casewise likelihood (private).
fit
    :class:`FitMeasures`, lavaan's ``fitMeasures``.
invariance
    :func:`chisq_difference`, :func:`invariance` and :class:`InvarianceResult`.
categorical
    :func:`ordinal_moments` and :class:`OrdinalMoments`: thresholds, polychorics and NACOV of ordered items.
standardized
    :func:`improper_estimates` (Heywood cases) and :func:`std_loading_se` (standardizedSolution's SEs).
wls, wls_fit
    WLSMV/DWLS/ULSMV/ULS estimation of ordered items (private); :func:`emstudy.stats.sem.sem` with ``ordered``.
"""

from emstudy.stats.cfa.categorical import OrdinalMoments, ordinal_moments
from emstudy.stats.cfa.estimate import CFAResult, cfa
from emstudy.stats.cfa.fit import FitMeasures
from emstudy.stats.cfa.invariance import InvarianceResult, chisq_difference, invariance
from emstudy.stats.cfa.semsyntax import SEMModel, parse_sem
from emstudy.stats.cfa.standardized import ImproperEstimate, improper_estimates, std_loading_se
from emstudy.stats.cfa.syntax import MeasurementModel, parse_model

__all__ = [
    "MeasurementModel",
    "parse_model",
    "FitMeasures",
    "CFAResult",
    "cfa",
    "SEMModel",
    "parse_sem",
    "chisq_difference",
    "InvarianceResult",
    "invariance",
    "OrdinalMoments",
    "ordinal_moments",
    "ImproperEstimate",
    "improper_estimates",
    "std_loading_se",
]
