"""Properties of the measures' definitions, on referrals drawn by iapt_ds.testing.referrals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import iapt_ds
from iapt_ds import measures
from iapt_ds.measures.definitions import load_definitions
from iapt_ds.measures.referral import COUNTS
from iapt_ds.measures.totals import totals_of
from iapt_ds.testing.referrals import (CRITERIA, PERIOD, UPLOAD, as_inputs, referrals, service_request_id,
                                       submission_with)

D = load_definitions()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pure(ref):
    r, contacts, logs, complaints, scores = as_inputs(ref)
    return measures.assess(r, contacts, logs, complaints, scores, PERIOD, D)


@FAST
@given(referrals())
def test_improvement_deterioration_and_no_change_partition_the_paired_finished(ref):
    m = pure(ref)
    flags = (m.reliable_improvement, m.reliable_deterioration, m.no_reliable_change)
    if m.finished and m.paired:
        assert sum(bool(f) for f in flags) == 1
    else:
        assert flags == (None, None, None)


@FAST
@given(referrals())
def test_recovery_implies_caseness_and_reliable_recovery_is_both(ref):
    m = pure(ref)
    if m.recovered:
        assert m.caseness and m.finished and m.paired
        assert not D.measures["PHQ-9"].at_caseness(m.phq9_last)
        assert not D.measures[m.anxiety_measure].at_caseness(m.anxiety_last)
    assert bool(m.reliable_recovery) == (bool(m.recovered) and bool(m.reliable_improvement))
    if m.caseness is False:
        assert not m.recovered


@FAST
@given(referrals())
def test_without_explain_every_flag_is_the_same_and_nothing_is_worded(ref):
    # what the cost of the findings computes: the same measures, without the reasons
    r, contacts, logs, complaints, scores = as_inputs(ref)
    full = measures.assess(r, contacts, logs, complaints, scores, PERIOD, D)
    bare = measures.assess(r, contacts, logs, complaints, scores, PERIOD, D, explain=False)
    assert bare.counts == full.counts
    assert {k: v for k, v in bare.as_dict().items() if k not in ("why", "contacts_not_counted")} == \
        {k: v for k, v in full.as_dict().items() if k not in ("why", "contacts_not_counted")}
    assert dict(bare.why) == {} and bare.contacts_not_counted == ()


@FAST
@given(referrals())
def test_a_measure_not_met_always_says_why(ref):
    m = pure(ref)
    met = {"received": m.received_in_period, "entered_treatment": m.entered_treatment, "ended": m.ended,
           "finished": m.finished, "paired": m.paired, "caseness": m.caseness, "recovered": m.recovered,
           "reliable_improvement": m.reliable_improvement, "reliable_recovery": m.reliable_recovery,
           "within_6_weeks": m.within_6_weeks, "within_18_weeks": m.within_18_weeks}
    assert set(met) == set(measures.MEASURES)
    for name, value in met.items():
        assert (name in m.why) == (value is not True), (name, value, dict(m.why))
        if name in m.why:
            assert m.why[name].strip()


@FAST
@given(referrals())
def test_finished_is_two_treatment_contacts_and_an_end_in_the_period(ref):
    m = pure(ref)
    assert m.finished == (m.ended and m.treatment_contacts >= D.min_treatment_contacts)
    if m.wait_days is not None:
        assert m.within_6_weeks == (m.wait_days <= 42) and m.within_18_weeks == (m.wait_days <= 126)
        assert not m.within_6_weeks or m.within_18_weeks


@pytest.mark.parametrize("criterion", sorted(CRITERIA))
@pytest.mark.parametrize("wanted", [True, False])
def test_the_strategy_meets_or_misses_each_criterion(criterion, wanted):
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(referrals(meet={criterion: wanted}))
    def check(ref):
        m = pure(ref)
        assert bool(getattr(m, criterion)) is wanted, (criterion, m.as_dict())

    check()


@FAST
@given(st.lists(referrals(), min_size=1, max_size=12))
def test_totals_are_consistent(refs):
    ms = [pure(r) for r in refs]
    t = totals_of((m.counts for m in ms), PERIOD, len(ms))
    c = t.counts
    assert c["recovered"] <= c["finished"] - c["not_at_caseness"] - c["finished_unpaired"]
    assert c["reliable_recovery"] <= min(c["recovered"], c["reliable_improvement"])
    assert (c["reliable_improvement"] + c["reliable_deterioration"] + c["no_reliable_change"]
            == c["finished"] - c["finished_unpaired"])
    assert c["at_caseness"] + c["not_at_caseness"] == c["finished"] - c["finished_unpaired"]
    assert c["finished"] <= c["ended"] and c["finished_within_6_weeks"] <= c["finished_within_18_weeks"] <= c["finished"]
    for rate in t.rates.values():
        assert rate.value is None or 0 <= rate.value <= 1


@SLOW
@given(st.lists(referrals(), min_size=1, max_size=7))
def test_through_the_pipeline_the_built_rows_are_accepted_and_measure_as_the_definition_says(refs):
    rows = submission_with(refs)
    sub = iapt_ds.read(rows)
    result = iapt_ds.validate(sub, **UPLOAD)
    assert not any(f.rejects for f in result.findings), [str(f) for f in result.findings if f.rejects]
    p = measures.compute(sub, result)
    for k, ref in enumerate(refs):
        got, want = p.referral(service_request_id(k)).as_dict(), pure(ref).as_dict()
        for key in ("id", "patient", "row", "contacts_not_counted", "why"):
            got.pop(key), want.pop(key)
        assert got == want


def test_thresholds_are_decimal_exact():
    mi = D.measures["Mobility Inventory"]
    assert mi.reliable(Decimal("3.03") - Decimal("2.30")) is False
    assert mi.reliable(Decimal("3.04") - Decimal("2.30")) is True
    assert len(COUNTS) == len(set(COUNTS))
