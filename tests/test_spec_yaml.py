"""Start-up: the spec's YAML read from the compiled cache (or the C loader) means exactly what
PyYAML's pure-Python loader reads from the YAML."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from iapt_ds import spec_yaml
from iapt_ds.errors import SpecError
from iapt_ds.spec import load_spec, spec_path
from iapt_ds.spec_yaml import NotYaml, parse, parse_slowly

ROOT = Path(__file__).resolve().parent.parent
YAML_FILES = sorted((ROOT / "spec").rglob("*.yaml"))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _types(x):
    if isinstance(x, dict):
        return {k: _types(v) for k, v in x.items()}, [type(k) for k in x]
    if isinstance(x, list):
        return [_types(v) for v in x]
    return type(x)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_compiled_spec_holds_each_yaml_file_exactly(path):
    text = path.read_text(encoding="utf-8")
    compiled = json.loads(spec_yaml.COMPILED.read_text(encoding="utf-8"))
    assert _digest(text) in compiled, f"{path.relative_to(ROOT)} is not in the compiled spec: run scripts/generate.py"
    reference = parse_slowly(text)
    cached = json.loads(compiled[_digest(text)])
    assert cached == reference and _types(cached) == _types(reference)
    assert parse(text) == reference


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_c_loader_reads_what_the_python_loader_reads(path):
    text = path.read_text(encoding="utf-8")
    fast, reference = yaml.load(text, Loader=yaml.CSafeLoader), parse_slowly(text)
    assert fast == reference and _types(fast) == _types(reference)


def test_text_not_in_the_cache_is_parsed_and_each_call_gives_fresh_objects():
    text = YAML_FILES[0].read_text(encoding="utf-8")
    edited = text + "\n# a comment the cache has never seen\n"
    assert parse(edited) == parse_slowly(text)
    first, second = parse(text), parse(text)
    assert first == second and first is not second


def test_invalid_yaml_says_what_pyyaml_says():
    bad = "a: [1, 2\nb: c\n"
    with pytest.raises(yaml.YAMLError) as reference:
        yaml.safe_load(bad)
    with pytest.raises(NotYaml) as ours:
        parse(bad)
    assert str(ours.value) == str(reference.value)


def test_a_spec_read_without_the_cache_is_the_same_spec(tmp_path):
    dst = tmp_path / "iapt-v2.0"
    shutil.copytree(spec_path(), dst)
    for path in dst.rglob("*.yaml"):   # a comment changes every file's text: no cache entry fits
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    fresh, cached = load_spec(dst), load_spec()
    assert list(fresh.rules) == list(cached.rules)
    for code, rule in cached.rules.items():
        other = fresh.rules[code]
        assert (rule, dict(rule.params), rule.message, dict(rule.examples), rule.note) == \
            (other, dict(other.params), other.message, dict(other.examples), other.note)
    assert fresh.tables == cached.tables and dict(fresh.codelists) == dict(cached.codelists)
    assert fresh.windows == cached.windows and dict(fresh.assessment_tools) == dict(cached.assessment_tools)


def test_a_broken_yaml_file_is_still_a_spec_error(tmp_path):
    dst = tmp_path / "iapt-v2.0"
    shutil.copytree(spec_path(), dst)
    (dst / "rules" / "IDS007.yaml").write_text("- code: [unclosed\n")
    with pytest.raises(SpecError, match=r"rules/IDS007.yaml: not valid YAML") as info:
        load_spec(dst)
    assert info.value.file == "rules/IDS007.yaml"
