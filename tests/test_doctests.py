"""Every module's docstring examples run, so they stay true: the package's modules are found, not
listed, so a new module's examples run too (``+SKIP`` marks those that need an index or a model)."""
import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import rag_assistant

_EXAMPLE = re.compile(r"^\s*>>> (?!.*doctest: \+SKIP)", re.MULTILINE)


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(rag_assistant.__path__, prefix="rag_assistant."):
        spec = importlib.util.find_spec(info.name)
        source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
        if _EXAMPLE.search(source):
            names.append(info.name)
    return sorted(names)


MODULES = _modules_with_examples()


def test_the_examples_are_found():
    assert {"rag_assistant.routing", "rag_assistant.filters", "rag_assistant.formats.fields"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
