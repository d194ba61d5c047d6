"""Stage 2 of the pipeline: cleanse text cells the way SDCS does before any rule runs.

SDCS trims every text value and turns a value that is empty after trimming into NULL. Its trim
is Spark's, which removes only the ASCII space (U+0020): a tab, a line break or a no-break space
at either end is kept and counts towards the length rules. A zero-length text and a NULL are
therefore the same thing to every rule.

>>> cleanse_text("  R1Z ")
'R1Z'
>>> cleanse_text("   ") is None
True
>>> cleanse_text("\\tR1Z")
'\\tR1Z'
"""

from __future__ import annotations

__all__ = ["cleanse_text", "cleanse_column"]


def cleanse_text(value: str | None) -> str | None:
    """Trim ASCII spaces from both ends; blank (or NULL) becomes NULL."""
    if not value:
        return None
    return value.strip(" ") or None


def cleanse_column(raw: list) -> list:
    """Cleanse a column of raw text cells.

    Returns *raw itself* when no cell changes (the common case), so a clean column costs no
    second list.
    """
    cleansed = [v.strip(" ") or None if v else None for v in raw]
    # list equality compares item by item in C, identity first: unchanged strings are the same
    # objects, so this is cheap, and it is exact ('' vs None differ).
    if cleansed == raw:
        return raw
    return cleansed
