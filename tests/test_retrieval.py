"""Hybrid retrieval on the real corpus with the real embedding model."""
import numpy as np
import pytest

from rag_assistant.retrieval import (
    CENTROID_WEIGHT,
    SENTENCE_WEIGHT,
    TITLE_WEIGHT,
    KeywordIndex,
    dense_score,
    paper_vector,
    rrf,
)
from rag_assistant.terms import name_terms

R2 = "$R^2$-Tuning: Efficient Image-to-Video Transfer Learning for Video Temporal Grounding"
OSBORN = ("Building a Winning Team: Selecting Source Model Ensembles using a Submodular Transferability Estimation "
          "Approach")


def test_paraphrase_of_an_abstract_finds_the_paper(assistant):
    # Paraphrases CycleGAN's abstract without its distinctive words ("cycle consistency", "unpaired").
    hits = assistant.retrieve("learning to translate photos between two visual styles when no aligned "
                              "example pairs exist, by requiring that going there and back returns the original", k=5)
    assert any("Cycle-Consistent" in h.title for h in hits[:3])


def test_acronym_finds_the_paper(assistant):
    assert assistant.retrieve("What is OSBORN used for?", k=3)[0].title == OSBORN
    assert assistant.retrieve("How does CAT-KD work?", k=3)[0].title.startswith("Class Attention Transfer")


def test_mixed_case_name_is_not_a_common_word(assistant):
    # "BiT" is Big Transfer; "bit" (as in low-bit quantization) is in many other abstracts
    assert assistant.retrieve("What accuracy does BiT reach on ImageNet?", k=1)[0].title.startswith("Big Transfer")


def test_hits_are_paper_level_ranked_and_carry_text(assistant):
    hits = assistant.retrieve("video temporal grounding with CLIP", k=10)
    assert hits[0].title == R2
    assert len({h.paper_id for h in hits}) == len(hits) == 10
    assert [h.rank for h in hits] == list(range(1, 11))
    assert all(h.score > 0 and h.text for h in hits)
    assert hits[0].similarity > 0.5
    assert sorted((h.score for h in hits), reverse=True) == [h.score for h in hits]


def test_rrf_worked_example():
    scores = rrf([["a", "b"], ["b", "c"]], k=0)
    assert scores == {"a": 1.0, "b": 1.5, "c": 0.5}


def test_keyword_index_ignores_question_words(assistant):
    index = assistant.retriever.keyword
    assert isinstance(index, KeywordIndex)
    assert index.search("what which how", k=5) == []


def test_name_terms():
    assert name_terms("What FID does LayerSync reach with a ViT on CLIP-style prompts?") == ["FID", "LayerSync", "CLIP"]


def test_answerability_separates_on_and_off_topic(assistant):
    for question in ("What is the capital of Mongolia?", "Who won the 2018 FIFA World Cup?"):
        assert not assistant.assess(question).decision.answer
    assert assistant.assess("How does R2-Tuning adapt CLIP for video temporal grounding?").decision.answer
    # A specific name that no retrieved paper mentions means the collection does not cover it.
    decision = assistant.assess("What WikiText-2 perplexity does RSQ reach?").decision
    assert not decision.answer and decision.missing_names == ("WikiText-2",)


def test_the_second_one_is_the_second_paper_an_earlier_list_named(assistant):
    apc = "Generative Pre-Training for Speech with Autoregressive Predictive Coding"
    tera = "TERA: Self-Supervised Learning of Transformer Encoder Representation for Speech"
    history = [("Which papers pre-train speech representations without labels?",
                f"Papers in the collection that address this:\n- \"{apc}\" [1]: ...\n- \"{tera}\" [2]: ..."),
               ("What objective does APC use?", "It predicts future frames.")]
    for question, title in (("And the second one: what does its name stand for?", tera),
                            ("What did the first paper evaluate on?", apc), ("How big is the latter?", tera)):
        query = assistant.standalone_query(question, history)
        assert title in query and assistant.retrieve(query, k=1)[0].title == title, question


def test_follow_up_query_brings_the_earlier_paper(assistant):
    history = [("What is R2-Tuning?", f"\"{R2}\" adapts CLIP to video temporal grounding [1].")]
    query = assistant.standalone_query("Which datasets did they evaluate it on?", history)
    assert R2 in query
    assert assistant.retrieve(query, k=1)[0].title == R2
    # A self-contained question in the same conversation is left alone.
    own = "Which papers learn representations of point clouds with self-supervision?"
    assert assistant.standalone_query(own, history) == own
    # So is a new, off-topic question: it must be able to abstain.
    cake = "What is a good recipe for a chocolate cake?"
    assert assistant.standalone_query(cake, history) == cake


