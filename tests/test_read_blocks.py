"""Reading a CSV folder a few thousand cells at a time, and a column switching between look-ups
and the identifiers' path, gives exactly what a plain cell-by-cell reading gives: every value,
NULL and original text, on awkward input (BOM, CRLF, blank and all-space cells, padded cells,
values that do not parse, ragged lines, a quoted file), for any block size."""

from __future__ import annotations

import csv
import importlib

import pytest

from iapt_ds.parse import PARSERS, render
from iapt_ds.readers import read_csv_folder
from iapt_ds.synthetic import write_csv_folder

cf = importlib.import_module("iapt_ds.readers.csv_folder")
build = importlib.import_module("iapt_ds.readers._build")


def _expected_value(cell, ftype):
    if cell is None:
        return None
    if ftype == "text":
        return cell.strip(" ") or None
    return PARSERS[ftype](cell) if cell.strip() else None


def _expected_original(cell, value, ftype):
    """The text as written, kept where it is not the value's own rendering."""
    if not cell:
        return None
    shown = value if ftype == "text" else render(value)
    return cell if shown != cell else None


def _plain(path, tspec):
    """A table's values and originals by the definition, one cell at a time (the csv module)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.reader(fh) if r]
    header = [h.strip() for h in rows[0]]
    n = len(header)
    body = [(r + [""] * n)[:n] for r in rows[1:]]
    values, originals = {}, {}
    for f in tspec.fields:
        if f.name not in header:
            continue
        k = header.index(f.name)
        cells = [r[k] or None for r in body]
        values[f.name] = [_expected_value(c, f.type) for c in cells]
        kept = {i: c for i, c in enumerate(cells)
                if _expected_original(c, values[f.name][i], f.type) is not None}
        if kept:
            originals[f.name] = kept
    return values, originals


def _awkward_folder(tmp_path):
    folder = tmp_path / "awkward"
    write_csv_folder(folder, rows=4000, seed=11)
    # the MPI: padded and blank identifiers, all-space and padded codes, dates that do not parse
    mpi = folder / "IDS001MPI.csv"
    lines = mpi.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    lpi, gender, birth = head.index("LocalPatientId"), head.index("Gender"), head.index("PersonBirthDate")
    for n in range(1, len(lines)):
        cells = lines[n].split(",")
        if n % 97 == 0:
            cells[lpi] = f" {cells[lpi]} "
        if n % 89 == 0:
            cells[lpi] = "   "
        if n % 101 == 0:
            cells[lpi] += "\t"  # only spaces are trimmed
        if n % 13 == 0:
            cells[gender] = ["  ", " 1", "2 ", ""][n % 4]
        if n % 31 == 0:
            cells[birth] = ["2021-3-1", " 1980-01-02", "x", "1980-02-30", "   "][n % 5]
        lines[n] = ",".join(cells)
    # a BOM, CRLF line endings and a ragged line (one cell too many) in the middle
    lines[len(lines) // 2] += ",extra"
    mpi.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    # the referrals: a patient's identifier padded where it links to the MPI, one line short
    ref = folder / "IDS101Referral.csv"
    lines = ref.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index("LocalPatientId")
    for n in range(5, len(lines), 211):
        cells = lines[n].split(",")
        cells[col] = cells[col] + " "
        lines[n] = ",".join(cells)
    lines[7] = ",".join(lines[7].split(",")[:-2])
    ref.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # the care contacts: a quoted cell, so the whole file takes the general path
    cc = folder / "IDS201CareContact.csv"
    lines = cc.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[4] = f'"{cells[4]}"'
    lines[3] = ",".join(cells)
    cc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("cells, recheck", [(1, 16), (37, 2), (4096, 16), (1 << 20, 16)])
def test_any_block_size_reads_as_cell_by_cell(tmp_path, monkeypatch, cells, recheck):
    folder = _awkward_folder(tmp_path)
    monkeypatch.setattr(cf, "_CELLS", cells)
    monkeypatch.setattr(build, "_RECHECK", recheck)
    sub = read_csv_folder(folder)
    spec = sub.spec
    for tid, table in sub.tables.items():
        path = folder / f"{spec.tables[tid].name}.csv"
        values, originals = _plain(path, spec.tables[tid])
        assert table.nrows == len(next(iter(values.values())))
        for name, expected in values.items():
            assert table.values[name] == expected, (tid, name)
            assert table.originals.get(name, {}) == originals.get(name, {}), (tid, name)
        assert [table.line(i) for i in range(table.nrows)] == list(range(2, table.nrows + 2)), tid


def test_equal_values_are_one_object_across_tables_and_blocks(tmp_path, monkeypatch):
    """A patient's identifier is one string in the MPI and in the referrals, and a repeated code
    is one string, whatever the block size."""
    write_csv_folder(tmp_path, rows=3000, seed=5)
    monkeypatch.setattr(cf, "_CELLS", 64)
    sub = read_csv_folder(tmp_path)
    mpi = {v: v for v in sub.table("IDS001").values["LocalPatientId"]}
    refs = sub.table("IDS101").values["LocalPatientId"]
    assert refs and all(v is mpi[v] for v in refs)
    genders = [v for v in sub.table("IDS001").values["Gender"] if v is not None]
    assert len({id(v) for v in genders}) == len(set(genders))


def test_a_column_of_identifiers_that_starts_repeating_goes_back_to_look_ups():
    """A text column read as identifiers (no look-up per cell) has every few slices looked up,
    so when its values start to repeat they are shared again; the values are the same either way."""
    col = build._Column("text", {}, False, True)
    distinct = [f"PC{i:05d}" for i in range(3000)]
    repeated = [f"R{i % 7}" for i in range(40 * 200)]  # equal texts, each its own string
    for k in range(0, len(distinct), 200):
        col.feed(distinct[k:k + 200])
    assert col.distinct
    for k in range(0, len(repeated), 200):
        col.feed(repeated[k:k + 200])
    assert not col.distinct
    assert col.values == distinct + repeated
    tail = col.values[-1000:]
    assert len({id(v) for v in tail}) == 7


def test_a_whole_column_of_identifiers_fed_at_once_is_not_looked_up_per_value():
    """A column fed whole (as the DuckDB engine does) is told by a sample: identifiers take the
    path without a look-up per value, and give the same values and originals."""
    cells = [f"P{i}" for i in range(10000)]
    cells[17] = " P17 "
    cells[18] = ""
    col = build._Column("text", {}, False, True)
    col.feed(cells)
    assert len(col.canon) < 10
    assert col.values[17] == "P17" and col.values[18] is None and col.originals == {17: " P17 "}
    assert col.values[:17] == cells[:17] and col.values[19:] == cells[19:]


def test_a_child_column_looked_up_in_its_parents_key_column_reads_as_any_other():
    """A child table's column of its parent's key, looked up in stretches of the parent's column,
    gives the values, originals and shared strings of the plain look-up, whether its rows follow
    the parent's order or not: repeats, parents without children, orphans, padded and blank
    cells, a stretch in reverse order and one shuffled."""
    import random

    shared: dict = {}
    keys = [f"P{i:05d}" for i in range(6000)]
    parent = list(map(shared.setdefault, keys, keys))
    rnd = random.Random(3)
    cells = []
    for i in range(4000):
        cells.extend(f"P{i:05d}" for _ in range(i % 3))  # fresh strings, 0 to 2 a parent
        if i % 401 == 0:
            cells.append(f"X{i}")                          # no such parent
        if i % 307 == 0:
            cells.append(f" P{i:05d} ")                    # padded
        if i % 503 == 0:
            cells.extend(["", "   "])
    cells.extend(f"P{i:05d}" for i in reversed(range(4000, 5000)))
    tail = [f"P{i:05d}" for i in range(5000, 6000)]
    rnd.shuffle(tail)
    cells.extend(tail)
    cells.extend(f"P{i:05d}" for i in range(100))          # back to the start
    windows = []

    class Looked(build._Column):
        def _feed_window(self, cells, start):
            windows.append(super()._feed_window(cells, start))
            return windows[-1]

    looked, plain = Looked("text", shared, True, True), build._Column("text", shared, True, True)
    looked.parent = parent
    for k in range(0, len(cells), 150):
        looked.feed(cells[k:k + 150])
        plain.feed(cells[k:k + 150])
    assert looked.values == plain.values and looked.originals == plain.originals
    assert all(v is shared[v] for v in looked.values if v is not None)
    assert looked.originals and any(windows) and not all(windows)
