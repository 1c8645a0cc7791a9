"""Confirmatory factor analysis and measurement invariance, following lavaan's conventions."""

from emstudy.stats.cfa.estimate import (
    CFAResult,
    FitMeasures,
    InvarianceResult,
    MeasurementModel,
    cfa,
    chisq_difference,
    invariance,
    parse_model,
)

__all__ = [
    "MeasurementModel",
    "parse_model",
    "FitMeasures",
    "CFAResult",
    "cfa",
    "chisq_difference",
    "InvarianceResult",
    "invariance",
]
