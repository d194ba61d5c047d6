"""What validation finds: a small frozen :class:`Finding` per failed rule and row.

A finding keeps coordinates and values only; its message is rendered from the rule's template in
the spec when someone asks for it (:attr:`Finding.message`), so millions of findings stay cheap.
A finding made by the cascade links to the finding that rejected the related row
(:attr:`Finding.cause`); :attr:`Finding.root` follows that chain to the root cause.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

import attrs

from .spec import RuleSpec, Severity

if TYPE_CHECKING:  # pragma: no cover
    from .model import Table

__all__ = ["Severity", "Finding", "Findings"]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@functools.lru_cache(maxsize=None)
def _placeholders(template: str) -> frozenset[str]:
    """The names a message template fills in (``{value}``, ``{other}`` …), found once per rule."""
    return frozenset(name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template)
                     if name is not None)


@attrs.frozen(slots=True, eq=False)
class Finding:
    """One rule failing on one row (or on the file, for file-level findings without a row)."""

    rule: RuleSpec = attrs.field(repr=False)
    table: str | None
    row: int | None                     # 1-based data-row number in its table
    key: tuple[str | None, ...] = ()    # the row's identifying values (e.g. LocalPatientId)
    values: tuple[str | None, ...] = () # original text of the rule's fields, in its order
    other: str | None = None            # the value it was compared with, when there is one
    detail: str | None = None           # extra words (structure problems, duplicate counts …)
    line: int | None = None             # source line (CSV input)
    cause: Finding | None = attrs.field(default=None, repr=False)
    expected: str | None = attrs.field(default=None, repr=False)

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def rejects(self) -> bool:
        return self.rule.severity is not Severity.WARNING

    @property
    def fields(self) -> tuple[str, ...]:
        return self.rule.fields

    @property
    def field(self) -> str | None:
        return self.rule.fields[0] if self.rule.fields else None

    @property
    def value(self) -> str | None:
        return self.values[0] if self.values else None

    @property
    def is_cascade(self) -> bool:
        return self.cause is not None

    @property
    def root(self) -> Finding:
        """The finding at the end of the cause chain (this one when it is not a cascade)."""
        f = self
        while f.cause is not None:
            f = f.cause
        return f

    @property
    def message(self) -> str:
        """The rule's message for this finding, in plain words."""
        template = self.rule.message
        names = _placeholders(template)
        if not names:
            text = template  # the rule's words hold nothing of the finding: rendered once
        else:
            v = self.value
            data: dict[str, Any] = _Blank()
            if "value" in names:
                data["value"] = "" if v is None else v
            if "values" in names:
                data["values"] = ", ".join("" if x is None else x for x in self.values)
            if "other" in names:
                data["other"] = "" if self.other is None else self.other
            if "expected" in names:
                data["expected"] = self.expected or ""
            if "length" in names:
                data["length"] = len(v) if v is not None else 0
            if "detail" in names:
                data["detail"] = self.detail or ""
            text = template.format_map(data)
        if self.cause is not None:
            root = self.root
            where = f"{root.table} row {root.row}" if root.row is not None else (root.table or "the file")
            text += f" Root cause: {where} failed {root.code}."
        return text

    def where(self) -> str:
        if self.table is None:
            return "file"
        if self.row is None:
            return self.table
        key = ", ".join(k for k in self.key if k)
        return f"{self.table} row {self.row}" + (f" ({key})" if key else "")

    def __str__(self) -> str:
        return f"{self.where()}: {self.code} {self.rule.severity}: {self.message}"


