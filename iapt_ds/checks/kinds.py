"""Stage 4 of the pipeline: the rule *kinds*, each written once and parameterised from the spec.

A kind is a function ``(rule, table, ctx) -> list[Fail]`` that looks at a whole column at a time
and returns the rows that fail, with what the row was compared with. It never raises and never
builds text; the engine turns failures into findings. Values are already cleansed and typed; an
:class:`~iapt_ds.parse.Invalid` value counts as NULL for every kind except the field's own format
rule, which fails it.

``ROW_KINDS`` holds the kinds that look at one row (or, for uniqueness, at rows of one table);
the rules that depend on other rows' rejections live in :mod:`iapt_ds.rules`, the cascade in
:mod:`iapt_ds.cascade`, the file-level stages in :mod:`iapt_ds.outcome`.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from ..model import Table
from ..parse import Invalid, render
from ..spec import RuleSpec
from . import values as V
from .context import Context

__all__ = ["Fail", "ROW_KINDS", "register"]

#: (row index, the value compared with as text or None, extra detail or None)
Fail = tuple[int, "str | None", "str | None"]
KindFn = Callable[[RuleSpec, Table, Context], list[Fail]]
ROW_KINDS: dict[str, KindFn] = {}


def register(name: str) -> Callable[[KindFn], KindFn]:
    def deco(fn: KindFn) -> KindFn:
        ROW_KINDS[name] = fn
        return fn
    return deco


def _col(table: Table, rule: RuleSpec, field: str | None = None) -> list:
    return table.values[field or rule.fields[0]]


def _plain(v: Any) -> Any:
    return None if type(v) is Invalid else v


def _rows_with(col: list, bad: set) -> list[Fail]:
    return [(i, None, None) for i, v in enumerate(col) if v in bad]


def _failing_values(col: list, fails: Callable[[Any], bool]) -> list[Fail]:
    """Rows whose (non-NULL) value fails. Each *distinct* value is tested once: columns of codes
    and dates hold few distinct values, so this is what keeps a million rows fast."""
    distinct = set(col)
    distinct.discard(None)
    bad = {v for v in distinct if fails(v)}
    return _rows_with(col, bad) if bad else []


def _failing_pairs(a: list, b: list, fails: Callable[[Any, Any], bool]) -> list[tuple[int, Any]]:
    """(row, b value) for rows whose pair of values fails, each distinct pair tested once."""
    bad = {pair for pair in set(zip(a, b)) if fails(*pair)}
    if not bad:
        return []
    return [(i, pair[1]) for i, pair in enumerate(zip(a, b)) if pair in bad]


# --------------------------------------------------------------------------- one value at a time

@register("not_blank")
def not_blank(rule, table, ctx):
    """The field has a value (cleansing already made blanks NULL)."""
    col = _col(table, rule)
    if None not in col:
        return []
    return [(i, None, None) for i, v in enumerate(col) if v is None]


@register("length")
def length(rule, table, ctx):
    """Trimmed text is min..max characters (``digits``: ASCII digits only), as SDCS's pattern
    ``^.{min,max}$`` / ``^\\d{min,max}$``. For an integer field this is its format rule: a cell
    that is not a whole number fails it."""
    p = rule.params
    lo, hi, digits = p["min"], p["max"], p.get("digits", False)
    check = V.digits_length_is_within if digits else V.text_length_is_within

    def fails(v: Any) -> bool:
        if type(v) is str:
            if not digits and lo <= len(v) <= hi and v.isprintable():
                return False  # no line terminator possible
            return not check(v, lo, hi)
        if type(v) is Invalid:
            return True
        return not check(render(v), lo, hi)

    col = _col(table, rule)
    if table.spec.field_map[rule.fields[0]].type == "text":
        # a text column is all str: settle the common case with C-level passes over its values
        distinct = set(col)
        distinct.discard(None)
        if not distinct:
            return []
        try:
            lengths = set(map(len, distinct))
            if lo <= min(lengths) and max(lengths) <= hi and (
                    all(map(str.isascii, distinct)) and all(map(str.isdigit, distinct)) if digits
                    else all(map(str.isprintable, distinct))):
                return []
        except TypeError:
            pass  # a value that is not text (an Access column of another type): test one by one
    return _failing_values(col, fails)


@register("in_codelist")
def in_codelist(rule, table, ctx):
    """The value is one of the code list's codes (exact, case-sensitive)."""
    codes = frozenset(ctx.spec.codelists[rule.params["codelist"]].codes)
    col = _col(table, rule)
    bad = set(col) - codes
    bad.discard(None)
    return _rows_with(col, bad) if bad else []


@register("pattern")
def pattern(rule, table, ctx):
    """The value matches SDCS's pattern (Java semantics)."""
    search = V.java_pattern(rule.params["regex"]).search
    return _failing_values(_col(table, rule), lambda v: type(v) is not str or search(V.java_body(v)) is None)


