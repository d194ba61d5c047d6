"""Engine bugs the property suite (tests/test_properties.py) found, each pinned by an example.

Each was an exception out of ``validate`` on in-memory rows: validation must turn any cell into
findings, never raise.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

import pytest

from iapt_ds import validate
from iapt_ds.spec import load_spec
from iapt_ds.spec_examples import DEFAULT_UPLOAD, base_rows

SPEC = load_spec()
UPLOAD = {"period": "2021-03", "provider": DEFAULT_UPLOAD["provider"], "sender": DEFAULT_UPLOAD["sender"],
          "submitted_at": DEFAULT_UPLOAD["submitted_at"]}


def _rows(**changes):
    """The bundled example with ``TABLE__Field=value`` set on the first row of the table."""
    rows = base_rows(SPEC)
    for key, value in changes.items():
        tid, field = key.split("__")
        rows[tid][0][field] = value
    return rows


def _codes(result, table=None, row=None):
    return sorted(f.code for f in result.findings
                  if (table is None or f.table == table) and (row is None or f.row == row))


@pytest.mark.parametrize("value", [Decimal("sNaN"), Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_a_decimal_that_is_no_number_in_an_integer_field_is_invalid(value):
    # parse.parse_value compared sNaN (InvalidOperation) and turned Infinity into an int (OverflowError)
    result = validate(_rows(IDS201__ClinContDurOfCareCont=value), **UPLOAD)
    assert _codes(result, "IDS201", 1) == ["IDS20114"]


def test_a_whole_decimal_in_an_integer_field_is_still_a_number():
    assert _codes(validate(_rows(IDS201__ClinContDurOfCareCont=Decimal(90)), **UPLOAD)) == []


@pytest.mark.parametrize("key, value", [
    ("IDS000__DateTimeDatSetCreate", _dt.datetime(2021, 4, 3, 9, 15)),
    ("IDS001__PersonBirthDate", _dt.datetime(1985, 6, 14)),
    ("IDS101__ReferralRequestReceivedDate", _dt.datetime(2021, 2, 15, 10, 30)),   # fails IDS10112
])
def test_a_datetime_with_a_time_zone_is_read_as_its_wall_clock_time(key, value):
    # an aware datetime reached the rules, which compare it with naive ones (TypeError)
    aware = value.replace(tzinfo=_dt.timezone(_dt.timedelta(hours=5)))
    expected = validate(_rows(**{key: value}), **UPLOAD).flatten("code", "table", "row")
    assert validate(_rows(**{key: aware}), **UPLOAD).flatten("code", "table", "row") == expected


def test_a_registration_ending_on_the_last_possible_day_is_followed_by_none():
    # IDS00223 added a day to 9999-12-31 (OverflowError); no registration can start after it
    rows = _rows(IDS002__EndDateGMPRegistration="9999-12-31")
    result = validate(rows, **UPLOAD)
    assert "IDS00223" in _codes(result, "IDS002", 1)
    assert "IDS00215" in _codes(result, "IDS002", 1)   # and it is after the period, as before


def test_a_bound_past_the_last_possible_day_is_later_than_every_date():
    # date_compare shifted 9999-12-31 by IDS00211's day and IDS90215's two years (OverflowError,
    # ValueError); Spark counts on past year 9999, so every date is before such a bound
    rows = _rows(IDS000__ReportingPeriodEndDate="9999-12-31")
    result = validate(rows, **{**UPLOAD, "period": (_dt.date(2021, 3, 1), _dt.date(9999, 12, 31))})
    assert "IDS00211" not in _codes(result) and "IDS90215" not in _codes(result)


def test_months_between_works_in_the_last_possible_month():
    # the month-end test built 10000-01-01 (ValueError) for a December 9999 date
    rows = _rows(IDS000__ReportingPeriodStartDate="9999-12-01", IDS000__ReportingPeriodEndDate="9999-12-31",
                 IDS001__PersonBirthDate="9999-11-30")
    result = validate(rows, **{**UPLOAD, "period": "9999-12"})
    assert "IDSREJ008" not in _codes(result, "IDS001", 1)


@pytest.mark.parametrize("period, bounds", [
    ("9999-12", (_dt.date(9999, 12, 1), _dt.date(9999, 12, 31))),   # the end was built from 10000-01-01
    (" 2021-03", (_dt.date(2021, 3, 1), _dt.date(2021, 3, 31))),    # the year was read from ' 202'
])
def test_period_bounds(period, bounds):
    from iapt_ds.pipeline import period_bounds

    assert period_bounds(period) == bounds


def test_a_period_in_year_zero_is_a_usage_error():
    from iapt_ds.errors import UsageError
    from iapt_ds.pipeline import period_bounds

    with pytest.raises(UsageError):
        period_bounds("0000-01")


@pytest.mark.parametrize("ftype", ["integer", "decimal"])
@pytest.mark.parametrize("value", [Decimal("sNaN"), Decimal("NaN"), Decimal("Infinity")])
def test_parse_value_gives_invalid_for_a_decimal_that_is_no_number(ftype, value):
    from iapt_ds.parse import Invalid, parse_value

    assert type(parse_value(ftype, value)) is Invalid
