"""Every report records what was checked: the upload's details as chosen, the SDCS window the
submission time falls in (or that it falls in none), versions, the time of the run."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import pytest

import iapt_ds
from iapt_ds.checked import window_words
from iapt_ds.report import write_report
from iapt_ds.spec import load_spec

SPEC = load_spec()


def _text(result) -> str:
    out = io.StringIO()
    write_report(result, out, "text")
    return out.getvalue()


def test_the_chosen_period_is_reported_not_the_headers():
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-02", submitted_at="2021-03-10T09:00")
    assert result.period == "2021-02"
    assert (result.checked.period, result.checked.header_period) == ("2021-02", "2021-03")
    text = _text(result)
    assert "reporting period: 2021-02; the file's header states 2021-03" in text
    assert any("not the one the file's header states" in w for w in result.checked.warnings())


def test_without_a_chosen_period_the_headers_is_used_and_said_so():
    result = iapt_ds.validate(iapt_ds.example_path())
    assert result.period == "2021-03" and result.checked.period is None
    assert "not chosen (the header's 2021-03 is used)" in _text(result)
    assert "(not given: the time of the run)" in _text(result)


def test_upload_details_versions_and_run_time_are_recorded():
    before = dt.datetime.now().replace(microsecond=0)
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z", sender="R1Z",
                              submitted_at="2021-04-20T10:30:00")
    c = result.checked
    assert (c.provider, c.sender, c.submitted_at, c.submitted_at_given) == (
        "R1Z", "R1Z", dt.datetime(2021, 4, 20, 10, 30), True)
    assert c.tool_version == iapt_ds.__version__ and (c.spec_name, c.spec_version) == ("IAPT", "2.0")
    assert before <= c.run_at <= dt.datetime.now()
    text = _text(result)
    for words in ("provider:         R1Z", "submitted at:     2021-04-20 10:30", f"iapt-ds {iapt_ds.__version__}",
                  "IAPT v2.0", "the primary window for 2021-03"):
        assert words in text


def test_missing_details_say_which_rules_go_unchecked():
    text = _text(iapt_ds.validate(iapt_ds.example_path(), period="2021-03"))
    assert "provider:         not given (IDS00030 not checked)" in text
    assert "none (the reference-data rules are not checked)" in text


@pytest.mark.parametrize("at, expected", [
    ("2021-04-05", "the primary window for 2021-03 (opens 2021-04-01, closes 2021-04-29)"),
    ("2021-05-10", "the refresh window for 2021-03"),
])
def test_window_of_a_submission_time(at, expected):
    window, note = window_words("2021-03", dt.datetime.fromisoformat(at), SPEC.windows)
    assert window.startswith(expected) and note is None


@pytest.mark.parametrize("period, at, why", [
    ("2021-03", "2021-03-15", "the first window for 2021-03 opens on 2021-04-01"),
    ("2021-03", "2021-09-01", "the last window for 2021-03 closed on"),
    ("2030-01", "2030-02-01", "no SDCS window takes the period 2030-01"),
])
def test_a_submission_time_in_no_window_says_why(period, at, why):
    window, note = window_words(period, dt.datetime.fromisoformat(at), SPEC.windows)
    assert window is None and why in note


def test_a_submitted_at_outside_every_window_is_a_warning_in_every_report():
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", submitted_at="2021-09-01T12:00:00")
    assert result.checked.window is None
    assert "Warning: 2021-09-01 is in no SDCS window for 2021-03" in _text(result)
    run = subprocess.run([sys.executable, "-m", "iapt_ds", "validate", "--example", "--period", "2021-03",
                          "--submitted-at", "2021-09-01T12:00:00", "--format", "json"], capture_output=True, text=True)
    assert run.returncode == 0
    assert "warning: 2021-09-01 is in no SDCS window for 2021-03" in run.stderr


def test_html_shows_what_was_checked():
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z", sender="R1Z",
                              submitted_at="2021-04-05T12:00:00")
    out = io.StringIO()
    write_report(result, out, "html")
    page = out.getvalue()
    assert "<dt>SDCS window</dt><dd>the primary window for 2021-03" in page
    assert f"iapt-ds {iapt_ds.__version__}" in page and "<dt>Provider</dt><dd>R1Z</dd>" in page


def test_the_dataset_version_and_why_are_shown():
    from iapt_ds.report._view import ReportView

    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03")
    lines = dict(ReportView(result).checked())
    assert lines["rules"].startswith(f"IAPT v{result.dataset_version} rules (") and result.version_reason in lines["rules"]
    assert "rules:" in _text(result)
