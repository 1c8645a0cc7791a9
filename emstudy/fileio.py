"""Writing files safely and checking raw data against its checksums.

Every output is written to a temporary file in the same folder and renamed into place, so an interrupted
run never leaves a half-written file and never removes the last good one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from emstudy.errors import EmstudyError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "write_json",
    "write_csv",
    "sha256_file",
    "write_checksums",
    "verify_checksums",
    "CHECKSUM_FILE",
]

CHECKSUM_FILE = "SHA256SUMS"


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """UTF-8 text, newline-terminated, written atomically."""
    if not text.endswith("\n"):
        text += "\n"
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj: object) -> Path:
    """JSON with sorted keys and two-space indent, so equal content gives equal bytes."""
    return atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=True))


def write_csv(path: str | Path, frame: pd.DataFrame, *, index: bool = True, float_format: str = "%.6f") -> Path:
    """CSV (UTF-8, ``\\n`` line ends, floats at six decimals) written atomically."""
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
