"""Reading a CSV folder: values, NULL vs zero-length text, original text, hostile input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from iapt_ds.errors import InputError, UsageError
from iapt_ds.parse import Invalid
from iapt_ds.readers import read, read_csv_folder
from conftest import SPEC, write_folder

MPI = [f.name for f in SPEC.tables["IDS001"].fields]


def _mpi(folder: Path, text: str) -> None:
    (folder / "IDS001MPI.csv").write_bytes(text.encode("utf-8") if isinstance(text, str) else text)


def test_all_19_tables_read_even_when_empty(folder):
    sub = read(folder)
    assert list(sub.tables) == list(SPEC.tables)
    assert sub.row_count == 0
    assert sub.problems == []


def test_values_are_typed_once_and_original_text_kept(tmp_path):
    folder = write_folder(tmp_path / "s", {
        "IDS201": [{"CareContactId": " CC1 ", "CareContDate": "2021-03-05", "CareContTime": "13:30:00",
                    "ClinContDurOfCareCont": "060", "AttendOrDNACode": "5"}],
        "IDS000": [{"DateTimeDatSetCreate": "2021-04-03 09:15:00", "ReportingPeriodStartDate": "2021-03-01"}],
    })
    sub = read(folder)
    cc = sub.table("IDS201CareContact")
    assert cc.nrows == 1
    assert cc.value(0, "CareContactId") == "CC1"          # cleansed: trimmed
    assert cc.text(0, "CareContactId") == " CC1 "          # original kept
    assert cc.value(0, "CareContDate") == dt.date(2021, 3, 5)
    assert cc.value(0, "CareContTime") == dt.time(13, 30)
    assert cc.value(0, "ClinContDurOfCareCont") == 60
    assert cc.text(0, "ClinContDurOfCareCont") == "060"
    assert cc.value(0, "PsychMed") is None
    assert cc.line(0) == 2 and cc.row_number(0) == 1
    hdr = sub.header
    assert hdr.value(0, "DateTimeDatSetCreate") == dt.datetime(2021, 4, 3, 9, 15)
    rec = cc.record(0)
    assert type(rec).__name__ == "IDS201CareContact" and rec.CareContDate == dt.date(2021, 3, 5)


def test_null_and_zero_length_text_are_distinct_when_read_and_both_blank_after_cleansing(folder):
    header = ",".join(MPI)
    _mpi(folder, header + "\n" + 'P1,R1Z,,9434765870,01,1980-01-01,LS1 4AP,1,"",03,en,1\n'
             + "P2,R1Z,,,,,,,,,,\n")
    t = read(folder).table("IDS001")
    assert t.text(0, "EthnicCategory") == "" and t.text(1, "EthnicCategory") is None
    assert t.value(0, "EthnicCategory") is None and t.value(1, "EthnicCategory") is None


def test_rfc4180_quoting_commas_quotes_and_line_breaks(folder):
    header = ",".join(MPI)
    _mpi(folder, header + "\r\n" + '"P,1",R1Z,,,,,"LS1\r\n4AP","say ""hi""",,,,\r\nP2,R1Z,,,,,,,,,,\r\n')
    t = read(folder).table("IDS001")
    assert t.nrows == 2
    assert t.value(0, "LocalPatientId") == "P,1"
    assert t.value(0, "Postcode") == "LS1\r\n4AP"
    assert t.value(0, "Gender") == 'say "hi"'
    assert t.line(1) == 4  # row 1 spans lines 2-3


def test_bom_and_blank_lines_tolerated(folder):
    _mpi(folder, "\ufeff" + ",".join(MPI) + "\n\nP1,R1Z,,,,,,,,,,\n\n")
    sub = read(folder)
    assert sub.problems == [] and sub.table("IDS001").nrows == 1


def test_typed_value_that_does_not_parse_is_kept_as_invalid(tmp_path):
    folder = write_folder(tmp_path / "s", {"IDS201": [{"CareContDate": "2021-02-30", "ClinContDurOfCareCont": "6.5"}]})
    t = read(folder).table("IDS201")
    assert t.value(0, "CareContDate") == Invalid("2021-02-30")
    assert t.value(0, "ClinContDurOfCareCont") == Invalid("6.5")
    assert t.text(0, "CareContDate") == "2021-02-30"


