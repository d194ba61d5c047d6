"""Reading a CSV folder over several processes: ``validate(..., jobs=N)``, ``iapt-ds validate --jobs N``.

The folder's tables are shared out by file size between this process and ``N - 1`` worker
processes (``multiprocessing``, started with *spawn* on every platform). Each process reads its
tables (reading, cleansing, typing: stage 1) and runs on them the row rules
(:data:`~iapt_ds.checks.base.Phase.ROW`) that need nothing but those tables and the header. A
worker sends back its typed tables, the problems it found reading them and, per rule, the
failing rows (row, value, detail) as the kind returned them. Everything else runs here, after,
exactly as with one process: the row rules that look at another process's tables, at the upload
(period, provider, submission time) or at reference data, uniqueness where it was not done, the
rules on accepted rows, the cascade, the file outcome and the report. The findings, their order
and every row's outcome are those of ``jobs=1`` (a differential test holds them to it).

Where processes do not pay, or cannot be used, the submission is read in this process, as
with ``jobs=1``: a folder smaller than :data:`MIN_BYTES`, one with a single table file of any
size, an Access IDB, a ``.zip``, in-memory rows, a :class:`~iapt_ds.model.Submission`, or a spec
that is not loaded from a folder (:func:`~iapt_ds.spec.load_spec`). A worker that fails (it
dies, or raises) never leaves the run hanging: its tables are read again here, so the result is
still the one ``jobs=1`` gives (an unreadable file is a finding, as always); where no process can
be started (in a daemonic process, say), everything is read here. No worker outlives the call
(*spawn* on POSIX also starts multiprocessing's own resource tracker, one per interpreter, which
ends with it).

Tables travel as plain pickles of their columns, each pickled in the worker as soon as it is
checked: on a 1M-row folder pickling every column costs about 0.5 s of CPU and unpickling 0.24 s,
while sending each column as its distinct values and an array of indices cost 1.7 s and 0.47 s.

A program calling ``validate(..., jobs=N)`` from a script must guard its top level with
``if __name__ == "__main__":``, as every program starting processes with *spawn* must.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Mapping
from os import PathLike, fspath
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._gcpause import gc_paused, paused
from .checks.base import Kind, Phase
from .checks.context import Context, Upload
from .errors import UsageError
from .model import InputProblem, Submission, Table
from .readers import plan_csv_folder, read, read_csv_folder, read_folder_table
from .readers._submission import finish_submission
from .spec import RuleSpec, Spec, load_spec

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["CheckedSubmission", "RowChecks", "Here", "MIN_BYTES", "jobs_arg", "read_jobs", "read_folder_jobs"]

#: a folder with fewer bytes of CSV than this is read in one process: starting a worker (about
#: 0.4 s, the package imported and the spec loaded) and sending its tables back cost more than
#: they save below it (measured with ``benchmarks/run.py --jobs``)
MIN_BYTES = 12 << 20

#: the rough cost model by which the tables are taken, the dearest first (CPU seconds measured
#: on a 1M-row folder; only their proportion matters): reading a byte of CSV, checking one row
#: against one row rule
_READ_PER_BYTE = 0.055e-6
_CHECK_PER_ROW_RULE = 0.22e-6


def jobs_arg(jobs: Any) -> int:
    """*jobs* checked: a whole number of processes, at least 1."""
    if isinstance(jobs, bool) or not isinstance(jobs, int):
        raise UsageError(f"jobs must be a whole number of processes (1 or more), not {jobs!r}")
    if jobs < 1:
        raise UsageError(f"jobs must be 1 or more (the processes to read and check the tables with), not {jobs}")
    return jobs


# ------------------------------------------------------------------------------ the row rules

class _Elsewhere(BaseException):
    """A rule looked at what this process does not hold (another process's table, the upload,
    the reference data): it runs after the tables are gathered. A BaseException, so that no
    kind's own ``except Exception`` takes it for a failure of its own."""


