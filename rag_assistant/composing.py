"""The answer text: abstention, the prompt, the model's verified claim, quotes and citations
(which papers and sentences it rests on: ``evidence.py``; the flow: ``answering.py``)."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from .acronyms import expand
from .answerability import Decision
from .chunking import ABBREVIATIONS, split_sentences
from .citations import figures, strip_markers
from .evidence import CONTRIBUTION
from .prompts import render
from .terms import content_words, name_terms
from .types import Citation, Hit, Paper, Source, Verified

NOT_COVERED = "The collection does not cover this question."
INSTRUCTION = ("That reads as an instruction to the assistant, not a question about the papers; "
               "ask about what the collection's papers did or found.")


def abstention_text(nearest: Sequence[Hit], decision: Decision | None) -> str:
    """Why the assistant does not answer, and the nearest papers (which are not evidence).
    ``decision`` None: the question was an instruction, not a question."""
    if decision is None:
        return INSTRUCTION
    lines = [NOT_COVERED]
    if decision.record_missing:
        lines.append(f"An abstract does not say {_RECORD_ASKS[decision.record_missing[0]]}, and the collection's "
                     f"record of the closest paper gives no {' or '.join(decision.record_missing)}.")
    elif decision.missing_names:
        lines.append("No paper in it mentions " + ", ".join(f"\"{n}\"" for n in decision.missing_names) + ".")
    elif decision.no_figures and nearest:
        lines.append("The abstracts of the closest papers give no figures.")
    if nearest:
        lines.append("Nearest papers (not evidence): " + "; ".join(f"\"{h.title}\"" for h in nearest[:3]) + ".")
    return " ".join(lines)


_RECORD_ASKS = {"authors": "who wrote a paper", "year": "when it was published", "venue": "where it was published"}


def record_answer(hit: Hit, paper: Paper, fields: Sequence[str]) -> Verified:
    """The asked part of a paper's record (authors, year, venue), cited: what the collection's file
    gave for the paper, not something its abstract states.

    >>> p = Paper("p1", "Deep Nets", "An abstract.", authors=("Ann Lee", "Bo Chen"), year=2021, venue="NeurIPS")
    >>> print(record_answer(Hit("p1", "Deep Nets", 0.5, "", 0.5, 1), p, ("authors", "year")).text)
    The collection's record of "Deep Nets" [1] gives its authors as Ann Lee and Bo Chen and its year as 2021.
    """
    authors = list(paper.authors)
    names = (", ".join(authors[:-1]) + " and " + authors[-1]) if len(authors) > 1 else "".join(authors)
    if len(authors) > 8:
        names = ", ".join(authors[:8]) + " et al."
    values = {"authors": f"its authors as {names}", "year": f"its year as {paper.year}",
              "venue": f"its venue as {paper.venue}"}
    text = (f"The collection's record of \"{paper.title}\" [{hit.rank}] gives "
            + " and ".join(values[f] for f in fields) + ".")
    citation = Citation(paper.paper_id, paper.title, (), hit.rank, paper.meta)
    return Verified(text, (citation,), 1, 0)


def format_sources(sources: Sequence[Source]) -> str:
    """One line per source: ``[n] sentence(s) (from "Title")``. With the title as a header line
    the 0.5B model tended to copy the header back instead of answering."""
    return "\n".join(f"[{s.number}] " + " ".join(e.sentence for e in s.evidence) + f" (from \"{s.hit.title}\")"
                     for s in sources)


def build_messages(prompts_dir, question: str, sources: Sequence[Source]) -> list[dict[str, str]]:
    """System prompt (the same for every answer, so its KV cache is reused) and one user turn:
    the numbered sources, then the question. A follow-up's conversation is not in the prompt:
    it already chose the retrieval query, so the sources are about the paper "it" means. With
    the earlier turn in the prompt, the 0.5B model often copied the source block back instead of
    answering dev-set follow-ups, and covered fewer keypoints."""
    user = render(prompts_dir, "answer_user", sources=format_sources(sources), question=question)
    return [{"role": "system", "content": render(prompts_dir, "answer_system")}, {"role": "user", "content": user}]


def extractive(sources: Sequence[Source], max_sentences: int = 2,
               lead: str = "According to \"{title}\" [{number}]: ") -> Verified:
    """The top source's best evidence sentences, cited: the answer without an LLM, the answer to
    "which paper...?" questions, and the fallback when the model's answer fails verification."""
    if not sources or not sources[0].evidence:
        return Verified("", (), 0, 0)
    top = sources[0]
    best = sorted(top.evidence, key=lambda e: -e.score)[:max_sentences]
    chosen = [e.sentence for e in top.evidence if e in best]  # abstract order
    text = lead.format(title=top.hit.title, number=top.number) + " ".join(chosen)
    citation = Citation(top.hit.paper_id, top.hit.title, tuple(chosen), top.number, top.hit.meta)
    return Verified(text, (citation,), len(chosen), 0)


