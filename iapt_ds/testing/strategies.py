"""Hypothesis strategies for whole, valid IAPT v2.0 submissions.

:func:`submissions` draws a submission that SDCS would accept without a single finding: all 19
tables as in-memory rows of text, keys consistent down the parent → child chain, dates inside the
period and in the order the rules want, codes from the code lists, scores in range for their tool.
Validate it with the upload details :func:`upload_of` reads back from its header::

    rows = data.draw(submissions())
    result = iapt_ds.validate(rows, **upload_of(rows))

Field values come from :func:`~iapt_ds.testing.field_values` (the spec's widths, code lists and
formats); what ties fields and rows together is written out here, table by table, each with the
rule it satisfies.
"""

from __future__ import annotations

import datetime as _dt
import functools
import operator
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from ..checks.context import ReferenceSets
from ..checks.values import add_months
from ..errors import UsageError
from ..spec import Spec, load_spec
from ..pipeline import period_bounds
from . import _values as V
from ._model import field_of, table_of

__all__ = ["DEFAULT_SIZES", "known_reference_data", "submissions", "table_rows", "upload_of"]

#: rows per parent row (per patient, per referral, per contact, per activity; IDS902: people)
DEFAULT_SIZES: Mapping[str, tuple[int, int]] = {
    "IDS001": (1, 3), "IDS002": (1, 3), "IDS004": (0, 2), "IDS007": (0, 2), "IDS011": (0, 2),
    "IDS012": (0, 1), "IDS803": (0, 2), "IDS101": (1, 2), "IDS105": (0, 1), "IDS108": (0, 1),
    "IDS201": (0, 3), "IDS202": (0, 2), "IDS205": (0, 1), "IDS602": (0, 1), "IDS603": (0, 2),
    "IDS606": (0, 2), "IDS607": (0, 2), "IDS902": (0, 3),
    # v2.1's new tables
    "IDS003": (0, 2), "IDS601": (0, 2),
}
# a patient needs an accepted GP registration (IDS00145) and referral (IDS00146)
_AT_LEAST_ONE = ("IDS001", "IDS002", "IDS101")
# days between the end of the period and the upload that upload_of() assumes
_UPLOAD_DELAY = _dt.timedelta(days=5, hours=12)
_ID_DIGITS = 4  # room left in an identifier for its running number


def _submitted_at(period_end: _dt.date) -> _dt.datetime:
    return _dt.datetime.combine(period_end, _dt.time()) + _UPLOAD_DELAY


def spec_of(rows: Mapping[str, Sequence[Mapping]], spec: Spec | None = None) -> Spec:
    """The spec of the version a generated submission is of (its header's DatSetVer; v2.0 when
    it names none iapt-ds knows)."""
    if spec is not None:
        return spec
    from ..version_choice import specs_by_version

    by_dataset = {s.dataset_version: s for s in specs_by_version().values()}
    for name, table_rows in rows.items():
        if name.lower() in ("ids000", "ids000header") and table_rows:
            found = by_dataset.get(str(table_rows[0].get("DatSetVer") or "").strip())
            if found is not None:
                return found
    return load_spec()


def _spec_for(version: str | None, spec: Spec | None) -> Spec:
    if spec is not None:
        if version is not None and version != spec.version:
            raise UsageError(f"version={version!r} and a v{spec.version} spec were both given; give one")
        return spec
    if version is None:
        return load_spec()
    from ..version_choice import specs_by_version

    specs = specs_by_version()
    if version not in specs:
        raise UsageError(f"no IAPT version {version!r}; there are {', '.join(specs)}")
    return specs[version]


def upload_of(rows: Mapping[str, Sequence[Mapping]], spec: Spec | None = None) -> dict[str, Any]:
    """The keyword arguments for :func:`iapt_ds.validate` that a generated submission was made
    for: the period, provider and sender of its header, uploaded 5½ days after the period."""
    spec = spec_of(rows, spec)
    header_rows = next(r for name, r in rows.items() if spec.table(name).id == spec.header)
    h = header_rows[0]
    start = _dt.date.fromisoformat(h["ReportingPeriodStartDate"])
    end = _dt.date.fromisoformat(h["ReportingPeriodEndDate"])
    return {"period": f"{start:%Y-%m}", "provider": h["OrgIDProv"], "sender": h["OrgIDSubmit"],
            "submitted_at": _submitted_at(end).isoformat()}


