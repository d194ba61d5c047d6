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
from collections import defaultdict
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


def _fails(indices) -> list[Fail]:
    return [(i, None, None) for i in indices]


def _plain(v: Any) -> Any:
    return None if type(v) is Invalid else v


# --------------------------------------------------------------------------- one value at a time

@register("not_blank")
def not_blank(rule, table, ctx):
    """The field has a value (cleansing already made blanks NULL)."""
    return _fails(i for i, v in enumerate(_col(table, rule)) if v is None)


@register("length")
def length(rule, table, ctx):
    """Trimmed text is min..max characters (``digits``: ASCII digits only), as SDCS's pattern
    ``^.{min,max}$`` / ``^\\d{min,max}$``. For an integer field this is its format rule: a cell
    that is not a whole number fails it."""
    p = rule.params
    lo, hi, digits = p["min"], p["max"], p.get("digits", False)
    check = V.digits_length_is_within if digits else V.text_length_is_within
    out = []
    for i, v in enumerate(_col(table, rule)):
        if v is None:
            continue
        if type(v) is str:
            if not digits and lo <= len(v) <= hi and v.isprintable():
                continue  # fast path: no line terminator possible
            if not check(v, lo, hi):
                out.append((i, None, None))
        elif type(v) is Invalid:
            out.append((i, None, None))
        elif not check(render(v), lo, hi):
            out.append((i, None, None))
    return out


@register("in_codelist")
def in_codelist(rule, table, ctx):
    """The value is one of the code list's codes (exact, case-sensitive)."""
    codes = frozenset(ctx.spec.codelists[rule.params["codelist"]].codes)
    return _fails(i for i, v in enumerate(_col(table, rule)) if v is not None and v not in codes)


@register("pattern")
def pattern(rule, table, ctx):
    """The value matches SDCS's pattern (Java semantics)."""
    rx = V.java_pattern(rule.params["regex"])
    search = rx.search
    return _fails(i for i, v in enumerate(_col(table, rule))
                  if v is not None and (type(v) is not str or search(V.java_body(v)) is None))


@register("not_pattern")
def not_pattern(rule, table, ctx):
    """The value does not match the pattern."""
    search = V.java_pattern(rule.params["regex"]).search
    return _fails(i for i, v in enumerate(_col(table, rule))
                  if type(v) is str and search(V.java_body(v)) is not None)


@register("valid_date")
def valid_date(rule, table, ctx):
    """A real date on or after 1890-01-01 at midnight (the field's format rule)."""
    out = []
    for i, v in enumerate(_col(table, rule)):
        if v is None:
            continue
        if type(v) is Invalid or not V.is_valid_date(v):
            out.append((i, None, None))
    return out


@register("valid_datetime")
def valid_datetime(rule, table, ctx):
    """A real date and time on or after 1890-01-01T00:00:00 (the field's format rule)."""
    return _fails(i for i, v in enumerate(_col(table, rule))
                  if v is not None and (type(v) is Invalid or not V.is_valid_datetime(v)))


@register("date_min")
def date_min(rule, table, ctx):
    """On or after a fixed date (NULL passes)."""
    bound = _dt.date.fromisoformat(rule.params["min"])
    return _fails(i for i, v in enumerate(_col(table, rule))
                  if v is not None and type(v) is not Invalid and V.as_date(v) < bound)


@register("placeholder")
def placeholder(rule, table, ctx):
    """SDCS defines the code but never fires it."""
    return []


@register("nhs_number")
def nhs_number(rule, table, ctx):
    """10 digits, not a palindrome, valid Modulus 11 (NULL passes)."""
    return _fails(i for i, v in enumerate(_col(table, rule))
                  if v is not None and (type(v) is not str or not V.nhs_number_is_valid(v)))


@register("snomed_ct")
def snomed_ct(rule, table, ctx):
    """A well-formed SNOMED CT concept id or post-coordinated expression (NULL passes)."""
    lo, hi = rule.params["min"], rule.params["max"]
    return _fails(i for i, v in enumerate(_col(table, rule))
                  if v is not None and (type(v) is not str or not V.snomed_ct_is_valid(v, lo, hi)))


# ---------------------------------------------------------------------- comparisons with context

def _shift(d: _dt.date, p) -> _dt.date:
    if p.get("offset_days"):
        d = d + _dt.timedelta(days=p["offset_days"])
    if p.get("offset_years"):
        d = V.add_months(d, 12 * p["offset_years"])
    return d


