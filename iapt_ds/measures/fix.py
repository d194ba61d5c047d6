"""What the findings cost, as the validation reports show it beside "fix these first"."""

from __future__ import annotations

from collections.abc import Callable

from ._compute import Preview
from .cost import CodeCost

__all__ = ["fix_costs", "cost_ranking"]


def fix_costs(p: Preview) -> Callable[[str, str], str]:
    """For the validation report's "fix these first": ``words(code, severity)`` says what fixing
    the code's findings would bring back in the headline measures (the preview's own ranking is
    :func:`cost_ranking`). A warning rejects no row, so costs nothing; a file-level code is costed
    with the other file-level codes, since any one of them rejects the whole file; a code whose
    row's rejection rejects the file (the header, through IDSREJ015) costs the whole file too."""
    by_code: dict[str, CodeCost] = {}
    for c in p.costs:
        for code in (*(c.together or (c.code,)), *c.through) if c.file_level else (c.code,):
            by_code[code] = c

    def words(code: str, severity: str) -> str:
        c = by_code.get(code)
        if c is None:
            return ("nothing: a warning rejects no row" if severity == "warning"
                    else "none of the headline measures")
        gain = c.gain_words()
        if c.file_level and code in c.through:
            via = ", ".join(c.together or (c.code,))
            return (f"the whole file, through {via}: would bring back {gain}" if gain
                    else f"the whole file, through {via}, but none of the headline measures")
        if c.file_level:
            others = [x for x in c.together if x != code]
            together = f" (with {', '.join(others)} fixed too)" if others else ""
            return (f"the whole file{together}: would bring back {gain}" if gain
                    else f"the whole file{together}, but none of the headline measures")
        return f"would bring back {gain}" if gain else "none of the headline measures"

    return words


def cost_ranking(p: Preview) -> list[CodeCost]:
    """The rule codes whose findings cost a headline measure, most costly first."""
    return [c for c in p.costs if c.costly]
