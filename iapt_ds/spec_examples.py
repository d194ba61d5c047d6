"""Run the pass/fail examples each rule carries in the spec.

An example is an *overlay on the bundled example submission of the rule's version* (which is
fully valid):

* ``{Field: value, ...}`` sets fields of the first row of the rule's table;
* ``_rows: [overlay, ...]`` replaces the whole table with copies of its first row, each overlaid;
* ``_all: overlay`` overlays every row of the table;
* ``_context: {...}``: ``IDS000.Field`` sets a header field; ``IDSnnn.Field`` sets that field on
  the rows related to the changed row (its patient, its referral …); ``IDSnnn: [overlay, ...]``
  replaces the changed row's child rows in that table (``[]`` removes them);
  ``upload.period_start|period_end|provider|sender|submitted_at`` and
  ``reference_data.organisations|gp_practices|sites|postcodes`` set what validation is given;
* ``_drop_column: IDSnnn.Field``, ``_add_column: IDSnnn.Field``, ``_drop_table: IDSnnn``
  change the structure.

A failing example must make the rule's code appear on one of the changed rows (or on the file),
and validating it gives exactly the codes its ``_fires`` lists (``RuleSpec.fires``; without one,
the rule's own code alone); a passing example must not fire the rule.
"""

from __future__ import annotations

import copy
import csv
import datetime as _dt
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from .checks.context import ReferenceSets
from .result import Result
from .spec import RuleSpec, Spec, load_spec

__all__ = ["base_rows", "build_example", "run_example", "example_fires", "fires_on_changed", "DEFAULT_UPLOAD",
           "DEFAULT_UPLOADS"]

# what the upload says for each version's bundled example (examples change it with _context)
DEFAULT_UPLOADS = {
    "2.0": {"period_start": "2021-03-01", "period_end": "2021-03-31", "provider": "R1Z", "sender": "R1Z",
            "submitted_at": "2021-04-05T12:00:00"},
    "2.1": {"period_start": "2024-05-01", "period_end": "2024-05-31", "provider": "R1Z", "sender": "R1Z",
            "submitted_at": "2024-06-05T12:00:00"},
}
DEFAULT_UPLOAD = DEFAULT_UPLOADS["2.0"]


@lru_cache(maxsize=4)
def _base(spec_path: str) -> dict[str, list[dict[str, str | None]]]:
    from . import example_path

    spec = load_spec(spec_path)
    out = {}
    for t in spec.tables.values():
        with (example_path(spec.version) / f"{t.name}.csv").open(encoding="utf-8", newline="") as fh:
            out[t.id] = [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(fh)]
    return out


def base_rows(spec: Spec | None = None) -> dict[str, list[dict[str, str | None]]]:
    """A fresh copy of the bundled example as table id → list of row dicts (text)."""
    spec = spec or load_spec()
    return copy.deepcopy(_base(spec.path))


def _overlay(row: dict, ov: dict) -> dict:
    r = dict(row)
    r.update({k: v for k, v in ov.items() if not k.startswith("_")})
    return r


def build_example(rule: RuleSpec, example: dict, spec: Spec | None = None):
    """(rows, changed row indexes, validate keyword arguments, structure changes) for an example."""
    spec = spec or load_spec()
    rows = base_rows(spec)
    tid = rule.table
    upload = dict(DEFAULT_UPLOADS[spec.version])
    reference: dict[str, list[str]] = {}
    structure: dict[str, str] = {}
    changed: list[int] = []
    if tid is not None:
        table = rows[tid]
        first = table[0] if table else {}
        if "_rows" in example:
            rows[tid] = [_overlay(first, ov) for ov in example["_rows"]]
            changed = list(range(len(rows[tid])))
        elif "_all" in example:
            rows[tid] = [_overlay(r, example["_all"]) for r in table]
            changed = list(range(len(rows[tid])))
        elif table:
            table[0] = _overlay(first, example)
            changed = [0]
    for k in ("_drop_column", "_add_column", "_drop_table"):
        if k in example:
            structure[k] = example[k]
    for key, value in (example.get("_context") or {}).items():
        head, _, tail = key.partition(".")
        if head == "upload":
            upload[tail] = value
        elif head == "reference_data":
            reference[tail] = value
        elif head == spec.header and tail:
            rows[head][0][tail] = value
        elif tail:
            for r in _related(spec, rows, cast(str, tid), changed, head):
                r[tail] = value
        else:
            _replace_children(spec, rows, cast(str, tid), changed, head, value)
    kwargs: dict[str, Any] = {
        "period": (_dt.date.fromisoformat(upload["period_start"]), _dt.date.fromisoformat(upload["period_end"])),
        "provider": upload["provider"], "sender": upload["sender"], "submitted_at": upload["submitted_at"],
        "reference_data": ReferenceSets(**reference) if reference else None,
    }
    return rows, changed, kwargs, structure


