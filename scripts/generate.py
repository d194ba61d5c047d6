#!/usr/bin/env python3
"""Regenerate the files derived from spec/, for every version: iapt_ds/records/, docs/rules*.md,
docs/data-model*.md, docs/versions.md, docs/kinds.md and iapt_ds/spec_compiled.json (the compiled spec)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iapt_ds._generate import write_all  # noqa: E402

if __name__ == "__main__":
    changed = write_all(ROOT)
    for path in changed:
        print(f"wrote {path.relative_to(ROOT)}")
    if not changed:
        print("generated files already in step with the spec")
