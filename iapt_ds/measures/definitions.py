"""The measures' definitions as data: ``measures.yaml`` in a spec folder, loaded and checked.

Thresholds, tool codes, caseness cut-offs, reliable-change values and the problem-descriptor →
anxiety-measure map are data of the dataset version, not Python. A version whose folder has no
``measures.yaml`` inherits its parent's (the folder its ``dataset.yaml`` ``extends:``), since no
change to these definitions was found between v2.0 and v2.1.

>>> d = load_definitions()
>>> d.measures["PHQ-9"].caseness.holds(10), d.measures["PHQ-9"].caseness.holds(9)
(True, False)
>>> d.descriptor_measure("F41.0"), d.descriptor_measure("F32.1")
('PDSS', None)
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from ..errors import SpecError
from ..spec import Spec, load_spec
from ..spec_yaml import NotYaml, parse

__all__ = ["Threshold", "Measure", "Definitions", "Explanation", "load_definitions", "STATUSES"]

FILE = "measures.yaml"
STATUSES = ("confirmed", "inferred", "guess")
_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
_OP_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}


@attrs.frozen
class Threshold:
    """A comparison with a fixed value: ``op`` is one of >=, >, <=, <."""

    op: str
    value: Decimal

    def holds(self, x: Decimal | int | float) -> bool:
        # an int or a Decimal compares exactly with the Decimal value
        return bool(_OPS[self.op](x, self.value))

    def words(self) -> str:
        return f"{_OP_WORDS[self.op]} {self.value}"

    def __str__(self) -> str:
        return f"{self.op} {self.value}"


@attrs.frozen
class Measure:
    """One scored outcome measure (PHQ-9, GAD-7, or an anxiety disorder specific measure)."""

    name: str
    tool: str                      # SNOMED CT CodedAssToolType
    caseness: Threshold
    reliable_change: Threshold
    status: str
    comparison_status: str
    note: str | None = None

    def at_caseness(self, score: Decimal | int) -> bool:
        return self.caseness.holds(score)

    def reliable(self, change: Decimal | int) -> bool:
        """Whether a change (positive: a fall in the score) is reliable."""
        return self.reliable_change.holds(change)


@attrs.frozen
class Explanation:
    """What ``iapt-ds explain MEASURE`` says."""

    name: str
    title: str
    definition: str
    status: str
    source: str


@attrs.frozen(eq=False)
class Definitions:
    """Everything :mod:`iapt_ds.measures` takes from ``measures.yaml``."""

    attended: frozenset[str]
    unplanned: str
    treatment_app_types: frozenset[str]
    assessment_app_types: frozenset[str]
    employment_support_procedure: str
    log_min_duration: Threshold
    logs_in_window: bool
    min_treatment_contacts: int
    measures: Mapping[str, Measure]
    depression: str
    fallback: str
    primary_significance: str
    icd10_scheme: str
    descriptor_codes: Mapping[str, str]         # ICD-10 code (a prefix) -> measure name
    min_scores: int
    six_weeks: int
    eighteen_weeks: int
    assessment_bands: tuple[int, ...]
    explanations: Mapping[str, Explanation]
    sources: Mapping[str, str]
    path: str
    raw: Mapping[str, Any] = attrs.field(repr=False)
    _memo: dict = attrs.field(factory=dict, repr=False, init=False)

    @functools.cached_property
    def by_tool(self) -> Mapping[str, Measure]:
        return MappingProxyType({m.tool: m for m in self.measures.values()})

    @functools.cached_property
    def _prefixes(self) -> tuple[tuple[str, str], ...]:
        # longest prefix first, so F41.0 wins over a hypothetical F41
        return tuple(sorted(((normalise_icd10(c), m) for c, m in self.descriptor_codes.items()),
                            key=lambda kv: -len(kv[0])))

    def descriptor_measure(self, code: str | None, scheme: str | None = None) -> str | None:
        """The anxiety measure of a problem descriptor, or None when it has none of its own
        (the fallback measure then applies). Only ICD-10 codes map to a measure."""
        key = (code, scheme)
        try:
            return self._memo[key]
        except KeyError:
            pass
        found = None
        if code is not None and (scheme is None or scheme == self.icd10_scheme):
            norm = normalise_icd10(code)
            for prefix, measure in self._prefixes:
                if norm.startswith(prefix):
                    found = None if measure == self.fallback else measure
                    break
        if len(self._memo) < 10_000:
            self._memo[key] = found
        return found


def normalise_icd10(code: str) -> str:
    """An ICD-10 code compared without its dot, spaces or case: ``f41.0`` → ``F410``."""
    return code.replace(".", "").replace(" ", "").upper()


def _fail(entry: str, what: str) -> SpecError:
    return SpecError(f"{FILE}: {entry}: {what}")


def _map(d: Any, entry: str, required: tuple[str, ...] = ()) -> dict:
    if not isinstance(d, dict):
        raise _fail(entry, f"expected a mapping, got {type(d).__name__}")
    missing = [k for k in required if k not in d]
    if missing:
        raise _fail(entry, f"missing key(s) {missing}")
    return d


def _codes(d: Any, entry: str) -> frozenset[str]:
    codes = _map(d, entry, ("codes",))["codes"]
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise _fail(entry, "codes must be a list of quoted strings")
    return frozenset(codes)


def _status(d: dict, entry: str, key: str = "status") -> str:
    s = d.get(key)
    if s not in STATUSES:
        raise _fail(entry, f"{key} must be one of {STATUSES}, got {s!r}")
    return s


def _threshold(d: Any, entry: str) -> Threshold:
    d = _map(d, entry, ("op", "value"))
    if d["op"] not in _OPS:
        raise _fail(entry, f"op must be one of {list(_OPS)}, got {d['op']!r}")
    if isinstance(d["value"], bool):
        raise _fail(entry, "value must be a number")
    try:
        value = Decimal(str(d["value"]))
    except InvalidOperation:
        raise _fail(entry, f"value must be a number, got {d['value']!r}") from None
    return Threshold(op=d["op"], value=value)


def _whole(d: dict, key: str, entry: str) -> int:
    v = d.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise _fail(entry, f"{key} must be a whole number, got {v!r}")
    return v


def _find(folder: Path) -> Path:
    """The measures.yaml that applies to a spec folder: its own, else its parent version's."""
    seen = set()
    while True:
        if (folder / FILE).is_file():
            return folder / FILE
        seen.add(folder.resolve())
        try:
            ds = parse((folder / "dataset.yaml").read_text(encoding="utf-8")) or {}
        except (OSError, NotYaml):
            ds = {}
        parent = ds.get("extends") if isinstance(ds, dict) else None
        if not isinstance(parent, (str, int, float)) or not str(parent):
            raise SpecError(f"{FILE}: none in {folder.name} (and it extends no other version)")
        parent = str(parent)
        # extends: a version ("2.0") or a folder name beside this one ("iapt-v2.0")
        candidates = [folder.parent / f"iapt-v{parent}", folder.parent / parent]
        nxt = next((c for c in candidates if c.is_dir() and c.resolve() not in seen), None)
        if nxt is None:
            raise SpecError(f"{FILE}: {folder.name} extends {parent!r}, which is not a spec folder beside it")
        folder = nxt


