"""Stage 3 of the pipeline: give every cell its type, once.

Text cells from a CSV file (or strings in in-memory rows) are parsed into the field's type:
``date`` (``YYYY-MM-DD``; a date with a time of day is kept as a ``datetime`` so the "midnight"
rules can see the time), ``time`` (``HH:MM:SS``; a date-time gives its time of day, as Access
stores times on 1899-12-30), ``datetime`` (``YYYY-MM-DDTHH:MM:SS``, a space for the ``T``
accepted), ``integer`` and ``decimal``. Python values of the right type are taken as they are.

A value that does not parse is never an exception: it becomes :class:`Invalid`, which keeps the
original text. The field's own format rule reports it, and every comparison treats it as NULL.

>>> parse_date("2021-03-01")
datetime.date(2021, 3, 1)
>>> parse_date("2021-02-30")
Invalid('2021-02-30')
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, InvalidOperation
from itertools import compress, count, repeat
from operator import is_
from typing import Any, Callable, cast

__all__ = ["Invalid", "plain_column", "plain_values", "parse_date", "parse_time", "parse_datetime", "parse_integer", "parse_decimal",
           "PARSERS", "parse_value", "render"]


class Invalid:
    """A cell whose text is not a value of the field's type (kept, never raised)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Invalid({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Invalid) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("Invalid", self.text))


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})", re.ASCII)
_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)


def parse_date(text: str) -> _dt.date | Invalid:
    """``YYYY-MM-DD`` → date; with a time of day → datetime (so a non-midnight time is visible)."""
    t = text.strip()
    m = _DATE.fullmatch(t)
    try:
        if m:
            return _dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = _DATETIME.fullmatch(t)
        if m:
            y, mo, d, h, mi, s = (int(g) for g in m.groups())
            return _dt.datetime(y, mo, d, h, mi, s)
    except ValueError:
        pass
    return Invalid(text)


def parse_time(text: str) -> _dt.time | Invalid:
    """``HH:MM:SS`` → time; a date-time gives its time of day (the date part is Access's day 0),
    and a date alone is midnight, as an Access Date/Time column holds it."""
    t = text.strip()
    m = _TIME.fullmatch(t) or _DATETIME.fullmatch(t)
    try:
        if m:
            h, mi, s = (int(x) for x in m.groups()[-3:])
            return _dt.time(h, mi, s)
        m = _DATE.fullmatch(t)
        if m:
            _dt.date(int(m[1]), int(m[2]), int(m[3]))  # a real date
            return _dt.time(0)
    except ValueError:
        pass
    return Invalid(text)


def parse_datetime(text: str) -> _dt.datetime | Invalid:
    """``YYYY-MM-DDTHH:MM:SS`` (or with a space) → datetime; a bare date is midnight."""
    t = text.strip()
    try:
        m = _DATETIME.fullmatch(t)
        if m:
            y, mo, d, h, mi, s = (int(g) for g in m.groups())
            return _dt.datetime(y, mo, d, h, mi, s)
        m = _DATE.fullmatch(t)
        if m:
            return _dt.datetime(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        pass
    return Invalid(text)


#: the most digits an integer cell may have: far beyond any IDB column (a Long has 10), and below
#: Python's limit on converting text to int (4,300 digits), which would otherwise raise
MAX_INTEGER_DIGITS = 1000


def parse_integer(text: str) -> int | Invalid:
    t = text.strip()
    if len(t) <= MAX_INTEGER_DIGITS + 1 and _INTEGER.fullmatch(t):
        return int(t)
    return Invalid(text)


def _huge(value: int) -> bool:
    """An int of more than :data:`MAX_INTEGER_DIGITS` digits (too big to be rendered as text)."""
    return value.bit_length() > MAX_INTEGER_DIGITS * 3.32


def parse_decimal(text: str) -> Decimal | Invalid:
    try:
        v = Decimal(text.strip())
    except InvalidOperation:
        return Invalid(text)
    return v if v.is_finite() else Invalid(text)


PARSERS: dict[str, Callable[[str], Any]] = {
    "date": parse_date,
    "time": parse_time,
    "datetime": parse_datetime,
    "integer": parse_integer,
    "decimal": parse_decimal,
}


def parse_value(ftype: str, value: Any) -> Any:
    """Type one cell given as text or as a Python value. Returns the typed value, None or Invalid."""
    if value is None:
        return None
    if isinstance(value, str):
        if ftype == "text":
            return value
        if not value.strip():
            return None
        return PARSERS[ftype](value)
    # already-typed Python values (in-memory rows); a time zone is dropped, as for submitted_at
    if ftype == "date":
        if isinstance(value, _dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, _dt.date):
            return value
    elif ftype == "datetime":
        if isinstance(value, _dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, _dt.date):
            return _dt.datetime(value.year, value.month, value.day)
    elif ftype == "time":
        if isinstance(value, _dt.time):
            return value.replace(tzinfo=None)
        if isinstance(value, _dt.datetime):
            return value.time()
    elif ftype == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value if not _huge(value) else Invalid(cast(str, render(value)))
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            if value.adjusted() >= MAX_INTEGER_DIGITS:
                return Invalid(str(value))
            return int(value)
    elif ftype == "decimal":
        finite = value.is_finite() if isinstance(value, Decimal) else isinstance(value, int)
        if finite and not isinstance(value, bool):
            return Decimal(value)
    elif ftype == "text":
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return render(value)
    return Invalid(cast(str, render(value)))  # value is not None here, so render gives text


def plain_column(col: list) -> list:
    """A new list of *col*'s values with each :class:`Invalid` one as NULL (None): what
    comparisons and joins use. Rows are visited in Python only where a value is Invalid (found
    in C)."""
    out = list(col)
    for i in compress(count(), map(is_, map(type, out), repeat(Invalid))):
        out[i] = None
    return out


def plain_values(col: list) -> list:
    """*col*'s values with each :class:`Invalid` one as NULL, as :func:`plain_column` gives them,
    but *col* itself (not a copy) when it holds no Invalid value (looked for in C): for reading
    only, never to be changed."""
    return plain_column(col) if Invalid in set(map(type, col)) else col


def render(value: Any) -> str | None:
    """The text a person would read for a value (dates ISO, datetimes with a T)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Invalid):
        return value.text
    if isinstance(value, _dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if type(value) is int and _huge(value):
        return f"(an integer of about {int(value.bit_length() / 3.3219)} digits)"
    return str(value)
