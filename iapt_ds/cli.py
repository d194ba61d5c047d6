"""The ``iapt-ds`` command (also ``python -m iapt_ds``).

::

    iapt-ds validate PATH [--period YYYY-MM] [--provider ODS] [--sender ODS] [--submitted-at WHEN]
                          [--format text|json|csv|html|xlsx] [--output FILE] [--redact] [--fail-on SEVERITY]
                          [--dataset-version 2.0|2.1] [--measures | --no-measures]
    iapt-ds validate --example ...       the bundled example instead of PATH
    iapt-ds rules [--table T] [--severity S] [--dataset-version V]
    iapt-ds explain CODE [--dataset-version V]
    iapt-ds calendar [YYYY-MM] [--dataset-version V]
    iapt-ds diff OLD NEW [--format text|json|html|xlsx]   what changed: findings fixed, new and remaining
    iapt-ds measures PATH|--example [--format text|json|csv|xlsx] [--output FILE] [--no-cost]
                          [--dataset-version 2.0|2.1] ...

``validate`` runs the rules of the version the header's DatSetVer names (as SDCS does) unless
``--dataset-version`` says which; ``rules`` and ``explain`` show v2.0 unless told (``explain`` of a
code only v2.1 has shows v2.1's), ``calendar`` the version covering the period.

Exit status: 0 when the file is accepted (and nothing reaches ``--fail-on``), 1 when it is
rejected (or something reaches ``--fail-on``), 2 for a usage or input error, which is told in one
line on standard error, never as a traceback.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import difflib
import sys
import textwrap
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import __version__, example_path
from ._status import Status, colour_enabled, paint
from . import version_choice as _versions
from .calendar import PeriodInfo, dataset_periods, parse_period, period_info, spec_for_period
from .errors import IaptDsError
from .report import BINARY_FORMATS, FORMATS
from .report._output import (choose_format, exit_on_signals, flush_stdout, output_file,
                             refuse_input_files, to_stdout)
from .report.explain import (SEVERITY_WORDS, advice, checks, consequence, dependents, example_words,
                             failing_message)
from .spec import SEVERITIES, RuleSpec, Spec, Window, load_spec

if TYPE_CHECKING:  # pragma: no cover
    from .model import Submission
    from .result import Result

#: the forms of `iapt-ds measures` (iapt_ds.measures.report.FORMATS, named here to keep start-up light)
MEASURE_FORMATS = ("text", "json", "csv", "xlsx")

__all__ = ["main", "build_parser"]

_IDB_SUFFIXES = (".accdb", ".mdb")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on standard error, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _Fail(Exception):
    """A user error found by the CLI itself: its message is the one line shown."""


# ------------------------------------------------------------------------------------ arguments

def _period(text: str) -> str:
    try:
        y, m = parse_period(text)
    except IaptDsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return f"{y:04d}-{m:02d}"


def _when(text: str) -> _dt.datetime:
    try:
        return _dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"give an ISO date-time like 2021-04-05T12:00:00, not {text!r}") from None


def _jobs(text: str) -> int:
    try:
        n = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a whole number of processes, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"give 1 or more processes, not {n}")
    return n


def _jobs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                   help="read a CSV folder's tables and run their row rules over N processes (python engine); "
                        "the same result, sooner on a large folder (a small one, an IDB or a .zip is read in one)")


def _dataset_version(p: argparse.ArgumentParser, what: str) -> None:
    versions = _versions.known_versions()
    p.add_argument("--dataset-version", choices=versions, metavar="VERSION",
                   help=f"the IAPT version ({', '.join(versions)}) {what}")


def _spec(args: argparse.Namespace) -> Spec:
    """The spec --dataset-version names; the newest version when it is not given."""
    version = getattr(args, "dataset_version", None)
    return _versions.specs_by_version()[version] if version else load_spec()


def build_parser() -> argparse.ArgumentParser:
    """The ``iapt-ds`` argument parser."""
    p = _Parser(prog="iapt-ds", description="Validate NHS IAPT submissions (v2.0 and v2.1) as SDCS Cloud does, "
                "before you submit, and explain what it finds.")
    p.add_argument("--version", action="version", version=f"iapt-ds {__version__}")
    p.add_argument("--debug", action="store_true", help="on an error, show the traceback too")
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="on an error, show the traceback too")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    v = sub.add_parser("validate", parents=[common], help="validate a submission and report what SDCS would do with it",
                       description="Validate a submission (a folder of <TableName>.csv files, or an Access "
                       "IDB) and report what SDCS would do with it. Exit status: "
                       "0 accepted, 1 rejected (or a finding at or above --fail-on), 2 usage or input error.")
    v.add_argument("path", nargs="*", metavar="PATH",
                   help="the submission: a CSV folder, an .accdb/.mdb file or a .zip; several, or a folder of "
                   "submissions, give one summary table and (with --output DIR) a report for each")
    v.add_argument("--example", action="store_true", help="validate the bundled example submission instead of PATH")
    v.add_argument("--period", type=_period, metavar="YYYY-MM",
                   help="the reporting period chosen for the upload (checks IDS00016/IDS00019)")
    v.add_argument("--provider", metavar="ODS", help="the provider organisation chosen for the upload (IDS00030)")
    v.add_argument("--sender", metavar="ODS", help="the organisation sending the upload (IDS00033)")
    v.add_argument("--submitted-at", type=_when, metavar="ISO-DATETIME",
                   help="when the file is submitted (default: now)")
    v.add_argument("--format", choices=list(FORMATS),
                   help="report format (default: from the --output suffix, else text)")
    v.add_argument("--engine", choices=("python", "duckdb", "spark"), default="python",
                   help="python (the default and the reference); duckdb: the row rules as SQL in embedded "
                        "DuckDB, the same findings (pip install 'iapt-ds[duckdb]'); spark: the same SQL on "
                        "Spark, the active session or a local one (pip install 'iapt-ds[spark]')")
    _jobs_option(v)
    v.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")
    v.add_argument("--redact", action="store_true",
                   help="mask NHS numbers, local patient identifiers, postcodes and birth dates")
    v.add_argument("--reference-data", metavar="DIR|FILE.json",
                   help="national reference data to check codes against: a folder of the files NHS ODS and ONS "
                        "publish (epraccur.csv, etr.csv, ets.csv, eccg.csv, succ.csv … and an ONS Postcode Directory CSV), "
                        'or a JSON object with any of "organisations", "gp_practices", "sites", "postcodes" '
                        "(lists of codes); without it those warnings are reported as not checked")
    v.add_argument("-q", "--quiet", action="store_true",
                   help="say nothing on standard error but errors (no progress, no summary line, no warnings)")
    v.add_argument("-v", "--verbose", action="store_true",
                   help="on standard error, each table read and the time of each stage (read, validate, report)")
    v.add_argument("--fail-on", choices=SEVERITIES, default="file",
                   help="exit 1 when a finding of this severity or a more serious one exists (default: file, "
                   "i.e. only when the whole file is rejected)")
    v.add_argument("--baseline", metavar="OLD.json",
                   help="a JSON report of an earlier run: also say which findings are fixed, new and remaining")
    _dataset_version(v, "whose rules to run, whatever the header's DatSetVer says (default: the version "
                     "DatSetVer names, as SDCS chooses it)")
    v.add_argument("--measures", action=argparse.BooleanOptionalAction, default=None,
                   help="show the headline measures preview and what each root cause costs them, beside "
                   "'fix these first' (default: in the html report only; text and xlsx when asked)")
    v.set_defaults(run=_run_validate)

    d = sub.add_parser("diff", parents=[common], help="what changed between two runs: findings fixed, new and remaining",
                       description="Compare two validations (two JSON reports made with --format json, or two "
                       "submissions): findings fixed, new and remaining, by code and by root cause, matched by "
                       "code and row key (not row number).")
    d.add_argument("old", metavar="OLD", help="the earlier run: a JSON report, a CSV folder or an IDB")
    d.add_argument("new", metavar="NEW", help="the later run: a JSON report, a CSV folder or an IDB")
    d.add_argument("--format", choices=["text", "json", "html", "xlsx"], default=None,
                   help="text (default), json, html or xlsx (default: from the --output suffix)")
    d.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    d.add_argument("--period", type=_period, metavar="YYYY-MM", help="for a submission: the upload's period")
    d.add_argument("--provider", metavar="ODS", help="for a submission: the upload's provider")
    d.add_argument("--sender", metavar="ODS", help="for a submission: the upload's sender")
    d.add_argument("--submitted-at", type=_when, metavar="ISO-DATETIME", help="for a submission: when submitted")
    _jobs_option(d)
    d.set_defaults(run=_run_diff)


    r = sub.add_parser("rules", parents=[common], help="list the rules", description="List the IAPT rules of one version, with what each checks.")
    r.add_argument("--table", metavar="T", help="only the rules of this table (IDS002 or IDS002GP)")
    r.add_argument("--severity", choices=SEVERITIES, help="only the rules of this severity")
    _dataset_version(r, "whose rules to list (default: 2.0)")
    r.set_defaults(run=_run_rules)

    e = sub.add_parser("explain", parents=[common], help="explain one rule code",
                       description="Explain one rule: what it checks, what its severity does, an example that "
                       "fails and one that passes, and what to do.")
    e.add_argument("code", metavar="CODE", help="a rule code, e.g. IDS00211 or IDSREJ006, or a measure, e.g. recovery")
    _dataset_version(e, "whose rule to explain (default: 2.0; a code only another version has is explained "
                     "from it)")
    e.set_defaults(run=_run_explain)

    c = sub.add_parser("calendar", parents=[common], help="the dates, Unique_MonthID and submission windows of a period",
                       description="Show a reporting period's dates, its Unique_MonthID and the SDCS windows for "
                       "its two submissions (Primary/Refresh; Provisional/Performance from August 2023); with "
                       "no period, the whole calendar of a version.")
    c.add_argument("period", nargs="?", type=_period, metavar="YYYY-MM", help="a reporting period")
    _dataset_version(c, "whose calendar to show (default: the version that covers the period, else the newest)")
    c.set_defaults(run=_run_calendar)

    m = sub.add_parser("measures", help="preview the headline measures and what the findings cost them",
                       description="Validate a submission, then preview the headline NHS Talking Therapies "
                       "measures on the rows SDCS would accept (finished treatment, recovery, reliable "
                       "improvement, 6- and 18-week waits), why each referral drops out of each, and what "
                       "each rule code's findings cost. A preview: NHS England publishes the real figures "
                       "from its post-deadline extract. 'iapt-ds explain recovery' tells one measure.")
    m.add_argument("path", nargs="?", metavar="PATH", help="the submission: a CSV folder or an .accdb/.mdb file")
    m.add_argument("--example", action="store_true", help="the bundled example submission instead of PATH")
    m.add_argument("--period", type=_period, metavar="YYYY-MM",
                   help="the reporting period chosen for the upload (default: the header's)")
    m.add_argument("--provider", metavar="ODS", help="the provider organisation chosen for the upload")
    m.add_argument("--sender", metavar="ODS", help="the organisation sending the upload")
    m.add_argument("--submitted-at", type=_when, metavar="ISO-DATETIME", help="when the file is submitted (default: now)")
    m.add_argument("--reference-data", metavar="FILE.json", help="national reference data, as for validate")
    _jobs_option(m)
    m.add_argument("--format", choices=list(MEASURE_FORMATS), help="default: from the --output suffix, else text")
    m.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    m.add_argument("--redact", action="store_true", help="mask local patient identifiers and personal values")
    m.add_argument("--no-cost", action="store_true", help="skip what the findings cost (faster)")
    _dataset_version(m, "whose rules and measures to run, whatever the header's DatSetVer says (default: the "
                     "version DatSetVer names, as SDCS chooses it; with --example, that version's example)")
    m.set_defaults(run=_run_measures)
    return p


# ------------------------------------------------------------------------------------ output

def _to_file(path: Path, write: Callable[[Any], object], fmt: str) -> None:
    """Run *write* on a new file at *path*, replacing it only once the report is complete."""
    with output_file(path, binary=fmt in BINARY_FORMATS, encoding="utf-8-sig" if fmt == "csv" else "utf-8",
                     newline="" if fmt == "csv" else None) as fh:
        write(fh)


def _to_stdout(write: Callable[[TextIO], object], *, utf8: bool = False) -> None:
    """Run *write* on standard output (see :func:`iapt_ds.report._output.to_stdout`)."""
    to_stdout(write, utf8=utf8)


class _Progress:
    """Reading progress on standard error: one updating line on a terminal, one line per table
    otherwise."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = err.isatty()
        self.last = 0.0
        self.finished: set[str] = set()

    def __call__(self, table: str, done: int, total: int) -> None:
        if done >= total:
            if table in self.finished:
                return
            self.finished.add(table)
        if self.tty:
            now = time.monotonic()
            if done < total and now - self.last < 0.1:
                return
            self.last = now
            self.err.write(f"\rreading {table}: {done}/{total} rows\x1b[K" if done < total else "\r\x1b[K")
        elif done >= total:
            self.err.write(f"read {table}: {total} row{'' if total == 1 else 's'}\n")
        self.err.flush()


