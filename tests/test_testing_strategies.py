"""iapt_ds.testing itself: value strategies give what the spec allows (and the ``invalid_`` ones
what it does not), the size controls hold, and the breakers' checker notices a wrong engine."""

from __future__ import annotations

import datetime as _dt
import re
import sys
from pathlib import Path

import conftest_hypothesis as profile
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import verhoeff
from stdnum.gb import nhs

from iapt_ds import validate
from iapt_ds.errors import UsageError
from iapt_ds.spec import load_spec
from iapt_ds.spec_examples import DEFAULT_UPLOAD, base_rows
from iapt_ds.testing import (
    BREAKERS,
    UNBREAKABLE,
    Broken,
    assessment_scores,
    breaking,
    field_values,
    icd10_codes,
    invalid_nhs_numbers,
    invalid_snomed_ids,
    nhs_numbers,
    ods_codes,
    periods,
    postcodes,
    snomed_ids,
    submissions,
    table_rows,
    upload_of,
)

SPEC = load_spec()
UPLOAD = {"period": "2021-03", "provider": DEFAULT_UPLOAD["provider"], "sender": DEFAULT_UPLOAD["sender"],
          "submitted_at": DEFAULT_UPLOAD["submitted_at"]}
# kinds that look at one field of one row and nothing else
SINGLE_VALUE_KINDS = {"not_blank", "length", "in_codelist", "pattern", "not_pattern", "valid_date",
                      "valid_datetime", "date_min", "nhs_number", "snomed_ct", "assessment_tool"}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "testing.md"


def _single_value_findings(table: str, row: dict) -> list[str]:
    """Findings of single-value rules on the first row of *table* after it is replaced by *row*."""
    rows = base_rows(SPEC)
    rows[table][0] = row
    result = validate(rows, **UPLOAD)
    return [str(f) for f in result.findings if f.table == table and f.row == 1
            and f.rule.kind in SINGLE_VALUE_KINDS and len(f.rule.fields) == 1]


# ------------------------------------------------------------------------------ national formats

def _is_nhs_number(s: str) -> bool:
    return len(s) == 10 and s.isascii() and s.isdigit() and s[:5] != s[5:][::-1] and nhs.is_valid(s)


@profile.examples("strategy")
@given(nhs_numbers())
def test_nhs_numbers_are_valid(number):
    assert _is_nhs_number(number)


@profile.examples("strategy")
@given(invalid_nhs_numbers())
def test_invalid_nhs_numbers_are_not(number):
    assert not _is_nhs_number(number)


@profile.examples("strategy")
@given(postcodes())
def test_postcodes_have_the_shape_idsrej007_checks(code):
    assert re.search(SPEC.rules["IDSREJ007"].params["regex"], code, re.ASCII)
    assert code.count(" ") == 1 and code == code.upper()


def _is_snomed(s: str, lo: int, hi: int) -> bool:
    return (s.isascii() and s.isdigit() and max(lo, 6) <= len(s) <= min(hi, 18) and verhoeff.is_valid(s)
            and s[-3:-1] in ("00", "10"))


@profile.examples("strategy")
@given(data=st.data(), bounds=st.sampled_from([(6, 18), (6, 56), (8, 10)]))
def test_snomed_ids_are_valid_and_invalid_ones_are_not(data, bounds):
    assert _is_snomed(data.draw(snomed_ids(*bounds)), *bounds)
    assert not _is_snomed(data.draw(invalid_snomed_ids(*bounds)), *bounds)


@profile.examples("strategy")
@given(icd10_codes())
def test_icd10_codes(code):
    assert 4 <= len(code) <= 6 and re.fullmatch(r"[A-Z][0-9]{2}(\.?[0-9]{1,3})", code)


@profile.examples("strategy")
@given(ods_codes(3, 5))
def test_ods_codes(code):
    assert re.fullmatch(r"[A-Z0-9]{3,5}", code)


@pytest.mark.parametrize("tool", sorted(SPEC.assessment_tools))
@profile.examples("field")
@given(data=st.data())
def test_assessment_scores_are_in_range_and_written_as_their_tool_writes_them(tool, data):
    score = data.draw(assessment_scores(tool))
    t = SPEC.assessment_tools[tool]
    assert re.match(t.format, score)
    assert score in t.values if t.values is not None else t.range[0] <= float(score) <= t.range[1]


@profile.examples("strategy")
@given(periods())
def test_periods_are_the_ones_v2_0_was_used_for(period):
    assert SPEC.periods[0] <= period <= SPEC.periods[1]


# ------------------------------------------------------------------------------ from the spec

@pytest.mark.parametrize("table, field", [(t.id, f.name) for t in SPEC.tables.values() for f in t.fields])
@profile.examples("field")
@given(data=st.data())
def test_field_values_pass_every_rule_on_their_field(table, field, data):
    row = dict(base_rows(SPEC)[table][0], **{field: data.draw(field_values(table, field))})
    assert _single_value_findings(table, row) == []


@pytest.mark.parametrize("table", list(SPEC.tables))
@profile.examples("field")
@given(data=st.data())
def test_table_rows_pass_every_single_value_rule(table, data):
    assert _single_value_findings(table, data.draw(table_rows(table))) == []


# ------------------------------------------------------------------------------ submissions()

@profile.examples("strategy")
@given(submissions(patients=2, sizes={"IDS101": 1, "IDS201": (2, 2), "IDS902": 0}, history_days=10))
def test_sizes_and_history_are_respected(rows):
    assert len(rows["IDS001MPI"]) == 2 and len(rows["IDS101Referral"]) == 2
    assert len(rows["IDS201CareContact"]) == 4 and rows["IDS902CarePersQual"] == []
    earliest = _dt.date(2021, 3, 1) - _dt.timedelta(days=10)
    assert all(_dt.date.fromisoformat(r["ReferralRequestReceivedDate"]) >= earliest for r in rows["IDS101Referral"])


