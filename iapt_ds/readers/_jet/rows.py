"""Scan a table's rows and decode them.

A table's rows live on the data pages its owned-pages usage map marks (only pages of type 0x01
whose TDEF pointer names this table). On each page, in row order: deleted rows are skipped and
overflow rows are followed to where they now live (Jackcess's table-scan order).

A Jet4/ACE row: a 2-byte column count; the fixed-length values (each at its column's fixed
offset + 2); the variable-length values; then, read from the end backwards, the null mask (one
bit per column number, 1 = present; a Yes/No value *is* its bit), a 2-byte count of
variable-length columns and their 2-byte offsets from the row start (plus one for the end of the
data). A zero-length variable slot with its bit set is zero-length text, not NULL.

Memo and OLE values hold a 12-byte header: the length (low 30 bits) with its storage in the top
bits (0x80 inline after the header, 0x40 in one long-value row, 0x00 in a chain of long-value rows,
each starting with a 4-byte pointer to the next), and a row pointer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from struct import Struct, unpack_from
from typing import Any

from . import values
from .errors import Damaged, Unsupported
from .pages import DATA_PAGE, DELETED, OVERFLOW, PageFile, row_at, row_bounds, row_slots
from .tdef import FIXED_SIZES, Column, TableDef
from .usage import owned_pages

__all__ = ["RowReader"]

_LENGTH_MASK = 0x3FFFFFFF
_INLINE, _ONE_ROW, _ROW_CHAIN = 0x80, 0x40, 0x00
_LONG_VALUE_HEADER = 12
_MAX_OVERFLOW_HOPS = 16

Decode = Callable[[bytes, int, int], Any]


def _struct(fmt: str, convert: Callable[[Any], Any] | None = None) -> Decode:
    unpack = Struct(fmt).unpack_from
    if convert is None:
        return lambda page, a, b: unpack(page, a)[0]
    return lambda page, a, b: convert(unpack(page, a)[0])


_SIMPLE: dict[str, Decode] = {
    "BYTE": lambda page, a, b: page[a],
    "INT": _struct("<h"),
    "LONG": _struct("<i"),
    "BIG_INT": _struct("<q"),
    "FLOAT": _struct("<f"),
    "DOUBLE": _struct("<d"),
    "DATETIME": _struct("<d", values.date_time),
    "MONEY": lambda page, a, b: values.money(page, a),
    "GUID": lambda page, a, b: values.guid(page, a),
    "TEXT": values.text,
    "BINARY": lambda page, a, b: page[a:b],
    "UNKNOWN_0D": lambda page, a, b: page[a:b],
    "UNKNOWN_11": lambda page, a, b: page[a:b],
}
_UNSUPPORTED = {
    "COMPLEX_TYPE": "an attachment or multi-value (complex) column",
    "EXT_DATE_TIME": "a Date/Time Extended column",
}


class RowReader:
    """Reads the rows of one table, each as a tuple in the order of *columns*.

    Raises :class:`Unsupported` at once for a column it cannot decode (calculated, complex,
    Date/Time Extended, an unknown type) and :class:`Damaged` for bytes that make no sense, a row
    it cannot place, or a row count that differs from the table definition's.
    """

    def __init__(self, pages: PageFile, tdef: TableDef, columns: tuple[Column, ...] | None = None) -> None:
        self.pages = pages
        self.tdef = tdef
        self.columns = tdef.columns if columns is None else columns
        self._plan = [self._step(c) for c in self.columns]

    def _step(self, column: Column) -> tuple[int, bool, int, int, Decode | None]:
        """(column number, fixed?, offset or variable index, fixed size, decoder; None = Yes/No)."""
        kind = column.type
        if column.calculated:
            raise Unsupported(f"column {column.name!r} is a calculated column, which is not supported")
        if kind in _UNSUPPORTED:
            raise Unsupported(f"column {column.name!r} is {_UNSUPPORTED[kind]}, which is not supported")
        if kind == "BOOLEAN":
            return column.number, True, 0, 0, None
        if kind == "NUMERIC":
            scale = column.scale
            decode: Decode = lambda page, a, b: values.numeric(page, a, scale)  # noqa: E731
        elif kind in ("MEMO", "OLE"):
            decode = self._memo if kind == "MEMO" else self._long_value
        elif kind in _SIMPLE:
            decode = _SIMPLE[kind]
        else:
            raise Unsupported(f"column {column.name!r} has a type ({kind}) this reader does not know")
        size = FIXED_SIZES.get(kind)
        if column.fixed:
            return column.number, True, column.fixed_offset, size or column.length, decode
        if size is not None:
            raise Damaged(f"column {column.name!r} of type {kind} is declared variable-length")
        return column.number, False, column.var_index, 0, decode

    # -- the scan ----------------------------------------------------------------------------
    def rows(self) -> Iterator[tuple]:
        """Every row of the table; checks the count against the table definition at the end."""
        pages = self.pages
        tdef_page = self.tdef.page
        crack = self._crack
        found = 0
        for number in owned_pages(pages, self.tdef.owned_pages):
            page = pages.page(number)
            if page[0] != DATA_PAGE or unpack_from("<I", page, 4)[0] != tdef_page:
                continue
            slots = row_slots(page, number)
            for row, raw in enumerate(slots):
                if raw & DELETED:
                    continue
                try:
                    start, end = row_bounds(slots, row, number)
                    if raw & OVERFLOW:
                        yield crack(*self._follow(page, start, end))
                    else:
                        yield crack(page, start, end)
                except Damaged as exc:
                    raise Damaged(f"row {row} of page {number}: {exc}") from None
                found += 1
        if found != self.tdef.row_count:
            raise Damaged(f"the table definition says {self.tdef.row_count} rows but {found} were found")

    def _follow(self, page: bytes, start: int, end: int) -> tuple[bytes, int, int]:
        """The row an overflow pointer leads to (following further pointers)."""
        for _ in range(_MAX_OVERFLOW_HOPS):
            if end - start < 4:
                raise Damaged("an overflow row pointer is cut short")
            number = int.from_bytes(page[start + 1:start + 4], "little")
            page, start, end, raw = row_at(self.pages, number, page[start])
            if not raw & OVERFLOW:
                return page, start, end
        raise Damaged(f"overflow row pointers chain more than {_MAX_OVERFLOW_HOPS} times")

    def _crack(self, page: bytes, start: int, end: int) -> tuple:
        """Decode the row stored at page[start:end]."""
        if end - start < 3:
            raise Damaged(f"a row of {end - start} bytes is too short")
        ncols = page[start] | page[start + 1] << 8
        mask_at = end - ((ncols + 7) >> 3)
        fixed_base = start + 2
        if mask_at < fixed_base:
            raise Damaged(f"a row claims {ncols} columns, more than it can hold")
        mask = int.from_bytes(page[mask_at:end], "little")
        # the offset table is read on the first present variable-length value: a row written
        # before the table had such columns has none
        offsets: tuple[int, ...] | None = None
        var_end = nvar = 0
        out: list[Any] = []
        append = out.append
        for number, fixed, where, size, decode in self._plan:
            if number >= ncols or not mask >> number & 1:
                append(None if decode is not None else False)
            elif decode is None:
                append(True)
            elif fixed:
                a = fixed_base + where
                if a + size > mask_at:
                    raise Damaged("a fixed-length value runs past the row's data")
                append(decode(page, a, a + size))
            else:
                if offsets is None:
                    nvar = page[mask_at - 2] | page[mask_at - 1] << 8
                    var_end = mask_at - 2 - 2 * (nvar + 1)
                    if var_end < fixed_base:
                        raise Damaged(f"a row claims {nvar} variable-length values, more than it can hold")
                    offsets = unpack_from(f"<{nvar + 1}H", page, var_end)[::-1]
                if where >= nvar:
                    raise Damaged(f"variable-length value {where} is marked present but the row has {nvar}")
                a = start + offsets[where]
                b = start + offsets[where + 1]
                if not fixed_base <= a <= b <= var_end:
                    raise Damaged("a variable-length value has impossible offsets")
                append(decode(page, a, b))
        return tuple(out)

    # -- long values (Memo, OLE) ------------------------------------------------------------------
    def _memo(self, page: bytes, a: int, b: int) -> str | None:
        data = self._long_value(page, a, b)
        return None if data is None else values.text(data)

    def _long_value(self, page: bytes, a: int, b: int) -> bytes | None:
        """The bytes of a Memo/OLE value (None for an empty slot, as Jackcess reads it)."""
        if a == b:
            return None
        if b - a < _LONG_VALUE_HEADER:
            raise Damaged(f"a long-value header of {b - a} bytes is too short")
        (word,) = unpack_from("<I", page, a)
        length = word & _LENGTH_MASK
        storage = word >> 24 & 0xC0
        if storage == _INLINE:
            data = page[a + _LONG_VALUE_HEADER:b]
            if len(data) < length:
                raise Damaged(f"an inline long value has {len(data)} of its {length} bytes")
            return data[:length]
        row = page[a + 4]
        number = int.from_bytes(page[a + 5:a + 8], "little")
        if storage == _ONE_ROW:
            lval, start, end, _ = row_at(self.pages, number, row)
            if end - start < length:
                raise Damaged(f"a long value on page {number} has {end - start} of its {length} bytes")
            return lval[start:start + length]
        if storage == _ROW_CHAIN:
            return self._lval_chain(number, row, length)
        raise Damaged(f"a long value has unknown storage flags {storage:#x}")

    def _lval_chain(self, number: int, row: int, length: int) -> bytes:
        chunks: list[bytes] = []
        remaining = length
        seen: set[tuple[int, int]] = set()
        while remaining > 0:
            if (number, row) in seen or number == 0:
                raise Damaged(f"a long value chain breaks off with {remaining} of {length} bytes missing")
            seen.add((number, row))
            lval, start, end, _ = row_at(self.pages, number, row)
            if end - start < 4:
                raise Damaged(f"a long-value row on page {number} is too short")
            chunk = lval[start + 4:min(end, start + 4 + remaining)]
            chunks.append(chunk)
            remaining -= len(chunk)
            row = lval[start]
            number = int.from_bytes(lval[start + 1:start + 4], "little")
        return b"".join(chunks)
