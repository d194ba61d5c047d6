"""The findings ledger: every finding made so far and, per table, which rows are rejected and
why. Each stage of the pipeline (:mod:`iapt_ds.pipeline`) reads it and adds to it."""

from __future__ import annotations

from .findings import Finding
from .model import Submission, Table
from .spec import RuleSpec, Severity

__all__ = ["Ledger"]


class Ledger:
    """The findings so far and which rows they rejected: what every stage of the pipeline reads
    and adds to. It sits below the stages (they import it; it imports none of them)."""

    def __init__(self, submission: Submission) -> None:
        self.findings: list[Finding] = []
        self.rejected: dict[str, bytearray] = {tid: bytearray(t.nrows) for tid, t in submission.tables.items()}
        self.reason: dict[str, dict[int, Finding]] = {tid: {} for tid in submission.tables}
        self.warned: dict[str, set[int]] = {tid: set() for tid in submission.tables}

    def add(self, rule: RuleSpec, table: Table, i: int, *, other: str | None = None,
            detail: str | None = None, cause: Finding | None = None, expected: str | None = None) -> Finding:
        f = Finding(rule=rule, table=table.id, row=i + 1, key=table.key(i),
                    values=tuple(table.text(i, x) for x in rule.fields), other=other, detail=detail,
                    line=table.line(i), cause=cause, expected=expected)
        self.findings.append(f)
        if rule.severity is not Severity.WARNING:
            if not self.rejected[table.id][i]:
                self.rejected[table.id][i] = 1
                self.reason[table.id][i] = f
        else:
            self.warned[table.id].add(i)
        return f

    def add_file(self, rule: RuleSpec, *, table: str | None, detail: str | None = None,
                 line: int | None = None, value: str | None = None) -> Finding:
        f = Finding(rule=rule, table=table, row=None, values=(value,) if value is not None else (),
                    detail=detail, line=line)
        self.findings.append(f)
        return f

    def accepted(self, tid: str) -> list[bool]:
        return [not r for r in self.rejected[tid]]
