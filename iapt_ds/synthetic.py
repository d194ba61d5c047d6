"""Fast, deterministic synthetic submissions of any size, for benchmarks and differential tests.

The bundled example's seven patients (each with GP registrations, referrals, contacts,
activities, scores …) give the *shape* of each patient: patient *n* follows template ``n % 7``
(about 19 rows a patient, the example's proportions between tables). With the default
``variety="realistic"`` the values are those of a real service's file, so a column holds as many
distinct values as it would in practice and no engine is flattered by repetition:

* every patient has its own LocalPatientId, ServiceRequestId, CareContactId and CareActId and its
  own NHS number (the 999 test range, Modulus 11 valid, in no particular order);
* birth dates spread over decades, referral dates over the two years before the period, first GP
  registrations over years (in-period dates, such as contacts, stay in the month: a monthly file
  holds at most 31 of them);
* coded fields that no other rule depends on are drawn from their whole code list with a skew
  (the example's codes most often, the long tail rarely); organisation, site, postcode and duration
  fields from pools of well-formed values.

``variety="templates"`` gives the earlier, plain copies of the templates (identifiers and NHS
numbers renumbered, birth dates moved by up to a year): the form the stored oracle comparison was
made on. Both are valid under every rule.

With ``fault_rate`` a share of rows is broken: mostly by one of the failing examples of the
rules on that table (a plain field overlay from the spec), sometimes by writing the row twice
(which breaks the table's keys), chosen at random with the seed, so a faulty file has realistic
variety and every run with the same seed is identical.

For example ``write_csv_folder("bench/100k", rows=100_000, seed=1, fault_rate=0.03)``; with
``version="2.1"`` the submission is IAPT v2.1, made from the v2.1 bundled example.
"""

from __future__ import annotations

import csv
import datetime as _dt
import itertools
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

from .parse import Invalid, parse_value
from .spec import Spec, load_spec
from .spec_examples import base_rows

__all__ = ["VARIETIES", "patients_for_rows", "iter_tables", "write_csv_folder", "nhs_numbers"]

#: the kinds of value variety the generator can give (see the module docstring)
VARIETIES = ("realistic", "templates")

# identifier columns renumbered per copy, and the table holding their definition
_ID_COLUMNS = ("LocalPatientId", "ServiceRequestId", "CareContactId", "CareActId")


def nhs_numbers(start: int = 0) -> Iterator[str]:
    """Distinct valid NHS numbers in the 999 test range (no palindromes, Modulus 11 passing)."""
    n = start
    while True:
        stem = f"999{n:06d}"[-9:]
        n += 1
        number = _nhs_number(stem)
        if number is not None:
            yield number


def _nhs_number(stem: str) -> str | None:
    """*stem* (9 digits) with its Modulus 11 check digit; None when no digit fits or the number
    reads the same backwards (both are invalid NHS numbers)."""
    total = sum(int(d) * w for d, w in zip(stem, range(10, 1, -1)))
    check = 11 - total % 11
    if check == 10:
        return None
    number = stem + str(0 if check == 11 else check)
    return None if number[:5] == number[5:][::-1] else number


def _templates(spec: Spec) -> tuple[dict[str, list[dict]], list[dict[str, list[dict]]]]:
    """The rows copied as they are (the header and IDS902, by table id), and for each template
    patient its rows by table."""
    rows = base_rows(spec)
    patients = [r["LocalPatientId"] for r in rows["IDS001"]]
    by_patient: list[dict[str, list[dict]]] = [{} for _ in patients]
    for tid in spec.tables:
        if tid in (spec.header, "IDS902"):
            continue
        for r in rows[tid]:
            lpi = _lpi_of(spec, rows, tid, r)
            by_patient[patients.index(lpi)].setdefault(tid, []).append(r)
    return {spec.header: rows[spec.header], "IDS902": rows["IDS902"]}, by_patient


