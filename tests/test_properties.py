"""The property suite: what must hold for every submission, valid or not.

* a generated valid submission is accepted with no finding of any kind;
* breaking one rule gives exactly that code on exactly the expected rows, plus only the cascade
  it implies and the codes its breaker declares may come with it;
* the cascade never leaves an accepted child without an accepted parent, nor a patient without
  a GP registration and a referral, and every rejection traces back to a root cause;
* every row is accounted for; validation is deterministic and does not depend on row order;
* ``validate`` never raises, whatever the rows hold.

Budgets come from the Hypothesis profile (tests/conftest_hypothesis.py): ``ci`` by default,
``IAPT_DS_HYPOTHESIS_PROFILE=deep`` for the long run.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections import Counter

import conftest_hypothesis as profile
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iapt_ds import validate
from iapt_ds.spec import load_spec
from iapt_ds.testing import (
    BREAKERS,
    UNBREAKABLE,
    breaking,
    known_reference_data,
    periods,
    submissions,
    texts,
    upload_of,
)

SPEC = load_spec()
SMALL = {"patients": (1, 2), "sizes": {"IDS002": (1, 2), "IDS201": (0, 2), "IDS202": (0, 2)}}


def _clean(v):
    if v is None:
        return None
    return (v if isinstance(v, str) else str(v)).strip(" ") or None


# ------------------------------------------------------------------------------ valid submissions

@profile.examples("valid")
@given(rows=submissions(period=periods()), data=st.data())
def test_a_generated_submission_is_accepted_with_no_finding(rows, data):
    result = validate(rows, **upload_of(rows))
    assert result.outcome == "accepted"
    assert [str(f) for f in result.findings] == []
    assert set(result.not_checked) <= {r.code for r in SPEC.rules.values() if r.kind == "reference_data"}
    checked = validate(rows, **upload_of(rows), reference_data=known_reference_data(rows))
    assert [str(f) for f in checked.findings] == [] and not checked.not_checked


# ------------------------------------------------------------------------------ breakers

def test_every_code_is_breakable_or_says_why_not():
    assert set(BREAKERS) | set(UNBREAKABLE) == set(SPEC.rules)
    assert not set(BREAKERS) & set(UNBREAKABLE)
    assert all(SPEC.rules[c].kind == "placeholder" for c in UNBREAKABLE)


@pytest.mark.parametrize("code", sorted(BREAKERS))
@profile.examples("breaker")
@given(data=st.data())
def test_breaking_a_rule_gives_exactly_its_code_and_cascade(code, data):
    broken = data.draw(breaking(code), label="broken")
    assert broken.discrepancies() == []


# ------------------------------------------------------------------------------ damaged submissions

@st.composite
def damaged(draw):
    """A valid submission with one rule broken and then up to four cells changed at random
    (blanked, given random text, or given another row's value, which makes keys collide)."""
    code = draw(st.sampled_from(sorted(BREAKERS)))
    broken = draw(breaking(code))
    rows = {name: [dict(r) for r in table] for name, table in broken.rows.items()}
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from([n for n, t in rows.items() if t]))
        row = draw(st.sampled_from(rows[name]))
        field = draw(st.sampled_from(SPEC.table(name).field_names))
        others = [r.get(field) for r in rows[name]]
        row[field] = draw(st.none() | texts(1, 8) | st.sampled_from(others))
    return rows, broken.kwargs


def _parent_rows(result, rows, tid):
    """The accepted rows of *tid*."""
    return [r for i, r in enumerate(rows[tid]) if not result.is_rejected(tid, i + 1)]


def _by_id(rows):
    return {SPEC.table(name).id: table for name, table in rows.items()}


@profile.examples("damaged")
@given(damaged())
def test_no_accepted_row_lacks_an_accepted_parent(case):
    rows, kwargs = case
    result = validate(rows, **kwargs)
    tables = _by_id(rows)
    for tid, t in SPEC.tables.items():
        if t.parent is None:
            continue
        parent, key = t.parent
        accepted_keys = {_clean(r.get(key)) for r in _parent_rows(result, tables, parent)}
        for i, r in enumerate(tables[tid]):
            if not result.is_rejected(tid, i + 1):
                assert _clean(r.get(key)) in accepted_keys - {None}, f"{tid} row {i + 1} has no accepted {parent}"
    for i, patient in enumerate(tables["IDS001"]):
        if not result.is_rejected("IDS001", i + 1):
            lpi = _clean(patient.get("LocalPatientId"))
            for related in ("IDS002", "IDS101"):
                assert lpi in {_clean(r.get("LocalPatientId")) for r in _parent_rows(result, tables, related)}, \
                    f"accepted patient {lpi!r} has no accepted {related} row"


@profile.examples("damaged")
@given(damaged())
def test_every_rejection_traces_back_to_a_root_cause(case):
    rows, kwargs = case
    result = validate(rows, **kwargs)
    tables = _by_id(rows)

    def key_of(f):
        return _clean(tables[f.table][f.row - 1].get(f.rule.params["key"]))

    for tid in SPEC.tables:
        for row, fate, reason in result.rows(tid):
            if fate == "accepted":
                continue
            assert reason.table == tid and reason.row == row and reason.rejects
            f = reason
            while f.cause is not None:   # each link: a rejected row of the related table, same key
                assert f.cause.table == f.rule.params["related"] and result.is_rejected(f.cause.table, f.cause.row)
                assert _clean(tables[f.cause.table][f.cause.row - 1].get(f.rule.params["key"])) == key_of(f)
                f = f.cause
            assert not f.is_cascade and f.rejects
            if f.rule.kind == "has_related":   # the root is an orphan: no related row has its key
                related = f.rule.params["related"]
                assert key_of(f) not in {_clean(r.get(f.rule.params["key"])) for r in tables[related]}


