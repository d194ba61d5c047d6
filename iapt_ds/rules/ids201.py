"""IDS201 (care contact): an attended contact has a care activity (IDS20169, inferred)."""

from __future__ import annotations

from ._registry import pipeline_kind


@pipeline_kind("attended_has_activity")
def attended_contact_has_activity(rule, table, ctx, accepted):
    """A contact coded attended (AttendOrDNACode 5 or 6) has at least one accepted IDS202 row with
    its CareContactId. SDCS's implementation is not public; this follows its catalogue text."""
    attended = frozenset(rule.params["attended"])
    acts = ctx.table("IDS202")
    ok = accepted("IDS202")
    have = {c for c, good in zip(acts.values["CareContactId"], ok) if good and c is not None}
    return [(i, None, None) for i, (cc, code) in enumerate(zip(table.values["CareContactId"],
                                                               table.values["AttendOrDNACode"]))
            if code in attended and cc not in have]
