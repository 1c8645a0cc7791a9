"""Per-value work on big columns: fold a column to its distinct cells, compute once per cell, spread back."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["distinct_cells"]


def distinct_cells(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells of a column as ``(codes, distinct)`` with ``values[i] is distinct[codes[i]]`` in meaning.

    A per-value computation (normalising a label, parsing a duration) is then done once per distinct value
    and spread back with ``result[codes]``: a million-row column of a few labels costs a few calls. Only
    columns of strings (and missing values) are folded; a column mixing types (``1``, ``1.0``, ``True`` compare
    equal in Python but print differently) keeps one entry per cell.

    Examples
    --------
    >>> codes, distinct = distinct_cells(pd.Series(["同意", "一般", "同意"] * 30))
    >>> codes[:4].tolist(), distinct.tolist()
    ([0, 1, 0, 0], ['同意', '一般'])
    """
    arr = np.asarray(values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values, dtype=object)
    if len(arr) > 64 and pd.api.types.infer_dtype(arr, skipna=True) in ("string", "empty"):
        codes, distinct = pd.factorize(arr, use_na_sentinel=False)
        return np.asarray(codes, dtype=np.intp), np.asarray(distinct, dtype=object)
    return np.arange(len(arr), dtype=np.intp), arr
