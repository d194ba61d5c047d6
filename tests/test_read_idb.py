"""The Access IDB reader against real Access files (``../shared/access-fixtures``, see its README).

Every fixture is decompressed into a temporary folder and read back value by value against its
expected JSON (what Jackcess, and so SDCS's UCanAccess, reads). Damaged and unsupported files give
an InputError naming the file or an InputProblem naming the table; the small IAPT IDB validates
exactly as its CSV twin does.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import lzma
import shutil
import struct
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.errors import InputError
from iapt_ds.readers import read
from iapt_ds.readers._jet import values
from iapt_ds.readers._jet.errors import Damaged
from iapt_ds.readers._jet.pages import PageFile
from iapt_ds.readers._jet.rows import RowReader
from iapt_ds.readers._jet.tdef import read_tdef
from iapt_ds.readers.idb import AccessTableError, Column, open_idb, read_idb, type_problems
from conftest import SPEC, shared_dir

FIXTURES = shared_dir() / "access-fixtures"
EXPECTED = FIXTURES / "expected"
UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")

SMALL = ["iapt_small_V2000.mdb", "iapt_small_V2003.mdb", "iapt_small_V2007.accdb",
         "iapt_small_V2010.accdb", "iapt_small_V2016.accdb", "iapt_small_V2019.accdb"]
IAPT = [*SMALL, "iapt_edge_V2010.accdb", "iapt_empty_V2010.accdb"]
REAL = ["delColTestV2003.mdb", "delColTestV2007.accdb", "delColTestV2010.accdb",
        "overflowTestV2003.mdb", "overflowTestV2007.accdb", "overflowTestV2010.accdb",
        "oldDatesV2007.accdb", "testUnicodeCompV2003.mdb", "testEmoticonsV2010.accdb",
        "fixedTextTestV2003.mdb", "fixedNumericTestV2007.accdb", "testV2010.accdb"]


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    """name -> path of the decompressed fixture (decompressed once per module); skips without them."""
    if not FIXTURES.is_dir():
        pytest.skip(f"the Access fixtures are not at {FIXTURES} (set IAPT_DS_SHARED to the folder "
                    "holding access-fixtures/)")
    folder = tmp_path_factory.mktemp("idb")
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            source = next(p for p in (FIXTURES / f"{name}.gz", FIXTURES / "real-access" / f"{name}.gz",
                                      FIXTURES / f"{name}.xz") if p.exists())
            opener = lzma.open if source.suffix == ".xz" else gzip.open
            with opener(source, "rb") as src, open(folder / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
            cache[name] = folder / name
        return cache[name]

    return get


def expected(name: str) -> dict:
    for path in (EXPECTED / f"{Path(name).stem}.json", EXPECTED / "real-access" / f"{name}.json"):
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    with lzma.open(EXPECTED / f"{Path(name).stem}.json.xz", "rt", encoding="utf-8") as fh:
        return json.load(fh, parse_float=Decimal)


# -- comparing with the expected JSON (Jackcess type names and value forms) ---------------------
_JACKCESS_TYPE = {"DATETIME": "SHORT_DATE_TIME"}


def _expected_value(kind: str, value):
    if value is None:
        return None
    if kind == "SHORT_DATE_TIME":
        return dt.datetime.fromisoformat(value)
    if kind in ("MONEY", "NUMERIC"):
        return Decimal(value)
    if kind in ("DOUBLE", "FLOAT"):
        return float(value)
    if kind == "BINARY":
        return bytes.fromhex(value[2:])
    return value


def _same(kind: str, got, want) -> bool:
    if kind == "FLOAT" and got is not None and want is not None:
        return struct.pack("<f", got) == struct.pack("<f", want)  # a Single is 32 bits
    return type(got) is type(want) and got == want


def assert_reads_exactly(path: Path, want: dict) -> int:
    """Every user table, column and value of *path* equals *want*; returns the rows compared."""
    compared = 0
    with open_idb(path) as db:
        assert sorted(db.table_names) == sorted(n for n in want if not n.startswith("MSys"))
        for name in db.table_names:
            table, spec = db.table(name), want[name]
            columns = [[c.name, _JACKCESS_TYPE.get(c.type, c.type), c.length] for c in table.columns]
            assert columns == spec["columns"], name
            assert table.row_count == spec["row_count"], name
            kinds = [c[1] for c in spec["columns"]]
            rows = list(table.rows())
            assert len(rows) == len(spec["rows"]), name
            for number, (got, raw) in enumerate(zip(rows, spec["rows"]), 1):
                want_row = [_expected_value(k, v) for k, v in zip(kinds, raw)]
                bad = [(c[0], g, w) for c, k, g, w in zip(spec["columns"], kinds, got, want_row)
                       if not _same(k, g, w)]
                assert not bad, f"{name} row {number}: (column, read, expected) {bad}"
                compared += 1
    return compared


# -- every fixture reads back exactly ----------------------------------------------------------
@pytest.mark.parametrize("name", IAPT + REAL)
def test_fixture_reads_exactly(unpacked, name):
    assert assert_reads_exactly(unpacked(name), expected(name)) == sum(
        len(t["rows"]) for n, t in expected(name).items() if not n.startswith("MSys"))


@pytest.mark.slow
def test_100k_fixture_reads_exactly(unpacked):
    path = unpacked("iapt_100k_V2010.accdb")
    assert assert_reads_exactly(path, expected("iapt_100k_V2010.accdb")) == 99_280
    counts = dict(line.split("\t") for line in
                  (FIXTURES / "iapt_100k_V2010.rowcounts.tsv").read_text().splitlines()[1:])
    sub = read_idb(path)
    assert sub.problems == []
    assert {t.name: str(t.nrows) for t in sub.tables.values()} == {k: v for k, v in counts.items() if k != "TOTAL"}


def test_edge_values_reach_the_submission_typed(unpacked):
    sub = read_idb(unpacked("iapt_edge_V2010.accdb"))
    assert sub.problems == []
    mpi = sub.table("IDS001")
    assert mpi.values["PersonBirthDate"][:5] == [dt.date(1889, 12, 31), dt.date(1890, 1, 1), dt.date(1899, 12, 29),
                                                 dt.date(1899, 12, 30), dt.date(1899, 12, 31)]
    assert mpi.raw["EthnicCategory"][5:7] == ["", None]  # zero-length text is not NULL while reading
    contact = sub.table("IDS201")
    assert contact.values["CareContTime"][:2] == [dt.time(0, 0), dt.time(23, 59, 59)]
    assert contact.values["CareContDate"][0] == dt.date(2021, 3, 3)
    assert sub.header.raw["PrimSystemInUse"] == ["  IAPTUS  "]
    assert sub.header.values["DateTimeDatSetCreate"] == [dt.datetime(2021, 4, 3, 9, 15)]
    log = sub.table("IDS205").raw["IntEnabledTherProg"]
    assert log[0] == "Prog £5 café 😀 漢字 \u00a0end"
    assert log[1] == "x" * 254 + "Z"
    assert sub.table("IDS001").source_types["PersonBirthDate"] == "DATETIME"
    assert sub.table("IDS001").source_types["Gender"] == "TEXT(255)"


def test_long_values_assemble_in_all_three_storages(unpacked):
    """Memo/OLE values inline, in one long-value row and in a chain of rows (the catalog's property
    blobs use all three here): each blob's chunk lengths add up to exactly its length."""
    pages = PageFile(unpacked("testV2010.accdb"))
    try:
        catalog = read_tdef(pages, 2)
        props = tuple(c for c in catalog.columns if c.name == "LvProp")
        blobs = [blob for (blob,) in RowReader(pages, catalog, props).rows() if blob is not None]
    finally:
        pages.close()
    assert max(map(len, blobs)) > 3 * 4096  # spread over several pages
    for blob in blobs:
        assert blob[:4] in (b"MR2\x00", b"KKD\x00")
        at = 4
        while at < len(blob):
            at += struct.unpack_from("<I", blob, at)[0]
        assert at == len(blob)


