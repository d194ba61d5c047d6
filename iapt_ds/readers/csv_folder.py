"""Read a submission from a folder of CSV files, one per table (``IDS001MPI.csv`` …).

The format: UTF-8 (a byte-order mark is tolerated), comma separated, RFC 4180 quoting, a header
row of IDB column names. An empty *unquoted* field is NULL and a quoted ``""`` is zero-length text
(cleansing then blanks both, as SDCS does). Blank lines are skipped. Nothing here raises on bad
content: undecodable bytes, ragged rows and broken quoting become :class:`InputProblem` entries
(IDSREJ001 findings) and the row is kept with what could be read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path

from ..model import InputProblem, Table
from ..spec import Spec, TableSpec
from ._build import TableBuilder

_BLOCK = 16384

__all__ = ["iter_csv_records", "csv_tables", "read_csv_table"]

# a closed quoted field, or a plain field (no quote, no comma)
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')
_PLAIN = re.compile(r'[^,"]*')

OK, MISPLACED, OPEN = "ok", "misplaced", "open"


def _split_quoted(body: str) -> tuple[list[str | None], str]:
    """Split a record that contains quotes.

    Returns the cells and a status: ``ok``; ``misplaced`` (a quote inside a plain field or text
    after a closing quote: the text is kept as written); ``open`` (a quoted field is still open at
    the end: the record continues on the next line).
    """
    cells: list[str | None] = []
    pos, n, status = 0, len(body), OK
    while True:
        if pos < n and body[pos] == '"':
            m = _QUOTED.match(body, pos)
            if m is None:
                return cells, OPEN
            value: str | None = m.group(1).replace('""', '"')
        else:
            m = _PLAIN.match(body, pos)
            value = m.group(0) or None
        start, pos = m.start(), m.end()
        if pos < n and body[pos] != ",":
            status = MISPLACED
            end = body.find(",", pos)
            end = n if end < 0 else end
            value, pos = body[start:end], end
        cells.append(value)
        if pos >= n:
            return cells, status
        pos += 1  # the comma
        if pos == n:
            cells.append(None)
            return cells, status


def _lines(path: Path, problems: list[InputProblem], table: str | None) -> Iterator[tuple[int, str]]:
    """Decoded lines with their numbers; undecodable bytes are replaced and reported."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start:exc.end + 8]
                problems.append(InputProblem(
                    table, f"{path.name} line {number} is not valid UTF-8 (bytes {bad!r} at column"
                    f" {exc.start + 1}); they are read as U+FFFD", line=number, value=repr(raw)))
                yield number, raw.decode("utf-8", errors="replace")


def iter_csv_records(path: Path, problems: list[InputProblem], table: str | None = None
                     ) -> Iterator[tuple[int, list[str | None]]]:
    """Yield (first line number, cells) for every record of a CSV file."""
    lines = _lines(path, problems, table)
    for number, line in lines:
        if '"' not in line:
            body = line.rstrip("\r\n")
            if not body:
                continue
            yield number, [c if c else None for c in body.split(",")]
            continue
        record = line
        cells, status = _split_quoted(record.rstrip("\r\n"))
        while status == OPEN:
            nxt = next(lines, None)
            if nxt is None:
                problems.append(InputProblem(
                    table, f"{path.name} line {number}: a quoted value is never closed; the rest of"
                    " the file is read as that value", line=number))
                cells, status = _split_quoted(record.rstrip("\r\n") + '"')
                break
            record += nxt[1]
            cells, status = _split_quoted(record.rstrip("\r\n"))
        if status == MISPLACED:
            problems.append(InputProblem(
                table, f"{path.name} line {number}: a quote is misplaced (RFC 4180 quoting); the"
                " value is kept as written", line=number, value=record[:200]))
        yield number, cells


def csv_tables(folder: Path, spec: Spec, problems: list[InputProblem], unknown: list[str]
               ) -> Iterator[tuple[str, Path]]:
    """(table id, file) for every table file in the folder; notes unknown IDS files."""
    seen: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" or not path.is_file():
            continue
        try:
            tid = spec.table(path.stem).id
        except KeyError:
            if re.match(r"(?i)IDS\d{3}", path.stem):
                unknown.append(path.name)
                problems.append(InputProblem(None, f"{path.name} is not a table of the v2.0 IDB"))
            continue
        if tid in seen:
            problems.append(InputProblem(tid, f"{path.name} and {seen[tid].name} are the same table;"
                                              f" only {seen[tid].name} is read"))
            continue
        seen[tid] = path
        yield tid, path


_SLICE = 1 << 22  # read quote-free files 4 MiB at a time


def _fast_table(path: Path, tspec: TableSpec, problems: list[InputProblem], shared: dict) -> Table | None:
    """The fast path for a quote-free, clean UTF-8 file with no blank line, read in slices so a
    large file is never held whole; None when the file needs the general path."""
    found: list[InputProblem] = []
    builder: TableBuilder | None = None
    line_no = 0
    pending = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_SLICE)
            data = pending + chunk
            if not data:
                break
            if chunk:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    pending = data
                    continue
                data, pending = data[:cut], data[cut:]
            else:
                pending = b""
            if builder is None and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            if b'"' in data:
                return None
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                return None
            if "\r" in text:
                text = text.replace("\r\n", "\n")
            lines = text.split("\n")
            del text, data
            if lines[-1] == "":
                lines.pop()
            if builder is None:
                if not lines or not lines[0]:
                    return None
                builder = TableBuilder(tspec, path.stem, [c.strip() for c in lines[0].split(",")], found,
                                       track_lines=True, shared=shared, text_cells=True)
                line_no = 1
                del lines[0]
            if "" in lines:
                return None
            ncols = builder.ncols
            if lines and set(map(str.count, lines, repeat(","))) == {ncols - 1}:
                # every line has the header's cells: split the whole slice at once and take each
                # column as a slice of the cells, all in C
                cells = ",".join(lines).split(",")
                builder.add_columns([cells[k::ncols] for k in range(ncols)], line_no + 1)
                del cells
            else:
                for start in range(0, len(lines), _BLOCK):
                    builder.add_block([line.split(",") for line in lines[start:start + _BLOCK]],
                                      line_no + start + 1)
            line_no += len(lines)
    if builder is None:
        return None
    problems.extend(found)
    return builder.build()


def read_csv_table(path: Path, tspec: TableSpec, problems: list[InputProblem], shared: dict) -> Table:
    """Read one table's CSV file into a Table.

    Files with no quote character and clean UTF-8 (nearly all) take a fast path: read in slices,
    decoded once and split line by line in blocks. Anything else goes record by record through
    :func:`iter_csv_records`, which reports every oddity.
    """
    tid = tspec.id
    table = _fast_table(path, tspec, problems, shared)
    if table is not None:
        return table
    # the general path
    records = iter_csv_records(path, problems, tid)
    first = next(records, None)
    if first is None:
        problems.append(InputProblem(tid, f"{path.name} is empty: it has no header row"))
        for f in tspec.fields:
            problems.append(InputProblem(tid, f"{tspec.name} has no column {f.name!r}", column=f.name))
        return TableBuilder(tspec, path.stem, [], [], shared=shared).build()
    header = [(c or "").strip() for c in first[1]]
    builder = TableBuilder(tspec, path.stem, header, problems, track_lines=True, shared=shared, text_cells=True)
    add = builder.add
    for line, cells in records:
        add(cells, line)
    return builder.build()
