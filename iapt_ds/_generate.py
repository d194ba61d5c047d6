"""Write the files generated from the spec: ``iapt_ds/records.py``, ``docs/rules.md``,
``docs/data-model.md``, ``docs/kinds.md`` and the compiled spec ``iapt_ds/spec_compiled.json``. ``scripts/generate.py`` calls :func:`write_all`; a test regenerates into
memory and fails when a checked-in file is out of step."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from .checks.base import Kind
from .spec import Spec, load_spec
from .spec_yaml import COMPILED, compiled_text

__all__ = ["records_source", "rules_markdown", "data_model_markdown", "kinds_markdown", "generated_files",
           "write_all"]

_PY_TYPES = {"text": "str", "integer": "int", "decimal": "Decimal", "date": "datetime.date",
             "time": "datetime.time", "datetime": "datetime.datetime"}
_SEVERITY_WORDS = {"file": "file rejection", "group": "group rejection", "record": "record rejection",
                   "warning": "warning"}


def records_source(spec: Spec) -> str:
    out = [
        '"""Typed record classes for the IAPT v2.0 tables.',
        "",
        "GENERATED from spec/iapt-v{v}/tables.yaml by scripts/generate.py: do not edit by hand.".format(v=spec.version),
        "Attribute names are the IDB column names. A date field holds a ``datetime.date`` (a",
        "``datetime.datetime`` when the submission gave a time of day).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import datetime",
        "from decimal import Decimal  # noqa: F401  (the type of any decimal field)",
        "",
        "import attrs",
        "",
        "__all__ = [",
    ]
    for t in spec.tables.values():
        out.append(f'    "{t.name}",')
    out += ['    "RECORD_CLASSES",', "]", "", ""]
    for t in spec.tables.values():
        out.append("@attrs.frozen(slots=True)")
        out.append(f"class {t.name}:")
        out.append(f'    """{t.id}: {t.title} (one row per {t.row_is.split(";")[0]})."""')
        out.append("")
        for f in t.fields:
            meta = f"metadata={{\"item\": {f.item!r}, \"uid\": {f.uid!r}}}"
            out.append(f"    {f.name}: {_PY_TYPES[f.type]} | None = attrs.field(default=None, {meta})")
        out += ["", ""]
    out.append("RECORD_CLASSES: dict[str, type] = {")
    for t in spec.tables.values():
        out.append(f'    "{t.id}": {t.name},')
    out.append("}")
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
        "Every code has an anchor (`rules.md#IDS00211`); `iapt-ds explain CODE` tells one rule in full,",
        "with an example that fails and one that passes.",
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
            lines += [f"Columns and keys: [data model, {g}](data-model.md#{g.lower()}).", ""]
        lines += ["| Code | Severity | Table | Field(s) | What it checks | Message | Kind | Status |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in groups[g]:
            what = r.message
            if r.placeholder:
                what += " *(placeholder: never fires)*"
            if r.note:
                what += f" — {r.note}"
            table = f"[{r.table}](data-model.md#{r.table.lower()})" if r.table else "—"
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
        lines.append(f"{i}. **[{code}](rules.md#{code})** — each [{tid}](#{tid.lower()}) row needs an "
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
                  f"(rules.md#{t.id.lower()}). {t.title}. One row per {t.row_is}. "
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
        lines.append("- SQL: " + ("given" if type(k).sql is not Kind.sql else "not yet (runs in Python only)"))
        codes = used.get(name, [])
        lines.append(f"- Rules ({len(codes)}): " + (", ".join(f"[{c}](rules.md#{c})" for c in codes) or "none in this version"))
        lines.append("")
        if k.params:
            lines += ["| Parameter | Type | Required | Meaning |", "|---|---|---|---|"]
            for p, d in k.params.items():
                lines.append(f"| `{p}` | {d.type_name} | {'yes' if d.required else 'no'} | {_md_escape(d.doc) or '—'} |")
            lines.append("")
    return "\n".join(lines)


def generated_files(root: Path, spec: Spec | None = None) -> dict[Path, str]:
    spec = spec or load_spec()
    return {
        root / "iapt_ds" / "records.py": records_source(spec),
        root / "docs" / "rules.md": rules_markdown(spec),
        root / "docs" / "data-model.md": data_model_markdown(spec),
        root / "docs" / "kinds.md": kinds_markdown(spec),
        root / "iapt_ds" / COMPILED.name: compiled_text(root / "spec"),
    }


def write_all(root: Path) -> list[Path]:
    written = []
    for path, text in generated_files(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
