"""What every report writer shows of a :class:`~iapt_ds.result.Result`, in one place: each finding
as a flat record (redacted when asked), references to causes and root causes by position, the
ranked root causes. Writers only lay these out.

Findings are visited one at a time, so a writer streams millions of them without building one big
structure; only the findings that other findings point at (causes, root causes) are indexed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from itertools import count, repeat
from typing import Any, NamedTuple

import attrs

from ..errors import UsageError
from ..findings import Finding, Findings, message_texts
from ..result import Result
from ..spec import Severity, Spec, load_spec
from ._safe import any_active, visible
from .redact import Redactor

__all__ = ["ReportView", "ordinal_rank", "spec_of"]

_RANK = {"file": 0, "group": 1, "record": 2, "warning": 3}


def ordinal_rank(severity: str) -> int:
    """0 for the most serious severity (file) to 3 for a warning."""
    return _RANK[severity]


class ReportView:
    """A result as the writers show it. *redact* masks personal identifiers (see
    :mod:`iapt_ds.report.redact`)."""

    def __init__(self, result: Result, *, redact: bool = False, spec: Spec | None = None,
                 visible: bool = True) -> None:
        self.result = result
        #: show control, bidi and invisible characters of the data as marks (every report a person
        #: reads; the JSON report keeps the data exact)
        self.visible = visible
        self.spec = spec_of(result, spec)
        self.redacted = redact
        self._redactor = Redactor(self.spec, getattr(result, "identifiers", ()), self._untrusted(result)) \
            if redact else None
        findings = result.findings
        positions = result.root_cause_positions() if isinstance(findings, Findings) else None
        compact = findings if isinstance(findings, Findings) else Findings()
        self._causes_indexed = True
        self._key_names: dict[str, tuple[str, ...]] = {}
        self._root_refs: list[tuple[dict[str, Any], int]] | None = None
        self._roots_made: list[tuple[Finding, int]] | None = None
        if positions is not None:
            # stored compactly: the roots ranked by position; findings are made (and indexed) only
            # when a writer asks for them (root_causes(), index())
            ks, ns = list(positions), list(positions.values())
            refs = compact.refs_of(ks)
            keys = [(-n, code, table or "", row or 0) for n, (code, table, row) in zip(ns, refs)]
            order = sorted(range(len(ks)), key=keys.__getitem__)  # stable: ties keep their order
            ranked = [(ks[j], ns[j]) for j in order]
            self._held: dict[int, Finding] = {}  # the indexed findings are held: their identities stay valid
            self._index: dict[int, int] = {}
            self._causes_indexed = False
            self._root_refs = [({"id": ks[j], "code": refs[j][0], "table": refs[j][1], "row": refs[j][2]}, ns[j])
                               for j in order]
            self._root_positions = ranked
        else:
            self._roots_made = result.root_causes()
            wanted_ids = {id(f) for f, _ in self._roots_made}
            wanted_ids.update(id(f) for f in result.file_findings)
            for f in findings:
                if f.cause is not None:
                    wanted_ids.add(id(f.cause))
                    wanted_ids.add(id(f.root))
            self._index = {id(f): i for i, f in enumerate(findings) if id(f) in wanted_ids}

    def _untrusted(self, result: Result) -> set[tuple[str | None, int | None]]:
        """(table, row) of the rows whose cells did not line up with the header (a row-level
        structure finding): redaction masks all their values."""
        findings = result.findings
        if isinstance(findings, Findings):
            chosen: Any = (findings[k] for k in findings.positions_where(lambda r: r.kind == "structure"))
        else:
            chosen = (f for f in findings if f.rule.kind == "structure")
        return {(f.table, f.row) for f in chosen if f.row is not None}

    # ------------------------------------------------------------------ one finding

    def index(self, f: Finding) -> int | None:
        """The position of *f* in ``result.findings`` (known for causes, root causes and
        file-level findings)."""
        k = self._index.get(id(f))
        if k is None and not self._causes_indexed:
            self._index_causes()
            k = self._index.get(id(f))
        return k

    @property
    def _roots(self) -> list[tuple[Finding, int]]:
        if self._roots_made is None:
            findings = self.result.findings
            made = [(findings[k], n) for k, n in self._root_positions]
            for (f, _), (k, _) in zip(made, self._root_positions):
                self._held[k] = f
                self._index[id(f)] = k
            self._roots_made = made
        return self._roots_made

    def _index_causes(self) -> None:
        """Index the file's findings, the roots, and the causes and root causes of every cascade
        finding (compact store)."""
        findings = self.result.findings
        assert isinstance(findings, Findings)
        self._roots  # noqa: B018  (made and indexed)
        causes = set(findings.positions_where(lambda r: r.severity is Severity.FILE))
        causes.update(c for _, c in findings.cascades())
        causes.update(map(findings.root_of, list(causes)))
        for k in sorted(causes):
            if k not in self._held:
                f = self._held[k] = findings[k]
                self._index[id(f)] = k
        self._causes_indexed = True

    def ref(self, f: Finding) -> dict[str, Any]:
        """A short reference to a finding: its position, code, table and row."""
        return {"id": self.index(f), "code": f.code, "table": f.table, "row": f.row}

    def caused_by(self, f: Finding) -> dict[str, Any] | None:
        """The cause of a cascade finding, with the root cause at the end of its chain; None
        when *f* is not a cascade."""
        if f.cause is None:
            return None
        return {**self.ref(f.cause), "root": self.ref(f.root)}

    def _shown(self, f: Finding) -> Finding:
        shown = self._redactor.finding(f) if self._redactor is not None else f
        if self.visible:
            shown = _visible_finding(shown)
        return shown

    def _text(self, text: str) -> str:
        return visible(text) if self.visible else text

    def _message(self, f: Finding, shown: Finding) -> str:
        text = self._redactor.message(f, shown) if self._redactor is not None else shown.message
        return self._text(text)

    def shown(self, f: Finding) -> Finding:
        """*f* as the report shows it: with its values, key, compared value and detail masked
        when redacting (the finding itself otherwise)."""
        return self._shown(f)

    def _key(self, f: Finding, shown: Finding) -> dict[str, str | None]:
        if f.table is None or not shown.key:
            return {}
        return dict(zip(self.spec.tables[f.table].key, shown.key))

    def key(self, f: Finding) -> dict[str, str | None]:
        """The row's identifying values, by column name (masked when redacting)."""
        return self._key(f, self._shown(f))

    def record(self, f: Finding, index: int) -> dict[str, Any]:
        """The finding as a flat record, in the report's field order."""
        shown = self._shown(f)
        return {
            "id": index,
            "code": f.code,
            "severity": f.rule.severity,
            "table": f.table,
            "row": f.row,
            "line": f.line,
            "key": self._key(f, shown),
            "field": f.field,
            "value": shown.value,
            "other": shown.other,
            "message": self._message(f, shown),
            "caused_by": self.caused_by(f),
        }

    def flat(self, f: Finding) -> tuple[str, str, str]:
        """(key text, values text, message without the closing root-cause sentence) of *f*, as
        :meth:`key_text`, :meth:`values` and ``message(f, root=False)`` give them, but showing
        (masking) the finding once for the three: what a sheet of a million rows asks of each."""
        shown = self._shown(f)
        key = ""
        if f.table is not None and shown.key:
            names = self._key_names.get(f.table)
            if names is None:
                names = self._key_names[f.table] = tuple(f"{k}=" for k in self.spec.tables[f.table].key)
            key = "; ".join([k + ("" if v is None else v) for k, v in zip(names, shown.key)])
        values = ", ".join(["" if v is None else v for v in shown.values])
        return key, values, self._message(f, shown if f.cause is None else attrs.evolve(shown, cause=None))

    def findings(self) -> Iterator[Finding]:
        """Every finding in the result's order, streamed: one not read before is made for the
        caller and not kept in the result (see :meth:`iapt_ds.findings.Findings.stream`)."""
        stream = getattr(self.result.findings, "stream", None)
        return stream() if stream is not None else iter(self.result.findings)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every finding as a record, in the result's order."""
        for i, f in enumerate(self.findings()):
            yield self.record(f, i)

    def where(self, f: Finding) -> str:
        """``IDS002 row 1 (LocalPatientId R1Z0000101, …)``, masked when redacting."""
        if f.table is None:
            return "the file"
        if f.row is None:
            return f.table
        key = ", ".join(v for v in self.key(f).values() if v)
        return f"{f.table} row {f.row}" + (f" ({key})" if key else "")

    def message(self, f: Finding, *, root: bool = True) -> str:
        """The finding's message, masked when redacting; without the closing "Root cause: …"
        sentence of a cascade finding when *root* is false (where the root is shown anyway)."""
        shown = self._shown(f)
        if not root:
            shown = attrs.evolve(shown, cause=None)
        return self._message(f, shown)

    # ------------------------------------------------------------------ the whole result

    def root_causes(self) -> list[tuple[Finding, int]]:
        """Root-cause findings with the number of rows each takes down, most first."""
        return self._roots

    def fix_first(self) -> list[tuple[Finding, int]]:
        """What to fix, in order: every file-level finding first (any one rejects the whole file),
        then the other root causes by the rows each takes down; ties by code, table and row, so
        the order never depends on chance. Each with the rows it takes down (0 for a file-level
        finding that rejects no row of its own)."""
        down = {id(f): n for f, n in self._roots}
        items = [(f, down.get(id(f), 0)) for f in self.result.file_findings]
        seen = {id(f) for f, _ in items}
        items += [(f, n) for f, n in self._roots if id(f) not in seen]
        return sorted(items, key=lambda x: (x[0].rule.severity != "file", -x[1], x[0].code, x[0].table or "",
                                            x[0].row or 0))

    def fix_groups(self) -> list[dict[str, Any]]:
        """:meth:`fix_first` grouped by code and field ("IDS00115 NHSNumberStatus: 812 root
        causes taking down 812 rows"): file-level groups first (the most findings first), then by
        rows taken down, then by how many findings. Each group: code, severity, table, field, findings, rows, example (where
        the first one is) and message (the first one's)."""
        groups: dict[tuple[str, str | None], dict[str, Any]] = {}
        for f, n in self.fix_first():
            g = groups.get((f.code, f.field))
            if g is None:
                g = groups[(f.code, f.field)] = {
                    "code": f.code, "severity": f.rule.severity, "table": f.table, "field": f.field,
                    "findings": 0, "rows": 0, "example": self.where(f), "message": self.message(f), "first": f}
            g["findings"] += 1
            g["rows"] += n
        def rank(g: dict[str, Any]) -> tuple:
            if g["severity"] == "file":      # each rejects the whole file: the most widespread first
                return (0, -g["findings"], -g["rows"], g["code"], g["field"] or "")
            return (1, -g["rows"], -g["findings"], g["code"], g["field"] or "")

        return sorted(groups.values(), key=rank)

    def values(self, f: Finding) -> str:
        """The values of the rule's fields in the row, joined (masked when redacting)."""
        return ", ".join("" if v is None else v for v in self._shown(f).values)

    def key_text(self, f: Finding) -> str:
        """The row's identifying values as ``LocalPatientId=R1Z0000101; …`` (masked when redacting)."""
        return "; ".join(f"{k}={'' if v is None else v}" for k, v in self.key(f).items())

    def checked(self) -> list[tuple[str, str]]:
        """What was checked, as (label, value) lines every report shows: the source, the
        dataset version (and why), the period, provider, sender, submitted-at and the SDCS window
        it falls in, the tool and spec versions, the time of the run, the reference data."""
        r = self.result
        lines = [("source", self._text(r.source or "in-memory rows")), ("rules", self.version_line())]
        lines += [("version note", self._text(note)) for note in r.version_notes]
        run = getattr(r, "checked", None)
        if run is None:
            lines.append(("reporting period", r.period or "unknown"))
            return lines
        lines += [(label, self._text(value)) for label, value in run.lines()]
        if self.redacted:
            lines.append(("redacted", "NHS numbers, local patient identifiers, postcodes and birth dates are masked"))
        return lines

    def rules_present(self) -> list[str]:
        """The codes found, most serious first, then by code."""
        return sorted(self.result.counts_by_code(), key=lambda c: (ordinal_rank(self.spec.rules[c].severity), c))

    def dataset(self) -> dict[str, Any]:
        """The dataset validated against: name, version, and how and why that version was chosen."""
        r = self.result
        out: dict[str, Any] = {"name": self.spec.name, "version": self.spec.version}
        if r.version is not None:
            out.update(chosen_by=r.version.chosen_by, reason=r.version.reason, declared=r.version.declared,
                       notes=list(r.version.notes))
        return out

    def version_line(self) -> str:
        """One line for a person: which version's rules ran, and why."""
        return f"IAPT v{self.spec.version} rules ({self.result.version_reason})"

    def header(self) -> dict[str, Any]:
        """Everything about the result except the findings themselves."""
        r = self.result
        return {
            "outcome": r.outcome,
            "period": r.period,
            "source": r.source,
            "redacted": self.redacted,
            "counts": {"findings": len(r.findings), "by_severity": r.counts_by_severity(),
                       "by_code": r.counts_by_code()},
            "tables": {tid: {"name": t.name, "read": t.read, "accepted": t.accepted, "rejected": t.rejected,
                             "with_warnings": t.with_warnings} for tid, t in r.tables.items()},
            "checked": r.checked.as_dict() if r.checked is not None else None,
            "not_checked": dict(r.not_checked),
            "root_causes": ([{**ref, "rows_rejected": n} for ref, n in self._root_refs] if self._root_refs is not None
                            else [{**self.ref(f), "rows_rejected": n} for f, n in self._roots]),
        }


