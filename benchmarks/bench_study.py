"""Wall time of the whole study on this machine: a full run and a cached rerun.

Targets (issue 6): the full study under 120 s from a warm install on 2 cores; a rerun with nothing changed
under 10 s. The run happens in a temporary copy of the project, so the committed outputs are not touched.

Also written: the seconds of each notebook template in the full run (from the run's manifest) and the load
average before it (other processes on the machine slow the run; compare runs under the same load).

Usage: python benchmarks/bench_study.py [--jobs N]   (writes benchmarks/results_study.json)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_FULL_S = 120.0
TARGET_CACHED_S = 10.0


def _timed(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _notebook_seconds(manifest: Path) -> dict[str, dict[str, float]]:
    """Seconds of the full run per notebook template (the sum over its cases and the slowest case), from the
    run's manifest: where the time goes (cases run in parallel, so the sums add up to more than the wall time)."""
    tasks = json.loads(manifest.read_text(encoding="utf-8"))["tasks"]
    out: dict[str, dict[str, float]] = {}
    for t in tasks:
        row = out.setdefault(t["notebook"], {"sum": 0.0, "max": 0.0})
        row["sum"] = round(row["sum"] + t["seconds"], 1)
        row["max"] = round(max(row["max"], t["seconds"]), 1)
    return dict(sorted(out.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    emstudy = [sys.executable, "-m", "emstudy.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "study"
        work.mkdir()
        for name in ("data", "notebooks", "analysis"):
            shutil.copytree(ROOT / name, work / name)
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        full = _timed([*emstudy, "run", "--force", "--jobs", str(args.jobs)], work)
        by_notebook = _notebook_seconds(work / "reports" / "manifest.json")
        cached = _timed([*emstudy, "run", "--jobs", str(args.jobs)], work)
        n_notebooks = len(list((work / "analysis").rglob("[0-9][0-9]_*.ipynb")))
    result = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "jobs": args.jobs,
        "notebooks_executed": n_notebooks,
        "full_run_s": round(full, 1),
        "full_run_by_notebook_s": by_notebook,
        "load_average_before": None if load_before is None else round(load_before, 2),
        "cached_rerun_s": round(cached, 1),
        "targets": {"full_run_s": TARGET_FULL_S, "cached_rerun_s": TARGET_CACHED_S},
        "meets_targets": {"full_run": full < TARGET_FULL_S, "cached_rerun": cached < TARGET_CACHED_S},
    }
    out = Path(__file__).with_name("results_study.json")
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0 if all(result["meets_targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
