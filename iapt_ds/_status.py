"""What the command says on standard error while it works: one progress line for reading,
validating and writing, on a terminal only (cleared when done); nothing with ``--quiet``; with
``-v``, a line per table read and each stage's time. Colour only on a terminal, and never when
``NO_COLOR`` is set (https://no-color.org) or ``TERM=dumb``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Status", "colour_enabled", "paint"]

_CODES = {"green": "32", "red": "31", "amber": "33", "bold": "1"}


def colour_enabled(stream: TextIO) -> bool:
    """Whether to colour what goes to *stream*: a terminal, ``NO_COLOR`` unset or empty, not ``TERM=dumb``."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, colour: str, on: bool) -> str:
    """*text* in *colour* when *on*."""
    return f"\x1b[{_CODES[colour]}m{text}\x1b[0m" if on else text


class Status:
    """Progress and timings for one command run. *quiet* silences it; *verbose* adds a line per
    table and the time of each stage."""

    def __init__(self, err: TextIO, *, quiet: bool = False, verbose: bool = False) -> None:
        self.err = err
        self.quiet = quiet
        self.verbose = verbose and not quiet
        self.live = not quiet and bool(getattr(err, "isatty", lambda: False)())
        self.colour = colour_enabled(err)
        self._last = 0.0
        self._shown = False
        self._finished: set[str] = set()
        self.timings: list[tuple[str, float]] = []

    # ------------------------------------------------------------------ the one line

    def show(self, text: str, *, force: bool = False) -> None:
        """Put *text* on the progress line (a terminal only; at most ten times a second)."""
        if not self.live:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        self.err.write("\r" + text[:150] + "\x1b[K")
        self.err.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._shown = False

    def say(self, text: str) -> None:
        """A line of its own (not in quiet mode), below the progress line."""
        if self.quiet:
            return
        self.clear()
        self.err.write(text + "\n")
        self.err.flush()

    # ------------------------------------------------------------------ callbacks

    def rows(self, table: str, done: int, total: int) -> None:
        """Progress of reading a table row by row (an Access IDB)."""
        if done >= total:
            if table in self._finished:
                return
            self._finished.add(table)
            if self.verbose:
                self.say(f"read {table}: {total} row{'' if total == 1 else 's'}")
            return
        self.show(f"reading {table}: {done:,}/{total:,} rows")

    def files(self, name: str, done: int, total: int) -> None:
        """Progress of reading a folder file by file (CSV)."""
        if done >= total:
            return
        self.show(f"reading {name} (table {done + 1} of {total})", force=True)

    @contextmanager
    def stage(self, name: str, words: str) -> Iterator[None]:
        """Time a stage of the run, showing *words* meanwhile."""
        self.show(words, force=True)
        start = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - start
            self.timings.append((name, seconds))
            self.clear()
            if self.verbose:
                self.say(f"{name}: {seconds:.2f} s")

    def total(self) -> None:
        if self.verbose and self.timings:
            self.say(f"total: {sum(s for _, s in self.timings):.2f} s")
