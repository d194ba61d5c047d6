"""The examples in module docstrings run as tests."""

import doctest
import importlib

import pytest

MODULES = ["iapt_ds", "iapt_ds.spec", "iapt_ds.cleanse", "iapt_ds.parse", "iapt_ds.checks.values",
           "iapt_ds.result", "iapt_ds.report", "iapt_ds._gcpause", "iapt_ds.checked", "iapt_ds.diff",
           "iapt_ds.reference", "iapt_ds.readers._hints"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0, f"{name} has no docstring example"
    assert failed == 0
