"""Citation parsing and verification with the real embedder and real abstracts."""
from rag_assistant.citations import MarkerFilter, parse_markers, strip_markers, verify
from rag_assistant.evidence import select_sources


def _sources(assistant, question):
    hits = assistant.retrieve(question, k=5)
    vector = assistant.embedder.embed_query(question)
    return select_sources(hits, assistant.sentences, question, vector, max_papers=3, max_sentences=5)


def test_parse_and_strip_markers():
    assert parse_markers("a [1] b [2, 3] c [Source 4] d [5-6]") == [1, 2, 3, 4, 5, 6]
    assert strip_markers("Claim [1][2]. Other [n] text [BAMBOO] here.") == "Claim. Other text BAMBOO here."


def test_marker_filter_drops_unissued_markers_while_streaming():
    f = MarkerFilter({1, 2})
    pieces = ["It is fast [", "1]. It boils at 3400", "°C [9", "]. Also [2][", "7] ok [n]."]
    out = "".join(f.feed(p) for p in pieces) + f.flush()
    assert out == "It is fast [1]. It boils at 3400°C . Also [2] ok ."


def test_verify_keeps_supported_drops_fabricated(assistant):
    question = "How much faster are the distilled VGG-based crowd counting models?"
    sources = _sources(assistant, question)
    assert sources[0].hit.title == "Efficient Crowd Counting via Structured Knowledge Transfer"
    answer = (
        "The distilled VGG-based models obtain at least 6.5 times speed-up on an Nvidia 1080 GPU [1]. "
        "They use only around 6% of the parameters and computation cost of the original models [9]. "
        "The boiling point of tungsten is 3400 degrees Celsius [1]."
    )
    result = verify(answer, sources, assistant.sentences, assistant.embedder)
    assert [c.number for c in result.citations] == [1]
    assert result.citations[0].title == sources[0].hit.title
    assert "[9]" not in result.text and "tungsten" not in result.text
    assert "6%" in result.text  # the [9] claim is supported by source 1 and re-attributed
    assert result.dropped == 1
    assert any("6.5times" in e for e in result.citations[0].evidence)


def test_verify_attributes_uncited_claim_and_drops_title_lists(assistant):
    question = "What is CUBER in continual learning?"
    sources = _sources(assistant, question)
    title = sources[0].hit.title
    answer = (f"{title} [1][2]. CUBER selectively modifies the learnt model of the old tasks when learning "
              "the new task.")
    result = verify(answer, sources, assistant.sentences, assistant.embedder)
    assert result.text.startswith("CUBER selectively modifies") and result.text.endswith("[1]")
    assert [c.title for c in result.citations] == [title]


def test_verify_with_nothing_supported_returns_no_citations(assistant):
    sources = _sources(assistant, "video temporal grounding")
    result = verify("Paris is the capital of France [1]. Bananas are yellow [2].", sources,
                    assistant.sentences, assistant.embedder)
    assert result.citations == () and result.text == ""


def test_verify_drops_a_sentence_that_only_restates_the_question(assistant):
    question = "How does TERA's way of pre-training on unlabeled speech differ from autoregressive predictive coding?"
    sources = _sources(assistant, question)
    answer = ("TERA's way of pre-training on unlabeled speech differs from autoregressive predictive coding "
              "in several ways [1]. TERA reconstructs acoustic frames from their altered counterpart [1].")
    result = verify(answer, sources, assistant.sentences, assistant.embedder, question)
    assert result.text.startswith("TERA reconstructs acoustic frames") and result.dropped == 1


def test_verify_keeps_copied_sentences_without_the_source_layout(assistant):
    question = "What fraction of parameters does diff pruning modify on GLUE?"
    sources = _sources(assistant, question)
    title = sources[0].hit.title
    assert title == "Parameter-Efficient Transfer Learning with Diff Pruning"
    best = [e.sentence for e in sources[0].evidence]
    echo = f"[1] {title}\n" + "\n".join(f"- {s}" for s in best)
    result = verify(echo, sources, assistant.sentences, assistant.embedder, question)
    assert result.citations and result.citations[0].title == title
    assert title not in result.text and "- " not in result.text
    assert any("0.5%" in s for s in best) and "0.5%" in result.text


def test_verify_drops_a_claim_whose_number_the_paper_does_not_state(assistant):
    question = "How much faster are the distilled VGG-based crowd counting models?"
    sources = _sources(assistant, question)
    honest = "The distilled VGG-based models obtain at least 6.5 times speed-up on an Nvidia 1080 GPU [1]."
    result = verify(honest, sources, assistant.sentences, assistant.embedder, question)
    assert result.kept == 1
    wrong = "The distilled VGG-based models obtain at least 8.5 times speed-up on an Nvidia 1080 GPU [1]."
    result = verify(wrong, sources, assistant.sentences, assistant.embedder, question)
    assert result.kept == 0 and not result.citations
