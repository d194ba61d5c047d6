"""Regression tests for the command line's failure paths and output safety (issue 15, defects
7, 8 and 11-15): every failure that is not a finding exits 2 with one line; reports are written
safely, never over the input, never through a planted temporary file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.report._output import OutputError, choose_format, output_file, refuse_input_files

from test_cli import assert_usage_error, run


@pytest.fixture
def sub(tmp_path) -> Path:
    folder = tmp_path / "sub"
    shutil.copytree(iapt_ds.example_path(), folder)
    return folder


# ------------------------------------------------------------------------------ 7, 8

@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_7_a_full_standard_output_is_one_line_exit_2():
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "iapt_ds", "validate", "--example"], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "standard output" in p.stderr and "Traceback" not in p.stderr


def test_7_a_closed_standard_output_is_one_line_exit_2():
    p = subprocess.run([sys.executable, "-m", "iapt_ds", "validate", "--example"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=120,
                       preexec_fn=lambda: os.close(1))
    assert p.returncode == 2, p.stderr
    assert p.stderr.count("\n") == 1 and "standard output is closed" in p.stderr


def test_8_december_9999_in_the_calendar():
    p = run("calendar", "9999-12")
    assert p.returncode == 0, p.stderr
    assert "9999-12-31" in p.stdout


def test_8_deeply_nested_reference_data_is_a_usage_error(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert_usage_error(run("validate", "--example", "--reference-data", str(deep)), "reference")


def test_8_a_path_name_that_is_too_long_is_one_line():
    assert_usage_error(run("validate", "a" * 5000), "cannot be opened")


def test_8_an_internal_error_exits_2_in_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    from iapt_ds import cli

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("iapt_ds.pipeline.validate", broken)
    assert cli.main(["validate", "--example"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: ZeroDivisionError: boom" in err and "--debug" in err
    assert cli.main(["validate", "--example", "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err
    assert cli.main(["--debug", "calendar", "2021-03"]) == 0


# ------------------------------------------------------------------------------ 11-13: safe files

@pytest.mark.parametrize("plant", ["symlink", "folder"])
def test_11_a_planted_symlink_or_folder_at_the_old_temporary_name_is_left_alone(sub, tmp_path, capsys, plant):
    # the old temporary name was .NAME.PID.tmp: predictable, and opened through a symlink
    from iapt_ds import cli

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "report.json"
    planted = tmp_path / f".report.json.{os.getpid()}.tmp"
    if plant == "symlink":
        planted.symlink_to(victim)
    else:
        planted.mkdir()
    assert cli.main(["validate", str(sub), "--output", str(out)]) == 0, capsys.readouterr().err
    assert victim.read_text() == "keep me"
    assert json.loads(out.read_text())["outcome"] == "accepted"
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted([planted.name, "report.json", "sub", "victim.txt"])


def test_12_a_symlink_is_written_through_and_kept(sub, tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    p = run("validate", str(sub), "--output", str(link))
    assert p.returncode == 0, p.stderr
    assert link.is_symlink()
    assert json.loads(real.read_text())["outcome"] == "accepted"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_12_a_fifo_is_written_into_not_replaced(sub, tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    child = subprocess.Popen([sys.executable, "-m", "iapt_ds", "validate", str(sub), "--output", str(fifo)],
                             stderr=subprocess.PIPE, text=True)
    with open(fifo) as fh:
        text = fh.read()
    assert child.wait(timeout=120) == 0
    assert json.loads(text)["outcome"] == "accepted"
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_12_a_device_is_written_into_never_replaced():
    p = run("validate", "--example", "--output", "/dev/full")
    assert_usage_error(p, "no space left")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_12_a_folder_is_refused(sub, tmp_path):
    assert_usage_error(run("validate", str(sub), "--output", str(tmp_path), "--format", "json"), "folder")


def test_13_overwriting_a_private_report_keeps_it_private(sub, tmp_path):
    out = tmp_path / "r.json"
    out.write_text("{}")
    out.chmod(0o600)
    assert run("validate", str(sub), "--output", str(out)).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    fresh = tmp_path / "fresh.json"
    assert run("validate", str(sub), "--output", str(fresh)).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_13_a_signal_leaves_no_temporary_file(tmp_path, signum):
    # a writer that blocks once it has begun, so the signal arrives mid-report
    out = tmp_path / "r.json"
    script = (
        "import sys, time, iapt_ds.cli as cli\n"
        "import iapt_ds.report as rep\n"
        "def slow(result, out, fmt, **kw):\n"
        "    out.write('partial')\n"
        "    out.flush()\n"
        "    print('writing', file=sys.stderr, flush=True)\n"
        "    time.sleep(60)\n"
        "rep.write_report = slow\n"
        f"sys.exit(cli.main(['validate', '--example', '--output', {str(out)!r}]))\n")
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    assert child.stderr.readline().strip() == "writing"
    child.send_signal(signum)
    assert child.wait(timeout=60) == 128 + signum
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("signum, ends", [(signal.SIGTERM, SystemExit), (signal.SIGINT, KeyboardInterrupt)])
def test_13_a_signal_a_library_turns_into_its_own_error_still_ends_the_run_as_that_signal(capsys, signum, ends):
    """DuckDB checks for signals while a query runs and, when the handler raises, raises its own
    ``RuntimeError: Query interrupted`` instead: `--engine duckdb` stopped by SIGTERM or Ctrl-C
    ended as "internal error" (exit 2), the Python engine as "stopped by signal 15" (143) or
    "interrupted" (130). Here the library's error is made as DuckDB makes it."""
    import time

    from iapt_ds.report._output import exit_on_signals

    with pytest.raises(ends) as got:
        with exit_on_signals():
            try:
                os.kill(os.getpid(), signum)
                time.sleep(30)  # the handler raises before this ends
            except BaseException:
                raise RuntimeError("Query interrupted") from None
    if ends is SystemExit:
        assert got.value.code == 128 + signum
        assert capsys.readouterr().err == f"iapt-ds: stopped by signal {signum}\n"
    else:
        assert type(got.value) is KeyboardInterrupt


