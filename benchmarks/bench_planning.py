"""Speed of a Monte Carlo power study of a CFA: emstudy on Dask side by side with the lavaan loop (issue 16).

Run from the repository root:  python benchmarks/bench_planning.py [--only r python scaling memory]
[--replications N] [--pause-pid PID] [--quiet-load L --max-wait S] [--time-limit S]

Targets (issue 16, point 5): the same planning design runs at least as fast in emstudy as the loop simsem
runs in R (ratio python/R <= 1); one to two local Dask workers scale at efficiency t1 / (2 t2) >= 0.8; a
worker's memory does not grow with the replications. The design (synthetic population, seeded):

* population: the Response dimension of Wencheng's 4R framework (``data/cases/wencheng.yml``): four
  constructs (organisation, response, information, participation), 16 items, each item's loading as the
  synthetic study's generator draws it (``emstudy.survey.simulate.instrument_loadings``), factor correlations
  ``SimulationSettings().rho``, residual variances 1 - loading^2 (every value written out in lavaan syntax, so
  no default of ``simulateData`` or of ``ModelPopulation`` matters), multivariate normal, complete data;
* analysis: the matching four-factor CFA by ML; targets the test of not-close fit (H0 RMSEA >= 0.05), the test
  of close fit (H0 RMSEA <= 0.05) and "every standardized loading's 95% interval narrower than 0.2"
  (``emstudy.planning.analyses.CFAFit``; the R script takes the same verdicts from lavaan's fitMeasures
  and standardizedSolution);
* grid: 500 replications at each of n = 100, 200, 400, 800 (2,000 fits), 2 cores.

Measured (each a separate section; ``--only`` picks some, the others keep their last results):

* ``r``: ``Rscript benchmarks/bench_planning.R`` -- ``lavaan::simulateData`` + ``lavaan::cfa`` under
  ``parallel::mclapply(mc.cores = 2)``, the wall seconds of the whole mclapply call;
* ``python``: ``run_power(ModelPopulation(...), CFAFit(...), workers=2)`` as a user calls it (the call starts
  and closes its LocalCluster, so the start-up is in the time), wall seconds; the ratio python/R and the two
  power tables side by side (difference in Monte Carlo standard errors of the difference);
* ``scaling``: the same design on a LocalCluster of 1 and of 2 workers started beforehand (the engine's time
  without the cluster's start-up): efficiency = t1 / (2 t2);
* ``memory``: on one LocalCluster of 2 workers, each worker's resident memory (psutil, via ``client.run``)
  after 100, 1,000, 2,000 and 3,000 replications (n = 200), as is and after ``malloc_trim(0)``: the growth
  in MiB between them (a leak grows with the replications; start-up and caches do not).

The machine's other load skews wall times (two cores here, shared): every section records its command, the
load average before and after, the busiest other processes at its start, and the CPU seconds the rest of the
machine used during it (``/proc/stat`` busy time minus this benchmark's own); both sides also report their
CPU seconds (R and its mclapply children; the Python client, scheduler and workers), which load skews far
less than wall time. ``--quiet-load L`` waits (at most ``--max-wait`` s) before each section until the
1-minute load average is at most L. ``--pause-pid PID`` stops one process (the
lead's niced R job running ``tests/reference/invariance_ordinal_synthetic.R``, and only that: the script checks
its command line) with SIGSTOP for each timed section and resumes it with SIGCONT right after, also on an
error or an interrupt (run it under ``trap 'kill -CONT PID' EXIT`` as well). Writes
``benchmarks/results_planning.json``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "results_planning.json"
R_SCRIPT = Path(__file__).resolve().parent / "bench_planning.R"
CASE = "wencheng"
DIMENSION = "response"
NS = (100, 200, 400, 800)
REPLICATIONS = 500
SEED = 20261130
ALPHA = 0.05
RMSEA0 = 0.05
CI_WIDTH = 0.2
CORES = 2
MEMORY_N = 200
MEMORY_CHECKPOINTS = (100, 1000, 2000, 3000)
SECTIONS = ("r", "python", "scaling", "memory")
PAUSABLE = "tests/reference/invariance_ordinal_synthetic.R"
TARGETS = {"ratio_python_over_r": 1.0, "scaling_efficiency": 0.8}


# ----------------------------------------------------------------------------------------------
# The design
# ----------------------------------------------------------------------------------------------


def design() -> dict:
    """Population and analysis syntax of the design, from the case file, the codebook and the generator."""
    from emstudy.survey.cases import load_case
    from emstudy.survey.codebook import load_codebook
    from emstudy.survey.simulate import SimulationSettings, instrument_loadings

    codebook = load_codebook(ROOT / "data" / "codebooks" / "core.yml")
    case = load_case(ROOT / "data" / "cases" / f"{CASE}.yml", codebook)
    constructs = next(d.constructs for d in case.framework.dimensions if d.id == DIMENSION)
    settings = SimulationSettings()
    loadings = instrument_loadings(codebook, settings)
    scales = codebook.scales(include_outcome=False)
    pop, ana = [], []
    for c in constructs:
        pop.append(f"{c} =~ " + " + ".join(f"{loadings[i]:.4f}*{i}" for i in scales[c]))
        ana.append(f"{c} =~ " + " + ".join(scales[c]))
    for j, c in enumerate(constructs):
        pop.append(f"{c} ~~ 1*{c}")
        pop.extend(f"{c} ~~ {settings.rho:.2f}*{d}" for d in constructs[j + 1 :])
    for c in constructs:
        pop.extend(f"{i} ~~ {1 - loadings[i] ** 2:.8f}*{i}" for i in scales[c])
    return {
        "case": CASE,
        "dimension": DIMENSION,
        "constructs": list(constructs),
        "population": "\n".join(pop),
        "analysis": "\n".join(ana),
        "ns": list(NS),
        "seed": SEED,
        "alpha": ALPHA,
        "rmsea0": RMSEA0,
        "ci_width": CI_WIDTH,
        "synthetic": True,
    }


def _population_and_analysis(spec: dict):
    from emstudy.planning.analyses import CFAFit
    from emstudy.planning.population import ModelPopulation

    analysis = CFAFit(
        spec["analysis"], rmsea0=spec["rmsea0"], ci_width=spec["ci_width"], alpha=spec["alpha"], conf_level=0.95
    )
    return ModelPopulation(spec["population"]), analysis


# ----------------------------------------------------------------------------------------------
# The machine, its load, and the pause of the lead's R job
# ----------------------------------------------------------------------------------------------


def _machine() -> dict:
    cpu = ""
    info = Path("/proc/cpuinfo")
    if info.exists():
        cpu = next((ln.split(":", 1)[1].strip() for ln in info.read_text().splitlines() if "model name" in ln), "")
    import dask
    import distributed

    return {
        "cpu": cpu or platform.processor(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "dask": dask.__version__,
        "distributed": distributed.__version__,
    }


def _busiest(k: int = 5) -> list[str]:
    """The k processes with the most CPU (ps's %CPU over their lifetime), as 'pcpu nice command'."""
    try:
        out = subprocess.run(
            ["ps", "-eo", "pcpu,ni,comm", "--sort=-pcpu", "--no-headers"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [" ".join(line.split()) for line in out.splitlines()[:k]]


def _load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


class _Pauser:
    """SIGSTOP one process for a timed section and SIGCONT it after, whatever happens."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.stopped = False
        if pid is not None:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if PAUSABLE not in cmdline:
                raise SystemExit(f"--pause-pid: process {pid} does not run {PAUSABLE}; give that job's pid or none")
            atexit.register(self.resume)
            for sig in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        self.resume()
        raise SystemExit(128 + signum)

    def resume(self) -> None:
        if self.pid is not None and self.stopped:
            try:
                os.kill(self.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            self.stopped = False

    @contextmanager
    def paused(self):
        if self.pid is not None:
            os.kill(self.pid, signal.SIGSTOP)
            self.stopped = True
        try:
            yield
        finally:
            self.resume()


def _machine_busy() -> float | None:
    """CPU seconds the whole machine spent busy since boot (``/proc/stat``: all but idle and iowait)."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return None
    fields = [int(v) for v in stat.read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    """CPU seconds of this process and of its children that have been waited for (R, the workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _wait_quiet(max_load: float | None, max_wait: float) -> float:
    """Wait (at most ``max_wait`` s) until the 1-minute load average is at most ``max_load``; seconds waited."""
    t0 = time.monotonic()
    while max_load is not None and os.getloadavg()[0] > max_load and time.monotonic() - t0 < max_wait:
        time.sleep(5)
    return round(time.monotonic() - t0, 1)


def _command() -> str:
    return shlex.join(["python", "benchmarks/bench_planning.py", *sys.argv[1:]])


def _section(pauser: _Pauser, quiet: tuple[float | None, float], fn, *args) -> dict:
    """Run one timed section with the R job paused; record the load, and the CPU seconds the rest of the
    machine used meanwhile (machine busy time minus this process tree's): what competed with the timing."""
    entry = {"command": _command(), "waited_for_load_s": _wait_quiet(*quiet), "paused_pid": pauser.pid}
    with pauser.paused():
        entry["measured_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        entry["load_average_before"] = _load()
        entry["busiest_processes_before"] = _busiest()
        busy0, own0, t0 = _machine_busy(), _own_cpu(), time.perf_counter()
        entry.update(fn(*args))
        wall, busy1, own1 = time.perf_counter() - t0, _machine_busy(), _own_cpu()
    entry["section_wall_s"] = round(wall, 2)
    entry["section_cpu_s_this_benchmark"] = round(own1 - own0, 2)
    if busy0 is not None:
        entry["section_cpu_s_other_processes"] = round(max(0.0, busy1 - busy0 - (own1 - own0)), 2)
    entry["load_average_after"] = _load()
    return entry


# ----------------------------------------------------------------------------------------------
# R side
# ----------------------------------------------------------------------------------------------


def run_r(folder: Path, limit: float) -> dict:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return {"skipped": "Rscript not found"}
    cmd = [rscript, str(R_SCRIPT), str(folder), str(CORES)]
    cpu0 = _own_cpu()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, check=True, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"skipped": f"over the time limit of {limit:.0f} s (stopped)"}
    except subprocess.CalledProcessError as exc:
        return {"error": exc.stderr.strip().splitlines()[-3:]}
    res = json.loads(out.stdout.split("@@JSON@@", 1)[1])
    res["cpu_seconds"] = round(_own_cpu() - cpu0, 2)  # Rscript and its mclapply children, start-up included
    res["command"] = shlex.join(["Rscript", str(R_SCRIPT.relative_to(ROOT)), "DATA_DIR", str(CORES)])
    return res


# ----------------------------------------------------------------------------------------------
# Python side
# ----------------------------------------------------------------------------------------------


def _table(power_table) -> list[dict]:
    frame = power_table.to_frame()
    return json.loads(frame.to_json(orient="records"))


def run_python(spec: dict) -> dict:
    """``run_power(..., workers=2)`` as a user calls it: the LocalCluster's start and close are in the time."""
    from emstudy.planning.engine import run_power

    population, analysis = _population_and_analysis(spec)
    cpu0, t0 = _own_cpu(), time.perf_counter()
    table = run_power(population, analysis, ns=spec["ns"], replications=spec["replications"], seed=SEED, workers=CORES)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "cpu_seconds": round(_own_cpu() - cpu0, 2),  # this process (client, scheduler) and the workers
        "call": f"run_power(ModelPopulation(...), CFAFit(...), ns={spec['ns']}, replications="
        f"{spec['replications']}, seed={SEED}, workers={CORES})",
        "table": _table(table),
        "errors": list(getattr(table, "errors", []) or []),
    }


@contextmanager
def _cluster(workers: int):
    import logging
    import warnings

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Port .* is already in use")  # another helper's dashboard
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})


def run_scaling(spec: dict) -> dict:
    """The design on a LocalCluster of 1 and of 2 workers started beforehand; efficiency t1 / (2 t2)."""
    from emstudy.planning.engine import run_power

    population, analysis = _population_and_analysis(spec)
    out: dict = {}
    bytes_by_workers = {}
    for workers in (1, 2):
        with _cluster(workers) as client:
            client.run(_blas_threads)  # workers up and importing before the clock starts
            cpu0, self0, busy0, t0 = client.run(_process_cpu), _self_cpu(), _machine_busy(), time.perf_counter()
            table = run_power(
                population, analysis, ns=spec["ns"], replications=spec["replications"], seed=SEED, scheduler=client
            )
            seconds = time.perf_counter() - t0
            cpu1, self1, busy1 = client.run(_process_cpu), _self_cpu(), _machine_busy()
            worker_cpu = sum(cpu1[w] - cpu0[w] for w in cpu0)
            out[f"workers_{workers}"] = {
                "seconds": seconds,
                "cpu_seconds_workers": round(worker_cpu, 2),
                "cpu_seconds_client_and_scheduler": round(self1 - self0, 2),
                "cpu_seconds_other_processes": None
                if busy0 is None
                else round(max(0.0, busy1 - busy0 - worker_cpu - (self1 - self0)), 2),
                "worker_blas_threads": client.run(_blas_threads),
            }
        bytes_by_workers[workers] = table.to_csv_bytes()
    t1, t2 = out["workers_1"]["seconds"], out["workers_2"]["seconds"]
    out["efficiency"] = t1 / (2 * t2)
    out["tables_identical"] = bytes_by_workers[1] == bytes_by_workers[2]
    return out


def _process_cpu() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def _self_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _rss() -> int:
    import gc

    import psutil

    gc.collect()
    return psutil.Process().memory_info().rss


def _rss_trimmed() -> int:
    """RSS after ``malloc_trim(0)``: what the worker still holds once glibc returned its free pages."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    return _rss()


def run_memory(spec: dict) -> dict:
    """Each worker's RSS after 100, 1,000, 2,000 and 3,000 replications (n = 200) on the same 2 workers, as
    is and after ``malloc_trim``: a leak grows linearly with the replications, a warm-up does not."""
    from emstudy.planning.engine import run_power

    population, analysis = _population_and_analysis(spec)
    out: dict = {"n": MEMORY_N, "rss_mib": {}, "rss_mib_after_malloc_trim": {}}
    with _cluster(CORES) as client:
        done = 0
        for checkpoint in MEMORY_CHECKPOINTS:
            reps = checkpoint - done
            run_power(population, analysis, ns=[MEMORY_N], replications=reps, seed=SEED + done, scheduler=client)
            done = checkpoint
            for key, fn in (("rss_mib", _rss), ("rss_mib_after_malloc_trim", _rss_trimmed)):
                rss = client.run(fn)
                out[key][str(done)] = {
                    f"worker {k + 1}": round(v / 2**20, 1) for k, (_, v) in enumerate(sorted(rss.items()))
                }
    for key in ("rss_mib", "rss_mib_after_malloc_trim"):
        marks = [out[key][str(c)] for c in MEMORY_CHECKPOINTS]
        out[f"growth_{key}"] = {
            f"{a}_to_{b}": {w: round(marks[i + 1][w] - marks[i][w], 1) for w in marks[0]}
            for i, (a, b) in enumerate(zip(MEMORY_CHECKPOINTS, MEMORY_CHECKPOINTS[1:]))
        }
    return out


# ----------------------------------------------------------------------------------------------
# Comparison and report
# ----------------------------------------------------------------------------------------------


def compare(r: dict, py: dict) -> list[dict]:
    """Power per n and target on both sides; z = difference / its Monte Carlo standard error. Python's
    ``loadings_precise`` is set beside lavaan's (``standardizedSolution``'s delta-method interval) and beside
    the R loop's CFAFit rule (``loadings_precise_cfafit_rule``: the Wald interval with the item's SD taken as
    known), so that a difference of definition shows apart from Monte Carlo error."""
    rows = []
    r_rows = {int(row["n"]): row for row in r.get("table", [])}
    for row in py.get("table", []):
        n, target = int(row["n"]), row["target"]
        r_targets = [target] + ([f"{target}_cfafit_rule"] if target == "loadings_precise" else [])
        for r_target in r_targets:
            if n not in r_rows or r_target not in r_rows[n]:
                continue
            p_py, p_r = float(row["power"]), float(r_rows[n][r_target])
            reps_py, reps_r = int(row["replications"]), int(r_rows[n]["replications"])
            se = np.sqrt(p_py * (1 - p_py) / reps_py + p_r * (1 - p_r) / reps_r)
            rows.append(
                {
                    "n": n,
                    "target": target,
                    "r_target": r_target,
                    "power_python": p_py,
                    "power_r": p_r,
                    "z": float((p_py - p_r) / se) if se > 0 else (0.0 if p_py == p_r else float("inf")),
                    "converged_python": int(row["converged"]),
                    "converged_r": int(r_rows[n]["converged"]),
                    "improper_python": int(row["improper"]),
                    "improper_r": int(r_rows[n]["improper"]),
                }
            )
    return rows


def _print_summary(results: dict) -> None:
    s = results["sections"]
    r_s = s.get("r", {}).get("r", {}).get("seconds")
    py_s = s.get("python", {}).get("python", {}).get("seconds")
    if r_s and py_s:
        print(f"lavaan loop (mclapply, {CORES} cores): {r_s:.1f} s; emstudy run_power(workers={CORES}): {py_s:.1f} s")
        print(f"ratio python/R = {py_s / r_s:.3f} (target <= {TARGETS['ratio_python_over_r']})")
        print(f"CPU seconds: R {s['r']['r'].get('cpu_seconds')}, python {s['python']['python'].get('cpu_seconds')}")
        for name in ("r", "python"):
            other = s[name].get("section_cpu_s_other_processes")
            print(f"  other processes used {other} CPU s during the {name} section ({s[name]['section_wall_s']} s)")
    if "scaling" in s and "efficiency" in s["scaling"]:
        sc = s["scaling"]
        print(
            f"scaling: 1 worker {sc['workers_1']['seconds']:.1f} s, 2 workers {sc['workers_2']['seconds']:.1f} s, "
            f"efficiency t1/(2 t2) = {sc['efficiency']:.3f} (target >= {TARGETS['scaling_efficiency']}); "
            f"tables identical: {sc['tables_identical']}"
        )
        cpu1, cpu2 = sc["workers_1"]["cpu_seconds_workers"], sc["workers_2"]["cpu_seconds_workers"]
        others = [sc[f"workers_{w}"].get("cpu_seconds_other_processes") for w in (1, 2)]
        print(f"  other processes' CPU seconds during the 1- and 2-worker runs: {others}")
        print(
            f"  worker CPU seconds: 1 worker {cpu1}, 2 workers {cpu2}; other processes used "
            f"{sc.get('section_cpu_s_other_processes')} CPU s during the section"
        )
    if "memory" in s and "rss_mib" in s["memory"]:
        m = s["memory"]
        for key in ("rss_mib", "rss_mib_after_malloc_trim"):
            for done, rss in m[key].items():
                print(f"worker {key} after {done} replications (n = {m['n']}): {rss}")
            print(f"growth of {key}: {m[f'growth_{key}']}")
    if results.get("comparison"):
        print("power tables side by side (synthetic population):")
        print(pd.DataFrame(results["comparison"]).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    ap.add_argument("--replications", type=int, default=REPLICATIONS)
    ap.add_argument("--pause-pid", type=int, default=None)
    ap.add_argument("--time-limit", type=float, default=1800.0)
    ap.add_argument("--quiet-load", type=float, default=None, help="wait until the 1-minute load is at most this")
    ap.add_argument("--max-wait", type=float, default=300.0, help="longest wait for --quiet-load, seconds")
    args = ap.parse_args(argv)
    pauser = _Pauser(args.pause_pid)
    quiet = (args.quiet_load, args.max_wait)
    spec = {**design(), "replications": args.replications}
    results = {"machine": _machine(), "sections": {}}
    if set(args.only) != set(SECTIONS) and OUT.exists():  # a partial rerun keeps the other sections' results
        results["sections"] = json.loads(OUT.read_text()).get("sections", {})
    results["command"] = _command()  # the last run's; each section records the command that measured it
    results["design"] = spec
    sections = results["sections"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "population.model").write_text(spec["population"] + "\n")
        (folder / "analysis.model").write_text(spec["analysis"] + "\n")
        (folder / "design.json").write_text(json.dumps(spec))
        for name in args.only:
            if name == "r":
                sections["r"] = _section(pauser, quiet, lambda: {"r": run_r(folder, args.time_limit)})
            elif name == "python":
                sections["python"] = _section(pauser, quiet, lambda: {"python": run_python(spec)})
            elif name == "scaling":
                sections["scaling"] = _section(pauser, quiet, run_scaling, spec)
            else:
                sections["memory"] = _section(pauser, quiet, run_memory, spec)
            print(f"{name}: done ({time.strftime('%H:%M:%S')})", flush=True)
    r_res, py_res = sections.get("r", {}).get("r", {}), sections.get("python", {}).get("python", {})
    results["comparison"] = compare(r_res, py_res)
    ratio = py_res["seconds"] / r_res["seconds"] if py_res.get("seconds") and r_res.get("seconds") else None
    results["ratio_python_over_r"] = ratio
    cpu_py, cpu_r = py_res.get("cpu_seconds"), r_res.get("cpu_seconds")
    results["ratio_python_over_r_cpu_seconds"] = cpu_py / cpu_r if cpu_py and cpu_r else None
    results["targets"] = TARGETS
    results["meets_targets"] = {
        "ratio_python_over_r": ratio is not None and ratio <= TARGETS["ratio_python_over_r"],
        "scaling_efficiency": sections.get("scaling", {}).get("efficiency", 0) >= TARGETS["scaling_efficiency"],
        "power_tables_agree_within_3_mc_se": bool(results["comparison"])
        and all(abs(row["z"]) <= 3 for row in results["comparison"] if row["target"] == row["r_target"]),
    }
    OUT.write_text(json.dumps(results, indent=2, default=float) + "\n")
    _print_summary(results)
    print(json.dumps(results["meets_targets"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
