"""HTML for the chat UI: pure functions from conversation state to escaped HTML.

Everything user- or model-provided goes through :func:`esc` before it reaches the page;
the only markup is the one written here. Kept free of Gradio so it can be tested alone.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence
from urllib.parse import quote

from .types import Answer, Citation, Hit, Paper, PaperMeta

QUESTION_PREVIEW_CHARS = 600
SNIPPET_CHARS = 360
AUTHORS_SHOWN = 3
LINK_CHARS = 48
VENUE_CHARS = 80

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


def _working(note: str) -> str:
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
            parts.append(_working(turn.note or "Working…"))
        else:
            parts.append('<span class="ra-caret" aria-hidden="true"></span>')
    cls = "ra-bubble ra-streaming" if turn.active else "ra-bubble"
    return f'<div class="ra-msg ra-bot"><div class="{cls}">{"".join(parts)}</div></div>'


def render_conversation(conversation: Conversation | None, papers: int | None = None) -> str:
    turns = conversation.turns if conversation else []
    if not turns:
        count = f"{papers:,} paper abstracts" if papers else "the paper abstracts"
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


# ---- sources ----------------------------------------------------------------------------
def _sim_bar(similarity: float) -> str:
    pct = max(0, min(100, round(similarity * 100)))
    return ('<span class="ra-sim" title="semantic similarity to the question: its best sentence and the paper as a '
            'whole (cosine scale)">'
            f'<span class="ra-bar"><i style="width:{pct}%"></i></span>similarity {similarity:.2f}</span>')


def paper_link(meta: PaperMeta) -> str:
    """Where to read a paper: its web URL, else its DOI's page, else its arXiv page ("" when unknown).

    >>> paper_link(PaperMeta(doi="10.1234/moe.2021", arxiv_id="2101.00001"))
    'https://doi.org/10.1234/moe.2021'
    >>> paper_link(PaperMeta(url="javascript:alert(1)", arxiv_id="2101.00001"))
    'https://arxiv.org/abs/2101.00001'
    """
    if re.match(r"https?://[^\s]+$", meta.url, flags=re.IGNORECASE):
        return meta.url
    if meta.doi:
        return "https://doi.org/" + quote(meta.doi, safe="/:;()._-")
    if meta.arxiv_id:
        return "https://arxiv.org/abs/" + quote(meta.arxiv_id, safe="/._-")
    return ""


def _byline(paper: Paper | None, hit: Hit) -> str:
    """Authors (the first three, then "et al."), year, venue and a link, as far as they are known."""
    meta = paper.meta if paper is not None else hit.meta
    venue = meta.venue or (", ".join(paper.categories[:2]) if paper is not None else "")
    names = ", ".join(meta.authors[:AUTHORS_SHOWN]) + (" et al." if len(meta.authors) > AUTHORS_SHOWN else "")
    parts = [f'<span class="ra-authors">{esc(names)}</span>' if names else "",
             f'<span class="ra-year">{esc(meta.year)}</span>' if meta.year else "",
             f'<span class="ra-venue">{esc(clip(venue, VENUE_CHARS))}</span>' if venue else ""]
    link = paper_link(meta)
    if link:
        shown = re.sub(r"^https?://(www\.)?", "", link, flags=re.IGNORECASE)
        shown = shown if len(shown) <= LINK_CHARS else shown[:LINK_CHARS - 1] + "…"
        parts.append(f'<a class="ra-link" href="{esc(link)}" title="{esc(link)}" target="_blank" '
                     f'rel="noopener noreferrer">{esc(shown)}</a>')
    parts = [part for part in parts if part]
    return f'<div class="ra-byline">{"".join(parts)}</div>' if parts else ""


def _card_head(number: int, hit: Hit, paper: Paper | None) -> str:
    return (f'<header><span class="ra-num">{number}</span><span class="ra-title">{esc(hit.title)}</span></header>'
            f"{_byline(paper, hit)}")


def _abstract_details(abstract: str, spans: list[tuple[int, int]]) -> str:
    if not abstract:
        return ""
    return (f'<details class="ra-abstract"><summary>Abstract</summary>'
            f"<p>{highlight(abstract, spans)}</p></details>")


def source_card(turn_id: int, hit: Hit, number: int, papers: Mapping[str, Paper], *,
                citation: Citation | None = None, kind: str = "retrieved") -> str:
    """One ranked paper. ``kind``: cited | retrieved | nearest (abstention) | result (browse)."""
    paper = papers.get(hit.paper_id)
    abstract = paper.abstract if paper else ""
    badge = {
        "cited": '<span class="ra-badge ra-cited">cited</span>',
        "nearest": '<span class="ra-badge ra-not-evidence">not evidence</span>',
        "retrieved": '<span class="ra-badge">retrieved · not cited</span>',
        "pending": '<span class="ra-badge">retrieved</span>',
        "result": "",
    }[kind]
    if citation is not None and citation.evidence:
        quotes = "".join(f"<p><mark>{esc(s)}</mark></p>" for s in citation.evidence)
        evidence = f'<blockquote class="ra-evidence">{quotes}</blockquote>'
        spans = sentence_spans(abstract, citation.evidence)
    else:
        evidence = f'<blockquote class="ra-passage"><p>{esc(clip(hit.text, SNIPPET_CHARS))}</p></blockquote>'
        spans = []
    anchor = f' id="{source_anchor(turn_id, number)}"' if turn_id >= 0 else ""
    return (
        f'<article class="ra-src ra-{kind}"{anchor}>{_card_head(number, hit, paper)}'
        f'<div class="ra-src-meta">{badge}{_sim_bar(hit.similarity)}'
        f'<span class="ra-score" title="fused keyword + semantic rank score">score {hit.score:.4f}</span></div>'
        f"{evidence}{_abstract_details(abstract, spans)}</article>"
    )


def _turn_sources(turn: Turn, papers: Mapping[str, Paper]) -> str:
    cited = {c.number: c for c in turn.answer.citations} if turn.answer else {}
    cards = []
    for number, hit in enumerate(turn.sources, start=1):
        if turn.abstaining:
            kind = "nearest"
        elif turn.answer is None:
            kind = "pending"
        else:
            kind = "cited" if number in cited else "retrieved"
        cards.append(source_card(turn.id, hit, number, papers, citation=cited.get(number), kind=kind))
    if turn.abstaining:
        banner = ('<div class="ra-banner ra-not-evidence">No paper in the collection answers this. '
                  "These are the nearest papers, shown for orientation only: <b>not evidence</b>.</div>")
    elif turn.answer is not None and cited:
        banner = (f'<div class="ra-banner">{len(cited)} of {len(turn.sources)} retrieved papers are cited; '
                  "the highlighted sentences support the answer.</div>")
    elif turn.answer is None and turn.state in ("pending", "waiting", "streaming"):
        banner = '<div class="ra-banner">Ranked by relevance. Citations are marked when the answer is complete.</div>'
    else:
        banner = ""
    if turn.remark:
        banner = f'<div class="ra-banner ra-note" role="status">{esc(turn.remark)}</div>' + banner
    if not cards:
        cards.append('<p class="ra-muted">No papers retrieved.</p>')
    return banner + "".join(cards)


def render_sources(conversation: Conversation | None, papers: Mapping[str, Paper]) -> str:
    turns = conversation.turns if conversation else []
    shown = [t for t in turns if t.searched]
    last = turns[-1] if turns else None
    parts = ['<div class="ra-sources-panel" aria-label="Sources">']
    if last is not None and last.active and not last.searched:
        parts.append('<h3 class="ra-panel-head">Sources</h3>' + _working("Searching the papers…"))
    if not shown:
        if last is None or not last.active:
            parts.append('<h3 class="ra-panel-head">Sources</h3><p class="ra-muted">The papers behind each answer '
                         "appear here as soon as they are retrieved, before the answer is written.</p>")
    for i, turn in enumerate(reversed(shown)):
        question = esc(clip(turn.question, 140))
        heading = "Nearest papers" if turn.abstaining else "Sources"
        if i == 0 and not (last is not None and last.active and not last.searched):
            parts.append(f'<section class="ra-turn-sources ra-current"><h3 class="ra-panel-head">{heading}'
                         f'<span class="ra-for">for “{question}”</span></h3>{_turn_sources(turn, papers)}</section>')
        else:
            parts.append(f'<details class="ra-turn-sources ra-earlier"><summary>{heading} for “{question}”</summary>'
                         f"{_turn_sources(turn, papers)}</details>")
    parts.append("</div>")
    return "".join(parts)


# ---- browse -----------------------------------------------------------------------------
def render_search(query: str, hits: Sequence[Hit], papers: Mapping[str, Paper], error: str = "",
                  note: str = "") -> str:
    """The Browse tab: ranked papers for ``query``; ``note`` (say, k beyond the collection) above them."""
    if error:
        return (f'<div class="ra-results"><div class="ra-bubble ra-notice ra-error" role="alert"><p>{esc(error)}</p>'
                "</div></div>")
    if not query:
        return ('<div class="ra-results"><p class="ra-muted">Search titles and abstracts by meaning and keywords. '
                "No language model is involved: this is the raw retrieval ranking.</p></div>")
    head = (f'<div class="ra-results-head">{len(hits)} paper{"s" if len(hits) != 1 else ""} '
            f"for “{esc(clip(query, 120))}”</div>")
    if note:
        head += f'<div class="ra-banner ra-note" role="status">{esc(note)}</div>'
    cards = []
    for hit in hits:
        paper = papers.get(hit.paper_id)
        abstract = paper.abstract if paper else ""
        snippet = clip(hit.text, SNIPPET_CHARS)
        cards.append(
            f'<article class="ra-src ra-result">{_card_head(hit.rank or len(cards) + 1, hit, paper)}'
            f'<div class="ra-src-meta">{_sim_bar(hit.similarity)}'
            f'<span class="ra-score" title="fused keyword + semantic rank score">score {hit.score:.4f}</span></div>'
            f'<p class="ra-snippet">{highlight(snippet, keyword_spans(snippet, query), "ra-kw")}</p>'
            f"{_abstract_details(abstract, keyword_spans(abstract, query))}</article>"
        )
    return f'<div class="ra-results">{head}{"".join(cards)}</div>'


def render_status(kind: str, text: str) -> str:
    """One line (the full text is also its tooltip, for when a narrow screen cuts it short).

    kind: loading | ready | error."""
    icon = ('<span class="ra-spinner" aria-hidden="true"></span>' if kind == "loading"
            else '<span class="ra-dot" aria-hidden="true"></span>')
    return (f'<div class="ra-status ra-{esc(kind)}" role="status" title="{esc(text)}">{icon}'
            f'<span class="ra-status-text">{esc(text)}</span></div>')
