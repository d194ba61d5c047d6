"""Every kind, per spec version: what the loader checks rule parameters against and attaches to
the :class:`~iapt_ds.spec.Spec` as ``spec.kinds``.

A version's catalogue is a mapping of kind name to kind object. A new version uses the catalogue
of the version before it until it needs a new kind (or a kind whose meaning changed); then it
registers its own with :func:`register`, usually the previous one plus or minus a few kinds.
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


def _number(version: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


def kinds_for(version: str) -> Mapping[str, Kind]:
    """The kinds of spec *version*: its own catalogue, or else that of the latest version before
    it (a new version uses its predecessor's kinds until it registers its own). A SpecError
    names the versions known when there is none."""
    if version in _CATALOGUES:
        return _CATALOGUES[version]
    wanted = _number(version)
    earlier = sorted((n, v) for v in _CATALOGUES if (n := _number(v)) is not None and wanted is not None and n < wanted)
    if earlier:
        return _CATALOGUES[earlier[-1][1]]
    raise SpecError(f"dataset.yaml: version: no kinds are registered for version {version!r} or one before it; "
                    f"known: {sorted(_CATALOGUES)}")


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
