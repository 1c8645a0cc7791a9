"""Writing files safely and checking raw data against its checksums.

Every output is written to a temporary file in the same folder and renamed into place, so an interrupted
run never leaves a half-written file and never removes the last good one.

Numbers are written at the precision their computation reaches, so that the bytes do not depend on the CPU,
the BLAS kernel or the thread count (issue 13). One rule per file kind, decided here:

* JSON (:func:`write_json`): every float at :data:`JSON_DIGITS` (8) significant digits. Closed-form statistics
  move by about 1e-15 relative between BLAS kernels and iterative estimates (CFA, invariance, the ordinal
  model: solved to a gradient at rounding level) by at most about 2e-11 (measured with
  ``benchmarks/bench_kernels.py``), so the 8th digit is settled, and every comparison with R in the tests is
  looser than 1e-8.
* CSV (:func:`write_csv`): floats at six decimals unless a step asks otherwise (``%g`` for the encoded
  answers, which are whole numbers).
* Ties: a statistic with a short exact value (a mean of 256 answers such as 3.4609375, or 257/256) sits exactly
  half-way between two written values, and noise at 1e-15 would pick the side. Before either rounding, every
  float is first snapped to :data:`SNAP_DIGITS` (11) significant digits, which puts such a value back on its
  exact decimal (its noise is far below 5e-12 relative), so the tie is broken the same way (to even) everywhere.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.errors import EmstudyError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "write_json",
    "rounded",
    "JSON_DIGITS",
    "SNAP_DIGITS",
    "write_csv",
    "sha256_file",
    "write_checksums",
    "verify_checksums",
    "CHECKSUM_FILE",
    "TEMPORARY_SUFFIXES",
    "is_temporary",
    "remove_temporaries",
    "write_error",
]

CHECKSUM_FILE = "SHA256SUMS"

TEMPORARY_SUFFIXES: tuple[str, ...] = (".tmp", ".tmp.ipynb")
"""Endings of the hidden temporary files (``.<name>.<random>.tmp``, papermill's ``.<nb>.<random>.tmp.ipynb``)
that outputs are written through; a run that was killed may leave them, the next run removes them."""

_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


def write_error(path: str | Path, exc: OSError) -> EmstudyError:
    """A one-line :class:`EmstudyError` for a failed write: the file, the system's reason and what to do.

    Examples
    --------
    >>> str(write_error("reports/x.md", OSError(28, "No space left on device")))
    'reports/x.md: cannot write (No space left on device); free space on that disk and run again'
    """
    reason = exc.strerror or type(exc).__name__
    if exc.errno in _NO_SPACE:
        todo = "free space on that disk and run again"
    elif exc.errno in _NOT_WRITABLE:
        todo = "make the folder writable (or work on a writable copy of the project) and run again"
    else:
        todo = "check that the folder exists and can be written, then run again"
    return EmstudyError(f"{path}: cannot write ({reason}); {todo}")


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    Raises
    ------
    EmstudyError
        When the file cannot be written (disk full, read-only folder, ...), naming it; the previous file
        is kept and no temporary file is left.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIXES[0])
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise
    return path


def is_temporary(path: str | Path) -> bool:
    """True for a hidden temporary file an atomic write goes through (see :data:`TEMPORARY_SUFFIXES`).

    Examples
    --------
    >>> is_temporary("analysis/yima/.01_data_quality.k2j4.tmp.ipynb"), is_temporary("reports/yima.md")
    (True, False)
    """
    name = Path(path).name
    return name.startswith(".") and name.endswith(TEMPORARY_SUFFIXES)


def remove_temporaries(*folders: str | Path) -> list[Path]:
    """Remove the temporary files (:func:`is_temporary`) a killed run left under ``folders``; returns them."""
    removed = []
    for folder in folders:
        for path in sorted(Path(folder).rglob(".*")) if Path(folder).is_dir() else []:
            if path.is_file() and is_temporary(path):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def atomic_write_text(path: str | Path, text: str) -> Path:
    """UTF-8 text, newline-terminated, written atomically."""
    if not text.endswith("\n"):
        text += "\n"
    return atomic_write_bytes(path, text.encode("utf-8"))


#: Significant digits of every float in a results JSON (see the module notes).
JSON_DIGITS = 8

#: Significant digits every float is snapped to before it is rounded for a file (see "Ties" in the module notes).
SNAP_DIGITS = 11


def _snap(value: float) -> float:
    """``value`` at :data:`SNAP_DIGITS` significant digits (NaN and infinities unchanged)."""
    return float(f"{value:.{SNAP_DIGITS}g}") if value == value and abs(value) != float("inf") else value


def rounded(obj: object, digits: int = JSON_DIGITS) -> object:
    """``obj`` with every float (in dicts, lists and tuples, at any depth) rounded to ``digits`` significant
    digits; NaN and infinities unchanged; numpy scalars become Python numbers.

    Examples
    --------
    >>> rounded({"a": [0.1 + 0.2, 2 / 3, 7], "b": float("nan")})
    {'a': [0.3, 0.66666667, 7], 'b': nan}
    """
    if isinstance(obj, np.generic):  # numpy scalars (a bool from a comparison, an int64 count) as Python's
        obj = obj.item()
    if isinstance(obj, float):
        return float(f"{_snap(obj):.{digits}g}") if obj == obj and abs(obj) != float("inf") else float(obj)
    if isinstance(obj, Mapping):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v, digits) for v in obj]
    return obj


def write_json(path: str | Path, obj: object) -> Path:
    """JSON with sorted keys, two-space indent and floats at :data:`JSON_DIGITS` significant digits, so equal
    content gives equal bytes on any machine."""
    text = json.dumps(rounded(obj), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=True)
    return atomic_write_text(path, text)


def write_csv(path: str | Path, frame: pd.DataFrame, *, index: bool = True, float_format: str = "%.6f") -> Path:
    """CSV (UTF-8, ``\\n`` line ends, floats at six decimals, snapped first: see "Ties" in the module notes)
    written atomically."""
    floats = [j for j, dtype in enumerate(frame.dtypes) if pd.api.types.is_float_dtype(dtype)]
    if floats:
        frame = frame.copy()
        for j in floats:
            frame.isetitem(j, frame.iloc[:, j].map(_snap))
    text = frame.to_csv(index=index, lineterminator="\n", float_format=float_format)
    return atomic_write_text(path, text)


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(folder: str | Path, digests: Mapping[str, str]) -> Path:
    """Write ``folder/SHA256SUMS`` (file name -> sha256) in the format of ``sha256sum``, sorted by name."""
    lines = [f"{digests[name]}  {name}" for name in sorted(digests)]
    return atomic_write_text(Path(folder) / CHECKSUM_FILE, "\n".join(lines))


def read_checksums(folder: str | Path) -> dict[str, str]:
    path = Path(folder) / CHECKSUM_FILE
    if not path.is_file():
        raise EmstudyError(f"{path}: checksum file not found; run `emstudy simulate` or `emstudy checksum` first")
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise EmstudyError(f"{path}: line {number}: expected '<sha256>  <file name>', got {line!r}")
        out[name] = digest
    return out


def verify_checksums(folder: str | Path, names: Iterable[str] | None = None) -> list[str]:
    """Check raw files against ``SHA256SUMS``; raise EmstudyError naming the first file that differs.

    Returns the names checked.
    """
    folder = Path(folder)
    sums = read_checksums(folder)
    chosen = list(sums) if names is None else list(names)
    for name in chosen:
        path = folder / name
        if name not in sums:
            raise EmstudyError(f"{path}: not listed in {folder / CHECKSUM_FILE}; add it with `emstudy checksum`")
        if not path.is_file():
            raise EmstudyError(f"{path}: listed in {CHECKSUM_FILE} but missing")
        if sha256_file(path) != sums[name]:
            raise EmstudyError(
                f"{path}: contents changed since its checksum was recorded in {CHECKSUM_FILE}; "
                "raw data must not be edited (restore it, e.g. with `git checkout -- <file>`)"
            )
    return chosen
