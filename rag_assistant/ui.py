"""The chat web UI (Gradio): a thin view over ``Assistant.stream`` and ``Assistant.retrieve``.

    rag-assistant chat                      # http://127.0.0.1:7860
    build_app(assistant).launch()           # embed / test

Layout: a conversation with streamed answers whose [n] markers link to a sources panel that fills
as soon as the papers are retrieved (before any text), a "Browse papers" search tab (no LLM), example
questions, a k setting, Stop and New conversation. Scripts use the ``/ask`` and ``/search`` endpoints
(see ``api_ask`` / ``api_search``).

Concurrency: validation and retrieval run in their own group (``retrieval``, 2 at a time) so search
stays responsive; everything that may run the LLM shares the ``llm`` group (1 at a time), so
several browser tabs are queued and each gets its answer. Nothing user- or model-provided is
rendered as live HTML: ui_render escapes it all.
"""
from __future__ import annotations

import errno
import inspect
import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import asdict
from typing import Any, Iterator

import gradio as gr

from .config import Config, apply_offline_env
from .errors import ConfigError, RagAssistantError
from .types import Answer, Sources
from .ui_render import Conversation, Turn, render_conversation, render_search, render_sources, render_status
from .ui_style import CHAT_JS, CSS, theme

log = logging.getLogger(__name__)

EXAMPLES = (
    "How does R2-Tuning adapt CLIP for video temporal grounding?",
    "What top-1 accuracy does Big Transfer (BiT) reach on ImageNet?",
    "Which methods make transfer learning parameter-efficient?",
    "How much faster are the distilled crowd counting models?",
    "What does Deep Residual Learning propose to ease the training of deep networks?",
)
DEFAULT_K = 10  # sources per answer in the UI (the slider's start value; Assistant.stream's own default)
GENERIC_ERROR = "Something went wrong on the server while answering (the details are in its log). Please try again."
LLM_GROUP, RETRIEVAL_GROUP = "llm", "retrieval"
RETRIEVAL_CONCURRENCY = 2
STREAM_INTERVAL_S = 0.08


class Backend:
    """The Assistant (possibly still opening in a background thread) and the state of its LLM."""

    def __init__(self, assistant: Any, *, preload_model: bool = False):
        if isinstance(assistant, Future):
            self._future = assistant
        else:
            self._future = Future()
            self._future.set_result(assistant)
        self._lock = threading.Lock()
        self._model = "idle"  # idle | loading | ready | unused | error
        self._model_error = ""
        self._busy = 0
        self.retrieval_lock = threading.Lock()  # retrieval is fast; serialize it (stemmer/tokenizer state)
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
            return "error", f"The index could not be opened: {_message(self._future.exception())}", True
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


def _message(exc: BaseException) -> str:
    """One line for the user: a RagAssistantError's own text, otherwise a generic line (logged).

    A sentence starts with a capital unless its first word is a name ("k", "--port") that must keep its case.
    """
    if isinstance(exc, RagAssistantError):
        text = str(exc).strip() or exc.__class__.__name__
        first = text.split(" ", 1)[0]
        return text[0].upper() + text[1:] if len(first) > 1 and first.isalpha() and first.islower() else text
    return GENERIC_ERROR


