"""The CSV report: one row per finding, for a spreadsheet. The last two columns say which IAPT
version's rules ran and why (the same on every row).

Any cell that a spreadsheet would take for a formula (one starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe, so a hostile value in a submission
cannot run anything when the report is opened.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator
from itertools import count, repeat
from typing import Any, TextIO

from ..result import Result
from ..spec import Spec
from ..findings import Findings, message_text, message_texts
from ._safe import any_active, visible
from ._view import Held, ReportView, Row, Run, plain_runs, ref_text

__all__ = ["COLUMNS", "neutralise", "write_csv"]

COLUMNS = ("id", "code", "severity", "table", "row", "line", "key", "field", "value", "message",
           "caused_by", "root_cause", "dataset_version", "version_reason")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """*cell* made safe for a spreadsheet: text a spreadsheet would evaluate gets a leading
    apostrophe; anything else is returned as it is.

    >>> neutralise('=HYPERLINK("http://x")'), neutralise("-1"), neutralise("LS1 4AP"), neutralise(3)
    ('\\'=HYPERLINK("http://x")', "'-1", 'LS1 4AP', 3)
    """
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def write_csv(result: Result, out: TextIO, *, redact: bool = False, spec: Spec | None = None) -> None:
    """Write one CSV row per finding of *result* to the text stream *out* (open it with
    ``newline=""``; ``encoding="utf-8-sig"`` lets spreadsheets see the UTF-8). *redact* masks
    personal identifiers."""
    view = ReportView(result, redact=redact, spec=spec)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    version, why = view.spec.version, result.version_reason
    runs = plain_runs(view)
    if runs is not None:
        _write_runs(writer, view, runs, neutralise(version), neutralise(why))
        return
    for rec in view.records():
        writer.writerow(_record_row(rec, version, why))


def _record_row(rec: dict[str, Any], version: Any, why: Any) -> list[Any]:
    """The CSV row of a finding's record (:meth:`ReportView.record`)."""
    cause = rec["caused_by"]
    key = "; ".join(f"{k}={'' if v is None else v}" for k, v in rec["key"].items())
    row = (rec["id"], rec["code"], rec["severity"], rec["table"] or "", rec["row"] or "", rec["line"] or "",
           key, rec["field"] or "", "" if rec["value"] is None else rec["value"], rec["message"],
           ref_text(cause), ref_text(cause["root"]) if cause else "", version, why)
    return [neutralise(c) for c in row]


_BLANK = {None: ""}


def _safe_column(col: list[Any]) -> list[Any]:
    """:func:`neutralise` of each text of *col* (None as an empty cell), in C but for the texts
    that start like a formula."""
    if None in col:
        col = list(map(_BLANK.get, col, col))
    starts = list(map(str.startswith, col, repeat(_FORMULA_START)))
    if True not in starts:
        return col
    return ["'" + c if s else c for c, s in zip(col, starts)]


def _write_runs(writer: Any, view: ReportView, runs: Iterator[Run | Row | Held], version: Any, why: Any) -> None:
    """Each finding's CSV row as :func:`_record_row` makes it from its record, a run of one
    rule's findings on one table at a time (:func:`plain_runs`), column by column: the cells
    that are the same for every finding of a rule made (and made safe) once, the others
    looked at in C where they hold nothing to make safe."""
    findings = view.result.findings
    assert isinstance(findings, Findings)
    tables = view.spec.tables
    sentence_of = functools.cache(findings.sentence_of)

    refs: dict[int | None, str] = {None: ""}  # a finding's reference (made safe) by its position

    def know(positions: list[int | None]) -> None:
        new = [k for k in set(positions).difference(refs) if k is not None]
        for k, (code, table, row) in zip(new, findings.refs_of(new)):
            refs[k] = neutralise(ref_text({"code": code, "table": table, "row": row}))

    for run in runs:
        if isinstance(run, Held):
            writer.writerow(_record_row(view.record(run.finding, run.position), version, why))
            continue
        if not isinstance(run, Run):  # a finding held whole
            writer.writerows(_rows(view, iter([run]), version, why))
            continue
        rule, n = run.rule, len(run.rows)
        names = tables[run.table].key
        if run.keys:
            parts = [[name + "=" + ("" if v is None else v) for v in col] if None in col else
                     list(map((name + "=").__add__, col))  # type: ignore[arg-type]  # (no None in it)
                     for name, col in zip(names, run.keys)]
            keys: Any = _safe_column(parts[0] if len(parts) == 1 else list(map("; ".join, zip(*parts))))
        else:
            keys = repeat("", n)
        value: Any = _safe_column(run.values[0]) if run.values else repeat("", n)
        messages = run.messages
        if messages is None:
            messages = message_texts(rule, run.values, run.others, run.expected, run.details)
            if run.roots is not None:
                messages = [t if r is None else t + sentence_of(r) for t, r in zip(messages, run.roots)]
        if any_active(tuple(messages)):
            messages = list(map(visible, messages))
        lines: Any = run.lines if None not in run.lines else ["" if v is None else v for v in run.lines]
        if run.causes is None:
            caused: Any = repeat("", n)
            rooted: Any = repeat("", n)
        else:
            know(run.causes)
            know(run.roots or [])
            caused = list(map(refs.__getitem__, run.causes))
            rooted = list(map(refs.__getitem__, run.roots or ()))
        writer.writerows(zip(count(run.start), repeat(neutralise(rule.code)), repeat(neutralise(rule.severity)),
                             repeat(neutralise(run.table)), run.rows, lines, keys,
                             repeat(neutralise(rule.field or "")), value, _safe_column(messages), caused, rooted,
                             repeat(version), repeat(why)))


def _rows(view: ReportView, rows: Iterator[Row], version: Any, why: Any) -> Iterator[list[Any]]:
    """Each finding's CSV row as :func:`write_csv` writes it from a record, with the cells that
    are the same for every finding of a rule made (and made safe) once."""
    findings = view.result.findings
    assert isinstance(findings, Findings)
    tables = view.spec.tables
    fixed: dict[tuple[int, str | None], tuple[Any, Any, Any, Any, tuple[str, ...]]] = {}
    sentence_of = functools.cache(findings.sentence_of)

    @functools.cache
    def ref(k: int) -> str:
        code, table, row = findings.ref_of(k)
        return neutralise(ref_text({"code": code, "table": table, "row": row}))

    for k, rule, table, row, line, key, values, other, detail, expected, cause, root in rows:
        parts = fixed.get((id(rule), table))
        if parts is None:
            names = tuple(f"{n}=" for n in tables[table].key) if table is not None else ()
            parts = fixed[(id(rule), table)] = (neutralise(rule.code), neutralise(rule.severity),
                                                neutralise(table or ""), neutralise(rule.field or ""), names)
        code, severity, where, field, names = parts
        shown = "; ".join([n + ("" if v is None else v) for n, v in zip(names, key)]) if table is not None and key else ""
        message = message_text(rule, values, other, expected, detail)
        if cause is None:
            caused = rooted = ""
        else:
            assert root is not None
            message += sentence_of(root)
            caused, rooted = ref(cause), ref(root)
        value = values[0] if values else None
        yield [k, code, severity, where, row or "", line or "", neutralise(shown), field,
               "" if value is None else neutralise(value), neutralise(visible(message)), caused, rooted, version, why]