def _source(path: Path, version: str | None = None, period: str | None = None) -> Path | Submission:
    """What to validate: an Access IDB is read here, with progress (its version chosen as
    :func:`iapt_ds.validate` would); anything else goes to :func:`iapt_ds.validate` as it is."""
    if path.suffix.lower() in _IDB_SUFFIXES and path.is_file():
        from .readers.idb import read_idb

        return read_idb(path, version=version, period=period, progress=_Progress(sys.stderr))
    return path


def _read(path: Path, status: Status, version: str | None = None, period: str | None = None,
          reader: Callable[..., Submission] | None = None) -> Submission:
    """Read the submission at *path*, with progress (*reader*: an engine's, else the usual one)."""
    from .readers import read

    with status.stage("read", f"reading {path.name}"):
        return (reader or read)(path, version=version, period=period, progress=status.rows,
                                files_progress=status.files)


# ------------------------------------------------------------------------------------ validate

def _exit_status(result: Result, fail_on: str) -> int:
    """1 when the file is rejected or a finding reaches *fail_on*, else 0."""
    from .report._view import ordinal_rank

    if not result.accepted:
        return 1
    limit = ordinal_rank(fail_on)
    return int(any(n and ordinal_rank(sev) <= limit for sev, n in result.counts_by_severity().items()))


