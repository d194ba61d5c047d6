"""A typed core: severities and outcomes are enums end to end (written as the same strings as
before), table rules and file rules are distinct types, a SpecError says where it is."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.errors import SpecError
from iapt_ds.findings import Severity
from iapt_ds.pipeline import STAGES
from iapt_ds.report.json import write_json
from iapt_ds.result import Outcome
from iapt_ds.spec import FILE_KINDS, SEVERITIES, FileRuleSpec, RuleSpec, TableRuleSpec, load_spec, spec_path
from conftest import SPEC

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def test_severity_and_outcome_are_str_enums_written_as_their_values():
    assert SEVERITIES == ("file", "group", "record", "warning") == tuple(Severity)
    for enum in (Severity, Outcome):
        for member in enum:
            assert isinstance(member, str) and member == member.value
            assert str(member) == f"{member}" == f"{member:>1}" == member.value
            assert json.dumps(member) == json.dumps(member.value)
    assert f"{Severity.FILE:<8}|" == "file    |"
    assert Severity("warning") is Severity.WARNING and not Severity.WARNING.rejects and Severity.GROUP.rejects


def test_every_rule_severity_is_a_severity_and_counts_by_string_still_work():
    assert all(type(r.severity) is Severity for r in SPEC.rules.values())
    rule = SPEC.rules["IDS00211"]
    assert rule.severity is Severity.RECORD and rule.severity == "record"
    assert {"record": 1}[rule.severity] == 1


def test_a_result_outcome_is_an_outcome_and_the_json_says_the_same_strings():
    ok = iapt_ds.validate(iapt_ds.example_path(), **UPLOAD)
    assert ok.outcome is Outcome.ACCEPTED and ok.outcome == "accepted" and ok.accepted
    assert all(type(o) is Outcome for _, o, _ in ok.rows("IDS001"))
    bad = iapt_ds.validate({"IDS000Header": []}, **UPLOAD)
    assert bad.outcome is Outcome.REJECTED and not bad.accepted
    assert all(type(f.severity) is Severity for f in bad.findings)
    out = io.StringIO()
    write_json(bad, out)
    doc = json.loads(out.getvalue())
    assert doc["outcome"] == "rejected"
    text = out.getvalue()
    assert '"outcome": "rejected"' in text.replace('":"', '": "') and "Severity." not in text and "Outcome." not in text


def test_table_rules_and_file_rules_are_distinct_types():
    for rule in SPEC.rules.values():
        assert isinstance(rule, RuleSpec)
        if rule.kind in FILE_KINDS:
            assert type(rule) is FileRuleSpec and rule.severity is Severity.FILE
        else:
            assert type(rule) is TableRuleSpec and isinstance(rule.table, str)
    assert {r.code for r in SPEC.rules.values() if isinstance(r, FileRuleSpec)} == {
        "IDSREJ001", "IDSREJ002", "IDSREJ003", "IDSREJ004", "IDSREJ005", "IDSREJ012", "IDSREJ015", "IDSREJ101"}
    # a row-level file rejection (IDSREJ006: an NHS number on a patient row) is checked over a table
    assert type(SPEC.rules["IDSREJ006"]) is TableRuleSpec


def test_the_pipeline_is_an_ordered_tuple_of_named_stages():
    assert isinstance(STAGES, tuple)
    assert [s.name for s in STAGES] == ["structure", "mandatory tables", "row rules", "rules on accepted rows",
                                        "cascade", "file outcome"]


# ------------------------------------------------------------------------------- SpecError

@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "iapt-v2.0"
    shutil.copytree(spec_path(), dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("file, old, new, entry, field, message", [
    ("rules/IDS002.yaml", "severity: record", "severity: fatal", "IDS00201", None,
     "rules/IDS002.yaml: IDS00201: unknown severity 'fatal'; one of ('file', 'group', 'record', 'warning')"),
    ("rules/IDS002.yaml", "params: {min: 0, max: 20}", "params: {min: 0}", "IDS00202", "params", None),
    ("tables.yaml", "type: date", "type: timestamp", "IDS000", "ReportingPeriodStartDate", None),
    ("codelists.yaml", "codes: ['01', '02', '03', '04', '05', '06', '07']", "codes: [01, '02']",
     "NHSNumberStatus", None, None),
])
def test_a_spec_error_carries_file_entry_and_field(spec_copy, file, old, new, entry, field, message):
    _edit(spec_copy / file, old, new)
    with pytest.raises(SpecError) as info:
        load_spec(spec_copy)
    err = info.value
    assert (err.file, err.entry, err.field) == (file, entry, field)
    assert str(err).startswith(f"{file}: {entry}{'.' + field if field else ''}: ")
    if message is not None:
        assert str(err) == message


def test_a_spec_error_without_a_place_has_none():
    err = SpecError("the spec is malformed somehow")
    assert (err.file, err.entry, err.field) == (None, None, None)
    assert str(err) == "the spec is malformed somehow" and str(SpecError()) == "the spec is malformed"


def test_a_row_rule_without_a_table_is_a_spec_error(spec_copy):
    _edit(spec_copy / "rules" / "IDS002.yaml", "table: IDS002\n  fields: [LocalPatientId]", "table: null\n  fields: []")
    _edit(spec_copy / "rules" / "IDS002.yaml", "      - {LocalPatientId: null, _fires: [IDS00201, IDS00223]}\n"
                                                "      - {LocalPatientId: '   ', _fires: [IDS00201, IDS00223]}", "      - {}")
    with pytest.raises(SpecError) as info:
        load_spec(spec_copy)
    assert (info.value.file, info.value.entry, info.value.field) == ("rules/IDS002.yaml", "IDS00201", "table")
    assert "a rule of kind 'not_blank' checks a table's rows, so it needs a table" in str(info.value)
