"""What changed since the last run: fixed, new and remaining findings, matched by code and row
key (not row number), from JSON reports or submissions; `iapt-ds diff` and `validate --baseline`."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.diff import compare, write_diff
from iapt_ds.report import write_report
from test_report_data import messy_folder

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def _edit(folder: Path, table: str, change) -> None:
    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The messy submission, and a resubmission: the first GP registration fixed, and the GP rows
    re-ordered (so every row number of IDS002 moves), one new problem added."""
    base = tmp_path_factory.mktemp("diff")
    old = messy_folder(base / "old")
    new = messy_folder(base / "new")

    def fix_and_shuffle(rows):
        rows[0]["StartDateGMPRegistration"] = "2016-09-26"
        rows[-1]["GMPCodeReg"] = "TOOLONGCODE1"            # a new problem
        return list(reversed(rows))

    _edit(new, "IDS002GP", fix_and_shuffle)
    a, b = iapt_ds.validate(old, **UPLOAD), iapt_ds.validate(new, **UPLOAD)
    report = base / "old.json"
    with report.open("w", encoding="utf-8") as fh:
        write_report(a, fh, "json")
    return a, b, report, new


def test_same_run_has_nothing_fixed_or_new(runs):
    a, _, report, _ = runs
    d = compare(report, a)
    assert (len(d.fixed), len(d.new), len(d.remaining)) == (0, 0, len(a.findings))


def test_fixed_new_and_remaining_are_matched_by_key_not_row(runs):
    a, b, report, _ = runs
    d = compare(report, b)
    fixed = {f["code"] for f in d.fixed}
    assert "IDS00211" in fixed                         # the GP start date fixed …
    assert any(f["code"] == "IDS00211" for f in d.remaining)   # … the second one not
    # the IDS002 rows all moved, yet the unchanged IDS002 findings are remaining, not fixed + new
    moved = [f for f in d.remaining if f["table"] == "IDS002"]
    assert moved and all(f["code"] not in {g["code"] for g in d.new if g["table"] == "IDS002"
                                           and g["key"] == f["key"]} for f in moved)
    new = {(f["code"], f["table"], f["row"]) for f in d.new}
    assert ("IDS00204", "IDS002", 1) in new             # the new GP code problem, at its new row
    assert ("IDS00145", "IDS001", 7) in new             # and the patient it now takes down
    assert len(d.fixed) + len(d.remaining) == len(a.findings)
    assert len(d.new) + len(d.remaining) == len(b.findings)
    assert [f["code"] for f in d.roots_fixed][:1] == ["IDS00211"]
    assert d.roots_fixed[0]["rows_rejected"] == 29


def test_text_and_json(runs):
    _, b, report, _ = runs
    d = compare(report, b)
    out = io.StringIO()
    write_diff(d, out)
    text = out.getvalue()
    assert f"{len(d.fixed)} fixed, {len(d.new)} new, {len(d.remaining)} remaining" in text
    assert "Root causes fixed" in text and "IDS00211 at IDS002 row 1 (R1Z0000101, A81001, 2021-05-01): 29 rows" in text
    out = io.StringIO()
    write_diff(d, out, "json")
    doc = json.loads(out.getvalue())
    assert doc["format"] == "iapt-ds-diff" and doc["counts"] == {"fixed": len(d.fixed), "new": len(d.new),
                                                                 "remaining": len(d.remaining)}
    assert sum(c["fixed"] for c in doc["by_code"]) == len(d.fixed)


def test_cli_diff_of_a_report_and_a_submission(runs, tmp_path):
    _, b, report, new = runs
    p = subprocess.run([sys.executable, "-m", "iapt_ds", "diff", str(report), str(new), "--period", "2021-03",
                        "--provider", "R1Z", "--sender", "R1Z", "--submitted-at", "2021-04-05T12:00:00"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    d = compare(report, b)
    assert f"{len(d.fixed)} fixed, {len(d.new)} new, {len(d.remaining)} remaining" in p.stdout
    p = subprocess.run([sys.executable, "-m", "iapt_ds", "diff", str(tmp_path / "nope.json"), str(report)],
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1


def test_validate_with_a_baseline(runs):
    _, _, report, new = runs
    p = subprocess.run([sys.executable, "-m", "iapt_ds", "validate", str(new), "--period", "2021-03", "--provider",
                        "R1Z", "--sender", "R1Z", "--submitted-at", "2021-04-05T12:00:00", "--baseline", str(report)],
                       capture_output=True, text=True)
    assert p.returncode == 1
    assert p.stdout.startswith("REJECTED") and f"Since {report} (rejected, " in p.stdout
    assert "Root causes fixed" in p.stdout


def test_a_json_that_is_not_a_report(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(iapt_ds.InputError, match="not an iapt-ds JSON report"):
        compare(bad, bad)


def test_html_and_xlsx(runs, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    _, b, report, _ = runs
    d = compare(report, b)
    out = io.StringIO()
    write_diff(d, out, "html")
    page = out.getvalue()
    assert "<script" not in page and "default-src 'none'" in page
    assert f'<span class="fixed">{len(d.fixed)} fixed</span>' in page and f"<h2>New findings ({len(d.new)})</h2>" in page
    out = io.StringIO()
    write_diff(compare(report, iapt_ds.validate(iapt_ds.example_path(), **UPLOAD)), out, "html")
    assert "&lt;script&gt;" in out.getvalue() and "<script>alert" not in out.getvalue()   # hostile values escaped
    target = tmp_path / "diff.xlsx"
    p = subprocess.run([sys.executable, "-m", "iapt_ds", "diff", str(report), str(report), "--output", str(target)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["Summary", "By code", "Root causes fixed", "New root causes", "Fixed", "New",
                               "Remaining"]
    raw = io.BytesIO()
    write_diff(d, raw, "xlsx")
    raw.seek(0)
    book = openpyxl.load_workbook(raw)
    assert book["New"].max_row == len(d.new) + 1 and book["Fixed"].max_row == len(d.fixed) + 1
