"""Breakers for the rules about several rows: uniqueness, open records, referential integrity,
the pipeline rules (IDS00223, IDS10129, IDS20168, IDS20169) and the file-level rules (each kind
names its breaker: ``Testing(breaker=...)``)."""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict

from hypothesis import assume
from hypothesis import strategies as st

from . import _values as V
from ._bounds import date_bounds
from ._kinds import collides, good_value, pick, settle
from ._model import parent_of
from ._workspace import Row, Workspace, clean, day, sure_day

__all__ = ["droppable_tables"]

_ONE = _dt.timedelta(days=1)
def _gp_rule(ws: Workspace):
    """IDS00223: it compares a registration's end (its field) with the start of the patient's next one."""
    return next(r for r in ws.spec.rules.values() if r.kind == "consecutive_gp_registration")


def _gp_rule_table(ws: Workspace) -> str:
    return _gp_rule(ws).table


def _gp_start_end(ws: Workspace) -> tuple[str, str]:
    rule = _gp_rule(ws)
    return rule.params["start"], rule.field


def _follows_another(ws: Workspace, tid: str, row: Row) -> bool:
    gp_start, gp_end = _gp_start_end(ws)
    start = day(row.get(gp_start))
    return any((end := day(s.get(gp_end))) is not None and end + _ONE == start
               for s in ws.siblings(tid, row))


def _remove_with_descendants(ws: Workspace, tid: str, rows: list[Row]) -> None:
    for child, t in ws.spec.tables.items():
        if t.parent and t.parent[0] == tid:
            keys = {clean(r.get(t.parent[1])) for r in rows}
            _remove_with_descendants(ws, child, [c for c in ws.rows[child] if clean(c.get(t.parent[1])) in keys])
    ws.remove(tid, rows)


def duplicate(ws: Workspace) -> None:
    """unique: a copy of a row. The copy differs in a field of every other uniqueness key of
    the table that it need not share, and is closed when its original is open, so only this
    rule sees the pair. A GP registration copied is a closed one that follows no other, so that
    IDS00223 still finds what follows it."""
    r = ws.target
    tid, fields = r.table, r.params["fields"]
    gp = tid == _gp_rule_table(ws)

    def suitable(x: Row) -> bool:
        if gp:
            return day(x.get(_gp_start_end(ws)[1])) is not None and not _follows_another(ws, tid, x)
        return True
    row = pick(ws, suitable) if not gp else ws.pick(tid, suitable)
    for f in fields:
        if clean(row.get(f)) is None:
            row[f] = good_value(ws, tid, row, f)
            settle(ws, tid, row, f)
    assume(not collides(ws, tid, row))
    copy = dict(row)
    ws.insert(tid, copy)
    for other in ws.spec.rules_for(tid):
        if other.code == r.code:
            continue
        if other.kind == "unique" and not set(other.params["fields"]) <= set(fields):
            free = [f for f in other.params["fields"] if f not in fields]
            f = ws.draw(st.sampled_from(free))
            copy[f] = good_value(ws, tid, copy, f)
            settle(ws, tid, copy, f)
        elif other.kind == "one_open_per" and other.params["field"] not in fields \
                and clean(copy.get(other.params["field"])) is None:
            copy[other.params["field"]] = good_value(ws, tid, copy, other.params["field"])
    assume(not collides(ws, tid, copy, skip=r.code))
    key = tuple(clean(row.get(f)) for f in fields)
    for x in ws.rows[tid]:
        if tuple(clean(x.get(f)) for f in fields) == key:
            ws.mark(tid, x)


def two_open(ws: Workspace) -> None:
    """one_open_per: two rows of the same group left open (the field blank); for GP
    registrations, all of a patient's."""
    r = ws.target
    tid, per, field = r.table, r.params["per"], r.params["field"]
    groups: dict = defaultdict(list)
    for x in ws.rows[tid]:
        groups[clean(x.get(per))].append(x)
    keys = [k for k, rows in groups.items() if len(rows) >= 2]
    assume(keys)
    group = groups[ws.draw(st.sampled_from(keys))]
    if tid == _gp_rule_table(ws):
        # every registration: an open one is rejected, and a closed one before it would then
        # have no accepted registration following it (IDS00223)
        chosen = group
    else:
        chosen = ws.draw(st.lists(st.sampled_from(group), min_size=2, max_size=len(group), unique_by=id))
    for x in chosen:
        x[field] = None
        settle(ws, tid, x, field)
    for x in group:
        if clean(x.get(field)) is None:
            ws.mark(tid, x)


