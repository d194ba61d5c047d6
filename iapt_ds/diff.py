"""What changed between two validations of the same provider's data: findings fixed, new and
remaining, by code and by root cause.

A finding is matched by its code, its table, the row's key (LocalPatientId, ServiceRequestId …)
and its field — never by row number, which shifts between two exports — and, for a finding
without a key (a file-level one), by its value and detail. The same finding twice in one side
(two rows with the same key) is matched as many times as it occurs in both.

Either side is a JSON report (``iapt-ds validate --format json``), a :class:`~iapt_ds.result.Result`
or a submission to validate.

>>> import iapt_ds
>>> same = iapt_ds.validate(iapt_ds.example_path(), period="2021-03")
>>> d = compare(same, same)
>>> (len(d.fixed), len(d.new), len(d.remaining))
(0, 0, 0)
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import attrs

from .errors import InputError, UsageError

__all__ = ["Side", "Diff", "compare", "load_side", "write_diff", "DIFF_FORMATS", "cause_line", "cause_parts"]

DIFF_FORMATS = ("text", "json", "html", "xlsx")


@attrs.frozen
class Side:
    """One validation, as the diff sees it: where it came from, its outcome, its findings (as
    the JSON report's records) and its root causes (records with ``rows_rejected``)."""

    label: str
    outcome: str
    findings: tuple[dict, ...]
    roots: tuple[dict, ...]


def _identity(f: dict) -> tuple:
    """What matches a finding across two runs: code, table, key, field — or, with no key, the
    value and the detail of the message."""
    key = tuple(sorted((f.get("key") or {}).items()))
    if key:
        return (f["code"], f.get("table"), key, f.get("field"))
    return (f["code"], f.get("table"), f.get("field"), f.get("value"), f.get("message") if f.get("row") is None else None)


def _from_report(doc: dict, label: str) -> Side:
    if doc.get("format") != "iapt-ds-report":
        raise InputError(f"{label}: not an iapt-ds JSON report (give one made with --format json, or a submission)")
    findings = tuple(doc.get("findings") or ())
    by_id = {f["id"]: f for f in findings}
    roots = tuple({**by_id[r["id"]], "rows_rejected": r["rows_rejected"]} for r in doc.get("root_causes") or ()
                  if r.get("id") in by_id)
    return Side(label=label, outcome=str(doc.get("outcome")), findings=findings, roots=roots)


def _from_result(result: Any, label: str) -> Side:
    from .report._view import ReportView

    view = ReportView(result)
    findings = tuple(view.records())
    roots = tuple({**findings[i], "rows_rejected": n} for f, n in view.root_causes()
                  if (i := view.index(f)) is not None)
    return Side(label=label, outcome=str(result.outcome), findings=findings, roots=roots)


def load_side(source: Any, label: str | None = None, **validate_args: Any) -> Side:
    """A :class:`Side` from a JSON report path, a Result, or a submission (validated with
    *validate_args*)."""
    from .result import Result

    if isinstance(source, Side):
        return source
    if isinstance(source, Result):
        return _from_result(source, label or source.source)
    path = Path(source)
    name = label or str(path)
    if path.suffix.lower() == ".json" and path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        except ValueError as exc:
            raise InputError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise InputError(f"{path}: not an iapt-ds JSON report")
        return _from_report(doc, name)
    from .pipeline import validate

    return _from_result(validate(path, **validate_args), name)


@attrs.frozen
class Diff:
    """Findings fixed (in the old run only), new (in the new run only) and remaining (in both),
    each as the records of the side it comes from; root causes likewise."""

    old: Side
    new_side: Side
    fixed: tuple[dict, ...]
    new: tuple[dict, ...]
    remaining: tuple[dict, ...]
    roots_fixed: tuple[dict, ...]
    roots_new: tuple[dict, ...]
    roots_remaining: tuple[dict, ...]

    def by_code(self) -> list[tuple[str, str, int, int, int]]:
        """(code, severity, fixed, new, remaining) for every code in either run, most changed first."""
        rows: dict[str, list] = {}
        for n, group in enumerate((self.fixed, self.new, self.remaining)):
            for f in group:
                r = rows.setdefault(f["code"], [f["code"], f["severity"], 0, 0, 0])
                r[2 + n] += 1
        return sorted((tuple(r) for r in rows.values()), key=lambda r: (-(r[2] + r[3]), r[0]))  # type: ignore[misc]

    def by_cause(self) -> list[dict[str, Any]]:
        """Root causes grouped by code and field — one fix in the mapping of one field usually
        clears a whole group ("IDS00115 NHSNumberStatus: 812 rows fixed"). Each group: code,
        severity, table, field; how many root causes were fixed, are new and remain; and the
        rows they take down (fixed: as the old run counted them; new and remaining: as the new
        run does). A file-level finding counts as a root cause of its own (it rejects the whole
        file; its rows are 0). File-level groups first, then by the rows that changed."""
        groups: dict[tuple[str, str | None], dict[str, Any]] = {}
        seen: set[tuple] = set()

        def add(f: dict, what: str) -> None:
            g = groups.get((f["code"], f.get("field")))
            if g is None:
                g = groups[(f["code"], f.get("field"))] = {
                    "code": f["code"], "severity": f.get("severity"), "table": f.get("table"), "field": f.get("field"),
                    "fixed": 0, "new": 0, "remaining": 0, "rows_fixed": 0, "rows_new": 0, "rows_remaining": 0}
            g[what] += 1
            g["rows_" + what] += int(f.get("rows_rejected") or 0)

        for what, roots in (("fixed", self.roots_fixed), ("new", self.roots_new), ("remaining", self.roots_remaining)):
            for f in roots:
                seen.add((what, _identity(f)))
                add(f, what)
        for what, found in (("fixed", self.fixed), ("new", self.new), ("remaining", self.remaining)):
            for f in found:
                if f.get("severity") == "file" and (what, _identity(f)) not in seen:
                    add(f, what)

        def rank(g: dict[str, Any]) -> tuple:
            return (g["severity"] != "file", -(g["rows_fixed"] + g["rows_new"]), -(g["fixed"] + g["new"]),
                    -g["rows_remaining"], g["code"], g["field"] or "")

        return sorted(groups.values(), key=rank)

    def as_dict(self) -> dict[str, Any]:
        def ref(f: dict) -> dict:
            return {k: f.get(k) for k in ("code", "severity", "table", "row", "key", "field", "value", "message")
                    if k in f} | ({"rows_rejected": f["rows_rejected"]} if "rows_rejected" in f else {})

        return {"format": "iapt-ds-diff", "version": 1,
                "old": {"source": self.old.label, "outcome": self.old.outcome, "findings": len(self.old.findings)},
                "new": {"source": self.new_side.label, "outcome": self.new_side.outcome,
                        "findings": len(self.new_side.findings)},
                "counts": {"fixed": len(self.fixed), "new": len(self.new), "remaining": len(self.remaining)},
                "by_code": [{"code": c, "severity": s, "fixed": a, "new": b, "remaining": r}
                            for c, s, a, b, r in self.by_code()],
                "by_cause": self.by_cause(),
                "root_causes": {"fixed": [ref(f) for f in self.roots_fixed], "new": [ref(f) for f in self.roots_new],
                                "remaining": [ref(f) for f in self.roots_remaining]},
                "fixed": [ref(f) for f in self.fixed], "new_findings": [ref(f) for f in self.new],
                "remaining": [ref(f) for f in self.remaining]}


def _match(old: Iterable[dict], new: Iterable[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """(only in old, only in new, in both — as new's records), matching identities as multisets."""
    pending: dict[tuple, list[dict]] = defaultdict(list)
    for f in old:
        pending[_identity(f)].append(f)
    added, kept = [], []
    for f in new:
        stack = pending.get(_identity(f))
        if stack:
            stack.pop()
            kept.append(f)
        else:
            added.append(f)
    gone = sorted((f for stack in pending.values() for f in stack), key=lambda f: f.get("id", 0))
    return gone, added, kept


def compare(old: Any, new: Any, **validate_args: Any) -> Diff:
    """What changed from *old* to *new* (each a JSON report path, a Result or a submission)."""
    a = load_side(old, **validate_args)
    b = load_side(new, **validate_args)
    fixed, added, kept = _match(a.findings, b.findings)
    rf, rn, rk = _match(a.roots, b.roots)
    order = lambda fs: tuple(sorted(fs, key=lambda f: -f.get("rows_rejected", 0)))  # noqa: E731
    return Diff(old=a, new_side=b, fixed=tuple(fixed), new=tuple(added), remaining=tuple(kept),
                roots_fixed=order(rf), roots_new=order(rn), roots_remaining=order(rk))


def _where(f: dict) -> str:
    if f.get("table") is None:
        return "the file"
    key = ", ".join(v for v in (f.get("key") or {}).values() if v)
    return f"{f['table']}" + (f" row {f['row']}" if f.get("row") is not None else "") + (f" ({key})" if key else "")


def write_diff(diff: Diff, out: Any, format: str = "text", *, top: int = 10) -> None:
    """Write *diff* as text (a summary), JSON (everything), HTML (a page) or xlsx (a workbook:
    *out* a binary stream or a path)."""
    if format == "json":
        out.write(json.dumps(diff.as_dict(), ensure_ascii=False, indent=1) + "\n")
        return
    if format == "html":
        _write_html(diff, out)
        return
    if format == "xlsx":
        _write_xlsx(diff, out)
        return
    if format != "text":
        raise UsageError(f"the diff is written as {' or '.join(DIFF_FORMATS)}, not {format!r}")
    w = out.write
    a, b = diff.old, diff.new_side
    w(f"Since {a.label} ({a.outcome}, {len(a.findings)} findings)\n"
      f"   to {b.label} ({b.outcome}, {len(b.findings)} findings):\n"
      f"  {len(diff.fixed)} fixed, {len(diff.new)} new, {len(diff.remaining)} remaining\n")
    if a.outcome != b.outcome:
        w(f"  The file is now {b.outcome.upper()} (was {a.outcome}).\n")
    codes = diff.by_code()
    if codes:
        w(f"\n  {'code':<10} {'severity':<8} {'fixed':>7} {'new':>7} {'remaining':>9}\n")
        for c, s, fx, nw, rm in codes:
            w(f"  {c:<10} {s:<8} {fx:>7} {nw:>7} {rm:>9}\n")
    causes = diff.by_cause()
    if causes:
        w("\nRoot causes by code and field (one fix often clears a whole group):\n")
        for g in causes[:top]:
            w(f"  {cause_line(g)}\n")
        if len(causes) > top:
            w(f"  … and {len(causes) - top} more groups (--format json lists them all).\n")
    for title, roots in (("Root causes fixed", diff.roots_fixed), ("New root causes", diff.roots_new)):
        if roots:
            w(f"\n{title} ({len(roots)}), most rows first:\n")
            for f in roots[:top]:
                n = f.get('rows_rejected', 0)
                w(f"  {f['code']} at {_where(f)}: {n} row{'' if n == 1 else 's'}\n")
            if len(roots) > top:
                w(f"  … and {len(roots) - top} more (--format json lists them all).\n")
    counts = Counter(f["code"] for f in diff.new)
    if counts and not diff.roots_new:
        w("\nNew findings by code: " + ", ".join(f"{c} {n}" for c, n in counts.most_common(10)) + "\n")


def _rows(n: int) -> str:
    return f"{n} row{'' if n == 1 else 's'}"


def cause_parts(g: dict[str, Any]) -> list[str]:
    """A group of :meth:`Diff.by_cause` in words, one part for fixed, new and remaining each
    (those that are not none): ``812 rows fixed`` (rows for a row-level group, root causes for a
    file-level one, which rejects the whole file)."""
    parts = []
    for what, words in (("fixed", "fixed"), ("new", "new"), ("remaining", "still rejected")):
        n = g[what]
        if not n:
            continue
        if g["severity"] == "file":
            parts.append(f"{n} file-level finding{'' if n == 1 else 's'} " + ("still there" if what == "remaining"
                                                                                else words))
        else:
            parts.append(f"{_rows(g['rows_' + what])} {words} ({n} root cause{'' if n == 1 else 's'})")
    return parts


def cause_line(g: dict[str, Any]) -> str:
    """``IDS00115 NHSNumberStatus: 812 rows fixed (812 root causes), 3 rows new (1 root cause)``."""
    return f"{g['code']} {g['field'] or g['table'] or 'the file'}: " + ", ".join(cause_parts(g))


_COLUMNS = ("code", "severity", "table", "row", "key", "field", "value", "message")


def _cells(f: dict) -> list[Any]:
    key = "; ".join(f"{k}={'' if v is None else v}" for k, v in (f.get("key") or {}).items())
    return [f.get("code"), f.get("severity"), f.get("table") or "", f.get("row"), key, f.get("field") or "",
            f.get("value") if f.get("value") is not None else "", f.get("message") or ""]


def _write_xlsx(diff: Diff, out: Any) -> None:
    from .report.xlsx import _Book

    book = _Book(out)
    d = diff.as_dict()
    book.table_sheet("Summary", ("what", "value"), [
        ("old", f"{d['old']['source']} ({d['old']['outcome']}, {d['old']['findings']} findings)"),
        ("new", f"{d['new']['source']} ({d['new']['outcome']}, {d['new']['findings']} findings)"),
        ("fixed", len(diff.fixed)), ("new findings", len(diff.new)), ("remaining", len(diff.remaining)),
        ("root causes fixed", len(diff.roots_fixed)), ("new root causes", len(diff.roots_new))],
        widths=(20, 90), numeric=("value",))
    book.table_sheet("By code", ("code", "severity", "fixed", "new", "remaining"), diff.by_code(),
                     widths=(11, 10, 10, 10, 10), numeric=("fixed", "new", "remaining"))
    cause_cols = ("code", "severity", "table", "field", "root causes fixed", "rows fixed", "new root causes", "rows new",
                  "root causes remaining", "rows remaining", "in words")
    book.table_sheet("By cause", cause_cols,
                     ((g["code"], g["severity"], g["table"] or "", g["field"] or "", g["fixed"], g["rows_fixed"], g["new"],
                       g["rows_new"], g["remaining"], g["rows_remaining"], ", ".join(cause_parts(g)))
                      for g in diff.by_cause()),
                     widths=(11, 10, 8, 26, 12, 10, 12, 10, 12, 10, 70), numeric=cause_cols[4:10],
                     intro="Root causes grouped by code and field: one fix in the mapping of a field often clears a "
                           "whole group.")
    for name, roots in (("Root causes fixed", diff.roots_fixed), ("New root causes", diff.roots_new)):
        book.table_sheet(name, (*_COLUMNS, "rows taken down"), ([*_cells(f), f.get("rows_rejected")] for f in roots),
                         widths=(11, 10, 8, 8, 36, 24, 22, 70, 14), numeric=("row", "rows taken down"))
    for name, group in (("Fixed", diff.fixed), ("New", diff.new), ("Remaining", diff.remaining)):
        book.table_sheet(name, _COLUMNS, (_cells(f) for f in group), widths=(11, 10, 8, 8, 36, 24, 22, 70),
                         numeric=("row",))
    book.close()


_CSS = ("body{font:14px/1.45 system-ui,sans-serif;margin:24px 32px;color:#1f2937}"
        "table{border-collapse:collapse;margin:8px 0 20px}th,td{padding:4px 8px;border-bottom:1px solid #e5e7eb;"
        "text-align:left;vertical-align:top}th{background:#f3f4f6}td.num{text-align:right}"
        ".fixed{color:#15803d}.new{color:#9b1c1c}code{font-weight:600}")


def _write_html(diff: Diff, out: TextIO) -> None:
    import base64
    import hashlib
    import html

    def e(v: Any) -> str:
        return "" if v is None else html.escape(str(v), quote=True)

    digest = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
    a, b = diff.old, diff.new_side
    w = out.write
    w('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
      f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'sha256-{digest}\'">'
      f"<title>iapt-ds: what changed</title><style>{_CSS}</style></head><body>\n"
      f"<h1>What changed</h1><p>From <b>{e(a.label)}</b> ({e(a.outcome)}, {len(a.findings)} findings) to "
      f"<b>{e(b.label)}</b> ({e(b.outcome)}, {len(b.findings)} findings): "
      f'<span class="fixed">{len(diff.fixed)} fixed</span>, <span class="new">{len(diff.new)} new</span>, '
      f"{len(diff.remaining)} remaining.</p>\n")
    w("<h2>By code</h2><table><tr><th>Code</th><th>Severity</th><th>Fixed</th><th>New</th><th>Remaining</th></tr>")
    for c, sev, fx, nw, rm in diff.by_code():
        w(f'<tr><td><code>{e(c)}</code></td><td>{e(sev)}</td><td class="num">{fx}</td><td class="num">{nw}</td>'
          f'<td class="num">{rm}</td></tr>')
    w("</table>\n")
    causes = diff.by_cause()
    w("<h2>By root cause: code and field</h2>")
    if not causes:
        w("<p>No root cause in either run.</p>\n")
    else:
        w('<p>One fix in the mapping of a field often clears a whole group.</p><table><tr><th>Code</th><th>Field</th>'
          '<th>Severity</th><th>Rows fixed</th><th>Rows new</th><th>Rows still rejected</th><th>In words</th></tr>')
        for g in causes:
            def num(what: str) -> str:
                if not g[what]:
                    return ""
                return "whole file" if g["severity"] == "file" else str(g["rows_" + what])
            w(f'<tr><td><code>{e(g["code"])}</code></td><td>{e(g["field"] or g["table"] or "the file")}</td>'
              f'<td>{e(g["severity"])}</td><td class="num fixed">{num("fixed")}</td><td class="num new">{num("new")}</td>'
              f'<td class="num">{num("remaining")}</td><td>{e(", ".join(cause_parts(g)))}</td></tr>')
        w("</table>\n")
    for title, group, extra in (("Root causes fixed", diff.roots_fixed, True), ("New root causes", diff.roots_new, True),
                                ("New findings", diff.new, False), ("Fixed findings", diff.fixed, False)):
        w(f"<h2>{title} ({len(group)})</h2>")
        if not group:
            w("<p>None.</p>\n")
            continue
        w("<table><tr>" + "".join(f"<th>{c}</th>" for c in ("Code", "Where", "Field", "Value", "Message"))
          + ("<th>Rows taken down</th>" if extra else "") + "</tr>")
        for f in group:
            w(f"<tr><td><code>{e(f.get('code'))}</code></td><td>{e(_where(f))}</td><td>{e(f.get('field'))}</td>"
              f"<td>{e(f.get('value'))}</td><td>{e(f.get('message'))}</td>"
              + (f'<td class="num">{e(f.get("rows_rejected"))}</td>' if extra else "") + "</tr>")
        w("</table>\n")
    w("</body></html>\n")
