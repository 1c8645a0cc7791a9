"""Adjusting p values for multiple comparisons (defined once here and used by every step)."""

from __future__ import annotations

import numpy as np

__all__ = ["holm"]


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's (1979) step-down adjustment, as R ``p.adjust(method = "holm")``."""
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out
