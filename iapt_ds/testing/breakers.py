"""Breakers: take a valid submission and break exactly one rule.

``BREAKERS[code]`` holds a :class:`Breaker` for every code that can fire; :func:`breaking`
gives a strategy of :class:`Broken` submissions for a code. Codes that cannot be made to fire
are in :data:`UNBREAKABLE` with the reason.

A broken submission says which rows must carry the code (:attr:`Broken.expected`) and which
other codes may come with it (:attr:`Broken.also`: a change that breaks one rule sometimes
cannot help breaking another; each is listed with the reason). Anything else it causes must be
the cascade of rejections — :meth:`Broken.discrepancies` checks that against an independent
model of the cascade.

>>> from hypothesis import given
>>> @given(breaking("IDS10113"))
... def test_referral_after_the_period(broken):
...     assert broken.discrepancies() == []
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from hypothesis import strategies as st

from ..errors import UsageError
from ..result import Result
from ..spec import RuleSpec, Spec, load_spec
from ..pipeline import validate
from ..checks.base import Kind
from ..checks.catalogue import ALL_KINDS
from . import _kinds, _rows
from ._model import discrepancies, table_of
from ._workspace import Workspace
from .strategies import DEFAULT_SIZES, submissions

__all__ = ["BREAKERS", "UNBREAKABLE", "Breaker", "Broken", "breaking", "registry"]


@attrs.frozen
class Broken:
    """A submission broken for one code, and what validating it must give."""

    code: str
    #: table name → rows, ready for :func:`iapt_ds.validate`
    rows: dict[str, list[dict]] = attrs.field(repr=False)
    #: keyword arguments for :func:`iapt_ds.validate` (period, provider, sender, submitted_at,
    #: and reference_data when the rule needs it)
    kwargs: Mapping[str, Any] = attrs.field(repr=False)
    #: (table id, 1-based row) that must carry the code; row None for a finding on the file
    #: (table None when it names no table)
    expected: frozenset[tuple[str | None, int | None]]
    #: codes that may come with it, with the reason
    also: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    def validate(self, **overrides: Any) -> Result:
        """Validate the broken rows with the upload details they were made for."""
        return validate(self.rows, **{**self.kwargs, **overrides})

    def discrepancies(self, result: Result | None = None) -> list[str]:
        """How *result* (default: :meth:`validate`'s) differs from what this break must give:
        the code on exactly :attr:`expected`, nothing else but its cascade and :attr:`also`."""
        return discrepancies(result if result is not None else self.validate(), self)


@attrs.frozen
class Breaker:
    """How to break one rule code."""

    code: str
    fn: Callable[[Workspace], None] = attrs.field(repr=False)
    #: what the breaker does, in words
    how: str = attrs.field(repr=False)
    #: codes that may fire with this one, with the reason
    also: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    #: keyword arguments for :func:`~iapt_ds.testing.submissions` that make a good base
    needs: Mapping[str, Any] = attrs.field(factory=dict, repr=False)

    def apply(self, rows: Mapping[str, list[Mapping]], draw, spec: Spec | None = None) -> Broken:
        """Break a valid submission (table name → rows; not changed) using hypothesis's *draw*
        (from ``st.data()`` or a composite). Discards the example (``assume``) when the
        submission has no row the breaker can use."""
        spec = spec or load_spec()
        ws = Workspace(spec, spec.rules[self.code], rows, draw, frozenset(self.also))
        self.fn(ws)
        return Broken(code=self.code, rows=ws.result_rows(), kwargs=ws.kwargs(), expected=ws.expected(),
                      also=dict(self.also))


# ------------------------------------------------------------------------------ what comes along

# co-firing the spec's kinds and params cannot tell: code -> {other code: reason}
_ALSO: dict[str, dict[str, str]] = {
    **{code: {"IDS20214": "a FindSchemeInUse outside 01/04 fails IDS20214 when CodeFind is given",
              "IDS20216": "... and IDS20216 when it is not"}
       for code in ("IDS20212", "IDS20213")},
    **{code: {"IDS00223": "the breaker gives an end date to a patient's only registration (so that no "
                          "other registration sees the change), and none follows it"}
       for code in ("IDS00213", "IDS00214", "IDS00215", "IDS00216")},
    "IDS20506": {"IDS20510": "the end date is mandatory: a log starting after the period ends after it (IDS20510)",
                 "IDS20511": "... or before it starts (IDS20511)"},
}


def _codes_fit(spec: Spec, codelist_rule: RuleSpec, fits: Callable[[str], bool]) -> bool:
    return all(fits(c) for c in spec.codelists[codelist_rule.params["codelist"]].codes)


def _with_wrong_length(spec: Spec, rule: RuleSpec, same: list[RuleSpec]) -> dict[str, str]:
    lo, hi = rule.params["min"], rule.params["max"]
    out = {}
    for r in same:
        # a code list only counts when every code has a length the rule allows
        fits = r.kind != "in_codelist" or _codes_fit(spec, r, lambda c: lo <= len(c) <= hi)
        reason = spec.kinds[r.kind].testing.wrong_length
        if reason is not None and fits:
            out[r.code] = reason
    for r in spec.rules.values():
        if r.kind == "equals_field" and r.params["other"] == f"{rule.table}.{rule.field}":
            out[r.code] = f"{r.table}.{r.field} must equal it, and has the right length"
        elif r.kind == "equals_field" and (r.table, r.field) == (rule.table, rule.field):
            out[r.code] = f"it must equal {r.params['other']}, which has the right length"
    return out


def _with_unmet_condition(spec: Spec, rule: RuleSpec) -> dict[str, str]:
    c_if, c_then = rule.params["if"], rule.params["then"]
    blanked = [c_if["field"]] if c_if.get("present") is False else []
    if c_then.get("present") and "in" not in c_then and "not_in" not in c_then:
        blanked.append(c_then["field"])
    out = {r.code: f"{r.field} is left blank" for r in spec.rules_for(table_of(rule))
           if r.kind == "not_blank" and r.field in blanked}
    for r in spec.rules_for(table_of(rule)):
        if r.kind == "in_codelist" and r.field == c_then["field"] and "in" in c_then \
                and _codes_fit(spec, r, lambda c: c in c_then["in"]):
            out[r.code] = "a value outside the allowed ones is outside the code list"
    return out


def _also(spec: Spec, rule: RuleSpec) -> dict[str, str]:
    """The codes a break of *rule* cannot help firing too, read from the spec where it can be."""
    out = dict(_ALSO.get(rule.code, {}))
    same = [r for r in spec.rules_for(rule.table or "") if r.field == rule.field and r.code != rule.code]
    if rule.kind == "length":
        out.update(_with_wrong_length(spec, rule, same))
    elif rule.kind == "not_blank":
        out.update({r.code: "a NULL never matches the upload" for r in same if r.kind == "matches_upload"})
    elif rule.kind == "pattern":
        out.update({r.code: "every code matches the pattern" for r in same
                    if r.kind == "in_codelist" and _codes_fit(spec, r, lambda c: _matches(rule, c))})
    elif rule.kind == "conditional":
        out.update(_with_unmet_condition(spec, rule))
    elif rule.kind == "one_open_per":
        out.update({r.code: f"{r.field} is left blank" for r in spec.rules_for(table_of(rule))
                    if r.kind == "not_blank" and r.field == rule.params["field"]})
    return out


def _matches(rule: RuleSpec, value: str) -> bool:
    return re.search(rule.params["regex"], value, re.ASCII) is not None


# ------------------------------------------------------------------------------ bases

#: a small base (1-2 patients, few rows per parent, dates near the period)
_BASE_SIZES = {tid: (lo, min(hi, 1 if lo == 0 else 2)) for tid, (lo, hi) in DEFAULT_SIZES.items()}
_BASE_SIZES.update({"IDS001": (1, 2), "IDS201": (0, 2), "IDS202": (0, 2), "IDS902": (0, 2)})


def _chain(spec: Spec, tid: str | None) -> list[str]:
    out = []
    while tid is not None and tid != spec.header:
        out.append(tid)
        parent = spec.tables[tid].parent
        tid = parent[0] if parent else None
    return out


def _needs(spec: Spec, rule: RuleSpec) -> dict[str, Any]:
    sizes = dict(_BASE_SIZES)
    for tid in _chain(spec, rule.table):
        lo, hi = sizes[tid]
        sizes[tid] = (max(lo, 1), max(hi, 2))
    if rule.kind == "one_open_per" or (rule.kind == "unique" and rule.table == _gp_table(spec)):
        sizes[table_of(rule)] = (2, 3)
    if rule.kind in ("one_attended_per_slot", "attended_has_activity"):
        sizes.update({"IDS201": (1, 3), "IDS202": (1, 2)})
    if rule.kind == "date_compare":
        # rows below whose dates hold this one back from the side the break moves it to
        chain = _chain(spec, rule.table)
        for r in spec.rules.values():
            if r.kind == "date_compare" and r.params["other"] == f"{rule.table}.{rule.field}" \
                    and r.table not in chain and r.params["op"] != rule.params["op"]:
                sizes[table_of(r)] = (0, 0)
    patients = sizes.pop("IDS001")
    return {"patients": patients, "sizes": sizes, "history_days": 62}


def _gp_table(spec: Spec) -> str:
    return next(table_of(r) for r in spec.rules.values() if r.kind == "consecutive_gp_registration")


def _breaker_of(k: Kind) -> Callable[[Workspace], None] | None:
    """The breaker a kind names (``Testing(breaker=...)``), from ``._kinds`` or ``._rows``."""
    name = k.testing.breaker
    if name is None:
        return None
    fn = getattr(_kinds, name, None) or getattr(_rows, name, None)
    if not callable(fn):
        raise TypeError(f"kind {k.name} names the breaker {name!r}, which iapt_ds.testing does not define")
    return fn


#: kind name -> its breaker; every kind's is looked up here, at import
_KIND_BREAKERS = {name: _breaker_of(k) for name, k in ALL_KINDS.items()}


def _registry(spec: Spec) -> tuple[dict[str, Breaker], dict[str, str]]:
    breakers, unbreakable = {}, {}
    for code, rule in spec.rules.items():
        kind = spec.kinds[rule.kind]
        fn = _KIND_BREAKERS[rule.kind] if rule.kind in _KIND_BREAKERS else _breaker_of(kind)
        if fn is None:
            unbreakable[code] = kind.testing.unbreakable or ""
            continue
        breakers[code] = Breaker(code=code, fn=fn, how=(fn.__doc__ or "").strip().split("\n\n")[0],
                                 also=_also(spec, rule), needs=_needs(spec, rule))
    return breakers, unbreakable


BREAKERS, UNBREAKABLE = _registry(load_spec())

#: a reporting period of each version that ``breaking(code, version=)`` draws its base in
_PERIODS = {"2.0": "2021-03", "2.1": "2024-05"}
_REGISTRIES: dict[str, tuple[Spec, dict[str, Breaker], dict[str, str]]] = {}


def registry(version: str) -> tuple[Spec, dict[str, Breaker], dict[str, str]]:
    """(spec, breakers, unbreakable codes) of IAPT *version* (``BREAKERS`` and ``UNBREAKABLE``
    are v2.0's)."""
    if version not in _REGISTRIES:
        from ..version_choice import specs_by_version

        specs = specs_by_version()
        if version not in specs:
            raise UsageError(f"no IAPT version {version!r}; there are {', '.join(specs)}")
        spec = specs[version]
        if spec is load_spec():
            _REGISTRIES[version] = (spec, BREAKERS, UNBREAKABLE)
        else:
            _REGISTRIES[version] = (spec, *_registry(spec))
    return _REGISTRIES[version]


@st.composite
def _broken(draw, breaker: Breaker, base: st.SearchStrategy, spec: Spec | None = None) -> Broken:
    return breaker.apply(draw(base), draw, spec)


def breaking(code: str, base: st.SearchStrategy | None = None, *, version: str | None = None
             ) -> st.SearchStrategy[Broken]:
    """Submissions broken for *code*: *base* (default: :func:`submissions` of the *version*,
    default v2.0, shaped by the breaker's needs) with one rule broken. Raises
    :class:`~iapt_ds.errors.UsageError` for an unknown code and for one that cannot be broken
    (see :data:`UNBREAKABLE`)."""
    if version is None:
        spec, breakers, unbreakable = load_spec(), BREAKERS, UNBREAKABLE
    else:
        spec, breakers, unbreakable = registry(version)
    if code in unbreakable:
        raise UsageError(f"{code} cannot be broken: {unbreakable[code]}")
    if code not in breakers:
        raise UsageError(f"no rule {code!r} in IAPT v{spec.version}")
    breaker = breakers[code]
    if base is None:
        base = submissions(_PERIODS.get(spec.version, spec.periods[0]), spec=spec, **breaker.needs) \
            if version is not None else submissions(**breaker.needs)
    return _broken(breaker, base, spec)
