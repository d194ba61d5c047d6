#!/usr/bin/env python3
"""iapt-ds benchmark: a bare ``csv.reader`` pass, then read, validate and report, on the same files.

    python benchmarks/run.py [--sizes 100k,1M,3M,10M] [--faults 0.03] [--engines python,duckdb]
                             [--jobs 1,2] [--timeout 900] [--out benchmarks/out/results.json]

For each size it writes a deterministic synthetic submission with the distinct values of a real
file (:mod:`iapt_ds.synthetic`, ``variety="realistic"``; clean, and with ``--faults`` a faulty
twin) as a CSV folder. Then, each in a fresh Python process on those same files:

* the yardstick: a bare ``csv.reader`` pass over every file (each row read, nothing done);
* iapt-ds, for each engine (``python``, the reference; ``duckdb``, ``spark`` when installed), stage by
  stage: ``read`` (CSV folder to typed columns), ``validate`` (every rule, uniqueness, the cascade,
  the file outcome) and ``report`` (the JSON report, written to the null device), and ``end to
  end``; an engine that is not installed is said so, one that runs past ``--timeout`` is said so;
* with ``--jobs 1,2``, the python engine as ``validate(folder, jobs=N)`` for each N (``py -jN``):
  reading and validating in one stage, the CSV folder read and its row rules run over N
  processes; its CPU seconds and peak memory count the worker processes too.

For each it prints CPU seconds (user + system of the process and of its live child processes, so
the Spark engine's JVM counts; what matters on a shared machine),
wall seconds, rows/s (by CPU), CPU microseconds per row, the peak resident memory reached by the
end of the stage, and the ratios of CPU and of wall time to the ``csv.reader`` pass on the same
files, with the machine's load average when the run started, and writes all of it as JSON. ``--engine-root`` times another checkout's engine on the same files (e.g. a
before/after comparison). A benchmark, not a test: nothing fails on speed.
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
folder, engine = {folder!r}, {engine!r}
spec = iapt_ds.load_spec()
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
stages = {{}}
def children_cpu():  # live child processes (the Spark engine's JVM), where /proc tells
    total = 0.0
    if os.path.isdir("/proc"):
        me = str(os.getpid())
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/" + pid + "/stat") as fh:
                    st = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if st[1] == me:
                total += (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
    return total
def clock():
    return time.process_time() + children_cpu(), time.perf_counter()
def lap(name, start):
    c, w = clock()
    stages[name] = [c - start[0], w - start[1], peak()]
kw = {{}}
if engine == "duckdb":  # it reads a CSV folder itself (DuckDB's read_csv), into its own database
    from iapt_ds.engines.duckdb import DuckDBEngine
    kw = {{"engine": DuckDBEngine()}}
elif engine != "python":
    kw = {{"engine": engine}}
t = clock()
sub = kw["engine"].read(folder, spec=spec) if hasattr(kw.get("engine"), "read") else read_csv_folder(folder, spec=spec)
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

# validate(..., jobs=N) reads a CSV folder itself (over N processes), so reading and validating
# are one stage here; CPU and peak memory count the worker processes too (they have ended)
_JOBS = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
import iapt_ds
from iapt_ds.report import write_report
folder, jobs = {folder!r}, {jobs!r}
def usage():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, max(me.ru_maxrss, kids.ru_maxrss) / 1024
stages = {{}}
def clock():
    return usage()[0], time.perf_counter()
def lap(name, start):
    c, w = clock()
    stages[name] = [c - start[0], w - start[1], usage()[1]]
if __name__ == "__main__":
    spec = iapt_ds.load_spec()
    t = clock()
    result = iapt_ds.validate(folder, spec=spec, jobs=jobs, **{upload!r})
    lap("read+valid.", t)
    t = clock()
    with open(os.devnull, "w", encoding="utf-8") as out:
        write_report(result, out, "json", spec=spec)
    lap("report", t)
    me = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({{"rows": sum(t.read for t in result.tables.values()), "findings": len(result.findings),
                      "outcome": result.outcome, "stages": stages, "parent_cpu_s": me.ru_utime + me.ru_stime}}))
"""


def _child(code: str, timeout: float | None = None) -> dict | None:
    """What the child printed last (JSON); None when it ran past *timeout* seconds."""
    try:
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def _installed(engine: str, root: Path) -> bool:
    if engine == "python":
        return True
    module = {"spark": "pyspark"}.get(engine, engine)
    code = f"import sys; sys.path.insert(0, {str(root)!r}); import {module}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


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


def _figures(v: list[float], n: int, csv_cpu: float, csv_wall: float) -> dict:
    cpu, wall, peak = v
    return {"cpu_s": round(cpu, 3), "wall_s": round(wall, 3), "rows_per_cpu_s": round(n / cpu) if cpu else None,
            "cpu_us_per_row": round(cpu / n * 1e6, 3), "peak_mb": round(peak),
            "cpu_vs_csv_reader": round(cpu / csv_cpu, 2) if csv_cpu else None,
            "wall_vs_csv_reader": round(wall / csv_wall, 2) if csv_wall else None}


