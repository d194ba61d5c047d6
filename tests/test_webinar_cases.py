"""The cases from the data-quality webinar, on the bundled example: exactly which rows fall, and
that each names its root cause."""

from __future__ import annotations

from iapt_ds import example_path, read, validate
from iapt_ds.readers import read_rows
from iapt_ds.spec_examples import base_rows
from conftest import SPEC

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def _validate(rows):
    return validate(read_rows({SPEC.tables[t].name: r for t, r in rows.items()}), **UPLOAD)


def _row(rows, table, **match):
    for i, r in enumerate(rows[table]):
        if all(r[k] == v for k, v in match.items()):
            return i
    raise AssertionError(f"no {table} row {match}")


def _descendants(rows, table, index):
    """Every (table, row) below rows[table][index] in the parent chain, the row included."""
    out = {(table, index + 1)}
    frontier = [(table, index)]
    while frontier:
        t, i = frontier.pop()
        for child, cspec in SPEC.tables.items():
            if cspec.parent and cspec.parent[0] == t:
                key = cspec.parent[1]
                for j, r in enumerate(rows[child]):
                    if r[key] is not None and r[key] == rows[t][i][key]:
                        out.add((child, j + 1))
                        frontier.append((child, j))
    return out


def test_lpi_of_21_characters_is_a_record_rejection():
    rows = base_rows()
    rows["IDS001"][1]["LocalPatientId"] = "X" * 21
    result = _validate(rows)
    assert [f.code for f in result.findings_for("IDS001", 2) if f.code == "IDS00102"] == ["IDS00102"]
    assert result.reason("IDS001", 2).code == "IDS00102"
    assert result.outcome == "accepted"  # a record rejection does not reject the file


def test_duplicate_lpi_and_disability_code_rejects_both_rows_as_a_group():
    rows = base_rows()
    rows["IDS007"].append(dict(rows["IDS007"][0]))
    result = _validate(rows)
    dup = [(f.table, f.row) for f in result.findings if f.code == "IDS00702"]
    assert dup == [("IDS007", 1), ("IDS007", len(rows["IDS007"]))]
    assert all(f.severity == "group" for f in result.findings if f.code == "IDS00702")


def test_gp_registration_after_the_period_takes_down_the_patient_and_everything_below():
    rows = base_rows()
    gp = _row(rows, "IDS002", LocalPatientId="R1Z0000102")
    rows["IDS002"][gp]["StartDateGMPRegistration"] = "2021-04-15"
    patient = _row(rows, "IDS001", LocalPatientId="R1Z0000102")
    result = _validate(rows)

    root = [f for f in result.findings if f.code == "IDS00211"]
    assert [(f.table, f.row) for f in root] == [("IDS002", gp + 1)]
    root = root[0]
    # the GP row carries both its own rule and, once its patient falls, IDS00220
    assert {f.code for f in result.findings_for("IDS002", gp + 1)} == {"IDS00211", "IDS00220"}

    expected = _descendants(rows, "IDS001", patient) | {("IDS002", gp + 1)}
    rejected = {(t, r) for t in SPEC.tables for r in result.rejected_rows(t)}
    assert rejected == expected
    # every table below the patient is hit
    assert {t for t, _ in expected} >= {"IDS001", "IDS002", "IDS004", "IDS007", "IDS011", "IDS101", "IDS201",
                                        "IDS202", "IDS607"}
    for table, row in expected:
        reason = result.reason(table, row)
        assert reason.root is root, (table, row, reason)
    # the cascade codes, in SDCS's order, each on its own table
    cascade_codes = {SPEC.rules[c].table: c for c in SPEC.cascade}
    for table, row in expected - {("IDS002", gp + 1)}:
        codes = {f.code for f in result.findings_for(table, row)}
        assert cascade_codes[table] in codes or (table == "IDS001" and "IDS00145" in codes), (table, codes)
    patient_finding = result.reason("IDS001", patient + 1)
    assert patient_finding.code == "IDS00145" and patient_finding.cause is root
    assert "Root cause: IDS002 row" in patient_finding.message
    assert result.outcome == "accepted"
    assert result.root_causes()[0] == (root, len(expected))


def test_nhs_number_failing_modulus_11_rejects_the_file():
    rows = base_rows()
    rows["IDS001"][0]["NHSNumber"] = rows["IDS001"][0]["NHSNumber"][:-1] + str((int(rows["IDS001"][0]["NHSNumber"][-1]) + 1) % 10)
    result = _validate(rows)
    assert result.outcome == "rejected"
    assert [(f.code, f.table, f.row) for f in result.file_findings] == [("IDSREJ006", "IDS001", 1)]
    # the row itself is rejected too, and its dependants follow
    assert result.is_rejected("IDS001", 1) and result.is_rejected("IDS101", 1)


def test_blank_nhs_number_only_warns():
    rows = base_rows()
    rows["IDS001"][0]["NHSNumber"] = None
    rows["IDS001"][0]["NHSNumberStatus"] = "03"
    result = _validate(rows)
    assert result.outcome == "accepted"
    assert {(f.code, f.severity.value) for f in result.findings} == {("IDS00111", "warning")}
    assert result.rejected_rows("IDS001") == []


def test_the_bundled_example_validates_with_no_finding():
    result = validate(read(example_path()), **UPLOAD)
    assert result.outcome == "accepted"
    assert result.findings == ()
    assert sum(t.read for t in result.tables.values()) == 133
