"""An independent model of what follows from a set of rejected rows: the referential-integrity
cascade, and the file rejections that count rows (IDSREJ002-005, 012, 015, 101).

It reads the submission's rows as text, written from the spec's cascade order and the rules'
descriptions rather than from the engine, so comparing it with :func:`iapt_ds.validate` checks
the engine's cascade. :func:`discrepancies` uses it to say whether a broken submission gave
exactly what its breaker promised.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..parse import parse_date
from ..spec import RuleSpec, Spec, load_spec

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Result
    from .breakers import Broken

__all__ = ["MODELLED_FILE_CODES", "cascade_findings", "discrepancies"]

#: file rejections the model predicts from the rows and their rejections
MODELLED_FILE_CODES = ("IDSREJ002", "IDSREJ003", "IDSREJ004", "IDSREJ005", "IDSREJ012", "IDSREJ015", "IDSREJ101")

Hit = tuple[str, "str | None", "int | None"]  # (code, table id, 1-based row or None)


def clean(v: Any) -> str | None:
    """A value as the rules compare text (and the cascade its keys): trimmed of ASCII spaces;
    blank is NULL."""
    if v is None:
        return None
    text = v if isinstance(v, str) else str(v)
    return text.strip(" ") or None


def _day(v: Any) -> _dt.date | None:
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    if not isinstance(v, str) or not v.strip():
        return None
    d = parse_date(v)
    if isinstance(d, _dt.datetime):
        return d.date()
    return d if isinstance(d, _dt.date) else None


def table_of(rule: RuleSpec) -> str:
    """The table *rule* checks (a breaker only breaks rules that name one)."""
    if rule.table is None:
        raise UsageError(f"{rule.code} names no table, so no breaker can break it")
    return rule.table


def field_of(rule: RuleSpec) -> str:
    """The (first) field *rule* checks (for the kinds whose breaker changes one cell)."""
    if rule.field is None:
        raise UsageError(f"{rule.code} ({rule.kind}) names no field, so its breaker has no cell to change")
    return rule.field



def parent_of(spec: Spec, tid: str) -> tuple[str, str]:
    """(parent table, key) of *tid*, for a table the caller knows has a parent."""
    parent = spec.tables[tid].parent
    if parent is None:
        raise UsageError(f"table {tid} has no parent table")
    return parent


def by_id(rows: Mapping[str, Iterable[Mapping]], spec: Spec) -> dict[str, list[Mapping]]:
    """Rows keyed by table id; a table not given has no rows."""
    out: dict[str, list[Mapping]] = {tid: [] for tid in spec.tables}
    for name, table_rows in rows.items():
        out[spec.table(name).id] = list(table_rows)
    return out


def cascade_findings(rows: Mapping[str, Iterable[Mapping]], rejected: Mapping[str, set[int]],
                     spec: Spec | None = None) -> set[Hit]:
    """The has_related findings and modelled file findings that follow when the rows in
    *rejected* (table id → 0-based indexes) are rejected before the cascade runs."""
    spec = spec or load_spec()
    tables = by_id(rows, spec)
    out: set[Hit] = set()
    rejected = {tid: set(rejected.get(tid, ())) for tid in spec.tables}
    for code in spec.cascade:                 # in SDCS's order; each sees the rejections before it
        rule = spec.rules[code]
        child, related, key = table_of(rule), rule.params["related"], rule.params["key"]
        accepted = {clean(r.get(key)) for j, r in enumerate(tables[related]) if j not in rejected[related]}
        for i, r in enumerate(tables[child]):
            k = clean(r.get(key))
            if k is not None and k not in accepted:
                out.add((code, child, i + 1))
                rejected[child].add(i)
    for tid, code in spec.mandatory_tables.items():
        if not tables[tid]:
            out.add((code, tid, None))
    header = tables[spec.header]
    if len(header) != 1 or 0 in rejected[spec.header]:
        out.add(("IDSREJ015", spec.header, None))
    referrals = tables["IDS101"]
    if referrals and len(rejected["IDS101"]) == len(referrals):
        out.add(("IDSREJ101", "IDS101", None))
    if header and not _in_period(tables, _day(header[0].get("ReportingPeriodStartDate")),
                                 _day(header[0].get("ReportingPeriodEndDate"))):
        out.add(("IDSREJ012", None, None))
    return out


def _in_period(tables: Mapping[str, list[Mapping]], start: _dt.date | None, end: _dt.date | None) -> bool:
    """Whether some referral is open during the period or some contact falls in it (IDSREJ012);
    without a usable period there is nothing to say."""
    if start is None or end is None:
        return True
    for r in tables["IDS101"]:
        received, discharged = _day(r.get("ReferralRequestReceivedDate")), _day(r.get("ServDischDate"))
        if (received is None or received <= end) and (discharged is None or discharged >= start):
            return True
    return any(start <= d <= end for d in (_day(c.get("CareContDate")) for c in tables["IDS201"]) if d)


def discrepancies(result: Result, broken: Broken, spec: Spec | None = None) -> list[str]:
    """What is wrong with *result* as the validation of *broken* (empty when nothing is):

    * the broken code must be on exactly the expected rows;
    * every other rejecting row must follow from those by the cascade (checked against the
      model), as must the modelled file rejections;
    * any other finding must be one the breaker declares may accompany the code.
    """
    spec = spec or result.spec or load_spec()
    hits = {(f.code, f.table, f.row) for f in result.findings}
    got = {(t, r) for c, t, r in hits if c == broken.code}
    problems = []
    if got != set(broken.expected):
        problems.append(f"{broken.code} on {sorted(got, key=str)}, expected on {sorted(broken.expected, key=str)}")
    modelled = set(spec.cascade) | set(MODELLED_FILE_CODES)
    rejected: dict[str, set[int]] = {}
    for f in result.findings:
        if f.rejects and f.row is not None and f.table is not None and f.code not in spec.cascade:
            rejected.setdefault(f.table, set()).add(f.row - 1)
    predicted = cascade_findings(broken.rows, rejected, spec)
    actual = {h for h in hits if h[0] in modelled}
    if broken.code in modelled:   # the code itself is checked against expected, above
        predicted = {h for h in predicted if h[0] != broken.code}
        actual = {h for h in actual if h[0] != broken.code}
    if actual != predicted:
        problems.append(f"cascade: unexpected {sorted(actual - predicted, key=str)}, "
                        f"missing {sorted(predicted - actual, key=str)}")
    extra = sorted({c for c, _, _ in hits} - modelled - {broken.code} - set(broken.also))
    if extra:
        problems.append(f"other codes: {extra} ({[str(f) for f in result.findings if f.code in extra][:5]})")
    return problems
