"""Generic breakers, one per rule kind, parameterised by the rule's fields and params (each kind
names its breaker: ``Testing(breaker=...)`` in :mod:`iapt_ds.checks.kinds`).

Each takes a :class:`~iapt_ds.testing._workspace.Workspace` holding a valid submission, makes the
smallest change that fails its rule, and marks the rows that must now carry the code. A change
that would trip a neighbouring rule as well is avoided where the spec allows: the row is chosen
so that the pipeline rules stay quiet (:func:`quiet`), the other side of a conditional rule is
adjusted (:func:`settle`), dates stay inside every other date rule (:mod:`._bounds`), and keys
stay unique (:func:`collides`).
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import string
from collections.abc import Callable
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from ..checks.values import code_has_shape
from ..spec import RuleSpec, load_spec
from . import _values as V
from ._bounds import date_bounds, other_value, shifted
from ._workspace import Row, Workspace, clean, day, field_of, sure_day, table_of

__all__ = ["collides", "holds", "put", "quiet", "settle", "wrong_code"]

_ONE = _dt.timedelta(days=1)
_WRONG_CHARS = string.ascii_uppercase + string.ascii_lowercase + string.digits


# ------------------------------------------------------------------------------ shared helpers

def holds(cond: dict, value: Any) -> bool:
    """Whether a ``conditional`` rule's condition holds for a cell (blank is NULL)."""
    v = clean(value)
    if "present" in cond and (v is not None) != cond["present"]:
        return False
    if "in" in cond and (v is None or v not in cond["in"]):
        return False
    return not ("not_in" in cond and v is not None and v in cond["not_in"])


def quiet(ws: Workspace, tid: str) -> Callable[[Row], bool]:
    """Rows of *tid* that can be changed without waking a pipeline rule: a patient's only GP
    registration (a registration that ends must be followed by another, IDS00223), a contact
    not attended and an activity that is not its attended contact's only one (IDS20169)."""
    for rule in ws.spec.rules.values():
        if rule.kind == "consecutive_gp_registration" and rule.table == tid:
            return lambda r: not ws.siblings(tid, r)
        if rule.kind == "attended_has_activity":
            if rule.table == tid:
                return _not_attended(rule)
            parent = ws.spec.tables[tid].parent
            if parent is not None and parent[0] == rule.table:
                return _not_the_only_activity_of_an_attended_contact(ws, tid, rule)
    return lambda r: True


def _not_attended(rule: RuleSpec) -> Callable[[Row], bool]:
    attended = set(rule.params["attended"])
    return lambda r: clean(r.get(rule.field)) not in attended


def _not_the_only_activity_of_an_attended_contact(ws: Workspace, tid: str, rule: RuleSpec) -> Callable[[Row], bool]:
    not_attended = _not_attended(rule)

    def ok(r: Row) -> bool:
        contact = ws.parent(tid, r, table_of(rule))
        return contact is None or not_attended(contact) or len(ws.siblings(tid, r)) > 0
    return ok


def pick(ws: Workspace, where: Callable[[Row], bool] = lambda r: True) -> Row:
    """A quiet row of the rule's table satisfying *where*."""
    q = quiet(ws, ws.target.table)
    return ws.pick(ws.target.table, lambda r: q(r) and where(r))


def collides(ws: Workspace, tid: str, row: Row, skip: str | None = None) -> bool:
    """Whether *row* now shares a uniqueness key (or an attended slot) with another row, for any
    rule but *skip*."""
    for rule in ws.spec.rules_for(tid):
        if rule.kind not in ("unique", "one_attended_per_slot") or rule.code == skip:
            continue
        fields = rule.params["fields"]
        key = tuple(clean(row.get(f)) for f in fields)
        others = [r for r in ws.rows[tid] if r is not row]
        if rule.kind == "one_attended_per_slot":   # NULLs group together; only attended rows count
            attended = set(rule.params["attended"])
            if clean(row.get(rule.field)) not in attended:
                continue
            others = [r for r in others if clean(r.get(rule.field)) in attended]
        elif None in key and not rule.params.get("nulls_equal"):
            continue
        if any(tuple(clean(r.get(f)) for f in fields) == key for r in others):
            return True
    return False


