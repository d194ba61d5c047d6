"""Regression tests for the defects a fuzzing campaign found (hangs, crashes, leaks, unsafe output,
conformance), one or more per defect, numbered as the campaign's report numbers them.

Hangs are pinned by a size at which the old code took minutes and a bound (seconds) that linear
code meets many times over on a slow machine; they are not benchmarks.
"""

from __future__ import annotations

import datetime as _dt
import io
import shutil
import time
from pathlib import Path
from struct import pack

import pytest

import iapt_ds
from iapt_ds import validate
from iapt_ds.readers import read
from iapt_ds.readers._jet.pages import DATA_PAGE, PAGE_SIZE, USAGE_MAP_PAGE
from iapt_ds.readers._jet.usage import owned_pages
from iapt_ds.readers.csv_folder import iter_csv_records
from iapt_ds.report import write_report

from conftest import EXAMPLE

UPLOAD = {"period": "2021-03", "provider": "R1Z", "sender": "R1Z", "submitted_at": "2021-04-10T12:00:00"}


def _example(tmp_path: Path, **tables: str) -> Path:
    """The bundled example as a CSV folder, with the given tables' files replaced by *text*."""
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLE, folder)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_bytes(text.encode("utf-8"))
    return folder


def _lines(name: str) -> list[str]:
    return (EXAMPLE / f"{name}.csv").read_text(encoding="utf-8").splitlines()


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


# ------------------------------------------------------------------------------ 1: quoted values

def test_1_a_stray_quote_before_thousands_of_lines_reads_in_linear_time(tmp_path):
    # one stray quote followed by 8,000 lines took 248 s (each line re-split the whole record)
    head, row = _lines("IDS001MPI")[:2]
    folder = _example(tmp_path, IDS001MPI=head + "\n" + '"' + row + "\n" + (row + "\n") * 8000)
    sub, seconds = _timed(read, folder)
    assert seconds < 10
    assert sub.tables["IDS001"].nrows == 1
    assert any("never closed" in p.detail for p in sub.problems)
    assert sub.tables["IDS001"].values["LocalPatientId"][0].count("\n") == 8000


def test_1_a_valid_multi_line_value_reads_in_linear_time(tmp_path):
    head, row = _lines("IDS001MPI")[:2]
    cells = row.split(",")
    value = "\r\n".join(["x" * 19] * 8000)
    cells[-1] = '"' + value.replace('"', '""') + '"'
    folder = _example(tmp_path, IDS001MPI=head + "\n" + ",".join(cells) + "\n" + row + "\n")
    sub, seconds = _timed(read, folder)
    assert seconds < 10
    t = sub.tables["IDS001"]
    assert t.nrows == 2
    assert t.values[t.spec.fields[-1].name][0] == value
    assert not [p for p in sub.problems if p.table == "IDS001"]


@pytest.mark.parametrize("text, cells, problem", [
    ('a,"b",c\n', ["a", "b", "c"], None),
    ('"",x\n', ["", "x"], None),
    ('"a""b",\n', ['a"b', None], None),
    ('"a\nb","c\r\n""d"""\r\n', ["a\nb", 'c\r\n"d"'], None),
    ('a,"b"x,c\n', ["a", '"b"x', "c"], "misplaced"),
    ('a"b,c\n', ['a"b', "c"], "misplaced"),
    ('"a\nb"x,c\n', ['"a\nb"x', "c"], "misplaced"),
    ('x,"never\nclosed\n', ["x", "never\nclosed"], "never closed"),
])
def test_1_quoted_records_split_as_rfc_4180_says(tmp_path, text, cells, problem):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    problems: list = []
    records = list(iter_csv_records(path, problems))
    assert records == [(1, cells)]
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0].detail


# ------------------------------------------------------------------------------ 2: usage maps

class _Pages:
    """Just enough of a page file for :func:`owned_pages`: page 1 holds a reference usage map
    naming page 2 *entries* times; page 2 is a usage-map page with every bit set."""

    def __init__(self, entries: int, npages: int = 3) -> None:
        self.pages = npages
        row = bytes([1]) + pack("<I", 2) * entries
        data = bytearray(PAGE_SIZE)
        data[0] = DATA_PAGE
        data[12:14] = pack("<H", 1)
        data[14:16] = pack("<H", PAGE_SIZE - len(row))
        data[PAGE_SIZE - len(row):] = row
        bitmap = bytearray(b"\xff" * PAGE_SIZE)
        bitmap[0] = USAGE_MAP_PAGE
        self._pages = {1: bytes(data), 2: bytes(bitmap)}

    def page(self, number: int) -> bytes:
        return self._pages[number]


