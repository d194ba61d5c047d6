"""Phase 1b of the pipeline: the file-level checks made before any row rule.

* IDSREJ001 structure: every table and column present as in the IDB, the bytes readable
  (each problem found while reading becomes one finding naming the table and column);
* IDSREJ002-005: mandatory tables with no rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .checks.base import Phase

if TYPE_CHECKING:  # pragma: no cover
    from .checks.context import Context
    from .ledger import Ledger
    from .spec import RuleSpec

__all__ = ["structure_findings", "mandatory_table_findings"]


def structure_findings(ctx: Context, state: Ledger) -> None:
    """IDSREJ001: every rule of the structure kind (:mod:`iapt_ds.checks.file_kinds`)."""
    _apply(ctx, state, Phase.STRUCTURE, ctx.spec.rules.values())


def mandatory_table_findings(ctx: Context, state: Ledger) -> None:
    """IDSREJ002-005, in the order of the spec's mandatory tables."""
    _apply(ctx, state, Phase.MANDATORY, (ctx.spec.rules[code] for code in ctx.spec.mandatory_tables.values()))


def _apply(ctx: Context, state: Ledger, phase: Phase, rules: Iterable[RuleSpec]) -> None:
    for rule in rules:
        kind = ctx.spec.kinds[rule.kind]
        if kind.phase is phase:
            kind.apply(rule, ctx, state)
