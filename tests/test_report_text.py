"""The terminal summary: outcome first, counts, "fix these first", not checked."""

from __future__ import annotations

import io

import iapt_ds
from iapt_ds.report import write_text
from test_report_data import UNICODE, messy_fixture  # noqa: F401  (a fixture)


def _text(result, **kw) -> str:
    out = io.StringIO()
    write_text(result, out, **kw)
    return out.getvalue()


def test_sections_come_in_order(messy):
    result, _ = messy
    text = _text(result)
    assert text.startswith("REJECTED: SDCS would reject the whole file")
    marks = ["Why the file is rejected", "Findings: ", "Rows by table", "By code:", "Fix these first", "Not checked"]
    positions = [text.index(m) for m in marks]
    assert positions == sorted(positions)


def test_counts_per_severity_and_code(messy):
    result, _ = messy
    text = _text(result)
    sev = result.counts_by_severity()
    assert f"Findings: {len(result.findings)} ({sev['file']} file, {sev['group']} group, {sev['record']} record, " \
           f"{sev['warning']} warning)" in text
    by_code = text[text.index("By code:"):text.index("Fix these first")]
    for code, n in result.counts_by_code().items():
        line = next(line for line in by_code.splitlines() if line.strip().startswith(code + " "))
        assert f" {n}  " in line


def test_fix_these_first_ranks_root_causes(messy):
    result, _ = messy
    text = _text(result, top=3)
    section = text[text.index("Fix these first"):text.index("Not checked")]
    (first, n), *_ = result.root_causes()
    assert f" 1. {first.code} at IDS002 row 1 (R1Z0000101, A81001, 2021-05-01): {n} rows" in section
    assert section.count("\n   ") >= 3 and " 4. " not in section
    assert f"and {len(result.root_causes()) - 3} more root causes" in section


def test_unicode_survives(messy):
    result, _ = messy
    assert UNICODE in _text(result)


def test_an_accepted_file():
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z", sender="R1Z")
    text = _text(result)
    assert text.startswith("ACCEPTED: SDCS would accept this file.")
    assert "Fix these first" not in text and "Findings: 0" in text
