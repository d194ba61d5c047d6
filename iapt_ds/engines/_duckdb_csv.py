"""The DuckDB engine's CSV reading: each table file of a CSV folder read by DuckDB itself
(``read_csv``, every column as VARCHAR) into the engine's database, cleansed and typed there
(trim ASCII spaces only, blank = NULL, the field's type), and given to the pipeline as a
:class:`SqlTable`: a :class:`~iapt_ds.model.Table` whose Python columns are built only when
something asks for them (a rule that runs in Python, a finding's quoted values), by the same
conversion the CSV reader uses, so they are the values that reader would have built.

DuckDB reads a file only where the Python reader's own fast path would have read it the same
way and found nothing to say about it: no quote character, no byte-order mark, no NUL, no
blank line, no carriage return that ends no line, valid UTF-8, a header naming each field of
the table exactly once and nothing else, and every line holding as many cells as the header
(DuckDB's strict mode). Any other file is read by the Python reader, which reports what is odd
about it (IDSREJ001): the findings are the same either way.

Typing is exact by construction: SQL types only a value written in its type's canonical form
(a text that reads back unchanged, ``YYYY-MM-DD`` for a date); every other distinct value of a
column is typed by the Python parser (:mod:`iapt_ds.parse`), once per distinct value.
"""

from __future__ import annotations

import codecs
import datetime as _dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..checks.sql import ident, lit
from ..model import InputProblem, Table
from ..parse import Invalid, PARSERS, render
from ..readers._build import _Column
from ..spec import TableSpec

__all__ = ["SqlTable", "read_table"]

_SLICE = 1 << 22

#: the SQL that types a canonical text of a field type, and the test that it is canonical
_CANONICAL: dict[str, tuple[str, str]] = {
    "date": ("try_cast({c} AS DATE)",
             "regexp_full_match({c}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND left({c}, 4) <> '0000' "
             "AND try_cast({c} AS DATE) IS NOT NULL"),
    "datetime": ("try_strptime({c}, '%Y-%m-%dT%H:%M:%S')",
                 "length({c}) = 19 AND left({c}, 4) <> '0000' "
                 "AND strftime(try_strptime({c}, '%Y-%m-%dT%H:%M:%S'), '%Y-%m-%dT%H:%M:%S') = {c}"),
    # an integer of at most 18 digits (a BIGINT), with no sign but a minus and no leading zero
    "integer": ("CAST({c} AS BIGINT)", "regexp_full_match({c}, '0|-?[1-9][0-9]{{0,17}}')"),
    # a time of day as Python's datetime.time takes it (hours 00-23, seconds 00-59)
    "time": ("CAST({c} AS TIME)", "regexp_full_match({c}, '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]')"),
}
_SQL_TYPE = {"date": "DATE", "datetime": "TIMESTAMP", "integer": "BIGINT", "time": "TIME"}
_PY_TYPE: dict[str, type] = {"date": _dt.date, "datetime": _dt.datetime, "integer": int, "time": _dt.time}
#: the integers a BIGINT holds
_BIGINT = range(-(1 << 63), 1 << 63)


def column(con: Any, query: str) -> list:
    """The values of column ``v`` of *query*'s rows as a list (None for NULL), fetched as an
    array (a tuple per row costs several times more)."""
    got = con.execute(query).fetchnumpy()["v"]
    mask = getattr(got, "mask", None)
    cells = got.data if mask is not None else got
    out = cells.tolist()
    if mask is not None and mask is not False and getattr(mask, "any", lambda: False)():
        for i in mask.nonzero()[0].tolist():
            out[i] = None
    return out


