"""Rule kinds (one function per kind) and the pure value checks they use."""

from .context import Context, ReferenceData, ReferenceSets, Upload
from .kinds import ROW_KINDS

__all__ = ["Context", "ReferenceData", "ReferenceSets", "Upload", "ROW_KINDS"]
