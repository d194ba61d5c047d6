"""What a validation run checked, recorded in every report: the upload's details as chosen (the
period, provider, sender, submitted-at), the SDCS window that submitted-at falls in (or that it
falls in none), the tool and spec versions, when the run was made and the reference data used.

>>> import datetime as dt, iapt_ds
>>> r = iapt_ds.validate(iapt_ds.example_path(), period="2021-03", submitted_at="2021-04-05T12:00")
>>> r.checked.window
'the primary window for 2021-03 (opens 2021-04-01, closes 2021-04-29)'
>>> r.checked.warnings()
[]
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

import attrs

from .spec import Spec, Window

__all__ = ["Checked", "ReferenceFile", "what_was_checked", "window_words"]


@attrs.frozen
class ReferenceFile:
    """One reference-data file a run used: what it is, its name and its edition (a date or the
    file's own words), as far as known."""

    kind: str                       # e.g. "organisations", "GP practices", "postcodes"
    name: str                       # the file's name (no folder)
    edition: str | None = None      # its publication date or version, when known
    entries: int | None = None      # how many codes it holds


@attrs.frozen
class Checked:
    """What was checked in one run (see the module's doc)."""

    period: str | None              # the reporting period chosen for the upload (YYYY-MM), or None
    header_period: str | None       # the period the file's header states (YYYY-MM), or None
    provider: str | None
    sender: str | None
    submitted_at: _dt.datetime | None
    submitted_at_given: bool        # False when submitted-at defaulted to the time of the run
    window: str | None              # the SDCS window submitted-at falls in, in words; None: in none
    window_note: str | None         # why no window, when there is none
    tool_version: str
    spec_name: str
    spec_version: str
    run_at: _dt.datetime
    reference: tuple[ReferenceFile, ...] = ()
    reference_given: bool = False

    def warnings(self) -> list[str]:
        """What a person should hear about before trusting the result."""
        out = []
        if self.window is None and self.window_note and self.submitted_at_given:
            out.append(self.window_note)
        if self.period and self.header_period and self.period != self.header_period:
            out.append(f"the period chosen ({self.period}) is not the one the file's header states "
                       f"({self.header_period})")
        return out

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs in the order every report shows them."""
        def given(v: str | None, what: str) -> str:
            return v if v else f"not given ({what} not checked)"

        period = self.period or f"not chosen (the header's {self.header_period or 'period, unknown,'} is used)"
        if self.period and self.header_period and self.period != self.header_period:
            period += f"; the file's header states {self.header_period}"
        at = f"{self.submitted_at:%Y-%m-%d %H:%M}" if self.submitted_at else "unknown"
        if not self.submitted_at_given:
            at += " (not given: the time of the run)"
        lines = [("reporting period", period),
                 ("provider", given(self.provider, "IDS00030")),
                 ("sender", given(self.sender, "IDS00033")),
                 ("submitted at", at),
                 ("SDCS window", self.window or f"none: {self.window_note}"),
                 ("tool", f"iapt-ds {self.tool_version}"),
                 ("spec", f"{self.spec_name} v{self.spec_version}"),
                 ("run at", f"{self.run_at:%Y-%m-%d %H:%M:%S}")]
        if self.reference:
            for ref in self.reference:
                words = ref.name + (f", edition {ref.edition}" if ref.edition else "")
                if ref.entries is not None:
                    words += f", {ref.entries} entries"
                lines.append(("reference data", f"{ref.kind}: {words}"))
        else:
            lines.append(("reference data", "given" if self.reference_given else
                          "none (the reference-data rules are not checked)"))
        return lines

    def as_dict(self) -> dict[str, Any]:
        """A plain form for the JSON report."""
        return {"period": self.period, "header_period": self.header_period, "provider": self.provider,
                "sender": self.sender,
                "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
                "submitted_at_given": self.submitted_at_given, "window": self.window,
                "window_note": self.window_note, "tool_version": self.tool_version,
                "spec": {"name": self.spec_name, "version": self.spec_version},
                "run_at": self.run_at.isoformat(timespec="seconds"),
                "reference_data": [attrs.asdict(r) for r in self.reference],
                "reference_given": self.reference_given}


def _span(w: Window) -> str:
    return f"opens {w.opens}, closes {w.closes}"


def window_words(period: str | None, at: _dt.datetime | None, windows: Sequence[Window]) -> tuple[str | None, str | None]:
    """(the window *at* falls in for *period*, in words; None) or (None, why there is none)."""
    if at is None:
        return None, "no submission time"
    day = at.date()
    open_now = [w for w in sorted(windows, key=lambda w: w.opens) if w.opens <= day <= w.closes]
    if period is None:
        if open_now:
            w = open_now[0]
            return f"the window {_span(w)}, for {', '.join(w.periods)}", None
        return None, f"{day} falls in no SDCS submission window"
    for w in open_now:
        if period in w.periods:
            kind = (w.names[0] if period == max(w.periods) else w.names[1]).lower()
            return f"the {kind} window for {period} ({_span(w)})", None
    takes = [w for w in sorted(windows, key=lambda w: w.opens) if period in w.periods]
    if not takes:
        return None, f"no SDCS window takes the period {period}"
    before = [w for w in takes if w.closes < day]
    after = [w for w in takes if w.opens > day]
    if after and not before:
        why = f"the first window for {period} opens on {after[0].opens}"
    elif before and not after:
        why = f"the last window for {period} closed on {before[-1].closes}"
    else:
        why = f"between windows for {period} (one closed {before[-1].closes}, the next opens {after[0].opens})"
    return None, f"{day} is in no SDCS window for {period}: {why}"


def what_was_checked(spec: Spec, *, period: str | None, header_period: str | None, provider: str | None,
                     sender: str | None, submitted_at: _dt.datetime | None, submitted_at_given: bool,
                     reference: Any = None) -> Checked:
    """The :class:`Checked` record of one run."""
    from . import __version__

    window, note = window_words(period or header_period, submitted_at, spec.windows)
    files = tuple(getattr(reference, "files", ()) or ())
    return Checked(period=period, header_period=header_period, provider=provider, sender=sender,
                   submitted_at=submitted_at, submitted_at_given=submitted_at_given, window=window,
                   window_note=note, tool_version=__version__, spec_name=spec.name, spec_version=spec.version,
                   run_at=_dt.datetime.now().replace(microsecond=0), reference=files,
                   reference_given=reference is not None)