def _plain_file(path: Path) -> bool:
    """Whether the file is one the Python reader's fast path reads without a word to say."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    prev = b""  # the last bytes of the previous slice (a blank line may span two slices)
    cr = False  # the previous slice ended with a carriage return
    size = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_SLICE if size else max(_SLICE, 3))  # (the first holds a whole BOM)
            if not chunk:
                break
            if not size and (chunk.startswith((b"\xef\xbb\xbf", b"\n", b"\r\n"))):
                return False
            size += len(chunk)
            if cr and not chunk.startswith(b"\n"):
                return False
            cr = chunk.endswith(b"\r")
            seam = prev + chunk
            if b'"' in chunk or b"\x00" in chunk or b"\n\n" in seam:
                return False
            if b"\r" in seam and (b"\n\r\n" in seam or chunk.count(b"\r") - chunk.count(b"\r\n") - cr > 0):
                return False
            # (ASCII is UTF-8 when no character of the slice before is left unfinished)
            if not (chunk.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    return False
            prev = seam[-2:]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return size > 0 and not cr


def _header(path: Path) -> list[str]:
    with path.open("rb") as fh:
        line = fh.readline()
    return [c.strip() for c in line.decode("utf-8").rstrip("\r\n").split(",")]


class _Columns(dict):
    """A table's Python columns (field -> values, or -> originals), each built the first time it
    is asked for."""

    def __init__(self, table: SqlTable, part: int) -> None:
        super().__init__()
        self._table = table
        self._part = part  # 0: values, 1: originals

    def _fill(self, name: str) -> bool:
        if dict.__contains__(self, name):
            return True
        if name not in self._table._fields or name in self._table._built:
            return False
        self._table._build(name)
        return dict.__contains__(self, name)

    def __getitem__(self, name: str) -> Any:
        if not self._fill(name):
            raise KeyError(name)
        return dict.__getitem__(self, name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.__getitem__(self, name) if self._fill(name) else default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._fill(name)

    def _all(self) -> None:
        for name in self._table._fields:
            self._fill(name)

    def __iter__(self) -> Iterator[str]:
        if self._part == 0:
            return iter(list(self._table._fields))
        self._all()
        return dict.__iter__(self)

    def __len__(self) -> int:
        if self._part == 0:
            return len(self._table._fields)
        self._all()
        return dict.__len__(self)

    def keys(self):  # type: ignore[override]
        self._all()
        return dict.keys(self)

    def items(self):  # type: ignore[override]
        self._all()
        return dict.items(self)

    def values(self):  # type: ignore[override]
        self._all()
        return dict.values(self)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"<columns of {self._table.spec.id}, built on demand>"


class SqlTable(Table):
    """A table read by DuckDB: its cells live in the engine's database (relation ``raw``, one
    VARCHAR column per field, as written), and ``values``/``originals`` are built per field on
    first use, exactly as the CSV reader builds them."""

    def __init__(self, spec: TableSpec, con: Any, raw: str, positions: dict[str, int], nrows: int,
                 source_name: str, columns: list[str], version: str, shared: dict) -> None:
        super().__init__(spec=spec, nrows=nrows, source_name=source_name, lines=None,
                         first_line=2 if nrows else None, source_columns=tuple(columns), version=version)
        self._con = con
        self._raw = raw
        self._positions = positions
        self._fields = {f.name: f for f in spec.fields}
        self._shared = shared
        self._built: set[str] = set()
        #: text field -> whether a cell of it has spaces to trim (unknown: True)
        self._trimmed: dict[str, bool] = {}
        self.values = _Columns(self, 0)
        self.originals = _Columns(self, 1)

    def raw_column(self, name: str) -> list:
        """The cells of field *name* as written (None for an empty one), in row order."""
        return column(self._con, f"SELECT {ident('c%d' % self._positions[name])} AS v FROM {ident(self._raw)} "
                                 "ORDER BY rowid")

    def _build(self, name: str) -> None:
        f = self._fields[name]
        self._built.add(name)
        if f.type == "text" and self._trimmed.get(name) is False:
            # nothing to trim and blank cells NULL already: the values are the cells as written
            dict.__setitem__(self.values, name, self.raw_column(name))
            return
        linked = set(self.spec.key) | ({self.spec.parent[1]} if self.spec.parent is not None else set())
        conv = _Column(f.type, self._shared if f.type == "text" else None, name in linked, True)
        conv.feed(self.raw_column(name))
        dict.__setitem__(self.values, name, conv.values)
        if conv.originals:
            dict.__setitem__(self.originals, name, conv.originals)

    def sensitive_texts(self, name: str) -> set[str]:
        """The texts that identify a person in field *name*: each distinct value rendered and, where
        it was written otherwise, as written (trimmed), without building the column."""
        f = self._fields.get(name)
        if f is None:
            return set()
        c = ident("c%d" % self._positions[name])
        raw = ident(self._raw)
        # the values written as their own rendering, in SQL; the others (few) as the reader types them
        plain = (f"trim({c}, ' ') = {c}" if f.type == "text" else
                 _CANONICAL[f.type][1].format(c=c) if f.type in _CANONICAL else "FALSE")
        if f.type == "text" and not self._trimmed.get(name, True):
            return set(column(self._con, f"SELECT DISTINCT {c} AS v FROM {raw} WHERE {c} IS NOT NULL"))
        found = set(column(self._con, f"SELECT DISTINCT {c} AS v FROM {raw} WHERE {c} IS NOT NULL "
                                      f"AND coalesce({plain}, FALSE)"))
        odd = column(self._con, f"SELECT DISTINCT {c} AS v FROM {raw} WHERE {c} IS NOT NULL AND NOT coalesce({plain}, FALSE)")
        conv = _Column(f.type, None, False, True)
        conv.feed(odd)
        found.update(t for t in map(render, set(conv.values)) if t)
        found.update(t.strip() for t in conv.originals.values() if t and t.strip())
        return found

    # a Table is an attrs class with slots; these are set after it (the subclass has a __dict__)
    values: Any
    originals: Any


def _typed_select(tspec: TableSpec, positions: dict[str, int]) -> list[str]:
    """The typed columns read with the cells (``t<i>``, ``b<i>`` beside cell ``c<i>``): a value
    written in its type's canonical form typed in SQL, any other NULL (and not yet flagged)."""
    out = []
    for f in tspec.fields:
        canonical = _CANONICAL.get(f.type)
        if canonical is not None:
            i = positions[f.name]
            cast, ok = (s.format(c=ident(f"c{i}")) for s in canonical)
            out += [f"CASE WHEN coalesce({ok}, FALSE) THEN CAST({cast} AS {_SQL_TYPE[f.type]}) END AS {ident(f't{i}')}",
                    f"FALSE AS {ident(f'b{i}')}"]
    return out