class ChatUI:
    """Event handlers; every handler returns rendered HTML and the session's Conversation."""

    def __init__(self, backend: Backend):
        self.backend = backend

    # ---- rendering ----------------------------------------------------------------
    def _papers(self) -> dict:
        return self.backend.papers

    def _views(self, conv: Conversation) -> tuple[str, str]:
        papers = self._papers()
        return render_conversation(conv, len(papers) or None), render_sources(conv, papers)

    # ---- chat ---------------------------------------------------------------------
    def submit(self, question: Any, k: Any, conv: Any) -> Iterator[tuple]:
        """Step 1 (retrieval group): validate, retrieve, show the sources; abstentions finish here."""
        conv = conv if isinstance(conv, Conversation) else Conversation()
        question = question if isinstance(question, str) else ""
        turn = conv.add(question)
        turn.note = "Searching the papers…"
        if not self.backend.opened:
            turn.note = "Opening the paper index (the first run builds it: about a minute)…"
        yield (*self._views(conv), "", conv)
        try:
            assistant = self.backend.get()
            k = _k(k, DEFAULT_K)
            events = assistant.stream(question, history=conv.history(), k=k)
            with self.backend.retrieval_lock:
                first = next(events)
            if not isinstance(first, Sources):
                raise TypeError(f"Assistant.stream yielded {type(first).__name__} first, expected Sources")
        except Exception as exc:  # noqa: BLE001
            _fail(turn, exc)
            yield (*self._views(conv), gr.skip(), conv)
            return
        if turn.state != "pending":  # stopped or cleared meanwhile
            events.close()
            return
        turn.sources, turn.abstaining, turn.searched = tuple(first.hits), first.abstaining, True
        turn.remark = k_beyond_collection(k, len(assistant.papers), len(first.hits))
        if first.abstaining:  # no LLM involved: finish here
            try:
                for event in events:
                    _apply(turn, event)
            except Exception as exc:  # noqa: BLE001
                _fail(turn, exc)
            finally:
                events.close()
        else:
            turn.events, turn.state = events, "waiting"
            turn.note = ("Queued: another answer is being written first…" if self.backend.busy()
                         else "Writing the answer…")
        yield (*self._views(conv), gr.skip(), conv)

    def answer(self, conv: Any) -> Iterator[tuple]:
        """Step 2 (llm group, one at a time): stream the oldest waiting turn's answer."""
        turn = None
        if isinstance(conv, Conversation):
            turn = next((t for t in conv.turns if t.state == "waiting" and t.events is not None), None)
        if turn is None:
            yield gr.skip(), gr.skip(), gr.skip()
            return
        events, turn.state = turn.events, "streaming"
        self.backend.enter()
        try:
            if not self.backend.model_ready:
                turn.note = "Loading the language model (first answer only, a few seconds)…"
                yield (*self._views(conv), conv)
                self.backend.load_model()  # a failure surfaces again from the stream below
            turn.note = "Writing the answer…"
            yield (*self._views(conv), conv)
            shown = 0.0
            for event in events:
                if turn.state != "streaming":
                    break
                _apply(turn, event)
                if isinstance(event, str) and time.monotonic() - shown >= STREAM_INTERVAL_S:
                    shown = time.monotonic()  # at most ~12 re-renders a second; the last one is below
                    yield self._views(conv)[0], gr.skip(), conv
            if turn.state == "streaming":  # the stream ended without its Answer
                raise RuntimeError("Assistant.stream ended without an Answer")
        except Exception as exc:  # noqa: BLE001
            if turn.state == "streaming":
                _fail(turn, exc)
        finally:
            self.backend.leave()
            turn.events = None
            _close(events)
            if turn.state == "streaming":  # closed from outside (Stop, New conversation, tab closed)
                turn.state = "stopped"
        yield (*self._views(conv), conv)

    def stop(self, conv: Any) -> tuple:
        conv = conv if isinstance(conv, Conversation) else Conversation()
        for turn in conv.turns:
            if turn.active:
                turn.state = "stopped"
                _close(turn.events)
                turn.events = None
        return (*self._views(conv), conv)

    def new_conversation(self, conv: Any) -> tuple:
        self.stop(conv)
        conv = Conversation()
        return (*self._views(conv), "", conv)

    def on_load(self, conv: Any) -> tuple:
        conv = conv if isinstance(conv, Conversation) else Conversation()
        return (*self.status(), self._views(conv)[0])

    def status(self) -> tuple:
        kind, text, settled = self.backend.status()
        return render_status(kind, text), gr.Timer(active=not settled)

    # ---- browse -------------------------------------------------------------------
    def browse(self, query: Any, k: Any) -> str:
        query = query if isinstance(query, str) else ""
        try:
            assistant = self.backend.get()
            k = _k(k, DEFAULT_K)
            with self.backend.retrieval_lock:
                hits = assistant.retrieve(query, k=k)
        except Exception as exc:  # noqa: BLE001
            if not isinstance(exc, RagAssistantError):
                log.exception("search failed")
            return render_search(query, [], {}, error=_message(exc))
        note = k_beyond_collection(k, len(assistant.papers), len(hits))
        return render_search(query, hits, assistant.papers, note=note)

    # ---- API for scripts (gradio_client) -------------------------------------------------
    def api_ask(self, question: str, k: int | None = None, history: list[list[str]] | None = None) -> dict:
        """Answer a question from the paper collection with verified citations.

        Args:
            question: the question, in words.
            k: how many papers to retrieve (a whole number of at least 1; left out: the default, 10).
            history: earlier turns as [[question, answer], ...] for follow-up questions.
        Returns:
            {"answer", "abstained", "mode", "citations": [{"number", "title", "paper_id", "evidence", "meta"}],
             "sources": [{"number", "title", "paper_id", "score", "similarity", "text", "meta"}], "timings"};
            "meta" holds the paper's authors, year, venue, doi, arxiv_id and url, as far as they are known.
        """
        try:
            assistant = self.backend.get()
            pairs = [(str(p[0]), str(p[1])) for p in (history or []) if isinstance(p, (list, tuple)) and len(p) == 2]
            k = _k(k, DEFAULT_K)
            events = assistant.stream(question, history=pairs, k=k)
            with self.backend.retrieval_lock:
                first = next(events)
            final = first if isinstance(first, Answer) else None
            self.backend.enter()
            try:
                for event in events:
                    if isinstance(event, Answer):
                        final = event
            finally:
                self.backend.leave()
                _close(events)
        except Exception as exc:  # noqa: BLE001
            if not isinstance(exc, RagAssistantError):
                log.exception("/ask failed")
            raise gr.Error(_message(exc), print_exception=False) from None
        if final is None:
            raise gr.Error(GENERIC_ERROR, print_exception=False)
        _warn(k_beyond_collection(k, len(assistant.papers), len(final.sources)))
        return answer_json(final)

    def api_search(self, query: str, k: int = DEFAULT_K) -> list[dict]:
        """Papers matching a query (titles and abstracts; no language model).

        Args:
            query: words to search for.
            k: how many papers (a whole number of at least 1; default 10). More than the collection
               holds returns what it found, with a warning.
        Returns:
            [{"rank", "title", "paper_id", "score", "similarity", "text", "meta"}, ...] best first;
            "meta" holds the paper's authors, year, venue, doi, arxiv_id and url, as far as they are known.
        """
        try:
            assistant = self.backend.get()
            k = _k(k, DEFAULT_K)
            with self.backend.retrieval_lock:
                hits = assistant.retrieve(query, k=k)
        except Exception as exc:  # noqa: BLE001
            if not isinstance(exc, RagAssistantError):
                log.exception("/search failed")
            raise gr.Error(_message(exc), print_exception=False) from None
        _warn(k_beyond_collection(k, len(assistant.papers), len(hits)))
        return [{"rank": h.rank, "title": h.title, "paper_id": h.paper_id, "score": round(h.score, 6),
                 "similarity": round(h.similarity, 4), "text": h.text, "meta": asdict(h.meta)} for h in hits]


