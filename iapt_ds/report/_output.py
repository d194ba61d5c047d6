"""Where a report goes, safely: one module every writer and the CLI use.

* :func:`choose_format` — the format from ``--format`` and the output's suffix; a suffix that
  names another format is refused rather than ignored (``--output report.xlsx`` never holds text).
* :func:`refuse_input_files` — an output path that is one of the input's files (or would be read
  as one of its tables next time) is refused: a report never replaces what it reports on.
* :func:`output_file` — writes a report to a file: a regular file (or a new one) is written to a
  temporary file made safely (``mkstemp``: a random name, created exclusively, never through a
  planted symlink) in the target's folder and moved over the target only once it is complete,
  keeping the permissions of the file it replaces. A symlink is written through (the file it
  points to is replaced, the link stays); a FIFO or a character device (``/dev/stdout``) is
  written directly; a folder or any other kind of file is refused. SIGTERM and SIGHUP, like
  Ctrl-C, leave no temporary file behind (see :func:`exit_on_signals`).
* :func:`to_stdout` — writes to standard output; a reader that stops early (``| head``) is not an
  error, a closed or full standard output is an :class:`OutputError`.

Every failure here is an :class:`OutputError` whose message is the one line a person is told.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from ..errors import IaptDsError

__all__ = ["OutputError", "SUFFIX_FORMATS", "choose_format", "refuse_input_files", "output_file", "to_stdout",
           "flush_stdout", "exit_on_signals"]

#: output suffix -> the format it names
SUFFIX_FORMATS: Mapping[str, str] = {".txt": "text", ".json": "json", ".csv": "csv", ".html": "html",
                                     ".htm": "html", ".xlsx": "xlsx"}


class OutputError(IaptDsError):
    """A report cannot be written where it was asked for (the message says why, in one line)."""

    default = "the report cannot be written"


def choose_format(output: str | None, fmt: str | None, formats: Iterable[str],
                  unavailable: str = "no {fmt} report in this installation (formats: {formats})") -> str:
    """The report format: *fmt* (``--format``) if given, else the one *output*'s suffix names,
    else ``text``. A suffix naming another format than *fmt*, or a format not in *formats*, is
    refused. A suffix no format claims (``.out``, none) goes with any format."""
    available = tuple(formats)
    named = SUFFIX_FORMATS.get(Path(output).suffix.lower()) if output and output != "-" else None
    chosen = fmt or named or "text"
    if named is not None and named != chosen:
        raise OutputError(f"{output} names a {named} file but the format is {chosen}; give an output "
                          f"ending {_suffix_for(chosen)} or --format {named}")
    if chosen not in available:
        raise OutputError(unavailable.format(fmt=chosen, formats=", ".join(available)))
    return chosen


def _suffix_for(fmt: str) -> str:
    return next((s for s, f in SUFFIX_FORMATS.items() if f == fmt), f".{fmt}")


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def refuse_input_files(output: str | os.PathLike, source: str | os.PathLike | None,
                       is_table_file: Callable[[str], bool] = lambda name: False) -> None:
    """Raise :class:`OutputError` when *output* is the input *source* (a file) or one of the files
    of the input folder (hard and symbolic links included), or is a new file in the input folder
    that would be read as a table (*is_table_file* tells by its name)."""
    if source is None:
        return
    target = Path(output)
    try:
        src = Path(source)
        src_stat = src.stat()
    except (OSError, ValueError):
        return
    try:
        out_stat: os.stat_result | None = target.stat()
    except (OSError, ValueError):
        out_stat = None
    if out_stat is not None and _same_file(out_stat, src_stat):
        raise OutputError(f"{output} is the input itself; write the report somewhere else")
    if not stat.S_ISDIR(src_stat.st_mode):
        return
    if out_stat is not None and stat.S_ISREG(out_stat.st_mode):
        with contextlib.suppress(OSError):
            for entry in os.scandir(src):
                with contextlib.suppress(OSError):
                    if entry.is_file() and _same_file(entry.stat(), out_stat):
                        raise OutputError(f"{output} is {entry.name}, a file of the input folder; "
                                          "write the report somewhere else")
    try:
        parent = target.resolve().parent.stat()
    except (OSError, RuntimeError, ValueError):
        return
    if _same_file(parent, src_stat) and is_table_file(target.name):
        raise OutputError(f"{output} would be read as a table of the input folder; write the report "
                          "somewhere else")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def output_file(path: str | os.PathLike, *, binary: bool = False, encoding: str = "utf-8",
                newline: str | None = None) -> Iterator[Any]:
    """A file object to write a report to *path* (see the module docstring); the target is
    replaced only when the ``with`` block ends without an exception."""
    named = Path(path)
    try:
        real = Path(os.path.realpath(named))
        try:
            st: os.stat_result | None = real.stat()
        except FileNotFoundError:
            st = None
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot write {path}: {_why(exc)}") from None
    mode = "wb" if binary else "w"
    text_args: dict[str, Any] = {} if binary else {"encoding": encoding, "newline": newline}
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"cannot write {path}: it is a folder; give a file name")
        if not (stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode)):
            raise OutputError(f"cannot write {path}: it is not a regular file, a FIFO or a terminal")
        try:
            fh = open(real, mode, **text_args)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {_why(exc)}") from None
        try:
            yield fh
            fh.close()
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {_why(exc)}") from None
        finally:
            with contextlib.suppress(OSError):
                fh.close()
        return
    import tempfile  # here, not at start-up

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_why(exc)}") from None
    done = False
    try:
        try:
            os.fchmod(fd, stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask())
            fh = os.fdopen(fd, mode, **text_args)
        except BaseException:
            os.close(fd)
            raise
        with fh:
            yield fh
        os.replace(tmp, real)
        done = True
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_why(exc)}") from None
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def to_stdout(write: Callable[[Any], object], *, binary: bool = False, utf8: bool = False) -> None:
    """Run *write* on standard output (its binary buffer when *binary*; for text, UTF-8 when
    *utf8*, else the terminal's encoding with what it cannot show replaced). A reader that stops
    early is not an error; anything else that stops the writing is an :class:`OutputError`, and
    standard output is then closed off so nothing more is tried at exit."""
    out = sys.stdout
    if out is None:
        raise OutputError("standard output is closed; give --output FILE")
    with _stdout_failures(out):
        if binary:
            stream: IO[Any] = out.buffer
        else:
            reconfigure = getattr(out, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(**({"encoding": "utf-8"} if utf8 else {"errors": "replace"}))
            stream = out
        write(stream)
        stream.flush()


def flush_stdout() -> None:
    """Flush standard output now, so that a failure is an :class:`OutputError` here and not a
    message from the interpreter at exit."""
    out = sys.stdout
    if out is None:
        return
    with _stdout_failures(out):
        out.flush()


@contextlib.contextmanager
def _stdout_failures(out: IO[Any]) -> Iterator[None]:
    """What writing to standard output may meet: a reader that stopped early is not an error;
    any other failure is an :class:`OutputError`. Either way standard output is closed off."""
    try:
        yield
    except BrokenPipeError:
        _silence(out)
    except (OSError, ValueError) as exc:
        _silence(out)
        raise OutputError(f"cannot write to standard output: {_why(exc)}") from None


def _silence(out: IO[Any]) -> None:
    """Point standard output at the null device, so the final flush at exit cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        sys.stdout = None  # type: ignore[assignment]


class _Signalled(BaseException):
    """Raised in the main thread by SIGTERM/SIGHUP, so every ``finally`` (temporary files) runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def exit_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP unwind like Ctrl-C (cleaning up as they go), then the
    process exits with 128 + the signal's number, as a shell reports a signal. Whatever ends the
    block once such a signal or Ctrl-C has come (a library's own error for the interruption, e.g.
    DuckDB's "Query interrupted") is reported as that signal, or as a KeyboardInterrupt."""
    signums = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    received: list[int] = []

    def raise_it(signum: int, frame: object) -> None:
        received.append(signum)
        raise _Signalled(signum)

    ctrl_c: Any = signal.getsignal(signal.SIGINT)

    def interrupt(signum: int, frame: Any) -> None:
        received.append(signum)
        ctrl_c(signum, frame)  # (callable: checked below)

    previous = {}
    for s in signums:
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            previous[s] = signal.signal(s, raise_it)
    # Ctrl-C is noted and handed on to the handler in place (Python's, or one a library set, e.g.
    # PySpark's context, which cancels its jobs); an ignored one stays ignored
    if callable(ctrl_c):
        with contextlib.suppress(ValueError, OSError):
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    except BaseException as exc:
        signum = exc.signum if isinstance(exc, _Signalled) else next(iter(received), None)
        if signum is None or isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if signum == signal.SIGINT:
            raise KeyboardInterrupt from None
        sys.stderr.write(f"iapt-ds: stopped by signal {signum}\n")
        raise SystemExit(128 + signum) from None
    finally:
        for s, handler in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(s, handler)
