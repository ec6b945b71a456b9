"""Hybrid retrieval: dense (Chroma) + keyword (BM25), fused by reciprocal rank, at paper level.

A paper never appears twice; each hit carries its fused score, its best dense
cosine similarity (the relevance signal used to abstain) and its best chunk.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .types import Hit, Paper

_STOPWORDS = "en"


class KeywordIndex:
    """BM25 over title + abstract of every paper (bm25s, Snowball-stemmed); rebuilt in ms on load."""

    def __init__(self, papers: list[Paper]):
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self.paper_ids = [p.paper_id for p in papers]
        self.retriever = bm25s.BM25()
        if papers:
            tokens = bm25s.tokenize(
                [f"{p.title} {p.title} {p.abstract}" for p in papers],
                stopwords=_STOPWORDS, stemmer=self._stemmer, show_progress=False,
            )
            self.retriever.index(tokens, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(paper_id, bm25 score) best first; empty when no query term is in the vocabulary."""
        if not self.paper_ids:
            return []
        tokens = self._bm25s.tokenize([_split_compounds(query)], stopwords=_STOPWORDS, stemmer=self._stemmer,
                                      show_progress=False)
        if not tokens.ids or not tokens.ids[0]:
            return []
        k = min(k, len(self.paper_ids))
        try:
            docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        except (ValueError, KeyError):
            return []
        return [(self.paper_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def _split_compounds(query: str) -> str:
    """Keep hyphenated names findable both whole and split: 'R2-Tuning' -> 'R2-Tuning R2 Tuning'."""
    extra = [part for word in re.findall(r"\S+-\S+", query) for part in word.split("-")]
    return " ".join([query, *extra])


def rrf(rankings: list[list[str]], k: int = 60, weights: list[float] | None = None) -> dict[str, float]:
    """Reciprocal rank fusion: sum of weight / (k + rank) over the rankings an item appears in.

    >>> sorted(rrf([["a", "b"], ["b", "c"]], k=0).items())
    [('a', 1.0), ('b', 1.5), ('c', 0.5)]
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


@dataclass
class HybridRetriever:
    """Dense + BM25 retrieval over a ``ChromaStore`` and the papers it holds."""

    store: object
    embedder: object
    papers: dict[str, Paper]
    keyword: KeywordIndex
    dense_candidates: int = 60
    keyword_candidates: int = 60
    rrf_k: int = 60

    def search(self, query: str, k: int = 10) -> list[Hit]:
        query_vector = self.embedder.embed_query(query)
        matches = self.store.query(query_vector, self.dense_candidates)
        best: dict[str, tuple[float, str]] = {}
        for m in matches:  # paper level: the best chunk of each paper
            if m.paper_id not in best or m.similarity > best[m.paper_id][0]:
                best[m.paper_id] = (m.similarity, m.text)
        dense_rank = sorted(best, key=lambda pid: -best[pid][0])
        keyword_rank = [pid for pid, _ in self.keyword.search(query, self.keyword_candidates)]
        fused = rrf([dense_rank, keyword_rank], k=self.rrf_k)
        ranked = sorted(fused, key=lambda pid: -fused[pid])[:k]
        missing = [pid for pid in ranked if pid not in best]
        if missing:
            best.update(self.store.best_chunks(query_vector, missing))
        hits = []
        for rank, pid in enumerate(ranked, start=1):
            similarity, text = best.get(pid, (0.0, ""))
            paper = self.papers.get(pid)
            title = paper.title if paper else pid
            hits.append(Hit(pid, title, round(fused[pid], 6), text, round(float(similarity), 4), rank))
        return hits


def cosine_scores(query_vector: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity of normalized vectors."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.float32)
    return vectors @ np.asarray(query_vector, dtype=np.float32)
