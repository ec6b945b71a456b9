
from rag_assistant.chunking import WINDOW_TOKENS, chunk_paper, chunk_papers, sentence_units, split_sentences, word_count
from rag_assistant.corpus import load_corpus
from rag_assistant.types import Paper


def test_split_sentences_keeps_abbreviations_and_numbers():
    text = "We use CLIP (e.g. ViT-B). It reaches 3.5% gains, i.e. more. Finally, code is public."
    assert split_sentences(text) == ["We use CLIP (e.g. ViT-B).", "It reaches 3.5% gains, i.e. more.",
                                     "Finally, code is public."]


def test_one_chunk_per_sentence_with_positional_ids():
    paper = Paper("p1", "A Title", "We propose X. It is fast (e.g. 2x). Results: 3.5% better!")
    chunks = chunk_paper(paper, word_count)
    assert [c.text for c in chunks] == split_sentences(paper.abstract)
    assert [c.chunk_id for c in chunks] == ["p1:s0", "p1:s1", "p1:s2"]
    assert [c.position for c in chunks] == [0, 1, 2] and {c.title for c in chunks} == {"A Title"}


def test_a_sentence_longer_than_the_window_is_split_and_nothing_is_lost():
    sentence = "Word " + " ".join(f"word{i}" for i in range(500))
    units = sentence_units(f"Short one. {sentence}.", word_count, window=50)
    assert units[0] == "Short one." and len(units) > 10
    assert all(word_count(u) <= 50 for u in units[1:])
    assert " ".join(units[1:]) == f"{sentence}."


def test_short_sentences_are_never_counted():
    counted = []

    def count(text):
        counted.append(text)
        return len(text)

    sentence_units("A short sentence. Another short one.", count)
    assert counted == []  # a word piece covers at least one character: short sentences fit


def test_real_abstracts_fit_minilm_window(corpus_dir, embedder):
    papers = load_corpus([corpus_dir])
    chunks = chunk_papers(papers, embedder.count_tokens, count_many=embedder.count_tokens_many)
    assert len(chunks) > 2000  # about eight sentences per abstract
    assert max(embedder.count_tokens_many([c.text for c in chunks])) <= WINDOW_TOKENS
    by_paper = {}
    for c in chunks:
        by_paper.setdefault(c.paper_id, []).append(c.text)
    assert all(" ".join(by_paper[p.paper_id]) == " ".join(p.abstract.split()) for p in papers)


def test_chunks_cover_the_whole_abstract(embedder):
    abstract = " ".join(f"Claim {i} is supported by experiment {i}." for i in range(80))
    joined = " ".join(c.text for c in chunk_paper(Paper("p1", "A Title", abstract), embedder.count_tokens))
    for i in range(80):
        assert f"Claim {i} is" in joined


def test_batch_counted_chunks_equal_one_by_one(corpus_dir, embedder):
    papers = load_corpus([corpus_dir])
    papers.append(Paper("long", "Long", " ".join(["transformer"] * 400) + ". Done."))
    assert embedder.count_tokens_many(["Big Transfer", "", "crowd counting"]) == [
        embedder.count_tokens("Big Transfer"), 0, embedder.count_tokens("crowd counting")]
    one_by_one = [c for p in papers for c in chunk_paper(p, embedder.count_tokens)]
    assert chunk_papers(papers, embedder.count_tokens, count_many=embedder.count_tokens_many) == one_by_one
    long = [c.text for c in one_by_one if c.paper_id == "long"]
    assert len(long) > 2 and long[-1] == "Done." and max(embedder.count_tokens_many(long)) <= WINDOW_TOKENS