@register("date_compare")
def date_compare(rule, table, ctx):
    """On or before / on or after another date (same row, header or related row), compared at
    date granularity; NULL (or unparsable) on either side passes."""
    p = rule.params
    before = p["op"] == "on_or_before"
    others = ctx.related_values(table.id, p["other"] if "." in p["other"] else p["other"])
    out = []
    for i, v in enumerate(_col(table, rule)):
        if v is None or type(v) is Invalid:
            continue
        o = others[i]
        if o is None or not isinstance(o, _dt.date):
            continue
        d, bound = V.as_date(v), _shift(V.as_date(o), p)
        if (d > bound) if before else (d < bound):
            out.append((i, render(o), None))
    return out


@register("equals_field")
def equals_field(rule, table, ctx):
    """Equal to another field (NULL on either side passes)."""
    others = ctx.related_values(table.id, rule.params["other"])
    return [(i, render(others[i]), None) for i, v in enumerate(_col(table, rule))
            if v is not None and others[i] is not None and _plain(v) is not None and v != others[i]]


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
    return _fails(i for i in range(table.nrows) if _holds(c_if, a[i]) and not _holds(c_then, b[i]))


@register("matches_upload")
def matches_upload(rule, table, ctx):
    """Equal to what the upload says (both must be present, as SDCS's null-safe equality)."""
    item = rule.params["upload"]
    expected = getattr(ctx.upload, item)
    if expected is None:
        ctx.not_checked[rule.code] = f"no {item.replace('_', ' ')} given for the upload"
        return []
    out = []
    for i, v in enumerate(_col(table, rule)):
        v = _plain(v)
        if isinstance(expected, _dt.date):
            v = V.as_date(v) if isinstance(v, _dt.date) else None
        if v != expected:
            out.append((i, render(expected), None))
    return out


@register("not_after_submission")
def not_after_submission(rule, table, ctx):
    """Not after the upload time, compared at date granularity (NULL passes)."""
    at = ctx.upload.submitted_at
    if at is None:
        ctx.not_checked[rule.code] = "no submission time given"
        return []
    day = at.date()
    return [(i, render(at), None) for i, v in enumerate(_col(table, rule))
            if isinstance(v, _dt.date) and V.as_date(v) > day]


@register("plausible_birth_date")
def plausible_birth_date(rule, table, ctx):
    """On or before the period end, and at most max_age whole years old at the period start."""
    rps, rpe, max_age = ctx.rps, ctx.rpe, rule.params["max_age"]
    if rps is None or rpe is None:
        # SDCS's comparison passes when a header date is missing; an unparsable birth date still fails
        return _fails(i for i, v in enumerate(_col(table, rule)) if type(v) is Invalid)
    out = []
    for i, v in enumerate(_col(table, rule)):
        if v is None:
            continue
        if type(v) is Invalid:
            out.append((i, None, None))
            continue
        b = V.as_date(v)
        if b > rpe or math.floor(V.months_between(rps, b) / 12) > max_age:
            out.append((i, f"{rps.isoformat()} to {rpe.isoformat()}", None))
    return out


_ONSET = re.compile(r"^[0-9]{4}-([0][1-9]|[1][0,1,2])$", re.ASCII)


@register("onset_not_before_birth")
def onset_not_before_birth(rule, table, ctx):
    """A ``YYYY-MM`` onset is not before the birth month (other forms are not checked here)."""
    births = ctx.related_values(table.id, rule.params["birth_date"])
    out = []
    for i, v in enumerate(_col(table, rule)):
        b = births[i]
        if type(v) is not str or not isinstance(b, _dt.date) or not _ONSET.search(V.java_body(v)):
            continue
        year = int(v[:4])
        try:
            month: int | None = int(v[5:7])
        except ValueError:
            month = None  # SDCS's pattern lets '1,' through; its cast then gives NULL
        if year > b.year:
            continue
        if year == b.year and month is not None and month >= b.month:
            continue
        out.append((i, render(b), None))
    return out


@register("finding_code")
def finding_code(rule, table, ctx):
    """A coded finding suits its FindSchemeInUse (NULL code or scheme passes)."""
    schemes = table.values[rule.params["scheme"]]
    return _fails(i for i, v in enumerate(_col(table, rule))
                  if type(v) is str and type(schemes[i]) is str and not V.finding_code_suits_scheme(v, schemes[i]))


@register("assessment_tool")
def assessment_tool(rule, table, ctx):
    """CodedAssToolType is one of the accepted tools (NULL passes)."""
    tools = ctx.spec.assessment_tools
    return _fails(i for i, v in enumerate(_col(table, rule)) if v is not None and v not in tools)


def _score_rule(rule, table, ctx, test) -> list[Fail]:
    tools = ctx.spec.assessment_tools
    scores, codes = table.values["PersScore"], table.values["CodedAssToolType"]
    out = []
    for i in range(table.nrows):
        s, c = scores[i], codes[i]
        if type(s) is not str or c is None:
            continue
        tool = tools.get(c)
        if tool is not None and not test(tool, s):
            out.append((i, None, None))
    return out


