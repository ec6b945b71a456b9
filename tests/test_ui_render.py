"""The chat UI's HTML rendering: escaping, citation links, abstention and error states (no server)."""
from __future__ import annotations

import doctest
import re

import pytest

from rag_assistant.types import Answer, Citation, Hit, Paper
from rag_assistant.ui_render import (
    Conversation,
    answer_body,
    esc,
    highlight,
    inline,
    render_conversation,
    render_status,
    sentence_spans,
)
from rag_assistant.ui_sources import render_search, render_sources

HITS = tuple(
    Hit(f"p{i}", title, 0.03 - i / 1000, f"Best passage of paper {i}.", 0.6 - i / 10, i)
    for i, title in enumerate(["$R^2$-Tuning: <Video> Grounding", "Big Transfer (BiT)", "Deep Residual Learning"],
                              start=1)
)
PAPERS = {h.paper_id: Paper(h.paper_id, h.title, f"Intro. {h.text} The method works well. End.") for h in HITS}
SCRIPT = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def _no_live_markup(html: str) -> None:
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "onerror=" not in html.lower().replace("onerror=&quot;", "")


def test_esc_covers_html_and_template_syntax():
    out = esc('<b>"x"</b> ${alert(1)} {{x}} `y` \\')
    assert "<" not in out and ">" not in out and '"' not in out
    assert "${" not in out and "{{" not in out and "`" not in out and "\\" not in out


def test_citation_markers_become_links_only_for_known_sources():
    html = inline("Claim one [1]. Claims [2, 3]. Not a source [9]. <i>x</i>", 7, HITS)
    assert re.findall(r'href="#(src-7-\d)"', html) == ["src-7-1", "src-7-2", "src-7-3"]
    assert "[9]" in html and "&lt;i&gt;" in html
    assert 'title="Source 1: &#36;R^2&#36;-Tuning: &lt;Video&gt; Grounding"' in html


def test_answer_body_paragraphs_and_lists():
    html = answer_body("Papers:\n- \"A\" [1]: first\n- \"B\" [2]: second\n\nDone.", 1, HITS)
    assert html.count("<li>") == 2 and html.startswith("<p>Papers:</p><ul>") and html.endswith("<p>Done.</p>")


def test_user_and_model_text_is_escaped_everywhere():
    conv = Conversation()
    turn = conv.add(SCRIPT + " what is BiT?")
    turn.sources, turn.searched = HITS, True
    turn.answer = Answer(turn.question, "BiT " + SCRIPT + " [2]", (Citation("p2", HITS[1].title, (SCRIPT,), 2),), HITS)
    turn.state, turn.text = "done", turn.answer.text
    chat, sources = render_conversation(conv), render_sources(conv, PAPERS)
    for html in (chat, sources, render_search(SCRIPT, list(HITS), PAPERS)):
        _no_live_markup(html)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in chat
    assert 'href="#src-1-2"' in chat and 'id="src-1-2"' in sources


def test_abstention_is_a_distinct_notice_with_not_evidence_sources():
    conv = Conversation()
    turn = conv.add("chocolate cake recipe?")
    turn.sources, turn.abstaining, turn.searched = HITS, True, True
    turn.answer = Answer(turn.question, "The collection does not cover this question.", (), HITS, True)
    turn.state = "abstained"
    chat, sources = render_conversation(conv), render_sources(conv, PAPERS)
    assert "ra-notice ra-abstain" in chat and "Not covered by this collection" in chat
    assert sources.count("not evidence</span>") == len(HITS) and "ra-banner ra-not-evidence" in sources
    assert "ra-cited" not in sources


def test_errors_long_and_empty_questions():
    conv = Conversation()
    empty = conv.add("   ")
    empty.state, empty.error = "error", "The question is empty: type a question about the papers"
    long = conv.add("x" * 20_000)
    long.state, long.error = "error", "The question is 20,000 characters; the limit is 2,000."
    chat = render_conversation(conv)
    assert "(empty message)" in chat and "(+19,400 more characters)" in chat
    assert chat.count('role="alert"') == 2 and len(chat) < 5_000


def test_streaming_turn_shows_progress_then_sources_pending():
    conv = Conversation()
    turn = conv.add("What is BiT?")
    turn.note = "Searching the papers…"
    assert "Searching the papers" in render_conversation(conv)
    assert "Searching the papers" in render_sources(conv, PAPERS)
    turn.sources, turn.searched, turn.state, turn.text = HITS, True, "streaming", "BiT is [2"
    chat, sources = render_conversation(conv), render_sources(conv, PAPERS)
    assert "ra-caret" in chat and sources.count('class="ra-src ra-pending"') == 3


