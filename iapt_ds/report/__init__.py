"""Reports from one :class:`~iapt_ds.result.Result`, in four forms:

* ``json``: the canonical machine form, versioned (see ``docs/report-format.md``);
* ``csv``: one row per finding, safe to open in a spreadsheet;
* ``text``: a summary for the terminal, with "fix these first";
* ``html``: one self-contained page to read, sort and filter, with each cascade as a tree.

Every writer streams to a text file object and takes ``redact=True`` to mask NHS numbers, local
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

from typing import TextIO

from .._gcpause import paused
from ..errors import UsageError
from ..result import Result
from ..spec import Spec
from .csv import write_csv
from .html import write_html
from .json import write_json
from .redact import Redactor, mask
from .text import write_text

__all__ = ["FORMATS", "write_report", "write_json", "write_csv", "write_text", "write_html", "Redactor", "mask"]

#: format name -> writer
FORMATS = {"text": write_text, "json": write_json, "csv": write_csv, "html": write_html}


def write_report(result: Result, out: TextIO, format: str = "text", *, redact: bool = False,
                 spec: Spec | None = None) -> None:
    """Write *result* to the text stream *out* in *format* (``text``, ``json``, ``csv`` or
    ``html``); *redact* masks personal identifiers."""
    writer = FORMATS.get(format)
    if writer is None:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    with paused():
        writer(result, out, redact=redact, spec=spec)
