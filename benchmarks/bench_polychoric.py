"""Speed of the polychoric correlation matrix (emstudy.stats.correlation.polychoric) against R psych::polychoric.

Run from the repository root:  PYTHONPATH=. python benchmarks/bench_polychoric.py

The target of issue 15 (point 4, first half): the polychoric matrix of 48 five-point items at n = 300 in
under 2 s on this machine. Times (best of several repeats, after one warm-up call, data in memory, CSV
reading excluded on both sides):

* ``complete``: 300 respondents x 48 five-point items, 12 correlated constructs of 4 items (seeded);
* ``missing``: the same with 2.5% of the answers missing at random (pairwise polychorics, as the study);
* ``study``: the 48 items of one synthetic case as notebook 01 wrote them
  (``analysis/wencheng/results/encoded.csv``, about 300 kept respondents);
* the ordinal columns of the construct table: ``reliability_table(..., ordinal=True)`` against the plain
  table, on the study's 12 constructs;
* when ``Rscript`` is available: ``psych::polychoric`` on the same three data sets
  (``benchmarks/bench_polychoric.R``), the ratio R / Python, and the largest difference between the two
  matrices (psych stops its one-dimensional search at R's default ``optimize`` tolerance, so about 3e-5).

The second half of the target (issue 15, point 4): the polychoric matrix of 48 items *and its asymptotic
covariance* at n = 300 in under 2 s: ``emstudy.stats.cfa.ordinal_moments`` (lavaan's thresholds, two-step
polychorics and NACOV, 1128 + 192 statistics) on ``complete`` and on the complete rows of ``study``, and,
when ``Rscript`` is available, lavaan's sample-statistics stage on the same rows
(``benchmarks/bench_polychoric_lavaan.R``: ``cfa(..., ordered = TRUE, estimator = "WLSMV", do.fit = FALSE)``),
the ratio lavaan / Python and the largest differences of ``wls.obs`` and of ``gamma`` (relative to its
largest element). ``--no-psych`` skips the psych runs (about 4 minutes).

Writes ``benchmarks/results_polychoric.json``.
"""

from __future__ import annotations

import json
import os
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

from emstudy.errors import DataWarning
from emstudy.stats import reliability as rl
from emstudy.stats.cfa import ordinal_moments
from emstudy.stats.correlation import polychoric

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "results_polychoric.json"
N, N_CONSTRUCTS, PER = 300, 12, 4
SEED = 20261129
REPEATS = 5
R_REPEATS = 3
TARGET_SECONDS = 2.0
CONSTRUCTS = {
    "plan": "PLN", "organisation": "ORG", "resources": "RES", "teams": "TEA", "training": "TRN",
    "rules": "RUL", "warning": "WRN", "response": "RSP", "information": "INF", "participation": "SOC",
    "recovery": "REC", "effectiveness": "EFF",
}  # fmt: skip


def make_data(seed: int = SEED) -> pd.DataFrame:
    """Twelve correlated constructs, four items each (loading 0.55-0.85), cut into five categories."""
    rng = np.random.default_rng(seed)
    corr = np.full((N_CONSTRUCTS, N_CONSTRUCTS), 0.4)
    np.fill_diagonal(corr, 1.0)
    latent = rng.multivariate_normal(np.zeros(N_CONSTRUCTS), corr, size=N)
    cuts = np.array([-1.6, -0.6, 0.3, 1.2])
    cols = {}
    for s in range(N_CONSTRUCTS):
        for i in range(PER):
            lam = rng.uniform(0.55, 0.85)
            y = lam * latent[:, s] + np.sqrt(1 - lam**2) * rng.normal(size=N)
            cols[f"s{s + 1:02d}_q{i + 1}"] = np.searchsorted(cuts, y) + 1.0
    return pd.DataFrame(cols)


