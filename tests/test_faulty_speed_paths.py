"""The column-at-a-time paths that keep a faulty file close to a clean one give exactly what the
one-finding-at-a-time definitions give: reports laid out a run of findings at a time, messages
filled in for a column of findings, cells' texts for many rows, references and root causes in
bulk, cascade findings added a rule at a time."""

from __future__ import annotations

import io
import random

import attrs
import pytest

import iapt_ds
from iapt_ds.findings import Findings, message_text, message_texts
from iapt_ds.ledger import Ledger
from iapt_ds.checks.context import Context, Upload
from iapt_ds.parse import Invalid, plain_column, plain_values, render
from iapt_ds.report import write_report
from iapt_ds.report._view import ReportView, Run, plain_rows, plain_runs
from iapt_ds.synthetic import write_csv_folder

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def _without_run_time(text: str) -> list[str]:
    return [line for line in text.splitlines() if "run_at" not in line and "run at:" not in line]


@pytest.fixture(scope="module", params=[0.03, 0.4])
def faulty(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("faulty")
    write_csv_folder(folder, rows=4000, seed=11, fault_rate=request.param)
    # a hostile value, a cell to trim, and a duplicate key (a group rejection and its cascade)
    mpi = folder / "IDS001MPI.csv"
    lines = mpi.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    cells = lines[5].split(",")
    cells[head.index("Postcode")] = " =X\u202e%s%d{value} "
    lines[5] = ",".join(cells)
    lines.append(lines[7])
    mpi.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder, iapt_ds.validate(folder, **UPLOAD)


def test_reports_are_those_of_the_findings_one_by_one(faulty):
    """JSON, CSV and text from the compact store are, byte for byte, what the same findings
    held as Finding objects give (the general path)."""
    _, result = faulty
    assert sum(1 for _ in result.findings.cascades()) > 50
    general = attrs.evolve(result, findings=tuple(result.findings))
    for fmt in ("json", "csv", "text"):
        fast, slow = io.StringIO(), io.StringIO()
        write_report(result, fast, fmt)
        write_report(general, slow, fmt)
        assert _without_run_time(fast.getvalue()) == _without_run_time(slow.getvalue()), fmt


def test_runs_hold_every_finding_in_order(faulty):
    _, result = faulty
    findings = result.findings
    for show in (False, True):
        view = ReportView(result, visible=show)
        positions = []
        for run in plain_runs(view):
            if isinstance(run, Run):
                n = len(run.rows)
                assert {len(run.lines), len(run.others), len(run.details), len(run.expected)} == {n}
                assert all(len(col) == n for col in run.keys + run.values)
                positions += range(run.start, run.start + n)
            else:
                positions.append(run[0])
        assert positions == list(range(len(findings)))
        rows = list(plain_rows(view))
        every = tuple(findings)
        for row, f in zip(rows, every):
            k, rule, table, number, line, key, values, other, detail, expected, cause, root = row
            shown = view.shown(f) if show else f
            assert (rule, table, number, line, expected) == (f.rule, f.table, f.row, f.line, f.expected)
            if show:
                assert key == tuple(shown.key) or not f.key
            assert (cause is None) == (f.cause is None)
            if cause is not None:
                assert every[cause] is f.cause and every[root] is f.root


def test_messages_of_a_column_are_those_of_each_finding():
    spec = iapt_ds.load_spec()
    rng = random.Random(5)
    pool = [None, "", "a", "2021-03-01", "x" * 30, "{value}", "%s", "\u202e"]
    for rule in spec.rules.values():
        n = 7
        values = [[rng.choice(pool) for _ in range(n)] for _ in rule.fields]
        others, expected, details = ([rng.choice(pool) for _ in range(n)] for _ in range(3))
        got = message_texts(rule, values, others, expected, details)
        rows = list(zip(*values)) if values else [()] * n
        assert got == [message_text(rule, v, o, e, d) for v, o, e, d in zip(rows, others, expected, details)], \
            rule.code


def test_texts_of_many_rows_are_those_of_each_row(faulty):
    folder, _ = faulty
    sub = iapt_ds.read(folder)
    for table in sub.tables.values():
        rows = list(range(table.nrows))
        rng = random.Random(3)
        rng.shuffle(rows)
        for field in table.values:
            assert table.texts(rows, field) == [table.text(i, field) for i in rows]
        assert table.lines_of(rows) == [table.line(i) for i in rows]
    t = sub.tables["IDS001"]
    assert any(t.originals.values())  # a trimmed cell: its text as written


def test_texts_render_what_is_not_text():
    sub = iapt_ds.read({"IDS000Header": [{"DatSetVer": "2.0"}]})
    table = next(t for t in sub.tables.values() if t.nrows)
    field = next(iter(table.values))
    table.values[field] = [Invalid("bad")]
    assert table.texts([0], field) == [table.text(0, field)] == ["bad"]


def test_references_root_causes_and_counts_in_bulk(faulty):
    _, result = faulty
    findings = result.findings
    assert isinstance(findings, Findings)
    every = list(range(len(findings)))
    assert findings.refs_of(every) == [findings.ref_of(k) for k in every]
    assert list(findings.roots()) == [findings.root_of(k) for k in every]
    counted: dict = {}
    for rule in findings.rules():
        counted[rule.code] = counted.get(rule.code, 0) + 1
    assert {r.code: n for r, n in findings.rule_counts()} == counted == result.counts_by_code()
    general = attrs.evolve(result, findings=tuple(findings))
    assert general.counts_by_code() == result.counts_by_code()
    assert general.counts_by_severity() == result.counts_by_severity()
    view = ReportView(result, visible=False)
    assert [(ref["id"], n) for ref, n in view._root_refs] == [
        (findings.index(f), n) for f, n in sorted(
            ((f, n) for f, n in result.root_causes()), key=lambda x: (-x[1], x[0].code, x[0].table or "",
                                                                       x[0].row or 0))]


def test_cascade_findings_added_a_rule_at_a_time_are_those_added_one_by_one(faulty):
    folder, result = faulty
    sub = iapt_ds.read(folder)
    spec = sub.spec
    one, many = Ledger(sub), Ledger(sub)
    every = tuple(result.findings)
    by_rule: dict = {}
    for k, f in enumerate(every):
        if f.cause is not None:
            by_rule.setdefault((f.code, f.table), []).append((f.row - 1, every.index(f.cause)))
    assert by_rule
    for (code, tid), items in by_rule.items():
        rule, table = spec.rules[code], sub.tables[tid]
        for i, c in items:
            one.add(rule, table, i, cause=c)
        many.add_caused(rule, table, [i for i, _ in items], [c for _, c in items])
    # (their causes are positions in the result, not in these ledgers: compared as numbers)
    every_one = list(range(len(one.findings)))
    assert len(every_one) == len(many.findings) == sum(map(len, by_rule.values()))
    assert one.findings.refs_of(every_one) == many.findings.refs_of(every_one)
    assert list(one.findings.cascades()) == list(many.findings.cascades())
    assert one.rejected == many.rejected and one.reason == many.reason


def test_a_row_listed_twice_keeps_its_first_finding():
    sub = iapt_ds.read({"IDS000Header": [{"DatSetVer": "2.0"}, {"DatSetVer": "2.0"}]})
    spec = sub.spec
    table = sub.tables[spec.header]
    rule = next(r for r in spec.rules.values() if r.table == table.id and r.severity != "warning")
    ledger = Ledger(sub)
    ledger.add_many(rule, table, [(1, None, None), (0, None, None), (1, "again", None)])
    assert ledger.reason[table.id] == {1: 0, 0: 1}
    assert list(ledger.rejected[table.id]) == [1, 1]


def test_plain_columns_hold_none_for_invalid_values():
    bad = Invalid("x")
    col = [1, bad, None, "a", bad]
    assert plain_column(col) == [1, None, None, "a", None]
    assert col[1] is bad  # the column itself is left as it is


def test_plain_values_copy_only_a_column_holding_invalid_values():
    bad = Invalid("x")
    col = [1, bad, None, "a", bad]
    plain = plain_values(col)
    assert plain == plain_column(col) == [1, None, None, "a", None]
    assert plain is not col and col[1] is bad
    clean = [1, None, "a"]
    assert plain_values(clean) is clean  # nothing to copy


def test_related_values_are_those_of_each_linked_row(faulty):
    folder, _ = faulty
    sub = iapt_ds.read(folder)
    ctx = Context(sub.spec, sub, Upload(None, None, None, None, None), None)
    checked = 0
    for tid, t in sub.tables.items():
        if t.spec.parent is None or not t.nrows:
            continue
        above = ctx._above(tid)[1:]
        for target in above:
            if target == sub.spec.header:
                continue
            for field in list(sub.tables[target].values)[:4]:
                col = sub.tables[target].values[field]
                want = [None if j is None or type(col[j]) is Invalid else col[j] for j in ctx.link(tid, target)]
                assert ctx.related_values(tid, f"{target}.{field}") == want
                checked += 1
        own = next(iter(t.values))
        assert ctx.related_values(tid, own) == [None if type(v) is Invalid else v for v in t.values[own]]
    assert checked > 10


def _identifiers_one_by_one(sub) -> frozenset:
    from iapt_ds.parse import render

    found: set = set()
    for table in sub.tables.values():
        for name in sub.spec.sensitive_fields:
            column = table.values.get(name)
            if column is None:
                continue
            found.update(t for t in map(render, set(column)) if t)
            originals = table.originals.get(name)
            if originals:
                found.update(t.strip() for t in originals.values() if t and t.strip())
    found.update(t[:10] for t in list(found) if len(t) > 10 and t[4:5] == "-" and t[10:11] == "T")
    return frozenset(found)


def test_identifiers_are_those_of_each_value(faulty):
    from iapt_ds.pipeline import _identifiers

    folder, result = faulty
    sub = iapt_ds.read(folder)
    assert _identifiers(sub) == _identifiers_one_by_one(sub) == result.identifiers
    assert None not in result.identifiers and "" not in result.identifiers


def test_uniqueness_settled_in_c_is_uniqueness_row_by_row(faulty):
    folder, _ = faulty
    sub = iapt_ds.read(folder)
    spec = sub.spec
    ctx = Context(spec, sub, Upload(None, None, None, None, None), None)
    rules = [r for r in spec.rules.values() if r.kind == "unique" and sub.tables[r.table].nrows]
    assert rules
    shared = 0
    for rule in rules:
        table = sub.tables[rule.table]
        nulls_equal = rule.params.get("nulls_equal", False)
        rows: dict = {}
        for i in range(table.nrows):  # the definition: rows sharing a key (Invalid as NULL)
            key = tuple(None if type(v) is Invalid else v for v in (table.values[f][i] for f in rule.params["fields"]))
            if None in key and not nulls_equal:
                continue  # a NULL makes the row unique
            rows.setdefault(key, []).append(i)
        want = sorted(i for group in rows.values() if len(group) > 1 for i in group)
        got = spec.kinds["unique"].evaluate(rule, table, ctx)
        assert [f[0] for f in got] == want, rule.code
        for i, _, detail in got:
            group = next(g for g in rows.values() if i in g and len(g) > 1)
            assert detail.startswith(f"{len(group)} rows share it: rows {group[0] + 1}")
        shared += bool(got)
    assert shared  # the fixture has a duplicate key


def test_keys_told_apart_by_their_hashes_are_the_keys_themselves(faulty, monkeypatch):
    """Uniqueness and one attended contact per slot settle keys of several fields by their
    hashes first: when hashes collide (every key one hash, or a few hashes shared by many
    keys) the keys themselves decide, and the findings are those of real hashes."""
    from iapt_ds.checks import kinds

    folder, _ = faulty
    sub = iapt_ds.read(folder)
    wanted = {"unique", "one_attended_per_slot"}
    real = _evaluations(sub, wanted)
    assert sum(map(len, real.values())) > 2
    assert any(len(sub.spec.rules[c].params["fields"]) > 1 and found for c, found in real.items())
    for colliding in (lambda k: 0, lambda k: hash(k) % 3, lambda k: -1 if k[0] is None else 7):
        monkeypatch.setattr(kinds, "_key_hash", colliding)
        assert _evaluations(sub, wanted) == real


def test_duplicates_among_every_kind_of_key():
    """Keys holding NULLs, unparsable values (NULL), equal numbers of other types and repeated
    rows, with NULLs equal or not, one field or several: the rows and details the definition
    gives (rows sharing a key; a key holding a NULL shared by no row unless NULLs are equal)."""
    from iapt_ds.checks.kinds import _duplicates

    rng = random.Random(12)
    pool = [None, "a", "b", 1, 1.0, Invalid("x"), "", "a "]
    for _ in range(400):
        width, n = rng.randrange(1, 4), rng.randrange(0, 40)
        cols = [[rng.choice(pool) for _ in range(n)] for _ in range(width)]
        plain = [[None if type(v) is Invalid else v for v in c] for c in cols]
        for skip_none in (False, True):
            groups: dict = {}
            for i in range(n):
                key = tuple(c[i] for c in plain) if width > 1 else plain[0][i]
                if skip_none and (key is None or (width > 1 and None in key)):
                    continue
                groups.setdefault(key, []).append(i)
            want = sorted((i, None, f"{len(g)}:{g}") for g in groups.values() if len(g) > 1 for i in g)
            assert _duplicates(plain, skip_none, lambda k, g: f"{len(g)}:{g}") == want, (cols, skip_none)


def test_the_cascade_keeping_accepted_keys_is_the_cascade_recomputing_them(faulty, monkeypatch):
    folder, result = faulty

    class Forgetful(dict):
        def __setitem__(self, key, value):  # keeps nothing: every rule computes its keys anew
            pass

    original = Ledger.__init__

    def init(self, submission):
        original(self, submission)
        self.scratch = Forgetful()

    monkeypatch.setattr(Ledger, "__init__", init)
    again = iapt_ds.validate(folder, **UPLOAD)
    assert [(f.code, f.table, f.row) for f in again.findings] == [(f.code, f.table, f.row) for f in result.findings]
    assert list(again.findings.cascades()) == list(result.findings.cascades())
    assert again.tables == result.tables


def test_accepted_rows_flags_are_the_rejected_ones_turned_over():
    from iapt_ds.checks.file_kinds import _ACCEPTED

    rng = random.Random(2)
    for n in (0, 1, 7, 500):
        rejected = bytearray(rng.choice((0, 1)) for _ in range(n))
        assert list(rejected.translate(_ACCEPTED)) == [int(not r) for r in rejected]


def _evaluations(sub, kinds):
    spec = sub.spec
    ctx = Context(spec, sub, Upload(None, None, None, None, None), None)
    return {r.code: spec.kinds[r.kind].evaluate(r, sub.tables[r.table], ctx)
            for r in spec.rules.values() if r.kind in kinds and r.table and sub.tables[r.table].nrows}


def test_date_comparisons_in_c_are_those_pair_by_pair(faulty, monkeypatch):
    """Date comparisons settled as two columns of dates in C find what testing each distinct
    pair of values finds, with the same compared values."""
    from iapt_ds.checks import kinds

    folder, _ = faulty
    sub = iapt_ds.read(folder)
    fast = _evaluations(sub, {"date_compare"})
    assert sum(map(len, fast.values())) > 10
    monkeypatch.setattr(kinds, "_failing_date_pairs", lambda *a: None)  # the pair-by-pair path
    assert _evaluations(sub, {"date_compare"}) == fast


def test_date_pairs_in_c_with_every_kind_of_value():
    """NULL, unparsable, date-times, dates at the ends of the calendar and offsets that run past
    them: the C-level comparison equals the definition pair by pair, or hands over (None) when a
    bound runs past the last date on an on_or_after rule."""
    import datetime as dt

    from iapt_ds.checks.kinds import _failing_date_pairs, _failing_pairs, _is_date, _shift
    from iapt_ds.checks.values import as_date

    rng = random.Random(5)
    pool = [None, Invalid("2021-13-01"), dt.date.min, dt.date.max, dt.date(9999, 12, 30), dt.date(1, 1, 2),
            dt.datetime(2021, 3, 4, 23, 59), dt.datetime(2021, 3, 5), dt.datetime.max, "2021-03-04"]
    pool += [dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(-400, 400)) for _ in range(40)]
    handed_over = 0
    for p in ({}, {"offset_days": 1}, {"offset_days": -30}, {"offset_years": 1}, {"offset_years": -18},
              {"offset_days": 2, "offset_years": -1}):
        for before in (True, False):
            for k in range(30):
                plain = [v for v in pool if type(v) is dt.date]  # every third pair of columns only plain dates
                col = [rng.choice(plain if k % 3 == 0 else pool) for _ in range(300)]
                others = [rng.choice(plain if k % 3 < 2 else pool) for _ in range(300)]

                def fails(v, o):  # the definition (DateCompare)
                    if not _is_date(v) or not _is_date(o):
                        return False
                    d, bound = as_date(v), _shift(as_date(o), p)
                    if bound is None:
                        return not before
                    return d > bound if before else d < bound
                got = _failing_date_pairs(col, others, before, p)
                want = _failing_pairs(col, others, fails)
                if got is None:
                    handed_over += 1
                    assert not before and any(_is_date(o) and _shift(as_date(o), p) is None for o in others)
                    continue
                assert got == want
    assert handed_over


