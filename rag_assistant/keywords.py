"""Keyword search: BM25 over every paper's title and abstract, and the index of rare names
(acronyms, model names) that points a question at the few papers holding one.

>>> KeywordIndex([]).search("anything", 5)
[]
"""
from __future__ import annotations

import math
import re
import threading

import numpy as np

from .terms import name_terms
from .types import Paper

RARE_NAME_PAPERS = 3  # a name found in at most this many papers points at them
_TOKEN = re.compile(r"[\w][\w\-]*")
_BM25_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s' own word pattern, so stems match its vocabulary

# Question words matter: bm25s' short English list lacks "what", "which", "how"... so titles
# such as "What to Pre-Train on?" would outrank the paper an acronym question is about.
QUESTION_WORDS = (
    "what which who whom whose how why when where does do did is are was were can could should would will "
    "paper papers work works study collection describe explain tell me please give kind used use using meant "
    "there any about"
).split()


def _stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return sorted(set(STOPWORDS_EN_PLUS) | set(QUESTION_WORDS))


class KeywordIndex:
    """BM25 over title + abstract of every paper (bm25s, Snowball-stemmed); rebuilt from the papers on load."""

    def __init__(self, papers: list[Paper]):
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self.paper_ids = [p.paper_id for p in papers]
        self.stopwords = _stopwords()
        self._stop_set = set(self.stopwords)
        self._lock = threading.Lock()  # the Snowball stemmer object is not thread-safe
        self._masks: dict[frozenset[str], np.ndarray] = {}
        self._tokens: dict[str, set[str]] | None = None
        self._tokens_size = 0
        self.retriever = bm25s.BM25()
        if papers:
            tokens = bm25s.tokenize(
                [f"{p.title} {p.title} {p.abstract}" for p in papers],
                stopwords=self.stopwords, stemmer=self._stemmer, show_progress=False,
            )
            self.retriever.index(tokens, show_progress=False)
            self._vocab = tokens.vocab
            self._doc_ids = {pid: i for i, pid in enumerate(self.paper_ids)}
            self._doc_tokens = tokens.ids
            counts: dict[int, int] = {}
            for ids in tokens.ids:
                for token in set(ids):
                    counts[token] = counts.get(token, 0) + 1
            self._doc_freq = counts
        self._id_of = getattr(self, "_vocab", {})
        self._stem_of = {i: t for t, i in self._id_of.items()}

    def stems(self, text: str) -> list[str]:
        """The text's words as this index sees them (lower-cased, stop words out, Snowball-stemmed)."""
        words = [w for w in _BM25_TOKEN.findall(text.lower()) if w not in self._stop_set]
        with self._lock:
            return [s for s in self._stemmer.stemWords(words) if len(s) > 1]

    def paper_stems(self, paper_id: str) -> frozenset[str]:
        """The stems of a paper's title and abstract (as indexed)."""
        row = getattr(self, "_doc_ids", {}).get(paper_id)
        if row is None:
            return frozenset()
        return frozenset(self._stem_of[i] for i in self._doc_tokens[row] if i in self._stem_of)

    def idf(self, stem: str) -> float:
        """How rare a stem is in the collection, scaled to 0..1 (1: in no paper or in one)."""
        n = len(self.paper_ids)
        if n < 2:
            return 1.0
        df = getattr(self, "_doc_freq", {}).get(self._id_of.get(stem, -1), 0)
        return min(1.0, math.log(n / max(1, df)) / math.log(n))

    def name_matches(self, query: str, papers: dict[str, Paper], allowed: set[str] | None = None) -> list[str]:
        """Papers that mention a rare name from the query (e.g. 'OSBORN'), best BM25 first.

        Dense embeddings know nothing of new acronyms; an exact, rare name is strong evidence.
        A token index (built once) keeps this a dictionary lookup at any collection size.
        """
        index = self._token_index(papers)
        found: list[str] = []
        for name in name_terms(query):
            key = name.lower()
            holders = index.get(key, set()) | index.get(key.replace("-", ""), set())
            if not (name.isupper() or name.islower()):  # "BiT" is not "bit" (as in "low-bit")
                exact = index.get("=" + name, set()) | index.get("=" + name.replace("-", ""), set())
                holders = exact or holders
            if 0 < len(holders) <= RARE_NAME_PAPERS:
                found += sorted(pid for pid in holders if pid not in found and (allowed is None or pid in allowed))
        return found

    def _token_index(self, papers: dict[str, Paper]) -> dict[str, set[str]]:
        if self._tokens is None or self._tokens_size != len(papers):
            index: dict[str, set[str]] = {}
            for pid, paper in papers.items():
                for token in set(_TOKEN.findall(paper.named_text)):
                    token = token.strip("-")
                    for key in {token, token.replace("-", ""), *token.split("-")}:
                        index.setdefault(key.lower(), set()).add(pid)
                        if not (key.isupper() or key.islower()):  # mixed case, kept exactly too
                            index.setdefault("=" + key, set()).add(pid)
            self._tokens, self._tokens_size = index, len(papers)
        return self._tokens

    def _mask(self, allowed: frozenset[str] | set[str]) -> np.ndarray:
        """1 for the allowed papers, 0 for the rest; the last few masks are kept (a chat asks many
        questions under the same filter, and building one costs a pass over the allowed papers)."""
        key = frozenset(allowed)  # a frozenset passed in is its own key, its hash computed once
        mask = self._masks.pop(key, None)
        if mask is None:
            mask = np.zeros(len(self.paper_ids), dtype=np.float32)
            mask[[self._doc_ids[pid] for pid in key if pid in self._doc_ids]] = 1.0
        self._masks[key] = mask
        while len(self._masks) > 8:
            self._masks.pop(next(iter(self._masks)))
        return mask

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(paper_id, bm25 score) best first; empty when no query term is in the vocabulary. With
        ``allowed``, only those papers are scored (a mask inside the search, not a drop after it)."""
        if not self.paper_ids:
            return []
        with self._lock:
            tokens = self._bm25s.tokenize([_split_compounds(query)], stopwords=self.stopwords,
                                          stemmer=self._stemmer, show_progress=False)
        if not tokens.ids or not tokens.ids[0]:
            return []
        mask = None if allowed is None else self._mask(allowed)
        if mask is not None and not mask.any():
            return []
        k = min(k, len(self.paper_ids) if mask is None else int(mask.sum()))
        try:
            docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1, weight_mask=mask)
        except (ValueError, KeyError):
            return []
        return [(self.paper_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def _split_compounds(query: str) -> str:
    """Keep hyphenated names findable both whole and split: 'R2-Tuning' -> 'R2-Tuning R2 Tuning'."""
    extra = [part for word in re.findall(r"\S+-\S+", query) for part in word.split("-")]
    return " ".join([query, *extra])