def date_value(ws: Workspace, tid: str, row: Row, field: str) -> str:
    """A date for the cell that passes every date rule (the example is discarded if none can)."""
    lo, hi = date_bounds(ws, tid, row, field, ws.ignore)
    assume(lo <= hi)
    return ws.draw(st.dates(lo, hi)).isoformat()


def good_value(ws: Workspace, tid: str, row: Row, field: str, avoid: Callable[[str], bool] = lambda v: False) -> str:
    """A value for the cell that passes the field's own rules (and the date rules)."""
    if ws.spec.tables[tid].field_map[field].type == "date":
        return date_value(ws, tid, row, field)
    return ws.value(tid, field, avoid)


def wrong_code(ws: Workspace, tid: str, field: str, avoid: set[str] | frozenset[str] = frozenset()) -> str:
    """A value of the field's width that is in none of its code lists (nor in *avoid*)."""
    lo, hi = V.width(tid, field, ws.spec)
    codes = set(avoid)
    for r in ws.spec.rules_for(tid):
        if r.field == field and r.kind == "in_codelist":
            codes |= set(ws.spec.codelists[r.params["codelist"]].codes)
    for r in ws.spec.rules_for(tid):
        if r.kind == "finding_code" and r.params["scheme"] == field:
            codes |= set(r.params["schemes"])   # keep clear of the schemes the finding-code rules know
    patterns = [re.compile(r.params["regex"], re.ASCII) for r in ws.spec.rules_for(tid)
                if r.field == field and r.kind == "pattern"]
    text = st.from_regex(patterns[0], fullmatch=True) if patterns else st.text(_WRONG_CHARS, min_size=lo, max_size=hi)
    return ws.draw(text.filter(lambda v: v not in codes and all(p.search(v) for p in patterns)))


def _make_hold(ws: Workspace, tid: str, row: Row, cond: dict) -> None:
    field = cond["field"]
    if holds(cond, row.get(field)):
        return
    if cond.get("present") is False:
        row[field] = None
    elif "in" in cond:
        row[field] = ws.draw(st.sampled_from([c for c in cond["in"] if c not in cond.get("not_in", ())]))
    else:
        row[field] = good_value(ws, tid, row, field, lambda v: v in cond.get("not_in", ()))


def _make_fail(ws: Workspace, tid: str, row: Row, cond: dict) -> None:
    field = cond["field"]
    if not holds(cond, row.get(field)):
        return
    if "in" in cond:
        row[field] = wrong_code(ws, tid, field, set(cond["in"]))
    elif "not_in" in cond:
        row[field] = ws.draw(st.sampled_from(cond["not_in"]))
    elif cond.get("present"):
        row[field] = None
    else:
        row[field] = good_value(ws, tid, row, field)


def settle(ws: Workspace, tid: str, row: Row, field: str) -> None:
    """After *field* changed, keep the table's other conditional rules satisfied: adjust the
    other side of a rule the change made fail (when that side may be changed)."""
    required = {r.field for r in ws.spec.rules_for(tid) if r.kind == "not_blank"}
    for rule in ws.spec.rules_for(tid):
        if rule.kind != "conditional" or rule.code == ws.target.code:
            continue
        c_if, c_then = rule.params["if"], rule.params["then"]
        if holds(c_if, row.get(c_if["field"])) and not holds(c_then, row.get(c_then["field"])):
            if c_if["field"] == field and c_then["field"] != field:
                _make_hold(ws, tid, row, c_then)
            elif c_then["field"] == field and c_if["field"] not in required and c_if.get("present", True):
                row[c_if["field"]] = None


def put(ws: Workspace, tid: str, row: Row, field: str, value: Any) -> None:
    """Set a cell and settle the conditional rules around it."""
    row[field] = value
    settle(ws, tid, row, field)


# ------------------------------------------------------------------------------ one value

def blank(ws: Workspace) -> None:
    """not_blank: the value is NULL, empty or spaces."""
    r = ws.target
    row = pick(ws)
    put(ws, r.table, row, r.field, ws.draw(st.sampled_from([None, "", "   "])))
    ws.mark(r.table, row)


