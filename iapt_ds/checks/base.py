"""What a rule *kind* is: one object holding everything about the kind, in one place.

A kind declares

* its **parameters** (:attr:`Kind.params`: name -> :class:`Param`), checked when the spec loads,
  with :meth:`Kind.check_params` for what a type cannot say (a field reference, a code list);
* the **phase** of the pipeline that runs it (:class:`Phase`) and its **evaluation**
  (:meth:`Kind.evaluate` for the row, uniqueness and pipeline stages, over whole columns;
  :meth:`Kind.apply` for the file-level stages, which add to the findings ledger themselves);
* its **NULL and unparsable-value policy** as data (:class:`Nulls`, :class:`Unparsable`), so
  that another engine can honour exactly what the Python evaluation does;
* its **words**: :attr:`Kind.summary` for docs/kinds.md, :meth:`Kind.describe` for ``explain``
  and the reports, :meth:`Kind.advice`, and :meth:`Kind.expected` (what a finding says was
  expected);
* its **testing facets** (:class:`Testing`): the breaker of :mod:`iapt_ds.testing` that breaks it
  (by name: this module must not import hypothesis), or why it cannot be broken, and what a
  value that breaks a length rule on the same field does to it; and :meth:`Kind.legal_dates`,
  the dates a field may hold under it;
* a slot for **SQL** (:meth:`Kind.sql`): ``None`` until an SQL engine fills it.

Kinds are classes with a :func:`kind` decorator: it checks every facet when the class is defined
(a missing one is a :class:`TypeError` at import, never a ``KeyError`` at run time); each module
then registers one instance of each of its kinds. :mod:`iapt_ds.checks.catalogue` gathers them per spec version; the loaded
:class:`~iapt_ds.spec.Spec` carries its version's kinds as ``spec.kinds``.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

if TYPE_CHECKING:  # pragma: no cover
    from ..ledger import Ledger
    from ..model import Table
    from ..spec import RuleSpec, Spec
    from .context import Context
    from .sql import Dialect

__all__ = ["Fail", "Kind", "Nulls", "Param", "ParamCheck", "Phase", "Testing", "Unparsable", "kind"]

#: (row index, the value compared with as text or None, extra detail or None)
Fail = tuple[int, "str | None", "str | None"]


class Phase(enum.Enum):
    """The part of the pipeline that runs a kind (in the pipeline's order; each is run by one of
    the pipeline's stages, :data:`iapt_ds.pipeline.STAGES`)."""

    STRUCTURE = "structure"        # IDSREJ001, before any row rule
    MANDATORY = "mandatory"        # IDSREJ002-005: mandatory tables with no rows
    ROW = "row"                    # one row at a time, or the rows of one table (uniqueness)
    PIPELINE = "pipeline"          # rules that look at which other rows are still accepted
    CASCADE = "cascade"            # referential integrity, in the spec's cascade order
    OUTCOME = "outcome"            # the file outcome, once everything else has run


class Nulls(enum.Enum):
    """What a NULL (blank) value does under the kind."""

    PASS = "a NULL value passes"
    FAIL = "a NULL value fails"
    PER_PARAMS = "as the rule's parameters say (present:, nulls_equal)"
    GROUPED = "NULLs are grouped together as one value"
    NOT_APPLICABLE = "not about values"


class Unparsable(enum.Enum):
    """What a value that could not be parsed as its field's type (:class:`~iapt_ds.parse.Invalid`)
    does under the kind."""

    AS_NULL = "counts as NULL"
    FAIL = "fails (the kind is the field's format rule)"
    PASS = "counts as a given value that passes"
    NOT_APPLICABLE = "not about values"


@attrs.frozen
class Param:
    """One parameter of a kind: the Python types YAML may give it and whether it is required."""

    types: tuple[type, ...]
    required: bool = True
    doc: str = ""

    @property
    def type_name(self) -> str:
        return self.types[0].__name__


@attrs.frozen
class Testing:
    """What :mod:`iapt_ds.testing` needs of a kind.

    ``breaker``: the name of the function in ``iapt_ds.testing._kinds`` or ``._rows`` that breaks
    a rule of this kind; ``unbreakable``: why no rule of the kind can fire (exactly one of the two).
    ``wrong_length``: when a breaker writes a value of the wrong length into a field that also
    has a rule of this kind, why that rule fires too (None: it does not)."""

    breaker: str | None = None
    unbreakable: str | None = None
    wrong_length: str | None = None
    __test__ = False  # not a test class, whatever pytest thinks of the name


class ParamCheck:
    """What :meth:`Kind.check_params` may ask of the loader (the spec being loaded)."""

    tables: Mapping[str, Any]
    codelists: Mapping[str, Any]
    table: str | None

    def fail(self, what: str) -> Exception:  # pragma: no cover - the loader implements it
        raise NotImplementedError

    def ref(self, ref: str, where: str = "", reach: str = "same") -> None:  # pragma: no cover - the loader implements it
        """Fail unless ``Field`` (of the rule's table) or ``IDSnnn.Field`` exists and the kind can read
        it: *reach* ``same`` (only the rule's own table), ``related`` (its own table, the header, or
        a table reached through the declared parents) or ``any``. *where* names the parameter."""
        raise NotImplementedError

    def field(self, table: str, name: str) -> None:  # pragma: no cover - the loader implements it
        """Fail unless *table* exists and has the field *name* (any table, related or not)."""
        raise NotImplementedError

    def keys(self, entry: str, d: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        """*d* as a mapping with only *allowed* keys and every *required* one."""  # pragma: no cover
        raise NotImplementedError


class Kind:
    """The base of every kind. Subclasses set the class attributes and override the methods their
    stage needs; :func:`kind` checks them."""

    name: ClassVar[str]
    phase: ClassVar[Phase]
    params: ClassVar[Mapping[str, Param]] = {}
    nulls: ClassVar[Nulls]
    unparsable: ClassVar[Unparsable]
    #: one line for docs/kinds.md
    summary: ClassVar[str]
    testing: ClassVar[Testing]

    def check_params(self, p: Mapping[str, Any], chk: ParamCheck) -> None:
        """Check the parameters beyond their types (raise ``chk.fail(...)``)."""

    def describe(self, rule: RuleSpec, spec: Spec, field: str) -> str:
        """One sentence: what a rule of this kind requires (``explain``, the reports)."""
        raise NotImplementedError

    def advice(self, rule: RuleSpec, spec: Spec) -> str | None:
        """What a data manager should do about a finding; None for the general advice."""
        return None

    def expected(self, rule: RuleSpec, spec: Spec, table: Table, i: int) -> str | None:
        """What the finding on row *i* says was expected (None: nothing beyond the message)."""
        return None

    def evaluate(self, rule: RuleSpec, table: Table, ctx: Context, *extra: Any) -> list[Fail]:
        """The failing rows of *table* (row, stage and pipeline kinds). Pipeline kinds get
        ``accepted(table_id)`` as an extra argument."""
        raise NotImplementedError

    def apply(self, rule: RuleSpec, ctx: Context, state: Ledger) -> None:
        """File-level kinds: add the rule's findings to the ledger."""
        raise NotImplementedError

    def legal_dates(self, rule: RuleSpec, period: tuple[_dt.date, _dt.date]) -> tuple[_dt.date | None, _dt.date | None] | None:
        """For a kind about one date field: the (earliest, latest) date its field may hold and pass,
        given the reporting period (None on a side: no bound there); None when the kind bounds no
        date by itself. :mod:`iapt_ds.testing` keeps generated dates inside these."""
        return None

    def sql(self, rule: RuleSpec, dialect: str | Dialect) -> str | None:
        """The rule as SQL for an SQL engine: a query giving the failing rows in *dialect* (a
        name of :data:`~.sql.DIALECTS` or a :class:`~.sql.Dialect`), written with its words.
        None (the default) means the kind has no SQL yet; an SQL engine runs such a rule in
        Python or reports it as not checked. A later SQL engine fills this slot; its results
        must agree with :meth:`evaluate` finding for finding."""
        return None

    def __repr__(self) -> str:
        return f"<kind {self.name}>"


_ROW_STAGES = (Phase.ROW, Phase.PIPELINE)


def _overrides(cls: type, method: str) -> bool:
    return getattr(cls, method) is not getattr(Kind, method)


_K = TypeVar("_K", bound=type[Kind])


def kind(cls: _K) -> _K:
    """Check a kind class's facets (a :class:`TypeError` names what is missing, at import)."""
    where = f"kind class {cls.__qualname__}"
    missing = [a for a in ("name", "phase", "nulls", "unparsable", "summary", "testing") if not hasattr(cls, a)]
    if missing:
        raise TypeError(f"{where} does not declare {missing}")
    checks: list[tuple[bool, str]] = [
        (isinstance(cls.name, str) and cls.name.isidentifier(), "name must be an identifier"),
        (isinstance(cls.phase, Phase), "phase must be a Phase"),
        (isinstance(cls.nulls, Nulls), "nulls must be a Nulls"),
        (isinstance(cls.unparsable, Unparsable), "unparsable must be an Unparsable"),
        (isinstance(cls.summary, str) and bool(cls.summary.strip()), "summary must be a sentence"),
        (isinstance(cls.testing, Testing), "testing must be a Testing"),
        (all(isinstance(k, str) and isinstance(v, Param) for k, v in cls.params.items()),
         "params must map names to Param"),
        (_overrides(cls, "describe"), "describe() is missing"),
    ]
    if isinstance(cls.phase, Phase):
        runs = "evaluate" if cls.phase in _ROW_STAGES else "apply"
        checks.append((_overrides(cls, runs), f"{runs}() is missing (phase {cls.phase.value})"))
    if isinstance(cls.testing, Testing):
        checks.append(((cls.testing.breaker is None) != (cls.testing.unbreakable is None),
                       "testing needs exactly one of breaker and unbreakable"))
    for ok, what in checks:
        if not ok:
            raise TypeError(f"{where}: {what}")
    return cls

