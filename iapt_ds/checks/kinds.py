"""Phase 4 of the pipeline: the generic rule *kinds*, each one object (see :mod:`.base`) holding
its parameters, its evaluation, its NULL policy, its words and its testing facets.

A kind's :meth:`~.base.Kind.evaluate` looks at a whole column at a time and returns the rows that
fail, with what the row was compared with. It never raises and never builds text; the engine
turns failures into findings. Values are already cleansed and typed; what a NULL or an
:class:`~iapt_ds.parse.Invalid` value does is declared on each kind (``nulls``, ``unparsable``).

The kinds that depend on other rows' rejections live beside their table in :mod:`iapt_ds.rules`,
the file-level ones and the cascade in :mod:`.file_kinds`; :mod:`.catalogue` gathers them all.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from itertools import compress, count, repeat
from operator import and_, gt, is_, is_not, lt, not_
from typing import TYPE_CHECKING, Any

from ..parse import Invalid, plain_values, render
from . import sql as Q
from . import values as V
from .base import Fail, Kind, Nulls, Param, Phase, Testing, Unparsable, kind

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Table
    from ..spec import RuleSpec, Spec

__all__ = ["ROW_KINDS", "ref_words"]

_S, _I, _B, _L, _M = (str,), (int,), (bool,), (list,), (dict,)
_UPLOAD_ITEMS = ("period_start", "period_end", "provider", "sender", "submitted_at")
_REFERENCE_LOOKUPS = ("organisation", "gp_practice", "site", "postcode")


def _col(table: Table, rule: RuleSpec, field: str | None = None) -> list:
    return table.values[field or rule.fields[0]]


def _plain(v: Any) -> Any:
    return None if type(v) is Invalid else v


def _select(rule: RuleSpec, dialect: str | Q.Dialect, where: str, other: str = "NULL", join: tuple[str, ...] = (),
            udfs: Mapping[str, tuple[Callable[[str], bool], str, str]] | None = None,
            suspects: Mapping[str, str] | None = None) -> str | None:
    """The query of a kind whose failing rows are those of the rule's table where *where* holds
    (see :mod:`.sql` for what the query may name and return): a :class:`~.sql.RowCheck`."""
    d = Q.dialect(dialect)
    if d is None or rule.table is None:
        return None
    return Q.RowCheck(rule.table, where, other, join, udfs, d, suspects)


def _udf_select(rule: RuleSpec, dialect: str | Q.Dialect, name: str, test: Callable[[str], bool],
                unparsable_fails: bool = True) -> str | None:
    """A kind whose check is the Python function *test* of one text value (run by the engine once
    per distinct value); an unparsable value fails (unless not *unparsable_fails*: it passes)."""
    d = Q.dialect(dialect)
    if d is None or rule.table is None:
        return None
    f = rule.fields[0]
    fails = d.failing_distinct(rule.table, f, name)
    found = f"t.{d.col(f)} IN (SELECT v FROM {fails})"
    return _select(rule, d, f"t.{d.bad(f)} OR {found}" if unparsable_fails else found,
                   udfs={fails: (test, rule.table, f)})


def _udf_name(prefix: str, *parts: Any) -> str:
    """A Python test's name (an identifier) for the parameters *parts* it is made for."""
    import hashlib

    return f"{prefix}_{hashlib.sha1(repr(parts).encode()).hexdigest()[:12]}"


def _other_sql(rule: RuleSpec, ref: str, d: Q.Dialect) -> tuple[str, tuple[str, ...]]:
    """(the SQL of ``Field`` or ``IDSnnn.Field`` on the rule's row, the joins it needs): a field of
    another table (the header included) is that of its related row, NULL where there is none.
    The aliases are named after the other table, so that rules reaching the same table share
    one join when an engine tests them together."""
    table, _, field = ref.rpartition(".")
    if not table or table == rule.table or rule.table is None:
        return f"t.{d.col(field)}", ()
    lk, o = d.ident(f"l_{table}"), d.ident(f"o_{table}")
    return f"{o}.{d.col(field)}", (f" LEFT JOIN {d.link(rule.table, table)} AS {lk} ON {lk}._row = t._row",
                                   f" LEFT JOIN {d.ident(table)} AS {o} ON {o}._row = {lk}._orow")


_SAMPLE = 2048  # values looked at to tell a column of identifiers from one of repeated values


def _positions(flags: Any) -> list[int]:
    """The positions where *flags* (an iterable of truth values) is true, found in C."""
    return list(compress(count(), flags))


def _nulls(col: list) -> list[int]:
    """The rows whose value is NULL, found in C."""
    return _positions(map(is_, col, repeat(None))) if None in col else []


_FEW = 3  # failing texts found one at a time (list.index) rather than by a set look-up per row


def _rows_with(col: list, bad: set) -> list[Fail]:
    # whole column in C (a set look-up per row), Python only for the failing rows
    return [(i, None, None) for i in _rows_holding(col, bad)]


def _rows_holding(col: list, bad: set) -> list[int]:
    """The rows of *col* whose value is in *bad*, in order, found in C. A few failing texts
    (the common case on a faulty file) are each looked for with ``list.index``, which compares
    in C and is cheaper than a set look-up per row; any other set by one set look-up per row."""
    if len(bad) > _FEW or not all(type(v) is str for v in bad):
        return _positions(map(bad.__contains__, col))
    rows: list[int] = []
    index = col.index
    for v in bad:
        i = -1
        try:
            while True:
                i = index(v, i + 1)
                rows.append(i)
        except ValueError:
            pass
        if len(rows) > len(col) >> 4:  # a failing text on many rows: a look-up per row is cheaper
            return _positions(map(bad.__contains__, col))
    if len(bad) > 1:
        rows.sort()
    return rows


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
    return [(i, b[i]) for i in _positions(map(bad.__contains__, zip(a, b)))]


def _failing_both(a: list, b: list, fails_a: Callable[[Any], bool], fails_b: Callable[[Any], bool],
                  nulls_a: bool | None = None, nulls_b: bool | None = None) -> list[int]:
    """The rows whose value of *a* fails *fails_a* and whose value of *b* fails *fails_b*: what
    :func:`_failing_pairs` finds for the test ``fails_a(x) and fails_b(y)``, each distinct value
    of each column tested once and the rows found in C. *nulls_a* (*nulls_b*), when given, says
    that the test is about NULL alone: it is true exactly for NULL (or unparsable) values when
    True, for the others when False; that side is then settled in C with no value tested (a
    column of identifiers has as many distinct values as rows). The sides with distinct
    values to test go first: when none of their values fails, no row does."""
    bad_a = bad_b = None
    if nulls_a is None:
        bad_a = {v for v in set(a) if fails_a(v)}
        if not bad_a:
            return []
    if nulls_b is None:
        bad_b = {v for v in set(b) if fails_b(v)}
        if not bad_b:
            return []
    return _positions(map(and_, _meeting(a, bad_a, nulls_a), _meeting(b, bad_b, nulls_b)))


def _meeting(col: list, bad: set | None, nulls: bool | None) -> Any:
    """Truth values, row by row: the value is in *bad*, or (*bad* None) is NULL or unparsable
    when *nulls*, given when neither."""
    if bad is not None:
        return map(bad.__contains__, col)
    return map(is_ if nulls else is_not, plain_values(col), repeat(None))


# ------------------------------------------------------------------------------------- words

def ref_words(ref: str) -> str:
    """``IDS000.ReportingPeriodEndDate`` -> ``ReportingPeriodEndDate (IDS000)``."""
    table, _, field = ref.rpartition(".")
    return f"{field} ({table})" if table else field


def _codes_words(spec: Spec, name: str) -> str:
    codes = spec.codelists[name].codes
    shown = ", ".join(codes[:12]) + (f" … ({len(codes)} codes)" if len(codes) > 12 else "")
    return f"one of the {name} codes: {shown}"


def _length_words(p: Mapping[str, Any]) -> str:
    lo, hi = p["min"], p["max"]
    unit = ("digit" if p.get("digits") else "character") + ("" if hi == 1 else "s")
    if lo == hi:
        return f"exactly {hi} {unit} long"
    if lo == 0:
        return f"at most {hi} {unit} long"
    return f"{lo} to {hi} {unit} long"


