"""The spec YAML: counts, integrity, and that a broken spec is a clear SpecError."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from iapt_ds.errors import SpecError
from iapt_ds.spec import load_spec, spec_path

SPEC = load_spec()


def test_nineteen_tables_and_130_columns_in_sdcs_order():
    assert list(SPEC.tables) == ["IDS000", "IDS001", "IDS002", "IDS004", "IDS007", "IDS011", "IDS012", "IDS101",
                                 "IDS105", "IDS108", "IDS201", "IDS202", "IDS205", "IDS602", "IDS603", "IDS606",
                                 "IDS607", "IDS803", "IDS902"]
    assert [len(t.fields) for t in SPEC.tables.values()] == [7, 12, 5, 15, 2, 3, 3, 9, 5, 5, 21, 10, 7, 3, 5, 5, 3, 6, 4]
    assert SPEC.tables["IDS001"].name == "IDS001MPI"


def test_382_codes_split_13_37_247_85():
    assert len(SPEC.rules) == 382
    counts = {s: sum(r.severity == s for r in SPEC.rules.values()) for s in ("file", "group", "record", "warning")}
    assert counts == {"file": 13, "group": 37, "record": 247, "warning": 85}
    assert sum(c.startswith("IDSREJ") for c in SPEC.rules) == 13


def test_every_code_declared_once_across_files():
    seen = {}
    for path in sorted((spec_path() / "rules").glob("*.yaml")):
        for r in yaml.safe_load(path.read_text()):
            assert r["code"] not in seen, (r["code"], path.name, seen.get(r["code"]))
            seen[r["code"]] = path.name
    assert len(seen) == 382


def test_every_referenced_table_and_field_exists():
    for r in SPEC.rules.values():
        if r.table is not None:
            assert r.table in SPEC.tables
            for f in r.fields:
                assert f in SPEC.tables[r.table].field_map, (r.code, f)
        assert r.kind in SPEC.kinds


def test_cascade_is_the_18_rules_in_sdcs_order():
    assert SPEC.cascade[:4] == ("IDS00145", "IDS00146", "IDS00220", "IDS10101")
    assert len(SPEC.cascade) == 18
    assert {c for c, r in SPEC.rules.items() if r.kind == "has_related"} == set(SPEC.cascade)
    assert all(SPEC.rules[c].severity == "group" for c in SPEC.cascade)
    # IDS902 hangs off the header only
    assert not any(SPEC.rules[c].table == "IDS902" for c in SPEC.cascade)


def test_the_five_time_rules_are_sdcs_placeholders_that_iapt_ds_fires_on_a_time_no_idb_holds():
    # SDCS's time-format checks never fire (an IDB cannot hold a bad time); iapt-ds rejects the
    # row under them when a CSV or in-memory time is no time (issue 15, item 19; see their notes)
    times = ["IDS10514", "IDS20109", "IDS60614", "IDS80307", "IDS80318"]
    assert sorted(c for c, r in SPEC.rules.items() if r.kind == "placeholder") == times
    assert not any(r.placeholder for r in SPEC.rules.values())
    for code in times:
        rule = SPEC.rules[code]
        assert rule.examples["fail"] and "row" in rule.note
        assert SPEC.tables[rule.table].field_map[rule.fields[0]].format_rule == code


def test_value_sets_are_quoted_strings_and_case_sensitive():
    for cl in SPEC.codelists.values():
        assert all(isinstance(c, str) for c in cl.codes)
    assert "07" in SPEC.codelists["NHSNumberStatus"].codes and "08" not in SPEC.codelists["NHSNumberStatus"].codes
    lang = SPEC.codelists["LanguageCode"]
    assert "en" in lang.codes and "EN" not in lang.codes and "q5" in lang.codes and "no" in lang.codes
    assert len(lang.codes) == 184 + 5


def test_assessment_tools():
    assert len(SPEC.assessment_tools) == 35
    phq9 = SPEC.assessment_tools["720433000"]
    assert phq9.range == (0.0, 27.0) and re.match(phq9.format, "27") and not re.match(phq9.format, "1.5")
    assert SPEC.assessment_tools["747881000000109"].values == ("N", "NA", "Y")


def test_every_rule_has_examples_and_messages_in_our_words():
    for r in SPEC.rules.values():
        assert r.examples["pass"], r.code
        assert r.examples["fail"] or r.placeholder, r.code
        assert r.message and "{" not in r.message.replace("{values}", "").replace("{value}", "").replace(
            "{other}", "").replace("{expected}", "").replace("{length}", "").replace("{detail}", ""), r.code


def test_inferred_rules_are_marked_and_explained():
    inferred = {c for c, r in SPEC.rules.items() if r.status == "inferred"}
    assert {"IDSREJ001", "IDSREJ012", "IDSREJ015", "IDSREJ101", "IDS10129", "IDS20169"} <= inferred
    assert all(SPEC.rules[c].note for c in inferred)


def test_calendar_windows():
    march = [w for w in SPEC.windows if "2021-03" in w.periods]
    assert [str(w.opens) for w in march] == ["2021-04-01", "2021-05-01", "2021-08-01"]


# ------------------------------------------------------------------------------- broken specs

@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "iapt-v2.0"
    shutil.copytree(spec_path(), dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("file, old, new, expect", [
    ("rules/IDS002.yaml", "table: IDS002", "table: IDS999", r"rules/IDS002.yaml: IDS00201: unknown table 'IDS999'"),
    ("rules/IDS002.yaml", "fields: [LocalPatientId]", "fields: [LocalPatientID2]", r"IDS00201: unknown field 'LocalPatientID2'"),
    ("rules/IDS002.yaml", "kind: not_blank", "kind: not_empty", r"IDS00201: unknown kind 'not_empty'"),
    ("rules/IDS002.yaml", "params: {min: 0, max: 20}", "params: {min: 0, max: 20, maxi: 3}", r"IDS00202.params: unknown key"),
    ("rules/IDS002.yaml", "params: {min: 0, max: 20}", "params: {min: 0}", r"IDS00202.params: missing key"),
    ("rules/IDS002.yaml", "code: IDS00202", "code: IDS00201", r"IDS00201: code already declared"),
    ("rules/IDS002.yaml", "severity: record", "severity: fatal", r"IDS00201: unknown severity 'fatal'"),
    ("rules/IDS002.yaml", "  message:", "  mesage:", r"IDS00201: unknown key"),
    ("codelists.yaml", "codes: ['01', '02', '03', '04', '05', '06', '07']", "codes: [01, '02']",
     r"codelists.yaml: NHSNumberStatus: codes must be a list of quoted strings"),
    ("tables.yaml", "type: date", "type: timestamp", r"tables.yaml: IDS000.ReportingPeriodStartDate: unknown type"),
    ("dataset.yaml", "severity_counts: {file: 13", "severity_counts: {file: 14", r"dataset.yaml: severity_counts"),
    ("dataset.yaml", "cascade: [IDS00145, IDS00146", "cascade: [IDS00146, IDS00146", r"dataset.yaml: cascade"),
])
def test_a_broken_spec_names_file_and_entry(spec_copy, file, old, new, expect):
    _edit(spec_copy / file, old, new)
    with pytest.raises(SpecError, match=expect):
        load_spec(spec_copy)


def test_invalid_yaml_is_a_spec_error(spec_copy):
    (spec_copy / "rules" / "IDS007.yaml").write_text("- code: [unclosed\n")
    with pytest.raises(SpecError, match=r"rules/IDS007.yaml: not valid YAML"):
        load_spec(spec_copy)


def test_a_missing_spec_file_is_a_spec_error(spec_copy):
    (spec_copy / "codelists.yaml").unlink()
    with pytest.raises(SpecError, match="codelists.yaml: cannot be read"):
        load_spec(spec_copy)


def test_fires_must_name_known_codes_and_the_rules_own(spec_copy):
    path = spec_copy / "rules" / "IDS002.yaml"
    text = path.read_text()
    assert "_fires: [IDS00202, " in text
    path.write_text(text.replace("_fires: [IDS00202, ", "_fires: [IDS99999, IDS00202, ", 1))
    with pytest.raises(SpecError, match=r"IDS00202.examples.fail\[0\]: _fires names unknown codes \['IDS99999'\]"):
        load_spec(spec_copy)
    path.write_text(text.replace("_fires: [IDS00202, ", "_fires: [", 1))
    with pytest.raises(SpecError, match=r"IDS00202.examples.fail\[0\]: _fires must list the rule's own code"):
        load_spec(spec_copy)


def test_fires_is_kept_apart_from_the_overlay():
    rule = SPEC.rules["IDS00202"]
    assert rule.fires[0] > {"IDS00202"}
    assert all("_fires" not in ex for ex in rule.examples["fail"])
    assert len(rule.fires) == len(rule.examples["fail"])
