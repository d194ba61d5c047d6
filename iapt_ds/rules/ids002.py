"""IDS002 (GP practice registration): consecutive registrations (IDS00223)."""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from collections.abc import Iterable
from itertools import compress, count, repeat
from operator import and_, is_not

from ..checks import sql as Q
from ..checks.base import Kind, Nulls, Param, Phase, Testing, Unparsable, kind
from ..checks.values import date_of
from ..parse import render

__all__ = ["ConsecutiveGpRegistration"]


def _positions(flags: Iterable) -> list[int]:
    """The positions where *flags* is true, found in C."""
    return list(compress(count(), flags))


def _dates(col: list) -> list:
    """:func:`date_of` of each value of *col*, each distinct value's once."""
    dates = {v: date_of(v) for v in set(col)}
    return list(map(dates.__getitem__, col))


@kind
class ConsecutiveGpRegistration(Kind):
    name = "consecutive_gp_registration"
    phase = Phase.PIPELINE
    params = {"patient": Param((str,), doc="the field naming the patient"),
              "start": Param((str,), doc="the registration's start date (the rule's field is its end date)"),
              "practice": Param((str,), doc="the field naming the practice")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = ("A registration that ends is followed by an accepted registration of the same patient that "
               "starts the next day at a different practice.")
    testing = Testing(breaker="unfollowed")

    def check_params(self, p, chk):
        for role in ("patient", "start", "practice"):
            chk.ref(p[role], role)

    def describe(self, rule, spec, field):
        return ("A GP registration that ends needs an accepted follow-on registration for the same patient at "
                "a different practice, starting the next day.")

    def advice(self, rule, spec):
        return "Look at the patient's or referral's rows together and correct the dates or codes that clash."

    def evaluate(self, rule, table, ctx, *extra):
        """No such row, or any such row at the same practice, gives the warning."""
        (accepted,) = extra
        p = rule.params
        lpi, start, gp = table.values[p["patient"]], table.values[p["start"]], table.values[p["practice"]]
        end = table.values[rule.fields[0]]
        ok = accepted(table.id)
        # each distinct value's date once; rows visited only where there is a date
        end_dates = _dates(end)
        ended = _positions(map(is_not, end_dates, repeat(None)))
        if not ended:
            return []
        start_dates = _dates(start)
        # (patient, start date) -> the practices of accepted rows: a set, so each look-up is one step
        # however many registrations a patient has; only the patients with a registration that
        # ends are looked up, so only their rows are visited (found in C)
        patients = set(map(lpi.__getitem__, ended))
        starts: dict = defaultdict(set)
        for patient, s, practice in compress(zip(lpi, start_dates, gp),
                                             map(and_, map(and_, ok, map(patients.__contains__, lpi)),
                                                 map(is_not, start_dates, repeat(None)))):
            starts[(patient, s)].add(practice)
        out = []
        for i in ended:
            e = end_dates[i]
            if e == _dt.date.max:  # no registration can start the day after
                out.append((i, None, None))
                continue
            following = starts.get((lpi[i], e + _dt.timedelta(days=1)))
            if not following or gp[i] in following:
                out.append((i, render(e + _dt.timedelta(days=1)), None))
        return out

    def sql(self, rule, dialect):
        """The rows with an end date whose patient has no accepted registration starting the next
        day, or one at the same practice (NULL patients and practices equal, as in Python's
        tuples); an end on the last date there is fails with no next day. The engine provides
        ``rejected__T`` for the rule's table as the ledger stands when the rule runs."""
        d = Q.dialect(dialect)
        if d is None or rule.table is None:
            return None
        p = rule.params
        t = d.ident(rule.table)
        lpi, start, gp, end = (d.col(f) for f in (p["patient"], p["start"], p["practice"], rule.fields[0]))
        nxt = d.add_days(f"t.{end}", 1)
        last = f"t.{end} = {d.date(_dt.date.max)}"
        # the accepted registrations' (patient, start, practice), and their (patient, start)
        return (f"WITH s AS (SELECT DISTINCT a.{lpi} AS p, a.{start} AS d, a.{gp} AS g FROM {t} AS a "
                f"JOIN {d.ident('rejected__' + rule.table)} AS r ON r._row = a._row "
                f"WHERE NOT r.rejected AND a.{start} IS NOT NULL), "
                f"n AS (SELECT DISTINCT p, d FROM s) "
                f"SELECT t._row, CASE WHEN {last} THEN NULL ELSE {nxt} END AS other, "
                f"CAST(NULL AS {d.text}) AS detail FROM {t} AS t "
                f"LEFT JOIN n ON n.p IS NOT DISTINCT FROM t.{lpi} AND n.d = {nxt} "
                f"LEFT JOIN s ON s.p IS NOT DISTINCT FROM t.{lpi} AND s.d = {nxt} AND s.g IS NOT DISTINCT FROM t.{gp} "
                f"WHERE t.{end} IS NOT NULL AND ({last} OR n.d IS NULL OR s.d IS NOT NULL) ORDER BY t._row")
