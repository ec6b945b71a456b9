"""Does the evidence state the answer? A language model reads the question and the top paper's
best-matching sentences (not its title: a title names the paper's topic, and a near miss asks about
that topic, so the title drew "yes" from the judge where the sentences lack the asked detail;
docs/quality.md) and says yes or no; its judgement is the log-odds of "yes" against "no" in
its next-token distribution (one forward pass, nothing generated). The same pass gives the model's
hidden state where it answers (``LlamaCppJudge.read``); a model fitted with a probe of that state
(``answerability.Model.judge_probe``) reads its judgement from the state instead: the yes/no is one
direction of the final state, and a direction fitted on labelled questions tells near misses from
paraphrases better (docs/quality.md, sixteenth round). A middle layer's state
(``answerability.Model.judge_layer``) separates them better still, and the pass can stop there
(eighteenth and nineteenth rounds).

The answer model (0.5B) cannot tell a near miss from an answerable question this way (AUC 0.75 on
the tune halves, 0.54 where retrieval features are unsure); the 1.5B model can (0.95 and 0.88:
docs/quality.md). So the judge is a model of its own, loaded by ``Assistant.warm_up`` or on first
use, and it is asked only where the retrieval features leave the decision open
(``answerability.Model.judge_band``).
"""
from __future__ import annotations

import ctypes
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from . import prompts
from .errors import ModelUnavailableError
from .generation import _threads
from .models import resolve_gguf

DEFAULT_JUDGE = "qwen2.5-coder-1.5b"
CONTEXT = 1024
PROMPT_TOKENS = CONTEXT - 24  # a prompt with three sentences is about 170 tokens; an outsized one is cut


class Judge(Protocol):
    name: str

    def score(self, question: str, passage: str) -> float: ...

    def read(self, question: str, passage: str, layer: int | None = None) -> tuple[float, np.ndarray]:
        """(log-odds of "yes", the model's hidden state where it answers: the final one, or with
        ``layer`` that layer's output, and then the log-odds are NaN: the pass stops there)."""
        ...


def judge_messages(prompts_dir: Path, question: str, passage: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": prompts.render(prompts_dir, "judge_system")},
            {"role": "user", "content": prompts.render(prompts_dir, "judge_user", passage=passage, question=question)}]


def passage_of(sentences: Sequence[str], cosines: np.ndarray, n: int = 3) -> str:
    """The ``n`` sentences that match the question best, in the abstract's order.

    >>> passage_of(["A.", "B.", "C.", "D."], np.array([0.1, 0.9, 0.2, 0.8]), n=2)
    'B. D.'
    """
    best = sorted(np.argsort(-np.asarray(cosines))[:n].tolist())
    return " ".join(sentences[i] for i in best)


def _quiet_outputs_notice(llama_cpp) -> None:
    """In embedding mode llama.cpp makes every token of a batch an output and says so on stderr for
    each judgement; that notice is dropped, every other message goes where llama-cpp-python sends it."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return
    from llama_cpp import _logger

    def callback(level, text, user_data):
        if b"not marked as outputs" not in (text or b""):
            _logger.llama_log_callback(level, text, user_data)

    _LOG_CALLBACK = llama_cpp.llama_log_callback(callback)  # kept: llama.cpp holds the pointer
    llama_cpp.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))


_LOG_CALLBACK = None
# Llama() takes no eval callback: it is set in the context parameters while one is constructed
_CONSTRUCTING = threading.Lock()


def _with_eval_callback(llama_cpp, callback, make):
    """``make()``, a ``Llama``, constructed with ``callback`` as its context's eval callback."""
    raw = llama_cpp.llama_cpp
    with _CONSTRUCTING:
        default = raw.llama_context_default_params

        def params():
            p = default()
            p.cb_eval = callback
            return p

        raw.llama_context_default_params = params
        try:
            return make()
        finally:
            raw.llama_context_default_params = default


