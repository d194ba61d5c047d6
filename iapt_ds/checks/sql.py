"""Words the kinds' SQL is written with (:meth:`~.base.Kind.sql`), and what an SQL engine
provides for it to read.

A kind writes its SQL once, with the words of a :class:`Dialect` (quoting, type names, text
functions, Java regular expressions, date arithmetic, lists): :data:`DUCKDB` for the DuckDB
engine, :data:`SPARK` for the Spark engine. A kind's ``sql(rule, dialect)`` takes a dialect's
name (or a :class:`Dialect`) and returns None for one whose words cannot say its check (e.g.
a Java pattern, which DuckDB's regular expressions cannot match exactly).

The relations a kind's query may name:

* each table by its id (``"IDS001"``), one row per input row, with ``_row`` (the 0-based row
  index), and for each field ``"Field"``, its typed value with an unparsable value as NULL, and
  ``"Field__bad"``, true where the value could not be parsed (:class:`~iapt_ds.parse.Invalid`);
  a field the engine cannot hold in an SQL type is left out, and a query naming it fails to bind
  (the engine then runs the rule in Python);
* ``codelists`` (``list``, ``code``): every code of every code list; and, in DuckDB, for each
  code list ``L`` a function ``"in_codes__L"(x)``, true where the text *x* is one of its codes
  (:meth:`Dialect.in_codes`; the engine writes it as suits the list's size; a Spark dialect
  bound to the spec's code lists writes the codes in place);
* ``link__T__O``: for each row of table T its related row of table O (``_row``, ``_orow``;
  ``_orow`` NULL where none), following the spec's parent chain; for the header, its first row;
* for a rule on accepted rows, ``rejected__T`` (``_row``, ``rejected``) of each table T it names,
  as the ledger stands when the rule runs.

What a kind's SQL needs of the run itself (the header's reporting period, the spec's assessment
tools) it takes from a dialect bound to the run (:meth:`Dialect.bound` with a :class:`Run`): a
kind returns None for a dialect that is not (the rule then runs in Python).

A :class:`RowCheck` may name Python tests (:attr:`RowCheck.udfs`), for checks that SQL cannot
express: the engine runs each once per distinct value and gives the failing values as a relation
(:func:`failing_distinct`); :attr:`RowCheck.suspects` may say, in SQL, which values can fail
it at all (the engine may then test only those).

A query returns ``_row``, ``other`` (a typed value: the engine renders it as the Python engine
does) and ``detail`` (text), one row per failing row, ordered as the Python evaluation orders
its failures. A kind honours its declared NULL and unparsable policy: ``"F"`` is NULL for both a
NULL and an unparsable value, so ``Unparsable.FAIL`` kinds test ``"F__bad"`` and
``Unparsable.PASS`` kinds test that it is not set.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

__all__ = ["DIALECTS", "TERMINATOR_CLASS", "DUCKDB", "SPARK", "Dialect", "RowCheck", "Run", "bad", "col", "dialect", "failing_distinct", "ident",
           "in_codes", "link", "lit", "text_list"]

#: the dialects a kind may be asked for; each kind returns None for one it has no SQL in
DIALECTS = ("duckdb", "spark")

#: Java's line terminators (what ``.`` does not match)
_TERMINATORS = (10, 13, 133, 8232, 8233)
#: RE2's words for a class of the Java line terminators, and for one final terminator or none
TERMINATOR_CLASS = r"\n\r\x{85}\x{2028}\x{2029}"
_FINAL_TERMINATOR = r"(?:\r\n|[" + TERMINATOR_CLASS + "])?"


@attrs.frozen
class Run:
    """What a kind's SQL may take from the validation run: the spec (its assessment tools) and
    the header's reporting period as the Python kinds see it (``Context.rps``, ``Context.rpe``:
    None where the header gives no date)."""

    spec: Any
    period_start: _dt.date | None
    period_end: _dt.date | None


class Dialect:
    """The words of one SQL dialect that the kinds' SQL is written with. The kinds build their
    queries from these alone, so one kind's SQL serves every dialect."""

    name = "duckdb"
    #: the text type, as CAST names it
    text = "VARCHAR"
    #: whether ``x RLIKE 'p'`` is a Java ``Matcher.find`` (SDCS's patterns then run as they are)
    java_regex = False
    _quote = '"'

    def __init__(self, codes: Mapping[str, Sequence[str]] | None = None, run: Run | None = None) -> None:
        #: the spec's code lists, when the engine binds them (see :meth:`in_codes`)
        self.codes = codes
        #: the validation run, when the engine binds it (see :class:`Run`)
        self.run = run

    def bound(self, codes: Mapping[str, Sequence[str]] | None = None, run: Run | None = None) -> "Dialect":
        """This dialect, writing a code list's test with its codes in place (*codes*) and bound to
        a validation run (*run*); what is not given is kept."""
        return type(self)(self.codes if codes is None else codes, self.run if run is None else run)

    def __repr__(self) -> str:
        return f"<SQL dialect {self.name}>"

    # ------------------------------------------------------------ names and literals
    def ident(self, name: str) -> str:
        """A quoted SQL identifier."""
        q = self._quote
        return q + name.replace(q, q + q) + q

    def names(self, query: str) -> set[str]:
        """The quoted identifiers *query* names (as :meth:`ident` writes them)."""
        q = re.escape(self._quote)
        return set(re.findall(f"{q}(?:[^{q}]|{q}{q})*{q}", query))

    def lit(self, text: str) -> str:
        """A quoted SQL text literal."""
        return "'" + text.replace("'", "''") + "'"

    def text_list(self, codes: Iterable[str]) -> str:
        """``('a', 'b')`` for ``IN``."""
        return "(" + ", ".join(self.lit(c) for c in codes) + ")"

    def col(self, field: str) -> str:
        return self.ident(field)

    def bad(self, field: str) -> str:
        return self.ident(field + "__bad")

    def link(self, table: str, other: str) -> str:
        return self.ident(f"link__{table}__{other}")

    def failing_distinct(self, table: str, field: str, test: str) -> str:
        """The name of the relation (column ``v``) of the distinct values of *table*'s *field*
        that fail the Python test named *test* (see :attr:`RowCheck.udfs`)."""
        return self.ident(f"fails__{test}__{table}__{field}")

    def timestamp(self, text: str) -> str:
        """A date-and-time literal (no time zone)."""
        return f"TIMESTAMP {self.lit(text)}"

    def date(self, d: _dt.date | None) -> str:
        """A date literal (NULL for None)."""
        return "CAST(NULL AS DATE)" if d is None else f"DATE {self.lit(d.isoformat())}"

    # ------------------------------------------------------------ text
    def char(self, n: int) -> str:
        """The one-character text of code point *n*."""
        return f"chr({n})"

    def contains(self, x: str, y: str) -> str:
        return f"contains({x}, {y})"

    def byte_length(self, x: str) -> str:
        """The length of *x* in UTF-8 bytes (equal to its length in characters for ASCII text)."""
        return f"strlen({x})"

    def only(self, x: str, chars: str) -> str:
        """True where the text *x* holds only characters of *chars*."""
        # (DuckDB's ltrim with a set of characters costs several times a regular expression)
        cls = "".join("\\" + c if c in "\\]^-[" else c for c in chars)
        return f"regexp_full_match({x}, {self.lit('[' + cls + ']*')})"

    def has_terminator(self, x: str) -> str:
        """True where the text *x* holds a Java line terminator."""
        return "(" + " OR ".join(self.contains(x, self.char(t)) for t in _TERMINATORS) + ")"

    def java_body(self, x: str) -> str:
        """The part of *x* that a Java ``^…$`` must match: one final line terminator is allowed."""
        ends = " OR ".join(f"right({x}, 1) = {self.char(t)}" for t in _TERMINATORS)
        return (f"(CASE WHEN right({x}, 2) = {self.char(13)} || {self.char(10)} THEN left({x}, length({x}) - 2) "
                f"WHEN {ends} THEN left({x}, length({x}) - 1) ELSE {x} END)")

    def full_match(self, x: str, regex: str) -> str:
        """True where the text *x* matches Java's ``^regex$`` (*regex* one whose meaning RE2
        shares on text without line terminators and that matches none, such as ``[0-9]{1,3}``):
        *regex* then one final line terminator or none, which is *regex* on :meth:`java_body`
        (a short expression: DuckDB's planning time grows with the expression's size)."""
        return f"regexp_full_match({x}, {self.lit('(?:' + regex + ')' + _FINAL_TERMINATOR)})"

    def java_find(self, x: str, regex: str) -> str | None:
        """True where SDCS's pattern *regex* (Java) is found in the text *x*; None where the
        dialect has no Java regular expressions."""
        return f"({x} RLIKE {self.lit(regex)})" if self.java_regex else None

    # ------------------------------------------------------------ dates, lists, code lists
    def add_days(self, d: str, n: int) -> str:
        return f"CAST({d} + INTERVAL ({int(n)}) DAY AS DATE)"

    def add_years(self, d: str, n: int) -> str:
        """The date *n* years on (29 February onto 28 February in a common year)."""
        return f"CAST({d} + INTERVAL ({int(n)}) YEAR AS DATE)"

    def sorted_list(self, x: str) -> str:
        """The aggregate list of *x*, ascending."""
        return f"list({x} ORDER BY {x})"

    def first_joined(self, xs: str, n: int, sep: str) -> str:
        """The first *n* items of the list *xs* as text, joined by *sep*."""
        return f"array_to_string({xs}[1:{int(n)}], {self.lit(sep)})"

    def in_codes(self, codelist: str, x: str) -> str:
        """True where the text *x* is a code of *codelist*: the codes in place when the dialect is
        bound to the spec's code lists (:meth:`bound`), else the engine's ``in_codes__`` function."""
        if self.codes is not None and codelist in self.codes:
            return f"{x} IN {self.text_list(self.codes[codelist])}"
        return f"{self.ident('in_codes__' + codelist)}({x})"


