from rag_assistant.chunking import chunk_paper, chunk_papers, pack_sentences, split_sentences, word_count
from rag_assistant.corpus import load_corpus
from rag_assistant.types import Paper


def test_split_sentences_keeps_abbreviations_and_numbers():
    text = "We use CLIP (e.g. ViT-B). It reaches 3.5% gains, i.e. more. Finally, code is public."
    assert split_sentences(text) == ["We use CLIP (e.g. ViT-B).", "It reaches 3.5% gains, i.e. more.",
                                     "Finally, code is public."]


def test_pack_respects_budget_and_overlaps():
    sentences = [f"Sentence number {i} has a few words." for i in range(20)]
    texts = pack_sentences(sentences, budget=40, count=word_count, overlap=15)
    assert all(word_count(t) <= 40 for t in texts)
    assert len(texts) > 3
    assert texts[1].startswith(texts[0].split(". ")[-1].rstrip("."))  # last sentence carried over


def test_very_long_sentence_is_split():
    sentence = " ".join(["word"] * 500)
    texts = pack_sentences([sentence], budget=50, count=word_count, overlap=10)
    assert len(texts) > 5 and all(word_count(t) <= 50 for t in texts)


def test_real_abstracts_fit_minilm_window(corpus_dir, embedder):
    papers = load_corpus([corpus_dir])
    long_ones = 0
    for paper in papers:
        chunks = chunk_paper(paper, embedder.count_tokens)
        assert [c.chunk_id for c in chunks] == [f"{paper.paper_id}:{i}" for i in range(len(chunks))]
        for chunk in chunks:
            assert embedder.count_tokens(f"{paper.title}. {chunk.text}") <= 254
        long_ones += len(chunks) > 1
    assert long_ones > 100  # about half the abstracts exceed the 256-token window


def test_chunks_cover_the_whole_abstract(embedder):
    abstract = " ".join(f"Claim {i} is supported by experiment {i}." for i in range(80))
    paper = Paper("p1", "A Title", abstract)
    joined = " ".join(c.text for c in chunk_paper(paper, embedder.count_tokens))
    for i in range(80):
        assert f"Claim {i} is" in joined


def test_batch_counted_chunks_equal_one_by_one(corpus_dir, embedder):
    papers = load_corpus([corpus_dir])
    assert embedder.count_tokens_many(["Big Transfer", "", "crowd counting"]) == [
        embedder.count_tokens("Big Transfer"), 0, embedder.count_tokens("crowd counting")]
    one_by_one = [c for p in papers for c in chunk_paper(p, embedder.count_tokens)]
    assert chunk_papers(papers, embedder.count_tokens, count_many=embedder.count_tokens_many) == one_by_one
