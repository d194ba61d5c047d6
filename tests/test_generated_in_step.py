"""Files generated from the spec must be in step with it (run scripts/generate.py)."""

from pathlib import Path

import pytest

from iapt_ds._generate import generated_files

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path, text", sorted(generated_files(ROOT).items()), ids=lambda p: str(p)[-30:])
def test_generated_file_in_step(path: Path, text: str):
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run scripts/generate.py"
    assert path.read_text(encoding="utf-8") == text, f"{path.relative_to(ROOT)} is out of step: run scripts/generate.py"


def test_record_classes_follow_the_idb_columns():
    from iapt_ds.records import RECORD_CLASSES
    from iapt_ds.spec import load_spec

    spec = load_spec()
    for tid, cls in RECORD_CLASSES.items():
        assert cls.__name__ == spec.tables[tid].name
        assert [a.name for a in cls.__attrs_attrs__] == [f.name for f in spec.tables[tid].fields]
