"""The Spark engine against the Python engine (the reference), on local-mode Spark (one session
for the module: one core, one shuffle partition, no UI): a faulty synthetic submission (on which
the kinds with SQL run in Spark) and the failing examples of a Java pattern
and of uniqueness (through ``engine="spark"``) must give the same findings
(code, table, row, values, other, detail, expected, root cause), in the same order, and the same
row outcomes. A Spark query has a fixed cost of a fraction of a second, so the cases are few and
each covers many kinds; the DuckDB engine's differential test covers every kind's SQL more widely."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="the Spark engine needs pyspark: pip install 'iapt-ds[spark]'")
if shutil.which("java") is None:  # .ci/run installs a JRE where it can
    pytest.skip("the Spark engine needs Java (a JRE 17)", allow_module_level=True)

from iapt_ds import validate  # noqa: E402
from iapt_ds.engines.spark import SparkEngine  # noqa: E402
from iapt_ds.errors import UsageError  # noqa: E402
from iapt_ds.spec_examples import run_example  # noqa: E402

from test_engine_duckdb import SPEC, UPLOAD, _synthetic, assert_same  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("iapt-ds tests")
               .config("spark.sql.shuffle.partitions", "1").config("spark.default.parallelism", "1")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.memory", "1g").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_a_faulty_synthetic_submission_gives_the_same_result(spark):
    sub = _synthetic(120, 2, 0.05)
    engine = SparkEngine(spark)
    py = validate(sub, spec=SPEC, **UPLOAD)
    sp = validate(sub, spec=SPEC, engine=engine, **UPLOAD)
    assert_same(py, sp)
    assert py.findings  # the comparison is about something
    sql_kinds = {SPEC.rules[c].kind for c in engine.ran_in_sql}
    assert {"not_blank", "length", "in_codelist", "valid_date", "date_compare", "unique", "conditional",
            "nhs_number", "snomed_ct", "one_open_per", "has_related", "pattern"} <= sql_kinds
    for code, why in engine.ran_in_python.items():
        assert SPEC.kinds[SPEC.rules[code].kind].sql(SPEC.rules[code], "spark") is None or "not held in SQL" in why


def _first_rule(kind):
    return next(r for r in SPEC.rules.values() if r.kind == kind and r.examples["fail"])


@pytest.mark.parametrize("kind", ["pattern", "unique"])
def test_a_kinds_failing_example_gives_the_same_result(spark, kind):
    rule = _first_rule(kind)
    py, _ = run_example(rule, rule.examples["fail"][0], SPEC)
    # engine="spark" runs on the active session (this module's)
    sp, _ = run_example(rule, rule.examples["fail"][0], SPEC, engine="spark" if kind == "unique" else SparkEngine(spark))
    assert_same(py, sp)
    assert any(f.code == rule.code for f in py.findings)


def test_a_session_that_is_not_one_is_a_usage_error():
    with pytest.raises(UsageError, match="SparkSession"):
        SparkEngine(object())


def test_a_small_submission_runs_with_one_shuffle_partition():
    """With re-planning off (a small submission) nothing merges Spark's default 200 shuffle
    partitions, and every join or grouping ran 200 tasks: the bundled example took over five
    minutes through `--engine spark`. The engine's session now uses one."""
    from types import SimpleNamespace

    sets: dict[str, str] = {}
    fake = SimpleNamespace(conf=SimpleNamespace(set=sets.__setitem__), sparkContext=SimpleNamespace(addJobTag=str))
    engine = SparkEngine(SimpleNamespace(newSession=lambda: fake))
    ctx = SimpleNamespace(tables={"IDS000": SimpleNamespace(nrows=1)}, spec=SPEC)
    engine._connect(ctx)
    assert sets["spark.sql.shuffle.partitions"] == "1"
    assert sets["spark.sql.adaptive.enabled"] == "false"



