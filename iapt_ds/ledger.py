"""The findings ledger: every finding made so far and, per table, which rows are rejected and
why. Each stage of the pipeline (:mod:`iapt_ds.pipeline`) reads it and adds to it.

Findings are kept compactly (:class:`~iapt_ds.findings.Findings`) and referred to by position:
a row's reason and a cascade finding's cause are positions in :attr:`Ledger.findings`.
"""

from __future__ import annotations

from itertools import compress, count
from operator import not_

from .findings import Finding, Findings
from .model import Submission, Table
from .spec import RuleSpec, Severity

__all__ = ["Ledger"]


class Ledger:
    """The findings so far and which rows they rejected: what every stage of the pipeline reads
    and adds to. It sits below the stages (they import it; it imports none of them)."""

    def __init__(self, submission: Submission) -> None:
        self.findings = Findings()
        self.rejected: dict[str, bytearray] = {tid: bytearray(t.nrows) for tid, t in submission.tables.items()}
        #: table id -> {row index: position of the first finding that rejected it}
        self.reason: dict[str, dict[int, int]] = {tid: {} for tid in submission.tables}
        self.warned: dict[str, set[int]] = {tid: set() for tid in submission.tables}
        #: what a stage keeps for its own later steps in this validation (e.g. the cascade's
        #: accepted keys of a table), by a key of its choosing
        self.scratch: dict[tuple, object] = {}

    def add(self, rule: RuleSpec, table: Table, i: int, *, other: str | None = None,
            detail: str | None = None, cause: int | None = None, expected: str | None = None) -> int:
        """A finding on row *i* (0-based) of *table*; *cause* is the position of the finding that
        rejected the related row (cascade). Returns the new finding's position."""
        k = self.findings.add_row(rule, table, i, other, detail, cause, expected)
        if rule.severity is not Severity.WARNING:
            rejected = self.rejected[table.id]
            if not rejected[i]:
                rejected[i] = 1
                self.reason[table.id][i] = k
        else:
            self.warned[table.id].add(i)
        return k

    def add_many(self, rule: RuleSpec, table: Table, fails: list[tuple[int, str | None, str | None]],
                 expected: list[str | None] | None = None) -> None:
        """The findings of *rule* on *table*: one per (row, compared value, detail) of *fails*,
        in that order, as :meth:`add` would make them one by one (*expected*: each one's
        expected text, None for none)."""
        if not fails:
            return
        rows = [f[0] for f in fails]
        self._rejects(rule, table, rows, self.findings.add_rows(
            rule, table, rows, [f[1] for f in fails], [f[2] for f in fails], expected))

    def add_caused(self, rule: RuleSpec, table: Table, rows: list[int], causes: list[int | None]) -> None:
        """The cascade findings of *rule* on *rows* of *table*, in that order, each caused by the
        finding at the position *causes* gives (None: none), as :meth:`add` would make them one
        by one."""
        if not rows:
            return
        n = len(rows)
        self._rejects(rule, table, rows, self.findings.add_rows(rule, table, rows, [None] * n, [None] * n, None,
                                                                causes))

    def _rejects(self, rule: RuleSpec, table: Table, rows: list[int], k: int) -> None:
        """Mark *rows* rejected (or warned) by the findings of *rule* from position *k* on."""
        if rule.severity is not Severity.WARNING:
            rejected = self.rejected[table.id]
            # the rows not rejected before, each with its first finding here (in C but for those)
            fresh = list(compress(zip(rows, count(k)), map(not_, map(rejected.__getitem__, rows))))
            self.reason[table.id].update(reversed(fresh))  # a row listed twice: its first finding
            for i, _ in fresh:
                rejected[i] = 1
        else:
            self.warned[table.id].update(rows)

    def add_file(self, rule: RuleSpec, *, table: str | None, detail: str | None = None,
                 line: int | None = None, value: str | None = None) -> int:
        f = Finding(rule=rule, table=table, row=None, values=(value,) if value is not None else (),
                    detail=detail, line=line)
        return self.findings.append(f)

    def finding(self, k: int) -> Finding:
        """The finding at position *k*."""
        return self.findings[k]

    def accepted(self, tid: str) -> list[bool]:
        return list(map(not_, self.rejected[tid]))
