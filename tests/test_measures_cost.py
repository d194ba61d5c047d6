"""What findings cost: the counterfactual machinery agrees with the pipeline it re-runs."""

from __future__ import annotations

from collections import defaultdict

import pytest

import iapt_ds
from iapt_ds import measures, synthetic
from iapt_ds.measures._index import Index
from iapt_ds.measures.definitions import load_definitions
from iapt_ds.testing.referrals import UPLOAD


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faulty")
    synthetic.write_csv_folder(folder, rows=4000, seed=5, fault_rate=0.04, variety="templates")
    sub = iapt_ds.read(folder)
    result = iapt_ds.validate(sub, **UPLOAD)
    return sub, result


def _own(result, tables):
    own = defaultdict(dict)
    for f in result.findings:
        if f.row is not None and f.table in tables and f.rejects and f.rule.kind != "has_related":
            own[f.table].setdefault(f.row - 1, set()).add(f.code)
    return own


def test_replaying_the_cascade_with_every_fault_kept_gives_sdcs_acceptance(faulty):
    sub, result = faulty
    idx = Index(sub, load_definitions(sub.spec))
    own = _own(result, set(idx.tables))
    assert sum(len(v) for v in own.values()) > 20          # the file is faulty enough to tell
    patients = {v for v in sub.tables["IDS001"].values["LocalPatientId"] if v is not None}
    compared = 0
    for p in patients:
        group = idx.group(p)
        acc = idx.replay(group, {t: {i: True for i in rows if i in own.get(t, {})} for t, rows in group.items()})
        for tid, rows in acc.items():
            for i, ok in rows.items():
                assert ok == (not result.is_rejected(tid, i + 1)), (p, tid, i + 1, result.reason(tid, i + 1))
                compared += 1
    assert compared > 2500


def test_costs_on_a_faulty_file_add_up(faulty):
    sub, result = faulty
    p = measures.compute(sub, result)
    assert p.costs, "a faulty file has costs"
    allc, now = p.if_all_accepted.counts, p.totals.counts
    # with every rejected row accepted, nothing is lost on any headline count
    for name in ("received", "entered_treatment", "finished", "recovered"):
        assert allc[name] >= now[name], name
    assert allc["finished"] > now["finished"]
    # ranked most costly first
    weights = [sum(abs(c.gains.get(n, 0)) for n in measures.cost.HEADLINE) for c in p.costs]
    assert weights == sorted(weights, reverse=True)
    # one code's fix never brings back more than fixing everything
    for c in p.costs:
        assert c.gains.get("finished", 0) <= allc["finished"] - now["finished"]
    top = p.costs[0]
    assert top.words().startswith(f"fixing {top.code} on ")


def test_compute_refuses_a_result_of_another_submission(faulty):
    sub, _ = faulty
    other = iapt_ds.validate(iapt_ds.example_path(), **UPLOAD)
    with pytest.raises(iapt_ds.UsageError, match="not of this submission"):
        measures.compute(sub, other)
    with pytest.raises(iapt_ds.UsageError):
        measures.compute(iapt_ds.example_path(), other)  # type: ignore[arg-type]
