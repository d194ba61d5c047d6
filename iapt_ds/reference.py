"""National reference data from the files people download: NHS ODS CSV extracts and the ONS
Postcode Directory, for the ten reference-data rules (IDS00034, IDS00125, IDS00154, IDS00156,
IDS00206, IDS00219, IDS10110, IDS10519, IDS20147, IDS20149).

:func:`load_reference_folder` reads every file it recognises in a folder:

* ODS extracts, headerless in their standard 27-column layout (code, name, national grouping,
  high-level health geography, five address lines, postcode, open date, close date, …) or with a
  header row (``Organisation Code``, ``Open Date``, ``Close Date``): ``epraccur`` gives GP
  practices; ``ets`` and the other ``…site`` files give sites; every other ODS file (``etr``,
  ``eccg`` and its Sub-ICB successors, ``ensa``, ``eother``, ``ephp``, ``ecsu`` …) gives organisations;
* an ONS Postcode Directory CSV (found by its header: ``pcds`` or ``pcd``, ``dointr``, ``doterm``).

Each look-up is answered as DSP does, at the reporting-period start: a code is current when it
opened on or before that day and had not closed before it (a postcode: introduced in or before
that month and not terminated by it). The defaults DSP accepts (V81997-9 and the other GP
defaults, the site defaults) are handled by the rule itself. Each file is recorded in the report
with its edition (its modification date and the latest date it holds) and how many codes it has.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from collections.abc import Iterator
from os import PathLike, fspath
from pathlib import Path

from .checked import ReferenceFile
from .errors import InputError

__all__ = ["ReferenceFiles", "load_reference_folder", "ods_kind"]

_Span = tuple[_dt.date | None, _dt.date | None]

#: ODS file name (without suffix) -> what it gives
_PRACTICES = {"epraccur", "epracarc", "egpcur"}
_SITE = re.compile(r"^(ets|.*site.*|ectsite|ephpsite|enurse)$")
_ODS = re.compile(r"^e[a-z]{2,12}$")

_HEAD_CODE = ("organisation code", "org code", "code", "organisation_code", "org_code")
_HEAD_OPEN = ("open date", "opendate", "open_date", "legal start date")
_HEAD_CLOSE = ("close date", "closedate", "close_date", "legal end date")


def ods_kind(stem: str) -> str | None:
    """What an ODS file named *stem* gives: ``gp_practices``, ``sites``, ``organisations``, or
    None when the name is not an ODS extract's.

    >>> ods_kind("epraccur"), ods_kind("ets"), ods_kind("etr"), ods_kind("eccg"), ods_kind("notes")
    ('gp_practices', 'sites', 'organisations', 'organisations', None)
    """
    s = stem.lower()
    if s == "egpcur":
        return None        # GP practitioners, not practices
    if s in _PRACTICES:
        return "gp_practices"
    if not _ODS.match(s):
        return None
    return "sites" if _SITE.match(s) else "organisations"


def _date(text: str | None) -> _dt.date | None:
    t = (text or "").strip()
    if not t:
        return None
    for fmt in ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y", "%Y%m"):
        try:
            d = _dt.datetime.strptime(t, fmt).date()
        except ValueError:
            continue
        return d
    return None


def _month_start(text: str | None) -> _dt.date | None:
    t = (text or "").strip()
    return _dt.date(int(t[:4]), int(t[4:6]), 1) if re.fullmatch(r"\d{6}", t) else _date(t)


def _rows(path: Path) -> Iterator[list[str]]:
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            yield from csv.reader(fh)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _find(head: list[str], names: tuple[str, ...]) -> int | None:
    low = [h.strip().lower() for h in head]
    return next((low.index(n) for n in names if n in low), None)


class ReferenceFiles:
    """Reference data read from files, answering the :class:`~iapt_ds.checks.context.ReferenceData`
    look-ups at a date. A kind no file gave answers None (not checked)."""

    def __init__(self) -> None:
        self.codes: dict[str, dict[str, list[_Span]]] = {}
        self.files: list[ReferenceFile] = []

    # ------------------------------------------------------------------ loading

    def _add(self, kind: str, code: str, span: _Span) -> None:
        self.codes.setdefault(kind, {}).setdefault(code, []).append(span)

    def add_ods(self, path: str | PathLike, kind: str | None = None) -> None:
        """Read one ODS extract (headerless 27-column layout, or with a header row)."""
        path = Path(fspath(path))
        kind = kind or ods_kind(path.stem)
        if kind is None:
            raise InputError(f"{path}: not a known ODS extract name (epraccur, etr, ets, eccg, …)")
        rows = _rows(path)
        first = next(rows, None)
        if first is None:
            self._record(kind, path, 0, None)
            return
        at_code, at_open, at_close = 0, 10, 11
        header = _find(first, _HEAD_CODE)
        pending: list[list[str]] = []
        if header is not None:
            at_code = header
            found_open, found_close = _find(first, _HEAD_OPEN), _find(first, _HEAD_CLOSE)
            at_open = -1 if found_open is None else found_open
            at_close = -1 if found_close is None else found_close
        else:
            pending.append(first)
        count, latest = 0, None
        for row in (*pending, *rows) if pending else rows:
            if len(row) <= at_code:
                continue
            code = row[at_code].strip().upper()
            if not code:
                continue
            opened = _date(row[at_open]) if 0 <= at_open < len(row) else None
            closed = _date(row[at_close]) if 0 <= at_close < len(row) else None
            for d in (opened, closed):
                if d is not None and (latest is None or d > latest):
                    latest = d
            self._add(kind, code, (opened, closed))
            count += 1
        self._record(kind, path, count, latest)

    def add_postcodes(self, path: str | PathLike) -> None:
        """Read an ONS Postcode Directory CSV (columns by header: pcds or pcd, dointr, doterm)."""
        path = Path(fspath(path))
        rows = _rows(path)
        head = [h.strip().lower() for h in next(rows, [])]
        at = next((head.index(n) for n in ("pcds", "pcd", "pcd7", "pcd8") if n in head), None)
        if at is None or "dointr" not in head:
            raise InputError(f"{path}: not an ONS Postcode Directory file (no pcds/pcd and dointr columns)")
        i_in, i_out = head.index("dointr"), head.index("doterm") if "doterm" in head else -1
        count, latest = 0, None
        table = self.codes.setdefault("postcodes", {})
        for row in rows:
            if len(row) <= max(at, i_in):
                continue
            code = row[at].replace(" ", "").upper()
            if not code:
                continue
            opened = _month_start(row[i_in])
            closed = _month_start(row[i_out]) if 0 <= i_out < len(row) else None
            for d in (opened, closed):
                if d is not None and (latest is None or d > latest):
                    latest = d
            # terminated in a month: not live from that month on
            table.setdefault(code, []).append((opened, closed - _dt.timedelta(days=1) if closed else None))
            count += 1
        self._record("postcodes", path, count, latest)

    def _record(self, kind: str, path: Path, entries: int, latest: _dt.date | None) -> None:
        try:
            mtime = _dt.date.fromtimestamp(path.stat().st_mtime)
        except OSError:
            mtime = None
        words = ", ".join(x for x in (f"file of {mtime}" if mtime else "",
                                      f"latest date in it {latest}" if latest else "") if x) or None
        label = {"gp_practices": "GP practices", "sites": "sites", "organisations": "organisations",
                 "postcodes": "postcodes"}[kind]
        self.files.append(ReferenceFile(kind=label, name=path.name, edition=words, entries=entries))

    # ------------------------------------------------------------------ answering

    def _current(self, kind: str, code: str, on: _dt.date | None) -> bool | None:
        table = self.codes.get(kind)
        if table is None:
            return None
        spans = table.get(code)
        if not spans:
            return False
        if on is None:
            return True
        return any((o is None or o <= on) and (c is None or c >= on) for o, c in spans)

    def organisation_exists(self, code: str, on: _dt.date | None) -> bool | None:
        return self._current("organisations", code.strip().upper(), on)

    def gp_practice_exists(self, code: str, on: _dt.date | None) -> bool | None:
        return self._current("gp_practices", code.strip().upper(), on)

    def site_exists(self, code: str, on: _dt.date | None) -> bool | None:
        return self._current("sites", code.strip().upper(), on)

    def postcode_exists(self, code: str, on: _dt.date | None) -> bool | None:
        return self._current("postcodes", code.replace(" ", "").upper(), on)


def _is_postcode_file(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            head = next(csv.reader(io.StringIO(fh.readline())), [])
    except OSError:
        return False
    low = {h.strip().lower() for h in head}
    return bool(low & {"pcds", "pcd", "pcd7", "pcd8"}) and "dointr" in low


def load_reference_folder(folder: str | PathLike) -> ReferenceFiles:
    """Every ODS extract and ONS Postcode Directory file in *folder* (``.csv``), as one
    :class:`ReferenceFiles`. A folder with none of them is an :class:`~iapt_ds.errors.InputError`."""
    folder = Path(fspath(folder))
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of reference files")
    ref = ReferenceFiles()
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" or not path.is_file():
            continue
        if _is_postcode_file(path):
            ref.add_postcodes(path)
        elif ods_kind(path.stem) is not None:
            ref.add_ods(path)
    if not ref.files:
        raise InputError(f"{folder}: no reference file in it (ODS extracts such as epraccur.csv, etr.csv, ets.csv, "
                         "eccg.csv, or an ONS Postcode Directory CSV)")
    return ref
