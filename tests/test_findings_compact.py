"""Findings are stored compactly by the ledger and made into Finding objects when read: the
result's findings still behave as a sequence of the same Finding objects, in the same order."""

from __future__ import annotations

import iapt_ds
from iapt_ds.findings import Finding, Findings
from iapt_ds.synthetic import write_csv_folder

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def _faulty(tmp_path):
    write_csv_folder(tmp_path, rows=3000, seed=4, fault_rate=0.05)
    return iapt_ds.validate(tmp_path, **UPLOAD)


def test_counting_makes_no_finding(tmp_path):
    result = _faulty(tmp_path)
    assert isinstance(result.findings, Findings)
    counts = result.counts_by_code()
    assert sum(counts.values()) == len(result.findings) > 100
    assert result.counts_by_severity()["record"] > 0 and result.codes() == set(counts)
    made = [e for e in result.findings._entries if isinstance(e, Finding)]
    assert all(f.row is None for f in made)  # only findings on no row (the file's) exist as objects yet
    assert len(made) < len(result.findings)


def test_a_sequence_of_the_same_findings_in_order(tmp_path):
    result = _faulty(tmp_path)
    findings = result.findings
    every = tuple(findings)
    assert findings == every and every == tuple(findings) and findings != ()
    assert all(type(f) is Finding for f in every)
    assert findings[0] is every[0] and findings[-1] is every[-1] and findings[3:7] == every[3:7]
    assert [f.code for f in findings] == [r.code for r in findings.rules()]
    # a cascade finding's cause is the very finding that rejected the related row
    cascade = [f for f in every if f.cause is not None]
    assert cascade and all(any(f.cause is g for g in every) for f in cascade[:20])
    # the reason of a rejected row is one of the findings, and names that row
    for tid in ("IDS001", "IDS101", "IDS201"):
        for row in result.rejected_rows(tid)[:20]:
            reason = result.reason(tid, row)
            assert reason.table == tid and reason.row == row and reason.rejects
            assert any(reason is f for f in every)
    # a made finding carries the row's key, quoted values and source line
    f = next(f for f in every if f.table == "IDS001" and f.row is not None)
    table = iapt_ds.read(tmp_path).table("IDS001")
    assert f.key == table.key(f.row - 1) and f.line == f.row + 1
    assert f.values == tuple(table.text(f.row - 1, x) for x in f.fields)


def test_a_clean_file_has_no_findings(tmp_path):
    write_csv_folder(tmp_path, rows=500, seed=1)
    result = iapt_ds.validate(tmp_path, **UPLOAD)
    assert result.findings == () and len(result.findings) == 0 and list(result.findings) == []
