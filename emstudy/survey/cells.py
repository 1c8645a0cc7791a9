"""Per-value work on big columns: fold a column to its distinct cells, compute once per cell, spread back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

__all__ = ["CHUNK_ROWS", "compact_chunks", "compact_column", "distinct_cells"]

_MIN_FOLD = 64
CHUNK_ROWS = 100_000
_MIN_PART = 1_000


def _folds(distinct: np.ndarray) -> bool:
    """Whether cells may be folded by equality: strings (and missing values) only, since ``1``, ``1.0`` and
    ``True`` compare equal in Python but print differently."""
    return pd.api.types.infer_dtype(distinct, skipna=True) in ("string", "empty")


def distinct_cells(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells of a column as ``(codes, distinct)`` with ``values[i] is distinct[codes[i]]`` in meaning.

    A per-value computation (normalising a label, parsing a duration) is then done once per distinct value
    and spread back with ``result[codes]``: a million-row column of a few labels costs a few calls. Only
    columns of strings (and missing values) are folded; a column mixing types (``1``, ``1.0``, ``True`` compare
    equal in Python but print differently) keeps one entry per cell. A categorical column (see
    :func:`compact_column`) is folded by its own codes without expanding its cells.

    Examples
    --------
    >>> codes, distinct = distinct_cells(pd.Series(["同意", "一般", "同意"] * 30))
    >>> codes[:4].tolist(), distinct.tolist()
    ([0, 1, 0, 0], ['同意', '一般'])
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype) and len(values) > _MIN_FOLD:
        categories = np.asarray(values.cat.categories.to_numpy(dtype=object), dtype=object)
        if _folds(categories):
            codes = np.asarray(values.cat.codes.to_numpy(), dtype=np.intp)
            if (codes < 0).any():  # missing cells: one more distinct value, as the expanded column holds it
                codes = np.where(codes < 0, len(categories), codes)
                categories = np.append(categories, np.array([np.nan], dtype=object))
            return codes, categories
    arr = np.asarray(values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values, dtype=object)
    if len(arr) > _MIN_FOLD and _folds(arr):
        codes, distinct = pd.factorize(arr, use_na_sentinel=False)
        return np.asarray(codes, dtype=np.intp), np.asarray(distinct, dtype=object)
    return np.arange(len(arr), dtype=np.intp), arr


def compact_column(values: np.ndarray, *, index: pd.Index | None = None, force: bool = False) -> pd.Series:
    """An object column as a categorical Series when it is long, holds only strings and repeats them (a few
    labels per column in a survey export); otherwise as it is. The cells compare, print and expand
    (``to_numpy(dtype=object)``) exactly as the object column does, at one byte per cell instead of eight.
    ``force`` compacts any column of strings, however short or varied.
    """
    arr = np.asarray(values, dtype=object)
    if force or len(arr) > _MIN_FOLD:
        codes, distinct = pd.factorize(arr, use_na_sentinel=True)
        if (force or len(distinct) <= len(arr) // 4) and _folds(np.asarray(distinct, dtype=object)):
            categories = pd.Index(np.asarray(distinct, dtype=object), dtype=object)
            return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index, copy=False)
    return pd.Series(arr, index=index, dtype=object, copy=False)


def compact_chunks(chunks: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The chunks of a table read piece by piece (``pd.read_csv(..., chunksize=CHUNK_ROWS)``) as one table,
    each column compacted chunk by chunk with :func:`compact_column` and its categoricals merged; a column
    that does not compact in every chunk is an object column."""
    pieces: dict[Any, list[pd.Series]] = {}
    for chunk in chunks:
        for name in chunk.columns:
            pieces.setdefault(name, []).append(compact_column(chunk[name].to_numpy(dtype=object)))
    columns = {}
    for name, parts in pieces.items():
        # a short last chunk is too short to compact on its own: it joins the categorical of the others
        parts = [
            part
            if isinstance(part.dtype, pd.CategoricalDtype) or len(part) > _MIN_PART
            else compact_column(part.to_numpy(dtype=object), force=True)
            for part in parts
        ]
        if all(isinstance(part.dtype, pd.CategoricalDtype) for part in parts):
            columns[name] = pd.Series(union_categoricals([part.array for part in parts]), copy=False)
        else:
            columns[name] = pd.Series(np.concatenate([part.to_numpy(dtype=object) for part in parts]), dtype=object)
    return pd.DataFrame(columns)