@register("not_pattern")
def not_pattern(rule, table, ctx):
    """The value does not match the pattern."""
    search = V.java_pattern(rule.params["regex"]).search
    return _failing_values(_col(table, rule), lambda v: type(v) is str and search(V.java_body(v)) is not None)


@register("valid_date")
def valid_date(rule, table, ctx):
    """A real date on or after 1890-01-01 at midnight (the field's format rule)."""
    return _failing_values(_col(table, rule), lambda v: type(v) is Invalid or not V.is_valid_date(v))


@register("valid_datetime")
def valid_datetime(rule, table, ctx):
    """A real date and time on or after 1890-01-01T00:00:00 (the field's format rule)."""
    return _failing_values(_col(table, rule), lambda v: type(v) is Invalid or not V.is_valid_datetime(v))


@register("date_min")
def date_min(rule, table, ctx):
    """On or after a fixed date (NULL passes)."""
    bound = _dt.date.fromisoformat(rule.params["min"])
    return _failing_values(_col(table, rule), lambda v: type(v) is not Invalid and V.as_date(v) < bound)


@register("placeholder")
def placeholder(rule, table, ctx):
    """SDCS defines the code but never fires it."""
    return []


@register("nhs_number")
def nhs_number(rule, table, ctx):
    """10 digits, not a palindrome, valid Modulus 11 (NULL passes)."""
    return _failing_values(_col(table, rule), lambda v: type(v) is not str or not V.nhs_number_is_valid(v))


@register("snomed_ct")
def snomed_ct(rule, table, ctx):
    """A well-formed SNOMED CT concept id or post-coordinated expression (NULL passes)."""
    lo, hi = rule.params["min"], rule.params["max"]
    return _failing_values(_col(table, rule), lambda v: type(v) is not str or not V.snomed_ct_is_valid(v, lo, hi))


# ---------------------------------------------------------------------- comparisons with context

def _shift(d: _dt.date, p) -> _dt.date | None:
    """*d* moved by the rule's offset; None when that is past the last date Python has (Spark
    counts on: every date is before it)."""
    try:
        if p.get("offset_days"):
            d = d + _dt.timedelta(days=p["offset_days"])
        if p.get("offset_years"):
            d = V.add_months(d, 12 * p["offset_years"])
    except (OverflowError, ValueError):
        return None
    return d


def _is_date(v: Any) -> bool:
    return isinstance(v, _dt.date)


@register("date_compare")
def date_compare(rule, table, ctx):
    """On or before / on or after another date (same row, header or related row), compared at
    date granularity; NULL (or unparsable) on either side passes."""
    p = rule.params
    before = p["op"] == "on_or_before"

    def fails(v, o) -> bool:
        if not _is_date(v) or not _is_date(o):
            return False
        d, bound = V.as_date(v), _shift(V.as_date(o), p)
        if bound is None:
            return not before
        return d > bound if before else d < bound

    col = _col(table, rule)
    other_table = p["other"].rpartition(".")[0]
    if other_table == ctx.spec.header:  # one value for every row
        o = ctx.header_value(p["other"].rpartition(".")[2])
        return [(i, render(o), None) for i, _, _ in _failing_values(col, lambda v: fails(v, o))]
    others = ctx.related_values(table.id, p["other"])
    return [(i, render(o), None) for i, o in _failing_pairs(col, others, fails)]


@register("equals_field")
def equals_field(rule, table, ctx):
    """Equal to another field (NULL on either side passes)."""
    others = ctx.related_values(table.id, rule.params["other"])
    return [(i, render(o), None) for i, o in _failing_pairs(
        _col(table, rule), others, lambda v, o: _plain(v) is not None and o is not None and v != o)]


def _holds(cond: dict, v: Any) -> bool:
    v = _plain(v)
    if "present" in cond and (v is not None) != cond["present"]:
        return False
    if "in" in cond and (v is None or v not in cond["in"]):
        return False
    if "not_in" in cond and v is not None and v in cond["not_in"]:
        return False
    return True


@register("conditional")
def conditional(rule, table, ctx):
    """When the ``if`` condition holds, the ``then`` condition must hold."""
    c_if, c_then = rule.params["if"], rule.params["then"]
    a, b = table.values[c_if["field"]], table.values[c_then["field"]]
    return [(i, None, None) for i, _ in _failing_pairs(a, b, lambda x, y: _holds(c_if, x) and not _holds(c_then, y))]