def _coloured_text(result: Result, write: Callable[[TextIO], None]) -> str:
    """The text report with its verdict in colour (green accepted, amber accepted with rejected
    rows, red rejected), for a terminal."""
    import io

    buf = io.StringIO()
    write(buf)
    text = buf.getvalue()
    first, sep, rest = text.partition("\n")
    word, colon, tail = first.partition(":")
    rejected_rows = sum(t.rejected for t in result.tables.values())
    tone = "red" if not result.accepted else "amber" if rejected_rows else "green"
    return paint(word, tone, True) + colon + tail + sep + rest


def _baseline(args: argparse.Namespace, result: Result, fmt: str, status: Status) -> None:
    """What changed since the baseline: after a text report on standard output, else on
    standard error (not with --quiet)."""
    import io

    from .diff import compare, write_diff

    buf = io.StringIO()
    write_diff(compare(Path(args.baseline), result), buf)
    if fmt == "text" and not (args.output and args.output != "-"):
        _to_stdout(lambda out: out.write("\n" + buf.getvalue()))
    else:
        status.say(buf.getvalue().rstrip("\n"))


def _run_diff(args: argparse.Namespace) -> int:
    from .diff import compare, write_diff

    fmt = choose_format(args.output, args.format, ("text", "json", "html", "xlsx"),
                        "the diff is written as {formats}, not {fmt}")
    upload = {"period": args.period, "provider": args.provider, "sender": args.sender,
              "submitted_at": args.submitted_at}
    if args.jobs != 1:
        upload["jobs"] = args.jobs
    diff = compare(args.old, args.new, **upload)

    def write(out: TextIO) -> None:
        write_diff(diff, out, fmt)

    if args.output and args.output != "-":
        _to_file(Path(args.output), write, fmt)
    elif fmt in BINARY_FORMATS:
        if sys.stdout.isatty():
            raise _Fail(f"the {fmt} diff is a binary file: give --output FILE.{fmt}")
        write(sys.stdout.buffer)  # type: ignore[arg-type]
        sys.stdout.buffer.flush()
    else:
        _to_stdout(write, utf8=fmt != "text")
    return 0


