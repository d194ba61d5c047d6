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

__all__ = ["Contact", "Referral", "submission_with", "UPLOAD", "referrals", "CRITERIA", "SLOTS"]

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

#: criterion -> what drawing it with meet=True / meet=False guarantees
CRITERIA: Mapping[str, str] = {
    "finished": "discharged in the period with at least 2 treatment contacts / not",
    "paired": "at least 2 PHQ-9 and 2 anxiety scores / not",
    "caseness": "a first PHQ-9 or anxiety score at caseness / neither",
    "recovered": "at caseness first, both last scores below / not (a finished, paired referral)",
    "reliable_improvement": "a reliable fall and no reliable rise / not (a finished, paired referral)",
    "within_6_weeks": "first treatment at most 42 days after referral / more than 42",
}


def _iso(d: _dt.date) -> str:
    return d.isoformat()


@st.composite
def referrals(draw: Any, meet: Mapping[str, bool] | None = None) -> Referral:
    """A referral in March 2021 meeting (True) or missing (False) each criterion named in
    *meet* (see :data:`CRITERIA`); criteria not named are drawn freely."""
    meet = dict(meet or {})
    unknown = set(meet) - set(CRITERIA)
    if unknown:
        raise UsageError(f"unknown criteria {sorted(unknown)}; known: {', '.join(CRITERIA)}")
    start, last = _PERIOD
    outcome_wanted = any(k in meet for k in ("caseness", "recovered", "reliable_improvement"))
    finished = meet.get("finished", True if outcome_wanted else draw(st.booleans()))
    paired = meet.get("paired", True if outcome_wanted else draw(st.booleans()))
    if outcome_wanted and not (finished and paired):
        raise UsageError("caseness, recovery and reliable improvement need finished=True and paired=True")

    # the wait: a first treatment in the period, the referral received before it
    first = start + _dt.timedelta(days=draw(st.integers(0, 9)))
    if "within_6_weeks" in meet:
        wait = draw(st.integers(0, 42)) if meet["within_6_weeks"] else draw(st.integers(43, 200))
    else:
        wait = draw(st.integers(0, 200))
    received = first - _dt.timedelta(days=wait)

    # the scores: PHQ-9 and GAD-7 (first, last)
    p_first, p_last, g_first, g_last = (draw(st.integers(0, 27)), draw(st.integers(0, 27)),
                                        draw(st.integers(0, 21)), draw(st.integers(0, 21)))
    if "caseness" in meet:
        if meet["caseness"]:
            p_first = draw(st.integers(10, 27))
        else:
            p_first, g_first = draw(st.integers(0, 9)), draw(st.integers(0, 7))
    if "recovered" in meet:
        p_first = draw(st.integers(10, 27))
        if meet["recovered"]:
            p_last, g_last = draw(st.integers(0, 9)), draw(st.integers(0, 7))
        else:
            p_last = draw(st.integers(10, 27))
    if "reliable_improvement" in meet:
        if meet["reliable_improvement"]:
            p_first = draw(st.integers(max(6, p_first), 27))
            p_last = draw(st.integers(0, p_first - 6))
            g_last = draw(st.integers(max(0, g_first - 3), min(21, g_first + 3)))
        else:
            p_last = draw(st.integers(max(0, p_first - 5), 27))
            g_last = draw(st.integers(max(0, g_first - 3), 21))
        if meet.get("recovered") and meet["reliable_improvement"]:
            p_first, p_last, g_first, g_last = max(p_first, 16), min(p_last, 9), g_first, min(g_last, 7)
            p_last = min(p_last, p_first - 6)
        if "recovered" in meet and not meet["recovered"] and not meet["reliable_improvement"]:
            p_last = max(p_last, 10)

    n_treat = draw(st.integers(2, 5)) if finished else draw(st.integers(0, 1))
    gap = draw(st.integers(1, 4))
    contacts = []
    for k in range(max(n_treat, 2 if paired else 1)):
        day = first + _dt.timedelta(days=min(k * gap, 18))
        treatment = k < n_treat
        scores: dict[str, str] = {}
        if paired or k == 0:
            if k == 0:
                scores = {"PHQ-9": str(p_first), "GAD-7": str(g_first)}
            elif k == max(n_treat, 2) - 1:
                scores = {"PHQ-9": str(p_last), "GAD-7": str(g_last)}
            else:
                scores = {"PHQ-9": str(p_first), "GAD-7": str(g_first)}
        contacts.append(Contact(_iso(day), app_type="02" if treatment else "01", time=f"{9 + k:02d}:00:00",
                                scores=scores))
    if not paired and contacts:
        contacts[0].scores = {"PHQ-9": str(p_first), "GAD-7": str(g_first)}
    if finished:
        discharged = _iso(first + _dt.timedelta(days=20))
    else:
        discharged = draw(st.sampled_from([None, _iso(first + _dt.timedelta(days=20))]))
    if not contacts:
        first_day = first
        contacts = [Contact(_iso(first_day), app_type="01", scores={"PHQ-9": str(p_first)})]
    return Referral(received=_iso(received), discharged=discharged, contacts=contacts)
