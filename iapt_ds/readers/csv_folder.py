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
from ..version_choice import HeaderPeek, period_text
from ._build import TableBuilder
from ._hints import close_table

__all__ = ["iter_csv_records", "csv_tables", "read_csv_table", "peek_csv_folder"]

OK, MISPLACED, OPEN = "ok", "misplaced", "open"


def _closing_quote(body: str, scan: int) -> int:
    """The position of the quote that closes a quoted value, searching from *scan* (``""`` is an
    escaped quote); -1 when the value is still open at the end of *body*."""
    n = len(body)
    while True:
        q = body.find('"', scan)
        if q < 0 or q + 1 >= n or body[q + 1] != '"':
            return q
        scan = q + 2


class _Record:
    """One record that contains quotes, split line by line in time linear in its length.

    :meth:`feed` takes each physical line (its line ending included) and returns the status:
    ``ok``; ``misplaced`` (a quote inside a plain field, or text after a closing quote: the value
    is kept as written, up to the next comma); ``open`` (a quoted value runs on: feed the next
    line, whose text, line ending included, belongs to the value). The record's own final line
    ending is not part of it. Only the new line is ever scanned, and quotes are found with
    :meth:`str.find`, never with a backtracking pattern.
    """

    __slots__ = ("cells", "status", "_raw", "_tail")

    def __init__(self) -> None:
        self.cells: list[str | None] = []
        self.status = OK
        self._raw: list[str] | None = None  # the open quoted value as written, from its opening quote
        self._tail = ""                     # the line ending after the open value's last line

    def feed(self, line: str) -> str:
        body = line.rstrip("\r\n")
        n = len(body)
        cells = self.cells
        pos = 0
        carried = self._raw is not None
        while True:
            if carried or (pos < n and body[pos] == '"'):
                if carried:
                    assert self._raw is not None
                    raw = self._raw
                    raw.append(self._tail)
                    start, scan, carried = 0, 0, False
                else:
                    raw = self._raw = []
                    start, scan = pos, pos + 1
                q = _closing_quote(body, scan)
                if q < 0:
                    raw.append(body[start:])
                    self._tail = line[n:]
                    return OPEN
                raw.append(body[start:q + 1])
                self._raw = None
                text = "".join(raw)
                end = q + 1
                if end < n and body[end] != ",":
                    self.status = MISPLACED
                    comma = body.find(",", end)
                    end = n if comma < 0 else comma
                    cells.append(text + body[q + 1:end])
                else:
                    cells.append(text[1:-1].replace('""', '"'))
            else:
                comma = body.find(",", pos)
                end = n if comma < 0 else comma
                value = body[pos:end]
                if '"' in value:
                    self.status = MISPLACED
                cells.append(value or None)
            if end >= n:
                return self.status
            pos = end + 1
            if pos == n:
                cells.append(None)
                return self.status

    def close(self) -> str:
        """End a record whose quoted value is never closed: the value is what was read."""
        if self._raw is not None:
            self.cells.append("".join(self._raw)[1:].replace('""', '"'))
            self._raw = None
        return self.status


def _lines(path: Path, problems: list[InputProblem], table: str | None) -> Iterator[tuple[int, str]]:
    """Decoded lines with their numbers; undecodable bytes are replaced and reported (by their
    position and the undecodable bytes alone: the text around them may identify a person)."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start:exc.end].hex(" ").upper()
                problems.append(InputProblem(
                    table, f"{path.name} line {number} is not valid UTF-8 (byte {bad} at column"
                    f" {exc.start + 1}); undecodable bytes are read as U+FFFD", line=number))
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
        record = _Record()
        status = record.feed(line)
        while status == OPEN:
            nxt = next(lines, None)
            if nxt is None:
                problems.append(InputProblem(
                    table, f"{path.name} line {number}: a quoted value is never closed; the rest of"
                    " the file is read as that value", line=number))
                status = record.close()
                break
            status = record.feed(nxt[1])
        if status == MISPLACED:
            problems.append(InputProblem(
                table, f"{path.name} line {number}: a quote is misplaced (RFC 4180 quoting); the"
                " value is kept as written", line=number, value=line[:200]))
        yield number, record.cells


def _first_line_columns(path: Path) -> frozenset[str]:
    """The column names in a CSV file's first line (quotes and spaces around them dropped)."""
    with path.open("rb") as fh:
        raw = fh.readline(1 << 16)
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    return frozenset(c.strip().strip('"').strip() for c in text.split(",") if c.strip())


