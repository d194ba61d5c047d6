"""The synthetic generator: deterministic, valid when clean, and with the distinct values of a
real file (so that a benchmark on it does not flatter the engine)."""

from __future__ import annotations

import csv
import datetime as _dt
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.checks.values import nhs_number_is_valid
from iapt_ds.errors import UsageError
from iapt_ds.synthetic import iter_tables, write_csv_folder

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def _column(folder: Path, table: str, field: str) -> list[str]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return [r[field] for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clean")
    write_csv_folder(folder, rows=6000, seed=3)
    return folder


def test_a_clean_realistic_submission_is_valid_under_every_rule(clean):
    result = iapt_ds.validate(clean, **UPLOAD)
    assert result.outcome == "accepted"
    assert result.findings == ()


def test_values_are_as_distinct_as_in_a_real_file(clean):
    nhs = _column(clean, "IDS001MPI", "NHSNumber")
    assert len(set(nhs)) == len(nhs) > 300 and all(map(nhs_number_is_valid, nhs))
    assert sorted(nhs) != nhs  # scattered, not counted up
    births = [_dt.date.fromisoformat(b) for b in _column(clean, "IDS001MPI", "PersonBirthDate")]
    assert len(set(births)) > 0.9 * len(births)
    assert max(births) - min(births) > _dt.timedelta(days=365 * 40)
    referrals = [_dt.date.fromisoformat(d) for d in _column(clean, "IDS101Referral", "ReferralRequestReceivedDate")]
    assert max(referrals) - min(referrals) > _dt.timedelta(days=365) and len(set(referrals)) > 200
    assert len(set(_column(clean, "IDS101Referral", "ServiceRequestId"))) == len(referrals)
    # codes drawn from the whole code list, with a skew: the commonest code is far commoner than most
    ethnic = _column(clean, "IDS001MPI", "EthnicCategory")
    counts = sorted((ethnic.count(c) for c in set(ethnic)), reverse=True)
    assert len(counts) > 10 and counts[0] > 5 * counts[len(counts) // 2]
    assert len(set(_column(clean, "IDS201CareContact", "ActLocTypeCode"))) > 10


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_values(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_csv_folder(tmp_path / name, rows=1500, seed=seed, fault_rate=0.05)
    for p in (tmp_path / "a").iterdir():
        assert p.read_bytes() == (tmp_path / "b" / p.name).read_bytes()
    assert (tmp_path / "a" / "IDS001MPI.csv").read_bytes() != (tmp_path / "c" / "IDS001MPI.csv").read_bytes()


def test_a_share_of_faulty_rows_gives_many_kinds_of_finding(tmp_path):
    write_csv_folder(tmp_path, rows=20000, seed=2, fault_rate=0.03)
    result = iapt_ds.validate(tmp_path, **UPLOAD)
    rows = sum(t.read for t in result.tables.values())
    rejected = sum(t.rejected for t in result.tables.values())
    assert len(result.counts_by_code()) > 150
    assert 0.01 * rows < rejected < 0.5 * rows


def test_templates_variety_copies_the_example_patients(tmp_path):
    write_csv_folder(tmp_path, rows=1000, seed=1, variety="templates")
    genders = set(_column(tmp_path, "IDS001MPI", "Gender"))
    example = set(_column(iapt_ds.example_path(), "IDS001MPI", "Gender"))
    assert genders == example
    assert iapt_ds.validate(tmp_path, **UPLOAD).findings == ()


def test_an_unknown_variety_is_a_usage_error():
    with pytest.raises(UsageError, match="variety"):
        next(iter_tables(100, variety="flat"))
