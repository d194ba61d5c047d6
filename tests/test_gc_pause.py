"""The cyclic garbage collector is paused while reading, validating and writing a report, and
restored afterwards, also when the call fails."""

from __future__ import annotations

import gc
import io

import pytest

import iapt_ds
from iapt_ds.errors import UsageError
from iapt_ds.readers import read_rows
from iapt_ds.report import write_report


class _Spy:
    """Reference data that notes whether the collector ran while validation asked it."""

    def __init__(self) -> None:
        self.seen: list[bool] = []

    def _ask(self, code, on):
        self.seen.append(gc.isenabled())
        return True

    organisation_exists = gp_practice_exists = site_exists = postcode_exists = _ask


class _Rows(dict):
    def __init__(self, seen: list[bool]) -> None:
        super().__init__({"IDS000Header": []})
        self.seen = seen

    def items(self):
        self.seen.append(gc.isenabled())
        return super().items()


@pytest.fixture
def enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_while_validating_and_restored_after(enabled):
    spy = _Spy()
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", reference_data=spy)
    assert spy.seen and not any(spy.seen)
    assert gc.isenabled()
    write_report(result, io.StringIO(), "json")
    assert gc.isenabled()


def test_paused_while_reading_and_restored_after(enabled):
    seen: list[bool] = []
    read_rows(_Rows(seen))
    assert seen == [False]
    assert gc.isenabled()


def test_restored_when_validation_raises(enabled):
    with pytest.raises(UsageError):
        iapt_ds.validate(iapt_ds.example_path(), period="March")
    assert gc.isenabled()
    with pytest.raises(UsageError):
        read_rows(["not a mapping"])  # type: ignore[arg-type]
    assert gc.isenabled()


def test_left_off_when_the_caller_had_turned_it_off(enabled):
    gc.disable()
    iapt_ds.validate(iapt_ds.example_path(), period="2021-03")
    assert not gc.isenabled()
