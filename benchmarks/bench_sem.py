"""Speed of emstudy's CFA and invariance side by side with lavaan, and of the small-matrix loops by BLAS threads (issue 14).

Run from the repository root:  python benchmarks/bench_sem.py [--only TASK ...] [--repeats N] [--time-limit S]

Target (issue 14, point 5): the five-group invariance of the study's whole 48-item instrument runs within
the time lavaan needs on the same data (ratio python/R <= 1). Tasks, each timed as the median of
``--repeats`` runs (data already in memory on both sides, reading excluded):

* ``cfa11``: an 11-factor ML CFA (44 five-point items, 4 per factor) at n = 10,000 (synthetic, seeded);
* ``inv3``: configural, metric and scalar invariance (``emstudy.stats.invariance(..., partial=False)``, three
  fits and their comparison) of a 3-factor, 12-item model over 5 groups of 2,000 (synthetic, seeded);
* ``instrument``: the same for the study's 12-construct, 48-item instrument
  (``emstudy.steps.structure.core_model_syntax``) over the five cases' ``analysis/<case>/results/encoded.csv``
  (synthetic data), measured two ways side by side: (a) ``instrument``, each case entering through its
  pairwise-deletion means and covariance matrix (ML on moments, lavaan ``sample.cov``); (b)
  ``instrument_fiml_mlr``, the respondents' answers with their item non-response by FIML with MLR
  (``invariance(model, data, "case", missing="fiml", estimator="MLR", partial=False)`` as notebook 05 runs
  it; lavaan ``cfa(..., group = "case", missing = "ml", estimator = "MLR", group.equal = ...)`` and
  ``lavTestLRT``). One run each, stopped and reported as skipped after ``--time-limit`` seconds (default
  600); a ratio against an R run stopped at the limit is an upper bound (``..._at_most``);
* ``mlr11``: ``cfa11`` with ``estimator="MLR"``;
* ``loops``: the loops of many small matrix operations that emstudy runs with one BLAS thread
  (``emstudy.stats._common.single_thread_blas``): ``parallel_analysis`` (20 simulated sets), a 12-factor
  ``efa``, ``omega`` and a 16-item ``polychoric`` on one case's 48 items, each as it is now (``after``) and
  without the one-thread limit (``before``: the undecorated function, ``fn.__wrapped__``); R's
  ``psych::fa.parallel(fa="both", n.iter=20)`` on the same data beside it.

Each Python measurement runs in a fresh subprocess of this script, once with one BLAS thread and once with
one per core: the subprocess's environment gets ``OPENBLAS_NUM_THREADS`` (this script sets it nowhere else,
and the tests and CI never do), and the subprocess records what ``threadpoolctl`` reports. ``instrument`` runs
with one thread only (as ``cross_case_invariance`` does in the study). lavaan runs through ``Rscript
benchmarks/bench_sem.R`` with the host's BLAS untouched (recorded as ``r_blas``; Debian's R has the reference
BLAS, one thread, unless libopenblas0 is installed). Both sides
report the chi-square of each fit, so a ratio compares the same model. Writes ``benchmarks/results_sem.json``
with the machine (CPU, cores, load average), the BLAS libraries and their threads, and prints python/R.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "results_sem.json"
R_SCRIPT = Path(__file__).resolve().parent / "bench_sem.R"
SEED = 20261129
CASES = ("h_district", "wencheng", "chaoyang", "xilinguole", "yima")
LOOP_CASE = "wencheng"
TASKS = ("cfa11", "mlr11", "inv3", "instrument", "loops")
VARIANTS = {"instrument": ("instrument", "instrument_fiml_mlr")}  # a task measured in several variants
ONE_RUN = ("instrument", "instrument_fiml_mlr")  # one repeat, one BLAS thread (as the study runs them)
CUTS = np.array([-1.5, -0.5, 0.5, 1.5])
LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}


# ----------------------------------------------------------------------------------------------
# Data (written once by the parent into a temporary folder, read by both sides)
# ----------------------------------------------------------------------------------------------


def _likert(rng: np.random.Generator, n: int, loadings: np.ndarray, corr: float, shift: float = 0.0) -> pd.DataFrame:
    """Five-point items: loading * factor + noise, cut at -1.5, -0.5, 0.5, 1.5; factors correlate ``corr``."""
    n_factors, per = loadings.shape
    phi = np.full((n_factors, n_factors), corr)
    np.fill_diagonal(phi, 1.0)
    eta = rng.multivariate_normal(np.full(n_factors, shift), phi, size=n)
    cols = {}
    for f in range(n_factors):
        for i in range(per):
            lam = loadings[f, i]
            y = lam * eta[:, f] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            cols[f"f{f + 1:02d}_{i + 1}"] = np.searchsorted(CUTS, y) + 1.0
    return pd.DataFrame(cols)


def _syntax(n_factors: int, per: int) -> str:
    return "\n".join(
        f"F{f + 1} =~ " + " + ".join(f"f{f + 1:02d}_{i + 1}" for i in range(per)) for f in range(n_factors)
    )


def _instrument() -> tuple[str, dict[str, tuple[pd.DataFrame, pd.Series, int]]]:
    """The study's model and each case's pairwise moments, as ``cross_case_invariance(missing="pairwise")``."""
    from emstudy.steps.context import load_encoded
    from emstudy.steps.structure import core_model_syntax

    model, moments = "", {}
    for case in CASES:
        enc = load_encoded(ROOT, case, interactive=False)
        model = core_model_syntax(enc.codebook)
        cols = [c.strip() for line in model.splitlines() for c in line.split("=~")[1].split("+")]
        block = enc.items[cols].astype(float)
        n = len(block)
        moments[case] = (block.cov(ddof=0) * (n / (n - 1)), block.mean(), n)
    return model, moments


def _instrument_answers(model: str) -> pd.DataFrame:
    """The five cases' answers to the model's items (NaN for item non-response), stacked with a ``case``
    column, as notebook 05 passes them to ``invariance``."""
    from emstudy.steps.context import load_encoded

    cols = [c.strip() for line in model.splitlines() for c in line.split("=~")[1].split("+")]
    frames = [load_encoded(ROOT, case, interactive=False).items[cols].astype(float).assign(case=case) for case in CASES]
    return pd.concat(frames, ignore_index=True)


def write_data(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    lam11 = rng.uniform(0.55, 0.85, size=(11, 4))
    _likert(rng, 10_000, lam11, 0.3).to_csv(folder / "cfa11.csv", index=False)
    for task in ("cfa11", "mlr11"):
        (folder / f"{task}.model").write_text(_syntax(11, 4) + "\n")
    lam3 = rng.uniform(0.55, 0.85, size=(3, 4))
    groups = [_likert(rng, 2_000, lam3, 0.4, shift=0.1 * g).assign(g=f"g{g + 1}") for g in range(5)]
    pd.concat(groups, ignore_index=True).to_csv(folder / "inv3.csv", index=False)
    (folder / "inv3.model").write_text(_syntax(3, 4) + "\n")
    model, moments = _instrument()
    (folder / "instrument.model").write_text(model + "\n")
    (folder / "instrument_fiml_mlr.model").write_text(model + "\n")
    _instrument_answers(model).to_csv(folder / "instrument_fiml_mlr.csv", index=False, float_format="%.17g")
    (folder / "instrument.groups").write_text("\n".join(moments) + "\n")
    (folder / "instrument.nobs").write_text("\n".join(str(m[2]) for m in moments.values()) + "\n")
    for case, (cov, mean, _) in moments.items():
        cov.to_csv(folder / f"cov_{case}.csv", float_format="%.17g")
        mean.rename_axis("item").rename("mean").to_csv(folder / f"mean_{case}.csv", float_format="%.17g")
    from emstudy.steps.context import load_encoded

    load_encoded(ROOT, LOOP_CASE, interactive=False).items.to_csv(folder / "parallel.csv", index=False)


# ----------------------------------------------------------------------------------------------
# Python side (runs in a subprocess with OPENBLAS_NUM_THREADS set by the parent)
# ----------------------------------------------------------------------------------------------


def _median_run(fn, repeats: int, warm_up: bool) -> tuple[list[float], object]:
    if warm_up:
        fn()
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def _python_task(task: str, folder: Path, repeats: int) -> dict:
    from emstudy.stats import cfa, invariance

    if task == "loops":
        return _python_loops(folder, repeats)
    model = (folder / f"{task}.model").read_text()
    if task in ("cfa11", "mlr11"):
        data = pd.read_csv(folder / "cfa11.csv")
        est = "MLR" if task == "mlr11" else "ML"

        def fn() -> dict:
            f = cfa(model, data, estimator=est).fit
            return {"chisq": f.chisq, **({"chisq_scaled": f.chisq_scaled} if est == "MLR" else {})}

        times, values = _median_run(fn, repeats, warm_up=True)
        return {"seconds": times, "values": values}
    if task == "inv3":
        data = pd.read_csv(folder / "inv3.csv")
        fn = lambda: invariance(model, data, "g", partial=False).table["chisq"].to_dict()
        times, values = _median_run(fn, repeats, warm_up=False)
        return {"seconds": times, "values": values}
    if task == "instrument":
        groups = (folder / "instrument.groups").read_text().split()
        nobs = [int(v) for v in (folder / "instrument.nobs").read_text().split()]
        cov = {g: pd.read_csv(folder / f"cov_{g}.csv", index_col=0) for g in groups}
        mean = {g: pd.read_csv(folder / f"mean_{g}.csv", index_col=0)["mean"] for g in groups}
        fn = lambda: (
            invariance(
                model,
                group="case",
                sample_cov=cov,
                sample_mean=mean,
                sample_nobs=dict(zip(groups, nobs)),
                partial=False,
            )
            .table["chisq"]
            .to_dict()
        )
        times, values = _median_run(fn, repeats, warm_up=False)
        return {"seconds": times, "values": values}
    if task == "instrument_fiml_mlr":
        data = pd.read_csv(folder / "instrument_fiml_mlr.csv")

        def fiml() -> dict:
            res = invariance(model, data, "case", missing="fiml", estimator="MLR", partial=False)
            return {
                **{k: float(v) for k, v in res.table["chisq"].items()},
                **{f"{k}_scaled": float(f.fit.chisq_scaled) for k, f in res.fits.items()},
            }

        times, values = _median_run(fiml, repeats, warm_up=False)
        return {"seconds": times, "values": values}
    raise ValueError(f"task: unknown {task!r}")


def _python_loops(folder: Path, repeats: int) -> dict:
    from emstudy.stats import efa, omega, parallel_analysis, polychoric

    items = pd.read_csv(folder / "parallel.csv")
    calls = {
        "parallel_analysis": (parallel_analysis, (items,), {"n_iter": 20, "seed": 1}),
        "efa_12_factors": (efa, (items, 12), {}),
        "omega_3_factors": (omega, (items.dropna(),), {"n_factors": 3}),
        "polychoric_16_items": (polychoric, (items.iloc[:, :16],), {}),
    }
    out = {}
    for name, (fn, args, kwargs) in calls.items():
        for when, f in (("before", fn.__wrapped__), ("after", fn)):
            times, _ = _median_run(lambda f=f, a=args, k=kwargs: f(*a, **k), repeats, warm_up=True)
            out[f"{name}_{when}"] = statistics.median(times)
    pa = parallel_analysis(items, n_iter=20, seed=1)
    return {"seconds": out, "values": {"nfact": pa.n_factors, "ncomp": pa.n_components}}


def worker(task: str, folder: Path, repeats: int) -> None:
    import warnings

    from threadpoolctl import threadpool_info

    from emstudy.errors import EmstudyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmstudyWarning)  # e.g. Heywood cases in the 12-factor EFA
        result = _python_task(task, folder, repeats)
    result["blas"] = [
        {k: lib.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
        for lib in threadpool_info()
        if lib["user_api"] == "blas"
    ]
    print("@@JSON@@", json.dumps(result, default=float))


# ----------------------------------------------------------------------------------------------
# Parent: subprocesses, R, results
# ----------------------------------------------------------------------------------------------


def _parse(stdout: str) -> dict:
    return json.loads(stdout.split("@@JSON@@", 1)[1])


def run_python(task: str, folder: Path, repeats: int, threads: int, limit: float) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, __file__, "--worker", task, "--data", str(folder), "--repeats", str(repeats)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=limit, check=True, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"skipped": f"over the time limit of {limit:.0f} s (stopped)"}
    except subprocess.CalledProcessError as exc:
        return {"error": exc.stderr.strip().splitlines()[-1:]}
    return _parse(out.stdout)


def run_r(task: str, folder: Path, repeats: int, limit: float) -> dict:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return {"skipped": "Rscript not found"}
    r_task = "parallel" if task == "loops" else task
    cmd = [rscript, str(R_SCRIPT), r_task, str(folder), str(repeats)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, check=True, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"skipped": f"over the time limit of {limit:.0f} s (stopped)"}
    except subprocess.CalledProcessError as exc:
        return {"error": exc.stderr.strip().splitlines()[-3:]}
    return _parse(out.stdout)


def _median(res: dict) -> float | None:
    s = res.get("seconds")  # R's JSON writes one repeat as a number
    if isinstance(s, (int, float)):
        return float(s)
    return statistics.median(s) if isinstance(s, list) and s else None


def _machine() -> dict:
    cpu = ""
    info = Path("/proc/cpuinfo")
    if info.exists():
        cpu = next((ln.split(":", 1)[1].strip() for ln in info.read_text().splitlines() if "model name" in ln), "")
    return {
        "cpu": cpu or platform.processor(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=TASKS, default=list(TASKS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--worker", choices=TASKS + VARIANTS["instrument"][1:], help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.data, args.repeats)
        return 0
    results = {"machine": _machine(), "tasks": {}}
    if set(args.only) != set(TASKS) and OUT.exists():  # a partial rerun keeps the other tasks' last results
        results["tasks"] = json.loads(OUT.read_text()).get("tasks", {})
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_data(folder)
        for task in [v for t in args.only for v in VARIANTS.get(t, (t,))]:
            reps = 1 if task in ONE_RUN else args.repeats
            settings = (1,) if task in ONE_RUN else (1, cores)
            entry = {
                "measured_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
                "repeats": reps,
                "time_limit_s": args.time_limit,
                "r": run_r(task, folder, reps, args.time_limit),
                "python": {},
            }
            for threads in settings:
                entry["python"][f"blas_threads_{threads}"] = run_python(task, folder, reps, threads, args.time_limit)
            results["tasks"][task] = entry
            print(f"{task}: python/R = {json.dumps(_ratios(task, entry))}", flush=True)
    for task, entry in results["tasks"].items():
        entry["ratio_python_over_r"] = _ratios(task, entry)
    OUT.write_text(json.dumps(results, indent=2, default=float) + "\n")
    print(json.dumps(results, indent=2, default=float))
    return 0


def _ratios(task: str, entry: dict) -> dict:
    """Median Python time over median R time per BLAS setting; for a run stopped at the time limit, a lower
    bound (``..._at_least``: the limit over R's time)."""
    r = _median(entry["r"])
    out: dict = {}
    for setting, res in entry["python"].items():
        if task == "loops":
            seconds = res.get("seconds") or {}
            out[setting] = {
                f"parallel_analysis_{when}": seconds[f"parallel_analysis_{when}"] / r if r else None
                for when in ("before", "after")
                if f"parallel_analysis_{when}" in seconds
            }
        elif "skipped" in res and "time_limit_s" in entry:
            out[setting] = None
            out[f"{setting}_at_least"] = entry["time_limit_s"] / r if r else None
        elif r is None and "skipped" in entry["r"] and "time_limit_s" in entry:
            py = _median(res)
            out[setting] = None
            out[f"{setting}_at_most"] = py / entry["time_limit_s"] if py else None
        else:
            py = _median(res)
            out[setting] = py / r if r and py else None
    return out


if __name__ == "__main__":
    sys.exit(main())
