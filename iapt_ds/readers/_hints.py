"""Input that is not a submission: one :class:`~iapt_ds.errors.InputError` with a hint, instead
of a report of two dozen "file rejections" for tables that were never there.

* a folder holding no table file at all: empty, or the submission is one level down (what
  Windows "Extract All" makes: ``March2021/March2021/IDS001MPI.csv``), or it holds an IDB or a
  .zip instead;
* an Access file without any IDS table;
* a compressed file (``.gz``, ``.7z`` …): decompress it first.

:func:`close_table` also names the table a misnamed CSV file most likely is
(``IDS001MPI - Copy.csv``, ``IDS002 GP.csv``), for the problem reported about it.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from ..errors import InputError
from ..spec import Spec

__all__ = ["close_table", "no_tables_in_folder", "not_an_idb", "compressed_hint"]

_COMPRESSED = {".gz": "gunzip", ".bz2": "bunzip2", ".xz": "unxz", ".7z": "7-Zip", ".rar": "an unrar tool",
               ".tgz": "tar -xzf"}


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def close_table(stem: str, spec: Spec) -> str | None:
    """The table name a file named *stem* most likely stands for, or None.

    >>> from iapt_ds.spec import load_spec
    >>> close_table("IDS001MPI - Copy", load_spec()), close_table("IDS002 GP", load_spec())
    ('IDS001MPI', 'IDS002GP')
    >>> close_table("notes", load_spec()) is None
    True
    """
    names = [t.name for t in spec.tables.values()]
    squashed = {_squash(n): n for n in names}
    s = _squash(stem)
    if s in squashed:
        return squashed[s]
    m = re.match(r"(?i)\s*(IDS\d{3})", stem)
    if m:
        by_id = {t.id.lower(): t.name for t in spec.tables.values()}
        found = by_id.get(m.group(1).lower())
        if found and s.startswith(_squash(found)[:6]):
            return found
    close = difflib.get_close_matches(s, list(squashed), n=1, cutoff=0.8)
    return squashed[close[0]] if close else None


def _holds_tables(folder: Path, spec: Spec) -> int:
    """How many table files *folder* holds (by name, case-insensitively)."""
    try:
        stems = {p.stem.lower() for p in folder.iterdir() if p.suffix.lower() == ".csv"}
    except OSError:
        return 0
    return sum(t.name.lower() in stems for t in spec.tables.values())


def no_tables_in_folder(folder: Path, spec: Spec) -> InputError:
    """The error for a folder in which no file is a table of the IDB, with the likeliest reason."""
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        return InputError(f"{folder}: cannot be listed ({exc.strerror or exc})")
    shown = [e for e in entries if not e.name.startswith(".")]
    if not shown:
        return InputError(f"{folder}: the folder is empty; give the folder that holds the IDS*.csv files "
                          "(IDS000Header.csv, IDS001MPI.csv …) or the Access IDB")
    inner = [e for e in shown if e.is_dir()]
    best = max(((n, d) for d in inner if (n := _holds_tables(d, spec))), default=None, key=lambda x: x[0])
    if best is None:
        for d in inner:   # two levels down
            try:
                deeper = [x for x in d.iterdir() if x.is_dir()]
            except OSError:
                continue
            best = max(((n, x) for x in deeper if (n := _holds_tables(x, spec))), default=best,
                       key=lambda x: x[0])
    if best is not None:
        return InputError(f"{folder}: no table files here, but {best[1]} holds {best[0]} of them; "
                          f"did you mean {best[1]}?")
    idbs = [e for e in shown if e.suffix.lower() in (".accdb", ".mdb")]
    if idbs:
        return InputError(f"{folder}: no table files here, but an Access IDB; did you mean {idbs[0]}?")
    zips = [e for e in shown if e.suffix.lower() == ".zip"]
    if zips:
        return InputError(f"{folder}: no table files here, but a .zip; did you mean {zips[0]}?")
    csvs = [e for e in shown if e.suffix.lower() == ".csv"]
    close = [(e.name, t) for e in csvs if (t := close_table(e.stem, spec))]
    if close:
        name, table = close[0]
        return InputError(f"{folder}: no file is named as an IDB table (<TableName>.csv); {name} looks like "
                          f"{table}: rename it {table}.csv")
    listed = ", ".join(e.name for e in shown[:5]) + (" …" if len(shown) > 5 else "")
    return InputError(f"{folder}: not a submission: no IDS*.csv table file in it (it holds {listed}); give the "
                      "folder that holds IDS000Header.csv, IDS001MPI.csv … or the Access IDB")


def not_an_idb(path: Path, names: list[str]) -> InputError:
    """The error for an Access file holding no table of the IDB."""
    listed = ", ".join(names[:5]) + (" …" if len(names) > 5 else "") if names else "no tables"
    return InputError(f"{path}: an Access file, but not an IAPT IDB: it has no IDS table (it holds {listed})")


def compressed_hint(path: Path) -> InputError | None:
    """The error for a compressed file, or None when *path* is not one."""
    tool = _COMPRESSED.get(path.suffix.lower())
    if tool is None:
        return None
    inner = path.with_suffix("")
    return InputError(f"{path}: a compressed file; decompress it first (with {tool}), then give "
                      f"{inner.name if inner.suffix else 'the folder or IDB inside'}")
