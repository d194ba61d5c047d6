"""The Excel report: one workbook a data manager can sort, filter and share, with the sheets a
DQ report has (needs the ``xlsx`` extra: ``pip install 'iapt-ds[xlsx]'``, XlsxWriter).

Sheets, in order:

* **Summary** — the outcome in words, everything that was checked (source, period, provider,
  sender, submitted-at and its SDCS window, versions, time of the run, reference data), the counts;
* **Why rejected** — the file-level findings, one line per code, with how many and what to do;
* **Fix first** — root causes grouped by code and field, file level first, then by the rows each
  group takes down; then every root cause on its own, in the same order;
* **Findings** — every finding, one row each, with an autofilter and a frozen header;
  identifiers (NHS numbers, SNOMED CT ids, local ids) are text cells, so leading zeros and long
  digit strings survive; more than a sheet holds continues on "Findings (2)" and so on;
* **By code** — each code found, its type, how many, what it checks and what to do;
* **Rows by table** — read, accepted, rejected and warned rows per table;
* **Not checked** — the rules that could not be checked, and why.

The columns carry the names a user of SDCS extracts knows: table, row, field, code, message,
values, type, action. Every cell of text is written as a string, never as a formula, so a
hostile value in a submission cannot run anything. The workbook is written in XlsxWriter's
constant-memory mode: a million findings stream through without being held.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, Any

from ..errors import UsageError
from ..findings import Finding
from ..result import Result
from ..spec import Spec
from ._view import ReportView
from .explain import SEVERITY_WORDS, advice, checks

__all__ = ["write_xlsx", "SHEET_ROWS", "FINDING_COLUMNS"]

#: data rows a sheet holds below its header (Excel's limit is 1,048,576 rows in all)
SHEET_ROWS = 1_048_575

#: the Findings sheet's columns
FINDING_COLUMNS = ("id", "type", "code", "table", "row", "line", "key", "field", "values", "message",
                   "action", "root cause")

_WIDTHS = {"id": 8, "type": 16, "code": 11, "table": 8, "row": 8, "line": 8, "key": 36, "field": 26,
           "values": 22, "message": 70, "action": 50, "root cause": 26}

_MAX_CELL = 32_767  # characters Excel keeps in one cell


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


class _Book:
    """The workbook being written, with its formats."""

    def __init__(self, target: Any) -> None:
        try:
            import xlsxwriter
        except ImportError:
            raise UsageError("the xlsx report needs XlsxWriter: pip install 'iapt-ds[xlsx]'") from None
        self.wb = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                               "strings_to_urls": False, "strings_to_numbers": False,
                                               "in_memory": False})
        self.wb.set_properties({"title": "iapt-ds data quality report", "comments": "Made by iapt-ds"})
        add = self.wb.add_format
        self.head = add({"bold": True, "bg_color": "#E5E7EB", "border": 1, "text_wrap": True, "valign": "top"})
        self.title = add({"bold": True, "font_size": 16})
        self.bold = add({"bold": True})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.plain = add({"valign": "top"})
        self.label = add({"bold": True, "valign": "top"})
        self.count = add({"align": "left", "num_format": "#,##0"})
        self.number = add({"valign": "top"})
        self.verdict = {True: add({"bold": True, "font_size": 14, "font_color": "#FFFFFF", "bg_color": "#15803D"}),
                        False: add({"bold": True, "font_size": 14, "font_color": "#FFFFFF", "bg_color": "#9B1C1C"}),
                        None: add({"bold": True, "font_size": 14, "font_color": "#1F2937", "bg_color": "#FCD34D"})}

    def table_sheet(self, name: str, columns: Sequence[str], rows: Any, *, widths: Sequence[int] | None = None,
                    numeric: Sequence[str] = (), wrap: Sequence[str] = (), intro: str | None = None,
                    max_rows: int = SHEET_ROWS) -> int:
        """A sheet (or several, past *max_rows*) with a header, an autofilter and a frozen header
        row; *rows* are sequences in *columns*' order. Returns the number of sheets written."""
        numeric_at = {i for i, c in enumerate(columns) if c in numeric}
        wrap_at = {i for i, c in enumerate(columns) if c in wrap}
        sheets = 0
        ws = None
        r = first = 0
        count = 0

        def start() -> Any:
            nonlocal sheets, r, first
            sheets += 1
            ws = self.sheet(name if sheets == 1 else f"{name} ({sheets})"[:31])
            r = 0
            if intro:
                ws.write_string(0, 0, intro, self.plain)
                r = 2
            first = r
            if any(len(c) + 1 > (widths[i] if widths else 10) for i, c in enumerate(columns)):
                ws.set_row(r, 30)
            for i, c in enumerate(columns):
                ws.write_string(r, i, c, self.head)
                ws.set_column(i, i, widths[i] if widths else max(10, len(c) + 2), None)
            ws.freeze_panes(r + 1, 0)
            ws.repeat_rows(r)
            r += 1
            return ws

        def finish(ws: Any, last: int) -> None:
            ws.autofilter(first, 0, max(first, last), len(columns) - 1)

        ws = start()
        # what each column writes, chosen once per sheet, not per cell
        plain, wrapped, number = self.plain, self.wrap, self.number
        if not wrap_at:     # every row one line high: no alignment to set, so no style on each cell
            plain = number = None
        kinds = [2 if i in numeric_at else 1 if i in wrap_at else 0 for i in range(len(columns))]
        cap = [max(1, int((widths[i] if widths else 10) * 1.1)) for i in range(len(columns))]
        for row in rows:
            if count == max_rows:
                finish(ws, r - 1)
                ws = start()
                count = 0
            write_string, write_number = ws.write_string, ws.write_number
            if wrap_at:
                lines = max((-(-len(str(row[i] or "")) // cap[i]) for i in wrap_at), default=1)
                if lines > 1:
                    ws.set_row(r, 15 * min(lines, 20))
            i = 0
            for v in row:
                if v is not None and v != "":
                    k = kinds[i]
                    if k == 2 and (type(v) is int or type(v) is float):
                        write_number(r, i, v, number)
                    else:
                        text = v if type(v) is str else str(v)
                        if len(text) > _MAX_CELL:
                            text = text[: _MAX_CELL - 1] + "…"
                        write_string(r, i, text, wrapped if k == 1 else plain)
                i += 1
            r += 1
            count += 1
        finish(ws, r - 1)
        return sheets

    def sheet(self, name: str) -> Any:
        """A new sheet that prints landscape, one page wide, its header row on every page."""
        ws = self.wb.add_worksheet(name)
        ws.set_landscape()
        ws.set_paper(9)        # A4
        ws.fit_to_pages(1, 0)
        return ws

    def close(self) -> None:
        self.wb.close()


def _summary(book: _Book, view: ReportView) -> None:
    r = view.result
    ws = book.sheet("Summary")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 100)
    rejected_rows = sum(t.rejected for t in r.tables.values())
    if r.accepted:
        verdict = "ACCEPTED" + (f", with {rejected_rows} rejected rows" if rejected_rows else "")
        words = ("SDCS would accept this file" + (f", but {rejected_rows} rows would be rejected." if rejected_rows
                 else " and every row in it."))
        tone = None if rejected_rows else True
    else:
        verdict, words, tone = "REJECTED", "SDCS would reject the whole file: nothing in it would be loaded.", False
    ws.set_row(0, 24)
    ws.write_string(0, 0, verdict, book.verdict[tone])
    ws.write_string(0, 1, words, book.verdict[tone])
    row = 2
    ws.write_string(row, 0, "What was checked", book.title)
    row += 1
    for label, value in view.checked():
        ws.write_string(row, 0, label, book.label)
        ws.write_string(row, 1, _text(value), book.wrap)
        row += 1
    row += 1
    ws.write_string(row, 0, "Findings", book.title)
    row += 1
    ws.write_string(row, 0, "all", book.label)
    ws.write_number(row, 1, len(r.findings), book.count)
    row += 1
    for sev, n in r.counts_by_severity().items():
        ws.write_string(row, 0, SEVERITY_WORDS[sev] + "s", book.label)
        ws.write_number(row, 1, n, book.count)
        row += 1
    ws.write_string(row, 0, "rows rejected", book.label)
    ws.write_number(row, 1, rejected_rows, book.count)
    row += 1
    ws.write_string(row, 0, "rules not checked", book.label)
    ws.write_number(row, 1, len(r.not_checked), book.count)
    row += 2
    ws.write_string(row, 0, "Sheets", book.title)
    row += 1
    for name, what in (("Why rejected", "the file-level findings, by code"),
                       ("Fix first", "root causes grouped by code and field, most harmful first"),
                       ("Root causes", "each root cause on its own, in the same order, with the rows it takes down"),
                       ("Findings", "every finding, one row each (filter the header)"),
                       ("By code", "each code found, what it checks and what to do"),
                       ("Rows by table", "rows read, accepted, rejected and warned in each table"),
                       ("Not checked", "rules that could not be checked, and why")):
        ws.write_string(row, 0, name, book.label)
        ws.write_string(row, 1, what)
        row += 1


def write_xlsx(result: Result, out: IO[bytes] | str | os.PathLike, *, redact: bool = False,
               spec: Spec | None = None, max_rows: int = SHEET_ROWS, measures: Any = None) -> None:
    """Write *result* as an Excel workbook to *out*, a binary file object or a path. *redact*
    masks personal identifiers; *max_rows* is how many rows a sheet holds before the next one
    (Excel's limit unless told). *measures* (the Submission that was validated, or its
    :func:`iapt_ds.measures.compute`) adds a column to "Fix first": what each group costs in the
    headline measures."""
    if hasattr(out, "encoding") and not hasattr(out, "buffer"):
        raise UsageError("the xlsx report is binary: give a file opened in binary mode, or a path")
    from ..measures._compute import for_report
    from ..measures.fix import fix_costs

    preview = for_report(measures, result, redact=redact)
    cost = fix_costs(preview) if preview is not None else None
    view = ReportView(result, redact=redact, spec=spec)
    spec = view.spec
    book = _Book(out.buffer if hasattr(out, "buffer") and hasattr(out, "encoding") else out)
    action = {code: advice(spec.rules[code], spec) for code in result.counts_by_code()}
    kind = {code: SEVERITY_WORDS[spec.rules[code].severity] for code in action}
    counts = result.counts_by_code()

    _summary(book, view)

    file_codes = [c for c in view.rules_present() if spec.rules[c].severity == "file"]
    firsts: dict[str, Finding] = {}
    for f in result.file_findings:
        firsts.setdefault(f.code, f)
    book.table_sheet(
        "Why rejected", ("code", "type", "table", "field", "findings", "first at", "message", "checks", "action"),
        ((c, kind[c], spec.rules[c].table or "", spec.rules[c].field or "", counts[c], view.where(firsts[c]),
          view.message(firsts[c]), checks(spec.rules[c], spec), action[c]) for c in file_codes),
        widths=(11, 16, 8, 24, 10, 30, 70, 50, 50), numeric=("findings",), wrap=("message", "checks", "action"),
        intro=("Nothing is rejected at file level." if not file_codes else
               "Any one of these rejects the whole file. Every occurrence is on the Findings sheet (filter type)."),
        max_rows=max_rows)

    groups = view.fix_groups()
    roots = view.fix_first()
    costs = ("what it costs in the headline measures (preview)",) if cost is not None else ()
    book.table_sheet(
        "Fix first", ("rank", "code", "type", "table", "field", "root causes", "rows taken down", "example",
                      "message", "action", *costs),
        ((i, g["code"], kind.get(g["code"], g["severity"]), g["table"] or "", g["field"] or "", g["findings"],
          "whole file" if g["severity"] == "file" else g["rows"], g["example"], g["message"], action[g["code"]],
          *((cost(g["code"], g["severity"]),) if cost is not None else ()))
         for i, g in enumerate(groups, 1)),
        widths=(6, 11, 16, 8, 24, 12, 14, 32, 70, 50, *((50,) if costs else ())),
        numeric=("rank", "root causes", "rows taken down"), wrap=("message", "action", *costs),
        intro=("Nothing to fix." if not groups else
               "Fix from the top: file-level problems first, then the causes that take down the most rows. "
               "The sheet 'Root causes' lists each one."),
        max_rows=max_rows)
    book.table_sheet(
        "Root causes", ("rank", "code", "type", "table", "row", "key", "field", "values", "rows taken down",
                        "message", "action"),
        ((i, f.code, kind[f.code], f.table or "", f.row, view.key_text(f), f.field or "", view.values(f),
          "whole file" if f.rule.severity == "file" else n, view.message(f), action[f.code])
         for i, (f, n) in enumerate(roots, 1)),
        widths=(6, 11, 16, 8, 8, 36, 24, 22, 14, 70, 50), numeric=("rank", "row", "rows taken down"),
        max_rows=max_rows)

    # each rule's constant cells once: its type in words, its code, what to do
    constant = {code: (kind[code], code, action[code]) for code in action}

    def findings() -> Any:
        """The Findings sheet's rows, one finding at a time (nothing is held)."""
        flat = view.flat
        for i, f in enumerate(view.findings()):
            rule = f.rule
            word, code, todo = constant[rule.code]
            key, values, message = flat(f)
            cause = f.cause
            if cause is None:
                root_text = ""
            else:
                root = f.root
                root_text = f"{root.rule.code} at {root.table or 'file'}" + (
                    f" row {root.row}" if root.row is not None else "")
            yield (i, word, code, f.table or "", f.row, f.line, key, rule.fields[0] if rule.fields else "",
                   values, message, todo, root_text)

    book.table_sheet("Findings", FINDING_COLUMNS, findings(), widths=[_WIDTHS[c] for c in FINDING_COLUMNS],
                     numeric=("id", "row", "line"), max_rows=max_rows)

    book.table_sheet(
        "By code", ("code", "type", "table", "field", "findings", "status", "checks", "action"),
        ((c, kind[c], spec.rules[c].table or "", spec.rules[c].field or "", counts[c], spec.rules[c].status,
          checks(spec.rules[c], spec), action[c]) for c in view.rules_present()),
        widths=(11, 16, 8, 24, 10, 10, 70, 60), numeric=("findings",), wrap=("checks", "action"), max_rows=max_rows)
    book.table_sheet(
        "Rows by table", ("table", "name", "read", "accepted", "rejected", "with warnings"),
        ((t.table, t.name, t.read, t.accepted, t.rejected, t.with_warnings) for t in result.tables.values()),
        widths=(8, 30, 12, 12, 12, 14), numeric=("read", "accepted", "rejected", "with warnings"), max_rows=max_rows)
    book.table_sheet(
        "Not checked", ("code", "why not", "checks"),
        ((c, why, checks(spec.rules[c], spec)) for c, why in result.not_checked.items()),
        widths=(11, 50, 90), wrap=("why not", "checks"),
        intro=("Every rule was checked." if not result.not_checked else
               "These rules need what SDCS takes from the upload or national reference data."),
        max_rows=max_rows)
    book.close()
