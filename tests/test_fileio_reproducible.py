"""Bytes that do not depend on the machine (issue 13): the writer rounds every JSON float to the precision the
computations reach, and representative steps fed data perturbed at 1e-12 relative (far more than the
difference between two BLAS kernels, about 1e-15) write the same bytes. ``benchmarks/bench_kernels.py`` runs
the whole study under other OpenBLAS kernels and one thread."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emstudy.fileio import JSON_DIGITS, rounded, write_csv, write_json
from emstudy.steps import drivers, reliability, structure
from emstudy.steps.context import load_encoded

ROOT = Path(__file__).resolve().parents[1]


def test_json_floats_are_written_at_eight_significant_digits(tmp_path) -> None:
    path = write_json(tmp_path / "x.json", {"b": [1 / 3, 12345.678901234], "a": {"p": 3.5891428178326107e-68}, "n": 7})
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "a": {"p": 3.5891428e-68},
        "b": [0.33333333, 12345.679],
        "n": 7,
    }
    assert JSON_DIGITS == 8
    got = rounded({"nan": math.nan, "inf": -math.inf, "t": (0.1 + 0.2,), "flag": True, "s": "0.30000000000000004"})
    assert math.isnan(got["nan"]) and got["inf"] == -math.inf and got["t"] == [0.3] and got["flag"] is True
    assert got["s"] == "0.30000000000000004"  # text is never touched
    assert rounded([np.bool_(True), np.int64(3), np.float64(2 / 3)]) == [True, 3, 0.66666667]
    assert type(rounded(np.bool_(False))) is bool


def _write_steps(encoded, out: Path) -> dict[str, bytes]:
    """The results notebooks 02-04 write for ``encoded``, by file name."""
    written = reliability.write_results(reliability.run(encoded), out)
    written += structure.write_results(structure.run(encoded, seed=20190719), out)
    written += drivers.write_results(drivers.run(encoded), out)
    return {p.name: p.read_bytes() for p in written}


@pytest.mark.parametrize("case_id", ["yima"])
def test_steps_write_the_same_bytes_for_data_perturbed_at_1e_12(case_id, tmp_path) -> None:
    encoded = load_encoded(ROOT, case_id)
    rng = np.random.default_rng(13)
    noise = 1 + 1e-12 * rng.uniform(-1, 1, size=encoded.items.shape)
    perturbed = dataclasses.replace(encoded, items=encoded.items * noise)
    assert not perturbed.items.equals(encoded.items)
    first = _write_steps(encoded, tmp_path / "a")
    second = _write_steps(perturbed, tmp_path / "b")
    assert set(first) == set(second) and len(first) >= 15
    differ = [name for name in first if first[name] != second[name]]
    assert differ == [], differ


@pytest.mark.parametrize("tie", [3.4609375, 257 / 256, -0.0000125, 12.5])
def test_exact_ties_are_written_the_same_way_whatever_the_noise(tie, tmp_path) -> None:
    # 3.4609375 is the mean of 256 answers (chaoyang's item statistics wrote 3.460938 or 3.460937 depending on
    # 1e-12 noise); 257/256 = 1.00390625 is a tie at JSON_DIGITS; noise at 1e-15..1e-13 relative must not pick
    # the side of the rounding
    values = [tie * (1 + e) for e in (0.0, 1e-15, -1e-15, 1e-13, -1e-13)]
    frame = pd.DataFrame({"x": values, "label": ["a"] * len(values)})
    text = write_csv(tmp_path / "t.csv", frame, index=False).read_text(encoding="utf-8").splitlines()[1:]
    assert len(set(text)) == 1, text
    assert len({json.dumps(rounded(v)) for v in values}) == 1
    assert rounded(tie) == float(f"{tie:.{JSON_DIGITS}g}")  # the exact value itself is rounded as before
