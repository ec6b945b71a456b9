"""The chat web UI end to end: a real Assistant (real Chroma, real corpus), the Gradio server on
127.0.0.1, headless Chromium via Playwright, and gradio_client for the documented API.

Screenshots go to test-artifacts/ui-*.png.
"""
from __future__ import annotations

import json
import re
import socket
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

QUESTION = "How does R2-Tuning adapt CLIP for video temporal grounding?"
QUESTION_TITLE = "Efficient Image-to-Video Transfer Learning for Video Temporal Grounding"
FOLLOW_UP = "Which benchmarks was it evaluated on?"
BIT_QUESTION = "What top-1 accuracy does Big Transfer (BiT) reach on ILSVRC-2012?"
OFF_TOPIC = "What is the recipe for a chocolate cake?"

pytestmark = pytest.mark.server


# ---- servers -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(assistant, **kwargs):
    from rag_assistant.ui import build_app

    demo = build_app(assistant, **kwargs)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    return demo, url.rstrip("/")


@pytest.fixture(scope="module")
def server(assistant):
    demo, url = launch(assistant)
    yield url
    demo.close()


# ---- browser ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Tab:
    """One browser tab on the app, recording every request that leaves 127.0.0.1 and page errors."""

    def __init__(self, context, url: str):
        self.url, self.external, self.errors = url, [], []
        self.page = context.new_page()
        self.page.on("request", self._request)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(url)
        self.page.wait_for_selector("#ra-chat .ra-log")

    def _request(self, request) -> None:
        from urllib.parse import urlparse

        parsed = urlparse(request.url)
        if parsed.scheme in ("data", "blob"):
            return
        if parsed.hostname not in ("127.0.0.1", "localhost"):
            self.external.append(request.url)

    def done_count(self) -> int:
        return self.page.locator("#ra-chat .ra-bot .ra-bubble:not(.ra-streaming)").count()

    def ask(self, text: str, timeout: float = 60_000, via_button: bool = False) -> None:
        asked = self.page.locator("#ra-chat .ra-user").count()
        self.page.locator("#ra-question textarea").fill(text)
        if via_button:
            self.page.locator("#ra-send").click()
        else:
            self.page.locator("#ra-question textarea").press("Enter")
        self.page.wait_for_function(
            "n => document.querySelectorAll('#ra-chat .ra-user').length > n", arg=asked, timeout=10_000)
        self.wait_done(timeout)

    def wait_done(self, timeout: float = 60_000) -> None:
        self.page.wait_for_function(
            """() => {
                const users = document.querySelectorAll('#ra-chat .ra-user').length;
                const done = document.querySelectorAll('#ra-chat .ra-bot .ra-bubble:not(.ra-streaming)').length;
                return users > 0 && users === done;
            }""", timeout=timeout)

    def last_bot(self):
        return self.page.locator("#ra-chat .ra-bot").last

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"ui-{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def check_clean(self) -> None:
        assert self.external == [], f"requests left 127.0.0.1: {self.external}"
        assert self.errors == [], f"page errors: {self.errors}"


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    yield ctx
    ctx.close()