class _LayerReader:
    """llama.cpp's eval callback: keeps the prompt's last token's row of one layer's output
    (``l_out-N``), and stops the pass there (nothing after it is read). The scheduler asks, for every
    tensor of the graph, whether it is wanted (``ask``), and then hands over the wanted ones."""

    def __init__(self, llama_cpp):
        from llama_cpp import _ggml

        lib = _ggml.libggml
        self._name, self._nbytes, self._get = lib.ggml_get_name, lib.ggml_nbytes, lib.ggml_backend_tensor_get
        self._name.restype, self._name.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
        self._nbytes.restype, self._nbytes.argtypes = ctypes.c_size_t, [ctypes.c_void_p]
        self._get.restype = None
        self._get.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]
        self.width = 0  # the model's, set once it is loaded
        self.wanted: bytes | None = None  # the tensor's name, or None: the whole pass, nothing kept
        self.state: np.ndarray | None = None
        self.callback = llama_cpp.llama_cpp.ggml_backend_sched_eval_callback(self._on_tensor)

    def want(self, layer: int | None) -> None:
        self.wanted = None if layer is None else f"l_out-{layer}".encode()
        self.state = None

    def _on_tensor(self, tensor, ask: bool, user_data) -> bool:
        if self.wanted is None or self._name(tensor) != self.wanted:
            return not ask  # not wanted; when handed over (never), go on
        if ask:
            return True
        size = self.width * 4  # float32, the last row is the last token's
        state = np.empty(self.width, dtype=np.float32)
        self._get(tensor, state.ctypes.data, self._nbytes(tensor) - size, size)
        self.state = state
        return False  # stop the pass: the layers after this one are not needed


