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

__all__ = ["Index", "MEASURE_TABLES", "relevant_tables"]

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


def _day(v: Any) -> _dt.date | None:
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


class Index:
    """Rows of the relevant tables grouped by their parent's key."""

    def __init__(self, sub: Submission, d: Definitions) -> None:
        spec = sub.spec
        self.sub, self.spec, self.d = sub, spec, d
        self.tables = relevant_tables(spec)
        self.cascade = tuple(c for c in spec.cascade if spec.rules[c].table in self.tables)
        #: table -> (parent table, key) ; the root (IDS001) keys on its own LocalPatientId
        self.link: dict[str, tuple[str | None, str]] = {}
        #: table -> parent-key value -> row indexes
        self.by_parent: dict[str, dict[Any, list[int]]] = {}
        for tid in self.tables:
            t = spec.tables[tid]
            if t.parent is not None and t.parent[0] in self.tables:
                self.link[tid] = (t.parent[0], t.parent[1])
                key = t.parent[1]
            else:
                self.link[tid] = (None, t.key[0])
                key = t.key[0]
            groups: dict[Any, list[int]] = {}
            for i, v in enumerate(sub.tables[tid].values[key]):
                if v is not None:
                    lst = groups.get(v)
                    if lst is None:
                        groups[v] = [i]
                    else:
                        lst.append(i)
            self.by_parent[tid] = groups
        self.children: dict[str, list[str]] = {t: [] for t in self.tables}
        for tid, (parent, _) in self.link.items():
            if parent is not None:
                self.children[parent].append(tid)
        self._own: dict[str, dict[Any, list[int]]] = {}
        codes = spec.codelists.get("AppType")
        self.app_words: Mapping[str, str] = dict(codes.meanings) if codes is not None else {}

    # ------------------------------------------------------------------------- lookups
    def own_key(self, tid: str, key: str) -> dict[Any, list[int]]:
        """Rows of *tid* by the value of its column *key* (built on first use)."""
        k = f"{tid}.{key}"
        m = self._own.get(k)
        if m is None:
            m = {}
            for i, v in enumerate(self.sub.tables[tid].values[key]):
                if v is not None:
                    m.setdefault(v, []).append(i)
            self._own[k] = m
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
            rows = self.own_key(parent, key).get(v) if parent is not None and v is not None else None
            if not rows or parent is None:
                return None
            tid, i = parent, rows[0]

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
        rej = {tid: {i: bool(own_rejected.get(tid, {}).get(i, False)) for i in rows} for tid, rows in group.items()}
        for code in self.cascade:
            rule = self.spec.rules[code]
            child, related, key = str(rule.table), rule.params["related"], rule.params["key"]
            rcol = self.sub.tables[related].values[key]
            accepted_keys = {rcol[j] for j, r in rej[related].items() if not r}
            ccol = self.sub.tables[child].values[key]
            crej = rej[child]
            for i in crej:
                k = ccol[i]
                if k is not None and not isinstance(k, Invalid) and k not in accepted_keys:
                    crej[i] = True
        return {tid: {i: not r for i, r in rows.items()} for tid, rows in rej.items()}

    # ------------------------------------------------------------------------- inputs
    def referral_rows(self) -> Iterable[int]:
        return range(self.sub.tables["IDS101"].nrows)

    def referral_in(self, i: int) -> ReferralIn:
        v = self.sub.tables["IDS101"].values
        return ReferralIn(id=_text(v["ServiceRequestId"][i]), patient=_text(v["LocalPatientId"][i]),
                          received=_day(v["ReferralRequestReceivedDate"][i]),
                          discharged=_day(v["ServDischDate"][i]), end_code=_text(v["EndCode"][i]), row=i + 1)

    def _kept(self, tid: str, rows: Iterable[int], ok: Any, why: Any, rejected: dict[str, list[str]]) -> list[int]:
        """The rows an acceptance keeps, one per key of the table (a duplicate key counts once);
        the rest noted in *rejected* by kind of row."""
        out: list[int] = []
        seen: set = set()
        t = self.sub.tables[tid]
        key_cols = [t.values[k] for k in t.spec.key]
        for i in rows:
            if ok(tid, i):
                k = tuple(c[i] for c in key_cols)
                if k not in seen:
                    seen.add(k)
                    out.append(i)
            elif why is not None:
                label = ", ".join(x for x in t.key(i) if x) or f"row {i + 1}"
                rejected.setdefault(ROW_KINDS[tid], []).append(f"{tid} {label}: {why(tid, i)}")
        return out

    def inputs(self, ref_row: int, ok: Any, why: Any = None) -> tuple:
        """(referral, contacts, logs, complaints, scores, rejected-below) for the IDS101 row
        *ref_row*, keeping the rows ``ok(table, row)`` accepts; ``why(table, row)`` words the
        reason a row is not kept."""
        sub = self.sub
        ref = self.referral_in(ref_row)
        sri = sub.tables["IDS101"].values["ServiceRequestId"][ref_row]
        rejected: dict[str, list[str]] = {}
        T201, T202, T607 = sub.tables["IDS201"].values, sub.tables["IDS202"].values, sub.tables["IDS607"].values
        contacts = []
        scores = []
        es = self.d.employment_support_procedure
        c_all = self.by_parent["IDS201"].get(sri, ())
        c_rows = self._kept("IDS201", c_all, ok, why, rejected)
        if why is not None and len(c_rows) < len(c_all):
            # the scores that fell with a rejected contact
            kept = set(c_rows)
            for c in c_all:
                if c not in kept and not ok("IDS201", c):
                    for a in self.by_parent["IDS202"].get(T201["CareContactId"][c], ()):
                        for s in self.by_parent["IDS607"].get(T202["CareActId"][a], ()):
                            rejected.setdefault("scores", []).append(f"IDS607 row {s + 1}: with its contact")
        for c in c_rows:
            ccid = T201["CareContactId"][c]
            cdate, ctime = _day(T201["CareContDate"][c]), _time(T201["CareContTime"][c])
            a_rows = self._kept("IDS202", self.by_parent["IDS202"].get(ccid, ()), ok, why, rejected)
            employment = any(T202["CodeProcAndProcStatus"][a] == es for a in a_rows)
            for a in a_rows:
                caid = T202["CareActId"][a]
                for s in self._kept("IDS607", self.by_parent["IDS607"].get(caid, ()), ok, why, rejected):
                    scores.append(ScoreIn(tool=_text(T607["CodedAssToolType"][s]) or "", score=_text(T607["PersScore"][s]),
                                          date=cdate, time=ctime, table="IDS607", order=s, contact=_text(ccid)))
            contacts.append(ContactIn(id=_text(ccid), date=cdate, app_type=_text(T201["AppType"][c]),
                                      attend=_text(T201["AttendOrDNACode"][c]),
                                      planned=_text(T201["PlannedCareContIndicator"][c]), time=ctime,
                                      employment_support=employment))
        T606 = sub.tables["IDS606"].values
        for s in self._kept("IDS606", self.by_parent["IDS606"].get(sri, ()), ok, why, rejected):
            scores.append(ScoreIn(tool=_text(T606["CodedAssToolType"][s]) or "", score=_text(T606["PersScore"][s]),
                                  date=_day(T606["AssToolCompDate"][s]), time=_time(T606["AssToolCompTime"][s]),
                                  table="IDS606", order=s))
        T603 = sub.tables["IDS603"].values
        complaints = [ComplaintIn(code=_text(T603["PresComp"][r]), significance=_text(T603["PresCompCodSig"][r]),
                                  date=_day(T603["PresCompDate"][r]), scheme=_text(T603["FindSchemeInUse"][r]), order=r)
                      for r in self._kept("IDS603", self.by_parent["IDS603"].get(sri, ()), ok, why, rejected)]
        T205 = sub.tables["IDS205"].values
        logs = []
        for r in self._kept("IDS205", self.by_parent["IDS205"].get(sri, ()), ok, why, rejected):
            dur = T205["DurationIntEnabledTher"][r]
            logs.append(LogIn(start=_day(T205["StartDateIntEnabledTherLog"][r]),
                              end=_day(T205["EndDateIntEnabledTherLog"][r]),
                              duration=dur if isinstance(dur, int) else None,
                              programme=_text(T205["IntEnabledTherProg"][r])))
        return ref, contacts, logs, complaints, scores, rejected
