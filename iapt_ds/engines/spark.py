"""The Spark engine: ``validate(..., engine="spark")`` (``pip install 'iapt-ds[spark]'``), or
``engine=SparkEngine(session)`` to run on a session of your own (a cluster's, under
``spark-submit``).

The same compiled rules as the DuckDB engine: each kind's SQL (:meth:`~iapt_ds.checks.base.Kind.sql`)
written in Spark's dialect (:data:`~iapt_ds.checks.sql.SPARK`: backquoted names, Java regular
expressions, which is what SDCS uses, so SDCS's patterns run as they are), run by the loop the
SQL engines share (:class:`~iapt_ds.engines._sql.SqlEngine`):

* **Reading** is the Python reader's (any input it reads); each table's typed columns cross
  into Spark as one integer code per cell plus the table's distinct values (``createDataFrame``),
  and become a cached
  temporary view (``_row``, per field its value and ``__bad`` flag). Reading a CSV folder with
  Spark itself is not done yet.
* **Row rules.** The row-local rules of a table in one Spark query (one failing flag and compared
  value per rule, only the rows where one fails coming back); uniqueness one query per rule; a check
  SQL cannot express (Modulus 11, Verhoeff) is a Python test run once per distinct value, whose
  failing values are a small relation the query joins. A rule whose kind has no SQL, or whose
  query cannot run on the columns held (integer, time and decimal fields are not held), runs
  through the kind's Python evaluation instead.
* **Cascade.** The has_related rules are anti-joins against the related rows accepted so far,
  in SDCS's order, one query each.

The structure and mandatory-table checks, the rules on accepted rows, the file outcome and the
findings themselves stay in Python (the same ledger calls as the Python engine). Each
validation works in its own ``newSession()`` of the session (its temporary views are its own),
and unpersists what it cached when done. ``tests/test_engine_spark.py`` holds the engine to the
Python engine's findings on local-mode Spark.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import logging
import os
import signal
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..checks.base import Fail
from ..checks.sql import SPARK, Dialect, RowCheck
from ..errors import UsageError
from ..parse import Invalid, render
from ._sql import SqlEngine

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.context import Context
    from ..ledger import Ledger
    from ..pipeline import Stage

__all__ = ["SparkEngine"]

#: a field type held in Spark: the Python type its values must all have, and the Spark type
_TYPES: dict[str, tuple[type, str]] = {"text": (str, "STRING"), "date": (_dt.date, "DATE"),
                                       "datetime": (_dt.datetime, "TIMESTAMP_NTZ")}
#: at most this many rejected rows are written into the cascade's query; more cross as a relation
_INLINE = 2000
#: below this many rows in all, Spark generates no code and does not re-plan
_SMALL = 20_000
#: at most this many rules in one wide query
_WIDE = 48
#: the signals that interrupt a run (Ctrl-C; SIGTERM and SIGHUP, which the CLI turns into an exception)
_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None)
#: seconds to wait for this run's jobs to be cancelled on a session of the user's
_CANCEL_WAIT = 5.0
#: seconds to wait for the JVM the engine started to end once told to (then it is killed)
_STOP_WAIT = 10.0
#: the JVM process (``subprocess.Popen``) of the local session the engine started, if it did
_JVM: Any = None


class _Interrupted(BaseException):
    """Ctrl-C while a stage runs on Spark: a KeyboardInterrupt once out of the stage (py4j logs a
    KeyboardInterrupt it sees to standard error)."""


def _pyspark() -> Any:
    try:
        import pyspark
        from pyspark.sql import SparkSession  # noqa: F401
    except ImportError:
        raise UsageError("engine='spark' needs the pyspark package (and Java 17): pip install 'iapt-ds[spark]'") from None
    return pyspark


def _typed(v: Any, ty: str) -> Any:
    """A compared value that came back as text, with its Spark type, as the Python value."""
    if v is None:
        return None
    if ty == "date":
        return _dt.date.fromisoformat(v)
    if ty.startswith("timestamp"):
        return _dt.datetime.fromisoformat(v)
    return v


#: the JVM's logging when the engine starts Spark itself: errors only, on standard error (the
#: shell's logger at the same level, or Spark says on standard error that it sets a default level)
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.repl.name = org.apache.spark.api.python.PythonGatewayServer
logger.repl.level = error
"""


