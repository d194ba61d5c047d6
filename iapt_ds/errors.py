"""The exceptions iapt-ds raises.

Bad *data* never raises: it becomes a finding. These are for a broken spec, misuse of the API and
input that cannot be opened at all.
"""

from __future__ import annotations

__all__ = ["IaptDsError", "SpecError", "UsageError", "InputError"]


class IaptDsError(Exception):
    """Base class of every exception iapt-ds raises on purpose."""

    default = "iapt-ds error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)


class SpecError(IaptDsError, ValueError):
    """The spec YAML is malformed: the message names the file, the entry and what is wrong."""

    default = "the spec is malformed"


class UsageError(IaptDsError, TypeError):
    """The API was called wrongly (a wrong type or value for an argument)."""

    default = "iapt-ds was called wrongly"


class InputError(IaptDsError, OSError):
    """The input cannot be opened at all (no such path, not a folder or a known file type)."""

    default = "the input cannot be read"