def wrong_length(ws: Workspace) -> None:
    """length: too long, too short (when a minimum above one allows it) or, for a digits rule,
    not digits."""
    r = ws.target
    lo, hi = r.params["min"], r.params["max"]
    if r.params.get("digits"):
        value = st.one_of(st.integers(10 ** hi, 10 ** (hi + 3) - 1).map(str),   # no leading zero: a
                          st.sampled_from(["-1", "1.5", "x", "1e3"]))            # number has none
    else:
        value = st.text(_WRONG_CHARS, min_size=hi + 1, max_size=hi + 5)
        if lo > 1:
            value |= st.text(_WRONG_CHARS, min_size=1, max_size=lo - 1)
    row = pick(ws)
    put(ws, r.table, row, r.field, ws.draw(value))
    assume(not collides(ws, r.table, row))
    ws.mark(r.table, row)


def not_a_code(ws: Workspace) -> None:
    """in_codelist: a value of the right width that is not one of the codes."""
    r = ws.target
    row = pick(ws)
    put(ws, r.table, row, r.field, wrong_code(ws, r.table, r.field))
    assume(not collides(ws, r.table, row))
    ws.mark(r.table, row)


def not_matching(ws: Workspace) -> None:
    """pattern: text that does not match."""
    r = ws.target
    rx = re.compile(r.params["regex"], re.ASCII)
    lo, hi = V.width(r.table, r.field, ws.spec)
    row = pick(ws)
    put(ws, r.table, row, r.field, ws.draw(st.text(_WRONG_CHARS + " -/.", min_size=lo, max_size=hi).map(
        lambda s: s.strip(" ") or "x").filter(lambda s: not rx.search(s))))
    ws.mark(r.table, row)


def matching(ws: Workspace) -> None:
    """not_pattern: text that matches (and passes the field's pattern rules)."""
    r = ws.target
    others = [re.compile(x.params["regex"], re.ASCII) for x in ws.spec.rules_for(r.table)
              if x.field == r.field and x.kind == "pattern"]
    row = pick(ws)
    put(ws, r.table, row, r.field, ws.draw(st.from_regex(re.compile(r.params["regex"], re.ASCII), fullmatch=True)
                                          .filter(lambda s: all(o.search(s) for o in others))))
    ws.mark(r.table, row)


def time_of_day(ws: Workspace) -> None:
    """valid_date: a date with a time of day that is not midnight, or (where no other date rule
    minds) a date before 1890."""
    r = ws.target
    row = pick(ws)
    current = day(row.get(r.field))
    if current is None:
        current = _dt.date.fromisoformat(date_value(ws, r.table, row, r.field))
    lo, hi = date_bounds(ws, r.table, row, r.field, ws.ignore)
    early = (max(lo, _dt.date(1800, 1, 1)), min(hi, V.EARLIEST - _ONE))
    if early[0] <= early[1] and ws.draw(st.booleans()):
        value = ws.draw(st.dates(*early)).isoformat()
    else:
        t = ws.draw(st.times().filter(lambda t: t.replace(microsecond=0) != _dt.time()))
        value = f"{current.isoformat()}{ws.draw(st.sampled_from('T '))}{t.replace(microsecond=0).isoformat()}"
    put(ws, r.table, row, r.field, value)
    assume(not collides(ws, r.table, row))
    ws.mark(r.table, row)


def bad_datetime(ws: Workspace) -> None:
    """valid_datetime: before 1890, or no date-time at all."""
    r = ws.target
    row = pick(ws)
    early = st.datetimes(_dt.datetime(1800, 1, 1), _dt.datetime(1889, 12, 31, 23, 59, 59)).map(
        lambda d: d.replace(microsecond=0).isoformat())
    put(ws, r.table, row, r.field, ws.draw(early | st.sampled_from(["2021-02-30T10:00:00", "yesterday", "2021-03"])))
    ws.mark(r.table, row)


