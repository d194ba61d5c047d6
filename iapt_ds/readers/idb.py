"""Read an Access IDB (``.accdb``/``.mdb``, Access 2000 to 2019) into a :class:`Submission`.

:func:`read_idb` reads the file SDCS receives, one table at a time, through the project's own
read-only Jet4/ACE reader (:mod:`iapt_ds.readers._jet`; pure Python, standard library only). Every
value comes back exact: dates before 1899-12-30 and before 1890, midnight as 00:00:00, times of
day, ``''`` apart from NULL, compressed and non-BMP text, Currency and Decimal as ``Decimal``.
:func:`open_idb` is the lower level: the user tables, their columns (name, type, length) and rows.

Decision: in-house reader, not ``access-parser``
------------------------------------------------
Measured on ``iapt_100k_V2010.accdb`` (99,280 rows in 19 tables, 9.7 MB), Python 3.11, 2 cores,
each run in a fresh process (best of three; peak RSS from ``ru_maxrss``, of which about 27 MB is
the interpreter with iapt_ds and the spec loaded):

==========================================  ===============  =========  ==========================
reader                                      rows/s           peak RSS   fixtures read exactly
==========================================  ===============  =========  ==========================
in-house ``_jet``, rows only                ~285,000         28 MB      all that it supports [1]
in-house, ``read_idb`` → Submission         ~180,000         50 MB [2]  all that it supports [1]
access-parser 0.0.6, rows only [3]          ~15,000          53 MB      few
==========================================  ===============  =========  ==========================

[1] the IAPT files in all six formats (Access 2000 to 2019), the 100k file and the twelve
readable real-Access files, value for value against Jackcess; calculated and Date/Time Extended
columns are refused by name. [2] tracemalloc: 22 MB peak, 17.7 MB of it the finished Submission;
the reader itself holds one page and a 64-page cache (2.4 MB peak reading rows only), so memory
grows with the largest table, not the file. [3] with byte 0x15 of a copy set to 0: as shipped it
cannot open any Access 2010+ file (``KeyError: 4096``).

access-parser also returns dates as text (pre-1899 ones as ``'(Invalid Date)'``), misreads
decimals with ``|x| < 1``, compressed text and deleted columns, drops overflow rows and holds the
whole file in memory; a layer fixing that would monkeypatch its internals behind an exact pin and
still be about 19 times slower. The in-house reader is about 850 lines (docstrings included) in
seven small modules, needs no new dependency and streams. Decision: in-house; no
``access-parser`` dependency.

Unsupported or damaged input
----------------------------
* The file cannot be read at all (not an Access file, Access 97/Jet3, encrypted or encoded,
  truncated, an unreadable system catalog): :class:`~iapt_ds.errors.InputError` naming the file.
* One table cannot be read (a calculated, attachment/multi-value or Date/Time Extended column,
  damaged bytes, a row it cannot place, or a row count that differs from the table definition's):
  an :class:`~iapt_ds.model.InputProblem` naming the table; the rows read before it stay.

Structure check (IDSREJ001)
---------------------------
As SDCS applies it, per version (chosen from the header table's DatSetVer before the other tables
are typed): the version's tables (19 in v2.0, 21 in v2.1) by name (any case; system and hidden
tables ignored), every
column present (column by column, via the table builder) and of the expected type family — text
→ Text/Memo, integer → Long Integer/Integer/Byte, date/time/datetime → Date/Time. Widths are not
checked: real IDBs declare Text(255) so that over-long values reach the rules that reject them
(IDS00202 and others). Each wrong type is one :class:`~iapt_ds.model.InputProblem` naming table
and column. The declared types are kept in ``Table.source_types`` (``TEXT(255)``, ``LONG``…).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Sequence
from os import PathLike, fspath
from pathlib import Path
from typing import Any

from .._gcpause import gc_paused
from ..model import InputProblem, Submission, Table
from ..spec import FieldSpec, Spec, TableSpec
from ..version_choice import HeaderPeek, period_text
from ._submission import choose_spec, finish_submission
from ._build import TableBuilder
from ._hints import not_an_idb
from ._jet import AccessFileError, AccessTableError, Column, Database

__all__ = ["read_idb", "open_idb", "type_problems", "Database", "Column", "AccessFileError", "AccessTableError",
           "Progress"]

#: ``progress(table_name, rows_done, rows_total)``
Progress = Callable[[str, int, int], None]

_PROGRESS_EVERY = 10_000
_IDS_NAME = re.compile(r"(?i)IDS\d{3}")
#: spec field type -> (what the IDB declares, the Access types of that family)
_FAMILIES = {
    "text": ("Text", ("TEXT", "MEMO")),
    "integer": ("Number (Long Integer)", ("LONG", "INT", "BYTE")),
    "decimal": ("Number (Decimal)", ("NUMERIC", "MONEY")),
    "date": ("Date/Time", ("DATETIME",)),
    "time": ("Date/Time", ("DATETIME",)),
    "datetime": ("Date/Time", ("DATETIME",)),
}
_MIDNIGHT = _dt.time(0, 0)


def open_idb(path: str | PathLike) -> Database:
    """Open an Access file read-only: ``table_names``, ``table(name)`` (any case) → ``columns``,
    ``row_count``, ``rows()``. Use it as a context manager. Raises :class:`AccessFileError`."""
    return Database(path)


def _peek(db: Database) -> HeaderPeek:
    """The header's DatSetVer and period, and every table's columns, before anything is typed."""
    shape: dict[str, frozenset[str]] = {}
    header = None
    for name in db.table_names:
        try:
            columns = db.table(name).columns
        except AccessTableError:
            continue
        shape.setdefault(name, frozenset(c.name.strip() for c in columns))
        if name.lower() in ("ids000header", "ids000") and header is None:
            header = name
    if header is None:
        return HeaderPeek(shape=shape, problem="there is no header table (IDS000Header)")
    try:
        table = db.table(header)
        names = [c.name.strip().lower() for c in table.columns]
        if "datsetver" not in names:
            return HeaderPeek(declared=(), shape=shape, problem=f"{header} has no DatSetVer column")
        ver = names.index("datsetver")
        start = names.index("reportingperiodstartdate") if "reportingperiodstartdate" in names else None
        declared: list[str | None] = []
        period = None
        for row in table.rows():
            v = row[ver]
            declared.append(None if v is None else str(v))
            if period is None and start is not None:
                period = period_text(row[start])
            if len(declared) >= 100:
                break
    except AccessTableError as exc:
        return HeaderPeek(shape=shape, problem=f"{header} cannot be read: {exc.detail}")
    if not declared:
        return HeaderPeek(declared=(), shape=shape, problem=f"{header} has no row")
    return HeaderPeek(declared=tuple(declared), period=period, shape=shape)


@gc_paused
def read_idb(path: str | PathLike, *, spec: Spec | None = None, version: str | None = None,
             period: str | None = None, progress: Progress | None = None) -> Submission:
    """Read an Access IDB into a :class:`Submission`, one table at a time.

    The IAPT version is chosen from the header table's DatSetVer before anything is typed, unless
    *version* or *spec* says which (see :func:`iapt_ds.read`); *period* (``YYYY-MM``) is the
    upload's, used when the header gives none.

    *progress*, when given, is called with (table name, rows read, rows in the table) when each
    table starts, every 10,000 rows and when it ends. Raises :class:`~iapt_ds.errors.InputError`
    (an :class:`AccessFileError`) when the file cannot be read at all; everything else is an
    :class:`InputProblem` on the submission.
    """
    problems: list[InputProblem] = []
    unknown: list[str] = []
    tables: dict[str, Table] = {}
    with open_idb(path) as db:
        spec, choice = choose_spec(_peek(db), spec=spec, version=version, period=period)
        by_name = {t.name.lower(): t for t in spec.tables.values()}
        for name in db.linked_tables:
            if name.lower() in by_name:
                problems.append(InputProblem(by_name[name.lower()].id, f"{name} is a linked table: its "
                                             "rows are in another file, not in the IDB"))
        for name in db.table_names:
            tspec = by_name.get(name.lower())
            if tspec is not None:
                tables[tspec.id] = _read_table(db, name, tspec, problems, progress, spec.version)
            elif _IDS_NAME.match(name):
                unknown.append(name)
                problems.append(InputProblem(None, f"{name} is not a table of the v{spec.version} IDB"))
        if not tables and not unknown:
            raise not_an_idb(Path(fspath(path)), list(db.table_names))
    return finish_submission(spec, tables, problems, fspath(path), unknown, choice)


def _read_table(db: Database, name: str, tspec: TableSpec, problems: list[InputProblem],
                progress: Progress | None, version: str = "2.0") -> Table:
    try:
        table = db.table(name)
    except AccessTableError as exc:
        problems.append(InputProblem(tspec.id, f"{name} cannot be read: {exc.detail}"))
        return TableBuilder(tspec, name, [f.name for f in tspec.fields], [], version=version).build()
    columns = table.columns
    builder = TableBuilder(tspec, name, [c.name for c in columns], problems,
                           source_types={c.name: c.declared for c in columns}, version=version)
    problems.extend(type_problems(tspec, columns, version))
    shapes = _shapes(tspec, columns)
    add = builder.add
    total = table.row_count
    if progress:
        progress(name, 0, total)
    try:
        for done, row in enumerate(table.rows(), 1):
            add(_shaped(row, shapes) if shapes else row)
            if progress and done % _PROGRESS_EVERY == 0:
                progress(name, done, total)
    except AccessTableError as exc:
        problems.append(InputProblem(tspec.id, f"{name}: {exc.detail} ({builder.nrows} rows read)"))
    if progress:
        progress(name, builder.nrows, total)
    return builder.build()


def type_problems(tspec: TableSpec, columns: Sequence[Column], version: str = "2.0") -> list[InputProblem]:
    """One problem per column whose declared Access type is not of its field's type family."""
    found = []
    for column in columns:
        field = _field(tspec, column.name)
        if field is None:
            continue
        label, family = _FAMILIES[field.type]
        if column.calculated or column.type not in family:
            found.append(InputProblem(tspec.id, f"{tspec.name}.{field.name} is declared {column.declared};"
                                      f" the v{version} IDB has a {label} column", column=field.name))
    return found


