"""Regression tests for the defects a fuzzing campaign found (hangs, crashes, leaks, unsafe output,
conformance), one or more per defect, numbered as the campaign's report numbers them.

Hangs are pinned by a size at which the old code took minutes and a bound (seconds) that linear
code meets many times over on a slow machine; they are not benchmarks.
"""

from __future__ import annotations

import datetime as _dt
import io
import shutil
import time
from pathlib import Path
from struct import pack

import pytest

import iapt_ds
from iapt_ds import validate
from iapt_ds.readers import read
from iapt_ds.readers._jet.pages import DATA_PAGE, PAGE_SIZE, USAGE_MAP_PAGE
from iapt_ds.readers._jet.usage import owned_pages
from iapt_ds.readers.csv_folder import iter_csv_records
from iapt_ds.report import write_report

from conftest import EXAMPLE

UPLOAD = {"period": "2021-03", "provider": "R1Z", "sender": "R1Z", "submitted_at": "2021-04-10T12:00:00"}


def _example(tmp_path: Path, **tables: str) -> Path:
    """The bundled example as a CSV folder, with the given tables' files replaced by *text*."""
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLE, folder)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_bytes(text.encode("utf-8"))
    return folder


def _lines(name: str) -> list[str]:
    return (EXAMPLE / f"{name}.csv").read_text(encoding="utf-8").splitlines()


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


# ------------------------------------------------------------------------------ 1: quoted values

def test_1_a_stray_quote_before_thousands_of_lines_reads_in_linear_time(tmp_path):
    # one stray quote followed by 8,000 lines took 248 s (each line re-split the whole record)
    head, row = _lines("IDS001MPI")[:2]
    folder = _example(tmp_path, IDS001MPI=head + "\n" + '"' + row + "\n" + (row + "\n") * 8000)
    sub, seconds = _timed(read, folder)
    assert seconds < 10
    assert sub.tables["IDS001"].nrows == 1
    assert any("never closed" in p.detail for p in sub.problems)
    assert sub.tables["IDS001"].values["LocalPatientId"][0].count("\n") == 8000


def test_1_a_valid_multi_line_value_reads_in_linear_time(tmp_path):
    head, row = _lines("IDS001MPI")[:2]
    cells = row.split(",")
    value = "\r\n".join(["x" * 19] * 8000)
    cells[-1] = '"' + value.replace('"', '""') + '"'
    folder = _example(tmp_path, IDS001MPI=head + "\n" + ",".join(cells) + "\n" + row + "\n")
    sub, seconds = _timed(read, folder)
    assert seconds < 10
    t = sub.tables["IDS001"]
    assert t.nrows == 2
    assert t.values[t.spec.fields[-1].name][0] == value
    assert not [p for p in sub.problems if p.table == "IDS001"]


@pytest.mark.parametrize("text, cells, problem", [
    ('a,"b",c\n', ["a", "b", "c"], None),
    ('"",x\n', ["", "x"], None),
    ('"a""b",\n', ['a"b', None], None),
    ('"a\nb","c\r\n""d"""\r\n', ["a\nb", 'c\r\n"d"'], None),
    ('a,"b"x,c\n', ["a", '"b"x', "c"], "misplaced"),
    ('a"b,c\n', ['a"b', "c"], "misplaced"),
    ('"a\nb"x,c\n', ['"a\nb"x', "c"], "misplaced"),
    ('x,"never\nclosed\n', ["x", "never\nclosed"], "never closed"),
])
def test_1_quoted_records_split_as_rfc_4180_says(tmp_path, text, cells, problem):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    problems: list = []
    records = list(iter_csv_records(path, problems))
    assert records == [(1, cells)]
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0].detail


# ------------------------------------------------------------------------------ 2: usage maps

class _Pages:
    """Just enough of a page file for :func:`owned_pages`: page 1 holds a reference usage map
    naming page 2 *entries* times; page 2 is a usage-map page with every bit set."""

    def __init__(self, entries: int, npages: int = 3) -> None:
        self.pages = npages
        row = bytes([1]) + pack("<I", 2) * entries
        data = bytearray(PAGE_SIZE)
        data[0] = DATA_PAGE
        data[12:14] = pack("<H", 1)
        data[14:16] = pack("<H", PAGE_SIZE - len(row))
        data[PAGE_SIZE - len(row):] = row
        bitmap = bytearray(b"\xff" * PAGE_SIZE)
        bitmap[0] = USAGE_MAP_PAGE
        self._pages = {1: bytes(data), 2: bytes(bitmap)}

    def page(self, number: int) -> bytes:
        return self._pages[number]


def test_2_a_reference_usage_map_never_names_more_pages_than_the_file_has():
    # 1,000 map entries each expanding to 32,736 page numbers: 33 million pages from a tiny file
    found, seconds = _timed(owned_pages, _Pages(1000), (0, 1))
    assert found == [1, 2]
    assert seconds < 1


def test_2_an_inline_usage_map_is_bounded_by_the_file_too():
    pages = _Pages(0, npages=5)
    row = bytes([0]) + pack("<I", 3) + b"\xff" * 500
    data = bytearray(pages._pages[1])
    data[14:16] = pack("<H", PAGE_SIZE - len(row))
    data[PAGE_SIZE - len(row):] = row
    pages._pages[1] = bytes(data)
    assert owned_pages(pages, (0, 1)) == [3, 4]


# ------------------------------------------------------------------------------ 3: huge values

def test_3_the_text_report_of_a_multi_megabyte_value_is_quick_and_clipped(tmp_path):
    # a 5 MB field took 12.5 s in the text report (textwrap is quadratic in a long word)
    head, row = _lines("IDS001MPI")[:2]
    cells = row.split(",")
    cells[head.split(",").index("LocalPatientId")] = "9" * 5_000_000
    folder = _example(tmp_path, IDS001MPI=head + "\n" + ",".join(cells) + "\n")
    result = validate(folder, **UPLOAD)
    out = io.StringIO()
    _, seconds = _timed(write_report, result, out, "text")
    assert seconds < 5
    assert len(out.getvalue()) < 200_000
    assert "more characters" in out.getvalue()


# ------------------------------------------------------------------------------ 4: IDS00223

def test_4_consecutive_gp_registrations_are_linear_in_one_patients_rows(tmp_path):
    # half the rows end the day before the other half start, at other practices: the old code
    # scanned a list of all those practices for each row (100k rows: 42 s)
    head, row = _lines("IDS002GP")[:2]
    names = head.split(",")
    base = row.split(",")
    out = [head]
    n = 20_000
    for k in range(2 * n):
        cells = list(base)
        cells[names.index("GMPCodeReg")] = f"A{k:05d}"
        cells[names.index("StartDateGMPRegistration")] = "2001-01-01" if k < n else "2021-03-06"
        cells[names.index("EndDateGMPRegistration")] = "2021-03-05" if k < n else "2021-03-10"
        out.append(",".join(cells))
    sub = read(_example(tmp_path, IDS002GP="\n".join(out) + "\n"))
    result, seconds = _timed(validate, sub, **UPLOAD)
    assert seconds < 20
    # the first half is followed by other practices' registrations (no warning); the second by none
    warned = {f.row for f in result.findings if f.code == "IDS00223"}
    assert warned == set(range(n + 1, 2 * n + 1))
