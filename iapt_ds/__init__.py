"""iapt-ds: validate NHS IAPT v2.0 submissions locally, the way SDCS Cloud does.

>>> import iapt_ds
>>> result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z")
>>> result.outcome
'accepted'
"""

from pathlib import Path

from .checks.context import ReferenceData, ReferenceSets
from .errors import IaptDsError, InputError, SpecError, UsageError
from .findings import Finding, Severity
from .model import InputProblem, Submission, Table
from .readers import read
from .result import Result, TableResult
from .spec import Spec, load_spec
from .pipeline import validate

__version__ = "0.1.0.dev0"

__all__ = [
    "validate",
    "read",
    "example_path",
    "load_spec",
    "Submission",
    "Table",
    "InputProblem",
    "Result",
    "TableResult",
    "Finding",
    "Severity",
    "Spec",
    "ReferenceData",
    "ReferenceSets",
    "IaptDsError",
    "SpecError",
    "UsageError",
    "InputError",
    "__version__",
]


# the bundled example of each version: a small submission valid under every rule of its version
_EXAMPLES = {"2.0": "march-2021", "2.1": "may-2024"}


def example_path(version: str = "2.0") -> Path:
    """The bundled example of a dataset version as a CSV folder: for v2.0 (the default) a small,
    fully valid March 2021 submission; for v2.1 one of May 2024 (all 21 tables)."""
    if version not in _EXAMPLES:
        raise UsageError(f"no bundled example for version {version!r}; there is one for {', '.join(_EXAMPLES)}")
    return Path(__file__).resolve().parent / "examples" / _EXAMPLES[version]
