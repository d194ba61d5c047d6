"""What the command says while it works: progress on a terminal only, --quiet, -v with stage
timings, colour that honours NO_COLOR."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from iapt_ds._status import Status, colour_enabled, paint

UPLOAD = ["--period", "2021-03", "--provider", "R1Z", "--sender", "R1Z"]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iapt_ds", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_progress_goes_to_a_terminal_only_and_is_cleared():
    tty = _Tty()
    status = Status(tty)
    status.files("IDS001MPI.csv", 1, 19)
    status.rows("IDS201CareContact", 10_000, 50_000)
    with status.stage("validate", "validating 1,000 rows"):
        pass
    text = tty.getvalue()
    assert "\rreading IDS001MPI.csv (table 2 of 19)\x1b[K" in text
    assert "validating 1,000 rows" in text and text.endswith("\r\x1b[K")
    pipe = io.StringIO()
    status = Status(pipe)
    status.files("IDS001MPI.csv", 1, 19)
    status.rows("IDS201CareContact", 50_000, 50_000)
    with status.stage("read", "reading"):
        pass
    assert pipe.getvalue() == ""


def test_verbose_says_each_table_and_stage_and_quiet_says_nothing():
    out = io.StringIO()
    status = Status(out, verbose=True)
    status.rows("IDS001MPI", 20, 20)
    status.rows("IDS001MPI", 20, 20)
    with status.stage("read", "reading"):
        pass
    status.total()
    lines = out.getvalue().splitlines()
    assert lines[0] == "read IDS001MPI: 20 rows" and len(lines) == 3
    assert lines[1].startswith("read: ") and lines[2].startswith("total: ")
    quiet = _Tty()
    status = Status(quiet, quiet=True, verbose=True)
    status.rows("IDS001MPI", 5, 20)
    status.say("anything")
    with status.stage("read", "reading"):
        pass
    assert quiet.getvalue() == ""


def test_colour_honours_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert colour_enabled(_Tty()) and not colour_enabled(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_enabled(_Tty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not colour_enabled(_Tty())
    assert paint("x", "red", True) == "\x1b[31mx\x1b[0m" and paint("x", "red", False) == "x"


def test_cli_quiet_verbose_and_no_progress_when_piped(tmp_path):
    out = tmp_path / "r.json"
    plain = run("validate", "--example", *UPLOAD, "--output", str(out))
    assert plain.returncode == 0 and plain.stderr.startswith("accepted: ") and plain.stderr.count("\n") == 1
    assert "\x1b" not in plain.stderr and "reading" not in plain.stderr
    quiet = run("validate", "--example", *UPLOAD, "--output", str(out), "--quiet", "--submitted-at", "2030-01-01T00:00")
    assert quiet.returncode == 0 and quiet.stderr == ""
    verbose = run("validate", "--example", *UPLOAD, "--output", str(out), "-v")
    stages = [line.split(":")[0] for line in verbose.stderr.splitlines()]
    assert stages == ["read", "validate", "report", "accepted", "total"]


def test_cli_colours_the_verdict_on_a_terminal_only():
    pty = pytest.importorskip("pty")
    import select

    def on_a_terminal(no_color: bool) -> str:
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env["TERM"] = "xterm"
        if no_color:
            env["NO_COLOR"] = "1"
        main, child = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "iapt_ds", "validate", "--example", *UPLOAD],
                                stdout=child, stderr=subprocess.DEVNULL, env=env)
        os.close(child)
        chunks = []
        while True:
            ready, _, _ = select.select([main], [], [], 30)
            if not ready:
                break
            try:
                data = os.read(main, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
        os.close(main)
        return b"".join(chunks).decode("utf-8", "replace")

    assert on_a_terminal(False).startswith("\x1b[32mACCEPTED\x1b[0m: SDCS would accept this file")
    assert on_a_terminal(True).startswith("ACCEPTED: SDCS would accept this file")
    assert run("validate", "--example", *UPLOAD).stdout.startswith("ACCEPTED: ")
