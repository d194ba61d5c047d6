"""Redaction: no NHS number, local patient identifier, postcode or birth date survives in any
report made with ``redact=True``, and the reports stay readable."""

from __future__ import annotations

import csv
import io
import json

import pytest

from iapt_ds.report import BINARY_FORMATS, FORMATS, mask
from iapt_ds.report.redact import Redactor
from iapt_ds.spec import load_spec
from test_report_data import LONG_LPI, messy_fixture, sensitive_values  # noqa: F401  (a fixture)


@pytest.mark.parametrize("value, masked", [
    ("9994021834", "********34"), ("R1Z0000101", "********01"), ("LS1 4AP", "*** *AP"),
    ("1985-06-14", "****-**-14"), ("AB12", "****"), ("", ""), (None, None), ("Zoë—ü😀", "***—*😀"),
    ("Zoë Ünal", "*** **al"),
])
def test_mask(value, masked):
    assert mask(value) == masked


def _text(result, fmt: str, **kw) -> str:
    """The report in *fmt* as text (an xlsx workbook: every cell's text, read back)."""
    if fmt in BINARY_FORMATS:
        openpyxl = pytest.importorskip("openpyxl")
        raw = io.BytesIO()
        FORMATS[fmt](result, raw, **kw)
        raw.seek(0)
        book = openpyxl.load_workbook(raw, read_only=True)
        return "\n".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row
                         if c is not None)
    out = io.StringIO()
    FORMATS[fmt](result, out, **kw)
    return out.getvalue()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_nothing_sensitive_survives(messy, fmt):
    result, folder = messy
    text = _text(result, fmt, redact=True)
    # the rules' own words may quote an example (IDSREJ007: "for example 'LS1 4AP'")
    words = " ".join(r.message for r in load_spec().rules.values())
    secrets = {s for s in sensitive_values(folder) if s not in words}
    assert len(secrets) > 20
    leaked = sorted(s for s in secrets if s in text)
    assert not leaked, f"{fmt} report leaks {leaked[:5]}"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_without_redaction_the_values_are_there(messy, fmt):
    result, _ = messy
    assert LONG_LPI in _text(result, fmt)


def test_messages_stay_right(messy):
    result, _ = messy
    out = io.StringIO()
    FORMATS["json"](result, out, redact=True)
    findings = json.loads(out.getvalue())["findings"]
    lpi = next(f for f in findings if f["code"] == "IDS00102")
    assert lpi["value"] == "*" * 19 + "0X"
    assert "has 21 characters; it must be at most 20" in lpi["message"]
    assert lpi["key"] == {"LocalPatientId": "*" * 19 + "0X"}
    gp = next(f for f in findings if f["code"] == "IDS00211")
    assert gp["value"] == "2021-05-01"  # not a sensitive column: kept
    assert gp["key"]["GMPCodeReg"] == "A81001" and gp["key"]["LocalPatientId"] == "********01"


def test_csv_keys_are_masked(messy):
    result, _ = messy
    out = io.StringIO(newline="")
    FORMATS["csv"](result, out, redact=True)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert all("R1Z00001" not in r["key"] for r in rows)


def test_free_text_loses_nhs_numbers_and_postcodes():
    text = "called 943 476 5870 from LS1 4AP and 9434765870"
    redactor = Redactor(load_spec())
    assert redactor.text(text) == "called *** *** **70 from *** *AP and ********70"
    assert redactor.text("2021-03-31 and 747901000000107") == "2021-03-31 and 747901000000107"


def test_quoted_values_of_a_structure_message_are_masked_but_not_the_specs_names():
    detail = "IDS001MPI.PersonBirthDate row 3: '1985-13-01' is not a date; 'NHSNumber' is missing"
    assert Redactor(load_spec())._quoted(detail) == ("IDS001MPI.PersonBirthDate row 3: '****-**-01' is not a date;"
                                                     " 'NHSNumber' is missing")
    assert Redactor(load_spec()).text(None) is None


def test_equally_long_secrets_are_masked_in_the_same_order_in_every_process():
    """Regression: a finding's secrets were ordered by length alone, so two of the same length
    came in the order of a set of them, which follows the process's string hashes: where they
    overlapped ("AB12" and "12CD" in "AB12CD"), a redacted report could differ from one run to
    the next. Equally long ones now come in text order."""
    import subprocess
    import sys
    from pathlib import Path

    import iapt_ds

    code = ("from iapt_ds.report.redact import _longest_first\n"
            "print(_longest_first({'AB12', '12CD', 'ZZ99', 'X1', 'LONGER1'}))")
    env = {"PYTHONPATH": str(Path(iapt_ds.__file__).resolve().parents[1])}
    seen = {subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONHASHSEED": str(seed)},
                           capture_output=True, text=True, check=True).stdout for seed in range(8)}
    assert seen == {"['LONGER1', '12CD', 'AB12', 'ZZ99', 'X1']\n"}, seen
