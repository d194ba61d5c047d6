"""A small made-up "v2.1" built from the v2.0 spec, for testing version choice before (and
apart from) the real v2.1 spec: one new table (IDS003AccommStatus, a child of IDS001), one new
column (IDS001.GenderIdentity), one removed column (IDS001.OrgIDResidenceResp, with its two
rules), DatSetVer '2.1' and the reporting periods from April 2022."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from iapt_ds.spec import Spec, load_spec, spec_path

REMOVED = "OrgIDResidenceResp"


def _scrub(example):
    if isinstance(example, dict):
        return {k: _scrub(v) for k, v in example.items() if k != REMOVED and k != f"IDS001.{REMOVED}"}
    if isinstance(example, list):
        return [_scrub(x) for x in example]
    return example


def _delta_loader() -> bool:
    try:
        import iapt_ds._spec_delta  # noqa: F401
    except ImportError:
        return False
    return True


def build(folder: Path) -> Spec:
    """The made-up v2.1 in *folder*: a delta on v2.0 where the loader reads deltas (``extends:``),
    else an edited copy of the v2.0 folder."""
    return build_delta(folder) if _delta_loader() else build_copy(folder)


def build_delta(folder: Path) -> Spec:
    target = folder / "iapt-v2.1"
    (target / "rules").mkdir(parents=True)
    v20 = load_spec()
    removed = [r for r in v20.rules.values() if r.table == "IDS001" and REMOVED in r.fields]
    counts = {str(k): v for k, v in v20.severity_counts.items()}
    for r in removed:
        counts[str(r.severity)] -= 1
    dump = lambda name, data: (target / name).write_text(yaml.safe_dump(data, sort_keys=False))  # noqa: E731
    dump("dataset.yaml", {"extends": "2.0", "version": "2.1", "dataset_version": "2.1",
                          "periods": {"first": "2022-04", "last": "2099-12"}, "severity_counts": counts})
    dump("tables.yaml", {
        "add": {"IDS003": {
            "after": "IDS002", "name": "IDS003AccommStatus", "title": "Accommodation status",
            "row_is": "accommodation status record", "key": ["LocalPatientId"],
            "parent": {"table": "IDS001", "key": "LocalPatientId"},
            "fields": [
                {"name": "LocalPatientId", "item": "LOCAL PATIENT IDENTIFIER (EXTENDED)",
                 "label": "Local Patient Identifier (Extended)", "uid": "I003901", "type": "text",
                 "format": "max an20", "status": "M"},
                {"name": "AccommodationType", "item": "ACCOMMODATION TYPE", "label": "Accommodation Type",
                 "uid": "I003010", "type": "text", "format": "an2", "status": "M"}]}},
        "change": {"IDS001": {
            "remove_fields": [REMOVED],
            "add_fields": [{"after": "Gender", "name": "GenderIdentity", "item": "GENDER IDENTITY CODE",
                            "label": "Gender Identity Code", "uid": "I001160", "type": "text", "format": "an1",
                            "status": "R"}]}}})
    # the DatSetVer code list is dataset_version itself
    dump("rules/IDS001.yaml", {"remove": [r.code for r in removed]})
    return load_spec(target)


def build_copy(folder: Path) -> Spec:
    base = spec_path("2.0")
    target = folder / "iapt-v2.1"
    shutil.copytree(base, target)
    ds = yaml.safe_load((target / "dataset.yaml").read_text())
    ds.update(version="2.1", dataset_version="2.1", periods={"first": "2022-04", "last": "2099-12"})
    ds["tables"].insert(ds["tables"].index("IDS002") + 1, "IDS003")
    tables = yaml.safe_load((target / "tables.yaml").read_text())
    ids001 = tables["IDS001"]["fields"]
    ids001[:] = [f for f in ids001 if f["name"] != REMOVED]
    ids001.insert([f["name"] for f in ids001].index("Gender") + 1, {"name": "GenderIdentity", "item": "GENDER IDENTITY CODE", "label": "Gender Identity Code",
                      "uid": "I001160", "type": "text", "format": "an1", "max_length": 1, "status": "R"})
    tables["IDS003"] = {
        "name": "IDS003AccommStatus", "title": "Accommodation status", "row_is": "accommodation status record",
        "key": ["LocalPatientId"], "parent": {"table": "IDS001", "key": "LocalPatientId"},
        "fields": [
            {"name": "LocalPatientId", "item": "LOCAL PATIENT IDENTIFIER (EXTENDED)",
             "label": "Local Patient Identifier (Extended)", "uid": "I003901", "type": "text",
             "format": "max an20", "max_length": 20, "status": "M"},
            {"name": "AccommodationType", "item": "ACCOMMODATION TYPE", "label": "Accommodation Type",
             "uid": "I003010", "type": "text", "format": "an2", "max_length": 2, "status": "M"},
        ]}
    tables = {k: tables[k] for k in ds["tables"]}
    (target / "tables.yaml").write_text(yaml.safe_dump(tables, sort_keys=False))
    codelists = yaml.safe_load((target / "codelists.yaml").read_text())
    codelists["DatSetVer"]["codes"] = ["2.1"]
    (target / "codelists.yaml").write_text(yaml.safe_dump(codelists, sort_keys=False))
    removed_severities: list[str] = []
    for path in sorted((target / "rules").glob("*.yaml")):
        rules = yaml.safe_load(path.read_text())
        kept = []
        for r in rules:
            if r["table"] == "IDS001" and REMOVED in r["fields"]:
                removed_severities.append(r["severity"])
                continue
            r["examples"] = _scrub(r["examples"])
            if r["code"] == "IDS00003":
                r["examples"] = {"pass": [{"DatSetVer": "2.1"}], "fail": [{"DatSetVer": "2.0"}]}
            kept.append(r)
        path.write_text(yaml.safe_dump(kept, sort_keys=False, allow_unicode=True))
    for s in removed_severities:
        ds["severity_counts"][s] -= 1
    (target / "dataset.yaml").write_text(yaml.safe_dump(ds, sort_keys=False))
    return load_spec(target)


_BUILT: dict[str, Spec] = {}


def install(monkeypatch, folder_factory) -> dict[str, Spec]:
    """Make the made-up v2.1 one of the known versions for the rest of the test (built once per
    session; *folder_factory* makes the folder it is built in)."""
    from iapt_ds import version_choice

    if "2.1" not in _BUILT:
        _BUILT["2.1"] = build(folder_factory())
    specs = {"2.0": load_spec(), "2.1": _BUILT["2.1"]}
    monkeypatch.setattr(version_choice, "specs_by_version", lambda versions=None: dict(specs))
    monkeypatch.setattr(version_choice, "known_versions", lambda: tuple(specs))
    return specs
