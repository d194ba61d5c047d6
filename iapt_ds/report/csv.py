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
from typing import Any, TextIO

from ..result import Result
from ..spec import Spec
from ..findings import Findings, message_text
from ._safe import visible
from ._view import ReportView, Row, plain_rows, ref_text

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
    rows = plain_rows(view)
    if rows is not None:
        writer.writerows(_rows(view, rows, neutralise(version), neutralise(why)))
        return
    for rec in view.records():
        cause = rec["caused_by"]
        key = "; ".join(f"{k}={'' if v is None else v}" for k, v in rec["key"].items())
        row = (rec["id"], rec["code"], rec["severity"], rec["table"] or "", rec["row"] or "", rec["line"] or "",
               key, rec["field"] or "", "" if rec["value"] is None else rec["value"], rec["message"],
               ref_text(cause), ref_text(cause["root"]) if cause else "", version, why)
        writer.writerow([neutralise(c) for c in row])


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
