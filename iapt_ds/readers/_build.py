"""Turn a reader's raw rows into a column-wise :class:`~iapt_ds.model.Table`: map columns to the
spec, cleanse text, type every cell once, and note structural problems.

Memory is what matters here: a cell costs one list slot plus, shared through an intern table
for the whole submission, its value object (a patient's LocalPatientId is one string in every
table). The original text is kept only where it differs from the value's rendering.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import compress
from typing import Any

from ..cleanse import cleanse_column
from ..model import InputProblem, Table
from ..parse import PARSERS, parse_value, render
from ..spec import TableSpec

__all__ = ["TableBuilder"]

_CHUNK = 16384
_SAMPLE = 2048  # cells looked at to tell a column of identifiers from one of repeated values


class TableBuilder:
    """Collects one table's rows, then converts them column by column.

    *shared* is an intern table (dict) used across the tables of one submission; cells that are
    text are replaced by the one shared string with the same content.
    """

    def __init__(self, spec: TableSpec, source_name: str | None, columns: Sequence[str],
                 problems: list[InputProblem], *, source_types: dict[str, str] | None = None,
                 track_lines: bool = False, shared: dict | None = None, text_cells: bool = False) -> None:
        self.spec = spec
        self.source_name = source_name
        self.problems = problems
        self.columns = [c if isinstance(c, str) else str(c) for c in columns]
        self.ncols = len(self.columns)
        self.source_types = source_types or {}
        self.shared = shared if shared is not None else {}
        #: every cell is text or None (a CSV file), so no cell needs a type check
        self.text_cells = text_cells
        #: cells came in by add_columns, where an empty cell is NULL (no zero-length text)
        self.blank_is_null = False
        self._chunk: list[Sequence[Any]] = []
        self._cols: list[list] = [[] for _ in range(self.ncols)]
        self.nrows = 0
        self.lines = array("L") if track_lines else None
        self._map_columns()

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
                    self.spec.id, f"{self.spec.name} has a column {name!r} that the v2.0 IDB does not have",
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
        self.blank_is_null = True
        n = len(columns[0]) if columns else 0
        for col, values in zip(self._cols, columns):
            col.extend(values)
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
            if self.text_cells:  # shared when the table is built
                for col, values in zip(self._cols, zip(*self._chunk)):
                    col.extend(values)
            else:
                sd = self.shared.setdefault
                for col, values in zip(self._cols, zip(*self._chunk)):
                    col.extend([sd(v, v) if type(v) is str else v for v in values])
        self._chunk = []

    # -- result -------------------------------------------------------------------------------
    def build(self) -> Table:
        self._flush()
        n = self.nrows
        lines, first_line = self.lines, None
        if lines is not None and (n == 0 or lines[-1] - lines[0] == n - 1):
            # consecutive lines (no multi-line record, no blank line): keep only the first
            first_line, lines = (lines[0] if n else None), None
        table = Table(spec=self.spec, nrows=n, source_name=self.source_name, lines=lines, first_line=first_line,
                      source_columns=tuple(self.columns), source_types=dict(self.source_types))
        linked = set(self.spec.key)
        if self.spec.parent is not None:
            linked.add(self.spec.parent[1])
        for f in self.spec.fields:
            pos = self.field_pos.get(f.name)
            if pos is None:
                table.values[f.name] = [None] * n
                continue
            raw = self._cols[pos]
            self._cols[pos] = []
            if self.text_cells:
                table.values[f.name], originals = _convert_text_cells(
                    raw, f.type, self.shared if f.type == "text" else None, f.name in linked, self.blank_is_null)
            else:
                table.values[f.name], originals = _convert(raw, f.type)
            if originals:
                table.originals[f.name] = originals
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


def _convert_text_cells(raw: list, ftype: str, shared: dict | None, linked: bool, blank_is_null: bool
                        ) -> tuple[list, dict[int, str]]:
    """:func:`_convert` for a column whose cells are all text or None, doing the work once per
    *distinct* text: cleansing (or parsing), and for text, sharing one string object for equal
    values across the submission's tables (*shared*) where that pays: when the column repeats
    values or links rows to other tables (*linked*: the table's key or its parent's key). When
    *blank_is_null*, an empty cell is NULL as written (the CSV fast path), not a zero-length text.

    The columns are mapped through a dict of the distinct texts in C (``map``), so a row costs
    one dictionary look-up; rows are visited in Python only where a text must be kept as the
    original (it was trimmed, or does not render back as written)."""
    n = len(raw)
    if ftype == "text" and n > 4 * _SAMPLE and len(set(raw[:_SAMPLE])) > _SAMPLE // 2 and None not in raw:
        # mostly distinct values (identifiers): a set of them would cost more than it saves, so
        # when no cell needs trimming, only NULLs are looked for (and shared when linked)
        joined = "\0".join(raw)
        if not (joined.startswith(" ") or joined.endswith(" ") or "\0 " in joined or " \0" in joined):
            del joined
            blanks = "" in raw
            if shared is not None and linked:
                sd = shared.setdefault
                values = [sd(v, v) if v else None for v in raw] if blanks else list(map(sd, raw, raw))
            else:
                values = [v or None for v in raw] if blanks else raw
            if not blanks or blank_is_null:
                return values, {}
            return values, {i: "" for i, v in enumerate(raw) if v == ""}
    # one pass in C: each cell is looked up in a dict of the distinct texts seen so far; a text
    # not seen yet is cleansed (or parsed) and shared once, by the dict's __missing__
    canon = _Canon(ftype, shared if (shared is not None and ftype == "text") else None, blank_is_null)
    values = list(map(canon.__getitem__, raw))
    if ftype == "text" and not canon.kept and (shared is None or (not linked and len(canon) > n // 2)):
        # mostly distinct text not linking tables: sharing would not pay, keep the cells as read
        if not canon.changed:
            values = raw
    kept = canon.kept
    if not kept:
        return values, {}
    return values, {i: raw[i] for i in compress(range(n), map(kept.__contains__, raw))}


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

