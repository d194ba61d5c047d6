"""IDS101 (referral): discharge before the period needs a follow-up (IDS10129, inferred)."""

from __future__ import annotations

from itertools import compress, count, repeat
from operator import and_, eq, not_

from ..checks import sql as Q
from ..checks.base import Kind, Nulls, Param, Phase, Testing, Unparsable, kind
from ..checks.values import date_of

__all__ = ["DischargedBeforePeriod"]


@kind
class DischargedBeforePeriod(Kind):
    name = "discharged_before_period"
    phase = Phase.PIPELINE
    params = {"key": Param((str,), doc="the field naming the referral, in every table below"),
              "follow_up_table": Param((str,), doc="the contacts' table"),
              "follow_up_field": Param((str,), doc="the field giving a contact's type"),
              "follow_up_app_type": Param((str,), doc="the type of a post-discharge follow-up contact"),
              "scores_table": Param((str,), doc="the referral-level scores' table"),
              "tool_field": Param((str,), doc="the field naming a score's assessment tool"),
              "tool_group": Param((str,), doc="the group (assessment_tools.yaml) of the tools that count")}
    nulls, unparsable = Nulls.PASS, Unparsable.AS_NULL
    summary = ("A referral discharged before the reporting period starts may only be in the file with a "
               "post-discharge follow-up contact or a Patient Experience Questionnaire score for it "
               "(rows looked for whether or not they are rejected).")
    testing = Testing(breaker="discharged_early")

    def check_params(self, p, chk):
        chk.ref(p["key"], "key")
        chk.field(p["follow_up_table"], p["follow_up_field"])
        chk.field(p["follow_up_table"], p["key"])
        chk.field(p["scores_table"], p["tool_field"])
        chk.field(p["scores_table"], p["key"])

    def describe(self, rule, spec, field):
        return (f"A referral discharged before the reporting period needs a post-discharge follow-up contact "
                f"(AppType {rule.params['follow_up_app_type']}) or a PEQ score in the file.")

    def legal_dates(self, rule, period):
        return period[0], None   # never before the period (a follow-up may let it be, but need not)

    def evaluate(self, rule, table, ctx, *extra):
        """A follow-up is a contact (IDS201) of the follow-up type, a PEQ score a score (IDS606) with
        a tool of the group, for the same referral. SDCS's implementation is not public."""
        rps = ctx.rps
        if rps is None:
            return []
        p = rule.params
        key, follow_up = p["key"], p["follow_up_app_type"]
        # whole columns in C: the referrals with a follow-up or a PEQ score, then the rows
        # discharged before the period (each distinct date tested once) of the others
        contacts = ctx.table(p["follow_up_table"])
        have = set(compress(contacts.values[key], map(eq, contacts.values[p["follow_up_field"]], repeat(follow_up))))
        peq = {c for c, t in ctx.spec.assessment_tools.items() if t.group == p["tool_group"]}
        scores = ctx.table(p["scores_table"])
        have.update(compress(scores.values[key], map(peq.__contains__, scores.values[p["tool_field"]])))
        have.discard(None)
        discharged = table.values[rule.fields[0]]
        early = {v for v in set(discharged) if (d := date_of(v)) is not None and d < rps}
        if not early:
            return []
        when = rps.isoformat()
        return [(i, when, None) for i in compress(count(), map(
            and_, map(early.__contains__, discharged), map(not_, map(have.__contains__, table.values[key]))))]

    def sql(self, rule, dialect):
        """The rows discharged before the period start whose referral (a NULL one too) no contact
        of the follow-up type and no score of a tool of the group names, rows rejected or not: the
        period start from a dialect bound to the run (None without one, or without a period start:
        the rule then has nothing to find, in Python)."""
        d = Q.dialect(dialect)
        if d is None or rule.table is None or d.run is None or d.run.period_start is None:
            return None
        p = rule.params
        key, rps = d.col(p["key"]), d.date(d.run.period_start)
        peq = sorted(c for c, t in d.run.spec.assessment_tools.items() if t.group == p["tool_group"])
        tools = f"s.{d.col(p['tool_field'])} IN {d.text_list(peq)}" if peq else "FALSE"
        return (f"SELECT t._row, {rps} AS other, CAST(NULL AS {d.text}) AS detail FROM {d.ident(rule.table)} AS t "
                f"LEFT JOIN (SELECT c.{key} AS k FROM {d.ident(p['follow_up_table'])} AS c "
                f"WHERE c.{d.col(p['follow_up_field'])} = {d.lit(p['follow_up_app_type'])} AND c.{key} IS NOT NULL "
                f"UNION SELECT s.{key} AS k FROM {d.ident(p['scores_table'])} AS s WHERE {tools} AND s.{key} IS NOT NULL) "
                f"AS h ON h.k = t.{key} WHERE t.{d.col(rule.fields[0])} < {rps} AND h.k IS NULL ORDER BY t._row")
