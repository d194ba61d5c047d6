"""Time the Excel report of a big result: CPU and wall time to write it, the workbook's size,
and peak memory (RSS) after validating and after writing (``--alone``: also of validating alone in
a fresh process).

    python3 scripts/xlsx_timings.py SUBMISSION [--period 2021-03]
    python3 scripts/xlsx_timings.py --rows 1000000 --fault-rate 0.27   # makes the submission first

A 3%-faulty file gives about 130,000 findings per million rows; about 0.27 gives a million.
Times are CPU (the process's own) beside wall: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time
import iapt_ds
from iapt_ds.report import write_report
src, period, out = sys.argv[1], sys.argv[2], sys.argv[3]
c0, w0 = time.process_time(), time.perf_counter()
result = iapt_ds.validate(src, period=period, provider="R1Z", sender="R1Z")
c1, w1 = time.process_time(), time.perf_counter()
peak_validated = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
info = {"findings": len(result.findings), "validate_cpu": c1 - c0, "validate_wall": w1 - w0,
        "peak_validated_mb": peak_validated / 1024}
if out != "-":
    write_report(result, out, "xlsx")
    c2, w2 = time.process_time(), time.perf_counter()
    info.update(write_cpu=c2 - c1, write_wall=w2 - w1,
                peak_written_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(info))
"""


def run(src: Path, period: str, out: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(src), period, out], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("submission", nargs="?", type=Path)
    ap.add_argument("--rows", type=int)
    ap.add_argument("--fault-rate", type=float, default=0.27)
    ap.add_argument("--period", default="2021-03")
    ap.add_argument("--alone", action="store_true", help="also validate alone in a fresh process, for its peak")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = args.submission
        if src is None:
            if not args.rows:
                ap.error("give SUBMISSION or --rows N")
            from iapt_ds.synthetic import write_csv_folder
            src = Path(tmp) / "sub"
            write_csv_folder(src, rows=args.rows, seed=1, fault_rate=args.fault_rate)
        book = Path(tmp) / "report.xlsx"
        alone = run(src, args.period, "-") if args.alone else None
        both = run(src, args.period, str(book))
        print(f"{both['findings']:,} findings; validate {both['validate_cpu']:.1f} s CPU "
              f"({both['validate_wall']:.1f} s wall)")
        print(f"xlsx written in {both['write_cpu']:.1f} s CPU ({both['write_wall']:.1f} s wall); "
              f"{book.stat().st_size / 1e6:.1f} MB")
        print(f"peak RSS: after validating {both['peak_validated_mb']:.0f} MB, after writing "
              f"{both['peak_written_mb']:.0f} MB" + (f"; validating alone in a fresh process "
                                                   f"{alone['peak_validated_mb']:.0f} MB" if alone else ""))


if __name__ == "__main__":
    main()
