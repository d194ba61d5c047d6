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
        ("organisations", "etr.csv", 3), ("organisations", "eccg.csv", 5), ("GP practices", "epraccur.csv", 11),
        ("sites", "ets.csv", 5), ("postcodes", "ONSPD_FEB_2021_UK.csv", 7), ("successions", "succ.csv", 5),
        ("organisations", "eother.csv", 3)}
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
    assert {f["name"] for f in files} == {"etr.csv", "eccg.csv", "epraccur.csv", "ets.csv", "ONSPD_FEB_2021_UK.csv",
                                          "succ.csv", "eother.csv"}
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


# ---------------------------------------------------------------- roles and successions, as DSP

@pytest.mark.parametrize("ask, code, on, expected", [
    # GP practices: the GP practice role (RO76) or the prescribing cost centre role (RO177)
    ("gp_practice_exists", "Y02625", MARCH, True),      # epraccur, out-of-hours (setting 2): a cost centre
    ("gp_practice_exists", "Y04937", MARCH, True),      # epraccur, a prison (setting 25): a cost centre
    ("gp_practice_exists", "Y07031", MARCH, True),      # a headed export, roles RO177 + RO76
    ("gp_practice_exists", "Y06500", MARCH, False),     # the same export, a pharmacy (RO182): no
    ("gp_practice_exists", "Y05999", MARCH, False),     # a cost centre, closed 2020-09-30
    ("gp_practice_exists", "RGD", MARCH, False),        # a trust is an organisation, not a practice
    # a practice merged away: answered by its successor in force at the period start
    ("gp_practice_exists", "B86099", MARCH, True),
    ("gp_practice_exists", "B86099", dt.date(2019, 12, 31), True),   # its own last day
    ("gp_practice_exists", "B86110", MARCH, False),     # closed with no successor
    # sites: any ODS record, successions followed (as many steps as they go)
    ("site_exists", "R1Z05", MARCH, True),              # closed 2020-03-31, succeeded by R1Z01
    ("site_exists", "R1Z06", MARCH, True),              # R1Z06 -> R1Z07 (closed 2020-12-31) -> R1Z02
    ("site_exists", "R1Z06", dt.date(2020, 6, 1), True),   # then R1Z07 itself was open
    ("site_exists", "R1Z07", dt.date(2020, 12, 31), True),
    ("site_exists", "R1Z", MARCH, True),                # an organisation's code is an ODS record too
    ("site_exists", "R1Z03", MARCH, False),
    # organisations: any ODS record, successions NOT followed (DSP's rules ignore them)
    ("organisation_exists", "RR8", MARCH, False),       # succeeded by RGD, still not current
    ("organisation_exists", "A81001", MARCH, True),     # a practice code is an ODS record
    ("organisation_exists", "R1Z05", MARCH, False),     # a closed site, not followed
])
def test_roles_and_successions_as_dsp_applies_them(ref, ask, code, on, expected):
    assert getattr(ref, ask)(code, on) is expected


def test_a_succession_in_force_only_from_its_date(ref):
    """R1Z07 succeeds R1Z06 from 2020-04-01, and R1Z02 succeeds R1Z07 from 2021-01-01: before
    that, the chain stops where the succession is not yet in force."""
    assert ref.successor_at("R1Z06", dt.date(2020, 3, 31)) == "R1Z06"     # its own last day
    assert ref.successor_at("R1Z06", dt.date(2020, 4, 1)) == "R1Z07"
    assert ref.successor_at("R1Z06", dt.date(2020, 12, 31)) == "R1Z07"    # R1Z07's last day
    assert ref.successor_at("R1Z07", dt.date(2020, 12, 31)) == "R1Z07"
    assert ref.successor_at("R1Z06", MARCH) == "R1Z02"
    assert ref.successor_at("B86099", dt.date(2019, 12, 31)) == "B86099"  # still open on its last day
    assert ref.successor_at("B86110", MARCH) == "B86110"                  # closed, no successor


def test_two_successors_or_a_loop_are_not_followed(tmp_path):
    """DSP follows a succession only when exactly one successor is in force; a loop in the data
    ends the chain instead of running for ever."""
    (tmp_path / "ets.csv").write_text("Organisation Code,Open Date,Close Date\n"
                                      "S1,20000101,20191231\nS2,20000101,\nS3,20000101,\n"
                                      "L1,20000101,20191231\nL2,20000101,20191231\n")
    (tmp_path / "succ.csv").write_text("S1,S2,R,20200101,\nS1,S3,R,20200101,\nL1,L2,R,20200101,\nL2,L1,R,20200101,\n")
    ref = load_reference_folder(tmp_path)
    assert ref.site_exists("S1", MARCH) is False and ref.successor_at("S1", MARCH) == "S1"
    assert ref.site_exists("L1", MARCH) is False


def test_a_successor_column_in_a_headed_file(tmp_path):
    (tmp_path / "ets.csv").write_text("Organisation Code,Open Date,Close Date,Successor Organisation Code\n"
                                      "T1,20000101,20200331,T2\nT2,20200401,,\n")
    ref = load_reference_folder(tmp_path)
    assert ref.site_exists("T1", MARCH) is True and ref.successor_at("T1", MARCH) == "T2"


def test_the_editions_say_how_many_are_gp_practices_proper(ref):
    practices = next(f for f in ref.files if f.name == "epraccur.csv")
    assert "9 GP practices (prescribing setting 4), 2 other prescribing cost centres" in practices.edition
    other = next(f for f in ref.files if f.name == "eother.csv")
    assert "2 GP practices or prescribing cost centres by their role" in other.edition


def test_validation_follows_successions_and_roles(ref, tmp_path):
    """The example submission with a merged practice, a closed site whose successor is open, an
    out-of-hours cost centre and a trust code given as GP practices: only the trust is a warning."""
    import csv

    folder = tmp_path / "sub"
    shutil.copytree(iapt_ds.example_path(), folder)

    def edit(name: str, column: str, values: list[str]) -> None:
        path = folder / name
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row, value in zip(rows, values):
            row[column] = value
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)

    edit("IDS002GP.csv", "GMPCodeReg", ["B86099", "Y02625", "RGD"])
    edit("IDS201CareContact.csv", "SiteIDOfTreat", ["R1Z05", "R1Z06", "R1Z03"])
    result = iapt_ds.validate(folder, period="2021-03", reference_data=ref)
    found = {(f.code, f.value) for f in result.findings if f.code in ("IDS00206", "IDS20149")}
    assert ("IDS00206", "RGD") in found and ("IDS20149", "R1Z03") in found
    assert not found & {("IDS00206", "B86099"), ("IDS00206", "Y02625"), ("IDS20149", "R1Z05"),
                        ("IDS20149", "R1Z06")}
