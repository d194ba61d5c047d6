"""What validation finds: a small frozen :class:`Finding` per failed rule and row.

A finding keeps coordinates and values only; its message is rendered from the rule's template in
the spec when someone asks for it (:attr:`Finding.message`), so millions of findings stay cheap.
A finding made by the cascade links to the finding that rejected the related row
(:attr:`Finding.cause`); :attr:`Finding.root` follows that chain to the root cause.
"""

from __future__ import annotations

import functools
import string
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import compress, count, groupby, repeat
from operator import ge, mod, sub
from typing import TYPE_CHECKING, Any, overload

import attrs

from .spec import RuleSpec, Severity

if TYPE_CHECKING:  # pragma: no cover
    from .model import Table

__all__ = ["Severity", "Finding", "Findings", "message_text", "message_texts", "root_sentence"]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@functools.lru_cache(maxsize=None)
def _placeholders(template: str) -> frozenset[str]:
    """The names a message template fills in (``{value}``, ``{other}`` …), found once per rule."""
    return frozenset(name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template)
                     if name is not None)


def message_text(rule: RuleSpec, values: Sequence[str | None], other: str | None, expected: str | None,
                 detail: str | None) -> str:
    """The rule's message filled in with a finding's values (without the root-cause sentence of
    a cascade finding): what :attr:`Finding.message` and the report writers say."""
    template = rule.message
    names = _placeholders(template)
    if not names:
        return template  # the rule's words hold nothing of the finding: rendered once
    v = values[0] if values else None
    data: dict[str, Any] = _Blank()
    if "value" in names:
        data["value"] = "" if v is None else v
    if "values" in names:
        data["values"] = ", ".join("" if x is None else x for x in values)
    if "other" in names:
        data["other"] = "" if other is None else other
    if "expected" in names:
        data["expected"] = expected or ""
    if "length" in names:
        data["length"] = len(v) if v is not None else 0
    if "detail" in names:
        data["detail"] = detail or ""
    return template.format_map(data)


_BULK_NAMES = frozenset({"value", "values", "other", "expected", "length", "detail"})