def spec_of(result: Result, spec: Spec | None = None) -> Spec:
    """The spec a report of *result* describes it with: the one its rules ran from (a v2.1 result
    in v2.1's words, whatever the default version is). *spec* is for a result that does not carry
    its spec (one built by hand); given for one that does, it must be that version's."""
    own = result.spec
    if own is not None:
        if spec is not None and spec is not own and (spec.name, spec.version) != (own.name, own.version):
            raise UsageError(f"this result was validated against {own.name} v{own.version} rules; "
                             f"a report cannot describe it with v{spec.version}'s (leave spec out)")
        return own
    if spec is not None:
        return spec
    return load_spec(version=result.dataset_version)


def _visible_finding(f: Finding) -> Finding:
    """*f* with its values, key, compared value and detail shown safely (see :mod:`._safe`)."""
    if not any_active((*f.values, *f.key, f.other, f.detail)):
        return f        # nearly always: one search, nothing made

    def safe(v: str | None) -> str | None:
        return visible(v) if v else v

    values = tuple(map(safe, f.values))
    key = tuple(map(safe, f.key))
    other, detail = safe(f.other), safe(f.detail)
    if values == f.values and key == f.key and other == f.other and detail == f.detail:
        return f
    return attrs.evolve(f, values=values, key=key, other=other, detail=detail)


