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
from typing import Any, TextIO

from .. import __version__
from ..result import Result
from ..spec import Spec
from ._view import ReportView
from .explain import checks

__all__ = ["FORMAT", "VERSION", "write_json"]

FORMAT = "iapt-ds-report"
VERSION = 1


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


# one encoder for every finding record, made once: what json.dumps makes anew for each call
# (with _dump's settings: text as written, ", " and ": " separators)
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_RECORD = (_c_encoder(None, _no_default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)
           if _c_encoder is not None else None)


def _record(rec: dict[str, Any]) -> str:
    """A finding record exactly as :func:`_dump` writes it."""
    if _RECORD is None:  # pragma: no cover  (a Python without the C accelerator)
        return _dump(rec)
    return "".join(_RECORD(rec, 0))


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
    _write_block(out, map(_record, view.records()), encoded=True)
    out.write("\n}\n")


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