def known_reference_data(rows: Mapping[str, Sequence[Mapping]], spec: Spec | None = None) -> ReferenceSets:
    """Reference data that knows every organisation, GP practice, site and postcode the
    submission uses (so the reference-data rules are checked, and pass)."""
    spec = spec_of(rows, spec)
    by_table = {spec.table(name).id: table_rows for name, table_rows in rows.items()}
    known: dict[str, set[str]] = defaultdict(set)
    for rule in spec.rules.values():
        if rule.kind == "reference_data":
            known[rule.params["lookup"] + "s"].update(
                r[field_of(rule)] for r in by_table.get(table_of(rule), ()) if r.get(field_of(rule)))
    return ReferenceSets(**known)


def _pair(name: str, size: int | tuple[int, int]) -> tuple[int, int]:
    """A size given as n or (min, max), as (min, max)."""
    if isinstance(size, int):
        return size, size
    try:
        lo, hi = size
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a number of rows or a (min, max) pair, got {size!r}") from None
    return lo, hi


def _sizes(patients: int | tuple[int, int], sizes: Mapping[str, int | tuple[int, int]] | None,
           spec: Spec) -> dict[str, tuple[int, int]]:
    out = {tid: size for tid, size in DEFAULT_SIZES.items() if tid in spec.tables}
    out["IDS001"] = _pair("patients", patients)
    for tid, size in (sizes or {}).items():
        if tid in DEFAULT_SIZES and tid not in spec.tables:
            continue  # a table of another version (IDS003, IDS601 are v2.1's)
        if tid not in out:
            raise UsageError(f"sizes: {tid!r} is not a table with a variable number of rows "
                             f"(one of {', '.join(sorted(out))})")
        out[tid] = _pair(f"sizes[{tid!r}]", size)
    for tid, (lo, hi) in out.items():
        if not 0 <= lo <= hi or (tid in _AT_LEAST_ONE and lo < 1):
            raise UsageError(f"sizes: {tid} needs 0 <= min <= max (and min >= 1 for "
                             f"{', '.join(_AT_LEAST_ONE)}), got {(lo, hi)}")
    return out


@functools.cache
def _cell_values(spec_path: str, tid: str, field: str) -> st.SearchStrategy[str | None]:
    """The field's values, or NULL as well when no not_blank rule requires one."""
    spec = load_spec(spec_path)
    values = V.field_values(tid, field, spec)
    required = any(r.kind == "not_blank" and r.field == field for r in spec.rules_for(tid))
    return values if required else st.none() | values


@functools.cache
def _header_copies(spec_path: str) -> dict[tuple[str, str], str]:
    """(table, field) -> the header field it must equal (IDS00153)."""
    spec = load_spec(spec_path)
    return {(table_of(r), field_of(r)): r.params["other"].split(".", 1)[1] for r in spec.rules.values()
            if r.kind == "equals_field" and r.params["other"].startswith(spec.header + ".")}