# gr.api reads the return annotation unevaluated; resolve the (postponed) annotations for it.
for _endpoint in (ChatUI.api_ask, ChatUI.api_search):
    _endpoint.__signature__ = inspect.signature(_endpoint, eval_str=True)


def answer_json(answer: Answer) -> dict:
    """The JSON the ``/ask`` endpoint returns."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "citations": [{"number": c.number, "title": c.title, "paper_id": c.paper_id, "evidence": list(c.evidence),
                       "meta": asdict(c.meta)} for c in answer.citations],
        "sources": [{"number": i, "title": h.title, "paper_id": h.paper_id, "score": round(h.score, 6),
                     "similarity": round(h.similarity, 4), "text": h.text, "meta": asdict(h.meta)}
                    for i, h in enumerate(answer.sources, start=1)],
        "timings": {"retrieval_s": answer.timings.retrieval_s, "first_token_s": answer.timings.first_token_s,
                    "total_s": answer.timings.total_s},
    }


def _k(value: Any, default: int | None = None) -> Any:
    """k as a control or script sent it, for the Assistant to take or reject with its one message
    (k below 1 is an error everywhere, as in the CLI): a slider's 5.0 is 5, a blank is ``default``.

    >>> _k(5.0), _k("7"), _k(None, 10), _k(0), _k(2.5)
    (5, 7, 10, 0, 2.5)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    return value


def k_beyond_collection(k: Any, papers: int, found: int) -> str:
    """A short note when ``k`` asks for more papers than the collection holds ("" otherwise).

    >>> k_beyond_collection(50, 12, 12)
    'k = 50 is more than the 12 papers in this collection: showing all 12.'
    """
    if not isinstance(k, int) or not papers or k <= papers:
        return ""
    shown = f"all {found:,}" if found == papers else f"the {found:,} found"
    return f"k = {k:,} is more than the {papers:,} papers in this collection: showing {shown}."


