"""Query-term analysis shared by retrieval, evidence selection and abstention.

>>> sorted(content_words("Which papers use diffusion models?"))
['diffusion', 'model']
>>> name_terms("What WikiText-2 perplexity does RSQ get with the ViT in CLIP-style prompts?")
['WikiText-2', 'RSQ', 'CLIP']
"""
from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-\^$]*")
STOP = frozenset(
    "a an the of in on for to and or is are was were be been by with from that this these those it its as at "
    "which what who whom how why when where does do did can could should would will paper papers method methods "
    "approach use used using their they them we our us about into than then there any some such also more most "
    "work study studies propose proposed collection according tell me please between across".split()
)
# Name-like tokens: acronyms and model/dataset names (two capitals, or letters mixed with digits).
_NAME = re.compile(r"(?<![\w-])(?:[A-Za-z]*[A-Z][A-Za-z]*[A-Z][\w]*|[A-Za-z]+\d[\w]*)(?:-[\w]+)*")
# Everyday ML abbreviations that abstracts often spell out in full; not evidence of a specific name.
COMMON_ABBREVIATIONS = frozenset(
    "AI ML NLP CV RL LLM LLMs LM LMs QA CNN CNNs RNN RNNs GAN GANs GNN GNNs MLP MLPs ViT ViTs SOTA GPU GPUs CPU "
    "API SGD KD DL DNN DNNs NN NNs".split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased content words (stop words removed), crude plural folding."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in STOP or len(word) < 2:
            continue
        words.add(word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word)
    return words


def name_terms(text: str) -> list[str]:
    """Specific names in a question (acronyms, model and dataset names), minus everyday abbreviations.

    A hyphenated compound whose tail is a plain word ("CLIP-style") is reduced to its name part.
    """
    names = []
    for match in _NAME.findall(text):
        parts = match.split("-")
        if len(parts) > 1 and parts[-1].isalpha() and parts[-1].islower():
            match = "-".join(p for p in parts if not (p.isalpha() and p.islower()))
        if len(match) >= 3 and match not in COMMON_ABBREVIATIONS and match not in names:
            names.append(match)
    return names


# a quoted title or phrase: an opening quote after a space (not a possessive "model's"), 3+ words
_QUOTED = re.compile(r"""(?:^|(?<=[\s(]))["'‘“]([^"'’”]{3,150}?)["'’”](?=[\s.,;:?!)]|$)""")


def quoted_phrases(text: str) -> list[str]:
    """Titles or phrases the question quotes (three words or more): a paper that has them says them.

    >>> quoted_phrases("Which paper introduced ViT, 'An Image is Worth 16x16 Words'?")
    ['An Image is Worth 16x16 Words']
    >>> quoted_phrases("What does the owner's model do in NEVIS'22 and the 'lottery' idea?")
    []
    """
    return [m.strip() for m in _QUOTED.findall(text) if len(m.split()) >= 3]


def mentions(text_lower: str, name: str) -> bool:
    """Whether a (lower-cased) text mentions a name, tolerating hyphen/space variants.

    >>> mentions("tiny time mixers (ttms) are small", "TinyTimeMixer"), mentions("we use rsqa", "RSQ")
    (True, False)
    """
    name = name.lower()
    variants = {name, name.replace("-", " "), name.replace("-", "")}
    if any(re.search(rf"(?<![\w-]){re.escape(v)}(?![\w])", text_lower) for v in variants):
        return True
    compact = re.sub(r"[\s\-]", "", name)  # "TinyTimeMixer" is written "Tiny Time Mixers"
    return len(compact) >= 6 and compact in re.sub(r"[\s\-]", "", text_lower)
