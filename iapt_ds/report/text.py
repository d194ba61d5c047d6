"""The text summary for a terminal: the file's outcome first, then the counts per severity, per
table and per code, then "fix these first" (the root causes ranked by how many rows each takes
down with it, grouped by code and field, file level first), then the rules that could not be checked.

It summarises: the individual findings are in the CSV, JSON and HTML reports.
"""

from __future__ import annotations

import textwrap
from typing import TextIO

from ..result import Result
from ..spec import Spec
from ._view import ReportView
from .explain import checks

__all__ = ["write_text"]

_WIDTH = 100
#: the most characters of one line of data the summary shows (the full text is in the other reports)
_CLIP = 1000


def _clip(text: str) -> str:
    """*text* cut to :data:`_CLIP` characters, saying how much is left out: a summary for a
    terminal never prints a multi-megabyte value (and wrapping one would take quadratic time)."""
    if len(text) <= _CLIP:
        return text
    return f"{text[:_CLIP]}… ({len(text) - _CLIP} more characters; the full text is in the JSON, CSV and HTML reports)"


def _wrap(text: str, indent: str, first: str | None = None) -> str:
    """*text* (clipped) wrapped to the terminal width; *first* starts the first line (default: *indent*)."""
    return "\n".join(textwrap.wrap(_clip(text), _WIDTH, initial_indent=indent if first is None else first,
                                   subsequent_indent=indent, break_long_words=True, break_on_hyphens=False))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def write_text(result: Result, out: TextIO, *, redact: bool = False, spec: Spec | None = None,
               top: int = 10) -> None:
    """Write the summary of *result* to the text stream *out*; *top* is how many root causes
    "fix these first" lists. *redact* masks personal identifiers."""
    view = ReportView(result, redact=redact, spec=spec)
    spec = view.spec
    w = out.write
    rejected_rows = sum(t.rejected for t in result.tables.values())
    if result.accepted:
        tail = f", but {_plural(rejected_rows, 'row')} would be rejected" if rejected_rows else ""
        w(f"ACCEPTED: SDCS would accept this file{tail}.\n")
    else:
        w("REJECTED: SDCS would reject the whole file; nothing in it would be loaded.\n")
    for label, value in view.checked():
        w(_wrap(value, " " * 20, f"  {label + ':':<18}") + "\n")
    if result.checked is not None:
        for warning in result.checked.warnings():
            w(_wrap(f"Warning: {warning}.", "    ", "  ") + "\n")

    file_findings = result.file_findings
    if file_findings:
        by_code: dict[str, list] = {}
        for f in file_findings:
            by_code.setdefault(f.code, []).append(f)
        w(f"\nWhy the file is rejected ({_plural(len(file_findings), 'file-level finding')} of "
          f"{_plural(len(by_code), 'code')}; any one rejects the file):\n")
        for code, items in sorted(by_code.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            first = items[0]
            more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
            w(_wrap(f"{code} × {len(items)}: {checks(spec.rules[code], spec)}", "  ") + "\n")
            w(_wrap(f"first at {view.where(first)}{more}: {view.message(first)}", "      ") + "\n")

    sev = result.counts_by_severity()
    w(f"\nFindings: {len(result.findings)} ({', '.join(f'{n} {s}' for s, n in sev.items())})\n")
    touched = [t for t in result.tables.values() if t.rejected or t.with_warnings]
    if touched:
        w(f"\n  {'Rows by table':<40} {'read':>8} {'accepted':>9} {'rejected':>9} {'warned':>7}\n")
        for t in touched:
            w(f"  {t.table + ' ' + t.name:<40} {t.read:>8} {t.accepted:>9} {t.rejected:>9} {t.with_warnings:>7}\n")

    codes = view.rules_present()
    if codes:
        counts = result.counts_by_code()
        w("\nBy code:\n")
        for code in codes:
            rule = spec.rules[code]
            first = f"  {code:<10} {rule.severity:<8} {counts[code]:>7}  "
            w(_wrap(checks(rule, spec), " " * len(first), first) + "\n")

    groups = view.fix_groups()
    if groups:
        w("\nFix these first (root causes by code and field: file level first, then by the rows each takes down):\n")
        for i, g in enumerate(groups[:top], 1):
            down = "rejects the file" if g["severity"] == "file" else f"takes down {_plural(g['rows'], 'row')}"
            field = f" {g['field']}" if g["field"] else ""
            w(f"  {i:>2}. {g['code']}{field}: {_plural(g['findings'], 'root cause')}, {down}\n")
            w(_wrap(f"e.g. {g['example']}: {g['message']}", "      ") + "\n")
        if len(groups) > top:
            w(f"  … and {len(groups) - top} more groups of root causes (all are in the HTML, xlsx, CSV and JSON "
              "reports).\n")

    if result.not_checked:
        w(f"\nNot checked ({_plural(len(result.not_checked), 'rule')}):\n")
        for code, why in result.not_checked.items():
            w(f"  {code:<10} {_clip(why)}\n")
