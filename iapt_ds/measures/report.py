"""The measures preview as text, JSON and CSV (and an HTML section for the validation report).

Every form says it is a preview: NHS England publishes the figures from its post-deadline
extract, with a pipeline stage that is not public.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Callable
from typing import Any, TextIO

from ._compute import Preview
from .cost import HEADLINE
from .fix import cost_ranking, fix_costs
from .referral import MEASURES, ReferralMeasures
from .totals import COUNT_WORDS, Totals

__all__ = ["FORMATS", "BINARY_FORMATS", "write_measures", "write_text", "write_json", "write_csv", "write_xlsx",
           "html_section", "fix_costs", "cost_ranking", "measure_value", "TOTAL_LINES", "CSV_COLUMNS"]

PREVIEW_NOTE = ("A preview computed by iapt-ds from the rows SDCS would accept. NHS England publishes the real "
                "figures from its post-deadline extract; the definitions are published, the row-level "
                "reconstruction is iapt-ds's ('iapt-ds explain recovery' tells one measure, with its source and "
                "how sure it is).")

#: the totals shown, in order: (label, count or rate name)
TOTAL_LINES = (
    ("Referrals received", "received"),
    ("Entered treatment", "entered_treatment"),
    ("Ended referrals", "ended"),
    ("Finished a course of treatment", "finished"),
    ("  of which without paired scores", "finished_unpaired"),
    ("Not at caseness at the start", "not_at_caseness"),
    ("Recovered", "recovered"),
    ("Reliable improvement", "reliable_improvement"),
    ("Reliable deterioration", "reliable_deterioration"),
    ("No reliable change", "no_reliable_change"),
    ("Reliable recovery", "reliable_recovery"),
    ("Recovery rate", "recovery_rate"),
    ("Reliable improvement rate", "reliable_improvement_rate"),
    ("Reliable recovery rate", "reliable_recovery_rate"),
    ("6-week rate (finished)", "six_week_rate"),
    ("18-week rate (finished)", "eighteen_week_rate"),
    ("6-week rate (entered treatment)", "entered_six_week_rate"),
    ("18-week rate (entered treatment)", "entered_eighteen_week_rate"),
)

#: the per-referral lists the text report shows: (heading, measure, which referrals)
_DROPS: tuple[tuple[str, str, Callable[[ReferralMeasures], bool]], ...] = (
    ("Rejected referrals (they count in nothing)", "finished", lambda r: not r.accepted),
    ("Ended in the period without finishing treatment", "finished", lambda r: r.accepted and r.ended and not r.finished),
    ("Finished without paired scores", "paired", lambda r: r.finished and not r.paired),
    ("Finished at caseness without recovering", "recovered", lambda r: bool(r.caseness) and r.recovered is False),
    ("Finished without reliable improvement", "reliable_improvement",
     lambda r: r.finished and r.paired and r.reliable_improvement is False),
    ("Finished after waiting more than 6 weeks", "within_6_weeks", lambda r: r.finished and r.within_6_weeks is False),
)

CSV_COLUMNS = ("id", "patient", "row", "accepted", "rejected", "received", "discharged", "treatment_contacts",
               "internet_logs", "first_assessment", "first_treatment", "wait_days", "assessment_wait_days",
               "received_in_period", "entered_treatment", "ended", "finished", "descriptor", "descriptor_measure",
               "anxiety_measure", "phq9_first", "phq9_last", "phq9_scores", "anxiety_first", "anxiety_last",
               "anxiety_scores", "paired", "caseness", "recovered", "reliable_improvement", "reliable_deterioration",
               "no_reliable_change", "reliable_recovery", "within_6_weeks", "within_18_weeks") + tuple(
               f"why_{m}" for m in MEASURES)


def measure_value(t: Totals, name: str, *, target: bool = True) -> str:
    """A count, or a rate as ``1/2 = 50.0%`` (with its national target, when it has one and
    *target*)."""
    if name in t.counts:
        return str(t.counts[name])
    r = t.rates[name]
    text = str(r)
    return text + (f"  (target {r.target:.0%})" if target and r.target is not None else "")


_value = measure_value


def _change(now: Totals, then: Totals, name: str) -> str:
    if name in now.counts:
        d = then.counts[name] - now.counts[name]
        return f"{then.counts[name]} ({d:+d})" if d else ""
    a, b = now.rates[name], then.rates[name]
    if b.value is None or (a.numerator, a.denominator) == (b.numerator, b.denominator):
        return ""
    return str(b)           # the fraction as well as the rate: "3/4 = 75.0%"


def write_text(p: Preview, out: TextIO, *, limit: int = 20) -> None:
    """A summary for the terminal: the totals, what findings cost, who drops out and why."""
    start, end = p.period
    out.write(f"PREVIEW of the headline measures: IAPT v{p.version}, reporting period {start} to {end}\n")
    out.write(f"{p.source}\n" if p.source else "")
    out.write(f"{PREVIEW_NOTE}\n")
    if p.file_rejected:
        out.write("\nTHE FILE IS REJECTED: SDCS would load none of it, so every measure is 0 (see the cost below).\n")
    out.write(f"\nProvider totals ({p.totals.referrals} accepted referrals in the submission)")
    other = p.if_all_accepted
    if other is not None and other.counts != p.totals.counts:
        out.write("; in brackets: with every rejected row accepted")
    out.write("\n")
    for label, name in TOTAL_LINES:
        extra = _change(p.totals, other, name) if other is not None else ""
        out.write(f"  {label:<34} {_value(p.totals, name)}" + (f"   [{extra}]" if extra else "") + "\n")
    if p.costs:
        out.write("\nWhat the findings cost, most costly first\n")
        shown = cost_ranking(p)
        for i, c in enumerate(shown[:limit], 1):
            out.write(f"  {i:>2}. {c.words()}\n")
        rest = len(p.costs) - len(shown[:limit])
        if rest:
            out.write(f"  ... and {rest} more rule code{'' if rest == 1 else 's'} costing "
                      f"{'nothing on the headline measures' if len(shown) <= limit else 'less'}\n")
    for heading, measure, which in _DROPS:
        rows = [r for r in p.referrals if which(r)]
        if not rows:
            continue
        out.write(f"\n{heading}: {len(rows)}\n")
        for r in rows[:limit]:
            out.write(f"  {r.id or '(no ServiceRequestId)'} (IDS101 row {r.row}): {r.why.get(measure, '')}\n")
        if len(rows) > limit:
            out.write(f"  ... and {len(rows) - limit} more (--format csv lists every referral)\n")


def write_json(p: Preview, out: TextIO) -> None:
    """The whole preview as one JSON object (referrals streamed one by one)."""
    head: dict[str, Any] = {
        "preview": True, "note": PREVIEW_NOTE, "version": p.version, "source": p.source,
        "period": [str(p.period[0]), str(p.period[1])], "file_rejected": p.file_rejected,
        "totals": p.totals.as_dict(),
        "if_all_accepted": p.if_all_accepted.as_dict() if p.if_all_accepted is not None else None,
        "costs": [c.as_dict() for c in p.costs],
    }
    text = json.dumps(head, ensure_ascii=False, indent=1)
    out.write(text[:-2] + ',\n "referrals": [')
    for i, r in enumerate(p.referrals):
        out.write(("," if i else "") + "\n  " + json.dumps(r.as_dict(), ensure_ascii=False))
    out.write("\n ]\n}\n")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "Y" if v else "N"
    return str(v)


def write_csv(p: Preview, out: TextIO) -> None:
    """One row per referral: every measure and, per measure, why it does not count."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for r in p.referrals:
        d = r.as_dict()
        why = d.pop("why")
        row = [_cell(d[c]) if not c.startswith("why_") else why.get(c[4:], "") for c in CSV_COLUMNS]
        # a cell a spreadsheet would run as a formula is quoted with a leading apostrophe
        w.writerow(["'" + x if x[:1] in ("=", "+", "-", "@") and not x.lstrip("-").replace(".", "").isdigit()
                    else x for x in row])