def test_onsets_compared_as_month_numbers_are_those_pair_by_pair():
    """Onsets against birth dates as month numbers in C: what the definition gives pair by
    pair, for SDCS's odd months ('1,'), line terminators after the month, other shapes, NULLs,
    unparsable values, date-times and the ends of the calendar."""
    import datetime as dt

    from iapt_ds.checks.kinds import _failing_onsets, _failing_pairs, _onset_before_birth

    rng = random.Random(6)
    onsets = [None, Invalid("x"), "2020-01", "2020-1,", "2020-12", "2020-13", "2020-00", "2020-01\n", "2020-01\r\n",
              "2020-01\n\n", "2020-1", "20200-01", " 2020-01", "0000-01", "9999-12", "2021-06", "2019-11", "2020-06x", 7]
    births = [None, Invalid("1990-02-30"), dt.date(2020, 1, 1), dt.date(2020, 1, 31), dt.date(2020, 6, 15),
              dt.date(2019, 12, 31), dt.date.min, dt.date.max, dt.datetime(2020, 12, 1, 10), dt.date(2021, 6, 1), "2020-01-01"]
    for _ in range(200):
        col = [rng.choice(onsets) for _ in range(60)]
        others = [rng.choice(births) for _ in range(60)]
        assert _failing_onsets(col, others) == _failing_pairs(col, others, _onset_before_birth), (col, others)
    assert _failing_onsets(["2020-01", "2020-1,", "2020-12"], [dt.date(2020, 2, 1)] * 3) == [(0, dt.date(2020, 2, 1)),
                                                                                             (1, dt.date(2020, 2, 1))]


