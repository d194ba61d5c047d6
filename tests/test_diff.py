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
    assert "IDS00211 StartDateGMPRegistration: 29 rows fixed (1 root cause)" in p.stdout


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
    assert book.sheetnames == ["Summary", "By code", "By cause", "Root causes fixed", "New root causes", "Fixed", "New",
                               "Remaining"]
    raw = io.BytesIO()
    write_diff(d, raw, "xlsx")
    raw.seek(0)
    book = openpyxl.load_workbook(raw)
    assert book["New"].max_row == len(d.new) + 1 and book["Fixed"].max_row == len(d.fixed) + 1


def test_root_causes_grouped_by_code_and_field(runs, tmp_path):
    """"IDS00211 StartDateGMPRegistration: 29 rows fixed": the root causes fixed, new and
    remaining, grouped by code and field, with the rows they take down, in every format."""
    openpyxl = pytest.importorskip("openpyxl")
    _, b, report, _ = runs
    d = compare(report, b)
    groups = {(g["code"], g["field"]): g for g in d.by_cause()}
    gp = groups[("IDS00211", "StartDateGMPRegistration")]
    assert (gp["fixed"], gp["rows_fixed"], gp["new"], gp["remaining"]) == (1, 29, 0, 1)
    assert gp["rows_remaining"] == next(f["rows_rejected"] for f in d.roots_remaining if f["code"] == "IDS00211")
    code = groups[("IDS00204", "GMPCodeReg")]
    assert (code["fixed"], code["new"], code["rows_new"]) == (0, 1, 1)
    # every root cause is in exactly one group; file-level groups come first
    assert sum(g["fixed"] for g in groups.values() if g["severity"] != "file") == \
        len([f for f in d.roots_fixed if f["severity"] != "file"])
    assert sum(g["rows_new"] for g in groups.values()) == sum(f["rows_rejected"] for f in d.roots_new)
    order = [g["severity"] == "file" for g in d.by_cause()]
    assert order == sorted(order, reverse=True)
    # text
    out = io.StringIO()
    write_diff(d, out)
    text = out.getvalue()
    assert "Root causes by code and field" in text
    assert "IDS00211 StartDateGMPRegistration: 29 rows fixed (1 root cause), 1 row still rejected" in text
    assert "IDS00204 GMPCodeReg: 1 row new (1 root cause)" in text
    # JSON
    out = io.StringIO()
    write_diff(d, out, "json")
    assert json.loads(out.getvalue())["by_cause"] == d.by_cause()
    # HTML
    out = io.StringIO()
    write_diff(d, out, "html")
    page = out.getvalue()
    assert "<h2>By root cause: code and field</h2>" in page
    assert ('<tr><td><code>IDS00211</code></td><td>StartDateGMPRegistration</td><td>record</td>'
            '<td class="num fixed">29</td><td class="num new"></td><td class="num">1</td>') in page
    # xlsx
    target = tmp_path / "diff.xlsx"
    write_diff(d, str(target), "xlsx")
    ws = openpyxl.load_workbook(target, read_only=True)["By cause"]
    rows = [r for r in ws.iter_rows(values_only=True) if r and r[0]]
    head = rows.index(next(r for r in rows if r[0] == "code"))
    sheet = [dict(zip(rows[head], r)) for r in rows[head + 1:]]
    got = next(r for r in sheet if r["code"] == "IDS00211")
    assert (got["field"], got["root causes fixed"], got["rows fixed"], got["rows remaining"]) == \
        ("StartDateGMPRegistration", 1, 29, gp["rows_remaining"])
    assert len(sheet) == len(groups)


def test_grouping_agrees_with_the_old_runs_own_root_causes(tmp_path):
    """A faulty generated file against a clean one: every root cause is fixed, and each group's
    rows are what the faulty run's own root causes take down, summed by code and field."""
    from collections import Counter

    from iapt_ds.synthetic import write_csv_folder

    write_csv_folder(tmp_path / "bad", rows=3_000, seed=5, fault_rate=0.05)
    bad = iapt_ds.validate(tmp_path / "bad", **UPLOAD)
    good = iapt_ds.validate(iapt_ds.example_path(), **UPLOAD)
    d = compare(bad, good)
    rows: Counter = Counter()
    causes: Counter = Counter()
    for f, n in bad.root_causes():
        rows[(f.code, f.field)] += n
        causes[(f.code, f.field)] += 1
    got = {(g["code"], g["field"]): g for g in d.by_cause() if g["fixed"]}
    assert len(causes) > 5 and max(causes.values()) > 1          # groups of several root causes
    for k, n in causes.items():
        assert (got[k]["fixed"], got[k]["rows_fixed"]) == (n, rows[k]), k
