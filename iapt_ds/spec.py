"""Load the declarative IAPT spec of a version (``spec/iapt-v2.0/*.yaml``, and ``spec/iapt-v2.1/``,
a delta on it) into frozen attrs objects.

The YAML is the single source of truth for tables, fields, keys, relationships, code lists and the
rules (382 in v2.0, 410 in v2.1). A version written as a delta (``extends:``) is merged onto its
base on the raw YAML first (:mod:`iapt_ds._spec_delta`); the result is loaded like any other.
Loading checks it thoroughly: an unknown table, field, kind, parameter or key, or a field of
another table that the rule's kind cannot reach, is a :class:`~iapt_ds.errors.SpecError` naming
the file and the entry.

>>> spec = load_spec()
>>> spec.tables["IDS001"].name
'IDS001MPI'
>>> spec.rules["IDS00211"].kind
'date_compare'
>>> len(load_spec(version="2.1").tables)
21
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import attrs

from ._spec_delta import Docs, read_docs
from .checks.base import Kind, ParamCheck, Phase
from .checks.catalogue import ALL_KINDS, kinds_for
from .errors import SpecError, UsageError

__all__ = [
    "AssessmentTool",
    "CodeList",
    "FieldSpec",
    "FileRuleSpec",
    "RuleSpec",
    "Severity",
    "Spec",
    "TableRuleSpec",
    "TableSpec",
    "Window",
    "FILE_KINDS",
    "SEVERITIES",
    "FIELD_TYPES",
    "load_spec",
    "spec_path",
]



class Severity(str, enum.Enum):
    """SDCS's four outcome levels, most serious first. A ``str``: ``Severity.FILE == "file"``, and
    it is written as its value (``"file"``) in every report."""

    FILE = "file"
    GROUP = "group"
    RECORD = "record"
    WARNING = "warning"

    @property
    def rejects(self) -> bool:
        return self is not Severity.WARNING

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
FIELD_TYPES = ("text", "integer", "decimal", "date", "time", "datetime")
STATUSES = ("M", "R", "O")

#: the kinds of the rules about the file as a whole (:class:`FileRuleSpec`): those the structure,
#: mandatory-table and file-outcome phases run (read from the kind objects)
FILE_KINDS = frozenset(name for name, k in ALL_KINDS.items()
                       if k.phase in (Phase.STRUCTURE, Phase.MANDATORY, Phase.OUTCOME))

_UPLOAD_ITEMS = ("period_start", "period_end", "provider", "sender", "submitted_at")
_REFERENCE_KEYS = ("organisations", "gp_practices", "sites", "postcodes")
_RULE_KEYS = ("code", "severity", "table", "fields", "kind", "params", "status", "placeholder",
              "message", "note", "examples")
_EXAMPLE_SPECIAL = ("_rows", "_all", "_context", "_drop_column", "_drop_table", "_add_column")
#: a failing example's list of every code it fires (absent: the rule's own code alone)
_FIRES = "_fires"


def _frozen_map(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


@attrs.frozen
class FieldSpec:
    """One submitted column of a table."""

    table: str
    index: int
    name: str
    item: str
    label: str
    uid: str
    type: str
    format: str
    status: str
    min_length: int | None = None
    max_length: int | None = None
    format_rule: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.name}"


@attrs.frozen
class TableSpec:
    """One of the 19 IDB tables."""

    id: str
    name: str
    title: str
    row_is: str
    key: tuple[str, ...]
    parent: tuple[str, str] | None
    fields: tuple[FieldSpec, ...]
    field_map: Mapping[str, FieldSpec] = attrs.field(eq=False, repr=False)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@attrs.frozen
class CodeList:
    """A value set (case-sensitive)."""

    name: str
    codes: tuple[str, ...]
    meanings: Mapping[str, str] = attrs.field(eq=False, repr=False)

    def __contains__(self, value: object) -> bool:
        return value in self._set

    @functools.cached_property
    def _set(self) -> frozenset[str]:  # pragma: no cover - trivial
        return frozenset(self.codes)


@attrs.frozen
class AssessmentTool:
    """An accepted CodedAssToolType and the scores it allows."""

    code: str
    tool: str
    format: str
    format_text: str
    range: tuple[float, float] | None = None
    values: tuple[str, ...] | None = None
    #: a name rules use for a set of tools (``PEQ``), or None
    group: str | None = None

    @property
    def expected(self) -> str:
        if self.range is not None:
            lo, hi = self.range
            return f"{self.tool}: {lo:g} to {hi:g}"
        return f"{self.tool}: one of {', '.join(self.values or ())}"


@attrs.frozen
class RuleSpec:
    """One rule code as declared in ``spec/iapt-v2.0/rules/*.yaml``: a :class:`TableRuleSpec`
    (checked over a table's rows) or a :class:`FileRuleSpec` (about the file as a whole)."""

    code: str
    severity: Severity = attrs.field(converter=Severity)
    table: str | None
    fields: tuple[str, ...]
    kind: str
    params: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    message: str = attrs.field(eq=False, repr=False)
    status: str = "confirmed"
    placeholder: bool = False
    note: str | None = attrs.field(default=None, eq=False, repr=False)
    examples: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    source: str = attrs.field(default="", eq=False, repr=False)
    #: for each failing example (in order), every code validating it gives: its ``_fires`` list,
    #: or the rule's own code alone; empty for a rule a delta version inherits unchanged (its
    #: examples' codes were measured on the base version's bundled example)
    fires: tuple[frozenset[str], ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def field(self) -> str | None:
        return self.fields[0] if self.fields else None

    @property
    def rejects(self) -> bool:
        """True for the three error levels (a warning keeps the row)."""
        return self.severity is not Severity.WARNING


@attrs.frozen
class TableRuleSpec(RuleSpec):
    """A rule checked over the rows of its table (a row rule, uniqueness, a rule on other rows
    still accepted, or a cascade rule): it always has a table."""

    table: str = attrs.field(kw_only=True)


@attrs.frozen
class FileRuleSpec(RuleSpec):
    """A rule about the file as a whole (its kind is one of :data:`FILE_KINDS`): the structure,
    the mandatory tables, the header, the period, every referral rejected."""


def rule_spec(**fields: Any) -> RuleSpec:
    """A :class:`FileRuleSpec` or a :class:`TableRuleSpec`, as the rule's kind says."""
    if fields["kind"] in FILE_KINDS:
        return FileRuleSpec(**fields)
    if fields.get("table") is None:
        raise SpecError.at(fields.get("source") or "rules/", f"{fields['code']}.table",
                           f"a rule of kind {fields['kind']!r} checks a table's rows, so it needs a table")
    return TableRuleSpec(**fields)


@attrs.frozen
class Window:
    """An SDCS submission window and the reporting periods (YYYY-MM) it accepts. *names* are what
    the window is called for the period it first takes and for the ones it takes again: Primary
    and Refresh, Provisional and Performance from August 2023."""

    opens: _dt.date
    closes: _dt.date
    periods: tuple[str, ...]
    names: tuple[str, str] = ("Primary", "Refresh")


@attrs.frozen(eq=False)
class Spec:
    """The whole dataset definition (compared and hashed by identity: one object per folder)."""

    name: str
    version: str
    dataset_version: str
    periods: tuple[str, str]
    month_id_origin: str
    header: str
    tables: Mapping[str, TableSpec] = attrs.field(repr=False)
    table_names: Mapping[str, str] = attrs.field(repr=False)
    mandatory_tables: Mapping[str, str] = attrs.field(repr=False)
    cascade: tuple[str, ...] = attrs.field(repr=False)
    pipeline_rules: tuple[str, ...] = attrs.field(repr=False)
    codelists: Mapping[str, CodeList] = attrs.field(repr=False)
    assessment_tools: Mapping[str, AssessmentTool] = attrs.field(repr=False)
    rules: Mapping[str, RuleSpec] = attrs.field(repr=False)
    #: the kinds of this spec's version, by name (:mod:`iapt_ds.checks.catalogue`)
    kinds: Mapping[str, Kind] = attrs.field(repr=False)
    severity_counts: Mapping[str, int] = attrs.field(repr=False)
    windows: tuple[Window, ...] = attrs.field(repr=False)
    path: str = attrs.field(repr=False, eq=False)
    #: kind of identifier (nhs_number, local_patient_id, postcode, birth_date) -> the fields that
    #: hold it: what redaction masks
    sensitive: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def sensitive_fields(self) -> frozenset[str]:
        """The names of every field that identifies a person."""
        return frozenset(name for names in self.sensitive.values() for name in names)

    def table(self, ref: str) -> TableSpec:
        """A table by id (``IDS001``) or IDB name (``IDS001MPI``, any case)."""
        t = self.tables.get(ref) if isinstance(ref, str) else None
        if t is None and isinstance(ref, str):
            t = self.tables.get(self.table_names.get(ref.lower(), ""))
        if t is None:
            from .errors import UnknownNameError

            raise UnknownNameError(f"no table {ref!r} in IAPT v{self.version}; give a table id or IDB name "
                                   f"(IDS001 or IDS001MPI), one of {', '.join(self.tables)}")
        return t

    def rules_for(self, table: str) -> tuple[RuleSpec, ...]:
        return tuple(r for r in self.rules.values() if r.table == table)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Pretty printers (IPython's, Hypothesis's) show the short repr: theirs would walk every
        table, rule and code list (over 100 kB)."""
        printer.text(repr(self))


# --------------------------------------------------------------------------------------- loading

def spec_path(version: str = "2.0") -> Path:
    """The folder holding the spec YAML (inside the installed package, or the source checkout)."""
    name = f"iapt-v{version}"
    here = Path(__file__).resolve().parent
    for candidate in (here / "spec" / name, here.parent / "spec" / name):
        if candidate.is_dir():
            return candidate
    raise SpecError(f"no spec folder {name!r} found beside the package (looked in {here / 'spec'} "
                    f"and {here.parent / 'spec'})")


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Spec:
    folder = Path(path)
    return _Loader(folder, read_docs(folder, spec_path)).load()


def load_spec(path: str | Path | None = None, *, version: str | None = None) -> Spec:
    """Load and check the spec of a folder (*path*) or of a bundled version (``"2.0"``, ``"2.1"``);
    with neither, v2.0. A folder whose ``dataset.yaml`` says ``extends:`` is merged onto that
    version first (:mod:`iapt_ds._spec_delta`). The result is cached per folder."""
    if path is not None and version is not None:
        raise UsageError("load_spec takes a folder or a version, not both")
    if version is not None and not isinstance(version, str):
        raise UsageError(f"version must be a string such as '2.1', got {version!r}")
    folder = Path(path) if path is not None else spec_path(version or "2.0")
    return _load_cached(str(folder.resolve()))


class _Loader:
    def __init__(self, folder: Path, docs: Docs) -> None:
        self.folder = folder
        self.docs = docs

    # -- helpers -----------------------------------------------------------------------------
    def fail(self, file: str, entry: str, what: str) -> SpecError:
        return SpecError.at(file, entry, what)

    def keys(self, file: str, entry: str, d: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(d, dict):
            raise self.fail(file, entry, f"expected a mapping, got {type(d).__name__}")
        unknown = sorted(set(d) - set(allowed))
        if unknown:
            raise self.fail(file, entry, f"unknown key(s) {unknown}; allowed: {list(allowed)}")
        missing = [k for k in required if k not in d]
        if missing:
            raise self.fail(file, entry, f"missing key(s) {missing}")
        return d

    def text(self, file: str, entry: str, v: Any, what: str) -> str:
        if not isinstance(v, str) or not v:
            raise self.fail(file, entry, f"{what} must be a non-empty quoted string, got {v!r}")
        return v

    # -- parts -------------------------------------------------------------------------------
    def load(self) -> Spec:
        docs = self.docs
        ds_file = docs.file_of("dataset", "name", "dataset.yaml")
        required = ("name", "version", "dataset_version", "periods", "month_id_origin", "header", "cascade",
                    "pipeline_rules", "severity_counts")
        ds = self.keys(ds_file, "dataset", docs.dataset, required + ("sensitive",), required)
        self.kinds = kinds_for(str(ds["version"]))
        tables = self.load_tables()
        codelists = self.load_codelists()
        tools = self.load_tools()
        rules = self.load_rules(tables, codelists)
        tables = self.widths(tables, rules)

        if ds["header"] not in tables:
            raise self.fail(docs.file_of("dataset", "header", ds_file), "header", f"unknown table {ds['header']!r}")
        # the tables that must hold a row: one table_not_empty rule each (IDSREJ002-005 in v2.0)
        mandatory = {r.table: r.code for r in rules.values() if r.kind == "table_not_empty" and r.table}
        cascade_file = docs.file_of("dataset", "cascade", ds_file)
        cascade = tuple(ds["cascade"])
        for code in cascade:
            if code not in rules or rules[code].kind != "has_related":
                raise self.fail(cascade_file, f"cascade.{code}", "is not a has_related rule")
        related = {c for c, r in rules.items() if r.kind == "has_related"}
        if related != set(cascade) or len(cascade) != len(set(cascade)):
            raise self.fail(cascade_file, "cascade", f"must list every has_related rule exactly once; differs by {sorted(related ^ set(cascade))}")
        for code in ds["pipeline_rules"]:
            if code not in rules:
                raise self.fail(docs.file_of("dataset", "pipeline_rules", ds_file), f"pipeline_rules.{code}", "unknown rule code")
        counts = {s: 0 for s in SEVERITIES}
        for r in rules.values():
            counts[r.severity] += 1
        if counts != ds["severity_counts"]:
            raise self.fail(docs.file_of("dataset", "severity_counts", ds_file), "severity_counts",
                            f"the rules give {counts}, the dataset says {ds['severity_counts']}")
        per = ds["periods"]
        self.keys(docs.file_of("dataset", "periods", ds_file), "periods", per, ("first", "last"), ("first", "last"))
        for t in tables.values():
            for f in t.fields:
                if f.format_rule and (f.format_rule not in rules):
                    raise self.fail(docs.file_of("table", t.id, "tables.yaml"), f"{t.id}.{f.name}",
                                    f"format_rule {f.format_rule!r} is not a rule")
        return Spec(
            name=ds["name"], version=str(ds["version"]), dataset_version=str(ds["dataset_version"]),
            periods=(str(per["first"]), str(per["last"])), month_id_origin=str(ds["month_id_origin"]),
            header=ds["header"], tables=_frozen_map(tables),
            table_names=_frozen_map({t.name.lower(): t.id for t in tables.values()} | {t.id.lower(): t.id for t in tables.values()}),
            mandatory_tables=_frozen_map(mandatory), cascade=cascade,
            pipeline_rules=tuple(ds["pipeline_rules"]), codelists=_frozen_map(codelists),
            assessment_tools=_frozen_map(tools), rules=_frozen_map(rules), kinds=self.kinds,
            severity_counts=_frozen_map(counts), windows=self.load_windows(), path=str(self.folder),
            sensitive=self.load_sensitive(ds_file, ds.get("sensitive"), tables),
        )

    def load_sensitive(self, file: str, raw: Any, tables: Mapping[str, TableSpec]) -> Mapping[str, tuple[str, ...]]:
        """``sensitive:``: kind of identifier -> the field names that hold it (each a field of
        some table)."""
        if raw is None:
            return _frozen_map({})
        if not isinstance(raw, dict):
            raise self.fail(file, "sensitive", "expected a mapping of identifier kind to a list of field names")
        known = {f.name for t in tables.values() for f in t.fields}
        out: dict[str, tuple[str, ...]] = {}
        for kind, names in raw.items():
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise self.fail(file, f"sensitive.{kind}", "expected a non-empty list of field names")
            unknown = [n for n in names if n not in known]
            if unknown:
                raise self.fail(file, f"sensitive.{kind}", f"no table has the field(s) {unknown}")
            out[str(kind)] = tuple(names)
        return _frozen_map(out)

    def load_tables(self) -> dict[str, TableSpec]:
        raw = self.docs.tables
        tables: dict[str, TableSpec] = {}
        for tid, t in raw.items():
            file = self.docs.file_of("table", tid, "tables.yaml")
            if not re.fullmatch(r"IDS\d{3}", str(tid)):
                raise self.fail(file, str(tid), "table ids look like IDS001")
            self.keys(file, tid, t, ("name", "title", "row_is", "parent", "key", "fields"),
                      ("name", "title", "row_is", "key", "fields"))
            fields = []
            for i, f in enumerate(t["fields"] or ()):
                entry = f"{tid}.fields[{i}]"
                self.keys(file, entry, f, ("name", "item", "label", "uid", "type", "format", "status", "min_length",
                                          "max_length", "format_rule"),
                          ("name", "item", "label", "uid", "type", "format", "status"))
                name = self.text(file, entry, f["name"], "name")
                if f["type"] not in FIELD_TYPES:
                    raise self.fail(file, f"{tid}.{name}", f"unknown type {f['type']!r}; one of {FIELD_TYPES}")
                if f["status"] not in STATUSES:
                    raise self.fail(file, f"{tid}.{name}", f"unknown status {f['status']!r}; one of {STATUSES}")
                for k in ("min_length", "max_length"):
                    if k in f and (not isinstance(f[k], int) or f[k] < 0):
                        raise self.fail(file, f"{tid}.{name}", f"{k} must be a whole number")
                fields.append(FieldSpec(table=tid, index=i, name=name, item=str(f["item"]), label=str(f["label"]),
                                        uid=str(f["uid"]), type=f["type"], format=str(f["format"]),
                                        status=f["status"], min_length=f.get("min_length"),
                                        max_length=f.get("max_length"), format_rule=f.get("format_rule")))
            names = [f.name for f in fields]
            if len(set(names)) != len(names):
                raise self.fail(file, tid, "a field name appears twice")
            fmap = {f.name: f for f in fields}
            for k in t["key"]:
                if k not in fmap:
                    raise self.fail(file, f"{tid}.key", f"unknown field {k!r}")
            parent = None
            if t.get("parent") is not None:
                p = self.keys(file, f"{tid}.parent", t["parent"], ("table", "key"), ("table", "key"))
                parent = (p["table"], p["key"])
            tables[tid] = TableSpec(id=tid, name=self.text(file, tid, t["name"], "name"), title=str(t["title"]),
                                    row_is=str(t["row_is"]), key=tuple(t["key"]), parent=parent,
                                    fields=tuple(fields), field_map=_frozen_map(fmap))
        for tid, t in tables.items():
            if t.parent:
                pt, pk = t.parent
                if pt not in tables or pk not in tables[pt].field_map or pk not in t.field_map:
                    raise self.fail(self.docs.file_of("table", tid, "tables.yaml"), f"{tid}.parent",
                                    f"{pt}.{pk} must be a field of both tables")
        for tid in tables:  # a parent chain ends at a table without a parent
            seen, cur = [tid], tables[tid].parent
            while cur is not None:
                if cur[0] in seen:
                    raise self.fail(self.docs.file_of("table", tid, "tables.yaml"), f"{tid}.parent",
                                    f"the parents go round in a circle: {' -> '.join(seen + [cur[0]])}")
                seen.append(cur[0])
                cur = tables[cur[0]].parent
        return tables

    def widths(self, tables: dict[str, TableSpec], rules: dict[str, RuleSpec]) -> dict[str, TableSpec]:
        """A text field's width has one home: its ``length`` rule where it has one (which is what
        the engine enforces), else ``min_length``/``max_length`` in tables.yaml. Declaring both is
        an error; the FieldSpec carries the width either way."""
        by_field: dict[tuple[str, str], list[RuleSpec]] = {}
        for r in rules.values():
            if r.kind == "length" and r.table and r.field:
                by_field.setdefault((r.table, r.field), []).append(r)
        out = {}
        for tid, t in tables.items():
            fields = []
            for f in t.fields:
                rs = by_field.get((tid, f.name))
                if rs:
                    if f.min_length is not None or f.max_length is not None:
                        raise self.fail(self.docs.file_of("table", tid, "tables.yaml"), f"{tid}.{f.name}",
                                        f"the width is declared twice: here and in rule {rs[0].code} "
                                        f"({rs[0].source}); keep the rule's and drop min_length/max_length")
                    lo = max(r.params["min"] for r in rs)
                    f = attrs.evolve(f, min_length=lo or None, max_length=min(r.params["max"] for r in rs))
                fields.append(f)
            out[tid] = attrs.evolve(t, fields=tuple(fields), field_map=_frozen_map({f.name: f for f in fields}))
        return out

    def load_windows(self) -> tuple[Window, ...]:
        file = self.docs.file_of("calendar", "windows", "calendar.yaml")
        raw = self.keys(file, "top level", self.docs.calendar, ("windows",), ("windows",))
        out = []
        for i, w in enumerate(raw["windows"] or ()):
            entry = f"windows[{i}]"
            self.keys(file, entry, w, ("opens", "closes", "periods", "names"), ("opens", "closes", "periods"))
            try:
                opens, closes = _dt.date.fromisoformat(w["opens"]), _dt.date.fromisoformat(w["closes"])
            except (TypeError, ValueError):
                raise self.fail(file, entry, "opens and closes are quoted dates YYYY-MM-DD") from None
            for p in w["periods"]:
                if not isinstance(p, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", p):
                    raise self.fail(file, entry, f"periods are quoted YYYY-MM, got {p!r}")
            names = w.get("names", ["Primary", "Refresh"])
            if not (isinstance(names, list) and len(names) == 2 and all(isinstance(n, str) and n for n in names)):
                raise self.fail(file, entry, f"names is a list of two names (first, again), got {names!r}")
            out.append(Window(opens=opens, closes=closes, periods=tuple(w["periods"]), names=(names[0], names[1])))
        return tuple(out)

    def load_codelists(self) -> dict[str, CodeList]:
        # the header's DatSetVer takes one value, the dataset's own version: one home for it
        ds_file = self.docs.file_of("dataset", "dataset_version", "dataset.yaml")
        version = self.text(ds_file, "dataset_version", self.docs.dataset.get("dataset_version"), "dataset_version")
        if "DatSetVer" in self.docs.codelists:
            raise self.fail(self.docs.file_of("codelist", "DatSetVer", "codelists.yaml"), "DatSetVer",
                            f"this list is dataset_version in {ds_file}; do not declare it again")
        out = {"DatSetVer": CodeList(name="DatSetVer", codes=(version,), meanings=_frozen_map({}))}
        for name, c in self.docs.codelists.items():
            file = self.docs.file_of("codelist", name, "codelists.yaml")
            self.keys(file, name, c, ("codes", "meanings"), ("codes",))
            codes = c["codes"]
            if not isinstance(codes, list) or not codes or not all(isinstance(x, str) for x in codes):
                raise self.fail(file, name, "codes must be a list of quoted strings (write '01', not 01)")
            if len(set(codes)) != len(codes):
                raise self.fail(file, name, "a code appears twice")
            meanings = c.get("meanings") or {}
            for k in meanings:
                if k not in codes:
                    raise self.fail(file, f"{name}.meanings", f"{k!r} is not one of the codes")
            out[name] = CodeList(name=name, codes=tuple(codes), meanings=_frozen_map(meanings))
        return out

    def load_tools(self) -> dict[str, AssessmentTool]:
        out = {}
        for code, t in self.docs.tools.items():
            file = self.docs.file_of("tool", code, "assessment_tools.yaml")
            if not isinstance(code, str) or not code.isdigit():
                raise self.fail(file, str(code), "tool codes are quoted SNOMED CT ids")
            self.keys(file, code, t, ("tool", "range", "values", "format", "format_text", "group"),
                      ("tool", "format", "format_text"))
            if "group" in t:
                self.text(file, code, t["group"], "group")
            if ("range" in t) == ("values" in t):
                raise self.fail(file, code, "give exactly one of range or values")
            try:
                re.compile(t["format"])
            except re.error as exc:
                raise self.fail(file, code, f"format is not a valid regex: {exc}") from None
            rng = cast("tuple[float, float]", tuple(float(x) for x in t["range"])) if "range" in t else None
            vals = tuple(str(x) for x in t["values"]) if "values" in t else None
            out[code] = AssessmentTool(code=code, tool=t["tool"], format=t["format"], format_text=t["format_text"],
                                       range=rng, values=vals, group=t.get("group"))
        return out

    def load_rules(self, tables: dict[str, TableSpec], codelists: dict[str, CodeList]) -> dict[str, RuleSpec]:
        rules: dict[str, RuleSpec] = {}
        for file, raw in self.docs.rule_files:
            if not isinstance(raw, list):
                raise self.fail(file, "top level", "expected a list of rules")
            for i, r in enumerate(raw):
                entry = f"rule #{i + 1}"
                if isinstance(r, dict) and isinstance(r.get("code"), str):
                    entry = r["code"]
                self.keys(file, entry, r, _RULE_KEYS, ("code", "severity", "table", "fields", "kind", "message", "examples"))
                rule = self.check_rule(file, entry, r, tables, codelists)
                if rule.code in rules:
                    raise self.fail(file, rule.code, f"code already declared in {rules[rule.code].source}")
                rules[rule.code] = rule
        # an example's _fires is what it gives against its own version's bundled example: a rule a
        # delta inherits unchanged keeps its examples, but not what they fire (the delta says that)
        bases = tuple(f"{name}/" for name in self.docs.chain[:-1])
        for code, rule in list(rules.items()):
            if bases and rule.source.startswith(bases):
                rules[code] = rule = attrs.evolve(rule, fires=())
            for i, codes in enumerate(rule.fires):
                entry = f"{rule.code}.examples.fail[{i}]"
                unknown = sorted(codes - set(rules))
                if unknown:
                    raise self.fail(rule.source, entry, f"{_FIRES} names unknown codes {unknown}")
                if rule.code not in codes:
                    raise self.fail(rule.source, entry, f"{_FIRES} must list the rule's own code too")
        return dict(sorted(rules.items()))

    def check_rule(self, file, code, r, tables, codelists) -> RuleSpec:
        if not re.fullmatch(r"IDS\d{5}|IDSREJ\d{3}", code):
            raise self.fail(file, code, "codes look like IDS00211 or IDSREJ006")
        sev = r["severity"]
        if sev not in SEVERITIES:
            raise self.fail(file, code, f"unknown severity {sev!r}; one of {SEVERITIES}")
        if (sev == "file") != code.startswith("IDSREJ"):
            raise self.fail(file, code, "IDSREJ codes, and only they, have severity 'file'")
        table = r["table"]
        if table is not None and table not in tables:
            raise self.fail(file, code, f"unknown table {table!r}")
        if table is not None and code.startswith("IDS") and not code.startswith("IDSREJ") and code[:6] != table:
            raise self.fail(file, code, f"a row rule's code starts with its table, {table}")
        fields = r["fields"]
        if not isinstance(fields, list):
            raise self.fail(file, code, "fields must be a list")
        for f in fields:
            if table is None or f not in tables[table].field_map:
                raise self.fail(file, code, f"unknown field {f!r} of table {table}")
        kind = r["kind"]
        if kind not in self.kinds:
            raise self.fail(file, code, f"unknown kind {kind!r}; known kinds: {sorted(self.kinds)}")
        params = r.get("params") or {}
        schema = self.kinds[kind].params
        self.keys(file, f"{code}.params", params, tuple(schema), tuple(k for k, p in schema.items() if p.required))
        for k, v in params.items():
            types = schema[k].types
            if not isinstance(v, types) or (types == (int,) and isinstance(v, bool)):
                raise self.fail(file, f"{code}.params.{k}", f"expected {types[0].__name__}, got {v!r}")
        self.kinds[kind].check_params(params, _ParamCheck(self, file, code, table, tables, codelists))
        status = r.get("status", "confirmed")
        if status not in ("confirmed", "inferred"):
            raise self.fail(file, code, f"status must be confirmed or inferred, got {status!r}")
        message = self.text(file, code, r["message"], "message")
        try:
            message.format_map(_AnyKeys())
        except (ValueError, IndexError) as exc:
            raise self.fail(file, code, f"message is not a valid template: {exc}") from None
        examples, fires = self.check_examples(file, code, table, r["examples"], tables, kind,
                                              bool(r.get("placeholder")))
        return rule_spec(code=code, severity=sev, table=table, fields=tuple(fields), kind=kind,
                        params=_frozen_map(params), message=message, status=status,
                        placeholder=bool(r.get("placeholder", False)), note=r.get("note"),
                        examples=_frozen_map(examples), source=file, fires=fires)

    def ref(self, file, code, ref, table, tables, where: str = "", reach: str = "same") -> None:
        """A field reference: ``Field`` (same table) or ``IDSnnn.Field``.

        *reach* says which tables the kind can read: ``same`` (only the rule's own table),
        ``related`` (its own table, the header, or a table reached through the declared parents,
        as :meth:`~iapt_ds.checks.context.Context.related_values` reads them) or ``any``."""
        t, _, f = ref.rpartition(".")
        t = t or table
        entry = f"{code}.params.{where}" if where else code
        if t not in tables or f not in tables[t].field_map:
            raise self.fail(file, entry, f"unknown field reference {ref!r}")
        if reach == "any" or t == table:
            return
        if reach == "same":
            raise self.fail(file, entry, f"{ref!r} is a field of {t}; this kind reads only its own table, {table}")
        if t == self.docs.dataset.get("header"):
            return
        chain, cur = [table], tables[table].parent
        while cur is not None and cur[0] != t:
            chain.append(cur[0])
            cur = tables[cur[0]].parent
        if cur is None:
            raise self.fail(file, entry, f"{ref!r} cannot be reached from {table}: {t} is neither the header nor "
                                         f"a parent of {table} (its parents: {' -> '.join(chain)})")

    def check_examples(self, file, code, table, ex, tables, kind, placeholder) -> tuple[dict, tuple[frozenset[str], ...]]:
        self.keys(file, f"{code}.examples", ex, ("pass", "fail"), ("pass", "fail"))
        if not ex["pass"]:
            raise self.fail(file, f"{code}.examples", "needs at least one passing example")
        if not ex["fail"] and not placeholder:
            raise self.fail(file, f"{code}.examples", "needs at least one failing example (only placeholders may have none)")
        if ex["fail"] and placeholder:
            raise self.fail(file, f"{code}.examples", "a placeholder never fires, so it can have no failing example")
        fails, fires = [], []
        for i, e in enumerate(ex["fail"] or ()):
            entry = f"{code}.examples.fail[{i}]"
            if isinstance(e, dict) and _FIRES in e:
                e = dict(e)
                listed = e.pop(_FIRES)
                if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed) \
                        or len(set(listed)) != len(listed):
                    raise self.fail(file, entry, f"{_FIRES} is a list of codes, each once, got {listed!r}")
                fires.append(frozenset(listed))
            else:
                fires.append(frozenset({code}))
            fails.append(e)
        for outcome, examples in (("pass", ex["pass"]), ("fail", fails)):
            for i, e in enumerate(examples):
                self.check_example(file, f"{code}.examples.{outcome}[{i}]", table, e, tables)
        return {"pass": tuple(ex["pass"]), "fail": tuple(fails)}, tuple(fires)

    def check_example(self, file, entry, table, e, tables) -> None:
        if not isinstance(e, dict):
            raise self.fail(file, entry, "an example is a mapping")
        fields = tables[table].field_map if table else {}
        for k, v in e.items():
            if k in _EXAMPLE_SPECIAL:
                if k in ("_rows",):
                    if not isinstance(v, list):
                        raise self.fail(file, entry, "_rows is a list of overlays")
                    for j, row in enumerate(v):
                        self.check_example(file, f"{entry}._rows[{j}]", table, row, tables)
                elif k == "_all":
                    self.check_example(file, f"{entry}._all", table, v, tables)
                elif k == "_context":
                    self.check_context(file, entry, v, tables, table)
                elif k in ("_drop_column", "_add_column"):
                    t, _, f = str(v).partition(".")
                    if t not in tables or (k == "_drop_column" and f not in tables[t].field_map):
                        raise self.fail(file, entry, f"{k} needs TABLE.Field, got {v!r}")
                elif k == "_drop_table" and v not in tables:
                    raise self.fail(file, entry, f"unknown table {v!r}")
                continue
            if k not in fields:
                raise self.fail(file, entry, f"unknown field {k!r} of {table}")
            if v is not None and not isinstance(v, str):
                raise self.fail(file, entry, f"example values are quoted text or null, got {v!r} for {k}")

    def check_context(self, file, entry, ctx, tables, table=None) -> None:
        if not isinstance(ctx, dict):
            raise self.fail(file, entry, "_context is a mapping")
        for k, v in ctx.items():
            head, _, tail = k.partition(".")
            if head == "upload":
                if tail not in _UPLOAD_ITEMS:
                    raise self.fail(file, entry, f"unknown upload item {tail!r}")
            elif head == "reference_data":
                if tail not in _REFERENCE_KEYS:
                    raise self.fail(file, entry, f"unknown reference data {tail!r}")
            elif head in tables and not tail:
                if not isinstance(v, list):
                    raise self.fail(file, entry, f"_context.{k} is a list of overlays")
                if table is not None and (tables[head].parent or (None,))[0] != table:
                    raise self.fail(file, entry, f"_context.{k}: {head} is not a child table of {table}")
                for j, row in enumerate(v):
                    self.check_example(file, f"{entry}._context.{k}[{j}]", head, row, tables)
            elif head in tables and tail in tables[head].field_map:
                if v is not None and not isinstance(v, str):
                    raise self.fail(file, entry, f"_context.{k} must be quoted text or null")
                if table is not None and head not in (table, self.docs.dataset.get("header")):
                    cur = tables[table].parent
                    while cur is not None and cur[0] != head:
                        cur = tables[cur[0]].parent
                    if cur is None:
                        raise self.fail(file, entry, f"_context.{k}: {head} is neither the header nor a parent of {table}")
            else:
                raise self.fail(file, entry, f"unknown context key {k!r}")


class _ParamCheck(ParamCheck):
    """What a kind's ``check_params`` may ask while one rule loads."""

    def __init__(self, loader: _Loader, file: str, code: str, table: str | None,
                 tables: Mapping[str, TableSpec], codelists: Mapping[str, CodeList]) -> None:
        self.loader, self.file, self.code = loader, file, code
        self.table, self.tables, self.codelists = table, tables, codelists

    def fail(self, what: str) -> SpecError:
        return self.loader.fail(self.file, self.code, what)

    def ref(self, ref: str, where: str = "", reach: str = "same") -> None:
        self.loader.ref(self.file, self.code, ref, self.table, self.tables, where, reach)

    def field(self, table: str, name: str) -> None:
        if table not in self.tables:
            raise self.fail(f"unknown table {table!r}")
        if name not in self.tables[table].field_map:
            raise self.fail(f"unknown field {name!r} of table {table}")

    def keys(self, entry: str, d: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        return self.loader.keys(self.file, f"{self.code}.{entry}", d, allowed, required)


class _AnyKeys(dict):
    def __missing__(self, key: str) -> str:
        return ""
