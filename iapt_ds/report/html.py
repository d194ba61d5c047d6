"""The HTML report: one self-contained page for a person, fast at any size.

Everything is inline (CSS, one script, the data); a Content-Security-Policy admits only that
inline style and script (by hash) and forbids every network request, so the page works offline
and a value from the submission can never load or run anything. Text the page itself writes is
escaped; the findings reach the script once, as compact JSON in a ``<script type="application/json">``
block (never executed; ``<`` written as ``\\u003c``), and the script puts them on the page only as
text nodes.

The findings are held once, as arrays with a table of shared strings; each message is made from
its rule's template when a row is shown. The findings table shows one page of rows at a time;
filters (severity, table, code, field, root causes only, text) and sorts run on keys computed once
at load, so a page of 100,000 findings filters in milliseconds. Every finding is reachable: the
pager goes to the last one, and a link to a finding that the filters hide clears them first.

The page: the outcome (green, amber for "accepted, with rejected rows", red) and what was
checked; "why the file is rejected" (file-level findings grouped by code, folded); "fix these
first" (root causes grouped by code and field, file level first, then by the rows they take down;
then each root cause); rows by table; measures (when a result carries them); each cascade as a
tree from its root cause, drawn when opened; every finding; each code found with the rule's
explanation; the rules that could not be checked. Filters also come from the address:
``report.html#code=IDS00211``, ``#sev=file``, ``#table=IDS002``, ``#code=IDS00115&field=NHSNumberStatus``,
``#roots=1``, ``#sort=-down``, ``#f-123`` (one finding).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable
from itertools import repeat
from typing import Any, TextIO

from .. import __version__
from ..findings import Finding, Findings
from ..result import Result
from ..spec import Spec
from ..measures._compute import Preview, for_report
from ..measures.fix import fix_costs
from ..measures.report import html_section
from ._view import ReportView, Run, ordinal_rank, plain_runs
from .explain import SEVERITY_WORDS, advice, checks

__all__ = ["write_html", "DEFAULT_LIMIT"]

#: kept for callers that passed ``limit``: the page now holds every finding, so it is not a cap
DEFAULT_LIMIT = None

#: file-level findings listed under each code in "why the file is rejected" (all are in the table)
FILE_LEVEL_SHOWN = 20
#: single root causes listed in "fix these first" (all are in the table: "root causes only")
ROOTS_SHOWN = 10


def _e(value: object) -> str:
    """Escaped text for HTML content or a quoted attribute ('' for None)."""
    return "" if value is None else html.escape(str(value), quote=True)


_CSS = """
:root{--file:#9b1c1c;--group:#c2410c;--record:#6d28d9;--warning:#1d4ed8;--ok:#15803d;--amber:#b45309;
--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f9fafb}
*{box-sizing:border-box}
html{scroll-padding-top:52px}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);
background:var(--bg)}
header.top{padding:20px 32px;color:#fff;background:var(--ok)}
header.top.rejected{background:var(--file)}
header.top.partial{background:#fcd34d;color:var(--ink)}
header.top h1{margin:0 0 4px;font-size:26px}
header.top p{margin:0 0 10px;font-size:15px}
header.top dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 12px;font-size:13px}
header.top dt{font-weight:600}header.top dd{margin:0;overflow-wrap:anywhere}
header.top .warn{margin:0 0 10px;padding:6px 10px;border-radius:6px;background:#fff7ed;color:#7c2d12;font-weight:600}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.chips a,.chips span{display:inline-block;padding:4px 12px;border-radius:999px;background:#fff;color:var(--ink);
text-decoration:none;font-weight:600}
.chips span.none{opacity:.6;font-weight:400}
nav{position:sticky;top:0;z-index:3;display:flex;flex-wrap:wrap;gap:4px 18px;padding:8px 32px;background:#fff;
border-bottom:1px solid var(--line)}
nav a{color:var(--ink);text-decoration:none;font-weight:600}nav a:hover{text-decoration:underline}
main{padding:8px 32px 32px}
section{margin:20px 0;padding:16px 20px;background:#fff;border:1px solid var(--line);border-radius:8px;
scroll-margin-top:52px}
h2{margin:0 0 8px;font-size:18px}
.hint{margin:0 0 12px;color:var(--muted)}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600;white-space:nowrap}th.wrap{white-space:normal}#findings-table td,#findings-table th{padding:5px 6px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.msg{overflow-wrap:anywhere;min-width:12em}td.root{overflow-wrap:anywhere;min-width:6em}
.scroll{overflow-x:auto}td.nowrap{white-space:nowrap}td.ex{overflow-wrap:anywhere;min-width:14em}
.val{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;white-space:nowrap}
.val.long{white-space:normal;overflow-wrap:anywhere}
.val.key{white-space:normal}.val .kv{white-space:nowrap}.val .kv.long{white-space:normal;overflow-wrap:anywhere}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:600}
.sev{display:inline-block;min-width:58px;padding:1px 8px;border-radius:4px;color:#fff;font-size:12px;
font-weight:600;text-align:center}
.sev-file{background:var(--file)}.sev-group{background:var(--group)}.sev-record{background:var(--record)}
.sev-warning{background:var(--warning)}
.status-inferred{color:var(--group);font-weight:600}
ol.roots{margin:0;padding-left:28px}ol.roots li{margin:0 0 10px}
th.cost{white-space:normal}td.cost{min-width:11em;max-width:18em}
table.measures{width:auto;min-width:36em}table.measures caption{text-align:left;padding:0 0 6px;color:var(--muted)}
table.measures tbody th{background:none;font-weight:400}table.measures td.num{padding-left:24px}
table.measures tr.sub th{padding-left:24px;color:var(--muted)}
.rows{display:inline-block;min-width:80px;font-weight:700}
.msg{color:#374151}
svg.bar rect.ok{fill:var(--ok)}svg.bar rect.bad{fill:var(--file)}svg.bar rect.none{fill:var(--line)}
details.group,details.cascade{margin:0 0 8px;border:1px solid var(--line);border-radius:6px;padding:6px 10px}
details>summary{cursor:pointer}
details.group ul{margin:6px 0 0;padding-left:22px}
.cascade .msg{margin:2px 0 0 22px}
ul.tree{margin:4px 0 0 6px;padding-left:18px;border-left:2px solid var(--line)}
ul.tree li{margin:3px 0;list-style:none}
table.codes td:nth-child(5){width:38%}table.codes td:nth-child(6){width:26%}
.count{color:var(--muted)}
.controls{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:center;margin:0 0 10px}
.controls label{font-weight:600}
select,input[type=search]{max-width:22em;padding:4px 6px;border:1px solid #d1d5db;border-radius:4px;font:inherit}
button{padding:3px 10px;border:1px solid #d1d5db;border-radius:4px;background:#fff;font:inherit;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
.pager{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
#findings-table thead th{position:sticky;top:37px;z-index:1}
#findings-table th[data-sort]{cursor:pointer;user-select:none}
#findings-table th[aria-sort=ascending]::after{content:" \\25B2"}
#findings-table th[aria-sort=descending]::after{content:" \\25BC"}
#findings-table tr{scroll-margin-top:90px}
#findings-table tr.hit{background:#fef3c7}
.note{color:var(--muted);font-size:13px}
footer{padding:0 32px 24px;color:var(--muted);font-size:12px}
@media (max-width:1180px){nav{padding:8px 12px}main{padding:8px 12px 24px}section{padding:12px}
footer{padding:0 12px 24px}#findings-table td,#findings-table th{padding:5px 4px}td.msg{min-width:9em}}
"""

_JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var F = D.f, N = F.length, SEV = ["file", "group", "record", "warning"];
  var $ = function (id) { return document.getElementById(id); };
  var t0 = performance.now();
  // ---- keys computed once
  var code = new Int32Array(N), tab = new Int32Array(N), sev = new Int8Array(N), row = new Int32Array(N),
      down = new Int32Array(N), isRoot = new Uint8Array(N), fieldOf = new Int32Array(N), root = new Int32Array(N);
  var codeRank = rankOf(D.codes), tabRank = rankOf(D.tables), fieldRank = rankOf(D.fields);
  for (var i = 0; i < N; i++) {
    var x = F[i];
    code[i] = x[0]; tab[i] = x[1]; row[i] = x[2] || 0; sev[i] = D.csev[x[0]]; fieldOf[i] = D.cfield[x[0]];
    root[i] = x[7] === undefined || x[7] === null ? -1 : x[7];
    down[i] = x[11] || 0;
  }
  D.roots.forEach(function (r) { isRoot[r] = 1; });
  function rankOf(list) {
    var idx = list.map(function (_, k) { return k; });
    idx.sort(function (a, b) { return list[a] < list[b] ? -1 : list[a] > list[b] ? 1 : 0; });
    var rank = new Int32Array(list.length);
    idx.forEach(function (k, r) { rank[k] = r; });
    return rank;
  }
  // ---- one finding's words
  function vals(i) { var v = F[i][5]; return v === null || v === undefined ? [] : typeof v === "string" ? [v] : v; }
  function value(i) { var v = vals(i); return v.length ? (v[0] === null ? "" : v[0]) : ""; }
  function str(k) { return k === undefined || k === null || k < 0 ? "" : D.s[k]; }
  function message(i) {
    var x = F[i], v = vals(i), first = v.length && v[0] !== null ? v[0] : "";
    var data = {value: first, values: v.map(function (s) { return s === null ? "" : s; }).join(", "),
                other: x[8] === undefined || x[8] === null ? "" : x[8], expected: str(x[9]),
                length: Array.from(first).length, detail: x[10] === undefined || x[10] === null ? "" : x[10]};
    return D.tmpl[x[0]].replace(/\{(\w+)\}/g, function (m, k) { return k in data ? String(data[k]) : ""; });
  }
  function where(i) {
    var x = F[i];
    if (x[1] < 0) return "the file";
    if (!x[2]) return D.tables[x[1]];
    var key = x[4] ? " (" + x[4] + ")" : "";
    return D.tables[x[1]] + " row " + x[2] + key;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  // a field name with a line-break opportunity before each inner word, as the page's other tables
  function fieldCell(name) {
    var td = el("td", null, null), words = name.split(/(?<=[a-z0-9])(?=[A-Z])/);
    words.forEach(function (w, k) { if (k) td.appendChild(document.createElement("wbr")); td.appendChild(document.createTextNode(w)); });
    return td;
  }
  // a row's key: its values break between them, never inside one (an identifier read across two
  // lines is misread), unless a value alone is too long for any column
  function keyParts(td, key) {
    var parts = key.split(", ");
    for (var k = 0; k < parts.length; k++) {
      if (k) td.appendChild(document.createTextNode(", "));
      td.appendChild(el("span", parts[k].length > 24 ? "kv long" : "kv", parts[k]));
    }
  }
  function badge(i) { var s = SEV[sev[i]]; return el("span", "sev sev-" + s, s); }
  function linkTo(i, label) {
    var a = el("a", null, null);
    a.href = "#f-" + i;
    a.appendChild(el("span", "code", D.codes[code[i]]));
    a.appendChild(document.createTextNode(" at " + (label || where(i))));
    return a;
  }
  // ---- the findings table
  var S = {sev: "", table: "", code: "", field: "", roots: false, q: ""};
  var order = null, dir = 1, sortKey = "id", shown = new Int32Array(0), page = 0, size = 100, hay = null;
  var sevSel = $("f-sev"), tabSel = $("f-table"), codeSel = $("f-code"), fieldSel = $("f-field"),
      rootsBox = $("f-roots"), text = $("f-text"), count = $("f-count"), body = $("findings-body");
  // the text searched: built in small slices while the page is idle, finished at once if needed
  var hayDone = 0;
  function hayUpTo(end) {
    if (!hay) hay = new Array(N);
    for (; hayDone < end; hayDone++) {
      var i = hayDone;
      hay[i] = (D.codes[code[i]] + " " + (F[i][4] || "") + " " + vals(i).join(" ") + " " + message(i)).toLowerCase();
    }
  }
  function haystack() { hayUpTo(N); return hay; }
  function idleHay() {
    if (hayDone >= N) return;
    hayUpTo(Math.min(N, hayDone + 5000));
    setTimeout(idleHay, 15);
  }
  function filter() {
    var s = S.sev === "" ? -1 : SEV.indexOf(S.sev), t = S.table === "" ? -2 : D.tables.indexOf(S.table),
        c = S.code === "" ? -1 : D.codes.indexOf(S.code), fl = S.field === "" ? -1 : D.fields.indexOf(S.field),
        q = S.q.trim().toLowerCase(), h = q ? haystack() : null, out = new Int32Array(N), n = 0;
    if ((S.sev && s < 0) || (S.table && t < -1) || (S.code && c < 0) || (S.field && fl < 0)) { shown = out.subarray(0, 0); return; }
    for (var k = 0; k < N; k++) {
      var i = order ? order[k] : k;
      if (s >= 0 && sev[i] !== s) continue;
      if (t > -2 && tab[i] !== t) continue;
      if (c >= 0 && code[i] !== c) continue;
      if (fl >= 0 && fieldOf[i] !== fl) continue;
      if (S.roots && !isRoot[i]) continue;
      if (h && h[i].indexOf(q) < 0) continue;
      out[n++] = i;
    }
    shown = out.subarray(0, n);
  }
  var KEYS = {
    id: null,
    sev: function (a, b) { return sev[a] - sev[b]; },
    code: function (a, b) { return codeRank[code[a]] - codeRank[code[b]]; },
    table: function (a, b) { return (tab[a] < 0 ? -1 : tabRank[tab[a]]) - (tab[b] < 0 ? -1 : tabRank[tab[b]]); },
    row: function (a, b) { return row[a] - row[b]; },
    field: function (a, b) { return (fieldOf[a] < 0 ? -1 : fieldRank[fieldOf[a]]) - (fieldOf[b] < 0 ? -1 : fieldRank[fieldOf[b]]); },
    key: function (a, b) { return D.kr[a] - D.kr[b]; },
    value: function (a, b) { return D.vr[a] - D.vr[b]; },
    down: function (a, b) { return down[a] - down[b]; }
  };
  function sortBy(key, d) {
    sortKey = key; dir = d;
    var cmp = KEYS[key];
    if (!cmp) { order = d > 0 ? null : descending(); }
    else {
      var idx = new Int32Array(N);
      for (var i = 0; i < N; i++) idx[i] = i;
      idx.sort(function (a, b) { return (cmp(a, b) || a - b) * d; });
      order = idx;
    }
    Array.prototype.forEach.call(document.querySelectorAll("#findings-table th[data-sort]"), function (th) {
      if (th.dataset.sort === key) th.setAttribute("aria-sort", d > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
  }
  function descending() { var idx = new Int32Array(N); for (var i = 0; i < N; i++) idx[i] = N - 1 - i; return idx; }
  function render(hit) {
    var pages = Math.max(1, Math.ceil(shown.length / size));
    if (page >= pages) page = pages - 1;
    if (page < 0) page = 0;
    var from = page * size, to = Math.min(shown.length, from + size), frag = document.createDocumentFragment();
    for (var k = from; k < to; k++) {
      var i = shown[k], x = F[i], tr = el("tr", i === hit ? "hit" : null, null);
      tr.id = "f-" + i;
      tr.appendChild(el("td", "num", String(i)));
      var td = el("td", null, null); td.appendChild(badge(i)); tr.appendChild(td);
      td = el("td", null, null);
      var a = el("a", "code", D.codes[x[0]]); a.href = "#rule-" + D.codes[x[0]]; a.title = D.checks[x[0]];
      td.appendChild(a); tr.appendChild(td);
      tr.appendChild(el("td", null, x[1] < 0 ? "" : D.tables[x[1]]));
      td = el("td", "num", x[2] ? String(x[2]) : "");
      if (x[3]) td.title = "line " + x[3] + " of the CSV file";
      tr.appendChild(td);
      var key = x[4] || "";
      td = el("td", "val key", null);
      keyParts(td, key);
      if (x[1] >= 0 && D.keys[D.tables[x[1]]]) td.title = D.keys[D.tables[x[1]]].join(", ");
      tr.appendChild(td);
      tr.appendChild(fieldCell(D.cfield[x[0]] < 0 ? "" : D.fields[D.cfield[x[0]]]));
      var v = value(i);
      tr.appendChild(el("td", "val" + (v.length > 14 ? " long" : ""), v));
      tr.appendChild(el("td", "msg", message(i)));
      td = el("td", "root", null);
      if (root[i] >= 0 && root[i] !== i) td.appendChild(linkTo(root[i]));
      tr.appendChild(td);
      tr.appendChild(el("td", "num", down[i] ? String(down[i]) : ""));
      frag.appendChild(tr);
    }
    body.textContent = "";
    body.appendChild(frag);
    count.textContent = shown.length + " of " + N + " shown";
    $("p-info").textContent = shown.length ? "rows " + (from + 1) + "–" + to + " of " + shown.length +
      " · page " + (page + 1) + " of " + pages : "no finding matches";
    $("p-first").disabled = $("p-prev").disabled = page === 0;
    $("p-next").disabled = $("p-last").disabled = page >= pages - 1;
  }
  function apply(keepPage) {
    var t = performance.now();
    filter();
    if (!keepPage) page = 0;
    render();
    document.documentElement.dataset.filterMs = String(Math.round(performance.now() - t));
  }
  function readControls() {
    S.sev = sevSel.value; S.table = tabSel.value; S.code = codeSel.value; S.field = fieldSel.value;
    S.roots = rootsBox.checked; S.q = text.value;
  }
  function writeControls() {
    sevSel.value = S.sev; tabSel.value = S.table; codeSel.value = S.code; fieldSel.value = S.field;
    rootsBox.checked = S.roots; text.value = S.q;
  }
  [sevSel, tabSel, codeSel, fieldSel, rootsBox].forEach(function (e) {
    e.addEventListener("change", function () { readControls(); apply(); });
  });
  var typing = null;
  text.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () { readControls(); apply(); }, 150);
  });
  $("f-clear").addEventListener("click", function () { clearFilters(); apply(); });
  function clearFilters() { S = {sev: "", table: "", code: "", field: "", roots: false, q: ""}; writeControls(); }
  $("p-first").addEventListener("click", function () { page = 0; render(); });
  $("p-prev").addEventListener("click", function () { page--; render(); });
  $("p-next").addEventListener("click", function () { page++; render(); });
  $("p-last").addEventListener("click", function () { page = 1e9; render(); });
  $("p-size").addEventListener("change", function () { size = Number($("p-size").value); page = 0; render(); });
  Array.prototype.forEach.call(document.querySelectorAll("#findings-table th[data-sort]"), function (th) {
    th.addEventListener("click", function () {
      var t = performance.now();
      sortBy(th.dataset.sort, th.getAttribute("aria-sort") === "ascending" ? -1 : 1);
      apply();
      document.documentElement.dataset.sortMs = String(Math.round(performance.now() - t));
    });
  });
  // go to one finding, clearing the filters when they hide it
  function goTo(i) {
    if (!(i >= 0 && i < N)) return;
    var p = shown.indexOf(i);
    if (p < 0) { clearFilters(); filter(); p = shown.indexOf(i); }
    page = Math.floor(p / size);
    render(i);
    var tr = $("f-" + i);
    if (tr) tr.scrollIntoView({block: "center"});
  }
  // ---- the address: #f-12, #code=X&field=Y, #sev=file, #table=IDS002, #roots=1, #sort=-down
  function route(hash) {
    var m = /^#f-(\d+)$/.exec(hash);
    if (m) { goTo(Number(m[1])); return true; }
    if (!/^#[a-z]+=/.test(hash)) return false;
    var t = performance.now(), sorted = false, go = -1;
    clearFilters();
    hash.slice(1).split("&").forEach(function (pair) {
      var kv = pair.split("="), k = kv[0], v = decodeURIComponent(kv[1] || "");
      if (k === "go") go = Number(v);
      else if (k === "sort") { sortBy(v.replace(/^-/, ""), v.charAt(0) === "-" ? -1 : 1); sorted = true; }
      else if (k === "roots") S.roots = v === "1";
      else if (k in S) S[k] = v;
    });
    writeControls();
    apply();
    document.documentElement.dataset[sorted ? "sortMs" : "filterMs"] = String(Math.round(performance.now() - t));
    if (go >= 0) goTo(go);
    else $("findings").scrollIntoView();
    return true;
  }
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a[href^='#']") : null;
    if (!a) return;
    var h = a.getAttribute("href");
    if (/^#(f-\d+|[a-z]+=)/.test(h)) {
      ev.preventDefault();
      history.pushState(null, "", h);
      route(h);
    }
  });
  window.addEventListener("popstate", function () { route(location.hash); });
  // ---- cascades, drawn when opened
  var kids = null;
  function children(i) {
    if (!kids) {
      kids = {};
      for (var k = 0; k < N; k++) {
        var c = F[k][6];
        if (c !== undefined && c !== null && c >= 0) (kids[c] || (kids[c] = [])).push(k);
      }
    }
    return kids[i] || [];
  }
  function tree(i, depth) {
    var ul = el("ul", "tree", null), list = children(i), shownKids = 0;
    function more() {
      var end = Math.min(list.length, shownKids + 100);
      for (; shownKids < end; shownKids++) {
        var c = list[shownKids], li = el("li", null, null), head = el("span", null, null);
        head.appendChild(badge(c)); head.appendChild(document.createTextNode(" "));
        head.appendChild(linkTo(c)); head.appendChild(document.createTextNode(": "));
        head.appendChild(el("span", "msg", message(c)));
        if (children(c).length) {
          var d = el("details", null, null), s = el("summary", null, null);
          s.appendChild(head); d.appendChild(s);
          lazy(d, c, depth + 1);
          if (depth < 2) d.open = true;
          li.appendChild(d);
        } else li.appendChild(head);
        ul.appendChild(li);
      }
      if (shownKids < list.length) {
        var b = el("button", null, "show " + Math.min(100, list.length - shownKids) + " more of " +
                   (list.length - shownKids));
        b.addEventListener("click", function () { b.parentNode.removeChild(b); more(); });
        ul.appendChild(b);
      }
    }
    more();
    return ul;
  }
  function lazy(d, i, depth) {
    var drawn = false;
    function draw() { if (!drawn && d.open) { drawn = true; d.appendChild(tree(i, depth)); } }
    d.addEventListener("toggle", draw);
    if (d.open) draw();
  }
  var cascRoots = D.roots.filter(function (r) { return children(r).length > 0; }), cascShown = 0;
  var cascList = $("cascade-list");
  function moreCascades() {
    var end = Math.min(cascRoots.length, cascShown + 20);
    for (; cascShown < end; cascShown++) {
      var r = cascRoots[cascShown], d = el("details", "cascade", null), s = el("summary", null, null);
      s.appendChild(badge(r)); s.appendChild(document.createTextNode(" ")); s.appendChild(linkTo(r));
      s.appendChild(el("span", "count", " — takes down " + down[r] + " row" + (down[r] === 1 ? "" : "s")));
      s.appendChild(el("div", "msg", message(r)));
      d.appendChild(s);
      if (cascShown < 3) d.open = true;
      lazy(d, r, 1);
      cascList.appendChild(d);
    }
    var b = $("cascade-more");
    b.hidden = cascShown >= cascRoots.length;
    b.textContent = "show " + Math.min(20, cascRoots.length - cascShown) + " more of " + (cascRoots.length - cascShown) +
      " cascades";
  }
  if (cascList) {
    $("cascade-more").addEventListener("click", moreCascades);
    if (cascRoots.length) moreCascades();
    else cascList.appendChild(el("p", "hint", "No cascade: no row was rejected because a related row was."));
  }
  // ---- start
  if (!route(location.hash)) { filter(); render(); }
  document.documentElement.dataset.readyMs = String(Math.round(performance.now()));
  setTimeout(idleHay, 300);
  document.documentElement.dataset.initMs = String(Math.round(performance.now() - t0));
})();
"""


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


_CSP = (f"default-src 'none'; style-src '{_sha256(_CSS)}'; script-src '{_sha256(_JS)}'; "
        "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'")


_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _field(name: object) -> str:
    """A field name, escaped, with a line-break opportunity before each inner word
    (``Referral<wbr>Request<wbr>Received<wbr>Date``), so that a long name does not widen its column."""
    return _WORD_START.sub("<wbr>", _e(name))


def _sev(severity: str) -> str:
    return f'<span class="sev sev-{_e(severity)}">{_e(severity)}</span>'


def _options(name: str, label: str, values: Iterable[tuple[str, str]]) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(text)}</option>' for v, text in values)
    return (f'<label for="f-{name}">{label}</label> <select id="f-{name}">'
            f'<option value="">all</option>{opts}</select>')


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _json(value: Any) -> str:
    """JSON safe inside a <script> block: no "<" at all (so no "</script>" nor "<!--")."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


_c_encoder = getattr(json.encoder, "c_make_encoder", None)
def _no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


_ENCODE = (_c_encoder(None, _no_default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
           if _c_encoder is not None else None)


def _json_c(value: Any) -> str:
    """:func:`_json` of *value*, with an encoder made once (what json.dumps makes anew for each
    call, with the same settings)."""
    if _ENCODE is None:  # pragma: no cover  (a Python without the C accelerator)
        return _json(value)
    return "".join(_ENCODE(value, 0)).replace("<", "\\u003c")


def _write_json_list(w: Any, items: list, budget: int = 16_000) -> None:
    """*items* as a JSON array, written some 16,000 characters at a time (a report of millions of
    findings is never one giant string)."""
    w("[")
    buf: list[str] = []
    size = 0
    first = True
    for item in items:
        text = _json_c(item)
        buf.append(text)
        size += len(text) + 1
        if size >= budget:
            w(("" if first else ",") + ",".join(buf))
            first, buf, size = False, [], 0
    if buf:
        w(("" if first else ",") + ",".join(buf))
    w("]")


def _ranks(texts: list[str]) -> list[int]:
    """Each text's rank in sorted order (equal texts share a rank): the page sorts on these."""
    order = sorted(range(len(texts)), key=texts.__getitem__)
    ranks = [0] * len(texts)
    k, prev = -1, None
    for i in order:
        if texts[i] != prev:
            k, prev = k + 1, texts[i]
        ranks[i] = k
    return ranks


class _Page:
    """Writes the page section by section to the output stream."""

    def __init__(self, view: ReportView, out: TextIO, measures: Preview | None = None) -> None:
        self.view, self.out = view, out
        #: the measures preview (the section, and each root cause's cost beside "fix these first")
        self.preview = measures
        self.costs = fix_costs(measures) if measures is not None else None
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
        links = [("file-level", "Why rejected")] if r.file_findings else []
        links += [("fix", "Fix these first"), ("tables", "Rows by table")]
        if self.has_measures():
            links.append(("measures", "Measures"))
        links += [("cascades", "Cascades"), ("findings", "All findings"), ("codes", "Codes"),
                  ("not-checked", "Not checked")]
        self.w("<nav>" + "".join(f'<a href="#{a}">{t}</a>' for a, t in links) + "</nav>\n<main>\n")
        self.file_level()
        self.fix_first()
        self.tables()
        self.measures()
        self.cascades()
        self.findings()
        self.codes()
        self.not_checked()
        self.w(f"</main>\n<footer>Made by iapt-ds {_e(__version__)} from the IAPT v{_e(self.spec.version)} spec. "
               "This page is self-contained: it makes no network requests.</footer>\n")
        self.data()
        self.w(f"<script>{_JS}</script>\n</body>\n</html>\n")

    # ------------------------------------------------------------------ sections

    def header(self, verdict: str) -> None:
        r = self.result
        rejected_rows = sum(t.rejected for t in r.tables.values())
        if r.accepted and rejected_rows:
            tone, verdict = "partial", "File accepted, with rejected rows"
            words = (f"SDCS would accept this file, but {_plural(rejected_rows, 'row')} would be rejected "
                     "and not loaded: see what to fix first.")
        elif r.accepted:
            tone, words = "accepted", "SDCS would accept this file and every row in it."
        else:
            tone, words = "rejected", "SDCS would reject the whole file: nothing in it would be loaded."
        self.w(f'<header class="top {tone}">\n<h1>{_e(verdict)}</h1>\n<p>{_e(words)}</p>\n')
        if r.checked is not None:
            for warning in r.checked.warnings():
                self.w(f'<p class="warn">Warning: {_e(warning)}.</p>\n')
        self.w("<dl>")
        for label, value in self.view.checked():
            self.w(f"<dt>{_e(label[:1].upper() + label[1:])}</dt><dd>{_e(value)}</dd>")
        self.w(f"<dt>Findings</dt><dd>{len(r.findings)}</dd>")
        self.w('</dl>\n<ul class="chips">')
        for sev, n in r.counts_by_severity().items():
            words = _e(f"{n} {SEVERITY_WORDS[sev]}{'s' if n != 1 else ''}")
            self.w(f'<li><a href="#sev={sev}">{words}</a></li>' if n else f'<li><span class="none">{words}</span></li>')
        self.w("</ul>\n</header>\n")

    def where(self, f: Finding) -> str:
        return _e(self.view.where(f))

    def link(self, f: Finding) -> str:
        """The finding's code and place, linked to its row in the findings table."""
        label = f'<span class="code">{_e(f.code)}</span> at {self.where(f)}'
        index = self.view.index(f)
        return f'<a href="#f-{index}">{label}</a>' if index is not None else label

    def file_level(self) -> None:
        found = self.result.file_findings
        if not found:
            return
        by_code: dict[str, list[Finding]] = {}
        for f in found:
            by_code.setdefault(f.code, []).append(f)
        self.w(f'<section id="file-level"><h2>Why the file is rejected</h2>\n<p class="hint">'
               f"{_plural(len(found), 'file-level finding')} of {_plural(len(by_code), 'code')}: any one alone makes "
               "SDCS reject the whole submission. Open a code to see where.</p>\n")
        for code, items in sorted(by_code.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            rule = self.spec.rules[code]
            self.w(f'<details class="group"><summary>{_sev("file")} <span class="code">{_e(code)}</span> '
                   f'<span class="rows">× {len(items)}</span> {_e(checks(rule, self.spec))} '
                   f'<a href="#code={_e(code)}">show all {len(items)} in the table</a></summary>\n'
                   f'<p class="note">What to do: {_e(advice(rule, self.spec))}</p><ul>\n')
            for f in items[:FILE_LEVEL_SHOWN]:
                self.w(f'<li>{self.link(f)}: <span class="msg">{_e(self.view.message(f))}</span></li>\n')
            if len(items) > FILE_LEVEL_SHOWN:
                self.w(f'<li><a href="#code={_e(code)}">… and {len(items) - FILE_LEVEL_SHOWN} more: show all '
                       f"{len(items)}</a></li>\n")
            self.w("</ul></details>\n")
        self.w("</section>\n")

    def fix_first(self) -> None:
        groups = self.view.fix_groups()
        self.w('<section id="fix"><h2>Fix these first</h2>\n')
        if not groups:
            self.w('<p class="hint">No row is rejected.</p></section>\n')
            return
        self.w('<p class="hint">Root causes grouped by code and field: file-level problems first (any one '
               "rejects the file), then what takes down the most rows (each row itself and every row rejected "
               "because of it). One fix in your system's mapping often clears a whole group.</p>\n"
               '<div class="scroll"><table id="fix-groups"><thead><tr><th class="num">#</th><th>Severity</th>'
               '<th>Code</th><th>Field</th><th class="num wrap">Root causes</th><th class="num wrap">Rows taken down</th>'
               + ('<th class="cost">What it costs in the <a href="#measures">measures</a></th>' if self.costs else "")
               + "<th>For example</th><th>What to do</th></tr></thead><tbody>\n")
        for k, g in enumerate(groups, 1):
            rule = self.spec.rules[g["code"]]
            target = f"code={g['code']}" + (f"&field={g['field']}" if g["field"] else "") + "&roots=1"
            down = "the whole file" if g["severity"] == "file" else str(g["rows"])
            self.w(f'<tr><td class="num">{k}</td><td>{_sev(g["severity"])}</td>'
                   f'<td><a class="code" href="#{_e(target)}">{_e(g["code"])}</a></td><td>{_field(g["field"])}</td>'
                   f'<td class="num">{g["findings"]}</td><td class="num nowrap">{_e(down)}</td>'
                   + (f'<td class="cost">{_e(self.costs(g["code"], g["severity"]))}</td>' if self.costs else "") +
                   f'<td class="ex">{self.link(g["first"])}<div class="msg">{_e(g["message"])}</div></td>'
                   f"<td>{_e(advice(rule, self.spec))}</td></tr>\n")
        self.w("</tbody></table></div>\n")
        roots = self.view.fix_first()
        self.w(f'<h3>The first {min(ROOTS_SHOWN, len(roots))} of {_plural(len(roots), "root cause")}</h3>'
               '<ol class="roots">\n')
        for f, n in roots[:ROOTS_SHOWN]:
            rows = "whole file" if f.rule.severity == "file" else _plural(n, "row")
            self.w(f'<li><span class="rows">{_e(rows)}</span> {_sev(f.rule.severity)} {self.link(f)}'
                   f'<div class="msg">{_e(self.view.message(f))}</div></li>\n')
        self.w("</ol>\n")
        if len(roots) > ROOTS_SHOWN:
            self.w(f'<p><a href="#roots=1&sort=-down">Show all {len(roots)} root causes in the table</a>, '
                   "most rows first.</p>\n")
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
            self.w(f'<tr><td><a href="#table={_e(t.table)}"><code>{_e(t.table)}</code></a> '
                   f'{_e(t.name)}</td><td class="num">{t.read}</td><td class="num">{t.accepted}</td>'
                   f'<td class="num">{t.rejected}</td><td class="num">{t.with_warnings}</td><td>{bar}</td></tr>\n')
        self.w("</tbody></table></section>\n")

    def has_measures(self) -> bool:
        return self.preview is not None

    def measures(self) -> None:
        """The measures section (:func:`iapt_ds.measures.report.html_section`: the headline
        measures preview, what the findings cost, who drops out and why), when given."""
        if self.preview is not None:
            self.w(html_section(self.preview) + "\n")

    def cascades(self) -> None:
        self.w('<section id="cascades"><h2>Cascades</h2>\n<p class="hint">A rejected row takes down the rows '
               "that depend on it (its patient, their referrals, contacts, activities …). Each tree starts at a "
               "root cause, most rows first: fix it and every row below it comes back. Click a line to fold or "
               'unfold it.</p>\n<div id="cascade-list"></div><button id="cascade-more" hidden></button></section>\n')

    def findings(self) -> None:
        r = self.result
        total = len(r.findings)
        self.w('<section id="findings"><h2>All findings</h2>\n')
        sevs = [(s, s) for s, n in r.counts_by_severity().items() if n]
        findings = r.findings
        present = ({t for _, t, _ in findings.places()} if isinstance(findings, Findings)
                   else {f.table for f in self.view.findings()})
        tables = [(t, f"{t} {self.spec.tables[t].name}") for t in r.tables if t in present]
        codes = [(c, f"{c} ({n})") for c, n in r.counts_by_code().items()]
        fields = sorted({f for c in r.counts_by_code() if (f := self.spec.rules[c].field)})
        self.w('<div class="controls">' + _options("sev", "Severity", sevs) + _options("table", "Table", tables)
               + _options("code", "Code", codes) + _options("field", "Field", [(f, f) for f in fields])
               + '<label><input id="f-roots" type="checkbox"> root causes only</label>'
               + '<label for="f-text">Search</label> <input id="f-text" type="search" placeholder="value, key, words…">'
               + '<button id="f-clear" type="button">Clear filters</button>'
               + f'<span id="f-count" class="count">{total} of {total} shown</span></div>\n')
        pager = ('<div class="pager"><button id="p-first" type="button">« first</button>'
                 '<button id="p-prev" type="button">‹ previous</button><span id="p-info" class="count"></span>'
                 '<button id="p-next" type="button">next ›</button><button id="p-last" type="button">last »</button>'
                 '<label for="p-size">rows a page</label> <select id="p-size"><option>50</option>'
                 '<option selected>100</option><option>500</option></select></div>\n')
        self.w(pager)
        self.w('<table id="findings-table"><thead><tr><th class="num" data-sort="id">#</th>'
               '<th data-sort="sev">Severity</th><th data-sort="code">Code</th><th data-sort="table">Table</th>'
               '<th class="num" data-sort="row">Row</th><th data-sort="key">Key</th><th data-sort="field">Field</th>'
               '<th data-sort="value">Value</th><th>Message</th><th class="wrap">Root cause</th>'
               '<th class="num wrap" data-sort="down">Takes down</th></tr></thead>'
               '<tbody id="findings-body"></tbody></table>\n')
        if not total:
            self.w('<p class="hint">No findings.</p>\n')
        self.w("</section>\n")

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
            self.w(f'<tr id="rule-{_e(code)}"><td><a href="#code={_e(code)}" '
                   f'class="code">{_e(code)}</a></td><td>{_sev(rule.severity)}</td><td class="num">{counts[code]}</td>'
                   f"<td>{_field(where)}</td><td>{_e(checks(rule, self.spec))}{about}</td>"
                   f"<td>{_e(advice(rule, self.spec))}</td></tr>\n")
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

    # ------------------------------------------------------------------ the data, once

    def data(self) -> None:
        """Every finding as a compact array, in a JSON block the script reads once::

            [code, table, row, line, key, values, cause, root, other, expected, detail, rows_down]

        code, table and expected index the lists sent with them (table -1: the whole file);
        cause and root are finding positions; trailing empty items are left off. ``kr`` and
        ``vr`` are each finding's rank by key and by value, so the page sorts on numbers."""
        r, spec, view = self.result, self.spec, self.view
        codes = list(r.counts_by_code())
        code_at = {c: i for i, c in enumerate(codes)}
        tables = list(spec.tables)
        table_at = {t: i for i, t in enumerate(tables)}
        fields = sorted({name for c in codes if (name := spec.rules[c].field)})
        field_at = {f: i for i, f in enumerate(fields)}
        strings: dict[str, int] = {}
        down = {id(f): n for f, n in view.root_causes()}
        roots = [i for f, _ in view.fix_first() if (i := view.index(f)) is not None]
        head = {"codes": codes, "tables": tables, "fields": fields,
                "csev": [ordinal_rank(spec.rules[c].severity) for c in codes],
                "cfield": [field_at.get(spec.rules[c].field or "", -1) for c in codes],
                "tmpl": [spec.rules[c].message for c in codes],
                "checks": [checks(spec.rules[c], spec) for c in codes],
                "keys": {t: list(spec.tables[t].key) for t in tables},
                "roots": roots}
        w = self.w
        w('<script type="application/json" id="report-data">{')
        for k, v in head.items():
            w(f'"{k}":')
            _write_json_list(w, v) if isinstance(v, list) else w(_json(v))
            w(",")
        w('"f":[')
        keys: list[str] = []
        values: list[str] = []
        runs = plain_runs(view, messages=False)
        if runs is not None:
            self._runs_data(runs, code_at, table_at, strings, keys, values)
        else:
            self._findings_data(view.findings(), code_at, table_at, strings, down, keys, values)
        w('],"s":')
        _write_json_list(w, list(strings))
        w(',"kr":')
        _write_json_list(w, _ranks(keys))
        w(',"vr":')
        _write_json_list(w, _ranks(values))
        w("}</script>\n")

    def _findings_data(self, findings: Iterable[Finding], code_at: dict[str, int], table_at: dict[str, int],
                       strings: dict[str, int], down: dict[int, int], keys: list[str], values: list[str],
                       sep: str = "") -> None:
        """The items of :meth:`data` of *findings*, one finding at a time (the general path); *down*:
        rows taken down by id of a root-cause finding; *keys* and *values* get each one's key and
        value text."""
        view, w = self.view, self.w
        index = view.index
        for f in findings:
            shown = view.shown(f)
            vals: Any = shown.values
            vals = None if not vals else vals[0] if len(vals) == 1 else list(vals)
            key = ", ".join(k for k in shown.key if k) if f.table is not None and shown.key else None
            cause = index(f.cause) if f.cause is not None else None
            root = index(f.root) if f.cause is not None else None
            exp = None
            if f.expected:
                exp = strings.get(f.expected)
                if exp is None:
                    exp = strings[f.expected] = len(strings)
            item = [code_at[f.code], table_at.get(f.table, -1) if f.table else -1, f.row, f.line, key, vals,
                    cause, root, shown.other, exp, shown.detail, down.get(id(f))]
            while item and item[-1] is None:
                item.pop()
            w(sep + _json(item))
            sep = ","
            keys.append(key or "")
            values.append("" if not shown.values or shown.values[0] is None else shown.values[0])

    def _runs_data(self, runs: Iterable[Any], code_at: dict[str, int], table_at: dict[str, int],
                   strings: dict[str, int], keys: list[str], values: list[str]) -> None:
        """The items of :meth:`data`, as :meth:`_findings_data` writes them, from the runs of
        the compact store (:func:`plain_runs`): a run of one rule's findings on one table at a
        time, column by column, each item encoded in C."""
        findings = self.result.findings
        assert isinstance(findings, Findings)
        down_at = self.result.root_cause_positions()
        assert down_at is not None  # (the findings are stored compactly)
        w = self.w
        sep = ""
        for run in runs:
            if not isinstance(run, Run):  # a finding held whole: on its own
                k = run[0]
                f = findings.whole(k)
                assert f is not None
                self._findings_data([f], code_at, table_at, strings, {id(f): down_at[k]} if k in down_at else {},
                                    keys, values, sep)
                sep = ","
                continue
            n = len(run.rows)
            if not run.keys:
                key: Any = repeat(None, n)
                keys.extend(repeat("", n))
            else:
                key = ([v or "" for v in run.keys[0]] if len(run.keys) == 1 else
                       [", ".join([k for k in ks if k]) for ks in zip(*run.keys)])
                keys.extend(key)
            if not run.values:
                vals: Any = repeat(None, n)
                values.extend(repeat("", n))
            else:
                first = run.values[0]
                vals = first if len(run.values) == 1 else list(map(list, zip(*run.values)))
                values.extend(["" if v is None else v for v in first])
            if run.expected.count(None) == n:
                exp: Any = repeat(None, n)
            else:
                exp = [None if not e else strings.setdefault(e, len(strings)) for e in run.expected]
            causes = run.causes if run.causes is not None else repeat(None, n)
            roots = run.roots if run.roots is not None else repeat(None, n)
            downs = map(down_at.get, range(run.start, run.start + n))
            line = run.lines
            items = zip(repeat(code_at[run.rule.code]), repeat(table_at.get(run.table, -1)), run.rows, line, key,
                        vals, causes, roots, run.others, exp, run.details, downs)
            parts = []
            for t in items:
                item = list(t)
                while item and item[-1] is None:
                    item.pop()
                parts.append(item)
            if parts:
                w(sep + ",".join(map(_json_c, parts)))
                sep = ","


def write_html(result: Result, out: TextIO, *, redact: bool = False, spec: Spec | None = None,
               limit: int | None = None, measures: Any = None) -> None:
    """Write *result* to the text stream *out* as one self-contained HTML page (UTF-8) holding
    every finding; *redact* masks personal identifiers. *limit* is accepted for compatibility
    and ignored: the page lists every finding, a page of rows at a time. *measures* (the
    Submission that was validated, or its :func:`iapt_ds.measures.compute`) adds the headline
    measures section and, in "fix these first", what each group of root causes costs them."""
    preview = for_report(measures, result, redact=redact)
    _Page(ReportView(result, redact=redact, spec=spec), out, preview).write()
