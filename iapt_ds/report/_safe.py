"""Characters of the data that must not act when a report is read: one function, used by every
writer (through :class:`~iapt_ds.report._view.ReportView`).

Terminal control characters and escape sequences (C0, DEL, C1: ``ESC[2J``, a carriage return that
overwrites the line, a newline that forges a report line), bidirectional overrides and isolates
(U+202A-202E, U+2066-2069: text that reads backwards), zero-width and other invisible format
characters (U+200B-200F, U+2060-2064, U+FEFF, tags) and lone surrogates are shown instead of
acting: a C0 control or DEL as its Unicode control picture (``␛``, ``␊``, ``␡``), anything else
as ``⟨U+202E⟩``. Nothing else changes, so ordinary text of any script passes untouched.

The JSON report keeps the data exactly as read (JSON escapes the C0 controls itself); every
report meant to be read by a person — text, HTML, CSV, xlsx — shows them.

>>> visible("ok\\x1b[2Jfake\\u202egnp.exe\\u200b")
'ok␛[2Jfake⟨U+202E⟩gnp.exe⟨U+200B⟩'
"""

from __future__ import annotations

import re

__all__ = ["visible", "any_active"]

_ACTIVE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb\ud800-\udfff"
    "\U000e0000-\U000e0fff]")


def _shown(m: re.Match) -> str:
    code = ord(m.group(0))
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"⟨U+{code:04X}⟩"


def visible(text: str) -> str:
    """*text* with every character that could act on a terminal or hide or reorder text shown
    as a visible mark (see the module docstring)."""
    if _ACTIVE.search(text) is None:
        return text
    return _ACTIVE.sub(_shown, text)


def any_active(texts: tuple[str | None, ...]) -> bool:
    """Whether any of *texts* (None for a missing one) holds a character :func:`visible` would
    show: one search for all of them (a space joins them, and a space never acts)."""
    return _ACTIVE.search(" ".join([t for t in texts if t])) is not None