def ref_text(ref: dict[str, Any] | None) -> str:
    """A finding reference (as in the JSON report's ``caused_by``/``root_cause``) in words:
    ``"IDS00211 at IDS002 row 7"``, ``"IDSREJ012 at file"``; empty for None."""
    if ref is None:
        return ""
    where = ref["table"] or "file"
    if ref["row"] is not None:
        where += f" row {ref['row']}"
    return f"{ref['code']} at {where}"


#: one finding as the fast writers see it: (position, rule, table id, row, line, key, values,
#: compared value, detail, expected, position of the cause, position of the root cause)
Row = tuple[int, Any, "str | None", "int | None", "int | None", tuple, tuple, "str | None", "str | None",
            "str | None", "int | None", "int | None"]


def plain_rows(view: ReportView) -> Iterator[Row] | None:
    """Every finding of *view*'s result as a plain tuple (:data:`Row`), straight from the compact
    store, without making a :class:`Finding` for a finding on a row: what the JSON and CSV
    writers lay out. Values are shown safely when the view shows them so; None when the view
    redacts or the findings are not stored compactly (the writers then go through
    :meth:`ReportView.records`)."""
    findings = view.result.findings
    if view._redactor is not None or not isinstance(findings, Findings):
        return None
    return _plain_rows(findings, view.visible)