def _warn_checked(result: Result) -> None:
    """What a person should hear before trusting the result (a submitted-at in no SDCS window …),
    on standard error; the text report says it in its own header."""
    if result.checked is not None:
        for warning in result.checked.warnings():
            sys.stderr.write(f"iapt-ds validate: warning: {warning}\n")


def _is_table_file(name: str) -> bool:
    """Whether a file of this name in a CSV folder would be read as one of its tables."""
    if not name.lower().endswith(".csv"):
        return False
    try:
        load_spec().table(name[:-4])
    except KeyError:
        return False
    return True


def _reference(given: str | None) -> Any:
    """The reference data of --reference-data: a folder of ODS/ONS files, or a JSON file."""
    if not given:
        return None
    if Path(given).is_dir():
        from .reference import load_reference_folder

        return load_reference_folder(given)
    from .checks.context import ReferenceSets

    return ReferenceSets.from_json(given)


def _is_submission(path: Path) -> bool:
    """Whether *path* is one submission: an IDB, a .zip, or a folder holding a table file."""
    from .spec import load_spec

    if path.is_file():
        return path.suffix.lower() in (*_IDB_SUFFIXES, ".zip")
    if not path.is_dir():
        return False
    names = {t.name.lower() for t in load_spec().tables.values()}
    try:
        return any(p.suffix.lower() == ".csv" and p.stem.lower() in names for p in path.iterdir())
    except OSError:
        return False


def _submissions(paths: list[Path]) -> list[Path]:
    """The submissions to validate: each path as given, except a folder that is no submission
    itself but holds two or more (a folder of monthly extracts), which stands for those."""
    out: list[Path] = []
    for path in paths:
        try:
            folder = path.is_dir() and not _is_submission(path)
        except (OSError, ValueError):   # a name too long, a NUL byte …: the reader says so
            folder = False
        if folder:
            try:
                inner = sorted(p for p in path.iterdir() if not p.name.startswith(".") and _is_submission(p))
            except OSError:
                inner = []
            if len(inner) >= 2:
                out.extend(inner)
                continue
        out.append(path)
    return out


def _jobs_reader(args: argparse.Namespace) -> Callable[..., Submission] | None:
    """With --jobs N (N > 1), the reader that reads a CSV folder and runs its row rules over N
    processes (:mod:`iapt_ds.parallel`); else None."""
    if args.jobs == 1:
        return None
    engine = getattr(args, "engine", "python")
    if engine != "python":
        raise _Fail(f"--jobs runs the python engine over processes; give --jobs 1 with --engine {engine}")
    import functools

    from .parallel import read_jobs

    return functools.partial(read_jobs, jobs=args.jobs)


