"""Everything that knows tables follows the version, against the real IAPT v2.1 spec: the readers
and the structure check, record classes, the look-up warnings, the calendar, the testing
strategies and breakers, the synthetic generator. (Version choice itself: test_version_choice.py.)"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import iapt_ds
from iapt_ds.version_choice import known_versions, specs_by_version

pytestmark = pytest.mark.skipif("2.1" not in known_versions(), reason="the IAPT v2.1 spec is not shipped")

UPLOAD21 = dict(period="2024-05", provider="R1Z", sender="R1Z", submitted_at="2024-06-05T12:00:00")


@pytest.fixture(scope="module")
def v21():
    return specs_by_version()["2.1"]


def _v21_example() -> Path:
    examples = Path(iapt_ds.__file__).resolve().parent / "examples"
    found = [p for p in examples.iterdir() if p.is_dir() and (p / "IDS003AccommStatus.csv").exists()]
    if not found:
        pytest.skip("no bundled v2.1 example")
    return found[0]


def test_a_v21_idb_shape_has_21_tables_and_the_v21_example_runs_v21(v21):
    assert len(v21.tables) == 21
    folder = _v21_example()
    sub = iapt_ds.read(folder)
    assert sub.spec is v21 and len(sub.tables) == 21 and not sub.problems
    result = iapt_ds.validate(sub, **UPLOAD21)
    assert result.dataset_version == "2.1" and result.version.chosen_by == "header" and result.version_notes == ()
    assert result.findings == ()
    assert type(sub.tables["IDS003"].record(0)).__module__ == "iapt_ds.records.v2_1"


def test_the_look_ups_follow_the_version(v21):
    """Part 5: ten reference-data warnings in v2.0, eight in v2.1; "not checked" lists the version's."""
    v20 = iapt_ds.load_spec()
    look_ups = {s.version: {c for c, r in s.rules.items() if r.kind == "reference_data"} for s in (v20, v21)}
    assert (len(look_ups["2.0"]), len(look_ups["2.1"])) == (10, 8)
    assert look_ups["2.0"] - look_ups["2.1"] == {"IDS00156", "IDS00219"}
    r20 = iapt_ds.validate(iapt_ds.example_path(), period="2021-03")
    r21 = iapt_ds.validate(_v21_example(), period="2024-05")
    lookups_not_checked = {v: {c for c, why in r.not_checked.items() if "reference data" in why}
                           for v, r in (("2.0", r20), ("2.1", r21))}
    assert lookups_not_checked == look_ups


def test_a_v20_file_declared_21_names_what_differs(tmp_path):
    folder = tmp_path / "sub"
    shutil.copytree(iapt_ds.example_path(), folder)
    path = folder / "IDS000Header.csv"
    text = path.read_text(encoding="utf-8").replace("\n2.0,", "\n2.1,")
    path.write_text(text, encoding="utf-8")
    result = iapt_ds.validate(folder, **UPLOAD21)
    assert result.dataset_version == "2.1" and not result.accepted
    summary = [f.message for f in result.findings if f.code == "IDSREJ001" and "those of the IAPT v2.0 IDB" in f.message]
    assert len(summary) == 1
    for name in ("IDS003AccommStatus", "IDS601MedHistPrevDiag", "GenderIdentity", "SourceOfReferralIAPT",
                 "ConsMechanism", "OrgIDResidenceResp", "SourceOfReferralMH", "ConsMediumUsed", "JSAInd"):
        assert name in summary[0], name


def test_a_v21_file_declared_20_names_what_differs(tmp_path):
    folder = tmp_path / "sub"
    shutil.copytree(_v21_example(), folder)
    path = folder / "IDS000Header.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    rows[0]["DatSetVer"] = "2.0"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    result = iapt_ds.validate(folder, **UPLOAD21)
    assert result.dataset_version == "2.0" and not result.accepted
    assert any("SDCS expects v2.1" in n for n in result.version_notes)
    text = "\n".join(f.message for f in result.findings if f.code == "IDSREJ001")
    assert "those of the IAPT v2.1 IDB, not v2.0" in text
    assert "IDS003AccommStatus.csv is not a table of the v2.0 IDB" in text


def test_record_classes_of_v21(v21):
    from iapt_ds.records import record_classes
    from iapt_ds.records.v2_1 import IDS001MPI, IDS003AccommStatus

    assert record_classes("2.1")["IDS003"] is IDS003AccommStatus
    assert "GenderIdentity" in attrs_names(IDS001MPI) and "OrgIDResidenceResp" not in attrs_names(IDS001MPI)
    from iapt_ds.records import IDS001MPI as V20MPI  # the v2.0 classes, as before

    assert "OrgIDResidenceResp" in attrs_names(V20MPI)


def attrs_names(cls) -> list[str]:
    return [a.name for a in cls.__attrs_attrs__]


