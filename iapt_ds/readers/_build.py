"""Turn a reader's raw rows into a column-wise :class:`~iapt_ds.model.Table`: map columns to the
spec, cleanse text, type every cell once, and note structural problems.

Memory is what matters here: a cell costs one list slot plus, shared through an intern table
for the whole submission, its value object (a patient's LocalPatientId is one string in every
table). The original text is kept only where it differs from the value's rendering.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import compress, count, repeat
from operator import is_not, not_
from typing import Any

from ..cleanse import cleanse_column
from ..model import InputProblem, Table
from ..parse import PARSERS, parse_value, render
from ..spec import TableSpec

__all__ = ["TableBuilder"]

_CHUNK = 16384
#: a text column is taken as one of identifiers when more than half of a feed's cells (of at least
#: this many) are values it has not seen before
_SAMPLE = 64
#: a column of identifiers still has every this many feeds looked up, to see whether its values
#: have started to repeat
_RECHECK = 16
#: a feed of more cells than this (a whole column at once) is told by a sample of this many of them
_WHOLE = 2048
#: how far past the last slice's place a child table's column looks for its first value in the
#: parent's key column, and for its last past the first (plus a few rows a cell)
_REACH = 4096
#: the key under which a submission's intern table (*shared*) keeps the text key columns of the
#: tables read so far, (table id, field) -> values, for the look-ups of their child tables
_KEYS = object()


class TableBuilder:
    """Collects one table's rows, then converts them column by column.

    *shared* is an intern table (dict) used across the tables of one submission; cells that are
    text are replaced by the one shared string with the same content. It also keeps the key
    columns of the tables built so far (under :data:`_KEYS`), so that a child table read after its
    parent looks its parent's key up in the parent's own column (see :class:`_Column`).
    """

    def __init__(self, spec: TableSpec, source_name: str | None, columns: Sequence[str],
                 problems: list[InputProblem], *, source_types: dict[str, str] | None = None,
                 track_lines: bool = False, shared: dict | None = None, text_cells: bool = False,
                 blank_is_null: bool = False, version: str = "2.0") -> None:
        self.spec = spec
        self.version = version
        self.source_name = source_name
        self.problems = problems
        self.columns = [c if isinstance(c, str) else str(c) for c in columns]
        self.ncols = len(self.columns)
        self.source_types = source_types or {}
        self.shared = shared if shared is not None else {}
        #: every cell is text or None (a CSV file), so no cell needs a type check
        self.text_cells = text_cells
        #: an empty cell is NULL as written, never a zero-length text (the CSV fast path)
        self.blank_is_null = blank_is_null
        self._chunk: list[Sequence[Any]] = []
        self._cols: list[list] = [[] for _ in range(self.ncols)]
        self.nrows = 0
        self.lines = array("L") if track_lines else None
        self._map_columns()
        # with text cells, each field's column is converted as it comes (slice by slice), so the
        # text of a whole table is never held at once
        self._convs: dict[int, _Column] = {}
        if text_cells:
            linked = set(spec.key) | ({spec.parent[1]} if spec.parent is not None else set())
            types = {f.name: f.type for f in spec.fields}
            keys = self.shared.get(_KEYS)
            parent = keys.get(spec.parent) if keys and spec.parent is not None else None
            for name, pos in self.field_pos.items():
                ftype = types[name]
                conv = self._convs[pos] = _Column(ftype, self.shared if ftype == "text" else None, name in linked,
                                                  blank_is_null)
                if parent is not None and ftype == "text" and spec.parent is not None and name == spec.parent[1]:
                    conv.parent = parent

    # -- columns ------------------------------------------------------------------------------
    def _map_columns(self) -> None:
        by_lower = {f.name.lower(): f.name for f in self.spec.fields}
        self.field_pos: dict[str, int] = {}
        self.extra_pos: dict[str, int] = {}
        for i, name in enumerate(self.columns):
            key = name.strip().lower()
            field = by_lower.get(key)
            if field is None:
                self.extra_pos[name] = i
                self.problems.append(InputProblem(
                    self.spec.id, f"{self.spec.name} has a column {name!r} that the v{self.version} IDB does not have",
                    column=name))
            elif field in self.field_pos:
                self.extra_pos[f"{name} (column {i + 1})"] = i
                self.problems.append(InputProblem(
                    self.spec.id, f"{self.spec.name} has the column {field!r} twice", column=field))
            else:
                self.field_pos[field] = i
        for f in self.spec.fields:
            if f.name not in self.field_pos:
                self.problems.append(InputProblem(
                    self.spec.id, f"{self.spec.name} has no column {f.name!r}", column=f.name))

    # -- rows ---------------------------------------------------------------------------------
    def add(self, cells: Sequence[Any], line: int | None = None) -> None:
        """One row: None = NULL, '' = zero-length text, or any Python value."""
        n = len(cells)
        if n != self.ncols:
            cells = self._fit(cells, line)
        self._chunk.append(cells)
        self.nrows += 1
        if self.lines is not None:
            self.lines.append(line or 0)
        if len(self._chunk) >= _CHUNK:
            self._flush()

    def add_block(self, rows: list[list[str]], first_line: int) -> None:
        """Rows of text from consecutive source lines, where an empty cell is NULL (the CSV fast
        path: no quotes anywhere in the file)."""
        if any(len(r) != self.ncols for r in rows):
            for k, r in enumerate(rows):
                self.add([c if c else None for c in r], first_line + k)
            return
        self.add_columns([list(values) for values in zip(*rows)] if rows else [[] for _ in self._cols],
                         first_line)

    def add_columns(self, columns: Sequence[list[str]], first_line: int) -> None:
        """Whole columns of text, as many as the header has, from consecutive source lines, where
        an empty cell is NULL (the CSV fast path: no quotes anywhere in the file). The cells are
        converted, cleansed and shared when the table is built, once per distinct value."""
        self._flush()
        n = len(columns[0]) if columns else 0
        for pos, values in enumerate(columns[: self.ncols]):
            self._feed(pos, values)
        self.nrows += n
        if self.lines is not None:
            self.lines.extend(range(first_line, first_line + n))

    def _fit(self, cells: Sequence[Any], line: int | None) -> list:
        n = len(cells)
        row = self.nrows + 1
        where = f"line {line}" if line is not None else f"row {row}"
        if n > self.ncols:
            extra = [render(c) for c in cells[self.ncols:]]
            self.problems.append(InputProblem(
                self.spec.id, f"{self.spec.name} {where} has {n} cells but the header has {self.ncols};"
                f" the extra cells are {extra!r}", row=row, line=line, value=repr(extra)))
            return list(cells[: self.ncols])
        self.problems.append(InputProblem(
            self.spec.id, f"{self.spec.name} {where} has {n} cells but the header has {self.ncols};"
            " the missing cells are read as blank", row=row, line=line))
        return list(cells) + [None] * (self.ncols - n)

    def _flush(self) -> None:
        if not self._chunk:
            return
        if self.ncols:
            if self.text_cells:
                for pos, values in enumerate(zip(*self._chunk)):
                    self._feed(pos, list(values))
            else:
                sd = self.shared.setdefault
                for col, values in zip(self._cols, zip(*self._chunk)):
                    col.extend([sd(v, v) if type(v) is str else v for v in values])
        self._chunk = []

    def _feed(self, pos: int, cells: list) -> None:
        conv = self._convs.get(pos)
        if conv is not None:
            conv.feed(cells)
        else:
            self._cols[pos].extend(cells)

    # -- result -------------------------------------------------------------------------------
    def build(self) -> Table:
        self._flush()
        n = self.nrows
        lines, first_line = self.lines, None
        if lines is not None and (n == 0 or lines[-1] - lines[0] == n - 1):
            # consecutive lines (no multi-line record, no blank line): keep only the first
            first_line, lines = (lines[0] if n else None), None
        table = Table(spec=self.spec, nrows=n, source_name=self.source_name, lines=lines, first_line=first_line,
                      source_columns=tuple(self.columns), source_types=dict(self.source_types),
                      version=self.version)
        for f in self.spec.fields:
            pos = self.field_pos.get(f.name)
            if pos is None:
                table.values[f.name] = [None] * n
                continue
            conv = self._convs.get(pos)
            if conv is not None:
                table.values[f.name], originals = conv.values, conv.originals
            else:
                raw = self._cols[pos]
                self._cols[pos] = []
                table.values[f.name], originals = _convert(raw, f.type)
            if originals:
                table.originals[f.name] = originals
        if self.text_cells:  # the key columns, for the tables read after this one that it is parent of
            keys = self.shared.setdefault(_KEYS, {})
            for name in self.spec.key:
                pos = self.field_pos.get(name)
                if pos is not None and self._convs[pos].canon.ftype == "text":
                    keys[(self.spec.id, name)] = table.values[name]
        for name, pos in self.extra_pos.items():
            col = self._cols[pos]
            if self.blank_is_null:
                col = [c if c else None for c in col]
            table.extra[name] = [c if c is None or isinstance(c, str) else render(c) for c in col]
        self._cols = []
        return table


def _convert(raw: list, ftype: str) -> tuple[list, dict[int, str]]:
    """(typed values, {row: original text where it differs from the value's rendering})."""
    if all(v is None or type(v) is str for v in raw):
        if ftype == "text":
            values = cleanse_column(raw)
            if values is raw:
                return raw, {}
            return values, {i: r for i, (r, v) in enumerate(zip(raw, values)) if r is not v and r is not None}
        return _convert_typed_text(raw, PARSERS[ftype])
    # in-memory rows may hold Python values of any type
    values = []
    originals: dict[int, str] = {}
    for i, v in enumerate(raw):
        if v is None:
            values.append(None)
            continue
        if ftype == "text":
            tv = parse_value("text", v)
            value = (tv.strip(" ") or None) if type(tv) is str else tv
        else:
            value = parse_value(ftype, v)
        values.append(value)
        if type(v) is str and render(value) != v:
            originals[i] = v
    return values, originals


class _Column:
    """One field's column of text cells (text or None), converted slice by slice as it is read,
    with the work done once per *distinct* text: cleansing (or parsing), and for text, sharing
    one string object for equal values across the submission's tables (*shared*). When
    *blank_is_null*, an empty cell is NULL as written (the CSV fast path), not a zero-length text.

    A slice is mapped through a dict of the texts seen so far in C (``map``), so a row costs one
    dictionary look-up. A text column whose slices are mostly values not seen before (identifiers)
    is then read without a look-up per cell (:meth:`_feed_distinct`), unless it links tables
    (*linked*: the table's key or its parent's key), where sharing pays; every
    :data:`_RECHECK`-th slice of it is still looked up, and takes the column back to look-ups when
    its values repeat. A slice of more than :data:`_WHOLE` cells (a column fed whole) is told by a
    sample of its first cells instead. Which way a slice goes changes no value and no original
    text, only the time and the sharing of equal strings. Rows are visited in Python only where a text must be
    kept as the original (it was trimmed, or does not render back as written).

    A child table's column of its parent's key (*parent*: the parent's key column, read before)
    looks each slice up in the stretch of the parent's column that its first and last cells are
    found in, just past the last slice's (rows are most often written in their parent's order): a
    small dict of the parent's own strings, in the CPU's cache, instead of the submission's intern
    table of millions. A cell not in that stretch is cleansed and shared as any other; a slice
    whose first or last cell is not found near the last one's is read as any other, and the
    stretches are then tried again less and less often while that goes on."""

    __slots__ = ("canon", "linked", "values", "originals", "blank_is_null", "distinct", "_feeds", "parent",
                 "_cursor", "_wait", "_fails")

    def __init__(self, ftype: str, shared: dict | None, linked: bool, blank_is_null: bool) -> None:
        self.canon = _Canon(ftype, shared, blank_is_null)
        self.linked = linked
        self.blank_is_null = blank_is_null
        self.values: list = []
        self.originals: dict[int, str] = {}
        #: the column is taken as one of identifiers (text only)
        self.distinct = False
        self._feeds = 0
        #: the parent table's key column, for a child table's column of it
        self.parent: list | None = None
        self._cursor = 0  # where in it the last slice's last cell was found
        self._wait = 0    # slices to read as any other before trying the parent again
        self._fails = 0   # slices in a row not found in the parent

    def feed(self, cells: list) -> None:
        start = len(self.values)
        canon = self.canon
        if self.parent is not None and cells:
            if self._wait:
                self._wait -= 1
            elif self._feed_window(cells, start):
                return
        if self.distinct:
            self._feeds += 1
            if self._feeds % _RECHECK and None not in cells:
                self._feed_distinct(cells, start)
                return
        elif (canon.ftype == "text" and len(cells) > _WHOLE and len(set(cells[:_WHOLE])) * 2 > _WHOLE
              and None not in cells):
            self._feed_distinct(cells, start)
            return
        seen = len(canon)
        self.values.extend(map(canon.__getitem__, cells))
        if canon.ftype == "text" and len(cells) >= _SAMPLE:
            self.distinct = (len(canon) - seen) * 2 > len(cells)
        kept = canon.kept
        if kept:
            for i in compress(range(len(cells)), map(kept.__contains__, cells)):
                self.originals[start + i] = cells[i]

    def _feed_window(self, cells: list, start: int) -> bool:
        """Look a slice up in the stretch of the parent's key column that holds its first and last
        cells, found near the last slice's; False (nothing read) when they are not there."""
        parent = self.parent
        assert parent is not None
        cursor = self._cursor
        try:
            lo = parent.index(cells[0], cursor, cursor + _REACH)
            hi = parent.index(cells[-1], lo, lo + _REACH + 8 * len(cells))
        except ValueError:
            self._fails += 1
            self._wait = 1 << min(self._fails, 6)
            return False
        self._fails = 0
        self._cursor = hi
        canon = self.canon
        self.values.extend(map(_Window(parent[lo:hi + 1], canon).__getitem__, cells))
        kept = canon.kept
        if kept:
            for i in compress(range(len(cells)), map(kept.__contains__, cells)):
                self.originals[start + i] = cells[i]
        return True

    def _feed_distinct(self, cells: list, start: int) -> None:
        """Mostly distinct text: no look-up per distinct value; NULLs and cells to trim are found
        in C, and only those rows are visited (the values shared when they link tables)."""
        joined = "\0".join(cells)
        trim = joined.startswith(" ") or joined.endswith(" ") or "\0 " in joined or " \0" in joined
        del joined
        values = cells
        odd: list[int] = []
        if trim:
            # str.strip gives back the very object when there is nothing to strip
            values = list(map(str.strip, cells, repeat(" ")))
            odd = list(compress(count(), map(is_not, values, cells)))
        blanks = "" in values
        sd = self.canon.sd
        if sd is not None and self.linked:
            values = list(map(sd, values, values))
        elif blanks and values is cells:
            values = list(values)
        if blanks:  # the few blank cells are NULL
            for i in compress(count(), map(not_, values)):
                values[i] = None
        self.values.extend(values)
        originals = self.originals
        for i in odd:  # trimmed: the text as written is kept (as for any changed text)
            originals[start + i] = cells[i]
        if blanks and not self.blank_is_null:
            for i in compress(range(len(cells)), map("".__eq__, cells)):
                originals[start + i] = ""


class _Window(dict):
    """A stretch of a parent table's key column: each of its texts -> the parent's own string; any
    other text is given by the child column's canon (cleansed and shared as ever)."""

    __slots__ = ("canon",)

    def __init__(self, values: list, canon: _Canon) -> None:
        super().__init__(zip(values, values))
        self.canon = canon

    def __missing__(self, v: str | None) -> Any:
        return self.canon[v]


class _Canon(dict):
    """text -> its value, filled on first sight (``__missing__``): for text the cleansed string
    (one shared object per value across the submission when *shared* is given), otherwise the
    parsed value. Notes the texts whose original must be kept (*kept*) and whether any text
    changed (*changed*)."""

    __slots__ = ("ftype", "parse", "sd", "blank_is_null", "kept", "changed")

    def __init__(self, ftype: str, shared: dict | None, blank_is_null: bool) -> None:
        super().__init__()
        self[None] = None
        self.ftype = ftype
        self.parse = PARSERS.get(ftype)
        self.sd = shared.setdefault if shared is not None else None
        self.blank_is_null = blank_is_null
        self.kept: set[str] = set()
        self.changed = False

    def __missing__(self, v: str) -> Any:
        value: Any
        if self.ftype == "text":
            c = v.strip(" ") or None
            if c is not v:
                self.changed = True
                if v or not self.blank_is_null:
                    self.kept.add(v)
            value = c if c is None or self.sd is None else self.sd(c, c)
        elif not v.strip():
            value = None
            self.changed = True
            if v or not self.blank_is_null:
                self.kept.add(v)
        else:
            value = self.parse(v)  # type: ignore[misc]  # a parser exists for every type but text
            if render(value) != v:
                self.kept.add(v)
        self[v] = value
        return value


class _TypedCache(dict):
    """text -> (typed value, whether the text is the value's own rendering); each distinct text
    is parsed once."""

    __slots__ = ("parser", "odd")

    def __init__(self, parser) -> None:
        super().__init__()
        self.parser = parser
        self.odd = False

    def __missing__(self, text: str | None) -> tuple[Any, bool]:
        if text is None:
            entry = (None, True)
        elif not text.strip():
            entry = (None, False)
        else:
            value = self.parser(text)
            entry = (value, render(value) == text)
        if not entry[1]:
            self.odd = True
        self[text] = entry
        return entry


def _convert_typed_text(raw: list, parser) -> tuple[list, dict[int, str]]:
    cache = _TypedCache(parser)
    values = [e[0] for e in map(cache.__getitem__, raw)]
    if not cache.odd:
        return values, {}
    return values, {i: t for i, t in enumerate(raw) if not cache[t][1]}

