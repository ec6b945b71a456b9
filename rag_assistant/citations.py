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

import numpy as np

from .chunking import split_sentences
from .evidence import SentenceIndex, Source
from .terms import content_words
from .types import Citation

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


@dataclass(frozen=True)
class Verified:
    text: str
    citations: tuple[Citation, ...]
    kept: int
    dropped: int


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


def verify(text: str, sources: list[Source], index: SentenceIndex, embedder, question: str = "") -> Verified:
    """Keep only sentences whose citations are supported; attribute or drop uncited claims.
    A claim is supported by a source only if every number it states occurs in that paper.
    A sentence that only restates the question (fewer than two content words of its own) says
    nothing, however similar it is to the evidence, and is dropped too."""
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
        if len(words) < 3 or len(words - asked) < 2:  # a bare title, a connective, the question again
            dropped += 1
            continue
        claim_figures = figures(text)
        supports = {n: _support(vector, words, claim_figures, s, index) for n, s in by_number.items()}
        numbers = sorted({n for n in markers if n in supports and supports[n].ok})
        if not numbers:
            best = max(supports, key=lambda n: supports[n].cosine)
            numbers = [best] if (supports[best].ok if markers else supports[best].strong) else []
        if not numbers:
            dropped += 1
            continue
        for n in numbers:
            cited.setdefault(n, []).append(supports[n].sentence)
        kept.append(claim.rstrip() + " " + "".join(f"[{n}]" for n in numbers))
    citations = tuple(
        Citation(by_number[n].hit.paper_id, by_number[n].hit.title, tuple(dict.fromkeys(cited[n])), n)
        for n in sorted(cited)
    )
    return Verified(_join(kept), citations, len(kept), dropped)


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
