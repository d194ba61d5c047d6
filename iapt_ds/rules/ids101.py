"""IDS101 (referral): discharge before the period needs a follow-up (IDS10129, inferred)."""

from __future__ import annotations

from ..checks.base import Kind, Nulls, Param, Stage, Testing, Unparsable, kind
from ..checks.values import date_of

__all__ = ["DischargedBeforePeriod"]


@kind
class DischargedBeforePeriod(Kind):
    name = "discharged_before_period"
    stage = Stage.PIPELINE
    params = {"follow_up_app_type": Param((str,), doc="the AppType of a post-discharge follow-up contact")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = ("A referral discharged before the reporting period starts may only be in the file with a "
               "post-discharge follow-up contact or a Patient Experience Questionnaire score for it "
               "(rows looked for whether or not they are rejected).")
    testing = Testing(breaker="discharged_early")

    def describe(self, rule, spec, field):
        return (f"A referral discharged before the reporting period needs a post-discharge follow-up contact "
                f"(AppType {rule.params['follow_up_app_type']}) or a PEQ score in the file.")

    def evaluate(self, rule, table, ctx, *extra):
        """A follow-up is an IDS201 row with the AppType, a PEQ score an IDS606 row with a Patient
        Experience Questionnaire tool, for the same ServiceRequestId. SDCS's implementation is not
        public."""
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
