#!/usr/bin/env python3
"""iapt-ds benchmark: read, validate and write a report for synthetic submissions of several sizes.

    python benchmarks/run.py [--sizes 10000,100000,1000000] [--faults 0.03] [--out benchmarks/out/results.json]

For each size it writes a deterministic synthetic submission (iapt_ds.synthetic; clean, and
with --faults a faulty twin) as a CSV folder, then in a fresh Python process per input kind
(CSV folder, in-memory rows) times each stage — reading, full validation (every rule, the
cascade, the file outcome), writing the JSON and CSV reports — and records rows/s and the peak
resident memory reached by the end of each stage. A benchmark, not a test: nothing fails on speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")

# runs in a fresh interpreter so that peak memory belongs to one measurement
_CHILD = r"""
import csv, io, json, os, resource, sys, time
sys.path.insert(0, {root!r})
import iapt_ds
from iapt_ds.readers import read_csv_folder, read_rows
folder, kind = {folder!r}, {kind!r}
spec = iapt_ds.load_spec()
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
stages = {{}}
base = peak()
rows = None
if kind == "rows":
    rows = {{}}
    for t in spec.tables.values():
        with open(os.path.join(folder, t.name + ".csv"), encoding="utf-8", newline="") as fh:
            rows[t.name] = [{{k: (v or None) for k, v in r.items()}} for r in csv.DictReader(fh)]
    base = peak()
t0 = time.perf_counter()
sub = read_csv_folder(folder, spec=spec) if kind == "csv" else read_rows(rows, spec=spec)
stages["read"] = (time.perf_counter() - t0, peak())
rows = None
t0 = time.perf_counter()
result = iapt_ds.validate(sub, spec=spec, **{upload!r})
stages["validate"] = (time.perf_counter() - t0, peak())
try:
    from iapt_ds.report import write_report
except ImportError:
    write_report = None
if write_report is not None:
    for fmt in ("json", "csv"):
        t0 = time.perf_counter()
        with open(os.devnull, "w", encoding="utf-8") as out:
            write_report(result, out, fmt, spec=spec)
        stages["report_" + fmt] = (time.perf_counter() - t0, peak())
print(json.dumps({{"rows": sub.row_count, "findings": len(result.findings), "outcome": result.outcome,
                  "baseline_mb": base, "stages": stages}}))
"""


def run_child(folder: Path, kind: str) -> dict:
    code = _CHILD.format(root=str(ROOT), folder=str(folder), kind=kind, upload=UPLOAD)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    from iapt_ds.synthetic import write_csv_folder

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--faults", type=float, default=0.03, help="share of faulty rows in the faulty twin (0: none)")
    ap.add_argument("--kinds", default="csv,rows")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "results.json")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                           "cpus": os.cpu_count()}, "runs": []}
    print(f"{'size':>9} {'input':>6} {'data':>6} {'stage':>12} {'seconds':>8} {'rows/s':>11} {'peak MB':>8}")
    with tempfile.TemporaryDirectory(prefix="iapt-ds-bench-") as tmp:
        for size in sizes:
            variants = [("clean", 0.0)] + ([("faulty", args.faults)] if args.faults else [])
            for label, rate in variants:
                folder = Path(tmp) / f"{size}-{label}"
                t0 = time.perf_counter()
                write_csv_folder(folder, rows=size, seed=size, fault_rate=rate)
                gen_s = time.perf_counter() - t0
                mb = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
                for kind in args.kinds.split(","):
                    r = run_child(folder, kind)
                    total = 0.0
                    for stage, (secs, peak) in r["stages"].items():
                        total += secs if stage in ("read", "validate") else 0.0
                        print(f"{size:>9} {kind:>6} {label:>6} {stage:>12} {secs:8.2f} {r['rows'] / secs:11,.0f} {peak:8.0f}")
                    print(f"{size:>9} {kind:>6} {label:>6} {'end to end':>12} {total:8.2f} {r['rows'] / total:11,.0f}"
                          f"   ({r['findings']} findings, {r['outcome']})")
                    results["runs"].append({"size": size, "variant": label, "input": kind, "csv_mb": round(mb, 1),
                                            "generate_s": round(gen_s, 2), **r,
                                            "read_validate_rows_per_s": round(r["rows"] / total)})
                # the folder of this size is no longer needed
                for p in folder.iterdir():
                    p.unlink()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