class Run(NamedTuple):
    """Consecutive findings of one rule on rows of one table, column by column, as the fast
    writers lay them out (see :func:`plain_runs`); item *j* of each list is the run's *j*-th
    finding, at position ``start + j``."""

    start: int
    rule: Any
    table: str
    rows: list[int]                       # 1-based row numbers
    lines: list[int | None]
    keys: list[list[str | None]]          # one column per key field of the table
    values: list[list[str | None]]        # one column per field of the rule
    others: list[str | None]
    details: list[str | None]
    expected: list[str | None]
    causes: list[int | None] | None       # None: no finding of the run is a cascade
    roots: list[int | None] | None
    #: each finding's message, root-cause sentence and all, when the view made them (a
    #: redacting view: masked and scrubbed); None: the writer renders them from the columns
    messages: list[str] | None = None


class Held(NamedTuple):
    """A finding held whole (on no row) in a redacting view's :func:`plain_runs`: the writer
    lays it out from :meth:`ReportView.record`."""

    position: int
    finding: Finding


def plain_runs(view: ReportView, *, messages: bool = True) -> Iterator[Run | Row | Held] | None:
    """Every finding of *view*'s result, in order, straight from the compact store: a
    :class:`Run` for each run of findings of one rule on rows of one table, a :data:`Row` for a
    finding held whole (on no row). Values are shown safely when the view shows them so. When
    the view redacts, each run's columns are masked as :meth:`Redactor.finding` masks a finding
    and its messages made (:attr:`Run.messages`), and a finding held whole comes as
    :class:`Held` (*messages* false: a writer that shows no messages, none made). None when the
    findings are not stored compactly (the writers then go through :meth:`ReportView.records`)."""
    findings = view.result.findings
    if not isinstance(findings, Findings):
        return None
    if view._redactor is not None:
        return _redacted_runs(findings, view.visible, view._redactor, messages)
    return _plain_runs(findings, view.visible)