class _Builder:
    """Draws one submission, parent rows before their children."""

    def __init__(self, draw, spec: Spec, period: str, provider: str, sender: str,
                 sizes: dict[str, tuple[int, int]], history_days: int | None) -> None:
        self.draw, self.spec, self.sizes = draw, spec, sizes
        self.rps, self.rpe = period_bounds(period)
        self.history = None if history_days is None else self.rps - _dt.timedelta(days=history_days)
        self.provider, self.sender = provider, sender
        self.rows: dict[str, list[dict]] = {tid: [] for tid in spec.tables}
        self._counters: dict[tuple[str, str], int] = defaultdict(int)
        self._prefixes: dict[tuple[str, str], str] = {}
        self._nhs: set[str] = set()
        self.staff: list[str] = []

    # -- drawing helpers ---------------------------------------------------------------------
    def params(self, code: str) -> Mapping[str, Any]:
        return self.spec.rules[code].params

    def count(self, tid: str) -> int:
        return self.draw(st.integers(*self.sizes[tid]))

    def value(self, tid: str, field: str) -> str | None:
        """A value passing the field's own rules; NULL now and then unless a rule requires one."""
        return self.draw(_cell_values(self.spec.path, tid, field))

    def ident(self, tid: str, field: str) -> str:
        """A fresh identifier: a drawn prefix (once per field) and a running number."""
        key = (tid, field)
        if key not in self._prefixes:
            room = V.width(tid, field, self.spec)[1] - _ID_DIGITS
            self._prefixes[key] = self.draw(V.identifiers(room)) if room > 0 else ""
        self._counters[key] += 1
        return f"{self._prefixes[key]}{self._counters[key]}"

    def day(self, lo: _dt.date, hi: _dt.date) -> _dt.date:
        return self.draw(st.dates(lo, hi))

    def maybe_day(self, lo: _dt.date, hi: _dt.date) -> _dt.date | None:
        return self.draw(st.none() | st.dates(lo, hi)) if lo <= hi else None

    def since(self, lo: _dt.date) -> _dt.date:
        """The earliest date for a record of someone born (or referred) on *lo*."""
        return lo if self.history is None else max(lo, min(self.history, self.rpe))

    def listing(self, tid: str, element, key=lambda x: x) -> list:
        lo, hi = self.sizes[tid]
        return self.draw(st.lists(element, min_size=lo, max_size=hi, unique_by=key))

    def add(self, tid: str, **given: Any) -> dict:
        """Append a row: *given* values (dates as dates), the rest drawn from the field's own rules.
        A field that must equal a header field (IDS00153) copies it."""
        header = self.rows[self.spec.header][0] if self.rows[self.spec.header] else {}
        copies = _header_copies(self.spec.path)
        row: dict[str, str | None] = {}
        for f in self.spec.tables[tid].fields:
            if f.name in given:
                v = given[f.name]
                row[f.name] = v.isoformat() if isinstance(v, _dt.date) else v
            elif f.type in ("date", "datetime"):
                raise AssertionError(f"{tid}.{f.name}: dates are always given")
            elif (tid, f.name) in copies:
                row[f.name] = header[copies[(tid, f.name)]]
            else:
                row[f.name] = self.value(tid, f.name)
        self.rows[tid].append(row)
        return row

    # -- tables ------------------------------------------------------------------------------
    def header(self) -> None:
        created = self.draw(st.datetimes(_dt.datetime.combine(self.rps, _dt.time()), _submitted_at(self.rpe)))
        self.add("IDS000", OrgIDProv=self.provider, OrgIDSubmit=self.sender,
                 ReportingPeriodStartDate=self.rps, ReportingPeriodEndDate=self.rpe,
                 DateTimeDatSetCreate=created.replace(microsecond=0).isoformat())

    def care_personnel(self) -> None:
        """IDS902: qualifications of the people named in IDS202/IDS205."""
        awarded_from = _dt.date.fromisoformat(self.params("IDS90212")["min"])
        planned_to = add_months(self.rpe, 12 * self.params("IDS90215")["offset_years"])
        levels = V.field_values("IDS902", "QualAttainLevelIAPT", self.spec)
        for _ in range(self.count("IDS902")):
            person = self.ident("IDS902", "CarePersLocalId")
            self.staff.append(person)
            for level in self.draw(st.lists(levels, min_size=1, max_size=2, unique=True)):   # IDS90210
                planned = self.maybe_day(self.rps, planned_to)                      # IDS90209, IDS90215
                if planned is None:                                                 # IDS90214
                    awarded: _dt.date | None = self.day(awarded_from, self.rpe)
                else:                                                               # IDS90213
                    awarded = self.maybe_day(max(planned, awarded_from), self.rpe)
                self.add("IDS902", CarePersLocalId=person, QualAttainLevelIAPT=level,
                         QualAwardedDate=awarded, QualPlannedCompletionDate=planned)

    def person(self) -> str | None:
        return self.draw(st.none() | st.sampled_from(self.staff)) if self.staff else None

    def patient(self) -> None:
        lpi = self.ident("IDS001", "LocalPatientId")
        oldest = add_months(self.rps, -12 * self.params("IDSREJ008")["max_age"])
        birth = self.day(oldest, self.rpe)                                          # IDSREJ008
        number = self.draw(V.nhs_numbers().filter(lambda n: n not in self._nhs))    # IDSREJ006, 009
        self._nhs.add(number)
        not_with_number = self.params("IDS00117")["then"]["not_in"]
        status = self.draw(V.field_values("IDS001", "NHSNumberStatus", self.spec).filter(
            lambda s: s not in not_with_number))
        self.add("IDS001", LocalPatientId=lpi, NHSNumber=number, NHSNumberStatus=status,
                 PersonBirthDate=birth, Postcode=self.draw(V.postcodes()))
        self.gp_registrations(lpi, birth)
        if "IDS003" in self.spec.tables:
            self.accommodation(lpi, birth)
        self.employment(lpi, birth)
        for code in self.listing("IDS007", V.field_values("IDS007", "DisabCode", self.spec)):
            self.add("IDS007", LocalPatientId=lpi, DisabCode=code)                  # IDS00702
        since = self.since(birth)
        for snomed, day in self.listing("IDS011", st.tuples(V.field_values("IDS011", "SocPerCircumstance", self.spec),
                                                            st.dates(since, self.rpe))):
            self.add("IDS011", LocalPatientId=lpi, SocPerCircumstance=snomed, SocPerCircumstanceRecDate=day)
        for cat, day in self.listing("IDS012", st.tuples(V.field_values("IDS012", "OvsVisChCat", self.spec),
                                                         st.dates(since, self.rpe))):
            self.add("IDS012", LocalPatientId=lpi, OvsVisChCat=cat, OvsVisChCatAppDate=day)
        if "IDS601" in self.spec.tables:
            self.previous_diagnoses(lpi, since)
        self.care_clusters(lpi, since)
        for _ in range(self.count("IDS101")):
            self.referral(lpi, birth)

    def gp_registrations(self, lpi: str, birth: _dt.date) -> None:
        """A chain: each registration that ends is followed, the next day, by one at another
        practice (IDS00223); only the last is open (IDS00222). Ends fall in the period
        (IDS00214-216); starts are no later than the day after it (IDS00211)."""
        latest = self.rpe + _dt.timedelta(days=self.params("IDS00211")["offset_days"])
        start = self.day(self.since(birth), latest)                                # IDS00211, IDS00212
        practice = None
        for left in range(self.count("IDS002"), 0, -1):
            practice = self.draw(V.field_values("IDS002", "GMPCodeReg", self.spec).filter(functools.partial(operator.ne, practice)))
            end = None if left == 1 or start > self.rpe else self.day(max(self.rps, start), self.rpe)
            self.add("IDS002", LocalPatientId=lpi, GMPCodeReg=practice, StartDateGMPRegistration=start,
                     EndDateGMPRegistration=end)
            if end is None:
                return
            start = end + _dt.timedelta(days=1)

    def employment(self, lpi: str, birth: _dt.date) -> None:
        since = self.since(birth)
        needs_referral = self.params("IDS00435")["if"]["in"]
        for day in self.listing("IDS004", st.dates(since, self.rpe)):               # IDS00402
            support = self.value("IDS004", "EmpSupportInd")
            if support in needs_referral:                                           # IDS00435
                referral: _dt.date | None = self.day(since, self.rpe)
            elif support is not None:
                referral = self.maybe_day(since, self.rpe)
            else:                                                                   # IDS00433
                referral = None
            given = {}
            if "EmpSupportDischargeDate" in self.spec.tables["IDS004"].field_map:     # v2.1: IDS00441-443
                given["EmpSupportDischargeDate"] = self.maybe_day(since, self.rpe)
            self.add("IDS004", LocalPatientId=lpi, EmployStatusRecDate=day, EmpSupportInd=support,
                     EmpSupportReferral=referral, **given)

    def accommodation(self, lpi: str, birth: _dt.date) -> None:
        """v2.1 IDS003: one row per recorded date (IDS00315, IDS00316), every date no later than
        the end of the period (IDS00309, IDS00318, IDS00321)."""
        since = self.since(birth)
        for day in self.listing("IDS003", st.dates(since, self.rpe)):
            start = self.maybe_day(since, self.rpe)
            end = self.maybe_day(start or since, self.rpe)
            self.add("IDS003", LocalPatientId=lpi, AccommodationTypeDate=day, AccommodationTypeStartDate=start,
                     AccommodationTypeEndDate=end)

    def previous_diagnoses(self, lpi: str, since: _dt.date) -> None:
        """v2.1 IDS601: each diagnosis coded as its scheme says (IDS60112), (code, date) once per
        patient (IDS60111), dated no later than the end of the period (IDS60109)."""
        lo, hi = V.width("IDS601", "PrevDiag", self.spec)
        coded = V.field_values("IDS601", "DiagSchemeInUse", self.spec).flatmap(
            lambda s: st.tuples(st.just(s), _diagnosis_codes(self.spec, s).filter(lambda c: lo <= len(c) <= hi)))
        for (scheme, code), day in self.listing("IDS601", st.tuples(coded, st.none() | st.dates(since, self.rpe)),
                                                key=lambda x: (x[0][1], x[1])):
            self.add("IDS601", LocalPatientId=lpi, DiagSchemeInUse=scheme, PrevDiag=code, DiagDate=day)

    def care_clusters(self, lpi: str, since: _dt.date) -> None:
        starts = self.listing("IDS803", st.dates(since, self.rpe))                 # IDS80320
        still_open = self.draw(st.none() | st.sampled_from(range(len(starts)))) if starts else None  # IDS80319
        for k, start in enumerate(starts):
            end = None if k == still_open else self.day(max(self.rps, start), self.rpe)
            self.add("IDS803", LocalPatientId=lpi, StartDateCareClust=start, EndDateCareClust=end,
                     StartTimeCareClust=self.draw(st.none() | V.times()),
                     EndTimeCareClust=self.draw(st.none() | V.times()) if end else None)

    def referral(self, lpi: str, birth: _dt.date) -> None:
        sri = self.ident("IDS101", "ServiceRequestId")
        received = self.day(self.since(birth), self.rpe)                           # IDS10113, IDS10140
        # discharged in the period or not at all: IDS10128, IDS10139, and never before it (IDS10129)
        discharged = self.maybe_day(max(received, self.rps), self.rpe)
        first, last = birth.year * 12 + birth.month - 1, self.rpe.year * 12 + self.rpe.month - 1
        onset = self.draw(st.none() | st.integers(first, last).map(
            lambda m: f"{m // 12:04d}-{m % 12 + 1:02d}"))                           # IDS10132, 10141, 10142
        end_code = self.draw(V.field_values("IDS101", "EndCode", self.spec)) if discharged else None  # IDS10137/8
        self.add("IDS101", ServiceRequestId=sri, LocalPatientId=lpi, ReferralRequestReceivedDate=received,
                 OnsetDate=onset, EndCode=end_code, ServDischDate=discharged)
        in_period = max(received, self.rps)
        for day, time, reason, org in self.listing(
                "IDS105", st.tuples(st.dates(in_period, self.rpe), st.none() | V.times(),
                                    st.none() | V.field_values("IDS105", "OnwardReferReason", self.spec),
                                    st.none() | V.field_values("IDS105", "OrgIDReceiving", self.spec))):  # IDS10520
            self.add("IDS105", ServiceRequestId=sri, OnwardReferDate=day, OnwardReferTime=time,
                     OnwardReferReason=reason, OrgIDReceiving=org)                 # IDS10505, 10521, 10522
        for _ in range(self.count("IDS108")):
            start = self.day(received, self.rpe)                                    # IDS10809, IDS10816
            self.add("IDS108", ServiceRequestId=sri, PauseID=self.ident("IDS108", "PauseID"), PauseStartDate=start,
                     PauseEndDate=self.maybe_day(max(self.rps, start), self.rpe))   # IDS10811-10813
        self.therapy_logs(sri, received)
        for scheme, code in self.listing("IDS602", self.finding("IDS602", "LongTermCondition"), key=lambda x: x[1]):
            self.add("IDS602", ServiceRequestId=sri, FindSchemeInUse=scheme, LongTermCondition=code)  # IDS60210
        for (scheme, code), day in self.listing(
                "IDS603", st.tuples(self.finding("IDS603", "PresComp"),
                                    st.none() | st.dates(self.since(birth), self.rpe)),
                key=lambda x: (x[0][1], x[1])):                                     # IDS60302, 60314, 60316
            self.add("IDS603", ServiceRequestId=sri, FindSchemeInUse=scheme, PresComp=code, PresCompDate=day)
        tools = V.field_values("IDS606", "CodedAssToolType", self.spec)
        for tool, day, time in self.listing("IDS606", st.tuples(tools, st.dates(in_period, self.rpe),
                                                                st.none() | V.times())):  # IDS60616
            self.add("IDS606", ServiceRequestId=sri, CodedAssToolType=tool, AssToolCompDate=day,
                     AssToolCompTime=time, PersScore=self.draw(V.assessment_scores(tool, self.spec)))
        self.contacts(sri, in_period)

    def therapy_logs(self, sri: str, received: _dt.date) -> None:
        def log(start):
            return st.tuples(st.just(start), st.dates(max(self.rps, start), self.rpe),    # IDS20509-20511
                             V.field_values("IDS205", "IntEnabledTherProg", self.spec),
                             V.field_values("IDS205", "DurationIntEnabledTher", self.spec))
        for start, end, programme, minutes in self.listing(
                "IDS205", st.dates(received, self.rpe).flatmap(log)):               # IDS20506, 20519, 20520
            self.add("IDS205", ServiceRequestId=sri, StartDateIntEnabledTherLog=start,
                     EndDateIntEnabledTherLog=end, IntEnabledTherProg=programme,
                     DurationIntEnabledTher=minutes, CarePersLocalId=self.person())

    def finding(self, tid: str, field: str) -> st.SearchStrategy[tuple[str, str]]:
        """(FindSchemeInUse, code) with the code written as its scheme says (the finding_code rule)."""
        lo, hi = V.width(tid, field, self.spec)
        return V.field_values(tid, "FindSchemeInUse", self.spec).flatmap(
            lambda s: st.tuples(st.just(s), V.finding_codes(s).filter(lambda c: lo <= len(c) <= hi)))

    def contacts(self, sri: str, first_day: _dt.date) -> None:
        """IDS201 contacts, each in its own slot (IDS20168); an attended one has an activity
        (IDS20169); the cancellation flag only with code 2 (IDS20166/7)."""
        attended = self.params("IDS20168")["attended"]
        cancelled = self.params("IDS20166")["if"]["in"]
        slots = self.listing("IDS201", st.tuples(st.dates(first_day, self.rpe), st.none() | V.times()))
        for day, time in slots:                                                      # IDS20108, 20170, 20171
            cid = self.ident("IDS201", "CareContactId")
            code = self.value("IDS201", "AttendOrDNACode")
            if code in cancelled:
                cancellation = self.draw(V.field_values("IDS201", "Cancellation", self.spec))
            else:
                cancellation = None if code is not None else self.value("IDS201", "Cancellation")
            self.add("IDS201", CareContactId=cid, ServiceRequestId=sri, CareContDate=day, CareContTime=time,
                     AttendOrDNACode=code, Cancellation=cancellation)
            n = self.count("IDS202")
            for _ in range(max(n, 1) if code in attended else n):
                self.activity(cid)

    def activity(self, cid: str) -> None:
        act = self.ident("IDS202", "CareActId")
        scheme, code = self.draw(st.none() | self.finding("IDS202", "CodeFind")) or (None, None)  # IDS20214/6
        observed = self.value("IDS202", "ObsValue")
        unit = self.draw(V.field_values("IDS202", "UnitMeasure", self.spec)) if observed else \
            self.value("IDS202", "UnitMeasure")                                      # IDS20226
        self.add("IDS202", CareActId=act, CareContactId=cid, CarePersLocalId=self.person(),
                 FindSchemeInUse=scheme, CodeFind=code, ObsValue=observed, UnitMeasure=unit)
        tools = V.field_values("IDS607", "CodedAssToolType", self.spec)
        for tool in self.listing("IDS607", tools):                                   # IDS60709
            self.add("IDS607", CareActId=act, CodedAssToolType=tool,
                     PersScore=self.draw(V.assessment_scores(tool, self.spec)))

    def build(self) -> dict[str, list[dict]]:
        self.header()
        self.care_personnel()
        for _ in range(self.count("IDS001")):
            self.patient()
        return {self.spec.tables[tid].name: rows for tid, rows in self.rows.items()}


