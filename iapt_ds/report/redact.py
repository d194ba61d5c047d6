"""Redaction for reports meant to be shared: NHS numbers, Local Patient Identifiers, postcodes and
birth dates are masked wherever a report shows them (values, keys, compared values, messages).

A masked value keeps its length, its punctuation and its last two letters or digits, so a data
manager can still match it to the row (the row number is never masked)::

    9994021834 -> ********34     LS1 4AP -> *** *AP     1985-06-14 -> ****-**-14

Masking is done on the finding's own fields, and the message is rendered again from the masked
finding, so the words stay right ("has 21 characters") and the rule's own words are untouched. As
a second line of defence, text taken from the data (values of other columns, compared values,
details) is cleared of the finding's sensitive strings and of anything shaped like an NHS number
or a postcode, and so is the rendered message of the finding's sensitive strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import overload

import attrs

from ..findings import Finding
from ..spec import Spec

__all__ = ["SENSITIVE_FIELDS", "mask", "Redactor"]

#: the columns whose values identify a person
SENSITIVE_FIELDS = frozenset({"NHSNumber", "LocalPatientId", "Postcode", "PersonBirthDate"})

_KEEP = 2  # letters or digits left visible at the end of a masked value
_NHS_LIKE = re.compile(r"(?<![0-9])[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}(?![0-9])")
_POSTCODE_LIKE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b", re.IGNORECASE)
_QUOTED = re.compile(r"'[^']*'")


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
    if value is None:
        return None
    alnum = sum(ch.isalnum() for ch in value)
    keep = _KEEP if alnum > 4 else 0
    out = []
    seen = 0
    for ch in value:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen > alnum - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def _field_of(ref: object) -> str | None:
    """The field named by a rule parameter such as ``IDS001.PersonBirthDate``."""
    return ref.rpartition(".")[2] if isinstance(ref, str) else None


class Redactor:
    """Masks the sensitive parts of findings, for one spec (it knows each table's key columns)."""

    def __init__(self, spec: Spec) -> None:
        self._key_mask = {tid: tuple(name in SENSITIVE_FIELDS for name in t.key) for tid, t in spec.tables.items()}

    def finding(self, f: Finding) -> Finding:
        """A copy of *f* whose values, key, compared value and detail are masked where sensitive.
        Values of other columns are cleared of anything shaped like an NHS number or a postcode."""
        rule = f.rule
        values = tuple(mask(v) if name in SENSITIVE_FIELDS else self.text(v)
                       for name, v in zip(rule.fields, f.values))
        flags = self._key_mask.get(f.table or "", ())
        key = tuple(mask(k) if i < len(flags) and flags[i] else k for i, k in enumerate(f.key))
        other = f.other
        if any(_field_of(rule.params.get(p)) in SENSITIVE_FIELDS for p in ("other", "birth_date")):
            other = mask(other)
        return attrs.evolve(f, values=values, key=key, other=self.text(other),
                            detail=self.text(f.detail, self.secrets(f), quoted=True))

    def secrets(self, f: Finding) -> list[str]:
        """The sensitive strings *f* carries (longest first, so a longer one is masked whole)."""
        rule = f.rule
        found = {v for name, v in zip(rule.fields, f.values) if name in SENSITIVE_FIELDS and v}
        flags = self._key_mask.get(f.table or "", ())
        found.update(k for i, k in enumerate(f.key) if k and i < len(flags) and flags[i])
        return sorted(found, key=len, reverse=True)

    def message(self, original: Finding, masked: Finding) -> str:
        """The message of *masked* (a copy made by :meth:`finding`), cleared of *original*'s
        sensitive strings. The rule's own words are left alone."""
        text = masked.message
        for s in self.secrets(original):
            text = re.sub(rf"(?<!\w){re.escape(s)}(?!\w)", mask(s), text)
        return text

    @staticmethod
    def text(text: str | None, secrets: Iterable[str] = (), *, quoted: bool = False) -> str | None:
        """Text taken from the data with each of *secrets*, and anything shaped like an NHS number
        or a postcode, masked. With *quoted* (for a finding's detail), text naming a sensitive
        column has its quoted values masked too."""
        if not text:
            return text
        for s in secrets:
            text = re.sub(rf"(?<!\w){re.escape(s)}(?!\w)", mask(s), text)
        if quoted and any(name in text for name in SENSITIVE_FIELDS):
            text = _QUOTED.sub(lambda m: "'" + mask(m.group(0)[1:-1]) + "'", text)
        text = _NHS_LIKE.sub(lambda m: mask(m.group(0)), text)
        return _POSTCODE_LIKE.sub(lambda m: mask(m.group(0)), text)