def test_lengths_of_identifiers_are_those_of_distinct_values(faulty, monkeypatch):
    """The length rule on a column of mostly distinct values (all of them looked at, no set of
    them) finds what the distinct-value path finds."""
    from iapt_ds.checks import kinds

    folder, _ = faulty
    sub = iapt_ds.read(folder)
    monkeypatch.setattr(kinds, "_SAMPLE", 1)  # every column taken as identifiers
    every = _evaluations(sub, {"length"})
    monkeypatch.setattr(kinds, "_SAMPLE", 10**9)  # every column by its distinct values
    assert _evaluations(sub, {"length"}) == every
    assert sum(map(len, every.values())) > 10


def test_lengths_of_a_column_of_hostile_identifiers():
    """Distinct values with NULLs, zero-length text, line terminators, non-ASCII digits and
    unprintable characters: the all-values path equals each value's own test."""
    from iapt_ds.checks import values as V

    spec = iapt_ds.load_spec()
    rule = next(r for r in spec.rules.values() if r.kind == "length" and r.table == "IDS201"
                and spec.tables["IDS201"].field_map[r.fields[0]].type == "text")
    field = rule.fields[0]
    rng = random.Random(9)
    odd = ["", "\n", "ab\r\n", "١٢٣", "x\u2028", "\t", "0" * 40, "é" * 3, None]
    for digits in (False, True):
        for lo, hi in ((0, 4), (2, 6), (5, 5)):
            r = attrs.evolve(rule, params={"min": lo, "max": hi, "digits": digits})
            col = [f"{rng.randrange(10**rng.randrange(1, 8))}" for _ in range(5000)]
            for j in rng.sample(range(5000), 60):
                col[j] = rng.choice(odd)
            assert len(set(col[:2048])) > 1024  # taken as identifiers: every value looked at
            sub = iapt_ds.read({"IDS201": [{}]})
            table = sub.tables["IDS201"]
            table.values[field] = col
            table.nrows = len(col)
            ctx = Context(spec, sub, Upload(None, None, None, None, None), None)
            check = V.digits_length_is_within if digits else V.text_length_is_within
            want = [(i, None, None) for i, v in enumerate(col) if v is not None and not check(v, lo, hi)]
            assert spec.kinds["length"].evaluate(r, table, ctx) == want


