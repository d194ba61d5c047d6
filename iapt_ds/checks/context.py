"""What rules may look at besides their own row: the header, related rows, the upload, reference
data. Built once per validation; joins are hash indexes computed once and cached."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Protocol, runtime_checkable

import attrs

from ..errors import UnknownNameError, UsageError
from ..model import Submission, Table
from ..parse import Invalid, plain_column
from ..spec import Spec

__all__ = ["Upload", "ReferenceData", "ReferenceSets", "Context"]


@attrs.frozen
class Upload:
    """What SDCS takes from the upload itself rather than from the file."""

    period_start: _dt.date | None = None
    period_end: _dt.date | None = None
    provider: str | None = None
    sender: str | None = None
    submitted_at: _dt.datetime | None = None


@runtime_checkable
class ReferenceData(Protocol):
    """National reference data, supplied by the caller. Each method answers whether *code* is
    current on *on* (the reporting period's start); None means "cannot say" (not checked)."""

    def organisation_exists(self, code: str, on: _dt.date | None) -> bool | None: ...

    def gp_practice_exists(self, code: str, on: _dt.date | None) -> bool | None: ...

    def site_exists(self, code: str, on: _dt.date | None) -> bool | None: ...

    def postcode_exists(self, code: str, on: _dt.date | None) -> bool | None: ...


@attrs.frozen
class ReferenceSets:
    """Reference data as plain sets of current codes (no dates). A kind left as None is not
    checked. Postcodes are compared without spaces and case-insensitively."""

    organisations: frozenset[str] | None = attrs.field(default=None, converter=lambda v: None if v is None else frozenset(v))
    gp_practices: frozenset[str] | None = attrs.field(default=None, converter=lambda v: None if v is None else frozenset(v))
    sites: frozenset[str] | None = attrs.field(default=None, converter=lambda v: None if v is None else frozenset(v))
    postcodes: frozenset[str] | None = attrs.field(
        default=None, converter=lambda v: None if v is None else frozenset(p.replace(" ", "").upper() for p in v))

    @classmethod
    def from_json(cls, path) -> "ReferenceSets":
        """Load ``{"organisations": [...], "gp_practices": [...], "sites": [...], "postcodes": [...]}``
        (any subset) from a JSON file; raises InputError or UsageError with the reason."""
        import json
        from pathlib import Path

        from ..errors import InputError

        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        except ValueError as exc:
            raise UsageError(f"{path}: not valid JSON ({exc})") from None
        except RecursionError:
            raise UsageError(f"{path}: the JSON is nested too deeply to be reference data") from None
        kinds = ("organisations", "gp_practices", "sites", "postcodes")
        if not isinstance(data, dict) or set(data) - set(kinds):
            raise UsageError(f"{path}: expected an object with any of {', '.join(kinds)}")
        for k, v in data.items():
            if not isinstance(v, list) or not all(isinstance(c, str) for c in v):
                raise UsageError(f"{path}: {k} must be a list of codes (text)")
        return cls(**data)

    def organisation_exists(self, code, on):
        return None if self.organisations is None else code in self.organisations

    def gp_practice_exists(self, code, on):
        return None if self.gp_practices is None else code in self.gp_practices

    def site_exists(self, code, on):
        return None if self.sites is None else code in self.sites

    def postcode_exists(self, code, on):
        return None if self.postcodes is None else code.replace(" ", "").upper() in self.postcodes


def _plain(v: Any) -> Any:
    """A value usable in comparisons and joins: Invalid counts as NULL."""
    return None if type(v) is Invalid else v


class Context:
    """Everything a rule may consult, for one validation run."""

    def __init__(self, spec: Spec, submission: Submission, upload: Upload,
                 reference: ReferenceData | None) -> None:
        self.spec = spec
        self.submission = submission
        self.upload = upload
        self.reference = reference
        self.tables = submission.tables
        header = submission.header
        self.header_row = 0 if header.nrows else None
        self.rps = self._header_date("ReportingPeriodStartDate")
        self.rpe = self._header_date("ReportingPeriodEndDate")
        self._index_cache: dict[tuple[str, str], dict] = {}
        self._link_cache: dict[tuple[str, str], list] = {}
        self._related_cache: dict[tuple[str, str, str], list] = {}
        #: codes that could not be checked, with the reason
        self.not_checked: dict[str, str] = {}

    def _header_date(self, field: str) -> _dt.date | None:
        v = self.header_value(field)
        if isinstance(v, _dt.datetime):
            return v.date()
        return v if isinstance(v, _dt.date) else None

    def header_value(self, field: str) -> Any:
        """The header's value (its first row, as SDCS joins one header row); None without one."""
        if self.header_row is None:
            return None
        return _plain(self.submission.header.values[field][self.header_row])

    def first_index(self, table: str, key: str) -> dict:
        """key value -> index of the first row of *table* holding it (NULLs left out)."""
        cached = self._index_cache.get((table, key))
        if cached is None:
            col = self.tables[table].values[key]
            # assigning in reverse leaves each key on its first row
            cached = dict(zip(reversed(col), range(len(col) - 1, -1, -1)))
            cached.pop(None, None)
            if Invalid in set(map(type, cached)):  # (looked for in C)
                for k in [k for k in cached if type(k) is Invalid]:
                    del cached[k]
            self._index_cache[(table, key)] = cached
        return cached

    def link(self, table: str, target: str) -> list:
        """For each row of *table*, the index of its related row in *target* (or None), following
        the parent chain declared in the spec (IDS603 → IDS101 → IDS001)."""
        cached = self._link_cache.get((table, target))
        if cached is not None:
            return cached
        tspec = self.spec.tables.get(table)
        if tspec is None or target not in self.spec.tables:
            raise UnknownNameError(f"no table {table if tspec is None else target!r} in IAPT v{self.spec.version}; "
                                   f"the tables are {', '.join(self.spec.tables)}")
        above = self._above(table)
        if tspec.parent is None or target not in above[1:]:
            raise UsageError(f"{target} is not above {table} in the spec's parent chain "
                             f"({' -> '.join(above)}): a row can be linked only to the rows it belongs to")
        parent, key = tspec.parent
        index = self.first_index(parent, key)
        step: list = list(map(index.get, self.tables[table].values[key]))
        if parent != target:
            up = self.link(parent, target)
            if None in step:  # a row without a parent: none above either
                step = [up[j] if j is not None else None for j in step]
            else:
                step = list(map(up.__getitem__, step))
        self._link_cache[(table, target)] = step
        return step

    def _above(self, table: str) -> list[str]:
        """*table* and the tables above it, nearest first (for messages)."""
        chain = [table]
        while (p := self.spec.tables[chain[-1]].parent) is not None:
            chain.append(p[0])
        return chain

    def related_values(self, table: str, ref: str) -> list:
        """The values of ``OTHER.Field`` aligned with the rows of *table* (None where no related
        row exists). Header fields give the header's value on every row."""
        other_table, _, field = ref.rpartition(".")
        other_table = other_table or table
        n = self.tables[table].nrows
        if other_table == table:
            return plain_column(self.tables[table].values[field])
        if other_table == self.spec.header:
            return [self.header_value(field)] * n
        key = (table, other_table, field)
        cached = self._related_cache.get(key)
        if cached is None:
            idx = self.link(table, other_table)
            col = self.tables[other_table].values[field]
            plain = plain_column(col)
            if None in idx:  # a row without a related row: None
                plain.append(None)
                end = len(col)
                idx = [end if j is None else j for j in idx]
            cached = list(map(plain.__getitem__, idx))
            self._related_cache[key] = cached
        return cached

    def table(self, tid: str) -> Table:
        table = self.tables.get(tid)
        if table is None:
            raise UnknownNameError(f"no table {tid!r} in this submission; give a table id, one of {', '.join(self.tables)}")
        return table
