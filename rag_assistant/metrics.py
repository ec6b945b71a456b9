"""Evaluation metrics: small pure functions over titles, texts, flags and timings.

Conventions (the same for every system):

- A *ranking* is a list of paper titles, best first. Titles are compared after
  ``normalize_title`` (case, width and whitespace folded). Duplicates count once:
  a title that appears again later is dropped, so it takes no rank position.
- A *gold* set is the list of titles that answer a question (several for
  multi-paper questions). An empty gold set means "unanswerable": retrieval and
  citation metrics are then undefined and return ``None`` (left out of means).
- Recall@k = |gold titles in the top k| / |gold|, so with 3 gold papers and 2 of
  them in the top 5, Recall@5 = 2/3 (not "at least one hit").
- Ties in scores are broken by input order (``rank_by_score`` sorts stably), so a
  ranking is always a plain list and every metric is deterministic.

>>> recall_at_k(["A", "B", "C"], ["C", "D"], 3)
0.5
>>> reciprocal_rank(["A", "a", "B"], ["b"])  # the duplicate "a" takes no rank
0.5
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Iterable, Sequence

from .corpus import normalize_title

_SPACE = re.compile(r"\s+")


def dedupe(titles: Iterable[str]) -> list[str]:
    """Normalized titles in first-occurrence order; a repeated title counts once.

    >>> dedupe(["A b", "a  B", "C", ""])
    ['a b', 'c']
    """
    seen: dict[str, None] = {}
    for title in titles:
        key = normalize_title(title)
        if key:
            seen.setdefault(key, None)
    return list(seen)


def rank_by_score(scored: Iterable[tuple[str, float]]) -> list[str]:
    """Titles by descending score; equal scores keep their input order (stable).

    >>> rank_by_score([("a", 1.0), ("b", 2.0), ("c", 1.0)])
    ['b', 'a', 'c']
    """
    items = list(scored)
    order = sorted(range(len(items)), key=lambda i: -float(items[i][1]))
    return [items[i][0] for i in order]


def _gold(gold: Iterable[str]) -> set[str]:
    return set(dedupe(gold))


# ---- retrieval ------------------------------------------------------------------------
def recall_at_k(ranking: Sequence[str], gold: Sequence[str], k: int) -> float | None:
    """Fraction of the gold papers found in the first ``k`` distinct titles; None without gold."""
    wanted = _gold(gold)
    if not wanted:
        return None
    if k <= 0:
        return 0.0
    return len(wanted & set(dedupe(ranking)[:k])) / len(wanted)


def reciprocal_rank(ranking: Sequence[str], gold: Sequence[str]) -> float | None:
    """1 / rank of the first gold title (0 when none is ranked); None without gold. MRR = its mean."""
    wanted = _gold(gold)
    if not wanted:
        return None
    for rank, title in enumerate(dedupe(ranking), start=1):
        if title in wanted:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Sequence[str], gold: Sequence[str], k: int = 10) -> float | None:
    """Binary-relevance nDCG@k: sum 1/log2(rank+1) over gold in the top k, over the ideal sum.

    The ideal puts min(|gold|, k) gold papers first. None without gold.
    """
    wanted = _gold(gold)
    if not wanted:
        return None
    if k <= 0:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, t in enumerate(dedupe(ranking)[:k], start=1) if t in wanted)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(wanted), k) + 1))
    return dcg / ideal


# ---- answers --------------------------------------------------------------------------
def citation_precision(cited: Sequence[str], gold: Sequence[str]) -> float | None:
    """Distinct cited titles that are gold / distinct cited titles.

    None when nothing is cited (precision is undefined; the miss shows in recall)
    or when the question has no gold papers.
    """
    wanted, cited_set = _gold(gold), set(dedupe(cited))
    if not wanted or not cited_set:
        return None
    return len(cited_set & wanted) / len(cited_set)


def citation_recall(cited: Sequence[str], gold: Sequence[str]) -> float | None:
    """Gold titles cited / gold titles (0 when nothing is cited); None without gold."""
    wanted = _gold(gold)
    if not wanted:
        return None
    return len(set(dedupe(cited)) & wanted) / len(wanted)


def _squash(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text)).casefold())


def keypoint_covered(text: str, alternatives: Sequence[str]) -> bool:
    """True if any alternative occurs in ``text``, ignoring case and all whitespace.

    >>> keypoint_covered("It is 6.5 Times faster", ["6.5times"])
    True
    """
    haystack = _squash(text)
    return any(needle and needle in haystack for needle in map(_squash, alternatives))


def keypoint_coverage(text: str, keypoints: Sequence[Sequence[str] | str]) -> float | None:
    """Fraction of keypoint groups covered by ``text``; None when there are no keypoints.

    A group is a list of alternatives; a bare string counts as a one-alternative group.
    """
    groups = [[kp] if isinstance(kp, str) else list(kp) for kp in keypoints]
    if not groups:
        return None
    return sum(keypoint_covered(text, group) for group in groups) / len(groups)


# ---- abstention -----------------------------------------------------------------------
def abstention_accuracy(abstained: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Over all questions: share where ``abstained == (not answerable)``; None for no questions."""
    if len(abstained) != len(answerable):
        raise ValueError("abstained and answerable must have the same length")
    if not abstained:
        return None
    return sum(bool(a) == (not bool(ok)) for a, ok in zip(abstained, answerable)) / len(abstained)


def false_abstention_rate(abstained: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Abstained on answerable questions / answerable questions; None when none is answerable."""
    if len(abstained) != len(answerable):
        raise ValueError("abstained and answerable must have the same length")
    flags = [bool(a) for a, ok in zip(abstained, answerable) if ok]
    if not flags:
        return None
    return sum(flags) / len(flags)


def unanswerable_abstention_rate(abstained: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Abstained on unanswerable questions / unanswerable questions; None when there are none."""
    if len(abstained) != len(answerable):
        raise ValueError("abstained and answerable must have the same length")
    flags = [bool(a) for a, ok in zip(abstained, answerable) if not ok]
    if not flags:
        return None
    return sum(flags) / len(flags)


# ---- aggregation ----------------------------------------------------------------------
def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation (numpy's default); None if empty.

    >>> percentile([1, 2, 3, 4], 50)
    2.5
    """
    data = sorted(float(v) for v in values if v is not None)
    if not data:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    position = (len(data) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the defined values (None = not applicable, left out); None if none is defined."""
    data = [float(v) for v in values if v is not None]
    return sum(data) / len(data) if data else None


def count_defined(values: Iterable[float | None]) -> int:
    return sum(v is not None for v in values)
