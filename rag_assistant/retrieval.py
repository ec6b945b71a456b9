"""Hybrid retrieval: dense (Chroma) + keyword (BM25), fused by adding scores, at paper level.

A paper never appears twice; each hit carries its fused score, its dense score (best sentence
and paper vector, on the cosine scale: the relevance signal used to abstain) and its best
sentence with its neighbours.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .chunking import sentence_units
from .errors import NoMatchingPapersError
from .filters import FilterIndex, Filters
from .filters import where as filter_where
from .keywords import KeywordIndex
from .types import Hit, Paper, PaperMeta

# Weights of the paper's dense score: SENTENCE_WEIGHT x its best sentence's cosine + the paper
# vector's share (CENTROID_WEIGHT x cosine to the mean of its sentence vectors + TITLE_WEIGHT x
# cosine to its title's vector). Chosen on the question files against 200-token chunks and other
# weights, which scored about the same (docs/retrieval.md).
SENTENCE_WEIGHT, CENTROID_WEIGHT, TITLE_WEIGHT = 0.3, 0.5, 0.2
# A paper's fused score = dense score + COVERAGE_WEIGHT x its coverage of the query's rarity-weighted
# words + NAME_WEIGHT if it holds a rare name from the query: fitted by pairwise logistic regression
# (gold paper above each other candidate) on the tune halves of the question files, see docs/retrieval.md.
COVERAGE_WEIGHT, NAME_WEIGHT = 0.56, 0.19
# Retrieval is unsure when its top two papers' fused scores are closer than this: chosen on the tune
# halves as the margin that holds most wrong first papers among few questions (docs/retrieval.md).
UNSURE_MARGIN = 0.05
# A filter admitting at least this share of the papers is applied to the vector query's results, over-
# fetched by OVERFETCH/share (at most 30x), instead of by Chroma's where (HybridRetriever._nearest):
# below that share, fetching enough records costs more than the where (measured at 100,000 papers,
# docs/scaling.md).
BROAD_FILTER_SHARE = 0.05
OVERFETCH = 1.5  # the admitted records expected among those fetched, in multiples of those wanted
MAX_PAPER_WEIGHT = CENTROID_WEIGHT + TITLE_WEIGHT  # a paper vector's weight is at most this (paper_vector)
# ---- a paper's dense score: its best sentence and its paper vector ----------------------------
def paper_vector(sentence_vectors: np.ndarray, title_vector: np.ndarray) -> tuple[np.ndarray, float]:
    """The paper's share of its dense score as (unit vector, weight): the query's cosine to the
    unit vector times the weight equals CENTROID_WEIGHT x cosine to the normalized mean of the
    sentence vectors + TITLE_WEIGHT x cosine to the title vector (all inputs L2-normalized).

    >>> v, w = paper_vector(np.array([[1.0, 0.0]]), np.array([1.0, 0.0]))
    >>> v.tolist(), round(w, 3)
    ([1.0, 0.0], 0.7)
    """
    combined = TITLE_WEIGHT * np.asarray(title_vector, dtype=np.float64)
    if len(sentence_vectors):
        centroid = np.asarray(sentence_vectors, dtype=np.float64).mean(axis=0)
        norm = np.linalg.norm(centroid)
        if norm > 0:
            combined = combined + CENTROID_WEIGHT * centroid / norm
    weight = float(np.linalg.norm(combined))
    unit = combined / weight if weight > 0 else combined
    return unit.astype(np.float32), weight


def dense_score(best_sentence: float | None, paper_share: float) -> float:
    """A paper's dense score from its best sentence's cosine and its paper vector's share
    (weight x cosine); a paper with no sentence scores on its paper vector alone."""
    return SENTENCE_WEIGHT * (best_sentence if best_sentence is not None else 0.0) + paper_share


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


def coverage(keyword: KeywordIndex, query: str, paper_ids) -> dict[str, float]:
    """Each paper's share of the query's words, weighted by rarity (``KeywordIndex.idf``): 1.0 when
    its title and abstract hold every word of the query, 0.0 when they hold none. A word found in no
    paper still counts in the whole, so a query of unknown words covers nothing anywhere."""
    weights = {stem: keyword.idf(stem) for stem in dict.fromkeys(keyword.stems(query))}
    total = sum(weights.values())
    if total <= 0:
        return dict.fromkeys(paper_ids, 0.0)
    shares = {}
    for pid in paper_ids:
        stems = keyword.paper_stems(pid)
        shares[pid] = sum(w for stem, w in weights.items() if stem in stems) / total
    return shares


def fuse(dense: dict[str, float], covered: dict[str, float], named: set[str],
         coverage_weight: float = COVERAGE_WEIGHT, name_weight: float = NAME_WEIGHT) -> dict[str, float]:
    """A paper's fused score: its dense score + ``coverage_weight`` x its coverage of the query's
    words + ``name_weight`` if it holds a rare name from the query.

    >>> fuse({"a": 0.6, "b": 0.5}, {"a": 0.0, "b": 0.5}, {"b"}, 0.4, 0.2)
    {'a': 0.6, 'b': 0.9}
    """
    papers = dict.fromkeys([*dense, *covered, *sorted(named)])
    return {pid: round(dense.get(pid, 0.0) + coverage_weight * covered.get(pid, 0.0) + name_weight * (pid in named), 6)
            for pid in papers}


@dataclass
class QueryRewriter:
    """A keyword rewrite by the local model: the technical terms it expects the abstract of the paper
    a question is about to use, for a query that retrieval is unsure of (``HybridRetriever.rewriter``).
    ``generator``: returns the generator (loaded on first use). Keeps count of its calls and seconds."""

    generator: Callable[[], object]
    prompts_dir: Path
    max_tokens: int = 48
    calls: int = 0
    seconds: float = 0.0

    def __call__(self, query: str) -> str:
        from .prompts import render

        start = time.perf_counter()
        messages = [{"role": "system", "content": render(self.prompts_dir, "rewrite_system")},
                    {"role": "user", "content": render(self.prompts_dir, "rewrite_user", question=query)}]
        text = "".join(self.generator().stream(messages, self.max_tokens))
        self.calls, self.seconds = self.calls + 1, self.seconds + time.perf_counter() - start
        return " ".join(re.sub(r"(?m)^\s*(?:[-*•]|\d+[.)])\s*", " ", text).split())  # list markers out


@dataclass(frozen=True)
class Scope:
    """The papers a search may return (None: all) and the store's ``where`` that admits them."""

    papers: frozenset[str] | None = None
    where: dict | None = None