def _run_many(args: argparse.Namespace, paths: list[Path]) -> int:
    """Validate each of *paths*: one summary table on standard output, a report for each in the
    --output folder; the exit status is the worst of them (2 when one could not be read)."""
    from .pipeline import validate
    from .report import write_report

    fmt = args.format or ("text" if not args.output else "html")
    folder = Path(args.output) if args.output and args.output != "-" else None
    if folder is not None:
        if folder.exists() and not folder.is_dir():
            raise _Fail(f"with several submissions, --output names a folder for their reports; {folder} is a file")
        folder.mkdir(parents=True, exist_ok=True)
    elif fmt != "text":
        raise _Fail(f"with several submissions, give --output DIR for their {fmt} reports")
    if args.baseline:
        raise _Fail("--baseline compares one submission with one earlier run; give one submission")
    reference = _reference(args.reference_data)
    status = Status(sys.stderr, quiet=args.quiet, verbose=args.verbose)
    rows: list[tuple[str, str, list[str], str]] = []
    worst = 0
    used: set[str] = set()
    for k, path in enumerate(paths, 1):
        status.show(f"[{k}/{len(paths)}] {path.name}", force=True)
        try:
            submission = _read(path, status, args.dataset_version, args.period, _jobs_reader(args))
            with status.stage("validate", f"[{k}/{len(paths)}] validating {path.name}"):
                result = validate(submission, period=args.period, provider=args.provider, sender=args.sender,
                                  submitted_at=args.submitted_at, reference_data=reference,
                                  version=args.dataset_version)
        except IaptDsError as exc:
            status.clear()
            rows.append((str(path), "error", [], " ".join(str(exc).split())))
            worst = 2
            continue
        written = ""
        if folder is not None:
            stem = path.stem if path.is_file() else path.name
            name = stem
            n = 2
            while name in used:
                name, n = f"{stem}-{n}", n + 1
            used.add(name)
            target = folder / f"{name}.{'txt' if fmt == 'text' else fmt}"
            preview = _measures_for(args, fmt, submission, result, status)

            def report(out: TextIO, r: Result = result, p: Any = preview) -> None:
                write_report(r, out, fmt, redact=args.redact, measures=p)

            _to_file(target, report, fmt)
            written = str(target)
        sev = result.counts_by_severity()
        counts = [str(sev[s]) for s in SEVERITIES] + [str(sum(t.rejected for t in result.tables.values()))]
        rows.append((str(path), str(result.outcome), counts, written))
        worst = max(worst, _exit_status(result, args.fail_on))
    status.clear()

    def write(out: TextIO) -> None:
        head = ["submission", "outcome", *SEVERITIES, "rows rejected", "report" if folder else ""]
        width = max(len(head[0]), *(len(r[0]) for r in rows))
        out.write(f"{head[0]:<{width}}  {'outcome':<9}" + "".join(f" {h:>8}" for h in SEVERITIES)
                  + f" {'rows rejected':>13}  {head[-1]}".rstrip() + "\n")
        for name, outcome, counts, extra in rows:
            if outcome == "error":
                out.write(f"{name:<{width}}  {'error':<9} {extra}\n")
                continue
            shown = paint(f"{outcome:<9}", "green" if outcome == "accepted" else "red", colour)
            out.write(f"{name:<{width}}  {shown}" + "".join(f" {c:>8}" for c in counts[:4])
                      + f" {counts[4]:>13}  {extra}".rstrip() + "\n")
        accepted = sum(r[1] == "accepted" for r in rows)
        out.write(f"\n{len(rows)} submissions: {accepted} accepted, {sum(r[1] == 'rejected' for r in rows)} "
                  f"rejected, {sum(r[1] == 'error' for r in rows)} could not be read.\n")

    colour = colour_enabled(sys.stdout)
    _to_stdout(write)
    status.total()
    return worst


def _measures_for(args: argparse.Namespace, fmt: str, submission: Submission, result: Result,
                  status: Status) -> Any:
    """The measures preview the report shows (html by default; text and xlsx with --measures;
    none with --no-measures), or None. Measures that cannot be computed (no reporting period to
    measure in) leave the report without them, with a warning: the validation stands."""
    from .report import MEASURE_FORMATS

    wanted = args.measures if args.measures is not None else fmt == "html"
    if not wanted:
        return None
    if fmt not in MEASURE_FORMATS:
        raise _Fail(f"--measures is shown in the {', '.join(sorted(MEASURE_FORMATS))} reports, not {fmt}: "
                    "'iapt-ds measures --format json|csv' writes the measures themselves")
    from .measures import compute

    try:
        with status.stage("measures", "computing the headline measures and what the findings cost"):
            return compute(submission, result, period=result.period, redact=args.redact)
    except IaptDsError as exc:
        if not args.quiet:
            sys.stderr.write(f"iapt-ds validate: warning: the report has no measures: {' '.join(str(exc).split())}\n")
        return None


def _run_validate(args: argparse.Namespace) -> int:
    from .pipeline import validate
    from .report import write_report

    if args.example and args.path:
        raise _Fail("give either PATH or --example, not both")
    if not args.example and not args.path:
        raise _Fail("give the submission to validate (a CSV folder or an IDB file), or --example")
    # --example follows --dataset-version: the v2.1 rules run on the v2.1 example
    paths = ([example_path(args.dataset_version or "2.0")] if args.example
             else _submissions([Path(p) for p in args.path]))
    if len(paths) > 1:
        return _run_many(args, paths)
    fmt = choose_format(args.output, args.format, FORMATS)
    path = paths[0]
    if args.output and args.output != "-":
        refuse_input_files(args.output, path, _is_table_file)
    reference = _reference(args.reference_data)
    status = Status(sys.stderr, quiet=args.quiet, verbose=args.verbose)
    jobs_reader = _jobs_reader(args)
    engine: Any = args.engine
    if engine == "duckdb":  # it reads a CSV folder itself
        from .engines.duckdb import DuckDBEngine

        engine = DuckDBEngine()
    submission = _read(path, status, args.dataset_version, args.period, jobs_reader or getattr(engine, "read", None))
    rows = sum(t.nrows for t in submission.tables.values())
    with status.stage("validate", f"validating {rows:,} rows"):
        result = validate(submission, period=args.period, provider=args.provider, sender=args.sender,
                          submitted_at=args.submitted_at, reference_data=reference, version=args.dataset_version,
                          engine=engine)

    preview = _measures_for(args, fmt, submission, result, status)

    def write(out: TextIO) -> None:
        with status.stage("report", f"writing the {fmt} report ({len(result.findings):,} findings)"):
            write_report(result, out, fmt, redact=args.redact, measures=preview)

    if not args.quiet and (fmt != "text" or (args.output and args.output != "-")):
        _warn_checked(result)

    if args.output and args.output != "-":
        _to_file(Path(args.output), write, fmt)
        sev = result.counts_by_severity()
        outcome = paint(str(result.outcome), "green" if result.accepted else "red", status.colour)
        status.say(f"{outcome}: {', '.join(f'{n} {s}' for s, n in sev.items())} findings; "
                   f"{fmt} report written to {args.output}")
    elif fmt in BINARY_FORMATS:
        if sys.stdout.isatty():
            raise _Fail(f"the {fmt} report is a binary file: give --output FILE.{fmt}")
        write(sys.stdout.buffer)  # type: ignore[arg-type]
        sys.stdout.buffer.flush()
    elif fmt == "text" and colour_enabled(sys.stdout):
        _to_stdout(lambda out: out.write(_coloured_text(result, write)))
    else:
        _to_stdout(write, utf8=fmt != "text")
    if args.baseline:
        _baseline(args, result, fmt, status)
    status.total()
    return _exit_status(result, args.fail_on)


