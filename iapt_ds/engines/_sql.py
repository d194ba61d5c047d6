"""What the SQL engines share (:class:`SqlEngine`): the loop over the tables and their rules, the
Python fallback of a rule whose query cannot run, the cascade as anti-joins in SDCS's order and
the findings made by the same ledger calls as the Python engine's.

An engine (:mod:`.duckdb`, :mod:`.spark`) says how to load a table, a link between two tables,
the failing distinct values of a Python test and the rejected rows of a table into its
database, and how to run a query; the kinds write the queries (:meth:`~iapt_ds.checks.base.Kind.sql`)
in the engine's :class:`~iapt_ds.checks.sql.Dialect`.
"""

from __future__ import annotations

import re
from itertools import compress
from typing import TYPE_CHECKING, Any

from ..checks.base import Fail, Phase
from ..checks.sql import Dialect, RowCheck, Run
from ..parse import render

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.context import Context
    from ..ledger import Ledger
    from ..model import Table
    from ..pipeline import Stage

__all__ = ["SqlEngine"]

_LINKS = re.compile(r'["`]link__(\w+)__(\w+)["`]')
_REJECTED = re.compile(r'["`]rejected__(\w+)["`]')


class SqlEngine:
    """One validation run's SQL database. ``ran_in_sql`` and ``ran_in_python`` (rule code ->
    why) say afterwards how each row rule and cascade rule ran."""

    name = "sql"
    #: the dialect the kinds write this engine's queries in
    dialect: Dialect
    #: the exceptions a query that cannot run raises
    errors: tuple[type[BaseException], ...] = ()

    def __init__(self) -> None:
        self._udfs: set[str] = set()
        #: a Python test's relation -> which values may fail it (:attr:`RowCheck.suspects`)
        self._suspects: dict[str, str] = {}
        self._loaded: set[str] = set()
        #: table id -> the fields held in SQL
        self._held: dict[str, set[str]] = {}
        #: the quoted names a query may use: relations and the columns loaded
        self._names: set[str] = set()
        self.ran_in_sql: list[str] = []
        self.ran_in_python: dict[str, str] = {}
        self._results: dict[str, dict[str, list[Fail] | str]] = {}

    def stages(self, stages: tuple[Stage, ...], run_kinds: Any) -> tuple[Stage, ...]:
        """The pipeline's *stages* with the row rules and the cascade run here; *run_kinds* is the
        pipeline's loop over the rules (given, so that this module does not import the pipeline)."""
        import attrs

        self._run_kinds = run_kinds
        mine = {"row rules": self.check_rows, "rules on accepted rows": self.check_accepted, "cascade": self.cascade}
        return tuple(attrs.evolve(s, run=mine[s.name]) if s.name in mine else s for s in stages)

    # ------------------------------------------------------------------ what an engine provides
    def _connect(self, ctx: Context) -> None:
        """Open the database and give it the code lists (once)."""
        raise NotImplementedError

    def _start(self, ctx: Context) -> None:
        """:meth:`_connect`, and the dialect bound to the run (what the kinds' SQL may take from it)."""
        self._connect(ctx)
        run = self.dialect.run
        if run is None or (run.spec, run.period_start, run.period_end) != (ctx.spec, ctx.rps, ctx.rpe):
            self.dialect = self.dialect.bound(run=Run(ctx.spec, ctx.rps, ctx.rpe))

    def _load(self, ctx: Context, tid: str) -> None:
        """Load table *tid* (once): ``_row``, and per field held its value and ``__bad`` flag."""
        raise NotImplementedError

    def _link(self, ctx: Context, tid: str, other: str) -> None:
        """Provide ``link__T__O`` (once): :meth:`_link_query` where it gives one, else the Python
        index (:meth:`Context.link`) as a relation."""
        raise NotImplementedError

    def _link_query(self, ctx: Context, tid: str, other: str) -> str | None:
        """The query giving ``link__T__O`` (``_row``, ``_orow``): for the header its first row;
        else joins on the parent chain's keys (the tables on it loaded), where every key is held
        in SQL. None where it cannot: the engine then takes the rows from the Python index."""
        ident = self.dialect.ident
        if other == ctx.spec.header:
            h = "NULL" if ctx.header_row is None else str(ctx.header_row)
            return f"SELECT _row, CAST({h} AS BIGINT) AS _orow FROM {ident(tid)}"
        steps: list[tuple[str, str, str]] = []  # (child, parent, key)
        t = tid
        while t != other:
            parent = ctx.spec.tables[t].parent
            if parent is None:
                break
            steps.append((t, parent[0], parent[1]))
            t = parent[0]
        for _, parent_id, _ in steps:
            self._load(ctx, parent_id)
        if t != other or not all(key in self._held.get(c, ()) and key in self._held.get(p, ()) for c, p, key in steps):
            return None
        sql = f"SELECT _row, _row AS _j FROM {ident(tid)}"
        for child, up, key in steps:
            k = ident(key)
            sql = (f"SELECT s._row, f._j FROM ({sql}) AS s LEFT JOIN {ident(child)} AS c ON c._row = s._j "
                   f"LEFT JOIN (SELECT {k} AS k, min(_row) AS _j FROM {ident(up)} WHERE {k} IS NOT NULL "
                   f"GROUP BY {k}) AS f ON f.k = c.{k}")
        return f"SELECT _row, _j AS _orow FROM ({sql})"

    def _functions(self, ctx: Context, udfs: Any) -> None:
        """Provide the relations of failing distinct values a query names (:attr:`RowCheck.udfs`)."""
        raise NotImplementedError

    def _fetch(self, query: str) -> list[tuple[Any, ...]]:
        """The rows *query* gives."""
        raise NotImplementedError

    def _row_checks(self, checks: dict[str, RowCheck]) -> dict[str, list[Fail] | str]:
        """The failing rows of every rule of *checks* (row-local queries, of one table or several)
        in as few passes as the engine can."""
        raise NotImplementedError

    def _give_rejected(self, table: str, rows: list[int]) -> None:
        """Provide ``rejected__T`` (``_row``, ``rejected``): *rows* are the rejected ones."""
        raise NotImplementedError

    def _drop_rejected(self, table: str) -> None:
        raise NotImplementedError

    def _groups(self, ctx: Context) -> list[list[str]]:
        """The tables whose row rules run together (one table per group by default)."""
        return [[tid] for tid in ctx.spec.tables if ctx.table(tid).nrows]

    # ------------------------------------------------------------------------ running
    def _prepare(self, ctx: Context, tid: str, query: str) -> None:
        self._load(ctx, tid)
        for t, o in _LINKS.findall(query):
            if t in ctx.spec.tables and o in ctx.spec.tables:
                self._load(ctx, o)
                self._link(ctx, t, o)

    def _missing(self, query: str, also: frozenset[str] = frozenset()) -> set[str]:
        """The names *query* uses that the database does not hold (a field of a type not held)."""
        return self.dialect.names(query) - self._names - also

    def _run(self, query: str) -> list[Fail]:
        return [(i, render(other) if other is not None else None, detail) for i, other, detail in self._fetch(query)]

    def _run_one(self, query: str) -> list[Fail] | str:
        try:
            return self._run(query)
        except self.errors as exc:
            return f"its SQL cannot run here: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"

    def _group_fails(self, ctx: Context, tids: list[str]) -> dict[str, list[Fail] | str]:
        """The failing rows of each row rule of the tables *tids* that has SQL. The rules whose query
        is a :class:`~iapt_ds.checks.sql.RowCheck` are tested together (:meth:`_row_checks`); the
        others (uniqueness) run one query each. When the combined query cannot run, rule by rule.
        A rule whose query cannot run maps to why."""
        queries: dict[str, str] = {}
        wanted = set(tids)
        for rule in ctx.spec.rules.values():
            if rule.table in wanted:
                kind = ctx.spec.kinds[rule.kind]
                if kind.phase is Phase.ROW:
                    q = kind.sql(rule, self.dialect)
                    if q is not None:
                        queries[rule.code] = q
        out: dict[str, list[Fail] | str] = {}
        for code, q in list(queries.items()):
            table = ctx.spec.rules[code].table
            assert table is not None
            self._prepare(ctx, table, q)
            if isinstance(q, RowCheck):
                self._suspects.update(q.suspects)
                self._functions(ctx, q.udfs)
            missing = self._missing(q)
            if missing:  # a field of a type the engine does not hold (integer, time, mixed dates)
                out[code] = f"its SQL needs {', '.join(sorted(missing))}, not held in SQL here"
                del queries[code]
        checks = {code: q for code, q in queries.items() if isinstance(q, RowCheck)}
        if checks:
            try:
                out.update(self._row_checks(checks))
            except self.errors:
                for code, q in checks.items():
                    out[code] = self._run_one(q)
        out.update(self._run_many({code: q for code, q in queries.items() if code not in checks}))
        return out

    def _run_many(self, queries: dict[str, str]) -> dict[str, list[Fail] | str]:
        """The failing rows of each query of *queries* (or why it cannot run): one by one, unless
        the engine can run them together."""
        return {code: self._run_one(q) for code, q in queries.items()}

    def check_rows(self, ctx: Context, state: Ledger) -> None:
        """The row rules and uniqueness (:data:`~iapt_ds.checks.base.Phase.ROW`), in the spec's
        order, each as its kind's SQL where it has some."""
        self._start(ctx)
        self._results = {}
        self._group_of = {tid: group for group in self._groups(ctx) for tid in group}
        self._run_kinds(ctx, state, Phase.ROW, evaluate=self._evaluate)

    def _evaluate(self, kind: Any, rule: Any, table: Table, ctx: Context) -> list[Fail]:
        results = self._results.get(table.id)
        if results is None:
            group = self._group_of.get(table.id, [table.id])
            got = self._group_fails(ctx, group)
            for tid in group:
                self._results[tid] = got
            results = got
        fails = results.get(rule.code)
        if fails is None:
            self.ran_in_python[rule.code] = f"kind {kind.name} has no SQL"
            return kind.evaluate(rule, table, ctx)
        if isinstance(fails, str):
            self.ran_in_python[rule.code] = fails
            return kind.evaluate(rule, table, ctx)
        self.ran_in_sql.append(rule.code)
        return fails

    def check_accepted(self, ctx: Context, state: Ledger) -> None:
        """The rules on accepted rows (:data:`~iapt_ds.checks.base.Phase.PIPELINE`), in the spec's
        order, each as its kind's SQL where it has some: the ledger's rejections of the tables
        it names (``rejected__T``) given to the database before each rule, as in the cascade."""
        self._start(ctx)

        def evaluate(kind: Any, rule: Any, table: Table, ctx: Context) -> list[Fail]:
            query = kind.sql(rule, self.dialect)
            if query is None:
                self.ran_in_python[rule.code] = f"kind {kind.name} has no SQL"
                return kind.evaluate(rule, table, ctx, state.accepted)
            related = [t for t in dict.fromkeys(_REJECTED.findall(query)) if t in ctx.spec.tables]
            named = self.dialect.names(query)
            self._load(ctx, table.id)
            for t in ctx.spec.tables:
                if t in related or self.dialect.ident(t) in named:
                    self._load(ctx, t)
            missing = self._missing(query, frozenset(self.dialect.ident(f"rejected__{t}") for t in related))
            if missing:
                self.ran_in_python[rule.code] = f"its SQL needs {', '.join(sorted(missing))}, not held in SQL here"
                return kind.evaluate(rule, table, ctx, state.accepted)
            for t in related:
                flags = state.rejected[t]
                self._give_rejected(t, list(compress(range(len(flags)), flags)))
            try:
                fails = self._run(query)
            except self.errors as exc:
                for t in related:
                    self._drop_rejected(t)
                self.ran_in_python[rule.code] = (f"its SQL cannot run here: {type(exc).__name__}: "
                                                 f"{(str(exc).splitlines() or [''])[0]}")
                return kind.evaluate(rule, table, ctx, state.accepted)
            except Exception:
                for t in related:
                    self._drop_rejected(t)
                raise
            for t in related:
                self._drop_rejected(t)
            self.ran_in_sql.append(rule.code)
            return fails
        self._run_kinds(ctx, state, Phase.PIPELINE, evaluate=evaluate)

    def cascade(self, ctx: Context, state: Ledger) -> None:
        """The has_related rules in the spec's cascade order, each an anti-join against the related
        table's rows accepted so far (the ledger's rejections given to the database before each rule)."""
        self._start(ctx)
        for code in ctx.spec.cascade:
            rule = ctx.spec.rules[code]
            kind = ctx.spec.kinds[rule.kind]
            query = kind.sql(rule, self.dialect)
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
            missing = self._missing(query, frozenset({self.dialect.ident(f"rejected__{related}")}))
            if missing:
                self.ran_in_python[code] = f"its SQL needs {', '.join(sorted(missing))}, not held in SQL here"
                kind.apply(rule, ctx, state)
                continue
            flags = state.rejected[related]
            self._give_rejected(related, list(compress(range(len(flags)), flags)))
            try:
                rows = self._fetch(query)
            except Exception:
                self._drop_rejected(related)
                raise
            # (not on an interruption: the database may still owe the answer it was giving)
            self._drop_rejected(related)
            reasons = state.reason[related].get
            state.add_caused(rule, child, [r[0] for r in rows], [None if r[1] is None else reasons(r[1]) for r in rows])
            self.ran_in_sql.append(code)

    def close(self) -> None:
        """Done validating."""
