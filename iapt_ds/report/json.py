"""The JSON report: the canonical machine-readable form, versioned and documented in
``docs/report-format.md``.

The summary comes first and ``findings`` last, one finding per line, written one at a time, so
millions of findings stream to the file without being held as one string. Keys are always in the
documented order and findings in the result's (pipeline) order, so the same result always gives
the same bytes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from itertools import count, repeat
from operator import add
from typing import Any, TextIO

from .. import __version__
from ..result import Result
from ..spec import Spec
from ..findings import Findings, _placeholders, message_text, message_texts
from ._view import ReportView, Row, Run, plain_runs
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
        _write_block(out, value)
        out.write(",")
    out.write('\n  "findings": ')
    runs = plain_runs(view)
    lines = map(_record, view.records()) if runs is None else _lines(view, runs)
    _write_block(out, lines, encoded=True)
    out.write("\n}\n")


class _Memo(dict):
    """key -> make(key), made on first look-up and kept: a column of keys is looked up in C
    (``map(memo.__getitem__, keys)``), Python running only for a key not seen before."""

    def __init__(self, make: Callable[[Any], str]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: Any) -> str:
        value = self[key] = self._make(key)
        return value


def _lines(view: ReportView, runs: Iterator[Run | Row]) -> Iterator[str]:
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
    sentence_of = functools.cache(findings.sentence_of)

    @functools.cache
    def ref(k: int) -> str:
        code, table, row = findings.ref_of(k)
        return (f'"id": {k}, "code": {enc(code)}, "table": {"null" if table is None else enc(table)}, '
                f'"row": {"null" if row is None else row}')

    # a cascade finding's "caused_by" by the position of its cause, its message's closing
    # sentence by that of its root cause; "null" and nothing for a finding with none
    caused_by = _Memo(lambda c: "null" if c is None else f'{{{ref(c)}, "root": {{{ref(findings.root_of(c))}}}}}')
    sentences = _Memo(lambda r: "" if r is None else sentence_of(r))

    def coded(col: list[str | None]) -> list[str]:
        if None not in col:  # (then every item is text)
            return list(map(enc, col))  # type: ignore[arg-type]
        return ["null" if v is None else enc(v) for v in col]

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
            lines = ["null" if v is None else str(v) for v in run.lines]
            keys = [coded(col) for col in run.keys]
            value = coded(run.values[0]) if run.values else ["null"] * n
            other = coded(run.others)
            causes, root_list = run.causes, run.roots
            messages: Any
            if fixed is not None and causes is None:
                messages = repeat(fixed, n)
            else:
                texts = ([rule.message] * n if fixed is not None else
                         message_texts(rule, run.values, run.others, run.expected, run.details))
                if root_list is not None:  # a cascade finding's message names its root cause
                    texts = list(map(add, texts, map(sentences.__getitem__, root_list)))
                messages = map(enc, texts)
            caused: Any = repeat("null", n) if causes is None else map(caused_by.__getitem__, causes)
            # the run's records as one block of lines, as _write_block would separate them
            yield ",\n    ".join(map(template.__mod__, zip(count(run.start), run.rows, lines, *keys, value, other,
                                                           messages, caused)))
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
            message = enc(message_text(rule, values, other_, expected, detail) + sentence_of(root))
            caused_one = caused_by[cause]
        value_one = values[0] if values else None
        yield template % (k, "null" if row is None else row, "null" if line is None else line, shown,
                          "null" if value_one is None else enc(value_one), "null" if other_ is None else enc(other_),
                          message, caused_one)


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