def write_xlsx(p: Preview, out: Any) -> None:
    """The preview as an Excel workbook (the ``xlsx`` extra): Totals, Cost and Referrals sheets.
    *out* is a binary file object or a path."""
    from ..report.xlsx import _Book

    book = _Book(out)
    book.wb.set_properties({"title": "iapt-ds measures preview", "comments": "Made by iapt-ds"})
    other = p.if_all_accepted
    d = p.definitions
    status = {"recovered": "recovery"}

    def totals_rows() -> Any:
        for label, name in TOTAL_LINES:
            if name in p.totals.counts:
                now: Any = p.totals.counts[name]
                then: Any = other.counts[name] if other is not None else ""
                target: Any = ""
            else:
                r = p.totals.rates[name]
                now = r.value if r.value is not None else "n/a"
                then = (other.rates[name].value if other is not None and other.rates[name].value is not None else "")
                target = r.target if r.target is not None else ""
            e = d.explanations.get(status.get(name, name)) if d is not None else None
            yield (label.strip(), now, then, target, e.status if e is not None else "")

    intro = f"PREVIEW, reporting period {p.period[0]} to {p.period[1]}. {PREVIEW_NOTE}"
    book.table_sheet("Totals", ("measure", "now", "with every rejected row accepted", "target", "status"),
                     totals_rows(), widths=(34, 12, 20, 10, 12), numeric=("now", "with every rejected row accepted",
                                                                          "target"), intro=intro)
    book.table_sheet("Cost", ("rank", "code", "severity", "rows to fix", "referrals changed", *HEADLINE, "in words"),
                     ((i, c.code, c.rule.severity, sum(c.rows.values()), c.referrals,
                       *(c.gains.get(n, 0) for n in HEADLINE), c.words()) for i, c in enumerate(p.costs, 1)),
                     numeric=("rank", "rows to fix", "referrals changed", *HEADLINE), wrap=("in words",))
    columns = CSV_COLUMNS

    def referral_rows() -> Any:
        for r in p.referrals:
            dd = r.as_dict()
            why = dd.pop("why")
            yield [why.get(c[4:], "") if c.startswith("why_") else
                   (dd[c] if isinstance(dd[c], int) and not isinstance(dd[c], bool) else _cell(dd[c])) for c in columns]

    book.table_sheet("Referrals", columns, referral_rows(), numeric=("row", "treatment_contacts", "internet_logs",
                                                                   "wait_days", "assessment_wait_days", "phq9_scores",
                                                                   "anxiety_scores"))
    book.close()


