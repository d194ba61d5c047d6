"""The measures of a validated submission: per referral, provider totals, and what findings cost."""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .._gcpause import gc_paused
from ..errors import UnknownNameError, UsageError
from ..findings import Finding
from ..model import Submission
from ..result import Result
from .cost import CodeCost, diff, gains_of, rank_key
from .definitions import Definitions, load_definitions
from .referral import COUNTS, ReferralMeasures, assess, rejected_referral, rejected_referrals
from .totals import Totals, add, totals_of
from ._index import MEASURE_TABLES, Index, Keep

__all__ = ["Preview", "compute", "period_of", "for_report"]

_ZERO = (0,) * len(COUNTS)


@attrs.frozen(eq=False)
class Preview:
    """The measures of one submission (a preview of what NHS England will publish)."""

    period: tuple[_dt.date, _dt.date]
    referrals: tuple[ReferralMeasures, ...] = attrs.field(repr=False)
    totals: Totals
    #: the totals with every rejected row accepted (None when not computed)
    if_all_accepted: Totals | None = attrs.field(default=None, repr=False)
    #: per rule code, what its findings cost, most costly first
    costs: tuple[CodeCost, ...] = attrs.field(default=(), repr=False)
    file_rejected: bool = False
    definitions: Definitions = attrs.field(default=None, repr=False, eq=False)
    source: str = ""
    version: str = ""
    #: whether local patient identifiers and personal values are masked
    redacted: bool = False

    def referral(self, service_request_id: str) -> ReferralMeasures:
        for r in self.referrals:
            if r.id == service_request_id:
                return r
        known = ", ".join(str(r.id) for r in self.referrals[:5]) + (" …" if len(self.referrals) > 5 else "")
        raise UnknownNameError(f"no referral with ServiceRequestId {service_request_id!r} in this preview"
                               + (f" (it has {len(self.referrals)}: {known})" if self.referrals else " (it has none)"))

    def dropped(self, measure: str) -> list[tuple[ReferralMeasures, str]]:
        """The accepted-or-not referrals that do not count in *measure*, with why."""
        return [(r, r.why[measure]) for r in self.referrals if measure in r.why]


def period_of(sub: Submission, result: Result | None, period: Any) -> tuple[_dt.date, _dt.date]:
    """The reporting period: given, else the header's start and end dates, else the result's."""
    from ..pipeline import period_bounds

    if period is not None:
        return period_bounds(period)
    h = sub.header
    if h.nrows:
        s, e = h.values.get("ReportingPeriodStartDate"), h.values.get("ReportingPeriodEndDate")
        if s and e and isinstance(s[0], _dt.date) and isinstance(e[0], _dt.date):
            return (s[0].date() if isinstance(s[0], _dt.datetime) else s[0],
                    e[0].date() if isinstance(e[0], _dt.datetime) else e[0])
    if result is not None and result.period:
        return period_bounds(result.period)
    raise UsageError("the header gives no reporting period to measure in: give one (period='YYYY-MM', "
                     "or --period YYYY-MM on the command line)")