def _offset_words(p: Mapping[str, Any]) -> str:
    words = []
    for unit in ("days", "years"):
        n = p.get(f"offset_{unit}")
        if n:
            words.append(f"{'plus' if n > 0 else 'minus'} {abs(n)} {unit[:-1] if abs(n) == 1 else unit}")
    return (" " + " ".join(words)) if words else ""


def _condition_words(c: Mapping[str, Any], verb: str) -> str:
    """A ``conditional`` rule's condition: *verb* is "is" for the if part, "must be" for the then."""
    field = c["field"]
    if "present" in c:
        return f"{field} {verb} {'given' if c['present'] else 'blank'}"
    codes = c.get("in", c.get("not_in"))
    if "not_in" in c:
        verb = verb.replace("is", "is not").replace("must be", "must not be")
    return f"{field} {verb} {codes[0] if len(codes) == 1 else 'one of ' + ', '.join(codes)}"


_UPLOAD_WORDS = {"period_start": "first day of the reporting period chosen for the upload",
                 "period_end": "last day of the reporting period chosen for the upload",
                 "provider": "provider organisation chosen for the upload",
                 "sender": "organisation sending the upload"}
_LOOKUP_WORDS = {"organisation": "an ODS organisation", "gp_practice": "a GP practice", "site": "an ODS site",
                 "postcode": "a postcode (in the national postcode file)"}
_CLASHING = "Look at the patient's or referral's rows together and correct the dates or codes that clash."


# --------------------------------------------------------------------------- one value at a time

@kind
class NotBlank(Kind):
    name = "not_blank"
    phase = Phase.ROW
    nulls, unparsable = Nulls.FAIL, Unparsable.PASS
    summary = "The field has a value (cleansing already made blanks NULL)."
    testing = Testing(breaker="blank")

    def describe(self, rule, spec, field):
        return f"{field} must not be blank."

    def evaluate(self, rule, table, ctx, *extra):
        col = _col(table, rule)
        return [(i, None, None) for i in _nulls(col)]

    def sql(self, rule, dialect):
        d, f = Q.dialect(dialect), rule.fields[0]
        return d and _select(rule, d, f"t.{d.col(f)} IS NULL AND NOT t.{d.bad(f)}")


@kind
class Length(Kind):
    name = "length"
    phase = Phase.ROW
    params = {"min": Param(_I), "max": Param(_I), "digits": Param(_B, False, "ASCII digits only")}
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = ("Trimmed text is min..max characters (``digits``: ASCII digits only), as SDCS's pattern "
               "``^.{min,max}$`` / ``^\\d{min,max}$``; for an integer field this is its format rule.")
    testing = Testing(breaker="wrong_length")

    def check_params(self, p, chk):
        if not 0 <= p["min"] <= p["max"]:
            raise chk.fail("length needs 0 <= min <= max")

    def describe(self, rule, spec, field):
        return f"{field} must be {_length_words(rule.params)}."

    def evaluate(self, rule, table, ctx, *extra):
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
            # a text column is all str: settle the common case with C-level passes over its values,
            # its distinct values, or all of them when they are mostly distinct (identifiers:
            # a set of them would cost more than it saves)
            if len(set(col[:_SAMPLE])) > _SAMPLE // 2:
                texts = col if None not in col else list(compress(col, map(is_not, col, repeat(None))))
            else:
                distinct = set(col)
                distinct.discard(None)
                texts = list(distinct)
            if not texts:
                return []
            try:
                each = list(map(len, texts))
                lengths = set(each)
                # every character of every value at once: printable (ASCII digits), in one scan
                joined = "".join(texts)
                plain = (joined.isascii() and joined.isdigit() and 0 not in lengths) if digits \
                    else joined.isprintable()
                del joined
                if plain and lo <= min(lengths) and max(lengths) <= hi:
                    return []  # the common case: every value passes
                suspects = _length_suspects(texts, each, lengths, lo, hi, digits, plain)
            except TypeError:
                pass  # a value that is not text (an Access column of another type): test one by one
            else:
                bad = {v for v in set(suspects) if fails(v)}
                return _rows_with(col, bad) if bad else []
        return _failing_values(col, fails)

    def sql(self, rule, dialect):
        # the value's text: a text field's value itself, an integer's (or time's) rendering,
        # which is what SQL's cast to text writes (where the engine holds the field)
        d = Q.dialect(dialect)
        if d is None:
            return None
        p, f = rule.params, rule.fields[0]
        lo, hi, v = p["min"], p["max"], f"CAST(t.{d.col(f)} AS {d.text})"
        if p.get("digits"):
            # the common case first: ASCII digits only (no line terminator), of a length in range
            fast = f"length({v}) BETWEEN {lo} AND {hi} AND {d.only(v, '0123456789')}"
            ok = f"(CASE WHEN {fast} THEN TRUE ELSE {d.full_match(v, '[0-9]{%d,%d}' % (lo, hi))} END)"
        else:
            # ASCII text holding no CR or LF holds no line terminator at all
            plain = (f"{d.byte_length(v)} = length({v}) AND NOT {d.contains(v, d.char(10))} "
                     f"AND NOT {d.contains(v, d.char(13))}")
            if d.java_regex:
                # the rest as SDCS's own pattern (a short expression: Spark plans a long one slowly)
                ok = (f"(CASE WHEN {plain} THEN length({v}) BETWEEN {lo} AND {hi} "
                      f"ELSE {d.full_match(v, '.{%d,%d}' % (lo, hi))} END)")
            else:
                # the rest: lo..hi characters that are no line terminator, then one final
                # terminator or none (the body Java's $ allows); a bound RE2 cannot repeat (over
                # 1000) makes the query fail, and the rule runs in Python
                ok = (f"(CASE WHEN {plain} THEN length({v}) BETWEEN {lo} AND {hi} "
                      f"ELSE {d.full_match(v, '[^%s]{%d,%d}' % (Q.TERMINATOR_CLASS, lo, hi))} END)")
        return _select(rule, d, f"t.{d.bad(f)} OR ({v} IS NOT NULL AND NOT {ok})")


def _length_suspects(texts: list, each: list[int], lengths: set[int], lo: int, hi: int, digits: bool,
                     plain: bool = False) -> list:
    """The texts of *texts* (distinct; *each* their lengths, *lengths* the set of those) that may
    fail a length rule, found with C-level passes: those of a length outside lo..hi, and those
    that are not printable (or, for *digits*, not ASCII digits). Every other text passes.
    *plain*: every text is known to be printable (non-empty ASCII digits). TypeError when a
    value is not text."""
    outside = {n for n in lengths if not lo <= n <= hi}
    suspects = list(compress(texts, map(outside.__contains__, each))) if outside else []
    if plain:
        return suspects
    # of any length: what fails is tested again by the rule, what passes is left out
    if digits:
        suspects += compress(texts, map(not_, map(str.isascii, texts)))
        suspects += compress(texts, map(not_, map(str.isdigit, texts)))
    else:
        suspects += compress(texts, map(not_, map(str.isprintable, texts)))
    return suspects


@functools.lru_cache(maxsize=None)
def _codes_text(spec: Spec, codelist: str) -> str:
    codes = spec.codelists[codelist].codes
    return ", ".join(codes) if len(codes) <= 60 else f"{len(codes)} codes (see the code list {codelist})"


@kind
class InCodelist(Kind):
    name = "in_codelist"
    phase = Phase.ROW
    params = {"codelist": Param(_S, doc="a code list of codelists.yaml")}
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = "The value is one of the code list's codes (exact, case-sensitive)."
    testing = Testing(breaker="not_a_code", wrong_length="a value of the wrong length is in no code list")

    def check_params(self, p, chk):
        if p["codelist"] not in chk.codelists:
            raise chk.fail(f"unknown codelist {p['codelist']!r}")

    def describe(self, rule, spec, field):
        return f"{field} must be {_codes_words(spec, rule.params['codelist'])}."

    def advice(self, rule, spec):
        return f"Map the local value of {rule.field or 'the value'} to one of the national codes ({rule.params['codelist']})."

    def expected(self, rule, spec, table, i):
        return _codes_text(spec, rule.params["codelist"])

    def evaluate(self, rule, table, ctx, *extra):
        codes = frozenset(ctx.spec.codelists[rule.params["codelist"]].codes)
        col = _col(table, rule)
        bad = set(col) - codes
        bad.discard(None)
        return _rows_with(col, bad) if bad else []

    def sql(self, rule, dialect):
        d = Q.dialect(dialect)
        if d is None:
            return None
        f = rule.fields[0]
        v = f"t.{d.col(f)}"
        return _select(rule, d, f"t.{d.bad(f)} OR ({v} IS NOT NULL AND NOT {d.in_codes(rule.params['codelist'], v)})")


