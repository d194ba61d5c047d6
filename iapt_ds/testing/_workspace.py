"""The bench a breaker works on: a copy of a valid submission's rows (by table id), the upload
details to validate it with, the rows marked to carry the broken code, and small tools to pick,
change, add and remove rows without losing track of them."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import assume, reject
from hypothesis import strategies as st

import attrs

from ..checks.context import ReferenceSets
from ..errors import UsageError
from ..spec import RuleSpec, Spec
from . import _values as V
from ._model import by_id, clean, field_of, table_of
from .strategies import upload_of

__all__ = ["Target", "Workspace", "clean", "day", "field_of", "sure_day", "table_of"]

Row = dict


def day(v: Any) -> _dt.date | None:
    """The date a cell holds (a date-time gives its date); None when it holds none."""
    text = clean(v)
    if text is None:
        return None
    try:
        return _dt.date.fromisoformat(text[:10]) if len(text) in (10, 19) else None
    except ValueError:
        return None


@attrs.frozen
class Target:
    """The rule a breaker breaks, as the breaker needs it: its table and field always named."""

    rule: RuleSpec

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def kind(self) -> str:
        return self.rule.kind

    @property
    def params(self) -> Mapping[str, Any]:
        return self.rule.params

    @property
    def fields(self) -> tuple[str, ...]:
        return self.rule.fields

    @property
    def table(self) -> str:
        return table_of(self.rule)

    @property
    def field(self) -> str:
        return field_of(self.rule)


def sure_day(v: Any) -> _dt.date:
    """The date a cell holds; the example is discarded (hypothesis) when it holds none."""
    d = day(v)
    if d is None:
        reject()
    return d


class Workspace:
    """One breaker's work on one submission."""

    def __init__(self, spec: Spec, rule: RuleSpec, rows: Mapping[str, list[Mapping]], draw,
                 also: frozenset[str] = frozenset()) -> None:
        self.spec, self.rule, self.draw = spec, rule, draw
        self.target = Target(rule)
        #: rules a changed date need not respect: the broken one and those that may come with it
        self.ignore = frozenset({rule.code}) | also
        self.names = {spec.table(name).id: name for name in rows}
        self.rows: dict[str, list[Row]] = {tid: [dict(r) for r in rs] for tid, rs in by_id(rows, spec).items()}
        self.upload: dict[str, Any] = upload_of(rows, spec)
        self.reference: dict[str, set[str]] = {}
        self.dropped: set[str] = set()
        self._marked: list[tuple[str, Row]] = []
        self._file_marks: set[tuple[str | None, None]] = set()

    # -- period ----------------------------------------------------------------------------------
    @property
    def period(self) -> tuple[_dt.date, _dt.date]:
        h = self.rows[self.spec.header][0]
        start, end = day(h["ReportingPeriodStartDate"]), day(h["ReportingPeriodEndDate"])
        if start is None or end is None:
            raise UsageError("the submission's header has no reporting period dates to break rules against")
        return start, end

    # -- choosing rows ---------------------------------------------------------------------------
    def pick(self, tid: str, where: Callable[[Row], bool] = lambda r: True) -> Row:
        """A drawn row of *tid* satisfying *where*; the example is discarded when there is none."""
        candidates = [r for r in self.rows[tid] if where(r)]
        assume(candidates)
        return self.draw(st.sampled_from(candidates))

    def parent(self, tid: str, row: Row, target: str) -> Row | None:
        """The row of *target* that *row* belongs to, following the spec's parent chain (the first
        row with the key, as SDCS joins one)."""
        while tid != target:
            parent = self.spec.tables[tid].parent
            if parent is None:
                return None
            ptable, key = parent
            k = clean(row.get(key))
            found: Row | None = next((p for p in self.rows[ptable] if k is not None and clean(p.get(key)) == k), None)
            if found is None:
                return None
            row, tid = found, ptable
        return row

    def descendants(self, tid: str, row: Row, target: str) -> list[Row]:
        """The rows of *target* that belong to *row* (of *tid*) through the parent chain."""
        if target == tid:
            return [row]
        if tid == self.spec.header:
            return list(self.rows[target])
        return [r for r in self.rows[target] if self.parent(target, r, tid) is row]

    def siblings(self, tid: str, row: Row) -> list[Row]:
        """The other rows of *row*'s table under the same parent row (all others for a table
        without a parent)."""
        parent = self.spec.tables[tid].parent
        if parent is None:
            return [r for r in self.rows[tid] if r is not row]
        key = clean(row.get(parent[1]))
        return [r for r in self.rows[tid] if r is not row and clean(r.get(parent[1])) == key]

    # -- drawing values --------------------------------------------------------------------------
    def value(self, tid: str, field: str, avoid: Callable[[str], bool] = lambda v: False) -> str:
        return self.draw(V.field_values(tid, field, self.spec).filter(lambda v: not avoid(v)))

    def fresh(self, tid: str, field: str) -> str:
        """An identifier of the field's width that no row of any table uses for that field name."""
        used = {clean(r.get(field)) for rows in self.rows.values() for r in rows}
        return self.draw(V.identifiers(V.width(tid, field, self.spec)[1]).filter(lambda v: v not in used))

    # -- changing rows ---------------------------------------------------------------------------
    def mark(self, tid: str, row: Row) -> None:
        """*row* is expected to carry the broken code."""
        self._marked.append((tid, row))

    def mark_file(self, tid: str | None) -> None:
        """The broken code is expected on the file (no row), for table *tid* or none."""
        self._file_marks.add((tid, None))

    def insert(self, tid: str, row: Row) -> Row:
        """Insert *row* into *tid* at a drawn position."""
        at = self.draw(st.integers(0, len(self.rows[tid])))
        self.rows[tid].insert(at, row)
        return row

    def remove(self, tid: str, rows: list[Row]) -> None:
        self.rows[tid] = [r for r in self.rows[tid] if not any(r is x for x in rows)]

    def refuse(self, lookup: str, value: str) -> None:
        """Supply reference data for *lookup* (``organisation``, ``gp_practice``, ``site``,
        ``postcode``) that knows every value the submission uses for it except *value*."""
        fields = [(table_of(r), field_of(r)) for r in self.spec.rules.values()
                  if r.kind == "reference_data" and r.params["lookup"] == lookup]
        cells = {clean(row.get(f)) for t, f in fields for row in self.rows[t]}
        known = {v for v in cells if v is not None and v != value}
        self.reference[f"{lookup}s"] = known

    # -- result ----------------------------------------------------------------------------------
    def expected(self) -> frozenset[tuple[str | None, int | None]]:
        out: set[tuple[str | None, int | None]] = set(self._file_marks)
        for tid, row in self._marked:
            index = next(i for i, r in enumerate(self.rows[tid]) if r is row)
            out.add((tid, index + 1))
        return frozenset(out)

    def result_rows(self) -> dict[str, list[Row]]:
        return {self.names.get(tid, self.spec.tables[tid].name): rows for tid, rows in self.rows.items()
                if tid not in self.dropped}

    def kwargs(self) -> dict[str, Any]:
        out = dict(self.upload)
        if self.reference:
            out["reference_data"] = ReferenceSets(**self.reference)
        return out
