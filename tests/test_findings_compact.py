"""Findings are stored compactly by the ledger and made into Finding objects when read: the
result's findings still behave as a sequence of the same Finding objects, in the same order."""

from __future__ import annotations

import io
import re

import attrs

import iapt_ds
from iapt_ds.report import write_report
from iapt_ds.findings import Finding, Findings
from iapt_ds.synthetic import write_csv_folder

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def _faulty(tmp_path):
    write_csv_folder(tmp_path, rows=3000, seed=4, fault_rate=0.05)
    return iapt_ds.validate(tmp_path, **UPLOAD)


def test_counting_makes_no_finding(tmp_path):
    result = _faulty(tmp_path)
    assert isinstance(result.findings, Findings)
    counts = result.counts_by_code()
    assert sum(counts.values()) == len(result.findings) > 100
    assert result.counts_by_severity()["record"] > 0 and result.codes() == set(counts)
    made = list(result.findings._made.values()) + list(result.findings._whole.values())
    assert all(f.row is None for f in made)  # only findings on no row (the file's) exist as objects yet
    assert len(made) < len(result.findings)


def test_the_json_csv_and_text_reports_make_no_finding_on_a_row(tmp_path):
    """The writers lay findings out straight from the compact store: writing them leaves the
    result as compact as validation made it."""
    result = _faulty(tmp_path)
    for fmt in ("json", "csv", "text"):
        write_report(result, io.StringIO(), fmt)
    made = result.findings._made
    # only the root causes and the file-level findings are made, for the text's summary
    assert len(made) < len(result.findings) / 2
    positions = result.root_cause_positions()
    assert set(made) <= set(positions) | set(result.findings.positions_where(lambda r: r.severity == "file"))
    held = result.findings[5]
    assert result.findings[5] is held  # once made, the same object


def test_fast_writers_write_what_the_records_say(tmp_path):
    """The JSON and CSV writers' fast path (compact store) writes exactly what the general path
    (any sequence of findings) writes, hostile values included."""
    write_csv_folder(tmp_path, rows=3000, seed=4, fault_rate=0.05)
    mpi = tmp_path / "IDS001MPI.csv"
    lines = mpi.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    cells = lines[3].split(",")
    cells[head.index("Postcode")] = "=HYPERLINK(x)\u202e\u200b%s%d{value}"
    cells[head.index("Gender")] = "-9\x1b[2J"
    lines[3] = ",".join(cells)
    mpi.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = iapt_ds.validate(tmp_path, **UPLOAD)
    general = attrs.evolve(result, findings=tuple(result.findings))
    for fmt in ("json", "csv"):
        fast, slow = io.StringIO(), io.StringIO()
        write_report(result, fast, fmt)
        write_report(general, slow, fmt)
        a, b = (x.getvalue().splitlines() for x in (fast, slow))
        assert [x for x in a if "run_at" not in x] == [x for x in b if "run_at" not in x]
        assert "HYPERLINK" in fast.getvalue()


def test_positions_without_making_findings(tmp_path):
    result = _faulty(tmp_path)
    findings = result.findings
    every = tuple(findings)
    for k, f in enumerate(every):
        assert findings.rule_of(k) is f.rule
        c = findings.cause_of(k)
        assert (c is None) == (f.cause is None)
        if c is not None:
            assert every[c] is f.cause and every[findings.root_of(k)] is f.root
        else:
            assert findings.root_of(k) == k
    assert [(k, c) for k, c in findings.cascades()] == [
        (k, every.index(f.cause)) for k, f in enumerate(every) if f.cause is not None]
    assert findings.positions_where(lambda r: r.severity == "file") == [
        k for k, f in enumerate(every) if f.rule.severity == "file"]
    positions = result.root_cause_positions()
    assert sorted((every[k].code, every[k].table, every[k].row, n) for k, n in positions.items()) == sorted(
        (f.code, f.table, f.row, n) for f, n in result.root_causes())


def test_a_finding_costs_a_few_bytes(tmp_path):
    """The ledger stores a finding on a row as a few numbers (no object per finding)."""
    result = _faulty(tmp_path)
    findings = result.findings
    arrays = [findings._rule, findings._table, findings._row, findings._cause, findings._other,
              findings._detail, findings._expected]
    per_finding = sum(a.itemsize for a in arrays)
    assert per_finding <= 24
    assert all(len(a) == len(findings) for a in arrays)
    assert len(findings._texts) < len(findings)  # texts stored once each


