"""Rules in plain words, from the spec: what a rule checks, what its severity does, what to do
about it, and its pass/fail examples told as changes to the bundled example.

Used by ``iapt-ds rules`` and ``iapt-ds explain`` and beside each code in the HTML report.

>>> from iapt_ds import load_spec
>>> spec = load_spec()
>>> checks(spec.rules["IDS00202"], spec)
'LocalPatientId must be at most 20 characters long.'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

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

_UPLOAD_WORDS = {"period_start": "first day of the reporting period chosen for the upload",
                 "period_end": "last day of the reporting period chosen for the upload",
                 "provider": "provider organisation chosen for the upload",
                 "sender": "organisation sending the upload"}
_LOOKUP_WORDS = {"organisation": "an ODS organisation", "gp_practice": "a GP practice", "site": "an ODS site",
                 "postcode": "a postcode (in the national postcode file)"}


def _ref(ref: str) -> str:
    """``IDS000.ReportingPeriodEndDate`` -> ``ReportingPeriodEndDate (IDS000)``."""
    table, _, field = ref.rpartition(".")
    return f"{field} ({table})" if table else field


def _codes(spec: Spec, name: str) -> str:
    codes = spec.codelists[name].codes
    shown = ", ".join(codes[:12]) + (f" … ({len(codes)} codes)" if len(codes) > 12 else "")
    return f"one of the {name} codes: {shown}"


def _length(p: Mapping[str, Any]) -> str:
    lo, hi = p["min"], p["max"]
    unit = ("digit" if p.get("digits") else "character") + ("" if hi == 1 else "s")
    if lo == hi:
        return f"exactly {hi} {unit} long"
    if lo == 0:
        return f"at most {hi} {unit} long"
    return f"{lo} to {hi} {unit} long"


def _offset(p: Mapping[str, Any]) -> str:
    words = []
    for unit in ("days", "years"):
        n = p.get(f"offset_{unit}")
        if n:
            words.append(f"{'plus' if n > 0 else 'minus'} {abs(n)} {unit[:-1] if abs(n) == 1 else unit}")
    return (" " + " ".join(words)) if words else ""


def _condition(c: Mapping[str, Any], verb: str) -> str:
    """A ``conditional`` rule's condition: *verb* is "is" for the if part, "must be" for the then."""
    field = c["field"]
    if "present" in c:
        return f"{field} {verb} {'given' if c['present'] else 'blank'}"
    codes = c.get("in", c.get("not_in"))
    if "not_in" in c:
        verb = verb.replace("is", "is not").replace("must be", "must not be")
    return f"{field} {verb} {codes[0] if len(codes) == 1 else 'one of ' + ', '.join(codes)}"


_Describe = Callable[[RuleSpec, Spec, str], str]

