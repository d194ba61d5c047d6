"""Usage maps: which pages a table owns.

A usage map is a row on some data page. Its first byte is the map type:

* 0, inline: a 4-byte start page, then a bitmap (bit *i* set = page start + *i* is owned);
* 1, reference: 4-byte numbers of usage-map pages (type 0x05), each a bitmap from offset 4 covering
  (4096 - 4) * 8 pages, the *n*-th map page starting at page *n* * 32736.

Every count read from the file is bounded by what the file can hold: a page number at or beyond
the file's last page is dropped, and map pages that could only cover pages beyond the end of the
file are not read. A map therefore never yields more page numbers than the file has pages.
"""

from __future__ import annotations

from struct import iter_unpack, unpack_from

from .errors import Damaged
from .pages import PAGE_SIZE, USAGE_MAP_PAGE, PageFile, row_at

__all__ = ["owned_pages"]

_INLINE, _REFERENCE = 0, 1
_MAP_PAGE_DATA = 4
_PAGES_PER_MAP_PAGE = (PAGE_SIZE - _MAP_PAGE_DATA) * 8


def owned_pages(pages: PageFile, pointer: tuple[int, int]) -> list[int]:
    """The page numbers a usage map marks, in ascending order."""
    row, number = pointer
    page, start, end, _ = row_at(pages, number, row)
    if end - start < 1:
        raise Damaged(f"the usage map on page {number} is empty")
    kind = page[start]
    if kind == _INLINE:
        if end - start < 5:
            raise Damaged(f"the usage map on page {number} is cut short")
        (first,) = unpack_from("<I", page, start + 1)
        return _bits(page[start + 5:end], first, pages.pages)
    if kind == _REFERENCE:
        found: list[int] = []
        # no map page past the one that covers the file's last page can mark a page of the file
        count = min((end - start - 1) // 4, -(-pages.pages // _PAGES_PER_MAP_PAGE))
        for i, (map_page,) in enumerate(iter_unpack("<I", page[start + 1:start + 1 + 4 * count])):
            if map_page == 0:
                continue
            bitmap = pages.page(map_page)
            if bitmap[0] != USAGE_MAP_PAGE:
                raise Damaged(f"page {map_page} should hold a usage map but has type {bitmap[0]}")
            found.extend(_bits(bitmap[_MAP_PAGE_DATA:], i * _PAGES_PER_MAP_PAGE, pages.pages))
        return found
    raise Damaged(f"the usage map on page {number} has unknown type {kind}")


def _bits(bitmap: bytes, first: int, limit: int) -> list[int]:
    """Page numbers below *limit* (the file's page count) of the set bits, bit 0 of byte 0 being
    page *first*."""
    found: list[int] = []
    if first >= limit:
        return found
    bitmap = bitmap[:-(-(limit - first) // 8)]
    for byte_index, byte in enumerate(bitmap):
        if byte:
            base = first + byte_index * 8
            found.extend(base + bit for bit in range(8) if byte >> bit & 1)
    while found and found[-1] >= limit:
        found.pop()
    if found and found[0] == 0:  # page 0 is the file header, never a table's page
        del found[0]
    return found