ORDER_JS = """() => {
  window.__order = [];
  const note = (what) => { if (!window.__order.includes(what)) window.__order.push(what); };
  new MutationObserver(() => {
    if (document.querySelector('#ra-sources .ra-src')) note('sources');
    const bots = document.querySelectorAll('#ra-chat .ra-bot .ra-bubble');
    const last = bots[bots.length - 1];
    if (last && last.querySelector('p')) note('text');
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


# ---- tests -----------------------------------------------------------------------------------
@pytest.mark.browser
def test_answer_sources_citation_links_and_follow_up(server, context):
    tab = Tab(context, server)
    page = tab.page
    page.wait_for_selector(".ra-status.ra-ready", timeout=30_000)
    assert "282 papers" in page.locator("#ra-status").inner_text()
    page.wait_for_selector("#ra-chat .ra-welcome:has-text('282 paper abstracts')")
    tab.shot("welcome")
    page.evaluate(ORDER_JS)
    tab.ask(QUESTION)

    # the sources panel filled before any answer text, and it shows the cited paper with its evidence
    assert page.evaluate("window.__order")[0] == "sources"
    bot = tab.last_bot()
    assert QUESTION_TITLE in bot.locator(".ra-refs").inner_text()
    cited = page.locator("#ra-sources .ra-current .ra-src.ra-cited")
    assert cited.count() >= 1
    assert QUESTION_TITLE in cited.first.locator(".ra-title").inner_text()
    assert cited.first.locator(".ra-evidence mark").count() >= 1
    from rag_assistant.ui import DEFAULT_K

    assert page.locator("#ra-sources .ra-current .ra-src").count() == DEFAULT_K  # the k setting

    # [n] is a link to its source entry: clicking it scrolls to and flashes that card
    link = bot.locator("p a.ra-cite").first
    target = link.get_attribute("data-target")
    assert link.get_attribute("href") == f"#{target}"
    link.click()
    card = page.locator(f"#{target}")
    page.wait_for_function("id => document.getElementById(id).classList.contains('ra-flash')", arg=target)
    assert card.is_visible()
    tab.shot("answer")

    # a follow-up uses the conversation: "it" resolves to the paper above
    tab.ask(FOLLOW_UP, via_button=True)
    follow = tab.last_bot()
    assert "R^2" in follow.locator(".ra-refs").inner_text()
    assert page.locator("#ra-sources details.ra-earlier").count() == 1  # earlier sources kept, collapsed
    tab.shot("follow-up")
    tab.check_clean()


@pytest.mark.browser
def test_bad_input_gets_a_clear_message_and_nothing_executes(server, context):
    tab = Tab(context, server)
    page = tab.page

    tab.ask("", via_button=True)
    assert "empty" in tab.last_bot().locator(".ra-error").inner_text().lower()
    assert "(empty message)" in page.locator("#ra-chat .ra-user").last.inner_text()

    tab.ask("a" * 20_000)
    message = tab.last_bot().locator(".ra-error").inner_text()
    assert "20,000" in message and "limit" in message
    assert "more characters" in page.locator("#ra-chat .ra-user").last.inner_text()

    tab.ask("🤔🤔 🙈")
    assert "no words" in tab.last_bot().locator(".ra-error").inner_text()

    hostile = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> ' + BIT_QUESTION
    tab.ask(hostile)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#ra-chat img, #ra-chat script, #ra-sources img, #ra-sources script").count() == 0
    assert "<script>window.__pwned=1</script>" in page.locator("#ra-chat .ra-user").last.inner_text()
    assert "Big Transfer" in tab.last_bot().inner_text()  # still answered, as text
    assert "Traceback" not in page.locator("#ra-chat").inner_text()
    tab.shot("bad-input")
    tab.check_clean()


@pytest.mark.browser
def test_abstention_is_distinct_and_new_conversation_clears(server, context):
    tab = Tab(context, server)
    page = tab.page
    tab.ask(BIT_QUESTION)
    page.locator("#ra-new").click()
    page.wait_for_selector("#ra-chat .ra-welcome")
    assert page.locator("#ra-sources .ra-src").count() == 0

    page.locator("#ra-examples button", has_text="Deep Residual").click()  # an example question asks at once
    tab.wait_done()
    assert "Deep Residual Learning" in tab.last_bot().locator(".ra-refs").inner_text()
    page.locator("#ra-new").click()
    page.wait_for_selector("#ra-chat .ra-welcome")

    tab.ask(OFF_TOPIC)
    notice = tab.last_bot().locator(".ra-notice.ra-abstain")
    assert "Not covered by this collection" in notice.inner_text()
    assert tab.last_bot().locator("a.ra-cite").count() == 0
    badges = page.locator("#ra-sources .ra-current .ra-badge.ra-not-evidence")
    assert badges.count() == page.locator("#ra-sources .ra-current .ra-src").count() > 0
    assert "not evidence" in page.locator("#ra-sources .ra-banner").inner_text()
    tab.shot("abstention")
    tab.check_clean()


@pytest.mark.browser
def test_browse_search_lists_papers_without_the_llm(server, context):
    tab = Tab(context, server)
    page = tab.page
    page.get_by_role("tab", name="Browse papers").click()
    box = page.locator("#ra-search-query textarea, #ra-search-query input").first
    box.fill("knowledge distillation")
    box.press("Enter")
    page.wait_for_selector("#ra-search-results .ra-results-head")
    results = page.locator("#ra-search-results .ra-src")
    assert results.count() == 10
    assert "Distillation" in results.first.locator(".ra-title").inner_text()
    assert results.first.locator("mark.ra-kw").count() >= 1
    assert "similarity" in results.first.locator(".ra-src-meta").inner_text()
    tab.shot("browse")
    box.fill("")
    box.press("Enter")
    page.wait_for_selector("#ra-search-results .ra-notice.ra-error")
    tab.check_clean()


@pytest.mark.browser
def test_several_tabs_each_get_their_answer(server, browser):
    contexts = [browser.new_context(viewport={"width": 1200, "height": 800}) for _ in range(3)]
    try:
        tabs = [Tab(c, server) for c in contexts]
        questions = [QUESTION, BIT_QUESTION, "Which methods make transfer learning parameter-efficient?"]
        for tab, question in zip(tabs, questions):
            tab.page.locator("#ra-question textarea").fill(question)
        for tab in tabs:
            tab.page.locator("#ra-send").click()
        for tab in tabs:
            tab.page.wait_for_selector("#ra-chat .ra-user")
            tab.wait_done()
        assert QUESTION_TITLE in tabs[0].last_bot().inner_text()
        assert "Big Transfer" in tabs[1].last_bot().inner_text()
        assert "Parameter-Efficient" in tabs[2].last_bot().inner_text()
        for tab in tabs:
            assert tab.last_bot().locator("a.ra-cite").count() >= 1
            tab.check_clean()
    finally:
        for c in contexts:
            c.close()


@pytest.mark.browser
def test_status_while_the_index_opens_then_answers(assistant, context):
    pending: Future = Future()
    demo, url = launch(pending)
    try:
        tab = Tab(context, url)
        page = tab.page
        page.wait_for_selector(".ra-status.ra-loading")
        assert "Opening the paper index" in page.locator("#ra-status").inner_text()
        page.locator("#ra-question textarea").fill(BIT_QUESTION)
        page.locator("#ra-send").click()
        page.wait_for_selector("#ra-chat .ra-working")
        assert "Opening the paper index" in tab.last_bot().inner_text()
        tab.shot("loading")
        pending.set_result(assistant)
        page.wait_for_selector(".ra-status.ra-ready", timeout=15_000)
        tab.wait_done()
        assert "Big Transfer" in tab.last_bot().locator(".ra-refs").inner_text()
        tab.check_clean()
    finally:
        demo.close()


def test_api_ask_and_search_with_gradio_client(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    assert set(client.view_api(return_format="dict")["named_endpoints"]) == {"/ask", "/search"}

    result = client.predict(BIT_QUESTION, k=6, api_name="/ask")
    assert not result["abstained"] and "[1]" in result["answer"]
    assert result["citations"] and "Big Transfer" in result["citations"][0]["title"]
    assert result["citations"][0]["evidence"]
    assert len(result["sources"]) == 6
    assert client.predict(BIT_QUESTION, api_name="/ask")["sources"]  # k defaults to the Assistant's

    follow = client.predict(FOLLOW_UP, history=[[QUESTION, "R^2-Tuning adapts CLIP [1]."]], k=5, api_name="/ask")
    assert any("R^2" in c["title"] for c in follow["citations"]) and len(follow["sources"]) == 5

    hits = client.predict("knowledge distillation", 3, api_name="/search")
    assert len(hits) == 3 and all({"rank", "title", "score", "similarity", "text", "meta"} <= set(h) for h in hits)
    assert len(client.predict("knowledge distillation", api_name="/search")) == 10  # k's default

    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/ask")
    for endpoint in ("/search", "/ask"):  # as the CLI and the API: no silent default for a bad k
        with pytest.raises(AppError, match=re.escape(K_MESSAGE)):
            client.predict("knowledge distillation", 0, api_name=endpoint)


# ---- layout on a phone and on a desktop -------------------------------------------------------------
QUESTION_ABOVE_ANSWER_JS = """() => {
  const q = [...document.querySelectorAll('#ra-chat .ra-user')].pop().getBoundingClientRect();
  const a = [...document.querySelectorAll('#ra-chat .ra-bot')].pop().getBoundingClientRect();
  return q.top >= 0 && q.bottom <= a.top + 1 && a.top < window.innerHeight;
}"""
SCROLL_SETTLED_JS = "() => new Promise(done => { const y = scrollY; setTimeout(() => done(scrollY === y), 250); })"
LAYOUT_JS = """() => {
  const pill = document.querySelector('#ra-status .ra-status').getBoundingClientRect();
  const text = document.querySelector('#ra-status .ra-status-text');
  const box = document.querySelector('#ra-question textarea');
  const style = getComputedStyle(box);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  const log = document.querySelector('#ra-chat .ra-log');
  return {pill_height: pill.height, pill_right: pill.right, text_height: text.getBoundingClientRect().height,
          line_height: parseFloat(getComputedStyle(text).lineHeight) || 1.2 * parseFloat(style.fontSize),
          placeholder: ctx.measureText(box.placeholder).width,
          room: box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
          log_scrolls: log.scrollHeight > log.clientHeight + 1 || /auto|scroll/.test(getComputedStyle(log).overflowY),
          width: window.innerWidth};
}"""


@pytest.mark.browser
def test_phone_keeps_the_question_above_its_answer_and_the_status_on_one_line(server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              device_scale_factor=2)
    try:
        tab = Tab(ctx, server)
        page = tab.page
        page.wait_for_selector(".ra-status.ra-ready", timeout=30_000)
        for question in (QUESTION, BIT_QUESTION):  # the second one starts below the first answer
            tab.ask(question)
            # the window scrolls (smoothly) so the question sits above its answer, both in view
            page.wait_for_function(SCROLL_SETTLED_JS, timeout=5_000)
            assert page.evaluate(QUESTION_ABOVE_ANSWER_JS)
        layout = page.evaluate(LAYOUT_JS)
        assert layout["text_height"] <= 1.5 * layout["line_height"], layout  # one line, not a tall ellipse
        assert layout["pill_height"] <= 2.5 * layout["line_height"], layout
        assert layout["pill_right"] <= layout["width"], layout
        assert layout["placeholder"] <= layout["room"], layout  # the placeholder is not clipped
        assert not layout["log_scrolls"], layout  # the page scrolls, not a box inside it
        tab.shot("phone")
        tab.check_clean()
    finally:
        ctx.close()


@pytest.mark.browser
def test_desktop_sources_panel_shows_several_cards_and_the_k_slider_fills_its_row(server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = Tab(ctx, server)
        page = tab.page
        tab.ask(QUESTION)
        page.locator("#ra-sources").scroll_into_view_if_needed()
        visible = page.evaluate("""() => {
          const panel = document.querySelector('#ra-sources .ra-sources-panel').getBoundingClientRect();
          const bottom = Math.min(panel.bottom, window.innerHeight);
          return [...document.querySelectorAll('#ra-sources .ra-current .ra-src')]
            .filter(card => card.getBoundingClientRect().top < bottom - 40).length;
        }""")
        assert visible >= 3
        slider = page.evaluate("""() => { const k = document.querySelector('#ra-k');
          return [k.getBoundingClientRect().width, k.parentElement.getBoundingClientRect().width]; }""")
        assert abs(slider[0] - slider[1]) <= 2, slider  # no grey bars beside it
        assert page.evaluate(QUESTION_ABOVE_ANSWER_JS)
        tab.check_clean()
    finally:
        ctx.close()


# ---- k and paper metadata, over a tiny collection with authors, years, venues and links ----------------
K_MESSAGE = "k (the number of papers) must be a whole number of at least 1"
MOE_TITLE = 'Sparse <Mixtures> of Experts & "Routers" at Scale'
META_RECORDS = [
    {"title": MOE_TITLE, "abstract": "We route each token to two of 64 experts. The model trains four times "
     "faster than a dense one.", "authors": ["Ann Lee", "Bo Chen", "Cy Diaz", "Dee Evans"], "year": 2021,
     "venue": "JMLR", "url": "https://example.org/moe?a=1&b=2"},
    {"title": "Learned Graph Sparsifiers", "abstract": "We prune the edges of large graphs with a learned "
     "sparsifier. It keeps accuracy while removing 90% of edges.", "authors": ["Ada Kim"], "year": 2022,
     "venue": "NeurIPS", "doi": "10.1234/graph.2022"},
    {"title": "Tiny Speech Recognizers", "abstract": "We distill a speech recognizer into a 10M parameter model. "
     "It runs on phones."},
]


@pytest.fixture(scope="module")
def meta_ui(config, tmp_path_factory):
    """The chat's handlers over a real Assistant (real Chroma, the real embedder) of META_RECORDS."""
    from rag_assistant import Assistant
    from rag_assistant.ui_backend import Backend
    from rag_assistant.ui_handlers import ChatUI

    folder = tmp_path_factory.mktemp("meta")
    records = folder / "refs.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in META_RECORDS), encoding="utf-8")
    assistant = Assistant.from_config(config.replace(data_dir=folder / "data", collection="meta"), create_empty=True)
    assistant.ingest([records])
    assert len(assistant.papers) == 3
    return ChatUI(Backend(assistant))


