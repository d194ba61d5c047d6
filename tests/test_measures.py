"""The measures on hand-built referrals: every criterion, every drop-out reason, each threshold's
boundary, through the whole pipeline (the rows are validated first, as SDCS would load them)."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

import pytest

import iapt_ds
from iapt_ds import measures
from iapt_ds.measures import definitions
from iapt_ds.testing.referrals import UPLOAD, Contact, Referral, service_request_id, submission_with

MARCH = (_dt.date(2021, 3, 1), _dt.date(2021, 3, 31))


def run(*refs: Referral, mutate=None, **kw) -> measures.Preview:
    rows = submission_with(list(refs))
    if mutate is not None:
        mutate(rows)
    return measures.preview(rows, **{**UPLOAD, **kw})


def one(ref: Referral, mutate=None) -> measures.ReferralMeasures:
    p = run(ref, mutate=mutate)
    return p.referral(service_request_id(0))


def course(first: tuple[str, str], last: tuple[str, str], *, received="2021-02-01", discharged="2021-03-25",
           complaint="F32.1", anxiety="GAD-7", middle: int = 0) -> Referral:
    """A finished course: a first and a last treatment contact with PHQ-9 and anxiety scores."""
    contacts = [Contact("2021-03-01", scores={"PHQ-9": first[0], anxiety: first[1]})]
    contacts += [Contact(f"2021-03-{8 + k:02d}") for k in range(middle)]
    contacts.append(Contact("2021-03-22", scores={"PHQ-9": last[0], anxiety: last[1]}))
    return Referral(received=received, discharged=discharged, contacts=contacts,
                    complaints=[(complaint, "1", None, "01")])


def referral_rows(rows, sri):
    return [r for r in rows["IDS101"] if r["ServiceRequestId"] == sri]


# ------------------------------------------------------------------------------------ the example

def test_bundled_example_preview_is_not_trivial():
    p = measures.preview(iapt_ds.example_path(), **UPLOAD)
    t = p.totals
    assert t.preview is True
    assert (t["received"], t["entered_treatment"], t["ended"], t["finished"]) == (3, 5, 2, 2)
    assert (t["recovered"], t["reliable_improvement"], t["reliable_recovery"], t["not_at_caseness"]) == (1, 2, 1, 0)
    rates = t.rates
    assert str(rates["recovery_rate"]) == "1/2 = 50.0%"
    assert str(rates["six_week_rate"]) == "1/2 = 50.0%"       # R1Z2100104 waited 91 days
    assert str(rates["eighteen_week_rate"]) == "2/2 = 100.0%"
    r1 = p.referral("R1Z2100101")
    assert (r1.treatment_contacts, r1.internet_logs, r1.wait_days) == (4, 1, 15)
    assert (r1.phq9_first, r1.phq9_last, r1.anxiety_first, r1.anxiety_last) == (16, 8, 12, 6)
    assert r1.recovered and r1.reliable_improvement and r1.reliable_recovery
    r4 = p.referral("R1Z2100104")
    assert r4.descriptor == "F43.1" and r4.descriptor_measure == "PCL-5" and r4.anxiety_measure == "GAD-7"
    assert r4.recovered is False and r4.reliable_improvement is True
    assert r4.why["within_6_weeks"] == "waited 91 days (more than 42)"
    assert p.costs == () and p.if_all_accepted.counts == t.counts


# ------------------------------------------------------------------------------------ treatment contacts

def test_exactly_two_treatment_contacts_finish_one_does_not():
    two = one(course(("15", "12"), ("5", "4")))
    assert two.treatment_contacts == 2 and two.finished
    single = one(Referral(received="2021-02-01", discharged="2021-03-25",
                          contacts=[Contact("2021-03-01", scores={"PHQ-9": "15", "GAD-7": "12"})]))
    assert single.treatment_contacts == 1 and not single.finished
    assert single.why["finished"] == "only 1 treatment contact"
    assert single.why["recovered"] == "did not finish treatment: only 1 treatment contact"


def test_a_follow_up_second_contact_is_not_treatment():
    r = one(Referral(received="2021-02-01", discharged="2021-03-25",
                     contacts=[Contact("2021-03-01"), Contact("2021-03-22", app_type="06")]))
    assert not r.finished
    assert r.why["finished"] == ("only 1 treatment contact (R1ZC01000001 (2021-03-22): AppType 06 "
                                 "(post-discharge follow-up) is not treatment)")


@pytest.mark.parametrize("contact, words", [
    (Contact("2021-03-08", app_type="01"), "AppType 01 (assessment) is not treatment"),
    (Contact("2021-03-08", attend="3"), "not attended (AttendOrDNACode 3)"),
    (Contact("2021-03-08", attend="2"), "not attended (AttendOrDNACode 2)"),
    (Contact("2021-03-27"), "dated 2021-03-27, after discharge (2021-03-25)"),
    (Contact("2021-03-08", procedure="1098051000000103"), "an employment-adviser contact"),
])
def test_each_reason_a_contact_is_not_a_treatment_contact(contact, words):
    r = one(Referral(received="2021-02-01", discharged="2021-03-25", contacts=[Contact("2021-03-01"), contact]))
    assert r.treatment_contacts == 1 and not r.finished
    assert words in r.why["finished"]
    assert len(r.contacts_not_counted) == 1


def test_a_contact_before_the_referral_was_received_does_not_count():
    # SDCS rejects such a contact (IDS20171), which the reason names
    r = one(Referral(received="2021-03-05", discharged="2021-03-25",
                     contacts=[Contact("2021-03-01"), Contact("2021-03-08")]))
    assert r.treatment_contacts == 1
    assert "1 contact rejected: IDS201 R1ZC01000000: IDS20171 " in r.why["finished"]
    # and the definition alone does not count it either
    d = definitions.load_definitions()
    ref = measures.ReferralIn("R1", received=_dt.date(2021, 3, 5), discharged=_dt.date(2021, 3, 25))
    m = measures.assess(ref, [measures.ContactIn("C1", _dt.date(2021, 3, 1)), measures.ContactIn("C2", _dt.date(2021, 3, 8))],
                        [], [], [], MARCH, d)
    assert m.treatment_contacts == 1
    assert m.why["finished"] == ("only 1 treatment contact (C1 (2021-03-01): dated 2021-03-01, before the referral "
                                 "was received (2021-03-05))")


def test_attended_late_and_unplanned_contacts_count():
    r = one(Referral(received="2021-02-01", discharged="2021-03-25",
                     contacts=[Contact("2021-03-01", attend="6"), Contact("2021-03-08", planned="N", attend="3"),
                               Contact("2021-03-09", app_type="03"), Contact("2021-03-10", app_type="05")]))
    assert r.treatment_contacts == 4 and r.finished


def test_on_the_discharge_day_counts_and_open_referrals_count_to_the_period_end():
    r = one(Referral(received="2021-03-01", discharged="2021-03-25",
                     contacts=[Contact("2021-03-01"), Contact("2021-03-25")]))
    assert r.treatment_contacts == 2 and r.finished
    open_ = one(Referral(received="2021-02-01", contacts=[Contact("2021-03-01"), Contact("2021-03-31")]))
    assert open_.treatment_contacts == 2 and not open_.finished
    assert open_.why["finished"] == "not discharged (the referral is open)"


def test_internet_therapy_logs_add_to_the_count():
    r = one(Referral(received="2021-02-01", discharged="2021-03-25", contacts=[Contact("2021-03-01")],
                     logs=[("2021-03-02", "2021-03-09", 30)]))
    assert (r.treatment_contacts, r.internet_logs, r.finished) == (2, 1, True)
    zero = one(Referral(received="2021-02-01", discharged="2021-03-25", contacts=[Contact("2021-03-01")],
                        logs=[("2021-03-02", "2021-03-09", 0)]))
    assert (zero.treatment_contacts, zero.finished) == (1, False)
    assert "no positive duration" in zero.why["finished"]
    outside = one(Referral(received="2021-02-01", discharged="2021-03-10", contacts=[Contact("2021-03-01")],
                           logs=[("2021-03-15", "2021-03-20", 30)]))
    assert outside.treatment_contacts == 1 and "outside the referral" in outside.why["finished"]


def test_first_assessment_and_first_treatment_dates():
    r = one(Referral(received="2021-02-01", discharged="2021-03-25",
                     contacts=[Contact("2021-03-15"), Contact("2021-03-04", app_type="01"),
                               Contact("2021-03-02", app_type="01", attend="3"), Contact("2021-03-08", app_type="03")]))
    assert r.first_assessment == _dt.date(2021, 3, 4)
    assert r.first_treatment == _dt.date(2021, 3, 8)
    assert (r.wait_days, r.assessment_wait_days) == (35, 31)


def test_discharged_before_the_period_is_not_finished():
    # SDCS keeps a referral discharged before the period when it has a follow-up contact in it
    r = one(Referral(received="2021-01-05", discharged="2021-02-25",
                     contacts=[Contact("2021-03-10", app_type="06"), Contact("2021-03-12", app_type="06")]))
    assert r.accepted and not r.finished and not r.ended
    assert r.why["finished"] == "discharged 2021-02-25, outside the period"


# ------------------------------------------------------------------------------------ waits

@pytest.mark.parametrize("received, days, six, eighteen", [
    ("2021-01-18", 42, True, True), ("2021-01-17", 43, False, True),
    ("2020-10-26", 126, False, True), ("2020-10-25", 127, False, False),
])
def test_wait_boundaries(received, days, six, eighteen):
    r = one(course(("15", "12"), ("5", "4"), received=received))
    assert r.wait_days == days and r.within_6_weeks is six and r.within_18_weeks is eighteen
    if not six:
        assert r.why["within_6_weeks"] == f"waited {days} days (more than 42)"
    else:
        assert "within_6_weeks" not in r.why


def test_six_and_eighteen_week_rates_are_over_finished_referrals():
    p = run(course(("15", "12"), ("5", "4"), received="2021-01-18"),
            course(("15", "12"), ("5", "4"), received="2021-01-17"),
            Referral(received="2021-02-27", contacts=[Contact("2021-03-01")]))
    t = p.totals
    assert (t["finished"], t["finished_within_6_weeks"]) == (2, 1)
    assert str(t.rates["six_week_rate"]) == "1/2 = 50.0%"
    assert t["entered_treatment"] >= 3 and t["entered_within_6_weeks"] >= 2


# ------------------------------------------------------------------------------------ caseness, recovery

@pytest.mark.parametrize("phq, gad, caseness", [("9", "7", False), ("10", "7", True), ("9", "8", True)])
def test_caseness_boundaries(phq, gad, caseness):
    r = one(course((phq, gad), ("2", "2")))
    assert r.caseness is caseness
    if not caseness:
        assert r.why["caseness"] == ("not at caseness at first score (PHQ-9 9, needs at least 10; GAD-7 7, "
                                     "needs at least 8)")
        assert r.recovered is False and r.why["recovered"] == r.why["caseness"]


def test_not_at_caseness_leaves_the_recovery_denominator():
    p = run(course(("9", "7"), ("2", "2")), course(("15", "12"), ("5", "4")), course(("15", "12"), ("12", "4")))
    t = p.totals
    assert (t["finished"], t["not_at_caseness"], t["recovered"]) == (3, 1, 1)
    assert str(t.rates["recovery_rate"]) == "1/2 = 50.0%"


@pytest.mark.parametrize("last, recovered", [(("9", "7"), True), (("10", "7"), False), (("9", "8"), False)])
def test_recovery_boundaries(last, recovered):
    r = one(course(("15", "12"), last))
    assert r.caseness and r.recovered is recovered
    if not recovered:
        assert r.why["recovered"].startswith("last ") and "still at caseness" in r.why["recovered"]


# ------------------------------------------------------------------------------------ reliable change

@pytest.mark.parametrize("first, last, imp, det", [
    (("15", "10"), ("9", "10"), True, False),    # PHQ-9 falls by 6
    (("15", "10"), ("10", "10"), False, False),  # by 5: no reliable change
    (("15", "10"), ("15", "6"), True, False),    # GAD-7 falls by 4
    (("15", "10"), ("15", "7"), False, False),   # by 3
    (("9", "10"), ("15", "10"), False, True),    # PHQ-9 rises by 6
    (("15", "6"), ("9", "10"), False, False),    # one falls, the other rises: no reliable change
])
def test_reliable_change_boundaries(first, last, imp, det):
    r = one(course(first, last))
    assert (r.reliable_improvement, r.reliable_deterioration, r.no_reliable_change) == (imp, det, not imp and not det)
    if not imp:
        assert "reliable_improvement" in r.why


def test_reliable_recovery_needs_both():
    r = one(course(("10", "8"), ("9", "7")))   # recovered, but falls of 1
    assert r.recovered and not r.reliable_improvement and not r.reliable_recovery
    assert r.why["reliable_recovery"].startswith("recovered without reliable improvement")
    both = one(course(("16", "8"), ("9", "7")))
    assert both.reliable_recovery


# ------------------------------------------------------------------------------------ the anxiety measure

def test_the_descriptor_measure_is_used_when_paired():
    r = one(course(("15", "10"), ("5", "4"), complaint="F41.0", anxiety="PDSS"))
    assert (r.descriptor, r.descriptor_measure, r.anxiety_measure) == ("F41.0", "PDSS", "PDSS")
    # PDSS: caseness at least 8, reliable change more than 5 (a fall of 6 is reliable)
    assert r.caseness and r.reliable_improvement and r.recovered


def test_pdss_reliable_change_is_more_than_five():
    r = one(course(("15", "10"), ("15", "5"), complaint="F41.0", anxiety="PDSS"))
    assert r.reliable_improvement is False


def test_no_paired_descriptor_measure_falls_back_to_gad7_or_drops_out():
    r = one(Referral(received="2021-02-01", discharged="2021-03-25", complaints=[("F41.0", "1", None, "01")],
                     contacts=[Contact("2021-03-01", scores={"PHQ-9": "15", "PDSS": "12", "GAD-7": "12"}),
                               Contact("2021-03-22", scores={"PHQ-9": "5", "GAD-7": "4"})]))
    assert r.descriptor_measure == "PDSS" and r.anxiety_measure == "GAD-7" and r.paired
    none = one(Referral(received="2021-02-01", discharged="2021-03-25", complaints=[("F41.0", "1", None, "01")],
                        contacts=[Contact("2021-03-01", scores={"PHQ-9": "15", "PDSS": "12", "GAD-7": "12"}),
                                  Contact("2021-03-22", scores={"PHQ-9": "5"})]))
    assert none.anxiety_measure is None and not none.paired
    assert none.why["paired"] == "no paired PDSS for F41.0 (1 score) and GAD-7 unpaired (1 score)"
    assert none.why["recovered"].startswith("no paired scores: no paired PDSS for F41.0")
    assert none.recovered is None


def test_phq9_unpaired():
    r = one(Referral(received="2021-02-01", discharged="2021-03-25",
                     contacts=[Contact("2021-03-01", scores={"PHQ-9": "15", "GAD-7": "12"}),
                               Contact("2021-03-22", scores={"GAD-7": "4"})]))
    assert r.finished and not r.paired and r.why["paired"] == "PHQ-9 unpaired (1 score)"
    t = run(Referral(received="2021-02-01", discharged="2021-03-25",
                     contacts=[Contact("2021-03-01", scores={"PHQ-9": "15", "GAD-7": "12"}),
                               Contact("2021-03-22", scores={"GAD-7": "4"})])).totals
    assert t["finished_unpaired"] == 1 and t.rates["recovery_rate"].denominator == 1


@pytest.mark.parametrize("code, measure, first, last, recovered", [
    ("F40.0", "Mobility Inventory", "2.31", "2.30", True),   # caseness is more than 2.3
    ("F40.1", "SPIN", "19", "18", True),
    ("F42.1", "OCI", "40", "39", True),
    ("F43.1", "PCL-5", "32", "31", True),
    ("F45.2", "HAI", "18", "17", True),
])
def test_each_descriptor_measure_caseness_boundary(code, measure, first, last, recovered):
    r = one(course(("5", first), ("4", last), complaint=code, anxiety=measure))
    assert r.anxiety_measure == measure and r.caseness is True and r.recovered is recovered
    below = one(course(("5", last), ("4", last), complaint=code, anxiety=measure))
    assert below.caseness is False


def test_mobility_inventory_reliable_change_is_more_than_0_73_exactly():
    r = one(course(("5", "3.03"), ("5", "2.30"), complaint="F40.0", anxiety="Mobility Inventory"))
    assert r.reliable_improvement is False                 # exactly 0.73: not more
    r = one(course(("5", "3.04"), ("5", "2.30"), complaint="F40.0", anxiety="Mobility Inventory"))
    assert r.reliable_improvement is True


def test_problem_descriptor_order():
    r = one(Referral(received="2021-02-01", discharged="2021-03-25",
                     complaints=[("F41.0", "2", "2021-03-20", "01"), ("F42", "1", "2021-02-10", "01"),
                                 ("F40.1", "1", "2021-02-15", "01")]))
    assert r.descriptor == "F40.1" and r.descriptor_measure == "SPIN"   # primary, then the latest date
    same_day = one(Referral(received="2021-02-01", discharged="2021-03-25",
                            complaints=[("F42", "1", "2021-02-10", "01"), ("F43.1", "1", "2021-02-10", "01")]))
    assert same_day.descriptor == "F43.1"                                # then the latest row
    snomed = one(Referral(received="2021-02-01", discharged="2021-03-25",
                          complaints=[("197480006", "1", None, "04")]))
    assert snomed.descriptor == "197480006" and snomed.descriptor_measure is None


def test_scores_are_ordered_by_date_whatever_the_row_order():
    r = one(Referral(received="2021-02-01", discharged="2021-03-25",
                     contacts=[Contact("2021-03-22", scores={"PHQ-9": "5", "GAD-7": "4"}),
                               Contact("2021-03-01", scores={"PHQ-9": "15", "GAD-7": "12"})],
                     referral_scores=[("PHQ-9", "20", "2021-03-01")]))
    # on 1 March: the IDS607 score (its contact at 10:00) before the IDS606 one (at the example's time)
    assert (r.phq9_first, r.phq9_last, r.phq9_scores) == (15, 5, 3)


# ------------------------------------------------------------------------------------ rejected rows

def test_a_rejected_referral_counts_in_nothing_and_says_why():
    def bad(rows):
        referral_rows(rows, service_request_id(0))[0]["OrgIDComm"] = "X"

    p = run(course(("15", "12"), ("5", "4")), mutate=bad)
    r = p.referral(service_request_id(0))
    assert not r.accepted and r.counts == (0,) * len(measures.COUNTS)
    assert r.why["finished"].startswith("rejected: IDS10109 ")
    assert set(r.why) == set(measures.MEASURES)


def test_a_rejected_contact_is_named_where_it_costs():
    def bad(rows):
        c = next(c for c in rows["IDS201"] if c["ServiceRequestId"] == service_request_id(0) and c["CareContDate"] == "2021-03-22")
        c["CareContDate"] = "2021-02-30"

    p = run(course(("15", "12"), ("5", "4")), mutate=bad)
    r = p.referral(service_request_id(0))
    assert not r.finished and r.why["finished"].startswith("only 1 treatment contact (1 contact rejected: IDS201 ")
    assert "IDS20107" in r.why["finished"]
    assert "score row" in r.why["paired"]


# ------------------------------------------------------------------------------------ what findings cost

def test_fixing_a_gp_row_would_bring_back_the_patient():
    def bad(rows):
        patient = referral_rows(rows, service_request_id(0))[0]["LocalPatientId"]
        for g in rows["IDS002"]:
            if g["LocalPatientId"] == patient:
                g["StartDateGMPRegistration"] = "2021-04-05"

    p = run(course(("15", "12"), ("5", "4")), mutate=bad)
    r = p.referral(service_request_id(0))
    assert not r.accepted and "Root cause" in r.rejected
    cost = next(c for c in p.costs if c.code == "IDS00211")
    assert cost.gains["finished"] == 1 and cost.gains["recovered"] == 1
    assert cost.words().startswith(f"fixing IDS00211 on {cost.rows['IDS002']} IDS002 row")
    assert "would bring back 1 finished referral, 1 recovery" in cost.words()
    assert p.costs[0].code == "IDS00211"
    assert p.if_all_accepted["finished"] == p.totals["finished"] + 1


def test_a_row_with_two_faults_comes_back_only_when_both_are_fixed():
    def bad(rows):
        c = next(c for c in rows["IDS201"] if c["ServiceRequestId"] == service_request_id(0) and c["CareContDate"] == "2021-03-22")
        c["ConsMediumUsed"] = "123"
        c["OrgIDComm"] = "X"

    p = run(course(("15", "12"), ("5", "4")), mutate=bad)
    costs = {c.code: c for c in p.costs}
    assert len(costs) == 2 and all(c.rows == {"IDS201": 1} for c in costs.values())
    assert all(c.gains.get("finished", 0) == 0 for c in costs.values())
    assert p.if_all_accepted["finished"] == p.totals["finished"] + 1


def test_a_rejected_file_costs_everything():
    p = measures.preview(iapt_ds.example_path(), **{**UPLOAD, "provider": "XXX"})
    assert p.file_rejected and p.totals["finished"] == 0
    assert all(r.why["finished"].startswith("rejected: the file is rejected") for r in p.referrals)
    top = p.costs[0]
    assert top.file_level and top.gains["finished"] == 2 and top.gains["recovered"] == 1
    assert p.if_all_accepted["finished"] == 2


# ------------------------------------------------------------------------------------ definitions as data

def test_definitions_come_from_the_spec():
    d = definitions.load_definitions()
    assert d.measures["PHQ-9"].caseness == definitions.Threshold(">=", Decimal(10))
    assert d.measures["PDSS"].reliable_change == definitions.Threshold(">", Decimal(5))
    assert d.descriptor_measure("f42.0") == "OCI" and d.descriptor_measure("F41.1") is None
    assert d.descriptor_measure("F41.0", scheme="04") is None
    assert d.min_treatment_contacts == 2 and (d.six_weeks, d.eighteen_weeks) == (42, 126)
    for name, e in d.explanations.items():
        assert e.definition and e.status in definitions.STATUSES, name


def test_a_broken_measures_file_is_a_spec_error(tmp_path):
    import shutil

    from iapt_ds.errors import SpecError
    from iapt_ds.spec import spec_path

    folder = tmp_path / "iapt-v2.0"
    shutil.copytree(spec_path(), folder)
    text = (folder / "measures.yaml").read_text().replace('caseness: {op: ">=", value: 10}', 'caseness: {op: "=>", value: 10}')
    (folder / "measures.yaml").write_text(text)
    spec = iapt_ds.load_spec(folder)
    with pytest.raises(SpecError, match=r"measures.yaml: measures.PHQ-9.caseness: op must be one of"):
        definitions.load_definitions(spec)


@pytest.mark.parametrize("extends", ["iapt-v2.0", '"2.0"'])
def test_a_version_without_measures_inherits_its_parents(tmp_path, extends):
    import shutil

    from iapt_ds.spec import spec_path

    parent = tmp_path / "iapt-v2.0"
    shutil.copytree(spec_path(), parent)
    child = tmp_path / "iapt-v2.1"
    shutil.copytree(spec_path(), child)
    (child / "measures.yaml").unlink()
    ds = (child / "dataset.yaml").read_text()
    (child / "dataset.yaml").write_text(ds + f"\nextends: {extends}\n")

    class FakeSpec:
        path = str(child)
        assessment_tools = iapt_ds.load_spec().assessment_tools

    d = definitions.load_definitions(FakeSpec())  # type: ignore[arg-type]
    assert d.path == str(parent / "measures.yaml")


@pytest.mark.parametrize("name", ["iapt_ds.measures", "iapt_ds.measures.definitions", "iapt_ds.testing.referrals"])
def test_docstring_examples(name):
    import doctest
    import importlib

    failed, attempted = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failed == 0


def test_the_v21_example_previews_with_the_v20_definitions():
    # v2.1 has no measures.yaml of its own: it extends v2.0, whose definitions it inherits
    spec = iapt_ds.load_spec(version="2.1")
    assert definitions.load_definitions(spec).path.endswith("iapt-v2.0/measures.yaml")
    sub = iapt_ds.read(iapt_ds.example_path("2.1"), spec=spec)
    result = iapt_ds.validate(sub, spec=spec, period="2024-05")
    p = measures.compute(sub, result)
    assert p.version == "2.1"
    assert (p.totals["finished"], p.totals["recovered"], p.totals["reliable_improvement"]) == (2, 1, 2)
    assert str(p.totals.rates["recovery_rate"]) == "1/2 = 50.0%"


def test_several_file_level_codes_are_costed_together():
    from iapt_ds.measures.cost import CodeCost

    spec = iapt_ds.load_spec()
    c = CodeCost(code="IDSREJ006", rule=spec.rules["IDSREJ006"], rows={}, referrals=2,
                 gains={"finished": 2, "recovered": 1}, file_level=True, together=("IDSREJ006", "IDSREJ007"))
    assert c.words() == ("fixing the file-level rejections (IDSREJ006, IDSREJ007, all of them) would bring back "
                         "2 finished referrals and 1 recovery")
