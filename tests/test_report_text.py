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


def test_fix_these_first_groups_root_causes_file_level_first(messy):
    result, _ = messy
    text = _text(result, top=5)
    section = text[text.index("Fix these first"):text.index("Not checked")]
    assert " 1. IDSREJ007 Postcode: 2 root causes, rejects the file" in section
    assert " 4. IDS00211 StartDateGMPRegistration: 2 root causes, takes down 30 rows" in section
    assert "e.g. IDS002 row 1 (R1Z0000101, A81001, 2021-05-01): Start Date" in section
    assert " 6. " not in section and "more groups of root causes" in section


def test_file_level_findings_are_grouped_by_code(messy):
    result, _ = messy
    text = _text(result)
    section = text[text.index("Why the file is rejected"):text.index("Findings: ")]
    assert "(4 file-level findings of 3 codes; any one rejects the file)" in section
    assert "IDSREJ007 × 2: Postcode must match" in section and "(and 1 more)" in section


def test_unicode_survives(messy):
    result, _ = messy
    assert UNICODE in _text(result)


def test_an_accepted_file():
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z", sender="R1Z")
    text = _text(result)
    assert text.startswith("ACCEPTED: SDCS would accept this file.")
    assert "Fix these first" not in text and "Findings: 0" in text