def _last(events):
    *_, last = events
    return last


@pytest.mark.parametrize("k", [0, -3, 2.5, "many"])
def test_k_below_one_or_not_whole_is_rejected_everywhere_like_the_cli(meta_ui, k):
    import gradio as gr

    from rag_assistant.errors import InvalidQuestionError
    from rag_assistant.ui_render import esc

    with pytest.raises(InvalidQuestionError) as raised:
        meta_ui.backend.get().retrieve("experts", k=k)
    message = str(raised.value)
    assert message.startswith(K_MESSAGE)

    assert esc(message) in meta_ui.browse("experts", k) and "<article" not in meta_ui.browse("experts", k)
    for call in (lambda: meta_ui.api_search("experts", k), lambda: meta_ui.api_ask("How many experts?", k=k)):
        with pytest.raises(gr.Error) as error:
            call()
        assert error.value.message == message
    *_, conv = _last(meta_ui.submit("How many experts?", k, None))
    assert (conv.turns[-1].state, conv.turns[-1].error) == ("error", message)


def test_k_beyond_the_collection_is_noted_and_the_papers_still_shown(meta_ui):
    note = "k = 50 is more than the 3 papers in this collection: showing"
    html = meta_ui.browse("experts", 50)
    assert note in html and html.count("<article") >= 1
    with pytest.warns(UserWarning, match=note):
        hits = meta_ui.api_search("experts", 50)
    assert 1 <= len(hits) <= 3
    _, sources, _, conv = _last(meta_ui.submit("How many experts does each token go to?", 20, None))
    assert "k = 20 is more than the 3 papers" in sources and conv.turns[-1].remark
    meta_ui.stop(conv)
    _, sources, _, _ = _last(meta_ui.submit("How many experts does each token go to?", 3, None))
    assert "is more than" not in sources


