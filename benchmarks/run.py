#!/usr/bin/env python3
"""iapt-ds benchmark: a bare ``csv.reader`` pass, then read, validate and report, on the same files.

    python benchmarks/run.py [--sizes 100k,1M,3M,10M] [--faults 0.03] [--out benchmarks/out/results.json]

For each size it writes a deterministic synthetic submission with the distinct values of a real
file (:mod:`iapt_ds.synthetic`, ``variety="realistic"``; clean, and with ``--faults`` a faulty
twin) as a CSV folder. Then, each in a fresh Python process on those same files:

* the yardstick: a bare ``csv.reader`` pass over every file (each row read, nothing done);
* iapt-ds, stage by stage: ``read`` (CSV folder to typed columns), ``validate`` (every rule,
  uniqueness, the cascade, the file outcome) and ``report`` (the JSON report, written to the null
  device).

For each it prints CPU seconds (user + system of the process, what matters on a shared machine),
wall seconds, rows/s (by CPU), CPU microseconds per row, the peak resident memory reached by the
end of the stage, and the ratio of CPU to the ``csv.reader`` pass on the same files, and writes all
of it as JSON. ``--engine-root`` times another checkout's engine on the same files (e.g. a
before/after comparison). ``--engines python,duckdb`` also times the DuckDB engine, which reads the
folder itself (``read+validate`` as one stage, then ``report``), and checks that it found as many
findings. A benchmark, not a test: nothing fails on speed.
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

ROOT = Path(__file__).resolve().parent.parent

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")

# each runs in a fresh interpreter, so that peak memory and CPU belong to one measurement
_CSV_PASS = r"""
import csv, json, os, resource, sys, time
folder = {folder!r}
c0, w0 = time.process_time(), time.perf_counter()
rows = 0
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            rows += 1
print(json.dumps({{"rows": rows, "stages": {{"csv.reader": [time.process_time() - c0, time.perf_counter() - w0,
                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]}}}}))
"""

_ENGINE = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
import iapt_ds
from iapt_ds.readers import read_csv_folder
from iapt_ds.report import write_report
folder, jobs = {folder!r}, {jobs!r}
spec = iapt_ds.load_spec()
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
stages = {{}}
def clock():
    return time.process_time(), time.perf_counter()
def lap(name, start):
    c, w = clock()
    stages[name] = [c - start[0], w - start[1], peak()]
kw = {{"jobs": jobs}} if jobs > 1 else {{}}
t = clock()
sub = read_csv_folder(folder, spec=spec)
lap("read", t)
t = clock()
result = iapt_ds.validate(sub, spec=spec, **{upload!r}, **kw)
lap("validate", t)
t = clock()
with open(os.devnull, "w", encoding="utf-8") as out:
    write_report(result, out, "json", spec=spec)
lap("report", t)
print(json.dumps({{"rows": sub.row_count, "findings": len(result.findings), "outcome": result.outcome,
                  "stages": stages}}))
"""