def test_conditions_in_c_are_those_pair_by_pair(faulty, monkeypatch):
    """Conditional rules settled column by column (the distinct values meeting the if part,
    those failing the then part, rows holding both found in C) find what testing each distinct
    pair of values finds."""
    from iapt_ds.checks import kinds

    folder, _ = faulty
    sub = iapt_ds.read(folder)
    fast = _evaluations(sub, {"conditional"})
    assert sum(map(len, fast.values())) > 5

    def pair_by_pair(a, b, fails_a, fails_b, *about_null):  # (what is said of NULLs ignored)
        return [i for i, _ in kinds._failing_pairs(a, b, lambda x, y: fails_a(x) and fails_b(y))]
    monkeypatch.setattr(kinds, "_failing_both", pair_by_pair)
    assert _evaluations(sub, {"conditional"}) == fast


def test_conditions_about_presence_settled_without_their_values():
    """A condition about presence alone (present: true or false, on either side) is settled by
    NULL or not, with no value tested: the rows are those each pair of values' own test
    (_holds) gives, NULLs and unparsable values included."""
    from iapt_ds.checks.kinds import _about_null, _failing_both, _holds

    rng = random.Random(8)
    pool = [None, Invalid("x"), "01", "07", "9434765870", "", "a"]
    conds = [{"field": "F", "present": True}, {"field": "F", "present": False}, {"field": "F", "in": ["01"]},
             {"field": "F", "not_in": ["07"]}, {"field": "F", "present": True, "not_in": ["01", "07"]}]
    assert [_about_null(c, True) for c in conds] == [False, True, None, None, None]
    for _ in range(150):
        a = [rng.choice(pool) for _ in range(rng.randrange(0, 30))]
        b = [rng.choice(pool) for _ in range(len(a))]
        for c_if in conds:
            for c_then in conds:
                want = [i for i in range(len(a)) if _holds(c_if, a[i]) and not _holds(c_then, b[i])]
                got = _failing_both(a, b, lambda x: _holds(c_if, x), lambda y: not _holds(c_then, y),
                                    _about_null(c_if, True), _about_null(c_then, False))
                assert got == want, (a, b, c_if, c_then)


