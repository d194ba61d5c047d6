"""Every kind, per spec version: what the loader checks rule parameters against and attaches to
the :class:`~iapt_ds.spec.Spec` as ``spec.kinds``.

A version's catalogue is a mapping of kind name to kind object. A new version that needs a new
kind (or a kind whose meaning changed) registers its own catalogue with :func:`register`,
usually the previous one plus or minus a few kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..errors import SpecError
from ..rules import PIPELINE_KINDS
from .base import Kind
from .file_kinds import KINDS as FILE_LEVEL_KINDS
from .kinds import ROW_KINDS

__all__ = ["ALL_KINDS", "kinds_for", "register"]

_CATALOGUES: dict[str, Mapping[str, Kind]] = {}


def register(version: str, kinds: Mapping[str, Kind]) -> None:
    """Make *kinds* the catalogue of spec *version* (each kind registered under its own name)."""
    for name, k in kinds.items():
        if not isinstance(k, Kind) or k.name != name:
            raise TypeError(f"catalogue {version}: {name!r} is not registered under its own name")
    _CATALOGUES[version] = MappingProxyType(dict(kinds))


def kinds_for(version: str) -> Mapping[str, Kind]:
    """The kinds of spec *version* (a SpecError names the versions known)."""
    try:
        return _CATALOGUES[version]
    except KeyError:
        raise SpecError(f"dataset.yaml: version: no kinds are registered for version {version!r}; "
                        f"known: {sorted(_CATALOGUES)}") from None


def _union(*parts: Mapping[str, Kind]) -> dict[str, Kind]:
    out: dict[str, Kind] = {}
    for part in parts:
        for name, k in part.items():
            if name in out:
                raise TypeError(f"two kinds are called {name!r}")
            out[name] = k
    return out


#: every kind defined, by name
ALL_KINDS: Mapping[str, Kind] = MappingProxyType(_union(ROW_KINDS, PIPELINE_KINDS, FILE_LEVEL_KINDS))

register("2.0", ALL_KINDS)
