"""One referral's measures, from its rows: the pure part of :mod:`iapt_ds.measures`.

:func:`assess` takes plain input records (a referral, its care contacts, internet therapy logs,
presenting complaints and scores, as SDCS would have loaded them) and the period, and returns a
:class:`ReferralMeasures`: every flag, date and score, and for each measure the referral does not
count in, *why*. Nothing here reads a submission: tests and :mod:`iapt_ds.testing` build
referrals directly.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, NamedTuple

import attrs

from .definitions import Definitions, Measure

__all__ = ["ReferralIn", "ContactIn", "LogIn", "ComplaintIn", "ScoreIn", "ReferralMeasures", "assess",
           "COUNTS", "MEASURES"]

#: what a referral can count in (the provider totals are sums of these, one per referral)
COUNTS = ("received", "entered_treatment", "ended", "finished", "finished_unpaired", "at_caseness",
          "not_at_caseness", "recovered", "reliable_improvement", "reliable_deterioration",
          "no_reliable_change", "reliable_recovery", "finished_within_6_weeks", "finished_within_18_weeks",
          "entered_within_6_weeks", "entered_within_18_weeks")

#: the per-referral measures that get a drop-out reason (keys of ReferralMeasures.why)
MEASURES = ("received", "entered_treatment", "ended", "finished", "paired", "caseness", "recovered",
            "reliable_improvement", "reliable_recovery", "within_6_weeks", "within_18_weeks")

_MISSING_TIME = _dt.time(23, 59, 59, 999999)


class ReferralIn(NamedTuple):
    """An IDS101 row."""

    id: str | None
    patient: str | None = None
    received: _dt.date | None = None
    discharged: _dt.date | None = None
    end_code: str | None = None
    row: int | None = None                   # 1-based IDS101 row


class ContactIn(NamedTuple):
    """An IDS201 row; *employment_support* when one of its accepted IDS202 activities is
    employment support."""

    id: str | None
    date: _dt.date | None
    app_type: str | None = "02"
    attend: str | None = "5"
    planned: str | None = "Y"
    time: _dt.time | None = None
    employment_support: bool = False


class LogIn(NamedTuple):
    """An IDS205 row."""

    start: _dt.date | None
    end: _dt.date | None = None
    duration: int | None = None
    programme: str | None = None


class ComplaintIn(NamedTuple):
    """An IDS603 row; *order* is its row number (a later row wins a tie)."""

    code: str | None
    significance: str | None = "1"
    date: _dt.date | None = None
    scheme: str | None = "01"
    order: int = 0


class ScoreIn(NamedTuple):
    """A score: an IDS607 row (dated by its care contact) or an IDS606 row (by AssToolCompDate).
    *table* orders scores of one date and time: IDS607 first."""

    tool: str
    score: str | None
    date: _dt.date | None
    time: _dt.time | None = None
    table: str = "IDS607"
    order: int = 0
    contact: str | None = None


@attrs.define(eq=False, slots=True)
class ReferralMeasures:
    """Everything iapt-ds derives for one referral. Flags that need a finished referral with
    paired scores are None when it has none; ``why`` says, for every measure (see
    :data:`MEASURES`) the referral does not count in, why not."""

    id: str | None
    patient: str | None
    row: int | None
    accepted: bool
    rejected: str | None                    # why the referral row is not loaded, when it is not
    received: _dt.date | None = None
    discharged: _dt.date | None = None
    treatment_contacts: int = 0
    internet_logs: int = 0
    first_assessment: _dt.date | None = None
    first_treatment: _dt.date | None = None
    wait_days: int | None = None
    assessment_wait_days: int | None = None
    received_in_period: bool = False
    entered_treatment: bool = False
    ended: bool = False
    finished: bool = False
    descriptor: str | None = None
    descriptor_measure: str | None = None   # the descriptor's own anxiety measure, if it has one
    anxiety_measure: str | None = None      # the one used (None: cannot be assessed)
    phq9_first: Decimal | None = None
    phq9_last: Decimal | None = None
    anxiety_first: Decimal | None = None
    anxiety_last: Decimal | None = None
    phq9_scores: int = 0
    anxiety_scores: int = 0
    paired: bool = False
    caseness: bool | None = None
    recovered: bool | None = None
    reliable_improvement: bool | None = None
    reliable_deterioration: bool | None = None
    no_reliable_change: bool | None = None
    reliable_recovery: bool | None = None
    within_6_weeks: bool | None = None
    within_18_weeks: bool | None = None
    contacts_not_counted: tuple[str, ...] = ()
    why: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def counts(self) -> tuple[int, ...]:
        """This referral's contribution to each of :data:`COUNTS` (0 or 1)."""
        return _counts(self)

    def as_dict(self) -> dict[str, Any]:
        """Plain values (dates ISO, scores as text) for JSON and CSV."""
        out: dict[str, Any] = {}
        for name in _FIELDS:
            v = getattr(self, name)
            if isinstance(v, (_dt.date, Decimal)):
                v = str(v)
            elif isinstance(v, Mapping):
                v = dict(v)
            elif isinstance(v, tuple):
                v = list(v)
            out[name] = v
        return out


