"""The submission the report tests share: the bundled example made messy, so that one result has
every severity, a cascade several tables deep, unicode and hostile text (spreadsheet formulas,
HTML and script). The tests here check that it does; the writers' tests import :func:`messy_result`.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.spec import load_spec
from iapt_ds.result import Result

SCRIPT = "<script>alert('x')</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","click")'
UNICODE = "Zoë—ü😀"
LONG_LPI = "R1Z00001040000000000X"     # 21 characters: IDS00102, and a root cause of its own

# table name -> row index (0-based) -> {column: new value}
CHANGES: dict[str, dict[int, dict[str, str]]] = {
    # the webinar's example: GP registrations starting after the period take the patient down,
    # then the patient's referral, contacts, activities, scores …
    "IDS002GP": {0: {"StartDateGMPRegistration": "2021-05-01"}, 1: {"StartDateGMPRegistration": "2021-05-02"}},
    "IDS001MPI": {
        2: {"NHSNumber": FORMULA},                    # IDSREJ006: file rejection
        3: {"LocalPatientId": LONG_LPI},              # IDS00102 record; its children lose their patient
        4: {"Postcode": SCRIPT},                      # IDSREJ007: file rejection
        5: {"NHSNumberStatus": UNICODE, "Gender": "+1", "EthnicCategory": IMG},  # record + warnings
        6: {"ExBAFIndicator": "@SUM(A1)", "Postcode": "-2+3"},
    },
}


#: a column the v2.0 IDB does not have: IDSREJ001, a file-level finding without a row
EXTRA_COLUMN = ("IDS902CarePersQual", "Religion")


def messy_folder(folder: Path) -> Path:
    """A copy of the bundled example in *folder*, with :data:`CHANGES` made and
    :data:`EXTRA_COLUMN` added."""
    shutil.copytree(iapt_ds.example_path(), folder)
    table, column = EXTRA_COLUMN
    path = folder / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + f",{column}"] + [line + "," for line in lines[1:]]) + "\n", encoding="utf-8")
    for name, rows_changed in CHANGES.items():
        path = folder / f"{name}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for i, change in rows_changed.items():
            rows[i].update(change)
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder


def messy_result(folder: Path) -> Result:
    """The result of validating :func:`messy_folder` as a March 2021 upload by R1Z."""
    return iapt_ds.validate(messy_folder(folder), period="2021-03", provider="R1Z", sender="R1Z",
                            submitted_at="2021-04-05T12:00:00")


SPEC_SENSITIVE = load_spec().sensitive_fields


def sensitive_values(folder: Path) -> set[str]:
    """Every value of a sensitive column in the submission in *folder*, except those that also
    stand in some other column (a GP registration starting on the birth date, say)."""
    sensitive: set[str] = set()
    other: set[str] = set()
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                for column, value in row.items():
                    if value and value.strip():
                        (sensitive if column in SPEC_SENSITIVE else other).add(value.strip())
    return sensitive - other


@pytest.fixture(scope="module", name="messy")
def messy_fixture(tmp_path_factory) -> tuple[Result, Path]:
    """The messy result and its folder, made once per test module that imports this fixture."""
    folder = tmp_path_factory.mktemp("messy") / "sub"
    return messy_result(folder), folder


def test_the_messy_result_has_every_severity(tmp_path: Path):
    result = messy_result(tmp_path / "sub")
    assert result.outcome == "rejected"
    assert all(result.counts_by_severity().values())
    assert any(f.code == "IDSREJ001" and f.row is None for f in result.findings)


def test_the_messy_result_has_a_deep_cascade(tmp_path: Path):
    result = messy_result(tmp_path / "sub")
    root, rows = result.root_causes()[0]
    assert (root.code, root.table, root.row) == ("IDS00211", "IDS002", 1)
    depths = [len({c.table for c in _chain(f)}) for f in result.findings if f.root is root]
    assert max(depths) >= 5 and rows > 20


def test_the_messy_result_carries_hostile_and_unicode_text(tmp_path: Path):
    values = {v for f in messy_result(tmp_path / "sub").findings for v in f.values}
    assert {SCRIPT, FORMULA, UNICODE, "+1", IMG, "@SUM(A1)", "-2+3", LONG_LPI} <= values


def _chain(f):
    while f is not None:
        yield f
        f = f.cause
