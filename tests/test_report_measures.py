"""The measures in the validation reports: the HTML section, and beside "fix these first" what each
group of root causes costs in the headline measures (HTML, text, xlsx); `validate --measures`."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds import measures
from iapt_ds.measures.report import cost_ranking, fix_costs
from iapt_ds.cli import main
from iapt_ds.errors import UsageError
from iapt_ds.report import write_report
from iapt_ds.testing.referrals import UPLOAD

UPLOAD_ARGS = ["--period", "2021-03", "--provider", "R1Z", "--sender", "R1Z", "--submitted-at", "2021-04-05T12:00:00"]
#: the webinar's example: three GP registrations starting after the period take their patients down
GP_ROWS = (0, 1, 3)
COST_WORDS = "would bring back 1 finished referral, 1 recovery, 1 reliable improvement and 1 reliable recovery"


def gp_folder(folder: Path) -> Path:
    shutil.copytree(iapt_ds.example_path(), folder)
    path = folder / "IDS002GP.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for i in GP_ROWS:
        rows[i]["StartDateGMPRegistration"] = "2021-05-01"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def gp(tmp_path_factory):
    folder = gp_folder(tmp_path_factory.mktemp("gp") / "sub")
    sub = iapt_ds.read(folder)
    return folder, sub, iapt_ds.validate(sub, **UPLOAD)


def _text(result, fmt="html", **kw) -> str:
    out = io.StringIO()
    write_report(result, out, fmt, **kw)
    return out.getvalue()


def test_the_cost_of_the_gp_rows_is_what_the_measures_lose(gp):
    _, sub, result = gp
    p = measures.compute(sub, result)
    (cost,) = cost_ranking(p)
    assert cost.code == "IDS00211" and dict(cost.rows) == {"IDS002": 3}
    assert cost.words() == f"fixing IDS00211 on 3 IDS002 rows {COST_WORDS}"
    # what it brings back is the difference between the totals now and with every row accepted
    assert p.totals["finished"] + cost.gains["finished"] == p.if_all_accepted["finished"] == 2
    assert p.totals["recovered"] + cost.gains["recovered"] == p.if_all_accepted["recovered"] == 1


def test_html_report_has_the_measures_section_and_the_cost_beside_fix_first(gp):
    _, sub, result = gp
    page = _text(result, measures=sub)
    assert '<a href="#measures">Measures</a>' in page
    section = page[page.index('<section id="measures"'):]
    section = section[:section.index("</section>")]
    assert "Headline measures (preview)" in section and "What the findings cost, most costly first" in section
    # each cost names its code once, marked as code (it was "IDS00211: fixing IDS00211 ...")
    assert "<li>fixing <code>IDS00211</code> on 3 IDS002 rows" in section
    costs = section[section.index('id="measures-cost"'):]
    costs = costs[:costs.index("</ol>")]
    assert costs.count("IDS00211") == 1
    # the column "with every rejected row accepted" gives a rate's fraction as well as its percentage
    cells = re.findall(r"<td class=num>([^<]*)</td>", section)
    assert any(re.fullmatch(r"\d+/\d+ = \d+\.\d%", c) for c in cells[1::2] if c), cells
    # the measures come after "fix these first", and each group of root causes says what it costs
    assert page.index('id="fix"') < page.index('id="measures"')
    fix = page[page.index('<table id="fix-groups">'):page.index("</table>", page.index('<table id="fix-groups">'))]
    assert "What it costs in the" in fix
    assert f'<td class="cost">{COST_WORDS}</td>' in fix
    # the same page, from a Preview computed beforehand
    assert _text(result, measures=measures.compute(sub, result)) == page


def test_html_report_without_measures_is_unchanged(gp):
    _, _, result = gp
    page = _text(result)
    assert 'id="measures"' not in page and "What it costs" not in page and "#measures" not in page


def test_text_report_shows_the_cost_only_when_asked(gp):
    _, sub, result = gp
    assert "costs:" not in _text(result, "text") and "Headline measures" not in _text(result, "text")
    text = _text(result, "text", measures=sub)
    fix = text[text.index("Fix these first"):]
    assert re.search(r"costs: would bring back 1 finished referral, 1 recovery, 1 reliable\s+improvement", fix)
    assert "Finished a course of treatment:    1   (with every rejected row accepted: 2)" in text
    assert "Recovery rate:                     0/1 = 0.0%  (target 50%)   (with every rejected row accepted: 1/2 = " \
           "50.0%)" in text
    assert "   1. fixing IDS00211 on 3 IDS002 rows would bring back" in text


def test_the_cost_words_of_each_kind_of_group():
    sub = iapt_ds.read(iapt_ds.example_path())
    rejected = iapt_ds.validate(sub, **{**UPLOAD, "provider": "XXX"})
    words = fix_costs(measures.compute(sub, rejected))
    assert words("IDSREJ015", "file") == ("the whole file: would bring back 2 finished referrals, 1 recovery, "
                                          "2 reliable improvements and 1 reliable recovery")
    # the header row's own fault rejects it, and a rejected header rejects the file (IDSREJ015):
    # fixing the header's code lifts the file-level rejection (was "none of the headline measures")
    assert words("IDS00030", "record") == ("the whole file, through IDSREJ015: would bring back 2 finished "
                                           "referrals, 1 recovery, 2 reliable improvements and 1 reliable recovery")
    (file_cost,) = [c for c in measures.compute(sub, rejected).costs if c.file_level]
    assert file_cost.together == ("IDSREJ015",) and "IDS00030" in file_cost.through
    assert file_cost.as_dict()["through"] == list(file_cost.through)
    assert words("IDS00115", "warning") == "nothing: a warning rejects no row"


def test_xlsx_fix_first_has_the_cost_column(gp, tmp_path):
    pytest.importorskip("xlsxwriter")
    openpyxl = pytest.importorskip("openpyxl")
    _, sub, result = gp
    path = tmp_path / "r.xlsx"
    write_report(result, path, "xlsx", measures=sub)
    rows = [r for r in openpyxl.load_workbook(path)["Fix first"].iter_rows(values_only=True) if any(r)]
    head = next(r for r in rows if r[0] == "rank")
    assert head[-1] == "what it costs in the headline measures (preview)"
    first = dict(zip(head, rows[rows.index(head) + 1]))
    assert first["code"] == "IDS00211" and first[head[-1]] == COST_WORDS
    path2 = tmp_path / "plain.xlsx"
    write_report(result, path2, "xlsx")
    plain = [r for r in openpyxl.load_workbook(path2)["Fix first"].iter_rows(values_only=True) if r[0] == "rank"]
    assert plain[0][-1] == "action"


def test_misuse_of_measures_is_told(gp):
    _, sub, result = gp
    with pytest.raises(UsageError, match="the json report does not show the measures"):
        _text(result, "json", measures=sub)
    with pytest.raises(UsageError, match="a redacted report needs redacted measures"):
        _text(result, redact=True, measures=measures.compute(sub, result))
    with pytest.raises(UsageError, match="measures= takes the Submission that was validated"):
        _text(result, measures="yes")


def test_a_redacted_report_masks_the_patients_in_its_measures(gp):
    _, sub, result = gp
    page = _text(result, redact=True, measures=sub)
    assert 'id="measures"' in page and "R1Z0000101" not in page


def test_validate_html_shows_the_measures_by_default(gp, tmp_path, capsys):
    folder, _, _ = gp
    out = tmp_path / "r.html"
    assert main(["validate", str(folder), *UPLOAD_ARGS, "--output", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert '<section id="measures"' in page and f'<td class="cost">{COST_WORDS}</td>' in page
    assert main(["validate", str(folder), *UPLOAD_ARGS, "--output", str(out), "--no-measures"]) == 0
    assert 'id="measures"' not in out.read_text(encoding="utf-8")


def test_validate_text_shows_the_measures_when_asked(gp, capsys):
    folder, _, _ = gp
    assert main(["validate", str(folder), *UPLOAD_ARGS]) == 0
    assert "costs:" not in capsys.readouterr().out
    assert main(["validate", str(folder), *UPLOAD_ARGS, "--measures"]) == 0
    out = capsys.readouterr().out
    assert "costs: would bring back 1 finished referral" in out and "Headline measures, a PREVIEW" in out
    assert main(["validate", str(folder), *UPLOAD_ARGS, "--measures", "--format", "json"]) == 2
    assert "--measures is shown in the html, text, xlsx reports, not json" in capsys.readouterr().err


def test_validate_html_without_a_period_warns_and_still_reports(tmp_path, capsys):
    folder = tmp_path / "sub"
    shutil.copytree(iapt_ds.example_path(), folder)
    (folder / "IDS000Header.csv").unlink()
    out = tmp_path / "r.html"
    assert main(["validate", str(folder), "--output", str(out)]) == 1
    assert "warning: the report has no measures" in capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert "File rejected" in page and 'id="measures"' not in page


def test_validate_many_writes_the_measures_into_each_html_report(gp, tmp_path, capsys):
    folder, _, _ = gp
    plain = tmp_path / "plain"
    shutil.copytree(iapt_ds.example_path(), plain)
    outdir = tmp_path / "reports"
    main(["validate", str(folder), str(plain), *UPLOAD_ARGS, "--output", str(outdir), "--format", "html"])
    pages = {p.name: p.read_text(encoding="utf-8") for p in outdir.glob("*.html")}
    assert set(pages) == {"sub.html", "plain.html"}
    assert all('<section id="measures"' in page for page in pages.values())
    assert COST_WORDS in pages["sub.html"] and COST_WORDS not in pages["plain.html"]


@pytest.mark.parametrize("version, example", [("2.0", "march-2021"), ("2.1", "may-2024")])
def test_measures_dataset_version_on_each_bundled_example(version, example, capsys):
    assert main(["measures", "--example", "--dataset-version", version, "--format", "json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["version"] == version and data["source"].endswith(example)
    counts = data["totals"]["counts"]
    # a non-trivial preview: referrals finish, one recovers, one waits more than 6 weeks
    assert (counts["finished"], counts["recovered"], counts["reliable_improvement"]) == (2, 1, 2)
    assert data["totals"]["rates"]["six_week_rate"]["numerator"] == 1
    assert len(data["referrals"]) == 7


def test_measures_dataset_version_runs_that_versions_rules(capsys):
    # the v2.0 example read with the v2.1 rules: the measures follow the rules named, not DatSetVer
    path = str(iapt_ds.example_path("2.0"))
    assert main(["measures", path, "--dataset-version", "2.1", "--format", "json", "--no-cost"]) == 0
    import json

    assert json.loads(capsys.readouterr().out)["version"] == "2.1"
    assert main(["measures", path, "--format", "json", "--no-cost"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "2.0"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_the_measures_in_headless_chromium(gp, tmp_path):
    import subprocess

    _, sub, result = gp
    page = tmp_path / "report.html"
    page.write_text(_text(result, measures=sub), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri() + "#code=IDS00211"], capture_output=True,
                         text=True, timeout=120).stdout
    # the page's script ran beside the measures (the filter from the address applied) ...
    assert re.search(r'id="f-count"[^>]*>3 of %d shown<' % len(result.findings), dom)
    # ... and the measures are on the page: the cost beside "fix these first", the section, its lists
    assert f'<td class="cost">{COST_WORDS}</td>' in dom
    section = dom[dom.index('<section id="measures"'):]
    assert "Finished a course of treatment" in section and "fixing <code>IDS00211</code> on 3 IDS002 rows" in section
    assert "<summary>Rejected referrals (they count in nothing): 2</summary>" in section
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri() + "#measures"],
                   capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
