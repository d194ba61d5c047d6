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
import os
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
    if _user_configured():
        return builder.getOrCreate()
    from pyspark import SparkContext

    if getattr(SparkContext, "_gateway", None) is not None:  # a JVM already started in this process
        return builder.getOrCreate()
    builder = builder.master(f"local[{cores}]").config(
        "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{_log_config()}")
    unset = "SPARK_LOCAL_IP" not in os.environ
    if unset:
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    try:
        return builder.getOrCreate()
    finally:
        if unset:
            os.environ.pop("SPARK_LOCAL_IP", None)


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
        #: interrupted (Ctrl-C, SIGTERM) while talking to the JVM: no further call is made
        self._interrupted = False

    def _connect(self, ctx: Context) -> None:
        if self.spark is not None:
            return
        parent = self._parent
        if parent is None:
            parent = _local_session()
        self.spark = parent.newSession()
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
    @contextlib.contextmanager
    def _interruptible(self) -> Iterator[None]:
        """An interruption (KeyboardInterrupt, or the CLI's SIGTERM) raised while py4j waits for
        the JVM's answer leaves that answer unread on the thread's connection, or the JVM gone
        (``timeout`` signals it too): any later call fails (a stale answer read as its own,
        py4j's ``KeyError: 'p'``; a refused connection), and that failure took the
        interruption's place. So after one the engine makes no further call (:meth:`close`
        leaves the cached tables to the session), and a failure raised while the interruption
        was being handled (in PySpark's own clean-up) gives way to the interruption."""
        try:
            yield
        except BaseException as exc:
            cause: BaseException | None = exc
            while isinstance(cause, Exception):
                cause = cause.__context__
            if cause is None:
                raise
            self._interrupted = True
            if cause is exc:
                raise
            raise cause.with_traceback(None) from None

    def check_rows(self, ctx: Context, state: Ledger) -> None:
        with self._interruptible():
            super().check_rows(ctx, state)

    def cascade(self, ctx: Context, state: Ledger) -> None:
        with self._interruptible():
            super().cascade(ctx, state)

    def close(self) -> None:
        """Done validating: what this run cached is unpersisted (the session stays, for the next run)."""
        if self._interrupted:
            self._cached = []
            return
        for df in self._cached:
            try:
                df.unpersist()
            except self.errors:  # pragma: no cover - a session stopped meanwhile
                pass
        self._cached = []