def test_cleansing_trims_only_ascii_spaces_like_sdcs(tmp_path):
    folder = write_folder(tmp_path / "s", {"IDS001": [{"LocalPatientId": "\tP1 ", "Gender": "   "}]})
    t = read(folder).table("IDS001")
    assert t.value(0, "LocalPatientId") == "\tP1"
    assert t.value(0, "Gender") is None


# ---------------------------------------------------------------------------------- hostile input

def _details(sub):
    return [p.detail for p in sub.problems]


def test_bad_utf8_is_a_problem_not_a_crash(folder):
    _mpi(folder, (",".join(MPI) + "\nP\xff1,R1Z,,,,,,,,,,\n").encode("latin-1"))
    sub = read(folder)
    assert sub.table("IDS001").nrows == 1
    assert sub.table("IDS001").value(0, "LocalPatientId") == "P\ufffd1"
    assert any("not valid UTF-8" in d and "line 2" in d for d in _details(sub))


def test_ragged_rows_keep_every_cell(folder):
    _mpi(folder, ",".join(MPI) + "\nP1,R1Z\nP2,R1Z,,,,,,,,,,,EXTRA,MORE\n")
    sub = read(folder)
    t = sub.table("IDS001")
    assert t.nrows == 2 and t.value(0, "OrgIDLocalPatientId") == "R1Z" and t.value(0, "Gender") is None
    d = _details(sub)
    assert any("line 2 has 2 cells but the header has 12" in x for x in d)
    assert any("line 3 has 14 cells" in x and "'EXTRA', 'MORE'" in x for x in d)


def test_missing_table_file_is_a_problem_and_an_empty_table(folder):
    (folder / "IDS902CarePersQual.csv").unlink()
    sub = read(folder)
    assert sub.table("IDS902").nrows == 0 and not sub.table("IDS902").present
    assert "the table IDS902CarePersQual is missing" in _details(sub)


def test_extra_and_missing_columns_are_problems_and_extra_data_is_kept(folder):
    cols = [c for c in MPI if c != "Gender"] + ["Religion"]
    _mpi(folder, ",".join(cols) + "\n" + ",".join("x" if c != "Religion" else "Jedi" for c in cols) + "\n")
    sub = read(folder)
    d = _details(sub)
    assert "IDS001MPI has no column 'Gender'" in d
    assert "IDS001MPI has a column 'Religion' that the v2.0 IDB does not have" in d
    assert sub.table("IDS001").extra["Religion"] == ["Jedi"]


def test_column_names_match_case_insensitively(folder):
    _mpi(folder, ",".join(c.upper() for c in MPI) + "\nP1,R1Z,,,,,,,,,,\n")
    sub = read(folder)
    assert sub.problems == [] and sub.table("IDS001").value(0, "LocalPatientId") == "P1"


def test_one_megabyte_cell(folder):
    big = "x" * 1_000_000
    _mpi(folder, ",".join(MPI) + f"\n{big},R1Z,,,,,,,,,,\n\"{big}\",R1Z,,,,,,,,,,\n")
    t = read(folder).table("IDS001")
    assert t.value(0, "LocalPatientId") == big and t.value(1, "LocalPatientId") == big


def test_unterminated_quote_and_stray_quote(folder):
    _mpi(folder, ",".join(MPI) + '\nP"1,R1Z,,,,,,,,,,\nP2,"R1Z,,,,,,,,,,\n')
    sub = read(folder)
    d = _details(sub)
    assert any("quote is misplaced" in x for x in d)
    assert any("never closed" in x for x in d)
    assert sub.table("IDS001").value(0, "LocalPatientId") == 'P"1'


def test_empty_file_has_no_header(folder):
    _mpi(folder, "")
    sub = read(folder)
    assert "IDS001MPI.csv is empty: it has no header row" in _details(sub)
    assert sub.table("IDS001").nrows == 0


