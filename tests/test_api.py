"""The public API: its surface, misuse raising clear errors, and what a result promises."""

from __future__ import annotations

import datetime as dt

import pytest

import iapt_ds
from iapt_ds import ReferenceSets, UsageError, validate
from iapt_ds.readers import read_rows
from iapt_ds.spec_examples import base_rows
from conftest import SPEC

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def test_public_names():
    assert sorted(iapt_ds.__all__) == sorted([
        "validate", "read", "example_path", "load_spec", "Result", "Finding", "Severity", "Outcome",
        "IaptDsError", "SpecError", "UsageError", "InputError"])
    for name in iapt_ds.__all__:
        assert hasattr(iapt_ds, name)
    # the names that left __all__ are still importable from here (and from their modules)
    from iapt_ds.checks.context import ReferenceData, ReferenceSets
    from iapt_ds.model import InputProblem, Submission, Table
    from iapt_ds.result import TableResult
    from iapt_ds.spec import Spec
    for value in (ReferenceData, ReferenceSets, InputProblem, Submission, Table, TableResult, Spec):
        assert getattr(iapt_ds, value.__name__) is value
    assert iapt_ds.__version__
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        iapt_ds.nothing  # noqa: B018


def test_import_iapt_ds_imports_no_engine_until_it_is_used():
    import subprocess
    import sys

    code = ("import sys, iapt_ds; print(sorted(m for m in sys.modules if m.startswith('iapt_ds')));"
            "iapt_ds.validate; print('iapt_ds.pipeline' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "['iapt_ds', 'iapt_ds._lazy', 'iapt_ds.errors']" and out[1] == "True"


@pytest.mark.parametrize("kwargs, match", [
    (dict(period="March 2021"), "period must be 'YYYY-MM'"),
    (dict(period="2021-13"), "period must be 'YYYY-MM'"),
    (dict(provider=""), "provider must be a non-empty organisation code"),
    (dict(sender=42), "sender must be a non-empty organisation code"),
    (dict(submitted_at="yesterday"), "submitted_at must be an ISO date-time"),
    (dict(submitted_at=3.5), "submitted_at must be a datetime or ISO text"),
    (dict(reference_data={"organisations": ["R1Z"]}), "reference_data must provide"),
])
def test_misuse_raises_usage_error_with_a_clear_message(kwargs, match):
    with pytest.raises(UsageError, match=match):
        validate(iapt_ds.example_path(), **kwargs)


def test_wrong_submission_type_is_a_usage_error():
    with pytest.raises(UsageError, match="cannot read a submission from int"):
        validate(42)
    assert isinstance(UsageError("x"), TypeError)


def test_period_accepts_text_date_or_pair():
    for period in ("2021-03", dt.date(2021, 3, 17), (dt.date(2021, 3, 1), dt.date(2021, 3, 31))):
        assert validate(iapt_ds.example_path(), period=period, provider="R1Z").codes() == set()


def test_upload_details_compared_when_given_and_not_checked_otherwise():
    r = validate(iapt_ds.example_path(), period="2021-02", provider="RXX", sender="RYY")
    assert {"IDS00016", "IDS00019", "IDS00030", "IDS00033"} <= r.codes()
    assert r.reason("IDS000", 1).code in {"IDS00016", "IDS00019", "IDS00030"}
    assert "IDSREJ015" in r.codes() and r.outcome == "rejected"  # the header row is rejected
    bare = validate(iapt_ds.example_path())
    assert {"IDS00016", "IDS00019", "IDS00030", "IDS00033"} <= set(bare.not_checked)
    assert "IDS00027" not in bare.not_checked  # submitted_at defaults to now


def test_reference_data_not_checked_without_it_and_strict_with_it():
    r = validate(iapt_ds.example_path(), **UPLOAD)
    assert set(r.not_checked) == {c for c, rule in SPEC.rules.items() if rule.kind == "reference_data"}
    ref = ReferenceSets(organisations=["R1Z", "15F", "RGD"], postcodes=[])
    r = validate(iapt_ds.example_path(), reference_data=ref, **UPLOAD)
    assert "IDS00125" in r.codes()                  # no postcode is known
    assert "IDS00034" not in r.codes()              # R1Z is known
    assert "IDS00206" in r.not_checked              # GP practices not given


def test_every_input_row_is_accounted_for():
    rows = base_rows()
    rows["IDS002"][1]["StartDateGMPRegistration"] = "2030-01-01"
    rows["IDS201"][0]["AttendOrDNACode"] = "9"
    r = validate(read_rows({SPEC.tables[t].name: v for t, v in rows.items()}), **UPLOAD)
    for tid, t in r.tables.items():
        assert t.read == len(rows[tid]) == t.accepted + t.rejected
        statuses = list(r.rows(tid))
        assert len(statuses) == t.read
        assert all((s == "rejected") == (reason is not None) for _, s, reason in statuses)
        assert all(reason.root.cause is None for _, _, reason in statuses if reason)


def test_findings_render_messages_with_values():
    rows = base_rows()
    rows["IDS001"][0]["Gender"] = "M"
    r = validate(read_rows({SPEC.tables[t].name: v for t, v in rows.items()}), **UPLOAD)
    (f,) = r.findings_for("IDS001", 1, "IDS00131")
    assert f.value == "M" and f.severity == "warning" and f.key == ("R1Z0000101",)
    assert "'M'" in f.message and "1, 2, 9, X" in f.message
    assert str(f).startswith("IDS001 row 1 (R1Z0000101): IDS00131 warning:")


def test_the_lazy_names_of_the_package_and_of_report_import_once_and_list_in_dir():
    import iapt_ds.report as report

    for package, name in ((iapt_ds, "Submission"), (report, "write_csv")):
        assert name in dir(package)
        assert getattr(package, name) is getattr(package, name)
        assert name in vars(package)  # kept once imported
        with pytest.raises(AttributeError, match=f"module '{package.__name__}' has no attribute 'nope'"):
            package.nope
