"""Words the kinds' SQL is written with (:meth:`~.base.Kind.sql`), and what an SQL engine
provides for it to read.

The relations a kind's query may name:

* each table by its id (``"IDS001"``), one row per input row, with ``_row`` (the 0-based row
  index), and for each field ``"Field"``, its typed value with an unparsable value as NULL, and
  ``"Field__bad"``, true where the value could not be parsed (:class:`~iapt_ds.parse.Invalid`);
  a field the engine cannot hold in an SQL type is left out, and a query naming it fails to bind
  (the engine then runs the rule in Python);
* ``codelists`` (``list``, ``code``): every code of every code list; and for each code list
  ``L`` a function ``"in_codes__L"(x)``, true where the text *x* is one of its codes
  (:func:`in_codes`; an engine writes it as suits the list's size);
* ``link__T__O``: for each row of table T its related row of table O (``_row``, ``_orow``;
  ``_orow`` NULL where none), following the spec's parent chain; for the header, its first row.

A :class:`RowCheck` may name Python tests (:attr:`RowCheck.udfs`), for checks that SQL cannot
express: the engine runs each once per distinct value and gives the failing values as a relation
(:func:`failing_distinct`).

A query returns ``_row``, ``other`` (a typed value: the engine renders it as the Python engine
does) and ``detail`` (text), one row per failing row, ordered as the Python evaluation orders
its failures. A kind honours its declared NULL and unparsable policy: ``"F"`` is NULL for both a
NULL and an unparsable value, so ``Unparsable.FAIL`` kinds test ``"F__bad"`` and
``Unparsable.PASS`` kinds test that it is not set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

__all__ = ["DIALECTS", "RowCheck", "bad", "col", "failing_distinct", "ident", "in_codes", "link", "lit", "text_list"]

#: the dialects a kind may be asked for; each kind returns None for one it has no SQL in
DIALECTS = ("duckdb",)

#: Java's line terminators (what ``.`` does not match), as SQL expressions
_TERMINATORS = ("chr(10)", "chr(13)", "chr(133)", "chr(8232)", "chr(8233)")


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

    def __new__(cls, table: str, where: str, other: str = "NULL", joins: tuple[str, ...] = (),
                udfs: Mapping[str, tuple[Callable[[str], bool], str, str]] | None = None) -> "RowCheck":
        query = (f"SELECT t._row, {other} AS other, CAST(NULL AS VARCHAR) AS detail FROM {ident(table)} AS t"
                 f"{''.join(joins)} WHERE {where} ORDER BY t._row")
        self = super().__new__(cls, query)
        self.table, self.where, self.other, self.joins = table, where, other, joins
        self.udfs = udfs or {}
        return self


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A quoted SQL text literal."""
    return "'" + text.replace("'", "''") + "'"


def text_list(codes: Iterable[str]) -> str:
    """``('a', 'b')`` for ``IN``."""
    return "(" + ", ".join(lit(c) for c in codes) + ")"


def col(field: str) -> str:
    return ident(field)


def bad(field: str) -> str:
    return ident(field + "__bad")


def link(table: str, other: str) -> str:
    return ident(f"link__{table}__{other}")


def failing_distinct(table: str, field: str, test: str) -> str:
    """The name of the relation (column ``v``) of the distinct values of *table*'s *field* that
    fail the Python test named *test* (see :attr:`RowCheck.udfs`)."""
    return ident(f"fails__{test}__{table}__{field}")


def in_codes(codelist: str, x: str) -> str:
    """True where the text *x* is a code of *codelist* (the engine's ``in_codes__`` function)."""
    return f"{ident('in_codes__' + codelist)}({x})"


def has_terminator(x: str) -> str:
    """True where the text *x* holds a Java line terminator."""
    return "(" + " OR ".join(f"contains({x}, {t})" for t in _TERMINATORS) + ")"


def java_body(x: str) -> str:
    """The part of *x* that a Java ``^…$`` must match: one final line terminator is allowed."""
    ends = " OR ".join(f"right({x}, 1) = {t}" for t in _TERMINATORS)
    return (f"(CASE WHEN right({x}, 2) = chr(13) || chr(10) THEN left({x}, length({x}) - 2) "
            f"WHEN {ends} THEN left({x}, length({x}) - 1) ELSE {x} END)")
