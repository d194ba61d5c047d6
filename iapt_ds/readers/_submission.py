"""The last step of every reader: the tables read become one :class:`Submission` in the spec's
order, each table the input lacks standing in empty (and said to be missing)."""

from __future__ import annotations

from ..model import InputProblem, Submission, Table
from ..spec import Spec
from ._build import TableBuilder

__all__ = ["finish_submission"]


def _empty(spec: Spec, tid: str) -> Table:
    return TableBuilder(spec.tables[tid], None, [f.name for f in spec.tables[tid].fields], []).build()


def finish_submission(spec: Spec, tables: dict[str, Table], problems: list[InputProblem], source: str,
                      unknown: list[str]) -> Submission:
    """The submission of *tables* (table id → table): every table of the spec, in its order."""
    for tid, tspec in spec.tables.items():
        if tid not in tables:
            problems.append(InputProblem(tid, f"the table {tspec.name} is missing"))
            tables[tid] = _empty(spec, tid)
    ordered = {tid: tables[tid] for tid in spec.tables}
    return Submission(spec=spec, tables=ordered, source=source, problems=problems, unknown_tables=unknown)
