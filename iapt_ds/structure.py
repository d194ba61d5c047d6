"""Stage 1b of the pipeline: the file-level checks made before any row rule.

* IDSREJ001 structure: every table and column present as in the IDB, the bytes readable
  (each problem found while reading becomes one finding naming the table and column);
* IDSREJ002-005: mandatory tables with no rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .parse import Invalid

if TYPE_CHECKING:  # pragma: no cover
    from .checks.context import Context
    from .ledger import Ledger

__all__ = ["structure_findings", "mandatory_table_findings"]


def structure_findings(ctx: Context, state: Ledger) -> None:
    rule = ctx.spec.rules["IDSREJ001"]
    for p in ctx.submission.problems:
        if p.row is not None and p.table is not None:
            state.add(rule, ctx.table(p.table), p.row - 1, other=None, detail=p.detail)
        else:
            state.add_file(rule, table=p.table, detail=p.detail, line=p.line)
    # a cell whose text is no value of its field's type, where the field has no format rule of
    # its own; and a time-of-day cell that is no time (SDCS's own time rules never fire, as an
    # Access Date/Time column cannot hold such text): the row, under the field's time rule
    for tid, table in ctx.tables.items():
        for f in table.spec.fields:
            if f.format_rule is None:
                continue
            own = ctx.spec.rules[f.format_rule]
            if f.format_rule != "IDSREJ001" and not (f.type == "time" and own.kind == "placeholder"):
                continue
            col = table.values[f.name]
            for i, v in enumerate(col):
                if type(v) is Invalid:
                    state.add(rule if own.code == "IDSREJ001" else own, table, i, other=None,
                              detail=f"{table.name}.{f.name} row {i + 1}: {v.text!r} is not a {f.type}")


def mandatory_table_findings(ctx: Context, state: Ledger) -> None:
    for tid, code in ctx.spec.mandatory_tables.items():
        if ctx.table(tid).nrows == 0:
            state.add_file(ctx.spec.rules[code], table=tid)