def test_2_a_reference_usage_map_never_names_more_pages_than_the_file_has():
    # 1,000 map entries each expanding to 32,736 page numbers: 33 million pages from a tiny file
    found, seconds = _timed(owned_pages, _Pages(1000), (0, 1))
    assert found == [1, 2]
    assert seconds < 1


def test_2_an_inline_usage_map_is_bounded_by_the_file_too():
    pages = _Pages(0, npages=5)
    row = bytes([0]) + pack("<I", 3) + b"\xff" * 500
    data = bytearray(pages._pages[1])
    data[14:16] = pack("<H", PAGE_SIZE - len(row))
    data[PAGE_SIZE - len(row):] = row
    pages._pages[1] = bytes(data)
    assert owned_pages(pages, (0, 1)) == [3, 4]


# ------------------------------------------------------------------------------ 3: huge values

def test_3_the_text_report_of_a_multi_megabyte_value_is_quick_and_clipped(tmp_path):
    # a 5 MB field took 12.5 s in the text report (textwrap is quadratic in a long word)
    head, row = _lines("IDS001MPI")[:2]
    cells = row.split(",")
    cells[head.split(",").index("LocalPatientId")] = "9" * 5_000_000
    folder = _example(tmp_path, IDS001MPI=head + "\n" + ",".join(cells) + "\n")
    result = validate(folder, **UPLOAD)
    out = io.StringIO()
    _, seconds = _timed(write_report, result, out, "text")
    assert seconds < 5
    assert len(out.getvalue()) < 200_000
    assert "more characters" in out.getvalue()


# ------------------------------------------------------------------------------ 4: IDS00223

def test_4_consecutive_gp_registrations_are_linear_in_one_patients_rows(tmp_path):
    # half the rows end the day before the other half start, at other practices: the old code
    # scanned a list of all those practices for each row (100k rows: 42 s)
    head, row = _lines("IDS002GP")[:2]
    names = head.split(",")
    base = row.split(",")
    out = [head]
    n = 20_000
    for k in range(2 * n):
        cells = list(base)
        cells[names.index("GMPCodeReg")] = f"A{k:05d}"
        cells[names.index("StartDateGMPRegistration")] = "2001-01-01" if k < n else "2021-03-06"
        cells[names.index("EndDateGMPRegistration")] = "2021-03-05" if k < n else "2021-03-10"
        out.append(",".join(cells))
    sub = read(_example(tmp_path, IDS002GP="\n".join(out) + "\n"))
    result, seconds = _timed(validate, sub, **UPLOAD)
    assert seconds < 20
    # the first half is followed by other practices' registrations (no warning); the second by none
    warned = {f.row for f in result.findings if f.code == "IDS00223"}
    assert warned == set(range(n + 1, 2 * n + 1))


# ------------------------------------------------------------------------------ 5-8: crashes

def test_5_an_integer_of_thousands_of_digits_is_an_invalid_value_not_a_crash(tmp_path):
    # Python refuses to convert more than 4,300 digits to an int (ValueError)
    from iapt_ds.spec_examples import base_rows

    huge = "9" * 5000
    head, row = _lines("IDS201CareContact")[:2]
    names = head.split(",")
    cells = row.split(",")
    cells[names.index("ClinContDurOfCareCont")] = huge
    result = validate(_example(tmp_path, IDS201CareContact=head + "\n" + ",".join(cells) + "\n"), **UPLOAD)
    flagged = [f for f in result.findings if f.table == "IDS201" and f.row == 1]
    assert flagged and all(huge not in f.message or len(f.message) > 5000 for f in flagged)
    write_report(result, io.StringIO(), "json")
    rows = base_rows(result_spec := iapt_ds.load_spec())
    rows["IDS201"][0]["ClinContDurOfCareCont"] = 10 ** 5000
    in_memory = validate(rows, **UPLOAD, spec=result_spec)
    assert [f for f in in_memory.findings if f.table == "IDS201" and f.row == 1]
    for fmt in ("json", "csv", "text", "html"):
        write_report(in_memory, io.StringIO(), fmt)


def test_6_a_catalog_whose_flags_are_text_is_read_without_a_type_error():
    from iapt_ds.readers._jet.database import _catalog_entry

    assert _catalog_entry((5, 6, "T", 1, "0")) == (5, 6, "T", 1, 0)
    assert _catalog_entry(("x", None, 7, True, 8)) == (None, None, None, None, 8)


def test_8_validate_refuses_a_spec_that_is_no_spec_and_an_empty_path():
    from iapt_ds.errors import InputError, UsageError

    with pytest.raises(UsageError, match="spec must be a Spec"):
        validate(iapt_ds.example_path(), spec="x")
    with pytest.raises(UsageError, match="non-empty"):
        validate("")
    with pytest.raises(InputError, match="cannot be opened|no such"):
        validate("a" * 5000)


