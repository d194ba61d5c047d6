"""An Access database opened for reading: its user tables, their columns and their rows.

The system catalog (``MSysObjects``, whose definition is always on page 2) lists every object. A
user table is an object of type 1 under the ``Tables`` container; system tables (flags
0x80000000 or 0x2), hidden ones (flag 0x8) and Access's internal names (``MSys*``, ``~TMP*``,
``f_*_Data``) are left out. Linked tables (types 4 and 6) hold no data in this file; they are
listed apart. Names are matched case-insensitively, as Access does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from os import PathLike
from struct import error as StructError

from .errors import AccessFileError, AccessTableError, Damaged
from .pages import PageFile
from .rows import RowReader
from .tdef import Column, TableDef, read_tdef

__all__ = ["Database", "Table"]

_CATALOG_PAGE = 2
_CATALOG_COLUMNS = ("Id", "ParentId", "Name", "Type", "Flags")
_ROOT_ID = 0x0F000000
_TABLE, _LINKED_ODBC, _LINKED = 1, 4, 6
_SYSTEM_FLAGS = 0x80000002
_HIDDEN_FLAG = 0x08
_PAGE_OF_ID = 0x00FFFFFF
_INTERNAL_NAME = re.compile(r"(?i)msys|~tmp|f_[0-9a-f]{32}_data$")
_BAD_BYTES = (StructError, IndexError, ValueError, OverflowError)


def _catalog_entry(row: tuple) -> tuple[int | None, int | None, str | None, int | None, int]:
    """(id, parent, name, type, flags) of a catalog row, each None (flags 0) when the column
    does not hold a value of its type: a damaged catalog never raises a TypeError."""
    oid, parent, name, kind, flags = row

    def number(v: object) -> int | None:
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    return (number(oid), number(parent), name if isinstance(name, str) else None, number(kind),
            number(flags) or 0)


class Table:
    """One user table: :attr:`name`, :attr:`columns` (declared order), :attr:`row_count` (as its
    definition states it) and :meth:`rows`."""

    def __init__(self, database: Database, name: str, tdef: TableDef) -> None:
        self._database = database
        self.name = name
        self._tdef = tdef

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._tdef.columns

    @property
    def row_count(self) -> int:
        return self._tdef.row_count

    @property
    def definition_page(self) -> int:
        """The page the table's definition starts on (for diagnostics)."""
        return self._tdef.page

    def rows(self) -> Iterator[tuple]:
        """Yield each row as a tuple of values in :attr:`columns` order.

        Values: ``str`` (Text, Memo; ``''`` is zero-length text, distinct from ``None``), ``int``
        (Byte, Integer, Long, BigInt), ``float`` (Single, Double), ``datetime`` (Date/Time),
        ``Decimal`` (Currency, Decimal), ``bool`` (Yes/No), ``bytes`` (Binary, OLE), ``str`` GUIDs;
        ``None`` is NULL. Raises :class:`AccessTableError` for a column type it cannot decode,
        damaged bytes, or a row count that differs from the definition's (after the last row).
        """
        try:
            yield from RowReader(self._database.pages, self._tdef).rows()
        except Damaged as exc:
            raise AccessTableError(self._database.path, self.name, str(exc)) from None
        except _BAD_BYTES as exc:
            raise AccessTableError(self._database.path, self.name, f"damaged bytes ({exc})") from None

    def __repr__(self) -> str:
        return f"<Table {self.name}: {len(self.columns)} columns, {self.row_count} rows>"


class Database:
    """An Access (.accdb/.mdb, Jet4 to ACE17) file opened read-only; use as a context manager.

    Raises :class:`AccessFileError` when the file cannot be read at all.
    """

    def __init__(self, path: str | PathLike) -> None:
        self.pages = PageFile(path)
        self.path = self.pages.path
        self.format = self.pages.format
        try:
            self._tables, self.linked_tables = self._read_catalog()
        except BaseException:
            self.pages.close()
            raise

    def _read_catalog(self) -> tuple[dict[str, tuple[str, int]], tuple[str, ...]]:
        try:
            tdef = read_tdef(self.pages, _CATALOG_PAGE)
            by_name = {c.name: c for c in tdef.columns}
            missing = [n for n in _CATALOG_COLUMNS if n not in by_name]
            if missing:
                raise Damaged(f"it has no column {', '.join(missing)}")
            reader = RowReader(self.pages, tdef, tuple(by_name[n] for n in _CATALOG_COLUMNS))
            objects = list(reader.rows())
        except (Damaged, *_BAD_BYTES) as exc:
            raise AccessFileError(f"{self.path}: the system catalog cannot be read ({exc}); the file "
                                  "is damaged or encrypted") from None
        # a catalog column of the wrong type (Flags as Text …) is damage, not a number to test
        objects = [_catalog_entry(o) for o in objects]
        containers = [oid for oid, parent, name, _, _ in objects if parent == _ROOT_ID and name == "Tables"]
        if not containers:
            raise AccessFileError(f"{self.path}: the system catalog has no Tables container; the file is damaged")
        tables: dict[str, tuple[str, int]] = {}
        linked = []
        for oid, parent, name, kind, flags in objects:
            if parent != containers[0] or oid is None or not name or _INTERNAL_NAME.match(name):
                continue
            if kind == _TABLE and not (flags or 0) & (_SYSTEM_FLAGS | _HIDDEN_FLAG):
                tables[name.lower()] = (name, oid & _PAGE_OF_ID)
            elif kind in (_LINKED, _LINKED_ODBC):
                linked.append(name)
        return tables, tuple(linked)

    @property
    def table_names(self) -> tuple[str, ...]:
        """The user tables, as the catalog spells them."""
        return tuple(name for name, _ in self._tables.values())

    def table(self, name: str) -> Table:
        """The user table called *name* (any case). Raises ``KeyError`` if there is none and
        :class:`AccessTableError` if its definition cannot be read."""
        found = self._tables.get(name.lower())
        if found is None:
            raise KeyError(name)
        real_name, page = found
        try:
            return Table(self, real_name, read_tdef(self.pages, page))
        except Damaged as exc:
            raise AccessTableError(self.path, real_name, str(exc)) from None

    def close(self) -> None:
        self.pages.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Database {self.path}: {self.format}, {len(self._tables)} tables>"
