"""Shared test helpers: build CSV folders and in-memory submissions from a few rows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from iapt_ds.spec import load_spec

SPEC = load_spec()
EXAMPLE = Path(__file__).resolve().parent.parent / "iapt_ds" / "examples" / "march-2021"


def csv_text(rows: list[list[str | None]]) -> str:
    """RFC 4180 text; None is an empty unquoted field, '' a quoted empty one."""
    out = []
    for r in rows:
        cells = []
        for c in r:
            if c is None:
                cells.append("")
            elif c == "" or any(ch in c for ch in ',"\r\n'):
                cells.append('"' + c.replace('"', '""') + '"')
            else:
                cells.append(c)
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


def write_folder(folder: Path, tables: dict[str, list[dict[str, str | None]]] | None = None) -> Path:
    """Write all 19 tables (header row only unless rows are given) as a CSV folder."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = tables or {}
    for t in SPEC.tables.values():
        names = [f.name for f in t.fields]
        rows = [names] + [[r.get(n) for n in names] for r in tables.get(t.id, [])]
        (folder / f"{t.name}.csv").write_text(csv_text(rows), encoding="utf-8")
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "sub")


def shared_dir() -> Path:
    return Path(os.environ.get("IAPT_DS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
