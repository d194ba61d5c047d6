"""IDS002 (GP practice registration): consecutive registrations (IDS00223)."""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict

from ..checks.values import date_of
from ..parse import render
from ._registry import pipeline_kind


@pipeline_kind("consecutive_gp_registration")
def registration_is_followed_by_another_practice(rule, table, ctx, accepted):
    """A registration that ends is followed by an accepted registration of the same patient that
    starts the next day at a different practice. No such row, or any such row at the same
    practice, gives the warning."""
    lpi = table.values["LocalPatientId"]
    start = table.values["StartDateGMPRegistration"]
    end = table.values["EndDateGMPRegistration"]
    gp = table.values["GMPCodeReg"]
    ok = accepted(table.id)
    # (patient, start date) -> the practices of accepted rows: a set, so each look-up is one step
    # however many registrations a patient has
    starts: dict = defaultdict(set)
    for i in range(table.nrows):
        s = date_of(start[i])
        if ok[i] and s is not None:
            starts[(lpi[i], s)].add(gp[i])
    out = []
    for i in range(table.nrows):
        e = date_of(end[i])
        if e is None:
            continue
        if e == _dt.date.max:  # no registration can start the day after
            out.append((i, None, None))
            continue
        following = starts.get((lpi[i], e + _dt.timedelta(days=1)))
        if not following or gp[i] in following:
            out.append((i, render(e + _dt.timedelta(days=1)), None))
    return out
