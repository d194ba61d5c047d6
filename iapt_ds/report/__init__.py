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

from typing import IO, Any

from .._gcpause import paused
from ..errors import UsageError
from ..result import Result
from ..spec import Spec
from .csv import write_csv
from .html import write_html
from .json import write_json
from .redact import Redactor, mask
from .text import write_text
from .xlsx import write_xlsx

__all__ = ["FORMATS", "BINARY_FORMATS", "write_report", "write_json", "write_csv", "write_text", "write_html",
           "write_xlsx", "Redactor", "mask"]

#: format name -> writer
FORMATS: dict[str, Any] = {"text": write_text, "json": write_json, "csv": write_csv, "html": write_html,
                           "xlsx": write_xlsx}
#: formats written as bytes (to a binary stream or a path), not text
BINARY_FORMATS = frozenset({"xlsx"})


def write_report(result: Result, out: IO[Any], format: str = "text", *, redact: bool = False,
                 spec: Spec | None = None) -> None:
    """Write *result* to *out* in *format* (``text``, ``json``, ``csv``, ``html``: a text stream;
    ``xlsx``: a binary stream or a path); *redact* masks personal identifiers."""
    writer = FORMATS.get(format)
    if writer is None:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    with paused():
        writer(result, out, redact=redact, spec=spec)
