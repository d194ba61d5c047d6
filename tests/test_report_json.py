"""The JSON report: its documented contract (docs/report-format.md), stable bytes, streaming."""

from __future__ import annotations

import io
import json

import iapt_ds
from iapt_ds.report import write_json
from test_report_data import FORMULA, SCRIPT, UNICODE, messy_fixture  # noqa: F401  (a fixture)

TOP_LEVEL = ["format", "version", "generator", "dataset", "outcome", "period", "source", "redacted", "counts",
             "tables", "checked", "not_checked", "root_causes", "rules", "findings"]
FINDING = ["id", "code", "severity", "table", "row", "line", "key", "field", "value", "other", "message", "caused_by"]


def _report(result, **kw) -> dict:
    out = io.StringIO()
    write_json(result, out, **kw)
    return json.loads(out.getvalue())


def test_top_level_contract(messy):
    result, _ = messy
    doc = _report(result)
    assert list(doc) == TOP_LEVEL
    assert (doc["format"], doc["version"], doc["outcome"], doc["period"]) == (
        "iapt-ds-report", 1, "rejected", "2021-03")
    assert doc["counts"]["findings"] == len(doc["findings"]) == len(result.findings)
    assert doc["counts"]["by_severity"] == result.counts_by_severity()
    assert doc["counts"]["by_code"] == result.counts_by_code()
    assert doc["not_checked"] == dict(result.not_checked)
    for tid, t in result.tables.items():
        assert doc["tables"][tid] == {"name": t.name, "read": t.read, "accepted": t.accepted, "rejected": t.rejected,
                                      "with_warnings": t.with_warnings}
    assert set(doc["rules"]) == set(result.counts_by_code())


def test_what_was_checked_is_recorded(messy):
    result, _ = messy
    checked = _report(result)["checked"]
    assert (checked["period"], checked["header_period"], checked["provider"], checked["sender"]) == (
        "2021-03", "2021-03", "R1Z", "R1Z")
    assert checked["submitted_at"] == "2021-04-05T12:00:00" and checked["submitted_at_given"] is True
    assert checked["window"] == "the primary window for 2021-03 (opens 2021-04-01, closes 2021-04-29)"
    assert checked["tool_version"] == iapt_ds.__version__ and checked["spec"] == {"name": "IAPT", "version": "2.0"}
    assert checked["reference_data"] == [] and checked["reference_given"] is False


def test_each_finding_has_the_contract_fields(messy):
    result, _ = messy
    doc = _report(result)
    for i, (rec, f) in enumerate(zip(doc["findings"], result.findings)):
        assert list(rec) == FINDING
        assert (rec["id"], rec["code"], rec["severity"], rec["table"], rec["row"]) == (i, f.code, f.rule.severity,
                                                                                      f.table, f.row)
        assert rec["severity"] in ("file", "group", "record", "warning")
        assert rec["row"] is None or rec["row"] >= 1
        assert rec["message"] == f.message
    assert any(r["row"] is None and r["code"] == "IDSREJ001" for r in doc["findings"])


def test_caused_by_points_at_the_cause_and_the_root(messy):
    result, _ = messy
    findings = _report(result)["findings"]
    cascades = [r for r in findings if r["caused_by"] is not None]
    assert len(cascades) == sum(f.cause is not None for f in result.findings) > 50
    for rec in cascades:
        cause, root = rec["caused_by"], rec["caused_by"]["root"]
        assert {k: findings[cause["id"]][k] for k in ("code", "table", "row")} == {
            k: cause[k] for k in ("code", "table", "row")}
        assert findings[root["id"]]["caused_by"] is None
        assert findings[root["id"]]["code"] == root["code"]
    gp = next(r for r in findings if r["code"] == "IDS10101" and r["row"] == 1)
    assert gp["caused_by"]["code"] == "IDS00145"
    assert {k: gp["caused_by"]["root"][k] for k in ("code", "table", "row")} == {
        "code": "IDS00211", "table": "IDS002", "row": 1}


def test_root_causes_rank_by_rows_taken_down(messy):
    result, _ = messy
    roots = _report(result)["root_causes"]
    assert [(r["code"], r["table"], r["row"], r["rows_rejected"]) for r in roots] == [
        (f.code, f.table, f.row, n) for f, n in result.root_causes()]


def test_hostile_and_unicode_values_round_trip(messy):
    result, _ = messy
    out = io.StringIO()
    write_json(result, out)
    assert UNICODE in out.getvalue()  # written as UTF-8, not \\u escapes
    values = {r["value"] for r in json.loads(out.getvalue())["findings"]}
    assert {SCRIPT, FORMULA, UNICODE} <= values


def test_the_same_result_gives_the_same_bytes(messy):
    result, _ = messy
    a, b = io.StringIO(), io.StringIO()
    write_json(result, a)
    write_json(result, b)
    assert a.getvalue() == b.getvalue()


def test_an_accepted_file_has_empty_lists():
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z")
    doc = _report(result)
    assert (doc["outcome"], doc["findings"], doc["root_causes"], doc["rules"]) == ("accepted", [], [], {})


def test_finding_records_are_written_exactly_as_json_dumps_would(tmp_path):
    """The JSON writer encodes finding records with one encoder made once: the bytes are those of
    json.dumps, whatever the values hold (quotes, control characters, non-ASCII)."""
    from iapt_ds.report._view import ReportView
    from iapt_ds.report.json import _dump, _record
    from iapt_ds.synthetic import write_csv_folder

    write_csv_folder(tmp_path, rows=3000, seed=9, fault_rate=0.05)
    result = iapt_ds.validate(tmp_path, period="2021-03", provider="R1Z", sender="R1Z",
                              submitted_at="2021-04-05T12:00:00")
    records = list(ReportView(result).records())
    assert len(records) > 100
    odd = dict(records[0], value='a "quoted"\\ \u00e9\u2028\x01 text', other="\t", key={"LocalPatientId": "\u00fc"},
               line=None, caused_by={"id": 1, "code": "X", "table": None, "row": None,
                                     "root": {"id": 0, "code": "Y", "table": "T", "row": 5}})
    for rec in records + [odd]:
        assert _record(rec) == _dump(rec)
