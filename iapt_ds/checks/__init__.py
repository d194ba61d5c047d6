"""Rule kinds (:mod:`.base` says what a kind is; :mod:`.kinds`, :mod:`.file_kinds` and
:mod:`iapt_ds.rules` define them; :mod:`.catalogue` gathers them per spec version), the pure value
checks they use (:mod:`.values`) and what rules may consult besides their row (:mod:`.context`).

This package imports none of its modules itself, so that the spec loader can use the catalogue
without importing the engine."""

from typing import Any

_LAZY = {"Context": "context", "ReferenceData": "context", "ReferenceSets": "context", "Upload": "context",
         "ROW_KINDS": "kinds"}


def __getattr__(name: str) -> Any:
    """``iapt_ds.checks.Context`` and the like still work, imported on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