def _shaped_codes(shape: Mapping[str, Any]) -> st.SearchStrategy[str]:
    """Codes of the shape a ``finding_code`` rule's ``schemes`` gives one scheme: ``min``/``max``
    length, ``numeric``, ``snomed_concept`` (a SNOMED CT id with its partition and check digit)."""
    lo, hi = int(shape.get("min", 1)), int(shape.get("max", 18))
    if shape.get("snomed_concept"):
        return V.snomed_ids(lo, hi)
    if shape.get("numeric"):
        return st.text("0123456789", min_size=lo, max_size=hi)
    return V.icd10_codes().filter(lambda c: lo <= len(c) <= hi)


def _diagnosis_codes(spec: Spec, scheme: str) -> st.SearchStrategy[str]:
    """PrevDiag codes written as the finding-code rule on IDS601 says for *scheme* (v2.1 IDS60112)."""
    for rule in spec.rules_for("IDS601"):
        if rule.kind == "finding_code" and scheme in (rule.params.get("schemes") or {}):
            return _shaped_codes(rule.params["schemes"][scheme])
    return V.finding_codes(scheme)


@st.composite
def _submissions(draw, period, provider, sender, sizes, history_days, spec_path):
    spec = load_spec(spec_path)
    period = draw(period) if isinstance(period, st.SearchStrategy) else period
    return _Builder(draw, spec, period, provider, sender, sizes, history_days).build()