def test_unknown_ids_file_noted_other_files_ignored(folder):
    (folder / "IDS999Other.csv").write_text("a\n1\n")
    (folder / "notes.csv").write_text("a\n1\n")
    (folder / "README.txt").write_text("hello")
    sub = read(folder)
    assert sub.unknown_tables == ["IDS999Other.csv"]
    assert _details(sub) == ["IDS999Other.csv is not a table of the v2.0 IDB"]


def test_input_files_are_never_modified(folder):
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    read(folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_bad_paths_and_types_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        read(tmp_path / "nope")
    f = tmp_path / "x.txt"
    f.write_text("hi")
    with pytest.raises(InputError, match="not a submission"):
        read(f)
    with pytest.raises(InputError, match="not a folder"):
        read_csv_folder(f)
    with pytest.raises(UsageError, match="cannot read a submission from int"):
        read(42)


@pytest.mark.parametrize("slice_size", [16, 64, 1 << 22])
def test_fast_path_in_slices_reads_the_same_as_the_general_path(tmp_path, monkeypatch, slice_size):
    import importlib

    cf = importlib.import_module("iapt_ds.readers.csv_folder")
    rows = [{"LocalPatientId": f"P{i}", "OrgIDLocalPatientId": "R1Z", "Gender": str(i % 3)} for i in range(200)]
    folder = write_folder(tmp_path / "s", {"IDS001": rows})
    monkeypatch.setattr(cf, "_SLICE", slice_size)
    t = read(folder).table("IDS001")
    assert t.nrows == 200
    assert [t.value(i, "LocalPatientId") for i in range(200)] == [f"P{i}" for i in range(200)]
    assert t.line(199) == 201
    # a quote after the first slice sends the whole file down the general path, with the same result
    text = (folder / "IDS001MPI.csv").read_text()
    (folder / "IDS001MPI.csv").write_text(text + '"P,200",R1Z,,,,,,,,,,\n')
    t = read(folder).table("IDS001")
    assert t.nrows == 201 and t.value(200, "LocalPatientId") == "P,200" and t.line(200) == 202


@pytest.mark.parametrize("rows", [50, 20000])
def test_columns_of_identifiers_and_of_codes_read_as_cell_by_cell(tmp_path, rows):
    """Whole-column conversion (once per distinct value, identifiers without a set) keeps every
    value, NULL and original text that a cell-by-cell reading gives: trimmed identifiers, blank
    cells, spaces only, numbers written with leading zeros, on the fast path and the quoted one."""
    def cell(i, kind):
        if kind == "id":
            return ["", f" P{i}", f"P{i} ", "   "][i % 4] if i % 997 == 0 else f"P{i}"
        if kind == "code":
            return ["1", "2", " 2", "", "9 "][i % 5]
        return ["20", "045", "", " 7", "x"][i % 5]
    lines = ["LocalPatientId,Gender,EthnicCategory,NHSNumber"]
    expected = []
    for i in range(rows):
        lpi, gender, ethnic = cell(i, "id"), cell(i, "code"), cell(i, "code")
        nhs = f"99{i:08d}" if i % 3 else ""
        lines.append(",".join([lpi, gender, ethnic, nhs]))
        expected.append((lpi, gender, nhs))
    fast = tmp_path / "fast"
    fast.mkdir()
    (fast / "IDS001MPI.csv").write_text("\n".join(lines) + "\n")
    quoted = tmp_path / "quoted"
    quoted.mkdir()
    (quoted / "IDS001MPI.csv").write_text("\n".join(lines) + '\n"P-last",1,,\n')
    for folder in (fast, quoted):
        t = read(folder).table("IDS001")
        for i, (lpi, gender, nhs) in enumerate(expected):
            assert t.value(i, "LocalPatientId") == (lpi.strip(" ") or None)
            assert t.text(i, "LocalPatientId") == (lpi or None)
            assert t.value(i, "Gender") == (gender.strip(" ") or None)
            assert t.text(i, "Gender") == (gender or None)
            assert t.value(i, "NHSNumber") == (nhs or None)
        # equal values share one object when they repeat or link rows to other tables
        col = t.values["LocalPatientId"]
        assert all(type(v) is str for v in col if v is not None)
        genders = [v for v in t.values["Gender"] if v == "2"]
        assert all(v is genders[0] for v in genders)