def orphan(ws: Workspace) -> None:
    """has_related: a row whose related row is not there — a child given an unknown parent key,
    or a parent whose related child rows are removed."""
    r = ws.target
    related, key = r.params["related"], r.params["key"]
    row = pick(ws, lambda x: clean(x.get(key)) is not None)
    if ws.spec.tables[r.table].parent == (related, key):
        row[key] = ws.fresh(r.table, key)
    else:
        _remove_with_descendants(ws, related, [x for x in ws.rows[related] if clean(x.get(key)) == clean(row.get(key))])
    ws.mark(r.table, row)


def double_booked(ws: Workspace) -> None:
    """one_attended_per_slot: a second attended contact in an attended contact's slot (a copy
    with a new id and an activity of its own)."""
    r = ws.target
    attended = set(r.params["attended"])
    activity_table = next(t for t, s in ws.spec.tables.items() if s.parent and s.parent[0] == r.table)
    contact_key = parent_of(ws.spec, activity_table)[1]
    row = ws.pick(r.table, lambda x: clean(x.get(r.field)) in attended
                  and any(clean(a.get(contact_key)) == clean(x.get(contact_key)) for a in ws.rows[activity_table]))
    copy = dict(row, **{contact_key: ws.fresh(r.table, contact_key)})
    ws.insert(r.table, copy)
    activity = dict(ws.pick(activity_table, lambda a: clean(a.get(contact_key)) == clean(row.get(contact_key))))
    activity_key = ws.spec.tables[activity_table].key[0]
    activity.update({contact_key: copy[contact_key], activity_key: ws.fresh(activity_table, activity_key)})
    ws.insert(activity_table, activity)
    slot = r.params["fields"]
    for x in ws.rows[r.table]:
        if all(clean(x.get(f)) == clean(row.get(f)) for f in slot):
            ws.mark(r.table, x)


def unfollowed(ws: Workspace) -> None:
    """consecutive_gp_registration: the open registration is given an end date that no other
    registration follows."""
    r = ws.target

    def room(x: Row) -> bool:
        if clean(x.get(r.field)) is not None:
            return False
        lo, hi = date_bounds(ws, r.table, x, r.field, ws.ignore)
        return lo <= hi
    row = ws.pick(r.table, room)
    start = r.params["start"]
    taken = {d - _ONE for s in ws.siblings(r.table, row) if (d := day(s.get(start)))}
    lo, hi = date_bounds(ws, r.table, row, r.field, ws.ignore)
    row[r.field] = ws.draw(st.dates(lo, hi).filter(lambda d: d not in taken)).isoformat()
    ws.mark(r.table, row)


def discharged_early(ws: Workspace) -> None:
    """discharged_before_period: a referral with no follow-up contact and no referral-level
    score is discharged before the period (its received date moved earlier when it must be)."""
    r = ws.target
    start, _ = ws.period
    p = r.params
    follow_up, sri, kind_field = p["follow_up_app_type"], p["key"], p["follow_up_field"]

    def free(x: Row) -> bool:
        k = clean(x.get(sri))
        return not any(clean(c.get(sri)) == k and clean(c.get(kind_field)) == follow_up
                       for c in ws.rows[p["follow_up_table"]]) \
            and not any(clean(s.get(sri)) == k for s in ws.rows[p["scores_table"]])
    row = ws.pick(r.table, free)
    received = "ReferralRequestReceivedDate"
    if (got := day(row.get(received))) is None or got >= start:
        lo, hi = date_bounds(ws, r.table, row, received)
        assume(lo <= min(hi, start - _ONE))
        row[received] = ws.draw(st.dates(lo, min(hi, start - _ONE))).isoformat()
    row[r.field] = ws.draw(st.dates(sure_day(row[received]), start - _ONE)).isoformat()
    settle(ws, r.table, row, r.field)
    ws.mark(r.table, row)


def no_activity(ws: Workspace) -> None:
    """attended_has_activity: an attended contact loses its activities (and their scores)."""
    r = ws.target
    attended = set(r.params["attended"])
    row = ws.pick(r.table, lambda x: clean(x.get(r.field)) in attended)
    for child, t in ws.spec.tables.items():
        if t.parent and t.parent[0] == r.table:
            k = clean(row.get(t.parent[1]))
            _remove_with_descendants(ws, child, [c for c in ws.rows[child] if clean(c.get(t.parent[1])) == k])
    ws.mark(r.table, row)


