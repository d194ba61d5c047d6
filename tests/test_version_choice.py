"""The IAPT version is chosen as SDCS chooses it (from IDS000 DatSetVer), can be named explicitly,
and every report says which version's rules ran and why.

Most tests use a small made-up "2.1" (tests/_fake_v21.py) so that they test the choosing, not the
real v2.1 content."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.errors import UsageError
from iapt_ds.report import write_report
from iapt_ds.spec import load_spec
from iapt_ds.version_choice import HeaderPeek, choose_version

import _fake_v21

V20 = load_spec()
UPLOAD = dict(provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


@pytest.fixture
def specs(monkeypatch, tmp_path_factory):
    return _fake_v21.install(monkeypatch, lambda: tmp_path_factory.mktemp("spec"))


def _copy_example(tmp_path: Path, **header) -> Path:
    folder = tmp_path / "sub"
    shutil.copytree(iapt_ds.example_path(), folder)
    if header:
        path = folder / "IDS000Header.csv"
        rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
        for r in rows:
            r.update(header)
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return folder


def _to_v21_shape(folder: Path) -> Path:
    """Reshape a v2.0 example folder into the made-up v2.1 IDB (new column, table; one removed)."""
    path = folder / "IDS001MPI.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    names = [n for n in rows[0] if n != _fake_v21.REMOVED]
    names.insert(7, "GenderIdentity")
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=names, extrasaction="ignore")
        w.writeheader()
        w.writerows({**r, "GenderIdentity": "1"} for r in rows)
    (folder / "IDS003AccommStatus.csv").write_text(
        "LocalPatientId,AccommodationType\n" + "".join(f"{r['LocalPatientId']},01\n" for r in rows), encoding="utf-8")
    return folder


# ------------------------------------------------------------------------- choose_version alone

def test_the_header_names_the_version(specs):
    c = choose_version(HeaderPeek(declared=("2.1",), period="2023-05"), specs=specs)
    assert (c.version, c.chosen_by, c.declared, c.notes) == ("2.1", "header", "2.1", ())
    assert c.reason == "DatSetVer in the header is '2.1'"


def test_a_version_that_does_not_fit_the_period_is_said_plainly_and_the_header_still_rules(specs):
    late = choose_version(HeaderPeek(declared=("2.0",), period="2024-05"), specs=specs)
    assert late.version == "2.0" and late.chosen_by == "header"
    assert len(late.notes) == 1
    assert "2024-05" in late.notes[0] and "2020-09 to 2022-03" in late.notes[0]
    assert "SDCS expects v2.1" in late.notes[0] and "Assumed: the v2.0 rules" in late.notes[0]
    early = choose_version(HeaderPeek(declared=("2.1",), period="2021-03"), specs=specs)
    assert early.version == "2.1" and "SDCS expects v2.0" in early.notes[0]
    assert "v2.1, which covers reporting periods from 2022-04" in early.notes[0]
    # the newest version covers every period after its first, whatever its calendar says
    assert choose_version(HeaderPeek(declared=("2.1",), period="2199-01"), specs=specs).notes == ()


def test_an_unknown_datsetver_is_reported_and_the_version_assumed_from_the_period(specs):
    c = choose_version(HeaderPeek(declared=("2.2",), period="2024-05"), specs=specs)
    assert (c.version, c.chosen_by, c.declared) == ("2.1", "period", "2.2")
    assert "DatSetVer '2.2' names no IAPT version iapt-ds knows ('2.0', '2.1')" in c.reason
    assert "assumed from the reporting period 2024-05 (from the header)" in c.reason
    assert c.notes and "Assumed: the v2.1 rules (from the reporting period)" in c.notes[0]
    assert "not public" in c.notes[0]


def test_an_unreadable_header_takes_the_upload_period_then_the_shape_then_the_default(specs):
    by_upload = choose_version(HeaderPeek(problem="there is no header table (IDS000Header)"), specs=specs,
                               upload_period="2021-03")
    assert (by_upload.version, by_upload.chosen_by) == ("2.0", "period")
    assert by_upload.reason.startswith("header unreadable: there is no header table")
    assert "(from the upload)" in by_upload.reason
    v21_shape = {t.name: frozenset(f.name for f in t.fields) for t in specs["2.1"].tables.values()}
    by_shape = choose_version(HeaderPeek(declared=(None,), shape=v21_shape), specs=specs)
    assert (by_shape.version, by_shape.chosen_by) == ("2.1", "shape")
    assert by_shape.reason.startswith("DatSetVer in the header is blank")
    default = choose_version(HeaderPeek(declared=()), specs=specs)
    assert (default.version, default.chosen_by) == ("2.0", "default")
    assert default.reason.endswith("assumed the default version, 2.0")
    # in-memory rows: the tables alone tell (a key no row has is NULL, not a missing column)
    tables_only = {t.name: frozenset() for t in specs["2.1"].tables.values()}
    by_tables = choose_version(HeaderPeek(declared=(), shape=tables_only, columns_known=False), specs=specs)
    assert (by_tables.version, by_tables.chosen_by) == ("2.1", "shape")
    # a shape that fits both as well (a few tables): the default version
    few = {"IDS000Header": frozenset(), "IDS001MPI": frozenset()}
    assert choose_version(HeaderPeek(declared=(), shape=few, columns_known=False), specs=specs).version == "2.0"


def test_header_rows_that_disagree_are_not_guessed_between(specs):
    c = choose_version(HeaderPeek(declared=("2.0", "2.1"), period="2021-03"), specs=specs)
    assert c.chosen_by == "period" and c.version == "2.0" and c.declared is None
    assert "the header rows give different DatSetVer values ('2.0', '2.1')" in c.reason


def test_an_explicit_version_wins_and_a_disagreeing_header_is_noted(specs):
    c = choose_version(HeaderPeek(declared=("2.0",), period="2021-03"), specs=specs, override="2.1")
    assert (c.version, c.chosen_by) == ("2.1", "override")
    assert any("DatSetVer in the header is '2.0'" in n for n in c.notes)
    assert any("outside IAPT v2.1's reporting periods from 2022-04" in n for n in c.notes)
    with pytest.raises(UsageError, match="no IAPT version '3.0'; iapt-ds knows 2.0, 2.1"):
        choose_version(HeaderPeek(declared=("2.0",)), specs=specs, override="3.0")


# ------------------------------------------------------------------------- through validate()

def test_the_bundled_example_runs_v20_because_its_header_says_so(specs):
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", **UPLOAD)
    assert result.findings == ()
    assert result.dataset_version == "2.0" and result.version.chosen_by == "header"
    assert result.version_reason == "DatSetVer in the header is '2.0'" and result.version_notes == ()


def test_a_v20_shaped_file_declared_21_gets_structure_findings_naming_what_differs(specs, tmp_path):
    folder = _copy_example(tmp_path, DatSetVer="2.1")
    result = iapt_ds.validate(folder, **UPLOAD)
    assert result.dataset_version == "2.1" and result.version.chosen_by == "header"
    assert not result.accepted
    details = [f.message for f in result.findings if f.code == "IDSREJ001"]
    text = "\n".join(details)
    assert "IDS003AccommStatus" in text and "GenderIdentity" in text and "OrgIDResidenceResp" in text
    summary = [d for d in details if "those of the IAPT v2.0 IDB, not v2.1" in d]
    assert len(summary) == 1, details
    assert "lacks the table IDS003AccommStatus" in summary[0]
    assert "IDS001MPI lacks GenderIdentity and has OrgIDResidenceResp (not in v2.1)" in summary[0]
    assert any("those of the IAPT v2.0 IDB" in n for n in result.version_notes)
    # IDS00003 does not fire: DatSetVer fits the version that ran
    assert "IDS00003" not in result.codes()


def test_a_v21_shaped_file_declared_20_gets_the_reverse_finding(specs, tmp_path):
    folder = _to_v21_shape(_copy_example(tmp_path))
    result = iapt_ds.validate(folder, period="2021-03", **UPLOAD)
    assert result.dataset_version == "2.0"
    text = "\n".join(f.message for f in result.findings if f.code == "IDSREJ001")
    assert "those of the IAPT v2.1 IDB, not v2.0" in text
    assert "IDS003AccommStatus.csv is not a table of the v2.0 IDB" in text
    assert "IDS001MPI has no column 'OrgIDResidenceResp'" in text


def test_a_v21_shaped_file_declared_21_reads_as_21_with_its_tables(specs, tmp_path):
    folder = _to_v21_shape(_copy_example(tmp_path, DatSetVer="2.1"))
    sub = iapt_ds.read(folder)
    assert sub.spec is specs["2.1"] and len(sub.tables) == 20
    assert sub.tables["IDS003"].nrows == sub.tables["IDS001"].nrows
    assert not [p for p in sub.problems], sub.problems
    result = iapt_ds.validate(sub, **UPLOAD)
    assert "IDSREJ001" not in result.codes() and result.dataset_version == "2.1"


def test_validate_version_overrides_the_header(specs, tmp_path):
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", version="2.1", **UPLOAD)
    assert result.dataset_version == "2.1" and result.version.chosen_by == "override"
    assert "IDS00003" in result.codes()  # DatSetVer '2.0' is not the v2.1 code
    assert any("DatSetVer in the header is '2.0'" in n for n in result.version_notes)
    with pytest.raises(UsageError):
        iapt_ds.validate(iapt_ds.example_path(), version="1.0")
    with pytest.raises(UsageError):
        iapt_ds.validate(iapt_ds.example_path(), version=2.1)


def test_in_memory_rows_choose_from_their_header(specs):
    from iapt_ds.spec_examples import base_rows

    rows = {V20.tables[t].name: r for t, r in base_rows(V20).items()}
    assert iapt_ds.read(rows).spec.version == "2.0"
    rows["IDS000Header"] = iter([{**rows["IDS000Header"][0], "DatSetVer": "2.1"}])  # a one-pass iterable
    sub = iapt_ds.read(rows)
    assert sub.spec.version == "2.1" and sub.header.nrows == 1
    assert sub.version.reason == "DatSetVer in the header is '2.1'"


def test_a_submission_read_as_one_version_is_not_validated_as_another(specs):
    sub = iapt_ds.read(iapt_ds.example_path())
    with pytest.raises(UsageError, match="read as IAPT v2.0"):
        iapt_ds.validate(sub, version="2.1")
    assert iapt_ds.validate(sub, version="2.0", period="2021-03", **UPLOAD).findings == ()


def test_a_spec_given_is_the_reason(specs):
    result = iapt_ds.validate(iapt_ds.example_path(), spec=specs["2.1"])
    assert result.dataset_version == "2.1" and result.version.chosen_by == "spec"
    assert result.version_reason == "the IAPT v2.1 spec was given"


# ------------------------------------------------------------------------- every report says it

@pytest.fixture
def mismatched(specs, tmp_path):
    folder = _copy_example(tmp_path, DatSetVer="2.7")
    return iapt_ds.validate(folder, period="2021-03", **UPLOAD)


def test_json_report_says_which_version_ran_and_why(mismatched):
    out = io.StringIO()
    write_report(mismatched, out, "json")
    doc = json.loads(out.getvalue())
    assert list(doc)[:4] == ["format", "version", "generator", "dataset"]
    assert doc["version"] == 1
    ds = doc["dataset"]
    assert ds["name"] == "IAPT" and ds["version"] == "2.0" and ds["chosen_by"] == "period"
    assert ds["declared"] == "2.7" and ds["reason"].startswith("DatSetVer '2.7' names no IAPT version")
    assert len(ds["notes"]) == 1 and "Assumed: the v2.0 rules" in ds["notes"][0]


def test_text_csv_and_html_reports_say_which_version_ran_and_why(mismatched):
    text = io.StringIO()
    write_report(mismatched, text, "text")
    assert "  rules:            IAPT v2.0 rules (DatSetVer '2.7' names no IAPT version" in text.getvalue()
    assert "  version note:     DatSetVer '2.7' names no IAPT version" in text.getvalue()
    html = io.StringIO()
    write_report(mismatched, html, "html")
    page = html.getvalue().replace("&#x27;", "'").replace("&#39;", "'")
    assert "<dt>Rules</dt><dd>IAPT v2.0 rules (DatSetVer '2.7' names" in page
    assert "<dt>Version note</dt><dd>DatSetVer '2.7' names no IAPT version" in page
    out = io.StringIO()
    write_report(mismatched, out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows and {r["dataset_version"] for r in rows} == {"2.0"}
    assert all(r["version_reason"].startswith("DatSetVer '2.7'") for r in rows)


def test_the_xlsx_report_says_which_version_ran_and_why(mismatched, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    pytest.importorskip("xlsxwriter")
    path = tmp_path / "r.xlsx"
    with path.open("wb") as fh:
        write_report(mismatched, fh, "xlsx")
    cells = [str(c.value) for ws in openpyxl.load_workbook(path).worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert any(c.startswith("IAPT v2.0 rules (DatSetVer '2.7' names no IAPT version") for c in cells)


def test_json_report_of_a_v20_run_only_gains_the_version_fields():
    out = io.StringIO()
    write_report(iapt_ds.validate(iapt_ds.example_path(), period="2021-03", **UPLOAD), out, "json")
    doc = json.loads(out.getvalue())
    assert doc["dataset"] == {"name": "IAPT", "version": "2.0", "chosen_by": "header",
                              "reason": "DatSetVer in the header is '2.0'", "declared": "2.0", "notes": []}


# ------------------------------------------------------------------------- Access IDB

def _small_idb(tmp_path: Path) -> Path:
    import gzip

    from conftest import shared_dir

    source = shared_dir() / "access-fixtures" / "iapt_small_V2010.accdb.gz"
    if not source.exists():
        pytest.skip(f"no Access fixture at {source} (set IAPT_DS_SHARED to the folder holding access-fixtures/)")
    target = tmp_path / "small.accdb"
    with gzip.open(source) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


def test_an_idb_is_read_as_the_version_its_header_table_names(specs, tmp_path):
    from iapt_ds.readers.idb import read_idb

    path = _small_idb(tmp_path)
    sub = read_idb(path)
    assert sub.spec.version == "2.0" and sub.version.chosen_by == "header"
    as21 = read_idb(path, version="2.1")
    assert as21.spec.version == "2.1" and len(as21.tables) == 20
    details = [p.detail for p in as21.problems]
    assert "the table IDS003AccommStatus is missing" in details
    assert any(d.startswith("The tables and columns are those of the IAPT v2.0 IDB, not v2.1") for d in details)
    assert any("IDS001MPI has a column 'OrgIDResidenceResp' that the v2.1 IDB does not have" in d for d in details)


# ------------------------------------------------------------------------- the command line

def test_cli_validate_dataset_version(specs, capsys):
    from iapt_ds.cli import main

    assert main(["validate", "--example", "--period", "2021-03", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset"]["chosen_by"] == "header"
    main(["validate", "--example", "--period", "2021-03", "--format", "json", "--dataset-version", "2.1"])
    ds = json.loads(capsys.readouterr().out)["dataset"]
    assert ds["version"] == "2.1" and ds["chosen_by"] == "override"
    assert "--dataset-version" in ds["reason"]
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--example", "--dataset-version", "3.0"])
    assert exc.value.code == 2
    assert "invalid choice: '3.0' (choose from '2.0', '2.1')" in capsys.readouterr().err


def test_cli_rules_and_explain_follow_the_dataset_version(specs, capsys):
    from iapt_ds.cli import main

    assert main(["rules", "--table", "IDS001", "--dataset-version", "2.1"]) == 0
    out = capsys.readouterr().out
    assert "IDS00155" not in out and "These are IAPT v2.1's" in out
    assert main(["rules", "--table", "IDS001", "--dataset-version", "2.0"]) == 0
    assert "IDS00155" in capsys.readouterr().out
    # a code only v2.0 has: explained from v2.0, with how it differs
    assert main(["explain", "IDS00155"]) == 0
    out = capsys.readouterr().out
    assert "  rules:  IAPT v2.0" in out
    assert "Across versions\n  v2.0 → v2.1: Removed in v2.1 (its column is gone) [confirmed]" in out
    # asked for in v2.1, it is refused with where it lives
    assert main(["explain", "IDS00155", "--dataset-version", "2.1"]) == 2
    assert "no rule IDS00155 in IAPT v2.1: it is a rule of v2.0" in capsys.readouterr().err
    # a code in both, unchanged
    assert main(["explain", "IDS00211", "--dataset-version", "2.0"]) == 0
    out = capsys.readouterr().out
    assert "  rules:  IAPT v2.0" in out and "v2.0 → v2.1: the same in both." in out