# ------------------------------------------------------------------------------------ measures

def _run_measures(args: argparse.Namespace) -> int:
    from .checks.context import ReferenceSets
    from .measures import compute
    from .measures.report import FORMATS as WRITERS
    from .model import Submission
    from .pipeline import validate
    from .readers import read

    if args.example and args.path:
        raise _Fail("give either PATH or --example, not both")
    if not args.example and not args.path:
        raise _Fail("give the submission to measure (a CSV folder or an IDB file), or --example")
    fmt = choose_format(args.output, args.format, MEASURE_FORMATS, "measures are written as {formats}, not {fmt}")
    path = (example_path(getattr(args, "dataset_version", None) or "2.0") if args.example
            else Path(args.path))
    if args.output and args.output != "-":
        refuse_input_files(args.output, path, _is_table_file)
    reference = ReferenceSets.from_json(args.reference_data) if args.reference_data else None
    version = args.dataset_version
    source = _source(path, version, args.period)
    reader = _jobs_reader(args) or read
    sub = source if isinstance(source, Submission) else reader(source, version=version, period=args.period)
    result = validate(sub, period=args.period, provider=args.provider, sender=args.sender,
                      submitted_at=args.submitted_at, reference_data=reference, version=version)
    preview = compute(sub, result, period=args.period, cost=not args.no_cost, redact=args.redact)

    def write(out: TextIO) -> None:
        WRITERS[fmt](preview, out)

    if args.output and args.output != "-":
        with output_file(args.output, binary=fmt in BINARY_FORMATS,
                         encoding="utf-8-sig" if fmt == "csv" else "utf-8",
                         newline="" if fmt == "csv" else None) as fh:
            write(fh)
        t = preview.totals
        sys.stderr.write(f"preview: {t['finished']} finished, {t['recovered']} recovered; "
                         f"{fmt} written to {args.output}\n")
    elif fmt in BINARY_FORMATS:
        if sys.stdout is not None and sys.stdout.isatty():
            raise _Fail(f"the {fmt} preview is a binary file: give --output FILE.{fmt}")
        to_stdout(write, binary=True)
    else:
        _to_stdout(write, utf8=fmt != "text")
    return 0


def _explain_measure(name: str) -> int:
    from .measures import load_definitions

    d = load_definitions()
    tool = next((m for m in d.measures.values() if m.name.lower().replace("-", "_").replace(" ", "_") == name), None)
    if tool is not None:
        lines = [f"{tool.name}: a scored measure (CodedAssToolType {tool.tool}) used by the headline measures",
                 f"  caseness:        a score {tool.caseness.words()} ({tool.status})",
                 f"  reliable change: a change of {tool.reliable_change.words()} ({tool.status}; reading the "
                 f"comparison so is {tool.comparison_status})"]
        uses = [c for c, m in d.descriptor_codes.items() if m == tool.name]
        if tool.name == d.depression:
            lines.append("  used for:        every referral (depression)")
        elif tool.name == d.fallback:
            lines.append("  used for:        any problem descriptor without a measure of its own, and as the fallback")
        elif uses:
            lines.append(f"  used for:        problem descriptors (ICD-10) {', '.join(uses)}")
        if tool.note:
            lines.append(_wrapped(f"note: {tool.note}", "  ", "        "))
        _to_stdout(lambda out: out.write("\n".join(lines) + "\n"))
        return 0
    e = d.explanations[name]
    status = {"confirmed": "confirmed: an official NHS Digital / NHS England document says so",
              "inferred": "inferred: follows from the published definition; the mechanism is iapt-ds's reading",
              "guess": "guess: not published; iapt-ds's choice"}[e.status]
    lines = [f"{e.name}: {e.title} (a headline measure, previewed by 'iapt-ds measures')",
             f"  status: {status}", _wrapped(f"source: {e.source}", "  ", "          "), "",
             "Definition", _wrapped(e.definition, "  ", "  "), ""]
    if name in ("caseness", "not_at_caseness", "recovery", "reliable_improvement", "reliable_deterioration",
                "no_reliable_change", "reliable_recovery", "recovery_rate", "reliable_improvement_rate",
                "reliable_recovery_rate"):
        lines.append("Thresholds (caseness; reliable change)")
        lines += [f"  {m.name:<20} {m.caseness.words():<18} {m.reliable_change.words()}" for m in d.measures.values()]
        lines.append("")
    lines += [
             _wrapped("Every threshold and code is data in the spec's measures.yaml, with how sure each detail is.",
                      "", "")]
    _to_stdout(lambda out: out.write("\n".join(lines) + "\n"))
    return 0


