"""Versions as deltas (``extends:``), proved on a made-up version in tests/data/spec-delta-demo, and
the loader's checks of the spec's one-home rules (widths, cross-table references)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.errors import SpecError, UsageError
from iapt_ds.spec import load_spec, spec_path

DEMO = Path(__file__).parent / "data" / "spec-delta-demo"
BASE = load_spec()


@pytest.fixture(scope="module")
def demo():
    return load_spec(DEMO)


# ------------------------------------------------------------------------ the merged result

def test_a_delta_is_an_ordinary_spec_of_its_own_version(demo):
    assert type(demo) is type(BASE)
    assert (demo.version, demo.dataset_version) == ("9.9", "9.9")
    assert demo.codelists["DatSetVer"].codes == ("9.9",)
    # what the delta does not mention is the base's
    assert demo.periods == ("2030-04", "2031-03")
    assert (demo.month_id_origin, demo.header) == (BASE.month_id_origin, BASE.header)
    assert demo.rules["IDS00101"] == BASE.rules["IDS00101"]
    assert demo.assessment_tools == BASE.assessment_tools
    # its own counts, checked against its own rules
    assert dict(demo.severity_counts) == {"file": 13, "group": 35, "record": 240, "warning": 83}
    assert len(demo.rules) == len(BASE.rules) - 11 - 1 + 1


def test_a_removed_table_takes_nothing_else_with_it_but_what_the_delta_says(demo):
    assert "IDS012" not in demo.tables and "IDS012" in BASE.tables
    assert list(demo.tables) == [t for t in BASE.tables if t != "IDS012"]
    assert not demo.rules_for("IDS012")
    assert "IDS01201" not in demo.cascade and len(demo.cascade) == len(BASE.cascade) - 1
    assert "OvsVisChCat" not in demo.codelists


def test_a_renamed_field_keeps_its_place_and_its_rules_move_with_it(demo):
    old, new = BASE.tables["IDS201"], demo.tables["IDS201"]
    i = old.field_names.index("ConsMediumUsed")
    assert new.field_names[i] == "ConsMechanism" and "ConsMediumUsed" not in new.field_map
    f = new.field_map["ConsMechanism"]
    assert (f.uid, f.item, f.max_length) == (old.field_map["ConsMediumUsed"].uid, "CONSULTATION MECHANISM", 2)
    assert demo.rules["IDS20119"].fields == ("ConsMechanism",) and demo.rules["IDS20120"].fields == ("ConsMechanism",)
    assert demo.rules["IDS20119"].source == "spec-delta-demo/rules/IDS201.yaml"
    # updated: what the delta does not say is the base's
    upd, base = demo.rules["IDS20120"], BASE.rules["IDS20120"]
    assert (upd.severity, upd.kind, upd.params["codelist"]) == (base.severity, base.kind, "ConsMechanism")
    assert BASE.rules["IDS20119"].fields == ("ConsMediumUsed",)  # the base is untouched


def test_an_added_field_goes_where_the_delta_puts_it(demo):
    names = demo.tables["IDS001"].field_names
    assert names[names.index("Gender") + 1] == "FavouriteColour"
    assert [f.index for f in demo.tables["IDS001"].fields] == list(range(len(names)))


def test_code_lists_replaced_changed_and_added(demo):
    assert demo.codelists["ConsMechanism"].codes == ("01", "02", "04", "05", "09", "98")
    assert "ConsMediumUsed" not in demo.codelists  # renamed, then replaced
    # in the renamed list's place
    assert list(demo.codelists)[:-1] == [{"ConsMediumUsed": "ConsMechanism"}.get(n, n) for n in BASE.codelists
                                         if n != "OvsVisChCat"]
    assert demo.codelists["EthnicCategory"].codes == BASE.codelists["EthnicCategory"].codes + ("ZZ",)
    assert demo.codelists["EthnicCategory"].meanings["ZZ"] == "Made up for the tests"
    assert demo.codelists["Colour"].codes == ("RED", "GREEN", "BLUE")


def test_rules_removed_and_added(demo):
    assert "IDS00160" in BASE.rules and "IDS00160" not in demo.rules
    r = demo.rules["IDS00199"]
    assert (r.kind, r.severity, r.status, r.params["codelist"]) == ("in_codelist", "warning", "inferred", "Colour")


def test_calendar_windows_added(demo):
    assert demo.windows[:-1] == BASE.windows
    assert str(demo.windows[-1].opens) == "2030-05-01"


def _demo_example(tmp_path: Path) -> Path:
    """The v2.0 example made into one of the demo version: no IDS012, ConsMechanism, 9.9."""
    dst = tmp_path / "demo-example"
    shutil.copytree(iapt_ds.example_path(), dst)
    (dst / "IDS012OverseasVisitorChargCat.csv").unlink()
    def contact(h, rows):  # the renamed column, and no '03', which the demo's list dropped
        i = h.index("ConsMediumUsed")
        return h[:i] + ["ConsMechanism"] + h[i + 1:], [x[:i] + [("09" if x[i] == "03" else x[i])] + x[i + 1:] for x in rows]

    for name, edit in (("IDS201CareContact.csv", contact),
                       ("IDS000Header.csv", lambda h, r: (h, [[("9.9" if h[i] == "DatSetVer" else v) for i, v in enumerate(x)] for x in r])),
                       ("IDS001MPI.csv", lambda h, r: (h[:h.index("Gender") + 1] + ["FavouriteColour"] + h[h.index("Gender") + 1:],
                                                       [x[:h.index("Gender") + 1] + ["RED"] + x[h.index("Gender") + 1:] for x in r]))):
        with (dst / name).open(encoding="utf-8", newline="") as fh:
            head, *rows = list(csv.reader(fh))
        head, rows = edit(head, rows)
        with (dst / name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows([head] + rows)
    return dst


def test_the_merged_spec_validates_a_submission_of_its_version(demo, tmp_path):
    folder = _demo_example(tmp_path)
    ok = iapt_ds.validate(folder, spec=demo, period="2021-03", provider="R1Z", submitted_at="2021-04-05T12:00:00")
    assert ok.outcome == "accepted" and not ok.findings, [f.code for f in ok.findings]
    # the same folder is not a v2.0 submission
    v20 = iapt_ds.validate(folder, period="2021-03", provider="R1Z", submitted_at="2021-04-05T12:00:00")
    assert {"IDSREJ001", "IDS00003"} <= {f.code for f in v20.findings}
    # the added rule fires; the removed one (IDS00160, ExBAFIndicator's code list) does not
    mpi = folder / "IDS001MPI.csv"
    with mpi.open(encoding="utf-8", newline="") as fh:
        head, first, *rest = list(csv.reader(fh))
    first[head.index("FavouriteColour")], first[head.index("ExBAFIndicator")] = "PINK", "QQ"
    with mpi.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([head, first, *rest])
    bad = iapt_ds.validate(folder, spec=demo, period="2021-03", provider="R1Z", submitted_at="2021-04-05T12:00:00")
    assert [(f.code, f.row) for f in bad.findings] == [("IDS00199", 1)]
    assert "QQ" not in BASE.codelists[BASE.rules["IDS00160"].params["codelist"]]  # v2.0 would warn


# ------------------------------------------------------------------------------ versions by name

def test_load_spec_by_version():
    assert load_spec(version="2.0") is BASE
    with pytest.raises(UsageError, match="not both"):
        load_spec(spec_path(), version="2.0")
    with pytest.raises(SpecError, match="no spec folder 'iapt-v7.7'"):
        load_spec(version="7.7")


# ---------------------------------------------------------------------- a wrong delta is an error

@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "spec-delta-demo"
    shutil.copytree(DEMO, dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("file, old, new, expect", [
    ("tables.yaml", "remove: [IDS012]", "remove: [IDS012, IDS099]",
     r"spec-delta-demo/tables.yaml: remove.IDS099: the base version has no such table"),
    ("tables.yaml", "rename_fields: {ConsMediumUsed: ConsMechanism}", "rename_fields: {ConsMedium: ConsMechanism}",
     r"spec-delta-demo/tables.yaml: change.IDS201.rename_fields.ConsMedium: the base table has no field 'ConsMedium'"),
    ("tables.yaml", "rename_fields: {ConsMediumUsed: ConsMechanism}", "rename_fields: {ConsMediumUsed: AppType}",
     r"change.IDS201.rename_fields.ConsMediumUsed: the table already has a field 'AppType'"),
    ("tables.yaml", "{name: FavouriteColour", "{name: Gender",
     r"change.IDS001.add_fields\[0\]: the base table already has a field 'Gender'"),
    ("tables.yaml", "after: Gender}", "after: Sex}", r"change.IDS001.add_fields\[0\]: after: 'Sex' is not there"),
    ("codelists.yaml", "remove: [OvsVisChCat]", "remove: [OvsVisChCat, NoSuchList]",
     r"spec-delta-demo/codelists.yaml: remove.NoSuchList: the base version has none"),
    ("codelists.yaml", "replace:\n  ConsMechanism:", "replace:\n  ConsMechanismList:",
     r"codelists.yaml: replace.ConsMechanismList: the base version has none"),
    ("codelists.yaml", "rename: {ConsMediumUsed: ConsMechanism}", "rename: {ConsMediumUsed: Gender}",
     r"codelists.yaml: rename.ConsMediumUsed: the base version already has 'Gender'"),
    ("rules/IDS201.yaml", "update:\n  IDS20120:", "update:\n  IDS20129:",
     r"rules/IDS201.yaml: update.IDS20129: the base version has no such rule"),
    ("rules/IDS201.yaml", "    fields: [ConsMechanism]\n    params: {codelist", "    table: IDS202\n    params: {codelist",
     r"rules/IDS201.yaml: update.IDS20120: unknown key\(s\) \['table'\]"),
    ("codelists.yaml", "add:\n  Colour:", "add:\n  Gender:", r"codelists.yaml: add.Gender: the base version already has it"),
    ("codelists.yaml", "add_codes: [ZZ]", "add_codes: ['99']", r"change.EthnicCategory.add_codes: '99' is already in the base list"),
    ("rules/IDS001.yaml", "remove: [IDS00160]", "remove: [IDS00160, IDS00198]",
     r"spec-delta-demo/rules/IDS001.yaml: remove.IDS00198: the base version has no such rule"),
    ("rules/IDS001.yaml", "code: IDS00199", "code: IDS00101",
     r"rules/IDS001.yaml: add.IDS00101: the base version already has this rule"),
    ("rules/IDS201.yaml", "code: IDS20119", "code: IDS20199",
     r"rules/IDS201.yaml: replace.IDS20199: the base version has no such rule"),
    ("dataset.yaml", "cascade: {remove: [IDS01201]}", "cascade: {remove: [IDS01299]}",
     r"spec-delta-demo/dataset.yaml: cascade.remove: 'IDS01299' is not in the base version's list"),
    ("dataset.yaml", 'extends: "2.0"', 'extends: "1.0"', r"no spec folder 'iapt-v1.0'"),
    ("dataset.yaml", "severity_counts: {file: 13, group: 35", "severity_counts: {file: 13, group: 36",
     r"spec-delta-demo/dataset.yaml: severity_counts: the rules give"),
    # a rule left on a removed table, or on a renamed field, is named with the base's file
    ("rules/IDS012.yaml", "IDS01210, IDS01211]", "IDS01210]", r"iapt-v2.0/rules/IDS012.yaml: IDS01211: unknown table 'IDS012'"),
])
def test_a_wrong_delta_names_its_file_and_entry(demo_copy, file, old, new, expect):
    _edit(demo_copy / file, old, new)
    with pytest.raises(SpecError, match=expect):
        load_spec(demo_copy)


def test_a_field_renamed_without_moving_its_rules_is_named(demo_copy):
    (demo_copy / "rules" / "IDS201.yaml").unlink()
    with pytest.raises(SpecError, match=r"iapt-v2.0/rules/IDS201.yaml: IDS20119: unknown field 'ConsMediumUsed'"):
        load_spec(demo_copy)


# ------------------------------------------------------------- one home for each fact of the spec

@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "iapt-v2.0"
    shutil.copytree(spec_path(), dst)
    return dst


def test_widths_live_in_the_length_rules():
    # the engine enforces IDS20222's 0-10, not the 10-10 tables.yaml used to say
    f = BASE.tables["IDS202"].field_map["ObsValue"]
    assert (f.min_length, f.max_length) == (None, 10)
    assert (BASE.rules["IDS20222"].params["min"], BASE.rules["IDS20222"].params["max"]) == (0, 10)
    lpi = BASE.tables["IDS001"].field_map["OrgIDLocalPatientId"]
    assert (lpi.min_length, lpi.max_length) == (3, 5)
    # a field with no length rule keeps its declared width
    assert BASE.tables["IDS001"].field_map["Postcode"].max_length == 8


def test_a_width_declared_twice_is_an_error(spec_copy):
    _edit(spec_copy / "tables.yaml", "uid: I202090, type: text, format: max an10,",
          "uid: I202090, type: text, format: max an10, max_length: 10,")
    with pytest.raises(SpecError, match=r"tables.yaml: IDS202.ObsValue: the width is declared twice: here and in rule IDS20222"):
        load_spec(spec_copy)


def test_mandatory_tables_come_from_the_table_not_empty_rules():
    assert dict(BASE.mandatory_tables) == {"IDS000": "IDSREJ002", "IDS001": "IDSREJ003", "IDS101": "IDSREJ004",
                                          "IDS002": "IDSREJ005"}
    assert all(BASE.rules[c].kind == "table_not_empty" and BASE.rules[c].table == t
               for t, c in BASE.mandatory_tables.items())


def test_the_datsetver_list_is_the_dataset_version(spec_copy):
    assert BASE.codelists["DatSetVer"].codes == (BASE.dataset_version,) == ("2.0",)
    (spec_copy / "codelists.yaml").write_text((spec_copy / "codelists.yaml").read_text() + "\nDatSetVer:\n  codes: ['2.0']\n")
    with pytest.raises(SpecError, match=r"codelists.yaml: DatSetVer: this list is dataset_version in dataset.yaml"):
        load_spec(spec_copy)


@pytest.mark.parametrize("file, old, new, expect", [
    # IDS201 hangs off IDS101 -> IDS001: IDS603 is on no path from it
    ("rules/IDS201.yaml", "other: IDS101.ReferralRequestReceivedDate", "other: IDS603.PresCompDate",
     r"rules/IDS201.yaml: IDS20171.params.other: 'IDS603.PresCompDate' cannot be reached from IDS201: IDS603 is "
     r"neither the header nor a parent of IDS201 \(its parents: IDS201 -> IDS101 -> IDS001\)"),
    ("rules/IDS101.yaml", "birth_date: IDS001.PersonBirthDate", "birth_date: IDS004.EmpSupportReferral",
     r"rules/IDS101.yaml: IDS10141.params.birth_date: 'IDS004.EmpSupportReferral' cannot be reached from IDS101"),
    # a kind that reads only its own table
    ("rules/IDS002.yaml", "params: {fields: [LocalPatientId, GMPCodeReg, StartDateGMPRegistration]}",
     "params: {fields: [LocalPatientId, GMPCodeReg, IDS001.PersonBirthDate]}",
     r"IDS00221.params.fields: 'IDS001.PersonBirthDate' is a field of IDS001; this kind reads only its own table, IDS002"),
    # an example's context may set fields of the header or of a parent, and replace child rows
    ("rules/IDS002.yaml", "_context: {IDS001.PersonBirthDate: '1990-05-15'}", "_context: {IDS101.OnsetDate: '1990-05'}",
     r"IDS00212.examples.pass\[\d\]: _context.IDS101.OnsetDate: IDS101 is neither the header nor a parent of IDS002"),
    ("rules/IDS001.yaml", "_context: {IDS002: []}", "_context: {IDS201: []}",
     r"rules/IDS001.yaml: IDS00145.examples.fail\[0\]: _context.IDS201: IDS201 is not a child table of IDS001"),
])
def test_a_cross_table_reference_must_be_reachable(spec_copy, file, old, new, expect):
    _edit(spec_copy / file, old, new)
    with pytest.raises(SpecError, match=expect):
        load_spec(spec_copy)


def test_the_delta_format_is_documented():
    readme = (Path(__file__).resolve().parent.parent / "spec" / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A version as a delta"):]
    for key in ("extends", "remove", "replace", "add", "change", "update", "rename", "remove_fields",
                "rename_fields", "replace_fields", "update_fields", "add_fields", "remove_codes", "add_codes",
                "meanings", "after", "before", "first", "windows", "cascade", "pipeline_rules"):
        assert f"`{key}" in section, key
