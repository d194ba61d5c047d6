"""The fast paths of reading and validation give exactly what the plain, one-value-at-a-time
definitions give: a column of identifiers with a few cells to trim or blank, the length rule's
C-level narrowing, and findings added a rule at a time."""

from __future__ import annotations

import random

import iapt_ds
from iapt_ds.checks.kinds import _length_suspects
from iapt_ds.findings import Findings
from iapt_ds.ledger import Ledger
from iapt_ds.readers import read_csv_folder
from iapt_ds.synthetic import write_csv_folder

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def test_a_column_of_identifiers_with_cells_to_trim_and_blank(tmp_path):
    """Mostly distinct identifiers (the table's key) read on the distinct-values path: a padded
    cell is trimmed and its text kept as written, a blank or all-space cell is NULL."""
    write_csv_folder(tmp_path, rows=60000, seed=3)
    mpi = tmp_path / "IDS001MPI.csv"
    lines = mpi.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    col = head.index("LocalPatientId")
    assert len(lines) > 3001 > 2048  # more rows than the reader samples to tell identifiers
    changed = {}
    for n, cell in ((5, " {} "), (6, ""), (7, "   "), (3000, "{}  ")):
        cells = lines[n].split(",")
        cells[col] = cell.format(cells[col])
        changed[n - 1] = cells[col]
        lines[n] = ",".join(cells)
    mpi.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_csv_folder(tmp_path).table("IDS001")
    values = table.values["LocalPatientId"]
    assert values[4] == changed[4].strip() and table.originals["LocalPatientId"][4] == changed[4]
    assert values[5] is None and 5 not in table.originals.get("LocalPatientId", {})
    assert values[6] is None and table.originals["LocalPatientId"][6] == "   "
    assert values[2999] == changed[2999].strip() and table.originals["LocalPatientId"][2999] == changed[2999]
    untouched = [i for i in range(len(values)) if i not in changed]
    raw = [line.split(",")[col] for line in lines[1:]]
    assert all(values[i] == raw[i] for i in untouched)
    assert set(table.originals["LocalPatientId"]) == {4, 6, 2999}


def test_length_suspects_hold_every_failing_text():
    rng = random.Random(7)
    alphabet = "ab9０\n\t \u2028x"
    texts = {"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 9))) for _ in range(3000)}
    for lo, hi in ((0, 3), (2, 5), (4, 4)):
        for digits in (False, True):
            listed = list(texts)
            each = list(map(len, listed))
            suspects = set(_length_suspects(listed, each, set(each), lo, hi, digits))
            for t in texts - suspects:  # every text not suspected passes the rule's exact test
                assert lo <= len(t) <= hi
                assert (t.isascii() and t.isdigit()) if digits else t.isprintable()


def test_findings_added_a_rule_at_a_time_are_those_added_one_by_one(tmp_path):
    write_csv_folder(tmp_path, rows=3000, seed=4, fault_rate=0.05)
    result = iapt_ds.validate(tmp_path, **UPLOAD)
    sub = iapt_ds.read(tmp_path)
    spec = sub.spec
    one, many = Ledger(sub), Ledger(sub)
    by_rule: dict = {}
    for f in result.findings:
        if f.row is not None and f.cause is None:
            by_rule.setdefault((f.code, f.table), []).append(f)
    for (code, tid), items in by_rule.items():
        table = sub.tables[tid]
        fails = [(f.row - 1, f.other, f.detail) for f in items]
        for f in items:
            one.add(spec.rules[code], table, f.row - 1, other=f.other, detail=f.detail, expected=f.expected)
        many.add_many(spec.rules[code], table, fails, [f.expected for f in items])
    assert isinstance(many.findings, Findings)
    assert [(f.code, f.table, f.row, f.other, f.detail, f.expected) for f in one.findings] == \
        [(f.code, f.table, f.row, f.other, f.detail, f.expected) for f in many.findings]
    assert one.rejected == many.rejected and one.reason == many.reason and one.warned == many.warned