# ------------------------------------------------------------------------------------ rules, explain

def _table_id(spec: Spec, ref: str) -> str:
    try:
        return spec.table(ref.strip()).id
    except KeyError:
        raise _Fail(f"no table {ref!r}; the tables are {', '.join(spec.tables)}") from None


def _wrapped(text: str, first: str, indent: str) -> str:
    return "\n".join(textwrap.wrap(text, 100, initial_indent=first, subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False))


def _run_rules(args: argparse.Namespace) -> int:
    spec = _spec(args)
    table = _table_id(spec, args.table) if args.table else None
    chosen = [r for r in spec.rules.values()
              if (table is None or r.table == table) and (args.severity is None or r.severity == args.severity)]

    def write(out: TextIO) -> None:
        for r in chosen:
            first = f"{r.code:<10} {r.severity:<8} {r.table or 'file':<7} "
            tag = " [inferred]" if r.status == "inferred" else ""
            out.write(_wrapped(checks(r, spec) + tag, first, " " * len(first)) + "\n")
        out.write(f"\n{len(chosen)} rules. These are IAPT v{spec.version}'s (--dataset-version chooses the "
                  "version); 'iapt-ds explain CODE' tells one in full.\n")

    _to_stdout(write)
    return 0


def _rule(spec: Spec, code: str, specs: dict[str, Spec] | None = None) -> RuleSpec:
    wanted = code.strip().upper()
    if wanted in spec.rules:
        return spec.rules[wanted]
    elsewhere = [v for v, s in (specs or {}).items() if wanted in s.rules]
    if elsewhere:
        raise _Fail(f"no rule {wanted} in IAPT v{spec.version}: it is a rule of v{' and v'.join(elsewhere)} "
                    f"(see 'iapt-ds explain {wanted} --dataset-version {elsewhere[-1]}')")
    close = difflib.get_close_matches(wanted, list(spec.rules), n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; 'iapt-ds rules' lists them"
    raise _Fail(f"no rule {code!r} in IAPT v{spec.version}{hint}")


def _across_versions(code: str, specs: dict[str, Spec]) -> list[str]:
    """How a code differs between each version and the next, in words."""
    from .version_diff import rule_difference

    ordered = list(specs.values())
    lines = []
    for old, new in zip(ordered, ordered[1:]):
        d = rule_difference(code, old, new)
        if d is None:
            if code in old.rules:
                lines.append(f"v{old.version} → v{new.version}: the same in both.")
            continue
        words = d.detail[0].upper() + d.detail[1:]
        lines.append(f"v{old.version} → v{new.version}: {words} [{d.confidence}]" + (f". {d.note}" if d.note else ""))
    return lines


def _pick_pass(rule: RuleSpec) -> dict:
    """The most telling passing example: the first that changes something (the spec gives every
    rule at least one)."""
    passes = rule.examples["pass"]
    return next((p for p in passes if p), passes[0])


def _run_explain(args: argparse.Namespace) -> int:
    from .measures import load_definitions

    d = load_definitions()
    wanted = args.code.strip().lower().replace("-", "_").replace(" ", "_")
    if wanted in d.explanations or wanted in {m.lower().replace("-", "_").replace(" ", "_") for m in d.measures}:
        return _explain_measure(wanted)
    specs = _versions.specs_by_version()
    spec = _spec(args)
    wanted = args.code.strip().upper()
    if not args.dataset_version and wanted not in spec.rules:
        # a code of another version only: explain it from the newest version that has it
        spec = next((s for s in reversed(list(specs.values())) if wanted in s.rules), spec)
    rule = _rule(spec, args.code, specs)
    params = ", ".join(f"{k}={v}" for k, v in rule.params.items())
    status = (("confirmed: taken from NHS Digital's published v2.0 rule code" if spec.version == "2.0" else
               f"confirmed: taken from NHS Digital's published code (v2.0's rule, or a change v{spec.version}'s "
               "table definitions force)") if rule.status == "confirmed" else
              "inferred: SDCS's implementation is not public; the behaviour is reconstructed")
    lines = [f"{rule.code}: {SEVERITY_WORDS[rule.severity]}"]
    if rule.table:
        lines.append(f"  table:  {rule.table} ({spec.tables[rule.table].name})")
    if rule.fields:
        lines.append(f"  field:  {', '.join(rule.fields)}")
    lines.append(f"  kind:   {rule.kind}" + (f" ({params})" if params else ""))
    lines.append(f"  status: {status}")
    lines.append(f"  rules:  IAPT v{spec.version}")
    if rule.note:
        lines.append(_wrapped(f"note: {rule.note}", "  ", "          "))
    lines += ["", "What it checks", _wrapped(checks(rule, spec), "  ", "  "),
              "", "When it fails", _wrapped(consequence(rule), "  ", "  ")]
    deps = dependents(rule, spec)
    if deps:
        lines.append(_wrapped(f"Rows that fall with a rejected {rule.table} row: " + "; ".join(
            f"{d.table} rows with the same {d.params['key']} ({d.code})" for d in deps) + ".", "  ", "  "))
    lines += ["", "The report says", _wrapped(rule.message, "  ", "  ")]
    fails = rule.examples.get("fail") or ()
    if fails:
        lines += ["", "Fails, for example", _wrapped(example_words(rule, fails[0], spec), "  ", "  ")]
        said = failing_message(rule, spec)
        if said:
            lines.append(_wrapped(f"→ {said}", "    ", "      "))
    lines += ["", "Passes, for example", _wrapped(example_words(rule, _pick_pass(rule), spec), "  ", "  ")]
    lines += ["", "What to do", _wrapped(advice(rule, spec), "  ", "  ")]
    across = _across_versions(rule.code, specs)
    if across:
        lines += ["", "Across versions"] + [_wrapped(a, "  ", "    ") for a in across]
    _to_stdout(lambda out: out.write("\n".join(lines) + "\n"))
    return 0


# ------------------------------------------------------------------------------------ calendar

def _window(w: Window) -> str:
    text = f"opens {w.opens:%a %d %b %Y}, closes {w.closes:%a %d %b %Y}"
    if len(w.periods) > 2:
        text += f" (a window for {len(w.periods)} periods, {min(w.periods)} to {max(w.periods)})"
    return text


def _period_lines(info: PeriodInfo, spec: Spec) -> list[str]:
    lines = [f"Reporting period {info.period} ({info.label}): {info.start} to {info.end}",
             f"Unique_MonthID:   {info.month_id}",
             f"Data set:         IAPT v{spec.version} (DatSetVer '{spec.dataset_version}')"]
    newest = spec.version == _versions.known_versions()[-1]
    if not info.in_dataset and newest and info.period > spec.periods[1]:
        lines.append(_wrapped(f"NHS Digital's published IAPT v{spec.version} calendar covers the reporting periods "
                              f"{spec.periods[0]} to {spec.periods[1]}; {info.period} is outside them, so no SDCS "
                              f"window is known for it (v{spec.version}'s rules still apply: no later version is "
                              "known).", "Note:             ", " " * 18))
    elif not info.in_dataset:
        lines.append(_wrapped(f"IAPT v{spec.version} covered the reporting periods {spec.periods[0]} to "
                              f"{spec.periods[1]}; {info.period} is outside them, so v{spec.version}'s rules "
                              "and calendar do not apply to it.", "Note:             ", " " * 18))
    def label(name: str) -> str:
        return f"{name} window: ".ljust(18)

    lines.append(label(info.primary_name) + (_window(info.primary) if info.primary else
                                             f"none in the v{spec.version} calendar"))
    for i, w in enumerate(info.refresh):
        same = i > 0 and info.refresh_name(w) == info.refresh_name(info.refresh[i - 1])
        lines.append((" " * len(label(info.refresh_name(w))) if same else label(info.refresh_name(w))) + _window(w))
    if not info.refresh:
        lines.append(label(info.refresh_name()) + f"none in the v{spec.version} calendar")
    return lines


def _calendar_lines(spec: Spec) -> list[str]:
    lines = [f"IAPT v{spec.version} submission calendar: reporting periods {spec.periods[0]} to {spec.periods[1]}.",
             "A second submission (Refresh; Performance from August 2023) replaces the first",
             "(Primary; Provisional from August 2023). 'iapt-ds calendar YYYY-MM' shows one period.", "",
             f"{'Period':<8} {'MonthID':>7}  {'First window':<24}  Later windows"]
    for period in dataset_periods(spec):
        info = period_info(period, spec)
        primary = f"{info.primary.opens} to {info.primary.closes}" if info.primary else "none"
        refresh = "; ".join(f"{w.opens} to {w.closes}" for w in info.refresh) or "none"
        lines.append(f"{period:<8} {info.month_id:>7}  {primary:<24}  {refresh}")
    return lines


def _run_calendar(args: argparse.Namespace) -> int:
    if args.period:
        spec = _versions.specs_by_version()[args.dataset_version] if args.dataset_version else spec_for_period(args.period)
        lines = _period_lines(period_info(args.period, spec), spec)
    else:
        specs = _versions.specs_by_version()
        chosen = [specs[args.dataset_version]] if args.dataset_version else list(specs.values())
        lines = []
        for spec in chosen:
            lines += ([""] if lines else []) + _calendar_lines(spec)
    _to_stdout(lambda out: out.write("\n".join(lines) + "\n"))
    return 0


# ------------------------------------------------------------------------------------ main

def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 accepted, 1 rejected, 2 any other
    failure, told in one line on standard error; ``--debug`` adds the traceback)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        with exit_on_signals():
            status = args.run(args)
            flush_stdout()  # a failure to write is reported here, not by the interpreter at exit
            return status
    except (_Fail, IaptDsError) as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"iapt-ds {args.command}: error: {_one_line(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("iapt-ds: interrupted\n")
        return 130
    except RecursionError:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"iapt-ds {args.command}: error: the input is nested too deeply to read\n")
        return 2
    except MemoryError:
        sys.stderr.write(f"iapt-ds {args.command}: error: out of memory\n")
        return 2
    except Exception as exc:  # an internal error: never a traceback, never exit 0 or 1
        if debug:
            traceback.print_exc()
        hint = "" if debug else " (run with --debug for the details)"
        sys.stderr.write(f"iapt-ds {args.command}: internal error: {type(exc).__name__}: "
                         f"{_one_line(exc)[:300]}{hint}\n")
        return 2
