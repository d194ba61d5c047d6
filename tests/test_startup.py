"""Start-up: a command imports only what it uses (``iapt-ds --help`` no engine, no report
writer), and the lazy names behave as the real ones."""

from __future__ import annotations

import subprocess
import sys

from iapt_ds import report
from iapt_ds.report import BINARY_FORMATS, FORMATS
from iapt_ds.report.csv import write_csv
from iapt_ds.report.json import write_json
from iapt_ds.report.redact import mask


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout.split()
    return {m for m in out if m.startswith("iapt_ds")}


def test_the_command_line_parser_imports_no_engine_and_no_writer():
    loaded = _modules_after("from iapt_ds.cli import build_parser\nbuild_parser()")
    assert "iapt_ds.cli" in loaded and "iapt_ds.spec" in loaded
    # the spec carries its kind objects (iapt_ds.checks.catalogue), so iapt_ds.checks comes with it;
    # what runs them (the pipeline, the context they read) does not
    heavy = {"iapt_ds.pipeline", "iapt_ds.checks.context", "iapt_ds.readers", "iapt_ds.result", "iapt_ds.findings",
             "iapt_ds.report.html", "iapt_ds.report.json", "iapt_ds.report.xlsx", "iapt_ds.model"}
    assert loaded & heavy == set()


def test_report_formats_are_the_writers_themselves():
    assert list(FORMATS) == ["text", "json", "csv", "html", "xlsx"] and len(FORMATS) == 5
    assert FORMATS["json"] is write_json and FORMATS.get("csv") is write_csv and FORMATS.get("pdf") is None
    assert "html" in FORMATS and "pdf" not in FORMATS and BINARY_FORMATS <= set(FORMATS)
    assert report.write_json is write_json and report.mask is mask
    for name in report.__all__:
        assert getattr(report, name) is not None
