"""Redaction for reports meant to be shared: NHS numbers, Local Patient Identifiers, postcodes and
birth dates are masked wherever a report shows them.

A masked value keeps its length, its punctuation and its last two letters or digits, so a data
manager can still match it to the row (the row number is never masked)::

    9994021834 -> ********34     LS1 4AP -> *** *AP     1985-06-14 -> ****-**-14

Which fields hold which kind of identifier is in the spec (``sensitive:`` in ``dataset.yaml``).
A value is masked by what it *is*, not only by the column it claims to be in, because damaged
input moves values about (a missing cell shifts a birth date into the next column; swapped
headers put identifiers under other names):

* the values, key and compared value of a sensitive field, always;
* anywhere in any text a report shows (values of other fields, keys, compared values, details,
  messages, structure messages): anything shaped like an NHS number (ten digits, any script,
  spaced 3-3-4 or not) or a postcode, and any of the submission's own identifiers
  (``Result.identifiers``: every value its sensitive columns hold);
* a date in a field that is no date (a birth date shifted out of its column);
* every value of a row whose cells did not line up with the header (a row-level IDSREJ001
  finding): what such a value is cannot be told from its column;
* in a structure message, every quoted text that is not a name of the spec's own (a header row
  that is really a data row, an extra cell, a value that is not a time).

The message is rendered again from the masked finding, so its words stay right ("has 21
characters"), then scrubbed as any other text. Everything here is linear in the text's length.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Sequence
from itertools import compress, count, repeat
from typing import overload

import attrs

from ..findings import Finding
from ..spec import RuleSpec, Spec

__all__ = ["mask", "Redactor"]

_KEEP = 2  # letters or digits left visible at the end of a masked value
_ALNUM = re.compile(r"[^\W_]")
# ten digits of any script (full-width ７ too), optionally spaced or dashed 3-3-4
_NHS_LIKE = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")
_POSTCODE_LIKE = re.compile(r"(?<![^\W_])[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}(?![^\W_])", re.IGNORECASE)
_DATE_LIKE = re.compile(r"(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?!\d)|(?<!\d)\d{1,2}/\d{1,2}/\d{2,4}(?!\d)")
_TOKEN = re.compile(r"[^\s'\",;()\[\]{}<>=|]+")
_TOKEN_SPLIT = re.compile(f"({_TOKEN.pattern})")
_TRAILING = ".:/-"
_MIN_IDENTIFIER = 4
_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")
_DATE_TYPES = frozenset({"date", "datetime"})


def _longest_first(secrets: set[str]) -> list[str]:
    """*secrets* in the order they are masked: the longest first, so that a longer one is masked
    whole; equally long ones in text order, so that two overlapping ones are masked the same
    way in every process (a set's order is not: it follows the string hashes of the process).

    >>> _longest_first({"12CD", "AB12", "AB12CD9"})
    ['AB12CD9', '12CD', 'AB12']
    """
    return sorted(secrets, key=lambda s: (-len(s), s))


@overload
def mask(value: str) -> str: ...
@overload
def mask(value: None) -> None: ...


def mask(value: str | None) -> str | None:
    """*value* with every letter and digit but the last two replaced by ``*`` (all of them when
    it has four or fewer); punctuation and spaces are kept. None stays None.

    >>> mask("R1Z0000101"), mask("LS1 4AP"), mask("1985-06-14"), mask("AB1")
    ('********01', '*** *AP', '****-**-14', '***')
    """
    if not value:
        return value
    ascii_ = value.isascii()
    alnum = len(value) - len(value.translate(_ASCII_DROP) if ascii_ else _ALNUM.sub("", value))
    if alnum <= 4:
        return _stars(value, ascii_)
    # the position of the second-last letter or digit: everything before it is masked
    cut, seen = len(value), 0
    while seen < _KEEP:
        cut -= 1
        if _ALNUM.match(value, cut):
            seen += 1
    return _stars(value[:cut], ascii_) + value[cut:]


_ASCII_ALNUM = [c for c in range(128) if chr(c).isalnum()]
_ASCII_DROP = dict.fromkeys(_ASCII_ALNUM)
_ASCII_STAR = dict.fromkeys(_ASCII_ALNUM, "*")


def _stars(text: str, ascii_: bool) -> str:
    """Every letter and digit of *text* as ``*`` (a translation table for ASCII text: fast)."""
    return text.translate(_ASCII_STAR) if ascii_ else _ALNUM.sub("*", text)


def _field_of(ref: object) -> str | None:
    """The field named by a rule parameter such as ``IDS001.PersonBirthDate``."""
    return ref.rpartition(".")[2] if isinstance(ref, str) else None


class Redactor:
    """Masks the sensitive parts of findings, for one spec (it knows each table's key columns and
    which fields are sensitive) and, when given, the submission's own *identifiers*."""

    def __init__(self, spec: Spec, identifiers: Collection[str] = (), untrusted: Collection[tuple] = ()) -> None:
        self.spec = spec
        self.sensitive = spec.sensitive_fields
        self._key_mask = {tid: tuple(name in self.sensitive for name in t.key) for tid, t in spec.tables.items()}
        # short ones would mask ordinary words and numbers of the messages ("row 12")
        self._ids = frozenset(i for i in identifiers if i and len(i) >= _MIN_IDENTIFIER)
        self._masked: dict[str, str] = {}  # token -> its masked text, for tokens that are identifiers
        self._scrubbed: dict[str, str] = {}  # text -> text() of it, for the texts seen so far
        #: (table, row) of rows whose cells did not line up with the header
        self._untrusted = frozenset(untrusted)
        self._bad_rows: dict[str, frozenset[int]] = {}
        self._names = frozenset({f.name for t in spec.tables.values() for f in t.fields}
                                | {t.name for t in spec.tables.values()} | set(spec.tables))
        self._structure = next((r.code for r in spec.rules.values() if r.kind == "structure"), "IDSREJ001")

    def _date_field(self, table: str | None, name: str) -> bool:
        t = self.spec.tables.get(table or "")
        field = t.field_map.get(name) if t is not None else None
        return field is not None and field.type in _DATE_TYPES

    def finding(self, f: Finding) -> Finding:
        """A copy of *f* whose values, key, compared value and detail are masked where sensitive."""
        rule = f.rule
        whole = (f.table, f.row) in self._untrusted and f.row is not None
        values = tuple(mask(v) if whole or name in self.sensitive else self._value(v, f.table, name)
                       for name, v in zip(rule.fields, f.values))
        flags = self._key_mask.get(f.table or "", ())
        key = tuple(mask(k) if whole or (i < len(flags) and flags[i]) else self.text(k) for i, k in enumerate(f.key))
        other = f.other
        if whole or any(_field_of(rule.params.get(p)) in self.sensitive for p in ("other", "birth_date")):
            other = mask(other)
        detail = f.detail
        if detail and (whole or rule.code == self._structure):
            detail = self._quoted(detail)
        return attrs.evolve(f, values=values, key=key, other=self.text(other), detail=self.text(detail))

    def _value(self, v: str | None, table: str | None, name: str) -> str | None:
        """A value of a field that is not sensitive: a date in a field that is no date is masked
        whole (it may be a birth date out of place); otherwise the text is scrubbed."""
        if v and not self._date_field(table, name) and _DATE_LIKE.search(v):
            return mask(v)
        return self.text(v)

    def _quoted(self, text: str) -> str:
        """Every quoted text masked but the spec's own names (columns, tables)."""
        def one(m: re.Match) -> str:
            inner = m.group(0)[1:-1]
            return m.group(0) if inner in self._names else m.group(0)[0] + (mask(inner) or "") + m.group(0)[-1]
        return _QUOTED.sub(one, text)

    def message(self, original: Finding, masked: Finding) -> str:
        """The message of *masked* (a copy made by :meth:`finding`), scrubbed of anything that
        is an identifier; for a row that did not line up, of every quoted value."""
        return self.scrub(masked.message, original)

    def scrub(self, text: str, original: Finding) -> str:
        """*text*, a message of the finding *original*, scrubbed as :meth:`message` scrubs it."""
        if (original.table, original.row) in self._untrusted and original.row is not None:
            text = self._quoted(text)
        for s in self.secrets(original):
            if s in text:
                text = text.replace(s, mask(s) or s)
        return self.text(text) or text

    def secrets(self, f: Finding) -> list[str]:
        """The sensitive strings *f* carries (longest first, so a longer one is masked whole)."""
        return self._secrets(f.rule, f.table, f.values, f.key)

    def _secrets(self, rule: RuleSpec, table: str | None, values: Sequence[str | None],
                 key: Sequence[str | None]) -> list[str]:
        found = {v for name, v in zip(rule.fields, values) if name in self.sensitive and v}
        flags = self._key_mask.get(table or "", ())
        found.update(k for i, k in enumerate(key) if k and i < len(flags) and flags[i])
        return _longest_first(found)

    # -- many findings at once: a run of one rule's findings on rows of one table ------------------
    def run_columns(self, rule: RuleSpec, table: str, rows: Sequence[int], keys: Sequence[list[str | None]],
                    values: Sequence[list[str | None]], others: list[str | None], details: list[str | None]
                    ) -> tuple[list[list[str | None]], list[list[str | None]], list[str | None], list[str | None], list[int]]:
        """:meth:`finding` of each finding of *rule* on *rows* (1-based) of *table*, column by
        column: its key columns, value columns (one per field of the rule), compared values and
        details masked as :meth:`finding` masks them, each distinct text of a column once; with
        the places in the run of the findings on rows that did not line up (masked whole)."""
        bad = self._untrusted_rows(table)
        untrusted = list(compress(count(), map(bad.__contains__, rows))) if bad else []
        sensitive = self.sensitive
        out_values = []
        for name, col in zip(rule.fields, values):
            if name in sensitive:
                out_values.append(_each(mask, col, untrusted, mask))
            else:
                out_values.append(_each(functools.partial(self._value, table=table, name=name), col, untrusted, mask))
        flags = self._key_mask.get(table, ())
        out_keys = [_each(mask if i < len(flags) and flags[i] else self.text, col, untrusted, mask)
                    for i, col in enumerate(keys)]
        whole_other = lambda o: self.text(mask(o))  # noqa: E731
        sensitive_other = any(_field_of(rule.params.get(p)) in sensitive for p in ("other", "birth_date"))
        out_others = _each(whole_other if sensitive_other else self.text, others, untrusted, whole_other)
        whole_detail = lambda d: self.text(self._quoted(d) if d else d)  # noqa: E731
        out_details = _each(whole_detail if rule.code == self._structure else self.text, details, untrusted,
                            whole_detail)
        return out_keys, out_values, out_others, out_details, untrusted

    def run_messages(self, texts: list[str], rule: RuleSpec, table: str, keys: Sequence[list[str | None]],
                     values: Sequence[list[str | None]], untrusted: Sequence[int]) -> list[str]:
        """:meth:`message` of each finding of a run: *texts* are the messages rendered from the
        masked columns (:meth:`run_columns`), *keys* and *values* the run's original columns,
        *untrusted* the places of the findings on rows that did not line up."""
        texts = list(texts)
        for j in untrusted:
            texts[j] = self._quoted(texts[j])
        sensitive = self.sensitive
        flags = self._key_mask.get(table, ())
        secret_values = [col for name, col in zip(rule.fields, values) if name in sensitive]
        secret_keys = [col for i, col in enumerate(keys) if i < len(flags) and flags[i]]
        text = self.text
        if not secret_values and not secret_keys:
            return [text(t) or t for t in texts]
        out = []
        # the secrets of each finding as :meth:`secrets` finds them (the same set, made in the
        # same order, so that equally long ones are tried in the same order)
        rows_values = zip(*secret_values) if secret_values else repeat(())
        rows_keys = zip(*secret_keys) if secret_keys else repeat(())
        for t, vs, ks in zip(texts, rows_values, rows_keys):
            found = {v for v in vs if v}
            found.update(k for k in ks if k)
            for s in _longest_first(found):
                if s in t:
                    t = t.replace(s, mask(s) or s)
            out.append(text(t) or t)
        return out

    def _untrusted_rows(self, table: str) -> frozenset[int]:
        rows = self._bad_rows.get(table)
        if rows is None:
            rows = self._bad_rows[table] = frozenset(r for t, r in self._untrusted if t == table and r is not None)
        return rows

    def text(self, text: str | None) -> str | None:
        """Text from the data with anything shaped like an NHS number or a postcode, and any of
        the submission's identifiers, masked."""
        if not text:
            return text
        done = self._scrubbed.get(text)
        if done is not None:
            return done
        given = text
        text = _NHS_LIKE.sub(lambda m: mask(m.group(0)) or "", text)
        text = _POSTCODE_LIKE.sub(lambda m: mask(m.group(0)) or "", text)
        if self._ids:
            text = self._tokens(text)
        self._scrubbed[given] = text  # (texts repeat: a patient's identifier on each of their rows)
        return text

    def _tokens(self, text: str) -> str:
        """*text* with each token that is one of the identifiers (or is one followed by trailing
        punctuation) masked, as :meth:`_token` masks it, each distinct token worked out once;
        a text holding none is returned as it is."""
        parts = _TOKEN_SPLIT.split(text)  # text between tokens, a token, text between, ...
        tokens = parts[1::2]
        bare = list(map(str.rstrip, tokens, repeat(_TRAILING)))
        ids = self._ids
        if ids.isdisjoint(tokens) and ids.isdisjoint(bare):
            return text
        masked = self._masked
        for token, b in zip(tokens, bare):
            if token not in masked and (token in ids or b in ids):
                masked[token] = self._token_text(token)
        parts[1::2] = map(masked.get, tokens, tokens)
        return "".join(parts)

    def _token(self, m: re.Match) -> str:
        return self._token_text(m.group(0))

    def _token_text(self, token: str) -> str:
        """*token* masked when it is one of the identifiers (or one with trailing punctuation)."""
        if token in self._ids:
            return mask(token) or token
        bare = token.rstrip(_TRAILING)
        if bare != token and bare in self._ids:
            return (mask(bare) or bare) + token[len(bare):]
        return token


def _each(fn: Callable[[str | None], str | None], col: list[str | None], untrusted: Sequence[int],
          whole: Callable[[str | None], str | None]) -> list[str | None]:
    """*fn* of each text of *col* (worked out once per distinct text), but *whole* of those at
    the places *untrusted*."""
    done = {v: fn(v) for v in set(col)}
    out = list(map(done.__getitem__, col))
    for j in untrusted:
        out[j] = whole(col[j])
    return out
