"""Stages 1b and 7: the file-level checks that are not row rules.

* IDSREJ001 structure: every table and column present as in the v2.0 IDB, the bytes readable
  (each problem found while reading becomes one finding naming the table and column);
* IDSREJ002-005: mandatory tables with no rows;
* IDSREJ015: the header is not exactly one accepted row (inferred trigger);
* IDSREJ012: nothing in the file belongs to the reporting period (inferred trigger);
* IDSREJ101: every referral was rejected (inferred trigger).

The row-level file rules (IDSREJ006-010) are ordinary kinds run with the row rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .checks.values import date_of
from .parse import Invalid

if TYPE_CHECKING:  # pragma: no cover
    from .checks.context import Context
    from .validate import _State

__all__ = ["structure_findings", "mandatory_table_findings", "final_file_findings"]


def structure_findings(ctx: Context, state: _State) -> None:
    rule = ctx.spec.rules["IDSREJ001"]
    for p in ctx.submission.problems:
        if p.row is not None and p.table is not None:
            state.add(rule, ctx.table(p.table), p.row - 1, other=None, detail=p.detail)
        else:
            state.add_file(rule, table=p.table, detail=p.detail, line=p.line)
    # a cell whose text is no value of its field's type, where the field has no format rule of
    # its own (time-of-day columns: SDCS's time rules never fire, and an Access Date/Time column
    # could not hold such text)
    for tid, table in ctx.tables.items():
        for f in table.spec.fields:
            if f.format_rule != "IDSREJ001":
                continue
            col = table.values[f.name]
            for i, v in enumerate(col):
                if type(v) is Invalid:
                    state.add(rule, table, i, other=None,
                              detail=f"{table.name}.{f.name} row {i + 1}: {v.text!r} is not a {f.type}")


def mandatory_table_findings(ctx: Context, state: _State) -> None:
    for tid, code in ctx.spec.mandatory_tables.items():
        if ctx.table(tid).nrows == 0:
            state.add_file(ctx.spec.rules[code], table=tid)


def final_file_findings(ctx: Context, state: _State) -> None:
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


def _records_in_period(ctx: Context, state: _State) -> None:
    """IDSREJ012 (inferred): no referral open during the period and no contact dated in it."""
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
