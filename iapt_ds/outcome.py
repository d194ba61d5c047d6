"""Stage 7 of the pipeline: the file outcome, decided once every row rule and the cascade have run.

* IDSREJ015: the header is not exactly one accepted row (inferred trigger);
* IDSREJ012: nothing in the file belongs to the reporting period (inferred trigger);
* IDSREJ101: every referral was rejected (inferred trigger).

The structure checks (IDSREJ001-005) are :mod:`iapt_ds.structure`; the row-level file rules
(IDSREJ006-010) are ordinary kinds run with the row rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .checks.values import date_of

if TYPE_CHECKING:  # pragma: no cover
    from .checks.context import Context
    from .ledger import Ledger

__all__ = ["final_file_findings"]


def final_file_findings(ctx: Context, state: Ledger) -> None:
    spec = ctx.spec
    header = ctx.submission.header
    if header.nrows != 1 or state.rejected[header.id][0]:
        if header.nrows == 0:
            detail = "it has none"
        elif header.nrows > 1:
            detail = f"it has {header.nrows}"
        else:
            reason = state.reason[header.id].get(0)
            detail = f"its row is rejected ({reason.code})" if reason else "its row is rejected"
        state.add_file(spec.rules["IDSREJ015"], table=header.id, detail=detail)
    _records_in_period(ctx, state)
    referrals = ctx.table("IDS101")
    if referrals.nrows and all(state.rejected["IDS101"]):
        state.add_file(spec.rules["IDSREJ101"], table="IDS101")


def _records_in_period(ctx: Context, state: Ledger) -> None:
    """IDSREJ012: no referral (accepted or not) open during the period and no contact dated in it.

    The code and its meaning are SDCS's; this trigger is a reconstruction (SDCS's check is not
    public), the same as the rule's note in ``rules/file.yaml`` says. Without a usable period it
    does not fire: the header rules and IDSREJ015 report that."""
    rps, rpe = ctx.rps, ctx.rpe
    if rps is None or rpe is None:
        return  # no usable period: the header rules and IDSREJ015 say so
    ref = ctx.table("IDS101")
    for rec, disch in zip(ref.values["ReferralRequestReceivedDate"], ref.values["ServDischDate"]):
        r, d = date_of(rec), date_of(disch)
        if (r is None or r <= rpe) and (d is None or d >= rps):
            return
    for c in ctx.table("IDS201").values["CareContDate"]:
        c = date_of(c)
        if c is not None and rps <= c <= rpe:
            return
    state.add_file(ctx.spec.rules["IDSREJ012"], table=None,
                   detail=f"{rps.isoformat()} to {rpe.isoformat()}", value=f"{rps:%Y-%m}")