class LlamaCppJudge:
    """The judge on llama.cpp: a model of its own (its KV cache is not the answer model's)."""

    def __init__(self, model_path: Path, prompts_dir: Path, threads: int = 0, n_ctx: int = CONTEXT):
        try:
            import llama_cpp
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:  # pragma: no cover - setup installs it
            raise ModelUnavailableError(f"llama-cpp-python is not installed ({exc}); run `make setup`") from None
        self._lib = llama_cpp
        _quiet_outputs_notice(llama_cpp)
        self.name = f"llama.cpp:{Path(model_path).stem}"
        self.prompts_dir = prompts_dir
        self._lock = threading.Lock()
        try:
            # read into memory rather than mapped: llama.cpp repacks the 4-bit weights for the CPU, and a
            # mapped file stays resident beside the repacked copy (1.85 GB resident against 1.25 GB for
            # the 1.5B model, for about 1 s more to load; the same judgements)
            # embedding mode (every prompt token an output) only while a final state is read (``read``)
            self._reader = _LayerReader(llama_cpp)
            self.llm = _with_eval_callback(llama_cpp, self._reader.callback, lambda: Llama(
                model_path=str(model_path), n_ctx=n_ctx, n_threads=_threads(threads), n_batch=512,
                use_mmap=False, verbose=False, embedding=False))
        except ValueError as exc:
            raise ModelUnavailableError(f"cannot load the answerability judge {model_path} ({exc}); set "
                                        "RAG_JUDGE_MODEL=none to decide without it") from None
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelUnavailableError(f"{model_path} has no chat template; it cannot be the judge")
        self._format = Jinja2ChatFormatter(template=template, eos_token=self._piece(self.llm.token_eos()),
                                           bos_token=self._piece(self.llm.token_bos()), add_generation_prompt=True)
        self._yes = self._first_tokens(("yes", "Yes"))
        self._no = self._first_tokens(("no", "No"))
        self._opening_tokens = self._opening()
        self._opening_cached = False
        self._reader.width = self.llm.n_embd()
        self.layers = int(self.llm.metadata.get(f"{self.llm.metadata.get('general.architecture')}.block_count", 0))

    def _opening(self) -> list[int]:
        """The prompt's tokens that are the same for every question (the instruction and the template
        up to the passage), evaluated once and kept: each call evaluates only what follows, always from
        the same cached state, so a judgement does not depend on the questions judged before it."""
        a, b = (self.llm.tokenize(self._format(messages=judge_messages(self.prompts_dir, q, p)).prompt.encode(),
                                  add_bos=False, special=True) for q, p in (("A?", "C."), ("X?", "Z.")))
        return a[:self.llm.longest_token_prefix(a, b)]

    def _evaluate_opening(self) -> None:
        self._reader.want(None)  # whole: a later read may need any layer's cache of it
        self._embedding(False)  # its outputs are not read; its cache is the same either way
        self.llm.reset()
        self.llm.eval(self._opening_tokens)
        self._opening_cached = True

    def _embedding(self, on: bool) -> None:
        self._lib.llama_set_embeddings(self.llm._ctx.ctx, on)

    def _piece(self, token: int) -> str:
        return self.llm.detokenize([token]).decode("utf-8", "ignore") if token >= 0 else ""

    def _first_tokens(self, words: Sequence[str]) -> list[int]:
        return sorted({self.llm.tokenize(w.encode("utf-8"), add_bos=False)[0] for w in words})

    def score(self, question: str, passage: str) -> float:
        """log P(yes) - log P(no) for the next token after the judge prompt."""
        return self.read(question, passage)[0]

    def read(self, question: str, passage: str, layer: int | None = None) -> tuple[float, np.ndarray]:
        """The judgement (``score``) and the model's final hidden state at the prompt's last token,
        the vector its yes/no is read from; or with ``layer``, that layer's output there, and NaN for
        the judgement: the pass stops at that layer, the rest of the model is not run
        (``answerability.Model.judge_probe`` reads the state)."""
        if layer is not None and not 0 <= layer < self.layers:
            raise ValueError(f"the judge has layers 0 to {self.layers - 1}, not {layer}")
        text = self._format(messages=judge_messages(self.prompts_dir, question, passage)).prompt
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if len(tokens) > PROMPT_TOKENS:  # keep the question and the instruction at the end
            tokens = tokens[:64] + tokens[-(PROMPT_TOKENS - 64):]
        opening = self._opening_tokens
        with self._lock:
            if len(tokens) > len(opening) and tokens[:len(opening)] == opening:
                if not self._opening_cached:
                    self._evaluate_opening()
                self.llm.n_tokens = len(opening)  # eval() drops the cache beyond the opening
                rest = tokens[len(opening):]
            else:  # a prompt that does not start with the opening: evaluated whole
                self._opening_cached = False
                self.llm.reset()
                rest = tokens
            # For the final state the context keeps hidden states (embedding mode): every token of a
            # batch is then an output, which costs about a fifth more time than the last token's
            # logits alone; evaluating the last token apart would be cheaper but moves the numbers
            # (llama.cpp's depend on batching). A middle layer needs neither.
            self._embedding(layer is None)
            self._reader.want(layer)
            try:
                self.llm.eval(rest)
            finally:
                self._reader.wanted = None
            if layer is not None:
                if self._reader.state is None:
                    raise RuntimeError(f"llama.cpp did not hand over the judge's layer {layer}")
                return float("nan"), self._reader.state.astype(np.float64)
            ctx = self.llm._ctx.ctx
            logits = np.ctypeslib.as_array(self._lib.llama_get_logits_ith(ctx, -1), shape=(self.llm.n_vocab(),)).copy()
            state = np.ctypeslib.as_array(self._lib.llama_get_embeddings_ith(ctx, -1),
                                          shape=(self.llm.n_embd(),)).astype(np.float64)
        return float(np.logaddexp.reduce(logits[self._yes]) - np.logaddexp.reduce(logits[self._no])), state


def make_judge(config) -> Judge | None:
    """The configured judge, or None when answering uses no language model (``generator=extractive``)
    or ``judge_model`` is "none"."""
    name = (config.judge_model or "").strip()
    if config.generator == "extractive" or name.lower() in {"", "none", "off"}:
        return None
    return LlamaCppJudge(resolve_gguf(name, config.models_dir), config.prompts_dir, config.llm_threads)
