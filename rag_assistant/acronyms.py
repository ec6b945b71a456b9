"""What an acronym stands for, read from the abstract that defines it.

"What is GOMs?" is first of all "generalized occupancy models": abstracts define their acronyms
as "Long Name (ACR)", "ACR (Long Name)" or "ACR, which stands for Long Name", and a small model
asked to explain the acronym often leaves that out.

>>> expand("GOMs", "We propose generalized occupancy models (GOMs), which avoid compounding error.")
'generalized occupancy models'
>>> expand("CLAP", "We present Contrastive Language-Assembly Pre-training (CLAP), trained on code.")
'Contrastive Language-Assembly Pre-training'
>>> expand("LC-RL", "We study language-conditioned reward learning (LC-RL) for robots.")
'language-conditioned reward learning'
>>> expand("TERA", "It is called TERA, which stands for Transformer Encoder Representations from Alteration.")
'Transformer Encoder Representations from Alteration'
>>> expand("ViCrit", "We introduce ViCrit (Visual Caption Hallucination Critic), an RL proxy task.")
'Visual Caption Hallucination Critic'
>>> expand("CUBER", "We develop a ContinUal learning method with Backward knowlEdge tRansfer (CUBER), for ...")
'ContinUal learning method with Backward knowlEdge tRansfer'
>>> expand("BiT", "We scale up pre-training (BiT) with a simple recipe.") is None
True
"""
from __future__ import annotations

import re

_SMALL = frozenset("of for and the a an with via to in on from by as at".split())
_WORD = re.compile(r"[A-Za-z][\w'-]*")
_MAX_WORDS = 10


def _letters(name: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", name)
    if len(letters) > 2 and letters.endswith("s") and letters[:-1].isupper():
        letters = letters[:-1]  # GOMs -> GOM
    return letters.lower()


def _capitals(words: list[str]) -> str:
    """The capital letters of a span, "Cross" read as X: "ContinUal learning ... tRansfer" -> "cuber"."""
    return "".join("x" + re.sub(r"[^A-Z]", "", w[5:]) if w.lower().startswith("cross") else re.sub(r"[^A-Z]", "", w)
                   for w in words).lower()


def _spells(letters: str, words: list[str]) -> bool:
    """Whether the words' initials spell the letters. Each word gives the first letter(s) of its
    first hyphen part and may give some of its later parts' ("Pre-training" gives "p", "ViCrit"
    takes "vi" from "Visual"); small words may give nothing, and so may one other word."""
    def word(i: int, j: int, skips: int) -> bool:
        if j == len(words):
            return i == len(letters)
        w = words[j].lower()
        if w in _SMALL and word(i, j + 1, skips):
            return True
        if skips and j > 0 and w not in _SMALL and word(i, j + 1, skips - 1):
            return True
        return part(i, [p for p in w.split("-") if p], 0, j, skips)

    def part(i: int, parts: list[str], n: int, j: int, skips: int) -> bool:
        if n == len(parts):
            return word(i, j + 1, skips)
        if n > 0 and part(i, parts, n + 1, j, skips):  # a later part may give nothing
            return True
        c = 0
        while i + c < len(letters) and c < len(parts[n]) and parts[n][c] == letters[i + c]:
            c += 1
            if part(i + c, parts, n + 1, j, skips):
                return True
        return False

    return bool(letters) and bool(words) and word(0, 0, 1)


def expand(name: str, text: str) -> str | None:
    """The long form an abstract gives for ``name``, or None."""
    letters = _letters(name)
    if len(letters) < 2:
        return None
    escaped = re.escape(name)
    stands = re.search(rf"\b{escaped}\b,? (?:which )?(?:stands for|short for|is short for) ([^.,;:()]+)", text)
    if stands:
        return stands.group(1).strip()
    for match in re.finditer(rf"\(\s*{escaped}\s*\)", text):  # Long Name (ACR)
        before = _WORD.findall(text[max(0, match.start() - 200): match.start()])[-_MAX_WORDS:]
        for start in range(len(before) - 1, -1, -1):
            span = before[start:]
            if span[0].lower() in _SMALL:
                continue
            if _spells(letters, span) or (span[0][0].isupper() and _capitals(span) == letters):
                return " ".join(span)
    after = re.search(rf"\b{escaped}\s*\(([^()]{{3,120}})\)", text)  # ACR (Long Name)
    if after:
        span = _WORD.findall(after.group(1))
        # right after the name, a parenthesis of 2-8 words starting with its first letter is its
        # long form even when the initials do not spell it ("ViCrit (Visual Caption ... Critic)")
        loose = 2 <= len(span) <= 8 and span[0][0].lower() == letters[0] and not re.search(r"\d", after.group(1))
        if span and (_spells(letters, span) or loose):
            return after.group(1).strip()
    return None


def spelled_out(name: str, text: str) -> bool:
    """Whether a text spells out an abbreviation without defining it: "FID" in a text that says
    "Fréchet Inception Distance", "RCT" in one about a "randomised controlled trial".

    >>> spelled_out("FID", "We report the Frechet Inception Distance on CIFAR-10.")
    True
    >>> spelled_out("RCT", "A randomised controlled trial of 1,204 participants."), spelled_out("RCT", "A cohort.")
    (True, False)
    """
    letters = _letters(name)
    if not 2 <= len(letters) <= 8 or not any(ch.isupper() for ch in name):
        return False
    words = _WORD.findall(text)
    initials = [w[0].lower() for w in words]
    for start, first in enumerate(initials):
        if first != letters[0]:
            continue
        for size in range(2, min(len(letters) + 3, _MAX_WORDS) + 1):
            span = words[start:start + size]
            if len(span) == size and span[-1].lower() not in _SMALL and _spells(letters, span):
                return True
    return False