FORMATS: dict[str, Callable[[Preview, Any], None]] = {"text": write_text, "json": write_json, "csv": write_csv,
                                                      "xlsx": write_xlsx}
#: formats written to a binary file
BINARY_FORMATS = frozenset({"xlsx"})


def write_measures(p: Preview, out: TextIO, format: str = "text") -> None:
    from ..errors import UsageError

    writer = FORMATS.get(format)
    if writer is None:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    writer(p, out)


def html_section(p: Preview, *, limit: int = 200) -> str:
    """A self-contained ``<section id="measures">`` for the HTML report (escaped, no script)."""
    e = lambda v: "" if v is None else html.escape(str(v), quote=True)  # noqa: E731
    other = p.if_all_accepted
    if other is not None and other.counts == p.totals.counts:
        other = None            # nothing rejected costs a measure: no column for it
    rows = []
    for label, name in TOTAL_LINES:
        extra = f"<td class=num>{e(_change(p.totals, other, name))}</td>" if other is not None else ""
        sub = ' class="sub"' if label.startswith(" ") else ""      # a part of the line above
        rows.append(f"<tr{sub}><th scope=row>{e(label.strip())}</th><td class=num>{e(_value(p.totals, name))}</td>"
                    f"{extra}</tr>")
    parts = [
        '<section id="measures" aria-labelledby="measures-h">',
        '<h2 id="measures-h">Headline measures (preview)</h2>',
        f'<p class="hint">{e(PREVIEW_NOTE)}</p>',
    ]
    if p.file_rejected:
        parts.append('<p class="hint"><strong>The file is rejected: SDCS would load none of it, so every measure '
                     'is 0.</strong></p>')
    parts += [
        f'<table class="measures"><caption>Reporting period {e(p.period[0])} to {e(p.period[1])}: '
        f'{p.totals.referrals} accepted referrals</caption>',
        '<thead><tr><th scope=col>Measure</th><th scope=col class=num>Now</th>'
        + ('<th scope=col class=num>With every rejected row accepted (blank: the same)</th>' if other is not None else '')
        + '</tr></thead><tbody>',
        *rows, "</tbody></table>",
    ]
    costly = cost_ranking(p)
    if costly:
        parts.append('<h3 id="measures-cost">What the findings cost, most costly first</h3><ol class=roots>')
        # the words name the code once ("fixing IDS00211 on 3 IDS002 rows ..."): shown as code there
        parts += ["<li>" + e(c.words()).replace(e(c.code), f"<code>{e(c.code)}</code>", 1) + "</li>"
                  for c in costly[:limit]]
        parts.append("</ol>")
    drops = []
    for heading, measure, which in _DROPS:
        lst = [r for r in p.referrals if which(r)]
        if lst:
            items = "".join(f"<li><code>{e(r.id)}</code>: {e(r.why.get(measure, ''))}</li>" for r in lst[:limit])
            more = f"<li>… and {len(lst) - limit} more</li>" if len(lst) > limit else ""
            drops.append(f"<details><summary>{e(heading)}: {len(lst)}</summary><ul>{items}{more}</ul></details>")
    if drops:
        parts.append("<h3>Who drops out, and why</h3>")
        parts += drops
    parts.append("</section>")
    return "\n".join(parts)


def count_words(name: str, n: int) -> str:
    one, many = COUNT_WORDS[name]
    return f"{n} {one if n == 1 else many}"
