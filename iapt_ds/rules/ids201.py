"""IDS201 (care contact): an attended contact has a care activity (IDS20169, inferred)."""

from __future__ import annotations

from ..checks.base import Kind, Nulls, Param, Stage, Testing, Unparsable, kind

__all__ = ["AttendedHasActivity"]


@kind
class AttendedHasActivity(Kind):
    name = "attended_has_activity"
    stage = Stage.PIPELINE
    params = {"attended": Param((list,), doc="the AttendOrDNACode values that mean attended")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = ("A contact coded attended has at least one accepted care activity row with its "
               "CareContactId (SDCS's implementation is not public; this follows its catalogue text).")
    testing = Testing(breaker="no_activity")

    def describe(self, rule, spec, field):
        return (f"An attended contact (AttendOrDNACode {' or '.join(rule.params['attended'])}) needs an accepted care "
                "activity (IDS202) row.")

    def evaluate(self, rule, table, ctx, *extra):
        (accepted,) = extra
        attended = frozenset(rule.params["attended"])
        acts = ctx.table("IDS202")
        ok = accepted("IDS202")
        have = {c for c, good in zip(acts.values["CareContactId"], ok) if good and c is not None}
        return [(i, None, None) for i, (cc, code) in enumerate(zip(table.values["CareContactId"],
                                                                   table.values["AttendOrDNACode"]))
                if code in attended and cc not in have]
