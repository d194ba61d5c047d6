"""The HTML report: self-contained, escaped, cascades as trees, sortable and filterable; checked
in headless Chromium when it is installed."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest

import iapt_ds
from iapt_ds.report import write_html
from test_report_data import IMG, SCRIPT, UNICODE, messy_fixture  # noqa: F401  (a fixture)


def _page(result, **kw) -> str:
    out = io.StringIO()
    write_html(result, out, **kw)
    return out.getvalue()


class _Tags(HTMLParser):
    """Every start tag with its attributes, the text of <style> and of the executable <script>,
    and the JSON data block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._in = None
        if tag == "style" or (tag == "script" and attrs.get("type") is None):
            self._in = tag
        elif tag == "script" and attrs.get("type") == "application/json":
            self._in = "data"

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in:
            self.inline[self._in] = self.inline.get(self._in, "") + data


def _parse(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    return p


def _data(page: str) -> dict:
    return json.loads(_parse(page).inline["data"])


def test_hostile_values_are_inert(messy):
    result, _ = messy
    page = _page(result)
    tags = _parse(page)
    scripts = [a for t, a in tags.tags if t == "script"]
    assert [a.get("type") for a in scripts] == ["application/json", None]   # data, then the one script
    names = [t for t, _ in tags.tags]
    assert "img" not in names and "iframe" not in names
    assert all(not k.startswith("on") for _, attrs in tags.tags for k in attrs)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page      # written by the page (file level)
    assert SCRIPT not in page and IMG not in page and "</script" not in tags.inline["data"]
    assert "<" not in tags.inline["data"]
    values = json.dumps(_data(page)["f"], ensure_ascii=False)
    assert json.dumps(SCRIPT)[1:-1] in values and json.dumps(IMG)[1:-1] in values   # data, to be shown as text
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


def test_every_finding_is_in_the_data_once(messy):
    result, _ = messy
    data = _data(_page(result))
    assert len(data["f"]) == len(result.findings)
    assert [data["codes"][x[0]] for x in data["f"]] == [f.code for f in result.findings]
    assert [x[2] if len(x) > 2 else None for x in data["f"]] == [f.row for f in result.findings]
    position = {id(f): i for i, f in enumerate(result.findings)}
    for x, f in zip(data["f"], result.findings):
        cause = x[6] if len(x) > 6 else None
        assert cause == (position[id(f.cause)] if f.cause is not None else None)
        if f.cause is not None:
            assert x[7] == position[id(f.root)]
    assert set(data["roots"]) == {position[id(f)] for f, _ in result.root_causes()} | {
        position[id(f)] for f in result.file_findings}


def test_messages_are_made_from_the_templates_as_python_makes_them(messy):
    """The page renders each message from its rule's template; the same fill in Python gives the
    finding's own message (so the page's words are the report's words)."""
    result, _ = messy
    data = _data(_page(result))
    for x, f in zip(data["f"], result.findings):
        x = x + [None] * (12 - len(x))
        vals = [] if x[5] is None else [x[5]] if isinstance(x[5], str) else x[5]
        first = vals[0] if vals and vals[0] is not None else ""
        fill = {"value": first, "values": ", ".join("" if v is None else v for v in vals),
                "other": x[8] or "", "expected": data["s"][x[9]] if x[9] is not None else "",
                "length": len(first), "detail": x[10] or ""}
        text = re.sub(r"\{(\w+)\}", lambda m: str(fill.get(m.group(1), "")), data["tmpl"][x[0]])
        assert text == attrs.evolve(f, cause=None).message


def test_filters_and_codes(messy):
    result, _ = messy
    tags = _parse(_page(result))
    options = {a.get("value") for t, a in tags.tags if t == "option"}
    assert {"file", "warning", "IDS00211", "IDS002", "IDS607", "NHSNumberStatus"} <= options
    rule_rows = {a["id"] for t, a in tags.tags if t == "tr" and (a.get("id") or "").startswith("rule-")}
    assert rule_rows == {f"rule-{c}" for c in result.counts_by_code()}


def test_file_level_findings_are_grouped_by_code_and_folded(messy):
    result, _ = messy
    page = _page(result)
    part = page[page.index('<section id="file-level">'):page.index('<section id="fix">')]
    assert part.count('<details class="group">') == len({f.code for f in result.file_findings})
    assert "<details class=\"group\" open" not in part
    assert '<span class="rows">× 2</span>' in part and 'href="#code=IDSREJ007">show all 2 in the table' in part


def test_fix_first_groups_by_code_and_field_file_level_first(messy):
    result, _ = messy
    page = _page(result)
    part = page[page.index('<table id="fix-groups">'):]
    part = part[:part.index("</table>")]
    codes = re.findall(r'<a class="code" href="#code=(\w+)', part)
    assert codes[:3] == ["IDSREJ007", "IDSREJ006", "IDSREJ001"] and codes[3] == "IDS00211"
    assert "#code=IDS00115&amp;field=NHSNumberStatus&amp;roots=1" in part
    assert part.count("the whole file") == 3


def test_no_silent_cap_and_no_raw_templates_in_tooltips(messy):
    result, _ = messy
    big = attrs.evolve(result, findings=result.findings * 500)     # 59,000 findings: over the old cap
    page = _page(big)
    assert len(_data(page)["f"]) == len(big.findings)
    assert "are listed" not in page
    tags = _parse(page)
    assert not [a for _, a in tags.tags if "{value}" in (a.get("title") or "")]
    assert "{value}" not in "".join(_data(page)["checks"])


def test_a_zero_count_is_not_a_link(tmp_path):
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z")
    page = _page(result)
    assert '<span class="none">0 warnings</span>' in page and 'href="#sev=warning"' not in page


def test_accepted_with_rejected_rows_is_amber():
    from iapt_ds.spec import load_spec
    from iapt_ds.spec_examples import base_rows

    spec = load_spec()
    rows = base_rows(spec)
    rows["IDS002"][0]["StartDateGMPRegistration"] = "2021-05-01"      # one record rejection
    partial = iapt_ds.validate({spec.tables[t].name: v for t, v in rows.items()}, period="2021-03")
    assert partial.accepted and sum(t.rejected for t in partial.tables.values())
    page = _page(partial)
    assert '<header class="top partial">' in page and "<h1>File accepted, with rejected rows</h1>" in page


def test_redacted_page_says_so(messy):
    result, _ = messy
    assert "<dt>Redacted</dt>" in _page(result, redact=True)
    assert "<dt>Redacted</dt>" not in _page(result)


def test_an_accepted_file():
    result = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", provider="R1Z")
    page = _page(result)
    assert '<header class="top accepted">' in page
    assert "<h1>File accepted</h1>" in page and "No row is rejected." in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync"]


def _dom(page: Path, fragment: str, profile: Path) -> str:
    return subprocess.run([CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri() + fragment],
                          capture_output=True, text=True, timeout=120).stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_in_headless_chromium(messy, tmp_path: Path):
    result, _ = messy
    page = tmp_path / "report.html"
    page.write_text(_page(result), encoding="utf-8")
    profile = tmp_path / "profile"
    n = len(result.findings)
    # the page's own script ran (the CSP admitted it) and applied the filter from the address
    dom = _dom(page, "#code=IDS00211", profile)
    assert re.search(r'id="f-count"[^>]*>2 of %d shown<' % n, dom)
    assert len(re.findall(r'<tr id="f-\d+"', dom)) == 2
    # hostile values are text on the page, never markup
    dom = _dom(page, "#code=IDS00132", profile)
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom and "<img" not in dom
    # a link to a finding the filters hide clears them and shows its page
    dom = _dom(page, f"#code=IDS00211&go={n - 1}", profile)
    assert f'<tr class="hit" id="f-{n - 1}">' in dom
    assert re.search(r'id="f-count"[^>]*>%d of %d shown<' % (n, n), dom) and f"page 2 of 2" in dom
    # the first cascades are drawn as trees, nested
    dom = _dom(page, "", profile)
    cascades = dom[dom.index('id="cascade-list"'):dom.index('id="cascade-more"')]
    assert cascades.count('<details class="cascade"') == len(
        [f for f, _ in result.root_causes() if any(g.cause is f for g in result.findings)])
    assert '<ul class="tree"><li><details open=""><summary>' in cascades.replace("\n", "")
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                    "--window-size=1400,1000", page.as_uri()], capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_an_address_with_a_filter_shows_the_filtered_findings_on_screen(messy, tmp_path: Path):
    """Regression: a screenshot of the report opened at ``#code=IDS00211`` was blank. The page
    was right; ``chromium --screenshot`` captures nothing once a page is scrolled (the address's
    filter scrolls to the findings). Taken from the page's own session, the picture shows the
    filtered rows just below the sticky navigation."""
    from _chromium import Browser, png_colours

    result, _ = messy
    page = tmp_path / "report.html"
    page.write_text(_page(result), encoding="utf-8")
    with Browser(1400, 1000) as b:
        b.open(page.as_uri() + "#code=IDS00211")
        seen = b.js("""(function () {
            var nav = document.querySelector("nav").getBoundingClientRect(),
                sec = document.getElementById("findings").getBoundingClientRect(),
                rows = Array.prototype.map.call(document.querySelectorAll("#findings-body tr"),
                    function (tr) { var r = tr.getBoundingClientRect(); return [r.top, r.bottom]; });
            var kv = document.querySelectorAll("#findings-body td .kv:not(.long)");
            return {scrolled: scrollY, navBottom: nav.bottom, top: sec.top, height: innerHeight, rows: rows,
                    count: document.getElementById("f-count").textContent, values: kv.length,
                    split: Array.prototype.filter.call(kv, function (s) { return s.getClientRects().length > 1; }).length};
        })()""")
        shot = b.screenshot(tmp_path / "filtered.png")
    assert seen["scrolled"] > 0 and seen["count"].startswith("2 of ")
    # the heading is not hidden by the sticky navigation, and both rows are on screen
    assert seen["navBottom"] <= seen["top"] < seen["height"] / 2
    assert len(seen["rows"]) == 2 and all(0 < top and bottom <= seen["height"] for top, bottom in seen["rows"])
    assert png_colours(shot.read_bytes()) > 100      # not a blank picture
    # a key's values (LocalPatientId, GP code, date) break between them, never inside one
    assert seen["values"] == 6 and seen["split"] == 0


