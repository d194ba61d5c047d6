"""The DuckDB engine: ``validate(..., engine="duckdb")`` (``pip install 'iapt-ds[duckdb]'``).

It runs the pipeline's stages (:data:`iapt_ds.pipeline.STAGES`) in the same order over the same
:class:`~iapt_ds.ledger.Ledger`; the row rules (with uniqueness) and the cascade differ: each table read
by the usual readers is loaded into an in-memory DuckDB database (typed columns, see
:mod:`iapt_ds.checks.sql`), and each rule whose kind has SQL (:meth:`~iapt_ds.checks.base.Kind.sql`)
is one query giving its failing rows. A rule whose kind has no SQL, or whose query cannot run on
the columns loaded (a field of a type the engine does not hold), runs through the kind's Python
evaluation instead: results are complete whatever the kind. The findings are made by the same
ledger calls, in the same order, so they are the Python engine's, finding for finding; the
differential test (``tests/test_engine_duckdb.py``) holds the two engines to it.

The cascade's has_related rules are anti-joins against the related rows accepted so far (the
ledger's rejections loaded before each rule). The other stages (structure, mandatory tables,
the rules on accepted rows, the file outcome) run in Python.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import TYPE_CHECKING, Any

from ..checks.base import Fail, Phase
from ..errors import UsageError
from ..parse import Invalid, render

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.context import Context
    from ..ledger import Ledger
    from ..model import Table
    from ..pipeline import Stage

__all__ = ["DuckDBEngine", "DIALECT"]

DIALECT = "duckdb"

#: the Python type a field's values must all have for the engine to load it, and its SQL type
_SQL_TYPES: dict[str, tuple[type, str]] = {"text": (str, "VARCHAR"), "date": (_dt.date, "DATE"),
                                           "datetime": (_dt.datetime, "TIMESTAMP")}
_EPOCH = _dt.datetime(1970, 1, 1)


def _number(v: _dt.date) -> int:
    """A date as its proleptic ordinal, a datetime as microseconds since 1970 (what DuckDB is given)."""
    if isinstance(v, _dt.datetime):
        return (v - _EPOCH) // _dt.timedelta(microseconds=1)
    return v.toordinal()
_NAMES = re.compile(r'"(?:[^"]|"")*"')
_LINKS = re.compile(r'"link__(\w+)__(\w+)"')


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise UsageError("engine='duckdb' needs the duckdb package: pip install 'iapt-ds[duckdb]'") from None
    return duckdb


class DuckDBEngine:
    """One validation run's DuckDB database. ``ran_in_sql`` and ``ran_in_python`` (rule code ->
    why) say afterwards how each row rule ran."""

    name = "duckdb"

    def __init__(self) -> None:
        self._duckdb = _duckdb()
        import numpy  # a dependency of duckdb's Python package

        self._np = numpy
        self.con: Any = None
        self._loaded: set[str] = set()
        #: the quoted names a query may use: relations and the columns loaded
        self._names: set[str] = {'"codelists"'}
        self.ran_in_sql: list[str] = []
        self.ran_in_python: dict[str, str] = {}

    def stages(self, stages: tuple[Stage, ...], run_kinds: Any) -> tuple[Stage, ...]:
        """The pipeline's *stages* with the row rules and the cascade run here; *run_kinds* is the
        pipeline's loop over the rules (given, so that this module does not import the pipeline)."""
        import attrs

        self._run_kinds = run_kinds
        mine = {"row rules": self.check_rows, "cascade": self.cascade}
        return tuple(attrs.evolve(s, run=mine[s.name]) if s.name in mine else s for s in stages)

    # ------------------------------------------------------------------------------ loading

    def _connect(self, ctx: Context) -> None:
        self.con = self._duckdb.connect(":memory:")
        self.con.execute("SET threads TO 1")  # one thread, as the Python engine; the machine's cores are shared
        names: list[str] = []
        codes: list[str] = []
        for name, cl in ctx.spec.codelists.items():
            names.extend([name] * len(cl.codes))
            codes.extend(cl.codes)
        np = self._np
        self.con.register("_codelists", {"list": np.array(names, dtype=str), "code": np.array(codes, dtype=str)})
        self.con.execute("CREATE TABLE codelists AS SELECT CAST(list AS VARCHAR) AS list, "
                         "CAST(code AS VARCHAR) AS code FROM _codelists")
        self.con.unregister("_codelists")

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
            elif isinstance(v, _dt.date) and type(v) is typed[0]:
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
            data[f"k{n}"] = rows
            v = f"v{n}.v"
            value = (v if is_text else f"CAST(DATE '0001-01-01' + CAST({v} - 1 AS INTEGER) AS DATE)"
                     if typed[0] is _dt.date else f"CAST(TIMESTAMP '1970-01-01 00:00:00' + to_microseconds({v}) AS TIMESTAMP)")
            q = '"' + f.name.replace('"', '""')
            select.append(f'{value} AS {q}"')
            select.append(f'(r.k{n} = -2) AS {q}__bad"')
            self._names.update((f'{q}"', f'{q}__bad"'))
            joins.append(f" LEFT JOIN {'_texts' if is_text else '_numbers'} AS v{n} ON v{n}.k = r.k{n}")
        self.con.register("_load", data)
        self.con.register("_texts", {"k": np.arange(len(texts), dtype=np.int32), "v": np.array(list(texts), dtype=str)})
        self.con.register("_numbers", {"k": np.arange(len(numbers), dtype=np.int32),
                                       "v": np.array(list(numbers), dtype=np.int64)})
        self._names.add(f'"{tid}"')
        self.con.execute(f'CREATE TABLE "{tid}" AS SELECT {", ".join(select)} FROM _load AS r{"".join(joins)} '
                         "ORDER BY r._row")
        for name in ("_load", "_texts", "_numbers"):
            self.con.unregister(name)

    def _link(self, ctx: Context, tid: str, other: str) -> None:
        name = f"link__{tid}__{other}"
        if name in self._loaded:
            return
        self._loaded.add(name)
        n = ctx.table(tid).nrows
        rows = [ctx.header_row] * n if other == ctx.spec.header else ctx.link(tid, other)
        np = self._np
        orow = np.fromiter((-1 if j is None else j for j in rows), dtype=np.int64, count=n)
        self.con.register("_link", {"_row": np.arange(n, dtype=np.int64), "_orow": orow})
        self._names.add(f'"{name}"')
        self.con.execute(f'CREATE TABLE "{name}" AS SELECT _row, NULLIF(_orow, -1) AS _orow FROM _link')
        self.con.unregister("_link")

    # ------------------------------------------------------------------------------ running

    def _prepare(self, ctx: Context, tid: str, query: str) -> None:
        self._load(ctx, tid)
        for t, o in _LINKS.findall(query):
            if t in ctx.spec.tables and o in ctx.spec.tables:
                self._load(ctx, o)
                self._link(ctx, t, o)

    def _run(self, query: str) -> list[Fail]:
        return [(i, render(other) if other is not None else None, detail)
                for i, other, detail in self.con.execute(query).fetchall()]

    def _table_fails(self, ctx: Context, table: Table) -> dict[str, list[Fail] | str]:
        """The failing rows of each row rule of *table* that has SQL, all in one query (``other``
        kept in its own type per rule: one column each); when that query cannot run, rule by rule.
        A rule whose query cannot run maps to why."""
        queries = {}
        for rule in ctx.spec.rules.values():
            if rule.table == table.id:
                kind = ctx.spec.kinds[rule.kind]
                if kind.phase is Phase.ROW:
                    q = kind.sql(rule, DIALECT)
                    if q is not None:
                        queries[rule.code] = q
        out: dict[str, list[Fail] | str] = {}
        for code, q in list(queries.items()):
            self._prepare(ctx, table.id, q)
            missing = set(_NAMES.findall(q)) - self._names
            if missing:  # a field of a type the engine does not hold (integer, time, mixed dates)
                out[code] = f"its SQL needs {', '.join(sorted(missing))}, not held in SQL here"
                del queries[code]
        if not queries:
            return out
        codes = list(queries)
        out.update({code: [] for code in codes})
        union = " UNION ALL BY NAME ".join(
            f"SELECT {n} AS _rule, _row, other AS other{n}, detail FROM ({q})" for n, q in enumerate(queries.values()))
        try:
            rows = self.con.execute(f"SELECT * FROM ({union}) ORDER BY _rule, _row").fetchall()
        except self._duckdb.Error:
            for code, q in queries.items():
                try:
                    out[code] = self._run(q)
                except self._duckdb.Error as exc:
                    out[code] = f"its SQL cannot run here: {type(exc).__name__}: {str(exc).splitlines()[0]}"
            return out
        names = [d[0] for d in self.con.description]
        where = {int(name[5:]): k for k, name in enumerate(names) if name.startswith("other")}
        i_rule, i_row, i_detail = names.index("_rule"), names.index("_row"), names.index("detail")
        for r in rows:
            n = r[i_rule]
            other = r[where[n]]
            fails = out[codes[n]]
            assert isinstance(fails, list)
            fails.append((r[i_row], render(other) if other is not None else None, r[i_detail]))
        return out

    def check_rows(self, ctx: Context, state: Ledger) -> None:
        """The row rules and uniqueness (:data:`~iapt_ds.checks.base.Phase.ROW`), in the spec's
        order, each as its kind's SQL where it has some."""
        if self.con is None:
            self._connect(ctx)
        self._results: dict[str, dict[str, list[Fail] | str]] = {}
        self._run_kinds(ctx, state, Phase.ROW, evaluate=self._evaluate)

    def _evaluate(self, kind: Any, rule: Any, table: Table, ctx: Context) -> list[Fail]:
        results = self._results.get(table.id)
        if results is None:
            results = self._results[table.id] = self._table_fails(ctx, table)
        fails = results.get(rule.code)
        if fails is None:
            self.ran_in_python[rule.code] = f"kind {kind.name} has no SQL"
            return kind.evaluate(rule, table, ctx)
        if isinstance(fails, str):
            self.ran_in_python[rule.code] = fails
            return kind.evaluate(rule, table, ctx)
        self.ran_in_sql.append(rule.code)
        return fails

    def cascade(self, ctx: Context, state: Ledger) -> None:
        """The has_related rules in the spec's cascade order, each an anti-join against the related
        table's rows accepted so far (the ledger's rejections loaded before each rule)."""
        if self.con is None:
            self._connect(ctx)
        np = self._np
        for code in ctx.spec.cascade:
            rule = ctx.spec.rules[code]
            kind = ctx.spec.kinds[rule.kind]
            query = kind.sql(rule, DIALECT)
            assert rule.table is not None
            child, related = ctx.table(rule.table), str(rule.params.get("related"))
            if query is None or related not in ctx.spec.tables:
                self.ran_in_python[code] = f"kind {kind.name} has no SQL"
                kind.apply(rule, ctx, state)
                continue
            if child.nrows == 0:
                self.ran_in_sql.append(code)
                continue
            self._load(ctx, child.id)
            self._load(ctx, related)
            missing = set(_NAMES.findall(query)) - self._names - {f'"rejected__{related}"'}
            if missing:
                self.ran_in_python[code] = f"its SQL needs {', '.join(sorted(missing))}, not held in SQL here"
                kind.apply(rule, ctx, state)
                continue
            rejected = state.rejected[related]
            self.con.register(f"rejected__{related}", {
                "_row": np.arange(len(rejected), dtype=np.int64),
                "rejected": np.frombuffer(bytes(rejected), dtype=np.uint8).astype(bool)})
            try:
                rows = self.con.execute(query).fetchall()
            finally:
                self.con.unregister(f"rejected__{related}")
            reasons = state.reason[related]
            for i, j, _ in rows:
                state.add(rule, child, i, other=None, cause=None if j is None else reasons.get(j))
            self.ran_in_sql.append(code)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None
