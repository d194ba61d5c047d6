#!/usr/bin/env python3
"""Show that a refactoring changed no report: the JSON report of the bundled example and of a
faulty synthetic submission (100k rows, seed 1, 3% faults), made with the code of a git ref
(default ``main``) and with the working tree, must be byte-identical.

    python3 scripts/same_reports.py [REF] [--rows N]

Exit 0 when every pair is identical, 1 otherwise (naming the first differing line). The one
thing that differs between any two runs, the time of the run (``"run_at"``), is left out.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_MAKE = r"""
import io, shutil, sys
from pathlib import Path
from iapt_ds import example_path, validate
from iapt_ds.report.json import write_json
from iapt_ds.synthetic import write_csv_folder
rows, out, synth = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
if not synth.exists():
    write_csv_folder(synth, rows=rows, seed=1, fault_rate=0.03)
example = synth.parent / "example"   # one path for both runs: the report names its source
if not example.exists():
    shutil.copytree(example_path(), example)
kw = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")
for name, path in (("example", example), ("synthetic", synth)):
    buf = io.StringIO()
    write_json(validate(path, **kw), buf)
    (out / f"{name}.json").write_text(buf.getvalue(), encoding="utf-8")
"""


def _reports(code: Path, out: Path, rows: int, synth: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(code))
    subprocess.run([sys.executable, "-c", _MAKE, str(rows), str(out), str(synth)], check=True, env=env, cwd=code)


def _steady(report: bytes) -> bytes:
    return re.sub(rb'"run_at": "[^"]*"', b'"run_at": "-"', report)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ref", nargs="?", default="main")
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        before = t / "before-code"
        before.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        # the synthetic submission is written once, by the old code, and read by both
        synth = t / "synthetic"
        _reports(before, t / "before", args.rows, synth)
        _reports(ROOT, t / "after", args.rows, synth)
        # ... and the new code must write the same synthetic submission
        synth_new = t / "new" / "synthetic"
        _reports(ROOT, t / "after-own", args.rows, synth_new)
        same = True
        for f in sorted(synth.iterdir()):
            if f.read_bytes() != (synth_new / f.name).read_bytes():
                print(f"synthetic submission: {f.name} written differently by the new code")
                same = False
        if same:
            print("synthetic submission: written identically by both")
        pairs = [("example", t / "before", t / "after"), ("synthetic", t / "before", t / "after")]
        for label, a_dir, b_dir in pairs:
            a, b = (_steady((d / f"{label}.json").read_bytes()) for d in (a_dir, b_dir))
            if a == b:
                print(f"{label}: identical ({len(a):,} bytes)")
            else:
                same = False
                for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), 1):
                    if x != y:
                        print(f"{label}: DIFFERS at line {n}:\n  {args.ref}: {x[:200]!r}\n  now: {y[:200]!r}")
                        break
                else:
                    print(f"{label}: DIFFERS in length ({len(a)} vs {len(b)} bytes)")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
