"""The answer to a question the assistant decided to answer, by the question's kind: every relevant
paper for "which papers ...?", the best match for "which paper ...?", else the model's verified
first sentence (or the evidence alone) followed by the rest of the evidence, quoted.

Which papers and sentences: ``evidence.py``; the answer's text: ``composing.py``; whether to
answer at all: ``answerability.py``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import composing
from .answerability import Decision
from .citations import MarkerFilter, verify
from .config import Config
from .evidence import SentenceIndex, focus, further_asks, list_candidates, select_sources, specific_asks
from .routing import QuestionKind
from .types import Answer, Hit, Paper, Timings

TERM_IDF = 0.4  # idf scaled to 0..1: log(n / df) / log(n) >= 0.4 is df <= n^0.6


@dataclass(frozen=True)
class Assessment:
    """A question routed, its papers retrieved, and the decision whether to answer it (None: an
    instruction, not a question)."""

    question: str
    kind: QuestionKind
    query: str
    hits: tuple[Hit, ...]
    question_vector: np.ndarray
    decision: Decision | None
    retrieval_s: float


@dataclass(eq=False)
class Answerer:
    """Writes the answer to an assessed question from the collection's ``papers``: their sentence
    vectors (``sentences``), the keyword index (which words are rare enough to name a subject) and
    the generator that ``generator()`` returns (None: extractive answers, no model)."""

    config: Config
    embedder: Any
    sentences: SentenceIndex
    papers: dict[str, Paper]
    keyword: Any
    generator: Callable[[], object]

    def answer(self, assessment: Assessment, start: float) -> Iterator[str | Answer]:
        """Yield the answer's text pieces, then the final ``Answer`` (timed from ``start``)."""
        a, cfg = assessment, self.config
        question, question_vector, hits = a.question, a.question_vector, list(a.hits)
        if a.decision.record:  # who wrote it, when or where it was published: the paper's record
            top = next(h for h in hits if h.paper_id in self.papers)  # the paper the decision read
            result, mode = composing.record_answer(top, self.papers[top.paper_id], a.decision.record), "record"
            yield result.text
            first = time.perf_counter() - start
        elif a.kind is QuestionKind.LIST:
            chosen = list_candidates(hits, cfg.list_min_similarity, cfg.list_margin, cfg.list_max_papers,
                                     cfg.list_min_score)
            # "... ? Compare what they were evaluated on.": each paper also says that, and what it found
            asks = further_asks(question)
            per_paper = 3 if asks else 2
            sources = select_sources(chosen, self.sentences, question, question_vector, max_papers=len(chosen),
                                     max_sentences=per_paper * len(chosen) + 1, per_paper=per_paper, cover=True,
                                     asks=specific_asks(asks), lead_extra=not asks)
            sources = [renumber(s, hits) for s in sources]
            result, mode = composing.list_answer(sources, every=bool(asks)), "list"
            yield result.text
            first = time.perf_counter() - start
        elif a.kind is QuestionKind.WHICH_PAPER:
            sources = select_sources(hits[:1], self.sentences, question, question_vector, max_papers=1,
                                     max_sentences=cfg.paper_sentences, per_paper=cfg.paper_sentences - 1, cover=True)
            result, mode = composing.paper_answer(sources), "paper"
            yield result.text
            first = time.perf_counter() - start
        else:
            result, mode, first = yield from self._grounded(question, a.kind, question_vector, hits, start)
        total = time.perf_counter() - start
        yield Answer(question, result.text, result.citations, tuple(hits), False, a.query, mode,
                     Timings(a.retrieval_s, first, total), a.decision.probability)

    def _grounded(self, question, kind, question_vector, hits, start):
        """An ordinary question: the model's verified first sentence (or a bare answer span it
        copied), then the rest of the evidence verbatim; the evidence alone when nothing the
        model wrote verifies, or with no model. Returns (Verified, mode, first-token seconds)."""
        cfg = self.config
        overview = kind is QuestionKind.OVERVIEW
        sources, compare = self._evidence(question, kind, question_vector, hits)
        result, mode, first = None, "extractive", 0.0
        generator = self.generator()
        if generator is not None:
            shown = composing.prompt_sources(sources, cfg.prompt_sentences)
            raw, first = yield from self._generate(generator, question, shown, start)
            result, mode = verify(raw, sources, self.sentences, self.embedder, question, self.is_term), "generated"
            if not result.citations:  # "86.3%": a bare answer span copied from the evidence
                result = composing.span_answer(raw, shown) or result
        budget = cfg.overview_answer_sentences if overview else cfg.answer_sentences
        if result is None or not result.citations:  # no model, or nothing it wrote was verifiable
            fallback = composing.list_answer(sources, "From the two papers:") if compare and len(sources) > 1 \
                else composing.extractive(sources, budget)
            result, mode = fallback, "extractive" if generator is None else "fallback"
        if overview:
            result = composing.with_expansion(result, question, sources, self.papers)
        if mode == "generated":
            result = composing.with_evidence(result, sources, budget, every_source=compare)
        if generator is None:
            yield result.text
            first = time.perf_counter() - start
        return result, mode, first

    def is_term(self, word: str) -> bool:
        """A word rare enough in the collection (in at most about one paper in ten) to name a subject."""
        stems = self.keyword.stems(word)
        return bool(stems) and self.keyword.idf(stems[0]) >= TERM_IDF

    def _evidence(self, question, kind, question_vector, hits):
        """Numbered sources for an ordinary question, and whether it compares two papers: both
        papers for a comparison (when retrieval puts them close), else the focused top paper(s);
        more sentences for "what is X / summarize X"."""
        cfg = self.config
        overview = kind is QuestionKind.OVERVIEW
        pair = [h for h in hits[:2] if h.similarity >= hits[0].similarity - cfg.compare_margin]
        compare = kind is QuestionKind.COMPARE and len(pair) == 2
        if compare:
            focused, budget = pair, 2 * cfg.compare_sentences
        else:
            # "summarize the paper on X" is about one paper: a close runner-up only invited the model
            # to summarize the wrong one
            focused = hits[:1] if overview else focus(hits, question, self.papers, cfg.evidence_papers,
                                                      cfg.evidence_margin)
            budget = cfg.overview_sentences if overview else cfg.evidence_sentences
        # "what is X / summarize X" wants what the paper does and finds, not only the sentences that
        # echo the question (often its background): ``cover`` adds its contribution and a finding
        sources = select_sources(focused, self.sentences, question, question_vector, max_papers=len(focused),
                                 max_sentences=budget,
                                 per_paper=cfg.compare_sentences if len(focused) > 1 else budget,
                                 cover=overview and not compare,
                                 background=cfg.overview_background_penalty if overview else 0.0)
        return sources, compare

    def _generate(self, generator, question, sources, start):
        """Stream the model's first sentence (markers checked on the fly); stop once it is complete."""
        messages = composing.build_messages(self.config.prompts_dir, question, sources)
        marker_filter = MarkerFilter({s.number for s in sources})
        raw, first = "", 0.0
        for piece in generator.stream(messages, self.config.lead_max_tokens):
            end = composing.first_sentence_end(raw + piece)
            if end is not None:
                piece = piece[:max(0, end - len(raw))]
            raw += piece
            shown = marker_filter.feed(piece)
            if shown:
                first = first or time.perf_counter() - start
                yield shown
            if end is not None or composing.degenerate(raw):
                break
        tail = marker_filter.flush()
        if tail:
            yield tail
        return raw, first or time.perf_counter() - start


def renumber(source, hits: Sequence[Hit]):
    """Number a source by its rank among all hits, so [n] always means sources[n-1]."""
    return replace(source, number=hits.index(source.hit) + 1)