@gc_paused  # millions of short- and long-lived objects, almost no cycles: as validation does
def compute(submission: Submission, result: Result, *, period: Any = None, cost: bool = True,
            redact: bool = False) -> Preview:
    """The measures of *submission* as validated in *result* (accepted rows only, as SDCS loads
    them). *period* defaults to the header's. *cost* adds what the findings cost. *redact*
    masks local patient identifiers, and personal values in the reasons rows are rejected."""
    if not isinstance(submission, Submission):
        raise UsageError("compute() needs the Submission that was validated (iapt_ds.read(...)); "
                         "iapt_ds.measures.preview(path) reads and validates in one step")
    if not isinstance(result, Result):
        raise UsageError(f"compute() needs the Result of validating it, not {type(result).__name__}")
    sub = submission
    d = load_definitions(sub.spec)
    redactor = None
    if redact:
        from ..report.redact import Redactor  # the report package may import this one

        redactor = Redactor(sub.spec)

    def _reason_text(f: Finding) -> str:
        if redactor is None:
            return f"{f.code} {f.message}"
        return f"{f.code} {redactor.message(f, redactor.finding(f))}"

    bounds = period_of(sub, result, period)
    idx = Index(sub, d)

    # acceptance at row level (the cascade included), and SDCS's (nothing loads from a rejected file)
    row_ok: dict[str, bytearray] = {}
    row_off: dict[str, set[int]] = {}
    for tid in idx.tables:
        n = sub.tables[tid].nrows
        if result.tables[tid].read != n:
            raise UsageError(f"the result is not of this submission ({tid} has {n} rows, the result "
                             f"{result.tables[tid].read})")
        a = bytearray(b"\x01") * n
        off = row_off[tid] = {r - 1 for r in result.rejected_rows(tid)} if result.tables[tid].rejected else set()
        for r in off:
            a[r] = 0
        row_ok[tid] = a
    file_ok = result.accepted
    file_findings = result.file_findings

    def why(tid: str, i: int) -> str:
        f = result.reason(tid, i + 1)
        return _reason_text(f) if f is not None else "not loaded"

    # each referral's measures at row level (as if the file were accepted): what SDCS loads when
    # it is, and what the cost starts from when it is not (then no reason is shown, so none is worded)
    base: list[ReferralMeasures] = []
    if file_ok or cost:
        T101 = row_ok["IDS101"]
        inputs, words = idx.inputs, idx.app_words
        reasons = why if file_ok else None
        for i in idx.referral_rows():
            if T101[i]:
                ref, contacts, logs, complaints, scores, rejected = inputs(i, row_ok, reasons, off=row_off)
                base.append(assess(ref, contacts, logs, complaints, scores, bounds, d, app_words=words,
                                   rejected_below=rejected, explain=file_ok))
            else:
                base.append(rejected_referral(idx.referral_in(i), why("IDS101", i) if file_ok else "not loaded"))
    if file_ok:
        actual = base
    else:
        codes = ", ".join(sorted({f.code for f in file_findings}))
        actual = rejected_referrals([idx.referral_in(i) for i in idx.referral_rows()],
                                    f"the file is rejected ({codes}), so SDCS loads none of it")
    base_counts = [r.counts for r in base]
    base_totals = totals_of(base_counts, bounds, sum(r.accepted for r in base))
    totals = base_totals if file_ok else totals_of((), bounds, 0)

    costs: tuple[CodeCost, ...] = ()
    if_all: Totals | None = None
    if cost:
        costs, if_all = _costs(idx, result, base, base_counts, base_totals, totals, file_ok, bounds, d, row_ok)
    if redactor is not None:
        from ..report.redact import mask

        actual = [attrs.evolve(r, patient=mask(r.patient)) for r in actual]
    return Preview(period=bounds, referrals=tuple(actual), totals=totals, if_all_accepted=if_all, costs=costs,
                   file_rejected=not file_ok, definitions=d, source=sub.source, version=sub.spec.version,
                   redacted=redact)


def for_report(measures: Any, result: Result, *, redact: bool = False) -> Preview | None:
    """What a validation report's ``measures=`` names, as a :class:`Preview`: None (no measures),
    a Preview, or the :class:`~iapt_ds.model.Submission` that was validated (its measures are
    computed here, with what the findings cost, masked when *redact*)."""
    if measures is None or isinstance(measures, Preview):
        if measures is not None and redact and not measures.redacted:
            raise UsageError("a redacted report needs redacted measures: compute them with redact=True, "
                             "or pass the Submission as measures=")
        return measures
    if isinstance(measures, Submission):
        return compute(measures, result, period=result.period, redact=redact)
    raise UsageError("measures= takes the Submission that was validated, or its measures "
                     f"(iapt_ds.measures.compute(submission, result)), not {type(measures).__name__}")


