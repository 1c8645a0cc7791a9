"""Time of one FIML fit of a 12-factor, 48-item CFA with the analytic and the numerical Hessian (issue 14).

Run from the repository root:  python benchmarks/bench_fiml.py [--n 1000] [--missing 0.03] [--estimator ML]

Data: ``--n`` rows of 48 five-point items (12 factors of 4, loadings 0.55-0.85, factors correlated 0.3; the
generator of ``bench_sem.py``), each cell removed with probability ``--missing`` (seeded MCAR). The model is
fitted by ``cfa(..., missing="fiml")`` twice in this process (after a warm-up on a small model):

* ``after``: as emstudy fits it now (standard errors from the analytic observed information, with a few Newton
  steps of the analytic Hessian after the optimizer);
* ``before``: the previous code path, restored for the measurement only: the observed information by central
  differences of the analytic gradient (``engine._observed_hessian``, 2 q gradient calls) and no Newton steps.
  With MLR the casewise scores are the new ones on both sides (they were a per-pattern loop before: the
  whole MLR fit took 307 s before either change on the machine of results_fiml.json).

Prints both times, the time of the Hessian alone each way (with MLR also that of the saturated model of the
Yuan-Bentler factor) and the largest relative difference of the SEs; writes the entry of the estimator in
``benchmarks/results_fiml.json``. The BLAS threads are those of the environment (the script sets none).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

from emstudy.stats.cfa import cfa, fiml
from emstudy.stats.cfa.engine import _observed_hessian

HERE = Path(__file__).resolve().parent
SEED = 20261130


def _bench_sem():
    spec = importlib.util.spec_from_file_location("bench_sem", HERE / "bench_sem.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _data(n: int, missing: float):
    bs = _bench_sem()
    rng = np.random.default_rng(SEED)
    df = bs._likert(rng, n, rng.uniform(0.55, 0.85, size=(12, 4)), 0.3)
    mask = rng.random(df.shape) < missing
    return bs._syntax(12, 4), df.mask(mask), int(mask.sum())


def _fit(model, data, estimator: str, *, numerical: bool):
    saved = (fiml._FIMLEngine.hessian, fiml._newton_polish)
    hessian_time = []

    def timed(self, x):
        t0 = time.perf_counter()
        out = _observed_hessian(self, x) if numerical else saved[0](self, x)
        hessian_time.append(time.perf_counter() - t0)
        return out

    fiml._FIMLEngine.hessian = timed
    if numerical:
        fiml._newton_polish = lambda feng, x, **_: x
    try:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cfa(model, data, missing="fiml", estimator=estimator)
        return res, time.perf_counter() - t0, hessian_time
    finally:
        fiml._FIMLEngine.hessian, fiml._newton_polish = saved


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--missing", type=float, default=0.03)
    ap.add_argument("--estimator", choices=("ML", "MLR"), default="ML")
    args = ap.parse_args()
    model, data, n_missing = _data(args.n, args.missing)
    n_patterns = len(np.unique(data.isna().to_numpy(), axis=0))
    warm_model = "\n".join(model.splitlines()[:2])
    _fit(warm_model, data, args.estimator, numerical=False)
    after, t_after, h_after = _fit(model, data, args.estimator, numerical=False)
    before, t_before, h_before = _fit(model, data, args.estimator, numerical=True)
    se_a, se_b = after.params["se"].to_numpy(), before.params["se"].to_numpy()
    ok = np.isfinite(se_a) & (se_a > 0)
    out = {
        "rows": args.n,
        "missing_cells": n_missing,
        "patterns": n_patterns,
        "estimator": args.estimator,
        "free_parameters": int(after.params["free"].sum()),
        "seconds_after": round(t_after, 2),
        "seconds_before": round(t_before, 2),
        "hessian_seconds_after": [round(t, 2) for t in h_after],
        "hessian_seconds_before": [round(t, 2) for t in h_before],
        "max_rel_se_difference": float(np.max(np.abs(se_b[ok] / se_a[ok] - 1.0))),
        "chisq": after.fit_measures["chisq"],
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
    }
    path = HERE / "results_fiml.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[args.estimator] = out
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