def _warn(note: str) -> None:
    if note:
        gr.Warning(note)


def _apply(turn: Turn, event: Any) -> None:
    if isinstance(event, str):
        turn.text += event
    elif isinstance(event, Answer):
        turn.answer, turn.text = event, event.text
        turn.sources = tuple(event.sources) or turn.sources
        turn.abstaining = event.abstained
        turn.state = "abstained" if event.abstained else "done"
    elif isinstance(event, Sources):
        turn.sources, turn.abstaining, turn.searched = tuple(event.hits), event.abstaining, True


def _fail(turn: Turn, exc: BaseException) -> None:
    if not isinstance(exc, RagAssistantError):
        log.error("answering %r failed", turn.question[:200], exc_info=exc)
    turn.state, turn.error = "error", _message(exc)


def _close(events: Iterator | None) -> None:
    if events is None:
        return
    try:
        events.close()  # type: ignore[attr-defined]
    except (ValueError, AttributeError):  # running in another thread: Gradio closes it when cancelled
        pass
    except Exception:  # noqa: BLE001
        log.debug("closing a stream failed", exc_info=True)


class ResearchApp(gr.Blocks):
    """gr.Blocks whose ``launch`` defaults to this UI's theme, CSS and offline-friendly settings."""

    def launch(self, *args, **kwargs):  # noqa: D401
        kwargs.setdefault("theme", theme())
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("ssr_mode", False)
        kwargs.setdefault("footer_links", ["api"])
        kwargs.setdefault("run_history", False)
        kwargs.setdefault("enable_monitoring", False)
        kwargs.setdefault("mcp_server", False)
        kwargs.setdefault("pwa", False)
        kwargs.setdefault("show_error", False)
        return super().launch(*args, **kwargs)