def _field(tspec: TableSpec, column: str) -> FieldSpec | None:
    """The field a column stands for (names match case-insensitively, as the table builder does)."""
    key = column.strip().lower()
    return next((f for f in tspec.fields if f.name.lower() == key), None)


def _as_date(value: _dt.datetime) -> _dt.date | _dt.datetime:
    """A date field's value: the date when it is midnight, else the date-time (so rules see the time)."""
    return value.date() if value.time() == _MIDNIGHT else value


def _time_of_day(value: _dt.datetime) -> _dt.time:
    """A time field's value: Access stores times on 1899-12-30, so the time of day."""
    return value.time()


_SHAPERS: dict[str, Callable[[Any], Any]] = {"date": _as_date, "time": _time_of_day}


def _shapes(tspec: TableSpec, columns: Sequence[Column]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, converter) for each Date/Time column of a date or time field."""
    shapes: list[tuple[int, Callable[[Any], Any]]] = []
    for i, column in enumerate(columns):
        field = _field(tspec, column.name)
        if field is not None and column.type == "DATETIME" and field.type in _SHAPERS:
            shapes.append((i, _SHAPERS[field.type]))
    return shapes


def _shaped(row: tuple, shapes: list[tuple[int, Callable[[Any], Any]]]) -> list:
    cells = list(row)
    for i, shape in shapes:
        value = cells[i]
        if value is not None:
            cells[i] = shape(value)
    return cells