def _date_in(ws: Workspace, lo: _dt.date, hi: _dt.date, row: Row, field: str) -> None:
    """Set *field* of *row* to a date in lo..hi that keeps keys unique (discarding otherwise)."""
    r = ws.target
    assume(lo <= hi)
    put(ws, r.table, row, field, ws.draw(st.dates(lo, hi)).isoformat())
    assume(not collides(ws, r.table, row))


def too_early(ws: Workspace) -> None:
    """date_min: before the minimum, within every other date rule."""
    r = ws.target
    minimum = _dt.date.fromisoformat(r.params["min"])

    def room(row: Row) -> bool:
        lo, _ = date_bounds(ws, r.table, row, r.field, ws.ignore)
        return lo < minimum
    row = pick(ws, room)
    lo, _ = date_bounds(ws, r.table, row, r.field, ws.ignore)
    _date_in(ws, lo, minimum - _ONE, row, r.field)
    ws.mark(r.table, row)


def out_of_order(ws: Workspace) -> None:
    """date_compare: on the wrong side of its bound, within every other date rule."""
    r = ws.target
    before = r.params["op"] == "on_or_before"

    def window(row: Row) -> tuple[_dt.date, _dt.date]:
        o = other_value(ws, r.rule, row)
        if o is None:
            return _dt.date.max, _dt.date.min
        bound = shifted(o, r.rule)
        lo, hi = date_bounds(ws, r.table, row, r.field, ws.ignore)
        return (max(lo, bound + _ONE), hi) if before else (lo, min(hi, bound - _ONE))

    row = pick(ws, lambda x: window(x)[0] <= window(x)[1])
    _date_in(ws, *window(row), row, r.field)
    ws.mark(r.table, row)


def invalid_nhs_number(ws: Workspace) -> None:
    """nhs_number: a wrong check digit, a palindrome, the wrong length, or spaces."""
    r = ws.target
    used = {clean(x.get(r.field)) for x in ws.rows[r.table]}
    row = pick(ws)
    put(ws, r.table, row, r.field, ws.draw(V.invalid_nhs_numbers().filter(lambda v: v not in used)))
    ws.mark(r.table, row)


def invalid_snomed(ws: Workspace) -> None:
    """snomed_ct: no valid concept id (check digit, partition, length or characters)."""
    r = ws.target
    row = pick(ws)
    put(ws, r.table, row, r.field, ws.draw(V.invalid_snomed_ids(r.params["min"], min(r.params["max"], 18))))
    assume(not collides(ws, r.table, row))
    ws.mark(r.table, row)


def different(ws: Workspace) -> None:
    """equals_field: a valid value that differs from the other field."""
    r = ws.target
    row = pick(ws, lambda x: other_text(ws, r.rule, x) is not None)
    other = other_text(ws, r.rule, row)
    put(ws, r.table, row, r.field, ws.value(r.table, r.field, lambda v: v == other))
    ws.mark(r.table, row)


def other_text(ws: Workspace, rule: RuleSpec, row: Row) -> str | None:
    table, _, field = rule.params["other"].rpartition(".")
    related = ws.rows[table][0] if table == ws.spec.header else ws.parent(table_of(rule), row, table)
    return clean(related.get(field)) if related else None


def condition_unmet(ws: Workspace) -> None:
    """conditional: the ``if`` side holds and the ``then`` side does not. A row where the
    ``if`` side already holds is preferred."""
    r = ws.target
    c_if, c_then = r.params["if"], r.params["then"]
    q = quiet(ws, r.table)
    rows = [x for x in ws.rows[r.table] if q(x)]
    ready = [x for x in rows if holds(c_if, x.get(c_if["field"]))]
    assume(rows)
    row = ws.draw(st.sampled_from(ready or rows))
    _make_hold(ws, r.table, row, c_if)
    _make_fail(ws, r.table, row, c_then)
    settle(ws, r.table, row, c_if["field"])
    assume(q(row) and holds(c_if, row.get(c_if["field"])) and not holds(c_then, row.get(c_then["field"])))
    ws.mark(r.table, row)


