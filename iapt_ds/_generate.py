"""Write the files generated from the specs, for every shipped version: the record classes
(``iapt_ds/records/v2_0.py``, ``v2_1.py`` and the package's ``__init__.py``), the rule catalogue
and data model (``docs/rules.md`` and ``docs/data-model.md`` for v2.0, ``docs/rules-v2.1.md`` and
``docs/data-model-v2.1.md`` for v2.1), ``docs/versions.md`` (every difference between
versions), ``docs/kinds.md`` and the compiled spec ``iapt_ds/spec_compiled.json``.
``scripts/generate.py`` calls :func:`write_all`; a test regenerates into memory and fails when a
checked-in file is out of step."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from .checks.base import Kind
from .spec import Spec, TableSpec, load_spec
from .spec_yaml import COMPILED, compiled_text

__all__ = ["records_source", "records_package_source", "rules_markdown", "data_model_markdown",
           "versions_markdown", "kinds_markdown", "generated_files", "write_all", "doc_suffix",
           "module_name"]

#: the version whose docs keep the plain names (docs/rules.md): the first, so links stay stable
_PLAIN = "2.0"



def _sql_words(k: Kind, rules: list, spec: Any = None) -> str:
    """In which SQL dialects the kind has SQL (judged on its first rule, when it has one, in the
    dialect bound to a run of *spec* with a reporting period, as an engine binds it)."""
    import datetime as _dt

    from .checks.sql import DIALECTS, Run, dialect

    if type(k).sql is Kind.sql:
        return "not yet (runs in Python only)"
    if not rules:
        return "given"
    run = Run(spec, _dt.date(2021, 3, 1), _dt.date(2021, 3, 31))
    have = [d for d in DIALECTS if k.sql(rules[0], dialect(d).bound(run=run)) is not None]  # type: ignore[union-attr]
    return ("in " + " and ".join(have)) if have else "not yet (runs in Python only)"

def doc_suffix(version: str) -> str:
    """'' for v2.0 (docs/rules.md), '-v2.1' for v2.1 (docs/rules-v2.1.md)."""
    return "" if version == _PLAIN else f"-v{version}"


def module_name(version: str) -> str:
    """The record module of a version: ``v2_0``, ``v2_1``."""
    return "v" + version.replace(".", "_")

_PY_TYPES = {"text": "str", "integer": "int", "decimal": "Decimal", "date": "datetime.date",
             "time": "datetime.time", "datetime": "datetime.datetime"}
_SEVERITY_WORDS = {"file": "file rejection", "group": "group rejection", "record": "record rejection",
                   "warning": "warning"}


def records_source(spec: Spec, earlier: list[Spec] | tuple[Spec, ...] = ()) -> str:
    """The record module of *spec*'s version. A table whose class would be the same as that of an
    *earlier* version's module (same name, docstring and fields) is imported from there rather than
    restated: a later version's module holds only what it changes or adds."""
    shared: dict[str, str] = {}   # table name -> module it is imported from
    for t in spec.tables.values():
        for e in earlier:
            same = next((b for b in e.tables.values() if b.name == t.name), None)
            if same is not None and _record_class(same) == _record_class(t):
                shared[t.name] = module_name(e.version)
                break
    own = [t for t in spec.tables.values() if t.name not in shared]
    out = [
        f'"""Typed record classes for the IAPT v{spec.version} tables.',
        "",
        "GENERATED from spec/iapt-v{v}/ by scripts/generate.py: do not edit by hand.".format(v=spec.version),
        "Attribute names are the IDB column names. A date field holds a ``datetime.date`` (a",
        "``datetime.datetime`` when the submission gave a time of day).",
    ]
    if shared:
        out += [
            "The tables this version leaves as they were are the earlier version's classes, imported:",
            "only the changed and new tables are defined here.",
        ]
    out += [
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import datetime",
        "from decimal import Decimal  # noqa: F401  (the type of any decimal field)",
        "",
        "import attrs",
        "",
    ]
    for module in sorted(set(shared.values())):
        names = [t.name for t in spec.tables.values() if shared.get(t.name) == module]
        out.append(f"from .{module} import (  # unchanged in v{spec.version}")
        out += [f"    {n}," for n in names]
        out.append(")")
        out.append("")
    out.append("__all__ = [")
    for t in spec.tables.values():
        out.append(f'    "{t.name}",')
    out += ['    "RECORD_CLASSES",', "]", "", ""]
    for t in own:
        out += _record_class(t)
        out += ["", ""]
    out.append("RECORD_CLASSES: dict[str, type] = {")
    for t in spec.tables.values():
        out.append(f'    "{t.id}": {t.name},')
    out.append("}")
    return "\n".join(out) + "\n"