def peek_csv_folder(folder: Path, spec: Spec | None = None) -> HeaderPeek:
    """What the folder's header file says of the version (DatSetVer, the period), and the tables
    and columns of every CSV file, read before anything is typed."""
    header_names = {"ids000", "ids000header"} if spec is None else {spec.header.lower(),
                                                                     spec.tables[spec.header].name.lower()}
    shape: dict[str, frozenset[str]] = {}
    seen: set[str] = set()
    header: Path | None = None
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" or not path.is_file():
            continue
        stem = path.stem.strip()
        if stem.lower() in seen:
            continue
        seen.add(stem.lower())
        try:
            shape[stem] = _first_line_columns(path)
        except OSError:
            continue
        if stem.lower() in header_names and header is None:
            header = path
    if header is None:
        return HeaderPeek(shape=shape, problem="there is no header file (IDS000Header.csv)")
    try:
        records = iter_csv_records(header, [], None)
        first = next(records, None)
        if first is None:
            return HeaderPeek(shape=shape, problem=f"{header.name} is empty")
        names = [(c or "").strip().lower() for c in first[1]]
        ver = names.index("datsetver") if "datsetver" in names else None
        start = names.index("reportingperiodstartdate") if "reportingperiodstartdate" in names else None
        declared: list[str | None] = []
        period = None
        for _, cells in records:
            declared.append(cells[ver] if ver is not None and ver < len(cells) else None)
            if period is None and start is not None and start < len(cells):
                period = period_text(cells[start])
            if len(declared) >= 100:
                break
    except OSError as exc:
        return HeaderPeek(shape=shape, problem=f"{header.name} cannot be read ({exc.strerror or exc})")
    if ver is None:
        return HeaderPeek(declared=tuple(declared), period=period, shape=shape,
                          problem=f"{header.name} has no DatSetVer column")
    if not declared:
        return HeaderPeek(declared=(), shape=shape, problem=f"{header.name} has no row")
    return HeaderPeek(declared=tuple(declared), period=period, shape=shape)


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
            close = close_table(path.stem, spec)
            if close is not None or re.match(r"(?i)IDS\d{3}", path.stem):
                unknown.append(path.name)
                hint = f"; did you mean {close}.csv?" if close else ""
                problems.append(InputProblem(None, f"{path.name} is not a table of the v{spec.version} IDB{hint}"))
            continue
        if tid in seen:
            problems.append(InputProblem(tid, f"{path.name} and {seen[tid].name} are the same table;"
                                              f" only {seen[tid].name} is read"))
            continue
        seen[tid] = path
        yield tid, path


_SLICE = 1 << 22  # read quote-free files 4 MiB at a time
#: cells split into strings at once: a few thousand, so that the new strings are still in the CPU's
#: cache when their columns are built (a whole slice's strings are not: each column's pass over
#: them would wait on memory for every cell, and a wide table's cells lie far apart)
_CELLS = 4096


def _fast_table(path: Path, tspec: TableSpec, problems: list[InputProblem], shared: dict,
                version: str = "2.0") -> Table | None:
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
                if "\r" in text:  # a CR that ends no line: the general path decides, as for any file
                    return None
            lines = text.split("\n")
            del text, data
            if lines[-1] == "":
                lines.pop()
            if builder is None:
                if not lines or not lines[0]:
                    return None
                builder = TableBuilder(tspec, path.stem, [c.strip() for c in lines[0].split(",")], found,
                                       track_lines=True, shared=shared, text_cells=True, blank_is_null=True,
                                       version=version)
                line_no = 1
                del lines[0]
            if "" in lines:
                return None
            ncols = builder.ncols
            step = max(64, _CELLS // max(ncols, 1))
            if lines and set(map(str.count, lines, repeat(","))) == {ncols - 1}:
                # every line has the header's cells: split a block of lines at once and take each
                # column as a slice of the cells, all in C
                for start in range(0, len(lines), step):
                    cells = ",".join(lines[start:start + step]).split(",")
                    builder.add_columns([cells[k::ncols] for k in range(ncols)], line_no + start + 1)
                del cells
            else:
                for start in range(0, len(lines), step):
                    builder.add_block([line.split(",") for line in lines[start:start + step]],
                                      line_no + start + 1)
            line_no += len(lines)
    if builder is None:
        return None
    problems.extend(found)
    return builder.build()


def read_csv_table(path: Path, tspec: TableSpec, problems: list[InputProblem], shared: dict,
                   version: str = "2.0") -> Table:
    """Read one table's CSV file into a Table.

    Files with no quote character and clean UTF-8 (nearly all) take a fast path: read in slices,
    decoded once and split line by line in blocks. Anything else goes record by record through
    :func:`iter_csv_records`, which reports every oddity.
    """
    tid = tspec.id
    table = _fast_table(path, tspec, problems, shared, version)
    if table is not None:
        return table
    # the general path
    records = iter_csv_records(path, problems, tid)
    first = next(records, None)
    if first is None:
        problems.append(InputProblem(tid, f"{path.name} is empty: it has no header row"))
        for f in tspec.fields:
            problems.append(InputProblem(tid, f"{tspec.name} has no column {f.name!r}", column=f.name))
        return TableBuilder(tspec, path.stem, [], [], shared=shared, version=version).build()
    header = [(c or "").strip() for c in first[1]]
    builder = TableBuilder(tspec, path.stem, header, problems, track_lines=True, shared=shared, text_cells=True,
                           version=version)
    add = builder.add
    for line, cells in records:
        add(cells, line)
    return builder.build()