def upload_differs(ws: Workspace) -> None:
    """matches_upload: the upload says otherwise (the period moved by a day, another
    organisation)."""
    r = ws.target
    item = r.params["upload"]
    start, end = ws.period
    if item == "period_start":
        ws.upload["period"] = (start + _ONE, end)
    elif item == "period_end":
        ws.upload["period"] = (start, end - _ONE)
    else:
        current = ws.upload[item]
        ws.upload[item] = ws.draw(V.ods_codes().filter(lambda v: v != current))
    ws.mark(r.table, ws.rows[r.table][0])


def submitted_before(ws: Workspace) -> None:
    """not_after_submission: the upload happened the day before the value."""
    r = ws.target
    row = ws.rows[r.table][0]
    ws.upload["submitted_at"] = _dt.datetime.combine(sure_day(row[r.field]) - _ONE, _dt.time(12)).isoformat()
    ws.mark(r.table, row)


def too_old(ws: Workspace) -> None:
    """plausible_birth_date: more than max_age whole years old at the period start."""
    r = ws.target
    start, _ = ws.period
    row = pick(ws)
    latest = add_years(start, -(r.params["max_age"] + 1))
    put(ws, r.table, row, r.field, ws.draw(st.dates(latest - _dt.timedelta(days=3650), latest)).isoformat())
    ws.mark(r.table, row)


def add_years(d: _dt.date, years: int) -> _dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:   # 29 February
        return d.replace(year=d.year + years, day=28)


def onset_too_early(ws: Workspace) -> None:
    """onset_not_before_birth: an onset month (YYYY-MM) before the birth month."""
    r = ws.target
    table, _, field = r.params["birth_date"].rpartition(".")

    def born(row: Row) -> _dt.date | None:
        patient = ws.parent(r.table, row, table)
        return day(patient.get(field)) if patient else None
    row = pick(ws, lambda x: (d := born(x)) is not None and d.year > 1)
    b = born(row)
    assert b is not None  # the row was picked for having one
    month = ws.draw(st.integers(max(0, b.year * 12 + b.month - 1 - 1200), b.year * 12 + b.month - 2))
    put(ws, r.table, row, r.field, f"{month // 12:04d}-{month % 12 + 1:02d}")
    ws.mark(r.table, row)


def unsuited_finding(ws: Workspace) -> None:
    """finding_code: a code of an allowed width written the way its scheme does not allow (an
    over-long ICD-10 code, a SNOMED CT code with letters or too few digits)."""
    r = ws.target
    scheme_field = r.params["scheme"]
    lo, hi = V.width(r.table, r.field, ws.spec)
    shapes = r.params.get("schemes")
    if shapes:  # the shapes the rule gives each scheme (v2.1): any code of the width without that shape
        row = pick(ws, lambda x: clean(x.get(scheme_field)) in shapes)
        shape = shapes[clean(row[scheme_field])]
        put(ws, r.table, row, r.field, ws.draw(st.text(string.ascii_uppercase + string.digits, min_size=lo,
                                                       max_size=hi).filter(lambda c: not code_has_shape(c, shape))))
        assume(not collides(ws, r.table, row))
        ws.mark(r.table, row)
        return
    row = pick(ws, lambda x: clean(x.get(scheme_field)) in ("01", "04"))
    if clean(row[scheme_field]) == "01":
        code = st.text(_WRONG_CHARS, min_size=max(lo, 7), max_size=hi)
    else:
        code = st.text(string.digits, min_size=lo, max_size=5) | st.text(
            string.ascii_uppercase, min_size=max(lo, 6), max_size=hi)
    put(ws, r.table, row, r.field, ws.draw(code))
    assume(not collides(ws, r.table, row))
    ws.mark(r.table, row)


def unknown_tool(ws: Workspace) -> None:
    """assessment_tool: a SNOMED-shaped code that is none of the accepted tools."""
    r = ws.target
    lo, hi = V.width(r.table, r.field, ws.spec)
    row = pick(ws)
    put(ws, r.table, row, r.field, ws.draw(st.text(string.digits, min_size=lo, max_size=hi).filter(
        lambda v: v not in ws.spec.assessment_tools)))
    assume(not collides(ws, r.table, row))
    ws.mark(r.table, row)


