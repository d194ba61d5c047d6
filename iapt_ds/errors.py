"""The exceptions iapt-ds raises.

Bad *data* never raises: it becomes a finding. These are for a broken spec, misuse of the API and
input that cannot be opened at all.
"""

from __future__ import annotations

__all__ = ["IaptDsError", "SpecError", "UsageError", "UnknownNameError", "InputError"]


class IaptDsError(Exception):
    """Base class of every exception iapt-ds raises on purpose."""

    default = "iapt-ds error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)


class SpecError(IaptDsError, ValueError):
    """The spec YAML is malformed: the message names the file, the entry and what is wrong.

    :attr:`file` is the YAML file (relative to the spec folder), :attr:`entry` the entry in it (a
    table id, rule code, code list …) and :attr:`field` the key of that entry at fault, each
    ``None`` when the problem has none (e.g. a missing folder)."""

    default = "the spec is malformed"

    def __init__(self, message: str | None = None, *, file: str | None = None, entry: str | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.entry = entry
        self.field = field

    @classmethod
    def at(cls, file: str, entry: str, what: str) -> SpecError:
        """The error for *what* is wrong at *entry* of *file*; an entry written ``A.b.c`` is the
        entry ``A`` and its field ``b.c``. The message reads ``file: entry: what``."""
        head, dot, tail = entry.partition(".")
        return cls(f"{file}: {entry}: {what}", file=file, entry=head, field=tail if dot else None)


class UsageError(IaptDsError, TypeError):
    """The API was called wrongly (a wrong type or value for an argument)."""

    default = "iapt-ds was called wrongly"


class UnknownNameError(UsageError, KeyError):
    """A name that is not there was asked for (a table, a record class's version …): a
    :class:`UsageError` whose message says what is known, and a ``KeyError`` too, for code that
    looks names up and catches that."""

    default = "no such name"

    def __str__(self) -> str:   # the message as written (KeyError would show it quoted)
        return Exception.__str__(self)


class InputError(IaptDsError, OSError):
    """The input cannot be opened at all (no such path, not a folder or a known file type)."""

    default = "the input cannot be read"