def test_8_the_calendar_of_december_9999():
    from iapt_ds.calendar import period_info

    info = period_info("9999-12")
    assert info.end == _dt.date(9999, 12, 31)


# ------------------------------------------------------------------------------ 9: redaction

def _damaged(tmp_path: Path, damage: str) -> Path:
    """The example with one kind of realistic damage."""
    mpi = _lines("IDS001MPI")
    ref = _lines("IDS101Referral")
    if damage == "nhs-number-as-key":
        cells = ref[1].split(",")
        cells[0] = "9994021834"   # a ServiceRequestId that is an NHS number
        cells[1] = "R1Z9999999"   # an unknown patient: the row is rejected, its key shown
        ref[1] = ",".join(cells)
        return _example(tmp_path, IDS101Referral="\n".join(ref) + "\n")
    if damage == "missing-cell":
        cells = mpi[2].split(",")
        del cells[3]              # no NHSNumber cell: the birth date moves under NHSNumberStatus
        mpi[2] = ",".join(cells)
    elif damage == "extra-cell":
        mpi[2] = mpi[2] + ",1985-06-14,9434765870"
    elif damage == "swapped-headers":
        names = mpi[0].split(",")
        names[0], names[8] = names[8], names[0]   # LocalPatientId <-> EthnicCategory
        mpi[0] = ",".join(names)
    elif damage == "header-is-a-row":
        mpi = mpi[1:]
    elif damage == "bad-bytes":
        folder = _example(tmp_path)
        raw = (folder / "IDS001MPI.csv").read_bytes().replace(b"9994021834", b"99940\xff21834", 1)
        (folder / "IDS001MPI.csv").write_bytes(raw)
        return folder
    return _example(tmp_path, IDS001MPI="\n".join(mpi) + "\n")


DAMAGE = ["nhs-number-as-key", "missing-cell", "extra-cell", "swapped-headers", "header-is-a-row", "bad-bytes"]


@pytest.mark.parametrize("damage", DAMAGE)
def test_9_redaction_masks_identifiers_wherever_damage_moves_them(tmp_path, damage):
    from test_report_data import sensitive_values
    from test_report_redact import _text

    from iapt_ds.report import FORMATS

    folder = _damaged(tmp_path, damage)
    secrets = sensitive_values(EXAMPLE) | {"9994021834", "9434765870", "99940", "21834"}
    words = " ".join(r.message for r in iapt_ds.load_spec().rules.values())
    secrets = {s for s in secrets if s not in words}
    result = validate(folder, **UPLOAD)
    assert any(f.table in ("IDS001", "IDS101") for f in result.findings)
    assert any(s in _text(result, "json") for s in secrets)  # unredacted, the damage shows them
    for fmt in sorted(FORMATS):
        text = _text(result, fmt, redact=True)
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{damage}: the {fmt} report leaks {leaked[:5]}"


def test_9_the_invalid_utf8_message_names_the_byte_not_the_text_around_it(tmp_path):
    sub = read(_damaged(tmp_path, "bad-bytes"))
    [problem] = [p for p in sub.problems if "UTF-8" in p.detail]
    assert "FF" in problem.detail and "99940" not in problem.detail and "21834" not in problem.detail


def test_9_the_sensitive_fields_are_in_the_spec():
    spec = iapt_ds.load_spec()
    assert spec.sensitive == {"nhs_number": ("NHSNumber",), "local_patient_id": ("LocalPatientId",),
                              "postcode": ("Postcode",), "birth_date": ("PersonBirthDate",)}


# ------------------------------------------------------------------------------ 10: active characters

ACTIVE = "\x1b[2J\x1b]0;pwned\x07\r\u202egnp.exe\u200b\u2066x\u2069\x9b"


def test_10_control_bidi_and_invisible_characters_are_shown_not_acted(tmp_path):
    from test_report_redact import _text

    from iapt_ds.report import FORMATS
    from iapt_ds.report._safe import visible

    head, row = _lines("IDS001MPI")[:2]
    names = head.split(",")
    cells = row.split(",")
    cells[names.index("EthnicCategory")] = '"' + "Z" + ACTIVE + '"'
    result = validate(_example(tmp_path, IDS001MPI=head + "\n" + ",".join(cells) + "\n"), **UPLOAD)
    assert any(f.field == "EthnicCategory" for f in result.findings)
    for fmt in sorted(FORMATS):
        text = _text(result, fmt)
        if fmt == "json":  # the data kept exactly, the controls escaped by JSON
            assert "\x1b" not in text and "\\u001b[2J" in text
            continue
        active = {c for c in ACTIVE if visible(c) != c}
        left = active & set(text.replace("\r\n", "\n"))
        assert not left, f"{fmt}: {sorted(left)}"
        assert "␛[2J" in text and "⟨U+202E⟩" in text, fmt
    assert visible("Zoë Ünal 日本 😀") == "Zoë Ünal 日本 😀"


