"""Every rule's own examples: each failing example fires the rule, each passing one does not, and
a failing example gives exactly the codes it declares (``_fires``; absent: the rule's own alone).

The examples live beside the rule in spec/iapt-v2.0/rules/*.yaml (ids like IDS00211-fail-0); v2.1's
(ids like v2.1-IDS00301-fail-0) are v2.0's as the v2.1 delta leaves or changes them."""

from __future__ import annotations

import pytest

from iapt_ds.spec import load_spec
from iapt_ds.spec_examples import fires_on_changed, run_example

SPEC = load_spec()
# v2.1's examples run against v2.1's own bundled example (May 2024), every code of the version
SPEC21 = load_spec(version="2.1")


def _cases(spec, prefix="", exact=True):
    """*exact*: also assert the exact codes each failing example declares (``_fires``); in v2.1,
    the examples the delta declares (a rule it inherits unchanged keeps v2.0's examples, not what
    they fire)."""
    return [pytest.param(rule, outcome, ex, spec, rule.fires[i] if exact and outcome == "fail" and rule.fires else None,
                         id=f"{prefix}{code}-{outcome}-{i}")
            for code, rule in spec.rules.items()
            for outcome in ("fail", "pass")
            for i, ex in enumerate(rule.examples[outcome])]


CASES = _cases(SPEC)
CASES21 = _cases(SPEC21, "v2.1-")


def test_every_rule_has_cases():
    assert {c.values[0].code for c in CASES} == set(SPEC.rules)
    assert {c.values[0].code for c in CASES21} == set(SPEC21.rules)


@pytest.mark.parametrize("rule, outcome, example, spec, fires", CASES + CASES21)
def test_rule_example(rule, outcome, example, spec, fires):
    result, changed = run_example(rule, example, spec)
    fired = fires_on_changed(rule, result, changed)
    assert fired == (outcome == "fail"), f"{rule.code} {outcome} example {example!r}"
    if fires is not None:   # a failing example gives exactly the codes it declares
        assert {f.code for f in result.findings} == fires, f"{rule.code} fail example {example!r}"