def test_nhs_numbers_in_ascii_and_other_digits():
    """The check digit of an NHS number in ASCII digits is taken from the text as it is; other
    digits (full-width, Arabic-Indic) are turned into ASCII first; the answers are those of the
    digit-by-digit definition."""
    from stdnum.gb import nhs

    from iapt_ds.checks.values import nhs_number_is_valid

    rng = random.Random(3)
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    for _ in range(3000):
        s = "".join(rng.choice("0123456789") for _ in range(10))
        want = s[:5] != s[5:][::-1] and nhs.checksum(s) == 0
        assert nhs_number_is_valid(s) is want
        assert nhs_number_is_valid(s.translate(full)) is want
    assert nhs_number_is_valid("9434765919") and not nhs_number_is_valid("9434765918")


def test_nhs_numbers_tested_together_are_python_stdnum_s_test():
    """Ten ASCII digits tested together (palindrome by halves, python-stdnum's checksum straight) fail
    exactly where python-stdnum's checksum or the palindrome test says, on many numbers: random
    ones, every check digit of some, palindromes, and every other kind of text through the
    one-value test."""
    from stdnum.gb import nhs

    from iapt_ds.checks.values import nhs_number_is_valid, nhs_numbers_failing

    rng = random.Random(13)
    numbers = {"".join(rng.choice("0123456789") for _ in range(10)) for _ in range(100_000)}
    numbers |= {f"{rng.randrange(10 ** 9):09d}{d}" for _ in range(2000) for d in "0123456789"}
    numbers |= {h + h[::-1] for h in (f"{rng.randrange(10 ** 5):05d}" for _ in range(500))} | {"0" * 10, "9" * 10}
    assert nhs_numbers_failing(numbers) == {s for s in numbers if nhs.checksum(s) != 0 or s[:5] == s[5:][::-1]}
    assert 0.08 < 1 - len(nhs_numbers_failing(numbers)) / len(numbers) < 0.1  # about 1 in 11 passes
    others = {None, Invalid("x"), 9434765870, "", "943476587", "94347658700", "943 476 5870", "943476587O",
              "٩٤٣٤٧٦٥٨٧٠", "９４３４７６５８７０", "11112\uff121111", "9434765870\n", " 9434765870", "9434765870"}
    assert nhs_numbers_failing(others) == {v for v in others if type(v) is not str or not nhs_number_is_valid(v)}


