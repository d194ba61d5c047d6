"""Which IAPT version's rules to run on a submission, and why: chosen as SDCS chooses it.

SDCS routes a file to a version's pipeline by the header's ``DatSetVer`` (IDS000, rule IDS00003):
``'2.0'`` runs the v2.0 rules, ``'2.1'`` the v2.1 rules. :func:`choose_version` does the same from
what a reader saw of the header before typing anything (:class:`HeaderPeek`), and records why:

* ``override`` — the caller named the version (``validate(..., version=)``, ``--dataset-version``);
* ``spec`` — the caller passed a :class:`~iapt_ds.spec.Spec`;
* ``header`` — the header's ``DatSetVer`` names a known version;
* ``period`` — the header is unreadable or names no known version: assumed from the reporting
  period (the header's ``ReportingPeriodStartDate``, else the upload's period);
* ``shape`` — no period either: assumed from the tables and columns the file has;
* ``default`` — nothing to go on (or the shape fits several versions as well): the default
  version, v2.0, as :func:`~iapt_ds.spec.load_spec` gives it.

What SDCS does with a ``DatSetVer`` that does not fit the reporting period (``2.0`` for April 2022
on, ``2.1`` before) or names no version is not public: the choice then carries a plain note saying
what was found and what was assumed (:attr:`VersionChoice.notes`); every report shows it.

>>> from iapt_ds.spec import load_spec
>>> specs = {"2.0": load_spec()}
>>> c = choose_version(HeaderPeek(declared=("2.0",), period="2021-03"), specs=specs)
>>> c.version, c.chosen_by, c.reason
('2.0', 'header', "DatSetVer in the header is '2.0'")
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .spec import Spec

__all__ = ["HeaderPeek", "VersionChoice", "choose_version", "known_versions", "specs_by_version",
           "shape_differences", "period_text"]

CHOSEN_BY = ("override", "spec", "header", "period", "shape", "default", "submission")
#: the version assumed when nothing tells which (what ``load_spec()`` loads)
DEFAULT_VERSION = "2.0"


@attrs.frozen
class HeaderPeek:
    """What a reader saw before typing: the header's DatSetVer values and period, and the shape.

    *declared* is None when there is no header table, else one entry per header row (None where
    DatSetVer is blank or the column is missing). *period* is the header's first
    ReportingPeriodStartDate as ``YYYY-MM`` (None when unreadable). *shape* maps each input table
    name to its column names, as the input spells them (matched case-insensitively), when the
    reader knows them.
    """

    declared: tuple[str | None, ...] | None = None
    period: str | None = None
    shape: Mapping[str, frozenset[str]] | None = None
    #: why the header could not be read, when it could not (no table, no rows, no column)
    problem: str | None = None
    #: False when *shape* knows the tables but not their columns (in-memory rows: a key no row
    #: has is NULL, not a missing column)
    columns_known: bool = True


@attrs.frozen
class VersionChoice:
    """The version whose rules ran, and why."""

    version: str                      # "2.0", "2.1"
    chosen_by: str                    # one of CHOSEN_BY
    reason: str                       # in words, e.g. "DatSetVer in the header is '2.1'"
    declared: str | None = None       # the header's DatSetVer as read (None when unreadable)
    period: str | None = None         # the reporting period the choice looked at (YYYY-MM)
    notes: tuple[str, ...] = ()       # mismatches found, each with what was assumed

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "chosen_by": self.chosen_by, "reason": self.reason,
                "declared": self.declared, "notes": list(self.notes)}


# --------------------------------------------------------------------------------------- helpers

def known_versions() -> tuple[str, ...]:
    """The versions whose spec ships with iapt-ds, oldest first (``('2.0', '2.1')``)."""
    from .spec import spec_path

    root = spec_path().parent
    found = [p.name[len("iapt-v"):] for p in root.iterdir() if p.is_dir() and p.name.startswith("iapt-v")
             and (p / "dataset.yaml").is_file()]
    return tuple(sorted(found, key=_version_key))


def _version_key(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"[.]", v))


def specs_by_version(versions: Iterable[str] | None = None) -> dict[str, Spec]:
    """version -> loaded Spec for every shipped version (or those named)."""
    from .spec import load_spec, spec_path

    return {v: load_spec(spec_path(v)) for v in (known_versions() if versions is None else versions)}


_PERIOD_TEXT = re.compile(r"\s*(\d{4})-(0[1-9]|1[0-2])(?:-\d{2})?(?:[T ].*)?\s*$")


def period_text(value: Any) -> str | None:
    """``YYYY-MM`` of a date, a date-time or text starting ``YYYY-MM``; None otherwise."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        m = _PERIOD_TEXT.match(value)
        if m:
            return f"{m.group(1)}-{m.group(2)}"
    return None


