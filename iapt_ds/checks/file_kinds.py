"""The kinds about the file as a whole, and the cascade: each one object (see :mod:`.base`), run
by its own stage of the pipeline (:mod:`iapt_ds.structure`, :mod:`iapt_ds.cascade`,
:mod:`iapt_ds.outcome`) with the findings ledger, since what they look at is the whole
submission and what other rules have already rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress, filterfalse
from typing import TYPE_CHECKING

from ..parse import Invalid
from . import sql as Q
from .base import Kind, Nulls, Param, Phase, Testing, Unparsable, kind
from .values import date_of

if TYPE_CHECKING:  # pragma: no cover
    from ..ledger import Ledger
    from ..spec import RuleSpec
    from .context import Context

__all__ = ["KINDS"]

_NA = Nulls.NOT_APPLICABLE, Unparsable.NOT_APPLICABLE


@kind
class Structure(Kind):
    name = "structure"
    phase = Phase.STRUCTURE
    nulls, unparsable = Nulls.NOT_APPLICABLE, Unparsable.FAIL
    summary = ("Every table and column present as in the IDB and the bytes readable; a cell whose text is "
               "no value of its type, where this rule is the field's format rule (times of day), fails it.")
    testing = Testing(breaker="bad_structure")

    def describe(self, rule, spec, field):
        return ("The tables and columns must be exactly those of the v2.0 IDB, and every "
                "value must be readable as its column's type.")

    def apply(self, rule: RuleSpec, ctx: Context, state: Ledger) -> None:
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
                if f.format_rule != rule.code:
                    continue
                col = table.values[f.name]
                for i, v in enumerate(col):
                    if type(v) is Invalid:
                        state.add(rule, table, i, other=None,
                                  detail=f"{table.name}.{f.name} row {i + 1}: {v.text!r} is not a {f.type}")


@kind
class TableNotEmpty(Kind):
    name = "table_not_empty"
    phase = Phase.MANDATORY
    nulls, unparsable = _NA
    summary = "The rule's table holds at least one row."
    testing = Testing(breaker="empty_table")

    def describe(self, rule, spec, field):
        return f"{spec.tables[rule.table].name} must hold at least one row."

    def apply(self, rule, ctx, state):
        if ctx.table(rule.table).nrows == 0:
            state.add_file(rule, table=rule.table)


@kind
class SingleValidHeader(Kind):
    name = "single_valid_header"
    phase = Phase.OUTCOME
    nulls, unparsable = _NA
    summary = "The header table holds exactly one row, and that row is accepted."
    testing = Testing(breaker="two_headers")

    def describe(self, rule, spec, field):
        return "The header table must hold exactly one row, and that row must be accepted."

    def apply(self, rule, ctx, state):
        header = ctx.submission.header
        if header.nrows == 1 and not state.rejected[header.id][0]:
            return
        if header.nrows == 0:
            detail = "it has none"
        elif header.nrows > 1:
            detail = f"it has {header.nrows}"
        else:
            reason = state.reason[header.id].get(0)  # the position of the finding that rejected it
            detail = (f"its row is rejected ({state.finding(reason).code})" if reason is not None
                      else "its row is rejected")
        state.add_file(rule, table=header.id, detail=detail)


@kind
class RecordsInPeriod(Kind):
    name = "records_in_period"
    phase = Phase.OUTCOME
    params = {"referrals": Param((str,), doc="the referrals' table"),
              "received": Param((str,), doc="the date a referral opens"),
              "discharged": Param((str,), doc="the date it closes (NULL: still open)"),
              "contacts": Param((str,), doc="the contacts' table"),
              "contact_date": Param((str,), doc="a contact's date")}
    nulls, unparsable = _NA
    summary = ("At least one referral is open during the reporting period or one contact is dated in it "
               "(not checked without a usable period).")
    testing = Testing(breaker="nothing_in_period")

    def check_params(self, p, chk):
        chk.field(p["referrals"], p["received"])
        chk.field(p["referrals"], p["discharged"])
        chk.field(p["contacts"], p["contact_date"])

    def describe(self, rule, spec, field):
        return "At least one submitted record must fall in the reporting period."

    def apply(self, rule, ctx, state):
        """No referral (accepted or not) open during the period and no contact dated in it.

        The code and its meaning are SDCS's; this trigger is a reconstruction (SDCS's check is not
        public), the same as the rule's note in ``rules/file.yaml`` says. Without a usable period it
        does not fire: the header rules and IDSREJ015 report that."""
        rps, rpe = ctx.rps, ctx.rpe
        if rps is None or rpe is None:
            return  # no usable period: the header rules and IDSREJ015 say so
        p = rule.params
        ref = ctx.table(p["referrals"])
        for rec, disch in zip(ref.values[p["received"]], ref.values[p["discharged"]]):
            r, d = date_of(rec), date_of(disch)
            if (r is None or r <= rpe) and (d is None or d >= rps):
                return
        for c in ctx.table(p["contacts"]).values[p["contact_date"]]:
            c = date_of(c)
            if c is not None and rps <= c <= rpe:
                return
        state.add_file(rule, table=None, detail=f"{rps.isoformat()} to {rpe.isoformat()}", value=f"{rps:%Y-%m}")


@kind
class NotAllRejected(Kind):
    name = "not_all_rejected"
    phase = Phase.OUTCOME
    nulls, unparsable = _NA
    summary = "At least one row of the rule's table is accepted (when it has rows)."
    testing = Testing(breaker="every_referral_orphaned")

    def describe(self, rule, spec, field):
        return f"At least one {rule.table} row must be accepted."

    def apply(self, rule, ctx, state):
        table = ctx.table(rule.table)
        if table.nrows and all(state.rejected[table.id]):
            state.add_file(rule, table=table.id)


#: a rejected-row flag (0 or 1) -> whether the row is accepted, for ``bytearray.translate``
_ACCEPTED = bytes([1, 0]) + bytes(254)


@kind
class HasRelated(Kind):
    name = "has_related"
    phase = Phase.CASCADE
    params = {"related": Param((str,), doc="the related table"), "key": Param((str,), doc="the field both share")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = ("The related table still holds at least one *accepted* row with the same key; run in the "
               "spec's cascade order, each rule seeing the rejections made before it. Every row is tested, "
               "already rejected or not.")
    testing = Testing(breaker="orphan")

    def check_params(self, p, chk):
        if p["related"] not in chk.tables:
            raise chk.fail(f"unknown related table {p['related']!r}")
        chk.ref(p["key"], "key")
        chk.ref(f"{p['related']}.{p['key']}", "key", "any")

    def describe(self, rule, spec, field):
        return (f"Each {rule.table} row needs an accepted {rule.params['related']} row with the "
                f"same {rule.params['key']}; when there is none, this row is rejected too.")

    def advice(self, rule, spec):
        rel, key = rule.params["related"], rule.params["key"]
        return (f"Fix the cause, not this row: the {rel} row with the same {key} is missing or rejected. "
                f"Follow the root cause in the report; when there is none, add the missing {rel} row.")

    def apply(self, rule, ctx, state):
        child = ctx.table(rule.table)
        related = ctx.table(rule.params["related"])
        key = rule.params["key"]
        keys = related.values[key]
        rejected = state.rejected[related.id]
        reasons = state.reason[related.id]
        # whole columns first, in C: the keys of accepted related rows (kept for the next rule
        # on the same key while the related table loses no row: each rejection has its reason),
        # then the child keys without one; rows are visited only for those keys
        known = state.scratch.get(("accepted keys", related.id, key))
        if known is not None and known[0] == len(reasons):
            accepted_keys = known[1]
        else:
            # (no row rejected: every key, with no look at the flags; else the flags turned into
            # "accepted" ones by one translation, in C)
            accepted_keys = set(keys) if 1 not in rejected else set(compress(keys, rejected.translate(_ACCEPTED)))
            state.scratch[("accepted keys", related.id, key)] = (len(reasons), accepted_keys)
        child_keys = child.values[key]
        if 1 not in rejected and accepted_keys.issuperset(child_keys):
            return  # the common case, settled in C (with related rows rejected, missing keys are likely)
        missing = set(filterfalse(accepted_keys.__contains__, child_keys))
        missing.discard(None)
        missing = {k for k in missing if type(k) is not Invalid}
        if not missing:
            return
        # for a key whose related rows are all rejected: the first such row's reason is the cause.
        # Every related row holding a missing key is rejected, so only the rejected rows (each
        # with its reason) are looked at, in row order.
        causes: dict = {}
        for j in sorted(reasons):
            k = keys[j]
            if k in missing and k not in causes:
                causes[k] = reasons[j]
        rows = list(compress(range(len(child_keys)), map(missing.__contains__, child_keys)))
        state.add_caused(rule, child, rows, list(map(causes.get, map(child_keys.__getitem__, rows))))

    def sql(self, rule, dialect):
        """The failing rows: those whose key no accepted related row holds, each with the first
        related row holding its key (``other``: that row's index, whose rejection is the cause;
        NULL when there is none). The engine provides ``rejected__T`` (``_row``, ``rejected``)
        for the related table as the ledger stands when the rule runs.

        One grouping of the related table by key (its first row, and whether any row of the key
        is accepted) joined to the child: a row fails where its key is not NULL and the group is
        missing or has no accepted row. That is the anti-join ``key NOT IN (accepted keys)``
        exactly, since neither side is NULL there; but Spark plans ``NOT IN`` as a null-aware
        anti-join (a nested loop when it cannot broadcast) and this as one aggregate and a join."""
        d = Q.dialect(dialect)
        if d is None or rule.table is None:
            return None
        rel, key = rule.params["related"], d.col(rule.params["key"])
        p, c = d.ident(rel), d.ident(rule.table)
        return (f"WITH g AS (SELECT p.{key} AS k, min(p._row) AS j, max(CASE WHEN r.rejected THEN 0 ELSE 1 END) AS ok "
                f"FROM {p} AS p JOIN {d.ident('rejected__' + rel)} AS r ON r._row = p._row "
                f"WHERE p.{key} IS NOT NULL GROUP BY p.{key}) "
                f"SELECT t._row, g.j AS other, CAST(NULL AS {d.text}) AS detail FROM {c} AS t LEFT JOIN g "
                f"ON g.k = t.{key} WHERE t.{key} IS NOT NULL AND (g.k IS NULL OR g.ok = 0) ORDER BY t._row")


KINDS: Mapping[str, Kind] = {k.name: k() for k in (
    Structure, TableNotEmpty, SingleValidHeader, RecordsInPeriod, NotAllRejected, HasRelated)}
