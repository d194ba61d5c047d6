"""Hypothesis strategies for IAPT v2.0 submissions, and breakers that break one rule at a time.

For suppliers testing their exports, and for iapt-ds testing itself (tests/test_properties.py).
Needs Hypothesis: ``pip install 'iapt-ds[testing]'``. See docs/testing.md.

* :func:`submissions` — valid submissions (table name → rows of text) that validate with no
  finding at all; :func:`upload_of` gives the matching ``validate`` arguments.
* Per field: :func:`field_values` (whatever the spec allows in a field), :func:`nhs_numbers`,
  :func:`postcodes`, :func:`snomed_ids`, :func:`ods_codes`, :func:`icd10_codes`,
  :func:`assessment_scores`, … and :func:`table_rows` per table.
* :func:`breaking` (``code``) — submissions broken for exactly that rule code
  (:class:`Broken`, which knows the rows that must carry it); :data:`BREAKERS` holds a
  :class:`Breaker` per code, :data:`UNBREAKABLE` the codes that cannot fire and why.

>>> import iapt_ds
>>> from hypothesis import given
>>> from iapt_ds.testing import submissions, upload_of
>>> @given(submissions())
... def test_accepted(rows):
...     assert iapt_ds.validate(rows, **upload_of(rows)).findings == ()
"""

try:
    import hypothesis  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("iapt_ds.testing needs Hypothesis: pip install 'iapt-ds[testing]'") from None

from ._model import cascade_findings
from ._values import (
    assessment_scores,
    dates,
    field_values,
    finding_codes,
    icd10_codes,
    identifiers,
    invalid_nhs_numbers,
    invalid_snomed_ids,
    nhs_numbers,
    ods_codes,
    periods,
    postcodes,
    snomed_expressions,
    snomed_ids,
    texts,
    times,
    width,
)
from .breakers import BREAKERS, UNBREAKABLE, Breaker, Broken, breaking
from .strategies import (
    DEFAULT_SIZES,
    known_reference_data,
    submissions,
    table_rows,
    upload_of,
)

__all__ = [
    "BREAKERS",
    "DEFAULT_SIZES",
    "UNBREAKABLE",
    "Breaker",
    "Broken",
    "assessment_scores",
    "breaking",
    "cascade_findings",
    "dates",
    "field_values",
    "finding_codes",
    "icd10_codes",
    "identifiers",
    "invalid_nhs_numbers",
    "invalid_snomed_ids",
    "known_reference_data",
    "nhs_numbers",
    "ods_codes",
    "periods",
    "postcodes",
    "snomed_expressions",
    "snomed_ids",
    "submissions",
    "table_rows",
    "texts",
    "times",
    "upload_of",
    "width",
]