def _record_class(t: TableSpec) -> list[str]:
    out = ["@attrs.frozen(slots=True)", f"class {t.name}:",
           f'    """{t.id}: {t.title} (one row per {t.row_is.split(";")[0]})."""', ""]
    for f in t.fields:
        meta = f"metadata={{\"item\": {f.item!r}, \"uid\": {f.uid!r}}}"
        out.append(f"    {f.name}: {_PY_TYPES[f.type]} | None = attrs.field(default=None, {meta})")
    return out


def records_package_source(specs: list[Spec]) -> str:
    versions = [s.version for s in specs]
    plain = next((s for s in specs if s.version == _PLAIN), specs[0])
    out = [
        '"""Typed record classes for the IAPT tables, one module per version:',
        "",
    ]
    out += [f"* :mod:`iapt_ds.records.{module_name(v)}` — IAPT v{v};" for v in versions]
    out += [
        "",
        f"The v{plain.version} classes are importable from here as before (``from iapt_ds.records import",
        f"IDS001MPI``); :func:`record_classes` gives any version's table id → class.",
        "",
        "GENERATED by scripts/generate.py: do not edit by hand.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import importlib",
        "",
        f"from .{module_name(plain.version)} import *  # noqa: F401,F403  (the v{plain.version} classes, as before)",
        f"from .{module_name(plain.version)} import RECORD_CLASSES, __all__ as _plain_all",
        "",
        f"VERSIONS = {tuple(versions)!r}",
        "",
        '__all__ = [*_plain_all, "VERSIONS", "record_classes"]',
        "",
        "",
        "def record_classes(version: str) -> dict[str, type]:",
        '    """Table id -> record class for IAPT *version* (``"2.0"``, ``"2.1"``)."""',
        "    if version not in VERSIONS:",
        "        from ..errors import UnknownNameError",
        "",
        "        raise UnknownNameError(f\"no record classes for IAPT version {version!r}; there are {', '.join(VERSIONS)}\")",
        "    module = importlib.import_module(f\"{__name__}.v{version.replace('.', '_')}\")",
        "    return module.RECORD_CLASSES",
    ]
    return "\n".join(out) + "\n"


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _anchor(name: str) -> str:
    """An explicit anchor, so links such as ``rules.md#IDS00211`` or ``data-model.md#ids002`` are stable."""
    return f'<a id="{name}"></a>'