def droppable_tables(ws: Workspace) -> list[str]:
    """Tables whose rows no other rule reads: no child tables, not needed by a patient or the
    file, not read by a pipeline rule (IDS606 holds IDS10129's PEQ scores)."""
    spec = ws.spec
    parents = {t.parent[0] for t in spec.tables.values() if t.parent}
    related = {r.params["related"] for r in spec.rules.values() if r.kind == "has_related"}
    return [tid for tid in spec.tables if tid not in parents | related | set(spec.mandatory_tables)
            | {spec.header, "IDS606"}]


def bad_structure(ws: Workspace) -> None:
    """structure: an unknown column, a missing table (one no rule reads), or a time of day that
    is no time (``25:00:00``)."""
    r = ws.target
    times = [(tid, f.name) for tid, t in ws.spec.tables.items() for f in t.fields
             if f.format_rule == r.code and ws.rows[tid]]
    variant = ws.draw(st.sampled_from(["column", "table"] + (["time"] if times else [])))
    if variant == "column":
        tid = ws.draw(st.sampled_from([t for t in ws.spec.tables if ws.rows[t]]))
        name = ws.draw(st.text("XYZQ", min_size=3, max_size=8).filter(
            lambda n: n.lower() not in {f.name.lower() for f in ws.spec.tables[tid].fields}))
        for row in ws.rows[tid]:
            row[name] = ws.draw(st.none() | V.texts(1, 10))
        ws.mark_file(tid)
    elif variant == "table":
        tid = ws.draw(st.sampled_from(droppable_tables(ws)))
        ws.dropped.add(tid)
        ws.mark_file(tid)
    else:
        tid, field = ws.draw(st.sampled_from(times))
        row = ws.pick(tid)
        row[field] = None
        assume(not collides(ws, tid, row))
        row[field] = ws.draw(st.sampled_from(["25:00:00", "12:60:00", "10:00:61", "noon", "1200"]))
        ws.mark(tid, row)


def empty_table(ws: Workspace) -> None:
    """table_not_empty: the table is there with no rows."""
    ws.rows[ws.target.table] = []
    ws.mark_file(ws.target.table)


def two_headers(ws: Workspace) -> None:
    """single_valid_header: the header row twice."""
    header = ws.spec.header
    ws.rows[header].append(dict(ws.rows[header][0]))
    ws.mark_file(header)


def nothing_in_period(ws: Workspace) -> None:
    """records_in_period: no contacts, and every referral discharged before the period — each
    with a Patient Experience Questionnaire score, so that IDS10129 lets it be in the file."""
    start, end = ws.period
    p = ws.target.params
    referrals, received, discharged = p["referrals"], p["received"], p["discharged"]
    peq_rule = next(r for r in ws.spec.rules.values() if r.kind == "discharged_before_period")
    q = peq_rule.params
    peq = [c for c, t in ws.spec.assessment_tools.items() if t.group == q["tool_group"]]
    _remove_with_descendants(ws, p["contacts"], list(ws.rows[p["contacts"]]))
    for row in ws.rows[referrals]:
        lo, hi = date_bounds(ws, referrals, row, received)
        hi = min(hi, start - _ONE, day(row.get(received)) or hi)
        assume(lo <= hi)
        row[received] = ws.draw(st.dates(lo, hi)).isoformat()
        row[discharged] = ws.draw(st.dates(sure_day(row[received]), start - _ONE)).isoformat()
        settle(ws, referrals, row, discharged)
        tool = ws.draw(st.sampled_from(peq))
        score = {q["key"]: row[q["key"]], q["tool_field"]: tool,
                 "PersScore": ws.draw(V.assessment_scores(tool, ws.spec)),
                 "AssToolCompDate": ws.draw(st.dates(start, end)).isoformat(), "AssToolCompTime": None}
        ws.insert(q["scores_table"], score)
        assume(not collides(ws, q["scores_table"], score))
    ws.mark_file(None)


def every_referral_orphaned(ws: Workspace) -> None:
    """not_all_rejected: every referral names a patient that is not in the file."""
    for row in ws.rows["IDS101"]:
        row["LocalPatientId"] = ws.fresh("IDS101", "LocalPatientId")
    ws.mark_file("IDS101")