def test_a_sequence_of_the_same_findings_in_order(tmp_path):
    result = _faulty(tmp_path)
    findings = result.findings
    every = tuple(findings)
    assert findings == every and every == tuple(findings) and findings != ()
    assert all(type(f) is Finding for f in every)
    assert findings[0] is every[0] and findings[-1] is every[-1] and findings[3:7] == every[3:7]
    assert [f.code for f in findings] == [r.code for r in findings.rules()]
    # a cascade finding's cause is the very finding that rejected the related row
    cascade = [f for f in every if f.cause is not None]
    assert cascade and all(any(f.cause is g for g in every) for f in cascade[:20])
    # the reason of a rejected row is one of the findings, and names that row
    for tid in ("IDS001", "IDS101", "IDS201"):
        for row in result.rejected_rows(tid)[:20]:
            reason = result.reason(tid, row)
            assert reason.table == tid and reason.row == row and reason.rejects
            assert any(reason is f for f in every)
    # a made finding carries the row's key, quoted values and source line
    f = next(f for f in every if f.table == "IDS001" and f.row is not None)
    table = iapt_ds.read(tmp_path).table("IDS001")
    assert f.key == table.key(f.row - 1) and f.line == f.row + 1
    assert f.values == tuple(table.text(f.row - 1, x) for x in f.fields)


def test_a_clean_file_has_no_findings(tmp_path):
    write_csv_folder(tmp_path, rows=500, seed=1)
    result = iapt_ds.validate(tmp_path, **UPLOAD)
    assert result.findings == () and len(result.findings) == 0 and list(result.findings) == []


def _hostile_faulty(tmp_path):
    """A faulty synthetic submission with hostile and identifying text where a redacted report
    must mask it: a postcode holding a formula, controls and an NHS number; a birth date and an
    identifier (with trailing punctuation) in fields that hold neither; a row whose cells do not
    line up with the header (masked whole)."""
    write_csv_folder(tmp_path, rows=3000, seed=4, fault_rate=0.05)
    mpi = tmp_path / "IDS001MPI.csv"
    lines = mpi.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    lpi = lines[5].split(",")[head.index("LocalPatientId")]
    cells = lines[3].split(",")
    cells[head.index("Postcode")] = "=HYPERLINK(x)\u202e\u200b%s%d{value} 943 476 5919"
    cells[head.index("Gender")] = "-9\x1b[2J"
    lines[3] = ",".join(cells)
    cells = lines[4].split(",")
    cells[head.index("Gender")] = "1985-06-14"
    cells[head.index("EthnicCategory")] = lpi + "."
    lines[4] = ",".join(cells)
    lines[6] += ",LS1 4AP," + lpi  # cells that do not line up with the header
    mpi.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return iapt_ds.validate(tmp_path, **UPLOAD)


def _steady(text: str) -> list[str]:
    """A report's lines but for the time of the run."""
    return [x for x in re.sub(r"<dt>Run at</dt><dd>[^<]*</dd>", "", text).splitlines() if "run_at" not in x]


def test_fast_redacted_writers_write_what_the_records_say(tmp_path):
    """Redacted, the JSON, CSV and HTML writers lay each run of findings out from masked
    columns (no Finding made per finding): the same bytes as the general path, which masks
    each finding on its own."""
    result = _hostile_faulty(tmp_path)
    assert any(f.code == "IDSREJ001" and f.row is not None for f in result.findings)  # a row that did not line up
    general = attrs.evolve(result, findings=tuple(result.findings))
    for fmt in ("json", "csv", "html"):
        fast, slow = io.StringIO(), io.StringIO()
        write_report(result, fast, fmt, redact=True)
        write_report(general, slow, fmt, redact=True)
        assert _steady(fast.getvalue()) == _steady(slow.getvalue())
        assert "5919" not in fast.getvalue() and "1985-06-14" not in fast.getvalue()
        assert "****-**-14" in fast.getvalue()  # a birth date out of place, masked


def test_the_fast_html_data_is_what_the_findings_say(tmp_path):
    """The HTML page's data block, laid out a run at a time from the compact store, is that of
    the general path (one finding at a time), hostile values, causes and root causes included."""
    result = _hostile_faulty(tmp_path)
    general = attrs.evolve(result, findings=tuple(result.findings))
    fast, slow = io.StringIO(), io.StringIO()
    write_report(result, fast, "html")
    write_report(general, slow, "html")
    assert _steady(fast.getvalue()) == _steady(slow.getvalue())
    data = fast.getvalue().split('id="report-data">', 1)[1].split("</script>", 1)[0]
    assert "HYPERLINK" in data and "<" not in data


