"""Every writer streams: a big result goes out in small writes, never as one giant string."""

from __future__ import annotations

import io

import attrs
import pytest

from iapt_ds.report import BINARY_FORMATS, FORMATS
from iapt_ds.result import Result
from test_report_data import messy_fixture  # noqa: F401  (a fixture)


class _Recorder(io.TextIOBase):
    """A text stream that keeps only the size of the largest write and the total."""

    def __init__(self) -> None:
        self.largest = self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.largest = max(self.largest, len(s))
        self.total += len(s)
        return len(s)


def _big(result: Result, copies: int) -> Result:
    return attrs.evolve(result, findings=result.findings * copies)


@pytest.mark.parametrize("fmt", sorted(set(FORMATS) - BINARY_FORMATS))
def test_writers_stream_many_findings(messy, fmt):
    result, _ = messy
    big = _big(result, 200)                     # over 20,000 findings
    out = _Recorder()
    FORMATS[fmt](big, out)
    assert out.total > 0
    assert out.largest < 60_000, f"{fmt} wrote {out.largest} characters at once"
    if fmt in ("json", "csv"):
        assert out.total > 200 * len(result.findings) * 100  # every finding is in it


def test_writing_a_report_keeps_no_finding_it_made(tmp_path):
    """The result stores findings compactly and makes each one when read. A report reads every
    finding, yet must not leave a million made findings behind: each writer streams them (made,
    written, let go); only those other findings point at (causes, root causes, file level) are
    kept, as the view needs them before any is written."""
    import iapt_ds
    from iapt_ds.report import write_report
    from iapt_ds.report._view import ReportView
    from iapt_ds.synthetic import write_csv_folder

    write_csv_folder(tmp_path / "sub", rows=4_000, seed=3, fault_rate=0.3)
    result = iapt_ds.validate(tmp_path / "sub", period="2021-03", provider="R1Z", sender="R1Z")
    findings = result.findings
    n = len(findings)
    ReportView(result)
    # what may be kept: the findings others point at (causes, root causes) and the file level
    causes = findings.cause_positions()
    allowed = causes | {findings.root_of(k) for k in causes} | set(result.root_cause_positions())
    allowed |= {k for k, f in enumerate(findings.stream()) if f.rule.severity == "file"}
    assert n > 3_000 and len(allowed) < n * 0.7
    assert {k for k, _ in findings.made()} <= allowed
    for fmt in sorted(FORMATS):
        if fmt in BINARY_FORMATS:
            pytest.importorskip("xlsxwriter")
            write_report(result, str(tmp_path / f"r.{fmt}"), fmt)
        else:
            write_report(result, io.StringIO(), fmt)
        assert {k for k, _ in findings.made()} <= allowed, fmt
    # and what was streamed is what reading the findings gives
    assert [(f.code, f.table, f.row, f.values, f.key) for f in findings.stream()] == \
        [(f.code, f.table, f.row, f.values, f.key) for f in findings]