@register("matches_upload")
def matches_upload(rule, table, ctx):
    """Equal to what the upload says (both must be present, as SDCS's null-safe equality)."""
    item = rule.params["upload"]
    expected = getattr(ctx.upload, item)
    if expected is None:
        ctx.not_checked[rule.code] = f"no {item.replace('_', ' ')} given for the upload"
        return []

    def fails(v) -> bool:
        v = _plain(v)
        if isinstance(expected, _dt.date):
            v = V.as_date(v) if _is_date(v) else None
        return v != expected
    col = _col(table, rule)
    out = _failing_values(col, fails)
    if fails(None):
        out = sorted(out + [(i, None, None) for i, v in enumerate(col) if v is None])
    return [(i, render(expected), None) for i, _, _ in out]


@register("not_after_submission")
def not_after_submission(rule, table, ctx):
    """Not after the upload time, compared at date granularity (NULL passes)."""
    at = ctx.upload.submitted_at
    if at is None:
        ctx.not_checked[rule.code] = "no submission time given"
        return []
    day = at.date()
    return [(i, render(at), None) for i, _, _ in
            _failing_values(_col(table, rule), lambda v: _is_date(v) and V.as_date(v) > day)]


@register("plausible_birth_date")
def plausible_birth_date(rule, table, ctx):
    """On or before the period end, and at most max_age whole years old at the period start.
    An unparsable birth date fails too (this is the field's format rule). Each finding's detail
    says which of the three failed."""
    rps, rpe, max_age = ctx.rps, ctx.rpe, rule.params["max_age"]
    why = {}

    def fails(v) -> bool:
        if type(v) is Invalid:
            shaped = re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", v.text or "")
            why[v] = "it is not a calendar date" if shaped else "it is not a date in the form YYYY-MM-DD"
            return True
        if rps is None or rpe is None:
            return False  # SDCS's comparison passes when a header date is missing
        b = V.as_date(v)
        if b > rpe:
            why[v] = f"it is after the end of the reporting period ({rpe.isoformat()})"
            return True
        age = math.floor(V.months_between(rps, b) / 12)
        if age > max_age:
            why[v] = f"the patient would be {age} at the start of the reporting period ({rps.isoformat()}), over {max_age}"
            return True
        return False
    other = f"{rps.isoformat()} to {rpe.isoformat()}" if rps and rpe else None
    col = _col(table, rule)
    return [(i, other, why[col[i]]) for i, _, _ in _failing_values(col, fails)]


_ONSET = re.compile(r"^[0-9]{4}-([0][1-9]|[1][0,1,2])$", re.ASCII)


def _onset_before_birth(v: Any, b: Any) -> bool:
    if type(v) is not str or not _is_date(b) or not _ONSET.search(V.java_body(v)):
        return False
    year = int(v[:4])
    try:
        month: int | None = int(v[5:7])
    except ValueError:
        month = None  # SDCS's pattern lets '1,' through; its cast then gives NULL
    if year > b.year:
        return False
    return not (year == b.year and month is not None and month >= b.month)


@register("onset_not_before_birth")
def onset_not_before_birth(rule, table, ctx):
    """A ``YYYY-MM`` onset is not before the birth month (other forms are not checked here)."""
    births = ctx.related_values(table.id, rule.params["birth_date"])
    return [(i, render(b), None) for i, b in _failing_pairs(_col(table, rule), births, _onset_before_birth)]


@register("finding_code")
def finding_code(rule, table, ctx):
    """A coded finding has the shape its scheme's codes have: v2.0's FindSchemeInUse shapes, or
    those ``schemes`` gives (NULL code or scheme passes)."""
    schemes = table.values[rule.params["scheme"]]
    formats = rule.params.get("schemes")
    return [(i, None, None) for i, _ in _failing_pairs(
        _col(table, rule), schemes,
        lambda v, sc: type(v) is str and type(sc) is str and not V.finding_code_suits_scheme(v, sc, formats))]


@register("assessment_tool")
def assessment_tool(rule, table, ctx):
    """CodedAssToolType is one of the accepted tools (NULL passes)."""
    tools = ctx.spec.assessment_tools
    return _failing_values(_col(table, rule), lambda v: v not in tools)


def _score_rule(table, ctx, test) -> list[Fail]:
    tools = ctx.spec.assessment_tools

    def fails(code, score) -> bool:
        if type(score) is not str or code is None:
            return False
        tool = tools.get(code)
        return tool is not None and not test(tool, score)
    return [(i, None, None) for i, _ in _failing_pairs(table.values["CodedAssToolType"], table.values["PersScore"], fails)]


_FORMATS: dict[str, re.Pattern] = {}


@register("score_format")
def score_format(rule, table, ctx):
    """PersScore is written the way its tool's scores are (SDCS uses Python ``re.match``)."""
    def test(tool, s):
        rx = _FORMATS.get(tool.format)
        if rx is None:
            rx = _FORMATS[tool.format] = re.compile(tool.format)
        return rx.match(s) is not None
    return _score_rule(table, ctx, test)


