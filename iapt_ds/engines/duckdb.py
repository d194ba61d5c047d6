"""The DuckDB engine: ``validate(..., engine="duckdb")`` (``pip install 'iapt-ds[duckdb]'``).

It runs the pipeline's stages (:data:`iapt_ds.pipeline.STAGES`) in the same order over the same
:class:`~iapt_ds.ledger.Ledger`; reading, the row rules (with uniqueness) and the cascade differ:

* **Reading.** A CSV folder's table files are read by DuckDB itself (``read_csv``, all VARCHAR)
  and cleansed and typed in SQL (:mod:`iapt_ds.engines._duckdb_csv`), wherever the Python reader
  would have nothing to say about the file; any other file, an Access IDB and in-memory rows go
  through the usual readers, and their tables are loaded into the database as integer codes per
  row plus each column's distinct values (typed columns, see :mod:`iapt_ds.checks.sql`).
* **Row rules.** Each rule whose kind has SQL (:meth:`~iapt_ds.checks.base.Kind.sql`) is a query
  giving its failing rows. The row-local ones (:class:`~iapt_ds.checks.sql.RowCheck`) of one
  table run as one query, whose failing (rule, row) pairs come back as numpy arrays; uniqueness
  runs one query per rule; a check SQL cannot express (Modulus 11, Verhoeff) is a Python test
  run once per distinct value. A rule whose kind has no SQL, or whose query cannot run on the
  columns held (a field of a type the engine does not hold), runs through the kind's Python
  evaluation instead, on Python columns built on demand: results are complete whatever the kind.
* **Rules on accepted rows.** Those whose kind has SQL (IDS20169) are a query against the
  related rows accepted so far (the ledger's rejections given to the database before the rule);
  the others run in Python.
* **Cascade.** The has_related rules are anti-joins against the related rows accepted so far
  (the ledger's rejections given to the database before each rule), in SDCS's order.

The loop over the tables and rules, the Python fallback and the cascade are the SQL engines'
(:class:`~iapt_ds.engines._sql.SqlEngine`); the queries are the kinds', in :data:`~iapt_ds.checks.sql.DUCKDB`'s
words. The findings are made by the same ledger calls, in the same order, so they are the Python
engine's, finding for finding; the differential test (``tests/test_engine_duckdb.py``) holds the
two engines to it. The other stages (structure, mandatory tables, the file outcome) run in Python.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import TYPE_CHECKING, Any

from ..checks.base import Fail
from ..checks.sql import DUCKDB, RowCheck, ident, lit
from ..errors import UsageError
from ..parse import Invalid, render
from ._duckdb_csv import column
from ._sql import SqlEngine

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.context import Context
    from ..ledger import Ledger

__all__ = ["DuckDBEngine", "DIALECT"]

DIALECT = "duckdb"

#: the Python type a field's values must all have for the engine to load it, and its SQL type
_SQL_TYPES: dict[str, tuple[type, str]] = {"text": (str, "VARCHAR"), "date": (_dt.date, "DATE"),
                                           "datetime": (_dt.datetime, "TIMESTAMP"), "integer": (int, "BIGINT"),
                                           "time": (_dt.time, "TIME")}
#: the integers a BIGINT holds
_BIGINT = range(-(1 << 63), 1 << 63)
_EPOCH = _dt.datetime(1970, 1, 1)
#: below this many rows in all, DuckDB's optimizer is off (it costs more than it saves)
_SMALL = 20_000
#: a Python test with at most this many failing values has them written in the row rules' query
_INLINE = 200


def _number(v: _dt.date | _dt.time | int) -> int:
    """A date as its proleptic ordinal, a datetime as microseconds since 1970, a time as
    microseconds since midnight, an integer as itself (what DuckDB is given)."""
    if isinstance(v, _dt.datetime):
        return (v - _EPOCH) // _dt.timedelta(microseconds=1)
    if isinstance(v, _dt.date):
        return v.toordinal()
    if isinstance(v, _dt.time):
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
    return v


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise UsageError("engine='duckdb' needs the duckdb package: pip install 'iapt-ds[duckdb]'") from None
    return duckdb


class DuckDBEngine(SqlEngine):
    """One validation run's DuckDB database. ``ran_in_sql`` and ``ran_in_python`` (rule code ->
    why) say afterwards how each row rule ran."""

    name = "duckdb"
    dialect = DUCKDB

    def __init__(self, threads: int = 1) -> None:
        """*threads*: DuckDB's worker threads (1 by default: one core, as the Python engine)."""
        if type(threads) is not int or threads < 1:
            raise UsageError(f"threads must be a whole number of threads, 1 or more, not {threads!r}")
        super().__init__()
        self.threads = threads
        self._duckdb = _duckdb()
        self.errors = (self._duckdb.Error,)
        import numpy  # a dependency of duckdb's Python package

        self._np = numpy
        self.con: Any = None
        self._connected = False
        self._names.add('"codelists"')
        #: the tables of a CSV folder that DuckDB read itself (the others went through the Python reader)
        self.read_in_sql: list[str] = []
        #: a query of a field's distinct values (for the Python tests) -> the values
        self._distinct: dict[str, list] = {}
        #: a Python test's relation -> its failing values, when few (written in place in the row
        #: rules' query: a subquery per test costs DuckDB more to plan and run than a list)
        self._inline: dict[str, list[str]] = {}
        #: table -> the rejected rows its ``rejected__T`` holds
        self._rejected: dict[str, list[int]] = {}

    # ------------------------------------------------------------------------------ loading

    def _open(self) -> Any:
        if self.con is None:
            self.con = self._duckdb.connect(":memory:")
            self.con.execute(f"SET threads TO {self.threads}")
            self.con.execute("SET enable_progress_bar = false")  # (it would print over the command line's output)
        return self.con

    def read(self, source: Any, *, spec: Any = None, version: str | None = None, period: str | None = None,
             progress: Any = None, files_progress: Any = None) -> Any:
        """The submission at *source*: a CSV folder's tables read by DuckDB itself where it can
        (:mod:`iapt_ds.engines._duckdb_csv`; the others by the Python reader), anything else by
        :func:`iapt_ds.readers.read`."""
        import os
        from pathlib import Path

        from ..readers import read, read_csv_folder
        from ._duckdb_csv import read_table

        folder = None
        if isinstance(source, (str, os.PathLike)) and not isinstance(os.fspath(source), bytes) and os.fspath(source).strip():
            try:
                folder = Path(source) if Path(source).is_dir() else None
            except (OSError, ValueError):
                folder = None
        if folder is None:
            return read(source, spec=spec, version=version, period=period, progress=progress,
                        files_progress=files_progress)
        con, error = self._open(), self._duckdb.Error

        def table(path: Any, tspec: Any, problems: Any, shared: Any, version: str) -> Any:
            got = read_table(con, path, tspec, problems, shared, version, error)
            if got is None:
                from ..readers.csv_folder import read_csv_table

                return read_csv_table(path, tspec, problems, shared, version)
            self.read_in_sql.append(tspec.id)
            return got
        return read_csv_folder(folder, spec=spec, version=version, period=period, progress=files_progress,
                               read_table=table)

    def _connect(self, ctx: Context) -> None:
        if self._connected:
            return
        self._connected = True
        self._open()
        rows = ", ".join(f"({lit(name)}, {lit(code)})" for name, cl in ctx.spec.codelists.items() for code in cl.codes)
        self.con.execute("CREATE TABLE codelists (list VARCHAR, code VARCHAR)")
        if rows:
            self.con.execute(f"INSERT INTO codelists VALUES {rows}")
        for name, cl in ctx.spec.codelists.items():
            # a short list as a constant list (tested in place), a long one as a look-up
            test = (f"list_contains([{', '.join(lit(c) for c in cl.codes)}], x)" if len(cl.codes) <= 64 else
                    f"x IN (SELECT code FROM codelists WHERE list = {lit(name)})")
            fn = ident("in_codes__" + name)
            self.con.execute(f"CREATE MACRO {fn}(x) AS {test}")
            self._names.add(fn)

    def _encode(self, col: list, typed: tuple[type, str], dictionary: dict[Any, int]) -> Any:
        """A column as one int32 code per row (-1 NULL, -2 unparsable, else the value's place in
        *dictionary*, which it extends), or None when the engine cannot hold it. Only numbers
        and fixed-width text cross into DuckDB: no Python object per row."""
        codes: dict[Any, int] = {}
        v: Any
        for v in set(col):
            if v is None:
                codes[v] = -1
            elif type(v) is Invalid:
                codes[v] = -2
            elif isinstance(v, str) and typed[0] is str and "\x00" not in v:
                # (a NUL is left to Python: numpy's fixed-width text would drop a trailing one)
                codes[v] = dictionary.setdefault(v, len(dictionary))
            elif (type(v) is typed[0] and isinstance(v, (_dt.date, _dt.time, int))
                  and (type(v) is not int or v in _BIGINT)):
                codes[v] = dictionary.setdefault(_number(v), len(dictionary))
            else:
                return None  # e.g. datetimes in a date column (Access input, faults): its rules run in Python
        return self._np.fromiter(map(codes.__getitem__, col), dtype=self._np.int32, count=len(col))

    def _load(self, ctx: Context, tid: str) -> None:
        """Load a table: ``_row``, and per field the plain value and the unparsable flag."""
        if tid in self._loaded:
            return
        self._loaded.add(tid)
        np = self._np
        table = ctx.table(tid)
        held = getattr(table, "held", None)
        if held is not None and getattr(table, "_con", None) is self.con:  # read by DuckDB: typed there
            self._held[tid] = set(held)
            for name in held:
                q = '"' + name.replace('"', '""')
                self._names.update((f'{q}"', f'{q}__bad"'))
            self._names.update((f'"{tid}"', f'"l_{tid}"', f'"o_{tid}"'))
            return
        data: dict[str, Any] = {"_row": np.arange(table.nrows, dtype=np.int64)}
        texts: dict[Any, int] = {}
        numbers: dict[Any, int] = {}
        select, joins = ["r._row"], []  # type: tuple[list[str], list[str]]
        for f in table.spec.fields:
            typed = _SQL_TYPES.get(f.type)
            col = table.values.get(f.name)
            if typed is None or col is None:
                continue
            is_text = typed[0] is str
            rows = self._encode(col, typed, texts if is_text else numbers)
            if rows is None:
                continue
            n = len(joins)
            self._held.setdefault(tid, set()).add(f.name)
            data[f"k{n}"] = rows
            v = f"v{n}.v"
            value = {str: v, int: v, _dt.date: f"CAST(DATE '0001-01-01' + CAST({v} - 1 AS INTEGER) AS DATE)",
                     _dt.datetime: f"CAST(TIMESTAMP '1970-01-01 00:00:00' + to_microseconds({v}) AS TIMESTAMP)",
                     _dt.time: f"CAST(TIME '00:00:00' + to_microseconds({v}) AS TIME)"}[typed[0]]
            q = '"' + f.name.replace('"', '""')
            select.append(f'{value} AS {q}"')
            select.append(f'(r.k{n} = -2) AS {q}__bad"')
            self._names.update((f'{q}"', f'{q}__bad"'))
            joins.append(f" LEFT JOIN {'_texts' if is_text else '_numbers'} AS v{n} ON v{n}.k = r.k{n}")
        self.con.register("_load", data)
        # text crosses as one string split in SQL (a numpy array of text costs far more to scan)
        self.con.execute("CREATE OR REPLACE TEMP TABLE _texts AS SELECT CAST(generate_subscripts(l, 1) - 1 AS INTEGER) AS k, "
                         "unnest(l) AS v FROM (SELECT string_split(?, chr(0)) AS l) WHERE ? > 0",
                         ["\x00".join(texts), len(texts)])
        self.con.register("_numbers", {"k": np.arange(len(numbers), dtype=np.int32),
                                       "v": np.array(list(numbers), dtype=np.int64)})
        self._names.update((f'"{tid}"', f'"l_{tid}"', f'"o_{tid}"'))
        self.con.execute(f'CREATE TABLE "{tid}" AS SELECT {", ".join(select)} FROM _load AS r{"".join(joins)} '
                         "ORDER BY r._row")
        for name in ("_load", "_numbers"):
            self.con.unregister(name)
        self.con.execute("DROP TABLE _texts")

    def _link(self, ctx: Context, tid: str, other: str) -> None:
        """``link__T__O``: each row of T with its related row of O (:meth:`Context.link`), as joins
        on the parent chain's keys where the keys are held in SQL, else from the Python index."""
        name = f"link__{tid}__{other}"
        if name in self._loaded:
            return
        self._loaded.add(name)
        self._names.add(f'"{name}"')
        query = self._link_query(ctx, tid, other)
        if query is not None:
            # the header's link is a view (a constant beside each row: cheaper to recompute than
            # to copy); a join's is a table, in no order (queries join it on _row)
            self.con.execute(f'CREATE {"VIEW" if other == ctx.spec.header else "TABLE"} "{name}" AS {query}')
            return
        n = ctx.table(tid).nrows
        np = self._np
        rows = ctx.link(tid, other)
        orow = np.fromiter((-1 if j is None else j for j in rows), dtype=np.int64, count=n)
        self.con.register("_link", {"_row": np.arange(n, dtype=np.int64), "_orow": orow})
        self.con.execute(f'CREATE TABLE "{name}" AS SELECT _row, NULLIF(_orow, -1) AS _orow FROM _link')
        self.con.unregister("_link")

    # ------------------------------------------------------------------------------ running

    def _fetch(self, query: str) -> list[tuple[Any, ...]]:
        return self.con.execute(query).fetchall()

    def _functions(self, ctx: Context, udfs: Any) -> None:
        """Provide the relations of failing distinct values a query names (:attr:`RowCheck.udfs`):
        each distinct value of the field tested once, in Python."""
        for name, (test, tid, field) in udfs.items():
            if name in self._udfs:
                continue
            self._udfs.add(name)
            f = ident(field)
            suspect = self._suspects.get(name)
            query = (f"SELECT DISTINCT {f} AS v FROM {ident(tid)} WHERE {f} IS NOT NULL"
                     + (f" AND ({suspect.replace('{v}', f)})" if suspect else ""))
            values = self._distinct.get(query)  # (several tests of one field: its values fetched once)
            if values is None:
                try:
                    values = self._distinct[query] = column(self.con, query)
                except self._duckdb.Error:
                    self._distinct[query] = [None]
                    continue  # the field is not held: the query fails to bind and the rule runs in Python
            if not all(type(v) is str for v in values):
                continue  # a test of text on a field of another type: the rule runs in Python
            bad = [v for v in values if not test(v)]
            if len(bad) <= _INLINE:
                self._inline[name] = bad
            if bad:
                self.con.execute(f"CREATE TEMP TABLE {name} AS SELECT unnest(string_split(?, chr(0))) AS v",
                                 ["\x00".join(bad)])
            else:
                self.con.execute(f"CREATE TEMP TABLE {name} (v VARCHAR)")
            self._names.add(name)

    def _in_place(self, q: RowCheck) -> str:
        """*q*'s failing condition with each ``t."F" IN (SELECT v FROM fails)`` of a Python test
        whose failing values are few written as the list of them (FALSE for none, as ``IN`` an
        empty relation is)."""
        where = q.where
        for name in q.udfs:
            bad = self._inline.get(name)
            if bad is None:
                continue
            listed = "(" + ", ".join(map(lit, bad)) + ")"
            where = re.sub(r'(t\."(?:[^"]|"")*") IN \(SELECT v FROM ' + re.escape(name) + r"\)",
                           (lambda m: f"{m.group(1)} IN {listed}") if bad else (lambda m: "FALSE"), where)
        return where

    def _row_checks(self, checks: dict[str, RowCheck]) -> dict[str, list[Fail] | str]:
        """Every row-local rule of a table in one query: the failing rows of each (rule number,
        row), as arrays; then, for a rule that compares with another value and has failing rows,
        those values. (A UNION ALL of narrow selections: one wide SELECT with a column per rule
        costs DuckDB several times more.)"""
        parts = [f"SELECT CAST({n} AS INTEGER) AS k, t._row FROM {ident(q.table)} AS t{''.join(q.joins)} "
                 f"WHERE {self._in_place(q)}" for n, q in enumerate(checks.values())]
        got = self.con.execute(" UNION ALL ".join(parts) + " ORDER BY k, _row").fetchnumpy()
        codes = list(checks)
        out: dict[str, list[Fail] | str] = {code: [] for code in codes}
        ks, rows = got["k"], got["_row"]
        if not len(ks):
            return out
        np = self._np
        bounds = np.searchsorted(ks, np.arange(len(codes) + 1))
        for n, (code, q) in enumerate(checks.items()):
            hit = rows[bounds[n]:bounds[n + 1]]
            if not len(hit):
                continue
            if q.other == "NULL":
                out[code] = [(i, None, None) for i in hit.tolist()]
            else:
                out[code] = [(i, render(v) if v is not None else None, None)
                             for i, v, _ in self.con.execute(str(q)).fetchall()]
        return out

    def check_rows(self, ctx: Context, state: Ledger) -> None:
        self._connect(ctx)
        if sum(t.nrows for t in ctx.tables.values()) < _SMALL:
            # on a small submission planning is most of the cost, and plans do not matter
            self.con.execute("PRAGMA disable_optimizer")
        super().check_rows(ctx, state)

    def _give_rejected(self, table: str, rows: list[int]) -> None:
        # kept from one cascade rule to the next while the table's rejected rows stay the same
        if self._rejected.get(table) == rows:
            return
        self._rejected[table] = rows
        # the rejected rows cross as one text (the rows accepted so far are the others)
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE "rejected__{table}" AS SELECT p._row, '
                         f'coalesce(r.hit, FALSE) AS rejected FROM {ident(table)} AS p LEFT JOIN '
                         "(SELECT CAST(unnest(string_split(?, ',')) AS BIGINT) AS _row, TRUE AS hit WHERE ? > 0) "
                         "AS r ON r._row = p._row", [",".join(map(str, rows)), len(rows)])

    def _drop_rejected(self, table: str) -> None:
        pass  # kept for the next rule on the same table (replaced when its rejections change)

    def close(self) -> None:
        """Done validating. A submission read by DuckDB keeps the database (its tables' cells live
        there, for the findings to quote); otherwise it is closed."""
        if self.con is not None and not any(name.startswith("raw__") for (name,) in
                                                self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()):
            self.con.close()
        self.con = None
