"""Input that is not a submission gets one input error with a hint (exit 2), not two dozen file
rejections; a .zip holding one submission is read directly."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.errors import InputError
from iapt_ds.readers import read

EXAMPLE = iapt_ds.example_path()


def _codes(result) -> list[str]:
    return sorted(f.code for f in result.findings)


def test_an_empty_folder(tmp_path: Path):
    with pytest.raises(InputError, match="the folder is empty"):
        read(tmp_path)


def test_the_folder_around_the_submission_folder(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "March2021" / "iapt_small")
    with pytest.raises(InputError, match=r"did you mean .*March2021/iapt_small\?") as caught:
        read(tmp_path / "March2021")
    assert "holds 19 of them" in str(caught.value)
    with pytest.raises(InputError, match=r"did you mean .*March2021/iapt_small\?"):   # two levels down
        read(tmp_path)


def test_a_folder_of_other_files(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "budget.csv").write_text("a,b\n")
    with pytest.raises(InputError, match=r"not a submission: no IDS\*\.csv table file in it \(it holds budget.csv"):
        read(tmp_path)


def test_a_folder_holding_an_idb_or_a_zip(tmp_path: Path):
    (tmp_path / "March.accdb").write_bytes(b"")
    with pytest.raises(InputError, match=r"an Access IDB; did you mean .*March.accdb\?"):
        read(tmp_path)


def test_misnamed_csv_files(tmp_path: Path):
    for p in EXAMPLE.iterdir():
        shutil.copy(p, tmp_path / p.name)
    (tmp_path / "IDS001MPI.csv").rename(tmp_path / "IDS001MPI - Copy.csv")
    (tmp_path / "IDS002GP.csv").rename(tmp_path / "IDS002 GP.csv")
    result = iapt_ds.validate(tmp_path)
    words = " ".join(f.message for f in result.findings if f.code == "IDSREJ001")
    assert "IDS001MPI - Copy.csv is not a table of the v2.0 IDB; did you mean IDS001MPI.csv?" in words
    assert "IDS002 GP.csv is not a table of the v2.0 IDB; did you mean IDS002GP.csv?" in words


def test_only_misnamed_files_is_an_input_error_naming_the_rename(tmp_path: Path):
    shutil.copy(EXAMPLE / "IDS001MPI.csv", tmp_path / "IDS001MPI - Copy.csv")
    with pytest.raises(InputError, match=r"IDS001MPI - Copy.csv looks like IDS001MPI: rename it IDS001MPI.csv"):
        read(tmp_path)


def test_a_compressed_file(tmp_path: Path):
    gz = tmp_path / "March2021.accdb.gz"
    gz.write_bytes(gzip.compress(b"not really"))
    with pytest.raises(InputError, match=r"a compressed file; decompress it first \(with gunzip\), then give "
                                         r"March2021.accdb"):
        read(gz)


def test_a_zip_of_the_folder_is_read_directly(tmp_path: Path):
    zpath = tmp_path / "March2021.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for p in EXAMPLE.iterdir():
            z.write(p, f"March2021/{p.name}")
        z.writestr("__MACOSX/March2021/._IDS001MPI.csv", b"junk")
    direct = iapt_ds.validate(EXAMPLE, period="2021-03")
    zipped = iapt_ds.validate(zpath, period="2021-03")
    assert zipped.outcome == direct.outcome == "accepted"
    assert _codes(zipped) == _codes(direct)
    assert {t: r.read for t, r in zipped.tables.items()} == {t: r.read for t, r in direct.tables.items()}
    assert zipped.source == f"{zpath}!March2021/"
    assert zpath.exists() and not list(tmp_path.glob("IDS*"))      # nothing unpacked beside it


def test_a_zip_with_no_or_two_submissions(tmp_path: Path):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("readme.txt", "hi")
    with pytest.raises(InputError, match="holds no submission"):
        read(empty)
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as z:
        for folder in ("Feb", "Mar"):
            z.write(EXAMPLE / "IDS000Header.csv", f"{folder}/IDS000Header.csv")
    with pytest.raises(InputError, match="holds more than one submission"):
        read(two)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK not a zip")
    with pytest.raises(InputError, match="not a readable .zip"):
        read(bad)


def test_a_zip_member_cannot_escape_the_temporary_folder(tmp_path: Path):
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for p in EXAMPLE.iterdir():
            z.write(p, f"../../{p.name}")
    result = iapt_ds.validate(zpath)
    assert result.outcome == "accepted"
    assert not (tmp_path.parent / "IDS001MPI.csv").exists()


def test_cli_input_error_is_one_line_exit_2(tmp_path: Path):
    p = subprocess.run([sys.executable, "-m", "iapt_ds", "validate", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "the folder is empty" in p.stderr


def test_an_access_file_without_ids_tables(tmp_path: Path, monkeypatch):
    from iapt_ds.readers import idb

    class _Db:
        linked_tables: list[str] = []
        table_names = ["Customers", "Orders", "Switchboard Items"]

        def __enter__(self):
            return self

        def table(self, name):
            class _T:
                columns: list = []
            return _T()

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(idb, "open_idb", lambda path: _Db())
    path = tmp_path / "accounts.accdb"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"accounts.accdb: an Access file, but not an IAPT IDB: it has no IDS table "
                                         r"\(it holds Customers, Orders, Switchboard Items\)"):
        idb.read_idb(path)


@pytest.mark.parametrize("birth, words", [
    ("06/02/1967", "'06/02/1967' is impossible: it is not a date in the form YYYY-MM-DD."),
    ("1967-02-30", "'1967-02-30' is impossible: it is not a calendar date."),
    ("2022-01-01", "'2022-01-01' is impossible: it is after the end of the reporting period (2021-03-31)."),
    ("1890-01-01", "'1890-01-01' is impossible: the patient would be 131 at the start of the reporting period "
                   "(2021-03-01), over 120."),
])
def test_idsrej008_says_which_limit_failed(birth, words):
    from iapt_ds.spec import load_spec
    from iapt_ds.spec_examples import base_rows

    spec = load_spec()
    rows = base_rows(spec)
    rows["IDS001"][0]["PersonBirthDate"] = birth
    result = iapt_ds.validate({spec.tables[t].name: v for t, v in rows.items()}, period="2021-03")
    found = [f for f in result.findings if f.code == "IDSREJ008"]
    assert len(found) == 1 and found[0].message == "Person Birth Date " + words
