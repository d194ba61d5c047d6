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

from .parse import Invalid

if TYPE_CHECKING:  # pragma: no cover
    from .checks.context import Context
    from .validate import _State

__all__ = ["run_cascade"]


def run_cascade(ctx: Context, state: _State) -> None:
    spec = ctx.spec
    for code in spec.cascade:
        rule = spec.rules[code]
        child = ctx.table(rule.table)
        related = ctx.table(rule.params["related"])
        key = rule.params["key"]
        rejected_related = state.rejected[related.id]
        # key -> None when an accepted related row has it, else the first rejected related row's index
        status: dict = {}
        for j, k in enumerate(related.values[key]):
            if k is None or type(k) is Invalid:
                continue
            if not rejected_related[j]:
                status[k] = None
            elif k not in status:
                status[k] = j
        reasons = state.reason[related.id]
        failures = []
        for i, k in enumerate(child.values[key]):
            if k is None or type(k) is Invalid:
                continue
            if k in status:
                j = status[k]
                if j is None:
                    continue  # an accepted related row exists
                failures.append((i, reasons.get(j)))
            else:
                failures.append((i, None))  # no related row at all: this row is the root cause
        for i, cause in failures:
            state.add(rule, child, i, other=None, cause=cause)