def test_evidence_highlight_is_whitespace_insensitive():
    text = "One.  The method\nworks well. Two."
    spans = sentence_spans(text, ["The method works well."])
    assert highlight(text, spans) == "One.  <mark>The method\nworks well.</mark> Two."


# ---- paper metadata on the cards ----------------------------------------------------------------
HOSTILE_TITLE = 'Sparse <Mixtures> of Experts & "Routers"'
META_PAPERS = {
    "moe": Paper("moe", HOSTILE_TITLE, "We route each token to two of 64 experts.",
                 authors=("Ann Lee", "Bo Chen", "Cy <b>Diaz</b>", "Dee Evans"), year=2021, venue="JMLR",
                 doi="10.1234/moe", url='https://example.org/moe?a=1&b="2"'),
    "doi": Paper("doi", "A DOI Only Paper", "Abstract.", authors=("Solo Author",), doi="10.5555/x<y>"),
    "arxiv": Paper("arxiv", "An arXiv Paper", "Abstract.", year=2019, categories=("cs.CV", "cs.LG", "cs.AI"),
                   arxiv_id="1906.00001", url="javascript:alert(1)"),
    "bare": Paper("bare", "A Bare Paper", "Abstract."),
}
META_HITS = tuple(Hit(pid, paper.title, 0.5, paper.abstract, 0.4, rank)
                  for rank, (pid, paper) in enumerate(META_PAPERS.items(), start=1))


def _card(html: str, title: str) -> str:
    cards = re.findall(r"<article.*?</article>", html, flags=re.S)
    return next(card for card in cards if esc(title) in card)


def test_cards_show_authors_year_venue_and_a_link_escaped():
    conv = Conversation()
    turn = conv.add("experts?")
    turn.sources, turn.searched, turn.state = META_HITS, True, "streaming"
    for html in (render_sources(conv, META_PAPERS), render_search("experts", list(META_HITS), META_PAPERS)):
        _no_live_markup(html)
        moe = _card(html, HOSTILE_TITLE)
        assert "Sparse &lt;Mixtures&gt; of Experts &amp; &quot;Routers&quot;" in moe
        assert '<span class="ra-authors">Ann Lee, Bo Chen, Cy &lt;b&gt;Diaz&lt;/b&gt; et al.</span>' in moe
        assert "Dee Evans" not in moe  # the first three, then "et al."
        assert '<span class="ra-year">2021</span>' in moe and '<span class="ra-venue">JMLR</span>' in moe
        assert 'href="https://example.org/moe?a=1&amp;b=&quot;2&quot;"' in moe  # the URL before the DOI
        assert 'rel="noopener noreferrer"' in moe
        doi = _card(html, "A DOI Only Paper")
        assert 'href="https://doi.org/10.5555/x%3Cy%3E"' in doi and "Solo Author</span>" in doi
        assert "et al." not in doi and "ra-year" not in doi
        arxiv = _card(html, "An arXiv Paper")
        assert 'href="https://arxiv.org/abs/1906.00001"' in arxiv and "javascript" not in arxiv
        assert '<span class="ra-venue">cs.CV, cs.LG</span>' in arxiv  # no venue: its first categories
        assert "ra-authors" not in arxiv
        bare = _card(html, "A Bare Paper")  # the bundled collection's papers have no metadata
        assert "ra-byline" not in bare and "<a " not in bare


def test_card_metadata_comes_from_the_hit_when_the_paper_is_unknown():
    from rag_assistant.types import PaperMeta

    hit = Hit("gone", "Gone Paper", 0.5, "text", 0.3, 1, PaperMeta(("A B",), 2020, "ICML", arxiv_id="2001.1"))
    html = render_search("gone", [hit], {})
    assert "A B</span>" in html and "ICML" in html and 'href="https://arxiv.org/abs/2001.1"' in html


def test_request_notes_are_shown_above_the_sources():
    conv = Conversation()
    turn = conv.add("experts?")
    turn.sources, turn.searched, turn.state = META_HITS, True, "streaming"
    turn.remark = "k = 10 is more than the 4 papers in this collection: showing all 4."
    sources = render_sources(conv, META_PAPERS)
    assert sources.index("showing all 4") < sources.index("<article")
    html = render_search("experts", list(META_HITS), META_PAPERS, note="k = 50 is more than <4>")
    assert "k = 50 is more than &lt;4&gt;" in html


def test_status_is_one_escaped_line_with_the_full_text_as_tooltip():
    html = render_status("ready", 'Ready · 282 papers · <model> "x"')
    assert 'title="Ready · 282 papers · &lt;model&gt; &quot;x&quot;"' in html
    assert html.count("&lt;model&gt;") == 2 and "<model>" not in html


@pytest.mark.parametrize("module", ["rag_assistant.ui_render", "rag_assistant.ui_sources", "rag_assistant.ui_handlers"])
def test_docstring_examples(module):
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
