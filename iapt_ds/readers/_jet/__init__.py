"""A read-only reader of Microsoft Access Jet4/ACE files (Access 2000 .mdb to Access 2019 .accdb).

Pure Python and the standard library; the file is read page by page, one table at a time. The
layout follows mdbtools' HACKING notes; the value semantics follow Jackcess, the library that
UCanAccess (and so SDCS's pipeline) reads IDBs with. Layers, bottom up: :mod:`.pages` (header,
pages, row slots), :mod:`.tdef` (table definitions), :mod:`.usage` (owned pages), :mod:`.values`
(one stored value), :mod:`.rows` (scanning and decoding rows), :mod:`.database` (catalog, tables).
"""

from .database import Database, Table
from .errors import AccessFileError, AccessTableError
from .tdef import Column

__all__ = ["Database", "Table", "Column", "AccessFileError", "AccessTableError"]
