"""The chat web UI (Gradio): a thin view over ``Assistant.stream`` and ``Assistant.retrieve``.

    rag-assistant chat                      # http://127.0.0.1:7860
    build_app(assistant).launch()           # embed / test

Layout: a conversation with streamed answers whose [n] markers link to a sources panel that fills
as soon as the papers are retrieved (before any text), a "Browse papers" search tab (no LLM), example
questions, filters (year, author, category or venue, keyword) and a k setting by the question, a
collection picker, Stop and New conversation. Scripts use the ``/ask`` and ``/search`` endpoints
(see ``api_ask`` / ``api_search``).

The page's event handlers are ``ui_handlers.ChatUI``; its hold on the Assistant (the index opening
in the background, the model loading) is ``ui_backend.Backend``.

Concurrency: validation and retrieval run in their own group (``retrieval``, 2 at a time) so search
stays responsive; everything that may run the LLM shares the ``llm`` group (1 at a time), so
several browser tabs are queued and each gets its answer. Nothing user- or model-provided is
rendered as live HTML: ui_render escapes it all.
"""
from __future__ import annotations

import errno
import logging
import threading
from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

import gradio as gr

from .config import Config, apply_offline_env
from .errors import ConfigError, RagAssistantError
from .ui_backend import Backend
from .ui_handlers import DEFAULT_K, ChatUI
from .ui_render import Conversation, render_conversation
from .ui_sources import render_search, render_sources
from .ui_style import CHAT_JS, CSS, theme

log = logging.getLogger(__name__)

EXAMPLES = (
    "How does R2-Tuning adapt CLIP for video temporal grounding?",
    "What top-1 accuracy does Big Transfer (BiT) reach on ILSVRC-2012?",
    "Which methods make transfer learning parameter-efficient?",
    "How much faster are the distilled crowd counting models?",
    "What does Deep Residual Learning propose to ease the training of deep networks?",
)
LLM_GROUP, RETRIEVAL_GROUP = "llm", "retrieval"
RETRIEVAL_CONCURRENCY = 2


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
    with ResearchApp(title="Paper assistant") as demo:
        page = _Page(conv=gr.State(Conversation()), timer=gr.Timer(1.0))
        with gr.Row(elem_id="ra-topbar", equal_height=True):
            gr.HTML('<div class="ra-brand"><h1>Paper assistant</h1><p>Cited answers from a local collection of paper '
                    "abstracts · runs offline</p></div>", scale=3, min_width=280)
            page.status = gr.HTML(ui.status()[0], elem_id="ra-status", scale=2, min_width=280)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                _ask_tab(page, len(backend.papers) or None, examples, default_k, backend.collection)
            with gr.Tab("Browse papers", id="browse"):
                _browse_tab(page)
        _wire(demo, ui, page)
    demo.queue(default_concurrency_limit=1, max_size=256)
    demo.backend = backend  # for callers and tests
    return demo


class _Page(SimpleNamespace):
    """The page's components that events read or write: ``conv`` and ``timer`` from the start,
    ``examples`` (a list) and those in ``COMPONENTS`` (None until their tab creates them)."""

    COMPONENTS = ("status", "chat", "new", "collection", "question", "send", "stop", "k", "filters", "sources",
                  "query", "search_k", "search", "search_filters", "results")

    def __init__(self, conv: Any, timer: Any):
        super().__init__(conv=conv, timer=timer, examples=[], **dict.fromkeys(self.COMPONENTS))


def _filter_controls(prefix: str) -> list:
    """Year, author, category/venue and keyword fields, folded away until wanted (blank: no filter)."""
    with gr.Accordion("Filters", open=False, elem_id=f"{prefix}-filters", elem_classes="ra-filters"):
        with gr.Row(equal_height=True):
            fields = [
                gr.Textbox(label="Year", placeholder="2021-2023, 2020-, -2018", scale=1, min_width=120,
                           elem_id=f"{prefix}-year"),
                gr.Textbox(label="Author", placeholder="Smith", scale=1, min_width=120, elem_id=f"{prefix}-author"),
                gr.Textbox(label="Category or venue", placeholder="cs.CV, NeurIPS", scale=1, min_width=120,
                           elem_id=f"{prefix}-category"),
                gr.Textbox(label="Keyword", placeholder="a word or phrase", scale=1, min_width=120,
                           elem_id=f"{prefix}-keyword"),
            ]
    return fields


