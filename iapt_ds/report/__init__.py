"""Reports from one :class:`~iapt_ds.result.Result`, in five forms:

* ``json``: the canonical machine form, versioned (see ``docs/report-format.md``);
* ``csv``: one row per finding, safe to open in a spreadsheet;
* ``text``: a summary for the terminal, with "fix these first";
* ``html``: one self-contained page to read, sort and filter, with each cascade as a tree;
* ``xlsx``: an Excel workbook (the ``xlsx`` extra), with a sheet each for the summary, why the
  file is rejected, what to fix first, every finding, the codes, rows by table, and not checked.

Every writer but ``xlsx`` (which writes bytes) streams to a text file object and takes ``redact=True`` to mask NHS numbers, local
patient identifiers, postcodes and birth dates (:mod:`iapt_ds.report.redact`).

>>> import io, iapt_ds
>>> from iapt_ds.report import write_report
>>> result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z")
>>> out = io.StringIO()
>>> write_report(result, out, "text")
>>> out.getvalue().splitlines()[0]
'ACCEPTED: SDCS would accept this file.'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any

from .._gcpause import paused
from .._lazy import lazy_exports
from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Result
    from ..spec import Spec
    from .csv import write_csv
    from .html import write_html
    from .json import write_json
    from .redact import Redactor, mask
    from .text import write_text
    from .xlsx import write_xlsx

__all__ = ["FORMATS", "BINARY_FORMATS", "MEASURE_FORMATS", "write_report", "write_json", "write_csv", "write_text", "write_html",
           "write_xlsx", "Redactor", "mask"]

# name -> (module, function) of each writer, imported when first used: the command line needs the
# formats' names to start, and the writers only to write
_WRITERS = {"text": ("text", "write_text"), "json": ("json", "write_json"), "csv": ("csv", "write_csv"),
            "html": ("html", "write_html"), "xlsx": ("xlsx", "write_xlsx")}
_LAZY = {name: module for module, name in _WRITERS.values()} | {"Redactor": "redact", "mask": "redact"}


class _Formats(Mapping[str, Callable[..., None]]):
    """Format name -> writer, each writer's module imported on first use."""

    def __getitem__(self, format: str) -> Callable[..., None]:
        module, name = _WRITERS[format]
        writer: Callable[..., None] = getattr(importlib.import_module(f".{module}", __name__), name)
        return writer

    def __contains__(self, format: object) -> bool:
        return format in _WRITERS

    def __iter__(self) -> Iterator[str]:
        return iter(_WRITERS)

    def __len__(self) -> int:
        return len(_WRITERS)

    def __repr__(self) -> str:
        return f"<report formats: {', '.join(_WRITERS)}>"


#: format name -> writer
FORMATS: Mapping[str, Callable[..., None]] = _Formats()
#: formats written as bytes (to a binary stream or a path), not text
BINARY_FORMATS = frozenset({"xlsx"})


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


#: the formats that show the headline measures and what each root cause costs them (``measures=``)
MEASURE_FORMATS = frozenset({"html", "text", "xlsx"})


def write_report(result: Result, out: IO[Any], format: str = "text", *, redact: bool = False,
                 spec: Spec | None = None, measures: Any = None) -> None:
    """Write *result* to *out* in *format* (``text``, ``json``, ``csv``, ``html``: a text stream;
    ``xlsx``: a binary stream or a path); *redact* masks personal identifiers. *measures* (the
    :class:`~iapt_ds.model.Submission` that was validated, or its
    :func:`iapt_ds.measures.compute`) adds the headline measures preview and, beside "fix these
    first", what each root cause costs them (``html``, ``text`` and ``xlsx``)."""
    writer = FORMATS.get(format)
    if writer is None:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    if measures is not None and format not in MEASURE_FORMATS:
        raise UsageError(f"the {format} report does not show the measures: use {', '.join(sorted(MEASURE_FORMATS))} "
                         "(or 'iapt-ds measures --format json|csv')")
    with paused():
        if measures is None:
            writer(result, out, redact=redact, spec=spec)
        else:
            writer(result, out, redact=redact, spec=spec, measures=measures)
