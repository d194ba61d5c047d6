"""Turn a reader's raw rows into a column-wise :class:`~iapt_ds.model.Table`: map columns to the
spec, cleanse text, type every cell once, and note structural problems."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from ..cleanse import cleanse_column
from ..model import InputProblem, Table
from ..parse import PARSERS, Invalid, parse_value, render
from ..spec import TableSpec

__all__ = ["TableBuilder"]

_CHUNK = 16384
# text columns this short hold codes: share one string object per distinct value
_SHARE_TEXT_UP_TO = 4


class TableBuilder:
    """Collects one table's rows, then converts them column by column."""

    def __init__(self, spec: TableSpec, source_name: str, columns: Sequence[str],
                 problems: list[InputProblem], *, source_types: dict[str, str] | None = None,
                 track_lines: bool = False) -> None:
        self.spec = spec
        self.source_name = source_name
        self.problems = problems
        self.columns = [c if isinstance(c, str) else str(c) for c in columns]
        self.ncols = len(self.columns)
        self.source_types = source_types or {}
        self._chunk: list[Sequence[Any]] = []
        self._cols: list[list] = [[] for _ in range(self.ncols)]
        self.nrows = 0
        self.lines = array("l") if track_lines else None
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
        n = len(cells)
        if n != self.ncols:
            row = self.nrows + 1
            where = f"line {line}" if line is not None else f"row {row}"
            if n > self.ncols:
                extra = [render(c) for c in cells[self.ncols:]]
                self.problems.append(InputProblem(
                    self.spec.id, f"{self.spec.name} {where} has {n} cells but the header has {self.ncols};"
                    f" the extra cells are {extra!r}", row=row, line=line, value=repr(extra)))
                cells = cells[: self.ncols]
            else:
                self.problems.append(InputProblem(
                    self.spec.id, f"{self.spec.name} {where} has {n} cells but the header has {self.ncols};"
                    " the missing cells are read as blank", row=row, line=line))
                cells = list(cells) + [None] * (self.ncols - n)
        self._chunk.append(cells)
        self.nrows += 1
        if self.lines is not None:
            self.lines.append(line or 0)
        if len(self._chunk) >= _CHUNK:
            self._flush()

    def add_many(self, rows: Iterable[Sequence[Any]]) -> None:
        for r in rows:
            self.add(r)

    def _flush(self) -> None:
        if not self._chunk:
            return
        if self.ncols:
            for col, values in zip(self._cols, zip(*self._chunk)):
                col.extend(values)
        self._chunk = []

    # -- result -------------------------------------------------------------------------------
    def build(self) -> Table:
        self._flush()
        n = self.nrows
        table = Table(spec=self.spec, nrows=n, source_name=self.source_name, lines=self.lines,
                      source_columns=tuple(self.columns), source_types=dict(self.source_types))
        for f in self.spec.fields:
            pos = self.field_pos.get(f.name)
            if pos is None:
                column: list = [None] * n
                table.raw[f.name] = column
                table.values[f.name] = column
                continue
            raw = self._cols[pos]
            self._cols[pos] = []
            table.raw[f.name], table.values[f.name] = _convert(raw, f.type, f.max_length)
        for name, pos in self.extra_pos.items():
            table.extra[name] = [render(c) if not isinstance(c, str) else c for c in self._cols[pos]]
        self._cols = []
        return table


def _convert(raw: list, ftype: str, max_length: int | None) -> tuple[list, list]:
    """(original text column, typed value column) for one field."""
    if all(v is None or isinstance(v, str) for v in raw):
        if ftype == "text":
            if max_length is not None and max_length <= _SHARE_TEXT_UP_TO:
                shared: dict[str, str] = {}
                raw = [shared.setdefault(v, v) if v is not None else None for v in raw]
            return raw, cleanse_column(raw)
        return _convert_typed_text(raw, PARSERS[ftype])
    # in-memory rows may hold Python values of any type
    texts = []
    values = []
    for v in raw:
        texts.append(v if v is None or isinstance(v, str) else render(v))
        if ftype == "text":
            tv = parse_value("text", v)
            values.append(tv.strip(" ") or None if isinstance(tv, str) else tv)
        else:
            values.append(parse_value(ftype, v))
    return texts, values


class _TypedCache(dict):
    """text -> (canonical text, typed value); parses each distinct text once."""

    __slots__ = ("parser",)

    def __init__(self, parser) -> None:
        super().__init__()
        self.parser = parser

    def __missing__(self, text: str | None) -> tuple[str | None, Any]:
        if text is None or not text.strip():
            entry = (text, None)
        else:
            entry = (text, self.parser(text))
        self[text] = entry
        return entry


def _convert_typed_text(raw: list, parser) -> tuple[list, list]:
    cache = _TypedCache(parser)
    entries = list(map(cache.__getitem__, raw))
    texts = [e[0] for e in entries]
    values = [e[1] for e in entries]
    return texts, values


def invalid_cells(table: Table) -> Iterable[tuple[str, int, Invalid]]:
    """Every cell of *table* whose text did not parse into its field's type."""
    for f in table.spec.fields:
        if f.type == "text":
            continue
        for i, v in enumerate(table.values[f.name]):
            if type(v) is Invalid:
                yield f.name, i, v
