"""The submission calendar: Unique_MonthID and the primary and refresh windows."""

from __future__ import annotations

import datetime as dt

import pytest

from iapt_ds.calendar import dataset_periods, parse_period, period_from_month_id, period_info, unique_month_id
from iapt_ds.errors import UsageError
from iapt_ds.spec import load_spec

D = dt.date


def test_unique_month_id():
    assert unique_month_id(2020, 9) == 1446
    assert unique_month_id(1900, 4) == 1
    assert unique_month_id(2022, 3) == 1464
    for i in (1, 1446, 1464, 2000):
        assert unique_month_id(*parse_period(period_from_month_id(i))) == i


@pytest.mark.parametrize("text", ["2021-13", "2021-3", "March 2021", "", "2021-03-01", 202103])
def test_parse_period_rejects(text):
    with pytest.raises(UsageError, match="YYYY-MM"):
        parse_period(text)


def test_a_period_in_v2():
    info = period_info("2021-03")
    assert (info.start, info.end, info.month_id, info.in_dataset, info.label) == (
        D(2021, 3, 1), D(2021, 3, 31), 1452, True, "March 2021")
    assert (info.primary.opens, info.primary.closes) == (D(2021, 4, 1), D(2021, 4, 29))
    assert [w.opens for w in info.refresh] == [D(2021, 5, 1), D(2021, 8, 1)]


def test_february_of_a_leap_year():
    info = period_info("2020-02")
    assert info.end == D(2020, 2, 29) and not info.in_dataset


def test_the_one_off_august_2021_window_is_july_2021s_primary():
    info = period_info("2021-07")
    assert info.primary.opens == D(2021, 8, 1) and len(info.primary.periods) == 11
    assert [w.opens for w in info.refresh] == [D(2021, 9, 1)]


def test_the_last_v2_period_has_a_refresh_only_window():
    info = period_info("2022-03")
    assert info.primary.opens == D(2022, 4, 1)
    assert [(w.opens, w.periods) for w in info.refresh] == [(D(2022, 5, 1), ("2022-03",))]


def test_every_v2_period_has_exactly_one_primary_and_a_refresh():
    periods = dataset_periods()
    assert (periods[0], periods[-1], len(periods)) == ("2020-09", "2022-03", 19)
    for p in periods:
        info = period_info(p)
        assert info.in_dataset and info.primary is not None and info.refresh, p
        assert info.primary.closes > info.end and all(w.opens > info.primary.opens for w in info.refresh)


def test_primary_windows_are_distinct():
    primaries = [period_info(p).primary for p in dataset_periods()]
    assert len({w.opens for w in primaries}) == len(primaries)
    # and two more: 1-25 Sep 2020 took August 2020 (before v2.0) and the last is a refresh only
    assert len(load_spec().windows) == len(primaries) + 2


@pytest.mark.parametrize("period", ["2022-04", "2019-01"])
def test_outside_v2(period):
    info = period_info(period)
    assert not info.in_dataset and info.primary is None


def test_august_2020_had_sdcs_windows_but_is_before_v2():
    info = period_info("2020-08")
    assert not info.in_dataset
    assert str(info.primary.opens) == "2020-09-01" and str(info.refresh[0].opens) == "2020-10-01"