# the row-by-row definitions of the kinds settled column by column (as they were written)

def _one_open_per(self, rule, table, ctx, *extra):
    from collections import Counter

    per, field = table.values[rule.params["per"]], table.values[rule.params["field"]]
    plain = lambda v: None if type(v) is Invalid else v  # noqa: E731
    open_rows = [i for i, f in enumerate(field) if f is None or type(f) is Invalid]
    counts = Counter(plain(per[i]) for i in open_rows)
    crowded = {k for k, n in counts.items() if n > 1}
    return [(i, None, f"{counts[plain(per[i])]} open rows for {render(plain(per[i]))}")
            for i in open_rows if plain(per[i]) in crowded]


def _one_attended_per_slot(self, rule, table, ctx, *extra):
    from collections import Counter

    from iapt_ds.checks.kinds import _keys

    keys = _keys(table, rule.params["fields"], True)
    attended = frozenset(rule.params["attended"])
    counts = Counter(k for k, code in zip(keys, table.values[rule.params["attendance"]]) if code in attended)
    crowded = {k for k, n in counts.items() if n > 1}
    return [(i, None, f"{counts[k]} attended contacts in the same slot") for i, k in enumerate(keys) if k in crowded]


def _attended_has_activity(self, rule, table, ctx, *extra):
    (accepted,) = extra
    p = rule.params
    attended = frozenset(p["attended"])
    acts = ctx.table(p["activities"])
    ok = accepted(acts.id)
    have = {c for c, good in zip(acts.values[p["key"]], ok) if good and c is not None}
    return [(i, None, None) for i, (cc, code) in enumerate(zip(table.values[p["key"]], table.values[rule.fields[0]]))
            if code in attended and cc not in have]


def _discharged_before_period(self, rule, table, ctx, *extra):
    from iapt_ds.checks.values import date_of

    rps = ctx.rps
    if rps is None:
        return []
    p = rule.params
    key, follow_up = p["key"], p["follow_up_app_type"]
    contacts = ctx.table(p["follow_up_table"])
    have = {s for s, a in zip(contacts.values[key], contacts.values[p["follow_up_field"]])
            if s is not None and a == follow_up}
    peq = {c for c, t in ctx.spec.assessment_tools.items() if t.group == p["tool_group"]}
    scores = ctx.table(p["scores_table"])
    have.update(s for s, c in zip(scores.values[key], scores.values[p["tool_field"]]) if s is not None and c in peq)
    out = []
    for i, (sri, d) in enumerate(zip(table.values[key], table.values[rule.fields[0]])):
        d = date_of(d)
        if d is not None and d < rps and sri not in have:
            out.append((i, rps.isoformat(), None))
    return out


