"""Sentence-aware chunking: Paper -> Chunks that fit the embedder's token window.

Sentences are packed greedily until the token budget is reached; the next chunk
starts with the previous chunk's last sentence when it fits (overlap). Each chunk
is embedded as ``"{title}. {text}"``, so the title rides along with every chunk.

>>> split_sentences("We propose X. It is fast (e.g. 2x). Results: 3.5% better!")
['We propose X.', 'It is fast (e.g. 2x).', 'Results: 3.5% better!']
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from .types import Chunk, Paper

TokenCounter = Callable[[str], int]

# A sentence ends at . ! ? followed by whitespace and an upper-case letter, digit,
# quote or bracket; common abbreviations (e.g., i.e., et al., vs.) do not end one.
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[$]?[A-Z0-9])")
ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "cf.", "Fig.", "fig.", "Eq.", "approx.", "resp.", "etc.")


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences (regex, abbreviation-aware)."""
    parts = _BOUNDARY.split(" ".join(text.split()))
    sentences: list[str] = []
    for part in parts:
        if sentences and sentences[-1].endswith(ABBREVIATIONS):
            sentences[-1] = f"{sentences[-1]} {part}"
        elif part:
            sentences.append(part)
    return sentences


def embed_text(title: str, text: str) -> str:
    """The string that is embedded for a chunk: the title carries context into every chunk."""
    return f"{title}. {text}"


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


def pack_sentences(sentences: Iterable[str], budget: int, count: TokenCounter, overlap: int) -> list[str]:
    """Greedy packing of sentences into texts of at most ``budget`` tokens.

    Each sentence is counted once and a text's count is the sum of its sentences' counts: exact
    for MiniLM's WordPiece tokenizer, which splits on whitespace before anything else (checked on
    all 1,933 adjacent sentence pairs of the bundled corpus), and an overestimate for the
    tokenizer-free ``word_count``. Counting every candidate text again took 0.6 s of ingest.
    """
    units = [piece for s in sentences for piece in (_split_long(s, budget, count) if count(s) > budget else [s])]
    sizes = [count(u) for u in units]
    texts: list[str] = []
    current: list[str] = []
    size = 0
    for unit, n in zip(units, sizes):
        if current and size + n > budget:
            texts.append(" ".join(current))
            tail, tail_size = current[-1], last
            current, size = ([tail], tail_size) if tail_size <= overlap and tail_size + n <= budget else ([], 0)
        current.append(unit)
        size += n
        last = n
    if current:
        texts.append(" ".join(current))
    return texts


def chunk_paper(paper: Paper, count: TokenCounter, chunk_tokens: int = 200, overlap_tokens: int = 40,
                window: int = 256) -> list[Chunk]:
    """Chunks of one paper; ids are ``{paper_id}:{position}`` so re-ingesting is idempotent."""
    budget = max(32, min(chunk_tokens, window - 4 - count(paper.title)))
    texts = pack_sentences(split_sentences(paper.abstract), budget, count, overlap_tokens)
    return [
        Chunk(chunk_id=f"{paper.paper_id}:{i}", paper_id=paper.paper_id, title=paper.title, text=text, position=i)
        for i, text in enumerate(texts)
    ]


def chunk_papers(papers: Iterable[Paper], count: TokenCounter, chunk_tokens: int = 200, overlap_tokens: int = 40,
                 count_many: Callable[[list[str]], list[int]] | None = None) -> list[Chunk]:
    """Chunks of many papers. With ``count_many`` (a batch tokenizer), every title and sentence is
    counted in one call up front (one call per sentence took 0.4 s of the bundled collection's ingest)."""
    papers = list(papers)
    if count_many is not None:
        texts = list(dict.fromkeys(t for p in papers for t in (p.title, *split_sentences(p.abstract))))
        known = dict(zip(texts, count_many(texts)))
        single = count

        def count(text: str) -> int:
            n = known.get(text)
            return single(text) if n is None else n

    return [c for p in papers for c in chunk_paper(p, count, chunk_tokens, overlap_tokens)]


def word_count(text: str) -> int:
    """A tokenizer-free stand-in for tests: about 1.3 word pieces per word."""
    return int(len(text.split()) * 1.3) + 1