def _fits(spec: Spec, period: str, specs: Mapping[str, Spec] | None = None) -> bool:
    """Whether *period* is one of *spec*'s; the newest of *specs* covers every period from its
    first (its calendar ends where NHS Digital's published one does, not the version)."""
    first, last = spec.periods
    if specs and spec.version == max(specs, key=_version_key):
        return first <= period
    return first <= period <= last


def _by_period(specs: Mapping[str, Spec], period: str) -> str:
    """The version whose periods hold *period*; before the first, the oldest; after, the newest."""
    ordered = sorted(specs, key=_version_key)
    for v in ordered:
        if _fits(specs[v], period, specs):
            return v
    return ordered[0] if period < specs[ordered[0]].periods[0] else ordered[-1]


def _span(spec: Spec, specs: Mapping[str, Spec] | None = None) -> str:
    first, last = spec.periods
    if specs and spec.version == max(specs, key=_version_key):
        return f"reporting periods from {first}"
    return f"reporting periods {first} to {last}"


def shape_differences(spec: Spec, shape: Mapping[str, frozenset[str]], columns_known: bool = True
                      ) -> tuple[list[str], list[str], dict[str, tuple[list[str], list[str]]]]:
    """How a file's tables and columns differ from *spec*'s IDB: (tables missing, IDS tables the
    spec does not have, {table name: (columns missing, columns the spec does not have)}); the
    columns only when *columns_known*."""
    missing, extra, columns = [], [], {}
    known = {t.name.lower(): t for t in spec.tables.values()} | {t.id.lower(): t for t in spec.tables.values()}
    seen = set()
    for name, cols in shape.items():
        t = known.get(name.lower())
        if t is None:
            if re.match(r"(?i)ids\d{3}", name):
                extra.append(name)
            continue
        seen.add(t.id)
        if not columns_known:
            continue
        fields = {f.name.lower(): f.name for f in t.fields}
        given = {c.lower(): c for c in cols if c}
        lacks = [fields[c] for c in fields if c not in given]
        more = sorted(given[c] for c in given if c not in fields)
        if lacks or more:
            columns[t.name] = (lacks, more)
    missing = [t.name for t in spec.tables.values() if t.id not in seen]
    return missing, extra, columns


def _shape_score(spec: Spec, shape: Mapping[str, frozenset[str]], columns_known: bool = True) -> int:
    missing, extra, columns = shape_differences(spec, shape, columns_known)
    return len(missing) + len(extra) + sum(len(a) + len(b) for a, b in columns.values())


