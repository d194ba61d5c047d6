"""IDS201 (care contact): an attended contact has a care activity (IDS20169, inferred)."""

from __future__ import annotations

from itertools import compress, count
from operator import and_, not_

from ..checks import sql as Q
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
        # whole columns in C: the contacts of accepted activities, then the attended contacts
        # without one
        have = set(compress(acts.values[p["key"]], accepted(acts.id)))
        have.discard(None)
        return [(i, None, None) for i in compress(count(), map(
            and_, map(attended.__contains__, table.values[rule.fields[0]]),
            map(not_, map(have.__contains__, table.values[p["key"]]))))]

    def sql(self, rule, dialect):
        """The attended contacts whose key no accepted activity holds (a NULL key among them). The
        engine provides ``rejected__A`` (``_row``, ``rejected``) for the activities' table as the
        ledger stands when the rule runs."""
        d = Q.dialect(dialect)
        if d is None or rule.table is None:
            return None
        p = rule.params
        key, acts = d.col(p["key"]), p["activities"]
        return (f"SELECT t._row, NULL AS other, CAST(NULL AS {d.text}) AS detail FROM {d.ident(rule.table)} AS t "
                f"LEFT JOIN (SELECT DISTINCT a.{key} AS k FROM {d.ident(acts)} AS a JOIN {d.ident('rejected__' + acts)} "
                f"AS r ON r._row = a._row WHERE NOT r.rejected AND a.{key} IS NOT NULL) AS h ON h.k = t.{key} "
                f"WHERE t.{d.col(rule.fields[0])} IN {d.text_list(p['attended'])} AND h.k IS NULL ORDER BY t._row")
