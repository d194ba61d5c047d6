"""Time the measures against validation itself, in one process, on a synthetic submission.

    python3 scripts/bench_measures.py [ROWS] [--fault-rate R] [--seed N] [--folder DIR]

Writes (or reuses, with --folder) a synthetic CSV folder of about ROWS rows, then measures CPU
and wall time of: reading it, validating it, and computing its measures (per referral, totals and
what the findings cost). The machine may be shared: compare the ratios of one run, not runs.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import iapt_ds
from iapt_ds import measures, synthetic


def _timed(label: str, fn):
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    c, w = time.process_time() - c0, time.perf_counter() - w0
    print(f"{label:<28} cpu {c:8.2f} s   wall {w:8.2f} s")
    return out, c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--fault-rate", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or tmp)
        if not (folder / "IDS000Header.csv").exists():
            counts = synthetic.write_csv_folder(folder, rows=args.rows, seed=args.seed, fault_rate=args.fault_rate)
            print(f"wrote {sum(counts.values())} rows ({counts['IDS101']} referrals), fault rate {args.fault_rate}")
        sub, _ = _timed("read", lambda: iapt_ds.read(folder))
        result, v = _timed("validate (read excluded)", lambda: iapt_ds.validate(sub, period="2021-03", provider="R1Z"))
        print(f"  {result!r}")
        p, m = _timed("measures + cost", lambda: measures.compute(sub, result))
        _, m0 = _timed("measures without cost", lambda: measures.compute(sub, result, cost=False))
        print(f"  finished {p.totals['finished']}, recovered {p.totals['recovered']}, "
              f"{len(p.costs)} codes costed; if all accepted: finished {p.if_all_accepted['finished']}")
        print(f"measures / validation CPU: {m / v:.2f} (without cost {m0 / v:.2f})")


if __name__ == "__main__":
    main()
