"""The Excel report, read back with openpyxl: its sheets and columns, every finding as text cells
that survive Excel, nothing a formula, what was checked on the Summary, sheets that continue past
their row limit, redaction."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.report import write_report
from iapt_ds.report.xlsx import FINDING_COLUMNS, write_xlsx
from iapt_ds.spec import load_spec
from test_report_data import FORMULA, LONG_LPI, UNICODE, messy_fixture, sensitive_values  # noqa: F401

openpyxl = pytest.importorskip("openpyxl")

SHEETS = ["Summary", "Why rejected", "Fix first", "Root causes", "Findings", "By code", "Rows by table",
          "Not checked"]


def _book(result, **kw):
    out = io.BytesIO()
    write_xlsx(result, out, **kw)
    out.seek(0)
    return openpyxl.load_workbook(out)


def _table(ws) -> tuple[list[str], list[dict]]:
    """The sheet's header row (the first row whose first cell is a column name) and the rows below."""
    rows = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r and r[0] in ("id", "code", "rank", "table"))
    head = list(rows[at])
    return head, [dict(zip(head, r)) for r in rows[at + 1:]]


def _findings(book) -> list[dict]:
    out = []
    for name in book.sheetnames:
        if name == "Findings" or name.startswith("Findings ("):
            out += _table(book[name])[1]
    return out


def test_sheets_and_columns(messy):
    result, _ = messy
    book = _book(result)
    assert book.sheetnames == SHEETS
    head, rows = _table(book["Findings"])
    assert tuple(head) == FINDING_COLUMNS
    assert {"table", "row", "field", "code", "message", "values", "type", "action"} <= set(head)
    assert len(rows) == len(result.findings)
    assert [r["code"] for r in rows] == [f.code for f in result.findings]
    assert [r["row"] for r in rows] == [f.row for f in result.findings]