def test_fast_redacted_writers_on_the_messy_result(tmp_path):
    """The same on the messy result (every severity, a deep cascade, hostile and Unicode text)."""
    from test_report_data import messy_result

    result = messy_result(tmp_path / "sub")
    general = attrs.evolve(result, findings=tuple(result.findings))
    for fmt in ("json", "csv", "html"):
        for redact in (False, True):
            fast, slow = io.StringIO(), io.StringIO()
            write_report(result, fast, fmt, redact=redact)
            write_report(general, slow, fmt, redact=redact)
            assert _steady(fast.getvalue()) == _steady(slow.getvalue())


def test_scrubbing_a_text_masks_the_tokens_a_token_by_token_pass_masks(tmp_path):
    """Redactor.text looks for identifiers among a text's tokens all at once (and remembers each
    text): it gives what masking the text token by token gives, on every text a report shows."""
    from iapt_ds.report._view import ReportView
    from iapt_ds.report.redact import _NHS_LIKE, _POSTCODE_LIKE, _TOKEN, Redactor, mask

    result = _hostile_faulty(tmp_path)
    redactor = Redactor(result.spec, result.identifiers)
    lpi = next(iter(sorted(redactor._ids)))

    def plain(text):
        if not text:
            return text
        text = _NHS_LIKE.sub(lambda m: mask(m.group(0)) or "", text)
        text = _POSTCODE_LIKE.sub(lambda m: mask(m.group(0)) or "", text)
        return _TOKEN.sub(redactor._token, text)

    texts = [t for rec in ReportView(result).records() for t in (rec["message"], rec["value"], rec["other"],
                                                                  *rec["key"].values())]
    texts += [f"{lpi}.", f"({lpi}):", f"x{lpi}", f"{lpi}/-. and {lpi}", "", None, "no identifier here"]
    masked = [redactor.text(t) for t in texts]
    assert masked == [plain(t) for t in texts]
    assert masked == [redactor.text(t) for t in texts]  # remembered: the same again
    assert sum(a != b for a, b in zip(masked, texts)) > 50
    assert redactor.text(f"({lpi}).") == f"({mask(lpi)})."


def test_a_runs_columns_and_messages_are_masked_as_each_finding_is(tmp_path):
    """Redactor.run_columns and run_messages (a run of findings at once) against
    Redactor.finding and Redactor.scrub (one finding at a time), with rows of every table
    taken as not lining up with the header and messages that hold each finding's secrets."""
    from iapt_ds.report._view import Run, _plain_runs
    from iapt_ds.report.redact import Redactor

    result = _hostile_faulty(tmp_path)
    findings = result.findings
    runs = [r for r in _plain_runs(findings, False) if isinstance(r, Run)]
    untrusted = {(r.table, row) for r in runs for row in r.rows[1::7]}
    redactor = Redactor(result.spec, result.identifiers, untrusted)
    seen_untrusted = seen_secret = 0
    for run in runs:
        keys, values, others, details, bad = redactor.run_columns(run.rule, run.table, run.rows, run.keys,
                                                                   run.values, run.others, run.details)
        each = [findings[k] for k in range(run.start, run.start + len(run.rows))]
        masked = [redactor.finding(f) for f in each]
        n = len(each)
        assert [m.key for m in masked] == [tuple(c[j] for c in keys) for j in range(n)]
        assert [m.values for m in masked] == [tuple(c[j] for c in values) for j in range(n)]
        assert [m.other for m in masked] == others and [m.detail for m in masked] == details
        assert bad == [j for j, f in enumerate(each) if (f.table, f.row) in untrusted]
        seen_untrusted += len(bad)
        # a message holding the finding's own secrets (and quoted text), as a writer might render it
        texts = [f"{m.message} '{' '.join(v or '' for v in f.values)}' {' '.join(k or '' for k in f.key)}"
                 for f, m in zip(each, masked)]
        got = redactor.run_messages(texts, run.rule, run.table, run.keys, run.values, bad)
        assert got == [redactor.scrub(t, f) for t, f in zip(texts, each)]
        seen_secret += sum(bool(redactor.secrets(f)) for f in each)
    assert seen_untrusted > 20 and seen_secret > 100


def test_the_html_encoder_made_once_writes_what_json_dumps_writes():
    from iapt_ds.report.html import _json, _json_c

    values = [0, -7, 2**70, 1.5, float("inf"), None, True, "", "</script><!--", 'a "q" \\ \u00e9\u2028\x01\t',
              ["x", None, 3, ["<b>", 4.25]], {"k": [1, "<"], "n": None}, {"1": 2}, []]
    assert [_json_c(v) for v in values] == [_json(v) for v in values]
    assert all("<" not in _json_c(v) for v in values)