def test_source_cards_show_authors_year_venue_and_a_link(meta_ui):
    from rag_assistant.ui_render import esc

    question = "How many experts does each token go to?"
    _, sources, _, conv = _last(meta_ui.submit(question, 3, None))
    _, sources, conv = _last(meta_ui.answer(conv))
    for html in (sources, meta_ui.browse("experts route tokens", 3)):
        cards = re.findall(r"<article.*?</article>", html, flags=re.S)
        moe = next(card for card in cards if esc(MOE_TITLE) in card)
        assert "Ann Lee, Bo Chen, Cy Diaz et al." in moe and "Dee Evans" not in moe
        assert ">2021<" in moe and ">JMLR<" in moe and 'href="https://example.org/moe?a=1&amp;b=2"' in moe
        graph = next(card for card in cards if "Learned Graph Sparsifiers" in card)
        assert "Ada Kim" in graph and 'href="https://doi.org/10.1234/graph.2022"' in graph
        speech = next(card for card in cards if "Tiny Speech Recognizers" in card)
        assert "ra-byline" not in speech  # no metadata: the card as before
    found = meta_ui.api_search("experts route tokens", 3)
    meta = next(h["meta"] for h in found if h["title"] == MOE_TITLE)
    assert (list(meta["authors"][:2]), meta["year"], meta["venue"]) == (["Ann Lee", "Bo Chen"], 2021, "JMLR")


