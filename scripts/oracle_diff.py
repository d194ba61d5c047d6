#!/usr/bin/env python3
"""Differential test against NHS Digital's own v2.0 rules (the "oracle"; not part of CI).

Runs the oracle (see its README in the shared folder) and iapt-ds on the same CSV-folder
submission and compares, finding by finding, the (code, table, row) sets and each row's
accepted/rejected outcome. Prints the differences and exits 1 when there are any.

    scripts/oracle_diff.py FOLDER --period 2021-03 --provider R1Z --sender R1Z \\
        --submitted 2021-04-05T12:00:00 [--oracle-dir DIR] [--oracle-python PY] [--oracle-json OUT]
        [--master local[1]] [--save [--data FILE] [--rows N --seed S --fault-rate F --variety V]]

With --save, FOLDER is first filled with the synthetic submission described in the pinned data
file (--data, default tests/data/oracle_synthetic_30k_realistic.json; the older
tests/data/oracle_synthetic_30k.json is the same comparison on the "templates" variety) and the
oracle's answer is stored there for the CI test (tests/test_oracle_agreement.py). A data file that
does not exist yet is made from --rows, --seed, --fault-rate and --variety.

Rules the oracle cannot judge are left out of the comparison: the reference-data warnings (the
oracle accepts every code) and the codes whose SDCS implementation is not public, which the
oracle reconstructs differently or not at all (IDSREJ001/012/015/101, IDS10129, IDS20169).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import iapt_ds  # noqa: E402

NOT_COMPARED = {"IDSREJ001", "IDSREJ012", "IDSREJ015", "IDSREJ101", "IDS10129", "IDS20169"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--period", required=True)
    ap.add_argument("--provider", required=True)
    ap.add_argument("--sender", required=True)
    ap.add_argument("--submitted", required=True)
    ap.add_argument("--oracle-dir", type=Path, default=Path(os.environ.get("IAPT_ORACLE_DIR", ROOT.parent / "shared" / "oracle")))
    ap.add_argument("--oracle-python", default=os.environ.get("IAPT_ORACLE_PYTHON",
                                                               str(Path.home() / ".venvs/iapt-dsp-oracle/bin/python")))
    ap.add_argument("--oracle-json", type=Path, help="reuse (or keep) the oracle's JSON output")
    ap.add_argument("--master", default="local[1]", help="Spark master for the oracle (default local[1])")
    ap.add_argument("--save", action="store_true",
                    help="regenerate the pinned data file (--data): FOLDER is then written first with the "
                         "generator settings stored there")
    ap.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "oracle_synthetic_30k_realistic.json")
    ap.add_argument("--rows", type=int, default=30000, help="for a new data file")
    ap.add_argument("--seed", type=int, default=5, help="for a new data file")
    ap.add_argument("--fault-rate", type=float, default=0.03, help="for a new data file")
    ap.add_argument("--variety", default="realistic", help="for a new data file")
    args = ap.parse_args(argv)

    saved = args.data.resolve()
    if args.save:
        from iapt_ds.synthetic import write_csv_folder

        if not saved.exists():
            saved.write_text(json.dumps({"generator": {"rows": args.rows, "seed": args.seed,
                                                       "fault_rate": args.fault_rate, "storable_only": True,
                                                       "variety": args.variety}}))
        gen = json.loads(saved.read_text())["generator"]
        write_csv_folder(args.folder, rows=gen["rows"], seed=gen["seed"], fault_rate=gen["fault_rate"],
                         storable_only=gen["storable_only"], variety=gen.get("variety", "templates"))
    out = args.oracle_json or Path(tempfile.gettempdir()) / f"oracle-{args.folder.name}.json"
    if not (args.oracle_json and out.exists()):
        cmd = [args.oracle_python, "run_oracle.py", str(args.folder.resolve()), "--period", args.period,
               "--provider", args.provider, "--sender", args.sender, "--master", args.master,
               "--submitted", args.submitted.replace("T", " "), "--json", str(out)]
        subprocess.run(cmd, cwd=args.oracle_dir, check=True, stdout=subprocess.DEVNULL)
    oracle = json.loads(out.read_text())

    spec = iapt_ds.load_spec()
    if args.save:
        _save(saved, oracle, spec, args)
    ref_rules = {c for c, r in spec.rules.items() if r.kind == "reference_data"}
    skip = NOT_COMPARED | ref_rules
    ours = iapt_ds.validate(args.folder, period=args.period, provider=args.provider, sender=args.sender,
                            submitted_at=args.submitted)

    name_to_id = {t.name: t.id for t in spec.tables.values()}
    theirs = Counter((f["code"], name_to_id.get(f["table"], f["table"]), None if f["row"] is None else f["row"] + 1)
                     for f in oracle["findings"] if f["code"] not in skip)
    mine = Counter((f.code, f.table, f.row) for f in ours.findings if f.code not in skip)
    only_theirs = theirs - mine
    only_mine = mine - theirs
    print(f"oracle: {sum(theirs.values())} findings; iapt-ds: {sum(mine.values())} findings "
          f"({len(set(c for c, _, _ in mine))} codes) compared; skipped codes: {sorted(skip)}")
    for label, diff in (("only in the oracle", only_theirs), ("only in iapt-ds", only_mine)):
        if diff:
            by_code = Counter(c for (c, _, _) in diff.elements())
            print(f"{label}: {sum(diff.values())} — by code {dict(sorted(by_code.items()))}")
            for item in sorted(diff)[:15]:
                print("   ", item)
    row_diffs = 0
    for tname, statuses in (oracle.get("rows") or {}).items():
        tid = name_to_id.get(tname)
        if tid is None:
            continue
        for i, s in enumerate(statuses):
            mine_rejected = ours.is_rejected(tid, i + 1)
            if (s == "rejected") != mine_rejected:
                row_diffs += 1
                if row_diffs <= 10:
                    reason = ours.reason(tid, i + 1)
                    print(f"row outcome differs: {tid} row {i + 1}: oracle {s}, iapt-ds "
                          f"{'rejected by ' + reason.code if reason else 'accepted'}")
    print(f"row outcomes differing: {row_diffs}")
    print(f"file: oracle {'rejected' if oracle['file_rejected'] else 'accepted'} {sorted(oracle.get('file_codes', []))}; "
          f"iapt-ds {ours.outcome} {sorted({f.code for f in ours.file_findings})}")
    return 1 if (only_theirs or only_mine or row_diffs) else 0


def _save(path: Path, oracle: dict, spec, args) -> None:
    data = json.loads(path.read_text())
    gen = data["generator"]
    data["about"] = (f"NHS Digital's own v2.0 rule code (the oracle) run on iapt_ds.synthetic.write_csv_folder("
                     f"rows={gen['rows']}, seed={gen['seed']}, fault_rate={gen['fault_rate']}, "
                     f"storable_only={gen['storable_only']}, variety={gen.get('variety', 'templates')!r}) with period "
                     f"{args.period}, provider {args.provider}, sender {args.sender}, submitted "
                     f"{args.submitted.replace('T', ' ')}, permissive reference data. "
                     f"Regenerate with scripts/oracle_diff.py --save --data tests/data/{path.name}.")
    name_to_id = {t.name: t.id for t in spec.tables.values()}
    counts = Counter((f["code"], name_to_id.get(f["table"], f["table"]), -1 if f["row"] is None else f["row"] + 1)
                     for f in oracle["findings"])
    data.update(file_rejected=oracle["file_rejected"], file_codes=sorted(oracle["file_codes"]),
                findings=[f"{c} {t} {r} {n}" for (c, t, r), n in sorted(counts.items())],
                rejected_rows={name_to_id[t]: [i + 1 for i, s in enumerate(st) if s == "rejected"]
                               for t, st in oracle["rows"].items()})
    path.write_text(json.dumps(data, indent=0))
    print(f"saved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
