"""Checks and small helpers shared by the statistics modules (private).

One error sentence per parameter check: each message names the argument (or role) and what was expected.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits


def check_columns(data: pd.DataFrame, columns: Sequence[str], *, role: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"{role}: column(s) {missing} not found in data; available: {list(data.columns)}")


def as_list(x: str | Sequence[str], *, name: str) -> list[str]:
    if isinstance(x, str):
        return [x]
    out = list(x)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: duplicated column names in {out}")
    return out


def numeric_column(series: pd.Series, *, role: str) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
    ):
        raise ValueError(
            f"{role} column {series.name!r}: expected numeric values, got dtype {series.dtype}; "
            "pass it in `categorical` if it is a grouping variable"
        )
    return series.astype(float)


def observed_levels(series: pd.Series) -> list:
    """Levels in their natural order: categorical order if categorical, else sorted unique values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    return sorted(series.dropna().unique().tolist())


def level_label(level: object) -> str:
    """Text label of a level: integral floats (codes read next to missing values) print as integers."""
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)


def format_pvalue(p: float) -> str:
    if not np.isfinite(p):
        return ""
    if p < 0.001:
        return "< .001"
    return f"{p:.3f}".replace("0.", ".", 1)


def collinear_columns(X: np.ndarray, names: list[str]) -> list[str]:
    """Columns taking part in an exact linear dependency (non-null loadings in the null space)."""
    scale = np.sqrt((X**2).sum(axis=0))
    scale[scale == 0] = 1.0
    u, s, vt = np.linalg.svd(X / scale, full_matrices=False)
    tol = s.max() * max(X.shape) * np.finfo(float).eps * 1e3
    null = vt[s <= tol]
    if null.size == 0:
        return []
    involved = np.abs(null).max(axis=0) > 1e-8
    return [n for n, k in zip(names, involved) if k]


@contextmanager
def record_warnings(*categories: type[Warning]) -> Iterator[list[warnings.WarningMessage]]:
    """Record the warnings of the given categories (every occurrence); let every other warning through.

    The yielded list is filled when the block ends. Warnings of other categories are re-issued unchanged
    (same category, message and origin), so the caller's filters still decide what happens to them.
    """
    kept: list[warnings.WarningMessage] = []
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            for category in categories:
                warnings.simplefilter("always", category)
            yield kept
    finally:
        for w in caught:
            if issubclass(w.category, categories):
                kept.append(w)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


def fit_warning_categories() -> tuple[type[Warning], ...]:
    """The warning categories a study step records into its notes: emstudy's own (:class:`EmstudyWarning`)
    and statsmodels' (``statsmodels.tools.sm_exceptions.ModelWarning``, the base of its ConvergenceWarning,
    HessianInversionWarning, ...). statsmodels is imported here, lazily, because importing it is slow."""
    from statsmodels.tools.sm_exceptions import ModelWarning as StatsmodelsWarning

    from emstudy.errors import EmstudyWarning

    return (EmstudyWarning, StatsmodelsWarning)


@contextmanager
def single_thread_blas() -> Iterator[None]:
    """Run a block, or a function decorated with ``@single_thread_blas()``, with one BLAS thread.

    For loops of many small matrix operations: ``efa``, ``parallel_analysis``, ``omega`` and ``polychoric``
    use it, and the study's structure step around its CFA and invariance fits. On matrices of 10-50 rows a
    BLAS call is too short to share between threads, and with two BLAS threads on a two-core machine that
    runs other work (the pipeline runs two notebooks at once) the threads spin and wait. Measured on the
    synthetic study (2 cores, OpenBLAS 0.3.31, other work running; ``benchmarks/bench_sem.py``, task
    ``loops``), on one case's 48 items parallel analysis took 3.5-13.6 s with two BLAS threads and
    0.13-0.27 s with one, a 12-factor EFA 1.1 s and 0.04 s, omega 1.4 s and 0.07 s; the 3-construct
    invariance across the cases 28 s and 4.2 s, a case's ``emstudy.steps.structure.run`` 7-30 s and 3 s.

    The limit is set with ``threadpoolctl`` for every BLAS library loaded (numpy's and scipy's OpenBLAS,
    MKL, ...) and restored when the block ends, also after an exception; nested uses are harmless. Results
    do not depend on it: every result file is rounded below the differences the number of threads makes
    (``emstudy.fileio``; ``benchmarks/bench_kernels.py`` reruns the study with one thread and finds no
    changed byte). It costs about 1.5 ms per entry, so use it around a loop or a public function, not
    inside an inner loop.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield
