"""Wall time and peak memory of ``emstudy validate`` on a large survey export.

Target (issue 12): a 1,000,000-row CSV validated in under 30 s with under 1.5 GB peak resident memory, on
2 cores. The CSV is generated in a temporary folder from the rows of the synthetic ``data/raw/yima.csv``:
each copy gets a unique respondent id, a perturbed duration and one Likert answer moved to a neighbouring
label, so the file looks like a real export (no id repeats; few exact duplicates). ``--xlsx N`` also times
an N-row XLSX export (no target; the issue measured 46 s and 1.6 GB for 50,000 rows).

Usage: python benchmarks/bench_validate.py [--rows N] [--xlsx N]   (writes benchmarks/results_validate.json)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "raw" / "yima.csv"
TARGET_S = 30.0
TARGET_RSS_MB = 1500.0
LIKERT = ["非常不同意", "不同意", "一般", "同意", "非常同意"]


def _source_rows() -> tuple[list[str], list[list[str]]]:
    with open(SOURCE, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_big_csv(path: Path, n_rows: int, *, seed: int = 12) -> int:
    """Write ``n_rows`` perturbed copies of yima's rows to ``path``; return the file size in bytes."""
    header, rows = _source_rows()
    rng = random.Random(seed)
    likert_cols = [j for j in range(len(header)) if all(r[j] in LIKERT or not r[j] for r in rows)]
    duration = header.index("所用时间(秒)")
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        buf: list[list[str]] = []
        for k in range(n_rows):
            row = list(rows[k % len(rows)])
            row[0] = str(k + 1)
            row[duration] = str(120 + rng.randrange(900))
            j = likert_cols[rng.randrange(len(likert_cols))]
            if row[j] in LIKERT:
                row[j] = LIKERT[min(4, max(0, LIKERT.index(row[j]) + rng.choice((-1, 1))))]
            buf.append(row)
            if len(buf) == 10_000:
                writer.writerows(buf)
                buf.clear()
        writer.writerows(buf)
    return path.stat().st_size


def write_xlsx(path: Path, n_rows: int) -> int:
    """Write an ``n_rows`` XLSX export (repeated yima rows with unique ids, write-only mode)."""
    import openpyxl

    header, rows = _source_rows()
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("问卷")
    ws.append(header)
    for k in range(n_rows):
        row: list[object] = list(rows[k % len(rows)])
        row[0] = k + 1
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return path.stat().st_size


def measure(cmd: list[str], cwd: Path) -> dict[str, object]:
    """Run ``cmd`` in a fresh child; wall seconds, peak RSS of the child (MB) and exit status."""
    probe = [
        sys.executable,
        "-c",
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)",
        *cmd,
    ]
    # A probe process per measurement, so that RUSAGE_CHILDREN covers this command only.
    out = subprocess.run(probe, cwd=cwd, check=True, capture_output=True, text=True).stdout.split()
    wall, rss_kb, rc = float(out[0]), int(out[1]), int(out[2])
    return {"wall_s": round(wall, 1), "peak_rss_mb": round(rss_kb / 1024, 0), "exit_status": rc}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="CSV rows (default 1,000,000)")
    parser.add_argument("--xlsx", type=int, default=0, metavar="N", help="also time an N-row XLSX (default: no)")
    args = parser.parse_args()
    validate = [sys.executable, "-m", "emstudy.cli", "--root", str(ROOT), "validate"]
    result: dict[str, object] = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "command": "python -m emstudy.cli validate big.csv",
        "targets": {"wall_s": TARGET_S, "peak_rss_mb": TARGET_RSS_MB, "rows": 1_000_000},
    }
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.csv"
        started = time.perf_counter()
        size = write_big_csv(big, args.rows)
        print(f"wrote {args.rows:,} rows ({size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s", flush=True)
        csv_run = measure([*validate, str(big)], Path(tmp))
        csv_run.update(rows=args.rows, file_mb=round(size / 1e6))
        result["csv"] = csv_run
        if args.xlsx:
            book = Path(tmp) / "big.xlsx"
            size = write_xlsx(book, args.xlsx)
            xlsx_run = measure([*validate, str(book)], Path(tmp))
            xlsx_run.update(rows=args.xlsx, file_mb=round(size / 1e6, 1))
            result["xlsx"] = xlsx_run
    ok = (
        csv_run["exit_status"] == 0
        and args.rows >= 1_000_000
        and csv_run["wall_s"] < TARGET_S
        and csv_run["peak_rss_mb"] < TARGET_RSS_MB
    )
    result["meets_targets"] = ok
    out = Path(__file__).with_name("results_validate.json")
    out.write_text(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False))
    print(
        f"csv: {csv_run['wall_s']} s (target < {TARGET_S}), {csv_run['peak_rss_mb']:.0f} MB peak RSS "
        f"(target < {TARGET_RSS_MB:.0f}), exit {csv_run['exit_status']}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
