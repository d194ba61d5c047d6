"""The result of validating a submission: file outcome, every finding, and the fate of every row.

>>> import iapt_ds
>>> result = iapt_ds.validate(iapt_ds.example_path())
>>> result.outcome, result.counts_by_severity()["file"]
(<Outcome.ACCEPTED: 'accepted'>, 0)
>>> result.outcome == "accepted"
True
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from itertools import compress, repeat
from operator import is_not
from typing import TYPE_CHECKING, Any

import attrs

from .checked import Checked
from .findings import Finding, Severity
from .version_choice import VersionChoice

if TYPE_CHECKING:  # pragma: no cover
    from .spec import Spec

__all__ = ["Outcome", "Result", "TableResult"]


class Outcome(str, enum.Enum):
    """What SDCS does with the file (or a row): a ``str``, ``Outcome.ACCEPTED == "accepted"``,
    written as its value in every report."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@attrs.frozen
class TableResult:
    """Row counts for one table. ``read == accepted + rejected`` always."""

    table: str
    name: str
    read: int
    accepted: int
    rejected: int
    with_warnings: int


@attrs.frozen(eq=False)
class Result:
    """What :func:`iapt_ds.validate` returns."""

    outcome: Outcome = attrs.field(converter=Outcome)  # the file's
    #: every finding in pipeline order (a :class:`~iapt_ds.findings.Findings`: each is made
    #: into a Finding when first read)
    findings: Sequence[Finding] = attrs.field(repr=False)
    tables: Mapping[str, TableResult] = attrs.field(repr=False)
    #: rule codes that could not be checked, with the reason (reference data, upload details)
    not_checked: Mapping[str, str] = attrs.field(repr=False)
    #: table id -> for each row, the position in ``findings`` of its first rejecting finding
    #: (None when the row is accepted)
    _reasons: Mapping[str, list] = attrs.field(repr=False, alias="reasons")
    period: str | None = None                      # YYYY-MM: the period chosen, else the header's
    source: str = ""
    #: which IAPT version's rules ran, and why (see :mod:`iapt_ds.version_choice`)
    version: VersionChoice | None = attrs.field(default=None, repr=False)
    #: the spec of that version
    spec: Spec | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def dataset_version(self) -> str:
        """The IAPT version whose rules ran (``'2.0'``, ``'2.1'``)."""
        if self.version is not None:
            return self.version.version
        return self.spec.version if self.spec is not None else "2.0"

    @property
    def version_reason(self) -> str:
        """Why that version, in words (e.g. ``DatSetVer in the header is '2.1'``)."""
        return self.version.reason if self.version is not None else "not recorded"

    @property
    def version_notes(self) -> tuple[str, ...]:
        """Mismatches found while choosing the version, each saying what was assumed."""
        return self.version.notes if self.version is not None else ()
    #: what was checked: the upload's details, the SDCS window, versions, time, reference data
    checked: Checked | None = attrs.field(default=None, repr=False)
    #: (the :attr:`identifiers`, or a function giving them: made on first use)
    _identifiers: Any = attrs.field(factory=frozenset, repr=False, alias="identifiers")

    @property
    def identifiers(self) -> frozenset[str]:
        """Every value the submission's sensitive fields hold (as text): what a redacted report
        masks wherever it appears (see :mod:`iapt_ds.report.redact`). Gathered the first time it
        is asked for (only a redacted report needs it)."""
        ids = self._identifiers
        if callable(ids):
            ids = frozenset(ids())
            object.__setattr__(self, "_identifiers", ids)
        return ids

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    def _rules(self) -> Iterator[Any]:
        """The rule of each finding, in order (without making the findings when they are stored
        compactly)."""
        rules = getattr(self.findings, "rules", None)
        return rules() if rules is not None else (f.rule for f in self.findings)

    def _at(self, k: int | None) -> Finding | None:
        return None if k is None else self.findings[k]

    @property
    def file_findings(self) -> tuple[Finding, ...]:
        where = getattr(self.findings, "positions_where", None)
        if where is not None:
            return tuple(self.findings[k] for k in where(lambda r: r.severity is Severity.FILE))
        return tuple(f for f in self.findings if f.rule.severity is Severity.FILE)

    def _rule_counts(self) -> list[tuple[Any, int]]:
        """(rule, how many findings it has) of each rule with findings (without making the
        findings when they are stored compactly)."""
        counts = getattr(self.findings, "rule_counts", None)
        return counts() if counts is not None else [(r, 1) for r in self._rules()]

    def counts_by_severity(self) -> dict[str, int]:
        c: Counter = Counter()
        for rule, n in self._rule_counts():
            c[rule.severity] += n
        return {s.value: c.get(s, 0) for s in Severity}

    def counts_by_code(self) -> dict[str, int]:
        c: Counter = Counter()
        for rule, n in self._rule_counts():
            c[rule.code] += n
        return dict(sorted(c.items()))

    def codes(self) -> set[str]:
        return {r.code for r in self._rules()}

    def _table_reasons(self, table: str) -> list:
        """The reason index of each row of *table* (a table id, or an IDB name)."""
        reasons = self._reasons.get(table) if isinstance(table, str) else None
        if reasons is None and isinstance(table, str) and self.spec is not None:
            tid = self.spec.table_names.get(table.lower())
            reasons = self._reasons.get(tid) if tid is not None else None
        if reasons is None:
            from .errors import UnknownNameError

            raise UnknownNameError(f"no table {table!r} in this result; its tables are {', '.join(self._reasons)}")
        return reasons

    def _row_reason(self, table: str, row: int) -> int | None:
        reasons = self._table_reasons(table)
        if isinstance(row, bool) or not isinstance(row, int) or not 1 <= row <= len(reasons):
            from .errors import UsageError

            rows = f"1 to {len(reasons)}" if reasons else "none: it has no rows"
            raise UsageError(f"row must be a row number of {table} (1-based; rows {rows}), got {row!r}")
        return reasons[row - 1]

    def reason(self, table: str, row: int) -> Finding | None:
        """Why row *row* (1-based) of *table* is rejected, or None when it is accepted."""
        return self._at(self._row_reason(table, row))

    def is_rejected(self, table: str, row: int) -> bool:
        return self._row_reason(table, row) is not None

    def rejected_rows(self, table: str) -> list[int]:
        """1-based numbers of the rejected rows of *table*."""
        return [i + 1 for i, r in enumerate(self._table_reasons(table)) if r is not None]

    def rows(self, table: str) -> Iterator[tuple[int, Outcome, Finding | None]]:
        """(row, accepted or rejected, reason) for every row of *table*."""
        for i, r in enumerate(self._table_reasons(table)):
            yield i + 1, (Outcome.ACCEPTED if r is None else Outcome.REJECTED), self._at(r)

    def findings_for(self, table: str, row: int | None = None, code: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.table == table and (row is None or f.row == row)
                and (code is None or f.rule.code == code)]

    def flatten(self, *attrs_: str) -> list[tuple[Any, ...]]:
        """Findings as tuples of the named attributes, e.g. ``flatten("code", "table", "row")``."""
        return [tuple(getattr(f, a) for a in attrs_) for f in self.findings]

    def _reason_counts(self) -> Counter:
        by_reason: Counter = Counter()
        for reasons in self._reasons.values():
            by_reason.update(reasons)
        by_reason.pop(None, None)
        return by_reason

    def root_cause_positions(self) -> dict[int, int] | None:
        """Position in ``findings`` of each root cause -> the rows whose rejection traces back
        to it, found without making any finding; None when the findings are not stored
        compactly."""
        all_roots = getattr(self.findings, "roots", None)
        if all_roots is None:
            return None
        root_of = all_roots().__getitem__
        counts: Counter = Counter()
        for reasons in self._reasons.values():
            # each finding is on one row, so it is the reason of one row at most
            counts.update(map(root_of, compress(reasons, map(is_not, reasons, repeat(None)))))
        return dict(counts)

    def root_causes(self) -> list[tuple[Finding, int]]:
        """Root-cause findings with the number of rows whose rejection traces back to each,
        most first: what to fix first."""
        findings = self.findings
        positions = self.root_cause_positions()
        if positions is not None:
            roots = [(findings[k], n) for k, n in positions.items()]
        else:
            counts: Counter = Counter()
            first: dict[int, Finding] = {}
            for k, n in self._reason_counts().items():
                root = findings[k].root
                counts[id(root)] += n
                first[id(root)] = root
            roots = [(first[k], n) for k, n in counts.items()]
        return sorted(roots, key=lambda x: (-x[1], x[0].rule.code, x[0].table or "", x[0].row or 0))

    def __repr__(self) -> str:
        sev = self.counts_by_severity()
        return (f"<Result {self.outcome}: {sev['file']} file, {sev['group']} group, {sev['record']} record, "
                f"{sev['warning']} warning findings>")
