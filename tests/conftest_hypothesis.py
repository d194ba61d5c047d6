"""Hypothesis profiles for the property suite, chosen with ``IAPT_DS_HYPOTHESIS_PROFILE``:

* ``ci`` (the default): a few examples per property, so the suite stays quick;
* ``deep``: many more (over 10,000 examples across tests/test_properties.py), for a run before a
  release: ``IAPT_DS_HYPOTHESIS_PROFILE=deep python -m pytest tests/test_properties.py``.

Each test asks :func:`examples` for its budget by the kind of property it checks.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("IAPT_DS_HYPOTHESIS_PROFILE", "ci")

# examples per test, by property kind
_BUDGETS = {
    "ci": {"breaker": 2, "valid": 25, "damaged": 20, "fuzz": 60, "strategy": 20, "field": 3},
    "deep": {"breaker": 25, "valid": 400, "damaged": 300, "fuzz": 1000, "strategy": 200, "field": 25},
}
if PROFILE not in _BUDGETS:
    raise RuntimeError(f"IAPT_DS_HYPOTHESIS_PROFILE must be one of {sorted(_BUDGETS)}, not {PROFILE!r}")

for _name in _BUDGETS:
    # generating a whole submission is slow by Hypothesis's measure and large by design
    settings.register_profile(_name, deadline=None, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                     HealthCheck.filter_too_much])
settings.load_profile(PROFILE)


def examples(kind: str) -> settings:
    """Settings for a test of the given kind under the chosen profile."""
    return settings(max_examples=_BUDGETS[PROFILE][kind])
