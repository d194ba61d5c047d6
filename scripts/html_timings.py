"""Time an HTML report in headless Chromium: load (navigation start to the page's script done),
one filter, one sort and one first text search (which builds its index), each as the page itself measures it (``data-ready-ms``, ``data-filter-ms``,
``data-sort-ms`` on ``<html>``), including the rendering of the first page of rows.

    python3 scripts/html_timings.py REPORT.html [--runs 3]
    python3 scripts/html_timings.py --rows 100000 [--fault-rate 0.03]   # makes the report first

Needs Chromium (Debian: apt-get install chromium). Prints one line per measure, the median of
the runs.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not found:
        sys.exit("html_timings.py: no Chromium found (Debian: apt-get install chromium)")
    return found


def measure(page: Path, fragment: str, work: Path) -> dict[str, float]:
    """The page's own timings, loaded with *fragment* (e.g. ``#code=IDS00211``)."""
    profile = Path(tempfile.mkdtemp(dir=work))
    start = time.perf_counter()
    dom = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri() + fragment],
                         capture_output=True, text=True, timeout=600).stdout
    wall = time.perf_counter() - start
    tag = re.search(r"<html[^>]*>", dom)
    head = tag.group(0) if tag else ""
    found = {k: float(v) for k, v in re.findall(r'data-(\w+)-ms="(\d+)"', head)}
    found["chromium-wall"] = round(wall * 1000)
    shutil.rmtree(profile, ignore_errors=True)
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", nargs="?", type=Path)
    ap.add_argument("--rows", type=int, help="make a synthetic submission of this many rows and report on it")
    ap.add_argument("--fault-rate", type=float, default=0.03)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        page = args.report
        if page is None:
            if not args.rows:
                ap.error("give REPORT.html or --rows N")
            import iapt_ds
            from iapt_ds.report import write_html
            from iapt_ds.synthetic import write_csv_folder
            folder = write_csv_folder(work / "sub", rows=args.rows, seed=1, fault_rate=args.fault_rate)
            result = iapt_ds.validate(folder, period="2021-03", provider="R1Z", sender="R1Z")
            page = work / "report.html"
            start = time.perf_counter()
            with page.open("w", encoding="utf-8") as fh:
                write_html(result, fh)
            print(f"{len(result.findings)} findings; page {page.stat().st_size / 1e6:.1f} MB written in "
                  f"{time.perf_counter() - start:.1f} s")
        runs = {"load": [], "filter": [], "sort": [], "search": []}
        for _ in range(args.runs):
            runs["load"].append(measure(page, "", work).get("ready", float("nan")))
            runs["filter"].append(measure(page, "#sev=group", work).get("filter", float("nan")))
            runs["sort"].append(measure(page, "#sort=-value", work).get("sort", float("nan")))
            runs["search"].append(measure(page, "#q=wrong", work).get("filter", float("nan")))
        for name, values in runs.items():
            print(f"{name:<7} {statistics.median(values):8.0f} ms   (runs: {', '.join(f'{v:.0f}' for v in values)})")


if __name__ == "__main__":
    main()
