"""Which dates a date cell may hold without failing a date rule, given every other value.

Read from the rules' kinds and parameters: each kind's own bounds on its field
(:meth:`~iapt_ds.checks.base.Kind.legal_dates`: ``valid_date``, ``date_min``,
``plausible_birth_date``, ``matches_upload`` (a header date is the period's),
``discharged_before_period`` (never before the period)), and the bounds between fields:
``date_compare`` both ways (this field against its bound, and other fields — on the same row, on
the rows below it, or anywhere for a header date — against this one) and
``onset_not_before_birth``. Rules
between rows (uniqueness, IDS00223) are the caller's concern.
"""

from __future__ import annotations

import datetime as _dt

from ..checks.values import add_months
from ..spec import RuleSpec
from ._model import table_of
from ._workspace import Row, Workspace, clean, day

__all__ = ["date_bounds", "shifted"]

_LATEST = _dt.date(9998, 12, 31)
_ONE = _dt.timedelta(days=1)


def shifted(d: _dt.date, rule: RuleSpec, sign: int = 1) -> _dt.date:
    """*d* moved by the rule's offset (``offset_days``/``offset_years``), or back by it."""
    p = rule.params
    if p.get("offset_days"):
        d += _dt.timedelta(days=sign * p["offset_days"])
    if p.get("offset_years"):
        d = add_months(d, sign * 12 * p["offset_years"])
    return d


def _other(ws: Workspace, rule: RuleSpec) -> tuple[str, str]:
    table, _, field = rule.params["other"].rpartition(".")
    return table or table_of(rule), field


def other_value(ws: Workspace, rule: RuleSpec, row: Row) -> _dt.date | None:
    """The date a ``date_compare`` rule compares *row*'s field with."""
    table, field = _other(ws, rule)
    if table == rule.table:
        return day(row.get(field))
    related = ws.rows[table][0] if table == ws.spec.header and ws.rows[table] else ws.parent(table_of(rule), row, table)
    return day(related.get(field)) if related is not None else None


def date_bounds(ws: Workspace, tid: str, row: Row, field: str,
                ignore: frozenset[str] = frozenset()) -> tuple[_dt.date, _dt.date]:
    """(earliest, latest) date for ``tid.field`` on *row* passing every date rule not in *ignore*."""
    lo, hi = _dt.date(1, 1, 2), _LATEST
    rps, rpe = ws.period
    for rule in ws.spec.rules.values():
        if rule.code in ignore:
            continue
        mine = (rule.table, rule.field) == (tid, field)
        kind = rule.kind
        legal = ws.spec.kinds[kind].legal_dates(rule, (rps, rpe)) if mine else None
        if legal is not None:   # the kind's own bounds on its field
            lo, hi = max(lo, legal[0] or lo), min(hi, legal[1] or hi)
        elif kind == "onset_not_before_birth" and _other_ref(rule.params["birth_date"], table_of(rule)) == (tid, field):
            for r in ws.descendants(tid, row, table_of(rule)):
                onset = clean(r.get(rule.field))
                if onset and len(onset) == 7 and onset[4] == "-" and onset[:4].isdigit() and onset[5:].isdigit():
                    y, m = int(onset[:4]), int(onset[5:])
                    if 1 <= m <= 12:
                        hi = min(hi, _dt.date(y + (m == 12), m % 12 + 1, 1) - _ONE)
        elif kind == "date_compare":
            if mine:
                o = other_value(ws, rule, row)
                if o is not None:
                    bound = shifted(o, rule)
                    if rule.params["op"] == "on_or_before":
                        hi = min(hi, bound)
                    else:
                        lo = max(lo, bound)
            if _other(ws, rule) == (tid, field):
                for r in ws.descendants(tid, row, table_of(rule)):
                    g = day(r.get(rule.field))
                    if g is None:
                        continue
                    if rule.params["op"] == "on_or_before":    # g <= F + offset
                        lo = max(lo, shifted(g, rule, -1))
                    else:                                       # g >= F + offset
                        hi = min(hi, shifted(g, rule, -1))
    return lo, hi


def _other_ref(ref: str, table: str) -> tuple[str, str]:
    t, _, f = ref.rpartition(".")
    return t or table, f