def _counts(self: ReferralMeasures) -> tuple[int, ...]:
    if not self.accepted:
        return (0,) * len(COUNTS)
    fin = self.finished
    assessed = fin and self.paired
    return (
        int(self.received_in_period), int(self.entered_treatment), int(self.ended), int(fin),
        int(fin and not self.paired), int(assessed and bool(self.caseness)),
        int(assessed and self.caseness is False), int(bool(self.recovered)),
        int(bool(self.reliable_improvement)), int(bool(self.reliable_deterioration)),
        int(bool(self.no_reliable_change)), int(bool(self.reliable_recovery)),
        int(fin and bool(self.within_6_weeks)), int(fin and bool(self.within_18_weeks)),
        int(self.entered_treatment and bool(self.within_6_weeks)),
        int(self.entered_treatment and bool(self.within_18_weeks)),
    )


_FIELDS = tuple(a.name for a in attrs.fields(ReferralMeasures))


def rejected_referral(ref: ReferralIn, reason: str) -> ReferralMeasures:
    """A referral whose row SDCS would not load: it counts in nothing, for *reason*."""
    text = f"rejected: {reason}"
    return ReferralMeasures(id=ref.id, patient=ref.patient, row=ref.row, accepted=False, rejected=reason,
                            received=ref.received, discharged=ref.discharged,
                            why=MappingProxyType({m: text for m in MEASURES}))


def rejected_referrals(refs: Iterable[ReferralIn], reason: str) -> list[ReferralMeasures]:
    """Referrals rejected all for one *reason* (the file is rejected): one reasons mapping shared."""
    why = MappingProxyType({m: f"rejected: {reason}" for m in MEASURES})
    return [ReferralMeasures(id=ref.id, patient=ref.patient, row=ref.row, accepted=False, rejected=reason,
                             received=ref.received, discharged=ref.discharged, why=why) for ref in refs]


def _score(text: str | None) -> Decimal | int | None:
    """A score's value: an int for whole digits (the usual case, compared exactly with the
    Decimal thresholds), else a Decimal; None when it is not a number."""
    if text is None:
        return None
    if text.isdigit() and text.isascii():
        return int(text)
    try:
        d = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return d if d.is_finite() else None


def _n(x: Decimal | int) -> str:
    """A score as a person writes it (no exponent, no trailing zeros beyond the input)."""
    return str(x) if isinstance(x, int) else format(x, "f")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _contact_order(c: ContactIn) -> tuple:
    return (c.date or _dt.date.max, c.time or _MISSING_TIME, c.id or "")