def _check_regex(p, chk) -> None:
    try:
        re.compile(p["regex"])
    except re.error as exc:
        raise chk.fail(f"regex does not compile: {exc}") from None


@kind
class Pattern(Kind):
    name = "pattern"
    phase = Phase.ROW
    params = {"regex": Param(_S, doc="SDCS's pattern (Java semantics)")}
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = "The value matches SDCS's pattern (Java semantics)."
    testing = Testing(breaker="not_matching")

    def check_params(self, p, chk):
        _check_regex(p, chk)

    def describe(self, rule, spec, field):
        return f"{field} must match the pattern '{rule.params['regex']}'."

    def evaluate(self, rule, table, ctx, *extra):
        search = V.java_pattern(rule.params["regex"]).search
        return _failing_values(_col(table, rule), lambda v: type(v) is not str or search(V.java_body(v)) is None)

    def sql(self, rule, dialect):
        # SDCS's pattern as it is, where the dialect's regular expressions are Java's (Spark);
        # elsewhere the Python test, once per distinct text
        d, f = Q.dialect(dialect), rule.fields[0]
        if d is None:
            return None
        found = d.java_find(f"t.{d.col(f)}", rule.params["regex"])
        if found is None:
            search = V.java_pattern(rule.params["regex"]).search
            return _udf_select(rule, d, _udf_name("iapt_pattern", rule.params["regex"]),
                               lambda v: search(V.java_body(v)) is not None)
        return _select(rule, d, f"t.{d.bad(f)} OR (t.{d.col(f)} IS NOT NULL AND NOT {found})")


@kind
class NotPattern(Kind):
    name = "not_pattern"
    phase = Phase.ROW
    params = {"regex": Param(_S, doc="SDCS's pattern (Java semantics)")}
    nulls, unparsable = Nulls.PASS, Unparsable.PASS
    summary = "The value does not match the pattern."
    testing = Testing(breaker="matching")

    def check_params(self, p, chk):
        _check_regex(p, chk)

    def describe(self, rule, spec, field):
        return f"{field} must not match the pattern '{rule.params['regex']}'."

    def evaluate(self, rule, table, ctx, *extra):
        search = V.java_pattern(rule.params["regex"]).search
        return _failing_values(_col(table, rule), lambda v: type(v) is str and search(V.java_body(v)) is not None)

    def sql(self, rule, dialect):
        d, f = Q.dialect(dialect), rule.fields[0]
        if d is None:
            return None
        found = d.java_find(f"t.{d.col(f)}", rule.params["regex"])
        if found is None:  # the Python test, once per distinct text (an unparsable value passes)
            search = V.java_pattern(rule.params["regex"]).search
            return _udf_select(rule, d, _udf_name("iapt_not_pattern", rule.params["regex"]),
                               lambda v: search(V.java_body(v)) is None, unparsable_fails=False)
        return _select(rule, d, f"t.{d.col(f)} IS NOT NULL AND NOT t.{d.bad(f)} AND {found}")


@kind
class ValidDate(Kind):
    name = "valid_date"
    phase = Phase.ROW
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = "A real date on or after 1890-01-01 at midnight (the field's format rule)."
    testing = Testing(breaker="time_of_day")

    def describe(self, rule, spec, field):
        return f"{field} must be a real calendar date (YYYY-MM-DD)."

    def legal_dates(self, rule, period):
        return V.EARLIEST, None

    def evaluate(self, rule, table, ctx, *extra):
        return _failing_values(_col(table, rule), lambda v: type(v) is Invalid or not V.is_valid_date(v))

    def sql(self, rule, dialect):
        d, f = Q.dialect(dialect), rule.fields[0]
        return d and _select(rule, d, f"t.{d.bad(f)} OR t.{d.col(f)} < DATE {d.lit(V.EARLIEST.isoformat())}")


@kind
class ValidDatetime(Kind):
    name = "valid_datetime"
    phase = Phase.ROW
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = "A real date and time on or after 1890-01-01T00:00:00 (the field's format rule)."
    testing = Testing(breaker="bad_datetime")

    def describe(self, rule, spec, field):
        return f"{field} must be a real date and time (YYYY-MM-DDThh:mm:ss)."

    def evaluate(self, rule, table, ctx, *extra):
        return _failing_values(_col(table, rule), lambda v: type(v) is Invalid or not V.is_valid_datetime(v))

    def sql(self, rule, dialect):
        d, f = Q.dialect(dialect), rule.fields[0]
        return d and _select(rule, d, f"t.{d.bad(f)} OR t.{d.col(f)} < {d.timestamp(V.EARLIEST.isoformat() + ' 00:00:00')}")