def _related(spec: Spec, rows, tid: str, changed: list[int], target: str) -> list[dict]:
    """The rows of *target* that the changed rows of *tid* belong to (following parents)."""
    current, current_rows = tid, [rows[tid][i] for i in changed]
    while current != target:
        parent = spec.tables[current].parent
        if parent is None:
            raise ValueError(f"{tid} does not belong to {target}")
        ptable, key = parent
        keys = {r.get(key) for r in current_rows}
        current, current_rows = ptable, [r for r in rows[ptable] if r.get(key) in keys]
    return current_rows


def _replace_children(spec: Spec, rows, tid: str, changed: list[int], child: str, overlays: list[dict]) -> None:
    parent, key = cast("tuple[str, str]", spec.tables[child].parent)
    if parent != tid:
        raise ValueError(f"{child} is not a child table of {tid}")
    keys = {rows[tid][i].get(key) for i in changed}
    mine = [r for r in rows[child] if r.get(key) in keys]
    rows[child] = [r for r in rows[child] if r.get(key) not in keys]
    template = mine[0] if mine else {}
    for k in keys:
        for ov in overlays:
            r = _overlay(template, ov)
            r[key] = k
            rows[child].append(r)


def _write_folder(spec: Spec, rows, structure: dict, folder: Path) -> None:
    drop_col = structure.get("_drop_column")
    add_col = structure.get("_add_column")
    for t in spec.tables.values():
        if structure.get("_drop_table") == t.id:
            continue
        names = [f.name for f in t.fields]
        if drop_col and drop_col.startswith(t.id + "."):
            names.remove(drop_col.split(".", 1)[1])
        if add_col and add_col.startswith(t.id + "."):
            names.append(add_col.split(".", 1)[1])
        with (folder / f"{t.name}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(names)
            for r in rows[t.id]:
                w.writerow(["" if r.get(n) is None else r.get(n) for n in names])


def run_example(rule: RuleSpec, example: dict, spec: Spec | None = None) -> tuple[Result, list[int]]:
    """Validate the submission an example describes; returns the result and the changed rows."""
    from .readers import read_rows
    from .pipeline import validate

    spec = spec or load_spec()
    rows, changed, kwargs, structure = build_example(rule, example, spec)
    if structure:
        with tempfile.TemporaryDirectory() as tmp:
            _write_folder(spec, rows, structure, Path(tmp))
            return validate(Path(tmp), spec=spec, **kwargs), changed
    sub = read_rows({spec.tables[t].name: r for t, r in rows.items()}, spec=spec, source="<example>")
    return validate(sub, spec=spec, **kwargs), changed


def example_fires(rule: RuleSpec, example: dict, spec: Spec | None = None) -> bool:
    """Whether the rule's code appears on a changed row, or on the file, for this example."""
    result, changed = run_example(rule, example, spec)
    return fires_on_changed(rule, result, changed)


def fires_on_changed(rule: RuleSpec, result: Result, changed: list[int]) -> bool:
    """Whether *result* holds the rule's code on one of the *changed* rows, or on the file."""
    rows = {i + 1 for i in changed}
    return any(f.rule.code == rule.code and (f.row is None or (f.table == rule.table and f.row in rows))
               for f in result.findings)