class SparkDialect(Dialect):
    """Spark SQL (3.5): backquoted names, backslash escapes in literals, Java regular expressions."""

    name = "spark"
    text = "STRING"
    java_regex = True
    _quote = "`"

    def lit(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def timestamp(self, text: str) -> str:
        return f"TIMESTAMP_NTZ {self.lit(text)}"

    def char(self, n: int) -> str:
        return self.lit(chr(n))  # Spark's chr() is modulo 256

    def contains(self, x: str, y: str) -> str:
        return f"(instr({x}, {y}) > 0)"

    def byte_length(self, x: str) -> str:
        return f"octet_length({x})"

    def only(self, x: str, chars: str) -> str:
        return f"translate({x}, {self.lit(chars)}, '') = ''"

    def java_body(self, x: str) -> str:
        ends = " OR ".join(f"right({x}, 1) = {self.char(t)}" for t in _TERMINATORS)
        return (f"(CASE WHEN right({x}, 2) = {self.lit(chr(13) + chr(10))} THEN left({x}, length({x}) - 2) "
                f"WHEN {ends} THEN left({x}, length({x}) - 1) ELSE {x} END)")

    def full_match(self, x: str, regex: str) -> str:
        return f"({x} RLIKE {self.lit('^(?:' + regex + ')$')})"  # Java's own ^…$

    def add_days(self, d: str, n: int) -> str:
        return f"date_add({d}, {int(n)})"

    def add_years(self, d: str, n: int) -> str:
        return f"add_months({d}, {12 * int(n)})"

    def sorted_list(self, x: str) -> str:
        return f"array_sort(collect_list({x}))"

    def first_joined(self, xs: str, n: int, sep: str) -> str:
        return f"array_join(slice({xs}, 1, {int(n)}), {self.lit(sep)})"

    def in_codes(self, codelist: str, x: str) -> str:
        if self.codes is not None and codelist in self.codes:
            return super().in_codes(codelist, x)
        return f"{x} IN (SELECT code FROM codelists WHERE list = {self.lit(codelist)})"


DUCKDB = Dialect()
SPARK = SparkDialect()
_BY_NAME = {d.name: d for d in (DUCKDB, SPARK)}


def dialect(d: "str | Dialect") -> Dialect | None:
    """The :class:`Dialect` named *d* (or *d* itself); None for a dialect no kind writes."""
    if isinstance(d, Dialect):
        return d
    return _BY_NAME.get(d) if isinstance(d, str) else None


class RowCheck(str):
    """The query of a rule whose failing rows are the rows of its table (alias ``t``) where one
    expression holds: a ``str`` (the whole query, runnable alone) that also keeps its parts, so
    that an engine can test every such rule of a table in one pass over it (one SELECT with one
    column per rule) instead of one query per rule. ``where`` is the failing condition (NULL
    counts as passing), ``other`` the compared value's expression, ``joins`` the joins it needs;
    a join's aliases are named after the table it reaches, so equal joins of several rules are
    one join."""

    table: str
    where: str
    other: str
    joins: tuple[str, ...]
    #: checks SQL cannot express (Modulus 11, Verhoeff): relation name -> (a Python test of one
    #: text, table, field); the engine provides each relation (column ``v``) before running the
    #: query: the distinct values of the table's field that fail the test, each tested once
    udfs: Mapping[str, tuple[Callable[[str], bool], str, str]]
    #: relation name (of :attr:`udfs`) -> an SQL condition on ``{v}`` (the field) true for every
    #: value that may fail the test: an engine may test only those (every other value passes)
    suspects: Mapping[str, str]
    dialect: Dialect

    def __new__(cls, table: str, where: str, other: str = "NULL", joins: tuple[str, ...] = (),
                udfs: Mapping[str, tuple[Callable[[str], bool], str, str]] | None = None,
                dialect: Dialect | None = None, suspects: Mapping[str, str] | None = None) -> "RowCheck":
        d = dialect or DUCKDB
        query = (f"SELECT t._row, {other} AS other, CAST(NULL AS {d.text}) AS detail FROM {d.ident(table)} AS t"
                 f"{''.join(joins)} WHERE {where} ORDER BY t._row")
        self = super().__new__(cls, query)
        self.table, self.where, self.other, self.joins = table, where, other, joins
        self.udfs = udfs or {}
        self.suspects = suspects or {}
        self.dialect = d
        return self


# DuckDB's words, for the modules that write DuckDB's SQL directly
ident, lit, text_list, col, bad, link = DUCKDB.ident, DUCKDB.lit, DUCKDB.text_list, DUCKDB.col, DUCKDB.bad, DUCKDB.link
failing_distinct, in_codes, has_terminator, java_body = (DUCKDB.failing_distinct, DUCKDB.in_codes, DUCKDB.has_terminator,
                                                         DUCKDB.java_body)