@functools.lru_cache(maxsize=None)
def _pieces(template: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(the literal texts, the names between them) of a message template whose every field is a
    plain name that :func:`message_text` fills in (no format spec, conversion, attribute or
    index), so that filling it in is joining texts; None for any other template."""
    literals: list[str] = []
    names: list[str] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        literals.append(literal)
        if name is None:
            continue
        if name not in _BULK_NAMES or spec or conversion is not None:
            return None
        names.append(name)
    if len(literals) == len(names):  # the template ends with a field
        literals.append("")
    return tuple(literals), tuple(names)


def message_texts(rule: RuleSpec, values: Sequence[Sequence[str | None]], others: Sequence[str | None],
                  expected: Sequence[str | None], details: Sequence[str | None]) -> list[str]:
    """:func:`message_text` of many findings of *rule* at once: *values* holds one column per
    field of the rule (each finding's text of that field), *others*, *expected* and *details*
    one item per finding. Equal, item for item, to calling :func:`message_text` on each."""
    template = rule.message
    n = len(others)
    if not _placeholders(template):
        return [template] * n
    pieces = _pieces(template)
    if pieces is None:  # pragma: no cover  (no rule of the spec's has such a template)
        rows = list(zip(*values)) if values else [()] * n
        return [message_text(rule, v, o, e, d) for v, o, e, d in zip(rows, others, expected, details)]
    literals, names = pieces
    first = values[0] if values else [None] * n
    columns: dict[str, Any] = {}
    for name in names:
        if name in columns:
            continue
        if name == "value":
            col: Any = ["" if v is None else v for v in first]
        elif name == "values":
            col = [", ".join(["" if x is None else x for x in row]) for row in zip(*values)] if values else [""] * n
        elif name == "other":
            col = ["" if v is None else v for v in others]
        elif name == "expected":
            col = [v or "" for v in expected]
        elif name == "detail":
            col = [v or "" for v in details]
        else:  # length
            col = ["0" if v is None else str(len(v)) for v in first]
        columns[name] = col
    parts: list[Any] = [repeat(literals[0])]
    for name, literal in zip(names, literals[1:]):
        parts.append(columns[name])
        parts.append(repeat(literal))
    return list(map("".join, zip(*parts)))


def root_sentence(table: str | None, row: int | None, code: str) -> str:
    """The sentence a cascade finding's message ends with, naming its root cause."""
    where = f"{table} row {row}" if row is not None else (table or "the file")
    return f" Root cause: {where} failed {code}."


@attrs.frozen(slots=True, eq=False)
class Finding:
    """One rule failing on one row (or on the file, for file-level findings without a row)."""

    rule: RuleSpec = attrs.field(repr=False)
    table: str | None
    row: int | None                     # 1-based data-row number in its table
    key: tuple[str | None, ...] = ()    # the row's identifying values (e.g. LocalPatientId)
    values: tuple[str | None, ...] = () # original text of the rule's fields, in its order
    other: str | None = None            # the value it was compared with, when there is one
    detail: str | None = None           # extra words (structure problems, duplicate counts …)
    line: int | None = None             # source line (CSV input)
    cause: Finding | None = attrs.field(default=None, repr=False)
    expected: str | None = attrs.field(default=None, repr=False)

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def rejects(self) -> bool:
        return self.rule.severity is not Severity.WARNING

    @property
    def fields(self) -> tuple[str, ...]:
        return self.rule.fields

    @property
    def field(self) -> str | None:
        return self.rule.fields[0] if self.rule.fields else None

    @property
    def value(self) -> str | None:
        return self.values[0] if self.values else None

    @property
    def is_cascade(self) -> bool:
        return self.cause is not None

    @property
    def root(self) -> Finding:
        """The finding at the end of the cause chain (this one when it is not a cascade)."""
        f = self
        while f.cause is not None:
            f = f.cause
        return f

    @property
    def message(self) -> str:
        """The rule's message for this finding, in plain words."""
        text = message_text(self.rule, self.values, self.other, self.expected, self.detail)
        if self.cause is not None:
            root = self.root
            text += root_sentence(root.table, root.row, root.code)
        return text

    def where(self) -> str:
        if self.table is None:
            return "file"
        if self.row is None:
            return self.table
        key = ", ".join(k for k in self.key if k)
        return f"{self.table} row {self.row}" + (f" ({key})" if key else "")

    def __str__(self) -> str:
        return f"{self.where()}: {self.code} {self.rule.severity}: {self.message}"


class Findings(Sequence):
    """The findings of one validation, in order: a sequence of :class:`Finding`.

    A finding on a row is stored as a few numbers in arrays, column by column: its rule, its
    table, its row index and the position of its cause (a few bytes each), and its compared
    value, detail and expected text as indexes into one list of the distinct texts. It is made
    into its :class:`Finding` (key, quoted values, source line, cause) only when it is read; the
    same object is returned after that, so causes and identities stay stable. Counting by rule or
    severity (:meth:`rules`), following causes (:meth:`cause_of`, :meth:`root_of`) and the JSON,
    CSV and text reports (:func:`iapt_ds.report._view.plain_rows`) make no finding at all.

    It compares equal to any sequence of the same findings (``result.findings == ()``)."""

    __slots__ = ("_rule", "_rules", "_rule_no", "_table", "_tables", "_table_no", "_row", "_cause",
                 "_other", "_detail", "_expected", "_texts", "_text_no", "_whole", "_made", "_roots")

    _NONE = -1

    def __init__(self) -> None:
        self._rules: list[RuleSpec] = []          # each distinct rule once
        self._rule_no: dict[int, int] = {}        # id(rule) -> its place in _rules
        self._tables: list[Any] = []              # each table with findings once
        self._table_no: dict[int, int] = {}
        self._rule = array("H")                   # per finding: its rule
        self._table = array("H")                  # its table (for a finding on a row)
        self._row = array("i")                    # its row index; -1: a finding held whole
        self._cause = array("i")                  # position of its cause; -1: none
        self._other = array("i")                  # index into _texts; -1: None
        self._detail = array("i")
        self._expected = array("i")
        self._texts: list[str] = []               # each distinct text once
        self._text_no: dict[str, int] = {}
        self._whole: dict[int, Finding] = {}      # findings on no row, held as they are
        self._made: dict[int, Finding] = {}       # findings on a row made so far
        self._roots: array | None = None          # roots(), kept while no finding is added

    # -- adding (the ledger) ------------------------------------------------------------------
    def _text(self, text: str | None) -> int:
        if text is None:
            return -1
        n = self._text_no.get(text)
        if n is None:
            n = self._text_no[text] = len(self._texts)
            self._texts.append(text)
        return n

    def _number(self, rule: RuleSpec) -> int:
        n = self._rule_no.get(id(rule))
        if n is None:
            n = self._rule_no[id(rule)] = len(self._rules)
            self._rules.append(rule)
        return n

    def add_row(self, rule: RuleSpec, table: Table, i: int, other: str | None, detail: str | None,
                cause: int | None, expected: str | None) -> int:
        """Store a finding on row *i* of *table*; *cause* is the position of the finding that
        rejected the related row. Returns its position."""
        t = self._table_no.get(id(table))
        if t is None:
            t = self._table_no[id(table)] = len(self._tables)
            self._tables.append(table)
        self._rule.append(self._number(rule))
        self._table.append(t)
        self._row.append(i)
        self._cause.append(-1 if cause is None else cause)
        self._other.append(self._text(other))
        self._detail.append(self._text(detail))
        self._expected.append(self._text(expected))
        return len(self._row) - 1

    def add_rows(self, rule: RuleSpec, table: Table, rows: list[int], others: list[str | None],
                 details: list[str | None], expected: list[str | None] | None,
                 causes: list[int | None] | None = None) -> int:
        """Store one finding of *rule* on each of *rows* of *table* (with its compared value,
        detail and expected text; *expected* None: none; *causes*: the position of each one's
        cause, None for none); returns the first one's position."""
        k = len(self._row)
        n = len(rows)
        t = self._table_no.get(id(table))
        if t is None:
            t = self._table_no[id(table)] = len(self._tables)
            self._tables.append(table)
        self._rule.extend(repeat(self._number(rule), n))
        self._table.extend(repeat(t, n))
        self._row.extend(rows)
        if causes is None:
            self._cause.extend(repeat(-1, n))
        elif None in causes:
            self._cause.extend([-1 if c is None else c for c in causes])
        else:
            self._cause.extend(causes)  # type: ignore[arg-type]  # (no None in it)
        self._other.extend(self._texts_of(others))
        self._detail.extend(self._texts_of(details))
        self._expected.extend(repeat(-1, n) if expected is None else self._texts_of(expected))
        return k

    def _texts_of(self, texts: Sequence[str | None]) -> Iterator[int]:
        """:meth:`_text` of each of *texts*; a column of NULLs (the common case) in C."""
        if texts.count(None) == len(texts):
            return repeat(-1, len(texts))
        return map(self._text, texts)

    def append(self, finding: Finding) -> int:
        """Store a finding as it is (one on no row: the file's, a table's)."""
        k = len(self._row)
        self._rule.append(self._number(finding.rule))
        self._table.append(0)
        self._row.append(-1)
        self._cause.append(-1)
        self._other.append(-1)
        self._detail.append(-1)
        self._expected.append(-1)
        self._whole[k] = finding
        return k

    # -- reading without making findings ------------------------------------------------------
    def rule_of(self, k: int) -> RuleSpec:
        """The rule of the finding at position *k*."""
        return self._rules[self._rule[k]]

    def cause_of(self, k: int) -> int | None:
        """The position of the cause of the finding at *k* (None when it is not a cascade)."""
        c = self._cause[k]
        return None if c < 0 else c

    def root_of(self, k: int) -> int:
        """The position of the root cause of the finding at *k* (*k* itself when it is not a
        cascade)."""
        cause = self._cause
        while cause[k] >= 0:
            k = cause[k]
        return k

    def cascades(self) -> Iterator[tuple[int, int]]:
        """(position, position of its cause) of every cascade finding, in order."""
        cause = self._cause
        for k in compress(count(), map(ge, cause, repeat(0))):
            yield k, cause[k]

    def ref_of(self, k: int) -> tuple[str, str | None, int | None]:
        """(code, table, 1-based row) of the finding at *k*."""
        f = self._whole.get(k)
        if f is not None:
            return f.rule.code, f.table, f.row
        return self._rules[self._rule[k]].code, self._tables[self._table[k]].id, self._row[k] + 1

    def sentence_of(self, k: int) -> str:
        """The sentence that closes the message of a finding whose root cause is the finding at *k*
        (:func:`root_sentence`)."""
        code, table, row = self.ref_of(k)
        return root_sentence(table, row, code)

    def refs_of(self, positions: Sequence[int]) -> list[tuple[str, str | None, int | None]]:
        """:meth:`ref_of` of each of *positions*, in bulk."""
        codes = [r.code for r in self._rules]
        tids = [t.id for t in self._tables]
        row = self._row
        refs: list[tuple[str, str | None, int | None]] = list(zip(map(codes.__getitem__, map(self._rule.__getitem__, positions)),
                        map(tids.__getitem__, map(self._table.__getitem__, positions)) if tids
                        else repeat(None, len(positions)),
                        map((1).__add__, map(row.__getitem__, positions))))
        if self._whole:
            whole = self._whole
            for j in compress(count(), map(whole.__contains__, positions)):
                f = whole[positions[j]]
                refs[j] = (f.rule.code, f.table, f.row)
        return refs

    def roots(self) -> array:
        """The position of the root cause of every finding (:meth:`root_of` of each), in order.
        Worked out once and kept until a finding is added (a finding's cause never changes);
        the array is shared: read it, do not change it."""
        kept = self._roots
        if kept is not None and len(kept) == len(self._cause):
            return kept
        # each finding's cause (itself for none), then causes of causes until nothing changes:
        # a pass per link of the longest chain, each in C
        cause = self._cause
        if cause and max(map(sub, cause, count())) < 0:
            # every cause c comes before its finding k (the ledger's order), so c % (k + 1) is c,
            # and -1 % (k + 1) is k: in C
            roots = list(map(mod, cause, count(1)))
        else:  # pragma: no cover  (no cause after its finding is ever stored)
            roots = [k if c < 0 else c for k, c in enumerate(cause)]
        for _ in range(len(roots)):  # (a cause always comes before what it causes: no loop)
            further = list(map(roots.__getitem__, roots))
            if further == roots:
                break
            roots = further
        kept = self._roots = array("i", roots)
        return kept

    def whole(self, k: int) -> Finding | None:
        """The finding at *k* when it is held whole (one on no row), else None."""
        return self._whole.get(k)

    def row_data(self, k: int) -> tuple[RuleSpec, Table, int, str | None, str | None, str | None]:
        """(rule, table, row index, compared value, detail, expected) of a finding on a row."""
        texts = self._texts
        o, d, e = self._other[k], self._detail[k], self._expected[k]
        return (self._rules[self._rule[k]], self._tables[self._table[k]], self._row[k],
                None if o < 0 else texts[o], None if d < 0 else texts[d], None if e < 0 else texts[e])

    def rules(self) -> Iterator[RuleSpec]:
        """The rule of each finding, in order, without making any :class:`Finding`."""
        return map(self._rules.__getitem__, self._rule)

    def rule_counts(self) -> list[tuple[RuleSpec, int]]:
        """(rule, how many findings it has) of each rule with findings, in the order each rule
        first appears, counted without making any :class:`Finding`."""
        counts = Counter(self._rule)
        rules = self._rules
        return [(rules[n], c) for n, c in sorted(counts.items())]

    def positions_where(self, test) -> list[int]:
        """Positions of the findings whose rule passes *test*, without making any."""
        passing = {n for n, rule in enumerate(self._rules) if test(rule)}
        if not passing:
            return []
        return list(compress(count(), map(passing.__contains__, self._rule)))

    def row_runs(self) -> Iterator[tuple[int, RuleSpec, Any, list[int], list[str | None], list[str | None],
                                         list[str | None], list[int] | None] | tuple[int, Finding]]:
        """The findings in order, in runs, without making any finding on a row: for each run of
        consecutive findings of one rule on rows of one table, (position of the first, rule,
        table, row indexes, compared values, details, expected texts, cause positions with -1
        for none, or None when no finding of the run is a cascade); for a finding held whole,
        (position, finding). What a writer lays out a rule's findings from, column by column."""
        rules, tables, whole = self._rules, self._tables, self._whole
        texts = [*self._texts, None]  # position -1 (no text) is None
        at = texts.__getitem__
        start = 0
        for (r, t, held), run in groupby(zip(self._rule, self._table, map(whole.__contains__, count()))):
            end = start + len(list(run))
            if held:
                for k in range(start, end):
                    yield k, whole[k]
            else:
                causes = self._cause[start:end]
                yield (start, rules[r], tables[t], self._row[start:end].tolist(),
                       list(map(at, self._other[start:end])), list(map(at, self._detail[start:end])),
                       list(map(at, self._expected[start:end])), causes.tolist() if max(causes) >= 0 else None)
            start = end

    # -- reading ------------------------------------------------------------------------------
    def _build(self, k: int) -> Finding:
        """The finding at *k* made anew (its cause made and kept, so causes stay the same objects)."""
        rule, table, i, other, detail, expected = self.row_data(k)
        text = table.text
        cause = self._cause[k]
        return Finding(rule=rule, table=table.id, row=i + 1, key=table.key(i),
                       values=tuple([text(i, x) for x in rule.fields]), other=other, detail=detail,
                       line=table.line(i), cause=None if cause < 0 else self._make(cause), expected=expected)

    def _make(self, k: int) -> Finding:
        f = self._whole.get(k)
        if f is not None:
            return f
        f = self._made.get(k)
        if f is not None:
            return f
        f = self._made[k] = self._build(k)
        return f

    def __len__(self) -> int:
        return len(self._row)

    @overload
    def __getitem__(self, k: int) -> Finding: ...

    @overload
    def __getitem__(self, k: slice) -> tuple[Finding, ...]: ...

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(self._make(j) for j in range(*k.indices(len(self._row))))
        n = len(self._row)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError("finding index out of range")
        return self._make(k)

    def __iter__(self) -> Iterator[Finding]:
        make = self._make
        for k in range(len(self._row)):
            yield make(k)

    def stream(self) -> Iterator[Finding]:
        """Every finding in order, as iterating does, but a finding not yet made is made for the
        caller and not kept: a report streams a million findings through without the result
        growing by a million objects. (Its cause is kept, as reading it would keep it, so causes
        stay the same objects.)"""
        whole, made, build = self._whole, self._made, self._build
        for k in range(len(self._row)):
            f = whole.get(k) or made.get(k)
            yield f if f is not None else build(k)

    def made(self) -> Iterator[tuple[int, Finding]]:
        """(position, finding) of the findings already made (read before), without making any."""
        yield from sorted({**self._made, **self._whole}.items(), key=lambda kf: kf[0])

    def cause_positions(self) -> set[int]:
        """The positions of the findings that are the cause of another, without making any."""
        return {c for _, c in self.cascades()}

    def places(self) -> Iterator[tuple[RuleSpec, str | None, int | None]]:
        """(rule, table, 1-based row) of each finding, in order, without making any."""
        rules, tables, whole = self._rules, self._tables, self._whole
        for k, (r, t, i) in enumerate(zip(self._rule, self._table, self._row)):
            if i < 0:
                f = whole[k]
                yield f.rule, f.table, f.row
            else:
                yield rules[r], tables[t].id, i + 1

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Findings):
            return other is self or tuple(self) == tuple(other)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    # as a tuple of findings would: concatenation and repetition give tuples
    def __add__(self, other: Sequence[Finding]) -> tuple[Finding, ...]:
        return tuple(self) + tuple(other)

    def __radd__(self, other: Sequence[Finding]) -> tuple[Finding, ...]:
        return tuple(other) + tuple(self)

    def __mul__(self, n: int) -> tuple[Finding, ...]:
        return tuple(self) * n

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"<Findings: {len(self)}>"