@register("score_range")
def score_range(rule, table, ctx):
    """PersScore is in its tool's range (as a number) or value set."""
    def test(tool, s):
        if tool.values is not None:
            return s in tool.values
        try:
            x = float(s)
        except (TypeError, ValueError):
            return False
        return tool.range[0] <= x <= tool.range[1]
    return _score_rule(table, ctx, test)


_GP_DEFAULTS = frozenset({"V81997", "V81998", "V81999", "S30063", "S30152", "S99942", "S99957", "S99961",
                          "S99976", "S99995", "S99999"})
_SITE_DEFAULTS = frozenset({"89999", "89997", "R9998"})


@register("reference_data")
def reference_data(rule, table, ctx):
    """The code is current in national reference data at the period start (supplied by the
    caller; without it the rule is reported as not checked). Each distinct code is asked once."""
    ref = ctx.reference
    lookup = rule.params["lookup"]
    if ref is None:
        ctx.not_checked[rule.code] = "no reference data supplied"
        return []
    ask = {"organisation": ref.organisation_exists, "gp_practice": ref.gp_practice_exists,
           "site": ref.site_exists, "postcode": ref.postcode_exists}[lookup]
    unknown = set()

    def fails(v) -> bool:
        if type(v) is not str:
            return False
        code = v
        if lookup == "gp_practice":
            code = v.strip().upper()
            if code in _GP_DEFAULTS:
                return False
        elif lookup == "site" and v in _SITE_DEFAULTS:
            return False
        try:
            ok = ask(code, ctx.rps)
        except Exception:  # the caller's lookup failed: say so, never crash on it
            ok = None
        if ok is None:
            unknown.add(v)
            return False
        return not ok
    out = _failing_values(_col(table, rule), fails)
    if unknown:
        ctx.not_checked[rule.code] = f"the reference data could not answer for {len(unknown)} distinct value(s)"
    return out


# ------------------------------------------------------------------------- rows of one table

def _keys(table: Table, fields: list[str], nulls_equal: bool) -> list:
    """One hashable key per row (a value for one field, a tuple for several); Invalid counts as
    NULL; None marks a row whose key holds a NULL when NULLs make a row unique."""
    cols = [table.values[f] for f in fields]
    for n, col in enumerate(cols):
        if any(type(v) is Invalid for v in set(col)):
            cols[n] = [_plain(v) for v in col]
    if len(cols) == 1:
        return cols[0]
    keys: list[Any] = list(zip(*cols))
    if not nulls_equal:
        keys = [None if None in k else k for k in keys]
    return keys


def _duplicates(keys: list, skip_none: bool, detail: Callable[[Any, list[int]], str]) -> list[Fail]:
    counts = Counter(keys)
    if skip_none:
        counts.pop(None, None)
    dup = {k for k, n in counts.items() if n > 1}
    if not dup:
        return []
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, k in enumerate(keys):
        if k in dup:
            groups[k].append(i)
    out: list[Fail] = [(r, None, detail(k, rows)) for k, rows in groups.items() for r in rows]
    out.sort()
    return out


def _rows_text(rows: list[int]) -> str:
    return ", ".join(str(r + 1) for r in rows[:10]) + (" …" if len(rows) > 10 else "")


@register("unique")
def unique(rule, table, ctx):
    """No two rows share the key. A NULL in the key makes a row unique unless ``nulls_equal``.
    Every row of a duplicate set fails, not just the extra ones."""
    nulls_equal = rule.params.get("nulls_equal", False)
    keys = _keys(table, rule.params["fields"], nulls_equal)
    return _duplicates(keys, not nulls_equal, lambda k, rows: f"{len(rows)} rows share it: rows {_rows_text(rows)}")


@register("one_open_per")
def one_open_per(rule, table, ctx):
    """At most one row per ``per`` value has the field blank (NULLs grouped together)."""
    per, field = table.values[rule.params["per"]], table.values[rule.params["field"]]
    open_rows = [i for i, f in enumerate(field) if f is None or type(f) is Invalid]
    counts = Counter(_plain(per[i]) for i in open_rows)
    crowded = {k for k, n in counts.items() if n > 1}
    return [(i, None, f"{counts[_plain(per[i])]} open rows for {render(_plain(per[i]))}")
            for i in open_rows if _plain(per[i]) in crowded]


@register("one_attended_per_slot")
def one_attended_per_slot(rule, table, ctx):
    """Within one (referral, date, time) at most one row is attended; when two or more are, every
    row of that slot gets the warning (NULLs in the key grouped together)."""
    keys = _keys(table, rule.params["fields"], True)
    attended = frozenset(rule.params["attended"])
    counts = Counter(k for k, code in zip(keys, table.values["AttendOrDNACode"]) if code in attended)
    crowded = {k for k, n in counts.items() if n > 1}
    if not crowded:
        return []
    return [(i, None, f"{counts[k]} attended contacts in the same slot") for i, k in enumerate(keys) if k in crowded]
