"""Words the kinds' SQL is written with (:meth:`~.base.Kind.sql`), and what an SQL engine
provides for it to read.

The relations a kind's query may name:

* each table by its id (``"IDS001"``), one row per input row, with ``_row`` (the 0-based row
  index), and for each field ``"Field"``, its typed value with an unparsable value as NULL, and
  ``"Field__bad"``, true where the value could not be parsed (:class:`~iapt_ds.parse.Invalid`);
  a field the engine cannot hold in an SQL type is left out, and a query naming it fails to bind
  (the engine then runs the rule in Python);
* ``codelists`` (``list``, ``code``): every code of every code list;
* ``link__T__O``: for each row of table T its related row of table O (``_row``, ``_orow``;
  ``_orow`` NULL where none), following the spec's parent chain; for the header, its first row.

A query returns ``_row``, ``other`` (a typed value: the engine renders it as the Python engine
does) and ``detail`` (text), one row per failing row, ordered as the Python evaluation orders
its failures. A kind honours its declared NULL and unparsable policy: ``"F"`` is NULL for both a
NULL and an unparsable value, so ``Unparsable.FAIL`` kinds test ``"F__bad"`` and
``Unparsable.PASS`` kinds test that it is not set.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DIALECTS", "bad", "col", "ident", "link", "lit", "text_list"]

#: the dialects a kind may be asked for; each kind returns None for one it has no SQL in
DIALECTS = ("duckdb",)

#: Java's line terminators (what ``.`` does not match), as SQL expressions
_TERMINATORS = ("chr(10)", "chr(13)", "chr(133)", "chr(8232)", "chr(8233)")


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


def has_terminator(x: str) -> str:
    """True where the text *x* holds a Java line terminator."""
    return "(" + " OR ".join(f"contains({x}, {t})" for t in _TERMINATORS) + ")"


def java_body(x: str) -> str:
    """The part of *x* that a Java ``^…$`` must match: one final line terminator is allowed."""
    ends = " OR ".join(f"right({x}, 1) = {t}" for t in _TERMINATORS)
    return (f"(CASE WHEN right({x}, 2) = chr(13) || chr(10) THEN left({x}, length({x}) - 2) "
            f"WHEN {ends} THEN left({x}, length({x}) - 1) ELSE {x} END)")
