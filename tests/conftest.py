"""Shared fixtures: the real corpus, the real embedding model, real Chroma in temp dirs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

for _key, _value in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                     "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(_key, _value)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def config(tmp_path_factory):
    """Config over the bundled corpus with an index in a session temp dir (no LLM)."""
    from rag_assistant import Config

    return Config.from_env({}, data_dir=tmp_path_factory.mktemp("data"), generator="extractive")


@pytest.fixture(scope="session")
def assistant(config):
    """One real index of the bundled corpus, built once per test session."""
    from rag_assistant import Assistant

    return Assistant.from_config(config)


@pytest.fixture(scope="session")
def embedder(assistant):
    return assistant.embedder


@pytest.fixture
def read_only_models_dir(tmp_path):
    """A models folder nobody may write into (skipped as root, who can write anywhere)."""
    if os.geteuid() == 0:
        pytest.skip("root can write into any folder")
    models = tmp_path / "models"
    models.mkdir()
    models.chmod(0o555)
    yield models
    models.chmod(0o755)


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    """A three-paper page in the bundled format."""
    text = (
        "Header one\nHeader two\n"
        "SubscribeGraph Neural Sparsifiers\nWe prune edges of large graphs with a learned sparsifier. "
        "It keeps accuracy while removing 90% of edges.\n"
        "Tiny Speech Models\nWe distill a speech recognizer into a 10M parameter model. It runs on phones.\n"
        "Protein Folding With Diffusion\nA diffusion model generates protein backbones. It beats prior work.\n"
    )
    path = tmp_path / "page.txt"
    path.write_text(text, encoding="utf-8")
    return path


def pytest_collection_modifyitems(config, items):
    """Skip browser tests when Chromium is absent (setup-test installs it)."""
    import shutil

    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    skip = pytest.mark.skip(reason="chromium not installed: run `make test` (it installs it)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_llm_without_the_marker(request, monkeypatch):
    """A test that loads a bundled LLM must say so (``@pytest.mark.llm``), so `make test-fast` loads none.
    (Tiny models a test builds itself, and files that fail to load, are not the LLM.)"""
    if "llm" in request.keywords:
        return
    from rag_assistant import generation, judging
    from rag_assistant.models import BUNDLED

    def guarded(init):
        def checked(self, model, *args, **kwargs):
            name = Path(str(model)).name
            if any(name.startswith(bundled) for bundled in BUNDLED):
                raise AssertionError(f"{request.node.nodeid} loads the LLM {name} but is not marked llm")
            return init(self, model, *args, **kwargs)
        return checked

    for backend in (generation.LlamaCppGenerator, generation.TransformersGenerator, judging.LlamaCppJudge):
        monkeypatch.setattr(backend, "__init__", guarded(backend.__init__))
