"""Speed of emstudy's WLSMV fit of ordered items side by side with lavaan (issue 15, point 4).

Run from the repository root:  python benchmarks/bench_wlsmv.py [--case ID] [--repeats N] [--r-repeats N]

Target: the study's 12-construct, 48-item CFA (``emstudy.steps.structure.core_model_syntax``) of one case by
WLSMV, ``sem(model, data, ordered=True, estimator="WLSMV")``, no slower than lavaan's
``cfa(model, data, ordered = TRUE, estimator = "WLSMV")`` on the same data (ratio python/R <= 1). The data are
the case's ``analysis/<case>/results/encoded.csv`` (synthetic), complete rows only on both sides (lavaan takes
an item's categories from all rows and refuses a category left empty by listwise deletion). Each side is timed
with the data in memory (reading excluded); the Python time includes the sample statistics
(``ordinal_moments``: thresholds, polychoric correlations, their asymptotic covariance), as lavaan's does.
Python runs with the BLAS as installed (the fit limits itself to one BLAS thread); lavaan through
``Rscript benchmarks/bench_wlsmv.R`` with the BLAS R is linked to (recorded as ``r_blas``: Debian's R has the
reference BLAS unless libopenblas0 is installed). Both sides report the chi-squares, so
the ratio compares the same model. Writes ``benchmarks/results_wlsmv.json`` and prints python/R.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "results_wlsmv.json"
R_SCRIPT = Path(__file__).resolve().parent / "bench_wlsmv.R"


def _data(case: str):
    from emstudy.steps.context import load_encoded
    from emstudy.steps.structure import core_model_syntax

    enc = load_encoded(ROOT, case, interactive=False)
    model = core_model_syntax(enc.codebook)
    cols = [c.strip() for line in model.splitlines() for c in line.split("=~")[1].split("+")]
    return model, enc.items[cols].astype(float).dropna()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default="wencheng")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--r-repeats", type=int, default=1)
    args = ap.parse_args(argv)
    from emstudy.stats.sem import sem

    model, data = _data(args.case)
    seconds = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sem(model, data, ordered=True, estimator="WLSMV")
        seconds.append(time.perf_counter() - t0)
    py = {"seconds": seconds, "chisq": fit.fit.chisq, "chisq_scaled": fit.fit.chisq_scaled}
    with tempfile.TemporaryDirectory() as tmp:
        csv, mod = Path(tmp) / "data.csv", Path(tmp) / "model.txt"
        data.to_csv(csv, index=False)
        mod.write_text(model + "\n")
        run = subprocess.run(
            ["Rscript", str(R_SCRIPT), str(csv), str(mod), str(args.r_repeats)], capture_output=True, text=True
        )
    if run.returncode != 0:
        print(run.stderr, file=sys.stderr)
        return 1
    r = json.loads(run.stdout)
    same = abs(r["chisq"] - py["chisq"]) <= 1e-4 * r["chisq"]
    ratio = statistics.median(seconds) / statistics.median(r["seconds"])
    out = {
        "measured_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "python": platform.python_version(),
        },
        "task": f"12-construct, 48-item WLSMV CFA of case {args.case!r} (synthetic), n = {len(data)} complete rows",
        "python": py,
        "r": r,
        "same_model": same,
        "ratio_python_over_r": ratio,
    }
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    print(
        f"python {statistics.median(seconds):.3f} s, lavaan {statistics.median(r['seconds']):.3f} s, "
        f"ratio python/R {ratio:.3f}; same chi-square: {same} ({py['chisq']:.4f} vs {r['chisq']:.4f})"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