def _type_the_rest(con: Any, raw: str, tspec: TableSpec, positions: dict[str, int]
                   ) -> tuple[list[str], list[str], dict[str, bool]]:
    """Finish typing *raw* (read with :func:`_typed_select`'s columns); (the SELECT list of the
    table's view over it, the fields held, whether each text field has a cell to trim). A text
    field is its cells as they are, or trimmed (a column added) where one needs it. A typed
    field's non-canonical distinct values are typed in Python, their rows updated; a field whose
    values are not all of its type (a date with a time of day) is not held (its rules run in Python)."""
    view: list[str] = []
    held: list[str] = []
    texts = [f for f in tspec.fields if f.type == "text"]
    r = ident(raw)
    # which text columns hold a cell to trim at all (most hold none: they are taken as they are)
    trims = con.execute("SELECT " + ", ".join(
        f"coalesce(bool_or(starts_with({c}, ' ') OR ends_with({c}, ' ')), FALSE)"
        for c in (ident(f"c{positions[f.name]}") for f in texts)) + f" FROM {r}").fetchone() if texts else ()
    trim = {f.name: t for f, t in zip(texts, trims)}
    for f in tspec.fields:
        i = positions[f.name]
        c, t, b = ident(f"c{i}"), ident(f"t{i}"), ident(f"b{i}")
        q, qbad = ident(f.name), ident(f.name + "__bad")
        if f.type == "text":
            if trim[f.name]:
                s = ident(f"s{i}")
                con.execute(f"ALTER TABLE {r} ADD COLUMN {s} VARCHAR")
                con.execute(f"UPDATE {r} SET {s} = NULLIF(trim({c}, ' '), '')")
                view.append(f"{s} AS {q}")
            else:
                view.append(f"{c} AS {q}")
            view.append(f"FALSE AS {qbad}")
            held.append(f.name)
            continue
        if f.type not in _CANONICAL:
            continue  # decimal: not held in SQL (its rules run in Python)
        odd = [row[0] for row in con.execute(f"SELECT DISTINCT {c} FROM {r} WHERE {c} IS NOT NULL AND {t} IS NULL")
               .fetchall()]
        parse = PARSERS[f.type]
        typed: dict[str, Any] = {}
        for text in odd:
            v = None if not text.strip() else parse(text)
            if v is not None and type(v) is not Invalid and (type(v) is not _PY_TYPE[f.type] or (
                    type(v) is int and v not in _BIGINT)):
                typed = {"": None}  # e.g. a datetime in a date column, an integer no BIGINT holds
                break
            typed[text] = v
        if "" in typed:
            continue
        if typed:
            sql_type = _SQL_TYPE[f.type]
            whens = " ".join(f"WHEN {lit(text)} THEN " + (
                "NULL" if v is None or type(v) is Invalid else f"CAST({lit(str(render(v)).replace('T', ' '))} AS {sql_type})")
                for text, v in typed.items())
            invalid = [lit(text) for text, v in typed.items() if type(v) is Invalid]
            flag = f"{c} IN ({', '.join(invalid)})" if invalid else "FALSE"
            con.execute(f"UPDATE {r} SET {t} = CASE {c} {whens} END, {b} = {flag} "
                        f"WHERE {c} IN ({', '.join(lit(text) for text in typed)})")
        view += [f"{t} AS {q}", f"{b} AS {qbad}"]
        held.append(f.name)
    return view, held, trim


