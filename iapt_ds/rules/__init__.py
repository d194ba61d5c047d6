"""Bespoke rules that no generic kind expresses: each depends on which *other* rows are still
accepted, so the engine runs them after the row rules and before the cascade, as SDCS's pipeline
does. One module per table; each function is registered under its kind in ``PIPELINE_KINDS``."""

from ._registry import PIPELINE_KINDS
from . import ids002, ids101, ids201  # noqa: F401  (registration)

__all__ = ["PIPELINE_KINDS"]