def test_filters_narrow_the_chat_browse_and_api_and_say_so(meta_ui):
    import gradio as gr

    _, sources, _, conv = _last(meta_ui.submit("How are large graphs pruned?", 3, None, "2022", "", "", ""))
    assert "Searched only papers with year 2022." in sources
    assert {h.meta.year for h in conv.turns[-1].sources} == {2022}
    meta_ui.stop(conv)
    *_, conv = _last(meta_ui.submit("How many experts?", 3, conv, "", "lee", "JMLR", ""))
    assert [h.title for h in conv.turns[-1].sources] == [MOE_TITLE]
    *_, conv = _last(meta_ui.submit("How many experts?", 3, conv, "1990", "", "", ""))
    turn = conv.turns[-1]
    assert turn.state == "abstained" and not turn.sources
    assert turn.text.startswith("No paper in this collection matches the filters (year 1990).")
    *_, conv = _last(meta_ui.submit("How many experts?", 3, conv, "nineties", "", "", ""))
    assert conv.turns[-1].state == "error" and "is not a year or a range" in conv.turns[-1].error

    html = meta_ui.browse("speech", 10, "", "", "", "prune")
    assert "Searched only papers with keyword prune." in html and html.count("<article") == 1
    assert "Learned Graph Sparsifiers" in html
    assert [h["title"] for h in meta_ui.api_search("experts", 3, {"year": "2021-"})] != []
    assert {h["meta"]["year"] for h in meta_ui.api_search("experts", 3, {"year": "2021-"})} <= {2021, 2022}
    answer = meta_ui.api_ask("How many experts does each token go to?", 3, None, {"author": "Kim"})
    assert all(c["title"] == "Learned Graph Sparsifiers" for c in answer["citations"])
    with pytest.raises(gr.Error, match="No paper in this collection matches the filters \\(author Nobody\\)"):
        meta_ui.api_search("experts", 3, {"author": "Nobody"})
    with pytest.raises(gr.Error, match="Unknown filter 'venue'"):
        meta_ui.api_search("experts", 3, {"venue": "JMLR"})


