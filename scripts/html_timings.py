"""Time an HTML report in headless Chromium as a person uses it: load (navigation start to the
page's script done, ``data-ready-ms``), then on the loaded page a filter change (the severity
select), a sort (a click on the Value header, then again for descending), a code filter and a
first text search (which builds its index), each from the event to the next frame painted. The
CPU time Chromium used over the whole run is printed too: the machine may be shared.

    python3 scripts/html_timings.py REPORT.html [--runs 3]
    python3 scripts/html_timings.py --rows 100000 [--fault-rate 0.03]   # makes the report first

Needs Chromium (Debian: apt-get install chromium). Prints one line per measure, the median of
the runs. Drives Chromium with tests/_chromium.py (its DevTools protocol over a pipe).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _chromium import CHROMIUM, Browser  # noqa: E402

_SELECT = ("var s = document.getElementById('{id}'); s.value = {value!r}; "
           "s.dispatchEvent(new Event('change'));")
_CLICK = "document.querySelector('#findings-table th[data-sort=\"{key}\"]').click();"
_TYPE = ("var t = document.getElementById('f-text'); t.value = {value!r}; "
         "document.getElementById('f-sev').dispatchEvent(new Event('change'));")


def measure(page: Path, shots: Path | None) -> tuple[dict[str, float], dict[str, float]]:
    """One run on a fresh browser: (milliseconds to the painted frame, milliseconds of the page's
    main-thread work) for each measure."""
    out: dict[str, float] = {}
    work: dict[str, float] = {}

    with Browser(1400, 1000, timeout=600) as browser:
        browser.open(page.as_uri())
        out["load"] = float(browser.js("Number(document.documentElement.dataset.readyMs)"))
        work["load"] = browser.busy() * 1000
        b = _Recorder(browser, out, work)
        if shots:
            browser.screenshot(shots / "loaded.png")
        b.run("filter", _SELECT.format(id="f-sev", value="record"))
        b.run("unfilter", _SELECT.format(id="f-sev", value=""))
        b.run("sort", _CLICK.format(key="value"))
        b.run("sort-desc", _CLICK.format(key="value"))
        if shots:
            browser.js("document.getElementById('findings').scrollIntoView()")
            browser.screenshot(shots / "sorted.png")
        code = browser.js("document.getElementById('f-code').options[1].value")
        b.run("code", _SELECT.format(id="f-code", value=code))
        browser.timed(_SELECT.format(id="f-code", value=""))
        b.run("search", _TYPE.format(value="wrong"))
        b.run("search-2", _TYPE.format(value="wrong length"))
        if shots:
            browser.screenshot(shots / "searched.png")
    return out, work


class _Recorder:
    def __init__(self, browser: Browser, out: dict[str, float], work: dict[str, float]) -> None:
        self.browser, self.out, self.work = browser, out, work

    def run(self, name: str, action: str) -> None:
        self.out[name], self.work[name] = self.browser.timed_busy(action)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", nargs="?", type=Path)
    ap.add_argument("--rows", type=int, help="make a synthetic submission of this many rows and report on it")
    ap.add_argument("--fault-rate", type=float, default=0.03)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--screenshots", type=Path, help="a folder for screenshots of the first run")
    args = ap.parse_args()
    if CHROMIUM is None:
        sys.exit("html_timings.py: no Chromium found (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        page = args.report
        if page is None:
            if not args.rows:
                ap.error("give REPORT.html or --rows N")
            import iapt_ds
            from iapt_ds.report import write_html
            from iapt_ds.synthetic import write_csv_folder
            folder = work / "sub"
            write_csv_folder(folder, rows=args.rows, seed=1, fault_rate=args.fault_rate)
            result = iapt_ds.validate(folder, period="2021-03", provider="R1Z", sender="R1Z")
            page = work / "report.html"
            start, cpu = time.perf_counter(), time.process_time()
            with page.open("w", encoding="utf-8") as fh:
                write_html(result, fh)
            print(f"{len(result.findings)} findings; page {page.stat().st_size / 1e6:.1f} MB written in "
                  f"{time.perf_counter() - start:.1f} s ({time.process_time() - cpu:.1f} s CPU)")
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
        runs: dict[str, list[float]] = {}
        busy: dict[str, list[float]] = {}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for n in range(args.runs):
            wall, work_ms = measure(page, args.screenshots if n == 0 else None)
            for name, ms in wall.items():
                runs.setdefault(name, []).append(ms)
                busy.setdefault(name, []).append(work_ms[name])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"{'':<9} {'to paint':>11} {'main thread':>13}   runs (to paint)")
        for name, values in runs.items():
            print(f"{name:<9} {statistics.median(values):8.0f} ms {statistics.median(busy[name]):10.0f} ms"
                  f"   {', '.join(f'{v:.0f}' for v in values)}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"Chromium CPU over {args.runs} runs: {cpu:.1f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
