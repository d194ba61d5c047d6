"""The kind objects: one per kind, complete at import, attached to the spec, and the one place
the loader, the engine, explain and iapt_ds.testing read a kind from."""

from __future__ import annotations

import pytest

from iapt_ds.checks import base
from iapt_ds.checks.base import Kind, Nulls, Param, Phase, Testing, Unparsable, kind
from iapt_ds.checks.catalogue import ALL_KINDS, kinds_for
from iapt_ds.errors import SpecError
from iapt_ds.spec import load_spec

SPEC = load_spec()


def test_the_spec_carries_its_versions_kinds():
    assert SPEC.kinds is kinds_for(SPEC.version)
    assert {r.kind for r in SPEC.rules.values()} == set(SPEC.kinds)   # every kind is used, none is unknown


def test_every_kind_declares_every_facet():
    for name, k in ALL_KINDS.items():
        assert k.name == name
        assert isinstance(k.phase, Phase) and isinstance(k.nulls, Nulls) and isinstance(k.unparsable, Unparsable)
        assert (k.testing.breaker is None) != (k.testing.unbreakable is None)
        assert k.sql(SPEC.rules[next(c for c, r in SPEC.rules.items() if r.kind == name)], "duckdb") is None


def test_every_rule_is_described_by_its_kind():
    for r in SPEC.rules.values():
        text = SPEC.kinds[r.kind].describe(r, SPEC, r.field or "")
        assert text.endswith(".") and text[0].isupper(), r.code


def _complete(**overrides):
    attrs = dict(name="made_up", phase=Phase.ROW, nulls=Nulls.PASS, unparsable=Unparsable.AS_NULL,
                 summary="A made-up kind.", testing=Testing(breaker="blank"),
                 describe=lambda self, rule, spec, field: "x.", evaluate=lambda self, *a: [])
    attrs.update(overrides)
    return {k: v for k, v in attrs.items() if v is not None}


def test_a_complete_kind_class_passes_its_check():
    k = kind(type("MadeUp", (Kind,), _complete()))()
    assert isinstance(k, Kind) and k.name == "made_up"


@pytest.mark.parametrize("overrides, message", [
    ({"nulls": None}, r"does not declare \['nulls'\]"),
    ({"testing": None}, r"does not declare \['testing'\]"),
    ({"describe": None}, "describe"),
    ({"evaluate": None}, r"evaluate\(\) is missing"),
    ({"phase": Phase.OUTCOME}, r"apply\(\) is missing"),
    ({"nulls": "pass"}, "nulls must be a Nulls"),
    ({"testing": Testing()}, "exactly one of breaker and unbreakable"),
    ({"params": {"min": int}}, "params must map names to Param"),
])
def test_a_missing_facet_is_an_error_when_the_kind_is_defined(overrides, message):
    with pytest.raises(TypeError, match=message):
        kind(type("MadeUp", (Kind,), _complete(**overrides)))


def test_params_are_declared_with_param():
    assert SPEC.kinds["length"].params["digits"] == Param((bool,), False, "ASCII digits only")


def test_a_version_uses_its_own_kinds_or_those_of_the_version_before_it():
    assert kinds_for("2.0") is SPEC.kinds
    assert kinds_for("2.1") is kinds_for("2.0")          # until v2.1 registers kinds of its own
    with pytest.raises(SpecError, match="no kinds are registered for version '1.0' or one before it"):
        kinds_for("1.0")
    with pytest.raises(SpecError, match="no kinds are registered for version 'next'"):
        kinds_for("next")


def test_every_breaker_a_kind_names_exists():
    from iapt_ds.testing import breakers

    for name, k in ALL_KINDS.items():
        fn = breakers._KIND_BREAKERS[name]
        assert (fn is None) == (k.testing.unbreakable is not None), name
    bad = kind(type("MadeUp", (Kind,), _complete(testing=Testing(breaker="no_such_breaker"))))()
    with pytest.raises(TypeError, match="no_such_breaker"):
        breakers._breaker_of(bad)


def test_the_base_module_imports_nothing_of_the_engine():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(base))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert all(n.level == 0 for n in top if isinstance(n, ast.ImportFrom)), "base must import only the standard library and attrs"


def test_a_date_at_a_kinds_legal_bounds_passes_its_rule():
    import datetime as dt

    from iapt_ds.spec_examples import fires_on_changed, run_example

    period = (dt.date(2021, 3, 1), dt.date(2021, 3, 31))   # the examples' period
    checked = 0
    for rule in SPEC.rules.values():
        legal = SPEC.kinds[rule.kind].legal_dates(rule, period)
        if legal is None:
            continue
        for d in legal:
            if d is None:
                continue
            example = {rule.field: d.isoformat(), "EndCode": "46"} if rule.kind == "discharged_before_period" \
                else {rule.field: d.isoformat()}
            result, changed = run_example(rule, example, SPEC)
            assert not fires_on_changed(rule, result, changed), (rule.code, d)
            checked += 1
    assert checked >= 20
