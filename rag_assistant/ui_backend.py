"""The chat UI's hold on the Assistant: the index, possibly still opening in a background thread,
the language model's loading state, the answers in progress, and the status line they make."""
from __future__ import annotations

import logging
import threading
from collections import ChainMap
from concurrent.futures import Future
from typing import Any, Mapping

from .errors import RagAssistantError

log = logging.getLogger("rag_assistant.ui")

GENERIC_ERROR = "Something went wrong on the server while answering (the details are in its log). Please try again."


class Backend:
    """The Assistant (possibly still opening in a background thread) and the state of its LLM."""

    def __init__(self, assistant: Any, *, preload_model: bool = False, collection: str = ""):
        self.collection = collection or getattr(getattr(assistant, "config", None), "collection", "")
        self._others: dict[str, Any] = {}  # the other collections opened by the picker, by name
        self._others_lock = threading.Lock()
        if isinstance(assistant, Future):
            self._future = assistant
        else:
            self._future = Future()
            self._future.set_result(assistant)
        self._lock = threading.Lock()
        self._model = "idle"  # idle | loading | ready | unused | error
        self._model_error = ""
        self._busy = 0
        # retrieval and the answer decision, serialized (stemmer/tokenizer state): fast, except where the
        # judge reads the evidence (1-2 s on 2 cores, answerability.Model.judge_band)
        self.retrieval_lock = threading.Lock()
        self._future.add_done_callback(
            lambda f: f.exception() is None and threading.Thread(
                target=self._warm_up, args=(preload_model,), name="rag-ui-warm-up", daemon=True).start())

    # ---- index --------------------------------------------------------------------
    @property
    def opened(self) -> bool:
        return self._future.done()

    @property
    def ready(self) -> bool:
        return self._future.done() and self._future.exception() is None

    def get(self, timeout: float | None = None):
        """The Assistant (waits while it opens); raises what opening it raised."""
        return self._future.result(timeout)

    @property
    def papers(self) -> dict:
        return self.get().papers if self.ready else {}

    # ---- collections (the picker) -----------------------------------------------------
    def assistant(self, collection: str = ""):
        """The Assistant over ``collection`` (blank: the one the chat started with). Another collection
        is opened on first use and kept, sharing the embedder and the language model."""
        default = self.get()
        if not collection or collection == default.config.collection:
            return default
        with self._others_lock:
            if collection not in self._others:
                self._others[collection] = default.open_collection(collection)
            return self._others[collection]

    def collection_names(self) -> list[str]:
        """The collections of the data dir or server (the chat's own first), as the picker lists them."""
        if not self.ready:
            return [self.collection] if self.collection else []
        default = self.get()
        names = [c.name for c in default.collections(default.config, count=False)]
        return list(dict.fromkeys([default.config.collection, *names]))

    def papers_of(self, collection: str = "") -> dict:
        """The papers of ``collection`` (blank: the chat's first one); {} while the index opens."""
        return self.assistant(collection).papers if self.ready else {}

    def all_papers(self) -> Mapping:
        """Every open collection's papers (source cards of earlier turns may come from another one)."""
        if not self.ready:
            return {}
        with self._others_lock:
            others = [a.papers for a in self._others.values()]
        return ChainMap(self.get().papers, *others)

    def _warm_up(self, load_model: bool) -> None:
        """The first query pays for lazy initialisation (seconds): pay it before a user does."""
        try:
            with self.retrieval_lock:
                self.get().retrieve("warm up the retriever", k=1)
        except Exception:  # noqa: BLE001
            log.debug("retriever warm-up failed", exc_info=True)
        if load_model:
            self.load_model()

    # ---- model --------------------------------------------------------------------
    @property
    def model_ready(self) -> bool:
        return self._model in ("ready", "unused")

    def load_model(self) -> None:
        """Load the LLM now (``Assistant.generator``); errors are kept for the status line."""
        assistant = self.get()
        if assistant.config.generator == "extractive":
            self._model = "unused"
            return
        with self._lock:
            if self._model == "ready":
                return
            self._model = "loading"
        try:
            assistant.warm_up()  # loads the model and caches the shared prompt prefix
        except RagAssistantError as exc:
            self._model, self._model_error = "error", str(exc)
        except Exception:  # noqa: BLE001
            log.exception("loading the language model failed")
            self._model, self._model_error = "error", "the language model could not be loaded (see the server log)"
        else:
            self._model = "ready"

    # ---- answers in progress (for the "queued" note) -----------------------------------
    def busy(self) -> int:
        return self._busy

    def enter(self) -> None:
        with self._lock:
            self._busy += 1

    def leave(self) -> None:
        with self._lock:
            self._busy -= 1

    # ---- status line ------------------------------------------------------------------
    def status(self) -> tuple[str, str, bool]:
        """(kind, text, settled): settled means nothing is loading any more."""
        if not self._future.done():
            return ("loading", "Opening the paper index… (the first run builds it from the corpus: about a minute)",
                    False)
        if self._future.exception() is not None:
            return "error", f"The index could not be opened: {user_message(self._future.exception())}", True
        assistant = self.get()
        papers = f"{len(assistant.papers):,} papers"
        cfg = assistant.config
        if cfg.generator == "extractive":
            return "ready", f"Ready · {papers} · extractive answers (no language model)", True
        model = f"{cfg.llm_model} ({cfg.generator})"
        if self._model == "loading":
            return "loading", f"{papers} ready · loading the language model {model}…", False
        if self._model == "error":
            return "error", f"{papers} ready · language model unavailable: {self._model_error}", True
        if self._model == "idle":
            return "ready", f"Ready · {papers} · {model}, loads with the first answer", True
        return "ready", f"Ready · {papers} · answers by {model}", True


def user_message(exc: BaseException) -> str:
    """One line for the user: a RagAssistantError's own text, otherwise a generic line (logged).

    A sentence starts with a capital unless its first word is a name ("k", "--port") that must keep its case.
    """
    if isinstance(exc, RagAssistantError):
        text = str(exc).strip() or exc.__class__.__name__
        first = text.split(" ", 1)[0]
        return text[0].upper() + text[1:] if len(first) > 1 and first.isalpha() and first.islower() else text
    return GENERIC_ERROR
