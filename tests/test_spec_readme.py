"""spec/README.md documents the YAML format and the examples DSL: every kind and parameter the
registry knows, every rule key and every example and context key the loader accepts is in it."""

from __future__ import annotations

import re
from pathlib import Path

from iapt_ds import spec as spec_module
from iapt_ds.spec import load_spec

README = (Path(__file__).resolve().parent.parent / "spec" / "README.md").read_text(encoding="utf-8")
MENTIONED = set(re.findall(r"`([^`]+)`", README))
WORDS = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", " ".join(MENTIONED)))
SPEC = load_spec()


def test_every_kind_and_parameter_is_documented():
    missing = [k for k in SPEC.kinds if k not in WORDS]
    missing += [f"{k}.{p}" for k, kind in SPEC.kinds.items() for p in kind.params if p not in WORDS]
    assert not missing, f"spec/README.md does not mention {missing}"


def test_every_rule_key_is_documented():
    assert [k for k in spec_module._RULE_KEYS if k not in WORDS] == []


def test_every_example_and_context_key_is_documented():
    keys = list(spec_module._EXAMPLE_SPECIAL) + [spec_module._FIRES] + [f"upload.{u}" for u in spec_module._UPLOAD_ITEMS] \
        + [f"reference_data.{r}" for r in spec_module._REFERENCE_KEYS]
    assert [k for k in keys if k not in WORDS] == []


def test_no_documented_kind_is_unknown():
    table = README[README.index("## Kinds"):README.index("## Examples")]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([a-z_]+)`", cell)}
    assert documented == set(SPEC.kinds)