@pytest.mark.parametrize("days, when", [
    (0.0, dt.datetime(1899, 12, 30)),                      # day zero is midnight, not "empty"
    (-0.5, dt.datetime(1899, 12, 30, 12)),                 # the fraction is always the time of day
    (-1.25, dt.datetime(1899, 12, 29, 6)),
    (2.25, dt.datetime(1900, 1, 1, 6)),
    (-(3651 + 86399 / 86400), dt.datetime(1889, 12, 31, 23, 59, 59)),
    (44289.385416666664, dt.datetime(2021, 4, 3, 9, 15)),  # rounded to the millisecond
    (2958465.999988426, dt.datetime(9999, 12, 31, 23, 59, 59)),
])
def test_date_time_doubles(days, when):
    assert values.date_time(days) == when


@pytest.mark.parametrize("stored, text", [
    ("".encode("utf-16-le"), ""),
    ("Zoë 😀".encode("utf-16-le"), "Zoë 😀"),
    (b"\xff\xfe\xc2\xa35", "\u00c2\u00a35"),                 # one-byte segments are Latin-1, never UTF-8
    (b"\xff\xfeab\x00" + "漢字".encode("utf-16-le") + b"\x00cd", "ab漢字cd"),
])
def test_text_decoding(stored, text):
    assert values.text(stored) == text


