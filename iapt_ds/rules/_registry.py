from __future__ import annotations

from collections.abc import Callable

PIPELINE_KINDS: dict[str, Callable] = {}


def pipeline_kind(name: str):
    """Register ``fn(rule, table, ctx, accepted) -> list[Fail]``; *accepted(table_id)* gives a
    sequence of booleans: which rows of that table carry no rejection so far."""
    def deco(fn):
        PIPELINE_KINDS[name] = fn
        return fn
    return deco
