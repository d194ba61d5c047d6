"""Would this referral count? The headline NHS Talking Therapies measures, before submitting.

From a validated submission (its :class:`~iapt_ds.model.Submission` and the
:class:`~iapt_ds.result.Result`), on the rows SDCS would accept:

* per referral (:class:`ReferralMeasures`): treatment contacts, first assessment and treatment
  dates, the wait, finished treatment, the problem descriptor and the anxiety measure used,
  first and last PHQ-9 and anxiety scores, caseness, recovery, reliable improvement /
  deterioration / no change, reliable recovery; and for every measure it drops out of, why;
* provider totals for the period (:class:`Totals`: counts and rates, labelled a preview: NHS
  England publishes the real figures from its post-deadline extract);
* what the findings cost (:class:`CodeCost`): the same measures with the rows each rule code
  rejects accepted, most costly first, and with every rejected row accepted.

The definitions are data of the dataset version (``spec/iapt-v2.0/measures.yaml``), each with
its source and how sure it is; ``iapt-ds explain recovery`` tells one.

>>> import iapt_ds
>>> from iapt_ds import measures
>>> p = measures.preview(iapt_ds.example_path())
>>> p.totals["finished"], str(p.totals.rates["recovery_rate"])
(2, '1/2 = 50.0%')
>>> p.referral("R1Z2100102").why["finished"]
'not discharged (the referral is open)'
"""

from __future__ import annotations

from typing import Any

from ._compute import Preview, compute, for_report, period_of
from .cost import CodeCost
from .definitions import Definitions, Explanation, Measure, Threshold, load_definitions
from .referral import (COUNTS, MEASURES, ComplaintIn, ContactIn, LogIn, ReferralIn, ReferralMeasures, ScoreIn,
                       assess)
from .totals import RATES, Rate, Totals

__all__ = ["preview", "compute", "Preview", "ReferralMeasures", "Totals", "Rate", "CodeCost", "Definitions",
           "Measure", "Threshold", "Explanation", "load_definitions", "assess", "ReferralIn", "ContactIn",
           "LogIn", "ComplaintIn", "ScoreIn", "COUNTS", "MEASURES", "RATES", "period_of", "for_report"]


def preview(source: Any, *, period: Any = None, cost: bool = True, **validate_args: Any) -> Preview:
    """Read *source* (anything :func:`iapt_ds.read` takes), validate it (*period* and
    *validate_args* as :func:`iapt_ds.validate` takes them) and compute its measures."""
    from ..pipeline import validate
    from ..readers import read

    spec = validate_args.get("spec")
    sub = read(source, spec=spec) if spec is not None else read(source)
    result = validate(sub, period=period, **validate_args)
    return compute(sub, result, period=period, cost=cost)