def test_findings_sheet_has_a_filter_and_a_frozen_header(messy):
    result, _ = messy
    ws = _book(result)["Findings"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:L{len(result.findings) + 1}"


def test_identifiers_are_text_and_nothing_is_a_formula(messy):
    result, _ = messy
    book = _book(result)
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    values = [c.value for c in cells]
    assert FORMULA in values and UNICODE in values and LONG_LPI in values
    ws = book["Findings"]
    head = [c.value for c in ws[1]]
    col = head.index("values")
    texts = [row[col] for row in ws.iter_rows(min_row=2) if row[col].value is not None]
    assert texts and all(c.data_type == "s" and isinstance(c.value, str) for c in texts)


def test_leading_zeros_and_long_snomed_ids_survive(tmp_path: Path):
    from conftest import write_folder
    from iapt_ds.spec_examples import base_rows

    rows = base_rows(load_spec())
    rows["IDS001"][0]["NHSNumber"] = "0123456780"           # IDSREJ006: a wrong check digit
    rows["IDS603"][0]["PresComp"] = "1234567890123456789"   # 19 digits: too long for a float
    folder = write_folder(tmp_path / "sub", rows)
    result = iapt_ds.validate(folder, period="2021-03")
    rows_out = _findings(_book(result))
    shown = {r["values"] for r in rows_out}
    assert "0123456780" in shown
    long_ids = [r for r in rows_out if r["values"] and "1234567890123456789" in r["values"]]
    assert long_ids, "the 19-digit value is reported and kept whole"


def test_summary_says_what_was_checked(messy):
    result, _ = messy
    summary = {r[0]: r[1] for r in _book(result)["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["REJECTED"].startswith("SDCS would reject the whole file")
    assert summary["reporting period"] == "2021-03"
    assert summary["provider"] == summary["sender"] == "R1Z"
    assert summary["submitted at"] == "2021-04-05 12:00"
    assert summary["SDCS window"] == "the primary window for 2021-03 (opens 2021-04-01, closes 2021-04-29)"
    assert summary["tool"] == f"iapt-ds {iapt_ds.__version__}" and summary["spec"] == "IAPT v2.0"
    assert summary["all"] == len(result.findings)
    assert summary["file rejections"] == result.counts_by_severity()["file"]


def test_why_rejected_and_fix_first_put_file_level_first(messy):
    result, _ = messy
    book = _book(result)
    _, why = _table(book["Why rejected"])
    assert [r["code"] for r in why] == ["IDSREJ001", "IDSREJ006", "IDSREJ007"]
    assert sum(r["findings"] for r in why) == len(result.file_findings)
    _, groups = _table(book["Fix first"])
    kinds = [r["type"] for r in groups]
    assert kinds[: len(why)] == ["file rejection"] * len(why) and "file rejection" not in kinds[len(why):]
    downs = [r["rows taken down"] for r in groups[len(why):]]
    assert downs == sorted(downs, reverse=True)
    _, roots = _table(book["Root causes"])
    assert [r["rank"] for r in roots] == list(range(1, len(roots) + 1))
    assert roots[len(result.file_findings)]["code"] == "IDS00211"


def test_a_sheet_continues_on_the_next_past_its_row_limit(messy):
    result, _ = messy
    book = _book(result, max_rows=10)
    names = [n for n in book.sheetnames if n.startswith("Findings")]
    assert names[:3] == ["Findings", "Findings (2)", "Findings (3)"]
    assert len(names) == -(-len(result.findings) // 10)
    assert [r["id"] for r in _findings(book)] == list(range(len(result.findings)))
    assert all(book[n].freeze_panes == "A2" for n in names)


def test_redacted_workbook_holds_no_sensitive_value(messy):
    result, folder = messy
    book = _book(result, redact=True)
    text = "\n".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    words = " ".join(r.message for r in load_spec().rules.values())   # a rule may quote an example postcode
    leaked = [s for s in sensitive_values(folder) if s in text and s not in words]
    assert not leaked
    assert "masked" in text and "*" * 19 + "0X" in text


def test_write_report_xlsx_needs_bytes(messy):
    result, _ = messy
    with pytest.raises(iapt_ds.UsageError, match="binary"):
        write_report(result, io.StringIO(), "xlsx")


def test_without_xlsxwriter_the_error_says_what_to_install(messy, monkeypatch):
    result, _ = messy
    monkeypatch.setitem(sys.modules, "xlsxwriter", None)
    with pytest.raises(iapt_ds.UsageError, match=r"iapt-ds\[xlsx\]"):
        write_xlsx(result, io.BytesIO())


def test_cli_writes_a_workbook(tmp_path: Path):
    out = tmp_path / "report.xlsx"
    run = subprocess.run([sys.executable, "-m", "iapt_ds", "validate", "--example", "--period", "2021-03",
                          "--output", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "xlsx report written" in run.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == SHEETS
    piped = subprocess.run([sys.executable, "-m", "iapt_ds", "validate", "--example", "--format", "xlsx"],
                           capture_output=True)
    assert piped.returncode == 0
    assert openpyxl.load_workbook(io.BytesIO(piped.stdout)).sheetnames == SHEETS


def test_a_big_faulty_file_reads_back_finding_for_finding(tmp_path: Path):
    """A generated 30%-faulty submission (tens of thousands of findings, cascades among them),
    its Findings sheet continued past a small row limit, read back with openpyxl's read-only
    reader (as one reads a workbook of a million rows): every finding once, in order, each cell
    what the result says, the rule's constant cells (type, action) the same on every row."""
    from iapt_ds.report._view import ReportView
    from iapt_ds.report.explain import advice
    from iapt_ds.synthetic import write_csv_folder

    folder = tmp_path / "sub"
    write_csv_folder(folder, rows=12_000, seed=7, fault_rate=0.3)
    result = iapt_ds.validate(folder, period="2021-03", provider="R1Z", sender="R1Z")
    n = len(result.findings)
    assert n > 10_000 and any(f.cause is not None for f in result.findings)
    path = tmp_path / "big.xlsx"
    write_xlsx(result, path, max_rows=5_000)
    wb = openpyxl.load_workbook(path, read_only=True)
    names = [s for s in wb.sheetnames if s == "Findings" or s.startswith("Findings (")]
    assert len(names) == -(-n // 5_000)
    view = ReportView(result)
    spec = result.spec
    got = 0
    for name in names:
        rows = wb[name].iter_rows(values_only=True)
        assert list(next(rows)) == list(FINDING_COLUMNS)
        for cells in rows:
            rec = dict(zip(FINDING_COLUMNS, cells))
            f = result.findings[got]
            key, values, message = view.flat(f)
            assert rec["id"] == got and rec["code"] == f.code and (rec["table"] or None) == f.table
            assert rec["row"] == f.row and rec["line"] == f.line
            assert (rec["key"] or "") == key == view.key_text(f)
            assert (rec["values"] or "") == values == view.values(f)
            assert rec["message"] == message == view.message(f, root=False)
            assert rec["action"] == advice(spec.rules[f.code], spec)
            root = f.root
            assert (rec["root cause"] or "") == ("" if f.cause is None else
                                                 f"{root.code} at {root.table} row {root.row}")
            assert all(isinstance(rec[c], str) for c in ("key", "values") if rec[c] is not None)
            got += 1
    wb.close()
    assert got == n
