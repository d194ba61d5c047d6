"""The page layer of a Jet4/ACE file: the header, page reads and the rows stored on a page.

A Jet4/ACE file is a sequence of 4 KB pages. Page 0 holds the header: the engine name at offset
4 (``Standard Jet DB`` / ``Standard ACE DB``) and the format at 0x14 (1 Jet4, 2 ACE12, 3 ACE14,
5 ACE16, 6 ACE17; 0 is Jet3, whose 2 KB pages this reader does not decode). The header from 0x18
is masked with a fixed RC4 keystream; the 4-byte database key at 0x3E, once unmasked, is 0 unless
the file is encoded or encrypted.

Data pages (type 0x01) list their rows in a table of 2-byte offsets at 14; row *i* runs from its
offset to the previous row's offset (row 0 to the end of the page). The top bits of an offset
flag a deleted row (0x8000) and an overflow row (0x4000), whose 4 bytes point to where the row
now lives (the target is itself flagged deleted, so a scan reaches it only through the pointer).
"""

from __future__ import annotations

from collections import OrderedDict
from os import PathLike, fspath
from struct import unpack_from

from .errors import AccessFileError, Damaged

__all__ = ["PAGE_SIZE", "FORMATS", "DATA_PAGE", "TDEF_PAGE", "USAGE_MAP_PAGE", "DELETED", "OVERFLOW",
           "PageFile", "row_slots", "row_bounds", "row_at"]

PAGE_SIZE = 4096
DATA_PAGE = 0x01
TDEF_PAGE = 0x02
USAGE_MAP_PAGE = 0x05

_ENGINES = (b"Standard Jet DB\x00", b"Standard ACE DB\x00")
#: format byte at 0x14 -> what the file is
FORMATS = {
    1: "Jet4 (Access 2000-2003 .mdb)",
    2: "ACE12 (Access 2007 .accdb)",
    3: "ACE14 (Access 2010 .accdb)",
    5: "ACE16 (Access 2016 .accdb)",
    6: "ACE17 (Access 2019 .accdb)",
}
_DB_KEY_OFFSET = 0x3E
# RC4 keystream bytes 38-41 of the fixed header key 0x6b39dac7 (the header mask starts at 0x18)
_DB_KEY_MASK = 0x4EBC8AFB

_ROW_OFFSET_MASK = 0x1FFF
DELETED = 0x8000
OVERFLOW = 0x4000
_ROWS_AT = 12
_OFFSETS_AT = 14
_CACHED_PAGES = 64


class PageFile:
    """An open Access file, read page by page (never loaded whole).

    Raises :class:`AccessFileError` when the file is not a Jet4/ACE database it can read.
    """

    def __init__(self, path: str | PathLike) -> None:
        self.path = fspath(path)
        try:
            self._fh = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise AccessFileError(f"{self.path}: cannot be opened ({exc.strerror or exc})") from None
        try:
            self.size = self._fh.seek(0, 2)
            self.format = self._check_header()
        except BaseException:
            self._fh.close()
            raise
        self.pages = self.size // PAGE_SIZE
        self._cache: OrderedDict[int, bytes] = OrderedDict()

    def _check_header(self) -> str:
        head = self._read_at(0, 0x80)
        if head[4:20] not in _ENGINES:
            raise AccessFileError(f"{self.path}: not a Microsoft Access database (.accdb/.mdb)")
        if len(head) < 0x80:
            raise AccessFileError(f"{self.path}: truncated ({self.size} bytes, less than its header)")
        version = head[0x14]
        if version == 0:
            raise AccessFileError(f"{self.path}: an Access 97 (Jet3) database, which is not supported; "
                                  "open it in Access and save it as an .accdb file")
        if version not in FORMATS:
            raise AccessFileError(f"{self.path}: unknown Access format {version} at offset 0x14")
        (masked_key,) = unpack_from("<I", head, _DB_KEY_OFFSET)
        if masked_key ^ _DB_KEY_MASK:
            raise AccessFileError(f"{self.path}: the database is encrypted or encoded, which is not "
                                  "supported; remove the password/encryption in Access and save it again")
        if self.size % PAGE_SIZE:
            raise AccessFileError(f"{self.path}: truncated ({self.size} bytes is not a whole number of "
                                  f"{PAGE_SIZE}-byte pages)")
        return FORMATS[version]

    def _read_at(self, offset: int, size: int) -> bytes:
        try:
            self._fh.seek(offset)
            return self._fh.read(size)
        except OSError as exc:
            raise AccessFileError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None

    def page(self, number: int) -> bytes:
        """The bytes of page *number* (a small cache keeps recently used pages)."""
        page = self._cache.get(number)
        if page is not None:
            self._cache.move_to_end(number)
            return page
        if number <= 0:
            raise Damaged("a page pointer names page 0, the file header")
        if number >= self.pages:
            raise Damaged(f"page {number} is beyond the end of the file ({self.pages} pages): "
                          "the file is truncated or damaged")
        page = self._read_at(number * PAGE_SIZE, PAGE_SIZE)
        if len(page) != PAGE_SIZE:
            raise Damaged(f"page {number} is cut short: the file is truncated")
        self._cache[number] = page
        if len(self._cache) > _CACHED_PAGES:
            self._cache.popitem(last=False)
        return page

    def close(self) -> None:
        self._fh.close()
        self._cache.clear()


def row_slots(page: bytes, number: int) -> tuple[int, ...]:
    """The raw row offsets (flags included) of a data page."""
    count = page[_ROWS_AT] | page[_ROWS_AT + 1] << 8
    if _OFFSETS_AT + 2 * count > PAGE_SIZE:
        raise Damaged(f"page {number} claims {count} rows, more than a page can hold")
    return unpack_from(f"<{count}H", page, _OFFSETS_AT)


def row_bounds(slots: tuple[int, ...], row: int, number: int) -> tuple[int, int]:
    """(start, end) of row *row* on a page whose row offsets are *slots*."""
    start = slots[row] & _ROW_OFFSET_MASK
    end = PAGE_SIZE if row == 0 else slots[row - 1] & _ROW_OFFSET_MASK
    if not _OFFSETS_AT + 2 * len(slots) <= start <= end <= PAGE_SIZE:
        raise Damaged(f"row {row} of page {number} has impossible bounds {start}-{end}")
    return start, end


def row_at(pages: PageFile, number: int, row: int) -> tuple[bytes, int, int, int]:
    """(page, start, end, raw offset with its flags) of the row a (row, page) pointer names."""
    page = pages.page(number)
    if page[0] != DATA_PAGE:
        raise Damaged(f"a row pointer names page {number}, which is not a data page")
    slots = row_slots(page, number)
    if row >= len(slots):
        raise Damaged(f"a row pointer names row {row} of page {number}, which has {len(slots)} rows")
    start, end = row_bounds(slots, row, number)
    return page, start, end, slots[row]
