"""Strategies for single values: identifiers, codes, dates and the national formats (NHS number,
postcode, SNOMED CT, ICD-10, assessment scores).

Every width, code list and assessment tool is read from the spec (:func:`iapt_ds.load_spec`);
nothing here restates them. :func:`field_values` combines them: a value that passes every rule
that looks at that one field on its own.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
import string
from collections.abc import Callable
from typing import TypeGuard

from hypothesis import strategies as st
from stdnum import verhoeff
from stdnum.gb import nhs

from ..errors import UsageError
from ..spec import FieldSpec, RuleSpec, Spec, load_spec

__all__ = [
    "assessment_scores",
    "dates",
    "field_values",
    "finding_codes",
    "icd10_codes",
    "identifiers",
    "invalid_nhs_numbers",
    "invalid_snomed_ids",
    "nhs_numbers",
    "ods_codes",
    "periods",
    "postcodes",
    "snomed_expressions",
    "snomed_ids",
    "texts",
    "times",
    "width",
]

#: the earliest date SDCS's date-format rules accept (the ``valid_date`` kind)
EARLIEST = _dt.date(1890, 1, 1)
LATEST = _dt.date(2099, 12, 31)

_UPPER_ALNUM = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits
# free text: letters, digits, punctuation, symbols and inner spaces from the Basic Multilingual
# Plane; no control characters and no line terminators (SDCS's length patterns stop at those)
_TEXT_CHARS = st.characters(categories=("L", "N", "P", "S", "Zs"), max_codepoint=0xFFFF)
# Concept ids of the two attributes SDCS accepts in a post-coordinated expression
# (408730004 |Procedure context|, 363589002 |Associated procedure|).
_SNOMED_ATTRIBUTES = ("408730004", "363589002")


def _spec(spec: Spec | None) -> Spec:
    return spec or load_spec()


def _field(spec: Spec, table: str, field: str) -> FieldSpec:
    """The field *field* of the table with id *table*; misuse (no such table or field) is a
    :class:`~iapt_ds.errors.UsageError`."""
    tspec = spec.tables.get(table)
    if tspec is None:
        raise UsageError(f"no table {table!r}; give a table id, one of {', '.join(spec.tables)}")
    f = tspec.field_map.get(field)
    if f is None:
        raise UsageError(f"{table} has no field {field!r}; its fields are {', '.join(tspec.field_names)}")
    return f


def _rules_on(spec: Spec, table: str, field: str) -> list[RuleSpec]:
    """The rules whose first field is *field* of *table*."""
    return [r for r in spec.rules_for(table) if r.field == field]


def width(table: str, field: str, spec: Spec | None = None) -> tuple[int, int]:
    """(min, max) length a value of the field may have: the field's declared width narrowed by
    every ``length`` rule on it; at least one character (a blank is a NULL)."""
    spec = _spec(spec)
    f = _field(spec, table, field)
    lo, hi = 1, f.max_length or 255
    for r in _rules_on(spec, table, field):
        if r.kind == "length":
            lo, hi = max(lo, r.params["min"]), min(hi, r.params["max"])
    return lo, hi


# --------------------------------------------------------------------------------- plain values

def _edges_not_space(s: str) -> str:
    """Cleansing trims ASCII spaces, which would shorten the value: keep the length, lose them."""
    if s[:1] == " ":
        s = "x" + s[1:]
    if s[-1:] == " ":
        s = s[:-1] + "x"
    return s


def texts(min_size: int = 1, max_size: int = 20) -> st.SearchStrategy[str]:
    """Free text of *min_size*..*max_size* characters that cleansing leaves as it is."""
    return st.text(_TEXT_CHARS, min_size=max(min_size, 1), max_size=max_size).map(_edges_not_space)


def identifiers(max_size: int = 20) -> st.SearchStrategy[str]:
    """A local identifier: ASCII letters and digits, 1..*max_size* characters."""
    return st.text(_ALNUM, min_size=1, max_size=max_size)


def ods_codes(min_size: int = 3, max_size: int = 5) -> st.SearchStrategy[str]:
    """An ODS-style organisation code: upper-case letters and digits (e.g. ``R1Z``, ``15F``)."""
    return st.text(_UPPER_ALNUM, min_size=min_size, max_size=max_size)


def dates(min_value: _dt.date = EARLIEST, max_value: _dt.date = LATEST) -> st.SearchStrategy[str]:
    """ISO dates (``YYYY-MM-DD``) in a range."""
    return st.dates(min_value, max_value).map(_dt.date.isoformat)


def times() -> st.SearchStrategy[str]:
    """Times of day ``HH:MM:SS``."""
    return st.times().map(lambda t: t.replace(microsecond=0).isoformat())


def periods(spec: Spec | None = None) -> st.SearchStrategy[str]:
    """Reporting periods (``YYYY-MM``) the v2.0 data set was used for."""
    first, last = _spec(spec).periods
    (y0, m0), (y1, m1) = (map(int, first.split("-")), map(int, last.split("-")))
    months = (y1 * 12 + m1) - (y0 * 12 + m0)
    return st.integers(0, months).map(lambda k: f"{y0 + (m0 - 1 + k) // 12:04d}-{(m0 - 1 + k) % 12 + 1:02d}")


# ------------------------------------------------------------------------------ national formats

def _nhs_check_digit(nine: str) -> int | None:
    check = (11 - nhs.checksum(nine + "0")) % 11
    return None if check == 10 else check


def _is_text(value: str | None) -> TypeGuard[str]:
    return value is not None


def _nhs_number(n: int) -> str | None:
    nine = f"{n:09d}"
    check = _nhs_check_digit(nine)
    if check is None:
        return None
    number = f"{nine}{check}"
    return None if number[:5] == number[5:][::-1] else number


def nhs_numbers() -> st.SearchStrategy[str]:
    """Valid NHS numbers: 10 digits, a correct Modulus 11 check digit, not a palindrome."""
    return st.integers(0, 999_999_999).map(_nhs_number).filter(_is_text)


def invalid_nhs_numbers() -> st.SearchStrategy[str]:
    """Text that is no valid NHS number: a wrong check digit, a palindrome, the wrong length, or
    not all digits (with spaces, as people write them)."""
    def wrong_check(n: int) -> str:
        nine = f"{n:09d}"
        right = _nhs_check_digit(nine)
        return f"{nine}{(right + 1) % 10 if right is not None else 0}"

    palindromes = st.integers(0, 99_999).map(lambda n: f"{n:05d}{f'{n:05d}'[::-1]}")
    return st.one_of(
        st.integers(0, 999_999_999).map(wrong_check),
        palindromes,
        st.text(string.digits, min_size=1, max_size=9),
        st.text(string.digits, min_size=11, max_size=12),
        nhs_numbers().map(lambda s: f"{s[:3]} {s[3:6]} {s[6:]}"),
    )


def postcodes() -> st.SearchStrategy[str]:
    """Postcodes in the shape IDSREJ007 requires: outward code (one or two letters, a digit, an
    optional letter or digit), a space, inward code (a digit and two letters)."""
    letters = st.text(string.ascii_uppercase, min_size=1, max_size=2)
    digit = st.sampled_from(string.digits)
    last = st.one_of(st.just(""), st.sampled_from(_UPPER_ALNUM))
    inward = st.tuples(digit, st.text(string.ascii_uppercase, min_size=2, max_size=2))
    return st.tuples(letters, digit, last, inward).map(lambda t: f"{t[0]}{t[1]}{t[2]} {t[3][0]}{t[3][1]}")


def _snomed(item: int, partition: str) -> str:
    body = f"{item}{partition}"
    return body + verhoeff.calc_check_digit(body)


def snomed_ids(min_size: int = 6, max_size: int = 18) -> st.SearchStrategy[str]:
    """SNOMED CT concept ids: an item id, partition ``00`` or ``10``, a Verhoeff check digit;
    *min_size*..*max_size* digits (never outside 6..18)."""
    lo, hi = max(min_size, 6), min(max_size, 18)
    if lo > hi:
        raise UsageError(f"no SNOMED CT id is {min_size}..{max_size} digits long")

    @st.composite
    def ids(draw):
        size = draw(st.integers(lo, hi))
        item = draw(st.integers(10 ** (size - 4), 10 ** (size - 3) - 1))
        return _snomed(item, draw(st.sampled_from(("00", "10"))))
    return ids()


def snomed_expressions(max_size: int = 56) -> st.SearchStrategy[str]:
    """A post-coordinated expression ``concept:attribute=value`` SDCS accepts (at most *max_size*
    characters)."""
    return st.tuples(snomed_ids(6, 18), st.sampled_from(_SNOMED_ATTRIBUTES), snomed_ids(6, 18)).map(
        lambda t: f"{t[0]}:{t[1]}={t[2]}").filter(lambda s: len(s) <= max_size)


def invalid_snomed_ids(min_size: int = 6, max_size: int = 18) -> st.SearchStrategy[str]:
    """Text that is no SNOMED CT id of *min_size*..*max_size* characters: a wrong check digit, a
    wrong partition, too short or too long, or not digits."""
    def wrong_check(s: str) -> str:
        return s[:-1] + str((int(s[-1]) + 1) % 10)

    @st.composite
    def wrong_partition(draw):
        size = draw(st.integers(max(min_size, 6), max(min(max_size, 18), 6)))
        item = draw(st.integers(10 ** (size - 4), 10 ** (size - 3) - 1))
        return _snomed(item, draw(st.sampled_from(("01", "02", "11", "20", "99"))))

    return st.one_of(
        snomed_ids(min_size, max_size).map(wrong_check),
        wrong_partition(),
        st.text(string.digits, min_size=1, max_size=max(min_size, 6) - 1),
        st.text(string.digits, min_size=max(max_size, 18) + 1, max_size=max(max_size, 18) + 3),
        st.text(string.ascii_uppercase, min_size=max(min_size, 6), max_size=min(max_size, 18)),
    )


def icd10_codes() -> st.SearchStrategy[str]:
    """ICD-10 codes of 4 to 6 characters: a letter, two digits, then digits or a point and
    digits (``F411``, ``F32.1``, ``F32.10``)."""
    head = st.tuples(st.sampled_from(string.ascii_uppercase), st.text(string.digits, min_size=2, max_size=2))
    tail = st.one_of(st.text(string.digits, min_size=1, max_size=3),
                     st.text(string.digits, min_size=1, max_size=2).map(lambda d: "." + d))
    return st.tuples(head, tail).map(lambda t: t[0][0] + t[0][1] + t[1])


# Finding Scheme in Use: 01 ICD-10, 02 Read v2, 03 Read CTV3, 04 SNOMED CT (national codes).
_FINDING_CODES: dict[str, Callable[[], st.SearchStrategy[str]]] = {
    "01": icd10_codes,
    "02": lambda: st.text(_ALNUM + ".", min_size=5, max_size=5),
    "03": lambda: st.text(_ALNUM + ".", min_size=5, max_size=5),
    "04": lambda: snomed_ids(6, 18),
}


#: the Finding Scheme in Use codes the finding-code rules know
FINDING_SCHEMES = tuple(_FINDING_CODES)


def finding_codes(scheme: str) -> st.SearchStrategy[str]:
    """Coded clinical entries written the way their Finding Scheme in Use says."""
    return _FINDING_CODES.get(scheme, lambda: st.text(_UPPER_ALNUM, min_size=4, max_size=18))()


def assessment_scores(tool: str, spec: Spec | None = None) -> st.SearchStrategy[str]:
    """PersScore values in range for the assessment tool (a ``CodedAssToolType``) and written
    the way it writes them."""
    tools = _spec(spec).assessment_tools
    if tool not in tools:
        raise UsageError(f"no assessment tool {tool!r}; give a CodedAssToolType, one of {', '.join(tools)}")
    t = tools[tool]
    if t.values is not None:
        return st.sampled_from(t.values)
    assert t.range is not None  # a tool has either values or a range
    lo, hi = t.range
    fmt = re.compile(t.format)
    whole = st.integers(math.ceil(lo), math.floor(hi)).map(str)
    tenths = st.integers(math.ceil(lo * 10), math.floor(hi * 10)).map(lambda n: f"{n / 10:.1f}")
    hundredths = st.integers(math.ceil(lo * 100), math.floor(hi * 100)).map(lambda n: f"{n / 100:.2f}")
    families = [s for s, probe in ((whole, str(math.ceil(lo))), (tenths, f"{math.ceil(lo):.1f}"),
                                   (hundredths, f"{math.ceil(lo):.2f}")) if fmt.match(probe)]
    if not families:
        raise UsageError(f"cannot write a score for {tool} that matches {t.format}")
    return st.one_of(families).filter(lambda s: fmt.match(s) is not None)


# ------------------------------------------------------------------------------- spec-driven

@functools.cache
def _field_values(spec_path: str, table: str, field: str) -> st.SearchStrategy[str]:
    spec = load_spec(spec_path)
    f = _field(spec, table, field)
    rules = _rules_on(spec, table, field)
    kinds = {r.kind: r for r in rules}
    lo, hi = width(table, field, spec)
    if "in_codelist" in kinds:
        codes = [c for c in spec.codelists[kinds["in_codelist"].params["codelist"]].codes if lo <= len(c) <= hi]
        return st.sampled_from(codes)
    if "assessment_tool" in kinds:
        return st.sampled_from(sorted(spec.assessment_tools))
    if "nhs_number" in kinds:
        return nhs_numbers()
    if "reference_data" in kinds:   # a code national reference data would hold
        return postcodes() if kinds["reference_data"].params["lookup"] == "postcode" else ods_codes(lo, hi)
    if "snomed_ct" in kinds:
        p = kinds["snomed_ct"].params
        simple = snomed_ids(max(p["min"], lo), min(p["max"], hi, 18))
        return st.one_of(simple, snomed_expressions(min(p["max"], hi))) if min(p["max"], hi) > 18 else simple
    if f.type == "date":
        return dates(max([EARLIEST] + [_dt.date.fromisoformat(r.params["min"]) for r in rules if r.kind == "date_min"]))
    if f.type == "time":
        return times()
    if f.type == "datetime":
        return st.datetimes(_dt.datetime(1890, 1, 1), _dt.datetime(2099, 12, 31)).map(
            lambda d: d.replace(microsecond=0).isoformat())
    if f.type == "integer":
        return st.integers(0, 10 ** hi - 1).map(str)
    patterns = [r for r in rules if r.kind == "pattern"]
    if patterns:
        avoid = [re.compile(r.params["regex"]) for r in rules if r.kind == "not_pattern"]
        return st.from_regex(re.compile(patterns[0].params["regex"], re.ASCII), fullmatch=True).filter(
            lambda s: not any(a.search(s) for a in avoid))
    return texts(lo, hi)


def field_values(table: str, field: str, spec: Spec | None = None) -> st.SearchStrategy[str]:
    """Text values of ``table.field`` that pass every rule looking at that field alone: its
    code list, width, format (NHS number, SNOMED CT, postcode, date …). Rules that compare it
    with other fields or rows are :func:`~iapt_ds.testing.submissions`'s business."""
    return _field_values(_spec(spec).path, table, field)