def test_13_ctrl_c_with_a_library_s_own_handler_in_place_still_ends_the_run_as_an_interruption():
    """Regression: Ctrl-C was noted only when Python's own handler was in place. PySpark's
    context sets a handler of its own (it cancels the jobs, then raises KeyboardInterrupt) and
    keeps it for the rest of the process: after a Spark run, Ctrl-C during a DuckDB query ended
    as DuckDB's "Query interrupted", an internal error (in the test suite, after the Spark
    tests). The handler in place is now handed the signal, and then put back."""
    import time

    from iapt_ds.report._output import exit_on_signals

    called = []

    def library(signum, frame):
        called.append(signum)
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGINT, library)
    try:
        with pytest.raises(KeyboardInterrupt):
            with exit_on_signals():
                try:
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(30)  # the handler raises before this ends
                except BaseException:
                    raise RuntimeError("Query interrupted") from None
        assert called == [signal.SIGINT]
        assert signal.getsignal(signal.SIGINT) is library
    finally:
        signal.signal(signal.SIGINT, before)


# ------------------------------------------------------------------------------ 14, 15

def test_14_the_report_never_replaces_a_file_of_the_input(sub, tmp_path):
    before = (sub / "IDS001MPI.csv").read_bytes()
    assert_usage_error(run("validate", str(sub), "--output", str(sub / "IDS001MPI.csv")), "input folder")
    assert (sub / "IDS001MPI.csv").read_bytes() == before
    os.link(sub / "IDS002GP.csv", tmp_path / "hard.csv")
    assert_usage_error(run("validate", str(sub), "--output", str(tmp_path / "hard.csv")), "input folder")
    (tmp_path / "soft.csv").symlink_to(sub / "IDS101Referral.csv")
    assert_usage_error(run("validate", str(sub), "--output", str(tmp_path / "soft.csv")), "input folder")
    # a report beside the tables, under a name no table has, is fine
    assert run("validate", str(sub), "--output", str(sub / "report.json")).returncode == 0


def test_14_a_new_table_file_in_the_input_folder_is_refused(sub):
    (sub / "IDS902CarePersQual.csv").unlink()
    assert_usage_error(run("validate", str(sub), "--output", str(sub / "IDS902CarePersQual.csv")),
                       "read as a table")
    assert not (sub / "IDS902CarePersQual.csv").exists()


def test_14_the_access_file_itself_is_refused(tmp_path):
    idb = tmp_path / "in.accdb"
    idb.write_bytes(b"not really")
    with pytest.raises(OutputError, match="the input itself"):
        refuse_input_files(idb, idb)
    assert idb.read_bytes() == b"not really"


@pytest.mark.parametrize("output, fmt, chosen", [
    ("r.json", None, "json"), ("r.HTML", None, "html"), ("r.out", "csv", "csv"), ("r", None, "text"),
    (None, None, "text"), ("-", "json", "json"), ("r.xlsx", None, "xlsx"),
])
def test_15_the_format_follows_the_suffix(output, fmt, chosen):
    assert choose_format(output, fmt, ("text", "json", "csv", "html", "xlsx")) == chosen


@pytest.mark.parametrize("output, fmt", [("report.xlsx", "text"), ("x.csv", "json"), ("r.txt", "html")])
def test_15_a_suffix_that_names_another_format_is_refused(sub, tmp_path, output, fmt):
    assert_usage_error(run("validate", str(sub), "--output", str(tmp_path / output), "--format", fmt),
                       "but the format is")
    assert not (tmp_path / output).exists()


def test_output_file_removes_its_temporary_file_on_failure(tmp_path):
    target = tmp_path / "r.txt"
    with pytest.raises(ZeroDivisionError):
        with output_file(target) as fh:
            fh.write("half")
            1 / 0
    assert list(tmp_path.iterdir()) == []
