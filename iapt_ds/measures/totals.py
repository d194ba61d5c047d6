"""Provider totals for the period, as NHS England publishes them: counts and rates (a preview).

The published figures come from NHS England's post-deadline extract; these are computed from the
rows SDCS would accept, with the definitions of ``measures.yaml``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from .referral import COUNTS

__all__ = ["Rate", "Totals", "RATES", "COUNT_WORDS", "totals_of"]

#: rate name -> (numerator count, denominator: a count, or (count, minus count)), target or None
RATES: Mapping[str, tuple[str, tuple[str, ...], float | None]] = MappingProxyType({
    "recovery_rate": ("recovered", ("finished", "not_at_caseness"), 0.50),
    "reliable_improvement_rate": ("reliable_improvement", ("finished",), None),
    "reliable_recovery_rate": ("reliable_recovery", ("finished", "not_at_caseness"), None),
    "six_week_rate": ("finished_within_6_weeks", ("finished",), 0.75),
    "eighteen_week_rate": ("finished_within_18_weeks", ("finished",), 0.95),
    "entered_six_week_rate": ("entered_within_6_weeks", ("entered_treatment",), None),
    "entered_eighteen_week_rate": ("entered_within_18_weeks", ("entered_treatment",), None),
})

#: how each count reads, singular and plural
COUNT_WORDS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "received": ("referral received", "referrals received"),
    "entered_treatment": ("referral entering treatment", "referrals entering treatment"),
    "ended": ("ended referral", "ended referrals"),
    "finished": ("finished referral", "finished referrals"),
    "finished_unpaired": ("finished referral without paired scores", "finished referrals without paired scores"),
    "at_caseness": ("referral at caseness", "referrals at caseness"),
    "not_at_caseness": ("referral not at caseness", "referrals not at caseness"),
    "recovered": ("recovery", "recoveries"),
    "reliable_improvement": ("reliable improvement", "reliable improvements"),
    "reliable_deterioration": ("reliable deterioration", "reliable deteriorations"),
    "no_reliable_change": ("referral with no reliable change", "referrals with no reliable change"),
    "reliable_recovery": ("reliable recovery", "reliable recoveries"),
    "finished_within_6_weeks": ("finished referral seen within 6 weeks", "finished referrals seen within 6 weeks"),
    "finished_within_18_weeks": ("finished referral seen within 18 weeks", "finished referrals seen within 18 weeks"),
    "entered_within_6_weeks": ("referral entering treatment within 6 weeks", "referrals entering treatment within 6 weeks"),
    "entered_within_18_weeks": ("referral entering treatment within 18 weeks", "referrals entering treatment within 18 weeks"),
})
assert set(COUNT_WORDS) == set(COUNTS)


@attrs.frozen
class Rate:
    """numerator ÷ denominator (None when the denominator is 0), with the national target."""

    name: str
    numerator: int
    denominator: int
    target: float | None = None

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def __str__(self) -> str:
        v = self.value
        return f"{self.numerator}/{self.denominator} = " + ("n/a" if v is None else f"{v:.1%}")


@attrs.frozen
class Totals:
    """The counts of :data:`~iapt_ds.measures.referral.COUNTS` and the rates of :data:`RATES`."""

    period: tuple[_dt.date, _dt.date]
    counts: Mapping[str, int]
    referrals: int = 0          # accepted referrals in the submission, in the period or not
    preview: bool = True

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    @property
    def rates(self) -> dict[str, Rate]:
        out = {}
        for name, (num, den, target) in RATES.items():
            d = self.counts[den[0]] - sum(self.counts[x] for x in den[1:])
            out[name] = Rate(name=name, numerator=self.counts[num], denominator=d, target=target)
        return out

    def as_dict(self) -> dict:
        return {"preview": self.preview, "period": [str(self.period[0]), str(self.period[1])],
                "referrals": self.referrals, "counts": dict(self.counts),
                "rates": {k: {"numerator": r.numerator, "denominator": r.denominator, "value": r.value,
                              "target": r.target} for k, r in self.rates.items()}}


def add(a: Iterable[int], b: Iterable[int]) -> tuple[int, ...]:
    return tuple(x + y for x, y in zip(a, b))


def totals_of(vectors: Iterable[tuple[int, ...]], period: tuple[_dt.date, _dt.date], referrals: int) -> Totals:
    acc = [sum(col) for col in zip(*vectors)] or [0] * len(COUNTS)
    return Totals(period=period, counts=MappingProxyType(dict(zip(COUNTS, acc))), referrals=referrals)