@dataclass
class HybridRetriever:
    """Dense + BM25 retrieval over a ``ChromaStore`` and the papers it holds.

    A paper's dense score combines its best sentence and its paper vector (``dense_score``):
    the nearest records (sentences and paper records alike) name the candidate papers, and each
    candidate's missing half is looked up by id. BM25's best papers and those holding a rare name
    from the query join the candidates; all are ranked by ``fuse``: the dense score plus how much of
    the query's rarity-weighted words the paper holds. Scores, not ranks, are added, so a paper that
    only shares a few incidental words with the query cannot outrank the one that means what the
    question describes in other words, as reciprocal-rank fusion let it. With a ``rewriter``, a query
    whose top two papers score within ``unsure_margin`` is ranked again with the model's rewrite added.
    """

    store: object
    embedder: object
    papers: dict[str, Paper]
    keyword: KeywordIndex
    dense_candidates: int = 60
    keyword_candidates: int = 60
    rrf_k: int = 60
    coverage_weight: float = COVERAGE_WEIGHT
    name_weight: float = NAME_WEIGHT
    rewriter: Callable[[str], str] | None = None  # QueryRewriter, opt-in (Config.rewrite_queries)
    unsure_margin: float = UNSURE_MARGIN
    _units: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)  # abstract -> its chunk texts
    _filter_index: FilterIndex | None = field(default=None, repr=False)  # built on the first filtered search

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` best papers for the query; with ``filters``, the best of the papers that pass
        them (``NoMatchingPapersError`` when none does)."""
        scope = self.scope(filters)
        ranked, fused, dense = self._rank(query, max(k, 2), scope)
        if self.rewriter is not None and len(ranked) > 1 and fused[ranked[0]] - fused[ranked[1]] < self.unsure_margin:
            # a flat top: rank again with the terms the model expects such a paper to use; the hits keep
            # the question's own dense scores, on which answerability is calibrated
            ranked, fused, _ = self._rank(f"{query} {self.rewriter(query)}", k, scope)
            dense.exact(ranked)
        hits = []
        for rank, pid in enumerate(ranked[:k], start=1):
            paper = self.papers.get(pid)
            title = paper.title if paper else pid
            similarity = round(float(dense.scores.get(pid, 0.0)), 4)
            hits.append(Hit(pid, title, round(fused[pid], 6), dense.passage(pid), similarity, rank,
                            paper.meta if paper else PaperMeta()))
        return hits

    def scope(self, filters: Filters | None) -> Scope:
        """The papers ``filters`` admit, and the store's ``where`` for them (all papers: no filter)."""
        if not filters:
            return Scope()
        if self._filter_index is None or self._filter_index.papers is not self.papers:
            self._filter_index = FilterIndex(self.papers)
        allowed = self._filter_index.paper_ids(filters)
        if not allowed:
            raise NoMatchingPapersError(f"no paper in this collection matches the filters ({filters.describe()}). "
                                        "Widen or clear them; papers outside them are never searched")
        return Scope(allowed, filter_where(filters, allowed))

    def _rank(self, query: str, k: int, scope: Scope | None = None):
        """The top ``k`` paper ids by fused score, the fused scores, and the query's dense scores."""
        dense, covered, named, candidates = self._candidates(query, scope or Scope())
        fused = fuse(dense.scores, covered, named, self.coverage_weight, self.name_weight)
        # A paper found by keywords alone is looked up only if it could still make the top k: its
        # sentences and paper vector are no closer than the farthest record the vector query returned.
        kth = sorted((fused[pid] for pid in dense.scores), reverse=True)[k - 1:k]
        ceiling = dense_score(dense.floor, max(dense.floor, 0.0) * MAX_PAPER_WEIGHT)
        dense.complete([pid for pid in candidates if pid not in dense.scores
                        and (not kth or fused[pid] + ceiling > kth[0])])
        fused = fuse(dense.scores, covered, named, self.coverage_weight, self.name_weight)
        eligible = [pid for pid in candidates if pid in dense.scores or not kth]
        # The vector index is approximate: a paper it found by one sentence may hold a closer one it
        # missed. The top k are scored on all their sentences, so a hit's score and passage never
        # depend on what the index happened to return.
        dense.exact(sorted(eligible, key=lambda pid: -fused[pid])[:k])
        fused = fuse(dense.scores, covered, named, self.coverage_weight, self.name_weight)
        ranked = sorted(eligible, key=lambda pid: -fused[pid])[:k]
        return ranked, fused, dense

    def _candidates(self, query: str, scope: Scope):
        """The papers the vector query, BM25 and the query's rare names find within ``scope``: (their
        dense scores so far, every candidate's coverage of the query, the named papers, the candidates
        in order)."""
        query_vector = self.embedder.embed_query(query)
        dense = _DenseScores(self.store, query_vector, self.units)
        dense.add(self._nearest(query_vector, scope))
        keyword_rank = [pid for pid, _ in self.keyword.search(query, self.keyword_candidates, scope.papers)]
        named = set(self.keyword.name_matches(query, self.papers, scope.papers))
        candidates = list(dict.fromkeys([*dense.scores, *keyword_rank, *named]))
        return dense, coverage(self.keyword, query, candidates), named, candidates

    def _nearest(self, query_vector, scope: Scope) -> list:
        """The ``dense_candidates`` nearest records within ``scope``. A filter that admits a large share
        of the papers asks the vector index for OVERFETCH/share as many records and keeps those of
        admitted papers (Chroma's ``where`` scans the metadata of every record first: seconds at
        100,000 papers). Those are the nearest admitted records, however many pass; should fewer than
        half the wanted number pass, the query is repeated with the ``where``, so a filter never
        leaves the search short of the papers it admits."""
        n = self.dense_candidates
        if scope.where is None:
            return self.store.query(query_vector, n)
        share = len(scope.papers) / max(1, len(self.papers))
        if share >= BROAD_FILTER_SHARE:
            fetched = self.store.query(query_vector, math.ceil(OVERFETCH * n / share))
            found = [m for m in fetched if m.paper_id in scope.papers]
            if 2 * len(found) >= n:
                return found[:n]
        return self.store.query(query_vector, n, where=scope.where)

    def signals(self, query: str) -> dict[str, tuple[float, float, bool]]:
        """Every candidate paper's (dense score, coverage, holds a rare name from the query): what
        ``fuse`` weighs (scripts/fit_fusion.py fits its weights on them)."""
        dense, covered, named, candidates = self._candidates(query, Scope())
        dense.exact(candidates)
        return {pid: (dense.scores[pid], covered[pid], pid in named) for pid in candidates if pid in dense.scores}

    def units(self, paper_id: str) -> tuple[str, ...]:
        """The paper's chunk texts, in order (as ingest made them), computed from its abstract once."""
        paper = self.papers.get(paper_id)
        if paper is None:
            return ()
        units = self._units.get(paper.abstract)
        if units is None:
            units = self._units[paper.abstract] = tuple(sentence_units(paper.abstract, self.embedder.count_tokens))
        return units


class _DenseScores:
    """Papers' dense scores for one query: the records a vector query found, the rest looked up by id."""

    def __init__(self, store, query_vector, units):
        self.store, self.query_vector, self.units = store, query_vector, units
        self.best: dict[str, tuple[float, int]] = {}  # paper id -> (best sentence cosine, its position)
        self.share: dict[str, float] = {}  # paper id -> paper vector weight x cosine
        self.scores: dict[str, float] = {}
        self.floor = 1.0  # the lowest cosine among the records the vector query returned
        self.whole: set[str] = set()  # papers scored on all their sentences (looked up, not searched)

    def add(self, matches) -> None:
        for m in matches:
            self.floor = min(self.floor, m.similarity)
            if m.is_paper:
                self.share[m.paper_id] = m.weight * m.similarity
            elif m.paper_id not in self.best or m.similarity > self.best[m.paper_id][0]:
                self.best[m.paper_id] = (m.similarity, m.position)
        self.complete(list(dict.fromkeys([*self.best, *self.share])))

    def complete(self, paper_ids: list[str], every_sentence: bool = False) -> None:
        """Look up what the query did not find of these papers (paper record, sentences), then score
        them; with ``every_sentence``, all the sentences of those not yet looked up."""
        counts = {pid: len(self.units(pid)) for pid in paper_ids
                  if pid not in self.best or (every_sentence and pid not in self.whole)}
        missing = [pid for pid in paper_ids if pid not in self.share]
        records, sentences = self.store.lookup(missing, counts) if missing or counts else ({}, {})
        for pid, record in records.items():
            self.share[pid] = record.weight * float(record.vector @ self.query_vector)
        self.whole.update(counts)
        for pid, vectors in sentences.items():
            if len(vectors):
                cosines = vectors @ self.query_vector
                self.best[pid] = (float(cosines.max()), int(cosines.argmax()))
        for pid in paper_ids:
            if pid in self.share or pid in self.best:
                best = self.best.get(pid)
                self.scores[pid] = dense_score(best[0] if best else None, self.share.get(pid, 0.0))

    def exact(self, paper_ids: list[str]) -> None:
        """Score these papers on all their stored sentences."""
        self.complete(paper_ids, every_sentence=True)

    def passage(self, paper_id: str) -> str:
        """The paper's best sentence with its neighbours (a sentence window)."""
        if paper_id not in self.best:
            return ""
        position = self.best[paper_id][1]
        return " ".join(self.units(paper_id)[max(0, position - 1): position + 2])
