"""iapt-ds: validate NHS IAPT v2.0 submissions locally, the way SDCS Cloud does.

>>> import iapt_ds
>>> result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z")
>>> result.outcome
<Outcome.ACCEPTED: 'accepted'>
>>> result.accepted
True

The names below are the public API; each is imported when first used, so ``import iapt_ds`` (and
a command such as ``iapt-ds --help``) stays quick. Everything else is importable from its module
(e.g. :class:`iapt_ds.model.Submission`, :class:`iapt_ds.checks.context.ReferenceSets`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from .errors import IaptDsError, InputError, SpecError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .checks.context import ReferenceData, ReferenceSets
    from .findings import Finding
    from .model import InputProblem, Submission, Table
    from .pipeline import validate
    from .readers import read
    from .result import Outcome, Result, TableResult
    from .spec import Severity, Spec, load_spec

__version__ = "0.1.0.dev0"

__all__ = [
    "validate",
    "read",
    "example_path",
    "load_spec",
    "Result",
    "Finding",
    "Severity",
    "Outcome",
    "IaptDsError",
    "UsageError",
    "InputError",
    "SpecError",
]

# name -> the module it comes from, imported on first use. The names after the public API are
# kept importable from here for existing code; their homes are their modules.
_LAZY = {
    "validate": "pipeline",
    "read": "readers",
    "load_spec": "spec",
    "Result": "result",
    "Finding": "findings",
    "Severity": "spec",
    "Outcome": "result",
    "Submission": "model",
    "Table": "model",
    "InputProblem": "model",
    "TableResult": "result",
    "Spec": "spec",
    "ReferenceData": "checks.context",
    "ReferenceSets": "checks.context",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


# the bundled example of each version: a small submission valid under every rule of its version
_EXAMPLES = {"2.0": "march-2021", "2.1": "may-2024"}


def example_path(version: str = "2.0") -> Path:
    """The bundled example of a dataset version as a CSV folder: for v2.0 (the default) a small,
    fully valid March 2021 submission; for v2.1 one of May 2024 (all 21 tables)."""
    if version not in _EXAMPLES:
        raise UsageError(f"no bundled example for version {version!r}; there is one for {', '.join(_EXAMPLES)}")
    return Path(__file__).resolve().parent / "examples" / _EXAMPLES[version]
