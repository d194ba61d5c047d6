"""IAPT v2.1 (spec/iapt-v2.1/, a delta on v2.0): what changes, what is carried, and its bundled
example. The facts and their confidence: iapt-v2.1.md in the project's shared reference."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

import iapt_ds
from iapt_ds.readers import read_rows
from iapt_ds.spec import load_spec, spec_path

V20 = load_spec()
V21 = load_spec(version="2.1")
UPLOAD = {"period": "2024-05", "provider": "R1Z", "sender": "R1Z", "submitted_at": "2024-06-05T12:00:00"}

REMOVED = {"IDS00155", "IDS00156", "IDS00217", "IDS00218", "IDS00219", "IDS00421", "IDS00422", "IDS00429",
           "IDS00430"}
NEW = ({f"IDS0016{i}" for i in range(3, 8)}
       | {f"IDS003{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 18, 20, 21, 22)}
       | {f"IDS601{n:02d}" for n in range(1, 13)}
       | {"IDS00441", "IDS00442", "IDS00443"})


def test_21_tables_and_140_columns_in_sdcs_order():
    assert list(V21.tables) == ["IDS000", "IDS001", "IDS002", "IDS003", "IDS004", "IDS007", "IDS011", "IDS012",
                                "IDS101", "IDS105", "IDS108", "IDS201", "IDS202", "IDS205", "IDS601", "IDS602",
                                "IDS603", "IDS606", "IDS607", "IDS803", "IDS902"]
    assert sum(len(t.fields) for t in V21.tables.values()) == 140
    assert V21.tables["IDS003"].name == "IDS003AccommStatus" and V21.tables["IDS601"].name == "IDS601MedHistPrevDiag"
    assert V21.tables["IDS003"].parent == V21.tables["IDS601"].parent == ("IDS001", "LocalPatientId")


def test_columns_removed_added_and_renamed():
    def names(spec, t):
        return spec.tables[t].field_names
    assert names(V21, "IDS001") == ("LocalPatientId", "OrgIDLocalPatientId", "NHSNumber", "NHSNumberStatus",
                                    "PersonBirthDate", "Postcode", "Gender", "GenderIdentity",
                                    "GenderIdentitySameAtBirth", "EthnicCategory", "EthnicCategory2021",
                                    "ExBAFIndicator", "LanguageCodePreferred", "EduEstabTypeIAPT")
    assert "OrgIDGPPrac" not in names(V21, "IDS002")
    assert names(V21, "IDS004")[-1] == "EmpSupportDischargeDate"
    assert not {"JSAInd", "OtherBenefitInd"} & set(names(V21, "IDS004"))
    for t, old, new in (("IDS101", "SourceOfReferralMH", "SourceOfReferralIAPT"), ("IDS201", "ConsMediumUsed", "ConsMechanism")):
        i = names(V20, t).index(old)
        assert names(V21, t)[i] == new
        assert V21.tables[t].field_map[new].uid == V20.tables[t].field_map[old].uid  # same data item
    assert V21.tables["IDS001"].field_map["NHSNumberStatus"].item.endswith("(MENTAL HEALTH AND MATERNITY)")


def test_410_codes_split_13_42_269_86():
    assert len(V21.rules) == 410
    assert dict(V21.severity_counts) == {"file": 13, "group": 42, "record": 269, "warning": 86}
    assert set(V20.rules) - set(V21.rules) == REMOVED
    assert set(V21.rules) - set(V20.rules) == NEW


def test_the_renamed_columns_take_their_rules():
    for code, field in (("IDS10117", "SourceOfReferralIAPT"), ("IDS10118", "SourceOfReferralIAPT"),
                        ("IDS20119", "ConsMechanism"), ("IDS20120", "ConsMechanism")):
        assert V21.rules[code].fields == (field,)
        assert V21.rules[code].severity == V20.rules[code].severity and V21.rules[code].kind == V20.rules[code].kind
    assert V21.codelists["ConsMechanism"].codes == ("01", "02", "04", "05", "98", "09", "10", "11", "12", "13")
    assert set(V21.codelists["SourceOfReferralIAPT"].codes) == set(V20.codelists["SourceOfReferralMH"].codes) | {"N4", "Q1"}
    assert "ConsMediumUsed" not in V21.codelists and "JSAInd" not in V21.codelists


def test_datsetver_is_21():
    assert V21.dataset_version == "2.1" and V21.codelists["DatSetVer"].codes == ("2.1",)
    assert V21.periods[0] == "2022-04" and V20.periods[1] == "2022-03"


def test_the_cascade_has_the_two_new_referential_integrity_rules_after_the_patients_own():
    assert len(V21.cascade) == 20
    i = V21.cascade.index("IDS00146")
    assert V21.cascade[i + 1:i + 3] == ("IDS00310", "IDS60110")
    assert [c for c in V21.cascade if c not in ("IDS00310", "IDS60110")] == list(V20.cascade)


def test_look_up_warnings_10_in_v20_8_in_v21():
    def lookups(spec):
        return sorted(c for c, r in spec.rules.items() if r.kind == "reference_data")
    assert len(lookups(V20)) == 10 and len(lookups(V21)) == 8
    assert set(lookups(V20)) - set(lookups(V21)) == {"IDS00156", "IDS00219"}


def test_confirmed_and_inferred():
    inferred = {c for c, r in V21.rules.items() if r.status == "inferred"}
    # every new rule is inferred, each with a note naming what it is modelled on
    assert NEW <= inferred
    for c in NEW:
        note = V21.rules[c].note
        assert note and ("MHSDS v6 MHS" in note or "v2.0's IDS" in note or "GUESS" in note), c
        assert "guess" in note.lower(), c  # the code number is a guess and says so
    # the changes that are not confirmed are inferred too
    assert {"IDS10118", "IDS20120", "IDS20228", "IDS60209", "IDS60310"} <= inferred
    assert {V21.rules[c].status for c in ("IDS10117", "IDS20119", "IDS00003")} == {"confirmed"}
    assert len(inferred) == len({c for c, r in V20.rules.items() if r.status == "inferred"} - REMOVED) + 37 + 5


def _raw_rules(folder: Path) -> dict[str, dict]:
    out = {}
    for p in sorted((folder / "rules").glob("*.yaml")):
        doc = yaml.safe_load(p.read_text())
        for r in doc if isinstance(doc, list) else (doc.get("replace") or []) + (doc.get("add") or []):
            out[r["code"]] = r
        if isinstance(doc, dict):
            out.update({c: dict(u, code=c) for c, u in (doc.get("update") or {}).items()})
    return out


def test_the_delta_stays_a_delta():
    v20, v21 = _raw_rules(spec_path("2.0")), _raw_rules(spec_path("2.1"))
    assert yaml.safe_load((spec_path("2.1") / "dataset.yaml").read_text())["extends"] == "2.0"
    assert not (spec_path("2.1") / "tables.yaml").read_text().count("IDS101Referral")  # no table restated
    for code, r in v21.items():
        if code in v20:
            # an update restates no key unchanged, a replacement is not the same rule
            assert any(v20[code].get(k) != v for k, v in r.items() if k != "code"), code
    # the merged v2.1 keeps every carried rule exactly as v2.0 has it
    carried = set(V20.rules) - REMOVED - set(v21)
    assert len(carried) > 300
    for c in carried:
        assert V21.rules[c] == V20.rules[c] and V21.rules[c].message == V20.rules[c].message, c


# ---------------------------------------------------------------------------- the bundled example

def test_the_v21_example_is_accepted_with_no_finding():
    result = iapt_ds.validate(iapt_ds.example_path("2.1"), spec=V21, **UPLOAD)
    assert result.outcome == "accepted"
    assert not result.findings, sorted({f.code for f in result.findings})
    # every table has rows, the header says 2.1 and May 2024
    with (iapt_ds.example_path("2.1") / "IDS000Header.csv").open(encoding="utf-8") as fh:
        header = next(csv.DictReader(fh))
    assert (header["DatSetVer"], header["ReportingPeriodStartDate"]) == ("2.1", "2024-05-01")
    for t in V21.tables.values():
        with (iapt_ds.example_path("2.1") / f"{t.name}.csv").open(encoding="utf-8") as fh:
            assert len(list(csv.DictReader(fh))) >= 1, t.name


def test_example_path_by_version():
    assert iapt_ds.example_path() == iapt_ds.example_path("2.0") != iapt_ds.example_path("2.1")
    assert iapt_ds.example_path("2.1").name == "may-2024"
    with pytest.raises(iapt_ds.UsageError, match="no bundled example for version '1.9'"):
        iapt_ds.example_path("1.9")


def test_the_v21_example_is_no_v20_submission():
    # its header says 2.1, so validate() runs v2.1's rules unless told otherwise
    assert iapt_ds.validate(iapt_ds.example_path("2.1"), **UPLOAD).dataset_version == "2.1"
    codes = {f.code for f in iapt_ds.validate(iapt_ds.example_path("2.1"), version="2.0", **UPLOAD).findings}
    assert {"IDSREJ001", "IDS00003"} <= codes


def test_a_rejected_patient_takes_their_accommodation_and_diagnosis_rows(tmp_path):
    src = iapt_ds.example_path("2.1")
    rows = {}
    for t in V21.tables.values():
        with (src / f"{t.name}.csv").open(encoding="utf-8", newline="") as fh:
            rows[t.name] = list(csv.DictReader(fh))
    lpi = rows["IDS001MPI"][1]["LocalPatientId"]
    assert any(r["LocalPatientId"] == lpi for r in rows["IDS003AccommStatus"])
    assert sum(r["LocalPatientId"] == lpi for r in rows["IDS601MedHistPrevDiag"]) == 2
    rows["IDS001MPI"][1]["OrgIDLocalPatientId"] = ""  # a blank mandatory field rejects the patient
    sub = read_rows(rows, spec=V21)
    result = iapt_ds.validate(sub, spec=V21, **UPLOAD)
    by = {(f.code, f.table, f.row) for f in result.findings}
    acc = [i + 1 for i, r in enumerate(rows["IDS003AccommStatus"]) if r["LocalPatientId"] == lpi]
    diag = [i + 1 for i, r in enumerate(rows["IDS601MedHistPrevDiag"]) if r["LocalPatientId"] == lpi]
    assert {("IDS00310", "IDS003", i) for i in acc} <= by
    assert {("IDS60110", "IDS601", i) for i in diag} <= by
    assert not {c for c, t, _ in by if t in ("IDS003", "IDS601")} - {"IDS00310", "IDS60110"}
    # and the other patients' rows stay
    for t, mine in (("IDS003", acc), ("IDS601", diag)):
        counts = result.tables[t]
        assert (counts.rejected, counts.accepted) == (len(mine), counts.read - len(mine)) and counts.accepted > 0


# ------------------------------------------------------------------ finding codes by their scheme

V21_FIND = {"01": {"min": 4, "max": 6}, "04": {"min": 6, "max": 18, "numeric": True, "snomed_concept": True}}
V21_DIAG = {"02": {"min": 4, "max": 6}, "06": {"min": 6, "max": 18, "numeric": True, "snomed_concept": True}}


@pytest.mark.parametrize("code, scheme, schemes, ok", [
    # v2.0's FindSchemeInUse, the default
    ("F32.1", "01", None, True), ("F32.123", "01", None, False), ("XaB12", "02", None, True),
    ("XaB1", "03", None, False), ("35489008", "04", None, True), ("anything", "05", None, True),
    # v2.1's finding codes: SNOMED CT must be a concept id proper, Read codes are not checked
    ("35489007", "04", V21_FIND, True),
    ("35489008", "04", V21_FIND, False),
    ("XaB1", "03", V21_FIND, True),
    # IDS601's diagnosis schemes: 02 ICD-10, 06 SNOMED CT
    ("F432", "02", V21_DIAG, True),
    ("197480006", "06", V21_DIAG, True),
    ("197480007", "06", V21_DIAG, False),
])
def test_finding_code_shapes(code, scheme, schemes, ok):
    from iapt_ds.checks.values import finding_code_suits_scheme
    assert finding_code_suits_scheme(code, scheme, schemes) is ok
    assert V21.rules["IDS60112"].params["schemes"] == V21_DIAG
    assert V21.rules["IDS20228"].params["schemes"] == V21_FIND


def test_an_unknown_shape_is_a_spec_error(tmp_path):
    import shutil
    from iapt_ds.errors import SpecError
    dst = tmp_path / "iapt-v2.1"
    shutil.copytree(spec_path("2.1"), dst)
    p = dst / "rules" / "IDS601.yaml"
    p.write_text(p.read_text().replace("snomed_concept: true}}", "snomed_strict: true}}"))
    with pytest.raises(SpecError, match=r"iapt-v2.1/rules/IDS601.yaml: IDS60112.params.schemes.06: unknown key\(s\) \['snomed_strict'\]"):
        load_spec(dst)