_JOBS_ENGINE = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
import iapt_ds
from iapt_ds.report import write_report
folder, jobs = {folder!r}, {jobs!r}
spec = iapt_ds.load_spec()
def usage():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
stages = {{}}
c0, w0 = usage(), time.perf_counter()
result = iapt_ds.validate(folder, spec=spec, jobs=jobs, **{upload!r})
c1, w1 = usage(), time.perf_counter()
stages["read+validate"] = [c1 - c0, w1 - w0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
with open(os.devnull, "w", encoding="utf-8") as out:
    write_report(result, out, "json", spec=spec)
c2, w2 = usage(), time.perf_counter()
stages["report"] = [c2 - c1, w2 - w1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
print(json.dumps({{"rows": sum(t.read for t in result.tables.values()), "findings": len(result.findings),
                  "outcome": result.outcome, "stages": stages}}))
"""


# an engine other than Python's reads the folder itself: read and validate are one stage
_OTHER_ENGINE = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
import iapt_ds
from iapt_ds.report import write_report
folder, engine = {folder!r}, {engine!r}
spec = iapt_ds.load_spec()
import duckdb  # the engine's package, imported before the clock starts (as iapt_ds is)
stages = {{}}
c0, w0 = time.process_time(), time.perf_counter()
result = iapt_ds.validate(folder, spec=spec, engine=engine, **{upload!r})
c1, w1 = time.process_time(), time.perf_counter()
stages["read+validate"] = [c1 - c0, w1 - w0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
with open(os.devnull, "w", encoding="utf-8") as out:
    write_report(result, out, "json", spec=spec)
c2, w2 = time.process_time(), time.perf_counter()
stages["report"] = [c2 - c1, w2 - w1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
print(json.dumps({{"rows": sum(t.read for t in result.tables.values()), "findings": len(result.findings),
                  "outcome": result.outcome, "stages": stages}}))
"""


def _child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _size(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    for suffix, mult in (("k", 1_000), ("m", 1_000_000)):
        if t.endswith(suffix):
            return int(float(t[:-1]) * mult)
    return int(t)


def _label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100k,1M", help="rows per submission, comma separated (100k,1M,3M,10M)")
    ap.add_argument("--faults", type=float, default=0.03, help="share of faulty rows in the faulty twin (0: none)")
    ap.add_argument("--jobs", type=int, default=1, help="also time validate(jobs=N) end to end when N > 1")
    ap.add_argument("--engines", default="python",
                    help="engines to time, comma separated (python, duckdb): each other than python "
                         "reads the folder itself, so its read and validate are one stage")
    ap.add_argument("--engine-root", type=Path, default=ROOT,
                    help="the checkout whose iapt_ds is timed (default: this one); the files always come "
                         "from this checkout's generator")
    ap.add_argument("--keep", type=Path, help="keep the generated folders here (reused when present)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "results.json")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from iapt_ds.synthetic import write_csv_folder

    sizes = [_size(s) for s in args.sizes.split(",")]
    engine_root = args.engine_root.resolve()
    head = subprocess.run(["git", "-C", str(engine_root), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    results = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                           "cpus": os.cpu_count()},
               "engine": {"root": engine_root.name, "commit": head or None}, "runs": []}
    print(f"{'size':>5} {'data':>6} {'stage':>22} {'CPU s':>7} {'wall s':>7} {'rows/s':>10} {'µs/row':>7} "
          f"{'peak MB':>8} {'× csv':>6}")
    tmp = Path(tempfile.mkdtemp(prefix="iapt-ds-bench-"))
    try:
        for size in sizes:
            variants = [("clean", 0.0)] + ([("faulty", args.faults)] if args.faults else [])
            for label, rate in variants:
                base = args.keep or tmp
                folder = base / f"{_label(size)}-{label}"
                gen = None
                if not (args.keep and folder.is_dir()):
                    shutil.rmtree(folder, ignore_errors=True)
                    c0, w0 = time.process_time(), time.perf_counter()
                    write_csv_folder(folder, rows=size, seed=size, fault_rate=rate)
                    gen = [time.process_time() - c0, time.perf_counter() - w0]
                mb = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
                yard = _child(_CSV_PASS.format(folder=str(folder)))
                run = _child(_ENGINE.format(root=str(engine_root), folder=str(folder), upload=UPLOAD, jobs=1))
                stages = {**yard["stages"], **run["stages"]}
                stages["end to end"] = [sum(run["stages"][s][0] for s in ("read", "validate", "report")),
                                        sum(run["stages"][s][1] for s in ("read", "validate", "report")),
                                        max(run["stages"][s][2] for s in ("read", "validate", "report"))]
                for engine in (e.strip() for e in args.engines.split(",")):
                    if engine == "python" or not engine:
                        continue
                    other = _child(_OTHER_ENGINE.format(root=str(engine_root), folder=str(folder), upload=UPLOAD,
                                                        engine=engine))
                    assert other["findings"] == run["findings"], (engine, other["findings"], run["findings"])
                    for s, v in other["stages"].items():
                        stages[f"{engine} {s}"] = v
                    stages[f"{engine} end to end"] = [sum(other["stages"][s][k] for s in other["stages"])
                                                      for k in (0, 1)] + [max(v[2] for v in other["stages"].values())]
                if args.jobs > 1:
                    par = _child(_JOBS_ENGINE.format(root=str(engine_root), folder=str(folder), upload=UPLOAD,
                                                     jobs=args.jobs))
                    for s, v in par["stages"].items():
                        stages[f"{s} -j{args.jobs}"] = v
                csv_cpu, csv_wall = yard["stages"]["csv.reader"][:2]
                n = run["rows"]
                record = {"size": size, "variant": label, "rows": n, "csv_mb": round(mb, 1), "generate_s": gen,
                          "findings": run["findings"], "outcome": run["outcome"], "stages": {}}
                for stage, (cpu, wall, peak) in stages.items():
                    ratio = cpu / csv_cpu if csv_cpu else float("nan")
                    wall_ratio = wall / csv_wall if csv_wall else float("nan")
                    print(f"{_label(size):>5} {label:>6} {stage:>22} {cpu:7.2f} {wall:7.2f} {n / cpu:10,.0f} "
                          f"{cpu / n * 1e6:7.2f} {peak:8.0f} {ratio:6.1f}")
                    record["stages"][stage] = {"cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
                                               "rows_per_cpu_s": round(n / cpu), "cpu_us_per_row": round(cpu / n * 1e6, 3),
                                               "peak_mb": round(peak), "cpu_vs_csv_reader": round(ratio, 2),
                                               "wall_vs_csv_reader": round(wall_ratio, 2)}
                print(f"{'':>5} {'':>6} {'':>22} ({run['findings']} findings, {run['outcome']}; {mb:.0f} MB of CSV)")
                results["runs"].append(record)
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