def _lpi_of(spec: Spec, rows, tid: str, r: dict) -> str:
    while "LocalPatientId" not in r:
        ptable, key = cast("tuple[str, str]", spec.tables[tid].parent)
        r = next(p for p in rows[ptable] if p[key] == r[key])
        tid = ptable
    return r["LocalPatientId"]


def _patients(total_rows: int, by_patient: list[dict[str, list[dict]]]) -> int:
    per = sum(len(v) for p in by_patient for v in p.values()) / len(by_patient)
    return max(1, round((total_rows - 6) / per))


def _spec(spec: Spec | None, version: str | None) -> Spec:
    if spec is not None or version is None:
        return spec or load_spec()
    from .version_choice import specs_by_version

    return specs_by_version([version])[version]


def patients_for_rows(total_rows: int, spec: Spec | None = None, *, version: str | None = None) -> int:
    """How many patients make a submission of about *total_rows* rows."""
    spec = _spec(spec, version)
    return _patients(total_rows, _templates(spec)[1])


def _storable(spec: Spec, tid: str, overlay: dict) -> bool:
    """Whether an Access IDB could hold the overlay's values (CSV text can hold anything)."""
    for name, text in overlay.items():
        f = spec.tables[tid].field_map[name]
        if text is None or f.type == "text":
            continue
        v = parse_value(f.type, text)
        if isinstance(v, Invalid) or (f.type == "date" and isinstance(v, _dt.datetime)):
            return False
    return True