def read_table(con: Any, path: Path, tspec: TableSpec, problems: list[InputProblem], shared: dict,
               version: str, duck_error: type[BaseException]) -> Table | None:
    """Table *tspec* read from *path* by DuckDB (relations ``raw__T`` and its view ``T``), or None when the
    file needs the Python reader (see the module docstring)."""
    if not _plain_file(path):
        return None
    columns = _header(path)
    if not columns or not columns[0]:
        return None
    by_lower = {f.name.lower(): f.name for f in tspec.fields}
    positions: dict[str, int] = {}
    for i, name in enumerate(columns):
        field = by_lower.get(name.strip().lower())
        if field is None or field in positions:
            return None  # an unknown or repeated column: the Python reader says so
        positions[field] = i
    if len(positions) != len(tspec.fields):
        return None
    raw = f"raw__{tspec.id}"
    spec_cols = "{" + ", ".join(f"{lit('c%d' % i)}: 'VARCHAR'" for i in range(len(columns))) + "}"
    try:
        con.execute(f"CREATE OR REPLACE TABLE {ident(raw)} AS SELECT {', '.join(['*'] + _typed_select(tspec, positions))} "
                    f"FROM read_csv({lit(str(path))}, header = true, auto_detect = false, columns = {spec_cols}, "
                    "delim = ',', quote = '', escape = '', strict_mode = true, null_padding = false, "
                    "ignore_errors = false)")
    except duck_error:
        con.execute(f"DROP TABLE IF EXISTS {ident(raw)}")
        return None
    nrows = con.execute(f"SELECT count(*) FROM {ident(raw)}").fetchone()[0]
    view, held, trim = _type_the_rest(con, raw, tspec, positions)
    # the table is a view of the cells as read and their typed columns, the text not copied (a
    # table's rowid is its rows' order of insertion: the file's order)
    con.execute(f"CREATE OR REPLACE VIEW {ident(tspec.id)} AS SELECT rowid AS _row, {', '.join(view)} "
                f"FROM {ident(raw)}")
    table = SqlTable(tspec, con, raw, positions, nrows, path.stem, columns, version, shared)
    table.held = held  # type: ignore[attr-defined]
    table._trimmed = trim
    return table
