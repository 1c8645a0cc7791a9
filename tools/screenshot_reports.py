"""PNG screenshots of report pages in headless Chromium, both languages, for a reviewer or a closing note.

Usage, from the project root (Chromium on PATH, or ``--browser PATH``)::

    python tools/screenshot_reports.py [--reports reports] [--out screenshots] [--width 1280 --width 390]
        [--height 2400] [PAGE ...]

Each PAGE (a file name in ``--reports``; default: both index pages and the Wencheng and summary reports in
both languages) is opened from disk, as a reader opens it, in a window of each width and ``--height`` CSS
pixels, and saved as ``<out>/<page stem>-<width>.png`` (the top ``--height`` pixels of the page). The pages are
rendered with the fonts they name, so a Chinese page shows whether the shipped font reached it. Bad input
(no browser, a missing page) gets one line and exit status 2.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_PAGES = ("index.html", "index.zh.html", "wencheng.html", "wencheng.zh.html", "summary.html", "summary.zh.html")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def screenshot(browser: str, page: Path, out: Path, *, width: int, height: int, profile: Path) -> Path:
    """Save the top ``height`` CSS pixels of ``page`` in a ``width`` pixel wide window as ``out``; returns ``out``."""
    cmd = [browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
    cmd += ["--virtual-time-budget=10000", f"--screenshot={out}", page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if not out.is_file():
        raise SystemExit(f"{page}: Chromium wrote no screenshot (exit {done.returncode}): {done.stderr.strip()[-300:]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", default=list(DEFAULT_PAGES), help="HTML file names in --reports")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="the reports folder (reports)")
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="where to write the PNGs")
    parser.add_argument("--width", type=int, action="append", help="window width in CSS px (1280 and 390)")
    parser.add_argument("--height", type=int, default=2400, help="window height in CSS px (2400)")
    parser.add_argument("--browser", default=None, help="Chromium executable (chromium on PATH)")
    args = parser.parse_args(argv)
    widths = args.width or [1280, 390]
    browser = args.browser or shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("--browser: no chromium on PATH; install it (apt-get install chromium) or pass its path", file=sys.stderr)
        return 2
    pages = [args.reports / name for name in args.pages]
    missing = [str(p) for p in pages if not p.is_file()]
    if missing:
        print(f"{missing[0]}: no such page; run the study (emstudy run) or name a page in --reports", file=sys.stderr)
        return 2
    if any(w < 200 or w > 4000 for w in widths) or not 200 <= args.height <= 20000:
        print("--width/--height: expected 200-4000 px wide and 200-20000 px high windows", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="emstudy-shots-") as profile:
        for page in pages:
            stem = page.name.removesuffix(".html")
            for width in widths:
                out = args.out / f"{stem}-{width}.png"
                screenshot(browser, page, out, width=width, height=args.height, profile=Path(profile))
                print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