def _user_configured() -> bool:
    """Whether the user has Spark settings of their own this process would start the JVM with
    (a configuration folder, spark-submit's arguments, a master); then the engine adds none."""
    env = os.environ
    if any(env.get(k) for k in ("SPARK_CONF_DIR", "PYSPARK_SUBMIT_ARGS", "MASTER", "PYSPARK_GATEWAY_PORT")):
        return True
    home = env.get("SPARK_HOME")
    return home is not None and any(os.path.exists(os.path.join(home, "conf", f))
                              for f in ("spark-defaults.conf", "log4j2.properties", "log4j2.xml"))


def _log_config() -> str:
    """The path of the engine's log4j2 configuration (written once per user, in the temp folder)."""
    import tempfile

    path = os.path.join(tempfile.gettempdir(), f"iapt-ds-spark-log4j2-{os.getuid() if hasattr(os, 'getuid') else 0}.properties")
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == _LOG4J2:
                return path
    except OSError:
        pass
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(_LOG4J2)
    os.replace(tmp, path)
    return path


def _local_session() -> Any:
    """The active session, as it is; else a new local one: this machine's cores, one shuffle
    partition per core (not Spark's 200, each a task per shuffle), no progress bars over the
    report, and -- unless the user has Spark settings of their own -- a JVM that writes only
    errors to standard error, bound to the loopback address unless ``SPARK_LOCAL_IP`` says
    otherwise (the hostname's address is what Spark warns about on such machines)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    cores = str(os.cpu_count() or 1)
    builder = (SparkSession.builder.appName("iapt-ds").config("spark.sql.shuffle.partitions", cores)
               .config("spark.ui.showConsoleProgress", "false"))
    from pyspark import SparkContext

    if getattr(SparkContext, "_gateway", None) is not None:  # a JVM already started in this process
        return builder.getOrCreate()
    if _user_configured():
        return _started(builder)
    builder = builder.master(f"local[{cores}]").config(
        "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{_log_config()}")
    unset = "SPARK_LOCAL_IP" not in os.environ
    if unset:
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    try:
        return _started(builder)
    finally:
        if unset:
            os.environ.pop("SPARK_LOCAL_IP", None)


def _started(builder: Any) -> Any:
    """``builder.getOrCreate()``, no JVM running in this process: the JVM it starts is the engine's."""
    global _JVM
    from pyspark import SparkContext

    session = builder.getOrCreate()
    _JVM = getattr(SparkContext._gateway, "proc", None)  # None: a JVM of spark-submit's
    return session


def _in_own_thread(call: Any, *args: Any) -> None:
    """``call(*args)`` from a new thread (its own py4j connection: this thread's may be waiting
    on a query's answer), waiting at most a few seconds; what fails is let go."""
    def run() -> None:
        with contextlib.suppress(Exception):
            call(*args)

    worker = threading.Thread(target=run, name="iapt-ds stop", daemon=True)
    worker.start()
    worker.join(_CANCEL_WAIT)


def _silence(gateway: Any) -> None:
    """Turn every log4j logger of the JVM off: a JVM the engine ends because the run was stopped
    writes nothing more (Spark's shutdown hooks log the jobs they cut short as errors, a line
    on standard error after the one that says the run stopped)."""
    log4j = gateway.jvm.org.apache.logging.log4j
    log4j.core.config.Configurator.setAllLevels(log4j.LogManager.ROOT_LOGGER_NAME, log4j.Level.OFF)


