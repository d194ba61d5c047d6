"""Bespoke rules that no generic kind expresses: each depends on which *other* rows are still
accepted, so the engine runs them after the row rules and before the cascade, as SDCS's pipeline
does. One module per table, each rule a kind object (:mod:`iapt_ds.checks.base`) whose
evaluation is a small pure predicate over the table's columns."""

from collections.abc import Mapping

from ..checks.base import Kind
from .ids002 import ConsecutiveGpRegistration
from .ids101 import DischargedBeforePeriod
from .ids201 import AttendedHasActivity

__all__ = ["PIPELINE_KINDS"]

PIPELINE_KINDS: Mapping[str, Kind] = {k.name: k() for k in (
    ConsecutiveGpRegistration, DischargedBeforePeriod, AttendedHasActivity)}