def build_app(assistant: Any, *, preload_model: bool = False, examples=EXAMPLES, default_k: int = DEFAULT_K
              ) -> ResearchApp:
    """The Gradio app over ``assistant`` (an Assistant, or a Future that will hold one).

    ``preload_model`` loads the LLM in the background once the index is open, so the first answer
    does not wait for it. Launch it with ``.launch()`` (theme and CSS are applied by default).
    """
    apply_offline_env()
    backend = assistant if isinstance(assistant, Backend) else Backend(assistant, preload_model=preload_model)
    ui = ChatUI(backend)
    quiet = dict(show_progress="hidden", api_visibility="private")

    with ResearchApp(title="Paper assistant") as demo:
        conv = gr.State(Conversation())
        timer = gr.Timer(1.0)
        with gr.Row(elem_id="ra-topbar", equal_height=True):
            gr.HTML('<div class="ra-brand"><h1>Paper assistant</h1><p>Cited answers from a local collection of paper '
                    "abstracts · runs offline</p></div>", scale=3, min_width=280)
            status = gr.HTML(ui.status()[0], elem_id="ra-status", scale=2, min_width=280)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=11, min_width=420):
                        with gr.Row(elem_id="ra-chat-bar"):
                            gr.HTML('<span class="ra-chat-title">Conversation</span>')
                            new = gr.Button("New conversation", variant="secondary", size="sm", elem_id="ra-new")
                        chat = gr.HTML(render_conversation(None, len(backend.papers) or None), elem_id="ra-chat",
                                       js_on_load=CHAT_JS)
                        with gr.Row(elem_id="ra-composer"):
                            question = gr.Textbox(
                                show_label=False, container=False, lines=1, max_lines=6, scale=8,
                                placeholder="Ask about the papers…",
                                elem_id="ra-question", autofocus=True)
                            send = gr.Button("Ask", variant="primary", scale=1, min_width=72, elem_id="ra-send")
                            stop = gr.Button("Stop", variant="stop", scale=1, min_width=72, elem_id="ra-stop")
                        with gr.Row(elem_id="ra-examples"):
                            gr.HTML('<span class="ra-examples-label">Try:</span>')
                            example_buttons = [gr.Button(q, size="sm", variant="secondary", elem_classes="ra-example")
                                               for q in examples]
                        k = gr.Slider(3, 20, value=default_k, step=1, label="Sources per answer (k)",
                                      info="How many papers are retrieved and shown for each question",
                                      elem_id="ra-k")
                    with gr.Column(scale=9, min_width=340, elem_id="ra-sources-col"):
                        sources = gr.HTML(render_sources(None, {}), elem_id="ra-sources")
            with gr.Tab("Browse papers", id="browse"):
                with gr.Row(elem_id="ra-search-row"):
                    query = gr.Textbox(label="Search the collection (no language model)", scale=6,
                                       elem_id="ra-search-query",
                                       placeholder="Titles and abstracts, e.g. knowledge distillation")
                    search_k = gr.Dropdown([5, 10, 20, 50], value=10, label="Results", scale=1, min_width=110,
                                           elem_id="ra-search-k")
                    search_btn = gr.Button("Search", variant="primary", scale=1, elem_id="ra-search-btn")
                results = gr.HTML(render_search("", [], {}), elem_id="ra-search-results")

        # chat: step 1 (retrieval group) then step 2 (llm group, queued one at a time across tabs)
        answer_events, submit_events = [], []
        triggers = [([question.submit, send.click], question)] + [([b.click], b) for b in example_buttons]
        for trigger, source in triggers:
            # trigger_mode="multiple": a question sent while an earlier answer is still being cancelled
            # (the model finishes its current step first) must be queued, not dropped by the browser
            first = gr.on(trigger, ui.submit, inputs=[source, k, conv], outputs=[chat, sources, question, conv],
                          concurrency_limit=RETRIEVAL_CONCURRENCY, concurrency_id=RETRIEVAL_GROUP,
                          trigger_mode="multiple", **quiet)
            second = first.then(ui.answer, inputs=[conv], outputs=[chat, sources, conv],
                                concurrency_limit=1, concurrency_id=LLM_GROUP, trigger_mode="multiple", **quiet)
            second.then(ui.status, outputs=[status, timer], concurrency_limit=None, **quiet)
            submit_events.append(first)
            answer_events.append(second)
        running = submit_events + answer_events
        stop.click(ui.stop, inputs=[conv], outputs=[chat, sources, conv], cancels=running,
                   concurrency_limit=None, **quiet)
        new.click(ui.new_conversation, inputs=[conv], outputs=[chat, sources, question, conv], cancels=running,
                  concurrency_limit=None, **quiet)

        # browse (no LLM)
        gr.on([query.submit, search_btn.click], ui.browse, inputs=[query, search_k], outputs=[results],
              concurrency_limit=RETRIEVAL_CONCURRENCY, concurrency_id=RETRIEVAL_GROUP,
              show_progress="minimal", api_visibility="private")

        # status line while the index opens / the model loads
        timer.tick(ui.status, outputs=[status, timer], concurrency_limit=None, **quiet)
        demo.load(ui.on_load, inputs=[conv], outputs=[status, timer, chat], concurrency_limit=None, **quiet)

        # documented API for scripts
        gr.api(ui.api_ask, api_name="ask", concurrency_limit=1, concurrency_id=LLM_GROUP)
        gr.api(ui.api_search, api_name="search", concurrency_limit=RETRIEVAL_CONCURRENCY,
               concurrency_id=RETRIEVAL_GROUP)

    demo.queue(default_concurrency_limit=1, max_size=256)
    demo.backend = backend  # for callers and tests
    return demo


def serve(config: Config | None = None, host: str = "127.0.0.1", port: int = 7860, **launch_kwargs) -> None:
    """Start the server at once; open (or build) the index and load the model in the background."""
    apply_offline_env()
    from .assistant import Assistant

    config = config or Config.from_env()
    check_listen_address(host, port)
    future: Future = Future()

    def open_index() -> None:
        try:
            future.set_result(Assistant.from_config(config))
        except BaseException as exc:  # noqa: BLE001
            if not isinstance(exc, RagAssistantError):
                log.error("opening the index failed", exc_info=exc)
            future.set_exception(exc)

    threading.Thread(target=open_index, name="rag-ui-index", daemon=True).start()
    demo = build_app(future, preload_model=True)
    print(f"Paper assistant: http://{host}:{port}  (the index opens in the background; Ctrl+C stops)", flush=True)
    demo.launch(server_name=host, server_port=port, **launch_kwargs)


def check_listen_address(host: str, port: int) -> None:
    """Fail with one actionable line when the chat cannot listen on ``host:port``."""
    import socket

    if not 0 < int(port) < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, got {port}")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, int(port)))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is in use (another chat?): pick another with --port") from None
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): use --host 127.0.0.1, "
                          "an address of this machine") from None