def test_png_colours_tells_a_blank_picture(tmp_path: Path):
    """The check above can fail: one colour is a handful of byte values."""
    import struct
    import zlib as z

    from _chromium import png_colours

    def png(rows: list[bytes], width: int) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", z.crc32(kind + data))
        head = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", z.compress(b"".join(b"\0" + r for r in rows))) \
            + chunk(b"IEND", b"")

    blank = png([bytes([250, 250, 252]) * 50] * 20, 50)
    busy = png([bytes(range(i, i + 150)) for i in range(20)], 50)
    assert png_colours(blank) < 10 and png_colours(busy) > 100


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_the_findings_table_fits_a_laptop_screen(tmp_path: Path):
    """Regression: with realistic keys (LocalPatientId-ServiceRequestId, dates) kept whole, the
    findings table was wider than a 1400-pixel window and its last column ("Takes down") was cut
    off. The message column gives way instead.

    Regression too: in a 1280-pixel window sorted by value, and in a 1024-pixel one whatever the
    order, the table ran past its card and the page scrolled sideways. A key of a few short values
    was kept on one line as a whole, a root cause's link held a long faulty identifier as one
    unbreakable word, and the page's margins were those of a wide screen."""
    from _chromium import Browser

    from iapt_ds.report import write_html
    from iapt_ds.synthetic import write_csv_folder

    write_csv_folder(tmp_path / "sub", rows=3_000, seed=1, fault_rate=0.1)
    result = iapt_ds.validate(tmp_path / "sub", period="2021-03", provider="R1Z", sender="R1Z")
    page = tmp_path / "report.html"
    with page.open("w", encoding="utf-8") as fh:
        write_html(result, fh)
    probe = """(function () {
        var t = document.getElementById("findings-table"), s = document.getElementById("findings").getBoundingClientRect(),
            rows = t.querySelectorAll("tbody tr");
        return {page: document.documentElement.scrollWidth, window: innerWidth, table: t.getBoundingClientRect().right,
                card: s.right, rows: rows.length,
                roots: [].filter.call(rows, function (r) { return r.children[9].textContent; }).length};
    })()"""
    roots = 0
    for width in (1400, 1280, 1024):
        for order in ("-value", "-key", "-down", "-field", "id"):
            with Browser(width, 1000) as b:
                b.open(page.as_uri() + "#sort=" + order)
                b.js('var s = document.getElementById("p-size"); s.value = "500"; s.dispatchEvent(new Event("change"))')
                seen = b.js(probe)
            assert seen["rows"] == 500, seen
            assert seen["page"] <= seen["window"] and seen["table"] <= seen["card"], (width, order, seen)
            roots += seen["roots"]
    assert roots, "no page shown had a root cause's link in it"


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_fix_these_first_fits_a_laptop_screen(tmp_path: Path):
    """Regression: "Fix these first", with the measures' cost column, was wider than its card in
    a 1400-pixel window and its last column ("What to do") was cut off: long field names
    (ReferralRequestReceivedDate) and unwrapped headings widened it. Field names now break between
    words, and on a narrower window the table scrolls inside its card rather than running past it."""
    from _chromium import Browser

    from iapt_ds.readers import read_csv_folder
    from iapt_ds.synthetic import write_csv_folder

    write_csv_folder(tmp_path / "sub", rows=3_000, seed=1, fault_rate=0.1)
    sub = read_csv_folder(tmp_path / "sub")
    result = iapt_ds.validate(sub, period="2021-03", provider="R1Z", sender="R1Z")
    page = tmp_path / "report.html"
    with page.open("w", encoding="utf-8") as fh:
        write_html(result, fh, measures=sub)
    probe = """(function () {
        var t = document.getElementById("fix-groups"), s = document.getElementById("fix").getBoundingClientRect(),
            w = t.parentElement.getBoundingClientRect(), heads = t.querySelectorAll("thead th");
        return {page: document.documentElement.scrollWidth, window: innerWidth, table: t.getBoundingClientRect().right,
                box: w.right, card: s.right, last: heads[heads.length - 1].textContent, columns: heads.length,
                fields: [].map.call(t.querySelectorAll("tbody tr"), function (r) { return r.children[3].textContent; })};
    })()"""
    for width in (1400, 1280, 1024):
        with Browser(width, 1000) as b:
            b.open(page.as_uri() + "#fix")
            seen = b.js(probe)
        assert seen["columns"] == 9 and seen["last"] == "What to do", seen      # the cost column is there
        assert seen["box"] <= seen["card"], (width, seen)                         # never past its card
        if width >= 1280:                                                          # no sideways scrolling at all
            assert seen["page"] <= seen["window"] and seen["table"] <= seen["card"], (width, seen)
    # the break opportunities are not text: a field reads (and copies) whole
    from iapt_ds.spec import load_spec
    names = {n for t in load_spec().tables.values() for n in t.field_names}
    assert set(seen["fields"]) <= names | {""}, seen["fields"]
    assert any(len(f) > 20 for f in seen["fields"]), seen["fields"]
