"""HTML for the papers in the chat UI: a paper's card (title, byline, evidence, abstract), the
sources panel beside the conversation, and the Browse tab's results. Everything user- or
model-provided goes through ``ui_render.esc``.
"""
from __future__ import annotations

import re
from typing import Mapping, Sequence
from urllib.parse import quote

from .types import Citation, Hit, Paper, PaperMeta
from .ui_render import (
    Conversation,
    Turn,
    clip,
    esc,
    highlight,
    keyword_spans,
    sentence_spans,
    source_anchor,
    working,
)

SNIPPET_CHARS = 360
AUTHORS_SHOWN = 3
LINK_CHARS = 48
VENUE_CHARS = 80


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
        parts.append('<h3 class="ra-panel-head">Sources</h3>' + working("Searching the papers…"))
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
