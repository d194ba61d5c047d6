"""Every writer describes a result with the rules it ran from: a v2.1 result in v2.1's words
(ConsMechanism, not v2.0's ConsMediumUsed), whatever the default version is; even a result that
does not carry its spec is described by its version's."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import attrs
import pytest

import iapt_ds
from iapt_ds.errors import UsageError
from iapt_ds.report import FORMATS, write_report
from iapt_ds.spec import load_spec

V20, V21 = load_spec(version="2.0"), load_spec(version="2.1")
#: IDS20120 checks a column renamed in v2.1, with a different code list: its words differ
CODE = "IDS20120"
NEW_WORDS, OLD_WORDS = "ConsMechanism", "ConsMediumUsed"


def _v21_result(tmp: Path):
    folder = tmp / "may-2024"
    shutil.copytree(iapt_ds.example_path("2.1"), folder)
    contact = folder / "IDS201CareContact.csv"
    lines = contact.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    at = head.index("ConsMechanism")
    cells = lines[1].split(",")
    cells[at] = "03"          # a v2.0 code (face to face in ConsMediumUsed), not one of v2.1's
    lines[1] = ",".join(cells)
    contact.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return iapt_ds.validate(folder)


@pytest.fixture(scope="module")
def v21_result(tmp_path_factory):
    result = _v21_result(tmp_path_factory.mktemp("spec"))
    assert result.dataset_version == "2.1" and result.counts_by_code().get(CODE) == 1
    return result


def test_the_rule_texts_differ_between_versions():
    """The premise: v2.0 describes this code with words no v2.1 report may show."""
    from iapt_ds.report.explain import checks

    assert OLD_WORDS in checks(V20.rules[CODE], V20) and OLD_WORDS not in checks(V21.rules[CODE], V21)
    assert NEW_WORDS in checks(V21.rules[CODE], V21)


def _written(result, fmt: str, tmp: Path) -> str:
    if fmt == "xlsx":
        openpyxl = pytest.importorskip("openpyxl")
        pytest.importorskip("xlsxwriter")
        path = tmp / "r.xlsx"
        write_report(result, str(path), "xlsx")
        wb = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                         for v in row if v is not None)
    out = io.StringIO()
    write_report(result, out, fmt)
    return out.getvalue()


def _described(text: str) -> str:
    """*text* without the spec's notes on where a v2.1 rule came from (which name v2.0's column)."""
    import re

    return re.sub(r"v2\.0&#x27;s rule on ConsMediumUsed[^<]*|v2\.0's rule on ConsMediumUsed[^\n\"]*", "", text)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_v21_result_is_described_in_v21_words(v21_result, fmt, tmp_path):
    text = _described(_written(v21_result, fmt, tmp_path))
    assert CODE in text and NEW_WORDS in text
    assert OLD_WORDS not in text, fmt


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_result_without_its_spec_is_described_by_its_version(v21_result, fmt, tmp_path):
    """A result that does not carry its spec (built by hand) is not described by the default
    version's words but by its own version's."""
    bare = attrs.evolve(v21_result, spec=None)
    assert bare.dataset_version == "2.1"
    text = _described(_written(bare, fmt, tmp_path))
    assert NEW_WORDS in text and OLD_WORDS not in text, fmt


def test_another_versions_spec_is_refused(v21_result):
    with pytest.raises(UsageError, match=r"v2\.1 rules.*v2\.0"):
        write_report(v21_result, io.StringIO(), "text", spec=V20)
    out = io.StringIO()
    write_report(v21_result, out, "text", spec=V21)     # its own: fine
    assert NEW_WORDS in out.getvalue()
