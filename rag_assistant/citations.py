"""Citation parsing and verification. The model's text is never trusted as-is.

Markers are source numbers the code issued ([1]..[n]). A marker that points to
no source is removed; each sentence is checked against the abstract sentences of
the source it cites; an uncited sentence is attributed to the best-supporting
source when support is strong, otherwise dropped.

>>> parse_markers("Fast [1], accurate [2, 3] and cheap [source 9].")
[1, 2, 3, 9]
>>> strip_markers("It works [1][2].")
'It works.'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .chunking import split_sentences
from .evidence import SentenceIndex
from .terms import content_words, mentions, name_terms
from .types import Citation, Source, Verified

MARKER = re.compile(r"\s*\[\s*(?:sources?\s*)?(\d+(?:\s*[,;–-]\s*(?:sources?\s*)?\d+)*)\s*\]", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\s*\[\s*(?:n|x|\?|source|citation|number|\.\.\.)?\s*\]", re.IGNORECASE)

SUPPORT_COSINE = 0.62  # a cited claim is supported if its best sentence cosine reaches this...
SUPPORT_LEXICAL = 0.6  # ...or most of its content words occur in the source (with some semantic match)
LEXICAL_MIN_COSINE = 0.35
ATTRIBUTE_COSINE = 0.7  # an uncited claim is attributed only on strong support


def parse_markers(text: str) -> list[int]:
    numbers = []
    for group in MARKER.findall(text):
        numbers.extend(int(n) for n in re.findall(r"\d+", group))
    return numbers


def strip_markers(text: str) -> str:
    text = PLACEHOLDER.sub("", MARKER.sub("", text))
    text = re.sub(r"\[([^\]\d][^\]]*)\]", r"\1", text)  # "[BAMBOO] is" -> "BAMBOO is"
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()


def strip_source_echo(text: str, titles) -> str:
    """A draft that copies the source block back ("[1] Title - sentence - sentence") keeps its
    sentences but not the layout: title headers and list dashes go, so each copied sentence is
    verified (and cited) on its own.

    >>> strip_source_echo("[1] Diff Pruning - We propose X. - It changes 0.5% of weights.", ["Diff Pruning"])
    'We propose X. It changes 0.5% of weights.'
    >>> strip_source_echo("Diff Pruning changes 0.5% of weights [1].", ["Diff Pruning"])
    'Diff Pruning changes 0.5% of weights [1].'
    """
    for title in sorted(titles, key=len, reverse=True):
        text = re.sub(rf"(?:\[\d+\]\s*)?{re.escape(title)}\s*(?:\n|\s-\s|:\s*\n)\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"(?m)^\s*[-*\u2022]\s+", "", text)  # list bullets
    text = re.sub(r"(?<=[.!?\]])\s+-\s+", " ", text)  # " - " between copied sentences
    return text.strip()


def without_titles(claim: str, titles) -> str:
    """The claim with source titles removed: naming a paper is not evidence for a statement about it."""
    for title in sorted(titles, key=len, reverse=True):
        claim = re.sub(re.escape(title), " ", claim, flags=re.IGNORECASE)
    return claim


def figures(text: str) -> set[str]:
    r"""The numbers written in digits in a text ("0.35%", "1,000x", "5\%" -> {"0.35", "1000", "5"}).

    >>> sorted(figures("roughly 0.35% of AdapterFusion's 1,000 parameters, below 5\\% WER"))
    ['0.35', '1000', '5']
    """
    return {n.replace(",", "") for n in re.findall(r"\d+(?:[.,]\d+)*", text)}


@dataclass(frozen=True)
class _Support:
    cosine: float
    lexical: float
    sentence: str
    figures_ok: bool  # every number in the claim occurs in the source paper

    @property
    def ok(self) -> bool:
        return self.figures_ok and (
            self.cosine >= SUPPORT_COSINE or (self.lexical >= SUPPORT_LEXICAL and self.cosine >= LEXICAL_MIN_COSINE))

    @property
    def strong(self) -> bool:
        return self.figures_ok and (self.cosine >= ATTRIBUTE_COSINE or (self.lexical >= 0.8 and self.cosine >= 0.5))


def _claims(text: str) -> list[tuple[str, list[int]]]:
    """Sentences with their markers; markers opening a sentence belong to the previous one."""
    result: list[tuple[str, list[int]]] = []
    for sentence in split_sentences(text.replace("\n", " ")):
        leading = re.match(r"^((?:\s*\[[^\]]*\])+)\s*", sentence)
        if leading and result:
            result[-1][1].extend(parse_markers(leading.group(1)))
            sentence = sentence[leading.end():]
        if sentence.strip():
            result.append((strip_markers(sentence), parse_markers(sentence)))
    return result


def _support(claim_vector: np.ndarray, claim_words: set[str], claim_figures: set[str], source: Source,
             index: SentenceIndex) -> _Support:
    sentences, vectors = index.sentences(source.hit.paper_id)
    if not sentences:
        return _Support(0.0, 0.0, "", False)
    cosines = vectors @ claim_vector
    best = int(np.argmax(cosines))
    source_text = source.hit.title + " " + " ".join(sentences)
    lexical = len(claim_words & content_words(source_text)) / max(1, len(claim_words))
    return _Support(float(cosines[best]), lexical, sentences[best], claim_figures <= figures(source_text))


_FILLER = frozenset("several way ways various many different number aspect aspects term terms following key main "
                    "respect respects regard regards manner kind kinds type types".split())


_FIRST_PERSON = ((r"\bWe\b", "The authors"), (r"\bwe\b", "the authors"), (r"\bOur\b", "Their"),
                 (r"\bour\b", "their"), (r"\bOurs\b", "Theirs"), (r"\bours\b", "theirs"), (r"\bus\b", "them"))


def third_person(claim: str) -> str:
    """The abstract's first person, said of the paper: the answer speaks about the authors.

    >>> third_person("We show that our method beats theirs.")
    'The authors show that their method beats theirs.'
    """
    for pattern, replacement in _FIRST_PERSON:
        claim = re.sub(pattern, replacement, claim)
    return claim


SUBJECT_WORDS = 8
_CAPITALIZED = re.compile(r"(?<=\s)[A-Z][a-z]{2,}(?:-[A-Za-z]+)*\b")


def unfounded_terms(claim: str, evidence: str, question: str = "",
                    is_term: Callable[[str], bool] = lambda word: True) -> list[str]:
    """What a claim names that its evidence does not: a name (acronym, model, proper noun), or a
    word of its subject (its first eight words) taken from the question that is a term (``is_term``:
    in the collection, one rare enough to say what the question is about). "BiT reaches 87.5%" cited
    to a sentence about ViT puts the question's subject into another method's result.

    >>> unfounded_terms("BiT reaches 87.5% top-1.", "ViT reaches 87.5% top-1 on ImageNet.", "What does BiT reach?")
    ['BiT']
    >>> unfounded_terms("The trial enrolled 1,204 adults.", "We enrolled 1,204 adults in a trial.", "How many adults?")
    []
    >>> unfounded_terms("It lowers mortality in Kenya.", "It lowers mortality.", "Did it lower mortality in Kenya?")
    ['Kenya']
    """
    lowered = evidence.lower()
    body = claim.split(" ", 1)[1] if " " in claim else ""  # a capital opening the sentence names nothing
    names = list(dict.fromkeys(name_terms(claim) + _CAPITALIZED.findall(" " + body)))
    missing = [n for n in names if not mentions(lowered, n)]
    # the claim's subject (its first words) is where a question's term lands on the wrong method;
    # a verb later on ("produce" for "generate") rephrases, it does not misattribute
    subject = " ".join(claim.split()[:SUBJECT_WORDS])
    from_question = content_words(subject) & content_words(question)
    have = _stems(content_words(evidence))
    missing += [w for w in sorted(from_question) if _stems({w}).isdisjoint(have) and w not in _GENERIC
                and is_term(w) and not any(w.lower() == m.lower() for m in missing)]
    return missing


def _stems(words) -> set[str]:
    import Stemmer

    return set(Stemmer.Stemmer("english").stemWords(sorted(words)))


def _generic() -> frozenset[str]:
    from .routing import vocabulary

    return frozenset(vocabulary()["answerability"]["generic"])


_GENERIC = _generic()


def mid_phrase(claim: str) -> bool:
    """A claim that starts mid-phrase, copied from inside a sentence ("promotes the emergence of
    ..."), is no sentence of its own.

    >>> mid_phrase("promotes the emergence of deep features."), mid_phrase("word2vec learns vectors.")
    (True, False)
    """
    first = claim.lstrip(" \"'(").split(" ", 1)[0]
    return bool(first) and first[0].islower() and not name_terms(first) and not any(ch.isdigit() for ch in first)


def verify(text: str, sources: list[Source], index: SentenceIndex, embedder, question: str = "",
           is_term: Callable[[str], bool] = lambda word: True) -> Verified:
    """Keep only sentences whose citations are supported; attribute or drop uncited claims.
    A claim is supported by a source only if every number it states occurs in that paper.
    A sentence that only restates the question (fewer than two content words of its own) says
    nothing, however similar it is to the evidence, and is dropped too; so is one that starts
    mid-phrase, and one that names something (or uses a word of the question) that the evidence it
    cites lacks (``unfounded_terms``). Kept claims speak of the authors, not as them."""
    by_number = {s.number: s for s in sources}
    titles = [s.hit.title for s in sources]
    claims = [(c, m) for c, m in _claims(strip_source_echo(text, titles)) if c]
    if not claims or not sources:
        return Verified("", (), 0, len(claims))
    bare = [without_titles(c, titles) for c, _ in claims]
    vectors = embedder.embed(bare)
    kept: list[str] = []
    cited: dict[int, list[str]] = {}
    dropped = 0
    asked = content_words(question) | _FILLER
    for (claim, markers), text, vector in zip(claims, bare, vectors):
        words = content_words(text)
        if len(words) < 3 or len(words - asked) < 2 or mid_phrase(claim):  # a title, a connective, the question
            dropped += 1
            continue
        claim_figures = figures(text)
        supports = {n: _support(vector, words, claim_figures, s, index) for n, s in by_number.items()}
        numbers = sorted({n for n in markers if n in supports and supports[n].ok})
        if not numbers:
            best = max(supports, key=lambda n: supports[n].cosine)
            numbers = [best] if (supports[best].ok if markers else supports[best].strong) else []
        grounds = " ".join(_grounds(by_number[n], supports[n].sentence) for n in numbers)
        if not numbers or unfounded_terms(claim, grounds, question, is_term):
            dropped += 1
            continue
        for n in numbers:
            cited.setdefault(n, []).append(supports[n].sentence)
        kept.append(third_person(claim.rstrip()) + " " + "".join(f"[{n}]" for n in numbers))
    citations = tuple(
        Citation(by_number[n].hit.paper_id, by_number[n].hit.title, tuple(dict.fromkeys(cited[n])), n,
                 by_number[n].hit.meta)
        for n in sorted(cited)
    )
    return Verified(_join(kept), citations, len(kept), dropped)


def _grounds(source: Source, supporting: str) -> str:
    """What a claim citing ``source`` may rest on: the paper's title, its evidence sentences and the
    sentence that supports the claim best."""
    return " ".join([source.hit.title, *(e.sentence for e in source.evidence), supporting])


def _join(sentences: list[str]) -> str:
    return " ".join(s if s.endswith((".", "!", "?", "]")) else s + "." for s in sentences).strip()


class MarkerFilter:
    """Streaming filter: holds text from '[' to ']' and drops markers that point to no source."""

    def __init__(self, valid: set[int]):
        self.valid = valid
        self.pending = ""

    def feed(self, piece: str) -> str:
        self.pending += piece
        out = []
        while self.pending:
            start = self.pending.find("[")
            if start < 0:
                out.append(self.pending)
                self.pending = ""
            elif start > 0:
                out.append(self.pending[:start])
                self.pending = self.pending[start:]
            else:
                end = self.pending.find("]")
                if end < 0:
                    if len(self.pending) > 24:  # not a marker after all
                        out.append(self.pending)
                        self.pending = ""
                    break
                marker, self.pending = self.pending[: end + 1], self.pending[end + 1:]
                numbers = parse_markers(marker)
                if numbers and all(n in self.valid for n in numbers):
                    out.append(marker)
                elif not numbers and not PLACEHOLDER.fullmatch(marker):
                    out.append(marker)
        return "".join(out)

    def flush(self) -> str:
        rest, self.pending = self.pending, ""
        return "" if rest.startswith("[") and parse_markers(rest + "]") else rest
