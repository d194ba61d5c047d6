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

from itertools import compress
from typing import TYPE_CHECKING, cast

from .parse import Invalid

if TYPE_CHECKING:  # pragma: no cover
    from .checks.context import Context
    from .ledger import Ledger

__all__ = ["run_cascade"]


def run_cascade(ctx: Context, state: Ledger) -> None:
    spec = ctx.spec
    for code in spec.cascade:
        rule = spec.rules[code]
        child = ctx.table(cast(str, rule.table))  # a cascade rule is a TableRuleSpec
        related = ctx.table(rule.params["related"])
        key = rule.params["key"]
        keys = related.values[key]
        rejected = state.rejected[related.id]
        accepted_keys = set(compress(keys, (not r for r in rejected)))
        child_keys = child.values[key]
        missing = set(child_keys) - accepted_keys
        missing.discard(None)
        missing = {k for k in missing if type(k) is not Invalid}
        if not missing:
            continue
        # for a key whose related rows are all rejected: the first such row's reason is the cause
        causes: dict = {}
        reasons = state.reason[related.id]
        for j, k in enumerate(keys):
            if k in missing and k not in causes:
                causes[k] = reasons.get(j)
        failures = [(i, causes.get(k)) for i, k in enumerate(child_keys) if k in missing]
        for i, cause in failures:
            state.add(rule, child, i, other=None, cause=cause)
