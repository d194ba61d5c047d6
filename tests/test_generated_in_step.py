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
    from iapt_ds.records import RECORD_CLASSES, VERSIONS, record_classes
    from iapt_ds.spec import load_spec
    from iapt_ds.version_choice import known_versions, specs_by_version

    assert RECORD_CLASSES is record_classes("2.0")
    assert VERSIONS == known_versions()
    for version, spec in specs_by_version().items():
        classes = record_classes(version)
        assert list(classes) == list(spec.tables)
        for tid, cls in classes.items():
            assert cls.__name__ == spec.tables[tid].name
            assert [a.name for a in cls.__attrs_attrs__] == [f.name for f in spec.tables[tid].fields]
    assert load_spec().version == "2.0"


def test_a_row_becomes_the_record_class_of_its_version():
    import iapt_ds

    sub = iapt_ds.read(iapt_ds.example_path())
    record = sub.tables["IDS001"].record(0)
    assert type(record).__module__ == "iapt_ds.records.v2_0" and record.LocalPatientId == "R1Z0000101"


def test_a_later_version_imports_the_record_classes_it_leaves_unchanged():
    # v2.1 is a delta: a table whose columns (names, types, items, uids) and description are as
    # in v2.0 is v2.0's class, imported, not a restated copy; a changed or new table is its own
    import inspect

    from iapt_ds.records import v2_0, v2_1

    def shape(cls):
        return cls.__name__, cls.__doc__, [(a.name, a.type, dict(a.metadata)) for a in cls.__attrs_attrs__]

    shared, own = [], []
    for tid, cls in v2_1.RECORD_CLASSES.items():
        base = v2_0.RECORD_CLASSES.get(tid)
        if base is not None and shape(base) == shape(cls):
            assert cls is base, tid
            shared.append(tid)
        else:
            assert cls.__module__ == "iapt_ds.records.v2_1", tid
            own.append(tid)
    assert {"IDS000", "IDS902"} <= set(shared) and {"IDS001", "IDS003", "IDS601"} <= set(own)
    source = inspect.getsource(v2_1)
    assert source.count("\nclass ") == len(own)
    assert all(f"class {v2_1.RECORD_CLASSES[t].__name__}:" not in source for t in shared)