@kind
class DateMin(Kind):
    name = "date_min"
    phase = Phase.ROW
    params = {"min": Param(_S, doc="a date YYYY-MM-DD")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = "On or after a fixed date."
    testing = Testing(breaker="too_early")

    def check_params(self, p, chk):
        try:
            _dt.date.fromisoformat(p["min"])
        except ValueError:
            raise chk.fail(f"min must be a date YYYY-MM-DD, got {p['min']!r}") from None

    def describe(self, rule, spec, field):
        return f"{field} must be on or after {rule.params['min']}."

    def legal_dates(self, rule, period):
        return _dt.date.fromisoformat(rule.params["min"]), None

    def evaluate(self, rule, table, ctx, *extra):
        bound = _dt.date.fromisoformat(rule.params["min"])
        return _failing_values(_col(table, rule), lambda v: type(v) is not Invalid and V.as_date(v) < bound)

    def sql(self, rule, dialect):
        d, f = Q.dialect(dialect), rule.fields[0]
        return d and _select(rule, d, f"t.{d.col(f)} < DATE {d.lit(rule.params['min'])}")


@kind
class Placeholder(Kind):
    """SDCS's time-format rules: defined, never fired on an IDB (whose Date/Time column holds only
    times). iapt-ds fires one on a CSV or in-memory time that is no time of day, rejecting the row
    (issue 15, item 19; the rules' notes say why)."""

    name = "placeholder"
    phase = Phase.ROW
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = "SDCS's time check: it never fires on an IDB; iapt-ds fails a time that is no time of day."
    testing = Testing(unbreakable="a placeholder of SDCS (its time check never fires on an IDB); iapt-ds applies "
                                  "it only to a time no IDB could hold, which the in-memory strategies do not make")

    def describe(self, rule, spec, field):
        return (f"That {field} is a time of day, HH:MM:SS (a date alone is midnight). SDCS defines this rule "
                "but never applies it, as an IDB holds only times; iapt-ds applies it to CSV and in-memory input.")

    def evaluate(self, rule, table, ctx, *extra):
        return _failing_values(_col(table, rule), lambda v: type(v) is Invalid)

    def sql(self, rule, dialect):
        d = Q.dialect(dialect)
        return d and _select(rule, d, f"t.{d.bad(rule.fields[0])}")


@kind
class NhsNumber(Kind):
    name = "nhs_number"
    phase = Phase.ROW
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = "10 digits, not a palindrome, valid Modulus 11."
    testing = Testing(breaker="invalid_nhs_number")

    def describe(self, rule, spec, field):
        return (f"{field} must be a valid NHS number: 10 digits, no spaces, a correct "
                "Modulus 11 check digit, not reading the same backwards.")

    def evaluate(self, rule, table, ctx, *extra):
        col = _col(table, rule)
        distinct = set(col)
        distinct.discard(None)
        bad = V.nhs_numbers_failing(distinct)  # each distinct value tested, ten ASCII digits together in C
        return _rows_with(col, bad) if bad else []

    def sql(self, rule, dialect):
        # ten ASCII digits (nearly every value) are settled in SQL: a palindrome fails, else the
        # Modulus 11 sum (weights 10 down to 1) must be a multiple of 11, as python-stdnum's;
        # any other text is tested by the Python function, once per distinct value
        d = Q.dialect(dialect)
        if d is None or rule.table is None:
            return None
        f = rule.fields[0]
        v = f"t.{d.col(f)}"
        fails = d.failing_distinct(rule.table, f, "iapt_nhs_number_is_valid")
        digit = [f"(ascii(substr({v}, {k}, 1)) - 48)" for k in range(1, 11)]
        total = " + ".join(f"{11 - k} * {x}" for k, x in enumerate(digit, 1))
        return _select(rule, d, f"t.{d.bad(f)} OR (CASE WHEN {v} IS NULL THEN FALSE "
                                f"WHEN length({v}) = 10 AND {d.only(v, '0123456789')} "
                                f"THEN substr({v}, 1, 5) = reverse(substr({v}, 6, 5)) OR ({total}) % 11 <> 0 "
                                f"ELSE {v} IN (SELECT v FROM {fails}) END)",
                       udfs={fails: (_nhs_not_ascii_or_valid, rule.table, f)},
                       # (ten ASCII digits pass the Python test: only the other texts need it)
                       suspects={fails: f"NOT (length({{v}}) = 10 AND {d.only('{v}', '0123456789')})"})


def _nhs_not_ascii_or_valid(v: str) -> bool:
    """The Python part of NHS number's SQL: ten ASCII digits pass here (SQL settles them), any
    other text is SDCS's test (:func:`~iapt_ds.checks.values.nhs_number_is_valid`)."""
    return (len(v) == 10 and v.isascii() and v.isdigit()) or V.nhs_number_is_valid(v)


@kind
class SnomedCt(Kind):
    name = "snomed_ct"
    phase = Phase.ROW
    params = {"min": Param(_I), "max": Param(_I)}
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = "A well-formed SNOMED CT concept id or post-coordinated expression, min..max long."
    testing = Testing(breaker="invalid_snomed")

    def describe(self, rule, spec, field):
        return f"{field} must be a valid SNOMED CT identifier (check digit and partition)."

    def evaluate(self, rule, table, ctx, *extra):
        lo, hi = rule.params["min"], rule.params["max"]
        return _failing_values(_col(table, rule), lambda v: type(v) is not str or not V.snomed_ct_is_valid(v, lo, hi))

    def sql(self, rule, dialect):
        # the Verhoeff check digit is python-stdnum's: a Python function, once per distinct value
        lo, hi = rule.params["min"], rule.params["max"]

        def valid(s: str) -> bool:
            return V.snomed_ct_is_valid(s, lo, hi)
        return _udf_select(rule, dialect, f"iapt_snomed_ct_is_valid_{lo}_{hi}", valid)


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


def _failing_date_pairs(col: list, others: list, before: bool, p) -> list[tuple[int, Any]] | None:
    """What :func:`_failing_pairs` gives for a date comparison (*before*: on_or_before, else
    on_or_after, with the offsets of *p*), found in C: each distinct value becomes its date, each
    distinct other value its shifted bound, and the rows are compared as two columns of dates
    (a column of plain dates, with no offset for the bound, as it is). A side that is not a
    date (NULL, unparsable) becomes a date that passes whatever the other side is. None when a
    bound is past the dates Python has and the rule is on_or_after (every date fails it, but a
    value that is not a date still passes): the caller goes pair by pair."""
    # on_or_before fails where value > bound: a non-date value is the first date, a non-date
    # other (or a bound past the last date: "never") the last; on_or_after the other way round
    low, high = _dt.date.min, _dt.date.max
    no_value, no_bound = (low, high) if before else (high, low)
    dates = _as_dates(set(col), no_value)
    if p.get("offset_days") or p.get("offset_years"):
        shifted: dict = {}
        for o in set(others):
            if _is_date(o):
                b = _shift(V.as_date(o), p)
                if b is None:
                    if not before:
                        return None
                    b = high
            else:
                b = no_bound
            shifted[o] = b
        bounds: dict | None = shifted
    else:
        bounds = _as_dates(set(others), no_bound)
    values = col if dates is None else map(dates.__getitem__, col)
    limits = others if bounds is None else map(bounds.__getitem__, others)
    rows = _positions(map(gt if before else lt, values, limits))
    return [(i, others[i]) for i in rows]


def _as_dates(distinct: set, missing: _dt.date) -> dict | None:
    """Each of the *distinct* values -> the date it is compared as: a date as it is, a
    date-time's date, *missing* for anything else (NULL, unparsable). None when every value is
    a plain date (the column is compared as it is). Only the other values are looked at in
    Python; the plain dates are found in C."""
    values = list(distinct)
    odd = list(compress(values, map(is_not, map(type, values), repeat(_dt.date))))
    if not odd:
        return None
    dates = dict(zip(values, values))
    for v in odd:
        dates[v] = V.as_date(v) if _is_date(v) else missing
    return dates


@kind
class DateCompare(Kind):
    name = "date_compare"
    phase = Phase.ROW
    params = {"op": Param(_S, doc="on_or_before | on_or_after"),
              "other": Param(_S, doc="Field or IDSnnn.Field (same row, the header or a related row)"),
              "offset_days": Param(_I, False), "offset_years": Param(_I, False)}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = ("On or before / on or after another date (same row, header or related row), "
               "moved by an offset, compared at date granularity; NULL on either side passes.")
    testing = Testing(breaker="out_of_order")

    def check_params(self, p, chk):
        if p["op"] not in ("on_or_before", "on_or_after"):
            raise chk.fail("op must be on_or_before or on_or_after")
        chk.ref(p["other"], "other", "related")

    def describe(self, rule, spec, field):
        return (f"{field} must be {rule.params['op'].replace('_', ' ')} "
                f"{ref_words(rule.params['other'])}{_offset_words(rule.params)}.")

    def evaluate(self, rule, table, ctx, *extra):
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
        found = _failing_date_pairs(col, others, before, p)
        if found is None:  # a bound past the dates Python has, on_or_after: pair by pair
            found = _failing_pairs(col, others, fails)
        return [(i, render(o), None) for i, o in found]

    def sql(self, rule, dialect):
        d = Q.dialect(dialect)
        if d is None:
            return None
        p = rule.params
        o, join = _other_sql(rule, p["other"], d)
        bound = o
        if p.get("offset_days"):
            bound = d.add_days(bound, p["offset_days"])
        if p.get("offset_years"):
            bound = d.add_years(bound, p["offset_years"])
        v = f"t.{d.col(rule.fields[0])}"
        before = p["op"] == "on_or_before"
        # past the dates Python has, the bound is "never": on_or_after then fails, as in evaluate
        outside = f"({bound} > DATE '9999-12-31' OR {bound} < DATE '0001-01-01')"
        test = f"{v} > {bound}" if before else f"{v} < {bound}"
        return _select(rule, d, f"{v} IS NOT NULL AND {o} IS NOT NULL AND "
                                f"(CASE WHEN {outside} THEN {'FALSE' if before else 'TRUE'} ELSE {test} END)",
                       other=o, join=join)


@kind
class EqualsField(Kind):
    name = "equals_field"
    phase = Phase.ROW
    params = {"other": Param(_S, doc="Field or IDSnnn.Field")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = "Equal to another field (NULL on either side passes)."
    testing = Testing(breaker="different")

    def check_params(self, p, chk):
        chk.ref(p["other"], "other", "related")

    def describe(self, rule, spec, field):
        return f"{field} must equal {ref_words(rule.params['other'])}."

    def evaluate(self, rule, table, ctx, *extra):
        others = ctx.related_values(table.id, rule.params["other"])
        return [(i, render(o), None) for i, o in _failing_pairs(
            _col(table, rule), others, lambda v, o: _plain(v) is not None and o is not None and v != o)]

    def sql(self, rule, dialect):
        d = Q.dialect(dialect)
        if d is None:
            return None
        o, join = _other_sql(rule, rule.params["other"], d)
        v = f"t.{d.col(rule.fields[0])}"
        return _select(rule, d, f"{v} IS NOT NULL AND {o} IS NOT NULL AND {v} <> {o}", other=o, join=join)


def _holds(cond: dict, v: Any) -> bool:
    v = _plain(v)
    if "present" in cond and (v is not None) != cond["present"]:
        return False
    if "in" in cond and (v is None or v not in cond["in"]):
        return False
    if "not_in" in cond and v is not None and v in cond["not_in"]:
        return False
    return True


_COND_KEYS = ("field", "present", "in", "not_in")


def _about_null(cond: dict, holds: bool) -> bool | None:
    """For a condition about presence alone (``present:`` and nothing else): whether
    ``_holds(cond, v) is holds`` is true for the NULL (and unparsable) values, and for those
    alone; None for any other condition (it depends on the value)."""
    if set(cond) != {"field", "present"}:
        return None
    return (not cond["present"]) == holds


def _holds_sql(cond: dict, d: Q.Dialect) -> str | None:
    """:func:`_holds` in SQL (never NULL); None when a code is not text (SQL would cast it)."""
    v = f"t.{d.col(cond['field'])}"
    parts = []
    if "present" in cond:
        parts.append(f"{v} IS {'NOT ' if cond['present'] else ''}NULL")
    for key in ("in", "not_in"):
        if key in cond:
            codes = cond[key]
            if not all(isinstance(c, str) for c in codes):
                return None
            parts.append(f"({v} IS NOT NULL AND {v} IN {d.text_list(codes)})" if key == "in"
                         else f"({v} IS NULL OR {v} NOT IN {d.text_list(codes)})")
    return "(" + " AND ".join(parts or ["TRUE"]) + ")"


@kind
class Conditional(Kind):
    name = "conditional"
    phase = Phase.ROW
    params = {"if": Param(_M, doc="a condition: {field, present | in | not_in}"),
              "then": Param(_M, doc="a condition: {field, present | in | not_in}")}
    nulls, unparsable = Nulls.PER_PARAMS, Unparsable.AS_NULL
    summary = ("When the ``if`` condition holds, the ``then`` condition must hold (a condition is "
               "``present: true|false``, ``in: [codes]`` or ``not_in: [codes]`` on a field of the row).")
    testing = Testing(breaker="condition_unmet")

    def check_params(self, p, chk):
        for part in ("if", "then"):
            c = chk.keys(f"params.{part}", p[part], _COND_KEYS, ("field",))
            chk.ref(c["field"], f"{part}.field")

    def describe(self, rule, spec, field):
        return (f"When {_condition_words(rule.params['if'], 'is')}, "
                f"{_condition_words(rule.params['then'], 'must be')}.")

    def evaluate(self, rule, table, ctx, *extra):
        c_if, c_then = rule.params["if"], rule.params["then"]
        a, b = table.values[c_if["field"]], table.values[c_then["field"]]
        return [(i, None, None) for i in _failing_both(a, b, lambda x: _holds(c_if, x), lambda y: not _holds(c_then, y),
                                                       _about_null(c_if, True), _about_null(c_then, False))]

    def sql(self, rule, dialect):
        d = Q.dialect(dialect)
        if d is None:
            return None
        c_if, c_then = _holds_sql(rule.params["if"], d), _holds_sql(rule.params["then"], d)
        if c_if is None or c_then is None:
            return None
        return _select(rule, d, f"{c_if} AND NOT {c_then}")


@kind
class MatchesUpload(Kind):
    name = "matches_upload"
    phase = Phase.ROW
    params = {"upload": Param(_S, doc=" | ".join(_UPLOAD_ITEMS))}
    nulls, unparsable = Nulls.FAIL, Unparsable.AS_NULL
    summary = ("Equal to what the upload says (both must be present, as SDCS's null-safe equality); "
               "not checked when the upload does not say.")
    testing = Testing(breaker="upload_differs", wrong_length="the upload's value is a valid one")

    def check_params(self, p, chk):
        if p["upload"] not in _UPLOAD_ITEMS:
            raise chk.fail(f"upload must be one of {_UPLOAD_ITEMS}")

    def describe(self, rule, spec, field):
        return f"{field} must match the {_UPLOAD_WORDS[rule.params['upload']]}."

    def legal_dates(self, rule, period):
        item = rule.params["upload"]
        if item not in ("period_start", "period_end"):
            return None
        fixed = period[0] if item == "period_start" else period[1]
        return fixed, fixed

    def advice(self, rule, spec):
        return (f"Either correct {rule.field or 'the value'} in the header, or choose the matching period or "
                "organisation when you upload.")

    def evaluate(self, rule, table, ctx, *extra):
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
            out = sorted(out + [(i, None, None) for i in _nulls(col)])
        return [(i, render(expected), None) for i, _, _ in out]


@kind
class NotAfterSubmission(Kind):
    name = "not_after_submission"
    phase = Phase.ROW
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = "Not after the upload time, compared at date granularity."
    testing = Testing(breaker="submitted_before")

    def describe(self, rule, spec, field):
        return f"{field} must not be after the time the file is submitted."

    def evaluate(self, rule, table, ctx, *extra):
        at = ctx.upload.submitted_at
        if at is None:
            ctx.not_checked[rule.code] = "no submission time given"
            return []
        day = at.date()
        return [(i, render(at), None) for i, _, _ in
                _failing_values(_col(table, rule), lambda v: _is_date(v) and V.as_date(v) > day)]


@kind
class PlausibleBirthDate(Kind):
    name = "plausible_birth_date"
    phase = Phase.ROW
    params = {"max_age": Param(_I, doc="whole years at the period start")}
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = ("On or before the period end, and at most max_age whole years old at the period start "
               "(an unparsable birth date fails too: this is the field's format rule).")
    testing = Testing(breaker="too_old")

    def describe(self, rule, spec, field):
        return (f"{field} must not be after the reporting period, nor make the "
                f"patient older than {rule.params['max_age']}.")

    def legal_dates(self, rule, period):
        return V.add_months(period[0], -12 * rule.params["max_age"]), period[1]

    def evaluate(self, rule, table, ctx, *extra):
        """Each finding's detail says which limit failed: not a date in the expected form, not a
        calendar date, after the period end, or too old at its start."""
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
                why[v] = (f"the patient would be {age} at the start of the reporting period "
                          f"({rps.isoformat()}), over {max_age}")
                return True
            return False
        other = f"{rps.isoformat()} to {rpe.isoformat()}" if rps and rpe else None
        col = _col(table, rule)
        return [(i, other, why[col[i]]) for i, _, _ in _failing_values(col, fails)]


_ONSET = re.compile(r"^[0-9]{4}-([0][1-9]|[1][0,1,2])$", re.ASCII)
#: the month parts _ONSET lets through
_ONSET_MONTHS = tuple(f"0{m}" for m in range(1, 10)) + ("10", "1,", "11", "12")


def _onset_endings() -> tuple[str, ...]:
    """What _ONSET lets follow a ``YYYY-MM`` text: each ending of up to three characters, made of
    line terminators and one other character ("x"), that the pattern accepts (longer ones it never does)."""
    alphabet = ["x", *V._LINE_TERMINATORS]
    endings = [""] + alphabet + [a + b for a in alphabet for b in alphabet]
    endings += [a + b + c for a in alphabet for b in alphabet for c in alphabet]
    return tuple(e for e in endings if _ONSET.search(V.java_body("2020-01" + e)))


_ONSET_ENDINGS = _onset_endings()


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


_NO_ONSET = 1 << 20  # above every birth month's number: an onset that is not compared


def _failing_onsets(col: list, births: list) -> list[tuple[int, Any]]:
    """What :func:`_failing_pairs` gives for :func:`_onset_before_birth`, found in C: each
    distinct onset becomes a month number, ``year * 16 + month`` (month 0 for the ``1,`` SDCS's
    pattern lets through, whose cast is NULL: any birth in that year or later is after it), or
    a number above every birth's when it is not of SDCS's shape; each distinct birth date its
    month's number, or -1 when it is no date; a row fails where the onset's is below the
    birth's."""
    onsets = {}
    for v in set(col):
        if type(v) is not str or not _ONSET.search(V.java_body(v)):
            onsets[v] = _NO_ONSET
            continue
        try:
            month = int(v[5:7])
        except ValueError:
            month = 0
        onsets[v] = int(v[:4]) * 16 + month
    months = {b: b.year * 16 + b.month if _is_date(b) else -1 for b in set(births)}
    rows = _positions(map(lt, map(onsets.__getitem__, col), map(months.__getitem__, births)))
    return [(i, births[i]) for i in rows]


@kind
class OnsetNotBeforeBirth(Kind):
    name = "onset_not_before_birth"
    phase = Phase.ROW
    params = {"birth_date": Param(_S, doc="IDSnnn.Field of the birth date")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = "A ``YYYY-MM`` onset is not before the birth month (other forms are not checked here)."
    testing = Testing(breaker="onset_too_early")

    def check_params(self, p, chk):
        chk.ref(p["birth_date"], "birth_date", "related")

    def describe(self, rule, spec, field):
        return f"{field} must not be before the month of {ref_words(rule.params['birth_date'])}."

    def evaluate(self, rule, table, ctx, *extra):
        births = ctx.related_values(table.id, rule.params["birth_date"])
        return [(i, render(b), None) for i, b in _failing_onsets(_col(table, rule), births)]

    def sql(self, rule, dialect):
        # _onset_before_birth without a regular expression: the onset's first 7 characters are
        # of SDCS's YYYY-MM shape and what follows is one of the endings its pattern allows
        d = Q.dialect(dialect)
        if d is None:
            return None
        b, join = _other_sql(rule, rule.params["birth_date"], d)
        v = f"t.{d.col(rule.fields[0])}"
        ends = ", ".join("''" if not e else " || ".join(d.char(ord(c)) for c in e) for e in _ONSET_ENDINGS)
        match = (f"({d.only(f'substr({v}, 1, 4)', '0123456789')} AND substr({v}, 5, 1) = '-' "
                 f"AND substr({v}, 6, 2) IN {d.text_list(_ONSET_MONTHS)} AND substr({v}, 8) IN ({ends}))")
        # (TRY_CAST: a query engine may test the conditions in any order; '1,' is no month, NULL)
        year, month = f"TRY_CAST(substr({v}, 1, 4) AS INTEGER)", f"TRY_CAST(substr({v}, 6, 2) AS INTEGER)"
        return _select(rule, d, f"{v} IS NOT NULL AND {b} IS NOT NULL AND {match} AND ({year} < year({b}) OR "
                                f"({year} = year({b}) AND ({month} IS NULL OR {month} < month({b}))))",
                       other=b, join=join)


@kind
class FindingCode(Kind):
    name = "finding_code"
    phase = Phase.ROW
    params = {"scheme": Param(_S, doc="the field holding FindSchemeInUse"),
              "schemes": Param(_M, doc="scheme code -> the codes' shape: `min`/`max` length or `lengths`, "
                                       "`numeric: true`, `snomed_concept: true` (a SNOMED CT concept id proper); "
                                       "a scheme not listed is not checked")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = "A coded finding has the shape its scheme's codes have (NULL code or scheme passes)."
    testing = Testing(breaker="unsuited_finding", wrong_length="a code of the wrong length suits no finding scheme")

    def check_params(self, p, chk):
        chk.ref(p["scheme"], "scheme")
        for scheme, shape in p["schemes"].items():
            chk.keys(f"params.schemes.{scheme}", shape, V.SHAPE_KEYS)
            if not isinstance(scheme, str) or not shape:
                raise chk.fail(f"schemes maps a quoted scheme code to its codes' shape, got {scheme!r}: {shape!r}")

    def describe(self, rule, spec, field):
        return f"{field} must be a code of the scheme given in {rule.params['scheme']}."

    def evaluate(self, rule, table, ctx, *extra):
        schemes = table.values[rule.params["scheme"]]
        shapes = rule.params["schemes"]
        return [(i, None, None) for i, _ in _failing_pairs(
            _col(table, rule), schemes,
            lambda v, sc: type(v) is str and type(sc) is str and not V.code_has_shape(v, shapes.get(sc)))]

    def sql(self, rule, dialect):
        # per scheme listed, its shape's Python test once per distinct code (a scheme not listed,
        # or listed with no shape, is not checked)
        d = Q.dialect(dialect)
        if d is None or rule.table is None:
            return None
        f, scheme = rule.fields[0], f"t.{d.col(rule.params['scheme'])}"
        udfs = {}
        parts = []
        for sc, shape in sorted(rule.params["schemes"].items()):
            if not isinstance(sc, str) or not shape:
                continue
            name = d.failing_distinct(rule.table, f, _udf_name("iapt_code_shape", sorted(shape.items())))
            udfs[name] = (functools.partial(V.code_has_shape, shape=shape), rule.table, f)
            parts.append(f"({scheme} = {d.lit(sc)} AND t.{d.col(f)} IN (SELECT v FROM {name}))")
        return _select(rule, d, " OR ".join(parts) or "FALSE", udfs=udfs)


@kind
class AssessmentTool(Kind):
    name = "assessment_tool"
    phase = Phase.ROW
    nulls, unparsable = Nulls.PASS, Unparsable.FAIL
    summary = "The code is one of the accepted assessment tools (assessment_tools.yaml)."
    testing = Testing(breaker="unknown_tool", wrong_length="a code of the wrong length is no assessment tool")

    def describe(self, rule, spec, field):
        return (f"{field} must be one of the {len(spec.assessment_tools)} assessment "
                "tools accepted in v2.0.")

    def evaluate(self, rule, table, ctx, *extra):
        tools = ctx.spec.assessment_tools
        return _failing_values(_col(table, rule), lambda v: v not in tools)

    def sql(self, rule, dialect):
        # the spec's tools from a dialect bound to the run
        d = Q.dialect(dialect)
        if d is None or d.run is None:
            return None
        f = rule.fields[0]
        v = f"t.{d.col(f)}"
        tools = sorted(d.run.spec.assessment_tools)
        return _select(rule, d, f"t.{d.bad(f)} OR ({v} IS NOT NULL AND {v} NOT IN {d.text_list(tools) if tools else '(NULL)'})")


_SCORE_PARAMS = {"score": Param(_S, doc="the field holding the score"),
                 "tool": Param(_S, doc="the field holding the assessment tool (CodedAssToolType)")}


def _check_score_params(p, chk) -> None:
    chk.ref(p["score"], "score")
    chk.ref(p["tool"], "tool")


def _score_rule(rule, table, ctx, test) -> list[Fail]:
    tools = ctx.spec.assessment_tools

    def fails(code, score) -> bool:
        if type(score) is not str or code is None:
            return False
        tool = tools.get(code)
        return tool is not None and not test(tool, score)
    return [(i, None, None) for i, _ in _failing_pairs(table.values[rule.params["tool"]],
                                                       table.values[rule.params["score"]], fails)]


def _score_sql(rule, dialect, checks) -> str | None:
    """:func:`_score_rule` in SQL, from a dialect bound to the run (the spec's tools): a row
    with a score and a known tool fails its tool's check. *checks* gives a tool's check as
    ("values", the codes allowed) or ("udf", a name, the Python test of one score), so tools
    sharing a check are tested together (a Python test once per distinct score)."""
    d = Q.dialect(dialect)
    if d is None or d.run is None or rule.table is None:
        return None
    tool, score = (f"t.{d.col(rule.params[k])}" for k in ("tool", "score"))
    groups: dict[Any, list[str]] = defaultdict(list)
    tests: dict[str, Callable[[str], bool]] = {}
    for code, t in sorted(d.run.spec.assessment_tools.items()):
        check = checks(t)
        if check[0] == "udf":
            tests[check[1]] = check[2]
            check = check[:2]
        groups[check].append(code)
    udfs = {}
    parts = []
    for check, codes in groups.items():
        if check[0] == "values":
            fails = f"{score} NOT IN {d.text_list(check[1])}" if check[1] else "TRUE"
        else:
            name = d.failing_distinct(rule.table, rule.params["score"], check[1])
            udfs[name] = (tests[check[1]], rule.table, rule.params["score"])
            fails = f"{score} IN (SELECT v FROM {name})"
        parts.append(f"({tool} IN {d.text_list(codes)} AND {fails})")
    return _select(rule, d, f"{score} IS NOT NULL AND {tool} IS NOT NULL AND ({' OR '.join(parts) or 'FALSE'})", udfs=udfs)


def _score_format_test(fmt: str) -> Callable[[str], bool]:
    rx = _FORMATS.get(fmt)
    if rx is None:
        rx = _FORMATS[fmt] = re.compile(fmt)
    return lambda s: rx.match(s) is not None


def _in_range_test(lo: float, hi: float) -> Callable[[str], bool]:
    def test(s: str) -> bool:
        try:
            x = float(s)
        except (TypeError, ValueError):
            return False
        return lo <= x <= hi
    return test


_FORMATS: dict[str, re.Pattern] = {}


@kind
class ScoreFormat(Kind):
    name = "score_format"
    phase = Phase.ROW
    params = _SCORE_PARAMS
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = "The score is written the way its tool's scores are (SDCS uses Python ``re.match``)."
    testing = Testing(breaker="badly_written_score", wrong_length="no tool writes a score that long")

    def check_params(self, p, chk):
        _check_score_params(p, chk)

    def describe(self, rule, spec, field):
        return f"{field} must be written the way the assessment tool's scores are."

    def expected(self, rule, spec, table, i):
        tool = spec.assessment_tools.get(table.values[rule.params["tool"]][i])
        return tool.format_text if tool is not None else None

    def evaluate(self, rule, table, ctx, *extra):
        def test(tool, s):
            rx = _FORMATS.get(tool.format)
            if rx is None:
                rx = _FORMATS[tool.format] = re.compile(tool.format)
            return rx.match(s) is not None
        return _score_rule(rule, table, ctx, test)

    def sql(self, rule, dialect):
        # each distinct format's Python re.match, once per distinct score
        return _score_sql(rule, dialect, lambda t: ("udf", _udf_name("iapt_score_format", t.format),
                                                    _score_format_test(t.format)))


@kind
class ScoreRange(Kind):
    name = "score_range"
    phase = Phase.ROW
    params = _SCORE_PARAMS
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = "The score is in its tool's range (as a number) or value set."
    testing = Testing(breaker="out_of_range",
                      wrong_length="a score that long is out of range (or not in the value set) for most tools")

    def check_params(self, p, chk):
        _check_score_params(p, chk)

    def describe(self, rule, spec, field):
        return f"{field} must be within the scores the assessment tool allows."

    def expected(self, rule, spec, table, i):
        tool = spec.assessment_tools.get(table.values[rule.params["tool"]][i])
        return tool.expected if tool is not None else None

    def evaluate(self, rule, table, ctx, *extra):
        def test(tool, s):
            if tool.values is not None:
                return s in tool.values
            try:
                x = float(s)
            except (TypeError, ValueError):
                return False
            return tool.range[0] <= x <= tool.range[1]
        return _score_rule(rule, table, ctx, test)

    def sql(self, rule, dialect):
        # a value set in SQL; a range by Python's float(), once per distinct score and range
        def check(t):
            if t.values is not None:
                return ("values", tuple(t.values))
            lo, hi = t.range
            return ("udf", _udf_name("iapt_score_range", lo, hi), _in_range_test(lo, hi))
        return _score_sql(rule, dialect, check)


@kind
class ReferenceData(Kind):
    name = "reference_data"
    phase = Phase.ROW
    params = {"lookup": Param(_S, doc=" | ".join(_REFERENCE_LOOKUPS)),
              "defaults": Param(_L, False, "codes accepted without asking (the national default codes); "
                                           "a GP practice code is compared trimmed and in capitals")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = ("The code is current in national reference data at the period start (supplied by the "
               "caller; without it the rule is reported as not checked). Each distinct code is asked once.")
    testing = Testing(breaker="unknown_to_reference_data")

    def check_params(self, p, chk):
        if p["lookup"] not in _REFERENCE_LOOKUPS:
            raise chk.fail(f"lookup must be one of {_REFERENCE_LOOKUPS}")
        if not all(isinstance(c, str) for c in p.get("defaults", ())):
            raise chk.fail("defaults must be a list of quoted codes")

    def describe(self, rule, spec, field):
        return (f"{field} must be {_LOOKUP_WORDS[rule.params['lookup']]} code current at "
                "the start of the reporting period (checked only when reference data "
                "is given).")

    def advice(self, rule, spec):
        return (f"Check {rule.field or 'the value'} against the current national reference data; correct a "
                "mistyped code, or update the organisation or practice in your system.")

    def evaluate(self, rule, table, ctx, *extra):
        ref = ctx.reference
        lookup = rule.params["lookup"]
        if ref is None:
            ctx.not_checked[rule.code] = "no reference data supplied"
            return []
        defaults = frozenset(rule.params.get("defaults", ()))
        ask = {"organisation": ref.organisation_exists, "gp_practice": ref.gp_practice_exists,
               "site": ref.site_exists, "postcode": ref.postcode_exists}[lookup]
        unknown = set()

        def fails(v) -> bool:
            if type(v) is not str:
                return False
            code = v
            if lookup == "gp_practice":
                code = v.strip().upper()
                if code in defaults:
                    return False
            elif v in defaults:
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
    cols = [plain_values(table.values[f]) for f in fields]
    if len(cols) == 1:
        return cols[0]
    keys: list[Any] = list(zip(*cols))
    if not nulls_equal:
        keys = [None if None in k else k for k in keys]
    return keys


#: the hash of a row's key of several fields: equal keys have equal hashes, so keys whose
#: hashes all differ all differ (a name of its own so that a test can make every hash collide)
_key_hash = hash


def _key_hashes(cols: list[list]) -> list:
    """What tells the rows' keys (the values of *cols* on each row) apart, in C and without
    keeping a key: one field's values themselves; several fields' keys by their hashes, each
    row's tuple hashed and dropped (``zip`` reuses it)."""
    return cols[0] if len(cols) == 1 else list(map(_key_hash, zip(*cols)))


def _keys_of(cols: list[list], rows: list[int]) -> list:
    """The keys of *rows*: a value for one field, a tuple for several."""
    if len(cols) == 1:
        return list(map(cols[0].__getitem__, rows))
    return list(zip(*(map(c.__getitem__, rows) for c in cols)))


def _sharing_rows(hashes: list) -> list[int]:
    """The rows whose entry of *hashes* (:func:`_key_hashes`) another row's is too: every row
    sharing its key, and rarely one whose key only shares its hash with another; none when
    every key is another (the common case: one set of the hashes, in C). Counted in C."""
    if len(set(hashes)) == len(hashes):
        return []
    crowded = _crowded(Counter(hashes))
    return _positions(map(crowded.__contains__, hashes))


def _duplicates(cols: list[list], skip_none: bool, detail: Callable[[Any, list[int]], str]) -> list[Fail]:
    """The rows whose key (the values of *cols* on the row, NULLs equal) another row shares,
    each with *detail* (key, rows sharing it); *skip_none*: a key that is NULL, or holds a NULL
    when several fields make it, is shared by no row. No key shared at all (the common case)
    is settled by :func:`_sharing_rows`; else only the rows it gives have their key made and
    counted, in C."""
    rows = _sharing_rows(_key_hashes(cols))
    if not rows:
        return []
    keys = _keys_of(cols, rows)
    dup = _crowded(Counter(keys))
    if skip_none:
        dup.discard(None)
        if len(cols) > 1:
            dup = {k for k in dup if None not in k}
    if not dup:
        return []
    groups: dict[Any, list[int]] = defaultdict(list)
    for j in _positions(map(dup.__contains__, keys)):
        groups[keys[j]].append(rows[j])
    out: list[Fail] = [(r, None, detail(k, group)) for k, group in groups.items() for r in group]
    out.sort()
    return out


def _crowded(counts: Counter) -> set:
    """The keys counted more than once, found in C."""
    return set(compress(counts.keys(), map((1).__lt__, counts.values())))


def _rows_text(rows: list[int]) -> str:
    return ", ".join(str(r + 1) for r in rows[:10]) + (" …" if len(rows) > 10 else "")


def _check_fields(p, chk) -> None:
    for f in p["fields"]:
        chk.ref(f, "fields")


@kind
class Unique(Kind):
    name = "unique"
    phase = Phase.ROW
    params = {"fields": Param(_L, doc="the key's fields"), "nulls_equal": Param(_B, False)}
    nulls, unparsable = Nulls.PER_PARAMS, Unparsable.AS_NULL
    summary = ("No two rows share the key. A NULL in the key makes a row unique unless ``nulls_equal``. "
               "Every row of a duplicate set fails, not just the extra ones.")
    testing = Testing(breaker="duplicate")

    def check_params(self, p, chk):
        _check_fields(p, chk)

    def describe(self, rule, spec, field):
        fields = rule.params["fields"]
        if len(fields) == 1:
            return f"Each {fields[0]} must appear only once in {rule.table}."
        return f"Each combination of {', '.join(fields)} must appear only once in {rule.table}."

    def advice(self, rule, spec):
        return ("Find the rows that share the key (the detail lists them), then remove the duplicate or "
                "correct the key fields so that each row is distinct.")

    def evaluate(self, rule, table, ctx, *extra):
        nulls_equal = rule.params.get("nulls_equal", False)
        fields = rule.params["fields"]
        cols = [plain_values(table.values[f]) for f in fields]  # a key holding a NULL is left out, when NULLs make it unique
        return _duplicates(cols, not nulls_equal, lambda k, rows: f"{len(rows)} rows share it: rows {_rows_text(rows)}")

    def sql(self, rule, dialect):
        d = Q.dialect(dialect)
        if d is None or rule.table is None:
            return None
        nulls_equal = rule.params.get("nulls_equal", False)
        cols = [d.col(f) for f in rule.params["fields"]]
        keys = ", ".join(cols)
        where = ("WHERE " + " AND ".join(f"{c} IS NOT NULL" for c in cols)) if not nulls_equal else ""
        on = " AND ".join(f"t.{c} IS NOT DISTINCT FROM d.{c}" for c in cols)
        on_g = " AND ".join(f"r.{c} IS NOT DISTINCT FROM g.{c}" for c in cols)
        detail = (f"CAST(r.n AS {d.text}) || ' rows share it: rows ' || {d.first_joined('g.rows', 10, ', ')} "
                  "|| CASE WHEN r.n > 10 THEN ' …' ELSE '' END")
        # the shared keys first (counts only), then the rows of those keys alone
        return (f"WITH d AS (SELECT {keys}, count(*) AS n FROM {d.ident(rule.table)} {where} GROUP BY {keys} "
                f"HAVING count(*) > 1), "
                f"r AS (SELECT t._row, d.* FROM {d.ident(rule.table)} AS t JOIN d ON {on}), "
                f"g AS (SELECT {keys}, {d.sorted_list('_row + 1')} AS rows FROM r GROUP BY {keys}) "
                f"SELECT r._row, NULL AS other, {detail} AS detail FROM r JOIN g ON {on_g} ORDER BY r._row")


@kind
class OneOpenPer(Kind):
    name = "one_open_per"
    phase = Phase.ROW
    params = {"per": Param(_S, doc="the grouping field"), "field": Param(_S, doc="the field left blank when open")}
    nulls, unparsable = Nulls.GROUPED, Unparsable.AS_NULL
    summary = "At most one row per ``per`` value has the field blank (NULLs grouped together)."
    testing = Testing(breaker="two_open")

    def check_params(self, p, chk):
        chk.ref(p["per"], "per")
        chk.ref(p["field"], "field")

    def describe(self, rule, spec, field):
        return f"At most one {rule.table} row per {rule.params['per']} may have {rule.params['field']} blank."

    def advice(self, rule, spec):
        return _CLASHING

    def evaluate(self, rule, table, ctx, *extra):
        per, field = table.values[rule.params["per"]], table.values[rule.params["field"]]
        open_rows = _nulls(plain_values(field))
        groups = list(map(plain_values(per).__getitem__, open_rows))
        if len(set(groups)) == len(groups):  # the common case: no two open rows share a group
            return []
        counts = Counter(groups)
        crowded = _crowded(counts)
        return [(i, None, f"{counts[k]} open rows for {render(k)}")
                for i, k in compress(zip(open_rows, groups), map(crowded.__contains__, groups))]

    def sql(self, rule, dialect):
        d = Q.dialect(dialect)
        if d is None or rule.table is None:
            return None
        per, field, t = d.col(rule.params["per"]), d.col(rule.params["field"]), d.ident(rule.table)
        # open: blank or unparsable (NULL in SQL); NULL per values are one group, shown as None
        return (f"WITH o AS (SELECT _row, {per} AS per FROM {t} WHERE {field} IS NULL), "
                f"c AS (SELECT per, count(*) AS n FROM o GROUP BY per HAVING count(*) > 1) "
                f"SELECT o._row, NULL AS other, c.n || ' open rows for ' || coalesce(CAST(o.per AS {d.text}), 'None') "
                f"AS detail FROM o JOIN c ON o.per IS NOT DISTINCT FROM c.per ORDER BY o._row")


@kind
class OneAttendedPerSlot(Kind):
    name = "one_attended_per_slot"
    phase = Phase.ROW
    params = {"fields": Param(_L, doc="the slot's fields"),
              "attendance": Param(_S, doc="the field saying whether the person attended"),
              "attended": Param(_L, doc="the codes of that field that mean attended")}
    nulls, unparsable = Nulls.GROUPED, Unparsable.AS_NULL
    summary = ("Within one slot (referral, date, time) at most one row is attended; when two or more are, "
               "every row of that slot fails (NULLs in the key grouped together).")
    testing = Testing(breaker="double_booked")

    def check_params(self, p, chk):
        _check_fields(p, chk)
        chk.ref(p["attendance"], "attendance")

    def describe(self, rule, spec, field):
        return (f"At most one attended contact ({rule.params['attendance']} {' or '.join(rule.params['attended'])}) per "
                f"{', '.join(rule.params['fields'])}.")

    def advice(self, rule, spec):
        return _CLASHING

    def evaluate(self, rule, table, ctx, *extra):
        cols = [plain_values(table.values[f]) for f in rule.params["fields"]]
        attended = frozenset(rule.params["attended"])
        rows = _positions(map(attended.__contains__, table.values[rule.params["attendance"]]))
        slots = [list(map(c.__getitem__, rows)) for c in cols]  # the attended rows' slots
        shared = _sharing_rows(_key_hashes(slots))
        if not shared:  # the common case: no slot attended twice
            return []
        counts = Counter(_keys_of(slots, shared))
        crowded = _crowded(counts)
        if not crowded:
            return []
        # every row of a slot attended twice, attended or not: the rows whose key's hash is that
        # of such a slot, then their keys
        if len(cols) == 1:
            suspects = _positions(map(crowded.__contains__, cols[0]))
        else:
            hashes = set(map(_key_hash, crowded))
            suspects = _positions(map(hashes.__contains__, map(_key_hash, zip(*cols))))
        return [(i, None, f"{counts[k]} attended contacts in the same slot")
                for i, k in zip(suspects, _keys_of(cols, suspects)) if k in crowded]

    def sql(self, rule, dialect):
        d = Q.dialect(dialect)
        attended = rule.params["attended"]
        if d is None or rule.table is None or not all(isinstance(c, str) for c in attended):
            return None
        cols = [d.col(f) for f in rule.params["fields"]]
        keys, t = ", ".join(cols), d.ident(rule.table)
        on = " AND ".join(f"r.{c} IS NOT DISTINCT FROM c.{c}" for c in cols)
        # the slots with two or more attended rows (NULLs in the key one group), then all their rows
        return (f"WITH c AS (SELECT {keys}, count(*) AS n FROM {t} WHERE {d.col(rule.params['attendance'])} IN "
                f"{d.text_list(attended)} GROUP BY {keys} HAVING count(*) > 1) "
                f"SELECT r._row, NULL AS other, CAST(c.n AS {d.text}) || ' attended contacts in the same slot' AS detail "
                f"FROM {t} AS r JOIN c ON {on} ORDER BY r._row")


ROW_KINDS: Mapping[str, Kind] = {k.name: k() for k in (
    NotBlank, Length, InCodelist, Pattern, NotPattern, ValidDate, ValidDatetime, DateMin, Placeholder, NhsNumber,
    SnomedCt, DateCompare, EqualsField, Conditional, MatchesUpload, NotAfterSubmission, PlausibleBirthDate,
    OnsetNotBeforeBirth, FindingCode, AssessmentTool, ScoreFormat, ScoreRange, ReferenceData, Unique, OneOpenPer,
    OneAttendedPerSlot)}