def with_expansion(result: Verified, question: str, sources: Sequence[Source], papers: dict) -> Verified:
    """'What is GOMs?': when a cited source's abstract spells out a name the question asks about
    and the answer does not, the answer starts with it ("GOMs stands for generalized occupancy
    models [1].") and the citation carries the defining sentence."""
    cited = {c.number: c for c in result.citations}
    for name in name_terms(question):
        for source in sources:
            paper = papers.get(source.hit.paper_id)
            long_form = expand(name, paper.abstract) if paper and source.number in cited else None
            if not long_form:
                continue
            if long_form.lower() in result.text.lower():
                return result
            defining = next((s for s in split_sentences(paper.abstract) if long_form in s), long_form)
            old = cited[source.number]
            cited[source.number] = replace(old, evidence=tuple(dict.fromkeys((defining,) + old.evidence)))
            text = f"{name} stands for {long_form} [{source.number}]. {result.text}"
            return Verified(text, tuple(cited[n] for n in sorted(cited)), result.kept + 1, result.dropped)
    return result


def prompt_sources(sources: Sequence[Source], per_source: int) -> list[Source]:
    """What the model reads: each source's ``per_source`` best evidence sentences (abstract order).
    Prompt tokens are the main cost of an answer on a CPU (docs/benchmark.md), so the
    model gets the sentence that best matches the question and writes the answer's first
    sentence; the rest of the evidence follows it verbatim (``with_evidence``)."""
    shown = []
    for source in sources:
        best = sorted(source.evidence, key=lambda e: -e.score)[:per_source]
        shown.append(replace(source, evidence=tuple(e for e in source.evidence if e in best)))
    return shown


_SENTENCE_DONE = re.compile(r"[.!?](?:\s*\[[^\]\[]{0,24}\])*(?=\s+[^\s\[])|\n\s*\n")


def first_sentence_end(text: str) -> int | None:
    """Where the first complete sentence of a streamed draft ends (its markers included), once the
    next sentence has begun; None while it has not. Decimals and markers do not end a sentence.

    >>> draft = "It is 6.5 times faster [1]. It also"
    >>> draft[:first_sentence_end(draft)], first_sentence_end("It is 6.5 times faster [1].")
    ('It is 6.5 times faster [1].', None)
    """
    match = _SENTENCE_DONE.search(text)
    while match and text[:match.start() + 1].endswith(ABBREVIATIONS):
        match = _SENTENCE_DONE.search(text, match.end())
    return match.end() if match else None


_MARKERS_ONLY = re.compile(r"^(?:\s*\[[^\]]*\]\s*)+$")


def degenerate(draft: str) -> bool:
    """A draft of nothing but citation markers ("[1] [1] [1] ..."): the model is looping, so stop it.

    >>> degenerate("[1] [1] [1]"), degenerate("[1] It is 2x faster"), degenerate("[1]")
    (True, False, False)
    """
    return draft.count("[") >= 3 and bool(_MARKERS_ONLY.match(draft))


def span_answer(draft: str, sources: Sequence[Source], max_words: int = 8) -> Verified | None:
    """A bare answer span ("86.3%", "40% ~ 80%", "15 minutes of unlabeled data") copied from one
    source's evidence is a direct answer: it becomes the answer's first sentence, cited, with the
    sentence it came from as its evidence. None when the draft is longer or occurs in no source.

    >>> from rag_assistant.types import Evidence, Hit
    >>> src = Source(1, Hit("p", "T", 1.0, "", 0.9, 1), (Evidence("p", "T", "It closes 86.3% of the gap.", 0.9),))
    >>> span_answer("86.3%", [src]).text, span_answer("42%", [src])
    ('86.3% [1].', None)
    """
    span = " ".join(strip_markers(draft).split()).strip(" .;,")
    if not span or len(span.split()) > max_words or not any(ch.isalnum() for ch in span):
        return None
    for source in sources:
        for evidence in source.evidence:
            if span.lower() in " ".join(evidence.sentence.split()).lower():
                citation = Citation(source.hit.paper_id, source.hit.title, (evidence.sentence,), source.number,
                                    source.hit.meta)
                return Verified(f"{span} [{source.number}].", (citation,), 1, 0)
    return None


