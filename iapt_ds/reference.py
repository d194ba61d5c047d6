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

* ODS successions: ``succ`` and ``succarc`` (headerless: predecessor, successor, then the
  effective date among the next cells; or with a header), and a successor column in any ODS file
  with a header row (``Successor Organisation Code`` …).

Each look-up is answered as DSP does, at the reporting-period start: a code is current when it
opened on or before that day and had not closed before it (a postcode: introduced in or before
that month and not terminated by it). The defaults DSP accepts (V81997-9 and the other GP
defaults, the site defaults) are handled by the rule itself. Beyond that, as DSP's ODS look-ups do:

* **GP practices** (IDS00206) are the records with the GP practice role (RO76) or the prescribing
  cost centre role (RO177): every row of ``epraccur`` (each is a prescribing cost centre, whatever
  its prescribing setting; the report counts how many are GP practices proper, setting 4) and the
  rows of any ODS file with a header whose role columns name RO76 or RO177. A practice closed by
  the period start with one successor in force then is answered by that successor.
* **Sites** (IDS20149) are any ODS record (DSP asks whether the organisation exists, of any
  kind), once a site file is given; a closed one with one successor in force is answered by that
  successor, as many steps as the successions go.
* **Organisations** (IDS00034 and the other organisation rules) are any ODS record, once an
  organisation file is given, and successions are **not** followed (DSP's rules ignore them).

Each file is recorded in the report with its edition (its modification date and the latest date
it holds) and how many codes it has.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from collections import Counter
from collections.abc import Iterator
from os import PathLike, fspath
from pathlib import Path

from .checked import ReferenceFile
from .errors import InputError

__all__ = ["ReferenceFiles", "load_reference_folder", "ods_kind", "GP_ROLES"]

_Span = tuple[_dt.date | None, _dt.date | None]

#: ODS file name (without suffix) -> what it gives
_PRACTICES = {"epraccur", "epracarc", "egpcur"}
_SITE = re.compile(r"^(ets|.*site.*|ectsite|ephpsite|enurse)$")
_ODS = re.compile(r"^e[a-z]{2,12}$")

_HEAD_CODE = ("organisation code", "org code", "code", "organisation_code", "org_code")
_HEAD_OPEN = ("open date", "opendate", "open_date", "legal start date")
_HEAD_CLOSE = ("close date", "closedate", "close_date", "legal end date")
_HEAD_SETTING = ("prescribing setting", "prescribing_setting", "prescribingsetting")
#: role columns of a headed ODS export (the cell may hold several codes: ``RO177, RO76``)
_HEAD_ROLES = ("primary role code", "primary role id", "primaryroleid", "primary role", "role code", "role codes",
               "roles", "role", "non primary role codes", "non-primary role codes", "non primary roles",
               "other role codes", "other roles")
_HEAD_SUCCESSOR = ("successor organisation code", "successor code", "successor", "successor org code",
                   "new organisation code", "new code")
_HEAD_PREDECESSOR = ("predecessor organisation code", "predecessor code", "predecessor", "old organisation code",
                     "old code", "organisation code", "org code", "code")
_HEAD_SUCC_DATE = ("succession date", "successor effective date", "effective date", "effective_date",
                   "legal start date", "start date")
#: DSP's GP practice look-up accepts either role: GP practice, or prescribing cost centre
GP_ROLES = frozenset({"RO76", "RO177"})
_ROLE = re.compile(r"\bRO\d+\b", re.IGNORECASE)
#: epraccur's prescribing setting for a GP practice proper (the others are other cost centres)
_GP_SETTING = "4"
#: epraccur's prescribing setting in its headerless layout (the 26th column)
_AT_SETTING = 25
_SUCCESSIONS = {"succ", "succarc"}


def ods_kind(stem: str) -> str | None:
    """What an ODS file named *stem* gives: ``gp_practices``, ``sites``, ``organisations``,
    ``successions``, or None when the name is not an ODS extract's.

    >>> ods_kind("epraccur"), ods_kind("ets"), ods_kind("etr"), ods_kind("succ"), ods_kind("notes")
    ('gp_practices', 'sites', 'organisations', 'successions', None)
    """
    s = stem.lower()
    if s == "egpcur":
        return None        # GP practitioners, not practices
    if s in _SUCCESSIONS:
        return "successions"
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
        #: predecessor code -> (successor code, the day the succession takes effect) for each
        self.successors: dict[str, list[tuple[str, _dt.date | None]]] = {}

    def add_successor(self, code: str, successor: str, effective: _dt.date | None) -> None:
        """Record that *successor* succeeds *code* from *effective* (None: since always)."""
        code, successor = code.strip().upper(), successor.strip().upper()
        if code and successor and code != successor:
            links = self.successors.setdefault(code, [])
            if (successor, effective) not in links:
                links.append((successor, effective))

    # ------------------------------------------------------------------ loading

    def _add(self, kind: str, code: str, span: _Span) -> None:
        self.codes.setdefault(kind, {}).setdefault(code, []).append(span)

    def add_ods(self, path: str | PathLike, kind: str | None = None) -> None:
        """Read one ODS extract (headerless 27-column layout, or with a header row)."""
        path = Path(fspath(path))
        kind = kind or ods_kind(path.stem)
        if kind is None:
            raise InputError(f"{path}: not a known ODS extract name (epraccur, etr, ets, eccg, …)")
        if kind == "successions":
            self.add_successions(path)
            return
        rows = _rows(path)
        first = next(rows, None)
        if first is None:
            self._record(kind, path, 0, None)
            return
        at_code, at_open, at_close = 0, 10, 11
        at_setting = _AT_SETTING if kind == "gp_practices" else -1
        at_roles: list[int] = []
        at_successor = at_succ_date = -1
        header = _find(first, _HEAD_CODE)
        pending: list[list[str]] = []
        if header is not None:
            at_code = header
            found_open, found_close = _find(first, _HEAD_OPEN), _find(first, _HEAD_CLOSE)
            at_open = -1 if found_open is None else found_open
            at_close = -1 if found_close is None else found_close
            found = _find(first, _HEAD_SETTING)
            at_setting = -1 if found is None else found
            low = [h.strip().lower() for h in first]
            at_roles = [i for i, h in enumerate(low) if h in _HEAD_ROLES]
            found = _find(first, _HEAD_SUCCESSOR)
            at_successor = -1 if found is None else found
            found = _find(first, _HEAD_SUCC_DATE)
            at_succ_date = -1 if found is None else found
        else:
            pending.append(first)
        count, latest = 0, None
        settings: Counter[str] = Counter()
        practices = 0
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
            if 0 <= at_setting < len(row):
                settings[row[at_setting].strip()] += 1
            if at_roles and kind != "gp_practices":
                roles = {m.upper() for i in at_roles if i < len(row) for m in _ROLE.findall(row[i])}
                if roles & GP_ROLES:       # a GP practice or prescribing cost centre in another file
                    self._add("gp_practices", code, (opened, closed))
                    practices += 1
            if 0 <= at_successor < len(row) and row[at_successor].strip():
                when = _date(row[at_succ_date]) if 0 <= at_succ_date < len(row) else None
                self.add_successor(code, row[at_successor], when if when is not None else closed)
        note = None
        if kind == "gp_practices" and settings:
            proper = settings.get(_GP_SETTING, 0)
            note = f"{proper} GP practices (prescribing setting 4), {count - proper} other prescribing cost centres"
        elif practices:
            note = f"{practices} GP practices or prescribing cost centres by their role"
        self._record(kind, path, count, latest, note)

    def add_successions(self, path: str | PathLike) -> None:
        """Read an ODS successions file (``succ``, ``succarc``): headerless, each row a predecessor,
        its successor, then the day the succession took effect (the first date among the next
        cells); or with a header row (predecessor, successor and effective-date columns by name)."""
        path = Path(fspath(path))
        rows = _rows(path)
        first = next(rows, None)
        count, latest = 0, None
        if first is None:
            self._record("successions", path, 0, None)
            return
        at_old, at_new, at_date = 0, 1, -1
        pending: list[list[str]] = [first]
        if _find(first, _HEAD_SUCCESSOR) is not None:
            pending = []
            at_new = _find(first, _HEAD_SUCCESSOR) or 0
            at_old = next((i for i in (_find(first, (n,)) for n in _HEAD_PREDECESSOR) if i is not None and i != at_new), 0)
            found = _find(first, _HEAD_SUCC_DATE)
            at_date = -1 if found is None else found
        for row in (*pending, *rows) if pending else rows:
            if len(row) <= max(at_old, at_new) or not row[at_old].strip() or not row[at_new].strip():
                continue
            if at_date >= 0:
                when = _date(row[at_date]) if at_date < len(row) else None
            else:
                when = next((d for d in map(_date, row[2:]) if d is not None), None)
            if when is not None and (latest is None or when > latest):
                latest = when
            self.add_successor(row[at_old], row[at_new], when)
            count += 1
        self._record("successions", path, count, latest)

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

    def _record(self, kind: str, path: Path, entries: int, latest: _dt.date | None, note: str | None = None) -> None:
        try:
            mtime = _dt.date.fromtimestamp(path.stat().st_mtime)
        except OSError:
            mtime = None
        words = ", ".join(x for x in (f"file of {mtime}" if mtime else "",
                                      f"latest date in it {latest}" if latest else "", note or "") if x) or None
        label = {"gp_practices": "GP practices", "sites": "sites", "organisations": "organisations",
                 "postcodes": "postcodes", "successions": "successions"}[kind]
        self.files.append(ReferenceFile(kind=label, name=path.name, edition=words, entries=entries))

    # ------------------------------------------------------------------ answering

    _ODS_KINDS = ("organisations", "gp_practices", "sites")

    def _spans(self, code: str, kinds: tuple[str, ...]) -> list[_Span]:
        return [span for k in kinds for span in self.codes.get(k, {}).get(code, ())]

    @staticmethod
    def _live(spans: list[_Span], on: _dt.date | None) -> bool:
        if on is None:
            return bool(spans)
        return any((o is None or o <= on) and (c is None or c >= on) for o, c in spans)

    def successor_at(self, code: str, on: _dt.date | None) -> str:
        """The code that answers for *code* on *on*, as DSP follows successions: while the
        organisation had closed before that day and exactly one successor was in force by then,
        its successor (as many steps as the successions go); else *code* itself."""
        code = code.strip().upper()
        if on is None:
            return code
        seen = {code}
        while True:
            spans = self._spans(code, self._ODS_KINDS)
            if not spans or not all(c is not None and c < on for _, c in spans):
                return code                       # unknown, or not closed by then
            links = {s for s, when in self.successors.get(code, ()) if when is None or when <= on}
            if len(links) != 1:
                return code
            (code,) = links
            if code in seen:                      # a loop in the data: stop where it started again
                return code
            seen.add(code)

    def _current(self, kind: str, code: str, on: _dt.date | None) -> bool | None:
        if self.codes.get(kind) is None:
            return None
        return self._live(self._spans(code, (kind,)), on)

    def organisation_exists(self, code: str, on: _dt.date | None) -> bool | None:
        """Whether *code* is an ODS record (of any kind) live on *on*, successions not followed;
        None when no organisation file was given."""
        if self.codes.get("organisations") is None:
            return None
        return self._live(self._spans(code.strip().upper(), self._ODS_KINDS), on)

    def gp_practice_exists(self, code: str, on: _dt.date | None) -> bool | None:
        """Whether *code* (or its successor in force on *on*) is a GP practice or prescribing cost
        centre live on *on*; None when no GP practice file was given."""
        if self.codes.get("gp_practices") is None:
            return None
        return self._current("gp_practices", self.successor_at(code, on), on)

    def site_exists(self, code: str, on: _dt.date | None) -> bool | None:
        """Whether *code* (or its successor in force on *on*) is an ODS record of any kind live on
        *on*; None when no site file was given."""
        if self.codes.get("sites") is None:
            return None
        return self._live(self._spans(self.successor_at(code, on), self._ODS_KINDS), on)

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
        elif ods_kind(path.stem) == "successions":
            ref.add_successions(path)
        elif ods_kind(path.stem) is not None:
            ref.add_ods(path)
    if not ref.files:
        raise InputError(f"{folder}: no reference file in it (ODS extracts such as epraccur.csv, etr.csv, ets.csv, "
                         "eccg.csv, or an ONS Postcode Directory CSV)")
    return ref
