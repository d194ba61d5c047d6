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
