"""Stage 7 of the pipeline: the file outcome, decided once every row rule and the cascade have run.

* IDSREJ015: the header is not exactly one accepted row (inferred trigger);
* IDSREJ012: nothing in the file belongs to the reporting period (inferred trigger);
* IDSREJ101: every referral was rejected (inferred trigger).

The structure checks (IDSREJ001-005) are :mod:`iapt_ds.structure`; the row-level file rules
(IDSREJ006-010) are ordinary kinds run with the row rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .checks.context import Context
    from .ledger import Ledger

__all__ = ["final_file_findings"]


#: the order SDCS decides the file outcome in
_ORDER = ("single_valid_header", "records_in_period", "not_all_rejected")


def final_file_findings(ctx: Context, state: Ledger) -> None:
    """Every rule of the outcome kinds (:mod:`iapt_ds.checks.file_kinds`), kind by kind in that order."""
    spec = ctx.spec
    for name in _ORDER:
        for rule in spec.rules.values():
            if rule.kind == name:
                spec.kinds[name].apply(rule, ctx, state)
