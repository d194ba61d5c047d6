"""From a submission's columns to each referral's input records, under a given acceptance.

:class:`Index` is built once: for every table that feeds the measures (or whose rejection can
take one of those down through the cascade), its rows grouped by the key of their parent
(``LocalPatientId``, ``ServiceRequestId``, ``CareContactId``, ``CareActId``). :meth:`Index.inputs`
then builds one referral's records from the rows an *acceptance* keeps: SDCS's own (the
:class:`~iapt_ds.result.Result`), or a counterfactual replayed by :meth:`Index.replay`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..model import Submission
from ..parse import Invalid
from ..spec import Spec
from .definitions import Definitions
from .referral import ComplaintIn, ContactIn, LogIn, ReferralIn, ScoreIn

__all__ = ["Index", "Keep", "MEASURE_TABLES", "relevant_tables"]

#: the tables the measures read
MEASURE_TABLES = ("IDS101", "IDS201", "IDS202", "IDS205", "IDS603", "IDS606", "IDS607")

#: which kind of row each child table is, in the drop-out reasons
ROW_KINDS = {"IDS201": "contacts", "IDS202": "contacts", "IDS205": "logs", "IDS603": "complaints",
             "IDS606": "scores", "IDS607": "scores"}


def relevant_tables(spec: Spec) -> tuple[str, ...]:
    """The measure tables and every table whose rejection reaches one of them through the
    cascade (a patient falls with its GP rows, and its referrals with it), in spec order."""
    seen = set(MEASURE_TABLES)
    changed = True
    while changed:
        changed = False
        for code in spec.cascade:
            r = spec.rules[code]
            if r.table in seen and r.params["related"] not in seen:
                seen.add(r.params["related"])
                changed = True
    return tuple(t for t in spec.tables if t in seen)


def _day(v: Any, _date: Any = _dt.date) -> _dt.date | None:
    if type(v) is _date:
        return v  # type: ignore[no-any-return]
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    return None


def _time(v: Any) -> _dt.time | None:
    return v if isinstance(v, _dt.time) else None


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, Invalid):
        return v.text
    return v if isinstance(v, str) else str(v)


class _Groups(dict):
    """table -> its rows grouped by their parent's key, built on first use."""

    def __init__(self, index: Index) -> None:
        super().__init__()
        self.index = index

    def __missing__(self, tid: str) -> dict[Any, list[int]]:
        idx = self.index
        key = idx.link[tid][1]
        groups: dict[Any, list[int]] = {}
        for i, v in enumerate(idx.sub.tables[tid].values[key]):
            try:
                groups[v].append(i)
            except KeyError:
                groups[v] = [i]
        groups.pop(None, None)
        self[tid] = groups
        return groups


class Reasons(Sequence[str]):
    """The rows of one kind SDCS rejects below a referral, worded only when read: a referral's
    reasons name the first few, and most referrals' are never read at all."""

    __slots__ = ("rows", "_word")

    def __init__(self, word: Any) -> None:
        self.rows: list[tuple[str | None, int]] = []
        self._word = word                   # (table, row index) -> words; table None: with its contact

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self._word(*self.rows[j]) for j in range(*k.indices(len(self.rows)))]
        return self._word(*self.rows[k])

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))


class Keep(set):
    """The rows of one table an acceptance keeps: ``keep[i]`` is whether row *i* is kept (a set,
    so that "are all these rows kept?" runs at C speed)."""

    __getitem__ = set.__contains__  # type: ignore[assignment]


class Acceptance(dict):
    """row index -> accepted, for the rows of one patient's group (any other row: not accepted)."""

    def __missing__(self, i: int) -> bool:
        return False