def _line(size: int, label: str, engine: str, stage: str, v: list[float], n: int, csv_cpu: float,
          csv_wall: float) -> None:
    cpu, wall, peak = v
    print(f"{_label(size):>5} {label:>6} {engine:>7} {stage:>11} {cpu:7.2f} {wall:7.2f} {n / cpu:10,.0f} "
          f"{cpu / n * 1e6:7.2f} {peak:8.0f} {cpu / csv_cpu:7.1f} {wall / csv_wall:8.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100k,1M", help="rows per submission, comma separated (100k,1M,3M,10M)")
    ap.add_argument("--faults", type=float, default=0.03, help="share of faulty rows in the faulty twin (0: none)")
    ap.add_argument("--engines", default="python,duckdb",
                    help="engines to time, comma separated (python, duckdb, spark); one not installed is skipped, said so")
    ap.add_argument("--jobs", default="",
                    help="also time the python engine with validate(..., jobs=N) for each N, comma separated "
                         "(e.g. 1,2): the folder read and its row rules run over N processes")
    ap.add_argument("--timeout", type=float, default=900, help="seconds an engine may take on one file")
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
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    jobs = [int(j) for j in args.jobs.split(",") if j.strip()]
    if any(j < 1 for j in jobs):
        ap.error("--jobs takes whole numbers of processes, 1 or more")
    results["load_average"] = os.getloadavg()
    results["engines"] = {e: _installed(e, engine_root) for e in engines}
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs; "
          f"engines: {', '.join(e + ('' if ok else ' (not installed)') for e, ok in results['engines'].items())}")
    print(f"{'size':>5} {'data':>6} {'engine':>7} {'stage':>11} {'CPU s':>7} {'wall s':>7} {'rows/s':>10} "
          f"{'µs/row':>7} {'peak MB':>8} {'CPU×csv':>7} {'wall×csv':>8}")
    tmp = Path(tempfile.mkdtemp(prefix="iapt-ds-bench-"))
    try:
        for size in sizes:
            variants = [("clean", 0.0)] + ([("faulty", args.faults)] if args.faults else [])
            whole: dict[tuple[str, str], float] = {}  # (engine, variant) -> end-to-end CPU
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
                assert yard is not None
                csv_cpu, csv_wall = yard["stages"]["csv.reader"][:2]
                record: dict = {"size": size, "variant": label, "csv_mb": round(mb, 1), "generate_s": gen,
                                "csv.reader": _figures(yard["stages"]["csv.reader"], yard["rows"], csv_cpu, csv_wall),
                                "engines": {}}
                _line(size, label, "", "csv.reader", yard["stages"]["csv.reader"], yard["rows"], csv_cpu, csv_wall)
                runs = [(e, _ENGINE.format(root=str(engine_root), folder=str(folder), upload=UPLOAD, engine=e),
                         ("read", "validate", "report")) for e in engines if results["engines"][e]]
                runs += [(f"py -j{j}", _JOBS.format(root=str(engine_root), folder=str(folder), upload=UPLOAD, jobs=j),
                          ("read+valid.", "report")) for j in jobs]
                for engine, code, names in runs:
                    run = _child(code, timeout=args.timeout)
                    if run is None:
                        print(f"{_label(size):>5} {label:>6} {engine:>7}  ran past {args.timeout:.0f} s: no figures")
                        record["engines"][engine] = {"timed_out_after_s": args.timeout}
                        continue
                    stages = dict(run["stages"])
                    stages["end to end"] = [sum(stages[s][0] for s in names), sum(stages[s][1] for s in names),
                                            max(stages[s][2] for s in names)]
                    n = run["rows"]
                    record["rows"] = n
                    record["engines"][engine] = {"findings": run["findings"], "outcome": run["outcome"],
                                                 "stages": {s: _figures(v, n, csv_cpu, csv_wall)
                                                            for s, v in stages.items()}}
                    for stage, v in stages.items():
                        _line(size, label, engine, stage, v, n, csv_cpu, csv_wall)
                    whole[(engine, label)] = stages["end to end"][0]
                    alone = ""
                    if "parent_cpu_s" in run:  # what the parent did itself: the wall time on an idle machine, nearly
                        record["engines"][engine]["parent_cpu_s"] = round(run["parent_cpu_s"], 3)
                        alone = f"; {run['parent_cpu_s']:.2f} CPU s in the parent process itself"
                    print(f"{'':>5} {'':>6} {'':>7} ({run['findings']} findings, {run['outcome']}; "
                          f"{mb:.0f} MB of CSV{alone})")
                results["runs"].append(record)
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
            for engine in engines + [f"py -j{j}" for j in jobs]:
                if (engine, "clean") in whole and (engine, "faulty") in whole:
                    ratio = whole[(engine, "faulty")] / whole[(engine, "clean")]
                    print(f"{_label(size):>5} {engine}: faulty end to end = {ratio:.2f}× clean (CPU)")
                    results.setdefault("faulty_vs_clean", {}).setdefault(engine, {})[_label(size)] = round(ratio, 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    if jobs:
        print("py -jN: validate(folder, jobs=N), reading included (read+valid.); its CPU counts the worker "
              "processes too, so compare its wall time")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
