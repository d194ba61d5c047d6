"""The CSV report: one row per finding, safe in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from iapt_ds.report import write_csv
from iapt_ds.report.csv import COLUMNS, neutralise
from test_report_data import FORMULA, IMG, SCRIPT, UNICODE, messy_fixture  # noqa: F401  (a fixture)


def _rows(result, **kw) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    write_csv(result, out, **kw)
    return list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))


def test_one_row_per_finding_with_the_columns(messy):
    result, _ = messy
    rows = _rows(result)
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == len(result.findings)
    for row, f in zip(rows, result.findings):
        assert (row["code"], row["severity"], row["table"], row["row"]) == (
            f.code, f.rule.severity, f.table or "", "" if f.row is None else str(f.row))


def test_no_cell_can_start_a_formula(messy):
    result, _ = messy
    out = io.StringIO(newline="")
    write_csv(result, out)
    for row in csv.reader(io.StringIO(out.getvalue(), newline="")):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    values = {r["value"] for r in _rows(result)}
    assert {"'" + FORMULA, "'+1", "'@SUM(A1)", "'-2+3"} <= values
    assert {SCRIPT, UNICODE, IMG} <= values  # other text is kept as it is


@pytest.mark.parametrize("cell, safe", [
    ("=1+1", "'=1+1"), ("+44 113", "'+44 113"), ("-5", "'-5"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), (None, None), (7, 7),
])
def test_neutralise(cell, safe):
    assert neutralise(cell) == safe


def test_cascade_rows_name_their_cause_and_root(messy):
    result, _ = messy
    rows = _rows(result)
    contact = next(r for r in rows if r["code"] == "IDS20142" and r["row"] == "1")
    assert contact["caused_by"] == "IDS10101 at IDS101 row 1"
    assert contact["root_cause"] == "IDS00211 at IDS002 row 1"
    root = next(r for r in rows if r["code"] == "IDS00211" and r["row"] == "1")
    assert root["caused_by"] == root["root_cause"] == ""
    assert root["key"] == "LocalPatientId=R1Z0000101; GMPCodeReg=A81001; StartDateGMPRegistration=2021-05-01"