def _speech_collection(meta_ui) -> None:
    """A second collection, "speech", beside the chat's "meta" (its one paper without metadata)."""
    from rag_assistant import Assistant

    assistant = meta_ui.backend.get()
    other = Assistant.from_config(assistant.config.replace(collection="speech"), create_empty=True)
    records = assistant.config.data_dir / "speech.jsonl"
    records.write_text(json.dumps(META_RECORDS[2]) + "\n", encoding="utf-8")
    other.ingest([records])


def test_the_collection_picker_lists_opens_and_switches_collections(meta_ui):
    _speech_collection(meta_ui)
    assert meta_ui.collection_choices().constructor_args["choices"] == ["meta", "speech"]

    *_, conv = _last(meta_ui.submit("How many experts?", 3, None))
    chat, _, question, switched = meta_ui.choose_collection("speech", conv)
    assert switched.collection == "speech" and switched.turns == [] and "Ask about 1 paper abstract<" in chat
    _, sources, _, switched = _last(meta_ui.submit("How small is the speech recognizer?", 3, switched))
    assert [h.title for h in switched.turns[-1].sources] == ["Tiny Speech Recognizers"]
    assert "Tiny Speech Recognizers" in sources
    assert meta_ui.backend.assistant("speech").generator is meta_ui.backend.get().generator  # one model
    assert [h["title"] for h in meta_ui.api_search("speech", 5, None, "speech")] == ["Tiny Speech Recognizers"]
    renewed = meta_ui.new_conversation(switched)[-1]
    assert renewed.collection == "speech" and renewed.turns == []

    with pytest.warns(UserWarning, match="No collection 'nope'"):
        *_, kept = meta_ui.choose_collection("nope", switched)
    assert kept is switched and kept.collection == "speech"


