"""Rules in plain words: every rule can be told, with its examples."""

from __future__ import annotations

import pytest

from iapt_ds.report.explain import advice, checks, consequence, dependents, example_words, failing_message
from iapt_ds.spec import load_spec

SPEC = load_spec()


def test_every_rule_is_told_in_words():
    for rule in SPEC.rules.values():
        said = checks(rule, SPEC)
        assert said.endswith(".") and not any(f"{{{p}}}" in said for p in ("value", "other", "expected", "detail",
                                                                           "length")), rule.code
        assert advice(rule, SPEC) and consequence(rule)
        for outcome in ("pass", "fail"):
            for example in rule.examples.get(outcome) or ():
                assert example_words(rule, example, SPEC), rule.code


@pytest.mark.parametrize("code, words", [
    ("IDS00202", "LocalPatientId must be at most 20 characters long."),
    ("IDS00130", "Gender must be exactly 1 character long."),
    ("IDS00211", "StartDateGMPRegistration must be on or before ReportingPeriodEndDate (IDS000) plus 1 day."),
    ("IDS00117", "When NHSNumber is given, NHSNumberStatus must not be 07."),
    ("IDS00145", "Each IDS001 row needs an accepted IDS002 row with the same LocalPatientId; when there is none, "
                 "this row is rejected too."),
    ("IDSREJ002", "IDS000Header must hold at least one row."),
])
def test_checks(code, words):
    assert checks(SPEC.rules[code], SPEC) == words


def test_examples_in_words():
    rule = SPEC.rules["IDS00211"]
    assert example_words(rule, rule.examples["fail"][0], SPEC) == \
        "an IDS002 row with StartDateGMPRegistration = '2021-04-02'"
    rule = SPEC.rules["IDS00221"]
    assert example_words(rule, {"_rows": [{}, {"StartDateGMPRegistration": None}]}, SPEC) == (
        "IDS002 holds 2 copies of the example's first IDS002 row (row 2: StartDateGMPRegistration = blank)")
    assert example_words(SPEC.rules["IDS00145"], {"_context": {"IDS002": []}}, SPEC) == "no IDS002 rows for it"
    assert example_words(SPEC.rules["IDSREJ001"], {"_drop_table": "IDS902"}, SPEC) == "the table IDS902 left out"


def test_failing_message_is_what_the_report_says():
    assert failing_message(SPEC.rules["IDS00211"], SPEC) == (
        "Start Date (GMP Patient Registration) (StartDateGMPRegistration) '2021-04-02' is after the end of the "
        "reporting period plus one day ('2021-03-31').")
    # SDCS's time check: iapt-ds fires it on a time no IDB holds (issue 15, item 19)
    assert failing_message(SPEC.rules["IDS10514"], SPEC) == (
        "Onward Referral Time (OnwardReferTime) is not a time of day in the HH:MM:SS form an IDB's Date/Time "
        "column holds: 25:00:00.")


def test_dependents_follow_the_cascade():
    assert [d.code for d in dependents(SPEC.rules["IDS00211"], SPEC)] == ["IDS00145"]
    assert {d.table for d in dependents(SPEC.rules["IDS00102"], SPEC)} == {
        "IDS002", "IDS101", "IDS004", "IDS007", "IDS011", "IDS012", "IDS803"}
    assert dependents(SPEC.rules["IDS00116"], SPEC) == []  # a warning rejects nothing
