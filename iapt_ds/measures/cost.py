"""What the findings cost: the measures as if rejected rows had been accepted.

For every rule code that rejects rows of the tables feeding the measures, the measures are
recomputed with the rows carrying that code accepted (every other fault kept, the cascade
re-run in SDCS's order for the patients concerned), and compared with the measures SDCS would
compute: "fixing IDS00211 on 3 IDS002 rows would bring back 2 finished referrals and 1 recovery".
The same with *every* rejected row accepted gives the totals the submission could have had.

Decided here (iapt-ds's own reading):

* a row is "fixed" by a code when every rejecting finding of its own (not the cascade) is that
  code; a row with two faults comes back only when both are fixed (so only in the "all" case);
* the cascade is re-run on the patient's rows only; rows sharing a key with another patient's
  rows (already an error) are taken with the first patient;
* a key repeated within a table (a group rejection) counts once when accepted: the first row;
* rules computed on accepted rows before the cascade (IDS00223, IDS10129, IDS20169) are kept as
  they fired;
* a file-level rejection costs every measure; when the file is rejected, the row-level codes are
  costed as if the file were accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from ..spec import RuleSpec
from .referral import COUNTS
from .totals import COUNT_WORDS

__all__ = ["CodeCost", "HEADLINE", "rank_key"]

#: the counts a cost is told in, most important first
HEADLINE = ("finished", "recovered", "reliable_improvement", "reliable_recovery", "entered_treatment", "received",
            "finished_within_6_weeks", "finished_within_18_weeks", "ended")


@attrs.frozen
class CodeCost:
    """What one rule code's findings cost the measures."""

    code: str
    rule: RuleSpec = attrs.field(repr=False)
    rows: Mapping[str, int]             # table -> rows carrying the code (what to fix)
    referrals: int                      # referrals whose measures change once it is fixed
    gains: Mapping[str, int]            # count -> change (non-zero only) once it is fixed
    file_level: bool = False
    #: for the file-level rejection: every file-level code, all to be fixed together
    together: tuple[str, ...] = ()
    #: for the file-level rejection: the codes rejecting a row whose rejection rejects the file
    #: (the header row behind IDSREJ015), so fixing them lifts the file-level rejection too
    through: tuple[str, ...] = ()

    def words(self) -> str:
        """``fixing IDS00211 on 3 IDS002 rows would bring back 2 finished referrals and 1 recovery``."""
        if self.file_level:
            codes = self.together or (self.code,)
            where = (f"{codes[0]} (the file-level rejection)" if len(codes) == 1 else
                     f"the file-level rejections ({', '.join(codes)}, all of them)")
        else:
            where = f"{self.code} on " + " and ".join(f"{n} {t} row{'' if n == 1 else 's'}" for t, n in self.rows.items())
        head = self.gain_words()
        if not head:
            return f"fixing {where} would change none of the headline measures"
        return f"fixing {where} would bring back {head}"

    def gain_words(self, most: int = 4) -> str:
        """What fixing brings back, the *most* important counts first: ``2 finished referrals
        and 1 recovery`` ('' when no headline count changes)."""
        parts: list[str] = []
        for name in HEADLINE:
            n = self.gains.get(name, 0)
            if n and len(parts) < most:
                one, many = COUNT_WORDS[name]
                parts.append(f"{abs(n)} {one if abs(n) == 1 else many}" + ("" if n > 0 else " fewer"))
        if not parts:
            return ""
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    @property
    def costly(self) -> bool:
        """Whether fixing it changes a headline count."""
        return any(self.gains.get(n) for n in HEADLINE)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.rule.severity, "rows": dict(self.rows),
                "referrals": self.referrals, "gains": dict(self.gains), "file_level": self.file_level,
                "together": list(self.together), "through": list(self.through), "words": self.words()}


def rank_key(c: CodeCost) -> tuple:
    """Most costly first: the headline counts brought back, in :data:`HEADLINE` order of weight."""
    g = c.gains
    return (-sum(abs(g.get(n, 0)) for n in HEADLINE), *(-g.get(n, 0) for n in HEADLINE),
            -sum(c.rows.values()), c.code)


def gains_of(delta: Sequence[int]) -> Mapping[str, int]:
    return MappingProxyType({n: x for n, x in zip(COUNTS, delta) if x})


def diff(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    return tuple(x - y for x, y in zip(a, b))