def test_the_v21_calendar():
    from iapt_ds.calendar import period_info, spec_for_period

    spec = spec_for_period("2024-05")
    assert spec.version == "2.1"
    may = period_info("2024-05", spec)
    assert (str(may.primary.opens), str(may.primary.closes)) == ("2024-06-01", "2024-06-27")
    assert [str(w.opens) for w in may.refresh] == ["2024-07-01"]
    assert (may.primary_name, may.refresh_name()) == ("Provisional", "Performance")
    april22 = period_info("2022-04", spec)
    assert str(april22.primary.opens) == "2022-05-16" and april22.primary.periods == ("2022-04",)
    assert (april22.primary_name, april22.refresh_name()) == ("Primary", "Refresh")
    # June 2023: first submitted before the renaming, resubmitted after it
    june23 = period_info("2023-06", spec)
    assert (june23.primary_name, june23.refresh_name()) == ("Primary", "Performance")
    assert spec_for_period("2021-03").version == "2.0"


def test_cli_calendar_for_a_v21_period(capsys):
    from iapt_ds.cli import main

    assert main(["calendar", "2024-05"]) == 0
    out = capsys.readouterr().out
    assert "Data set:         IAPT v2.1 (DatSetVer '2.1')" in out
    assert "Provisional window: opens Sat 01 Jun 2024, closes Thu 27 Jun 2024" in out
    assert "Performance window: opens Mon 01 Jul 2024" in out
    assert main(["calendar", "2021-03"]) == 0
    assert "Primary window:   opens Thu 01 Apr 2021" in capsys.readouterr().out


def test_explain_says_how_a_code_differs(capsys):
    from iapt_ds.cli import main

    assert main(["explain", "IDS20120"]) == 0
    out = capsys.readouterr().out
    assert "v2.0 → v2.1: Changed in v2.1: fields ConsMediumUsed → ConsMechanism" in out
    assert main(["explain", "IDS00301"]) == 0
    assert "v2.0 → v2.1: New in v2.1" in capsys.readouterr().out
    assert main(["explain", "IDS00155"]) == 0
    assert "Removed in v2.1 (its column is gone) [confirmed]" in capsys.readouterr().out
    assert main(["explain", "IDS00003", "--dataset-version", "2.1"]) == 0
    assert "status: confirmed: taken from NHS Digital's published code (v2.0's rule, or a change v2.1's" in \
        capsys.readouterr().out


_FAST = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))


@_FAST
@given(st.data())
def test_a_generated_v21_submission_is_accepted_with_no_finding(data):
    from iapt_ds.testing import known_reference_data, submissions, upload_of

    rows = data.draw(submissions("2024-05", version="2.1", sizes={"IDS003": (1, 2), "IDS601": (1, 2)}))
    assert rows["IDS000Header"][0]["DatSetVer"] == "2.1"
    assert rows["IDS003AccommStatus"] and rows["IDS601MedHistPrevDiag"]
    result = iapt_ds.validate(rows, **upload_of(rows), reference_data=known_reference_data(rows))
    assert result.dataset_version == "2.1" and result.version.chosen_by == "header"
    assert result.findings == (), [str(f) for f in result.findings[:5]]
    assert result.not_checked == {}


@_FAST
@given(st.data())
def test_v21_breakers_break_one_rule(data):
    from iapt_ds.testing.breakers import breaking

    code = data.draw(st.sampled_from(["IDS00303", "IDS60111", "IDS00310", "IDS60110", "IDS00165", "IDS00443",
                                      "IDS20120", "IDS10118", "IDS00003", "IDS60112", "IDS20228"]))
    broken = data.draw(breaking(code, version="2.1"))
    result = broken.validate()
    assert result.dataset_version == "2.1"
    assert broken.discrepancies(result) == []


def test_synthetic_v21(tmp_path):
    from iapt_ds.synthetic import write_csv_folder

    counts = write_csv_folder(tmp_path / "s", rows=400, seed=2, version="2.1")
    assert set(counts) == set(specs_by_version()["2.1"].tables) and counts["IDS003"] > 0
    result = iapt_ds.validate(tmp_path / "s", **UPLOAD21)
    assert result.dataset_version == "2.1" and result.findings == ()
    faulty = write_csv_folder(tmp_path / "f", rows=400, seed=2, fault_rate=0.1, version="2.1")
    assert faulty
    bad = iapt_ds.validate(tmp_path / "f", **UPLOAD21)
    assert bad.dataset_version == "2.1" and bad.findings


def test_every_report_of_a_v21_run_names_v21(v21):
    from iapt_ds.report import write_report

    result = iapt_ds.validate(_v21_example(), **UPLOAD21)
    for fmt in ("text", "json", "html"):
        out = io.StringIO()
        write_report(result, out, fmt)
        assert "IAPT v2.1 rules (DatSetVer in the header is &#x27;2.1&#x27;)" in out.getvalue() or \
            "IAPT v2.1 rules (DatSetVer in the header is '2.1')" in out.getvalue() or \
            '"reason": "DatSetVer in the header is \'2.1\'"' in out.getvalue(), fmt
