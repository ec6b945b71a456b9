"""The examples in the pure helper modules' docstrings are run, so they stay true."""
import doctest
import importlib

import pytest

MODULES = ["acronyms", "baselines", "bench_synthetic", "chunking", "citations", "composing", "conversation", "corpus",
           "evidence", "filters", "keywords", "metrics", "retrieval", "store_records", "terms"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"rag_assistant.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
