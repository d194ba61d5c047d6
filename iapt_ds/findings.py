"""What validation finds: a small frozen :class:`Finding` per failed rule and row.

A finding keeps coordinates and values only; its message is rendered from the rule's template in
the spec when someone asks for it (:attr:`Finding.message`), so millions of findings stay cheap.
A finding made by the cascade links to the finding that rejected the related row
(:attr:`Finding.cause`); :attr:`Finding.root` follows that chain to the root cause.
"""

from __future__ import annotations

from typing import Any

import attrs

from .spec import RuleSpec, Severity

__all__ = ["Severity", "Finding"]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


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
        v = self.value
        data: dict[str, Any] = _Blank(
            value="" if v is None else v,
            values=", ".join("" if x is None else x for x in self.values),
            other="" if self.other is None else self.other,
            expected=self.expected or "",
            length=len(v) if v is not None else 0,
            detail=self.detail or "",
        )
        text = self.rule.message.format_map(data)
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
