"""all-MiniLM-L6-v2 on OpenVINO in bfloat16: the embedder's default backend.

The sentence-transformers folder (BERT + its pooling, see ``embedding.read_pooling``, + L2
normalization) is exported once to ONNX (cached next to the joined LLM file) and compiled by
OpenVINO's CPU plugin, which runs the matrix products in bfloat16 with float32 accumulation
where the CPU has AVX-512 BF16 (float32 elsewhere). It is faster than torch in bfloat16 or
float32 (docs/benchmark.md compares the backends), and its vectors are closer to the float32 ones
than torch bfloat16's. An int8 ONNX Runtime export was faster still but drifted further from float32
and lowered dev-set MRR, so it is not used.

``RAG_EMBED_DTYPE=int8`` opts into a static int8 model made with NNCF (calibrated once on the
bundled collection): faster than bf16, with the same Recall@1, about the same MRR and the same
answer quality, but fragile on text far from its calibration set; bf16 stays the default.

>>> encoder = OpenVinoEncoder.for_model(model_dir, cache_dir)   # doctest: +SKIP
>>> encoder.encode(["Big Transfer", "crowd counting"]).shape      # doctest: +SKIP
(2, 384)
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelUnavailableError
from .models import writable_models_dir

EXPORTED_POOLING = ("mean", "cls", "max", "lasttoken")  # the pooling modes export_onnx implements
BATCH_TOKENS = 2048  # word pieces per call: the fastest size tried (small batches stay in cache)
BULK_BATCHES = 4  # from this many batches on, one stream per core


def _fingerprint(model_dir: Path) -> str:
    """Identifies the source model, so a changed model folder gets a new cached export."""
    digest = hashlib.sha1()
    for name in ("config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.exists():
            digest.update(f"{name}:{path.stat().st_size}".encode())
            if path.stat().st_size < 4_000_000:
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _pooled(pooling: str) -> str:
    # mean pooling, the only kind exported before the pooling was read, keeps the exports' names
    return "" if pooling == "mean" else f"-{pooling}"


def cached_path(model_dir: Path, cache_dir: Path, pooling: str = "mean") -> Path:
    return cache_dir / f"{model_dir.name}-{_fingerprint(model_dir)}{_pooled(pooling)}.onnx"


def quantized_path(model_dir: Path, cache_dir: Path, pooling: str = "mean") -> Path:
    # "sentences": calibrated on sentence chunks (an int8 model calibrated on the 200-token chunks of
    # earlier versions is not reused)
    return cache_dir / f"{model_dir.name}-{_fingerprint(model_dir)}{_pooled(pooling)}-int8-sentences.xml"


def quantize_int8(onnx_path: Path, tokenizer_file: Path, texts: Sequence[str], target: Path,
                  max_tokens: int = 256) -> Path:
    """Static int8 with NNCF's transformer preset (SmoothQuant, per-channel weights, fast bias
    correction), calibrated on ``texts``; saved atomically as OpenVINO IR, once."""
    writable_models_dir(target.parent)
    sys.modules.setdefault("openvino_telemetry", None)  # see OpenVinoEncoder: NNCF then uses its stub too
    import nncf
    import openvino as ov
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()
    samples = []
    for encoding in tokenizer.encode_batch(list(texts)):
        ids = np.array([encoding.ids], dtype=np.int64)
        samples.append({"input_ids": ids, "attention_mask": np.ones_like(ids)})
    if not samples:
        raise ModelUnavailableError("no calibration text for the int8 embedder: set RAG_EMBED_DTYPE=bfloat16")
    tmp = target.with_name(f"{target.stem}.tmp-{os.getpid()}.xml")
    try:  # NNCF's progress bars go to stderr: stdout carries answers
        with contextlib.redirect_stdout(sys.stderr):
            quantized = nncf.quantize(ov.Core().read_model(str(onnx_path)), nncf.Dataset(samples),
                                      model_type=nncf.ModelType.TRANSFORMER, subset_size=len(samples),
                                      preset=nncf.QuantizationPreset.MIXED)
        ov.save_model(quantized, str(tmp))
        tmp.with_suffix(".bin").rename(target.with_suffix(".bin"))
        tmp.rename(target)  # the .xml last: it is what marks the export complete
    except Exception as exc:  # NNCF and OpenVINO raise many kinds
        raise ModelUnavailableError(f"cannot quantize {onnx_path.name} to int8 ({type(exc).__name__}: {exc}); "
                                    "set RAG_EMBED_DTYPE=bfloat16") from None
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_suffix(".bin").unlink(missing_ok=True)
    return target


def export_onnx(model_dir: Path, target: Path, pooling: str = "mean") -> Path:
    """Export the sentence-transformers folder (its transformer, ``pooling``, one of
    ``EXPORTED_POOLING``, and L2 normalization) to ONNX, atomically. Takes a few seconds, once;
    needs torch, which the query path then never imports."""
    if pooling not in EXPORTED_POOLING:
        raise ModelUnavailableError(f"{model_dir.name} pools by {pooling}, which the ONNX export does not implement: "
                                    "set RAG_EMBED_BACKEND=torch")
    writable_models_dir(target.parent)
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a one-time export should not print a loading bar into the CLI's output

    class Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            if pooling == "cls":
                pooled = hidden[:, 0]
            elif pooling == "max":  # as sentence-transformers: padding set to -1e9 first
                pooled = torch.where(mask > 0, hidden, torch.full_like(hidden, -1e9)).max(dim=1).values
            elif pooling == "lasttoken":  # the last real token (texts are padded at the end)
                last = (attention_mask.sum(1) - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, hidden.shape[-1])
                pooled = hidden.gather(1, last).squeeze(1)
            else:
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    tmp = target.with_name(f"{target.stem}.tmp-{os.getpid()}.onnx")
    try:
        # eager attention: the SDPA path's mask shortcuts do not survive tracing
        bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
        ids = torch.ones((2, 8), dtype=torch.long)
        mask = torch.ones((2, 8), dtype=torch.long)
        mask[1, 5:] = 0
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(Pooled(bert), (ids, mask), str(tmp), input_names=["input_ids", "attention_mask"],
                              output_names=["embedding"], opset_version=17, dynamo=False,
                              dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                            "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}})
        tmp.rename(target)
    except Exception as exc:  # torch's exporter raises many kinds
        raise ModelUnavailableError(f"cannot export {model_dir} to ONNX ({type(exc).__name__}: {exc}); "
                                    "set RAG_EMBED_BACKEND=torch to embed with sentence-transformers") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


class OpenVinoEncoder:
    """Tokenize (fast tokenizer, no padding), batch texts of similar length, run the compiled model."""

    def __init__(self, onnx_path: Path, tokenizer_file: Path, max_tokens: int = 256, threads: int = 0,
                 precision: str = "bf16"):
        # OpenVINO reports usage to Google Analytics unless told otherwise (its tools import
        # openvino_telemetry, even on `import openvino`); with that import failing they fall back to
        # their built-in no-op stub. Nothing leaves the machine (tests/test_offline.py checks it).
        sys.modules.setdefault("openvino_telemetry", None)
        import openvino as ov
        from tokenizers import Tokenizer

        self._ov = ov
        self._core = core = ov.Core()
        cache = onnx_path.parent / "openvino-cache"
        if os.access(cache if cache.exists() else onnx_path.parent, os.W_OK):  # read-only: compile every time
            core.set_property({"CACHE_DIR": str(cache)})  # compiled model, reused
        self._path, self._precision = str(onnx_path), precision
        self._threads = threads or os.cpu_count() or 1
        self.model = core.compile_model(self._path, "CPU", {
            "INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_NUM_THREADS": self._threads})
        self._bulk = None  # compiled on the first bulk encode: one stream per core
        self.output = self.model.output(0)
        self.dimension = int(self.output.get_partial_shape()[-1].get_length())
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        self._local = threading.local()  # one infer request per thread
        self._lock = threading.Lock()  # the Rust tokenizer is shared

    @classmethod
    def for_model(cls, model_dir: str | Path, cache_dir: Path, precision: str = "bf16",
                  calibration: Sequence[str] | None = None, pooling: str = "mean") -> "OpenVinoEncoder":
        """Open the cached ONNX export of ``model_dir`` pooled by ``pooling`` (exporting it first if
        needed). With ``precision="int8"``, open its int8 version, quantized first on
        ``calibration`` if needed."""
        model_dir = Path(model_dir)
        cache_dir = Path(cache_dir)
        path, int8 = cached_path(model_dir, cache_dir, pooling), quantized_path(model_dir, cache_dir, pooling)
        tokenizer, max_tokens = model_dir / "tokenizer.json", _max_tokens(model_dir)
        if not path.exists() and not (precision == "int8" and int8.exists()):
            export_onnx(model_dir, path, pooling)
        if precision == "int8":
            if not int8.exists():
                quantize_int8(path, tokenizer, calibration or [], int8, max_tokens)
            # the operations left in floating point run in bf16
            return cls(int8, tokenizer, max_tokens, precision="bf16")
        return cls(path, tokenizer, max_tokens, precision=precision)

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.model.create_infer_request()
        return request.infer({"input_ids": ids, "attention_mask": mask})[self.output].copy()

    def _bulk_model(self):
        with self._lock:
            if self._bulk is None:
                self._bulk = self._core.compile_model(self._path, "CPU", {
                    "INFERENCE_PRECISION_HINT": self._precision, "PERFORMANCE_HINT": "THROUGHPUT",
                    "NUM_STREAMS": str(self._threads), "INFERENCE_NUM_THREADS": self._threads})
            return self._bulk

    def encode(self, texts: Sequence[str], batch_tokens: int = BATCH_TOKENS, progress: bool = False) -> np.ndarray:
        """L2-normalized float32 embeddings, one row per text, in input order. Many batches (an
        ingest) run as independent single-core streams, which are faster than one multi-core
        stream; a query's single batch keeps the low-latency model. ``progress``: a bar
        on stderr, per text embedded."""
        with self._lock:
            encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        batches = []
        start = 0
        while start < len(order):
            width = int(lengths[order[start]])
            rows = order[start:start + max(1, batch_tokens // max(1, width))]
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, :lengths[i]] = encodings[i].ids
                mask[r, :lengths[i]] = 1
            batches.append((rows, ids, mask))
            start += len(rows)
        from tqdm.auto import tqdm

        with tqdm(total=len(texts), desc="Embedding", unit="chunk", disable=not progress, leave=False) as bar:
            if len(batches) < BULK_BATCHES or self._threads < 2:
                for rows, ids, mask in batches:
                    out[rows] = self._run(ids, mask)
                    bar.update(len(rows))
                return out
            queue = self._ov.AsyncInferQueue(self._bulk_model(), self._threads)

            def done(request, rows):
                out[rows] = request.get_output_tensor(0).data
                bar.update(len(rows))

            queue.set_callback(done)
            for rows, ids, mask in batches:
                queue.start_async({"input_ids": ids, "attention_mask": mask}, rows)
            queue.wait_all()
        return out


def _max_tokens(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256