class _Held(dict):
    """The tables one process holds, standing for a whole submission's: asking for any other,
    or for all of them, is :class:`_Elsewhere`."""

    def __missing__(self, key: Any) -> Any:
        raise _Elsewhere(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self:
            return dict.__getitem__(self, key)
        raise _Elsewhere(key)

    def _all(self, *args: Any) -> Any:
        raise _Elsewhere("every table")

    __iter__ = keys = values = items = _all  # type: ignore[assignment]


class _LocalContext(Context):
    """A rule's context in a process holding some of the tables: no upload, no reference data."""

    @property  # type: ignore[override]
    def upload(self) -> Upload:
        raise _Elsewhere("the upload")

    @upload.setter
    def upload(self, value: Upload) -> None:
        pass

    @property  # type: ignore[override]
    def reference(self) -> Any:
        raise _Elsewhere("the reference data")

    @reference.setter
    def reference(self, value: Any) -> None:
        pass


#: per rule code: the kind's failing rows (row, value, detail), and why it could not be checked
Checks = dict[str, tuple[list, str | None]]


class Here:
    """The tables one process has read so far, and the row rules run on them: each table is
    checked as soon as it is read (:meth:`check`), and at the end (:meth:`again`) the rules that
    wanted a table read later in the same process run too. The rules that need what no process
    holds alone (another process's table, the upload, the reference data) are left out of
    :attr:`done`: they run where the whole submission is."""

    def __init__(self, spec: Spec, header: Table) -> None:
        self.spec = spec
        self.tables = _Held({spec.header: header})
        self.ctx = _LocalContext(spec, Submission(spec=spec, tables=self.tables), Upload(), None)
        self.done: Checks = {}
        self.wanted: dict[str, str] = {}  # rule code -> the table it wanted

    def check(self, table: Table) -> Checks:
        """Hold *table* and run its row rules; what they found."""
        if table.id != self.spec.header:
            self.tables[table.id] = table
        return self._run(table, lambda code: True)

    def again(self) -> Checks:
        """Run the rules that wanted a table read after theirs; what they found."""
        found: Checks = {}
        for tid in self.spec.tables:
            if tid in self.tables:
                found.update(self._run(self.tables[tid], lambda code: self.wanted.get(code) in self.tables))
        return found

    def _run(self, table: Table, wanted: Callable[[str], bool]) -> Checks:
        spec, ctx = self.spec, self.ctx
        found: Checks = {}
        if table.nrows == 0:
            return found
        for rule in spec.rules.values():
            if rule.table != table.id or rule.code in self.done or not wanted(rule.code):
                continue
            kind = spec.kinds[rule.kind]
            if kind.phase is not Phase.ROW:
                continue
            try:
                fails = kind.evaluate(rule, table, ctx)
            except _Elsewhere as missing:
                ctx.not_checked.pop(rule.code, None)
                self.wanted[rule.code] = str(missing.args[0]) if missing.args else ""
                continue
            found[rule.code] = self.done[rule.code] = (fails, ctx.not_checked.get(rule.code))
        return found


@attrs.frozen
class RowChecks:
    """Row rules already run where their tables were read (:class:`Here`), under *spec*."""

    spec: Spec
    done: Checks = attrs.field(repr=lambda d: f"<{len(d)} rules>")

    def evaluate(self, kind: Kind, rule: RuleSpec, table: Table, ctx: Context) -> list:
        """The failing rows of *rule*: as found where its table was read, else evaluated now."""
        found = self.done.get(rule.code)
        if found is None:
            return kind.evaluate(rule, table, ctx)
        fails, not_checked = found
        if not_checked is not None:
            ctx.not_checked[rule.code] = not_checked
        return fails


@attrs.define(eq=False, slots=True)
class CheckedSubmission(Submission):
    """A submission read over processes, with the row rules already run on it (*row_checks*);
    :func:`iapt_ds.validate` takes those results instead of running the rules again."""

    row_checks: RowChecks | None = None


# ------------------------------------------------------------------------------ one table

#: a table's work: (table id, file)
_Task = tuple[str, str]
#: what one table's work gives: the table (None when its file could not be read), the problems
#: reading it found, its row rules' results
_Done = tuple[Table | None, list[InputProblem], Checks]


def _pack(table: Table) -> tuple:
    return (table.id, table.nrows, table.source_name, table.values, table.originals, table.lines,
            table.first_line, table.extra, table.source_columns, dict(table.source_types), table.version)


def _unpack(spec: Spec, state: tuple) -> Table:
    tid, nrows, source_name, values, originals, lines, first_line, extra, columns, types, version = state
    return Table(spec=spec.tables[tid], nrows=nrows, source_name=source_name, values=values, originals=originals,
                 lines=lines, first_line=first_line, extra=extra, source_columns=columns, source_types=types,
                 version=version)


def _do(spec: Spec, task: _Task, here: Here, shared: dict) -> _Done:
    """Read one table file and run its row rules (those that have all they need *here*)."""
    tid, path = task
    found: list[InputProblem] = []
    table = read_folder_table(Path(path), spec.tables[tid], found, shared, spec.version)
    if table is None:
        return None, found, {}
    return table, found, here.check(table)


def _header(spec: Spec, header_file: str | None, shared: dict, problems: list[InputProblem]) -> Table:
    """The header table, read from *header_file* (empty without one, as the reader leaves it)."""
    header = None
    if header_file is not None:
        header = read_folder_table(Path(header_file), spec.tables[spec.header], problems, shared, spec.version)
    if header is None:
        from .readers._submission import _empty

        header = _empty(spec, spec.header)
    return header


class _Claims:
    """The tables still to do, in a counter the processes share: each takes the next when it is
    free. Giving up on a counter that stays locked (its holder died holding it) ends the taking."""

    def __init__(self, counter: Any, tasks: list[_Task]) -> None:
        self.counter = counter
        self.tasks = tasks

    def __iter__(self) -> Iterator[_Task]:
        lock = self.counter.get_lock()
        while True:
            if not lock.acquire(timeout=10):
                return
            try:
                k = self.counter.value
                self.counter.value = k + 1
            finally:
                lock.release()
            if k >= len(self.tasks):
                return
            yield self.tasks[k]


def _worker(conn: Connection, spec_path: str, tasks: list[_Task], counter: Any, header_file: str | None) -> None:
    """A worker process: take tables until none is left, read and check each (pickling it as
    soon as it is done), then send them all back, or why it could not."""
    try:
        with paused():
            spec = load_spec(spec_path)
            shared: dict = {}
            here = Here(spec, _header(spec, header_file, shared, []))
            done = []
            for task in _Claims(counter, tasks):
                table, found, checks = _do(spec, task, here, shared)
                done.append((task[0], pickle.dumps((None if table is None else _pack(table), found, checks),
                                                   protocol=pickle.HIGHEST_PROTOCOL)))
            data = pickle.dumps(("ok", (done, here.again())), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # said to the parent, which reads what this one took
        data = pickle.dumps(("failed", f"{type(exc).__name__}: {exc}"))
    try:
        conn.send_bytes(data)
    finally:
        conn.close()


def _receive(conn: Connection) -> tuple[list[tuple[str, bytes]], Checks]:
    """The tables a worker sent (table id, pickled work) and its late rules' results; none
    when it failed or died."""
    try:
        status, payload = pickle.loads(conn.recv_bytes())
    except (EOFError, OSError):  # it died: its end of the pipe closed with it
        return [], {}
    return payload if status == "ok" else ([], {})


def _cost(spec: Spec, tid: str, path: Path) -> float:
    """What reading *path* and running *tid*'s row rules on it should cost, roughly: its bytes,
    and its rows (estimated from the lines of its first 64 KiB) times its row rules."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            sample = fh.read(1 << 16)
    except OSError:
        return 0.0
    rows = size * sample.count(b"\n") / len(sample) if sample else 0.0
    rules = sum(1 for r in spec.rules.values() if r.table == tid and spec.kinds[r.kind].phase is Phase.ROW)
    return size * _READ_PER_BYTE + rows * rules * _CHECK_PER_ROW_RULE


# ------------------------------------------------------------------------------ the folder

@gc_paused
def read_folder_jobs(folder: str | PathLike, *, jobs: int, spec: Spec | None = None, version: str | None = None,
                     period: str | None = None, progress: Callable[[str, int, int], None] | None = None
                     ) -> Submission:
    """Read a CSV folder over *jobs* processes, running the row rules where each table is read
    (see the module docstring); the same submission :func:`~iapt_ds.readers.read_csv_folder`
    reads, as a :class:`CheckedSubmission`. *progress* is called as files are read, with (file
    name, files read, files), and with ("", files, files) at the end."""
    jobs = jobs_arg(jobs)
    plan = plan_csv_folder(folder, spec=spec, version=version, period=period)
    chosen = plan.spec
    header_file = next((str(path) for tid, path in plan.files if tid == chosen.header), None)
    costs = {tid: _cost(chosen, tid, path) for tid, path in plan.files if tid != chosen.header}
    if jobs == 1 or sum(1 for c in costs.values() if c) < 2 or not _reloadable(chosen) or \
            sum(_size(path) for _, path in plan.files) < MIN_BYTES:
        return read_csv_folder(folder, spec=spec, version=version, period=period, progress=progress)
    # the dearest first, so that what is left at the end is small whoever takes it
    tasks: list[_Task] = [(tid, str(path)) for tid, path in sorted(
        ((tid, path) for tid, path in plan.files if tid != chosen.header), key=lambda f: -costs[f[0]])]
    names = {tid: Path(path).name for tid, path in tasks}
    total, count = len(plan.files), 0

    def advance(name: str) -> None:
        nonlocal count
        if progress:
            progress(name, count, total)
        count += 1

    import multiprocessing  # here: importing iapt_ds stays as quick as it was

    context = multiprocessing.get_context("spawn")
    counter = context.Value("i", 0)
    workers: list[tuple[Any, Connection]] = []
    done: dict[str, _Done] = {}
    shared: dict = {}
    finished = False
    try:
        for _ in range(min(jobs - 1, len(tasks) - 1)):
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(sending, chosen.path, tasks, counter, header_file),
                                      name="iapt-ds-jobs", daemon=True)
            try:
                process.start()
            except (OSError, AssertionError):  # none can start here (a daemonic process, no resources): read here
                receiving.close()
                break
            finally:
                sending.close()
            workers.append((process, receiving))
        found: list[InputProblem] = []
        if header_file is not None:
            advance(Path(header_file).name)
        header = _header(chosen, header_file, shared, found)
        here = Here(chosen, header)
        done[chosen.header] = (header if header.present else None, found, here.check(header))
        for task in _Claims(counter, tasks):
            advance(names[task[0]])
            done[task[0]] = _do(chosen, task, here, shared)
        late = [here.again()]
        for process, receiving in workers:
            sent, results = _receive(receiving)
            late.append(results)
            for tid, data in sent:
                state, found, results = pickle.loads(data)
                done[tid] = (None if state is None else _unpack(chosen, state), found, results)
                advance(names[tid])
        for task in tasks:  # what a worker took but never sent (it failed): read here, as with one process
            if task[0] not in done:
                done[task[0]] = _do(chosen, task, here, shared)
        finished = True
    finally:
        for process, receiving in workers:  # each has sent all it will; on an error here, stopped at once
            receiving.close()
            if finished:
                process.join(5)
            if process.is_alive():
                process.terminate()
            process.join()
    if progress:
        progress("", total, total)
    problems = list(plan.problems)
    tables: dict[str, Table] = {}
    checks: Checks = {}
    for tid, _ in plan.files:  # the files' order, as one process reads them
        table, found, results = done[tid]
        problems.extend(found)
        if table is not None:
            tables[tid] = table
        checks.update(results)
    for results in late:
        checks.update(results)
    sub = finish_submission(chosen, tables, problems, str(plan.folder), plan.unknown, plan.choice)
    return CheckedSubmission(spec=sub.spec, tables=sub.tables, source=sub.source, problems=sub.problems,
                             unknown_tables=sub.unknown_tables, version=sub.version,
                             row_checks=RowChecks(chosen, checks))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _reloadable(spec: Spec) -> bool:
    """Whether a worker loading *spec*'s folder gets this very spec (not one built by hand)."""
    try:
        return bool(spec.path) and load_spec(spec.path) is spec
    except Exception:  # a spec whose folder is gone or changed: read here
        return False


def read_jobs(source: Any, *, jobs: int, spec: Spec | None = None, version: str | None = None,
              period: str | None = None, progress: Callable[[str, int, int], None] | None = None,
              files_progress: Callable[[str, int, int], None] | None = None) -> Submission:
    """:func:`iapt_ds.readers.read` over *jobs* processes where that pays: a CSV folder
    (:func:`read_folder_jobs`); anything else is read in this process."""
    jobs = jobs_arg(jobs)
    if jobs > 1 and isinstance(source, (str, PathLike)) and not isinstance(fspath(source), bytes):
        text = fspath(source)
        try:
            folder = bool(text.strip()) and Path(text).is_dir()
        except (OSError, ValueError):
            folder = False
        if folder:
            return read_folder_jobs(text, jobs=jobs, spec=spec, version=version, period=period,
                                    progress=files_progress)
    return read(source, spec=spec, version=version, period=period, progress=progress,
                files_progress=files_progress)