def _contact_why(c: ContactIn, d: Definitions, received: _dt.date | None, end: _dt.date,
                 end_words: str, app_words: Mapping[str, str]) -> str | None:
    if c.date is None:
        return "no valid CareContDate"
    if c.app_type not in d.treatment_app_types:
        meaning = app_words.get(c.app_type or "", "")
        what = f" ({meaning.lower()})" if meaning else ""
        return f"AppType {c.app_type or 'blank'}{what} is not treatment"
    if c.attend not in d.attended and c.planned != d.unplanned:
        return f"not attended (AttendOrDNACode {c.attend or 'blank'})"
    if received is not None and c.date < received:
        return f"dated {c.date}, before the referral was received ({received})"
    if c.date > end:
        return f"dated {c.date}, after {end_words} ({end})"
    if c.employment_support:
        return "an employment-adviser contact (IDS202 employment support)"
    return None


def assess(ref: ReferralIn, contacts: Iterable[ContactIn], logs: Iterable[LogIn], complaints: Iterable[ComplaintIn],
           scores: Iterable[ScoreIn], period: tuple[_dt.date, _dt.date], d: Definitions, *,
           app_words: Mapping[str, str] | None = None, rejected_below: Mapping[str, Sequence[str]] | None = None,
           explain: bool = True) -> ReferralMeasures:
    """The measures of one accepted referral in the reporting *period* (first, last day).

    *rejected_below* lists, per kind of row (``contacts``, ``scores``, ``complaints``, ``logs``),
    the rows of this referral that SDCS would reject, in words: they are named in the drop-out
    reasons they may explain. Without *explain*, the flags and counts alone (no ``why``, no
    ``contacts_not_counted``): what the cost of the findings needs, in less time."""
    start, last = period
    app_words = app_words or {}
    below = rejected_below or {}
    why: dict[str, str] = {}
    received, discharged = ref.received, ref.discharged

    # ---------------------------------------------------------------- treatment contacts
    if discharged is not None:
        window_end, end_words = discharged, "discharge"
    else:
        window_end, end_words = last, "the period end (the referral is open)"
    treatment_dates: list[_dt.date] = []
    not_counted: list[str] = []
    assessments: list[_dt.date] = []
    # in date order for the reasons (the first dates are the smallest, in any order)
    ordered = sorted(contacts, key=_contact_order) if explain and len(contacts) > 1 else contacts  # type: ignore[arg-type]
    attended, treatment_types, assessment_types, unplanned = (d.attended, d.treatment_app_types,
                                                              d.assessment_app_types, d.unplanned)
    for c in ordered:
        cdate = c.date
        if cdate is not None and c.attend in attended and c.app_type in assessment_types:
            assessments.append(cdate)
        if (cdate is not None and c.app_type in treatment_types and (c.attend in attended or c.planned == unplanned)
                and (received is None or cdate >= received) and cdate <= window_end and not c.employment_support):
            treatment_dates.append(cdate)
        elif explain:
            reason = _contact_why(c, d, received, window_end, end_words, app_words)
            not_counted.append(f"{c.id or 'a contact'} ({cdate or 'no date'}): {reason}")
    n_logs = 0
    for log in logs:
        ok = log.duration is not None and d.log_min_duration.holds(log.duration)
        if ok and d.logs_in_window:
            ok = log.start is not None and (received is None or log.start >= received) and log.start <= window_end
        if ok:
            n_logs += 1
        elif explain:
            not_counted.append(f"internet therapy log from {log.start or 'no date'}: "
                               + ("no positive duration" if not (log.duration and log.duration > 0)
                                  else "outside the referral"))
    n_treat = len(treatment_dates) + n_logs
    first_treatment = min(treatment_dates) if treatment_dates else None
    first_assessment = min(assessments) if assessments else None
    wait = (first_treatment - received).days if first_treatment and received else None
    a_wait = (first_assessment - received).days if first_assessment and received else None

    def in_period(x: _dt.date | None) -> bool:
        return x is not None and start <= x <= last

    received_in = in_period(received)
    entered = in_period(first_treatment)
    ended = in_period(discharged)
    finished = ended and n_treat >= d.min_treatment_contacts
    if explain and not received_in:
        why["received"] = (f"received {received}, " + ("before" if received < start else "after") + " the period"
                           if received else "no valid ReferralRequestReceivedDate")
    if explain and not entered:
        why["entered_treatment"] = (f"first treatment {first_treatment}, outside the period" if first_treatment
                                    else "no treatment contact")
    if explain and not ended:
        why["ended"] = (f"discharged {discharged}, outside the period" if discharged
                        else "not discharged (the referral is open)")

    if explain and not finished:
        if not ended:
            why["finished"] = why["ended"]
        else:
            rej_contacts = below.get("contacts", ())
            contact_detail = "; ".join(not_counted[:3]) + (f"; and {len(not_counted) - 3} more"
                                                           if len(not_counted) > 3 else "")
            if rej_contacts:
                contact_detail = "; ".join(filter(None, [contact_detail, f"{_plural(len(rej_contacts), 'contact')} "
                                                         "rejected: " + "; ".join(rej_contacts[:3])]))
            head = "no treatment contact" if n_treat == 0 else f"only {_plural(n_treat, 'treatment contact')}"
            why["finished"] = head + (f" ({contact_detail})" if contact_detail else "")

    # ---------------------------------------------------------------- problem descriptor
    descriptor = dscheme = None
    cs = complaints if isinstance(complaints, list) else list(complaints)
    if cs:
        best = cs[0] if len(cs) == 1 else min(cs, key=lambda c: (c.code is None, c.significance != d.primary_significance,
                                                                 -(c.date.toordinal() if c.date else 0), -c.order))
        descriptor, dscheme = best.code, best.scheme
    own = d.descriptor_measure(descriptor, dscheme)

    # ---------------------------------------------------------------- scores
    by_tool: dict[str, list[tuple[Any, Decimal | int]]] = {}
    tools = d.by_tool
    for s in scores:
        m = tools.get(s.tool)
        if m is None or s.date is None:
            continue
        t = s.score
        if type(t) is str and t.isdigit() and t.isascii():
            v: Decimal | int = int(t)
        else:
            parsed = _score(t)
            if parsed is None:
                continue
            v = parsed
        key = (s.date, s.time or _MISSING_TIME, s.table != "IDS607", s.order)
        by_tool.setdefault(m.name, []).append((key, v))
    for lst in by_tool.values():
        if len(lst) > 1:
            lst.sort()      # by the key: it is unique (it ends with the row), so no score is compared
    P = d.measures[d.depression]
    phq = [v for _, v in by_tool.get(P.name, ())]
    own_n = len(by_tool.get(own, ())) if own else 0
    gad_n = len(by_tool.get(d.fallback, ()))
    if own and own_n >= d.min_scores:
        anxiety = own
    elif gad_n >= d.min_scores:
        anxiety = d.fallback
    else:
        anxiety = None
    anx = [v for _, v in by_tool.get(anxiety, ())] if anxiety else []
    A: Measure | None = d.measures[anxiety] if anxiety else None
    paired = len(phq) >= d.min_scores and anxiety is not None
    if explain and not paired:
        parts = []
        if len(phq) < d.min_scores:
            parts.append(f"PHQ-9 unpaired ({_plural(len(phq), 'score')})")
        if anxiety is None:
            if own:
                parts.append(f"no paired {own} for {descriptor} ({_plural(own_n, 'score')}) and "
                             f"{d.fallback} unpaired ({_plural(gad_n, 'score')})")
            else:
                parts.append(f"{d.fallback} unpaired ({_plural(gad_n, 'score')})")
        rej_scores = below.get("scores", ())
        if rej_scores:
            parts.append(f"{_plural(len(rej_scores), 'score row')} rejected: " + "; ".join(rej_scores[:3]))
        why["paired"] = "; ".join(parts)

    out: dict[str, Any] = dict(
        id=ref.id, patient=ref.patient, row=ref.row, accepted=True, rejected=None, received=received,
        discharged=discharged, treatment_contacts=n_treat, internet_logs=n_logs, first_assessment=first_assessment,
        first_treatment=first_treatment, wait_days=wait, assessment_wait_days=a_wait, received_in_period=received_in,
        entered_treatment=entered, ended=ended, finished=finished, descriptor=descriptor, descriptor_measure=own,
        anxiety_measure=anxiety, phq9_first=Decimal(phq[0]) if phq else None,
        phq9_last=Decimal(phq[-1]) if len(phq) > 1 else None,
        anxiety_first=Decimal(anx[0]) if anx else None, anxiety_last=Decimal(anx[-1]) if len(anx) > 1 else None,
        phq9_scores=len(phq), anxiety_scores=len(anx), paired=paired, contacts_not_counted=tuple(not_counted),
    )

    # ---------------------------------------------------------------- waits
    if wait is not None:
        out["within_6_weeks"] = wait <= d.six_weeks
        out["within_18_weeks"] = wait <= d.eighteen_weeks
        if explain and wait > d.six_weeks:
            why["within_6_weeks"] = f"waited {wait} days (more than {d.six_weeks})"
        if explain and wait > d.eighteen_weeks:
            why["within_18_weeks"] = f"waited {wait} days (more than {d.eighteen_weeks})"
    elif explain:
        why["within_6_weeks"] = why["within_18_weeks"] = ("no treatment contact" if first_treatment is None
                                                          else "no valid ReferralRequestReceivedDate")

    # ---------------------------------------------------------------- outcomes
    outcome_measures = ("caseness", "recovered", "reliable_improvement", "reliable_recovery")
    if not finished or not paired:
        if explain:
            text = f"did not finish treatment: {why['finished']}" if not finished else f"no paired scores: {why['paired']}"
            for name in outcome_measures:
                why[name] = text
    else:
        assert A is not None
        pf, pl, af, al = phq[0], phq[-1], anx[0], anx[-1]
        caseness = P.at_caseness(pf) or A.at_caseness(af)
        recovered = caseness and not P.at_caseness(pl) and not A.at_caseness(al)
        improve = P.reliable(pf - pl) or A.reliable(af - al)
        worsen = P.reliable(pl - pf) or A.reliable(al - af)
        imp, det = improve and not worsen, worsen and not improve
        out.update(caseness=caseness, recovered=recovered, reliable_improvement=imp, reliable_deterioration=det,
                   no_reliable_change=not imp and not det, reliable_recovery=recovered and imp)
        if explain and not caseness:
            text = (f"not at caseness at first score (PHQ-9 {_n(pf)}, needs {P.caseness.words()}; "
                    f"{A.name} {_n(af)}, needs {A.caseness.words()})")
            why["caseness"] = why["recovered"] = why["reliable_recovery"] = text
        elif explain and not recovered:
            still = [f"{M.name} {_n(x)} still at caseness ({M.caseness.words()})"
                     for M, x in ((P, pl), (A, al)) if M.at_caseness(x)]
            why["recovered"] = why["reliable_recovery"] = "last " + " and ".join(still)
        if explain and not imp:
            changes = f"PHQ-9 {_n(pf)} to {_n(pl)}, {A.name} {_n(af)} to {_n(al)}"
            if det:
                text = f"reliable deterioration ({changes})"
            elif improve and worsen:
                text = f"one score improved reliably and the other deteriorated reliably ({changes})"
            else:
                text = (f"no reliable change ({changes}; needs a fall of {P.reliable_change.words()} on PHQ-9 "
                        f"or {A.reliable_change.words()} on {A.name})")
            why["reliable_improvement"] = text
            if recovered:
                why["reliable_recovery"] = f"recovered without reliable improvement: {text}"
    return ReferralMeasures(**out, why=MappingProxyType(why))
