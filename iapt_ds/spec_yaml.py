"""Reading the spec's YAML quickly: every command loads the whole spec, so this is start-up time.

Each YAML file's text is looked up by its SHA-256 in ``spec_compiled.json`` (in the package,
written by ``scripts/generate.py`` from every spec folder, kept in step by a test): a file whose
exact text is there is read from JSON, far quicker than any YAML parser. Any other text (a spec
being edited, a test's own spec) is parsed, with libyaml's C loader where PyYAML has it. The
result is the same either way (a test checks it), so the cache only saves time.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["COMPILED", "NotYaml", "parse", "parse_slowly", "compiled_text"]

#: the compiled spec: {sha256 of a YAML file's text: its data as JSON text}
COMPILED = Path(__file__).resolve().parent / "spec_compiled.json"


class NotYaml(ValueError):
    """The text is not valid YAML; the message is PyYAML's."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def _compiled() -> dict[str, str]:
    try:
        data = json.loads(COMPILED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def parse(text: str) -> Any:
    """The data of one YAML document: from the compiled spec when it holds this exact text, else
    parsed (fresh objects each call: callers may change them). Raises :class:`NotYaml` with
    the message of ``yaml.safe_load``."""
    entry = _compiled().get(_digest(text))
    if entry is not None:
        return json.loads(entry)
    import yaml  # only now: a spec read from the compiled cache needs no YAML parser

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return parse_slowly(text)  # the pure-Python loader words its errors with more context


def parse_slowly(text: str) -> Any:
    """The reference reading: PyYAML's pure-Python safe loader, with no cache. Raises
    :class:`NotYaml`."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NotYaml(str(exc)) from None


def compiled_text(spec_root: Path) -> str:
    """The compiled spec for every ``*.yaml`` under *spec_root* (one folder per version): the text
    of ``spec_compiled.json``. A file that JSON cannot hold exactly is left out (and parsed)."""
    entries: dict[str, str] = {}
    for path in sorted(spec_root.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        data = parse_slowly(text)
        encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if json.loads(encoded) == data and _same_types(json.loads(encoded), data):
            entries[_digest(text)] = encoded
    lines = [f"{json.dumps(k)}:{json.dumps(v, ensure_ascii=False)}" for k, v in sorted(entries.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _same_types(a: Any, b: Any) -> bool:
    """*a* and *b* (already equal) hold the same types throughout (``1 == 1.0 == True`` otherwise
    hides a change)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return all(type(k) is type(k2) and _same_types(v, v2)
                   for (k, v), (k2, v2) in zip(a.items(), b.items()))
    if isinstance(a, list):
        return all(_same_types(x, y) for x, y in zip(a, b))
    return True