def _fault_overlays(spec: Spec, storable_only: bool) -> dict[str, list[tuple[str, dict]]]:
    """table -> [(code, overlay)] from the rules' failing examples that are plain field overlays."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for rule in spec.rules.values():
        if rule.table is None or rule.table == spec.header or rule.kind in ("has_related", "unique", "one_open_per"):
            continue
        for ex in rule.examples["fail"]:
            if ex and not any(k.startswith("_") for k in ex):
                if storable_only and not _storable(spec, rule.table, ex):
                    continue
                out.setdefault(rule.table, []).append((rule.code, dict(ex)))
    return out


def iter_tables(total_rows: int, *, seed: int = 0, fault_rate: float = 0.0, storable_only: bool = False,
                spec: Spec | None = None, variety: str = "realistic", version: str | None = None
                ) -> Iterator[tuple[str, list[str], Iterator[list[str | None]]]]:
    """(table id, columns, rows) for each table of the version (*version* or *spec*; default
    v2.0), rows as lists of text, generated lazily.

    *variety* is ``"realistic"`` (distinct values as in a real file) or ``"templates"`` (plain
    copies of the example's patients). *storable_only* keeps only faults an Access IDB could hold
    (no unparsable dates or numbers), for comparisons with tools that read such cells as NULL."""
    if variety not in VARIETIES:
        from .errors import UsageError

        raise UsageError(f"variety must be one of {', '.join(VARIETIES)}, not {variety!r}")
    spec = _spec(spec, version)
    fixed, by_patient = _templates(spec)
    n_patients = _patients(total_rows, by_patient)
    faults = _fault_overlays(spec, storable_only)
    people = _People(spec, by_patient, n_patients, seed) if variety == "realistic" else None

    for tid, t in spec.tables.items():
        columns = [f.name for f in t.fields]
        if tid in (spec.header, "IDS902"):
            rows: Iterator[list[str | None]] = iter([[r[c] for c in columns] for r in fixed[tid]])
        elif people is None:
            rows = _template_rows(tid, columns, by_patient, n_patients, faults.get(tid, []), seed, fault_rate)
        else:
            rows = _realistic_rows(spec, tid, columns, by_patient, people, faults.get(tid, []), seed, fault_rate)
        yield tid, columns, rows


def _template_rows(tid: str, columns: list[str], by_patient: list[dict[str, list[dict]]], n_patients: int,
                   pool: list[tuple[str, dict]], seed: int, fault_rate: float) -> Iterator[list[str | None]]:
    """Copies of the template patients, identifiers renumbered (``variety="templates"``)."""
    rnd = random.Random(f"{seed}:{tid}")
    numbers = nhs_numbers(seed * 1_000_003 % 900_000)
    id_cols = [c for c in _ID_COLUMNS if c in columns]
    for p in range(n_patients):
        template = by_patient[p % len(by_patient)]
        suffix = f"-{p:07d}"
        for r in template.get(tid, ()):
            out = dict(r)
            for c in id_cols:
                if out[c] is not None:
                    out[c] = out[c][:12] + suffix
            if tid == "IDS001":
                out["NHSNumber"] = next(numbers)
                b = _dt.date.fromisoformat(r["PersonBirthDate"]) - _dt.timedelta(days=rnd.randrange(365))
                out["PersonBirthDate"] = b.isoformat()
            if fault_rate and rnd.random() < fault_rate:
                if not pool or rnd.random() < 0.2:
                    yield [out[c] for c in columns]  # a duplicate row: breaks the table's keys
                else:
                    out.update(pool[rnd.randrange(len(pool))][1])
            yield [out[c] for c in columns]


# ----------------------------------------------------------------------------- realistic values

# the kinds of rule that look at one field alone, whatever the rest of the row holds
_FREE_KINDS = frozenset({"in_codelist", "length", "not_blank", "placeholder", "reference_data"})


def _free_fields(spec: Spec) -> set[tuple[str, str]]:
    """(table, field) for the fields that only single-field rules of their own look at: no rule
    compares them with anything, conditions on them or keys rows on them, so any well-formed
    value keeps the file valid."""
    kinds: dict[tuple[str, str], set[str]] = {}
    referenced: set[str] = set()
    for rule in spec.rules.values():
        words = {k: v for k, v in rule.params.items() if k not in ("codelist", "regex", "lookup", "upload")}
        referenced.update(re.findall(r"[A-Za-z][A-Za-z0-9]+", repr(words)))
        if rule.table is not None:
            for f in rule.fields:
                kinds.setdefault((rule.table, f), set()).add(rule.kind if len(rule.fields) == 1 else "several")
    return {k for k, ks in kinds.items() if k[1] not in referenced and ks <= _FREE_KINDS}


def _skewed(codes: list[str], first: list[str], rnd: random.Random) -> tuple[list[str], list[float]]:
    """*codes* with cumulative weights: the example's own codes (*first*, most common first) lead,
    the rest follow in a seeded order, weights falling as 1/rank^1.1."""
    rest = [c for c in codes if c not in first]
    rnd.shuffle(rest)
    ordered = [c for c in first if c in codes] + rest
    return ordered, list(itertools.accumulate(1.0 / (k + 1) ** 1.1 for k in range(len(ordered))))


def _postcodes(rnd: random.Random, n: int, pattern: Callable[[str], object]) -> list[str]:
    areas = ("LS", "BD", "HG", "YO", "HX", "WF", "S", "DN", "HU", "M", "OL", "BB", "HD", "LN")
    out: set[str] = set()
    while len(out) < n:
        pc = (f"{rnd.choice(areas)}{rnd.randint(1, 29)} {rnd.randint(0, 9)}"
              f"{rnd.choice('ABDEFGHJLNPQRSTUWXYZ')}{rnd.choice('ABDEFGHJLNPQRSTUWXYZ')}")
        if pattern(pc):
            out.add(pc)
    return sorted(out)


class _People:
    """What stays the same for a patient across tables: identifiers, NHS number, date shifts."""

    def __init__(self, spec: Spec, by_patient: list[dict[str, list[dict]]], n: int, seed: int) -> None:
        rnd = random.Random(f"{seed}:people")
        self.n = n
        self.suffix = [f"-{p:07d}" for p in range(n)]
        self.birth_shift = [rnd.randrange(7300) for _ in range(n)]      # up to 20 years earlier
        self.referral_shift = [rnd.randrange(730) for _ in range(n)]    # up to 2 years earlier
        self.gp_shift = [rnd.randrange(3650) for _ in range(n)]         # up to 10 years earlier
        # NHS numbers in the 999 test range, in a scattered order: stems visited by a step coprime
        # with 10**6, skipping those without a valid check digit and palindromes
        self.nhs = list(itertools.islice(_scattered_nhs_numbers(seed), n))
        self.by_patient = by_patient


def _scattered_nhs_numbers(seed: int) -> Iterator[str]:
    k = seed * 7919 % 1_000_000
    for _ in range(1_000_000):
        stem = f"999{k:06d}"
        k = (k + 654_321) % 1_000_000
        number = _nhs_number(stem)
        if number is not None:
            yield number
    raise ValueError("more patients than the 999 test range of NHS numbers holds")


def _drawer(rnd: random.Random, values: list[str], cum: list[float] | None = None) -> Callable[[], str]:
    """A function returning the next of many seeded draws from *values* (with weights *cum*),
    drawn 4096 at a time."""
    blocks = (rnd.choices(values, cum_weights=cum, k=4096) for _ in itertools.count())
    return itertools.chain.from_iterable(blocks).__next__


def _realistic_rows(spec: Spec, tid: str, columns: list[str], by_patient: list[dict[str, list[dict]]],
                    people: _People, pool: list[tuple[str, dict]], seed: int, fault_rate: float
                    ) -> Iterator[list[str | None]]:
    rnd = random.Random(f"{seed}:{tid}:realistic")
    pos = {c: k for k, c in enumerate(columns)}
    free = {f for (t, f) in _free_fields(spec) if t == tid}
    # one value maker per varying column: fn(patient, template row) -> text
    makers: dict[str, Callable[[int, dict], str]] = {}
    # and one seeded stream of well-formed values per column any such value suits
    draws: dict[str, Callable[[], str]] = {}
    def renumbered(c: str) -> Callable[[int, dict], str]:
        return lambda p, r: r[c][:12] + people.suffix[p]

    for c in _ID_COLUMNS:
        if c in pos:
            makers[c] = renumbered(c)
    if tid == "IDS001":
        makers["NHSNumber"] = lambda p, r: people.nhs[p]
        makers["PersonBirthDate"] = lambda p, r: _shift(r["PersonBirthDate"], people.birth_shift[p])
        pattern = re.compile(spec.rules["IDSREJ007"].params["regex"]).search
        postcodes = _postcodes(random.Random(f"{seed}:postcodes"), 5000, pattern)
        draws["Postcode"] = _drawer(rnd, postcodes)
    if tid == "IDS101":
        makers["ReferralRequestReceivedDate"] = lambda p, r: _shift(r["ReferralRequestReceivedDate"],
                                                                    people.referral_shift[p])
    if tid == "IDS002":
        makers["StartDateGMPRegistration"] = _gp_start(people)
    for f in spec.tables[tid].fields:
        if f.name in makers or f.name in draws or f.name not in free:
            continue
        rules = [r for r in spec.rules.values() if r.table == tid and f.name in r.fields]
        codelists = [r.params["codelist"] for r in rules if r.kind == "in_codelist"]
        example = Counter(r[f.name] for tp in by_patient for r in tp.get(tid, ()) if r[f.name] is not None)
        if codelists:
            codes, cum = _skewed(list(spec.codelists[codelists[0]].codes), [c for c, _ in example.most_common()],
                                 random.Random(f"{seed}:{tid}.{f.name}"))
            draws[f.name] = _drawer(rnd, codes, cum)
        elif f.name.startswith("OrgID") and all(len(v) == 3 for v in example):
            # commissioners: a provider works with a few, and now and then with a far one
            codes, cum = _skewed([f"{i:02d}{x}" for i in range(100) for x in "ACDEFHJKMNPQRTVWXY"],
                                 [c for c, _ in example.most_common()], random.Random(f"{seed}:{tid}.{f.name}"))
            draws[f.name] = _drawer(rnd, codes, cum)
        elif f.name == "SiteIDOfTreat":
            codes, cum = _skewed([f"R1Z{i:02d}" for i in range(1, 60)], [c for c, _ in example.most_common()],
                                 random.Random(f"{seed}:{tid}.{f.name}"))
            draws[f.name] = _drawer(rnd, codes, cum)
        elif f.type == "integer" and "Dur" in f.name:
            draws[f.name] = _drawer(rnd, [str(m) for m in range(5, 181, 5)])
    templates = []
    for tp in by_patient:
        rows = []
        for r in tp.get(tid, ()):
            base = [r[c] for c in columns]
            varying = [(pos[c], fn) for c, fn in makers.items() if r.get(c) is not None]
            drawn = [(pos[c], fn) for c, fn in draws.items() if r.get(c) is not None]  # NULLs stay NULL
            rows.append((r, base, varying, drawn))
        templates.append(rows)
    n_t = len(templates)
    for p in range(people.n):
        for r, base, varying, drawn in templates[p % n_t]:
            out = base.copy()
            for k, fn in varying:
                out[k] = fn(p, r)
            for k, draw in drawn:
                out[k] = draw()
            if fault_rate and rnd.random() < fault_rate:
                if not pool or rnd.random() < 0.2:
                    yield out.copy()  # a duplicate row: breaks the table's keys
                else:
                    for c, v in pool[rnd.randrange(len(pool))][1].items():
                        out[pos[c]] = v
            yield out


_ORDINALS: dict[str, int] = {}


def _shift(text: str, days: int) -> str:
    base = _ORDINALS.get(text)
    if base is None:
        base = _ORDINALS[text] = _dt.date.fromisoformat(text).toordinal()
    return _dt.date.fromordinal(base - days).isoformat()


def _gp_start(people: _People) -> Callable[[int, dict], str]:
    """A registration that does not follow another one (its start is not the day after an end
    of the same patient's) starts up to ten years earlier, never before the patient's birth."""
    following: set[tuple[int, str]] = set()  # (template, start) of registrations that follow another
    for t, template in enumerate(people.by_patient):
        for g in template.get("IDS002", ()):
            if g["EndDateGMPRegistration"]:
                nxt = _dt.date.fromisoformat(g["EndDateGMPRegistration"]) + _dt.timedelta(days=1)
                following.add((t, nxt.isoformat()))
    n_t = len(people.by_patient)

    def make(p: int, r: dict) -> str:
        start = r["StartDateGMPRegistration"]
        t = p % n_t
        if (t, start) in following:
            return start
        born = _shift(people.by_patient[t]["IDS001"][0]["PersonBirthDate"], people.birth_shift[p])
        return max(_shift(start, people.gp_shift[p]), born)
    return make


def write_csv_folder(folder: Path | str, *, rows: int, seed: int = 0, fault_rate: float = 0.0,
                     storable_only: bool = False, spec: Spec | None = None,
                     variety: str = "realistic", version: str | None = None) -> dict[str, int]:
    """Write a synthetic submission of about *rows* rows as a CSV folder (IAPT *version*, default
    v2.0); returns rows per table (see :func:`iter_tables` for the arguments)."""
    spec = _spec(spec, version)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for tid, columns, table_rows in iter_tables(rows, seed=seed, fault_rate=fault_rate, storable_only=storable_only,
                                                 spec=spec, variety=variety):
        n = 0
        with (folder / f"{spec.tables[tid].name}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(columns)
            for r in table_rows:
                w.writerow(["" if v is None else v for v in r])
                n += 1
        counts[tid] = n
    return counts
