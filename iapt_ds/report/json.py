"""The JSON report: the canonical machine-readable form, versioned and documented in
``docs/report-format.md``.

The summary comes first and ``findings`` last, one finding per line, written one at a time, so
millions of findings stream to the file without being held as one string. Keys are always in the
documented order and findings in the result's (pipeline) order, so the same result always gives
the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import count, repeat
from operator import add
from typing import Any, TextIO

from .. import __version__
from ..result import Result
from ..spec import Spec
from ..findings import Findings, _placeholders, message_text, message_texts, root_sentence
from ._view import Held, ReportView, Row, Run, plain_runs
from .explain import checks

__all__ = ["FORMAT", "VERSION", "write_json"]

FORMAT = "iapt-ds-report"
VERSION = 1


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


# one encoder for every value the report writes, made once: what json.dumps makes anew for each
# call (with the same settings: text as written, ", " and ": " separators)
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_RECORD = (_c_encoder(None, _no_default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)
           if _c_encoder is not None else None)


def _dump(value: Any) -> str:
    """*value* as ``json.dumps(value, ensure_ascii=False, separators=(", ", ": "))`` writes it."""
    if _RECORD is None:  # pragma: no cover  (a Python without the C accelerator)
        return _json_dumps(value)
    return "".join(_RECORD(value, 0))


_record = _dump  # a finding record


def write_json(result: Result, out: TextIO, *, redact: bool = False, spec: Spec | None = None) -> None:
    """Write *result* to the text stream *out* as the JSON report (UTF-8 text; pass a stream
    opened with ``encoding="utf-8"``). *redact* masks personal identifiers."""
    view = ReportView(result, redact=redact, spec=spec, visible=False)  # JSON keeps the data exact
    spec = view.spec
    head: dict[str, Any] = {"format": FORMAT, "version": VERSION, "generator": f"iapt-ds {__version__}",
                            "dataset": view.dataset()}
    head.update(view.header())
    head["rules"] = {code: _rule(spec, code) for code in sorted(result.counts_by_code())}
    out.write("{")
    for name, value in head.items():
        out.write(f"\n  {_dump(name)}: ")
        if name == "root_causes":  # (tens of thousands on a faulty file)
            _write_block(out, _refs_lines(value), encoded=True)
        else:
            _write_block(out, value)
        out.write(",")
    out.write('\n  "findings": ')
    runs = plain_runs(view)
    lines = map(_record, view.records()) if runs is None else _lines(view, runs)
    _write_block(out, lines, encoded=True)
    out.write("\n}\n")


def _lines(view: ReportView, runs: Iterator[Run | Row | Held]) -> Iterator[str]:
    """Each finding's record as :func:`_record` writes it (those of a run joined as
    :func:`_write_block` separates items), laid out from parts rendered once per
    rule, table and cause, a run of one rule's findings at a time (:func:`plain_runs`): per
    finding only its own values are encoded, column by column."""
    findings = view.result.findings
    assert isinstance(findings, Findings)
    tables = view.spec.tables
    enc = json.encoder.encode_basestring
    forms: dict[tuple[int, str | None], tuple[str, tuple[str, ...], str | None]] = {}
    runs_forms: dict[tuple[int, str], tuple[str, str | None]] = {}
    refs = _Refs(findings)
    # a cascade finding's "caused_by" by the position of its cause, its message's closing
    # sentence by that of its root cause; "null" and nothing for a finding with none
    caused_by, sentences = refs.caused_by, refs.sentences
    sentence_of = sentences.__getitem__

    for run in runs:
        if isinstance(run, Run):
            rule, tid = run.rule, run.table
            rform = runs_forms.get((id(rule), tid))
            if rform is None:
                field = rule.fields[0] if rule.fields else None
                code, severity, where = (_dump(x).replace("%", "%%") for x in (rule.code, rule.severity, tid))
                names = ", ".join(enc(name).replace("%", "%%") + ": %s" for name in tables[tid].key)
                rform = runs_forms[(id(rule), tid)] = (
                    # every part but the finding's own values, as a %-template
                    '{"id": %d, "code": ' + code + ', "severity": ' + severity + ', "table": ' + where
                    + ', "row": %d, "line": %s, "key": {' + names + '}, "field": '
                    + _dump(field).replace("%", "%%") + ', "value": %s, "other": %s, "message": %s, "caused_by": %s}',
                    enc(rule.message) if not _placeholders(rule.message) else None)
            template, fixed = rform
            n = len(run.rows)
            # an int is written as str() writes it, as %s does
            lines: Any = run.lines if None not in run.lines else ["null" if v is None else v for v in run.lines]
            coded = _Coded()  # a column that is both a key and the value is encoded once
            keys = [coded(col) for col in run.keys]
            value = coded(run.values[0]) if run.values else repeat("null", n)
            other = coded(run.others)
            causes, root_list = run.causes, run.roots
            if causes is not None:
                refs.know(causes, root_list)
            messages: Any
            if run.messages is not None:  # (made by the view: redacted)
                messages = map(enc, run.messages)
            elif fixed is not None and causes is None:
                messages = repeat(fixed, n)
            else:
                texts = ([rule.message] * n if fixed is not None else
                         message_texts(rule, run.values, run.others, run.expected, run.details))
                if root_list is not None:  # a cascade finding's message names its root cause
                    texts = list(map(add, texts, map(sentence_of, root_list)))
                messages = map(enc, texts)
            caused: Any = repeat("null", n) if causes is None else map(caused_by.__getitem__, causes)
            # the run's records as one block of lines, as _write_block would separate them
            yield ",\n    ".join(map(template.__mod__, zip(count(run.start), run.rows, lines, *keys, value, other,
                                                           messages, caused)))
            continue
        if isinstance(run, Held):  # (a redacting view's finding on no row)
            yield _record(view.record(run.finding, run.position))
            continue
        k, rule, table, row, line, key, values, other_, detail, expected, cause, root = run
        form = forms.get((id(rule), table))
        if form is None:
            field = rule.fields[0] if rule.fields else None
            code, severity, where = (_dump(x).replace("%", "%%") for x in (rule.code, rule.severity, table))
            form = forms[(id(rule), table)] = (
                '{"id": %d, "code": ' + code + ', "severity": ' + severity + ', "table": ' + where
                + ', "row": %s, "line": %s, "key": {%s}, "field": ' + _dump(field).replace("%", "%%")
                + ', "value": %s, "other": %s, "message": %s, "caused_by": %s}',
                tuple(f"{enc(name)}: " for name in tables[table].key) if table is not None else (),
                enc(rule.message) if not _placeholders(rule.message) else None)
        template, key_names, fixed_ = form
        shown = ", ".join([nm + ("null" if v is None else enc(v)) for nm, v in zip(key_names, key)]) if key else ""
        message: str
        if cause is None:
            message = fixed_ or enc(message_text(rule, values, other_, expected, detail))
            caused_one = "null"
        else:
            assert root is not None
            refs.know([cause], [root])
            message = enc(message_text(rule, values, other_, expected, detail) + sentence_of(root))
            caused_one = caused_by[cause]
        value_one = values[0] if values else None
        yield template % (k, "null" if row is None else row, "null" if line is None else line, shown,
                          "null" if value_one is None else enc(value_one), "null" if other_ is None else enc(other_),
                          message, caused_one)


class _Coded:
    """Columns of texts (None for NULL) as JSON, each value encoded (``null`` for None), in C
    but for the non-NULL values of a column that also holds NULLs; a column asked for again is
    the same list."""

    def __init__(self) -> None:
        self._done: dict[int, tuple[list[str | None], list[str]]] = {}

    def __call__(self, col: list[str | None]) -> list[str]:
        done = self._done.get(id(col))
        if done is not None and done[0] is col:
            return done[1]
        out = _coded(col)
        self._done[id(col)] = (col, out)
        return out


#: what stands for NULL while a column with NULLs is encoded in C (a column holding this very
#: text is encoded value by value)
_NULL_MARK = "\x00null\x00"
_MARKED = {None: _NULL_MARK}
_UNMARKED = {json.encoder.encode_basestring(_NULL_MARK): "null"}


def _coded(col: list[str | None]) -> list[str]:
    """Each of *col* as JSON: its text encoded, ``null`` for None."""
    enc = json.encoder.encode_basestring
    nulls = col.count(None)
    if not nulls:  # (then every item is text)
        return list(map(enc, col))  # type: ignore[arg-type]
    n = len(col)
    if nulls == n:
        return ["null"] * n
    if _NULL_MARK not in col:
        # None -> the mark -> its encoding -> null, each step a dict look-up in C
        coded = list(map(enc, map(_MARKED.get, col, col)))  # type: ignore[arg-type]
        return list(map(_UNMARKED.get, coded, coded))  # type: ignore[arg-type]
    return ["null" if v is None else enc(v) for v in col]


class _Refs:
    """A cascade finding's ``caused_by`` text by the position of its cause, and the sentence that
    closes its message by that of its root cause, each made once, in bulk, for the positions
    :meth:`know` is told of."""

    def __init__(self, findings: Findings) -> None:
        self._findings = findings
        self._roots = findings.roots()
        self._ref: dict[int, str] = {}            # position -> its reference's JSON text
        self._place: dict[int, tuple[str, str | None, int | None]] = {}  # position -> (code, table, row)
        self.caused_by: dict[int | None, str] = {None: "null"}
        self.sentences: dict[int | None, str] = {None: ""}

    def know(self, causes: list[int | None], roots: list[int | None] | None) -> None:
        """Make the texts of *causes* (and the sentences of *roots*, their root causes) not made
        before."""
        fresh = set(causes).difference(self.caused_by)
        fresh_roots = set(roots).difference(self.sentences) if roots is not None else set()
        if not fresh and not fresh_roots:
            return
        new: list[int] = [c for c in fresh if c is not None]
        new_roots: list[int] = list(map(self._roots.__getitem__, new))
        ref, place = self._ref, self._place
        wanted: list[int] = [k for k in fresh.union(new_roots, fresh_roots).difference(place) if k is not None]
        enc = json.encoder.encode_basestring
        for w, (code, table, row) in zip(wanted, self._findings.refs_of(wanted)):
            place[w] = (code, table, row)
            ref[w] = (f'"id": {w}, "code": {enc(code)}, "table": {"null" if table is None else enc(table)}, '
                      f'"row": {"null" if row is None else row}')
        caused_by = self.caused_by
        for c, r in zip(new, new_roots):
            caused_by[c] = "{" + ref[c] + ', "root": {' + ref[r] + "}}"
        sentences = self.sentences
        for r in [k for k in fresh_roots if k is not None]:
            code, table, row = place[r]
            sentences[r] = root_sentence(table, row, code)


_REF_KEYS = ("id", "code", "table", "row", "rows_rejected")


def _refs_lines(refs: list[dict[str, Any]]) -> Iterator[str]:
    """Each of *refs* (root causes: id, code, table, row and rows rejected) as :func:`_dump`
    writes it, from a template with each code and table encoded once."""
    enc = json.encoder.encode_basestring
    texts: dict[str | None, str] = {None: "null"}
    for ref in refs:
        if tuple(ref) != _REF_KEYS:
            yield _dump(ref)  # (not a reference as the view makes them)
            continue
        k, code, table, row, n = ref.values()
        if (type(k) is not int or type(n) is not int or type(code) is not str
                or not (row is None or type(row) is int) or not (table is None or type(table) is str)):
            yield _dump(ref)
            continue
        c = texts.get(code)
        if c is None:
            c = texts[code] = enc(code)
        t = texts.get(table)
        if t is None:
            t = texts[table] = enc(table)  # type: ignore[arg-type]  # (None is in texts)
        yield f'{{"id": {k}, "code": {c}, "table": {t}, "row": {"null" if row is None else row}, "rows_rejected": {n}}}'


def _write_block(out: TextIO, value: Any, encoded: bool = False) -> None:
    """A dict or a list with one item per line (each item compact), anything else compact;
    *encoded*: the items of the list are JSON text already."""
    items: Iterator[str]
    if isinstance(value, dict):
        items = (f"{_dump(k)}: {_dump(v)}" for k, v in value.items())
        opener, closer = "{", "}"
    elif isinstance(value, (list, Iterator)):
        items = iter(value) if encoded else (_dump(v) for v in value)
        opener, closer = "[", "]"
    else:
        out.write(_dump(value))
        return
    out.write(opener)
    sep = "\n    "
    for item in items:
        out.write(sep)
        out.write(item)
        sep = ",\n    "
    out.write(closer if sep == "\n    " else "\n  " + closer)


def _rule(spec: Spec, code: str) -> dict[str, Any]:
    r = spec.rules[code]
    return {"severity": r.severity, "table": r.table, "fields": list(r.fields), "kind": r.kind,
            "status": r.status, "checks": checks(r, spec), "message": r.message}