@pytest.mark.browser
def test_filters_and_collection_picker_in_the_browser(meta_ui, context):
    _speech_collection(meta_ui)
    demo, url = launch(meta_ui.backend)
    try:
        tab = Tab(context, url)
        page = tab.page
        page.locator("#ra-filters").get_by_text("Filters").click()
        page.locator("#ra-year input, #ra-year textarea").first.fill("2022")
        tab.ask("How are the edges of large graphs pruned?")
        panel = page.locator("#ra-sources")
        assert "Searched only papers with year 2022." in panel.inner_text()
        titles = panel.locator(".ra-src .ra-title").all_inner_texts()
        assert titles and all("Learned Graph Sparsifiers" in t for t in titles)
        tab.shot("filters")
        page.locator("#ra-collection input").click()
        page.get_by_role("option", name="speech").click()
        page.wait_for_function("() => document.querySelector('#ra-chat').innerText.includes('Ask about 1 paper ')")
        tab.check_clean()
    finally:
        demo.close()


# ---- the real LLM ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def llm_server(config):
    from rag_assistant import Assistant

    assistant = Assistant.from_config(config.replace(generator="llama_cpp"))  # the default local model
    demo, url = launch(assistant)
    yield url
    demo.close()


@pytest.mark.llm
@pytest.mark.browser
def test_real_llm_streams_a_cited_answer_and_stop_works(llm_server, context):
    tab = Tab(context, llm_server)
    page = tab.page
    page.wait_for_selector(".ra-status.ra-ready", timeout=30_000)
    assert "loads with the first answer" in page.locator("#ra-status").inner_text()

    page.locator("#ra-question textarea").fill(BIT_QUESTION)
    page.locator("#ra-question textarea").press("Enter")
    page.wait_for_selector("#ra-sources .ra-src")  # sources before the model has written anything
    tab.wait_done(timeout=180_000)
    bot = tab.last_bot()
    assert bot.locator("a.ra-cite").count() >= 1, bot.inner_text()
    assert "Big Transfer" in bot.locator(".ra-refs").inner_text()
    assert page.locator("#ra-sources .ra-current .ra-src.ra-cited").count() >= 1
    page.wait_for_selector(".ra-status.ra-ready:has-text('answers by')", timeout=10_000)
    tab.shot("llm-answer")

    # Stop cancels a running answer; the next question is answered normally afterwards
    page.locator("#ra-question textarea").fill(QUESTION)
    page.locator("#ra-question textarea").press("Enter")
    page.wait_for_selector("#ra-chat .ra-bot:last-child .ra-streaming")
    page.wait_for_selector("#ra-sources .ra-current .ra-src.ra-pending")
    tab.shot("llm-streaming")

    # while the model works on this answer, search (its own concurrency group) still answers at once
    from gradio_client import Client

    client = Client(llm_server, verbose=False)
    start = time.perf_counter()
    assert len(client.predict("knowledge distillation", 3, api_name="/search")) == 3
    assert time.perf_counter() - start < 5
    assert page.locator("#ra-chat .ra-bot:last-child .ra-streaming").count() == 1  # still answering

    page.locator("#ra-stop").click()
    page.wait_for_selector("#ra-chat .ra-bot:last-child .ra-stopped", timeout=10_000)
    tab.ask("What does Deep Residual Learning propose to ease the training of deep networks?", timeout=180_000)
    assert tab.last_bot().locator(".ra-meta").count() == 1
    tab.check_clean()


def test_example_questions_are_answered_from_the_collection(assistant):
    from rag_assistant.ui import EXAMPLES

    assert 4 <= len(EXAMPLES) <= 6
    for question in EXAMPLES:
        answer = assistant.ask(question)
        assert not answer.abstained and answer.citations, question


def test_chat_on_a_busy_or_bad_port_is_a_one_line_error(tmp_path, capsys):
    from rag_assistant import cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["--data-dir", str(tmp_path), "chat", "--port", str(port)]) == 2
        assert f"port {port} on 127.0.0.1 is in use" in capsys.readouterr().err
    assert cli.main(["--data-dir", str(tmp_path), "chat", "--port", "99999"]) == 2
    assert "--port must be between 1 and 65535" in capsys.readouterr().err
    assert not (tmp_path / "chroma").exists()  # nothing was started or built