class Index:
    """Rows of the relevant tables grouped by their parent's key."""

    def __init__(self, sub: Submission, d: Definitions) -> None:
        spec = sub.spec
        self.sub, self.spec, self.d = sub, spec, d
        self.tables = relevant_tables(spec)
        self.cascade = tuple(c for c in spec.cascade if spec.rules[c].table in self.tables)
        #: table -> (parent table, key) ; the root (IDS001) keys on its own LocalPatientId
        self.link: dict[str, tuple[str | None, str]] = {}
        for tid in self.tables:
            t = spec.tables[tid]
            if t.parent is not None and t.parent[0] in self.tables:
                self.link[tid] = (t.parent[0], t.parent[1])
            else:
                self.link[tid] = (None, t.key[0])
        #: table -> parent-key value -> row indexes (each table grouped when first needed)
        self.by_parent: dict[str, dict[Any, list[int]]] = _Groups(self)
        v101 = sub.tables["IDS101"].values
        self._sri = v101["ServiceRequestId"]
        self._c101 = (v101["ServiceRequestId"], v101["LocalPatientId"], v101["ReferralRequestReceivedDate"],
                      v101["ServDischDate"], v101["EndCode"])
        self._columns()
        self.children: dict[str, list[str]] = {t: [] for t in self.tables}
        for tid, (parent, _) in self.link.items():
            if parent is not None:
                self.children[parent].append(tid)
        self._own: dict[str, dict[Any, int]] = {}
        #: table -> (parent-key column, related key column) of each cascade rule, in SDCS's order
        self._cascade = []
        for code in self.cascade:
            rule = spec.rules[code]
            child, related, key = str(rule.table), rule.params["related"], rule.params["key"]
            self._cascade.append((child, related, sub.tables[child].values[key], sub.tables[related].values[key]))
        #: table -> rows that may share their key with another row (rows with a fault of their
        #: own: a duplicate key is one); set by whoever replays, to skip de-duplicating the rest
        self.suspect: dict[str, set[int]] = {}
        codes = spec.codelists.get("AppType")
        self.app_words: Mapping[str, str] = dict(codes.meanings) if codes is not None else {}

    # ------------------------------------------------------------------------- lookups
    def own_key(self, tid: str, key: str) -> dict[Any, int]:
        """A row of *tid* by the value of its column *key* (built on first use, at C speed)."""
        k = f"{tid}.{key}"
        m = self._own.get(k)
        if m is None:
            col = self.sub.tables[tid].values[key]
            m = self._own[k] = dict(zip(col, range(len(col))))
            m.pop(None, None)
        return m

    def patient_of(self, tid: str, i: int) -> Any:
        """The LocalPatientId a row belongs to, following its parents (None for an orphan)."""
        while True:
            vals = self.sub.tables[tid].values
            if "LocalPatientId" in vals:
                v = vals["LocalPatientId"][i]
                return None if v is None or isinstance(v, Invalid) else v
            parent, key = self.link[tid]
            v = vals[key][i]
            j = self.own_key(parent, key).get(v) if parent is not None and v is not None else None
            if j is None or parent is None:
                return None
            tid, i = parent, j

    def group(self, patient: Any) -> dict[str, list[int]]:
        """Every relevant row of one patient, by table (parents before children)."""
        out: dict[str, list[int]] = {}
        for tid in self.tables:
            parent, key = self.link[tid]
            if parent is None:
                out[tid] = list(self.by_parent[tid].get(patient, ()))
                continue
            if "LocalPatientId" in self.spec.tables[tid].field_map and parent == "IDS001":
                out[tid] = list(self.by_parent[tid].get(patient, ()))
                continue
            pcol = self.sub.tables[parent].values[key]
            keys = dict.fromkeys(pcol[j] for j in out.get(parent, ()))
            rows: list[int] = []
            groups = self.by_parent[tid]
            for k in keys:
                rows.extend(groups.get(k, ()))
            out[tid] = rows
        return out

    def replay(self, group: Mapping[str, Sequence[int]], own_rejected: Mapping[str, Mapping[int, bool]]
               ) -> dict[str, dict[int, bool]]:
        """Which rows of one patient's group are accepted when each row's own (non-cascade)
        rejection is *own_rejected*: the cascade rules re-run in SDCS's order on the group."""
        rej = self.replay_rejected(group, own_rejected)
        return {tid: Acceptance((i, not r) for i, r in zip(rows, rej[tid])) for tid, rows in group.items()}

    def replay_rejected(self, group: Mapping[str, Sequence[int]], own_rejected: Mapping[str, Mapping[int, bool]]
                        ) -> dict[str, list[bool]]:
        """:meth:`replay` as, per table, whether each row of ``group[table]`` is rejected (in its order)."""
        rej: dict[str, list[bool]] = {}
        for tid, rows in group.items():
            o = own_rejected.get(tid)
            rej[tid] = [bool(o.get(i, False)) for i in rows] if o else [False] * len(rows)
        for child, related, ccol, rcol in self._cascade:
            crows = group[child]
            if not crows:
                continue
            accepted_keys = {rcol[j] for j, r in zip(group[related], rej[related]) if not r}
            crej = rej[child]
            for pos, i in enumerate(crows):
                if not crej[pos]:
                    k = ccol[i]
                    if k is not None and k not in accepted_keys and not isinstance(k, Invalid):
                        crej[pos] = True
        return rej

    # ------------------------------------------------------------------------- inputs
    def referral_rows(self) -> Iterable[int]:
        return range(self.sub.tables["IDS101"].nrows)

    def referral_in(self, i: int) -> ReferralIn:
        sri, lpi, rec, dis, end = self._c101
        return ReferralIn(sri[i], lpi[i], _day(rec[i]), _day(dis[i]), end[i], i + 1)

    def _kept(self, tid: str, rows: Sequence[int], acc: Any, why: Any, rejected: dict[str, Reasons],
              dedupe: bool, off: Any = None) -> Sequence[int]:
        """The rows an acceptance keeps (with *dedupe*, one per key of the table: a duplicate key
        counts once); with *why*, the rest noted in *rejected* by kind of row. *off*, when given,
        is the set of rows of *tid* the acceptance does not keep (a fast path: most rows are kept)."""
        if not rows:
            return rows
        if off is not None and not dedupe:
            off_t = off[tid]
            if not off_t or off_t.isdisjoint(rows):
                return rows
        a = acc[tid]
        if type(a) is Keep and a.issuperset(rows):
            suspect = self.suspect.get(tid)
            if not dedupe or (suspect is not None and suspect.isdisjoint(rows)):
                return rows
        if not dedupe:
            kept = [i for i in rows if a[i]]
            if why is None or len(kept) == len(rows):
                return kept
        out: list[int] = []
        seen: set = set()
        t = self.sub.tables[tid]
        key_cols = [t.values[k] for k in t.spec.key]
        for i in rows:
            if a[i]:
                if dedupe:
                    k = tuple(c[i] for c in key_cols)
                    if k in seen:
                        continue
                    seen.add(k)
                out.append(i)
            elif why is not None:
                self._reasons(rejected, ROW_KINDS[tid], why).rows.append((tid, i))
        return out

    def _reasons(self, rejected: dict[str, Reasons], kind: str, why: Any) -> Reasons:
        r = rejected.get(kind)
        if r is None:
            def word(tid: str | None, i: int) -> str:
                if tid is None:
                    return f"IDS607 row {i + 1}: with its contact"
                label = ", ".join(x for x in self.sub.tables[tid].key(i) if x) or f"row {i + 1}"
                return f"{tid} {label}: {why(tid, i)}"

            r = rejected[kind] = Reasons(word)
        return r

    def _columns(self) -> None:
        v = {t: self.sub.tables[t].values for t in MEASURE_TABLES}
        self._c201 = (v["IDS201"]["CareContactId"], v["IDS201"]["CareContDate"], v["IDS201"]["CareContTime"],
                      v["IDS201"]["AppType"], v["IDS201"]["AttendOrDNACode"], v["IDS201"]["PlannedCareContIndicator"])
        self._c202 = (v["IDS202"]["CareActId"], v["IDS202"]["CodeProcAndProcStatus"])
        self._c607 = (v["IDS607"]["CodedAssToolType"], v["IDS607"]["PersScore"])
        self._c606 = (v["IDS606"]["CodedAssToolType"], v["IDS606"]["PersScore"], v["IDS606"]["AssToolCompDate"],
                      v["IDS606"]["AssToolCompTime"])
        self._c603 = (v["IDS603"]["PresComp"], v["IDS603"]["PresCompCodSig"], v["IDS603"]["PresCompDate"],
                      v["IDS603"]["FindSchemeInUse"])
        self._c205 = (v["IDS205"]["StartDateIntEnabledTherLog"], v["IDS205"]["EndDateIntEnabledTherLog"],
                      v["IDS205"]["DurationIntEnabledTher"], v["IDS205"]["IntEnabledTherProg"])
        self._tools = frozenset(self.d.by_tool)

    def inputs(self, ref_row: int, acc: Mapping[str, Any], why: Any = None, dedupe: bool = False,
               off: Mapping[str, Any] | None = None) -> tuple:
        """(referral, contacts, logs, complaints, scores, rejected-below) for the IDS101 row
        *ref_row*, keeping the rows *acc* accepts (table -> row index -> true when accepted);
        ``why(table, row)`` words the reason a row is not kept. *off* (table -> set of the row
        indexes *acc* does not keep) makes it faster."""
        ref = self.referral_in(ref_row)
        sri = self._sri[ref_row]
        rejected: dict[str, Reasons] = {}
        cid, cdate_c, ctime_c, capp, catt, cplan = self._c201
        aid, aproc = self._c202
        stool, sscore = self._c607
        tools = self._tools
        bp = self.by_parent
        bp202, bp607 = bp["IDS202"], bp["IDS607"]
        contacts = []
        scores = []
        es = self.d.employment_support_procedure
        kept = self._kept
        c_all = bp["IDS201"].get(sri, ())
        c_rows = kept("IDS201", c_all, acc, why, rejected, dedupe, off)
        if why is not None and len(c_rows) < len(c_all):
            # the scores that fell with a rejected contact
            a201 = acc["IDS201"]
            for c in c_all:
                if not a201[c]:
                    for a in bp202.get(cid[c], ()):
                        for x in bp607.get(aid[a], ()):
                            self._reasons(rejected, "scores", why).rows.append((None, x))
        # the rows every acceptance keeps need no filtering (most of them): tested here, inline
        o202 = o607 = None
        if off is not None and not dedupe:
            o202, o607 = off["IDS202"], off["IDS607"]
        _date, _time = _dt.date, _dt.time
        _new = tuple.__new__        # a record without a Python call: every field given, in order
        for c in c_rows:
            ccid = cid[c]
            cdate, ctime = cdate_c[c], ctime_c[c]
            if type(cdate) is not _date:
                cdate = _day(cdate)
            if type(ctime) is not _time:
                ctime = None
            a_rows: Sequence[int] = bp202.get(ccid, ())
            if a_rows and (o202 is None or (o202 and not o202.isdisjoint(a_rows))):
                a_rows = kept("IDS202", a_rows, acc, why, rejected, dedupe, off)
            employment = False
            for a in a_rows:
                if aproc[a] == es:
                    employment = True
                s_rows: Sequence[int] = bp607.get(aid[a], ())
                if s_rows and (o607 is None or (o607 and not o607.isdisjoint(s_rows))):
                    s_rows = kept("IDS607", s_rows, acc, why, rejected, dedupe, off)
                for x in s_rows:
                    tool = stool[x]
                    if tool in tools:
                        scores.append(_new(ScoreIn, (tool, sscore[x], cdate, ctime, "IDS607", x, ccid)))
            contacts.append(_new(ContactIn, (ccid, cdate, capp[c], catt[c], cplan[c], ctime, employment)))
        s_rows = kept("IDS606", bp["IDS606"].get(sri, ()), acc, why, rejected, dedupe, off)
        if s_rows:
            t606, p606, d606, h606 = self._c606
            for x in s_rows:
                if t606[x] in tools:
                    h = h606[x]
                    scores.append(ScoreIn(t606[x], p606[x], _day(d606[x]), h if type(h) is _dt.time else None,
                                          "IDS606", x))
        c_rows = kept("IDS603", bp["IDS603"].get(sri, ()), acc, why, rejected, dedupe, off)
        complaints = []
        if c_rows:
            pc, sig, pdate, scheme = self._c603
            complaints = [ComplaintIn(pc[r], sig[r], _day(pdate[r]), scheme[r], r) for r in c_rows]
        l_rows = kept("IDS205", bp["IDS205"].get(sri, ()), acc, why, rejected, dedupe, off)
        logs = []
        if l_rows:
            ls, le, ld, lp = self._c205
            for r in l_rows:
                dur = ld[r]
                logs.append(LogIn(_day(ls[r]), _day(le[r]), dur if type(dur) is int else None, lp[r]))
        return ref, contacts, logs, complaints, scores, rejected