def _ask_tab(page: _Page, papers: int | None, examples, default_k: int, collection: str) -> None:
    """The conversation, the composer, filters, example questions and k beside the sources panel."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=11, min_width=420):
            with gr.Row(elem_id="ra-chat-bar"):
                gr.HTML('<span class="ra-chat-title">Conversation</span>')
                page.collection = gr.Dropdown([collection] if collection else [], value=collection or None,
                                              label="Collection", show_label=False, container=False,
                                              interactive=True, min_width=140, elem_id="ra-collection")
                page.new = gr.Button("New conversation", variant="secondary", size="sm", elem_id="ra-new")
            page.chat = gr.HTML(render_conversation(None, papers), elem_id="ra-chat", js_on_load=CHAT_JS)
            with gr.Row(elem_id="ra-composer"):
                page.question = gr.Textbox(
                    show_label=False, container=False, lines=1, max_lines=6, scale=8,
                    placeholder="Ask about the papers…",
                    elem_id="ra-question", autofocus=True)
                page.send = gr.Button("Ask", variant="primary", scale=1, min_width=72, elem_id="ra-send")
                page.stop = gr.Button("Stop", variant="stop", scale=1, min_width=72, elem_id="ra-stop")
            page.filters = _filter_controls("ra")
            with gr.Row(elem_id="ra-examples"):
                gr.HTML('<span class="ra-examples-label">Try:</span>')
                page.examples = [gr.Button(q, size="sm", variant="secondary", elem_classes="ra-example")
                                 for q in examples]
            page.k = gr.Slider(3, 20, value=default_k, step=1, label="Sources per answer (k)",
                               info="How many papers are retrieved and shown for each question", elem_id="ra-k")
        with gr.Column(scale=9, min_width=340, elem_id="ra-sources-col"):
            page.sources = gr.HTML(render_sources(None, {}), elem_id="ra-sources")


def _browse_tab(page: _Page) -> None:
    """A search over the collection with no language model."""
    with gr.Row(elem_id="ra-search-row"):
        page.query = gr.Textbox(label="Search the collection (no language model)", scale=6,
                                elem_id="ra-search-query",
                                placeholder="Titles and abstracts, e.g. knowledge distillation")
        page.search_k = gr.Dropdown([5, 10, 20, 50], value=10, label="Results", scale=1, min_width=110,
                                    elem_id="ra-search-k")
        page.search = gr.Button("Search", variant="primary", scale=1, elem_id="ra-search-btn")
    page.search_filters = _filter_controls("ra-search")
    page.results = gr.HTML(render_search("", [], {}), elem_id="ra-search-results")


def _wire(demo: ResearchApp, ui: ChatUI, page: _Page) -> None:
    """The page's events, their concurrency groups, and the API for scripts."""
    quiet = dict(show_progress="hidden", api_visibility="private")
    conv, chat, sources, question, status, timer = page.conv, page.chat, page.sources, page.question, page.status, \
        page.timer
    # chat: step 1 (retrieval group) then step 2 (llm group, queued one at a time across tabs)
    answer_events, submit_events = [], []
    triggers = [([question.submit, page.send.click], question)] + [([b.click], b) for b in page.examples]
    for trigger, source in triggers:
        # trigger_mode="multiple": a question sent while an earlier answer is still being cancelled
        # (the model finishes its current step first) must be queued, not dropped by the browser
        first = gr.on(trigger, ui.submit, inputs=[source, page.k, conv, *page.filters],
                      outputs=[chat, sources, question, conv],
                      concurrency_limit=RETRIEVAL_CONCURRENCY, concurrency_id=RETRIEVAL_GROUP,
                      trigger_mode="multiple", **quiet)
        second = first.then(ui.answer, inputs=[conv], outputs=[chat, sources, conv],
                            concurrency_limit=1, concurrency_id=LLM_GROUP, trigger_mode="multiple", **quiet)
        second.then(ui.status, outputs=[status, timer], concurrency_limit=None, **quiet)
        submit_events.append(first)
        answer_events.append(second)
    running = submit_events + answer_events
    page.stop.click(ui.stop, inputs=[conv], outputs=[chat, sources, conv], cancels=running,
                    concurrency_limit=None, **quiet)
    page.new.click(ui.new_conversation, inputs=[conv], outputs=[chat, sources, question, conv], cancels=running,
                   concurrency_limit=None, **quiet)
    page.collection.focus(ui.collection_choices, outputs=[page.collection], concurrency_limit=None, **quiet)
    page.collection.input(ui.choose_collection, inputs=[page.collection, conv], outputs=[chat, sources, question, conv],
                          cancels=running, concurrency_limit=RETRIEVAL_CONCURRENCY, concurrency_id=RETRIEVAL_GROUP,
                          **quiet)

    # browse (no LLM)
    gr.on([page.query.submit, page.search.click], ui.browse,
          inputs=[page.query, page.search_k, *page.search_filters, conv],
          outputs=[page.results], concurrency_limit=RETRIEVAL_CONCURRENCY, concurrency_id=RETRIEVAL_GROUP,
          show_progress="minimal", api_visibility="private")

    # status line while the index opens / the model loads
    timer.tick(ui.status, outputs=[status, timer], concurrency_limit=None, **quiet)
    demo.load(ui.on_load, inputs=[conv], outputs=[status, timer, chat], concurrency_limit=None, **quiet)

    # documented API for scripts
    gr.api(ui.api_ask, api_name="ask", concurrency_limit=1, concurrency_id=LLM_GROUP)
    gr.api(ui.api_search, api_name="search", concurrency_limit=RETRIEVAL_CONCURRENCY,
           concurrency_id=RETRIEVAL_GROUP)


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
    demo = build_app(Backend(future, preload_model=True, collection=config.collection))
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
