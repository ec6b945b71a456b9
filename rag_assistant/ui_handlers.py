"""The chat UI's event handlers (``ChatUI``) and the ``/ask`` and ``/search`` endpoints for scripts:
each takes what the page sent, calls the Assistant and returns rendered HTML (``ui_render``) and the
session's ``Conversation``. The page layout and its wiring are in ``ui.py``."""
from __future__ import annotations

import inspect
import logging
import time
from dataclasses import asdict
from typing import Any, Iterator

import gradio as gr

from .errors import RagAssistantError
from .filters import Filters
from .types import Answer, Sources
from .ui_backend import GENERIC_ERROR, Backend, user_message
from .ui_render import Conversation, Turn, render_conversation, render_status
from .ui_sources import render_search, render_sources

log = logging.getLogger("rag_assistant.ui")

DEFAULT_K = 10  # sources per answer in the UI (the slider's start value; Assistant.stream's own default)
STREAM_INTERVAL_S = 0.08


class ChatUI:
    """Event handlers; every handler returns rendered HTML and the session's Conversation."""

    def __init__(self, backend: Backend):
        self.backend = backend

    # ---- rendering ----------------------------------------------------------------
    def _views(self, conv: Conversation) -> tuple[str, str]:
        try:
            count = len(self.backend.papers_of(conv.collection))
        except Exception:  # noqa: BLE001 - the collection could not be opened: its error is shown elsewhere
            count = 0
        return render_conversation(conv, count or None), render_sources(conv, self.backend.all_papers())

    # ---- chat ---------------------------------------------------------------------
    def submit(self, question: Any, k: Any, conv: Any, year: Any = "", author: Any = "", category: Any = "",
               keyword: Any = "") -> Iterator[tuple]:
        """Step 1 (retrieval group): validate, retrieve, show the sources; abstentions finish here.
        ``year`` .. ``keyword``: the filter fields (blank: none), as ``Filters.of`` reads them."""
        conv = conv if isinstance(conv, Conversation) else Conversation()
        question = question if isinstance(question, str) else ""
        turn = conv.add(question)
        turn.note = "Searching the papers…"
        if not self.backend.opened:
            turn.note = "Opening the paper index (the first run builds it: about a minute)…"
        yield (*self._views(conv), "", conv)
        try:
            assistant = self.backend.assistant(conv.collection)
            k = _k(k, DEFAULT_K)
            filters = _filters(year, author, category, keyword)
            events = assistant.stream(question, history=conv.history(), k=k, filters=filters)
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
        turn.remark = request_note(filters, k, len(assistant.papers), len(first.hits))
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
        conv = Conversation(collection=conv.collection if isinstance(conv, Conversation) else "")
        return (*self._views(conv), "", conv)

    # ---- collections ----------------------------------------------------------------
    def collection_choices(self) -> Any:
        """The picker's choices, read again each time it opens (a collection ingested meanwhile shows up)."""
        try:
            return gr.Dropdown(choices=self.backend.collection_names())
        except Exception as exc:  # noqa: BLE001
            if not isinstance(exc, RagAssistantError):
                log.exception("listing the collections failed")
            return gr.skip()

    def choose_collection(self, name: Any, conv: Any) -> tuple:
        """Ask another collection from now on: a new conversation over it (earlier answers cited the
        other one's papers, so a follow-up could not refer to them)."""
        conv = conv if isinstance(conv, Conversation) else Conversation()
        name = name if isinstance(name, str) else ""
        try:
            self.backend.assistant(name)
        except Exception as exc:  # noqa: BLE001
            if not isinstance(exc, RagAssistantError):
                log.exception("opening the collection %r failed", name)
            gr.Warning(user_message(exc))
            return (*self._views(conv), gr.skip(), conv)
        self.stop(conv)
        conv = Conversation(collection=name)
        return (*self._views(conv), "", conv)

    def on_load(self, conv: Any) -> tuple:
        conv = conv if isinstance(conv, Conversation) else Conversation()
        return (*self.status(), self._views(conv)[0])

    def status(self) -> tuple:
        kind, text, settled = self.backend.status()
        return render_status(kind, text), gr.Timer(active=not settled)

    # ---- browse -------------------------------------------------------------------
    def browse(self, query: Any, k: Any, year: Any = "", author: Any = "", category: Any = "", keyword: Any = "",
               conv: Any = None) -> str:
        query = query if isinstance(query, str) else ""
        collection = conv.collection if isinstance(conv, Conversation) else ""
        try:
            filters = _filters(year, author, category, keyword)
            hits, papers, note = self._retrieve(query, k, "search", filters, collection)
        except Exception as exc:  # noqa: BLE001
            return render_search(query, [], {}, error=user_message(exc))
        return render_search(query, hits, papers, note=note)

    def _retrieve(self, query: Any, k: Any, what: str, filters=None, collection: str = "") -> tuple[list, dict, str]:
        """The hits for ``query`` within ``filters``, the collection's papers and a note (what the filters
        kept, ``k`` beyond the collection); an unexpected failure is logged as ``what`` failing."""
        try:
            assistant = self.backend.assistant(collection)
            k = _k(k, DEFAULT_K)
            with self.backend.retrieval_lock:
                hits = assistant.retrieve(query, k=k, filters=filters)
        except Exception as exc:
            if not isinstance(exc, RagAssistantError):
                log.exception("%s failed", what)
            raise
        return hits, assistant.papers, request_note(filters, k, len(assistant.papers), len(hits))

    # ---- API for scripts (gradio_client) -------------------------------------------------
    def api_ask(self, question: str, k: int | None = None, history: list[list[str]] | None = None,
                filters: dict | None = None, collection: str | None = None) -> dict:
        """Answer a question from the paper collection with verified citations.

        Args:
            question: the question, in words.
            k: how many papers to retrieve (a whole number of at least 1; left out: the default, 10).
            history: earlier turns as [[question, answer], ...] for follow-up questions.
            filters: only papers that pass them, e.g. {"year": "2021-2023", "author": "Smith",
                "category": "cs.CV", "keyword": "pruning"}; when none does, the answer says so.
            collection: which collection to ask (left out: the chat's own).
        Returns:
            {"answer", "abstained", "mode", "citations": [{"number", "title", "paper_id", "evidence", "meta"}],
             "sources": [{"number", "title", "paper_id", "score", "similarity", "text", "meta"}], "timings"};
            "meta" holds the paper's authors, year, venue, doi, arxiv_id and url, as far as they are known.
        """
        try:
            assistant = self.backend.assistant(collection or "")
            pairs = [(str(p[0]), str(p[1])) for p in (history or []) if isinstance(p, (list, tuple)) and len(p) == 2]
            k = _k(k, DEFAULT_K)
            events = assistant.stream(question, history=pairs, k=k, filters=Filters.coerce(filters))
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
            raise gr.Error(user_message(exc), print_exception=False) from None
        if final is None:
            raise gr.Error(GENERIC_ERROR, print_exception=False)
        _warn(k_beyond_collection(k, len(assistant.papers), len(final.sources)))
        return answer_json(final)

    def api_search(self, query: str, k: int = DEFAULT_K, filters: dict | None = None,
                   collection: str | None = None) -> list[dict]:
        """Papers matching a query (titles and abstracts; no language model).

        Args:
            query: words to search for.
            k: how many papers (a whole number of at least 1; default 10). More than the collection
               holds returns what it found, with a warning.
            filters: only papers that pass them, as for /ask; none passing is an error that says so.
            collection: which collection to search (left out: the chat's own).
        Returns:
            [{"rank", "title", "paper_id", "score", "similarity", "text", "meta"}, ...] best first;
            "meta" holds the paper's authors, year, venue, doi, arxiv_id and url, as far as they are known.
        """
        try:
            hits, _, note = self._retrieve(query, k, "/search", Filters.coerce(filters), collection or "")
        except Exception as exc:  # noqa: BLE001
            raise gr.Error(user_message(exc), print_exception=False) from None
        _warn(note)
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