@pytest.mark.parametrize("stage", ["row rules", "cascade"])
def test_an_interruption_while_spark_answers_ends_as_that_interruption(spark, monkeypatch, stage):
    """`timeout` killing a run (SIGTERM to the process group: the CLI turns it into an
    exception, as Ctrl-C is one, and the JVM dies) ended in "internal error: KeyError: 'p'" or
    "... ConnectionRefusedError": the signal lands while py4j waits for the JVM's answer, then
    the cascade's clean-up and the engine's close() called the JVM again, and their failure took
    the interruption's place. Simulated here where a real one lands (after a query is sent,
    before its answer is read; every later call refused), in a thread of its own, whose py4j
    connection is its own, so the module's session is unharmed."""
    import threading

    from py4j.clientserver import ClientServerConnection

    sub = _synthetic(40, 1, 0.05)
    engine = SparkEngine(spark)
    armed, dead = threading.Event(), threading.Event()
    real = ClientServerConnection.send_command

    def send_command(self, command):
        if threading.current_thread() is worker:
            if dead.is_set():
                raise ConnectionRefusedError(111, "Connection refused")
            if armed.is_set() and "collectToPython" in command:
                dead.set()
                self.socket.sendall(command.encode("utf-8"))
                raise KeyboardInterrupt  # the answer is left unread, as a signal leaves it
        return real(self, command)

    monkeypatch.setattr(ClientServerConnection, "send_command", send_command)
    if stage == "row rules":
        armed.set()
    else:
        cascade = engine.cascade

        def armed_cascade(ctx, state):
            armed.set()
            cascade(ctx, state)

        engine.cascade = armed_cascade
    raised: list[BaseException] = []

    def run():
        try:
            validate(sub, spec=SPEC, engine=engine, **UPLOAD)
        except BaseException as exc:  # what ends the run is the point
            raised.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(300)
    assert dead.is_set()  # the interruption happened
    assert len(raised) == 1 and type(raised[0]) is KeyboardInterrupt, raised
    assert spark.sql("SELECT 1 AS x").collect()[0].x == 1  # the module's session still answers