def _shape_words(spec: Spec, shape: Mapping[str, frozenset[str]], columns_known: bool = True) -> str:
    missing, extra, columns = shape_differences(spec, shape, columns_known)
    parts = []
    if missing:
        parts.append("it lacks the table" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
    if extra:
        parts.append("it has the table" + ("s " if len(extra) > 1 else " ") + ", ".join(extra)
                     + f", which the v{spec.version} IDB does not have")
    for name, (lacks, more) in columns.items():
        bits = []
        if lacks:
            bits.append("lacks " + ", ".join(lacks))
        if more:
            bits.append("has " + ", ".join(more) + f" (not in v{spec.version})")
        parts.append(f"{name} " + " and ".join(bits))
    return "; ".join(parts)


def _default(specs: Mapping[str, Spec]) -> str:
    """The default version (v2.0, what ``load_spec()`` gives) when it is among *specs*, else the oldest."""
    return DEFAULT_VERSION if DEFAULT_VERSION in specs else min(specs, key=_version_key)


def _best_shape(specs: Mapping[str, Spec], shape: Mapping[str, frozenset[str]],
                columns_known: bool = True) -> tuple[str, int]:
    """The version whose IDB the shape fits best, and its score (0: exactly); a tie goes to the
    default version, then to the older."""
    default = _default(specs)
    scored = sorted((_shape_score(s, shape, columns_known), v != default, _version_key(v), v) for v, s in specs.items())
    score, _, _, version = scored[0]
    return version, score


# --------------------------------------------------------------------------------------- choice

def choose_version(peek: HeaderPeek | None, *, specs: Mapping[str, Spec], override: str | None = None,
                   spec: Spec | None = None, upload_period: str | None = None) -> VersionChoice:
    """The version to run for a file whose header looks like *peek*.

    *specs* maps each version to its Spec; *override* is a version the caller named (it wins);
    *spec* a Spec the caller passed (it wins too); *upload_period* (``YYYY-MM``) the period chosen
    for the upload, used when the header gives none.
    """
    peek = peek or HeaderPeek(problem="the header was not read")
    values = [v.strip() for v in (peek.declared or ()) if v is not None and v.strip()]
    distinct = list(dict.fromkeys(values))
    declared = distinct[0] if len(distinct) == 1 else None
    by_dataset = {s.dataset_version: v for v, s in specs.items()}
    period, period_from = (peek.period, "the header") if peek.period else (upload_period, "the upload")
    notes: list[str] = []

    if spec is not None or override is not None:
        if spec is not None:
            version, chosen_by, reason = spec.version, "spec", f"the IAPT v{spec.version} spec was given"
        else:
            assert override is not None
            if override not in specs:
                raise UsageError(f"no IAPT version {override!r}; iapt-ds knows {', '.join(sorted(specs, key=_version_key))}")
            version, chosen_by, reason = override, "override", f"version {override} given explicitly (--dataset-version / version=)"
        target = spec if spec is not None else specs[version]
        if declared is not None and declared != target.dataset_version:
            notes.append(f"DatSetVer in the header is {declared!r}, but the v{version} rules ran because {reason}.")
        if period and not _fits(target, period, specs if spec is None else None):
            notes.append(f"The reporting period {period} (from {period_from}) is outside IAPT v{version}'s "
                         f"{_span(target, specs if spec is None else None)}; the v{version} rules ran because {reason}.")
        return VersionChoice(version, chosen_by, reason, declared=declared, period=period,
                             notes=tuple(notes) + _shape_note(specs, version, peek, "the chosen version"))

    if declared is not None and declared in by_dataset:
        version = by_dataset[declared]
        target = specs[version]
        if period and not _fits(target, period, specs):
            right = _by_period(specs, period)
            notes.append(
                f"DatSetVer {declared!r} names IAPT v{version}, which covers {_span(target, specs)}, but the reporting "
                f"period is {period} (from {period_from})" + (f", when SDCS expects v{right}" if right != version else "")
                + f". Assumed: the v{version} rules, as DatSetVer says (SDCS routes a file by its DatSetVer; "
                "what it does with this mismatch is not public).")
        return VersionChoice(version, "header", f"DatSetVer in the header is {declared!r}", declared=declared,
                             period=period, notes=tuple(notes) + _shape_note(specs, version, peek, f"DatSetVer {declared!r}"))

    # no usable DatSetVer: say why, then assume
    known = ", ".join(repr(s.dataset_version) for _, s in sorted(specs.items(), key=lambda kv: _version_key(kv[0])))
    if declared is not None:
        why = f"DatSetVer {declared!r} names no IAPT version iapt-ds knows ({known})"
    elif len(distinct) > 1:
        why = f"the header rows give different DatSetVer values ({', '.join(map(repr, distinct))})"
    elif peek.problem:
        why = f"header unreadable: {peek.problem}"
    else:
        why = "DatSetVer in the header is blank"
    if period:
        version = _by_period(specs, period)
        chosen_by = "period"
        reason = f"{why}; assumed from the reporting period {period} (from {period_from})"
    elif peek.shape:
        version, _ = _best_shape(specs, peek.shape, peek.columns_known)
        chosen_by = "shape"
        reason = f"{why} and no reporting period is known; assumed from the tables and columns the file has"
    else:
        version = _default(specs)
        chosen_by = "default"
        reason = f"{why} and no reporting period is known; assumed the default version, {version}"
    notes.append(f"{why[0].upper()}{why[1:]}. Assumed: the v{version} rules ({chosen_by_words(chosen_by)}); "
                 "what SDCS does with such a file is not public.")
    return VersionChoice(version, chosen_by, reason, declared=declared, period=period,
                         notes=tuple(notes) + _shape_note(specs, version, peek, "the assumed version"))


def chosen_by_words(chosen_by: str) -> str:
    return {"override": "given explicitly", "spec": "the spec given", "header": "from DatSetVer in the header",
            "period": "from the reporting period", "shape": "from the tables and columns",
            "default": "the default version", "submission": "the version the submission was read as"}[chosen_by]


def _shape_note(specs: Mapping[str, Spec], version: str, peek: HeaderPeek, by: str) -> tuple[str, ...]:
    """A note when the file's tables and columns fit another version better than the chosen one."""
    if not peek.shape or version not in specs or len(specs) < 2:
        return ()
    chosen = _shape_score(specs[version], peek.shape, peek.columns_known)
    best, score = _best_shape(specs, peek.shape, peek.columns_known)
    if best == version or score * 3 >= chosen:  # only a file clearly of the other version's shape
        return ()
    return (f"The tables and columns are those of the IAPT v{best} IDB, not v{version} ({by}): "
            f"against v{version}, {_shape_words(specs[version], peek.shape, peek.columns_known)}.",)


def structure_note(choice: VersionChoice) -> str | None:
    """The shape note of a choice (for the structure finding), if it has one."""
    return next((n for n in choice.notes if n.startswith("The tables and columns are those of")), None)


def sequence_or_none(values: Sequence[Any] | None) -> tuple[str | None, ...] | None:
    """DatSetVer cells as text (None for NULL); None when there is no header table."""
    if values is None:
        return None
    return tuple(None if v is None else str(v) for v in values)
