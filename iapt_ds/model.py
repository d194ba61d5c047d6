"""The submission as iapt-ds holds it: the header plus every table's rows, column by column.

Each :class:`Table` keeps, for every field, the *typed value* of each cell (what rules compare)
and its *original text* (what a finding quotes), plus each row's source position: its 1-based
data-row number and, for CSV input, the line it starts on. Rows are stored column-wise, one list
per field, and the original text is kept only where it differs from the value's own rendering
(a trimmed space, ``060`` for 60, a quoted empty text): a million-row file stays compact.
:meth:`Table.record` builds a typed attrs record on demand.
"""

from __future__ import annotations

import datetime as _dt
from array import array
from collections.abc import Iterator, Mapping, Sequence
from itertools import compress, count, repeat
from operator import is_not
from typing import Any

import attrs

from .errors import UsageError
from .parse import Invalid, render
from .spec import Spec, TableSpec
from .version_choice import VersionChoice

__all__ = ["InputProblem", "Submission", "Table"]

_PLAIN_TYPES = frozenset({str, type(None)})  # what render() returns as it is
#: types whose equal values render the same (datetimes and times also need no time zone): a
#: column of them is rendered one distinct value at a time
_RENDER_ONCE_TYPES = _PLAIN_TYPES | {_dt.date, _dt.datetime, _dt.time, Invalid, int}


@attrs.frozen
class InputProblem:
    """Something wrong with the input's structure or bytes, found while reading.

    Each becomes an IDSREJ001 finding (the structure check), as SDCS would reject a file whose
    structure differs from the v2.0 IDB.
    """

    table: str | None        # table id (IDS001) when known
    detail: str              # what is wrong, in words
    column: str | None = None
    row: int | None = None    # 1-based data-row number
    line: int | None = None   # source line (CSV)
    value: str | None = None  # offending text, when there is one


@attrs.define(eq=False, slots=True)
class Table:
    """One table's rows, column-wise."""

    spec: TableSpec
    nrows: int = 0
    #: the name the table had in the input (None when it was missing)
    source_name: str | None = None
    #: field name -> typed value of each cell (None, a typed value, or Invalid); text is cleansed
    values: dict[str, list] = attrs.Factory(dict)
    #: field name -> {row index: original text} where the text differs from the value's rendering
    #: ('' for a zero-length text, which cleansing made NULL)
    originals: dict[str, dict[int, str]] = attrs.Factory(dict)
    #: first source line of each row (CSV input with multi-line records), else None
    lines: array | None = None
    #: when ``lines`` is None: the source line of row 0 (rows then follow line by line), or None
    first_line: int | None = None
    #: columns in the input that the spec does not know: name -> original text per row
    extra: dict[str, list] = attrs.Factory(dict)
    #: the columns the input had, in its order (empty when the table was missing)
    source_columns: tuple[str, ...] = ()
    #: declared column types (Access IDB input), name -> type text
    source_types: Mapping[str, str] = attrs.Factory(dict)
    #: the IAPT version whose table this is ("2.0", "2.1")
    version: str = "2.0"

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def present(self) -> bool:
        return self.source_name is not None

    def __len__(self) -> int:
        return self.nrows

    def row_number(self, index: int) -> int:
        """The 1-based data-row number of row *index* (0-based)."""
        return index + 1

    def line(self, index: int) -> int | None:
        """The source line row *index* starts on (CSV input), else None."""
        if self.lines is not None:
            return self.lines[index]
        return None if self.first_line is None else self.first_line + index

    def value(self, index: int, field: str) -> Any:
        return self.values[field][index]

    def text(self, index: int, field: str) -> str | None:
        """The original text of a cell, as the input had it (None for NULL)."""
        original = self.originals.get(field)
        if original:
            t = original.get(index)
            if t is not None:
                return t
        return render(self.values[field][index])

    def texts(self, rows: Sequence[int], field: str) -> list[str | None]:
        """The original text of the cell of each of *rows* (0-based indexes) in *field*, as
        :meth:`text` gives it, in one pass over the column: what a report of many findings on
        one rule asks for."""
        col = self.values[field]
        out = list(map(col.__getitem__, rows))
        types = set(map(type, out))
        if not _PLAIN_TYPES.issuperset(types):
            distinct = set(out) if _RENDER_ONCE_TYPES.issuperset(types) else None
            if distinct is not None and not any(getattr(v, "tzinfo", None) is not None for v in distinct
                                                if type(v) is not str):
                rendered = {v: render(v) for v in distinct}  # each distinct value rendered once
                out = list(map(rendered.__getitem__, out))
            else:
                out = list(map(render, out))
        original = self.originals.get(field)
        if original:
            written = list(map(original.get, rows))
            for j in compress(count(), map(is_not, written, repeat(None))):
                out[j] = written[j]
        return out

    def lines_of(self, rows: Sequence[int]) -> list[int | None]:
        """:meth:`line` of each of *rows* (0-based indexes)."""
        if self.lines is not None:
            return list(map(self.lines.__getitem__, rows))
        if self.first_line is None:
            return [None] * len(rows)
        return list(map(self.first_line.__add__, rows))

    @property
    def raw(self) -> dict[str, list]:
        """Every cell's original text, field by field (built on each call: costly for big tables)."""
        return {f: [self.text(i, f) for i in range(self.nrows)] for f in self.values}

    def row(self, index: int) -> dict[str, Any]:
        """The typed values of one row (Invalid cells included)."""
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.nrows:
            raise UsageError(f"{self.spec.id} has no row index {index!r}: it has {self.nrows} rows, "
                             f"indexed from 0" + (f" to {self.nrows - 1}" if self.nrows else ""))
        return {f: col[index] for f, col in self.values.items()}

    def record(self, index: int) -> Any:
        """Row *index* as the generated attrs record class (unparsable cells become None)."""
        from .records import record_classes

        cls = record_classes(self.version)[self.spec.id]
        return cls(**{f: (None if isinstance(v, Invalid) else v) for f, v in self.row(index).items()})

    def records(self) -> Iterator[Any]:
        for i in range(self.nrows):
            yield self.record(i)

    def key(self, index: int) -> tuple[str | None, ...]:
        """The values of the table's identifying key columns for one row, as text."""
        return tuple(self.text(index, f) for f in self.spec.key)


@attrs.define(eq=False, slots=True)
class Submission:
    """A whole IAPT submission: all the version's tables (empty when missing) and what reading found."""

    spec: Spec
    tables: dict[str, Table]
    source: str = "<memory>"
    problems: list[InputProblem] = attrs.Factory(list)
    #: input tables the spec does not know (name as found)
    unknown_tables: list[str] = attrs.Factory(list)
    #: which version the reader chose for it, and why (None when built by hand)
    version: VersionChoice | None = None

    def table(self, ref: str) -> Table:
        """A table by id (``IDS001``) or IDB name (``IDS001MPI``, any case)."""
        return self.tables[self.spec.table(ref).id]

    @property
    def header(self) -> Table:
        return self.tables[self.spec.header]

    @property
    def row_count(self) -> int:
        return sum(t.nrows for t in self.tables.values())

    def __repr__(self) -> str:
        counts = ", ".join(f"{t.name}={t.nrows}" for t in self.tables.values() if t.nrows)
        return f"<Submission {self.source}: {self.row_count} rows ({counts})>"