_CHECKS: dict[str, _Describe] = {
    "not_blank": lambda r, s, f: f"{f} must not be blank.",
    "length": lambda r, s, f: f"{f} must be {_length(r.params)}.",
    "in_codelist": lambda r, s, f: f"{f} must be {_codes(s, r.params['codelist'])}.",
    "pattern": lambda r, s, f: f"{f} must match the pattern '{r.params['regex']}'.",
    "not_pattern": lambda r, s, f: f"{f} must not match the pattern '{r.params['regex']}'.",
    "valid_date": lambda r, s, f: f"{f} must be a real calendar date (YYYY-MM-DD).",
    "valid_datetime": lambda r, s, f: f"{f} must be a real date and time (YYYY-MM-DDThh:mm:ss).",
    "date_min": lambda r, s, f: f"{f} must be on or after {r.params['min']}.",
    "placeholder": lambda r, s, f: "Nothing: SDCS defines this rule but never applies it.",
    "nhs_number": lambda r, s, f: (f"{f} must be a valid NHS number: 10 digits, no spaces, a correct "
                                   "Modulus 11 check digit, not reading the same backwards."),
    "snomed_ct": lambda r, s, f: f"{f} must be a valid SNOMED CT identifier (check digit and partition).",
    "date_compare": lambda r, s, f: (f"{f} must be {r.params['op'].replace('_', ' ')} "
                                     f"{_ref(r.params['other'])}{_offset(r.params)}."),
    "equals_field": lambda r, s, f: f"{f} must equal {_ref(r.params['other'])}.",
    "conditional": lambda r, s, f: (f"When {_condition(r.params['if'], 'is')}, "
                                    f"{_condition(r.params['then'], 'must be')}."),
    "matches_upload": lambda r, s, f: f"{f} must match the {_UPLOAD_WORDS[r.params['upload']]}.",
    "not_after_submission": lambda r, s, f: f"{f} must not be after the time the file is submitted.",
    "plausible_birth_date": lambda r, s, f: (f"{f} must not be after the reporting period, nor make the "
                                             f"patient older than {r.params['max_age']}."),
    "onset_not_before_birth": lambda r, s, f: f"{f} must not be before the month of {_ref(r.params['birth_date'])}.",
    "finding_code": lambda r, s, f: f"{f} must be a code of the scheme given in {r.params['scheme']}.",
    "assessment_tool": lambda r, s, f: (f"{f} must be one of the {len(s.assessment_tools)} assessment "
                                        "tools accepted in v2.0."),
    "score_format": lambda r, s, f: f"{f} must be written the way the assessment tool's scores are.",
    "score_range": lambda r, s, f: f"{f} must be within the scores the assessment tool allows.",
    "reference_data": lambda r, s, f: (f"{f} must be {_LOOKUP_WORDS[r.params['lookup']]} code current at "
                                       "the start of the reporting period (checked only when reference data "
                                       "is given)."),
    "unique": lambda r, s, f: (f"Each {r.params['fields'][0]} must appear only once in {r.table}."
                               if len(r.params["fields"]) == 1 else
                               f"Each combination of {', '.join(r.params['fields'])} must appear only once "
                               f"in {r.table}."),
    "one_open_per": lambda r, s, f: (f"At most one {r.table} row per {r.params['per']} may have "
                                     f"{r.params['field']} blank."),
    "one_attended_per_slot": lambda r, s, f: (f"At most one attended contact (AttendOrDNACode "
                                              f"{' or '.join(r.params['attended'])}) per "
                                              f"{', '.join(r.params['fields'])}."),
    "has_related": lambda r, s, f: (f"Each {r.table} row needs an accepted {r.params['related']} row with the "
                                    f"same {r.params['key']}; when there is none, this row is rejected too."),
    "consecutive_gp_registration": lambda r, s, f: (
        "A GP registration that ends needs an accepted follow-on registration for the same patient at "
        "a different practice, starting the next day."),
    "discharged_before_period": lambda r, s, f: (
        f"A referral discharged before the reporting period needs a post-discharge follow-up contact "
        f"(AppType {r.params['follow_up_app_type']}) or a PEQ score in the file."),
    "attended_has_activity": lambda r, s, f: (f"An attended contact (AttendOrDNACode "
                                              f"{' or '.join(r.params['attended'])}) needs an accepted care "
                                              "activity (IDS202) row."),
    "structure": lambda r, s, f: ("The tables and columns must be exactly those of the v2.0 IDB, and every "
                                  "value must be readable as its column's type."),
    "table_not_empty": lambda r, s, f: f"{s.tables[cast(str, r.table)].name} must hold at least one row.",
    "single_valid_header": lambda r, s, f: "The header table must hold exactly one row, and that row must be accepted.",
    "records_in_period": lambda r, s, f: "At least one submitted record must fall in the reporting period.",
    "not_all_rejected": lambda r, s, f: f"At least one {r.table} row must be accepted.",
}


def checks(rule: RuleSpec, spec: Spec) -> str:
    """One sentence: what *rule* requires."""
    return _CHECKS[rule.kind](rule, spec, rule.field or "")


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
    if rule.kind == "has_related":
        rel, key = rule.params["related"], rule.params["key"]
        return (f"Fix the cause, not this row: the {rel} row with the same {key} is missing or rejected. "
                f"Follow the root cause in the report; when there is none, add the missing {rel} row.")
    if rule.kind == "unique":
        return ("Find the rows that share the key (the detail lists them), then remove the duplicate or "
                "correct the key fields so that each row is distinct.")
    if rule.kind in ("one_open_per", "one_attended_per_slot", "consecutive_gp_registration"):
        return "Look at the patient's or referral's rows together and correct the dates or codes that clash."
    if rule.kind == "reference_data":
        return (f"Check {field} against the current national reference data; correct a mistyped code, or "
                "update the organisation or practice in your system.")
    if rule.kind == "matches_upload":
        return (f"Either correct {field} in the header, or choose the matching period or organisation "
                "when you upload.")
    if rule.kind == "in_codelist":
        return f"Map the local value of {field} to one of the national codes ({rule.params['codelist']})."
    if rule.kind in _CHECKS and rule.field:
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
