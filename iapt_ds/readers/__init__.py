"""Stage 1 of the pipeline: read a submission from wherever it is, into a :class:`Submission`.

:func:`read` chooses the reader from the input:

* a folder → CSV folder (one ``<TableName>.csv`` per table);
* a mapping of table name → iterable of row dicts → in-memory rows (strings or typed values);
* a :class:`Submission` → itself;
* an Access IDB (``.accdb``/``.mdb``, Access 2000 to 2019) → the pure-Python IDB reader
  (:mod:`iapt_ds.readers.idb`), one table at a time;
* a ``.zip`` holding one submission (an IDB, or a folder of CSV files at any depth) → read from
  inside it, without unpacking it by hand.

Input that is no submission at all (an empty folder, the folder *around* the submission folder,
an Access file without IDS tables, a compressed file) is one :class:`~iapt_ds.errors.InputError`
with a hint (:mod:`iapt_ds.readers._hints`), not a report of missing tables.

Every reader then goes through the same builder: columns matched to the spec, text cleansed,
each cell typed once. Nothing about the *content* raises; see :class:`~iapt_ds.model.InputProblem`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from os import PathLike, fspath
from pathlib import Path
from typing import Any

import attrs

from .._gcpause import gc_paused
from ..errors import InputError, UsageError
from ..model import InputProblem, Submission, Table
from ..spec import Spec, TableSpec
from ..version_choice import HeaderPeek, VersionChoice
from ._build import TableBuilder
from ._submission import choose_spec, finish_submission
from ._hints import compressed_hint, no_tables_in_folder
from .csv_folder import csv_tables, peek_csv_folder, read_csv_table

__all__ = ["read", "read_csv_folder", "plan_csv_folder", "read_folder_table", "FolderPlan", "read_rows", "read_zip", "choose_spec"]

ACCESS_SUFFIXES = (".accdb", ".mdb")


def read(source: Any, *, spec: Spec | None = None, version: str | None = None, period: str | None = None,
         progress: Callable[[str, int, int], None] | None = None,
         files_progress: Callable[[str, int, int], None] | None = None) -> Submission:
    """Read *source* into a :class:`Submission` (see the module docstring for what it accepts).

    The IAPT version is chosen before anything is typed, as SDCS chooses it: from the header's
    DatSetVer, unless *version* (``"2.0"``, ``"2.1"``) or *spec* says which; *period* (``YYYY-MM``,
    the upload's) is used when the header gives none (:mod:`iapt_ds.version_choice`). The
    submission's ``version`` says which version was chosen and why.

    *progress*, for an Access IDB, is called now and then with (table, rows read, rows in it);
    *files_progress*, for a CSV folder, before each file with (file name, files read, files)
    and once at the end with ("", files, files)."""
    if spec is not None and not isinstance(spec, Spec):
        raise UsageError(f"spec must be a Spec (iapt_ds.load_spec()), not {type(spec).__name__}")
    if isinstance(source, Submission):
        if version is not None and version != source.spec.version:
            raise UsageError(f"this Submission was read as IAPT v{source.spec.version}; read it again with "
                             f"version={version!r} to validate it as v{version}")
        return source
    if isinstance(source, (str, PathLike)):
        text = fspath(source)
        if isinstance(text, bytes) or not text.strip():
            raise UsageError(f"the submission path must be a non-empty text path, not {text!r}")
        path = Path(text)
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte …
            raise InputError(f"{_shown(text)}: cannot be opened ({getattr(exc, 'strerror', None) or exc})") from None
        if is_dir:
            return read_csv_folder(path, spec=spec, version=version, period=period, progress=files_progress)
        if not exists:
            raise InputError(f"{_shown(text)}: no such file or folder")
        if path.suffix.lower() in ACCESS_SUFFIXES:
            from .idb import read_idb  # idb builds on this module's helpers

            return read_idb(path, spec=spec, version=version, period=period, progress=progress)
        if path.suffix.lower() == ".zip":
            return read_zip(path, spec=spec, version=version, period=period, progress=progress,
                            files_progress=files_progress)
        hint = compressed_hint(path)
        if hint is not None:
            raise hint
        raise InputError(f"{_shown(text)}: not a submission; give a folder of <TableName>.csv files or an Access IDB")
    if isinstance(source, Mapping):
        return read_rows(source, spec=spec, version=version, period=period)
    raise UsageError(f"cannot read a submission from {type(source).__name__}; pass a folder path, an "
                     "Access IDB path, a mapping of table name to rows, or a Submission")


def _shown(path: str, most: int = 120) -> str:
    """A path as an error message shows it: a very long one is shortened in the middle."""
    return path if len(path) <= most else f"{path[:60]}…{path[-50:]}"


@gc_paused
def read_csv_folder(folder: str | PathLike, *, spec: Spec | None = None, version: str | None = None,
                    period: str | None = None,
                    progress: Callable[[str, int, int], None] | None = None,
                    read_table: Callable[..., Table] | None = None) -> Submission:
    """Read a CSV folder. Files are opened read-only and never changed. The version is chosen
    from the header file before the tables are typed (see :func:`read`). *progress* is called
    before each file with (file name, files read, files) and with ("", files, files) at the end.
    *read_table* stands in for :func:`~iapt_ds.readers.csv_folder.read_csv_table` (same
    arguments): another engine's reader (the DuckDB engine's)."""
    plan = plan_csv_folder(folder, spec=spec, version=version, period=period)
    spec, problems, files = plan.spec, plan.problems, plan.files
    tables: dict[str, Table] = {}
    shared: dict = {}
    for k, (tid, path) in enumerate(files):
        if progress:
            progress(path.name, k, len(files))
        table = read_folder_table(path, spec.tables[tid], problems, shared, spec.version, read_table)
        if table is not None:
            tables[tid] = table
    if progress:
        progress("", len(files), len(files))
    return finish_submission(spec, tables, problems, str(plan.folder), plan.unknown, plan.choice)


def read_folder_table(path: Path, tspec: TableSpec, problems: list[InputProblem], shared: dict, version: str,
                      read_table: Callable[..., Table] | None = None) -> Table | None:
    """One table file of a CSV folder (:func:`~iapt_ds.readers.csv_folder.read_csv_table`, or
    *read_table*); None, with the problem said, when the file cannot be read."""
    try:
        return (read_table or read_csv_table)(path, tspec, problems, shared, version)
    except OSError as exc:
        problems.append(InputProblem(tspec.id, f"{path.name} cannot be read ({exc.strerror or exc})"))
        return None


@attrs.frozen
class FolderPlan:
    """What a CSV folder holds before any table is read: the spec chosen for it and why, its
    table files in reading order, the problems and the unknown files the listing found."""

    folder: Path
    spec: Spec
    choice: VersionChoice
    files: list[tuple[str, Path]]
    problems: list[InputProblem]
    unknown: list[str]


def plan_csv_folder(folder: str | PathLike, *, spec: Spec | None = None, version: str | None = None,
                    period: str | None = None) -> FolderPlan:
    """List a CSV folder and choose its spec from the header file, reading no table yet: the
    first step of :func:`read_csv_folder` (and of reading a folder over processes,
    :mod:`iapt_ds.parallel`)."""
    folder = Path(fspath(folder))
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    try:
        peek = peek_csv_folder(folder, spec)
    except OSError as exc:
        raise InputError(f"{folder}: cannot be listed ({exc.strerror or exc})") from None
    spec, choice = choose_spec(peek, spec=spec, version=version, period=period)
    problems: list[InputProblem] = []
    unknown: list[str] = []
    try:
        files = list(csv_tables(folder, spec, problems, unknown))
    except OSError as exc:
        raise InputError(f"{folder}: cannot be listed ({exc.strerror or exc})") from None
    if not files:
        raise no_tables_in_folder(folder, spec)
    return FolderPlan(folder, spec, choice, files, problems, unknown)


def _peek_rows(rows: Mapping[str, Any], spec: Spec | None) -> HeaderPeek:
    """The header's DatSetVer and period in in-memory rows (table name → rows)."""
    from ..version_choice import period_text

    header_names = {"ids000", "ids000header"} if spec is None else {spec.header.lower(),
                                                                     spec.tables[spec.header].name.lower()}
    shape: dict[str, frozenset[str]] = {name.strip(): frozenset() for name in rows if isinstance(name, str)}

    def peek(**kw: Any) -> HeaderPeek:
        return HeaderPeek(shape=shape, columns_known=False, **kw)

    for name, table_rows in rows.items():
        if not (isinstance(name, str) and name.strip().lower() in header_names):
            continue
        if isinstance(table_rows, (str, bytes)) or not isinstance(table_rows, (list, tuple)):
            return peek(problem="the header rows could not be looked at before reading")
        declared, period = [], None
        for r in table_rows:
            if not isinstance(r, Mapping):
                return peek(problem="a header row is not a mapping")
            low = {k.lower(): v for k, v in r.items() if isinstance(k, str)}
            v = low.get("datsetver")
            declared.append(None if v is None else str(v))
            if period is None:
                period = period_text(low.get("reportingperiodstartdate"))
        if not declared:
            return peek(declared=(), problem="the header table has no row")
        return peek(declared=tuple(declared), period=period)
    return peek(problem="there is no header table (IDS000Header)")


