"""Every rule's own examples: each failing example fires the rule, each passing one does not, and
a failing example gives exactly the codes it declares (``_fires``; absent: the rule's own alone).

The examples live beside the rule in spec/iapt-v2.0/rules/*.yaml (ids like IDS00211-fail-0)."""

from __future__ import annotations

import pytest

from iapt_ds.spec import load_spec
from iapt_ds.spec_examples import fires_on_changed, run_example

SPEC = load_spec()
CASES = [pytest.param(rule, outcome, ex, rule.fires[i] if outcome == "fail" else None, id=f"{code}-{outcome}-{i}")
         for code, rule in SPEC.rules.items()
         for outcome in ("fail", "pass")
         for i, ex in enumerate(rule.examples[outcome])]


def test_every_rule_has_cases():
    assert {c.values[0].code for c in CASES} == set(SPEC.rules)


@pytest.mark.parametrize("rule, outcome, example, fires", CASES)
def test_rule_example(rule, outcome, example, fires):
    result, changed = run_example(rule, example, SPEC)
    fired = fires_on_changed(rule, result, changed)
    assert fired == (outcome == "fail"), f"{rule.code} {outcome} example {example!r}"
    if outcome == "fail":   # exactly the codes it declares
        assert {f.code for f in result.findings} == fires, f"{rule.code} fail example {example!r}"