def _stop_started(proc: Any) -> None:
    """End the JVM the engine started (*proc*, told to end by :meth:`SparkEngine._halt`): wait a
    few seconds, else kill it; then PySpark forgets it, so that a later run starts another."""
    global _JVM
    if proc is None:
        return
    import subprocess

    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    with contextlib.suppress(OSError):
        proc.terminate()
    try:
        proc.wait(_STOP_WAIT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(_STOP_WAIT)
    gateway = SparkContext._gateway
    if gateway is None or getattr(gateway, "proc", None) is not proc:
        return
    context = SparkContext._active_spark_context
    server = getattr(context, "_accumulatorServer", None)
    if server is not None:
        with contextlib.suppress(Exception):
            server.shutdown()
            server.server_close()
    with contextlib.suppress(Exception):
        gateway.close()
    SparkContext._gateway = None
    SparkContext._jvm = None
    SparkContext._active_spark_context = None
    SparkSession._instantiatedSession = None
    SparkSession._activeSession = None
    if _JVM is proc:
        _JVM = None


class SparkEngine(SqlEngine):
    """One validation run on Spark. *session* is the :class:`pyspark.sql.SparkSession` to run on
    (default: the active one, or a new local one); the run works in a ``newSession()`` of it.
    ``ran_in_sql`` and ``ran_in_python`` (rule code -> why) say afterwards how each rule ran."""

    name = "spark"
    dialect: Dialect = SPARK

    def __init__(self, session: Any = None) -> None:
        super().__init__()
        _pyspark()
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        self.errors = (PySparkException, Py4JError)
        if session is not None and not hasattr(session, "newSession"):
            raise UsageError(f"SparkEngine needs a pyspark.sql.SparkSession, not {type(session).__name__}")
        self._parent = session
        self.spark: Any = None
        self._cached: list[Any] = []
        #: interrupted (Ctrl-C, SIGTERM): no further call is made
        self._interrupted = False
        #: Spark's work for this run stopped (:meth:`_halt`)
        self._halted = False
        #: the logging level disabled before :meth:`_halt`
        self._logging = logging.NOTSET
        #: the JVM process this run may stop: the one of the local session the engine started
        self._started: Any = None
        #: the tag of this run's Spark jobs (cancelled on an interruption)
        self._tag = f"iapt-ds-{uuid.uuid4().hex}"
        #: while a stage runs: signal -> the handler the engine's handler stands before
        self._previous: dict[int, Any] | None = None

    def _connect(self, ctx: Context) -> None:
        if self.spark is not None:
            return
        parent = self._parent
        if parent is None:
            from pyspark import SparkContext

            parent = _local_session()
            proc = getattr(SparkContext._gateway, "proc", None)
            self._started = proc if proc is not None and proc is _JVM else None
        self._arm()  # after PySpark's context has set its Ctrl-C handler
        self.spark = parent.newSession()
        self.spark.sparkContext.addJobTag(self._tag)
        # a table's rules make one wide expression: generating Java for it as one stage costs
        # more than it saves (and overflows Janino's limits)
        self.spark.conf.set("spark.sql.codegen.wholeStage", "false")
        if sum(t.nrows for t in ctx.tables.values()) < _SMALL:
            # a small submission: compiling and re-planning cost more than they save
            self.spark.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN")
            self.spark.conf.set("spark.sql.adaptive.enabled", "false")
            # and with re-planning off nothing merges Spark's shuffle partitions: one is enough
            self.spark.conf.set("spark.sql.shuffle.partitions", "1")
        self.dialect = SPARK.bound({name: cl.codes for name, cl in ctx.spec.codelists.items()})

    # ------------------------------------------------------------------------------ loading
    def _frame(self, rows: list[tuple[Any, ...]], schema: str) -> Any:
        """A DataFrame of Python tuples of numbers and texts (crossing to the JVM as one pickled
        batch; no Python worker and no Spark job until a query reads it)."""
        return self.spark.createDataFrame(rows, schema, verifySchema=False)

    def _view(self, name: str, df: Any, cache: bool = False) -> None:
        if cache:
            df = df.persist()
            self._cached.append(df)
        df.createOrReplaceTempView(name)
        self._names.add(self.dialect.ident(name))

    def _load(self, ctx: Context, tid: str) -> None:
        """Load a table from its Python columns: one integer code per cell (-1 NULL, -2
        unparsable, else the value's place among the table's distinct values), the distinct
        values, joined back in a cached view."""
        if tid in self._loaded:
            return
        self._loaded.add(tid)
        self._connect(ctx)
        table = ctx.table(tid)
        values: dict[str, int] = {}
        columns: list[list[int]] = []
        select = ["r._row"]
        joins = []
        ident = self.dialect.ident
        for f in table.spec.fields:
            typed = _TYPES.get(f.type)
            col = table.values.get(f.name)
            if typed is None or col is None:
                continue
            codes: dict[Any, int] = {}
            for v in set(col):
                if v is None:
                    codes[v] = -1
                elif type(v) is Invalid:
                    codes[v] = -2
                elif type(v) is typed[0]:
                    text = v if isinstance(v, str) else v.isoformat()  # type: ignore[attr-defined]
                    codes[v] = values.setdefault(text, len(values))
                else:
                    break  # e.g. datetimes in a date column (Access input): its rules run in Python
            else:
                n = len(columns)
                columns.append(list(map(codes.__getitem__, col)))
                self._held.setdefault(tid, set()).add(f.name)
                value = f"v{n}.v" if typed[0] is str else f"CAST(v{n}.v AS {typed[1]})"
                select += [f"{value} AS {ident(f.name)}", f"(r.k{n} = -2) AS {ident(f.name + '__bad')}"]
                joins.append(f" LEFT JOIN _values AS v{n} ON v{n}.k = r.k{n}")
                self._names.update((ident(f.name), ident(f.name + "__bad")))
        schema = ", ".join(["_row BIGINT"] + [f"k{n} INT" for n in range(len(columns))])
        self._frame(list(zip(range(table.nrows), *columns)), schema).createOrReplaceTempView("_codes")
        self._frame([(k, v) for v, k in values.items()], "k INT, v STRING").createOrReplaceTempView("_values")
        hint = f"/*+ BROADCAST({', '.join(f'v{n}' for n in range(len(columns)))}) */ " if columns else ""
        self._view(tid, self.spark.sql(f"SELECT {hint}{', '.join(select)} FROM _codes AS r{''.join(joins)}"), cache=True)
        self._names.update((ident(f"l_{tid}"), ident(f"o_{tid}")))
        self.spark.catalog.dropTempView("_codes")
        self.spark.catalog.dropTempView("_values")

    def _link(self, ctx: Context, tid: str, other: str) -> None:
        """``link__T__O``: a view joining on the parent chain's keys where they are held, else
        the Python index (:meth:`Context.link`) as a relation."""
        name = f"link__{tid}__{other}"
        if name in self._loaded:
            return
        self._loaded.add(name)
        query = self._link_query(ctx, tid, other)
        if query is not None:
            # (the header's link is cheap to recompute; a join's is cached)
            self._view(name, self.spark.sql(query), cache=other != ctx.spec.header)
            return
        rows = ctx.link(tid, other)
        self._view(name, self._frame(list(enumerate(rows)), "_row BIGINT, _orow BIGINT"), cache=True)

    def _functions(self, ctx: Context, udfs: Any) -> None:
        """The relations of failing distinct values (:attr:`RowCheck.udfs`): each distinct text of
        the field tested once, in Python (the values are those the view was loaded from)."""
        for name, (test, tid, field) in udfs.items():
            if name in self._udfs:
                continue
            self._udfs.add(name)
            if field not in self._held.get(tid, ()):
                continue  # not held: the query fails to bind and the rule runs in Python
            bad = sorted(v for v in set(ctx.table(tid).values[field]) if type(v) is str and not test(v))
            df = self._frame([(v,) for v in bad], "v STRING")
            self._view(name.strip("`"), df)

    # ------------------------------------------------------------------------------ running
    def _fetch(self, query: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(query).collect()]

    def _groups(self, ctx: Context) -> list[list[str]]:
        # every table's uniqueness queries in one: a Spark query's fixed cost is high
        return [[tid for tid in ctx.spec.tables if ctx.table(tid).nrows]]

    def _row_checks(self, checks: dict[str, RowCheck]) -> dict[str, list[Fail] | str]:
        """The row-local rules, table by table, each table's in one pass over it: one SELECT with
        a failing flag and the compared value per rule, giving only the rows where one fails
        (Spark plans one wide projection far faster than a UNION ALL of one selection per rule).
        The rules testing the failing values of a Python check (an ``IN`` subquery, which Spark
        takes only in a filter) run together with the uniqueness queries (:meth:`_run_many`)."""
        out: dict[str, list[Fail] | str] = {}
        out.update(self._run_many({code: q for code, q in checks.items() if q.udfs}))
        by_table: dict[str, list[str]] = {}
        for code, q in checks.items():
            if not q.udfs:
                by_table.setdefault(q.table, []).append(code)
        for codes in by_table.values():
            for start in range(0, len(codes), _WIDE):
                out.update(self._wide({code: checks[code] for code in codes[start:start + _WIDE]}))
        return out

    def _wide(self, wide: dict[str, RowCheck]) -> dict[str, list[Fail]]:
        out: dict[str, list[Fail]] = {}
        if not wide:
            return out
        first = next(iter(wide.values()))
        joins = "".join(dict.fromkeys(j for q in wide.values() for j in q.joins))
        flags = [f"coalesce({q.where}, FALSE) AS w{n}" for n, q in enumerate(wide.values())]
        others = [f"{q.other} AS o{n}" for n, q in enumerate(wide.values()) if q.other != "NULL"]
        any_fails = " OR ".join(f"w{n}" for n in range(len(wide)))
        query = (f"SELECT * FROM (SELECT t._row, {', '.join(flags + others)} FROM {self.dialect.ident(first.table)} AS t"
                 f"{joins}) WHERE {any_fails} ORDER BY _row")
        got: list[list[Fail]] = [[] for _ in wide]
        has_other = [q.other != "NULL" for q in wide.values()]
        for r in self.spark.sql(query).collect():
            d = r.asDict()
            for n, other in enumerate(has_other):
                if d[f"w{n}"]:
                    v = d[f"o{n}"] if other else None
                    got[n].append((d["_row"], None if v is None else render(v), None))
        out.update(zip(wide, got))
        return out

    def _run_many(self, queries: dict[str, str]) -> dict[str, list[Fail] | str]:
        """Every query (uniqueness, one open row per key, Python checks' failing values) in one
        UNION ALL, each query's compared value as text with its Spark type; when that cannot run,
        one by one."""
        if len(queries) < 2:
            return super()._run_many(queries)
        parts = [f"SELECT {n} AS k, q._row, CAST(q.other AS STRING) AS other, typeof(q.other) AS ty, q.detail "
                 f"FROM ({query}) AS q" for n, query in enumerate(queries.values())]
        try:
            rows = self._fetch(" UNION ALL ".join(parts) + " ORDER BY k, _row")
        except self.errors:
            return super()._run_many(queries)
        codes = list(queries)
        out: dict[str, list[Fail] | str] = {code: [] for code in codes}
        for k, i, o, ty, detail in rows:
            v = _typed(o, ty)
            got = out[codes[k]]
            assert isinstance(got, list)
            got.append((i, None if v is None else render(v), detail))
        return out

    def _give_rejected(self, table: str, rows: list[int]) -> None:
        t = self.dialect.ident(table)
        if len(rows) <= _INLINE:
            test = f"_row IN ({', '.join(map(str, rows))})" if rows else "FALSE"
            self.spark.sql(f"SELECT _row, {test} AS rejected FROM {t}").createOrReplaceTempView(f"rejected__{table}")
            return
        self._frame([(i,) for i in rows], "_row BIGINT").createOrReplaceTempView("_hits")
        self.spark.sql(f"SELECT p._row, h._row IS NOT NULL AS rejected FROM {t} AS p LEFT JOIN _hits AS h "
                       "ON h._row = p._row").createOrReplaceTempView(f"rejected__{table}")

    def _drop_rejected(self, table: str) -> None:
        self.spark.catalog.dropTempView(f"rejected__{table}")
        self.spark.catalog.dropTempView("_hits")

    # ------------------------------------------------------------------------------ interruption
    def stages(self, stages: tuple[Stage, ...], run_kinds: Any) -> tuple[Stage, ...]:
        """The SQL engines' stages, each run :meth:`_guarded`."""
        import attrs

        def guarded(run: Any) -> Any:
            def run_guarded(ctx: Context, state: Ledger) -> None:
                with self._guarded():
                    run(ctx, state)
            return run_guarded

        return tuple(attrs.evolve(s, run=guarded(s.run)) for s in super().stages(stages, run_kinds))

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        """Run a stage so that an interruption (Ctrl-C, SIGTERM, SIGHUP) ends it at once.

        Such a signal lands while py4j waits for the JVM's answer on this thread's connection,
        often the answer to a query whose job is still running. Unwinding, PySpark's own
        clean-up (the call site reset after every action) and PySpark's Ctrl-C handler (which
        cancels the jobs) call the JVM on that same connection, whose JVM thread is busy with
        that job: the run waited for the job to end (minutes, or for ever). So while a stage
        runs, the engine's handler first stops Spark's work (:meth:`_halt`: the JVM itself where
        the engine started it, else this run's jobs, cancelled from a connection of their own)
        and drops the thread's connection (a later call opens a new one), then does what the
        signal's previous handler does (the CLI's SIGTERM handler, Python's Ctrl-C; a signal
        left to its default action ends the process). After an interruption the engine makes no
        further call (:meth:`close` leaves the cached tables), waits a few seconds for the JVM it
        started to end (:func:`_stop_started`), and a failure raised by PySpark's clean-up
        meanwhile (a refused connection, py4j's ``KeyError: 'p'`` for a stale answer) gives way
        to the interruption."""
        previous: dict[int, Any] = {}
        self._previous = previous
        self._arm()
        try:
            yield
        except BaseException as exc:
            cause: BaseException | None = exc
            while isinstance(cause, Exception):
                cause = cause.__context__
            if cause is None:
                raise
            self._stop()
            if isinstance(cause, _Interrupted):
                raise KeyboardInterrupt from None
            if cause is exc:
                raise
            raise cause.with_traceback(None) from None
        finally:
            self._previous = None
            for signum, old in previous.items():
                with contextlib.suppress(ValueError, OSError):
                    signal.signal(signum, old)

    def _arm(self) -> None:
        """Put the engine's handler before each interrupting signal's (in the main thread, while
        a stage runs; again once the session is started: PySpark's context sets its own Ctrl-C
        handler, which is then the one restored after the stage)."""
        previous = self._previous
        if previous is None or threading.current_thread() is not threading.main_thread():
            return
        for signum in _SIGNALS:
            old = signal.getsignal(signum)
            if old in (signal.SIG_IGN, None) or getattr(old, "func", None) == self._on_signal:
                continue
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signum, functools.partial(self._on_signal, old))
                previous[signum] = old

    def _on_signal(self, old: Any, signum: int, frame: Any) -> None:
        self._interrupted = True
        self._halt()
        if old is signal.SIG_DFL:  # the signal's default action: the process ends now
            _stop_started(self._started)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        if old is signal.default_int_handler or getattr(old, "__module__", "") == "pyspark.context":
            # Ctrl-C, as a KeyboardInterrupt once out of py4j (which logs one to standard error);
            # PySpark's own handler cancels all jobs on this thread's busy connection
            raise _Interrupted
        old(signum, frame)

    def _stop(self) -> None:
        """After an interruption: Spark's work stopped, and the JVM the engine started ended."""
        self._interrupted = True
        self._halt()
        _stop_started(self._started)
        logging.disable(self._logging)

    def _halt(self) -> None:
        """Stop Spark's work for this run without waiting for the JVM's answer: the JVM the engine
        started is told to end (SIGTERM: Spark's shutdown hooks remove its temporary folders);
        on a session of the user's, this run's jobs are cancelled from a new thread (its own
        py4j connection), waiting at most a few seconds. Then this thread's py4j connection is
        closed, so that PySpark's clean-up does not wait on it."""
        if self._halted:
            return
        self._halted = True
        # py4j logs what fails meanwhile to the root logger, which writes to standard error
        self._logging = logging.root.manager.disable
        logging.disable(logging.CRITICAL)
        from pyspark import SparkContext

        gateway = SparkContext._gateway
        if self._started is not None:
            if gateway is not None:
                _in_own_thread(_silence, gateway)
            with contextlib.suppress(OSError):
                self._started.terminate()
        elif self.spark is not None and gateway is not None:
            context = self.spark.sparkContext
            tag = self._tag

            _in_own_thread(context.cancelJobsWithTag, tag)
        client = getattr(gateway, "_gateway_client", None)
        connection = getattr(client, "get_thread_connection", lambda: None)()
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close(True)

    def close(self) -> None:
        """Done validating: what this run cached is unpersisted (the session stays, for the next
        run). After an interruption (also one that landed between stages) nothing is asked of the
        JVM, and the JVM the engine started is stopped."""
        if not self._interrupted and self.spark is not None:
            exc = sys.exc_info()[1]
            if exc is not None and not isinstance(exc, Exception):
                self._stop()
        if self._interrupted:
            self._cached = []
            return
        for df in self._cached:
            try:
                df.unpersist()
            except self.errors:  # pragma: no cover - a session stopped meanwhile
                pass
        self._cached = []
        if self.spark is not None:
            with contextlib.suppress(*self.errors):
                self.spark.sparkContext.removeJobTag(self._tag)
