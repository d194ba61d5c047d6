"""The HTML report: self-contained, escaped, cascades as trees, sortable and filterable; checked
in headless Chromium when it is installed."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import iapt_ds
from iapt_ds.report import write_html
from test_report_data import IMG, SCRIPT, UNICODE, messy_fixture  # noqa: F401  (a fixture)


def _page(result, **kw) -> str:
    out = io.StringIO()
    write_html(result, out, **kw)
    return out.getvalue()


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> and <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("style", "script") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in:
            self.inline[self._in] = self.inline.get(self._in, "") + data


def _parse(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    return p


def test_hostile_values_are_inert(messy):
    result, _ = messy
    page = _page(result)
    tags = _parse(page)
    names = [t for t, _ in tags.tags]
    assert names.count("script") == 1 and "img" not in names and "iframe" not in names
    assert all(not k.startswith("on") for _, attrs in tags.tags for k in attrs)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert SCRIPT not in page and IMG not in page
    assert UNICODE in page


def test_self_contained_and_locked_down(messy):
    result, _ = messy
    tags = _parse(_page(result))
    assert not [t for t, a in tags.tags if t in ("link", "img", "iframe", "object", "embed")]
    assert all(a.get("href", "#").startswith("#") for _, a in tags.tags)
    assert not any("src" in a for _, a in tags.tags)
    csp = next(a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    for kind in ("style", "script"):
        digest = base64.b64encode(hashlib.sha256(tags.inline[kind].encode()).digest()).decode()
        assert f"{kind}-src 'sha256-{digest}'" in csp


def test_filters_and_rows(messy):
    result, _ = messy
    tags = _parse(_page(result))
    rows = [a for t, a in tags.tags if t == "tr" and (a.get("id") or "").startswith("f-")]
    assert len(rows) == len(result.findings)
    assert {a["data-sev"] for a in rows} == {"file", "group", "record", "warning"}
    options = {a["value"] for t, a in tags.tags if t == "option"}
    assert {"file", "warning", "IDS00211", "IDS002", "IDS607"} <= options
    rule_rows = {a["id"] for t, a in tags.tags if t == "tr" and (a.get("id") or "").startswith("rule-")}
    assert rule_rows == {f"rule-{c}" for c in result.counts_by_code()}


def test_each_cascade_is_a_tree_from_its_root(messy):
    result, _ = messy
    page = _page(result)
    cascades = page[page.index('<section id="cascades">'):page.index('<section id="findings">')]
    start = cascades.index('<details class="cascade"')
    first = cascades[start:cascades.index('<details class="cascade"', start + 1)]
    assert "IDS00211</span> at IDS002 row 1" in first and "takes down 29 rows" in first
    # the chain GP → patient → referral → contact → activity → score, each one level deeper
    chain = ["IDS00145", "IDS10101", "IDS20142", "IDS20224", "IDS60708"]
    before = [first[:first.index(f"{code}</span>")] for code in chain]
    depth = [b.count("<ul") - b.count("</ul") for b in before]
    assert depth == [1, 2, 3, 4, 5]


def test_the_rule_is_explained_beside_each_code(messy):
    result, _ = messy
    page = _page(result)
    row = page[page.index('<tr id="rule-IDS00211">'):]
    row = row[:row.index("</tr>")]
    assert "on or before ReportingPeriodEndDate (IDS000) plus 1 day" in row
    assert "date_compare" in row and "confirmed" in row and "Message: Start Date" in row


def test_limit_caps_the_listed_findings_only(messy):
    result, _ = messy
    page = _page(result, limit=10)
    assert page.count('<tr id="f-') == 10
    assert f"The first 10 of {len(result.findings)} findings are listed" in page
    assert f"<dd>{len(result.findings)}</dd>" in page


def test_redacted_page_says_so(messy):
    result, _ = messy
    assert "<dt>Redacted</dt>" in _page(result, redact=True)
    assert "<dt>Redacted</dt>" not in _page(result)


def test_an_accepted_file():
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z")
    page = _page(result)
    assert "<h1>File accepted</h1>" in page and "No row is rejected." in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_in_headless_chromium(messy, tmp_path: Path):
    result, _ = messy
    page = tmp_path / "report.html"
    page.write_text(_page(result), encoding="utf-8")
    profile = tmp_path / "profile"
    dom = subprocess.run([CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                          f"{page.as_uri()}#code=IDS00211"], capture_output=True, text=True, timeout=120).stdout
    # the page's own script ran (the CSP admitted it) and applied the filter from the address
    assert re.search(r'id="f-count"[^>]*>2 of %d shown<' % len(result.findings), dom)
    assert dom.count("hidden") >= len(result.findings) - 2
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                    "--window-size=1400,1000", page.as_uri()], capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