def _consecutive_gp_registration(self, rule, table, ctx, *extra):
    import datetime as dt
    from collections import defaultdict

    from iapt_ds.checks.values import date_of

    (accepted,) = extra
    p = rule.params
    lpi, start, gp = table.values[p["patient"]], table.values[p["start"]], table.values[p["practice"]]
    end = table.values[rule.fields[0]]
    ok = [not r for r in accepted.__self__.rejected[table.id]]
    starts: dict = defaultdict(set)
    for i in range(table.nrows):
        s = date_of(start[i])
        if ok[i] and s is not None:
            starts[(lpi[i], s)].add(gp[i])
    out = []
    for i in range(table.nrows):
        e = date_of(end[i])
        if e is None:
            continue
        if e == dt.date.max:
            out.append((i, None, None))
            continue
        following = starts.get((lpi[i], e + dt.timedelta(days=1)))
        if not following or gp[i] in following:
            out.append((i, render(e + dt.timedelta(days=1)), None))
    return out


_ROW_BY_ROW = {"one_open_per": _one_open_per, "one_attended_per_slot": _one_attended_per_slot,
               "attended_has_activity": _attended_has_activity,
               "discharged_before_period": _discharged_before_period,
               "consecutive_gp_registration": _consecutive_gp_registration}


def test_grouping_and_pipeline_kinds_in_c_are_those_row_by_row(faulty, monkeypatch):
    """One open row per group, one attended contact per slot and the rules on accepted rows
    (IDS00223, IDS10129, IDS20169), settled column by column, find what their row-by-row
    definitions find: the same findings, details and compared values, in the same order."""
    folder, result = faulty
    spec = iapt_ds.load_spec()
    codes = {r.code for r in spec.rules.values() if r.kind in _ROW_BY_ROW}
    found = [(f.code, f.table, f.row, f.other, f.detail) for f in result.findings if f.code in codes]
    assert len({c for c, *_ in found}) >= 3  # the fixture exercises most of them
    for name, definition in _ROW_BY_ROW.items():
        monkeypatch.setattr(type(spec.kinds[name]), "evaluate", definition)
    again = iapt_ds.validate(folder, **UPLOAD)
    assert [(f.code, f.table, f.row, f.other, f.detail) for f in again.findings if f.code in codes] == found
    assert [(f.code, f.table, f.row) for f in again.findings] == [(f.code, f.table, f.row) for f in result.findings]


def test_links_are_those_of_each_row_walked_up_its_parents(faulty):
    """A row's related row in a table above it is found by following its parents' keys one row
    at a time (the first parent row holding the key; none for a NULL or unparsable key)."""
    folder, _ = faulty
    sub = iapt_ds.read(folder)
    spec = sub.spec
    ctx = Context(spec, sub, Upload(None, None, None, None, None), None)
    checked = 0
    for tid, t in sub.tables.items():
        if t.spec.parent is None or not t.nrows:
            continue
        for target in ctx._above(tid)[1:]:
            if target == spec.header or not sub.tables[target].nrows:
                continue
            want = []
            for i in range(t.nrows):
                j: int | None = i
                here = tid
                while here != target and j is not None:
                    parent, key = spec.tables[here].parent
                    v = sub.tables[here].values[key][j]
                    col = sub.tables[parent].values[key]
                    j = None if v is None or type(v) is Invalid or v not in col else col.index(v)
                    here = parent
                want.append(j)
            assert ctx.link(tid, target) == want, (tid, target)
            checked += 1
    assert checked > 10


def test_roots_are_kept_until_a_finding_is_added(faulty):
    """roots() is worked out once (the same array while no finding is added) and anew, equal to
    root_of of each, after a finding is added."""
    _, result = faulty
    findings = result.findings
    first = findings.roots()
    assert findings.roots() is first
    assert list(first) == [findings.root_of(k) for k in range(len(findings))]
    copy = Findings()
    for k in range(len(findings)):
        rule, table, i, other, detail, expected = findings.row_data(k) if findings.whole(k) is None else (None,) * 6
        if rule is None:
            copy.append(findings.whole(k))
        else:
            copy.add_row(rule, table, i, other, detail, findings.cause_of(k), expected)
        if k % 97 == 0:  # asked for part way: kept, then renewed as findings are added
            assert list(copy.roots()) == [copy.root_of(j) for j in range(len(copy))]
    assert list(copy.roots()) == list(first)


