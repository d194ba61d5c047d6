"""The text summary for a terminal: the file's outcome first, then the counts per severity, per
table and per code, then "fix these first" (the root causes ranked by how many rows each takes
down with it, grouped by code and field, file level first), then the rules that could not be checked.

It summarises: the individual findings are in the CSV, JSON and HTML reports.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any, Callable, TextIO

from ..result import Result
from ..spec import Spec
from ._view import ReportView
from .explain import checks

if TYPE_CHECKING:  # pragma: no cover
    from ..measures import Preview

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
               top: int = 10, measures: Any = None) -> None:
    """Write the summary of *result* to the text stream *out*; *top* is how many root causes
    "fix these first" lists. *redact* masks personal identifiers. *measures* (the Submission
    that was validated, or its :func:`iapt_ds.measures.compute`) adds what each group of root
    causes costs in the headline measures, and those measures."""
    from ..measures._compute import for_report

    preview = for_report(measures, result, redact=redact)
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
    cost = None
    if preview is not None:
        from ..measures.fix import fix_costs

        cost = fix_costs(preview)
    if groups:
        w("\nFix these first (root causes by code and field: file level first, then by the rows each takes down):\n")
        for i, g in enumerate(groups[:top], 1):
            down = "rejects the file" if g["severity"] == "file" else f"takes down {_plural(g['rows'], 'row')}"
            field = f" {g['field']}" if g["field"] else ""
            w(f"  {i:>2}. {g['code']}{field}: {_plural(g['findings'], 'root cause')}, {down}\n")
            w(_wrap(f"e.g. {g['example']}: {g['message']}", "      ") + "\n")
            if cost is not None:
                w(_wrap(f"costs: {cost(g['code'], g['severity'])}", "      ") + "\n")
        if len(groups) > top:
            w(f"  … and {len(groups) - top} more groups of root causes (all are in the HTML, xlsx, CSV and JSON "
              "reports).\n")
    if preview is not None:
        _measures(w, preview, top)

    if result.not_checked:
        w(f"\nNot checked ({_plural(len(result.not_checked), 'rule')}):\n")
        for code, why in result.not_checked.items():
            w(f"  {code:<10} {_clip(why)}\n")


#: the headline figures the validation summary shows (``iapt-ds measures`` shows them all)
_HEADLINE_LINES = (("Finished a course of treatment", "finished"), ("Recovery rate", "recovery_rate"),
                   ("Reliable improvement rate", "reliable_improvement_rate"),
                   ("6-week rate (finished)", "six_week_rate"), ("18-week rate (finished)", "eighteen_week_rate"))


def _measures(w: Callable[[str], Any], p: Preview, top: int) -> None:
    """The headline measures (a preview) and the rule codes ranked by what they cost them."""
    from ..measures.fix import cost_ranking
    from ..measures.report import measure_value

    start, end = p.period
    w("\n" + _wrap(f"Headline measures, a PREVIEW for {start} to {end} on the rows SDCS would accept "
                   "('iapt-ds measures' tells every measure and who drops out):", "", "") + "\n")
    other = p.if_all_accepted
    for label, name in _HEADLINE_LINES:
        plain = measure_value(p.totals, name, target=False)
        then = measure_value(other, name, target=False) if other is not None else plain
        w(f"  {label + ':':<34} {measure_value(p.totals, name)}"
          + (f"   (with every rejected row accepted: {then})" if then != plain else "") + "\n")
    ranked = cost_ranking(p)
    if ranked:
        w("\nWhat the findings cost, most costly first:\n")
        for i, c in enumerate(ranked[:top], 1):
            w(_wrap(c.words(), "      ", f"  {i:>2}. ") + "\n")
        if len(ranked) > top:
            w(f"  … and {len(ranked) - top} more ('iapt-ds measures' lists them all).\n")
    elif p.costs:
        w("\nNo finding costs a headline measure.\n")
