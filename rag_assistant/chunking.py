"""Sentence chunking: Paper -> one Chunk per sentence of its abstract.

A sentence is the unit the assistant answers with (evidence is quoted sentence by sentence,
citations are verified against sentences), so it is also the unit that is embedded and stored:
retrieval finds the sentence that matches, and answering reads the stored sentence vectors
instead of embedding the top papers' sentences again for every question. Each sentence is
embedded on its own, once: no overlap, no title repeated in every chunk. The paper as a whole
is represented by a paper vector built from its sentences and its title (``retrieval.paper_vector``),
stored with the chunks.

A sentence longer than the embedder's window (rare in abstracts) is split at word boundaries so
that no text is cut off.

>>> split_sentences("We propose X. It is fast (e.g. 2x). Results: 3.5% better!")
['We propose X.', 'It is fast (e.g. 2x).', 'Results: 3.5% better!']
>>> [c.text for c in chunk_paper(Paper("p1", "T", "One claim. Another claim."), len)]
['One claim.', 'Another claim.']
"""
from __future__ import annotations

from typing import Callable, Iterable

from .types import Chunk, Paper

TokenCounter = Callable[[str], int]
WINDOW_TOKENS = 254  # all-MiniLM-L6-v2 reads 256 word pieces, two of them [CLS] and [SEP]

# the model's streamed sentence: the abbreviations after which a full stop does not end it
ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "cf.", "Fig.", "fig.", "Eq.", "approx.", "resp.", "etc.", "ca.",
                 "U.S.", "U.K.", "E.U.", "No.", "Dr.", "pp.")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences with Bling Fire's sentence breaker (trained boundaries that know
    abbreviations across fields: "U.S.", "ca.", "i.e.", "Fig. 3"); each sentence is verbatim text.

    >>> split_sentences("The U.S. economy grew 2.3% ca. 2021, i.e. slowly. Growth then slowed.")
    ['The U.S. economy grew 2.3% ca. 2021, i.e. slowly.', 'Growth then slowed.']
    """
    import blingfire

    text = " ".join(text.split())
    if not text:
        return []
    return [s for s in blingfire.text_to_sentences(text).split("\n") if s.strip()]


def _split_long(sentence: str, budget: int, count: TokenCounter) -> list[str]:
    """Break a sentence longer than the budget at word boundaries."""
    pieces, current, size = [], [], 0
    for word in sentence.split():
        n = count(word)
        if current and size + n > budget:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(word)
        size += n
    if current:
        pieces.append(" ".join(current))
    return pieces


def sentence_units(abstract: str, count: TokenCounter, window: int = WINDOW_TOKENS) -> list[str]:
    """The texts of an abstract's chunks, in order: its sentences, a sentence longer than ``window``
    word pieces split at word boundaries. A word piece covers at least one character, so a sentence
    of at most ``window`` characters fits without being counted; only the longer ones are."""
    return [piece for s in split_sentences(abstract)
            for piece in (_split_long(s, window, count) if len(s) > window and count(s) > window else [s])]


def chunk_id(paper_id: str, position: int) -> str:
    """A sentence chunk's id: from the paper and the position, so re-ingesting is idempotent. (The
    "s" keeps them apart from the ids of the 200-token chunks of earlier indexes, ``{paper_id}:0``...)

    >>> chunk_id("0123456789abcdef", 2)
    '0123456789abcdef:s2'
    """
    return f"{paper_id}:s{position}"


def chunk_paper(paper: Paper, count: TokenCounter, window: int = WINDOW_TOKENS) -> list[Chunk]:
    """One chunk per sentence, in order."""
    return [Chunk(chunk_id(paper.paper_id, i), paper.paper_id, paper.title, text, i)
            for i, text in enumerate(sentence_units(paper.abstract, count, window))]


def chunk_papers(papers: Iterable[Paper], count: TokenCounter, window: int = WINDOW_TOKENS,
                 count_many: Callable[[list[str]], list[int]] | None = None) -> list[Chunk]:
    """Chunks of many papers. With ``count_many`` (a batch tokenizer), the sentences long enough to
    need counting are counted in one call up front."""
    papers = list(papers)
    if count_many is not None:
        long = list(dict.fromkeys(s for p in papers for s in split_sentences(p.abstract) if len(s) > window))
        known = dict(zip(long, count_many(long))) if long else {}
        single = count

        def count(text: str) -> int:
            n = known.get(text)
            return single(text) if n is None else n

    return [c for p in papers for c in chunk_paper(p, count, window)]


def word_count(text: str) -> int:
    """A tokenizer-free stand-in for tests: about 1.3 word pieces per word."""
    return int(len(text.split()) * 1.3) + 1