def best_of(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run_lavaan(data: dict[str, pd.DataFrame]) -> dict | None:
    """lavaan's sample statistics of ordered items on the same complete rows, timed in R."""
    if shutil.which("Rscript") is None:
        return None
    script = Path(__file__).with_name("bench_polychoric_lavaan.R")
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in data.items():
            frame.to_csv(Path(tmp) / f"{name}.csv", index=False)
        proc = subprocess.run(["Rscript", str(script), tmp, str(R_REPEATS)], capture_output=True, text=True, check=True)
        out = json.loads(proc.stdout)
        out["wls"] = {name: pd.read_csv(Path(tmp) / f"{name}.wls.csv").to_numpy().ravel() for name in data}
        out["gamma"] = {name: pd.read_csv(Path(tmp) / f"{name}.gamma.csv").to_numpy() for name in data}
    return out


def bench_moments(data: dict[str, pd.DataFrame]) -> dict:
    """Time ordinal_moments (thresholds, polychorics and NACOV) and compare it with lavaan's."""
    seconds, ours = {}, {}
    for name, frame in data.items():
        seconds[name] = best_of(lambda f=frame: ordinal_moments(f), REPEATS)
        ours[name] = ordinal_moments(frame)
        print(
            f"ordinal_moments {name:9s} {frame.shape[0]} x {frame.shape[1]} "
            f"({ours[name].wls_obs.size} statistics and their NACOV): {seconds[name]:.3f} s"
        )
    result: dict = {
        "n_respondents": {name: int(frame.shape[0]) for name, frame in data.items()},
        "n_statistics": {name: int(m.wls_obs.size) for name, m in ours.items()},
        "seconds": seconds,
        "meets_target": all(t < TARGET_SECONDS for t in seconds.values()),
    }
    r = run_lavaan(data)
    if r is not None:
        result["lavaan"] = {
            "lavaan_version": r["lavaan_version"],
            "seconds": {k: min(v) for k, v in r["seconds"].items()},
        }
        result["ratio_lavaan_over_python"] = {name: min(r["seconds"][name]) / seconds[name] for name in data}
        result["max_abs_difference_wls_obs"] = {
            name: float(np.max(np.abs(ours[name].wls_obs - r["wls"][name]))) for name in data
        }
        result["max_difference_gamma_relative"] = {
            name: float(np.max(np.abs(ours[name].nacov - r["gamma"][name])) / np.max(np.abs(r["gamma"][name])))
            for name in data
        }
        for name in data:
            print(
                f"lavaan sample statistics {name:9s}: {min(r['seconds'][name]):.2f} s "
                f"(lavaan / Python = {result['ratio_lavaan_over_python'][name]:.0f}), largest difference "
                f"wls.obs {result['max_abs_difference_wls_obs'][name]:.1e}, "
                f"gamma {result['max_difference_gamma_relative'][name]:.1e} of its largest element"
            )
    return result


def run_r(data: dict[str, pd.DataFrame]) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in data.items():
            frame.to_csv(Path(tmp) / f"{name}.csv", index=False, na_rep="NA")
        proc = subprocess.run(
            ["Rscript", str(Path(__file__).with_suffix(".R")), tmp, str(R_REPEATS)],
            capture_output=True,
            text=True,
            check=True,
        )
        out = json.loads(proc.stdout)
        out["rho"] = {name: pd.read_csv(Path(tmp) / f"{name}.rho.csv").to_numpy() for name in data}
    return out


def main() -> int:
    complete = make_data()
    rng = np.random.default_rng(SEED + 1)
    missing = complete.mask(rng.uniform(size=complete.shape) < 0.025)
    encoded = pd.read_csv(ROOT / "analysis" / "wencheng" / "results" / "encoded.csv")
    items = [f"{p}{i}" for p in CONSTRUCTS.values() for i in range(1, PER + 1)]
    data = {"complete": complete, "missing": missing, "study": encoded[items]}
    scales = {c: [f"{p}{i}" for i in range(1, PER + 1)] for c, p in CONSTRUCTS.items()}

    seconds: dict[str, float] = {}
    ours: dict[str, np.ndarray] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        for name, frame in data.items():
            seconds[f"polychoric_{name}"] = best_of(lambda f=frame: polychoric(f), REPEATS)
            ours[name] = polychoric(frame).to_numpy()
            print(f"polychoric {name:9s} {frame.shape[0]} x {frame.shape[1]}: {seconds[f'polychoric_{name}']:.3f} s")
        seconds["reliability_table_plain"] = best_of(lambda: rl.reliability_table(encoded, scales), REPEATS)
        seconds["reliability_table_ordinal"] = best_of(
            lambda: rl.reliability_table(encoded, scales, ordinal=True), REPEATS
        )
    print(
        f"reliability_table, 12 constructs: {seconds['reliability_table_plain']:.3f} s, "
        f"with ordinal alpha and omega {seconds['reliability_table_ordinal']:.3f} s"
    )
    result: dict = {
        "n_items": N_CONSTRUCTS * PER,
        "n_respondents": {name: int(frame.shape[0]) for name, frame in data.items()},
        "seed": SEED,
        "repeats": REPEATS,
        "seconds": seconds,
        "target_seconds": TARGET_SECONDS,
        "meets_target": all(seconds[f"polychoric_{name}"] < TARGET_SECONDS for name in data),
        "cores": os.cpu_count(),
    }
    # ordered-item sample statistics: lavaan drops incomplete rows (listwise)
    result["ordinal_moments"] = bench_moments({"complete": complete, "study": encoded[items].dropna()})
    result["meets_target"] = result["meets_target"] and result["ordinal_moments"]["meets_target"]
    r = None if "--no-psych" in sys.argv[1:] else run_r(data)
    if r is not None:
        result["r"] = {
            "psych_version": r["psych_version"],
            "mc_cores": r["mc_cores"],
            "seconds": {name: min(t) for name, t in r["seconds"].items()},
        }
        result["ratio_r_over_python"] = {name: min(r["seconds"][name]) / seconds[f"polychoric_{name}"] for name in data}
        result["max_abs_difference_to_psych"] = {
            name: float(np.max(np.abs(ours[name] - r["rho"][name]))) for name in data
        }
        for name in data:
            print(
                f"psych::polychoric {name:9s}: {min(r['seconds'][name]):.2f} s "
                f"(R / Python = {result['ratio_r_over_python'][name]:.0f}), "
                f"largest difference {result['max_abs_difference_to_psych'][name]:.1e}"
            )
    result["platform"] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "machine": platform.machine(),
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"target {TARGET_SECONDS} s: {'met' if result['meets_target'] else 'NOT met'}; wrote {OUT.name}")
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