def test_the_cli_on_spark_writes_nothing_more_to_standard_error_than_on_python(tmp_path):
    """``--engine spark`` starts a local session of its own: the JVM's start-up warnings
    (loopback hostname, default log level, native Hadoop, truncated plans) stay off standard error,
    which says what the Python engine's run says and nothing more."""
    import os
    import subprocess
    import sys

    from pathlib import Path

    import iapt_ds

    folder = tmp_path / "sub"
    folder.mkdir()
    for name in ("IDS000Header.csv", "IDS001MPI.csv"):  # few tables: few Spark queries
        shutil.copy(iapt_ds.example_path() / name, folder / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_")) and k != "MASTER"}
    env["PYTHONPATH"] = str(Path(iapt_ds.__file__).resolve().parents[1])  # this checkout, from another folder
    got = {}
    for engine in ("python", "spark"):
        (tmp_path / engine).mkdir()
        p = subprocess.run([sys.executable, "-m", "iapt_ds", "validate", str(folder), "--engine", engine,
                            "--period", "2021-03", "--output", "r.json"], cwd=tmp_path / engine,
                           capture_output=True, text=True, encoding="utf-8", env=env, timeout=900)
        assert p.returncode in (0, 1), p.stderr
        got[engine] = p
    assert got["spark"].stderr == got["python"].stderr
    assert got["spark"].stdout == got["python"].stdout


#: a run whose first Spark query never ends in time (a cross join of 10^12 rows), saying
#: "querying <JVM's pid>" on standard output once its job runs
_SLOW_RUN = """
import sys
from iapt_ds.engines.spark import SparkEngine

connect = SparkEngine._connect

def slow_connect(self, ctx):
    global jvm
    first = self.spark is None
    connect(self, ctx)
    if first:
        import threading, time
        from pyspark import SparkContext
        jvm = SparkContext._gateway.proc.pid
        tracker = self.spark.sparkContext.statusTracker()

        def say_when_running():
            while not tracker.getActiveJobsIds():
                time.sleep(0.2)
            print("querying", jvm, flush=True)

        threading.Thread(target=say_when_running, daemon=True).start()
        self.spark.sql("SELECT sum(a.id * b.id % 7) FROM range(1000000) AS a CROSS JOIN range(1000000) AS b").collect()

SparkEngine._connect = slow_connect
folder = sys.argv[2]
if sys.argv[1] == "cli":
    from iapt_ds.cli import main
    sys.exit(main(["validate", folder, "--engine", "spark", "--period", "2021-03", "--output", "r.json"]))
import os
from iapt_ds import validate
try:
    validate(folder, engine="spark", period="2021-03")
except KeyboardInterrupt:
    print("interrupted; JVM", "running" if os.path.exists(f"/proc/{jvm}") else "ended", flush=True)
validate(folder, engine="spark", period="2021-03")  # a new JVM, and the same slow query
"""


def _session_processes(sid):
    """The processes still in session *sid* (the JVM a run started stays in its session)."""
    left = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if d.isdigit() and int(fields[3]) == sid and fields[0] != "Z":
            left.append(int(d))
    return left


@pytest.fixture
def slow_run(tmp_path):
    """Start :data:`_SLOW_RUN` in a session of its own (killed, with whatever it left, at the end)."""
    import iapt_ds

    folder = tmp_path / "sub"
    folder.mkdir()
    for name in ("IDS000Header.csv", "IDS001MPI.csv"):
        shutil.copy(iapt_ds.example_path() / name, folder / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_")) and k != "MASTER"}
    env["PYTHONPATH"] = str(Path(iapt_ds.__file__).resolve().parents[1])
    children = []

    def start(mode):
        child = subprocess.Popen([sys.executable, "-c", _SLOW_RUN, mode, str(folder)], cwd=tmp_path, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        children.append(child)
        return child

    yield start
    for child in children:
        for pid in [child.pid] + _session_processes(child.pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        child.communicate()


def _querying(child):
    """The JVM's pid, once the slow query is on its way."""
    line = child.stdout.readline()
    assert line.startswith("querying "), (line, child.stderr.read() if child.poll() is not None else "")
    return int(line.split()[1])


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc for the processes left")
@pytest.mark.parametrize("signum, status, line", [(signal.SIGTERM, 143, "iapt-ds: stopped by signal 15"),
                                                  (signal.SIGINT, 130, "iapt-ds: interrupted")])
def test_a_signalled_cli_run_on_spark_ends_at_once_and_stops_its_jvm(slow_run, signum, status, line):
    """SIGTERM during a Spark query: the CLI's handler raised, but PySpark's clean-up (the call
    site reset after an action) called the JVM on the same py4j connection, whose JVM thread
    was still running the query's job: the run waited for the job to end (here, for ever).
    Ctrl-C ran PySpark's handler, which did the same, then ended as an internal error (exit 2,
    py4j's tracebacks on standard error) and left the JVM running its job. Now either ends the
    run within seconds, says so in one line, and the JVM the run started has ended with it."""
    child = slow_run("cli")
    jvm = _querying(child)
    child.send_signal(signum)
    _, err = child.communicate(timeout=90)
    assert (child.returncode, err) == (status, line + "\n")
    assert not os.path.exists(f"/proc/{jvm}") and _session_processes(child.pid) == []


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc for the processes left")
def test_an_interrupted_validate_on_spark_stops_its_jvm_and_the_next_starts_another(slow_run):
    """validate(engine="spark") in a program: Ctrl-C ends it as a KeyboardInterrupt at once, the
    JVM it started ended; the next validate starts a JVM of its own; SIGTERM with its default
    action ends the program at once, and the JVM with it."""
    child = slow_run("library")
    first = _querying(child)
    child.send_signal(signal.SIGINT)
    assert child.stdout.readline() == "interrupted; JVM ended\n"
    assert not os.path.exists(f"/proc/{first}")
    second = _querying(child)
    assert second != first
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=90)
    assert child.returncode == -signal.SIGTERM, err
    assert not os.path.exists(f"/proc/{second}") and _session_processes(child.pid) == []
    assert err == ""


_SILENCED = """
from iapt_ds.engines.spark import _local_session, _silence
from pyspark import SparkContext
session = _local_session()
log = SparkContext._gateway.jvm.org.apache.logging.log4j.LogManager.getLogger("iapt-ds-test")
log.error("said before")
_silence(SparkContext._gateway)
log.error("said after")
SparkContext._gateway.jvm.org.apache.logging.log4j.LogManager.getLogger("org.apache.spark.storage").error("said by Spark")
session.stop()
"""


def test_a_jvm_ended_because_the_run_stopped_writes_nothing_more():
    """Regression: a CLI run on Spark stopped by SIGTERM wrote its one line, then the JVM it
    started, ending, logged a job its shutdown cut short ("ERROR TorrentBroadcast: Store
    broadcast ... fail") on standard error. The JVM's loggers are now all turned off before it
    is told to end; before that, its errors are written as ever."""
    import iapt_ds

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_")) and k != "MASTER"}
    env["PYTHONPATH"] = str(Path(iapt_ds.__file__).resolve().parents[1])
    p = subprocess.run([sys.executable, "-c", _SILENCED], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "said before" in p.stderr, p.stderr
    assert "said after" not in p.stderr and "said by Spark" not in p.stderr, p.stderr
