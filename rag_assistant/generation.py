"""Generator backends behind one small interface: ``stream(messages, max_tokens) -> text pieces``.

- ``LlamaCppGenerator``: llama-cpp-python over a GGUF file (fastest on CPU).
- ``TransformersGenerator``: a Hugging Face model folder (or a GGUF converted once to one).
Both decode greedily, so answers are reproducible.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator, Protocol

from .errors import ModelUnavailableError
from .models import BUNDLED, resolve_gguf

Messages = list[dict[str, str]]


class Generator(Protocol):
    name: str

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]: ...


def _threads(requested: int) -> int:
    return requested if requested > 0 else max(1, os.cpu_count() or 1)


class LlamaCppGenerator:
    """Chat completion with llama.cpp; the KV cache of a shared prompt prefix is reused between calls."""

    def __init__(self, model_path: Path, n_ctx: int = 2048, threads: int = 0, seed: int = 0):
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - setup installs it
            raise ModelUnavailableError(f"llama-cpp-python is not installed ({exc}); run `make setup`") from None
        self.name = f"llama.cpp:{Path(model_path).stem}"
        self._lock = threading.Lock()
        try:
            self.llm = Llama(
                model_path=str(model_path), n_ctx=n_ctx, n_threads=_threads(threads), n_batch=512,
                seed=seed, verbose=False,
            )
        except ValueError as exc:  # llama.cpp: "Failed to load model from file"
            raise ModelUnavailableError(
                f"cannot load {model_path}: the GGUF file is truncated or corrupt ({exc}). Re-download or "
                "rejoin it (a bundled model: delete the file and run again)") from None

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False))

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        with self._lock:
            for chunk in self.llm.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=0.0, top_k=1, stream=True,
            ):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece


class TransformersGenerator:
    """Greedy generation with transformers on CPU, streamed through ``TextIteratorStreamer``."""

    def __init__(self, model_dir: str, dtype: str = "bfloat16", threads: int = 0):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(_threads(threads))
        self.name = f"transformers:{Path(model_dir).name}"
        self._lock = threading.Lock()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
            self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype))
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(
                f"cannot load transformers model {model_dir}: it needs a Hugging Face model folder (config.json, "
                f"tokenizer and weights): {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        self.model.eval()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        with self._lock:
            inputs = self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
            kwargs = dict(**inputs, max_new_tokens=max_tokens, do_sample=False, streamer=streamer,
                          pad_token_id=self.tokenizer.eos_token_id)

            def run():
                with torch.inference_mode():
                    self.model.generate(**kwargs)

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            for piece in streamer:
                if piece:
                    yield piece
            worker.join()


def convert_gguf_to_hf(gguf_path: Path, target: Path) -> Path:
    """Dequantize a GGUF once into a Hugging Face folder (loading GGUF directly takes ~1 min)."""
    if (target / "config.json").exists():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.bfloat16,
        quantization_config=GgufConfig(dequantize=True),  # a plain dense model can be saved and reloaded fast
    )
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    tokenizer.save_pretrained(tmp)
    model.save_pretrained(tmp)
    tmp.rename(target)
    return target


def make_generator(config) -> Generator:
    """Build the configured backend; model = bundled name, .gguf path, HF folder, or hub id."""
    model = config.llm_model
    if config.generator == "llama_cpp":
        return LlamaCppGenerator(resolve_gguf(model, config.models_dir), config.llm_context, config.llm_threads,
                                 config.seed)
    if config.generator == "transformers":
        path = Path(model).expanduser()
        if model in BUNDLED or path.suffix == ".gguf":
            gguf = resolve_gguf(model, config.models_dir)
            model = str(convert_gguf_to_hf(gguf, config.models_dir / f"{gguf.stem}-hf"))
        return TransformersGenerator(model, threads=config.llm_threads)
    raise ModelUnavailableError(f"unknown generator {config.generator!r}: use llama_cpp, transformers or extractive")
