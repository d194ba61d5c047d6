"""Many submissions at once: `iapt-ds validate A B DIR/ …` and a folder of submissions give one
summary table and a report for each; the exit status is the worst of them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import iapt_ds
from test_report_data import messy_folder

UPLOAD = ["--period", "2021-03", "--provider", "R1Z", "--sender", "R1Z", "--submitted-at", "2021-04-05T12:00:00"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iapt_ds", "validate", *args], capture_output=True, text=True)


def _lines(stdout: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in stdout.splitlines()[1:] if line.strip() and "/" in line.split()[0]}


def test_several_submissions_one_table_and_a_report_each(tmp_path: Path):
    good = tmp_path / "feb"
    shutil.copytree(iapt_ds.example_path(), good)
    bad = messy_folder(tmp_path / "mar")
    zipped = tmp_path / "apr.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        for p in iapt_ds.example_path().iterdir():
            z.write(p, p.name)
    out = tmp_path / "reports"
    p = run(str(good), str(bad), str(zipped), *UPLOAD, "--output", str(out), "--format", "json")
    assert p.returncode == 1, p.stderr                       # the worst: one file is rejected
    rows = _lines(p.stdout)
    assert rows[str(good)][1] == "accepted" and rows[str(zipped)][1] == "accepted"
    assert rows[str(bad)][1:6] == ["rejected", "4", "101", "8", "5"]
    assert sorted(x.name for x in out.iterdir()) == ["apr.json", "feb.json", "mar.json"]
    assert "3 submissions: 2 accepted, 1 rejected, 0 could not be read." in p.stdout


def test_a_folder_of_submissions_and_an_unreadable_one(tmp_path: Path):
    month = tmp_path / "extracts"
    for name in ("2021-02", "2021-03"):
        shutil.copytree(iapt_ds.example_path(), month / name)
    (month / "notes.txt").write_text("not a submission")
    p = run(str(month), *UPLOAD)
    assert p.returncode == 0, p.stderr
    assert set(_lines(p.stdout)) == {str(month / "2021-02"), str(month / "2021-03")}
    empty = tmp_path / "empty"
    empty.mkdir()
    p = run(str(month / "2021-02"), str(empty), *UPLOAD)
    assert p.returncode == 2
    assert "the folder is empty" in p.stdout and "1 could not be read" in p.stdout


def test_several_submissions_need_an_output_folder_for_files(tmp_path: Path):
    a = tmp_path / "a"
    shutil.copytree(iapt_ds.example_path(), a)
    p = run(str(a), str(a), *UPLOAD, "--format", "html")
    assert p.returncode == 2 and "give --output DIR" in p.stderr
    f = tmp_path / "file.html"
    f.write_text("x")
    p = run(str(a), str(a), *UPLOAD, "--output", str(f))
    assert p.returncode == 2 and "names a folder" in p.stderr
    p = run(str(a), str(a), *UPLOAD, "--output", str(tmp_path / "out"))
    assert p.returncode == 0
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == ["a-2.html", "a.html"]
