"""HTML for the chat UI: pure functions from conversation state to escaped HTML (the papers'
cards, the sources panel and the browse results: ``ui_sources.py``).

Everything user- or model-provided goes through :func:`esc` before it reaches the page;
the only markup is the one written here. Kept free of Gradio so it can be tested alone.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

from .types import Answer, Citation, Hit

QUESTION_PREVIEW_CHARS = 600

# Characters that are harmless in HTML but special in JS template strings / Handlebars,
# which gr.HTML uses for its templates: entity-encode them too.
_EXTRA = {ord("{"): "&#123;", ord("}"): "&#125;", ord("$"): "&#36;", ord("`"): "&#96;", ord("\\"): "&#92;"}
_CITE = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have how in into is it its of on or that the their "
    "them these this those to was were what when where which who why with about papers paper any some".split()
)


def esc(text: Any) -> str:
    """Escape text for HTML element content and double-quoted attributes."""
    return html.escape(str(text), quote=True).translate(_EXTRA)


# ---- state ------------------------------------------------------------------------------
@dataclass(eq=False)
class Turn:
    """One question and what is known of its answer so far."""

    id: int
    question: str
    state: str = "pending"  # pending -> waiting -> streaming -> done | abstained | error | stopped
    note: str = ""  # progress line shown while there is no text yet
    text: str = ""  # streamed text, replaced by Answer.text at the end
    sources: tuple[Hit, ...] = ()
    abstaining: bool = False
    searched: bool = False  # the Sources event arrived
    answer: Answer | None = None
    error: str = ""
    remark: str = ""  # about the request itself (k beyond the collection), shown above its sources
    events: Iterator | None = field(default=None, repr=False)  # the live Assistant.stream

    @property
    def active(self) -> bool:
        return self.state in ("pending", "waiting", "streaming")


@dataclass(eq=False)
class Conversation:
    """Per-browser-session chat state (lives in a gr.State)."""

    turns: list[Turn] = field(default_factory=list)
    next_id: int = 1
    collection: str = ""  # the collection it asks (blank: the chat's first one)

    def add(self, question: str) -> Turn:
        turn = Turn(self.next_id, question)
        self.next_id += 1
        self.turns.append(turn)
        return turn

    def history(self) -> list[tuple[str, str]]:
        """(question, final answer text) of answered turns, for follow-up questions."""
        return [(t.question, t.answer.text) for t in self.turns
                if t.answer is not None and not t.answer.abstained and t.state == "done"]


# ---- small pieces -----------------------------------------------------------------------
def highlight(text: str, spans: Iterable[tuple[int, int]], cls: str = "") -> str:
    """Escape ``text`` wrapping the (start, end) spans in <mark>."""
    out, pos = [], 0
    attr = f' class="{cls}"' if cls else ""
    for start, end in sorted(spans):
        if start < pos:
            start = pos
        if end <= start:
            continue
        out.append(esc(text[pos:start]))
        out.append(f"<mark{attr}>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def sentence_spans(text: str, sentences: Iterable[str]) -> list[tuple[int, int]]:
    """Where each evidence sentence occurs in ``text`` (whitespace-insensitive)."""
    spans = []
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        pattern = r"\s+".join(re.escape(w) for w in words)
        match = re.search(pattern, text)
        if match:
            spans.append(match.span())
    return spans


def keyword_spans(text: str, query: str) -> list[tuple[int, int]]:
    words = {w.lower() for w in re.findall(r"[\w-]{3,}", query)} - _STOPWORDS
    if not words:
        return []
    pattern = r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\w*"
    return [m.span() for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters.

    >>> clip("A sentence that is too long to show", 20)
    'A sentence that is …'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit * 0.6 else limit].rstrip(" ,;:") + " …"


def source_anchor(turn_id: int, number: int) -> str:
    return f"src-{turn_id}-{number}"


def _cite_link(turn_id: int, number: int, sources: Sequence[Hit]) -> str:
    target = source_anchor(turn_id, number)
    title = esc(f"Source {number}: {sources[number - 1].title}")
    return f'<a class="ra-cite" href="#{target}" data-target="{target}" title="{title}">{number}</a>'


def inline(text: str, turn_id: int, sources: Sequence[Hit]) -> str:
    """Escape one line of answer text, turning [n] / [n, m] markers into links to the sources."""
    out, pos = [], 0
    for match in _CITE.finditer(text):
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        if not all(1 <= n <= len(sources) for n in numbers):
            continue
        out.append(esc(text[pos:match.start()]))
        links = "".join(_cite_link(turn_id, n, sources) for n in numbers)
        out.append(f'<span class="ra-cites">{links}</span>')
        pos = match.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def answer_body(text: str, turn_id: int, sources: Sequence[Hit]) -> str:
    """Paragraphs and '- ' bullet lists of an answer, escaped, with citation links."""
    blocks, items = [], []

    def flush_items():
        if items:
            blocks.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.strip().split("\n"):
        stripped = line.strip()
        if not stripped:
            flush_items()
            continue
        if stripped[:2] in ("- ", "* ", "• "):
            items.append(inline(stripped[2:], turn_id, sources))
        else:
            flush_items()
            blocks.append(f"<p>{inline(stripped, turn_id, sources)}</p>")
    flush_items()
    return "".join(blocks)


def _user_bubble(question: str) -> str:
    if not question.strip():
        body = '<span class="ra-muted">(empty message)</span>'
    elif len(question) > QUESTION_PREVIEW_CHARS:
        body = (esc(question[:QUESTION_PREVIEW_CHARS]) + " …"
                f'<span class="ra-muted"> (+{len(question) - QUESTION_PREVIEW_CHARS:,} more characters)</span>')
    else:
        body = esc(question)
    return f'<div class="ra-msg ra-user"><div class="ra-bubble">{body}</div></div>'


def working(note: str) -> str:
    return f'<div class="ra-working"><span class="ra-spinner" aria-hidden="true"></span>{esc(note)}</div>'


def _mode_label(answer: Answer) -> str:
    return {
        "generated": "first sentence by the local model, checked against the cited abstract; quotes verbatim",
        "extractive": "quoted from the abstracts",
        "list": "papers listed by relevance",
        "paper": "the best-matching paper, in its own words",
        "fallback": "the model's draft could not be verified, so these are the evidence sentences themselves",
    }.get(answer.mode, answer.mode)


def _references(turn: Turn, citations: Sequence[Citation]) -> str:
    items = "".join(
        f'<li>{_cite_link(turn.id, c.number, turn.sources)}<span class="ra-ref-title">{esc(c.title)}</span></li>'
        for c in sorted(citations, key=lambda c: c.number) if 1 <= c.number <= len(turn.sources)
    )
    return f'<ol class="ra-refs">{items}</ol>' if items else ""


def _bot_bubble(turn: Turn) -> str:
    tid = turn.id
    if turn.state == "error":
        return ('<div class="ra-msg ra-bot"><div class="ra-bubble ra-notice ra-error" role="alert">'
                f'<div class="ra-notice-head">Can’t answer that</div><p>{esc(turn.error)}</p></div></div>')
    if turn.state == "abstained" or (turn.abstaining and turn.state != "stopped"):
        text = turn.answer.text if turn.answer else turn.text
        return ('<div class="ra-msg ra-bot"><div class="ra-bubble ra-notice ra-abstain" role="status">'
                '<div class="ra-notice-head">Not covered by this collection</div>'
                f"{answer_body(text, tid, turn.sources)}"
                '<p class="ra-hint">No abstract supports an answer, so none is given. The nearest papers are listed '
                'under “Nearest papers”, marked <b>not evidence</b>. Try rephrasing, or look titles up under '
                '“Browse papers”.</p>'
                "</div></div>")
    parts = []
    if turn.state == "done" and turn.answer is not None:
        answer = turn.answer
        parts.append(answer_body(answer.text, tid, turn.sources))
        parts.append(_references(turn, answer.citations))
        took = answer.timings.total_s
        cited = len(answer.citations)
        meta = f"{cited} cited paper{'s' if cited != 1 else ''} · {_mode_label(answer)}"
        if took:
            meta += f" · {took:.1f} s"
        parts.append(f'<div class="ra-meta">{esc(meta)}</div>')
    else:
        if turn.text:
            parts.append(answer_body(turn.text, tid, turn.sources))
        if turn.state == "stopped":
            parts.append('<div class="ra-stopped">Stopped. Nothing above was verified.</div>'
                         if turn.text else '<div class="ra-stopped">Stopped before an answer was written.</div>')
        elif not turn.text:
            parts.append(working(turn.note or "Working…"))
        else:
            parts.append('<span class="ra-caret" aria-hidden="true"></span>')
    cls = "ra-bubble ra-streaming" if turn.active else "ra-bubble"
    return f'<div class="ra-msg ra-bot"><div class="{cls}">{"".join(parts)}</div></div>'


def render_conversation(conversation: Conversation | None, papers: int | None = None) -> str:
    turns = conversation.turns if conversation else []
    if not turns:
        count = f"{papers:,} paper abstract{'' if papers == 1 else 's'}" if papers else "the paper abstracts"
        body = (
            '<div class="ra-welcome">'
            f"<h3>Ask about {esc(count)}</h3>"
            "<p>Answers are built only from the collection. Each claim carries a numbered citation "
            '<span class="ra-cites"><span class="ra-cite ra-demo">1</span></span> that points to its source under '
            "Sources, with the supporting sentence highlighted. When nothing in the collection answers the question, "
            "the assistant says so instead of guessing.</p>"
            "<p>Follow-up questions (“what dataset did it use?”) refer to the conversation.</p>"
            "</div>"
        )
    else:
        body = "".join(_user_bubble(t.question) + _bot_bubble(t) for t in turns)
    return f'<div class="ra-log" role="log" aria-live="polite" aria-label="Conversation">{body}</div>'


def render_status(kind: str, text: str) -> str:
    """One line (the full text is also its tooltip, for when a narrow screen cuts it short).

    kind: loading | ready | error."""
    icon = ('<span class="ra-spinner" aria-hidden="true"></span>' if kind == "loading"
            else '<span class="ra-dot" aria-hidden="true"></span>')
    return (f'<div class="ra-status ra-{esc(kind)}" role="status" title="{esc(text)}">{icon}'
            f'<span class="ra-status-text">{esc(text)}</span></div>')
