"""The first and last steps of every reader: the spec to read with, chosen from what was seen of
the header before anything is typed (:func:`choose_spec`), and the tables read made one
:class:`Submission` in the spec's order, each table the input lacks standing in empty (and said
to be missing)."""

from __future__ import annotations

from .. import version_choice as _versions
from ..errors import UsageError
from ..model import InputProblem, Submission, Table
from ..spec import Spec
from ..version_choice import HeaderPeek, VersionChoice, choose_version, structure_note
from ._build import TableBuilder

__all__ = ["choose_spec", "finish_submission"]


def choose_spec(peek: HeaderPeek | None, *, spec: Spec | None = None, version: str | None = None,
                period: str | None = None) -> tuple[Spec, VersionChoice]:
    """The spec to read a file with, and why, from what was seen of its header (*peek*)."""
    if spec is not None and version is not None and version != spec.version:
        raise UsageError(f"version={version!r} and a v{spec.version} spec were both given; give one")
    specs = {spec.version: spec} if spec is not None else _versions.specs_by_version()
    choice = choose_version(peek, specs=specs, override=None if spec is not None else version, spec=spec,
                            upload_period=period)
    return (spec if spec is not None else specs[choice.version]), choice


def _empty(spec: Spec, tid: str) -> Table:
    return TableBuilder(spec.tables[tid], None, [f.name for f in spec.tables[tid].fields], [],
                        version=spec.version).build()


def finish_submission(spec: Spec, tables: dict[str, Table], problems: list[InputProblem], source: str,
                      unknown: list[str], version: VersionChoice | None = None) -> Submission:
    """The submission of *tables* (table id → table): every table of the spec, in its order.
    *version* is how the reader chose the spec; when the tables and columns are another
    version's, the first structure problem says so, naming every difference."""
    for tid, tspec in spec.tables.items():
        if tid not in tables:
            problems.append(InputProblem(tid, f"the table {tspec.name} is missing"))
            tables[tid] = _empty(spec, tid)
    if version is not None:
        note = structure_note(version)
        if note is not None:
            problems.insert(0, InputProblem(None, note))
    ordered = {tid: tables[tid] for tid in spec.tables}
    return Submission(spec=spec, tables=ordered, source=source, problems=problems, unknown_tables=unknown,
                      version=version)
