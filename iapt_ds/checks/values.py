"""Pure checks on single values, named for what passes. Each is total: any input, no exception.

SDCS applies its text patterns with Java regular expressions (Spark ``rlike``): ``.`` does not
match a line terminator and ``$`` also matches before one final line terminator. The helpers
here reproduce that, so a length rule counts exactly what SDCS counts.

>>> nhs_number_is_valid("9434765870"), nhs_number_is_valid("9434765871"), nhs_number_is_valid("1234554321")
(True, False, False)
>>> snomed_ct_is_valid("720433000", 6, 18), snomed_ct_is_valid("720433001", 6, 18)
(True, False)
>>> text_length_is_within("ab", 0, 2), text_length_is_within("a\\nb", 0, 20)
(True, False)
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from itertools import compress
from operator import eq, itemgetter
from typing import Any

from stdnum import verhoeff
from stdnum.gb import nhs as _nhs

__all__ = [
    "EARLIEST",
    "java_body",
    "text_length_is_within",
    "digits_length_is_within",
    "java_pattern",
    "nhs_number_is_valid",
    "nhs_numbers_failing",
    "snomed_ct_is_valid",
    "code_has_shape",
    "is_valid_date",
    "is_valid_datetime",
    "months_between",
    "add_months",
    "as_date",
    "date_of",
]

_LINE_TERMINATORS = "\n\r\u0085\u2028\u2029"
#: the earliest date SDCS accepts in a date field
EARLIEST = _EARLIEST = _dt.date(1890, 1, 1)
_EARLIEST_DT = _dt.datetime(1890, 1, 1)


def java_body(s: str) -> str:
    """The part of *s* a Java ``^…$`` pattern must match: one final line terminator is allowed."""
    if s.endswith("\r\n"):
        return s[:-2]
    if s and s[-1] in _LINE_TERMINATORS:
        return s[:-1]
    return s


def text_length_is_within(s: str, lo: int, hi: int) -> bool:
    """Java ``^.{lo,hi}$``: lo..hi characters, none of them a line terminator."""
    if lo <= len(s) <= hi and not any(c in s for c in _LINE_TERMINATORS):
        return True
    body = java_body(s)
    return lo <= len(body) <= hi and not any(c in body for c in _LINE_TERMINATORS)


_DIGITS: dict[tuple[int, int], re.Pattern[str]] = {}


def digits_length_is_within(s: str, lo: int, hi: int) -> bool:
    """Java ``^\\d{lo,hi}$``: lo..hi ASCII digits."""
    rx = _DIGITS.get((lo, hi))
    if rx is None:
        rx = _DIGITS[(lo, hi)] = re.compile(r"[0-9]{%d,%d}" % (lo, hi))
    return rx.fullmatch(java_body(s)) is not None


def java_pattern(regex: str) -> "re.Pattern[str]":
    """Compile an SDCS pattern for :func:`re.Pattern.search` on :func:`java_body` text."""
    if regex.endswith("$") and not regex.endswith("\\$"):
        regex = regex[:-1] + r"\Z"
    return re.compile(regex, re.ASCII)


def _ascii_digits(s: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in s)


def nhs_number_is_valid(s: str) -> bool:
    """SDCS's NHS number test (IDSREJ006).

    Ten characters, all digits (``str.isdigit``, as SDCS), not a palindrome, and a correct
    Modulus 11 check digit (python-stdnum). Spaces or dashes are *not* removed: the raw text is
    checked before stdnum, whose own cleaning would accept ``943 476 5870``.
    """
    if len(s) != 10 or not s.isdigit():
        return False
    # the palindrome test is on the raw text, as DSP's: 12345５4321 is no palindrome
    if s[:5] == s[5:][::-1]:
        return False
    try:
        digits = s if s.isascii() else _ascii_digits(s)  # for the check-digit arithmetic only
    except (TypeError, ValueError):
        return False
    # the text is already ten ASCII digits: stdnum's Modulus 11 sum decides (0 = valid)
    return _nhs.checksum(digits) == 0


_FIRST_FIVE, _LAST_FIVE_REVERSED = itemgetter(slice(0, 5)), itemgetter(slice(9, 4, -1))


def nhs_numbers_failing(values: Iterable[Any]) -> set:
    """The values of *values* (distinct ones: each is tested) that fail SDCS's NHS number test,
    :func:`nhs_number_is_valid` (anything but text fails). Texts of ten ASCII digits, nearly
    every value, are told in C, the palindrome by their halves, and go straight to
    python-stdnum's Modulus 11 ``checksum`` (non-zero: the check digit is wrong), with no
    cleaning or checking of shape again per value. Any other value goes through
    :func:`nhs_number_is_valid`."""
    texts: list[str] = []
    bad = set()
    for v in values:
        if type(v) is str and len(v) == 10 and v.isascii() and v.isdigit():
            texts.append(v)
        elif type(v) is not str or not nhs_number_is_valid(v):
            bad.add(v)
    if texts:
        bad.update(compress(texts, map(_nhs.checksum, texts)))
        bad.update(compress(texts, map(eq, map(_FIRST_FIVE, texts), map(_LAST_FIVE_REVERSED, texts))))
    return bad


def _simple_snomed(s: str, lo: int, hi: int) -> bool:
    if not s.isdigit() or not (6 <= len(s) <= 18) or not (lo <= len(s) <= hi):
        return False
    # the partition digits are tested on the raw text, as DSP's: full-width ０ is not 0
    if s[-3:-1] not in ("00", "10"):
        return False
    try:
        digits = _ascii_digits(s)
    except (TypeError, ValueError):
        return False
    return verhoeff.is_valid(digits)


_POSTCOORDINATED = re.compile(r"^(?P<concept>\d+):(?P<attribute>\d+)=(?P<value>\d+)$")
_ATTRIBUTES = ("408730004", "363589002")


def snomed_ct_is_valid(s: str, lo: int = 6, hi: int = 56) -> bool:
    """SDCS's SNOMED CT test: a concept id (digits, 6-18 long and within lo..hi, Verhoeff check
    digit, partition 00 or 10) or ``concept:attribute=value`` with an allowed attribute."""
    if not s:
        return False
    m = _POSTCOORDINATED.search(s)
    if m:
        return (lo <= len(s) <= hi and _simple_snomed(m["concept"], lo, hi)
                and _simple_snomed(m["value"], lo, hi) and m["attribute"] in _ATTRIBUTES)
    return _simple_snomed(s, lo, hi)


# v2.0's FindSchemeInUse shapes: 01 ICD-10, 02/03 Read, 04 SNOMED CT (numeric)
FIND_SCHEME_SHAPES: Mapping[str, Mapping[str, Any]] = {
    "01": {"min": 4, "max": 6}, "02": {"lengths": [5, 7]}, "03": {"lengths": [5, 7]},
    "04": {"min": 6, "max": 18, "numeric": True}}
#: what a scheme's shape may say
SHAPE_KEYS = ("min", "max", "lengths", "numeric", "snomed_concept")


def code_has_shape(code: str, shape: Mapping[str, Any] | None) -> bool:
    """Whether a code has the shape its scheme's codes have (NHS Digital's coded_clinical_entry
    checks): ``numeric`` (``str.isnumeric``), a length in ``lengths`` or within ``min``..``max``,
    and with ``snomed_concept`` also a SNOMED CT concept id proper (partition 00 or 10 and a
    Verhoeff check digit). No shape (a scheme not listed): not checked."""
    if not shape:
        return True
    if shape.get("numeric") and not code.isnumeric():
        return False
    if "lengths" in shape:
        if len(code) not in shape["lengths"]:
            return False
    elif not shape.get("min", 0) <= len(code) <= shape.get("max", len(code)):
        return False
    return not shape.get("snomed_concept") or (code.isdigit() and _simple_snomed(code, 6, 18))


def finding_code_suits_scheme(code: str, scheme: str, schemes: Mapping[str, Mapping[str, Any]] | None = None) -> bool:
    """SDCS's check of a coded finding against its scheme: the shape *schemes* gives the scheme
    code (by default v2.0's FindSchemeInUse: ``01`` ICD-10, 4 to 6 characters; ``02``/``03``
    Read, 5 or 7; ``04`` SNOMED CT, numeric, 6 to 18 long). Any other scheme is not checked."""
    return code_has_shape(code, (FIND_SCHEME_SHAPES if schemes is None else schemes).get(scheme))


def is_valid_date(v: _dt.date) -> bool:
    """A real date on or after 1890-01-01 with no time of day (a datetime must be midnight)."""
    if isinstance(v, _dt.datetime):
        return v >= _EARLIEST_DT and v.time() == _dt.time(0)
    return v >= _EARLIEST


def is_valid_datetime(v: _dt.datetime) -> bool:
    return v >= _EARLIEST_DT


def as_date(v: _dt.date) -> _dt.date:
    """Date granularity, as Spark's to_date: a datetime loses its time of day."""
    return v.date() if isinstance(v, _dt.datetime) else v


def date_of(v: object) -> _dt.date | None:
    """The date a typed cell holds at date granularity; None for NULL, unparsable or non-dates."""
    return as_date(v) if isinstance(v, _dt.date) else None


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def months_between(later: _dt.date, earlier: _dt.date) -> float:
    """Spark's months_between for dates: whole months when the days match or both are month
    ends, otherwise the day difference over 31."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if later.day == earlier.day or (later.day == _last_day(later.year, later.month)
                                    and earlier.day == _last_day(earlier.year, earlier.month)):
        return float(months)
    return months + (later.day - earlier.day) / 31.0


def add_months(d: _dt.date, months: int) -> _dt.date:
    """Spark's add_months: the same day, clamped to the last day of the resulting month."""
    total = d.year * 12 + (d.month - 1) + months
    y, m = divmod(total, 12)
    m += 1
    return _dt.date(y, m, min(d.day, _last_day(y, m)))