#: uncompressed bytes a .zip may hold for the submission read from it
ZIP_LIMIT = 16 << 30


def read_zip(path: str | PathLike, *, spec: Spec | None = None, version: str | None = None,
             period: str | None = None, progress: Callable[[str, int, int], None] | None = None,
             files_progress: Callable[[str, int, int], None] | None = None) -> Submission:
    """Read the one submission a ``.zip`` holds: an Access IDB, or the folder (at any depth)
    holding the table files. Members are copied by their base name only into a private
    temporary folder, read, and removed; the .zip is never changed."""
    import shutil
    import tempfile
    import zipfile
    from pathlib import PurePosixPath

    from ..spec import load_spec

    path = Path(fspath(path))
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: not a readable .zip ({getattr(exc, 'strerror', None) or exc})") from None
    with zf, tempfile.TemporaryDirectory(prefix="iapt-ds-zip-") as tmp:
        members = [i for i in zf.infolist() if not i.is_dir() and "__MACOSX" not in i.filename
                   and not PurePosixPath(i.filename).name.startswith(".")]
        idbs = [i for i in members if i.filename.lower().endswith(ACCESS_SUFFIXES)]
        names = {t.name.lower() for t in (spec or load_spec()).tables.values()}
        folders: dict[PurePosixPath, list[zipfile.ZipInfo]] = {}
        for i in members:
            p = PurePosixPath(i.filename)
            if p.suffix.lower() == ".csv" and p.stem.lower() in names:
                folders.setdefault(p.parent, []).append(i)
        if len(folders) > 1 or (folders and idbs) or len(idbs) > 1:
            found = [f"{f}/" for f in folders] + [i.filename for i in idbs]
            raise InputError(f"{path}: holds more than one submission ({', '.join(found[:4])}); give one at a time")
        chosen = next(iter(folders.values())) if folders else idbs
        if not chosen:
            raise InputError(f"{path}: holds no submission (no IDS*.csv table file and no Access IDB in it)")
        if folders:   # every CSV file of that folder, so misnamed ones are reported too
            parent = next(iter(folders))
            chosen = [i for i in members if PurePosixPath(i.filename).parent == parent
                      and i.filename.lower().endswith(".csv")]
        if sum(i.file_size for i in chosen) > ZIP_LIMIT:
            raise InputError(f"{path}: the submission in it is over {ZIP_LIMIT >> 30} GiB uncompressed")
        target = Path(tmp)
        for i in chosen:
            with zf.open(i) as src, (target / PurePosixPath(i.filename).name).open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        inner = PurePosixPath(chosen[0].filename)
        if folders:
            sub = read_csv_folder(target, spec=spec, version=version, period=period, progress=files_progress)
            where = f"{path}!{inner.parent}/" if str(inner.parent) != "." else str(path)
        else:
            from .idb import read_idb

            sub = read_idb(target / inner.name, spec=spec, version=version, period=period, progress=progress)
            where = f"{path}!{inner}"
        sub.source = where
        return sub


