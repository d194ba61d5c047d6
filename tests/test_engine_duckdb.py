"""The DuckDB engine against the Python engine (the reference): every spec example, generated
submissions of iapt_ds.testing and faulty synthetic submissions run through both, and the two
must give the same findings (code, table, row, values, other, detail, expected, root cause), in
the same order, and the same row outcomes."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("duckdb", reason="the DuckDB engine needs duckdb: pip install 'iapt-ds[duckdb]'")

from iapt_ds import validate  # noqa: E402
from iapt_ds.engines.duckdb import DuckDBEngine  # noqa: E402
from iapt_ds.errors import UsageError  # noqa: E402
from iapt_ds.readers import read_rows  # noqa: E402
from iapt_ds.spec import load_spec  # noqa: E402
from iapt_ds.spec_examples import run_example  # noqa: E402
from iapt_ds.synthetic import iter_tables  # noqa: E402

SPEC = load_spec()
UPLOAD = dict(period="2020-05", provider="RX1", sender="RX1", submitted_at="2020-06-10T12:00:00")


def _finding(f):
    cause = None if f.cause is None else (f.cause.code, f.cause.table, f.cause.row)
    return (f.code, f.table, f.row, f.values, f.other, f.detail, f.expected, f.line, cause)


def _outcomes(result):
    rows = {tid: [(i, outcome, None if r is None else (r.code, r.row)) for i, outcome, r in result.rows(tid)]
            for tid in result.tables}
    counts = {tid: (t.read, t.accepted, t.rejected, t.with_warnings) for tid, t in result.tables.items()}
    return rows, counts, result.outcome, result.not_checked


def assert_same(py, db):
    assert [_finding(f) for f in db.findings] == [_finding(f) for f in py.findings]
    assert _outcomes(db) == _outcomes(py)


def _same_in_both(sub):
    """*sub* validated by the Python engine and by DuckDB, required to give the same result: the
    Python result and the DuckDB engine (what it ran in SQL)."""
    engine = DuckDBEngine()
    py = validate(sub, spec=SPEC, **UPLOAD)
    assert_same(py, validate(sub, spec=SPEC, engine=engine, **UPLOAD))
    return py, engine


_ALL = os.environ.get("IAPT_DS_ALL_EXAMPLES") == "1"


def _chosen_rules() -> set[str]:
    """Every example of every rule with IAPT_DS_ALL_EXAMPLES=1 (about half an hour of CPU: each
    DuckDB run costs about a second on a small file, planning its queries); otherwise the first
    failing and passing example of the first rule of each kind (in the spec's order), which
    covers every kind's SQL and the Python fallback of every kind that has none, in a CI-sized run."""
    if _ALL:
        return set(SPEC.rules)
    per_kind: dict[str, list[str]] = {}
    for code, rule in SPEC.rules.items():
        per_kind.setdefault(rule.kind, []).append(code)
    return {code for codes in per_kind.values() for code in codes[:1]}


EXAMPLES = [pytest.param(rule, ex, id=f"{code}-{outcome}-{i}")
            for code, rule in SPEC.rules.items() if code in _chosen_rules()
            for outcome in ("fail", "pass")
            for i, ex in enumerate(rule.examples[outcome]) if i == 0 or _ALL]


@pytest.mark.parametrize("rule, example", EXAMPLES)
def test_every_spec_example_gives_the_same_result(rule, example):
    py, _ = run_example(rule, example, SPEC)
    db, _ = run_example(rule, example, SPEC, engine="duckdb")
    assert_same(py, db)


def _synthetic(rows, seed, fault_rate):
    tables = {SPEC.tables[tid].name: [dict(zip(cols, r)) for r in it]
              for tid, cols, it in iter_tables(rows, seed=seed, fault_rate=fault_rate, spec=SPEC)}
    return read_rows(tables, spec=SPEC, source="<synthetic>")


@pytest.mark.parametrize("seed, fault_rate", [(1, 0.0), (2, 0.05), (3, 0.3), (4, 0.9)])
def test_faulty_synthetic_submissions_give_the_same_result(seed, fault_rate):
    sub = _synthetic(3000, seed, fault_rate)
    py, engine = _same_in_both(sub)
    if fault_rate:
        assert py.findings  # the comparison is about something
    # the kinds that cover most rules ran as SQL, not through the Python fallback
    sql_kinds = {SPEC.rules[c].kind for c in engine.ran_in_sql}
    assert {"not_blank", "length", "in_codelist", "valid_date", "date_compare", "unique", "conditional",
            "nhs_number", "snomed_ct"} <= sql_kinds
    for code, why in engine.ran_in_python.items():
        assert SPEC.kinds[SPEC.rules[code].kind].sql(SPEC.rules[code], "duckdb") is None or "not held in SQL" in why


def test_generated_submissions_give_the_same_result():
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    from iapt_ds.testing import breaking, submissions, upload_of

    codes = sorted(c for c, r in SPEC.rules.items() if r.kind in ("length", "in_codelist", "date_compare", "unique",
                                                                    "conditional", "not_blank", "valid_date",
                                                                    "nhs_number", "snomed_ct", "one_open_per"))

    @hypothesis.settings(max_examples=20, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(data=st.data())
    def check(data):
        if data.draw(st.booleans(), label="broken"):
            broken = data.draw(breaking(data.draw(st.sampled_from(codes), label="code")), label="submission")
            rows, kwargs = broken.rows, broken.kwargs
        else:
            rows = data.draw(submissions(), label="submission")
            kwargs = upload_of(rows)
        assert_same(validate(rows, **kwargs), validate(rows, engine="duckdb", **kwargs))

    check()


def test_an_unknown_engine_is_a_usage_error():
    with pytest.raises(UsageError, match="engine must be one of python, duckdb, spark"):
        validate({}, engine="polars")


# ------------------------------------------------------------------ CSV folders read by DuckDB

def _write(folder, seed, fault_rate, rows=2000):
    from iapt_ds.synthetic import write_csv_folder

    write_csv_folder(folder, rows=rows, seed=seed, fault_rate=fault_rate, spec=SPEC)
    return folder


def _both(folder):
    engine = DuckDBEngine()
    py = validate(str(folder), spec=SPEC, **UPLOAD)
    db = validate(str(folder), spec=SPEC, engine=engine, **UPLOAD)
    assert_same(py, db)
    assert py.identifiers == db.identifiers
    return py, engine


@pytest.mark.parametrize("seed, fault_rate", [(5, 0.0), (6, 0.05), (7, 0.4)])
def test_a_csv_folder_read_by_duckdb_gives_the_same_result(tmp_path, seed, fault_rate):
    py, engine = _both(_write(tmp_path / "sub", seed, fault_rate))
    # DuckDB read every table file itself (the synthetic files are plain: no quotes, no odd bytes)
    assert len(engine.read_in_sql) >= 15
    if fault_rate:
        assert py.findings


def _edit(path, change):
    text = path.read_bytes().decode("utf-8")
    path.write_text(change(text), encoding="utf-8", newline="")


def test_odd_csv_files_go_to_the_python_reader_and_odd_values_to_the_python_parser(tmp_path):
    """Files the Python reader has something to say about are read by it; values not written in
    their type's canonical form are typed by the Python parser: the findings do not change."""
    folder = _write(tmp_path / "sub", 8, 0.02, rows=1500)
    by_name = {p.stem: p for p in folder.iterdir()}
    # a quoted value, a ragged row, an unknown column, a BOM, a blank line, CRLF line ends
    _edit(by_name["IDS001MPI"], lambda t: t.split("\n", 1)[0] + "\n" + '"' + t.split("\n", 1)[1].replace(",", '",', 1))
    _edit(by_name["IDS002GP"], lambda t: t.rstrip("\n") + ",extra\n")
    _edit(by_name["IDS004EmpStatus"], lambda t: t.replace("\n", ",Surplus\n", 1))
    _edit(by_name["IDS007DisabilityType"], lambda t: "\ufeff" + t)
    _edit(by_name["IDS011SocPerCircumstances"], lambda t: t.replace("\n", "\n\n", 2))
    _edit(by_name["IDS101Referral"], lambda t: t.replace("\n", "\r\n"))
    # odd values in plain files: spaces around codes and dates, unreal dates, a date with a time,
    # a whitespace-only date, lower-case and short dates
    lines = by_name["IDS201CareContact"].read_bytes().decode("utf-8").split("\n")
    header = lines[0].split(",")
    when = header.index("CareContDate")
    odd = [" 2021-03-02", "2021-02-30", "2021-3-2", "0000-01-01", "\t", "2021-03-02 ", "20210302"]
    for k, value in enumerate(odd, 1):
        cells = lines[k].split(",")
        cells[when] = value
        cells[0] = "  " + cells[0] + " "
        lines[k] = ",".join(cells)
    by_name["IDS201CareContact"].write_text("\n".join(lines), encoding="utf-8", newline="")
    # a date with a time of day in a date column: that column is not held in SQL (Python runs its rules)
    lines = by_name["IDS101Referral"].read_bytes().decode("utf-8").split("\r\n")
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("ReferralRequestReceivedDate")] = "2020-05-18T10:30:00"
    lines[1] = ",".join(cells)
    by_name["IDS101Referral"].write_text("\r\n".join(lines), encoding="utf-8", newline="")
    py, engine = _both(folder)
    assert py.findings
    read = set(engine.read_in_sql)
    assert {"IDS001", "IDS002", "IDS004", "IDS007", "IDS011"}.isdisjoint(read)
    assert {"IDS101", "IDS201", "IDS202"} <= read


def test_the_command_line_engine_reads_the_folder_with_duckdb_and_reports_the_same(tmp_path, monkeypatch):
    from iapt_ds import cli

    folder = _write(tmp_path / "sub", 9, 0.05, rows=1500)
    read_by = []
    original = DuckDBEngine.read

    def spy(self, *args, **kwargs):
        sub = original(self, *args, **kwargs)
        read_by.append(list(self.read_in_sql))
        return sub
    monkeypatch.setattr(DuckDBEngine, "read", spy)
    reports = {}
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.json"
        status = cli.main(["validate", str(folder), "--engine", engine, "--format", "json", "--output", str(out),
                           "--period", "2020-05", "--provider", "RX1", "--sender", "RX1",
                           "--submitted-at", "2020-06-10T12:00:00", "--quiet"])
        text = out.read_text(encoding="utf-8")
        reports[engine] = (status, [line for line in text.splitlines() if '"run_at"' not in line])
    assert reports["duckdb"] == reports["python"]
    assert reports["python"][0] == 1  # rejected rows at this fault rate: the comparison is about something
    assert read_by and len(read_by[0]) >= 15


def _set_cells(path, field, values):
    """Rows 1.. of the CSV file at *path* with *field* set to each of *values* in turn."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    at = lines[0].split(",").index(field)
    for k, value in enumerate(values, 1):
        cells = lines[k].split(",")
        cells[at] = value
        lines[k] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8", newline="")


def test_integer_and_time_fields_are_held_in_sql_with_odd_values_typed_by_python(tmp_path):
    """Integers and times written canonically are typed in SQL, any other text by the Python
    parser (a sign, leading zeros, spaces, a time out of range, a date-time in a time column):
    the length, placeholder and uniqueness rules on them run in SQL with the Python engine's findings."""
    folder = _write(tmp_path / "sub", 10, 0.02, rows=1500)
    by_name = {p.stem: p for p in folder.iterdir()}
    _set_cells(by_name["IDS201CareContact"], "ClinContDurOfCareCont",
               ["+5", "007", " 45 ", "-0", "-5", "1e3", "999999999999999999", "-0045", "0", "99999", "x"])
    _set_cells(by_name["IDS201CareContact"], "NumGroupTherParticipants", ["-1", "00", "1000"])
    _set_cells(by_name["IDS201CareContact"], "CareContTime",
               ["24:00:00", "9:00:00", "2021-01-01T10:00:00", "10:00:60", " 10:00:00", "23:59:59", "2021-01-01"])
    _set_cells(by_name["IDS606CodedScoreAssessmentRefer"], "AssToolCompTime", ["10:00:00", "10:00:00", "25:00:00"])
    py, engine = _both(folder)
    assert py.findings
    assert {"IDS20114", "IDS20158", "IDS20109", "IDS60614", "IDS60616"} <= set(engine.ran_in_sql)
    fired = {f.code for f in py.findings}
    assert {"IDS20114", "IDS20109"} <= fired


def test_an_integer_no_bigint_holds_leaves_its_field_to_python(tmp_path):
    folder = _write(tmp_path / "sub", 11, 0.0, rows=800)
    by_name = {p.stem: p for p in folder.iterdir()}
    _set_cells(by_name["IDS201CareContact"], "ClinContDurOfCareCont", ["+" + "9" * 30, "5"])
    py, engine = _both(folder)
    assert "IDS20114" in engine.ran_in_python
    assert "IDS20114" in {f.code for f in py.findings}


#: the kinds moved from Python to SQL in this engine (attended_has_activity: a rule on accepted
#: rows): every spec example of each is compared
MOVED_KINDS = ("onset_not_before_birth", "one_attended_per_slot", "attended_has_activity", "consecutive_gp_registration",
               "discharged_before_period", "pattern", "not_pattern", "assessment_tool", "score_format", "score_range",
               "finding_code")

MOVED_EXAMPLES = [pytest.param(rule, ex, id=f"{code}-{outcome}-{i}")
                  for code, rule in SPEC.rules.items() if rule.kind in MOVED_KINDS
                  for outcome in ("fail", "pass") for i, ex in enumerate(rule.examples[outcome])]


@pytest.mark.parametrize("rule, example", MOVED_EXAMPLES)
def test_every_example_of_a_kind_moved_to_sql_gives_the_same_result(rule, example):
    py, _ = run_example(rule, example, SPEC)
    engine = DuckDBEngine()
    db, _ = run_example(rule, example, SPEC, engine=engine)
    assert_same(py, db)
    assert rule.code in engine.ran_in_sql


def _with_values(sub, tid, field, values):
    """*sub* with the first rows of *tid*'s *field* set to *values* (typed values, in memory)."""
    col = sub.tables[tid].values[field]
    assert len(values) <= len(col)
    col[:len(values)] = values
    return sub


def test_onsets_of_every_shape_against_birth_dates_give_the_same_result():
    sub = _synthetic(4000, 12, 0.0)
    import datetime as dt
    births = sub.tables["IDS001"].values["PersonBirthDate"]
    births[:] = [dt.date(1990, 5, 15) if i % 5 else None for i in range(len(births))]
    onsets = [None, "", "abcd-01", "19x0-01", "1990-1,", "1990-13", "1990-00", "1990-7", "1990/07", " 1990-07"]
    for y in (1989, 1990, 1991):
        for m in ("01", "04", "05", "06", "1,"):
            for end in ("", "\n", "\n\n", "\r\n", "\n\r\n", "\r", "\u2028", "\n\u0085", "x", "\n\n\n", " "):
                onsets.append(f"{y}-{m}{end}")
    sub = _with_values(sub, "IDS101", "OnsetDate", onsets)
    py, engine = _same_in_both(sub)
    assert "IDS10141" in engine.ran_in_sql
    assert "IDS10141" in {f.code for f in py.findings}


def test_double_booked_slots_give_the_same_result():
    sub = _synthetic(1500, 13, 0.0)
    t = sub.tables["IDS201"]
    n = 60
    # the same slot for rows 0-29 (NULL time in some), then pairs sharing a slot, some attended
    for i in range(n):
        j = 0 if i < 30 else 30 + (i - 30) // 2 * 2
        for f in ("ServiceRequestId", "CareContDate", "CareContTime"):
            t.values[f][i] = t.values[f][j]
        if i % 7 == 0:
            t.values["CareContTime"][i] = None
        t.values["AttendOrDNACode"][i] = ("5", "6", "2", None)[i % 4]
    py, engine = _same_in_both(sub)
    assert "IDS20168" in engine.ran_in_sql
    assert "IDS20168" in {f.code for f in py.findings}


def _plain_reference(data: bytes) -> bool:
    """What the DuckDB reader's file test means, on the whole file at once."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return (bool(data) and not data.startswith((b"\xef\xbb\xbf", b"\n", b"\r\n")) and b'"' not in data
            and b"\x00" not in data and b"\n\n" not in data and b"\n\r\n" not in data
            and data.count(b"\r") == data.count(b"\r\n"))


@pytest.mark.parametrize("slice_size", [1, 2, 3, 5, 8, 1 << 22])
def test_the_file_test_sees_the_same_across_slices(tmp_path, monkeypatch, slice_size):
    from iapt_ds.engines import _duckdb_csv

    monkeypatch.setattr(_duckdb_csv, "_SLICE", slice_size)
    samples = [b"a,b\n1,2\n", b"a,b\r\n1,2\r\n", b"a,b\n1,2\r", b"a,b\r1,2\n", b"a,b\n\n1,2\n", b"a,b\n\r\n1,2\n",
               b'a,b\n"1",2\n', b"a,b\n1,\x002\n", b"\xef\xbb\xbfa,b\n", b"\na,b\n", b"\r\na,b\n", b"",
               "a,b\nÉcole,£5\n".encode(), "a,b\n€,x\n".encode(), b"a,b\n\xff,1\n", b"a,b\n\xe2\x82,1\n",
               "a,b\n1,€".encode()[:-1], b"a,b\n1,2\r\n\r\n", b"a,b\n\xc3", b"a\r\r\nb\n"]
    for n, data in enumerate(samples):
        path = tmp_path / f"f{n}.csv"
        path.write_bytes(data)
        assert _duckdb_csv._plain_file(path) == _plain_reference(data), data


def test_duckdb_threads_give_the_same_result_and_a_wrong_count_is_a_usage_error(tmp_path):
    folder = _write(tmp_path / "sub", 14, 0.05, rows=1500)
    engine = DuckDBEngine(threads=2)
    py = validate(str(folder), spec=SPEC, **UPLOAD)
    db = validate(str(folder), spec=SPEC, engine=engine, **UPLOAD)
    assert_same(py, db)
    assert py.findings
    for wrong in (0, -1, 1.5, "2", True):
        with pytest.raises(UsageError, match="threads must be a whole number"):
            DuckDBEngine(threads=wrong)


def test_duckdb_shows_no_progress_bar(tmp_path):
    """DuckDB's progress bar (on by default) would print over the command line's output on a long query."""
    engine = DuckDBEngine()
    validate(str(_write(tmp_path / "sub", 15, 0.0, rows=300)), spec=SPEC, engine=engine, **UPLOAD)
    con = engine._open()
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)


def _nhs(nine: str) -> str:
    """*nine* digits and their Modulus 11 check digit ("" when there is none: the sum gives 10)."""
    check = 11 - sum(int(c) * w for c, w in zip(nine, range(10, 1, -1))) % 11
    return "" if check == 10 else nine + str(check % 11)


def test_nhs_numbers_of_every_shape_give_the_same_result():
    # ten ASCII digits are settled in SQL, any other text by the Python test: both sides of each
    from iapt_ds.checks.values import nhs_number_is_valid

    sub = _synthetic(3000, 14, 0.0)
    valid = [n for n in (_nhs(f"{943476587 + 7919 * i:09d}"[-9:]) for i in range(40)) if n]
    wrong_check = [n[:9] + str((int(n[9]) + 1) % 10) for n in valid[:10]]
    no_check = [n + "0" for n in (f"{i:09d}" for i in range(100, 400)) if not _nhs(n)][:5]
    palindromes = ["1234554321", "0000000000", "9999999999", "4010220104"]
    others = ["943476587", "94347658701", "943 476 5870", "943-476-5870", "94347658７0", "９４３４７６５８７０",
              "943476587a", "+943476587", "٩٤٣٤٧٦٥٨٧٠", "12345５4321", "", " 9434765870", "²434765870"]
    values = valid + wrong_check + no_check + palindromes + others + [None]
    sub = _with_values(sub, "IDS001", "NHSNumber", values)
    py, engine = _same_in_both(sub)
    assert "IDSREJ006" in engine.ran_in_sql
    failing = {f.row - 1 for f in py.findings if f.code == "IDSREJ006" and f.table == "IDS001"}  # (rows from 1)
    assert failing >= set(range(len(valid), len(valid) + len(wrong_check) + len(no_check) + len(palindromes)))
    assert not failing & set(range(len(valid)))  # the comparison is about passing values too
    assert nhs_number_is_valid("٩٤٣٤٧٦٥٨٧٠") and len(valid) + len(wrong_check) + len(no_check) + len(palindromes) + 8 \
        not in failing  # a valid number in Arabic-Indic digits passes, through the Python test


def test_attended_contacts_with_and_without_accepted_activities_give_the_same_result():
    # IDS20169 in SQL: attended or not, a NULL contact id, an activity that is there but rejected
    sub = _synthetic(3000, 15, 0.0)
    contacts, acts = sub.tables["IDS201"], sub.tables["IDS202"]
    attend = contacts.values["AttendOrDNACode"]
    for i in range(40):
        attend[i] = ("5", "6", "2", None, "3")[i % 5]
    contacts.values["CareContactId"][3] = None
    contacts.values["CareContactId"][5] = None
    # activities of some attended contacts taken away, others made to be rejected (a blank id)
    ids = set(contacts.values["CareContactId"][:40])
    act_ids = acts.values["CareContactId"]
    for j, v in enumerate(act_ids):
        if v in ids and j % 3 == 0:
            act_ids[j] = "gone"
        elif v in ids and j % 3 == 1:
            acts.values["CareActId"][j] = None
    py, engine = _same_in_both(sub)
    assert "IDS20169" in engine.ran_in_sql
    failing = {f.row - 1 for f in py.findings if f.code == "IDS20169"}
    assert failing and failing != set(i for i in range(40) if attend[i] in ("5", "6"))  # some pass


def test_lengths_with_line_terminators_and_other_characters_give_the_same_result():
    # the length kind's SQL: plain ASCII by length; the rest by one regular expression (no line
    # terminator but one at the end, of Java's five, CR LF as one), of a text and an integer field
    sub = _synthetic(3000, 16, 0.0)
    texts = [None, "", "R1Z", "R1Z01", "R1Z0123", "R1Z012345", "R1Z0123456"]
    for t in ("\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029", "\n\n", "\r\r\n", "\n\r", "\u2028\n"):
        texts += [f"R1Z01{t}", f"R1Z0123{t}", f"R1Z012345{t}", f"{t}R1Z01", f"R1{t}Z01", f"R1Z{t}0123"]
    texts += ["R1Zé01", "R1Zé0123456", "ＲＩＺ０１", "R1Z\t01", "R1Z\x0b01", "R1Z\x0c01", "R1Z\x1c01",
              "😀😀😀😀😀", "😀😀😀😀😀😀😀😀😀😀"]
    sub = _with_values(sub, "IDS201", "SiteIDOfTreat", texts)
    sub = _with_values(sub, "IDS201", "ClinContDurOfCareCont", [None, 0, 7, 9999, 10000, -1, -999, 123456789])
    py, engine = _same_in_both(sub)
    assert {"IDS20148", "IDS20114"} <= set(engine.ran_in_sql)
    failing = {f.row - 1 for f in py.findings if f.code == "IDS20148"}
    assert failing and set(range(len(texts))) - failing - {0}  # failing and passing values both
    assert {f.row - 1 for f in py.findings if f.code == "IDS20114"} >= {4, 7}


def test_consecutive_gp_registrations_of_every_kind_give_the_same_result():
    # IDS00223 in SQL: a follower the next day at another practice (passes), at the same practice,
    # none, one rejected (a blank practice), NULL patients on both sides, an end on the last date
    import datetime as dt

    sub = _synthetic(3000, 17, 0.0)
    t = sub.tables["IDS002"]
    lpi, start, end, gp = (t.values[f] for f in ("LocalPatientId", "StartDateGMPRegistration",
                                                  "EndDateGMPRegistration", "GMPCodeReg"))
    day = dt.date(2021, 1, 10)
    cases = [("p1", "A81001", "B86017"), ("p2", "A81001", "A81001"), ("p3", "A81001", None), (None, "A81001", "B86017"),
             (None, "A81001", "A81001"), ("p4", "A81001", "rejected"), ("p5", None, "B86017"), ("p6", None, None)]
    i = 0
    for patient, first, second in cases:
        lpi[i], start[i], end[i], gp[i] = patient, dt.date(2020, 1, 1), day, first
        if second is not None:
            lpi[i + 1], start[i + 1], end[i + 1] = patient, day + dt.timedelta(days=1), None
            gp[i + 1] = None if second == "rejected" else second
        else:
            lpi[i + 1], start[i + 1], end[i + 1] = "other", day, None
        i += 2
    end[i], end[i + 1] = dt.date.max, None  # the last date there is; no end
    lpi[i + 2], start[i + 2], end[i + 2] = "p7", None, day  # an end without a start
    py, engine = _same_in_both(sub)
    assert "IDS00223" in engine.ran_in_sql
    failing = {f.row - 1 for f in py.findings if f.code == "IDS00223"}
    # (a NULL patient rejects its row: a follower with none does not count)
    assert {2, 4, 6, 8, 10, 14, i, i + 2} <= failing and not {0, 12} & failing  # failing and passing cases both


def test_discharges_before_the_period_give_the_same_result():
    # IDS10129 in SQL: discharged before the period start with and without a follow-up contact
    # (rejected or not), a PEQ score or another tool's, a NULL referral; on the period start; and
    # without a period start in the header (nothing to find)
    import datetime as dt

    sub = _synthetic(3000, 18, 0.0)
    refs, contacts, scores = sub.tables["IDS101"], sub.tables["IDS201"], sub.tables["IDS606"]
    rps = sub.tables["IDS000"].values["ReportingPeriodStartDate"][0]
    key, disch = refs.values["ServiceRequestId"], refs.values["ServDischDate"]
    for i in range(12):
        disch[i] = rps - dt.timedelta(days=1 + i) if i < 10 else rps
        key[i] = f"ref{i}"
    key[9] = None
    contacts.values["ServiceRequestId"][0:3] = ["ref0", "ref1", "ref2"]
    contacts.values["AppType"][0:3] = ["06", "06", "02"]
    contacts.values["CareContactId"][1] = None  # a follow-up contact that is rejected still counts
    scores.values["ServiceRequestId"][0:2] = ["ref3", "ref4"]
    scores.values["CodedAssToolType"][0:2] = ["747901000000107", "445455005"]  # a PEQ tool, then not
    py, engine = _same_in_both(sub)
    assert "IDS10129" in engine.ran_in_sql
    failing = {f.row - 1 for f in py.findings if f.code == "IDS10129"}
    assert {2, 4, 5, 9} <= failing and not {0, 1, 3, 10, 11} & failing
    sub.tables["IDS000"].values["ReportingPeriodStartDate"][0] = None
    py, engine = _same_in_both(sub)
    assert not {f for f in py.findings if f.code == "IDS10129"}


def test_scores_and_finding_codes_of_every_shape_give_the_same_result():
    # score_format, score_range and assessment_tool by each tool's check (Python's re.match and
    # float(), once per distinct score), finding_code by each scheme's shape
    sub = _synthetic(3000, 19, 0.0)
    scores = sub.tables["IDS607"]
    tools = ["720433000", "473354003", "747861000000100", "747881000000109", "446517006", "unknown", None]
    texts = ["0", "27", "28", "2.5", "5.01", "1e1", " 3", "٣", "nan", "inf", "1_0", "Y", "NA", "y", "", "3\n", "15",
             "16", "80", "81", None]
    pairs = [(a, b) for a in tools for b in texts]
    assert len(pairs) <= scores.nrows
    scores.values["CodedAssToolType"][:len(pairs)] = [a for a, _ in pairs]
    scores.values["PersScore"][:len(pairs)] = [b for _, b in pairs]
    finds = sub.tables["IDS202"]
    schemes = ["01", "02", "03", "04", "05", None]
    codes = ["F32.1", "F32.123", "XaB12", "XaB1234", "XaB1", "35489007", "3548900７", "١٢٣٤٥٦", "12345", None]
    fpairs = [(a, b) for a in schemes for b in codes]
    finds.values["FindSchemeInUse"][:len(fpairs)] = [a for a, _ in fpairs]
    finds.values["CodeFind"][:len(fpairs)] = [b for _, b in fpairs]
    py, engine = _same_in_both(sub)
    assert {"IDS60707", "IDS60711", "IDS60710", "IDS20228"} <= set(engine.ran_in_sql)
    for code in ("IDS60707", "IDS60711", "IDS60710", "IDS20228"):
        failing = {f.row - 1 for f in py.findings if f.code == code}
        assert failing and set(range(len(pairs))) - failing  # failing and passing values both


def test_the_sensitive_texts_are_gathered_only_when_asked_for_and_once(tmp_path, monkeypatch):
    # what a redacted report masks: not gathered by validate (most reports do not redact); the
    # first read gathers them (from DuckDB's tables), later reads reuse them
    from iapt_ds import pipeline

    folder = _write(tmp_path / "sub", 20, 0.05, rows=800)
    calls = []
    gather = pipeline._identifiers
    monkeypatch.setattr(pipeline, "_identifiers", lambda sub: calls.append(sub) or gather(sub))
    py = validate(str(folder), spec=SPEC, **UPLOAD)
    db = validate(str(folder), spec=SPEC, engine=DuckDBEngine(), **UPLOAD)
    assert calls == []
    assert db.identifiers == py.identifiers and len(calls) == 2
    assert db.identifiers is db.identifiers and len(calls) == 2
    assert any(len(t) == 10 and t.isdigit() for t in db.identifiers)  # NHS numbers among them
