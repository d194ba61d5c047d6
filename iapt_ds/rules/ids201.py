"""IDS201 (care contact): an attended contact has a care activity (IDS20169, inferred)."""

from __future__ import annotations

from ..checks.base import Kind, Nulls, Param, Phase, Testing, Unparsable, kind

__all__ = ["AttendedHasActivity"]


@kind
class AttendedHasActivity(Kind):
    name = "attended_has_activity"
    phase = Phase.PIPELINE
    params = {"attended": Param((list,), doc="the values of the rule's field that mean attended"),
              "activities": Param((str,), doc="the care activities' table"),
              "key": Param((str,), doc="the field naming the contact, in both tables")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = ("A contact coded attended has at least one accepted care activity row with its "
               "CareContactId (SDCS's implementation is not public; this follows its catalogue text).")
    testing = Testing(breaker="no_activity")

    def check_params(self, p, chk):
        chk.ref(p["key"], "key")
        chk.field(p["activities"], p["key"])

    def describe(self, rule, spec, field):
        return (f"An attended contact ({field} {' or '.join(rule.params['attended'])}) needs an accepted care "
                f"activity ({rule.params['activities']}) row.")

    def evaluate(self, rule, table, ctx, *extra):
        (accepted,) = extra
        p = rule.params
        attended = frozenset(p["attended"])
        acts = ctx.table(p["activities"])
        ok = accepted(acts.id)
        have = {c for c, good in zip(acts.values[p["key"]], ok) if good and c is not None}
        return [(i, None, None) for i, (cc, code) in enumerate(zip(table.values[p["key"]],
                                                                   table.values[rule.fields[0]]))
                if code in attended and cc not in have]
