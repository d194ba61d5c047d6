"""Versions as deltas: the raw YAML documents of a spec folder, merged onto its base version.

A spec folder is either *whole* (``dataset.yaml``, ``tables.yaml``, ``codelists.yaml``,
``assessment_tools.yaml``, ``calendar.yaml`` and ``rules/*.yaml``, as ``spec/iapt-v2.0/``) or a
*delta*: its ``dataset.yaml`` says ``extends: "<version>"`` and every file lists only what changes
(this is the format):

* ``dataset.yaml``: scalars given replace the base's; the lists ``cascade`` and ``pipeline_rules``
  take ``{remove: [...], add: [...], replace: [...]}``;
* ``tables.yaml``: ``remove`` (ids), ``replace`` / ``add`` (id -> table; an added table says where
  it goes with ``after:`` or ``before:``) and ``change`` (id -> ``update`` of the table's own keys,
  ``remove_fields``, ``rename_fields`` (old -> new), ``replace_fields``, ``update_fields``,
  ``add_fields``);
* ``codelists.yaml`` and ``assessment_tools.yaml``: ``remove``, ``replace``, ``add`` (by name or
  code); code lists also take ``rename`` (old -> new name) and ``change`` (``remove_codes``,
  ``add_codes``, ``meanings``);
* ``calendar.yaml``: ``windows`` with ``{remove: [opens dates], add: [...], replace: [...]}``;
* ``rules/*.yaml``: each file a mapping of ``remove`` (codes), ``replace`` (whole rules), ``update``
  (code -> the keys that change, e.g. a rule moved to a renamed field, or examples that suit the
  version's own bundled example) and ``add`` (rules).

The merge works on the plain YAML data, before any object is built, so the result is loaded and
checked exactly as a whole spec is. Removing or replacing something absent, or adding something
present, is a :class:`~iapt_ds.errors.SpecError` naming the delta's file and entry.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import SpecError
from .spec_yaml import NotYaml
from .spec_yaml import parse as _parse_yaml

__all__ = ["Docs", "read_docs"]

SPEC_FILES = ("dataset.yaml", "tables.yaml", "codelists.yaml", "assessment_tools.yaml", "calendar.yaml")
_DATASET_LISTS = ("cascade", "pipeline_rules")
_DATASET_SCALARS = ("name", "version", "dataset_version", "periods", "month_id_origin", "header",
                    "severity_counts")
_FIELD_PLACES = ("after", "before", "first")
# what a delta may change in a base rule without restating it (its code and table stay)
_RULE_UPDATABLE = ("severity", "fields", "kind", "params", "status", "placeholder", "message", "note", "examples")


class Docs:
    """The raw documents of one spec (a whole folder, or a delta merged onto its base).

    ``where`` names the file each entry came from, for error messages: keys are
    ``(part, id)`` with part one of ``dataset``, ``table``, ``codelist``, ``tool``, ``calendar``."""

    def __init__(self) -> None:
        self.dataset: dict[str, Any] = {}
        self.tables: dict[Any, Any] = {}
        self.codelists: dict[Any, Any] = {}
        self.tools: dict[Any, Any] = {}
        self.calendar: Any = None
        # one (file label, raw list) per rule file, in file order
        self.rule_files: list[tuple[str, Any]] = []
        self.where: dict[tuple[str, Any], str] = {}
        self.chain: tuple[str, ...] = ()  # the folders merged, base first

    def file_of(self, part: str, key: Any, default: str) -> str:
        return self.where.get((part, key), default)


def _fail(file: str, entry: str, what: str) -> SpecError:
    return SpecError.at(file, entry, what)


def _read(folder: Path, rel: str, label: str) -> Any:
    p = folder / rel
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{label}: cannot be read ({exc.strerror or exc})", file=label) from None
    try:
        return _parse_yaml(text)
    except NotYaml as exc:
        raise SpecError(f"{label}: not valid YAML: {exc}", file=label) from None


def read_docs(folder: Path, find_version: Callable[[str], Path], prefix: str = "",
              _seen: tuple[Path, ...] = ()) -> Docs:
    """The documents of *folder*; a delta is merged onto its base (found with *find_version*).

    *prefix* goes before every file name in messages ("" for the folder asked for directly)."""
    folder = folder.resolve()
    ds = _read(folder, "dataset.yaml", prefix + "dataset.yaml")
    if not (isinstance(ds, dict) and "extends" in ds):
        return _read_whole(folder, prefix, ds)
    label = f"{folder.name}/"
    base_version = ds["extends"]
    if not isinstance(base_version, str) or not base_version:
        raise _fail(label + "dataset.yaml", "extends", f"must be a quoted version such as '2.0', got {base_version!r}")
    base_folder = find_version(base_version).resolve()
    if base_folder == folder or base_folder in _seen:
        raise _fail(label + "dataset.yaml", "extends", f"version {base_version!r} extends itself")
    base = read_docs(base_folder, find_version, f"{base_folder.name}/", _seen + (folder,))
    return _Delta(folder, label, base).apply(ds)


def _read_whole(folder: Path, prefix: str, ds: Any) -> Docs:
    docs = Docs()
    docs.chain = (folder.name,)
    docs.dataset = ds
    for part, rel in (("table", "tables.yaml"), ("codelist", "codelists.yaml"), ("tool", "assessment_tools.yaml")):
        raw = _read(folder, rel, prefix + rel)
        if part == "table":
            if not isinstance(raw, dict):
                raise _fail(prefix + rel, "top level", "expected a mapping of table id to table")
        raw = raw or {}
        if not isinstance(raw, dict):
            raise _fail(prefix + rel, "top level", "expected a mapping")
        setattr(docs, {"table": "tables", "codelist": "codelists", "tool": "tools"}[part], dict(raw))
        for k in raw:
            docs.where[(part, k)] = prefix + rel
    docs.calendar = _read(folder, "calendar.yaml", prefix + "calendar.yaml")
    for k in (ds or {}) if isinstance(ds, dict) else ():
        docs.where[("dataset", k)] = prefix + "dataset.yaml"
    docs.where[("calendar", "windows")] = prefix + "calendar.yaml"
    rules = folder / "rules"
    files = sorted(rules.glob("*.yaml"))
    if not files:
        raise SpecError(f"{prefix}rules/: no rule files in the spec folder {folder.name}", file=f"{prefix}rules/")
    for path in files:
        label = f"{prefix}rules/{path.name}"
        docs.rule_files.append((label, _read(folder, f"rules/{path.name}", label)))
    return docs


def _place(items: list, new: Any, where: dict, key: Callable[[Any], Any], file: str, entry: str) -> None:
    """Insert *new* into *items* after/before the item whose key is given, else at the end."""
    places = [k for k in _FIELD_PLACES if k in where]
    if len(places) > 1:
        raise _fail(file, entry, f"give at most one of {list(_FIELD_PLACES)}")
    if not places:
        items.append(new)
        return
    how = places[0]
    if how == "first":
        if where["first"] is not True:
            raise _fail(file, entry, "first: must be true")
        items.insert(0, new)
        return
    anchor = where[how]
    keys = [key(x) for x in items]
    if anchor not in keys:
        raise _fail(file, entry, f"{how}: {anchor!r} is not there")
    i = keys.index(anchor)
    items.insert(i + 1 if how == "after" else i, new)


def _mapping(file: str, entry: str, v: Any, allowed: tuple[str, ...]) -> dict:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise _fail(file, entry, f"expected a mapping, got {type(v).__name__}")
    unknown = sorted(set(map(str, v)) - set(allowed))
    if unknown:
        raise _fail(file, entry, f"unknown key(s) {unknown}; allowed: {list(allowed)}")
    return v


def _list(file: str, entry: str, v: Any) -> list:
    if v is None:
        return []
    if not isinstance(v, list):
        raise _fail(file, entry, f"expected a list, got {type(v).__name__}")
    return v


class _Delta:
    def __init__(self, folder: Path, label: str, base: Docs) -> None:
        self.folder, self.label, self.docs = folder, label, base

    def read(self, rel: str) -> Any:
        """A delta file's document, or None when the delta leaves that part alone."""
        if not (self.folder / rel).is_file():
            return None
        return _read(self.folder, rel, self.label + rel)

    def apply(self, ds: dict) -> Docs:
        docs = self.docs
        docs.chain = docs.chain + (self.folder.name,)
        self.dataset(ds)
        self.tables(self.read("tables.yaml"))
        self.keyed("codelists.yaml", "codelist", docs.codelists, code_list=True)
        self.keyed("assessment_tools.yaml", "tool", docs.tools)
        self.calendar(self.read("calendar.yaml"))
        self.rules()
        return docs

    # -- dataset.yaml ------------------------------------------------------------------------
    def dataset(self, ds: dict) -> None:
        file = self.label + "dataset.yaml"
        _mapping(file, "dataset", ds, ("extends",) + _DATASET_SCALARS + _DATASET_LISTS)
        base = self.docs.dataset
        if not isinstance(base, dict):
            raise _fail(self.docs.file_of("dataset", "", "dataset.yaml"), "dataset", "expected a mapping")
        base = dict(base)
        for k, v in ds.items():
            if k == "extends":
                continue
            if k in _DATASET_LISTS:
                base[k] = self.list_ops(file, k, base.get(k) or [], v, key=lambda x: x)
            else:
                base[k] = copy.deepcopy(v)
            self.docs.where[("dataset", k)] = file
        self.docs.dataset = base

    def list_ops(self, file: str, entry: str, items: list, ops: Any, key: Callable[[Any], Any]) -> list:
        """``{replace: [...]}`` or ``{remove: [keys], add: [item | {item: x, after|before: k}]}``."""
        ops = _mapping(file, entry, ops, ("remove", "add", "replace"))
        if "replace" in ops:
            if set(ops) != {"replace"}:
                raise _fail(file, entry, "replace stands alone (it gives the whole list)")
            return copy.deepcopy(_list(file, f"{entry}.replace", ops["replace"]))
        out = list(items)
        for k in _list(file, f"{entry}.remove", ops.get("remove")):
            keys = [key(x) for x in out]
            if k not in keys:
                raise _fail(file, f"{entry}.remove", f"{k!r} is not in the base version's list")
            del out[keys.index(k)]
        for i, a in enumerate(_list(file, f"{entry}.add", ops.get("add"))):
            where: dict = {}
            item = a
            if isinstance(a, dict) and "item" in a:
                where = _mapping(file, f"{entry}.add[{i}]", a, ("item", "after", "before", "first"))
                item = a["item"]
            if key(item) in [key(x) for x in out]:
                raise _fail(file, f"{entry}.add", f"{key(item)!r} is already in the list")
            _place(out, copy.deepcopy(item), where, key, file, f"{entry}.add[{i}]")
        return out

    # -- tables.yaml -------------------------------------------------------------------------
    def tables(self, raw: Any) -> None:
        if raw is None:
            return
        file = self.label + "tables.yaml"
        raw = _mapping(file, "top level", raw, ("remove", "replace", "add", "change"))
        tables = self.docs.tables
        where = self.docs.where
        for tid in _list(file, "remove", raw.get("remove")):
            if tid not in tables:
                raise _fail(file, f"remove.{tid}", "the base version has no such table")
            del tables[tid]
            where.pop(("table", tid), None)
        for tid, t in _mapping(file, "replace", raw.get("replace"), tuple(map(str, raw.get("replace") or ()))).items():
            if tid not in tables:
                raise _fail(file, f"replace.{tid}", "the base version has no such table")
            tables[tid] = copy.deepcopy(t)
            where[("table", tid)] = file
        for tid, t in _mapping(file, "change", raw.get("change"), tuple(map(str, raw.get("change") or ()))).items():
            if tid not in tables:
                raise _fail(file, f"change.{tid}", "the base version has no such table")
            tables[tid] = self.change_table(file, f"change.{tid}", tables[tid], t)
            where[("table", tid)] = file
        for tid, t in _mapping(file, "add", raw.get("add"), tuple(map(str, raw.get("add") or ()))).items():
            entry = f"add.{tid}"
            if tid in tables:
                raise _fail(file, entry, "the base version already has this table")
            if not isinstance(t, dict):
                raise _fail(file, entry, "expected a mapping")
            t = copy.deepcopy(t)
            place = {k: t.pop(k) for k in _FIELD_PLACES if k in t}
            order = list(tables)
            _place(order, tid, place, lambda x: x, file, entry)
            tables[tid] = t
            self.docs.tables = tables = {k: tables[k] for k in order}
            where[("table", tid)] = file

    def change_table(self, file: str, entry: str, table: Any, ch: Any) -> dict:
        ch = _mapping(file, entry, ch, ("update", "remove_fields", "rename_fields", "replace_fields",
                                        "update_fields", "add_fields"))
        if not isinstance(table, dict) or not isinstance(table.get("fields"), list):
            raise _fail(file, entry, "the base table has no list of fields to change")
        t = copy.deepcopy(table)
        fields: list = t["fields"]

        def names() -> list:
            return [f.get("name") if isinstance(f, dict) else None for f in fields]

        def index(name: Any, what: str) -> int:
            if name not in names():
                raise _fail(file, f"{entry}.{what}", f"the base table has no field {name!r}")
            return names().index(name)

        for k, v in _mapping(file, f"{entry}.update", ch.get("update"),
                             ("name", "title", "row_is", "parent", "key")).items():
            t[k] = copy.deepcopy(v)
        for name in _list(file, f"{entry}.remove_fields", ch.get("remove_fields")):
            del fields[index(name, "remove_fields")]
        renames = _mapping(file, f"{entry}.rename_fields", ch.get("rename_fields"),
                           tuple(map(str, ch.get("rename_fields") or ())))
        for old, new in renames.items():
            i = index(old, f"rename_fields.{old}")
            if new in names():
                raise _fail(file, f"{entry}.rename_fields.{old}", f"the table already has a field {new!r}")
            fields[i] = dict(fields[i], name=new)
        for j, f in enumerate(_list(file, f"{entry}.replace_fields", ch.get("replace_fields"))):
            if not isinstance(f, dict):
                raise _fail(file, f"{entry}.replace_fields[{j}]", "a field is a mapping")
            fields[index(f.get("name"), f"replace_fields[{j}]")] = copy.deepcopy(f)
        upd = ch.get("update_fields")
        for name, attrs_ in _mapping(file, f"{entry}.update_fields", upd, tuple(map(str, upd or ()))).items():
            i = index(name, f"update_fields.{name}")
            if not isinstance(attrs_, dict) or "name" in attrs_:
                raise _fail(file, f"{entry}.update_fields.{name}",
                            "give a mapping of the attributes that change (rename with rename_fields)")
            fields[i] = dict(fields[i], **copy.deepcopy(attrs_))
        for j, f in enumerate(_list(file, f"{entry}.add_fields", ch.get("add_fields"))):
            e = f"{entry}.add_fields[{j}]"
            if not isinstance(f, dict):
                raise _fail(file, e, "a field is a mapping")
            f = copy.deepcopy(f)
            place = {k: f.pop(k) for k in _FIELD_PLACES if k in f}
            if f.get("name") in names():
                raise _fail(file, e, f"the base table already has a field {f.get('name')!r}")
            _place(fields, f, place, lambda x: x.get("name") if isinstance(x, dict) else None, file, e)
        return t

    # -- codelists.yaml, assessment_tools.yaml ------------------------------------------------
    def keyed(self, rel: str, part: str, target: dict, code_list: bool = False) -> None:
        raw = self.read(rel)
        if raw is None:
            return
        file = self.label + rel
        raw = _mapping(file, "top level", raw, ("remove", "replace", "add") + (("rename", "change") if code_list else ()))
        where = self.docs.where
        for k in _list(file, "remove", raw.get("remove")):
            if k not in target:
                raise _fail(file, f"remove.{k}", "the base version has none")
            del target[k]
            where.pop((part, k), None)
        ren = raw.get("rename")
        for old, new in _mapping(file, "rename", ren, tuple(map(str, ren or ()))).items():
            if old not in target:
                raise _fail(file, f"rename.{old}", "the base version has none")
            if new in target:
                raise _fail(file, f"rename.{old}", f"the base version already has {new!r}")
            items = list(target.items())
            target.clear()
            target.update((new if k == old else k, v) for k, v in items)
            where[(part, new)] = file
            where.pop((part, old), None)
        for op in ("replace", "change", "add"):
            entries = raw.get(op)
            for k, v in _mapping(file, op, entries, tuple(map(str, entries or ()))).items():
                present = k in target
                if present != (op != "add"):
                    raise _fail(file, f"{op}.{k}", "the base version already has it" if present
                                else "the base version has none")
                target[k] = self.change_codelist(file, f"{op}.{k}", target[k], v) if op == "change" else copy.deepcopy(v)
                where[(part, k)] = file

    def change_codelist(self, file: str, entry: str, cl: Any, ch: Any) -> dict:
        ch = _mapping(file, entry, ch, ("remove_codes", "add_codes", "meanings"))
        if not isinstance(cl, dict) or not isinstance(cl.get("codes"), list):
            raise _fail(file, entry, "the base code list has no list of codes")
        codes = list(cl["codes"])
        meanings = dict(cl.get("meanings") or {})
        for c in _list(file, f"{entry}.remove_codes", ch.get("remove_codes")):
            if c not in codes:
                raise _fail(file, f"{entry}.remove_codes", f"{c!r} is not in the base list")
            codes.remove(c)
            meanings.pop(c, None)
        for c in _list(file, f"{entry}.add_codes", ch.get("add_codes")):
            if c in codes:
                raise _fail(file, f"{entry}.add_codes", f"{c!r} is already in the base list")
            codes.append(c)
        meanings.update(_mapping(file, f"{entry}.meanings", ch.get("meanings"),
                                 tuple(map(str, ch.get("meanings") or ()))))
        out = dict(cl, codes=codes)
        if meanings:
            out["meanings"] = meanings
        return out

    # -- calendar.yaml -----------------------------------------------------------------------
    def calendar(self, raw: Any) -> None:
        if raw is None:
            return
        file = self.label + "calendar.yaml"
        raw = _mapping(file, "top level", raw, ("windows",))
        base = self.docs.calendar
        windows = base.get("windows") if isinstance(base, dict) else None
        merged = self.list_ops(file, "windows", list(windows or []), raw.get("windows"),
                               key=lambda w: w.get("opens") if isinstance(w, dict) else w)
        self.docs.calendar = {"windows": merged}
        self.docs.where[("calendar", "windows")] = file

    # -- rules/*.yaml ------------------------------------------------------------------------
    def rules(self) -> None:
        folder = self.folder / "rules"
        if not folder.is_dir():
            return
        files = self.docs.rule_files
        index: dict[str, tuple[int, int]] = {}
        for fi, (_, raw) in enumerate(files):
            for ri, r in enumerate(raw if isinstance(raw, list) else ()):
                if isinstance(r, dict) and isinstance(r.get("code"), str):
                    index.setdefault(r["code"], (fi, ri))
        removed: set[tuple[int, int]] = set()
        for path in sorted(folder.glob("*.yaml")):
            file = f"{self.label}rules/{path.name}"
            raw = _mapping(file, "top level", _read(self.folder, f"rules/{path.name}", file),
                           ("remove", "replace", "update", "add"))
            for code in _list(file, "remove", raw.get("remove")):
                if code not in index or index[code] in removed:
                    raise _fail(file, f"remove.{code}", "the base version has no such rule")
                removed.add(index[code])
            added = []
            for i, r in enumerate(_list(file, "replace", raw.get("replace"))):
                code = r.get("code") if isinstance(r, dict) else None
                if code not in index or index[code] in removed:
                    raise _fail(file, f"replace.{code or f'rule #{i + 1}'}", "the base version has no such rule")
                removed.add(index[code])
                added.append(copy.deepcopy(r))
            upd = raw.get("update")
            for code, ch in _mapping(file, "update", upd, tuple(map(str, upd or ()))).items():
                # some keys of a rule change, the rest is the base's: e.g. new examples for a new
                # bundled example, or a rule moved to a renamed field
                if code not in index or index[code] in removed:
                    raise _fail(file, f"update.{code}", "the base version has no such rule")
                ch = _mapping(file, f"update.{code}", ch, _RULE_UPDATABLE)
                fi, ri = index[code]
                removed.add((fi, ri))
                added.append(dict(copy.deepcopy(files[fi][1][ri]), **copy.deepcopy(ch)))
            for i, r in enumerate(_list(file, "add", raw.get("add"))):
                code = r.get("code") if isinstance(r, dict) else None
                if code in index and index[code] not in removed:
                    raise _fail(file, f"add.{code}", "the base version already has this rule (replace it instead)")
                added.append(copy.deepcopy(r))
            if added:
                files.append((file, added))
        self.docs.rule_files = [
            (label, [r for ri, r in enumerate(raw) if (fi, ri) not in removed] if isinstance(raw, list) else raw)
            for fi, (label, raw) in enumerate(files)]
