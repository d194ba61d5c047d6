"""Table definitions (TDEF pages): the row count, the columns and where the rows live.

A TDEF starts on a page of type 0x02 and continues on the pages its 4-byte pointer at offset 4
chains to (each adding its bytes from offset 8). In the Jet4/ACE block: the row count at 16, the
column count at 45, the number of physical indexes at 51 and the owned-pages usage map pointer at
55; then 12 bytes per physical index, 25 bytes per column and the column names (2-byte length,
UTF-16LE).

Each 25-byte column entry: type at 0, column number at 5 (its bit in the null mask; deleted
columns leave gaps), variable-column index at 7 (its slot in a row's offset table), precision 11,
scale 12, flags 15 (0x01 fixed length), extended flags 16 (0xC0 calculated, Access 2010+),
fixed-data offset 21 and length in bytes 23. Columns come back in column-number order, as
Jackcess gives them.
"""

from __future__ import annotations

from struct import error as StructError
from struct import unpack_from

import attrs

from .errors import Damaged
from .pages import PAGE_SIZE, TDEF_PAGE, PageFile

__all__ = ["Column", "TableDef", "read_tdef", "TYPE_NAMES", "FIXED_SIZES"]

#: Access type code -> type name (Jackcess's names, Date/Time as DATETIME)
TYPE_NAMES = {
    1: "BOOLEAN", 2: "BYTE", 3: "INT", 4: "LONG", 5: "MONEY", 6: "FLOAT", 7: "DOUBLE",
    8: "DATETIME", 9: "BINARY", 10: "TEXT", 11: "OLE", 12: "MEMO", 13: "UNKNOWN_0D", 15: "GUID",
    16: "NUMERIC", 17: "UNKNOWN_11", 18: "COMPLEX_TYPE", 19: "BIG_INT", 20: "EXT_DATE_TIME",
}
#: bytes a fixed-length value of each type takes in a row
FIXED_SIZES = {"BYTE": 1, "INT": 2, "LONG": 4, "MONEY": 8, "FLOAT": 4, "DOUBLE": 8, "DATETIME": 8,
               "GUID": 16, "NUMERIC": 17, "COMPLEX_TYPE": 4, "BIG_INT": 8}

_NEXT_PAGE = 4
_ROW_COUNT = 16
_COLUMN_COUNT = 45
_INDEX_COUNT = 51
_OWNED_PAGES = 55
_INDEXES_AT = 63
_INDEX_SIZE = 12
_COLUMN_SIZE = 25
_FIXED_FLAG = 0x01
_CALCULATED_FLAGS = 0xC0


@attrs.frozen
class Column:
    """One column as the table definition declares it."""

    name: str
    #: type name (see :data:`TYPE_NAMES`; ``UNKNOWN_xx`` for a code this reader does not know)
    type: str
    #: declared length in bytes (Text(255) is 510: two bytes a character)
    length: int
    number: int
    var_index: int
    fixed_offset: int
    fixed: bool
    precision: int
    scale: int
    #: an Access 2010+ calculated column (an expression Access evaluates on save)
    calculated: bool

    @property
    def declared(self) -> str:
        """The declared type as text: ``TEXT(255)``, ``LONG``, ``DATETIME``, ``NUMERIC(18,4)``…"""
        if self.type == "TEXT":
            declared = f"TEXT({self.length // 2})"
        elif self.type == "BINARY":
            declared = f"BINARY({self.length})"
        elif self.type == "NUMERIC":
            declared = f"NUMERIC({self.precision},{self.scale})"
        else:
            declared = self.type
        return f"{declared} CALCULATED" if self.calculated else declared


@attrs.frozen
class TableDef:
    """What a TDEF says about a table."""

    page: int
    row_count: int
    columns: tuple[Column, ...]
    #: (row, page) of the usage map of the pages the table owns
    owned_pages: tuple[int, int]


def _tdef_bytes(pages: PageFile, first: int) -> bytes:
    """The whole definition, following the chain of TDEF pages."""
    chunks: list[bytes] = []
    seen: set[int] = set()
    number = first
    while number:
        if number in seen:
            raise Damaged(f"the table definition pages loop back to page {number}")
        seen.add(number)
        page = pages.page(number)
        if page[0] != TDEF_PAGE:
            raise Damaged(f"page {number} is not a table definition page")
        chunks.append(page if not chunks else page[8:])
        (number,) = unpack_from("<I", page, _NEXT_PAGE)
    return b"".join(chunks)


def read_tdef(pages: PageFile, first: int) -> TableDef:
    """Parse the table definition that starts on page *first*."""
    data = _tdef_bytes(pages, first)
    try:
        (row_count,) = unpack_from("<I", data, _ROW_COUNT)
        (ncols,) = unpack_from("<H", data, _COLUMN_COUNT)
        (nindexes,) = unpack_from("<I", data, _INDEX_COUNT)
        owned_row = data[_OWNED_PAGES]
        owned_page = int.from_bytes(data[_OWNED_PAGES + 1:_OWNED_PAGES + 4], "little")
        if nindexes > PAGE_SIZE:
            raise Damaged(f"the table definition claims {nindexes} indexes")
        at = _INDEXES_AT + nindexes * _INDEX_SIZE
        names_at = at + ncols * _COLUMN_SIZE
        names = []
        for _ in range(ncols):
            (size,) = unpack_from("<H", data, names_at)
            raw = data[names_at + 2:names_at + 2 + size]
            if len(raw) != size:
                raise Damaged("the column names run past the end of the table definition")
            names.append(raw.decode("utf-16-le"))
            names_at += 2 + size
        columns = [_column(data, at + i * _COLUMN_SIZE, name) for i, name in enumerate(names)]
    except (StructError, IndexError, UnicodeDecodeError) as exc:
        raise Damaged(f"the table definition on page {first} is damaged ({exc})") from None
    columns.sort(key=lambda c: c.number)
    return TableDef(page=first, row_count=row_count, columns=tuple(columns),
                    owned_pages=(owned_row, owned_page))


def _column(data: bytes, at: int, name: str) -> Column:
    code = data[at]
    number, var_index = unpack_from("<HH", data, at + 5)
    fixed_offset, length = unpack_from("<HH", data, at + 21)
    return Column(name=name, type=TYPE_NAMES.get(code, f"UNKNOWN_{code:02X}"), length=length,
                  number=number, var_index=var_index, fixed_offset=fixed_offset,
                  fixed=bool(data[at + 15] & _FIXED_FLAG), precision=data[at + 11],
                  scale=data[at + 12], calculated=bool(data[at + 16] & _CALCULATED_FLAGS))
