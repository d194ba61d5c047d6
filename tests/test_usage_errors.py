"""Misuse of the API raises a UsageError whose message names what was wrong and what would do;
a name that is not there is also a KeyError (for code that looks names up)."""

from __future__ import annotations

import pytest

import iapt_ds
from iapt_ds.errors import UnknownNameError, UsageError
from iapt_ds.spec import load_spec

UPLOAD = {"period": "2021-03", "provider": "R1Z", "sender": "R1Z", "submitted_at": "2021-04-10T12:00:00"}


@pytest.fixture(scope="module")
def result():
    return iapt_ds.validate(iapt_ds.example_path(), **UPLOAD)


def test_an_unknown_table_of_the_spec_is_named_with_the_known_ones():
    spec = load_spec()
    with pytest.raises(UsageError, match=r"no table 'nope' in IAPT v2\.0; give a table id or IDB name "
                                         r"\(IDS001 or IDS001MPI\), one of IDS000, IDS001, .*IDS902") as info:
        spec.table("nope")
    assert isinstance(info.value, KeyError)          # what it raised before, still caught as such
    assert str(info.value).startswith("no table 'nope'")   # not quoted as a bare KeyError is
    with pytest.raises(UnknownNameError, match="no table 3"):
        spec.table(3)
    assert spec.table("ids001mpi").id == spec.table("IDS001").id == "IDS001"


def test_an_unknown_table_of_a_submission_is_named():
    sub = iapt_ds.read(iapt_ds.example_path())
    with pytest.raises(UnknownNameError, match="no table 'IDS999'"):
        sub.table("IDS999")


def test_record_classes_of_an_unknown_version():
    from iapt_ds.records import record_classes

    with pytest.raises(UnknownNameError, match=r"no record classes for IAPT version '9\.9'; there are 2\.0, 2\.1"):
        record_classes("9.9")


@pytest.mark.parametrize("call", [
    lambda r: r.rejected_rows("nope"),
    lambda r: r.is_rejected("nope", 1),
    lambda r: r.reason("nope", 1),
    lambda r: list(r.rows("nope")),
])
def test_a_result_names_a_table_it_does_not_have(result, call):
    with pytest.raises(UnknownNameError, match=r"no table 'nope' in this result; its tables are IDS000, IDS001"):
        call(result)


@pytest.mark.parametrize("row", [0, -1, 10 ** 6, "1", 1.0, True])
def test_a_row_that_is_not_one_of_the_tables_rows_is_refused(result, row):
    n = result.tables["IDS001"].read
    # row 0 used to answer False and -1 the last row's outcome, silently
    with pytest.raises(UsageError, match=rf"row must be a row number of IDS001 \(1-based; rows 1 to {n}\), got {row!r}"):
        result.is_rejected("IDS001", row)
    with pytest.raises(UsageError, match="row must be a row number"):
        result.reason("IDS001", row)


def test_a_result_takes_the_idb_name_as_well_as_the_id(result):
    assert result.rejected_rows("IDS001MPI") == result.rejected_rows("IDS001")
    assert result.is_rejected("IDS001MPI", 1) == result.is_rejected("IDS001", 1)


def test_a_rule_context_refuses_a_link_the_spec_has_no_path_for():
    from iapt_ds.checks.context import Context

    spec = load_spec()
    sub = iapt_ds.read(iapt_ds.example_path())
    ctx = Context(spec, sub, upload=None, reference=None)  # type: ignore[arg-type]
    assert len(ctx.link("IDS603", "IDS001")) == sub.tables["IDS603"].nrows
    with pytest.raises(UsageError, match=r"IDS902 is not above IDS603 in the spec's parent chain "
                                         r"\(IDS603 -> IDS101 -> IDS001\)"):
        ctx.link("IDS603", "IDS902")
    with pytest.raises(UsageError, match="IDS101 is not above IDS001"):
        ctx.link("IDS001", "IDS101")
    with pytest.raises(UnknownNameError, match="no table 'IDS999'"):
        ctx.link("IDS999", "IDS001")
    with pytest.raises(UnknownNameError, match="no table 'IDS999' in this submission"):
        ctx.table("IDS999")


@pytest.mark.parametrize("index", [-1, 7, 1.0, True, "0"])
def test_a_row_outside_a_table_is_named_with_its_size(index):
    # IDS001 of the bundled example has 7 rows: -1 used to give the last row, 7 an IndexError
    table = iapt_ds.read(iapt_ds.example_path()).table("IDS001")
    assert table.nrows == 7
    with pytest.raises(UsageError, match=r"IDS001 has no row index .*: it has 7 rows, indexed from 0 to 6"):
        table.row(index)
    with pytest.raises(UsageError, match="IDS001 has no row index"):
        table.record(index)
    assert table.record(6).LocalPatientId == table.text(6, "LocalPatientId")


def test_an_unknown_referral_of_a_measures_preview_is_named(result):
    from iapt_ds import measures

    p = measures.compute(iapt_ds.read(iapt_ds.example_path()), result)
    known = p.referrals[0].id
    assert p.referral(known).id == known
    with pytest.raises(UnknownNameError, match=r"no referral with ServiceRequestId 'R1Z-nope' in this preview "
                                               r"\(it has \d+: " + known) as info:
        p.referral("R1Z-nope")
    assert isinstance(info.value, KeyError)
