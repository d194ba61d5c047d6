"""The ``iapt-ds`` command, run as a person runs it: ``python -m iapt_ds`` in a subprocess."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import iapt_ds
from conftest import shared_dir
from test_report_data import messy_folder


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iapt_ds", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, timeout=120)


def assert_usage_error(p: subprocess.CompletedProcess, words: str) -> None:
    assert p.returncode == 2, p.stderr
    assert p.stdout == ""
    assert p.stderr.count("\n") == 1 and words in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Path:
    return messy_folder(tmp_path_factory.mktemp("cli") / "sub")


@pytest.fixture(scope="module")
def warned(tmp_path_factory) -> Path:
    """The example with one invalid ethnic category: accepted, with a warning."""
    folder = tmp_path_factory.mktemp("cli") / "warned"
    shutil.copytree(iapt_ds.example_path(), folder)
    path = folder / "IDS001MPI.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",A,", ",Q,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


UPLOAD = ("--period", "2021-03", "--provider", "R1Z", "--sender", "R1Z", "--submitted-at", "2021-04-05T12:00:00")


def test_the_readme_command_accepts_the_example():
    p = run("validate", "--example", "--period", "2021-03", "--provider", "R1Z")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("ACCEPTED: SDCS would accept this file.")
    assert p.stderr == ""


def test_a_rejected_file_exits_1(messy):
    p = run("validate", str(messy), *UPLOAD)
    assert p.returncode == 1
    assert p.stdout.startswith("REJECTED") and "Fix these first" in p.stdout


def test_json_to_standard_output(messy):
    p = run("validate", str(messy), *UPLOAD, "--format", "json")
    doc = json.loads(p.stdout)
    assert (p.returncode, doc["format"], doc["outcome"]) == (1, "iapt-ds-report", "rejected")


def test_output_file_takes_its_format_from_the_suffix(messy, tmp_path):
    for name, check in (("r.html", lambda t: t.startswith("<!DOCTYPE html>")),
                        ("r.json", lambda t: json.loads(t)["version"] == 1),
                        ("r.csv", lambda t: next(csv.reader(io.StringIO(t)))[0] == "\ufeffid")):
        out = tmp_path / name
        p = run("validate", str(messy), *UPLOAD, "--output", str(out))
        assert p.returncode == 1 and p.stdout == ""
        assert p.stderr.startswith("rejected: ") and str(out) in p.stderr
        assert check(out.read_text(encoding="utf-8"))
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.csv", "r.html", "r.json"]  # no temporary files left


def test_redact(messy):
    p = run("validate", str(messy), *UPLOAD, "--format", "csv", "--redact")
    assert "R1Z0000101" not in p.stdout and "********01" in p.stdout


def test_fail_on(warned):
    assert run("validate", str(warned), *UPLOAD).returncode == 0
    assert run("validate", str(warned), *UPLOAD, "--fail-on", "record").returncode == 0
    assert run("validate", str(warned), *UPLOAD, "--fail-on", "warning").returncode == 1


@pytest.mark.parametrize("args, words", [
    (("validate",), "give the submission to validate"),
    (("validate", "--example", "somewhere"), "either PATH or --example"),
    (("validate", "no/such/folder"), "no/such/folder: no such file or folder"),
    (("validate", "--example", "--period", "2021-13"), "written YYYY-MM"),
    (("validate", "--example", "--period", "March"), "argument --period"),
    (("validate", "--example", "--submitted-at", "yesterday"), "ISO date-time"),
    (("validate", "--example", "--format", "xml"), "invalid choice: 'xml'"),
    (("validate", "--example", "--fail-on", "all"), "argument --fail-on"),
    (("validate", "--example", "--output", "/no/such/dir/r.html"), "cannot write /no/such/dir/r.html"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
    ((), "required: COMMAND"),
    (("explain", "IDS00212X"), "no rule 'IDS00212X'"),
    (("explain",), "required: CODE"),
    (("rules", "--table", "IDS999"), "no table 'IDS999'"),
    (("calendar", "2021/03"), "written YYYY-MM"),
])
def test_usage_errors_exit_2_with_one_line(args, words):
    assert_usage_error(run(*args), words)


def test_a_file_that_is_no_submission(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert_usage_error(run("validate", str(tmp_path / "notes.txt")), "not a submission")


def test_help_and_version():
    p = run("--help")
    assert p.returncode == 0 and all(c in p.stdout for c in ("validate", "rules", "explain", "calendar"))
    p = run("validate", "--help")
    assert p.returncode == 0 and "--fail-on" in p.stdout and "--redact" in p.stdout
    p = run("--version")
    assert (p.returncode, p.stdout.strip()) == (0, f"iapt-ds {iapt_ds.__version__}")


def test_rules_filters_by_table_and_severity():
    p = run("rules", "--table", "IDS002GP", "--severity", "group")
    assert p.returncode == 0
    lines = [line for line in p.stdout.splitlines() if line.startswith("IDS")]
    assert lines and all(line.split()[1:3] == ["group", "IDS002"] for line in lines)
    assert {line.split()[0] for line in lines} >= {"IDS00220", "IDS00221", "IDS00222"}
    assert f"{len(lines)} rules." in p.stdout


def test_rules_lists_all_382():
    p = run("rules")
    assert "382 rules." in p.stdout and "[inferred]" in p.stdout


def test_explain_a_rule():
    p = run("explain", "ids00211")
    assert p.returncode == 0
    out = " ".join(p.stdout.split())
    for words in ("IDS00211: record rejection", "table: IDS002 (IDS002GP)", "field: StartDateGMPRegistration",
                  "kind: date_compare (op=on_or_before", "status: confirmed", "What it checks",
                  "Rows that fall with a rejected IDS002 row: IDS001 rows with the same LocalPatientId (IDS00145).",
                  "Fails, for example", "'2021-04-02' is after the end of the reporting period",
                  "Passes, for example", "What to do"):
        assert words in out, words


def test_explain_an_inferred_rule_gives_its_note():
    out = run("explain", "IDSREJ015").stdout
    assert "status: inferred" in out and "note: Trigger reconstructed" in out


def test_explain_suggests_a_close_code():
    p = run("explain", "IDS0211")
    assert p.returncode == 2 and "did you mean" in p.stderr and "IDS00211" in p.stderr


def test_calendar_for_a_period():
    p = run("calendar", "2020-09")
    assert p.returncode == 0
    assert "Reporting period 2020-09 (September 2020): 2020-09-01 to 2020-09-30" in p.stdout
    assert "Unique_MonthID:   1446" in p.stdout
    assert "Primary window:   opens Thu 01 Oct 2020, closes Tue 27 Oct 2020" in p.stdout
    assert "Refresh window:   opens Sun 01 Nov 2020" in p.stdout and "a window for 11 periods" in p.stdout


def test_calendar_outside_v2():
    out = run("calendar", "2022-04", "--dataset-version", "2.0").stdout  # 2022-04 alone is v2.1's
    assert "Unique_MonthID:   1465" in out and "2022-04 is outside them" in " ".join(out.split())
    assert "Primary window:   none in the v2.0 calendar" in out


def test_the_whole_calendar():
    out = run("calendar", "--dataset-version", "2.0").stdout  # alone: every version's calendar
    rows = [line for line in out.splitlines() if line[:4] in ("2020", "2021", "2022")]
    assert len(rows) == 19 and rows[0].startswith("2020-09     1446  2020-10-01 to 2020-10-27")


def test_an_access_idb_shows_progress(tmp_path):
    fixture = shared_dir() / "access-fixtures" / "iapt_small_V2010.accdb.gz"
    if not fixture.exists():
        pytest.skip(f"no Access fixture at {fixture}")
    try:
        import iapt_ds.readers.idb  # noqa: F401
    except ImportError:
        pytest.skip("the Access IDB reader is not installed")
    idb = tmp_path / "small.accdb"
    idb.write_bytes(gzip.decompress(fixture.read_bytes()))
    p = run("validate", str(idb), *UPLOAD)
    assert p.returncode in (0, 1), p.stderr
    assert "IDS001MPI" not in p.stderr          # progress is for a terminal; -v tells each table
    p = run("validate", str(idb), *UPLOAD, "-v")
    assert "read IDS001MPI: 20 rows" in p.stderr and "read IDS000Header: 1 row\n" in p.stderr
    assert p.stdout.startswith(("ACCEPTED", "REJECTED"))


def test_reference_data_from_a_json_file(tmp_path):
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps({"organisations": ["R1Z", "15F"], "postcodes": []}))
    p = run("validate", "--example", "--period", "2021-03", "--provider", "R1Z", "--sender", "R1Z",
            "--reference-data", str(ref), "--format", "json")
    assert p.returncode == 0
    report = json.loads(p.stdout)
    codes = {f["code"] for f in report["findings"]}
    assert "IDS00125" in codes and "IDS00034" not in codes   # no postcode known; R1Z known
    assert "IDS00206" in report["not_checked"]                # GP practices not given


@pytest.mark.parametrize("content, words", [("[1]", "expected an object"), ("{", "not valid JSON"),
                                            ('{"postcodes": "LS1 4AP"}', "must be a list of codes")])
def test_bad_reference_data_is_a_usage_error(tmp_path, content, words):
    ref = tmp_path / "ref.json"
    ref.write_text(content)
    assert_usage_error(run("validate", "--example", "--reference-data", str(ref)), words)


def test_example_follows_dataset_version():
    """Regression: `--example --dataset-version 2.1` ran the v2.1 rules on the v2.0 example (and
    rejected it); it validates the bundled v2.1 example, which has no finding."""
    p = run("validate", "--example", "--dataset-version", "2.1", "--period", "2024-05", "--provider", "R1Z",
            "--sender", "R1Z", "--submitted-at", "2024-06-10T12:00:00", "--format", "json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["outcome"] == "accepted"
    assert report["findings"] == []
    assert report["dataset"]["version"] == "2.1"
    assert "may-2024" in report["source"]