@profile.examples("damaged")
@given(damaged())
def test_every_row_is_accounted_for(case):
    rows, kwargs = case
    result = validate(rows, **kwargs)
    for tid, table in _by_id(rows).items():
        counts = result.tables[tid]
        assert counts.read == len(table) == counts.accepted + counts.rejected
        fates = list(result.rows(tid))
        assert [r for r, _, _ in fates] == list(range(1, len(table) + 1))
        assert [r for r, fate, _ in fates if fate == "rejected"] == result.rejected_rows(tid)
        assert len(result.rejected_rows(tid)) == counts.rejected
        rejecting = {f.row for f in result.findings if f.table == tid and f.row is not None and f.rejects}
        assert rejecting == set(result.rejected_rows(tid))


def _joins_are_ambiguous(rows) -> bool:
    """Several header rows, or a patient or referral key on several rows: SDCS then compares
    with one arbitrary row of them, so which findings come out depends on row order."""
    t = _by_id(rows)
    if len(t[SPEC.header]) > 1:
        return True
    for tid, key in (("IDS001", "LocalPatientId"), ("IDS101", "ServiceRequestId")):
        keys = [_clean(r.get(key)) for r in t[tid] if _clean(r.get(key))]
        if len(keys) != len(set(keys)):
            return True
    return False


@profile.examples("damaged")
@given(case=damaged(), data=st.data())
def test_validation_is_deterministic_and_ignores_row_order(case, data):
    rows, kwargs = case
    first = validate(rows, **kwargs)
    again = validate(rows, **kwargs)
    assert first.flatten("code", "table", "row", "values") == again.flatten("code", "table", "row", "values")
    assert first.outcome == again.outcome
    perms = {name: data.draw(st.permutations(range(len(table))), label=name) for name, table in rows.items()}
    shuffled = {name: [rows[name][j] for j in perm] for name, perm in perms.items()}
    result = validate(shuffled, **kwargs)
    # shuffled row k is original row perms[name][k]
    where = {SPEC.table(name).id: perm for name, perm in perms.items()}

    def original(f):
        return None if f.row is None else where[f.table][f.row - 1] + 1

    if len(_by_id(rows)[SPEC.header]) <= 1:
        for tid, perm in where.items():
            assert sorted(perm[r - 1] + 1 for r in result.rejected_rows(tid)) == first.rejected_rows(tid)
        assert result.outcome == first.outcome
    if not _joins_are_ambiguous(rows):
        assert Counter((f.code, f.table, original(f), f.values) for f in result.findings) == \
            Counter((f.code, f.table, f.row, f.values) for f in first.findings)


# ------------------------------------------------------------------------------ never raises

_ODD_TEXT = st.sampled_from(["9999-12-31", "0001-01-01", "1889-12-31", "2021-02-29", "24:00:00", "23:59:60",
                             "2021-03-01T25:00:00", "-0", "+5", "1e309", "NaN", "inf", "٣", "\u00a0", "\x00",
                             "\r\n", "\u2028", " 2021-03-01 ", "2021-03", "x" * 5000, "9" * 400])
_CELLS = st.one_of(
    st.none(), st.text(max_size=30), _ODD_TEXT, _ODD_TEXT, _ODD_TEXT,
    st.integers(-10 ** 30, 10 ** 30), st.floats(), st.decimals(), st.booleans(),
    st.dates(), st.datetimes(timezones=st.none() | st.timezones()), st.times(timezones=st.none() | st.timezones()),
    st.binary(max_size=8), st.lists(st.integers(), max_size=2), st.builds(object),
    st.sampled_from([decimal.Decimal("sNaN"), decimal.Decimal("-Infinity"), _dt.date.max, _dt.datetime.min,
                     float("nan"), 10 ** 400]),
)


@st.composite
def anything_in_the_rows(draw):
    """Valid rows with random cells overwritten, extra or missing columns and tables, empty
    tables, or rows made up from nothing."""
    rows = draw(submissions(**SMALL))
    out = {}
    for name, table in rows.items():
        choice = draw(st.sampled_from(["keep", "keep", "empty", "drop", "noise"]))
        if choice == "drop":
            continue
        if choice == "empty":
            out[draw(st.sampled_from([name, name.lower(), SPEC.table(name).id]))] = []
            continue
        table = [dict(r) for r in table]
        if choice == "noise":
            fields = list(SPEC.table(name).field_names) + ["Extra", "extra col"]
            table += draw(st.lists(st.dictionaries(st.sampled_from(fields) | st.text(max_size=5), _CELLS,
                                                   max_size=6), max_size=3))
        for r in table:
            for field in draw(st.lists(st.sampled_from(sorted(r)), max_size=3, unique=True)) if r else []:
                if draw(st.booleans()):
                    r[field] = draw(_CELLS)
                else:
                    del r[field]
        out[name] = table
    if draw(st.booleans()):   # a table the IDB does not have
        name = draw(st.text(min_size=1, max_size=10).filter(lambda n: n.lower() not in SPEC.table_names))
        out[name] = draw(st.lists(st.dictionaries(st.text(max_size=5), _CELLS, max_size=3), max_size=2))
    return out, upload_of(rows)


@profile.examples("fuzz")
@given(anything_in_the_rows())
def test_validate_never_raises(case):
    rows, kwargs = case
    result = validate(rows, **kwargs)
    for counts in result.tables.values():
        assert counts.read == counts.accepted + counts.rejected
    for f in result.findings:
        assert isinstance(f.message, str) and str(f)