def _filters(year: Any, author: Any, category: Any, keyword: Any) -> Filters:
    """The filter fields as the page sent them (text, blank for none; a script may send lists)."""
    def text(value: Any) -> Any:
        return value.strip() or None if isinstance(value, str) else value

    return Filters.of(year=text(year), author=text(author), category=text(category), keyword=text(keyword))


def request_note(filters: Filters | None, k: Any, papers: int, found: int) -> str:
    """What to say about the request above its results: what the filters kept, and k beyond the
    collection ("" when neither applies)."""
    return " ".join(filter(None, [filtered_note(filters), k_beyond_collection(k, papers, found)]))


def filtered_note(filters: Filters | None) -> str:
    """What the filters kept, said above the sources ("" without filters).

    >>> filtered_note(Filters.of(year="2021-", author="Smith"))
    'Searched only papers with year 2021 or later, author Smith.'
    """
    return f"Searched only papers with {filters.describe()}." if filters else ""


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
    held = f"{papers:,} paper{'' if papers == 1 else 's'}"
    return f"k = {k:,} is more than the {held} in this collection: showing {shown}."


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
    turn.state, turn.error = "error", user_message(exc)


def _close(events: Iterator | None) -> None:
    if events is None:
        return
    try:
        events.close()  # type: ignore[attr-defined]
    except (ValueError, AttributeError):  # running in another thread: Gradio closes it when cancelled
        pass
    except Exception:  # noqa: BLE001
        log.debug("closing a stream failed", exc_info=True)