def _redacted_runs(findings: Findings, show: bool, redactor: Redactor, messages: bool = True) -> Iterator[Run | Held]:
    safe = (lambda v: visible(v) if v else v) if show else None
    sentence = functools.cache(findings.sentence_of)
    for run in _plain_runs(findings, False):
        if not isinstance(run, Run):
            k = run[0]
            f = findings.whole(k)
            assert f is not None
            yield Held(k, f)
            continue
        rule = run.rule
        keys, values, others, details, untrusted = redactor.run_columns(rule, run.table, run.rows, run.keys,
                                                                        run.values, run.others, run.details)
        if safe is not None:  # as the view shows a masked finding
            keys = [_shown_column(c, safe) for c in keys]
            values = [_shown_column(c, safe) for c in values]
            others, details = _shown_column(others, safe), _shown_column(details, safe)
        if not messages:
            yield run._replace(keys=keys, values=values, others=others, details=details)
            continue
        texts = message_texts(rule, values, others, run.expected, details)
        if run.roots is not None:
            texts = [t if r is None else t + sentence(r) for t, r in zip(texts, run.roots)]
        yield run._replace(keys=keys, values=values, others=others, details=details,
                           messages=redactor.run_messages(texts, rule, run.table, run.keys, run.values, untrusted))


def _plain_runs(findings: Findings, show: bool) -> Iterator[Run | Row]:
    safe = (lambda v: visible(v) if v else v) if show else None
    all_roots: Any = None
    for run in findings.row_runs():
        if len(run) == 2:
            k, f = run  # type: ignore[misc]
            if safe is not None:
                f = _visible_finding(f)
            yield (k, f.rule, f.table, f.row, f.line, f.key, f.values, f.other, f.detail, f.expected, None, None)
            continue
        start, rule, table, rows, others, details, expected, causes = run  # type: ignore[misc]
        # each field's texts once (a rule's field is often a key field too), each shown once
        columns: dict[str, list[str | None]] = {}
        for x in (*table.spec.key, *rule.fields):
            if x not in columns:
                col = table.texts(rows, x)
                columns[x] = col if safe is None else _shown_column(col, safe)
        keys = [columns[x] for x in table.spec.key]
        values = [columns[x] for x in rule.fields]
        if safe is not None:
            others, details = _shown_column(others, safe), _shown_column(details, safe)
        cause_list: list[int | None] | None = None
        roots: list[int | None] | None = None
        if causes is not None:
            if all_roots is None:
                all_roots = findings.roots()
            if -1 in causes:
                cause_list = [None if c < 0 else c for c in causes]
                roots = [None if c < 0 else all_roots[c] for c in causes]
            else:  # (every finding of the run is a cascade: in C)
                cause_list = list(causes)
                roots = list(map(all_roots.__getitem__, causes))
        yield Run(start, rule, table.id, list(map((1).__add__, rows)), table.lines_of(rows), keys, values,
                  others, details, expected, cause_list, roots)


def _shown_column(col: list[str | None], safe: Any) -> list[str | None]:
    """*col* with each text shown safely (*safe* of each); *col* itself when no text of it has
    anything to show otherwise (looked for once, over the distinct texts)."""
    distinct = set(col)
    distinct.discard(None)
    if not any_active(tuple(distinct)):
        return col
    return list(map(safe, col))


def _plain_rows(findings: Findings, show: bool) -> Iterator[Row]:
    for run in _plain_runs(findings, show):
        if not isinstance(run, Run):
            yield run
            continue
        n = len(run.rows)
        keys = zip(*run.keys) if run.keys else repeat((), n)
        values = zip(*run.values) if run.values else repeat((), n)
        yield from zip(count(run.start), repeat(run.rule, n), repeat(run.table, n), run.rows, run.lines, keys,
                       values, run.others, run.details, run.expected,
                       run.causes if run.causes is not None else repeat(None, n),
                       run.roots if run.roots is not None else repeat(None, n))