def load_definitions(spec: Spec | None = None) -> Definitions:
    """The measures' definitions for *spec*'s version (cached per file)."""
    spec = spec or load_spec()
    return _load(str(_find(Path(spec.path))), frozenset(spec.assessment_tools))


@functools.lru_cache(maxsize=8)
def _load(path: str, tools: frozenset[str]) -> Definitions:
    try:
        raw = parse(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{FILE}: cannot be read ({exc.strerror or exc})") from None
    except NotYaml as exc:
        raise SpecError(f"{FILE}: not valid YAML: {exc}") from None
    top = _map(raw, "top level", ("sources", "treatment_contacts", "finished_treatment", "measures",
                                  "depression_measure", "fallback_measure", "problem_descriptor",
                                  "descriptor_measures", "scores", "waits", "rates", "explain"))
    sources = {str(k): str(v) for k, v in _map(top["sources"], "sources").items()}

    tc = _map(top["treatment_contacts"], "treatment_contacts",
              ("attended", "unplanned", "app_types", "window", "employment_support", "internet_logs",
               "assessment_app_types"))
    for k in ("attended", "unplanned", "app_types", "window", "employment_support", "internet_logs",
              "assessment_app_types"):
        _status(_map(tc[k], f"treatment_contacts.{k}"), f"treatment_contacts.{k}")
    es = _map(tc["employment_support"], "treatment_contacts.employment_support", ("procedure",))
    logs = _map(tc["internet_logs"], "treatment_contacts.internet_logs", ("min_duration", "in_window"))
    unplanned = _map(tc["unplanned"], "treatment_contacts.unplanned", ("code",))["code"]

    ft = _map(top["finished_treatment"], "finished_treatment", ("min_treatment_contacts",))
    _status(ft, "finished_treatment")

    measures: dict[str, Measure] = {}
    for name, m in _map(top["measures"], "measures").items():
        entry = f"measures.{name}"
        m = _map(m, entry, ("tool", "caseness", "reliable_change", "status", "comparison_status"))
        if m["tool"] not in tools:
            raise _fail(entry, f"tool {m['tool']!r} is not an assessment tool of the spec")
        measures[str(name)] = Measure(name=str(name), tool=m["tool"], caseness=_threshold(m["caseness"], f"{entry}.caseness"),
                                      reliable_change=_threshold(m["reliable_change"], f"{entry}.reliable_change"),
                                      status=_status(m, entry), comparison_status=_status(m, entry, "comparison_status"),
                                      note=m.get("note"))
    for key in ("depression_measure", "fallback_measure"):
        if top[key] not in measures:
            raise _fail(key, f"{top[key]!r} is not one of the measures")

    pd = _map(top["problem_descriptor"], "problem_descriptor", ("primary_significance", "icd10_scheme"))
    _status(pd, "problem_descriptor")
    dm = _map(top["descriptor_measures"], "descriptor_measures", ("codes",))
    _status(dm, "descriptor_measures")
    codes = {}
    for code, name in _map(dm["codes"], "descriptor_measures.codes").items():
        if name not in measures:
            raise _fail(f"descriptor_measures.codes.{code}", f"{name!r} is not one of the measures")
        codes[str(code)] = name

    sc = _map(top["scores"], "scores", ("min_scores_for_pair",))
    _status(sc, "scores")
    for k in ("window", "exclude_app_types", "order"):
        _status(_map(sc.get(k), f"scores.{k}"), f"scores.{k}")
    if (sc["window"].get("value") != "none" or sc["exclude_app_types"].get("codes") != []):
        raise _fail("scores", "this version of iapt-ds implements only window: none and no excluded app types")

    w = _map(top["waits"], "waits", ("six_weeks_days", "eighteen_weeks_days", "assessment_bands"))
    _status(w, "waits")
    bands = w["assessment_bands"]
    if not isinstance(bands, list) or not all(isinstance(b, int) for b in bands) or bands != sorted(bands):
        raise _fail("waits.assessment_bands", "a rising list of whole numbers of days")

    for k, r in _map(top["rates"], "rates").items():
        _status(_map(r, f"rates.{k}"), f"rates.{k}")

    explanations = {}
    for name, e in _map(top["explain"], "explain").items():
        entry = f"explain.{name}"
        e = _map(e, entry, ("title", "definition", "status", "source"))
        if e["source"] not in sources:
            raise _fail(entry, f"source {e['source']!r} is not one of {list(sources)}")
        explanations[str(name)] = Explanation(name=str(name), title=str(e["title"]),
                                              definition=" ".join(str(e["definition"]).split()),
                                              status=_status(e, entry), source=sources[e["source"]])

    return Definitions(
        attended=_codes(tc["attended"], "treatment_contacts.attended"), unplanned=str(unplanned),
        treatment_app_types=_codes(tc["app_types"], "treatment_contacts.app_types"),
        assessment_app_types=_codes(tc["assessment_app_types"], "treatment_contacts.assessment_app_types"),
        employment_support_procedure=str(es["procedure"]),
        log_min_duration=_threshold(logs["min_duration"], "treatment_contacts.internet_logs.min_duration"),
        logs_in_window=bool(logs["in_window"]),
        min_treatment_contacts=_whole(ft, "min_treatment_contacts", "finished_treatment"),
        measures=MappingProxyType(measures), depression=top["depression_measure"], fallback=top["fallback_measure"],
        primary_significance=str(pd["primary_significance"]), icd10_scheme=str(pd["icd10_scheme"]),
        descriptor_codes=MappingProxyType(codes), min_scores=_whole(sc, "min_scores_for_pair", "scores"),
        six_weeks=_whole(w, "six_weeks_days", "waits"), eighteen_weeks=_whole(w, "eighteen_weeks_days", "waits"),
        assessment_bands=tuple(bands), explanations=MappingProxyType(explanations),
        sources=MappingProxyType(sources), path=path, raw=MappingProxyType(top),
    )
