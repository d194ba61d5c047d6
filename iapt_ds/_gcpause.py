"""The cyclic garbage collector paused while a stage builds millions of long-lived objects.

Reading and validating create columns, values and findings that all live until the result is
dropped, and almost no reference cycles. CPython's collector would traverse the growing heap
again and again (its cost grows with the input, so cost per row would too); reference counting
still frees everything that is not a cycle. The collector is restored as it was when the stage
ends, also when it raises.

>>> import gc
>>> with paused():
...     gc.isenabled()
False
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["paused", "gc_paused"]

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def paused() -> Iterator[None]:
    """Disable the cyclic collector for the ``with`` block; restore its state after (nested
    blocks leave it to the outermost one)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def gc_paused(fn: F) -> F:
    """Run *fn* with the cyclic collector paused (see :func:`paused`)."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with paused():
            return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