def test_undecodable_values_are_damage_not_exceptions():
    with pytest.raises(Damaged):
        values.date_time(float("nan"))
    with pytest.raises(Damaged):
        values.date_time(1e12)
    with pytest.raises(Damaged):
        values.text(b"\x41")  # half a UTF-16 code unit


# -- unsupported and damaged files ---------------------------------------------------------------
@pytest.mark.parametrize("name, column, words", [
    ("calcFieldTestV2010.accdb", "LastFirst", "calculated column"),
    ("extDateTestV2019.accdb", "DateExt", "Date/Time Extended"),
])
def test_unsupported_columns_are_named_errors(unpacked, name, column, words):
    want = expected(name)["Table1"]
    with open_idb(unpacked(name)) as db:
        table = db.table("table1")
        assert [[c.name, c.length] for c in table.columns] == [[n, size] for n, _, size in want["columns"]]
        with pytest.raises(AccessTableError, match=words) as info:
            list(table.rows())
    assert info.value.table == "Table1" and column in info.value.detail and name in str(info.value)


def _copy(unpacked, tmp_path, name="iapt_small_V2010.accdb") -> Path:
    path = tmp_path / name
    shutil.copyfile(unpacked(name), path)
    return path


def _patch(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


@pytest.mark.parametrize("content, words", [
    (b"", "not a Microsoft Access database"),
    (b"Name,Value\n1,2\n", "not a Microsoft Access database"),
    (b"\x00\x01\x00\x00Standard ACE DB\x00" + b"\x00" * 40, "truncated"),
])
def test_not_an_access_file(tmp_path, content, words):
    path = tmp_path / "March.accdb"
    path.write_bytes(content)
    with pytest.raises(InputError, match=words) as info:
        read(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("offset, data, words", [
    (0x14, b"\x00", "Jet3"),
    (0x14, b"\x09", "unknown Access format 9"),
    (0x3E, b"\x12\x34\x56\x78", "encrypted"),
])
def test_unsupported_files(unpacked, tmp_path, offset, data, words):
    path = _copy(unpacked, tmp_path)
    _patch(path, offset, data)
    with pytest.raises(InputError, match=words) as info:
        read_idb(path)
    assert str(path) in str(info.value)


def test_truncated_files(unpacked, tmp_path):
    source = unpacked("iapt_small_V2010.accdb").read_bytes()
    cut = tmp_path / "cut.accdb"
    cut.write_bytes(source[:-1000])
    with pytest.raises(InputError, match="truncated"):
        read_idb(cut)
    cut.write_bytes(source[:4096 * 3])
    with pytest.raises(InputError, match="system catalog cannot be read"):
        read_idb(cut)
    # cut at a page boundary after the catalog: the tables whose pages are gone are named
    cut.write_bytes(source[:4096 * 160])
    sub = read_idb(cut)
    assert sub.problems and all(p.table in ("IDS803", "IDS902") for p in sub.problems)
    assert all("beyond the end of the file" in p.detail for p in sub.problems)


def _tdef_column_entry(path: Path, table: str, column: str) -> tuple[int, int]:
    """(file offset of the table definition, offset of *column*'s 25-byte entry in the file).

    Jackcess wrote these files, so the definition order of the columns is their number order.
    """
    with open_idb(path) as db:
        t = db.table(table)
        page, index = t.definition_page, [c.name for c in t.columns].index(column)
    start = page * 4096
    (indexes,) = struct.unpack_from("<I", path.read_bytes(), start + 51)
    return start, start + 63 + indexes * 12 + index * 25


def test_wrong_column_types_are_reported_column_by_column(unpacked, tmp_path):
    path = _copy(unpacked, tmp_path)
    _, duration = _tdef_column_entry(path, "IDS201CareContact", "ClinContDurOfCareCont")
    _patch(path, duration, b"\x06")  # Long Integer -> Single: same 4 bytes, wrong family
    _, gender = _tdef_column_entry(path, "IDS001MPI", "Gender")
    _patch(path, gender, b"\x09")  # Text -> Binary
    sub = read_idb(path)
    details = sorted((p.table, p.column, p.detail) for p in sub.problems)
    assert details == [
        ("IDS001", "Gender", "IDS001MPI.Gender is declared BINARY(510); the v2.0 IDB has a Text column"),
        ("IDS201", "ClinContDurOfCareCont", "IDS201CareContact.ClinContDurOfCareCont is declared FLOAT;"
                                            " the v2.0 IDB has a Number (Long Integer) column"),
    ]
    assert sub.table("IDS201").source_types["ClinContDurOfCareCont"] == "FLOAT"
    result = iapt_ds.validate(path, **UPLOAD)
    assert result.outcome == "rejected"
    assert Counter(f.rule.code for f in result.findings)["IDSREJ001"] == 2


def test_type_families_follow_the_spec():
    def col(name, kind, length=4, calculated=False):
        return Column(name=name, type=kind, length=length, number=0, var_index=0, fixed_offset=0,
                      fixed=True, precision=0, scale=0, calculated=calculated)

    t = SPEC.tables["IDS201"]
    fine = [col("CareContactId", "MEMO", 0), col("careconttime", "DATETIME", 8),
            col("ClinContDurOfCareCont", "INT", 2), col("NumGroupTherParticipants", "BYTE", 1),
            col("NotInTheSpec", "DOUBLE", 8)]
    assert type_problems(t, fine) == []
    wrong = [col("CareContDate", "TEXT", 20), col("CareContTime", "TEXT", 16),
             col("ClinContDurOfCareCont", "DOUBLE", 8), col("OrgIDComm", "LONG"),
             col("AttendOrDNACode", "TEXT", 510, calculated=True)]
    assert [p.column for p in type_problems(t, wrong)] == [
        "CareContDate", "CareContTime", "ClinContDurOfCareCont", "OrgIDComm", "AttendOrDNACode"]


def test_row_count_differing_from_the_definition_is_a_problem(unpacked, tmp_path):
    path = _copy(unpacked, tmp_path)
    start, _ = _tdef_column_entry(path, "IDS001MPI", "Gender")
    _patch(path, start + 16, struct.pack("<I", 21))
    sub = read_idb(path)
    assert [(p.table, p.detail) for p in sub.problems] == [
        ("IDS001", "IDS001MPI: the table definition says 21 rows but 20 were found (20 rows read)")]


def test_rows_the_reader_cannot_place_are_a_problem(unpacked, tmp_path):
    path = _copy(unpacked, tmp_path)
    with open_idb(path) as db:
        tdef = db.table("IDS002GP").definition_page
    data = path.read_bytes()
    page = next(n for n in range(1, len(data) // 4096) if data[n * 4096] == 1
                and struct.unpack_from("<I", data, n * 4096 + 4)[0] == tdef)
    slot = page * 4096 + 14
    (offset,) = struct.unpack_from("<H", data, slot)
    _patch(path, slot, struct.pack("<H", offset | 0x4000))  # row 0 now "points" elsewhere
    _patch(path, page * 4096 + (offset & 0x1FFF), b"\x00\xff\xff\x7f")  # at a page far past the end
    sub = read_idb(path)
    assert [p.table for p in sub.problems] == ["IDS002"]
    assert "row 0 of page" in sub.problems[0].detail and "beyond the end of the file" in sub.problems[0].detail


# -- the reader interface -------------------------------------------------------------------------
def test_read_dispatches_access_files_and_matches_tables_case_insensitively(unpacked):
    path = unpacked("iapt_small_V2003.mdb")
    sub = read(path)
    assert sub.source == str(path) and sub.problems == [] and sub.row_count == 428
    assert [t.name for t in sub.tables.values()] == [t.name for t in SPEC.tables.values()]
    with open_idb(path) as db:
        assert db.table("ids001mpi").name == "IDS001MPI"
        assert db.format == "Jet4 (Access 2000-2003 .mdb)"
        with pytest.raises(KeyError):
            db.table("MSysObjects")


def _rename_table(path: Path, old: str, new: str) -> None:
    """Rename a table in the system catalog (its name is stored once, as UTF-16, in these files)."""
    data = path.read_bytes()
    assert data.count(old.encode("utf-16-le")) == 1 and len(new) == len(old)
    _patch(path, data.index(old.encode("utf-16-le")), new.encode("utf-16-le"))


def test_table_names_match_in_any_case_and_missing_tables_are_named(unpacked, tmp_path):
    path = _copy(unpacked, tmp_path)
    _rename_table(path, "IDS902CarePersQual", "ids902carepersqual")
    sub = read_idb(path)
    assert sub.problems == [] and sub.table("IDS902").source_name == "ids902carepersqual"
    _rename_table(path, "ids902carepersqual", "IDS902CarePersQua1")
    sub = read_idb(path)
    assert sub.unknown_tables == ["IDS902CarePersQua1"]
    assert [(p.table, p.detail) for p in sub.problems] == [
        (None, "IDS902CarePersQua1 is not a table of the v2.0 IDB"),
        ("IDS902", "the table IDS902CarePersQual is missing")]
    assert "IDSREJ001" in {f.rule.code for f in iapt_ds.validate(path, **UPLOAD).findings}


def test_empty_idb_has_every_table_and_no_rows(unpacked):
    sub = read_idb(unpacked("iapt_empty_V2010.accdb"))
    assert sub.problems == [] and sub.row_count == 0
    assert all(t.present and t.source_types for t in sub.tables.values())
    result = iapt_ds.validate(unpacked("iapt_empty_V2010.accdb"), **UPLOAD)
    assert {"IDSREJ002", "IDSREJ003", "IDSREJ004"} <= {f.rule.code for f in result.findings}


def test_progress_is_reported_per_table_and_silent_by_default(unpacked, capsys):
    calls = []
    sub = read_idb(unpacked("iapt_small_V2010.accdb"), progress=lambda *a: calls.append(a))
    for t in sub.tables.values():
        assert (t.name, 0, t.nrows) in calls and (t.name, t.nrows, t.nrows) in calls
    read_idb(unpacked("iapt_small_V2010.accdb"))
    assert capsys.readouterr() == ("", "")


# -- the same report as the CSV twin -------------------------------------------------------------
def _report(result) -> tuple:
    return result.outcome, sorted((f.rule.code, f.table or "", f.row or 0, f.values, f.other) for f in result.findings)


@pytest.mark.parametrize("name", SMALL)
def test_small_idb_validates_as_its_csv_twin(unpacked, name):
    twin = iapt_ds.validate(FIXTURES / "iapt_small", **UPLOAD)
    assert _report(iapt_ds.validate(unpacked(name), **UPLOAD)) == _report(twin)


def test_edge_idb_validates_as_its_csv_twin(unpacked):
    twin = iapt_ds.validate(FIXTURES / "iapt_edge", **UPLOAD)
    result = iapt_ds.validate(unpacked("iapt_edge_V2010.accdb"), **UPLOAD)
    assert result.outcome == "rejected" and len(result.findings) > 100
    assert _report(result) == _report(twin)
