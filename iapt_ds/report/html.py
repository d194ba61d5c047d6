"""The HTML report: one self-contained page for a person.

Everything is inline (CSS, a little JavaScript, SVG bars); a Content-Security-Policy admits only
that inline style and script (by hash) and forbids every network request, so the page works
offline and a value from the submission can never load or run anything. Every piece of text is
escaped; data reaches the script only through escaped attributes.

The page: the outcome and counts; "fix these first" (root causes by rows taken down); rows by
table; each cascade as a tree from its root cause; every finding in a table that sorts (click a
heading) and filters by severity, table, code and text (also from the address:
``report.html#code=IDS00211``, ``#sev=file``, ``#table=IDS002``); each code found with the rule's
explanation; the rules that could not be checked.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import defaultdict
from collections.abc import Iterable
from typing import TextIO

from .. import __version__
from ..findings import Finding
from ..result import Result
from ..spec import Spec
from ._view import ReportView, ordinal_rank
from .explain import SEVERITY_WORDS, advice, checks

__all__ = ["write_html", "DEFAULT_LIMIT"]

#: findings listed in the page's table (and nodes drawn in its cascade trees): a browser stays
#: usable; the CSV and JSON reports hold every finding
DEFAULT_LIMIT = 50_000


def _e(value: object) -> str:
    """Escaped text for HTML content or a quoted attribute ('' for None)."""
    return "" if value is None else html.escape(str(value), quote=True)


_CSS = """
:root{--file:#9b1c1c;--group:#c2410c;--record:#6d28d9;--warning:#1d4ed8;--ok:#15803d;--ink:#1f2937;
--muted:#6b7280;--line:#e5e7eb;--bg:#f9fafb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);
background:var(--bg)}
header.top{padding:20px 32px;color:#fff;background:var(--ok)}
header.top.rejected{background:var(--file)}
header.top h1{margin:0 0 4px;font-size:26px}
header.top p{margin:0 0 10px;font-size:15px}
header.top dl{display:flex;flex-wrap:wrap;gap:4px 24px;margin:0 0 12px;font-size:13px}
header.top dt{font-weight:600}header.top dd{margin:0 0 0 6px;word-break:break-all}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.chips a{display:inline-block;padding:4px 12px;border-radius:999px;background:#fff;color:var(--ink);
text-decoration:none;font-weight:600}
nav{position:sticky;top:0;z-index:2;display:flex;gap:18px;padding:8px 32px;background:#fff;
border-bottom:1px solid var(--line)}
nav a{color:var(--ink);text-decoration:none;font-weight:600}nav a:hover{text-decoration:underline}
main{padding:8px 32px 32px}
section{margin:20px 0;padding:16px 20px;background:#fff;border:1px solid var(--line);border-radius:8px}
h2{margin:0 0 8px;font-size:18px}
.hint{margin:0 0 12px;color:var(--muted)}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.val,td.msg{word-break:break-word}
td.val{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:600}
.sev{display:inline-block;min-width:58px;padding:1px 8px;border-radius:4px;color:#fff;font-size:12px;
font-weight:600;text-align:center}
.sev-file{background:var(--file)}.sev-group{background:var(--group)}.sev-record{background:var(--record)}
.sev-warning{background:var(--warning)}
.status-inferred{color:var(--group);font-weight:600}
ol.roots{margin:0;padding-left:28px}ol.roots li{margin:0 0 10px}
.rows{display:inline-block;min-width:80px;font-weight:700}
.msg{color:#374151}
svg.bar rect.ok{fill:var(--ok)}svg.bar rect.bad{fill:var(--file)}svg.bar rect.none{fill:var(--line)}
details.cascade{margin:0 0 8px;border:1px solid var(--line);border-radius:6px;padding:6px 10px}
details.cascade>summary,ul.tree summary{cursor:pointer}
details.cascade>summary .msg{margin:2px 0 0 22px}
ul.tree{margin:4px 0 0 6px;padding-left:18px;border-left:2px solid var(--line)}
ul.tree li{margin:3px 0;list-style:none}
ul.tree li>.sev:first-child{margin-left:16px}
table.codes td:nth-child(5){width:38%}table.codes td:nth-child(6){width:26%}
.count{color:var(--muted)}
.controls{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:0 0 10px}
.controls label{font-weight:600}
select,input[type=search]{max-width:22em;padding:4px 6px;border:1px solid #d1d5db;border-radius:4px;font:inherit}
#findings-table thead th{position:sticky;top:37px;cursor:pointer;user-select:none}
#findings-table th[aria-sort=ascending]::after{content:" \\25B2"}
#findings-table th[aria-sort=descending]::after{content:" \\25BC"}
#findings-table tr:target{background:#fef3c7}
.note{color:var(--muted);font-size:13px}
footer{padding:0 32px 24px;color:var(--muted);font-size:12px}
"""

_JS = """
(function () {
  var table = document.getElementById("findings-table");
  if (!table) return;
  var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
  var sev = document.getElementById("f-sev"), tbl = document.getElementById("f-table"),
      code = document.getElementById("f-code"), text = document.getElementById("f-text"),
      shown = document.getElementById("f-count");
  function apply() {
    var s = sev.value, t = tbl.value, c = code.value, q = text.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!s || r.dataset.sev === s) && (!t || r.dataset.table === t) && (!c || r.dataset.code === c) &&
               (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + " of " + rows.length + " shown";
  }
  [sev, tbl, code].forEach(function (el) { el.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter]"), function (a) {
    a.addEventListener("click", function () {
      sev.value = ""; tbl.value = ""; code.value = ""; text.value = "";
      var pair = a.dataset.filter.split(":");
      ({sev: sev, table: tbl, code: code})[pair[0]].value = pair[1];
      apply();
    });
  });
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, i) {
    th.addEventListener("click", function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1, num = th.dataset.type === "num";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      function key(r) {
        var cell = r.cells[i], v = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent;
        return num ? (v === "" ? Infinity : Number(v)) : v.toLowerCase();
      }
      rows.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r); });
      body.appendChild(frag);
    });
  });
  var wanted = /^#(sev|table|code)=(.+)$/.exec(location.hash);
  if (wanted) ({sev: sev, table: tbl, code: code})[wanted[1]].value = decodeURIComponent(wanted[2]);
  apply();
})();
"""


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


_CSP = (f"default-src 'none'; style-src '{_sha256(_CSS)}'; script-src '{_sha256(_JS)}'; "
        "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'")


def _sev(severity: str) -> str:
    return f'<span class="sev sev-{_e(severity)}">{_e(severity)}</span>'


def _options(name: str, label: str, values: Iterable[tuple[str, str]]) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(text)}</option>' for v, text in values)
    return (f'<label for="f-{name}">{label}</label> <select id="f-{name}">'
            f'<option value="">all</option>{opts}</select>')


class _Page:
    """Writes the page section by section to the output stream."""

    def __init__(self, view: ReportView, out: TextIO, limit: int) -> None:
        self.view, self.out, self.limit = view, out, limit
        self.spec = view.spec
        self.result = view.result
        self.w = out.write

    def write(self) -> None:
        r = self.result
        verdict = "File accepted" if r.accepted else "File rejected"
        self.w('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
               f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">\n'
               '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
               f"<title>iapt-ds: {verdict} — {_e(r.source)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n")
        self.header(verdict)
        self.w('<nav><a href="#fix">Fix these first</a><a href="#tables">Rows by table</a>'
               '<a href="#cascades">Cascades</a><a href="#findings">All findings</a><a href="#codes">Codes</a>'
               '<a href="#not-checked">Not checked</a></nav>\n<main>\n')
        self.file_level()
        self.fix_first()
        self.tables()
        self.cascades()
        self.findings()
        self.codes()
        self.not_checked()
        self.w(f"</main>\n<footer>Made by iapt-ds {_e(__version__)} from the IAPT v{_e(self.spec.version)} spec. "
               "This page is self-contained: it makes no network requests.</footer>\n"
               f"<script>{_JS}</script>\n</body>\n</html>\n")

    def header(self, verdict: str) -> None:
        r = self.result
        rejected_rows = sum(t.rejected for t in r.tables.values())
        if r.accepted:
            words = "SDCS would accept this file" + (
                f", but {rejected_rows} rows would be rejected." if rejected_rows else " and every row in it.")
        else:
            words = "SDCS would reject the whole file: nothing in it would be loaded."
        self.w(f'<header class="top {"accepted" if r.accepted else "rejected"}">\n<h1>{verdict}</h1>\n'
               f"<p>{_e(words)}</p>\n<dl>")
        for label, value in self.view.checked():
            self.w(f"<dt>{_e(label[:1].upper() + label[1:])}</dt><dd>{_e(value)}</dd>")
        self.w(f"<dt>Findings</dt><dd>{len(r.findings)}</dd>")
        self.w('</dl>\n<ul class="chips">')
        for sev, n in r.counts_by_severity().items():
            self.w(f'<li><a href="#findings" data-filter="sev:{sev}">{n} {_e(SEVERITY_WORDS[sev])}'
                   f'{"s" if n != 1 else ""}</a></li>')
        self.w("</ul>\n</header>\n")

    def where(self, f: Finding) -> str:
        return _e(self.view.where(f))

    def link(self, f: Finding, index: int | None) -> str:
        """The finding's code and place, linked to its line in the findings table when listed."""
        label = f'<span class="code">{_e(f.code)}</span> at {self.where(f)}'
        return f'<a href="#f-{index}">{label}</a>' if index is not None and index < self.limit else label

    def file_level(self) -> None:
        found = self.result.file_findings
        if not found:
            return
        self.w(f'<section id="file-level"><h2>Why the file is rejected</h2>\n<p class="hint">{len(found)} '
               f'file-level finding{"s" if len(found) != 1 else ""}: each alone makes SDCS reject the whole '
               "submission.</p>\n<ul>\n")
        for f in found:
            self.w(f'<li>{self.link(f, self.view.index(f))}: '
                   f'<span class="msg">{_e(self.view.message(f))}</span></li>\n')
        self.w("</ul></section>\n")

    def fix_first(self) -> None:
        roots = self.view.root_causes()
        self.w('<section id="fix"><h2>Fix these first</h2>\n')
        if not roots:
            self.w('<p class="hint">No row is rejected.</p></section>\n')
            return
        self.w('<p class="hint">Each root cause with the number of rows it takes down (itself and '
               "every row rejected because of it). Fixing the first few often clears most of the report.</p>\n"
               '<ol class="roots">\n')
        for f, n in roots[:50]:
            self.w(f'<li><span class="rows">{n} row{"s" if n != 1 else ""}</span> {_sev(f.rule.severity)} '
                   f'{self.link(f, self.view.index(f))}<div class="msg">{_e(self.view.message(f))}</div></li>\n')
        self.w("</ol>\n")
        if len(roots) > 50:
            self.w(f'<p class="note">… and {len(roots) - 50} more root causes, all in the table below.</p>\n')
        self.w("</section>\n")

    def tables(self) -> None:
        self.w('<section id="tables"><h2>Rows by table</h2>\n<table><thead><tr><th>Table</th>'
               '<th class="num">Read</th><th class="num">Accepted</th><th class="num">Rejected</th>'
               '<th class="num">With warnings</th><th>Accepted / rejected</th></tr></thead><tbody>\n')
        for t in self.result.tables.values():
            ok = 0 if not t.read else round(160 * t.accepted / t.read)
            bar = (f'<svg class="bar" width="160" height="10" role="img" aria-label="{t.accepted} accepted, '
                   f'{t.rejected} rejected"><rect class="{"ok" if t.read else "none"}" width="{ok if t.read else 160}" '
                   f'height="10"/><rect class="bad" x="{ok}" width="{160 - ok if t.read else 0}" height="10"/></svg>')
            self.w(f'<tr><td><a href="#findings" data-filter="table:{_e(t.table)}"><code>{_e(t.table)}</code></a> '
                   f'{_e(t.name)}</td><td class="num">{t.read}</td><td class="num">{t.accepted}</td>'
                   f'<td class="num">{t.rejected}</td><td class="num">{t.with_warnings}</td><td>{bar}</td></tr>\n')
        self.w("</tbody></table></section>\n")

    def codes(self) -> None:
        codes = self.view.rules_present()
        self.w('<section id="codes"><h2>Codes found, and what each rule checks</h2>\n')
        if not codes:
            self.w('<p class="hint">No findings.</p></section>\n')
            return
        counts = self.result.counts_by_code()
        self.w('<table class="codes"><thead><tr><th>Code</th><th>Severity</th><th class="num">Findings</th>'
               "<th>Table · field</th><th>What it checks</th><th>What to do</th></tr></thead><tbody>\n")
        for code in codes:
            rule = self.spec.rules[code]
            where = " · ".join(x for x in (rule.table, ", ".join(rule.fields)) if x) or "the file"
            about = (f'<div class="note">Message: {_e(rule.message)}</div><div class="note">Kind '
                     f'<code>{_e(rule.kind)}</code> · <span class="status-{_e(rule.status)}">{_e(rule.status)}</span>'
                     + (f": {_e(rule.note)}" if rule.note else "") + "</div>")
            self.w(f'<tr id="rule-{_e(code)}"><td><a href="#findings" data-filter="code:{_e(code)}" '
                   f'class="code">{_e(code)}</a></td><td>{_sev(rule.severity)}</td><td class="num">{counts[code]}</td>'
                   f"<td>{_e(where)}</td><td>{_e(checks(rule, self.spec))}{about}</td>"
                   f"<td>{_e(advice(rule, self.spec))}</td></tr>\n")
        self.w("</tbody></table></section>\n")

    def cascades(self) -> None:
        children: dict[int, list[tuple[int, Finding]]] = defaultdict(list)
        for i, f in enumerate(self.result.findings):
            if f.cause is not None:
                children[id(f.cause)].append((i, f))
        roots = [(f, n) for f, n in self.view.root_causes() if id(f) in children]
        self.w('<section id="cascades"><h2>Cascades</h2>\n')
        if not roots:
            self.w('<p class="hint">No cascade: no row was rejected because a related row was.</p></section>\n')
            return
        self.w('<p class="hint">A rejected row takes down the rows that depend on it (its patient, their '
               "referrals, contacts, activities …). Each tree starts at a root cause: fix it and every row "
               "below it comes back. Click a line to fold or unfold it.</p>\n")
        budget = [self.limit]
        for k, (f, n) in enumerate(roots):
            self.w(f'<details class="cascade"{" open" if k < 3 else ""}><summary>{_sev(f.rule.severity)} '
                   f'{self.link(f, self.view.index(f))} <span class="count">— takes down {n} '
                   f'row{"s" if n != 1 else ""}</span><div class="msg">{_e(self.view.message(f))}</div></summary>\n')
            self.tree(f, children, budget, 1)
            self.w("</details>\n")
        if budget[0] <= 0:
            self.w(f'<p class="note">The trees stop after {self.limit} findings; the JSON report links every '
                   "finding to its cause.</p>\n")
        self.w("</section>\n")

    def tree(self, f: Finding, children: dict[int, list[tuple[int, Finding]]], budget: list[int],
             depth: int) -> None:
        """The findings caused by *f*, as a nested list (a node with children folds)."""
        self.w('<ul class="tree">\n')
        for i, c in children[id(f)]:
            if budget[0] <= 0:
                self.w('<li class="note">…</li>\n')
                break
            budget[0] -= 1
            node = (f"{_sev(c.rule.severity)} {self.link(c, i)}: "
                    f'<span class="msg">{_e(self.view.message(c, root=False))}</span>')
            if id(c) in children:
                self.w(f'<li><details{" open" if depth < 3 else ""}><summary>{node}</summary>\n')
                self.tree(c, children, budget, depth + 1)
                self.w("</details></li>\n")
            else:
                self.w(f"<li>{node}</li>\n")
        self.w("</ul>\n")

    def findings(self) -> None:
        r = self.result
        total = len(r.findings)
        self.w('<section id="findings"><h2>All findings</h2>\n')
        if not total:
            self.w('<p class="hint">No findings.</p></section>\n')
            return
        sevs = [(s, s) for s, n in r.counts_by_severity().items() if n]
        present = {f.table for f in r.findings}
        tables = [(t, f"{t} {self.spec.tables[t].name}") for t in r.tables if t in present]
        codes = [(c, f"{c} ({n})") for c, n in r.counts_by_code().items()]
        self.w('<div class="controls">' + _options("sev", "Severity", sevs) + _options("table", "Table", tables)
               + _options("code", "Code", codes)
               + '<label for="f-text">Search</label> <input id="f-text" type="search" placeholder="value, key, words…">'
               + '<span id="f-count" class="count"></span></div>\n')
        if total > self.limit:
            self.w(f'<p class="note">The first {self.limit} of {total} findings are listed; the CSV and JSON '
                   "reports hold them all.</p>\n")
        self.w('<table id="findings-table"><thead><tr><th class="num" data-type="num">#</th>'
               '<th data-type="num">Severity</th><th>Code</th><th>Table</th><th class="num" data-type="num">Row</th>'
               "<th>Key</th><th>Field</th><th>Value</th><th>Message</th><th>Root cause</th></tr></thead><tbody>\n")
        for f, rec in zip(r.findings[: self.limit], self.view.records()):
            cause = rec["caused_by"]
            root = ""
            if cause is not None:
                rt = cause["root"]
                place = f"{rt['table']} row {rt['row']}" if rt["row"] is not None else (rt["table"] or "the file")
                root = f'<a href="#f-{rt["id"]}"><span class="code">{_e(rt["code"])}</span> at {_e(place)}</a>'
            key = rec["key"]
            self.w(f'<tr id="f-{rec["id"]}" data-sev="{_e(rec["severity"])}" data-table="{_e(rec["table"] or "")}" '
                   f'data-code="{_e(rec["code"])}"><td class="num">{rec["id"]}</td>'
                   f'<td data-sort="{ordinal_rank(rec["severity"])}">{_sev(rec["severity"])}</td>'
                   f'<td><a href="#rule-{_e(rec["code"])}" class="code" title="{_e(f.rule.message)}">'
                   f'{_e(rec["code"])}</a></td>'
                   f'<td>{_e(rec["table"])}</td><td class="num">{_e(rec["row"])}</td>'
                   f'<td class="val" title="{_e(", ".join(key))}">{_e(", ".join(v or "" for v in key.values()))}</td>'
                   f'<td>{_e(rec["field"])}</td><td class="val">{_e(rec["value"])}</td>'
                   f'<td class="msg">{_e(self.view.message(f, root=False))}</td><td>{root}</td></tr>\n')
        self.w("</tbody></table></section>\n")

    def not_checked(self) -> None:
        nc = self.result.not_checked
        self.w('<section id="not-checked"><h2>Not checked</h2>\n')
        if not nc:
            self.w('<p class="hint">Every rule was checked.</p></section>\n')
            return
        self.w('<p class="hint">These rules need what SDCS takes from the upload or from national reference '
               "data; give it (the period, provider and sender, reference data) to check them.</p>\n"
               "<table><thead><tr><th>Code</th><th>Why not</th><th>What it checks</th></tr></thead><tbody>\n")
        for code, why in nc.items():
            self.w(f'<tr><td class="code">{_e(code)}</td><td>{_e(why)}</td>'
                   f"<td>{_e(checks(self.spec.rules[code], self.spec))}</td></tr>\n")
        self.w("</tbody></table></section>\n")


def write_html(result: Result, out: TextIO, *, redact: bool = False, spec: Spec | None = None,
               limit: int = DEFAULT_LIMIT) -> None:
    """Write *result* to the text stream *out* as one self-contained HTML page (UTF-8). *limit*
    caps the findings listed in the page (every count stays exact); *redact* masks personal
    identifiers."""
    _Page(ReportView(result, redact=redact, spec=spec), out, limit).write()