@profile.examples("strategy")
@given(submissions(period="2020-11", provider="RX4", sender="8JK01"))
def test_upload_of_reads_the_header_back(rows):
    assert upload_of(rows) == {"period": "2020-11", "provider": "RX4", "sender": "8JK01",
                               "submitted_at": "2020-12-05T12:00:00"}


@pytest.mark.parametrize("kwargs", [
    {"provider": "R1ZXYZ"},            # patients repeat the provider in a 3-5 character field
    {"sender": " R1Z"},
    {"sizes": {"IDS999": 1}},
    {"sizes": {"IDS101": (0, 1)}},     # every patient needs a referral
    {"patients": (2, 1)},
    {"history_days": -1},
    {"period": "2021-13"},
])
def test_submissions_refuses_what_cannot_be_valid(kwargs):
    with pytest.raises(UsageError):
        submissions(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"patients": (1, 2, 3)}, r"patients must be a number of rows or a \(min, max\) pair, got \(1, 2, 3\)"),
    ({"sizes": {"IDS201": "many"}}, r"sizes\['IDS201'\] must be a number of rows or a \(min, max\) pair"),
])
def test_a_size_that_is_no_number_or_pair_is_named(kwargs, match):
    with pytest.raises(UsageError, match=match):
        submissions(**kwargs)


def test_a_breaker_target_names_what_a_rule_lacks():
    from iapt_ds.testing._workspace import Target

    spec = load_spec()
    file_rule = next(r for r in spec.rules.values() if r.table is None)
    no_field = next(r for r in spec.rules.values() if r.table is not None and not r.fields)
    with pytest.raises(UsageError, match=f"{file_rule.code} names no table"):
        Target(file_rule).table
    with pytest.raises(UsageError, match=f"{no_field.code} .* names no field"):
        Target(no_field).field
    row_rule = spec.rules["IDS00102"]
    assert (Target(row_rule).table, Target(row_rule).field) == ("IDS001", row_rule.fields[0])


@pytest.mark.parametrize("call, match", [
    (lambda: field_values("IDS999", "LocalPatientId"), "no table 'IDS999'"),
    (lambda: field_values("IDS001", "NoSuchField"), "IDS001 has no field 'NoSuchField'"),
    (lambda: table_rows("IDS999XYZ"), "no table 'IDS999XYZ'"),
    (lambda: assessment_scores("123"), "no assessment tool '123'"),
    (lambda: snomed_ids(20, 30), "no SNOMED CT id"),
])
def test_misuse_of_the_strategies_raises_usage_error(call, match):
    with pytest.raises(UsageError, match=match):
        call()


# ------------------------------------------------------------------------------ breakers

def test_a_placeholder_cannot_be_broken_and_an_unknown_code_is_unknown():
    with pytest.raises(UsageError, match="placeholder"):
        breaking("IDS20109")
    with pytest.raises(UsageError, match="no rule 'IDS99999'"):
        breaking("IDS99999")


@profile.examples("strategy")
@given(rows=submissions(patients=1), data=st.data())
def test_a_breaker_applies_to_a_submission_of_ones_own(rows, data):
    broken = BREAKERS["IDS10108"].apply(rows, data.draw)
    assert broken.code == "IDS10108" and len(broken.expected) == 1
    assert broken.discrepancies() == []
    assert all(r["OrgIDComm"] for r in rows["IDS101Referral"])   # the base is left as it was


@profile.examples("strategy")
@given(breaking("IDS20108"))
def test_the_checker_notices_a_finding_on_the_wrong_row(broken):
    (table, row), = broken.expected
    wrong = Broken(code=broken.code, rows=broken.rows, kwargs=broken.kwargs,
                   expected=frozenset({(table, row + 1)}), also=broken.also)
    assert wrong.discrepancies()


@profile.examples("strategy")
@given(breaking("IDSREJ003"))
def test_the_checker_notices_an_engine_that_skips_the_cascade(broken):
    with pytest.MonkeyPatch.context() as mp:
        pipeline = sys.modules["iapt_ds.pipeline"]
        mp.setattr(pipeline, "STAGES", tuple(s for s in pipeline.STAGES if s.name != "cascade"))
        assert any(d.startswith("cascade") for d in broken.discrepancies())


def test_the_docs_name_every_code_that_cannot_be_broken_alone():
    text = DOCS.read_text(encoding="utf-8")
    missing = [c for c in sorted(UNBREAKABLE) if c not in text]
    missing += [c for c, b in sorted(BREAKERS.items()) if b.also and c not in text]
    assert missing == []


def test_a_strategy_over_the_spec_has_a_short_representation():
    """Hypothesis prints a strategy's arguments (on a failure, in statistics); the spec among them
    used to come out as a 129 kB walk of every table and rule, with a warning per test case."""
    import warnings

    from hypothesis.errors import HypothesisWarning
    from hypothesis.vendor.pretty import pretty

    from iapt_ds.spec import load_spec
    from iapt_ds.testing import breaking

    spec = load_spec()
    assert pretty(spec) == repr(spec)
    assert len(repr(spec)) < 200
    with warnings.catch_warnings():
        warnings.simplefilter("error", HypothesisWarning)
        text = repr(breaking("IDS00201"))
    assert "IDS00201" in text and len(text) < 2_000