def _exact_dense_score(assistant, paper_id, query_vector):
    """A paper's dense score from all its stored vectors, by hand."""
    from rag_assistant.chunking import sentence_units

    units = sentence_units(assistant.papers[paper_id].abstract, assistant.embedder.count_tokens)
    records, sentences = assistant.store.lookup([paper_id], {paper_id: len(units)})
    record = records[paper_id]
    cosines = sentences[paper_id] @ query_vector
    return dense_score(float(cosines.max()), record.weight * float(record.vector @ query_vector)), units, cosines


def test_every_hit_carries_its_exact_dense_score_and_sentence_window(assistant):
    """Whether a paper came from the vector query (a sentence, its paper record, or both) or from the
    keywords alone, its similarity is the same sentence + paper vector score, and its text is its
    best sentence with the sentences around it."""
    import numpy as np

    keyword_only = 0
    # an acronym the embedder knows nothing of: its papers come from the keyword side
    for question in ("Which method reuses ImageNet weights with group normalization and weight standardization?",
                     "What does GATE stand for?"):
        hits = assistant.retrieve(question, k=10)
        vector = assistant.embedder.embed_query(question)
        for hit in hits:
            score, units, cosines = _exact_dense_score(assistant, hit.paper_id, vector)
            assert hit.similarity == round(score, 4)
            best = int(np.argmax(cosines))
            assert hit.text == " ".join(units[max(0, best - 1): best + 2])
        matched = {m.paper_id for m in assistant.store.query(vector, assistant.config.dense_candidates)}
        keyword_only += sum(h.paper_id not in matched for h in hits)
    assert keyword_only  # some hits came from the keyword side only


def test_sentence_vectors_for_answers_come_from_the_index(assistant, monkeypatch):
    """Answering reads the stored sentence chunks: no embedding of the top papers' sentences at question time."""
    import numpy as np

    from rag_assistant.evidence import SentenceIndex

    paper = next(p for p in assistant.papers.values() if p.title.startswith("Big Transfer"))
    expected = assistant.embedder.embed(list(SentenceIndex(assistant.embedder, assistant.papers).sentences(
        paper.paper_id)[0]))
    index = SentenceIndex(assistant.embedder, assistant.papers, assistant.store)
    monkeypatch.setattr(assistant.embedder, "embed", lambda *a, **k: (_ for _ in ()).throw(AssertionError("embedded")))
    sentences, vectors = index.sentences(paper.paper_id)
    assert " ".join(sentences) == " ".join(paper.abstract.split())
    assert vectors.shape == expected.shape
    assert np.min(np.sum(vectors * expected, axis=1)) > 0.999  # the same vectors (bf16 batches differ slightly)


def test_paper_vector_weighs_the_centroid_and_the_title():
    rng = np.random.default_rng(0)
    sentences = rng.normal(size=(5, 8))
    sentences /= np.linalg.norm(sentences, axis=1, keepdims=True)
    title = rng.normal(size=8)
    title /= np.linalg.norm(title)
    query = rng.normal(size=8)
    query /= np.linalg.norm(query)
    unit, weight = paper_vector(sentences, title)
    centroid = sentences.mean(axis=0) / np.linalg.norm(sentences.mean(axis=0))
    assert np.linalg.norm(unit) == pytest.approx(1.0, abs=1e-6)
    assert weight * float(unit @ query) == pytest.approx(
        CENTROID_WEIGHT * float(centroid @ query) + TITLE_WEIGHT * float(title @ query), abs=1e-5)
    best = float((sentences @ query).max())
    assert dense_score(best, weight * float(unit @ query)) == pytest.approx(
        SENTENCE_WEIGHT * best + weight * float(unit @ query))
    assert SENTENCE_WEIGHT + CENTROID_WEIGHT + TITLE_WEIGHT == pytest.approx(1.0)  # a perfect match scores 1


def test_a_sentence_the_approximate_index_missed_still_scores_its_paper(assistant, monkeypatch):
    """The vector index is approximate (HNSW): on another machine it may return a paper's second-best
    sentence and miss its best. A hit's score and passage are the same either way."""
    question = "Which papers pre-train speech representations without labels?"
    expected = {h.paper_id: (h.similarity, h.text) for h in assistant.retrieve(question, k=5)}
    query = type(assistant.store).query

    def missing_each_papers_best_sentence(self, embedding, n, where=None):
        matches, seen = [], set()
        for m in query(self, embedding, n, where):  # nearest first: drop each paper's first sentence
            if not m.is_paper and m.paper_id not in seen:
                seen.add(m.paper_id)
                continue
            matches.append(m)
        return matches

    monkeypatch.setattr(type(assistant.store), "query", missing_each_papers_best_sentence)
    hits = assistant.retrieve(question, k=5)
    assert {h.paper_id: (h.similarity, h.text) for h in hits} == expected
