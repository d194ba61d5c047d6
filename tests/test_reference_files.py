"""Reference data from the files people download (ODS extracts, the ONS Postcode Directory),
applied at the reporting-period start, and recorded in the report."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.errors import InputError
from iapt_ds.reference import ReferenceFiles, load_reference_folder, ods_kind
from iapt_ds.report import write_report

DATA = Path(__file__).parent / "data" / "reference"
MARCH = dt.date(2021, 3, 1)


@pytest.fixture(scope="module")
def ref() -> ReferenceFiles:
    return load_reference_folder(DATA)


def test_each_file_is_read_for_its_kind(ref):
    assert {(f.kind, f.name, f.entries) for f in ref.files} == {
        ("organisations", "etr.csv", 3), ("organisations", "eccg.csv", 5), ("GP practices", "epraccur.csv", 8),
        ("sites", "ets.csv", 2), ("postcodes", "ONSPD_FEB_2021_UK.csv", 7)}
    assert all("latest date in it" in f.edition for f in ref.files)
    assert ods_kind("egpcur") is None and ods_kind("ensa") == "organisations" and ods_kind("ephpsite") == "sites"


@pytest.mark.parametrize("ask, code, on, expected", [
    ("organisation_exists", "R1Z", MARCH, True),
    ("organisation_exists", "RR8", MARCH, False),                     # closed 2019-03-31
    ("organisation_exists", "RR8", dt.date(2019, 3, 31), True),       # its last day
    ("organisation_exists", "02W", MARCH, False),                     # CCG merged away in 2020
    ("organisation_exists", "15f", MARCH, True),                      # case and spaces as DSP: upper-cased
    ("organisation_exists", "ZZZ", MARCH, False),
    ("gp_practice_exists", "A81001", MARCH, True),
    ("gp_practice_exists", "B86110", MARCH, False),                   # closed 2020-09-30
    ("site_exists", "R1Z02", MARCH, True),                            # from a file with a header row
    ("site_exists", "R1Z03", MARCH, False),
    ("postcode_exists", "LS14AP", MARCH, True),                       # spaces do not matter
    ("postcode_exists", "LS6 2QT", MARCH, False),                     # terminated 2015-12
    ("postcode_exists", "LS7 3JB", MARCH, False),                     # introduced 2021-04
    ("postcode_exists", "LS7 3JB", dt.date(2021, 4, 1), True),
])
def test_lookups_at_the_period_start(ref, ask, code, on, expected):
    assert getattr(ref, ask)(code, on) is expected


def test_a_kind_no_file_gave_is_not_checked(tmp_path):
    shutil.copy(DATA / "etr.csv", tmp_path / "etr.csv")
    only = load_reference_folder(tmp_path)
    assert only.organisation_exists("R1Z", MARCH) is True
    assert only.gp_practice_exists("A81001", MARCH) is None and only.postcode_exists("LS1 4AP", MARCH) is None
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", reference_data=only)
    assert "IDS00034" not in result.not_checked and "IDS00206" in result.not_checked


def test_validation_with_the_files(ref):
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", reference_data=ref)
    found = {(f.code, f.value) for f in result.findings}
    assert ("IDS00206", "B86110") in found                            # closed practice
    assert ("IDS00125", "LS6 2QT") in found and ("IDS00125", "LS7 3JB") in found
    assert not any(c in result.not_checked for c in ("IDS00034", "IDS00125", "IDS00206", "IDS20149"))
    assert result.accepted                                            # reference-data rules only warn
    out = io.StringIO()
    write_report(result, out, "json")
    files = json.loads(out.getvalue())["checked"]["reference_data"]
    assert {f["name"] for f in files} == {"etr.csv", "eccg.csv", "epraccur.csv", "ets.csv", "ONSPD_FEB_2021_UK.csv"}
    out = io.StringIO()
    write_report(result, out, "text")
    assert "reference data:   GP practices: epraccur.csv" in out.getvalue()


def test_cli_reference_folder_and_bad_folders(tmp_path):
    p = subprocess.run([sys.executable, "-m", "iapt_ds", "validate", "--example", "--period", "2021-03",
                        "--reference-data", str(DATA)], capture_output=True, text=True)
    assert p.returncode == 0 and "IDS00206" in p.stdout
    (tmp_path / "notes.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="no reference file in it"):
        load_reference_folder(tmp_path)
    bad = tmp_path / "pc"
    bad.mkdir()
    (bad / "x.csv").write_text("pcds,dointr\nLS1 4AP,198001\n")
    assert load_reference_folder(bad).postcode_exists("LS1 4AP", MARCH) is True