# ------------------------------------------------------------------------------ 16-19: conformance

@pytest.mark.parametrize("ending", ["\n\r", "\r\n\r", "\n\r\r\n"])
def test_16_a_stray_cr_reads_the_same_with_or_without_a_quoted_cell(tmp_path, ending):
    # a file ending \n\r was rejected by the quote-free fast path, accepted by the general path
    head, *rows = _lines("IDS902CarePersQual")
    plain = head + "\n" + "\n".join(rows) + ending
    cells = rows[0].split(",")
    cells[0] = '"' + cells[0] + '"'
    quoted = head + "\n" + "\n".join([",".join(cells)] + rows[1:]) + ending
    a = validate(_example(tmp_path / "a", IDS902CarePersQual=plain), **UPLOAD)
    b = validate(_example(tmp_path / "b", IDS902CarePersQual=quoted), **UPLOAD)
    assert a.outcome == b.outcome
    assert sorted((f.code, f.row, f.detail) for f in a.findings) == sorted((f.code, f.row, f.detail) for f in b.findings)
    assert a.tables["IDS902"].read == b.tables["IDS902"].read == len(rows)


def test_17_a_snomed_ct_id_in_full_width_digits_is_rejected():
    from iapt_ds.checks.values import snomed_ct_is_valid

    assert snomed_ct_is_valid("720433000", 6, 18)
    # DSP tests the partition digits on the raw text: full-width ０ is not 0
    assert not snomed_ct_is_valid("７２０４３３０００", 6, 18)
    assert not snomed_ct_is_valid("720433０00", 6, 18)


def test_17_full_width_snomed_codes_reject_their_rows_and_the_cascade(tmp_path):
    head, *rows = _lines("IDS011SocPerCircumstances")
    names = head.split(",")
    i = names.index("SocPerCircumstance")
    cells = rows[0].split(",")
    assert cells[i].isascii() and cells[i].isdigit()
    cells[i] = cells[i].translate({ord(str(d)): chr(0xFF10 + d) for d in range(10)})
    result = validate(_example(tmp_path, IDS011SocPerCircumstances="\n".join([head, ",".join(cells)] + rows[1:]) + "\n"),
                      **UPLOAD)
    assert "IDS01109" in {f.code for f in result.findings if f.table == "IDS011" and f.row == 1}
    assert result.is_rejected("IDS011", 1)


def test_18_an_nhs_number_with_one_full_width_digit_is_no_palindrome():
    from iapt_ds.checks.values import nhs_number_is_valid

    # 1111221111: a correct check digit, but a palindrome
    assert not nhs_number_is_valid("1111221111")
    # DSP tests the palindrome on the raw text (11112２1111 is none); the digit conversion is for
    # the check-digit arithmetic only, which passes
    assert nhs_number_is_valid("11112\uff121111")
    assert not nhs_number_is_valid("11112\uff131111")  # a wrong check digit stays wrong


def test_18_the_file_is_not_rejected_for_it(tmp_path):
    head, *rows = _lines("IDS001MPI")
    names = head.split(",")
    cells = rows[0].split(",")
    cells[names.index("NHSNumber")] = "11112\uff121111"
    result = validate(_example(tmp_path, IDS001MPI="\n".join([head, ",".join(cells)] + rows[1:]) + "\n"), **UPLOAD)
    assert "IDSREJ006" not in {f.code for f in result.findings}


@pytest.mark.parametrize("text, code", [("2022-01-17", None), ("10:00:00", None), ("25:00:00", "IDS20109"),
                                        ("11:00", "IDS20109"), ("soon", "IDS20109")])
def test_19_a_time_that_is_no_time_rejects_the_row_not_the_file(tmp_path, text, code):
    head, *rows = _lines("IDS201CareContact")
    names = head.split(",")
    cells = rows[0].split(",")
    cells[names.index("CareContTime")] = text
    result = validate(_example(tmp_path, IDS201CareContact="\n".join([head, ",".join(cells)] + rows[1:]) + "\n"),
                      **UPLOAD)
    assert result.accepted
    assert not [f for f in result.findings if f.code == "IDSREJ001"]
    codes = {f.code for f in result.findings if f.table == "IDS201" and f.row == 1}
    if code is None:
        assert not result.is_rejected("IDS201", 1)
    else:
        assert code in codes and result.is_rejected("IDS201", 1)
