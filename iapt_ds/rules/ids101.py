"""IDS101 (referral): discharge before the period needs a follow-up (IDS10129, inferred)."""

from __future__ import annotations

from ..checks.values import date_of
from ._registry import pipeline_kind


@pipeline_kind("discharged_before_period")
def discharge_before_period_has_follow_up(rule, table, ctx, accepted):
    """A referral discharged before the reporting period starts may only be in the file with a
    post-discharge follow-up contact (IDS201 AppType 06) or a PEQ score (IDS606, a Patient
    Experience Questionnaire tool) for the same ServiceRequestId. SDCS's implementation is not
    public: rows are looked for whether or not they are rejected."""
    rps = ctx.rps
    if rps is None:
        return []
    follow_up = rule.params["follow_up_app_type"]
    contacts = ctx.table("IDS201")
    have = {s for s, a in zip(contacts.values["ServiceRequestId"], contacts.values["AppType"])
            if s is not None and a == follow_up}
    peq = {c for c, t in ctx.spec.assessment_tools.items() if "Patient Experience" in t.tool}
    scores = ctx.table("IDS606")
    have.update(s for s, c in zip(scores.values["ServiceRequestId"], scores.values["CodedAssToolType"])
                if s is not None and c in peq)
    out = []
    for i, (sri, d) in enumerate(zip(table.values["ServiceRequestId"], table.values["ServDischDate"])):
        d = date_of(d)
        if d is not None and d < rps and sri not in have:
            out.append((i, rps.isoformat(), None))
    return out
