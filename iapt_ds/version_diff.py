"""Every difference between two IAPT versions' specs: tables, columns, code lists and rules, each
with its confidence, computed from the merged specs (so it cannot drift from what runs).

A rule's confidence is its status in the newer spec (``confirmed`` or ``inferred``; a removed rule
takes the status of the change that removed it: confirmed when its table or column is gone);
tables and columns come from NHS Digital's table definitions and are confirmed; a changed code
list is as sure as the rules that use it in the newer version (inferred if any of them is).

>>> from iapt_ds.spec import load_spec
>>> old = load_spec()
>>> diff_specs(old, old)
()
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:  # pragma: no cover
    from .spec import RuleSpec, Spec

__all__ = ["Difference", "diff_specs", "rule_difference", "rule_versions"]


@attrs.frozen
class Difference:
    """One difference between an older and a newer version."""

    what: str          # "table", "column", "codelist" or "rule"
    change: str        # "added", "removed", "renamed" or "changed"
    name: str          # IDS003, IDS001.GenderIdentity, ConsMechanism, IDS00155
    detail: str        # in words
    confidence: str    # "confirmed" or "inferred"
    note: str | None = None

    @property
    def sentence(self) -> str:
        return f"{self.name}: {self.detail}"


def _rule_facts(rule: RuleSpec) -> dict:
    return {"severity": rule.severity, "table": rule.table, "fields": tuple(rule.fields), "kind": rule.kind,
            "params": dict(rule.params), "placeholder": rule.placeholder}


def _changed_words(old: RuleSpec, new: RuleSpec) -> str:
    parts = []
    a, b = _rule_facts(old), _rule_facts(new)
    for k in ("severity", "table", "fields", "kind", "params", "placeholder"):
        if a[k] != b[k]:
            if k == "fields":
                parts.append(f"fields {', '.join(a[k]) or '-'} → {', '.join(b[k]) or '-'}")
            elif k == "params":
                keys = sorted(set(a[k]) | set(b[k]))
                for p in keys:
                    if a[k].get(p) != b[k].get(p):
                        parts.append(f"{p} {a[k].get(p)!r} → {b[k].get(p)!r}")
            else:
                parts.append(f"{k} {a[k]} → {b[k]}")
    if not parts and old.message != new.message:
        parts.append("message reworded")
    return "; ".join(parts)


def rule_difference(code: str, old: Spec, new: Spec) -> Difference | None:
    """How rule *code* differs from *old* to *new* (None when it is the same in both or in neither)."""
    a, b = old.rules.get(code), new.rules.get(code)
    if a is None and b is None:
        return None
    if b is None:
        assert a is not None
        gone = a.table is not None and (a.table not in new.tables or any(
            f not in new.tables[a.table].field_map for f in a.fields))
        why = "its column is gone" if gone else "not in the newer catalogue"
        return Difference("rule", "removed", code, f"removed in v{new.version} ({why})",
                          "confirmed" if gone else "inferred", None)
    if a is None:
        return Difference("rule", "added", code, f"new in v{new.version}: {b.severity} rule on "
                          f"{b.table or 'the file'}" + (f" ({', '.join(b.fields)})" if b.fields else ""),
                          b.status, b.note)
    listed = _list_change(a, b, old, new)
    if _rule_facts(a) == _rule_facts(b) and a.message == b.message and a.status == b.status and not listed:
        return None
    words = "; ".join(w for w in (_changed_words(a, b), listed) if w)
    if not words and a.status != b.status:
        words = f"status {a.status} → {b.status}"
    return Difference("rule", "changed", code, f"changed in v{new.version}: {words}", b.status, b.note)


def _list_change(a: RuleSpec, b: RuleSpec, old: Spec, new: Spec) -> str:
    """For a code-list rule, how the codes it accepts change (its list kept or renamed)."""
    if a.kind != "in_codelist" or b.kind != "in_codelist":
        return ""
    was, now = old.codelists.get(str(a.params.get("codelist"))), new.codelists.get(str(b.params.get("codelist")))
    if was is None or now is None or was.codes == now.codes:
        return ""
    return "the codes it accepts: " + _codes_change(was.codes, now.codes)


def _codes_change(was: tuple[str, ...], now: tuple[str, ...]) -> str:
    gone = [c for c in was if c not in now]
    more = [c for c in now if c not in was]
    return "; ".join(p for p in (("removes " + ", ".join(gone)) if gone else "",
                                 ("adds " + ", ".join(more)) if more else "") if p) or "reordered"


def rule_versions(code: str, specs: Iterable[Spec]) -> list[str]:
    """The versions whose catalogue has *code*."""
    return [s.version for s in specs if code in s.rules]


def _codelist_confidence(name: str, new: Spec) -> str:
    users = [r for r in new.rules.values() if r.kind == "in_codelist" and r.params.get("codelist") == name]
    return "inferred" if any(r.status == "inferred" for r in users) else "confirmed"


def diff_specs(old: Spec, new: Spec) -> tuple[Difference, ...]:
    """Every difference from *old* to *new*: tables, then columns, code lists and rules."""
    out: list[Difference] = []
    for tid, t in new.tables.items():
        if tid not in old.tables:
            parent = f", a child of {t.parent[0]} by {t.parent[1]}" if t.parent else ""
            out.append(Difference("table", "added", tid, f"new table {t.name} ({len(t.fields)} columns{parent})",
                                  "confirmed"))
    for tid, t in old.tables.items():
        if tid not in new.tables:
            out.append(Difference("table", "removed", tid, f"the table {t.name} is gone", "confirmed"))
    for tid, t in new.tables.items():
        o = old.tables.get(tid)
        if o is None:
            continue
        old_by_uid = {f.uid: f for f in o.fields}
        new_names = {f.name for f in t.fields}
        renamed, renamed_to = set(), set()
        for f in t.fields:
            was = old_by_uid.get(f.uid)
            if was is not None and was.name != f.name and f.name not in o.field_map:
                renamed.add(was.name)
                renamed_to.add(f.name)
                out.append(Difference("column", "renamed", f"{tid}.{f.name}",
                                      f"{t.name}.{was.name} is renamed {f.name} (same data item {f.uid})", "confirmed"))
        for f in o.fields:
            if f.name not in new_names and f.name not in renamed:
                out.append(Difference("column", "removed", f"{tid}.{f.name}", f"{t.name}.{f.name} is gone", "confirmed"))
        for f in t.fields:
            was = o.field_map.get(f.name)
            if was is None:
                if f.name in renamed_to:
                    continue
                out.append(Difference("column", "added", f"{tid}.{f.name}",
                                      f"new column {t.name}.{f.name} ({f.type}, status {f.status})", "confirmed"))
            else:
                changes = [f"{k} {getattr(was, k)!r} → {getattr(f, k)!r}" for k in
                           ("type", "status", "min_length", "max_length", "format", "item") if getattr(was, k) != getattr(f, k)]
                if changes:
                    out.append(Difference("column", "changed", f"{tid}.{f.name}", "; ".join(changes), "confirmed"))
    # a code list renamed: a rule in both versions checks the old list in one and the new in the other
    list_renames: dict[str, str] = {}
    for code, b in new.rules.items():
        a = old.rules.get(code)
        if a is not None and a.kind == b.kind == "in_codelist":
            was_name, now_name = str(a.params.get("codelist")), str(b.params.get("codelist"))
            if (was_name != now_name and was_name in old.codelists and now_name in new.codelists
                    and was_name not in new.codelists and now_name not in old.codelists):
                list_renames[now_name] = was_name
    for name, cl in new.codelists.items():
        old_list = old.codelists.get(name) or old.codelists.get(list_renames.get(name, ""))
        if old_list is None:
            out.append(Difference("codelist", "added", name, f"new code list: {', '.join(cl.codes)}",
                                  _codelist_confidence(name, new)))
        elif name in list_renames:
            words = f"{list_renames[name]} is renamed {name}" + (
                f"; {_codes_change(old_list.codes, cl.codes)}" if old_list.codes != cl.codes else "; the same codes")
            out.append(Difference("codelist", "renamed", name, words, _codelist_confidence(name, new)))
        elif old_list.codes != cl.codes:
            out.append(Difference("codelist", "changed", name, _codes_change(old_list.codes, cl.codes),
                                  _codelist_confidence(name, new)))
    for name in old.codelists:
        if name not in new.codelists and name not in list_renames.values():
            out.append(Difference("codelist", "removed", name, "the code list is gone", "confirmed"))
    for code in sorted(set(old.rules) | set(new.rules)):
        d = rule_difference(code, old, new)
        if d is not None:
            out.append(d)
    if old.cascade != new.cascade:
        out.append(Difference("rule", "changed", "cascade", "the referential-integrity order is "
                              + " → ".join(new.cascade), "inferred"))
    return tuple(out)