def _tool(ws: Workspace, row: Row):
    tool = clean(row.get(ws.target.params["tool"]))
    return None if tool is None else ws.spec.assessment_tools.get(tool)


def _in_range(tool, score: str) -> bool:
    if tool.values is not None:
        return score in tool.values
    try:
        return tool.range[0] <= float(score) <= tool.range[1]
    except ValueError:
        return False


def badly_written_score(ws: Workspace) -> None:
    """score_format: a score in range for a tool with a range, written the wrong way
    (``5.5`` for a whole-number scale, ``2`` for a one-decimal one)."""
    r = ws.target
    row = pick(ws, lambda x: _tool(ws, x) is not None and _tool(ws, x).range is not None)
    tool = _tool(ws, row)
    fmt = re.compile(tool.format)
    lo, hi = int(tool.range[0]), int(tool.range[1])
    candidates = st.integers(lo, hi).flatmap(lambda n: st.sampled_from([f"{n}", f"{n}.5", f"{n}.25", f"0{n}"]))
    put(ws, r.table, row, r.field, ws.draw(candidates.filter(
        lambda s: len(s) <= 5 and not fmt.match(s) and _in_range(tool, s))))
    ws.mark(r.table, row)


@functools.cache
def _wrong_scores(spec_path: str, code: str) -> tuple[str, ...]:
    """Scores written the way the tool writes them but outside its range or value set."""
    t = load_spec(spec_path).assessment_tools[code]
    probes = ([f"{n}" for n in range(1000)] + [f"{n / 10:.1f}" for n in range(100)]
              + [f"{n / 100:.2f}" for n in range(1000)] + list(string.ascii_letters) + ["NA", "YY"])
    fmt = re.compile(t.format)
    return tuple(p for p in probes if fmt.match(p) and not _in_range(t, p))


def out_of_range(ws: Workspace) -> None:
    """score_range: a score written the tool's way but outside its range or value set; the row's
    tool is changed to one that has such scores when its own has none."""
    r = ws.target
    row = pick(ws)
    current = clean(row.get(r.params["tool"]))
    choices = sorted(c for c in ws.spec.assessment_tools if _wrong_scores(ws.spec.path, c))
    tool = current if current in choices else ws.draw(st.sampled_from(choices))
    row[r.params["tool"]] = tool
    assume(not collides(ws, r.table, row))
    put(ws, r.table, row, r.field, ws.draw(st.sampled_from(_wrong_scores(ws.spec.path, tool))))
    ws.mark(r.table, row)


def unknown_to_reference_data(ws: Workspace) -> None:
    """reference_data: a value the supplied reference data does not know (everything else the
    submission uses is known). A header sender changes the upload's sender with it; a patient's
    organisation, which must repeat the provider, changes the provider everywhere."""
    r = ws.target
    lookup = r.params["lookup"]
    fields = [(table_of(x), field_of(x)) for x in ws.spec.rules.values()
              if x.kind == "reference_data" and x.params["lookup"] == lookup]
    used = {v.replace(" ", "").upper() for t, f in fields for row in ws.rows[t] if (v := clean(row.get(f)))}
    # the national default codes the reference-data rules accept without asking (from the spec)
    always_known = {c for x in ws.spec.rules.values() if x.kind == "reference_data" for c in x.params.get("defaults", ())}
    value = ws.draw(V.field_values(r.table, r.field, ws.spec).filter(
        lambda v: v.replace(" ", "").upper() not in used and v.strip().upper() not in always_known))
    equals = [x for x in ws.spec.rules_for(r.table) if x.kind == "equals_field" and x.field == r.field]
    if equals:     # IDS00153: OrgIDLocalPatientId repeats the header's provider
        header_field = equals[0].params["other"].rpartition(".")[2]
        ws.rows[ws.spec.header][0][header_field] = value
        ws.upload["provider"] = value
        for row in ws.rows[r.table]:
            row[r.field] = value
            ws.mark(r.table, row)
    else:
        row = pick(ws)
        row[r.field] = value
        if r.table == ws.spec.header:
            ws.upload["sender"] = value
        ws.mark(r.table, row)
    ws.refuse(lookup, value)
