"""``validate()``: the whole pipeline, in SDCS's order.

:func:`iapt_ds.readers.read` reads, cleanses and types the submission; then the stages of
:data:`STAGES` run in order over one :class:`~iapt_ds.ledger.Ledger` of findings:

1. ``structure`` — IDSREJ001 (:mod:`iapt_ds.structure`);
2. ``mandatory tables`` — IDSREJ002-005 (:mod:`iapt_ds.structure`);
3. ``row rules`` — the row rules and uniqueness (:mod:`iapt_ds.checks`);
4. ``rules on accepted rows`` — rules that depend on which other rows are still accepted
   (:mod:`iapt_ds.rules`);
5. ``cascade`` — referential integrity (:mod:`iapt_ds.cascade`);
6. ``file outcome`` — IDSREJ015, 012, 101 (:mod:`iapt_ds.outcome`);

and the ledger becomes a :class:`~iapt_ds.result.Result`.

Every rule runs, even after the file is known to be rejected: users want every error in one pass.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import functools
import re
from collections.abc import Callable
from typing import Any

import attrs

from ._gcpause import gc_paused
from .cascade import run_cascade
from .checked import what_was_checked
from .checks.base import Kind, Phase
from .checks.context import Context, ReferenceData, Upload
from .errors import UsageError
from .ledger import Ledger
from .parallel import jobs_arg, read_jobs
from .parse import render
from .outcome import final_file_findings
from .readers import read
from .result import Outcome, Result, TableResult
from .spec import Severity, Spec, load_spec
from .structure import mandatory_table_findings, structure_findings
from .version_choice import VersionChoice

__all__ = ["ENGINES", "STAGES", "Stage", "validate", "period_bounds", "run_kinds"]

#: the engines validate() can run on (``engine=``); "python" is the default and the reference
ENGINES = ("python", "duckdb", "spark")


def run_kinds(ctx: Context, state: Ledger, phase: Phase, extra: tuple[Any, ...] = (),
              evaluate: Callable[..., list] | None = None) -> None:
    """Every rule whose kind runs in *phase*, table by table, in the spec's order. *evaluate*
    ``(kind, rule, table, ctx)`` stands in for the kinds' own evaluation (another engine's)."""
    spec = ctx.spec
    for tid in spec.tables:
        table = ctx.table(tid)
        if table.nrows == 0:
            continue
        for rule in spec.rules.values():
            if rule.table != tid:
                continue
            kind = spec.kinds[rule.kind]
            if kind.phase is not phase:
                continue
            fails = kind.evaluate(rule, table, ctx, *extra) if evaluate is None else evaluate(kind, rule, table, ctx)
            if not fails:
                continue
            expected = None
            if type(kind).expected is not Kind.expected:  # the kind says what was expected
                expected = [kind.expected(rule, spec, table, f[0]) for f in fails]
            state.add_many(rule, table, fails, expected)


def check_rows(ctx: Context, state: Ledger) -> None:
    """The row rules and uniqueness: every rule whose kind looks at one row, or at the rows of
    one table (:data:`iapt_ds.checks.base.Phase.ROW`). Those already run where the tables were
    read (``jobs=``, :mod:`iapt_ds.parallel`) are taken as found there."""
    done = getattr(ctx.submission, "row_checks", None)
    run_kinds(ctx, state, Phase.ROW, evaluate=done.evaluate if done is not None and done.spec is ctx.spec else None)


def check_against_accepted_rows(ctx: Context, state: Ledger) -> None:
    """The rules that depend on which other rows are still accepted (IDS00223, IDS10129,
    IDS20169: the kinds of :mod:`iapt_ds.rules`, :data:`iapt_ds.checks.base.Phase.PIPELINE`)."""
    run_kinds(ctx, state, Phase.PIPELINE, (state.accepted,))


@attrs.frozen
class Stage:
    """One step of the pipeline: a name to say and a function adding to the ledger."""

    name: str
    run: Callable[[Context, Ledger], None] = attrs.field(repr=False)


#: the pipeline after reading, in SDCS's order
STAGES: tuple[Stage, ...] = (
    Stage("structure", structure_findings),                    # IDSREJ001
    Stage("mandatory tables", mandatory_table_findings),       # IDSREJ002-005
    Stage("row rules", check_rows),                            # row rules and uniqueness
    Stage("rules on accepted rows", check_against_accepted_rows),  # IDS00223, IDS10129, IDS20169
    Stage("cascade", run_cascade),                             # the 18 referential-integrity rules
    Stage("file outcome", final_file_findings),                # IDSREJ015, 012, 101
)


def period_bounds(period: Any) -> tuple[_dt.date, _dt.date]:
    """The first and last day of a reporting period given as ``YYYY-MM``, a date in it, or a
    (start, end) pair."""
    if isinstance(period, tuple) and len(period) == 2 and all(isinstance(x, _dt.date) for x in period):
        return period[0], period[1]
    if isinstance(period, _dt.date):
        y, m = period.year, period.month
    elif isinstance(period, str) and re.fullmatch(r"(?!0000)\d{4}-(0[1-9]|1[0-2])", period.strip()):
        y, m = int(period.strip()[:4]), int(period.strip()[5:7])
    else:
        raise UsageError(f"period must be 'YYYY-MM', a date or a (start, end) pair of dates, not {period!r}")
    start = _dt.date(y, m, 1)
    end = _dt.date(y, m, calendar.monthrange(y, m)[1])
    return start, end


def _text_arg(name: str, v: Any) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str) or not v.strip():
        raise UsageError(f"{name} must be a non-empty organisation code (text), not {v!r}")
    return v.strip()


def _engine(engine: Any) -> Any:
    """None for the Python engine, else an engine object (``stages(STAGES, run_kinds)``, ``close()``)."""
    if engine == "python":
        return None
    if engine == "duckdb":
        from .engines.duckdb import DuckDBEngine

        return DuckDBEngine()
    if engine == "spark":
        from .engines.spark import SparkEngine

        return SparkEngine()
    if hasattr(engine, "stages") and hasattr(engine, "close"):
        return engine
    raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")


@gc_paused
def validate(submission: Any, *, period: Any = None, provider: str | None = None, sender: str | None = None,
             submitted_at: _dt.datetime | str | None = None, reference_data: ReferenceData | None = None,
             spec: Spec | None = None, version: str | None = None, engine: Any = "python", jobs: int = 1) -> Result:
    """Validate a submission as SDCS would.

    The IAPT version whose rules run is chosen as SDCS chooses it, from the header's DatSetVer
    (``'2.0'``, ``'2.1'``); *version* (or *spec*) names it instead. ``Result.dataset_version`` and
    ``Result.version_reason`` say which ran and why; ``Result.version_notes`` any mismatch (a
    DatSetVer that does not fit the period or names no known version) and what was assumed.

    *submission* is a :class:`~iapt_ds.model.Submission`, a path (a CSV folder or an Access IDB
    ``.accdb``/``.mdb``) or in-memory rows (mapping of table name to row dicts). *period*, *provider*, *sender* and *submitted_at* stand
    for what SDCS takes from the upload; rules comparing with them are reported as not checked
    when they are not given, except *submitted_at*, which defaults to now. *reference_data*
    answers the ODS/GP/postcode look-ups (see :class:`~iapt_ds.checks.ReferenceData`).
    *engine* is ``"python"`` (the default and the reference), ``"duckdb"`` (the row rules as
    SQL in embedded DuckDB: ``pip install 'iapt-ds[duckdb]'``; the same findings) or ``"spark"``
    (the same SQL on Spark, the active session or a local one: ``pip install 'iapt-ds[spark]'``;
    ``engine=iapt_ds.engines.spark.SparkEngine(session)`` runs on a session of your own). *jobs* (python
    engine) reads a CSV folder's tables and runs their row rules over that many processes, the
    rest here: the same result, sooner on a large folder; anything else, or a small folder, is
    read in this process (:mod:`iapt_ds.parallel`).

    Never raises on bad data (it is a finding); raises :class:`~iapt_ds.errors.UsageError` on a
    wrong argument and :class:`~iapt_ds.errors.InputError` on a path that cannot be read.
    """
    if spec is not None and not isinstance(spec, Spec):
        raise UsageError(f"spec must be a Spec (iapt_ds.load_spec()), not {type(spec).__name__}")
    if version is not None and not isinstance(version, str):
        raise UsageError(f"version must be text such as '2.1', not {version!r}")
    start = end = None
    if period is not None:
        start, end = period_bounds(period)
    if submitted_at is None:
        at = _dt.datetime.now().replace(microsecond=0)
    elif isinstance(submitted_at, _dt.datetime):
        at = submitted_at.replace(tzinfo=None)
    elif isinstance(submitted_at, str):
        try:
            at = _dt.datetime.fromisoformat(submitted_at.strip())
        except ValueError:
            raise UsageError(f"submitted_at must be an ISO date-time like 2021-04-05T12:00:00, not {submitted_at!r}") from None
        at = at.replace(tzinfo=None)
    else:
        raise UsageError(f"submitted_at must be a datetime or ISO text, not {type(submitted_at).__name__}")
    if reference_data is not None and not isinstance(reference_data, ReferenceData):
        raise UsageError("reference_data must provide organisation_exists, gp_practice_exists, site_exists "
                         "and postcode_exists (see iapt_ds.ReferenceSets)")
    upload = Upload(period_start=start, period_end=end, provider=_text_arg("provider", provider),
                    sender=_text_arg("sender", sender), submitted_at=at)

    if jobs_arg(jobs) > 1 and engine != "python":
        raise UsageError(f"jobs={jobs} runs the python engine over processes; the {engine!r} engine runs in one "
                         "(give jobs=1)")
    runner = _engine(engine)
    reader: Callable[..., Any] = getattr(runner, "read", read)  # an engine may read the input itself (DuckDB: CSV folders)
    if jobs > 1:  # a CSV folder read, and its row rules run, over processes (iapt_ds.parallel)
        reader = functools.partial(read_jobs, jobs=jobs)
    sub = reader(submission, spec=spec, version=version, period=f"{start:%Y-%m}" if start else None)
    if spec is not None and sub.spec is not spec:
        raise UsageError(f"this Submission was read with another spec (IAPT v{sub.spec.version}) than the one given")
    spec = sub.spec
    choice = sub.version or VersionChoice(spec.version, "submission", f"the submission was read as IAPT v{spec.version}")
    ctx = Context(spec, sub, upload, reference_data)
    state = Ledger(sub)

    try:
        for stage in (STAGES if runner is None else runner.stages(STAGES, run_kinds)):
            stage.run(ctx, state)
    finally:
        if runner is not None:
            runner.close()

    outcome = Outcome.REJECTED if any(r.severity is Severity.FILE for r in state.findings.rules()) else Outcome.ACCEPTED
    tables: dict[str, TableResult] = {}
    reasons: dict[str, list[int | None]] = {}
    for tid, t in sub.tables.items():
        rej = sum(state.rejected[tid])
        tables[tid] = TableResult(table=tid, name=t.name, read=t.nrows, accepted=t.nrows - rej, rejected=rej,
                                  with_warnings=len(state.warned[tid]))
        col: list[int | None] = [None] * t.nrows  # position of each row's rejecting finding
        for i, k in state.reason[tid].items():
            col[i] = k
        reasons[tid] = col
    header_period = f"{ctx.rps:%Y-%m}" if ctx.rps else None
    chosen = f"{start:%Y-%m}" if start is not None else None
    checked = what_was_checked(spec, period=chosen, header_period=header_period, provider=upload.provider,
                               sender=upload.sender, submitted_at=at, submitted_at_given=submitted_at is not None,
                               reference=reference_data)
    return Result(outcome=outcome, findings=state.findings, tables=tables,
                  not_checked=dict(sorted(ctx.not_checked.items())), period=chosen or header_period,
                  source=sub.source, reasons=reasons, checked=checked, version=choice, spec=spec,
                  identifiers=functools.partial(_identifiers, sub))  # (gathered when first asked for)



def _identifiers(sub: Any) -> frozenset[str]:
    """The text of every value the submission's sensitive fields hold (``sensitive:`` in the
    spec), as read and as typed: what redaction masks wherever it appears."""
    found: set[Any] = set()  # (None and "" taken out at the end)
    for table in sub.tables.values():
        texts = getattr(table, "sensitive_texts", None)  # a table whose cells are in an engine's database
        for name in sub.spec.sensitive_fields:
            if texts is not None:
                found.update(texts(name))
                continue
            column = table.values.get(name)
            if column is None:
                continue
            if {str, type(None)}.issuperset(map(type, column)):
                found.update(column)  # text renders as itself: no call per value (None and "" go below)
            else:
                found.update(map(render, set(column)))
            originals = table.originals.get(name)
            if originals:
                found.update(t.strip() for t in originals.values() if t and t.strip())
    found.discard(None)
    found.discard("")
    found.update(t[:10] for t in list(found) if len(t) > 10 and t[4:5] == "-" and t[10:11] == "T")
    return frozenset(found)
