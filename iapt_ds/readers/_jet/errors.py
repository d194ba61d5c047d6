"""What goes wrong while reading an Access file.

Low-level code raises :class:`Damaged` (bytes that make no sense) or :class:`Unsupported` (a
feature this reader does not decode) with a detail in words; the database and table objects wrap
them into the public errors, which name the file and, for one table, the table:

* :class:`AccessFileError` — the file cannot be read at all (not an Access file, Jet3,
  encrypted, truncated, no readable system catalog);
* :class:`AccessTableError` — one table (its definition or its rows) cannot be read.

Both are :class:`~iapt_ds.errors.InputError`, so callers of the public API never see a raw
``struct.error`` or ``IndexError``.
"""

from __future__ import annotations

from ...errors import InputError

__all__ = ["Damaged", "Unsupported", "AccessFileError", "AccessTableError"]


class Damaged(Exception):
    """Bytes that do not follow the Jet4/ACE layout (internal; wrapped before it leaves)."""


class Unsupported(Damaged):
    """A valid feature this reader does not decode (internal; wrapped before it leaves)."""


class AccessFileError(InputError):
    """The Access file cannot be read at all; the message names the file."""


class AccessTableError(InputError):
    """One table of an Access file cannot be read; :attr:`table` and :attr:`detail` say which and why."""

    def __init__(self, path: str, table: str, detail: str) -> None:
        super().__init__(f"{path}: table {table}: {detail}")
        self.table = table
        self.detail = detail
