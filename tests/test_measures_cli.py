"""`iapt-ds measures` and `iapt-ds explain MEASURE`, and the measures' report forms."""

from __future__ import annotations

import csv
import io
import json

import pytest

import iapt_ds
from iapt_ds import measures
from iapt_ds.cli import main
from iapt_ds.measures.report import CSV_COLUMNS, html_section, write_csv, write_json, write_text
from iapt_ds.testing.referrals import UPLOAD


@pytest.fixture(scope="module")
def example():
    return measures.preview(iapt_ds.example_path(), **UPLOAD)


def test_measures_text_on_the_example(capsys):
    assert main(["measures", "--example", "--period", "2021-03", "--provider", "R1Z"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PREVIEW of the headline measures: IAPT v2.0, reporting period 2021-03-01 to 2021-03-31")
    assert "  Finished a course of treatment     2\n" in out
    assert "Recovery rate                      1/2 = 50.0%  (target 50%)" in out
    assert "R1Z2100104 (IDS101 row 4): waited 91 days (more than 42)" in out


def test_measures_json_and_csv(tmp_path, capsys):
    assert main(["measures", "--example", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["preview"] is True and data["totals"]["counts"]["finished"] == 2
    assert data["totals"]["rates"]["recovery_rate"] == {"numerator": 1, "denominator": 2, "value": 0.5, "target": 0.5}
    assert len(data["referrals"]) == 7 and data["referrals"][0]["id"] == "R1Z2100101"
    out = tmp_path / "m.csv"
    assert main(["measures", "--example", "--output", str(out)]) == 0
    assert "csv written to" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 7 and tuple(rows[0]) == CSV_COLUMNS
    r4 = next(r for r in rows if r["id"] == "R1Z2100104")
    assert (r4["finished"], r4["recovered"], r4["wait_days"]) == ("Y", "N", "91")
    assert r4["why_within_6_weeks"] == "waited 91 days (more than 42)"


def test_measures_usage_errors(capsys):
    assert main(["measures"]) == 2
    assert "give the submission to measure" in capsys.readouterr().err
    assert main(["measures", "--example", "--output", "x.html"]) == 2
    assert "measures are written as text, json, csv, xlsx, not html" in capsys.readouterr().err


def test_measures_redact_masks_patients(capsys):
    assert main(["measures", "--example", "--format", "json", "--redact"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["patient"] for r in data["referrals"]} == {f"********0{n}" for n in range(1, 8)}


@pytest.mark.parametrize("name, words", [
    ("recovery", "A finished referral, at caseness at the start"),
    ("finished_treatment", "at least 2 treatment contacts"),
    ("six-week-rate", "at most 42 days"),
    ("PDSS", "reliable change: a change of more than 5"),
    ("Mobility Inventory", "caseness: a score more than 2.3"),
])
def test_explain_a_measure(name, words, capsys):
    assert main(["explain", name]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert " ".join(words.split()) in out
    assert "status:" in out or "CodedAssToolType" in out


def test_explain_names_every_measure_status():
    d = measures.load_definitions()
    assert {"recovery", "reliable_improvement", "finished_treatment", "caseness", "within_6_weeks",
            "paired_scores", "anxiety_measure", "problem_descriptor", "treatment_contacts"} <= set(d.explanations)
    assert d.explanations["paired_scores"].status == "inferred"


def test_explain_a_rule_still_works(capsys):
    assert main(["explain", "IDS00211"]) == 0
    assert capsys.readouterr().out.startswith("IDS00211")


def test_writers(example):
    out = io.StringIO()
    write_text(example, out)
    assert "PREVIEW" in out.getvalue()
    out = io.StringIO()
    write_json(example, out)
    assert json.loads(out.getvalue())["version"] == "2.0"
    out = io.StringIO()
    write_csv(example, out)
    assert out.getvalue().count("\r\n") == 8


def test_html_section_is_escaped_and_self_contained(example):
    page = html_section(example)
    assert page.startswith('<section id="measures"') and page.endswith("</section>")
    assert "<script" not in page and "Headline measures (preview)" in page
    assert "waited 91 days (more than 42)" in page


def test_measures_xlsx_read_back(tmp_path, capsys):
    pytest.importorskip("xlsxwriter")
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "m.xlsx"
    assert main(["measures", "--example", "--output", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Totals", "Cost", "Referrals"]
    totals = {r[0]: r[1] for r in wb["Totals"].iter_rows(min_row=4, values_only=True)}
    assert totals["Finished a course of treatment"] == 2 and totals["Recovery rate"] == 0.5
    refs = list(wb["Referrals"].iter_rows(values_only=True))
    assert refs[0] == CSV_COLUMNS and len(refs) == 8
    r4 = dict(zip(refs[0], next(r for r in refs if r[0] == "R1Z2100104")))
    assert r4["wait_days"] == 91 and r4["why_within_6_weeks"] == "waited 91 days (more than 42)"


def test_the_cli_names_every_measures_format():
    from iapt_ds import cli
    from iapt_ds.measures.report import FORMATS

    assert tuple(FORMATS) == cli.MEASURE_FORMATS


def test_html_section_shows_the_cost_column_only_when_something_is_lost():
    assert "With every rejected row accepted" not in html_section(measures.preview(iapt_ds.example_path(), **UPLOAD))
    rejected = measures.preview(iapt_ds.example_path(), **{**UPLOAD, "provider": "XXX"})
    page = html_section(rejected)
    assert "With every rejected row accepted" in page and "The file is rejected" in page
    assert "What the findings cost" in page


def test_measures_on_a_broken_submission_never_raise(tmp_path, capsys):
    import shutil

    folder = tmp_path / "broken"
    shutil.copytree(iapt_ds.example_path(), folder)
    text = (folder / "IDS101Referral.csv").read_text().splitlines()
    (folder / "IDS101Referral.csv").write_text("\n".join(",".join(line.split(",")[:-1]) for line in text) + "\n")
    (folder / "IDS607CodedScoreAssessmentAct.csv").unlink()
    assert main(["measures", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "THE FILE IS REJECTED" in out and "  Finished a course of treatment     0" in out
    (folder / "IDS000Header.csv").unlink()
    assert main(["measures", str(folder)]) == 2
    assert "give one (period='YYYY-MM', or --period YYYY-MM" in " ".join(capsys.readouterr().err.split())
    assert main(["measures", str(folder), "--period", "2021-03"]) == 0
