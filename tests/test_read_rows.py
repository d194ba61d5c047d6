"""In-memory rows: strings or typed Python values, without writing files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from iapt_ds.errors import UsageError
from iapt_ds.parse import Invalid
from iapt_ds.readers import read
from conftest import SPEC


def _all_empty():
    return {t.name: [] for t in SPEC.tables.values()}


def test_typed_and_text_values():
    rows = _all_empty()
    rows["IDS201CareContact"] = [
        {"CareContactId": "CC1", "CareContDate": dt.date(2021, 3, 5), "CareContTime": dt.time(9, 0),
         "ClinContDurOfCareCont": 45},
        {"CareContactId": "CC2", "CareContDate": "2021-03-06", "CareContTime": "10:00:00",
         "ClinContDurOfCareCont": "30"},
    ]
    sub = read(rows)
    t = sub.table("IDS201")
    assert sub.problems == []
    assert [t.value(i, "CareContDate") for i in (0, 1)] == [dt.date(2021, 3, 5), dt.date(2021, 3, 6)]
    assert [t.value(i, "ClinContDurOfCareCont") for i in (0, 1)] == [45, 30]
    assert t.text(0, "CareContDate") == "2021-03-05"
    assert t.value(0, "PsychMed") is None  # a key a row lacks is NULL


def test_table_ids_accepted_as_names_and_numbers_for_text_fields():
    rows = _all_empty()
    del rows["IDS001MPI"]
    rows["IDS001"] = [{"LocalPatientId": "P1", "NHSNumber": 9434765870}]
    sub = read(rows)
    assert sub.table("IDS001").value(0, "NHSNumber") == "9434765870"


def test_wrong_python_types_become_invalid_not_errors():
    rows = _all_empty()
    rows["IDS201CareContact"] = [{"CareContDate": 20210305, "ClinContDurOfCareCont": 4.5, "CareContTime": True,
                                  "CareContactId": ["a"]}]
    t = read(rows).table("IDS201")
    assert t.value(0, "CareContDate") == Invalid("20210305")
    assert t.value(0, "ClinContDurOfCareCont") == Invalid("4.5")
    assert isinstance(t.value(0, "CareContTime"), Invalid)
    assert isinstance(t.value(0, "CareContactId"), Invalid)


def test_decimal_integer_and_datetime_for_date():
    rows = _all_empty()
    rows["IDS201CareContact"] = [{"ClinContDurOfCareCont": Decimal("60"), "CareContDate": dt.datetime(2021, 3, 5, 10, 0)}]
    t = read(rows).table("IDS201")
    assert t.value(0, "ClinContDurOfCareCont") == 60
    assert t.value(0, "CareContDate") == dt.datetime(2021, 3, 5, 10, 0)


def test_unknown_columns_and_tables_are_problems_and_kept():
    rows = _all_empty()
    rows["IDS001MPI"] = [{"LocalPatientId": "P1", "Religion": "x"}]
    rows["IDS777Other"] = [{"a": 1}]
    sub = read(rows)
    details = [p.detail for p in sub.problems]
    assert "IDS001MPI has a column 'Religion' that the v2.0 IDB does not have" in details
    assert "'IDS777Other' is not a table of the v2.0 IDB" in details
    assert sub.table("IDS001").extra["Religion"] == ["x"]


def test_missing_tables_are_problems():
    sub = read({"IDS001MPI": [{"LocalPatientId": "P1"}]})
    assert sum("is missing" in p.detail for p in sub.problems) == 18


@pytest.mark.parametrize("bad, match", [
    ({"IDS001MPI": "P1,R1Z"}, "must be an iterable of dicts"),
    ({"IDS001MPI": [["P1"]]}, "must be a dict of column name to value"),
    ({"IDS001MPI": [{1: "x"}]}, "column names in IDS001MPI must be text"),
    ({1: []}, "table names must be text"),
    ({"IDS001MPI": [], "ids001mpi": []}, "given twice"),
])
def test_misuse_raises_usage_error(bad, match):
    with pytest.raises(UsageError, match=match):
        read(bad)
