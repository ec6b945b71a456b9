"""Answer construction: abstention, evidence, prompt, verified citations, extractive fallback."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from .acronyms import expand
from .chunking import split_sentences
from .citations import Verified
from .evidence import Source
from .terms import content_words, mentions, name_terms
from .prompts import render
from .types import Citation, Hit

NOT_COVERED = "The collection does not cover this question."
_LIST_QUESTION = re.compile(
    r"\b(which|what|list|name|find|show|any|are there)\b[^?]*\b(papers|works|studies|articles|methods)\b"
    r"|\bpapers\b[^?]*\b(about|on|that|which|discuss|address|propose|study)\b",
    re.IGNORECASE,
)


def is_list_question(question: str) -> bool:
    """'Which papers discuss X?' style questions get every relevant paper listed.

    >>> is_list_question("Which papers discuss diffusion distillation?"), is_list_question("Which paper proposes X?")
    (True, False)
    """
    return bool(_LIST_QUESTION.search(question))


_PAPER_QUESTION = re.compile(
    r"\b(which|what) (single )?(paper|work|study|article|publication)\b(?!s)"
    r"|\b(is there|was there|do you know|i remember|i recall|looking for|does anything|does any paper)\b"
    r"[^?]*\b(paper|work|study|article|publication|collection|research)\b(?!s)"
    r"|\bwhich one\b",
    re.IGNORECASE,
)


def is_paper_question(question: str) -> bool:
    """'Which paper does X?' asks for one paper: the answer is that paper and its own sentences.

    >>> is_paper_question("Which paper proposes CUBER?"), is_paper_question("What accuracy does BiT get?")
    (True, False)
    >>> is_paper_question("Is there work on unlearning a source task?"), is_paper_question("Which papers use CLIP?")
    (True, False)
    """
    return bool(_PAPER_QUESTION.search(question)) and not is_list_question(question)


_HOW_MANY = re.compile(r"\bhow (many|much) ((?:[\w-]+ ){0,3}?)([\w-]+)(?= (?:of|per|does|do|did|is|are|was|were|"
                       r"has|have|had|can|could|would|will|in|on|for|to|with|from|at|by|used?)\b|[?,.]|$)",
                       re.IGNORECASE)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
                     r"thousands?|millions?|billions?|trillions?|single|double|twice|half)\b", re.IGNORECASE)
_AUXILIARY = frozenset("does do did is are was were has have had can could would will should the a an it they this "
                       "that".split())
_NOT_A_NOUN = frozenset("more less fewer faster slower higher lower better worse larger smaller bigger longer shorter "
                        "further greater".split())


def _singular(word: str) -> str:
    word = word.lower().replace("-", " ")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word


_QUANTITY = re.compile(r"\b(how (many|much|long|large|big)|by how much|"
                       r"what (percentage|fraction|proportion|share|ratio|speed-?up))\b", re.IGNORECASE)
_FIGURE = re.compile(_NUMBER.pattern + r"|\borders? of magnitude\b|\b\w+fold\b", re.IGNORECASE)
# training details that abstracts rarely give: a question about one of them that the abstract never
# names is a question about the full paper
_DETAIL = re.compile(r"\b(learning[- ]?rates?|batch[- ]?sizes?|weight[- ]?decay|dropout|warm[- ]?up|momentum|"
                     r"optimi[sz]ers?|epochs?|training steps|random seeds?|capacity factors?|label smoothing|"
                     r"gradient clipping|(?:GPU|TPU)[- ]?(?:hours?|days?))\b", re.IGNORECASE)


def _detail_key(term: str) -> str:
    key = re.sub(r"[- ]", "", term.lower()).replace("optimis", "optimiz")
    return key[:-1] if key.endswith("s") else key


def unstated_quantity(question: str, abstract: str) -> str | None:
    """What a question asks for that the abstract cannot give, said as the end of a sentence
    ("The abstracts of the closest papers ..."), or None. Three cases: a "how many X" whose X no
    sentence with a number mentions; a training detail (learning rate, batch size, epochs, ...)
    the abstract never names; a "how much / what fraction" question to an abstract without a
    single figure. The collection cannot answer these, so the assistant says so instead of
    quoting a number from a neighbouring sentence.

    >>> unstated_quantity("How many hours of speech was it trained on?", "We train on 960 hours of speech.")
    >>> unstated_quantity("How many GPU-days did it take?", "It reaches 80% accuracy.")
    'give no number of GPU-days'
    >>> unstated_quantity("How much faster is it?", "It is fast.")  # no figure at all
    'give no figures'
    >>> unstated_quantity("How much faster is it?", "It is three orders of magnitude faster.")
    >>> unstated_quantity("What learning rate and batch size did they use?", "A batch size of 4096 helps.")
    'do not state the learning rate'
    >>> unstated_quantity("Which optimiser did they use?", "We use the Adam optimizer.")
    """
    return _unstated_count(question, abstract) or _unstated_detail(question, abstract)


def _unstated_count(question: str, abstract: str) -> str | None:
    match = _HOW_MANY.search(question)
    if not match:
        return None
    words = (match.group(2) + match.group(3)).lower().split()
    if words[0] in _NOT_A_NOUN or (match.group(1).lower() == "much" and words[0].endswith("er")) \
            or any(w in _AUXILIARY for w in words):
        return None  # "how much faster", "how much does X change": not a count of something
    noun = match.group(3)
    stem = _singular(noun)
    numeric = [sentence.lower().replace("-", " ") for sentence in split_sentences(abstract)
               if _NUMBER.search(sentence)]
    return None if any(stem in sentence for sentence in numeric) else f"give no number of {noun}"


def _unstated_detail(question: str, abstract: str) -> str | None:
    named = {_detail_key(m.group(0)) for m in _DETAIL.finditer(abstract)}
    missing = [m.group(0).lower() for m in _DETAIL.finditer(question) if _detail_key(m.group(0)) not in named]
    if missing:
        return "do not state the " + " or the ".join(dict.fromkeys(missing))
    if _QUANTITY.search(question) and not _FIGURE.search(abstract):
        return "give no figures"
    return None


_OVERVIEW = re.compile(
    r"\b(summar\w*|gist|overview|takeaway|tl;?dr|conclu\w*|argu\w*|explain\w*|describe|idea|contributions?|"
    r"what (is|are) (?!the (number|size|value|rate|accuracy|score))|what does \S+ (do|stand for|mean)|how does \S+ work|"
    r"tell me about)\b",
    re.IGNORECASE,
)


_COMPARE = re.compile(r"\b(compare|comparison of|differ|differs|different from|difference|differences|"
                      r"versus|vs\.?|contrast|in common|both)\b", re.IGNORECASE)


def is_compare_question(question: str) -> bool:
    """'How does X differ from Y?': the answer needs both papers, not just the best match.
    ("X needs 10x less data compared with Y" is a fact about X, so "compared with" is no trigger.)

    >>> is_compare_question("How does TERA differ from APC?"), is_compare_question("Compare CUT and CycleGAN.")
    (True, True)
    >>> is_compare_question("How much compute does UniVLA need compared with OpenVLA?")
    False
    """
    return bool(_COMPARE.search(question))


def wants_overview(question: str) -> bool:
    """'What is X?', 'How does X work?', 'Summarize...': answered from more of the abstract.

    >>> wants_overview("Summarize the T5 study."), wants_overview("What is CUBER?")
    (True, True)
    >>> wants_overview("How many layers can be removed?"), wants_overview("What is the accuracy on VTAB?")
    (False, False)
    """
    return bool(_OVERVIEW.search(question))


def prefer_stated_count(question: str, hits: Sequence[Hit], papers: dict, closeness: float = 0.9):
    """Returns (hits, None), or (hits, what the abstracts do not state) when the collection
    cannot answer, so the assistant abstains instead of quoting a number from a neighbouring
    sentence. For a "how many X ...?" question, among the papers retrieval can hardly tell apart
    (fused score within 10% of the best, top 3), the first one whose abstract gives a number for
    X goes first. A training detail or a figure the top paper's abstract does not give is not
    looked for in its neighbours: they are about other work.
    """
    if not hits:
        return list(hits), None
    hits = list(hits)
    close = [h for h in hits[:3] if h.paper_id in papers and h.score >= closeness * hits[0].score]
    if not close:
        return hits, None
    missing = [_unstated_count(question, papers[h.paper_id].abstract) for h in close]
    if missing[0] is not None:
        stating = [h for h, m in zip(close, missing) if m is None]
        if not stating:
            return hits, missing[0]
        reordered = [stating[0]] + [h for h in hits if h is not stating[0]]
        hits = [replace(h, rank=rank) for rank, h in enumerate(reordered, start=1)]
    top = papers.get(hits[0].paper_id)
    return hits, _unstated_detail(question, top.abstract) if top else None


def abstention_text(nearest: Sequence[Hit], missing_names: Sequence[str] = (), unstated: str | None = None) -> str:
    lines = [NOT_COVERED]
    if missing_names:
        lines.append("No paper in it mentions " + ", ".join(f"\"{n}\"" for n in missing_names) + ".")
    if unstated and nearest:
        lines.append(f"The abstracts of the closest papers {unstated}.")
    if nearest:
        lines.append("Nearest papers (not evidence): " + "; ".join(f"\"{h.title}\"" for h in nearest[:3]) + ".")
    return " ".join(lines)


def format_sources(sources: Sequence[Source]) -> str:
    blocks = []
    for source in sources:
        lines = [f"[{source.number}] {source.hit.title}"]
        lines += [f"- {e.sentence}" for e in source.evidence]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def build_messages(prompts_dir, question: str, sources: Sequence[Source]) -> list[dict[str, str]]:
    """System prompt (the same for every answer, so its KV cache is reused) and one user turn:
    the numbered sources, then the question. A follow-up's conversation is not in the prompt:
    it already chose the retrieval query, so the sources are about the paper "it" means. With
    the earlier turn in the prompt, the 0.5B model copied the source block back in 7 of 15 dev
    follow-ups instead of answering (keypoint coverage 0.56 with it, 0.63 without)."""
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
    citation = Citation(top.hit.paper_id, top.hit.title, tuple(chosen), top.number)
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


_SUMMARY = re.compile(
    r"\b(summar\w*|gist|overview|takeaways?|tl;?dr|insights|findings|argument|main (points?|results?|contributions?|ideas?)|"
    r"what (does|did) (the|this|that) (\S+ ){0,14}?(find|show|conclude|argue|claim))\b",
    re.IGNORECASE,
)


def wants_summary(question: str) -> bool:
    """'Summarize...', 'the gist of...', 'What does the study ... conclude?': a request for a paper's
    main points, not for one fact or one definition.

    >>> wants_summary("Give me the gist of the adapter paper."), wants_summary("What does the study on priors conclude?")
    (True, True)
    >>> wants_summary("What is CUBER?"), wants_summary("How many layers can be removed?")
    (False, False)
    """
    return bool(_SUMMARY.search(question))


def with_details(result: Verified, sources: Sequence[Source], sentences: int = 3) -> Verified:
    """A summary the model wrote in fewer than ``sentences`` sentences gets the top paper's best
    evidence sentences that no kept claim rests on, verbatim and cited, up to that many: the 0.5B
    model compresses a summary into one sentence and leaves out most of the findings."""
    if not sources or not result.citations or result.kept >= sentences:
        return result
    top = sources[0]
    cited = {c.number: c for c in result.citations}
    if top.number not in cited:
        return result
    used = {s for c in result.citations for s in c.evidence}
    extra = [e.sentence for e in sorted(top.evidence, key=lambda e: -e.score) if e.sentence not in used]
    extra = extra[:sentences - result.kept]
    if not extra:
        return result
    text = result.text + "".join(f" {s} [{top.number}]" for s in extra)
    old = cited[top.number]
    cited[top.number] = replace(old, evidence=tuple(dict.fromkeys(old.evidence + tuple(extra))))
    return Verified(text, tuple(cited[n] for n in sorted(cited)), result.kept + len(extra), result.dropped)


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


def list_answer(sources: Sequence[Source], header: str = "Papers in the collection that address this:") -> Verified:
    """One line per relevant paper with its best evidence sentence."""
    lines, citations = [header], []
    for source in sources:
        if not source.evidence:
            continue
        best = max(source.evidence, key=lambda e: e.score)
        lines.append(f"- \"{source.hit.title}\" [{source.number}]: {best.sentence}")
        citations.append(Citation(source.hit.paper_id, source.hit.title, (best.sentence,), source.number))
    return Verified("\n".join(lines), tuple(citations), len(citations), 0)


def focus(hits: Sequence[Hit], question: str, papers: dict, limit: int, margin: float) -> list[Hit]:
    """The papers an ordinary question's evidence comes from: the top hit, plus runners-up only
    when retrieval cannot tell them apart (similarity within ``margin``) and no name in the
    question already pins the top paper down.

    Dev set: the top hit is the gold paper for 91 of 94 single-paper questions; extra sources
    mostly invited the model to cite papers the question was not about.
    """
    if not hits:
        return []
    top = hits[0]
    names = name_terms(question)
    paper = papers.get(top.paper_id)
    if names and paper and all(mentions(f"{paper.title} {paper.abstract}".lower(), n) for n in names):
        return [top]
    return [top] + [h for h in hits[1:limit] if h.similarity >= top.similarity - margin]


def list_candidates(hits: Sequence[Hit], min_similarity: float, margin: float, limit: int) -> list[Hit]:
    """Hits relevant enough to list: the best one, plus those close to it in similarity.

    Dev set (multi-paper questions): rank <= 5, similarity >= 0.45 and within 0.15 of the
    best gave precision 0.82 / recall 0.79, against 0.64 / 0.92 for a looser 0.12 margin alone.
    """
    if not hits:
        return []
    top = max(h.similarity for h in hits)
    floor = max(min_similarity, top - margin)
    return [h for h in hits[:limit] if h.rank == 1 or h.similarity >= floor]

