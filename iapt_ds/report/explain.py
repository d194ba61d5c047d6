"""Rules in plain words, from the spec: what a rule checks, what its severity does, what to do
about it, and its pass/fail examples told as changes to the bundled example.

Used by ``iapt-ds rules`` and ``iapt-ds explain`` and beside each code in the HTML report.

>>> from iapt_ds import load_spec
>>> spec = load_spec()
>>> checks(spec.rules["IDS00202"], spec)
'LocalPatientId must be at most 20 characters long.'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec import RuleSpec, Spec

__all__ = ["checks", "consequence", "advice", "dependents", "example_words", "failing_message",
           "SEVERITY_WORDS"]

SEVERITY_WORDS = {"file": "file rejection", "group": "group rejection", "record": "record rejection",
                  "warning": "warning"}

_CONSEQUENCE = {
    "file": "SDCS rejects the whole submission: nothing in it is loaded until this is fixed.",
    "group": "SDCS rejects this row, and through the cascade every row that depends on it.",
    "record": "SDCS rejects this row, and through the cascade every row that depends on it.",
    "warning": "The row is kept; fixing it improves the quality of your data.",
}


def checks(rule: RuleSpec, spec: Spec) -> str:
    """One sentence: what *rule* requires."""
    return spec.kinds[rule.kind].describe(rule, spec, rule.field or "")


def consequence(rule: RuleSpec) -> str:
    """What the rule's severity does to the submission."""
    return _CONSEQUENCE[rule.severity]


def dependents(rule: RuleSpec, spec: Spec) -> list[RuleSpec]:
    """The cascade rules that reject rows of other tables when a row of *rule*'s table is rejected."""
    if rule.table is None or not rule.rejects:
        return []
    return [spec.rules[c] for c in spec.cascade if spec.rules[c].params["related"] == rule.table]


def advice(rule: RuleSpec, spec: Spec) -> str:
    """What a data manager should do about a finding of *rule*."""
    field = rule.field or "the value"
    if rule.placeholder:
        return "Nothing: this rule never fires."
    said = spec.kinds[rule.kind].advice(rule, spec)
    if said is not None:
        return said
    if rule.field:
        return f"Correct {field} in your system so that it meets the rule, then extract the file again."
    return "Correct the submission as the message says, then extract the file again."


def _value_words(v: Any) -> str:
    return "blank" if v is None or (isinstance(v, str) and not v.strip()) else repr(v)


def _overlay_words(overlay: Mapping[str, Any]) -> str:
    pairs = [f"{k} = {_value_words(v)}" for k, v in overlay.items() if not k.startswith("_")]
    return ", ".join(pairs) if pairs else "as in the example"


def _context_words(key: str, value: Any, spec: Spec) -> str:
    head, _, tail = key.partition(".")
    if head == "upload":
        return f"the upload's {tail.replace('_', ' ')} = {value!r}"
    if head == "reference_data":
        return f"reference data {tail.replace('_', ' ')} = {', '.join(value)}"
    if head == spec.header and tail:
        return f"the header's {tail} = {_value_words(value)}"
    if tail:
        return f"its {head} row's {tail} = {_value_words(value)}"
    if not value:
        return f"no {head} rows for it"
    return f"its {head} rows replaced by: " + "; ".join(_overlay_words(o) for o in value)


def _row_words(table: str, overlays: list[Mapping[str, Any]]) -> str:
    if not overlays:
        return f"{table} holds no rows"
    n = len(overlays)
    changes = "; ".join(f"row {i}: {_overlay_words(o)}" for i, o in enumerate(overlays, 1)
                        if any(not k.startswith("_") for k in o))
    return (f"{table} holds {n} cop{'ies' if n > 1 else 'y'} of the example's first {table} row"
            + (f" ({changes})" if changes else ""))


def example_words(rule: RuleSpec, example: Mapping[str, Any], spec: Spec) -> str:
    """A spec example (an overlay on the bundled example submission) told in words."""
    table = rule.table or "the file"
    parts = []
    if "_rows" in example:
        parts.append(_row_words(table, example["_rows"]))
    elif "_all" in example:
        parts.append(f"every {table} row with {_overlay_words(example['_all'])}")
    elif any(not k.startswith("_") for k in example):
        parts.append(f"an {table} row with {_overlay_words(example)}")
    for key, what in (("_drop_column", "the column {} left out"), ("_add_column", "an extra column {}"),
                      ("_drop_table", "the table {} left out")):
        if key in example:
            parts.append(what.format(example[key]))
    parts += [_context_words(k, v, spec) for k, v in (example.get("_context") or {}).items()]
    return "; ".join(parts) if parts else "the bundled example as it is"


def failing_message(rule: RuleSpec, spec: Spec) -> str | None:
    """The message the report gives for the rule's first failing example (by validating it), or
    None when the rule has no failing example."""
    from ..spec_examples import run_example

    fails = rule.examples.get("fail") or ()
    if not fails:
        return None
    result, changed = run_example(rule, fails[0], spec)
    rows = {i + 1 for i in changed}
    for f in result.findings:
        if f.code == rule.code and (f.row is None or f.row in rows):
            return f.message
    return None
