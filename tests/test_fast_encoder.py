"""The OpenVINO embedder matches sentence-transformers (float32) and exports once."""
from pathlib import Path

import numpy as np
import pytest

from rag_assistant.embedding import Embedder
from rag_assistant.errors import ModelUnavailableError
from rag_assistant.fast_encoder import cached_path

TEXTS = ["Big Transfer (BiT) reaches 87.5% top-1 accuracy on ILSVRC-2012.",
         "Crowd counting with a lightweight student distilled from a VGG teacher.",
         "short", "x " * 400]  # the last one is truncated to the model's 256-token window


def test_openvino_embeddings_match_sentence_transformers(tmp_path):
    fast = Embedder(dtype="bfloat16", backend="openvino", cache_dir=tmp_path)
    reference = Embedder(dtype="float32", backend="torch")
    ours, theirs = fast.embed(TEXTS), reference.embed(TEXTS)
    assert ours.shape == theirs.shape == (4, 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-3)
    assert (ours * theirs).sum(axis=1).min() > 0.999  # bf16 products, fp32 accumulation
    assert np.allclose(fast.embed(TEXTS[::-1])[::-1], ours, atol=1e-4)  # order and batching do not matter
    assert fast.embed([]).shape == (0, 384)
    assert fast.name.endswith(":openvino:bfloat16") and fast.name != reference.name  # a new index fingerprint


def test_export_is_cached_and_reused(tmp_path):
    first = Embedder(dtype="bfloat16", backend="openvino", cache_dir=tmp_path)
    first.embed_query("warm")
    exported = cached_path(Path(first.model_path), tmp_path)
    assert exported.exists() and not list(tmp_path.glob("*.tmp-*"))
    stamp = exported.stat().st_mtime_ns
    Embedder(dtype="bfloat16", backend="openvino", cache_dir=tmp_path).embed_query("again")
    assert exported.stat().st_mtime_ns == stamp


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ModelUnavailableError, match="use openvino or torch"):
        Embedder(backend="tensorflow")


def test_the_export_never_goes_into_the_installed_model_package():
    embedder = Embedder(backend="openvino")
    assert Path(embedder.model_path) not in (embedder.cache_dir, *embedder.cache_dir.parents)
