"""The IAPT submission calendar of each version: a reporting period's dates, its
``Unique_MonthID`` and the SDCS windows in which it could be submitted, from the spec's
``calendar.yaml``. :func:`spec_for_period` picks the version whose calendar covers a period.

A window lists the reporting periods it accepts. A period's *primary* window is the first one in
which it is the latest period listed; every other window that lists it takes its *refresh* (a
refresh replaces the primary). So the April 2021 window (February and March 2021) is March's
primary and February's refresh. From August 2023 the two are called *Provisional* and
*Performance* (:attr:`PeriodInfo.primary_name`, :attr:`PeriodInfo.refresh_name`).

>>> info = period_info("2020-09")
>>> info.month_id, str(info.primary.opens), [str(w.opens) for w in info.refresh]
(1446, '2020-10-01', ['2020-11-01', '2020-11-27', '2021-08-01'])
>>> period_info("2022-04").in_dataset
False
"""

from __future__ import annotations

from calendar import monthrange as _monthrange

import datetime as _dt
import re

import attrs

from .errors import UsageError
from .spec import Spec, Window, load_spec

__all__ = ["PeriodInfo", "parse_period", "unique_month_id", "period_from_month_id", "period_info",
           "dataset_periods", "spec_for_period"]

_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@attrs.frozen
class PeriodInfo:
    """Everything the calendar says about one reporting period."""

    period: str                       # YYYY-MM
    start: _dt.date
    end: _dt.date
    month_id: int                     # Unique_MonthID
    in_dataset: bool                  # within the periods the spec's dataset version covers
    primary: Window | None            # the window taking its primary submission
    refresh: tuple[Window, ...]       # the windows taking a refresh, in date order

    @property
    def label(self) -> str:
        """The month in words, e.g. ``March 2021``."""
        return f"{self.start:%B %Y}"

    @property
    def primary_name(self) -> str:
        """What the first submission is called: ``Primary`` (``Provisional`` from August 2023)."""
        return self.primary.names[0] if self.primary is not None else "Primary"

    def refresh_name(self, window: Window | None = None) -> str:
        """What a resubmission in *window* (default: the first refresh) is called: ``Refresh``
        (``Performance`` from August 2023)."""
        w = window or (self.refresh[0] if self.refresh else None)
        return w.names[1] if w is not None else "Refresh"


def parse_period(text: str) -> tuple[int, int]:
    """(year, month) from ``YYYY-MM``; :class:`~iapt_ds.errors.UsageError` otherwise."""
    m = _PERIOD.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise UsageError(f"a reporting period is written YYYY-MM (for example 2021-03), not {text!r}")
    return int(m.group(1)), int(m.group(2))


def unique_month_id(year: int, month: int, origin: str = "1900-04") -> int:
    """SDCS's ``Unique_MonthID``: months since *origin* (April 1900), plus 1.

    >>> unique_month_id(2020, 9)
    1446
    """
    oy, om = parse_period(origin)
    return (year - oy) * 12 + (month - om) + 1


def period_from_month_id(month_id: int, origin: str = "1900-04") -> str:
    """The ``YYYY-MM`` period of a ``Unique_MonthID`` (the inverse of :func:`unique_month_id`).

    >>> period_from_month_id(1446)
    '2020-09'
    """
    oy, om = parse_period(origin)
    months = oy * 12 + (om - 1) + month_id - 1
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def _month_end(year: int, month: int) -> _dt.date:
    """The last day of a month (December 9999 included, whose next month no date can hold)."""
    return _dt.date(year, month, _monthrange(year, month)[1])


def dataset_periods(spec: Spec | None = None) -> list[str]:
    """Every reporting period the spec's dataset version covers, in order (YYYY-MM)."""
    spec = spec or load_spec()
    first = unique_month_id(*parse_period(spec.periods[0]), spec.month_id_origin)
    last = unique_month_id(*parse_period(spec.periods[1]), spec.month_id_origin)
    return [period_from_month_id(i, spec.month_id_origin) for i in range(first, last + 1)]


def _windows_for(period: str, windows: tuple[Window, ...]) -> tuple[Window | None, tuple[Window, ...]]:
    primary: Window | None = None
    refresh: list[Window] = []
    for w in sorted(windows, key=lambda w: w.opens):
        if period not in w.periods:
            continue
        if primary is None and period == max(w.periods):
            primary = w
        else:
            refresh.append(w)
    return primary, tuple(refresh)


def spec_for_period(period: str) -> Spec:
    """The spec of the version that covers *period* (``YYYY-MM``): the newest covers every period
    after its first; a period before every version gets the oldest."""
    from .version_choice import specs_by_version

    year, month = parse_period(period)
    text = f"{year:04d}-{month:02d}"
    specs = list(specs_by_version().values())
    for spec in reversed(specs):
        if spec.periods[0] <= text:
            return spec
    return specs[0]


def period_info(period: str, spec: Spec | None = None) -> PeriodInfo:
    """The calendar for one reporting period given as ``YYYY-MM``."""
    spec = spec or load_spec()
    year, month = parse_period(period)
    text = f"{year:04d}-{month:02d}"
    primary, refresh = _windows_for(text, spec.windows)
    return PeriodInfo(period=text, start=_dt.date(year, month, 1), end=_month_end(year, month),
                      month_id=unique_month_id(year, month, spec.month_id_origin),
                      in_dataset=spec.periods[0] <= text <= spec.periods[1],
                      primary=primary, refresh=refresh)
