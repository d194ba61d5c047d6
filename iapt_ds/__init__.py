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


def example_path() -> Path:
    """The bundled example: a small, fully valid March 2021 submission as a CSV folder."""
    return Path(__file__).resolve().parent / "examples" / "march-2021"
