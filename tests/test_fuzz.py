"""Fuzzing in the suite: mutated CSV folders and damaged Access files, seeded and bounded.

Each case damages a valid submission the way real files are damaged — cells missing or extra,
headers swapped or lost, stray quotes, line breaks and carriage returns, bad bytes, truncation,
hostile values (control and bidi characters, full-width digits, thousands of digits, megabytes of
text, NHS numbers in the wrong column) — and asserts:

* no exception escapes ``validate`` (bad data is a finding; only an unreadable Access file is an
  ``InputError``), and the CLI's exit status is 0, 1 or 2 — 1 exactly when the file is rejected;
* every row read is accepted or rejected: read = accepted + rejected, per table;
* the run finishes within a bound linear in the input's size;
* no identifier of the input (NHS number, local patient identifier, postcode, birth date) appears
  in a redacted report, in any format.

The default profile runs a few dozen cases in seconds. ``IAPT_DS_FUZZ=deep`` runs many more
(``IAPT_DS_FUZZ_CASES`` sets how many, ``IAPT_DS_FUZZ_SEED`` the seed) for a longer campaign.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import shutil
import time
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds import cli, validate
from iapt_ds.errors import InputError
from iapt_ds.parse import render
from iapt_ds.readers import read
from iapt_ds.report import BINARY_FORMATS, FORMATS

from conftest import EXAMPLE, shared_dir
from test_report_data import sensitive_values

DEEP = os.environ.get("IAPT_DS_FUZZ", "") == "deep"
SEED = int(os.environ.get("IAPT_DS_FUZZ_SEED", "15"))
CSV_CASES = int(os.environ.get("IAPT_DS_FUZZ_CASES", "400" if DEEP else "14"))
IDB_CASES = int(os.environ.get("IAPT_DS_FUZZ_CASES", "200" if DEEP else "6"))
UPLOAD = {"period": "2021-03", "provider": "R1Z", "sender": "R1Z", "submitted_at": "2021-04-10T12:00:00"}
FIXTURES = shared_dir() / "access-fixtures"

# a bound linear in the input: generous, for a slow shared CI machine
FIXED_SECONDS, SECONDS_PER_MB = 30.0, 30.0

# values a person or a broken export puts in a cell
NHS_PLANTED = ("9434765870", "943 476 5870", "４０１０２３２１３７")
HOSTILE = (
    "\x1b[2J\x1b]0;x\x07", "\u202egnp.exe", "a\u200bb", "\r", "\n", "\r\n", '"', '""', ",", "\ufeff",
    "１２３", "７２０４３３０００", "9" * 5000, "-" * 300, "2022-01-17", "25:00:00", "11:00", "9999-12-31",
    "0000-00-00", "1e309", "NaN", "-0", "\x00", "\ufffd", "x" * 200_000,
) + NHS_PLANTED
FORMAT_NAMES = sorted(FORMATS)


def _identifiers(folder: Path) -> set[str]:
    words = " ".join(r.message for r in iapt_ds.load_spec().rules.values())
    return {s for s in sensitive_values(folder) | set(NHS_PLANTED) if s not in words and len(s) >= 4}


SECRETS = _identifiers(EXAMPLE)


def _report_text(result, fmt: str) -> str:
    if fmt in BINARY_FORMATS:
        raw = io.BytesIO()
        try:
            FORMATS[fmt](result, raw, redact=True)
        except ImportError:  # the xlsx extra is not installed
            return ""
        data = raw.getvalue()
        try:
            openpyxl = __import__("openpyxl")
        except ImportError:
            return data.decode("latin-1")
        raw.seek(0)
        book = openpyxl.load_workbook(raw, read_only=True)
        return "\n".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    out = io.StringIO()
    FORMATS[fmt](result, out, redact=True)
    return out.getvalue()


def _check(result, size: int, seconds: float, secrets: set[str], what: str) -> None:
    assert seconds < FIXED_SECONDS + SECONDS_PER_MB * size / 1e6, f"{what}: {seconds:.1f} s for {size} bytes"
    for tid, t in result.tables.items():
        assert t.read == t.accepted + t.rejected, f"{what}: {tid} read {t.read} != {t.accepted} + {t.rejected}"
        assert len(result.rejected_rows(tid)) == t.rejected, what
    for fmt in FORMAT_NAMES:
        text = _report_text(result, fmt)
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{what}: the redacted {fmt} report shows {leaked[:3]}"


# ------------------------------------------------------------------------------ CSV folders

def _mutate_csv(rng: random.Random, folder: Path) -> list[str]:
    """Damage one or more tables of *folder*; returns what was done (for the failure message)."""
    done = []
    files = sorted(folder.glob("*.csv"))
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(files)
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        kind = rng.choice(["drop-cell", "extra-cell", "swap-header", "no-header", "stray-quote", "hostile",
                           "hostile", "truncate", "flip-byte", "blank-lines", "cr-endings", "duplicate-row",
                           "delete-file", "multi-line"])
        done.append(f"{kind} {path.name}")
        body = [ln for ln in lines[1:] if ln.strip()]
        row = rng.randrange(len(body)) if body else None
        if kind == "delete-file":
            path.unlink()
            files.remove(path)
            if not files:
                break
            continue
        if kind == "truncate":
            path.write_bytes(raw[: rng.randrange(len(raw) + 1)])
            continue
        if kind == "flip-byte" and raw:
            i = rng.randrange(len(raw))
            path.write_bytes(raw[:i] + bytes([rng.choice([0xFF, 0xC3, 0x80, 0x00, 0x22, 0x0D, 0x2C])]) + raw[i + 1:])
            continue
        if kind == "blank-lines":
            lines.insert(rng.randrange(1, len(lines) + 1), b"")
        elif kind == "cr-endings":
            lines = [ln + b"\r" for ln in lines] if rng.random() < 0.5 else lines + [b"\r"]
        elif kind == "no-header":
            lines = lines[1:]
        elif kind == "swap-header":
            names = lines[0].split(b",")
            if len(names) > 1:
                a, b = rng.sample(range(len(names)), 2)
                names[a], names[b] = names[b], names[a]
                lines[0] = b",".join(names)
        elif row is not None:
            i = lines.index(body[row])
            cells = lines[i].split(b",")
            c = rng.randrange(len(cells))
            if kind == "drop-cell" and len(cells) > 1:
                del cells[c]
            elif kind == "extra-cell":
                cells.insert(c, rng.choice([b"1985-06-14", b"x", b""]))
            elif kind == "stray-quote":
                cells[c] = b'"' + cells[c]
            elif kind == "multi-line":
                cells[c] = b'"' + cells[c] + b"\r\n" + cells[c] + b'"'
            elif kind == "duplicate-row":
                lines.insert(i, lines[i])
            else:  # hostile
                value = rng.choice(HOSTILE)
                text = '"' + value.replace('"', '""') + '"' if any(ch in value for ch in ',"\r\n') else value
                cells[c] = text.encode("utf-8")
            lines[i] = b",".join(cells)
        path.write_bytes(b"\n".join(lines))
    return done


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


@pytest.mark.parametrize("case", range(CSV_CASES))
def test_fuzz_csv_folder(tmp_path, case, capsys):
    rng = random.Random(SEED * 100_003 + case)
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLE, folder)
    done = _mutate_csv(rng, folder)
    what = f"case {case} (seed {SEED}): {'; '.join(done)}"
    start = time.perf_counter()
    result = validate(folder, **UPLOAD)
    seconds = time.perf_counter() - start
    _check(result, _folder_size(folder), seconds, SECRETS, what)
    # the command line, as a person runs it, on the same folder
    fmt = FORMAT_NAMES[case % len(FORMAT_NAMES)]
    out = tmp_path / f"report.{'txt' if fmt == 'text' else fmt}"
    status = cli.main(["validate", str(folder), *sum((["--" + k.replace("_", "-"), v] for k, v in UPLOAD.items()), []),
                       "--redact", "--output", str(out)])
    err = capsys.readouterr().err
    assert status in (0, 1, 2), what
    assert "Traceback" not in err and "internal error" not in err, f"{what}: {err}"
    assert status == (0 if result.accepted else 1), f"{what}: exit {status}: {err}"


# ------------------------------------------------------------------------------ Access files

_IDB_SOURCES = ("iapt_small_V2010.accdb.gz", "iapt_small_V2003.mdb.gz", "iapt_small_V2019.accdb.gz")


@pytest.fixture(scope="module")
def idb_sources(tmp_path_factory) -> list[tuple[bytes, set[str]]]:
    if not FIXTURES.is_dir():
        pytest.skip(f"the Access fixtures are not at {FIXTURES} (set IAPT_DS_SHARED to the folder holding "
                    "access-fixtures/)")
    found = []
    folder = tmp_path_factory.mktemp("idb")
    for name in _IDB_SOURCES:
        src = FIXTURES / name
        if not src.exists():
            continue
        data = gzip.decompress(src.read_bytes())
        path = folder / name[:-3]
        path.write_bytes(data)
        clean = read(path)
        secrets = set()
        other = set()
        sensitive = clean.spec.sensitive_fields
        for t in clean.tables.values():
            for f in t.spec.fields:
                texts = {x for x in (render(v) for v in t.values[f.name]) if x}
                (secrets if f.name in sensitive else other).update(texts)
        found.append((data, {s for s in secrets - other if len(s) >= 4}))
    if not found:
        pytest.skip(f"none of {', '.join(_IDB_SOURCES)} is in {FIXTURES}")
    return found


def _mutate_idb(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    page = 4096
    pages = len(data) // page
    kind = rng.choice(["flip-bytes", "flip-bytes", "truncate", "zero-page", "copy-page", "garbage-page"])
    buf = bytearray(data)
    if kind == "flip-bytes":
        for _ in range(rng.randint(1, 40)):
            i = rng.randrange(page, len(buf))  # the header stays: its checks are tested elsewhere
            buf[i] = rng.randrange(256)
    elif kind == "truncate":
        cut = rng.randrange(len(buf))
        if rng.random() < 0.7:
            cut -= cut % page
        del buf[cut:]
    else:
        n = rng.randrange(1, pages)
        if kind == "zero-page":
            buf[n * page:(n + 1) * page] = bytes(page)
        elif kind == "copy-page":
            m = rng.randrange(1, pages)
            buf[n * page:(n + 1) * page] = data[m * page:(m + 1) * page]
        else:
            buf[n * page:(n + 1) * page] = bytes(rng.randrange(256) for _ in range(page))
    return bytes(buf), f"{kind}"


@pytest.mark.parametrize("case", range(IDB_CASES))
def test_fuzz_access_file(tmp_path, case, idb_sources, capsys):
    rng = random.Random(SEED * 200_003 + case)
    data, secrets = idb_sources[case % len(idb_sources)]
    damaged, kind = _mutate_idb(rng, data)
    path = tmp_path / ("in.accdb" if case % 2 == 0 else "in.mdb")
    path.write_bytes(damaged)
    what = f"Access case {case} (seed {SEED}): {kind}"
    start = time.perf_counter()
    try:
        result = validate(path, **UPLOAD)
    except InputError:
        result = None  # the file cannot be read at all: the CLI says so, exit 2
    seconds = time.perf_counter() - start
    if result is not None:
        _check(result, len(damaged), seconds, secrets, what)
    status = cli.main(["validate", str(path), *sum((["--" + k.replace("_", "-"), v] for k, v in UPLOAD.items()), []),
                       "--redact", "--format", "json", "--output", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, f"{what}: {err}"
    expected = 2 if result is None else (0 if result.accepted else 1)
    assert status == expected, f"{what}: exit {status}: {err}"
    assert path.read_bytes() == damaged  # the input is never modified