def with_evidence(result: Verified, sources: Sequence[Source], sentences: int, every_source: bool = False) -> Verified:
    """The model's verified sentence, then the cited papers' other evidence sentences, verbatim and
    cited, up to ``sentences`` sentences in all: the model states the answer, the abstract gives the
    details (the 0.5B model leaves out the second half of a two-part question and most of a
    summary). A sentence a kept claim rests on is quoted too, unless the claim already says all of it
    (its figures and most of its words): it is the verbatim evidence for the claim. ``every_source`` (a
    comparison) quotes each source's best sentence, cited or not: the question is about all of them.

    >>> from rag_assistant.types import Evidence, Hit
    >>> ev = lambda s, x: Evidence("p", "T", s, x)
    >>> src = Source(1, Hit("p", "T", 1.0, "", 0.9, 1), (ev("A is 2x faster.", 0.9), ev("It uses 6% of compute.", 0.8)))
    >>> lead = Verified("A is 2x faster [1].", (Citation("p", "T", ("A is 2x faster.",), 1),), 1, 0)
    >>> print(with_evidence(lead, [src], 3).text)
    A is 2x faster [1].
    From the abstract [1]: "It uses 6% of compute."
    """
    if not result.citations or result.kept >= sentences:
        return result
    cited = {c.number: c for c in result.citations}
    used = {s for c in result.citations for s in c.evidence if _restates(result.text, s)}
    chosen = [s for s in sources if s.number in cited or every_source]
    budget = sentences - result.kept
    quotes: list[str] = []
    for i, source in enumerate(chosen):
        if budget <= 0:
            break
        share = max(1, budget // (len(chosen) - i)) if every_source else budget
        ranked = [e.sentence for e in sorted(source.evidence, key=lambda e: -e.score) if e.sentence not in used]
        extra = [e.sentence for e in source.evidence if e.sentence in ranked[:share]]  # abstract order
        if not extra:
            continue
        budget -= len(extra)
        where = "the abstract" if len(chosen) == 1 else f"\"{source.hit.title}\""
        quotes.append(f"From {where} [{source.number}]: " + " ".join(f"\"{s}\"" for s in extra))
        old = cited.get(source.number) or Citation(source.hit.paper_id, source.hit.title, (), source.number,
                                                   source.hit.meta)
        cited[source.number] = replace(old, evidence=tuple(dict.fromkeys(old.evidence + tuple(extra))))
    if not quotes:
        return result
    added = sentences - result.kept - budget
    return Verified("\n".join([result.text, *quotes]), tuple(cited[n] for n in sorted(cited)),
                    result.kept + added, result.dropped)


def _restates(claim: str, sentence: str) -> bool:
    """True when ``claim`` says all of ``sentence``: every figure and 80% of its content words."""
    words = content_words(sentence)
    overlap = len(words & content_words(claim)) / max(1, len(words))
    return overlap >= 0.8 and figures(sentence) <= figures(claim)


def paper_answer(sources: Sequence[Source]) -> Verified:
    """The answer to "which paper...?": the top paper, named and cited, in its own words (all of
    its evidence: the sentences matching the question, its contribution and a finding). The
    model adds nothing here (asked for a paper, it repeats the title), so none is called."""
    top = sources[0].evidence if sources else ()
    return extractive(sources, len(top), lead="The best match is \"{title}\" [{number}]: ")


def primer_messages(prompts_dir) -> list[dict[str, str]]:
    """A prompt that shares every answer prompt's prefix (system prompt and the start of the
    user turn), so a warm-up call leaves that prefix in llama.cpp's KV cache."""
    return build_messages(prompts_dir, "", [])


def list_answer(sources: Sequence[Source], header: str = "Papers in the collection that address this:",
                every: bool = False) -> Verified:
    """One line per relevant paper with its best evidence sentence (and its contribution, when the
    best is only background); with ``every``, all its evidence sentences."""
    lines, citations = [header], []
    for source in sources:
        if not source.evidence:
            continue
        best = max(source.evidence, key=lambda e: e.score)
        # what the paper does, when its best match is only background: a list names each paper's contribution
        extra = None if CONTRIBUTION.search(best.sentence) else next(
            (e for e in source.evidence if e is not best and CONTRIBUTION.search(e.sentence)), None)
        shown = [e.sentence for e in source.evidence if every or e is best or e is extra]  # abstract order
        lines.append(f"- \"{source.hit.title}\" [{source.number}]: {' '.join(shown)}")
        citations.append(Citation(source.hit.paper_id, source.hit.title, tuple(shown), source.number, source.hit.meta))
    return Verified("\n".join(lines), tuple(citations), len(citations), 0)