class Findings(Sequence):
    """The findings of one validation, in order: a sequence of :class:`Finding`.

    A finding on a row is stored compactly — (rule, table, row index, compared value, detail,
    position of its cause, expected text) — and made into its :class:`Finding` (key, quoted
    values, source line, cause) the first time it is read; the same object is returned after
    that, so causes and identities stay stable. Validation thus never builds what nobody reads,
    and counting by rule or severity (:meth:`rules`) makes no finding at all.

    It compares equal to any sequence of the same findings (``result.findings == ()``)."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[Any] = []  # a Finding, or the tuple it will be made from

    # -- adding (the ledger) ------------------------------------------------------------------
    def add_row(self, rule: RuleSpec, table: Table, i: int, other: str | None, detail: str | None,
                cause: int | None, expected: str | None) -> int:
        """Store a finding on row *i* of *table*; *cause* is the position of the finding that
        rejected the related row. Returns its position."""
        self._entries.append((rule, table, i, other, detail, cause, expected))
        return len(self._entries) - 1

    def append(self, finding: Finding) -> int:
        self._entries.append(finding)
        return len(self._entries) - 1

    # -- reading ------------------------------------------------------------------------------
    def _build(self, k: int) -> Finding:
        rule, table, i, other, detail, cause, expected = self._entries[k]
        text = table.text
        return Finding(rule=rule, table=table.id, row=i + 1, key=table.key(i),
                       values=tuple([text(i, x) for x in rule.fields]), other=other, detail=detail,
                       line=table.line(i), cause=None if cause is None else self[cause], expected=expected)

    def _make(self, k: int) -> Finding:
        f = self._build(k)
        self._entries[k] = f
        return f

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, k: int) -> Finding: ...

    @overload
    def __getitem__(self, k: slice) -> tuple[Finding, ...]: ...

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(self[j] for j in range(*k.indices(len(self._entries))))
        e = self._entries[k]
        if type(e) is tuple:
            return self._make(k if k >= 0 else len(self._entries) + k)
        return e

    def __iter__(self) -> Iterator[Finding]:
        entries = self._entries
        for k in range(len(entries)):
            e = entries[k]
            yield self._make(k) if type(e) is tuple else e

    def stream(self) -> Iterator[Finding]:
        """Every finding in order, as iterating does, but a finding not yet made is made for the
        caller and not kept: a report streams a million findings through without the result
        growing by a million objects. (Its cause is kept, as reading it would keep it, so causes
        stay the same objects.)"""
        entries = self._entries
        build = self._build
        for k in range(len(entries)):
            e = entries[k]
            yield build(k) if type(e) is tuple else e

    def made(self) -> Iterator[tuple[int, Finding]]:
        """(position, finding) of the findings already made (read before), without making any."""
        for k, e in enumerate(self._entries):
            if type(e) is not tuple:
                yield k, e

    def cause_positions(self) -> set[int]:
        """The positions of the findings that are the cause of another, without making any."""
        out: set[int] = set()
        position: dict[int, int] | None = None
        for e in self._entries:
            if type(e) is tuple:
                if e[5] is not None:
                    out.add(e[5])
            elif e.cause is not None:
                if position is None:
                    position = {id(f): k for k, f in self.made()}
                at = position.get(id(e.cause))
                if at is not None:
                    out.add(at)
        return out

    def rules(self) -> Iterator[RuleSpec]:
        """The rule of each finding, in order, without making any :class:`Finding`."""
        for e in self._entries:
            yield e[0] if type(e) is tuple else e.rule

    def places(self) -> Iterator[tuple[RuleSpec, str | None, int | None]]:
        """(rule, table, 1-based row) of each finding, in order, without making any."""
        for e in self._entries:
            if type(e) is tuple:
                yield e[0], e[1].id, e[2] + 1
            else:
                yield e.rule, e.table, e.row

    def positions_where(self, test) -> list[int]:
        """Positions of the findings whose rule passes *test*, without making any."""
        return [k for k, rule in enumerate(self.rules()) if test(rule)]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Findings):
            return other is self or tuple(self) == tuple(other)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    # as a tuple of findings would: concatenation and repetition give tuples
    def __add__(self, other: Sequence[Finding]) -> tuple[Finding, ...]:
        return tuple(self) + tuple(other)

    def __radd__(self, other: Sequence[Finding]) -> tuple[Finding, ...]:
        return tuple(other) + tuple(self)

    def __mul__(self, n: int) -> tuple[Finding, ...]:
        return tuple(self) * n

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"<Findings: {len(self)}>"