_FORMATS: dict[str, re.Pattern] = {}


@register("score_format")
def score_format(rule, table, ctx):
    """PersScore is written the way its tool's scores are (SDCS uses Python ``re.match``)."""
    def test(tool, s):
        rx = _FORMATS.get(tool.format)
        if rx is None:
            rx = _FORMATS[tool.format] = re.compile(tool.format)
        return rx.match(s) is not None
    return _score_rule(rule, table, ctx, test)


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
    return _score_rule(rule, table, ctx, test)


_GP_DEFAULTS = frozenset({"V81997", "V81998", "V81999", "S30063", "S30152", "S99942", "S99957", "S99961",
                          "S99976", "S99995", "S99999"})
_SITE_DEFAULTS = frozenset({"89999", "89997", "R9998"})


@register("reference_data")
def reference_data(rule, table, ctx):
    """The code is current in national reference data at the period start (supplied by the
    caller; without it the rule is reported as not checked)."""
    ref = ctx.reference
    lookup = rule.params["lookup"]
    if ref is None:
        ctx.not_checked[rule.code] = "no reference data supplied"
        return []
    ask = {"organisation": ref.organisation_exists, "gp_practice": ref.gp_practice_exists,
           "site": ref.site_exists, "postcode": ref.postcode_exists}[lookup]
    out, unknown = [], 0
    for i, v in enumerate(_col(table, rule)):
        if type(v) is not str:
            continue
        code = v
        if lookup == "gp_practice":
            code = v.strip().upper()
            if code in _GP_DEFAULTS:
                continue
        elif lookup == "site" and v in _SITE_DEFAULTS:
            continue
        try:
            ok = ask(code, ctx.rps)
        except Exception:  # the caller's lookup failed: say so, never crash on it
            ok = None
        if ok is None:
            unknown += 1
        elif not ok:
            out.append((i, None, None))
    if unknown:
        ctx.not_checked[rule.code] = f"the reference data could not answer for {unknown} value(s)"
    return out


# ------------------------------------------------------------------------- rows of one table

def _key(values: list[list], i: int) -> tuple:
    return tuple(_plain(col[i]) for col in values)


@register("unique")
def unique(rule, table, ctx):
    """No two rows share the key. A NULL in the key makes a row unique unless ``nulls_equal``.
    Every row of a duplicate set fails, not just the extra ones."""
    fields = rule.params["fields"]
    nulls_equal = rule.params.get("nulls_equal", False)
    cols = [table.values[f] for f in fields]
    groups: dict[tuple, list[int]] = defaultdict(list)
    if len(cols) == 1:
        col = cols[0]
        for i, v in enumerate(col):
            v = _plain(v)
            if v is None and not nulls_equal:
                continue
            groups[v].append(i)
    else:
        for i in range(table.nrows):
            k = _key(cols, i)
            if not nulls_equal and None in k:
                continue
            groups[k].append(i)
    out = []
    for rows in groups.values():
        if len(rows) > 1:
            detail = f"{len(rows)} rows share it: rows " + ", ".join(str(r + 1) for r in rows[:10]) + (
                " …" if len(rows) > 10 else "")
            out.extend((r, None, detail) for r in rows)
    out.sort()
    return out


@register("one_open_per")
def one_open_per(rule, table, ctx):
    """At most one row per ``per`` value has the field blank (NULLs grouped together)."""
    per, field = table.values[rule.params["per"]], table.values[rule.params["field"]]
    groups: dict[Any, list[int]] = defaultdict(list)
    for i in range(table.nrows):
        if _plain(field[i]) is None:
            groups[_plain(per[i])].append(i)
    out = []
    for k, rows in groups.items():
        if len(rows) > 1:
            out.extend((r, None, f"{len(rows)} open rows for {render(k)}") for r in rows)
    out.sort()
    return out


@register("one_attended_per_slot")
def one_attended_per_slot(rule, table, ctx):
    """Within one (referral, date, time) at most one row is attended; when two or more are, every
    row of that slot gets the warning (NULLs in the key grouped together)."""
    cols = [table.values[f] for f in rule.params["fields"]]
    attended = frozenset(rule.params["attended"])
    codes = table.values["AttendOrDNACode"]
    groups: dict[tuple, list[int]] = defaultdict(list)
    counts: dict[tuple, int] = defaultdict(int)
    for i in range(table.nrows):
        k = _key(cols, i)
        groups[k].append(i)
        if codes[i] in attended:
            counts[k] += 1
    out = []
    for k, n in counts.items():
        if n > 1:
            out.extend((r, None, f"{n} attended contacts in the same slot") for r in groups[k])
    out.sort()
    return out
