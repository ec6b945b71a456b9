"""Generator backends behind one small interface: ``stream(messages, max_tokens) -> text pieces``.

- ``LlamaCppGenerator``: llama-cpp-python over a GGUF file (fastest on CPU).
- ``TransformersGenerator``: a Hugging Face model folder (or a GGUF converted once to one).
Both decode greedily, so answers are reproducible.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Protocol, TypeVar

from .errors import InvalidQuestionError, ModelUnavailableError
from .models import BUNDLED, resolve_gguf, writable_models_dir

Messages = list[dict[str, str]]
T = TypeVar("T")
_END = object()


class Generator(Protocol):
    name: str

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]: ...


def _threads(requested: int) -> int:
    return requested if requested > 0 else max(1, os.cpu_count() or 1)


class OneStreamAtATime:
    """Lets one stream at a time step a model that keeps state between steps (llama.cpp's KV cache;
    not thread-safe), without holding a lock across ``yield``. A newer stream waits while the current
    one is being read (another thread), and takes over from one left unread for ``abandon_after_s``
    (a generator suspended and never closed, e.g. in the same thread); the stream taken over raises
    ``ModelUnavailableError`` when read again instead of continuing on the newer one's model state.

    >>> turns = OneStreamAtATime(abandon_after_s=0.0)
    >>> first = turns.stream(lambda: iter("abc"))
    >>> next(first), "".join(turns.stream(lambda: iter("xyz")))
    ('a', 'xyz')
    """

    def __init__(self, abandon_after_s: float = 2.0):
        self.abandon_after_s = abandon_after_s
        self._changed = threading.Condition()
        self._owner: object | None = None
        self._idle_since: float | None = None  # the owner's last step ended then; None while it steps

    def stream(self, start: Callable[[], Iterator[T]]) -> Iterator[T]:
        """Yield what ``start()``'s iterator yields, computing each item as the model's owner.
        Closing that iterator must not touch the model (llama-cpp-python's runs no code then)."""
        turn = self._claim()
        steps: Iterator[T] | None = None
        try:
            steps = self._step(turn, start)
            while (item := self._step(turn, lambda: next(steps, _END))) is not _END:
                yield item
        finally:
            if steps is not None and hasattr(steps, "close"):
                steps.close()
            with self._changed:
                if self._owner is turn:
                    self._owner = None
                    self._changed.notify_all()

    def _claim(self) -> object:
        turn = object()
        with self._changed:
            while self._owner is not None:
                if self._idle_since is None:  # the owner is computing a step
                    self._changed.wait()
                    continue
                left = self._idle_since + self.abandon_after_s - time.monotonic()
                if left <= 0:
                    break  # left unread: take over
                self._changed.wait(left)
            self._owner, self._idle_since = turn, time.monotonic()
        return turn

    def _step(self, turn: object, compute: Callable[[], T]) -> T:
        with self._changed:
            if self._owner is not turn:
                raise ModelUnavailableError(
                    "this answer's stream was left unread while a newer request used the language model, "
                    "so it cannot continue: ask again (read a stream to its end, or close it, before the next)")
            self._idle_since = None
        try:
            return compute()
        finally:
            with self._changed:
                if self._owner is turn:
                    self._idle_since = time.monotonic()
                    self._changed.notify_all()


class LlamaCppGenerator:
    """Chat completion with llama.cpp; the KV cache of a shared prompt prefix is reused between calls."""

    def __init__(self, model_path: Path, n_ctx: int = 2048, threads: int = 0, seed: int = 0):
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - setup installs it
            raise ModelUnavailableError(f"llama-cpp-python is not installed ({exc}); run `make setup`") from None
        self.name = f"llama.cpp:{Path(model_path).stem}"
        self._turns = OneStreamAtATime()
        try:
            self.llm = Llama(
                model_path=str(model_path), n_ctx=n_ctx, n_threads=_threads(threads), n_batch=512,
                seed=seed, verbose=False,
            )
        except ValueError as exc:
            if "context" in str(exc):  # "Failed to create llama_context": the file loaded, the context did not
                raise ModelUnavailableError(
                    f"cannot create a llama.cpp context of {n_ctx} tokens for {Path(model_path).name} ({exc}; "
                    "out of memory, or a size it rejects): set RAG_LLM_CONTEXT to e.g. 2048") from None
            raise ModelUnavailableError(  # "Failed to load model from file", "Failed to get vocab"
                f"cannot load {model_path}: the GGUF file is truncated or corrupt ({exc}). Re-download or "
                "rejoin it (a bundled model: delete the file and run again)") from None

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False))

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        return self._turns.stream(lambda: self._pieces(messages, max_tokens))

    def _pieces(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        try:
            for chunk in self.llm.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=0.0, top_k=1, stream=True,
            ):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
        except ValueError as exc:  # "Requested tokens (N) exceed context window of M"
            if "context window" not in str(exc):
                raise
            raise InvalidQuestionError(f"the prompt does not fit the language model's context ({exc}): ask a "
                                       "shorter question, or set RAG_LLM_CONTEXT higher") from None


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
        """The worker thread holds the lock while it generates, never the reader: a stream left
        unread cannot block the next one for longer than its own generation, and closing it stops that."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        with self._lock:  # the tokenizer is shared too; never held across a yield
            inputs = self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        closed, failures = threading.Event(), []

        class UntilClosed(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), closed.is_set(), dtype=torch.bool)

        kwargs = dict(**inputs, max_new_tokens=max_tokens, do_sample=False, streamer=streamer,
                      pad_token_id=self.tokenizer.eos_token_id, stopping_criteria=StoppingCriteriaList([UntilClosed()]))

        def run():
            try:
                with self._lock, torch.inference_mode():
                    self.model.generate(**kwargs)
            except Exception as exc:  # noqa: BLE001 - raised again in the reader
                failures.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
        finally:
            closed.set()
        worker.join()
        if failures:
            raise failures[0]


def convert_gguf_to_hf(gguf_path: Path, target: Path) -> Path:
    """Dequantize a GGUF once into a Hugging Face folder (loading a GGUF directly is slow)."""
    if (target / "config.json").exists():
        return target
    writable_models_dir(target.parent)
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
