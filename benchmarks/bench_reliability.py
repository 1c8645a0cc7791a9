"""Speed of emstudy.stats.reliability and emstudy.stats.factorability on a large synthetic survey, against numpy.cov and R psych.

Run from the repository root:  PYTHONPATH=. python benchmarks/bench_reliability.py

Generates 100,000 respondents x 44 five-point Likert items (11 scales x 4 items, seeded), then times
(best of several repeats, data already in memory, CSV reading excluded on both sides):

* ``reliability_table`` for the 11 scales (alpha + Feldt CI, one-factor omega total, mean r, KMO,
  weakest item);
* the same workload R is asked to do, in Python: ``cronbach_alpha`` + ``item_statistics`` per scale,
  ``kmo`` and ``bartlett_sphericity`` on the 44 items;
* one ``numpy.cov`` pass over the 100,000 x 44 float matrix;
* when ``Rscript`` is available: ``psych::alpha`` on each scale + ``psych::KMO`` + ``psych::cortest.bartlett``
  on the 44 items, on the same data (read from the same CSV).

Writes ``benchmarks/results_reliability.json``. Targets: >= 10x faster than R, within 3x of numpy.cov.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.stats import factorability as fa
from emstudy.stats import reliability as rl

N_RESPONDENTS = 100_000
N_SCALES = 11
ITEMS_PER_SCALE = 4
SEED = 20240611
REPEATS = 7
OUT = Path(__file__).resolve().parent / "results_reliability.json"


def make_data(seed: int = SEED) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Correlated latent constructs, items = loading * latent + noise, cut into 1..5."""
    rng = np.random.default_rng(seed)
    corr = np.full((N_SCALES, N_SCALES), 0.35)
    np.fill_diagonal(corr, 1.0)
    latent = rng.multivariate_normal(np.zeros(N_SCALES), corr, size=N_RESPONDENTS)
    columns: dict[str, np.ndarray] = {}
    scales: dict[str, list[str]] = {}
    cuts = np.array([-1.5, -0.5, 0.5, 1.5])
    for s in range(N_SCALES):
        names = []
        for i in range(ITEMS_PER_SCALE):
            loading = rng.uniform(0.55, 0.85)
            y = loading * latent[:, s] + np.sqrt(1 - loading**2) * rng.normal(size=N_RESPONDENTS)
            name = f"s{s + 1:02d}_q{i + 1}"
            columns[name] = (np.searchsorted(cuts, y) + 1).astype(np.int64)
            names.append(name)
        scales[f"scale{s + 1:02d}"] = names
    return pd.DataFrame(columns), scales


def best_time(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(psych))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
scales <- split(names(d), sub("_q[0-9]+$", "", names(d)))
run <- function() {
  for (s in scales) a <- psych::alpha(d[, s], check.keys = FALSE)
  k <- psych::KMO(d)
  b <- psych::cortest.bartlett(cor(d), n = nrow(d))
}
run()  # warm-up
times <- sapply(1:3, function(i) system.time(run())[["elapsed"]])
cat(min(times), "\n")
"""


def time_r(csv: Path) -> float | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_SCRIPT)
        script = fh.name
    out = subprocess.run([rscript, script, str(csv)], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main() -> int:
    data, scales = make_data()
    x = data.to_numpy(dtype=float)
    all_items = list(data.columns)

    def table() -> pd.DataFrame:
        return rl.reliability_table(data, scales)

    def r_workload() -> None:
        for items in scales.values():
            rl.cronbach_alpha(data[items])
            rl.item_statistics(data[items])
        fa.kmo(data[all_items])
        fa.bartlett_sphericity(data[all_items])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table()  # warm-up
        t_table = best_time(table)
        t_r_workload = best_time(r_workload)
    t_cov = best_time(lambda: np.cov(x, rowvar=False))

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "likert.csv"
        data.to_csv(csv, index=False)
        t_r = time_r(csv)

    result = {
        "n_respondents": N_RESPONDENTS,
        "n_items": len(all_items),
        "n_scales": N_SCALES,
        "seed": SEED,
        "repeats": REPEATS,
        "seconds": {
            "reliability_table": t_table,
            "python_same_workload_as_r": t_r_workload,
            "numpy_cov_one_pass": t_cov,
            "r_psych_alpha_each_scale_kmo_bartlett": t_r,
        },
        "ratios": {
            "reliability_table_over_numpy_cov": t_table / t_cov,
            "r_over_reliability_table": (t_r / t_table) if t_r else None,
            "r_over_python_same_workload": (t_r / t_r_workload) if t_r else None,
        },
        "targets": {"faster_than_r_at_least": 10, "over_numpy_cov_at_most": 3},
        "platform": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "machine": platform.machine(),
        },
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
