"""Hand-built referrals for the measures, and Hypothesis strategies that meet or miss each
criterion of :mod:`iapt_ds.measures`.

A :class:`Referral` says what matters to the measures (dates, contacts and their scores,
presenting complaints, internet therapy logs); :func:`submission_with` writes up to seven of
them into a copy of the bundled example (each replaces one example patient's referrals), as rows
that validate with no rejection. :func:`referrals` draws referrals and :data:`CRITERIA` names
what each can be made to meet or miss.

>>> from iapt_ds.testing.referrals import Contact, Referral, submission_with
>>> r = Referral(received="2021-02-01", discharged="2021-03-25",
...              contacts=[Contact("2021-03-01", scores={"PHQ-9": "15", "GAD-7": "12"}),
...                        Contact("2021-03-22", scores={"PHQ-9": "5", "GAD-7": "4"})])
>>> rows = submission_with([r])
>>> sorted(rows)[:3]
['IDS000', 'IDS001', 'IDS002']
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

from ..errors import UsageError
from ..measures.definitions import load_definitions
from ..spec import Spec, load_spec
from ..spec_examples import DEFAULT_UPLOAD, base_rows

__all__ = ["Contact", "Referral", "submission_with", "service_request_id", "UPLOAD", "EMPTY", "referrals",
           "CRITERIA", "SLOTS", "PERIOD", "outcome_of", "as_inputs"]

#: the validate() arguments the built submissions are meant for (March 2021, provider R1Z)
UPLOAD: Mapping[str, Any] = {"period": "2021-03", "provider": DEFAULT_UPLOAD["provider"],
                             "sender": DEFAULT_UPLOAD["sender"], "submitted_at": DEFAULT_UPLOAD["submitted_at"]}

#: how many referrals one submission can carry (one per example patient)
SLOTS = 7


@attrs.define
class Contact:
    """A care contact (IDS201) with one care activity (IDS202) holding its *scores*
    (measure name, e.g. ``PHQ-9``, or a SNOMED CT tool code → score text)."""

    date: str
    app_type: str = "02"
    attend: str | None = "5"
    planned: str | None = "Y"
    time: str = "10:00:00"
    scores: Mapping[str, str] = attrs.Factory(dict)
    procedure: str | None = None     # the activity's CodeProcAndProcStatus (None: the example's)


@attrs.define
class Referral:
    """What a referral needs for the measures."""

    received: str
    discharged: str | None = None
    end_code: str | None = None
    contacts: Sequence[Contact] = attrs.Factory(list)
    #: (ICD-10 or SNOMED CT code, PresCompCodSig, PresCompDate, FindSchemeInUse)
    complaints: Sequence[tuple[str, str, str | None, str]] = (("F32.1", "1", None, "01"),)
    #: IDS606 scores: (measure name or tool code, score, AssToolCompDate)
    referral_scores: Sequence[tuple[str, str, str]] = ()
    #: IDS205 logs: (start, end, duration in minutes)
    logs: Sequence[tuple[str, str, int]] = ()


def _tool(name: str, spec: Spec) -> str:
    d = load_definitions(spec)
    if name in d.measures:
        return d.measures[name].tool
    if name in spec.assessment_tools:
        return name
    raise UsageError(f"unknown measure or tool {name!r}; measures: {', '.join(d.measures)}")


#: what fills a slot no referral was given for: an open referral with no contact (it counts in
#: nothing of the period)
EMPTY = Referral(received="2021-02-01")


def submission_with(referrals: Sequence[Referral], spec: Spec | None = None, *,
                    keep_example: bool = False) -> dict[str, list[dict]]:
    """The bundled example's seven patients with *referrals* (in order: the first gets
    ServiceRequestId ``R1Z2100101``, the second ``R1Z2100102``, …; see
    :func:`service_request_id`). The other patients keep their example referrals with
    *keep_example*, else each gets :data:`EMPTY`, so the totals are those of *referrals* alone."""
    spec = spec or load_spec()
    if len(referrals) > SLOTS:
        raise UsageError(f"a built submission holds at most {SLOTS} referrals, not {len(referrals)}")
    rows = base_rows(spec)
    if not keep_example:
        referrals = list(referrals) + [EMPTY] * (SLOTS - len(referrals))
    patients = [r["LocalPatientId"] for r in rows["IDS001"]][:len(referrals)]
    old = {r["ServiceRequestId"] for r in rows["IDS101"] if r["LocalPatientId"] in patients}
    old_c = {r["CareContactId"] for r in rows["IDS201"] if r["ServiceRequestId"] in old}
    old_a = {r["CareActId"] for r in rows["IDS202"] if r["CareContactId"] in old_c}
    tmpl = {t: dict(rows[t][0]) for t in ("IDS201", "IDS202", "IDS205", "IDS603", "IDS606", "IDS607")}
    by_patient = {r["LocalPatientId"]: dict(r) for r in rows["IDS101"] if r["LocalPatientId"] in patients}
    for t in ("IDS101", "IDS105", "IDS108", "IDS201", "IDS205", "IDS602", "IDS603", "IDS606"):
        rows[t] = [r for r in rows[t] if r["ServiceRequestId"] not in old]
    rows["IDS202"] = [r for r in rows["IDS202"] if r["CareContactId"] not in old_c]
    rows["IDS607"] = [r for r in rows["IDS607"] if r["CareActId"] not in old_a]
    for n, (lpi, ref) in enumerate(zip(patients, referrals)):
        sri = f"R1Z21001{n + 1:02d}"
        r101 = by_patient[lpi]
        r101.update(ServiceRequestId=sri, ReferralRequestReceivedDate=ref.received, ServDischDate=ref.discharged,
                    EndCode=ref.end_code if ref.end_code is not None else ("46" if ref.discharged else None))
        rows["IDS101"].append(r101)
        for k, c in enumerate(ref.contacts):
            ccid, caid = f"R1ZC{n + 1:02d}{k:06d}", f"R1ZA{n + 1:02d}{k:06d}"
            contact = dict(tmpl["IDS201"], CareContactId=ccid, ServiceRequestId=sri, CareContDate=c.date,
                           CareContTime=c.time, AppType=c.app_type, AttendOrDNACode=c.attend,
                           PlannedCareContIndicator=c.planned)
            if c.attend not in ("5", "6"):
                contact.update(ClinContDurOfCareCont=None)
            rows["IDS201"].append(contact)
            act = dict(tmpl["IDS202"], CareActId=caid, CareContactId=ccid, CodeObs=None, ObsValue=None,
                       UnitMeasure=None)
            if c.procedure is not None:
                act["CodeProcAndProcStatus"] = c.procedure
            rows["IDS202"].append(act)
            for tool, score in c.scores.items():
                rows["IDS607"].append(dict(tmpl["IDS607"], CareActId=caid, CodedAssToolType=_tool(tool, spec),
                                           PersScore=score))
        for code, sig, date, scheme in ref.complaints:
            rows["IDS603"].append(dict(tmpl["IDS603"], ServiceRequestId=sri, PresComp=code, PresCompCodSig=sig,
                                       PresCompDate=date or ref.received, FindSchemeInUse=scheme))
        for tool, score, date in ref.referral_scores:
            rows["IDS606"].append(dict(tmpl["IDS606"], ServiceRequestId=sri, CodedAssToolType=_tool(tool, spec),
                                       PersScore=score, AssToolCompDate=date))
        for start, end, minutes in ref.logs:
            rows["IDS205"].append(dict(tmpl["IDS205"], ServiceRequestId=sri, StartDateIntEnabledTherLog=start,
                                       EndDateIntEnabledTherLog=end, DurationIntEnabledTher=str(minutes)))
    return rows


def service_request_id(slot: int) -> str:
    """The ServiceRequestId :func:`submission_with` gives the referral in position *slot* (0-based)."""
    return f"R1Z21001{slot + 1:02d}"


# ------------------------------------------------------------------------------------ strategies

_PERIOD = (_dt.date(2021, 3, 1), _dt.date(2021, 3, 31))

#: criterion -> what drawing it with True / False guarantees
CRITERIA: Mapping[str, str] = {
    "finished": "discharged in the period with at least 2 treatment contacts / not",
    "paired": "at least 2 PHQ-9 and 2 GAD-7 scores / one of them with fewer",
    "caseness": "a first PHQ-9 or GAD-7 score at caseness / neither (needs finished and paired)",
    "recovered": "at caseness first and both last scores below / not (needs finished and paired)",
    "reliable_improvement": "a reliable fall and no reliable rise / not (needs finished and paired)",
    "reliable_deterioration": "a reliable rise and no reliable fall / not (needs finished and paired)",
    "within_6_weeks": "a first treatment at most 42 days after the referral / more than 42",
}
_OUTCOMES = ("caseness", "recovered", "reliable_improvement", "reliable_deterioration")


def outcome_of(scores: tuple[int, int, int, int], spec: Spec | None = None) -> dict[str, bool]:
    """The outcome criteria of (first PHQ-9, last PHQ-9, first GAD-7, last GAD-7), by the
    definitions of the spec (what the strategy aims at)."""
    from decimal import Decimal

    d = load_definitions(spec or load_spec())
    P, A = d.measures[d.depression], d.measures[d.fallback]
    pf, pl, af, al = (Decimal(x) for x in scores)
    caseness = P.at_caseness(pf) or A.at_caseness(af)
    improve = P.reliable(pf - pl) or A.reliable(af - al)
    worsen = P.reliable(pl - pf) or A.reliable(al - af)
    return {"caseness": caseness, "recovered": caseness and not P.at_caseness(pl) and not A.at_caseness(al),
            "reliable_improvement": improve and not worsen, "reliable_deterioration": worsen and not improve}


@st.composite
def referrals(draw: Any, meet: Mapping[str, bool] | None = None) -> Referral:
    """A referral of March 2021 (ICD-10 F32.1: PHQ-9 and GAD-7 are its measures) meeting (True)
    or missing (False) each criterion named in *meet* (see :data:`CRITERIA`); the others are
    drawn freely. Written with :func:`submission_with`, it validates with no rejection."""
    meet = dict(meet or {})
    unknown = set(meet) - set(CRITERIA)
    if unknown:
        raise UsageError(f"unknown criteria {sorted(unknown)}; known: {', '.join(CRITERIA)}")
    wants_outcome = any(k in meet for k in _OUTCOMES)
    if wants_outcome and (meet.get("finished") is False or meet.get("paired") is False):
        raise UsageError("caseness, recovery and reliable change need finished=True and paired=True")
    finished = meet.get("finished", True if wants_outcome else draw(st.booleans()))
    paired = meet.get("paired", True if wants_outcome else draw(st.booleans()))
    start, last = _PERIOD

    # scores: first/last PHQ-9 and GAD-7, aimed at the outcome criteria asked for
    aims = {k: v for k, v in meet.items() if k in _OUTCOMES}
    scores = draw(st.tuples(st.integers(0, 27), st.integers(0, 27), st.integers(0, 21), st.integers(0, 21))
                  .filter(lambda s: all(outcome_of(s)[k] == v for k, v in aims.items())))
    pf, pl, af, al = (str(x) for x in scores)

    # treatment contacts: the first one is the first treatment (its date sets the wait)
    needs_treatment = finished or "within_6_weeks" in meet
    n_treat = draw(st.integers(2, 5)) if finished else draw(st.integers(1 if needs_treatment else 0, 1))
    first = start + _dt.timedelta(days=draw(st.integers(0, 9)))
    if "within_6_weeks" in meet:
        wait = draw(st.one_of(st.just(42), st.integers(0, 42))) if meet["within_6_weeks"] else \
            draw(st.one_of(st.just(43), st.integers(43, 300)))
    else:
        wait = draw(st.integers(0, 300))
    received = first - _dt.timedelta(days=wait)
    days = sorted(draw(st.lists(st.integers(0, 15), min_size=max(n_treat, 2) - 1, max_size=max(n_treat, 2) - 1)))
    dates = [first] + [first + _dt.timedelta(days=1 + x) for x in days]
    contacts = []
    for k, day in enumerate(dates):
        treatment = k < n_treat
        if treatment:
            c = Contact(day.isoformat(), time=f"{9 + k:02d}:00:00")
        else:
            kind = draw(st.sampled_from(["assessment", "follow-up", "did not attend"]))
            c = Contact(day.isoformat(), time=f"{9 + k:02d}:00:00",
                        app_type={"assessment": "01", "follow-up": "06"}.get(kind, "02"),
                        attend="3" if kind == "did not attend" else "5")
        contacts.append(c)
    contacts[0].scores = {"PHQ-9": pf, "GAD-7": af}
    if paired:
        contacts[-1].scores = {"PHQ-9": pl, "GAD-7": al}
    else:
        contacts[-1].scores = {draw(st.sampled_from(["PHQ-9", "GAD-7"])): pl}
    end = dates[-1] + _dt.timedelta(days=draw(st.integers(0, 5)))
    discharged: str | None = min(end, last).isoformat()
    if not finished and n_treat >= 2:
        discharged = None
    elif not finished and draw(st.booleans()):
        discharged = None
    return Referral(received=received.isoformat(), discharged=discharged, contacts=contacts)


def as_inputs(ref: Referral, spec: Spec | None = None) -> tuple:
    """The records :func:`iapt_ds.measures.assess` takes for a built referral (all rows accepted):
    (referral, contacts, logs, complaints, scores)."""
    from ..measures.referral import ComplaintIn, ContactIn, LogIn, ReferralIn, ScoreIn

    spec = spec or load_spec()
    day = _dt.date.fromisoformat

    def t(x: str) -> _dt.time:
        return _dt.time.fromisoformat(x)

    r = ReferralIn(id="R", received=day(ref.received), discharged=day(ref.discharged) if ref.discharged else None)
    contacts, scores = [], []
    es = load_definitions(spec).employment_support_procedure
    for k, c in enumerate(ref.contacts):
        contacts.append(ContactIn(f"C{k}", day(c.date), app_type=c.app_type, attend=c.attend, planned=c.planned,
                                  time=t(c.time), employment_support=c.procedure == es))
        scores += [ScoreIn(tool=_tool(name, spec), score=v, date=day(c.date), time=t(c.time), order=k)
                   for name, v in c.scores.items()]
    scores += [ScoreIn(tool=_tool(name, spec), score=v, date=day(d), table="IDS606") for name, v, d in ref.referral_scores]
    complaints = [ComplaintIn(code, sig, day(date) if date else day(ref.received), scheme, order=k)
                  for k, (code, sig, date, scheme) in enumerate(ref.complaints)]
    logs = [LogIn(day(s), day(e), m) for s, e, m in ref.logs]
    return r, contacts, logs, complaints, scores


PERIOD = _PERIOD
