"""``validate(..., jobs=N)`` / ``--jobs N`` against one process: the bundled examples, faulty
synthetic folders and a folder of odd files, read over processes, must give the same findings
(code, table, row, values, other, detail, expected, line, root cause) in the same order, the same
row outcomes, the same not-checked list and the same identifiers as ``jobs=1``; a worker that
fails or dies, or a file that cannot be read, changes nothing of that and hangs nothing; no
process outlives the call; misuse is a UsageError (exit 2 in the CLI)."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds import parallel, validate
from iapt_ds.checks.context import ReferenceSets
from iapt_ds.cli import main
from iapt_ds.errors import UsageError
from iapt_ds.parallel import CheckedSubmission, read_jobs
from iapt_ds.synthetic import write_csv_folder

UPLOAD = dict(period="2021-03", provider="R1Z", sender="R1Z", submitted_at="2021-04-05T12:00:00")


def _finding(f):
    cause = None if f.cause is None else (f.cause.code, f.cause.table, f.cause.row)
    root = f.root
    return (f.code, f.table, f.row, f.values, f.other, f.detail, f.expected, f.line, cause,
            (root.code, root.table, root.row))


def _outcomes(result):
    rows = {tid: [(i, outcome, None if r is None else (r.code, r.row)) for i, outcome, r in result.rows(tid)]
            for tid in result.tables}
    counts = {tid: (t.read, t.accepted, t.rejected, t.with_warnings) for tid, t in result.tables.items()}
    return rows, counts, result.outcome, result.not_checked, result.identifiers, result.period, result.source


@pytest.fixture
def always(monkeypatch):
    """Processes even for a small folder (the threshold is for speed, not for meaning), and
    this process taking no table before a worker has taken one: on a small folder it could
    otherwise read every table before a worker has started, and the workers' part would go
    untested."""
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    taking = parallel._Claims.__iter__
    taken: list[int] = []

    def after_a_worker(self):
        deadline = time.monotonic() + 60
        while self.counter.value == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        taken.append(self.counter.value)
        return taking(self)

    monkeypatch.setattr(parallel._Claims, "__iter__", after_a_worker)
    yield taken
    assert not taken or min(taken) > 0  # a worker did take a table each time


def assert_same(folder, jobs=2, **kw):
    one = validate(folder, jobs=1, **kw)
    many = validate(folder, jobs=jobs, **kw)
    assert multiprocessing.active_children() == []  # no process left behind
    assert [_finding(f) for f in many.findings] == [_finding(f) for f in one.findings]
    assert _outcomes(many) == _outcomes(one)
    assert many.version == one.version
    return one


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_bundled_examples(always, version):
    folder = iapt_ds.example_path(version)
    assert isinstance(read_jobs(folder, jobs=2), CheckedSubmission)
    assert_same(folder, **UPLOAD)
    # reference data and a provider that differs: the rules that need them run in the parent
    ref = ReferenceSets(organisations={"R1Z"}, gp_practices=set(), sites=set(), postcodes=set())
    result = assert_same(folder, period="2021-04", provider="RXX", reference_data=ref)
    assert result.findings  # the comparison covers findings, not only an empty list


@pytest.mark.parametrize("rate,seed,version", [(0.0, 1, "2.0"), (0.05, 2, "2.0"), (0.4, 3, "2.0"), (0.1, 4, "2.1")])
def test_faulty_synthetic_folders(always, tmp_path, rate, seed, version):
    write_csv_folder(tmp_path, rows=3000, seed=seed, fault_rate=rate, version=version)
    result = assert_same(tmp_path, **UPLOAD)
    if rate:
        assert len(result.findings) > 20
        assert any(f.is_cascade for f in result.findings)


def test_three_jobs(always, tmp_path):
    write_csv_folder(tmp_path, rows=4000, seed=7, fault_rate=0.1)
    assert_same(tmp_path, jobs=3, **UPLOAD)


def _odd_folder(folder: Path) -> Path:
    write_csv_folder(folder, rows=2000, seed=11, fault_rate=0.05)
    mpi = folder / "IDS001MPI.csv"
    mpi.write_bytes(b"\xef\xbb\xbf" + mpi.read_bytes())               # a byte-order mark
    ref = folder / "IDS101Referral.csv"
    lines = ref.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + ",extra\n"                      # a ragged line (too many cells)
    lines[5] = ",".join(lines[5].split(",")[:3]) + "\n"                 # and one with too few
    lines.insert(8, "\n")                                             # a blank line
    ref.write_text("".join(lines), encoding="utf-8")
    care = folder / "IDS201CareContact.csv"
    lines = care.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[2].rstrip("\n").split(",")
    cells[1] = f'"{cells[1]}, quoted"'                                 # a quoted value with a comma
    lines[2] = ",".join(cells) + "\n"
    cells = lines[4].rstrip("\n").split(",")
    cells[2] = f'{cells[2]}"x'                                         # a misplaced quote
    lines[4] = ",".join(cells) + "\n"
    care.write_bytes("".join(lines).replace("\n", "\r\n").encode("utf-8"))  # CRLF line ends
    act = folder / "IDS202CareActivity.csv"
    head, body = act.read_bytes().split(b"\n", 1)
    act.write_bytes(head + b"\n" + body.replace(b"\n", b"\xff\n", 1))  # a byte that is not UTF-8
    (folder / "IDS999Nothing.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # an unknown IDS file
    (folder / "IDS012OverseasVisitorChargCat.csv").write_text("", encoding="utf-8")  # an empty file
    (folder / "IDS902CarePersQual.csv").unlink()                        # a missing table
    (folder / "IDS007.csv").write_bytes((folder / "IDS007DisabilityType.csv").read_bytes())  # a table twice
    gp = folder / "IDS002GP.csv"
    text = gp.read_text(encoding="utf-8").splitlines()
    gp.write_text("\n".join([text[0] + ",Surplus"] + [t + ",x" for t in text[1:]]) + "\n", encoding="utf-8")
    return folder


def test_odd_files(always, tmp_path):
    folder = _odd_folder(tmp_path)
    result = assert_same(folder, **UPLOAD)
    details = " ".join(p.detail for p in read_jobs(folder, jobs=2).problems)
    for said in ("misplaced", "not valid UTF-8", "cells but the header has", "empty", "Surplus", "IDS999Nothing",
                 "are the same table"):
        assert said in details
    assert not result.accepted


def _dies(conn, *args):
    """A worker that dies at once, sending nothing."""
    os._exit(3)


def _raises(conn, *args):
    """A worker that fails before it reads anything."""
    raise RuntimeError("a worker failure")


@pytest.mark.parametrize("worker", [_dies, _raises])
def test_a_failing_worker_changes_nothing(monkeypatch, tmp_path, worker):
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    write_csv_folder(tmp_path, rows=3000, seed=5, fault_rate=0.05)
    one = validate(tmp_path, **UPLOAD)
    monkeypatch.setattr(parallel, "_worker", worker)
    many = validate(tmp_path, jobs=3, **UPLOAD)
    assert multiprocessing.active_children() == []
    assert [_finding(f) for f in many.findings] == [_finding(f) for f in one.findings]
    assert _outcomes(many) == _outcomes(one)


@pytest.mark.skipif(not sys.platform.startswith("linux") or not Path("/proc/self/mem").exists(),
                    reason="a file that opens but cannot be read: /proc/self/mem (Linux)")
@pytest.mark.parametrize("name", ["IDS201CareContact.csv", "IDS000Header.csv"])
def test_an_unreadable_file_is_a_finding(always, tmp_path, name):
    write_csv_folder(tmp_path, rows=3000, seed=6)
    target = tmp_path / name
    target.unlink()
    target.symlink_to("/proc/self/mem")  # opens, but reading it fails (EIO), in any process
    result = assert_same(tmp_path, **UPLOAD)
    assert any(f.code == "IDSREJ001" and f"{name} cannot be read" in (f.detail or "") for f in result.findings)


def test_small_folders_and_other_inputs_stay_in_process(tmp_path):
    folder = iapt_ds.example_path("2.0")
    assert parallel.MIN_BYTES > sum(p.stat().st_size for p in folder.iterdir())
    sub = read_jobs(folder, jobs=2)
    assert type(sub) is not CheckedSubmission
    rows = {"IDS000Header": [{"DatSetVer": "2.0"}]}
    one, many = validate(rows, **UPLOAD), validate(rows, jobs=4, **UPLOAD)
    assert [_finding(f) for f in many.findings] == [_finding(f) for f in one.findings]
    assert multiprocessing.active_children() == []


def test_a_checked_submission_validates_again_with_another_upload(always):
    sub = read_jobs(iapt_ds.example_path("2.0"), jobs=2)
    assert isinstance(sub, CheckedSubmission) and sub.row_checks is not None and sub.row_checks.done
    for upload in (UPLOAD, dict(period="2022-01", provider="RAA", sender="RBB")):
        assert [_finding(f) for f in validate(sub, submitted_at="2021-04-05T12:00:00", **{
            k: v for k, v in upload.items() if k != "submitted_at"}).findings] == \
            [_finding(f) for f in validate(iapt_ds.example_path("2.0"), submitted_at="2021-04-05T12:00:00", **{
                k: v for k, v in upload.items() if k != "submitted_at"}).findings]


@pytest.mark.parametrize("jobs", [0, -1, "2", 2.0, True, None])
def test_misuse(jobs):
    with pytest.raises(UsageError, match="jobs must"):
        validate(iapt_ds.example_path("2.0"), jobs=jobs)


def test_jobs_with_another_engine():
    with pytest.raises(UsageError, match="python engine"):
        validate(iapt_ds.example_path("2.0"), jobs=2, engine="duckdb")


def test_cli_same_report(always, tmp_path, capsys):
    folder = tmp_path / "sub"
    write_csv_folder(folder, rows=3000, seed=8, fault_rate=0.05)
    args = ["validate", str(folder), "--format", "json", "--period", "2021-03", "--provider", "R1Z",
            "--sender", "R1Z", "--submitted-at", "2021-04-05T12:00:00", "-q"]
    assert main(args) == 1
    one = json.loads(capsys.readouterr().out)
    assert main(args + ["--jobs", "2"]) == 1
    many = json.loads(capsys.readouterr().out)
    assert multiprocessing.active_children() == []
    for report in (one, many):
        report["checked"].pop("run_at")  # when it ran: the one thing that differs
    assert many == one


@pytest.mark.parametrize("given,said", [("0", "give 1 or more processes"), ("two", "whole number")])
def test_cli_bad_jobs_is_one_line(capsys, given, said):
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(iapt_ds.example_path("2.0")), "--jobs", given])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1


def test_cli_jobs_with_another_engine_is_one_line(capsys):
    assert main(["validate", str(iapt_ds.example_path("2.0")), "--jobs", "2", "--engine", "duckdb"]) == 2
    err = capsys.readouterr().err
    assert "--jobs runs the python engine" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["measures", "diff"])
def test_cli_measures_and_diff_take_jobs(always, tmp_path, capsys, command):
    folder = tmp_path / "sub"
    write_csv_folder(folder, rows=3000, seed=9, fault_rate=0.05)
    args = ([command, str(folder)] if command == "measures" else [command, str(folder), str(folder)]) + \
        ["--format", "json", "--period", "2021-03", "--provider", "R1Z", "--sender", "R1Z",
         "--submitted-at", "2021-04-05T12:00:00"]
    assert main(args) == 0
    one = json.loads(capsys.readouterr().out)
    assert main(args + ["--jobs", "2"]) == 0
    assert json.loads(capsys.readouterr().out) == one
    assert multiprocessing.active_children() == []


def test_where_no_process_can_start_all_is_read_here(monkeypatch, tmp_path):
    import multiprocessing.context

    monkeypatch.setattr(parallel, "MIN_BYTES", 0)

    def refuse(self):
        raise AssertionError("daemonic processes are not allowed to have children")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", refuse)
    write_csv_folder(tmp_path, rows=2000, seed=10, fault_rate=0.05)
    assert isinstance(read_jobs(tmp_path, jobs=2), CheckedSubmission)
    assert_same(tmp_path, **UPLOAD)