def submissions(period: str | st.SearchStrategy[str] = "2021-03", *, provider: str = "R1Z",
                sender: str | None = None, patients: int | tuple[int, int] = DEFAULT_SIZES["IDS001"],
                sizes: Mapping[str, int | tuple[int, int]] | None = None, history_days: int | None = None,
                spec: Spec | None = None, version: str | None = None) -> st.SearchStrategy[dict[str, list[dict]]]:
    """Valid submissions of one IAPT version: table name (``IDS001MPI`` …) → list of row dicts of text.

    *version* (``"2.0"``, the default, or ``"2.1"``) or *spec* chooses the version; the header's
    DatSetVer says it, so :func:`iapt_ds.validate` runs that version's rules. A v2.1 period is
    April 2022 or later (e.g. ``submissions("2024-05", version="2.1")``).

    *period* is ``YYYY-MM`` or a strategy of them (:func:`~iapt_ds.testing.periods`);
    *provider* and *sender* the organisation codes of the header (the sender defaults to the
    provider). *patients* and *sizes* set how many rows to draw: *sizes* maps a table id to
    (min, max) rows per parent row (per patient, referral, contact or activity; for IDS902, people)
    — see :data:`DEFAULT_SIZES`. *history_days* keeps registrations, referrals and other records
    within that many days before the period (default: any time since birth).

    Every submission validates with no finding at all under ``validate(rows, **upload_of(rows))``.
    """
    spec = _spec_for(version, spec)
    sender = sender or provider
    lo, hi = V.width("IDS001", "OrgIDLocalPatientId", spec)   # patients' rows repeat the provider (IDS00153)
    for name, code in (("provider", provider), ("sender", sender)):
        if not isinstance(code, str) or not lo <= len(code) <= hi or code != code.strip():
            raise UsageError(f"{name} must be an organisation code of {lo} to {hi} characters, got {code!r}")
    if history_days is not None and history_days < 0:
        raise UsageError(f"history_days must be >= 0, got {history_days}")
    if isinstance(period, str):
        period_bounds(period)  # fail now on a malformed period
    return _submissions(period, provider, sender, _sizes(patients, sizes, spec), history_days, spec.path)


def table_rows(table: str, spec: Spec | None = None, *, version: str | None = None
               ) -> st.SearchStrategy[dict[str, str | None]]:
    """Single rows of *table* (id or IDB name) of one version (*version* or *spec*; default v2.0)
    whose every field passes the rules that look at that field alone. Keys, dates and cross-field
    rules are not coordinated: use :func:`submissions` for rows that validate together."""
    spec = _spec_for(version, spec)
    try:
        tspec = spec.table(table)
    except KeyError:
        raise UsageError(f"no table {table!r}; give a table id or IDB name, one of {', '.join(spec.tables)}") from None
    required = {r.field for r in spec.rules_for(tspec.id) if r.kind == "not_blank"}
    return st.fixed_dictionaries({
        f.name: V.field_values(tspec.id, f.name, spec) if f.name in required
        else st.none() | V.field_values(tspec.id, f.name, spec)
        for f in tspec.fields})
