"""Does the whole study write the committed bytes under another BLAS kernel or with one thread? (issue 13)

For each setting, a fresh clone of the committed tree (HEAD) runs ``emstudy run --force``; the script prints the
files that differ from the commit (``git status --porcelain analysis reports``) and, for JSON and CSV results,
the largest relative difference of any number in them. Settings (each only changes the environment of that
run; the test command and CI never set these variables):

* ``OPENBLAS_CORETYPE=Prescott``: OpenBLAS's SSE3 kernels, a different order of every BLAS sum;
* ``OPENBLAS_CORETYPE=Haswell`` (AVX2) and ``=SkylakeX`` (AVX-512, only where the CPU has it);
* ``OPENBLAS_NUM_THREADS=1``: one thread.

Usage: python benchmarks/bench_kernels.py [--only NAME ...] [--jobs N]   (writes benchmarks/results_kernels.json)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _settings() -> dict[str, dict[str, str]]:
    out = {"prescott": {"OPENBLAS_CORETYPE": "Prescott"}, "haswell": {"OPENBLAS_CORETYPE": "Haswell"}}
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and "avx512f" in cpuinfo.read_text(errors="replace"):
        out["skylakex"] = {"OPENBLAS_CORETYPE": "SkylakeX"}
    out["one_thread"] = {"OPENBLAS_NUM_THREADS": "1"}
    return out


def _numbers(text: str, suffix: str) -> list[float]:
    """Every number in a JSON or CSV file, in order."""
    found: list[float] = []
    if suffix == ".json":

        def walk(o: object) -> None:
            if isinstance(o, bool):
                return
            if isinstance(o, (int, float)):
                found.append(float(o))
            elif isinstance(o, dict):
                for k in sorted(o):
                    walk(o[k])
            elif isinstance(o, list):
                for v in o:
                    walk(v)

        walk(json.loads(text))
    else:
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                try:
                    found.append(float(cell))
                except ValueError:
                    pass
    return found


def _largest_difference(clone: Path, rel: str) -> float | None:
    """Largest relative difference between the committed and the rerun numbers of a results file."""
    path = clone / rel
    if path.suffix not in (".json", ".csv") or not path.is_file():
        return None
    before = subprocess.run(["git", "-C", str(clone), "show", f"HEAD:{rel}"], capture_output=True, text=True).stdout
    a, b = _numbers(before, path.suffix), _numbers(path.read_text(encoding="utf-8"), path.suffix)
    if len(a) != len(b):
        return float("inf")
    worst = 0.0
    for x, y in zip(a, b, strict=True):
        if x != y:
            worst = max(worst, abs(x - y) / max(abs(x), abs(y), 1e-300))
    return worst


def run_setting(name: str, env_extra: dict[str, str], jobs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"emstudy-kernel-{name}-") as tmp:
        clone = Path(tmp) / "study"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {**os.environ, **env_extra}
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "emstudy.cli", "--root", str(clone), "run", "--force", "--jobs", str(jobs)],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        status = subprocess.run(
            ["git", "-C", str(clone), "status", "--porcelain", "analysis", "reports"], capture_output=True, text=True
        ).stdout.splitlines()
        changed = [line[3:] for line in status]
        return {
            "env": env_extra,
            "exit_status": done.returncode,
            "error": done.stderr.strip().splitlines()[-1:] if done.returncode else [],
            "seconds": round(seconds, 1),
            "changed": {rel: _largest_difference(clone, rel) for rel in changed},
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="settings to run (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    results = {
        "commit": commit.strip(),
        "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
        "settings": {},
    }
    for name, env_extra in _settings().items():
        if args.only and name not in args.only:
            continue
        res = run_setting(name, env_extra, args.jobs)
        results["settings"][name] = res
        print(
            f"{name} ({' '.join(f'{k}={v}' for k, v in env_extra.items())}): exit {res['exit_status']}, "
            f"{res['seconds']} s, {len(res['changed'])} file(s) changed"
        )
        for rel, worst in res["changed"].items():
            print(f"  {rel}" + ("" if worst is None else f"  (largest relative difference {worst:.2g})"))
    out = Path(__file__).with_name("results_kernels.json")
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0 if all(not r["changed"] and r["exit_status"] == 0 for r in results["settings"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
