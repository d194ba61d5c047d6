"""Stage 6 of the pipeline: referential integrity, in SDCS's fixed order.

Each ``has_related`` rule rejects a row (as a group) unless the related table still holds at
least one *accepted* row with the same key. The rules run one after another, each seeing the
rejections made before it, so one bad row can take down its patient and everything below.
Like SDCS, every row is tested, already-rejected or not (a GP row failing IDS00211 also gets
IDS00220 once its patient falls), and a NULL key passes.

Each cascade finding points at the finding that rejected the related row (``cause``), so a
person can follow the chain to the root cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .checks.context import Context
    from .ledger import Ledger

__all__ = ["run_cascade"]


def run_cascade(ctx: Context, state: Ledger) -> None:
    """The has_related rules (:mod:`iapt_ds.checks.file_kinds`) in the spec's cascade order."""
    spec = ctx.spec
    for code in spec.cascade:
        rule = spec.rules[code]
        spec.kinds[rule.kind].apply(rule, ctx, state)