def rules_markdown(spec: Spec) -> str:
    from .report.explain import checks  # the rule in words, as `iapt-ds explain` tells it

    lines = [
        f"# IAPT v{spec.version} rule catalogue",
        "",
        "GENERATED from `spec/iapt-v{0}/rules/*.yaml` by `scripts/generate.py`: do not edit by hand.".format(spec.version),
        "",
        f"{len(spec.rules)} rule codes: " + ", ".join(
            f"{spec.severity_counts[s]} {_SEVERITY_WORDS[s]}s" for s in ("file", "group", "record", "warning")) + ".",
        "Severity: **file** rejects the whole submission; **group** and **record** reject the row (and,",
        "through the referential-integrity rules, the rows that depend on it); **warning** keeps the row.",
        "Status: *confirmed* from NHS Digital's published rule code; *inferred* where SDCS's",
        "implementation is not public and the behaviour is reconstructed (see each rule's note).",
        f"Every code has an anchor (`rules{doc_suffix(spec.version)}.md#IDS00211`); "
        f"`iapt-ds explain CODE --dataset-version {spec.version}` tells one rule in full,",
        "with an example that fails and one that passes. What differs between versions: [versions.md](versions.md).",
        "",
    ]
    groups: dict[str, list] = {}
    for r in spec.rules.values():
        groups.setdefault("file" if r.severity == "file" else cast(str, r.table), []).append(r)
    order = ["file"] + [t for t in spec.tables if t in groups]
    titles = {g: "File-level rules (IDSREJ)" if g == "file" else f"{g} — {spec.tables[g].name}" for g in order}
    lines += [f"- [{titles[g]}](#{g.lower()}): {len(groups[g])} rules" for g in order] + [""]
    for g in order:
        lines += [_anchor(g.lower()), f"## {titles[g]}", ""]
        if g != "file":
            lines += [f"Columns and keys: [data model, {g}](data-model{doc_suffix(spec.version)}.md#{g.lower()}).", ""]
        lines += ["| Code | Severity | Table | Field(s) | What it checks | Message | Kind | Status |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in groups[g]:
            what = r.message
            if r.placeholder:
                what += " *(placeholder: never fires)*"
            if r.note:
                what += f" — {r.note}"
            table = f"[{r.table}](data-model{doc_suffix(spec.version)}.md#{r.table.lower()})" if r.table else "—"
            lines.append(f"| {_anchor(r.code)}{r.code} | {r.severity} | {table} | {', '.join(r.fields) or '—'} | "
                         f"{_md_escape(checks(r, spec))} | {_md_escape(what)} | [`{r.kind}`](kinds.md#{r.kind}) | {r.status} |")
        lines.append("")
    return "\n".join(lines)


def data_model_markdown(spec: Spec) -> str:
    lines = [
        f"# IAPT v{spec.version} data model",
        "",
        "GENERATED from `spec/iapt-v{0}/` by `scripts/generate.py`: do not edit by hand.".format(spec.version),
        "",
        f"{len(spec.tables)} tables, {sum(len(t.fields) for t in spec.tables.values())} submitted columns.",
        "Status: **M** a blank rejects the row, **R** a blank warns (or the item is required in the",
        "Data Dictionary), **O** no blank check. Lengths are those the national rules enforce on the",
        "trimmed value.",
        "",
        "## The cascade",
        "",
        "A row whose related row is rejected is rejected in turn, by these referential-integrity rules,",
        "run in this order (each sees the rejections of those before it):",
        "",
    ]
    for i, code in enumerate(spec.cascade, 1):
        r = spec.rules[code]
        rel, tid = r.params["related"], cast(str, r.table)
        lines.append(f"{i}. **[{code}](rules{doc_suffix(spec.version)}.md#{code})** — each [{tid}](#{tid.lower()}) row needs an "
                     f"accepted [{rel}](#{rel.lower()}) row with the same `{r.params['key']}`.")
    lines += ["", "Which tables hang from which:", "", "```"]
    children: dict[str | None, list[str]] = {}
    for t in spec.tables.values():
        children.setdefault(t.parent[0] if t.parent else None, []).append(t.id)

    def tree(tid: str, depth: int) -> None:
        t = spec.tables[tid]
        via = f"  (by {t.parent[1]})" if t.parent else ""
        lines.append("    " * depth + f"{tid} {t.name}{via}")
        for c in children.get(tid, []):
            tree(c, depth + 1)

    for root in children.get(None, []):
        tree(root, 0)
    lines += ["```", ""]
    lines += ["Tables: " + ", ".join(f"[{t.id}](#{t.id.lower()})" for t in spec.tables.values()) + ".", ""]
    for t in spec.tables.values():
        lines += [_anchor(t.id.lower()), f"## {t.id} — {t.name}", "",
                  f"Rules: [{sum(r.severity != 'file' for r in spec.rules_for(t.id))} codes]"
                  f"(rules{doc_suffix(spec.version)}.md#{t.id.lower()}). {t.title}. One row per {t.row_is}. "
                  f"Key shown in reports: {', '.join(t.key)}." + (
                      f" Belongs to {t.parent[0]} through `{t.parent[1]}`." if t.parent else ""), "",
                  "| # | Column | Data item | Type | Format | Status |", "|---|---|---|---|---|---|"]
        for f in t.fields:
            lines.append(f"| {f.index + 1} | `{f.name}` | {_md_escape(f.label)} | {f.type} | {_md_escape(f.format)} | {f.status} |")
        lines.append("")
    lines += ["## Code lists", ""]
    for cl in spec.codelists.values():
        lines.append(f"**{cl.name}**: " + ", ".join(
            f"`{c}`" + (f" {_md_escape(cl.meanings[c])}" if c in cl.meanings else "") for c in cl.codes))
        lines.append("")
    lines += ["## Assessment tools (IDS606, IDS607)", "", "| CodedAssToolType | Tool | Score format | Allowed |",
              "|---|---|---|---|"]
    for tool in spec.assessment_tools.values():
        allowed = (f"{tool.range[0]:g} to {tool.range[1]:g}" if tool.range else ", ".join(tool.values or ()))
        lines.append(f"| {tool.code} | {tool.tool} | {tool.format_text} | {allowed} |")
    lines.append("")
    return "\n".join(lines)


_CHANGE_ORDER = {"added": 0, "renamed": 1, "changed": 2, "removed": 3}
_WHAT_TITLES = {"table": "Tables", "column": "Columns", "codelist": "Code lists", "rule": "Rules"}


def versions_markdown(specs: list[Spec]) -> str:
    from .version_diff import diff_specs

    lines = [
        "# IAPT versions and how they differ",
        "",
        "GENERATED from `spec/` by `scripts/generate.py`: do not edit by hand.",
        "",
        "iapt-ds runs the rules of the version the header's `DatSetVer` names, as SDCS does",
        "(`--dataset-version` / `validate(version=)` chooses another); every report says which ran and why.",
        "",
        "| Version | DatSetVer | Reporting periods | Tables | Columns | Rules (file / group / record / warning) | Inferred rules | Catalogue |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in specs:
        sev = " / ".join(str(s.severity_counts[k]) for k in ("file", "group", "record", "warning"))
        inferred = sum(r.status == "inferred" for r in s.rules.values())
        lines.append(f"| {s.version} | `{s.dataset_version}` | {s.periods[0]} to {s.periods[1]} | {len(s.tables)} | "
                     f"{sum(len(t.fields) for t in s.tables.values())} | {len(s.rules)} ({sev}) | {inferred} | "
                     f"[rules{doc_suffix(s.version)}.md](rules{doc_suffix(s.version)}.md), "
                     f"[data-model{doc_suffix(s.version)}.md](data-model{doc_suffix(s.version)}.md) |")
    lines.append("")
    if len(specs) < 2:
        lines += ["Only one version ships, so there is nothing to compare.", ""]
    for old, new in zip(specs, specs[1:]):
        diffs = diff_specs(old, new)
        counts = {c: sum(d.change == c for d in diffs) for c in _CHANGE_ORDER}
        sure = sum(d.confidence == "confirmed" for d in diffs)
        lines += [f"## v{old.version} → v{new.version}", "",
                  f"{len(diffs)} differences ({', '.join(f'{n} {c}' for c, n in counts.items() if n)}); "
                  f"{sure} confirmed, {len(diffs) - sure} inferred. *Confirmed*: read in NHS Digital's code or "
                  "the Data Dictionary; *inferred*: reconstructed (see the note, which names what a rule is modelled on).",
                  ""]
        for what, title in _WHAT_TITLES.items():
            part = sorted((d for d in diffs if d.what == what), key=lambda d: (_CHANGE_ORDER[d.change], d.name))
            if not part:
                continue
            lines += [f"### {title}", "", "| Change | Name | What | Confidence | Note |", "|---|---|---|---|---|"]
            for d in part:
                name = d.name
                if what == "rule" and d.name != "cascade":
                    target = new if d.change != "removed" else old
                    name = f"[{d.name}](rules{doc_suffix(target.version)}.md#{d.name})"
                lines.append(f"| {d.change} | {name} | {_md_escape(d.detail)} | {d.confidence} | "
                             f"{_md_escape(d.note or '')} |")
            lines.append("")
    return "\n".join(lines)


_STAGE_WORDS = {
    "structure": "the structure check, before any row rule (`iapt_ds.structure`)",
    "mandatory": "the mandatory-table check, before any row rule (`iapt_ds.structure`)",
    "row": "the row rules and uniqueness (`iapt_ds.pipeline`)",
    "pipeline": "after the row rules, seeing which rows are still accepted (`iapt_ds.pipeline`)",
    "cascade": "the cascade, in the spec's cascade order (`iapt_ds.cascade`)",
    "outcome": "the file outcome, once everything else has run (`iapt_ds.outcome`)",
}


def kinds_markdown(spec: Spec) -> str:
    """docs/kinds.md: every kind of the spec's version, from its kind object."""
    used: dict[str, list[str]] = {}
    for r in spec.rules.values():
        used.setdefault(r.kind, []).append(r.code)
    lines = [
        f"# IAPT v{spec.version} rule kinds",
        "",
        "GENERATED from the kind objects (`iapt_ds.checks.catalogue`) by `scripts/generate.py`: do not edit by hand.",
        "",
        "A rule in `spec/iapt-v{0}/rules/*.yaml` names its `kind` and gives the kind's `params`.".format(spec.version),
        "Each kind is one object (see `iapt_ds.checks.base`) holding its parameters, its evaluation, what a",
        "NULL or an unparsable value does under it, its words for `explain`, how `iapt_ds.testing` breaks",
        "it, and a slot for its SQL. The YAML format is described in `spec/README.md`.",
        "",
        "| Kind | Phase | Rules | Parameters |",
        "|---|---|---|---|",
    ]
    for name, k in spec.kinds.items():
        params = ", ".join(f"`{p}`" + ("" if d.required else "?") for p, d in k.params.items()) or "—"
        lines.append(f"| [`{name}`](#{name}) | {k.phase.value} | {len(used.get(name, []))} | {params} |")
    lines.append("")
    for name, k in spec.kinds.items():
        cls = type(k)
        lines += [_anchor(name), f"## `{name}`", "", _md_escape(k.summary), "",
                  f"- Defined in: `{cls.__module__}.{cls.__name__}`",
                  f"- Runs in: {_STAGE_WORDS[k.phase.value]}",
                  f"- NULL: {k.nulls.value}; unparsable value: {k.unparsable.value}"]
        if k.testing.breaker:
            lines.append(f"- Broken by `iapt_ds.testing` with `{k.testing.breaker}`")
        else:
            lines.append(f"- Never broken by `iapt_ds.testing`: {k.testing.unbreakable}")
        codes = used.get(name, [])
        lines.append("- SQL: " + _sql_words(k, [spec.rules[c] for c in codes], spec))
        lines.append(f"- Rules ({len(codes)}): " + (", ".join(f"[{c}](rules.md#{c})" for c in codes) or "none in this version"))
        lines.append("")
        if k.params:
            lines += ["| Parameter | Type | Required | Meaning |", "|---|---|---|---|"]
            for p, d in k.params.items():
                lines.append(f"| `{p}` | {d.type_name} | {'yes' if d.required else 'no'} | {_md_escape(d.doc) or '—'} |")
            lines.append("")
    return "\n".join(lines)


def _shipped_specs() -> list[Spec]:
    from .version_choice import specs_by_version

    return list(specs_by_version().values())


def generated_files(root: Path, spec: Spec | None = None) -> dict[Path, str]:
    specs = [spec] if spec is not None else _shipped_specs()
    out: dict[Path, str] = {root / "iapt_ds" / "records" / "__init__.py": records_package_source(specs)}
    for i, s in enumerate(specs):
        out[root / "iapt_ds" / "records" / f"{module_name(s.version)}.py"] = records_source(s, specs[:i])
        out[root / "docs" / f"rules{doc_suffix(s.version)}.md"] = rules_markdown(s)
        out[root / "docs" / f"data-model{doc_suffix(s.version)}.md"] = data_model_markdown(s)
    out[root / "docs" / "versions.md"] = versions_markdown(specs)
    out[root / "docs" / "kinds.md"] = kinds_markdown(spec or load_spec())
    out[root / "iapt_ds" / COMPILED.name] = compiled_text(root / "spec")
    return out


def write_all(root: Path) -> list[Path]:
    written = []
    for path, text in generated_files(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
