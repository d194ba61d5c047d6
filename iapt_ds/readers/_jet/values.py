"""Decode one stored Access value, with Jackcess's semantics (the library UCanAccess, and so SDCS's
pipeline, reads IDBs with).

* Date/Time is a double of days since 1899-12-30: the integer part (toward zero) carries the sign,
  the fraction is always the positive time of day, rounded half-even to the millisecond. 0.0 is
  midnight on 1899-12-30, a value like any other.
* Text is UTF-16LE (surrogate pairs included). Access's "Unicode compression" marks a value with
  ``FF FE``; what follows alternates, at each 0x00 byte, between one-byte (Latin-1) segments and
  UTF-16LE segments, starting with one-byte.
* Currency is a 64-bit integer of ten-thousandths; Decimal (Numeric) is a sign byte and a 128-bit
  integer stored as four little-endian 32-bit words, most significant first. Both are
  :class:`~decimal.Decimal`, never float.

Each function raises :class:`~.errors.Damaged` on bytes that are no value of the type.
"""

from __future__ import annotations

import datetime as _dt
from codecs import utf_16_le_decode
from decimal import Decimal
from functools import lru_cache
from struct import unpack_from
from uuid import UUID

from .errors import Damaged

__all__ = ["date_time", "text", "money", "numeric", "guid"]

_DAY_ZERO = _dt.datetime(1899, 12, 30)
_SECONDS_PER_DAY = 86400.0


@lru_cache(maxsize=65536)
def date_time(days: float) -> _dt.datetime:
    """The date-time an Access Date/Time double stands for."""
    try:
        whole_days = int(days)
        seconds = abs(days) % 1.0 * _SECONDS_PER_DAY
        millis = int(round(seconds % 1.0, 3) * 1000)
        return _DAY_ZERO + _dt.timedelta(days=whole_days, seconds=int(seconds), milliseconds=millis)
    except (OverflowError, ValueError):
        raise Damaged(f"the Date/Time value {days!r} is no date in the years 1 to 9999") from None


def text(data: bytes, start: int = 0, end: int | None = None) -> str:
    """A Text or Memo value from its stored bytes ``data[start:end]`` (compressed or not)."""
    end = len(data) if end is None else end
    try:
        if end - start < 2 or data[start] != 0xFF or data[start + 1] != 0xFE:
            return utf_16_le_decode(data[start:end], "surrogatepass", True)[0]
        body = data[start + 2:end]
        if b"\x00" not in body:
            return body.decode("latin-1")
        parts = body.split(b"\x00")
        # even segments are one-byte (compressed), odd ones UTF-16LE
        return "".join(p.decode("latin-1") if i % 2 == 0 else p.decode("utf-16-le", "surrogatepass")
                       for i, p in enumerate(parts))
    except UnicodeDecodeError:
        raise Damaged(f"the text bytes {data[start:end][:40].hex()} are not valid UTF-16") from None


def money(page: bytes, pos: int) -> Decimal:
    """A Currency value: ten-thousandths in a signed 64-bit integer."""
    (units,) = unpack_from("<q", page, pos)
    return Decimal(units).scaleb(-4)


def numeric(page: bytes, pos: int, scale: int) -> Decimal:
    """A Decimal (Numeric) value with the column's scale."""
    negative = page[pos]
    high, mid_high, mid_low, low = unpack_from("<4I", page, pos + 1)
    magnitude = high << 96 | mid_high << 64 | mid_low << 32 | low
    value = Decimal(-magnitude if negative else magnitude)
    return value.scaleb(-scale)


def guid(page: bytes, pos: int) -> str:
    """A Replication ID as Access shows it: ``{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}``."""
    return "{" + str(UUID(bytes_le=page[pos:pos + 16])).upper() + "}"