def test_texts_of_mixed_values_are_those_of_each_cell():
    """A column of dates, date-times, times, integers, Invalid texts and NULLs is rendered one
    distinct value at a time, and says what each cell's own text says; so does one holding
    aware date-times (equal instants written with different offsets render differently)."""
    import datetime as dt

    sub = iapt_ds.read({"IDS000Header": [{"DatSetVer": "2.0"}]})
    table = next(t for t in sub.tables.values() if t.nrows)
    field = next(iter(table.values))
    utc = dt.timezone.utc
    plus1 = dt.timezone(dt.timedelta(hours=1))
    pools = [
        [None, "x", dt.date(2021, 3, 1), dt.datetime(2021, 3, 1), dt.datetime(2021, 3, 1, 10, 5),
         dt.time(9, 30), 7, 10 ** 40, Invalid("2021-02-30"), Invalid("x")],
        [dt.datetime(2021, 3, 1, 10, tzinfo=utc), dt.datetime(2021, 3, 1, 11, tzinfo=plus1), None],
        [True, 1, None],  # equal, but not the same text
    ]
    rng = random.Random(9)
    for pool in pools:
        col = [rng.choice(pool) for _ in range(300)]
        table.values[field] = col
        rows = list(range(len(col)))
        rng.shuffle(rows)
        assert table.texts(rows, field) == [render(col[i]) for i in rows] == [table.text(i, field) for i in rows]


def test_json_columns_are_each_value_encoded():
    import json

    from iapt_ds.report.json import _Coded, _coded

    for col in ([], [None] * 4, ["a", "\u202e", '"q"'], [None, "a", None, "b\n", None], ["a", None]):
        assert _coded(col) == [json.dumps(v, ensure_ascii=False) for v in col]
    coded = _Coded()
    col, twin = ["a", None], ["a", None]
    assert coded(col) is coded(col)
    assert coded(twin) == coded(col) and coded(twin) is not coded(col)


def test_causes_and_root_sentences_made_in_bulk_are_those_of_each_finding(faulty):
    """The JSON report's "caused_by" text and closing sentence of a cascade finding, made for
    many causes at once, are what the finding itself says."""
    from iapt_ds.report.json import _Refs, _dump

    _, result = faulty
    findings = result.findings
    view = ReportView(result, visible=False)
    refs = _Refs(findings)
    pairs = list(findings.cascades())
    assert pairs
    causes = [c for _, c in pairs]
    refs.know(causes[: len(causes) // 2], None)  # a part first: the rest is made when asked for
    refs.know(causes + [None], [findings.root_of(c) for c in causes] + [None])
    assert refs.caused_by[None] == "null" and refs.sentences[None] == ""
    for k, c in pairs:
        f = findings[k]
        assert refs.caused_by[c] == _dump(view.caused_by(f))
        assert f.message.endswith(refs.sentences[findings.root_of(c)])
        assert f.message.startswith(attrs.evolve(f, cause=None).message)


def test_json_column_holding_the_null_mark_is_encoded_value_by_value():
    import json

    from iapt_ds.report.json import _NULL_MARK, _coded

    for col in ([None, _NULL_MARK, "a"], [_NULL_MARK, None], [None, "\x00null\x00x", "\x00"]):
        assert _coded(col) == [json.dumps(v, ensure_ascii=False) for v in col]


def test_root_cause_lines_are_those_of_the_general_encoder(faulty):
    from iapt_ds.report.json import _dump, _refs_lines

    _, result = faulty
    refs = ReportView(result, visible=False).header()["root_causes"]
    assert len(refs) > 10
    odd = [{"id": 1, "code": "X\u202e\"", "table": None, "row": None, "rows_rejected": 0},
           {"id": True, "code": "X", "table": "T", "row": 2, "rows_rejected": 1},   # not an int: the encoder
           {"id": 1, "code": "X", "table": "T", "row": 2.0, "rows_rejected": 1},
           {"code": "X", "id": 1, "table": "T", "row": 2, "rows_rejected": 1},      # another order
           {"id": 1, "code": "X", "table": "T", "row": 2}]
    for items in (refs, odd):
        assert list(_refs_lines(items)) == [_dump(r) for r in items]


def test_rows_holding_a_few_texts_are_those_of_a_look_up_per_row():
    from iapt_ds.checks.kinds import _rows_holding

    rng = random.Random(4)
    pool = ["a", "b", "", "ab", None, Invalid("a"), 1, "\u202e"]
    for _ in range(300):
        col = [rng.choice(pool) for _ in range(rng.randrange(0, 120))]
        for bad in ({"a"}, {"ab", "zz"}, {"", "b", "\u202e"}, {"a", "b", "ab", ""}, {Invalid("a")}, {1, "a"}, set()):
            assert _rows_holding(col, bad) == [i for i, v in enumerate(col) if v in bad], (col, bad)
    col = ["x"] * 1000 + ["y"] * 3  # a text on many rows, and one on a few
    assert _rows_holding(col, {"x", "y"}) == list(range(1003))
    assert _rows_holding(col, {"y"}) == [1000, 1001, 1002]
