"""Fast, deterministic synthetic submissions of any size, for benchmarks and differential tests.

The bundled example's seven patients (each with GP registrations, referrals, contacts,
activities, scores …) are used as templates: patient *n* is a copy of template ``n % 7`` with
its own identifiers (LocalPatientId, ServiceRequestId, CareContactId, CareActId), its own valid
NHS number and a birth date moved by up to a year. Proportions between tables are those of the
example (about 19 rows a patient). The result is valid under every rule.

With ``fault_rate`` a share of rows is broken: mostly by one of the failing examples of the
rules on that table (a plain field overlay from the spec), sometimes by writing the row twice
(which breaks the table's keys), chosen at random with the seed, so a faulty file has realistic
variety and every run with the same seed is identical.

For example ``write_csv_folder("bench/100k", rows=100_000, seed=1, fault_rate=0.03)``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from .parse import Invalid, parse_value
from .spec import Spec, load_spec
from .spec_examples import base_rows

__all__ = ["patients_for_rows", "iter_tables", "write_csv_folder", "nhs_numbers"]

# identifier columns renumbered per copy, and the table holding their definition
_ID_COLUMNS = ("LocalPatientId", "ServiceRequestId", "CareContactId", "CareActId")


def nhs_numbers(start: int = 0) -> Iterator[str]:
    """Distinct valid NHS numbers in the 999 test range (no palindromes, Modulus 11 passing)."""
    n = start
    while True:
        stem = f"999{n:06d}"[-9:]
        n += 1
        total = sum(int(d) * w for d, w in zip(stem, range(10, 1, -1)))
        check = 11 - total % 11
        if check == 10:
            continue
        number = stem + str(0 if check == 11 else check)
        if number[:5] != number[5:][::-1]:
            yield number


def _templates(spec: Spec) -> tuple[dict[str, list[dict]], list[dict[str, list[dict]]]]:
    """The rows copied as they are (the header and IDS902, by table id), and for each template
    patient its rows by table."""
    rows = base_rows(spec)
    patients = [r["LocalPatientId"] for r in rows["IDS001"]]
    by_patient: list[dict[str, list[dict]]] = [{} for _ in patients]
    for tid in spec.tables:
        if tid in (spec.header, "IDS902"):
            continue
        for r in rows[tid]:
            lpi = _lpi_of(spec, rows, tid, r)
            by_patient[patients.index(lpi)].setdefault(tid, []).append(r)
    return {spec.header: rows[spec.header], "IDS902": rows["IDS902"]}, by_patient


def _lpi_of(spec: Spec, rows, tid: str, r: dict) -> str:
    while "LocalPatientId" not in r:
        ptable, key = cast("tuple[str, str]", spec.tables[tid].parent)
        r = next(p for p in rows[ptable] if p[key] == r[key])
        tid = ptable
    return r["LocalPatientId"]


def _patients(total_rows: int, by_patient: list[dict[str, list[dict]]]) -> int:
    per = sum(len(v) for p in by_patient for v in p.values()) / len(by_patient)
    return max(1, round((total_rows - 6) / per))


def patients_for_rows(total_rows: int, spec: Spec | None = None) -> int:
    """How many patients make a submission of about *total_rows* rows."""
    spec = spec or load_spec()
    return _patients(total_rows, _templates(spec)[1])


def _storable(spec: Spec, tid: str, overlay: dict) -> bool:
    """Whether an Access IDB could hold the overlay's values (CSV text can hold anything)."""
    for name, text in overlay.items():
        f = spec.tables[tid].field_map[name]
        if text is None or f.type == "text":
            continue
        v = parse_value(f.type, text)
        if isinstance(v, Invalid) or (f.type == "date" and isinstance(v, _dt.datetime)):
            return False
    return True


def _fault_overlays(spec: Spec, storable_only: bool) -> dict[str, list[tuple[str, dict]]]:
    """table -> [(code, overlay)] from the rules' failing examples that are plain field overlays."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for rule in spec.rules.values():
        if rule.table is None or rule.table == spec.header or rule.kind in ("has_related", "unique", "one_open_per"):
            continue
        for ex in rule.examples["fail"]:
            if ex and not any(k.startswith("_") for k in ex):
                if storable_only and not _storable(spec, rule.table, ex):
                    continue
                out.setdefault(rule.table, []).append((rule.code, dict(ex)))
    return out


def iter_tables(total_rows: int, *, seed: int = 0, fault_rate: float = 0.0, storable_only: bool = False,
                spec: Spec | None = None) -> Iterator[tuple[str, list[str], Iterator[list[str | None]]]]:
    """(table id, columns, rows) for each table, rows as lists of text, generated lazily.

    *storable_only* keeps only faults an Access IDB could hold (no unparsable dates or numbers),
    for comparisons with tools that read such cells as NULL."""
    spec = spec or load_spec()
    fixed, by_patient = _templates(spec)
    n_patients = _patients(total_rows, by_patient)
    faults = _fault_overlays(spec, storable_only)

    for tid, t in spec.tables.items():
        columns = [f.name for f in t.fields]

        def rows(tid=tid, columns=columns) -> Iterator[list[str | None]]:
            rnd = random.Random(f"{seed}:{tid}")
            if tid == spec.header:
                yield [fixed[tid][0][c] for c in columns]
                return
            if tid == "IDS902":
                for r in fixed[tid]:
                    yield [r[c] for c in columns]
                return
            numbers = nhs_numbers(seed * 1_000_003 % 900_000)
            pool = faults.get(tid, [])
            id_cols = [c for c in _ID_COLUMNS if c in columns]
            for p in range(n_patients):
                template = by_patient[p % len(by_patient)]
                suffix = f"-{p:07d}"
                for r in template.get(tid, ()):
                    out = dict(r)
                    for c in id_cols:
                        if out[c] is not None:
                            out[c] = out[c][:12] + suffix
                    if tid == "IDS001":
                        out["NHSNumber"] = next(numbers)
                        b = _dt.date.fromisoformat(r["PersonBirthDate"]) - _dt.timedelta(days=rnd.randrange(365))
                        out["PersonBirthDate"] = b.isoformat()
                    if fault_rate and rnd.random() < fault_rate:
                        if not pool or rnd.random() < 0.2:
                            yield [out[c] for c in columns]  # a duplicate row: breaks the table's keys
                        else:
                            out.update(pool[rnd.randrange(len(pool))][1])
                    yield [out[c] for c in columns]

        yield tid, columns, rows()


def write_csv_folder(folder: Path | str, *, rows: int, seed: int = 0, fault_rate: float = 0.0,
                     storable_only: bool = False, spec: Spec | None = None) -> dict[str, int]:
    """Write a synthetic submission of about *rows* rows as a CSV folder; returns rows per table."""
    spec = spec or load_spec()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for tid, columns, table_rows in iter_tables(rows, seed=seed, fault_rate=fault_rate, storable_only=storable_only, spec=spec):
        n = 0
        with (folder / f"{spec.tables[tid].name}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(columns)
            for r in table_rows:
                w.writerow(["" if v is None else v for v in r])
                n += 1
        counts[tid] = n
    return counts