def _costs(idx: Index, result: Result, base: Sequence[ReferralMeasures], base_counts: Sequence[tuple[int, ...]],
           base_totals: Totals, totals: Totals, file_ok: bool, bounds: tuple[_dt.date, _dt.date],
           d: Definitions, row_ok: Mapping[str, bytearray]) -> tuple[tuple[CodeCost, ...], Totals]:
    spec = idx.spec
    relevant = set(idx.tables)
    # each row's own rejecting codes (the cascade is replayed, so its findings are left out)
    own: dict[str, dict[int, set[str]]] = defaultdict(dict)
    places = getattr(result.findings, "places", None)
    found = places() if places is not None else ((f.rule, f.table, f.row) for f in result.findings)
    for rule, table, row in found:
        if row is None or table not in relevant or rule.severity == "warning" or rule.kind == "has_related":
            continue
        own[table].setdefault(row - 1, set()).add(rule.code)
    by_code: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for tid, rows in own.items():
        for i, codes in rows.items():
            for c in codes:
                by_code[c][tid].append(i)
    patient_cache: dict[tuple[str, int], Any] = {}

    def patients(rows: Mapping[str, list[int]]) -> set:
        out = set()
        for tid, lst in rows.items():
            for i in lst:
                p = patient_cache.get((tid, i), 0)
                if p == 0:
                    p = patient_cache[(tid, i)] = idx.patient_of(tid, i)
                if p is not None:
                    out.add(p)
        return out

    # a row with no fault of its own has no duplicate key: only these are de-duplicated
    idx.suspect = {tid: set(own.get(tid, ())) for tid in idx.tables}
    groups: dict[Any, dict[str, list[int]]] = {}
    clean: dict[Any, dict[str, list[bool]]] = {}
    patient_codes: dict[Any, frozenset[str]] = {}
    patient_faults: dict[Any, list[tuple[str, int, set[str]]]] = {}
    outcome: dict[tuple[Any, frozenset[str]], tuple[tuple[int, ...], int, int]] = {}
    sri_col = idx.sub.tables["IDS101"].values["ServiceRequestId"]
    words = idx.app_words

    def one_patient(p: Any, fixed: frozenset[str] | None) -> tuple[tuple[int, ...], int, int]:
        group = groups.get(p)
        if group is None:
            group = groups[p] = idx.group(p)
            faults = patient_faults[p] = []
            for tid, rows in group.items():
                o = own.get(tid)
                if o:
                    faults += [(tid, i, o[i]) for i in rows if i in o]
            patient_codes[p] = frozenset(c for _, _, cs in faults for c in cs)
        codes = patient_codes[p]
        eff = codes if fixed is None else fixed & codes
        key = (p, eff)
        hit = outcome.get(key)
        if hit is not None:
            return hit
        own_rej: dict[str, dict[int, bool]] = {}
        for tid, i, cs in patient_faults[p]:
            if not cs <= eff:
                own_rej.setdefault(tid, {})[i] = True
        if own_rej:
            rej = idx.replay_rejected(group, own_rej)
        else:
            # no fault of its own left: what the cascade alone does to the patient's rows
            cached = clean.get(p)
            if cached is None:
                cached = clean[p] = idx.replay_rejected(group, {})
            rej = cached
        # a row changes when it is rejected now and was accepted, or the other way round
        if not any(r == ok[i] for tid in MEASURE_TABLES for ok in (row_ok[tid],) for i, r in zip(group[tid], rej[tid])):
            outcome[key] = res = (_ZERO, 0, 0)      # no row the measures read changes
            return res
        acc = {tid: Keep([i for i, r in zip(group[tid], rej[tid]) if not r]) for tid in MEASURE_TABLES}
        delta = _ZERO
        changed = back = 0
        seen: set = set()
        keep101 = acc["IDS101"]
        for i in group["IDS101"]:
            before = base_counts[i]
            after = _ZERO
            if i in keep101 and sri_col[i] not in seen:
                seen.add(sri_col[i])
                ref, contacts, logs, complaints, scores, _ = idx.inputs(i, acc, None, True)
                after = assess(ref, contacts, logs, complaints, scores, bounds, d, app_words=words,
                               explain=False).counts
                back += not base[i].accepted
            if after != before:
                changed += 1
                delta = add(delta, diff(after, before))
        outcome[key] = res = (delta, changed, back)
        return res

    def scenario(fixed: frozenset[str] | None, pts: set) -> tuple[tuple[int, ...], int, int]:
        """The change in the counts (against row-level acceptance) when the codes *fixed*
        (None: every code) no longer reject, how many referrals change, how many come back."""
        delta = _ZERO
        changed = back = 0
        for p in pts:
            dl, ch, bk = one_patient(p, fixed)
            if ch:
                delta = add(delta, dl)
                changed += ch
                back += bk
        return delta, changed, back

    out: list[CodeCost] = []
    for code, code_rows in by_code.items():
        delta, changed, _ = scenario(frozenset({code}), patients(code_rows))
        out.append(CodeCost(code=code, rule=spec.rules[code], rows={t: len(v) for t, v in sorted(code_rows.items())},
                            referrals=changed, gains=gains_of(delta)))
    if not file_ok:
        restore = diff(tuple(base_totals.counts.values()), tuple(totals.counts.values()))
        n = sum(r.accepted for r in base)
        file_codes = tuple(sorted({f.code for f in result.file_findings}))
        # a file-level finding naming a table whose row is rejected (IDSREJ015: the header) is
        # fixed by fixing what rejected that row: those codes cost the whole file too
        through = tuple(sorted({r.code for f in result.file_findings if f.table is not None
                                for i in result.rejected_rows(f.table)
                                if (r := result.reason(f.table, i)) is not None} - set(file_codes)))
        out.append(CodeCost(code=file_codes[0], rule=spec.rules[file_codes[0]], rows={}, referrals=n,
                            gains=gains_of(restore), file_level=True, together=file_codes, through=through))
    all_pts = patients({t: list(r) for t, r in own.items()})
    delta, _, back = scenario(None, all_pts)
    all_counts = add(tuple(base_totals.counts.values()), delta)
    if_all = totals_of([all_counts], bounds, base_totals.referrals + back)
    out.sort(key=rank_key)
    return tuple(out), if_all
