"""The chat UI's HTML rendering: escaping, citation links, abstention and error states (no server)."""
from __future__ import annotations

import re

from rag_assistant.types import Answer, Citation, Hit, Paper
from rag_assistant.ui_render import (
    Conversation, answer_body, esc, highlight, inline, render_conversation, render_search, render_sources,
    sentence_spans,
)

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