@gc_paused
def read_rows(rows: Mapping[str, Iterable[Mapping[str, Any]]], *, spec: Spec | None = None,
              version: str | None = None, period: str | None = None, source: str = "<memory>") -> Submission:
    """Read in-memory rows: table name (``IDS001MPI`` or ``IDS001``) → iterable of dicts.

    Values may be text (parsed like CSV cells) or Python values of the field's type (``date``,
    ``datetime``, ``time``, ``int``, ``Decimal``). A key a row lacks is NULL; a key no field
    matches is an input problem (its values are kept in ``Table.extra``). The version is chosen
    from the header rows (see :func:`read`).
    """
    if not isinstance(rows, Mapping):
        raise UsageError(f"rows must be a mapping of table name to rows, not {type(rows).__name__}")
    # the header's rows are looked at before anything is typed: hold them if they are a one-pass iterable
    rows = {k: list(v) if (isinstance(k, str) and k.strip().lower() in ("ids000", "ids000header")
                           and isinstance(v, Iterable) and not isinstance(v, (list, tuple, str, bytes))) else v
            for k, v in rows.items()}
    spec, choice = choose_spec(_peek_rows(rows, spec), spec=spec, version=version, period=period)
    problems: list[InputProblem] = []
    unknown: list[str] = []
    tables: dict[str, Table] = {}
    shared: dict = {}
    for name, table_rows in rows.items():
        if not isinstance(name, str):
            raise UsageError(f"table names must be text, got {name!r}")
        try:
            tspec = spec.table(name)
        except KeyError:
            unknown.append(name)
            problems.append(InputProblem(None, f"{name!r} is not a table of the v{spec.version} IDB"))
            continue
        if tspec.id in tables:
            raise UsageError(f"the table {tspec.name} is given twice (as {tables[tspec.id].source_name!r} and {name!r})")
        if isinstance(table_rows, (str, bytes)) or not isinstance(table_rows, Iterable):
            raise UsageError(f"rows of {name} must be an iterable of dicts, not {type(table_rows).__name__}")
        materialised = list(table_rows)
        columns = [f.name for f in tspec.fields]
        known = {c.lower(): c for c in columns}
        extra: list[str] = []
        for r in materialised:
            if not isinstance(r, Mapping):
                raise UsageError(f"each row of {name} must be a dict of column name to value, got {type(r).__name__}")
            for k in r:
                if not isinstance(k, str):
                    raise UsageError(f"column names in {name} must be text, got {k!r}")
                if k.lower() not in known and k not in extra:
                    extra.append(k)
        builder = TableBuilder(tspec, name, columns + extra, problems, shared=shared, version=spec.version)
        for r in materialised:
            lowered = {k.lower(): v for k, v in r.items()}
            builder.add([lowered.get(c.lower()) for c in columns] + [r.get(k) for k in extra])
        tables[tspec.id] = builder.build()
    return finish_submission(spec, tables, problems, source, unknown, choice)
